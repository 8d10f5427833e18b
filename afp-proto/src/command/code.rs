//! AFP command codes (spec §2.1) and the facts a server needs about each: name, whether it
//! is accepted before login, the version that enables it, whether its reply goes into the
//! replay cache.

use core::fmt;

use crate::version::AfpVersion;

/// An AFP command code: the first byte of every AFP request block.
///
/// Open newtype: every code of spec §2.1 has a named constant, any other byte is kept so a
/// server can answer kFPCallNotSupported (-5024) and carry on.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct CommandCode(pub u8);

macro_rules! command_codes {
    ($( $(#[$doc:meta])* $name:ident = $value:literal, $apple:literal, $since:expr, $gate:expr; )*) => {
        impl CommandCode {
            $( $(#[$doc])* #[doc(alias = $apple)] pub const $name: CommandCode = CommandCode($value); )*

            /// Every named command code, in numeric order.
            pub const ALL: &'static [CommandCode] = &[$(CommandCode::$name),*];

            /// Apple's name (`"FPOpenFork"`), or `None` for an unassigned code.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $( $value => Some($apple), )*
                    _ => None,
                }
            }

            /// The AFP version that introduced the call, as (major, minor), per spec §2.1.
            pub fn introduced_in(self) -> Option<(u8, u8)> {
                match self.0 {
                    $( $value => Some($since), )*
                    _ => None,
                }
            }

            /// The lowest negotiated AFP version at which a server enables the call after
            /// login (netatalk's gate, the "\[N\] gate" column of spec §2.1); `None` means
            /// every version.
            pub fn min_version(self) -> Option<AfpVersion> {
                match self.0 {
                    $( $value => $gate, )*
                    _ => None,
                }
            }
        }
    };
}

const V30: Option<AfpVersion> = Some(AfpVersion::V3_0);
const V31: Option<AfpVersion> = Some(AfpVersion::V3_1);
const V32: Option<AfpVersion> = Some(AfpVersion::V3_2);

command_codes! {
    /// Lock or unlock a byte range (32-bit).
    BYTE_RANGE_LOCK = 1, "FPByteRangeLock", (2, 0), None;
    /// Close a volume.
    CLOSE_VOL = 2, "FPCloseVol", (2, 0), None;
    /// Close a directory (variable-DID volumes only).
    CLOSE_DIR = 3, "FPCloseDir", (2, 0), None;
    /// Close an open fork.
    CLOSE_FORK = 4, "FPCloseFork", (2, 0), None;
    /// Server-side file copy.
    COPY_FILE = 5, "FPCopyFile", (2, 0), None;
    /// Create a directory.
    CREATE_DIR = 6, "FPCreateDir", (2, 0), None;
    /// Create a file.
    CREATE_FILE = 7, "FPCreateFile", (2, 0), None;
    /// Delete a file or an empty directory.
    DELETE = 8, "FPDelete", (2, 0), None;
    /// List a directory (1-byte entry length).
    ENUMERATE = 9, "FPEnumerate", (2, 0), None;
    /// Flush a volume.
    FLUSH = 10, "FPFlush", (2, 0), None;
    /// Flush a fork.
    FLUSH_FORK = 11, "FPFlushFork", (2, 0), None;
    /// Get the parameters of an open fork.
    GET_FORK_PARMS = 14, "FPGetForkParms", (2, 0), None;
    /// Get the server status block.
    GET_SRVR_INFO = 15, "FPGetSrvrInfo", (2, 0), None;
    /// Get the server time and volume list.
    GET_SRVR_PARMS = 16, "FPGetSrvrParms", (2, 0), None;
    /// Get volume parameters.
    GET_VOL_PARMS = 17, "FPGetVolParms", (2, 0), None;
    /// Log in (no pad byte after the command code).
    LOGIN = 18, "FPLogin", (2, 0), None;
    /// Continue a multi-step login.
    LOGIN_CONT = 19, "FPLoginCont", (2, 0), None;
    /// Log out.
    LOGOUT = 20, "FPLogout", (2, 0), None;
    /// Map a user or group ID (or UUID) to a name.
    MAP_ID = 21, "FPMapID", (2, 0), None;
    /// Map a user or group name to an ID (or UUID).
    MAP_NAME = 22, "FPMapName", (2, 0), None;
    /// Move and/or rename a file or directory.
    MOVE_AND_RENAME = 23, "FPMoveAndRename", (2, 0), None;
    /// Open a volume.
    OPEN_VOL = 24, "FPOpenVol", (2, 0), None;
    /// Open a directory (returns its DID).
    OPEN_DIR = 25, "FPOpenDir", (2, 0), None;
    /// Open a fork.
    OPEN_FORK = 26, "FPOpenFork", (2, 0), None;
    /// Read from a fork (32-bit).
    READ = 27, "FPRead", (2, 0), None;
    /// Rename within a directory.
    RENAME = 28, "FPRename", (2, 0), None;
    /// Set directory parameters.
    SET_DIR_PARMS = 29, "FPSetDirParms", (2, 0), None;
    /// Set file parameters.
    SET_FILE_PARMS = 30, "FPSetFileParms", (2, 0), None;
    /// Set the length of an open fork.
    SET_FORK_PARMS = 31, "FPSetForkParms", (2, 0), None;
    /// Set the volume backup date.
    SET_VOL_PARMS = 32, "FPSetVolParms", (2, 0), None;
    /// Write to a fork (32-bit, via DSIWrite).
    WRITE = 33, "FPWrite", (2, 0), None;
    /// Get file or directory parameters.
    GET_FILE_DIR_PARMS = 34, "FPGetFileDirParms", (2, 0), None;
    /// Set file or directory parameters.
    SET_FILE_DIR_PARMS = 35, "FPSetFileDirParms", (2, 0), None;
    /// Change the user's password.
    CHANGE_PASSWORD = 36, "FPChangePassword", (2, 0), None;
    /// Get the user's IDs.
    GET_USER_INFO = 37, "FPGetUserInfo", (2, 0), None;
    /// Get the login or server message.
    GET_SRVR_MSG = 38, "FPGetSrvrMsg", (2, 1), None;
    /// Create a file ID.
    CREATE_ID = 39, "FPCreateID", (2, 1), None;
    /// Delete a file ID.
    DELETE_ID = 40, "FPDeleteID", (2, 1), None;
    /// Resolve a file ID.
    RESOLVE_ID = 41, "FPResolveID", (2, 1), None;
    /// Swap the contents of two files.
    EXCHANGE_FILES = 42, "FPExchangeFiles", (2, 1), None;
    /// Catalog search.
    CAT_SEARCH = 43, "FPCatSearch", (2, 1), None;
    /// Open the desktop database.
    OPEN_DT = 48, "FPOpenDT", (2, 0), None;
    /// Close the desktop database.
    CLOSE_DT = 49, "FPCloseDT", (2, 0), None;
    /// Get an icon bitmap.
    GET_ICON = 51, "FPGetIcon", (2, 0), None;
    /// Get icon information.
    GET_ICON_INFO = 52, "FPGetIconInfo", (2, 0), None;
    /// Add an APPL mapping.
    ADD_APPL = 53, "FPAddAPPL", (2, 0), None;
    /// Remove an APPL mapping.
    REMOVE_APPL = 54, "FPRemoveAPPL", (2, 0), None;
    /// Get an APPL mapping.
    GET_APPL = 55, "FPGetAPPL", (2, 0), None;
    /// Add a comment.
    ADD_COMMENT = 56, "FPAddComment", (2, 0), None;
    /// Remove a comment.
    REMOVE_COMMENT = 57, "FPRemoveComment", (2, 0), None;
    /// Get a comment.
    GET_COMMENT = 58, "FPGetComment", (2, 0), None;
    /// Lock or unlock a byte range (64-bit).
    BYTE_RANGE_LOCK_EXT = 59, "FPByteRangeLockExt", (3, 0), V30;
    /// Read from a fork (64-bit).
    READ_EXT = 60, "FPReadExt", (3, 0), V30;
    /// Write to a fork (64-bit, via DSIWrite).
    WRITE_EXT = 61, "FPWriteExt", (3, 0), V30;
    /// Get the UAMs of a directory service (deprecated; netatalk does not implement it).
    GET_AUTH_METHODS = 62, "FPGetAuthMethods", (3, 0), V30;
    /// Log in (AFP 3).
    LOGIN_EXT = 63, "FPLoginExt", (3, 0), None;
    /// Get a session token for reconnecting.
    GET_SESSION_TOKEN = 64, "FPGetSessionToken", (3, 0), V30;
    /// Take over a disconnected session.
    DISCONNECT_OLD_SESSION = 65, "FPDisconnectOldSession", (3, 0), V30;
    /// List a directory (2-byte entry length).
    ENUMERATE_EXT = 66, "FPEnumerateExt", (3, 0), V30;
    /// Catalog search (AFP 3).
    CAT_SEARCH_EXT = 67, "FPCatSearchExt", (3, 0), V30;
    /// List a directory (32-bit index and reply size).
    ENUMERATE_EXT2 = 68, "FPEnumerateExt2", (3, 1), V31;
    /// Get an extended attribute.
    GET_EXT_ATTR = 69, "FPGetExtAttr", (3, 2), V32;
    /// Set an extended attribute.
    SET_EXT_ATTR = 70, "FPSetExtAttr", (3, 2), V32;
    /// Remove an extended attribute.
    REMOVE_EXT_ATTR = 71, "FPRemoveExtAttr", (3, 2), V32;
    /// List extended attributes.
    LIST_EXT_ATTRS = 72, "FPListExtAttrs", (3, 2), V32;
    /// Get an ACL.
    GET_ACL = 73, "FPGetACL", (3, 2), V32;
    /// Set an ACL.
    SET_ACL = 74, "FPSetACL", (3, 2), V32;
    /// Check access rights.
    ACCESS = 75, "FPAccess", (3, 2), V32;
    /// Spotlight search (private Apple format).
    SPOTLIGHT_RPC = 76, "FPSpotlightRPC", (3, 2), V31;
    /// Commit a directory to stable storage (Time Machine).
    SYNC_DIR = 78, "FPSyncDir", (3, 2), V31;
    /// Commit a fork to stable storage (Time Machine).
    SYNC_FORK = 79, "FPSyncFork", (3, 2), V31;
    /// Sleep notification.
    ZZZZZ = 122, "FPZzzzz", (2, 3), Some(AfpVersion::V2_2);
    /// Add an icon to the desktop database (via DSIWrite).
    ADD_ICON = 192, "FPAddIcon", (2, 0), None;
}

impl CommandCode {
    /// Commands whose replies a server must keep in its replay cache: the non-idempotent
    /// calls of spec §1.7 ([A-PG] "AFP Replay Cache"; FPLink has no code and is left out).
    pub const NON_IDEMPOTENT: &'static [CommandCode] = &[
        CommandCode::BYTE_RANGE_LOCK,
        CommandCode::BYTE_RANGE_LOCK_EXT,
        CommandCode::CHANGE_PASSWORD,
        CommandCode::CLOSE_FORK,
        CommandCode::CLOSE_VOL,
        CommandCode::COPY_FILE,
        CommandCode::CREATE_DIR,
        CommandCode::CREATE_FILE,
        CommandCode::DELETE,
        CommandCode::EXCHANGE_FILES,
        CommandCode::FLUSH,
        CommandCode::FLUSH_FORK,
        CommandCode::REMOVE_EXT_ATTR,
        CommandCode::MOVE_AND_RENAME,
        CommandCode::OPEN_FORK,
        CommandCode::OPEN_VOL,
        CommandCode::RENAME,
        CommandCode::SET_DIR_PARMS,
        CommandCode::SET_FILE_DIR_PARMS,
        CommandCode::SET_FILE_PARMS,
        CommandCode::SET_FORK_PARMS,
        CommandCode::SET_VOL_PARMS,
        CommandCode::SET_EXT_ATTR,
        CommandCode::SET_ACL,
        CommandCode::SYNC_DIR,
        CommandCode::SYNC_FORK,
    ];

    /// True for a code of spec §2.1.
    pub fn is_known(self) -> bool {
        self.name().is_some()
    }

    /// True for the calls a server accepts before login (spec §2.8): FPLogin, FPLoginCont,
    /// FPLogout and FPLoginExt.
    pub fn allowed_before_login(self) -> bool {
        matches!(
            self,
            CommandCode::LOGIN
                | CommandCode::LOGIN_CONT
                | CommandCode::LOGOUT
                | CommandCode::LOGIN_EXT
        )
    }

    /// True if a logged-in session with `version` may use the call (see
    /// [`CommandCode::min_version`]). Unknown codes are never allowed.
    pub fn allowed_in(self, version: AfpVersion) -> bool {
        self.is_known() && self.min_version().is_none_or(|min| version >= min)
    }

    /// True if the reply must be kept in the replay cache ([`CommandCode::NON_IDEMPOTENT`]).
    pub fn is_replay_cached(self) -> bool {
        CommandCode::NON_IDEMPOTENT.contains(&self)
    }

    /// For the calls sent with DSIWrite, the size of the AFP header before the data (the
    /// DSI data offset, spec §1.6): FPWrite 12, FPWriteExt 20, FPAddIcon 20.
    pub fn write_header_len(self) -> Option<usize> {
        match self {
            CommandCode::WRITE => Some(12),
            CommandCode::WRITE_EXT | CommandCode::ADD_ICON => Some(20),
            _ => None,
        }
    }
}

impl fmt::Debug for CommandCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name}({})", self.0),
            None => write!(f, "CommandCode({})", self.0),
        }
    }
}

/// `FPOpenFork` or `unknown command 13`.
impl fmt::Display for CommandCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "unknown command {}", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_of_spec_2_1() {
        assert_eq!(CommandCode::ALL.len(), 73);
        assert_eq!(CommandCode::ADD_ICON.0, 192);
        assert_eq!(CommandCode::ZZZZZ.0, 122);
        assert_eq!(CommandCode::SPOTLIGHT_RPC.0, 76);
        assert_eq!(CommandCode(12).name(), None);
        assert_eq!(CommandCode::OPEN_FORK.to_string(), "FPOpenFork");
        assert_eq!(format!("{:?}", CommandCode(77)), "CommandCode(77)");
        let mut prev = 0;
        for c in CommandCode::ALL {
            assert!(c.0 > prev || prev == 0, "{c:?} out of order");
            prev = c.0;
        }
    }

    #[test]
    fn server_facts() {
        assert!(CommandCode::LOGIN_EXT.allowed_before_login());
        assert!(!CommandCode::GET_SRVR_INFO.allowed_before_login());
        assert!(!CommandCode::ENUMERATE_EXT2.allowed_in(AfpVersion::V3_0));
        assert!(CommandCode::ENUMERATE_EXT2.allowed_in(AfpVersion::V3_1));
        assert!(CommandCode::OPEN_VOL.allowed_in(AfpVersion::V2_1));
        assert!(!CommandCode(13).allowed_in(AfpVersion::V3_4));
        assert!(CommandCode::SYNC_FORK.is_replay_cached());
        assert!(!CommandCode::READ_EXT.is_replay_cached());
        assert_eq!(CommandCode::NON_IDEMPOTENT.len(), 26);
        assert_eq!(CommandCode::WRITE_EXT.write_header_len(), Some(20));
    }
}
