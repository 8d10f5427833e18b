//! Counting what Time Machine sparse bundles use (spec §10.4, netatalk `get_tm_used`):
//! for every entry of the volume root whose name ends in `sparsebundle`, (number of
//! entries in `<bundle>/bands/` − 1) × `band-size` from `<bundle>/Info.plist`.

use std::os::fd::{AsFd, BorrowedFd};

use rustix::fs::OFlags;

use super::sys;

/// Bytes used by the sparse bundles in the volume root `root` (entries the caller cannot
/// read count as empty).
pub fn sparsebundle_usage(root: BorrowedFd<'_>) -> u64 {
    let Ok(entries) = sys::read_dir(root) else {
        return 0;
    };
    let mut used = 0u64;
    for (name, _) in entries {
        if !name.ends_with(b"sparsebundle") {
            continue;
        }
        let Ok(bundle) = sys::open_child_dir(root, &name) else {
            continue;
        };
        let Some(band_size) = band_size(bundle.as_fd()) else {
            continue;
        };
        let Ok(bands) = sys::open_child_dir(bundle.as_fd(), b"bands") else {
            continue;
        };
        let count = sys::read_dir(bands.as_fd()).map(|v| v.len()).unwrap_or(0) as u64;
        used = used.saturating_add(count.saturating_sub(1).saturating_mul(band_size));
    }
    used
}

/// `band-size` from `Info.plist` in the bundle directory.
fn band_size(bundle: BorrowedFd<'_>) -> Option<u64> {
    let fd = sys::open_at(bundle, b"Info.plist", OFlags::RDONLY, 0).ok()?;
    let mut buf = vec![0u8; 16 * 1024];
    let mut len = 0;
    while len < buf.len() {
        match rustix::io::read(&fd, &mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(_) => return None,
        }
    }
    parse_band_size(&buf[..len])
}

/// Finds `<key>band-size</key>` followed by `<integer>N</integer>` in a property list.
pub fn parse_band_size(plist: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(plist).ok()?;
    let after = &text[text.find("<key>band-size</key>")? + "<key>band-size</key>".len()..];
    let start = after.find("<integer>")? + "<integer>".len();
    let end = after[start..].find("</integer>")? + start;
    after[start..end].trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn band_size_from_plist() {
        let plist = b"<?xml version=\"1.0\"?><plist><dict>\n\t<key>CFBundleInfoDictionaryVersion</key>\n\t<string>6.0</string>\n\t<key>band-size</key>\n\t<integer>8388608</integer>\n</dict></plist>";
        assert_eq!(parse_band_size(plist), Some(8_388_608));
        assert_eq!(parse_band_size(b"<plist></plist>"), None);
    }
}
