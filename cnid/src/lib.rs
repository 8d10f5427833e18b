//! The CNID store: stable Catalog Node IDs for the files and directories of an AFP volume,
//! crash-safe on disk, plus netatalk's per-object metadata codec.
//!
//! AFP clients (Finder aliases, Time Machine, Spotlight) address objects by IDs that must
//! survive renames, moves and restarts. [`Store`] keeps netatalk's CNID database semantics
//! (reserved IDs, one record per object, indexes by ID, (did, name), (dev, ino) and a name
//! search index, the reconciliation of `add`) over a small [`Backend`] trait with two
//! implementations: [`MemBackend`] (in memory) and [`RedbBackend`] (one redb file per volume,
//! the default). Every operation is one transaction across all indexes; a committed operation
//! survives `kill -9` and power loss; IDs come from a counter that never goes back.
//!
//! What this crate does **not** do: walk filesystems, read extended attributes or talk to
//! clients. Apart from the on-disk backend (which opens its one file in [`Store::open`]) it
//! does no I/O, reads no clock and starts no threads. [`appledouble`] is a pure codec: the
//! caller reads the `org.netatalk.Metadata` xattr or the `._name` file and passes the bytes.
//!
//! ```
//! use cnid::{Cnid, Kind, MemBackend, Store};
//!
//! let store = Store::with_backend(MemBackend::new())?;
//! // afpd reports a file: dev 1, inode 1000, "Report.pdf" in the volume root, no cached ID.
//! let id = store.add(1, 1000, Cnid::ROOT, b"Report.pdf", Kind::File, None)?;
//! assert_eq!(id, Cnid::FIRST);
//! // The same object again: the hot path, no write.
//! assert_eq!(store.add(1, 1000, Cnid::ROOT, b"Report.pdf", Kind::File, None)?, id);
//! // Renamed through AFP: get + update keep the ID.
//! store.update(id, 1, 1000, Cnid::ROOT, b"Final.pdf", Kind::File)?;
//! let e = store.resolve(id)?.unwrap();
//! assert_eq!((e.did, e.name.as_slice()), (Cnid::ROOT, &b"Final.pdf"[..]));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Spec (`/shared/spec/cnid-and-config.md`): §1.2 reserved values, §1.3 record, §1.4 indexes,
//! §1.5 API, §1.6 reconciliation, §1.7 allocation, §1.8 call pattern and failure policy, §1.9
//! stamp, §2 AppleDouble metadata, §5 engine choice; `afp-dsi.md` §9. The on-disk layout is in
//! `cnid/FORMAT.md`.
//!
//! # Concurrency
//!
//! `Store` is `Send + Sync`; afpd opens each volume's store once and shares it as
//! `Arc<Store>`. Reads run concurrently (redb MVCC snapshots); writes are serialised by the
//! engine. [`Store::batch`] puts several operations in one transaction (group commit).
//!
//! # Errors
//!
//! [`StoreError::severity`] splits errors into refused input, retryable (busy, disk full) and
//! fatal (I/O, corruption); [`OpenError`] names the path and keeps the OS error.
//!
//! # Crate features
//!
//! None. The redb backend is always built.
#![forbid(unsafe_code)]
#![cfg_attr(not(fuzzing), deny(missing_docs))]
#![deny(clippy::host_endian_bytes)]

pub mod appledouble;
mod backend;
mod codec;
mod error;
pub mod model;
mod redb_backend;
mod store;
mod types;

pub use backend::{Backend, MemBackend, ReadTx, Table, Visitor, WriteTx};
pub use codec::{FORMAT_VERSION, fold_name};
pub use error::{Check, CorruptionError, InvalidArgument, OpenError, Severity, StoreError};
pub use redb_backend::{FILE_NAME, OpenOptions, RedbBackend};
pub use store::{Batch, CheckReport, RepairReport, Stats, Store};
pub use types::{Cnid, Entry, Kind, MAX_NAME_LEN, check_name};
