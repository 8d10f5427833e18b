//! The server side of a DSI session (spec `afp-dsi.md` §1.3 to §1.10, §2.8).

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};

use super::{
    CloseReason, DEFAULT_IDLE_TIMEOUT, DEFAULT_OPEN_TIMEOUT, DEFAULT_TICKLE_INTERVAL, Expired,
    Timers,
};
use crate::attention::Attention;
use crate::decoder::{DEFAULT_SERVER_QUANTUM, DecoderConfig, FrameDecoder};
use crate::error::SessionError;
use crate::frame::{Frame, Transmit};
use crate::header::{Command, ErrorCode, Flags, Header};
use crate::options::{SessionOption, SessionOptions};
use crate::replay::{CachedReply, DEFAULT_REPLAY_CACHE_SIZE, ReplayCache};

/// Attention quantum assumed when the client sends none (spec §1.4).
pub const DEFAULT_ATTENTION_QUANTUM: u32 = 2;

/// Settings for a [`ServerSession`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// Server request quantum, advertised in the OpenSession reply and used
    /// as the limit for DSIWrite data (netatalk: 1 MiB, `server quantum`).
    pub server_quantum: u32,
    /// Replay cache entries, advertised in the OpenSession reply (option 2).
    /// 0 disables the cache and leaves the option out.
    pub replay_cache_size: u16,
    /// Send a DSITickle after this long without sending anything.
    pub tickle_interval: Duration,
    /// Close after this long without receiving anything.
    pub idle_timeout: Duration,
    /// Close if no DSIOpenSession/DSIGetStatus arrives within this time.
    pub open_timeout: Duration,
    /// Largest AFP command part of a DSIWrite (FPWriteExt needs 20).
    pub max_write_command_len: u32,
    /// Answer DSIOpenSession with this error code (for instance
    /// [`ErrorCode::SERVER_BUSY`] above the connection limit) and close.
    /// DSIGetStatus is still served.
    pub refuse_open: Option<ErrorCode>,
}

impl Default for ServerConfig {
    /// netatalk's defaults: 1 MiB quantum, replay cache 128, tickles every
    /// 30 s, idle timeout 120 s, first message within 120 s.
    fn default() -> Self {
        Self {
            server_quantum: DEFAULT_SERVER_QUANTUM,
            replay_cache_size: DEFAULT_REPLAY_CACHE_SIZE,
            tickle_interval: DEFAULT_TICKLE_INTERVAL,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            open_timeout: DEFAULT_OPEN_TIMEOUT,
            max_write_command_len: 64,
            refuse_open: None,
        }
    }
}

impl ServerConfig {
    /// The frame decoder limits for this configuration: DSIWrite data up to
    /// the quantum, other messages up to the quantum plus 64 KiB of AFP
    /// parameters.
    pub fn decoder_config(&self) -> DecoderConfig {
        DecoderConfig {
            max_message_len: self.server_quantum.saturating_add(0x1_0000),
            max_write_command_len: self.max_write_command_len,
            max_write_data_len: self.server_quantum,
        }
    }
}

/// Where a server session is (spec §2.8, DSI part).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ServerState {
    /// TCP is up; waiting for DSIOpenSession or DSIGetStatus.
    Connected,
    /// DSIGetStatus received; waiting for the app's status block.
    Status,
    /// The session is open; AFP requests flow.
    Open,
    /// Ending: the last transmits are still to be polled.
    Closing,
    /// Over: nothing more is sent or accepted.
    Closed,
}

impl ServerState {
    fn name(self) -> &'static str {
        match self {
            Self::Connected => "waiting for DSIOpenSession",
            Self::Status => "serving DSIGetStatus",
            Self::Open => "open",
            Self::Closing => "closing",
            Self::Closed => "closed",
        }
    }
}

/// Sleep state after FPZzzzz (spec §1.10, §10.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sleep {
    /// Normal operation.
    Awake,
    /// Ordinary sleep: no tickles, attentions or timeouts; any message from
    /// the client wakes the session.
    Asleep,
    /// Extended sleep (FPZzzzz flag 1): only the app's `wake` ends it
    /// (FPZzzzz flag 2).
    Extended,
}

/// What the server app must act on (or may log).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerEvent {
    /// DSIOpenSession was accepted and its reply queued.
    Opened {
        /// The client's attention quantum (2 when it sent none).
        attention_quantum: u32,
    },
    /// DSIGetStatus: answer with `reply(request_id, 0, status_block)`; the
    /// session then closes.
    StatusRequest {
        /// Request ID to reply to.
        request_id: u16,
    },
    /// A DSICommand: one AFP request (command code in `request[0]`).
    /// Answer with `reply(request_id, result, reply_block)`.
    Command {
        /// Request ID to reply to.
        request_id: u16,
        /// The AFP request block (never empty).
        request: Bytes,
    },
    /// A DSIWrite: its AFP command block (FPWrite, FPWriteExt, FPAddIcon).
    /// `data_len` bytes follow as [`ServerEvent::WriteData`]. The app may
    /// reply at any time; the reply is held until all data has arrived.
    Write {
        /// Request ID to reply to.
        request_id: u16,
        /// The AFP command block (never empty).
        command: Bytes,
        /// Bytes of write data that will follow.
        data_len: u32,
    },
    /// A piece of DSIWrite data, in order.
    WriteData {
        /// The write's request ID.
        request_id: u16,
        /// The bytes (zero-copy out of the read buffer).
        data: Bytes,
        /// Whether this is the last piece.
        last: bool,
    },
    /// A replayed request was answered from the replay cache (informational).
    Replayed {
        /// Request ID.
        request_id: u16,
        /// AFP command byte.
        afp_command: u8,
    },
    /// The session ended; see [`ServerSession::is_closed`] for when the
    /// socket can go.
    Closed(CloseReason),
}

/// A request the app has not answered yet.
#[derive(Clone, Copy, Debug)]
struct Pending {
    command: Command,
    afp_command: Option<u8>,
}

/// The DSIWrite whose data is being received.
#[derive(Clone, Debug)]
struct Writing {
    request_id: u16,
    remaining: u32,
    held_reply: Option<Transmit>,
}

/// The server side of one DSI connection.
///
/// See the [module docs](crate::session) for the polling order.
#[derive(Debug)]
pub struct ServerSession {
    config: ServerConfig,
    decoder: FrameDecoder,
    state: ServerState,
    sleep: Sleep,
    opened_at: Instant,
    timers: Timers,
    attention_quantum: u32,
    next_server_id: u16,
    outstanding: HashMap<u16, Pending>,
    writing: Option<Writing>,
    replay: ReplayCache,
    events: VecDeque<ServerEvent>,
    transmits: VecDeque<Transmit>,
}

impl ServerSession {
    /// A session for a connection accepted at `now`.
    pub fn new(config: ServerConfig, now: Instant) -> Self {
        Self {
            decoder: FrameDecoder::new(config.decoder_config()),
            state: ServerState::Connected,
            sleep: Sleep::Awake,
            opened_at: now,
            timers: Timers::new(now, config.tickle_interval, config.idle_timeout),
            attention_quantum: DEFAULT_ATTENTION_QUANTUM,
            next_server_id: 0,
            outstanding: HashMap::new(),
            writing: None,
            replay: ReplayCache::new(config.replay_cache_size),
            events: VecDeque::new(),
            transmits: VecDeque::new(),
            config,
        }
    }

    // ----- getters -----

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Where the session is.
    pub fn state(&self) -> ServerState {
        self.state
    }

    /// The sleep state.
    pub fn sleep_state(&self) -> Sleep {
        self.sleep
    }

    /// Whether the session is over and every transmit has been polled.
    pub fn is_closed(&self) -> bool {
        self.state == ServerState::Closed
    }

    /// The client's attention quantum (2 until it says otherwise).
    pub fn attention_quantum(&self) -> u32 {
        self.attention_quantum
    }

    /// Requests the app has not replied to yet.
    pub fn outstanding(&self) -> usize {
        self.outstanding.len()
    }

    /// The replay cache.
    pub fn replay_cache(&self) -> &ReplayCache {
        &self.replay
    }

    /// Whether the frame decoder is in the middle of a message (at end of
    /// stream this means the client stopped mid-message).
    pub fn is_mid_frame(&self) -> bool {
        self.decoder.is_mid_frame()
    }

    // ----- handle_* -----

    /// Decodes and handles every complete frame in `src` (bytes read from
    /// the socket), leaving a partial frame in place. DSIWrite data is
    /// handed out as it arrives.
    ///
    /// An `Err` means the stream is corrupt or broke the protocol: the
    /// session is closed, close the connection.
    pub fn handle_input(&mut self, now: Instant, src: &mut BytesMut) -> Result<(), SessionError> {
        loop {
            if matches!(self.state, ServerState::Closing | ServerState::Closed) {
                // Nothing the client sends now matters.
                src.clear();
                return Ok(());
            }
            match self.decoder.decode(src) {
                Ok(Some(frame)) => self.handle_frame(now, frame)?,
                Ok(None) => return Ok(()),
                Err(e) => {
                    self.fail();
                    return Err(e.into());
                }
            }
        }
    }

    /// Handles one frame, for drivers that run their own [`FrameDecoder`].
    pub fn handle_frame(&mut self, now: Instant, frame: Frame) -> Result<(), SessionError> {
        if matches!(self.state, ServerState::Closing | ServerState::Closed) {
            return Ok(());
        }
        let r = self.frame(now, frame);
        if r.is_err() {
            self.fail();
        }
        r
    }

    /// Handles a timer expiry: queues a tickle or closes an idle session.
    pub fn handle_timeout(&mut self, now: Instant) {
        match self.state {
            ServerState::Connected | ServerState::Status => {
                let due = self.opened_at.checked_add(self.config.open_timeout);
                if due.is_some_and(|d| now >= d) {
                    self.end(CloseReason::IdleTimeout);
                }
            }
            ServerState::Open if self.sleep == Sleep::Awake => {
                match self.timers.expired(now, true) {
                    Expired::Idle => self.end(CloseReason::IdleTimeout),
                    Expired::Tickle => self.queue_server_request(Command::TICKLE, Bytes::new()),
                    Expired::Nothing => {}
                }
            }
            _ => {}
        }
    }

    // ----- mutators -----

    /// Replies to an outstanding request with an AFP result code and reply
    /// block (for DSIGetStatus: result 0 and the status block; the session
    /// closes after it). The payload is queued as is: a multi-MiB FPReadExt
    /// reply is not copied.
    ///
    /// Replies to non-idempotent commands are stored in the replay cache.
    /// A reply to a DSIWrite whose data is still arriving is held until the
    /// last piece is in.
    pub fn reply(
        &mut self,
        request_id: u16,
        result: i32,
        payload: Bytes,
    ) -> Result<(), SessionError> {
        if matches!(self.state, ServerState::Closing | ServerState::Closed) {
            return Err(SessionError::Closed);
        }
        let len = u32::try_from(payload.len())
            .map_err(|_| SessionError::PayloadTooLong(payload.len()))?;
        let pending = self
            .outstanding
            .remove(&request_id)
            .ok_or(SessionError::UnknownRequest(request_id))?;
        if pending.command == Command::COMMAND
            && let Some(afp_command) = pending.afp_command
        {
            self.replay.insert(CachedReply {
                request_id,
                afp_command,
                result,
                payload: payload.clone(),
            });
        }
        let t = Transmit {
            header: Header::reply(pending.command, request_id, result, len),
            payload,
            data: Bytes::new(),
        };
        match &mut self.writing {
            Some(w) if w.request_id == request_id => w.held_reply = Some(t),
            _ => self.transmits.push_back(t),
        }
        if pending.command == Command::GET_STATUS {
            // [N]: after the DSIGetStatus reply the connection carries nothing else.
            self.state = ServerState::Closing;
            self.events
                .push_back(ServerEvent::Closed(CloseReason::StatusDone));
            self.finish_closing();
        }
        Ok(())
    }

    /// Sends a DSIAttention (shutdown notice, server message, volume
    /// changed, ...), truncated to the client's attention quantum.
    /// Not allowed while the client sleeps (spec §10.5).
    pub fn send_attention(&mut self, attention: Attention) -> Result<(), SessionError> {
        match self.state {
            ServerState::Open => {}
            ServerState::Closing | ServerState::Closed => return Err(SessionError::Closed),
            _ => return Err(SessionError::NotOpen),
        }
        if self.sleep != Sleep::Awake {
            return Err(SessionError::Asleep);
        }
        let payload = attention.payload(self.attention_quantum);
        self.queue_server_request(Command::ATTENTION, payload);
        Ok(())
    }

    /// Ends the session: an open session queues DSICloseSession (after
    /// anything already queued); a session that was never opened just closes.
    pub fn close(&mut self) {
        match self.state {
            ServerState::Open => {
                self.writing = None;
                self.queue_server_request(Command::CLOSE_SESSION, Bytes::new());
                self.state = ServerState::Closing;
                self.events
                    .push_back(ServerEvent::Closed(CloseReason::Local));
                self.finish_closing();
            }
            ServerState::Connected | ServerState::Status => self.end(CloseReason::Local),
            ServerState::Closing | ServerState::Closed => {}
        }
    }

    /// The app answered FPZzzzz: stop tickles, attentions and the idle
    /// timeout. With `extended` (FPZzzzz flag 1) only [`wake`](Self::wake)
    /// ends the sleep; otherwise any message from the client does.
    pub fn sleep(&mut self, extended: bool) {
        if self.state == ServerState::Open {
            self.sleep = if extended {
                Sleep::Extended
            } else {
                Sleep::Asleep
            };
        }
    }

    /// Wakes the session (FPZzzzz flag 2) and restarts its timers at `now`.
    pub fn wake(&mut self, now: Instant) {
        if self.sleep != Sleep::Awake {
            self.sleep = Sleep::Awake;
            self.timers.reset(now);
        }
    }

    /// Takes the replay cache out (to move it to the session that adopts
    /// this AFP session after a reconnect), leaving an empty one of the
    /// same size.
    pub fn take_replay_cache(&mut self) -> ReplayCache {
        let size = self.replay.size();
        std::mem::replace(&mut self.replay, ReplayCache::new(size))
    }

    /// Installs a replay cache taken from an earlier connection of the same
    /// AFP session (spec §6.8 reconnect).
    pub fn set_replay_cache(&mut self, cache: ReplayCache) {
        self.replay = cache;
    }

    // ----- poll_* -----

    /// The next app event.
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    /// The next message to write to the socket; `now` is when it is handed
    /// to the socket (it restarts the tickle timer).
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Transmit> {
        let t = self.transmits.pop_front()?;
        self.timers.sent(now);
        self.finish_closing();
        Some(t)
    }

    /// When `handle_timeout` should next be called (`None`: no timer).
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            ServerState::Connected | ServerState::Status => {
                self.opened_at.checked_add(self.config.open_timeout)
            }
            ServerState::Open if self.sleep == Sleep::Awake => self.timers.deadline(true),
            _ => None,
        }
    }

    // ----- internals -----

    fn unexpected(&self, header: &Header) -> SessionError {
        if !header.command.is_known() {
            return SessionError::UnknownCommand(header.command.0);
        }
        SessionError::Unexpected {
            command: header.command,
            flags: header.flags,
            state: self.state.name(),
        }
    }

    fn frame(&mut self, now: Instant, frame: Frame) -> Result<(), SessionError> {
        self.timers.received(now);
        if self.sleep == Sleep::Asleep {
            // netatalk: any packet from the client ends an ordinary sleep.
            self.wake(now);
        }
        match frame {
            Frame::Message { header, payload } => self.message(header, payload),
            Frame::WriteStart { header, command } => self.write_start(&header, command),
            Frame::WriteData { data, .. } => self.write_data(data),
        }
    }

    fn message(&mut self, header: Header, payload: Bytes) -> Result<(), SessionError> {
        if self.writing.is_some() {
            // A whole message in the middle of DSIWrite data: framing is lost.
            return Err(self.unexpected(&header));
        }
        if header.flags == Flags::Reply {
            // [N] ignores a client's answer to DSIAttention; any other reply
            // from a client is nonsense.
            return if header.command == Command::ATTENTION {
                Ok(())
            } else {
                Err(self.unexpected(&header))
            };
        }
        match (header.command, self.state) {
            (Command::OPEN_SESSION, ServerState::Connected) => {
                self.open_session(header.request_id, &payload)
            }
            (Command::GET_STATUS, ServerState::Connected) => {
                self.state = ServerState::Status;
                self.track(header.request_id, Command::GET_STATUS, None)?;
                self.events.push_back(ServerEvent::StatusRequest {
                    request_id: header.request_id,
                });
                Ok(())
            }
            (Command::COMMAND, ServerState::Open) => self.command(header.request_id, payload),
            (Command::WRITE, ServerState::Open) => {
                // Reached only through `handle_frame` with an unsplit write.
                let offset = header.write_offset() as usize;
                if offset > payload.len() {
                    return Err(crate::error::DecodeError::WriteOffsetPastEnd {
                        offset: header.write_offset(),
                        len: header.total_len,
                    }
                    .into());
                }
                let mut payload = payload;
                let command = payload.split_to(offset);
                let head = Header {
                    total_len: header
                        .write_offset()
                        .saturating_add(u32::try_from(payload.len()).unwrap_or(u32::MAX)),
                    ..header
                };
                self.write_start(&head, command)?;
                if !payload.is_empty() {
                    self.write_data(payload)?;
                }
                Ok(())
            }
            (Command::TICKLE, _) => Ok(()),
            (Command::CLOSE_SESSION, _) => {
                self.end(CloseReason::PeerClosed);
                Ok(())
            }
            _ => Err(self.unexpected(&header)),
        }
    }

    fn open_session(&mut self, request_id: u16, payload: &Bytes) -> Result<(), SessionError> {
        let options = SessionOptions::decode(payload)?;
        if let Some(code) = self.config.refuse_open {
            // [N] answers DSIERR_SERVBUSY when it cannot take the session.
            // The reply still carries the quantum option: Wireshark's
            // dissector reports an OpenSession message without options as
            // malformed, and clients read the error code first anyway.
            let payload = SessionOptions(vec![SessionOption::ServerQuantum(
                self.config.server_quantum,
            )])
            .to_bytes();
            self.transmits.push_back(Transmit {
                header: Header::reply(Command::OPEN_SESSION, request_id, code.0, 6),
                payload,
                data: Bytes::new(),
            });
            self.state = ServerState::Closing;
            self.events
                .push_back(ServerEvent::Closed(CloseReason::Refused(code.0)));
            self.finish_closing();
            return Ok(());
        }
        self.attention_quantum = options
            .attention_quantum()
            .unwrap_or(DEFAULT_ATTENTION_QUANTUM);
        let mut reply = vec![SessionOption::ServerQuantum(self.config.server_quantum)];
        if self.replay.size() > 0 {
            reply.push(SessionOption::ReplayCacheSize(u32::from(
                self.replay.size(),
            )));
        }
        let payload = SessionOptions(reply).to_bytes();
        self.transmits.push_back(Transmit {
            header: Header::reply(
                Command::OPEN_SESSION,
                request_id,
                0,
                u32::try_from(payload.len()).unwrap_or(u32::MAX),
            ),
            payload,
            data: Bytes::new(),
        });
        self.state = ServerState::Open;
        self.events.push_back(ServerEvent::Opened {
            attention_quantum: self.attention_quantum,
        });
        Ok(())
    }

    fn command(&mut self, request_id: u16, request: Bytes) -> Result<(), SessionError> {
        let afp_command = *request.first().ok_or(SessionError::EmptyRequest)?;
        if self.outstanding.contains_key(&request_id) {
            return Err(SessionError::DuplicateRequest(request_id));
        }
        // AFP Replay Cache: a request whose ID and command byte match a
        // cached entry is answered from the cache, not executed again.
        if let Some(cached) = self.replay.on_request(request_id, Some(afp_command)) {
            let len = u32::try_from(cached.payload.len()).unwrap_or(u32::MAX);
            self.transmits.push_back(Transmit {
                header: Header::reply(Command::COMMAND, request_id, cached.result, len),
                payload: cached.payload,
                data: Bytes::new(),
            });
            self.events.push_back(ServerEvent::Replayed {
                request_id,
                afp_command,
            });
            return Ok(());
        }
        self.track(request_id, Command::COMMAND, Some(afp_command))?;
        self.events.push_back(ServerEvent::Command {
            request_id,
            request,
        });
        Ok(())
    }

    fn write_start(&mut self, header: &Header, command: Bytes) -> Result<(), SessionError> {
        if self.state != ServerState::Open
            || header.flags != Flags::Request
            || self.writing.is_some()
        {
            return Err(self.unexpected(header));
        }
        let afp_command = *command.first().ok_or(SessionError::EmptyRequest)?;
        let request_id = header.request_id;
        // A write is a request in the client's sequence: its slot in the
        // replay cache is now stale (netatalk never answers writes from it).
        self.replay.on_request(request_id, None);
        self.track(request_id, Command::WRITE, Some(afp_command))?;
        let data_len = header.write_data_len();
        if data_len > 0 {
            self.writing = Some(Writing {
                request_id,
                remaining: data_len,
                held_reply: None,
            });
        }
        self.events.push_back(ServerEvent::Write {
            request_id,
            command,
            data_len,
        });
        Ok(())
    }

    fn write_data(&mut self, data: Bytes) -> Result<(), SessionError> {
        let Some(w) = self.writing.as_mut() else {
            return Err(SessionError::Unexpected {
                command: Command::WRITE,
                flags: Flags::Request,
                state: "not receiving DSIWrite data",
            });
        };
        let n = u32::try_from(data.len()).unwrap_or(u32::MAX);
        if n > w.remaining {
            return Err(SessionError::Unexpected {
                command: Command::WRITE,
                flags: Flags::Request,
                state: "past the end of the DSIWrite data",
            });
        }
        w.remaining -= n;
        let request_id = w.request_id;
        let last = w.remaining == 0;
        if last && let Some(t) = self.writing.take().and_then(|w| w.held_reply) {
            self.transmits.push_back(t);
        }
        self.events.push_back(ServerEvent::WriteData {
            request_id,
            data,
            last,
        });
        Ok(())
    }

    fn track(
        &mut self,
        request_id: u16,
        command: Command,
        afp_command: Option<u8>,
    ) -> Result<(), SessionError> {
        if self.outstanding.contains_key(&request_id) {
            return Err(SessionError::DuplicateRequest(request_id));
        }
        self.outstanding.insert(
            request_id,
            Pending {
                command,
                afp_command,
            },
        );
        Ok(())
    }

    /// Queues a server-originated request (tickle, attention, close) with
    /// the server's own request ID counter ([N]: starts at 0).
    fn queue_server_request(&mut self, command: Command, payload: Bytes) {
        let id = self.next_server_id;
        self.next_server_id = id.wrapping_add(1);
        let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
        self.transmits.push_back(Transmit {
            header: Header::request(command, id, len),
            payload,
            data: Bytes::new(),
        });
    }

    /// Ends the session at once, dropping anything not yet sent.
    fn end(&mut self, reason: CloseReason) {
        self.transmits.clear();
        self.outstanding.clear();
        self.writing = None;
        self.state = ServerState::Closed;
        self.events.push_back(ServerEvent::Closed(reason));
    }

    /// A protocol error: closed, silently (the caller gets the error).
    fn fail(&mut self) {
        self.transmits.clear();
        self.outstanding.clear();
        self.writing = None;
        self.state = ServerState::Closed;
    }

    fn finish_closing(&mut self) {
        if self.state == ServerState::Closing && self.transmits.is_empty() {
            self.state = ServerState::Closed;
        }
    }
}
