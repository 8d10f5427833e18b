//! The rest of netatalk's newest `afp_spectest` list (spectest.c `Test_list` after the FP*
//! tests): the T2FP* sets, Dircache_attack and Encoding, as far as they run against a
//! server started with two users, two volumes and no local volume path (`-c`), so every
//! test that needs `Path` skips. The requests exactly as the suite sends them, with the
//! answers it expects. FPzzz skips too (its three tests skip when a second user is given).

mod catalog_common;
mod common;

use afp_proto::command::{self, AccessMode};
use afp_proto::params::{DirBitmap, FileBitmap, FinderInfo};
use afp_proto::{AfpDate, ResultCode};
use bytes::Bytes;
use catalog_common::*;
use common::TwoUsers as Two;
use unicode_normalization::UnicodeNormalization;

fn two_users() -> Two {
    common::two_users("the spectest T2/Dircache sequences")
}

const RW: AccessMode = AccessMode::READ.union(AccessMode::WRITE);

/// The directory ID and long name of a directory, as the Dircache tests read them
/// (`DIRPBIT_DID | DIRPBIT_LNAME`).
fn did_and_name(c: &mut common::AfpClient, vid: u16, did: u32, path: &str) -> (u32, Vec<u8>) {
    let d = dir(c, vid, did, path, DirBitmap::NODE_ID | DirBitmap::LONG_NAME)
        .unwrap_or_else(|e| panic!("FPGetFileDirParms {did}/{path}: {e:?}"));
    (d.node_id.unwrap(), d.long_name.unwrap().to_vec())
}

/// FPEnumerate (the old call, as the suite's `FPEnumerate` sends it): the result code.
fn enumerate(c: &mut common::AfpClient, vid: u16, did: u32) -> ResultCode {
    code(
        c,
        command::Enumerate {
            volume_id: vid,
            dir_id: did,
            file_bitmap: FileBitmap::NODE_ID,
            dir_bitmap: DirBitmap::PARENT_DIR_ID,
            req_count: 40,
            start_index: 1,
            max_reply_size: 8192,
            path: p(""),
        },
    )
}

/// T2_Dircache_attack.c test500–test506: the second user moves and renames directories the
/// first one created (and knows by ID); the first user's later lookups by ID, by name and
/// by enumeration must see the new place and name with unchanged CNIDs.
#[test]
fn dircache_attack() {
    let mut t = two_users();
    let v1 = t.v1;
    // Each test opens the volume on the second connection (already open: same ID, no
    // error) and closes it at its end.
    let open2 = |t: &mut Two| {
        let v2 = t.c2.open_volume("test1");
        assert_eq!(v2, t.v2);
        v2
    };

    // test500/test501/test503: move subdir1 into subdir2 under a new name (user 2); user 1
    // enumerates the new parent, then stats the moved dir by name and by its own ID.
    for n in [500, 501, 503] {
        let v2 = open2(&mut t);
        let dir_id = t.c1.create_dir(v1, ROOT, &format!("t{n} dir")).unwrap();
        let sub1 =
            t.c1.create_dir(v1, dir_id, &format!("t{n} subdir1"))
                .unwrap();
        let sub2 =
            t.c1.create_dir(v1, dir_id, &format!("t{n} subdir2"))
                .unwrap();
        let renamed = format!("t{n} renamedsubdir1");
        assert_eq!(
            t.c2.move_and_rename(v2, dir_id, &format!("t{n} subdir1"), sub2, "", &renamed),
            Ok(()),
            "test{n}"
        );
        if n == 500 {
            assert_eq!(enumerate(&mut t.c1, v1, sub2), ResultCode::NO_ERR);
        }
        let by_name = did_and_name(&mut t.c1, v1, sub2, &renamed);
        assert_eq!(by_name, (sub1, renamed.clone().into_bytes()), "test{n}");
        let by_id = did_and_name(&mut t.c1, v1, sub1, "");
        assert_eq!(by_id, (sub1, renamed.into_bytes()), "test{n}");
        assert_eq!(t.c2.close_vol(v2), Ok(()));
        assert_eq!(t.c1.delete(v1, sub1, ""), Ok(()));
        assert_eq!(t.c1.delete(v1, sub2, ""), Ok(()));
        assert_eq!(t.c1.delete(v1, dir_id, ""), Ok(()));
    }

    // test502: the moved dir holds a file; user 1 enumerates it by its old ID.
    let v2 = open2(&mut t);
    let dir_id = t.c1.create_dir(v1, ROOT, "t502 dir").unwrap();
    let sub1 = t.c1.create_dir(v1, dir_id, "t502 subdir1").unwrap();
    t.c1.create_file(v1, sub1, "file1", false).unwrap();
    let sub2 = t.c1.create_dir(v1, dir_id, "t502 subdir2").unwrap();
    assert_eq!(
        t.c2.move_and_rename(v2, dir_id, "t502 subdir1", sub2, "", "t502 renamedsubdir1"),
        Ok(())
    );
    assert_eq!(enumerate(&mut t.c1, v1, sub1), ResultCode::NO_ERR);
    assert_eq!(
        did_and_name(&mut t.c1, v1, sub1, ""),
        (sub1, b"t502 renamedsubdir1".to_vec())
    );
    assert_eq!(t.c2.close_vol(v2), Ok(()));
    assert_eq!(t.c1.delete(v1, sub1, "file1"), Ok(()));
    for d in [sub1, sub2, dir_id] {
        assert_eq!(t.c1.delete(v1, d, ""), Ok(()));
    }

    // test504: rename the top of dir/subdir1/subdir2/file1; the file keeps its CNID when
    // looked up through subdir2's ID.
    let v2 = open2(&mut t);
    let dir_id = t.c1.create_dir(v1, ROOT, "t504 dir").unwrap();
    let sub1 = t.c1.create_dir(v1, dir_id, "t504 subdir1").unwrap();
    let sub2 = t.c1.create_dir(v1, sub1, "t504 subdir2").unwrap();
    t.c1.create_file(v1, sub2, "file1", false).unwrap();
    let file_id = fid(&mut t.c1, v1, sub2, "file1");
    assert_eq!(
        t.c2.move_and_rename(
            v2,
            dir_id,
            "t504 subdir1",
            dir_id,
            "",
            "t504 renamedsubdir1"
        ),
        Ok(())
    );
    assert_eq!(fid(&mut t.c1, v1, sub2, "file1"), file_id);
    // The suite asks for the file with an empty file bitmap (only directory bits): fine.
    let r = gfdp(
        &mut t.c1,
        v1,
        sub2,
        p("file1"),
        FileBitmap::empty(),
        DirBitmap::NODE_ID | DirBitmap::LONG_NAME,
    );
    assert!(r.is_ok(), "test504: {r:?}");
    assert_eq!(t.c2.close_vol(v2), Ok(()));
    assert_eq!(t.c1.delete(v1, sub2, "file1"), Ok(()));
    for d in [sub2, sub1, dir_id] {
        assert_eq!(t.c1.delete(v1, d, ""), Ok(()));
    }

    // test505/test506: rename the parent of subdir2 (and in 506 create a new dir under the
    // old name); subdir2 by its ID keeps its ID and name.
    for n in [505, 506] {
        let v2 = open2(&mut t);
        let dir_id = t.c1.create_dir(v1, ROOT, &format!("t{n} dir")).unwrap();
        let sub1 =
            t.c1.create_dir(v1, dir_id, &format!("t{n} subdir1"))
                .unwrap();
        let sub2 = t.c1.create_dir(v1, sub1, &format!("t{n} subdir2")).unwrap();
        assert_eq!(
            t.c2.move_and_rename(
                v2,
                dir_id,
                &format!("t{n} subdir1"),
                dir_id,
                "",
                &format!("t{n} renamedsubdir1")
            ),
            Ok(()),
            "test{n}"
        );
        let poison = (n == 506).then(|| {
            t.c2.create_dir(v2, dir_id, &format!("t{n} subdir1"))
                .expect("test506 recreates the old name")
        });
        assert_eq!(
            did_and_name(&mut t.c1, v1, sub2, ""),
            (sub2, format!("t{n} subdir2").into_bytes()),
            "test{n}"
        );
        assert_eq!(t.c2.close_vol(v2), Ok(()));
        assert_eq!(t.c1.delete(v1, sub2, ""), Ok(()));
        assert_eq!(t.c1.delete(v1, sub1, ""), Ok(()));
        if let Some(d) = poison {
            assert_eq!(t.c1.delete(v1, d, ""), Ok(()));
        }
        assert_eq!(t.c1.delete(v1, dir_id, ""), Ok(()));
    }
}

/// FPSetForkParms with a 32-bit resource fork length, as the suite's `FPSetForkParam`.
fn set_rsrc_len32(c: &mut common::AfpClient, fork: u16, len: u32) -> ResultCode {
    code(
        c,
        command::SetForkParms {
            fork,
            bitmap: FileBitmap::RSRC_FORK_LEN,
            params: Bytes::copy_from_slice(&len.to_be_bytes()),
        },
    )
}

/// T2_FPSetForkParms.c test9: a decomposed name ("ta\u{308}st9"), its resource fork opened
/// read-write and resized to 10 then 0 bytes.
#[test]
fn t2_set_fork_parms_decomposed_name() {
    let (_srv, mut c, v) = setup();
    let name = "ta\u{308}st9";
    c.create_file(v, ROOT, name, false).unwrap();
    let f = c
        .open_fork(v, ROOT, name, true, RW, FileBitmap::empty())
        .unwrap()
        .fork;
    assert_eq!(set_rsrc_len32(&mut c, f, 10), ResultCode::NO_ERR);
    assert_eq!(set_rsrc_len32(&mut c, f, 0), ResultCode::NO_ERR);
    assert_eq!(c.close_fork(f), Ok(()));
    assert_eq!(c.delete(v, ROOT, name), Ok(()));
}

/// T2_FPOpenFork.c test544: the resource fork length seen by FPGetFileDirParms after
/// writes, close and reopen (500, then 800 bytes), and a full 800-byte read.
#[test]
fn t2_open_fork_rsrc_len_round_trip() {
    let (_srv, mut c, v) = setup();
    let name = "t535 rfork length roundtrip";
    let data: Vec<u8> = (0..800u32).map(|i| (i % 251) as u8).collect();
    c.create_file(v, ROOT, name, false).unwrap();
    let rflen = |c: &mut common::AfpClient| {
        file(c, v, ROOT, name, FileBitmap::RSRC_FORK_LEN)
            .unwrap()
            .rsrc_fork_len
            .unwrap()
    };
    let f = c
        .open_fork(v, ROOT, name, true, RW, FileBitmap::empty())
        .unwrap()
        .fork;
    // The suite's FPWrite and FPRead are the 32-bit calls.
    assert_eq!(c.write(f, 0, data[..500].to_vec()), Ok(500));
    assert_eq!(c.close_fork(f), Ok(()));
    assert_eq!(rflen(&mut c), 500);
    let f = c
        .open_fork(v, ROOT, name, true, RW, FileBitmap::empty())
        .unwrap()
        .fork;
    assert_eq!(c.write(f, 500, data[500..].to_vec()), Ok(800));
    assert_eq!(c.close_fork(f), Ok(()));
    assert_eq!(rflen(&mut c), 800);
    let f = c
        .open_fork(v, ROOT, name, true, AccessMode::READ, FileBitmap::empty())
        .unwrap()
        .fork;
    let (rc, got) = c.read(f, 0, 800);
    assert_eq!((rc, &got[..]), (ResultCode::NO_ERR, &data[..]));
    assert_eq!(c.close_fork(f), Ok(()));
    assert_eq!(c.delete(v, ROOT, name), Ok(()));
}

fn finder_info(c: &mut common::AfpClient, v: u16, name: &str) -> [u8; 32] {
    file(c, v, ROOT, name, FileBitmap::FINDER_INFO)
        .unwrap()
        .finder_info
        .unwrap()
        .0
}

fn set_finder_info(c: &mut common::AfpClient, v: u16, name: &str, fi: [u8; 32]) -> ResultCode {
    let fp = afp_proto::params::FileParams {
        finder_info: Some(FinderInfo(fi)),
        ..Default::default()
    };
    set_file(c, v, ROOT, name, &fp)
}

/// T2_FPSetFileParms.c test543 and test538: all 32 bytes of a file's Finder info round-trip
/// (type, creator, flags, location and the extended bytes), and the second user sees each
/// update at once.
#[test]
fn t2_set_file_parms_finder_info_round_trip() {
    let mut t = two_users();
    let (v1, v2) = (t.v1, t.v2);

    let name = "t533 FinderInfo roundtrip";
    t.c1.create_file(v1, ROOT, name, false).unwrap();
    let mut fi = [0u8; 32];
    fi[..8].copy_from_slice(b"TESTCRE8");
    fi[8] = 0x04;
    fi[11] = 0x64;
    fi[13] = 0xC8;
    fi[18..].fill(0xAA);
    assert_eq!(set_finder_info(&mut t.c1, v1, name, fi), ResultCode::NO_ERR);
    assert_eq!(finder_info(&mut t.c1, v1, name), fi, "test543");
    let mut fi = [0u8; 32];
    fi[..8].copy_from_slice(b"PDF CARO");
    assert_eq!(set_finder_info(&mut t.c1, v1, name, fi), ResultCode::NO_ERR);
    assert_eq!(finder_info(&mut t.c1, v1, name), fi, "test543 overwrite");
    assert_eq!(t.c1.delete(v1, ROOT, name), Ok(()));

    let name = "t538 multiclient finfo";
    t.c1.create_file(v1, ROOT, name, false).unwrap();
    for (tc, flags) in [(b"TSTACRE1", 0x04), (b"TSTBCRE2", 0x08)] {
        let mut fi = [0u8; 32];
        fi[..8].copy_from_slice(tc);
        fi[8] = flags;
        assert_eq!(set_finder_info(&mut t.c1, v1, name, fi), ResultCode::NO_ERR);
        assert_eq!(finder_info(&mut t.c2, v2, name), fi, "test538");
    }
    assert_eq!(t.c1.delete(v1, ROOT, name), Ok(()));
}

/// T2_FPSetFileParms.c test534: creation, backup and modification dates set together read
/// back unchanged, including a modification date before 1970 (0x99AABBCC).
#[test]
fn t2_set_file_parms_dates_round_trip() {
    let (_srv, mut c, v) = setup();
    let name = "t534 date roundtrip";
    c.create_file(v, ROOT, name, false).unwrap();
    let bitmap = FileBitmap::CREATE_DATE | FileBitmap::BACKUP_DATE | FileBitmap::MOD_DATE;
    for (cd, bd, md) in [
        (0x1A2B_3C4D_u32, 0x2B3C_4D5E_u32, 0x3C4D_5E6F_u32),
        (0x5566_7788, 0x1122_3344, 0x99AA_BBCC),
    ] {
        let fp = afp_proto::params::FileParams {
            create_date: Some(AfpDate(cd as i32)),
            backup_date: Some(AfpDate(bd as i32)),
            mod_date: Some(AfpDate(md as i32)),
            ..Default::default()
        };
        assert_eq!(set_file(&mut c, v, ROOT, name, &fp), ResultCode::NO_ERR);
        let got = file(&mut c, v, ROOT, name, bitmap).unwrap();
        assert_eq!(
            (got.create_date, got.backup_date, got.mod_date),
            (fp.create_date, fp.backup_date, fp.mod_date),
            "test534"
        );
    }
    assert_eq!(c.delete(v, ROOT, name), Ok(()));
}

/// encoding_test.c test_western: 24 file names covering the printable Latin-1 range (with
/// '!', '/' and ':' replaced by '?'), each created, read back as its UTF-8 name
/// (decomposed, as netatalk sends it) and deleted.
#[test]
fn encoding_western() {
    let (_srv, mut c, v) = setup();
    let names = [
        " ?\"#$%&'",
        "()*+,-.?",
        "01234567",
        "89?;<=>?",
        "@ABCDEFG",
        "HIJKLMNO",
        "PQRSTUVW",
        "XYZ[\\]^_",
        "`abcdefg",
        "hijklmno",
        "pqrstuvw",
        "xyz{|}~¡",
        "¢£¤¥¦§¨©",
        "ª«¬®¯°±",
        "²³´µ¶·¸¹",
        "º»¼½¾¿ÀÁ",
        "ÂÃÄÅÆÇÈÉ",
        "ÊËÌÍÎÏÐÑ",
        "ÒÓÔÕÖ×ØÙ",
        "ÚÛÜÝÞßàá",
        "âãäåæçèé",
        "êëìíîïðñ",
        "òóôõö÷øù",
        "úûüýþÿ",
    ];
    for name in names {
        // The suite's source may carry either form; both must come back decomposed (for
        // Latin-1 letters Apple's decomposition is plain NFD).
        let nfd: String = name.nfd().collect();
        for sent in [name.to_string(), nfd.clone()] {
            assert_eq!(c.create_file(v, ROOT, &sent, false), Ok(()), "{sent:?}");
            let got = file(&mut c, v, ROOT, &sent, FileBitmap::UTF8_NAME)
                .unwrap_or_else(|e| panic!("{sent:?}: {e:?}"))
                .utf8_name
                .unwrap();
            assert_eq!(String::from_utf8_lossy(&got.name), nfd, "{sent:?}");
            assert_eq!(c.delete(v, ROOT, &sent), Ok(()), "{sent:?}");
        }
    }
}

/// T2_FPResolveID.c test418: swapping two file names with three FPRename calls keeps each
/// file's ID with its contents, and both IDs still resolve.
#[test]
fn t2_resolve_id_names_swapped() {
    let (_srv, mut c, v) = setup();
    let d = c.create_dir(v, ROOT, "t418_dir").unwrap();
    c.create_file(v, d, "t418_file1", false).unwrap();
    let f1 = fid(&mut c, v, d, "t418_file1");
    c.create_file(v, d, "t418_file2", false).unwrap();
    let f2 = fid(&mut c, v, d, "t418_file2");
    assert_eq!(c.rename(v, d, "t418_file1", "t418_temp"), Ok(()));
    assert_eq!(c.rename(v, d, "t418_file2", "t418_file1"), Ok(()));
    assert_eq!(c.rename(v, d, "t418_temp", "t418_file2"), Ok(()));
    assert_eq!(fid(&mut c, v, d, "t418_file1"), f2);
    assert_eq!(fid(&mut c, v, d, "t418_file2"), f1);
    for id in [f1, f2] {
        let rc = code(
            &mut c,
            command::ResolveId {
                volume_id: v,
                file_id: id,
                bitmap: FileBitmap::NODE_ID,
            },
        );
        assert_eq!(rc, ResultCode::NO_ERR);
    }
    for n in ["t418_file1", "t418_file2", ""] {
        assert_eq!(c.delete(v, d, n), Ok(()));
    }
}

/// Accepts either answer of a `check_test`/`not_valid` pair in rotest.c.
fn one_of(rc: ResultCode, ok: &[ResultCode], what: &str) {
    assert!(ok.contains(&rc), "{what}: {rc:?}, want one of {ok:?}");
}

/// rotest.c (`Readonly`): every modifying call on a read-only volume (`read only = yes`)
/// answers kFPVolLocked (or, where the suite allows it, kFPAccessDenied / the ID errors),
/// while reads and read-only fork opens work, even of a file without a resource fork.
/// Whether the suite runs it in the assumed setup is unknown (see the report); this is
/// what it expects when it does.
#[test]
fn readonly_volume() {
    use afp_proto::params::FileDirParams;
    let srv = common::TestServer::builder()
        .volume("ro")
        .volume_option("ro", "read only", "yes")
        .start();
    let root = srv.volume_path("ro");
    std::fs::create_dir(root.join("read only test dir")).unwrap();
    std::fs::write(root.join("file1"), b"some data").unwrap();
    std::fs::write(root.join("file2"), b"more").unwrap();
    let mut c = srv.login();
    let v = c.open_volume("ro");
    let (vl, acc) = (ResultCode::VOL_LOCKED, ResultCode::ACCESS_DENIED);
    let d = "read only test dir";

    assert_eq!(c.create_file(v, ROOT, "read only file", false), Err(vl));
    let bm = FileBitmap::FINDER_INFO
        | FileBitmap::CREATE_DATE
        | FileBitmap::BACKUP_DATE
        | FileBitmap::MOD_DATE;
    let fp = file(&mut c, v, ROOT, "file1", bm).unwrap();
    one_of(
        set_file(&mut c, v, ROOT, "file1", &fp),
        &[vl, acc],
        "FPSetFileParms",
    );
    let copy = command::CopyFile {
        src_volume_id: v,
        src_dir_id: ROOT,
        dst_volume_id: v,
        dst_dir_id: ROOT,
        src_path: p("file1"),
        dst_path: p(""),
        new_name: p("read only file"),
    };
    assert_eq!(code(&mut c, copy), vl, "FPCopyFile");
    let rc = code(
        &mut c,
        command::CreateId {
            volume_id: v,
            dir_id: ROOT,
            path: p("file1"),
        },
    );
    one_of(rc, &[vl, ResultCode::ID_EXISTS], "FPCreateID");
    let id = fid(&mut c, v, ROOT, "file1");
    let rc = code(
        &mut c,
        command::DeleteId {
            volume_id: v,
            file_id: id,
        },
    );
    one_of(rc, &[vl, ResultCode::ID_NOT_FOUND], "FPDeleteID");
    let xchg = command::ExchangeFiles {
        volume_id: v,
        src_dir_id: ROOT,
        dst_dir_id: ROOT,
        src_path: p("file1"),
        dst_path: p("file2"),
    };
    one_of(code(&mut c, xchg), &[vl, acc], "FPExchangeFiles");

    let rc = code(
        &mut c,
        command::SetFileDirParms::new(v, ROOT, p("file1"), &FileDirParams::File(fp)),
    );
    one_of(rc, &[vl, acc], "FPSetFileDirParms file");
    let dbm = DirBitmap::FINDER_INFO
        | DirBitmap::CREATE_DATE
        | DirBitmap::BACKUP_DATE
        | DirBitmap::MOD_DATE;
    let dp = dir(&mut c, v, ROOT, d, dbm).unwrap();
    let rc = code(
        &mut c,
        command::SetFileDirParms::new(v, ROOT, p(d), &FileDirParams::Dir(dp.clone())),
    );
    one_of(rc, &[vl, acc], "FPSetFileDirParms dir");
    assert_eq!(c.rename(v, ROOT, "file1", "read only file"), Err(vl));
    assert_eq!(c.rename(v, ROOT, d, "read only dir"), Err(vl));
    assert_eq!(c.delete(v, ROOT, d), Err(vl));
    assert_eq!(c.delete(v, ROOT, "file1"), Err(vl));
    assert_eq!(
        c.move_and_rename(v, ROOT, "file1", ROOT, "", "read only file"),
        Err(vl)
    );
    assert_eq!(
        c.move_and_rename(v, ROOT, d, ROOT, "", "read only dir"),
        Err(vl)
    );
    one_of(
        set_dir(&mut c, v, ROOT, d, &dp),
        &[vl, acc],
        "FPSetDirParms",
    );
    assert!(c.create_dir(v, ROOT, "read only dir").is_err());

    // fork.c: read-only opens work, write opens fail, resizing a read-only fork is refused.
    for rsrc in [false, true] {
        let f = c
            .open_fork(
                v,
                ROOT,
                "file1",
                rsrc,
                AccessMode::READ,
                FileBitmap::empty(),
            )
            .unwrap_or_else(|e| panic!("open RD (rsrc {rsrc}): {e:?}"))
            .fork;
        assert!(
            c.open_fork(
                v,
                ROOT,
                "file1",
                rsrc,
                AccessMode::WRITE,
                FileBitmap::empty()
            )
            .is_err()
        );
        let len_bit = if rsrc {
            FileBitmap::RSRC_FORK_LEN
        } else {
            FileBitmap::DATA_FORK_LEN
        };
        let rc = code(
            &mut c,
            command::SetForkParms {
                fork: f,
                bitmap: len_bit,
                params: Bytes::copy_from_slice(&(if rsrc { 100u32 } else { 0 }).to_be_bytes()),
            },
        );
        one_of(rc, &[vl, acc], "FPSetForkParms");
        if !rsrc {
            assert_eq!(c.get_fork_parms(f, len_bit).unwrap().data_fork_len, Some(9));
            assert_eq!(c.read_ext(f, 0, 9).1, &b"some data"[..]);
        }
        assert_eq!(c.close_fork(f), Ok(()));
        assert!(
            c.open_fork(
                v,
                ROOT,
                "file1",
                rsrc,
                AccessMode::WRITE,
                FileBitmap::empty()
            )
            .is_err()
        );
    }
}
