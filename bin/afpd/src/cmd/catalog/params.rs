//! FPGetFileDirParms, FPSetFileParms, FPSetDirParms, FPSetFileDirParms (spec §5.3; netatalk
//! `afp_getfildirparams`, `setfilparams`, `setdirparams`).

use std::os::fd::BorrowedFd;

use afp_proto::ResultCode;
use afp_proto::command::{
    FileDirParmsReply, GetFileDirParms, Reply, SetDirParms, SetFileDirParms, SetFileParms,
};
use afp_proto::params::{DirBitmap, DirParams, FileBitmap, FileParams};
use bytes::{Bytes, BytesMut};
use cnid::appledouble::Metadata;
use rustix::fs::{OFlags, Stat};

use super::{params_of, vol_rw};
use crate::cmd::{AfpResult, Outcome};
use crate::session::Session;
use crate::vfs::meta::{self, attr};
use crate::vfs::{OpenVolume, Resolved, extmap, or_did1, sys};

/// FPGetFileDirParms. An unknown volume is kFPAccessDenied here (netatalk, for a client
/// whose volume went away).
pub fn get_file_dir_parms(s: &mut Session, c: &GetFileDirParms) -> AfpResult {
    let ov = s
        .volumes
        .get(c.volume_id)
        .map_err(|_| ResultCode::ACCESS_DENIED)?
        .clone();
    let r = ov
        .resolve(c.dir_id, &c.path, s.version)
        .map_err(|e| or_did1(e, ResultCode::OBJECT_NOT_FOUND))?;
    match r.stat {
        Err(libc::EACCES) | Err(libc::EPERM) => return Err(ResultCode::ACCESS_DENIED),
        Err(_) => return Err(ResultCode::OBJECT_NOT_FOUND),
        Ok(_) => {}
    }
    let params = params_of(s, &ov, &r, c.file_bitmap, c.dir_bitmap)?;
    let mut b = BytesMut::new();
    Reply::GetFileDirParms(FileDirParmsReply::new(c, params)).encode(&mut b);
    Ok(Outcome::ok(b.freeze()))
}

/// File bits FPSetFileParms may set (spec §5.3): attributes, dates, Finder info, UNIX
/// privileges; ProDOS info before AFP 3.
fn settable_file(afp3: bool) -> u16 {
    let mut b = FileBitmap::ATTRIBUTES
        | FileBitmap::CREATE_DATE
        | FileBitmap::MOD_DATE
        | FileBitmap::BACKUP_DATE
        | FileBitmap::FINDER_INFO;
    b |= if afp3 {
        FileBitmap::UNIX_PRIVS
    } else {
        FileBitmap::UTF8_NAME
    };
    b.bits()
}

/// Directory bits FPSetDirParms may set: as files, plus owner, group and access rights.
fn settable_dir(afp3: bool) -> u16 {
    let mut b = DirBitmap::ATTRIBUTES
        | DirBitmap::CREATE_DATE
        | DirBitmap::MOD_DATE
        | DirBitmap::BACKUP_DATE
        | DirBitmap::FINDER_INFO
        | DirBitmap::OWNER_ID
        | DirBitmap::GROUP_ID
        | DirBitmap::ACCESS_RIGHTS;
    b |= if afp3 {
        DirBitmap::UNIX_PRIVS
    } else {
        DirBitmap::UTF8_NAME
    };
    b.bits()
}

/// FPSetFileParms: refuses a directory (kFPObjectTypeErr), a missing file
/// (kFPObjectNotFound).
pub fn set_file_parms(s: &mut Session, c: &SetFileParms) -> AfpResult {
    let ov = vol_rw(s, c.volume_id)?;
    let r = ov
        .resolve(c.dir_id, &c.path, s.version)
        .map_err(|e| or_did1(e, ResultCode::PARAM_ERR))?;
    if r.is_dir() {
        return Err(ResultCode::OBJECT_TYPE_ERR);
    }
    if r.stat.is_err() {
        return Err(ResultCode::OBJECT_NOT_FOUND);
    }
    set_file(s, &ov, &r, c.bitmap.bits(), &c.params)?;
    Ok(Outcome::done())
}

/// FPSetDirParms: refuses a file (kFPObjectTypeErr).
pub fn set_dir_parms(s: &mut Session, c: &SetDirParms) -> AfpResult {
    let ov = vol_rw(s, c.volume_id)?;
    let r = ov
        .resolve(c.dir_id, &c.path, s.version)
        .map_err(|e| or_did1(e, ResultCode::OBJECT_NOT_FOUND))?;
    if !r.is_dir() {
        // netatalk `path_error`: a file is kFPObjectTypeErr, a missing name not found.
        return Err(match r.stat {
            Ok(_) => ResultCode::OBJECT_TYPE_ERR,
            Err(libc::EACCES) => ResultCode::ACCESS_DENIED,
            Err(_) => ResultCode::OBJECT_NOT_FOUND,
        });
    }
    set_dir(s, &ov, &r, c.bitmap.bits(), &c.params)?;
    Ok(Outcome::done())
}

/// FPSetFileDirParms: the bitmap applies to whichever the object is.
pub fn set_file_dir_parms(s: &mut Session, c: &SetFileDirParms) -> AfpResult {
    let ov = vol_rw(s, c.volume_id)?;
    let r = ov
        .resolve(c.dir_id, &c.path, s.version)
        .map_err(|e| or_did1(e, ResultCode::OBJECT_NOT_FOUND))?;
    if r.stat.is_err() {
        return Err(ResultCode::OBJECT_NOT_FOUND);
    }
    if r.is_dir() {
        set_dir(s, &ov, &r, c.bitmap, &c.params)?;
    } else {
        set_file(s, &ov, &r, c.bitmap, &c.params)?;
    }
    Ok(Outcome::done())
}

/// The metadata record to update: the stored one or a fresh one.
fn load_meta(r: &Resolved, st: &Stat, inv: bool) -> (Metadata, bool) {
    match r.meta().md {
        Some(md) => (md, false),
        None => (meta::fresh(st, inv), true),
    }
}

/// netatalk's attribute update: with Set/Clear the given bits are set, else cleared.
fn apply_attributes(md: &mut Metadata, given: u16, is_dir: bool) -> bool {
    let old = meta::attributes(md, is_dir);
    let new = if given & attr::SET_CLEAR != 0 {
        old | (given & !attr::SET_CLEAR)
    } else {
        old & !given
    };
    meta::set_attributes(md, new, is_dir);
    (old ^ new) & attr::INVISIBLE != 0
}

/// Sets the parent's modification time to now (netatalk does so when visibility or
/// permissions change; not for the volume root).
fn touch_parent(r: &Resolved) {
    if !r.dir.is_root() {
        let _ = sys::set_dir_mtime(r.dir.fd(), sys::unix_now());
    }
}

fn set_file(s: &Session, ov: &OpenVolume, r: &Resolved, bitmap: u16, raw: &Bytes) -> AfpResult<()> {
    let afp3 = s.version.is_afp3();
    if bitmap & !settable_file(afp3) != 0 {
        return Err(ResultCode::BITMAP_ERR);
    }
    if bitmap & FileBitmap::UNIX_PRIVS.bits() != 0 && !ov.cfg.unix_priv {
        return Err(ResultCode::BITMAP_ERR);
    }
    let p = FileParams::decode(FileBitmap::from_bits_retain(bitmap), raw, s.version)
        .map_err(|e| e.result_code())?;
    let mut st = *r.st()?;
    let dirfd = r.dir.fd();
    let inv = ov.vol.invisible_dot(&r.name);
    let mut change_mdate = false;
    let mut change_parent = false;

    // FinderInfo `slnk`/`rhap` on a regular file: the file's contents become a symlink.
    if let Some(fi) = &p.finder_info {
        change_mdate = true;
        if &fi.0[0..8] == b"slnkrhap" && !sys::is_symlink(&st) {
            let id = ov.vol.object_id(dirfd, r.dir.did, &r.name, &st, None)?;
            make_symlink(dirfd, &r.name)?;
            st = sys::stat_at(dirfd, &r.name).map_err(|_| ResultCode::MISC_ERR)?;
            // The symlink is a new inode: it keeps the file's ID.
            ov.vol
                .db
                .update(
                    id,
                    ov.vol.cnid_dev(st.st_dev),
                    st.st_ino,
                    r.dir.did,
                    &r.name,
                    cnid::Kind::File,
                )
                .map_err(crate::vfs::volume::store_err)?;
        }
    }
    if let Some(up) = &p.unix_privs {
        change_mdate = true;
        change_parent = true;
        // netatalk ignores chown/chmod refusals for files (setfilowner / setfilmode).
        let _ = sys::chown_at(dirfd, &r.name, Some(up.uid), Some(up.gid));
        if !sys::is_symlink(&st) {
            let umask = ov.cfg.umask.unwrap_or(0);
            let mode = ((up.permissions & 0o7777) | (st.st_mode & 0o7000)) & !umask;
            match sys::chmod_at(dirfd, &r.name, mode) {
                Ok(()) => {}
                Err(e) if sys::errno(&e) == libc::EPERM => {}
                Err(e) => return Err(super::errno_code(&e)),
            }
        }
    }
    if p.attributes.is_some() || p.backup_date.is_some() {
        change_mdate = true;
    }

    let needs_md = bitmap & !(FileBitmap::MOD_DATE.bits() | FileBitmap::UNIX_PRIVS.bits()) != 0;
    let (mut md, _) = load_meta(r, &st, inv);
    if let Some(a) = p.attributes
        && apply_attributes(&mut md, a.bits(), false)
    {
        change_parent = true;
    }
    if let Some(d) = p.create_date {
        md.dates.create = d.0;
    }
    if let Some(d) = p.backup_date {
        md.dates.backup = d.0;
    }
    if let Some(pd) = &p.prodos_info {
        // AFP 2 ProDOS info: stored as the Finder type and creator.
        let tc = crate::vfs::params::type_of_prodos(pd);
        md.finder_info[0..8].copy_from_slice(&tc);
    }
    if let Some(fi) = &p.finder_info {
        let mut fi = fi.0;
        // netatalk: a client echoing the type the extension map gave keeps the stored
        // type "default" (zeros).
        let mac = &r.mac_name;
        if md.finder_info[0..8] == [0; 8]
            && (fi[0..8] == extmap::type_creator(mac) || fi[0..8] == extmap::DEFAULT)
        {
            fi[0..8].fill(0);
        }
        if sys::is_symlink(&st) {
            // Keep what the metadata had for the type of a symlink.
            fi[0..8].copy_from_slice(&md.finder_info[0..8]);
        }
        md.finder_info = fi;
    }
    let mut newdate = p.mod_date.map(|d| d.0);
    if change_mdate && newdate.is_none() {
        newdate = Some(afp_proto::AfpDate::from_unix(sys::unix_now()).0);
    }
    if let Some(d) = newdate {
        md.dates.modify = d;
    }
    let write_md = needs_md || newdate.is_some();
    if write_md
        && !sys::is_symlink(&st)
        && let Err(e) = meta::write(dirfd, &r.name, &md)
        && needs_md
    {
        return Err(match sys::errno(&e) {
            libc::EROFS => ResultCode::VOL_LOCKED,
            libc::ENOSPC | libc::EDQUOT => ResultCode::DISK_FULL,
            _ => ResultCode::ACCESS_DENIED,
        });
    }
    if let Some(d) = newdate
        && let Some(unix) = afp_proto::AfpDate(d).to_unix()
        && !sys::is_symlink(&st)
    {
        let _ = sys::set_mtime_at(dirfd, &r.name, unix);
    }
    if change_parent {
        touch_parent(r);
    }
    Ok(())
}

/// Replaces a regular file by a symlink to the path its contents name (netatalk: FinderInfo
/// `slnkrhap` turns a file into a symlink).
fn make_symlink(dir: BorrowedFd<'_>, name: &[u8]) -> AfpResult<()> {
    let f = sys::open_at(dir, name, OFlags::RDONLY, 0).map_err(|_| ResultCode::MISC_ERR)?;
    let mut buf = vec![0u8; libc::PATH_MAX as usize];
    let n = rustix::io::read(&f, &mut buf[..]).map_err(|_| ResultCode::MISC_ERR)?;
    if n == 0 {
        return Err(ResultCode::MISC_ERR);
    }
    buf.truncate(n);
    if buf.contains(&0) {
        return Err(ResultCode::MISC_ERR);
    }
    sys::unlink_at(dir, name, false).map_err(|_| ResultCode::MISC_ERR)?;
    sys::symlink_at(&buf, dir, name).map_err(|_| ResultCode::MISC_ERR)
}

/// netatalk `mtoumode`: access-rights bytes to mode bits.
fn mtoumode(owner: u32, group: u32, world: u32) -> u32 {
    let bits = |m: u32| {
        let mut b = 0;
        if m & 0x02 != 0 {
            b |= 0o4;
        }
        if m & 0x04 != 0 {
            b |= 0o2;
        }
        if m & 0x01 != 0 {
            b |= 0o1;
        }
        b
    };
    bits(owner) << 6 | bits(group) << 3 | bits(world)
}

/// netatalk `dir_rx_set`: the owner keeps read and search.
fn dir_rx_set(mode: u32) -> bool {
    mode & 0o500 == 0o500
}

/// netatalk `set_dir_errors`.
fn dir_error(e: &std::io::Error) -> ResultCode {
    match sys::errno(e) {
        libc::EPERM | libc::EACCES => ResultCode::ACCESS_DENIED,
        libc::EROFS => ResultCode::VOL_LOCKED,
        libc::EDQUOT | libc::ENOSPC => ResultCode::DISK_FULL,
        _ => ResultCode::PARAM_ERR,
    }
}

/// netatalk `setdirunixmode`/`stickydirmode` for a directory: the set-group-ID bit the
/// directory has is kept (group inheritance, as on the conformance suite's `2775` volume),
/// and a refusal (EPERM: not the owner) is ignored when the user may enter the directory
/// — netatalk ignores it for group-writable directories — and kFPAccessDenied otherwise.
fn chmod_dir(r: &Resolved, st: &Stat, mode: u32) -> AfpResult<()> {
    let mode = mode | (st.st_mode & libc::S_ISGID);
    match sys::chmod_at(r.dir.fd(), &r.name, mode) {
        Ok(()) => Ok(()),
        Err(e) if sys::errno(&e) == libc::EPERM => {
            let enter = rustix::fs::accessat(
                r.dir.fd(),
                r.name.as_slice(),
                rustix::fs::Access::EXEC_OK,
                rustix::fs::AtFlags::EACCESS,
            );
            if enter.is_ok() {
                Ok(())
            } else {
                Err(ResultCode::ACCESS_DENIED)
            }
        }
        Err(e) => Err(dir_error(&e)),
    }
}

fn set_dir(s: &Session, ov: &OpenVolume, r: &Resolved, bitmap: u16, raw: &Bytes) -> AfpResult<()> {
    let afp3 = s.version.is_afp3();
    if bitmap & !settable_dir(afp3) != 0 {
        return Err(ResultCode::BITMAP_ERR);
    }
    if bitmap & DirBitmap::UNIX_PRIVS.bits() != 0 && !ov.cfg.unix_priv {
        return Err(ResultCode::BITMAP_ERR);
    }
    let p = DirParams::decode(DirBitmap::from_bits_retain(bitmap), raw, s.version)
        .map_err(|e| e.result_code())?;
    let st = *r.st()?;
    let target = r.target.as_ref().ok_or(ResultCode::OBJECT_TYPE_ERR)?;
    let is_root = target.is_root();
    let umask = ov.cfg.umask.unwrap_or(0);
    let dperm = ov.cfg.directory_perm;
    let mut change_mdate = false;
    let mut change_parent = false;

    if p.owner_id.is_some() || p.group_id.is_some() {
        change_parent = true;
        // netatalk's setdirowner logs refusals and goes on.
        let _ = sys::chown_at(r.dir.fd(), &r.name, p.owner_id, p.group_id);
    }
    if let Some(ar) = p.access_rights {
        change_mdate = true;
        change_parent = true;
        let b = ar.bits();
        let mode = mtoumode(b & 0xFF, (b >> 8) & 0xFF, (b >> 16) & 0xFF) | dperm;
        if is_root && !dir_rx_set(mode) {
            return Err(ResultCode::ACCESS_DENIED);
        }
        chmod_dir(r, &st, (mode & !umask) & 0o7777)?;
    }
    if let Some(up) = &p.unix_privs {
        change_mdate = true;
        change_parent = true;
        let mode = (up.permissions & 0o7777) | dperm;
        if is_root && !dir_rx_set(mode) {
            return Err(ResultCode::ACCESS_DENIED);
        }
        chmod_dir(r, &st, (mode & !umask) & 0o7777)?;
    }
    if p.attributes.is_some()
        || p.create_date.is_some()
        || p.backup_date.is_some()
        || p.finder_info.is_some()
    {
        change_mdate = true;
    }
    let needs_md = p.attributes.is_some()
        || p.create_date.is_some()
        || p.backup_date.is_some()
        || p.finder_info.is_some();
    let inv = ov.vol.invisible_dot(&r.name);
    let (mut md, _) = load_meta(r, &st, inv);
    if let Some(a) = p.attributes
        && apply_attributes(&mut md, a.bits(), true)
    {
        change_parent = true;
    }
    if let Some(d) = p.create_date {
        md.dates.create = d.0;
    }
    if let Some(d) = p.backup_date {
        md.dates.backup = d.0;
    }
    if let Some(fi) = &p.finder_info {
        let mut fi = fi.0;
        // netatalk #2802236: the "shared" flag is not kept on directories.
        let flags = meta::finder_flags(&fi) & !meta::FINDER_SHARED;
        fi[8..10].copy_from_slice(&flags.to_be_bytes());
        if is_root {
            // The root keeps its location (bytes 10–13).
            md.finder_info[0..10].copy_from_slice(&fi[0..10]);
            md.finder_info[14..32].copy_from_slice(&fi[14..32]);
        } else {
            md.finder_info = fi;
        }
    }
    let mut newdate = p.mod_date.map(|d| d.0);
    if change_mdate && newdate.is_none() {
        newdate = Some(afp_proto::AfpDate::from_unix(sys::unix_now()).0);
    }
    if let Some(d) = newdate {
        md.dates.modify = d;
    }
    if needs_md || newdate.is_some() {
        let res = meta::write(r.dir.fd(), &r.name, &md);
        if let Err(e) = res
            && needs_md
        {
            return Err(dir_error(&e));
        }
    }
    if let Some(d) = newdate
        && let Some(unix) = afp_proto::AfpDate(d).to_unix()
    {
        let _ = sys::set_dir_mtime(target.fd(), unix);
    }
    if change_parent {
        touch_parent(r);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_rights_to_mode() {
        // owner rwx (search 1, read 2, write 4), group r-x, world r--.
        assert_eq!(mtoumode(0x07, 0x03, 0x02), 0o754);
        assert!(dir_rx_set(0o500));
        assert!(!dir_rx_set(0o300));
    }
}
