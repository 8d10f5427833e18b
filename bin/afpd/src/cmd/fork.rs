//! Fork commands (spec `afp-dsi.md` §5.8; semantics §8; resource forks §9.4; Time Machine
//! §10: deny modes as mandatory locks, real `fsync` for FPSyncFork, `vol size limit`):
//! FPOpenFork, FPCloseFork, FPFlushFork, FPSyncFork, FPGetForkParms, FPSetForkParms,
//! FPRead, FPReadExt, FPWrite, FPWriteExt, FPByteRangeLock, FPByteRangeLockExt.
//!
//! Checks run in netatalk's order (`etc/afpd/fork.c`), so a request with several faults
//! gets the code netatalk gives. The open forks, their modes and locks are in
//! [`crate::forks`]; this module maps requests onto them.
//!
//! I/O is streaming: a read is one `pread` into one buffer that becomes the reply without a
//! copy; a write takes the DSIWrite data piece by piece from [`WriteSource`] and writes each
//! piece at its offset as it arrives ([`write_stream`]), so no request is held whole.

use afp_proto::ResultCode;
use afp_proto::command::{
    self, AccessMode, LockFlags, OpenForkReply, Reply, Request, SetForkParms,
};
use afp_proto::params::FileBitmap;
use bytes::{BufMut, Bytes, BytesMut};

use super::{AfpResult, Outcome, WriteSource, finish};
use crate::forks::{
    ByteRange, FileId, ForkIo, ForkKind, LockError, OpenFork, open_data, open_resource,
};
use crate::session::Session;
use crate::vfs::{self, meta::attr};

/// The most one read returns (a larger ReqCount gets this much and kFPNoErr; the client
/// asks again for the rest, as it does after any short read without kFPEOFErr).
pub const READ_MAX: usize = 8 << 20;

/// 32-bit (FPRead, FPWrite, FPByteRangeLock) or 64-bit (the Ext calls) variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Width {
    W32,
    W64,
}

impl Width {
    /// An offset as the reply carries it (netatalk `set_off_t`: the low 32 bits for the
    /// 32-bit calls).
    fn put(self, v: u64, dst: &mut BytesMut) {
        match self {
            Width::W32 => dst.put_u32(v as u32),
            Width::W64 => dst.put_u64(v),
        }
    }
}

/// Answers the fork calls; `None` for everything else.
pub fn dispatch(
    s: &mut Session,
    req: &Request,
    data: &mut Option<&mut dyn WriteSource>,
) -> Option<Outcome> {
    let out = match req {
        Request::OpenFork(r) => open_fork(s, r),
        Request::CloseFork(r) => close_fork(s, r.fork),
        Request::FlushFork(r) => flush_fork(s, r.fork, false),
        Request::SyncFork(r) => flush_fork(s, r.fork, true),
        Request::GetForkParms(r) => get_fork_parms(s, r.fork, r.bitmap),
        Request::SetForkParms(r) => set_fork_parms(s, r),
        Request::Read(r) => read(
            s,
            r.fork,
            r.offset.into(),
            r.count.into(),
            (r.newline_mask, r.newline_char),
        ),
        Request::ReadExt(r) => read(s, r.fork, r.offset, r.count, (0, 0)),
        Request::Write(r) => write(
            s,
            Width::W32,
            r.start_end,
            r.fork,
            r.offset.into(),
            r.count.into(),
            data.as_deref_mut(),
        ),
        Request::WriteExt(r) => write(
            s,
            Width::W64,
            r.start_end,
            r.fork,
            r.offset,
            r.count,
            data.as_deref_mut(),
        ),
        Request::ByteRangeLock(r) => byte_range_lock(
            s,
            Width::W32,
            r.flags,
            r.fork,
            r.offset.into(),
            r.length.into(),
        ),
        Request::ByteRangeLockExt(r) => {
            byte_range_lock(s, Width::W64, r.flags, r.fork, r.offset, r.length)
        }
        _ => return None,
    };
    Some(finish(out))
}

/// Closes every fork the session opened through volume `vid` (FPCloseVol), doing what
/// FPCloseFork does for each. Returns how many.
pub fn close_volume_forks(s: &mut Session, vid: u16) -> usize {
    let forks = s.forks.take_volume(vid);
    let n = forks.len();
    drop(forks);
    n
}

/// Flushes every fork the session has open on volume `vid` (FPFlush: netatalk's
/// `of_flush`); errors are logged, as netatalk does.
pub fn flush_volume(s: &mut Session, vid: u16) {
    for (_, f) in s.forks.iter_mut().filter(|(_, f)| f.vid() == vid) {
        if let Err(e) = f.flush().and_then(|()| f.io.sync()) {
            tracing::warn!(name = %String::from_utf8_lossy(&f.name), "FPFlush: {e}");
        }
    }
}

/// The open fork `refnum`; kFPParamErr for an unknown reference (spec §5 conventions,
/// netatalk `of_find`).
fn fork(s: &Session, refnum: u16) -> AfpResult<&OpenFork> {
    s.forks.get(refnum).ok_or(ResultCode::PARAM_ERR)
}

fn fork_mut(s: &mut Session, refnum: u16) -> AfpResult<&mut OpenFork> {
    s.forks.get_mut(refnum).ok_or(ResultCode::PARAM_ERR)
}

/// spec §4.7: "Only the length of the fork that is open may be requested (data fork: bits
/// 9/11; resource fork: bits 10/14); asking for the other one gives kFPBitmapErr."
fn check_len_bits(kind: ForkKind, bitmap: FileBitmap) -> AfpResult<()> {
    let other = match kind {
        ForkKind::Data => FileBitmap::RSRC_FORK_LEN | FileBitmap::EXT_RSRC_FORK_LEN,
        ForkKind::Resource => FileBitmap::DATA_FORK_LEN | FileBitmap::EXT_DATA_FORK_LEN,
    };
    if bitmap.intersects(other) {
        Err(ResultCode::BITMAP_ERR)
    } else {
        Ok(())
    }
}

/// netatalk's mapping of an error opening a fork (`afp_openfork`, `openfork_err`).
fn open_error(e: &std::io::Error, write: bool) -> ResultCode {
    if e.kind() == std::io::ErrorKind::InvalidData {
        return ResultCode::MISC_ERR;
    }
    match e.raw_os_error() {
        // netatalk: "errno == EACCES → (access & OPENACC_WR) ? AFPERR_LOCK : AFPERR_ACCESS"
        Some(libc::EACCES) if write => ResultCode::LOCK_ERR,
        Some(libc::EACCES) | Some(libc::EPERM) => ResultCode::ACCESS_DENIED,
        Some(libc::EROFS) => ResultCode::VOL_LOCKED,
        Some(libc::ENOENT) => ResultCode::OBJECT_NOT_FOUND,
        Some(libc::EMFILE) | Some(libc::ENFILE) => ResultCode::TOO_MANY_FILES_OPEN,
        Some(libc::EISDIR) => ResultCode::OBJECT_TYPE_ERR,
        Some(libc::ENOSPC) | Some(libc::EDQUOT) => ResultCode::DISK_FULL,
        _ => {
            tracing::warn!("opening a fork: {e}");
            ResultCode::PARAM_ERR
        }
    }
}

/// netatalk's mapping of an error writing or truncating a fork (`write_file`,
/// `afp_setforkparams`).
fn write_error(e: &std::io::Error) -> ResultCode {
    match e.raw_os_error() {
        Some(libc::EDQUOT) | Some(libc::EFBIG) | Some(libc::ENOSPC) => ResultCode::DISK_FULL,
        Some(libc::EACCES) | Some(libc::EPERM) => ResultCode::ACCESS_DENIED,
        Some(libc::EROFS) => ResultCode::VOL_LOCKED,
        _ => {
            tracing::warn!("writing a fork: {e}");
            ResultCode::PARAM_ERR
        }
    }
}

// ---------------------------------------------------------------------------------------
// FPOpenFork

fn open_fork(s: &mut Session, r: &command::OpenFork) -> AfpResult {
    let ov = s.volumes.get(r.volume_id)?.clone();
    let mode = r.access_mode;
    let write = mode.contains(AccessMode::WRITE);
    let kind = if r.resource {
        ForkKind::Resource
    } else {
        ForkKind::Data
    };
    // netatalk checks a read-only volume before it looks at the path.
    if write && ov.read_only() {
        return Err(ResultCode::VOL_LOCKED);
    }
    // A path ending at DID 1 names the parent of the root: a directory, not a file.
    let res = ov
        .resolve(r.dir_id, &r.path, s.version)
        .map_err(|e| vfs::or_did1(e, ResultCode::OBJECT_TYPE_ERR))?;
    if res.is_dir() {
        return Err(ResultCode::OBJECT_TYPE_ERR);
    }
    let st = match &res.stat {
        Ok(st) => *st,
        Err(libc::ENOENT) => return Err(ResultCode::OBJECT_NOT_FOUND),
        Err(libc::EACCES) if write => return Err(ResultCode::LOCK_ERR),
        Err(libc::EACCES) => return Err(ResultCode::ACCESS_DENIED),
        Err(_) => return Err(ResultCode::PARAM_ERR),
    };
    let is_link = st.st_mode & libc::S_IFMT == libc::S_IFLNK;
    // netatalk `file_access`: the user's permissions on the file itself, for either fork.
    if !is_link {
        let mut want = rustix::fs::Access::empty();
        if mode.contains(AccessMode::READ) {
            want |= rustix::fs::Access::READ_OK;
        }
        if write {
            want |= rustix::fs::Access::WRITE_OK;
        }
        if !want.is_empty() {
            match rustix::fs::accessat(
                res.dir.fd(),
                res.name.as_slice(),
                want,
                rustix::fs::AtFlags::empty(),
            ) {
                Ok(()) => {}
                Err(rustix::io::Errno::ACCESS) | Err(rustix::io::Errno::PERM) => {
                    return Err(ResultCode::ACCESS_DENIED);
                }
                Err(rustix::io::Errno::ROFS) => return Err(ResultCode::VOL_LOCKED),
                Err(_) => {} // the open below reports it
            }
        }
    }
    if !s.forks.has_room() {
        return Err(ResultCode::TOO_MANY_FILES_OPEN);
    }
    let meta = res.meta();
    let invisible = ov.vol.invisible_dot(&res.name);
    let (io, file) = match kind {
        ForkKind::Data => {
            let (io, fst) =
                open_data(res.dir.fd(), &res.name, write).map_err(|e| open_error(&e, write))?;
            (io, FileId::of(&fst))
        }
        ForkKind::Resource => {
            let fi = meta.finder_info(&st, invisible);
            let io = open_resource(res.dir.fd(), &res.name, write, st.st_mode, fi)
                .map_err(|e| open_error(&e, write))?;
            (io, FileId::of(&st))
        }
    };
    check_len_bits(kind, r.bitmap)?;
    let usage = s.ctx.locks.usage(file);
    let params = ov.file_params_of(
        &res,
        r.bitmap,
        s.user.as_ref(),
        s.version,
        (usage.data.is_open(), usage.resource.is_open()),
    )?;
    let reply = |fork: u16| {
        let mut b = BytesMut::new();
        OpenForkReply {
            fork,
            params: params.clone(),
        }
        .encode(&mut b);
        b.freeze()
    };
    // spec §8.2: "A file whose WriteInhibit attribute is set cannot be opened for write
    // (kFPObjectLocked)." netatalk sends the parameters with fork 0, as for a conflict.
    if write && meta.attributes(false, invisible) & attr::WRITE_INHIBIT != 0 {
        return Ok(Outcome::with(ResultCode::OBJECT_LOCKED, reply(0)));
    }
    // spec §8.2: "A failed open on kFPDenyConflict still returns the file parameters with
    // ref 0."
    let lease = match s.ctx.locks.open(s.id, file, kind, mode) {
        Ok(l) => l,
        Err(_) => return Ok(Outcome::with(ResultCode::DENY_CONFLICT, reply(0))),
    };
    let refnum = s.forks.insert(OpenFork {
        vol: ov,
        dir: res.dir.clone(),
        name: res.name.clone(),
        lease,
        io,
        dirty: false,
    })?;
    Ok(Outcome::ok(reply(refnum)))
}

// ---------------------------------------------------------------------------------------
// FPCloseFork, FPFlushFork, FPSyncFork

fn close_fork(s: &mut Session, refnum: u16) -> AfpResult {
    let mut f = s.forks.remove(refnum).ok_or(ResultCode::PARAM_ERR)?;
    // spec §5.8: closing "releases the fork's byte-range locks" (dropping `f` does).
    if let Err(e) = f.flush() {
        tracing::warn!(name = %String::from_utf8_lossy(&f.name), "FPCloseFork: {e}");
    }
    Ok(Outcome::done())
}

fn flush_fork(s: &mut Session, refnum: u16, sync: bool) -> AfpResult {
    let f = fork_mut(s, refnum)?;
    // netatalk `flushfork`: header and date, then fsync. spec §5.8 FPSyncFork: "[N] fsyncs
    // and returns kFPMiscErr on failure"; FPFlushFork logs and succeeds.
    if let Err(e) = f.flush().and_then(|()| f.io.sync()) {
        tracing::warn!(name = %String::from_utf8_lossy(&f.name), sync, "flushing a fork: {e}");
        if sync {
            return Err(ResultCode::MISC_ERR);
        }
    }
    Ok(Outcome::done())
}

// ---------------------------------------------------------------------------------------
// FPGetForkParms, FPSetForkParms

fn get_fork_parms(s: &mut Session, refnum: u16, bitmap: FileBitmap) -> AfpResult {
    let f = fork(s, refnum)?;
    check_len_bits(f.kind(), bitmap)?;
    let res = f.locate()?;
    let file = f.file().ok_or(ResultCode::PARAM_ERR)?;
    let usage = s.ctx.locks.usage(file);
    // The lengths come from the file as it is now (data: its stat; resource: its sidecar),
    // which is what this fork reads and writes.
    let p = f.vol.file_params_of(
        &res,
        bitmap,
        s.user.as_ref(),
        s.version,
        (usage.data.is_open(), usage.resource.is_open()),
    )?;
    let mut b = BytesMut::new();
    Reply::GetForkParms(p).encode(&mut b);
    Ok(Outcome::ok(b.freeze()))
}

fn set_fork_parms(s: &mut Session, r: &SetForkParms) -> AfpResult {
    let version = s.version;
    let f = fork_mut(s, r.fork)?;
    if f.vol.read_only() {
        return Err(ResultCode::VOL_LOCKED);
    }
    if !f.can_write() {
        return Err(ResultCode::ACCESS_DENIED);
    }
    check_len_bits(f.kind(), r.bitmap)?;
    let ext = FileBitmap::EXT_DATA_FORK_LEN | FileBitmap::EXT_RSRC_FORK_LEN;
    // spec §5.8: "kFPBitmapErr (other fork's bit, or 64-bit bits before AFP 3)".
    if r.bitmap.intersects(ext) && !version.is_afp3() {
        return Err(ResultCode::BITMAP_ERR);
    }
    // netatalk `afp_setforkparams` reads a 64-bit length when a 64-bit length bit is set
    // and a sign-extended 32-bit one otherwise, rejects a short block and a negative
    // length (kFPParamErr), and only then insists on exactly one length bit.
    let wide = r.bitmap.intersects(ext);
    let size: i64 = if wide {
        let b: [u8; 8] = r
            .params
            .get(..8)
            .and_then(|b| b.try_into().ok())
            .ok_or(ResultCode::PARAM_ERR)?;
        i64::from_be_bytes(b)
    } else {
        let b: [u8; 4] = r
            .params
            .get(..4)
            .and_then(|b| b.try_into().ok())
            .ok_or(ResultCode::PARAM_ERR)?;
        i64::from(i32::from_be_bytes(b))
    };
    // spec §5.8: "kFPParamErr (negative)".
    let size = u64::try_from(size).map_err(|_| ResultCode::PARAM_ERR)?;
    // "FPSetForkParms sets only the open fork's length (exactly one length bit)."
    if ![
        FileBitmap::DATA_FORK_LEN,
        FileBitmap::RSRC_FORK_LEN,
        FileBitmap::EXT_DATA_FORK_LEN,
        FileBitmap::EXT_RSRC_FORK_LEN,
    ]
    .contains(&r.bitmap)
    {
        return Err(ResultCode::BITMAP_ERR);
    }
    let old = f.io.len().map_err(|e| write_error(&e))?;
    if size < old {
        // spec §5.8: "kFPLockErr (truncating a range locked by someone else)".
        let range = ByteRange::new(size, old - size).ok_or(ResultCode::PARAM_ERR)?;
        let _busy = f.lease.begin_write(range).map_err(LockError::result_code)?;
        f.io.set_len(size).map_err(|e| write_error(&e))?;
    } else if size > old {
        f.vol.vol.check_room(size - old)?;
        f.io.set_len(size).map_err(|e| write_error(&e))?;
        f.vol.vol.note_growth(size - old);
    }
    f.dirty = true;
    Ok(Outcome::done())
}

// ---------------------------------------------------------------------------------------
// FPRead, FPReadExt

fn read(s: &mut Session, refnum: u16, offset: i64, count: i64, newline: (u8, u8)) -> AfpResult {
    let f = fork(s, refnum)?;
    // spec §5.8: "kFPAccessDenied if not open for reading; kFPParamErr for negative values".
    if !f.can_read() {
        return Err(ResultCode::ACCESS_DENIED);
    }
    if offset < 0 || count < 0 {
        return Err(ResultCode::PARAM_ERR);
    }
    // "ReqCount 0 → zero bytes, kFPNoErr ([N])."
    if count == 0 {
        return Ok(Outcome::done());
    }
    let (offset, count) = (offset as u64, count as u64);
    if let ForkIo::Link(target) = &f.io {
        return Ok(read_link(target, offset, count));
    }
    let Some(range) = ByteRange::new(offset, count.min(ByteRange::MAX_END.saturating_sub(offset)))
    else {
        return Ok(Outcome::err(ResultCode::EOF_ERR));
    };
    // spec §8.3: "A read that reaches a range locked by another fork returns the bytes
    // before that range with kFPLockErr".
    let guard = f.lease.begin_read(range).map_err(LockError::result_code)?;
    let stop = guard.limit().unwrap_or(range.end());
    let want = (stop - offset).min(READ_MAX as u64) as usize;
    let mut data = f.io.read(offset, want).map_err(|e| {
        tracing::warn!(name = %String::from_utf8_lossy(&f.name), "reading a fork: {e}");
        ResultCode::PARAM_ERR
    })?;
    drop(guard);
    let (mask, ch) = newline;
    // FPRead newline mode ([A-3.1]; netatalk `read_file`): stop after the first byte b
    // with b & mask == char.
    if mask != 0
        && let Some(i) = data.iter().position(|&b| b & mask == ch)
    {
        data.truncate(i + 1);
        return Ok(Outcome::ok(data));
    }
    let code = if stop < range.end() {
        ResultCode::LOCK_ERR
    } else if data.len() < want
        || (data.len() as u64) < count
            && f.io
                .len()
                .is_ok_and(|len| offset + (data.len() as u64) >= len)
    {
        // spec §5.8: "kFPEOFErr (-5009) together with the bytes that were read" when the
        // request reaches past the end of the fork (also when the read limit cut it).
        ResultCode::EOF_ERR
    } else {
        ResultCode::NO_ERR
    };
    Ok(Outcome::with(code, data))
}

/// Reading a symlink's data fork, as netatalk's `ad_read` does it: past the end nothing
/// (kFPEOFErr); otherwise the whole target, or kFPParamErr when ReqCount cannot hold it.
fn read_link(target: &Bytes, offset: u64, count: u64) -> Outcome {
    let len = target.len() as u64;
    if offset >= len {
        Outcome::err(ResultCode::EOF_ERR)
    } else if count < len {
        Outcome::err(ResultCode::PARAM_ERR)
    } else if count > len {
        Outcome::with(ResultCode::EOF_ERR, target.clone())
    } else {
        Outcome::ok(target.clone())
    }
}

// ---------------------------------------------------------------------------------------
// FPWrite, FPWriteExt

/// Writes the DSIWrite data to `io` at `offset`, each piece as it arrives, stopping after
/// `count` bytes or when the data ends. Returns the bytes written and the error that
/// stopped it, if any.
pub fn write_stream(
    io: &ForkIo,
    offset: u64,
    count: u64,
    src: &mut dyn WriteSource,
) -> (u64, std::io::Result<()>) {
    let mut done = 0u64;
    while done < count {
        let Some(piece) = src.next_chunk() else { break };
        let take = piece.len().min((count - done) as usize);
        if let Err(e) = io.write_all(offset + done, &piece[..take]) {
            return (done, Err(e));
        }
        done += take as u64;
    }
    (done, Ok(()))
}

#[allow(clippy::too_many_arguments)]
fn write(
    s: &mut Session,
    width: Width,
    start_end: bool,
    refnum: u16,
    offset: i64,
    count: i64,
    data: Option<&mut (dyn WriteSource + '_)>,
) -> AfpResult {
    let f = fork_mut(s, refnum)?;
    if !f.can_write() {
        return Err(ResultCode::ACCESS_DENIED);
    }
    let old = f.io.len().map_err(|e| write_error(&e))?;
    // spec §5.8: "StartEndFlag (Offset relative to end of fork)".
    let offset = if start_end {
        offset
            .checked_add(i64::try_from(old).unwrap_or(i64::MAX))
            .ok_or(ResultCode::DISK_FULL)?
    } else {
        offset
    };
    if count < 0 || offset < 0 {
        return Err(ResultCode::PARAM_ERR);
    }
    // spec §5.8: "kFPDiskFull (also when offset + count overflows, [N])" — for the 32-bit
    // call that is past 2^31 - 1.
    let end = offset.checked_add(count).ok_or(ResultCode::DISK_FULL)?;
    if width == Width::W32 && end > i64::from(i32::MAX) {
        return Err(ResultCode::DISK_FULL);
    }
    let mut reply = BytesMut::with_capacity(8);
    // "ReqCount 0 → kFPNoErr with LastWritten = Offset."
    if count == 0 {
        width.put(offset as u64, &mut reply);
        return Ok(Outcome::ok(reply.freeze()));
    }
    let (offset, end) = (offset as u64, end as u64);
    let range = ByteRange::new(offset, end - offset).ok_or(ResultCode::DISK_FULL)?;
    // spec §10.4: writes past `vol size limit` get the disk-full error, before anything is
    // written.
    let growth = end.saturating_sub(old);
    f.vol.vol.check_room(growth)?;
    // spec §8.3: "a write overlapping such a range writes nothing and returns kFPLockErr".
    let busy = f.lease.begin_write(range).map_err(LockError::result_code)?;
    let src = data.ok_or(ResultCode::PARAM_ERR)?;
    let (done, result) = write_stream(&f.io, offset, end - offset, src);
    drop(busy);
    if done > 0 || result.is_err() {
        f.dirty = true;
    }
    if let Err(e) = result {
        let code = write_error(&e);
        if code == ResultCode::DISK_FULL {
            // Nothing half-written stays unreported: the error says so, and the part that
            // grew the fork is cut off again.
            if f.io.len().is_ok_and(|l| l > old)
                && let Err(e) = f.io.set_len(old)
            {
                tracing::warn!("undoing a partial write: {e}");
            }
        } else {
            f.vol.vol.note_growth((offset + done).saturating_sub(old));
        }
        return Err(code);
    }
    f.vol.vol.note_growth((offset + done).saturating_sub(old));
    width.put(offset + done, &mut reply);
    Ok(Outcome::ok(reply.freeze()))
}

// ---------------------------------------------------------------------------------------
// FPByteRangeLock, FPByteRangeLockExt

fn byte_range_lock(
    s: &mut Session,
    width: Width,
    flags: LockFlags,
    refnum: u16,
    offset: i64,
    length: i64,
) -> AfpResult {
    let f = fork(s, refnum)?;
    // spec §8.3: "Length all ones … means to the largest possible offset; 0 or another
    // negative length → kFPParamErr."
    let to_max = length == -1;
    if !to_max && length <= 0 {
        return Err(ResultCode::PARAM_ERR);
    }
    // "Offset is from the start of the fork, or, with the StartEndFlag (0x80), from the
    // current end of fork" (netatalk applies it to unlocks too).
    let offset = if flags.contains(LockFlags::START_END) {
        let len = f.io.len().map_err(|_| ResultCode::PARAM_ERR)?;
        offset
            .checked_add(i64::try_from(len).unwrap_or(i64::MAX))
            .ok_or(ResultCode::PARAM_ERR)?
    } else {
        offset
    };
    // "A resulting negative start → kFPParamErr."
    let start = u64::try_from(offset).map_err(|_| ResultCode::PARAM_ERR)?;
    let range = if to_max {
        ByteRange::to_max(start)
    } else {
        ByteRange::new(start, length as u64)
    }
    .ok_or(ResultCode::PARAM_ERR)?;
    if flags.contains(LockFlags::UNLOCK) {
        f.lease.unlock(range)
    } else {
        f.lease.lock(range)
    }
    .map_err(LockError::result_code)?;
    let mut reply = BytesMut::with_capacity(8);
    width.put(start, &mut reply);
    Ok(Outcome::ok(reply.freeze()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forks::open_data;
    use std::os::fd::AsFd;

    /// A DSIWrite stream that, before handing out each piece, checks that every piece it
    /// handed out before is already in the file: the handler never holds more than one
    /// piece (the API guarantees it; this shows the handler uses it that way).
    struct Checked<'a> {
        pieces: Vec<Bytes>,
        next: usize,
        file: &'a std::path::Path,
        base: u64,
    }

    impl WriteSource for Checked<'_> {
        fn len(&self) -> u64 {
            self.pieces.iter().map(|p| p.len() as u64).sum()
        }

        fn next_chunk(&mut self) -> Option<Bytes> {
            let on_disk = std::fs::read(self.file).unwrap();
            let before: Vec<u8> = self.pieces[..self.next.min(self.pieces.len())].concat();
            let at = self.base as usize;
            if !before.is_empty() {
                assert!(
                    on_disk.len() >= at + before.len(),
                    "piece {} not written yet",
                    self.next - 1
                );
                assert_eq!(&on_disk[at..at + before.len()], &before[..]);
            }
            let p = self.pieces.get(self.next).cloned();
            self.next += 1;
            p
        }
    }

    #[test]
    fn writes_each_piece_as_it_arrives() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("f");
        std::fs::write(&path, b"").unwrap();
        let dir = std::fs::File::open(d.path()).unwrap();
        let (io, _) = open_data(dir.as_fd(), b"f", true).unwrap();
        // 1 MiB in 64 KiB pieces, as the network task delivers a DSIWrite.
        let pieces: Vec<Bytes> = (0..16u8).map(|i| Bytes::from(vec![i; 64 << 10])).collect();
        let mut src = Checked {
            pieces,
            next: 0,
            file: &path,
            base: 100,
        };
        let (done, r) = write_stream(&io, 100, 1 << 20, &mut src);
        r.unwrap();
        assert_eq!(done, 1 << 20);
        assert_eq!(src.next, 16, "no piece read beyond the count");
        let all = std::fs::read(&path).unwrap();
        assert_eq!(all.len(), 100 + (1 << 20));
        assert!(
            all[100..]
                .chunks(64 << 10)
                .enumerate()
                .all(|(i, c)| c.iter().all(|&b| b == i as u8))
        );
    }

    #[test]
    fn a_stream_stops_at_the_count_or_when_data_ends() {
        struct Pieces(Vec<Bytes>);
        impl WriteSource for Pieces {
            fn len(&self) -> u64 {
                0
            }
            fn next_chunk(&mut self) -> Option<Bytes> {
                (!self.0.is_empty()).then(|| self.0.remove(0))
            }
        }
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("f"), b"").unwrap();
        let dir = std::fs::File::open(d.path()).unwrap();
        let (io, _) = open_data(dir.as_fd(), b"f", true).unwrap();
        let mut more = Pieces(vec![
            Bytes::from_static(b"abcdef"),
            Bytes::from_static(b"gh"),
        ]);
        assert_eq!(write_stream(&io, 0, 4, &mut more).0, 4);
        let mut short = Pieces(vec![Bytes::from_static(b"xy")]);
        let (n, r) = write_stream(&io, 10, 5, &mut short);
        assert!(r.is_ok());
        assert_eq!(n, 2);
        assert_eq!(
            std::fs::read(d.path().join("f")).unwrap(),
            b"abcd\0\0\0\0\0\0xy"
        );
        let (ro, _) = open_data(dir.as_fd(), b"f", false).unwrap();
        let mut one = Pieces(vec![Bytes::from_static(b"z")]);
        let (n, r) = write_stream(&ro, 0, 1, &mut one);
        assert_eq!(n, 0);
        assert!(r.is_err());
    }

    #[test]
    fn symlink_reads_follow_netatalk() {
        let t = Bytes::from_static(b"verylonglinkname");
        assert_eq!(read_link(&t, 0, 8).result, ResultCode::PARAM_ERR);
        let whole = read_link(&t, 0, 16);
        assert_eq!(
            (whole.result, &whole.payload[..]),
            (ResultCode::NO_ERR, &t[..])
        );
        assert_eq!(read_link(&t, 0, 100).result, ResultCode::EOF_ERR);
        assert_eq!(read_link(&t, 16, 100), Outcome::err(ResultCode::EOF_ERR));
    }

    #[test]
    fn error_mappings() {
        let e = |n| std::io::Error::from_raw_os_error(n);
        assert_eq!(open_error(&e(libc::EACCES), true), ResultCode::LOCK_ERR);
        assert_eq!(
            open_error(&e(libc::EACCES), false),
            ResultCode::ACCESS_DENIED
        );
        assert_eq!(
            open_error(&e(libc::EMFILE), false),
            ResultCode::TOO_MANY_FILES_OPEN
        );
        assert_eq!(open_error(&e(libc::EROFS), true), ResultCode::VOL_LOCKED);
        assert_eq!(open_error(&e(libc::EIO), true), ResultCode::PARAM_ERR);
        assert_eq!(write_error(&e(libc::ENOSPC)), ResultCode::DISK_FULL);
        assert_eq!(write_error(&e(libc::EDQUOT)), ResultCode::DISK_FULL);
        assert_eq!(write_error(&e(libc::EFBIG)), ResultCode::DISK_FULL);
        assert_eq!(write_error(&e(libc::EIO)), ResultCode::PARAM_ERR);
        assert_eq!(
            check_len_bits(ForkKind::Data, FileBitmap::RSRC_FORK_LEN),
            Err(ResultCode::BITMAP_ERR)
        );
        assert_eq!(
            check_len_bits(ForkKind::Resource, FileBitmap::EXT_DATA_FORK_LEN),
            Err(ResultCode::BITMAP_ERR)
        );
        assert!(check_len_bits(ForkKind::Data, FileBitmap::EXT_DATA_FORK_LEN).is_ok());
        let mut b = BytesMut::new();
        Width::W32.put(0x1_0000_0005, &mut b);
        Width::W64.put(0x1_0000_0005, &mut b);
        assert_eq!(&b[..], &[0, 0, 0, 5, 0, 0, 0, 1, 0, 0, 0, 5]);
    }
}
