//! Replays the committed seed corpus of the `dsi_decoder` fuzz target
//! (`fuzz/corpus/dsi_decoder/`) with the target's own assertion, so an
//! ordinary `cargo test` checks every seed and every crash input kept there.

use bytes::BytesMut;
use dsi::{DecoderConfig, Frame, FrameDecoder};

fn frames(bytes: &[u8]) -> Vec<Frame> {
    let (mut dec, mut src) = (
        FrameDecoder::new(DecoderConfig::default()),
        BytesMut::from(bytes),
    );
    std::iter::from_fn(|| dec.decode(&mut src).ok().flatten()).collect()
}

/// The assertion of `fuzz/fuzz_targets/dsi_decoder.rs`.
fn check(data: &[u8]) -> usize {
    let first = frames(data);
    let mut again = Vec::new();
    first.iter().for_each(|f| f.encode(&mut again));
    assert_eq!(&again[..], &data[..again.len()]);
    assert_eq!(frames(&again), first);
    first.len()
}

#[test]
fn corpus_replays() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/corpus/dsi_decoder");
    let mut files = 0;
    let mut decoded = 0;
    for entry in std::fs::read_dir(dir).expect("the committed corpus") {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let n = std::panic::catch_unwind(|| check(&data))
            .unwrap_or_else(|_| panic!("corpus file {} fails", path.display()));
        decoded += n;
        files += 1;
    }
    assert!(files >= 10, "only {files} corpus files in {dir}");
    assert!(decoded >= files, "the seeds should hold whole frames");
}
