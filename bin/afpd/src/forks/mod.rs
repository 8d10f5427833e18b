//! Open forks, deny modes and byte-range locks.

/// Every open fork of every session, with its access and deny modes and its byte-range
/// locks (shared by all sessions, so modes and locks are enforced across sessions).
#[derive(Debug, Default)]
pub struct LockManager {}

/// The forks one session has open, by fork reference number.
#[derive(Debug, Default)]
pub struct ForkTable {}
