//! File and directory parameters for a bitmap (spec `afp-dsi.md` §4.3–§4.6; netatalk
//! `getmetadata()` in `etc/afpd/file.c`, `getdirparams()` in `etc/afpd/directory.c`,
//! `accessmode()` in `etc/afpd/unix.c`).

use std::os::fd::BorrowedFd;

use afp_proto::params::{
    AccessRights, DirAttributes, DirBitmap, DirParams, FileAttributes, FileBitmap, FileParams,
    FinderInfo, ProDosInfo, UnixPrivs,
};
use afp_proto::path::AfpName;
use afp_proto::{AfpVersion, ResultCode, name};
use bytes::Bytes;
use cnid::Cnid;
use rustix::fs::Stat;

use super::meta::{Meta, attr};
use super::rsrc;
use super::sys;
use super::volume::Volume;
use crate::accounts::UserInfo;
use crate::cmd::AfpResult;

/// Who is asking: what the AccessRights "user" byte and the owner bit are computed for.
#[derive(Debug, Clone, Copy)]
pub struct Asker<'a> {
    /// The session's user (`None` before login: no rights beyond "everyone").
    pub user: Option<&'a UserInfo>,
    /// The session's AFP version (bits 11, 13–15 need AFP 3).
    pub version: AfpVersion,
}

/// One object to describe.
#[derive(Debug, Clone, Copy)]
pub struct Obj<'a> {
    /// The directory holding the object.
    pub dir: BorrowedFd<'a>,
    /// Its disk name in `dir` ("." for the volume root).
    pub name: &'a [u8],
    /// Its client name (decomposed UTF-8; the volume name for the root).
    pub mac_name: &'a str,
    /// Its parent's ID (1 for the root).
    pub parent_id: Cnid,
    /// Its CNID (its DID for a directory).
    pub id: Cnid,
    /// `lstat` of it.
    pub st: &'a Stat,
    /// Its metadata.
    pub meta: &'a Meta,
    /// For a directory: its own handle (to count its offspring).
    pub self_fd: Option<BorrowedFd<'a>>,
    /// DAlreadyOpen / RAlreadyOpen (files: whether any session has the data / resource
    /// fork open).
    pub forks_open: (bool, bool),
}

/// The AFP "access rights" bits of one class (netatalk `utombits`): read 0x02, write
/// 0x04, search 0x01.
fn utombits(bits: u32) -> u32 {
    let mut m = 0;
    if bits & 0o4 != 0 {
        m |= 0x02;
    }
    if bits & 0o2 != 0 {
        m |= 0x04;
    }
    if bits & 0o1 != 0 {
        m |= 0x01;
    }
    m
}

/// netatalk `utommode`: user, everyone, group and owner bytes from the mode, the user
/// byte for `user` (owner → owner bits plus the "is owner" bit; else group member → group
/// bits; else everyone's).
pub fn access_rights(st: &Stat, user: Option<&UserInfo>) -> AccessRights {
    let mode = st.st_mode;
    let world = utombits(mode);
    let group = utombits(mode >> 3);
    let owner = utombits(mode >> 6);
    let me = match user {
        Some(u) if u.uid == st.st_uid || u.uid == 0 => owner | 0x80,
        Some(u) if u.gid == st.st_gid || u.groups.contains(&st.st_gid) => group,
        _ => world,
    };
    AccessRights::from_bits_retain(me << 24 | world << 16 | group << 8 | owner)
}

/// FPUnixPrivs (spec §4.6) for `st`: uid, gid, the full mode (S_ISGID cleared on
/// directories, as netatalk), and the access-rights bytes.
pub fn unix_privs(st: &Stat, user: Option<&UserInfo>) -> UnixPrivs {
    let mut perm = st.st_mode;
    if sys::is_dir(st) {
        perm &= !libc::S_ISGID;
    }
    UnixPrivs {
        uid: st.st_uid,
        gid: st.st_gid,
        permissions: perm,
        ua_permissions: access_rights(st, user),
    }
}

fn check_file_bitmap(bitmap: FileBitmap, version: AfpVersion) -> AfpResult<()> {
    bitmap.check(version).map_err(|_| ResultCode::BITMAP_ERR)?;
    if bitmap.bits() & 0x1000 != 0 {
        return Err(ResultCode::BITMAP_ERR);
    }
    Ok(())
}

fn check_dir_bitmap(bitmap: DirBitmap, version: AfpVersion) -> AfpResult<()> {
    bitmap.check(version).map_err(|_| ResultCode::BITMAP_ERR)
}

/// ProDOS info for a Mac file type (netatalk `getmetadata`, AFP 2): `TEXT` is ProDOS type
/// 0x04, `PSYS` 0xFF/0x0001, `PS16` 0xB3, `p<type><aux>` carries them as is.
pub fn prodos_of_type(t: [u8; 4]) -> ProDosInfo {
    let (ftype, aux): (u8, u16) = match &t {
        b"TEXT" => (0x04, 0),
        b"PSYS" => (0xFF, 1),
        b"PS16" => (0xB3, 0),
        [b'p', ty, hi, lo] => (*ty, u16::from_be_bytes([*hi, *lo])),
        _ => (0, 0),
    };
    let a = aux.to_be_bytes();
    ProDosInfo([ftype, 0, a[0], a[1], 0, 0])
}

/// The Mac file type for ProDOS info (netatalk `setfilparams`, AFP 2): type 0x04 is
/// `TEXT`, anything else `p<type><aux>`; the creator becomes `pdos`.
pub fn type_of_prodos(p: &ProDosInfo) -> [u8; 8] {
    let b = p.0;
    let mut out = *b"????pdos";
    if b[0] == 0x04 {
        out[0..4].copy_from_slice(b"TEXT");
    } else {
        out[0..4].copy_from_slice(&[b'p', b[0], b[2], b[3]]);
    }
    out
}

/// The long name (MacRoman, mangled when needed) of an object.
fn long_name(o: &Obj<'_>) -> Bytes {
    Bytes::from(name::to_long_name(o.mac_name, o.id.0))
}

/// The UTF-8 name (decomposed, mangled past 255 bytes) of an object.
fn utf8_name(o: &Obj<'_>) -> AfpName {
    AfpName::new(Bytes::from(
        name::to_utf8_name(o.mac_name, o.id.0)
            .into_owned()
            .into_bytes(),
    ))
}

impl Volume {
    /// True when `name` is a dot name on an `invisible dots` volume.
    pub fn invisible_dot(&self, name: &[u8]) -> bool {
        self.opts.invisible_dots && name.first() == Some(&b'.') && name != b"."
    }

    /// The file parameters of `o` for `bitmap` (kFPBitmapErr for bits the session's
    /// version does not have, and for the launch limit).
    pub fn file_params(
        &self,
        o: &Obj<'_>,
        bitmap: FileBitmap,
        who: Asker<'_>,
    ) -> AfpResult<FileParams> {
        check_file_bitmap(bitmap, who.version)?;
        let st = o.st;
        let inv = self.invisible_dot(o.name);
        let mut p = FileParams::default();
        if bitmap.contains(FileBitmap::ATTRIBUTES) {
            let mut a = o.meta.attributes(false, inv);
            if o.forks_open.0 {
                a |= attr::D_OPEN;
            }
            if o.forks_open.1 {
                a |= attr::R_OPEN;
            }
            p.attributes = Some(FileAttributes::from_bits_retain(a));
        }
        if bitmap.contains(FileBitmap::PARENT_DIR_ID) {
            p.parent_id = Some(o.parent_id.0);
        }
        if bitmap.contains(FileBitmap::CREATE_DATE) {
            p.create_date = Some(o.meta.create_date(st));
        }
        if bitmap.contains(FileBitmap::MOD_DATE) {
            p.mod_date = Some(o.meta.mod_date(st));
        }
        if bitmap.contains(FileBitmap::BACKUP_DATE) {
            p.backup_date = Some(o.meta.backup_date());
        }
        if bitmap.contains(FileBitmap::FINDER_INFO) {
            let mut fi = o.meta.finder_info(st, inv);
            // netatalk: a file with no type and creator shows its extension's mapping.
            if sys::is_reg(st) && fi[0..8] == [0; 8] {
                fi[0..8].copy_from_slice(&super::extmap::type_creator(o.mac_name));
            }
            p.finder_info = Some(FinderInfo(fi));
        }
        if bitmap.contains(FileBitmap::LONG_NAME) {
            p.long_name = Some(long_name(o));
        }
        if bitmap.contains(FileBitmap::SHORT_NAME) {
            p.short_name = Some(Bytes::new());
        }
        if bitmap.contains(FileBitmap::NODE_ID) {
            p.node_id = Some(o.id.0);
        }
        let size = u64::try_from(st.st_size).unwrap_or(0);
        if bitmap.contains(FileBitmap::DATA_FORK_LEN) {
            p.data_fork_len = Some(u32::try_from(size).unwrap_or(u32::MAX));
        }
        if bitmap.contains(FileBitmap::EXT_DATA_FORK_LEN) {
            p.ext_data_fork_len = Some(size);
        }
        if bitmap.intersects(FileBitmap::RSRC_FORK_LEN | FileBitmap::EXT_RSRC_FORK_LEN) {
            let r = if sys::is_reg(st) {
                rsrc::rsrc_len(o.dir, o.name)
            } else {
                0
            };
            if bitmap.contains(FileBitmap::RSRC_FORK_LEN) {
                p.rsrc_fork_len = Some(u32::try_from(r).unwrap_or(u32::MAX));
            }
            if bitmap.contains(FileBitmap::EXT_RSRC_FORK_LEN) {
                p.ext_rsrc_fork_len = Some(r);
            }
        }
        if bitmap.contains(FileBitmap::UTF8_NAME) {
            if who.version.is_afp3() {
                p.utf8_name = Some(utf8_name(o));
            } else {
                let fi = o.meta.finder_info(st, inv);
                p.prodos_info = Some(prodos_of_type([fi[0], fi[1], fi[2], fi[3]]));
            }
        }
        if bitmap.contains(FileBitmap::UNIX_PRIVS) {
            p.unix_privs = Some(unix_privs(st, who.user));
        }
        Ok(p)
    }

    /// The directory parameters of `o` for `bitmap`.
    pub fn dir_params(
        &self,
        o: &Obj<'_>,
        bitmap: DirBitmap,
        who: Asker<'_>,
    ) -> AfpResult<DirParams> {
        check_dir_bitmap(bitmap, who.version)?;
        let st = o.st;
        let inv = self.invisible_dot(o.name);
        let mut p = DirParams::default();
        if bitmap.contains(DirBitmap::ATTRIBUTES) {
            p.attributes = Some(DirAttributes::from_bits_retain(
                o.meta.attributes(true, inv),
            ));
        }
        if bitmap.contains(DirBitmap::PARENT_DIR_ID) {
            p.parent_id = Some(o.parent_id.0);
        }
        if bitmap.contains(DirBitmap::CREATE_DATE) {
            p.create_date = Some(o.meta.create_date(st));
        }
        if bitmap.contains(DirBitmap::MOD_DATE) {
            p.mod_date = Some(o.meta.mod_date(st));
        }
        if bitmap.contains(DirBitmap::BACKUP_DATE) {
            p.backup_date = Some(o.meta.backup_date());
        }
        if bitmap.contains(DirBitmap::FINDER_INFO) {
            p.finder_info = Some(FinderInfo(o.meta.finder_info(st, inv)));
        }
        if bitmap.contains(DirBitmap::LONG_NAME) {
            p.long_name = Some(long_name(o));
        }
        if bitmap.contains(DirBitmap::SHORT_NAME) {
            p.short_name = Some(Bytes::new());
        }
        if bitmap.contains(DirBitmap::NODE_ID) {
            p.node_id = Some(o.id.0);
        }
        if bitmap.contains(DirBitmap::OFFSPRING_COUNT) {
            p.offspring_count = Some(self.offspring_count(o));
        }
        if bitmap.contains(DirBitmap::OWNER_ID) {
            p.owner_id = Some(st.st_uid);
        }
        if bitmap.contains(DirBitmap::GROUP_ID) {
            p.group_id = Some(st.st_gid);
        }
        if bitmap.contains(DirBitmap::ACCESS_RIGHTS) {
            p.access_rights = Some(access_rights(st, who.user));
        }
        if bitmap.contains(DirBitmap::UTF8_NAME) {
            if who.version.is_afp3() {
                p.utf8_name = Some(utf8_name(o));
            } else {
                p.prodos_info = Some(ProDosInfo([0; 6]));
            }
        }
        if bitmap.contains(DirBitmap::UNIX_PRIVS) {
            p.unix_privs = Some(unix_privs(st, who.user));
        }
        Ok(p)
    }

    /// The number of visible entries of a directory, capped at 0xFFFF (0 when it cannot be
    /// read), cached while its mtime and ctime stay the same.
    fn offspring_count(&self, o: &Obj<'_>) -> u16 {
        let st = o.st;
        let key = (
            st.st_mtime,
            st.st_mtime_nsec as i64,
            st.st_ctime,
            st.st_ctime_nsec as i64,
        );
        {
            let cache = self.offspring.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(&(a, b, c, d, n)) = cache.get(&o.id.0)
                && (a, b, c, d) == key
            {
                return n;
            }
        }
        let Some(fd) = o.self_fd else { return 0 };
        let Ok(entries) = sys::read_dir(fd) else {
            return 0;
        };
        let root = o.id == Cnid::ROOT;
        let n = entries
            .iter()
            .filter(|(n, _)| !self.hidden.hides(fd, n, root))
            .count();
        let n = u16::try_from(n).unwrap_or(u16::MAX);
        let mut cache = self.offspring.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() > 16_384 {
            cache.clear();
        }
        cache.insert(o.id.0, (key.0, key.1, key.2, key.3, n));
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat_with(mode: u32, uid: u32, gid: u32) -> Stat {
        let mut st = any_stat();
        st.st_mode = mode;
        st.st_uid = uid;
        st.st_gid = gid;
        st
    }

    fn any_stat() -> Stat {
        let f = tempfile::tempfile().unwrap();
        rustix::fs::fstat(&f).unwrap()
    }

    fn user(uid: u32, gid: u32, groups: Vec<u32>) -> UserInfo {
        UserInfo {
            name: "u".into(),
            uid,
            gid,
            groups,
            home: None,
            full_name: String::new(),
            group_name: None,
            system_account: true,
            is_guest: false,
        }
    }

    #[test]
    fn access_rights_follow_utommode() {
        let st = stat_with(libc::S_IFDIR | 0o750, 1000, 100);
        let owner = access_rights(&st, Some(&user(1000, 100, vec![100])));
        assert_eq!(owner.bits(), 0x87_00_03_07);
        let member = access_rights(&st, Some(&user(1001, 50, vec![50, 100])));
        assert_eq!(member.bits(), 0x03_00_03_07);
        let other = access_rights(&st, Some(&user(1002, 50, vec![50])));
        assert_eq!(other.bits(), 0x00_00_03_07);
        let up = unix_privs(
            &stat_with(libc::S_IFDIR | libc::S_ISGID | 0o755, 1, 2),
            None,
        );
        assert_eq!(up.permissions, libc::S_IFDIR | 0o755);
    }
}
