//! Logins: status without login, every login method, wrong passwords, unknown methods,
//! bad versions, commands before login, guest on and off.

mod common;

use std::time::Duration;

use afp_proto::ResultCode;
use afp_proto::uam::Uam;
use common::{AfpClient, TestServer};

#[test]
fn status_without_login() {
    let srv = TestServer::builder().volume("test1").start();
    let st = AfpClient::get_status(srv.addr()).expect("status");
    let uams: Vec<String> = st
        .uams
        .iter()
        .map(|u| String::from_utf8_lossy(u).into_owned())
        .collect();
    assert_eq!(uams, ["Cleartxt Passwrd", "DHCAST128", "DHX2"]);
    assert!(st.afp_versions.iter().any(|v| &v[..] == b"AFP3.4"));
}

#[test]
fn cleartext_login_and_logout() {
    let srv = TestServer::builder().start();
    let mut c = srv.connect();
    let u = srv.user();
    assert_eq!(c.login_cleartext(&u.name, &u.password), ResultCode::NO_ERR);
    assert_eq!(c.logout(), Ok(()));
    c.close();
    assert!(srv.wait_for_log("Logout by", Duration::from_secs(5)));
}

#[test]
fn every_password_method_with_login_and_login_ext() {
    let srv = TestServer::builder().start();
    let u = srv.user();
    for uam in [Uam::Dhx2, Uam::Dhcast128, Uam::CleartxtPasswrd] {
        let mut c = srv.connect();
        assert_eq!(
            c.login(&u.name, &u.password, uam),
            ResultCode::NO_ERR,
            "{uam:?}"
        );
        let mut c2 = srv.connect();
        assert_eq!(
            c2.login_ext(&u.name, &u.password, uam),
            ResultCode::NO_ERR,
            "{uam:?} ext"
        );
    }
}

/// netatalk closes the connection after a failed login: error reply, DSIAttention 0x8000,
/// DSICloseSession.
fn assert_closed_after_refusal(c: &mut AfpClient) {
    assert!(
        c.wait_closed(Duration::from_secs(10)),
        "the server keeps a refused session open"
    );
    assert!(
        c.attentions().iter().any(|a| a.is_shutdown()),
        "no shutdown attention before the close: {:?}",
        c.attentions()
    );
}

#[test]
fn wrong_password_is_refused_for_every_method() {
    let srv = TestServer::builder().start();
    let u = srv.user();
    for uam in [Uam::CleartxtPasswrd, Uam::Dhcast128, Uam::Dhx2] {
        let mut c = srv.connect();
        assert_eq!(
            c.login(&u.name, "wrong-pw", uam),
            ResultCode::USER_NOT_AUTH,
            "{uam:?}"
        );
        assert_closed_after_refusal(&mut c);
        let mut c = srv.connect();
        assert_eq!(
            c.login("no-such-user", &u.password, uam),
            ResultCode::USER_NOT_AUTH
        );
    }
    assert!(srv.wait_for_log("Login refused", Duration::from_secs(5)));
    // The server still serves others.
    let mut c = srv.connect();
    assert_eq!(c.login_best(&u.name, &u.password), ResultCode::NO_ERR);
}

#[test]
fn unknown_or_unoffered_uam_is_bad_uam() {
    let srv = TestServer::builder().uams(&["clrtxt"]).start();
    let u = srv.user();
    let mut c = srv.connect();
    assert_eq!(
        c.login(&u.name, &u.password, Uam::Dhx2),
        ResultCode::BAD_UAM
    );
    assert_closed_after_refusal(&mut c);
    // A UAM name nobody knows, sent raw.
    let mut c = srv.connect();
    let login = afp_proto::command::Login {
        version: bytes::Bytes::from_static(b"AFP3.4"),
        uam: bytes::Bytes::from_static(b"Magic Login"),
        user_auth_info: bytes::Bytes::new(),
    };
    assert_eq!(c.call(login).0, ResultCode::BAD_UAM);
    // Guest is not offered here.
    let mut c = srv.connect();
    assert_eq!(c.login_guest(), ResultCode::BAD_UAM);
}

#[test]
fn bad_afp_version_is_refused() {
    let srv = TestServer::builder().start();
    let u = srv.user();
    for v in ["AFP9.9", "AFPVersion 2.1", ""] {
        let mut c = srv.connect();
        let code = c.login_version(v, &u.name, &u.password, Uam::CleartxtPasswrd, false);
        assert_eq!(code, ResultCode::BAD_VERS_NUM, "version {v:?}");
        assert_closed_after_refusal(&mut c);
    }
    // Each advertised version logs in; netatalk's prefix match accepts "AFP3".
    for v in [
        "AFP2.2", "AFPX03", "AFP3.1", "AFP3.2", "AFP3.3", "AFP3.4", "AFP3",
    ] {
        let mut c = srv.connect();
        let code = c.login_version(v, &u.name, &u.password, Uam::CleartxtPasswrd, false);
        assert_eq!(code, ResultCode::NO_ERR, "version {v:?}");
    }
}

#[test]
fn commands_before_login_are_refused_and_the_session_lives() {
    let srv = TestServer::builder().volume("test1").start();
    let u = srv.user();
    let mut c = srv.connect();
    assert_eq!(
        c.call(afp_proto::command::GetSrvrParms).0,
        ResultCode::CALL_NOT_SUPPORTED
    );
    // netatalk serves FPGetSrvrInfo only after login.
    assert_eq!(
        c.call(afp_proto::command::GetSrvrInfo).0,
        ResultCode::CALL_NOT_SUPPORTED
    );
    let open = afp_proto::command::OpenVol {
        bitmap: afp_proto::params::VolumeBitmap::VOLUME_ID,
        name: bytes::Bytes::from_static(b"test1"),
        password: None,
    };
    assert_eq!(c.call(open).0, ResultCode::CALL_NOT_SUPPORTED);
    assert_eq!(
        c.call(afp_proto::command::Zzzzz { flags: 0 }).0,
        ResultCode::CALL_NOT_SUPPORTED
    );
    // FPLogout before login is accepted (a no-op), and the login still works.
    assert_eq!(c.logout(), Ok(()));
    assert_eq!(c.login_cleartext(&u.name, &u.password), ResultCode::NO_ERR);
    let st = c.get_srvr_info().expect("FPGetSrvrInfo after login");
    assert!(!st.uams.is_empty());
    // A second login on a logged-in session is refused without closing it.
    let again = afp_proto::command::Login {
        version: bytes::Bytes::from_static(b"AFP3.4"),
        uam: bytes::Bytes::from_static(b"Cleartxt Passwrd"),
        user_auth_info: bytes::Bytes::new(),
    };
    assert_eq!(c.call(again).0, ResultCode::MISC_ERR);
    assert!(c.get_srvr_info().is_ok());
}

#[test]
fn login_cont_without_login_is_user_not_auth_and_closes() {
    let srv = TestServer::builder().start();
    let mut c = srv.connect();
    let cont = afp_proto::command::LoginCont {
        id: 7,
        data: bytes::Bytes::from_static(&[0; 16]),
    };
    assert_eq!(c.call(cont).0, ResultCode::USER_NOT_AUTH);
    assert_closed_after_refusal(&mut c);
}

#[test]
fn guest_login_when_configured() {
    let srv = TestServer::builder().uams(&["guest", "clrtxt"]).start();
    let mut c = srv.connect();
    assert_eq!(c.login_guest(), ResultCode::NO_ERR);
    assert!(c.get_srvr_info().is_ok());
    // Guests get no session token (they never reconnect).
    assert_eq!(
        c.get_session_token(afp_proto::command::TokenType::LOGIN_WITHOUT_ID, None, b""),
        Err(ResultCode::MISC_ERR)
    );
    assert!(srv.wait_for_log("Login by", Duration::from_secs(5)));
}

#[test]
fn login_line_names_user_client_and_version() {
    let srv = TestServer::builder().start();
    let u = srv.user();
    let mut c = srv.connect();
    assert_eq!(c.login(&u.name, &u.password, Uam::Dhx2), ResultCode::NO_ERR);
    let line = format!("AFP3.4 Login by {} from 127.0.0.1", u.name);
    assert!(
        srv.wait_for_log(&line, Duration::from_secs(5)),
        "{}",
        srv.log()
    );
    c.logout().unwrap();
    let line = format!("AFP3.4 Logout by {} from 127.0.0.1", u.name);
    assert!(
        srv.wait_for_log(&line, Duration::from_secs(5)),
        "{}",
        srv.log()
    );
}
