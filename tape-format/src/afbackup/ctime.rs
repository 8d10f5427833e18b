//! The `ctime(3)` text afbackup writes in its label and `status` file
//! (`Tue Jan  2 03:04:05 2024`), computed from seconds since the epoch without reading a
//! clock or a time-zone database (the caller adds its UTC offset).

use std::fmt;

use crate::error::DecodeError;

const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A broken-down time as `ctime(3)` prints it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CTime {
    /// Day of the week, 0 = Sunday.
    pub weekday: u8,
    /// Month, 1-12.
    pub month: u8,
    /// Day of the month, 1-31.
    pub day: u8,
    /// Hour, 0-23.
    pub hour: u8,
    /// Minute, 0-59.
    pub minute: u8,
    /// Second, 0-60.
    pub second: u8,
    /// Year, 0-9999.
    pub year: u16,
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

impl CTime {
    /// The time `secs` seconds after 1970-01-01 00:00:00 (already shifted by the caller's
    /// UTC offset for local time). Years are clamped to 0..=9999.
    pub fn from_unix(secs: i64) -> CTime {
        let min = days_from_civil(0, 1, 1) * 86_400;
        let max = days_from_civil(10_000, 1, 1) * 86_400 - 1;
        let secs = secs.clamp(min, max);
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        // Civil-from-days (proleptic Gregorian).
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        CTime {
            weekday: (days + 4).rem_euclid(7) as u8,
            month: month as u8,
            day: day as u8,
            hour: (rem / 3600) as u8,
            minute: (rem / 60 % 60) as u8,
            second: (rem % 60) as u8,
            year: year as u16,
        }
    }

    /// Seconds since the epoch for this time (the weekday is not checked).
    pub fn to_unix(&self) -> i64 {
        days_from_civil(
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        ) * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }

    /// Parse exactly the 24 characters `ctime` prints (no trailing newline).
    pub fn parse(s: &str) -> Result<CTime, DecodeError> {
        let b = s.as_bytes();
        if b.len() != 24 || !s.is_ascii() {
            return Err(DecodeError::BadField("ctime"));
        }
        let field = |r: std::ops::Range<usize>| &s[r];
        let weekday = DAYS
            .iter()
            .position(|d| *d == field(0..3))
            .ok_or(DecodeError::BadField("ctime weekday"))?;
        let month = MONTHS
            .iter()
            .position(|m| *m == field(4..7))
            .ok_or(DecodeError::BadField("ctime month"))?;
        if b[3] != b' '
            || b[7] != b' '
            || b[10] != b' '
            || b[13] != b':'
            || b[16] != b':'
            || b[19] != b' '
        {
            return Err(DecodeError::BadField("ctime"));
        }
        let digits = |r: std::ops::Range<usize>, what| -> Result<u16, DecodeError> {
            let t = field(r);
            if !t.bytes().all(|c| c.is_ascii_digit()) {
                return Err(DecodeError::BadNumber(what));
            }
            t.parse().map_err(|_| DecodeError::BadNumber(what))
        };
        let day = if b[8] == b' ' {
            digits(9..10, "ctime day")?
        } else {
            digits(8..10, "ctime day")?
        };
        let t = CTime {
            weekday: weekday as u8,
            month: month as u8 + 1,
            day: day as u8,
            hour: digits(11..13, "ctime hour")? as u8,
            minute: digits(14..16, "ctime minute")? as u8,
            second: digits(17..19, "ctime second")? as u8,
            year: digits(20..24, "ctime year")?,
        };
        if !(1..=31).contains(&t.day) || t.hour > 23 || t.minute > 59 || t.second > 60 {
            return Err(DecodeError::BadField("ctime"));
        }
        Ok(t)
    }
}

impl fmt::Display for CTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {:2} {:02}:{:02}:{:02} {:04}",
            DAYS[usize::from(self.weekday % 7)],
            MONTHS[usize::from((self.month.clamp(1, 12)) - 1)],
            self.day,
            self.hour,
            self.minute,
            self.second,
            self.year
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_example() {
        // 2024-01-02 03:04:05 UTC, the spec's status example.
        let t = CTime::from_unix(1_704_164_645);
        assert_eq!(t.to_string(), "Tue Jan  2 03:04:05 2024");
        assert_eq!(CTime::parse("Tue Jan  2 03:04:05 2024").unwrap(), t);
        assert_eq!(t.to_unix(), 1_704_164_645);
        assert_eq!(CTime::from_unix(0).to_string(), "Thu Jan  1 00:00:00 1970");
        assert_eq!(
            CTime::from_unix(951_782_400).to_string(),
            "Tue Feb 29 00:00:00 2000"
        );
    }

    #[test]
    fn rejects_malformed() {
        for s in [
            "Tue Jan  2 03:04:05 202",
            "Xyz Jan  2 03:04:05 2024",
            "Tue Jan  2 25:04:05 2024",
            "Tue Jan 0x 03:04:05 2024",
        ] {
            assert!(CTime::parse(s).is_err(), "{s}");
        }
    }

    proptest::proptest! {
        #[test]
        fn unix_round_trip(secs in -62_000_000_000i64..253_000_000_000i64) {
            let t = CTime::from_unix(secs);
            proptest::prop_assert_eq!(t.to_unix(), secs);
            proptest::prop_assert_eq!(CTime::parse(&t.to_string()).unwrap(), t);
        }
    }
}
