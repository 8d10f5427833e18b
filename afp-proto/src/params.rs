//! Bitmaps and packed parameter records for volumes, files, directories and forks
//! (spec §2.6, §4).
//!
//! A parameter record carries the fields selected by a bitmap, in increasing bit order.
//! Fixed-size fields are written in place; a variable-length field (long name, short name,
//! UTF-8 name, volume name) is a u16 offset in place, measured from the **start of the
//! parameter record**, and its data follows all fixed fields, in bit order:
//!
//! ```text
//! file/dir record, bitmap 0x2043 (Attributes | ParentDirID | LongName | UTF8Name), AFP 3:
//!   +0  u16 attributes
//!   +2  u32 parent directory ID
//!   +6  u16 long-name offset  ──────────┐
//!   +8  u16 UTF-8 name offset ─────────┐│
//!   +10 u32 0 (reserved)               ││
//!   +14 pstr long name            <────┼┘
//!   +n  u32 hint, u16 len, UTF-8  <────┘
//! ```
//!
//! The record types hold one `Option` per field; [`FileParams::bitmap`] (and friends) is
//! the set of fields that are `Some`. An offset of 0 means "not present" (netatalk writes
//! it for the short name); it decodes as an empty name, and an empty name (with hint 0 for
//! the UTF-8 name) is written as offset 0.
//!
//! Bit 13 is the ProDOS info (6 bytes) before AFP 3.0 and the UTF-8 name from AFP 3.0 on,
//! so the decoders take the session's [`AfpVersion`]. Bits whose layout is undefined (file
//! bit 12 "launch limit", directory bit 14, volume bits 12–15) fail with
//! [`DecodeError::BadBitmap`], which a server answers with kFPBitmapErr.

use bitflags::bitflags;
use bytes::{Bytes, BytesMut};

use crate::date::AfpDate;
use crate::error::DecodeError;
use crate::path::AfpName;
use crate::version::AfpVersion;
use crate::wire::{Reader, Writer, clamp_u16};

bitflags! {
    /// Volume bitmap (spec §4.1): which volume parameters a call carries.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct VolumeBitmap: u16 {
        /// Volume attributes (u16, [`VolumeAttributes`]).
        const ATTRIBUTES = 0x0001;
        /// Volume signature (u16): 1 flat, 2 fixed directory IDs, 3 variable.
        const SIGNATURE = 0x0002;
        /// Creation date.
        const CREATE_DATE = 0x0004;
        /// Modification date.
        const MOD_DATE = 0x0008;
        /// Backup date (the only field FPSetVolParms may set).
        const BACKUP_DATE = 0x0010;
        /// Volume ID (u16); FPOpenVol's bitmap must include it.
        const VOLUME_ID = 0x0020;
        /// Free bytes (u32, capped).
        const BYTES_FREE = 0x0040;
        /// Total bytes (u32, capped).
        const BYTES_TOTAL = 0x0080;
        /// Volume name (offset to a pstr).
        const NAME = 0x0100;
        /// Free bytes (u64, AFP 2.2+).
        const EXT_BYTES_FREE = 0x0200;
        /// Total bytes (u64, AFP 2.2+).
        const EXT_BYTES_TOTAL = 0x0400;
        /// Allocation block size (u32).
        const BLOCK_SIZE = 0x0800;
    }

    /// Volume attributes (spec §4.2).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct VolumeAttributes: u16 {
        /// kReadOnly.
        const READ_ONLY = 0x0001;
        /// kHasVolumePassword.
        const HAS_VOLUME_PASSWORD = 0x0002;
        /// kSupportsFileIDs.
        const SUPPORTS_FILE_IDS = 0x0004;
        /// kSupportsCatSearch.
        const SUPPORTS_CAT_SEARCH = 0x0008;
        /// kSupportsBlankAccessPrivs.
        const SUPPORTS_BLANK_ACCESS_PRIVS = 0x0010;
        /// kSupportsUnixPrivs (AFP 3.0).
        const SUPPORTS_UNIX_PRIVS = 0x0020;
        /// kSupportsUTF8Names (AFP 3.0).
        const SUPPORTS_UTF8_NAMES = 0x0040;
        /// kNoNetworkUserIDs (AFP 3.1).
        const NO_NETWORK_USER_IDS = 0x0080;
        /// kDefaultPrivsFromParent.
        const DEFAULT_PRIVS_FROM_PARENT = 0x0100;
        /// kNoExchangeFiles (AFP 3.2).
        const NO_EXCHANGE_FILES = 0x0200;
        /// kSupportsExtAttrs (AFP 3.2).
        const SUPPORTS_EXT_ATTRS = 0x0400;
        /// kSupportsACLs (AFP 3.2).
        const SUPPORTS_ACLS = 0x0800;
        /// kCaseSensitive.
        const CASE_SENSITIVE = 0x1000;
        /// kSupportsTMLockSteal (Time Machine volumes).
        const SUPPORTS_TM_LOCK_STEAL = 0x2000;
    }

    /// File bitmap (spec §4.3), also used by fork calls (§4.7).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct FileBitmap: u16 {
        /// Attributes (u16, [`FileAttributes`]).
        const ATTRIBUTES = 0x0001;
        /// Parent directory ID (u32).
        const PARENT_DIR_ID = 0x0002;
        /// Creation date.
        const CREATE_DATE = 0x0004;
        /// Modification date.
        const MOD_DATE = 0x0008;
        /// Backup date.
        const BACKUP_DATE = 0x0010;
        /// Finder info (32 bytes).
        const FINDER_INFO = 0x0020;
        /// Long name (offset to a pstr).
        const LONG_NAME = 0x0040;
        /// Short name (offset to a pstr; netatalk writes offset 0).
        const SHORT_NAME = 0x0080;
        /// Node ID / file number (u32).
        const NODE_ID = 0x0100;
        /// Data fork length (u32, capped).
        const DATA_FORK_LEN = 0x0200;
        /// Resource fork length (u32, capped).
        const RSRC_FORK_LEN = 0x0400;
        /// Data fork length (u64, AFP 3.0).
        const EXT_DATA_FORK_LEN = 0x0800;
        /// Launch limit: obsolete, no defined layout (kFPBitmapErr).
        const LAUNCH_LIMIT = 0x1000;
        /// UTF-8 name (AFP 3.0) or ProDOS info (before 3.0).
        const UTF8_NAME = 0x2000;
        /// Resource fork length (u64, AFP 3.0).
        const EXT_RSRC_FORK_LEN = 0x4000;
        /// UNIX privileges (16 bytes, AFP 3.0).
        const UNIX_PRIVS = 0x8000;
    }

    /// Directory bitmap (spec §4.3).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct DirBitmap: u16 {
        /// Attributes (u16, [`DirAttributes`]).
        const ATTRIBUTES = 0x0001;
        /// Parent directory ID (u32).
        const PARENT_DIR_ID = 0x0002;
        /// Creation date.
        const CREATE_DATE = 0x0004;
        /// Modification date.
        const MOD_DATE = 0x0008;
        /// Backup date.
        const BACKUP_DATE = 0x0010;
        /// Finder info (32 bytes).
        const FINDER_INFO = 0x0020;
        /// Long name (offset to a pstr).
        const LONG_NAME = 0x0040;
        /// Short name (offset to a pstr).
        const SHORT_NAME = 0x0080;
        /// Node ID = directory ID (u32).
        const NODE_ID = 0x0100;
        /// Offspring count (u16, capped).
        const OFFSPRING_COUNT = 0x0200;
        /// Owner ID (u32).
        const OWNER_ID = 0x0400;
        /// Group ID (u32).
        const GROUP_ID = 0x0800;
        /// Access rights (u32, [`AccessRights`]).
        const ACCESS_RIGHTS = 0x1000;
        /// UTF-8 name (AFP 3.0) or ProDOS info (before 3.0).
        const UTF8_NAME = 0x2000;
        /// UNIX privileges (16 bytes, AFP 3.0).
        const UNIX_PRIVS = 0x8000;
    }

    /// File attributes (spec §4.4).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct FileAttributes: u16 {
        /// Invisible.
        const INVISIBLE = 0x0001;
        /// MultiUser.
        const MULTI_USER = 0x0002;
        /// System.
        const SYSTEM = 0x0004;
        /// DAlreadyOpen (computed: the data fork is open).
        const DATA_ALREADY_OPEN = 0x0008;
        /// RAlreadyOpen (computed: the resource fork is open).
        const RSRC_ALREADY_OPEN = 0x0010;
        /// WriteInhibit.
        const WRITE_INHIBIT = 0x0020;
        /// BackupNeeded.
        const BACKUP_NEEDED = 0x0040;
        /// RenameInhibit.
        const RENAME_INHIBIT = 0x0080;
        /// DeleteInhibit.
        const DELETE_INHIBIT = 0x0100;
        /// CopyProtect.
        const COPY_PROTECT = 0x0400;
        /// Set/Clear: in set calls, 1 sets the given bits, 0 clears them.
        const SET_CLEAR = 0x8000;
    }

    /// Directory attributes (spec §4.4).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct DirAttributes: u16 {
        /// Invisible.
        const INVISIBLE = 0x0001;
        /// IsExpFolder (share point).
        const IS_EXP_FOLDER = 0x0002;
        /// System.
        const SYSTEM = 0x0004;
        /// Mounted.
        const MOUNTED = 0x0008;
        /// InExpFolder (in a shared area).
        const IN_EXP_FOLDER = 0x0010;
        /// BackupNeeded.
        const BACKUP_NEEDED = 0x0040;
        /// RenameInhibit.
        const RENAME_INHIBIT = 0x0080;
        /// DeleteInhibit.
        const DELETE_INHIBIT = 0x0100;
        /// Set/Clear: in set calls, 1 sets the given bits, 0 clears them.
        const SET_CLEAR = 0x8000;
    }

    /// Access rights (spec §4.6): user summary, everyone, group and owner bytes.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct AccessRights: u32 {
        /// Owner may search.
        const OWNER_SEARCH = 0x0000_0001;
        /// Owner may read.
        const OWNER_READ = 0x0000_0002;
        /// Owner may write.
        const OWNER_WRITE = 0x0000_0004;
        /// Group may search.
        const GROUP_SEARCH = 0x0000_0100;
        /// Group may read.
        const GROUP_READ = 0x0000_0200;
        /// Group may write.
        const GROUP_WRITE = 0x0000_0400;
        /// Everyone may search.
        const EVERYONE_SEARCH = 0x0001_0000;
        /// Everyone may read.
        const EVERYONE_READ = 0x0002_0000;
        /// Everyone may write.
        const EVERYONE_WRITE = 0x0004_0000;
        /// The requesting user may search.
        const USER_SEARCH = 0x0100_0000;
        /// The requesting user may read.
        const USER_READ = 0x0200_0000;
        /// The requesting user may write.
        const USER_WRITE = 0x0400_0000;
        /// Blank access privileges.
        const BLANK_ACCESS = 0x1000_0000;
        /// The requesting user is the owner.
        const USER_IS_OWNER = 0x8000_0000;
    }
}

impl VolumeBitmap {
    /// Checks the bits a server supports for `version`: 0x0FFF from AFP 2.2 on, 0x01FF
    /// before ([A-Ref] `kFPBadVolBitmap`).
    pub fn check(self, version: AfpVersion) -> Result<(), DecodeError> {
        let valid = if version >= AfpVersion::V2_2 {
            0x0FFF
        } else {
            0x01FF
        };
        check_bits(self.bits(), valid, "volume bitmap")
    }
}

impl FileBitmap {
    /// Checks the bits a server supports for `version`: the launch limit (bit 12) is never
    /// valid; bits 11, 14 and 15 need AFP 3.0.
    pub fn check(self, version: AfpVersion) -> Result<(), DecodeError> {
        let valid = if version.is_afp3() { 0xEFFF } else { 0x27FF };
        check_bits(self.bits(), valid, "file bitmap")
    }
}

impl DirBitmap {
    /// Checks the bits a server supports for `version`: bit 14 is never valid; bit 15
    /// needs AFP 3.0.
    pub fn check(self, version: AfpVersion) -> Result<(), DecodeError> {
        let valid = if version.is_afp3() { 0xBFFF } else { 0x3FFF };
        check_bits(self.bits(), valid, "directory bitmap")
    }
}

fn check_bits(bits: u16, valid: u16, context: &'static str) -> Result<(), DecodeError> {
    if bits & !valid != 0 {
        Err(DecodeError::BadBitmap {
            bitmap: bits,
            context,
        })
    } else {
        Ok(())
    }
}

/// Finder info: 32 bytes (spec §4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FinderInfo(pub [u8; 32]);

impl FinderInfo {
    /// File type (bytes 0–3), e.g. `*b"TEXT"`.
    pub fn file_type(&self) -> [u8; 4] {
        [self.0[0], self.0[1], self.0[2], self.0[3]]
    }

    /// Creator (bytes 4–7).
    pub fn creator(&self) -> [u8; 4] {
        [self.0[4], self.0[5], self.0[6], self.0[7]]
    }

    /// Finder flags (bytes 8–9): 0x4000 invisible, 0x8000 alias, 0x0100 inited, …
    pub fn flags(&self) -> u16 {
        u16::from_be_bytes([self.0[8], self.0[9]])
    }

    /// Sets the Finder flags (bytes 8–9).
    pub fn set_flags(&mut self, flags: u16) {
        self.0[8..10].copy_from_slice(&flags.to_be_bytes());
    }
}

/// ProDOS info, bit 13 of the file and directory bitmaps before AFP 3.0: u8 file type, 0,
/// u16 aux type, u16 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ProDosInfo(pub [u8; 6]);

/// FPUnixPrivs (spec §4.6): 16 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct UnixPrivs {
    /// Owner user ID.
    pub uid: u32,
    /// Owner group ID.
    pub gid: u32,
    /// Full POSIX `st_mode`, file-type bits included.
    pub permissions: u32,
    /// The requesting user's access rights (same layout as [`AccessRights`]).
    pub ua_permissions: AccessRights,
}

impl UnixPrivs {
    fn read(r: &mut Reader<'_>) -> Result<UnixPrivs, DecodeError> {
        Ok(UnixPrivs {
            uid: r.u32("UNIX uid")?,
            gid: r.u32("UNIX gid")?,
            permissions: r.u32("UNIX permissions")?,
            ua_permissions: AccessRights::from_bits_retain(r.u32("UNIX access rights")?),
        })
    }

    fn write(&self, w: &mut Writer<'_>) {
        w.u32(self.uid);
        w.u32(self.gid);
        w.u32(self.permissions);
        w.u32(self.ua_permissions.bits());
    }
}

/// A pstr reached through a u16 offset from the start of the record (0 = absent).
fn pstr_at(block: &Bytes, offset: u16, what: &'static str) -> Result<Bytes, DecodeError> {
    if offset == 0 {
        return Ok(Bytes::new());
    }
    let offset = usize::from(offset);
    if offset > block.len() {
        return Err(DecodeError::BadOffset(what));
    }
    Reader::at(block, offset)
        .pstr(what)
        .map_err(|_| DecodeError::BadOffset(what))
}

/// An AFPName reached through a u16 offset from the start of the record (0 = absent).
fn afp_name_at(block: &Bytes, offset: u16) -> Result<AfpName, DecodeError> {
    const WHAT: &str = "UTF-8 name";
    if offset == 0 {
        return Ok(AfpName::default());
    }
    let offset = usize::from(offset);
    if offset > block.len() {
        return Err(DecodeError::BadOffset(WHAT));
    }
    AfpName::read(&mut Reader::at(block, offset)).map_err(|_| DecodeError::BadOffset(WHAT))
}

/// Bit 13 read per the session version: the UTF-8 name slot (offset + 4 reserved bytes)
/// or the ProDOS info.
fn read_bit13(
    r: &mut Reader<'_>,
    block: &Bytes,
    version: AfpVersion,
) -> Result<(Option<AfpName>, Option<ProDosInfo>), DecodeError> {
    if version.is_afp3() {
        let off = r.u16("UTF-8 name offset")?;
        r.skip(4, "UTF-8 name reserved bytes")?;
        Ok((Some(afp_name_at(block, off)?), None))
    } else {
        Ok((None, Some(ProDosInfo(r.array("ProDOS info")?))))
    }
}

/// Name slots reserved while writing the fixed part, filled in afterwards.
#[derive(Default)]
struct NameSlots {
    long: Option<usize>,
    short: Option<usize>,
    utf8: Option<usize>,
}

impl NameSlots {
    fn fill(
        &self,
        w: &mut Writer<'_>,
        long: Option<&Bytes>,
        short: Option<&Bytes>,
        utf8: Option<&AfpName>,
    ) {
        // Variable data follows the fixed fields in bit order (spec §4.3): long name, short
        // name, UTF-8 name. An empty name stays at offset 0 ("not present").
        if let (Some(at), Some(name)) = (self.long, long)
            && !name.is_empty()
        {
            w.patch_u16(at, clamp_u16(w.pos()));
            w.pstr(name);
        }
        if let (Some(at), Some(name)) = (self.short, short)
            && !name.is_empty()
        {
            w.patch_u16(at, clamp_u16(w.pos()));
            w.pstr(name);
        }
        if let (Some(at), Some(name)) = (self.utf8, utf8)
            && !(name.name.is_empty() && name.hint == 0)
        {
            w.patch_u16(at, clamp_u16(w.pos()));
            name.write(w);
        }
    }
}

fn name_len(name: Option<&Bytes>) -> usize {
    match name {
        Some(n) if !n.is_empty() => 1 + n.len().min(255),
        _ => 0,
    }
}

fn utf8_name_len(name: Option<&AfpName>) -> usize {
    match name {
        Some(n) if !(n.name.is_empty() && n.hint == 0) => n.encoded_len(),
        _ => 0,
    }
}

fn write_bit13(
    w: &mut Writer<'_>,
    slots: &mut NameSlots,
    utf8: Option<&AfpName>,
    prodos: Option<&ProDosInfo>,
) {
    if utf8.is_some() {
        slots.utf8 = Some(w.reserve_u16());
        w.u32(0);
    } else if let Some(p) = prodos {
        w.bytes(&p.0);
    }
}

/// Volume parameters (spec §4.1), in the replies to FPOpenVol and FPGetVolParms and in
/// FPSetVolParms.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VolumeParams {
    /// Bit 0: attributes.
    pub attributes: Option<VolumeAttributes>,
    /// Bit 1: signature (2 = fixed directory IDs).
    pub signature: Option<u16>,
    /// Bit 2: creation date.
    pub create_date: Option<AfpDate>,
    /// Bit 3: modification date.
    pub mod_date: Option<AfpDate>,
    /// Bit 4: backup date.
    pub backup_date: Option<AfpDate>,
    /// Bit 5: volume ID.
    pub volume_id: Option<u16>,
    /// Bit 6: free bytes (capped at 0xFFFFFFFF).
    pub bytes_free: Option<u32>,
    /// Bit 7: total bytes (capped at 0xFFFFFFFF).
    pub bytes_total: Option<u32>,
    /// Bit 8: volume name (pstr, at most 255 bytes; netatalk: legacy encoding, ≤ 27).
    pub name: Option<Bytes>,
    /// Bit 9: free bytes, 64-bit.
    pub ext_bytes_free: Option<u64>,
    /// Bit 10: total bytes, 64-bit.
    pub ext_bytes_total: Option<u64>,
    /// Bit 11: allocation block size.
    pub block_size: Option<u32>,
}

impl VolumeParams {
    /// The bitmap of the fields that are present.
    pub fn bitmap(&self) -> VolumeBitmap {
        let mut b = VolumeBitmap::empty();
        b.set(VolumeBitmap::ATTRIBUTES, self.attributes.is_some());
        b.set(VolumeBitmap::SIGNATURE, self.signature.is_some());
        b.set(VolumeBitmap::CREATE_DATE, self.create_date.is_some());
        b.set(VolumeBitmap::MOD_DATE, self.mod_date.is_some());
        b.set(VolumeBitmap::BACKUP_DATE, self.backup_date.is_some());
        b.set(VolumeBitmap::VOLUME_ID, self.volume_id.is_some());
        b.set(VolumeBitmap::BYTES_FREE, self.bytes_free.is_some());
        b.set(VolumeBitmap::BYTES_TOTAL, self.bytes_total.is_some());
        b.set(VolumeBitmap::NAME, self.name.is_some());
        b.set(VolumeBitmap::EXT_BYTES_FREE, self.ext_bytes_free.is_some());
        b.set(
            VolumeBitmap::EXT_BYTES_TOTAL,
            self.ext_bytes_total.is_some(),
        );
        b.set(VolumeBitmap::BLOCK_SIZE, self.block_size.is_some());
        b
    }

    /// Decodes a record that starts at the first byte of `block` (offsets count from
    /// there).
    ///
    /// spec §4.1: bits 12–15 are invalid → kFPBitmapErr.
    pub fn decode(bitmap: VolumeBitmap, block: &Bytes) -> Result<VolumeParams, DecodeError> {
        check_bits(bitmap.bits(), 0x0FFF, "volume parameters")?;
        let mut r = Reader::new(block);
        let has = |bit| bitmap.contains(bit);
        let mut p = VolumeParams::default();
        if has(VolumeBitmap::ATTRIBUTES) {
            p.attributes = Some(VolumeAttributes::from_bits_retain(
                r.u16("volume attributes")?,
            ));
        }
        if has(VolumeBitmap::SIGNATURE) {
            p.signature = Some(r.u16("volume signature")?);
        }
        if has(VolumeBitmap::CREATE_DATE) {
            p.create_date = Some(AfpDate(r.i32("volume creation date")?));
        }
        if has(VolumeBitmap::MOD_DATE) {
            p.mod_date = Some(AfpDate(r.i32("volume modification date")?));
        }
        if has(VolumeBitmap::BACKUP_DATE) {
            p.backup_date = Some(AfpDate(r.i32("volume backup date")?));
        }
        if has(VolumeBitmap::VOLUME_ID) {
            p.volume_id = Some(r.u16("volume ID")?);
        }
        if has(VolumeBitmap::BYTES_FREE) {
            p.bytes_free = Some(r.u32("bytes free")?);
        }
        if has(VolumeBitmap::BYTES_TOTAL) {
            p.bytes_total = Some(r.u32("bytes total")?);
        }
        if has(VolumeBitmap::NAME) {
            let off = r.u16("volume name offset")?;
            p.name = Some(pstr_at(block, off, "volume name")?);
        }
        if has(VolumeBitmap::EXT_BYTES_FREE) {
            p.ext_bytes_free = Some(r.u64("extended bytes free")?);
        }
        if has(VolumeBitmap::EXT_BYTES_TOTAL) {
            p.ext_bytes_total = Some(r.u64("extended bytes total")?);
        }
        if has(VolumeBitmap::BLOCK_SIZE) {
            p.block_size = Some(r.u32("block size")?);
        }
        Ok(p)
    }

    /// Appends the record (without its bitmap) to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        self.write(&mut Writer::new(dst));
    }

    /// Number of bytes [`VolumeParams::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        let b = self.bitmap();
        let fixed: usize = [
            (VolumeBitmap::ATTRIBUTES, 2),
            (VolumeBitmap::SIGNATURE, 2),
            (VolumeBitmap::CREATE_DATE, 4),
            (VolumeBitmap::MOD_DATE, 4),
            (VolumeBitmap::BACKUP_DATE, 4),
            (VolumeBitmap::VOLUME_ID, 2),
            (VolumeBitmap::BYTES_FREE, 4),
            (VolumeBitmap::BYTES_TOTAL, 4),
            (VolumeBitmap::NAME, 2),
            (VolumeBitmap::EXT_BYTES_FREE, 8),
            (VolumeBitmap::EXT_BYTES_TOTAL, 8),
            (VolumeBitmap::BLOCK_SIZE, 4),
        ]
        .iter()
        .filter(|(bit, _)| b.contains(*bit))
        .map(|(_, n)| n)
        .sum();
        fixed + name_len(self.name.as_ref())
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) {
        let mut name_at = None;
        if let Some(v) = self.attributes {
            w.u16(v.bits());
        }
        if let Some(v) = self.signature {
            w.u16(v);
        }
        for d in [self.create_date, self.mod_date, self.backup_date]
            .into_iter()
            .flatten()
        {
            w.i32(d.0);
        }
        if let Some(v) = self.volume_id {
            w.u16(v);
        }
        if let Some(v) = self.bytes_free {
            w.u32(v);
        }
        if let Some(v) = self.bytes_total {
            w.u32(v);
        }
        if self.name.is_some() {
            name_at = Some(w.reserve_u16());
        }
        if let Some(v) = self.ext_bytes_free {
            w.u64(v);
        }
        if let Some(v) = self.ext_bytes_total {
            w.u64(v);
        }
        if let Some(v) = self.block_size {
            w.u32(v);
        }
        let slots = NameSlots {
            long: name_at,
            ..NameSlots::default()
        };
        slots.fill(w, self.name.as_ref(), None, None);
    }
}

/// File parameters (spec §4.3): FPGetFileDirParms, FPEnumerate*, FPOpenFork,
/// FPGetForkParms, FPResolveID, FPGetAPPL and the set calls.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileParams {
    /// Bit 0: attributes.
    pub attributes: Option<FileAttributes>,
    /// Bit 1: parent directory ID.
    pub parent_id: Option<u32>,
    /// Bit 2: creation date.
    pub create_date: Option<AfpDate>,
    /// Bit 3: modification date.
    pub mod_date: Option<AfpDate>,
    /// Bit 4: backup date.
    pub backup_date: Option<AfpDate>,
    /// Bit 5: Finder info.
    pub finder_info: Option<FinderInfo>,
    /// Bit 6: long name (pstr, ≤ 31 bytes in practice, at most 255 encoded).
    pub long_name: Option<Bytes>,
    /// Bit 7: short name (empty = offset 0, as netatalk sends it).
    pub short_name: Option<Bytes>,
    /// Bit 8: node ID (file number; the CNID in netatalk).
    pub node_id: Option<u32>,
    /// Bit 9: data fork length, 32-bit (capped).
    pub data_fork_len: Option<u32>,
    /// Bit 10: resource fork length, 32-bit (capped).
    pub rsrc_fork_len: Option<u32>,
    /// Bit 11: data fork length, 64-bit.
    pub ext_data_fork_len: Option<u64>,
    /// Bit 13 from AFP 3.0 on: UTF-8 name. Takes precedence over `prodos_info`.
    pub utf8_name: Option<AfpName>,
    /// Bit 13 before AFP 3.0: ProDOS info.
    pub prodos_info: Option<ProDosInfo>,
    /// Bit 14: resource fork length, 64-bit.
    pub ext_rsrc_fork_len: Option<u64>,
    /// Bit 15: UNIX privileges.
    pub unix_privs: Option<UnixPrivs>,
}

impl FileParams {
    /// The bitmap of the fields that are present.
    pub fn bitmap(&self) -> FileBitmap {
        let mut b = FileBitmap::empty();
        b.set(FileBitmap::ATTRIBUTES, self.attributes.is_some());
        b.set(FileBitmap::PARENT_DIR_ID, self.parent_id.is_some());
        b.set(FileBitmap::CREATE_DATE, self.create_date.is_some());
        b.set(FileBitmap::MOD_DATE, self.mod_date.is_some());
        b.set(FileBitmap::BACKUP_DATE, self.backup_date.is_some());
        b.set(FileBitmap::FINDER_INFO, self.finder_info.is_some());
        b.set(FileBitmap::LONG_NAME, self.long_name.is_some());
        b.set(FileBitmap::SHORT_NAME, self.short_name.is_some());
        b.set(FileBitmap::NODE_ID, self.node_id.is_some());
        b.set(FileBitmap::DATA_FORK_LEN, self.data_fork_len.is_some());
        b.set(FileBitmap::RSRC_FORK_LEN, self.rsrc_fork_len.is_some());
        b.set(
            FileBitmap::EXT_DATA_FORK_LEN,
            self.ext_data_fork_len.is_some(),
        );
        b.set(
            FileBitmap::UTF8_NAME,
            self.utf8_name.is_some() || self.prodos_info.is_some(),
        );
        b.set(
            FileBitmap::EXT_RSRC_FORK_LEN,
            self.ext_rsrc_fork_len.is_some(),
        );
        b.set(FileBitmap::UNIX_PRIVS, self.unix_privs.is_some());
        b
    }

    /// Decodes a record that starts at the first byte of `block` (offsets count from
    /// there). `version` decides what bit 13 is.
    ///
    /// spec §4.3: the launch limit (bit 12) has no layout → kFPBitmapErr.
    pub fn decode(
        bitmap: FileBitmap,
        block: &Bytes,
        version: AfpVersion,
    ) -> Result<FileParams, DecodeError> {
        check_bits(bitmap.bits(), 0xEFFF, "file parameters")?;
        let mut r = Reader::new(block);
        let has = |bit| bitmap.contains(bit);
        let mut p = FileParams::default();
        if has(FileBitmap::ATTRIBUTES) {
            p.attributes = Some(FileAttributes::from_bits_retain(r.u16("file attributes")?));
        }
        if has(FileBitmap::PARENT_DIR_ID) {
            p.parent_id = Some(r.u32("parent directory ID")?);
        }
        if has(FileBitmap::CREATE_DATE) {
            p.create_date = Some(AfpDate(r.i32("creation date")?));
        }
        if has(FileBitmap::MOD_DATE) {
            p.mod_date = Some(AfpDate(r.i32("modification date")?));
        }
        if has(FileBitmap::BACKUP_DATE) {
            p.backup_date = Some(AfpDate(r.i32("backup date")?));
        }
        if has(FileBitmap::FINDER_INFO) {
            p.finder_info = Some(FinderInfo(r.array("Finder info")?));
        }
        if has(FileBitmap::LONG_NAME) {
            let off = r.u16("long name offset")?;
            p.long_name = Some(pstr_at(block, off, "long name")?);
        }
        if has(FileBitmap::SHORT_NAME) {
            let off = r.u16("short name offset")?;
            p.short_name = Some(pstr_at(block, off, "short name")?);
        }
        if has(FileBitmap::NODE_ID) {
            p.node_id = Some(r.u32("node ID")?);
        }
        if has(FileBitmap::DATA_FORK_LEN) {
            p.data_fork_len = Some(r.u32("data fork length")?);
        }
        if has(FileBitmap::RSRC_FORK_LEN) {
            p.rsrc_fork_len = Some(r.u32("resource fork length")?);
        }
        if has(FileBitmap::EXT_DATA_FORK_LEN) {
            p.ext_data_fork_len = Some(r.u64("extended data fork length")?);
        }
        if has(FileBitmap::UTF8_NAME) {
            (p.utf8_name, p.prodos_info) = read_bit13(&mut r, block, version)?;
        }
        if has(FileBitmap::EXT_RSRC_FORK_LEN) {
            p.ext_rsrc_fork_len = Some(r.u64("extended resource fork length")?);
        }
        if has(FileBitmap::UNIX_PRIVS) {
            p.unix_privs = Some(UnixPrivs::read(&mut r)?);
        }
        Ok(p)
    }

    /// Appends the record (without its bitmap) to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        self.write(&mut Writer::new(dst));
    }

    /// Number of bytes [`FileParams::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        let b = self.bitmap();
        let fixed: usize = [
            (FileBitmap::ATTRIBUTES, 2),
            (FileBitmap::PARENT_DIR_ID, 4),
            (FileBitmap::CREATE_DATE, 4),
            (FileBitmap::MOD_DATE, 4),
            (FileBitmap::BACKUP_DATE, 4),
            (FileBitmap::FINDER_INFO, 32),
            (FileBitmap::LONG_NAME, 2),
            (FileBitmap::SHORT_NAME, 2),
            (FileBitmap::NODE_ID, 4),
            (FileBitmap::DATA_FORK_LEN, 4),
            (FileBitmap::RSRC_FORK_LEN, 4),
            (FileBitmap::EXT_DATA_FORK_LEN, 8),
            (FileBitmap::UTF8_NAME, 6),
            (FileBitmap::EXT_RSRC_FORK_LEN, 8),
            (FileBitmap::UNIX_PRIVS, 16),
        ]
        .iter()
        .filter(|(bit, _)| b.contains(*bit))
        .map(|(_, n)| n)
        .sum();
        fixed
            + name_len(self.long_name.as_ref())
            + name_len(self.short_name.as_ref())
            + utf8_name_len(self.utf8_name.as_ref())
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) {
        let mut slots = NameSlots::default();
        if let Some(v) = self.attributes {
            w.u16(v.bits());
        }
        if let Some(v) = self.parent_id {
            w.u32(v);
        }
        for d in [self.create_date, self.mod_date, self.backup_date]
            .into_iter()
            .flatten()
        {
            w.i32(d.0);
        }
        if let Some(v) = &self.finder_info {
            w.bytes(&v.0);
        }
        if self.long_name.is_some() {
            slots.long = Some(w.reserve_u16());
        }
        if self.short_name.is_some() {
            slots.short = Some(w.reserve_u16());
        }
        if let Some(v) = self.node_id {
            w.u32(v);
        }
        if let Some(v) = self.data_fork_len {
            w.u32(v);
        }
        if let Some(v) = self.rsrc_fork_len {
            w.u32(v);
        }
        if let Some(v) = self.ext_data_fork_len {
            w.u64(v);
        }
        write_bit13(
            w,
            &mut slots,
            self.utf8_name.as_ref(),
            self.prodos_info.as_ref(),
        );
        if let Some(v) = self.ext_rsrc_fork_len {
            w.u64(v);
        }
        if let Some(v) = &self.unix_privs {
            v.write(w);
        }
        slots.fill(
            w,
            self.long_name.as_ref(),
            self.short_name.as_ref(),
            self.utf8_name.as_ref(),
        );
    }
}

/// Directory parameters (spec §4.3).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DirParams {
    /// Bit 0: attributes.
    pub attributes: Option<DirAttributes>,
    /// Bit 1: parent directory ID (1 for the volume root).
    pub parent_id: Option<u32>,
    /// Bit 2: creation date.
    pub create_date: Option<AfpDate>,
    /// Bit 3: modification date.
    pub mod_date: Option<AfpDate>,
    /// Bit 4: backup date.
    pub backup_date: Option<AfpDate>,
    /// Bit 5: Finder info.
    pub finder_info: Option<FinderInfo>,
    /// Bit 6: long name (pstr).
    pub long_name: Option<Bytes>,
    /// Bit 7: short name (empty = offset 0).
    pub short_name: Option<Bytes>,
    /// Bit 8: node ID = directory ID (2 for the volume root).
    pub node_id: Option<u32>,
    /// Bit 9: offspring count (capped at 0xFFFF).
    pub offspring_count: Option<u16>,
    /// Bit 10: owner ID.
    pub owner_id: Option<u32>,
    /// Bit 11: group ID.
    pub group_id: Option<u32>,
    /// Bit 12: access rights.
    pub access_rights: Option<AccessRights>,
    /// Bit 13 from AFP 3.0 on: UTF-8 name. Takes precedence over `prodos_info`.
    pub utf8_name: Option<AfpName>,
    /// Bit 13 before AFP 3.0: ProDOS info.
    pub prodos_info: Option<ProDosInfo>,
    /// Bit 15: UNIX privileges.
    pub unix_privs: Option<UnixPrivs>,
}

impl DirParams {
    /// The bitmap of the fields that are present.
    pub fn bitmap(&self) -> DirBitmap {
        let mut b = DirBitmap::empty();
        b.set(DirBitmap::ATTRIBUTES, self.attributes.is_some());
        b.set(DirBitmap::PARENT_DIR_ID, self.parent_id.is_some());
        b.set(DirBitmap::CREATE_DATE, self.create_date.is_some());
        b.set(DirBitmap::MOD_DATE, self.mod_date.is_some());
        b.set(DirBitmap::BACKUP_DATE, self.backup_date.is_some());
        b.set(DirBitmap::FINDER_INFO, self.finder_info.is_some());
        b.set(DirBitmap::LONG_NAME, self.long_name.is_some());
        b.set(DirBitmap::SHORT_NAME, self.short_name.is_some());
        b.set(DirBitmap::NODE_ID, self.node_id.is_some());
        b.set(DirBitmap::OFFSPRING_COUNT, self.offspring_count.is_some());
        b.set(DirBitmap::OWNER_ID, self.owner_id.is_some());
        b.set(DirBitmap::GROUP_ID, self.group_id.is_some());
        b.set(DirBitmap::ACCESS_RIGHTS, self.access_rights.is_some());
        b.set(
            DirBitmap::UTF8_NAME,
            self.utf8_name.is_some() || self.prodos_info.is_some(),
        );
        b.set(DirBitmap::UNIX_PRIVS, self.unix_privs.is_some());
        b
    }

    /// Decodes a record that starts at the first byte of `block` (offsets count from
    /// there). `version` decides what bit 13 is.
    ///
    /// spec §4.3: directory bit 14 has no field → kFPBitmapErr.
    pub fn decode(
        bitmap: DirBitmap,
        block: &Bytes,
        version: AfpVersion,
    ) -> Result<DirParams, DecodeError> {
        check_bits(bitmap.bits(), 0xBFFF, "directory parameters")?;
        let mut r = Reader::new(block);
        let has = |bit| bitmap.contains(bit);
        let mut p = DirParams::default();
        if has(DirBitmap::ATTRIBUTES) {
            p.attributes = Some(DirAttributes::from_bits_retain(
                r.u16("directory attributes")?,
            ));
        }
        if has(DirBitmap::PARENT_DIR_ID) {
            p.parent_id = Some(r.u32("parent directory ID")?);
        }
        if has(DirBitmap::CREATE_DATE) {
            p.create_date = Some(AfpDate(r.i32("creation date")?));
        }
        if has(DirBitmap::MOD_DATE) {
            p.mod_date = Some(AfpDate(r.i32("modification date")?));
        }
        if has(DirBitmap::BACKUP_DATE) {
            p.backup_date = Some(AfpDate(r.i32("backup date")?));
        }
        if has(DirBitmap::FINDER_INFO) {
            p.finder_info = Some(FinderInfo(r.array("Finder info")?));
        }
        if has(DirBitmap::LONG_NAME) {
            let off = r.u16("long name offset")?;
            p.long_name = Some(pstr_at(block, off, "long name")?);
        }
        if has(DirBitmap::SHORT_NAME) {
            let off = r.u16("short name offset")?;
            p.short_name = Some(pstr_at(block, off, "short name")?);
        }
        if has(DirBitmap::NODE_ID) {
            p.node_id = Some(r.u32("directory ID")?);
        }
        if has(DirBitmap::OFFSPRING_COUNT) {
            p.offspring_count = Some(r.u16("offspring count")?);
        }
        if has(DirBitmap::OWNER_ID) {
            p.owner_id = Some(r.u32("owner ID")?);
        }
        if has(DirBitmap::GROUP_ID) {
            p.group_id = Some(r.u32("group ID")?);
        }
        if has(DirBitmap::ACCESS_RIGHTS) {
            p.access_rights = Some(AccessRights::from_bits_retain(r.u32("access rights")?));
        }
        if has(DirBitmap::UTF8_NAME) {
            (p.utf8_name, p.prodos_info) = read_bit13(&mut r, block, version)?;
        }
        if has(DirBitmap::UNIX_PRIVS) {
            p.unix_privs = Some(UnixPrivs::read(&mut r)?);
        }
        Ok(p)
    }

    /// Appends the record (without its bitmap) to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        self.write(&mut Writer::new(dst));
    }

    /// Number of bytes [`DirParams::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        let b = self.bitmap();
        let fixed: usize = [
            (DirBitmap::ATTRIBUTES, 2),
            (DirBitmap::PARENT_DIR_ID, 4),
            (DirBitmap::CREATE_DATE, 4),
            (DirBitmap::MOD_DATE, 4),
            (DirBitmap::BACKUP_DATE, 4),
            (DirBitmap::FINDER_INFO, 32),
            (DirBitmap::LONG_NAME, 2),
            (DirBitmap::SHORT_NAME, 2),
            (DirBitmap::NODE_ID, 4),
            (DirBitmap::OFFSPRING_COUNT, 2),
            (DirBitmap::OWNER_ID, 4),
            (DirBitmap::GROUP_ID, 4),
            (DirBitmap::ACCESS_RIGHTS, 4),
            (DirBitmap::UTF8_NAME, 6),
            (DirBitmap::UNIX_PRIVS, 16),
        ]
        .iter()
        .filter(|(bit, _)| b.contains(*bit))
        .map(|(_, n)| n)
        .sum();
        fixed
            + name_len(self.long_name.as_ref())
            + name_len(self.short_name.as_ref())
            + utf8_name_len(self.utf8_name.as_ref())
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) {
        let mut slots = NameSlots::default();
        if let Some(v) = self.attributes {
            w.u16(v.bits());
        }
        if let Some(v) = self.parent_id {
            w.u32(v);
        }
        for d in [self.create_date, self.mod_date, self.backup_date]
            .into_iter()
            .flatten()
        {
            w.i32(d.0);
        }
        if let Some(v) = &self.finder_info {
            w.bytes(&v.0);
        }
        if self.long_name.is_some() {
            slots.long = Some(w.reserve_u16());
        }
        if self.short_name.is_some() {
            slots.short = Some(w.reserve_u16());
        }
        if let Some(v) = self.node_id {
            w.u32(v);
        }
        if let Some(v) = self.offspring_count {
            w.u16(v);
        }
        if let Some(v) = self.owner_id {
            w.u32(v);
        }
        if let Some(v) = self.group_id {
            w.u32(v);
        }
        if let Some(v) = self.access_rights {
            w.u32(v.bits());
        }
        write_bit13(
            w,
            &mut slots,
            self.utf8_name.as_ref(),
            self.prodos_info.as_ref(),
        );
        if let Some(v) = &self.unix_privs {
            v.write(w);
        }
        slots.fill(
            w,
            self.long_name.as_ref(),
            self.short_name.as_ref(),
            self.utf8_name.as_ref(),
        );
    }
}

/// The parameters of a file or of a directory, as in FPGetFileDirParms and enumerate
/// replies (FileDir flag 0x80 = directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileDirParams {
    /// A file.
    File(FileParams),
    /// A directory.
    Dir(DirParams),
}

/// The FileDir byte value for a directory.
pub const FILE_DIR_IS_DIR: u8 = 0x80;

impl FileDirParams {
    /// True for a directory.
    pub fn is_dir(&self) -> bool {
        matches!(self, FileDirParams::Dir(_))
    }

    /// The FileDir flag byte: 0x80 for a directory, 0 for a file.
    pub fn file_dir_flag(&self) -> u8 {
        if self.is_dir() { FILE_DIR_IS_DIR } else { 0 }
    }

    /// Decodes a file record (`is_dir` false) with `file_bitmap` or a directory record with
    /// `dir_bitmap`.
    pub fn decode(
        is_dir: bool,
        file_bitmap: FileBitmap,
        dir_bitmap: DirBitmap,
        block: &Bytes,
        version: AfpVersion,
    ) -> Result<FileDirParams, DecodeError> {
        if is_dir {
            DirParams::decode(dir_bitmap, block, version).map(FileDirParams::Dir)
        } else {
            FileParams::decode(file_bitmap, block, version).map(FileDirParams::File)
        }
    }

    /// Appends the record to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        self.write(&mut Writer::new(dst));
    }

    /// Number of bytes [`FileDirParams::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        match self {
            FileDirParams::File(p) => p.encoded_len(),
            FileDirParams::Dir(p) => p.encoded_len(),
        }
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) {
        match self {
            FileDirParams::File(p) => p.write(w),
            FileDirParams::Dir(p) => p.write(w),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(p: &FileParams) -> Bytes {
        let mut dst = BytesMut::new();
        p.encode(&mut dst);
        assert_eq!(dst.len(), p.encoded_len());
        dst.freeze()
    }

    #[test]
    fn long_and_utf8_name_offsets_follow_fixed_part() {
        let p = FileParams {
            attributes: Some(FileAttributes::empty()),
            parent_id: Some(2),
            long_name: Some(Bytes::from_static(b"ab")),
            utf8_name: Some(AfpName::new(Bytes::from_static(b"ab"))),
            ..FileParams::default()
        };
        assert_eq!(p.bitmap().bits(), 0x2043);
        let b = enc(&p);
        assert_eq!(
            &b[..],
            &[
                0, 0, // attributes
                0, 0, 0, 2, // parent
                0, 14, // long name offset
                0, 17, 0, 0, 0, 0, // UTF-8 name offset + 4 reserved bytes
                2, b'a', b'b', // long name
                0, 0, 0, 0, 0, 2, b'a', b'b', // hint, len, UTF-8 name
            ][..]
        );
        assert_eq!(
            FileParams::decode(p.bitmap(), &b, AfpVersion::V3_4).unwrap(),
            p
        );
    }

    #[test]
    fn empty_short_name_is_offset_zero() {
        let p = FileParams {
            short_name: Some(Bytes::new()),
            ..FileParams::default()
        };
        assert_eq!(&enc(&p)[..], &[0, 0]);
        assert_eq!(
            FileParams::decode(FileBitmap::SHORT_NAME, &enc(&p), AfpVersion::V3_4).unwrap(),
            p
        );
    }

    #[test]
    fn bit13_depends_on_version() {
        let raw = Bytes::from_static(&[1, 0, 0, 2, 0, 0]);
        let afp2 = FileParams::decode(FileBitmap::UTF8_NAME, &raw, AfpVersion::V2_2).unwrap();
        assert_eq!(afp2.prodos_info, Some(ProDosInfo([1, 0, 0, 2, 0, 0])));
        assert_eq!(enc(&afp2), raw);
        // On AFP 3 the same bytes are offset 0x0100 → outside the block.
        assert_eq!(
            FileParams::decode(FileBitmap::UTF8_NAME, &raw, AfpVersion::V3_4),
            Err(DecodeError::BadOffset("UTF-8 name"))
        );
    }

    #[test]
    fn undefined_bits_are_bitmap_errors() {
        let b = Bytes::from_static(&[0; 64]);
        assert!(matches!(
            FileParams::decode(FileBitmap::LAUNCH_LIMIT, &b, AfpVersion::V3_4),
            Err(DecodeError::BadBitmap { bitmap: 0x1000, .. })
        ));
        assert!(matches!(
            DirParams::decode(DirBitmap::from_bits_retain(0x4000), &b, AfpVersion::V3_4),
            Err(DecodeError::BadBitmap { .. })
        ));
        assert!(matches!(
            VolumeParams::decode(VolumeBitmap::from_bits_retain(0x1000), &b),
            Err(DecodeError::BadBitmap { .. })
        ));
        assert!(
            FileBitmap::from_bits_retain(0x0800)
                .check(AfpVersion::V2_2)
                .is_err()
        );
        assert!(
            FileBitmap::from_bits_retain(0x0800)
                .check(AfpVersion::V3_0)
                .is_ok()
        );
        assert!(
            VolumeBitmap::EXT_BYTES_FREE
                .check(AfpVersion::V2_1)
                .is_err()
        );
    }

    #[test]
    fn volume_name_offset_counts_from_record_start() {
        let p = VolumeParams {
            attributes: Some(VolumeAttributes::SUPPORTS_UTF8_NAMES),
            volume_id: Some(7),
            name: Some(Bytes::from_static(b"Data")),
            ..VolumeParams::default()
        };
        let mut dst = BytesMut::new();
        p.encode(&mut dst);
        assert_eq!(&dst[..], &[0, 0x40, 0, 7, 0, 6, 4, b'D', b'a', b't', b'a']);
        assert_eq!(p.encoded_len(), dst.len());
        assert_eq!(VolumeParams::decode(p.bitmap(), &dst.freeze()).unwrap(), p);
    }
}
