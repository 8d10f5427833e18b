//! DSI benchmarks: header encode/decode per frame, and a 1 MiB DSIWrite
//! streamed through the decoder (and the server session) in 64 KiB pieces,
//! against a plain memcpy of the same bytes in the same pieces.
//!
//! Run: `cargo bench -p benches --bench dsi`.

use std::hint::black_box;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dsi::{
    Command, DecoderConfig, Frame, FrameDecoder, Header, ServerConfig, ServerEvent, ServerSession,
};

const WRITE_DATA: usize = 1 << 20;
const PIECE: usize = 64 * 1024;

/// A DSIWrite carrying FPWriteExt and 1 MiB of data, as on the wire.
fn write_wire() -> Vec<u8> {
    let mut w = Vec::with_capacity(16 + 20 + WRITE_DATA);
    Header::write(7, 20, (20 + WRITE_DATA) as u32).encode(&mut w);
    w.extend_from_slice(&[61, 0, 0, 1]);
    w.extend_from_slice(&0u64.to_be_bytes());
    w.extend_from_slice(&(WRITE_DATA as u64).to_be_bytes());
    w.extend((0..WRITE_DATA).map(|i| (i % 251) as u8));
    w
}

fn header(c: &mut Criterion) {
    let mut g = c.benchmark_group("dsi_header");
    g.throughput(Throughput::Elements(1));
    let h = Header::reply(Command::COMMAND, 4242, -5000, 1234);
    g.bench_function("encode", |b| {
        b.iter(|| black_box(black_box(&h).to_bytes()));
    });
    let bytes = h.to_bytes();
    g.bench_function("decode", |b| {
        b.iter(|| black_box(Header::decode(black_box(&bytes[..]))));
    });
    // A whole small frame through the FrameDecoder (header + 2-byte payload).
    let mut wire = BytesMut::new();
    Frame::request(Command::COMMAND, 1, Bytes::from_static(&[0x10, 0])).encode(&mut wire);
    let wire = wire.freeze();
    let mut dec = FrameDecoder::new(DecoderConfig::default());
    let mut src = BytesMut::with_capacity(4096);
    g.bench_function("frame_decode_small", |b| {
        b.iter(|| {
            src.extend_from_slice(&wire);
            black_box(dec.decode(&mut src).unwrap())
        });
    });
    g.finish();
}

fn write_stream(c: &mut Criterion) {
    let wire = write_wire();
    let mut g = c.benchmark_group("dsi_write_1MiB_in_64KiB");
    g.throughput(Throughput::Bytes(wire.len() as u64));

    // Peer: the copy any reader does anyway (socket → buffer), nothing else.
    let mut buf = BytesMut::with_capacity(PIECE);
    g.bench_function("memcpy", |b| {
        b.iter(|| {
            let mut n = 0;
            for piece in wire.chunks(PIECE) {
                buf.extend_from_slice(piece);
                n += buf.len();
                black_box(&buf[..]);
                buf.clear();
            }
            n
        });
    });

    // The same copy plus FrameDecoder: WriteStart, then zero-copy pieces.
    let mut src = BytesMut::with_capacity(PIECE);
    g.bench_function("frame_decoder", |b| {
        b.iter(|| {
            let mut dec = FrameDecoder::new(DecoderConfig::default());
            let mut n = 0;
            for piece in wire.chunks(PIECE) {
                src.reserve(PIECE);
                src.extend_from_slice(piece);
                while let Some(f) = dec.decode(&mut src).unwrap() {
                    if let Frame::WriteData { data, .. } = f {
                        n += black_box(data).len();
                    }
                }
            }
            assert_eq!(n, WRITE_DATA);
            n
        });
    });

    // The same through a ServerSession (events with request IDs).
    #[allow(clippy::disallowed_methods)] // a bench binary may read the clock
    let now = Instant::now();
    let mut open = BytesMut::new();
    Frame::request(Command::OPEN_SESSION, 0, Bytes::new()).encode(&mut open);
    let mut src = BytesMut::with_capacity(PIECE);
    g.bench_function("server_session", |b| {
        b.iter(|| {
            let mut s = ServerSession::new(ServerConfig::default(), now);
            s.handle_input(now, &mut open.clone()).unwrap();
            let mut n = 0;
            for piece in wire.chunks(PIECE) {
                src.reserve(PIECE);
                src.extend_from_slice(piece);
                s.handle_input(now, &mut src).unwrap();
                while let Some(e) = s.poll_event() {
                    if let ServerEvent::WriteData { data, .. } = e {
                        n += black_box(data).len();
                    }
                }
            }
            assert_eq!(n, WRITE_DATA);
            n
        });
    });
    g.finish();
}

criterion_group!(benches, header, write_stream);
criterion_main!(benches);
