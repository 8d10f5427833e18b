//! AFP protocol versions and their version strings (spec §2.2).
//!
//! A client names the version it wants in FPLogin/FPLoginExt with one of the exact,
//! case-sensitive strings the server listed in its status block. An unknown string gets
//! kFPBadVersNum (-5003).

use core::fmt;

/// An AFP protocol version a server can advertise and a client can log in with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum AfpVersion {
    /// `AFPVersion 2.1`, the first version usable over TCP.
    V2_1,
    /// `AFP2.2`.
    V2_2,
    /// `AFP2.3`.
    V2_3,
    /// `AFPX03` (AFP 3.0).
    V3_0,
    /// `AFP3.1`.
    V3_1,
    /// `AFP3.2`.
    V3_2,
    /// `AFP3.3`: replay cache mandatory.
    V3_3,
    /// `AFP3.4`: ENOATTR maps to kFPItemNotFound.
    V3_4,
}

impl AfpVersion {
    /// Every version, oldest first.
    pub const ALL: [AfpVersion; 8] = [
        AfpVersion::V2_1,
        AfpVersion::V2_2,
        AfpVersion::V2_3,
        AfpVersion::V3_0,
        AfpVersion::V3_1,
        AfpVersion::V3_2,
        AfpVersion::V3_3,
        AfpVersion::V3_4,
    ];

    /// What netatalk advertises, in its order: AFP2.2, AFPX03, AFP3.1 … AFP3.4.
    pub const NETATALK_DEFAULT: [AfpVersion; 6] = [
        AfpVersion::V2_2,
        AfpVersion::V3_0,
        AfpVersion::V3_1,
        AfpVersion::V3_2,
        AfpVersion::V3_3,
        AfpVersion::V3_4,
    ];

    /// The exact version string sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            AfpVersion::V2_1 => "AFPVersion 2.1",
            AfpVersion::V2_2 => "AFP2.2",
            AfpVersion::V2_3 => "AFP2.3",
            AfpVersion::V3_0 => "AFPX03",
            AfpVersion::V3_1 => "AFP3.1",
            AfpVersion::V3_2 => "AFP3.2",
            AfpVersion::V3_3 => "AFP3.3",
            AfpVersion::V3_4 => "AFP3.4",
        }
    }

    /// Parses a version string exactly as sent (case-sensitive, no trimming).
    pub fn from_wire(bytes: &[u8]) -> Option<AfpVersion> {
        AfpVersion::ALL
            .into_iter()
            .find(|v| v.as_str().as_bytes() == bytes)
    }

    /// Major and minor number, e.g. `(3, 4)`.
    pub fn number(self) -> (u8, u8) {
        match self {
            AfpVersion::V2_1 => (2, 1),
            AfpVersion::V2_2 => (2, 2),
            AfpVersion::V2_3 => (2, 3),
            AfpVersion::V3_0 => (3, 0),
            AfpVersion::V3_1 => (3, 1),
            AfpVersion::V3_2 => (3, 2),
            AfpVersion::V3_3 => (3, 3),
            AfpVersion::V3_4 => (3, 4),
        }
    }

    /// True from AFP 3.0 on (UTF-8 names, 64-bit forks).
    pub fn is_afp3(self) -> bool {
        self >= AfpVersion::V3_0
    }
}

impl fmt::Display for AfpVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_round_trip_and_are_exact() {
        for v in AfpVersion::ALL {
            assert_eq!(AfpVersion::from_wire(v.as_str().as_bytes()), Some(v));
        }
        assert_eq!(AfpVersion::from_wire(b"afp3.4"), None);
        assert_eq!(AfpVersion::from_wire(b"AFPX02"), None);
        assert!(AfpVersion::V3_0.is_afp3() && !AfpVersion::V2_2.is_afp3());
    }
}
