//! The desktop database and comments (spec §5.12; netatalk `etc/afpd/desktop.c`,
//! `appl.c`): FPOpenDT, FPCloseDT, FPAddComment, FPRemoveComment, FPGetComment,
//! FPAddIcon, FPGetIcon, FPGetIconInfo, FPAddAPPL, FPRemoveAPPL, FPGetAPPL.
//!
//! As in netatalk the DTRefNum is the volume ID. Comments live in the object's metadata
//! (the comment entry of `org.netatalk.Metadata`, at most 199 bytes). Icons and APPL
//! mappings are kept per volume in memory (netatalk keeps them in `.AppleDesktop`; modern
//! clients no longer use them).

use afp_proto::ResultCode;
use afp_proto::command::{
    AddAppl, AddComment, AddIcon, ApplInfo, CloseDt, GetAppl, GetComment, GetIcon, GetIconInfo,
    IconInfo, OpenDt, RemoveAppl, RemoveComment, Reply,
};
use bytes::{Bytes, BytesMut};
use rustix::fs::{Access, AtFlags};

use super::{asker, vol};
use crate::cmd::{AfpResult, Outcome, WriteSource};
use crate::session::Session;
use crate::vfs::meta;
use crate::vfs::volume::{Appl, Icon};
use crate::vfs::{Obj, OpenVolume, Resolved, forks_open_state, names, or_did1, sys};

/// Longest comment netatalk stores.
const COMMENT_MAX: usize = 199;

/// Longest comment netatalk answers in FPGetComment (`ad_getcomment`: "OSX only use 128,
/// greater kill Adobe CS2"); a longer stored comment is cut.
const COMMENT_REPLY_MAX: usize = 128;

fn encode(reply: &Reply) -> Bytes {
    let mut b = BytesMut::new();
    reply.encode(&mut b);
    b.freeze()
}

/// FPOpenDT: the DTRefNum is the volume ID.
pub fn open_dt(s: &mut Session, c: &OpenDt) -> AfpResult {
    vol(s, c.volume_id)?;
    Ok(Outcome::ok(encode(&Reply::OpenDt {
        dt_ref: c.volume_id,
    })))
}

/// FPCloseDT: nothing to release; a DTRefNum that names no open volume is kFPParamErr
/// (netatalk looks the volume up; spectest FPCloseDT.c test201).
pub fn close_dt(s: &mut Session, c: &CloseDt) -> AfpResult {
    vol(s, c.dt_ref)?;
    Ok(Outcome::done())
}

/// netatalk `check_access(…, OPENACC_WR)` on its current directory: for a file the
/// directory holding it, for a directory the directory itself (netatalk's `cname` moves
/// into a directory it names). spectest FPRemoveComment.c test54: a read-only folder →
/// kFPAccessDenied.
fn check_write(r: &Resolved) -> AfpResult<()> {
    let is_dir = matches!(&r.stat, Ok(st) if sys::is_dir(st));
    let name: &[u8] = if is_dir { &r.name } else { b"." };
    rustix::fs::accessat(r.dir.fd(), name, Access::WRITE_OK, AtFlags::EACCESS)
        .map_err(|_| ResultCode::ACCESS_DENIED)
}

fn resolve(s: &Session, ov: &OpenVolume, did: u32, path: &afp_proto::Path) -> AfpResult<Resolved> {
    ov.resolve(did, path, s.version)
        .map_err(|e| or_did1(e, ResultCode::OBJECT_NOT_FOUND))
}

/// FPAddComment: stores up to 199 bytes in the object's metadata.
pub fn add_comment(s: &mut Session, c: &AddComment) -> AfpResult {
    let ov = vol(s, c.dt_ref)?;
    let r = resolve(s, &ov, c.dir_id, &c.path)?;
    check_write(&r)?;
    ov.check_writable()?;
    let st = *r.st().map_err(|_| ResultCode::ACCESS_DENIED)?;
    let mut md = r
        .meta()
        .md
        .unwrap_or_else(|| meta::fresh(&st, ov.vol.invisible_dot(&r.name)));
    let text = &c.comment[..c.comment.len().min(COMMENT_MAX)];
    md.set_comment(text).map_err(|_| ResultCode::PARAM_ERR)?;
    meta::write(r.dir.fd(), &r.name, &md).map_err(|_| ResultCode::ACCESS_DENIED)?;
    Ok(Outcome::done())
}

/// FPGetComment: the comment as a pstr (at most 128 bytes, as netatalk answers); none →
/// kFPItemNotFound.
pub fn get_comment(s: &mut Session, c: &GetComment) -> AfpResult {
    let ov = vol(s, c.dt_ref)?;
    let r = resolve(s, &ov, c.dir_id, &c.path)?;
    if r.stat.is_err() {
        return Err(ResultCode::ITEM_NOT_FOUND);
    }
    let m = r.meta();
    let text = m.comment();
    if text.is_empty() || text.len() > COMMENT_MAX {
        return Err(ResultCode::ITEM_NOT_FOUND);
    }
    let text = &text[..text.len().min(COMMENT_REPLY_MAX)];
    let mut pstr = Vec::with_capacity(text.len() + 1);
    pstr.push(text.len() as u8);
    pstr.extend_from_slice(text);
    Ok(Outcome::ok(Bytes::from(pstr)))
}

/// FPRemoveComment: an object without metadata → kFPItemNotFound.
pub fn remove_comment(s: &mut Session, c: &RemoveComment) -> AfpResult {
    let ov = vol(s, c.dt_ref)?;
    let r = resolve(s, &ov, c.dir_id, &c.path)?;
    check_write(&r)?;
    ov.check_writable()?;
    let Some(mut md) = r.meta().md else {
        return Err(ResultCode::ITEM_NOT_FOUND);
    };
    if md.comment().is_empty() {
        return Ok(Outcome::done());
    }
    md.set_comment(&[]).map_err(|_| ResultCode::MISC_ERR)?;
    meta::write(r.dir.fd(), &r.name, &md).map_err(|e| match sys::errno(&e) {
        libc::EACCES | libc::EPERM => ResultCode::ACCESS_DENIED,
        _ => ResultCode::MISC_ERR,
    })?;
    Ok(Outcome::done())
}

/// FPAddIcon: stores (replaces) the icon of (creator, type, icon type); a different size
/// for an existing icon is kFPIconTypeError.
pub fn add_icon(
    s: &mut Session,
    c: &AddIcon,
    data: &mut Option<&mut dyn WriteSource>,
) -> AfpResult {
    let ov = vol(s, c.dt_ref)?;
    let mut bitmap = Vec::with_capacity(usize::from(c.size));
    if let Some(src) = data.as_deref_mut() {
        while bitmap.len() < usize::from(c.size) {
            let Some(chunk) = src.next_chunk() else { break };
            bitmap.extend_from_slice(&chunk);
        }
    }
    if bitmap.len() < usize::from(c.size) {
        return Err(ResultCode::PARAM_ERR);
    }
    bitmap.truncate(usize::from(c.size));
    let mut dt = ov.vol.desktop.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(i) = dt.icons.iter_mut().find(|i| {
        i.creator == c.creator && i.file_type == c.file_type && i.icon_type == c.icon_type
    }) {
        if i.data.len() != bitmap.len() {
            return Err(ResultCode::ICON_TYPE_ERROR);
        }
        i.data = bitmap;
        i.tag = c.icon_tag;
        return Ok(Outcome::done());
    }
    dt.icons.push(Icon {
        creator: c.creator,
        file_type: c.file_type,
        icon_type: c.icon_type,
        tag: c.icon_tag,
        data: bitmap,
    });
    Ok(Outcome::done())
}

/// FPGetIcon: the bitmap (at most `length` bytes); unknown → kFPItemNotFound.
pub fn get_icon(s: &mut Session, c: &GetIcon) -> AfpResult {
    let ov = vol(s, c.dt_ref)?;
    let dt = ov.vol.desktop.lock().unwrap_or_else(|p| p.into_inner());
    let icon = dt
        .icons
        .iter()
        .find(|i| {
            i.creator == c.creator && i.file_type == c.file_type && i.icon_type == c.icon_type
        })
        .ok_or(ResultCode::ITEM_NOT_FOUND)?;
    let n = icon.data.len().min(usize::from(c.length));
    Ok(Outcome::ok(Bytes::copy_from_slice(&icon.data[..n])))
}

/// FPGetIconInfo: the `index`-th icon (from 1) of a creator.
pub fn get_icon_info(s: &mut Session, c: &GetIconInfo) -> AfpResult {
    let ov = vol(s, c.dt_ref)?;
    let dt = ov.vol.desktop.lock().unwrap_or_else(|p| p.into_inner());
    let icon = dt
        .icons
        .iter()
        .filter(|i| i.creator == c.creator)
        .nth(usize::from(c.icon_index.max(1)) - 1)
        .ok_or(ResultCode::ITEM_NOT_FOUND)?;
    Ok(Outcome::ok(encode(&Reply::GetIconInfo(IconInfo {
        icon_tag: icon.tag,
        file_type: icon.file_type,
        icon_type: icon.icon_type,
        size: u16::try_from(icon.data.len()).unwrap_or(u16::MAX),
    }))))
}

/// FPAddAPPL: maps a creator to an application file (a directory → kFPObjectTypeErr).
pub fn add_appl(s: &mut Session, c: &AddAppl) -> AfpResult {
    let ov = vol(s, c.dt_ref)?;
    let r = resolve(s, &ov, c.dir_id, &c.path)?;
    if r.is_dir() {
        return Err(ResultCode::OBJECT_TYPE_ERR);
    }
    if let Err(libc::EACCES | libc::EPERM) = r.stat {
        return Err(ResultCode::ACCESS_DENIED);
    }
    let mut dt = ov.vol.desktop.lock().unwrap_or_else(|p| p.into_inner());
    dt.appls
        .retain(|a| !(a.creator == c.creator && a.did == r.dir.did && a.name == r.name));
    dt.appls.push(Appl {
        creator: c.creator,
        did: r.dir.did,
        name: r.name.clone(),
        tag: c.appl_tag,
    });
    Ok(Outcome::done())
}

/// FPRemoveAPPL: removes a mapping; none → kFPItemNotFound.
pub fn remove_appl(s: &mut Session, c: &RemoveAppl) -> AfpResult {
    let ov = vol(s, c.dt_ref)?;
    let r = resolve(s, &ov, c.dir_id, &c.path)?;
    let mut dt = ov.vol.desktop.lock().unwrap_or_else(|p| p.into_inner());
    let before = dt.appls.len();
    dt.appls
        .retain(|a| !(a.creator == c.creator && a.did == r.dir.did && a.name == r.name));
    if dt.appls.len() == before {
        return Err(ResultCode::ITEM_NOT_FOUND);
    }
    Ok(Outcome::done())
}

/// FPGetAPPL: the `index`-th (from 1) mapping of a creator whose application still exists
/// as a file, with its tag and file parameters.
pub fn get_appl(s: &mut Session, c: &GetAppl) -> AfpResult {
    let ov = vol(s, c.dt_ref)?;
    c.bitmap
        .check(s.version)
        .map_err(|_| ResultCode::BITMAP_ERR)?;
    let appls: Vec<Appl> = {
        let dt = ov.vol.desktop.lock().unwrap_or_else(|p| p.into_inner());
        dt.appls
            .iter()
            .filter(|a| a.creator == c.creator)
            .cloned()
            .collect()
    };
    let want = usize::from(c.appl_index.max(1));
    let mut seen = 0;
    for a in appls {
        let Ok(d) = ov.vol.dir_by_id(a.did) else {
            continue;
        };
        let Ok(st) = sys::stat_at(d.fd(), &a.name) else {
            continue;
        };
        if sys::is_dir(&st) {
            continue;
        }
        seen += 1;
        if seen < want {
            continue;
        }
        let mac = names::disk_to_mac(&a.name).ok_or(ResultCode::ITEM_NOT_FOUND)?;
        let m = meta::read(d.fd(), &a.name);
        let id = ov.vol.object_id(d.fd(), d.did, &a.name, &st, Some(&m))?;
        let o = Obj {
            dir: d.fd(),
            name: &a.name,
            mac_name: &mac,
            parent_id: d.did,
            id,
            st: &st,
            meta: &m,
            self_fd: None,
            forks_open: forks_open_state(&s.ctx.locks, ov.vol.key(), &st),
        };
        let params = ov.vol.file_params(&o, c.bitmap, asker(s))?;
        return Ok(Outcome::ok(encode(&Reply::GetAppl(ApplInfo {
            appl_tag: a.tag,
            params,
        }))));
    }
    Err(ResultCode::ITEM_NOT_FOUND)
}
