//! FPGetExtAttr, FPSetExtAttr, FPRemoveExtAttr, FPListExtAttrs (spec §5.9; netatalk
//! `etc/afpd/extattrs.c` and `libatalk/vfs/ea_sys.c`, `ea = sys`).
//!
//! Client attributes are native `user.<name>` extended attributes of the object (values at
//! most 3802 bytes; `ea = samba` adds a trailing NUL on disk). netatalk's own
//! `org.netatalk.*` attributes are never listed, read or written through these calls. The
//! list adds the synthetic `com.apple.FinderInfo` (Finder info not all zeros) and
//! `com.apple.ResourceFork` (non-empty resource fork). Attribute calls never follow a
//! symlink (the volume layer never does). Reading a missing attribute is kFPItemNotFound on
//! AFP 3.4 and kFPMiscErr before; removing one is kFPMiscErr (netatalk's spectest test399).

use afp_proto::command::{
    ExtAttrBitmap, ExtAttrData, ExtAttrList, GetExtAttr, ListExtAttrs, RemoveExtAttr, Reply,
    SetExtAttr,
};
use afp_proto::{AfpVersion, ResultCode, name};
use bytes::{Bytes, BytesMut};
use rustix::fs::XattrFlags;

use crate::cmd::{AfpResult, Outcome};
use crate::config::EaMode;
use crate::session::Session;
use crate::vfs::{OpenVolume, Resolved, rsrc, sys};

/// netatalk's largest attribute value (`MAX_EA_SIZE`).
pub const MAX_EA_SIZE: usize = 3802;
/// Reply bytes before the value (`MAX_REPLY_EXTRA_BYTES`: bitmap and length).
const REPLY_EXTRA: usize = 6;

const FINDER_INFO_EA: &[u8] = b"com.apple.FinderInfo";
const RESOURCE_FORK_EA: &[u8] = b"com.apple.ResourceFork";

fn encode(reply: &Reply) -> Bytes {
    let mut b = BytesMut::new();
    reply.encode(&mut b);
    b.freeze()
}

/// The volume and object of an attribute call: an unknown volume is kFPAccessDenied, any
/// lookup failure kFPObjectNotFound (netatalk).
fn target(
    s: &Session,
    vid: u16,
    did: u32,
    path: &afp_proto::Path,
) -> AfpResult<(OpenVolume, Resolved)> {
    let ov = s
        .volumes
        .get(vid)
        .map_err(|_| ResultCode::ACCESS_DENIED)?
        .clone();
    if ov.cfg.ea == EaMode::None {
        return Err(ResultCode::MISC_ERR);
    }
    let r = ov
        .resolve(did, path, s.version)
        .map_err(|_| ResultCode::OBJECT_NOT_FOUND)?;
    if r.stat.is_err() {
        return Err(ResultCode::OBJECT_NOT_FOUND);
    }
    Ok((ov, r))
}

/// The on-disk attribute name for a client name (`user.` + precomposed UTF-8); `None` for
/// names that are not valid or belong to netatalk.
fn disk_attr(client: &[u8]) -> Option<String> {
    let s = std::str::from_utf8(client).ok()?;
    if s.is_empty() || s.len() > 255 || s.contains('\0') || s.starts_with("org.netatalk.") {
        return None;
    }
    Some(format!("user.{}", name::precompose(s)))
}

/// ENOATTR: kFPItemNotFound from AFP 3.4 on, kFPMiscErr before (spec §2.2).
fn no_attr(version: AfpVersion) -> ResultCode {
    if version >= AfpVersion::V3_4 {
        ResultCode::ITEM_NOT_FOUND
    } else {
        ResultCode::MISC_ERR
    }
}

fn samba(ov: &OpenVolume) -> bool {
    ov.cfg.ea == EaMode::Samba
}

/// FPGetExtAttr: with MaxReplySize 0 the value's size, else the value (kFPParamErr when
/// it is larger than MaxReplySize − 6 or 3802 bytes, as `getxattr` answers ERANGE).
pub fn get_ext_attr(s: &mut Session, c: &GetExtAttr) -> AfpResult {
    let (ov, r) = target(s, c.volume_id, c.dir_id, &c.path)?;
    let attr = disk_attr(&c.name).ok_or_else(|| no_attr(s.version))?;
    let value = match sys::xattr_get(r.dir.fd(), &r.name, &attr) {
        Ok(Some(v)) => v,
        Ok(None) => return Err(no_attr(s.version)),
        Err(_) => return Err(ResultCode::MISC_ERR),
    };
    let mut value = value;
    if samba(&ov) {
        // Samba stores a trailing NUL.
        if value.len() < 2 {
            value.clear();
        } else {
            value.pop();
        }
    }
    if c.max_reply_size == 0 {
        let len = value.len().min(MAX_EA_SIZE);
        return Ok(Outcome::ok(encode(&Reply::GetExtAttr(ExtAttrData {
            bitmap: c.bitmap,
            length: u32::try_from(len).unwrap_or(u32::MAX),
            data: Bytes::new(),
        }))));
    }
    let room = usize::try_from(c.max_reply_size)
        .unwrap_or(usize::MAX)
        .checked_sub(REPLY_EXTRA)
        .ok_or(ResultCode::PARAM_ERR)?
        .min(MAX_EA_SIZE);
    if value.len() > room {
        return Err(ResultCode::PARAM_ERR);
    }
    Ok(Outcome::ok(encode(&Reply::GetExtAttr(ExtAttrData::value(
        c.bitmap,
        Bytes::from(value),
    )))))
}

/// FPSetExtAttr: kXAttrCreate fails on an existing attribute (kFPObjectExists),
/// kXAttrReplace on a missing one; values over 3802 bytes are kFPParamErr.
pub fn set_ext_attr(s: &mut Session, c: &SetExtAttr) -> AfpResult {
    let (ov, r) = target(s, c.volume_id, c.dir_id, &c.path)?;
    if c.name.len() > 255 {
        return Err(ResultCode::PARAM_ERR);
    }
    let attr = disk_attr(&c.name).ok_or(ResultCode::MISC_ERR)?;
    if c.data.len() > MAX_EA_SIZE {
        return Err(ResultCode::PARAM_ERR);
    }
    ov.check_writable()?;
    let mut flags = XattrFlags::empty();
    if c.bitmap.contains(ExtAttrBitmap::CREATE) {
        flags |= XattrFlags::CREATE;
    } else if c.bitmap.contains(ExtAttrBitmap::REPLACE) {
        flags |= XattrFlags::REPLACE;
    }
    let mut value = c.data.to_vec();
    if samba(&ov) {
        value.push(0);
    }
    match sys::xattr_set(r.dir.fd(), &r.name, &attr, &value, flags) {
        Ok(()) => Ok(Outcome::done()),
        Err(e) => Err(match sys::errno(&e) {
            libc::EEXIST => ResultCode::OBJECT_EXISTS,
            // A symlink (user attributes are not allowed on symlinks): netatalk answers
            // kFPNoErr for a symlink with kXAttrNoFollow.
            libc::EPERM if r.is_file() && is_symlink(&r) => return Ok(Outcome::done()),
            libc::EACCES | libc::EPERM => ResultCode::ACCESS_DENIED,
            _ => ResultCode::MISC_ERR,
        }),
    }
}

fn is_symlink(r: &Resolved) -> bool {
    matches!(&r.stat, Ok(st) if sys::is_symlink(st))
}

/// FPRemoveExtAttr.
pub fn remove_ext_attr(s: &mut Session, c: &RemoveExtAttr) -> AfpResult {
    let (ov, r) = target(s, c.volume_id, c.dir_id, &c.path)?;
    let attr = disk_attr(&c.name).ok_or(ResultCode::MISC_ERR)?;
    ov.check_writable()?;
    match sys::xattr_remove(r.dir.fd(), &r.name, &attr) {
        Ok(()) => Ok(Outcome::done()),
        Err(e) => Err(match sys::errno(&e) {
            // netatalk's spectest (test399) wants kFPMiscErr here on every version.
            libc::ENODATA => ResultCode::MISC_ERR,
            libc::EACCES => ResultCode::ACCESS_DENIED,
            libc::EPERM if is_symlink(&r) => return Ok(Outcome::done()),
            _ => ResultCode::MISC_ERR,
        }),
    }
}

/// FPListExtAttrs: the client attributes plus netatalk's two synthetic ones. With
/// MaxReplySize 0 only the size of the list is answered.
pub fn list_ext_attrs(s: &mut Session, c: &ListExtAttrs) -> AfpResult {
    let (_ov, r) = target(s, c.volume_id, c.dir_id, &c.path)?;
    let mut names: Vec<Vec<u8>> = Vec::new();
    // netatalk reads the metadata first: a user who may not read it is refused.
    if let Err(e) = sys::xattr_get(r.dir.fd(), &r.name, crate::vfs::meta::META_XATTR)
        && matches!(sys::errno(&e), libc::EACCES | libc::EPERM)
    {
        return Err(ResultCode::ACCESS_DENIED);
    }
    let meta = r.meta();
    if let Some(md) = &meta.md
        && md.finder_info != [0; 32]
    {
        names.push(FINDER_INFO_EA.to_vec());
    }
    if r.is_file() && !is_symlink(&r) && rsrc::rsrc_len(r.dir.fd(), &r.name) > 0 {
        names.push(RESOURCE_FORK_EA.to_vec());
    }
    let listed = match sys::xattr_list(r.dir.fd(), &r.name) {
        Ok(l) => l,
        Err(e) if sys::errno(&e) == libc::EACCES => return Err(ResultCode::ACCESS_DENIED),
        Err(_) => return Err(ResultCode::MISC_ERR),
    };
    for n in listed {
        let Some(rest) = n.strip_prefix(b"user.") else {
            continue;
        };
        if rest.starts_with(b"org.netatalk.") || rest.is_empty() {
            continue;
        }
        let Ok(text) = std::str::from_utf8(rest) else {
            continue;
        };
        names.push(name::decompose(text).into_bytes());
    }
    let mut list = ExtAttrList::from_names(c.bitmap, names.iter().map(Vec::as_slice));
    if c.max_reply_size == 0 {
        list.names = Bytes::new();
    }
    Ok(Outcome::ok(encode(&Reply::ListExtAttrs(list))))
}
