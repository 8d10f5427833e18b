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

use bytes::Bytes;

use crate::error::DecodeError;
use crate::path::AfpName;
use crate::version::AfpVersion;
use crate::wire::{Reader, Writer, clamp_u16};

mod bitmaps;
mod file_dir;
mod volume;

pub use bitmaps::{
    AccessRights, DirAttributes, DirBitmap, FileAttributes, FileBitmap, VolumeAttributes,
    VolumeBitmap,
};
pub use file_dir::{DirParams, FILE_DIR_IS_DIR, FileDirParams, FileParams};
pub use volume::VolumeParams;

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

#[cfg(test)]
mod tests;
