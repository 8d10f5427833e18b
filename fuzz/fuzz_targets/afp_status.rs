//! Server status block decoder: whatever decodes re-encodes to a block that decodes equal.
#![no_main]

use afp_proto::status::ServerStatus;
use bytes::{Bytes, BytesMut};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let data = Bytes::copy_from_slice(data);
    if let Ok(status) = ServerStatus::decode(&data) {
        let mut dst = BytesMut::new();
        status.encode(&mut dst);
        let again = ServerStatus::decode(&dst.freeze()).expect("re-encoded status decodes");
        assert_eq!(again, status);
    }
});
