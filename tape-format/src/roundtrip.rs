//! Round-trip properties, shared by the fuzz targets (`fuzz/fuzz_targets/tape_header.rs`,
//! `tape_state_files.rs`, `simh_records.rs`) and the tests that replay their committed
//! corpora, so both apply the same assertion. Each function panics when a property fails
//! and never panics otherwise, whatever the input.

use crate::afbackup::{
    BytesOnTape, CartridgeLocations, CartridgeNames, CartridgeOrder, EverUsedBlocksizes, Label,
    PreciousTapes, RangeSet, ReadonlyTapes, StateError, Status, TapePos, TapeUses,
};
use crate::amanda::Header;
use crate::device::{BlockMode, ReadOutcome, TapeDevice};
use crate::simh::{Item, SimhTape, decode_item, encode_item};

/// An Amanda header or afbackup label that decodes re-encodes to text that decodes to the
/// same value, and that text is a fixed point of decode → encode.
pub fn header(data: &[u8]) {
    if let Ok(h) = Header::decode(data)
        && let Ok(text) = h.encode_text()
    {
        let again = Header::decode(text.as_bytes()).expect("re-encoded header must decode");
        assert_eq!(again, h, "header changed in a round trip");
        assert_eq!(
            again.encode_text().as_deref(),
            Ok(text.as_str()),
            "encoding is not stable"
        );
    }
    if let Ok(l) = Label::decode(data)
        && let Ok(bytes) = l.encode()
    {
        let again = Label::decode(&bytes).expect("re-encoded label must decode");
        assert_eq!(again.encode(), Ok(bytes), "label encoding is not stable");
    }
}

fn state<T: PartialEq + std::fmt::Debug>(
    text: &str,
    decode: fn(&str) -> Result<T, StateError>,
    encode: fn(&T) -> String,
) {
    if let Ok(v) = decode(text) {
        let out = encode(&v);
        let again = decode(&out).expect("re-encoded state file must decode");
        assert_eq!(encode(&again), out, "state file encoding is not stable");
    }
}

/// The first byte picks a state file (or the range syntax); the rest is its text. What
/// decodes re-encodes to text that decodes and re-encodes to the same bytes.
pub fn state_file(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    match which % 11 {
        0 => state(text, BytesOnTape::decode, BytesOnTape::encode),
        1 => state(text, TapePos::decode, TapePos::encode),
        2 => state(text, PreciousTapes::decode, PreciousTapes::encode),
        3 => state(text, ReadonlyTapes::decode, ReadonlyTapes::encode),
        4 => state(text, CartridgeOrder::decode, CartridgeOrder::encode),
        5 => state(text, TapeUses::decode, TapeUses::encode),
        6 => state(text, CartridgeLocations::decode, CartridgeLocations::encode),
        7 => state(text, CartridgeNames::decode, CartridgeNames::encode),
        8 => state(text, EverUsedBlocksizes::decode, EverUsedBlocksizes::encode),
        9 => state(text, Status::decode, Status::encode),
        _ => {
            if let Ok(r) = RangeSet::parse(text) {
                let s = r.to_string();
                assert_eq!(
                    RangeSet::parse(&s).as_ref(),
                    Ok(&r),
                    "range set changed in a round trip"
                );
            }
        }
    }
}

/// SIMH items decode, re-encode to the same items, and the re-encoding is a fixed point;
/// a [`SimhTape`] over the bytes reads every block without panicking and finds as many
/// data records as the item walk.
pub fn simh(data: &[u8]) {
    let mut items = Vec::new();
    let mut off = 0;
    while let Ok(Some((item, n))) = decode_item(&data[off..]) {
        assert!(n > 0 && off + n <= data.len());
        items.push(item);
        off += n;
    }
    let mut out = Vec::new();
    for it in &items {
        encode_item(it, &mut out);
    }
    let mut again = Vec::new();
    let mut o = 0;
    while let Ok(Some((item, n))) = decode_item(&out[o..]) {
        again.push(item);
        o += n;
    }
    assert_eq!(o, out.len(), "re-encoded items must decode completely");
    assert_eq!(again, items, "items changed in a round trip");

    let Ok(mut tape) = SimhTape::open(data.to_vec(), BlockMode::Variable { max: 1 << 24 }) else {
        return;
    };
    let expected = items
        .iter()
        .take_while(|i| !matches!(i, Item::EndOfMedium))
        .filter(|i| matches!(i, Item::Record { .. }))
        .count();
    let mut buf = vec![0u8; 1 << 16];
    let (mut records, mut steps) = (0, 0);
    loop {
        steps += 1;
        if steps > data.len() + 2 {
            panic!("reader does not make progress");
        }
        match tape.read_block(&mut buf) {
            Ok(ReadOutcome::Block(_)) => records += 1,
            Ok(ReadOutcome::Filemark) => {}
            Ok(ReadOutcome::EndOfData) => break,
            Err(crate::DeviceError::BufferTooSmall { .. }) => records += 1,
            Err(_) => {
                records += 1;
            }
        }
    }
    if tape.index().corrupt_at().is_none() {
        assert_eq!(records, expected, "tape reader and item walk disagree");
    }
}
