//! FPOpenFork and FPCloseFork through the real server: success and every error case with
//! its exact code, deny modes within one session and across two sessions (same user and
//! two users), data and resource forks, reference numbers (netatalk spectest FPOpenFork.c,
//! T2_FPOpenFork.c, FPCloseFork.c).

mod common;

use std::os::unix::fs::PermissionsExt;

use afp_proto::ResultCode;
use afp_proto::command::{self, AccessMode, OpenForkReply};
use afp_proto::params::{FileAttributes, FileBitmap, FileDirParams, FileParams};
use common::{AfpClient, DIR_ROOT, TestServer};

const R: AccessMode = AccessMode::READ;
const W: AccessMode = AccessMode::WRITE;
const DR: AccessMode = AccessMode::DENY_READ;
const DW: AccessMode = AccessMode::DENY_WRITE;
const NONE: AccessMode = AccessMode::empty();

fn server() -> TestServer {
    TestServer::builder().volume("test1").start()
}

fn two_users() -> TestServer {
    TestServer::builder()
        .volume("test1")
        .generated_account(&[])
        .start()
}

fn open(
    c: &mut AfpClient,
    vol: u16,
    name: &str,
    rsrc: bool,
    mode: AccessMode,
) -> Result<u16, ResultCode> {
    c.open_fork(vol, DIR_ROOT, name, rsrc, mode, FileBitmap::empty())
        .map(|r| r.fork)
}

/// Makes `name` writable by everyone, so a second user can open it for writing.
fn share(srv: &TestServer, name: &str) {
    let p = srv.volume_path("test1").join(name);
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o666)).unwrap();
}

fn attributes(c: &mut AfpClient, vol: u16, name: &str) -> FileAttributes {
    let r = c
        .get_file_dir_parms(
            vol,
            DIR_ROOT,
            name,
            FileBitmap::ATTRIBUTES,
            Default::default(),
        )
        .unwrap();
    match r.params {
        FileDirParams::File(p) => p.attributes.unwrap(),
        FileDirParams::Dir(_) => panic!("not a file"),
    }
}

#[test]
fn open_and_close_both_forks_in_every_mode() {
    let srv = server();
    let mut c = srv.login();
    let vol = c.open_volume("test1");
    c.create_file(vol, DIR_ROOT, "f", false).unwrap();
    for rsrc in [false, true] {
        for mode in [NONE, R, W, R | W, R | DW, R | W | DR | DW, DW, DR] {
            let f =
                open(&mut c, vol, "f", rsrc, mode).unwrap_or_else(|e| panic!("{mode:?}: {e:?}"));
            assert_ne!(f, 0);
            assert_eq!(c.close_fork(f), Ok(()));
        }
    }
    // FPCloseFork test186: double close and ref 0 are kFPParamErr.
    let f = open(&mut c, vol, "f", false, R).unwrap();
    assert_eq!(c.close_fork(f), Ok(()));
    assert_eq!(c.close_fork(f), Err(ResultCode::PARAM_ERR));
    assert_eq!(c.close_fork(0), Err(ResultCode::PARAM_ERR));
}

#[test]
fn open_reply_carries_the_file_parameters() {
    let srv = server();
    let mut c = srv.login();
    let vol = c.open_volume("test1");
    c.create_file(vol, DIR_ROOT, "params", false).unwrap();
    let bitmap = FileBitmap::PARENT_DIR_ID
        | FileBitmap::NODE_ID
        | FileBitmap::LONG_NAME
        | FileBitmap::EXT_DATA_FORK_LEN
        | FileBitmap::DATA_FORK_LEN;
    let r = c
        .open_fork(vol, DIR_ROOT, "params", false, R | W, bitmap)
        .unwrap();
    assert_ne!(r.fork, 0);
    assert_eq!(r.params.bitmap(), bitmap);
    assert_eq!(r.params.parent_id, Some(DIR_ROOT));
    assert_eq!(r.params.data_fork_len, Some(0));
    assert_eq!(r.params.ext_data_fork_len, Some(0));
    assert_eq!(r.params.long_name.as_deref(), Some(&b"params"[..]));
    assert!(r.params.node_id.unwrap() > 16);
    // The resource fork reports its own length bits.
    let rr = c
        .open_fork(
            vol,
            DIR_ROOT,
            "params",
            true,
            R,
            FileBitmap::EXT_RSRC_FORK_LEN,
        )
        .unwrap();
    assert_eq!(rr.params.ext_rsrc_fork_len, Some(0));
}

#[test]
fn open_errors() {
    let srv = server();
    let mut c = srv.login();
    let vol = c.open_volume("test1");
    c.create_file(vol, DIR_ROOT, "f", false).unwrap();
    c.create_dir(vol, DIR_ROOT, "d").unwrap();
    // test48: a directory → kFPObjectTypeErr.
    assert_eq!(
        open(&mut c, vol, "d", false, R),
        Err(ResultCode::OBJECT_TYPE_ERR)
    );
    assert_eq!(
        c.open_fork(vol, DIR_ROOT, "", false, R, FileBitmap::empty())
            .map(|r| r.fork),
        Err(ResultCode::OBJECT_TYPE_ERR)
    );
    assert_eq!(
        open(&mut c, vol, "missing", false, R),
        Err(ResultCode::OBJECT_NOT_FOUND)
    );
    assert_eq!(
        open(&mut c, vol, "nodir\0x", false, R),
        Err(ResultCode::OBJECT_NOT_FOUND)
    );
    // Unknown volume.
    assert_eq!(
        open(&mut c, vol + 7, "f", false, R),
        Err(ResultCode::PARAM_ERR)
    );
    // §4.7: the other fork's length → kFPBitmapErr (test116 sends 0xFFFF).
    for (rsrc, bits) in [
        (false, FileBitmap::RSRC_FORK_LEN),
        (false, FileBitmap::EXT_RSRC_FORK_LEN),
        (true, FileBitmap::DATA_FORK_LEN),
        (true, FileBitmap::EXT_DATA_FORK_LEN),
        (false, FileBitmap::from_bits_retain(0xFFFF)),
    ] {
        assert_eq!(
            c.open_fork(vol, DIR_ROOT, "f", rsrc, R, bits)
                .map(|r| r.fork),
            Err(ResultCode::BITMAP_ERR),
            "{bits:?}"
        );
    }
    // Nothing stayed open after the failures: an exclusive open works.
    let f = open(&mut c, vol, "f", false, R | W | DR | DW).unwrap();
    c.close_fork(f).unwrap();
}

#[test]
fn permissions_decide_access() {
    let srv = server();
    let mut c = srv.login();
    let vol = c.open_volume("test1");
    c.create_file(vol, DIR_ROOT, "ro", false).unwrap();
    c.create_file(vol, DIR_ROOT, "none", false).unwrap();
    let root = srv.volume_path("test1");
    std::fs::set_permissions(root.join("ro"), std::fs::Permissions::from_mode(0o444)).unwrap();
    std::fs::set_permissions(root.join("none"), std::fs::Permissions::from_mode(0o000)).unwrap();
    assert_eq!(
        open(&mut c, vol, "ro", false, R | W),
        Err(ResultCode::ACCESS_DENIED)
    );
    assert_eq!(
        open(&mut c, vol, "ro", true, R | W),
        Err(ResultCode::ACCESS_DENIED)
    );
    let f = open(&mut c, vol, "ro", false, R).unwrap();
    c.close_fork(f).unwrap();
    assert_eq!(
        open(&mut c, vol, "none", false, R),
        Err(ResultCode::ACCESS_DENIED)
    );
    assert_eq!(
        open(&mut c, vol, "none", true, R),
        Err(ResultCode::ACCESS_DENIED)
    );
    // Access "none" still opens the file for reading underneath, as netatalk does.
    assert_eq!(
        open(&mut c, vol, "none", false, NONE),
        Err(ResultCode::ACCESS_DENIED)
    );
    // T2 test109: a resource fork whose sidecar is 0000 → kFPAccessDenied for reading.
    c.create_file(vol, DIR_ROOT, "side", false).unwrap();
    let f = open(&mut c, vol, "side", true, R | W).unwrap();
    c.write_ext(f, 0, &b"hello"[..]).unwrap();
    c.close_fork(f).unwrap();
    std::fs::set_permissions(root.join("._side"), std::fs::Permissions::from_mode(0o000)).unwrap();
    assert_eq!(
        open(&mut c, vol, "side", true, R),
        Err(ResultCode::ACCESS_DENIED)
    );
    std::fs::set_permissions(root.join("._side"), std::fs::Permissions::from_mode(0o400)).unwrap();
    let f = open(&mut c, vol, "side", true, R).unwrap();
    assert_eq!(
        c.read_ext(f, 0, 5),
        (ResultCode::NO_ERR, bytes::Bytes::from_static(b"hello"))
    );
}

#[test]
fn write_inhibit_gives_object_locked_with_the_parameters() {
    let srv = server();
    let mut c = srv.login();
    let vol = c.open_volume("test1");
    c.create_file(vol, DIR_ROOT, "wi", false).unwrap();
    let set = FileParams {
        attributes: Some(FileAttributes::WRITE_INHIBIT | FileAttributes::SET_CLEAR),
        ..FileParams::default()
    };
    let (code, _) = c.call(command::SetFileParms::new(
        vol,
        DIR_ROOT,
        common::client::utf8("wi"),
        &set,
    ));
    assert_eq!(code, ResultCode::NO_ERR);
    let (code, body) = c.call(command::OpenFork {
        resource: false,
        volume_id: vol,
        dir_id: DIR_ROOT,
        bitmap: FileBitmap::NODE_ID,
        access_mode: R | W,
        path: common::client::utf8("wi"),
    });
    assert_eq!(code, ResultCode::OBJECT_LOCKED);
    let reply = OpenForkReply::decode(&body, c.version()).unwrap();
    assert_eq!(reply.fork, 0);
    assert!(reply.params.node_id.is_some());
    // Reading is fine (test116).
    let f = open(&mut c, vol, "wi", false, R).unwrap();
    c.close_fork(f).unwrap();
    assert_eq!(
        open(&mut c, vol, "wi", true, W),
        Err(ResultCode::OBJECT_LOCKED)
    );
}

#[test]
fn read_only_volume_refuses_write_access() {
    let srv = TestServer::builder()
        .volume("test1")
        .volume("ro")
        .volume_option("ro", "read only", "yes")
        .start();
    std::fs::write(srv.volume_path("ro").join("f"), b"data").unwrap();
    let mut c = srv.login();
    let vol = c.open_volume("ro");
    assert_eq!(
        open(&mut c, vol, "f", false, R | W),
        Err(ResultCode::VOL_LOCKED)
    );
    assert_eq!(open(&mut c, vol, "f", true, W), Err(ResultCode::VOL_LOCKED));
    // Checked before the path, as netatalk does.
    assert_eq!(
        open(&mut c, vol, "missing", false, W),
        Err(ResultCode::VOL_LOCKED)
    );
    let f = open(&mut c, vol, "f", false, R).unwrap();
    assert_eq!(c.read_ext(f, 0, 4).1, &b"data"[..]);
    c.close_fork(f).unwrap();
}

#[test]
fn deny_modes_in_one_session() {
    let srv = server();
    let mut c = srv.login();
    let vol = c.open_volume("test1");
    c.create_file(vol, DIR_ROOT, "f", false).unwrap();
    // test17: WR, then RD|WR|DWR fails; the resource fork is independent (test16).
    let w = open(&mut c, vol, "f", false, W).unwrap();
    assert_eq!(
        open(&mut c, vol, "f", false, R | W | DW),
        Err(ResultCode::DENY_CONFLICT)
    );
    let r = open(&mut c, vol, "f", true, R | W | DR | DW).unwrap();
    c.close_fork(w).unwrap();
    c.close_fork(r).unwrap();
    // test18: RD|WR|DWR, then RD succeeds; after closing the first, RD|WR|DWR again.
    let a = open(&mut c, vol, "f", false, R | W | DW).unwrap();
    let b = open(&mut c, vol, "f", false, R).unwrap();
    c.close_fork(a).unwrap();
    let a = open(&mut c, vol, "f", false, R | W | DW).unwrap();
    c.close_fork(a).unwrap();
    c.close_fork(b).unwrap();
    // test19: RD|DWR twice, WR fails until both are closed.
    let a = open(&mut c, vol, "f", false, R | DW).unwrap();
    let b = open(&mut c, vol, "f", false, R | DW).unwrap();
    assert_eq!(
        open(&mut c, vol, "f", false, W),
        Err(ResultCode::DENY_CONFLICT)
    );
    c.close_fork(a).unwrap();
    assert_eq!(
        open(&mut c, vol, "f", false, W),
        Err(ResultCode::DENY_CONFLICT)
    );
    c.close_fork(b).unwrap();
    let w = open(&mut c, vol, "f", false, W).unwrap();
    c.close_fork(w).unwrap();
    // test20: read-only and read-write opens coexist; the writer writes.
    let a = open(&mut c, vol, "f", false, R).unwrap();
    let b = open(&mut c, vol, "f", false, W).unwrap();
    assert_eq!(c.write_ext(b, 0, &b"0123456789"[..]), Ok(10));
    c.close_fork(b).unwrap();
    c.close_fork(a).unwrap();
}

#[test]
fn deny_conflict_reply_has_ref_zero_and_the_parameters() {
    let srv = server();
    let mut c = srv.login();
    let vol = c.open_volume("test1");
    c.create_file(vol, DIR_ROOT, "f", false).unwrap();
    let _x = open(&mut c, vol, "f", false, R | W | DR | DW).unwrap();
    let (code, body) = c.call(command::OpenFork {
        resource: false,
        volume_id: vol,
        dir_id: DIR_ROOT,
        bitmap: FileBitmap::EXT_DATA_FORK_LEN | FileBitmap::PARENT_DIR_ID,
        access_mode: R,
        path: common::client::utf8("f"),
    });
    assert_eq!(code, ResultCode::DENY_CONFLICT);
    let reply = OpenForkReply::decode(&body, c.version()).unwrap();
    assert_eq!(reply.fork, 0);
    assert_eq!(reply.params.parent_id, Some(DIR_ROOT));
    assert_eq!(reply.params.ext_data_fork_len, Some(0));
}

/// test81 / test367 on both forks: deny modes hold against another session of the same
/// user (Time Machine: deny modes are mandatory locks) and of another user.
#[test]
fn deny_modes_across_sessions() {
    let srv = two_users();
    for other in [0usize, 1] {
        for rsrc in [false, true] {
            let name = format!("deny {other} {rsrc}");
            let mut c1 = srv.login();
            let mut c2 = srv.login_as(other);
            let v1 = c1.open_volume("test1");
            let v2 = c2.open_volume("test1");
            c1.create_file(v1, DIR_ROOT, &name, false).unwrap();
            share(&srv, &name);
            if rsrc {
                // Create the sidecar first, writable by both users.
                let f = open(&mut c1, v1, &name, true, R | W).unwrap();
                c1.close_fork(f).unwrap();
                share(&srv, &format!("._{name}"));
            }
            // test_denymode: three RD|DWR opens in session 1.
            let a = open(&mut c1, v1, &name, rsrc, R | DW).unwrap();
            let b = open(&mut c1, v1, &name, rsrc, R | DW).unwrap();
            let c = open(&mut c1, v1, &name, rsrc, R | DW).unwrap();
            assert_eq!(
                open(&mut c1, v1, &name, rsrc, R | W),
                Err(ResultCode::DENY_CONFLICT)
            );
            c1.close_fork(c).unwrap();
            assert_eq!(
                open(&mut c2, v2, &name, rsrc, R | W),
                Err(ResultCode::DENY_CONFLICT)
            );
            let x = open(&mut c2, v2, &name, rsrc, R).unwrap();
            c2.close_fork(x).unwrap();
            let x = open(&mut c2, v2, &name, rsrc, R | DW).unwrap();
            c2.close_fork(x).unwrap();
            assert_eq!(
                open(&mut c2, v2, &name, rsrc, R | W),
                Err(ResultCode::DENY_CONFLICT)
            );
            c1.close_fork(a).unwrap();
            c1.close_fork(b).unwrap();
            // test367: an exclusive open shuts everyone out, including its own session.
            let x = open(&mut c1, v1, &name, rsrc, R | W | DR | DW).unwrap();
            assert_eq!(
                open(&mut c1, v1, &name, rsrc, R | W),
                Err(ResultCode::DENY_CONFLICT)
            );
            assert_eq!(
                open(&mut c2, v2, &name, rsrc, R | W | DR | DW),
                Err(ResultCode::DENY_CONFLICT)
            );
            assert_eq!(
                open(&mut c2, v2, &name, rsrc, R),
                Err(ResultCode::DENY_CONFLICT)
            );
            // Closing releases it for the other session at once.
            c1.close_fork(x).unwrap();
            let y = open(&mut c2, v2, &name, rsrc, R | W | DR | DW).unwrap();
            assert_eq!(
                open(&mut c1, v1, &name, rsrc, R),
                Err(ResultCode::DENY_CONFLICT)
            );
            c2.close_fork(y).unwrap();
        }
    }
}

/// test602: a shared deny-write survives the close of one sharer.
#[test]
fn shared_deny_write_survives_a_partial_close() {
    let srv = server();
    let mut c1 = srv.login();
    let mut c2 = srv.login();
    let v1 = c1.open_volume("test1");
    let v2 = c2.open_volume("test1");
    c1.create_file(v1, DIR_ROOT, "f", false).unwrap();
    let a = open(&mut c1, v1, "f", false, R | DW).unwrap();
    let b = open(&mut c1, v1, "f", false, R | DW).unwrap();
    assert_eq!(
        open(&mut c2, v2, "f", false, R | W),
        Err(ResultCode::DENY_CONFLICT)
    );
    c1.close_fork(a).unwrap();
    assert_eq!(
        open(&mut c2, v2, "f", false, R | W),
        Err(ResultCode::DENY_CONFLICT)
    );
    c1.close_fork(b).unwrap();
    let x = open(&mut c2, v2, "f", false, R | W).unwrap();
    c2.close_fork(x).unwrap();
}

/// test366 and session ends: FPLogout, FPCloseVol and a dropped connection release every
/// fork of the session.
#[test]
fn logout_closevol_and_disconnect_release_forks() {
    let srv = server();
    let mut c2 = srv.login();
    let v2 = c2.open_volume("test1");
    c2.create_file(v2, DIR_ROOT, "f", false).unwrap();
    let exclusive = R | W | DR | DW;

    let mut c1 = srv.login();
    let v1 = c1.open_volume("test1");
    open(&mut c1, v1, "f", false, exclusive).unwrap();
    open(&mut c1, v1, "f", true, exclusive).unwrap();
    assert_eq!(
        open(&mut c2, v2, "f", false, R),
        Err(ResultCode::DENY_CONFLICT)
    );
    assert_eq!(c1.logout(), Ok(()));
    let x = open(&mut c2, v2, "f", false, exclusive).unwrap();
    c2.close_fork(x).unwrap();

    let mut c1 = srv.login();
    let v1 = c1.open_volume("test1");
    open(&mut c1, v1, "f", false, exclusive).unwrap();
    assert_eq!(c1.close_vol(v1), Ok(()));
    let x = open(&mut c2, v2, "f", false, exclusive).unwrap();
    c2.close_fork(x).unwrap();

    let mut c1 = srv.login();
    let v1 = c1.open_volume("test1");
    open(&mut c1, v1, "f", false, exclusive).unwrap();
    c1.drop_connection();
    // The session thread notices the closed socket; wait for it.
    let mut freed = false;
    for _ in 0..100 {
        if let Ok(x) = open(&mut c2, v2, "f", false, exclusive) {
            c2.close_fork(x).unwrap();
            freed = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(freed, "a dropped connection's forks were not released");
}

#[test]
fn rename_keeps_deny_modes() {
    // test190: the open fork and its deny modes follow the file to its new name.
    let srv = server();
    let mut c = srv.login();
    let vol = c.open_volume("test1");
    c.create_file(vol, DIR_ROOT, "t190 file", false).unwrap();
    let f = open(&mut c, vol, "t190 file", false, R | W | DW).unwrap();
    c.move_and_rename(vol, DIR_ROOT, "t190 file", DIR_ROOT, "", "t190 new name")
        .unwrap();
    assert_eq!(
        open(&mut c, vol, "t190 new name", false, W),
        Err(ResultCode::DENY_CONFLICT)
    );
    let r = open(&mut c, vol, "t190 new name", true, W).unwrap();
    c.close_fork(r).unwrap();
    // GetForkParms finds the file under its new name.
    let p = c.get_fork_parms(f, FileBitmap::LONG_NAME).unwrap();
    assert_eq!(p.long_name.as_deref(), Some(&b"t190 new name"[..]));
    c.close_fork(f).unwrap();
}

#[test]
fn already_open_attributes_seen_by_another_session() {
    // test341 (test_openmode).
    let srv = server();
    let mut c1 = srv.login();
    let mut c2 = srv.login();
    let v1 = c1.open_volume("test1");
    let v2 = c2.open_volume("test1");
    c1.create_file(v1, DIR_ROOT, "f", false).unwrap();
    for (rsrc, what, nowhat) in [
        (
            false,
            FileAttributes::DATA_ALREADY_OPEN,
            FileAttributes::RSRC_ALREADY_OPEN,
        ),
        (
            true,
            FileAttributes::RSRC_ALREADY_OPEN,
            FileAttributes::DATA_ALREADY_OPEN,
        ),
    ] {
        let a = open(&mut c1, v1, "f", rsrc, R).unwrap();
        let attrs = attributes(&mut c2, v2, "f");
        assert!(
            attrs.contains(what) && !attrs.intersects(nowhat),
            "{attrs:?}"
        );
        let b = open(&mut c1, v1, "f", rsrc, W).unwrap();
        c1.close_fork(a).unwrap();
        let attrs = attributes(&mut c2, v2, "f");
        assert!(
            attrs.contains(what) && !attrs.intersects(nowhat),
            "{attrs:?}"
        );
        c1.close_fork(b).unwrap();
        let attrs = attributes(&mut c2, v2, "f");
        assert!(!attrs.intersects(what | nowhat), "{attrs:?}");
    }
}

#[test]
fn resource_fork_sidecar_created_only_for_writing() {
    // T2 test157 / test411.
    let srv = server();
    let mut c = srv.login();
    let vol = c.open_volume("test1");
    c.create_file(vol, DIR_ROOT, "t157.txt", false).unwrap();
    let side = srv.volume_path("test1").join("._t157.txt");
    let f = open(&mut c, vol, "t157.txt", true, R).unwrap();
    assert_eq!(
        c.read(f, 0, 2000),
        (ResultCode::EOF_ERR, bytes::Bytes::new())
    );
    c.close_fork(f).unwrap();
    let f = open(&mut c, vol, "t157.txt", false, R | W).unwrap();
    c.close_fork(f).unwrap();
    assert!(
        !side.exists(),
        "no sidecar for read-only or data fork opens"
    );
    let f = open(&mut c, vol, "t157.txt", true, R | W).unwrap();
    assert!(side.exists());
    let raw = std::fs::read(&side).unwrap();
    assert_eq!(raw.len(), 82);
    assert_eq!(&raw[8..16], b"Netatalk");
    c.close_fork(f).unwrap();
    // FPOpenFork test145: resource fork with access mode 0.
    let f = open(&mut c, vol, "t157.txt", true, NONE).unwrap();
    c.close_fork(f).unwrap();
}

#[test]
fn reference_numbers_and_the_fork_limit() {
    let srv = server();
    let mut c = srv.login();
    let vol = c.open_volume("test1");
    c.create_file(vol, DIR_ROOT, "f", false).unwrap();
    // test630: a just-freed number is not handed out again at once.
    let first = open(&mut c, vol, "f", false, R | W).unwrap();
    c.close_fork(first).unwrap();
    let next = open(&mut c, vol, "f", false, R | W).unwrap();
    assert_ne!(first, next);
    c.close_fork(next).unwrap();
    // test631: a stale number is kFPParamErr.
    assert_eq!(
        c.byte_range_lock_ext(first, command::LockFlags::empty(), 0, 100),
        Err(ResultCode::PARAM_ERR)
    );
    // test151: opening until the server refuses gives kFPTooManyFilesOpen; all numbers
    // are distinct; after closing them all, opening works again.
    let mut held = Vec::new();
    let refused = loop {
        match open(&mut c, vol, "f", false, R | DW) {
            Ok(f) => held.push(f),
            Err(e) => break e,
        }
        assert!(held.len() <= 2048, "no limit on open forks");
    };
    assert_eq!(refused, ResultCode::TOO_MANY_FILES_OPEN);
    let mut sorted = held.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), held.len());
    assert!(!held.contains(&0));
    for f in held {
        c.close_fork(f).unwrap();
    }
    let f = open(&mut c, vol, "f", false, R | W).unwrap();
    c.close_fork(f).unwrap();
}

#[test]
fn paths_with_empty_elements() {
    // test39: "dir\0file" and "dir\0\0file" (a parent step) resolve; three NULs do not.
    let srv = server();
    let mut c = srv.login();
    let vol = c.open_volume("test1");
    let dir = c.create_dir(vol, DIR_ROOT, "t39 dir").unwrap();
    c.create_file(vol, DIR_ROOT, "t39 file.txt", false).unwrap();
    c.create_file(vol, dir, "t39 file2", false).unwrap();
    let f = open(&mut c, vol, "t39 dir\0t39 file2", false, R).unwrap();
    c.close_fork(f).unwrap();
    let f = open(&mut c, vol, "t39 dir\0\0t39 file.txt", false, R).unwrap();
    c.close_fork(f).unwrap();
    assert!(open(&mut c, vol, "t39 dir\0\0\0t39 file.txt", false, R).is_err());
}

#[test]
fn symlinks_read_as_their_target_and_never_follow() {
    // T2 test236–238: a symlink is a file whose data fork is the link text.
    let srv = server();
    let mut c = srv.login();
    let vol = c.open_volume("test1");
    let root = srv.volume_path("test1");
    std::os::unix::fs::symlink("/etc/passwd", root.join("link")).unwrap();
    let f = open(&mut c, vol, "link", false, R).unwrap();
    assert_eq!(
        c.read(f, 0, 11),
        (
            ResultCode::NO_ERR,
            bytes::Bytes::from_static(b"/etc/passwd")
        )
    );
    assert_eq!(c.read(f, 0, 8).0, ResultCode::PARAM_ERR);
    c.close_fork(f).unwrap();
    assert!(open(&mut c, vol, "link", false, R | W).is_err());
}

#[test]
fn access_none_and_exclusive_opens_exclude_each_other() {
    // spec §8.2: access "none" still participates; netatalk's exclusive open locks the
    // whole fork and an access-none open takes a read lock, so neither waits for the other.
    let srv = server();
    let mut c1 = srv.login();
    let mut c2 = srv.login();
    let v1 = c1.open_volume("test1");
    let v2 = c2.open_volume("test1");
    c1.create_file(v1, DIR_ROOT, "f", false).unwrap();
    let none = open(&mut c1, v1, "f", false, NONE).unwrap();
    // An access-none open conflicts with no ordinary mode …
    let rw = open(&mut c2, v2, "f", false, R | W | DW).unwrap();
    c2.close_fork(rw).unwrap();
    // … but an exclusive one is refused while it is open, and allowed once it is closed.
    assert_eq!(
        open(&mut c2, v2, "f", false, R | W | DR | DW),
        Err(ResultCode::DENY_CONFLICT)
    );
    c1.close_fork(none).unwrap();
    let x = open(&mut c2, v2, "f", false, R | W | DR | DW).unwrap();
    assert_eq!(
        open(&mut c1, v1, "f", false, NONE),
        Err(ResultCode::DENY_CONFLICT)
    );
    // The other fork is independent.
    let r = open(&mut c1, v1, "f", true, NONE).unwrap();
    c1.close_fork(r).unwrap();
    c2.close_fork(x).unwrap();
}
