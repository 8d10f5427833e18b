//! The values the store hands out and keeps: [`Cnid`], [`Kind`], [`Entry`].
//!
//! Spec: `cnid-and-config.md` §1.1 (what a CNID is), §1.2 (reserved values), §1.3 (the record).

use std::fmt;

use crate::error::InvalidArgument;

/// A Catalog Node ID: the per-volume 32-bit number AFP uses for files and directories.
///
/// Directory IDs and file IDs share one pool (§1.1). The store hands out IDs from
/// [`Cnid::FIRST`] upwards and never stores records for the reserved values below it.
#[doc(alias = "CNID")]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cnid(pub u32);

impl Cnid {
    /// `CNID_INVALID`: never a valid ID.
    pub const INVALID: Cnid = Cnid(0);
    /// `DIRDID_ROOT_PARENT`: the parent of the volume root. No record exists for it.
    pub const ROOT_PARENT: Cnid = Cnid(1);
    /// `DIRDID_ROOT`: the volume root directory. No record is stored for it; its children have
    /// `did = 2`.
    pub const ROOT: Cnid = Cnid(2);
    /// `CNID_START`: the first ID the store hands out (3 to 16 are reserved by AFP).
    pub const FIRST: Cnid = Cnid(17);
    /// The largest ID. Allocation wraps from here to [`Cnid::FIRST`] (§1.7) and skips used IDs.
    pub const MAX: Cnid = Cnid(u32::MAX);

    /// The raw number.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// Whether this ID can name a stored record (`>= 17`).
    pub const fn is_assignable(self) -> bool {
        self.0 >= Self::FIRST.0
    }

    /// Whether this ID can be the parent of a stored record (`>= 2`: the root or a stored
    /// directory).
    pub const fn is_valid_parent(self) -> bool {
        self.0 >= Self::ROOT.0
    }
}

impl fmt::Display for Cnid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl From<Cnid> for u32 {
    fn from(id: Cnid) -> u32 {
        id.0
    }
}

/// Whether an object is a file or a directory (the record's `type` field, §1.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A regular file (netatalk type 0).
    File,
    /// A directory (netatalk type 1).
    Dir,
}

impl Kind {
    /// The on-disk code: 0 for files, 1 for directories (netatalk's values).
    pub const fn code(self) -> u8 {
        match self {
            Kind::File => 0,
            Kind::Dir => 1,
        }
    }

    /// The kind for an on-disk code, `None` for any other byte.
    pub const fn from_code(code: u8) -> Option<Kind> {
        match code {
            0 => Some(Kind::File),
            1 => Some(Kind::Dir),
            _ => None,
        }
    }
}

/// The longest name the store accepts, in bytes (POSIX `NAME_MAX` on the filesystems we serve).
pub const MAX_NAME_LEN: usize = 255;

/// Checks a name the way every operation does: 1 to [`MAX_NAME_LEN`] bytes, no NUL, no `/`.
///
/// Names are the on-disk (precomposed) names of objects in their parent directory, as raw
/// bytes; a name with `/` or NUL cannot exist on a Unix filesystem.
pub fn check_name(name: &[u8]) -> Result<(), InvalidArgument> {
    if name.is_empty() {
        return Err(InvalidArgument::EmptyName);
    }
    if name.len() > MAX_NAME_LEN {
        return Err(InvalidArgument::NameTooLong(name.len()));
    }
    if name.contains(&0) {
        return Err(InvalidArgument::NameContainsNul);
    }
    if name.contains(&b'/') {
        return Err(InvalidArgument::NameContainsSlash);
    }
    Ok(())
}

/// One stored object: the record of §1.3.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Entry {
    /// The object's ID.
    pub id: Cnid,
    /// The parent directory's ID (2 for objects in the volume root).
    pub did: Cnid,
    /// The on-disk name in the parent directory.
    pub name: Vec<u8>,
    /// `st_dev` of the object (0 on volumes that ignore devices, `cnid dev = no`).
    pub dev: u64,
    /// `st_ino` of the object.
    pub ino: u64,
    /// File or directory.
    pub kind: Kind,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_values() {
        assert!(!Cnid::ROOT.is_assignable());
        assert!(Cnid::ROOT.is_valid_parent());
        assert!(!Cnid::ROOT_PARENT.is_valid_parent());
        assert!(Cnid(16).is_valid_parent() && !Cnid(16).is_assignable());
        assert!(Cnid::FIRST.is_assignable());
    }

    #[test]
    fn names() {
        assert_eq!(check_name(b""), Err(InvalidArgument::EmptyName));
        assert_eq!(check_name(b"a/b"), Err(InvalidArgument::NameContainsSlash));
        assert_eq!(check_name(b"a\0b"), Err(InvalidArgument::NameContainsNul));
        assert_eq!(
            check_name(&[b'x'; 256]),
            Err(InvalidArgument::NameTooLong(256))
        );
        assert_eq!(check_name(&[b'x'; 255]), Ok(()));
        assert_eq!(check_name("Überweisung.pdf".as_bytes()), Ok(()));
    }

    #[test]
    fn kind_codes() {
        for k in [Kind::File, Kind::Dir] {
            assert_eq!(Kind::from_code(k.code()), Some(k));
        }
        assert_eq!(Kind::from_code(2), None);
    }
}
