//! Replays the committed fuzz corpora with the fuzz targets' own assertions
//! (`tape_format::roundtrip`), plus random inputs through the same properties.

use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/corpus")).join(target);
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = e.unwrap().path();
        check(&std::fs::read(&path).unwrap());
        n += 1;
    }
    assert!(n > 0, "empty corpus {}", dir.display());
}

#[test]
fn tape_header_corpus() {
    replay("tape_header", tape_format::roundtrip::header);
}

#[test]
fn tape_state_files_corpus() {
    replay("tape_state_files", tape_format::roundtrip::state_file);
}

#[test]
fn simh_records_corpus() {
    replay("simh_records", tape_format::roundtrip::simh);
}

proptest::proptest! {
    #[test]
    fn random_bytes_keep_the_properties(data in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
        tape_format::roundtrip::header(&data);
        tape_format::roundtrip::state_file(&data);
        tape_format::roundtrip::simh(&data);
    }

    #[test]
    fn random_state_text_keeps_the_properties(which in 0u8..11, text in "[0-9a-z :,\\-\"\\\\>\n/]{0,80}") {
        let mut data = vec![which];
        data.extend_from_slice(text.as_bytes());
        tape_format::roundtrip::state_file(&data);
    }
}
