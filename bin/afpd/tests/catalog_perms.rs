//! Two Linux users on one volume (root only, as the conformance suite's setup: both in a
//! common group, the volume owned by the first with mode 2775): each session acts with
//! its own user's rights, so nobody reads, lists or writes what their Unix account could
//! not; access rights are computed per user.

mod catalog_common;
mod common;

use afp_proto::ResultCode;
use afp_proto::command::{self, ExtAttrBitmap};
use afp_proto::params::{AccessRights, DirBitmap, DirParams, FileBitmap, FileParams, UnixPrivs};
use bytes::Bytes;
use catalog_common::*;
use common::AfpClient;
use common::TwoUsers as Two;

fn two_users() -> Two {
    common::two_users("the two-user permission tests")
}

fn unix_privs_dir(c: &mut AfpClient, vid: u16, did: u32, path: &str, mode: u32) -> ResultCode {
    let cur = dir(c, vid, did, path, DirBitmap::UNIX_PRIVS)
        .unwrap()
        .unix_privs
        .unwrap();
    let set = DirParams {
        unix_privs: Some(UnixPrivs {
            permissions: (cur.permissions & !0o7777) | mode,
            ..cur
        }),
        ..DirParams::default()
    };
    set_dir(c, vid, did, path, &set)
}

#[test]
fn each_session_has_its_users_rights() {
    let mut t = two_users();
    let (c1, v1, c2, v2) = (&mut t.c1, t.v1, &mut t.c2, t.v2);
    let u1 = t.srv.accounts()[0].uid();
    let u2 = t.srv.accounts()[1].uid();
    // A private directory of user 1 (0700).
    let private = c1.create_dir(v1, ROOT, "private").unwrap();
    c1.create_file(v1, private, "inside", false).unwrap();
    assert_eq!(
        unix_privs_dir(c1, v1, ROOT, "private", 0o700),
        ResultCode::NO_ERR
    );
    // User 2 sees it (test194: parameters of a directory without access), with no rights.
    let pd = dir(
        c2,
        v2,
        ROOT,
        "private",
        DirBitmap::ACCESS_RIGHTS | DirBitmap::OWNER_ID | DirBitmap::NODE_ID,
    )
    .unwrap();
    assert_eq!(pd.owner_id, Some(u1));
    assert_eq!(pd.node_id, Some(private));
    assert_eq!(
        pd.access_rights.unwrap().bits() >> 24,
        0,
        "user 2 has no rights there"
    );
    let p1 = dir(c1, v1, ROOT, "private", DirBitmap::ACCESS_RIGHTS).unwrap();
    assert_eq!(
        p1.access_rights.unwrap().bits() >> 24,
        0x87,
        "owner: all rights and the owner bit"
    );
    // …but cannot list it, look inside, or create in it.
    let e = c2.call(command::EnumerateExt2 {
        volume_id: v2,
        dir_id: private,
        file_bitmap: FileBitmap::NODE_ID,
        dir_bitmap: DirBitmap::NODE_ID,
        req_count: 10,
        start_index: 1,
        max_reply_size: 4000,
        path: p(""),
    });
    assert_eq!(e.0, ResultCode::ACCESS_DENIED);
    assert_eq!(
        file(c2, v2, private, "inside", FileBitmap::NODE_ID).unwrap_err(),
        ResultCode::ACCESS_DENIED
    );
    assert_eq!(
        c2.create_file(v2, private, "intruder", false),
        Err(ResultCode::ACCESS_DENIED)
    );
    assert_eq!(
        c2.create_dir(v2, private, "intruder"),
        Err(ResultCode::ACCESS_DENIED)
    );
    // Error.c test101: any name inside a directory user 2 cannot enter is
    // kFPAccessDenied, whatever the call.
    let inside = |path: &str| p(&format!("private/{path}"));
    assert_eq!(
        code(
            c2,
            command::OpenDir {
                volume_id: v2,
                dir_id: ROOT,
                path: inside("none")
            }
        ),
        ResultCode::ACCESS_DENIED
    );
    assert_eq!(
        code(
            c2,
            command::GetComment {
                dt_ref: v2,
                dir_id: ROOT,
                path: inside("none")
            }
        ),
        ResultCode::ACCESS_DENIED
    );
    let fp = FileParams {
        mod_date: Some(afp_proto::AfpDate(1)),
        ..FileParams::default()
    };
    assert_eq!(
        code(
            c2,
            command::SetFileParms::new(v2, ROOT, inside("none"), &fp)
        ),
        ResultCode::ACCESS_DENIED
    );
    assert_eq!(
        code(
            c2,
            command::Delete {
                volume_id: v2,
                dir_id: ROOT,
                path: inside("inside")
            }
        ),
        ResultCode::ACCESS_DENIED
    );
    // test90: a directory user 2 cannot enter cannot be deleted by user 2.
    assert_eq!(
        c2.delete(v2, ROOT, "private"),
        Err(ResultCode::ACCESS_DENIED)
    );
    // User 2 cannot change user 1's directory permissions.
    assert_eq!(
        unix_privs_dir(c2, v2, ROOT, "private", 0o777),
        ResultCode::ACCESS_DENIED
    );
    // Files user 2 creates belong to user 2.
    c2.create_file(v2, ROOT, "mine", false).unwrap();
    let f = file(c2, v2, ROOT, "mine", FileBitmap::UNIX_PRIVS).unwrap();
    assert_eq!(f.unix_privs.unwrap().uid, u2);
    assert_eq!(
        f.unix_privs.unwrap().ua_permissions.bits() >> 24 & 0x80,
        0x80
    );
    let f = file(c1, v1, ROOT, "mine", FileBitmap::UNIX_PRIVS).unwrap();
    assert_eq!(
        f.unix_privs.unwrap().ua_permissions.bits() >> 24 & 0x80,
        0,
        "not user 1's"
    );
    // A file user 1 keeps to itself (0600): user 2 can neither read its attributes nor
    // write them; user 1 can.
    c1.create_file(v1, ROOT, "secret", false).unwrap();
    let set_ea = |c: &mut AfpClient, vid: u16| {
        code(
            c,
            command::SetExtAttr {
                volume_id: vid,
                dir_id: ROOT,
                bitmap: ExtAttrBitmap::empty(),
                offset: 0,
                path: p("secret"),
                name: Bytes::from_static(b"note"),
                data: Bytes::from_static(b"hidden"),
            },
        )
    };
    assert_eq!(set_ea(c1, v1), ResultCode::NO_ERR);
    let cur = file(c1, v1, ROOT, "secret", FileBitmap::UNIX_PRIVS)
        .unwrap()
        .unix_privs
        .unwrap();
    let set = FileParams {
        unix_privs: Some(UnixPrivs {
            permissions: (cur.permissions & !0o777) | 0o600,
            ..cur
        }),
        ..FileParams::default()
    };
    assert_eq!(set_file(c1, v1, ROOT, "secret", &set), ResultCode::NO_ERR);
    assert_eq!(set_ea(c2, v2), ResultCode::ACCESS_DENIED);
    let list = c2.call(command::ListExtAttrs {
        volume_id: v2,
        dir_id: ROOT,
        bitmap: ExtAttrBitmap::empty(),
        req_count: 0,
        start_index: 0,
        max_reply_size: 4096,
        path: p("secret"),
    });
    assert_eq!(list.0, ResultCode::ACCESS_DENIED);
    let fork = c2.open_fork(
        v2,
        ROOT,
        "secret",
        false,
        command::AccessMode::READ,
        FileBitmap::empty(),
    );
    assert_eq!(fork.unwrap_err(), ResultCode::ACCESS_DENIED);
    // Copying what one cannot read is a deny conflict (netatalk).
    let copy = command::CopyFile {
        src_volume_id: v2,
        src_dir_id: ROOT,
        dst_volume_id: v2,
        dst_dir_id: ROOT,
        src_path: p("secret"),
        dst_path: p(""),
        new_name: p("stolen"),
    };
    assert_eq!(code(c2, copy), ResultCode::DENY_CONFLICT);
    // A comment needs write access to the directory: user 2 has it through the group.
    let add = command::AddComment {
        dt_ref: v2,
        dir_id: ROOT,
        path: p("mine"),
        comment: Bytes::from_static(b"c"),
    };
    assert_eq!(code(c2, add), ResultCode::NO_ERR);
}

#[test]
fn deleted_by_the_other_user() {
    let mut t = two_users();
    let (c1, v1, c2, v2) = (&mut t.c1, t.v1, &mut t.c2, t.v2);
    // test196: user 1 makes a tree world-writable; user 2 deletes it; user 1's IDs are
    // then not found.
    let tdir = c1.create_dir(v1, ROOT, "test196").unwrap();
    let tdir1 = c1.create_dir(v1, tdir, "test196_subdir").unwrap();
    let full = DirParams {
        access_rights: Some(AccessRights::from_bits_retain(0x0007_0707)),
        ..DirParams::default()
    };
    assert_eq!(set_dir(c1, v1, tdir, "", &full), ResultCode::NO_ERR);
    let del = command::Delete {
        volume_id: v2,
        dir_id: ROOT,
        path: p("test196/test196_subdir"),
    };
    assert_eq!(code(c2, del), ResultCode::NO_ERR);
    assert_eq!(c2.delete(v2, ROOT, "test196"), Ok(()));
    assert_eq!(c1.delete(v1, tdir1, ""), Err(ResultCode::OBJECT_NOT_FOUND));
    assert_eq!(c1.delete(v1, tdir, ""), Err(ResultCode::OBJECT_NOT_FOUND));
    // A file user 1 has open cannot be deleted by user 2 (test74): kFPFileBusy.
    c1.create_file(v1, ROOT, "t74 file", false).unwrap();
    let fork = c1.open_data_rw(v1, ROOT, "t74 file").unwrap();
    assert_eq!(c2.delete(v2, ROOT, "t74 file"), Err(ResultCode::FILE_BUSY));
    c1.close_fork(fork).unwrap();
    assert_eq!(c2.delete(v2, ROOT, "t74 file"), Ok(()));
}
