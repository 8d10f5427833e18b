//! Desktop database and comments (spec §5.12): FPOpenDT, FPCloseDT, FPGetIcon,
//! FPGetIconInfo, FPAddIcon, FPAddAPPL, FPRemoveAPPL, FPGetAPPL, FPAddComment,
//! FPRemoveComment, FPGetComment.
//!
//! ```text
//! FPOpenDT        48 | pad | vid                                  reply: u16 DTRefNum
//! FPCloseDT       49 | pad | u16 DTRefNum
//! FPGetIcon       51 | pad | dt | creator | type | u8 IconType | u8 pad | u16 length
//!                                                                 reply: icon bitmap
//! FPGetIconInfo   52 | pad | dt | creator | u16 IconIndex
//!                 reply: u32 IconTag | type | u8 IconType | u8 pad | u16 size
//! FPAddIcon      192 | pad | dt | creator | type | u8 IconType | u8 pad | u32 IconTag
//!                    | u16 size                (20-byte DSIWrite header, then the bitmap)
//! FPAddAPPL       53 | pad | dt | did | creator | u32 ApplTag | path
//! FPRemoveAPPL    54 | pad | dt | did | creator | path
//! FPGetAPPL       55 | pad | dt | creator | u16 ApplIndex | u16 bitmap
//!                 reply: u16 bitmap | u32 ApplTag | file parameters
//! FPAddComment    56 | pad | dt | did | path | pad to even | pstr comment
//! FPRemoveComment 57 | pad | dt | did | path
//! FPGetComment    58 | pad | dt | did | path                     reply: pstr comment
//! ```

use bytes::{Bytes, BytesMut};

use super::{CommandCode, Request, pad};
use crate::error::DecodeError;
use crate::params::{FileBitmap, FileParams};
use crate::path::Path;
use crate::version::AfpVersion;
use crate::wire::{Reader, Writer};

/// FPOpenDT (48); the reply is the DTRefNum ([`super::Reply::OpenDt`]).
#[doc(alias = "FPOpenDT")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenDt {
    /// Volume ID.
    pub volume_id: u16,
}

impl OpenDt {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        pad(r)?;
        Ok(OpenDt {
            volume_id: r.u16("volume ID")?,
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.u16(self.volume_id);
    }
}
request_type!(OpenDt, OPEN_DT);

/// FPCloseDT (49).
#[doc(alias = "FPCloseDT")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseDt {
    /// Desktop database reference.
    pub dt_ref: u16,
}

impl CloseDt {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        pad(r)?;
        Ok(CloseDt {
            dt_ref: r.u16("DTRefNum")?,
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.u16(self.dt_ref);
    }
}
request_type!(CloseDt, CLOSE_DT);

/// FPGetIcon (51); the reply is the icon bitmap ([`super::Reply::GetIcon`]).
#[doc(alias = "FPGetIcon")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GetIcon {
    /// Desktop database reference.
    pub dt_ref: u16,
    /// File creator.
    pub creator: [u8; 4],
    /// File type.
    pub file_type: [u8; 4],
    /// Icon type.
    pub icon_type: u8,
    /// Bytes of the bitmap to return.
    pub length: u16,
}

impl GetIcon {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        pad(r)?;
        let dt_ref = r.u16("DTRefNum")?;
        let creator = r.array("creator")?;
        let file_type = r.array("file type")?;
        let icon_type = r.u8("icon type")?;
        r.skip(1, "pad byte")?;
        Ok(GetIcon {
            dt_ref,
            creator,
            file_type,
            icon_type,
            length: r.u16("icon length")?,
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.u16(self.dt_ref);
        w.bytes(&self.creator);
        w.bytes(&self.file_type);
        w.u8(self.icon_type);
        w.u8(0);
        w.u16(self.length);
    }
}
request_type!(GetIcon, GET_ICON);

/// FPGetIconInfo (52).
#[doc(alias = "FPGetIconInfo")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GetIconInfo {
    /// Desktop database reference.
    pub dt_ref: u16,
    /// File creator.
    pub creator: [u8; 4],
    /// 1-based index of the icon.
    pub icon_index: u16,
}

impl GetIconInfo {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        pad(r)?;
        Ok(GetIconInfo {
            dt_ref: r.u16("DTRefNum")?,
            creator: r.array("creator")?,
            icon_index: r.u16("icon index")?,
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.u16(self.dt_ref);
        w.bytes(&self.creator);
        w.u16(self.icon_index);
    }
}
request_type!(GetIconInfo, GET_ICON_INFO);

/// FPGetIconInfo reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IconInfo {
    /// Icon tag.
    pub icon_tag: u32,
    /// File type.
    pub file_type: [u8; 4],
    /// Icon type.
    pub icon_type: u8,
    /// Size of the bitmap.
    pub size: u16,
}

impl IconInfo {
    /// Decodes the reply block.
    pub fn decode(body: &Bytes) -> Result<IconInfo, DecodeError> {
        let mut r = Reader::new(body);
        let icon_tag = r.u32("icon tag")?;
        let file_type = r.array("file type")?;
        let icon_type = r.u8("icon type")?;
        r.skip(1, "pad byte")?;
        Ok(IconInfo {
            icon_tag,
            file_type,
            icon_type,
            size: r.u16("icon size")?,
        })
    }

    /// Appends the reply block to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        self.write(&mut Writer::new(dst));
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) {
        w.u32(self.icon_tag);
        w.bytes(&self.file_type);
        w.u8(self.icon_type);
        w.u8(0);
        w.u16(self.size);
    }
}

/// FPAddIcon (192): the 20-byte DSIWrite header; the `size` bytes of bitmap follow it in
/// the DSI payload and are not part of this value.
#[doc(alias = "FPAddIcon")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddIcon {
    /// Desktop database reference.
    pub dt_ref: u16,
    /// File creator.
    pub creator: [u8; 4],
    /// File type.
    pub file_type: [u8; 4],
    /// Icon type.
    pub icon_type: u8,
    /// Icon tag.
    pub icon_tag: u32,
    /// Size of the bitmap that follows.
    pub size: u16,
}

impl AddIcon {
    /// Size of the header: the DSIWrite data offset.
    pub const HEADER_LEN: usize = 20;

    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        pad(r)?;
        let dt_ref = r.u16("DTRefNum")?;
        let creator = r.array("creator")?;
        let file_type = r.array("file type")?;
        let icon_type = r.u8("icon type")?;
        r.skip(1, "pad byte")?;
        Ok(AddIcon {
            dt_ref,
            creator,
            file_type,
            icon_type,
            icon_tag: r.u32("icon tag")?,
            size: r.u16("icon size")?,
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.u16(self.dt_ref);
        w.bytes(&self.creator);
        w.bytes(&self.file_type);
        w.u8(self.icon_type);
        w.u8(0);
        w.u32(self.icon_tag);
        w.u16(self.size);
    }
}
request_type!(AddIcon, ADD_ICON);

/// FPAddAPPL (53).
#[doc(alias = "FPAddAPPL")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddAppl {
    /// Desktop database reference.
    pub dt_ref: u16,
    /// Directory ID.
    pub dir_id: u32,
    /// Application creator.
    pub creator: [u8; 4],
    /// APPL tag.
    pub appl_tag: u32,
    /// Path of the application.
    pub path: Path,
}

impl AddAppl {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        pad(r)?;
        Ok(AddAppl {
            dt_ref: r.u16("DTRefNum")?,
            dir_id: r.u32("directory ID")?,
            creator: r.array("creator")?,
            appl_tag: r.u32("APPL tag")?,
            path: Path::read(r)?,
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.u16(self.dt_ref);
        w.u32(self.dir_id);
        w.bytes(&self.creator);
        w.u32(self.appl_tag);
        self.path.write(w);
    }
}
request_type!(AddAppl, ADD_APPL);

/// FPRemoveAPPL (54).
#[doc(alias = "FPRemoveAPPL")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoveAppl {
    /// Desktop database reference.
    pub dt_ref: u16,
    /// Directory ID.
    pub dir_id: u32,
    /// Application creator.
    pub creator: [u8; 4],
    /// Path of the application.
    pub path: Path,
}

impl RemoveAppl {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        pad(r)?;
        Ok(RemoveAppl {
            dt_ref: r.u16("DTRefNum")?,
            dir_id: r.u32("directory ID")?,
            creator: r.array("creator")?,
            path: Path::read(r)?,
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.u16(self.dt_ref);
        w.u32(self.dir_id);
        w.bytes(&self.creator);
        self.path.write(w);
    }
}
request_type!(RemoveAppl, REMOVE_APPL);

/// FPGetAPPL (55).
#[doc(alias = "FPGetAPPL")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GetAppl {
    /// Desktop database reference.
    pub dt_ref: u16,
    /// Application creator.
    pub creator: [u8; 4],
    /// 1-based index of the mapping.
    pub appl_index: u16,
    /// File parameters wanted (unknown bits kept).
    pub bitmap: FileBitmap,
}

impl GetAppl {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        pad(r)?;
        Ok(GetAppl {
            dt_ref: r.u16("DTRefNum")?,
            creator: r.array("creator")?,
            appl_index: r.u16("APPL index")?,
            bitmap: FileBitmap::from_bits_retain(r.u16("file bitmap")?),
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.u16(self.dt_ref);
        w.bytes(&self.creator);
        w.u16(self.appl_index);
        w.u16(self.bitmap.bits());
    }
}
request_type!(GetAppl, GET_APPL);

/// FPGetAPPL reply: u16 bitmap (of `params`), u32 APPL tag, file parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplInfo {
    /// APPL tag.
    pub appl_tag: u32,
    /// The application's parameters.
    pub params: FileParams,
}

impl ApplInfo {
    /// Decodes the reply block (parameter offsets count from byte 6).
    pub fn decode(body: &Bytes, version: AfpVersion) -> Result<ApplInfo, DecodeError> {
        let mut r = Reader::new(body);
        let bitmap = FileBitmap::from_bits_retain(r.u16("file bitmap")?);
        let appl_tag = r.u32("APPL tag")?;
        let params = FileParams::decode(bitmap, &r.rest(), version)?;
        Ok(ApplInfo { appl_tag, params })
    }

    /// Appends the reply block to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        self.write(&mut Writer::new(dst));
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) {
        w.u16(self.params.bitmap().bits());
        w.u32(self.appl_tag);
        self.params.write(&mut w.nested());
    }
}

/// FPAddComment (56).
#[doc(alias = "FPAddComment")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddComment {
    /// Desktop database reference.
    pub dt_ref: u16,
    /// Directory ID.
    pub dir_id: u32,
    /// Path of the object.
    pub path: Path,
    /// The comment (pstr; at most 199 bytes by the spec, 255 encoded).
    pub comment: Bytes,
}

impl AddComment {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        pad(r)?;
        let dt_ref = r.u16("DTRefNum")?;
        let dir_id = r.u32("directory ID")?;
        let path = Path::read(r)?;
        r.pad_to_even();
        Ok(AddComment {
            dt_ref,
            dir_id,
            path,
            comment: r.pstr("comment")?,
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.u16(self.dt_ref);
        w.u32(self.dir_id);
        self.path.write(w);
        w.pad_to_even();
        w.pstr(&self.comment);
    }
}
request_type!(AddComment, ADD_COMMENT);

/// Declares a `pad, dt, did, path` request.
macro_rules! dt_path_request {
    ($(#[$doc:meta])* $ty:ident, $code:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $ty {
            /// Desktop database reference.
            pub dt_ref: u16,
            /// Directory ID.
            pub dir_id: u32,
            /// Path of the object.
            pub path: Path,
        }

        impl $ty {
            pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
                pad(r)?;
                Ok($ty {
                    dt_ref: r.u16("DTRefNum")?,
                    dir_id: r.u32("directory ID")?,
                    path: Path::read(r)?,
                })
            }

            pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
                w.u8(0);
                w.u16(self.dt_ref);
                w.u32(self.dir_id);
                self.path.write(w);
            }
        }
        request_type!($ty, $code);
    };
}

dt_path_request!(
    /// FPRemoveComment (57).
    #[doc(alias = "FPRemoveComment")]
    RemoveComment,
    REMOVE_COMMENT
);
dt_path_request!(
    /// FPGetComment (58); the reply is the comment pstr ([`super::Reply::GetComment`]).
    #[doc(alias = "FPGetComment")]
    GetComment,
    GET_COMMENT
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_icon_header_is_20_bytes() {
        let a = AddIcon {
            dt_ref: 1,
            creator: *b"ttxt",
            file_type: *b"TEXT",
            icon_type: 1,
            icon_tag: 7,
            size: 256,
        };
        let mut dst = BytesMut::new();
        a.encode(&mut dst);
        assert_eq!(dst.len(), AddIcon::HEADER_LEN);
        assert_eq!(dst.len(), CommandCode::ADD_ICON.write_header_len().unwrap());
        assert_eq!(AddIcon::decode(&dst.freeze()).unwrap(), a);
    }
}
