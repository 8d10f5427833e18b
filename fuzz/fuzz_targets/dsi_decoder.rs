#![no_main]
use bytes::BytesMut;
use dsi::{DecoderConfig, Frame, FrameDecoder};

fn frames(bytes: &[u8]) -> Vec<Frame> {
    let mut dec = FrameDecoder::new(DecoderConfig::default());
    let mut src = BytesMut::from(bytes);
    std::iter::from_fn(|| dec.decode(&mut src).ok().flatten()).collect()
}

// Decode → encode → decode is stable: the frames re-encode to exactly the bytes
// they came from, and those bytes decode to the same frames.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let first = frames(data);
    let mut again = Vec::new();
    first.iter().for_each(|f| f.encode(&mut again));
    assert_eq!(&again[..], &data[..again.len()]);
    assert_eq!(frames(&again), first);
});
