//! File calls (spec §5.5): FPCreateFile, FPCopyFile, FPExchangeFiles.
//!
//! ```text
//! FPCreateFile     7 | u8 flag (0x80 = hard create) | vid | did | path
//! FPCopyFile       5 | pad | src vid | src did | dst vid | dst did | src path | dst dir path | new name
//! FPExchangeFiles 42 | pad | vid | src did | dst did | src path | dst path
//! ```
//!
//! FPSetFileParms lives with the other set calls in the directory module.

use bytes::{Bytes, BytesMut};

use super::{CommandCode, Request, pad};
use crate::error::DecodeError;
use crate::path::Path;
use crate::wire::{Reader, Writer};

/// FPCreateFile (7).
#[doc(alias = "FPCreateFile")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateFile {
    /// Hard create (flag 0x80): replace an existing file. Soft create fails with
    /// kFPObjectExists.
    pub hard_create: bool,
    /// Volume ID.
    pub volume_id: u16,
    /// Directory ID.
    pub dir_id: u32,
    /// Path of the new file.
    pub path: Path,
}

impl CreateFile {
    /// The hard-create flag bit.
    pub const HARD_CREATE: u8 = 0x80;

    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(CreateFile {
            hard_create: r.u8("create flag")? & Self::HARD_CREATE != 0,
            volume_id: r.u16("volume ID")?,
            dir_id: r.u32("directory ID")?,
            path: Path::read(r)?,
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(if self.hard_create {
            Self::HARD_CREATE
        } else {
            0
        });
        w.u16(self.volume_id);
        w.u32(self.dir_id);
        self.path.write(w);
    }
}
request_type!(CreateFile, CREATE_FILE);

/// FPCopyFile (5): server-side copy.
#[doc(alias = "FPCopyFile")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyFile {
    /// Source volume ID.
    pub src_volume_id: u16,
    /// Source directory ID.
    pub src_dir_id: u32,
    /// Destination volume ID.
    pub dst_volume_id: u16,
    /// Destination directory ID.
    pub dst_dir_id: u32,
    /// Path of the source file.
    pub src_path: Path,
    /// Path of the destination directory.
    pub dst_path: Path,
    /// New name (empty = keep the name).
    pub new_name: Path,
}

impl CopyFile {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        pad(r)?;
        Ok(CopyFile {
            src_volume_id: r.u16("source volume ID")?,
            src_dir_id: r.u32("source directory ID")?,
            dst_volume_id: r.u16("destination volume ID")?,
            dst_dir_id: r.u32("destination directory ID")?,
            src_path: Path::read(r)?,
            dst_path: Path::read(r)?,
            new_name: Path::read(r)?,
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.u16(self.src_volume_id);
        w.u32(self.src_dir_id);
        w.u16(self.dst_volume_id);
        w.u32(self.dst_dir_id);
        self.src_path.write(w);
        self.dst_path.write(w);
        self.new_name.write(w);
    }
}
request_type!(CopyFile, COPY_FILE);

/// FPExchangeFiles (42): swap the contents of two files (spec §5.5).
#[doc(alias = "FPExchangeFiles")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeFiles {
    /// Volume ID.
    pub volume_id: u16,
    /// Source directory ID.
    pub src_dir_id: u32,
    /// Destination directory ID.
    pub dst_dir_id: u32,
    /// Path of the source file.
    pub src_path: Path,
    /// Path of the destination file.
    pub dst_path: Path,
}

impl ExchangeFiles {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        pad(r)?;
        Ok(ExchangeFiles {
            volume_id: r.u16("volume ID")?,
            src_dir_id: r.u32("source directory ID")?,
            dst_dir_id: r.u32("destination directory ID")?,
            src_path: Path::read(r)?,
            dst_path: Path::read(r)?,
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.u16(self.volume_id);
        w.u32(self.src_dir_id);
        w.u32(self.dst_dir_id);
        self.src_path.write(w);
        self.dst_path.write(w);
    }
}
request_type!(ExchangeFiles, EXCHANGE_FILES);
