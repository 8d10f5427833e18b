//! Resource forks in `._name` AppleDouble sidecars, as netatalk keeps them on Linux with
//! `appledouble = ea` (spec `afp-dsi.md` §9.4; codec [`cnid::appledouble::Sidecar`]).
//!
//! netatalk's layout: an 82-byte header (magic, version, `Netatalk` filler, two entries:
//! FinderInfo at 50, resource fork at 82) followed by the fork's bytes. The fork length is
//! the file length minus the fork's offset (the descriptor's length field is kept up to date
//! on [`ResourceFork::set_len`] and [`ResourceFork::sync_header`], but readers do not trust
//! it). Sidecars written by macOS (other entries first) are read at their own offset.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::FileExt;

use bytes::BytesMut;
use cnid::appledouble::{SIDECAR_HEADER_LEN, Sidecar, entry};
use rustix::fs::OFlags;

use super::names::sidecar_name;
use super::sys;

/// An open resource fork: the sidecar file and where the fork starts in it.
#[derive(Debug)]
pub struct ResourceFork {
    /// The sidecar file (opened read-only or read-write).
    pub file: File,
    /// Byte offset of the fork in the sidecar.
    pub offset: u64,
    /// Byte offset of the resource fork descriptor's length field (for header updates).
    len_field: Option<u64>,
}

impl ResourceFork {
    /// The fork's current length (file length minus the fork's offset).
    pub fn len(&self) -> io::Result<u64> {
        let size = self.file.metadata()?.len();
        Ok(size.saturating_sub(self.offset))
    }

    /// True when the fork is empty.
    pub fn is_empty(&self) -> io::Result<bool> {
        Ok(self.len()? == 0)
    }

    /// Reads fork bytes at fork offset `pos`; returns how many were read (0 at the end).
    pub fn read_at(&self, buf: &mut [u8], pos: u64) -> io::Result<usize> {
        self.file.read_at(buf, self.offset.saturating_add(pos))
    }

    /// Writes all of `buf` at fork offset `pos`.
    pub fn write_all_at(&self, buf: &[u8], pos: u64) -> io::Result<()> {
        self.file.write_all_at(buf, self.offset.saturating_add(pos))
    }

    /// Sets the fork's length (truncating or extending with zeros) and updates the header.
    pub fn set_len(&self, len: u64) -> io::Result<()> {
        self.file.set_len(self.offset.saturating_add(len))?;
        self.sync_header()
    }

    /// Writes the current fork length into the header's descriptor (netatalk does this when
    /// it flushes the fork).
    pub fn sync_header(&self) -> io::Result<()> {
        let Some(at) = self.len_field else {
            return Ok(());
        };
        let len = u32::try_from(self.len()?).unwrap_or(u32::MAX);
        self.file.write_all_at(&len.to_be_bytes(), at)
    }
}

/// Reads the sidecar header of `file` (length `file_len`): the decoded header and the
/// offset of the resource fork descriptor's length field.
fn read_header(file: &File, file_len: u64) -> io::Result<Option<(Sidecar, Option<u64>)>> {
    let mut buf = vec![0u8; 512.min(file_len as usize).max(SIDECAR_HEADER_LEN)];
    let n = read_full_at(file, &mut buf, 0)?;
    buf.truncate(n);
    let header = loop {
        match Sidecar::decode(&buf, file_len) {
            Ok(Some(h)) => break h,
            Ok(None) if buf.len() < 64 * 1024 => {
                let old = buf.len();
                buf.resize(old * 2, 0);
                let n = read_full_at(file, &mut buf[old..], old as u64)?;
                buf.truncate(old + n);
            }
            _ => return Ok(None),
        }
    };
    // Find the resource fork's descriptor to keep its length field current.
    let count = buf
        .get(24..26)
        .map_or(0, |b| u16::from_be_bytes([b[0], b[1]]));
    let len_field = (0..usize::from(count)).find_map(|i| {
        let d = 26 + 12 * i;
        let id = buf.get(d..d + 4)?;
        (u32::from_be_bytes([id[0], id[1], id[2], id[3]]) == entry::RESOURCE_FORK)
            .then_some(d as u64 + 8)
    });
    Ok(Some((header, len_field)))
}

fn read_full_at(file: &File, buf: &mut [u8], pos: u64) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read_at(&mut buf[n..], pos + n as u64) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The resource fork length of object `disk` in `dir` (0 without a sidecar or with one
/// that is not a valid AppleDouble file).
pub fn rsrc_len(dir: BorrowedFd<'_>, disk: &[u8]) -> u64 {
    let side = sidecar_name(disk);
    let Ok(fd) = sys::open_at(dir, &side, OFlags::RDONLY | OFlags::NONBLOCK, 0) else {
        return 0;
    };
    let file = File::from(fd);
    let Ok(md) = file.metadata() else { return 0 };
    if !md.is_file() {
        return 0;
    }
    match read_header(&file, md.len()) {
        Ok(Some((h, _))) if h.resource_fork_offset.is_some() => h.resource_fork_len,
        _ => 0,
    }
}

/// How to open a resource fork.
#[derive(Debug, Clone, Copy)]
pub struct RsrcOpen {
    /// Open for writing.
    pub write: bool,
    /// Create the sidecar when it does not exist (netatalk creates it only when the fork
    /// is opened for writing).
    pub create: bool,
    /// Permission bits for a new sidecar (netatalk uses the data file's).
    pub mode: u32,
    /// FinderInfo copied into a new sidecar's header.
    pub finder_info: [u8; 32],
}

/// Opens the resource fork of `disk` in `dir` as the calling thread's user. `Ok(None)`:
/// there is no sidecar and `create` was not asked. A sidecar that exists but is not a valid
/// AppleDouble file is rewritten with an empty fork when opened for writing, and reads as
/// empty otherwise.
pub fn open_rsrc(
    dir: BorrowedFd<'_>,
    disk: &[u8],
    how: RsrcOpen,
) -> io::Result<Option<ResourceFork>> {
    let side = sidecar_name(disk);
    let mut flags = if how.write {
        OFlags::RDWR
    } else {
        OFlags::RDONLY
    };
    // A FIFO or device someone named `._x` must not block the session thread in open(2);
    // it is refused below as not a regular file.
    flags |= OFlags::NONBLOCK;
    if how.create {
        flags |= OFlags::CREATE;
    }
    let fd = match sys::open_at(dir, &side, flags, how.mode & 0o7777) {
        Ok(fd) => fd,
        Err(e) if sys::errno(&e) == libc::ENOENT && !how.create => return Ok(None),
        Err(e) => return Err(e),
    };
    let file = File::from(fd);
    let md = file.metadata()?;
    if !md.is_file() {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    if how.create && md.len() == 0 {
        // A new sidecar gets the data fork's mode exactly (netatalk runs with umask 0), so
        // whoever may write the data fork may write the resource fork; the server's own
        // process umask must not narrow it. Best effort: only the owner may chmod.
        let _ = rustix::fs::fchmod(&file, rustix::fs::Mode::from_raw_mode(how.mode & 0o7777));
    }
    if md.len() > 0
        && let Some((h, len_field)) = read_header(&file, md.len())?
        && let Some(off) = h.resource_fork_offset
    {
        return Ok(Some(ResourceFork {
            file,
            offset: u64::from(off),
            // Only a fork opened for writing keeps the header's length current: the
            // descriptor of a read-only one cannot write it (EBADF on every flush/close).
            len_field: len_field.filter(|_| how.write),
        }));
    }
    if !how.write {
        // Unusable sidecar opened for reading: an empty fork past its end.
        return Ok(Some(ResourceFork {
            offset: md.len(),
            file,
            len_field: None,
        }));
    }
    // New (or unusable) sidecar: write netatalk's header with an empty fork.
    let mut header = BytesMut::with_capacity(SIDECAR_HEADER_LEN);
    Sidecar::netatalk(how.finder_info, 0).encode_header(&mut header);
    file.set_len(0)?;
    file.write_all_at(&header, 0)?;
    Ok(Some(ResourceFork {
        file,
        offset: SIDECAR_HEADER_LEN as u64,
        len_field: Some(46),
    }))
}

/// Renames the sidecar of `from` in `from_dir` to the sidecar of `to` in `to_dir` (no
/// sidecar is not an error).
pub fn rename_sidecar(
    from_dir: BorrowedFd<'_>,
    from: &[u8],
    to_dir: BorrowedFd<'_>,
    to: &[u8],
) -> io::Result<()> {
    match sys::rename_at(
        from_dir,
        &sidecar_name(from),
        to_dir,
        &sidecar_name(to),
        rustix::fs::RenameFlags::empty(),
    ) {
        Err(e) if sys::errno(&e) == libc::ENOENT => Ok(()),
        r => r,
    }
}

/// Removes the sidecar of `disk` in `dir` (no sidecar is not an error).
pub fn remove_sidecar(dir: BorrowedFd<'_>, disk: &[u8]) -> io::Result<()> {
    match sys::unlink_at(dir, &sidecar_name(disk), false) {
        Err(e) if sys::errno(&e) == libc::ENOENT => Ok(()),
        r => r,
    }
}

/// Copies the resource fork of `from` (in `from_dir`) to `to` (in `to_dir`), creating the
/// destination sidecar in netatalk's layout with `finder_info` and `mode`. Nothing is
/// created when the source has no fork.
pub fn copy_rsrc(
    from_dir: BorrowedFd<'_>,
    from: &[u8],
    to_dir: BorrowedFd<'_>,
    to: &[u8],
    finder_info: [u8; 32],
    mode: u32,
) -> io::Result<u64> {
    let read = RsrcOpen {
        write: false,
        create: false,
        mode: 0,
        finder_info,
    };
    let Some(src) = open_rsrc(from_dir, from, read)? else {
        return Ok(0);
    };
    let len = src.len()?;
    if len == 0 {
        return Ok(0);
    }
    let dst = open_rsrc(
        to_dir,
        to,
        RsrcOpen {
            write: true,
            create: true,
            mode,
            finder_info,
        },
    )?
    .ok_or_else(|| io::Error::from_raw_os_error(libc::EIO))?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut pos = 0u64;
    while pos < len {
        let n = src.read_at(&mut buf, pos)?;
        if n == 0 {
            break;
        }
        dst.write_all_at(&buf[..n], pos)?;
        pos += n as u64;
    }
    dst.sync_header()?;
    Ok(pos)
}

/// Borrow helper for the open fork's fd.
impl AsFd for ResourceFork {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.file.as_fd()
    }
}
