//! Open forks, deny modes, byte-range locks and fork I/O (spec `afp-dsi.md` §5.8, §8,
//! §9.4, §10).
//!
//! * [`LockManager`] (one per server, in [`crate::server::ServerCtx::locks`]): every open
//!   fork of every session with its access and deny modes and byte-range locks, keyed by
//!   the data file's `(st_dev, st_ino)` ([`FileId`]). Other modules ask it whether a file
//!   is open ([`LockManager::usage`], [`LockManager::is_open`]).
//! * [`ForkTable`] (one per session, in [`crate::session::Session::forks`]): the session's
//!   open forks by OForkRefNum, each with its file handle ([`ForkIo`]) and its
//!   [`OpenLease`] in the lock manager. Dropping the table (session end) or removing an
//!   entry (FPCloseFork, FPCloseVol, FPLogout) releases everything the fork held.
//! * [`ForkIo`]: reads, writes, truncation and sync of a data fork (the file itself) or a
//!   resource fork (the resource fork entry of the `._name` AppleDouble sidecar, at the
//!   offset its header gives, spec §9.4).
//!
//! The command handlers are in [`crate::cmd::fork`].

mod io;
mod locks;
mod table;

pub use io::{ForkIo, open_data, open_resource};
pub use locks::{
    ByteRange, DenyConflict, FileId, FileUsage, ForkKind, ForkUsage, IoGuard, LockError,
    LockManager, MAX_LOCKS_PER_OPEN, MAX_LOCKS_PER_SESSION, OpenLease,
};
pub use table::{ForkTable, MAX_FORKS_PER_SESSION, OpenFork, TooManyForks};
