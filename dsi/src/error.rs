//! Error types: [`DecodeError`] for bytes that are not valid DSI, and
//! [`SessionError`] for valid frames that break the session rules
//! (spec `afp-dsi.md` §1, §2.8).
//!
//! Both are small `Copy` values. A server answers any error returned from
//! `handle_input`/`handle_frame` by closing that one connection; errors from
//! the app-facing methods (`reply`, `send_*`) leave the session usable.

use crate::header::{Command, Flags};

/// The byte stream is not valid DSI; the only safe reaction is to close the
/// connection, since framing is lost.
///
/// "Need more bytes" is never an error: the decoder returns `Ok(None)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Header flags other than 0 (request) or 1 (reply).
    #[error("unknown DSI flags {0:#04x}")]
    UnknownFlags(u8),
    /// `totalDataLength` above the configured maximum for a message.
    #[error("DSI message of {len} bytes exceeds the limit of {max}")]
    MessageTooLong {
        /// Length from the header.
        len: u32,
        /// Configured maximum.
        max: u32,
    },
    /// A DSIWrite whose `writeOffset` is larger than `totalDataLength`.
    #[error("DSIWrite offset {offset} is past the message length {len}")]
    WriteOffsetPastEnd {
        /// The write offset from the header.
        offset: u32,
        /// `totalDataLength` from the header.
        len: u32,
    },
    /// A DSIWrite whose AFP command part is longer than configured.
    #[error("DSIWrite command block of {len} bytes exceeds the limit of {max}")]
    WriteCommandTooLong {
        /// The write offset from the header.
        len: u32,
        /// Configured maximum.
        max: u32,
    },
    /// A DSIWrite whose data part is larger than configured (the quantum).
    #[error("DSIWrite data of {len} bytes exceeds the limit of {max}")]
    WriteDataTooLong {
        /// Data length from the header.
        len: u32,
        /// Configured maximum.
        max: u32,
    },
    /// An OpenSession option whose length byte runs past the payload
    /// (the bug behind CVE-2018-1160 in netatalk).
    #[error("DSIOpenSession option {option:#04x} of length {len} runs past the payload")]
    OptionPastEnd {
        /// Option type.
        option: u8,
        /// Length byte.
        len: u8,
    },
    /// A known OpenSession option with a length other than 4.
    #[error("DSIOpenSession option {option:#04x} has length {len}, expected 4")]
    BadOptionLength {
        /// Option type.
        option: u8,
        /// Length byte.
        len: u8,
    },
    /// A single byte left over after the OpenSession options.
    #[error("DSIOpenSession options end with a stray byte")]
    TrailingOptionByte,
    /// A payload too short for what the command needs.
    #[error("DSI payload too short: {0}")]
    Truncated(&'static str),
}

/// A frame or an app call that breaks the DSI session rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The bytes could not be framed or parsed.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A command code that DSI does not define (0, 7, 9..=255).
    #[error("unknown DSI command {0}")]
    UnknownCommand(u8),
    /// A known command that is not allowed here (wrong direction or state).
    #[error("unexpected {} {flags:?} while {state}", command.name())]
    Unexpected {
        /// The command received or attempted.
        command: Command,
        /// Request or reply.
        flags: Flags,
        /// The session state, for the log.
        state: &'static str,
    },
    /// A reply to a request ID that has no outstanding request.
    #[error("reply to unknown request ID {0}")]
    UnknownRequest(u16),
    /// A reply whose DSI command differs from its request's.
    #[error("reply to request {request_id} has command {got}, the request was {expected}", got = .got.name(), expected = .expected.name())]
    ReplyMismatch {
        /// Request ID.
        request_id: u16,
        /// Command of the request.
        expected: Command,
        /// Command of the reply.
        got: Command,
    },
    /// A request ID that is already outstanding.
    #[error("request ID {0} is already outstanding")]
    DuplicateRequest(u16),
    /// The client would exceed its limit of outstanding requests.
    #[error("too many outstanding requests ({0})")]
    TooManyOutstanding(usize),
    /// A DSICommand or DSIWrite without an AFP command byte.
    #[error("empty AFP request")]
    EmptyRequest,
    /// The write data exceeds the server request quantum.
    #[error("write data of {len} bytes exceeds the server quantum {max}")]
    WriteTooLong {
        /// Data length.
        len: usize,
        /// Server request quantum.
        max: u32,
    },
    /// A payload that does not fit the 32-bit length field.
    #[error("payload of {0} bytes does not fit in a DSI message")]
    PayloadTooLong(usize),
    /// The session is asleep (no attentions may be sent).
    #[error("the session is asleep")]
    Asleep,
    /// The operation needs an open session.
    #[error("the DSI session is not open")]
    NotOpen,
    /// The session has been closed.
    #[error("the DSI session is closed")]
    Closed,
}
