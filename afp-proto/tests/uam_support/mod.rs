//! Helpers shared by the UAM integration tests.
#![allow(dead_code)]

use std::collections::VecDeque;

use rand::{CryptoRng, RngCore};

/// Hands out pre-recorded bytes, in order: the "fixed randomness" of known-answer tests.
/// Panics when a state machine draws more than was recorded.
pub(crate) struct ScriptedRng {
    bytes: VecDeque<u8>,
}

impl ScriptedRng {
    pub(crate) fn new(bytes: &[u8]) -> ScriptedRng {
        ScriptedRng { bytes: bytes.iter().copied().collect() }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len()
    }
}

impl RngCore for ScriptedRng {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_be_bytes(b)
    }

    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_be_bytes(b)
    }

    fn fill_bytes(&mut self, dst: &mut [u8]) {
        for d in dst {
            *d = self.bytes.pop_front().expect("state machine drew more random bytes than recorded");
        }
    }
}

impl CryptoRng for ScriptedRng {}

pub(crate) fn hex(s: &str) -> Vec<u8> {
    let s = s.trim();
    assert!(s.len() % 2 == 0, "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("bad hex"))
        .collect()
}

pub(crate) fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Runs `python3 tests/kat/uam_kat.py <args>` and returns stdout; fails loudly when python3
/// or pycryptodome is missing.
pub(crate) fn run_kat_script(args: &[&str]) -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/kat/uam_kat.py");
    let out = std::process::Command::new("python3")
        .arg(script)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run python3 ({e}): the UAM known-answer tests need python3 with pycryptodome (pip install pycryptodome)")
        });
    assert!(
        out.status.success(),
        "uam_kat.py failed ({}): {}\nthe UAM known-answer tests need python3 with pycryptodome (pip install pycryptodome)",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("uam_kat.py printed non-UTF-8")
}
