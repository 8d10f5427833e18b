//! Sans-IO Data Stream Interface (DSI): the framing and session layer that
//! carries AFP over TCP.
//!
//! This crate contains no networking code, spawns no threads and never reads
//! the clock: bytes come in as [`bytes::BytesMut`], time comes in as
//! `now: Instant`, and everything to send or do comes out of `poll_*` methods.
//! It provides:
//!
//! * [`Header`] and the wire codes ([`Flags`], [`Command`], [`ErrorCode`]);
//! * [`FrameDecoder`], which splits a byte stream into [`Frame`]s, streaming
//!   DSIWrite data in pieces, with every length checked before any memory is
//!   reserved;
//! * [`SessionOptions`] (DSIOpenSession, both directions) and [`Attention`]
//!   (DSIAttention user bytes);
//! * [`ServerSession`] and [`ClientSession`]: OpenSession negotiation,
//!   GetStatus, request tracking, tickles and idle timeouts as deadlines,
//!   attentions, sleep, orderly close, and the server's [`ReplayCache`].
//!
//! It does **not** parse AFP: DSICommand payloads, DSIWrite command blocks and
//! the DSIGetStatus status block are opaque [`bytes::Bytes`] here (the
//! `afp-proto` crate reads them). It does not own sockets, timers or the AFP
//! session state that survives a reconnect (the replay cache can be moved
//! between sessions, see [`ServerSession::take_replay_cache`]).
//!
//! # Example: a server and a client in memory
//!
//! The driver loop is the same over TCP: feed what was read into
//! `handle_input`, drain `poll_event`, write what `poll_transmit` returns,
//! and arm one timer from `poll_timeout` (see [`session`] for the order).
//!
//! ```
//! use std::time::Instant;
//! use bytes::{Bytes, BytesMut};
//! use dsi::{ClientConfig, ClientEvent, ClientSession, ServerConfig, ServerEvent, ServerSession};
//!
//! # #[allow(clippy::disallowed_methods)]
//! let now = Instant::now(); // a binary's one clock read; libraries never do this
//! let mut server = ServerSession::new(ServerConfig::default(), now);
//! let mut client = ClientSession::new(ClientConfig::default(), now);
//!
//! // Moves everything one side has queued into the other side's read buffer.
//! fn wire(from: &mut dyn FnMut() -> Option<dsi::Transmit>) -> BytesMut {
//!     let mut buf = BytesMut::new();
//!     while let Some(t) = from() {
//!         t.encode(&mut buf); // a real driver writes header, payload, data with writev
//!     }
//!     buf
//! }
//!
//! client.open(now)?;
//! server.handle_input(now, &mut wire(&mut || client.poll_transmit(now)))?;
//! assert_eq!(server.poll_event(), Some(ServerEvent::Opened { attention_quantum: 2 }));
//! client.handle_input(now, &mut wire(&mut || server.poll_transmit(now)))?;
//! assert_eq!(
//!     client.poll_event(),
//!     Some(ClientEvent::Opened { server_quantum: Some(0x10_0000), replay_cache_size: Some(128) })
//! );
//!
//! // The client pipelines two AFP requests; the server answers out of order.
//! let a = client.send_command(Bytes::from_static(&[0x10, 0]))?; // FPGetSrvrParms
//! let b = client.send_command(Bytes::from_static(&[0x7A, 0, 0, 0, 0, 0]))?; // FPZzzzz
//! server.handle_input(now, &mut wire(&mut || client.poll_transmit(now)))?;
//! let mut ids = Vec::new();
//! while let Some(ServerEvent::Command { request_id, request }) = server.poll_event() {
//!     ids.push((request_id, request[0]));
//! }
//! assert_eq!(ids, [(a, 0x10), (b, 0x7A)]);
//! server.reply(b, 0, Bytes::from_static(&[0, 0, 0, 10]))?;
//! server.sleep(false); // the app handled FPZzzzz: no tickles until the client speaks
//! server.reply(a, -5000, Bytes::new())?; // an AFP error (kFPAccessDenied)
//! assert!(server.reply(a, 0, Bytes::new()).is_err()); // already answered
//! client.handle_input(now, &mut wire(&mut || server.poll_transmit(now)))?;
//! assert!(matches!(client.poll_event(), Some(ClientEvent::Reply { request_id, .. }) if request_id == b));
//! assert!(matches!(client.poll_event(), Some(ClientEvent::Reply { result: -5000, .. })));
//! # Ok::<(), dsi::SessionError>(())
//! ```
//!
//! # Driving it from tokio (sketch of `bin/afpd`)
//!
//! ```text
//! let mut session = ServerSession::new(config, Instant::now());
//! let mut buf = BytesMut::with_capacity(64 * 1024);
//! loop {
//!     let deadline = session.poll_timeout();
//!     tokio::select! {
//!         n = sock.read_buf(&mut buf) => {
//!             if n? == 0 { break }
//!             session.handle_input(Instant::now(), &mut buf)?; // Err: drop the connection
//!         }
//!         _ = sleep_until_opt(deadline) => session.handle_timeout(Instant::now()),
//!         Some((id, result, reply)) = replies.recv() => { session.reply(id, result, reply)?; }
//!     }
//!     while let Some(ev) = session.poll_event() {
//!         match ev {
//!             ServerEvent::Command { request_id, request } => afp.spawn(request_id, request),
//!             ServerEvent::Write { request_id, command, data_len } => writer.start(request_id, command, data_len),
//!             ServerEvent::WriteData { data, last, .. } => writer.push(data, last), // to the file thread
//!             ServerEvent::StatusRequest { request_id } => session.reply(request_id, 0, status.clone())?,
//!             ServerEvent::Closed(_) | ServerEvent::Opened { .. } | ServerEvent::Replayed { .. } => {}
//!         }
//!     }
//!     while let Some(t) = session.poll_transmit(Instant::now()) {
//!         sock.write_all_buf(&mut t.into_buf()).await?; // header + 1 MiB FPReadExt reply, no copy
//!     }
//!     if session.is_closed() { break }
//!     buf.reserve(64 * 1024);
//! }
//! ```
//!
//! A client (`bin/afp`) keeps up to [`ClientSession::max_outstanding`]
//! requests in flight and matches [`ClientEvent::Reply`] by request ID.
//!
//! # Specification
//!
//! `afp-dsi.md` in the project's shared spec: §1.2 header ([`header`]), §1.3
//! commands, §1.4 OpenSession options ([`options`]), §1.5 request IDs, §1.6
//! DSIWrite ([`decoder`]), §1.7 replay cache ([`replay`]), §1.8 attentions
//! ([`attention`]), §1.9 DSI error codes, §1.10 tickles, timeouts and sleep
//! ([`session`]), §2.8 session states. Primary sources: Apple's *AppleTalk
//! Filing Protocol 2.1/2.2* ("AFP over TCP" chapter) and *AFP Programming
//! Guide* ("AFP Replay Cache", "Disconnect Timers"), netatalk's
//! `libatalk/dsi/`.
//!
//! # Crate features
//!
//! None. The crate needs `std` (for `Instant`, `HashMap`, `VecDeque`).
#![forbid(unsafe_code)]
#![cfg_attr(not(fuzzing), deny(missing_docs))]
#![deny(clippy::host_endian_bytes, clippy::little_endian_bytes)]

pub mod attention;
pub mod decoder;
pub mod error;
pub mod frame;
pub mod header;
pub mod options;
pub mod replay;
pub mod session;

pub use attention::Attention;
pub use decoder::{DEFAULT_SERVER_QUANTUM, DecoderConfig, FrameDecoder};
pub use error::{DecodeError, SessionError};
pub use frame::{Frame, Transmit};
pub use header::{Command, ErrorCode, Flags, HEADER_LEN, Header};
pub use options::{OptionType, SessionOption, SessionOptions, UnknownOption};
pub use replay::{CachedReply, DEFAULT_REPLAY_CACHE_SIZE, ReplayCache, is_replay_cached};
pub use session::client::{ClientConfig, ClientEvent, ClientSession, ClientState};
pub use session::server::{
    DEFAULT_ATTENTION_QUANTUM, ServerConfig, ServerEvent, ServerSession, ServerState, Sleep,
};
pub use session::{
    CloseReason, DEFAULT_IDLE_TIMEOUT, DEFAULT_OPEN_TIMEOUT, DEFAULT_TICKLE_INTERVAL,
};
