//! The volume file system: AFP volumes on a local POSIX file system.

/// Every volume open in any session, keyed by its root path.
#[derive(Debug, Default)]
pub struct VolumeRegistry {}

/// The volumes one session has open, by volume ID.
#[derive(Debug, Default)]
pub struct SessionVolumes {}
