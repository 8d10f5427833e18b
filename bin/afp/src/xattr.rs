//! Linux extended attributes for `--xattrs`: how Mac metadata is kept on the Linux side.
//!
//! | Mac side (over AFP)               | Linux xattr                          |
//! |-----------------------------------|--------------------------------------|
//! | extended attribute `NAME`         | `user.NAME`                          |
//! | resource fork                     | `user.com.apple.ResourceFork`        |
//! | Finder info (32 bytes, non-zero)  | `user.com.apple.FinderInfo`          |
//!
//! The names follow what macOS itself shows for those two (`com.apple.ResourceFork`,
//! `com.apple.FinderInfo`), in Linux's `user.` namespace, the one unprivileged users may
//! write. Linux file systems limit value sizes (ext4: about one block, 4 KiB; XFS and
//! Btrfs: 64 KiB), so a large resource fork may not fit: that file is reported and the
//! transfer goes on.

use std::io;
use std::path::Path;

/// Linux namespace for the attributes.
pub const PREFIX: &str = "user.";
/// The resource fork's attribute name (without the namespace).
pub const RESOURCE_FORK: &str = "com.apple.ResourceFork";
/// The Finder info's attribute name (without the namespace).
pub const FINDER_INFO: &str = "com.apple.FinderInfo";

/// The `user.` attribute names of `path` without the prefix (symlinks not followed).
pub fn list(path: &Path) -> io::Result<Vec<String>> {
    let buf = match with_buffer(
        || rustix::fs::llistxattr_query(path),
        |b| rustix::fs::llistxattr(path, b),
    ) {
        Ok(b) => b,
        Err(e) if e.raw_os_error() == Some(rustix::io::Errno::NOTSUP.raw_os_error()) => {
            return Ok(Vec::new());
        }
        Err(e) => return Err(e),
    };
    Ok(buf
        .split(|&b| b == 0)
        .filter_map(|n| std::str::from_utf8(n).ok())
        .filter_map(|n| n.strip_prefix(PREFIX))
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect())
}

/// Asks for the size, then reads; retries if the value grew in between (ERANGE).
fn with_buffer(
    query: impl Fn() -> rustix::io::Result<usize>,
    read: impl Fn(&mut [u8]) -> rustix::io::Result<usize>,
) -> io::Result<Vec<u8>> {
    let mut last = rustix::io::Errno::RANGE;
    for _ in 0..4 {
        let size = query()?;
        if size == 0 {
            return Ok(Vec::new());
        }
        let mut buf = vec![0u8; size];
        match read(&mut buf[..]) {
            Ok(n) => {
                buf.truncate(n);
                return Ok(buf);
            }
            Err(e) if e == rustix::io::Errno::RANGE => last = e,
            Err(e) => return Err(e.into()),
        }
    }
    Err(last.into())
}

/// The value of `user.NAME`.
pub fn get(path: &Path, name: &str) -> io::Result<Vec<u8>> {
    let full = format!("{PREFIX}{name}");
    with_buffer(
        || rustix::fs::lgetxattr_query(path, full.as_str()),
        |b| rustix::fs::lgetxattr(path, full.as_str(), b),
    )
}

/// Sets `user.NAME`.
pub fn set(path: &Path, name: &str, value: &[u8]) -> io::Result<()> {
    let full = format!("{PREFIX}{name}");
    rustix::fs::lsetxattr(path, full.as_str(), value, rustix::fs::XattrFlags::empty())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_in_the_user_namespace() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, b"x").unwrap();
        set(&f, "org.example.test", b"value")
            .expect("the temp dir's file system must support user xattrs");
        assert_eq!(get(&f, "org.example.test").unwrap(), b"value");
        assert!(list(&f).unwrap().contains(&"org.example.test".to_owned()));
    }
}
