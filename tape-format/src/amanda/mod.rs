//! Amanda 3.x volumes: headers (`spec/tape-format.md` §3), our extension lines (§8.3) and
//! the vtape file names (§4).

mod ext;
mod header;
mod quote;

pub use ext::{PartInfo, VolumeInfo};
pub use header::{
    Crc, DumpFile, DumpKind, HEADER_BLOCK, Header, RESTORE_LINE, Side, TapeEnd, TapeStart,
};

/// The vtape file name of tape file `file` whose header is `header` (§4):
/// `00000.<label>` for the label, `NNNNN.<host>.<disk>.<level>` for a dump, with `/`, `:`
/// and `\` of the disk replaced by `_`. Amanda reads only the leading digits.
pub fn vtape_file_name(file: u32, header: &Header) -> String {
    let clean = |s: &str| s.replace(['/', ':', '\\'], "_");
    match header {
        Header::TapeStart(t) => format!("{file:05}.{}", clean(&t.label)),
        Header::Dump(d) => format!(
            "{file:05}.{}.{}.{}",
            clean(&d.host),
            clean(&d.disk),
            d.level
        ),
        Header::TapeEnd(_) => format!("{file:05}.TAPEEND"),
        Header::Noop => format!("{file:05}.NOOP"),
    }
}

/// The tape file number in a vtape file name (its leading digits), if it has one.
pub fn vtape_file_number(name: &str) -> Option<u32> {
    let digits = name.split('.').next()?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || !name.contains('.') {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vtape_names() {
        let t = Header::TapeStart(TapeStart {
            datestamp: "X".into(),
            label: "TEST-001".into(),
            extra: vec![],
        });
        assert_eq!(vtape_file_name(0, &t), "00000.TEST-001");
        let d = Header::Dump(Box::new(DumpFile::new(
            "20240102",
            "localhost",
            "/etc/sample",
            0,
        )));
        assert_eq!(vtape_file_name(1, &d), "00001.localhost._etc_sample.0");
        assert_eq!(vtape_file_number("00001.localhost._etc_sample.0"), Some(1));
        assert_eq!(vtape_file_number("00000-lock"), None);
        assert_eq!(vtape_file_number("state"), None);
    }
}
