//! The block-device model: what a tape drive can do, in whole blocks.
//!
//! Implements the device layer of `spec/tape-format.md` §8.1, with the outcomes of the
//! Linux `st` driver (§5.1) folded into a small set of results:
//!
//! | st driver | here |
//! |---|---|
//! | `write` crossing the early-warning mark | `Ok(WriteOutcome::EarlyWarning)`: the block **is** on tape |
//! | `write` → `ENOSPC` at end of medium | `Err(DeviceError::EndOfMedium)`: the block is **not** on tape |
//! | `read` → 0 bytes | `Ok(ReadOutcome::Filemark)`, positioned after the mark |
//! | `read` → `ENOMEM` (buffer shorter than the block) | `Err(DeviceError::BufferTooSmall)`, the block is consumed |
//! | `read` → `EIO` "Incorrect block size" (fixed mode) | `Err(DeviceError::WrongBlockSize)` |
//! | `EROFS`/`EACCES`/`GMT_WR_PROT` | `Err(DeviceError::WriteProtected)` |
//!
//! Two consecutive filemarks mean end of data on our volumes (FORMAT.md), but the device
//! reports each mark on its own; only reading past all recorded data gives
//! [`ReadOutcome::EndOfData`]. The convention is applied by the readers above this layer.

/// How the drive cuts the byte stream into blocks (`MTSETBLK`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BlockMode {
    /// Every block has exactly this many bytes (`MTSETBLK n`, n > 0).
    Fixed(u32),
    /// Each write is one block of its own length, up to `max` bytes (`MTSETBLK 0`).
    Variable {
        /// The largest block the drive accepts.
        max: u32,
    },
}

impl BlockMode {
    /// The largest block this mode can write or read.
    pub fn max_block(self) -> u32 {
        match self {
            BlockMode::Fixed(n) => n,
            BlockMode::Variable { max } => max,
        }
    }
}

/// A tape position: physical file number (0 = the label file) and block within it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Position {
    /// Physical tape file, counted from 0 at the beginning of the medium.
    pub file: u32,
    /// Block within the file, counted from 0 after the previous filemark.
    pub block: u64,
}

/// A successful block write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteOutcome {
    /// The block is on tape.
    Written,
    /// The block is on tape, and the early-warning zone has been reached: finish the file
    /// (a filemark is still allowed) and continue on the next cartridge.
    EarlyWarning,
}

/// A successful block read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadOutcome {
    /// A block of this many bytes was read into the start of the buffer.
    Block(usize),
    /// A filemark was read; the position is now at the start of the next file.
    Filemark,
    /// There is no recorded data at this position (blank tape after the last item).
    EndOfData,
}

/// Why a device operation failed. Small and `Copy`; positions are added by the callers
/// (see [`crate::TapeError`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceError {
    /// End of medium: the block was **not** written (st: `ENOSPC`).
    #[error("end of medium: the block was not written")]
    EndOfMedium,
    /// The read buffer is shorter than the block; the block has been consumed
    /// (st: `ENOMEM`). `needed` is the block length when the device knows it.
    #[error("read buffer too small for the block (block length {needed:?})")]
    BufferTooSmall {
        /// The block's length, when the device can tell.
        needed: Option<u32>,
    },
    /// The block's length does not match the fixed block size.
    #[error("block of {got} bytes does not fit the block size {expected}")]
    WrongBlockSize {
        /// The device's block size.
        expected: u32,
        /// The length that was written or found.
        got: u32,
    },
    /// The cartridge is write-protected.
    #[error("cartridge is write-protected")]
    WriteProtected,
    /// No cartridge in the drive, or the drive is not ready.
    #[error("no cartridge loaded or drive not ready")]
    NotReady,
    /// Spacing forward ran into the end of recorded data.
    #[error("end of data reached while spacing")]
    EndOfData,
    /// Spacing backward ran into the beginning of the medium.
    #[error("beginning of medium reached while spacing")]
    BeginningOfMedium,
    /// Spacing over blocks ran into a filemark; the position is past it (forward) or
    /// before it (backward).
    #[error("filemark reached while spacing over blocks")]
    FilemarkReached,
    /// A medium or driver error (st: `EIO`), with what failed.
    #[error("I/O error: {0}")]
    Io(&'static str),
}

/// A tape drive, seen block by block.
///
/// Implementations: [`crate::MemTape`] (in memory, with capacity, early warning and
/// injected faults), [`crate::simh::SimhTape`] (a SIMH `.tap` image behind a
/// [`crate::simh::ImageStore`]), and the binaries' Linux `st` and Amanda vtape devices.
pub trait TapeDevice {
    /// The current block mode.
    fn mode(&self) -> BlockMode;
    /// Change the block mode (`MTSETBLK`). Used by block-size probing.
    fn set_mode(&mut self, mode: BlockMode) -> Result<(), DeviceError>;
    /// Whether the loaded cartridge is write-protected.
    fn is_write_protected(&self) -> bool;
    /// Write one block at the current position. Everything after the position is lost,
    /// as on a real tape.
    fn write_block(&mut self, block: &[u8]) -> Result<WriteOutcome, DeviceError>;
    /// Write `n` filemarks.
    fn write_filemarks(&mut self, n: u32) -> Result<(), DeviceError>;
    /// Read the next block into `buf`.
    fn read_block(&mut self, buf: &mut [u8]) -> Result<ReadOutcome, DeviceError>;
    /// Go to the beginning of the medium.
    fn rewind(&mut self) -> Result<(), DeviceError>;
    /// Space over `n` filemarks: forward (`MTFSF`, ends at the start of the next file) or
    /// backward for negative `n` (`MTBSF`, ends just before the mark).
    fn space_files(&mut self, n: i64) -> Result<(), DeviceError>;
    /// Space over `n` blocks within a file: forward (`MTFSR`) or backward (`MTBSR`).
    fn space_blocks(&mut self, n: i64) -> Result<(), DeviceError>;
    /// Go to the end of recorded data (`MTEOM`).
    fn seek_end_of_data(&mut self) -> Result<(), DeviceError>;
    /// The current position, when known.
    fn position(&self) -> Option<Position>;
    /// Push buffered writes to the medium. Devices without a buffer do nothing.
    fn flush(&mut self) -> Result<(), DeviceError> {
        Ok(())
    }
}

impl<T: TapeDevice + ?Sized> TapeDevice for &mut T {
    fn mode(&self) -> BlockMode {
        (**self).mode()
    }
    fn set_mode(&mut self, mode: BlockMode) -> Result<(), DeviceError> {
        (**self).set_mode(mode)
    }
    fn is_write_protected(&self) -> bool {
        (**self).is_write_protected()
    }
    fn write_block(&mut self, block: &[u8]) -> Result<WriteOutcome, DeviceError> {
        (**self).write_block(block)
    }
    fn write_filemarks(&mut self, n: u32) -> Result<(), DeviceError> {
        (**self).write_filemarks(n)
    }
    fn read_block(&mut self, buf: &mut [u8]) -> Result<ReadOutcome, DeviceError> {
        (**self).read_block(buf)
    }
    fn rewind(&mut self) -> Result<(), DeviceError> {
        (**self).rewind()
    }
    fn space_files(&mut self, n: i64) -> Result<(), DeviceError> {
        (**self).space_files(n)
    }
    fn space_blocks(&mut self, n: i64) -> Result<(), DeviceError> {
        (**self).space_blocks(n)
    }
    fn seek_end_of_data(&mut self) -> Result<(), DeviceError> {
        (**self).seek_end_of_data()
    }
    fn position(&self) -> Option<Position> {
        (**self).position()
    }
    fn flush(&mut self) -> Result<(), DeviceError> {
        (**self).flush()
    }
}

impl<T: TapeDevice + ?Sized> TapeDevice for Box<T> {
    fn mode(&self) -> BlockMode {
        (**self).mode()
    }
    fn set_mode(&mut self, mode: BlockMode) -> Result<(), DeviceError> {
        (**self).set_mode(mode)
    }
    fn is_write_protected(&self) -> bool {
        (**self).is_write_protected()
    }
    fn write_block(&mut self, block: &[u8]) -> Result<WriteOutcome, DeviceError> {
        (**self).write_block(block)
    }
    fn write_filemarks(&mut self, n: u32) -> Result<(), DeviceError> {
        (**self).write_filemarks(n)
    }
    fn read_block(&mut self, buf: &mut [u8]) -> Result<ReadOutcome, DeviceError> {
        (**self).read_block(buf)
    }
    fn rewind(&mut self) -> Result<(), DeviceError> {
        (**self).rewind()
    }
    fn space_files(&mut self, n: i64) -> Result<(), DeviceError> {
        (**self).space_files(n)
    }
    fn space_blocks(&mut self, n: i64) -> Result<(), DeviceError> {
        (**self).space_blocks(n)
    }
    fn seek_end_of_data(&mut self) -> Result<(), DeviceError> {
        (**self).seek_end_of_data()
    }
    fn position(&self) -> Option<Position> {
        (**self).position()
    }
    fn flush(&mut self) -> Result<(), DeviceError> {
        (**self).flush()
    }
}

/// A set of cartridges and one drive to load them into (a changer, a vtape directory, or
/// an operator swapping tapes).
pub trait Library {
    /// The drive's device type.
    type Drive: TapeDevice;
    /// Number of cartridges, numbered from 1.
    fn cartridges(&self) -> u32;
    /// Put cartridge `cart` into the drive (a no-op when it is already there) and rewind.
    fn load(&mut self, cart: u32) -> Result<(), DeviceError>;
    /// The cartridge in the drive.
    fn loaded(&self) -> Option<u32>;
    /// The drive.
    fn drive(&mut self) -> &mut Self::Drive;
}
