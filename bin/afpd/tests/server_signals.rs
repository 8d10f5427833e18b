//! SIGTERM (attention, orderly close, exit 0) and SIGHUP (reload for new sessions).

mod common;

use std::time::Duration;

use afp_proto::ResultCode;
use common::{AfpClient, TestServer};

#[test]
fn sigterm_sends_the_shutdown_attention_and_exits_zero() {
    let mut srv = TestServer::builder().volume("test1").start();
    let mut a = srv.login();
    let mut b = srv.login();
    let mut idle = srv.connect(); // DSI open, not logged in
    // A session waiting for a reconnect (token handed out, connection dropped).
    let mut gone = srv.login();
    gone.get_session_token(afp_proto::command::TokenType::LOGIN_WITHOUT_ID, None, b"")
        .unwrap();
    gone.drop_connection();
    assert!(srv.wait_for_log("keeping the session", Duration::from_secs(10)));
    srv.signal(libc::SIGTERM);
    for c in [&mut a, &mut b, &mut idle] {
        let att = c.wait_attention(Duration::from_secs(10));
        assert!(
            att.is_some_and(|a| a.is_shutdown()),
            "no shutdown attention: {att:?}"
        );
        assert!(
            c.wait_closed(Duration::from_secs(15)),
            "connection left open"
        );
    }
    assert_eq!(
        srv.wait_exit(Duration::from_secs(30)),
        Some(0),
        "{}",
        srv.log()
    );
    let log = srv.log();
    assert!(log.contains("server stopped"), "{log}");
    assert!(!log.contains("still busy"), "{log}");
    assert!(!log.contains("still open"), "{log}");
}

#[test]
fn sigint_also_exits_zero() {
    let mut srv = TestServer::builder().start();
    let _c = srv.login();
    srv.signal(libc::SIGINT);
    assert_eq!(srv.wait_exit(Duration::from_secs(30)), Some(0));
}

#[test]
fn sighup_reloads_for_new_sessions_and_keeps_a_good_config_on_errors() {
    let srv = TestServer::builder()
        .uams(&["clrtxt"])
        .volume("test1")
        .start();
    let u = srv.user();
    let mut old = srv.connect();
    assert_eq!(
        old.login_cleartext(&u.name, &u.password),
        ResultCode::NO_ERR
    );

    // Add DHX2 and a volume.
    let extra = srv.dir().join("vol2");
    std::fs::create_dir_all(&extra).unwrap();
    let text = srv.config_text().replace(
        "uam list = uams_clrtxt.so",
        "uam list = uams_clrtxt.so uams_dhx2.so",
    ) + &format!("\n[test2]\npath = {}\n", extra.display());
    srv.write_config(&text);
    srv.signal(libc::SIGHUP);
    assert!(
        srv.wait_for_log("configuration reloaded", Duration::from_secs(10)),
        "{}",
        srv.log()
    );
    let st = AfpClient::get_status(srv.addr()).unwrap();
    assert!(st.uams.iter().any(|u| &u[..] == b"DHX2"), "{:?}", st.uams);
    let mut new = srv.connect();
    assert_eq!(
        new.login(&u.name, &u.password, afp_proto::uam::Uam::Dhx2),
        ResultCode::NO_ERR
    );
    // The new volume is listed for new sessions.
    let vols = new.get_srvr_parms().expect("FPGetSrvrParms");
    let names: Vec<&[u8]> = vols.volumes.iter().map(|v| &v.name[..]).collect();
    assert!(names.contains(&&b"test2"[..]), "{names:?}");
    assert!(names.contains(&&b"test1"[..]), "{names:?}");
    assert_ne!(new.open_volume("test2"), 0);
    // The running session keeps working.
    assert!(old.get_srvr_info().is_ok());

    // A broken file is refused and the running configuration stays.
    srv.write_config(&(text.clone() + "\n[broken\n"));
    srv.signal(libc::SIGHUP);
    assert!(
        srv.wait_for_log("keeping the running configuration", Duration::from_secs(10)),
        "{}",
        srv.log()
    );
    let st = AfpClient::get_status(srv.addr()).unwrap();
    assert!(st.uams.iter().any(|u| &u[..] == b"DHX2"));
    let mut again = srv.connect();
    assert_eq!(
        again.login(&u.name, &u.password, afp_proto::uam::Uam::Dhx2),
        ResultCode::NO_ERR
    );
}
