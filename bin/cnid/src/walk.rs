//! Walking a volume and reading netatalk's metadata xattr.

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use cnid::appledouble::{METADATA_XATTR_LINUX, Metadata};
use cnid::{Cnid, Kind};

/// Names netatalk keeps for itself and never reports to clients (spec §1.14, afp-dsi §9.4).
const SPECIAL: [&[u8]; 4] = [
    b".AppleDB",
    b".AppleDesktop",
    b".AppleDouble",
    b".AppleDBcnid",
];

/// The state of an object's `org.netatalk.Metadata` xattr.
pub(crate) enum Meta {
    /// No xattr.
    Absent,
    /// Decoded.
    Present(Box<Metadata>),
    /// Present but malformed (never rewritten by this tool).
    Malformed(String),
}

/// One object found on disk.
pub(crate) struct Object {
    pub(crate) path: PathBuf,
    /// The parent's ID, if the parent's ID is known.
    pub(crate) did: Option<Cnid>,
    pub(crate) name: Vec<u8>,
    pub(crate) dev: u64,
    pub(crate) ino: u64,
    pub(crate) kind: Kind,
    pub(crate) meta: Meta,
}

impl Object {
    /// The CNID cached in the metadata, valid for this object (§2.4 `ad_getid`).
    pub(crate) fn hint(&self, nodev: bool) -> Option<Cnid> {
        match &self.meta {
            Meta::Present(m) => m.cnid_hint(self.dev, self.ino, nodev),
            _ => None,
        }
    }
}

fn cpath(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains NUL"))
}

/// Reads an xattr of `path` (not following symlinks). `Ok(None)` if absent or unsupported.
pub(crate) fn get_xattr(path: &Path, name: &str) -> io::Result<Option<Vec<u8>>> {
    let p = cpath(path)?;
    let n = CString::new(name).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    let mut buf = vec![0u8; 4096];
    // SAFETY: `p` and `n` are NUL-terminated; `buf` is valid for `buf.len()` bytes, the most
    // lgetxattr writes.
    let r = unsafe { libc::lgetxattr(p.as_ptr(), n.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    if r < 0 {
        let e = io::Error::last_os_error();
        return match e.raw_os_error() {
            Some(libc::ENODATA) | Some(libc::ENOTSUP) => Ok(None),
            _ => Err(e),
        };
    }
    buf.truncate(r as usize);
    Ok(Some(buf))
}

/// Writes an xattr of `path` (not following symlinks).
pub(crate) fn set_xattr(path: &Path, name: &str, value: &[u8]) -> io::Result<()> {
    let p = cpath(path)?;
    let n = CString::new(name).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: `p` and `n` are NUL-terminated; `value` is valid for `value.len()` bytes.
    let r = unsafe {
        libc::lsetxattr(
            p.as_ptr(),
            n.as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            0,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn read_meta(path: &Path) -> Meta {
    match get_xattr(path, METADATA_XATTR_LINUX) {
        Ok(None) => Meta::Absent,
        Ok(Some(v)) => match Metadata::decode(&v) {
            Ok(m) => Meta::Present(Box::new(m)),
            Err(e) => Meta::Malformed(e.to_string()),
        },
        Err(e) => Meta::Malformed(format!("cannot read xattr: {e}")),
    }
}

/// Walks the volume below `root` (DID 2) depth first, in name order, one directory at a
/// time: `f` gets the objects of one directory together (so the caller can commit them in
/// one transaction) and returns, for each, the ID to use as `did` for its children
/// (directories) or `None`.
pub(crate) fn walk(
    root: &Path,
    nodev: bool,
    skip: Option<&Path>,
    mut on_dir: impl FnMut(&[Object]) -> anyhow::Result<Vec<Option<Cnid>>>,
    mut on_skip: impl FnMut(&Path, String),
) -> anyhow::Result<()> {
    let mut stack: Vec<(PathBuf, Option<Cnid>)> = vec![(root.to_owned(), Some(Cnid::ROOT))];
    while let Some((dir, did)) = stack.pop() {
        let rd = match std::fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) => {
                on_skip(&dir, format!("cannot read directory: {e}"));
                continue;
            }
        };
        let mut names: Vec<_> = rd.filter_map(|e| e.ok()).map(|e| e.file_name()).collect();
        names.sort();
        let mut objects = Vec::new();
        for name in names {
            let bytes = name.as_bytes();
            let path = dir.join(&name);
            if SPECIAL.contains(&bytes) || bytes.starts_with(b"._") {
                on_skip(&path, "netatalk metadata".into());
                continue;
            }
            if skip.is_some_and(|s| s == path) {
                on_skip(&path, "the CNID store itself".into());
                continue;
            }
            let md = match std::fs::symlink_metadata(&path) {
                Ok(m) => m,
                Err(e) => {
                    on_skip(&path, format!("cannot stat: {e}"));
                    continue;
                }
            };
            let kind = if md.is_dir() {
                Kind::Dir
            } else if md.is_file() {
                Kind::File
            } else {
                on_skip(&path, "not a file or directory (skipped)".into());
                continue;
            };
            objects.push(Object {
                meta: read_meta(&path),
                path,
                did,
                name: bytes.to_vec(),
                dev: if nodev { 0 } else { md.dev() },
                ino: md.ino(),
                kind,
            });
        }
        let ids = on_dir(&objects)?;
        // Push in reverse so that children are visited in name order.
        for (o, id) in objects.iter().zip(ids).rev() {
            if o.kind == Kind::Dir {
                stack.push((o.path.clone(), id));
            }
        }
    }
    Ok(())
}
