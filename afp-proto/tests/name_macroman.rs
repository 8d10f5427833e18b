//! The MacRoman table against an independent implementation: Python's `mac_roman` codec
//! (through `tests/kat/uam_kat.py macroman`; needs python3).

mod uam_support;

use afp_proto::name::{decode_mac_roman, mac_roman_to_char};

#[test]
fn mac_roman_matches_python() {
    let printed = uam_support::run_kat_script(&["macroman"]);
    let python: Vec<u32> = printed
        .split_whitespace()
        .map(|h| u32::from_str_radix(h, 16).expect("hex code point"))
        .collect();
    assert_eq!(python.len(), 128);
    for (i, &cp) in python.iter().enumerate() {
        let b = 0x80 + i as u8;
        assert_eq!(mac_roman_to_char(b) as u32, cp, "MacRoman byte {b:#04x}");
    }
    assert_eq!(decode_mac_roman(b"ASCII"), "ASCII");
}
