//! One DSI connection over TCP, driving [`dsi::ClientSession`] from tokio.
//!
//! Three parts share the session behind a mutex:
//!
//! * the caller: [`Connection::submit`] / [`Connection::submit_write`] queue a request and
//!   return a [`PendingReply`] at once, so many requests can be in flight; a semaphore
//!   sized to [`dsi::ClientSession::max_outstanding`] (the server's replay cache) holds
//!   back the next one when the window is full;
//! * a reader task: reads the socket into one buffer, feeds `handle_input`, hands each
//!   [`dsi::ClientEvent::Reply`] to the waiting request by its ID, answers tickles, and
//!   arms the session's one timer (tickles, idle timeout);
//! * a writer task: writes each [`dsi::Transmit`] with vectored writes (header, AFP
//!   block, write data) without copying the data.
//!
//! Reading and writing run independently, so a server that writes large read replies
//! while the client is still sending never deadlocks the connection.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use dsi::{ClientConfig, ClientEvent, ClientSession, CloseReason, Transmit};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};
use tokio::task::AbortHandle;

use afp_proto::ResultCode;
use afp_proto::status::ServerStatus;

use crate::error::{Error, Result};

/// The client's one clock seam: libraries never read the clock, binaries do it here.
#[allow(clippy::disallowed_methods)]
pub fn now() -> Instant {
    Instant::now()
}

/// Read buffer growth step.
const READ_CHUNK: usize = 256 * 1024;

/// Settings for [`Connection::connect`].
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// Time allowed for the TCP connection and the DSIOpenSession exchange.
    pub timeout: Duration,
    /// Most requests in flight (lowered further to the server's replay cache size).
    pub max_outstanding: usize,
    /// Largest reply accepted (bounds FPReadExt sizes).
    pub max_reply_len: u32,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            timeout: Duration::from_secs(15),
            max_outstanding: 64,
            max_reply_len: 8 << 20,
        }
    }
}

/// A reply as it came: the AFP result code and the reply block.
#[derive(Debug, Clone)]
pub struct RawReply {
    /// The result code from the DSI header.
    pub result: ResultCode,
    /// The AFP reply block.
    pub payload: Bytes,
}

enum WriterMsg {
    Transmit(Transmit),
    Flush(oneshot::Sender<()>),
}

/// Who waits for a reply, and the window slot the request holds until its reply comes
/// (even if the waiter gave up).
type Waiter = (
    oneshot::Sender<Result<RawReply, String>>,
    OwnedSemaphorePermit,
);

struct State {
    session: ClientSession,
    waiters: HashMap<u16, Waiter>,
    /// Why the connection ended, once it has.
    closed: Option<String>,
}

impl State {
    /// Moves everything the session produced to the waiters and the writer.
    fn dispatch(&mut self, tx: &mpsc::UnboundedSender<WriterMsg>) {
        while let Some(ev) = self.session.poll_event() {
            match ev {
                ClientEvent::Reply {
                    request_id,
                    result,
                    payload,
                } => {
                    if let Some((w, _slot)) = self.waiters.remove(&request_id) {
                        let _ = w.send(Ok(RawReply {
                            result: ResultCode(result),
                            payload,
                        }));
                    }
                }
                ClientEvent::Closed(reason) => {
                    let why = match reason {
                        CloseReason::PeerClosed => "the server closed the session".to_owned(),
                        CloseReason::IdleTimeout => {
                            "the server stopped answering (idle timeout)".to_owned()
                        }
                        CloseReason::Local => "closed".to_owned(),
                        CloseReason::StatusDone => "status exchange finished".to_owned(),
                        CloseReason::Refused(code) => {
                            format!("the server refused the session ({})", ResultCode(code))
                        }
                    };
                    self.fail(why);
                }
                ClientEvent::Attention(a) => {
                    // Server messages, shutdown notices: nothing to do for a CLI session
                    // beyond noticing the session end that follows.
                    let _ = a;
                }
                ClientEvent::Opened { .. } | ClientEvent::Status(_) => {}
            }
        }
        let t0 = now();
        while let Some(t) = self.session.poll_transmit(t0) {
            let _ = tx.send(WriterMsg::Transmit(t));
        }
    }

    /// Ends the connection: every waiting request fails with `why`.
    fn fail(&mut self, why: String) {
        for (_, (w, _slot)) in self.waiters.drain() {
            let _ = w.send(Err(why.clone()));
        }
        if self.closed.is_none() {
            self.closed = Some(why);
        }
    }
}

struct Shared {
    state: Arc<Mutex<State>>,
    tx: mpsc::UnboundedSender<WriterMsg>,
    slots: Arc<Semaphore>,
    quantum: u32,
    replay_cache: Option<u32>,
    reader: AbortHandle,
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// An open DSI session: a cheap handle (clone it to share the connection).
#[derive(Clone)]
pub struct Connection {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("quantum", &self.shared.quantum)
            .field("max_outstanding", &self.max_outstanding())
            .finish_non_exhaustive()
    }
}

/// A request in flight; [`PendingReply::wait`] for its reply. Dropping it does not free
/// the request's window slot before the reply arrives.
#[derive(Debug)]
pub struct PendingReply {
    rx: oneshot::Receiver<Result<RawReply, String>>,
}

impl PendingReply {
    /// Waits for the reply.
    pub async fn wait(self) -> Result<RawReply> {
        match self.rx.await {
            Ok(Ok(r)) => Ok(r),
            Ok(Err(why)) => Err(Error::Connection(why)),
            Err(_) => Err(Error::Connection("the connection was dropped".into())),
        }
    }
}

async fn tcp_connect(addr: &str, timeout: Duration) -> Result<TcpStream> {
    let stream = tokio::time::timeout(timeout, TcpStream::connect(addr))
        .await
        .map_err(|_| Error::Connect {
            addr: addr.to_owned(),
            reason: format!("no answer within {} s", timeout.as_secs()),
        })?
        .map_err(|e| Error::Connect {
            addr: addr.to_owned(),
            reason: e.to_string(),
        })?;
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

async fn write_all(wr: &mut OwnedWriteHalf, t: Transmit) -> std::io::Result<()> {
    let mut buf = t.into_buf();
    wr.write_all_buf(&mut buf).await
}

/// Reads until the session produces an event, during the opening exchanges.
async fn next_event(
    rd: &mut OwnedReadHalf,
    buf: &mut BytesMut,
    session: &mut ClientSession,
    addr: &str,
) -> Result<ClientEvent> {
    loop {
        if let Some(ev) = session.poll_event() {
            return Ok(ev);
        }
        buf.reserve(READ_CHUNK);
        let n = rd.read_buf(buf).await.map_err(|e| Error::Connect {
            addr: addr.to_owned(),
            reason: e.to_string(),
        })?;
        if n == 0 {
            return Err(Error::Connect {
                addr: addr.to_owned(),
                reason: "the server closed the connection".into(),
            });
        }
        session
            .handle_input(now(), buf)
            .map_err(|e| Error::Protocol(e.to_string()))?;
    }
}

/// Asks a server for its status block (DSIGetStatus on a fresh connection, as
/// `afpgetstatus` and the Finder do before logging in). Returns the raw block and its
/// decoded form.
pub async fn get_status(addr: &str, timeout: Duration) -> Result<(Bytes, ServerStatus)> {
    let stream = tcp_connect(addr, timeout).await?;
    let (mut rd, mut wr) = stream.into_split();
    let mut session = ClientSession::new(ClientConfig::default(), now());
    session
        .get_status(now())
        .map_err(|e| Error::Protocol(e.to_string()))?;
    while let Some(t) = session.poll_transmit(now()) {
        write_all(&mut wr, t).await.map_err(|e| Error::Connect {
            addr: addr.to_owned(),
            reason: e.to_string(),
        })?;
    }
    let mut buf = BytesMut::new();
    let ev = tokio::time::timeout(timeout, next_event(&mut rd, &mut buf, &mut session, addr))
        .await
        .map_err(|_| Error::Connect {
            addr: addr.to_owned(),
            reason: format!("no status reply within {} s", timeout.as_secs()),
        })??;
    match ev {
        ClientEvent::Status(block) => {
            let status = ServerStatus::decode(&block)
                .map_err(|e| Error::Protocol(format!("status block: {e}")))?;
            Ok((block, status))
        }
        ClientEvent::Closed(reason) => Err(Error::Connect {
            addr: addr.to_owned(),
            reason: format!("the server ended the session ({reason:?})"),
        }),
        other => Err(Error::Protocol(format!(
            "unexpected answer to DSIGetStatus: {other:?}"
        ))),
    }
}

impl Connection {
    /// Connects to `addr` (`host:port`) and opens a DSI session.
    pub async fn connect(addr: &str, options: &ConnectOptions) -> Result<Connection> {
        let stream = tcp_connect(addr, options.timeout).await?;
        let (mut rd, mut wr) = stream.into_split();
        let config = ClientConfig {
            max_outstanding: options.max_outstanding.max(1),
            max_reply_len: options.max_reply_len,
            ..ClientConfig::default()
        };
        let mut session = ClientSession::new(config, now());
        session
            .open(now())
            .map_err(|e| Error::Protocol(e.to_string()))?;
        while let Some(t) = session.poll_transmit(now()) {
            write_all(&mut wr, t).await.map_err(|e| Error::Connect {
                addr: addr.to_owned(),
                reason: e.to_string(),
            })?;
        }
        let mut buf = BytesMut::new();
        let ev = tokio::time::timeout(
            options.timeout,
            next_event(&mut rd, &mut buf, &mut session, addr),
        )
        .await
        .map_err(|_| Error::Connect {
            addr: addr.to_owned(),
            reason: format!(
                "no DSIOpenSession reply within {} s",
                options.timeout.as_secs()
            ),
        })??;
        let (quantum, replay_cache) = match ev {
            ClientEvent::Opened {
                server_quantum,
                replay_cache_size,
            } => (
                server_quantum.unwrap_or(dsi::DEFAULT_SERVER_QUANTUM),
                replay_cache_size,
            ),
            ClientEvent::Closed(CloseReason::Refused(code)) => {
                return Err(Error::Connect {
                    addr: addr.to_owned(),
                    reason: format!("the server refused the session: {}", ResultCode(code)),
                });
            }
            other => {
                return Err(Error::Protocol(format!(
                    "unexpected answer to DSIOpenSession: {other:?}"
                )));
            }
        };
        let slots = Arc::new(Semaphore::new(session.max_outstanding().max(1)));
        let state = Arc::new(Mutex::new(State {
            session,
            waiters: HashMap::new(),
            closed: None,
        }));
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(writer(wr, rx, state.clone()));
        let reader = tokio::spawn(reader(rd, buf, state.clone(), tx.clone())).abort_handle();
        Ok(Connection {
            shared: Arc::new(Shared {
                state,
                tx,
                slots,
                quantum,
                replay_cache,
                reader,
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.shared.state)
    }

    /// The server request quantum: the most data one FPWriteExt may carry, and the read
    /// size this client asks for.
    pub fn quantum(&self) -> u32 {
        self.shared.quantum
    }

    /// The server's replay cache size, if it advertised one.
    pub fn replay_cache_size(&self) -> Option<u32> {
        self.shared.replay_cache
    }

    /// Most requests that may be in flight at once.
    pub fn max_outstanding(&self) -> usize {
        self.lock().session.max_outstanding()
    }

    /// Why the connection ended, if it has.
    pub fn closed_reason(&self) -> Option<String> {
        self.lock().closed.clone()
    }

    async fn slot(&self) -> Result<OwnedSemaphorePermit> {
        self.shared
            .slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Error::Connection("the connection was closed".into()))
    }

    fn queue(
        &self,
        slot: OwnedSemaphorePermit,
        send: impl FnOnce(&mut ClientSession) -> std::result::Result<u16, dsi::SessionError>,
    ) -> Result<PendingReply> {
        let mut st = self.lock();
        if let Some(why) = &st.closed {
            return Err(Error::Connection(why.clone()));
        }
        let id = send(&mut st.session).map_err(|e| match e {
            dsi::SessionError::Closed => Error::Connection("the session is closed".into()),
            other => Error::Protocol(other.to_string()),
        })?;
        let (otx, orx) = oneshot::channel();
        st.waiters.insert(id, (otx, slot));
        st.dispatch(&self.shared.tx);
        Ok(PendingReply { rx: orx })
    }

    /// Queues an AFP request (a DSICommand); waits only for a free slot in the window.
    pub async fn submit(&self, request: Bytes) -> Result<PendingReply> {
        let slot = self.slot().await?;
        self.queue(slot, |s| s.send_command(request))
    }

    /// Queues an FPWrite/FPWriteExt/FPAddIcon (a DSIWrite): the AFP header and the data,
    /// which must not exceed [`Connection::quantum`].
    pub async fn submit_write(&self, command: Bytes, data: Bytes) -> Result<PendingReply> {
        let slot = self.slot().await?;
        self.queue(slot, |s| s.send_write(command, data))
    }

    /// Sends a request and waits for its reply.
    pub async fn call(&self, request: Bytes) -> Result<RawReply> {
        self.submit(request).await?.wait().await
    }

    /// Ends the DSI session (DSICloseSession) and waits until it is written.
    pub async fn close(&self) {
        let (ftx, frx) = oneshot::channel();
        {
            let mut st = self.lock();
            st.session.close();
            st.dispatch(&self.shared.tx);
            let _ = self.shared.tx.send(WriterMsg::Flush(ftx));
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), frx).await;
        self.shared.slots.close();
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

async fn writer(
    mut wr: OwnedWriteHalf,
    mut rx: mpsc::UnboundedReceiver<WriterMsg>,
    state: Arc<Mutex<State>>,
) {
    while let Some(msg) = rx.recv().await {
        match msg {
            WriterMsg::Transmit(t) => {
                if let Err(e) = write_all(&mut wr, t).await {
                    lock(&state).fail(format!("writing to the server: {e}"));
                    return;
                }
            }
            WriterMsg::Flush(done) => {
                let _ = wr.flush().await;
                let _ = done.send(());
            }
        }
    }
    let _ = wr.shutdown().await;
}

async fn reader(
    mut rd: OwnedReadHalf,
    mut buf: BytesMut,
    state: Arc<Mutex<State>>,
    tx: mpsc::UnboundedSender<WriterMsg>,
) {
    // Frames that arrived with the open reply.
    {
        let mut st = lock(&state);
        if !buf.is_empty() {
            let r = st.session.handle_input(now(), &mut buf);
            if let Err(e) = r {
                st.fail(format!("the server broke the protocol: {e}"));
            }
        }
        st.dispatch(&tx);
    }
    loop {
        let deadline = {
            let st = lock(&state);
            if st.closed.is_some() {
                return;
            }
            st.session.poll_timeout()
        };
        if buf.capacity() - buf.len() < READ_CHUNK / 4 {
            buf.reserve(READ_CHUNK);
        }
        let read = match deadline {
            Some(d) => {
                let d = tokio::time::Instant::from_std(d);
                tokio::select! {
                    r = rd.read_buf(&mut buf) => Some(r),
                    _ = tokio::time::sleep_until(d) => None,
                }
            }
            None => Some(rd.read_buf(&mut buf).await),
        };
        let mut st = lock(&state);
        match read {
            Some(Ok(0)) => {
                st.fail("the server closed the connection".into());
            }
            Some(Ok(_)) => {
                if let Err(e) = st.session.handle_input(now(), &mut buf) {
                    st.fail(format!("the server broke the protocol: {e}"));
                }
            }
            Some(Err(e)) => st.fail(format!("reading from the server: {e}")),
            None => st.session.handle_timeout(now()),
        }
        st.dispatch(&tx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dsi::{ServerConfig, ServerEvent, ServerSession};
    use tokio::net::TcpListener;

    /// A DSI server on loopback that answers each batch of commands in reverse order,
    /// echoing the request (or the write data length) with result `-(request[0])`, and
    /// closes the connection when it sees a command starting with 0xFF.
    async fn fake_server(quantum: u32) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let config = ServerConfig {
                server_quantum: quantum,
                replay_cache_size: 4,
                ..ServerConfig::default()
            };
            let mut s = ServerSession::new(config, now());
            let mut buf = BytesMut::new();
            let mut writes: HashMap<u16, usize> = HashMap::new();
            loop {
                buf.reserve(64 * 1024);
                if sock.read_buf(&mut buf).await.unwrap_or(0) == 0 {
                    return;
                }
                s.handle_input(now(), &mut buf).unwrap();
                let mut batch = Vec::new();
                while let Some(ev) = s.poll_event() {
                    match ev {
                        ServerEvent::Command {
                            request_id,
                            request,
                        } => {
                            if request[0] == 0xFF {
                                return;
                            }
                            batch.push((request_id, -i32::from(request[0]), request));
                        }
                        ServerEvent::Write { request_id, .. } => {
                            writes.insert(request_id, 0);
                        }
                        ServerEvent::WriteData {
                            request_id,
                            data,
                            last,
                        } => {
                            let n = writes.entry(request_id).or_default();
                            *n += data.len();
                            if last {
                                let len = Bytes::from((*n as u64).to_be_bytes().to_vec());
                                batch.push((request_id, 0, len));
                            }
                        }
                        _ => {}
                    }
                }
                for (id, result, payload) in batch.into_iter().rev() {
                    s.reply(id, result, payload).unwrap();
                }
                while let Some(t) = s.poll_transmit(now()) {
                    sock.write_all_buf(&mut t.into_buf()).await.unwrap();
                }
            }
        });
        addr
    }

    #[tokio::test]
    async fn pipelined_replies_reach_their_requests_in_any_order() {
        let addr = fake_server(64 * 1024).await;
        let c = Connection::connect(&addr, &ConnectOptions::default())
            .await
            .unwrap();
        assert_eq!(c.quantum(), 64 * 1024);
        // The window is the server's replay cache.
        assert_eq!(c.max_outstanding(), 4);
        let mut pending = Vec::new();
        for i in 1..=40u8 {
            pending.push((i, c.submit(Bytes::from(vec![i, 0, i])).await.unwrap()));
        }
        for (i, p) in pending {
            let r = p.wait().await.unwrap();
            assert_eq!(r.result, ResultCode(-i32::from(i)));
            assert_eq!(&r.payload[..], &[i, 0, i]);
        }
        // Writes carry their data apart from the command block.
        let data = Bytes::from(vec![7u8; 60_000]);
        let r = c
            .submit_write(Bytes::from_static(&[61, 0]), data)
            .await
            .unwrap()
            .wait()
            .await
            .unwrap();
        assert_eq!(&r.payload[..], &60_000u64.to_be_bytes());
        // More than the quantum is refused before anything is sent.
        let big = Bytes::from(vec![0u8; 64 * 1024 + 1]);
        assert!(matches!(
            c.submit_write(Bytes::from_static(&[61, 0]), big).await,
            Err(Error::Protocol(_))
        ));
    }

    #[tokio::test]
    async fn a_vanished_server_fails_the_waiting_requests() {
        let addr = fake_server(64 * 1024).await;
        let c = Connection::connect(&addr, &ConnectOptions::default())
            .await
            .unwrap();
        let waiting = c.submit(Bytes::from_static(&[0xFF, 0])).await.unwrap();
        assert!(matches!(waiting.wait().await, Err(Error::Connection(_))));
        assert!(c.closed_reason().is_some());
        assert!(matches!(
            c.call(Bytes::from_static(&[1, 0])).await,
            Err(Error::Connection(_))
        ));
    }

    #[tokio::test]
    async fn nothing_listening_is_a_connect_error() {
        let addr = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().to_string()
        };
        let e = Connection::connect(&addr, &ConnectOptions::default())
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Connect { .. }), "{e}");
        assert_eq!(e.exit_code(), crate::error::EXIT_CONNECT);
    }
}
