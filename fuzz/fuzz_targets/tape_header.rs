//! Amanda headers and afbackup labels: decode → encode → decode is stable.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    tape_format::roundtrip::header(data);
});
