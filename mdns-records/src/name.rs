//! Domain names (RFC 1035 §3.1, §4.1.4; RFC 6762 §16; RFC 6763 §4.3).
//!
//! A [`Name`] holds the uncompressed wire form: each label as a length byte and that many
//! bytes, ending with the zero-length root label. Labels are opaque bytes (DNS-SD instance
//! names are UTF-8 and may contain dots and spaces); comparison for lookups is
//! case-insensitive for ASCII letters only ([`Name::eq_ignore_ascii_case`]).
//!
//! ```text
//!  02 'z' 'f' 05 'l' 'o' 'c' 'a' 'l' 00     zf.local.
//! ```
//!
//! Decoding follows compression pointers (`11xxxxxx xxxxxxxx`, an offset from the start
//! of the message) strictly: a pointer must point before the run of labels it ends, so
//! forward pointers and loops are both rejected and every name decodes in bounded time.

use core::fmt;
use core::str::FromStr;

use bytes::Bytes;

use crate::error::{DecodeError, NameError};

/// Longest label, in bytes (RFC 1035 §2.3.4).
pub const MAX_LABEL_LEN: usize = 63;
/// Longest name in wire form, length bytes and root byte included (RFC 1035 §2.3.4).
pub const MAX_NAME_LEN: usize = 255;

/// A domain name in uncompressed wire form. Cheap to clone.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name(Bytes);

impl Name {
    /// The root name `.` (a single zero byte).
    pub fn root() -> Self {
        Name(Bytes::from_static(&[0]))
    }

    /// Builds a name from its labels, most specific first (no root label).
    pub fn from_labels<I, L>(labels: I) -> Result<Self, NameError>
    where
        I: IntoIterator<Item = L>,
        L: AsRef<[u8]>,
    {
        let mut wire = Vec::with_capacity(32);
        for label in labels {
            push_label(&mut wire, label.as_ref())?;
        }
        wire.push(0);
        if wire.len() > MAX_NAME_LEN {
            return Err(NameError::NameTooLong(wire.len()));
        }
        Ok(Name(Bytes::from(wire)))
    }

    /// Builds a name from uncompressed wire bytes, checking every label.
    pub fn from_wire(wire: &[u8]) -> Result<Self, NameError> {
        let mut rest = wire;
        let mut labels = Vec::new();
        loop {
            let (&len, tail) = rest.split_first().ok_or(NameError::BadEscape)?;
            if len == 0 {
                if !tail.is_empty() {
                    return Err(NameError::BadEscape);
                }
                break;
            }
            let len = usize::from(len);
            if len > MAX_LABEL_LEN {
                return Err(NameError::LabelTooLong(len));
            }
            let label = tail.get(..len).ok_or(NameError::BadEscape)?;
            labels.push(label);
            rest = &tail[len..];
        }
        Self::from_labels(labels)
    }

    /// Parses presentation form: labels separated by `.`, an optional trailing `.`,
    /// `\.` and `\\` for literal dots and backslashes inside a label, `\DDD` for any byte.
    /// `""` and `"."` are the root. UTF-8 text is kept as is (RFC 6763 §4.3).
    pub fn parse(text: &str) -> Result<Self, NameError> {
        if text.is_empty() || text == "." {
            return Ok(Self::root());
        }
        let bytes = text.as_bytes();
        let mut labels: Vec<Vec<u8>> = Vec::new();
        let mut label = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => {
                    let next = *bytes.get(i + 1).ok_or(NameError::BadEscape)?;
                    if next.is_ascii_digit() {
                        let digits = bytes.get(i + 1..i + 4).ok_or(NameError::BadEscape)?;
                        if !digits.iter().all(u8::is_ascii_digit) {
                            return Err(NameError::BadEscape);
                        }
                        let value = digits
                            .iter()
                            .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
                        label.push(u8::try_from(value).map_err(|_| NameError::BadEscape)?);
                        i += 4;
                    } else {
                        label.push(next);
                        i += 2;
                    }
                }
                b'.' => {
                    if label.is_empty() {
                        return Err(NameError::EmptyLabel);
                    }
                    labels.push(core::mem::take(&mut label));
                    i += 1;
                }
                other => {
                    label.push(other);
                    i += 1;
                }
            }
        }
        if !label.is_empty() {
            labels.push(label);
        }
        Self::from_labels(labels)
    }

    /// The uncompressed wire form, root byte included.
    pub fn as_wire(&self) -> &[u8] {
        &self.0
    }

    /// Length of the uncompressed wire form (1 for the root).
    pub fn wire_len(&self) -> usize {
        self.0.len()
    }

    /// True for the root name.
    pub fn is_root(&self) -> bool {
        self.0.len() == 1
    }

    /// The labels, most specific first, without the root label.
    pub fn labels(&self) -> Labels<'_> {
        Labels { rest: &self.0 }
    }

    /// The first (most specific) label, `None` for the root.
    pub fn first_label(&self) -> Option<&[u8]> {
        self.labels().next()
    }

    /// The name without its first label (`zf.local.` → `local.`), `None` for the root.
    pub fn parent(&self) -> Option<Name> {
        let len = usize::from(*self.0.first()?);
        if len == 0 {
            return None;
        }
        Some(Name(self.0.slice(1 + len..)))
    }

    /// This name with `label` in front (`local.` + `zf` → `zf.local.`).
    pub fn prepend(&self, label: &[u8]) -> Result<Name, NameError> {
        let mut wire = Vec::with_capacity(self.0.len() + 1 + label.len());
        push_label(&mut wire, label)?;
        wire.extend_from_slice(&self.0);
        if wire.len() > MAX_NAME_LEN {
            return Err(NameError::NameTooLong(wire.len()));
        }
        Ok(Name(Bytes::from(wire)))
    }

    /// Case-insensitive comparison for ASCII letters only (RFC 6762 §16).
    pub fn eq_ignore_ascii_case(&self, other: &Name) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }

    /// True when `suffix` is this name or one of its ancestors (ASCII case-insensitive).
    pub fn ends_with(&self, suffix: &Name) -> bool {
        let mut name = Some(self.clone());
        while let Some(n) = name {
            if n.0.len() < suffix.0.len() {
                return false;
            }
            if n.eq_ignore_ascii_case(suffix) {
                return true;
            }
            name = n.parent();
        }
        false
    }

    /// The name with ASCII letters folded to lower case, a key for case-insensitive maps.
    pub fn to_ascii_lowercase(&self) -> Name {
        Name(Bytes::from(self.0.to_ascii_lowercase()))
    }

    /// Decodes a possibly compressed name starting at `start` in the whole message `msg`.
    /// Returns the name and the offset just after it (after the first pointer, if any).
    pub(crate) fn decode(msg: &Bytes, start: usize) -> Result<(Name, usize), DecodeError> {
        let bytes: &[u8] = msg;
        let mut pos = start;
        let mut run_start = start;
        // Names with pointers are assembled on the stack and copied once, at their size.
        let mut copied: Option<([u8; MAX_NAME_LEN], usize)> = None;
        let mut resume = 0usize;
        let mut len = 0usize;
        loop {
            let &b = bytes.get(pos).ok_or(DecodeError::Truncated("name"))?;
            match b >> 6 {
                0b00 => {
                    let l = usize::from(b);
                    let end = pos + 1 + l;
                    let label = bytes.get(pos..end).ok_or(DecodeError::Truncated("name"))?;
                    // RFC 1035 §2.3.4: "names 255 octets or less", counting length bytes.
                    len += label.len();
                    if len > MAX_NAME_LEN {
                        return Err(DecodeError::NameTooLong);
                    }
                    if let Some((out, used)) = copied.as_mut() {
                        // `len` ≤ 255 was checked above, so this fits.
                        out[*used..*used + label.len()].copy_from_slice(label);
                        *used += label.len();
                    }
                    if l == 0 {
                        return Ok(match copied {
                            None => (Name(msg.slice(start..end)), end),
                            Some((out, used)) => {
                                (Name(Bytes::copy_from_slice(&out[..used])), resume)
                            }
                        });
                    }
                    pos = end;
                }
                0b11 => {
                    let &low = bytes.get(pos + 1).ok_or(DecodeError::Truncated("name"))?;
                    let target = usize::from(b & 0x3f) << 8 | usize::from(low);
                    let at = offset16(pos);
                    // RFC 1035 §4.1.4: a pointer names "a prior occurance of the same name";
                    // only strictly earlier runs are accepted, which also rules out loops.
                    if target > pos {
                        return Err(DecodeError::ForwardPointer {
                            at,
                            target: offset16(target),
                        });
                    }
                    if target >= run_start {
                        return Err(DecodeError::PointerLoop {
                            at,
                            target: offset16(target),
                        });
                    }
                    if copied.is_none() {
                        let mut out = [0u8; MAX_NAME_LEN];
                        out[..pos - start].copy_from_slice(&bytes[start..pos]);
                        copied = Some((out, pos - start));
                        resume = pos + 2;
                    }
                    pos = target;
                    run_start = target;
                }
                _ => return Err(DecodeError::BadLabelType(b)),
            }
        }
    }
}

fn offset16(pos: usize) -> u16 {
    u16::try_from(pos).unwrap_or(u16::MAX)
}

fn push_label(wire: &mut Vec<u8>, label: &[u8]) -> Result<(), NameError> {
    if label.is_empty() {
        return Err(NameError::EmptyLabel);
    }
    let len = u8::try_from(label.len())
        .ok()
        .filter(|&l| usize::from(l) <= MAX_LABEL_LEN)
        .ok_or(NameError::LabelTooLong(label.len()))?;
    wire.push(len);
    wire.extend_from_slice(label);
    Ok(())
}

/// Iterator over a name's labels, see [`Name::labels`].
#[derive(Debug, Clone)]
pub struct Labels<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Labels<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let (&len, tail) = self.rest.split_first()?;
        if len == 0 {
            self.rest = &[];
            return None;
        }
        let (label, rest) = tail.split_at(usize::from(len).min(tail.len()));
        self.rest = rest;
        Some(label)
    }
}

impl FromStr for Name {
    type Err = NameError;

    fn from_str(s: &str) -> Result<Self, NameError> {
        Name::parse(s)
    }
}

impl fmt::Display for Name {
    /// Presentation form with a trailing dot; `.` and `\` inside labels are escaped, control
    /// characters and invalid UTF-8 are written `\DDD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_root() {
            return f.write_str(".");
        }
        for label in self.labels() {
            for chunk in label.utf8_chunks() {
                for c in chunk.valid().chars() {
                    match c {
                        '.' | '\\' => write!(f, "\\{c}")?,
                        c if c.is_control() => write!(f, "\\{:03}", u32::from(c))?,
                        c => write!(f, "{c}")?,
                    }
                }
                for b in chunk.invalid() {
                    write!(f, "\\{b:03}")?;
                }
            }
            f.write_str(".")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Name({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display_round_trip() {
        let n = Name::parse("zf._afpovertcp._tcp.local.").unwrap();
        assert_eq!(n.labels().count(), 4);
        assert_eq!(n.to_string(), "zf._afpovertcp._tcp.local.");
        let dotted = Name::parse(r"My\.Server (2)._adisk._tcp.local").unwrap();
        assert_eq!(dotted.first_label().unwrap(), b"My.Server (2)");
        assert_eq!(dotted.to_string(), r"My\.Server (2)._adisk._tcp.local.");
        assert_eq!(Name::parse(&dotted.to_string()).unwrap(), dotted);
        let utf8 = Name::parse("Büro._afpovertcp._tcp.local.").unwrap();
        assert_eq!(utf8.first_label().unwrap(), "Büro".as_bytes());
        assert_eq!(
            Name::parse(r"a\000b.local").unwrap().to_string(),
            r"a\000b.local."
        );
    }

    #[test]
    fn limits() {
        assert_eq!(
            Name::from_labels([[b'a'; 64]]),
            Err(NameError::LabelTooLong(64))
        );
        assert!(Name::from_labels([[b'a'; 63]]).is_ok());
        let long = vec![[b'a'; 63]; 4];
        assert_eq!(Name::from_labels(&long), Err(NameError::NameTooLong(257)));
        assert_eq!(Name::parse("a..b"), Err(NameError::EmptyLabel));
        assert_eq!(Name::parse(r"a\9"), Err(NameError::BadEscape));
    }

    #[test]
    fn case_insensitive_ascii_only() {
        let a = Name::parse("ZF.Local.").unwrap();
        let b = Name::parse("zf.local.").unwrap();
        assert_ne!(a, b);
        assert!(a.eq_ignore_ascii_case(&b));
        assert!(
            Name::parse("x._tcp.LOCAL")
                .unwrap()
                .ends_with(&b.parent().unwrap())
        );
        assert!(
            !Name::parse("É.local")
                .unwrap()
                .eq_ignore_ascii_case(&Name::parse("é.local").unwrap())
        );
    }

    #[test]
    fn decode_rejects_bad_pointers() {
        // 12-byte fake header, then names.
        let mut msg = vec![0u8; 12];
        msg.extend_from_slice(&[2, b'z', b'f', 0xc0, 14]); // points into itself
        let msg = Bytes::from(msg);
        assert!(matches!(
            Name::decode(&msg, 12),
            Err(DecodeError::PointerLoop { at: 15, target: 14 })
        ));
        let fwd = Bytes::from_static(&[0xc0, 4, 0, 0, 0]);
        assert!(matches!(
            Name::decode(&fwd, 0),
            Err(DecodeError::ForwardPointer { at: 0, target: 4 })
        ));
        let good = Bytes::from_static(&[1, b'a', 0, 1, b'b', 0xc0, 0]);
        let (n, next) = Name::decode(&good, 3).unwrap();
        assert_eq!(n.to_string(), "b.a.");
        assert_eq!(next, 7);
        let reserved = Bytes::from_static(&[0x80, 0]);
        assert_eq!(
            Name::decode(&reserved, 0),
            Err(DecodeError::BadLabelType(0x80))
        );
    }
}
