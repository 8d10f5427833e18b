//! The session thread: one OS thread per connection that logs the user in, switches its
//! own credentials to the user's, and runs every AFP command of the session.
//!
//! Loop: take a [`ToSession`] from the network task, decode the AFP block, gate it
//! ([`super::gate`]), dispatch it ([`crate::cmd::dispatch`]) under `catch_unwind` (a
//! handler panic answers kFPMiscErr and the session goes on), send the [`FromSession`]
//! reply and any [`Effect`]s back.
//!
//! When the connection ends without an orderly close, a logged-in session that handed out
//! a session token waits up to `disconnect time` hours for a primary reconnect
//! (FPDisconnectOldSession on a new connection, spec §6.8): its forks, deny modes and locks
//! stay in place and the new connection's channels are handed to this thread
//! ([`SessionControl::Adopt`]). Otherwise, and when the wait is over, it closes its forks
//! and volumes, logs the logout and ends.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::time::Duration;

use afp_proto::ResultCode;
use afp_proto::command::{CommandCode, Request};
use bytes::Bytes;

use super::{Adoption, FromSession, Session, SessionId, ToSession, gate};
use crate::cmd::{self, Outcome, WriteSource};
use crate::logging;
use crate::server::registry::{AdoptError, SessionControl};
use crate::server::{Runtime, ServerCtx};

/// Starts the session thread for a new connection.
pub fn spawn(
    ctx: Arc<ServerCtx>,
    runtime: Arc<Runtime>,
    id: SessionId,
    channels: Adoption,
    control: Receiver<SessionControl>,
) -> std::io::Result<()> {
    let name = format!("afpd-session-{}", id.0);
    std::thread::Builder::new().name(name).spawn(move || {
        let s = Session::new(id, ctx.clone(), runtime, channels.client);
        // Handlers run under their own catch_unwind; this one keeps the registry right
        // even if the session loop itself panics (the connection then just closes).
        let ended = std::panic::catch_unwind(AssertUnwindSafe(|| run(s, channels, control)));
        if ended.is_err() {
            tracing::error!(target: "afpd", session = %id, "session thread panicked; session ended");
        }
        ctx.sessions.unregister(id);
    })?;
    Ok(())
}

/// How serving one connection ended.
enum Ended {
    /// The connection closed; `clean` when in order.
    Closed { clean: bool },
    /// FPDisconnectOldSession asked to move this connection to the session with `token`;
    /// `request_id` is the request to answer.
    Handover { request_id: u16, token: Bytes },
}

fn run(mut s: Session, mut chan: Adoption, control: Receiver<SessionControl>) {
    loop {
        match serve(&mut s, &mut chan) {
            Ended::Handover { request_id, token } => {
                let uid = s.user.as_ref().map_or(u32::MAX, |u| u.uid);
                let Some(user) = s.user.as_ref().filter(|u| !u.is_guest) else {
                    reply(&chan, request_id, Outcome::err(ResultCode::MISC_ERR));
                    continue;
                };
                let name = user.name.clone();
                // The old session answers this FPDisconnectOldSession on the new connection.
                chan.answer = Some(request_id);
                match s.ctx.sessions.adopt(s.id, uid, &token, chan) {
                    Ok(()) => {
                        tracing::info!(target: logging::SESSION_TARGET, session = %s.id, user = %name, "primary reconnect: the connection now serves the old session");
                        // This session never opened anything the client still relies on.
                        s.close_all();
                        return;
                    }
                    Err((why, back)) => {
                        tracing::info!(target: logging::SESSION_TARGET, session = %s.id, ?why, "primary reconnect refused");
                        chan = back;
                        chan.answer = None;
                        // netatalk: kFPMiscErr whenever no session can be taken over.
                        let code = match why {
                            AdoptError::NoSuchSession
                            | AdoptError::OtherUser
                            | AdoptError::SameSession => ResultCode::MISC_ERR,
                        };
                        reply(&chan, request_id, Outcome::err(code));
                    }
                }
            }
            Ended::Closed { clean } => {
                let next = wait_for_reconnect(&s, clean, &control);
                match next {
                    Some(adoption) => {
                        s.client = adoption.client;
                        s.ctx.sessions.reconnected(s.id, adoption.net.clone());
                        let _ = adoption.replies.send(FromSession::Serving(s.id));
                        if let Some(cache) = s.ctx.sessions.take_replay_cache(s.id) {
                            let _ = adoption.replies.send(FromSession::ReplayCache(cache));
                        }
                        if let Some(id) = adoption.answer {
                            reply(&adoption, id, Outcome::done());
                        }
                        tracing::info!(target: logging::SESSION_TARGET, session = %s.id, user = %s.user_name(), client = %s.client, "session reconnected");
                        chan = adoption;
                    }
                    None => break,
                }
            }
        }
    }
    if s.is_logged_in()
        && let Some(u) = &s.user
    {
        logging::log_logout(s.version.as_str(), &u.name, s.client);
    }
    s.close_all();
}

/// After the connection ended: the adoption to serve next, if any.
fn wait_for_reconnect(
    s: &Session,
    clean: bool,
    control: &Receiver<SessionControl>,
) -> Option<Adoption> {
    let eligible = !clean
        && s.is_logged_in()
        && s.user.as_ref().is_some_and(|u| !u.is_guest)
        && s.ctx.sessions.has_token(s.id)
        && !s.ctx.is_shutting_down();
    if !eligible {
        // An adoption may already be queued (the client reconnected before we noticed).
        return match control.try_recv() {
            Ok(SessionControl::Adopt(a)) => Some(a),
            Ok(SessionControl::End) | Err(TryRecvError::Empty | TryRecvError::Disconnected) => None,
        };
    }
    let hours = s.config.global.disconnect_time_hours;
    let wait = Duration::from_secs(u64::from(hours) * 3600);
    s.ctx.sessions.set_disconnected(s.id);
    tracing::info!(target: logging::SESSION_TARGET, session = %s.id, user = %s.user_name(), "connection lost; keeping the session {hours} h for a reconnect");
    match control.recv_timeout(wait) {
        Ok(SessionControl::Adopt(a)) => Some(a),
        Ok(SessionControl::End) => None,
        Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => None,
    }
}

/// Serves requests from one connection until it ends.
fn serve(s: &mut Session, chan: &mut Adoption) -> Ended {
    while let Some(job) = chan.requests.blocking_recv() {
        match job {
            ToSession::Command {
                request_id,
                request,
            } => {
                let out = handle(s, &request, None);
                if let Some(token) = s.reconnect_token.take() {
                    return Ended::Handover { request_id, token };
                }
                finish(s, chan, request_id, out);
            }
            ToSession::Write {
                request_id,
                command,
                data_len,
                data,
            } => {
                let mut source = ChannelSource {
                    rx: data,
                    len: u64::from(data_len),
                };
                let out = handle(s, &command, Some(&mut source));
                // The rest of the data is read and dropped before replying (netatalk).
                while source.next_chunk().is_some() {}
                finish(s, chan, request_id, out);
            }
            ToSession::End { clean } => return Ended::Closed { clean },
        }
    }
    Ended::Closed { clean: false }
}

/// Sends the reply, then the effects the handler asked for.
fn finish(s: &mut Session, chan: &Adoption, request_id: u16, out: Outcome) {
    reply(chan, request_id, out);
    for e in s.effects.drain(..) {
        let _ = chan.replies.send(FromSession::Effect(e));
    }
}

fn reply(chan: &Adoption, request_id: u16, out: Outcome) {
    let _ = chan.replies.send(FromSession::Reply {
        request_id,
        result: out.result.0,
        payload: out.payload,
    });
}

/// Gates, decodes and runs one AFP request.
pub fn handle(s: &mut Session, block: &Bytes, data: Option<&mut dyn WriteSource>) -> Outcome {
    let code = CommandCode(block.first().copied().unwrap_or(0));
    // netatalk picks the handler from the command byte before reading anything else, so a
    // call that is not allowed now is refused whatever its body holds.
    if let Some(refused) = gate::refuse(s, code) {
        tracing::debug!(target: "afpd", session = %s.id, ?code, ?refused, "refused in this state");
        return Outcome::err(refused);
    }
    let req = match Request::decode(block) {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!(target: "afpd", session = %s.id, ?code, "malformed request: {e}");
            return malformed(s, code, block, e);
        }
    };
    tracing::trace!(target: "afpd", session = %s.id, ?code, "request");
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| cmd::dispatch(s, &req, data)));
    match result {
        Ok(out) => out,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(target: "afpd", session = %s.id, ?code, "handler panicked: {what}; answered kFPMiscErr");
            s.effects.clear();
            Outcome::err(ResultCode::MISC_ERR)
        }
    }
}

/// Calls whose block starts `code, pad/flag, u16 volume (or desktop) ID, u32 directory ID`.
const VOL_DID_CALLS: &[CommandCode] = &[
    CommandCode::COPY_FILE,
    CommandCode::CREATE_DIR,
    CommandCode::CREATE_FILE,
    CommandCode::DELETE,
    CommandCode::ENUMERATE,
    CommandCode::MOVE_AND_RENAME,
    CommandCode::OPEN_DIR,
    CommandCode::OPEN_FORK,
    CommandCode::RENAME,
    CommandCode::SET_DIR_PARMS,
    CommandCode::SET_FILE_PARMS,
    CommandCode::GET_FILE_DIR_PARMS,
    CommandCode::SET_FILE_DIR_PARMS,
    CommandCode::CREATE_ID,
    CommandCode::EXCHANGE_FILES,
    CommandCode::ADD_APPL,
    CommandCode::REMOVE_APPL,
    CommandCode::ADD_COMMENT,
    CommandCode::REMOVE_COMMENT,
    CommandCode::GET_COMMENT,
    CommandCode::ENUMERATE_EXT,
    CommandCode::ENUMERATE_EXT2,
    CommandCode::GET_EXT_ATTR,
    CommandCode::SET_EXT_ATTR,
    CommandCode::REMOVE_EXT_ATTR,
    CommandCode::LIST_EXT_ATTRS,
    CommandCode::GET_ACL,
    CommandCode::SET_ACL,
    CommandCode::ACCESS,
    CommandCode::SYNC_DIR,
];

/// The answer to a request that does not decode, as netatalk gives it:
///
/// * netatalk reads the volume and directory IDs first and looks them up before it
///   parses the rest, so a cut-short call naming an unknown volume gets kFPParamErr and
///   one naming a missing directory kFPObjectNotFound (its spec tests `Error:test36/37`
///   send exactly `code, 0, vid, did`);
/// * FPMapID 5/6 read a 16-byte UUID whatever was sent: a short one names nobody
///   (kFPItemNotFound; kFPParamErr before AFP 3.2);
/// * a malformed login is refused and the connection closed, like every login failure;
/// * otherwise [`afp_proto::DecodeError::result_code_for`] (kFPParamErr, kFPBitmapErr …).
fn malformed(
    s: &mut Session,
    code: CommandCode,
    block: &Bytes,
    e: afp_proto::DecodeError,
) -> Outcome {
    if VOL_DID_CALLS.contains(&code)
        && let (Some(v), Some(d)) = (block.get(2..4), block.get(4..8))
    {
        let vid = u16::from_be_bytes([v[0], v[1]]);
        let did = u32::from_be_bytes([d[0], d[1], d[2], d[3]]);
        let checked = s.volumes.get(vid).and_then(|vol| vol.dir(did).map(|_| ()));
        if let Err(code) = checked {
            return Outcome::err(code);
        }
    }
    if code == CommandCode::MAP_ID && matches!(block.get(1), Some(5 | 6)) {
        return Outcome::err(if s.version < afp_proto::AfpVersion::V3_2 {
            ResultCode::PARAM_ERR
        } else {
            ResultCode::ITEM_NOT_FOUND
        });
    }
    let result = e.result_code_for(code);
    if matches!(
        code,
        CommandCode::LOGIN | CommandCode::LOGIN_EXT | CommandCode::LOGIN_CONT
    ) && !s.is_logged_in()
    {
        logging::log_login_failed("-", s.client, "-", "malformed login request");
        s.login = super::LoginState::NotLoggedIn;
        s.effects.push(super::Effect::CloseAfterReply);
    }
    Outcome::err(result)
}

/// DSIWrite data arriving in pieces from the network task.
struct ChannelSource {
    rx: tokio::sync::mpsc::Receiver<Bytes>,
    len: u64,
}

impl WriteSource for ChannelSource {
    fn len(&self) -> u64 {
        self.len
    }

    fn next_chunk(&mut self) -> Option<Bytes> {
        self.rx.blocking_recv()
    }
}
