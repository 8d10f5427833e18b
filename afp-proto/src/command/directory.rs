//! Catalog calls on files and directories (spec §5.3, §5.5, §5.7): FPGetFileDirParms,
//! FPSetFileDirParms, FPSetDirParms, FPCreateDir, FPDelete, FPRename, FPMoveAndRename,
//! FPOpenDir, FPCloseDir, FPSyncDir.
//!
//! ```text
//! FPGetFileDirParms 34 | pad | vid | did | u16 file bitmap | u16 dir bitmap | path
//!   reply:  u16 file bitmap | u16 dir bitmap | u8 FileDir (0x80 = dir) | u8 0 | parameters
//! FPSetDirParms     29 | pad | vid | did | u16 bitmap | path | pad to even | parameters
//! FPSetFileDirParms 35 | (same layout; the bitmap is for whatever the path names)
//! FPCreateDir        6 | pad | vid | did | path                 reply: u32 new DID
//! FPDelete           8 | pad | vid | did | path
//! FPRename          28 | pad | vid | did | path | new name
//! FPMoveAndRename   23 | pad | vid | u32 src did | u32 dst did | src path | dst path | new name
//! FPOpenDir         25 | pad | vid | did | path                 reply: u32 DID
//! FPCloseDir         3 | pad | vid | did
//! FPSyncDir         78 | pad | vid | did
//! ```
//!
//! The set calls keep their parameter record raw: a server resolves the volume, directory
//! and path first (their errors come before a bitmap error in netatalk), then decodes the
//! record with the session version, and for FPSetFileDirParms with the record type that
//! matches the object.

use bytes::{Bytes, BytesMut};

use super::{CommandCode, Request, pad};
use crate::error::DecodeError;
use crate::params::{DirBitmap, DirParams, FileBitmap, FileDirParams, FileParams};
use crate::path::Path;
use crate::version::AfpVersion;
use crate::wire::{Reader, Writer};

/// FPGetFileDirParms (34).
#[doc(alias = "FPGetFileDirParms")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetFileDirParms {
    /// Volume ID.
    pub volume_id: u16,
    /// Directory ID.
    pub dir_id: u32,
    /// Parameters wanted if the path names a file (unknown bits kept).
    pub file_bitmap: FileBitmap,
    /// Parameters wanted if the path names a directory (unknown bits kept).
    pub dir_bitmap: DirBitmap,
    /// Path of the object.
    pub path: Path,
}

impl GetFileDirParms {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        pad(r)?;
        Ok(GetFileDirParms {
            volume_id: r.u16("volume ID")?,
            dir_id: r.u32("directory ID")?,
            file_bitmap: FileBitmap::from_bits_retain(r.u16("file bitmap")?),
            dir_bitmap: DirBitmap::from_bits_retain(r.u16("directory bitmap")?),
            path: Path::read(r)?,
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.u16(self.volume_id);
        w.u32(self.dir_id);
        w.u16(self.file_bitmap.bits());
        w.u16(self.dir_bitmap.bits());
        self.path.write(w);
    }
}
request_type!(GetFileDirParms, GET_FILE_DIR_PARMS);

/// FPGetFileDirParms reply: both bitmaps (copies), the FileDir flag, the parameters.
///
/// When encoding, the bitmap of the object's kind is taken from `params`; the other one is
/// written as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDirParmsReply {
    /// The request's file bitmap.
    pub file_bitmap: FileBitmap,
    /// The request's directory bitmap.
    pub dir_bitmap: DirBitmap,
    /// The parameters of the file or directory.
    pub params: FileDirParams,
}

impl FileDirParmsReply {
    /// A reply for `params`, copying the other kind's bitmap from the request.
    pub fn new(request: &GetFileDirParms, params: FileDirParams) -> FileDirParmsReply {
        FileDirParmsReply {
            file_bitmap: request.file_bitmap,
            dir_bitmap: request.dir_bitmap,
            params,
        }
    }

    /// Decodes the reply block (parameter offsets count from byte 6).
    pub fn decode(body: &Bytes, version: AfpVersion) -> Result<FileDirParmsReply, DecodeError> {
        let mut r = Reader::new(body);
        let file_bitmap = FileBitmap::from_bits_retain(r.u16("file bitmap")?);
        let dir_bitmap = DirBitmap::from_bits_retain(r.u16("directory bitmap")?);
        let is_dir = r.u8("FileDir flag")? & 0x80 != 0;
        r.skip(1, "pad byte")?;
        let params = FileDirParams::decode(is_dir, file_bitmap, dir_bitmap, &r.rest(), version)?;
        Ok(FileDirParmsReply {
            file_bitmap,
            dir_bitmap,
            params,
        })
    }

    /// Appends the reply block to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        self.write(&mut Writer::new(dst));
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) {
        let (file_bitmap, dir_bitmap) = match &self.params {
            FileDirParams::File(p) => (p.bitmap(), self.dir_bitmap),
            FileDirParams::Dir(p) => (self.file_bitmap, p.bitmap()),
        };
        w.u16(file_bitmap.bits());
        w.u16(dir_bitmap.bits());
        w.u8(self.params.file_dir_flag());
        w.u8(0);
        self.params.write(&mut w.nested());
    }
}

/// Shared layout of the three set-parameter calls.
fn decode_set(r: &mut Reader<'_>) -> Result<(u16, u32, u16, Path, Bytes), DecodeError> {
    pad(r)?;
    let volume_id = r.u16("volume ID")?;
    let dir_id = r.u32("directory ID")?;
    let bitmap = r.u16("bitmap")?;
    let path = Path::read(r)?;
    // spec §2.5: "After a pathname, before parameters … pad to even".
    r.pad_to_even();
    Ok((volume_id, dir_id, bitmap, path, r.rest()))
}

fn encode_set(
    w: &mut Writer<'_>,
    volume_id: u16,
    dir_id: u32,
    bitmap: u16,
    path: &Path,
    params: &[u8],
) {
    w.u8(0);
    w.u16(volume_id);
    w.u32(dir_id);
    w.u16(bitmap);
    path.write(w);
    w.pad_to_even();
    w.bytes(params);
}

pub(super) fn record(write: impl FnOnce(&mut BytesMut)) -> Bytes {
    let mut dst = BytesMut::new();
    write(&mut dst);
    dst.freeze()
}

/// FPSetDirParms (29).
#[doc(alias = "FPSetDirParms")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetDirParms {
    /// Volume ID.
    pub volume_id: u16,
    /// Directory ID.
    pub dir_id: u32,
    /// Bitmap as sent.
    pub bitmap: DirBitmap,
    /// Path of the directory.
    pub path: Path,
    /// The parameter record as sent (after the pad).
    pub params: Bytes,
}

impl SetDirParms {
    /// A request setting `params`.
    pub fn new(volume_id: u16, dir_id: u32, path: Path, params: &DirParams) -> SetDirParms {
        SetDirParms {
            volume_id,
            dir_id,
            bitmap: params.bitmap(),
            path,
            params: record(|d| params.encode(d)),
        }
    }

    /// Decodes the parameter record per the bitmap and the session version.
    pub fn decode_params(&self, version: AfpVersion) -> Result<DirParams, DecodeError> {
        DirParams::decode(self.bitmap, &self.params, version)
    }

    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let (volume_id, dir_id, bitmap, path, params) = decode_set(r)?;
        Ok(SetDirParms {
            volume_id,
            dir_id,
            bitmap: DirBitmap::from_bits_retain(bitmap),
            path,
            params,
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        encode_set(
            w,
            self.volume_id,
            self.dir_id,
            self.bitmap.bits(),
            &self.path,
            &self.params,
        );
    }
}
request_type!(SetDirParms, SET_DIR_PARMS);

/// FPSetFileParms (30).
#[doc(alias = "FPSetFileParms")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetFileParms {
    /// Volume ID.
    pub volume_id: u16,
    /// Directory ID.
    pub dir_id: u32,
    /// Bitmap as sent.
    pub bitmap: FileBitmap,
    /// Path of the file.
    pub path: Path,
    /// The parameter record as sent (after the pad).
    pub params: Bytes,
}

impl SetFileParms {
    /// A request setting `params`.
    pub fn new(volume_id: u16, dir_id: u32, path: Path, params: &FileParams) -> SetFileParms {
        SetFileParms {
            volume_id,
            dir_id,
            bitmap: params.bitmap(),
            path,
            params: record(|d| params.encode(d)),
        }
    }

    /// Decodes the parameter record per the bitmap and the session version.
    pub fn decode_params(&self, version: AfpVersion) -> Result<FileParams, DecodeError> {
        FileParams::decode(self.bitmap, &self.params, version)
    }

    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let (volume_id, dir_id, bitmap, path, params) = decode_set(r)?;
        Ok(SetFileParms {
            volume_id,
            dir_id,
            bitmap: FileBitmap::from_bits_retain(bitmap),
            path,
            params,
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        encode_set(
            w,
            self.volume_id,
            self.dir_id,
            self.bitmap.bits(),
            &self.path,
            &self.params,
        );
    }
}
request_type!(SetFileParms, SET_FILE_PARMS);

/// FPSetFileDirParms (35): the bitmap applies to whatever the path names.
#[doc(alias = "FPSetFileDirParms")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetFileDirParms {
    /// Volume ID.
    pub volume_id: u16,
    /// Directory ID.
    pub dir_id: u32,
    /// Bitmap as sent: a file bitmap or a directory bitmap depending on the object.
    pub bitmap: u16,
    /// Path of the object.
    pub path: Path,
    /// The parameter record as sent (after the pad).
    pub params: Bytes,
}

impl SetFileDirParms {
    /// A request setting the parameters of a file or a directory.
    pub fn new(volume_id: u16, dir_id: u32, path: Path, params: &FileDirParams) -> SetFileDirParms {
        let bitmap = match params {
            FileDirParams::File(p) => p.bitmap().bits(),
            FileDirParams::Dir(p) => p.bitmap().bits(),
        };
        SetFileDirParms {
            volume_id,
            dir_id,
            bitmap,
            path,
            params: record(|d| params.encode(d)),
        }
    }

    /// Decodes the record as file parameters (the path named a file).
    pub fn decode_file_params(&self, version: AfpVersion) -> Result<FileParams, DecodeError> {
        FileParams::decode(
            FileBitmap::from_bits_retain(self.bitmap),
            &self.params,
            version,
        )
    }

    /// Decodes the record as directory parameters (the path named a directory).
    pub fn decode_dir_params(&self, version: AfpVersion) -> Result<DirParams, DecodeError> {
        DirParams::decode(
            DirBitmap::from_bits_retain(self.bitmap),
            &self.params,
            version,
        )
    }

    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let (volume_id, dir_id, bitmap, path, params) = decode_set(r)?;
        Ok(SetFileDirParms {
            volume_id,
            dir_id,
            bitmap,
            path,
            params,
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        encode_set(
            w,
            self.volume_id,
            self.dir_id,
            self.bitmap,
            &self.path,
            &self.params,
        );
    }
}
request_type!(SetFileDirParms, SET_FILE_DIR_PARMS);

/// Declares a `pad, vid, did, path` request.
macro_rules! vol_dir_path_request {
    ($(#[$doc:meta])* $ty:ident, $code:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $ty {
            /// Volume ID.
            pub volume_id: u16,
            /// Directory ID.
            pub dir_id: u32,
            /// Path of the object.
            pub path: Path,
        }

        impl $ty {
            pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
                pad(r)?;
                Ok($ty {
                    volume_id: r.u16("volume ID")?,
                    dir_id: r.u32("directory ID")?,
                    path: Path::read(r)?,
                })
            }

            pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
                w.u8(0);
                w.u16(self.volume_id);
                w.u32(self.dir_id);
                self.path.write(w);
            }
        }
        request_type!($ty, $code);
    };
}
pub(super) use vol_dir_path_request;

vol_dir_path_request!(
    /// FPCreateDir (6); the reply is the new directory ID ([`super::Reply::CreateDir`]).
    #[doc(alias = "FPCreateDir")]
    CreateDir,
    CREATE_DIR
);
vol_dir_path_request!(
    /// FPDelete (8): delete a file or an empty directory.
    #[doc(alias = "FPDelete")]
    Delete,
    DELETE
);
vol_dir_path_request!(
    /// FPOpenDir (25); the reply is the directory ID ([`super::Reply::OpenDir`]).
    #[doc(alias = "FPOpenDir")]
    OpenDir,
    OPEN_DIR
);

/// FPRename (28): rename within the same directory.
#[doc(alias = "FPRename")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rename {
    /// Volume ID.
    pub volume_id: u16,
    /// Directory ID.
    pub dir_id: u32,
    /// Path of the object.
    pub path: Path,
    /// The new name (path type + name).
    pub new_name: Path,
}

impl Rename {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        pad(r)?;
        Ok(Rename {
            volume_id: r.u16("volume ID")?,
            dir_id: r.u32("directory ID")?,
            path: Path::read(r)?,
            new_name: Path::read(r)?,
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.u16(self.volume_id);
        w.u32(self.dir_id);
        self.path.write(w);
        self.new_name.write(w);
    }
}
request_type!(Rename, RENAME);

/// FPMoveAndRename (23).
#[doc(alias = "FPMoveAndRename")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveAndRename {
    /// Volume ID.
    pub volume_id: u16,
    /// Source directory ID.
    pub src_dir_id: u32,
    /// Destination directory ID.
    pub dst_dir_id: u32,
    /// Path of the object to move.
    pub src_path: Path,
    /// Path of the destination directory.
    pub dst_path: Path,
    /// New name (empty = keep the name).
    pub new_name: Path,
}

impl MoveAndRename {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        pad(r)?;
        Ok(MoveAndRename {
            volume_id: r.u16("volume ID")?,
            src_dir_id: r.u32("source directory ID")?,
            dst_dir_id: r.u32("destination directory ID")?,
            src_path: Path::read(r)?,
            dst_path: Path::read(r)?,
            new_name: Path::read(r)?,
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.u16(self.volume_id);
        w.u32(self.src_dir_id);
        w.u32(self.dst_dir_id);
        self.src_path.write(w);
        self.dst_path.write(w);
        self.new_name.write(w);
    }
}
request_type!(MoveAndRename, MOVE_AND_RENAME);

/// Declares a `pad, vid, did` request.
macro_rules! vol_dir_request {
    ($(#[$doc:meta])* $ty:ident, $code:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $ty {
            /// Volume ID.
            pub volume_id: u16,
            /// Directory ID.
            pub dir_id: u32,
        }

        impl $ty {
            pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
                pad(r)?;
                Ok($ty {
                    volume_id: r.u16("volume ID")?,
                    dir_id: r.u32("directory ID")?,
                })
            }

            pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
                w.u8(0);
                w.u16(self.volume_id);
                w.u32(self.dir_id);
            }
        }
        request_type!($ty, $code);
    };
}

vol_dir_request!(
    /// FPCloseDir (3): a no-op on fixed-DID volumes.
    #[doc(alias = "FPCloseDir")]
    CloseDir,
    CLOSE_DIR
);
vol_dir_request!(
    /// FPSyncDir (78): commit a directory's metadata to stable storage (Time Machine).
    #[doc(alias = "FPSyncDir")]
    SyncDir,
    SYNC_DIR
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::FileAttributes;
    use crate::path::AfpName;

    #[test]
    fn get_file_dir_parms_reply_with_name_offsets() {
        // A file reply with LongName and UTF-8 name: offsets count from byte 6.
        let params = FileParams {
            attributes: Some(FileAttributes::empty()),
            parent_id: Some(2),
            long_name: Some(Bytes::from_static(b"a.txt")),
            node_id: Some(17),
            utf8_name: Some(AfpName::new(Bytes::from_static(b"a.txt"))),
            ..FileParams::default()
        };
        let reply = FileDirParmsReply {
            file_bitmap: FileBitmap::empty(),
            dir_bitmap: DirBitmap::from_bits_retain(0x2143),
            params: FileDirParams::File(params),
        };
        let mut dst = BytesMut::new();
        reply.encode(&mut dst);
        #[rustfmt::skip]
        let want: &[u8] = &[
            0x21, 0x43, 0x21, 0x43, 0x00, 0x00, // bitmaps, FileDir = file, pad
            0x00, 0x00,                         // attributes
            0x00, 0x00, 0x00, 0x02,             // parent ID
            0x00, 0x12,                         // long name at 18 (from byte 6)
            0x00, 0x00, 0x00, 0x11,             // node ID
            0x00, 0x18, 0x00, 0x00, 0x00, 0x00, // UTF-8 name at 24, 4 reserved bytes
            0x05, b'a', b'.', b't', b'x', b't', // long name
            0x00, 0x00, 0x00, 0x00, 0x00, 0x05, b'a', b'.', b't', b'x', b't',
        ];
        assert_eq!(&dst[..], want);
        let d = FileDirParmsReply::decode(&dst.freeze(), AfpVersion::V3_4).unwrap();
        assert_eq!(d.params, reply.params);
        assert_eq!(d.file_bitmap.bits(), 0x2143);
    }

    #[test]
    fn set_file_parms_pads_after_path() {
        let p = FileParams {
            attributes: Some(FileAttributes::SET_CLEAR | FileAttributes::INVISIBLE),
            ..FileParams::default()
        };
        let s = SetFileParms::new(1, 2, Path::long(Bytes::from_static(b"ab")), &p);
        let mut dst = BytesMut::new();
        s.encode(&mut dst);
        // 10 bytes header, path 02 02 'a' 'b' ends at 14 (even): no pad.
        assert_eq!(
            &dst[..],
            &[30, 0, 0, 1, 0, 0, 0, 2, 0, 1, 2, 2, b'a', b'b', 0x80, 0x01]
        );
        let s = SetFileParms::new(1, 2, Path::long(Bytes::from_static(b"a")), &p);
        let mut dst = BytesMut::new();
        s.encode(&mut dst);
        assert_eq!(&dst[13..], &[0, 0x80, 0x01]);
        let d = SetFileParms::decode(&dst.freeze()).unwrap();
        assert_eq!(d.decode_params(AfpVersion::V3_4).unwrap(), p);
    }
}
