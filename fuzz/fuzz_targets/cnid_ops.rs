#![no_main]
//! Random operation sequences against the CNID store on both backends, compared step by step
//! with the reference model (every answer, the final state, and the index check).
use cnid::model::{self, Op};
use cnid::{MemBackend, RedbBackend, Store};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ops = Op::decode_all(data);
    let mem = Store::with_backend(MemBackend::new()).unwrap();
    let a = model::run(&mem, &ops).unwrap_or_else(|e| panic!("mem backend: {e}"));
    let redb = Store::with_backend(RedbBackend::in_memory()).unwrap();
    let b = model::run(&redb, &ops).unwrap_or_else(|e| panic!("redb backend: {e}"));
    assert_eq!(a, b, "the backends disagree");
});
