//! AFP request decoder: whatever decodes re-encodes to bytes that decode to the same value.
#![no_main]

use afp_proto::command::Request;
use bytes::{Bytes, BytesMut};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let data = Bytes::copy_from_slice(data);
    if let Ok(req) = Request::decode(&data) {
        assert_eq!(req.code().0, data[0]);
        let mut dst = BytesMut::new();
        req.encode(&mut dst);
        let again = Request::decode(&dst.freeze()).expect("re-encoded request decodes");
        assert_eq!(again, req);
    }
});
