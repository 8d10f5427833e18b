//! Name conversions between Mac (AFP) names and server file names (spec §2.3, §9.2, §9.3).
//!
//! A server has to round-trip every name between what a Mac sends and what the Linux file
//! system stores:
//!
//! * **Unicode form.** AFP 3 names travel as *decomposed* UTF-8, Apple's HFS+ variant of
//!   NFD that leaves U+2000–U+2FFF, U+F900–U+FAFF, U+FE30–U+FE4F and U+2F800–U+2FA1F alone
//!   ([`decompose`]). netatalk stores names *precomposed* ([`precompose`], NFC that never
//!   creates or breaks up those excluded characters, so that
//!   `decompose(precompose(m)) == m` for every decomposed `m`).
//! * **Separators.** A Mac name may contain '/', a Linux name may contain ':'; netatalk 3
//!   swaps them ([`NameScheme::Netatalk3`]). netatalk 2 instead escaped with `:xx` hex
//!   ([`NameScheme::Netatalk2`], its `usedots` and `nohex` switches included), and netatalk
//!   3 renames such names on the fly ([`legacy_hex_rename`]).
//! * **Legacy long names.** AFP 2 names are MacRoman Pascal strings of at most 31 bytes
//!   ([`decode_mac_roman`], [`encode_mac_roman`], [`to_long_name`]).
//! * **Mangling.** A name too long for the client (31 MacRoman bytes, 255 UTF-8 bytes) or
//!   not convertible is shown as `<prefix>#<CNID in uppercase hex><extension>`
//!   ([`mangle`], [`to_long_name`], [`to_utf8_name`]) and recognised when the client sends it
//!   back ([`parse_mangled`]).
//!
//! Everything here is a pure function on strings and bytes. A *valid Mac name* is
//! non-empty, contains neither NUL nor ':', is not "." or "..", and is decomposed
//! (`decompose(m) == m`); [`check_mac_name`] tests that.

use std::borrow::Cow;

use unicode_normalization::char::{canonical_combining_class, compose, decompose_canonical};

/// Longest legacy long name, in MacRoman bytes (spec §2.3; volume names: 27).
pub const LONG_NAME_MAX: usize = 31;
/// Longest AFP 3 UTF-8 name netatalk sends, in bytes (spec §2.3, `UTF8FILELEN_EARLY`).
pub const UTF8_NAME_MAX: usize = 255;
/// Longest extension kept by mangling, in bytes including the dot (spec §9.3).
pub const MANGLE_EXT_MAX: usize = 5;

/// Why a name cannot be converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    /// The name is empty.
    #[error("empty name")]
    Empty,
    /// The name contains a NUL byte.
    #[error("name contains NUL")]
    ContainsNul,
    /// A Mac name contains ':' (the Finder shows ':' on disk as '/').
    #[error("Mac name contains ':'")]
    ContainsColon,
    /// "." or "..", which no file system entry can be called.
    #[error("name is . or ..")]
    Reserved,
    /// The bytes are not valid UTF-8 (or, for an ASCII volume, not ASCII).
    #[error("name bytes are not valid in the volume charset")]
    BadEncoding,
    /// A character has no representation in the target charset (MacRoman, ASCII).
    #[error("name has a character the target charset cannot represent")]
    Unrepresentable,
    /// The name is longer than the target allows.
    #[error("name too long")]
    TooLong,
    /// The name is not in Apple's decomposed form.
    #[error("Mac name is not decomposed")]
    NotDecomposed,
}

// ------------------------------------------------------------------------------------
// Unicode forms

/// True for the characters Apple's decomposition leaves alone: U+2000–U+2FFF,
/// U+F900–U+FAFF, U+FE30–U+FE4F and U+2F800–U+2FA1F.
///
/// spec §2.3 lists U+FE30–U+FE4F (from the AFP Programming Guide); TN1150 lists
/// U+F900–U+FAFF instead. Both are excluded here: U+FE30–U+FE4F has no canonical
/// decompositions anyway, while U+F900–U+FAFF (CJK compatibility ideographs) would otherwise
/// decompose.
pub fn is_decomposition_excluded(c: char) -> bool {
    matches!(c as u32, 0x2000..=0x2FFF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0x2F800..=0x2FA1F)
}

/// Apple's HFS+ decomposition: canonical decomposition (NFD) of every character not in the
/// excluded ranges, then canonical ordering of combining marks.
pub fn decompose(s: &str) -> String {
    let mut chars: Vec<char> = Vec::with_capacity(s.len());
    for c in s.chars() {
        if is_decomposition_excluded(c) {
            chars.push(c);
        } else {
            decompose_canonical(c, |d| chars.push(d));
        }
    }
    canonical_order(&mut chars);
    chars.into_iter().collect()
}

/// Stable-sorts every run of combining marks by combining class (Unicode canonical
/// ordering).
fn canonical_order(chars: &mut [char]) {
    let mut i = 0;
    while i < chars.len() {
        if canonical_combining_class(chars[i]) == 0 {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && canonical_combining_class(chars[i]) != 0 {
            i += 1;
        }
        chars[start..i].sort_by_key(|&c| canonical_combining_class(c));
    }
}

/// Precomposed form for the disk: [`decompose`], then canonical composition (as in NFC)
/// that never produces a character of the excluded ranges. For a decomposed `m`,
/// `decompose(&precompose(m)) == m`.
pub fn precompose(s: &str) -> String {
    let decomposed: Vec<char> = decompose(s).chars().collect();
    let mut out: Vec<char> = Vec::with_capacity(decomposed.len());
    let mut starter: Option<usize> = None;
    // Combining class of the last character kept since the starter (None: adjacent).
    let mut last_ccc: Option<u8> = None;
    for c in decomposed {
        let ccc = canonical_combining_class(c);
        if let Some(si) = starter {
            let blocked = matches!(last_ccc, Some(l) if l == 0 || l >= ccc);
            if let Some(composed) = compose(out[si], c).filter(|_| !blocked)
                && !is_decomposition_excluded(composed)
            {
                out[si] = composed;
                continue;
            }
        }
        if ccc == 0 {
            starter = Some(out.len());
            last_ccc = None;
        } else {
            last_ccc = Some(ccc);
        }
        out.push(c);
    }
    out.into_iter().collect()
}

/// Checks that `name` is a valid Mac name: non-empty, no NUL, no ':', not "." or "..",
/// and decomposed.
pub fn check_mac_name(name: &str) -> Result<(), NameError> {
    check_common(name)?;
    if name.contains(':') {
        return Err(NameError::ContainsColon);
    }
    if decompose(name) != name {
        return Err(NameError::NotDecomposed);
    }
    Ok(())
}

fn check_common(name: &str) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if name.contains('\0') {
        return Err(NameError::ContainsNul);
    }
    if name == "." || name == ".." {
        return Err(NameError::Reserved);
    }
    Ok(())
}

// ------------------------------------------------------------------------------------
// MacRoman

/// MacRoman 0x80–0xFF (Apple's mapping as of Mac OS 8.5: 0xDB is the euro sign, 0xF0 the
/// Apple logo in the private use area). 0x00–0x7F are ASCII.
const MAC_ROMAN_HIGH: [char; 128] = [
    'Ä', 'Å', 'Ç', 'É', 'Ñ', 'Ö', 'Ü', 'á', 'à', 'â', 'ä', 'ã', 'å', 'ç', 'é', 'è', // 0x80
    'ê', 'ë', 'í', 'ì', 'î', 'ï', 'ñ', 'ó', 'ò', 'ô', 'ö', 'õ', 'ú', 'ù', 'û', 'ü', // 0x90
    '†', '°', '¢', '£', '§', '•', '¶', 'ß', '®', '©', '™', '´', '¨', '≠', 'Æ', 'Ø', // 0xA0
    '∞', '±', '≤', '≥', '¥', 'µ', '∂', '∑', '∏', 'π', '∫', 'ª', 'º', 'Ω', 'æ', 'ø', // 0xB0
    '¿', '¡', '¬', '√', 'ƒ', '≈', '∆', '«', '»', '…', '\u{A0}', 'À', 'Ã', 'Õ', 'Œ',
    'œ', // 0xC0
    '–', '—', '“', '”', '‘', '’', '÷', '◊', 'ÿ', 'Ÿ', '⁄', '€', '‹', '›', 'ﬁ', 'ﬂ', // 0xD0
    '‡', '·', '‚', '„', '‰', 'Â', 'Ê', 'Á', 'Ë', 'È', 'Í', 'Î', 'Ï', 'Ì', 'Ó', 'Ô', // 0xE0
    '\u{F8FF}', 'Ò', 'Ú', 'Û', 'Ù', 'ı', 'ˆ', '˜', '¯', '˘', '˙', '˚', '¸', '˝', '˛',
    'ˇ', // 0xF0
];

/// The character a MacRoman byte stands for.
pub fn mac_roman_to_char(b: u8) -> char {
    if b < 0x80 {
        char::from(b)
    } else {
        MAC_ROMAN_HIGH[usize::from(b - 0x80)]
    }
}

/// The MacRoman byte for a (precomposed) character, if there is one.
pub fn char_to_mac_roman(c: char) -> Option<u8> {
    if c.is_ascii() {
        return Some(c as u8);
    }
    MAC_ROMAN_HIGH
        .iter()
        .position(|&m| m == c)
        .map(|i| 0x80 + i as u8)
}

/// Decodes MacRoman bytes to a precomposed string (every byte is valid).
pub fn decode_mac_roman(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| mac_roman_to_char(b)).collect()
}

/// Encodes a string (any normalisation form; it is precomposed first) to MacRoman.
pub fn encode_mac_roman(s: &str) -> Result<Vec<u8>, NameError> {
    precompose(s)
        .chars()
        .map(|c| char_to_mac_roman(c).ok_or(NameError::Unrepresentable))
        .collect()
}

/// A legacy long name (MacRoman pstr contents) as a Mac UTF-8 name (decomposed).
pub fn long_name_to_utf8(bytes: &[u8]) -> String {
    decompose(&decode_mac_roman(bytes))
}

/// A Mac name as a legacy long name, when it fits: MacRoman, at most 31 bytes, no ':' or
/// NUL. Use [`to_long_name`] to mangle names that do not.
pub fn utf8_to_long_name(name: &str) -> Result<Vec<u8>, NameError> {
    check_common(name)?;
    if name.contains(':') {
        return Err(NameError::ContainsColon);
    }
    let bytes = encode_mac_roman(name)?;
    if bytes.len() > LONG_NAME_MAX {
        return Err(NameError::TooLong);
    }
    Ok(bytes)
}

// ------------------------------------------------------------------------------------
// Disk names

/// Character set of a netatalk 2 volume.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiskCharset {
    /// UTF-8 (precomposed): every character is representable.
    Utf8,
    /// 7-bit ASCII: everything else is written as `:xx` MacRoman hex (the CAP encoding).
    Ascii,
}

/// How Mac names map to file names on disk (spec §9.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NameScheme {
    /// netatalk 3: precomposed UTF-8, '/' ↔ ':' swapped, leading dots kept.
    #[default]
    Netatalk3,
    /// netatalk 2: `:xx` escapes (two lowercase hex digits of the MacRoman byte) for '/',
    /// a leading '.', ':' and characters the volume charset cannot hold.
    Netatalk2 {
        /// The volume charset.
        charset: DiskCharset,
        /// `usedots`: a leading '.' is kept instead of written as `:2e`.
        usedots: bool,
        /// `nohex`: no `:xx` escapes at all; '/' ↔ ':' are swapped as in netatalk 3 and
        /// characters the charset cannot hold are an error.
        nohex: bool,
    },
}

impl NameScheme {
    /// The disk name for a valid Mac name (see [`check_mac_name`]; decomposition is not
    /// required here, the result is precomposed either way).
    pub fn mac_to_disk(&self, mac: &str) -> Result<String, NameError> {
        check_common(mac)?;
        if mac.contains(':') {
            return Err(NameError::ContainsColon);
        }
        let pre = precompose(mac);
        let out = match *self {
            NameScheme::Netatalk3 => pre.replace('/', ":"),
            NameScheme::Netatalk2 {
                charset,
                usedots,
                nohex,
            } => {
                let mut out = String::with_capacity(pre.len());
                for (i, c) in pre.chars().enumerate() {
                    let escape = match c {
                        '/' => !nohex,
                        '.' => i == 0 && !usedots && !nohex,
                        c if c.is_ascii() => false,
                        _ => charset == DiskCharset::Ascii && !nohex,
                    };
                    if escape {
                        let b = char_to_mac_roman(c).ok_or(NameError::Unrepresentable)?;
                        out.push_str(&format!(":{b:02x}"));
                    } else if c == '/' {
                        out.push(':');
                    } else if !c.is_ascii() && charset == DiskCharset::Ascii {
                        return Err(NameError::Unrepresentable);
                    } else {
                        out.push(c);
                    }
                }
                out
            }
        };
        if out == "." || out == ".." {
            return Err(NameError::Reserved);
        }
        Ok(out)
    }

    /// The Mac name (decomposed) for a disk name.
    pub fn disk_to_mac(&self, disk: &[u8]) -> Result<String, NameError> {
        let s = core::str::from_utf8(disk).map_err(|_| NameError::BadEncoding)?;
        check_common(s)?;
        let mac = match *self {
            NameScheme::Netatalk3 => s.replace(':', "/"),
            NameScheme::Netatalk2 { charset, nohex, .. } => {
                if charset == DiskCharset::Ascii && !s.is_ascii() {
                    return Err(NameError::BadEncoding);
                }
                let b = s.as_bytes();
                let mut out = String::with_capacity(s.len());
                let mut i = 0;
                while i < b.len() {
                    if b[i] == b':' {
                        match (nohex, b.get(i + 1..i + 3)) {
                            (false, Some(&[h, l]))
                                if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() =>
                            {
                                out.push(mac_roman_to_char(hex_val(h) << 4 | hex_val(l)));
                                i += 3;
                            }
                            _ => {
                                out.push('/');
                                i += 1;
                            }
                        }
                        continue;
                    }
                    // Copy one UTF-8 character.
                    let ch = s[i..].chars().next().unwrap_or('\u{FFFD}');
                    out.push(ch);
                    i += ch.len_utf8();
                }
                out
            }
        };
        if mac.contains('\0') {
            return Err(NameError::ContainsNul);
        }
        Ok(decompose(&mac))
    }
}

fn hex_val(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        _ => b - b'A' + 10,
    }
}

/// netatalk 3's on-the-fly conversion of netatalk 2 names (spec §9.2): a disk name
/// containing `:2e` or `:2f` is renamed with `:2e` → '.' and `:2f` → ':'. `None` when the
/// name needs no rename.
pub fn legacy_hex_rename(disk: &str) -> Option<String> {
    if !disk.contains(":2e") && !disk.contains(":2f") {
        return None;
    }
    Some(disk.replace(":2e", ".").replace(":2f", ":"))
}

// ------------------------------------------------------------------------------------
// Mangling

fn extension(name: &str) -> &str {
    match name.rfind('.') {
        Some(p) if p > 0 => {
            let ext = &name[p..];
            &ext[..floor_boundary(ext, MANGLE_EXT_MAX)]
        }
        _ => "",
    }
}

/// Largest char boundary of `s` at or below `max`.
fn floor_boundary(s: &str, max: usize) -> usize {
    if max >= s.len() {
        return s.len();
    }
    let mut n = max;
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    n
}

/// netatalk's mangled form of a UTF-8 name that is too long (spec §9.3):
/// `<prefix>#<CNID in uppercase hex><extension>`, at most `max_len` bytes. The extension
/// (from the last '.', not a leading one) keeps up to 5 bytes; the prefix is the start of
/// the name cut at a character boundary; an empty prefix becomes `???`.
pub fn mangle(name: &str, cnid: u32, max_len: usize) -> String {
    let suffix = format!("#{cnid:X}");
    let ext = extension(name);
    let budget = max_len.saturating_sub(suffix.len() + ext.len());
    let mut prefix = &name[..floor_boundary(name, budget)];
    if prefix.is_empty() {
        prefix = "???";
    }
    format!("{prefix}{suffix}{ext}")
}

/// The AFP 3 name for a Mac name: itself, or [`mangle`]d when longer than 255 bytes.
pub fn to_utf8_name(name: &str, cnid: u32) -> Cow<'_, str> {
    if name.len() <= UTF8_NAME_MAX {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(mangle(name, cnid, UTF8_NAME_MAX))
    }
}

/// The legacy long name (MacRoman, ≤ 31 bytes) for a Mac name: converted as is when it
/// fits, otherwise mangled. A name with characters MacRoman lacks keeps the convertible
/// characters before the first such character as its prefix (`???` if none), and its
/// extension only if that converts.
pub fn to_long_name(name: &str, cnid: u32) -> Vec<u8> {
    if let Ok(bytes) = utf8_to_long_name(name) {
        return bytes;
    }
    let pre = precompose(name);
    let mut prefix = Vec::new();
    for c in pre.chars() {
        match char_to_mac_roman(c) {
            Some(b) if c != ':' && c != '\0' => prefix.push(b),
            _ => break,
        }
    }
    let ext = encode_mac_roman(extension(&pre)).unwrap_or_default();
    let suffix = format!("#{cnid:X}");
    let budget = LONG_NAME_MAX.saturating_sub(suffix.len() + ext.len());
    prefix.truncate(budget);
    if prefix.is_empty() {
        prefix.extend_from_slice(b"???");
    }
    prefix.extend_from_slice(suffix.as_bytes());
    prefix.extend_from_slice(&ext);
    prefix
}

/// A name that looks mangled (spec §9.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mangled<'a> {
    /// What precedes the '#'.
    pub prefix: &'a [u8],
    /// The CNID after the '#' (≥ 17).
    pub cnid: u32,
    /// The extension, empty or starting with '.', at most 5 bytes.
    pub extension: &'a [u8],
}

/// Recognises `<prefix>#<CNID><extension>` (spec §9.3: "'#' followed by hex digits (not
/// starting with 0, value ≥ 17) and an optional extension of ≤ 5 characters"). Hex digits
/// are uppercase, as written by [`mangle`]. When several '#' qualify, the last one wins, so
/// a '#' inside the prefix does not hide the CNID.
///
/// A match is only a candidate: the server should resolve the CNID, check that the object
/// is in the directory the client named, and compare the name with the mangled form of
/// the object's real name ([`to_long_name`] / [`to_utf8_name`]).
pub fn parse_mangled(name: &[u8]) -> Option<Mangled<'_>> {
    let mut end = name.len();
    while let Some(p) = name[..end].iter().rposition(|&b| b == b'#') {
        if let Some(m) = parse_at(name, p) {
            return Some(m);
        }
        end = p;
    }
    None
}

fn parse_at(name: &[u8], hash: usize) -> Option<Mangled<'_>> {
    let after = &name[hash + 1..];
    let digits = after
        .iter()
        .take_while(|b| matches!(b, b'0'..=b'9' | b'A'..=b'F'))
        .count();
    if digits == 0 || digits > 8 || after[0] == b'0' {
        return None;
    }
    let cnid = after[..digits]
        .iter()
        .fold(0u32, |acc, &b| acc << 4 | u32::from(hex_val(b)));
    let extension = &after[digits..];
    if cnid < 17
        || extension.len() > MANGLE_EXT_MAX
        || !(extension.is_empty() || extension[0] == b'.')
    {
        return None;
    }
    Some(Mangled {
        prefix: &name[..hash],
        cnid,
        extension,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decompose_follows_apple_exclusions() {
        assert_eq!(decompose("é"), "e\u{301}");
        assert_eq!(decompose("Å"), "A\u{30A}");
        // U+2126 OHM SIGN and U+212B ANGSTROM SIGN are in U+2000–U+2FFF: left alone.
        assert_eq!(decompose("\u{2126}\u{212B}"), "\u{2126}\u{212B}");
        assert_eq!(decompose("\u{F900}"), "\u{F900}");
        assert_eq!(decompose("≠"), "≠");
        // Hangul syllables decompose to jamo.
        assert_eq!(decompose("한").chars().count(), 3);
        // Combining marks are put in canonical order.
        assert_eq!(decompose("a\u{301}\u{316}"), "a\u{316}\u{301}");
    }

    #[test]
    fn precompose_never_creates_excluded_characters() {
        assert_eq!(precompose("e\u{301}"), "é");
        assert_eq!(precompose("=\u{338}"), "=\u{338}");
        assert_eq!(decompose(&precompose("=\u{338}")), "=\u{338}");
        assert_eq!(precompose("\u{2126}"), "\u{2126}");
        assert_eq!(precompose("\u{1100}\u{1161}\u{11A8}"), "각");
    }

    #[test]
    fn mac_roman_table_round_trips() {
        for b in 0..=255u8 {
            assert_eq!(
                char_to_mac_roman(mac_roman_to_char(b)),
                Some(b),
                "byte {b:#x}"
            );
        }
        assert_eq!(mac_roman_to_char(0xDB), '€');
        assert_eq!(
            encode_mac_roman("Cafe\u{301}"),
            Ok(vec![b'C', b'a', b'f', 0x8E])
        );
        assert_eq!(encode_mac_roman("日本"), Err(NameError::Unrepresentable));
        assert_eq!(long_name_to_utf8(&[b'C', 0x8E]), "Ce\u{301}");
    }

    #[test]
    fn netatalk3_swaps_separators() {
        let s = NameScheme::Netatalk3;
        assert_eq!(s.mac_to_disk("a/b e\u{301}").unwrap(), "a:b é");
        assert_eq!(s.disk_to_mac("a:b é".as_bytes()).unwrap(), "a/b e\u{301}");
        assert_eq!(s.mac_to_disk(".hidden").unwrap(), ".hidden");
        assert_eq!(s.mac_to_disk("a:b"), Err(NameError::ContainsColon));
        assert_eq!(s.mac_to_disk(".."), Err(NameError::Reserved));
        assert_eq!(s.disk_to_mac(b"\xFF"), Err(NameError::BadEncoding));
    }

    #[test]
    fn netatalk2_hex_escapes() {
        let ascii = NameScheme::Netatalk2 {
            charset: DiskCharset::Ascii,
            usedots: false,
            nohex: false,
        };
        assert_eq!(ascii.mac_to_disk(".profile").unwrap(), ":2eprofile");
        assert_eq!(ascii.mac_to_disk("a/b").unwrap(), "a:2fb");
        assert_eq!(ascii.mac_to_disk("Caf\u{E9}.txt").unwrap(), "Caf:8e.txt");
        assert_eq!(ascii.mac_to_disk("日"), Err(NameError::Unrepresentable));
        assert_eq!(ascii.disk_to_mac(b":2eprofile").unwrap(), ".profile");
        assert_eq!(ascii.disk_to_mac(b"Caf:8E.txt").unwrap(), "Cafe\u{301}.txt");
        assert_eq!(ascii.disk_to_mac(b"a:zz").unwrap(), "a/zz");
        let dots = NameScheme::Netatalk2 {
            charset: DiskCharset::Utf8,
            usedots: true,
            nohex: false,
        };
        assert_eq!(dots.mac_to_disk(".x/é").unwrap(), ".x:2fé");
        let nohex = NameScheme::Netatalk2 {
            charset: DiskCharset::Utf8,
            usedots: false,
            nohex: true,
        };
        assert_eq!(nohex.mac_to_disk(".x/y").unwrap(), ".x:y");
        assert_eq!(nohex.disk_to_mac(b".x:2f").unwrap(), ".x/2f");
        assert_eq!(legacy_hex_rename(":2eDS_Store"), Some(".DS_Store".into()));
        assert_eq!(legacy_hex_rename("a:2fb"), Some("a:b".into()));
        assert_eq!(legacy_hex_rename("plain"), None);
    }

    #[test]
    fn mangling_and_recognition() {
        let long = "A very long file name that does not fit.pdf";
        let m = to_long_name(long, 0x1234);
        assert_eq!(m.len(), LONG_NAME_MAX);
        assert_eq!(&m[..], b"A very long file name #1234.pdf");
        let parsed = parse_mangled(&m).unwrap();
        assert_eq!((parsed.cnid, parsed.extension), (0x1234, &b".pdf"[..]));
        assert_eq!(to_long_name("short.txt", 99), b"short.txt");
        assert_eq!(to_long_name("日本語.txt", 0x20), b"???#20.txt");
        assert_eq!(to_long_name("ab日本", 0x20), b"ab#20");
        let huge = "x".repeat(300) + ".tar.gz";
        let m = to_utf8_name(&huge, 0xABCDEF);
        assert_eq!(m.len(), UTF8_NAME_MAX);
        assert!(m.ends_with("#ABCDEF.gz"));
        assert_eq!(to_utf8_name("fits", 17), "fits");
        // Not mangled: lowercase hex, leading zero, CNID below 17, long extension.
        for name in [
            &b"a#1f"[..],
            b"a#01F",
            b"a#10",
            b"a#1F.toolong",
            b"a#",
            b"a#1Fx",
        ] {
            assert_eq!(
                parse_mangled(name),
                None,
                "{}",
                String::from_utf8_lossy(name)
            );
        }
        assert_eq!(
            parse_mangled(b"x#y#11").map(|m| (m.prefix, m.cnid)),
            Some((&b"x#y"[..], 17))
        );
        assert_eq!(parse_mangled(b"#FFFFFFFF").map(|m| m.cnid), Some(u32::MAX));
        assert_eq!(parse_mangled(b"a#100000000"), None);
    }
}
