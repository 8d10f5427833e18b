//! Session and login calls (spec §5.1, §6): FPLogin, FPLoginExt, FPLoginCont, FPLogout,
//! FPChangePassword, FPGetUserInfo, FPGetSessionToken, FPDisconnectOldSession, FPZzzzz,
//! FPGetSrvrMsg, FPGetSrvrInfo, FPGetSrvrParms, FPGetAuthMethods.
//!
//! ```text
//! FPLogin     18 | pstr AFPVersion | pstr UAM | UserAuthInfo…            (no pad byte)
//! FPLoginExt  63 | pad | u16 flags | pstr AFPVersion | pstr UAM
//!                | u8 3 | u16 len + user name (UTF-8, no hint)
//!                | u8 type | pstr (type 1/2) or u16 len + bytes (type 3)
//!                | pad to even | UserAuthInfo…
//! FPLoginCont 19 | pad | u16 ID | UAM data…
//! ```
//!
//! Version and UAM strings stay raw bytes: the server matches them itself (versions
//! exactly, UAM names case-insensitively with prefix matching, spec §6.1). The login replies
//! are UAM-specific bytes ([`super::Reply::Login`] etc.).

use bitflags::bitflags;
use bytes::{Bytes, BytesMut};

use super::{CommandCode, Request, optional_pad, pad};
use crate::date::AfpDate;
use crate::error::DecodeError;
use crate::path::Path;
use crate::wire::{Reader, Writer};

/// FPLogin (18): log in with an AFP version and a UAM.
#[doc(alias = "FPLogin")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    /// AFP version string, e.g. `AFP3.4` (at most 255 bytes encoded).
    pub version: Bytes,
    /// UAM name, e.g. `DHX2` (at most 255 bytes encoded).
    pub uam: Bytes,
    /// Everything after the UAM name, for the UAM.
    pub user_auth_info: Bytes,
}

impl Login {
    /// Offset of `user_auth_info` from the command code, which UAMs need to pad to even
    /// inside it: `1 + 1 + version.len() + 1 + uam.len()`.
    pub fn user_auth_info_offset(&self) -> usize {
        1 + 1 + self.version.len().min(255) + 1 + self.uam.len().min(255)
    }

    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        // spec §5.1: "FPLogin (18) — no pad byte".
        let version = r.pstr("AFP version")?;
        let uam = r.pstr("UAM name")?;
        Ok(Login {
            version,
            uam,
            user_auth_info: r.rest(),
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.pstr(&self.version);
        w.pstr(&self.uam);
        w.bytes(&self.user_auth_info);
    }
}
request_type!(Login, LOGIN);

/// FPLoginExt (63): AFP 3 login with a UTF-8 user name.
#[doc(alias = "FPLoginExt")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginExt {
    /// Flags (none defined; 0).
    pub flags: u16,
    /// AFP version string (at most 255 bytes encoded).
    pub version: Bytes,
    /// UAM name (at most 255 bytes encoded).
    pub uam: Bytes,
    /// User name, UTF-8 (sent as type 3 with a u16 length and no hint).
    pub user_name: Bytes,
    /// Directory-service name: path type (1, 2 or 3) and bytes, usually empty.
    pub dir_service: (u8, Bytes),
    /// Everything after the pad that follows the directory-service name.
    pub user_auth_info: Bytes,
}

impl LoginExt {
    fn offset_before_pad(&self) -> usize {
        let dir_len = match self.dir_service.0 {
            3 => 2 + self.dir_service.1.len().min(0xFFFF),
            _ => 1 + self.dir_service.1.len().min(255),
        };
        1 + 1
            + 2
            + 1
            + self.version.len().min(255)
            + 1
            + self.uam.len().min(255)
            + 1
            + 2
            + self.user_name.len().min(0xFFFF)
            + 1
            + dir_len
    }

    /// Offset of `user_auth_info` from the command code, after the pad to even that
    /// follows the directory-service name.
    pub fn user_auth_info_offset(&self) -> usize {
        self.offset_before_pad().next_multiple_of(2)
    }

    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        pad(r)?;
        let flags = r.u16("login flags")?;
        let version = r.pstr("AFP version")?;
        let uam = r.pstr("UAM name")?;
        // spec §5.1: "UserNameType — must be 3 ([N]: else kFPParamErr)".
        if r.u8("user name type")? != 3 {
            return Err(DecodeError::Invalid("user name type"));
        }
        let user_name = r.u16_str("user name")?;
        let dir_type = r.u8("directory service path type")?;
        let dir_name = match dir_type {
            1 | 2 => r.pstr("directory service name")?,
            3 => r.u16_str("directory service name")?,
            _ => return Err(DecodeError::BadPathType(dir_type)),
        };
        r.pad_to_even();
        Ok(LoginExt {
            flags,
            version,
            uam,
            user_name,
            dir_service: (dir_type, dir_name),
            user_auth_info: r.rest(),
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.u16(self.flags);
        w.pstr(&self.version);
        w.pstr(&self.uam);
        w.u8(3);
        w.u16_str(&self.user_name);
        w.u8(self.dir_service.0);
        match self.dir_service.0 {
            3 => w.u16_str(&self.dir_service.1),
            _ => w.pstr(&self.dir_service.1),
        }
        if !self.user_auth_info.is_empty() {
            w.pad_to_even();
        }
        w.bytes(&self.user_auth_info);
    }
}
request_type!(LoginExt, LOGIN_EXT);

/// FPLoginCont (19): the next step of a multi-step login.
#[doc(alias = "FPLoginCont")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginCont {
    /// The ID the server returned with kFPAuthContinue.
    pub id: u16,
    /// Everything after the ID.
    pub data: Bytes,
}

impl LoginCont {
    /// Offset of `data` from the command code (4).
    pub const DATA_OFFSET: usize = 4;

    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        pad(r)?;
        let id = r.u16("login ID")?;
        Ok(LoginCont { id, data: r.rest() })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.u16(self.id);
        w.bytes(&self.data);
    }
}
request_type!(LoginCont, LOGIN_CONT);

/// FPLogout (20).
#[doc(alias = "FPLogout")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Logout;

impl Logout {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        optional_pad(r);
        Ok(Logout)
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
    }
}
request_type!(Logout, LOGOUT);

/// FPChangePassword (36): `36, pad, pstr UAM, pad to even, user name, UAM data`.
///
/// On AFP 2.x the user name is a pstr followed by a pad to even; on AFP 3.x it is omitted
/// and the two bytes must be `00 00`, which is exactly an empty `user_name` here.
#[doc(alias = "FPChangePassword")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangePassword {
    /// UAM name (at most 255 bytes encoded).
    pub uam: Bytes,
    /// User name (AFP 2.x) or empty (AFP 3.x; at most 255 bytes encoded).
    pub user_name: Bytes,
    /// UAM-specific data.
    pub data: Bytes,
}

impl ChangePassword {
    /// Offset of `data` from the command code.
    pub fn data_offset(&self) -> usize {
        let after_uam = (2 + 1 + self.uam.len().min(255)).next_multiple_of(2);
        (after_uam + 1 + self.user_name.len().min(255)).next_multiple_of(2)
    }

    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        pad(r)?;
        let uam = r.pstr("UAM name")?;
        r.pad_to_even();
        let user_name = r.pstr("user name")?;
        r.pad_to_even();
        Ok(ChangePassword {
            uam,
            user_name,
            data: r.rest(),
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.pstr(&self.uam);
        w.pad_to_even();
        w.pstr(&self.user_name);
        w.pad_to_even();
        w.bytes(&self.data);
    }
}
request_type!(ChangePassword, CHANGE_PASSWORD);

bitflags! {
    /// FPGetUserInfo bitmap (spec §5.1).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct UserInfoBitmap: u16 {
        /// User ID (u32).
        const USER_ID = 0x1;
        /// Primary group ID (u32).
        const PRIMARY_GROUP_ID = 0x2;
        /// UUID (16 bytes, AFP 3.2).
        const UUID = 0x4;
    }
}

/// FPGetUserInfo (37).
#[doc(alias = "FPGetUserInfo")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GetUserInfo {
    /// Flags byte: bit 0 = ThisUser (netatalk requires it).
    pub flags: u8,
    /// User ID (ignored by servers).
    pub user_id: u32,
    /// What to return; unknown bits are kept for the server to reject (kFPBitmapErr).
    pub bitmap: UserInfoBitmap,
}

impl GetUserInfo {
    /// The ThisUser flag.
    pub const THIS_USER: u8 = 0x01;

    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(GetUserInfo {
            flags: r.u8("user info flags")?,
            user_id: r.u32("user ID")?,
            bitmap: UserInfoBitmap::from_bits_retain(r.u16("user info bitmap")?),
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(self.flags);
        w.u32(self.user_id);
        w.u16(self.bitmap.bits());
    }
}
request_type!(GetUserInfo, GET_USER_INFO);

/// FPGetUserInfo reply: u16 bitmap, then in bit order u32 uid, u32 gid, 16-byte UUID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UserInfo {
    /// The user ID.
    pub user_id: Option<u32>,
    /// The primary group ID.
    pub group_id: Option<u32>,
    /// The user's UUID.
    pub uuid: Option<[u8; 16]>,
}

impl UserInfo {
    /// The bitmap of the fields that are present.
    pub fn bitmap(&self) -> UserInfoBitmap {
        let mut b = UserInfoBitmap::empty();
        b.set(UserInfoBitmap::USER_ID, self.user_id.is_some());
        b.set(UserInfoBitmap::PRIMARY_GROUP_ID, self.group_id.is_some());
        b.set(UserInfoBitmap::UUID, self.uuid.is_some());
        b
    }

    /// Decodes the reply block.
    pub fn decode(body: &Bytes) -> Result<UserInfo, DecodeError> {
        let mut r = Reader::new(body);
        let bits = r.u16("user info bitmap")?;
        let bitmap = UserInfoBitmap::from_bits(bits).ok_or(DecodeError::BadBitmap {
            bitmap: bits,
            context: "user info",
        })?;
        let mut info = UserInfo::default();
        if bitmap.contains(UserInfoBitmap::USER_ID) {
            info.user_id = Some(r.u32("user ID")?);
        }
        if bitmap.contains(UserInfoBitmap::PRIMARY_GROUP_ID) {
            info.group_id = Some(r.u32("group ID")?);
        }
        if bitmap.contains(UserInfoBitmap::UUID) {
            info.uuid = Some(r.array("UUID")?);
        }
        Ok(info)
    }

    /// Appends the reply block to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        self.write(&mut Writer::new(dst));
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) {
        w.u16(self.bitmap().bits());
        if let Some(v) = self.user_id {
            w.u32(v);
        }
        if let Some(v) = self.group_id {
            w.u32(v);
        }
        if let Some(v) = &self.uuid {
            w.bytes(v);
        }
    }
}

/// FPGetSessionToken / FPDisconnectOldSession token type (spec §6.8). Open newtype.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TokenType(pub u16);

impl TokenType {
    /// kLoginWithoutID: just get a token.
    pub const LOGIN_WITHOUT_ID: TokenType = TokenType(0);
    /// kLoginWithID (deprecated).
    pub const LOGIN_WITH_ID: TokenType = TokenType(1);
    /// kReconnWithID (deprecated).
    pub const RECONN_WITH_ID: TokenType = TokenType(2);
    /// kLoginWithTimeAndID: remember (ID, timestamp).
    pub const LOGIN_WITH_TIME_AND_ID: TokenType = TokenType(3);
    /// kReconnWithTimeAndID: update the ID after a reconnect.
    pub const RECONN_WITH_TIME_AND_ID: TokenType = TokenType(4);
    /// kRecon1Login.
    pub const RECON1_LOGIN: TokenType = TokenType(5);
    /// kRecon1ReconnectLogin.
    pub const RECON1_RECONNECT_LOGIN: TokenType = TokenType(6);
    /// kRecon1RefreshToken.
    pub const RECON1_REFRESH_TOKEN: TokenType = TokenType(7);
    /// kGetKerberosSessionKey.
    pub const GET_KERBEROS_SESSION_KEY: TokenType = TokenType(8);

    /// True for the types that carry a timestamp (3 and 4; netatalk and Wireshark).
    pub fn has_timestamp(self) -> bool {
        matches!(self.0, 3 | 4)
    }

    /// True for the types that carry nothing after the type (0 and 8).
    pub fn has_no_id(self) -> bool {
        matches!(self.0, 0 | 8)
    }
}

/// FPGetSessionToken (64): `64, pad, u16 type, [u32 IDLength, [u32 timestamp], ID]`.
///
/// Types 0 and 8 carry nothing after the type; types 3 and 4 carry the client's boot time
/// after the ID length; the others carry the ID length and the ID.
#[doc(alias = "FPGetSessionToken")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetSessionToken {
    /// Token type.
    pub kind: TokenType,
    /// Client boot time, for types 3 and 4 (`Some` exactly for them).
    pub timestamp: Option<u32>,
    /// Client-chosen identifier (empty for types 0 and 8).
    pub id: Bytes,
}

impl GetSessionToken {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        pad(r)?;
        let kind = TokenType(r.u16("token type")?);
        if kind.has_no_id() {
            return Ok(GetSessionToken {
                kind,
                timestamp: None,
                id: Bytes::new(),
            });
        }
        if kind.has_timestamp() {
            let len = r.u32("ID length")?;
            let timestamp = r.u32("timestamp")?;
            let id = r.bytes(len as usize, "ID")?;
            return Ok(GetSessionToken {
                kind,
                timestamp: Some(timestamp),
                id,
            });
        }
        // netatalk reads the ID length only if it is there.
        let id = if r.remaining() >= 4 {
            let len = r.u32("ID length")?;
            r.bytes(len as usize, "ID")?
        } else {
            Bytes::new()
        };
        Ok(GetSessionToken {
            kind,
            timestamp: None,
            id,
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.u16(self.kind.0);
        if self.kind.has_no_id() {
            return;
        }
        let id = &self.id[..self.id.len().min(u32::MAX as usize)];
        w.u32(id.len() as u32);
        if self.kind.has_timestamp() {
            w.u32(self.timestamp.unwrap_or(0));
        }
        w.bytes(id);
    }
}
request_type!(GetSessionToken, GET_SESSION_TOKEN);

/// FPGetSessionToken reply: u32 length, token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionToken {
    /// The token (netatalk: 8 bytes).
    pub token: Bytes,
}

impl SessionToken {
    /// Decodes the reply block.
    pub fn decode(body: &Bytes) -> Result<SessionToken, DecodeError> {
        let mut r = Reader::new(body);
        let len = r.u32("token length")?;
        Ok(SessionToken {
            token: r.bytes(len as usize, "token")?,
        })
    }

    /// Appends the reply block to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        self.write(&mut Writer::new(dst));
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) {
        w.u32(self.token.len() as u32);
        w.bytes(&self.token);
    }
}

/// FPDisconnectOldSession (65): `65, pad, u16 type, u32 token length, token`.
#[doc(alias = "FPDisconnectOldSession")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisconnectOldSession {
    /// Token type.
    pub kind: TokenType,
    /// The token from FPGetSessionToken.
    pub token: Bytes,
}

impl DisconnectOldSession {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        pad(r)?;
        let kind = TokenType(r.u16("token type")?);
        let len = r.u32("token length")?;
        Ok(DisconnectOldSession {
            kind,
            token: r.bytes(len as usize, "token")?,
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.u16(self.kind.0);
        w.u32(self.token.len() as u32);
        w.bytes(&self.token);
    }
}
request_type!(DisconnectOldSession, DISCONNECT_OLD_SESSION);

/// FPZzzzz (122): sleep notification, `122, pad, u32 flags`.
#[doc(alias = "FPZzzzz")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Zzzzz {
    /// 0 = sleep, [`Zzzzz::EXT_SLEEP`], [`Zzzzz::WAKE_UP`]. A missing field decodes as 0.
    pub flags: u32,
}

impl Zzzzz {
    /// Extended sleep.
    pub const EXT_SLEEP: u32 = 1;
    /// Wake up from extended sleep.
    pub const WAKE_UP: u32 = 2;

    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        optional_pad(r);
        let flags = if r.remaining() >= 4 {
            r.u32("sleep flags")?
        } else {
            0
        };
        Ok(Zzzzz { flags })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.u32(self.flags);
    }
}
request_type!(Zzzzz, ZZZZZ);

/// FPGetSrvrMsg (38): `38, pad, u16 type, u16 bitmap`.
#[doc(alias = "FPGetSrvrMsg")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GetSrvrMsg {
    /// 0 = login message, 1 = server message.
    pub kind: u16,
    /// Bit 0 = get message, bit 1 = UTF-8 reply.
    pub bitmap: u16,
}

/// FPGetSrvrMsg bitmap bit: the reply message is UTF-8 with a u16 length.
pub const SRVR_MSG_UTF8: u16 = 0x2;

impl GetSrvrMsg {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        pad(r)?;
        Ok(GetSrvrMsg {
            kind: r.u16("message type")?,
            bitmap: r.u16("message bitmap")?,
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.u16(self.kind);
        w.u16(self.bitmap);
    }
}
request_type!(GetSrvrMsg, GET_SRVR_MSG);

/// FPGetSrvrMsg reply: type and bitmap copies, then a pstr or (bitmap bit 1) u16 length +
/// UTF-8 message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerMessage {
    /// Message type (copy).
    pub kind: u16,
    /// Message bitmap (copy); bit 1 selects the UTF-8 form.
    pub bitmap: u16,
    /// The message (at most 255 bytes in the pstr form, 65535 in the UTF-8 form).
    pub message: Bytes,
}

impl ServerMessage {
    /// Decodes the reply block.
    pub fn decode(body: &Bytes) -> Result<ServerMessage, DecodeError> {
        let mut r = Reader::new(body);
        let kind = r.u16("message type")?;
        let bitmap = r.u16("message bitmap")?;
        let message = if bitmap & SRVR_MSG_UTF8 != 0 {
            r.u16_str("message")?
        } else {
            r.pstr("message")?
        };
        Ok(ServerMessage {
            kind,
            bitmap,
            message,
        })
    }

    /// Appends the reply block to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        self.write(&mut Writer::new(dst));
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) {
        w.u16(self.kind);
        w.u16(self.bitmap);
        if self.bitmap & SRVR_MSG_UTF8 != 0 {
            w.u16_str(&self.message);
        } else {
            w.pstr(&self.message);
        }
    }
}

/// FPGetSrvrInfo (15): `15, pad`; the reply is the status block of spec §3.
#[doc(alias = "FPGetSrvrInfo")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GetSrvrInfo;

impl GetSrvrInfo {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        optional_pad(r);
        Ok(GetSrvrInfo)
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
    }
}
request_type!(GetSrvrInfo, GET_SRVR_INFO);

/// FPGetSrvrParms (16): `16, pad`.
#[doc(alias = "FPGetSrvrParms")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GetSrvrParms;

impl GetSrvrParms {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        optional_pad(r);
        Ok(GetSrvrParms)
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
    }
}
request_type!(GetSrvrParms, GET_SRVR_PARMS);

/// One volume in the FPGetSrvrParms reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeEntry {
    /// 0x80 HasPassword, 0x01 HasUNIXPrivs (AFP 3) / HasConfigInfo (AFP 2).
    pub flags: u8,
    /// Volume name (pstr: UTF-8 on AFP 3, legacy encoding on AFP 2).
    pub name: Bytes,
}

impl VolumeEntry {
    /// The volume has a password.
    pub const HAS_PASSWORD: u8 = 0x80;
    /// The volume has UNIX privileges (AFP 3).
    pub const HAS_UNIX_PRIVS: u8 = 0x01;
}

/// FPGetSrvrParms reply: server time, u8 count, { u8 flags, pstr name } × count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerParms {
    /// The server's clock.
    pub server_time: AfpDate,
    /// The volumes (at most 255 are encoded).
    pub volumes: Vec<VolumeEntry>,
}

impl ServerParms {
    /// Decodes the reply block.
    pub fn decode(body: &Bytes) -> Result<ServerParms, DecodeError> {
        let mut r = Reader::new(body);
        let server_time = AfpDate(r.i32("server time")?);
        // spec §5.1: "number of volumes N ([A-3.1]'s table says short, its figure and every
        // implementation use one byte)".
        let count = r.u8("volume count")?;
        let mut volumes = Vec::with_capacity(usize::from(count));
        for _ in 0..count {
            let flags = r.u8("volume flags")?;
            let name = r.pstr("volume name")?;
            volumes.push(VolumeEntry { flags, name });
        }
        Ok(ServerParms {
            server_time,
            volumes,
        })
    }

    /// Appends the reply block to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        self.write(&mut Writer::new(dst));
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) {
        w.i32(self.server_time.0);
        let list = &self.volumes[..self.volumes.len().min(255)];
        w.u8(list.len() as u8);
        for v in list {
            w.u8(v.flags);
            w.pstr(&v.name);
        }
    }
}

/// FPGetAuthMethods (62): `62, pad, u8 flags, path` (deprecated; layout from Net::AFP,
/// not implemented by netatalk).
#[doc(alias = "FPGetAuthMethods")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetAuthMethods {
    /// Flags (none defined).
    pub flags: u8,
    /// Directory-service path.
    pub path: Path,
}

impl GetAuthMethods {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        pad(r)?;
        let flags = r.u8("flags")?;
        let path = Path::read(r)?;
        Ok(GetAuthMethods { flags, path })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.u8(self.flags);
        self.path.write(w);
    }
}
request_type!(GetAuthMethods, GET_AUTH_METHODS);

/// FPGetAuthMethods reply: u8 flags, u8 count, pstr UAM names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthMethods {
    /// Flags.
    pub flags: u8,
    /// UAM names (at most 255 are encoded).
    pub uams: Vec<Bytes>,
}

impl AuthMethods {
    /// Decodes the reply block.
    pub fn decode(body: &Bytes) -> Result<AuthMethods, DecodeError> {
        let mut r = Reader::new(body);
        let flags = r.u8("flags")?;
        let count = r.u8("UAM count")?;
        let mut uams = Vec::with_capacity(usize::from(count));
        for _ in 0..count {
            uams.push(r.pstr("UAM name")?);
        }
        Ok(AuthMethods { flags, uams })
    }

    /// Appends the reply block to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        self.write(&mut Writer::new(dst));
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) {
        w.u8(self.flags);
        let list = &self.uams[..self.uams.len().min(255)];
        w.u8(list.len() as u8);
        for u in list {
            w.pstr(u);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(r: impl Into<Request>) -> Bytes {
        let mut dst = BytesMut::new();
        r.into().encode(&mut dst);
        dst.freeze()
    }

    #[test]
    fn login_has_no_pad_and_offset_is_exact() {
        let l = Login {
            version: Bytes::from_static(b"AFP3.4"),
            uam: Bytes::from_static(b"DHX2"),
            user_auth_info: Bytes::from_static(b"\x05alice\x00"),
        };
        let b = enc(l.clone());
        assert_eq!(&b[..], b"\x12\x06AFP3.4\x04DHX2\x05alice\x00");
        assert_eq!(l.user_auth_info_offset(), 13);
        assert_eq!(&b[l.user_auth_info_offset()..], &l.user_auth_info[..]);
        assert_eq!(Login::decode(&b).unwrap(), l);
    }

    #[test]
    fn login_ext_pads_before_user_auth_info() {
        let l = LoginExt {
            flags: 0,
            version: Bytes::from_static(b"AFP3.4"),
            uam: Bytes::from_static(b"Cleartxt Passwrd"),
            user_name: Bytes::from_static(b"bob"),
            dir_service: (3, Bytes::new()),
            user_auth_info: Bytes::from_static(b"secret\0\0"),
        };
        let b = enc(l.clone());
        // 4 + 7 + 17 + 1 + 2 + 3 + 1 + 2 = 37 → pad → 38.
        assert_eq!(l.user_auth_info_offset(), 38);
        assert_eq!(b[37], 0);
        assert_eq!(&b[38..], b"secret\0\0");
        assert_eq!(LoginExt::decode(&b).unwrap(), l);
    }

    #[test]
    fn change_password_afp3_has_two_zero_bytes() {
        let c = ChangePassword {
            uam: Bytes::from_static(b"DHX2"),
            user_name: Bytes::new(),
            data: Bytes::from_static(&[0, 0, 9]),
        };
        let b = enc(c.clone());
        assert_eq!(&b[..], b"\x24\x00\x04DHX2\x00\x00\x00\x00\x00\x09");
        assert_eq!(c.data_offset(), 10);
        assert_eq!(ChangePassword::decode(&b).unwrap(), c);
    }

    #[test]
    fn session_token_type_3_carries_timestamp() {
        let t = GetSessionToken {
            kind: TokenType::LOGIN_WITH_TIME_AND_ID,
            timestamp: Some(0x0102_0304),
            id: Bytes::from_static(b"abcd"),
        };
        let b = enc(t.clone());
        assert_eq!(
            &b[..],
            b"\x40\x00\x00\x03\x00\x00\x00\x04\x01\x02\x03\x04abcd"
        );
        assert_eq!(GetSessionToken::decode(&b).unwrap(), t);
        let zero = Bytes::from_static(b"\x40\x00\x00\x00");
        assert_eq!(GetSessionToken::decode(&zero).unwrap().id, Bytes::new());
    }
}
