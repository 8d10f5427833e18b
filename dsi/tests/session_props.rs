//! Arbitrary input never panics a session, and an error always closes it.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use dsi::{
    Attention, ClientConfig, ClientSession, Command, Flags, Frame, Header, ServerConfig,
    ServerSession,
};
use proptest::prelude::*;

#[allow(clippy::disallowed_methods)] // the one real instant the virtual clock starts from
fn t0() -> Instant {
    Instant::now()
}

fn open_request() -> BytesMut {
    let mut b = BytesMut::new();
    Frame::request(
        Command::OPEN_SESSION,
        0,
        Bytes::from_static(&[1, 4, 0, 0, 4, 0]),
    )
    .encode(&mut b);
    b
}

/// Plausible frames: known and unknown commands, both flags, small payloads.
fn frame() -> impl Strategy<Value = Frame> {
    (
        prop_oneof![Just(Flags::Request), Just(Flags::Reply)],
        prop_oneof![(1u8..=8), any::<u8>()],
        0u16..8,
        any::<u32>(),
        proptest::collection::vec(any::<u8>(), 0..40),
        any::<bool>(),
    )
        .prop_map(|(flags, cmd, id, code, payload, split)| {
            let payload = Bytes::from(payload);
            let len = payload.len() as u32;
            if flags == Flags::Request && cmd == 6 && split {
                let offset = (code % (len + 1)).min(len);
                let mut p = payload.clone();
                let command = p.split_to(offset as usize);
                Frame::WriteStart {
                    header: Header::write(id, offset, len),
                    command,
                }
            } else if cmd == 6 && split {
                Frame::WriteData {
                    data: payload,
                    remaining: code,
                }
            } else {
                Frame::Message {
                    header: Header {
                        flags,
                        command: Command(cmd),
                        request_id: id,
                        code,
                        total_len: len,
                        reserved: 0,
                    },
                    payload,
                }
            }
        })
}

fn drain_server(s: &mut ServerSession, now: Instant, reply_to: u16) {
    let _ = s.reply(reply_to, 0, Bytes::from_static(b"r"));
    let _ = s.send_attention(Attention::volume_changed());
    while s.poll_event().is_some() {}
    while s.poll_transmit(now).is_some() {}
    if s.is_closed() {
        assert_eq!(s.poll_timeout(), None);
        assert_eq!(s.outstanding(), 0);
    }
}

proptest! {
    #[test]
    fn server_survives_arbitrary_bytes(
        wire in proptest::collection::vec(any::<u8>(), 0..400),
        cut in 1usize..50,
        opened in any::<bool>(),
        step in 0u64..200,
    ) {
        let mut now = t0();
        let mut s = ServerSession::new(ServerConfig::default(), now);
        let mut src = if opened { open_request() } else { BytesMut::new() };
        for (i, piece) in wire.chunks(cut).enumerate() {
            src.extend_from_slice(piece);
            let r = s.handle_input(now, &mut src);
            if r.is_err() {
                prop_assert!(s.is_closed());
                break;
            }
            drain_server(&mut s, now, i as u16);
            now += Duration::from_secs(step);
            s.handle_timeout(now);
        }
    }

    #[test]
    fn server_survives_arbitrary_frames(
        frames in proptest::collection::vec(frame(), 0..30),
        opened in any::<bool>(),
    ) {
        let now = t0();
        let mut s = ServerSession::new(ServerConfig::default(), now);
        if opened {
            s.handle_input(now, &mut open_request()).unwrap();
        }
        for (i, f) in frames.into_iter().enumerate() {
            if s.handle_frame(now, f).is_err() {
                prop_assert!(s.is_closed());
                break;
            }
            drain_server(&mut s, now, i as u16 % 8);
        }
    }

    #[test]
    fn client_survives_arbitrary_bytes(
        wire in proptest::collection::vec(any::<u8>(), 0..400),
        cut in 1usize..50,
        opened in any::<bool>(),
        step in 0u64..200,
    ) {
        let mut now = t0();
        let mut c = ClientSession::new(ClientConfig::default(), now);
        c.open(now).unwrap();
        let mut src = BytesMut::new();
        if opened {
            Frame::reply(Command::OPEN_SESSION, 0, 0, Bytes::from_static(&[0, 4, 0, 0, 1, 0]))
                .encode(&mut src);
        }
        for piece in wire.chunks(cut) {
            src.extend_from_slice(piece);
            if c.handle_input(now, &mut src).is_err() {
                prop_assert!(c.is_closed());
                break;
            }
            let _ = c.send_command(Bytes::from_static(&[0x10, 0]));
            let _ = c.send_write(Bytes::from_static(&[61]), Bytes::from_static(b"xyz"));
            while c.poll_event().is_some() {}
            while c.poll_transmit(now).is_some() {}
            now += Duration::from_secs(step);
            c.handle_timeout(now);
        }
    }
}
