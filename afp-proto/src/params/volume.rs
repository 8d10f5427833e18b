//! Volume parameters (spec §4.1).

use bytes::{Bytes, BytesMut};

use super::bitmaps::check_bits;
use super::{NameSlots, VolumeAttributes, VolumeBitmap, name_len, pstr_at};
use crate::date::AfpDate;
use crate::error::DecodeError;
use crate::wire::{Reader, Writer};

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

    /// Keeps only the fields selected by `bitmap` (a server fills every field it can, then
    /// masks the record down to the request's bitmap). Fields the bitmap asks for but that
    /// are `None` stay `None`.
    pub fn masked(mut self, bitmap: VolumeBitmap) -> VolumeParams {
        let keep = |bit| bitmap.contains(bit);
        if !keep(VolumeBitmap::ATTRIBUTES) {
            self.attributes = None;
        }
        if !keep(VolumeBitmap::SIGNATURE) {
            self.signature = None;
        }
        if !keep(VolumeBitmap::CREATE_DATE) {
            self.create_date = None;
        }
        if !keep(VolumeBitmap::MOD_DATE) {
            self.mod_date = None;
        }
        if !keep(VolumeBitmap::BACKUP_DATE) {
            self.backup_date = None;
        }
        if !keep(VolumeBitmap::VOLUME_ID) {
            self.volume_id = None;
        }
        if !keep(VolumeBitmap::BYTES_FREE) {
            self.bytes_free = None;
        }
        if !keep(VolumeBitmap::BYTES_TOTAL) {
            self.bytes_total = None;
        }
        if !keep(VolumeBitmap::NAME) {
            self.name = None;
        }
        if !keep(VolumeBitmap::EXT_BYTES_FREE) {
            self.ext_bytes_free = None;
        }
        if !keep(VolumeBitmap::EXT_BYTES_TOTAL) {
            self.ext_bytes_total = None;
        }
        if !keep(VolumeBitmap::BLOCK_SIZE) {
            self.block_size = None;
        }
        self
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
