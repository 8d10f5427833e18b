//! AFP and DSI result codes (spec §7, §1.9).
//!
//! A result code travels in the error field of the DSI reply header as a signed 32-bit
//! big-endian value: 0 is success, `-5000` is `0xFFFFEC78` on the wire. [`ResultCode`] is an
//! open newtype: every code the spec lists has a named constant, and any other value a peer
//! sends is kept as it is.

use core::fmt;

/// An AFP (or DSI/ASP) result code, as carried in the DSI header's error field.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ResultCode(pub i32);

macro_rules! result_codes {
    ($( $(#[$doc:meta])* $name:ident = $value:expr, $apple:literal, $text:literal; )*) => {
        impl ResultCode {
            $( $(#[$doc])* #[doc(alias = $apple)] pub const $name: ResultCode = ResultCode($value); )*

            /// Every named code, in numeric order from 0 downwards.
            pub const ALL: &'static [ResultCode] = &[$(ResultCode::$name),*];

            /// Apple's name for this code (`kFPAccessDenied`), or `None` for an unnamed value.
            pub fn apple_name(self) -> Option<&'static str> {
                match self.0 {
                    $( $value => Some($apple), )*
                    _ => None,
                }
            }

            /// A short explanation a person understands ("access denied").
            pub fn description(self) -> &'static str {
                match self.0 {
                    $( $value => $text, )*
                    _ => "unknown result code",
                }
            }
        }
    };
}

result_codes! {
    /// Success.
    NO_ERR = 0, "kFPNoErr", "success";
    /// DSI/ASP: bad version.
    ASP_BAD_VERS_NUM = -1066, "kASPBadVersNum", "bad DSI version";
    /// DSI/ASP: buffer too small.
    ASP_BUF_TOO_SMALL = -1067, "kASPBufTooSmall", "buffer too small";
    /// No more sessions allowed (netatalk AFPERR_MAXSESS, DSIERR_NOSESS).
    NO_MORE_SESSIONS = -1068, "kFPNoMoreSessions", "the server accepts no more sessions";
    /// DSI/ASP: no server.
    ASP_NO_SERVERS = -1069, "kASPNoServers", "no server";
    /// DSI/ASP: parameter error.
    ASP_PARAM_ERR = -1070, "kASPParamErr", "DSI parameter error";
    /// DSI/ASP: server too busy.
    ASP_SERVER_BUSY = -1071, "kASPServerBusy", "server too busy";
    /// DSI/ASP: session closed.
    ASP_SESS_CLOSED = -1072, "kASPSessClosed", "session closed";
    /// DSI/ASP: size error.
    ASP_SIZE_ERR = -1073, "kASPSizeErr", "size error";
    /// DSI/ASP: too many clients.
    ASP_TOO_MANY_CLIENTS = -1074, "kASPTooManyClients", "too many clients";
    /// DSI/ASP: no acknowledgement.
    ASP_NO_ACK = -1075, "kASPNoAck", "no acknowledgement";
    /// Insufficient privileges.
    ACCESS_DENIED = -5000, "kFPAccessDenied", "access denied";
    /// Authentication not finished: send FPLoginCont.
    AUTH_CONTINUE = -5001, "kFPAuthContinue", "authentication continues";
    /// Unknown login method (UAM).
    BAD_UAM = -5002, "kFPBadUAM", "login method not supported";
    /// Unsupported AFP version.
    BAD_VERS_NUM = -5003, "kFPBadVersNum", "AFP version not supported";
    /// The bitmap asks for something not obtainable or settable, or is empty.
    BITMAP_ERR = -5004, "kFPBitmapErr", "bitmap error";
    /// A directory cannot be moved into its own descendant.
    CANT_MOVE = -5005, "kFPCantMove", "cannot move a directory into itself";
    /// Access or deny mode conflict on open.
    DENY_CONFLICT = -5006, "kFPDenyConflict", "file is open in a conflicting mode";
    /// Directory not empty.
    DIR_NOT_EMPTY = -5007, "kFPDirNotEmpty", "directory not empty";
    /// No space left.
    DISK_FULL = -5008, "kFPDiskFull", "disk full";
    /// End of fork reached, or no more catalog search matches.
    EOF_ERR = -5009, "kFPEOFErr", "end of file";
    /// The file is open (hard create, delete).
    FILE_BUSY = -5010, "kFPFileBusy", "file busy";
    /// The volume has no directories.
    FLAT_VOL = -5011, "kFPFlatVol", "flat volume";
    /// APPL, comment, icon, user or extended attribute not found.
    ITEM_NOT_FOUND = -5012, "kFPItemNotFound", "item not found";
    /// The range is locked by another user.
    LOCK_ERR = -5013, "kFPLockErr", "range locked by another user";
    /// A non-AFP error on the server.
    MISC_ERR = -5014, "kFPMiscErr", "server error";
    /// Lock limit reached.
    NO_MORE_LOCKS = -5015, "kFPNoMoreLocks", "too many locks";
    /// Server not responding.
    NO_SERVER = -5016, "kFPNoServer", "server not responding";
    /// The object already exists.
    OBJECT_EXISTS = -5017, "kFPObjectExists", "already exists";
    /// Object not found (also "no more entries" in enumerate).
    OBJECT_NOT_FOUND = -5018, "kFPObjectNotFound", "not found";
    /// Bad parameter or unknown reference.
    PARAM_ERR = -5019, "kFPParamErr", "bad parameter";
    /// Unlock of a range this fork did not lock.
    RANGE_NOT_LOCKED = -5020, "kFPRangeNotLocked", "range not locked";
    /// The lock overlaps one this fork already holds.
    RANGE_OVERLAP = -5021, "kFPRangeOverlap", "range overlaps an existing lock";
    /// Session closed.
    SESS_CLOSED = -5022, "kFPSessClosed", "session closed";
    /// Authentication failed, or not logged in.
    USER_NOT_AUTH = -5023, "kFPUserNotAuth", "authentication failed";
    /// Command not supported.
    CALL_NOT_SUPPORTED = -5024, "kFPCallNotSupported", "call not supported";
    /// Wrong object type (file instead of directory or the reverse).
    OBJECT_TYPE_ERR = -5025, "kFPObjectTypeErr", "wrong object type";
    /// Cannot open another fork.
    TOO_MANY_FILES_OPEN = -5026, "kFPTooManyFilesOpen", "too many open files";
    /// The server is shutting down.
    SERVER_GOING_DOWN = -5027, "kFPServerGoingDown", "server shutting down";
    /// Cannot rename (volume or root).
    CANT_RENAME = -5028, "kFPCantRename", "cannot rename";
    /// Directory not found.
    DIR_NOT_FOUND = -5029, "kFPDirNotFound", "directory not found";
    /// Icon size mismatch.
    ICON_TYPE_ERROR = -5030, "kFPIconTypeError", "icon type error";
    /// The volume is read-only.
    VOL_LOCKED = -5031, "kFPVolLocked", "volume is read-only";
    /// The object is write-, delete- or rename-inhibited.
    OBJECT_LOCKED = -5032, "kFPObjectLocked", "object is locked";
    /// The directory contains a share point.
    CONTAINS_SHARED_ERR = -5033, "kFPContainsSharedErr", "directory contains a share point";
    /// File ID not found.
    ID_NOT_FOUND = -5034, "kFPIDNotFound", "file ID not found";
    /// The file already has a File ID.
    ID_EXISTS = -5035, "kFPIDExists", "file ID already exists";
    /// The objects are on different volumes.
    DIFF_VOL_ERR = -5036, "kFPDiffVolErr", "different volumes";
    /// The catalog changed; a catalog search must restart.
    CATALOG_CHANGED = -5037, "kFPCatalogChanged", "catalog changed";
    /// The same object was given twice.
    SAME_OBJECT_ERR = -5038, "kFPSameObjectErr", "same object";
    /// Invalid File ID.
    BAD_ID_ERR = -5039, "kFPBadIDErr", "invalid file ID";
    /// The new password equals the old one.
    PWD_SAME_ERR = -5040, "kFPPwdSameErr", "new password is the same as the old one";
    /// The password is too short.
    PWD_TOO_SHORT_ERR = -5041, "kFPPwdTooShortErr", "password too short";
    /// The password expired: the session may only change it.
    PWD_EXPIRED_ERR = -5042, "kFPPwdExpiredErr", "password expired";
    /// Moving a share point into a shared folder.
    INSIDE_SHARED_ERR = -5043, "kFPInsideSharedErr", "inside a shared folder";
    /// Moving a shared folder into the Trash.
    INSIDE_TRASH_ERR = -5044, "kFPInsideTrashErr", "inside the Trash";
    /// The password must be changed.
    PWD_NEEDS_CHANGE_ERR = -5045, "kFPPwdNeedsChangeErr", "password must be changed";
    /// The new password violates the policy.
    PWD_POLICY_ERR = -5046, "kFPPwdPolicyErr", "password violates the policy";
    /// Disk quota exceeded (AFP 3.1).
    DISK_QUOTA_EXCEEDED = -5047, "kFPDiskQuotaExceeded", "disk quota exceeded";
}

impl ResultCode {
    /// True for [`ResultCode::NO_ERR`].
    pub fn is_ok(self) -> bool {
        self.0 == 0
    }

    /// The code as the DSI header's 32-bit error field carries it.
    pub fn to_wire(self) -> u32 {
        self.0 as u32
    }

    /// The code from the DSI header's 32-bit error field.
    pub fn from_wire(value: u32) -> ResultCode {
        ResultCode(value as i32)
    }
}

impl fmt::Debug for ResultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.apple_name() {
            Some(name) => write!(f, "{name}({})", self.0),
            None => write!(f, "ResultCode({})", self.0),
        }
    }
}

/// `access denied (-5000)`.
impl fmt::Display for ResultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.description(), self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_values_match_spec_table() {
        // spec §7: "kFPAccessDenied | -5000 | 0xFFFFEC78".
        assert_eq!(ResultCode::ACCESS_DENIED.to_wire(), 0xFFFF_EC78);
        assert_eq!(ResultCode::AUTH_CONTINUE.to_wire(), 0xFFFF_EC77);
        assert_eq!(ResultCode::CALL_NOT_SUPPORTED.to_wire(), 0xFFFF_EC60);
        assert_eq!(ResultCode::ASP_BAD_VERS_NUM.to_wire(), 0xFFFF_FBD6);
        assert_eq!(ResultCode::DISK_QUOTA_EXCEEDED.to_wire(), 0xFFFF_EC49);
        assert_eq!(
            ResultCode::from_wire(0xFFFF_EC66),
            ResultCode::OBJECT_NOT_FOUND
        );
    }

    #[test]
    fn every_named_code_is_distinct_and_described() {
        let mut seen = std::collections::HashSet::new();
        for code in ResultCode::ALL {
            assert!(seen.insert(code.0), "duplicate {code:?}");
            assert!(code.apple_name().is_some());
            assert_ne!(code.description(), "unknown result code");
        }
        assert_eq!(ResultCode::ALL.len(), 59);
    }

    #[test]
    fn display_is_readable() {
        assert_eq!(
            ResultCode::ACCESS_DENIED.to_string(),
            "access denied (-5000)"
        );
        assert_eq!(format!("{:?}", ResultCode(-1)), "ResultCode(-1)");
    }
}
