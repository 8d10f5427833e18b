//! The lock manager: every open fork of every session, its access and deny modes (spec
//! `afp-dsi.md` §8.2) and its byte-range locks (§8.3), shared by all sessions through
//! [`crate::server::ServerCtx::locks`].
//!
//! # Identity: the data file's `(st_dev, st_ino)`
//!
//! State is keyed by [`FileId`], the device and inode numbers of the file's data fork, plus
//! [`ForkKind`] (data and resource forks have independent modes and locks). That choice
//! makes the common catalog operations free:
//!
//! * FPRename and FPMoveAndRename keep the inode, so open forks, modes and locks stay
//!   valid with no call into this module;
//! * two volumes that share a directory tree (or a hard link) see the same state, because
//!   they see the same inode;
//! * FPExchangeFiles done with `renameat2(RENAME_EXCHANGE)` on the data files (and on the
//!   `._` sidecars) moves each inode, with its open descriptors, modes and locks, along with
//!   its contents: again nothing to call. Only an exchange that copies bytes between two
//!   inodes that stay in place must call [`LockManager::swap`].
//!
//! # Lifetime: nothing leaks
//!
//! An open is represented by an [`OpenLease`]: dropping it releases the open path and every
//! byte-range lock it holds. A session's [`super::ForkTable`] owns the leases of its forks,
//! so FPCloseFork, FPCloseVol, FPLogout and the end of the session thread release them
//! whatever path they take. [`LockManager::release_session`] additionally releases a
//! session's state from another thread (Time Machine lock stealing, §10.1); the session's
//! leases become inert.
//!
//! # Rules implemented (quotes from the spec above each check)
//!
//! * Deny modes: the four conflict rules of §8.2 against the union of every open path of the
//!   same fork, from any session, including other opens of the same session; and, as
//!   netatalk does, an exclusive open (read, write, deny read, deny write) and an
//!   access-none open never coexist.
//! * Byte-range locks: owned by the open fork, not the session; conflicts with another
//!   owner give [`LockError::Locked`] (kFPLockErr), with the same owner
//!   [`LockError::Overlap`] (kFPRangeOverlap); unlock needs the exact range
//!   ([`LockError::NotLocked`], kFPRangeNotLocked).
//! * Reads and writes check the other owners' locks ([`OpenLease::begin_read`],
//!   [`OpenLease::begin_write`]) and, while they run, keep an in-flight range so no other
//!   fork can take a lock on bytes being read or written (netatalk holds a temporary
//!   `fcntl` lock for the same purpose).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use afp_proto::ResultCode;
use afp_proto::command::AccessMode;

use crate::session::SessionId;

/// The identity of a file: device and inode number of its data fork (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId {
    /// `st_dev`.
    pub dev: u64,
    /// `st_ino`.
    pub ino: u64,
}

impl FileId {
    /// The identity of the file `st` describes.
    #[allow(clippy::unnecessary_cast)] // the field types differ between targets
    pub fn of(st: &rustix::fs::Stat) -> FileId {
        FileId {
            dev: st.st_dev as u64,
            ino: st.st_ino as u64,
        }
    }
}

/// Which fork of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ForkKind {
    /// The data fork (the file's ordinary contents).
    Data,
    /// The resource fork (the `._name` sidecar on Linux, spec §9.4).
    Resource,
}

impl ForkKind {
    /// Both kinds.
    pub const BOTH: [ForkKind; 2] = [ForkKind::Data, ForkKind::Resource];
}

/// The four mode bits that take part in §8.2 (others are ignored).
const MODE_BITS: AccessMode = AccessMode::READ
    .union(AccessMode::WRITE)
    .union(AccessMode::DENY_READ)
    .union(AccessMode::DENY_WRITE);

/// Byte-range locks one open fork may hold at once (beyond: kFPNoMoreLocks).
pub const MAX_LOCKS_PER_OPEN: usize = 8192;

/// Byte-range locks one session may hold at once over all its forks (beyond:
/// kFPNoMoreLocks), so that no session can make the shared state grow without bound.
pub const MAX_LOCKS_PER_SESSION: usize = 65536;

/// The open paths of one fork of one file, as other commands need to see them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ForkUsage {
    /// Number of open paths (every session, access "none" included).
    pub opens: usize,
    /// Union of their access bits (READ, WRITE).
    pub access: AccessMode,
    /// Union of their deny bits (DENY_READ, DENY_WRITE).
    pub deny: AccessMode,
    /// Some path is open exclusively (read, write, deny read, deny write).
    pub exclusive: bool,
    /// Number of byte-range locks held on this fork.
    pub locks: usize,
}

impl ForkUsage {
    /// True when at least one path is open.
    pub fn is_open(&self) -> bool {
        self.opens > 0
    }
}

/// How a file is open, for FPDelete (kFPFileBusy), a hard FPCreateFile, the DAlreadyOpen /
/// RAlreadyOpen attributes and FPCopyFile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileUsage {
    /// The data fork.
    pub data: ForkUsage,
    /// The resource fork.
    pub resource: ForkUsage,
}

impl FileUsage {
    /// True when either fork is open by anyone.
    pub fn is_open(&self) -> bool {
        self.data.is_open() || self.resource.is_open()
    }

    /// The usage of one fork.
    pub fn fork(&self, kind: ForkKind) -> ForkUsage {
        match kind {
            ForkKind::Data => self.data,
            ForkKind::Resource => self.resource,
        }
    }
}

/// A range of bytes `[start, end)` of a fork; never empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ByteRange {
    start: u64,
    end: u64,
}

impl ByteRange {
    /// The largest offset a lock may reach: a length of all ones ("to the largest possible
    /// offset", §8.3) ends here. The same limit as netatalk's 64-bit `BYTELOCK_MAX`.
    pub const MAX_END: u64 = i64::MAX as u64;

    /// `len` bytes from `start`; `None` when `len` is 0 or the end passes [`Self::MAX_END`].
    pub fn new(start: u64, len: u64) -> Option<ByteRange> {
        let end = start.checked_add(len)?;
        (len > 0 && end <= Self::MAX_END).then_some(ByteRange { start, end })
    }

    /// From `start` to [`Self::MAX_END`]; `None` if `start` is not below it.
    pub fn to_max(start: u64) -> Option<ByteRange> {
        (start < Self::MAX_END).then_some(ByteRange {
            start,
            end: Self::MAX_END,
        })
    }

    /// First byte.
    pub fn start(&self) -> u64 {
        self.start
    }

    /// One past the last byte.
    pub fn end(&self) -> u64 {
        self.end
    }

    fn overlaps(&self, start: u64, end: u64) -> bool {
        self.start < end && start < self.end
    }
}

/// An open was refused by the deny modes of §8.2 (kFPDenyConflict).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the fork is open in a conflicting access or deny mode")]
pub struct DenyConflict;

/// Why a byte-range lock operation or an I/O check failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LockError {
    /// Another open fork holds (or is reading or writing) an overlapping range.
    #[error("range locked by another fork")]
    Locked,
    /// This fork already holds a lock overlapping the range.
    #[error("range overlaps a lock this fork holds")]
    Overlap,
    /// Unlock of a range this fork does not hold exactly.
    #[error("range not locked by this fork")]
    NotLocked,
    /// A lock limit ([`MAX_LOCKS_PER_OPEN`], [`MAX_LOCKS_PER_SESSION`]).
    #[error("too many locks")]
    TooMany,
    /// The open was released (its session's state was released from another thread).
    #[error("fork no longer open")]
    Closed,
}

impl LockError {
    /// The AFP result code (spec §8.3, §7).
    pub fn result_code(self) -> ResultCode {
        match self {
            LockError::Locked => ResultCode::LOCK_ERR,
            LockError::Overlap => ResultCode::RANGE_OVERLAP,
            LockError::NotLocked => ResultCode::RANGE_NOT_LOCKED,
            LockError::TooMany => ResultCode::NO_MORE_LOCKS,
            LockError::Closed => ResultCode::PARAM_ERR,
        }
    }
}

impl From<LockError> for ResultCode {
    fn from(e: LockError) -> ResultCode {
        e.result_code()
    }
}

impl From<DenyConflict> for ResultCode {
    fn from(_: DenyConflict) -> ResultCode {
        ResultCode::DENY_CONFLICT
    }
}

type OpenId = u64;
type Key = (FileId, ForkKind);

#[derive(Debug)]
struct OpenRec {
    session: SessionId,
    key: Key,
    mode: AccessMode,
    locks: usize,
}

#[derive(Debug, Clone, Copy)]
struct Inflight {
    id: u64,
    owner: OpenId,
    start: u64,
    end: u64,
}

#[derive(Debug, Default)]
struct ForkState {
    /// Open paths of this fork.
    opens: Vec<OpenId>,
    /// Byte-range locks: start → (end, owner). All ranges of one fork are pairwise
    /// disjoint (another owner's overlap is refused, and so is the same owner's).
    ranges: BTreeMap<u64, (u64, OpenId)>,
    /// Reads, writes and truncations in progress.
    inflight: Vec<Inflight>,
}

impl ForkState {
    fn is_empty(&self) -> bool {
        self.opens.is_empty() && self.ranges.is_empty() && self.inflight.is_empty()
    }

    /// Locks overlapping `[start, end)`, in offset order.
    fn overlapping(&self, start: u64, end: u64) -> impl Iterator<Item = (u64, u64, OpenId)> + '_ {
        // Ranges are disjoint and sorted, so their ends are sorted too: the first candidate
        // is the last range starting at or before `start`, then every range starting
        // before `end`.
        let first = self
            .ranges
            .range(..=start)
            .next_back()
            .map(|(&s, _)| s)
            .unwrap_or(start);
        self.ranges
            .range(first..end)
            .map(|(&s, &(e, o))| (s, e, o))
            .filter(move |&(s, e, _)| s < end && start < e)
    }

    fn usage(&self, opens: &HashMap<OpenId, OpenRec>) -> ForkUsage {
        let mut u = ForkUsage {
            opens: self.opens.len(),
            locks: self.ranges.len(),
            ..ForkUsage::default()
        };
        for id in &self.opens {
            if let Some(rec) = opens.get(id) {
                u.access |= rec.mode & (AccessMode::READ | AccessMode::WRITE);
                u.deny |= rec.mode & (AccessMode::DENY_READ | AccessMode::DENY_WRITE);
                u.exclusive |= rec.mode == MODE_BITS;
            }
        }
        u
    }
}

#[derive(Debug, Default)]
struct State {
    next_id: u64,
    opens: HashMap<OpenId, OpenRec>,
    forks: HashMap<Key, ForkState>,
    /// Byte-range locks held per session.
    session_locks: HashMap<SessionId, usize>,
}

impl State {
    fn next(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn release_open(&mut self, id: OpenId) -> bool {
        let Some(rec) = self.opens.remove(&id) else {
            return false;
        };
        self.count_locks(rec.session, -(rec.locks as isize));
        if let Some(fs) = self.forks.get_mut(&rec.key) {
            fs.opens.retain(|&o| o != id);
            fs.ranges.retain(|_, &mut (_, owner)| owner != id);
            fs.inflight.retain(|f| f.owner != id);
            if fs.is_empty() {
                self.forks.remove(&rec.key);
            }
        }
        true
    }

    /// Adds `delta` to the lock count of `session`.
    fn count_locks(&mut self, session: SessionId, delta: isize) {
        let n = self.session_locks.entry(session).or_default();
        *n = n.saturating_add_signed(delta);
        if *n == 0 {
            self.session_locks.remove(&session);
        }
    }

    /// The first byte at or after `start` and before `end` locked by an owner other than
    /// `me`, or being written by one.
    fn foreign_lock(&self, key: &Key, me: OpenId, start: u64, end: u64) -> Option<u64> {
        let fs = self.forks.get(key)?;
        fs.overlapping(start, end)
            .find(|&(_, _, o)| o != me)
            .map(|(s, _, _)| s.max(start))
    }
}

/// Every open fork of every session: access and deny modes, byte-range locks. A cheap
/// handle (clones share the state); see the module docs.
#[derive(Debug, Clone, Default)]
pub struct LockManager {
    inner: Arc<Mutex<State>>,
}

impl LockManager {
    /// An empty manager.
    pub fn new() -> LockManager {
        LockManager::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // No operation panics half-way through a change, so a poisoned lock still holds a
        // consistent state.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers an open path of `fork` of `file` by `session` in `mode`, after checking the
    /// deny modes of every path already open (any session, this one included).
    ///
    /// Dropping the returned lease closes the path and releases its byte-range locks.
    pub fn open(
        &self,
        session: SessionId,
        file: FileId,
        fork: ForkKind,
        mode: AccessMode,
    ) -> Result<OpenLease, DenyConflict> {
        let mode = mode & MODE_BITS;
        let key = (file, fork);
        let mut st = self.state();
        if let Some(fs) = st.forks.get(&key) {
            let u = fs.usage(&st.opens);
            // spec §8.2: "A new open of a fork fails with kFPDenyConflict when it asks for
            // read and some existing path denies read, or it asks for write and some
            // existing path denies write, or it denies read and some existing path has read
            // access, or it denies write and some existing path has write access."
            let conflict = (mode.contains(AccessMode::READ)
                && u.deny.contains(AccessMode::DENY_READ))
                || (mode.contains(AccessMode::WRITE) && u.deny.contains(AccessMode::DENY_WRITE))
                || (mode.contains(AccessMode::DENY_READ) && u.access.contains(AccessMode::READ))
                || (mode.contains(AccessMode::DENY_WRITE) && u.access.contains(AccessMode::WRITE));
            // spec §8.2: "Access may be none (neither read nor write), which still
            // participates in deny checks." As in netatalk (`ad_excl_lock` takes a write
            // lock over everything, its access-none open a read lock), an exclusive open
            // (read, write, deny both) and an access-none open shut each other out.
            let exclusive = mode == MODE_BITS && u.opens > 0;
            let none_vs_exclusive = mode.is_empty() && u.exclusive;
            if conflict || exclusive || none_vs_exclusive {
                return Err(DenyConflict);
            }
        }
        let id = st.next();
        st.opens.insert(
            id,
            OpenRec {
                session,
                key,
                mode,
                locks: 0,
            },
        );
        st.forks.entry(key).or_default().opens.push(id);
        Ok(OpenLease {
            mgr: self.clone(),
            id,
            fork,
            mode,
        })
    }

    /// How `file` is open, by anyone.
    pub fn usage(&self, file: FileId) -> FileUsage {
        let st = self.state();
        let get = |k| {
            st.forks
                .get(&(file, k))
                .map(|fs| fs.usage(&st.opens))
                .unwrap_or_default()
        };
        FileUsage {
            data: get(ForkKind::Data),
            resource: get(ForkKind::Resource),
        }
    }

    /// True when either fork of `file` is open by anyone (FPDelete → kFPFileBusy).
    pub fn is_open(&self, file: FileId) -> bool {
        self.usage(file).is_open()
    }

    /// Exchanges the state of two files: open paths, deny modes and byte-range locks of `a`
    /// become those of `b` and vice versa.
    ///
    /// Call this only when an exchange moved *contents* between two inodes that stay in
    /// place. An exchange by `renameat2(RENAME_EXCHANGE)` moves the inodes themselves, and
    /// the state (keyed by inode) follows without a call.
    pub fn swap(&self, a: FileId, b: FileId) {
        if a == b {
            return;
        }
        let mut st = self.state();
        for kind in ForkKind::BOTH {
            let sa = st.forks.remove(&(a, kind));
            let sb = st.forks.remove(&(b, kind));
            for (state, new_file) in [(sa, b), (sb, a)] {
                if let Some(state) = state {
                    for id in &state.opens {
                        if let Some(rec) = st.opens.get_mut(id) {
                            rec.key = (new_file, kind);
                        }
                    }
                    st.forks.insert((new_file, kind), state);
                }
            }
        }
    }

    /// Releases every open path (and its locks) of `session`, returning how many. For use
    /// from another thread (lock stealing); the session's leases become inert and their
    /// operations answer [`LockError::Closed`]. A session that ends normally needs no call:
    /// dropping its fork table releases everything.
    pub fn release_session(&self, session: SessionId) -> usize {
        let mut st = self.state();
        let ids: Vec<OpenId> = st
            .opens
            .iter()
            .filter(|(_, r)| r.session == session)
            .map(|(&id, _)| id)
            .collect();
        for &id in &ids {
            st.release_open(id);
        }
        ids.len()
    }

    /// Number of open paths of all sessions.
    pub fn open_count(&self) -> usize {
        self.state().opens.len()
    }

    /// Number of open paths of `session`.
    pub fn session_open_count(&self, session: SessionId) -> usize {
        self.state()
            .opens
            .values()
            .filter(|r| r.session == session)
            .count()
    }
}

/// One open path of a fork (the lock owner of §8.3). Dropping it closes the path and
/// releases its byte-range locks.
#[derive(Debug)]
pub struct OpenLease {
    mgr: LockManager,
    id: OpenId,
    fork: ForkKind,
    mode: AccessMode,
}

impl OpenLease {
    /// The fork kind.
    pub fn fork(&self) -> ForkKind {
        self.fork
    }

    /// The access and deny mode it was opened with (the four §8.2 bits only).
    pub fn mode(&self) -> AccessMode {
        self.mode
    }

    /// The file it currently belongs to (changes only through [`LockManager::swap`]);
    /// `None` after [`LockManager::release_session`].
    pub fn file(&self) -> Option<FileId> {
        self.mgr.state().opens.get(&self.id).map(|r| r.key.0)
    }

    /// False after [`LockManager::release_session`] released it.
    pub fn is_valid(&self) -> bool {
        self.mgr.state().opens.contains_key(&self.id)
    }

    /// The manager it belongs to.
    pub fn manager(&self) -> &LockManager {
        &self.mgr
    }

    /// Locks `range` for this open fork (FPByteRangeLock with the unlock flag clear).
    pub fn lock(&self, range: ByteRange) -> Result<(), LockError> {
        let mut st = self.mgr.state();
        let rec = st.opens.get(&self.id).ok_or(LockError::Closed)?;
        let (key, count, session) = (rec.key, rec.locks, rec.session);
        let session_count = st.session_locks.get(&session).copied().unwrap_or(0);
        let fs = st.forks.entry(key).or_default();
        let mut own = false;
        for (_, _, owner) in fs.overlapping(range.start, range.end) {
            // spec §8.3: "Overlap with a range held by another open fork → kFPLockErr;
            // overlap with one held by the same fork → kFPRangeOverlap".
            if owner != self.id {
                return Err(LockError::Locked);
            }
            own = true;
        }
        if fs
            .inflight
            .iter()
            .any(|f| f.owner != self.id && range.overlaps(f.start, f.end))
        {
            return Err(LockError::Locked);
        }
        if own {
            return Err(LockError::Overlap);
        }
        // spec §8.3: "server limit → kFPNoMoreLocks".
        if count >= MAX_LOCKS_PER_OPEN || session_count >= MAX_LOCKS_PER_SESSION {
            return Err(LockError::TooMany);
        }
        fs.ranges.insert(range.start, (range.end, self.id));
        if let Some(rec) = st.opens.get_mut(&self.id) {
            rec.locks += 1;
        }
        st.count_locks(session, 1);
        Ok(())
    }

    /// Unlocks exactly `range` (FPByteRangeLock with the unlock flag set).
    ///
    /// spec §8.3: "Only whole ranges can be unlocked. Anything else → kFPRangeNotLocked."
    pub fn unlock(&self, range: ByteRange) -> Result<(), LockError> {
        let mut st = self.mgr.state();
        let key = st.opens.get(&self.id).ok_or(LockError::Closed)?.key;
        let fs = st.forks.get_mut(&key).ok_or(LockError::NotLocked)?;
        match fs.ranges.get(&range.start) {
            Some(&(end, owner)) if end == range.end && owner == self.id => {
                fs.ranges.remove(&range.start);
            }
            _ => return Err(LockError::NotLocked),
        }
        if let Some(rec) = st.opens.get_mut(&self.id) {
            rec.locks -= 1;
            let session = rec.session;
            st.count_locks(session, -1);
        }
        Ok(())
    }

    /// The locks this open fork holds, in offset order.
    pub fn locks(&self) -> Vec<ByteRange> {
        let st = self.mgr.state();
        let Some(rec) = st.opens.get(&self.id) else {
            return Vec::new();
        };
        st.forks
            .get(&rec.key)
            .map(|fs| {
                fs.ranges
                    .iter()
                    .filter(|(_, (_, o))| *o == self.id)
                    .map(|(&start, &(end, _))| ByteRange { start, end })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Starts a read of `range`.
    ///
    /// spec §8.3: "A read that reaches a range locked by another fork returns the bytes
    /// before that range with kFPLockErr". The guard's [`IoGuard::limit`] is where the
    /// first such range starts (`None`: nothing in the way); the read must stop there.
    /// Until the guard drops, no other fork can lock the bytes before the limit.
    pub fn begin_read(&self, range: ByteRange) -> Result<IoGuard, LockError> {
        let mut st = self.mgr.state();
        let key = st.opens.get(&self.id).ok_or(LockError::Closed)?.key;
        let limit = st.foreign_lock(&key, self.id, range.start, range.end);
        let end = limit.unwrap_or(range.end);
        let id = self.add_inflight(&mut st, key, range.start, end);
        Ok(IoGuard {
            mgr: self.mgr.clone(),
            owner: self.id,
            id,
            limit,
        })
    }

    /// Starts a write (or a truncation) of `range`.
    ///
    /// spec §8.3: "a write overlapping such a range writes nothing and returns kFPLockErr".
    /// Until the guard drops, no other fork can lock any byte of `range`.
    pub fn begin_write(&self, range: ByteRange) -> Result<IoGuard, LockError> {
        let mut st = self.mgr.state();
        let key = st.opens.get(&self.id).ok_or(LockError::Closed)?.key;
        if st
            .foreign_lock(&key, self.id, range.start, range.end)
            .is_some()
        {
            return Err(LockError::Locked);
        }
        let id = self.add_inflight(&mut st, key, range.start, range.end);
        Ok(IoGuard {
            mgr: self.mgr.clone(),
            owner: self.id,
            id,
            limit: None,
        })
    }

    fn add_inflight(&self, st: &mut State, key: Key, start: u64, end: u64) -> u64 {
        let id = st.next();
        if start < end {
            st.forks.entry(key).or_default().inflight.push(Inflight {
                id,
                owner: self.id,
                start,
                end,
            });
        }
        id
    }
}

impl Drop for OpenLease {
    fn drop(&mut self) {
        self.mgr.state().release_open(self.id);
    }
}

/// A read, write or truncation in progress (see [`OpenLease::begin_read`] and
/// [`OpenLease::begin_write`]); dropping it ends it.
#[derive(Debug)]
pub struct IoGuard {
    mgr: LockManager,
    owner: OpenId,
    id: u64,
    limit: Option<u64>,
}

impl IoGuard {
    /// For a read: the offset where another fork's lock begins, if the range reaches one.
    pub fn limit(&self) -> Option<u64> {
        self.limit
    }
}

impl Drop for IoGuard {
    fn drop(&mut self) {
        let mut st = self.mgr.state();
        // Look the key up now: a swap may have moved the fork's state meanwhile. A released
        // open has no in-flight ranges left.
        let Some(key) = st.opens.get(&self.owner).map(|r| r.key) else {
            return;
        };
        if let Some(fs) = st.forks.get_mut(&key) {
            fs.inflight.retain(|f| f.id != self.id);
            if fs.is_empty() {
                st.forks.remove(&key);
            }
        }
    }
}

#[cfg(test)]
#[path = "locks_tests.rs"]
mod tests;
