//! One AFP session: the state its thread keeps between requests.
//!
//! Each connection gets one OS thread (never a pool thread: after login it switches its own
//! credentials to the user's, see [`crate::creds`]). The network task of the connection
//! (in [`crate::server`]) owns the socket and the DSI session; it hands every AFP request
//! to this thread and sends back what the thread answers.

use std::net::SocketAddr;
use std::sync::Arc;

use afp_proto::AfpVersion;

use crate::accounts::UserInfo;
use crate::forks::ForkTable;
use crate::server::ServerCtx;
use crate::vfs::SessionVolumes;

/// A process-wide unique number for a session (lock ownership, session tokens, logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(pub u64);

/// The state of one AFP session, passed to every command handler.
pub struct Session {
    /// This session's number.
    pub id: SessionId,
    /// Server-wide shared state.
    pub ctx: Arc<ServerCtx>,
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
}

impl Session {
    /// A fresh, not yet logged-in session.
    pub fn new(id: SessionId, ctx: Arc<ServerCtx>, client: SocketAddr) -> Session {
        Session {
            id,
            ctx,
            client,
            version: AfpVersion::V3_4,
            user: None,
            volumes: SessionVolumes::default(),
            forks: ForkTable::default(),
        }
    }
}
