//! AFP dates: seconds since 2000-01-01 00:00:00 UTC (spec §2.7).
//!
//! An AFP date is a signed 32-bit count of seconds from the AFP epoch, 2000-01-01 00:00:00
//! UTC, so it covers 1931-12-13 to 2068-01-19. The most negative value, `0x80000000`,
//! means "never" (a backup date that was never set). Converting to Unix time adds
//! 946 684 800 seconds (netatalk's `AD_DATE_DELTA`).

use core::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds between the Unix epoch and the AFP epoch (2000-01-01 00:00:00 UTC).
pub const AFP_EPOCH_UNIX: i64 = 946_684_800;

/// An AFP date as carried on the wire (i32, big-endian).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct AfpDate(pub i32);

impl AfpDate {
    /// "Never" / unset: `0x80000000` (spec §2.7). New objects get it as their backup date.
    pub const NEVER: AfpDate = AfpDate(i32::MIN);

    /// The AFP epoch itself, 2000-01-01 00:00:00 UTC.
    pub const EPOCH: AfpDate = AfpDate(0);

    /// True for [`AfpDate::NEVER`].
    pub fn is_never(self) -> bool {
        self == AfpDate::NEVER
    }

    /// The date for Unix time `secs`. Times outside the AFP range are clamped to its ends
    /// (never to [`AfpDate::NEVER`]).
    pub fn from_unix(secs: i64) -> AfpDate {
        let afp = secs.saturating_sub(AFP_EPOCH_UNIX);
        AfpDate(afp.clamp(i64::from(i32::MIN) + 1, i64::from(i32::MAX)) as i32)
    }

    /// Unix time in seconds, or `None` for [`AfpDate::NEVER`].
    pub fn to_unix(self) -> Option<i64> {
        if self.is_never() {
            None
        } else {
            Some(i64::from(self.0) + AFP_EPOCH_UNIX)
        }
    }

    /// The date for a [`SystemTime`] (sub-second parts are dropped, rounding towards the
    /// past; out-of-range times are clamped as in [`AfpDate::from_unix`]).
    pub fn from_system_time(t: SystemTime) -> AfpDate {
        let secs = match t.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            Err(e) => {
                let d = e.duration();
                let whole = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
                // 0.5 s before the epoch is second -1, not 0.
                let carry = i64::from(d.subsec_nanos() > 0);
                whole.saturating_add(carry).saturating_neg()
            }
        };
        AfpDate::from_unix(secs)
    }

    /// The date as a [`SystemTime`], or `None` for [`AfpDate::NEVER`].
    pub fn to_system_time(self) -> Option<SystemTime> {
        let unix = self.to_unix()?;
        let magnitude = Duration::from_secs(unix.unsigned_abs());
        if unix >= 0 {
            UNIX_EPOCH.checked_add(magnitude)
        } else {
            UNIX_EPOCH.checked_sub(magnitude)
        }
    }
}

impl fmt::Debug for AfpDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_never() {
            f.write_str("AfpDate(never)")
        } else {
            write!(f, "AfpDate({})", self.0)
        }
    }
}

impl From<i32> for AfpDate {
    fn from(v: i32) -> Self {
        AfpDate(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_delta_matches_netatalk() {
        // spec §2.7: "AFP = unix − 946684800".
        assert_eq!(AfpDate::from_unix(946_684_800), AfpDate(0));
        assert_eq!(AfpDate(0).to_unix(), Some(946_684_800));
        assert_eq!(AfpDate(-1).to_unix(), Some(946_684_799));
        assert_eq!(AfpDate::NEVER.to_unix(), None);
        assert_eq!(AfpDate::NEVER.0 as u32, 0x8000_0000);
    }

    #[test]
    fn clamps_instead_of_producing_never() {
        assert_eq!(AfpDate::from_unix(i64::MIN), AfpDate(i32::MIN + 1));
        assert_eq!(AfpDate::from_unix(i64::MAX), AfpDate(i32::MAX));
    }

    #[test]
    fn system_time_round_trip() {
        let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let d = AfpDate::from_system_time(t);
        assert_eq!(d.to_system_time(), Some(t));
        let before = UNIX_EPOCH - Duration::from_millis(500);
        assert_eq!(AfpDate::from_system_time(before).to_unix(), Some(-1));
        assert_eq!(AfpDate::NEVER.to_system_time(), None);
    }
}
