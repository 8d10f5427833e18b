//! The server replay cache (spec `afp-dsi.md` §1.5, §1.7; Apple's "AFP
//! Replay Cache", AFP 3.3, required for Time Machine).
//!
//! After a reconnect a client resends the requests it got no reply to, with
//! their original request IDs. A non-idempotent request (create, delete,
//! rename, open, lock, ...) must not run twice, so the server keeps the full
//! reply of each such request, keyed by request ID and AFP command byte, and
//! answers a replayed request from the cache.
//!
//! The cache has `size` slots indexed by `request_id % size` (netatalk's
//! layout). Apple: "when request N+size arrives the reply to request N can be
//! discarded", so each new request clears its slot. Unlike netatalk, which
//! keeps only the result code, the whole reply (result and payload `Bytes`)
//! is kept. Only the commands Apple lists as non-idempotent are stored
//! ([`is_replay_cached`]); DSIWrite requests are neither stored nor looked up,
//! as in netatalk.
//!
//! The cache belongs to the AFP session, which outlives a TCP connection when
//! the client reconnects: take it out of the old [`ServerSession`] with
//! [`ServerSession::take_replay_cache`] and move it into the new one with
//! [`ServerSession::set_replay_cache`].
//!
//! [`ServerSession`]: crate::ServerSession
//! [`ServerSession::take_replay_cache`]: crate::ServerSession::take_replay_cache
//! [`ServerSession::set_replay_cache`]: crate::ServerSession::set_replay_cache

use bytes::Bytes;

/// netatalk's replay cache size (`REPLAYCACHE_SIZE`), advertised as 128.
pub const DEFAULT_REPLAY_CACHE_SIZE: u16 = 128;

/// Whether replies to this AFP command are kept in the replay cache: the
/// non-idempotent commands listed in Apple's "AFP Replay Cache" chapter.
///
/// FPByteRangeLock(Ext), FPChangePassword, FPCloseFork, FPCloseVol,
/// FPCopyFile, FPCreateDir, FPCreateFile, FPDelete, FPExchangeFiles, FPFlush,
/// FPFlushFork, FPRemoveExtAttr, FPMoveAndRename, FPOpenFork, FPOpenVol,
/// FPRename, FPSetDirParms, FPSetFileDirParms, FPSetFileParms,
/// FPSetForkParms, FPSetVolParms, FPSetExtAttr, FPSetACL, FPSyncDir,
/// FPSyncFork. (Apple's list also names "FPLink", which has no command code.)
pub const fn is_replay_cached(afp_command: u8) -> bool {
    matches!(
        afp_command,
        1 // FPByteRangeLock
        | 2 // FPCloseVol
        | 4 // FPCloseFork
        | 5 // FPCopyFile
        | 6 // FPCreateDir
        | 7 // FPCreateFile
        | 8 // FPDelete
        | 10 // FPFlush
        | 11 // FPFlushFork
        | 23 // FPMoveAndRename
        | 24 // FPOpenVol
        | 26 // FPOpenFork
        | 28 // FPRename
        | 29 // FPSetDirParms
        | 30 // FPSetFileParms
        | 31 // FPSetForkParms
        | 32 // FPSetVolParms
        | 35 // FPSetFileDirParms
        | 36 // FPChangePassword
        | 42 // FPExchangeFiles
        | 59 // FPByteRangeLockExt
        | 70 // FPSetExtAttr
        | 71 // FPRemoveExtAttr
        | 74 // FPSetACL
        | 78 // FPSyncDir
        | 79 // FPSyncFork
    )
}

/// One cached reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CachedReply {
    /// Request ID of the original request.
    pub request_id: u16,
    /// AFP command byte of the original request.
    pub afp_command: u8,
    /// AFP result code of the reply.
    pub result: i32,
    /// Reply payload.
    pub payload: Bytes,
}

/// The replay cache: `size` slots, each holding the reply to the latest
/// cacheable request whose ID maps to it.
#[derive(Clone, Debug, Default)]
pub struct ReplayCache {
    slots: Vec<Option<CachedReply>>,
    hits: u64,
}

impl ReplayCache {
    /// A cache of `size` entries (0 disables it).
    pub fn new(size: u16) -> Self {
        Self {
            slots: vec![None; usize::from(size)],
            hits: 0,
        }
    }

    /// Number of slots (the size advertised in the OpenSession reply).
    pub fn size(&self) -> u16 {
        // Built from a u16, so this cannot truncate.
        u16::try_from(self.slots.len()).unwrap_or(u16::MAX)
    }

    /// Replies answered from the cache so far.
    pub fn hits(&self) -> u64 {
        self.hits
    }

    /// Entries currently held.
    pub fn len(&self) -> usize {
        self.slots.iter().flatten().count()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn slot(&self, request_id: u16) -> Option<usize> {
        let n = self.slots.len();
        (n != 0).then(|| usize::from(request_id) % n)
    }

    /// Called when a request arrives: returns the cached reply if this is a
    /// replay (same request ID and AFP command byte). Otherwise the slot is
    /// cleared, since its entry is now at least `size` requests old, and
    /// `None` is returned.
    pub fn on_request(&mut self, request_id: u16, afp_command: Option<u8>) -> Option<CachedReply> {
        let i = self.slot(request_id)?;
        let slot = self.slots.get_mut(i)?;
        match slot {
            Some(e) if e.request_id == request_id && Some(e.afp_command) == afp_command => {
                self.hits += 1;
                Some(e.clone())
            }
            _ => {
                *slot = None;
                None
            }
        }
    }

    /// Looks up an entry without touching the cache.
    pub fn get(&self, request_id: u16, afp_command: u8) -> Option<&CachedReply> {
        let e = self.slots.get(self.slot(request_id)?)?.as_ref()?;
        (e.request_id == request_id && e.afp_command == afp_command).then_some(e)
    }

    /// Stores a reply if its command is one that must be cached
    /// ([`is_replay_cached`]). Returns whether it was stored.
    pub fn insert(&mut self, reply: CachedReply) -> bool {
        if !is_replay_cached(reply.afp_command) {
            return false;
        }
        let Some(i) = self.slot(reply.request_id) else {
            return false;
        };
        match self.slots.get_mut(i) {
            Some(slot) => {
                *slot = Some(reply);
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(id: u16, cmd: u8) -> CachedReply {
        CachedReply {
            request_id: id,
            afp_command: cmd,
            result: 0,
            payload: Bytes::from_static(b"r"),
        }
    }

    #[test]
    fn hit_needs_same_id_and_command() {
        let mut c = ReplayCache::new(4);
        assert!(c.insert(reply(5, 8)));
        assert!(!c.insert(reply(6, 60)), "FPReadExt is not cached");
        assert_eq!(c.get(5, 8), Some(&reply(5, 8)));
        assert_eq!(c.on_request(5, Some(8)), Some(reply(5, 8)));
        assert_eq!(c.hits(), 1);
        // Same ID, other command: a new request, the slot is cleared.
        assert_eq!(c.on_request(5, Some(7)), None);
        assert!(c.is_empty());
    }

    #[test]
    fn newer_request_in_slot_evicts() {
        let mut c = ReplayCache::new(4);
        c.insert(reply(1, 8));
        // Request 5 maps to the same slot: request 1 is now 4 requests old.
        assert_eq!(c.on_request(5, Some(60)), None);
        assert_eq!(c.on_request(1, Some(8)), None);
    }

    #[test]
    fn disabled_cache() {
        let mut c = ReplayCache::new(0);
        assert!(!c.insert(reply(1, 8)));
        assert_eq!(c.on_request(1, Some(8)), None);
        assert_eq!(c.size(), 0);
    }
}
