//! One AFP session: the state its thread keeps between requests, and the thread itself.
//!
//! Each connection gets one OS thread (never a pool thread: after login it switches its own
//! credentials to the user's, see [`crate::creds`]). The network task of the connection
//! (in [`crate::server`]) owns the socket and the DSI session; it hands every AFP request
//! to this thread ([`ToSession`]) and sends back what the thread answers
//! ([`FromSession`]). See [`thread`] for the loop, [`gate`] for what is allowed in which
//! state (spec `afp-dsi.md` §2.8), [`login`] for FPLogin/FPLoginExt/FPLoginCont.
//!
//! # What handlers find in [`Session`]
//!
//! | field | what |
//! |---|---|
//! | `id` | process-wide session number (lock ownership, tokens, logs) |
//! | `ctx` | [`ServerCtx`]: volume registry, lock manager, root service, session registry |
//! | `runtime` | the configuration generation this session started with ([`Runtime`]: `config`, `accounts`, status block). A SIGHUP reload affects new sessions only |
//! | `config` | `runtime.config`, for `Config::volumes_for(user, client)` |
//! | `client` | the client's address |
//! | `version` | the AFP version negotiated at login (before login: 3.4) |
//! | `user` | the logged-in [`UserInfo`]; `None` before login and after logout |
//! | `volumes`, `forks` | the session's open volumes and forks (catalog and forks work) |
//!
//! Handlers run with the user's credentials (the thread switched at login). Anything that
//! needs root goes through `s.ctx.root` ([`crate::rootsvc::RootService::run`]).

use std::net::SocketAddr;
use std::sync::Arc;

use afp_proto::AfpVersion;
use bytes::Bytes;

use crate::accounts::UserInfo;
use crate::config::Config;
use crate::forks::ForkTable;
use crate::server::registry::NetControl;
use crate::server::{Runtime, ServerCtx};
use crate::vfs::SessionVolumes;

pub mod gate;
pub mod login;
pub mod thread;

/// A process-wide unique number for a session (lock ownership, session tokens, logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(pub u64);

impl std::fmt::Display for SessionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Where the session is in its life (spec §2.8).
#[derive(Debug)]
pub enum LoginState {
    /// DSI open, not logged in: only the login calls pass.
    NotLoggedIn,
    /// A multi-step login answered kFPAuthContinue; FPLoginCont continues it.
    Authenticating(Box<afp_proto::uam::ServerLogin>),
    /// Logged in.
    LoggedIn,
    /// Logged in with an expired password: only FPChangePassword and FPLogout pass; the
    /// rest get kFPPwdExpiredErr.
    PasswordExpired,
    /// After FPLogout: volumes and forks are closed, nothing but DSICloseSession follows.
    LoggedOut,
}

/// Side effects a handler asks of the connection, applied after its reply is queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// FPZzzzz: the client sleeps (`extended`: only an explicit wake ends it).
    Sleep {
        /// Extended sleep (FPZzzzz flag 1).
        extended: bool,
    },
    /// FPZzzzz flag 2: wake from extended sleep.
    Wake,
    /// Close the connection after the reply, as netatalk does after a failed login:
    /// DSIAttention 0x8000, then DSICloseSession.
    CloseAfterReply,
}

/// A request for the session thread, from the network task.
pub enum ToSession {
    /// A DSICommand: one AFP request block.
    Command {
        /// DSI request ID to answer.
        request_id: u16,
        /// The AFP request block.
        request: Bytes,
    },
    /// A DSIWrite: the AFP header; the data follows through `data` in pieces.
    Write {
        /// DSI request ID to answer.
        request_id: u16,
        /// The AFP header (FPWrite, FPWriteExt, FPAddIcon).
        command: Bytes,
        /// Number of data bytes announced.
        data_len: u32,
        /// The data pieces, in order; closed after the last one (or when the connection
        /// drops).
        data: tokio::sync::mpsc::Receiver<Bytes>,
    },
    /// The connection ended: `clean` when the client closed the DSI session (or the
    /// server shut down), false when it dropped or timed out.
    End {
        /// Whether the end was orderly.
        clean: bool,
    },
}

/// What the session thread sends back to the network task.
#[derive(Debug)]
pub enum FromSession {
    /// The answer to a request.
    Reply {
        /// DSI request ID.
        request_id: u16,
        /// AFP result code.
        result: i32,
        /// The reply block (an FPReadExt reply is written without copying).
        payload: Bytes,
    },
    /// Apply this effect.
    Effect(Effect),
    /// After a primary reconnect: the connection now serves this (older) session.
    Serving(SessionId),
    /// After a primary reconnect: the replay cache of the session's earlier connection, so
    /// requests the client replays with their old IDs are answered from it (spec §1.7).
    ReplayCache(dsi::ReplayCache),
}

/// The channels of a connection, handed to a session thread: at start, and to an old
/// session's thread on a primary reconnect (FPDisconnectOldSession).
pub struct Adoption {
    /// Requests from the network task.
    pub requests: tokio::sync::mpsc::Receiver<ToSession>,
    /// Answers to the network task.
    pub replies: tokio::sync::mpsc::UnboundedSender<FromSession>,
    /// The network task's control channel (for the registry).
    pub net: tokio::sync::mpsc::UnboundedSender<NetControl>,
    /// The client's address.
    pub client: SocketAddr,
    /// For a reconnect: the request ID of the FPDisconnectOldSession to answer kFPNoErr.
    pub answer: Option<u16>,
}

/// The state of one AFP session, passed to every command handler.
pub struct Session {
    /// This session's number.
    pub id: SessionId,
    /// Server-wide shared state.
    pub ctx: Arc<ServerCtx>,
    /// The configuration generation this session runs with.
    pub runtime: Arc<Runtime>,
    /// `runtime.config`.
    pub config: Arc<Config>,
    /// The client's address.
    pub client: SocketAddr,
    /// The AFP version negotiated at login (before login: the newest we speak).
    pub version: AfpVersion,
    /// The logged-in user; `None` before login and after logout.
    pub user: Option<UserInfo>,
    /// Volumes this session has open (FPOpenVol).
    pub volumes: SessionVolumes,
    /// Forks this session has open (FPOpenFork).
    pub forks: ForkTable,
    /// Login state (gating, spec §2.8).
    pub login: LoginState,
    /// The login method used (FPChangePassword continues with it).
    pub uam: Option<afp_proto::uam::Uam>,
    /// A multi-step FPChangePassword in progress.
    pub change_password: Option<Box<afp_proto::uam::ServerChangePassword>>,
    /// Effects the handlers asked for during the current request.
    pub effects: Vec<Effect>,
    /// An FPDisconnectOldSession that moved this connection to another session: the
    /// thread hands its channels over and ends without answering.
    pub(crate) reconnect_token: Option<Bytes>,
}

impl Session {
    /// A fresh, not yet logged-in session.
    pub fn new(
        id: SessionId,
        ctx: Arc<ServerCtx>,
        runtime: Arc<Runtime>,
        client: SocketAddr,
    ) -> Session {
        let config = runtime.config.clone();
        Session {
            id,
            ctx,
            runtime,
            config,
            client,
            version: AfpVersion::V3_4,
            user: None,
            volumes: SessionVolumes::default(),
            forks: ForkTable::default(),
            login: LoginState::NotLoggedIn,
            uam: None,
            change_password: None,
            effects: Vec::new(),
            reconnect_token: None,
        }
    }

    /// Whether a user is logged in (also with an expired password).
    pub fn is_logged_in(&self) -> bool {
        matches!(
            self.login,
            LoginState::LoggedIn | LoginState::PasswordExpired
        )
    }

    /// Closes every fork and volume of the session (FPLogout, session end).
    ///
    /// Forks first (they belong to volumes), then volumes: [`ForkTable::take_all`] and
    /// [`SessionVolumes::close_all`]. Dropping an open fork releases its deny modes and
    /// byte-range locks in the lock manager; dropping an open volume releases the
    /// session's hold on the shared volume (the last one closes its CNID store).
    pub fn close_all(&mut self) {
        drop(self.forks.take_all());
        drop(self.volumes.close_all());
    }

    /// The user name for log lines (`-` before login).
    pub fn user_name(&self) -> &str {
        self.user.as_ref().map_or("-", |u| u.name.as_str())
    }
}
