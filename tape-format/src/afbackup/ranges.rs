//! afbackup cartridge ranges (`ranges.c`; `spec/tape-format.md` §1): `2-4,9`, `-2`, `8-`.
//!
//! Items are separated by commas; an item is `n` or `a-b`, and either bound of a range may
//! be missing: a missing start means 1, a missing end means the configured number of
//! cartridges. The items are kept as written, so a file reads back byte for byte.

use std::fmt;

use crate::error::DecodeError;

/// One item of a range list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeItem {
    /// `n`.
    Single(u32),
    /// `a-b`, `-b`, `a-` or `-`.
    Range {
        /// Start; `None` = from cartridge 1.
        start: Option<u32>,
        /// End; `None` = up to the number of cartridges.
        end: Option<u32>,
    },
}

/// A comma-separated list of cartridge numbers and ranges.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RangeSet {
    /// The items, in written order.
    pub items: Vec<RangeItem>,
}

pub(crate) fn parse_u32(s: &str, what: &'static str) -> Result<u32, DecodeError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DecodeError::BadNumber(what));
    }
    s.parse().map_err(|_| DecodeError::BadNumber(what))
}

pub(crate) fn parse_u64(s: &str, what: &'static str) -> Result<u64, DecodeError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DecodeError::BadNumber(what));
    }
    s.parse().map_err(|_| DecodeError::BadNumber(what))
}

impl RangeSet {
    /// An empty set.
    pub fn new() -> Self {
        RangeSet::default()
    }

    /// Parse `2-4,9,-2,8-`.
    pub fn parse(s: &str) -> Result<RangeSet, DecodeError> {
        let mut items = Vec::new();
        if s.is_empty() {
            return Ok(RangeSet { items });
        }
        for part in s.split(',') {
            let item = match part.split_once('-') {
                None => RangeItem::Single(parse_u32(part, "range")?),
                Some((a, b)) => RangeItem::Range {
                    start: if a.is_empty() {
                        None
                    } else {
                        Some(parse_u32(a, "range start")?)
                    },
                    end: if b.is_empty() {
                        None
                    } else {
                        Some(parse_u32(b, "range end")?)
                    },
                },
            };
            items.push(item);
        }
        Ok(RangeSet { items })
    }

    /// Whether cartridge `n` is in the set, with open ends bound to `num_cartridges`.
    pub fn contains(&self, n: u32, num_cartridges: u32) -> bool {
        self.items.iter().any(|it| match *it {
            RangeItem::Single(v) => v == n,
            RangeItem::Range { start, end } => {
                start.unwrap_or(1) <= n && n <= end.unwrap_or(num_cartridges)
            }
        })
    }

    /// Add cartridge `n` as a single item unless it is already in the set.
    pub fn insert(&mut self, n: u32, num_cartridges: u32) {
        if !self.contains(n, num_cartridges) {
            self.items.push(RangeItem::Single(n));
        }
    }

    /// Remove cartridge `n`, splitting ranges around it (open ends are resolved with
    /// `num_cartridges`).
    pub fn remove(&mut self, n: u32, num_cartridges: u32) {
        let mut out = Vec::with_capacity(self.items.len() + 1);
        for it in self.items.drain(..) {
            match it {
                RangeItem::Single(v) if v == n => {}
                RangeItem::Range { start, end } => {
                    let (a, b) = (start.unwrap_or(1), end.unwrap_or(num_cartridges));
                    if a <= n && n <= b {
                        let mut push = |lo: u32, hi: u32| {
                            if lo == hi {
                                out.push(RangeItem::Single(lo));
                            } else if lo < hi {
                                out.push(RangeItem::Range {
                                    start: Some(lo),
                                    end: Some(hi),
                                });
                            }
                        };
                        if n > a {
                            push(a, n - 1);
                        }
                        if n < b {
                            push(n + 1, b);
                        }
                    } else {
                        out.push(it);
                    }
                }
                other => out.push(other),
            }
        }
        self.items = out;
    }

    /// Every cartridge in the set, ascending, with open ends bound to `num_cartridges`.
    pub fn expand(&self, num_cartridges: u32) -> Vec<u32> {
        (1..=num_cartridges)
            .filter(|&n| self.contains(n, num_cartridges))
            .collect()
    }
}

impl fmt::Display for RangeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, it) in self.items.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            match *it {
                RangeItem::Single(v) => write!(f, "{v}")?,
                RangeItem::Range { start, end } => {
                    if let Some(a) = start {
                        write!(f, "{a}")?;
                    }
                    f.write_str("-")?;
                    if let Some(b) = end {
                        write!(f, "{b}")?;
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_forms_with_open_ends() {
        for s in ["2-4", "-2", "8-", "2-4,9", "1-3,7", "-"] {
            assert_eq!(RangeSet::parse(s).unwrap().to_string(), s);
        }
        let r = RangeSet::parse("2-4,-2,8-").unwrap();
        let hits: Vec<u32> = (1..=10).filter(|&n| r.contains(n, 10)).collect();
        assert_eq!(hits, [1, 2, 3, 4, 8, 9, 10]);
        assert!(!RangeSet::parse("8-").unwrap().contains(9, 8));
        assert!(RangeSet::parse("a").is_err());
        assert!(RangeSet::parse("1,,2").is_err());
        assert!(RangeSet::parse("1-2-3").is_err());
    }

    #[test]
    fn insert_and_remove() {
        let mut r = RangeSet::parse("2-6").unwrap();
        r.remove(4, 10);
        assert_eq!(r.to_string(), "2-3,5-6");
        r.remove(2, 10);
        assert_eq!(r.to_string(), "3,5-6");
        r.insert(9, 10);
        r.insert(5, 10);
        assert_eq!(r.to_string(), "3,5-6,9");
        let mut open = RangeSet::parse("8-").unwrap();
        open.remove(9, 10);
        assert_eq!(open.to_string(), "8,10");
        assert_eq!(RangeSet::parse("-2,9-").unwrap().expand(10), [1, 2, 9, 10]);
    }
}
