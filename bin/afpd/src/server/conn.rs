//! The network task of one connection: owns the socket and the `dsi::ServerSession`,
//! hands AFP requests to the session thread and writes its answers.
//!
//! The driver loop follows the `dsi` crate's polling order: feed what was read into
//! `handle_input`, drain `poll_event`, write every `poll_transmit` (header, reply block and
//! data as one `Buf` chain: an FPReadExt reply is not copied), and arm one timer from
//! `poll_timeout` (tickles, idle timeout, the 120 s limit for the first message).
//!
//! * The session thread is started when DSIOpenSession is accepted; a connection that only
//!   asks for the status (DSIGetStatus) never gets one.
//! * `max connections` counts open DSI sessions: above it DSIOpenSession is answered
//!   DSIERR_TOOMANY (-1074, netatalk's `dsi_getsess`) and the connection closed; the status
//!   is still served.
//! * DSIWrite data goes to the session thread in pieces through a bounded channel, so a
//!   slow disk slows the client down instead of filling memory.
//! * A protocol error (undecodable DSI) closes this connection only.
//! * A sleeping client (FPZzzzz) has no tickles or idle timeout; its session is dropped
//!   after `sleep time` hours.
//! * Server shutdown: DSIAttention 0x8000, in-flight requests get a few seconds to finish,
//!   then DSICloseSession.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use dsi::{Attention, CloseReason, ErrorCode, ServerEvent, ServerSession};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use super::ServerCtx;
use super::registry::NetControl;
use crate::session::{Adoption, Effect, FromSession, ToSession, thread};

/// Pieces of DSIWrite data in flight to the session thread (64 KiB reads: ~1 MiB).
const WRITE_PIPE: usize = 16;
/// Requests queued for the session thread.
const REQUEST_PIPE: usize = 64;
/// How long in-flight requests may take after a shutdown notice.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// Read buffer growth.
const READ_CHUNK: usize = 64 * 1024;

/// Reads the clock (the binary's clock seam).
#[allow(clippy::disallowed_methods)]
fn now() -> Instant {
    Instant::now()
}

/// Serves one accepted connection until it ends.
pub async fn run(ctx: Arc<ServerCtx>, mut sock: TcpStream, peer: SocketAddr) {
    let _ = sock.set_nodelay(true);
    let accepted = now();
    let runtime = ctx.runtime();
    let mut buf = BytesMut::with_capacity(READ_CHUNK);

    // Peek at the first header's command byte to know whether this is DSIOpenSession
    // (which takes a connection slot) or a status request.
    let open_timeout = runtime.dsi.open_timeout;
    while buf.len() < 2 {
        let read = tokio::time::timeout(open_timeout, sock.read_buf(&mut buf)).await;
        match read {
            Ok(Ok(n)) if n > 0 => {}
            _ => return,
        }
    }
    let wants_open = buf[1] == dsi::Command::OPEN_SESSION.0;
    let slot = if wants_open && !ctx.is_shutting_down() {
        ctx.sessions.try_open(runtime.config.global.max_connections)
    } else {
        None
    };
    let mut config = runtime.dsi.clone();
    if wants_open && slot.is_none() {
        // spec §2.8 / netatalk dsi_getsess: "too many connections" → DSIERR_TOOMANY.
        tracing::info!(target: "dsi", %peer, "too many connections: DSIOpenSession refused");
        config.refuse_open = Some(ErrorCode::TOO_MANY);
    }
    let mut dsi = ServerSession::new(config, accepted);

    let (reply_tx, mut reply_rx) = mpsc::unbounded_channel::<FromSession>();
    let (net_tx, mut net_rx) = mpsc::unbounded_channel::<NetControl>();
    let mut to_thread: Option<mpsc::Sender<ToSession>> = None;
    let mut session_id = None;
    let mut writer: Option<mpsc::Sender<Bytes>> = None;
    let mut clean = false;
    let mut shutdown_at: Option<Instant> = None;
    // netatalk keeps a sleeping client's session for `sleep time` hours, then drops it.
    let sleep_time =
        Duration::from_secs(u64::from(runtime.config.global.sleep_time_hours.max(1)) * 3600);
    let mut sleep_until: Option<Instant> = None;
    let mut reply_tx = Some(reply_tx);

    if let Err(e) = dsi.handle_input(now(), &mut buf) {
        tracing::info!(target: "dsi", %peer, "protocol error, closing: {e}");
        return;
    }

    loop {
        // 1. Events.
        while let Some(ev) = dsi.poll_event() {
            match ev {
                ServerEvent::Opened { .. } => {
                    let Some(replies) = reply_tx.take() else {
                        continue;
                    };
                    let (req_tx, req_rx) = mpsc::channel(REQUEST_PIPE);
                    let (ctl_tx, ctl_rx) = std::sync::mpsc::channel();
                    let id = ctx.sessions.next_id();
                    ctx.sessions.register(id, net_tx.clone(), ctl_tx);
                    let channels = Adoption {
                        requests: req_rx,
                        replies,
                        net: net_tx.clone(),
                        client: peer,
                        answer: None,
                    };
                    match thread::spawn(ctx.clone(), runtime.clone(), id, channels, ctl_rx) {
                        Ok(()) => {
                            tracing::debug!(target: "dsi", %peer, session = %id, "session opened");
                            to_thread = Some(req_tx);
                            session_id = Some(id);
                        }
                        Err(e) => {
                            tracing::error!(target: "afpd", %peer, "cannot start a session thread: {e}");
                            ctx.sessions.unregister(id);
                            dsi.close();
                        }
                    }
                }
                ServerEvent::StatusRequest { request_id } => {
                    let _ = dsi.reply(request_id, 0, runtime.status.clone());
                }
                ServerEvent::Command {
                    request_id,
                    request,
                } => match &to_thread {
                    Some(t) => {
                        let _ = t
                            .send(ToSession::Command {
                                request_id,
                                request,
                            })
                            .await;
                    }
                    None => {
                        let _ =
                            dsi.reply(request_id, afp_proto::ResultCode::MISC_ERR.0, Bytes::new());
                    }
                },
                ServerEvent::Write {
                    request_id,
                    command,
                    data_len,
                } => {
                    let (tx, rx) = mpsc::channel(WRITE_PIPE);
                    if data_len > 0 {
                        writer = Some(tx);
                    }
                    match &to_thread {
                        Some(t) => {
                            let _ = t
                                .send(ToSession::Write {
                                    request_id,
                                    command,
                                    data_len,
                                    data: rx,
                                })
                                .await;
                        }
                        None => {
                            writer = None;
                            let _ = dsi.reply(
                                request_id,
                                afp_proto::ResultCode::MISC_ERR.0,
                                Bytes::new(),
                            );
                        }
                    }
                }
                ServerEvent::WriteData { data, last, .. } => {
                    if let Some(w) = &writer
                        && w.send(data).await.is_err()
                    {
                        // The handler stopped reading; the rest is dropped here.
                        writer = None;
                    }
                    if last {
                        writer = None;
                    }
                }
                ServerEvent::Replayed {
                    request_id,
                    afp_command,
                } => {
                    tracing::debug!(target: "dsi", %peer, request_id, afp_command, "answered from the replay cache");
                }
                ServerEvent::Closed(reason) => {
                    clean = matches!(
                        reason,
                        CloseReason::PeerClosed | CloseReason::Local | CloseReason::StatusDone
                    );
                    tracing::debug!(target: "dsi", %peer, ?reason, "DSI session closed");
                }
            }
        }

        // 2. Transmits.
        while let Some(t) = dsi.poll_transmit(now()) {
            let mut b = t.into_buf();
            if let Err(e) = sock.write_all_buf(&mut b).await {
                tracing::debug!(target: "dsi", %peer, "write failed: {e}");
                return end(to_thread, writer, false).await;
            }
        }
        if dsi.is_closed() {
            break;
        }
        if let Some(at) = shutdown_at
            && (dsi.outstanding() == 0 || now() >= at)
        {
            clean = true;
            dsi.close();
            continue;
        }

        // 3. Wait for the socket, a timer, the session thread or the registry.
        let mut deadline = dsi.poll_timeout();
        if let Some(at) = shutdown_at {
            deadline = Some(deadline.map_or(at, |d| d.min(at)));
        }
        if dsi.sleep_state() == dsi::Sleep::Awake {
            sleep_until = None;
        } else if let Some(at) = sleep_until {
            if now() >= at {
                tracing::info!(target: "dsi", %peer, "client slept longer than `sleep time`: dropping the session");
                break;
            }
            deadline = Some(deadline.map_or(at, |d| d.min(at)));
        }
        let sleep = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d.into()).await,
                None => std::future::pending().await,
            }
        };
        buf.reserve(READ_CHUNK);
        tokio::select! {
            r = sock.read_buf(&mut buf) => match r {
                Ok(0) => {
                    tracing::debug!(target: "dsi", %peer, mid_frame = dsi.is_mid_frame(), "connection closed by the client");
                    break;
                }
                Ok(_) => {
                    if let Err(e) = dsi.handle_input(now(), &mut buf) {
                        tracing::info!(target: "dsi", %peer, "protocol error, closing the connection: {e}");
                        break;
                    }
                }
                Err(e) => {
                    tracing::debug!(target: "dsi", %peer, "read failed: {e}");
                    break;
                }
            },
            () = sleep => dsi.handle_timeout(now()),
            msg = reply_rx.recv() => match msg {
                Some(FromSession::Reply { request_id, result, payload }) => {
                    if let Err(e) = dsi.reply(request_id, result, payload) {
                        tracing::debug!(target: "dsi", %peer, request_id, "reply dropped: {e}");
                    }
                }
                Some(FromSession::Serving(id)) => session_id = Some(id),
                Some(FromSession::ReplayCache(cache)) => dsi.set_replay_cache(cache),
                Some(FromSession::Effect(e)) => {
                    if let Effect::Sleep { .. } = e {
                        sleep_until = now().checked_add(sleep_time);
                    }
                    apply(&mut dsi, e);
                }
                // The session thread is gone (ended, or handed the connection over).
                None => {
                    if to_thread.is_some() {
                        dsi.close();
                        to_thread = None;
                    }
                }
            },
            ctl = net_rx.recv() => match ctl {
                Some(NetControl::Shutdown) if shutdown_at.is_none() => {
                    let _ = dsi.send_attention(Attention::shutdown(0));
                    shutdown_at = Some(now() + SHUTDOWN_GRACE);
                }
                Some(NetControl::Shutdown) => {}
                Some(NetControl::Disconnect) => {
                    tracing::info!(target: "dsi", %peer, "connection taken over or ended by the server");
                    break;
                }
                Some(NetControl::Attention(bits)) => {
                    let _ = dsi.send_attention(Attention(bits));
                }
                None => {}
            },
        }
    }
    drop(slot);
    if let Some(id) = session_id
        && !clean
    {
        // A reconnect may adopt this session; its new connection gets the replay cache.
        ctx.sessions.save_replay_cache(id, dsi.take_replay_cache());
    }
    end(to_thread, writer, clean).await;
}

/// Tells the session thread that the connection is gone.
async fn end(
    to_thread: Option<mpsc::Sender<ToSession>>,
    writer: Option<mpsc::Sender<Bytes>>,
    clean: bool,
) {
    drop(writer);
    if let Some(t) = to_thread {
        let _ = t.send(ToSession::End { clean }).await;
    }
}

/// A handler's side effect on the DSI session.
fn apply(dsi: &mut ServerSession, e: Effect) {
    match e {
        Effect::Sleep { extended } => dsi.sleep(extended),
        Effect::Wake => dsi.wake(now()),
        Effect::CloseAfterReply => {
            // netatalk's afp_dsi_die: attention "shutting down", then DSICloseSession.
            let _ = dsi.send_attention(Attention::shutdown(0));
            dsi.close();
        }
    }
}
