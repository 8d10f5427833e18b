//! Our client against our server for every login method (spec §6): good and bad
//! passwords, verifier answers, wrong IDs, wrong nonces, truncated and extended messages,
//! and password changes.

mod uam_support;

use afp_proto::ResultCode;
use afp_proto::uam::{
    ChangeStep, ChangeVerdict, ClientChangePassword, ClientError, ClientLogin, ClientStep,
    LoginForm, Password, ServerStep, Uam, UamServer, Verdict, login_auth_offset,
};
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use uam_support::{accept_only, no_tamper, run_login};

fn rng() -> StdRng {
    StdRng::seed_from_u64(0x0AF9_2026)
}

fn all_server() -> UamServer {
    UamServer::new(vec![
        Uam::Dhx2,
        Uam::Dhcast128,
        Uam::CleartxtPasswrd,
        Uam::NoUserAuthent,
    ])
}

fn password_methods() -> Vec<Uam> {
    let mut v = vec![Uam::CleartxtPasswrd];
    if cfg!(feature = "dhx2") {
        v.extend([Uam::Dhcast128, Uam::Dhx2]);
    }
    v
}

fn forms(uam: Uam) -> [LoginForm; 3] {
    [
        LoginForm::LoginExt,
        // "AFP3.3" and the UAM name: both parities of the UserAuthInfo offset.
        LoginForm::Login {
            auth_offset: login_auth_offset(b"AFP3.3", uam.wire_name().as_bytes()),
        },
        LoginForm::Login {
            auth_offset: login_auth_offset(b"AFP2.2x", uam.wire_name().as_bytes()),
        },
    ]
}

#[test]
fn good_and_bad_passwords_for_every_method_and_form() {
    let server = all_server();
    let mut rng = rng();
    for uam in password_methods() {
        for form in forms(uam) {
            for user in [&b"al"[..], b"bob"] {
                let ok = run_login(
                    &server,
                    uam,
                    form,
                    user,
                    b"pw1",
                    accept_only(user, b"pw1"),
                    no_tamper,
                    &mut rng,
                );
                let logged_in = ok.server.unwrap_or_else(|e| panic!("{uam} {form:?}: {e}"));
                assert_eq!(logged_in.user(), Some(user));
                assert_eq!(logged_in.uam(), uam);
                assert_eq!(logged_in.result_code(), ResultCode::NO_ERR);
                assert_eq!(
                    ok.client,
                    Ok(ClientStep::Done {
                        password_expired: false
                    })
                );

                let bad = run_login(
                    &server,
                    uam,
                    form,
                    user,
                    b"pw2",
                    accept_only(user, b"pw1"),
                    no_tamper,
                    &mut rng,
                );
                assert_eq!(bad.server, Err(ResultCode::USER_NOT_AUTH), "{uam} {form:?}");
                assert_eq!(
                    bad.client,
                    Err(ClientError::Server(ResultCode::USER_NOT_AUTH))
                );
            }
        }
    }
}

#[test]
fn guest_logs_in_without_a_verifier() {
    let server = all_server();
    let mut rng = rng();
    let (mut client, auth) = ClientLogin::start(
        Uam::NoUserAuthent,
        b"",
        Password::default(),
        LoginForm::LoginExt,
        &mut rng,
    )
    .unwrap();
    assert!(auth.is_empty());
    let (login, step) = server.start_login_ext(b"No User Authent", b"", &auth, &mut rng);
    let ServerStep::Done(Ok(logged_in)) = step else {
        panic!("{step:?}")
    };
    assert!(logged_in.is_guest() && login.is_finished());
    assert_eq!(
        client.handle_reply(logged_in.result_code(), &[], &mut rng),
        Ok(ClientStep::Done {
            password_expired: false
        })
    );
    // A server without guest access refuses the method.
    let no_guest = UamServer::new(vec![Uam::Dhx2]);
    let (_, step) = no_guest.start_login(b"No User Authent", &[], 18, &mut rng);
    assert!(matches!(step, ServerStep::Done(Err(ResultCode::BAD_UAM))));
}

#[test]
fn verdicts_map_to_result_codes() {
    let server = all_server();
    let mut rng = rng();
    for uam in password_methods() {
        let expired = run_login(
            &server,
            uam,
            LoginForm::LoginExt,
            b"u",
            b"p",
            |_: &_| Verdict::PasswordExpired,
            no_tamper,
            &mut rng,
        );
        let l = expired.server.unwrap();
        assert!(l.password_expired());
        assert_eq!(l.result_code(), ResultCode::PWD_EXPIRED_ERR);
        assert_eq!(
            expired.client,
            Ok(ClientStep::Done {
                password_expired: true
            })
        );

        let change = run_login(
            &server,
            uam,
            LoginForm::LoginExt,
            b"u",
            b"p",
            |_: &_| Verdict::PasswordNeedsChange,
            no_tamper,
            &mut rng,
        );
        assert_eq!(change.server, Err(ResultCode::PWD_NEEDS_CHANGE_ERR));

        let fail = run_login(
            &server,
            uam,
            LoginForm::LoginExt,
            b"u",
            b"p",
            |_: &_| Verdict::Fail(ResultCode::MISC_ERR),
            no_tamper,
            &mut rng,
        );
        assert_eq!(fail.server, Err(ResultCode::MISC_ERR));
        assert_eq!(fail.client, Err(ClientError::Server(ResultCode::MISC_ERR)));
    }
}

#[test]
fn unknown_or_unoffered_methods_get_bad_uam() {
    let server = UamServer::new(vec![Uam::Dhx2, Uam::RandnumExchange, Uam::Dhx2]);
    // Unimplemented methods and duplicates are never offered.
    assert_eq!(
        server.uams(),
        if cfg!(feature = "dhx2") {
            &[Uam::Dhx2][..]
        } else {
            &[][..]
        }
    );
    let mut rng = rng();
    for name in [
        &b"Cleartxt Passwrd"[..],
        b"Randnum Exchange",
        b"",
        b"DHX2 please",
    ] {
        let (login, step) = server.start_login_ext(name, b"u", &[0; 8], &mut rng);
        assert!(
            matches!(step, ServerStep::Done(Err(ResultCode::BAD_UAM))),
            "{name:?}"
        );
        assert!(login.is_finished());
    }
}

#[test]
fn empty_user_and_short_user_auth_info_are_param_errors() {
    let server = all_server();
    let mut rng = rng();
    let (_, step) = server.start_login_ext(b"Cleartxt Passwrd", b"", &[b'x'; 8], &mut rng);
    assert!(matches!(step, ServerStep::Done(Err(ResultCode::PARAM_ERR))));
    // FPLogin Cleartxt: every strict prefix of `pstr user, pad, 8-byte password` is refused.
    let offset = login_auth_offset(b"AFP2.2", b"Cleartxt Passwrd");
    let (_, full) = ClientLogin::start(
        Uam::CleartxtPasswrd,
        b"carol",
        Password::from("secret"),
        LoginForm::Login {
            auth_offset: offset,
        },
        &mut rng,
    )
    .unwrap();
    // 25 + 1 + 5 is odd: one pad byte after the name.
    assert_eq!(full.len(), 1 + 5 + 1 + 8);
    for cut in 0..full.len() {
        let (_, step) = server.start_login(b"Cleartxt Passwrd", &full[..cut], offset, &mut rng);
        assert!(
            matches!(step, ServerStep::Done(Err(ResultCode::PARAM_ERR))),
            "prefix {cut}"
        );
    }
    let (_, step) = server.start_login(b"Cleartxt Passwrd", &full, offset, &mut rng);
    let ServerStep::Verify(req) = step else {
        panic!()
    };
    assert_eq!(
        (req.user(), req.password().as_bytes()),
        (&b"carol"[..], &b"secret"[..])
    );
    assert!(
        !format!("{req:?}").contains("secret"),
        "Debug must not show the password"
    );
}

#[test]
fn login_cont_without_pending_login_is_user_not_auth() {
    let server = all_server();
    let mut rng = rng();
    let (mut login, step) =
        server.start_login_ext(b"Cleartxt Passwrd", b"u", b"pw\0\0\0\0\0\0", &mut rng);
    assert!(matches!(step, ServerStep::Verify(_)));
    // The client sends FPLoginCont before the server answered.
    assert!(matches!(
        login.handle_login_cont(1, &[], &mut rng),
        ServerStep::Done(Err(ResultCode::USER_NOT_AUTH))
    ));
    // Afterwards there is nothing to verify any more.
    assert!(matches!(
        login.verified(Verdict::Accept),
        ServerStep::Done(Err(ResultCode::USER_NOT_AUTH))
    ));
    assert!(matches!(
        login.handle_login_cont(1, &[], &mut rng),
        ServerStep::Done(Err(ResultCode::USER_NOT_AUTH))
    ));
}

#[test]
fn client_refuses_what_it_cannot_send() {
    let mut rng = rng();
    let start = |uam, user: &[u8], pw: &[u8], rng: &mut StdRng| {
        ClientLogin::start(
            uam,
            user,
            Password::from_slice(pw),
            LoginForm::Login { auth_offset: 13 },
            rng,
        )
        .map(|_| ())
    };
    assert_eq!(
        start(Uam::CleartxtPasswrd, b"u", b"123456789", &mut rng),
        Err(ClientError::PasswordTooLong { max: 8 })
    );
    assert_eq!(
        start(Uam::CleartxtPasswrd, b"u", b"a\0b", &mut rng),
        Err(ClientError::PasswordHasNul)
    );
    assert_eq!(
        start(Uam::CleartxtPasswrd, b"", b"p", &mut rng),
        Err(ClientError::BadUserName)
    );
    assert_eq!(
        start(Uam::CleartxtPasswrd, &[b'u'; 256], b"p", &mut rng),
        Err(ClientError::BadUserName)
    );
    assert_eq!(
        start(Uam::ClientKrbV2, b"u", b"p", &mut rng),
        Err(ClientError::Unsupported(Uam::ClientKrbV2))
    );
    if cfg!(feature = "dhx2") {
        assert_eq!(
            start(Uam::Dhcast128, b"u", &[b'p'; 65], &mut rng),
            Err(ClientError::PasswordTooLong { max: 64 })
        );
        assert_eq!(
            start(Uam::Dhx2, b"u", &[b'p'; 257], &mut rng),
            Err(ClientError::PasswordTooLong { max: 256 })
        );
        assert!(start(Uam::Dhx2, b"u", &[b'p'; 256], &mut rng).is_ok());
    }
    // A finished client refuses more replies.
    let (mut c, _) = ClientLogin::start(
        Uam::CleartxtPasswrd,
        b"u",
        Password::from("p"),
        LoginForm::LoginExt,
        &mut rng,
    )
    .unwrap();
    assert_eq!(
        c.handle_reply(ResultCode::USER_NOT_AUTH, &[], &mut rng),
        Err(ClientError::Server(ResultCode::USER_NOT_AUTH))
    );
    assert_eq!(
        c.handle_reply(ResultCode::NO_ERR, &[], &mut rng),
        Err(ClientError::Finished)
    );
    // Cleartxt never continues.
    let (mut c, _) = ClientLogin::start(
        Uam::CleartxtPasswrd,
        b"u",
        Password::from("p"),
        LoginForm::LoginExt,
        &mut rng,
    )
    .unwrap();
    assert!(matches!(
        c.handle_reply(ResultCode::AUTH_CONTINUE, &[0; 4], &mut rng),
        Err(ClientError::BadReply(_))
    ));
}

#[test]
fn cleartext_password_change() {
    let server = all_server();
    let mut rng = rng();
    let (mut client, data) = ClientChangePassword::start(
        Uam::CleartxtPasswrd,
        Password::from("old"),
        Password::from("new"),
        &mut rng,
    )
    .unwrap();
    assert_eq!(&data[..], b"old\0\0\0\0\0new\0\0\0\0\0");
    let (mut change, step) =
        server.start_change_password(b"Cleartxt Passwrd", b"zoe", &data, &mut rng);
    let ChangeStep::Verify(req) = step else {
        panic!("{step:?}")
    };
    assert_eq!(
        (
            req.user(),
            req.old_password().as_bytes(),
            req.new_password().as_bytes()
        ),
        (&b"zoe"[..], &b"old"[..], &b"new"[..])
    );
    drop(req);
    let ChangeStep::Done(code) = change.verified(ChangeVerdict::Changed) else {
        panic!()
    };
    assert_eq!(code, ResultCode::NO_ERR);
    assert_eq!(client.handle_reply(code, &[], &mut rng), Ok(None));

    // Same password twice: kFPPwdSameErr before the account database is asked.
    let (_, data) = ClientChangePassword::start(
        Uam::CleartxtPasswrd,
        Password::from("same"),
        Password::from("same"),
        &mut rng,
    )
    .unwrap();
    let (_, step) = server.start_change_password(b"Cleartxt Passwrd", b"zoe", &data, &mut rng);
    assert!(matches!(step, ChangeStep::Done(ResultCode::PWD_SAME_ERR)));
    // Short data.
    let (_, step) =
        server.start_change_password(b"Cleartxt Passwrd", b"zoe", &data[..15], &mut rng);
    assert!(matches!(step, ChangeStep::Done(ResultCode::PARAM_ERR)));
    // Guest cannot change passwords.
    let (_, step) = server.start_change_password(b"No User Authent", b"zoe", &[], &mut rng);
    assert!(matches!(step, ChangeStep::Done(ResultCode::BAD_UAM)));
}

#[cfg(feature = "dhx2")]
mod dh {
    use super::*;

    fn first_messages(
        uam: Uam,
        rng: &mut StdRng,
    ) -> (ClientLogin, afp_proto::uam::ServerLogin, u16, Vec<u8>) {
        let server = all_server();
        let (mut client, auth) =
            ClientLogin::start(uam, b"user", Password::from("pw"), LoginForm::LoginExt, rng)
                .unwrap();
        let (login, step) = server.start_login_ext(uam.wire_name().as_bytes(), b"user", &auth, rng);
        let ServerStep::Continue(reply) = step else {
            panic!("{step:?}")
        };
        let ClientStep::Send { id, data } = client
            .handle_reply(ResultCode::AUTH_CONTINUE, &reply, rng)
            .unwrap()
        else {
            panic!()
        };
        (client, login, id, data.to_vec())
    }

    #[test]
    fn dhx2_wrong_ids_are_param_errors() {
        let mut rng = rng();
        for bad in [1u16, 2, 0xFFFF, 0x8000] {
            let (_, mut login, id, data) = first_messages(Uam::Dhx2, &mut rng);
            // spec §6.6: "anything else → kFPParamErr"; ID+1 before message 3 is out of order.
            let wrong = id.wrapping_add(bad);
            assert!(
                matches!(
                    login.handle_login_cont(wrong, &data, &mut rng),
                    ServerStep::Done(Err(ResultCode::PARAM_ERR))
                ),
                "offset {bad}"
            );
            assert!(login.is_finished());
        }
        // Message 5 with ID instead of ID+1.
        let (mut client, mut login, id, data) = first_messages(Uam::Dhx2, &mut rng);
        let ServerStep::Continue(reply) = login.handle_login_cont(id, &data, &mut rng) else {
            panic!()
        };
        let ClientStep::Send { id: id5, data } = client
            .handle_reply(ResultCode::AUTH_CONTINUE, &reply, &mut rng)
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(id5, id + 1);
        assert!(matches!(
            login.handle_login_cont(id, &data, &mut rng),
            ServerStep::Done(Err(ResultCode::PARAM_ERR))
        ));
    }

    #[test]
    fn dhx2_message_sizes_are_exact() {
        let server = all_server();
        let mut rng = rng();
        for (step, delta, expect) in [
            (1, -1i32, Some(ResultCode::PARAM_ERR)),
            (1, 1, Some(ResultCode::PARAM_ERR)),
            (2, -1, Some(ResultCode::PARAM_ERR)),
            (2, 1, Some(ResultCode::PARAM_ERR)),
            (2, 9, Some(ResultCode::PARAM_ERR)),
            // spec §6.6: older Apple clients send 10 extra bytes; they are ignored.
            (2, 10, None),
        ] {
            let out = run_login(
                &server,
                Uam::Dhx2,
                LoginForm::LoginExt,
                b"u",
                b"p",
                accept_only(b"u", b"p"),
                |n, _, data| {
                    if n == step {
                        let len = (data.len() as i32 + delta) as usize;
                        data.resize(len, 0xAB);
                    }
                },
                &mut rng,
            );
            match expect {
                Some(code) => assert_eq!(out.server, Err(code), "step {step} delta {delta}"),
                None => assert!(
                    out.server.is_ok(),
                    "step {step} delta {delta}: {:?}",
                    out.server
                ),
            }
        }
    }

    #[test]
    fn dhx2_bad_server_nonce_is_user_not_auth() {
        let server = all_server();
        let mut rng = rng();
        // Flip a bit in the first ciphertext block of message 5 (serverNonce+1).
        let out = run_login(
            &server,
            Uam::Dhx2,
            LoginForm::LoginExt,
            b"u",
            b"p",
            accept_only(b"u", b"p"),
            |n, _, data| {
                if n == 2 {
                    data[3] ^= 0x10
                }
            },
            &mut rng,
        );
        assert_eq!(out.server, Err(ResultCode::USER_NOT_AUTH));
        assert_eq!(
            out.client,
            Err(ClientError::Server(ResultCode::USER_NOT_AUTH))
        );
        // A corrupted client nonce in message 3 makes the client reject message 4.
        let out = run_login(
            &server,
            Uam::Dhx2,
            LoginForm::LoginExt,
            b"u",
            b"p",
            accept_only(b"u", b"p"),
            |n, _, data| {
                if n == 1 {
                    let l = data.len();
                    data[l - 1] ^= 1
                }
            },
            &mut rng,
        );
        assert_eq!(out.client, Err(ClientError::ServerNonceMismatch));
    }

    #[test]
    fn dhx2_degenerate_public_values_are_refused() {
        let server = all_server();
        let mut rng = rng();
        for ma in [0u8, 1] {
            let out = run_login(
                &server,
                Uam::Dhx2,
                LoginForm::LoginExt,
                b"u",
                b"p",
                accept_only(b"u", b"p"),
                |n, _, data| {
                    if n == 1 {
                        data[..128].fill(0);
                        data[127] = ma
                    }
                },
                &mut rng,
            );
            assert_eq!(out.server, Err(ResultCode::PARAM_ERR), "Ma = {ma}");
        }
        // The client refuses a message 2 with a tiny prime or Mb = 1.
        let (mut client, _) = ClientLogin::start(
            Uam::Dhx2,
            b"u",
            Password::from("p"),
            LoginForm::LoginExt,
            &mut rng,
        )
        .unwrap();
        let mut msg2 = vec![0, 7, 0, 0, 0, 2, 0, 16];
        msg2.extend_from_slice(&[0xFF; 16]);
        msg2.extend_from_slice(&[2; 16]);
        assert_eq!(
            client.handle_reply(ResultCode::AUTH_CONTINUE, &msg2, &mut rng),
            Err(ClientError::BadGroup)
        );
        let group = server.dhx2_group();
        let mut msg2 = vec![0, 7];
        msg2.extend_from_slice(&group.g().to_be_bytes());
        msg2.extend_from_slice(&(group.len() as u16).to_be_bytes());
        msg2.extend_from_slice(group.p_bytes());
        let mut mb = vec![0u8; group.len()];
        mb[group.len() - 1] = 1;
        msg2.extend_from_slice(&mb);
        let (mut client, _) = ClientLogin::start(
            Uam::Dhx2,
            b"u",
            Password::from("p"),
            LoginForm::LoginExt,
            &mut rng,
        )
        .unwrap();
        assert_eq!(
            client.handle_reply(ResultCode::AUTH_CONTINUE, &msg2, &mut rng),
            Err(ClientError::BadGroup)
        );
        // Every strict prefix of a real message 2 is refused without a panic.
        let (login_client, _) = ClientLogin::start(
            Uam::Dhx2,
            b"u",
            Password::from("p"),
            LoginForm::LoginExt,
            &mut rng,
        )
        .unwrap();
        drop(login_client);
        let (_, step) = server.start_login_ext(b"DHX2", b"u", &[], &mut rng);
        let ServerStep::Continue(real) = step else {
            panic!()
        };
        for cut in 0..real.len() {
            let (mut c, _) = ClientLogin::start(
                Uam::Dhx2,
                b"u",
                Password::from("p"),
                LoginForm::LoginExt,
                &mut rng,
            )
            .unwrap();
            assert!(
                c.handle_reply(ResultCode::AUTH_CONTINUE, &real[..cut], &mut rng)
                    .is_err(),
                "prefix {cut}"
            );
        }
    }

    #[test]
    fn dhcast128_wrong_id_nonce_and_sizes() {
        let server = all_server();
        let mut rng = rng();
        let (_, mut login, id, data) = first_messages(Uam::Dhcast128, &mut rng);
        assert!(matches!(
            login.handle_login_cont(id ^ 1, &data, &mut rng),
            ServerStep::Done(Err(ResultCode::PARAM_ERR))
        ));
        // spec §6.5: a failed nonce check is kFPParamErr in netatalk.
        let out = run_login(
            &server,
            Uam::Dhcast128,
            LoginForm::LoginExt,
            b"u",
            b"p",
            accept_only(b"u", b"p"),
            |_, _, data| data[0] ^= 0x80,
            &mut rng,
        );
        assert_eq!(out.server, Err(ResultCode::PARAM_ERR));
        // Short message 3 is refused; extra bytes are ignored (netatalk reads 80 bytes).
        let out = run_login(
            &server,
            Uam::Dhcast128,
            LoginForm::LoginExt,
            b"u",
            b"p",
            accept_only(b"u", b"p"),
            |_, _, data| data.truncate(79),
            &mut rng,
        );
        assert_eq!(out.server, Err(ResultCode::PARAM_ERR));
        let out = run_login(
            &server,
            Uam::Dhcast128,
            LoginForm::LoginExt,
            b"u",
            b"p",
            accept_only(b"u", b"p"),
            |_, _, data| data.extend_from_slice(&[0; 8]),
            &mut rng,
        );
        assert!(out.server.is_ok());
        // Ma missing or degenerate in message 1.
        let (_, step) = server.start_login_ext(b"DHCAST128", b"u", &[0x11; 15], &mut rng);
        assert!(matches!(step, ServerStep::Done(Err(ResultCode::PARAM_ERR))));
        let mut one = [0u8; 16];
        one[15] = 1;
        let (_, step) = server.start_login_ext(b"DHCAST128", b"u", &one, &mut rng);
        assert!(matches!(step, ServerStep::Done(Err(ResultCode::PARAM_ERR))));
        // Short message 2 on the client.
        let (mut c, _) = ClientLogin::start(
            Uam::Dhcast128,
            b"u",
            Password::from("p"),
            LoginForm::LoginExt,
            &mut rng,
        )
        .unwrap();
        assert!(matches!(
            c.handle_reply(ResultCode::AUTH_CONTINUE, &[0; 49], &mut rng),
            Err(ClientError::BadReply(_))
        ));
    }

    fn change_round_trip(
        uam: Uam,
        old: &str,
        new: &str,
        verdict: ChangeVerdict,
        rng: &mut StdRng,
    ) -> (ResultCode, Result<Option<bytes::Bytes>, ClientError>) {
        let server = all_server();
        let (mut client, mut data) =
            ClientChangePassword::start(uam, Password::from(old), Password::from(new), rng)
                .unwrap();
        let (mut change, mut step) =
            server.start_change_password(uam.wire_name().as_bytes(), b"kim", &data, rng);
        loop {
            step = match step {
                ChangeStep::Continue(reply) => {
                    data = client
                        .handle_reply(ResultCode::AUTH_CONTINUE, &reply, rng)
                        .unwrap()
                        .unwrap();
                    change.handle(&data, rng)
                }
                ChangeStep::Verify(req) => {
                    assert_eq!(req.user(), b"kim");
                    assert_eq!(req.old_password().as_bytes(), old.as_bytes());
                    assert_eq!(req.new_password().as_bytes(), new.as_bytes());
                    change.verified(verdict)
                }
                ChangeStep::Done(code) => return (code, client.handle_reply(code, &[], rng)),
            }
        }
    }

    #[test]
    fn dh_password_changes() {
        let mut rng = rng();
        for uam in [Uam::Dhcast128, Uam::Dhx2] {
            assert_eq!(
                change_round_trip(uam, "old", "new", ChangeVerdict::Changed, &mut rng),
                (ResultCode::NO_ERR, Ok(None))
            );
            let (code, client) =
                change_round_trip(uam, "old", "new", ChangeVerdict::Reject, &mut rng);
            assert_eq!(code, ResultCode::USER_NOT_AUTH);
            assert_eq!(client, Err(ClientError::Server(ResultCode::USER_NOT_AUTH)));
            let (code, _) = change_round_trip(
                uam,
                "old",
                "new",
                ChangeVerdict::Fail(ResultCode::PWD_TOO_SHORT_ERR),
                &mut rng,
            );
            assert_eq!(code, ResultCode::PWD_TOO_SHORT_ERR);
            let (code, _) =
                change_round_trip(uam, "same", "same", ChangeVerdict::Changed, &mut rng);
            assert_eq!(code, ResultCode::PWD_SAME_ERR);
        }
        // DHCAST128's first change message must carry ID 0.
        let server = all_server();
        let (_, step) = server.start_change_password(b"DHCAST128", b"kim", &[0, 1, 2, 3], &mut rng);
        assert!(matches!(step, ChangeStep::Done(ResultCode::PARAM_ERR)));
        // DHX2 change messages with a wrong ID or size.
        let (mut client, data) = ClientChangePassword::start(
            Uam::Dhx2,
            Password::from("a"),
            Password::from("b"),
            &mut rng,
        )
        .unwrap();
        let (mut change, step) = server.start_change_password(b"DHX2", b"kim", &data, &mut rng);
        let ChangeStep::Continue(reply) = step else {
            panic!()
        };
        let mut msg = client
            .handle_reply(ResultCode::AUTH_CONTINUE, &reply, &mut rng)
            .unwrap()
            .unwrap()
            .to_vec();
        msg[1] ^= 1;
        assert!(matches!(
            change.handle(&msg, &mut rng),
            ChangeStep::Done(ResultCode::PARAM_ERR)
        ));
        assert!(matches!(
            change.handle(&msg, &mut rng),
            ChangeStep::Done(ResultCode::USER_NOT_AUTH)
        ));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn random_credentials_log_in_only_with_the_right_password(
        user in proptest::collection::vec(1u8..=255, 1..40),
        password in proptest::collection::vec(1u8..=255, 0..=8),
        other in proptest::collection::vec(1u8..=255, 0..=8),
        method in 0usize..3,
        ext in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let methods = password_methods();
        let uam = methods[method % methods.len()];
        let mut rng = StdRng::seed_from_u64(seed);
        let form = if ext { LoginForm::LoginExt } else { LoginForm::Login { auth_offset: 7 + (seed as usize % 2) } };
        let server = all_server();
        let ok = run_login(&server, uam, form, &user, &password, accept_only(&user, &password), no_tamper, &mut rng);
        prop_assert_eq!(ok.server.map(|l| l.user().map(<[u8]>::to_vec)), Ok(Some(user.clone())));
        let bad = run_login(&server, uam, form, &user, &other, accept_only(&user, &password), no_tamper, &mut rng);
        if other == password {
            prop_assert!(bad.server.is_ok());
        } else {
            prop_assert_eq!(bad.server, Err(ResultCode::USER_NOT_AUTH));
        }
    }
}

#[test]
fn command_adapters_drive_a_login() {
    use afp_proto::command::{ChangePassword, Login, LoginCont};
    use bytes::Bytes;
    let server = all_server();
    let mut rng = rng();
    let version = Bytes::from_static(b"AFP2.2");
    let uam = Bytes::from_static(b"Cleartxt Passwrd");
    let offset = login_auth_offset(&version, &uam);
    let (_, auth) = ClientLogin::start(
        Uam::CleartxtPasswrd,
        b"amy",
        Password::from("pw"),
        LoginForm::Login {
            auth_offset: offset,
        },
        &mut rng,
    )
    .unwrap();
    let cmd = Login {
        version,
        uam,
        user_auth_info: auth,
    };
    assert_eq!(cmd.user_auth_info_offset(), offset);
    let (mut login, step) = server.start_login_command(&cmd, &mut rng);
    let ServerStep::Verify(req) = step else {
        panic!("{step:?}")
    };
    assert_eq!(
        (req.user(), req.password().as_bytes()),
        (&b"amy"[..], &b"pw"[..])
    );
    drop(req);
    let cont = LoginCont {
        id: 1,
        data: Bytes::new(),
    };
    assert!(matches!(
        login.handle_login_cont_command(&cont, &mut rng),
        ServerStep::Done(Err(ResultCode::USER_NOT_AUTH))
    ));
    assert_eq!(
        ClientStep::Send {
            id: 9,
            data: Bytes::from_static(b"x")
        }
        .to_login_cont()
        .map(|c| (c.id, c.data)),
        Some((9, Bytes::from_static(b"x")))
    );
    // FPChangePassword on AFP 3 carries no user name: the session's user is used.
    let cmd = ChangePassword {
        uam: Bytes::from_static(b"Cleartxt Passwrd"),
        user_name: Bytes::new(),
        data: Bytes::from_static(b"a\0\0\0\0\0\0\0b\0\0\0\0\0\0\0"),
    };
    let (_, step) = server.start_change_password_command(&cmd, b"amy", &mut rng);
    let ChangeStep::Verify(req) = step else {
        panic!("{step:?}")
    };
    assert_eq!(req.user(), b"amy");
}
