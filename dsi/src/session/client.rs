//! The client side of a DSI session (spec `afp-dsi.md` §1.3 to §1.10).

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};

use super::{CloseReason, DEFAULT_IDLE_TIMEOUT, DEFAULT_TICKLE_INTERVAL, Expired, Timers};
use crate::attention::Attention;
use crate::decoder::{DecoderConfig, FrameDecoder};
use crate::error::SessionError;
use crate::frame::{Frame, Transmit};
use crate::header::{Command, Flags, Header};
use crate::options::{SessionOption, SessionOptions};
use crate::session::server::DEFAULT_ATTENTION_QUANTUM;

/// Settings for a [`ClientSession`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientConfig {
    /// Attention quantum sent in DSIOpenSession (option 1).
    pub attention_quantum: u32,
    /// Request ID of the first request (DSIOpenSession). A client that
    /// reconnects to a server with a replay cache continues its old sequence.
    pub first_request_id: u16,
    /// Send a DSITickle after this long without sending anything.
    pub tickle_interval: Duration,
    /// Close after this long without receiving anything.
    pub idle_timeout: Duration,
    /// Largest reply accepted (an FPReadExt reply is the data asked for, so
    /// this bounds the read size).
    pub max_reply_len: u32,
    /// Most requests in flight at once. Lowered to the server's replay cache
    /// size when it advertises one (Apple: never more outstanding requests
    /// than the cache holds).
    pub max_outstanding: usize,
    /// Answer each server DSITickle with a tickle, as many clients do.
    pub answer_tickles: bool,
}

impl Default for ClientConfig {
    /// Attention quantum 2 (what afptest sends), IDs from 0, 30 s tickles,
    /// 120 s idle timeout, replies up to 8 MiB, 64 requests in flight,
    /// tickles answered.
    fn default() -> Self {
        Self {
            attention_quantum: DEFAULT_ATTENTION_QUANTUM,
            first_request_id: 0,
            tickle_interval: DEFAULT_TICKLE_INTERVAL,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_reply_len: 8 << 20,
            max_outstanding: 64,
            answer_tickles: true,
        }
    }
}

/// Where a client session is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientState {
    /// Nothing sent yet: call `open` or `get_status`.
    Idle,
    /// DSIOpenSession sent, waiting for the reply.
    Opening,
    /// DSIGetStatus sent, waiting for the reply.
    Status,
    /// The session is open.
    Open,
    /// Ending: the last transmits are still to be polled.
    Closing,
    /// Over.
    Closed,
}

impl ClientState {
    fn name(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Opening => "waiting for the DSIOpenSession reply",
            Self::Status => "waiting for the DSIGetStatus reply",
            Self::Open => "open",
            Self::Closing => "closing",
            Self::Closed => "closed",
        }
    }
}

/// What the client app must act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientEvent {
    /// The server accepted DSIOpenSession.
    Opened {
        /// The server request quantum (largest write data), if sent.
        server_quantum: Option<u32>,
        /// The server's replay cache size, if it has one (AFP 3.3+).
        replay_cache_size: Option<u32>,
    },
    /// The DSIGetStatus reply: the server status block. The session then closes.
    Status(Bytes),
    /// A reply to a DSICommand or DSIWrite sent earlier (in any order).
    Reply {
        /// The request's ID.
        request_id: u16,
        /// AFP result code.
        result: i32,
        /// The AFP reply block.
        payload: Bytes,
    },
    /// The server sent a DSIAttention.
    Attention(Attention),
    /// The session ended.
    Closed(CloseReason),
}

/// The client side of one DSI connection.
///
/// See the [module docs](crate::session) for the polling order.
#[derive(Debug)]
pub struct ClientSession {
    config: ClientConfig,
    decoder: FrameDecoder,
    state: ClientState,
    asleep: bool,
    timers: Timers,
    next_id: u16,
    pending_open: Option<u16>,
    outstanding: HashMap<u16, Command>,
    server_quantum: Option<u32>,
    replay_cache_size: Option<u32>,
    events: VecDeque<ClientEvent>,
    transmits: VecDeque<Transmit>,
}

impl ClientSession {
    /// A session for a connection made at `now`.
    pub fn new(config: ClientConfig, now: Instant) -> Self {
        Self {
            decoder: FrameDecoder::new(DecoderConfig {
                max_message_len: config.max_reply_len,
                // The server never sends DSIWrite requests; keep the limits tiny.
                max_write_command_len: 0,
                max_write_data_len: 0,
            }),
            state: ClientState::Idle,
            asleep: false,
            timers: Timers::new(now, config.tickle_interval, config.idle_timeout),
            next_id: config.first_request_id,
            pending_open: None,
            outstanding: HashMap::new(),
            server_quantum: None,
            replay_cache_size: None,
            events: VecDeque::new(),
            transmits: VecDeque::new(),
            config,
        }
    }

    // ----- getters -----

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Where the session is.
    pub fn state(&self) -> ClientState {
        self.state
    }

    /// Whether the session is over and every transmit has been polled.
    pub fn is_closed(&self) -> bool {
        self.state == ClientState::Closed
    }

    /// Whether the app put the session to sleep.
    pub fn is_asleep(&self) -> bool {
        self.asleep
    }

    /// The ID the next request will get.
    pub fn next_request_id(&self) -> u16 {
        self.next_id
    }

    /// Requests waiting for a reply.
    pub fn outstanding(&self) -> usize {
        self.outstanding.len()
    }

    /// The server request quantum from the OpenSession reply.
    pub fn server_quantum(&self) -> Option<u32> {
        self.server_quantum
    }

    /// The server's replay cache size from the OpenSession reply.
    pub fn replay_cache_size(&self) -> Option<u32> {
        self.replay_cache_size
    }

    /// How many requests may be in flight: the configured limit, lowered to
    /// the server's replay cache size when it has one.
    pub fn max_outstanding(&self) -> usize {
        match self.replay_cache_size {
            Some(n) if n > 0 => self
                .config
                .max_outstanding
                .min(usize::try_from(n).unwrap_or(usize::MAX)),
            _ => self.config.max_outstanding,
        }
    }

    /// Whether the frame decoder is in the middle of a message.
    pub fn is_mid_frame(&self) -> bool {
        self.decoder.is_mid_frame()
    }

    // ----- handle_* -----

    /// Decodes and handles every complete frame in `src`. An `Err` means the
    /// server broke the protocol: the session is closed.
    pub fn handle_input(&mut self, now: Instant, src: &mut BytesMut) -> Result<(), SessionError> {
        loop {
            if matches!(self.state, ClientState::Closing | ClientState::Closed) {
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
        if matches!(self.state, ClientState::Closing | ClientState::Closed) {
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
        if self.asleep {
            return;
        }
        let tickles = self.state == ClientState::Open;
        match self.state {
            ClientState::Opening | ClientState::Status | ClientState::Open => {
                match self.timers.expired(now, tickles) {
                    Expired::Idle => self.end(CloseReason::IdleTimeout),
                    Expired::Tickle => {
                        self.queue_request(Command::TICKLE, Bytes::new());
                    }
                    Expired::Nothing => {}
                }
            }
            _ => {}
        }
    }

    // ----- mutators -----

    /// Sends DSIOpenSession with the attention quantum option. Returns the
    /// request ID used (the first of the sequence).
    pub fn open(&mut self, now: Instant) -> Result<u16, SessionError> {
        self.start(now, Command::OPEN_SESSION)?;
        let payload = SessionOptions(vec![SessionOption::AttentionQuantum(
            self.config.attention_quantum,
        )])
        .to_bytes();
        let id = self.queue_request(Command::OPEN_SESSION, payload);
        self.pending_open = Some(id);
        self.state = ClientState::Opening;
        Ok(id)
    }

    /// Sends DSIGetStatus on a fresh connection; the reply arrives as
    /// [`ClientEvent::Status`] and the session then closes.
    pub fn get_status(&mut self, now: Instant) -> Result<u16, SessionError> {
        self.start(now, Command::GET_STATUS)?;
        let id = self.queue_request(Command::GET_STATUS, Bytes::new());
        self.pending_open = Some(id);
        self.state = ClientState::Status;
        Ok(id)
    }

    /// Sends an AFP request in a DSICommand; returns its request ID. The
    /// reply comes back as [`ClientEvent::Reply`] with that ID.
    pub fn send_command(&mut self, request: Bytes) -> Result<u16, SessionError> {
        self.check_send(&request)?;
        u32::try_from(request.len()).map_err(|_| SessionError::PayloadTooLong(request.len()))?;
        let id = self.queue_request(Command::COMMAND, request);
        self.outstanding.insert(id, Command::COMMAND);
        Ok(id)
    }

    /// Sends a DSIWrite: the AFP command block (FPWrite, FPWriteExt,
    /// FPAddIcon) and the data, kept as two buffers (no copy). The data must
    /// not exceed the server request quantum.
    pub fn send_write(&mut self, command: Bytes, data: Bytes) -> Result<u16, SessionError> {
        self.check_send(&command)?;
        if let Some(max) = self.server_quantum
            && data.len() > usize::try_from(max).unwrap_or(usize::MAX)
        {
            return Err(SessionError::WriteTooLong {
                len: data.len(),
                max,
            });
        }
        let total = command.len().saturating_add(data.len());
        let (Ok(offset), Ok(total_len)) = (u32::try_from(command.len()), u32::try_from(total))
        else {
            return Err(SessionError::PayloadTooLong(total));
        };
        let id = self.alloc_id();
        self.transmits.push_back(Transmit {
            header: Header::write(id, offset, total_len),
            payload: command,
            data,
        });
        self.outstanding.insert(id, Command::WRITE);
        Ok(id)
    }

    /// Ends the session: an open session queues DSICloseSession (send it
    /// after FPLogout); otherwise the session just closes.
    pub fn close(&mut self) {
        match self.state {
            ClientState::Open => {
                self.queue_request(Command::CLOSE_SESSION, Bytes::new());
                self.outstanding.clear();
                self.state = ClientState::Closing;
                self.events
                    .push_back(ClientEvent::Closed(CloseReason::Local));
                self.finish_closing();
            }
            ClientState::Idle | ClientState::Opening | ClientState::Status => {
                self.end(CloseReason::Local);
            }
            ClientState::Closing | ClientState::Closed => {}
        }
    }

    /// The app sent FPZzzzz: stop tickles and the idle timer until
    /// [`wake`](Self::wake).
    pub fn sleep(&mut self) {
        self.asleep = true;
    }

    /// The client woke up: restart the timers at `now`.
    pub fn wake(&mut self, now: Instant) {
        if self.asleep {
            self.asleep = false;
            self.timers.reset(now);
        }
    }

    // ----- poll_* -----

    /// The next app event.
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    /// The next message to write to the socket; `now` restarts the tickle timer.
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Transmit> {
        let t = self.transmits.pop_front()?;
        self.timers.sent(now);
        self.finish_closing();
        Some(t)
    }

    /// When `handle_timeout` should next be called (`None`: no timer).
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.asleep {
            return None;
        }
        match self.state {
            ClientState::Opening | ClientState::Status => self.timers.deadline(false),
            ClientState::Open => self.timers.deadline(true),
            _ => None,
        }
    }

    // ----- internals -----

    fn start(&mut self, now: Instant, command: Command) -> Result<(), SessionError> {
        match self.state {
            ClientState::Idle => {
                self.timers.reset(now);
                Ok(())
            }
            ClientState::Closing | ClientState::Closed => Err(SessionError::Closed),
            _ => Err(SessionError::Unexpected {
                command,
                flags: Flags::Request,
                state: self.state.name(),
            }),
        }
    }

    fn check_send(&self, request: &Bytes) -> Result<(), SessionError> {
        match self.state {
            ClientState::Open => {}
            ClientState::Closing | ClientState::Closed => return Err(SessionError::Closed),
            _ => return Err(SessionError::NotOpen),
        }
        if request.is_empty() {
            return Err(SessionError::EmptyRequest);
        }
        let max = self.max_outstanding();
        if self.outstanding.len() >= max {
            return Err(SessionError::TooManyOutstanding(max));
        }
        if self.outstanding.contains_key(&self.next_id) {
            // 65536 requests later and this one still has no reply.
            return Err(SessionError::DuplicateRequest(self.next_id));
        }
        Ok(())
    }

    /// The next request ID; after 65535 comes 0 ([A-2.2]).
    fn alloc_id(&mut self) -> u16 {
        let id = self.next_id;
        self.next_id = id.wrapping_add(1);
        id
    }

    fn queue_request(&mut self, command: Command, payload: Bytes) -> u16 {
        let id = self.alloc_id();
        let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
        self.transmits.push_back(Transmit {
            header: Header::request(command, id, len),
            payload,
            data: Bytes::new(),
        });
        id
    }

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
        let (header, payload) = match frame {
            Frame::Message { header, payload } => (header, payload),
            Frame::WriteStart { header, .. } => return Err(self.unexpected(&header)),
            Frame::WriteData { .. } => {
                return Err(SessionError::Unexpected {
                    command: Command::WRITE,
                    flags: Flags::Request,
                    state: self.state.name(),
                });
            }
        };
        match header.flags {
            Flags::Reply => self.reply(header, payload),
            Flags::Request => self.server_request(header, payload),
        }
    }

    fn reply(&mut self, header: Header, payload: Bytes) -> Result<(), SessionError> {
        let id = header.request_id;
        match (self.state, header.command) {
            (ClientState::Opening, Command::OPEN_SESSION) if self.pending_open == Some(id) => {
                self.pending_open = None;
                if header.result() != 0 {
                    self.end(CloseReason::Refused(header.result()));
                    return Ok(());
                }
                let options = SessionOptions::decode(&payload)?;
                self.server_quantum = options.server_quantum();
                self.replay_cache_size = options.replay_cache_size();
                self.state = ClientState::Open;
                self.events.push_back(ClientEvent::Opened {
                    server_quantum: self.server_quantum,
                    replay_cache_size: self.replay_cache_size,
                });
                Ok(())
            }
            (ClientState::Status, Command::GET_STATUS) if self.pending_open == Some(id) => {
                self.pending_open = None;
                self.events.push_back(ClientEvent::Status(payload));
                self.end(CloseReason::StatusDone);
                Ok(())
            }
            (ClientState::Open, Command::COMMAND | Command::WRITE) => {
                let expected = *self
                    .outstanding
                    .get(&id)
                    .ok_or(SessionError::UnknownRequest(id))?;
                if expected != header.command {
                    return Err(SessionError::ReplyMismatch {
                        request_id: id,
                        expected,
                        got: header.command,
                    });
                }
                self.outstanding.remove(&id);
                self.events.push_back(ClientEvent::Reply {
                    request_id: id,
                    result: header.result(),
                    payload,
                });
                Ok(())
            }
            _ => Err(self.unexpected(&header)),
        }
    }

    fn server_request(&mut self, header: Header, payload: Bytes) -> Result<(), SessionError> {
        match (self.state, header.command) {
            (ClientState::Open, Command::TICKLE) => {
                if self.config.answer_tickles && !self.asleep {
                    self.queue_request(Command::TICKLE, Bytes::new());
                }
                Ok(())
            }
            (_, Command::TICKLE) => Ok(()),
            (ClientState::Open, Command::ATTENTION) => {
                // No reply: netatalk ignores any answer to DSIAttention.
                self.events
                    .push_back(ClientEvent::Attention(Attention::from_payload(&payload)));
                Ok(())
            }
            (ClientState::Open, Command::CLOSE_SESSION) => {
                self.end(CloseReason::PeerClosed);
                Ok(())
            }
            _ => Err(self.unexpected(&header)),
        }
    }

    fn end(&mut self, reason: CloseReason) {
        self.transmits.clear();
        self.outstanding.clear();
        self.state = ClientState::Closed;
        self.events.push_back(ClientEvent::Closed(reason));
    }

    fn fail(&mut self) {
        self.transmits.clear();
        self.outstanding.clear();
        self.state = ClientState::Closed;
    }

    fn finish_closing(&mut self) {
        if self.state == ClientState::Closing && self.transmits.is_empty() {
            self.state = ClientState::Closed;
        }
    }
}
