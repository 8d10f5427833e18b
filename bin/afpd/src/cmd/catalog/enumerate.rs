//! FPEnumerate, FPEnumerateExt, FPEnumerateExt2 (spec §5.4; netatalk `enumerate()` in
//! `etc/afpd/enumerate.c`).
//!
//! The directory is listed once into a per-session snapshot (when StartIndex is 1 or
//! another directory is asked for); later calls page through it. Each entry is `lstat`ed
//! when it is packed (entries that vanished are skipped), its CNID comes from the store's
//! read-only hot path, and its metadata is read only when the bitmap asks for something
//! stored there. Replies are built with [`EnumerateReplyWriter`] within MaxReplySize.

use afp_proto::ResultCode;
use afp_proto::command::{
    EntryLength, Enumerate, EnumerateExt, EnumerateExt2, EnumerateReplyWriter, PushError,
};
use afp_proto::params::{DirBitmap, FileBitmap, FileDirParams};
use bytes::BytesMut;
use cnid::Cnid;

use super::{asker, vol};
use crate::cmd::{AfpResult, Outcome, finish};
use crate::session::Session;
use crate::vfs::meta::{self, Meta};
use crate::vfs::{DirRef, EnumSnapshot, Obj, OpenVolume, forks_open_state, names, or_did1, sys};

/// The arguments common to the three calls.
struct Args<'a> {
    vid: u16,
    did: u32,
    file_bitmap: FileBitmap,
    dir_bitmap: DirBitmap,
    req_count: u32,
    start_index: u32,
    max_reply: usize,
    path: &'a afp_proto::Path,
    form: EntryLength,
}

/// FPEnumerate (9): 1-byte entry lengths.
pub fn enumerate(s: &mut Session, c: &Enumerate) -> Outcome {
    finish(run(
        s,
        &Args {
            vid: c.volume_id,
            did: c.dir_id,
            file_bitmap: c.file_bitmap,
            dir_bitmap: c.dir_bitmap,
            req_count: u32::from(c.req_count),
            start_index: u32::from(c.start_index),
            max_reply: usize::from(c.max_reply_size),
            path: &c.path,
            form: EntryLength::Short,
        },
    ))
}

/// FPEnumerateExt (66).
pub fn enumerate_ext(s: &mut Session, c: &EnumerateExt) -> Outcome {
    finish(run(
        s,
        &Args {
            vid: c.volume_id,
            did: c.dir_id,
            file_bitmap: c.file_bitmap,
            dir_bitmap: c.dir_bitmap,
            req_count: u32::from(c.req_count),
            start_index: u32::from(c.start_index),
            max_reply: usize::from(c.max_reply_size),
            path: &c.path,
            form: EntryLength::Long,
        },
    ))
}

/// FPEnumerateExt2 (68): 32-bit StartIndex and MaxReplySize.
pub fn enumerate_ext2(s: &mut Session, c: &EnumerateExt2) -> Outcome {
    finish(run(
        s,
        &Args {
            vid: c.volume_id,
            did: c.dir_id,
            file_bitmap: c.file_bitmap,
            dir_bitmap: c.dir_bitmap,
            req_count: u32::from(c.req_count),
            start_index: c.start_index,
            max_reply: usize::try_from(c.max_reply_size).unwrap_or(usize::MAX),
            path: &c.path,
            form: EntryLength::Long,
        },
    ))
}

/// Entries prepared (and new IDs allocated) together.
const WINDOW: usize = 512;

/// The largest reply we build, whatever the client allows (a DSI reply must fit the
/// quantum the client offered; 1 MiB is below every quantum in use).
const REPLY_CAP: usize = 1 << 20;

/// Bits whose values come from the metadata attribute.
fn file_needs_meta(b: FileBitmap) -> bool {
    b.intersects(
        FileBitmap::ATTRIBUTES
            | FileBitmap::CREATE_DATE
            | FileBitmap::MOD_DATE
            | FileBitmap::BACKUP_DATE
            | FileBitmap::FINDER_INFO,
    )
}

fn dir_needs_meta(b: DirBitmap) -> bool {
    b.intersects(
        DirBitmap::ATTRIBUTES
            | DirBitmap::CREATE_DATE
            | DirBitmap::MOD_DATE
            | DirBitmap::BACKUP_DATE
            | DirBitmap::FINDER_INFO,
    )
}

fn run(s: &mut Session, a: &Args<'_>) -> AfpResult {
    let ov = vol(s, a.vid)?;
    // netatalk: a missing directory is kFPDirNotFound here.
    let nodir = |e: ResultCode| {
        if e == ResultCode::OBJECT_NOT_FOUND {
            ResultCode::DIR_NOT_FOUND
        } else {
            e
        }
    };
    if a.did != 1 {
        ov.dir(a.did).map_err(nodir)?;
    }
    // spec §5.4: "both 0 → kFPBitmapErr".
    if a.file_bitmap.is_empty() && a.dir_bitmap.is_empty() {
        return Err(ResultCode::BITMAP_ERR);
    }
    let r = ov
        .resolve(a.did, a.path, s.version)
        .map_err(|e| or_did1(nodir(e), ResultCode::OBJECT_NOT_FOUND))?;
    let Some(dir) = r.target.clone() else {
        // netatalk `path_error`: a file is kFPObjectTypeErr, a missing name kFPDirNotFound.
        return Err(match r.stat {
            Ok(_) => ResultCode::OBJECT_TYPE_ERR,
            Err(libc::EACCES) => ResultCode::ACCESS_DENIED,
            Err(_) => ResultCode::DIR_NOT_FOUND,
        });
    };
    // spec §5.4: "StartIndex 0 → kFPParamErr ([N])".
    if a.start_index == 0 {
        return Err(ResultCode::PARAM_ERR);
    }
    let max_reply = a.max_reply.min(REPLY_CAP);

    // The snapshot: taken at StartIndex 1 or for another directory.
    let fresh = match &s.volumes.enum_snapshot {
        Some(snap) => a.start_index == 1 || snap.vid != a.vid || snap.did != dir.did,
        None => true,
    };
    if fresh {
        s.volumes.enum_snapshot = None;
        let names = list(&ov, &dir)?;
        s.volumes.enum_snapshot = Some(EnumSnapshot {
            vid: a.vid,
            did: dir.did,
            names,
            next_index: 1,
            pos: 0,
        });
    }
    let mut snap = s.volumes.enum_snapshot.take().ok_or(ResultCode::MISC_ERR)?;
    if a.start_index < snap.next_index {
        snap.next_index = 1;
        snap.pos = 0;
    }
    while snap.next_index < a.start_index {
        if snap.pos >= snap.names.len() {
            // Past the end: the snapshot is dropped (netatalk invalidates it too).
            return Err(ResultCode::OBJECT_NOT_FOUND);
        }
        snap.pos += 1;
        snap.next_index += 1;
    }

    let mut out = BytesMut::with_capacity(max_reply.min(64 * 1024));
    let mut w = EnumerateReplyWriter::new(&mut out, a.form, a.file_bitmap, a.dir_bitmap, max_reply);
    let who = asker(s);
    let fmeta = file_needs_meta(a.file_bitmap);
    let dmeta = dir_needs_meta(a.dir_bitmap);
    let mut pos = snap.pos;
    let mut count: u32 = 0;
    let mut full = false;
    // Entries are prepared a window at a time so that the IDs of new objects are
    // allocated in one store transaction per window.
    while !full && pos < snap.names.len() && count < a.req_count {
        let want = usize::try_from(a.req_count - count).unwrap_or(usize::MAX);
        let window_end = snap.names.len().min(pos + want.clamp(1, WINDOW));
        let mut items: Vec<(usize, rustix::fs::Stat, String, Meta)> = Vec::new();
        for (i, name) in snap.names[pos..window_end].iter().enumerate() {
            // Gone since the listing, or not a name the client can see: skipped.
            let Ok(st) = sys::stat_at(dir.fd(), name) else {
                continue;
            };
            let Some(mac) = names::disk_to_mac(name) else {
                continue;
            };
            let is_dir = sys::is_dir(&st);
            if (is_dir && a.dir_bitmap.is_empty()) || (!is_dir && a.file_bitmap.is_empty()) {
                continue;
            }
            let m = if (is_dir && dmeta) || (!is_dir && fmeta) {
                meta::read(dir.fd(), name)
            } else {
                Meta::default()
            };
            items.push((pos + i, st, mac, m));
        }
        let keys: Vec<(&[u8], &rustix::fs::Stat)> = items
            .iter()
            .map(|(i, st, _, _)| (snap.names[*i].as_slice(), st))
            .collect();
        let metas: Vec<Option<&Meta>> = items
            .iter()
            .map(|(_, st, _, m)| {
                let read = if sys::is_dir(st) { dmeta } else { fmeta };
                read.then_some(m)
            })
            .collect();
        let ids = ov.vol.object_ids(&dir, &keys, &metas)?;
        let mut next = window_end;
        for ((i, st, mac, m), id) in items.iter().zip(ids) {
            let name = &snap.names[*i];
            let entry = if sys::is_dir(st) {
                ov.vol.remember_dir(&dir, name, st, id);
                let child = if a.dir_bitmap.contains(DirBitmap::OFFSPRING_COUNT) {
                    sys::open_child_dir(dir.fd(), name).ok()
                } else {
                    None
                };
                let o = Obj {
                    dir: dir.fd(),
                    name,
                    mac_name: mac,
                    parent_id: dir.did,
                    id,
                    st,
                    meta: m,
                    self_fd: child.as_ref().map(|f| std::os::fd::AsFd::as_fd(f)),
                    forks_open: (false, false),
                };
                FileDirParams::Dir(ov.vol.dir_params(&o, a.dir_bitmap, who)?)
            } else {
                let o = Obj {
                    dir: dir.fd(),
                    name,
                    mac_name: mac,
                    parent_id: dir.did,
                    id,
                    st,
                    meta: m,
                    self_fd: None,
                    forks_open: forks_open_state(&s.ctx.locks, ov.vol.key(), st),
                };
                FileDirParams::File(ov.vol.file_params(&o, a.file_bitmap, who)?)
            };
            match w.push(&entry) {
                Ok(()) => count += 1,
                Err(PushError::Full) | Err(PushError::TooLarge) if count > 0 => {
                    next = *i;
                    full = true;
                    break;
                }
                // spec §5.4: "First entry larger than MaxReplySize → kFPParamErr".
                Err(_) => return Err(ResultCode::PARAM_ERR),
            }
            if count >= a.req_count {
                next = *i + 1;
                break;
            }
        }
        pos = next;
    }
    if count == 0 {
        return Err(ResultCode::OBJECT_NOT_FOUND);
    }
    snap.next_index = a.start_index.saturating_add(count);
    snap.pos = pos;
    s.volumes.enum_snapshot = Some(snap);
    Ok(Outcome::ok(out.freeze()))
}

/// Lists a directory for a snapshot: every visible entry (netatalk's own names, vetoed
/// names and names that are not valid UTF-8 are left out).
fn list(ov: &OpenVolume, dir: &DirRef) -> AfpResult<Vec<Vec<u8>>> {
    let entries = sys::read_dir(dir.fd()).map_err(|e| match sys::errno(&e) {
        libc::EACCES | libc::EPERM => ResultCode::ACCESS_DENIED,
        libc::ENOTDIR => ResultCode::OBJECT_TYPE_ERR,
        libc::ENOMEM => ResultCode::MISC_ERR,
        _ => ResultCode::DIR_NOT_FOUND,
    })?;
    let root = dir.did == Cnid::ROOT;
    Ok(entries
        .into_iter()
        .map(|(n, _)| n)
        .filter(|n| std::str::from_utf8(n).is_ok() && !ov.vol.hidden.hides(dir.fd(), n, root))
        .collect())
}
