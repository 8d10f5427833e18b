//! File type and creator from the name's extension, for files whose FinderInfo has none
//! (netatalk's `extmap.conf` and `getextmap()`; spec `afp-dsi.md` §4.5).
//!
//! netatalk reports the mapped type/creator for a file whose stored type and creator are
//! zero (or that has no metadata): the entry for its extension, else the default entry
//! (`.` → `????`/`????`). This is a subset of the `extmap.conf` netatalk ships (the common
//! document, picture, sound and archive types); the comparison ignores case.

/// The default type and creator (netatalk's `.` entry).
pub const DEFAULT: [u8; 8] = *b"????????";

/// (extension without the dot, type + creator), sorted by extension.
const MAP: &[(&str, &[u8; 8])] = &[
    ("1st", b"TEXTttxt"),
    ("aif", b"AIFFSCPL"),
    ("aiff", b"AIFFSCPL"),
    ("bmp", b"BMPpogle"),
    ("c", b"TEXTR*ch"),
    ("csv", b"TEXTXCEL"),
    ("doc", b"WDBNMSWD"),
    ("gif", b"GIFfogle"),
    ("gz", b"GzipSITx"),
    ("h", b"TEXTR*ch"),
    ("hqx", b"TEXTSITx"),
    ("htm", b"TEXTMOSS"),
    ("html", b"TEXTMOSS"),
    ("jpeg", b"JPEGogle"),
    ("jpg", b"JPEGogle"),
    ("mov", b"MooVTVOD"),
    ("mp3", b"MPG3TVOD"),
    ("pdf", b"PDF CARO"),
    ("pict", b"PICTogle"),
    ("png", b"PNGfogle"),
    ("ps", b"TEXTvgrd"),
    ("psd", b"8BPS8BIM"),
    ("rtf", b"TEXTMSWD"),
    ("sit", b"SIT!SITx"),
    ("tar", b"TARFTAR "),
    ("tif", b"TIFFogle"),
    ("tiff", b"TIFFogle"),
    ("txt", b"TEXTttxt"),
    ("wav", b"WAVETVOD"),
    ("xls", b"XLS8XCEL"),
    ("zip", b"ZIP SITx"),
];

/// The type and creator for a file called `name` (netatalk `getextmap`: from the last
/// '.', case-insensitively; no or an unknown extension gives [`DEFAULT`]).
pub fn type_creator(name: &str) -> [u8; 8] {
    let Some(dot) = name.rfind('.') else {
        return DEFAULT;
    };
    let ext = &name[dot + 1..];
    if ext.is_empty() {
        return DEFAULT;
    }
    MAP.iter()
        .find(|(e, _)| e.eq_ignore_ascii_case(ext))
        .map_or(DEFAULT, |(_, tc)| **tc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping() {
        assert_eq!(&type_creator("a.pdf"), b"PDF CARO");
        assert_eq!(&type_creator("b.DOC"), b"WDBNMSWD");
        assert_eq!(&type_creator("file name"), b"????????");
        assert_eq!(&type_creator("x."), b"????????");
        assert_eq!(&type_creator("x.unknownext"), b"????????");
        for w in MAP.windows(2) {
            assert!(w[0].0 < w[1].0, "sorted: {}", w[1].0);
        }
    }
}
