//! netatalk's per-object metadata: the `org.netatalk.Metadata` extended attribute and the
//! `._name` AppleDouble sidecar. Sans-IO: bytes in, values out; the caller reads and writes the
//! xattr or file.
//!
//! Spec: `cnid-and-config.md` §2.1 (container), §2.2 (entry IDs), §2.3 (the `ea` layout),
//! §2.4 (CNID cache and byte order), §2.5 (`._` sidecars); `afp-dsi.md` §9.4.
//!
//! # The metadata xattr (402 bytes, 8 entries)
//!
//! ```text
//! off  len  field
//!   0    4  magic 0x00051607 (BE)
//!   4    4  version 0x00020000 (BE)          netatalk checks this value on read
//!   8   16  filler (netatalk leaves zeros)
//!  24    2  entry count = 8 (BE)
//!  26   96  8 descriptors {id, offset, length} (BE), in ascending internal-id order:
//!           4 comment, 8 dates, 9 FinderInfo, 14 AFP info, PrivDev, PrivIno, PrivSyn, PrivID
//! 122   32  FinderInfo                        (entry 9, length 32)
//! 154  200  comment                           (entry 4, length 0..=200)
//! 354   16  file dates: create, modify, backup, access, i32 BE seconds since 2000-01-01
//! 370    4  AFP file info, attributes u16 BE at +2
//! 374    8  PrivDev  0x80444556 "\x80DEV"    raw host dev_t       (length 0 or 8)
//! 382    8  PrivIno  0x80494E4F "\x80INO"    raw host ino_t       (length 0 or 8)
//! 390    8  PrivSyn  0x8053594E "\x80SYN"    database stamp       (length 0 or 8)
//! 398    4  PrivID   0x8053567E "\x80SV~"    cached CNID          (length 0 or 4)
//! ```
//!
//! The private entries have length 0 until netatalk caches a CNID (`ad_setid` sets all four).
//! PrivDev, PrivIno and PrivID are in the byte order of the host that wrote them (netatalk
//! applies `htonl` to an already big-endian CNID, §2.4): little-endian on x86 and ARM, big-endian
//! on old PowerPC NAS boxes. The reader accepts both; the writer uses little-endian, as
//! netatalk on every little-endian host.
//!
//! # The `._name` sidecar (macOS AppleDouble)
//!
//! ```text
//!   0    4  magic 0x00051607            8  16  filler "Netatalk        " or "Mac OS X        "
//!   4    4  version 0x00020000         24   2  entry count (netatalk: 2)
//!  26   12  {9, 50, 32}   FinderInfo   38  12  {2, 82, fork length}   resource fork
//!  50   32  FinderInfo copy            82   ..  resource fork bytes to the end of the file
//! ```

use bytes::BufMut;

use crate::types::Cnid;

/// The metadata xattr's name (Solaris; prefix `user.` on Linux: [`METADATA_XATTR_LINUX`]).
pub const METADATA_XATTR: &str = "org.netatalk.Metadata";
/// The metadata xattr's full name on Linux.
pub const METADATA_XATTR_LINUX: &str = "user.org.netatalk.Metadata";
/// AppleDouble magic.
pub const MAGIC: u32 = 0x0005_1607;
/// AppleDouble version 2, the only version netatalk accepts in both layouts.
pub const VERSION: u32 = 0x0002_0000;
/// Sidecar filler written by netatalk.
pub const FILLER_NETATALK: [u8; 16] = *b"Netatalk        ";
/// Sidecar filler written by macOS.
pub const FILLER_MACOS: [u8; 16] = *b"Mac OS X        ";

/// AppleDouble entry IDs (§2.2).
pub mod entry {
    /// Resource fork.
    pub const RESOURCE_FORK: u32 = 2;
    /// Finder comment.
    pub const COMMENT: u32 = 4;
    /// File dates (create, modify, backup, access).
    pub const FILE_DATES: u32 = 8;
    /// FinderInfo.
    pub const FINDER_INFO: u32 = 9;
    /// AFP file info (attributes).
    pub const AFP_FILE_INFO: u32 = 14;
    /// netatalk private: `st_dev` when the CNID was cached.
    pub const PRIV_DEV: u32 = 0x8044_4556;
    /// netatalk private: `st_ino` when the CNID was cached.
    pub const PRIV_INO: u32 = 0x8049_4E4F;
    /// netatalk private: database stamp.
    pub const PRIV_SYN: u32 = 0x8053_594E;
    /// netatalk private: the cached CNID.
    pub const PRIV_ID: u32 = 0x8053_567E;
}

const HEADER_LEN: usize = 26;
const DESC_LEN: usize = 12;
const EA_ENTRIES: usize = 8;
const FINDER_INFO_LEN: usize = 32;
const COMMENT_MAX: usize = 200;
const DATES_LEN: usize = 16;
const AFP_INFO_LEN: usize = 4;

const EA_FINDER_INFO: usize = HEADER_LEN + EA_ENTRIES * DESC_LEN;
const EA_COMMENT: usize = EA_FINDER_INFO + FINDER_INFO_LEN;
const EA_DATES: usize = EA_COMMENT + COMMENT_MAX;
const EA_AFP_INFO: usize = EA_DATES + DATES_LEN;
const EA_DEV: usize = EA_AFP_INFO + AFP_INFO_LEN;
const EA_INO: usize = EA_DEV + 8;
const EA_SYN: usize = EA_INO + 8;
const EA_ID: usize = EA_SYN + 8;
/// Length of the metadata xattr.
pub const METADATA_LEN: usize = EA_ID + 4;

/// Length of netatalk's sidecar header (the resource fork starts here).
pub const SIDECAR_HEADER_LEN: usize = HEADER_LEN + 2 * DESC_LEN + FINDER_INFO_LEN;
const SIDECAR_FINDER_INFO: usize = HEADER_LEN + 2 * DESC_LEN;

/// Malformed AppleDouble data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AppleDoubleError {
    /// The metadata xattr is not 402 bytes (403 with `ea = samba`'s trailing NUL).
    #[error("metadata is {0} bytes, expected 402")]
    BadLength(usize),
    /// The data ended before the header did.
    #[error("truncated AppleDouble header")]
    Truncated,
    /// Wrong magic number.
    #[error("bad AppleDouble magic {0:#010x}")]
    BadMagic(u32),
    /// Wrong version.
    #[error("bad AppleDouble version {0:#010x}")]
    BadVersion(u32),
    /// Wrong number of entries (metadata: exactly 8; sidecar: at most 16).
    #[error("bad entry count {0}")]
    EntryCount(u16),
    /// An entry ID that does not belong in this layout.
    #[error("unexpected entry id {0:#x}")]
    UnknownEntry(u32),
    /// The same entry twice.
    #[error("duplicate entry id {0:#x}")]
    DuplicateEntry(u32),
    /// A required entry is missing.
    #[error("missing entry id {0:#x}")]
    MissingEntry(u32),
    /// An entry reaches past the end of the data or into the descriptors.
    #[error("entry {0:#x} lies outside the data")]
    EntryOutOfBounds(u32),
    /// An entry has a length its type does not allow.
    #[error("entry {id:#x} has length {len}")]
    EntryLength {
        /// Entry ID.
        id: u32,
        /// Its length.
        len: u32,
    },
}

fn be32(b: &[u8], off: usize) -> Result<u32, AppleDoubleError> {
    let s = b.get(off..off + 4).ok_or(AppleDoubleError::Truncated)?;
    Ok(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

fn be16(b: &[u8], off: usize) -> Result<u16, AppleDoubleError> {
    let s = b.get(off..off + 2).ok_or(AppleDoubleError::Truncated)?;
    Ok(u16::from_be_bytes([s[0], s[1]]))
}

fn array<const N: usize>(b: &[u8], off: usize) -> Result<[u8; N], AppleDoubleError> {
    let s = b.get(off..off + N).ok_or(AppleDoubleError::Truncated)?;
    let mut a = [0u8; N];
    a.copy_from_slice(s);
    Ok(a)
}

/// AFP dates: seconds since 2000-01-01 00:00 UTC; `0x80000000` means "never" (§2.2, entry 8).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct FileDates {
    /// Creation date.
    pub create: i32,
    /// Modification date.
    pub modify: i32,
    /// Backup date.
    pub backup: i32,
    /// Access date.
    pub access: i32,
}

impl FileDates {
    /// The "never" value.
    pub const NEVER: i32 = i32::MIN;
    /// Seconds between the Unix epoch and the AFP epoch (2000-01-01).
    pub const UNIX_OFFSET: i64 = 946_684_800;
}

/// Byte order of the host that wrote the private entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostOrder {
    /// x86, ARM: what netatalk writes on every current server.
    Little,
    /// PowerPC, SPARC, old MIPS NAS boxes.
    Big,
}

impl HostOrder {
    fn u64(self, b: [u8; 8]) -> u64 {
        match self {
            HostOrder::Little => u64::from_le_bytes(b),
            HostOrder::Big => u64::from_be_bytes(b),
        }
    }

    fn u32(self, b: [u8; 4]) -> u32 {
        match self {
            HostOrder::Little => u32::from_le_bytes(b),
            HostOrder::Big => u32::from_be_bytes(b),
        }
    }
}

/// The decoded `org.netatalk.Metadata` xattr. `Default` is a fresh record with no CNID cached.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Metadata {
    /// The 16 filler bytes (netatalk leaves them zero; kept as read).
    pub filler: [u8; 16],
    /// FinderInfo (FInfo/DInfo + FXInfo/DXInfo), 32 bytes.
    pub finder_info: [u8; 32],
    comment: Vec<u8>,
    /// File dates.
    pub dates: FileDates,
    /// AFP file info; the AFP attributes are the big-endian `u16` at bytes 2..4.
    pub afp_info: [u8; 4],
    /// Raw PrivDev (host-order `dev_t`), if cached.
    pub priv_dev: Option<[u8; 8]>,
    /// Raw PrivIno (host-order `ino_t`), if cached.
    pub priv_ino: Option<[u8; 8]>,
    /// PrivSyn: the stamp of the database that issued the cached CNID, if cached.
    pub priv_stamp: Option<[u8; 8]>,
    /// Raw PrivID (host-order CNID), if cached.
    pub priv_id: Option<[u8; 4]>,
}

impl Metadata {
    /// The Finder comment (at most 200 bytes).
    pub fn comment(&self) -> &[u8] {
        &self.comment
    }

    /// Sets the Finder comment; refuses more than 200 bytes.
    pub fn set_comment(&mut self, comment: &[u8]) -> Result<(), AppleDoubleError> {
        if comment.len() > COMMENT_MAX {
            return Err(AppleDoubleError::EntryLength {
                id: entry::COMMENT,
                len: u32::try_from(comment.len()).unwrap_or(u32::MAX),
            });
        }
        self.comment = comment.to_vec();
        Ok(())
    }

    /// The AFP attribute bits.
    pub fn attributes(&self) -> u16 {
        u16::from_be_bytes([self.afp_info[2], self.afp_info[3]])
    }

    /// Sets the AFP attribute bits.
    pub fn set_attributes(&mut self, attrs: u16) {
        self.afp_info[2..].copy_from_slice(&attrs.to_be_bytes());
    }

    /// Decodes the xattr value. Accepts 402 bytes, or 403 ending in NUL (`ea = samba`).
    /// Strict: wrong magic/version, an entry count other than 8, unknown or duplicate entries,
    /// entries outside the buffer or with impossible lengths are errors.
    pub fn decode(buf: &[u8]) -> Result<Metadata, AppleDoubleError> {
        let buf = match buf.len() {
            METADATA_LEN => buf,
            n if n == METADATA_LEN + 1 && buf.last() == Some(&0) => &buf[..METADATA_LEN],
            n => return Err(AppleDoubleError::BadLength(n)),
        };
        let magic = be32(buf, 0)?;
        if magic != MAGIC {
            return Err(AppleDoubleError::BadMagic(magic));
        }
        let version = be32(buf, 4)?;
        if version != VERSION {
            return Err(AppleDoubleError::BadVersion(version));
        }
        // §2.1: "For the `ea` metadata it also requires exactly 8 entries".
        let n = be16(buf, 24)?;
        if usize::from(n) != EA_ENTRIES {
            return Err(AppleDoubleError::EntryCount(n));
        }
        let mut m = Metadata {
            filler: array(buf, 8)?,
            ..Metadata::default()
        };
        let mut seen = [false; EA_ENTRIES];
        for i in 0..EA_ENTRIES {
            let d = HEADER_LEN + i * DESC_LEN;
            let (id, off, len) = (be32(buf, d)?, be32(buf, d + 4)?, be32(buf, d + 8)?);
            let slot = match id {
                entry::FINDER_INFO => 0,
                entry::COMMENT => 1,
                entry::FILE_DATES => 2,
                entry::AFP_FILE_INFO => 3,
                entry::PRIV_DEV => 4,
                entry::PRIV_INO => 5,
                entry::PRIV_SYN => 6,
                entry::PRIV_ID => 7,
                _ => return Err(AppleDoubleError::UnknownEntry(id)),
            };
            if std::mem::replace(&mut seen[slot], true) {
                return Err(AppleDoubleError::DuplicateEntry(id));
            }
            let start = usize::try_from(off).map_err(|_| AppleDoubleError::EntryOutOfBounds(id))?;
            let l = usize::try_from(len).map_err(|_| AppleDoubleError::EntryOutOfBounds(id))?;
            let end = start
                .checked_add(l)
                .filter(|&e| e <= METADATA_LEN && start >= EA_FINDER_INFO)
                .ok_or(AppleDoubleError::EntryOutOfBounds(id))?;
            let data = &buf[start..end];
            let bad_len = AppleDoubleError::EntryLength { id, len };
            match slot {
                0 => m.finder_info = data.try_into().map_err(|_| bad_len)?,
                1 if l <= COMMENT_MAX => m.comment = data.to_vec(),
                1 => return Err(bad_len),
                2 if l == DATES_LEN => {
                    m.dates = FileDates {
                        create: be32(data, 0)? as i32,
                        modify: be32(data, 4)? as i32,
                        backup: be32(data, 8)? as i32,
                        access: be32(data, 12)? as i32,
                    }
                }
                2 => return Err(bad_len),
                3 => m.afp_info = data.try_into().map_err(|_| bad_len)?,
                _ if l == 0 => {}
                4 => m.priv_dev = Some(data.try_into().map_err(|_| bad_len)?),
                5 => m.priv_ino = Some(data.try_into().map_err(|_| bad_len)?),
                6 => m.priv_stamp = Some(data.try_into().map_err(|_| bad_len)?),
                _ => m.priv_id = Some(data.try_into().map_err(|_| bad_len)?),
            }
        }
        Ok(m)
    }

    /// Appends the 402-byte xattr value in netatalk's layout.
    pub fn encode(&self, dst: &mut impl BufMut) {
        dst.put_slice(&self.to_bytes());
    }

    /// The 402-byte xattr value in netatalk's layout.
    pub fn to_bytes(&self) -> [u8; METADATA_LEN] {
        let mut b = [0u8; METADATA_LEN];
        b[0..4].copy_from_slice(&MAGIC.to_be_bytes());
        b[4..8].copy_from_slice(&VERSION.to_be_bytes());
        b[8..24].copy_from_slice(&self.filler);
        b[24..26].copy_from_slice(&(EA_ENTRIES as u16).to_be_bytes());
        let len_of = |o: Option<usize>| o.unwrap_or(0);
        // Descriptors in netatalk's order (ascending internal ID).
        let descs: [(u32, usize, usize); EA_ENTRIES] = [
            (entry::COMMENT, EA_COMMENT, self.comment.len()),
            (entry::FILE_DATES, EA_DATES, DATES_LEN),
            (entry::FINDER_INFO, EA_FINDER_INFO, FINDER_INFO_LEN),
            (entry::AFP_FILE_INFO, EA_AFP_INFO, AFP_INFO_LEN),
            (entry::PRIV_DEV, EA_DEV, len_of(self.priv_dev.map(|_| 8))),
            (entry::PRIV_INO, EA_INO, len_of(self.priv_ino.map(|_| 8))),
            (entry::PRIV_SYN, EA_SYN, len_of(self.priv_stamp.map(|_| 8))),
            (entry::PRIV_ID, EA_ID, len_of(self.priv_id.map(|_| 4))),
        ];
        for (i, (id, off, len)) in descs.into_iter().enumerate() {
            let d = HEADER_LEN + i * DESC_LEN;
            b[d..d + 4].copy_from_slice(&id.to_be_bytes());
            b[d + 4..d + 8].copy_from_slice(&(off as u32).to_be_bytes());
            b[d + 8..d + 12].copy_from_slice(&(len as u32).to_be_bytes());
        }
        b[EA_FINDER_INFO..EA_COMMENT].copy_from_slice(&self.finder_info);
        b[EA_COMMENT..EA_COMMENT + self.comment.len()].copy_from_slice(&self.comment);
        let d = &self.dates;
        for (i, v) in [d.create, d.modify, d.backup, d.access]
            .into_iter()
            .enumerate()
        {
            b[EA_DATES + 4 * i..EA_DATES + 4 * i + 4].copy_from_slice(&v.to_be_bytes());
        }
        b[EA_AFP_INFO..EA_DEV].copy_from_slice(&self.afp_info);
        if let Some(v) = self.priv_dev {
            b[EA_DEV..EA_INO].copy_from_slice(&v);
        }
        if let Some(v) = self.priv_ino {
            b[EA_INO..EA_SYN].copy_from_slice(&v);
        }
        if let Some(v) = self.priv_stamp {
            b[EA_SYN..EA_ID].copy_from_slice(&v);
        }
        if let Some(v) = self.priv_id {
            b[EA_ID..].copy_from_slice(&v);
        }
        b
    }

    /// `ad_setid`: caches `id` for the object (`dev`, `ino`) issued by the database with
    /// `stamp`, in netatalk's little-endian host layout (`dev` is written as 0 when `nodev`,
    /// i.e. `cnid dev = no`).
    pub fn set_cnid(&mut self, dev: u64, ino: u64, id: Cnid, stamp: [u8; 8], nodev: bool) {
        self.priv_dev = Some(if nodev { [0; 8] } else { dev.to_le_bytes() });
        self.priv_ino = Some(ino.to_le_bytes());
        self.priv_stamp = Some(stamp);
        self.priv_id = Some(id.0.to_le_bytes());
    }

    /// `ad_getid` (§2.4): the cached CNID, if the cache was written for this very object
    /// (cached dev equals `dev` unless `nodev`, cached ino equals `ino`) and is a valid ID
    /// (`>= 17`). The stamp is not compared (current netatalk doesn't).
    ///
    /// The writer's byte order is recognised from dev/ino: the order in which they match is
    /// the order PrivID is read in (little-endian first when both match).
    pub fn cnid_hint(&self, dev: u64, ino: u64, nodev: bool) -> Option<Cnid> {
        let (d, i, id) = (self.priv_dev?, self.priv_ino?, self.priv_id?);
        [HostOrder::Little, HostOrder::Big]
            .into_iter()
            .find(|o| (nodev || o.u64(d) == dev) && o.u64(i) == ino)
            .map(|o| Cnid(o.u32(id)))
            .filter(|c| c.is_assignable())
    }
}

/// Who wrote a sidecar, from its filler.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Filler {
    /// `"Netatalk        "`: netatalk's own; hidden from AFP clients.
    Netatalk,
    /// `"Mac OS X        "`: written by macOS; listed normally.
    MacOsX,
    /// Anything else.
    Other([u8; 16]),
}

impl Filler {
    fn from_bytes(b: [u8; 16]) -> Filler {
        match b {
            FILLER_NETATALK => Filler::Netatalk,
            FILLER_MACOS => Filler::MacOsX,
            o => Filler::Other(o),
        }
    }

    /// The 16 bytes.
    pub fn to_bytes(self) -> [u8; 16] {
        match self {
            Filler::Netatalk => FILLER_NETATALK,
            Filler::MacOsX => FILLER_MACOS,
            Filler::Other(b) => b,
        }
    }
}

/// The decoded header of a `._name` sidecar.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Sidecar {
    /// Who wrote it.
    pub filler: Filler,
    /// The first 32 bytes of the FinderInfo entry (zeros if there is none).
    pub finder_info: [u8; 32],
    /// The FinderInfo entry's length: 32 normally; more for macOS files that pack xattrs into
    /// it (netatalk converts those and discards the packed xattrs, §2.5); 0 if absent.
    pub finder_info_len: u32,
    /// Where the resource fork starts, if there is a resource fork entry.
    pub resource_fork_offset: Option<u32>,
    /// The resource fork length: from the offset to the end of the file, as netatalk computes
    /// it (the descriptor's length field can be stale).
    pub resource_fork_len: u64,
    /// Header bytes that were needed to decode this (the offset of the resource fork for
    /// netatalk's layout).
    pub header_len: usize,
}

impl Sidecar {
    /// The header netatalk writes for a resource fork of `fork_len` bytes.
    pub fn netatalk(finder_info: [u8; 32], fork_len: u32) -> Sidecar {
        Sidecar {
            filler: Filler::Netatalk,
            finder_info,
            finder_info_len: FINDER_INFO_LEN as u32,
            resource_fork_offset: Some(SIDECAR_HEADER_LEN as u32),
            resource_fork_len: u64::from(fork_len),
            header_len: SIDECAR_HEADER_LEN,
        }
    }

    /// Decodes the header from the first bytes of a sidecar file of `file_len` bytes.
    ///
    /// `Ok(None)`: `buf` holds fewer bytes than the header needs but the file has them; read
    /// more. `Err`: the header is malformed or the file is too short for it.
    pub fn decode(buf: &[u8], file_len: u64) -> Result<Option<Sidecar>, AppleDoubleError> {
        // "Need more" vs "truncated" is decided by the file length, once, here.
        let need = |n: usize| -> Result<bool, AppleDoubleError> {
            if buf.len() >= n {
                Ok(true)
            } else if file_len >= n as u64 && (buf.len() as u64) < file_len {
                Ok(false)
            } else {
                Err(AppleDoubleError::Truncated)
            }
        };
        if !need(HEADER_LEN)? {
            return Ok(None);
        }
        let magic = be32(buf, 0)?;
        if magic != MAGIC {
            return Err(AppleDoubleError::BadMagic(magic));
        }
        let version = be32(buf, 4)?;
        if version != VERSION {
            return Err(AppleDoubleError::BadVersion(version));
        }
        let filler = Filler::from_bytes(array(buf, 8)?);
        // §2.1: netatalk rejects "more than 16 entries".
        let n = be16(buf, 24)?;
        if n > 16 {
            return Err(AppleDoubleError::EntryCount(n));
        }
        let descs_end = HEADER_LEN + usize::from(n) * DESC_LEN;
        if !need(descs_end)? {
            return Ok(None);
        }
        let mut s = Sidecar {
            filler,
            finder_info: [0; 32],
            finder_info_len: 0,
            resource_fork_offset: None,
            resource_fork_len: 0,
            header_len: descs_end,
        };
        let mut seen: Vec<u32> = Vec::new();
        let mut finder_at = None;
        for i in 0..usize::from(n) {
            let d = HEADER_LEN + i * DESC_LEN;
            let (id, off, len) = (be32(buf, d)?, be32(buf, d + 4)?, be32(buf, d + 8)?);
            if seen.contains(&id) {
                return Err(AppleDoubleError::DuplicateEntry(id));
            }
            seen.push(id);
            let known = matches!(id, 1..=15)
                || matches!(
                    id,
                    entry::PRIV_DEV | entry::PRIV_INO | entry::PRIV_SYN | entry::PRIV_ID
                );
            if !known {
                return Err(AppleDoubleError::UnknownEntry(id));
            }
            if (off as usize) < descs_end && !(len == 0 && id == entry::RESOURCE_FORK) {
                return Err(AppleDoubleError::EntryOutOfBounds(id));
            }
            let off64 = u64::from(off);
            if id == entry::RESOURCE_FORK {
                // The fork runs to the end of the file (netatalk: st_size - offset).
                if off64 > file_len {
                    return Err(AppleDoubleError::EntryOutOfBounds(id));
                }
                s.resource_fork_offset = Some(off);
                s.resource_fork_len = file_len - off64;
                continue;
            }
            if off64 + u64::from(len) > file_len {
                return Err(AppleDoubleError::EntryOutOfBounds(id));
            }
            if id == entry::FINDER_INFO {
                if (len as usize) < FINDER_INFO_LEN {
                    return Err(AppleDoubleError::EntryLength { id, len });
                }
                s.finder_info_len = len;
                finder_at = Some(off as usize);
            }
        }
        if let Some(at) = finder_at {
            if !need(at + FINDER_INFO_LEN)? {
                return Ok(None);
            }
            s.finder_info = array(buf, at)?;
            s.header_len = s.header_len.max(at + FINDER_INFO_LEN);
        }
        Ok(Some(s))
    }

    /// Appends netatalk's 82-byte sidecar header: FinderInfo at 50, resource fork at 82 with
    /// length `min(resource_fork_len, u32::MAX)`. The filler is kept (`Netatalk` for
    /// [`Sidecar::netatalk`]).
    pub fn encode_header(&self, dst: &mut impl BufMut) {
        dst.put_u32(MAGIC);
        dst.put_u32(VERSION);
        dst.put_slice(&self.filler.to_bytes());
        dst.put_u16(2);
        dst.put_u32(entry::FINDER_INFO);
        dst.put_u32(SIDECAR_FINDER_INFO as u32);
        dst.put_u32(FINDER_INFO_LEN as u32);
        dst.put_u32(entry::RESOURCE_FORK);
        dst.put_u32(SIDECAR_HEADER_LEN as u32);
        dst.put_u32(u32::try_from(self.resource_fork_len).unwrap_or(u32::MAX));
        dst.put_slice(&self.finder_info);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A metadata xattr as netatalk 3/4 writes it on x86-64 after `ad_setid`: built by hand
    /// from the layout in ad_open.c/ad_flush.c (descriptors in internal-ID order, data in
    /// `entry_order_ea` order, zero filler), dev 0x803, ino 0x1234567, CNID 0x1234 (PrivID
    /// little-endian), stamp "STAMP123", FinderInfo type/creator TEXT/ttxt.
    fn netatalk_x86_blob() -> Vec<u8> {
        let mut b = vec![0u8; 402];
        b[0..4].copy_from_slice(&[0x00, 0x05, 0x16, 0x07]);
        b[4..8].copy_from_slice(&[0x00, 0x02, 0x00, 0x00]);
        b[24..26].copy_from_slice(&[0, 8]);
        let descs: [(u32, u32, u32); 8] = [
            (4, 154, 0),
            (8, 354, 16),
            (9, 122, 32),
            (14, 370, 4),
            (0x8044_4556, 374, 8),
            (0x8049_4E4F, 382, 8),
            (0x8053_594E, 390, 8),
            (0x8053_567E, 398, 4),
        ];
        for (i, (id, off, len)) in descs.iter().enumerate() {
            let d = 26 + 12 * i;
            b[d..d + 4].copy_from_slice(&id.to_be_bytes());
            b[d + 4..d + 8].copy_from_slice(&off.to_be_bytes());
            b[d + 8..d + 12].copy_from_slice(&len.to_be_bytes());
        }
        b[122..130].copy_from_slice(b"TEXTttxt");
        b[354..358].copy_from_slice(&0x2a00_0000u32.to_be_bytes());
        b[374..382].copy_from_slice(&0x803u64.to_le_bytes());
        b[382..390].copy_from_slice(&0x1234567u64.to_le_bytes());
        b[390..398].copy_from_slice(b"STAMP123");
        b[398..402].copy_from_slice(&0x1234u32.to_le_bytes());
        b
    }

    #[test]
    fn decodes_netatalk_layout() {
        let blob = netatalk_x86_blob();
        let m = Metadata::decode(&blob).unwrap();
        assert_eq!(&m.finder_info[..8], b"TEXTttxt");
        assert_eq!(m.dates.create, 0x2a00_0000);
        assert_eq!(m.comment(), b"");
        assert_eq!(m.priv_stamp, Some(*b"STAMP123"));
        assert_eq!(m.cnid_hint(0x803, 0x1234567, false), Some(Cnid(0x1234)));
        assert_eq!(m.cnid_hint(0x804, 0x1234567, false), None);
        assert_eq!(m.cnid_hint(0x804, 0x1234567, true), Some(Cnid(0x1234)));
        assert_eq!(m.cnid_hint(0x803, 0x1234568, false), None);
        // Byte for byte what netatalk writes.
        assert_eq!(m.to_bytes().as_slice(), blob.as_slice());
        // ea = samba appends a NUL.
        let mut samba = blob.clone();
        samba.push(0);
        assert_eq!(Metadata::decode(&samba).unwrap(), m);
    }

    #[test]
    fn big_endian_writer_is_recognised() {
        let mut blob = netatalk_x86_blob();
        blob[374..382].copy_from_slice(&0x803u64.to_be_bytes());
        blob[382..390].copy_from_slice(&0x1234567u64.to_be_bytes());
        blob[398..402].copy_from_slice(&0x1234u32.to_be_bytes());
        let m = Metadata::decode(&blob).unwrap();
        assert_eq!(m.cnid_hint(0x803, 0x1234567, false), Some(Cnid(0x1234)));
    }

    #[test]
    fn fresh_metadata_has_no_hint() {
        let m = Metadata::default();
        let back = Metadata::decode(&m.to_bytes()).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.cnid_hint(0, 0, true), None);
        let mut m = m;
        m.set_cnid(5, 6, Cnid(16), [0; 8], false);
        assert_eq!(m.cnid_hint(5, 6, false), None, "reserved IDs are no hint");
    }

    #[test]
    fn rejects_malformed() {
        let good = netatalk_x86_blob();
        assert_eq!(
            Metadata::decode(&good[..401]),
            Err(AppleDoubleError::BadLength(401))
        );
        let mut b = good.clone();
        b[4..8].copy_from_slice(&0x0002_0002u32.to_be_bytes());
        assert_eq!(
            Metadata::decode(&b),
            Err(AppleDoubleError::BadVersion(0x0002_0002))
        );
        let mut b = good.clone();
        b[25] = 7;
        assert_eq!(Metadata::decode(&b), Err(AppleDoubleError::EntryCount(7)));
        let mut b = good.clone();
        b[38..42].copy_from_slice(&4u32.to_be_bytes());
        assert_eq!(
            Metadata::decode(&b),
            Err(AppleDoubleError::DuplicateEntry(4))
        );
        let mut b = good.clone();
        b[34..38].copy_from_slice(&201u32.to_be_bytes());
        assert!(matches!(
            Metadata::decode(&b),
            Err(AppleDoubleError::EntryOutOfBounds(4) | AppleDoubleError::EntryLength { .. })
        ));
        let mut b = good.clone();
        b[30..34].copy_from_slice(&0xffff_fff0u32.to_be_bytes());
        assert_eq!(
            Metadata::decode(&b),
            Err(AppleDoubleError::EntryOutOfBounds(4))
        );
        let mut b = good;
        b[26..30].copy_from_slice(&3u32.to_be_bytes());
        assert_eq!(Metadata::decode(&b), Err(AppleDoubleError::UnknownEntry(3)));
    }

    fn netatalk_sidecar(fork: &[u8]) -> Vec<u8> {
        let mut fi = [0u8; 32];
        fi[..8].copy_from_slice(b"APPLMOSS");
        let mut v = Vec::new();
        Sidecar::netatalk(fi, fork.len() as u32).encode_header(&mut v);
        v.extend_from_slice(fork);
        v
    }

    #[test]
    fn sidecar_layout() {
        let file = netatalk_sidecar(b"resource bytes");
        assert_eq!(&file[8..24], b"Netatalk        ");
        assert_eq!(
            &file[24..50],
            &[
                0, 2, 0, 0, 0, 9, 0, 0, 0, 50, 0, 0, 0, 32, 0, 0, 0, 2, 0, 0, 0, 82, 0, 0, 0, 14
            ]
        );
        let s = Sidecar::decode(&file, file.len() as u64).unwrap().unwrap();
        assert_eq!(s.filler, Filler::Netatalk);
        assert_eq!(&s.finder_info[..8], b"APPLMOSS");
        assert_eq!(s.resource_fork_offset, Some(82));
        assert_eq!(s.resource_fork_len, 14);
        assert_eq!(s.header_len, 82);
    }

    #[test]
    fn sidecar_every_prefix_needs_more() {
        let file = netatalk_sidecar(b"fork");
        for n in 0..82 {
            assert_eq!(
                Sidecar::decode(&file[..n], file.len() as u64),
                Ok(None),
                "prefix {n}"
            );
        }
        assert!(
            Sidecar::decode(&file[..82], file.len() as u64)
                .unwrap()
                .is_some()
        );
        // A file that really is that short is truncated, not "need more".
        assert_eq!(
            Sidecar::decode(&file[..40], 40),
            Err(AppleDoubleError::Truncated)
        );
    }

    #[test]
    fn macos_sidecar_with_packed_xattrs() {
        // macOS: FinderInfo entry of 3746 bytes (32 + "ATTR" data), fork after it.
        let mut v = Vec::new();
        v.put_u32(MAGIC);
        v.put_u32(VERSION);
        v.put_slice(b"Mac OS X        ");
        v.put_u16(2);
        v.put_slice(&[0, 0, 0, 9, 0, 0, 0, 50, 0, 0, 0x0e, 0xa2]);
        v.put_slice(&[0, 0, 0, 2, 0, 0, 0x0e, 0xd4, 0, 0, 0, 0]);
        v.resize(0x0ed4, 0);
        v[50..54].copy_from_slice(b"TEXT");
        let s = Sidecar::decode(&v, v.len() as u64).unwrap().unwrap();
        assert_eq!(s.filler, Filler::MacOsX);
        assert_eq!(s.finder_info_len, 0x0ea2);
        assert_eq!(&s.finder_info[..4], b"TEXT");
        assert_eq!(s.resource_fork_len, 0);
    }

    proptest! {
        #[test]
        fn metadata_round_trip(fi: [u8; 32], comment in proptest::collection::vec(any::<u8>(), 0..=200),
                               c: i32, m: i32, bk: i32, a: i32, attrs: u16,
                               cache: Option<(u64, u64, u32, [u8; 8])>, filler: [u8; 16]) {
            let mut md = Metadata { filler, finder_info: fi, dates: FileDates { create: c, modify: m, backup: bk, access: a }, ..Metadata::default() };
            md.set_comment(&comment).unwrap();
            md.set_attributes(attrs);
            if let Some((dev, ino, id, stamp)) = cache {
                md.set_cnid(dev, ino, Cnid(id), stamp, false);
                prop_assert_eq!(md.cnid_hint(dev, ino, false), Some(Cnid(id)).filter(|c| c.is_assignable()));
            }
            let bytes = md.to_bytes();
            let back = Metadata::decode(&bytes).unwrap();
            prop_assert_eq!(&back, &md);
            prop_assert_eq!(back.attributes(), attrs);
        }

        #[test]
        fn metadata_decode_never_panics(v in proptest::collection::vec(any::<u8>(), 400..405)) {
            let _ = Metadata::decode(&v);
        }

        #[test]
        fn metadata_mutations_never_panic(i in 0usize..402, x: u8) {
            let mut b = netatalk_x86_blob();
            b[i] = x;
            if let Ok(m) = Metadata::decode(&b) {
                prop_assert_eq!(Metadata::decode(&m.to_bytes()).unwrap(), m);
            }
        }

        #[test]
        fn sidecar_round_trip(fi: [u8; 32], fork in proptest::collection::vec(any::<u8>(), 0..64)) {
            let file = netatalk_sidecar(&fork);
            let s = Sidecar::decode(&file, file.len() as u64).unwrap().unwrap();
            prop_assert_eq!(s.resource_fork_len, fork.len() as u64);
            let s2 = Sidecar::netatalk(fi, fork.len() as u32);
            let mut v = Vec::new();
            s2.encode_header(&mut v);
            prop_assert_eq!(Sidecar::decode(&v, v.len() as u64 + fork.len() as u64).unwrap().unwrap(), s2);
        }

        #[test]
        fn sidecar_decode_never_panics(v in proptest::collection::vec(any::<u8>(), 0..200), extra in 0u64..1000) {
            let _ = Sidecar::decode(&v, v.len() as u64 + extra);
            let _ = Sidecar::decode(&v, v.len() as u64);
        }
    }
}
