//! Feeds arbitrary FPLogin/FPLoginCont/FPChangePassword data and server replies to the UAM
//! state machines and checks they only ever continue with well-formed messages or stop
//! with an allowed result code, and that client-built messages log in on the server.
//! The checks live in `afp-proto/tests/uam_fuzz/check.rs`, which `cargo test` also runs
//! over the committed corpus.
#![no_main]

#[path = "../../afp-proto/tests/uam_fuzz/check.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
