//! The bitmaps and attribute sets of spec §4 (volume §4.1–4.2, file and directory §4.3–4.4,
//! access rights §4.6).

use bitflags::bitflags;

use crate::error::DecodeError;
use crate::version::AfpVersion;

bitflags! {
    /// Volume bitmap (spec §4.1): which volume parameters a call carries.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct VolumeBitmap: u16 {
        /// Volume attributes (u16, [`VolumeAttributes`]).
        const ATTRIBUTES = 0x0001;
        /// Volume signature (u16): 1 flat, 2 fixed directory IDs, 3 variable.
        const SIGNATURE = 0x0002;
        /// Creation date.
        const CREATE_DATE = 0x0004;
        /// Modification date.
        const MOD_DATE = 0x0008;
        /// Backup date (the only field FPSetVolParms may set).
        const BACKUP_DATE = 0x0010;
        /// Volume ID (u16); FPOpenVol's bitmap must include it.
        const VOLUME_ID = 0x0020;
        /// Free bytes (u32, capped).
        const BYTES_FREE = 0x0040;
        /// Total bytes (u32, capped).
        const BYTES_TOTAL = 0x0080;
        /// Volume name (offset to a pstr).
        const NAME = 0x0100;
        /// Free bytes (u64, AFP 2.2+).
        const EXT_BYTES_FREE = 0x0200;
        /// Total bytes (u64, AFP 2.2+).
        const EXT_BYTES_TOTAL = 0x0400;
        /// Allocation block size (u32).
        const BLOCK_SIZE = 0x0800;
    }

    /// Volume attributes (spec §4.2).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct VolumeAttributes: u16 {
        /// kReadOnly.
        const READ_ONLY = 0x0001;
        /// kHasVolumePassword.
        const HAS_VOLUME_PASSWORD = 0x0002;
        /// kSupportsFileIDs.
        const SUPPORTS_FILE_IDS = 0x0004;
        /// kSupportsCatSearch.
        const SUPPORTS_CAT_SEARCH = 0x0008;
        /// kSupportsBlankAccessPrivs.
        const SUPPORTS_BLANK_ACCESS_PRIVS = 0x0010;
        /// kSupportsUnixPrivs (AFP 3.0).
        const SUPPORTS_UNIX_PRIVS = 0x0020;
        /// kSupportsUTF8Names (AFP 3.0).
        const SUPPORTS_UTF8_NAMES = 0x0040;
        /// kNoNetworkUserIDs (AFP 3.1).
        const NO_NETWORK_USER_IDS = 0x0080;
        /// kDefaultPrivsFromParent.
        const DEFAULT_PRIVS_FROM_PARENT = 0x0100;
        /// kNoExchangeFiles (AFP 3.2).
        const NO_EXCHANGE_FILES = 0x0200;
        /// kSupportsExtAttrs (AFP 3.2).
        const SUPPORTS_EXT_ATTRS = 0x0400;
        /// kSupportsACLs (AFP 3.2).
        const SUPPORTS_ACLS = 0x0800;
        /// kCaseSensitive.
        const CASE_SENSITIVE = 0x1000;
        /// kSupportsTMLockSteal (Time Machine volumes).
        const SUPPORTS_TM_LOCK_STEAL = 0x2000;
    }

    /// File bitmap (spec §4.3), also used by fork calls (§4.7).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct FileBitmap: u16 {
        /// Attributes (u16, [`FileAttributes`]).
        const ATTRIBUTES = 0x0001;
        /// Parent directory ID (u32).
        const PARENT_DIR_ID = 0x0002;
        /// Creation date.
        const CREATE_DATE = 0x0004;
        /// Modification date.
        const MOD_DATE = 0x0008;
        /// Backup date.
        const BACKUP_DATE = 0x0010;
        /// Finder info (32 bytes).
        const FINDER_INFO = 0x0020;
        /// Long name (offset to a pstr).
        const LONG_NAME = 0x0040;
        /// Short name (offset to a pstr; netatalk writes offset 0).
        const SHORT_NAME = 0x0080;
        /// Node ID / file number (u32).
        const NODE_ID = 0x0100;
        /// Data fork length (u32, capped).
        const DATA_FORK_LEN = 0x0200;
        /// Resource fork length (u32, capped).
        const RSRC_FORK_LEN = 0x0400;
        /// Data fork length (u64, AFP 3.0).
        const EXT_DATA_FORK_LEN = 0x0800;
        /// Launch limit: obsolete, no defined layout (kFPBitmapErr).
        const LAUNCH_LIMIT = 0x1000;
        /// UTF-8 name (AFP 3.0) or ProDOS info (before 3.0).
        const UTF8_NAME = 0x2000;
        /// Resource fork length (u64, AFP 3.0).
        const EXT_RSRC_FORK_LEN = 0x4000;
        /// UNIX privileges (16 bytes, AFP 3.0).
        const UNIX_PRIVS = 0x8000;
    }

    /// Directory bitmap (spec §4.3).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct DirBitmap: u16 {
        /// Attributes (u16, [`DirAttributes`]).
        const ATTRIBUTES = 0x0001;
        /// Parent directory ID (u32).
        const PARENT_DIR_ID = 0x0002;
        /// Creation date.
        const CREATE_DATE = 0x0004;
        /// Modification date.
        const MOD_DATE = 0x0008;
        /// Backup date.
        const BACKUP_DATE = 0x0010;
        /// Finder info (32 bytes).
        const FINDER_INFO = 0x0020;
        /// Long name (offset to a pstr).
        const LONG_NAME = 0x0040;
        /// Short name (offset to a pstr).
        const SHORT_NAME = 0x0080;
        /// Node ID = directory ID (u32).
        const NODE_ID = 0x0100;
        /// Offspring count (u16, capped).
        const OFFSPRING_COUNT = 0x0200;
        /// Owner ID (u32).
        const OWNER_ID = 0x0400;
        /// Group ID (u32).
        const GROUP_ID = 0x0800;
        /// Access rights (u32, [`AccessRights`]).
        const ACCESS_RIGHTS = 0x1000;
        /// UTF-8 name (AFP 3.0) or ProDOS info (before 3.0).
        const UTF8_NAME = 0x2000;
        /// UNIX privileges (16 bytes, AFP 3.0).
        const UNIX_PRIVS = 0x8000;
    }

    /// File attributes (spec §4.4).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct FileAttributes: u16 {
        /// Invisible.
        const INVISIBLE = 0x0001;
        /// MultiUser.
        const MULTI_USER = 0x0002;
        /// System.
        const SYSTEM = 0x0004;
        /// DAlreadyOpen (computed: the data fork is open).
        const DATA_ALREADY_OPEN = 0x0008;
        /// RAlreadyOpen (computed: the resource fork is open).
        const RSRC_ALREADY_OPEN = 0x0010;
        /// WriteInhibit.
        const WRITE_INHIBIT = 0x0020;
        /// BackupNeeded.
        const BACKUP_NEEDED = 0x0040;
        /// RenameInhibit.
        const RENAME_INHIBIT = 0x0080;
        /// DeleteInhibit.
        const DELETE_INHIBIT = 0x0100;
        /// CopyProtect.
        const COPY_PROTECT = 0x0400;
        /// Set/Clear: in set calls, 1 sets the given bits, 0 clears them.
        const SET_CLEAR = 0x8000;
    }

    /// Directory attributes (spec §4.4).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct DirAttributes: u16 {
        /// Invisible.
        const INVISIBLE = 0x0001;
        /// IsExpFolder (share point).
        const IS_EXP_FOLDER = 0x0002;
        /// System.
        const SYSTEM = 0x0004;
        /// Mounted.
        const MOUNTED = 0x0008;
        /// InExpFolder (in a shared area).
        const IN_EXP_FOLDER = 0x0010;
        /// BackupNeeded.
        const BACKUP_NEEDED = 0x0040;
        /// RenameInhibit.
        const RENAME_INHIBIT = 0x0080;
        /// DeleteInhibit.
        const DELETE_INHIBIT = 0x0100;
        /// Set/Clear: in set calls, 1 sets the given bits, 0 clears them.
        const SET_CLEAR = 0x8000;
    }

    /// Access rights (spec §4.6): user summary, everyone, group and owner bytes.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct AccessRights: u32 {
        /// Owner may search.
        const OWNER_SEARCH = 0x0000_0001;
        /// Owner may read.
        const OWNER_READ = 0x0000_0002;
        /// Owner may write.
        const OWNER_WRITE = 0x0000_0004;
        /// Group may search.
        const GROUP_SEARCH = 0x0000_0100;
        /// Group may read.
        const GROUP_READ = 0x0000_0200;
        /// Group may write.
        const GROUP_WRITE = 0x0000_0400;
        /// Everyone may search.
        const EVERYONE_SEARCH = 0x0001_0000;
        /// Everyone may read.
        const EVERYONE_READ = 0x0002_0000;
        /// Everyone may write.
        const EVERYONE_WRITE = 0x0004_0000;
        /// The requesting user may search.
        const USER_SEARCH = 0x0100_0000;
        /// The requesting user may read.
        const USER_READ = 0x0200_0000;
        /// The requesting user may write.
        const USER_WRITE = 0x0400_0000;
        /// Blank access privileges.
        const BLANK_ACCESS = 0x1000_0000;
        /// The requesting user is the owner.
        const USER_IS_OWNER = 0x8000_0000;
    }
}

impl VolumeBitmap {
    /// Checks the bits a server supports for `version`: 0x0FFF from AFP 2.2 on, 0x01FF
    /// before ([A-Ref] `kFPBadVolBitmap`).
    pub fn check(self, version: AfpVersion) -> Result<(), DecodeError> {
        let valid = if version >= AfpVersion::V2_2 {
            0x0FFF
        } else {
            0x01FF
        };
        check_bits(self.bits(), valid, "volume bitmap")
    }
}

impl FileBitmap {
    /// Checks the bits a server supports for `version`: the launch limit (bit 12) is never
    /// valid; bits 11, 14 and 15 need AFP 3.0.
    pub fn check(self, version: AfpVersion) -> Result<(), DecodeError> {
        let valid = if version.is_afp3() { 0xEFFF } else { 0x27FF };
        check_bits(self.bits(), valid, "file bitmap")
    }
}

impl DirBitmap {
    /// Checks the bits a server supports for `version`: bit 14 is never valid; bit 15
    /// needs AFP 3.0.
    pub fn check(self, version: AfpVersion) -> Result<(), DecodeError> {
        let valid = if version.is_afp3() { 0xBFFF } else { 0x3FFF };
        check_bits(self.bits(), valid, "directory bitmap")
    }
}

pub(super) fn check_bits(bits: u16, valid: u16, context: &'static str) -> Result<(), DecodeError> {
    if bits & !valid != 0 {
        Err(DecodeError::BadBitmap {
            bitmap: bits,
            context,
        })
    } else {
        Ok(())
    }
}
