//! The network side of the server and the state every session shares.

use crate::forks::LockManager;
use crate::rootsvc::RootService;
use crate::vfs::VolumeRegistry;

/// Server-wide state shared by every session (`Arc<ServerCtx>`).
#[derive(Debug)]
pub struct ServerCtx {
    /// Volumes open in any session, shared (one CNID store per volume).
    pub volumes: VolumeRegistry,
    /// Open forks, deny modes and byte-range locks of every session.
    pub locks: LockManager,
    /// Work that must run with the server's own credentials.
    pub root: RootService,
}
