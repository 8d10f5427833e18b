//! Fork calls (spec §5.8, §8): FPOpenFork, FPCloseFork, FPFlushFork, FPSyncFork,
//! FPGetForkParms, FPSetForkParms, FPRead, FPReadExt, FPWrite, FPWriteExt,
//! FPByteRangeLock, FPByteRangeLockExt.
//!
//! ```text
//! FPOpenFork        26 | u8 flag (0x80 = resource) | vid | did | u16 bitmap | u16 access | path
//!   reply: u16 bitmap | u16 fork ref | file parameters (also with kFPDenyConflict, ref 0)
//! FPCloseFork        4 | pad | u16 ref        (FPFlushFork 11, FPSyncFork 79: same)
//! FPGetForkParms    14 | pad | u16 ref | u16 bitmap      reply: u16 bitmap + parameters
//! FPSetForkParms    31 | pad | u16 ref | u16 bitmap | u32 (bits 9/10) or u64 (bits 11/14)
//! FPRead            27 | pad | u16 ref | i32 offset | i32 count | u8 NL mask | u8 NL char
//! FPReadExt         60 | pad | u16 ref | i64 offset | i64 count          reply: the data
//! FPWrite           33 | u8 flag | u16 ref | i32 offset | i32 count      (12-byte header)
//! FPWriteExt        61 | u8 flag | u16 ref | i64 offset | i64 count      (20-byte header)
//!   reply: u32 / u64 LastWritten
//! FPByteRangeLock    1 | u8 flags | u16 ref | i32 offset | i32 length   reply: u32 RangeStart
//! FPByteRangeLockExt 59 | u8 flags | u16 ref | i64 offset | i64 length  reply: u64 RangeStart
//! ```

use bitflags::bitflags;
use bytes::{Bytes, BytesMut};

use super::directory::record;
use super::{CommandCode, Request, pad};
use crate::error::DecodeError;
use crate::params::{FileBitmap, FileParams};
use crate::path::Path;
use crate::version::AfpVersion;
use crate::wire::{Reader, Writer};

bitflags! {
    /// FPOpenFork access mode (spec §8.2).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct AccessMode: u16 {
        /// Open for reading.
        const READ = 0x0001;
        /// Open for writing.
        const WRITE = 0x0002;
        /// Deny others reading.
        const DENY_READ = 0x0010;
        /// Deny others writing.
        const DENY_WRITE = 0x0020;
    }

    /// FPByteRangeLock(Ext) flags (spec §5.8).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct LockFlags: u8 {
        /// Unlock (0 = lock).
        const UNLOCK = 0x01;
        /// Offset is relative to the end of the fork (locking only).
        const START_END = 0x80;
    }
}

/// FPOpenFork (26).
#[doc(alias = "FPOpenFork")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenFork {
    /// Open the resource fork (flag 0x80) instead of the data fork.
    pub resource: bool,
    /// Volume ID.
    pub volume_id: u16,
    /// Directory ID.
    pub dir_id: u32,
    /// File parameters wanted (may be empty; unknown bits kept).
    pub bitmap: FileBitmap,
    /// Access and deny modes (unknown bits kept).
    pub access_mode: AccessMode,
    /// Path of the file.
    pub path: Path,
}

impl OpenFork {
    /// The resource-fork flag bit.
    pub const RESOURCE_FORK: u8 = 0x80;

    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(OpenFork {
            resource: r.u8("fork flag")? & Self::RESOURCE_FORK != 0,
            volume_id: r.u16("volume ID")?,
            dir_id: r.u32("directory ID")?,
            bitmap: FileBitmap::from_bits_retain(r.u16("file bitmap")?),
            access_mode: AccessMode::from_bits_retain(r.u16("access mode")?),
            path: Path::read(r)?,
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(if self.resource {
            Self::RESOURCE_FORK
        } else {
            0
        });
        w.u16(self.volume_id);
        w.u32(self.dir_id);
        w.u16(self.bitmap.bits());
        w.u16(self.access_mode.bits());
        self.path.write(w);
    }
}
request_type!(OpenFork, OPEN_FORK);

/// FPOpenFork reply: u16 bitmap (of `params`), u16 fork reference, file parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenForkReply {
    /// OForkRefNum; 0 with kFPDenyConflict.
    pub fork: u16,
    /// The file parameters asked for.
    pub params: FileParams,
}

impl OpenForkReply {
    /// Decodes the reply block (parameter offsets count from byte 4).
    pub fn decode(body: &Bytes, version: AfpVersion) -> Result<OpenForkReply, DecodeError> {
        let mut r = Reader::new(body);
        let bitmap = FileBitmap::from_bits_retain(r.u16("file bitmap")?);
        let fork = r.u16("fork reference")?;
        let params = FileParams::decode(bitmap, &r.rest(), version)?;
        Ok(OpenForkReply { fork, params })
    }

    /// Appends the reply block to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        self.write(&mut Writer::new(dst));
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) {
        w.u16(self.params.bitmap().bits());
        w.u16(self.fork);
        self.params.write(&mut w.nested());
    }
}

/// Declares a `pad, u16 ref` request.
macro_rules! fork_request {
    ($(#[$doc:meta])* $ty:ident, $code:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $ty {
            /// Open fork reference.
            pub fork: u16,
        }

        impl $ty {
            pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
                pad(r)?;
                Ok($ty { fork: r.u16("fork reference")? })
            }

            pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
                w.u8(0);
                w.u16(self.fork);
            }
        }
        request_type!($ty, $code);
    };
}

fork_request!(
    /// FPCloseFork (4): close a fork and release its byte-range locks.
    #[doc(alias = "FPCloseFork")]
    CloseFork,
    CLOSE_FORK
);
fork_request!(
    /// FPFlushFork (11).
    #[doc(alias = "FPFlushFork")]
    FlushFork,
    FLUSH_FORK
);
fork_request!(
    /// FPSyncFork (79): commit fork data and metadata to stable storage (Time Machine).
    #[doc(alias = "FPSyncFork")]
    SyncFork,
    SYNC_FORK
);

/// FPGetForkParms (14); the reply is `u16 bitmap` + file parameters
/// ([`super::Reply::GetForkParms`]).
#[doc(alias = "FPGetForkParms")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GetForkParms {
    /// Open fork reference.
    pub fork: u16,
    /// Parameters wanted (unknown bits kept).
    pub bitmap: FileBitmap,
}

impl GetForkParms {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        pad(r)?;
        Ok(GetForkParms {
            fork: r.u16("fork reference")?,
            bitmap: FileBitmap::from_bits_retain(r.u16("file bitmap")?),
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.u16(self.fork);
        w.u16(self.bitmap.bits());
    }
}
request_type!(GetForkParms, GET_FORK_PARMS);

/// FPSetForkParms (31): set the open fork's length (exactly one length bit).
///
/// The record stays raw until [`SetForkParms::decode_params`], so a server checks the fork
/// and its access mode first, as netatalk does.
#[doc(alias = "FPSetForkParms")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetForkParms {
    /// Open fork reference.
    pub fork: u16,
    /// Bitmap as sent.
    pub bitmap: FileBitmap,
    /// The parameter record as sent.
    pub params: Bytes,
}

impl SetForkParms {
    /// A request setting `params` (one of the four fork lengths).
    pub fn new(fork: u16, params: &FileParams) -> SetForkParms {
        SetForkParms {
            fork,
            bitmap: params.bitmap(),
            params: record(|d| params.encode(d)),
        }
    }

    /// Decodes the record per the bitmap and the session version.
    pub fn decode_params(&self, version: AfpVersion) -> Result<FileParams, DecodeError> {
        FileParams::decode(self.bitmap, &self.params, version)
    }

    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        pad(r)?;
        Ok(SetForkParms {
            fork: r.u16("fork reference")?,
            bitmap: FileBitmap::from_bits_retain(r.u16("file bitmap")?),
            params: r.rest(),
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.u16(self.fork);
        w.u16(self.bitmap.bits());
        w.bytes(&self.params);
    }
}
request_type!(SetForkParms, SET_FORK_PARMS);

/// FPRead (27): 32-bit read; the reply is the data ([`super::Reply::Read`]).
#[doc(alias = "FPRead")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Read {
    /// Open fork reference.
    pub fork: u16,
    /// Offset.
    pub offset: i32,
    /// Bytes wanted.
    pub count: i32,
    /// Newline mask (0 disables newline mode). Missing fields decode as 0.
    pub newline_mask: u8,
    /// Newline character.
    pub newline_char: u8,
}

impl Read {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        pad(r)?;
        let fork = r.u16("fork reference")?;
        let offset = r.i32("offset")?;
        let count = r.i32("request count")?;
        let newline_mask = r.u8("newline mask").unwrap_or(0);
        let newline_char = r.u8("newline char").unwrap_or(0);
        Ok(Read {
            fork,
            offset,
            count,
            newline_mask,
            newline_char,
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.u16(self.fork);
        w.i32(self.offset);
        w.i32(self.count);
        w.u8(self.newline_mask);
        w.u8(self.newline_char);
    }
}
request_type!(Read, READ);

/// FPReadExt (60): 64-bit read; the reply is the data ([`super::Reply::ReadExt`]).
#[doc(alias = "FPReadExt")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadExt {
    /// Open fork reference.
    pub fork: u16,
    /// Offset.
    pub offset: i64,
    /// Bytes wanted.
    pub count: i64,
}

impl ReadExt {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        pad(r)?;
        Ok(ReadExt {
            fork: r.u16("fork reference")?,
            offset: r.i64("offset")?,
            count: r.i64("request count")?,
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.u16(self.fork);
        w.i64(self.offset);
        w.i64(self.count);
    }
}
request_type!(ReadExt, READ_EXT);

/// FPWrite (33): the 12-byte header of a DSIWrite; the `count` data bytes follow it in the
/// DSI payload and are not part of this value.
#[doc(alias = "FPWrite")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Write {
    /// Offset is relative to the end of the fork (flag 0x80).
    pub start_end: bool,
    /// Open fork reference.
    pub fork: u16,
    /// Offset.
    pub offset: i32,
    /// Number of data bytes.
    pub count: i32,
}

impl Write {
    /// Size of the header: the DSIWrite data offset.
    pub const HEADER_LEN: usize = 12;

    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Write {
            start_end: r.u8("write flag")? & 0x80 != 0,
            fork: r.u16("fork reference")?,
            offset: r.i32("offset")?,
            count: r.i32("request count")?,
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(if self.start_end { 0x80 } else { 0 });
        w.u16(self.fork);
        w.i32(self.offset);
        w.i32(self.count);
    }
}
request_type!(Write, WRITE);

/// FPWriteExt (61): the 20-byte header of a DSIWrite; the data follows it in the DSI
/// payload and is not part of this value.
#[doc(alias = "FPWriteExt")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteExt {
    /// Offset is relative to the end of the fork (flag 0x80).
    pub start_end: bool,
    /// Open fork reference.
    pub fork: u16,
    /// Offset.
    pub offset: i64,
    /// Number of data bytes.
    pub count: i64,
}

impl WriteExt {
    /// Size of the header: the DSIWrite data offset.
    pub const HEADER_LEN: usize = 20;

    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(WriteExt {
            start_end: r.u8("write flag")? & 0x80 != 0,
            fork: r.u16("fork reference")?,
            offset: r.i64("offset")?,
            count: r.i64("request count")?,
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(if self.start_end { 0x80 } else { 0 });
        w.u16(self.fork);
        w.i64(self.offset);
        w.i64(self.count);
    }
}
request_type!(WriteExt, WRITE_EXT);

/// FPByteRangeLock (1): 32-bit lock or unlock.
#[doc(alias = "FPByteRangeLock")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRangeLock {
    /// Unlock / start-end flags (unknown bits kept).
    pub flags: LockFlags,
    /// Open fork reference.
    pub fork: u16,
    /// Offset.
    pub offset: i32,
    /// Length (-1 = to the largest possible offset).
    pub length: i32,
}

impl ByteRangeLock {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(ByteRangeLock {
            flags: LockFlags::from_bits_retain(r.u8("lock flags")?),
            fork: r.u16("fork reference")?,
            offset: r.i32("offset")?,
            length: r.i32("length")?,
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(self.flags.bits());
        w.u16(self.fork);
        w.i32(self.offset);
        w.i32(self.length);
    }
}
request_type!(ByteRangeLock, BYTE_RANGE_LOCK);

/// FPByteRangeLockExt (59): 64-bit lock or unlock.
#[doc(alias = "FPByteRangeLockExt")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRangeLockExt {
    /// Unlock / start-end flags (unknown bits kept).
    pub flags: LockFlags,
    /// Open fork reference.
    pub fork: u16,
    /// Offset.
    pub offset: i64,
    /// Length (-1 = to the largest possible offset).
    pub length: i64,
}

impl ByteRangeLockExt {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(ByteRangeLockExt {
            flags: LockFlags::from_bits_retain(r.u8("lock flags")?),
            fork: r.u16("fork reference")?,
            offset: r.i64("offset")?,
            length: r.i64("length")?,
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(self.flags.bits());
        w.u16(self.fork);
        w.i64(self.offset);
        w.i64(self.length);
    }
}
request_type!(ByteRangeLockExt, BYTE_RANGE_LOCK_EXT);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_ext_header_is_20_bytes() {
        let w = WriteExt {
            start_end: false,
            fork: 0x0102,
            offset: 0x10,
            count: 4096,
        };
        let mut dst = BytesMut::new();
        w.encode(&mut dst);
        assert_eq!(dst.len(), WriteExt::HEADER_LEN);
        assert_eq!(
            dst.len(),
            CommandCode::WRITE_EXT.write_header_len().unwrap()
        );
        assert_eq!(
            &dst[..],
            &[
                61, 0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0x10, 0
            ]
        );
        // The DSIWrite payload: header then data; decoding ignores (and never copies) the data.
        dst.extend_from_slice(&[0xAA; 4096]);
        assert_eq!(WriteExt::decode(&dst.freeze()).unwrap(), w);
    }

    #[test]
    fn write_header_is_12_bytes() {
        let w = Write {
            start_end: true,
            fork: 1,
            offset: -5,
            count: 3,
        };
        let mut dst = BytesMut::new();
        w.encode(&mut dst);
        assert_eq!(
            &dst[..],
            &[33, 0x80, 0, 1, 0xFF, 0xFF, 0xFF, 0xFB, 0, 0, 0, 3]
        );
    }
}
