//! File ID calls (spec §5.6): FPCreateID, FPDeleteID, FPResolveID.
//!
//! ```text
//! FPCreateID  39 | pad | vid | did | path              reply: u32 file ID (also with kFPIDExists)
//! FPDeleteID  40 | pad | vid | u32 file ID
//! FPResolveID 41 | pad | vid | u32 file ID | u16 bitmap reply: u16 bitmap + file parameters
//! ```

use bytes::{Bytes, BytesMut};

use super::directory::vol_dir_path_request;
use super::{CommandCode, Request, pad};
use crate::error::DecodeError;
use crate::params::FileBitmap;
use crate::path::Path;
use crate::wire::{Reader, Writer};

vol_dir_path_request!(
    /// FPCreateID (39); the reply is the file ID ([`super::Reply::CreateId`]).
    #[doc(alias = "FPCreateID")]
    CreateId,
    CREATE_ID
);

/// FPDeleteID (40).
#[doc(alias = "FPDeleteID")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeleteId {
    /// Volume ID.
    pub volume_id: u16,
    /// File ID.
    pub file_id: u32,
}

impl DeleteId {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        pad(r)?;
        Ok(DeleteId {
            volume_id: r.u16("volume ID")?,
            file_id: r.u32("file ID")?,
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.u16(self.volume_id);
        w.u32(self.file_id);
    }
}
request_type!(DeleteId, DELETE_ID);

/// FPResolveID (41); the reply is `u16 bitmap` + file parameters
/// ([`super::Reply::ResolveId`]).
#[doc(alias = "FPResolveID")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolveId {
    /// Volume ID.
    pub volume_id: u16,
    /// File ID.
    pub file_id: u32,
    /// Parameters wanted (unknown bits kept).
    pub bitmap: FileBitmap,
}

impl ResolveId {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        pad(r)?;
        Ok(ResolveId {
            volume_id: r.u16("volume ID")?,
            file_id: r.u32("file ID")?,
            bitmap: FileBitmap::from_bits_retain(r.u16("file bitmap")?),
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.u16(self.volume_id);
        w.u32(self.file_id);
        w.u16(self.bitmap.bits());
    }
}
request_type!(ResolveId, RESOLVE_ID);
