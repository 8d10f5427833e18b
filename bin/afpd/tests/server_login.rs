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
fn dhx2_and_dhcast128_logins() {
    let srv = TestServer::builder().start();
    let u = srv.user();
    for uam in [Uam::Dhx2, Uam::Dhcast128] {
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
