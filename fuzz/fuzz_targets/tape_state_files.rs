//! afbackup state files and ranges (first byte picks the file): decode → encode is stable.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    tape_format::roundtrip::state_file(data);
});
