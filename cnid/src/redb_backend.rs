//! The on-disk backend: one redb file per volume (FORMAT.md §2).
//!
//! Why redb (measurements in FORMAT.md §6): pure Rust (no C/C++ toolchain), a `Sync` database
//! handle with MVCC readers that never block on the writer (many session threads read at
//! once), durable single-`fsync` commits with XXH3 page checksums and automatic rollback of torn
//! commits, and **one file opened once at [`RedbBackend::open`]**: no later operation opens or
//! creates a file, so session threads that switched their credentials (afpd's per-thread
//! `setresuid`) can keep using the store. Single-process access is what afpd's one-process
//! model needs; the file lock doubles as "afpd is running" detection for the `cnid` tool.
//!
//! After an I/O error redb refuses every further operation (`PreviousIo`). This backend then
//! re-opens the database from a duplicate of the file descriptor it kept at open time (no path
//! lookup, so no credentials are involved), which makes a full disk a retryable condition.

use std::any::Any;
use std::fs::File;
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::RwLock;

use redb::{
    Database, ReadOnlyTable, ReadTransaction, ReadableDatabase, ReadableTable,
    ReadableTableMetadata, TableDefinition, WriteTransaction,
    backends::{FileBackend, InMemoryBackend},
};

use crate::backend::{Backend, ReadTx, Table, Visitor, WriteTx};
use crate::error::{Check, CorruptionError, OpenError, StoreError};

/// The store file's name inside the store directory.
pub const FILE_NAME: &str = "cnid.redb";

type Def = TableDefinition<'static, &'static [u8], &'static [u8]>;

const DEFS: [Def; 5] = [
    TableDefinition::new(Table::Meta.name()),
    TableDefinition::new(Table::Records.name()),
    TableDefinition::new(Table::DevIno.name()),
    TableDefinition::new(Table::DidName.name()),
    TableDefinition::new(Table::Names.name()),
];

/// How to open an on-disk store.
#[derive(Clone, Debug)]
pub struct OpenOptions {
    /// Create the directory (recursively) and the file if missing. Default `true`.
    pub create: bool,
    /// Mode of directories created on the way (before the umask). Default `0o755`.
    pub dir_mode: u32,
    /// Mode of a newly created store file (before the umask). Default `0o600`: only the
    /// process that opened it (afpd as root) uses the file.
    pub file_mode: u32,
    /// Verify every page checksum of an existing file while opening (reads the whole file).
    /// Default `true`: corruption is reported at open, never found half-way through a session.
    pub verify: bool,
    /// The engine's page cache in bytes. Default 256 MiB.
    pub cache_bytes: usize,
    /// The stamp of a new store. Default: the file's ctime (seconds, big-endian), as netatalk.
    pub stamp: Option<[u8; 8]>,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            create: true,
            dir_mode: 0o755,
            file_mode: 0o600,
            verify: true,
            cache_bytes: 256 << 20,
            stamp: None,
        }
    }
}

struct State {
    db: Option<Database>,
    generation: u64,
}

/// The redb backend.
pub struct RedbBackend {
    state: RwLock<State>,
    /// Opens the engine again after an I/O error (from a duplicate of the file descriptor).
    reopen: Option<Reopen>,
    /// A duplicate of the file descriptor, for the size on disk.
    file: Option<File>,
    path: PathBuf,
    stamp: [u8; 8],
}

type Reopen = Box<dyn Fn() -> Result<Database, StoreError> + Send + Sync>;

fn reopen_error(e: OpenError) -> StoreError {
    match e {
        OpenError::Store { source, .. } => source,
        OpenError::OpenFile { source, .. } => StoreError::from_io(source),
        OpenError::Corrupt { source, .. } => source.into(),
        e => StoreError::Io(io::Error::other(e.to_string())),
    }
}

impl std::fmt::Debug for RedbBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedbBackend")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn panic_message(p: &(dyn Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_owned()
    }
}

/// Maps redb's errors onto the store's retryable/fatal split.
fn map_err(e: impl Into<redb::Error>) -> StoreError {
    match e.into() {
        redb::Error::Corrupted(s) => CorruptionError::new(Check::Engine, s).into(),
        redb::Error::Io(e) => StoreError::from_io(e),
        redb::Error::PreviousIo => StoreError::Io(io::Error::other(
            "an earlier I/O error stopped the storage engine",
        )),
        redb::Error::LockPoisoned(_) => StoreError::Poisoned,
        redb::Error::TableDoesNotExist(t) => {
            CorruptionError::new(Check::Meta, format!("table {t} does not exist")).into()
        }
        other => StoreError::Io(io::Error::other(other.to_string())),
    }
}

/// Creates `dir` and its missing parents one by one, so that an error names the exact
/// directory that could not be created.
fn create_dirs(dir: &Path, mode: u32) -> Result<(), OpenError> {
    let mut missing = Vec::new();
    let mut cur = Some(dir);
    while let Some(p) = cur {
        if p.as_os_str().is_empty() || p.is_dir() {
            break;
        }
        missing.push(p);
        cur = p.parent();
    }
    for p in missing.into_iter().rev() {
        match std::fs::DirBuilder::new().mode(mode).create(p) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && p.is_dir() => {}
            Err(source) => {
                return Err(OpenError::CreateDir {
                    path: p.to_owned(),
                    source,
                });
            }
        }
    }
    Ok(())
}

impl RedbBackend {
    /// Opens (or creates) the store file [`FILE_NAME`] in directory `dir`.
    ///
    /// This is the only call that touches paths: everything afterwards goes through the file
    /// descriptor opened here.
    pub fn open(dir: &Path, opts: &OpenOptions) -> Result<RedbBackend, OpenError> {
        if opts.create {
            create_dirs(dir, opts.dir_mode)?;
        }
        let path = dir.join(FILE_NAME);
        let oe = |path: &Path| {
            let path = path.to_owned();
            move |source| OpenError::OpenFile { path, source }
        };
        let missing = match std::fs::metadata(&path) {
            Ok(m) => m.len() == 0,
            Err(e) if e.kind() == io::ErrorKind::NotFound => true,
            Err(e) => return Err(oe(&path)(e)),
        };
        if missing && opts.create {
            Self::create_file(dir, &path, opts)?;
        }
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(oe(&path))?;
        let meta = file.metadata().map_err(oe(&path))?;
        let stamp = opts.stamp.unwrap_or_else(|| meta.ctime().to_be_bytes());
        let dup = file.try_clone().map_err(|source| OpenError::OpenFile {
            path: path.clone(),
            source,
        })?;
        let db = Self::open_db(file, opts.verify, opts.cache_bytes, &path)?;
        ensure_tables(&db).map_err(|e| OpenError::from_store(&path, e))?;
        let size_fd = dup.try_clone().map_err(|source| OpenError::OpenFile {
            path: path.clone(),
            source,
        })?;
        let (cache_bytes, p) = (opts.cache_bytes, path.clone());
        let reopen: Reopen = Box::new(move || {
            let f = dup.try_clone().map_err(StoreError::from_io)?;
            Self::open_db(f, false, cache_bytes, &p).map_err(reopen_error)
        });
        Ok(RedbBackend {
            state: RwLock::new(State {
                db: Some(db),
                generation: 0,
            }),
            reopen: Some(reopen),
            file: Some(size_fd),
            path,
            stamp,
        })
    }

    /// Creates the store file atomically: a redb database with the five tables is built in
    /// `cnid.redb.creating` and renamed into place, so a crash during creation never leaves a
    /// half-written `cnid.redb` (the leftover temporary file never held data and is replaced).
    fn create_file(dir: &Path, path: &Path, opts: &OpenOptions) -> Result<(), OpenError> {
        let tmp = dir.join(format!("{FILE_NAME}.creating"));
        let err = |p: &Path| {
            let p = p.to_owned();
            move |source| OpenError::OpenFile { path: p, source }
        };
        match std::fs::remove_file(&tmp) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(err(&tmp)(e)),
        }
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(opts.file_mode)
            .open(&tmp)
            .map_err(err(&tmp))?;
        let db = Self::open_db(file, false, opts.cache_bytes, &tmp)?;
        create_tables(&db).map_err(|e| OpenError::from_store(&tmp, e))?;
        drop(db);
        std::fs::rename(&tmp, path).map_err(err(path))?;
        // Make the rename durable before anything is stored in the file.
        File::open(dir).and_then(|d| d.sync_all()).map_err(err(dir))
    }

    fn open_db(
        file: File,
        verify: bool,
        cache_bytes: usize,
        path: &Path,
    ) -> Result<Database, OpenError> {
        let r = catch_unwind(AssertUnwindSafe(|| {
            let mut b = Database::builder();
            b.set_cache_size(cache_bytes);
            b.set_check_integrity_on_open(verify);
            b.create_with_backend(FileBackend::new(file)?)
        }));
        match r {
            Ok(Ok(db)) => Ok(db),
            Ok(Err(e)) => Err(match e {
                redb::DatabaseError::DatabaseAlreadyOpen => OpenError::Locked {
                    path: path.to_owned(),
                },
                redb::DatabaseError::UpgradeRequired(v) => OpenError::Corrupt {
                    path: path.to_owned(),
                    source: CorruptionError::new(
                        Check::Engine,
                        format!("redb file format {v} must be upgraded"),
                    ),
                },
                e => match map_err(e) {
                    StoreError::Io(source) => OpenError::OpenFile {
                        path: path.to_owned(),
                        source,
                    },
                    e => OpenError::from_store(path, e),
                },
            }),
            Err(p) => Err(OpenError::Corrupt {
                path: path.to_owned(),
                source: CorruptionError::new(
                    Check::Engine,
                    format!("storage engine panicked: {}", panic_message(&*p)),
                ),
            }),
        }
    }

    /// A redb database kept in memory (redb's `InMemoryBackend`): the real engine code path
    /// without a file, for tests and fuzzing.
    pub fn in_memory() -> RedbBackend {
        let db = Database::builder()
            .create_with_backend(InMemoryBackend::new())
            .expect("creating an in-memory redb database cannot fail");
        create_tables(&db).expect("creating tables in memory cannot fail");
        RedbBackend {
            state: RwLock::new(State {
                db: Some(db),
                generation: 0,
            }),
            reopen: None,
            file: None,
            path: PathBuf::new(),
            stamp: *b"redb-mem",
        }
    }

    /// A redb database on any redb storage backend (for fault injection and special
    /// storage). `storage` is called to open the storage now, and again to re-open the engine
    /// after an I/O error; it must return the same underlying data each time.
    pub fn with_storage<S: redb::StorageBackend>(
        storage: impl Fn() -> io::Result<S> + Send + Sync + 'static,
        stamp: [u8; 8],
    ) -> Result<RedbBackend, StoreError> {
        let open = move || -> Result<Database, StoreError> {
            let s = storage().map_err(StoreError::from_io)?;
            catch_unwind(AssertUnwindSafe(|| {
                Database::builder().create_with_backend(s).map_err(map_err)
            }))
            .unwrap_or_else(|p| Err(engine_panic(&*p)))
        };
        let db = open()?;
        create_tables(&db)?;
        Ok(RedbBackend {
            state: RwLock::new(State {
                db: Some(db),
                generation: 0,
            }),
            reopen: Some(Box::new(open)),
            file: None,
            path: PathBuf::new(),
            stamp,
        })
    }

    /// The store file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs redb's full integrity check (every page checksum, allocator state).
    /// Returns `Ok(true)` if the file was consistent.
    pub fn check_integrity(&self) -> Result<bool, StoreError> {
        let mut state = self.state.write().map_err(|_| StoreError::Poisoned)?;
        let db = state.db.as_mut().ok_or_else(closed)?;
        catch_unwind(AssertUnwindSafe(|| db.check_integrity().map_err(map_err)))
            .unwrap_or_else(|p| Err(engine_panic(&*p)))
    }

    fn with_db<R>(
        &self,
        f: impl FnOnce(&Database) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        if self
            .state
            .read()
            .map_err(|_| StoreError::Poisoned)?
            .db
            .is_none()
        {
            self.try_reopen()?;
        }
        let (r, generation) = {
            let state = self.state.read().map_err(|_| StoreError::Poisoned)?;
            let Some(db) = state.db.as_ref() else {
                // Another thread hit an I/O error in between; the next call re-opens.
                return Err(StoreError::Busy(io::Error::other(
                    "the storage engine is being re-opened after an I/O error",
                )));
            };
            let r =
                catch_unwind(AssertUnwindSafe(|| f(db))).unwrap_or_else(|p| Err(engine_panic(&*p)));
            (r, state.generation)
        };
        if let Err(StoreError::Io(_) | StoreError::DiskFull(_) | StoreError::Busy(_)) = &r {
            self.invalidate(generation);
        }
        r
    }

    /// After an I/O error redb refuses everything (`PreviousIo`): drop the engine; the next
    /// operation opens it again.
    fn invalidate(&self, generation: u64) {
        if self.reopen.is_none() {
            return;
        }
        if let Ok(mut state) = self.state.write()
            && state.generation == generation
        {
            state.generation += 1;
            state.db = None;
        }
    }

    /// Opens the engine again. A failure (disk still full) is returned and retried by the
    /// next operation.
    fn try_reopen(&self) -> Result<(), StoreError> {
        let reopen = self.reopen.as_ref().ok_or_else(closed)?;
        let mut state = self.state.write().map_err(|_| StoreError::Poisoned)?;
        if state.db.is_none() {
            state.db = Some(reopen()?);
        }
        Ok(())
    }
}

/// Creates the five tables if the file has none of them (a new file, or one whose creation
/// was interrupted before the tables were committed). A file with only some of them is
/// corrupt: it is reported, never completed with empty tables.
fn ensure_tables(db: &Database) -> Result<(), StoreError> {
    let txn = db.begin_read().map_err(map_err)?;
    let names: Vec<String> = txn
        .list_tables()
        .map_err(map_err)?
        .map(|t| redb::TableHandle::name(&t).to_owned())
        .collect();
    drop(txn);
    let present = Table::ALL
        .iter()
        .filter(|t| names.iter().any(|n| n == t.name()))
        .count();
    match present {
        0 => create_tables(db),
        n if n == Table::ALL.len() => Ok(()),
        _ => {
            let missing: Vec<&str> = Table::ALL
                .iter()
                .map(|t| t.name())
                .filter(|t| !names.iter().any(|n| n == t))
                .collect();
            Err(CorruptionError::new(
                Check::Meta,
                format!("tables {} are missing", missing.join(", ")),
            )
            .into())
        }
    }
}

/// Creates the five tables in one transaction, so that read transactions always find them.
fn create_tables(db: &Database) -> Result<(), StoreError> {
    let txn = db.begin_write().map_err(map_err)?;
    for def in DEFS {
        txn.open_table(def).map_err(map_err)?;
    }
    txn.commit().map_err(map_err)
}

fn closed() -> StoreError {
    StoreError::Io(io::Error::other(
        "the storage engine could not be re-opened after an I/O error",
    ))
}

fn engine_panic(p: &(dyn Any + Send)) -> StoreError {
    CorruptionError::new(
        Check::Engine,
        format!("storage engine panicked: {}", panic_message(p)),
    )
    .into()
}

struct RedbRead<'t> {
    txn: &'t ReadTransaction,
    tables: [Option<ReadOnlyTable<&'static [u8], &'static [u8]>>; 5],
}

impl RedbRead<'_> {
    fn table(
        &mut self,
        t: Table,
    ) -> Result<&ReadOnlyTable<&'static [u8], &'static [u8]>, StoreError> {
        let slot = &mut self.tables[t.index()];
        if slot.is_none() {
            *slot = Some(self.txn.open_table(DEFS[t.index()]).map_err(map_err)?);
        }
        slot.as_ref().ok_or_else(closed)
    }
}

fn get_into(
    t: &impl ReadableTable<&'static [u8], &'static [u8]>,
    key: &[u8],
    out: &mut Vec<u8>,
) -> Result<bool, StoreError> {
    match t.get(key).map_err(map_err)? {
        Some(v) => {
            out.clear();
            out.extend_from_slice(v.value());
            Ok(true)
        }
        None => Ok(false),
    }
}

fn scan_table(
    t: &impl ReadableTable<&'static [u8], &'static [u8]>,
    start: &[u8],
    f: &mut Visitor<'_>,
) -> Result<(), StoreError> {
    for item in t.range(start..).map_err(map_err)? {
        let (k, v) = item.map_err(map_err)?;
        if !f(k.value(), v.value())? {
            break;
        }
    }
    Ok(())
}

impl ReadTx for RedbRead<'_> {
    fn get(&mut self, table: Table, key: &[u8], out: &mut Vec<u8>) -> Result<bool, StoreError> {
        get_into(self.table(table)?, key, out)
    }

    fn scan(&mut self, table: Table, start: &[u8], f: &mut Visitor<'_>) -> Result<(), StoreError> {
        scan_table(self.table(table)?, start, f)
    }

    fn len(&mut self, table: Table) -> Result<u64, StoreError> {
        self.table(table)?.len().map_err(map_err)
    }
}

struct RedbWrite<'t> {
    txn: &'t WriteTransaction,
    tables: [Option<redb::Table<'t, &'static [u8], &'static [u8]>>; 5],
}

impl<'t> RedbWrite<'t> {
    fn table(
        &mut self,
        t: Table,
    ) -> Result<&mut redb::Table<'t, &'static [u8], &'static [u8]>, StoreError> {
        let slot = &mut self.tables[t.index()];
        if slot.is_none() {
            *slot = Some(self.txn.open_table(DEFS[t.index()]).map_err(map_err)?);
        }
        slot.as_mut().ok_or_else(closed)
    }
}

impl ReadTx for RedbWrite<'_> {
    fn get(&mut self, table: Table, key: &[u8], out: &mut Vec<u8>) -> Result<bool, StoreError> {
        get_into(&*self.table(table)?, key, out)
    }

    fn scan(&mut self, table: Table, start: &[u8], f: &mut Visitor<'_>) -> Result<(), StoreError> {
        scan_table(&*self.table(table)?, start, f)
    }

    fn len(&mut self, table: Table) -> Result<u64, StoreError> {
        self.table(table)?.len().map_err(map_err)
    }
}

impl WriteTx for RedbWrite<'_> {
    fn put(&mut self, table: Table, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.table(table)?.insert(key, value).map_err(map_err)?;
        Ok(())
    }

    fn remove(&mut self, table: Table, key: &[u8]) -> Result<bool, StoreError> {
        Ok(self.table(table)?.remove(key).map_err(map_err)?.is_some())
    }

    fn clear(&mut self, table: Table) -> Result<(), StoreError> {
        self.tables[table.index()] = None;
        self.txn
            .delete_table(DEFS[table.index()])
            .map_err(map_err)?;
        self.table(table)?;
        Ok(())
    }
}

impl Backend for RedbBackend {
    fn read<R>(
        &self,
        f: impl FnOnce(&mut dyn ReadTx) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        self.with_db(|db| {
            let txn = db.begin_read().map_err(map_err)?;
            let mut rt = RedbRead {
                txn: &txn,
                tables: Default::default(),
            };
            f(&mut rt)
        })
    }

    fn write<R>(
        &self,
        f: impl FnOnce(&mut dyn WriteTx) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        self.with_db(|db| {
            let txn = db.begin_write().map_err(map_err)?;
            let r = {
                let mut wt = RedbWrite {
                    txn: &txn,
                    tables: Default::default(),
                };
                f(&mut wt)
            };
            match r {
                Ok(v) => {
                    txn.commit().map_err(map_err)?;
                    Ok(v)
                }
                Err(e) => {
                    // Dropping the transaction rolls it back; an abort error adds nothing.
                    let _ = txn.abort();
                    Err(e)
                }
            }
        })
    }

    fn new_stamp(&self) -> [u8; 8] {
        self.stamp
    }

    fn size_on_disk(&self) -> Option<u64> {
        self.file
            .as_ref()
            .and_then(|f| f.metadata().ok())
            .map(|m| m.len())
    }
}
