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
        ScriptedRng {
            bytes: bytes.iter().copied().collect(),
        }
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
            *d = self
                .bytes
                .pop_front()
                .expect("state machine drew more random bytes than recorded");
        }
    }
}

impl CryptoRng for ScriptedRng {}

pub(crate) fn hex(s: &str) -> Vec<u8> {
    let s = s.trim();
    assert!(s.len().is_multiple_of(2), "odd hex length");
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

use afp_proto::ResultCode;
use afp_proto::uam::{
    ClientError, ClientLogin, ClientStep, LoggedIn, LoginForm, Password, ServerStep, Uam,
    UamServer, Verdict, VerifyRequest,
};

/// How a full login between our client and our server ended, on both sides.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) server: Result<LoggedIn, ResultCode>,
    pub(crate) client: Result<ClientStep, ClientError>,
}

/// Runs a whole login in memory. `tamper` may rewrite each client → server FPLoginCont
/// (step number from 1, ID, data) before the server sees it.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run_login<R: CryptoRng + RngCore>(
    server: &UamServer,
    uam: Uam,
    form: LoginForm,
    user: &[u8],
    password: &[u8],
    mut verify: impl FnMut(&VerifyRequest) -> Verdict,
    mut tamper: impl FnMut(usize, &mut u16, &mut Vec<u8>),
    rng: &mut R,
) -> Outcome {
    let (mut client, auth) =
        ClientLogin::start(uam, user, Password::from_slice(password), form, rng)
            .expect("client start");
    let (mut login, mut step) = match form {
        LoginForm::Login { auth_offset } => {
            server.start_login(uam.wire_name().as_bytes(), &auth, auth_offset, rng)
        }
        LoginForm::LoginExt => server.start_login_ext(uam.wire_name().as_bytes(), user, &auth, rng),
    };
    let mut n = 0;
    loop {
        step = match step {
            ServerStep::Continue(reply) => {
                match client.handle_reply(ResultCode::AUTH_CONTINUE, &reply, rng) {
                    Ok(ClientStep::Send { mut id, data }) => {
                        n += 1;
                        let mut data = data.to_vec();
                        tamper(n, &mut id, &mut data);
                        login.handle_login_cont(id, &data, rng)
                    }
                    Ok(done) => panic!("client finished while the server continues: {done:?}"),
                    Err(e) => {
                        return Outcome {
                            server: Err(ResultCode::AUTH_CONTINUE),
                            client: Err(e),
                        };
                    }
                }
            }
            ServerStep::Verify(request) => {
                let verdict = verify(&request);
                login.verified(verdict)
            }
            ServerStep::Done(result) => {
                let code = match &result {
                    Ok(l) => l.result_code(),
                    Err(code) => *code,
                };
                let client = client.handle_reply(code, &[], rng);
                return Outcome {
                    server: result,
                    client,
                };
            }
        };
    }
}

/// A verifier that accepts exactly `user` / `password`.
pub(crate) fn accept_only(user: &[u8], password: &[u8]) -> impl FnMut(&VerifyRequest) -> Verdict {
    let (user, password) = (user.to_vec(), password.to_vec());
    move |r: &VerifyRequest| {
        if r.user() == &user[..] && r.password().as_bytes() == &password[..] {
            Verdict::Accept
        } else {
            Verdict::Reject
        }
    }
}

pub(crate) fn no_tamper(_: usize, _: &mut u16, _: &mut Vec<u8>) {}
