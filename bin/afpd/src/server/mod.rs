//! The network side of the server and the state every session shares.
//!
//! * [`ServerCtx`] (`Arc`, shared by every connection and session thread): the volume
//!   registry, the lock manager, the root service, the session registry, the process
//!   privilege and state directory, and the current [`Runtime`] (configuration
//!   generation).
//! * [`serve`]: the tokio side: one listener per `afp listen` address, one network task per
//!   connection ([`conn`]), signals (SIGTERM/SIGINT shut down, SIGHUP reloads afp.conf for
//!   new sessions).
//! * [`status`]: the status block; [`registry`]: sessions, tokens, reconnect.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use afp_proto::uam::UamServer;
use bytes::Bytes;

use crate::accounts::Accounts;
use crate::config::Config;
use crate::creds::Privilege;
use crate::forks::LockManager;
use crate::rootsvc::RootService;
use crate::state::StateDir;
use crate::vfs::VolumeRegistry;

pub mod conn;
pub mod registry;
pub mod serve;
pub mod status;
pub mod zeroconf;

pub use registry::SessionRegistry;
pub use serve::serve;

/// One generation of the configuration: what a session needs from afp.conf, fixed for
/// the session's life (a SIGHUP reload makes a new generation for new sessions).
pub struct Runtime {
    /// The loaded afp.conf.
    pub config: Arc<Config>,
    /// The account verifier for this configuration.
    pub accounts: Arc<Accounts>,
    /// The login methods offered (`uam list`).
    pub uams: UamServer,
    /// The encoded status block (DSIGetStatus, FPGetSrvrInfo).
    pub status: Bytes,
    /// DSI session settings (quantum, tickles, timeouts).
    pub dsi: dsi::ServerConfig,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("config", &self.config.path)
            .field("uams", &self.uams.uams())
            .finish_non_exhaustive()
    }
}

impl Runtime {
    /// A generation for `config`: accounts, UAMs, status block (for the `listen`
    /// addresses and `signature`) and DSI settings.
    pub fn new(
        config: Config,
        privilege: &Privilege,
        listen: &[SocketAddr],
        signature: [u8; 16],
    ) -> Result<Runtime, crate::accounts::AccountsError> {
        let accounts = Accounts::from_config(&config, privilege.clone())?;
        let uams = UamServer::new(
            config
                .global
                .uam_list
                .iter()
                .map(|m| status::uam_of(*m))
                .collect(),
        );
        let status = status::build(&config, listen, signature);
        let g = &config.global;
        let tickle = Duration::from_secs(u64::from(g.tickleval_secs.max(1)));
        let dsi = dsi::ServerConfig {
            server_quantum: g.server_quantum,
            tickle_interval: tickle,
            idle_timeout: Duration::from_secs(g.idle_timeout_secs().max(1)),
            ..dsi::ServerConfig::default()
        };
        Ok(Runtime {
            config: Arc::new(config),
            accounts: Arc::new(accounts),
            uams,
            status,
            dsi,
        })
    }
}

/// Server-wide state shared by every session (`Arc<ServerCtx>`).
pub struct ServerCtx {
    /// Volumes open in any session, shared (one CNID store per volume).
    pub volumes: VolumeRegistry,
    /// Open forks, deny modes and byte-range locks of every session.
    pub locks: LockManager,
    /// Work that must run with the server's own credentials.
    pub root: RootService,
    /// Whether the process runs as root (session threads switch to their user) or as an
    /// ordinary user.
    pub privilege: Privilege,
    /// The state directory (signature, volume UUIDs, password file, CNID stores).
    pub state: StateDir,
    /// afp.conf's path (reloaded on SIGHUP).
    pub config_path: PathBuf,
    /// Every session (connection count, tokens, reconnect).
    pub sessions: SessionRegistry,
    runtime: RwLock<Arc<Runtime>>,
    shutting_down: AtomicBool,
}

impl std::fmt::Debug for ServerCtx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerCtx")
            .field("privilege", &self.privilege)
            .field("state", &self.state)
            .field("sessions", &self.sessions)
            .finish_non_exhaustive()
    }
}

impl ServerCtx {
    /// The shared state for a server starting with `runtime`.
    pub fn new(
        runtime: Runtime,
        privilege: Privilege,
        state: StateDir,
        config_path: PathBuf,
        root: RootService,
    ) -> ServerCtx {
        ServerCtx {
            volumes: VolumeRegistry::default(),
            locks: LockManager::default(),
            root,
            privilege,
            state,
            config_path,
            sessions: SessionRegistry::default(),
            runtime: RwLock::new(Arc::new(runtime)),
            shutting_down: AtomicBool::new(false),
        }
    }

    /// The current configuration generation (what a new session starts with).
    pub fn runtime(&self) -> Arc<Runtime> {
        self.runtime
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Installs a new generation (SIGHUP); running sessions keep theirs.
    pub fn set_runtime(&self, runtime: Runtime) {
        *self.runtime.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(runtime);
    }

    /// Whether the server is shutting down.
    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Acquire)
    }

    /// Marks the server as shutting down (no new sessions, no reconnect waits).
    pub fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::Release);
    }
}
