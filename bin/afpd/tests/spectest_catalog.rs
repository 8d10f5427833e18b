//! Sequences of netatalk's `afp_spectest` (tier 1, `test/testsuite/FP*.c`) for the catalog
//! commands that earlier tests did not check, with the answers netatalk gives. Two Linux
//! users in one group on a `2775` volume owned by the first, as the suite's README sets
//! it up (root only).

mod catalog_common;
mod common;

use afp_proto::AfpDate;
use afp_proto::ResultCode;
use afp_proto::command::{self, AccessMode};
use afp_proto::params::{
    AccessRights, DirBitmap, DirParams, FileAttributes, FileBitmap, FileDirParams, FileParams,
    UnixPrivs,
};
use catalog_common::*;
use common::AfpClient;
use common::TwoUsers as Two;

fn two_users() -> Two {
    common::two_users("the spectest two-user sequences")
}

/// Access rights as netatalk's test client packs them: owner, group, everyone bytes.
fn rights(owner: u32, group: u32, world: u32) -> AccessRights {
    AccessRights::from_bits_retain(world << 16 | group << 8 | owner)
}

fn set_access(c: &mut AfpClient, vid: u16, did: u32, path: &str, r: AccessRights) -> ResultCode {
    let dp = DirParams {
        access_rights: Some(r),
        ..DirParams::default()
    };
    set_dir(c, vid, did, path, &dp)
}

/// afphelper.c `no_access_folder`: user 2 creates it, owner search+read only (0500).
fn no_access_folder(t: &mut Two, name: &str) -> u32 {
    let d = t.c2.create_dir(t.v2, ROOT, name).unwrap();
    assert_eq!(
        set_access(&mut t.c2, t.v2, d, "", rights(3, 0, 0)),
        ResultCode::NO_ERR
    );
    d
}

/// afphelper.c `read_only_folder`: user 2 creates it, everybody search+read (0555).
fn read_only_folder(t: &mut Two, name: &str) -> u32 {
    let d = t.c2.create_dir(t.v2, ROOT, name).unwrap();
    assert_eq!(
        set_access(&mut t.c2, t.v2, d, "", rights(3, 3, 3)),
        ResultCode::NO_ERR
    );
    d
}

fn unix_privs_of_file(c: &mut AfpClient, vid: u16, did: u32, name: &str) -> UnixPrivs {
    file(c, vid, did, name, FileBitmap::UNIX_PRIVS)
        .unwrap()
        .unix_privs
        .unwrap()
}

/// FPSetFileDirParms with the UNIX privileges bit only.
fn set_fd_privs(c: &mut AfpClient, vid: u16, did: u32, name: &str, up: UnixPrivs) -> ResultCode {
    let fp = FileParams {
        unix_privs: Some(up),
        ..FileParams::default()
    };
    code(
        c,
        command::SetFileDirParms::new(vid, did, p(name), &FileDirParams::File(fp)),
    )
}

fn open_rd(
    c: &mut AfpClient,
    vid: u16,
    did: u32,
    name: &str,
    rsrc: bool,
) -> Result<u16, ResultCode> {
    c.open_fork(vid, did, name, rsrc, AccessMode::READ, FileBitmap::empty())
        .map(|f| f.fork)
}

#[test]
fn set_file_dir_parms_unix_privs_of_files() {
    let mut t = two_users();
    let (c1, v1) = (&mut t.c1, t.v1);
    let dir = c1.create_dir(v1, ROOT, "t346 dir").unwrap();

    // spectest FPSetFileDirParms.c test346: a file without any permission can be deleted.
    c1.create_file(v1, dir, "t346 file", false).unwrap();
    let mut up = unix_privs_of_file(c1, v1, dir, "t346 file");
    up.permissions = 0;
    assert_eq!(
        set_fd_privs(c1, v1, dir, "t346 file", up),
        ResultCode::NO_ERR
    );
    assert_eq!(c1.delete(v1, dir, "t346 file"), Ok(()));

    // test232: a read-only file in a writable folder can be deleted.
    c1.create_file(v1, dir, "t232 file", false).unwrap();
    let mut up = unix_privs_of_file(c1, v1, dir, "t232 file");
    up.permissions &= !0o222;
    assert_eq!(
        set_fd_privs(c1, v1, dir, "t232 file", up),
        ResultCode::NO_ERR
    );
    assert_eq!(c1.delete(v1, dir, "t232 file"), Ok(()));

    // test345: no permission, no fork opens (data or resource); 0600, both open.
    c1.create_file(v1, dir, "t345 file", false).unwrap();
    let mut up = unix_privs_of_file(c1, v1, dir, "t345 file");
    up.permissions = 0;
    assert_eq!(
        set_fd_privs(c1, v1, dir, "t345 file", up),
        ResultCode::NO_ERR
    );
    assert!(open_rd(c1, v1, dir, "t345 file", false).is_err());
    assert!(open_rd(c1, v1, dir, "t345 file", true).is_err());
    up.permissions = 0o600;
    assert_eq!(
        set_fd_privs(c1, v1, dir, "t345 file", up),
        ResultCode::NO_ERR
    );
    for rsrc in [false, true] {
        let f = open_rd(c1, v1, dir, "t345 file", rsrc).unwrap();
        c1.close_fork(f).unwrap();
    }
    c1.delete(v1, dir, "t345 file").unwrap();

    // test359: DeleteInhibit stays visible and enforced on a file without permissions
    // (netatalk reads the metadata as root when the user may not).
    c1.create_file(v1, dir, "t359 file.pdf", false).unwrap();
    let fp = FileParams {
        attributes: Some(FileAttributes::from_bits_retain(0x8000 | 0x0100)),
        ..FileParams::default()
    };
    assert_eq!(
        set_file(c1, v1, dir, "t359 file.pdf", &fp),
        ResultCode::NO_ERR
    );
    assert_eq!(
        c1.delete(v1, dir, "t359 file.pdf"),
        Err(ResultCode::OBJECT_LOCKED)
    );
    let mut up = unix_privs_of_file(c1, v1, dir, "t359 file.pdf");
    up.permissions = 0;
    assert_eq!(
        set_fd_privs(c1, v1, dir, "t359 file.pdf", up),
        ResultCode::NO_ERR
    );
    let a = file(c1, v1, dir, "t359 file.pdf", FileBitmap::ATTRIBUTES)
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(a.bits() & 0x0100, 0x0100, "DeleteInhibit still reported");
    assert_eq!(
        c1.delete(v1, dir, "t359 file.pdf"),
        Err(ResultCode::OBJECT_LOCKED)
    );
    up.permissions = 0o600;
    assert_eq!(
        set_fd_privs(c1, v1, dir, "t359 file.pdf", up),
        ResultCode::NO_ERR
    );
    let fp = FileParams {
        attributes: Some(FileAttributes::from_bits_retain(0x0100)),
        ..FileParams::default()
    };
    assert_eq!(
        set_file(c1, v1, dir, "t359 file.pdf", &fp),
        ResultCode::NO_ERR
    );
    c1.delete(v1, dir, "t359 file.pdf").unwrap();
    c1.delete(v1, dir, "").unwrap();
}

#[test]
fn set_file_dir_parms_two_users() {
    let mut t = two_users();
    let dir = t.c1.create_dir(t.v1, ROOT, "t231 dir").unwrap();
    t.c1.create_file(t.v1, dir, "t231 file", false).unwrap();
    // spectest FPSetFileDirParms.c test231: a folder open to all, then read-only: user 2
    // cannot delete in it.
    let mut dp = catalog_common::dir(&mut t.c1, t.v1, dir, "", DirBitmap::UNIX_PRIVS)
        .unwrap()
        .unix_privs
        .unwrap();
    dp.permissions |= 0o666;
    assert_eq!(
        set_fd_privs(&mut t.c1, t.v1, dir, "", dp),
        ResultCode::NO_ERR
    );
    t.c2.create_file(t.v2, dir, "t231 file user 2", false)
        .unwrap();
    dp.permissions &= !0o222;
    assert_eq!(
        set_fd_privs(&mut t.c1, t.v1, dir, "", dp),
        ResultCode::NO_ERR
    );
    assert_eq!(
        t.c2.delete(t.v2, dir, "t231 file user 2"),
        Err(ResultCode::ACCESS_DENIED)
    );
    assert_eq!(
        t.c2.delete(t.v2, dir, "t231 file"),
        Err(ResultCode::ACCESS_DENIED)
    );
    dp.permissions |= 0o200;
    assert_eq!(
        set_fd_privs(&mut t.c1, t.v1, dir, "", dp),
        ResultCode::NO_ERR
    );
    t.c1.delete(t.v1, dir, "t231 file user 2").unwrap();
    t.c1.delete(t.v1, dir, "t231 file").unwrap();

    // test358: owner-only access rights: the owner enumerates, user 2 is refused.
    let old = catalog_common::dir(&mut t.c1, t.v1, dir, "", DirBitmap::ACCESS_RIGHTS)
        .unwrap()
        .access_rights
        .unwrap();
    t.c1.create_file(t.v1, dir, "t358 file", false).unwrap();
    assert_eq!(
        set_access(&mut t.c1, t.v1, dir, "", rights(3, 0, 0)),
        ResultCode::NO_ERR
    );
    let en = |c: &mut AfpClient, v: u16| {
        c.call(command::Enumerate {
            volume_id: v,
            dir_id: dir,
            file_bitmap: FileBitmap::LONG_NAME,
            dir_bitmap: DirBitmap::LONG_NAME,
            req_count: 5,
            start_index: 1,
            max_reply_size: 800,
            path: p(""),
        })
        .0
    };
    assert_eq!(en(&mut t.c1, t.v1), ResultCode::NO_ERR);
    assert_eq!(en(&mut t.c2, t.v2), ResultCode::ACCESS_DENIED);
    let old = AccessRights::from_bits_retain(old.bits() & 0x00FF_FFFF);
    assert_eq!(
        set_access(&mut t.c1, t.v1, dir, "", old),
        ResultCode::NO_ERR
    );
    t.c1.delete(t.v1, dir, "t358 file").unwrap();
    t.c1.delete(t.v1, dir, "").unwrap();
}

#[test]
fn set_dir_parms_errors_and_create_dir_access() {
    let mut t = two_users();
    let ndir = no_access_folder(&mut t, "t88 no access");
    let _rodir = read_only_folder(&mut t, "t88 read only access");
    let (c1, v1) = (&mut t.c1, t.v1);
    let d = c1.create_dir(v1, ROOT, "t88 error setdirparams").unwrap();
    c1.create_file(v1, d, "t88 error setdirparams file", false)
        .unwrap();

    // spectest FPSetDirParms.c test88: attributes or dates of a read-only folder of
    // user 2: netatalk answers 0 (a Mac kFPAccessDenied).
    let inv = DirParams {
        attributes: Some(afp_proto::params::DirAttributes::from_bits_retain(0x8001)),
        ..DirParams::default()
    };
    let r = set_dir(c1, v1, ROOT, "t88 read only access", &inv);
    assert!(
        matches!(r, ResultCode::NO_ERR | ResultCode::ACCESS_DENIED),
        "{r:?}"
    );
    let dates = DirParams {
        create_date: Some(AfpDate(100)),
        backup_date: Some(AfpDate(100)),
        mod_date: Some(AfpDate(100)),
        ..DirParams::default()
    };
    let r = set_dir(c1, v1, ROOT, "t88 read only access", &dates);
    assert!(
        matches!(r, ResultCode::NO_ERR | ResultCode::ACCESS_DENIED),
        "{r:?}"
    );
    // Owner, group and access rights of a folder user 1 cannot enter: kFPAccessDenied.
    let own = dir(
        c1,
        v1,
        ROOT,
        "t88 no access",
        DirBitmap::OWNER_ID | DirBitmap::GROUP_ID | DirBitmap::ACCESS_RIGHTS,
    )
    .unwrap();
    let ugr = DirParams {
        owner_id: own.owner_id,
        group_id: own.group_id,
        access_rights: Some(AccessRights::from_bits_retain(
            own.access_rights.unwrap().bits() & 0x00FF_FFFF,
        )),
        ..DirParams::default()
    };
    assert_eq!(
        set_dir(c1, v1, ROOT, "t88 no access", &ugr),
        ResultCode::ACCESS_DENIED
    );
    assert_eq!(
        set_dir(c1, v1, d, "t88 error setdirparams file", &ugr),
        ResultCode::OBJECT_TYPE_ERR
    );
    assert_eq!(
        set_dir(c1, v1, d, "t88 error enoent file", &ugr),
        ResultCode::OBJECT_NOT_FOUND
    );

    // FPCreateDir.c test45: inside a folder without write access kFPAccessDenied, by
    // path or by ID; an existing name kFPObjectExists.
    assert_eq!(
        c1.create_dir(v1, ROOT, "t88 no access\0file"),
        Err(ResultCode::ACCESS_DENIED)
    );
    assert_eq!(
        c1.create_dir(v1, ndir, "t45 file"),
        Err(ResultCode::ACCESS_DENIED)
    );
    assert_eq!(
        c1.create_dir(v1, ROOT, "t88 read only access"),
        Err(ResultCode::OBJECT_EXISTS)
    );

    // FPSetFileDirParms.c test98: dates on user 2's folders: 0 or kFPAccessDenied; on a
    // missing name kFPObjectNotFound.
    let fdp = |c: &mut AfpClient, did: u32, name: &str| {
        code(
            c,
            command::SetFileDirParms::new(v1, did, p(name), &FileDirParams::Dir(dates.clone())),
        )
    };
    for name in ["t88 read only access", "t88 no access"] {
        let r = fdp(c1, ROOT, name);
        assert!(
            matches!(r, ResultCode::NO_ERR | ResultCode::ACCESS_DENIED),
            "{name}: {r:?}"
        );
    }
    assert_eq!(
        fdp(c1, d, "t88 error setdirparams file"),
        ResultCode::NO_ERR
    );
    assert_eq!(
        fdp(c1, ROOT, "t88 error setdirparams file"),
        ResultCode::OBJECT_NOT_FOUND
    );
    assert_eq!(fdp(c1, ROOT, "t88 error setdirparams"), ResultCode::NO_ERR);
}

#[test]
fn create_in_deleted_folder_and_second_user_delete() {
    let mut t = two_users();
    // spectest FPCreateDir.c test175: a folder the other user deleted: creating in it by
    // its old ID is kFPObjectNotFound (a Mac) or kFPParamErr (netatalk).
    for name in ["test175", ".test175"] {
        let d = t.c1.create_dir(t.v1, ROOT, name).unwrap();
        dir(
            &mut t.c1,
            t.v1,
            d,
            "",
            DirBitmap::UTF8_NAME | DirBitmap::OFFSPRING_COUNT,
        )
        .unwrap();
        t.c2.delete(t.v2, ROOT, name).unwrap();
        let r = t.c1.create_file(t.v1, d, name, false).unwrap_err();
        assert!(
            matches!(r, ResultCode::OBJECT_NOT_FOUND | ResultCode::PARAM_ERR),
            "{r:?}"
        );
        let r = t.c1.create_dir(t.v1, d, name).unwrap_err();
        assert!(
            matches!(r, ResultCode::OBJECT_NOT_FOUND | ResultCode::PARAM_ERR),
            "{r:?}"
        );
    }
    // …and the name can be created again at the root.
    let d = t.c1.create_dir(t.v1, ROOT, ".test175b").unwrap();
    t.c2.delete(t.v2, ROOT, ".test175b").unwrap();
    let d2 = t.c1.create_dir(t.v1, ROOT, ".test175b").unwrap();
    assert_ne!(d, 0);
    t.c1.delete(t.v1, d2, "").unwrap();

    // test198: user 2 deletes user 1's folders in the group-writable root.
    let d = t.c1.create_dir(t.v1, ROOT, "test198 dir").unwrap();
    let sub = t.c1.create_dir(t.v1, d, "test198 subdir").unwrap();
    let r = t.c2.delete(t.v2, ROOT, "test198 dir\0test198 subdir");
    if r.is_err() {
        assert_eq!(r, Err(ResultCode::ACCESS_DENIED));
        t.c1.delete(t.v1, sub, "").unwrap();
    }
    assert_eq!(t.c2.delete(t.v2, ROOT, "test198 dir"), Ok(()));
    let _ = t.srv.pid();
}

#[test]
fn set_dir_parms_permissions() {
    let mut t = two_users();
    let (c1, v1) = (&mut t.c1, t.v1);
    // spectest FPSetDirParms.c test352: no access rights at all on a folder: nothing can
    // be created in it (and the parent is untouched); restored, it can.
    let d = c1.create_dir(v1, ROOT, "t352 dir").unwrap();
    let old = dir(c1, v1, d, "", DirBitmap::ACCESS_RIGHTS)
        .unwrap()
        .access_rights
        .unwrap();
    let old = AccessRights::from_bits_retain(old.bits() & 0x00FF_FFFF);
    assert_eq!(
        set_access(c1, v1, d, "", rights(0, 0, 0)),
        ResultCode::NO_ERR
    );
    assert!(c1.create_file(v1, d, "t352 file", false).is_err());
    c1.create_file(v1, ROOT, "t352 file", false).unwrap();
    c1.delete(v1, ROOT, "t352 file").unwrap();
    assert_eq!(set_access(c1, v1, d, "", old), ResultCode::NO_ERR);
    c1.create_file(v1, d, "t352 file", false).unwrap();
    c1.delete(v1, d, "t352 file").unwrap();

    // test351: the root folder: no rights → 0 or kFPAccessDenied; owner read+search
    // only → no creation; restored → creation works.
    let old_root = dir(c1, v1, ROOT, "", DirBitmap::ACCESS_RIGHTS)
        .unwrap()
        .access_rights
        .unwrap();
    let old_root = AccessRights::from_bits_retain(old_root.bits() & 0x00FF_FFFF);
    let r = set_access(c1, v1, ROOT, "", rights(0, 0, 0));
    assert!(
        matches!(r, ResultCode::NO_ERR | ResultCode::ACCESS_DENIED),
        "{r:?}"
    );
    if r == ResultCode::NO_ERR {
        assert_eq!(set_access(c1, v1, ROOT, "", old_root), ResultCode::NO_ERR);
    }
    let ro = AccessRights::from_bits_retain(old_root.bits() & 0x00FF_FF00 | 3);
    assert_eq!(set_access(c1, v1, ROOT, "", ro), ResultCode::NO_ERR);
    assert!(c1.create_file(v1, ROOT, "t351 file", false).is_err());
    assert_eq!(set_access(c1, v1, ROOT, "", old_root), ResultCode::NO_ERR);
    c1.create_file(v1, ROOT, "t351 file", false).unwrap();
    c1.delete(v1, ROOT, "t351 file").unwrap();

    // test356 / FPSetFileDirParms.c test350: the same with UNIX privileges.
    let rp = dir(c1, v1, ROOT, "", DirBitmap::UNIX_PRIVS)
        .unwrap()
        .unix_privs
        .unwrap();
    let set_root = |c: &mut AfpClient, perm: u32| {
        let dp = DirParams {
            unix_privs: Some(UnixPrivs {
                permissions: perm,
                ..rp
            }),
            ..DirParams::default()
        };
        set_dir(c, v1, ROOT, "", &dp)
    };
    let r = set_root(c1, 0);
    assert!(
        matches!(r, ResultCode::NO_ERR | ResultCode::ACCESS_DENIED),
        "{r:?}"
    );
    if r == ResultCode::NO_ERR {
        assert_eq!(set_root(c1, rp.permissions), ResultCode::NO_ERR);
    }
    assert_eq!(set_root(c1, 0o500), ResultCode::NO_ERR);
    assert!(c1.create_file(v1, ROOT, "t356 file", false).is_err());
    assert_eq!(set_root(c1, rp.permissions), ResultCode::NO_ERR);
    c1.create_file(v1, ROOT, "t356 file", false).unwrap();
    c1.delete(v1, ROOT, "t356 file").unwrap();
    c1.delete(v1, d, "").unwrap();
}

#[test]
fn get_file_dir_parms_sequences() {
    let (_srv, mut c, vid) = setup();
    // spectest FPGetFileDirParms.c test70: an unknown path type (4) is kFPParamErr.
    let mut raw = vec![34u8, 0];
    raw.extend_from_slice(&vid.to_be_bytes());
    raw.extend_from_slice(&ROOT.to_be_bytes());
    raw.extend_from_slice(&FileBitmap::LONG_NAME.bits().to_be_bytes());
    raw.extend_from_slice(&6u16.to_be_bytes());
    raw.push(4);
    raw.push(15);
    raw.extend_from_slice(b"t70 bogus cname");
    assert_eq!(c.call_raw(raw).0, ResultCode::PARAM_ERR);

    // test94: making a folder invisible leaves the parent's offspring count alone.
    let bm = DirBitmap::ATTRIBUTES | DirBitmap::MOD_DATE | DirBitmap::OFFSPRING_COUNT;
    c.create_dir(vid, ROOT, "t94 invisible dir").unwrap();
    let before = dir(&mut c, vid, ROOT, "", bm).unwrap().offspring_count;
    let inv = DirParams {
        attributes: Some(afp_proto::params::DirAttributes::from_bits_retain(0x8001)),
        ..DirParams::default()
    };
    assert_eq!(
        set_dir(&mut c, vid, ROOT, "t94 invisible dir", &inv),
        ResultCode::NO_ERR
    );
    let a = dir(&mut c, vid, ROOT, "t94 invisible dir", bm).unwrap();
    assert_eq!(a.attributes.unwrap().bits() & 1, 1);
    assert_eq!(
        dir(&mut c, vid, ROOT, "", bm).unwrap().offspring_count,
        before
    );
    c.delete(vid, ROOT, "t94 invisible dir").unwrap();

    // test334: a long name without extension: "prefix#ID" finds it, "prefix#ID." not.
    let name = "t334 very long filename (more than 31 bytes)";
    c.create_file(vid, ROOT, name, false).unwrap();
    let id = fid(&mut c, vid, ROOT, name);
    let mangled = |suffix: String| format!("{}{suffix}", &name[..31 - suffix.len()]);
    let pd = FileBitmap::from_bits_retain(1 << 13);
    assert!(file(&mut c, vid, ROOT, &mangled(format!("#{id:X}")), pd).is_ok());
    assert!(file(&mut c, vid, ROOT, &mangled(format!("#{id:X}.")), pd).is_err());
    c.delete(vid, ROOT, name).unwrap();

    // test335: a real file named like another's mangled name, in another folder.
    let d = c.create_dir(vid, ROOT, "t335 dir").unwrap();
    let name = "t335 very long filename (more than 31 bytes).txt";
    c.create_file(vid, ROOT, name, false).unwrap();
    let id = fid(&mut c, vid, ROOT, name);
    let suffix = format!("#{id:X}.txt");
    let m = format!("{}{suffix}", &name[..31 - suffix.len()]);
    assert!(file(&mut c, vid, ROOT, &m, pd).is_ok());
    c.create_file(vid, d, &m, false).unwrap();
    assert!(file(&mut c, vid, d, &m, pd).is_ok());
    c.delete(vid, d, &m).unwrap();
    c.delete(vid, ROOT, name).unwrap();
    c.delete(vid, d, "").unwrap();

    // test396: the root through DID 1 and a folder with wide bitmaps; FPCreateID on
    // folders answers without harm.
    let d = c.create_dir(vid, ROOT, "t396 dir").unwrap();
    let (fb, db) = (
        FileBitmap::from_bits_retain(0x73f),
        DirBitmap::from_bits_retain(0x133f),
    );
    gfdp(&mut c, vid, 1, p("test1"), fb, db).unwrap();
    gfdp(&mut c, vid, ROOT, p("t396 dir"), fb, db).unwrap();
    for (did, path) in [(d, ""), (ROOT, ""), (1, "")] {
        let r = code(
            &mut c,
            command::CreateId {
                volume_id: vid,
                dir_id: did,
                path: p(path),
            },
        );
        assert_ne!(r, ResultCode::NO_ERR, "FPCreateID on a folder");
    }
    c.delete(vid, ROOT, "t396 dir").unwrap();

    // test423: a file whose resource fork is open and locked keeps its ID through a
    // rename, and FPResolveID finds it before and after.
    let d = c.create_dir(vid, ROOT, "t423 dir").unwrap();
    c.create_file(vid, d, "t423 file", false).unwrap();
    let fork = c
        .open_fork(
            vid,
            d,
            "t423 file",
            true,
            AccessMode::READ | AccessMode::WRITE | AccessMode::DENY_READ | AccessMode::DENY_WRITE,
            FileBitmap::NODE_ID | FileBitmap::FINDER_INFO,
        )
        .unwrap()
        .fork;
    c.byte_range_lock_ext(fork, command::LockFlags::empty(), 0, 100)
        .unwrap();
    let id = fid(&mut c, vid, d, "t423 file");
    let resolve = |c: &mut AfpClient, id: u32| {
        code(
            c,
            command::ResolveId {
                volume_id: vid,
                file_id: id,
                bitmap: FileBitmap::NODE_ID | FileBitmap::FINDER_INFO,
            },
        )
    };
    assert_eq!(resolve(&mut c, id), ResultCode::NO_ERR);
    c.move_and_rename(vid, d, "t423 file", d, "", "t423 file new name")
        .unwrap();
    assert_eq!(fid(&mut c, vid, d, "t423 file new name"), id);
    assert_eq!(resolve(&mut c, id), ResultCode::NO_ERR);
    c.close_fork(fork).unwrap();
    c.delete(vid, d, "t423 file new name").unwrap();
    c.delete(vid, d, "").unwrap();
}

#[test]
fn enumerate_sequences() {
    let mut t = two_users();
    let (c1, v1) = (&mut t.c1, t.v1);
    let fb = FileBitmap::LONG_NAME
        | FileBitmap::NODE_ID
        | FileBitmap::ATTRIBUTES
        | FileBitmap::FINDER_INFO
        | FileBitmap::CREATE_DATE
        | FileBitmap::BACKUP_DATE
        | FileBitmap::MOD_DATE;
    let db = DirBitmap::ATTRIBUTES
        | DirBitmap::FINDER_INFO
        | DirBitmap::CREATE_DATE
        | DirBitmap::BACKUP_DATE
        | DirBitmap::MOD_DATE
        | DirBitmap::LONG_NAME
        | DirBitmap::PARENT_DIR_ID
        | DirBitmap::NODE_ID
        | DirBitmap::ACCESS_RIGHTS;
    let en = |c: &mut AfpClient, v: u16, did: u32, path: &str, start: u16, fb, db| {
        c.request(command::Enumerate {
            volume_id: v,
            dir_id: did,
            file_bitmap: fb,
            dir_bitmap: db,
            req_count: 150,
            start_index: start,
            max_reply_size: 8000,
            path: p(path),
        })
    };
    // spectest FPEnumerate.c test28: after the volume is closed and opened again, a
    // folder is enumerated by its ID alone.
    let d = c1.create_dir(v1, ROOT, "t28 dir").unwrap();
    let d1 = c1.create_dir(v1, d, "t28 subdir").unwrap();
    c1.create_file(v1, d1, "t28 file", false).unwrap();
    c1.close_vol(v1).unwrap();
    let v1 = c1.open_volume("test1");
    t.v1 = v1;
    en(c1, v1, d1, "", 1, fb, db).unwrap();
    c1.delete(v1, d1, "t28 file").unwrap();
    c1.delete(v1, d1, "").unwrap();
    c1.delete(v1, d, "").unwrap();

    // test38: a read-only folder of user 2 holding a file: user 1 enumerates it, by path
    // (with fork lengths) and by ID.
    let rd =
        t.c2.create_dir(t.v2, ROOT, "t38 read only access dir")
            .unwrap();
    t.c2.create_file(t.v2, rd, "t38 read write file", false)
        .unwrap();
    assert_eq!(
        set_access(&mut t.c2, t.v2, rd, "", rights(3, 3, 3)),
        ResultCode::NO_ERR
    );
    let c1 = &mut t.c1;
    let did = did_of(c1, v1, ROOT, "t38 read only access dir");
    assert_eq!(did, rd);
    en(
        c1,
        v1,
        ROOT,
        "t38 read only access dir",
        1,
        fb | FileBitmap::DATA_FORK_LEN | FileBitmap::RSRC_FORK_LEN,
        db,
    )
    .unwrap();
    en(c1, v1, did, "", 1, fb, db).unwrap();

    // test300: the whole volume, recursively, every file's ID resolving; each folder
    // ends with kFPObjectNotFound.
    let fb3 = FileBitmap::NODE_ID
        | FileBitmap::ATTRIBUTES
        | FileBitmap::FINDER_INFO
        | FileBitmap::CREATE_DATE
        | FileBitmap::BACKUP_DATE
        | FileBitmap::MOD_DATE
        | FileBitmap::DATA_FORK_LEN
        | FileBitmap::RSRC_FORK_LEN
        | FileBitmap::LONG_NAME
        | FileBitmap::from_bits_retain(1 << 13);
    let db3 = DirBitmap::ATTRIBUTES
        | DirBitmap::FINDER_INFO
        | DirBitmap::OFFSPRING_COUNT
        | DirBitmap::CREATE_DATE
        | DirBitmap::BACKUP_DATE
        | DirBitmap::MOD_DATE
        | DirBitmap::PARENT_DIR_ID
        | DirBitmap::NODE_ID
        | DirBitmap::ACCESS_RIGHTS
        | DirBitmap::LONG_NAME
        | DirBitmap::UTF8_NAME;
    let mut stack = vec![ROOT];
    let mut seen = 0;
    while let Some(dir_id) = stack.pop() {
        dir(c1, v1, dir_id, "", db3).unwrap();
        let mut i = 1u16;
        loop {
            let r = match en(c1, v1, dir_id, "", i, fb3, db3) {
                Ok(command::Reply::Enumerate(r)) => r,
                Ok(other) => panic!("unexpected {other:?}"),
                Err(e) => {
                    assert_eq!(e, ResultCode::OBJECT_NOT_FOUND);
                    break;
                }
            };
            let entries = r.entries;
            i += u16::try_from(entries.len()).unwrap();
            for e in entries {
                seen += 1;
                match e {
                    FileDirParams::Dir(dp) => stack.push(dp.node_id.unwrap()),
                    FileDirParams::File(fp) => {
                        let r = code(
                            c1,
                            command::ResolveId {
                                volume_id: v1,
                                file_id: fp.node_id.unwrap(),
                                bitmap: fb3,
                            },
                        );
                        assert_eq!(r, ResultCode::NO_ERR);
                    }
                }
            }
        }
    }
    assert!(seen >= 2, "saw {seen} entries");
}

#[test]
fn delete_sequences() {
    let mut t = two_users();
    let (v1, v2) = (t.v1, t.v2);
    // spectest FPDelete.c test13: a file this session has open is not deleted.
    t.c1.create_file(v1, ROOT, "t13 file", false).unwrap();
    let f = t.c1.open_data_rw(v1, ROOT, "t13 file").unwrap();
    t.c1.write_all(f, 0, &[0u8; 2000]).unwrap();
    assert_eq!(
        t.c1.delete(v1, ROOT, "t13 file"),
        Err(ResultCode::FILE_BUSY)
    );
    t.c1.close_fork(f).unwrap();
    t.c1.delete(v1, ROOT, "t13 file").unwrap();

    // test368 / test369: a file moved (renamed or not) while open stays busy for the
    // other user.
    let d = t.c1.create_dir(v1, ROOT, "t368 dir").unwrap();
    for (name, new) in [
        ("t368 Delete File 2 users", "t368 new name"),
        ("t369 Delete File 2 users", ""),
    ] {
        t.c1.create_file(v1, ROOT, name, false).unwrap();
        let f =
            t.c1.open_fork(
                v1,
                ROOT,
                name,
                false,
                AccessMode::READ
                    | AccessMode::WRITE
                    | AccessMode::DENY_READ
                    | AccessMode::DENY_WRITE,
                FileBitmap::empty(),
            )
            .unwrap()
            .fork;
        t.c1.move_and_rename(v1, ROOT, name, d, "", new).unwrap();
        t.c1.set_fork_len(f, 50).unwrap();
        let moved = if new.is_empty() { name } else { new };
        assert_eq!(t.c2.delete(v2, d, moved), Err(ResultCode::FILE_BUSY));
        t.c1.close_fork(f).unwrap();
        t.c1.delete(v1, d, moved).unwrap();
    }
    t.c1.delete(v1, d, "").unwrap();

    // test196: user 2 deletes user 1's open-to-all folder and its subfolder; user 1's
    // IDs of both are then not found.
    let d = t.c1.create_dir(v1, ROOT, "test196").unwrap();
    let sub = t.c1.create_dir(v1, d, "test196_subdir").unwrap();
    assert_eq!(
        set_access(&mut t.c1, v1, d, "", rights(7, 7, 7)),
        ResultCode::NO_ERR
    );
    t.c2.delete(v2, ROOT, "test196\0test196_subdir").unwrap();
    t.c2.delete(v2, ROOT, "test196").unwrap();
    assert_eq!(t.c1.delete(v1, sub, ""), Err(ResultCode::OBJECT_NOT_FOUND));
    assert_eq!(t.c1.delete(v1, d, ""), Err(ResultCode::OBJECT_NOT_FOUND));

    // test421: the same for a folder this session used last.
    let d = t.c1.create_dir(v1, ROOT, "test421").unwrap();
    assert_eq!(
        set_access(&mut t.c1, v1, d, "", rights(7, 7, 7)),
        ResultCode::NO_ERR
    );
    dir(&mut t.c1, v1, d, "", DirBitmap::ACCESS_RIGHTS).unwrap();
    t.c2.delete(v2, ROOT, "test421").unwrap();
    assert_eq!(t.c1.delete(v1, d, ""), Err(ResultCode::OBJECT_NOT_FOUND));
}

#[test]
fn rename_sequences() {
    let mut t = two_users();
    let (v1, v2) = (t.v1, t.v2);
    // spectest FPRename.c test69: a name with '!' renames both ways.
    t.c1.create_dir(v1, ROOT, "t69 rename file!name").unwrap();
    t.c1.rename(v1, ROOT, "t69 rename file!name", "t69 new name")
        .unwrap();
    t.c1.create_dir(v1, ROOT, "t69 rename file!name").unwrap();
    assert_eq!(
        t.c1.rename(v1, ROOT, "t69 rename file!name", "t69 new name"),
        Err(ResultCode::OBJECT_EXISTS)
    );
    t.c1.delete(v1, ROOT, "t69 new name").unwrap();
    t.c1.rename(v1, ROOT, "t69 rename file!name", "t69 new name")
        .unwrap();
    t.c1.delete(v1, ROOT, "t69 new name").unwrap();

    // test183: a folder and its subfolder deleted by user 2: user 1's ID of the
    // subfolder is not found for FPDelete and FPRename.
    for rename in [false, true] {
        let d = t.c1.create_dir(v1, ROOT, "test183").unwrap();
        let sub = t.c1.create_dir(v1, d, "test183").unwrap();
        dir(&mut t.c1, v1, sub, "", DirBitmap::OFFSPRING_COUNT).unwrap();
        assert_eq!(
            set_access(&mut t.c1, v1, d, "", rights(7, 7, 7)),
            ResultCode::NO_ERR
        );
        let tp = did_of(&mut t.c2, v2, ROOT, "test183");
        assert_eq!(tp, d);
        let tp1 = did_of(&mut t.c2, v2, tp, "test183");
        assert_eq!(tp1, sub);
        t.c2.delete(v2, tp1, "").unwrap();
        t.c2.delete(v2, tp, "").unwrap();
        let r = if rename {
            t.c1.rename(v1, sub, "", "test183.new")
        } else {
            t.c1.delete(v1, sub, "")
        };
        assert_eq!(r, Err(ResultCode::OBJECT_NOT_FOUND));
    }

    // test219: user 2 renames user 1's folder in the shared root.
    let d = t.c1.create_dir(v1, ROOT, "t191 dir").unwrap();
    t.c2.rename(v2, ROOT, "t191 dir", "t191 newname").unwrap();
    assert_eq!(did_of(&mut t.c1, v1, ROOT, "t191 newname"), d);
    t.c1.delete(v1, d, "").unwrap();
}

#[test]
fn create_file_errors() {
    let mut t = two_users();
    let v1 = t.v1;
    // spectest FPCreateFile.c test51.
    let rd = read_only_folder(&mut t, "t51 read only access");
    let c1 = &mut t.c1;
    assert_eq!(did_of(c1, v1, ROOT, "t51 read only access"), rd);
    let r = c1
        .create_file(v1, ROOT, "t51 read only access", false)
        .unwrap_err();
    assert!(
        matches!(r, ResultCode::OBJECT_EXISTS | ResultCode::OBJECT_TYPE_ERR),
        "{r:?}"
    );
    assert_eq!(
        c1.create_file(v1, rd, "t51 file", false),
        Err(ResultCode::ACCESS_DENIED)
    );
    let name2 = "t51 other file.txt";
    c1.create_file(v1, ROOT, name2, false).unwrap();
    assert_eq!(
        c1.create_file(v1, ROOT, name2, false),
        Err(ResultCode::OBJECT_EXISTS)
    );
    let f = c1
        .open_fork(
            v1,
            ROOT,
            name2,
            false,
            AccessMode::READ | AccessMode::WRITE | AccessMode::DENY_WRITE,
            FileBitmap::empty(),
        )
        .unwrap()
        .fork;
    assert_eq!(
        c1.create_file(v1, ROOT, name2, false),
        Err(ResultCode::OBJECT_EXISTS)
    );
    assert_eq!(
        c1.create_file(v1, ROOT, name2, true),
        Err(ResultCode::FILE_BUSY)
    );
    c1.close_fork(f).unwrap();
    assert_eq!(
        c1.create_file(v1, rd, "folder\0essai", true),
        Err(ResultCode::OBJECT_NOT_FOUND)
    );
    let d = c1.create_dir(v1, ROOT, "t51 dir").unwrap();
    c1.create_file(v1, d, name2, true).unwrap();
    c1.create_file(v1, d, name2, true).unwrap();
    c1.delete(v1, d, name2).unwrap();
    c1.delete(v1, ROOT, name2).unwrap();
    c1.delete(v1, d, "").unwrap();
}

#[test]
fn enumerate_ext_sequences() {
    let (_srv, mut c, vid) = setup();
    // spectest FPEnumerateExt.c test23 / FPEnumerateExt2.c test25: both the short and
    // the extended fork lengths with the UTF-8 name, 1024 entries asked, 8192 bytes.
    let fb = FileBitmap::from_bits_retain(1 << 13)
        | FileBitmap::EXT_DATA_FORK_LEN
        | FileBitmap::EXT_RSRC_FORK_LEN
        | FileBitmap::DATA_FORK_LEN
        | FileBitmap::RSRC_FORK_LEN;
    let db = DirBitmap::UTF8_NAME | DirBitmap::OFFSPRING_COUNT;
    let d = c.create_dir(vid, ROOT, "t23 dir").unwrap();
    let ext = |c: &mut AfpClient, did: u32, fb: FileBitmap, db: DirBitmap| {
        c.call(command::EnumerateExt {
            volume_id: vid,
            dir_id: did,
            file_bitmap: fb,
            dir_bitmap: db,
            req_count: 1024,
            start_index: 1,
            max_reply_size: 8192,
            path: p(""),
        })
        .0
    };
    assert_eq!(ext(&mut c, ROOT, fb, db), ResultCode::NO_ERR);
    let d1 = c.create_dir(vid, d, "t23 subdir").unwrap();
    dir(&mut c, vid, d, "t23 subdir", db).unwrap();
    c.create_file(vid, d1, "t23 file", false).unwrap();
    assert_eq!(
        dir(&mut c, vid, d, "t23 subdir", db)
            .unwrap()
            .offspring_count,
        Some(1)
    );
    assert_eq!(ext(&mut c, d1, fb, db), ResultCode::NO_ERR);
    assert_eq!(
        ext(
            &mut c,
            d,
            fb | FileBitmap::LONG_NAME,
            db | DirBitmap::LONG_NAME
        ),
        ResultCode::NO_ERR
    );
    for did in [d1, d] {
        let r = c
            .enumerate_ext2(
                vid,
                did,
                "",
                fb | FileBitmap::LONG_NAME,
                db | DirBitmap::LONG_NAME,
                1024,
                1,
                8192,
            )
            .unwrap();
        assert_eq!(r.entries.len(), 1);
    }
    c.delete(vid, d1, "t23 file").unwrap();
    c.delete(vid, d, "t23 subdir").unwrap();
    c.delete(vid, ROOT, "t23 dir").unwrap();
}

#[test]
fn open_dir_close_dir_sequences() {
    let mut t = two_users();
    let v1 = t.v1;
    // spectest FPOpenDir.c test57.
    no_access_folder(&mut t, "t57 dir no access");
    let ro = read_only_folder(&mut t, "t57 ro dir");
    let c1 = &mut t.c1;
    let d = c1.create_dir(v1, ROOT, "t57 dir").unwrap();
    c1.create_file(v1, ROOT, "t57 file.txt", false).unwrap();
    let od = |c: &mut AfpClient, vid: u16, did: u32, path: &str| {
        let (r, body) = c.call(command::OpenDir {
            volume_id: vid,
            dir_id: did,
            path: p(path),
        });
        (
            r,
            body.get(..4)
                .map(|b| u32::from_be_bytes(b.try_into().unwrap())),
        )
    };
    let (r, _) = od(c1, v1, ROOT, "t57 dir no access");
    assert!(
        matches!(r, ResultCode::NO_ERR | ResultCode::ACCESS_DENIED),
        "{r:?}"
    );
    assert_eq!(
        od(c1, v1, ROOT, "t57 ro dir"),
        (ResultCode::NO_ERR, Some(ro))
    );
    assert_eq!(
        od(c1, v1, ROOT, "t57 file.txt").0,
        ResultCode::OBJECT_TYPE_ERR
    );
    assert_eq!(od(c1, v1, 1, "").0, ResultCode::PARAM_ERR);
    assert_eq!(od(c1, v1, 1, "test1"), (ResultCode::NO_ERR, Some(ROOT)));
    assert_eq!(od(c1, v1 + 1, 1, "").0, ResultCode::PARAM_ERR);
    assert_eq!(od(c1, v1, ROOT, "t57 dir"), (ResultCode::NO_ERR, Some(d)));
    let cd = |c: &mut AfpClient, vid: u16, did: u32| {
        code(
            c,
            command::CloseDir {
                volume_id: vid,
                dir_id: did,
            },
        )
    };
    assert_eq!(cd(c1, v1, d), ResultCode::NO_ERR);

    // FPCloseDir.c test199: closing DID 1, the root, or on an unknown volume is fine
    // (netatalk answers 0; a Mac kFPParamErr for the volume).
    assert_eq!(cd(c1, v1, 1), ResultCode::NO_ERR);
    assert_eq!(cd(c1, v1, ROOT), ResultCode::NO_ERR);
    let r = cd(c1, v1 + 1, d);
    assert!(
        matches!(r, ResultCode::NO_ERR | ResultCode::PARAM_ERR),
        "{r:?}"
    );
    assert_eq!(cd(c1, v1, d), ResultCode::NO_ERR);
}

fn raw_utf8(b: &[u8]) -> afp_proto::path::Path {
    afp_proto::path::Path::utf8(bytes::Bytes::copy_from_slice(b))
}

fn raw_long(b: &[u8]) -> afp_proto::path::Path {
    afp_proto::path::Path::long(bytes::Bytes::copy_from_slice(b))
}

#[test]
fn utf8_sequences() {
    let (_srv, mut c, vid) = setup();
    let pdinfo = FileBitmap::from_bits_retain(1 << 13);
    // spectest Utf8.c test162: an invalid UTF-8 name is kFPParamErr.
    let r = code(
        &mut c,
        command::CreateDir {
            volume_id: vid,
            dir_id: ROOT,
            path: raw_utf8(b"e\xc3"),
        },
    );
    assert_eq!(r, ResultCode::PARAM_ERR);

    // test166/test167: the long name of a precomposed UTF-8 name is its MacRoman form,
    // and the decomposed spelling names the same file.
    for (pre, mac, dec) in [
        (
            &b"\xc3\xa9.rtf"[..],
            &b"\x8e.rtf"[..],
            &b"e\xcc\x81.rtf"[..],
        ),
        (&b"l\xc3\xa0"[..], &b"l\x88"[..], &b"la\xcc\x80"[..]),
    ] {
        let r = code(
            &mut c,
            command::CreateFile {
                hard_create: false,
                volume_id: vid,
                dir_id: ROOT,
                path: raw_utf8(pre),
            },
        );
        assert_eq!(r, ResultCode::NO_ERR);
        let f = match gfdp(
            &mut c,
            vid,
            ROOT,
            raw_utf8(pre),
            FileBitmap::PARENT_DIR_ID | FileBitmap::LONG_NAME | pdinfo,
            DirBitmap::empty(),
        )
        .unwrap()
        {
            FileDirParams::File(f) => f,
            d => panic!("{d:?}"),
        };
        assert_eq!(f.long_name.as_deref(), Some(mac));
        let r = code(
            &mut c,
            command::Delete {
                volume_id: vid,
                dir_id: ROOT,
                path: raw_utf8(dec),
            },
        );
        assert_eq!(r, ResultCode::NO_ERR);
    }

    // test185: renaming to a name ending in half a UTF-8 sequence is kFPParamErr.
    c.create_file(vid, ROOT, "t185.txt", false).unwrap();
    let r = code(
        &mut c,
        command::Rename {
            volume_id: vid,
            dir_id: ROOT,
            path: p("t185.txt"),
            new_name: raw_utf8(b"t185 donne\xcc"),
        },
    );
    assert_eq!(r, ResultCode::PARAM_ERR);
    let r = code(
        &mut c,
        command::MoveAndRename {
            volume_id: vid,
            src_dir_id: ROOT,
            dst_dir_id: ROOT,
            src_path: p("t185.txt"),
            dst_path: p(""),
            new_name: raw_utf8(b"t185 donne\xcc"),
        },
    );
    assert_eq!(r, ResultCode::PARAM_ERR);
    c.delete(vid, ROOT, "t185.txt").unwrap();

    // test233/test234: a short name with a decomposed accent has no mangled form.
    let d = c.create_dir(vid, ROOT, "t233 dire\u{301}").unwrap();
    for m in [format!("t23#{d:X}"), format!("t233 dire#{d:X}")] {
        assert_eq!(
            gfdp(
                &mut c,
                vid,
                ROOT,
                p(&m),
                FileBitmap::empty(),
                DirBitmap::NODE_ID
            )
            .unwrap_err(),
            ResultCode::OBJECT_NOT_FOUND,
            "{m}"
        );
    }
    c.delete(vid, ROOT, "t233 dire\u{301}").unwrap();
    c.create_file(vid, ROOT, "t234 file\u{301}", false).unwrap();
    let id = fid(&mut c, vid, ROOT, "t234 file\u{301}");
    for m in [format!("t23#{id:X}"), format!("t234 file#{id:X}")] {
        assert_eq!(
            file(&mut c, vid, ROOT, &m, pdinfo).unwrap_err(),
            ResultCode::OBJECT_NOT_FOUND,
            "{m}"
        );
    }
    c.delete(vid, ROOT, "t234 file\u{301}").unwrap();

    // test312/test337: a name that is not MacRoman has a mangled long name: prefix, '#',
    // the ID, the extension. Only the exact mangled form resolves.
    for (name, good, bad) in [
        (
            "t312-\u{5e4}\u{5ea}\u{5d9}\u{5d7}\u{5d4}.mp3",
            "t312-#{}.mp3",
            ["t312-#{}", "t3-#{}.mp3"],
        ),
        (
            "\u{5e4}\u{5ea}\u{5d9}\u{5d7}\u{5d4} test 337.mp3",
            "???#{}.mp3",
            ["???#{}", "t#{}.mp3"],
        ),
    ] {
        c.create_file(vid, ROOT, name, false).unwrap();
        let id = fid(&mut c, vid, ROOT, name);
        let m = |pat: &str| pat.replace("{}", &format!("{id:X}"));
        let f = file(&mut c, vid, ROOT, &m(good), pdinfo)
            .unwrap_or_else(|e| panic!("{}: {e:?}", m(good)));
        assert_eq!(
            f.utf8_name.map(|n| n.name),
            Some(bytes::Bytes::copy_from_slice(name.as_bytes()))
        );
        for b in bad {
            assert_eq!(
                file(&mut c, vid, ROOT, &m(b), pdinfo).unwrap_err(),
                ResultCode::OBJECT_NOT_FOUND,
                "{}",
                m(b)
            );
        }
        c.delete(vid, ROOT, name).unwrap();
    }
    // test313: the same for a folder without extension.
    let name = "t313-\u{5e4}\u{5ea}\u{5d9}\u{5d7}\u{5d4} dir";
    let d = c.create_dir(vid, ROOT, name).unwrap();
    assert_eq!(did_of(&mut c, vid, ROOT, &format!("t313-#{d:X}")), d);
    c.delete(vid, ROOT, name).unwrap();
    // test314: a real name that looks mangled is just a name.
    c.create_file(vid, ROOT, "test314#1", false).unwrap();
    file(
        &mut c,
        vid,
        ROOT,
        "test314#1",
        pdinfo | FileBitmap::LONG_NAME,
    )
    .unwrap();
    c.delete(vid, ROOT, "test314#1").unwrap();

    // test381/test382: on AFP 3 a MacRoman (type 2) path names the same object.
    c.create_file(vid, ROOT, "la\u{300}", false).unwrap();
    let r = code(
        &mut c,
        command::Delete {
            volume_id: vid,
            dir_id: ROOT,
            path: raw_long(b"l\x88"),
        },
    );
    assert_eq!(r, ResultCode::NO_ERR);
    assert_eq!(
        c.delete(vid, ROOT, "la\u{300}"),
        Err(ResultCode::OBJECT_NOT_FOUND)
    );

    // test383/test384/test386: type 2 renames; a new name holding a NUL (the test client
    // turns its "/" into one) is kFPParamErr.
    // kFPParamErr.
    c.create_file(vid, ROOT, "test 383 la\u{300}", false)
        .unwrap();
    let r = code(
        &mut c,
        command::Rename {
            volume_id: vid,
            dir_id: ROOT,
            path: raw_long(b"test 383 l\x88"),
            new_name: raw_long(b"test 383 new name l\x88"),
        },
    );
    assert_eq!(r, ResultCode::NO_ERR);
    c.delete(vid, ROOT, "test 383 new name la\u{300}").unwrap();
    c.create_file(vid, ROOT, "test 384 la\u{300}", false)
        .unwrap();
    let r = code(
        &mut c,
        command::Rename {
            volume_id: vid,
            dir_id: ROOT,
            path: raw_long(b"test 384 l\x88"),
            new_name: raw_long(b"test 384 \0new name l\x88"),
        },
    );
    assert_eq!(r, ResultCode::PARAM_ERR);
    c.delete(vid, ROOT, "test 384 la\u{300}").unwrap();
    c.create_file(vid, ROOT, "test 385 la\u{300}", false)
        .unwrap();
    let r = code(
        &mut c,
        command::CopyFile {
            src_volume_id: vid,
            src_dir_id: ROOT,
            dst_volume_id: vid,
            dst_dir_id: ROOT,
            src_path: raw_long(b"test 385 l\x88"),
            dst_path: raw_long(b""),
            new_name: raw_long(b"test 385 new name l\x88"),
        },
    );
    assert_eq!(r, ResultCode::NO_ERR);
    c.delete(vid, ROOT, "test 385 new name la\u{300}").unwrap();
    let r = code(
        &mut c,
        command::MoveAndRename {
            volume_id: vid,
            src_dir_id: ROOT,
            dst_dir_id: ROOT,
            src_path: raw_long(b"test 385 l\x88"),
            dst_path: raw_long(b""),
            new_name: raw_long(b"test 385 new name l\x88"),
        },
    );
    assert_eq!(r, ResultCode::NO_ERR);
    c.delete(vid, ROOT, "test 385 new name la\u{300}").unwrap();
}

#[test]
fn resolve_id_sequences() {
    let mut t = two_users();
    let (v1, v2) = (t.v1, t.v2);
    let c1 = &mut t.c1;
    let resolve = |c: &mut AfpClient, v: u16, id: u32, bm: FileBitmap| {
        code(
            c,
            command::ResolveId {
                volume_id: v,
                file_id: id,
                bitmap: bm,
            },
        )
    };
    let delete_id = |c: &mut AfpClient, v: u16, id: u32| {
        code(
            c,
            command::DeleteId {
                volume_id: v,
                file_id: id,
            },
        )
    };
    let create_id = |c: &mut AfpClient, v: u16, did: u32, name: &str| {
        code(
            c,
            command::CreateId {
                volume_id: v,
                dir_id: did,
                path: p(name),
            },
        )
    };
    // spectest FPResolveID.c test91.
    let dir1 = c1.create_dir(v1, ROOT, "t91 test ID dir").unwrap();
    c1.delete(v1, ROOT, "t91 test ID dir").unwrap();
    assert_eq!(delete_id(c1, v1, dir1), ResultCode::ID_NOT_FOUND);
    let d = c1.create_dir(v1, ROOT, "t91 test ID dir").unwrap();
    c1.create_file(v1, d, "t91 test ID file", false).unwrap();
    assert_eq!(
        resolve(c1, v1, dir1, FileBitmap::NODE_ID),
        ResultCode::ID_NOT_FOUND
    );
    let r = resolve(c1, v1, d, FileBitmap::NODE_ID);
    assert!(
        matches!(r, ResultCode::OBJECT_TYPE_ERR | ResultCode::ID_NOT_FOUND),
        "{r:?}"
    );
    let id = fid(c1, v1, d, "t91 test ID file");
    assert_eq!(delete_id(c1, v1, id), ResultCode::NO_ERR);
    let r = create_id(c1, v1, d, "t91 test ID file");
    assert!(
        matches!(r, ResultCode::NO_ERR | ResultCode::ID_EXISTS),
        "{r:?}"
    );
    assert_eq!(
        create_id(c1, v1, d, "t91 test ID file"),
        ResultCode::ID_EXISTS
    );
    c1.delete(v1, d, "t91 test ID file").unwrap();
    c1.delete(v1, ROOT, "t91 test ID dir").unwrap();

    // test311: a name that looks mangled keeps its ID through a rename (bitmap 0x693f).
    let bm = FileBitmap::from_bits_retain(0x693f);
    let name = "t311-\u{5e4}\u{5ea}\u{5d9}\u{5d7}\u{5d4}#113F.mp3";
    let name1 = "t311-\u{5e4}\u{5ea}\u{5d9}\u{5d7}\u{5d4}#11.mp3";
    c1.create_file(v1, ROOT, name, false).unwrap();
    let f = file(c1, v1, ROOT, name, bm).unwrap();
    let id = f.node_id.unwrap();
    assert_eq!(resolve(c1, v1, id, bm), ResultCode::NO_ERR);
    c1.move_and_rename(v1, ROOT, name, ROOT, "", name1).unwrap();
    assert_eq!(resolve(c1, v1, id, bm), ResultCode::NO_ERR);
    c1.delete(v1, ROOT, name1).unwrap();

    // test362: user 2 deletes the file and its folder: the ID is gone, also after the
    // volume is opened again.
    let d = c1.create_dir(v1, ROOT, "t362 Resolve ID dir").unwrap();
    c1.create_file(v1, d, "t362 Resolve ID file", false)
        .unwrap();
    let id = fid(c1, v1, d, "t362 Resolve ID file");
    assert_eq!(resolve(c1, v1, id, FileBitmap::NODE_ID), ResultCode::NO_ERR);
    t.c2.delete(v2, d, "t362 Resolve ID file").unwrap();
    t.c2.delete(v2, d, "").unwrap();
    let c1 = &mut t.c1;
    assert_eq!(
        resolve(c1, v1, id, FileBitmap::NODE_ID),
        ResultCode::ID_NOT_FOUND
    );
    c1.close_vol(v1).unwrap();
    let v1 = c1.open_volume("test1");
    assert_eq!(
        resolve(c1, v1, id, FileBitmap::NODE_ID),
        ResultCode::ID_NOT_FOUND
    );
}

#[test]
fn set_file_dir_parms_more() {
    let mut t = two_users();
    let (v1, v2) = (t.v1, t.v2);
    let dir = t.c1.create_dir(v1, ROOT, "t361 dir").unwrap();
    let name = "t361 file.pdf";
    t.c1.create_file(v1, dir, name, false).unwrap();
    // spectest FPSetFileDirParms.c test361: DeleteInhibit on a file without permissions
    // is still seen, and enforced, for the other user.
    let fp = FileParams {
        attributes: Some(FileAttributes::from_bits_retain(0x8000 | 0x0100)),
        ..FileParams::default()
    };
    assert_eq!(set_file(&mut t.c1, v1, dir, name, &fp), ResultCode::NO_ERR);
    let mut up = unix_privs_of_file(&mut t.c1, v1, dir, name);
    up.permissions = 0;
    assert_eq!(
        set_fd_privs(&mut t.c1, v1, dir, name, up),
        ResultCode::NO_ERR
    );
    let a = file(
        &mut t.c2,
        v2,
        dir,
        name,
        FileBitmap::ATTRIBUTES | FileBitmap::FINDER_INFO,
    )
    .unwrap()
    .attributes
    .unwrap();
    assert_eq!(a.bits() & 0x0100, 0x0100);
    assert_eq!(t.c2.delete(v2, dir, name), Err(ResultCode::OBJECT_LOCKED));
    up.permissions = 0o600;
    assert_eq!(
        set_fd_privs(&mut t.c1, v1, dir, name, up),
        ResultCode::NO_ERR
    );
    let fp = FileParams {
        attributes: Some(FileAttributes::from_bits_retain(0x0100)),
        ..FileParams::default()
    };
    assert_eq!(set_file(&mut t.c1, v1, dir, name, &fp), ResultCode::NO_ERR);

    // test400: an owner and group the user cannot give are ignored; the mode is set.
    let mut up = unix_privs_of_file(&mut t.c1, v1, dir, name);
    up.uid = 100_000;
    up.gid = 125_000;
    up.permissions = 0o660;
    assert_eq!(
        set_fd_privs(&mut t.c1, v1, dir, name, up),
        ResultCode::NO_ERR
    );
    let now = unix_privs_of_file(&mut t.c1, v1, dir, name);
    assert_eq!(now.permissions & 0o777, 0o660);
    t.c1.delete(v1, dir, name).unwrap();

    // test230: a read-only folder: a file in it is not deleted, but still opens for
    // writing; a file without owner write does not open for writing (data or resource).
    let c1 = &mut t.c1;
    c1.create_file(v1, dir, "t230 file", false).unwrap();
    let mut dp = catalog_common::dir(c1, v1, dir, "", DirBitmap::UNIX_PRIVS)
        .unwrap()
        .unix_privs
        .unwrap();
    assert_eq!(
        dp.permissions & libc::S_IFMT,
        libc::S_IFDIR,
        "a directory's mode"
    );
    dp.permissions &= !0o222;
    assert_eq!(set_fd_privs(c1, v1, dir, "", dp), ResultCode::NO_ERR);
    assert!(c1.delete(v1, dir, "t230 file").is_err());
    let f = c1.open_data_rw(v1, dir, "t230 file").unwrap();
    c1.close_fork(f).unwrap();
    let mut up = unix_privs_of_file(c1, v1, dir, "t230 file");
    up.permissions &= !0o200;
    assert_eq!(
        set_fd_privs(c1, v1, dir, "t230 file", up),
        ResultCode::NO_ERR
    );
    for rsrc in [false, true] {
        let r = c1.open_fork(
            v1,
            dir,
            "t230 file",
            rsrc,
            AccessMode::READ | AccessMode::WRITE,
            FileBitmap::empty(),
        );
        assert!(r.is_err(), "rsrc {rsrc}: {r:?}");
    }
    dp.permissions |= 0o200;
    assert_eq!(set_fd_privs(c1, v1, dir, "", dp), ResultCode::NO_ERR);
    c1.delete(v1, dir, "t230 file").unwrap();
    c1.delete(v1, dir, "").unwrap();
}

#[test]
fn set_dir_parms_sequences() {
    let mut t = two_users();
    let v1 = t.v1;
    // spectest FPCreateDir.c test26: a folder user 1 cannot enter still answers its
    // parameters, by name and by its own ID.
    let pdir = no_access_folder(&mut t, "test26 dir");
    let c1 = &mut t.c1;
    let bm = DirBitmap::LONG_NAME
        | DirBitmap::PARENT_DIR_ID
        | DirBitmap::NODE_ID
        | DirBitmap::ACCESS_RIGHTS;
    assert_eq!(
        dir(c1, v1, ROOT, "test26 dir", bm).unwrap().node_id,
        Some(pdir)
    );
    let en = c1.call(command::Enumerate {
        volume_id: v1,
        dir_id: ROOT,
        file_bitmap: FileBitmap::LONG_NAME | FileBitmap::NODE_ID,
        dir_bitmap: bm,
        req_count: 100,
        start_index: 1,
        max_reply_size: 8000,
        path: p(""),
    });
    assert_eq!(en.0, ResultCode::NO_ERR);
    let d = dir(c1, v1, pdir, "", bm).unwrap();
    assert_eq!((d.node_id, d.parent_id), (Some(pdir), Some(ROOT)));

    // FPSetDirParms.c test82: every settable bit echoed back, on a folder and the root.
    let all = DirBitmap::CREATE_DATE
        | DirBitmap::BACKUP_DATE
        | DirBitmap::MOD_DATE
        | DirBitmap::ACCESS_RIGHTS
        | DirBitmap::FINDER_INFO
        | DirBitmap::OWNER_ID
        | DirBitmap::GROUP_ID;
    let d = c1.create_dir(v1, ROOT, "t82 test dir").unwrap();
    for (did, path) in [(ROOT, "t82 test dir"), (ROOT, "")] {
        let mut cur = dir(c1, v1, did, path, all).unwrap();
        cur.access_rights = Some(AccessRights::from_bits_retain(
            cur.access_rights.unwrap().bits() & 0x00FF_FFFF,
        ));
        assert_eq!(
            set_dir(c1, v1, did, path, &cur),
            ResultCode::NO_ERR,
            "{path}"
        );
    }
    // test193: the rights as read, user byte included: netatalk 0 (a Mac kFPParamErr).
    let cur = dir(c1, v1, d, "", DirBitmap::ACCESS_RIGHTS).unwrap();
    let r = set_dir(c1, v1, d, "", &cur);
    assert!(
        matches!(r, ResultCode::NO_ERR | ResultCode::PARAM_ERR),
        "{r:?}"
    );
    // test84: DeleteInhibit on a folder: kFPObjectLocked until cleared.
    let ni = DirParams {
        attributes: Some(afp_proto::params::DirAttributes::from_bits_retain(0x8100)),
        ..DirParams::default()
    };
    assert_eq!(
        set_dir(c1, v1, ROOT, "t82 test dir", &ni),
        ResultCode::NO_ERR
    );
    assert_eq!(
        c1.delete(v1, ROOT, "t82 test dir"),
        Err(ResultCode::OBJECT_LOCKED)
    );
    let ni = DirParams {
        attributes: Some(afp_proto::params::DirAttributes::from_bits_retain(0x0100)),
        ..DirParams::default()
    };
    assert_eq!(
        set_dir(c1, v1, ROOT, "t82 test dir", &ni),
        ResultCode::NO_ERR
    );
    // test189: folder parameters on a file: kFPObjectTypeErr.
    c1.create_file(v1, d, "t189 file", false).unwrap();
    let cur = dir(c1, v1, d, "", all).unwrap();
    let cur = DirParams {
        access_rights: Some(AccessRights::from_bits_retain(
            cur.access_rights.unwrap().bits() & 0x00FF_FFFF,
        )),
        ..cur
    };
    assert_eq!(
        set_dir(c1, v1, d, "t189 file", &cur),
        ResultCode::OBJECT_TYPE_ERR
    );
    c1.delete(v1, d, "t189 file").unwrap();
    c1.delete(v1, ROOT, "t82 test dir").unwrap();

    // FPMoveAndRename.c test43: a folder moved with a new name into a sibling.
    let d = c1.create_dir(v1, ROOT, "t43 dir").unwrap();
    let d1 = c1.create_dir(v1, ROOT, "t43 subdir").unwrap();
    let d2 = c1.create_dir(v1, d1, "t43 subdir").unwrap();
    c1.move_and_rename(v1, d1, "t43 subdir", d, "", "t43 subdir")
        .unwrap();
    assert_eq!(did_of(c1, v1, d, "t43 subdir"), d2);
    assert_eq!(
        dir(c1, v1, d1, "t43 subdir", DirBitmap::NODE_ID).unwrap_err(),
        ResultCode::OBJECT_NOT_FOUND
    );
    c1.delete(v1, d2, "").unwrap();
    c1.delete(v1, d1, "").unwrap();
    c1.delete(v1, d, "").unwrap();
}

/// FPSetFileParms.c `afp_symlink`: a file holding the target path, typed slnk/rhap.
fn afp_symlink(c: &mut AfpClient, vid: u16, target: &str, name: &str) {
    c.create_file(vid, ROOT, name, false).unwrap();
    write_file(c, vid, ROOT, name, target.as_bytes());
    let mut fi = file(c, vid, ROOT, name, FileBitmap::FINDER_INFO)
        .unwrap()
        .finder_info
        .unwrap();
    fi.0[0..8].copy_from_slice(b"slnkrhap");
    let set = FileParams {
        finder_info: Some(fi),
        ..FileParams::default()
    };
    assert_eq!(set_file(c, vid, ROOT, name, &set), ResultCode::NO_ERR);
}

#[test]
fn set_file_parms_sequences() {
    let mut t = two_users();
    let (v1, v2) = (t.v1, t.v2);
    let c1 = &mut t.c1;
    // spectest FPSetFileParms.c test122: the parameters read while the resource fork is
    // open (RAlreadyOpen set) are written back: netatalk 0 (a Mac kFPParamErr); without
    // the attributes 0; bitmap 0xffff kFPBitmapErr; the fork stays exclusive.
    let name = "t122 setfilparam open fork";
    c1.create_file(v1, ROOT, name, false).unwrap();
    let fork = c1
        .open_fork(
            v1,
            ROOT,
            name,
            true,
            AccessMode::READ | AccessMode::WRITE | AccessMode::DENY_READ | AccessMode::DENY_WRITE,
            FileBitmap::empty(),
        )
        .unwrap()
        .fork;
    let bm = FileBitmap::ATTRIBUTES
        | FileBitmap::FINDER_INFO
        | FileBitmap::CREATE_DATE
        | FileBitmap::BACKUP_DATE
        | FileBitmap::MOD_DATE;
    let cur = file(c1, v1, ROOT, name, bm).unwrap();
    assert_ne!(cur.attributes.unwrap().bits() & 0x0010, 0, "RAlreadyOpen");
    let r = set_file(c1, v1, ROOT, name, &cur);
    assert!(
        matches!(r, ResultCode::NO_ERR | ResultCode::PARAM_ERR),
        "{r:?}"
    );
    let no_attr = FileParams {
        attributes: None,
        ..cur.clone()
    };
    assert_eq!(set_file(c1, v1, ROOT, name, &no_attr), ResultCode::NO_ERR);
    let (r, _) = c1.call(command::SetFileParms {
        volume_id: v1,
        dir_id: ROOT,
        bitmap: FileBitmap::from_bits_retain(0xffff),
        path: p(name),
        params: bytes::Bytes::from_static(&[0u8; 64]),
    });
    assert_eq!(r, ResultCode::BITMAP_ERR);
    assert!(
        c1.open_fork(v1, ROOT, name, true, AccessMode::READ, FileBitmap::empty())
            .is_err()
    );
    c1.close_fork(fork).unwrap();
    c1.delete(v1, ROOT, name).unwrap();

    // test428: symlinks made by user 1 in the shared root: user 1 deletes one, user 2
    // the other.
    c1.create_file(v1, ROOT, "t428 dest", false).unwrap();
    afp_symlink(c1, v1, "t428 dest", "t428 Symlink");
    afp_symlink(c1, v1, "t428 dest", "t428 Symlink2");
    c1.delete(v1, ROOT, "t428 Symlink").unwrap();
    t.c2.delete(v2, ROOT, "t428 Symlink2").unwrap();
    let c1 = &mut t.c1;
    c1.delete(v1, ROOT, "t428 dest").unwrap();

    // test429: the fork of a symlink reports the symlink's file ID.
    c1.create_file(v1, ROOT, "t429 dest", false).unwrap();
    afp_symlink(c1, v1, "t429 dest", "t429 Symlink");
    let id = fid(c1, v1, ROOT, "t429 Symlink");
    let f = c1
        .open_fork(
            v1,
            ROOT,
            "t429 Symlink",
            false,
            AccessMode::READ,
            FileBitmap::empty(),
        )
        .unwrap()
        .fork;
    let fp = c1.get_fork_parms(f, FileBitmap::NODE_ID).unwrap();
    assert_eq!(fp.node_id, Some(id));
    c1.close_fork(f).unwrap();
    c1.delete(v1, ROOT, "t429 dest").unwrap();
    c1.delete(v1, ROOT, "t429 Symlink").unwrap();
}

#[test]
fn utf8_search_by_id() {
    let (_srv, mut c, vid) = setup();
    // spectest Utf8.c test181: a folder with a decomposed name is enumerated by its ID
    // after the volume is closed and opened again.
    let d = c.create_dir(vid, ROOT, "t181 folder").unwrap();
    let d1 = c.create_dir(vid, d, "t181 donne\u{301}es").unwrap();
    c.create_file(vid, d1, "t181 foo", false).unwrap();
    c.close_vol(vid).unwrap();
    let vid = c.open_volume("test1");
    let r = c
        .request(command::Enumerate {
            volume_id: vid,
            dir_id: d1,
            file_bitmap: FileBitmap::LONG_NAME | FileBitmap::NODE_ID,
            dir_bitmap: DirBitmap::LONG_NAME | DirBitmap::NODE_ID,
            req_count: 10,
            start_index: 1,
            max_reply_size: 8000,
            path: p(""),
        })
        .unwrap();
    let command::Reply::Enumerate(r) = r else {
        panic!("{r:?}")
    };
    assert_eq!(r.entries.len(), 1);
    c.delete(vid, d1, "t181 foo").unwrap();
    c.delete(vid, d, "t181 donne\u{301}es").unwrap();
    c.delete(vid, ROOT, "t181 folder").unwrap();
}
