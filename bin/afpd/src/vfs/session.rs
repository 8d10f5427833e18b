//! The volumes one session has open (FPOpenVol … FPCloseVol), by volume ID.
//!
//! Volume IDs are the position of the volume in the session's list (configuration order,
//! from `Config::volumes_for`, computed once per session), starting at 1: stable for the
//! life of the session, as netatalk's.

use std::collections::HashMap;
use std::sync::Arc;

use afp_proto::path::Path;
use afp_proto::{AfpVersion, ResultCode};
use cnid::Cnid;

use super::resolve::{DirRef, Resolved};
use super::volume::Volume;
use crate::cmd::AfpResult;
use crate::config::ResolvedVolume;

/// One volume as a session has it open.
#[derive(Debug, Clone)]
pub struct OpenVolume {
    /// The volume ID this session uses for it.
    pub vid: u16,
    /// The shared volume (root handle, CNID store, caches).
    pub vol: Arc<Volume>,
    /// The volume's options as resolved for this session's user.
    pub cfg: Arc<ResolvedVolume>,
}

impl OpenVolume {
    /// Resolves (`did`, `path`) on this volume (see [`Volume::resolve`]).
    pub fn resolve(&self, did: u32, path: &Path, version: AfpVersion) -> AfpResult<Resolved> {
        self.vol.resolve(did, path, version, &self.cfg.name)
    }

    /// Resolves a directory ID (see [`Volume::dir_by_id`]).
    pub fn dir(&self, did: u32) -> AfpResult<DirRef> {
        self.vol.dir_by_id(Cnid(did))
    }

    /// True when the volume is read-only for this session (kFPVolLocked for changes).
    pub fn read_only(&self) -> bool {
        self.cfg.read_only
    }

    /// kFPVolLocked on a read-only volume.
    pub fn check_writable(&self) -> AfpResult<()> {
        if self.read_only() {
            Err(ResultCode::VOL_LOCKED)
        } else {
            Ok(())
        }
    }
}

/// A directory listing kept between FPEnumerate calls of one session (spec §5.4; netatalk
/// takes it when StartIndex is 1 or another directory is asked for, and pages through it:
/// a call that continues where the last one stopped resumes at the saved position, any
/// other StartIndex counts entries of both kinds from the start).
#[derive(Debug, Clone)]
pub struct EnumSnapshot {
    /// Volume ID.
    pub vid: u16,
    /// Directory ID.
    pub did: Cnid,
    /// The visible entries' disk names, in listing order.
    pub names: Vec<Vec<u8>>,
    /// The StartIndex that continues where the last call stopped.
    pub next_index: u32,
    /// The position in `names` that index stands for.
    pub pos: usize,
}

/// Where a catalog search stopped (FPCatSearch hands the client a position to continue
/// from; netatalk keeps one search per session the same way).
#[derive(Debug, Clone)]
pub struct CatSearchCursor {
    /// Volume ID.
    pub vid: u16,
    /// The value the client must send back in the first 4 bytes of its position.
    pub token: u32,
    /// Directories still to search.
    pub pending: Vec<Cnid>,
    /// The directory being searched: its ID, its names and the next one to look at.
    pub current: Option<(Cnid, Vec<Vec<u8>>, usize)>,
}

/// The volumes one session has open, by volume ID, and its per-session volume state.
#[derive(Debug, Default)]
pub struct SessionVolumes {
    list: Option<Vec<Arc<ResolvedVolume>>>,
    open: HashMap<u16, OpenVolume>,
    /// The last enumerate snapshot.
    pub enum_snapshot: Option<EnumSnapshot>,
    /// The catalog search in progress.
    pub catsearch: Option<CatSearchCursor>,
}

impl SessionVolumes {
    /// The session's volume list, if it was computed.
    pub fn list(&self) -> Option<&[Arc<ResolvedVolume>]> {
        self.list.as_deref()
    }

    /// Sets the session's volume list (once per session; later calls keep the first so
    /// volume IDs stay stable).
    pub fn set_list(&mut self, vols: Vec<ResolvedVolume>) -> &[Arc<ResolvedVolume>] {
        self.list
            .get_or_insert_with(|| vols.into_iter().map(Arc::new).collect())
    }

    /// The open volume `vid`; kFPParamErr if the session does not have it open.
    pub fn get(&self, vid: u16) -> AfpResult<&OpenVolume> {
        self.open.get(&vid).ok_or(ResultCode::PARAM_ERR)
    }

    /// The open volume `vid`, if open.
    pub fn try_get(&self, vid: u16) -> Option<&OpenVolume> {
        self.open.get(&vid)
    }

    /// Records an opened volume.
    pub fn insert(&mut self, ov: OpenVolume) {
        self.open.insert(ov.vid, ov);
    }

    /// Forgets volume `vid` (FPCloseVol); returns it if it was open.
    pub fn remove(&mut self, vid: u16) -> Option<OpenVolume> {
        if self.enum_snapshot.as_ref().is_some_and(|s| s.vid == vid) {
            self.enum_snapshot = None;
        }
        if self.catsearch.as_ref().is_some_and(|c| c.vid == vid) {
            self.catsearch = None;
        }
        self.open.remove(&vid)
    }

    /// Closes every volume (FPLogout, session end); returns them.
    pub fn close_all(&mut self) -> Vec<OpenVolume> {
        self.enum_snapshot = None;
        self.catsearch = None;
        self.open.drain().map(|(_, v)| v).collect()
    }

    /// Every open volume.
    pub fn iter(&self) -> impl Iterator<Item = &OpenVolume> {
        self.open.values()
    }
}
