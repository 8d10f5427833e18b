//! Client names and disk names (spec `afp-dsi.md` §2.3, §2.4, §9.2, §9.4): conversion with
//! netatalk 3's scheme (decomposed Mac names, precomposed disk names, '/' ↔ ':'), and the
//! names netatalk hides from clients and refuses as path elements.

use std::os::fd::BorrowedFd;

use afp_proto::name::{self, NameScheme};
use afp_proto::path::PathKind;
use afp_proto::{AfpVersion, ResultCode};
use rustix::fs::OFlags;

use super::sys;
use crate::cmd::AfpResult;

/// Longest path element netatalk accepts, in bytes (`UTF8FILELEN_EARLY`).
pub const ELEMENT_MAX: usize = 255;

/// The names netatalk keeps for itself (spec §9.4): never listed, refused as names.
const RESERVED: [&[u8]; 3] = [b".AppleDB", b".AppleDesktop", b".AppleDouble"];

/// The prefix of AppleDouble sidecar files (`._name`, spec §9.4).
pub const SIDECAR_PREFIX: &[u8] = b"._";

/// The Mac name (decomposed UTF-8) of one pathname element sent by a client.
///
/// Type-2 elements are MacRoman (netatalk converts them to UTF-8 on AFP 3 sessions as
/// well); type-3 elements must be UTF-8. Short names (type 1) are refused before this.
pub fn element_to_mac(kind: PathKind, bytes: &[u8]) -> AfpResult<String> {
    // netatalk cname(): an element longer than UTF8FILELEN_EARLY is AFPERR_PARAM.
    if bytes.len() > ELEMENT_MAX {
        return Err(ResultCode::PARAM_ERR);
    }
    match kind {
        PathKind::Long => Ok(name::long_name_to_utf8(bytes)),
        PathKind::Utf8 { .. } => {
            let s = std::str::from_utf8(bytes).map_err(|_| ResultCode::PARAM_ERR)?;
            Ok(name::decompose(s))
        }
        PathKind::Short => Err(ResultCode::PARAM_ERR),
    }
}

/// Checks that the path kind is usable on a session of `version` (spec §2.4: type 3 needs
/// AFP 3; netatalk refuses short names).
pub fn check_path_kind(kind: PathKind, version: AfpVersion) -> AfpResult<()> {
    match kind {
        PathKind::Long => Ok(()),
        PathKind::Utf8 { .. } if version.is_afp3() => Ok(()),
        _ => Err(ResultCode::PARAM_ERR),
    }
}

/// The disk name for a Mac name (precomposed, '/' stored as ':'). Names that cannot be
/// stored ("." or "..", NUL, ':') are kFPParamErr.
pub fn mac_to_disk(mac: &str) -> AfpResult<Vec<u8>> {
    NameScheme::Netatalk3
        .mac_to_disk(mac)
        .map(String::into_bytes)
        .map_err(|_| ResultCode::PARAM_ERR)
}

/// The Mac name (decomposed, ':' shown as '/') of a disk name; `None` for names that are
/// not valid UTF-8 (netatalk cannot convert them either).
pub fn disk_to_mac(disk: &[u8]) -> Option<String> {
    NameScheme::Netatalk3.disk_to_mac(disk).ok()
}

/// True if two Mac names are the same after Apple's decomposition (netatalk compares
/// decomposed UTF-8 byte for byte).
pub fn decompose_eq(a: &str, b: &str) -> bool {
    a == b || name::decompose(a) == name::decompose(b)
}

/// The sidecar name `._<name>` of an object.
pub fn sidecar_name(disk: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(disk.len() + 2);
    v.extend_from_slice(SIDECAR_PREFIX);
    v.extend_from_slice(disk);
    v
}

/// True for netatalk's reserved names (`.AppleDB`, `.AppleDesktop`, `.AppleDouble`,
/// compared case-insensitively as netatalk's `netatalk_name`).
pub fn is_reserved(disk: &[u8]) -> bool {
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(disk))
}

/// True if `disk` in `dir` is an AppleDouble sidecar written by netatalk (or by us): a
/// `._` name whose header has the AppleDouble magic and the `Netatalk` filler. `._` files
/// written by macOS are ordinary files to clients (spec §9.4). A sidecar the caller cannot
/// read counts as netatalk's when its name is `._` + an existing name.
pub fn is_netatalk_sidecar(dir: BorrowedFd<'_>, disk: &[u8]) -> bool {
    if !disk.starts_with(SIDECAR_PREFIX) {
        return false;
    }
    let fd = match sys::open_at(dir, disk, OFlags::RDONLY | OFlags::NONBLOCK, 0) {
        Ok(fd) => fd,
        Err(_) => {
            // Unreadable: hide it when it shadows an existing object, as a sidecar would.
            let base = &disk[SIDECAR_PREFIX.len()..];
            return !base.is_empty() && sys::stat_at(dir, base).is_ok();
        }
    };
    let mut head = [0u8; 24];
    match rustix::io::read(&fd, &mut head[..]) {
        Ok(24) => {
            head[0..4] == cnid::appledouble::MAGIC.to_be_bytes()
                && head[8..24] == cnid::appledouble::FILLER_NETATALK
        }
        _ => false,
    }
}

/// The names of one directory a client must not see or use, besides the reserved ones:
/// `veto files` patterns and the CNID store's directory when it lies inside the volume.
#[derive(Debug, Clone, Default)]
pub struct Hidden {
    /// `veto files` entries (netatalk matches whole names, '*' and '?' wildcards).
    pub veto: Vec<Vec<u8>>,
    /// The first component of the CNID store directory below the volume root, if inside.
    pub db_component: Option<Vec<u8>>,
}

impl Hidden {
    /// True if `disk` must not be shown or addressed (in directory `dir`, which is the
    /// volume root when `in_root`).
    pub fn hides(&self, dir: BorrowedFd<'_>, disk: &[u8], in_root: bool) -> bool {
        if is_reserved(disk) {
            return true;
        }
        if in_root && self.db_component.as_deref() == Some(disk) {
            return true;
        }
        if self.veto.iter().any(|p| wildcard(p, disk)) {
            return true;
        }
        disk.starts_with(SIDECAR_PREFIX) && is_netatalk_sidecar(dir, disk)
    }
}

/// Shell-style match of `pat` ('*' any run, '?' one byte) against `s`.
fn wildcard(pat: &[u8], s: &[u8]) -> bool {
    let (mut p, mut i) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while i < s.len() {
        if p < pat.len() && (pat[p] == b'?' || pat[p] == s[i]) {
            p += 1;
            i += 1;
        } else if p < pat.len() && pat[p] == b'*' {
            star = Some(p);
            mark = i;
            p += 1;
        } else if let Some(sp) = star {
            p = sp + 1;
            mark += 1;
            i = mark;
        } else {
            return false;
        }
    }
    while p < pat.len() && pat[p] == b'*' {
        p += 1;
    }
    p == pat.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_follow_netatalk3() {
        assert_eq!(mac_to_disk("a/b").unwrap(), b"a:b");
        assert_eq!(disk_to_mac(b"a:b").unwrap(), "a/b");
        // Decomposed on the wire, precomposed on disk.
        let mac = "e\u{301}t\u{e9}";
        assert_eq!(mac_to_disk(mac).unwrap(), "\u{e9}t\u{e9}".as_bytes());
        assert_eq!(disk_to_mac("\u{e9}".as_bytes()).unwrap(), "e\u{301}");
        assert_eq!(mac_to_disk(".."), Err(ResultCode::PARAM_ERR));
        assert_eq!(mac_to_disk("."), Err(ResultCode::PARAM_ERR));
        assert_eq!(mac_to_disk(".hidden").unwrap(), b".hidden");
        assert!(disk_to_mac(b"\xff").is_none());
    }

    #[test]
    fn elements() {
        let long = element_to_mac(PathKind::Long, b"caf\x8e").unwrap();
        assert_eq!(long, "cafe\u{301}");
        assert_eq!(
            element_to_mac(PathKind::Utf8 { hint: 0 }, b"\xff"),
            Err(ResultCode::PARAM_ERR)
        );
        assert_eq!(
            element_to_mac(PathKind::Long, &[b'a'; 256]),
            Err(ResultCode::PARAM_ERR)
        );
        assert!(check_path_kind(PathKind::Short, AfpVersion::V3_4).is_err());
        assert!(check_path_kind(PathKind::Utf8 { hint: 0 }, AfpVersion::V2_2).is_err());
    }

    #[test]
    fn reserved_and_wildcards() {
        assert!(is_reserved(b".AppleDB"));
        assert!(is_reserved(b".appledouble"));
        assert!(!is_reserved(b".AppleDBx"));
        assert!(wildcard(b"*.tmp", b"a.tmp"));
        assert!(wildcard(b"?x", b"ax"));
        assert!(!wildcard(b"*.tmp", b"a.tmpx"));
        assert!(wildcard(b"Thumbs.db", b"Thumbs.db"));
    }
}
