//! One shared [`Volume`] per volume root, and the [`VolumeRegistry`] that opens them.
//!
//! A volume is opened on the first FPOpenVol of any session: the root directory handle and
//! the CNID store are opened on the root service thread (`ctx.root`), because the store
//! directory (`vol dbpath`) belongs to root and session threads run as the user. If the
//! store cannot be opened, the path and the real OS error are logged once per volume and
//! the client gets kFPMiscErr (what netatalk answers, without its opaque "Unable to get
//! stamp value").
//!
//! Lifetime: the registry keeps a weak reference; the volume (and its store) closes when the
//! last session that has it open closes it, and is reopened by the next FPOpenVol. Server
//! shutdown drops the registry and with it every store.

use std::collections::{HashMap, HashSet};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use afp_proto::ResultCode;
use cnid::{Cnid, Entry, Kind, MemBackend, RedbBackend, Store, StoreError};

use super::names::Hidden;
use super::sys;
use crate::cmd::AfpResult;
use crate::config::{CnidScheme, ResolvedVolume};
use crate::rootsvc::RootService;

/// A server-wide identity of a volume root, stable for the life of the process (also
/// across close and reopen). The lock manager keys open forks by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VolumeKey(pub u32);

/// The CNID store of a volume: the on-disk store, or an in-memory one for `cnid scheme =
/// last` (IDs not persistent; such volumes are read-only and do not advertise file IDs).
pub enum CnidDb {
    /// The on-disk store.
    Disk(Store<RedbBackend>),
    /// In-memory store (`cnid scheme = last`).
    Mem(Store<MemBackend>),
}

macro_rules! db_call {
    ($self:expr, $s:ident => $e:expr) => {
        match $self {
            $crate::vfs::volume::CnidDb::Disk($s) => $e,
            $crate::vfs::volume::CnidDb::Mem($s) => $e,
        }
    };
}
pub(crate) use db_call;

impl CnidDb {
    /// `Store::add`.
    pub fn add(
        &self,
        dev: u64,
        ino: u64,
        did: Cnid,
        name: &[u8],
        kind: Kind,
        hint: Option<Cnid>,
    ) -> Result<Cnid, StoreError> {
        db_call!(self, s => s.add(dev, ino, did, name, kind, hint))
    }

    /// `Store::lookup`.
    pub fn lookup(
        &self,
        dev: u64,
        ino: u64,
        did: Cnid,
        name: &[u8],
        kind: Kind,
    ) -> Result<Option<Cnid>, StoreError> {
        db_call!(self, s => s.lookup(dev, ino, did, name, kind))
    }

    /// `Store::get`.
    pub fn get(&self, did: Cnid, name: &[u8]) -> Result<Option<Cnid>, StoreError> {
        db_call!(self, s => s.get(did, name))
    }

    /// `Store::get_by_devino`.
    pub fn get_by_devino(&self, dev: u64, ino: u64) -> Result<Option<Entry>, StoreError> {
        db_call!(self, s => s.get_by_devino(dev, ino))
    }

    /// `Store::resolve`.
    pub fn resolve(&self, id: Cnid) -> Result<Option<Entry>, StoreError> {
        db_call!(self, s => s.resolve(id))
    }

    /// `Store::update`.
    pub fn update(
        &self,
        id: Cnid,
        dev: u64,
        ino: u64,
        did: Cnid,
        name: &[u8],
        kind: Kind,
    ) -> Result<(), StoreError> {
        db_call!(self, s => s.update(id, dev, ino, did, name, kind))
    }

    /// `Store::delete`.
    pub fn delete(&self, id: Cnid) -> Result<bool, StoreError> {
        db_call!(self, s => s.delete(id))
    }

    /// `Store::exchange`.
    pub fn exchange(&self, a: Cnid, b: Cnid) -> Result<bool, StoreError> {
        db_call!(self, s => s.exchange(a, b))
    }

    /// `Store::stamp`.
    pub fn stamp(&self) -> [u8; 8] {
        db_call!(self, s => s.stamp())
    }

    /// True for a persistent store.
    pub fn is_persistent(&self) -> bool {
        matches!(self, CnidDb::Disk(_))
    }
}

impl std::fmt::Debug for CnidDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CnidDb::Disk(_) => "CnidDb::Disk",
            CnidDb::Mem(_) => "CnidDb::Mem",
        })
    }
}

/// Maps a store error to the AFP result netatalk gives for a failing database
/// (kFPMiscErr), logging it.
pub(crate) fn store_err(e: StoreError) -> ResultCode {
    if e.is_fatal() {
        tracing::error!("CNID store: {e}");
    } else {
        tracing::warn!("CNID store: {e}");
    }
    ResultCode::MISC_ERR
}

/// What the directory cache knows about one directory ID.
#[derive(Debug, Clone)]
pub(crate) struct CachedDir {
    pub parent: Cnid,
    pub name: Arc<[u8]>,
    pub dev: u64,
    pub ino: u64,
}

/// A small per-volume cache of directory records (DID → parent, name, dev, ino) and the
/// reverse (parent, name) → DID, so that resolving a DID is a few hash lookups. A rename
/// or move changes only the moved directory's own entry (children keep their parent DID).
#[derive(Debug, Default)]
pub(crate) struct DirCache {
    by_did: HashMap<u32, CachedDir>,
    by_name: HashMap<(u32, Arc<[u8]>), u32>,
}

const DIRCACHE_MAX: usize = 65_536;

impl DirCache {
    pub(crate) fn get(&self, did: Cnid) -> Option<&CachedDir> {
        self.by_did.get(&did.0)
    }

    pub(crate) fn by_name(&self, parent: Cnid, name: &[u8]) -> Option<(Cnid, &CachedDir)> {
        let key: (u32, Arc<[u8]>) = (parent.0, Arc::from(name));
        let did = *self.by_name.get(&key)?;
        self.by_did.get(&did).map(|d| (Cnid(did), d))
    }

    pub(crate) fn insert(&mut self, did: Cnid, entry: CachedDir) {
        if self.by_did.len() >= DIRCACHE_MAX {
            self.by_did.clear();
            self.by_name.clear();
        }
        self.remove(did);
        self.by_name
            .insert((entry.parent.0, entry.name.clone()), did.0);
        self.by_did.insert(did.0, entry);
    }

    pub(crate) fn remove(&mut self, did: Cnid) {
        if let Some(old) = self.by_did.remove(&did.0) {
            let key = (old.parent.0, old.name);
            if self.by_name.get(&key) == Some(&did.0) {
                self.by_name.remove(&key);
            }
        }
    }
}

/// `vol size limit` accounting for Time Machine volumes (spec §10.4).
#[derive(Debug)]
pub(crate) struct Space {
    /// The limit in bytes, if configured.
    pub limit: Option<u64>,
    state: Mutex<SpaceState>,
}

#[derive(Debug, Default)]
struct SpaceState {
    /// Bytes used by sparse bundles when last counted.
    used: u64,
    /// When `used` was counted.
    counted: Option<Instant>,
    /// Bytes files grew by since then.
    grown: u64,
}

/// How long a sparse-bundle count is reused (netatalk: 60 s).
const SPACE_TTL: Duration = Duration::from_secs(60);

/// The one clock read of the volume layer.
#[allow(clippy::disallowed_methods)]
fn now() -> Instant {
    Instant::now()
}

/// A cached offspring count: the directory's (mtime, mtime_nsec, ctime, ctime_nsec) when
/// counted, and the count.
pub(crate) type OffspringEntry = (i64, i64, i64, i64, u16);

/// One AFP volume, shared by every session that has it open.
pub struct Volume {
    key: VolumeKey,
    path: PathBuf,
    pub(crate) root: Arc<OwnedFd>,
    root_dev: u64,
    /// The CNID store.
    pub db: CnidDb,
    cnid_dev: bool,
    pub(crate) hidden: Hidden,
    pub(crate) dircache: Mutex<DirCache>,
    pub(crate) space: Space,
    /// Per-directory offspring counts keyed by DID, valid while (mtime, ctime) match.
    pub(crate) offspring: Mutex<HashMap<u32, OffspringEntry>>,
    /// Volume-level options taken from the first session's resolution.
    pub(crate) opts: VolumeOptions,
    /// The desktop database (icons and APPL mappings), kept in memory while the volume is
    /// open.
    pub desktop: Mutex<Desktop>,
}

/// One icon of the desktop database.
#[derive(Debug, Clone)]
pub struct Icon {
    /// File creator.
    pub creator: [u8; 4],
    /// File type.
    pub file_type: [u8; 4],
    /// Icon type.
    pub icon_type: u8,
    /// Icon tag.
    pub tag: u32,
    /// The bitmap.
    pub data: Vec<u8>,
}

/// One APPL mapping (creator → application file).
#[derive(Debug, Clone)]
pub struct Appl {
    /// Application creator.
    pub creator: [u8; 4],
    /// Directory of the application.
    pub did: Cnid,
    /// Its disk name.
    pub name: Vec<u8>,
    /// APPL tag.
    pub tag: u32,
}

/// The desktop database of a volume (spec §5.12): netatalk keeps it in `.AppleDesktop`;
/// here it lives in memory for as long as the volume is open.
#[derive(Debug, Default)]
pub struct Desktop {
    /// Icons in insertion order.
    pub icons: Vec<Icon>,
    /// APPL mappings in insertion order.
    pub appls: Vec<Appl>,
}

/// The options of a volume that are the same for every session (the per-user ones, such as
/// read-only, stay in each session's `ResolvedVolume`).
#[derive(Debug, Clone)]
pub(crate) struct VolumeOptions {
    pub invisible_dots: bool,
}

impl std::fmt::Debug for Volume {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Volume")
            .field("key", &self.key)
            .field("path", &self.path)
            .field("db", &self.db)
            .finish_non_exhaustive()
    }
}

impl Volume {
    /// Opens a volume: the root directory handle and the CNID store. Call it with the
    /// credentials that may open the store (the root service thread in the server).
    ///
    /// `verify` checks every page checksum of the store before serving it (about 0.8 s per
    /// million entries); the registry asks for it on the first open after server start only,
    /// so a Time Machine client that mounts and unmounts every hour does not pay it each time.
    pub fn open(key: VolumeKey, cfg: &ResolvedVolume, verify: bool) -> Result<Volume, String> {
        let root = sys::open_dir_path(&cfg.path)
            .map_err(|e| format!("cannot open volume root {}: {e}", cfg.path.display()))?;
        let st = sys::fstat(root.as_fd())
            .map_err(|e| format!("cannot stat volume root {}: {e}", cfg.path.display()))?;
        let db = match cfg.cnid_scheme {
            CnidScheme::Last => CnidDb::Mem(
                Store::with_backend(MemBackend::new())
                    .map_err(|e| format!("cannot create in-memory CNID store: {e}"))?,
            ),
            CnidScheme::Store => {
                let dir = cfg.ensure_db_dir().map_err(|e| e.to_string())?;
                let opts = cnid::OpenOptions {
                    cache_bytes: 32 << 20,
                    verify,
                    ..cnid::OpenOptions::default()
                };
                // A store being closed by another thread still holds its lock for a moment.
                let mut tries = 0;
                loop {
                    match Store::open(&dir, &opts) {
                        Ok(s) => break CnidDb::Disk(s),
                        Err(cnid::OpenError::Locked { .. }) if tries < 20 => {
                            tries += 1;
                            std::thread::sleep(Duration::from_millis(50));
                        }
                        Err(e) => return Err(e.to_string()),
                    }
                }
            }
        };
        let db_component = cfg
            .db_dir
            .strip_prefix(&cfg.path)
            .ok()
            .and_then(|rel| rel.components().next())
            .map(|c| c.as_os_str().as_encoded_bytes().to_vec());
        Ok(Volume {
            key,
            path: cfg.path.clone(),
            root: Arc::new(root),
            root_dev: st.st_dev,
            db,
            cnid_dev: cfg.cnid_dev,
            hidden: Hidden {
                veto: cfg
                    .veto_files
                    .iter()
                    .map(|v| v.as_bytes().to_vec())
                    .collect(),
                db_component,
            },
            dircache: Mutex::new(DirCache::default()),
            space: Space {
                limit: cfg.vol_size_limit_mib.map(|m| m.saturating_mul(1 << 20)),
                state: Mutex::new(SpaceState::default()),
            },
            offspring: Mutex::new(HashMap::new()),
            opts: VolumeOptions {
                invisible_dots: cfg.invisible_dots,
            },
            desktop: Mutex::new(Desktop::default()),
        })
    }

    /// The volume's server-wide key (for the lock manager).
    pub fn key(&self) -> VolumeKey {
        self.key
    }

    /// The volume root's real path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The root directory handle (`O_PATH`).
    pub fn root_fd(&self) -> BorrowedFd<'_> {
        self.root.as_fd()
    }

    /// `st_dev` of the volume root.
    pub fn root_dev(&self) -> u64 {
        self.root_dev
    }

    /// The device number the CNID store uses for `st_dev` (0 with `cnid dev = no`).
    pub fn cnid_dev(&self, st_dev: u64) -> u64 {
        if self.cnid_dev { st_dev } else { 0 }
    }

    /// True when `cnid dev = no`.
    pub fn nodev(&self) -> bool {
        !self.cnid_dev
    }

    pub(crate) fn dircache(&self) -> MutexGuard<'_, DirCache> {
        self.dircache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Forgets what the directory cache knows about `did` (after a rename, move or delete
    /// of that directory).
    pub fn forget_dir(&self, did: Cnid) {
        self.dircache().remove(did);
        self.offspring
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&did.0);
    }

    // ---------------------------------------------------------------------------------
    // Space (vol size limit)

    /// Total and free bytes to report (spec §10.4): the file system's, limited by `vol size
    /// limit` when set (used = the sparse bundles' bands). Also the block size.
    pub fn space(&self) -> AfpResult<(u64, u64, u32)> {
        let (total, free, bsize) = sys::fs_space(self.root_fd()).map_err(|e| {
            tracing::warn!("statvfs {}: {e}", self.path.display());
            ResultCode::MISC_ERR
        })?;
        let Some(limit) = self.space.limit else {
            return Ok((total, free, bsize));
        };
        let used = self.used_bytes();
        let total = total.min(limit);
        let free = free.min(total.saturating_sub(used));
        Ok((total, free, bsize))
    }

    /// Before a write extends a file by `extra` bytes: kFPDiskFull if that would pass the
    /// `vol size limit` (spec §10.4). Always `Ok` on volumes without a limit.
    pub fn check_room(&self, extra: u64) -> AfpResult<()> {
        let Some(limit) = self.space.limit else {
            return Ok(());
        };
        if extra == 0 {
            return Ok(());
        }
        let used = self.used_bytes();
        if used.saturating_add(extra) > limit {
            return Err(ResultCode::DISK_FULL);
        }
        Ok(())
    }

    /// After a write extended a file by `bytes`: counted as used until the next recount
    /// (netatalk adds the growth to its cached figure the same way).
    pub fn note_growth(&self, bytes: u64) {
        if self.space.limit.is_none() || bytes == 0 {
            return;
        }
        let mut st = self.space.state.lock().unwrap_or_else(|p| p.into_inner());
        st.grown = st.grown.saturating_add(bytes);
    }

    /// Bytes used: the cached sparse-bundle count (recounted every 60 s) plus growth since.
    fn used_bytes(&self) -> u64 {
        let mut st = self.space.state.lock().unwrap_or_else(|p| p.into_inner());
        let fresh = st
            .counted
            .is_some_and(|t| now().duration_since(t) < SPACE_TTL);
        if !fresh {
            st.used = super::space::sparsebundle_usage(self.root_fd());
            st.counted = Some(now());
            st.grown = 0;
        }
        st.used.saturating_add(st.grown)
    }
}

/// Every volume open in any session, keyed by its root path (spec: one CNID store per
/// volume, shared by all sessions).
#[derive(Debug, Default)]
pub struct VolumeRegistry {
    inner: Mutex<RegistryInner>,
}

#[derive(Debug, Default)]
struct RegistryInner {
    open: HashMap<PathBuf, Weak<Volume>>,
    keys: HashMap<PathBuf, VolumeKey>,
    /// Volumes whose opening failed and was logged (logged once, not per request).
    failed: HashSet<PathBuf>,
    /// Volumes whose CNID store passed its full check since the server started.
    verified: HashSet<PathBuf>,
}

impl VolumeRegistry {
    /// A registry with no volumes open.
    pub fn new() -> VolumeRegistry {
        VolumeRegistry::default()
    }

    /// The shared volume for `cfg`, opening it (on the root service thread) if no session
    /// has it open. A failure is logged once with the path and the OS error and answered
    /// kFPMiscErr.
    pub fn open(&self, cfg: &ResolvedVolume, root: &RootService) -> AfpResult<Arc<Volume>> {
        super::meta::set_root_reader(root);
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(v) = inner.open.get(&cfg.path).and_then(Weak::upgrade) {
            return Ok(v);
        }
        let next = VolumeKey(u32::try_from(inner.keys.len() + 1).unwrap_or(u32::MAX));
        let key = *inner.keys.entry(cfg.path.clone()).or_insert(next);
        let job_cfg = cfg.clone();
        let verify = !inner.verified.contains(&cfg.path);
        let result = root
            .run(move || Volume::open(key, &job_cfg, verify))
            .unwrap_or_else(|| Err("the root service thread is gone".to_owned()));
        match result {
            Ok(v) => {
                let v = Arc::new(v);
                inner.open.insert(cfg.path.clone(), Arc::downgrade(&v));
                inner.verified.insert(cfg.path.clone());
                if inner.failed.remove(&cfg.path) {
                    tracing::info!(volume = %cfg.name, "volume {} opened", cfg.path.display());
                }
                Ok(v)
            }
            Err(msg) => {
                if inner.failed.insert(cfg.path.clone()) {
                    tracing::error!(volume = %cfg.name, "cannot open volume: {msg}");
                } else {
                    tracing::debug!(volume = %cfg.name, "cannot open volume: {msg}");
                }
                Err(ResultCode::MISC_ERR)
            }
        }
    }

    /// Volumes currently open (for diagnostics and tests).
    pub fn open_count(&self) -> usize {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.open.values().filter(|w| w.strong_count() > 0).count()
    }
}
