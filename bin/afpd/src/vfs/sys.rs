//! Thin wrappers over the `*at` system calls the volume layer uses.
//!
//! Every object is addressed as (directory fd, one name): names never contain '/', and
//! "." / ".." never come from a client (the resolver refuses them), so a lookup cannot
//! leave the directory it starts from. Paths of several components (a directory's place
//! below the volume root, from the CNID store) go through `openat2` with
//! `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`, which the kernel refuses to resolve outside the
//! root fd or through any symlink.
//!
//! Extended attributes are read and written through `/proc/self/fd/<dirfd>/<name>` with the
//! `l*xattr` calls (no `getxattrat` before Linux 6.13): the magic link pins the directory,
//! the single name after it is looked up relative to it, and the final symlink is not
//! followed. So permission checks are the kernel's, for the calling thread's credentials.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use rustix::fs::{self, AtFlags, Mode, OFlags, RenameFlags, ResolveFlags, Stat};

/// Converts a rustix error into `std::io::Error`.
pub(crate) fn ioerr(e: rustix::io::Errno) -> io::Error {
    io::Error::from_raw_os_error(e.raw_os_error())
}

/// `Result` of a rustix call as `io::Result`.
pub(crate) trait Rx<T> {
    fn io(self) -> io::Result<T>;
}

impl<T> Rx<T> for rustix::io::Result<T> {
    fn io(self) -> io::Result<T> {
        self.map_err(ioerr)
    }
}

/// The errno of an `io::Error` (0 if it has none).
pub(crate) fn errno(e: &io::Error) -> i32 {
    e.raw_os_error().unwrap_or(0)
}

/// Opens a directory as an `O_PATH` handle (usable as a lookup base, confers no read
/// access).
pub(crate) fn open_dir_path(path: &std::path::Path) -> io::Result<OwnedFd> {
    fs::open(
        path,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .io()
}

/// Opens `rel` (a relative path of on-disk names separated by '/', or "" for the root
/// itself) below `root` as an `O_PATH` directory handle, never leaving `root` and never
/// following a symlink.
pub(crate) fn open_beneath(root: BorrowedFd<'_>, rel: &[u8]) -> io::Result<OwnedFd> {
    let path: &[u8] = if rel.is_empty() { b"." } else { rel };
    fs::openat2(
        root,
        path,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NOFOLLOW,
        Mode::empty(),
        ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS,
    )
    .io()
}

/// Opens the child directory `name` of `dir` as an `O_PATH` handle (not following a
/// symlink: a symlink gives ENOTDIR).
pub(crate) fn open_child_dir(dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<OwnedFd> {
    fs::openat(
        dir,
        name,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NOFOLLOW,
        Mode::empty(),
    )
    .io()
}

/// Opens `name` in `dir` with `flags` (plus `O_CLOEXEC | O_NOFOLLOW`).
pub(crate) fn open_at(
    dir: BorrowedFd<'_>,
    name: &[u8],
    flags: OFlags,
    mode: u32,
) -> io::Result<OwnedFd> {
    fs::openat(
        dir,
        name,
        flags | OFlags::CLOEXEC | OFlags::NOFOLLOW,
        Mode::from_raw_mode(mode),
    )
    .io()
}

/// `fstatat(dir, name, AT_SYMLINK_NOFOLLOW)`; `name` "." is the directory itself.
pub(crate) fn stat_at(dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<Stat> {
    fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW).io()
}

/// `fstat` of an fd (O_PATH fds work).
pub(crate) fn fstat(fd: BorrowedFd<'_>) -> io::Result<Stat> {
    fs::fstat(fd).io()
}

/// The `/proc/self/fd/<dir>/<name>` path of an object, for the xattr calls.
pub(crate) fn proc_path(dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<CString> {
    let mut p = format!("/proc/self/fd/{}", dir.as_raw_fd()).into_bytes();
    if name != b"." {
        p.push(b'/');
        p.extend_from_slice(name);
    }
    CString::new(p).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))
}

/// Reads the extended attribute `attr` of `name` in `dir` (not following a final
/// symlink). `Ok(None)` when the attribute does not exist or the file system has none.
pub(crate) fn xattr_get(
    dir: BorrowedFd<'_>,
    name: &[u8],
    attr: &str,
) -> io::Result<Option<Vec<u8>>> {
    let path = proc_path(dir, name)?;
    let is_self = name == b".";
    let mut buf = vec![0u8; 512];
    loop {
        let r = if is_self {
            fs::getxattr(path.as_c_str(), attr, &mut buf[..])
        } else {
            fs::lgetxattr(path.as_c_str(), attr, &mut buf[..])
        };
        match r {
            Ok(n) => {
                buf.truncate(n);
                return Ok(Some(buf));
            }
            Err(e) if e == rustix::io::Errno::RANGE && buf.len() < 1 << 17 => {
                let need = if is_self {
                    fs::getxattr_query(path.as_c_str(), attr)
                } else {
                    fs::lgetxattr_query(path.as_c_str(), attr)
                }
                .io()?;
                buf.resize(need.max(buf.len() * 2), 0);
            }
            Err(e) if is_absent(e) => return Ok(None),
            Err(e) => return Err(ioerr(e)),
        }
    }
}

/// True for the errors that mean "no such attribute" / "no attributes here".
fn is_absent(e: rustix::io::Errno) -> bool {
    e == rustix::io::Errno::NODATA || e == rustix::io::Errno::OPNOTSUPP
}

/// Sets the extended attribute `attr` of `name` in `dir`.
pub(crate) fn xattr_set(
    dir: BorrowedFd<'_>,
    name: &[u8],
    attr: &str,
    value: &[u8],
    flags: fs::XattrFlags,
) -> io::Result<()> {
    let path = proc_path(dir, name)?;
    if name == b"." {
        fs::setxattr(path.as_c_str(), attr, value, flags).io()
    } else {
        fs::lsetxattr(path.as_c_str(), attr, value, flags).io()
    }
}

/// Removes the extended attribute `attr` of `name` in `dir`.
pub(crate) fn xattr_remove(dir: BorrowedFd<'_>, name: &[u8], attr: &str) -> io::Result<()> {
    let path = proc_path(dir, name)?;
    if name == b"." {
        fs::removexattr(path.as_c_str(), attr).io()
    } else {
        fs::lremovexattr(path.as_c_str(), attr).io()
    }
}

/// Lists the extended attribute names of `name` in `dir` (each without its NUL).
pub(crate) fn xattr_list(dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<Vec<Vec<u8>>> {
    let path = proc_path(dir, name)?;
    let is_self = name == b".";
    let mut buf = vec![0u8; 1024];
    let n = loop {
        let r = if is_self {
            fs::listxattr(path.as_c_str(), &mut buf[..])
        } else {
            fs::llistxattr(path.as_c_str(), &mut buf[..])
        };
        match r {
            Ok(n) => break n,
            Err(e) if e == rustix::io::Errno::RANGE && buf.len() < 1 << 20 => {
                buf.resize(buf.len() * 4, 0);
            }
            Err(e) if is_absent(e) => return Ok(Vec::new()),
            Err(e) => return Err(ioerr(e)),
        }
    };
    Ok(buf[..n]
        .split(|&b| b == 0)
        .filter(|s| !s.is_empty())
        .map(<[u8]>::to_vec)
        .collect())
}

/// Lists the names in directory `dir` (without "." and ".."), with their inode numbers.
/// Needs read permission on the directory (checked for the calling thread).
pub(crate) fn read_dir(dir: BorrowedFd<'_>) -> io::Result<Vec<(Vec<u8>, u64)>> {
    let fd = fs::openat(
        dir,
        ".",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .io()?;
    let mut d = fs::Dir::new(fd).io()?;
    let mut out = Vec::new();
    while let Some(e) = d.read() {
        let e = e.io()?;
        let n = e.file_name().to_bytes();
        if n == b"." || n == b".." {
            continue;
        }
        out.push((n.to_vec(), e.ino()));
    }
    Ok(out)
}

/// `mkdirat`.
pub(crate) fn mkdir_at(dir: BorrowedFd<'_>, name: &[u8], mode: u32) -> io::Result<()> {
    fs::mkdirat(dir, name, Mode::from_raw_mode(mode)).io()
}

/// `unlinkat` of a file (`dir == false`) or an empty directory.
pub(crate) fn unlink_at(dir: BorrowedFd<'_>, name: &[u8], is_dir: bool) -> io::Result<()> {
    let flags = if is_dir {
        AtFlags::REMOVEDIR
    } else {
        AtFlags::empty()
    };
    fs::unlinkat(dir, name, flags).io()
}

/// `renameat2` with `flags`.
pub(crate) fn rename_at(
    from_dir: BorrowedFd<'_>,
    from: &[u8],
    to_dir: BorrowedFd<'_>,
    to: &[u8],
    flags: RenameFlags,
) -> io::Result<()> {
    fs::renameat_with(from_dir, from, to_dir, to, flags).io()
}

/// `symlinkat(target, dir, name)`.
pub(crate) fn symlink_at(target: &[u8], dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<()> {
    fs::symlinkat(target, dir, name).io()
}

/// `fchmodat` (never on a symlink: Linux has no symlink modes).
pub(crate) fn chmod_at(dir: BorrowedFd<'_>, name: &[u8], mode: u32) -> io::Result<()> {
    fs::chmodat(dir, name, Mode::from_raw_mode(mode), AtFlags::empty()).io()
}

/// `fchownat(.., AT_SYMLINK_NOFOLLOW)`; `None` leaves an ID unchanged.
pub(crate) fn chown_at(
    dir: BorrowedFd<'_>,
    name: &[u8],
    uid: Option<u32>,
    gid: Option<u32>,
) -> io::Result<()> {
    let uid = uid.filter(|&u| u != u32::MAX).map(fs::Uid::from_raw);
    let gid = gid.filter(|&g| g != u32::MAX).map(fs::Gid::from_raw);
    fs::chownat(dir, name, uid, gid, AtFlags::SYMLINK_NOFOLLOW).io()
}

/// Sets the modification time (seconds) of `name` in `dir`, not following symlinks,
/// leaving the access time alone.
pub(crate) fn set_mtime_at(dir: BorrowedFd<'_>, name: &[u8], secs: i64) -> io::Result<()> {
    let times = fs::Timestamps {
        last_access: fs::Timespec {
            tv_sec: 0,
            tv_nsec: fs::UTIME_OMIT,
        },
        last_modification: fs::Timespec {
            tv_sec: secs,
            tv_nsec: 0,
        },
    };
    fs::utimensat(dir, name, &times, AtFlags::SYMLINK_NOFOLLOW).io()
}

/// `fsync` of an fd; for an `O_PATH` directory handle, reopens it for reading first.
pub(crate) fn fsync_dir(dir: BorrowedFd<'_>) -> io::Result<()> {
    let fd = fs::openat(
        dir,
        ".",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .io()?;
    fs::fsync(fd.as_fd()).io()
}

/// `syncfs` of the file system holding `dir`.
pub(crate) fn syncfs(dir: BorrowedFd<'_>) -> io::Result<()> {
    let fd = fs::openat(
        dir,
        ".",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .io()?;
    fs::syncfs(fd.as_fd()).io()
}

/// `fstatvfs` of the file system holding `dir`: (total bytes, free bytes for users,
/// block size).
pub(crate) fn fs_space(dir: BorrowedFd<'_>) -> io::Result<(u64, u64, u32)> {
    let fd = fs::openat(
        dir,
        ".",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .io()?;
    let v = fs::fstatvfs(fd.as_fd()).io()?;
    let frsize = if v.f_frsize > 0 {
        v.f_frsize
    } else {
        v.f_bsize
    };
    Ok((
        v.f_blocks.saturating_mul(frsize),
        v.f_bavail.saturating_mul(frsize),
        u32::try_from(v.f_bsize).unwrap_or(4096),
    ))
}

/// The file-type bits of a mode.
pub(crate) fn file_type(mode: u32) -> u32 {
    mode & libc::S_IFMT
}

/// True for a directory mode.
pub(crate) fn is_dir(st: &Stat) -> bool {
    file_type(st.st_mode) == libc::S_IFDIR
}

/// True for a regular file mode.
pub(crate) fn is_reg(st: &Stat) -> bool {
    file_type(st.st_mode) == libc::S_IFREG
}

/// True for a symlink mode.
pub(crate) fn is_symlink(st: &Stat) -> bool {
    file_type(st.st_mode) == libc::S_IFLNK
}

/// Sets the modification time of the directory behind the handle `dir` (an `O_PATH`
/// handle works: the call goes through `/proc/self/fd`).
pub(crate) fn set_dir_mtime(dir: BorrowedFd<'_>, secs: i64) -> io::Result<()> {
    let p = proc_path(dir, b".")?;
    let times = fs::Timestamps {
        last_access: fs::Timespec {
            tv_sec: 0,
            tv_nsec: fs::UTIME_OMIT,
        },
        last_modification: fs::Timespec {
            tv_sec: secs,
            tv_nsec: 0,
        },
    };
    fs::utimensat(fs::CWD, p.as_c_str(), &times, AtFlags::empty()).io()
}

/// The current time in Unix seconds (the volume layer's wall-clock seam).
#[allow(clippy::disallowed_methods)]
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
