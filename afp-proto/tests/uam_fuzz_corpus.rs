//! Replays the committed corpus of the `afp_login` fuzz target (`fuzz/corpus/afp_login/`)
//! with the target's own assertions (`tests/uam_fuzz/check.rs`).
#![cfg(feature = "dhx2")]

#[path = "uam_fuzz/check.rs"]
mod check;

#[test]
fn afp_login_corpus_replays() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/corpus/afp_login");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).expect("fuzz/corpus/afp_login exists") {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let result = std::panic::catch_unwind(|| check::check(&data));
        assert!(
            result.is_ok(),
            "corpus file {} fails the afp_login checks",
            path.display()
        );
        n += 1;
    }
    assert!(n >= 10, "expected a seeded corpus, found {n} files");
}

#[test]
fn arbitrary_bytes_pass_the_checks() {
    // A few thousand pseudo-random inputs in every mode, as a smoke test without libFuzzer.
    let mut state = 0x1234_5678_9ABC_DEF0u64;
    for i in 0..3000u32 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let len = (state % 700) as usize;
        let mut data: Vec<u8> = (0..len)
            .map(|j| (state >> (j % 56)) as u8 ^ j as u8)
            .collect();
        if let Some(first) = data.first_mut() {
            *first = i as u8;
        }
        check::check(&data);
    }
}
