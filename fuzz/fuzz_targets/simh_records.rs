//! SIMH `.tap` records: item round trip, and the tape reader agrees with the item walk.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    tape_format::roundtrip::simh(data);
});
