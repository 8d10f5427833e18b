//! Replays the committed seed corpora of the `afp_request`, `afp_reply` and `afp_status`
//! fuzz targets (`fuzz/corpus/<target>/`) with the same assertion as the targets: whatever
//! decodes re-encodes to bytes that decode to the same value.
//!
//! `cargo test -p afp-proto --test fuzz_corpus -- --ignored write_seed_corpora` regenerates
//! seeds from the property-test strategies (deterministic runner); minimise them with
//! `cargo fuzz cmin` afterwards.

mod common;

use std::path::PathBuf;

use afp_proto::AfpVersion;
use afp_proto::command::{CommandCode, Reply, ReplyContext, Request};
use afp_proto::status::ServerStatus;
use bytes::{Bytes, BytesMut};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

fn corpus(target: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/corpus")).join(target)
}

fn inputs(target: &str) -> Vec<(PathBuf, Bytes)> {
    let dir = corpus(target);
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let data = std::fs::read(&p).unwrap();
            (p, Bytes::from(data))
        })
        .collect();
    out.sort();
    assert!(
        out.len() >= 10,
        "{} holds only {} seeds",
        dir.display(),
        out.len()
    );
    out
}

/// The assertion of `fuzz_targets/afp_request.rs`.
fn check_request(data: &Bytes) {
    if let Ok(req) = Request::decode(data) {
        assert_eq!(req.code().0, data[0]);
        let mut dst = BytesMut::new();
        req.encode(&mut dst);
        let again = Request::decode(&dst.freeze()).expect("re-encoded request decodes");
        assert_eq!(again, req);
    }
}

/// The contexts `fuzz_targets/afp_reply.rs` decodes with.
const CONTEXTS: [(AfpVersion, u8); 4] = [
    (AfpVersion::V3_4, 0),
    (AfpVersion::V2_2, 0),
    (AfpVersion::V3_4, 3),
    (AfpVersion::V3_4, 5),
];

/// The assertion of `fuzz_targets/afp_reply.rs` (first byte = command code, rest = body).
fn check_reply(data: &Bytes) {
    let Some((&code, _)) = data.split_first() else {
        return;
    };
    let body = data.slice(1..);
    for (version, sub) in CONTEXTS {
        let ctx = ReplyContext::new(version).with_subfunction(sub);
        if let Ok(reply) = Reply::decode(CommandCode(code), &body, ctx) {
            let mut dst = BytesMut::new();
            reply.encode(&mut dst);
            let again = Reply::decode(CommandCode(code), &dst.freeze(), ctx)
                .expect("re-encoded reply decodes");
            assert_eq!(again, reply);
        }
    }
}

/// The assertion of `fuzz_targets/afp_status.rs`.
fn check_status(data: &Bytes) {
    if let Ok(status) = ServerStatus::decode(data) {
        let mut dst = BytesMut::new();
        status.encode(&mut dst);
        let again = ServerStatus::decode(&dst.freeze()).expect("re-encoded status decodes");
        assert_eq!(again, status);
    }
}

#[test]
fn afp_request_corpus() {
    for (path, data) in inputs("afp_request") {
        println!("{}", path.display());
        check_request(&data);
    }
}

#[test]
fn afp_reply_corpus() {
    for (path, data) in inputs("afp_reply") {
        println!("{}", path.display());
        check_reply(&data);
    }
}

#[test]
fn afp_status_corpus() {
    for (path, data) in inputs("afp_status") {
        println!("{}", path.display());
        check_status(&data);
    }
}

fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

fn write_seed(target: &str, data: &[u8]) {
    let path = corpus(target).join(format!("seed-{:016x}", fnv(data)));
    std::fs::write(path, data).unwrap();
}

#[test]
#[ignore = "writes fuzz/corpus seeds; run by hand"]
fn write_seed_corpora() {
    for t in ["afp_request", "afp_reply", "afp_status"] {
        std::fs::create_dir_all(corpus(t)).unwrap();
    }
    let mut runner = TestRunner::deterministic();
    let requests = common::request();
    for _ in 0..400 {
        let req = requests.new_tree(&mut runner).unwrap().current();
        let mut dst = BytesMut::new();
        req.encode(&mut dst);
        write_seed("afp_request", &dst);
    }
    let replies = common::reply();
    for _ in 0..400 {
        let (reply, _) = replies.new_tree(&mut runner).unwrap().current();
        let mut dst = BytesMut::from(&[reply.code().0][..]);
        reply.encode(&mut dst);
        write_seed("afp_reply", &dst);
    }
    let statuses = common::reply().prop_filter_map("status", |(r, _)| match r {
        Reply::GetSrvrInfo(s) => Some(s),
        _ => None,
    });
    for _ in 0..40 {
        let s = statuses.new_tree(&mut runner).unwrap().current();
        let mut dst = BytesMut::new();
        s.encode(&mut dst);
        write_seed("afp_status", &dst);
    }
}
