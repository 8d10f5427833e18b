//! The `afp_login` fuzz target's body, shared with `tests/uam_fuzz_corpus.rs`, which replays
//! the committed corpus with the same assertions. Public API only.
//!
//! Input: byte 0 picks the method (bits 0–1), the login form (bit 2) and the mode (bits
//! 3–4); the rest is a list of chunks, each `u16 length` + bytes (the last one may be cut).
//!
//! * mode 0, server login: chunk 1 is the UserAuthInfo, the others FPLoginCont messages
//!   (`u16 ID` + data). The server may only continue with a reply of the method's exact
//!   size, ask to verify a password that fits the method's field, or end with kFPBadUAM /
//!   kFPParamErr / kFPUserNotAuth (guest: success). After the end, FPLoginCont is
//!   kFPUserNotAuth.
//! * mode 1, server password change: the same for FPChangePassword data.
//! * mode 2, round trip: chunk 1 is a user name, chunk 2 a password; our client and server
//!   must agree and the verifier must see exactly those bytes.
//! * mode 3, client: chunks are server replies (first byte: result code selector); the
//!   client may only send messages of the method's exact size or stop with an error.

use afp_proto::ResultCode;
use afp_proto::uam::rand::{CryptoRng, RngCore};
use afp_proto::uam::{
    ChangeStep, ClientLogin, ClientStep, Dhx2Group, LoginForm, Password, ServerStep, Uam,
    UamServer, Verdict,
};

/// Deterministic randomness (xorshift64*), so every input replays the same way.
pub(crate) struct FuzzRng(u64);

impl RngCore for FuzzRng {
    fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        for chunk in dst.chunks_mut(8) {
            let v = self.next_u64().to_be_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

impl CryptoRng for FuzzRng {}

const METHODS: [Uam; 4] = [
    Uam::NoUserAuthent,
    Uam::CleartxtPasswrd,
    Uam::Dhcast128,
    Uam::Dhx2,
];
/// A 512-bit group keeps the fuzzer fast; the arithmetic is the same as with 1024 bits.
const GROUP_LEN: usize = 64;

fn server() -> UamServer {
    let mut p = [0xFFu8; GROUP_LEN];
    p[1] = 0x7F;
    let group = Dhx2Group::new(&p, 5).expect("fuzz group");
    UamServer::new(METHODS.to_vec()).with_dhx2_group(group)
}

fn chunks(mut data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while data.len() >= 2 {
        let n = usize::from(u16::from_be_bytes([data[0], data[1]]));
        let end = (2 + n).min(data.len());
        out.push(&data[2..end]);
        data = &data[end..];
    }
    out
}

fn field_len(uam: Uam) -> usize {
    match uam {
        Uam::CleartxtPasswrd => 8,
        Uam::Dhcast128 => 64,
        _ => 256,
    }
}

/// Runs one fuzz input; panics when an assertion fails.
pub(crate) fn check(data: &[u8]) {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let uam = METHODS[usize::from(sel & 3)];
    let ext = sel & 4 != 0;
    let mut rng = FuzzRng(0x9E37_79B9_7F4A_7C15 ^ u64::from(sel));
    match (sel >> 3) & 3 {
        0 => server_login(uam, ext, &chunks(rest), &mut rng),
        1 => server_change(uam, &chunks(rest), &mut rng),
        2 => round_trip(uam, ext, &chunks(rest), &mut rng),
        _ => client(uam, ext, &chunks(rest), &mut rng),
    }
}

fn allowed_error(code: ResultCode) -> bool {
    [
        ResultCode::BAD_UAM,
        ResultCode::PARAM_ERR,
        ResultCode::USER_NOT_AUTH,
    ]
    .contains(&code)
}

fn server_login(uam: Uam, ext: bool, chunks: &[&[u8]], rng: &mut FuzzRng) {
    let server = server();
    let auth = chunks.first().copied().unwrap_or(&[]);
    let name = uam.wire_name().as_bytes();
    let (mut login, mut step) = if ext {
        server.start_login_ext(name, b"fuzz", auth, rng)
    } else {
        server.start_login(name, auth, 13, rng)
    };
    let mut replies = 0;
    let mut next = chunks.iter().skip(1);
    loop {
        step = match step {
            ServerStep::Continue(reply) => {
                replies += 1;
                let want = match (uam, replies) {
                    (Uam::Dhcast128, 1) => 50,
                    (Uam::Dhx2, 1) => 8 + 2 * GROUP_LEN,
                    (Uam::Dhx2, 2) => 34,
                    other => panic!("unexpected continue {other:?}"),
                };
                assert_eq!(reply.len(), want, "{uam} reply {replies}");
                let Some(msg) = next.next() else { return };
                let id = msg.get(..2).map_or(0, |b| u16::from_be_bytes([b[0], b[1]]));
                login.handle_login_cont(id, msg.get(2..).unwrap_or(&[]), rng)
            }
            ServerStep::Verify(request) => {
                assert!(!request.user().is_empty());
                assert!(request.password().len() <= field_len(uam));
                assert!(!request.password().as_bytes().contains(&0));
                let done = login.verified(Verdict::Reject);
                assert!(matches!(
                    done,
                    ServerStep::Done(Err(ResultCode::USER_NOT_AUTH))
                ));
                done
            }
            ServerStep::Done(Ok(logged_in)) => {
                assert!(logged_in.is_guest() && uam == Uam::NoUserAuthent);
                break;
            }
            ServerStep::Done(Err(code)) => {
                assert!(allowed_error(code), "{uam}: {code:?}");
                break;
            }
        };
    }
    assert!(login.is_finished());
    let after = login.handle_login_cont(1, &[], rng);
    assert!(matches!(
        after,
        ServerStep::Done(Err(ResultCode::USER_NOT_AUTH))
    ));
}

fn server_change(uam: Uam, chunks: &[&[u8]], rng: &mut FuzzRng) {
    let server = server();
    let first = chunks.first().copied().unwrap_or(&[]);
    let (mut change, mut step) =
        server.start_change_password(uam.wire_name().as_bytes(), b"fuzz", first, rng);
    let mut replies = 0;
    let mut next = chunks.iter().skip(1);
    loop {
        step = match step {
            ChangeStep::Continue(reply) => {
                replies += 1;
                let want = match (uam, replies) {
                    (Uam::Dhcast128, 1) => 50,
                    (Uam::Dhx2, 1) => 8 + 2 * GROUP_LEN,
                    (Uam::Dhx2, 2) => 34,
                    other => panic!("unexpected continue {other:?}"),
                };
                assert_eq!(reply.len(), want);
                let Some(msg) = next.next() else { return };
                change.handle(msg, rng)
            }
            ChangeStep::Verify(request) => {
                assert!(request.old_password() != request.new_password());
                assert!(request.new_password().len() <= field_len(uam));
                change.verified(afp_proto::uam::ChangeVerdict::Reject)
            }
            ChangeStep::Done(code) => {
                assert!(
                    allowed_error(code) || code == ResultCode::PWD_SAME_ERR,
                    "{uam}: {code:?}"
                );
                break;
            }
        };
    }
    assert!(change.is_finished());
}

fn round_trip(uam: Uam, ext: bool, chunks: &[&[u8]], rng: &mut FuzzRng) {
    let user = chunks.first().copied().unwrap_or(b"u");
    let user = if user.is_empty() || user.len() > 255 {
        &b"u"[..]
    } else {
        user
    };
    let password: Vec<u8> = chunks
        .get(1)
        .copied()
        .unwrap_or(&[])
        .iter()
        .copied()
        .filter(|&b| b != 0)
        .take(field_len(uam))
        .collect();
    let form = if ext {
        LoginForm::LoginExt
    } else {
        LoginForm::Login { auth_offset: 13 }
    };
    let server = server();
    let (mut client, auth) =
        ClientLogin::start(uam, user, Password::from_slice(&password), form, rng)
            .expect("valid credentials");
    let name = uam.wire_name().as_bytes();
    let (mut login, mut step) = match form {
        LoginForm::LoginExt => server.start_login_ext(name, user, &auth, rng),
        LoginForm::Login { auth_offset } => server.start_login(name, &auth, auth_offset, rng),
    };
    let mut verified = false;
    let logged_in = loop {
        step = match step {
            ServerStep::Continue(reply) => {
                match client.handle_reply(ResultCode::AUTH_CONTINUE, &reply, rng) {
                    Ok(ClientStep::Send { id, data }) => login.handle_login_cont(id, &data, rng),
                    other => panic!("client: {other:?}"),
                }
            }
            ServerStep::Verify(request) => {
                assert_eq!(request.user(), user);
                assert_eq!(request.password().as_bytes(), &password[..]);
                verified = true;
                login.verified(Verdict::Accept)
            }
            ServerStep::Done(result) => break result.expect("login succeeds"),
        };
    };
    assert_eq!(verified, uam != Uam::NoUserAuthent);
    let done = client.handle_reply(logged_in.result_code(), &[], rng);
    assert_eq!(
        done,
        Ok(ClientStep::Done {
            password_expired: false
        })
    );
}

fn client(uam: Uam, ext: bool, chunks: &[&[u8]], rng: &mut FuzzRng) {
    let form = if ext {
        LoginForm::LoginExt
    } else {
        LoginForm::Login { auth_offset: 14 }
    };
    let (mut client, _) =
        ClientLogin::start(uam, b"user", Password::from("pw"), form, rng).expect("valid");
    let mut sent = 0;
    for reply in chunks {
        let (code, data) = match reply.split_first() {
            Some((&c, d)) => (
                if c & 1 == 0 {
                    ResultCode::AUTH_CONTINUE
                } else {
                    ResultCode(-5000 - i32::from(c))
                },
                d,
            ),
            None => (ResultCode::NO_ERR, &[][..]),
        };
        match client.handle_reply(code, data, rng) {
            Ok(ClientStep::Send { data: msg, .. }) => {
                sent += 1;
                let ok = match (uam, sent) {
                    (Uam::Dhcast128, 1) => msg.len() == 80,
                    // Ma at the server's len, then one encrypted block pair.
                    (Uam::Dhx2, 1) => {
                        msg.len() == usize::from(u16::from_be_bytes([data[6], data[7]])) + 16
                    }
                    (Uam::Dhx2, 2) => msg.len() == 272,
                    _ => false,
                };
                assert!(ok, "{uam}: message {sent} has {} bytes", msg.len());
            }
            Ok(ClientStep::Done { .. }) | Err(_) => {
                assert!(client.is_finished());
                return;
            }
        }
    }
}
