//! Fork file handles: the data fork is the file itself; the resource fork is the resource
//! fork entry of the `._name` AppleDouble sidecar next to it, as netatalk keeps it on Linux
//! (spec `afp-dsi.md` §9.4; sidecar access in [`crate::vfs::rsrc`]). A symlink (which the
//! volume shows as a file, as netatalk does without `follow symlinks`) has its target as
//! its read-only data fork.
//!
//! Every call runs on the session thread, with the user's credentials: the kernel decides
//! what the user may open. Names are single path elements looked up relative to their
//! directory's descriptor, never following a symlink.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::FileExt;

use bytes::Bytes;
use rustix::fs::{Mode, OFlags};

use crate::vfs::rsrc::{self, ResourceFork, RsrcOpen};

/// An open fork's file handle.
#[derive(Debug)]
pub enum ForkIo {
    /// The data fork: the file itself.
    Data(File),
    /// The resource fork; `None` when the file has no sidecar (a resource fork opened
    /// read-only that does not exist reads as empty; netatalk creates it only when it is
    /// opened for writing).
    Resource(Option<ResourceFork>),
    /// The data fork of a symlink: its target, read-only.
    Link(Bytes),
}

fn rx<T>(r: rustix::io::Result<T>) -> io::Result<T> {
    r.map_err(|e| io::Error::from_raw_os_error(e.raw_os_error()))
}

fn errno(e: i32) -> io::Error {
    io::Error::from_raw_os_error(e)
}

/// Opens the data fork `name` in `dir` for reading, or for reading and writing.
///
/// Returns the handle and the `stat` of what was opened (taken on the descriptor, so it is
/// the file actually opened). A directory gives `EISDIR`, another non-regular file
/// `EINVAL` (a FIFO never blocks the open); a symlink opened for reading gives
/// [`ForkIo::Link`], for writing `ELOOP`.
pub fn open_data(
    dir: BorrowedFd<'_>,
    name: &[u8],
    write: bool,
) -> io::Result<(ForkIo, rustix::fs::Stat)> {
    let flags = if write { OFlags::RDWR } else { OFlags::RDONLY };
    let fd = match rustix::fs::openat(
        dir,
        name,
        flags | OFlags::CLOEXEC | OFlags::NOFOLLOW | OFlags::NOCTTY | OFlags::NONBLOCK,
        Mode::empty(),
    ) {
        Ok(fd) => fd,
        Err(e) if e == rustix::io::Errno::LOOP && !write => {
            let st = rx(rustix::fs::statat(
                dir,
                name,
                rustix::fs::AtFlags::SYMLINK_NOFOLLOW,
            ))?;
            let target = rx(rustix::fs::readlinkat(dir, name, Vec::new()))?;
            return Ok((ForkIo::Link(Bytes::from(target.into_bytes())), st));
        }
        Err(e) => return Err(errno(e.raw_os_error())),
    };
    let st = rx(rustix::fs::fstat(&fd))?;
    match st.st_mode & libc::S_IFMT {
        libc::S_IFREG => {}
        libc::S_IFDIR => return Err(errno(libc::EISDIR)),
        _ => return Err(errno(libc::EINVAL)),
    }
    // O_NONBLOCK only kept a FIFO from blocking the open; clear it for regular files.
    rx(rustix::fs::fcntl_setfl(&fd, OFlags::empty()))?;
    Ok((ForkIo::Data(File::from(fd)), st))
}

/// Opens the resource fork of the data file `name` in `dir`; for writing it is created
/// when absent (mode `mode`, FinderInfo copy `finder_info`), for reading an absent one is
/// an empty fork.
pub fn open_resource(
    dir: BorrowedFd<'_>,
    name: &[u8],
    write: bool,
    mode: u32,
    finder_info: [u8; 32],
) -> io::Result<ForkIo> {
    let how = RsrcOpen {
        write,
        create: write,
        mode: mode & 0o666,
        finder_info,
    };
    Ok(ForkIo::Resource(rsrc::open_rsrc(dir, name, how)?))
}

/// `pread` into `buf`'s spare capacity until it holds `n` bytes or the file ends (no
/// zero-filling of the buffer first).
fn pread_into(fd: BorrowedFd<'_>, buf: &mut Vec<u8>, n: usize, mut off: u64) -> io::Result<()> {
    while buf.len() < n {
        match rustix::io::pread(fd, rustix::buffer::spare_capacity(buf), off) {
            Ok(0) => break,
            Ok(k) => off += k as u64,
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(errno(e.raw_os_error())),
        }
    }
    buf.truncate(n);
    Ok(())
}

/// Largest fork offset (and length) the file system interface takes.
const MAX_OFFSET: u64 = i64::MAX as u64;

impl ForkIo {
    /// A resource fork handle for a file without a sidecar (reads as empty).
    pub fn empty_resource() -> ForkIo {
        ForkIo::Resource(None)
    }

    /// The fork's length in bytes.
    pub fn len(&self) -> io::Result<u64> {
        match self {
            ForkIo::Data(f) => Ok(f.metadata()?.len()),
            ForkIo::Resource(None) => Ok(0),
            ForkIo::Resource(Some(r)) => r.len(),
            ForkIo::Link(t) => Ok(t.len() as u64),
        }
    }

    /// True when the fork is empty (or cannot be measured).
    pub fn is_empty(&self) -> bool {
        self.len().map(|l| l == 0).unwrap_or(true)
    }

    /// True for a symlink's data fork.
    pub fn is_link(&self) -> bool {
        matches!(self, ForkIo::Link(_))
    }

    /// Reads up to `count` bytes at `offset` into one new buffer (fewer at the end of the
    /// fork). The buffer is allocated once, at the size that can be read, and handed out
    /// without a copy.
    pub fn read(&self, offset: u64, count: usize) -> io::Result<Bytes> {
        let avail = self.len()?.saturating_sub(offset);
        let n = (count as u64).min(avail) as usize;
        if n == 0 {
            return Ok(Bytes::new());
        }
        let mut buf = Vec::with_capacity(n);
        match self {
            ForkIo::Data(f) => pread_into(f.as_fd(), &mut buf, n, offset)?,
            ForkIo::Resource(Some(r)) => {
                pread_into(r.file.as_fd(), &mut buf, n, r.offset.saturating_add(offset))?
            }
            ForkIo::Resource(None) => {}
            ForkIo::Link(t) => {
                let start = offset as usize; // offset < len here
                return Ok(t.slice(start..start + n));
            }
        }
        Ok(Bytes::from(buf))
    }

    /// Writes all of `data` at `offset` (the fork grows as needed).
    pub fn write_all(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        if offset
            .checked_add(data.len() as u64)
            .is_none_or(|end| end > MAX_OFFSET)
        {
            return Err(errno(libc::EFBIG));
        }
        match self {
            ForkIo::Data(f) => f.write_all_at(data, offset),
            ForkIo::Resource(Some(r)) => r.write_all_at(data, offset),
            ForkIo::Resource(None) | ForkIo::Link(_) => Err(errno(libc::EBADF)),
        }
    }

    /// Sets the fork's length (truncates or extends with zeros).
    pub fn set_len(&self, len: u64) -> io::Result<()> {
        if len > MAX_OFFSET {
            return Err(errno(libc::EFBIG));
        }
        match self {
            ForkIo::Data(f) => f.set_len(len),
            ForkIo::Resource(Some(r)) => r.set_len(len),
            ForkIo::Resource(None) | ForkIo::Link(_) => Err(errno(libc::EBADF)),
        }
    }

    /// Commits the fork's data and metadata to stable storage (`fsync`).
    pub fn sync(&self) -> io::Result<()> {
        match self {
            ForkIo::Data(f) => f.sync_all(),
            ForkIo::Resource(Some(r)) => r.file.sync_all(),
            ForkIo::Resource(None) | ForkIo::Link(_) => Ok(()),
        }
    }

    /// Brings the sidecar header's resource fork length up to date.
    pub fn update_header(&self) -> io::Result<()> {
        match self {
            ForkIo::Resource(Some(r)) => r.sync_header(),
            _ => Ok(()),
        }
    }

    /// The descriptor of the file holding the fork (none for an absent resource fork or a
    /// symlink).
    pub fn fd(&self) -> Option<BorrowedFd<'_>> {
        match self {
            ForkIo::Data(f) => Some(f.as_fd()),
            ForkIo::Resource(Some(r)) => Some(r.file.as_fd()),
            ForkIo::Resource(None) | ForkIo::Link(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cnid::appledouble::{SIDECAR_HEADER_LEN, Sidecar};
    use std::os::fd::AsFd;

    fn dir() -> (tempfile::TempDir, File) {
        let d = tempfile::tempdir().unwrap();
        let f = File::open(d.path()).unwrap();
        (d, f)
    }

    #[test]
    fn data_fork_read_write_truncate() {
        let (d, df) = dir();
        std::fs::write(d.path().join("f"), b"hello").unwrap();
        let (io, st) = open_data(df.as_fd(), b"f", true).unwrap();
        assert_eq!(st.st_size, 5);
        assert_eq!(io.len().unwrap(), 5);
        assert_eq!(&io.read(1, 100).unwrap()[..], b"ello");
        assert!(io.read(5, 10).unwrap().is_empty());
        assert!(io.read(500, 10).unwrap().is_empty());
        assert!(io.read(u64::MAX, 10).unwrap().is_empty());
        io.write_all(10, b"x").unwrap();
        assert_eq!(&io.read(0, 100).unwrap()[..], b"hello\0\0\0\0\0x");
        io.set_len(2).unwrap();
        assert_eq!(&io.read(0, 100).unwrap()[..], b"he");
        io.sync().unwrap();
        assert!(io.fd().is_some());
        assert_eq!(
            io.write_all(MAX_OFFSET, b"x").unwrap_err().raw_os_error(),
            Some(libc::EFBIG)
        );
        assert_eq!(
            io.set_len(MAX_OFFSET + 1).unwrap_err().raw_os_error(),
            Some(libc::EFBIG)
        );
        // Read-only handles refuse writes (EBADF from the kernel).
        let (ro, _) = open_data(df.as_fd(), b"f", false).unwrap();
        assert!(ro.write_all(0, b"z").is_err());
        assert_eq!(
            open_data(df.as_fd(), b"nope", false)
                .unwrap_err()
                .raw_os_error(),
            Some(libc::ENOENT)
        );
    }

    #[test]
    fn data_fork_of_dirs_symlinks_and_fifos() {
        let (d, df) = dir();
        std::fs::create_dir(d.path().join("sub")).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", d.path().join("ln")).unwrap();
        rustix::fs::mknodat(
            df.as_fd(),
            "fifo",
            rustix::fs::FileType::Fifo,
            Mode::from_raw_mode(0o644),
            0,
        )
        .unwrap();
        let code = |n: &[u8], w| open_data(df.as_fd(), n, w).unwrap_err().raw_os_error();
        assert_eq!(code(b"sub", false), Some(libc::EISDIR));
        assert_eq!(
            code(b"fifo", false),
            Some(libc::EINVAL),
            "a FIFO neither blocks nor opens"
        );
        assert_eq!(code(b"ln", true), Some(libc::ELOOP));
        // A symlink reads as its target, never as the file it points to.
        let (link, st) = open_data(df.as_fd(), b"ln", false).unwrap();
        assert!(link.is_link());
        assert_eq!(st.st_size, 11);
        assert_eq!(&link.read(0, 100).unwrap()[..], b"/etc/passwd");
        assert_eq!(&link.read(5, 3).unwrap()[..], b"pas");
        assert!(link.write_all(0, b"x").is_err());
        assert!(link.set_len(0).is_err());
        link.sync().unwrap();
        assert!(link.fd().is_none());
    }

    #[test]
    fn resource_fork_created_only_for_writing() {
        let (d, df) = dir();
        std::fs::write(d.path().join("f"), b"").unwrap();
        let ro = open_resource(df.as_fd(), b"f", false, 0o644, [0; 32]).unwrap();
        assert_eq!(ro.len().unwrap(), 0);
        assert!(ro.is_empty());
        assert!(ro.read(0, 10).unwrap().is_empty());
        assert!(ro.fd().is_none());
        assert!(ro.write_all(0, b"x").is_err());
        assert!(
            !d.path().join("._f").exists(),
            "a read-only open creates nothing"
        );
        let mut fi = [0u8; 32];
        fi[..8].copy_from_slice(b"TEXTttxt");
        let rw = open_resource(df.as_fd(), b"f", true, 0o644, fi).unwrap();
        let raw = std::fs::read(d.path().join("._f")).unwrap();
        assert_eq!(raw.len(), SIDECAR_HEADER_LEN);
        assert_eq!(&raw[8..16], b"Netatalk");
        assert_eq!(&raw[50..58], b"TEXTttxt");
        rw.write_all(0, b"resource!").unwrap();
        assert_eq!(rw.len().unwrap(), 9);
        rw.update_header().unwrap();
        rw.sync().unwrap();
        let raw = std::fs::read(d.path().join("._f")).unwrap();
        assert_eq!(&raw[82..], b"resource!");
        assert_eq!(&raw[46..50], &9u32.to_be_bytes());
        let s = Sidecar::decode(&raw, raw.len() as u64).unwrap().unwrap();
        assert_eq!(s.resource_fork_len, 9);
        // Another open sees the same bytes; truncation keeps the header.
        let ro = open_resource(df.as_fd(), b"f", false, 0, [0; 32]).unwrap();
        assert_eq!(&ro.read(3, 100).unwrap()[..], b"ource!");
        rw.set_len(3).unwrap();
        assert_eq!(&ro.read(0, 100).unwrap()[..], b"res");
        rw.set_len(0).unwrap();
        assert_eq!(std::fs::metadata(d.path().join("._f")).unwrap().len(), 82);
        // Flushing or closing a fork opened read-only leaves the header alone (its
        // descriptor cannot write it) and succeeds.
        ro.update_header().unwrap();
    }
}
