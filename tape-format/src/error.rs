//! Codec errors (small and `Copy`, as `STYLE.md` asks) and the positioned error that the
//! state machines report.

use crate::device::DeviceError;

/// A text or record codec found malformed input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The block does not start with an Amanda header (`AMANDA:` or `NETDUMP:`).
    #[error("not an Amanda header")]
    NotAmanda,
    /// The block does not contain an afbackup label.
    #[error("not an afbackup label")]
    NotAfbackupLabel,
    /// A required field is missing.
    #[error("missing {0}")]
    Missing(&'static str),
    /// A field is present but malformed.
    #[error("malformed {0}")]
    BadField(&'static str),
    /// A number does not parse or is out of range.
    #[error("bad number in {0}")]
    BadNumber(&'static str),
    /// A quoted string is not terminated or has a bad escape.
    #[error("bad quoting in {0}")]
    BadQuoting(&'static str),
    /// The text is not UTF-8.
    #[error("text is not UTF-8")]
    NotUtf8,
    /// A binary record is cut short.
    #[error("truncated {0}")]
    Truncated(&'static str),
}

/// A value cannot be encoded because it breaks a format rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// A field's value is not allowed (empty, contains a space or newline, wrong shape).
    #[error("invalid {0}")]
    InvalidField(&'static str),
    /// The encoded header needs more bytes than the block has.
    #[error("header needs {needed} bytes but the block has {block}")]
    TooLarge {
        /// Bytes the text needs.
        needed: usize,
        /// The block length.
        block: usize,
    },
}

/// What went wrong in a tape operation, and where: the error names the cartridge, the
/// physical tape file and the block (FORMAT.md "Errors"), so an operator can find it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cartridge {cart}, file {file}, block {block}: {kind}")]
pub struct TapeError {
    /// Cartridge number (0 when not known).
    pub cart: u32,
    /// Physical tape file.
    pub file: u32,
    /// Block within the file.
    pub block: u64,
    /// What happened.
    pub kind: TapeErrorKind,
}

/// The kinds of [`TapeError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TapeErrorKind {
    /// The device failed.
    #[error("{0}")]
    Device(#[from] DeviceError),
    /// A header or label did not decode.
    #[error("{0}")]
    Decode(#[from] DecodeError),
    /// A header could not be encoded.
    #[error("{0}")]
    Encode(#[from] EncodeError),
    /// The cartridge carries no label.
    #[error("cartridge has no label")]
    Unlabelled,
    /// The cartridge carries a different label than expected.
    #[error("wrong label: cartridge number {found} found")]
    WrongLabel {
        /// The cartridge number the label names (0 for a foreign label).
        found: u32,
    },
    /// The cartridge is write-protected.
    #[error("cartridge is write-protected")]
    WriteProtected,
    /// No writable cartridge is left for spanning.
    #[error("no writable cartridge left")]
    NoWritableCartridge,
    /// The configured block size cannot be used for this layout.
    #[error("block size {0} does not fit (Amanda layout needs a multiple of 1024, at least 32768)")]
    BadBlockSize(u32),
    /// No candidate block size could read the tape.
    #[error("no block size could read the tape")]
    BlockSizeUnknown,
    /// The data found is not the continuation of the stream being read.
    #[error("chain broken: expected part {expected_part} of stream {stream:#x}")]
    ChainBroken {
        /// The stream being read.
        stream: u64,
        /// The part that should have come next.
        expected_part: i32,
    },
    /// The file does not hold a dump of ours (no `X-TF-STREAM` line).
    #[error("not one of our dump files")]
    NotOurDump,
}

impl TapeError {
    /// An error at a known place.
    pub fn at(cart: u32, file: u32, block: u64, kind: impl Into<TapeErrorKind>) -> Self {
        TapeError {
            cart,
            file,
            block,
            kind: kind.into(),
        }
    }
}
