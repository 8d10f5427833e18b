//! AFP reply decoder. Input: first byte = command code, rest = reply body; decoded with the
//! AFP 3.4 and 2.2 layouts and the FPMapID/FPMapName subfunctions 3 and 5, and every
//! accepted reply must survive encode → decode unchanged.
#![no_main]

use afp_proto::AfpVersion;
use afp_proto::command::{CommandCode, Reply, ReplyContext};
use bytes::{Bytes, BytesMut};

const CONTEXTS: [(AfpVersion, u8); 4] = [
    (AfpVersion::V3_4, 0),
    (AfpVersion::V2_2, 0),
    (AfpVersion::V3_4, 3),
    (AfpVersion::V3_4, 5),
];

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&code, body)) = data.split_first() else {
        return;
    };
    let body = Bytes::copy_from_slice(body);
    for (version, sub) in CONTEXTS {
        let ctx = ReplyContext::new(version).with_subfunction(sub);
        if let Ok(reply) = Reply::decode(CommandCode(code), &body, ctx) {
            let mut dst = BytesMut::new();
            reply.encode(&mut dst);
            let again = Reply::decode(CommandCode(code), &dst.freeze(), ctx).expect("re-decodes");
            assert_eq!(again, reply);
        }
    }
});
