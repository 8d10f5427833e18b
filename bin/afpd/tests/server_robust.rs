//! One connection's bad bytes never hurt another; connection limits; tickles and idle
//! timeouts; sleep.

mod common;

use std::time::Duration;

use afp_proto::ResultCode;
use afp_proto::command::Zzzzz;
use common::{AfpClient, TestServer};
use dsi::{ClientConfig, CloseReason};

/// A logged-in bystander that must keep working.
fn bystander(srv: &TestServer) -> AfpClient {
    let mut c = srv.login();
    assert!(c.get_srvr_info().is_ok());
    c
}

#[test]
fn malformed_dsi_closes_only_that_connection() {
    let srv = TestServer::builder().start();
    let mut other = bystander(&srv);
    let cases: Vec<Vec<u8>> = vec![
        // Unknown flags byte.
        vec![0xFF, 0x04, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        // Command 0.
        vec![0x00, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        // DSICommand before DSIOpenSession.
        vec![
            0x00, 0x02, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0x10, 0,
        ],
        // A length far beyond the quantum.
        vec![
            0x00, 0x04, 0, 1, 0, 0, 0, 0, 0x7F, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0,
        ],
        // OpenSession with an option running past the payload (CVE-2018-1160's shape).
        vec![
            0x00, 0x04, 0, 1, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0x01, 0xF0, 0x00,
        ],
    ];
    for bytes in cases {
        let mut c = AfpClient::tcp(srv.addr(), ClientConfig::default()).unwrap();
        c.send_raw(&bytes).unwrap();
        assert!(
            c.wait_closed(Duration::from_secs(10)),
            "still open after {bytes:02x?}"
        );
        assert!(
            other.get_srvr_info().is_ok(),
            "bystander broken after {bytes:02x?}"
        );
    }
    // Garbage inside an open session.
    let mut c = srv.login();
    c.send_raw(&[0x01, 0x77, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        .unwrap();
    assert!(c.wait_closed(Duration::from_secs(10)));
    assert!(other.get_srvr_info().is_ok());
    // A client that stops mid-header.
    let mut c = srv.connect();
    c.send_raw(&[0x00, 0x02, 0x00]).unwrap();
    c.drop_connection();
    assert!(other.get_srvr_info().is_ok());
}

#[test]
fn malformed_afp_is_answered_and_the_session_lives() {
    let srv = TestServer::builder().start();
    let mut c = srv.login();
    // FPGetUserInfo cut short: a decode error, answered, session kept.
    let (code, _) = c.call_raw(vec![37u8, 1, 0]);
    assert_ne!(code, ResultCode::NO_ERR);
    // FPMapName with a length past the end.
    let (code, _) = c.call_raw(vec![22u8, 1, 0, 200, b'x']);
    assert_ne!(code, ResultCode::NO_ERR);
    // An unknown command code.
    let (code, _) = c.call_raw(vec![0xEEu8, 0]);
    assert_eq!(code, ResultCode::CALL_NOT_SUPPORTED);
    // Every code with a one-byte body: nothing kills the session.
    for code in 1u8..=255 {
        if matches!(code, 18 | 19 | 20 | 63 | 65 | 122) {
            continue; // logins, logout, reconnect and sleep change the session's state
        }
        let r = c.try_call_raw(bytes::Bytes::from(vec![code]));
        assert!(r.is_ok(), "command {code} broke the session: {:?}", r.err());
    }
    assert!(c.get_srvr_info().is_ok());
}

#[test]
fn max_connections_refuses_open_session_but_serves_status() {
    let srv = TestServer::builder().global("max connections", "1").start();
    let first = srv.connect();
    match AfpClient::connect(srv.addr()) {
        Err(common::ClientError::Closed(Some(CloseReason::Refused(code)))) => {
            assert_eq!(code, dsi::ErrorCode::TOO_MANY.0);
        }
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("a second session was accepted with max connections = 1"),
    }
    // The status is still served.
    assert!(AfpClient::get_status(srv.addr()).is_ok());
    first.close();
    // The slot is free again once the first connection is gone.
    let mut ok = false;
    for _ in 0..100 {
        if AfpClient::connect(srv.addr()).is_ok() {
            ok = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(ok, "the slot was not released");
}

fn silent_client() -> ClientConfig {
    ClientConfig {
        answer_tickles: false,
        tickle_interval: Duration::from_secs(3600),
        idle_timeout: Duration::from_secs(3600),
        ..ClientConfig::default()
    }
}

#[test]
fn idle_sessions_time_out_and_tickled_ones_live() {
    let srv = TestServer::builder()
        .global("tickleval", "1")
        .global("timeout", "2")
        .start();
    let u = srv.user();
    // A client that never answers is dropped after tickleval × timeout.
    let mut silent = AfpClient::connect_with(srv.addr(), silent_client()).unwrap();
    assert_eq!(
        silent.login_cleartext(&u.name, &u.password),
        ResultCode::NO_ERR
    );
    assert!(
        silent.wait_closed(Duration::from_secs(15)),
        "idle session not dropped"
    );
    // A client that answers the server's tickles stays.
    let mut polite = srv.login();
    polite.idle(Duration::from_secs(4));
    assert!(polite.closed().is_none(), "a tickling client was dropped");
    assert!(polite.get_srvr_info().is_ok());
}

#[test]
fn sleeping_session_is_kept_without_tickles() {
    let srv = TestServer::builder()
        .global("tickleval", "1")
        .global("timeout", "2")
        .global("sleep time", "3")
        .start();
    let u = srv.user();
    let mut c = AfpClient::connect_with(srv.addr(), silent_client()).unwrap();
    assert_eq!(c.login_cleartext(&u.name, &u.password), ResultCode::NO_ERR);
    // netatalk replies the hours it keeps a sleeping session.
    assert_eq!(c.zzzzz(0), Ok(Some(3)));
    c.idle(Duration::from_secs(4));
    assert!(c.closed().is_none(), "a sleeping session was dropped");
    // Any request wakes an ordinary sleep.
    assert!(c.get_srvr_info().is_ok());
    // Extended sleep: kept too, until the explicit wake-up.
    assert_eq!(c.zzzzz(Zzzzz::EXT_SLEEP), Ok(Some(3)));
    c.idle(Duration::from_secs(4));
    assert!(c.closed().is_none());
    assert!(
        c.get_srvr_info().is_ok(),
        "requests are served in extended sleep"
    );
    assert_eq!(c.zzzzz(Zzzzz::WAKE_UP), Ok(Some(3)));
    // Awake again: the idle timer runs.
    assert!(c.wait_closed(Duration::from_secs(15)));
}

#[test]
fn cut_short_requests_are_answered_as_netatalk_does() {
    let srv = TestServer::builder().volume("test1").start();
    let mut c = srv.login();
    let vol = c.open_volume("test1");
    let dir = c.create_dir(vol, common::DIR_ROOT, "gone").unwrap();
    c.delete(vol, common::DIR_ROOT, "gone").unwrap();
    let v = vol.to_be_bytes();
    let d = dir.to_be_bytes();
    // `code, 0, vid, did` only: the missing directory is found first (Error:test36).
    for code in [6u8, 7, 8, 25, 26, 28, 34] {
        let block = vec![code, 0, v[0], v[1], d[0], d[1], d[2], d[3]];
        assert_eq!(
            c.call_raw(block).0,
            ResultCode::OBJECT_NOT_FOUND,
            "command {code}"
        );
    }
    // An unknown volume: kFPParamErr (Error:test35).
    let bad = (vol + 1).to_be_bytes();
    for code in [6u8, 8, 34] {
        let block = vec![code, 0, bad[0], bad[1], 0, 0, 0, 2];
        assert_eq!(c.call_raw(block).0, ResultCode::PARAM_ERR, "command {code}");
    }
    // FPMapID 5 with a 4-byte ID instead of a UUID names nobody.
    assert_eq!(
        c.call_raw(vec![21u8, 5, 0, 0, 0, 1]).0,
        ResultCode::ITEM_NOT_FOUND
    );
    assert!(c.get_srvr_info().is_ok());
}

#[test]
fn malformed_login_is_refused_and_closes() {
    let srv = TestServer::builder().start();
    let mut c = srv.connect();
    // FPLogin with the version string cut short.
    assert_eq!(
        c.call_raw(vec![18u8, 6, b'A', b'F']).0,
        ResultCode::BAD_VERS_NUM
    );
    assert!(c.wait_closed(Duration::from_secs(10)));
}

#[test]
fn logout_and_dropped_connections_release_forks() {
    use afp_proto::command::AccessMode;
    use afp_proto::params::FileBitmap;
    let srv = TestServer::builder().volume("test1").start();
    let mut a = srv.login();
    let mut b = srv.login();
    let va = a.open_volume("test1");
    let vb = b.open_volume("test1");
    a.create_file(va, common::DIR_ROOT, "locked", false)
        .unwrap();
    let deny = AccessMode::READ | AccessMode::WRITE | AccessMode::DENY_WRITE;
    let open_b = |b: &mut AfpClient| {
        b.open_fork(
            vb,
            common::DIR_ROOT,
            "locked",
            false,
            AccessMode::WRITE,
            FileBitmap::empty(),
        )
    };
    a.open_fork(
        va,
        common::DIR_ROOT,
        "locked",
        false,
        deny,
        FileBitmap::empty(),
    )
    .unwrap();
    assert_eq!(open_b(&mut b).err(), Some(ResultCode::DENY_CONFLICT));
    // FPLogout closes A's forks.
    a.logout().unwrap();
    let f = open_b(&mut b).expect("open after the other session logged out");
    b.close_fork(f.fork).unwrap();

    // A connection that drops (no session token, so no reconnect wait) releases too.
    let mut c = srv.login();
    let vc = c.open_volume("test1");
    c.open_fork(
        vc,
        common::DIR_ROOT,
        "locked",
        false,
        deny,
        FileBitmap::empty(),
    )
    .unwrap();
    assert_eq!(open_b(&mut b).err(), Some(ResultCode::DENY_CONFLICT));
    c.drop_connection();
    let mut released = false;
    for _ in 0..100 {
        if let Ok(f) = open_b(&mut b) {
            b.close_fork(f.fork).unwrap();
            released = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(released, "the dropped session kept its deny mode");
}
