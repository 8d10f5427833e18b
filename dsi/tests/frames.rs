//! Framing properties: every strict prefix needs more bytes, and every frame
//! type survives encode → decode under any split of the byte stream.

mod common;

use bytes::{Bytes, BytesMut};
use dsi::{
    Attention, Command, DecoderConfig, Flags, Frame, FrameDecoder, Header, OptionType,
    SessionOption, SessionOptions, UnknownOption,
};
use proptest::prelude::*;

fn decode_all(dec: &mut FrameDecoder, src: &mut BytesMut) -> Vec<Frame> {
    let mut out = Vec::new();
    while let Some(f) = dec.decode(src).expect("valid input") {
        out.push(f);
    }
    out
}

#[test]
fn every_strict_prefix_needs_more() {
    for s in common::samples() {
        let wire = s.wire();
        let command_end = if s.header.is_write_request() {
            16 + s.header.write_offset() as usize
        } else {
            wire.len()
        };
        for k in 0..wire.len() {
            let mut dec = FrameDecoder::new(DecoderConfig::default());
            let mut src = BytesMut::from(&wire[..k]);
            let frames = decode_all(&mut dec, &mut src);
            if k < command_end {
                assert!(frames.is_empty(), "{} prefix {k}: {frames:?}", s.name);
            } else {
                // A DSIWrite prefix past its command block: the command, then
                // the data so far, with the rest still announced as remaining.
                let Some((Frame::WriteStart { header, command }, data)) = frames.split_first()
                else {
                    panic!("{} prefix {k}: {frames:?}", s.name)
                };
                assert_eq!(*header, s.header);
                assert_eq!(&command[..], &s.payload[..command.len()]);
                let got: usize = data
                    .iter()
                    .map(|f| match f {
                        Frame::WriteData { data, remaining } => {
                            assert!(*remaining > 0, "{} prefix {k}", s.name);
                            data.len()
                        }
                        other => panic!("{other:?}"),
                    })
                    .sum();
                assert_eq!(got, k - command_end);
            }
            // Mid-frame is visible: a consumed header or buffered bytes.
            assert_eq!(
                dec.is_mid_frame() || !src.is_empty(),
                k > 0,
                "{} prefix {k}",
                s.name
            );
            // The rest completes the frame.
            src.extend_from_slice(&wire[k..]);
            let rest = decode_all(&mut dec, &mut src);
            assert!(!rest.is_empty(), "{} prefix {k}", s.name);
            assert!(!dec.is_mid_frame());
            assert!(src.is_empty());
        }
    }
}

#[test]
fn samples_decode_and_reencode_exactly() {
    let mut wire = BytesMut::new();
    for s in common::samples() {
        wire.extend_from_slice(&s.wire());
    }
    let original = wire.clone().freeze();
    let mut dec = FrameDecoder::new(DecoderConfig::default());
    let frames = decode_all(&mut dec, &mut wire);
    let mut again = BytesMut::new();
    for f in &frames {
        f.encode(&mut again);
    }
    assert_eq!(again.freeze(), original);
}

/// A message as the test generates it; a write keeps its data whole.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Msg {
    Whole(Header, Bytes),
    Write(Header, Bytes, Bytes),
}

fn encode_msgs(msgs: &[Msg]) -> Vec<u8> {
    let mut out = Vec::new();
    for m in msgs {
        match m {
            Msg::Whole(h, p) => Frame::Message {
                header: *h,
                payload: p.clone(),
            }
            .encode(&mut out),
            Msg::Write(h, c, d) => {
                h.encode(&mut out);
                out.extend_from_slice(c);
                out.extend_from_slice(d);
            }
        }
    }
    out
}

/// Joins WriteStart + WriteData pieces back into whole writes.
fn normalise(frames: Vec<Frame>) -> Vec<Msg> {
    let mut out = Vec::new();
    for f in frames {
        match f {
            Frame::Message { header, payload } => out.push(Msg::Whole(header, payload)),
            Frame::WriteStart { header, command } => {
                out.push(Msg::Write(header, command, Bytes::new()))
            }
            Frame::WriteData { data, .. } => {
                let Some(Msg::Write(_, _, d)) = out.last_mut() else {
                    panic!("data without a write")
                };
                let mut joined = d.to_vec();
                joined.extend_from_slice(&data);
                *d = Bytes::from(joined);
            }
        }
    }
    out
}

fn bytes(max: usize) -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(any::<u8>(), 0..max).prop_map(Bytes::from)
}

fn header_fields() -> impl Strategy<Value = (Flags, u8, u16, u32, u32)> {
    (
        prop_oneof![Just(Flags::Request), Just(Flags::Reply)],
        any::<u8>(),
        any::<u16>(),
        any::<u32>(),
        any::<u32>(),
    )
}

fn msg() -> impl Strategy<Value = Msg> {
    let whole = (header_fields(), bytes(300)).prop_map(|((flags, cmd, id, code, reserved), p)| {
        // A write request is streamed, so it is generated below instead.
        let command = if flags == Flags::Request && cmd == 6 {
            Command::COMMAND
        } else {
            Command(cmd)
        };
        let header = Header {
            flags,
            command,
            request_id: id,
            code,
            total_len: p.len() as u32,
            reserved,
        };
        Msg::Whole(header, p)
    });
    let write =
        (any::<u16>(), any::<u32>(), bytes(64), bytes(3000)).prop_map(|(id, reserved, c, d)| {
            let mut h = Header::write(id, c.len() as u32, (c.len() + d.len()) as u32);
            h.reserved = reserved;
            Msg::Write(h, c, d)
        });
    prop_oneof![3 => whole, 1 => write]
}

fn option() -> impl Strategy<Value = SessionOption> {
    prop_oneof![
        any::<u32>().prop_map(SessionOption::ServerQuantum),
        any::<u32>().prop_map(SessionOption::AttentionQuantum),
        any::<u32>().prop_map(SessionOption::ReplayCacheSize),
        (3u8.., bytes(256)).prop_map(|(k, v)| {
            SessionOption::Unknown(UnknownOption::new(OptionType(k), v).unwrap())
        }),
    ]
}

proptest! {
    #[test]
    fn header_round_trip((flags, cmd, id, code, reserved) in header_fields(), len in any::<u32>()) {
        let h = Header { flags, command: Command(cmd), request_id: id, code, total_len: len, reserved };
        prop_assert_eq!(Header::decode(&h.to_bytes()), Ok(Some(h)));
    }

    #[test]
    fn frames_round_trip_under_any_split(
        msgs in proptest::collection::vec(msg(), 0..8),
        cuts in proptest::collection::vec(1usize..700, 1..40),
    ) {
        let wire = encode_msgs(&msgs);
        let mut dec = FrameDecoder::new(DecoderConfig::default());
        let mut src = BytesMut::new();
        let mut frames = Vec::new();
        let mut pos = 0;
        for cut in cuts.iter().cycle() {
            if pos >= wire.len() { break }
            let end = (pos + cut).min(wire.len());
            src.extend_from_slice(&wire[pos..end]);
            pos = end;
            frames.extend(decode_all(&mut dec, &mut src));
        }
        prop_assert!(src.is_empty());
        prop_assert!(!dec.is_mid_frame());
        prop_assert_eq!(normalise(frames), msgs);
    }

    #[test]
    fn options_round_trip(opts in proptest::collection::vec(option(), 0..6)) {
        let opts = SessionOptions(opts);
        let b = opts.to_bytes();
        prop_assert_eq!(b.len(), opts.encoded_len());
        prop_assert_eq!(SessionOptions::decode(&b), Ok(opts));
    }

    #[test]
    fn options_never_panic(b in bytes(64)) {
        if let Ok(o) = SessionOptions::decode(&b) {
            prop_assert_eq!(o.to_bytes(), b);
        }
    }

    #[test]
    fn attention_round_trip(v in any::<u16>()) {
        let a = Attention(v);
        prop_assert_eq!(Attention::from_payload(&a.payload(2)), a);
        prop_assert_eq!(Attention::from_payload(&a.payload(1)), Attention(v & 0xFF00));
    }

    /// Arbitrary bytes, arbitrarily split: never a panic, and whatever decodes
    /// re-encodes to exactly the bytes it came from.
    #[test]
    fn arbitrary_bytes_never_panic(
        wire in proptest::collection::vec(any::<u8>(), 0..600),
        cuts in proptest::collection::vec(1usize..64, 1..10),
        small in any::<bool>(),
    ) {
        let config = if small {
            DecoderConfig { max_message_len: 100, max_write_command_len: 8, max_write_data_len: 100 }
        } else {
            DecoderConfig::default()
        };
        let mut dec = FrameDecoder::new(config);
        let mut src = BytesMut::new();
        let mut frames = Vec::new();
        let mut pos = 0;
        'feed: for cut in cuts.iter().cycle() {
            if pos >= wire.len() { break }
            let end = (pos + cut).min(wire.len());
            src.extend_from_slice(&wire[pos..end]);
            pos = end;
            loop {
                match dec.decode(&mut src) {
                    Ok(Some(f)) => frames.push(f),
                    Ok(None) => break,
                    Err(_) => break 'feed,
                }
            }
        }
        let mut again = Vec::new();
        for f in &frames {
            f.encode(&mut again);
        }
        prop_assert_eq!(&again[..], &wire[..again.len()]);
    }
}
