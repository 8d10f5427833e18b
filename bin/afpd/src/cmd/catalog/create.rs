//! FPCreateFile, FPCreateDir, FPDelete, FPOpenDir, FPCloseDir, FPSyncDir (spec §5.5, §5.7;
//! netatalk `afp_createfile`, `afp_createdir`, `afp_delete`, `deletecurdir`, `deletefile`,
//! `afp_opendir`, `afp_syncdir`).

use std::os::fd::{AsFd, BorrowedFd};

use afp_proto::ResultCode;
use afp_proto::command::{CloseDir, CreateDir, CreateFile, Delete, OpenDir, Reply, SyncDir};
use bytes::BytesMut;
use cnid::{Cnid, Kind};
use rustix::fs::{OFlags, Stat};

use super::{vol, vol_rw};
use crate::cmd::{AfpResult, Outcome};
use crate::forks::FileId;
use crate::session::Session;
use crate::vfs::meta::{self, attr};
use crate::vfs::{OpenVolume, Resolved, names, or_did1, rsrc, sys};

/// The errors netatalk gives when creating an object fails.
pub(crate) fn create_error(e: &std::io::Error) -> ResultCode {
    match sys::errno(e) {
        libc::EROFS => ResultCode::VOL_LOCKED,
        libc::ENOENT => ResultCode::OBJECT_NOT_FOUND,
        libc::EEXIST => ResultCode::OBJECT_EXISTS,
        libc::EACCES | libc::EPERM => ResultCode::ACCESS_DENIED,
        libc::EDQUOT | libc::ENOSPC => ResultCode::DISK_FULL,
        _ => ResultCode::PARAM_ERR,
    }
}

/// The mode for a new file or directory: `base` less the volume `umask`, plus `file perm` /
/// `directory perm`. An unset `umask` is netatalk's default, 0: netatalk sets the process
/// umask to its `umask` option (default 0000) after login, so new folders are 0777 and a
/// second user may delete in them (spectest FPCreateDir.c test198 expects netatalk's 0,
/// FPResolveID.c test362 a successful delete by the other user). The mode is applied with
/// chmod after creation, as our process umask is the server's.
fn new_mode(ov: &OpenVolume, dir: bool) -> u32 {
    let (base, extra) = if dir {
        (0o777, ov.cfg.directory_perm)
    } else {
        (0o666, ov.cfg.file_perm)
    };
    (base & !ov.cfg.umask.unwrap_or(0)) | extra
}

/// Writes netatalk's metadata for a new object (dates from its mtime, the CNID cached),
/// best effort: a file system without user xattrs still gets the object.
pub(crate) fn init_metadata(
    ov: &OpenVolume,
    dir: BorrowedFd<'_>,
    name: &[u8],
    st: &Stat,
    id: Cnid,
) {
    let mut md = meta::fresh(st, ov.vol.invisible_dot(name));
    md.set_cnid(st.st_dev, st.st_ino, id, ov.vol.db.stamp(), ov.vol.nodev());
    if let Err(e) = meta::write(dir, name, &md) {
        tracing::debug!(name = %String::from_utf8_lossy(name), "cannot write metadata: {e}");
    }
}

/// FPCreateFile: soft create fails on an existing name (kFPObjectExists); hard create
/// truncates an existing file unless someone has it open (kFPFileBusy).
pub fn create_file(s: &mut Session, c: &CreateFile) -> AfpResult {
    let ov = vol_rw(s, c.volume_id)?;
    let r = ov
        .resolve(c.dir_id, &c.path, s.version)
        .map_err(|e| or_did1(e, ResultCode::PARAM_ERR))?;
    if r.is_dir() {
        return Err(ResultCode::OBJECT_TYPE_ERR);
    }
    let dirfd = r.dir.fd();
    match &r.stat {
        Ok(st) => {
            let open = s.ctx.locks.is_open(FileId::of(st));
            if !c.hard_create {
                return Err(ResultCode::OBJECT_EXISTS);
            }
            if open {
                return Err(ResultCode::FILE_BUSY);
            }
            // Hard create of an existing file: empty data fork, no resource fork, fresh
            // metadata (the CNID stays: same inode).
            let f = sys::open_at(dirfd, &r.name, OFlags::WRONLY | OFlags::TRUNC, 0)
                .map_err(|e| create_error(&e))?;
            drop(f);
            let _ = rsrc::remove_sidecar(dirfd, &r.name);
            let st = sys::stat_at(dirfd, &r.name).map_err(|e| create_error(&e))?;
            let id = ov.vol.object_id(dirfd, r.dir.did, &r.name, &st, None)?;
            init_metadata(&ov, dirfd, &r.name, &st, id);
        }
        Err(libc::ENOENT) => {
            let mode = new_mode(&ov, false);
            let fd = sys::open_at(
                dirfd,
                &r.name,
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL,
                mode,
            )
            .map_err(|e| create_error(&e))?;
            let _ = rustix::fs::fchmod(&fd, rustix::fs::Mode::from_raw_mode(mode));
            let st = sys::fstat(fd.as_fd()).map_err(|_| ResultCode::MISC_ERR)?;
            let kind = Kind::File;
            let dev = ov.vol.cnid_dev(st.st_dev);
            let id = ov
                .vol
                .db
                .add(dev, st.st_ino, r.dir.did, &r.name, kind, None)
                .map_err(crate::vfs::volume::store_err)?;
            init_metadata(&ov, dirfd, &r.name, &st, id);
        }
        Err(e) => return Err(create_error(&std::io::Error::from_raw_os_error(*e))),
    }
    Ok(Outcome::done())
}

/// FPCreateDir: answers the new directory's ID.
pub fn create_dir(s: &mut Session, c: &CreateDir) -> AfpResult {
    let ov = vol_rw(s, c.volume_id)?;
    let r = ov
        .resolve(c.dir_id, &c.path, s.version)
        .map_err(|e| or_did1(e, ResultCode::PARAM_ERR))?;
    match r.stat {
        Ok(_) => return Err(ResultCode::OBJECT_EXISTS),
        Err(libc::ENOENT) => {}
        Err(e) => return Err(create_error(&std::io::Error::from_raw_os_error(e))),
    }
    let dirfd = r.dir.fd();
    let mode = new_mode(&ov, true);
    sys::mkdir_at(dirfd, &r.name, mode).map_err(|e| create_error(&e))?;
    let mut st = sys::stat_at(dirfd, &r.name).map_err(|_| ResultCode::MISC_ERR)?;
    // The set-group-ID bit a folder inherits from its parent stays.
    let want = mode | (st.st_mode & libc::S_ISGID);
    if st.st_mode & 0o7777 != want && sys::chmod_at(dirfd, &r.name, want).is_ok() {
        st = sys::stat_at(dirfd, &r.name).map_err(|_| ResultCode::MISC_ERR)?;
    }
    let did = ov.vol.dir_id(&r.dir, &r.name, &st)?;
    init_metadata(&ov, dirfd, &r.name, &st, did);
    let mut b = BytesMut::new();
    Reply::CreateDir { dir_id: did.0 }.encode(&mut b);
    Ok(Outcome::ok(b.freeze()))
}

/// The errors netatalk gives when unlinking or removing fails.
fn unlink_error(e: &std::io::Error) -> ResultCode {
    match sys::errno(e) {
        libc::EACCES | libc::EPERM => ResultCode::ACCESS_DENIED,
        libc::EROFS => ResultCode::VOL_LOCKED,
        libc::ENOENT => ResultCode::OBJECT_NOT_FOUND,
        libc::ENOTEMPTY | libc::EEXIST => ResultCode::DIR_NOT_EMPTY,
        _ => ResultCode::PARAM_ERR,
    }
}

/// FPDelete: the volume root → kFPAccessDenied; a DeleteInhibit object → kFPObjectLocked;
/// an open file → kFPFileBusy; a non-empty directory → kFPDirNotEmpty. The sidecar and the
/// CNID go too.
pub fn delete(s: &mut Session, c: &Delete) -> AfpResult {
    let ov = vol_rw(s, c.volume_id)?;
    let r = ov
        .resolve(c.dir_id, &c.path, s.version)
        .map_err(|e| or_did1(e, ResultCode::OBJECT_NOT_FOUND))?;
    if r.is_dir() {
        delete_dir(&ov, &r)?;
    } else {
        let st = match &r.stat {
            Ok(st) => *st,
            Err(libc::ENOENT) => return Err(ResultCode::OBJECT_NOT_FOUND),
            Err(e) => return Err(unlink_error(&std::io::Error::from_raw_os_error(*e))),
        };
        if s.ctx.locks.is_open(FileId::of(&st)) {
            return Err(ResultCode::FILE_BUSY);
        }
        delete_file(&ov, &r, &st)?;
    }
    Ok(Outcome::done())
}

/// netatalk `deletefile` for a resolved file with `st`.
pub(crate) fn delete_file(ov: &OpenVolume, r: &Resolved, st: &Stat) -> AfpResult<()> {
    let dirfd = r.dir.fd();
    if r.meta().attributes(false, false) & attr::DELETE_INHIBIT != 0 {
        return Err(ResultCode::OBJECT_LOCKED);
    }
    sys::unlink_at(dirfd, &r.name, false).map_err(|e| unlink_error(&e))?;
    let _ = rsrc::remove_sidecar(dirfd, &r.name);
    let dev = ov.vol.cnid_dev(st.st_dev);
    if let Ok(Some(e)) = ov.vol.db.get_by_devino(dev, st.st_ino) {
        let _ = ov.vol.db.delete(e.id);
    } else if let Ok(Some(id)) = ov.vol.db.get(r.dir.did, &r.name) {
        let _ = ov.vol.db.delete(id);
    }
    Ok(())
}

/// netatalk `deletecurdir`: refuses the root and directories the user cannot enter
/// (kFPAccessDenied) and DeleteInhibit ones (kFPObjectLocked); removes netatalk's own
/// sidecars and symlinks inside, then the directory (kFPDirNotEmpty if anything else is
/// left), then its CNID.
fn delete_dir(ov: &OpenVolume, r: &Resolved) -> AfpResult<()> {
    let target = r.target.as_ref().ok_or(ResultCode::OBJECT_TYPE_ERR)?;
    if target.is_root() {
        return Err(ResultCode::ACCESS_DENIED);
    }
    // netatalk: a directory it cannot chdir into is kFPAccessDenied.
    if rustix::fs::accessat(
        r.dir.fd(),
        r.name.as_slice(),
        rustix::fs::Access::EXEC_OK,
        rustix::fs::AtFlags::EACCESS,
    )
    .is_err()
    {
        return Err(ResultCode::ACCESS_DENIED);
    }
    if r.meta().attributes(true, false) & attr::DELETE_INHIBIT != 0 {
        return Err(ResultCode::OBJECT_LOCKED);
    }
    let entries = sys::read_dir(target.fd()).map_err(|e| unlink_error(&e))?;
    let mut leftovers = Vec::new();
    for (name, _) in entries {
        let st = sys::stat_at(target.fd(), &name);
        let is_link = matches!(&st, Ok(st) if sys::is_symlink(st));
        if is_link || names::is_netatalk_sidecar(target.fd(), &name) {
            leftovers.push(name);
            continue;
        }
        return Err(ResultCode::DIR_NOT_EMPTY);
    }
    for name in leftovers {
        sys::unlink_at(target.fd(), &name, false).map_err(|e| unlink_error(&e))?;
    }
    sys::unlink_at(r.dir.fd(), &r.name, true).map_err(|e| unlink_error(&e))?;
    let _ = rsrc::remove_sidecar(r.dir.fd(), &r.name);
    let _ = ov.vol.db.delete(target.did);
    ov.vol.forget_dir(target.did);
    Ok(())
}

/// FPOpenDir: the directory's ID (IDs are fixed on our volumes).
pub fn open_dir(s: &mut Session, c: &OpenDir) -> AfpResult {
    let ov = vol(s, c.volume_id)?;
    let r = ov
        .resolve(c.dir_id, &c.path, s.version)
        .map_err(|e| or_did1(e, ResultCode::PARAM_ERR))?;
    let Some(t) = &r.target else {
        return Err(match r.stat {
            Ok(_) => ResultCode::OBJECT_TYPE_ERR,
            Err(_) => ResultCode::OBJECT_NOT_FOUND,
        });
    };
    let mut b = BytesMut::new();
    Reply::OpenDir { dir_id: t.did.0 }.encode(&mut b);
    Ok(Outcome::ok(b.freeze()))
}

/// FPCloseDir: nothing to do on a fixed-ID volume (netatalk answers kFPNoErr).
pub fn close_dir(s: &mut Session, c: &CloseDir) -> AfpResult {
    vol(s, c.volume_id)?;
    Ok(Outcome::done())
}

/// FPSyncDir: fsync of the directory; the volume root syncs the whole file system.
pub fn sync_dir(s: &mut Session, c: &SyncDir) -> AfpResult {
    let ov = vol(s, c.volume_id)?;
    if c.dir_id == Cnid::ROOT.0 {
        sys::syncfs(ov.vol.root_fd()).map_err(|_| ResultCode::MISC_ERR)?;
        return Ok(Outcome::done());
    }
    let d = ov.dir(c.dir_id)?;
    sys::fsync_dir(d.fd()).map_err(|e| match sys::errno(&e) {
        libc::EACCES => ResultCode::ACCESS_DENIED,
        libc::ENOENT => ResultCode::OBJECT_NOT_FOUND,
        _ => ResultCode::MISC_ERR,
    })?;
    Ok(Outcome::done())
}
