//! Our `X-TF-*` extension lines (FORMAT.md "Extension lines"; `spec/tape-format.md` §8.3).
//!
//! Amanda's reader ignores lines it does not know (verified with `amrestore`, §7 #12), so
//! the afbackup facts of a cartridge and the continuation chain of a stream ride along in
//! the Amanda headers without breaking Amanda's tools.
//!
//! | header | line | meaning |
//! |---|---|---|
//! | TAPESTART | `X-TF-CART=<n>` | cartridge number (afbackup "Cartridge number") |
//! | TAPESTART | `X-TF-CART2=<n>` | second number of a duplicate ("2nd cartridge number") |
//! | TAPESTART | `X-TF-SET=<n>` | cartridge set |
//! | TAPESTART | `X-TF-BLOCKSIZE=<bytes>` | data block size |
//! | TAPESTART | `X-TF-LABELED=<epoch>` | labelling time, seconds since 1970 |
//! | FILE/SPLIT_FILE | `X-TF-STREAM=<16 hex>` | the backup stream this file belongs to |
//! | FILE/SPLIT_FILE | `X-TF-OFFSET=<n>` | byte offset of this file's data in the stream |
//! | FILE/SPLIT_FILE | `X-TF-PREV=<cart> <file>` | the stream's previous part is on another cartridge, here |

use super::header::{TapeStart, extra_value};
use crate::error::DecodeError;

/// Cartridge facts carried in a TAPESTART header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VolumeInfo {
    /// Cartridge number, from 1.
    pub cart: u32,
    /// Second cartridge number (a duplicate of that cartridge).
    pub cart2: Option<u32>,
    /// Cartridge set.
    pub set: Option<u32>,
    /// Data block size in bytes.
    pub blocksize: Option<u32>,
    /// Labelling time, seconds since the epoch.
    pub labeled: Option<u64>,
}

fn num<T: std::str::FromStr>(
    v: Option<&str>,
    what: &'static str,
) -> Result<Option<T>, DecodeError> {
    v.map(|s| {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DecodeError::BadNumber(what));
        }
        s.parse().map_err(|_| DecodeError::BadNumber(what))
    })
    .transpose()
}

impl VolumeInfo {
    /// Read the facts from a TAPESTART header; `None` when it has no `X-TF-CART` line
    /// (a plain Amanda volume).
    pub fn from_tapestart(t: &TapeStart) -> Result<Option<Self>, DecodeError> {
        let Some(cart) = num(t.extra_value("X-TF-CART"), "X-TF-CART")? else {
            return Ok(None);
        };
        Ok(Some(VolumeInfo {
            cart,
            cart2: num(t.extra_value("X-TF-CART2"), "X-TF-CART2")?,
            set: num(t.extra_value("X-TF-SET"), "X-TF-SET")?,
            blocksize: num(t.extra_value("X-TF-BLOCKSIZE"), "X-TF-BLOCKSIZE")?,
            labeled: num(t.extra_value("X-TF-LABELED"), "X-TF-LABELED")?,
        }))
    }

    /// The extension lines, in FORMAT.md order.
    pub fn to_lines(&self) -> Vec<String> {
        let mut v = vec![format!("X-TF-CART={}", self.cart)];
        if let Some(c) = self.cart2 {
            v.push(format!("X-TF-CART2={c}"));
        }
        if let Some(s) = self.set {
            v.push(format!("X-TF-SET={s}"));
        }
        if let Some(b) = self.blocksize {
            v.push(format!("X-TF-BLOCKSIZE={b}"));
        }
        if let Some(t) = self.labeled {
            v.push(format!("X-TF-LABELED={t}"));
        }
        v
    }

    /// Whether the label names cartridge `n` as its primary or secondary number (afbackup
    /// accepts either, §2.2).
    pub fn names(&self, n: u32) -> bool {
        self.cart == n || self.cart2 == Some(n)
    }
}

/// Stream facts carried in a dump header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartInfo {
    /// Stream identifier.
    pub stream: u64,
    /// Byte offset of this file's data within the stream.
    pub offset: u64,
    /// Where the previous part lies, when it is on another cartridge: (cartridge, file).
    pub prev: Option<(u32, u32)>,
}

impl PartInfo {
    /// Read the facts from a dump header's extension lines; `None` without `X-TF-STREAM`.
    pub fn from_extra(extra: &[String]) -> Result<Option<Self>, DecodeError> {
        let Some(s) = extra_value(extra, "X-TF-STREAM") else {
            return Ok(None);
        };
        if s.len() != 16
            || !s
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(DecodeError::BadField("X-TF-STREAM"));
        }
        let stream =
            u64::from_str_radix(s, 16).map_err(|_| DecodeError::BadNumber("X-TF-STREAM"))?;
        let offset = num(extra_value(extra, "X-TF-OFFSET"), "X-TF-OFFSET")?
            .ok_or(DecodeError::Missing("X-TF-OFFSET"))?;
        let prev = match extra_value(extra, "X-TF-PREV") {
            None => None,
            Some(v) => {
                let (c, f) = v
                    .split_once(' ')
                    .ok_or(DecodeError::BadField("X-TF-PREV"))?;
                Some((
                    num(Some(c), "X-TF-PREV")?.unwrap_or(0),
                    num(Some(f), "X-TF-PREV")?.unwrap_or(0),
                ))
            }
        };
        Ok(Some(PartInfo {
            stream,
            offset,
            prev,
        }))
    }

    /// The extension lines, in FORMAT.md order.
    pub fn to_lines(&self) -> Vec<String> {
        let mut v = vec![
            format!("X-TF-STREAM={:016x}", self.stream),
            format!("X-TF-OFFSET={}", self.offset),
        ];
        if let Some((c, f)) = self.prev {
            v.push(format!("X-TF-PREV={c} {f}"));
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_info_round_trip() {
        let v = VolumeInfo {
            cart: 7,
            cart2: Some(3),
            set: Some(1),
            blocksize: Some(32768),
            labeled: Some(1704164645),
        };
        let t = TapeStart {
            datestamp: "X".into(),
            label: "AF-007".into(),
            extra: v.to_lines(),
        };
        assert_eq!(VolumeInfo::from_tapestart(&t).unwrap(), Some(v));
        assert!(v.names(7) && v.names(3) && !v.names(1));
        let plain = TapeStart {
            datestamp: "X".into(),
            label: "L".into(),
            extra: vec![],
        };
        assert_eq!(VolumeInfo::from_tapestart(&plain).unwrap(), None);
        let bad = TapeStart {
            datestamp: "X".into(),
            label: "L".into(),
            extra: vec!["X-TF-CART=-1".into()],
        };
        assert!(VolumeInfo::from_tapestart(&bad).is_err());
    }

    #[test]
    fn part_info_round_trip() {
        let p = PartInfo {
            stream: 0x0123_4567_89ab_cdef,
            offset: 65536,
            prev: Some((2, 5)),
        };
        assert_eq!(PartInfo::from_extra(&p.to_lines()).unwrap(), Some(p));
        assert_eq!(PartInfo::from_extra(&[]).unwrap(), None);
        assert!(PartInfo::from_extra(&["X-TF-STREAM=zz".into()]).is_err());
    }
}
