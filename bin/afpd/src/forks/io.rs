//! Fork file handles: the data fork is the file itself; the resource fork is the resource
//! fork entry of the `._name` AppleDouble sidecar next to it, as netatalk keeps it on Linux
//! (spec `afp-dsi.md` §9.4, `cnid-and-config.md` §2.5; codec [`cnid::appledouble::Sidecar`]).
//!
//! Every call runs on the session thread, with the user's credentials: the kernel decides
//! what the user may open. Names are single path elements looked up relative to their
//! directory's descriptor, never following a symlink.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::FileExt;

use bytes::Bytes;
use cnid::appledouble::{SIDECAR_HEADER_LEN, Sidecar};
use rustix::fs::{Mode, OFlags};

/// Offset of the resource fork descriptor's length field in netatalk's sidecar header
/// (26 + 12 for the FinderInfo descriptor, then id and offset).
const RSRC_LEN_FIELD: u64 = 46;

/// Largest sidecar header we read to find the resource fork (macOS may pack extended
/// attributes into a long FinderInfo entry).
const MAX_HEADER: usize = 1 << 20;

/// Why a sidecar could not be used for writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SidecarError {
    /// The `._name` file is not an AppleDouble file we can extend.
    #[error("malformed AppleDouble sidecar: {0}")]
    Malformed(&'static str),
}

/// The open resource fork entry of a sidecar.
#[derive(Debug)]
struct SidecarFile {
    file: File,
    /// Where the resource fork starts in the sidecar.
    base: u64,
    /// The header is netatalk's 82-byte layout: its length field can be kept current.
    netatalk_layout: bool,
}

/// An open fork's file handle.
#[derive(Debug)]
pub enum ForkIo {
    /// The data fork: the file itself.
    Data(File),
    /// The resource fork; `None` when the file has no sidecar (a resource fork opened
    /// read-only that does not exist reads as empty; netatalk creates it only when it is
    /// opened for writing).
    Resource(Option<SidecarFileHandle>),
}

/// A resource fork inside a sidecar (opaque).
#[derive(Debug)]
pub struct SidecarFileHandle(SidecarFile);

fn rx<T>(r: rustix::io::Result<T>) -> io::Result<T> {
    r.map_err(|e| io::Error::from_raw_os_error(e.raw_os_error()))
}

fn open_at(dir: BorrowedFd<'_>, name: &[u8], flags: OFlags, mode: u32) -> io::Result<File> {
    let fd = rx(rustix::fs::openat(
        dir,
        name,
        flags | OFlags::CLOEXEC | OFlags::NOFOLLOW | OFlags::NOCTTY | OFlags::NONBLOCK,
        Mode::from_raw_mode(mode),
    ))?;
    Ok(File::from(fd))
}

fn is_regular(f: &File) -> io::Result<bool> {
    Ok(f.metadata()?.file_type().is_file())
}

/// Opens the data fork `name` in `dir` for reading, or for reading and writing.
///
/// Returns the handle and the file's `stat` (taken on the open descriptor, so it is the
/// file actually opened). Something other than a regular file gives `EISDIR` for a
/// directory and `EINVAL` otherwise; a symlink gives `ELOOP`.
pub fn open_data(
    dir: BorrowedFd<'_>,
    name: &[u8],
    write: bool,
) -> io::Result<(ForkIo, rustix::fs::Stat)> {
    let flags = if write {
        OFlags::RDWR
    } else {
        OFlags::RDONLY
    };
    let f = open_at(dir, name, flags, 0)?;
    let st = rx(rustix::fs::fstat(&f))?;
    if !is_regular(&f)? {
        let dir = st.st_mode & libc::S_IFMT == libc::S_IFDIR;
        return Err(io::Error::from_raw_os_error(if dir {
            libc::EISDIR
        } else {
            libc::EINVAL
        }));
    }
    Ok((ForkIo::Data(f), st))
}

/// The sidecar's name for a data file `name`: `._name`.
pub fn sidecar_name(name: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(name.len() + 2);
    v.extend_from_slice(b"._");
    v.extend_from_slice(name);
    v
}

/// Opens the resource fork of the data file `name` in `dir`.
///
/// For reading: an absent sidecar gives an empty fork; an unreadable or malformed one an
/// empty fork too (logged), except a permission error, which is returned.
/// For writing: an absent or empty sidecar is created with netatalk's 82-byte header
/// (FinderInfo copy from `finder_info`, mode `mode` less the umask); a sidecar that is not
/// AppleDouble gives [`SidecarError::Malformed`] (inside `io::ErrorKind::InvalidData`).
pub fn open_resource(
    dir: BorrowedFd<'_>,
    name: &[u8],
    write: bool,
    mode: u32,
    finder_info: impl FnOnce() -> [u8; 32],
) -> io::Result<ForkIo> {
    let side = sidecar_name(name);
    if !write {
        let f = match open_at(dir, &side, OFlags::RDONLY, 0) {
            Ok(f) => f,
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => return Ok(ForkIo::Resource(None)),
            Err(e) => return Err(e),
        };
        if !is_regular(&f)? {
            return Ok(ForkIo::Resource(None));
        }
        return match read_header(&f) {
            Ok(Some((base, nl))) => Ok(ForkIo::Resource(Some(SidecarFileHandle(SidecarFile {
                file: f,
                base,
                netatalk_layout: nl,
            })))),
            Ok(None) => Ok(ForkIo::Resource(None)),
            Err(e) => {
                tracing::warn!(
                    sidecar = %String::from_utf8_lossy(&side),
                    "unusable resource fork sidecar read as empty: {e}"
                );
                Ok(ForkIo::Resource(None))
            }
        };
    }
    let f = open_at(dir, &side, OFlags::RDWR | OFlags::CREATE, mode & 0o666)?;
    if !is_regular(&f)? {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            SidecarError::Malformed("not a regular file"),
        ));
    }
    let (base, netatalk_layout) = match read_header(&f)? {
        Some(found) => found,
        None => {
            // Empty (just created, or left empty): write netatalk's header.
            let mut hdr = Vec::with_capacity(SIDECAR_HEADER_LEN);
            Sidecar::netatalk(finder_info(), 0).encode_header(&mut hdr);
            f.write_all_at(&hdr, 0)?;
            (SIDECAR_HEADER_LEN as u64, true)
        }
    };
    Ok(ForkIo::Resource(Some(SidecarFileHandle(SidecarFile {
        file: f,
        base,
        netatalk_layout,
    }))))
}

/// Reads a sidecar header: `Ok(None)` for an empty file, `Ok(Some((fork offset,
/// netatalk layout)))`, or `InvalidData` for anything else.
fn read_header(f: &File) -> io::Result<Option<(u64, bool)>> {
    let len = f.metadata()?.len();
    if len == 0 {
        return Ok(None);
    }
    let bad = |what: &'static str| io::Error::new(io::ErrorKind::InvalidData, SidecarError::Malformed(what));
    let mut want = 4096usize;
    loop {
        let n = (len.min(want as u64)) as usize;
        let mut buf = vec![0u8; n];
        let got = read_full_at(f, &mut buf, 0)?;
        buf.truncate(got);
        match Sidecar::decode(&buf, len) {
            Ok(Some(s)) => {
                let Some(off) = s.resource_fork_offset else {
                    return Err(bad("no resource fork entry"));
                };
                let nl = off as usize == SIDECAR_HEADER_LEN
                    && buf.get(38..46) == Some(&[0, 0, 0, 2, 0, 0, 0, 82][..]);
                return Ok(Some((u64::from(off), nl)));
            }
            Ok(None) if want < MAX_HEADER && (got as u64) < len => want *= 4,
            Ok(None) => return Err(bad("header too long")),
            Err(_) => return Err(bad("not AppleDouble")),
        }
    }
}

/// `pread` until `buf` is full or the end of the file; returns the bytes read.
fn read_full_at(f: &File, buf: &mut [u8], mut off: u64) -> io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match f.read_at(&mut buf[done..], off) {
            Ok(0) => break,
            Ok(n) => {
                done += n;
                off += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

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
            ForkIo::Resource(Some(SidecarFileHandle(s))) => {
                Ok(s.file.metadata()?.len().saturating_sub(s.base))
            }
        }
    }

    /// True when the fork is empty (or cannot be measured).
    pub fn is_empty(&self) -> bool {
        self.len().map(|l| l == 0).unwrap_or(true)
    }

    /// Reads up to `count` bytes at `offset` into one new buffer (fewer at the end of the
    /// fork). The buffer is allocated once, at the size that can be read.
    pub fn read(&self, offset: u64, count: usize) -> io::Result<Bytes> {
        let (f, base) = match self {
            ForkIo::Data(f) => (f, 0),
            ForkIo::Resource(None) => return Ok(Bytes::new()),
            ForkIo::Resource(Some(SidecarFileHandle(s))) => (&s.file, s.base),
        };
        let len = f.metadata()?.len().saturating_sub(base);
        let avail = len.saturating_sub(offset);
        let n = (count as u64).min(avail) as usize;
        if n == 0 {
            return Ok(Bytes::new());
        }
        let mut buf = vec![0u8; n];
        let Some(at) = offset.checked_add(base) else {
            return Ok(Bytes::new());
        };
        let got = read_full_at(f, &mut buf, at)?;
        buf.truncate(got);
        Ok(Bytes::from(buf))
    }

    /// Writes all of `data` at `offset` (the fork grows as needed).
    pub fn write_all(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        let (f, at) = self.writable(offset)?;
        f.write_all_at(data, at)
    }

    /// Sets the fork's length (truncates or extends with zeros).
    pub fn set_len(&self, len: u64) -> io::Result<()> {
        let (f, at) = self.writable(len)?;
        f.set_len(at)
    }

    fn writable(&self, offset: u64) -> io::Result<(&File, u64)> {
        let (f, base) = match self {
            ForkIo::Data(f) => (f, 0),
            ForkIo::Resource(None) => return Err(io::Error::from_raw_os_error(libc::EBADF)),
            ForkIo::Resource(Some(SidecarFileHandle(s))) => (&s.file, s.base),
        };
        let at = offset
            .checked_add(base)
            .filter(|&a| a <= i64::MAX as u64)
            .ok_or_else(|| io::Error::from_raw_os_error(libc::EFBIG))?;
        Ok((f, at))
    }

    /// Commits the fork's data and metadata to stable storage (`fsync`).
    pub fn sync(&self) -> io::Result<()> {
        match self {
            ForkIo::Data(f) => f.sync_all(),
            ForkIo::Resource(None) => Ok(()),
            ForkIo::Resource(Some(SidecarFileHandle(s))) => s.file.sync_all(),
        }
    }

    /// Brings the sidecar header's resource fork length up to date (netatalk's layout
    /// only: other layouts are left as they are; readers use the file length anyway).
    pub fn update_header(&self) -> io::Result<()> {
        if let ForkIo::Resource(Some(SidecarFileHandle(s))) = self {
            if s.netatalk_layout {
                let len = s.file.metadata()?.len().saturating_sub(s.base);
                let v = u32::try_from(len).unwrap_or(u32::MAX);
                s.file.write_all_at(&v.to_be_bytes(), RSRC_LEN_FIELD)?;
            }
        }
        Ok(())
    }

    /// The descriptor of the file holding the fork (none for an absent resource fork).
    pub fn fd(&self) -> Option<BorrowedFd<'_>> {
        match self {
            ForkIo::Data(f) => Some(f.as_fd()),
            ForkIo::Resource(None) => None,
            ForkIo::Resource(Some(SidecarFileHandle(s))) => Some(s.file.as_fd()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
        io.write_all(10, b"x").unwrap();
        assert_eq!(&io.read(0, 100).unwrap()[..], b"hello\0\0\0\0\0x");
        io.set_len(2).unwrap();
        assert_eq!(&io.read(0, 100).unwrap()[..], b"he");
        io.sync().unwrap();
        assert!(io.fd().is_some());
        // Read-only handles refuse writes (EBADF from the kernel).
        let (ro, _) = open_data(df.as_fd(), b"f", false).unwrap();
        assert!(ro.write_all(0, b"z").is_err());
        assert_eq!(
            open_data(df.as_fd(), b"nope", false).unwrap_err().raw_os_error(),
            Some(libc::ENOENT)
        );
    }

    #[test]
    fn data_fork_refuses_dirs_symlinks_and_fifos() {
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
        let code = |n: &[u8]| open_data(df.as_fd(), n, false).unwrap_err().raw_os_error();
        assert_eq!(code(b"sub"), Some(libc::EISDIR));
        assert_eq!(code(b"ln"), Some(libc::ELOOP));
        assert_eq!(code(b"fifo"), Some(libc::EINVAL), "a FIFO neither blocks nor opens");
    }

    #[test]
    fn resource_fork_created_only_for_writing() {
        let (d, df) = dir();
        std::fs::write(d.path().join("f"), b"").unwrap();
        let ro = open_resource(df.as_fd(), b"f", false, 0o644, || [0; 32]).unwrap();
        assert_eq!(ro.len().unwrap(), 0);
        assert!(ro.read(0, 10).unwrap().is_empty());
        assert!(ro.fd().is_none());
        assert!(!d.path().join("._f").exists(), "a read-only open creates nothing");
        let mut fi = [0u8; 32];
        fi[..8].copy_from_slice(b"TEXTttxt");
        let rw = open_resource(df.as_fd(), b"f", true, 0o644, || fi).unwrap();
        let raw = std::fs::read(d.path().join("._f")).unwrap();
        assert_eq!(raw.len(), SIDECAR_HEADER_LEN);
        assert_eq!(&raw[8..16], b"Netatalk");
        assert_eq!(&raw[50..58], b"TEXTttxt");
        rw.write_all(0, b"resource!").unwrap();
        assert_eq!(rw.len().unwrap(), 9);
        rw.update_header().unwrap();
        let raw = std::fs::read(d.path().join("._f")).unwrap();
        assert_eq!(&raw[82..], b"resource!");
        assert_eq!(&raw[46..50], &9u32.to_be_bytes());
        let s = Sidecar::decode(&raw, raw.len() as u64).unwrap().unwrap();
        assert_eq!(s.resource_fork_len, 9);
        // Another open sees the same bytes; truncation keeps the header.
        let ro = open_resource(df.as_fd(), b"f", false, 0, || [0; 32]).unwrap();
        assert_eq!(&ro.read(3, 100).unwrap()[..], b"ource!");
        rw.set_len(3).unwrap();
        assert_eq!(&ro.read(0, 100).unwrap()[..], b"res");
        rw.set_len(0).unwrap();
        assert_eq!(std::fs::metadata(d.path().join("._f")).unwrap().len(), 82);
    }

    #[test]
    fn resource_fork_of_a_macos_sidecar_and_of_garbage() {
        let (d, df) = dir();
        // A macOS-style sidecar: resource fork at a different offset.
        let mut raw = Vec::new();
        raw.extend_from_slice(&0x0005_1607u32.to_be_bytes());
        raw.extend_from_slice(&0x0002_0000u32.to_be_bytes());
        raw.extend_from_slice(b"Mac OS X        ");
        raw.extend_from_slice(&2u16.to_be_bytes());
        for (id, off, len) in [(9u32, 50u32, 32u32), (2, 100, 4)] {
            raw.extend_from_slice(&id.to_be_bytes());
            raw.extend_from_slice(&off.to_be_bytes());
            raw.extend_from_slice(&len.to_be_bytes());
        }
        raw.resize(100, 0);
        raw.extend_from_slice(b"RSRC");
        std::fs::write(d.path().join("._m"), &raw).unwrap();
        let io = open_resource(df.as_fd(), b"m", true, 0o644, || [0; 32]).unwrap();
        assert_eq!(&io.read(0, 10).unwrap()[..], b"RSRC");
        io.write_all(4, b"++").unwrap();
        io.update_header().unwrap(); // not netatalk's layout: header untouched
        let after = std::fs::read(d.path().join("._m")).unwrap();
        assert_eq!(&after[..100], &raw[..100]);
        assert_eq!(&after[100..], b"RSRC++");
        // Garbage: empty for reading, refused for writing.
        std::fs::write(d.path().join("._g"), b"this is not AppleDouble at all").unwrap();
        let ro = open_resource(df.as_fd(), b"g", false, 0, || [0; 32]).unwrap();
        assert_eq!(ro.len().unwrap(), 0);
        let e = open_resource(df.as_fd(), b"g", true, 0o644, || [0; 32]).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        // An empty sidecar is initialised on a write open.
        std::fs::write(d.path().join("._e"), b"").unwrap();
        let e = open_resource(df.as_fd(), b"e", true, 0o644, || [0; 32]).unwrap();
        assert_eq!(e.len().unwrap(), 0);
        assert_eq!(std::fs::metadata(d.path().join("._e")).unwrap().len(), 82);
    }

    #[test]
    fn offsets_past_the_maximum_are_refused() {
        let (d, df) = dir();
        std::fs::write(d.path().join("f"), b"").unwrap();
        let rw = open_resource(df.as_fd(), b"f", true, 0o644, || [0; 32]).unwrap();
        let e = rw.write_all(i64::MAX as u64, b"x").unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EFBIG));
        assert!(rw.read(u64::MAX, 1).unwrap().is_empty());
        assert!(ForkIo::empty_resource().write_all(0, b"x").is_err());
    }
}
