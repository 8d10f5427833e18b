//! FPRename, FPMoveAndRename, FPCopyFile, FPExchangeFiles (spec §5.5; netatalk
//! `afp_rename`, `afp_moveandrename`, `moveandrename`, `afp_copyfile`, `copyfile`,
//! `afp_exchangefiles`).
//!
//! Renames keep the object's CNID (the store record is updated in place), move the `._`
//! sidecar along, and leave open forks valid (they are keyed by inode). An exchange swaps
//! the two inodes with `renameat2(RENAME_EXCHANGE)`: contents, resource forks, modification
//! dates and open forks follow the contents, while each name keeps its CNID, its metadata
//! (Finder info, comment, creation date, attributes) and its permissions.

use std::os::fd::AsFd;

use afp_proto::AfpVersion;
use afp_proto::ResultCode;
use afp_proto::command::{CopyFile, ExchangeFiles, MoveAndRename, Rename};
use afp_proto::path::Path;
use cnid::{Cnid, Kind};
use rustix::fs::{OFlags, RenameFlags};

use super::create::init_metadata;
use super::{id_of, vol, vol_rw};
use crate::cmd::{AfpResult, Outcome};
use crate::forks::FileId;
use crate::session::Session;
use crate::vfs::meta::{self, attr};
use crate::vfs::volume::store_err;
use crate::vfs::{DirRef, OpenVolume, Resolved, names, or_did1, rsrc, sys};

/// A new name from a rename-like call: `None` when empty ("keep the name"); kFPParamErr
/// for a path type the session cannot use or a name that cannot be stored.
fn new_name(p: &Path, version: AfpVersion) -> AfpResult<Option<(String, Vec<u8>)>> {
    names::check_path_kind(p.kind, version)?;
    if p.name.is_empty() {
        return Ok(None);
    }
    if p.name.contains(&0) {
        return Err(ResultCode::PARAM_ERR);
    }
    let mac = names::element_to_mac(p.kind, &p.name)?;
    let disk = names::mac_to_disk(&mac)?;
    Ok(Some((mac, disk)))
}

/// The errors netatalk gives when `rename(2)` fails.
fn rename_error(e: &std::io::Error, is_dir: bool) -> ResultCode {
    match sys::errno(e) {
        libc::ENOENT => ResultCode::OBJECT_NOT_FOUND,
        libc::EPERM | libc::EACCES => ResultCode::ACCESS_DENIED,
        libc::EROFS => ResultCode::VOL_LOCKED,
        libc::EEXIST | libc::ENOTEMPTY => ResultCode::OBJECT_EXISTS,
        libc::EINVAL if is_dir => ResultCode::CANT_MOVE,
        _ => ResultCode::PARAM_ERR,
    }
}

/// netatalk `moveandrename`: moves the object `src` to `dst` under `new_disk`.
fn move_object(ov: &OpenVolume, src: &Resolved, dst: &DirRef, new_disk: &[u8]) -> AfpResult<()> {
    let st = *src.st()?;
    let is_dir = src.is_dir();
    if src.meta().attributes(is_dir, false) & attr::RENAME_INHIBIT != 0 {
        return Err(ResultCode::OBJECT_LOCKED);
    }
    // netatalk check_name on the new name: reserved or vetoed → kFPObjectExists.
    if ov.vol.hidden.hides(dst.fd(), new_disk, dst.is_root()) {
        return Err(ResultCode::OBJECT_EXISTS);
    }
    let same_dir = src.dir.did == dst.did;
    if same_dir && src.name == new_disk {
        return Ok(());
    }
    match sys::stat_at(dst.fd(), new_disk) {
        Ok(dst_st) => {
            // Only a case-only rename of the same object onto itself may go on.
            let same = dst_st.st_dev == st.st_dev && dst_st.st_ino == st.st_ino;
            if !same_dir || !same {
                return Err(ResultCode::OBJECT_EXISTS);
            }
        }
        Err(e) if sys::errno(&e) == libc::ENOENT => {}
        Err(e) => return Err(rename_error(&e, is_dir)),
    }
    let id = id_of(ov, src)?;
    sys::rename_at(
        src.dir.fd(),
        &src.name,
        dst.fd(),
        new_disk,
        RenameFlags::NOREPLACE,
    )
    .map_err(|e| rename_error(&e, is_dir))?;
    let _ = rsrc::rename_sidecar(src.dir.fd(), &src.name, dst.fd(), new_disk);
    let nst = sys::stat_at(dst.fd(), new_disk).map_err(|_| ResultCode::MISC_ERR)?;
    let kind = if is_dir { Kind::Dir } else { Kind::File };
    ov.vol
        .db
        .update(
            id,
            ov.vol.cnid_dev(nst.st_dev),
            nst.st_ino,
            dst.did,
            new_disk,
            kind,
        )
        .map_err(store_err)?;
    if is_dir {
        ov.vol.forget_dir(id);
    }
    Ok(())
}

/// FPRename: renames within the same directory. The volume root cannot be renamed
/// (kFPCantRename); an empty new name is a successful no-op.
pub fn rename(s: &mut Session, c: &Rename) -> AfpResult {
    let ov = vol_rw(s, c.volume_id)?;
    let r = ov
        .resolve(c.dir_id, &c.path, s.version)
        .map_err(|e| or_did1(e, ResultCode::OBJECT_NOT_FOUND))?;
    if r.is_root() {
        return Err(ResultCode::CANT_RENAME);
    }
    let Some((_, disk)) = new_name(&c.new_name, s.version)? else {
        return Ok(Outcome::done());
    };
    r.st()?;
    let dst = r.dir.clone();
    move_object(&ov, &r, &dst, &disk)?;
    Ok(Outcome::done())
}

/// Resolves the destination directory of a move or copy: the path must name a directory
/// (netatalk `path_error`: a file is kFPObjectTypeErr, a missing name kFPObjectNotFound).
fn dest_dir(ov: &OpenVolume, did: u32, path: &Path, version: AfpVersion) -> AfpResult<DirRef> {
    let r = ov
        .resolve(did, path, version)
        .map_err(|e| or_did1(e, ResultCode::OBJECT_NOT_FOUND))?;
    match r.target {
        Some(t) => Ok(t),
        None => Err(match r.stat {
            Ok(_) => ResultCode::OBJECT_TYPE_ERR,
            Err(libc::EACCES) => ResultCode::ACCESS_DENIED,
            Err(_) => ResultCode::OBJECT_NOT_FOUND,
        }),
    }
}

/// FPMoveAndRename: moves an object to another directory of the same volume, optionally
/// renaming it. Moving a directory into its own subtree is kFPCantMove.
pub fn move_and_rename(s: &mut Session, c: &MoveAndRename) -> AfpResult {
    let ov = vol_rw(s, c.volume_id)?;
    let r = ov
        .resolve(c.src_dir_id, &c.src_path, s.version)
        .map_err(|e| or_did1(e, ResultCode::OBJECT_NOT_FOUND))?;
    if r.is_root() {
        return Err(ResultCode::CANT_MOVE);
    }
    let dst = dest_dir(&ov, c.dst_dir_id, &c.dst_path, s.version)?;
    let disk = match new_name(&c.new_name, s.version)? {
        Some((_, d)) => d,
        None => r.name.clone(),
    };
    r.st()?;
    if let Some(t) = &r.target
        && is_inside(&ov, dst.did, t.did)?
    {
        return Err(ResultCode::CANT_MOVE);
    }
    move_object(&ov, &r, &dst, &disk)?;
    Ok(Outcome::done())
}

/// True if directory `did` is `ancestor` or lies below it.
fn is_inside(ov: &OpenVolume, did: Cnid, ancestor: Cnid) -> AfpResult<bool> {
    let mut cur = did;
    for _ in 0..4096 {
        if cur == ancestor {
            return Ok(true);
        }
        if cur == Cnid::ROOT || !cur.is_assignable() {
            return Ok(false);
        }
        cur = ov.vol.dir_by_id(cur)?.parent;
    }
    Ok(false)
}

/// FPCopyFile: a server-side copy of a file (data fork, resource fork, metadata) under a
/// new CNID. kFPDenyConflict when someone has the source open denying reads.
pub fn copy_file(s: &mut Session, c: &CopyFile) -> AfpResult {
    let sov = vol(s, c.src_volume_id)?;
    let src = sov
        .resolve(c.src_dir_id, &c.src_path, s.version)
        .map_err(|e| or_did1(e, ResultCode::PARAM_ERR))?;
    if src.is_dir() {
        return Err(ResultCode::OBJECT_TYPE_ERR);
    }
    let sst = match &src.stat {
        Ok(st) => *st,
        Err(libc::EACCES) => return Err(ResultCode::ACCESS_DENIED),
        Err(_) => return Err(ResultCode::OBJECT_NOT_FOUND),
    };
    let usage = s.ctx.locks.usage(FileId::of(&sst));
    let deny_read = afp_proto::command::AccessMode::DENY_READ;
    if usage.data.deny.contains(deny_read) || usage.resource.deny.contains(deny_read) {
        return Err(ResultCode::DENY_CONFLICT);
    }
    let dov = s
        .volumes
        .get(c.dst_volume_id)
        .map_err(|_| ResultCode::PARAM_ERR)?
        .clone();
    dov.check_writable()?;
    let dst = dest_dir(&dov, c.dst_dir_id, &c.dst_path, s.version)?;
    let disk = match new_name(&c.new_name, s.version)? {
        Some((_, d)) => d,
        None => src.name.clone(),
    };
    if dov.vol.hidden.hides(dst.fd(), &disk, dst.is_root()) {
        return Err(ResultCode::PARAM_ERR);
    }
    copy_into(&dov, &src, &sst, &dst, &disk)?;
    Ok(Outcome::done())
}

/// netatalk `copyfile`: creates `disk` in `dst` (kFPObjectExists if it exists) and copies
/// the data fork, the resource fork and the metadata (Finder info, comment, attributes,
/// dates); the copy gets its own CNID. A failed copy leaves nothing behind.
fn copy_into(
    dov: &OpenVolume,
    src: &Resolved,
    sst: &rustix::fs::Stat,
    dst: &DirRef,
    disk: &[u8],
) -> AfpResult<()> {
    let create_err = super::create::create_error;
    let mode = (sst.st_mode & 0o777) | 0o600;
    let input = sys::open_at(src.dir.fd(), &src.name, OFlags::RDONLY, 0).map_err(|e| {
        match sys::errno(&e) {
            // netatalk: a source it cannot open for reading is a deny conflict.
            libc::EACCES | libc::EPERM => ResultCode::DENY_CONFLICT,
            libc::ENOENT => ResultCode::OBJECT_NOT_FOUND,
            _ => ResultCode::MISC_ERR,
        }
    })?;
    let out = sys::open_at(
        dst.fd(),
        disk,
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL,
        mode,
    )
    .map_err(|e| create_err(&e))?;
    // The copy's mode is not narrowed by the server's process umask, only by the volume's
    // (netatalk runs with umask 0 by default), as for FPCreateFile.
    let _ = rustix::fs::fchmod(
        &out,
        rustix::fs::Mode::from_raw_mode(mode & !dov.cfg.umask.unwrap_or(0)),
    );
    let cleanup = |code: ResultCode| {
        let _ = sys::unlink_at(dst.fd(), disk, false);
        let _ = rsrc::remove_sidecar(dst.fd(), disk);
        code
    };
    let len = u64::try_from(sst.st_size).unwrap_or(0);
    dov.vol.check_room(len).map_err(cleanup)?;
    let (fin, fout) = (std::fs::File::from(input), std::fs::File::from(out));
    copy_data(&fin, &fout).map_err(|e| cleanup(copy_error(&e)))?;
    let meta_src = src.meta();
    let fi = meta_src.finder_info(sst, false);
    rsrc::copy_rsrc(src.dir.fd(), &src.name, dst.fd(), disk, fi, mode)
        .map_err(|e| cleanup(copy_error(&e)))?;
    fout.sync_all().ok();
    let nst = sys::fstat(fout.as_fd()).map_err(|_| cleanup(ResultCode::MISC_ERR))?;
    let id = dov
        .vol
        .db
        .add(
            dov.vol.cnid_dev(nst.st_dev),
            nst.st_ino,
            dst.did,
            disk,
            Kind::File,
            None,
        )
        .map_err(|e| cleanup(store_err(e)))?;
    match meta_src.md {
        Some(mut md) => {
            md.set_cnid(
                nst.st_dev,
                nst.st_ino,
                id,
                dov.vol.db.stamp(),
                dov.vol.nodev(),
            );
            let _ = meta::write(dst.fd(), disk, &md);
        }
        None => init_metadata(dov, dst.fd(), disk, &nst, id),
    }
    // The client's extended attributes go along (netatalk's spectest test416).
    copy_xattrs(src, dst, disk);
    // The copy keeps the source's modification date (netatalk copies the dates).
    let _ = sys::set_mtime_at(dst.fd(), disk, sst.st_mtime);
    dov.vol.note_growth(len);
    Ok(())
}

/// Copies the `user.` extended attributes of `src` to `disk` in `dst`, except netatalk's
/// own (the metadata is written separately, with the copy's CNID).
fn copy_xattrs(src: &Resolved, dst: &DirRef, disk: &[u8]) {
    let Ok(list) = sys::xattr_list(src.dir.fd(), &src.name) else {
        return;
    };
    for n in list {
        if !n.starts_with(b"user.") || n.starts_with(b"user.org.netatalk.") {
            continue;
        }
        let Ok(attr) = std::str::from_utf8(&n) else {
            continue;
        };
        if let Ok(Some(v)) = sys::xattr_get(src.dir.fd(), &src.name, attr) {
            let _ = sys::xattr_set(dst.fd(), disk, attr, &v, rustix::fs::XattrFlags::empty());
        }
    }
}

fn copy_error(e: &std::io::Error) -> ResultCode {
    match sys::errno(e) {
        libc::ENOSPC | libc::EDQUOT | libc::EFBIG => ResultCode::DISK_FULL,
        libc::EACCES | libc::EPERM => ResultCode::ACCESS_DENIED,
        _ => ResultCode::MISC_ERR,
    }
}

/// Copies all of `from` into `to` (in kernel when possible).
fn copy_data(from: &std::fs::File, to: &std::fs::File) -> std::io::Result<()> {
    let mut from_ref = from;
    let mut to_ref = to;
    std::io::copy(&mut from_ref, &mut to_ref).map(|_| ())
}

/// FPExchangeFiles: swaps the contents of two files of one volume (spec §5.5). Missing
/// files are kFPIDNotFound (netatalk), directories kFPObjectTypeErr, the same file twice
/// kFPSameObjectErr.
pub fn exchange_files(s: &mut Session, c: &ExchangeFiles) -> AfpResult {
    let ov = vol_rw(s, c.volume_id)?;
    let a = ov
        .resolve(c.src_dir_id, &c.src_path, s.version)
        .map_err(|e| or_did1(e, ResultCode::OBJECT_NOT_FOUND))?;
    if a.is_dir() {
        return Err(ResultCode::OBJECT_TYPE_ERR);
    }
    let ast = match &a.stat {
        Ok(st) => *st,
        Err(libc::ENOENT) => return Err(ResultCode::ID_NOT_FOUND),
        Err(libc::EACCES) | Err(libc::EPERM) => return Err(ResultCode::ACCESS_DENIED),
        Err(_) => return Err(ResultCode::PARAM_ERR),
    };
    let b = ov
        .resolve(c.dst_dir_id, &c.dst_path, s.version)
        .map_err(|e| or_did1(e, ResultCode::OBJECT_NOT_FOUND))?;
    if b.is_dir() {
        return Err(ResultCode::OBJECT_TYPE_ERR);
    }
    if a.dir.did == b.dir.did && a.name == b.name {
        return Err(ResultCode::SAME_OBJECT_ERR);
    }
    let bst = match &b.stat {
        Ok(st) => *st,
        Err(libc::ENOENT) => return Err(ResultCode::ID_NOT_FOUND),
        Err(libc::EACCES) | Err(libc::EPERM) => return Err(ResultCode::ACCESS_DENIED),
        Err(_) => return Err(ResultCode::PARAM_ERR),
    };
    if ast.st_dev == bst.st_dev && ast.st_ino == bst.st_ino {
        return Err(ResultCode::SAME_OBJECT_ERR);
    }
    // Both IDs exist before the swap so that each stays with its name.
    let ameta = a.meta();
    let bmeta = b.meta();
    let aid = ov
        .vol
        .object_id(a.dir.fd(), a.dir.did, &a.name, &ast, Some(&ameta))?;
    let bid = ov
        .vol
        .object_id(b.dir.fd(), b.dir.did, &b.name, &bst, Some(&bmeta))?;
    sys::rename_at(
        a.dir.fd(),
        &a.name,
        b.dir.fd(),
        &b.name,
        RenameFlags::EXCHANGE,
    )
    .map_err(|e| rename_error(&e, false))?;
    swap_sidecars(&a, &b);
    ov.vol.db.exchange(aid, bid).map_err(store_err)?;
    // The inodes moved with their attributes: give each name back its own metadata
    // (Finder info, comment, dates, attributes stay with the catalog entry, spec §5.5) with
    // the CNID cache fixed, and its own permissions.
    for (r, id, old_mode, old_meta) in [
        (&a, aid, ast.st_mode, &ameta),
        (&b, bid, bst.st_mode, &bmeta),
    ] {
        let Ok(st) = sys::stat_at(r.dir.fd(), &r.name) else {
            continue;
        };
        match &old_meta.md {
            Some(md) => {
                let mut md = md.clone();
                md.set_cnid(st.st_dev, st.st_ino, id, ov.vol.db.stamp(), ov.vol.nodev());
                let _ = meta::write(r.dir.fd(), &r.name, &md);
            }
            None => {
                let _ = sys::xattr_remove(r.dir.fd(), &r.name, meta::META_XATTR);
            }
        }
        if !sys::is_symlink(&st) && st.st_mode & 0o7777 != old_mode & 0o7777 {
            let _ = sys::chmod_at(r.dir.fd(), &r.name, old_mode & 0o7777);
        }
    }
    Ok(Outcome::done())
}

/// Makes the `._` sidecars follow the contents after an exchange.
fn swap_sidecars(a: &Resolved, b: &Resolved) {
    let sa = names::sidecar_name(&a.name);
    let sb = names::sidecar_name(&b.name);
    let has_a = sys::stat_at(a.dir.fd(), &sa).is_ok();
    let has_b = sys::stat_at(b.dir.fd(), &sb).is_ok();
    let r = match (has_a, has_b) {
        (true, true) => sys::rename_at(a.dir.fd(), &sa, b.dir.fd(), &sb, RenameFlags::EXCHANGE),
        (true, false) => sys::rename_at(a.dir.fd(), &sa, b.dir.fd(), &sb, RenameFlags::NOREPLACE),
        (false, true) => sys::rename_at(b.dir.fd(), &sb, a.dir.fd(), &sa, RenameFlags::NOREPLACE),
        (false, false) => Ok(()),
    };
    if let Err(e) = r {
        tracing::warn!("FPExchangeFiles: cannot swap the resource forks: {e}");
    }
}
