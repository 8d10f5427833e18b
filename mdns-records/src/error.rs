//! Error types: [`DecodeError`] for bytes from the wire, [`NameError`] and [`TxtError`]
//! for values built by the caller.

use thiserror::Error;

/// Why a DNS message could not be decoded.
///
/// A datagram is always complete, so running out of bytes is an error here
/// ([`DecodeError::Truncated`]), not a "need more" signal.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// The message ended inside the named part (header, name, question, record, rdata).
    #[error("message truncated inside {0}")]
    Truncated(&'static str),
    /// A label length byte whose top two bits are `01` or `10` (RFC 1035 §4.1.4 reserves
    /// them; RFC 6891 §5 deprecated `01`). Any length above 63 has such bits.
    #[error("reserved label type or label longer than 63 bytes (length byte {0:#04x})")]
    BadLabelType(u8),
    /// A compression pointer pointing at or past its own position.
    #[error("compression pointer at offset {at} points forward to {target}")]
    ForwardPointer {
        /// Offset of the pointer.
        at: u16,
        /// Offset it points to.
        target: u16,
    },
    /// A compression pointer pointing back into the name it is part of, which would loop.
    #[error("compression pointer at offset {at} loops back to {target}")]
    PointerLoop {
        /// Offset of the pointer.
        at: u16,
        /// Offset it points to.
        target: u16,
    },
    /// A name longer than 255 bytes in uncompressed wire form.
    #[error("domain name longer than 255 bytes")]
    NameTooLong,
    /// RDLENGTH does not fit the record type's fixed layout (e.g. an A record that is not
    /// 4 bytes).
    #[error("rdata of type {rtype} has invalid length {len}")]
    BadRdataLength {
        /// Record type code.
        rtype: u16,
        /// The RDLENGTH found.
        len: u16,
    },
    /// A name or field inside the rdata runs past RDLENGTH.
    #[error("rdata of type {0} runs past its RDLENGTH")]
    RdataOverrun(u16),
    /// A TXT `<character-string>` whose length byte runs past RDLENGTH.
    #[error("TXT string runs past the end of its rdata")]
    TxtOverrun,
    /// An NSEC type bitmap that breaks RFC 4034 §4.1.2 (window order, length 1..32, no
    /// trailing zero octets).
    #[error("malformed NSEC type bitmap")]
    BadTypeBitmap,
    /// An OPT record whose owner name is not the root (RFC 6891 §6.1.2).
    #[error("OPT record owner is not the root name")]
    OptOwnerNotRoot,
    /// Bytes left over after the last section.
    #[error("{0} bytes after the last record")]
    TrailingBytes(usize),
}

/// Why a name could not be built.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum NameError {
    /// An empty label inside a name (`a..b`).
    #[error("empty label")]
    EmptyLabel,
    /// A label longer than 63 bytes.
    #[error("label of {0} bytes is longer than 63")]
    LabelTooLong(usize),
    /// A name longer than 255 bytes in wire form.
    #[error("name of {0} bytes is longer than 255 in wire form")]
    NameTooLong(usize),
    /// A bad `\` escape in presentation form.
    #[error("bad escape sequence")]
    BadEscape,
}

/// Why a TXT record could not be built.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum TxtError {
    /// A string longer than 255 bytes (RFC 1035 §3.3 `<character-string>`).
    #[error("TXT string of {0} bytes is longer than 255")]
    StringTooLong(usize),
    /// An empty key, or a key with `=` or bytes outside printable ASCII (RFC 6763 §6.4).
    #[error("bad TXT key")]
    BadKey,
    /// The whole rdata would exceed 65535 bytes.
    #[error("TXT rdata too long")]
    TooLong,
}
