//! The 16-byte DSI header and its wire codes (spec `afp-dsi.md` §1.2, §1.3, §1.9).
//!
//! Every DSI message, in both directions, is this header followed by exactly
//! `total_len` bytes. All fields are big-endian.
//!
//! ```text
//!  offset  size  field
//! +------+------+----------------------------------------------------------+
//! |   0  |  u8  | flags: 0x00 request, 0x01 reply                          |
//! |   1  |  u8  | command: DSI command code (1..=6, 8)                     |
//! |   2  |  u16 | request ID (chosen by the requester, copied by the reply) |
//! |   4  |  u32 | request: 0, or the write offset of a DSIWrite            |
//! |      |      | reply:   AFP result code, signed (0 = no error)          |
//! |   8  |  u32 | total data length: bytes after the header                |
//! |  12  |  u32 | reserved (0; netatalk echoes the request's value)        |
//! +------+------+----------------------------------------------------------+
//!  0    1    2    3    4    5    6    7    8    9   10   11   12   13   14   15
//! [fl] [cm] [ request ] [  code / write offset ] [   total length   ] [ reserved ]
//! ```

use bytes::{Buf, BufMut};

use crate::error::DecodeError;

/// Length of the DSI header in bytes.
pub const HEADER_LEN: usize = 16;

// Field offsets inside the header, each derived from the one before it.
const FLAGS_OFF: usize = 0;
const COMMAND_OFF: usize = FLAGS_OFF + 1;
const REQUEST_ID_OFF: usize = COMMAND_OFF + 1;
const CODE_OFF: usize = REQUEST_ID_OFF + 2;
const TOTAL_LEN_OFF: usize = CODE_OFF + 4;
const RESERVED_OFF: usize = TOTAL_LEN_OFF + 4;
const _: () = assert!(RESERVED_OFF + 4 == HEADER_LEN);

/// Whether a message is a request or a reply (header offset 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Flags {
    /// `0x00`: a request (also tickles, attentions and close notices).
    Request,
    /// `0x01`: a reply to a request with the same request ID.
    Reply,
}

impl Flags {
    /// The wire byte.
    pub const fn to_u8(self) -> u8 {
        match self {
            Self::Request => 0,
            Self::Reply => 1,
        }
    }

    /// Parses the wire byte; anything but 0 or 1 is corrupt.
    pub const fn from_u8(b: u8) -> Result<Self, DecodeError> {
        match b {
            0 => Ok(Self::Request),
            1 => Ok(Self::Reply),
            other => Err(DecodeError::UnknownFlags(other)),
        }
    }
}

/// A DSI command code (header offset 1), as an open newtype.
///
/// The frame decoder accepts any value; the session rejects codes it does not
/// know (netatalk drops the connection on command 0 or unknown codes, since
/// such a header means the stream is out of step).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Command(pub u8);

impl Command {
    /// DSICloseSession: either side ends the session; no reply.
    #[doc(alias = "DSICloseSession")]
    pub const CLOSE_SESSION: Self = Self(1);
    /// DSICommand: one AFP request (client) or its reply (server).
    #[doc(alias = "DSICommand")]
    pub const COMMAND: Self = Self(2);
    /// DSIGetStatus: the server status block, before any session.
    #[doc(alias = "DSIGetStatus")]
    pub const GET_STATUS: Self = Self(3);
    /// DSIOpenSession: opens the session and exchanges options.
    #[doc(alias = "DSIOpenSession")]
    pub const OPEN_SESSION: Self = Self(4);
    /// DSITickle: keep-alive sent by either side; no reply.
    #[doc(alias = "DSITickle")]
    pub const TICKLE: Self = Self(5);
    /// DSIWrite: an AFP write request followed by its data.
    #[doc(alias = "DSIWrite")]
    pub const WRITE: Self = Self(6);
    /// DSIAttention: server to client, two AFPUserBytes.
    #[doc(alias = "DSIAttention")]
    pub const ATTENTION: Self = Self(8);

    /// The commands this crate knows (code 7 was never assigned).
    pub const ALL: [Self; 7] = [
        Self::CLOSE_SESSION,
        Self::COMMAND,
        Self::GET_STATUS,
        Self::OPEN_SESSION,
        Self::TICKLE,
        Self::WRITE,
        Self::ATTENTION,
    ];

    /// Whether this is one of the seven assigned DSI commands.
    pub const fn is_known(self) -> bool {
        matches!(self.0, 1..=6 | 8)
    }

    /// The spec name (`"DSICommand"`), or `"unknown"`.
    pub const fn name(self) -> &'static str {
        match self.0 {
            1 => "DSICloseSession",
            2 => "DSICommand",
            3 => "DSIGetStatus",
            4 => "DSIOpenSession",
            5 => "DSITickle",
            6 => "DSIWrite",
            8 => "DSIAttention",
            _ => "unknown",
        }
    }
}

/// DSI-level result codes, sent in the code field of a DSIOpenSession reply
/// (spec §1.9). They are the ASP result codes; this crate sends them
/// sign-extended (`-1071` is `0xFFFF_FBD1`), which is how Apple documents them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ErrorCode(pub i32);

impl ErrorCode {
    /// `DSIERR_BADVERS`.
    pub const BAD_VERSION: Self = Self(-1066);
    /// `DSIERR_BUFSMALL`.
    pub const BUFFER_TOO_SMALL: Self = Self(-1067);
    /// `DSIERR_NOSESS` (kFPNoMoreSessions).
    pub const NO_MORE_SESSIONS: Self = Self(-1068);
    /// `DSIERR_NOSERV`.
    pub const NO_SERVERS: Self = Self(-1069);
    /// `DSIERR_PARM`.
    pub const PARAMETER: Self = Self(-1070);
    /// `DSIERR_SERVBUSY`: netatalk's answer when it cannot take the session.
    pub const SERVER_BUSY: Self = Self(-1071);
    /// `DSIERR_SESSCLOS` (kASPSessClosed).
    pub const SESSION_CLOSED: Self = Self(-1072);
    /// `DSIERR_SIZERR`.
    pub const SIZE_ERROR: Self = Self(-1073);
    /// `DSIERR_TOOMANY`.
    pub const TOO_MANY: Self = Self(-1074);
    /// `DSIERR_NOACK`.
    pub const NO_ACK: Self = Self(-1075);
}

/// The 16-byte DSI header, field by field.
///
/// `code` is kept raw: read it with [`Header::result`] in replies and
/// [`Header::write_offset`] in DSIWrite requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Header {
    /// Request or reply.
    pub flags: Flags,
    /// DSI command.
    pub command: Command,
    /// Request ID (a reply copies the request's).
    pub request_id: u16,
    /// Error code (replies) or write offset (DSIWrite requests); 0 otherwise.
    pub code: u32,
    /// Bytes that follow the header.
    pub total_len: u32,
    /// Reserved; 0 from well-behaved peers, kept so frames re-encode exactly.
    pub reserved: u32,
}

impl Header {
    /// A request header with code 0 (use [`Header::write`] for DSIWrite).
    pub const fn request(command: Command, request_id: u16, total_len: u32) -> Self {
        Self {
            flags: Flags::Request,
            command,
            request_id,
            code: 0,
            total_len,
            reserved: 0,
        }
    }

    /// A DSIWrite request header: `write_offset` bytes of AFP command, then data.
    pub const fn write(request_id: u16, write_offset: u32, total_len: u32) -> Self {
        Self {
            flags: Flags::Request,
            command: Command::WRITE,
            request_id,
            code: write_offset,
            total_len,
            reserved: 0,
        }
    }

    /// A reply header carrying an AFP (or DSI) result code.
    pub const fn reply(command: Command, request_id: u16, result: i32, total_len: u32) -> Self {
        Self {
            flags: Flags::Reply,
            command,
            request_id,
            code: result as u32,
            total_len,
            reserved: 0,
        }
    }

    /// The code field read as a signed result code (meaningful in replies).
    pub const fn result(&self) -> i32 {
        self.code as i32
    }

    /// The code field read as the DSIWrite enclosed-data offset.
    pub const fn write_offset(&self) -> u32 {
        self.code
    }

    /// For a DSIWrite request: bytes of write data after the AFP command part
    /// (0 if the offset is past the end, which the decoder rejects).
    pub const fn write_data_len(&self) -> u32 {
        self.total_len.saturating_sub(self.code)
    }

    /// Whether the decoder streams this message as DSIWrite (a write request).
    pub fn is_write_request(&self) -> bool {
        self.flags == Flags::Request && self.command == Command::WRITE
    }

    /// Parses a header from the first [`HEADER_LEN`] bytes of `src`.
    ///
    /// Returns `Ok(None)` when `src` is shorter than a header.
    pub fn decode(src: &[u8]) -> Result<Option<Self>, DecodeError> {
        let Some(mut b) = src.get(..HEADER_LEN) else {
            return Ok(None);
        };
        // [A-2.2]: flags is 0x00 for a request and 0x01 for a reply;
        // netatalk rejects anything greater than 1.
        let flags = Flags::from_u8(b.get_u8())?;
        let command = Command(b.get_u8());
        let request_id = b.get_u16();
        let code = b.get_u32();
        let total_len = b.get_u32();
        let reserved = b.get_u32();
        Ok(Some(Self {
            flags,
            command,
            request_id,
            code,
            total_len,
            reserved,
        }))
    }

    /// Appends the 16 header bytes.
    pub fn encode(&self, dst: &mut impl BufMut) {
        dst.put_u8(self.flags.to_u8());
        dst.put_u8(self.command.0);
        dst.put_u16(self.request_id);
        dst.put_u32(self.code);
        dst.put_u32(self.total_len);
        dst.put_u32(self.reserved);
    }

    /// The 16 header bytes as an array (for `writev`).
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        self.encode(&mut &mut out[..]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example_get_status_request() {
        // afp-dsi.md §1.12: client DSIGetStatus with request ID 1.
        let bytes = [0, 3, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let h = Header::decode(&bytes).unwrap().unwrap();
        assert_eq!(h, Header::request(Command::GET_STATUS, 1, 0));
        assert_eq!(h.to_bytes(), bytes);
    }

    #[test]
    fn spec_example_write_ext_header() {
        // afp-dsi.md §1.12: FPWriteExt of 4096 bytes, offset 20 (0x14).
        let bytes = [0, 6, 0, 7, 0, 0, 0, 0x14, 0, 0, 0x10, 0x14, 0, 0, 0, 0];
        let h = Header::decode(&bytes).unwrap().unwrap();
        assert!(h.is_write_request());
        assert_eq!(h.write_offset(), 20);
        assert_eq!(h.write_data_len(), 4096);
        assert_eq!(h.to_bytes(), bytes);
    }

    #[test]
    fn reply_result_is_signed() {
        let h = Header::reply(Command::COMMAND, 9, -5000, 0);
        assert_eq!(&h.to_bytes()[4..8], &[0xFF, 0xFF, 0xEC, 0x78]);
        assert_eq!(h.result(), -5000);
    }

    #[test]
    fn bad_flags_and_short_input() {
        let mut bytes = [0u8; 16];
        bytes[0] = 2;
        assert_eq!(Header::decode(&bytes), Err(DecodeError::UnknownFlags(2)));
        assert_eq!(Header::decode(&bytes[..15]), Ok(None));
    }

    #[test]
    fn known_commands() {
        for c in Command::ALL {
            assert!(c.is_known(), "{c:?}");
            assert_ne!(c.name(), "unknown");
        }
        assert!(!Command(0).is_known());
        assert!(!Command(7).is_known());
        assert!(!Command(9).is_known());
    }
}
