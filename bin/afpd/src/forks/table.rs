//! The forks one session has open, by OForkRefNum (spec `afp-dsi.md` §8.1: "u16, unique
//! within the session, 0 never valid").

use std::collections::HashMap;

use afp_proto::command::AccessMode;

use super::io::ForkIo;
use super::locks::{FileId, ForkKind, OpenLease};

/// Forks one session may have open at once (beyond: kFPTooManyFilesOpen).
pub const MAX_FORKS_PER_SESSION: usize = 1024;

/// The session already has [`MAX_FORKS_PER_SESSION`] forks open (kFPTooManyFilesOpen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many open forks")]
pub struct TooManyForks;

/// One open fork of a session.
#[derive(Debug)]
pub struct OpenFork {
    /// The volume ID it was opened through (FPCloseVol closes it).
    pub volume: u16,
    /// The file's node ID (CNID) when it was opened; follows renames (the CNID does).
    pub node: u32,
    /// The open path in the lock manager (mode, byte-range locks). Dropping it releases
    /// them.
    pub lease: OpenLease,
    /// The file handle.
    pub io: ForkIo,
    /// Written since the last flush: the modification date is updated on flush or close.
    pub dirty: bool,
}

impl OpenFork {
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
}

/// The open forks of one session. Dropping it releases every fork (modes, locks, file
/// handles); nothing a session opened outlives it.
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

    /// Adds `fork` and returns its reference number (never 0, unique in the session).
    pub fn insert(&mut self, fork: OpenFork) -> Result<u16, TooManyForks> {
        if self.forks.len() >= MAX_FORKS_PER_SESSION {
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

    /// Removes the fork `refnum`; dropping the result releases it (see
    /// [`crate::cmd::fork::close_fork`] for the close-time work).
    pub fn remove(&mut self, refnum: u16) -> Option<OpenFork> {
        self.forks.remove(&refnum)
    }

    /// Removes every fork opened through volume `volume` (FPCloseVol), in reference number
    /// order.
    pub fn take_volume(&mut self, volume: u16) -> Vec<OpenFork> {
        let mut refs: Vec<u16> = self
            .forks
            .iter()
            .filter(|(_, f)| f.volume == volume)
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forks::LockManager;
    use crate::session::SessionId;

    fn fork(m: &LockManager, volume: u16, ino: u64) -> OpenFork {
        OpenFork {
            volume,
            node: 17,
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
        let m = LockManager::new();
        let mut t = ForkTable::new();
        let a = t.insert(fork(&m, 1, 1)).unwrap();
        assert_ne!(a, 0);
        t.remove(a);
        let b = t.insert(fork(&m, 1, 1)).unwrap();
        assert_ne!(a, b, "a freed number is not handed out again at once");
        // Wrap-around skips 0 and numbers in use.
        t.last = u16::MAX - 1;
        let c = t.insert(fork(&m, 1, 2)).unwrap();
        let d = t.insert(fork(&m, 1, 3)).unwrap();
        assert_eq!(c, u16::MAX);
        assert_eq!(d, 1);
        t.last = 0;
        let e = t.insert(fork(&m, 1, 4)).unwrap();
        assert!(e != 0 && e != b && e != c && e != d);
        assert_eq!(t.len(), 4);
        assert_eq!(m.open_count(), 4);
    }

    #[test]
    fn limit_and_release_on_drop() {
        let m = LockManager::new();
        let mut t = ForkTable::new();
        for i in 0..MAX_FORKS_PER_SESSION {
            t.insert(fork(&m, (i % 2) as u16, i as u64)).unwrap();
        }
        assert_eq!(t.insert(fork(&m, 0, 1)), Err(TooManyForks));
        assert_eq!(m.open_count(), MAX_FORKS_PER_SESSION);
        let v1 = t.take_volume(1);
        assert_eq!(v1.len(), MAX_FORKS_PER_SESSION / 2);
        assert!(t.iter().all(|(_, f)| f.volume == 0));
        drop(v1);
        assert_eq!(m.open_count(), MAX_FORKS_PER_SESSION / 2);
        drop(t);
        assert_eq!(m.open_count(), 0, "dropping the table releases everything");
    }

    #[test]
    fn take_all_empties_the_table() {
        let m = LockManager::new();
        let mut t = ForkTable::new();
        let a = t.insert(fork(&m, 1, 1)).unwrap();
        let b = t.insert(fork(&m, 2, 2)).unwrap();
        assert_eq!(t.refnums(), vec![a, b]);
        assert!(t.get(a).unwrap().can_read());
        assert!(!t.get_mut(b).unwrap().can_write());
        assert_eq!(t.take_all().len(), 2);
        assert!(t.is_empty());
        assert_eq!(m.open_count(), 0);
    }
}
