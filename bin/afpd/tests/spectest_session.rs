//! Facts of netatalk's `afp_spectest` tier 1 for the session, volume and desktop calls
//! that the other test files do not already check: the test client's exact login bytes,
//! FPOpenVol.c, FPCloseDT.c, FPGetComment.c, FPRemoveComment.c, FPAddComment.c,
//! FPRemoveAPPL.c, FPMapID.c, FPGetUserInfo.c and Error.c (test36).

mod catalog_common;
mod common;

use afp_proto::command::{self, Reply};
use afp_proto::params::{DirBitmap, FileBitmap, UnixPrivs, VolumeBitmap};
use afp_proto::{AfpVersion, ResultCode};
use bytes::Bytes;
use catalog_common::*;
use common::TwoUsers as Two;
use common::{AfpClient, TestServer};

/// The FPLogin block netatalk's test client (`AFPopenLogin`) sends: no pad after the
/// command byte, version and UAM as pascal strings, the user name, a pad byte when the
/// offset is odd, then the password in 8 bytes.
fn spectest_login_block(version: &str, user: &str, password: &str) -> Vec<u8> {
    let mut b = vec![18u8];
    for s in [version, "Cleartxt Passwrd", user] {
        b.push(s.len() as u8);
        b.extend_from_slice(s.as_bytes());
    }
    if b.len() % 2 == 1 {
        b.push(0);
    }
    let mut pw = [0u8; 8];
    pw[..password.len()].copy_from_slice(password.as_bytes());
    b.extend_from_slice(&pw);
    b
}

/// spectest main(): `FPopenLogin(Conn, vers, "Cleartxt Passwrd", User, Password)` with
/// the version of `-3` … `-7`, then volume calls, then FPLogout and DSICloseSession.
#[test]
fn spectest_login_bytes_work_for_every_afp3_version() {
    let srv = TestServer::builder().volume("test1").start();
    let (user, password) = (srv.user().name.clone(), srv.user().password.clone());
    for (name, version) in [
        ("AFPX03", AfpVersion::V3_0),
        ("AFP3.1", AfpVersion::V3_1),
        ("AFP3.2", AfpVersion::V3_2),
        ("AFP3.3", AfpVersion::V3_3),
        ("AFP3.4", AfpVersion::V3_4),
    ] {
        let mut c = srv.connect();
        let (code, _) = c.call_raw(spectest_login_block(name, &user, &password));
        assert_eq!(code, ResultCode::NO_ERR, "login with {name}");
        c.set_version(version);
        let vid = c.open_volume("test1");
        assert!(c.get_srvr_parms().is_ok(), "{name}");
        assert_eq!(c.close_vol(vid), Ok(()));
        assert_eq!(c.logout(), Ok(()), "{name}");
        c.close();
    }
    // A wrong password with the same layout is refused.
    let mut c = srv.connect();
    let (code, _) = c.call_raw(spectest_login_block("AFP3.4", &user, "wrong"));
    assert_eq!(code, ResultCode::USER_NOT_AUTH);
}

/// FPOpenVol.c test404: with the volume closed, FPGetSrvrParms, then FPOpenVol with only
/// the volume-ID bit, then an FPGetFileDirParms on the root with the old volume ID.
#[test]
fn open_vol_with_only_the_id_bit_after_close() {
    let (_srv, mut c, vid) = setup();
    assert_eq!(c.close_vol(vid), Ok(()));
    assert!(c.get_srvr_parms().is_ok());
    let p = c.open_vol("test1", VolumeBitmap::VOLUME_ID).unwrap();
    assert_eq!(p.volume_id, Some(vid));
    assert!(p.attributes.is_none());
    assert!(
        dir(&mut c, vid, ROOT, "", DirBitmap::ACCESS_RIGHTS).is_ok(),
        "GetFileDirParms after reopening"
    );
}

/// FPCloseDT.c test201: a DTRefNum that names no open volume is kFPParamErr.
#[test]
fn close_dt_of_an_unknown_refnum() {
    let (_srv, mut c, vid) = setup();
    let dt = match c.request(command::OpenDt { volume_id: vid }).unwrap() {
        Reply::OpenDt { dt_ref } => dt_ref,
        r => panic!("{r:?}"),
    };
    // spectest FPCloseDT.c test201: old answer kFPNoErr, netatalk kFPParamErr.
    assert_eq!(
        code(&mut c, command::CloseDt { dt_ref: dt + 1 }),
        ResultCode::PARAM_ERR
    );
    assert_eq!(
        code(&mut c, command::CloseDt { dt_ref: dt }),
        ResultCode::NO_ERR
    );
}

/// Error.c test36: every call of its list, sent as `code, 0, vid, did` with the ID of a
/// deleted directory, is kFPObjectNotFound (server_robust.rs checks seven of them).
#[test]
fn cut_short_calls_naming_a_deleted_directory() {
    let (_srv, mut c, vid) = setup();
    let did = c.create_dir(vid, ROOT, "t36 dir").unwrap();
    c.delete(vid, ROOT, "t36 dir").unwrap();
    let v = vid.to_be_bytes();
    let d = did.to_be_bytes();
    for cmd in [5u8, 6, 7, 8, 25, 26, 28, 29, 30, 34, 35, 53, 54, 56, 57, 58] {
        let block = vec![cmd, 0, v[0], v[1], d[0], d[1], d[2], d[3]];
        assert_eq!(
            c.call_raw(block).0,
            ResultCode::OBJECT_NOT_FOUND,
            "command {cmd}"
        );
    }
}

/// FPMapID.c test208 and FPGetUserInfo.c test75: the test client sends a 4-byte ID for
/// every subfunction; 5 (a UUID) with a group ID names nobody. The user's IDs map.
#[test]
fn map_id_as_the_test_client_sends_it() {
    let (_srv, mut c, vid) = setup();
    c.create_dir(vid, ROOT, "t208 test Map ID").unwrap();
    let d = dir(
        &mut c,
        vid,
        ROOT,
        "t208 test Map ID",
        DirBitmap::OWNER_ID | DirBitmap::GROUP_ID,
    )
    .unwrap();
    let (uid, gid) = (d.owner_id.unwrap(), d.group_id.unwrap());
    let map = |c: &mut AfpClient, sub: u8, id: u32| {
        let mut b = vec![21u8, sub];
        b.extend_from_slice(&id.to_be_bytes());
        c.call_raw(b).0
    };
    assert_eq!(map(&mut c, 1, 0), ResultCode::NO_ERR);
    assert_eq!(map(&mut c, 1, uid), ResultCode::NO_ERR);
    assert_eq!(
        map(&mut c, 1, uid.wrapping_neg()),
        ResultCode::ITEM_NOT_FOUND
    );
    assert_eq!(map(&mut c, 2, gid), ResultCode::NO_ERR);
    assert_eq!(map(&mut c, 3, uid), ResultCode::NO_ERR);
    assert_eq!(map(&mut c, 4, gid), ResultCode::NO_ERR);
    assert_eq!(map(&mut c, 5, gid), ResultCode::ITEM_NOT_FOUND);
    // test75: FPGetUserInfo(1, 0, 3) answers the uid the directory shows.
    let mut b = vec![37u8, 1];
    b.extend_from_slice(&0u32.to_be_bytes());
    b.extend_from_slice(&3u16.to_be_bytes());
    let (r, body) = c.call_raw(b);
    assert_eq!(r, ResultCode::NO_ERR);
    assert_eq!(&body[..2], &3u16.to_be_bytes());
    assert_eq!(&body[2..6], &uid.to_be_bytes());
    assert_eq!(&body[6..10], &gid.to_be_bytes());
    c.delete(vid, ROOT, "t208 test Map ID").unwrap();
}

/// FPRemoveAPPL.c test215.
#[test]
fn remove_appl_as_spectest_does() {
    let (_srv, mut c, vid) = setup();
    let dt = vid;
    c.create_file(vid, ROOT, "t215 file", false).unwrap();
    let add = command::AddAppl {
        dt_ref: dt,
        dir_id: ROOT,
        creator: *b"ttxt",
        appl_tag: 0xafb4_71c0,
        path: p("t215 file"),
    };
    assert_eq!(code(&mut c, add), ResultCode::NO_ERR);
    let rm = |c: &mut AfpClient, did: u32, creator: &[u8; 4], path: &str| {
        code(
            c,
            command::RemoveAppl {
                dt_ref: dt,
                dir_id: did,
                creator: *creator,
                path: p(path),
            },
        )
    };
    // DID 1 with a name: not found (netatalk kFPObjectNotFound, kFPItemNotFound allowed).
    let r = rm(&mut c, 1, b"ttxt", "t215 file1");
    assert!(
        r == ResultCode::OBJECT_NOT_FOUND || r == ResultCode::ITEM_NOT_FOUND,
        "{r:?}"
    );
    // Unknown creator / a directory: the Mac's kFPItemNotFound or netatalk's code.
    let r = rm(&mut c, ROOT, b"ttut", "t215 file1");
    assert!(
        r == ResultCode::ITEM_NOT_FOUND || r == ResultCode::OBJECT_NOT_FOUND,
        "{r:?}"
    );
    let r = rm(&mut c, ROOT, b"ttxt", "");
    assert!(
        r == ResultCode::ITEM_NOT_FOUND || r == ResultCode::OBJECT_TYPE_ERR,
        "{r:?}"
    );
    assert_eq!(rm(&mut c, 0, b"ttxt", "t215 file"), ResultCode::PARAM_ERR);
    // The application file is deleted: the mapping is still removed.
    c.delete(vid, ROOT, "t215 file").unwrap();
    assert_eq!(rm(&mut c, ROOT, b"ttxt", "t215 file"), ResultCode::NO_ERR);
    assert_eq!(
        code(&mut c, command::CloseDt { dt_ref: dt }),
        ResultCode::NO_ERR
    );
}

/// Error.c test100/test105/test170/test171/test173 for the comment calls: a missing
/// parent, or directory ID 1 with or without a name → kFPObjectNotFound; directory ID 0 →
/// kFPParamErr.
#[test]
fn comment_calls_with_bad_paths() {
    let (_srv, mut c, vid) = setup();
    let dt = vid;
    for (did, name) in [
        (ROOT, "t100 no obj error/none"),
        (0, "t105 no obj error/none"),
        (1, ""),
        (1, "test171"),
        (0, "test173"),
    ] {
        let want = if did == 0 {
            ResultCode::PARAM_ERR
        } else {
            ResultCode::OBJECT_NOT_FOUND
        };
        let path = || p(name);
        let add = command::AddComment {
            dt_ref: dt,
            dir_id: did,
            path: path(),
            comment: Bytes::from_static(b"essai"),
        };
        assert_eq!(code(&mut c, add), want, "add in {did}");
        let get = command::GetComment {
            dt_ref: dt,
            dir_id: did,
            path: path(),
        };
        assert_eq!(code(&mut c, get), want, "get in {did}");
        let rm = command::RemoveComment {
            dt_ref: dt,
            dir_id: did,
            path: path(),
        };
        assert_eq!(code(&mut c, rm), want, "remove in {did}");
    }
}

/// The conformance suite's setup: two users in a common group, the volume owned by the
/// first with mode 2775.
fn two_users() -> Two {
    common::two_users("the two-user comment tests")
}

/// Sets a directory's mode through AFP (as the spectest helpers do as the second user).
fn set_mode(c: &mut AfpClient, vid: u16, path: &str, mode: u32) {
    let cur = dir(c, vid, ROOT, path, DirBitmap::UNIX_PRIVS)
        .unwrap()
        .unix_privs
        .unwrap();
    let params = afp_proto::params::DirParams {
        unix_privs: Some(UnixPrivs {
            permissions: (cur.permissions & !0o7777) | mode,
            ..cur
        }),
        ..Default::default()
    };
    assert_eq!(set_dir(c, vid, ROOT, path, &params), ResultCode::NO_ERR);
}

/// FPRemoveComment.c test54 and FPAddComment.c test55: the second user's folders as the
/// first user sees them. A read-only folder: kFPAccessDenied (netatalk checks write
/// access on the folder itself); a folder with group rwx: comments work.
#[test]
fn comments_on_another_users_folders() {
    let mut t = two_users();
    let (c1, v1) = (&mut t.c1, t.v1);
    t.c2.create_dir(t.v2, ROOT, "t54 ro dir").unwrap();
    set_mode(&mut t.c2, t.v2, "t54 ro dir", 0o755);
    t.c2.create_dir(t.v2, ROOT, "t55 --rwx-- dir").unwrap();
    set_mode(&mut t.c2, t.v2, "t55 --rwx-- dir", 0o770);
    let dt = v1;
    let add = |c: &mut AfpClient, path: &str| {
        code(
            c,
            command::AddComment {
                dt_ref: dt,
                dir_id: ROOT,
                path: p(path),
                comment: Bytes::from_static(b"essai"),
            },
        )
    };
    let get = |c: &mut AfpClient, path: &str| {
        c.call(command::GetComment {
            dt_ref: dt,
            dir_id: ROOT,
            path: p(path),
        })
    };
    let rm = |c: &mut AfpClient, path: &str| {
        code(
            c,
            command::RemoveComment {
                dt_ref: dt,
                dir_id: ROOT,
                path: p(path),
            },
        )
    };
    // spectest FPRemoveComment.c test54: old answer kFPNoErr, netatalk kFPAccessDenied.
    assert_eq!(rm(c1, "t54 ro dir"), ResultCode::ACCESS_DENIED);
    assert_eq!(add(c1, "t54 ro dir"), ResultCode::ACCESS_DENIED);
    assert_eq!(get(c1, "t54 ro dir").0, ResultCode::ITEM_NOT_FOUND);
    // test55: a folder the group may write.
    assert_eq!(add(c1, "t55 --rwx-- dir"), ResultCode::NO_ERR);
    let (r, body) = get(c1, "t55 --rwx-- dir");
    assert_eq!(r, ResultCode::NO_ERR);
    assert_eq!(&body[..], b"\x05essai");
    assert_eq!(rm(c1, "t55 --rwx-- dir"), ResultCode::NO_ERR);
    assert_eq!(get(c1, "t55 --rwx-- dir").0, ResultCode::ITEM_NOT_FOUND);
    // A file of the first user in the volume root, open for reading (test379).
    c1.create_file(v1, ROOT, "t379 file.txt", false).unwrap();
    let fork = c1
        .open_fork(
            v1,
            ROOT,
            "t379 file.txt",
            false,
            command::AccessMode::READ,
            FileBitmap::empty(),
        )
        .unwrap()
        .fork;
    assert_eq!(add(c1, "t379 file.txt"), ResultCode::NO_ERR);
    assert_eq!(rm(c1, "t379 file.txt"), ResultCode::NO_ERR);
    assert_eq!(c1.close_fork(fork), Ok(()));
}

/// FPGetSessionToken.c test220/test221 as the test client sends them: type 0 is only
/// `code, 0, type`; type 3 carries a length, a time and the ID. FPZzzzz(0) puts the
/// session to sleep, and the next call is still answered.
#[test]
fn session_token_bytes_and_sleep() {
    let (_srv, mut c, vid) = setup();
    let (r, body) = c.call_raw(vec![64u8, 0, 0, 0]);
    assert_eq!(r, ResultCode::NO_ERR);
    let len = u32::from_be_bytes([body[0], body[1], body[2], body[3]]);
    assert!(len > 0 && body.len() == 4 + len as usize, "{body:?}");
    let mut b = vec![64u8, 0, 0, 3];
    b.extend_from_slice(&5u32.to_be_bytes());
    b.extend_from_slice(&0u32.to_be_bytes());
    b.extend_from_slice(b"token");
    assert_eq!(c.call_raw(b).0, ResultCode::NO_ERR);
    assert_eq!(c.call_raw(vec![122u8, 0, 0, 0, 0, 0]).0, ResultCode::NO_ERR);
    assert!(c.get_srvr_parms().is_ok());
    assert!(c.get_vol_parms(vid, VolumeBitmap::ATTRIBUTES).is_ok());
}

/// FPDisconnectOldSession.c test370: a guest logged in with the test client's bytes
/// (`FPLogin` with "No User Authent" and no user name) cannot take over a user's
/// session (kFPMiscErr), and the user's session goes on.
#[test]
fn guest_cannot_take_over_a_user_session() {
    let srv = TestServer::builder()
        .uams(&["clrtxt", "guest"])
        .volume("test1")
        .start();
    let mut c1 = srv.login();
    let mut tok = vec![64u8, 0, 0, 3];
    tok.extend_from_slice(&19u32.to_be_bytes());
    tok.extend_from_slice(&12345u32.to_be_bytes());
    tok.extend_from_slice(b"testsuite-test370-0");
    let (r, body) = c1.call_raw(tok);
    assert_eq!(r, ResultCode::NO_ERR);
    let token = body.slice(4..);
    let vid = c1.open_volume("test1");
    c1.create_file(vid, ROOT, "t370 file", false).unwrap();

    let mut guest = srv.connect();
    let mut login = vec![18u8, 6];
    login.extend_from_slice(b"AFP3.4");
    login.push(15);
    login.extend_from_slice(b"No User Authent");
    assert_eq!(guest.call_raw(login).0, ResultCode::NO_ERR);
    let mut dos = vec![65u8, 0, 0, 0];
    dos.extend_from_slice(&(token.len() as u32).to_be_bytes());
    dos.extend_from_slice(&token);
    assert_eq!(guest.call_raw(dos).0, ResultCode::MISC_ERR);

    let fork = c1
        .open_fork(
            vid,
            ROOT,
            "t370 file",
            true,
            command::AccessMode::READ | command::AccessMode::WRITE,
            FileBitmap::empty(),
        )
        .unwrap()
        .fork;
    assert_eq!(c1.close_fork(fork), Ok(()));
    c1.delete(vid, ROOT, "t370 file").unwrap();
}

/// The test client's DSIOpenSession (`DSIOpenSession` in afpcli.c) sends the attention
/// quantum and reads the server quantum at offset 2 of the reply: it must be the first
/// option.
#[test]
fn open_session_reply_starts_with_the_server_quantum() {
    use std::io::{Read, Write};
    let srv = TestServer::builder().start();
    let mut s = std::net::TcpStream::connect(srv.addr()).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut req = vec![0u8, 4, 0, 1, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0];
    req.extend_from_slice(&[1, 4, 0, 0, 0x10, 0]);
    s.write_all(&req).unwrap();
    let mut head = [0u8; 16];
    s.read_exact(&mut head).unwrap();
    assert_eq!((head[0], head[1]), (1, 4), "a reply to DSIOpenSession");
    assert_eq!(&head[4..8], &[0, 0, 0, 0], "no error");
    let len = u32::from_be_bytes([head[8], head[9], head[10], head[11]]) as usize;
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).unwrap();
    assert!(len >= 6, "{body:?}");
    assert_eq!((body[0], body[1]), (0, 4), "server quantum first: {body:?}");
    let quantum = u32::from_be_bytes([body[2], body[3], body[4], body[5]]);
    assert!(quantum >= 32 * 1024, "{quantum}");
}

/// Error.c test99, test101, test102, test103: comment calls on and inside a folder of the
/// second user that the first user may not enter (the helpers' `no_access_folder`).
#[test]
fn comments_and_a_folder_without_access() {
    let mut t = two_users();
    let (c1, v1) = (&mut t.c1, t.v1);
    t.c2.create_dir(t.v2, ROOT, "t101 no").unwrap();
    set_mode(&mut t.c2, t.v2, "t101 no", 0o700);
    let no_access = did_of(c1, v1, ROOT, "t101 no");
    let dt = v1;
    let add = |c: &mut AfpClient, did: u32, path: &str| {
        code(
            c,
            command::AddComment {
                dt_ref: dt,
                dir_id: did,
                path: p(path),
                comment: Bytes::from_static(b"essai"),
            },
        )
    };
    let get = |c: &mut AfpClient, did: u32, path: &str| {
        code(
            c,
            command::GetComment {
                dt_ref: dt,
                dir_id: did,
                path: p(path),
            },
        )
    };
    let rm = |c: &mut AfpClient, did: u32, path: &str| {
        code(
            c,
            command::RemoveComment {
                dt_ref: dt,
                dir_id: did,
                path: p(path),
            },
        )
    };
    // test101: inside it.
    assert_eq!(add(c1, ROOT, "t101 no/none"), ResultCode::ACCESS_DENIED);
    let r = get(c1, ROOT, "t101 no/none");
    assert!(
        r == ResultCode::ACCESS_DENIED || r == ResultCode::OBJECT_NOT_FOUND,
        "{r:?}"
    );
    assert_eq!(rm(c1, ROOT, "t101 no/none"), ResultCode::ACCESS_DENIED);
    // test102 / test99: the folder itself, by name.
    for r in [add(c1, ROOT, "t101 no"), rm(c1, ROOT, "t101 no")] {
        assert!(
            r == ResultCode::ACCESS_DENIED || r == ResultCode::NO_ERR,
            "{r:?}"
        );
    }
    assert_eq!(get(c1, ROOT, "t101 no"), ResultCode::ITEM_NOT_FOUND);
    // test103: the folder by its ID.
    for r in [add(c1, no_access, ""), rm(c1, no_access, "")] {
        assert!(
            r == ResultCode::ACCESS_DENIED || r == ResultCode::NO_ERR,
            "{r:?}"
        );
    }
    let r = get(c1, no_access, "");
    assert!(
        r == ResultCode::ACCESS_DENIED || r == ResultCode::ITEM_NOT_FOUND,
        "{r:?}"
    );
}

/// FPAddAPPL.c test214, the parts catalog_desktop.rs does not check: a file inside a
/// folder the user may not enter is kFPAccessDenied; a missing file may be mapped (then
/// removed); an existing one is mapped and removed.
#[test]
fn add_appl_with_another_users_folder() {
    let mut t = two_users();
    let (c1, v1) = (&mut t.c1, t.v1);
    t.c2.create_dir(t.v2, ROOT, "t214 dir no access").unwrap();
    set_mode(&mut t.c2, t.v2, "t214 dir no access", 0o700);
    let pdir = did_of(c1, v1, ROOT, "t214 dir no access");
    let dt = v1;
    let add = |c: &mut AfpClient, did: u32| {
        code(
            c,
            command::AddAppl {
                dt_ref: dt,
                dir_id: did,
                creator: *b"ttxt",
                appl_tag: 0xafb4_71c0,
                path: p("t214 file"),
            },
        )
    };
    let rm = |c: &mut AfpClient| {
        code(
            c,
            command::RemoveAppl {
                dt_ref: dt,
                dir_id: ROOT,
                creator: *b"ttxt",
                path: p("t214 file"),
            },
        )
    };
    assert_eq!(add(c1, pdir), ResultCode::ACCESS_DENIED);
    let r = add(c1, ROOT);
    assert!(
        r == ResultCode::NO_ERR || r == ResultCode::OBJECT_NOT_FOUND,
        "{r:?}"
    );
    if r == ResultCode::NO_ERR {
        assert_eq!(rm(c1), ResultCode::NO_ERR);
    }
    c1.create_file(v1, ROOT, "t214 file", false).unwrap();
    assert_eq!(add(c1, ROOT), ResultCode::NO_ERR);
    assert_eq!(rm(c1), ResultCode::NO_ERR);
    c1.delete(v1, ROOT, "t214 file").unwrap();
}
