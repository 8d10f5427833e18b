//! Model-based tests: random operation sequences against the reference model; both backends
//! must agree with it (and so with each other). Also replays the `cnid_ops` fuzz corpus.

use cnid::model::{self, Op};
use cnid::{MemBackend, OpenOptions, RedbBackend, Store};
use proptest::prelude::*;

fn run_both(data: &[u8]) -> Result<(), String> {
    let ops = Op::decode_all(data);
    let mem = Store::with_backend(MemBackend::new()).map_err(|e| e.to_string())?;
    let a = model::run(&mem, &ops).map_err(|e| format!("mem: {e}"))?;
    let redb = Store::with_backend(RedbBackend::in_memory()).map_err(|e| e.to_string())?;
    let b = model::run(&redb, &ops).map_err(|e| format!("redb: {e}"))?;
    if a != b {
        return Err("the backends disagree".into());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn store_matches_model(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Err(e) = run_both(&data) {
            prop_assert!(false, "{}", e);
        }
    }
}

#[test]
fn long_sequence_on_a_file_with_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let opts = OpenOptions::default();
    // A deterministic pseudo-random byte stream (xorshift), 3 rounds with a reopen between.
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut data = Vec::new();
    for _ in 0..6000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        data.push(x as u8);
    }
    let ops = Op::decode_all(&data);
    let mut m = model::Model::default();
    for chunk in ops.chunks(ops.len() / 3 + 1) {
        let store = Store::open(dir.path(), &opts).unwrap();
        assert_eq!(model::store_state(&store).unwrap(), m);
        for op in chunk {
            let want = m.apply(op);
            let got = model::apply_to_store(&store, op).unwrap();
            assert_eq!(got, want, "{op:?}");
        }
        assert!(store.check().unwrap().is_clean());
        drop(store);
    }
    let store = Store::open(dir.path(), &opts).unwrap();
    assert_eq!(model::store_state(&store).unwrap(), m);
    assert!(store.verify().unwrap().is_clean());
}

#[test]
fn fuzz_corpus_replays() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/corpus/cnid_ops");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).expect("the cnid_ops corpus is committed") {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        if let Err(e) = run_both(&data) {
            panic!("{}: {e}", path.display());
        }
        n += 1;
    }
    assert!(n > 0, "empty corpus at {dir}");
}
