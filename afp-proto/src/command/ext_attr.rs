//! Extended attributes (spec §5.9, AFP 3.2): FPGetExtAttr, FPSetExtAttr, FPRemoveExtAttr,
//! FPListExtAttrs.
//!
//! ```text
//! FPGetExtAttr    69 | pad | vid | did | u16 bitmap | i64 offset | i64 ReqCount
//!                    | u32 MaxReplySize | path | pad to even | u16 len + name
//!   reply: u16 bitmap | u32 DataLength | data (none when MaxReplySize was 0)
//! FPSetExtAttr    70 | pad | vid | did | u16 bitmap | i64 offset | path | pad to even
//!                    | u16 len + name | u32 DataLength | data
//! FPRemoveExtAttr 71 | pad | vid | did | u16 bitmap | path | pad to even | u16 len + name
//! FPListExtAttrs  72 | pad | vid | did | u16 bitmap | u16 ReqCount | u32 StartIndex
//!                    | u32 MaxReplySize | path
//!   reply: u16 bitmap | u32 DataLength | NUL-terminated names (none when MaxReplySize was 0)
//! ```

use bitflags::bitflags;
use bytes::{Bytes, BytesMut};

use super::{CommandCode, Request, pad};
use crate::error::DecodeError;
use crate::path::Path;
use crate::wire::{Reader, Writer};

bitflags! {
    /// Extended-attribute options (spec §5.9).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct ExtAttrBitmap: u16 {
        /// kXAttrNoFollow: do not follow a symlink.
        const NO_FOLLOW = 0x1;
        /// kXAttrCreate: fail if the attribute exists.
        const CREATE = 0x2;
        /// kXAttrReplace: fail if the attribute does not exist.
        const REPLACE = 0x4;
    }
}

/// Reads the pad to even and the u16-length attribute name after a path.
fn read_name(r: &mut Reader<'_>) -> Result<Bytes, DecodeError> {
    // spec §2.5: "After a pathname, before an EA name … pad to even".
    r.pad_to_even();
    r.u16_str("attribute name")
}

fn write_name(w: &mut Writer<'_>, name: &[u8]) {
    w.pad_to_even();
    w.u16_str(name);
}

/// FPGetExtAttr (69).
#[doc(alias = "FPGetExtAttr")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetExtAttr {
    /// Volume ID.
    pub volume_id: u16,
    /// Directory ID.
    pub dir_id: u32,
    /// Options (unknown bits kept).
    pub bitmap: ExtAttrBitmap,
    /// Offset (always 0).
    pub offset: i64,
    /// Bytes wanted (always -1).
    pub req_count: i64,
    /// Largest reply; 0 asks for the attribute's size only.
    pub max_reply_size: u32,
    /// Path of the object.
    pub path: Path,
    /// Attribute name (UTF-8).
    pub name: Bytes,
}

impl GetExtAttr {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        pad(r)?;
        Ok(GetExtAttr {
            volume_id: r.u16("volume ID")?,
            dir_id: r.u32("directory ID")?,
            bitmap: ExtAttrBitmap::from_bits_retain(r.u16("attribute bitmap")?),
            offset: r.i64("offset")?,
            req_count: r.i64("request count")?,
            max_reply_size: r.u32("max reply size")?,
            path: Path::read(r)?,
            name: read_name(r)?,
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.u16(self.volume_id);
        w.u32(self.dir_id);
        w.u16(self.bitmap.bits());
        w.i64(self.offset);
        w.i64(self.req_count);
        w.u32(self.max_reply_size);
        self.path.write(w);
        write_name(w, &self.name);
    }
}
request_type!(GetExtAttr, GET_EXT_ATTR);

/// FPGetExtAttr reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtAttrData {
    /// Options (copy).
    pub bitmap: ExtAttrBitmap,
    /// DataLength: the size of the value (with MaxReplySize 0, the attribute's full size).
    pub length: u32,
    /// The value bytes sent (empty when only the size was asked for; at most `length`).
    pub data: Bytes,
}

impl ExtAttrData {
    /// A reply carrying `data` (its length is DataLength).
    pub fn value(bitmap: ExtAttrBitmap, data: Bytes) -> ExtAttrData {
        ExtAttrData {
            bitmap,
            length: u32::try_from(data.len()).unwrap_or(u32::MAX),
            data,
        }
    }

    /// Decodes the reply block.
    pub fn decode(body: &Bytes) -> Result<ExtAttrData, DecodeError> {
        let mut r = Reader::new(body);
        let bitmap = ExtAttrBitmap::from_bits_retain(r.u16("attribute bitmap")?);
        let length = r.u32("data length")?;
        let n = r
            .remaining()
            .min(usize::try_from(length).unwrap_or(usize::MAX));
        Ok(ExtAttrData {
            bitmap,
            length,
            data: r.bytes(n, "attribute data")?,
        })
    }

    /// Appends the reply block to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        self.write(&mut Writer::new(dst));
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) {
        w.u16(self.bitmap.bits());
        w.u32(self.length);
        w.bytes(&self.data);
    }
}

/// FPSetExtAttr (70).
#[doc(alias = "FPSetExtAttr")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetExtAttr {
    /// Volume ID.
    pub volume_id: u16,
    /// Directory ID.
    pub dir_id: u32,
    /// Options (unknown bits kept).
    pub bitmap: ExtAttrBitmap,
    /// Offset (always 0).
    pub offset: i64,
    /// Path of the object.
    pub path: Path,
    /// Attribute name (UTF-8).
    pub name: Bytes,
    /// The value.
    pub data: Bytes,
}

impl SetExtAttr {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        pad(r)?;
        let volume_id = r.u16("volume ID")?;
        let dir_id = r.u32("directory ID")?;
        let bitmap = ExtAttrBitmap::from_bits_retain(r.u16("attribute bitmap")?);
        let offset = r.i64("offset")?;
        let path = Path::read(r)?;
        let name = read_name(r)?;
        let len = r.u32("data length")?;
        Ok(SetExtAttr {
            volume_id,
            dir_id,
            bitmap,
            offset,
            path,
            name,
            data: r.bytes(len as usize, "attribute data")?,
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.u16(self.volume_id);
        w.u32(self.dir_id);
        w.u16(self.bitmap.bits());
        w.i64(self.offset);
        self.path.write(w);
        write_name(w, &self.name);
        w.u32(self.data.len() as u32);
        w.bytes(&self.data);
    }
}
request_type!(SetExtAttr, SET_EXT_ATTR);

/// FPRemoveExtAttr (71).
#[doc(alias = "FPRemoveExtAttr")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoveExtAttr {
    /// Volume ID.
    pub volume_id: u16,
    /// Directory ID.
    pub dir_id: u32,
    /// Options (unknown bits kept).
    pub bitmap: ExtAttrBitmap,
    /// Path of the object.
    pub path: Path,
    /// Attribute name (UTF-8).
    pub name: Bytes,
}

impl RemoveExtAttr {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        pad(r)?;
        Ok(RemoveExtAttr {
            volume_id: r.u16("volume ID")?,
            dir_id: r.u32("directory ID")?,
            bitmap: ExtAttrBitmap::from_bits_retain(r.u16("attribute bitmap")?),
            path: Path::read(r)?,
            name: read_name(r)?,
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.u16(self.volume_id);
        w.u32(self.dir_id);
        w.u16(self.bitmap.bits());
        self.path.write(w);
        write_name(w, &self.name);
    }
}
request_type!(RemoveExtAttr, REMOVE_EXT_ATTR);

/// FPListExtAttrs (72).
#[doc(alias = "FPListExtAttrs")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListExtAttrs {
    /// Volume ID.
    pub volume_id: u16,
    /// Directory ID.
    pub dir_id: u32,
    /// Options (only NoFollow is meaningful; unknown bits kept).
    pub bitmap: ExtAttrBitmap,
    /// Maximum number of names.
    pub req_count: u16,
    /// Index of the first name.
    pub start_index: u32,
    /// Largest reply; 0 asks for the size of the list only.
    pub max_reply_size: u32,
    /// Path of the object.
    pub path: Path,
}

impl ListExtAttrs {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        pad(r)?;
        Ok(ListExtAttrs {
            volume_id: r.u16("volume ID")?,
            dir_id: r.u32("directory ID")?,
            bitmap: ExtAttrBitmap::from_bits_retain(r.u16("attribute bitmap")?),
            req_count: r.u16("request count")?,
            start_index: r.u32("start index")?,
            max_reply_size: r.u32("max reply size")?,
            path: Path::read(r)?,
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.u16(self.volume_id);
        w.u32(self.dir_id);
        w.u16(self.bitmap.bits());
        w.u16(self.req_count);
        w.u32(self.start_index);
        w.u32(self.max_reply_size);
        self.path.write(w);
    }
}
request_type!(ListExtAttrs, LIST_EXT_ATTRS);

/// FPListExtAttrs reply: the names as one block of NUL-terminated UTF-8 strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtAttrList {
    /// Options (copy).
    pub bitmap: ExtAttrBitmap,
    /// DataLength: size of the name list (with MaxReplySize 0, the full size).
    pub length: u32,
    /// The names sent, each followed by a NUL (empty when only the size was asked for).
    pub names: Bytes,
}

impl ExtAttrList {
    /// A reply listing `names` (a NUL is appended to each).
    pub fn from_names<'n>(
        bitmap: ExtAttrBitmap,
        names: impl IntoIterator<Item = &'n [u8]>,
    ) -> ExtAttrList {
        let mut block = BytesMut::new();
        for n in names {
            block.extend_from_slice(n);
            block.extend_from_slice(&[0]);
        }
        ExtAttrList {
            bitmap,
            length: u32::try_from(block.len()).unwrap_or(u32::MAX),
            names: block.freeze(),
        }
    }

    /// The names, without their terminating NUL.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        let names: &[u8] = &self.names;
        let names = names.strip_suffix(&[0]).unwrap_or(names);
        names
            .split(|&b| b == 0)
            .filter(move |_| !self.names.is_empty())
    }

    /// Decodes the reply block.
    pub fn decode(body: &Bytes) -> Result<ExtAttrList, DecodeError> {
        let mut r = Reader::new(body);
        let bitmap = ExtAttrBitmap::from_bits_retain(r.u16("attribute bitmap")?);
        let length = r.u32("data length")?;
        let n = r
            .remaining()
            .min(usize::try_from(length).unwrap_or(usize::MAX));
        Ok(ExtAttrList {
            bitmap,
            length,
            names: r.bytes(n, "attribute names")?,
        })
    }

    /// Appends the reply block to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        self.write(&mut Writer::new(dst));
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) {
        w.u16(self.bitmap.bits());
        w.u32(self.length);
        w.bytes(&self.names);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_is_padded_after_path() {
        let g = GetExtAttr {
            volume_id: 1,
            dir_id: 2,
            bitmap: ExtAttrBitmap::NO_FOLLOW,
            offset: 0,
            req_count: -1,
            max_reply_size: 0,
            path: Path::utf8(Bytes::from_static(b"f")),
            name: Bytes::from_static(b"com.apple.x"),
        };
        let mut dst = BytesMut::new();
        g.encode(&mut dst);
        // path at 30: 03 hint(4) 00 01 'f' ends at 38 → no pad; name at 38.
        assert_eq!(&dst[38..40], &[0, 11]);
        assert_eq!(GetExtAttr::decode(&dst.freeze()).unwrap(), g);
    }

    #[test]
    fn list_names() {
        let l = ExtAttrList::from_names(ExtAttrBitmap::empty(), [&b"a"[..], b"bc"]);
        assert_eq!(&l.names[..], b"a\0bc\0");
        assert_eq!(l.iter().collect::<Vec<_>>(), vec![&b"a"[..], b"bc"]);
        assert_eq!(
            ExtAttrList::from_names(ExtAttrBitmap::empty(), [])
                .iter()
                .count(),
            0
        );
    }
}
