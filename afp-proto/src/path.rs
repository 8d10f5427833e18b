//! Path specifications: path types 1/2/3 and pathname elements (spec §2.4), and the
//! AFPName string (spec §0.2, §2.3).
//!
//! A catalog node is named by a volume ID, a directory ID and a path:
//!
//! ```text
//! type 1 (short names) / 2 (long names):  u8 type | u8 len | len bytes (legacy encoding)
//! type 3 (UTF-8 names, AFP 3):            u8 type | u32 hint | u16 len | len bytes (UTF-8)
//! ```
//!
//! The pathname keeps its raw bytes: name conversion (legacy Mac encoding, decomposed
//! UTF-8, ':' vs '/') is the server's business (`crate::name`). [`Path::elements`] splits
//! the pathname into elements following the NUL-separator rules of §2.4.

use bytes::{Bytes, BytesMut};

use crate::error::DecodeError;
use crate::wire::{Reader, Writer};

/// The text-encoding hint clients put in type-3 names: `kTextEncodingUTF8` (0x08000103).
pub const HINT_UTF8: u32 = 0x0800_0103;

/// The path type byte (spec §2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum PathKind {
    /// Type 1: MS-DOS 8.3 short names (pstr). netatalk answers kFPParamErr for them.
    Short,
    /// Type 2: long names in the volume's legacy Mac encoding (pstr, at most 255 bytes).
    Long,
    /// Type 3: UTF-8 names (AFP 3.x) with their text-encoding hint.
    Utf8 {
        /// The text-encoding hint (servers ignore it on input).
        hint: u32,
    },
}

impl PathKind {
    /// The path type byte: 1, 2 or 3.
    pub fn type_byte(self) -> u8 {
        match self {
            PathKind::Short => 1,
            PathKind::Long => 2,
            PathKind::Utf8 { .. } => 3,
        }
    }
}

/// A path (or a new name in rename-like calls): path type plus raw pathname bytes.
///
/// `name` holds at most 255 bytes for types 1 and 2 and at most 65535 for type 3; longer
/// values are cut when encoded.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Path {
    /// Path type (and the hint of a UTF-8 path).
    pub kind: PathKind,
    /// The pathname exactly as sent: elements separated by NUL bytes.
    pub name: Bytes,
}

/// One step of a pathname (spec §2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathElement<'a> {
    /// Descend into (or, for the last element, name) this node.
    Name(&'a [u8]),
    /// Climb to the parent directory (each NUL after the first of a run).
    Parent,
}

impl Path {
    /// A type-2 (long name) path.
    pub fn long(name: impl Into<Bytes>) -> Path {
        Path {
            kind: PathKind::Long,
            name: name.into(),
        }
    }

    /// A type-3 (UTF-8) path with the hint clients send ([`HINT_UTF8`]).
    pub fn utf8(name: impl Into<Bytes>) -> Path {
        Path {
            kind: PathKind::Utf8 { hint: HINT_UTF8 },
            name: name.into(),
        }
    }

    /// An empty type-3 path, which designates the directory given by the directory ID.
    pub fn empty() -> Path {
        Path::utf8(Bytes::new())
    }

    /// True if the pathname is empty (the path designates the directory ID itself).
    pub fn is_empty(&self) -> bool {
        self.name.is_empty()
    }

    /// The pathname split into elements (spec §2.4):
    ///
    /// * elements are separated by NUL bytes; a single NUL between or before elements is
    ///   ignored;
    /// * each additional consecutive NUL climbs one level: `a␀␀b` is the sibling `b` of
    ///   `a`, `e␀␀␀` the grandparent of `e`.
    ///
    /// An empty pathname yields no elements.
    pub fn elements(&self) -> Elements<'_> {
        Elements {
            rest: &self.name,
            pending_parents: 0,
        }
    }

    /// Appends the path (type byte, then the name in its type's form) to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        self.write(&mut Writer::new(dst));
    }

    /// Decodes a path at the start of `block`; bytes after it are ignored.
    pub fn decode(block: &Bytes) -> Result<Path, DecodeError> {
        Path::read(&mut Reader::new(block))
    }

    /// Number of bytes [`Path::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        match self.kind {
            PathKind::Short | PathKind::Long => 2 + self.name.len().min(255),
            PathKind::Utf8 { .. } => 7 + self.name.len().min(0xFFFF),
        }
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Path, DecodeError> {
        let kind = r.u8("path type")?;
        match kind {
            1 | 2 => {
                let name = r.pstr("pathname")?;
                let kind = if kind == 1 {
                    PathKind::Short
                } else {
                    PathKind::Long
                };
                Ok(Path { kind, name })
            }
            3 => {
                let hint = r.u32("pathname hint")?;
                let name = r.u16_str("pathname")?;
                Ok(Path {
                    kind: PathKind::Utf8 { hint },
                    name,
                })
            }
            other => Err(DecodeError::BadPathType(other)),
        }
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) {
        w.u8(self.kind.type_byte());
        match self.kind {
            PathKind::Short | PathKind::Long => w.pstr(&self.name),
            PathKind::Utf8 { hint } => {
                w.u32(hint);
                w.u16_str(&self.name);
            }
        }
    }
}

/// Iterator over the elements of a pathname, see [`Path::elements`].
#[derive(Debug, Clone)]
pub struct Elements<'a> {
    rest: &'a [u8],
    pending_parents: usize,
}

impl<'a> Iterator for Elements<'a> {
    type Item = PathElement<'a>;

    fn next(&mut self) -> Option<PathElement<'a>> {
        loop {
            if self.pending_parents > 0 {
                self.pending_parents -= 1;
                return Some(PathElement::Parent);
            }
            if self.rest.is_empty() {
                return None;
            }
            let nuls = self.rest.iter().take_while(|&&b| b == 0).count();
            if nuls > 0 {
                // The first NUL of a run is a separator; every further one climbs a level.
                self.pending_parents = nuls - 1;
                self.rest = &self.rest[nuls..];
                continue;
            }
            let len = self
                .rest
                .iter()
                .position(|&b| b == 0)
                .unwrap_or(self.rest.len());
            let (name, rest) = self.rest.split_at(len);
            self.rest = rest;
            if let Some(&0) = rest.first() {
                // Consume the separator that ends this name; the rest of its run climbs.
                let run = rest.iter().take_while(|&&b| b == 0).count();
                self.pending_parents = run - 1;
                self.rest = &rest[run..];
            }
            return Some(PathElement::Name(name));
        }
    }
}

/// An AFPName: a text-encoding hint and a UTF-8 string with a u16 length (spec §0.2).
///
/// Used for the UTF-8 name in file and directory parameters. `name` holds at most 65535
/// bytes (longer values are cut when encoded).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct AfpName {
    /// Text-encoding hint. netatalk writes the volume's legacy Mac encoding (0 = MacRoman).
    pub hint: u32,
    /// The UTF-8 bytes (decomposed, as clients expect).
    pub name: Bytes,
}

impl AfpName {
    /// A name with hint 0, as netatalk sends it.
    pub fn new(name: impl Into<Bytes>) -> AfpName {
        AfpName {
            hint: 0,
            name: name.into(),
        }
    }

    /// Number of bytes [`AfpName`] takes on the wire.
    pub fn encoded_len(&self) -> usize {
        6 + self.name.len().min(0xFFFF)
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<AfpName, DecodeError> {
        let hint = r.u32("AFPName hint")?;
        let name = r.u16_str("AFPName")?;
        Ok(AfpName { hint, name })
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) {
        w.u32(self.hint);
        w.u16_str(&self.name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PathElement::{Name, Parent};
    use bytes::BytesMut;

    /// The elements of `raw`, names as strings and parents as "..".
    fn elems(raw: &'static [u8]) -> Vec<String> {
        Path::long(Bytes::from_static(raw))
            .elements()
            .map(|e| match e {
                Name(n) => String::from_utf8_lossy(n).into_owned(),
                Parent => "..".to_owned(),
            })
            .collect()
    }

    #[test]
    fn nul_rules_of_spec_2_4() {
        assert_eq!(elems(b""), Vec::<String>::new());
        assert_eq!(elems(b"a"), ["a"]);
        assert_eq!(elems(b"a\0b"), ["a", "b"]);
        // "A single NUL between or before elements is ignored."
        assert_eq!(elems(b"\0a\0b"), ["a", "b"]);
        // "a␀␀b = sibling b of a"
        assert_eq!(elems(b"a\0\0b"), ["a", "..", "b"]);
        // "e␀␀␀ = grandparent of e"
        assert_eq!(elems(b"e\0\0\0"), ["e", "..", ".."]);
        assert_eq!(elems(b"\0\0"), [".."]);
        assert_eq!(elems(b"a\0"), ["a"]);
    }

    #[test]
    fn utf8_path_layout() {
        let p = Path::utf8(Bytes::from_static(b"abc"));
        let mut dst = BytesMut::new();
        p.write(&mut Writer::new(&mut dst));
        assert_eq!(&dst[..], b"\x03\x08\x00\x01\x03\x00\x03abc");
        assert_eq!(p.encoded_len(), dst.len());
        let b = dst.freeze();
        assert_eq!(Path::read(&mut Reader::new(&b)).unwrap(), p);
        let bad = Bytes::from_static(&[4, 0]);
        assert_eq!(
            Path::read(&mut Reader::new(&bad)),
            Err(DecodeError::BadPathType(4))
        );
    }
}
