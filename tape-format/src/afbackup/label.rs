//! The afbackup label ("info buffer", `spec/tape-format.md` §2.2): ASCII text in file 0
//! of an afbackup tape, NUL-padded to one block of at least 500 bytes.
//!
//! ```text
//! \nAF's backup system\n\nINFO HEADER\n\n
//! Cartridge number:\t<n>\n\n
//! [2nd cartridge number:\t<n2>\n\n]
//! Labeling time:\t\t<ctime>\n\n
//! Tape Blocksize:\t\t<bytes>\n\n
//! Program version:\t<version>\n\n
//! [Copy from:\t\t<text>\n\n] [Duplicating time:\t<ctime>\n\n]
//! Comment:\t\t<text>\n
//! ```
//!
//! afbackup finds the label by the marker and each field by substring search, so the
//! order of the lines does not matter to the reader; the writer keeps the order above.

use crate::error::{DecodeError, EncodeError};

/// The marker afbackup searches for.
pub const LABEL_MARKER: &str = "AF's backup system\n\nINFO HEADER";

/// The minimum label length.
pub const LABEL_MIN_LEN: usize = 500;

/// The largest block size a label may name (16 MiB, the largest tape record we handle).
pub const MAX_LABEL_BLOCKSIZE: u32 = 16 << 20;

/// An afbackup cartridge label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// Cartridge number.
    pub cartridge: u32,
    /// Second number (a duplicate made by `copy_tape`).
    pub second: Option<u32>,
    /// Labelling time as `ctime` text (see [`super::CTime`]).
    pub labeled: String,
    /// Block size the tape was written with.
    pub blocksize: u32,
    /// Program version, e.g. `3.5.8`.
    pub version: String,
    /// `Copy from:` text of a duplicate.
    pub copy_from: Option<String>,
    /// `Duplicating time:` text of a duplicate.
    pub duplicated: Option<String>,
    /// Free comment; afbackup's default is `<labeled automatically>`.
    pub comment: String,
}

/// The label length for a block size: the block size rounded up to at least 500 bytes
/// (afbackup's `align_n(500, bs)`; one block for bs ≥ 512).
pub fn label_len(blocksize: u32) -> usize {
    let bs = (blocksize as usize).max(1);
    LABEL_MIN_LEN.div_ceil(bs) * bs
}

fn text_ok(s: &str) -> bool {
    !s.bytes().any(|b| b == b'\n' || b == 0)
}

impl Label {
    /// The label text without padding.
    pub fn encode_text(&self) -> Result<String, EncodeError> {
        if self.blocksize == 0 || self.blocksize > MAX_LABEL_BLOCKSIZE {
            return Err(EncodeError::InvalidField("blocksize"));
        }
        for (v, what) in [
            (Some(&self.labeled), "labeling time"),
            (Some(&self.version), "version"),
            (Some(&self.comment), "comment"),
            (self.copy_from.as_ref(), "copy from"),
            (self.duplicated.as_ref(), "duplicating time"),
        ] {
            if v.is_some_and(|v| !text_ok(v)) {
                return Err(EncodeError::InvalidField(what));
            }
        }
        let mut s = String::from("\n");
        s.push_str(LABEL_MARKER);
        s.push_str("\n\n");
        s.push_str(&format!("Cartridge number:\t{}\n\n", self.cartridge));
        if let Some(n) = self.second {
            s.push_str(&format!("2nd cartridge number:\t{n}\n\n"));
        }
        s.push_str(&format!("Labeling time:\t\t{}\n\n", self.labeled));
        s.push_str(&format!("Tape Blocksize:\t\t{}\n\n", self.blocksize));
        s.push_str(&format!("Program version:\t{}\n\n", self.version));
        if let Some(c) = &self.copy_from {
            s.push_str(&format!("Copy from:\t\t{c}\n\n"));
        }
        if let Some(d) = &self.duplicated {
            s.push_str(&format!("Duplicating time:\t{d}\n\n"));
        }
        s.push_str(&format!("Comment:\t\t{}\n", self.comment));
        Ok(s)
    }

    /// The label as written to tape: text, then NUL padding to [`label_len`] of the
    /// label's block size (or longer if the text needs it, rounded to the block size).
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let text = self.encode_text()?;
        let bs = (self.blocksize as usize).max(1);
        let len = label_len(self.blocksize).max(text.len().div_ceil(bs) * bs);
        let mut out = Vec::with_capacity(len);
        out.extend_from_slice(text.as_bytes());
        out.resize(len, 0);
        Ok(out)
    }

    /// Find and read a label in a block, the way afbackup does.
    pub fn decode(block: &[u8]) -> Result<Label, DecodeError> {
        let end = block.iter().position(|&b| b == 0).unwrap_or(block.len());
        let text = std::str::from_utf8(&block[..end]).map_err(|_| DecodeError::NotUtf8)?;
        if !text.contains(LABEL_MARKER) {
            return Err(DecodeError::NotAfbackupLabel);
        }
        let value = |tag: &str| -> Option<&str> {
            let i = text.find(tag)?;
            let rest = &text[i + tag.len()..];
            let line = rest.split('\n').next().unwrap_or("");
            Some(line.trim_start_matches(['\t', ' ']))
        };
        let number = |tag: &'static str| -> Result<Option<u32>, DecodeError> {
            let Some(v) = value(tag) else { return Ok(None) };
            let digits: &str = &v[..v.bytes().take_while(u8::is_ascii_digit).count()];
            digits
                .parse()
                .map(Some)
                .map_err(|_| DecodeError::BadNumber(tag))
        };
        Ok(Label {
            cartridge: number("\nCartridge number:")?
                .ok_or(DecodeError::Missing("Cartridge number"))?,
            second: number("2nd cartridge number:")?,
            labeled: value("Labeling time:").unwrap_or("").to_owned(),
            blocksize: number("Tape Blocksize:")?.ok_or(DecodeError::Missing("Tape Blocksize"))?,
            version: value("Program version:").unwrap_or("").to_owned(),
            copy_from: value("Copy from:").map(str::to_owned),
            duplicated: value("Duplicating time:").map(str::to_owned),
            comment: value("Comment:").unwrap_or("").to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label() -> Label {
        Label {
            cartridge: 3,
            second: None,
            labeled: "Tue Jan  2 03:04:05 2024".into(),
            blocksize: 32768,
            version: "3.5.8".into(),
            copy_from: None,
            duplicated: None,
            comment: "<labeled automatically>".into(),
        }
    }

    #[test]
    fn layout_is_afbackups() {
        let text = label().encode_text().unwrap();
        assert_eq!(
            text,
            "\nAF's backup system\n\nINFO HEADER\n\nCartridge number:\t3\n\n\
Labeling time:\t\tTue Jan  2 03:04:05 2024\n\nTape Blocksize:\t\t32768\n\n\
Program version:\t3.5.8\n\nComment:\t\t<labeled automatically>\n"
        );
        assert_eq!(label().encode().unwrap().len(), 32768);
    }

    #[test]
    fn lengths_follow_align_500() {
        assert_eq!(label_len(512), 512);
        assert_eq!(label_len(256), 512);
        assert_eq!(label_len(100), 500);
        assert_eq!(label_len(8192), 8192);
        let mut l = label();
        l.blocksize = 512;
        assert_eq!(l.encode().unwrap().len(), 512);
        l.blocksize = 2_024_010_202;
        assert_eq!(l.encode(), Err(EncodeError::InvalidField("blocksize")));
    }

    #[test]
    fn round_trip_with_copy_fields() {
        let mut l = label();
        l.second = Some(9);
        l.copy_from = Some("server:2".into());
        l.duplicated = Some("Wed Jan  3 03:04:05 2024".into());
        assert_eq!(Label::decode(&l.encode().unwrap()).unwrap(), l);
        assert_eq!(Label::decode(&label().encode().unwrap()).unwrap(), label());
    }

    #[test]
    fn foreign_blocks_are_not_labels() {
        assert_eq!(
            Label::decode(&[0u8; 512]),
            Err(DecodeError::NotAfbackupLabel)
        );
        assert!(Label::decode(b"\nAF's backup system\n\nINFO HEADER\n").is_err());
    }
}
