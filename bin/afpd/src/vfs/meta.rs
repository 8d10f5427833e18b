//! The Mac metadata of an object, in netatalk's `ea = sys` layout (spec `afp-dsi.md` §4.4,
//! §4.5, §9.4; `cnid-and-config.md` §2): the `user.org.netatalk.Metadata` extended
//! attribute holds FinderInfo, comment, dates, AFP attributes and the cached CNID
//! (codec: [`cnid::appledouble::Metadata`]).
//!
//! Objects without the attribute get netatalk's defaults: FinderInfo all zeros except the
//! "inited" flag (byte 8 = 0x01), symlinks typed `slnk`/`rhap`; creation date from
//! `st_mtime`; backup date "never"; attributes 0 (Invisible for dot names when the volume
//! sets `invisible dots`).

use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::OnceLock;

use afp_proto::AfpDate;
use cnid::appledouble::{FileDates, Metadata};
use rustix::fs::{Stat, XattrFlags};

use super::sys;
use crate::rootsvc::RootService;

/// The metadata attribute's name on Linux.
pub const META_XATTR: &str = cnid::appledouble::METADATA_XATTR_LINUX;

/// FinderInfo flag: invisible.
pub const FINDER_INVISIBLE: u16 = 0x4000;
/// FinderInfo flag: alias (netatalk sets it on symlinks).
pub const FINDER_ALIAS: u16 = 0x8000;
/// FinderInfo flag: shared (files; mirrors the MultiUser attribute).
pub const FINDER_SHARED: u16 = 0x0040;

/// AFP attribute bits (files and directories share the values used here, spec §4.4).
pub mod attr {
    /// Invisible.
    pub const INVISIBLE: u16 = 0x0001;
    /// MultiUser (files) / IsExpFolder (directories).
    pub const MULTI_USER: u16 = 0x0002;
    /// System.
    pub const SYSTEM: u16 = 0x0004;
    /// DAlreadyOpen (computed, never stored).
    pub const D_OPEN: u16 = 0x0008;
    /// RAlreadyOpen (computed, never stored).
    pub const R_OPEN: u16 = 0x0010;
    /// WriteInhibit.
    pub const WRITE_INHIBIT: u16 = 0x0020;
    /// BackupNeeded.
    pub const BACKUP_NEEDED: u16 = 0x0040;
    /// RenameInhibit.
    pub const RENAME_INHIBIT: u16 = 0x0080;
    /// DeleteInhibit.
    pub const DELETE_INHIBIT: u16 = 0x0100;
    /// CopyProtect.
    pub const COPY_PROTECT: u16 = 0x0400;
    /// Set/Clear.
    pub const SET_CLEAR: u16 = 0x8000;
}

/// The metadata of one object as read from disk: the decoded attribute, or `None` when
/// the object has none (or an unreadable or malformed one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Meta {
    /// The decoded `org.netatalk.Metadata`, if present.
    pub md: Option<Metadata>,
}

/// The root service used to read metadata the user may not read (set once, by the first
/// volume opened: [`set_root_reader`]).
static ROOT_READER: OnceLock<RootService> = OnceLock::new();

/// Lets [`read`] fall back to the root service when the user may not read an object's
/// metadata (netatalk's `ad_metadata` retries as root on EACCES: a file whose owner took
/// away every permission still shows, and enforces, its DeleteInhibit attribute; spectest
/// FPSetFileDirParms.c test359).
pub fn set_root_reader(root: &RootService) {
    let _ = ROOT_READER.get_or_init(|| root.clone());
}

/// The metadata attribute as root, on the root service thread (read only).
fn xattr_get_as_root(dir: BorrowedFd<'_>, name: &[u8]) -> Option<io::Result<Option<Vec<u8>>>> {
    let root = ROOT_READER.get()?;
    let fd = rustix::io::fcntl_dupfd_cloexec(dir, 0).ok()?;
    let name = name.to_vec();
    root.run(move || sys::xattr_get(fd.as_fd(), &name, META_XATTR))
}

/// Reads the metadata of `name` in `dir` ("." = `dir` itself). Missing, unreadable or
/// malformed metadata reads as `None` (netatalk then uses its defaults too). Metadata the
/// user may not read (EACCES) is read as root, as netatalk's `ad_metadata` does.
pub fn read(dir: BorrowedFd<'_>, name: &[u8]) -> Meta {
    let mut got = sys::xattr_get(dir, name, META_XATTR);
    if matches!(&got, Err(e) if sys::errno(e) == libc::EACCES)
        && let Some(r) = xattr_get_as_root(dir, name)
    {
        got = r;
    }
    let md = match got {
        Ok(Some(bytes)) => match Metadata::decode(&bytes) {
            Ok(m) => Some(m),
            Err(e) => {
                tracing::debug!(
                    name = %String::from_utf8_lossy(name),
                    "ignoring malformed {META_XATTR}: {e}"
                );
                None
            }
        },
        Ok(None) => None,
        Err(_) => None,
    };
    Meta { md }
}

/// Writes the metadata of `name` in `dir`.
pub fn write(dir: BorrowedFd<'_>, name: &[u8], md: &Metadata) -> io::Result<()> {
    sys::xattr_set(dir, name, META_XATTR, &md.to_bytes(), XattrFlags::empty())
}

/// netatalk's `new_ad_header`: a fresh record for an object with `st` (dates from
/// `st_mtime`, backup never, FinderInfo zeros, Invisible for dot names on `invisible
/// dots` volumes).
pub fn fresh(st: &Stat, invisible: bool) -> Metadata {
    let mut md = Metadata::default();
    let t = AfpDate::from_unix(st.st_mtime).0;
    md.dates = FileDates {
        create: t,
        modify: t,
        backup: FileDates::NEVER,
        access: t,
    };
    if invisible {
        set_attributes(&mut md, attr::INVISIBLE, false);
    }
    md
}

/// FinderInfo flags (bytes 8–9).
pub fn finder_flags(fi: &[u8; 32]) -> u16 {
    u16::from_be_bytes([fi[8], fi[9]])
}

fn set_finder_flags(fi: &mut [u8; 32], flags: u16) {
    fi[8..10].copy_from_slice(&flags.to_be_bytes());
}

/// netatalk's `ad_getattr`: the stored attributes, with Invisible (and, for files,
/// MultiUser) taken from the FinderInfo flags.
pub fn attributes(md: &Metadata, is_dir: bool) -> u16 {
    let mut a = md.attributes();
    let flags = finder_flags(&md.finder_info);
    if flags & FINDER_INVISIBLE != 0 {
        a |= attr::INVISIBLE;
    } else {
        a &= !attr::INVISIBLE;
    }
    if !is_dir {
        if flags & FINDER_SHARED != 0 {
            a |= attr::MULTI_USER;
        } else {
            a &= !attr::MULTI_USER;
        }
    }
    a & !(attr::D_OPEN | attr::R_OPEN)
}

/// netatalk's `ad_setattr`: stores `a` (never the open-fork bits; for directories never
/// MultiUser, WriteInhibit or CopyProtect) and mirrors Invisible / MultiUser into the
/// FinderInfo flags.
pub fn set_attributes(md: &mut Metadata, a: u16, is_dir: bool) {
    let mut a = a & !(attr::D_OPEN | attr::R_OPEN);
    if is_dir {
        a &= !(attr::MULTI_USER | attr::WRITE_INHIBIT | attr::COPY_PROTECT);
    }
    md.set_attributes(a);
    let mut flags = finder_flags(&md.finder_info);
    if a & attr::INVISIBLE != 0 {
        flags |= FINDER_INVISIBLE;
    } else {
        flags &= !FINDER_INVISIBLE;
    }
    if a & attr::MULTI_USER != 0 {
        if !is_dir {
            flags |= FINDER_SHARED;
        }
    } else {
        flags &= !FINDER_SHARED;
    }
    set_finder_flags(&mut md.finder_info, flags);
}

impl Meta {
    /// The AFP attributes (without the computed open-fork bits). `invisible_dot`: the
    /// object is a dot name on an `invisible dots` volume.
    pub fn attributes(&self, is_dir: bool, invisible_dot: bool) -> u16 {
        match &self.md {
            Some(md) => attributes(md, is_dir),
            None if invisible_dot => attr::INVISIBLE,
            None => 0,
        }
    }

    /// The FinderInfo to report (spec §4.5): the stored one, or netatalk's default for
    /// objects without metadata; symlinks are always `slnk`/`rhap` with the alias flag.
    pub fn finder_info(&self, st: &Stat, invisible_dot: bool) -> [u8; 32] {
        let mut fi = match &self.md {
            Some(md) => md.finder_info,
            None => {
                let mut fi = [0u8; 32];
                if !sys::is_dir(st) {
                    // netatalk's `ufinderi`: only the "inited" flag byte.
                    fi[8] = 0x01;
                }
                if invisible_dot {
                    let f = finder_flags(&fi) | FINDER_INVISIBLE;
                    set_finder_flags(&mut fi, f);
                }
                fi
            }
        };
        if sys::is_symlink(st) {
            fi[0..8].copy_from_slice(b"slnkrhap");
            let f = finder_flags(&fi) | FINDER_ALIAS;
            set_finder_flags(&mut fi, f);
        }
        fi
    }

    /// Creation date: stored, else `st_mtime` (netatalk).
    pub fn create_date(&self, st: &Stat) -> AfpDate {
        match &self.md {
            Some(md) => AfpDate(md.dates.create),
            None => AfpDate::from_unix(st.st_mtime),
        }
    }

    /// Modification date: the later of the stored one and `st_mtime` (netatalk).
    pub fn mod_date(&self, st: &Stat) -> AfpDate {
        let disk = AfpDate::from_unix(st.st_mtime);
        match &self.md {
            Some(md) if !AfpDate(md.dates.modify).is_never() && md.dates.modify > disk.0 => {
                AfpDate(md.dates.modify)
            }
            _ => disk,
        }
    }

    /// Backup date: stored, else "never".
    pub fn backup_date(&self) -> AfpDate {
        match &self.md {
            Some(md) => AfpDate(md.dates.backup),
            None => AfpDate::NEVER,
        }
    }

    /// The Finder comment (empty when none).
    pub fn comment(&self) -> &[u8] {
        self.md.as_ref().map(Metadata::comment).unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_mirror_finder_flags() {
        let mut md = Metadata::default();
        set_attributes(
            &mut md,
            attr::INVISIBLE | attr::MULTI_USER | attr::D_OPEN,
            false,
        );
        assert_eq!(
            finder_flags(&md.finder_info),
            FINDER_INVISIBLE | FINDER_SHARED
        );
        assert_eq!(attributes(&md, false), attr::INVISIBLE | attr::MULTI_USER);
        // Directories never keep MultiUser / WriteInhibit.
        let mut d = Metadata::default();
        set_attributes(
            &mut d,
            attr::MULTI_USER | attr::WRITE_INHIBIT | attr::SYSTEM,
            true,
        );
        assert_eq!(attributes(&d, true), attr::SYSTEM);
        // Invisible follows the FinderInfo flag even if the stored bits disagree.
        let mut m = Metadata::default();
        m.set_attributes(attr::INVISIBLE);
        assert_eq!(attributes(&m, false), 0);
    }
}
