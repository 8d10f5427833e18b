//! FPEnumerate, FPEnumerateExt, FPEnumerateExt2 through the real server: paging over the
//! per-session snapshot, MaxReplySize, the end of the listing, errors (the facts of
//! netatalk's spectest FPEnumerate.c test218/test93/test40/test41), hidden names, and a
//! directory of 10,000 entries.

mod catalog_common;
mod common;

use std::collections::BTreeSet;

use afp_proto::ResultCode;
use afp_proto::command::{self, Reply};
use afp_proto::params::{DirBitmap, FileBitmap, FileDirParams};
use afp_proto::path::Path;
use catalog_common::*;
use common::AfpClient;

/// FPEnumerateExt2; the entries' UTF-8 names.
#[allow(clippy::too_many_arguments)]
fn enum2(
    c: &mut AfpClient,
    vid: u16,
    did: u32,
    path: Path,
    fb: FileBitmap,
    db: DirBitmap,
    req: u16,
    start: u32,
    max: u32,
) -> Result<Vec<FileDirParams>, ResultCode> {
    match c.request(command::EnumerateExt2 {
        volume_id: vid,
        dir_id: did,
        file_bitmap: fb,
        dir_bitmap: db,
        req_count: req,
        start_index: start,
        max_reply_size: max,
        path,
    })? {
        Reply::EnumerateExt2(r) => Ok(r.entries),
        r => panic!("unexpected {r:?}"),
    }
}

fn name_of(e: &FileDirParams) -> String {
    let n = match e {
        FileDirParams::File(f) => f.utf8_name.as_ref().map(|n| n.name.clone()),
        FileDirParams::Dir(d) => d.utf8_name.as_ref().map(|n| n.name.clone()),
    };
    String::from_utf8(n.expect("UTF-8 name asked for").to_vec()).unwrap()
}

#[test]
fn enumerate_arguments() {
    let (_srv, mut c, vid) = setup();
    let base = c.create_dir(vid, ROOT, "t218 test dir").unwrap();
    let b = FileBitmap::UTF8_NAME;
    let d = DirBitmap::UTF8_NAME;
    // An empty directory: kFPObjectNotFound.
    assert_eq!(
        enum2(&mut c, vid, base, p(""), b, d, 1, 1, 800).unwrap_err(),
        ResultCode::OBJECT_NOT_FOUND
    );
    c.create_file(vid, base, "t218 enumerate file", false)
        .unwrap();
    c.create_dir(vid, base, "t218 enumerate dir").unwrap();
    c.create_dir(vid, base, "t218 enumerate dir1").unwrap();
    // StartIndex 0 and a reply too small for one entry: kFPParamErr.
    assert_eq!(
        enum2(&mut c, vid, base, p(""), b, DirBitmap::empty(), 1, 0, 800).unwrap_err(),
        ResultCode::PARAM_ERR
    );
    assert_eq!(
        enum2(&mut c, vid, base, p(""), b, d, 1, 1, 2).unwrap_err(),
        ResultCode::PARAM_ERR
    );
    assert_eq!(
        enum2(&mut c, vid, base, p(""), b, d, 5, 1, 800)
            .unwrap()
            .len(),
        3
    );
    // ReqCount 0: nothing packed, kFPObjectNotFound.
    assert_eq!(
        enum2(&mut c, vid, base, p(""), b, d, 0, 1, 800).unwrap_err(),
        ResultCode::OBJECT_NOT_FOUND
    );
    assert_eq!(
        enum2(&mut c, vid, base, p(""), b, d, 5, 2, 800)
            .unwrap()
            .len(),
        2
    );
    for start in [4, 5] {
        assert_eq!(
            enum2(&mut c, vid, base, p(""), b, d, 1, start, 800).unwrap_err(),
            ResultCode::OBJECT_NOT_FOUND
        );
    }
    // test218: the third entry is found with one of the two single-kind bitmaps.
    let third = match enum2(&mut c, vid, base, p(""), b, DirBitmap::empty(), 1, 3, 800) {
        Ok(e) => e,
        Err(ResultCode::OBJECT_NOT_FOUND) => {
            enum2(&mut c, vid, base, p(""), FileBitmap::empty(), d, 1, 3, 800).unwrap()
        }
        Err(e) => panic!("{e:?}"),
    };
    assert_eq!(third.len(), 1);
    c.delete(vid, base, &name_of(&third[0])).unwrap();
    assert_eq!(
        enum2(&mut c, vid, base, p(""), b, d, 5, 2, 800)
            .unwrap()
            .len(),
        1
    );
    // Both bitmaps 0: kFPBitmapErr.
    assert_eq!(
        enum2(
            &mut c,
            vid,
            base,
            p(""),
            FileBitmap::empty(),
            DirBitmap::empty(),
            5,
            1,
            800
        )
        .unwrap_err(),
        ResultCode::BITMAP_ERR
    );
}

#[test]
fn enumerate_errors() {
    let (_srv, mut c, vid) = setup();
    let b = FileBitmap::LONG_NAME | FileBitmap::NODE_ID;
    let d = DirBitmap::LONG_NAME | DirBitmap::NODE_ID;
    c.create_file(vid, ROOT, "t93 file", false).unwrap();
    // A file: kFPObjectTypeErr; a missing directory: kFPDirNotFound; DID 0: kFPParamErr.
    assert_eq!(
        enum2(&mut c, vid, ROOT, p("t93 file"), b, d, 10, 1, 4000).unwrap_err(),
        ResultCode::OBJECT_TYPE_ERR
    );
    assert_eq!(
        enum2(&mut c, vid, ROOT, p("nope"), b, d, 10, 1, 4000).unwrap_err(),
        ResultCode::DIR_NOT_FOUND
    );
    assert_eq!(
        enum2(&mut c, vid, ROOT, p("nope/deeper"), b, d, 10, 1, 4000).unwrap_err(),
        ResultCode::DIR_NOT_FOUND
    );
    assert_eq!(
        enum2(&mut c, vid, 0, p(""), b, d, 10, 1, 4000).unwrap_err(),
        ResultCode::PARAM_ERR
    );
    // test40: a deleted directory by ID.
    let gone = c.create_dir(vid, ROOT, "t40 dir").unwrap();
    c.delete(vid, gone, "").unwrap();
    assert_eq!(
        enum2(&mut c, vid, gone, p(""), b, d, 10, 1, 4000).unwrap_err(),
        ResultCode::DIR_NOT_FOUND
    );
    // An unknown volume.
    assert_eq!(
        enum2(&mut c, vid + 1, ROOT, p(""), b, d, 10, 1, 4000).unwrap_err(),
        ResultCode::PARAM_ERR
    );
}

#[test]
fn all_three_forms_and_hidden_names() {
    let (srv, mut c, vid) = setup();
    let root = srv.volume_path("test1").to_path_buf();
    c.create_file(vid, ROOT, "visible", false).unwrap();
    c.create_dir(vid, ROOT, "folder").unwrap();
    // netatalk's own names are never listed; a macOS-written ._ file is.
    std::fs::create_dir(root.join(".AppleDB")).unwrap();
    std::fs::create_dir(root.join(".AppleDesktop")).unwrap();
    let rf = c
        .open_fork(
            vid,
            ROOT,
            "visible",
            true,
            command::AccessMode::READ | command::AccessMode::WRITE,
            FileBitmap::empty(),
        )
        .unwrap()
        .fork;
    c.write_all(rf, 0, b"x").unwrap();
    c.close_fork(rf).unwrap();
    assert!(root.join("._visible").exists());
    std::fs::write(
        root.join("._from a mac"),
        b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        ",
    )
    .unwrap();
    let fb = FileBitmap::LONG_NAME | FileBitmap::NODE_ID | FileBitmap::EXT_RSRC_FORK_LEN;
    let db = DirBitmap::LONG_NAME | DirBitmap::NODE_ID | DirBitmap::OFFSPRING_COUNT;
    let names = |entries: &[FileDirParams]| -> BTreeSet<Vec<u8>> {
        entries
            .iter()
            .map(|e| match e {
                FileDirParams::File(f) => f.long_name.clone().unwrap().to_vec(),
                FileDirParams::Dir(d) => d.long_name.clone().unwrap().to_vec(),
            })
            .collect()
    };
    let want: BTreeSet<Vec<u8>> = [&b"visible"[..], b"folder", b"._from a mac"]
        .iter()
        .map(|n| n.to_vec())
        .collect();
    // FPEnumerate (1-byte lengths).
    let (r, body) = c.call(command::Enumerate {
        volume_id: vid,
        dir_id: ROOT,
        file_bitmap: fb,
        dir_bitmap: db,
        req_count: 100,
        start_index: 1,
        max_reply_size: 4000,
        path: p(""),
    });
    assert_eq!(r, ResultCode::NO_ERR);
    let e = Reply::decode(
        command::CommandCode::ENUMERATE,
        &body,
        command::ReplyContext::new(v34()),
    )
    .unwrap();
    let Reply::Enumerate(e) = e else { panic!() };
    assert_eq!(names(&e.entries), want);
    // FPEnumerateExt.
    let e = match c
        .request(command::EnumerateExt {
            volume_id: vid,
            dir_id: ROOT,
            file_bitmap: fb,
            dir_bitmap: db,
            req_count: 100,
            start_index: 1,
            max_reply_size: 4000,
            path: p(""),
        })
        .unwrap()
    {
        Reply::EnumerateExt(e) => e,
        r => panic!("{r:?}"),
    };
    assert_eq!(names(&e.entries), want);
    for entry in &e.entries {
        if let FileDirParams::File(f) = entry
            && f.long_name.as_deref() == Some(&b"visible"[..])
        {
            assert_eq!(f.ext_rsrc_fork_len, Some(1));
        }
    }
    // FPEnumerateExt2, files only then directories only.
    let files = enum2(
        &mut c,
        vid,
        ROOT,
        p(""),
        fb,
        DirBitmap::empty(),
        100,
        1,
        4000,
    )
    .unwrap();
    assert_eq!(files.len(), 2);
    let dirs = enum2(
        &mut c,
        vid,
        ROOT,
        p(""),
        FileBitmap::empty(),
        db,
        100,
        1,
        4000,
    )
    .unwrap();
    assert_eq!(dirs.len(), 1);
    // Hidden names are refused as paths.
    assert_eq!(
        dir(&mut c, vid, ROOT, ".AppleDB", DirBitmap::NODE_ID).unwrap_err(),
        ResultCode::PARAM_ERR
    );
    assert_eq!(
        file(&mut c, vid, ROOT, "._visible", FileBitmap::NODE_ID).unwrap_err(),
        ResultCode::PARAM_ERR
    );
}

#[test]
fn ten_thousand_entries() {
    let (srv, mut c, vid) = setup();
    let d = c.create_dir(vid, ROOT, "big").unwrap();
    // Created on disk directly (as the volume owner), then listed through AFP: every entry
    // gets its CNID on the way.
    let big = srv.volume_path("test1").join("big");
    let (uid, gid) = (srv.user().uid(), srv.user().gid());
    for i in 0..10_000 {
        let path = big.join(format!("file {i:05} é.txt"));
        std::fs::write(&path, b"").unwrap();
        common::chown(&path, uid, gid);
    }
    let fb = FileBitmap::ATTRIBUTES
        | FileBitmap::PARENT_DIR_ID
        | FileBitmap::MOD_DATE
        | FileBitmap::FINDER_INFO
        | FileBitmap::NODE_ID
        | FileBitmap::EXT_DATA_FORK_LEN
        | FileBitmap::UTF8_NAME
        | FileBitmap::UNIX_PRIVS;
    let db = DirBitmap::NODE_ID | DirBitmap::UTF8_NAME;
    let mut seen = BTreeSet::new();
    let mut ids = BTreeSet::new();
    let mut start = 1u32;
    loop {
        match enum2(&mut c, vid, d, p(""), fb, db, 1000, start, 64 * 1024) {
            Ok(entries) => {
                start += entries.len() as u32;
                for e in entries {
                    let FileDirParams::File(f) = &e else {
                        panic!("a directory?")
                    };
                    assert_eq!(f.parent_id, Some(d));
                    assert!(ids.insert(f.node_id.unwrap()), "IDs are unique");
                    assert!(seen.insert(name_of(&e)), "no entry twice");
                }
            }
            Err(ResultCode::OBJECT_NOT_FOUND) => break,
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!(seen.len(), 10_000);
    // Names are decomposed on the wire.
    assert!(seen.contains("file 00042 e\u{301}.txt"));
    // A second pass gives the same IDs (the store's hot path).
    let again = enum2(
        &mut c,
        vid,
        d,
        p(""),
        FileBitmap::NODE_ID,
        DirBitmap::empty(),
        100,
        1,
        8000,
    )
    .unwrap();
    for e in again {
        let FileDirParams::File(f) = e else { panic!() };
        assert!(ids.contains(&f.node_id.unwrap()));
    }
    let count = dir(&mut c, vid, ROOT, "big", DirBitmap::OFFSPRING_COUNT).unwrap();
    assert_eq!(count.offspring_count, Some(10_000));
}

#[test]
fn paging_survives_changes() {
    let (srv, mut c, vid) = setup();
    let d = c.create_dir(vid, ROOT, "t533_enum_test").unwrap();
    for i in 1..=50 {
        c.create_file(vid, d, &format!("file_{i:02}.txt"), false)
            .unwrap();
    }
    let fb = FileBitmap::LONG_NAME | FileBitmap::NODE_ID;
    let db = DirBitmap::LONG_NAME | DirBitmap::NODE_ID;
    let first = enum2(&mut c, vid, d, p(""), fb, db, 20, 1, 8000).unwrap();
    assert_eq!(first.len(), 20);
    // Another session deletes, renames and creates meanwhile.
    let mut c2 = srv.login();
    let v2 = c2.open_volume("test1");
    for i in 15..=25 {
        let _ = c2.delete(v2, d, &format!("file_{i:02}.txt"));
    }
    for i in 30..=35 {
        let _ = c2.rename(
            v2,
            d,
            &format!("file_{i:02}.txt"),
            &format!("renamed_{i:02}.txt"),
        );
    }
    for i in 51..=60 {
        c2.create_file(v2, d, &format!("file_{i:02}.txt"), false)
            .unwrap();
    }
    let rest = enum2(&mut c, vid, d, p(""), fb, db, 40, 21, 8000);
    assert!(matches!(rest, Ok(_) | Err(ResultCode::OBJECT_NOT_FOUND)));
    let all = enum2(&mut c, vid, d, p(""), fb, db, 100, 1, 8000).unwrap();
    assert_eq!(all.len(), 50 - 11 + 10);
}
