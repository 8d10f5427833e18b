//! AFP commands: one request type per command code and the replies (spec §2.1, §2.5, §5).
//!
//! Every request block starts with its command code; most have a pad byte after it, except
//! FPLogin (none) and the calls that use byte 1 for a flag or subfunction (FPByteRangeLock,
//! FPByteRangeLockExt, FPCreateFile, FPOpenFork, FPWrite, FPWriteExt, FPMapID, FPMapName,
//! FPGetUserInfo). Pads to even count from the command code (spec §2.5).
//!
//! * A server decodes requests with [`Request::decode`]. A known code whose body does not
//!   follow its layout fails with a [`DecodeError`]; answer it with
//!   [`DecodeError::result_code_for`] and keep the session. An unknown code decodes as
//!   [`Request::Unknown`], answered with kFPCallNotSupported (-5024).
//! * A client encodes requests with [`Request::encode`] (or each type's `encode`) and
//!   decodes replies with [`Reply::decode`], giving the command code it sent and a
//!   [`ReplyContext`] (the session's AFP version, and the subfunction for FPMapID and
//!   FPMapName, whose reply layout depends on it).
//! * A server encodes replies with [`Reply::encode`] or each reply type's `encode`;
//!   enumerate replies that must fit MaxReplySize use [`EnumerateReplyWriter`].
//!
//! Zero copy: FPWrite, FPWriteExt and FPAddIcon arrive through DSIWrite as a 12/20/20-byte
//! header followed by the data. Their request types hold the header only; decode the header
//! ([`CommandCode::write_header_len`] bytes, or the whole payload: trailing bytes are
//! ignored) and take the data from the DSI payload without copying. FPRead and FPReadExt
//! replies are the raw data ([`Reply::Read`], [`Reply::ReadExt`] hold a [`Bytes`]).
//!
//! Decoders are lenient where every implementation is: pad bytes are not checked and bytes
//! after the last field are ignored.

use bytes::{Bytes, BytesMut};

use crate::error::DecodeError;
use crate::params::{FileBitmap, FileParams, VolumeBitmap, VolumeParams};
use crate::status::ServerStatus;
use crate::version::AfpVersion;
use crate::wire::{Reader, Writer};

/// Implements `CODE`, `decode` and `encode` for a request type from its `decode_body` /
/// `encode_body` (which start right after the command code).
macro_rules! request_type {
    ($ty:ident, $code:ident) => {
        impl $ty {
            /// The command code of this request.
            pub const CODE: CommandCode = CommandCode::$code;

            /// Decodes a whole request block (command code first).
            pub fn decode(block: &Bytes) -> Result<Self, DecodeError> {
                let mut r = Reader::new(block);
                if r.u8("command code")? != Self::CODE.0 {
                    return Err(DecodeError::Invalid("command code"));
                }
                Self::decode_body(&mut r)
            }

            /// Appends the whole request block (command code first) to `dst`.
            pub fn encode(&self, dst: &mut BytesMut) {
                let mut w = Writer::new(dst);
                w.u8(Self::CODE.0);
                self.encode_body(&mut w);
            }
        }

        impl From<$ty> for Request {
            fn from(v: $ty) -> Request {
                Request::$ty(v)
            }
        }
    };
}

mod acl;
mod catsearch;
mod code;
mod desktop;
mod directory;
mod enumerate;
mod ext_attr;
mod file;
mod fork;
mod id;
mod mapping;
mod session;
mod volume;

pub use acl::*;
pub use catsearch::*;
pub use code::CommandCode;
pub use desktop::*;
pub use directory::*;
pub use enumerate::*;
pub use ext_attr::*;
pub use file::*;
pub use fork::*;
pub use id::*;
pub use mapping::*;
pub use session::*;
pub use volume::*;

/// The pad byte after the command code (its value is not checked).
fn pad(r: &mut Reader<'_>) -> Result<(), DecodeError> {
    r.skip(1, "pad byte")
}

/// A pad byte that may be missing at the end of a block (`code, pad` requests).
fn optional_pad(r: &mut Reader<'_>) {
    let _ = r.skip(1, "pad byte");
}

/// Declares [`Request`] and its dispatch from the list of request types.
macro_rules! requests {
    ($( $ty:ident ),* $(,)?) => {
        /// A decoded AFP request: one variant per command of spec §2.1, plus
        /// [`Request::Unknown`] for any other code.
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum Request {
            $(
                #[doc = concat!("See [`", stringify!($ty), "`].")]
                $ty($ty),
            )*
            /// A command code this crate does not know. A server answers
            /// kFPCallNotSupported (-5024) with an empty reply and keeps the session.
            Unknown {
                /// The command code.
                code: CommandCode,
                /// Everything after the command code.
                body: Bytes,
            },
        }

        impl Request {
            /// Decodes a whole request block (command code first).
            ///
            /// For FPWrite, FPWriteExt and FPAddIcon pass the AFP header (the whole DSIWrite
            /// payload also works: the data after the header is ignored, not copied).
            pub fn decode(block: &Bytes) -> Result<Request, DecodeError> {
                let mut r = Reader::new(block);
                let code = CommandCode(r.u8("command code")?);
                match code {
                    $( $ty::CODE => Ok(Request::$ty($ty::decode_body(&mut r)?)), )*
                    _ => Ok(Request::Unknown { code, body: r.rest() }),
                }
            }

            /// The command code.
            pub fn code(&self) -> CommandCode {
                match self {
                    $( Request::$ty(_) => $ty::CODE, )*
                    Request::Unknown { code, .. } => *code,
                }
            }

            /// Appends the whole request block (command code first) to `dst`.
            pub fn encode(&self, dst: &mut BytesMut) {
                match self {
                    $( Request::$ty(v) => v.encode(dst), )*
                    Request::Unknown { code, body } => {
                        let mut w = Writer::new(dst);
                        w.u8(code.0);
                        w.bytes(body);
                    }
                }
            }
        }
    };
}

requests! {
    ByteRangeLock, CloseVol, CloseDir, CloseFork, CopyFile, CreateDir, CreateFile, Delete,
    Enumerate, Flush, FlushFork, GetForkParms, GetSrvrInfo, GetSrvrParms, GetVolParms,
    Login, LoginCont, Logout, MapId, MapName, MoveAndRename, OpenVol, OpenDir, OpenFork,
    Read, Rename, SetDirParms, SetFileParms, SetForkParms, SetVolParms, Write,
    GetFileDirParms, SetFileDirParms, ChangePassword, GetUserInfo, GetSrvrMsg, CreateId,
    DeleteId, ResolveId, ExchangeFiles, CatSearch, OpenDt, CloseDt, GetIcon, GetIconInfo,
    AddAppl, RemoveAppl, GetAppl, AddComment, RemoveComment, GetComment, ByteRangeLockExt,
    ReadExt, WriteExt, GetAuthMethods, LoginExt, GetSessionToken, DisconnectOldSession,
    EnumerateExt, CatSearchExt, EnumerateExt2, GetExtAttr, SetExtAttr, RemoveExtAttr,
    ListExtAttrs, GetAcl, SetAcl, Access, SpotlightRpc, SyncDir, SyncFork, Zzzzz, AddIcon,
}

impl Request {
    /// The context a client needs to decode the reply to this request.
    pub fn reply_context(&self, version: AfpVersion) -> ReplyContext {
        let subfunction = match self {
            Request::MapId(m) => m.subfunction,
            Request::MapName(m) => m.subfunction,
            _ => 0,
        };
        ReplyContext {
            version,
            subfunction,
        }
    }
}

/// What a client must know besides the command code to decode a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyContext {
    /// The session's AFP version (bit 13 of file and directory bitmaps is the UTF-8 name
    /// from AFP 3.0 on, ProDOS info before).
    pub version: AfpVersion,
    /// The subfunction of the FPMapID or FPMapName request (ignored for other calls).
    pub subfunction: u8,
}

impl ReplyContext {
    /// A context for `version` with no subfunction.
    pub fn new(version: AfpVersion) -> ReplyContext {
        ReplyContext {
            version,
            subfunction: 0,
        }
    }

    /// The same context with the FPMapID / FPMapName subfunction set.
    pub fn with_subfunction(self, subfunction: u8) -> ReplyContext {
        ReplyContext {
            subfunction,
            ..self
        }
    }
}

/// A decoded AFP reply block.
///
/// Decode it only when the result code says a reply block follows: kFPNoErr, plus the
/// documented exceptions (kFPAuthContinue for logins, kFPEOFErr with the bytes read,
/// kFPDenyConflict for FPOpenFork, kFPIDExists for FPCreateID). Other errors come with an
/// empty block.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reply {
    /// The reply of a call whose reply block is empty (FPCloseVol, FPDelete, …).
    Empty(CommandCode),
    /// FPLogin: UAM-specific bytes.
    Login(Bytes),
    /// FPLoginExt: UAM-specific bytes.
    LoginExt(Bytes),
    /// FPLoginCont: UAM-specific bytes.
    LoginCont(Bytes),
    /// FPChangePassword: UAM-specific bytes (multi-step UAMs).
    ChangePassword(Bytes),
    /// FPGetUserInfo.
    GetUserInfo(UserInfo),
    /// FPGetSessionToken.
    GetSessionToken(SessionToken),
    /// FPZzzzz: netatalk answers the hours it keeps a sleeping session; Apple documents no
    /// reply (`None` for an empty block).
    Zzzzz {
        /// Sleep time in hours.
        sleep_hours: Option<u32>,
    },
    /// FPGetSrvrMsg.
    GetSrvrMsg(ServerMessage),
    /// FPGetSrvrInfo: the status block.
    GetSrvrInfo(ServerStatus),
    /// FPGetSrvrParms.
    GetSrvrParms(ServerParms),
    /// FPGetAuthMethods.
    GetAuthMethods(AuthMethods),
    /// FPOpenVol: u16 bitmap + volume parameters.
    OpenVol(VolumeParams),
    /// FPGetVolParms: u16 bitmap + volume parameters.
    GetVolParms(VolumeParams),
    /// FPGetFileDirParms.
    GetFileDirParms(FileDirParmsReply),
    /// FPCreateDir: the new directory ID.
    CreateDir {
        /// New directory ID.
        dir_id: u32,
    },
    /// FPOpenDir: the directory ID.
    OpenDir {
        /// Directory ID.
        dir_id: u32,
    },
    /// FPOpenFork.
    OpenFork(OpenForkReply),
    /// FPGetForkParms: u16 bitmap + file parameters.
    GetForkParms(FileParams),
    /// FPRead: the data.
    Read(Bytes),
    /// FPReadExt: the data.
    ReadExt(Bytes),
    /// FPWrite: offset after the last byte written.
    Write {
        /// LastWritten.
        last_written: u32,
    },
    /// FPWriteExt: offset after the last byte written.
    WriteExt {
        /// LastWritten.
        last_written: u64,
    },
    /// FPByteRangeLock: first byte locked.
    ByteRangeLock {
        /// RangeStart.
        range_start: u32,
    },
    /// FPByteRangeLockExt: first byte locked.
    ByteRangeLockExt {
        /// RangeStart.
        range_start: u64,
    },
    /// FPEnumerate (1-byte entry lengths).
    Enumerate(EnumerateReply),
    /// FPEnumerateExt.
    EnumerateExt(EnumerateReply),
    /// FPEnumerateExt2.
    EnumerateExt2(EnumerateReply),
    /// FPCreateID (also sent with kFPIDExists).
    CreateId {
        /// The file ID.
        file_id: u32,
    },
    /// FPResolveID: u16 bitmap + file parameters.
    ResolveId(FileParams),
    /// FPCatSearch.
    CatSearch(CatSearchReply),
    /// FPCatSearchExt.
    CatSearchExt(CatSearchReply),
    /// FPSpotlightRPC: private format, kept raw.
    SpotlightRpc(Bytes),
    /// FPOpenDT: the desktop database reference.
    OpenDt {
        /// DTRefNum.
        dt_ref: u16,
    },
    /// FPGetIcon: the icon bitmap.
    GetIcon(Bytes),
    /// FPGetIconInfo.
    GetIconInfo(IconInfo),
    /// FPGetAPPL.
    GetAppl(ApplInfo),
    /// FPGetComment: the comment (pstr).
    GetComment(Bytes),
    /// FPGetExtAttr.
    GetExtAttr(ExtAttrData),
    /// FPListExtAttrs.
    ListExtAttrs(ExtAttrList),
    /// FPGetACL.
    GetAcl(AclParams),
    /// FPMapID.
    MapId(MapIdReply),
    /// FPMapName.
    MapName(MapNameReply),
    /// The reply to a command code this crate does not know, kept raw.
    Unknown {
        /// The command code of the request.
        code: CommandCode,
        /// The reply block.
        body: Bytes,
    },
}

/// Commands whose reply block is empty.
const EMPTY_REPLIES: &[CommandCode] = &[
    CommandCode::LOGOUT,
    CommandCode::DISCONNECT_OLD_SESSION,
    CommandCode::CLOSE_VOL,
    CommandCode::SET_VOL_PARMS,
    CommandCode::FLUSH,
    CommandCode::SET_FILE_PARMS,
    CommandCode::SET_DIR_PARMS,
    CommandCode::SET_FILE_DIR_PARMS,
    CommandCode::CREATE_FILE,
    CommandCode::DELETE,
    CommandCode::RENAME,
    CommandCode::MOVE_AND_RENAME,
    CommandCode::COPY_FILE,
    CommandCode::EXCHANGE_FILES,
    CommandCode::DELETE_ID,
    CommandCode::CLOSE_DIR,
    CommandCode::SYNC_DIR,
    CommandCode::CLOSE_FORK,
    CommandCode::FLUSH_FORK,
    CommandCode::SYNC_FORK,
    CommandCode::SET_FORK_PARMS,
    CommandCode::CLOSE_DT,
    CommandCode::ADD_ICON,
    CommandCode::ADD_APPL,
    CommandCode::REMOVE_APPL,
    CommandCode::ADD_COMMENT,
    CommandCode::REMOVE_COMMENT,
    CommandCode::SET_EXT_ATTR,
    CommandCode::REMOVE_EXT_ATTR,
    CommandCode::SET_ACL,
    CommandCode::ACCESS,
];

/// True if the command's reply block is empty on success (FPCloseVol, FPDelete, …).
pub fn has_empty_reply(code: CommandCode) -> bool {
    EMPTY_REPLIES.contains(&code)
}

fn decode_volume_params(body: &Bytes) -> Result<VolumeParams, DecodeError> {
    let mut r = Reader::new(body);
    let bitmap = VolumeBitmap::from_bits_retain(r.u16("volume bitmap")?);
    VolumeParams::decode(bitmap, &r.rest())
}

fn encode_volume_params(p: &VolumeParams, w: &mut Writer<'_>) {
    w.u16(p.bitmap().bits());
    p.write(&mut w.nested());
}

fn decode_file_params(body: &Bytes, version: AfpVersion) -> Result<FileParams, DecodeError> {
    let mut r = Reader::new(body);
    let bitmap = FileBitmap::from_bits_retain(r.u16("file bitmap")?);
    FileParams::decode(bitmap, &r.rest(), version)
}

fn encode_file_params(p: &FileParams, w: &mut Writer<'_>) {
    w.u16(p.bitmap().bits());
    p.write(&mut w.nested());
}

impl Reply {
    /// Decodes the reply block `body` to a request with command `code`.
    pub fn decode(
        code: CommandCode,
        body: &Bytes,
        ctx: ReplyContext,
    ) -> Result<Reply, DecodeError> {
        use CommandCode as C;
        let v = ctx.version;
        let mut r = Reader::new(body);
        Ok(match code {
            C::LOGIN => Reply::Login(body.clone()),
            C::LOGIN_EXT => Reply::LoginExt(body.clone()),
            C::LOGIN_CONT => Reply::LoginCont(body.clone()),
            C::CHANGE_PASSWORD => Reply::ChangePassword(body.clone()),
            C::GET_USER_INFO => Reply::GetUserInfo(UserInfo::decode(body)?),
            C::GET_SESSION_TOKEN => Reply::GetSessionToken(SessionToken::decode(body)?),
            C::ZZZZZ => Reply::Zzzzz {
                sleep_hours: r.u32("sleep time").ok(),
            },
            C::GET_SRVR_MSG => Reply::GetSrvrMsg(ServerMessage::decode(body)?),
            C::GET_SRVR_INFO => Reply::GetSrvrInfo(ServerStatus::decode(body)?),
            C::GET_SRVR_PARMS => Reply::GetSrvrParms(ServerParms::decode(body)?),
            C::GET_AUTH_METHODS => Reply::GetAuthMethods(AuthMethods::decode(body)?),
            C::OPEN_VOL => Reply::OpenVol(decode_volume_params(body)?),
            C::GET_VOL_PARMS => Reply::GetVolParms(decode_volume_params(body)?),
            C::GET_FILE_DIR_PARMS => Reply::GetFileDirParms(FileDirParmsReply::decode(body, v)?),
            C::CREATE_DIR => Reply::CreateDir {
                dir_id: r.u32("directory ID")?,
            },
            C::OPEN_DIR => Reply::OpenDir {
                dir_id: r.u32("directory ID")?,
            },
            C::OPEN_FORK => Reply::OpenFork(OpenForkReply::decode(body, v)?),
            C::GET_FORK_PARMS => Reply::GetForkParms(decode_file_params(body, v)?),
            C::READ => Reply::Read(body.clone()),
            C::READ_EXT => Reply::ReadExt(body.clone()),
            C::WRITE => Reply::Write {
                last_written: r.u32("last written")?,
            },
            C::WRITE_EXT => Reply::WriteExt {
                last_written: r.u64("last written")?,
            },
            C::BYTE_RANGE_LOCK => Reply::ByteRangeLock {
                range_start: r.u32("range start")?,
            },
            C::BYTE_RANGE_LOCK_EXT => Reply::ByteRangeLockExt {
                range_start: r.u64("range start")?,
            },
            C::ENUMERATE => Reply::Enumerate(EnumerateReply::decode(body, EntryLength::Short, v)?),
            C::ENUMERATE_EXT => {
                Reply::EnumerateExt(EnumerateReply::decode(body, EntryLength::Long, v)?)
            }
            C::ENUMERATE_EXT2 => {
                Reply::EnumerateExt2(EnumerateReply::decode(body, EntryLength::Long, v)?)
            }
            C::CREATE_ID => Reply::CreateId {
                file_id: r.u32("file ID")?,
            },
            C::RESOLVE_ID => Reply::ResolveId(decode_file_params(body, v)?),
            C::CAT_SEARCH => Reply::CatSearch(CatSearchReply::decode(body, EntryLength::Short, v)?),
            C::CAT_SEARCH_EXT => {
                Reply::CatSearchExt(CatSearchReply::decode(body, EntryLength::Long, v)?)
            }
            C::SPOTLIGHT_RPC => Reply::SpotlightRpc(body.clone()),
            C::OPEN_DT => Reply::OpenDt {
                dt_ref: r.u16("DTRefNum")?,
            },
            C::GET_ICON => Reply::GetIcon(body.clone()),
            C::GET_ICON_INFO => Reply::GetIconInfo(IconInfo::decode(body)?),
            C::GET_APPL => Reply::GetAppl(ApplInfo::decode(body, v)?),
            C::GET_COMMENT => Reply::GetComment(r.pstr("comment")?),
            C::GET_EXT_ATTR => Reply::GetExtAttr(ExtAttrData::decode(body)?),
            C::LIST_EXT_ATTRS => Reply::ListExtAttrs(ExtAttrList::decode(body)?),
            C::GET_ACL => Reply::GetAcl(AclParams::decode_reply(body)?),
            C::MAP_ID => Reply::MapId(MapIdReply::decode(body, ctx.subfunction)?),
            C::MAP_NAME => Reply::MapName(MapNameReply::decode(body, ctx.subfunction)?),
            code if has_empty_reply(code) => Reply::Empty(code),
            code => Reply::Unknown {
                code,
                body: body.clone(),
            },
        })
    }

    /// The command code of the request this reply answers.
    pub fn code(&self) -> CommandCode {
        use CommandCode as C;
        match self {
            Reply::Empty(code) | Reply::Unknown { code, .. } => *code,
            Reply::Login(_) => C::LOGIN,
            Reply::LoginExt(_) => C::LOGIN_EXT,
            Reply::LoginCont(_) => C::LOGIN_CONT,
            Reply::ChangePassword(_) => C::CHANGE_PASSWORD,
            Reply::GetUserInfo(_) => C::GET_USER_INFO,
            Reply::GetSessionToken(_) => C::GET_SESSION_TOKEN,
            Reply::Zzzzz { .. } => C::ZZZZZ,
            Reply::GetSrvrMsg(_) => C::GET_SRVR_MSG,
            Reply::GetSrvrInfo(_) => C::GET_SRVR_INFO,
            Reply::GetSrvrParms(_) => C::GET_SRVR_PARMS,
            Reply::GetAuthMethods(_) => C::GET_AUTH_METHODS,
            Reply::OpenVol(_) => C::OPEN_VOL,
            Reply::GetVolParms(_) => C::GET_VOL_PARMS,
            Reply::GetFileDirParms(_) => C::GET_FILE_DIR_PARMS,
            Reply::CreateDir { .. } => C::CREATE_DIR,
            Reply::OpenDir { .. } => C::OPEN_DIR,
            Reply::OpenFork(_) => C::OPEN_FORK,
            Reply::GetForkParms(_) => C::GET_FORK_PARMS,
            Reply::Read(_) => C::READ,
            Reply::ReadExt(_) => C::READ_EXT,
            Reply::Write { .. } => C::WRITE,
            Reply::WriteExt { .. } => C::WRITE_EXT,
            Reply::ByteRangeLock { .. } => C::BYTE_RANGE_LOCK,
            Reply::ByteRangeLockExt { .. } => C::BYTE_RANGE_LOCK_EXT,
            Reply::Enumerate(_) => C::ENUMERATE,
            Reply::EnumerateExt(_) => C::ENUMERATE_EXT,
            Reply::EnumerateExt2(_) => C::ENUMERATE_EXT2,
            Reply::CreateId { .. } => C::CREATE_ID,
            Reply::ResolveId(_) => C::RESOLVE_ID,
            Reply::CatSearch(_) => C::CAT_SEARCH,
            Reply::CatSearchExt(_) => C::CAT_SEARCH_EXT,
            Reply::SpotlightRpc(_) => C::SPOTLIGHT_RPC,
            Reply::OpenDt { .. } => C::OPEN_DT,
            Reply::GetIcon(_) => C::GET_ICON,
            Reply::GetIconInfo(_) => C::GET_ICON_INFO,
            Reply::GetAppl(_) => C::GET_APPL,
            Reply::GetComment(_) => C::GET_COMMENT,
            Reply::GetExtAttr(_) => C::GET_EXT_ATTR,
            Reply::ListExtAttrs(_) => C::LIST_EXT_ATTRS,
            Reply::GetAcl(_) => C::GET_ACL,
            Reply::MapId(_) => C::MAP_ID,
            Reply::MapName(_) => C::MAP_NAME,
        }
    }

    /// Appends the reply block to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        let mut w = Writer::new(dst);
        match self {
            Reply::Empty(_) => {}
            Reply::Login(b)
            | Reply::LoginExt(b)
            | Reply::LoginCont(b)
            | Reply::ChangePassword(b)
            | Reply::Read(b)
            | Reply::ReadExt(b)
            | Reply::SpotlightRpc(b)
            | Reply::GetIcon(b)
            | Reply::Unknown { body: b, .. } => w.bytes(b),
            Reply::GetUserInfo(v) => v.write(&mut w),
            Reply::GetSessionToken(v) => v.write(&mut w),
            Reply::Zzzzz { sleep_hours } => {
                if let Some(h) = sleep_hours {
                    w.u32(*h);
                }
            }
            Reply::GetSrvrMsg(v) => v.write(&mut w),
            Reply::GetSrvrInfo(v) => v.write(&mut w.nested()),
            Reply::GetSrvrParms(v) => v.write(&mut w),
            Reply::GetAuthMethods(v) => v.write(&mut w),
            Reply::OpenVol(p) | Reply::GetVolParms(p) => encode_volume_params(p, &mut w),
            Reply::GetFileDirParms(v) => v.write(&mut w),
            Reply::CreateDir { dir_id } | Reply::OpenDir { dir_id } => w.u32(*dir_id),
            Reply::OpenFork(v) => v.write(&mut w),
            Reply::GetForkParms(p) | Reply::ResolveId(p) => encode_file_params(p, &mut w),
            Reply::Write { last_written } => w.u32(*last_written),
            Reply::WriteExt { last_written } => w.u64(*last_written),
            Reply::ByteRangeLock { range_start } => w.u32(*range_start),
            Reply::ByteRangeLockExt { range_start } => w.u64(*range_start),
            Reply::Enumerate(v) => v.write(&mut w, EntryLength::Short),
            Reply::EnumerateExt(v) | Reply::EnumerateExt2(v) => v.write(&mut w, EntryLength::Long),
            Reply::CreateId { file_id } => w.u32(*file_id),
            Reply::CatSearch(v) => v.write(&mut w, EntryLength::Short),
            Reply::CatSearchExt(v) => v.write(&mut w, EntryLength::Long),
            Reply::OpenDt { dt_ref } => w.u16(*dt_ref),
            Reply::GetIconInfo(v) => v.write(&mut w),
            Reply::GetAppl(v) => v.write(&mut w),
            Reply::GetComment(c) => w.pstr(c),
            Reply::GetExtAttr(v) => v.write(&mut w),
            Reply::ListExtAttrs(v) => v.write(&mut w),
            Reply::GetAcl(v) => v.write_reply(&mut w),
            Reply::MapId(v) => v.write(&mut w),
            Reply::MapName(v) => v.write(&mut w),
        }
    }
}
