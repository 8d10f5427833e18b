//! File and directory commands (see [`super`]; spec `afp-dsi.md` §5.3–§5.7, §5.9, §5.12,
//! §5.13; netatalk `etc/afpd/{filedir,file,directory,enumerate,extattrs,desktop,catsearch}.c`).
//!
//! | module | commands |
//! |---|---|
//! | [`params`] | FPGetFileDirParms, FPSetFileParms, FPSetDirParms, FPSetFileDirParms |
//! | [`create`] | FPCreateFile, FPCreateDir, FPDelete, FPOpenDir, FPCloseDir, FPSyncDir |
//! | [`rename`] | FPRename, FPMoveAndRename, FPCopyFile, FPExchangeFiles |
//! | [`enumerate`] | FPEnumerate, FPEnumerateExt, FPEnumerateExt2 |
//! | [`id`] | FPCreateID, FPDeleteID, FPResolveID |
//! | [`ext_attr`] | FPGetExtAttr, FPSetExtAttr, FPRemoveExtAttr, FPListExtAttrs |
//! | [`desktop`] | FPOpenDT, FPCloseDT, comments, icons, APPL mappings |
//! | [`catsearch`] | FPCatSearch, FPCatSearchExt |
//!
//! The ACL calls (FPGetACL, FPSetACL, FPAccess) are not taken: without ACL support netatalk
//! does not enable them, so they answer kFPCallNotSupported, and volumes do not advertise
//! kSupportsACLs.

use afp_proto::ResultCode;
use afp_proto::command::Request;
use afp_proto::params::{DirBitmap, FileBitmap, FileDirParams};
use cnid::Cnid;

use super::{AfpResult, Outcome, WriteSource, finish};
use crate::session::Session;
use crate::vfs::{Asker, Obj, OpenVolume, Resolved, forks_open_state};

pub mod catsearch;
pub mod create;
pub mod desktop;
pub mod enumerate;
pub mod ext_attr;
pub mod id;
pub mod params;
pub mod rename;

/// Whether FPCatSearch / FPCatSearchExt are implemented (the volume attribute
/// kSupportsCatSearch follows this).
pub const CATSEARCH_SUPPORTED: bool = true;

/// Answers the catalog calls; `None` for everything else.
pub fn dispatch(
    s: &mut Session,
    req: &Request,
    data: &mut Option<&mut dyn WriteSource>,
) -> Option<Outcome> {
    Some(match req {
        Request::GetFileDirParms(c) => finish(params::get_file_dir_parms(s, c)),
        Request::SetFileParms(c) => finish(params::set_file_parms(s, c)),
        Request::SetDirParms(c) => finish(params::set_dir_parms(s, c)),
        Request::SetFileDirParms(c) => finish(params::set_file_dir_parms(s, c)),
        Request::CreateFile(c) => finish(create::create_file(s, c)),
        Request::CreateDir(c) => finish(create::create_dir(s, c)),
        Request::Delete(c) => finish(create::delete(s, c)),
        Request::OpenDir(c) => finish(create::open_dir(s, c)),
        Request::CloseDir(c) => finish(create::close_dir(s, c)),
        Request::SyncDir(c) => finish(create::sync_dir(s, c)),
        Request::Rename(c) => finish(rename::rename(s, c)),
        Request::MoveAndRename(c) => finish(rename::move_and_rename(s, c)),
        Request::CopyFile(c) => finish(rename::copy_file(s, c)),
        Request::ExchangeFiles(c) => finish(rename::exchange_files(s, c)),
        Request::Enumerate(c) => enumerate::enumerate(s, c),
        Request::EnumerateExt(c) => enumerate::enumerate_ext(s, c),
        Request::EnumerateExt2(c) => enumerate::enumerate_ext2(s, c),
        Request::CreateId(c) => id::create_id(s, c),
        Request::DeleteId(c) => finish(id::delete_id(s, c)),
        Request::ResolveId(c) => finish(id::resolve_id(s, c)),
        Request::GetExtAttr(c) => finish(ext_attr::get_ext_attr(s, c)),
        Request::SetExtAttr(c) => finish(ext_attr::set_ext_attr(s, c)),
        Request::RemoveExtAttr(c) => finish(ext_attr::remove_ext_attr(s, c)),
        Request::ListExtAttrs(c) => finish(ext_attr::list_ext_attrs(s, c)),
        Request::OpenDt(c) => finish(desktop::open_dt(s, c)),
        Request::CloseDt(c) => finish(desktop::close_dt(s, c)),
        Request::AddComment(c) => finish(desktop::add_comment(s, c)),
        Request::RemoveComment(c) => finish(desktop::remove_comment(s, c)),
        Request::GetComment(c) => finish(desktop::get_comment(s, c)),
        Request::AddAppl(c) => finish(desktop::add_appl(s, c)),
        Request::RemoveAppl(c) => finish(desktop::remove_appl(s, c)),
        Request::GetAppl(c) => finish(desktop::get_appl(s, c)),
        Request::AddIcon(c) => finish(desktop::add_icon(s, c, data)),
        Request::GetIcon(c) => finish(desktop::get_icon(s, c)),
        Request::GetIconInfo(c) => finish(desktop::get_icon_info(s, c)),
        Request::CatSearch(c) => finish(catsearch::cat_search(s, c)),
        Request::CatSearchExt(c) => finish(catsearch::cat_search_ext(s, c)),
        _ => return None,
    })
}

/// The open volume `vid` (a cheap clone), or kFPParamErr.
pub(crate) fn vol(s: &Session, vid: u16) -> AfpResult<OpenVolume> {
    s.volumes.get(vid).cloned()
}

/// The open volume `vid`, refusing changes on a read-only volume (kFPVolLocked).
pub(crate) fn vol_rw(s: &Session, vid: u16) -> AfpResult<OpenVolume> {
    let ov = vol(s, vid)?;
    ov.check_writable()?;
    Ok(ov)
}

/// Who asks (for access rights).
pub(crate) fn asker(s: &Session) -> Asker<'_> {
    Asker {
        user: s.user.as_ref(),
        version: s.version,
    }
}

/// The parameters of a resolved (existing) object: file parameters with `fb` for a file,
/// directory parameters with `db` for a directory. A zero bitmap for the object's kind
/// gives an empty record (netatalk checks only the bitmap it uses).
pub(crate) fn params_of(
    s: &Session,
    ov: &OpenVolume,
    r: &Resolved,
    fb: FileBitmap,
    db: DirBitmap,
) -> AfpResult<FileDirParams> {
    let st = r.st()?;
    if let Some(t) = &r.target {
        if db.is_empty() {
            return Ok(FileDirParams::Dir(Default::default()));
        }
        let meta = r.meta();
        let o = Obj {
            dir: r.dir.fd(),
            name: &r.name,
            mac_name: &r.mac_name,
            parent_id: r.parent_id(),
            id: t.did,
            st,
            meta: &meta,
            self_fd: Some(t.fd()),
            forks_open: (false, false),
        };
        return ov.vol.dir_params(&o, db, asker(s)).map(FileDirParams::Dir);
    }
    if fb.is_empty() {
        return Ok(FileDirParams::File(Default::default()));
    }
    let forks_open = forks_open_state(&s.ctx.locks, ov.vol.key(), st);
    ov.file_params_of(r, fb, s.user.as_ref(), s.version, forks_open)
        .map(FileDirParams::File)
}

/// The CNID of a resolved existing object (its DID for a directory).
pub(crate) fn id_of(ov: &OpenVolume, r: &Resolved) -> AfpResult<Cnid> {
    if let Some(t) = &r.target {
        return Ok(t.did);
    }
    let st = r.st()?;
    ov.vol.object_id(r.dir.fd(), r.dir.did, &r.name, st, None)
}

/// Maps an errno with netatalk's defaults (see [`super::errno_result`]).
pub(crate) fn errno_code(e: &std::io::Error) -> ResultCode {
    super::errno_result(e)
}
