//! Decode → encode → decode must be stable for every message we accept, in both
//! compression modes and when split into small packets.
#![no_main]
use bytes::{Bytes, BytesMut};
use mdns_records::{Compression, Message};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(msg) = Message::decode(&Bytes::copy_from_slice(data)) else {
        return;
    };
    for compression in [Compression::Classic, Compression::Multicast] {
        let mut dst = BytesMut::new();
        msg.encode_with(&mut dst, compression);
        assert_eq!(Message::decode(&dst.freeze()).expect("re-decode"), msg);
    }
    let answers: Vec<_> = msg
        .encode_split(256, Compression::Multicast)
        .iter()
        .flat_map(|p| Message::decode(p).expect("split packet decodes").answers)
        .collect();
    assert_eq!(answers, msg.answers);
});
