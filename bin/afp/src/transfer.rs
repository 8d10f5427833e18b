//! `get` and `put`: files and trees, resumable, with modification times, extended
//! attributes and resource forks.
//!
//! * Data moves in server-quantum pieces with `window` requests in flight
//!   ([`crate::fork::Fork::read_to`], [`crate::fork::Fork::write_from`]).
//! * `resume` (`--continue`): a destination shorter than the source is taken as a correct
//!   prefix and completed from its length (the fork offsets); equal lengths count as done;
//!   a longer destination is rewritten. Downloads write strictly in order, and the server
//!   applies one session's writes in order, so an interrupted transfer always leaves a
//!   prefix.
//! * Modification times are copied both ways (files and directories; directories last,
//!   deepest first, since creating children changes them).
//! * `xattrs`: see [`crate::xattr`] for the mapping.
//! * In a tree, a file that fails is reported through [`Progress::warn`] and counted; the
//!   transfer goes on unless the connection is gone. The result is then
//!   [`Error::Partial`].

use std::fs::{self, File, FileTimes, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use bytes::Bytes;

use afp_proto::ResultCode;
use afp_proto::command::AccessMode;
use afp_proto::params::FinderInfo;

use crate::client::{Entry, ROOT_DID, Volume, show};
use crate::error::{Error, Result};
use crate::fork::ForkKind;
use crate::xattr;

/// What a transfer reports while it runs.
pub trait Progress: Send + Sync {
    /// A file starts; `size` bytes will be counted for it (including a resumed prefix).
    fn file(&self, name: &str, size: u64) {
        let _ = (name, size);
    }
    /// `bytes` more were transferred (or found already there when resuming).
    fn advance(&self, bytes: u64) {
        let _ = bytes;
    }
    /// Something went wrong with one file; the transfer goes on.
    fn warn(&self, message: &str) {
        let _ = message;
    }
}

/// A [`Progress`] that reports nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// How to transfer.
#[derive(Debug, Clone)]
pub struct TransferOptions {
    /// Copy directories and their contents.
    pub recursive: bool,
    /// Complete partial destinations instead of starting over.
    pub resume: bool,
    /// Copy extended attributes, resource forks and Finder info.
    pub xattrs: bool,
    /// Requests in flight per file.
    pub window: usize,
}

impl Default for TransferOptions {
    fn default() -> Self {
        TransferOptions {
            recursive: false,
            resume: false,
            xattrs: false,
            window: 8,
        }
    }
}

/// What a transfer did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Stats {
    /// Files whose data was transferred (fully or the missing part).
    pub files: u64,
    /// Directories created or entered.
    pub dirs: u64,
    /// Bytes that crossed the network.
    pub bytes: u64,
    /// Files already complete (resume).
    pub skipped: u64,
    /// Files or directories that failed.
    pub failed: usize,
}

fn local_err<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> Error + 'a {
    move |e| Error::local(op, path, e)
}

/// A name from the server must be one path component: no `/`, not `.` or `..`.
fn safe_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains('/') && !name.contains('\0')
}

fn set_local_times(path: &Path, modified: Option<SystemTime>) -> io::Result<()> {
    let Some(t) = modified else {
        return Ok(());
    };
    let f = File::open(path)?;
    f.set_times(FileTimes::new().set_modified(t).set_accessed(t))
}

/// Downloads `remote` (a path in `volume`) to `local` (the exact destination path).
pub async fn download(
    volume: &Volume,
    remote: &[String],
    local: &Path,
    options: &TransferOptions,
    progress: &dyn Progress,
) -> Result<Stats> {
    let entry = volume.stat(ROOT_DID, remote).await?;
    let mut stats = Stats::default();
    if !entry.is_dir() {
        let n = download_file(volume, ROOT_DID, remote, &entry, local, options, progress).await?;
        count(&mut stats, n);
        return Ok(stats);
    }
    if !options.recursive {
        return Err(Error::Usage(format!(
            "{} is a directory (use -r to copy it)",
            show(remote)
        )));
    }
    // Depth-first with an explicit stack; directory times are set at the end.
    let mut stack = vec![(entry.node_id, remote.to_vec(), local.to_path_buf())];
    let mut dir_times: Vec<(PathBuf, Option<SystemTime>)> =
        vec![(local.to_path_buf(), entry.modified)];
    while let Some((did, rpath, lpath)) = stack.pop() {
        if let Err(e) = fs::create_dir_all(&lpath) {
            progress.warn(&format!("create {}: {e}", lpath.display()));
            stats.failed += 1;
            continue;
        }
        stats.dirs += 1;
        let children = match volume.list(did, &[]).await {
            Ok(c) => c,
            Err(e) if e.is_fatal() => return Err(e),
            Err(e) => {
                progress.warn(&e.to_string());
                stats.failed += 1;
                continue;
            }
        };
        for child in children {
            if !safe_name(&child.name) {
                progress.warn(&format!(
                    "{}: the server sent an unusable name {:?}; skipped",
                    show(&rpath),
                    child.name
                ));
                stats.failed += 1;
                continue;
            }
            let mut cr = rpath.clone();
            cr.push(child.name.clone());
            let cl = lpath.join(&child.name);
            if child.is_dir() {
                dir_times.push((cl.clone(), child.modified));
                stack.push((child.node_id, cr, cl));
                continue;
            }
            let name = [child.name.clone()];
            match download_file(volume, did, &name, &child, &cl, options, progress).await {
                Ok(n) => count(&mut stats, n),
                Err(e) if e.is_fatal() => return Err(e),
                Err(e) => {
                    progress.warn(&format!("{}: {e}", show(&cr)));
                    stats.failed += 1;
                }
            }
        }
    }
    for (p, t) in dir_times.iter().rev() {
        if let Err(e) = set_local_times(p, *t) {
            progress.warn(&format!("set times of {}: {e}", p.display()));
        }
    }
    finish(stats)
}

fn finish(stats: Stats) -> Result<Stats> {
    if stats.failed > 0 {
        return Err(Error::Partial {
            failed: stats.failed,
            total: stats.failed + stats.files as usize + stats.skipped as usize,
        });
    }
    Ok(stats)
}

/// `None`: skipped (already complete); `Some(n)`: `n` bytes transferred.
fn count(stats: &mut Stats, n: Option<u64>) {
    match n {
        Some(n) => {
            stats.files += 1;
            stats.bytes += n;
        }
        None => stats.skipped += 1,
    }
}

/// Downloads one file (`path` below `did`) to `local`. Returns the bytes transferred, or
/// `None` when a resumed file was already complete.
pub async fn download_file(
    volume: &Volume,
    did: u32,
    path: &[String],
    entry: &Entry,
    local: &Path,
    options: &TransferOptions,
    progress: &dyn Progress,
) -> Result<Option<u64>> {
    progress.file(&entry.name, entry.data_len);
    let mut start = 0;
    let existing = if options.resume {
        fs::metadata(local).ok().filter(|m| m.is_file())
    } else {
        None
    };
    if let Some(m) = &existing {
        let have = m.len();
        if have == entry.data_len {
            progress.advance(have);
            finish_download(volume, did, path, entry, local, options, progress).await?;
            return Ok(None);
        }
        if have < entry.data_len {
            start = have;
        } else {
            progress.warn(&format!(
                "{} is longer than the remote file; downloading it again",
                local.display()
            ));
        }
    }
    let mut file = if existing.is_some() {
        OpenOptions::new()
            .write(true)
            .open(local)
            .map_err(local_err("open", local))?
    } else {
        File::create(local).map_err(local_err("create", local))?
    };
    // A device (`/dev/null`) or a pipe is written as a stream: no truncation, times or
    // attributes.
    let regular = file.metadata().map(|m| m.is_file()).unwrap_or(false);
    if regular {
        file.set_len(start).map_err(local_err("truncate", local))?;
        file.seek(SeekFrom::Start(start))
            .map_err(local_err("seek in", local))?;
    }
    progress.advance(start);

    let fork = volume
        .open_fork(did, path, ForkKind::Data, AccessMode::READ)
        .await?;
    let end = fork.len_at_open();
    let mut pos = start;
    let read = fork
        .read_to(start, end, options.window, |offset, data| {
            debug_assert_eq!(offset, pos);
            file.write_all(data).map_err(local_err("write", local))?;
            pos = offset + data.len() as u64;
            progress.advance(data.len() as u64);
            Ok(())
        })
        .await;
    let closed = fork.close().await;
    let reached = read?;
    closed?;
    drop(file);
    if regular {
        finish_download(volume, did, path, entry, local, options, progress).await?;
    }
    Ok(Some(reached - start))
}

/// Downloads the data fork of the file at `path` below `did` into `out` (standard
/// output, a pipe); returns the bytes written.
pub async fn download_to(
    volume: &Volume,
    did: u32,
    path: &[String],
    out: &mut dyn Write,
    window: usize,
    progress: &dyn Progress,
) -> Result<u64> {
    let fork = volume
        .open_fork(did, path, ForkKind::Data, AccessMode::READ)
        .await?;
    progress.file(
        path.last().map(String::as_str).unwrap_or(""),
        fork.len_at_open(),
    );
    let read = fork
        .read_to(0, fork.len_at_open(), window, |_, data| {
            out.write_all(data)
                .map_err(|e| Error::local("write", "standard output", e))?;
            progress.advance(data.len() as u64);
            Ok(())
        })
        .await;
    let closed = fork.close().await;
    let n = read?;
    closed?;
    out.flush()
        .map_err(|e| Error::local("write", "standard output", e))?;
    Ok(n)
}

/// After the data: resource fork, Finder info and extended attributes, then times.
async fn finish_download(
    volume: &Volume,
    did: u32,
    path: &[String],
    entry: &Entry,
    local: &Path,
    options: &TransferOptions,
    progress: &dyn Progress,
) -> Result<()> {
    if options.xattrs {
        download_xattrs(volume, did, path, entry, local, progress).await?;
    }
    set_local_times(local, entry.modified).map_err(local_err("set times of", local))
}

async fn download_xattrs(
    volume: &Volume,
    did: u32,
    path: &[String],
    entry: &Entry,
    local: &Path,
    progress: &dyn Progress,
) -> Result<()> {
    let warn_set = |name: &str, e: io::Error| {
        progress.warn(&format!(
            "{}: cannot store {}{name}: {e}",
            local.display(),
            xattr::PREFIX
        ));
    };
    if entry.rsrc_len > 0 && !entry.is_dir() {
        let fork = volume
            .open_fork(did, path, ForkKind::Resource, AccessMode::READ)
            .await?;
        let mut data = Vec::new();
        let read = fork
            .read_to(0, fork.len_at_open(), 4, |_, d| {
                data.extend_from_slice(d);
                Ok(())
            })
            .await;
        let closed = fork.close().await;
        read?;
        closed?;
        if let Err(e) = xattr::set(local, xattr::RESOURCE_FORK, &data) {
            warn_set(xattr::RESOURCE_FORK, e);
        }
    }
    if let Some(fi) = entry.finder_info
        && !is_default_finder_info(&fi)
        && let Err(e) = xattr::set(local, xattr::FINDER_INFO, &fi.0)
    {
        warn_set(xattr::FINDER_INFO, e);
    }
    let names = match volume.list_xattrs(did, path).await {
        Ok(n) => n,
        Err(Error::Afp { code, .. }) if code == ResultCode::CALL_NOT_SUPPORTED => Vec::new(),
        Err(e) => return Err(e),
    };
    // netatalk lists the Finder info and the resource fork as synthetic attributes it
    // does not serve through FPGetExtAttr; they came above through their own calls.
    for name in names
        .into_iter()
        .filter(|n| n != xattr::FINDER_INFO && n != xattr::RESOURCE_FORK)
    {
        let (size, value) = match volume.get_xattr_checked(did, path, &name).await {
            Ok(v) => v,
            Err(e) if e.is_fatal() => return Err(e),
            Err(e) => {
                progress.warn(&format!("{}: {e}", show(path)));
                continue;
            }
        };
        if (value.len() as u64) < u64::from(size) {
            // netatalk sends at most 3802 bytes of a value (spec §5.9).
            progress.warn(&format!(
                "{}: the server sent {} of the {size} bytes of attribute `{name}`; not stored",
                show(path),
                value.len()
            ));
            continue;
        }
        if let Err(e) = xattr::set(local, &name, &value) {
            warn_set(&name, e);
        }
    }
    Ok(())
}

/// All zeros, or netatalk's default for a file it knows nothing about (type and creator
/// `????`, the rest zero): nothing worth storing.
fn is_default_finder_info(fi: &FinderInfo) -> bool {
    let unknown = fi.0[..8].iter().all(|&b| b == b'?') || fi.0[..8].iter().all(|&b| b == 0);
    unknown && fi.0[8..].iter().all(|&b| b == 0)
}

/// Uploads `local` to `remote` (the exact destination path in `volume`).
pub async fn upload(
    volume: &Volume,
    local: &Path,
    remote: &[String],
    options: &TransferOptions,
    progress: &dyn Progress,
) -> Result<Stats> {
    let meta = fs::metadata(local).map_err(local_err("read", local))?;
    let mut stats = Stats::default();
    if !meta.is_dir() {
        let n = upload_file(volume, ROOT_DID, remote, local, options, progress).await?;
        count(&mut stats, n);
        return Ok(stats);
    }
    if !options.recursive {
        return Err(Error::Usage(format!(
            "{} is a directory (use -r to copy it)",
            local.display()
        )));
    }
    let mut stack = vec![(local.to_path_buf(), remote.to_vec())];
    let mut dir_times: Vec<(Vec<String>, Option<SystemTime>)> = Vec::new();
    while let Some((lpath, rpath)) = stack.pop() {
        let did = match ensure_dir(volume, &rpath).await {
            Ok(d) => d,
            Err(e) if e.is_fatal() => return Err(e),
            Err(e) => {
                progress.warn(&e.to_string());
                stats.failed += 1;
                continue;
            }
        };
        stats.dirs += 1;
        dir_times.push((
            rpath.clone(),
            fs::metadata(&lpath).and_then(|m| m.modified()).ok(),
        ));
        let mut children: Vec<_> = match fs::read_dir(&lpath) {
            Ok(rd) => rd.filter_map(|e| e.ok()).collect(),
            Err(e) => {
                progress.warn(&format!("read {}: {e}", lpath.display()));
                stats.failed += 1;
                continue;
            }
        };
        children.sort_by_key(|e| e.file_name());
        for child in children {
            let cl = child.path();
            let Some(name) = child.file_name().to_str().map(str::to_owned) else {
                progress.warn(&format!("{}: name is not UTF-8; skipped", cl.display()));
                stats.failed += 1;
                continue;
            };
            let Ok(ft) = child.file_type() else {
                continue;
            };
            let mut cr = rpath.clone();
            cr.push(name.clone());
            if ft.is_dir() {
                stack.push((cl, cr));
            } else if ft.is_file() {
                match upload_file(volume, did, &[name], &cl, options, progress).await {
                    Ok(n) => count(&mut stats, n),
                    Err(e) if e.is_fatal() => return Err(e),
                    Err(e) => {
                        progress.warn(&format!("{}: {e}", cl.display()));
                        stats.failed += 1;
                    }
                }
            } else {
                progress.warn(&format!(
                    "{}: not a regular file or directory; skipped",
                    cl.display()
                ));
            }
        }
    }
    for (p, t) in dir_times.iter().rev() {
        if let Some(t) = t
            && let Err(e) = volume.set_dir_modified(ROOT_DID, p, *t).await
        {
            if e.is_fatal() {
                return Err(e);
            }
            progress.warn(&e.to_string());
        }
    }
    finish(stats)
}

/// Creates the directory `path` (its parent must exist) or finds it; returns its ID.
pub async fn ensure_dir(volume: &Volume, path: &[String]) -> Result<u32> {
    match volume.create_dir(ROOT_DID, path).await {
        Ok(did) => Ok(did),
        Err(Error::Afp { code, op }) if code == ResultCode::OBJECT_EXISTS => {
            let e = volume.stat(ROOT_DID, path).await?;
            if e.is_dir() {
                Ok(e.node_id)
            } else {
                Err(Error::Afp { op, code })
            }
        }
        Err(e) => Err(e),
    }
}

/// Uploads one file to `path` below `did`. Returns the bytes transferred, or `None` when
/// a resumed file was already complete.
pub async fn upload_file(
    volume: &Volume,
    did: u32,
    path: &[String],
    local: &Path,
    options: &TransferOptions,
    progress: &dyn Progress,
) -> Result<Option<u64>> {
    let mut file = File::open(local).map_err(local_err("open", local))?;
    let meta = file.metadata().map_err(local_err("read", local))?;
    let size = meta.len();
    let name = path.last().map(String::as_str).unwrap_or("");
    progress.file(name, size);
    let mut start = 0;
    let mut truncate = false;
    if options.resume {
        match volume.stat(did, path).await {
            Ok(e) if !e.is_dir() => {
                if e.data_len == size {
                    progress.advance(size);
                    finish_upload(volume, did, path, local, &meta, options, progress).await?;
                    return Ok(None);
                }
                if e.data_len < size {
                    start = e.data_len;
                } else {
                    truncate = true;
                }
            }
            Ok(_) => {
                return Err(Error::afp(
                    format!("put {}", show(path)),
                    ResultCode::OBJECT_TYPE_ERR,
                ));
            }
            Err(Error::Afp { code, .. }) if code == ResultCode::OBJECT_NOT_FOUND => {
                volume.create_file(did, path, false).await?;
            }
            Err(e) => return Err(e),
        }
    } else {
        volume.create_file(did, path, true).await?;
    }
    let fork = volume
        .open_fork(
            did,
            path,
            ForkKind::Data,
            AccessMode::WRITE | AccessMode::DENY_WRITE,
        )
        .await?;
    if truncate || fork.len_at_open() > start {
        // What is past `start` is not known to be ours.
        if let Err(e) = fork.set_len(start).await {
            let _ = fork.close().await;
            return Err(e);
        }
    }
    progress.advance(start);
    file.seek(SeekFrom::Start(start))
        .map_err(local_err("seek in", local))?;
    let written = fork
        .write_from(start, options.window, |_, max| {
            let mut buf = vec![0u8; max];
            let mut n = 0;
            while n < max {
                match file.read(&mut buf[n..]) {
                    Ok(0) => break,
                    Ok(k) => n += k,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(Error::local("read", local, e)),
                }
            }
            buf.truncate(n);
            progress.advance(n as u64);
            Ok(Bytes::from(buf))
        })
        .await;
    let closed = fork.close().await;
    let end = written?;
    closed?;
    finish_upload(volume, did, path, local, &meta, options, progress).await?;
    Ok(Some(end - start))
}

async fn finish_upload(
    volume: &Volume,
    did: u32,
    path: &[String],
    local: &Path,
    meta: &fs::Metadata,
    options: &TransferOptions,
    progress: &dyn Progress,
) -> Result<()> {
    let mut finder_info = None;
    if options.xattrs {
        let names = xattr::list(local).map_err(local_err("list extended attributes of", local))?;
        for name in names {
            let value = match xattr::get(local, &name) {
                Ok(v) => v,
                Err(e) => {
                    progress.warn(&format!("{}: read {name}: {e}", local.display()));
                    continue;
                }
            };
            if name == xattr::RESOURCE_FORK {
                upload_resource_fork(volume, did, path, value).await?;
            } else if name == xattr::FINDER_INFO {
                match <[u8; 32]>::try_from(value.as_slice()) {
                    Ok(fi) => finder_info = Some(FinderInfo(fi)),
                    Err(_) => progress.warn(&format!(
                        "{}: {}{} is not 32 bytes; ignored",
                        local.display(),
                        xattr::PREFIX,
                        xattr::FINDER_INFO
                    )),
                }
            } else {
                match volume.set_xattr(did, path, &name, Bytes::from(value)).await {
                    Ok(()) => {}
                    Err(e) if e.is_fatal() => return Err(e),
                    // netatalk refuses values over 3802 bytes (kFPParamErr, spec §5.9).
                    Err(e) => progress.warn(&format!("{}: {e}", local.display())),
                }
            }
        }
    }
    // After the fork is closed, so the server's own update on close does not win.
    let modified = meta.modified().ok();
    volume
        .set_file_params(did, path, modified, finder_info)
        .await
}

async fn upload_resource_fork(
    volume: &Volume,
    did: u32,
    path: &[String],
    value: Vec<u8>,
) -> Result<()> {
    let fork = volume
        .open_fork(
            did,
            path,
            ForkKind::Resource,
            AccessMode::WRITE | AccessMode::DENY_WRITE,
        )
        .await?;
    let mut data = Some(Bytes::from(value));
    let r = async {
        fork.set_len(0).await?;
        fork.write_from(0, 4, |_, max| {
            Ok(match data.take() {
                Some(mut d) if d.len() > max => {
                    let rest = d.split_off(max);
                    data = Some(rest);
                    d
                }
                Some(d) => d,
                None => Bytes::new(),
            })
        })
        .await
    }
    .await;
    let closed = fork.close().await;
    r?;
    closed
}
