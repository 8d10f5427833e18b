//! The forks one session has open, by OForkRefNum (spec `afp-dsi.md` §8.1: "u16, unique
//! within the session, 0 never valid"), and what each open fork keeps.

use std::collections::HashMap;
use std::io;

use afp_proto::ResultCode;
use afp_proto::command::AccessMode;
use afp_proto::date::AfpDate;

use super::io::ForkIo;
use super::locks::{FileId, ForkKind, OpenLease};
use crate::cmd::AfpResult;
use crate::vfs::{self, DirRef, OpenVolume, Resolved};

/// Forks one session may have open at once (beyond: kFPTooManyFilesOpen).
pub const MAX_FORKS_PER_SESSION: usize = 1024;

/// The session already has [`MAX_FORKS_PER_SESSION`] forks open (kFPTooManyFilesOpen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many open forks")]
pub struct TooManyForks;

impl From<TooManyForks> for ResultCode {
    fn from(_: TooManyForks) -> ResultCode {
        ResultCode::TOO_MANY_FILES_OPEN
    }
}

/// The one clock read of the fork code: the modification date a flush or close records.
#[allow(clippy::disallowed_methods)]
fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// One open fork of a session.
///
/// Dropping it does what FPCloseFork does (see [`OpenFork::flush`]) and releases its modes
/// and locks, so every way a fork goes away (FPCloseFork, FPCloseVol, FPLogout, the end of
/// the session) leaves the file consistent.
#[derive(Debug)]
pub struct OpenFork {
    /// The volume it was opened on (keeps the shared volume open while the fork is).
    pub vol: OpenVolume,
    /// The directory that held the file at open time (used when the CNID store does not
    /// know the file).
    pub dir: DirRef,
    /// The file's disk name at open time.
    pub name: Vec<u8>,
    /// The open path in the lock manager (mode, byte-range locks). Dropping it releases
    /// them.
    pub lease: OpenLease,
    /// The file handle.
    pub io: ForkIo,
    /// Written since the last flush: the modification date is set on flush or close.
    pub dirty: bool,
}

impl OpenFork {
    /// The volume ID it was opened through (FPCloseVol closes it).
    pub fn vid(&self) -> u16 {
        self.vol.vid
    }

    /// Data or resource fork.
    pub fn kind(&self) -> ForkKind {
        self.lease.fork()
    }

    /// The access and deny mode it was opened with.
    pub fn mode(&self) -> AccessMode {
        self.lease.mode()
    }

    /// Open for reading.
    pub fn can_read(&self) -> bool {
        self.mode().contains(AccessMode::READ)
    }

    /// Open for writing.
    pub fn can_write(&self) -> bool {
        self.mode().contains(AccessMode::WRITE)
    }

    /// The file's identity (see [`super::LockManager`]); `None` once the lock manager
    /// released it from another thread.
    pub fn file(&self) -> Option<FileId> {
        self.lease.file()
    }

    /// Where the file is now: found through the CNID store by its device and inode (so a
    /// rename, a move or an exchange by another session is followed), else where it was
    /// opened. kFPObjectNotFound when neither place holds the open file any more.
    pub fn locate(&self) -> AfpResult<Resolved> {
        let file = self.file().ok_or(ResultCode::PARAM_ERR)?;
        let v = &self.vol.vol;
        let here = |dir: DirRef, name: Vec<u8>| -> Option<Resolved> {
            let st = rustix::fs::statat(
                dir.fd(),
                name.as_slice(),
                rustix::fs::AtFlags::SYMLINK_NOFOLLOW,
            )
            .ok()?;
            if FileId::of(&st) != file {
                return None;
            }
            let mac_name = vfs::names::disk_to_mac(&name)?;
            Some(Resolved {
                dir,
                name,
                mac_name,
                stat: Ok(st),
                target: None,
            })
        };
        if let Ok(Some(e)) = v.db.get_by_devino(v.cnid_dev(file.dev), file.ino)
            && let Ok(dir) = v.dir_by_id(e.did)
            && let Some(r) = here(dir, e.name)
        {
            return Ok(r);
        }
        here(self.dir.clone(), self.name.clone()).ok_or(ResultCode::OBJECT_NOT_FOUND)
    }

    /// What netatalk does on flush and close: brings the sidecar header up to date and, for
    /// a resource fork written since the last flush, sets the file's modification date in
    /// its metadata (a data fork's `st_mtime` is the kernel's). No `fsync` (see
    /// [`ForkIo::sync`]).
    pub fn flush(&mut self) -> io::Result<()> {
        self.io.update_header()?;
        if self.dirty {
            self.dirty = false;
            if self.kind() == ForkKind::Resource {
                self.touch_meta();
            }
        }
        Ok(())
    }

    /// Records "modified now" in the file's metadata (best effort: the user may not be
    /// allowed to write it, and the date is advisory).
    fn touch_meta(&self) {
        let Ok(r) = self.locate() else { return };
        let Ok(st) = r.st() else { return };
        let meta = r.meta();
        let mut md = meta
            .md
            .unwrap_or_else(|| vfs::meta::fresh(st, self.vol.vol.invisible_dot(&r.name)));
        md.dates.modify = AfpDate::from_unix(now_unix()).0;
        if let Err(e) = vfs::meta::write(r.dir.fd(), &r.name, &md) {
            tracing::debug!(
                name = %String::from_utf8_lossy(&r.name),
                "cannot record the resource fork's modification date: {e}"
            );
        }
    }
}

impl Drop for OpenFork {
    fn drop(&mut self) {
        if let Err(e) = self.flush() {
            tracing::debug!(
                name = %String::from_utf8_lossy(&self.name),
                "closing a fork: {e}"
            );
        }
    }
}

/// The open forks of one session. Dropping it closes every fork (see [`OpenFork`]);
/// nothing a session opened outlives it.
#[derive(Debug, Default)]
pub struct ForkTable {
    forks: HashMap<u16, OpenFork>,
    /// The last reference number handed out: allocation continues after it, so a number
    /// just freed is not handed out again at once (netatalk's test630 expects that).
    last: u16,
}

impl ForkTable {
    /// An empty table.
    pub fn new() -> ForkTable {
        ForkTable::default()
    }

    /// True when another fork can be opened (kFPTooManyFilesOpen otherwise).
    pub fn has_room(&self) -> bool {
        self.forks.len() < MAX_FORKS_PER_SESSION
    }

    /// Adds `fork` and returns its reference number (never 0, unique in the session).
    pub fn insert(&mut self, fork: OpenFork) -> Result<u16, TooManyForks> {
        if !self.has_room() {
            return Err(TooManyForks);
        }
        // At most MAX_FORKS_PER_SESSION (< 65535) numbers are taken, so this finds one.
        let mut r = self.last;
        loop {
            r = r.wrapping_add(1);
            if r != 0 && !self.forks.contains_key(&r) {
                break;
            }
        }
        self.last = r;
        self.forks.insert(r, fork);
        Ok(r)
    }

    /// The fork `refnum`.
    pub fn get(&self, refnum: u16) -> Option<&OpenFork> {
        self.forks.get(&refnum)
    }

    /// The fork `refnum`, mutable.
    pub fn get_mut(&mut self, refnum: u16) -> Option<&mut OpenFork> {
        self.forks.get_mut(&refnum)
    }

    /// Removes the fork `refnum`; dropping the result closes it.
    pub fn remove(&mut self, refnum: u16) -> Option<OpenFork> {
        self.forks.remove(&refnum)
    }

    /// Removes every fork opened through volume `vid` (FPCloseVol), in reference number
    /// order; dropping them closes them.
    pub fn take_volume(&mut self, vid: u16) -> Vec<OpenFork> {
        let mut refs: Vec<u16> = self
            .forks
            .iter()
            .filter(|(_, f)| f.vid() == vid)
            .map(|(&r, _)| r)
            .collect();
        refs.sort_unstable();
        refs.into_iter()
            .filter_map(|r| self.forks.remove(&r))
            .collect()
    }

    /// Removes every fork (FPLogout, session end), in reference number order.
    pub fn take_all(&mut self) -> Vec<OpenFork> {
        let mut all: Vec<(u16, OpenFork)> = self.forks.drain().collect();
        all.sort_unstable_by_key(|(r, _)| *r);
        all.into_iter().map(|(_, f)| f).collect()
    }

    /// Reference numbers of the open forks, sorted.
    pub fn refnums(&self) -> Vec<u16> {
        let mut v: Vec<u16> = self.forks.keys().copied().collect();
        v.sort_unstable();
        v
    }

    /// Number of open forks.
    pub fn len(&self) -> usize {
        self.forks.len()
    }

    /// True when no fork is open.
    pub fn is_empty(&self) -> bool {
        self.forks.is_empty()
    }

    /// Iterates over the open forks (any order).
    pub fn iter(&self) -> impl Iterator<Item = (u16, &OpenFork)> {
        self.forks.iter().map(|(&r, f)| (r, f))
    }

    /// Iterates mutably over the open forks (any order).
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (u16, &mut OpenFork)> {
        self.forks.iter_mut().map(|(&r, f)| (r, f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forks::LockManager;
    use crate::session::SessionId;
    use crate::vfs::tests::{Fixture, fixture};
    use cnid::Cnid;

    fn fork(fx: &Fixture, m: &LockManager, vid: u16, ino: u64) -> OpenFork {
        let mut vol = fx.ov.clone();
        vol.vid = vid;
        OpenFork {
            dir: vol.vol.root_ref(),
            vol,
            name: b"x".to_vec(),
            lease: m
                .open(
                    SessionId(1),
                    FileId { dev: 1, ino },
                    ForkKind::Data,
                    AccessMode::READ,
                )
                .unwrap(),
            io: ForkIo::empty_resource(),
            dirty: false,
        }
    }

    #[test]
    fn refnums_are_nonzero_unique_and_not_reused_at_once() {
        let fx = fixture("");
        let m = LockManager::new();
        let mut t = ForkTable::new();
        let a = t.insert(fork(&fx, &m, 1, 1)).unwrap();
        assert_ne!(a, 0);
        t.remove(a);
        let b = t.insert(fork(&fx, &m, 1, 1)).unwrap();
        assert_ne!(a, b, "a freed number is not handed out again at once");
        // Wrap-around skips 0 and numbers in use.
        t.last = u16::MAX - 1;
        let c = t.insert(fork(&fx, &m, 1, 2)).unwrap();
        let d = t.insert(fork(&fx, &m, 1, 3)).unwrap();
        assert_eq!(c, u16::MAX);
        assert_eq!(d, 1);
        t.last = 0;
        let e = t.insert(fork(&fx, &m, 1, 4)).unwrap();
        assert!(e != 0 && e != b && e != c && e != d);
        assert_eq!(t.len(), 4);
        assert_eq!(m.open_count(), 4);
    }

    #[test]
    fn limit_and_release_on_drop() {
        let fx = fixture("");
        let m = LockManager::new();
        let mut t = ForkTable::new();
        for i in 0..MAX_FORKS_PER_SESSION {
            t.insert(fork(&fx, &m, 1 + (i % 2) as u16, i as u64))
                .unwrap();
        }
        assert!(!t.has_room());
        assert_eq!(t.insert(fork(&fx, &m, 1, 1)).unwrap_err(), TooManyForks);
        assert_eq!(
            ResultCode::from(TooManyForks),
            ResultCode::TOO_MANY_FILES_OPEN
        );
        assert_eq!(m.open_count(), MAX_FORKS_PER_SESSION);
        let v2 = t.take_volume(2);
        assert_eq!(v2.len(), MAX_FORKS_PER_SESSION / 2);
        assert!(t.iter().all(|(_, f)| f.vid() == 1));
        drop(v2);
        assert_eq!(m.open_count(), MAX_FORKS_PER_SESSION / 2);
        drop(t);
        assert_eq!(m.open_count(), 0, "dropping the table releases everything");
    }

    #[test]
    fn take_all_empties_the_table() {
        let fx = fixture("");
        let m = LockManager::new();
        let mut t = ForkTable::new();
        let a = t.insert(fork(&fx, &m, 1, 1)).unwrap();
        let b = t.insert(fork(&fx, &m, 2, 2)).unwrap();
        assert_eq!(t.refnums(), vec![a, b]);
        assert!(t.get(a).unwrap().can_read());
        assert!(!t.get_mut(b).unwrap().can_write());
        assert_eq!(t.iter_mut().count(), 2);
        assert_eq!(t.take_all().len(), 2);
        assert!(t.is_empty());
        assert_eq!(m.open_count(), 0);
    }

    #[test]
    fn locate_follows_the_inode() {
        let fx = fixture("");
        let root = fx.root();
        std::fs::write(root.join("a"), b"1").unwrap();
        let st = rustix::fs::stat(root.join("a")).unwrap();
        let m = LockManager::new();
        let mut f = fork(&fx, &m, 1, 0);
        f.name = b"a".to_vec();
        f.lease = m
            .open(
                SessionId(1),
                FileId::of(&st),
                ForkKind::Data,
                AccessMode::READ,
            )
            .unwrap();
        assert_eq!(f.locate().unwrap().name, b"a");
        // Renamed behind our back (not through AFP: the CNID store does not know it).
        std::fs::rename(root.join("a"), root.join("b")).unwrap();
        assert_eq!(f.locate().unwrap_err(), ResultCode::OBJECT_NOT_FOUND);
        // Known to the store: found under its new name.
        let v = &fx.ov.vol;
        let st = rustix::fs::stat(root.join("b")).unwrap();
        v.db.add(
            v.cnid_dev(st.st_dev),
            st.st_ino,
            Cnid::ROOT,
            b"b",
            cnid::Kind::File,
            None,
        )
        .unwrap();
        let r = f.locate().unwrap();
        assert_eq!(r.name, b"b");
        assert_eq!(r.mac_name, "b");
    }
}
