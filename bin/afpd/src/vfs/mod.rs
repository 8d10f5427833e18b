//! The volume file system: AFP volumes on a local POSIX file system, netatalk-compatible
//! (`appledouble = ea`, `ea = sys`; spec `afp-dsi.md` §2.4 paths, §4.3–§4.6 parameters, §9
//! names, IDs and metadata, §10.4 `vol size limit`).
//!
//! Every call here runs on a session thread, as the session's user: the kernel checks each
//! file access. Only opening a volume (its root handle and CNID store) goes through the
//! root service.
//!
//! # What the other parts of afpd call
//!
//! * [`VolumeRegistry`] (in `ServerCtx::volumes`): [`VolumeRegistry::open`] gives the shared
//!   [`Volume`] of a resolved volume, opening it once for all sessions.
//! * [`SessionVolumes`] (in `Session::volumes`): [`SessionVolumes::get`]`(vid)` →
//!   [`OpenVolume`] (kFPParamErr for a volume the session has not open).
//! * Resolution: [`OpenVolume::resolve`]`(did, &path, version)` → [`Resolved`] (the
//!   directory handle holding the object, its disk name, client name, `lstat`, and for a
//!   directory its own [`DirRef`]). [`Resolved::st`] maps "missing" to kFPObjectNotFound;
//!   [`Resolved::open`] opens the data fork as the user (`O_NOFOLLOW`). A path that ends
//!   at DID 1 fails with [`DID1`]: map it with [`or_did1`] to the command's default code.
//! * IDs: [`Volume::object_id`] (netatalk `get_id`: the file's CNID, allocated on first
//!   sight), [`Volume::dir_by_id`].
//! * Metadata: [`Resolved::meta`] → [`Meta`] (FinderInfo, attributes incl. WriteInhibit via
//!   [`Meta::attributes`], dates, comment); [`meta::write`].
//! * Resource forks: [`rsrc::open_rsrc`]`(dir, name, RsrcOpen { write, create, mode,
//!   finder_info })` → [`ResourceFork`] (`read_at`, `write_all_at`, `set_len`, `len`,
//!   `sync_header`), [`rsrc::rsrc_len`].
//! * Parameters: [`Volume::file_params`] / [`Volume::dir_params`] for an [`Obj`] and a
//!   bitmap; [`OpenVolume::file_params_of`] does it for a [`Resolved`] file in one call.
//! * Space: [`Volume::check_room`]`(extra)` before a write extends a file (kFPDiskFull past
//!   `vol size limit`), [`Volume::note_growth`]`(bytes)` after; [`Volume::space`].
//! * Lock manager key: [`Volume::key`] ([`VolumeKey`]), stable for the process.

pub mod extmap;
pub mod meta;
pub mod names;
pub mod params;
pub mod resolve;
pub mod rsrc;
pub mod session;
pub mod space;
pub(crate) mod sys;
pub mod volume;

pub use meta::Meta;
pub use params::{Asker, Obj};
pub use resolve::{DID1, DirRef, Resolved, lookup_errno, or_did1};
pub use rsrc::{ResourceFork, RsrcOpen};
pub use session::{CatSearchCursor, EnumSnapshot, OpenVolume, SessionVolumes};
pub use volume::{CnidDb, Volume, VolumeKey, VolumeRegistry};

use afp_proto::params::{FileBitmap, FileParams};
use afp_proto::{AfpVersion, ResultCode};

use crate::accounts::UserInfo;
use crate::cmd::AfpResult;
use crate::forks::LockManager;

/// Whether any session has the data / resource fork of the file `st` on volume `vol`
/// open: the DAlreadyOpen / RAlreadyOpen attribute bits (spec §4.4), from the lock
/// manager (keyed by the data file's dev/ino, so the volume is implied).
pub fn forks_open_state(
    locks: &LockManager,
    _vol: VolumeKey,
    st: &rustix::fs::Stat,
) -> (bool, bool) {
    let u = locks.usage(crate::forks::FileId::of(st));
    (u.data.is_open(), u.resource.is_open())
}

impl OpenVolume {
    /// The file parameters of the resolved file `r` for `bitmap`, as FPOpenFork,
    /// FPGetForkParms and FPGetFileDirParms answer them. kFPObjectTypeErr for a directory,
    /// kFPObjectNotFound for a missing object.
    pub fn file_params_of(
        &self,
        r: &Resolved,
        bitmap: FileBitmap,
        user: Option<&UserInfo>,
        version: AfpVersion,
        forks_open: (bool, bool),
    ) -> AfpResult<FileParams> {
        let st = r.st()?;
        if r.is_dir() {
            return Err(ResultCode::OBJECT_TYPE_ERR);
        }
        let meta = r.meta();
        let id = self
            .vol
            .object_id(r.dir.fd(), r.dir.did, &r.name, st, Some(&meta))?;
        let obj = Obj {
            dir: r.dir.fd(),
            name: &r.name,
            mac_name: &r.mac_name,
            parent_id: r.parent_id(),
            id,
            st,
            meta: &meta,
            self_fd: None,
            forks_open,
        };
        self.vol.file_params(&obj, bitmap, Asker { user, version })
    }
}

#[cfg(test)]
pub(crate) mod tests;
