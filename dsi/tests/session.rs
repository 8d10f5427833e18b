//! Two in-memory peers on a virtual clock: tickles, idle timeouts, sleep,
//! the replay cache, request-ID wrap, attentions, close, and streamed writes.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use dsi::{
    Attention, ClientConfig, ClientEvent, ClientSession, CloseReason, Command, ErrorCode, Flags,
    Frame, Header, ServerConfig, ServerEvent, ServerSession, ServerState, SessionError, Sleep,
    Transmit,
};

#[allow(clippy::disallowed_methods)] // the one real instant the virtual clock starts from
fn t0() -> Instant {
    Instant::now()
}

/// A server and a client joined by two in-memory pipes.
struct Pair {
    now: Instant,
    start: Instant,
    server: ServerSession,
    client: ClientSession,
    /// Headers the server sent, with the virtual time in seconds.
    server_sent: Vec<(u64, Header)>,
    client_sent: Vec<(u64, Header)>,
    server_events: Vec<ServerEvent>,
    client_events: Vec<ClientEvent>,
    /// When false, the client's bytes are lost (a vanished peer).
    client_link_up: bool,
    server_link_up: bool,
}

impl Pair {
    fn new(server: ServerConfig, client: ClientConfig) -> Self {
        let now = t0();
        Self {
            now,
            start: now,
            server: ServerSession::new(server, now),
            client: ClientSession::new(client, now),
            server_sent: Vec::new(),
            client_sent: Vec::new(),
            server_events: Vec::new(),
            client_events: Vec::new(),
            client_link_up: true,
            server_link_up: true,
        }
    }

    fn opened() -> Self {
        let mut p = Self::new(ServerConfig::default(), ClientConfig::default());
        p.client.open(p.now).unwrap();
        p.drive();
        assert_eq!(p.server.state(), ServerState::Open);
        assert!(matches!(
            p.client_events.pop(),
            Some(ClientEvent::Opened { .. })
        ));
        p.server_events.clear();
        p
    }

    fn secs(&self) -> u64 {
        (self.now - self.start).as_secs()
    }

    /// Moves bytes both ways until both sides are quiet. Returns whether
    /// anything moved.
    fn step(&mut self) -> bool {
        let mut moved = false;
        let mut to_server = BytesMut::new();
        while let Some(t) = self.client.poll_transmit(self.now) {
            self.client_sent.push((self.secs(), t.header));
            if self.client_link_up {
                t.encode(&mut to_server);
            }
            moved = true;
        }
        if !to_server.is_empty() {
            self.server
                .handle_input(self.now, &mut to_server)
                .expect("client speaks valid DSI");
        }
        while let Some(e) = self.server.poll_event() {
            self.server_events.push(e);
        }
        let mut to_client = BytesMut::new();
        while let Some(t) = self.server.poll_transmit(self.now) {
            self.server_sent.push((self.secs(), t.header));
            if self.server_link_up {
                t.encode(&mut to_client);
            }
            moved = true;
        }
        if !to_client.is_empty() {
            self.client
                .handle_input(self.now, &mut to_client)
                .expect("server speaks valid DSI");
        }
        while let Some(e) = self.client.poll_event() {
            self.client_events.push(e);
        }
        moved
    }

    fn drive(&mut self) {
        while self.step() {}
    }

    /// Jumps the clock straight to the next deadline of either side (if it
    /// comes before `limit`), fires it, and lets the peers talk.
    fn run_until(&mut self, limit: Instant) {
        loop {
            self.drive();
            let next = [self.server.poll_timeout(), self.client.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            match next {
                Some(t) if t <= limit => {
                    self.now = self.now.max(t);
                    self.server.handle_timeout(self.now);
                    self.client.handle_timeout(self.now);
                }
                _ => {
                    self.now = self.now.max(limit);
                    return;
                }
            }
        }
    }

    fn after(&self, secs: u64) -> Instant {
        self.start + Duration::from_secs(secs)
    }

    fn tickles(sent: &[(u64, Header)]) -> Vec<u64> {
        sent.iter()
            .filter(|(_, h)| h.command == Command::TICKLE)
            .map(|(t, _)| *t)
            .collect()
    }
}

#[test]
fn healthy_pair_stays_up_for_an_hour_in_microseconds() {
    let mut p = Pair::opened();
    p.run_until(p.after(3600));
    assert_eq!(p.server.state(), ServerState::Open);
    assert!(!p.client.is_closed());
    // The server tickles every 30 s of its own silence.
    let t = Pair::tickles(&p.server_sent);
    assert_eq!(t.len(), 120, "{t:?}");
    assert!(t.windows(2).all(|w| w[1] - w[0] == 30), "{t:?}");
    assert!(p.server_events.is_empty(), "{:?}", p.server_events);
}

#[test]
fn server_drops_a_silent_client_after_two_minutes() {
    let mut p = Pair::opened();
    p.client_link_up = false; // the client's machine vanished
    p.run_until(p.after(600));
    // Tickles at 30, 60 and 90 s; at 120 s the idle timeout wins.
    assert_eq!(Pair::tickles(&p.server_sent), [30, 60, 90]);
    assert_eq!(
        p.server_events,
        [ServerEvent::Closed(CloseReason::IdleTimeout)]
    );
    assert!(p.server.is_closed());
    assert_eq!(p.server.poll_timeout(), None);
}

#[test]
fn client_drops_a_silent_server_after_two_minutes() {
    let mut p = Pair::opened();
    p.server_link_up = false;
    p.run_until(p.after(600));
    assert_eq!(Pair::tickles(&p.client_sent), [30, 60, 90]);
    assert!(
        p.client_events
            .contains(&ClientEvent::Closed(CloseReason::IdleTimeout))
    );
    assert!(p.client.is_closed());
}

#[test]
fn tickles_only_fill_silence() {
    let mut p = Pair::opened();
    // The client sends a request every 20 s; the server answers at once, so
    // neither side is ever silent for 30 s.
    for i in 1..=30u64 {
        p.run_until(p.after(i * 20));
        let id = p
            .client
            .send_command(Bytes::from_static(&[0x10, 0]))
            .unwrap();
        p.drive();
        p.server.reply(id, 0, Bytes::new()).unwrap();
        p.drive();
    }
    assert!(Pair::tickles(&p.server_sent).is_empty());
    assert!(Pair::tickles(&p.client_sent).is_empty());
}

#[test]
fn first_message_must_arrive_within_the_open_timeout() {
    let mut p = Pair::new(ServerConfig::default(), ClientConfig::default());
    assert_eq!(p.server.poll_timeout(), Some(p.after(120)));
    p.run_until(p.after(1000));
    assert_eq!(
        p.server_events,
        [ServerEvent::Closed(CloseReason::IdleTimeout)]
    );
    assert!(p.server_sent.is_empty());
}

#[test]
fn sleeping_session_has_no_timers_until_woken() {
    let mut p = Pair::opened();
    // FPZzzzz: the app replies and puts both sides to sleep.
    let id = p
        .client
        .send_command(Bytes::from_static(&[0x7A, 0, 0, 0, 0, 0]))
        .unwrap();
    p.drive();
    p.server
        .reply(id, 0, Bytes::from_static(&[0, 0, 0, 10]))
        .unwrap();
    p.server.sleep(false);
    p.client.sleep();
    p.drive();
    assert_eq!(p.server.poll_timeout(), None);
    assert_eq!(p.client.poll_timeout(), None);
    let before = p.server_sent.len();
    p.run_until(p.after(5 * 3600));
    assert_eq!(p.server_sent.len(), before, "no tickles while asleep");
    assert_eq!(p.server.state(), ServerState::Open);
    assert_eq!(
        p.server.send_attention(Attention::server_message()),
        Err(SessionError::Asleep)
    );
    // The Mac wakes: any message ends an ordinary sleep on the server.
    p.client.wake(p.now);
    p.client
        .send_command(Bytes::from_static(&[0x10, 0]))
        .unwrap();
    p.drive();
    assert_eq!(p.server.sleep_state(), Sleep::Awake);
    assert_eq!(
        p.server.poll_timeout(),
        Some(p.now + Duration::from_secs(30))
    );
}

#[test]
fn extended_sleep_needs_an_explicit_wake() {
    let mut p = Pair::opened();
    p.server.sleep(true);
    p.client.sleep();
    p.run_until(p.after(3600));
    p.client.wake(p.now);
    p.client
        .send_command(Bytes::from_static(&[0x7A, 0, 0, 0, 0, 2]))
        .unwrap();
    p.drive();
    assert_eq!(p.server.sleep_state(), Sleep::Extended);
    assert_eq!(p.server.poll_timeout(), None);
    p.server.wake(p.now); // the app saw FPZzzzz flag 2
    assert_eq!(p.server.sleep_state(), Sleep::Awake);
    assert!(p.server.poll_timeout().is_some());
}

#[test]
fn open_session_reply_is_netatalks_exact_bytes() {
    let now = t0();
    let mut s = ServerSession::new(ServerConfig::default(), now);
    let mut input = BytesMut::new();
    Frame::request(
        Command::OPEN_SESSION,
        1,
        Bytes::from_static(&[1, 4, 0, 0, 0, 2]),
    )
    .encode(&mut input);
    s.handle_input(now, &mut input).unwrap();
    let mut out = BytesMut::new();
    s.poll_transmit(now).unwrap().encode(&mut out);
    assert_eq!(
        &out[..],
        &[
            1, 4, 0, 1, 0, 0, 0, 0, 0, 0, 0, 12, 0, 0, 0, 0, // header
            0x00, 0x04, 0x00, 0x10, 0x00, 0x00, 0x02, 0x04, 0x00, 0x00, 0x00, 0x80,
        ]
    );
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Opened {
            attention_quantum: 2
        })
    );
}

fn server_after(payload: &'static [u8]) -> (ServerSession, Result<(), SessionError>) {
    let now = t0();
    let mut s = ServerSession::new(ServerConfig::default(), now);
    let mut input = BytesMut::new();
    Frame::request(Command::OPEN_SESSION, 1, Bytes::from_static(payload)).encode(&mut input);
    let r = s.handle_input(now, &mut input);
    (s, r)
}

#[test]
fn open_session_option_edge_cases() {
    use dsi::DecodeError::*;
    // Length byte past the end (CVE-2018-1160): the session is dropped.
    let (s, r) = server_after(&[1, 4, 0, 0, 0]);
    assert_eq!(
        r,
        Err(SessionError::Decode(OptionPastEnd { option: 1, len: 4 }))
    );
    assert!(s.is_closed());
    let (_, r) = server_after(&[0x80, 200, 1, 2, 3]);
    assert_eq!(
        r,
        Err(SessionError::Decode(OptionPastEnd {
            option: 0x80,
            len: 200
        }))
    );
    // Attention quantum of length != 4.
    for bad in [
        &[1u8, 2, 0, 2][..],
        &[1, 0],
        &[1, 8, 0, 0, 0, 0, 0, 0, 0, 2],
    ] {
        let (s, r) = server_after(bad);
        assert!(
            matches!(
                r,
                Err(SessionError::Decode(BadOptionLength { option: 1, .. }))
            ),
            "{bad:?}: {r:?}"
        );
        assert!(s.is_closed());
    }
    // No options at all: the default attention quantum, 2.
    let (mut s, r) = server_after(&[]);
    r.unwrap();
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Opened {
            attention_quantum: 2
        })
    );
    // Unknown options are skipped by length.
    let (mut s, r) = server_after(&[0x55, 2, 9, 9, 1, 4, 0, 0, 1, 0, 0x56, 0]);
    r.unwrap();
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Opened {
            attention_quantum: 256
        })
    );
}

#[test]
fn get_status_then_done() {
    let mut p = Pair::new(ServerConfig::default(), ClientConfig::default());
    let id = p.client.get_status(p.now).unwrap();
    p.drive();
    assert_eq!(
        p.server_events,
        [ServerEvent::StatusRequest { request_id: id }]
    );
    let status = Bytes::from_static(b"status block");
    p.server.reply(id, 0, status.clone()).unwrap();
    p.drive();
    assert_eq!(
        p.client_events,
        [
            ClientEvent::Status(status),
            ClientEvent::Closed(CloseReason::StatusDone)
        ]
    );
    assert!(p.server.is_closed());
    assert!(p.client.is_closed());
    assert_eq!(
        p.server_events.last(),
        Some(&ServerEvent::Closed(CloseReason::StatusDone))
    );
}

#[test]
fn refused_open_session() {
    let config = ServerConfig {
        refuse_open: Some(ErrorCode::SERVER_BUSY),
        ..ServerConfig::default()
    };
    let mut p = Pair::new(config, ClientConfig::default());
    p.client.open(p.now).unwrap();
    p.drive();
    assert_eq!(
        p.client_events,
        [ClientEvent::Closed(CloseReason::Refused(-1071))]
    );
    assert_eq!(p.server_sent[0].1.result(), -1071);
    assert!(p.server.is_closed() && p.client.is_closed());
}

#[test]
fn replies_match_out_of_order_and_unknown_ids_are_errors() {
    let mut p = Pair::opened();
    let ids: Vec<u16> = (0..5)
        .map(|i| p.client.send_command(Bytes::from(vec![0x22, i])).unwrap())
        .collect();
    p.drive();
    assert_eq!(p.server.outstanding(), 5);
    for &id in ids.iter().rev() {
        p.server.reply(id, 0, Bytes::from(vec![id as u8])).unwrap();
    }
    assert_eq!(
        p.server.reply(999, 0, Bytes::new()),
        Err(SessionError::UnknownRequest(999))
    );
    p.drive();
    let got: Vec<(u16, u8)> = p
        .client_events
        .iter()
        .map(|e| match e {
            ClientEvent::Reply {
                request_id,
                payload,
                ..
            } => (*request_id, payload[0]),
            other => panic!("{other:?}"),
        })
        .collect();
    let want: Vec<(u16, u8)> = ids.iter().rev().map(|&i| (i, i as u8)).collect();
    assert_eq!(got, want);
    assert_eq!(p.client.outstanding(), 0);
    assert_eq!(
        p.server.state(),
        ServerState::Open,
        "the error changed nothing"
    );
}

#[test]
fn client_rejects_a_reply_to_an_unknown_request() {
    let mut p = Pair::opened();
    let mut bad = BytesMut::new();
    Frame::reply(Command::COMMAND, 4242, 0, Bytes::new()).encode(&mut bad);
    assert_eq!(
        p.client.handle_input(p.now, &mut bad),
        Err(SessionError::UnknownRequest(4242))
    );
    assert!(p.client.is_closed());
}

#[test]
fn request_ids_wrap_from_65535_to_0() {
    let client = ClientConfig {
        first_request_id: 65533,
        ..ClientConfig::default()
    };
    let mut p = Pair::new(ServerConfig::default(), client);
    assert_eq!(p.client.open(p.now).unwrap(), 65533);
    p.drive();
    let ids: Vec<u16> = (0..4)
        .map(|_| {
            p.client
                .send_command(Bytes::from_static(&[0x10, 0]))
                .unwrap()
        })
        .collect();
    assert_eq!(ids, [65534, 65535, 0, 1]);
    p.drive();
    for id in ids {
        p.server.reply(id, 0, Bytes::new()).unwrap();
    }
    p.drive();
    assert_eq!(p.client.outstanding(), 0);
    assert_eq!(p.client.next_request_id(), 2);
}

#[test]
fn client_limits_requests_in_flight_to_the_replay_cache() {
    let server = ServerConfig {
        replay_cache_size: 4,
        ..ServerConfig::default()
    };
    let mut p = Pair::new(server, ClientConfig::default());
    p.client.open(p.now).unwrap();
    p.drive();
    assert_eq!(p.client.replay_cache_size(), Some(4));
    assert_eq!(p.client.max_outstanding(), 4);
    for _ in 0..4 {
        p.client
            .send_command(Bytes::from_static(&[0x10, 0]))
            .unwrap();
    }
    assert_eq!(
        p.client.send_command(Bytes::from_static(&[0x10, 0])),
        Err(SessionError::TooManyOutstanding(4))
    );
}

#[test]
fn replay_cache_answers_a_replayed_request_without_the_app() {
    // First connection: FPOpenFork (26) and FPReadExt (60), then the link dies.
    let mut p = Pair::opened();
    let open_fork = Bytes::from_static(&[26, 0, 0, 1, 0, 0, 0, 2]);
    let read = Bytes::from_static(&[60, 0, 0, 1]);
    let a = p.client.send_command(open_fork.clone()).unwrap();
    let b = p.client.send_command(read.clone()).unwrap();
    p.drive();
    p.server.reply(a, 0, Bytes::from_static(b"fork 7")).unwrap();
    p.server.reply(b, 0, Bytes::from_static(b"data")).unwrap();
    assert_eq!(
        p.server.replay_cache().len(),
        1,
        "only FPOpenFork is cached"
    );
    let cache = p.server.take_replay_cache();

    // The client reconnects, keeps its ID sequence and replays both requests
    // (it never saw the replies).
    let client = ClientConfig {
        first_request_id: a.wrapping_sub(1),
        ..ClientConfig::default()
    };
    let mut q = Pair::new(ServerConfig::default(), client);
    q.server.set_replay_cache(cache);
    q.client.open(q.now).unwrap();
    q.drive();
    q.server_events.clear();
    q.client_events.clear();
    assert_eq!(q.client.send_command(open_fork).unwrap(), a);
    assert_eq!(q.client.send_command(read).unwrap(), b);
    q.drive();
    // FPOpenFork never reaches the app; FPReadExt (idempotent) runs again.
    assert_eq!(
        q.server_events,
        [
            ServerEvent::Replayed {
                request_id: a,
                afp_command: 26
            },
            ServerEvent::Command {
                request_id: b,
                request: Bytes::from_static(&[60, 0, 0, 1])
            },
        ]
    );
    assert_eq!(
        q.client_events,
        [ClientEvent::Reply {
            request_id: a,
            result: 0,
            payload: Bytes::from_static(b"fork 7")
        }]
    );
    assert_eq!(q.server.replay_cache().hits(), 1);
}

#[test]
fn replay_needs_the_same_command_byte() {
    let mut p = Pair::opened();
    let a = p.client.send_command(Bytes::from_static(&[8, 0])).unwrap(); // FPDelete
    p.drive();
    p.server.reply(a, 0, Bytes::new()).unwrap();
    let cache = p.server.take_replay_cache();
    let now = p.now;
    let mut s = ServerSession::new(ServerConfig::default(), now);
    s.set_replay_cache(cache);
    let mut input = BytesMut::new();
    Frame::request(Command::OPEN_SESSION, 0, Bytes::new()).encode(&mut input);
    // Same ID, different AFP command (FPCreateDir): a new request.
    Frame::request(Command::COMMAND, a, Bytes::from_static(&[6, 0])).encode(&mut input);
    s.handle_input(now, &mut input).unwrap();
    let events: Vec<_> = std::iter::from_fn(|| s.poll_event()).collect();
    assert!(matches!(events[1], ServerEvent::Command { request_id, .. } if request_id == a));
}

#[test]
fn attentions_respect_the_client_quantum() {
    let client = ClientConfig {
        attention_quantum: 1,
        ..ClientConfig::default()
    };
    let mut p = Pair::new(ServerConfig::default(), client);
    p.client.open(p.now).unwrap();
    p.drive();
    assert_eq!(p.server.attention_quantum(), 1);
    p.server
        .send_attention(Attention::volume_changed())
        .unwrap();
    p.drive();
    let (_, h) = p.server_sent.last().unwrap();
    assert_eq!((h.command, h.total_len), (Command::ATTENTION, 1));
    assert_eq!(
        p.client_events.last(),
        Some(&ClientEvent::Attention(Attention(0x3000)))
    );

    let mut p = Pair::opened();
    p.server
        .send_attention(Attention::shutdown(5).with_message().dont_reconnect())
        .unwrap();
    p.server.close();
    p.drive();
    let n = p.client_events.len();
    assert_eq!(
        p.client_events[n - 2..],
        [
            ClientEvent::Attention(Attention(0xB005)),
            ClientEvent::Closed(CloseReason::PeerClosed)
        ]
    );
    assert!(p.server.is_closed());
    // Server-originated requests use the server's own counter from 0.
    let ids: Vec<u16> = p.server_sent[1..]
        .iter()
        .map(|(_, h)| h.request_id)
        .collect();
    assert_eq!(ids, [0, 1]);
}

#[test]
fn client_close_is_seen_by_the_server() {
    let mut p = Pair::opened();
    p.client.close();
    p.drive();
    assert_eq!(
        p.server_events,
        [ServerEvent::Closed(CloseReason::PeerClosed)]
    );
    assert!(p.client.is_closed() && p.server.is_closed());
    assert_eq!(
        p.server.reply(1, 0, Bytes::new()),
        Err(SessionError::Closed)
    );
}

#[test]
fn streamed_write_reply_waits_for_the_data() {
    let mut p = Pair::opened();
    let data = Bytes::from(vec![7u8; 1 << 20]);
    let id = p
        .client
        .send_write(common_write_ext(data.len() as u64), data.clone())
        .unwrap();
    // Deliver the client's bytes in 64 KiB pieces.
    let t = p.client.poll_transmit(p.now).unwrap();
    assert_eq!(t.data.as_ptr(), data.as_ptr(), "the data was not copied");
    let mut wire = BytesMut::new();
    t.encode(&mut wire);
    let mut src = BytesMut::new();
    let mut received = 0usize;
    let mut replied = false;
    for piece in wire.chunks(64 * 1024) {
        src.extend_from_slice(piece);
        p.server.handle_input(p.now, &mut src).unwrap();
        while let Some(e) = p.server.poll_event() {
            match e {
                ServerEvent::Write {
                    request_id,
                    command,
                    data_len,
                } => {
                    assert_eq!((request_id, command[0], data_len), (id, 61, 1 << 20));
                    // The app rejects early (say, disk full): the reply is held.
                    p.server.reply(id, -5010, Bytes::new()).unwrap();
                    replied = true;
                    assert!(p.server.poll_transmit(p.now).is_none());
                }
                ServerEvent::WriteData {
                    request_id, data, ..
                } => {
                    assert_eq!(request_id, id);
                    assert!(data.len() <= 64 * 1024);
                    received += data.len();
                }
                other => panic!("{other:?}"),
            }
        }
        if received < 1 << 20 {
            assert!(p.server.poll_transmit(p.now).is_none());
        }
    }
    assert!(replied);
    assert_eq!(received, 1 << 20);
    let reply = p.server.poll_transmit(p.now).unwrap();
    assert_eq!(reply.header, Header::reply(Command::WRITE, id, -5010, 0));
}

#[test]
fn large_reply_is_not_copied() {
    let mut p = Pair::opened();
    let id = p.client.send_command(Bytes::from_static(&[60, 0])).unwrap();
    p.drive();
    let big = Bytes::from(vec![1u8; 4 << 20]);
    p.server.reply(id, 0, big.clone()).unwrap();
    let t: Transmit = p.server.poll_transmit(p.now).unwrap();
    assert_eq!(t.payload.as_ptr(), big.as_ptr());
    assert_eq!(t.header.total_len, 4 << 20);
    assert_eq!(t.len(), 16 + (4 << 20));
}

#[test]
fn protocol_violations_close_the_session() {
    let cases: Vec<(Frame, SessionError)> = vec![
        (
            Frame::request(Command::COMMAND, 1, Bytes::from_static(&[0x10, 0])),
            SessionError::Unexpected {
                command: Command::COMMAND,
                flags: Flags::Request,
                state: "waiting for DSIOpenSession",
            },
        ),
        (
            Frame::request(Command(0), 1, Bytes::new()),
            SessionError::UnknownCommand(0),
        ),
        (
            Frame::request(Command(7), 1, Bytes::new()),
            SessionError::UnknownCommand(7),
        ),
        (
            Frame::reply(Command::COMMAND, 1, 0, Bytes::new()),
            SessionError::Unexpected {
                command: Command::COMMAND,
                flags: Flags::Reply,
                state: "waiting for DSIOpenSession",
            },
        ),
    ];
    for (frame, want) in cases {
        let now = t0();
        let mut s = ServerSession::new(ServerConfig::default(), now);
        assert_eq!(s.handle_frame(now, frame), Err(want));
        assert!(s.is_closed());
    }
    // After opening: empty DSICommand, duplicate IDs, a client attention.
    let now = t0();
    let open = |s: &mut ServerSession| {
        s.handle_frame(now, Frame::request(Command::OPEN_SESSION, 0, Bytes::new()))
            .unwrap()
    };
    let mut s = ServerSession::new(ServerConfig::default(), now);
    open(&mut s);
    assert_eq!(
        s.handle_frame(now, Frame::request(Command::COMMAND, 1, Bytes::new())),
        Err(SessionError::EmptyRequest)
    );
    let mut s = ServerSession::new(ServerConfig::default(), now);
    open(&mut s);
    let f = Frame::request(Command::COMMAND, 1, Bytes::from_static(&[0x10, 0]));
    s.handle_frame(now, f.clone()).unwrap();
    assert_eq!(
        s.handle_frame(now, f),
        Err(SessionError::DuplicateRequest(1))
    );
    let mut s = ServerSession::new(ServerConfig::default(), now);
    open(&mut s);
    assert!(
        s.handle_frame(now, Frame::request(Command::ATTENTION, 1, Bytes::new()))
            .is_err()
    );
    // A client's answer to an attention is ignored, as netatalk does.
    let mut s = ServerSession::new(ServerConfig::default(), now);
    open(&mut s);
    s.handle_frame(now, Frame::reply(Command::ATTENTION, 0, 0, Bytes::new()))
        .unwrap();
    assert_eq!(s.state(), ServerState::Open);
}

#[test]
fn unsplit_write_through_handle_frame() {
    let now = t0();
    let mut s = ServerSession::new(ServerConfig::default(), now);
    s.handle_frame(now, Frame::request(Command::OPEN_SESSION, 0, Bytes::new()))
        .unwrap();
    let mut payload = common_write_ext(3).to_vec();
    payload.extend_from_slice(b"abc");
    let f = Frame::Message {
        header: Header::write(1, 20, 23),
        payload: Bytes::from(payload),
    };
    s.handle_frame(now, f).unwrap();
    let events: Vec<_> = std::iter::from_fn(|| s.poll_event()).collect();
    assert!(matches!(events[1], ServerEvent::Write { data_len: 3, .. }));
    assert_eq!(
        events[2],
        ServerEvent::WriteData {
            request_id: 1,
            data: Bytes::from_static(b"abc"),
            last: true
        }
    );
}

fn common_write_ext(count: u64) -> Bytes {
    let mut b = vec![61u8, 0, 0, 1];
    b.extend_from_slice(&0u64.to_be_bytes());
    b.extend_from_slice(&count.to_be_bytes());
    Bytes::from(b)
}
