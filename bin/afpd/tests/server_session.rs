//! Session-level commands: FPGetUserInfo, FPGetSrvrMsg, FPMapID, FPMapName,
//! FPGetSessionToken, FPDisconnectOldSession (primary reconnect), FPChangePassword,
//! password expiry.

mod common;

use std::time::Duration;

use afp_proto::ResultCode;
use afp_proto::command::{
    self, MapIdKey, MapIdReply, MapNameReply, SRVR_MSG_UTF8, TokenType, UserInfoBitmap,
};
use afp_proto::uam::Uam;
use bytes::Bytes;
use common::{AfpClient, TestServer, TestUser};

#[test]
fn get_user_info_reports_the_session_user() {
    let srv = TestServer::builder().start();
    let u = srv.user();
    let mut c = srv.login();
    let info = c.get_user_info(UserInfoBitmap::all()).unwrap();
    assert_eq!(info.user_id, Some(u.uid()));
    assert_eq!(info.group_id, Some(u.gid()));
    let uuid = info.uuid.expect("UUID");
    assert_eq!(
        &uuid[..12],
        &[
            0xff, 0xff, 0xee, 0xee, 0xdd, 0xdd, 0xcc, 0xcc, 0xbb, 0xbb, 0xaa, 0xaa
        ]
    );
    assert_eq!(&uuid[12..], &u.uid().to_be_bytes());
    // ThisUser not set → kFPParamErr; unknown bitmap bits → kFPBitmapErr.
    let req = command::GetUserInfo {
        flags: 0,
        user_id: 0,
        bitmap: UserInfoBitmap::USER_ID,
    };
    assert_eq!(c.call(req).0, ResultCode::PARAM_ERR);
    let req = command::GetUserInfo {
        flags: 1,
        user_id: 0,
        bitmap: UserInfoBitmap::from_bits_retain(0x80),
    };
    assert_eq!(c.call(req).0, ResultCode::BITMAP_ERR);
}

#[test]
fn server_messages() {
    let srv = TestServer::builder()
        .global("login message", "Welcome to the café")
        .start();
    let mut c = srv.login();
    let m = c.get_srvr_msg(0, 1 | SRVR_MSG_UTF8).unwrap();
    assert_eq!(m.kind, 0);
    assert_eq!(
        String::from_utf8(m.message.to_vec()).unwrap(),
        afp_proto::name::decompose("Welcome to the café")
    );
    let m = c.get_srvr_msg(0, 1).unwrap();
    assert_eq!(
        afp_proto::name::decode_mac_roman(&m.message),
        "Welcome to the café"
    );
    let m = c.get_srvr_msg(1, 1 | SRVR_MSG_UTF8).unwrap();
    assert!(m.message.is_empty());
    assert_eq!(c.get_srvr_msg(7, 1).err(), Some(ResultCode::BITMAP_ERR));
}

#[test]
fn map_ids_and_names() {
    let srv = TestServer::builder().start();
    let u = srv.user();
    let mut c = srv.login();
    let uid = u.uid();
    let own = match c.map_id(3, MapIdKey::Id(uid)).unwrap() {
        MapIdReply::Utf8Name(n) => String::from_utf8(n.to_vec()).unwrap(),
        r => panic!("{r:?}"),
    };
    assert_eq!(own, u.name);
    assert_eq!(c.map_name(1, &u.name).unwrap(), MapNameReply::Id(uid));
    assert_eq!(c.map_name(3, &u.name).unwrap(), MapNameReply::Id(uid));
    // UUIDs both ways (AFP 3.2+).
    let MapNameReply::Uuid(uuid) = c.map_name(5, &u.name).unwrap() else {
        panic!("no UUID")
    };
    match c.map_id(5, MapIdKey::Uuid(uuid)).unwrap() {
        MapIdReply::Uuid { kind, id, name } => {
            assert_eq!((kind, id), (1, uid));
            assert_eq!(&name[..], u.name.as_bytes());
        }
        r => panic!("{r:?}"),
    }
    // Groups: root's group always exists.
    assert_eq!(
        c.map_id(2, MapIdKey::Id(0)).unwrap(),
        MapIdReply::Name(Bytes::new())
    );
    match c.map_name(2, "root").unwrap() {
        MapNameReply::Id(0) => {}
        r => panic!("{r:?}"),
    }
    // Unknown ones.
    assert_eq!(
        c.map_id(1, MapIdKey::Id(3_999_999_999)).err(),
        Some(ResultCode::ITEM_NOT_FOUND)
    );
    assert_eq!(
        c.map_name(1, "no-such-user-anywhere").err(),
        Some(ResultCode::ITEM_NOT_FOUND)
    );
    assert_eq!(c.map_name(1, "").err(), Some(ResultCode::PARAM_ERR));
    assert_eq!(
        c.map_id(9, MapIdKey::Id(1)).err(),
        Some(ResultCode::PARAM_ERR)
    );
}

#[test]
fn map_subfunctions_follow_the_afp_version() {
    let srv = TestServer::builder().start();
    let u = srv.user();
    let mut c = srv.connect();
    let code = c.login_version("AFP2.2", &u.name, &u.password, Uam::CleartxtPasswrd, false);
    assert_eq!(code, ResultCode::NO_ERR);
    assert_eq!(
        c.map_id(3, MapIdKey::Id(0)).err(),
        Some(ResultCode::PARAM_ERR)
    );
    assert_eq!(c.map_name(1, &u.name).err(), Some(ResultCode::PARAM_ERR));
    assert!(c.map_name(3, &u.name).is_ok());
    // AFP 3.0 and 3.1 have no UUID calls.
    let mut c = srv.connect();
    let code = c.login_version("AFP3.1", &u.name, &u.password, Uam::CleartxtPasswrd, false);
    assert_eq!(code, ResultCode::NO_ERR);
    assert_eq!(c.map_name(5, &u.name).err(), Some(ResultCode::PARAM_ERR));
    // AFP 2.2 sessions have no FPGetSessionToken (AFP 3.0 gate).
    let mut c = srv.connect();
    let code = c.login_version("AFP2.2", &u.name, &u.password, Uam::CleartxtPasswrd, false);
    assert_eq!(code, ResultCode::NO_ERR);
    assert_eq!(
        c.get_session_token(TokenType::LOGIN_WITHOUT_ID, None, b"")
            .err(),
        Some(ResultCode::CALL_NOT_SUPPORTED)
    );
}

#[test]
fn session_tokens() {
    let srv = TestServer::builder().start();
    let mut c = srv.login();
    let t0 = c
        .get_session_token(TokenType::LOGIN_WITHOUT_ID, None, b"")
        .unwrap();
    assert_eq!(t0.len(), 8);
    let t3 = c
        .get_session_token(TokenType::LOGIN_WITH_TIME_AND_ID, Some(1234), b"my-mac")
        .unwrap();
    assert_eq!(t0, t3, "one token per session");
    // Recon1 types are not implemented; Kerberos keys do not exist here.
    assert_eq!(
        c.get_session_token(TokenType::RECON1_LOGIN, Some(1), b"x")
            .err(),
        Some(ResultCode::CALL_NOT_SUPPORTED)
    );
    assert_eq!(
        c.get_session_token(TokenType::GET_KERBEROS_SESSION_KEY, None, b"")
            .err(),
        Some(ResultCode::MISC_ERR)
    );
    // Another session's token differs.
    let mut d = srv.login();
    let other = d
        .get_session_token(TokenType::LOGIN_WITHOUT_ID, None, b"")
        .unwrap();
    assert_ne!(other, t0);
    // FPDisconnectOldSession: wrong length, unknown token, own token → kFPMiscErr; the
    // session lives on.
    assert_eq!(
        c.disconnect_old_session(TokenType(3), b"short"),
        Err(ResultCode::MISC_ERR)
    );
    assert_eq!(
        c.disconnect_old_session(TokenType(3), &[9; 8]),
        Err(ResultCode::MISC_ERR)
    );
    assert_eq!(
        c.disconnect_old_session(TokenType(3), &t0),
        Err(ResultCode::MISC_ERR)
    );
    assert!(c.get_srvr_info().is_ok());
}

#[test]
fn primary_reconnect_moves_the_old_session_to_the_new_connection() {
    let srv = TestServer::builder().start();
    let mut old = srv.login();
    let token = old
        .get_session_token(TokenType::LOGIN_WITH_TIME_AND_ID, Some(42), b"client-a")
        .unwrap();
    // The connection breaks without DSICloseSession.
    old.drop_connection();
    assert!(
        srv.wait_for_log("keeping the session", Duration::from_secs(10)),
        "{}",
        srv.log()
    );

    let mut new = srv.login();
    let mine = new
        .get_session_token(TokenType::LOGIN_WITHOUT_ID, None, b"")
        .unwrap();
    assert_ne!(mine, token);
    assert_eq!(new.disconnect_old_session(TokenType(4), &token), Ok(()));
    // The connection now serves the old session: its token is the old one.
    let now = new
        .get_session_token(TokenType::LOGIN_WITHOUT_ID, None, b"")
        .unwrap();
    assert_eq!(now, token);
    assert!(new.get_srvr_info().is_ok());
    assert!(srv.wait_for_log("session reconnected", Duration::from_secs(5)));
}

#[test]
fn reconnect_of_another_users_session_is_refused() {
    let srv = TestServer::builder().generated_account(&[]).start();
    let mut a = srv.login_as(0);
    let token = a
        .get_session_token(TokenType::LOGIN_WITHOUT_ID, None, b"")
        .unwrap();
    a.drop_connection();
    let mut b = srv.login_as(1);
    if srv.accounts()[0].uid() == srv.accounts()[1].uid() {
        // Unprivileged server: both virtual users run as the same uid; nothing to check.
        return;
    }
    assert_eq!(
        b.disconnect_old_session(TokenType(4), &token),
        Err(ResultCode::MISC_ERR)
    );
    assert!(b.get_srvr_info().is_ok());
}

#[test]
fn rebooted_client_ends_its_old_sessions() {
    let srv = TestServer::builder().start();
    let mut first = srv.login();
    first
        .get_session_token(TokenType::LOGIN_WITH_TIME_AND_ID, Some(100), b"mac-1")
        .unwrap();
    // Same boot: both sessions live.
    let mut second = srv.login();
    second
        .get_session_token(TokenType::LOGIN_WITH_TIME_AND_ID, Some(100), b"mac-1")
        .unwrap();
    assert!(first.get_srvr_info().is_ok());
    // Another boot time: the older sessions of that client are ended.
    let mut third = srv.login();
    third
        .get_session_token(TokenType::LOGIN_WITH_TIME_AND_ID, Some(200), b"mac-1")
        .unwrap();
    assert!(first.wait_closed(Duration::from_secs(10)));
    assert!(second.wait_closed(Duration::from_secs(10)));
    assert!(third.get_srvr_info().is_ok());
}

/// FPChangePassword with Cleartxt (AFP 3: no user name, two zero bytes).
fn change_cleartext(c: &mut AfpClient, old: &str, new: &str) -> ResultCode {
    let mut data = vec![0u8; 16];
    data[..old.len()].copy_from_slice(old.as_bytes());
    data[8..8 + new.len()].copy_from_slice(new.as_bytes());
    c.call(command::ChangePassword {
        uam: Bytes::from_static(b"Cleartxt Passwrd"),
        user_name: Bytes::new(),
        data: Bytes::from(data),
    })
    .0
}

#[test]
fn change_password_only_when_allowed() {
    let srv = TestServer::builder().start();
    let mut c = srv.login();
    let pw = srv.user().password.clone();
    assert_eq!(
        change_cleartext(&mut c, &pw, "new-pw-1"),
        ResultCode::CALL_NOT_SUPPORTED
    );
}

#[test]
fn change_password_in_the_password_file() {
    let srv = TestServer::builder().global("set password", "yes").start();
    let u = srv.user();
    let st = AfpClient::get_status(srv.addr()).unwrap();
    assert!(
        st.flags
            .contains(afp_proto::status::ServerFlags::SUPPORTS_CHANGE_PASSWORD)
    );
    let mut c = srv.connect();
    assert_eq!(c.login_cleartext(&u.name, &u.password), ResultCode::NO_ERR);
    assert_eq!(
        change_cleartext(&mut c, "wrongpw", "new-pw-1"),
        ResultCode::USER_NOT_AUTH
    );
    assert_eq!(
        change_cleartext(&mut c, &u.password, &u.password),
        ResultCode::PWD_SAME_ERR
    );
    assert_eq!(
        change_cleartext(&mut c, &u.password, "new-pw-1"),
        ResultCode::NO_ERR
    );
    // The new password works, the old one not.
    let mut d = srv.connect();
    assert_eq!(d.login_cleartext(&u.name, "new-pw-1"), ResultCode::NO_ERR);
    let mut e = srv.connect();
    assert_eq!(
        e.login_cleartext(&u.name, &u.password),
        ResultCode::USER_NOT_AUTH
    );
}

#[test]
fn expired_pam_password_allows_only_change_and_logout() {
    common::require_root("the password-expiry test (PAM, chage)");
    let user = TestUser::create(&[], Some("old-pw-9"));
    user.expire_password();
    // No password-file entry: the user comes from PAM.
    let srv = TestServer::builder().no_default_account().start();
    let mut c = srv.connect();
    // netatalk: the login itself succeeds; every other call says -5042.
    assert_eq!(
        c.login_cleartext(&user.name, "old-pw-9"),
        ResultCode::NO_ERR
    );
    assert_eq!(c.call(command::GetSrvrParms).0, ResultCode::PWD_EXPIRED_ERR);
    assert_eq!(c.get_srvr_info().err(), Some(ResultCode::PWD_EXPIRED_ERR));
    assert_eq!(
        change_cleartext(&mut c, "old-pw-9", "NewPw-77"),
        ResultCode::NO_ERR,
        "{}",
        srv.log()
    );
    assert!(c.get_srvr_info().is_ok(), "still gated after the change");
    assert_eq!(c.logout(), Ok(()));
    let mut d = srv.connect();
    assert_eq!(
        d.login_cleartext(&user.name, "NewPw-77"),
        ResultCode::NO_ERR
    );
    assert!(d.get_srvr_info().is_ok());
}

#[test]
fn reconnect_carries_the_replay_cache_over() {
    let srv = TestServer::builder().volume("test1").start();
    let u = srv.user();
    // Old connection: DSIOpenSession 0, FPLogin 1, FPGetSessionToken 2, FPOpenVol 3,
    // FPCreateDir 4.
    let mut old = srv.connect();
    assert_eq!(
        old.login_cleartext(&u.name, &u.password),
        ResultCode::NO_ERR
    );
    let token = old
        .get_session_token(TokenType::LOGIN_WITH_TIME_AND_ID, Some(7), b"replayer")
        .unwrap();
    let vol = old.open_volume("test1");
    assert_eq!(old.dsi().next_request_id(), 4);
    let dir = old.create_dir(vol, common::DIR_ROOT, "made once").unwrap();
    old.drop_connection();
    assert!(srv.wait_for_log("keeping the session", Duration::from_secs(10)));

    // New connection: DSIOpenSession 0, FPLogin 1, FPDisconnectOldSession 2; then the
    // client replays requests 3 and 4 with their old IDs.
    let mut new = srv.connect();
    assert_eq!(
        new.login_cleartext(&u.name, &u.password),
        ResultCode::NO_ERR
    );
    assert_eq!(new.disconnect_old_session(TokenType(4), &token), Ok(()));
    assert_eq!(new.open_volume("test1"), vol);
    // Executed again this would be kFPObjectExists; the cache answers with the first reply.
    assert_eq!(new.create_dir(vol, common::DIR_ROOT, "made once"), Ok(dir));
    // A new request is executed normally.
    assert_eq!(
        new.create_dir(vol, common::DIR_ROOT, "made once"),
        Err(ResultCode::OBJECT_EXISTS)
    );
}

/// netatalk's spec test FPDisconnectOldSession:test338: the old connection is still up;
/// the new one takes its session over and closes the fork the old one opened.
#[test]
fn reconnect_takes_over_a_live_session() {
    use afp_proto::command::AccessMode;
    use afp_proto::params::FileBitmap;
    let srv = TestServer::builder().volume("test1").start();
    let mut old = srv.login();
    let token = old
        .get_session_token(
            TokenType::LOGIN_WITH_TIME_AND_ID,
            Some(12345),
            b"testsuite-0",
        )
        .unwrap();
    let vol = old.open_volume("test1");
    old.create_file(vol, common::DIR_ROOT, "t338 file", false)
        .unwrap();
    let fork = old
        .open_fork(
            vol,
            common::DIR_ROOT,
            "t338 file",
            false,
            AccessMode::READ | AccessMode::WRITE,
            FileBitmap::empty(),
        )
        .unwrap()
        .fork;

    let mut new = srv.login();
    assert_eq!(new.disconnect_old_session(TokenType(0), &token), Ok(()));
    assert!(
        old.wait_closed(Duration::from_secs(10)),
        "the old connection stays open"
    );
    new.get_session_token(
        TokenType::RECONN_WITH_TIME_AND_ID,
        Some(12345),
        b"testsuite-1",
    )
    .unwrap();
    assert_eq!(new.close_fork(fork), Ok(()));
    assert_eq!(new.logout(), Ok(()));
}
