//! [`AfpClient`]: a blocking AFP client for tests, over `std::net::TcpStream`, built on
//! `dsi::ClientSession` (framing, request IDs, tickles) and `afp_proto` (request encoding,
//! reply decoding, login state machines).
//!
//! Conventions:
//!
//! * Typed methods return `Result<T, ResultCode>`: `Ok` for kFPNoErr with the decoded
//!   reply, `Err(code)` for any other result, so tests can assert exact codes:
//!   `assert_eq!(c.delete(vol, 2, "x"), Err(ResultCode::OBJECT_NOT_FOUND))`.
//! * [`AfpClient::call`] sends any [`Request`] and returns the raw `(ResultCode, Bytes)`
//!   (for replies that carry data with an error code, e.g. FPOpenFork's kFPDenyConflict or
//!   a short FPReadExt with kFPEOFErr). [`AfpClient::call_raw`] sends an arbitrary AFP
//!   block; [`AfpClient::send_raw`] writes arbitrary bytes to the socket.
//! * Transport failures (connection closed, timeout) panic in the plain methods; the
//!   `try_*` variants return [`ClientError`] for tests that expect the server to hang up.
//! * Server DSITickles are answered; DSIAttentions are collected ([`AfpClient::attentions`]).
//!
//! Paths in the typed methods are UTF-8 (path type 3) pathnames, bytes as given: elements
//! are separated by `\0` (`"dir\0file"`), `""` is the directory itself. Use
//! [`AfpClient::call`] with `Path::long` for type-2 paths.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use afp_proto::command::{self, CommandCode, Reply, ReplyContext, Request};
use afp_proto::params::{DirBitmap, FileBitmap, FileParams, VolumeBitmap, VolumeParams};
use afp_proto::uam::{self, ClientLogin, ClientStep, LoginForm, Password, Uam};
use afp_proto::{AfpVersion, Path, ResultCode, ServerStatus};
use bytes::{Bytes, BytesMut};
use dsi::{Attention, ClientConfig, ClientEvent, ClientSession, CloseReason};

/// Directory ID of a volume's root.
pub const DIR_ROOT: u32 = 2;
/// Directory ID of the root's parent.
pub const DIR_ROOT_PARENT: u32 = 1;

/// Default time to wait for a reply.
const REPLY_TIMEOUT: Duration = Duration::from_secs(60);

/// Why a client operation failed below AFP.
#[derive(Debug)]
pub enum ClientError {
    /// Socket error.
    Io(io::Error),
    /// The DSI layer refused (protocol error from the server, or a local misuse).
    Dsi(dsi::SessionError),
    /// The session ended (server closed it, or the connection dropped).
    Closed(Option<CloseReason>),
    /// No answer in time.
    Timeout,
    /// The reply block does not decode.
    BadReply(afp_proto::DecodeError),
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientError::Io(e) => write!(f, "I/O error: {e}"),
            ClientError::Dsi(e) => write!(f, "DSI error: {e}"),
            ClientError::Closed(r) => write!(f, "session closed ({r:?})"),
            ClientError::Timeout => write!(f, "timed out"),
            ClientError::BadReply(e) => write!(f, "malformed reply: {e}"),
        }
    }
}

impl std::error::Error for ClientError {}

impl From<io::Error> for ClientError {
    fn from(e: io::Error) -> Self {
        ClientError::Io(e)
    }
}

impl From<dsi::SessionError> for ClientError {
    fn from(e: dsi::SessionError) -> Self {
        ClientError::Dsi(e)
    }
}

/// A blocking AFP client session.
pub struct AfpClient {
    sock: TcpStream,
    dsi: ClientSession,
    rx: BytesMut,
    events: VecDeque<ClientEvent>,
    attentions: Vec<Attention>,
    closed: Option<Option<CloseReason>>,
    version: AfpVersion,
    timeout: Duration,
    server_quantum: Option<u32>,
    replay_cache_size: Option<u32>,
}

/// Reads the clock (tests may).
#[allow(clippy::disallowed_methods)]
fn now() -> Instant {
    Instant::now()
}

impl AfpClient {
    /// Connects and opens a DSI session (not logged in).
    pub fn connect(addr: SocketAddr) -> Result<AfpClient, ClientError> {
        Self::connect_with(addr, ClientConfig::default())
    }

    /// Connects with a DSI client configuration (attention quantum, first request ID,
    /// tickle/idle timers, whether to answer tickles).
    pub fn connect_with(addr: SocketAddr, config: ClientConfig) -> Result<AfpClient, ClientError> {
        let mut c = Self::tcp(addr, config)?;
        c.dsi.open(now())?;
        c.flush()?;
        let end = now() + c.timeout;
        loop {
            if let Some(pos) = c
                .events
                .iter()
                .position(|e| matches!(e, ClientEvent::Opened { .. }))
            {
                if let Some(ClientEvent::Opened {
                    server_quantum,
                    replay_cache_size,
                }) = c.events.remove(pos)
                {
                    c.server_quantum = server_quantum;
                    c.replay_cache_size = replay_cache_size;
                }
                return Ok(c);
            }
            if let Some(reason) = c.closed {
                return Err(ClientError::Closed(reason));
            }
            c.pump(end)?;
        }
    }

    /// A TCP connection with no DSI message sent yet (for [`AfpClient::send_raw`] tests
    /// of the very first bytes).
    pub fn tcp(addr: SocketAddr, config: ClientConfig) -> Result<AfpClient, ClientError> {
        let sock = TcpStream::connect(addr)?;
        sock.set_nodelay(true)?;
        Ok(AfpClient {
            sock,
            dsi: ClientSession::new(config, now()),
            rx: BytesMut::with_capacity(64 * 1024),
            events: VecDeque::new(),
            attentions: Vec::new(),
            closed: None,
            version: AfpVersion::V3_4,
            timeout: REPLY_TIMEOUT,
            server_quantum: None,
            replay_cache_size: None,
        })
    }

    /// DSIGetStatus on a fresh connection: the status block, decoded.
    pub fn get_status(addr: SocketAddr) -> Result<ServerStatus, ClientError> {
        let raw = Self::get_status_raw(addr)?;
        ServerStatus::decode(&raw).map_err(ClientError::BadReply)
    }

    /// DSIGetStatus on a fresh connection: the raw status block.
    pub fn get_status_raw(addr: SocketAddr) -> Result<Bytes, ClientError> {
        let mut c = Self::tcp(addr, ClientConfig::default())?;
        c.dsi.get_status(now())?;
        c.flush()?;
        let end = now() + c.timeout;
        loop {
            if let Some(pos) = c
                .events
                .iter()
                .position(|e| matches!(e, ClientEvent::Status(_)))
                && let Some(ClientEvent::Status(b)) = c.events.remove(pos)
            {
                return Ok(b);
            }
            if let Some(reason) = c.closed {
                return Err(ClientError::Closed(reason));
            }
            c.pump(end)?;
        }
    }

    // ----- settings and state -----

    /// How long to wait for each reply (default 60 s).
    pub fn set_timeout(&mut self, t: Duration) {
        self.timeout = t;
    }

    /// The AFP version used to decode replies (set by a successful login).
    pub fn version(&self) -> AfpVersion {
        self.version
    }

    /// Sets the AFP version used to decode replies.
    pub fn set_version(&mut self, v: AfpVersion) {
        self.version = v;
    }

    /// The server request quantum from the DSIOpenSession reply.
    pub fn server_quantum(&self) -> Option<u32> {
        self.server_quantum
    }

    /// The replay cache size from the DSIOpenSession reply.
    pub fn replay_cache_size(&self) -> Option<u32> {
        self.replay_cache_size
    }

    /// The DSI session (for request IDs and state).
    pub fn dsi(&self) -> &ClientSession {
        &self.dsi
    }

    /// The socket (to shut it down, read its addresses …).
    pub fn socket(&self) -> &TcpStream {
        &self.sock
    }

    /// Attentions received so far.
    pub fn attentions(&self) -> &[Attention] {
        &self.attentions
    }

    /// Whether the session has ended, and why (`Some(None)`: the TCP connection dropped).
    pub fn closed(&self) -> Option<Option<CloseReason>> {
        self.closed
    }

    // ----- I/O -----

    /// Writes everything the DSI session has queued.
    fn flush(&mut self) -> Result<(), ClientError> {
        while let Some(t) = self.dsi.poll_transmit(now()) {
            let head = t.header_bytes();
            self.sock.write_all(&head)?;
            if !t.payload.is_empty() {
                self.sock.write_all(&t.payload)?;
            }
            if !t.data.is_empty() {
                self.sock.write_all(&t.data)?;
            }
        }
        Ok(())
    }

    /// Reads once (up to the next timer or `end`), feeds the DSI session and collects its
    /// events.
    fn pump(&mut self, end: Instant) -> Result<(), ClientError> {
        let t = now();
        if t >= end {
            return Err(ClientError::Timeout);
        }
        if self.closed.is_some() {
            return Err(ClientError::Closed(self.closed.flatten()));
        }
        let mut wait = end - t;
        if let Some(deadline) = self.dsi.poll_timeout() {
            if deadline <= t {
                self.dsi.handle_timeout(t);
                self.collect()?;
                return Ok(());
            }
            wait = wait.min(deadline - t);
        }
        self.sock
            .set_read_timeout(Some(wait.max(Duration::from_millis(1))))?;
        let mut buf = [0u8; 64 * 1024];
        match self.sock.read(&mut buf) {
            Ok(0) => {
                if self.closed.is_none() {
                    self.closed = Some(None);
                }
                Ok(())
            }
            Ok(n) => {
                self.rx.extend_from_slice(&buf[..n]);
                if let Err(e) = self.dsi.handle_input(now(), &mut self.rx) {
                    self.closed = Some(None);
                    return Err(ClientError::Dsi(e));
                }
                self.collect()
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                let t = now();
                if self.dsi.poll_timeout().is_some_and(|d| d <= t) {
                    self.dsi.handle_timeout(t);
                    self.collect()?;
                }
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => {
                self.closed = Some(None);
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    fn collect(&mut self) -> Result<(), ClientError> {
        while let Some(ev) = self.dsi.poll_event() {
            match ev {
                ClientEvent::Attention(a) => self.attentions.push(a),
                ClientEvent::Closed(r) => {
                    self.closed = Some(Some(r));
                }
                other => self.events.push_back(other),
            }
        }
        // Tickle answers, close messages.
        let _ = self.flush();
        Ok(())
    }

    /// Waits for the reply to request `id`.
    fn wait_reply(&mut self, id: u16) -> Result<(ResultCode, Bytes), ClientError> {
        let end = now() + self.timeout;
        loop {
            if let Some(pos) = self.events.iter().position(
                |e| matches!(e, ClientEvent::Reply { request_id, .. } if *request_id == id),
            ) && let Some(ClientEvent::Reply {
                result, payload, ..
            }) = self.events.remove(pos)
            {
                return Ok((ResultCode(result), payload));
            }
            if self.closed.is_some() {
                return Err(ClientError::Closed(self.closed.flatten()));
            }
            self.pump(end)?;
        }
    }

    /// Waits up to `timeout` for the server to end the session (DSICloseSession or TCP
    /// close). True if it did.
    pub fn wait_closed(&mut self, timeout: Duration) -> bool {
        let end = now() + timeout;
        loop {
            if self.closed.is_some() {
                return true;
            }
            match self.pump(end) {
                Ok(()) => {}
                Err(ClientError::Timeout) => return false,
                Err(_) => return true,
            }
        }
    }

    /// Waits up to `timeout` for an attention. Returns it if one arrived (also counting
    /// ones received earlier and not yet taken).
    pub fn wait_attention(&mut self, timeout: Duration) -> Option<Attention> {
        let end = now() + timeout;
        loop {
            if !self.attentions.is_empty() {
                return Some(self.attentions.remove(0));
            }
            if self.closed.is_some() {
                return None;
            }
            if self.pump(end).is_err() {
                return (!self.attentions.is_empty()).then(|| self.attentions.remove(0));
            }
        }
    }

    /// Processes incoming traffic (tickles, attentions) for `d` without sending requests.
    pub fn idle(&mut self, d: Duration) {
        let end = now() + d;
        while now() < end && self.closed.is_none() {
            match self.pump(end) {
                Ok(()) | Err(ClientError::Timeout) => {}
                Err(_) => break,
            }
        }
    }

    /// Writes raw bytes to the socket (malformed DSI input).
    pub fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.sock.write_all(bytes)
    }

    /// Sends DSICloseSession and shuts the socket down.
    pub fn close(mut self) {
        self.dsi.close();
        let _ = self.flush();
        let _ = self.sock.shutdown(Shutdown::Both);
    }

    /// Drops the TCP connection without DSICloseSession.
    pub fn drop_connection(self) {
        let _ = self.sock.shutdown(Shutdown::Both);
    }

    // ----- generic requests -----

    /// Sends an AFP block in a DSICommand; the result code and reply block.
    pub fn try_call_raw(&mut self, block: Bytes) -> Result<(ResultCode, Bytes), ClientError> {
        let id = self.dsi.send_command(block)?;
        self.flush()?;
        self.wait_reply(id)
    }

    /// [`AfpClient::try_call_raw`], panicking on transport errors.
    pub fn call_raw(&mut self, block: impl Into<Bytes>) -> (ResultCode, Bytes) {
        self.try_call_raw(block.into())
            .unwrap_or_else(|e| panic!("AFP request failed below AFP: {e}"))
    }

    /// Sends a request; the result code and the raw reply block.
    pub fn try_call(
        &mut self,
        req: impl Into<Request>,
    ) -> Result<(ResultCode, Bytes), ClientError> {
        let req = req.into();
        let mut b = BytesMut::new();
        req.encode(&mut b);
        self.try_call_raw(b.freeze())
    }

    /// [`AfpClient::try_call`], panicking on transport errors.
    pub fn call(&mut self, req: impl Into<Request>) -> (ResultCode, Bytes) {
        let req = req.into();
        let code = req.code();
        self.try_call(req)
            .unwrap_or_else(|e| panic!("{code:?} failed below AFP: {e}"))
    }

    /// Sends a request and decodes the reply when the result is kFPNoErr.
    pub fn request(&mut self, req: impl Into<Request>) -> Result<Reply, ResultCode> {
        let req = req.into();
        let ctx = req.reply_context(self.version);
        let code = req.code();
        let (result, body) = self.call(req);
        if result != ResultCode::NO_ERR {
            return Err(result);
        }
        Ok(Reply::decode(code, &body, ctx)
            .unwrap_or_else(|e| panic!("cannot decode the {code:?} reply: {e}; body {body:02x?}")))
    }

    /// A DSIWrite with the given AFP header block and data; the result and reply block.
    pub fn try_write_raw(
        &mut self,
        header: Bytes,
        data: Bytes,
    ) -> Result<(ResultCode, Bytes), ClientError> {
        let id = self.dsi.send_write(header, data)?;
        self.flush()?;
        self.wait_reply(id)
    }

    /// Sends several requests before reading any reply (pipelining); the replies in
    /// request order.
    pub fn pipeline(&mut self, reqs: Vec<Request>) -> Vec<(ResultCode, Bytes)> {
        let mut ids = Vec::new();
        for r in reqs {
            let mut b = BytesMut::new();
            r.encode(&mut b);
            ids.push(self.dsi.send_command(b.freeze()).expect("send_command"));
        }
        self.flush().expect("write");
        ids.into_iter()
            .map(|id| self.wait_reply(id).expect("reply"))
            .collect()
    }

    // ----- login -----

    /// Logs in with FPLogin, AFP 3.4 and `uam`; the final result code (kFPNoErr,
    /// kFPPwdExpiredErr or the refusal).
    pub fn login(&mut self, user: &str, password: &str, uam: Uam) -> ResultCode {
        self.login_version(AfpVersion::V3_4.as_str(), user, password, uam, false)
    }

    /// Logs in with FPLoginExt, AFP 3.4 and `uam`.
    pub fn login_ext(&mut self, user: &str, password: &str, uam: Uam) -> ResultCode {
        self.login_version(AfpVersion::V3_4.as_str(), user, password, uam, true)
    }

    /// Cleartxt Passwrd with FPLogin and AFP 3.4 (what netatalk's spec tests use).
    pub fn login_cleartext(&mut self, user: &str, password: &str) -> ResultCode {
        self.login(user, password, Uam::CleartxtPasswrd)
    }

    /// Guest login (No User Authent).
    pub fn login_guest(&mut self) -> ResultCode {
        self.login("", "", Uam::NoUserAuthent)
    }

    /// DHX2 if the server offers it, else DHCAST128, else Cleartxt (from the status block).
    pub fn login_best(&mut self, user: &str, password: &str) -> ResultCode {
        let addr = self.sock.peer_addr().expect("peer address");
        let status = Self::get_status(addr).expect("status for login_best");
        let offered = |u: Uam| {
            status
                .uams
                .iter()
                .any(|n| &n[..] == u.wire_name().as_bytes())
        };
        let uam = [Uam::Dhx2, Uam::Dhcast128, Uam::CleartxtPasswrd]
            .into_iter()
            .find(|u| offered(*u))
            .expect("the server offers no password login method");
        self.login(user, password, uam)
    }

    /// Full control: version string as sent, FPLogin or FPLoginExt.
    pub fn login_version(
        &mut self,
        version: &str,
        user: &str,
        password: &str,
        uam: Uam,
        ext: bool,
    ) -> ResultCode {
        let mut rng = rand::rng();
        let uam_name = uam.wire_name().as_bytes();
        let form = if ext {
            LoginForm::LoginExt
        } else {
            LoginForm::Login {
                auth_offset: uam::login_auth_offset(version.as_bytes(), uam_name),
            }
        };
        let (mut login, auth) = match ClientLogin::start(
            uam,
            user.as_bytes(),
            Password::new(password.as_bytes().to_vec()),
            form,
            &mut rng,
        ) {
            Ok(x) => x,
            Err(e) => panic!("client login cannot start: {e}"),
        };
        let first: Request = if ext {
            command::LoginExt {
                flags: 0,
                version: Bytes::copy_from_slice(version.as_bytes()),
                uam: Bytes::copy_from_slice(uam_name),
                user_name: Bytes::copy_from_slice(user.as_bytes()),
                dir_service: (3, Bytes::new()),
                user_auth_info: auth,
            }
            .into()
        } else {
            command::Login {
                version: Bytes::copy_from_slice(version.as_bytes()),
                uam: Bytes::copy_from_slice(uam_name),
                user_auth_info: auth,
            }
            .into()
        };
        let (mut code, mut body) = self.call(first);
        loop {
            match login.handle_reply(code, &body, &mut rng) {
                Ok(ClientStep::Send { id, data }) => {
                    let (c, b) = self.call(command::LoginCont { id, data });
                    code = c;
                    body = b;
                }
                Ok(ClientStep::Done { password_expired }) => {
                    if let Some(v) = AfpVersion::from_wire(version.as_bytes()) {
                        self.version = v;
                    }
                    return if password_expired {
                        ResultCode::PWD_EXPIRED_ERR
                    } else {
                        ResultCode::NO_ERR
                    };
                }
                Err(uam::ClientError::Server(c)) => return c,
                Err(e) => {
                    panic!("login exchange failed on the client side: {e} (last code {code:?})")
                }
            }
        }
    }

    /// FPLogout.
    pub fn logout(&mut self) -> Result<(), ResultCode> {
        self.empty(command::Logout)
    }

    // ----- typed wrappers -----

    fn empty(&mut self, req: impl Into<Request>) -> Result<(), ResultCode> {
        match self.call(req) {
            (ResultCode::NO_ERR, _) => Ok(()),
            (code, _) => Err(code),
        }
    }

    /// FPGetSrvrInfo (after login).
    pub fn get_srvr_info(&mut self) -> Result<ServerStatus, ResultCode> {
        match self.request(command::GetSrvrInfo)? {
            Reply::GetSrvrInfo(s) => Ok(s),
            r => panic!("unexpected reply {r:?}"),
        }
    }

    /// FPGetSrvrParms.
    pub fn get_srvr_parms(&mut self) -> Result<command::ServerParms, ResultCode> {
        match self.request(command::GetSrvrParms)? {
            Reply::GetSrvrParms(p) => Ok(p),
            r => panic!("unexpected reply {r:?}"),
        }
    }

    /// FPOpenVol.
    pub fn open_vol(
        &mut self,
        name: &str,
        bitmap: VolumeBitmap,
    ) -> Result<VolumeParams, ResultCode> {
        match self.request(command::OpenVol {
            bitmap,
            name: Bytes::copy_from_slice(name.as_bytes()),
            password: None,
        })? {
            Reply::OpenVol(p) => Ok(p),
            r => panic!("unexpected reply {r:?}"),
        }
    }

    /// FPOpenVol asking for the volume ID; panics on failure.
    pub fn open_volume(&mut self, name: &str) -> u16 {
        let p = self
            .open_vol(name, VolumeBitmap::VOLUME_ID)
            .unwrap_or_else(|e| panic!("FPOpenVol {name}: {e:?}"));
        p.volume_id.expect("volume ID in the FPOpenVol reply")
    }

    /// FPCloseVol.
    pub fn close_vol(&mut self, volume_id: u16) -> Result<(), ResultCode> {
        self.empty(command::CloseVol { volume_id })
    }

    /// FPGetVolParms.
    pub fn get_vol_parms(
        &mut self,
        volume_id: u16,
        bitmap: VolumeBitmap,
    ) -> Result<VolumeParams, ResultCode> {
        match self.request(command::GetVolParms { volume_id, bitmap })? {
            Reply::GetVolParms(p) => Ok(p),
            r => panic!("unexpected reply {r:?}"),
        }
    }

    /// FPGetFileDirParms with a UTF-8 path.
    pub fn get_file_dir_parms(
        &mut self,
        volume_id: u16,
        dir_id: u32,
        path: &str,
        file_bitmap: FileBitmap,
        dir_bitmap: DirBitmap,
    ) -> Result<command::FileDirParmsReply, ResultCode> {
        match self.request(command::GetFileDirParms {
            volume_id,
            dir_id,
            file_bitmap,
            dir_bitmap,
            path: utf8(path),
        })? {
            Reply::GetFileDirParms(p) => Ok(p),
            r => panic!("unexpected reply {r:?}"),
        }
    }

    /// FPEnumerateExt2 with a UTF-8 path.
    #[allow(clippy::too_many_arguments)]
    pub fn enumerate_ext2(
        &mut self,
        volume_id: u16,
        dir_id: u32,
        path: &str,
        file_bitmap: FileBitmap,
        dir_bitmap: DirBitmap,
        req_count: u16,
        start_index: u32,
        max_reply_size: u32,
    ) -> Result<command::EnumerateReply, ResultCode> {
        match self.request(command::EnumerateExt2 {
            volume_id,
            dir_id,
            file_bitmap,
            dir_bitmap,
            req_count,
            start_index,
            max_reply_size,
            path: utf8(path),
        })? {
            Reply::EnumerateExt2(p) => Ok(p),
            r => panic!("unexpected reply {r:?}"),
        }
    }

    /// FPCreateFile.
    pub fn create_file(
        &mut self,
        volume_id: u16,
        dir_id: u32,
        path: &str,
        hard_create: bool,
    ) -> Result<(), ResultCode> {
        self.empty(command::CreateFile {
            hard_create,
            volume_id,
            dir_id,
            path: utf8(path),
        })
    }

    /// FPCreateDir: the new directory ID.
    pub fn create_dir(
        &mut self,
        volume_id: u16,
        dir_id: u32,
        path: &str,
    ) -> Result<u32, ResultCode> {
        match self.request(command::CreateDir {
            volume_id,
            dir_id,
            path: utf8(path),
        })? {
            Reply::CreateDir { dir_id } => Ok(dir_id),
            r => panic!("unexpected reply {r:?}"),
        }
    }

    /// FPDelete.
    pub fn delete(&mut self, volume_id: u16, dir_id: u32, path: &str) -> Result<(), ResultCode> {
        self.empty(command::Delete {
            volume_id,
            dir_id,
            path: utf8(path),
        })
    }

    /// FPRename.
    pub fn rename(
        &mut self,
        volume_id: u16,
        dir_id: u32,
        path: &str,
        new_name: &str,
    ) -> Result<(), ResultCode> {
        self.empty(command::Rename {
            volume_id,
            dir_id,
            path: utf8(path),
            new_name: utf8(new_name),
        })
    }

    /// FPMoveAndRename (`new_name` empty: keep the name).
    pub fn move_and_rename(
        &mut self,
        volume_id: u16,
        src_dir_id: u32,
        src_path: &str,
        dst_dir_id: u32,
        dst_path: &str,
        new_name: &str,
    ) -> Result<(), ResultCode> {
        self.empty(command::MoveAndRename {
            volume_id,
            src_dir_id,
            dst_dir_id,
            src_path: utf8(src_path),
            dst_path: utf8(dst_path),
            new_name: utf8(new_name),
        })
    }

    /// FPOpenFork (data fork unless `resource`).
    pub fn open_fork(
        &mut self,
        volume_id: u16,
        dir_id: u32,
        path: &str,
        resource: bool,
        access_mode: command::AccessMode,
        bitmap: FileBitmap,
    ) -> Result<command::OpenForkReply, ResultCode> {
        match self.request(command::OpenFork {
            resource,
            volume_id,
            dir_id,
            bitmap,
            access_mode,
            path: utf8(path),
        })? {
            Reply::OpenFork(r) => Ok(r),
            r => panic!("unexpected reply {r:?}"),
        }
    }

    /// FPOpenFork of the data fork for reading and writing; the fork reference.
    pub fn open_data_rw(
        &mut self,
        volume_id: u16,
        dir_id: u32,
        path: &str,
    ) -> Result<u16, ResultCode> {
        self.open_fork(
            volume_id,
            dir_id,
            path,
            false,
            command::AccessMode::READ | command::AccessMode::WRITE,
            FileBitmap::empty(),
        )
        .map(|r| r.fork)
    }

    /// FPReadExt: the result code (kFPNoErr, or kFPEOFErr with a short read) and the data.
    pub fn read_ext(&mut self, fork: u16, offset: i64, count: i64) -> (ResultCode, Bytes) {
        self.call(command::ReadExt {
            fork,
            offset,
            count,
        })
    }

    /// FPRead (32-bit, no newline mask).
    pub fn read(&mut self, fork: u16, offset: i32, count: i32) -> (ResultCode, Bytes) {
        self.call(command::Read {
            fork,
            offset,
            count,
            newline_mask: 0,
            newline_char: 0,
        })
    }

    /// FPWriteExt through DSIWrite: LastWritten.
    pub fn write_ext(
        &mut self,
        fork: u16,
        offset: i64,
        data: impl Into<Bytes>,
    ) -> Result<u64, ResultCode> {
        self.write_ext_flag(fork, offset, data, false)
    }

    /// FPWriteExt with the StartEndFlag (offset relative to the end of the fork).
    pub fn write_ext_flag(
        &mut self,
        fork: u16,
        offset: i64,
        data: impl Into<Bytes>,
        start_end: bool,
    ) -> Result<u64, ResultCode> {
        let data = data.into();
        let head = command::WriteExt {
            start_end,
            fork,
            offset,
            count: data.len() as i64,
        };
        let mut b = BytesMut::new();
        head.encode(&mut b);
        let (code, body) = self
            .try_write_raw(b.freeze(), data)
            .unwrap_or_else(|e| panic!("FPWriteExt failed below AFP: {e}"));
        if code != ResultCode::NO_ERR {
            return Err(code);
        }
        match Reply::decode(
            CommandCode::WRITE_EXT,
            &body,
            ReplyContext::new(self.version),
        ) {
            Ok(Reply::WriteExt { last_written }) => Ok(last_written),
            other => panic!("bad FPWriteExt reply {other:?}"),
        }
    }

    /// FPWrite (32-bit) through DSIWrite: LastWritten.
    pub fn write(
        &mut self,
        fork: u16,
        offset: i32,
        data: impl Into<Bytes>,
    ) -> Result<u32, ResultCode> {
        let data = data.into();
        let head = command::Write {
            start_end: false,
            fork,
            offset,
            count: data.len() as i32,
        };
        let mut b = BytesMut::new();
        head.encode(&mut b);
        let (code, body) = self
            .try_write_raw(b.freeze(), data)
            .unwrap_or_else(|e| panic!("FPWrite failed below AFP: {e}"));
        if code != ResultCode::NO_ERR {
            return Err(code);
        }
        match Reply::decode(CommandCode::WRITE, &body, ReplyContext::new(self.version)) {
            Ok(Reply::Write { last_written }) => Ok(last_written),
            other => panic!("bad FPWrite reply {other:?}"),
        }
    }

    /// Writes `data` at `offset` in pieces of at most the server quantum.
    pub fn write_all(&mut self, fork: u16, mut offset: i64, data: &[u8]) -> Result<(), ResultCode> {
        let q = self.server_quantum.unwrap_or(0x10_0000) as usize;
        for piece in data.chunks(q.max(1)) {
            let last = self.write_ext(fork, offset, Bytes::copy_from_slice(piece))?;
            offset = last as i64;
        }
        Ok(())
    }

    /// Reads `len` bytes from `offset` in pieces of at most 1 MiB.
    pub fn read_all(
        &mut self,
        fork: u16,
        mut offset: i64,
        len: usize,
    ) -> Result<Vec<u8>, ResultCode> {
        let mut out = Vec::with_capacity(len);
        while out.len() < len {
            let want = (len - out.len()).min(1 << 20);
            let (code, data) = self.read_ext(fork, offset, want as i64);
            out.extend_from_slice(&data);
            offset += data.len() as i64;
            match code {
                ResultCode::NO_ERR if !data.is_empty() => {}
                ResultCode::NO_ERR | ResultCode::EOF_ERR => break,
                c => return Err(c),
            }
        }
        Ok(out)
    }

    /// FPCloseFork.
    pub fn close_fork(&mut self, fork: u16) -> Result<(), ResultCode> {
        self.empty(command::CloseFork { fork })
    }

    /// FPFlushFork.
    pub fn flush_fork(&mut self, fork: u16) -> Result<(), ResultCode> {
        self.empty(command::FlushFork { fork })
    }

    /// FPSyncFork.
    pub fn sync_fork(&mut self, fork: u16) -> Result<(), ResultCode> {
        self.empty(command::SyncFork { fork })
    }

    /// FPGetForkParms.
    pub fn get_fork_parms(
        &mut self,
        fork: u16,
        bitmap: FileBitmap,
    ) -> Result<FileParams, ResultCode> {
        match self.request(command::GetForkParms { fork, bitmap })? {
            Reply::GetForkParms(p) => Ok(p),
            r => panic!("unexpected reply {r:?}"),
        }
    }

    /// FPSetForkParms setting the 64-bit data fork length (AFP 3).
    pub fn set_fork_len(&mut self, fork: u16, len: u64) -> Result<(), ResultCode> {
        self.empty(command::SetForkParms {
            fork,
            bitmap: FileBitmap::EXT_DATA_FORK_LEN,
            params: Bytes::copy_from_slice(&len.to_be_bytes()),
        })
    }

    /// FPByteRangeLockExt: RangeStart.
    pub fn byte_range_lock_ext(
        &mut self,
        fork: u16,
        flags: command::LockFlags,
        offset: i64,
        length: i64,
    ) -> Result<u64, ResultCode> {
        match self.request(command::ByteRangeLockExt {
            flags,
            fork,
            offset,
            length,
        })? {
            Reply::ByteRangeLockExt { range_start } => Ok(range_start),
            r => panic!("unexpected reply {r:?}"),
        }
    }

    /// FPGetExtAttr.
    pub fn get_ext_attr(
        &mut self,
        volume_id: u16,
        dir_id: u32,
        path: &str,
        name: &str,
        max_reply_size: u32,
    ) -> Result<command::ExtAttrData, ResultCode> {
        match self.request(command::GetExtAttr {
            volume_id,
            dir_id,
            bitmap: command::ExtAttrBitmap::NO_FOLLOW,
            offset: 0,
            req_count: -1,
            max_reply_size,
            path: utf8(path),
            name: Bytes::copy_from_slice(name.as_bytes()),
        })? {
            Reply::GetExtAttr(d) => Ok(d),
            r => panic!("unexpected reply {r:?}"),
        }
    }

    /// FPSetExtAttr.
    pub fn set_ext_attr(
        &mut self,
        volume_id: u16,
        dir_id: u32,
        path: &str,
        name: &str,
        data: &[u8],
        bitmap: command::ExtAttrBitmap,
    ) -> Result<(), ResultCode> {
        self.empty(command::SetExtAttr {
            volume_id,
            dir_id,
            bitmap,
            offset: 0,
            path: utf8(path),
            name: Bytes::copy_from_slice(name.as_bytes()),
            data: Bytes::copy_from_slice(data),
        })
    }

    /// FPListExtAttrs: the attribute names.
    pub fn list_ext_attrs(
        &mut self,
        volume_id: u16,
        dir_id: u32,
        path: &str,
        max_reply_size: u32,
    ) -> Result<command::ExtAttrList, ResultCode> {
        match self.request(command::ListExtAttrs {
            volume_id,
            dir_id,
            bitmap: command::ExtAttrBitmap::NO_FOLLOW,
            req_count: 0,
            start_index: 0,
            max_reply_size,
            path: utf8(path),
        })? {
            Reply::ListExtAttrs(l) => Ok(l),
            r => panic!("unexpected reply {r:?}"),
        }
    }

    /// FPRemoveExtAttr.
    pub fn remove_ext_attr(
        &mut self,
        volume_id: u16,
        dir_id: u32,
        path: &str,
        name: &str,
    ) -> Result<(), ResultCode> {
        self.empty(command::RemoveExtAttr {
            volume_id,
            dir_id,
            bitmap: command::ExtAttrBitmap::NO_FOLLOW,
            path: utf8(path),
            name: Bytes::copy_from_slice(name.as_bytes()),
        })
    }

    /// FPGetUserInfo for this user.
    pub fn get_user_info(
        &mut self,
        bitmap: command::UserInfoBitmap,
    ) -> Result<command::UserInfo, ResultCode> {
        match self.request(command::GetUserInfo {
            flags: command::GetUserInfo::THIS_USER,
            user_id: 0,
            bitmap,
        })? {
            Reply::GetUserInfo(u) => Ok(u),
            r => panic!("unexpected reply {r:?}"),
        }
    }

    /// FPGetSessionToken: the token.
    pub fn get_session_token(
        &mut self,
        kind: command::TokenType,
        timestamp: Option<u32>,
        id: &[u8],
    ) -> Result<Bytes, ResultCode> {
        match self.request(command::GetSessionToken {
            kind,
            timestamp,
            id: Bytes::copy_from_slice(id),
        })? {
            Reply::GetSessionToken(t) => Ok(t.token),
            r => panic!("unexpected reply {r:?}"),
        }
    }

    /// FPDisconnectOldSession.
    pub fn disconnect_old_session(
        &mut self,
        kind: command::TokenType,
        token: &[u8],
    ) -> Result<(), ResultCode> {
        self.empty(command::DisconnectOldSession {
            kind,
            token: Bytes::copy_from_slice(token),
        })
    }

    /// FPZzzzz: the sleep hours the server answers (if any).
    pub fn zzzzz(&mut self, flags: u32) -> Result<Option<u32>, ResultCode> {
        match self.request(command::Zzzzz { flags })? {
            Reply::Zzzzz { sleep_hours } => Ok(sleep_hours),
            r => panic!("unexpected reply {r:?}"),
        }
    }

    /// FPGetSrvrMsg.
    pub fn get_srvr_msg(
        &mut self,
        kind: u16,
        bitmap: u16,
    ) -> Result<command::ServerMessage, ResultCode> {
        match self.request(command::GetSrvrMsg { kind, bitmap })? {
            Reply::GetSrvrMsg(m) => Ok(m),
            r => panic!("unexpected reply {r:?}"),
        }
    }

    /// FPMapID.
    pub fn map_id(
        &mut self,
        subfunction: u8,
        key: command::MapIdKey,
    ) -> Result<command::MapIdReply, ResultCode> {
        match self.request(command::MapId { subfunction, key })? {
            Reply::MapId(m) => Ok(m),
            r => panic!("unexpected reply {r:?}"),
        }
    }

    /// FPMapName.
    pub fn map_name(
        &mut self,
        subfunction: u8,
        name: &str,
    ) -> Result<command::MapNameReply, ResultCode> {
        match self.request(command::MapName {
            subfunction,
            name: Bytes::copy_from_slice(name.as_bytes()),
        })? {
            Reply::MapName(m) => Ok(m),
            r => panic!("unexpected reply {r:?}"),
        }
    }
}

/// A UTF-8 (type 3) path from a `&str`, bytes as given: separate elements with `\0`
/// (`"dir\0file"`); a `/` is part of a name, as on the wire.
pub fn utf8(path: &str) -> Path {
    Path::utf8(Bytes::copy_from_slice(path.as_bytes()))
}
