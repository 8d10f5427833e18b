//! Errors, split the way a server needs them: refused input, retryable, fatal.
//!
//! Spec: `cnid-and-config.md` §1.8 ("failure policy": a retryable vs fatal split from day one),
//! §1.15 lessons (classify errors, detect corruption instead of wiping), §5.5 rule 5.
//!
//! | Error | [`Severity`] | What the server does |
//! |---|---|---|
//! | [`StoreError::Invalid`] | `Invalid` | answer the request with a parameter error; the store is untouched |
//! | [`StoreError::Busy`], [`StoreError::DiskFull`] | `Retryable` | answer `kFPMiscErr`, keep the session and the store |
//! | [`StoreError::Io`], [`StoreError::Corrupt`], [`StoreError::Exhausted`], [`StoreError::Poisoned`] | `Fatal` | stop using this volume's store, tell the admin (`cnid scan` / `cnid rebuild`) |

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// A request the store refuses before touching anything (a caller bug or bad client input).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidArgument {
    /// A parent DID below 2. §1.2: "Our store must reject `did < 2` on any write or lookup."
    #[error("parent DID {0} is reserved (must be 2 or more)")]
    ReservedParent(u32),
    /// An ID below 17 where a stored object's ID is required.
    #[error("CNID {0} is reserved (stored objects have IDs from 17)")]
    ReservedId(u32),
    /// An empty name.
    #[error("empty name")]
    EmptyName,
    /// A name longer than [`crate::MAX_NAME_LEN`] bytes.
    #[error("name of {0} bytes is too long")]
    NameTooLong(usize),
    /// A name containing a NUL byte.
    #[error("name contains NUL")]
    NameContainsNul,
    /// A name containing `/`.
    #[error("name contains '/'")]
    NameContainsSlash,
}

/// The consistency check that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Check {
    /// A record's CRC-32C does not match its bytes.
    RecordChecksum,
    /// A record is too short, too long or has an unknown type byte.
    RecordEncoding,
    /// An index key or value has the wrong length.
    IndexEncoding,
    /// An index entry points to a record that does not have that key.
    IndexDisagrees,
    /// A record has no entry (or another ID's entry) in one of its indexes.
    MissingIndexEntry,
    /// The metadata table is missing a key or holds a malformed value.
    Meta,
    /// The storage engine's own checks (page checksums, structure) failed.
    Engine,
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Check::RecordChecksum => "record checksum",
            Check::RecordEncoding => "record encoding",
            Check::IndexEncoding => "index encoding",
            Check::IndexDisagrees => "index disagrees with record",
            Check::MissingIndexEntry => "missing index entry",
            Check::Meta => "metadata",
            Check::Engine => "storage engine check",
        })
    }
}

/// The store found data it cannot trust. It never repairs this silently: the admin runs
/// `cnid scan` / `cnid repair` / `cnid rebuild`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{check} failed: {detail}")]
pub struct CorruptionError {
    /// Which check failed.
    pub check: Check,
    /// What was checked: table, key and values involved.
    pub detail: String,
}

impl CorruptionError {
    pub(crate) fn new(check: Check, detail: impl Into<String>) -> Self {
        CorruptionError {
            check,
            detail: detail.into(),
        }
    }
}

/// How a server should react to a [`StoreError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// The request was refused; the store is fine.
    Invalid,
    /// Temporary (busy, disk full): fail this request, keep the session and the store.
    Retryable,
    /// The store cannot be used any more until an admin acts.
    Fatal,
}

/// The error of every store operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The arguments were refused; nothing was read or written.
    #[error("invalid argument: {0}")]
    Invalid(#[from] InvalidArgument),
    /// The storage is temporarily unavailable (interrupted, would block, resource busy).
    /// Retryable.
    #[error("CNID store busy: {0}")]
    Busy(#[source] io::Error),
    /// The disk or quota is full. The transaction was rolled back; retryable once space is
    /// freed.
    #[error("no space left for the CNID store: {0}")]
    DiskFull(#[source] io::Error),
    /// Any other I/O error. Fatal.
    #[error("I/O error in the CNID store: {0}")]
    Io(#[source] io::Error),
    /// The data failed a consistency check. Fatal.
    #[error("CNID store corrupt: {0}")]
    Corrupt(#[from] CorruptionError),
    /// All 2^32 - 17 IDs are in use. Fatal.
    #[error("CNID space exhausted")]
    Exhausted,
    /// A thread panicked while holding the store; its state is unknown. Fatal.
    #[error("CNID store poisoned by a panic in another thread")]
    Poisoned,
}

impl StoreError {
    /// How a server should react.
    pub fn severity(&self) -> Severity {
        match self {
            StoreError::Invalid(_) => Severity::Invalid,
            StoreError::Busy(_) | StoreError::DiskFull(_) => Severity::Retryable,
            StoreError::Io(_)
            | StoreError::Corrupt(_)
            | StoreError::Exhausted
            | StoreError::Poisoned => Severity::Fatal,
        }
    }

    /// Whether the same request may succeed later (busy, disk full).
    pub fn is_retryable(&self) -> bool {
        self.severity() == Severity::Retryable
    }

    /// Whether the store should no longer be used.
    pub fn is_fatal(&self) -> bool {
        self.severity() == Severity::Fatal
    }

    /// Classifies an I/O error from the storage engine.
    pub(crate) fn from_io(e: io::Error) -> StoreError {
        match e.kind() {
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => StoreError::DiskFull(e),
            io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
            | io::ErrorKind::ResourceBusy
            | io::ErrorKind::TimedOut => StoreError::Busy(e),
            _ => StoreError::Io(e),
        }
    }
}

/// Why a store could not be opened. Every variant names the path involved and keeps the OS
/// error, so the server can log "cannot open CNID store" once with the real cause (unlike
/// netatalk's "Unable to get stamp value", §1.9).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// Creating the store directory (or one of its parents) failed.
    #[error("cannot create CNID store directory {path}: {source}")]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// Opening or creating the store file failed.
    #[error("cannot open CNID store file {path}: {source}")]
    OpenFile {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// Another process (afpd, or a running `cnid` tool) holds the store open.
    #[error("CNID store {path} is in use by another process (afpd or the cnid tool)")]
    Locked {
        /// The file.
        path: PathBuf,
    },
    /// The file failed the engine's or the store's consistency checks.
    #[error("CNID store {path} is corrupt: {source}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: CorruptionError,
    },
    /// The file has a format version this build does not read.
    #[error("CNID store {path} has format version {found}; this build reads version {supported}")]
    Format {
        /// The file.
        path: PathBuf,
        /// The version in the file.
        found: u32,
        /// The version this build reads and writes.
        supported: u32,
    },
    /// The first transaction (creating or checking the metadata) failed.
    #[error("CNID store {path}: {source}")]
    Store {
        /// The file.
        path: PathBuf,
        /// The store error.
        source: StoreError,
    },
}

impl OpenError {
    /// The path the error is about.
    pub fn path(&self) -> &Path {
        match self {
            OpenError::CreateDir { path, .. }
            | OpenError::OpenFile { path, .. }
            | OpenError::Locked { path }
            | OpenError::Corrupt { path, .. }
            | OpenError::Format { path, .. }
            | OpenError::Store { path, .. } => path,
        }
    }

    /// Whether a later attempt may succeed without an admin (store locked by a tool, disk
    /// full, busy).
    pub fn is_retryable(&self) -> bool {
        match self {
            OpenError::Locked { .. } => true,
            OpenError::Store { source, .. } => source.is_retryable(),
            OpenError::CreateDir { source, .. } | OpenError::OpenFile { source, .. } => {
                StoreError::from_io(io::Error::from(source.kind())).is_retryable()
            }
            OpenError::Corrupt { .. } | OpenError::Format { .. } => false,
        }
    }

    pub(crate) fn from_store(path: &Path, e: StoreError) -> OpenError {
        match e {
            StoreError::Corrupt(source) => OpenError::Corrupt {
                path: path.to_owned(),
                source,
            },
            source => OpenError::Store {
                path: path.to_owned(),
                source,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_split() {
        let full = StoreError::from_io(io::Error::from(io::ErrorKind::StorageFull));
        assert!(matches!(full, StoreError::DiskFull(_)));
        assert!(full.is_retryable());
        let busy = StoreError::from_io(io::Error::from(io::ErrorKind::Interrupted));
        assert!(busy.is_retryable());
        let other = StoreError::from_io(io::Error::from(io::ErrorKind::PermissionDenied));
        assert!(other.is_fatal());
        assert_eq!(
            StoreError::from(InvalidArgument::EmptyName).severity(),
            Severity::Invalid
        );
        assert!(StoreError::from(CorruptionError::new(Check::Meta, "x")).is_fatal());
    }
}
