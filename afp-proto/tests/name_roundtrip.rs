//! Property tests for the name conversions (spec §2.3, §9.2, §9.3): for every valid Mac
//! name, Mac name → disk name → Mac name is the identity, under every naming scheme.

use afp_proto::name::{
    DiskCharset, LONG_NAME_MAX, NameError, NameScheme, check_mac_name, decompose,
    long_name_to_utf8, parse_mangled, precompose, to_long_name, to_utf8_name, utf8_to_long_name,
};
use proptest::prelude::*;

/// Characters that stress the conversions: ASCII (with '/', '.', '#'), Latin letters with
/// accents, combining marks (including U+20D0..), Hangul, CJK, characters in Apple's
/// excluded ranges (Ω-sign, ≠, CJK compatibility ideographs), MacRoman specials.
fn name_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => (0x20u32..0x7F).prop_filter_map("no ':'", |c| char::from_u32(c).filter(|&c| c != ':')),
        2 => (0xC0u32..0x180).prop_filter_map("latin", char::from_u32),
        2 => (0x300u32..0x370).prop_filter_map("combining", char::from_u32),
        1 => (0x20D0u32..0x20F1).prop_filter_map("symbol marks", char::from_u32),
        1 => (0xAC00u32..0xAC40).prop_filter_map("hangul", char::from_u32),
        1 => (0x4E00u32..0x4E40).prop_filter_map("cjk", char::from_u32),
        1 => prop::sample::select(vec!['\u{2126}', '\u{212B}', '≠', '\u{F900}', '\u{FA10}', '€', '\u{F8FF}', 'ﬁ', '\u{2F800}', '\u{FE30}', 'Ω', 'µ', '=', '\u{338}']),
    ]
}

fn mac_name() -> impl Strategy<Value = String> {
    prop::collection::vec(name_char(), 1..40)
        .prop_map(|chars| decompose(&chars.into_iter().collect::<String>()))
        .prop_filter("valid Mac name", |m| check_mac_name(m).is_ok())
}

fn schemes() -> Vec<NameScheme> {
    let mut v = vec![NameScheme::Netatalk3];
    for charset in [DiskCharset::Utf8, DiskCharset::Ascii] {
        for usedots in [false, true] {
            for nohex in [false, true] {
                v.push(NameScheme::Netatalk2 {
                    charset,
                    usedots,
                    nohex,
                });
            }
        }
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn mac_to_disk_to_mac_is_identity(m in mac_name()) {
        for scheme in schemes() {
            match scheme.mac_to_disk(&m) {
                Ok(disk) => {
                    prop_assert!(!disk.contains('/') && !disk.contains('\0'), "{:?}: {:?}", scheme, disk);
                    prop_assert_eq!(scheme.disk_to_mac(disk.as_bytes()), Ok(m.clone()), "{:?} via {:?}", scheme, disk);
                }
                // Only an ASCII volume (or nohex) may lack a character, and "." ".." stay reserved.
                Err(NameError::Unrepresentable) => {
                    let ascii = matches!(scheme, NameScheme::Netatalk2 { charset: DiskCharset::Ascii, .. });
                    prop_assert!(ascii, "{:?} cannot represent {:?}", scheme, m);
                }
                Err(NameError::Reserved) => prop_assert!(m.starts_with('.')),
                Err(e) => prop_assert!(false, "{:?}: {:?}", scheme, e),
            }
        }
    }

    #[test]
    fn decomposition_round_trips(m in mac_name()) {
        prop_assert_eq!(decompose(&m), m.clone());
        prop_assert_eq!(decompose(&precompose(&m)), m.clone());
        prop_assert_eq!(precompose(&precompose(&m)), precompose(&m));
    }

    #[test]
    fn long_names_round_trip_or_mangle(m in mac_name(), cnid in 17u32..) {
        match utf8_to_long_name(&m) {
            Ok(bytes) => {
                prop_assert!(bytes.len() <= LONG_NAME_MAX);
                prop_assert_eq!(long_name_to_utf8(&bytes), m.clone());
                prop_assert_eq!(to_long_name(&m, cnid), bytes);
            }
            Err(_) => {
                let mangled = to_long_name(&m, cnid);
                prop_assert!(mangled.len() <= LONG_NAME_MAX);
                if !m.contains('#') {
                    prop_assert_eq!(parse_mangled(&mangled).map(|x| x.cnid), Some(cnid));
                }
            }
        }
    }

    #[test]
    fn utf8_names_mangle_past_255_bytes(m in mac_name(), repeat in 1usize..20, cnid in 17u32..) {
        let long = m.repeat(repeat);
        let shown = to_utf8_name(&long, cnid);
        prop_assert!(shown.len() <= 255);
        if long.len() <= 255 {
            prop_assert_eq!(&*shown, &*long);
        } else if !long.contains('#') {
            prop_assert_eq!(parse_mangled(shown.as_bytes()).map(|x| x.cnid), Some(cnid));
        }
    }

    #[test]
    fn disk_to_mac_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        for scheme in schemes() {
            let _ = scheme.disk_to_mac(&bytes);
        }
        let _ = parse_mangled(&bytes);
        let _ = long_name_to_utf8(&bytes);
    }
}
