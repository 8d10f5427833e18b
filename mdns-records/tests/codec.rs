//! The message codec against the golden vectors in `tests/data` (copied from
//! `shared/vectors/mdns`, see `tests/data/README.md`) and against generated messages.

mod common;

use bytes::{Bytes, BytesMut};
use common::*;
use mdns_records::{Compression, DecodeError, Message, RData, RecordType};
use proptest::prelude::*;

#[test]
fn example_decodes_to_the_spec_records_and_re_encodes_byte_for_byte() {
    let bytes = Bytes::from_static(EXAMPLE);
    let decoded = Message::decode(&bytes).unwrap();
    let expected = example_message();
    assert_eq!(decoded, expected);
    assert_eq!(decoded.id, 0);
    assert_eq!(decoded.flags.0, 0x8400);
    // Spot-check the walk in spec §5.
    let txt = &decoded.answers[2];
    assert!(
        matches!(&txt.data, RData::Txt(t) if t.is_empty()) && txt.cache_flush && txt.ttl == 4500
    );
    assert!(!decoded.answers[0].cache_flush);
    let adisk = &decoded.answers[8];
    let RData::Txt(t) = &adisk.data else {
        panic!("TXT expected")
    };
    assert_eq!(
        t.get("dk0"),
        Some(Some(
            &b"adVN=time_mach,adVF=0xa1,adVU=0b5c4c39-1b7a-4d0e-9a52-3f2f4f6b7a11"[..]
        ))
    );
    assert_eq!(decoded.additionals[0].rtype(), RecordType::NSEC);
    // Encoding the builders' records gives the vector.
    assert_eq!(&expected.to_bytes()[..], EXAMPLE);
}

#[test]
fn goodbye_twin_differs_only_in_ttls() {
    let mut expected = example_message();
    for r in expected.answers.iter_mut().chain(&mut expected.additionals) {
        r.ttl = 0;
    }
    let decoded = Message::decode(&Bytes::from_static(EXAMPLE_GOODBYE)).unwrap();
    assert_eq!(decoded, expected);
    assert_eq!(&expected.to_bytes()[..], EXAMPLE_GOODBYE);
}

#[test]
fn multicast_compression_is_smaller_and_equivalent() {
    let msg = example_message();
    let mut dst = BytesMut::new();
    msg.encode_with(&mut dst, Compression::Multicast);
    // The first SRV target `zf.local.` becomes `02 zf c0 1d` (5 bytes saved), the other
    // two and the A record's owner point at it (8, 8 and 3 bytes saved).
    assert_eq!(dst.len(), EXAMPLE.len() - 5 - 8 - 8 - 3);
    assert_eq!(Message::decode(&dst.freeze()).unwrap(), msg);
}

#[test]
fn bad_vectors_are_rejected_with_specific_errors() {
    let cases: [(&[u8], DecodeError); 5] = [
        (
            include_bytes!("data/bad-forward-ptr.bin"),
            DecodeError::ForwardPointer {
                at: 0x33,
                target: 0x1a0,
            },
        ),
        (
            include_bytes!("data/bad-label-64.bin"),
            DecodeError::BadLabelType(0x40),
        ),
        (
            include_bytes!("data/bad-ptr-loop.bin"),
            DecodeError::PointerLoop { at: 12, target: 12 },
        ),
        (
            include_bytes!("data/bad-truncated.bin"),
            DecodeError::Truncated("name"),
        ),
        (
            include_bytes!("data/bad-txt-overrun.bin"),
            DecodeError::TxtOverrun,
        ),
    ];
    for (bytes, want) in cases {
        assert_eq!(Message::decode_slice(bytes), Err(want));
    }
}

#[test]
fn every_prefix_is_truncated() {
    for vector in [EXAMPLE, EXAMPLE_GOODBYE] {
        for len in 0..vector.len() {
            match Message::decode_slice(&vector[..len]) {
                Err(DecodeError::Truncated(_)) => {}
                other => panic!("prefix of {len} bytes: {other:?}"),
            }
        }
    }
}

#[test]
fn trailing_bytes_and_more_strictness() {
    let mut long = EXAMPLE.to_vec();
    long.push(0);
    assert_eq!(
        Message::decode_slice(&long),
        Err(DecodeError::TrailingBytes(1))
    );
    // A record of type A with 3 bytes of rdata.
    let mut bad_a = EXAMPLE.to_vec();
    let at = 0x19a; // RDLENGTH of RR13 (A)
    assert_eq!(&bad_a[at..at + 2], &[0, 4]);
    bad_a[at + 1] = 3;
    bad_a.remove(at + 2);
    assert_eq!(
        Message::decode_slice(&bad_a),
        Err(DecodeError::BadRdataLength { rtype: 1, len: 3 })
    );
    // Question k's name is a 63-byte label plus a pointer to question k-1's name, so
    // question 3's name is 257 bytes long once decompressed.
    let mut q = vec![0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0];
    let mut prev: Option<usize> = None;
    for _ in 0..4 {
        let here = q.len();
        q.push(63);
        q.extend_from_slice(&[b'a'; 63]);
        match prev {
            Some(p) => q.extend_from_slice(&[0xc0 | (p >> 8) as u8, p as u8]),
            None => q.push(0),
        }
        q.extend_from_slice(&[0, 1, 0, 1]);
        prev = Some(here);
    }
    assert_eq!(Message::decode_slice(&q), Err(DecodeError::NameTooLong));
    q[5] = 3;
    q.truncate(q.len() - 70);
    assert_eq!(
        Message::decode_slice(&q).unwrap().questions[2]
            .name
            .wire_len(),
        193
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn round_trip(msg in arb_message(), multicast in any::<bool>()) {
        let compression = if multicast { Compression::Multicast } else { Compression::Classic };
        let mut dst = BytesMut::new();
        msg.encode_with(&mut dst, compression);
        prop_assert_eq!(Message::decode(&dst.freeze()).unwrap(), msg);
    }

    #[test]
    fn split_round_trip(msg in arb_message(), max in 64usize..600) {
        let mut records = Vec::new();
        for p in msg.encode_split(max, Compression::Multicast) {
            let d = Message::decode(&p).unwrap();
            records.extend(d.answers);
        }
        prop_assert_eq!(records, msg.answers);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(m) = Message::decode_slice(&bytes) {
            let again = Message::decode(&m.to_bytes()).unwrap();
            prop_assert_eq!(again, m);
        }
    }

    #[test]
    fn mutated_example_never_panics(flips in proptest::collection::vec((0usize..441, any::<u8>()), 1..6)) {
        let mut bytes = EXAMPLE.to_vec();
        for (i, b) in flips {
            bytes[i] = b;
        }
        if let Ok(m) = Message::decode_slice(&bytes) {
            prop_assert_eq!(Message::decode(&m.to_bytes()).unwrap(), m);
        }
    }
}

/// The committed fuzz corpus, replayed with the fuzz target's assertion.
#[test]
fn fuzz_corpus_replays() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/corpus/mdns_message");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).expect("fuzz/corpus/mdns_message exists") {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        if let Ok(m) = Message::decode_slice(&bytes) {
            for compression in [Compression::Classic, Compression::Multicast] {
                let mut dst = BytesMut::new();
                m.encode_with(&mut dst, compression);
                assert_eq!(Message::decode(&dst.freeze()).unwrap(), m);
            }
        }
        count += 1;
    }
    assert!(count >= 7, "corpus has only {count} files");
}
