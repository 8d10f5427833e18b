//! File and directory parameters (spec §4.3–4.6).

use bytes::{Bytes, BytesMut};

use super::bitmaps::check_bits;
use super::{
    AccessRights, DirAttributes, DirBitmap, FileAttributes, FileBitmap, FinderInfo, NameSlots,
    ProDosInfo, UnixPrivs, name_len, pstr_at, read_bit13, utf8_name_len, write_bit13,
};
use crate::date::AfpDate;
use crate::error::DecodeError;
use crate::path::AfpName;
use crate::version::AfpVersion;
use crate::wire::{Reader, Writer};

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

    /// Keeps only the fields selected by `bitmap` (a server fills every field it can, then
    /// masks the record down to the request's bitmap). Fields the bitmap asks for but that
    /// are `None` stay `None`; bit 13 keeps whichever of `utf8_name` / `prodos_info` is set.
    pub fn masked(mut self, bitmap: FileBitmap) -> FileParams {
        let keep = |bit| bitmap.contains(bit);
        if !keep(FileBitmap::ATTRIBUTES) {
            self.attributes = None;
        }
        if !keep(FileBitmap::PARENT_DIR_ID) {
            self.parent_id = None;
        }
        if !keep(FileBitmap::CREATE_DATE) {
            self.create_date = None;
        }
        if !keep(FileBitmap::MOD_DATE) {
            self.mod_date = None;
        }
        if !keep(FileBitmap::BACKUP_DATE) {
            self.backup_date = None;
        }
        if !keep(FileBitmap::FINDER_INFO) {
            self.finder_info = None;
        }
        if !keep(FileBitmap::LONG_NAME) {
            self.long_name = None;
        }
        if !keep(FileBitmap::SHORT_NAME) {
            self.short_name = None;
        }
        if !keep(FileBitmap::NODE_ID) {
            self.node_id = None;
        }
        if !keep(FileBitmap::DATA_FORK_LEN) {
            self.data_fork_len = None;
        }
        if !keep(FileBitmap::RSRC_FORK_LEN) {
            self.rsrc_fork_len = None;
        }
        if !keep(FileBitmap::EXT_DATA_FORK_LEN) {
            self.ext_data_fork_len = None;
        }
        if !keep(FileBitmap::UTF8_NAME) {
            self.utf8_name = None;
            self.prodos_info = None;
        }
        if !keep(FileBitmap::EXT_RSRC_FORK_LEN) {
            self.ext_rsrc_fork_len = None;
        }
        if !keep(FileBitmap::UNIX_PRIVS) {
            self.unix_privs = None;
        }
        self
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

    /// Keeps only the fields selected by `bitmap` (a server fills every field it can, then
    /// masks the record down to the request's bitmap). Fields the bitmap asks for but that
    /// are `None` stay `None`; bit 13 keeps whichever of `utf8_name` / `prodos_info` is set.
    pub fn masked(mut self, bitmap: DirBitmap) -> DirParams {
        let keep = |bit| bitmap.contains(bit);
        if !keep(DirBitmap::ATTRIBUTES) {
            self.attributes = None;
        }
        if !keep(DirBitmap::PARENT_DIR_ID) {
            self.parent_id = None;
        }
        if !keep(DirBitmap::CREATE_DATE) {
            self.create_date = None;
        }
        if !keep(DirBitmap::MOD_DATE) {
            self.mod_date = None;
        }
        if !keep(DirBitmap::BACKUP_DATE) {
            self.backup_date = None;
        }
        if !keep(DirBitmap::FINDER_INFO) {
            self.finder_info = None;
        }
        if !keep(DirBitmap::LONG_NAME) {
            self.long_name = None;
        }
        if !keep(DirBitmap::SHORT_NAME) {
            self.short_name = None;
        }
        if !keep(DirBitmap::NODE_ID) {
            self.node_id = None;
        }
        if !keep(DirBitmap::OFFSPRING_COUNT) {
            self.offspring_count = None;
        }
        if !keep(DirBitmap::OWNER_ID) {
            self.owner_id = None;
        }
        if !keep(DirBitmap::GROUP_ID) {
            self.group_id = None;
        }
        if !keep(DirBitmap::ACCESS_RIGHTS) {
            self.access_rights = None;
        }
        if !keep(DirBitmap::UTF8_NAME) {
            self.utf8_name = None;
            self.prodos_info = None;
        }
        if !keep(DirBitmap::UNIX_PRIVS) {
            self.unix_privs = None;
        }
        self
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
