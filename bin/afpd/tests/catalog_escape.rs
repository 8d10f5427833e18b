//! Paths and names through the real server: escapes refused ("..", '/', symlinks pointing
//! outside the volume, DID 1 tricks), netatalk's own names hidden, and names with accents,
//! '/', ':' and leading dots round-tripping as netatalk stores them.

mod catalog_common;
mod common;

use std::collections::BTreeSet;

use afp_proto::ResultCode;
use afp_proto::command::{self, Reply};
use afp_proto::params::{DirBitmap, FileAttributes, FileBitmap, FileDirParams};
use afp_proto::path::Path;
use bytes::Bytes;
use catalog_common::*;
use common::{AfpClient, TestServer};

fn listing(c: &mut AfpClient, vid: u16, did: u32) -> BTreeSet<String> {
    let r = c
        .request(command::EnumerateExt2 {
            volume_id: vid,
            dir_id: did,
            file_bitmap: FileBitmap::UTF8_NAME,
            dir_bitmap: DirBitmap::UTF8_NAME,
            req_count: 1000,
            start_index: 1,
            max_reply_size: 64 * 1024,
            path: p(""),
        })
        .unwrap();
    let Reply::EnumerateExt2(r) = r else { panic!() };
    r.entries
        .iter()
        .map(|e| {
            let n = match e {
                FileDirParams::File(f) => f.utf8_name.clone().unwrap().name,
                FileDirParams::Dir(d) => d.utf8_name.clone().unwrap().name,
            };
            String::from_utf8(n.to_vec()).unwrap()
        })
        .collect()
}

#[test]
fn escapes_are_refused() {
    let (srv, mut c, vid) = setup();
    let vol = srv.volume_path("test1").to_path_buf();
    let outside = srv.dir().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret"), b"top secret").unwrap();
    std::os::unix::fs::symlink(&outside, vol.join("link out")).unwrap();
    std::os::unix::fs::symlink("../../outside/secret", vol.join("file link")).unwrap();
    // ".." and "." are no names.
    for bad in ["..", "."] {
        assert_eq!(
            c.create_file(vid, ROOT, bad, false),
            Err(ResultCode::PARAM_ERR),
            "{bad}"
        );
        assert_eq!(
            file(&mut c, vid, ROOT, bad, FileBitmap::NODE_ID).unwrap_err(),
            ResultCode::PARAM_ERR
        );
    }
    // A symlink is a file of type slnk: never a directory to walk through.
    let f = file(
        &mut c,
        vid,
        ROOT,
        "link out",
        FileBitmap::FINDER_INFO | FileBitmap::EXT_DATA_FORK_LEN,
    )
    .unwrap();
    assert_eq!(&f.finder_info.unwrap().0[0..8], b"slnkrhap");
    assert_eq!(
        file(&mut c, vid, ROOT, "link out/secret", FileBitmap::NODE_ID).unwrap_err(),
        ResultCode::PARAM_ERR
    );
    assert_eq!(
        code(
            &mut c,
            command::CreateFile {
                hard_create: false,
                volume_id: vid,
                dir_id: ROOT,
                path: p("link out/new"),
            }
        ),
        ResultCode::PARAM_ERR
    );
    let e = c.call(command::EnumerateExt2 {
        volume_id: vid,
        dir_id: ROOT,
        file_bitmap: FileBitmap::UTF8_NAME,
        dir_bitmap: DirBitmap::UTF8_NAME,
        req_count: 10,
        start_index: 1,
        max_reply_size: 4000,
        path: p("link out"),
    });
    assert_eq!(e.0, ResultCode::OBJECT_TYPE_ERR);
    // Renaming or moving through the link does not reach outside either.
    assert_eq!(
        c.move_and_rename(vid, ROOT, "file link", ROOT, "link out", ""),
        Err(ResultCode::OBJECT_TYPE_ERR)
    );
    // Deleting the symlink removes the link, never its target.
    c.delete(vid, ROOT, "file link").unwrap();
    assert_eq!(
        std::fs::read(outside.join("secret")).unwrap(),
        b"top secret"
    );
    // DID 1: only the volume name leads anywhere; climbing above it is refused.
    assert_eq!(
        dir(&mut c, vid, 1, "other volume", DirBitmap::NODE_ID).unwrap_err(),
        ResultCode::OBJECT_NOT_FOUND
    );
    assert_eq!(
        gfdp(
            &mut c,
            vid,
            ROOT,
            Path::utf8(Bytes::from_static(b"\0\0\0")),
            FileBitmap::empty(),
            DirBitmap::NODE_ID
        )
        .unwrap_err(),
        ResultCode::PARAM_ERR
    );
    assert_eq!(
        gfdp(
            &mut c,
            vid,
            ROOT,
            Path::utf8(Bytes::from_static(b"\0\0")),
            FileBitmap::empty(),
            DirBitmap::NODE_ID
        )
        .unwrap_err(),
        ResultCode::OBJECT_NOT_FOUND,
        "the root's parent (DID 1) is no directory"
    );
    assert_eq!(
        c.create_file(vid, 1, "test1", false),
        Err(ResultCode::OBJECT_TYPE_ERR),
        "DID 1 + the volume name is the root directory"
    );
    // A file ID used as a directory ID.
    c.create_file(vid, ROOT, "plain", false).unwrap();
    let id = fid(&mut c, vid, ROOT, "plain");
    assert_eq!(
        c.create_file(vid, id, "x", false),
        Err(ResultCode::OBJECT_TYPE_ERR)
    );
    // Nothing was created outside.
    let outside_names: Vec<_> = std::fs::read_dir(&outside).unwrap().collect();
    assert_eq!(outside_names.len(), 1);
}

#[test]
fn netatalk_names_are_hidden() {
    let (srv, mut c, vid) = setup();
    let vol = srv.volume_path("test1").to_path_buf();
    for d in [".AppleDB", ".AppleDesktop", ".AppleDouble"] {
        std::fs::create_dir(vol.join(d)).unwrap();
    }
    c.create_file(vid, ROOT, "with fork", false).unwrap();
    let rf = c
        .open_fork(
            vid,
            ROOT,
            "with fork",
            true,
            command::AccessMode::READ | command::AccessMode::WRITE,
            FileBitmap::empty(),
        )
        .unwrap()
        .fork;
    c.write_all(rf, 0, b"r").unwrap();
    c.close_fork(rf).unwrap();
    let names = listing(&mut c, vid, ROOT);
    assert_eq!(names, ["with fork".to_owned()].into_iter().collect());
    for d in [
        ".AppleDB",
        ".AppleDesktop",
        ".AppleDouble",
        "._with fork",
        ".appledb",
    ] {
        assert_eq!(
            c.create_dir(vid, ROOT, d),
            Err(ResultCode::PARAM_ERR),
            "{d}"
        );
    }
}

#[test]
fn names_round_trip() {
    let (srv, mut c, vid) = setup();
    let vol = srv.volume_path("test1").to_path_buf();
    // Decomposed on the wire, precomposed on disk.
    let cafe_nfd = "cafe\u{301}";
    c.create_file(vid, ROOT, cafe_nfd, false).unwrap();
    assert!(vol.join("caf\u{e9}").exists());
    // A precomposed request finds it too.
    assert!(file(&mut c, vid, ROOT, "caf\u{e9}", FileBitmap::NODE_ID).is_ok());
    // '/' in a Mac name is ':' on disk, and back.
    let slash = command::CreateFile {
        hard_create: false,
        volume_id: vid,
        dir_id: ROOT,
        path: lit("1/2 report"),
    };
    assert_eq!(code(&mut c, slash), ResultCode::NO_ERR);
    assert!(vol.join("1:2 report").exists());
    // A ':' made on disk shows as '/'.
    std::fs::write(vol.join("a:b"), b"").unwrap();
    common::chown(&vol.join("a:b"), srv.user().uid(), srv.user().gid());
    // Leading dots are stored as is and visible (no "invisible dots").
    c.create_file(vid, ROOT, ".profile", false).unwrap();
    assert!(vol.join(".profile").exists());
    let f = file(&mut c, vid, ROOT, ".profile", FileBitmap::ATTRIBUTES).unwrap();
    assert!(!f.attributes.unwrap().contains(FileAttributes::INVISIBLE));
    let names = listing(&mut c, vid, ROOT);
    for want in [cafe_nfd, "1/2 report", "a/b", ".profile"] {
        assert!(names.contains(want), "{want} in {names:?}");
    }
    // The legacy long name is MacRoman.
    let f = file(&mut c, vid, ROOT, cafe_nfd, FileBitmap::LONG_NAME).unwrap();
    assert_eq!(f.long_name.as_deref(), Some(&b"caf\x8e"[..]));
    // Type-2 (MacRoman) paths reach the same file.
    let r = c.request(command::GetFileDirParms {
        volume_id: vid,
        dir_id: ROOT,
        file_bitmap: FileBitmap::NODE_ID,
        dir_bitmap: DirBitmap::empty(),
        path: Path::long(Bytes::from_static(b"caf\x8e")),
    });
    assert!(r.is_ok());
    // Rename through names with accents and slashes keeps the ID.
    let id = fid(&mut c, vid, ROOT, cafe_nfd);
    let ren = command::Rename {
        volume_id: vid,
        dir_id: ROOT,
        path: p(cafe_nfd),
        new_name: lit("Zürich/Genève"),
    };
    assert_eq!(code(&mut c, ren), ResultCode::NO_ERR);
    assert!(vol.join("Z\u{fc}rich:Gen\u{e8}ve").exists());
    let got = file(
        &mut c,
        vid,
        ROOT,
        "Zu\u{308}rich:Gene\u{300}ve",
        FileBitmap::NODE_ID,
    );
    assert_eq!(
        got.unwrap_err(),
        ResultCode::PARAM_ERR,
        "':' is no Mac name character"
    );
    let r = gfdp(
        &mut c,
        vid,
        ROOT,
        lit("Zu\u{308}rich/Gene\u{300}ve"),
        FileBitmap::NODE_ID,
        DirBitmap::empty(),
    )
    .unwrap();
    let FileDirParams::File(f) = r else { panic!() };
    assert_eq!(f.node_id, Some(id));
}

#[test]
fn invisible_dots_and_inner_cnid_dir() {
    let srv = TestServer::builder()
        .volume("test1")
        .volume_option("test1", "invisible dots", "yes")
        .start();
    let mut c = srv.login();
    let vid = c.open_volume("test1");
    c.create_file(vid, ROOT, ".dotfile", false).unwrap();
    let f = file(
        &mut c,
        vid,
        ROOT,
        ".dotfile",
        FileBitmap::ATTRIBUTES | FileBitmap::FINDER_INFO,
    )
    .unwrap();
    assert!(f.attributes.unwrap().contains(FileAttributes::INVISIBLE));
    assert_ne!(f.finder_info.unwrap().flags() & 0x4000, 0);
    drop(c);
    drop(srv);
    // A CNID store kept inside the volume is neither listed nor addressable.
    let srv = TestServer::builder().volume("test2").start();
    let vol = srv.volume_path("test2").to_path_buf();
    let mut srv = srv;
    let text = std::fs::read_to_string(srv.config_path()).unwrap().replace(
        "[test2]",
        &format!("[test2]\nvol dbpath = {}/.cnid-store", vol.display()),
    );
    srv.write_config(&text);
    srv.restart();
    let mut c = srv.login();
    let vid = c.open_volume("test2");
    c.create_file(vid, ROOT, "x", false).unwrap();
    assert!(
        vol.join(".cnid-store").exists(),
        "the store lives inside the volume"
    );
    assert_eq!(
        listing(&mut c, vid, ROOT),
        ["x".to_owned()].into_iter().collect()
    );
    assert_eq!(
        dir(&mut c, vid, ROOT, ".cnid-store", DirBitmap::NODE_ID).unwrap_err(),
        ResultCode::PARAM_ERR
    );
}
