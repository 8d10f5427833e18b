//! Files and directories through the real server: FPGetFileDirParms, FPSet*Parms,
//! FPCreateFile, FPCreateDir, FPDelete, FPRename, FPMoveAndRename, FPCopyFile,
//! FPExchangeFiles, FPOpenDir/FPCloseDir/FPSyncDir, with netatalk's result codes (the
//! facts of its spectest FPGetFileDirParms.c, FPCreateFile.c, FPDelete.c, FPRename.c,
//! FPMoveAndRename.c, FPCopyFile.c, FPExchangeFiles.c, FPSetFileParms.c).

mod catalog_common;
mod common;

use afp_proto::command::{self, AccessMode};
use afp_proto::params::{
    DirAttributes, DirBitmap, DirParams, FileAttributes, FileBitmap, FileParams, FinderInfo,
    UnixPrivs,
};
use afp_proto::{AfpDate, ResultCode};
use bytes::{BufMut, Bytes, BytesMut};
use catalog_common::*;

fn dir_id(c: &mut common::AfpClient, vid: u16, did: u32, path: &str) -> u32 {
    did_of(c, vid, did, path)
}

#[test]
fn get_file_dir_parms_paths() {
    let (_srv, mut c, vid) = setup();
    let d = c.create_dir(vid, ROOT, "t44 dir").unwrap();
    // A single NUL is the directory itself; two climb to the parent (spectest test44).
    assert_eq!(dir_id(&mut c, vid, d, "/"), d);
    assert_eq!(dir_id(&mut c, vid, d, "//"), ROOT);
    // test104: "name///" climbs two levels from name.
    let d2 = c.create_dir(vid, d, "t104 dir2").unwrap();
    let d3 = c.create_dir(vid, d2, "t104 dir3").unwrap();
    let d4 = c.create_dir(vid, d3, "t104 dir4").unwrap();
    c.create_file(vid, d2, "t104 file", false).unwrap();
    let pd = dir(
        &mut c,
        vid,
        d3,
        "t104 dir4///",
        DirBitmap::NODE_ID | DirBitmap::LONG_NAME | DirBitmap::OFFSPRING_COUNT,
    )
    .unwrap();
    assert_eq!(pd.node_id, Some(d2));
    assert_eq!(pd.long_name.as_deref(), Some(&b"t104 dir2"[..]));
    assert_eq!(pd.offspring_count, Some(2));
    assert_eq!(dir_id(&mut c, vid, d3, "t104 dir4/"), d4);
    // test58: DID 1 alone is kFPObjectNotFound; DID 1 + the volume name is the root.
    let all = DirBitmap::LONG_NAME | DirBitmap::PARENT_DIR_ID | DirBitmap::NODE_ID;
    assert_eq!(
        gfdp(&mut c, vid, 1, p(""), FileBitmap::empty(), all).unwrap_err(),
        ResultCode::OBJECT_NOT_FOUND
    );
    let root = dir(&mut c, vid, 1, "test1", all | DirBitmap::OFFSPRING_COUNT).unwrap();
    assert_eq!((root.node_id, root.parent_id), (Some(2), Some(1)));
    assert_eq!(root.long_name.as_deref(), Some(&b"test1"[..]));
    assert_eq!(
        gfdp(&mut c, vid, 1, p("disk1"), FileBitmap::empty(), all).unwrap_err(),
        ResultCode::OBJECT_NOT_FOUND
    );
    // An unknown volume is kFPAccessDenied here; an unknown DID not found; DID 0 a
    // parameter error.
    assert_eq!(
        gfdp(&mut c, vid + 1, 2, p(""), FileBitmap::empty(), all).unwrap_err(),
        ResultCode::ACCESS_DENIED
    );
    assert_eq!(
        gfdp(&mut c, vid, 99_999, p(""), FileBitmap::empty(), all).unwrap_err(),
        ResultCode::OBJECT_NOT_FOUND
    );
    assert_eq!(
        gfdp(&mut c, vid, 0, p(""), FileBitmap::empty(), all).unwrap_err(),
        ResultCode::PARAM_ERR
    );
    // A file in the middle of a path is a parameter error; a missing middle element is
    // not found.
    assert_eq!(
        gfdp(&mut c, vid, d2, p("t104 file/x"), FileBitmap::NODE_ID, all).unwrap_err(),
        ResultCode::PARAM_ERR
    );
    assert_eq!(
        gfdp(&mut c, vid, d2, p("nope/x"), FileBitmap::NODE_ID, all).unwrap_err(),
        ResultCode::OBJECT_NOT_FOUND
    );
}

#[test]
fn get_file_dir_parms_errors() {
    let (_srv, mut c, vid) = setup();
    let d = c.create_dir(vid, ROOT, "t132 dir").unwrap();
    c.create_file(vid, d, "t132 file", false).unwrap();
    // test132: bitmaps with invalid bits.
    assert_eq!(
        gfdp(
            &mut c,
            vid,
            d,
            p("t132 file"),
            FileBitmap::from_bits_retain(0xffff),
            DirBitmap::empty()
        )
        .unwrap_err(),
        ResultCode::BITMAP_ERR
    );
    assert_eq!(
        gfdp(
            &mut c,
            vid,
            d,
            p(""),
            FileBitmap::empty(),
            DirBitmap::from_bits_retain(0xffff)
        )
        .unwrap_err(),
        ResultCode::BITMAP_ERR
    );
    // test70: path type 4 → kFPParamErr.
    let mut raw = BytesMut::new();
    raw.put_u8(34);
    raw.put_u8(0);
    raw.put_u16(vid);
    raw.put_u32(ROOT);
    raw.put_u16(FileBitmap::LONG_NAME.bits());
    raw.put_u16(DirBitmap::LONG_NAME.bits());
    raw.put_u8(4);
    raw.put_u8(4);
    raw.put_slice(b"name");
    assert_eq!(c.call_raw(raw.freeze()).0, ResultCode::PARAM_ERR);
    // A missing object.
    assert_eq!(
        file(&mut c, vid, d, "nope", FileBitmap::NODE_ID).unwrap_err(),
        ResultCode::OBJECT_NOT_FOUND
    );
    // A directory with bitmap 0 for directories: header only.
    let r = gfdp(
        &mut c,
        vid,
        ROOT,
        p("t132 dir"),
        FileBitmap::NODE_ID,
        DirBitmap::empty(),
    )
    .unwrap();
    assert!(r.is_dir());
}

#[test]
fn file_parameters_of_a_new_file() {
    let (srv, mut c, vid) = setup();
    c.create_file(vid, ROOT, "t371 file name", false).unwrap();
    let all = FileBitmap::ATTRIBUTES
        | FileBitmap::PARENT_DIR_ID
        | FileBitmap::CREATE_DATE
        | FileBitmap::MOD_DATE
        | FileBitmap::BACKUP_DATE
        | FileBitmap::FINDER_INFO
        | FileBitmap::LONG_NAME
        | FileBitmap::SHORT_NAME
        | FileBitmap::NODE_ID
        | FileBitmap::DATA_FORK_LEN
        | FileBitmap::RSRC_FORK_LEN
        | FileBitmap::EXT_DATA_FORK_LEN
        | FileBitmap::UTF8_NAME
        | FileBitmap::EXT_RSRC_FORK_LEN
        | FileBitmap::UNIX_PRIVS;
    let f = file(&mut c, vid, ROOT, "t371 file name", all).unwrap();
    assert_eq!(f.attributes, Some(FileAttributes::empty()));
    assert_eq!(f.parent_id, Some(ROOT));
    assert_eq!(f.backup_date, Some(AfpDate::NEVER));
    // test371: no type yet → the extension map's default "????????".
    assert_eq!(&f.finder_info.unwrap().0[0..8], b"????????");
    assert_eq!(f.long_name.as_deref(), Some(&b"t371 file name"[..]));
    assert_eq!(&f.utf8_name.unwrap().name[..], b"t371 file name");
    assert!(f.node_id.unwrap() >= 17);
    assert_eq!(f.ext_data_fork_len, Some(0));
    assert_eq!(f.ext_rsrc_fork_len, Some(0));
    let up = f.unix_privs.unwrap();
    assert_eq!(up.uid, srv.user().uid());
    assert_eq!(up.permissions & libc::S_IFMT, libc::S_IFREG);
    assert_eq!(
        up.ua_permissions.bits() >> 24 & 0x80,
        0x80,
        "the user owns it"
    );
    // The metadata netatalk writes for a new file is there, with the CNID cached.
    let xattr = std::fs::read(srv.volume_path("test1").join("t371 file name")).map(|_| ());
    assert!(xattr.is_ok());
    // test371: renamed to .pdf the mapping gives PDF/CARO; test380: .doc is WDBN/MSWD.
    c.rename(vid, ROOT, "t371 file name", "t371 new name.pdf")
        .unwrap();
    let f = file(
        &mut c,
        vid,
        ROOT,
        "t371 new name.pdf",
        FileBitmap::FINDER_INFO,
    )
    .unwrap();
    assert_eq!(&f.finder_info.unwrap().0[0..8], b"PDF CARO");
    c.create_file(vid, ROOT, "t380 file name.doc", false)
        .unwrap();
    let bitmap = FileBitmap::ATTRIBUTES
        | FileBitmap::FINDER_INFO
        | FileBitmap::CREATE_DATE
        | FileBitmap::BACKUP_DATE
        | FileBitmap::MOD_DATE;
    let f = file(&mut c, vid, ROOT, "t380 file name.doc", bitmap).unwrap();
    assert_eq!(&f.finder_info.unwrap().0[0..8], b"WDBNMSWD");
    assert_eq!(
        set_file(&mut c, vid, ROOT, "t380 file name.doc", &f),
        ResultCode::NO_ERR
    );
    let f = file(&mut c, vid, ROOT, "t380 file name.doc", bitmap).unwrap();
    assert_eq!(&f.finder_info.unwrap().0[0..8], b"WDBNMSWD");
}

#[test]
fn mangled_names() {
    let (_srv, mut c, vid) = setup();
    let bitmap = FileBitmap::UTF8_NAME;
    // test307: a real name containing "#2"; "???#2" names nothing.
    c.create_dir(vid, ROOT, "t307 dir#2").unwrap();
    assert!(dir(&mut c, vid, ROOT, "t307 dir#2", DirBitmap::NODE_ID).is_ok());
    assert_eq!(
        dir(&mut c, vid, ROOT, "???#2", DirBitmap::NODE_ID).unwrap_err(),
        ResultCode::OBJECT_NOT_FOUND
    );
    // test308: a short name has no mangled form.
    let d = c.create_dir(vid, ROOT, "t308 dir").unwrap();
    assert!(
        dir(
            &mut c,
            vid,
            ROOT,
            &format!("t308#{d:X}"),
            DirBitmap::NODE_ID
        )
        .is_err()
    );
    // test324/test333: a long name is reachable through its 31-byte mangled long name.
    let name = "t333 very long filename (more than 31 bytes).txt";
    c.create_file(vid, ROOT, name, false).unwrap();
    let id = fid(&mut c, vid, ROOT, name);
    let suffix = format!("#{id:X}.txt");
    let mangled = format!("{}{suffix}", &name[..31 - suffix.len()]);
    assert_eq!(fid(&mut c, vid, ROOT, &mangled), id);
    let bad = format!("{}#0{id:X}.txt", &name[..31 - suffix.len() - 1]);
    assert!(file(&mut c, vid, ROOT, &bad, bitmap).is_err());
    // The long name the server reports is that mangled form.
    let f = file(&mut c, vid, ROOT, name, FileBitmap::LONG_NAME).unwrap();
    assert_eq!(f.long_name.as_deref(), Some(mangled.as_bytes()));
    // test326: an extension longer than 5 characters is not kept, so ".txt" is wrong.
    let name = "t326 long filename and extension .longtxt";
    c.create_file(vid, ROOT, name, false).unwrap();
    let id = fid(&mut c, vid, ROOT, name);
    let suffix = format!("#{id:X}.txt");
    let wrong = format!("{}{suffix}", &name[..31 - suffix.len()]);
    assert_eq!(
        file(&mut c, vid, ROOT, &wrong, bitmap).unwrap_err(),
        ResultCode::OBJECT_NOT_FOUND
    );
}

#[test]
fn create_file_rules() {
    let (_srv, mut c, vid) = setup();
    let d = c.create_dir(vid, ROOT, "t51 dir").unwrap();
    // A directory's name: kFPObjectTypeErr (netatalk; a Mac says kFPObjectExists).
    assert_eq!(
        c.create_file(vid, ROOT, "t51 dir", false),
        Err(ResultCode::OBJECT_TYPE_ERR)
    );
    c.create_file(vid, ROOT, "t51 file.txt", false).unwrap();
    assert_eq!(
        c.create_file(vid, ROOT, "t51 file.txt", false),
        Err(ResultCode::OBJECT_EXISTS)
    );
    write_file(&mut c, vid, ROOT, "t51 file.txt", b"some data");
    // Hard create of an existing file that nobody has open empties it.
    let id = fid(&mut c, vid, ROOT, "t51 file.txt");
    c.create_file(vid, ROOT, "t51 file.txt", true).unwrap();
    let f = file(
        &mut c,
        vid,
        ROOT,
        "t51 file.txt",
        FileBitmap::EXT_DATA_FORK_LEN | FileBitmap::NODE_ID,
    )
    .unwrap();
    assert_eq!(f.ext_data_fork_len, Some(0));
    assert_eq!(f.node_id, Some(id));
    // Open by this session: soft → kFPObjectExists, hard → kFPFileBusy.
    let fork = c
        .open_fork(
            vid,
            ROOT,
            "t51 file.txt",
            false,
            AccessMode::READ | AccessMode::WRITE | AccessMode::DENY_WRITE,
            FileBitmap::empty(),
        )
        .unwrap()
        .fork;
    assert_eq!(
        c.create_file(vid, ROOT, "t51 file.txt", false),
        Err(ResultCode::OBJECT_EXISTS)
    );
    assert_eq!(
        c.create_file(vid, ROOT, "t51 file.txt", true),
        Err(ResultCode::FILE_BUSY)
    );
    c.close_fork(fork).unwrap();
    // A missing folder in the path.
    assert_eq!(
        code(
            &mut c,
            command::CreateFile {
                hard_create: true,
                volume_id: vid,
                dir_id: d,
                path: p("folder/essai")
            }
        ),
        ResultCode::OBJECT_NOT_FOUND
    );
    c.create_file(vid, d, "t51 file.txt", true).unwrap();
    c.create_file(vid, d, "t51 file.txt", true).unwrap();
    // Reserved names are refused.
    assert_eq!(
        c.create_file(vid, ROOT, ".AppleDB", false),
        Err(ResultCode::PARAM_ERR)
    );
    assert_eq!(
        c.create_file(vid, ROOT, ".AppleDouble", false),
        Err(ResultCode::PARAM_ERR)
    );
    // Bad volume.
    assert_eq!(
        c.create_file(vid + 3, ROOT, "x", false),
        Err(ResultCode::PARAM_ERR)
    );
}

#[test]
fn create_dir_and_deleted_parent() {
    let (_srv, mut c, vid) = setup();
    let d = c.create_dir(vid, ROOT, "test172").unwrap();
    assert!(d >= 17);
    assert_eq!(
        c.create_dir(vid, ROOT, "test172"),
        Err(ResultCode::OBJECT_EXISTS)
    );
    c.create_file(vid, ROOT, "a file", false).unwrap();
    assert_eq!(
        c.create_dir(vid, ROOT, "a file"),
        Err(ResultCode::OBJECT_EXISTS)
    );
    c.delete(vid, d, "").unwrap();
    // spectest test172: every call on a deleted directory ID says kFPObjectNotFound.
    assert_eq!(
        c.create_file(vid, d, "test172", false),
        Err(ResultCode::OBJECT_NOT_FOUND)
    );
    assert_eq!(
        c.create_dir(vid, d, "test172"),
        Err(ResultCode::OBJECT_NOT_FOUND)
    );
    assert_eq!(
        code(
            &mut c,
            command::OpenDir {
                volume_id: vid,
                dir_id: d,
                path: p("test172")
            }
        ),
        ResultCode::OBJECT_NOT_FOUND
    );
    assert_eq!(
        c.delete(vid, d, "test172"),
        Err(ResultCode::OBJECT_NOT_FOUND)
    );
    assert_eq!(
        c.rename(vid, d, "test172", "x"),
        Err(ResultCode::OBJECT_NOT_FOUND)
    );
    assert_eq!(
        c.move_and_rename(vid, d, "test172", ROOT, "", "x"),
        Err(ResultCode::OBJECT_NOT_FOUND)
    );
    assert_eq!(
        c.move_and_rename(vid, ROOT, "a file", d, "test172", ""),
        Err(ResultCode::OBJECT_NOT_FOUND)
    );
    let fp = FileParams {
        mod_date: Some(AfpDate(1)),
        ..FileParams::default()
    };
    assert_eq!(
        set_file(&mut c, vid, d, "test172", &fp),
        ResultCode::OBJECT_NOT_FOUND
    );
    let dp = DirParams {
        mod_date: Some(AfpDate(1)),
        ..DirParams::default()
    };
    assert_eq!(
        set_dir(&mut c, vid, d, "test172", &dp),
        ResultCode::OBJECT_NOT_FOUND
    );
    assert_eq!(
        code(
            &mut c,
            command::ExchangeFiles {
                volume_id: vid,
                src_dir_id: ROOT,
                dst_dir_id: d,
                src_path: p("a file"),
                dst_path: p("test172")
            }
        ),
        ResultCode::OBJECT_NOT_FOUND
    );
}

#[test]
fn delete_rules() {
    let (srv, mut c, vid) = setup();
    let d = c.create_dir(vid, ROOT, "t27 dir").unwrap();
    c.create_file(vid, d, "t27 file", false).unwrap();
    assert_eq!(
        c.delete(vid, ROOT, "t27 dir"),
        Err(ResultCode::DIR_NOT_EMPTY)
    );
    // The volume root.
    assert_eq!(c.delete(vid, ROOT, ""), Err(ResultCode::ACCESS_DENIED));
    // An open file.
    let fork = c.open_data_rw(vid, d, "t27 file").unwrap();
    assert_eq!(c.delete(vid, d, "t27 file"), Err(ResultCode::FILE_BUSY));
    c.close_fork(fork).unwrap();
    // A resource fork: its sidecar goes with the file, and the ID is forgotten.
    let rf = c
        .open_fork(
            vid,
            d,
            "t27 file",
            true,
            AccessMode::READ | AccessMode::WRITE,
            FileBitmap::empty(),
        )
        .unwrap()
        .fork;
    c.write_all(rf, 0, b"resource").unwrap();
    c.close_fork(rf).unwrap();
    let side = srv.volume_path("test1").join("t27 dir/._t27 file");
    assert!(side.exists(), "the resource fork is in a ._ sidecar");
    let id = fid(&mut c, vid, d, "t27 file");
    c.delete(vid, d, "t27 file").unwrap();
    assert!(!side.exists());
    assert_eq!(
        code(
            &mut c,
            command::ResolveId {
                volume_id: vid,
                file_id: id,
                bitmap: FileBitmap::NODE_ID
            }
        ),
        ResultCode::ID_NOT_FOUND
    );
    assert_eq!(
        c.delete(vid, d, "t27 file"),
        Err(ResultCode::OBJECT_NOT_FOUND)
    );
    // DeleteInhibit (spectest test118): kFPObjectLocked until cleared.
    c.create_file(vid, ROOT, "t118 no delete file", false)
        .unwrap();
    let set = FileParams {
        attributes: Some(FileAttributes::DELETE_INHIBIT | FileAttributes::SET_CLEAR),
        ..FileParams::default()
    };
    assert_eq!(
        set_file(&mut c, vid, ROOT, "t118 no delete file", &set),
        ResultCode::NO_ERR
    );
    assert_eq!(
        c.delete(vid, ROOT, "t118 no delete file"),
        Err(ResultCode::OBJECT_LOCKED)
    );
    let clear = FileParams {
        attributes: Some(FileAttributes::DELETE_INHIBIT),
        ..FileParams::default()
    };
    assert_eq!(
        set_file(&mut c, vid, ROOT, "t118 no delete file", &clear),
        ResultCode::NO_ERR
    );
    c.delete(vid, ROOT, "t118 no delete file").unwrap();
    // The now empty directory, by its ID.
    c.delete(vid, d, "").unwrap();
    assert_eq!(c.delete(vid, d, ""), Err(ResultCode::OBJECT_NOT_FOUND));
}

#[test]
fn set_file_parms_rules() {
    let (srv, mut c, vid) = setup();
    c.create_dir(vid, ROOT, "t83 dir").unwrap();
    c.create_file(vid, ROOT, "t83 file", false).unwrap();
    let bitmap = FileBitmap::ATTRIBUTES
        | FileBitmap::FINDER_INFO
        | FileBitmap::CREATE_DATE
        | FileBitmap::BACKUP_DATE
        | FileBitmap::MOD_DATE;
    let f = file(&mut c, vid, ROOT, "t83 file", bitmap).unwrap();
    assert_eq!(
        set_file(&mut c, vid, ROOT, "t83 file", &f),
        ResultCode::NO_ERR
    );
    assert_eq!(
        set_file(&mut c, vid, ROOT, "t83 enoent", &f),
        ResultCode::OBJECT_NOT_FOUND
    );
    assert_eq!(
        set_file(&mut c, vid, ROOT, "t83 dir", &f),
        ResultCode::OBJECT_TYPE_ERR
    );
    // Bits that cannot be set.
    let raw = command::SetFileParms {
        volume_id: vid,
        dir_id: ROOT,
        bitmap: FileBitmap::from_bits_retain(0xffff),
        path: p("t83 file"),
        params: Bytes::from_static(&[0; 128]),
    };
    assert_eq!(code(&mut c, raw), ResultCode::BITMAP_ERR);
    // test318: the UTF-8 name bit on AFP 3.
    let raw = command::SetFileParms {
        volume_id: vid,
        dir_id: ROOT,
        bitmap: FileBitmap::UTF8_NAME,
        path: p("t83 file"),
        params: Bytes::from_static(&[0; 16]),
    };
    assert_eq!(code(&mut c, raw), ResultCode::BITMAP_ERR);
    // Invisible goes into the FinderInfo flags too; dates and FinderInfo round-trip.
    let mut fi = [0u8; 32];
    fi[0..8].copy_from_slice(b"TESTtest");
    // (Attributes come before the Finder info in bit order: like netatalk, the Finder
    // info written after them replaces the Invisible flag, so they are set separately.)
    let set = FileParams {
        create_date: Some(AfpDate(1000)),
        backup_date: Some(AfpDate(2000)),
        finder_info: Some(FinderInfo(fi)),
        mod_date: Some(AfpDate(3000)),
        ..FileParams::default()
    };
    assert_eq!(
        set_file(&mut c, vid, ROOT, "t83 file", &set),
        ResultCode::NO_ERR
    );
    let inv = FileParams {
        attributes: Some(FileAttributes::INVISIBLE | FileAttributes::SET_CLEAR),
        mod_date: Some(AfpDate(3000)),
        ..FileParams::default()
    };
    assert_eq!(
        set_file(&mut c, vid, ROOT, "t83 file", &inv),
        ResultCode::NO_ERR
    );
    let f = file(&mut c, vid, ROOT, "t83 file", bitmap).unwrap();
    assert!(f.attributes.unwrap().contains(FileAttributes::INVISIBLE));
    let got = f.finder_info.unwrap();
    assert_eq!(&got.0[0..8], b"TESTtest");
    assert_ne!(got.flags() & 0x4000, 0, "invisible Finder flag");
    assert_eq!(f.create_date, Some(AfpDate(1000)));
    assert_eq!(f.backup_date, Some(AfpDate(2000)));
    assert_eq!(f.mod_date, Some(AfpDate(3000)));
    let mtime = std::fs::metadata(srv.volume_path("test1").join("t83 file")).unwrap();
    assert_eq!(
        std::os::unix::fs::MetadataExt::mtime(&mtime),
        3000 + 946_684_800,
        "the file's own mtime follows"
    );
    let clear = FileParams {
        attributes: Some(FileAttributes::INVISIBLE),
        ..FileParams::default()
    };
    assert_eq!(
        set_file(&mut c, vid, ROOT, "t83 file", &clear),
        ResultCode::NO_ERR
    );
    let f = file(&mut c, vid, ROOT, "t83 file", bitmap).unwrap();
    assert!(!f.attributes.unwrap().contains(FileAttributes::INVISIBLE));
    assert_eq!(f.finder_info.unwrap().flags() & 0x4000, 0);
    // UNIX privileges: the mode changes (owner).
    let up = UnixPrivs {
        uid: srv.user().uid(),
        gid: srv.user().gid(),
        permissions: 0o100640,
        ua_permissions: Default::default(),
    };
    let set = FileParams {
        unix_privs: Some(up),
        ..FileParams::default()
    };
    assert_eq!(
        set_file(&mut c, vid, ROOT, "t83 file", &set),
        ResultCode::NO_ERR
    );
    let mode = std::fs::metadata(srv.volume_path("test1").join("t83 file")).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o7777,
        0o640
    );
}

#[test]
fn finder_info_slnk_makes_a_symlink() {
    let (srv, mut c, vid) = setup();
    c.create_file(vid, ROOT, "t427 dest", false).unwrap();
    c.create_file(vid, ROOT, "t427 Symlink", false).unwrap();
    write_file(&mut c, vid, ROOT, "t427 Symlink", b"t427 dest");
    let id = fid(&mut c, vid, ROOT, "t427 Symlink");
    let mut fi = [0u8; 32];
    fi[0..8].copy_from_slice(b"slnkrhap");
    let set = FileParams {
        finder_info: Some(FinderInfo(fi)),
        ..FileParams::default()
    };
    assert_eq!(
        set_file(&mut c, vid, ROOT, "t427 Symlink", &set),
        ResultCode::NO_ERR
    );
    let link = srv.volume_path("test1").join("t427 Symlink");
    assert_eq!(
        std::fs::read_link(&link).unwrap(),
        std::path::Path::new("t427 dest")
    );
    let f = file(
        &mut c,
        vid,
        ROOT,
        "t427 Symlink",
        FileBitmap::NODE_ID | FileBitmap::FINDER_INFO | FileBitmap::UNIX_PRIVS,
    )
    .unwrap();
    assert_eq!(f.node_id, Some(id), "the symlink keeps the file's ID");
    assert_eq!(&f.finder_info.unwrap().0[0..8], b"slnkrhap");
    assert_eq!(
        f.unix_privs.unwrap().permissions & libc::S_IFMT,
        libc::S_IFLNK
    );
    // test430: a creation date on a symlink is accepted.
    let set = FileParams {
        create_date: Some(AfpDate(5)),
        ..FileParams::default()
    };
    assert_eq!(
        set_file(&mut c, vid, ROOT, "t427 Symlink", &set),
        ResultCode::NO_ERR
    );
    c.delete(vid, ROOT, "t427 Symlink").unwrap();
    c.delete(vid, ROOT, "t427 dest").unwrap();
}

#[test]
fn set_dir_parms_rules() {
    let (srv, mut c, vid) = setup();
    let d = c.create_dir(vid, ROOT, "t94 dir").unwrap();
    c.create_file(vid, ROOT, "t94 file", false).unwrap();
    let before = dir(&mut c, vid, ROOT, "", DirBitmap::OFFSPRING_COUNT)
        .unwrap()
        .offspring_count;
    let set = DirParams {
        attributes: Some(DirAttributes::INVISIBLE | DirAttributes::SET_CLEAR),
        ..DirParams::default()
    };
    assert_eq!(
        set_dir(&mut c, vid, ROOT, "t94 dir", &set),
        ResultCode::NO_ERR
    );
    let p = dir(
        &mut c,
        vid,
        ROOT,
        "t94 dir",
        DirBitmap::ATTRIBUTES | DirBitmap::FINDER_INFO,
    )
    .unwrap();
    assert!(p.attributes.unwrap().contains(DirAttributes::INVISIBLE));
    // test94: an invisible directory still counts as offspring.
    let after = dir(&mut c, vid, ROOT, "", DirBitmap::OFFSPRING_COUNT)
        .unwrap()
        .offspring_count;
    assert_eq!(before, after);
    assert_eq!(
        set_dir(&mut c, vid, ROOT, "t94 file", &set),
        ResultCode::OBJECT_TYPE_ERR
    );
    assert_eq!(
        set_dir(&mut c, vid, ROOT, "t94 missing", &set),
        ResultCode::OBJECT_NOT_FOUND
    );
    // Access rights: owner r-x only (spectest test138 then refuses moves into it).
    let p = dir(&mut c, vid, d, "", DirBitmap::ACCESS_RIGHTS).unwrap();
    let mut ar = p.access_rights.unwrap().bits();
    ar = (ar & 0xFF00_0000) | 0x0000_0303;
    let set = DirParams {
        access_rights: Some(afp_proto::params::AccessRights::from_bits_retain(ar)),
        ..DirParams::default()
    };
    assert_eq!(set_dir(&mut c, vid, d, "", &set), ResultCode::NO_ERR);
    let mode = std::fs::metadata(srv.volume_path("test1").join("t94 dir")).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
        mode_of(0x03, 0x03, 0x00)
    );
    assert_eq!(
        c.move_and_rename(vid, ROOT, "t94 file", d, "", ""),
        Err(ResultCode::ACCESS_DENIED)
    );
    // The volume root must keep read and search for its owner.
    let root_ar = dir(&mut c, vid, ROOT, "", DirBitmap::ACCESS_RIGHTS)
        .unwrap()
        .access_rights
        .unwrap()
        .bits();
    let bad = DirParams {
        access_rights: Some(afp_proto::params::AccessRights::from_bits_retain(
            root_ar & 0xFFFF_FF00,
        )),
        ..DirParams::default()
    };
    assert_eq!(
        set_dir(&mut c, vid, ROOT, "", &bad),
        ResultCode::ACCESS_DENIED
    );
}

/// Mode bits for owner/group/world access-right bytes (search 1, read 2, write 4).
fn mode_of(owner: u32, group: u32, world: u32) -> u32 {
    let b = |m: u32| (if m & 2 != 0 { 4 } else { 0 }) | (if m & 4 != 0 { 2 } else { 0 }) | (m & 1);
    b(owner) << 6 | b(group) << 3 | b(world)
}

#[test]
fn rename_rules() {
    let (srv, mut c, vid) = setup();
    let ndel = c.create_dir(vid, ROOT, "t72 no delete dir").unwrap();
    c.create_dir(vid, ROOT, "t72 dir").unwrap();
    assert_eq!(
        c.rename(vid, ROOT, "", "volume"),
        Err(ResultCode::CANT_RENAME)
    );
    // RenameInhibit: kFPObjectLocked; clearing another bit keeps it; delete still works.
    let set = DirParams {
        attributes: Some(DirAttributes::RENAME_INHIBIT | DirAttributes::SET_CLEAR),
        ..DirParams::default()
    };
    assert_eq!(set_dir(&mut c, vid, ndel, "", &set), ResultCode::NO_ERR);
    assert_eq!(
        c.rename(vid, ROOT, "t72 no delete dir", "volume"),
        Err(ResultCode::OBJECT_LOCKED)
    );
    // Same name: accepted; an empty new name: a no-op.
    assert_eq!(c.rename(vid, ROOT, "t72 dir", "t72 dir"), Ok(()));
    assert_eq!(c.rename(vid, ROOT, "t72 dir", ""), Ok(()));
    c.create_file(vid, ROOT, "t376 name", false).unwrap();
    c.create_file(vid, ROOT, "t376 new name", false).unwrap();
    assert_eq!(
        c.rename(vid, ROOT, "t376 name", "t376 new name"),
        Err(ResultCode::OBJECT_EXISTS)
    );
    // A case-sensitive volume: names differing by case are different files.
    assert_eq!(c.create_file(vid, ROOT, "T376 NAME", false), Ok(()));
    // IDs, the resource fork and the metadata follow a rename.
    let id = fid(&mut c, vid, ROOT, "t376 name");
    let rf = c
        .open_fork(
            vid,
            ROOT,
            "t376 name",
            true,
            AccessMode::READ | AccessMode::WRITE,
            FileBitmap::empty(),
        )
        .unwrap()
        .fork;
    c.write_all(rf, 0, b"rsrc").unwrap();
    c.close_fork(rf).unwrap();
    c.rename(vid, ROOT, "t376 name", "t376 renamed").unwrap();
    assert_eq!(fid(&mut c, vid, ROOT, "t376 renamed"), id);
    let f = file(
        &mut c,
        vid,
        ROOT,
        "t376 renamed",
        FileBitmap::EXT_RSRC_FORK_LEN,
    )
    .unwrap();
    assert_eq!(f.ext_rsrc_fork_len, Some(4));
    assert!(srv.volume_path("test1").join("._t376 renamed").exists());
    // A name with '/' is stored with ':'.
    c.rename(vid, ROOT, "t376 renamed", "a/b")
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert!(srv.volume_path("test1").join("a:b").exists());
    // Reserved names cannot be the target.
    assert_eq!(
        c.rename(vid, ROOT, "t72 dir", ".AppleDB"),
        Err(ResultCode::OBJECT_EXISTS)
    );
}

#[test]
fn move_and_rename_rules() {
    let (_srv, mut c, vid) = setup();
    let dir1 = c.create_dir(vid, ROOT, "t123 dir1").unwrap();
    let sub = c.create_dir(vid, dir1, "t123 dir1_1").unwrap();
    let dest = c.create_dir(vid, ROOT, "t123 dest").unwrap();
    // test123: into itself or below itself → kFPCantMove.
    assert_eq!(
        c.move_and_rename(vid, ROOT, "t123 dir1", dir1, "", ""),
        Err(ResultCode::CANT_MOVE)
    );
    assert_eq!(
        c.move_and_rename(vid, ROOT, "t123 dir1", sub, "", "new"),
        Err(ResultCode::CANT_MOVE)
    );
    // A directory by its ID with empty names keeps its name.
    c.move_and_rename(vid, sub, "", dest, "", "").unwrap();
    assert_eq!(did_of(&mut c, vid, dest, "t123 dir1_1"), sub);
    // The destination must be a directory.
    c.create_file(vid, ROOT, "t73 file", false).unwrap();
    assert_eq!(
        c.move_and_rename(vid, ROOT, "t123 dir1", ROOT, "t73 file", ""),
        Err(ResultCode::OBJECT_TYPE_ERR)
    );
    assert_eq!(
        c.move_and_rename(vid, ROOT, "t73 file", ROOT, "nope", ""),
        Err(ResultCode::OBJECT_NOT_FOUND)
    );
    // test322: the ID stays; test77: an open fork stays usable after the move.
    let id = fid(&mut c, vid, ROOT, "t73 file");
    let fork = c.open_data_rw(vid, ROOT, "t73 file").unwrap();
    c.move_and_rename(vid, ROOT, "t73 file", dest, "", "t73 moved")
        .unwrap();
    assert_eq!(fid(&mut c, vid, dest, "t73 moved"), id);
    c.write_all(fork, 0, b"after the move").unwrap();
    c.close_fork(fork).unwrap();
    assert_eq!(read_file(&mut c, vid, dest, "t73 moved"), b"after the move");
    assert_eq!(
        c.delete(vid, ROOT, "t73 file"),
        Err(ResultCode::OBJECT_NOT_FOUND)
    );
    // Destination name taken.
    c.create_file(vid, ROOT, "t73 other", false).unwrap();
    assert_eq!(
        c.move_and_rename(vid, ROOT, "t73 other", dest, "", "t73 moved"),
        Err(ResultCode::OBJECT_EXISTS)
    );
    // The root cannot move.
    assert_eq!(
        c.move_and_rename(vid, ROOT, "", dest, "", ""),
        Err(ResultCode::CANT_MOVE)
    );
    // A directory keeps its ID and its subtree.
    let moved = c.create_dir(vid, ROOT, "t43 subdir").unwrap();
    let inner = c.create_dir(vid, moved, "t43 subdir").unwrap();
    c.move_and_rename(vid, ROOT, "t43 subdir", dest, "", "")
        .unwrap();
    assert_eq!(did_of(&mut c, vid, dest, "t43 subdir"), moved);
    assert_eq!(did_of(&mut c, vid, moved, "t43 subdir"), inner);
    assert_eq!(did_of(&mut c, vid, inner, "//"), moved);
}

#[test]
fn copy_file_rules() {
    let (_srv, mut c, vid) = setup();
    let copy = |c: &mut common::AfpClient,
                sd: u32,
                src: &str,
                dvid: u16,
                dd: u32,
                dst: &str,
                name: &str| {
        code(
            c,
            command::CopyFile {
                src_volume_id: vid,
                src_dir_id: sd,
                dst_volume_id: dvid,
                dst_dir_id: dd,
                src_path: p(src),
                dst_path: p(dst),
                new_name: p(name),
            },
        )
    };
    c.create_file(vid, ROOT, "t317 old", false).unwrap();
    write_file(&mut c, vid, ROOT, "t317 old", b"copy me");
    let mut fi = [0u8; 32];
    fi[0..8].copy_from_slice(b"PDF CARO");
    let set = FileParams {
        finder_info: Some(FinderInfo(fi)),
        ..FileParams::default()
    };
    assert_eq!(
        set_file(&mut c, vid, ROOT, "t317 old", &set),
        ResultCode::NO_ERR
    );
    let rf = c
        .open_fork(
            vid,
            ROOT,
            "t317 old",
            true,
            AccessMode::READ | AccessMode::WRITE,
            FileBitmap::empty(),
        )
        .unwrap()
        .fork;
    c.write_all(rf, 0, b"the resource fork").unwrap();
    c.close_fork(rf).unwrap();
    let src = file(
        &mut c,
        vid,
        ROOT,
        "t317 old",
        FileBitmap::NODE_ID | FileBitmap::MOD_DATE,
    )
    .unwrap();
    assert_eq!(
        copy(&mut c, ROOT, "t317 old", vid, ROOT, "", "t317 new"),
        ResultCode::NO_ERR
    );
    let f = file(
        &mut c,
        vid,
        ROOT,
        "t317 new",
        FileBitmap::NODE_ID
            | FileBitmap::FINDER_INFO
            | FileBitmap::MOD_DATE
            | FileBitmap::EXT_RSRC_FORK_LEN
            | FileBitmap::EXT_DATA_FORK_LEN,
    )
    .unwrap();
    assert_ne!(f.node_id, src.node_id, "a copy gets its own ID");
    assert_eq!(&f.finder_info.unwrap().0[0..8], b"PDF CARO");
    assert_eq!(
        f.mod_date, src.mod_date,
        "test332: the modification date is kept"
    );
    assert_eq!(f.ext_rsrc_fork_len, Some(17));
    assert_eq!(f.ext_data_fork_len, Some(7));
    assert_eq!(read_file(&mut c, vid, ROOT, "t317 new"), b"copy me");
    // test158: the destination exists.
    assert_eq!(
        copy(&mut c, ROOT, "t317 old", vid, ROOT, "", "t317 new"),
        ResultCode::OBJECT_EXISTS
    );
    // test71: a directory as source, bad volumes and directories.
    c.create_dir(vid, ROOT, "t71 dir").unwrap();
    assert_eq!(
        copy(&mut c, ROOT, "t71 dir", vid, ROOT, "", "x"),
        ResultCode::OBJECT_TYPE_ERR
    );
    assert_eq!(
        copy(&mut c, ROOT, "t317 old", vid + 1, ROOT, "", "x"),
        ResultCode::PARAM_ERR
    );
    assert_eq!(
        copy(&mut c, ROOT, "t317 old", vid, 99_999, "", "x"),
        ResultCode::OBJECT_NOT_FOUND
    );
    assert_eq!(
        copy(&mut c, ROOT, "nope", vid, ROOT, "", "x"),
        ResultCode::OBJECT_NOT_FOUND
    );
    // Open by someone denying reads: kFPDenyConflict; open without deny modes: fine.
    let fork = c
        .open_fork(
            vid,
            ROOT,
            "t317 old",
            false,
            AccessMode::READ | AccessMode::WRITE,
            FileBitmap::empty(),
        )
        .unwrap()
        .fork;
    assert_eq!(
        copy(&mut c, ROOT, "t317 old", vid, ROOT, "", "t71 copy"),
        ResultCode::NO_ERR
    );
    c.close_fork(fork).unwrap();
    let fork = c
        .open_fork(
            vid,
            ROOT,
            "t317 old",
            false,
            AccessMode::READ | AccessMode::WRITE | AccessMode::DENY_READ | AccessMode::DENY_WRITE,
            FileBitmap::empty(),
        )
        .unwrap()
        .fork;
    assert_eq!(
        copy(&mut c, ROOT, "t317 old", vid, ROOT, "", "t71 copy2"),
        ResultCode::DENY_CONFLICT
    );
    c.close_fork(fork).unwrap();
    // test402: a file the user cannot read.
    let up = UnixPrivs {
        uid: 0,
        gid: 0,
        permissions: 0o100222,
        ua_permissions: Default::default(),
    };
    let srv_uid = _srv.user().uid();
    let gid = _srv.user().gid();
    let set = FileParams {
        unix_privs: Some(UnixPrivs {
            uid: srv_uid,
            gid,
            ..up
        }),
        ..FileParams::default()
    };
    assert_eq!(
        set_file(&mut c, vid, ROOT, "t317 old", &set),
        ResultCode::NO_ERR
    );
    if srv_uid != 0 {
        assert_eq!(
            copy(&mut c, ROOT, "t317 old", vid, ROOT, "", "t402"),
            ResultCode::DENY_CONFLICT
        );
    }
}

#[test]
fn exchange_files_rules() {
    let (_srv, mut c, vid) = setup();
    let xchg = |c: &mut common::AfpClient, sd: u32, s: &str, dd: u32, d: &str| {
        code(
            c,
            command::ExchangeFiles {
                volume_id: vid,
                src_dir_id: sd,
                dst_dir_id: dd,
                src_path: p(s),
                dst_path: p(d),
            },
        )
    };
    let d = c.create_dir(vid, ROOT, "t108 dir").unwrap();
    c.create_file(vid, ROOT, "t108 exchange file", false)
        .unwrap();
    c.create_file(vid, d, "t108 new file name", false).unwrap();
    let mut fi = [0u8; 32];
    fi[0..8].copy_from_slice(b"TESTTEST");
    let set = FileParams {
        finder_info: Some(FinderInfo(fi)),
        ..FileParams::default()
    };
    assert_eq!(
        set_file(&mut c, vid, ROOT, "t108 exchange file", &set),
        ResultCode::NO_ERR
    );
    let a = fid(&mut c, vid, ROOT, "t108 exchange file");
    let b = fid(&mut c, vid, d, "t108 new file name");
    write_file(&mut c, vid, ROOT, "t108 exchange file", b"blue");
    write_file(&mut c, vid, d, "t108 new file name", b"red");
    let fork = c.open_data_rw(vid, ROOT, "t108 exchange file").unwrap();
    assert_eq!(
        xchg(&mut c, ROOT, "t108 exchange file", d, "t108 new file name"),
        ResultCode::NO_ERR
    );
    // Contents swapped; IDs and Finder info stay with the names (test108, test342).
    assert_eq!(read_file(&mut c, vid, ROOT, "t108 exchange file"), b"red");
    assert_eq!(read_file(&mut c, vid, d, "t108 new file name"), b"blue");
    assert_eq!(fid(&mut c, vid, ROOT, "t108 exchange file"), a);
    assert_eq!(fid(&mut c, vid, d, "t108 new file name"), b);
    let f = file(
        &mut c,
        vid,
        ROOT,
        "t108 exchange file",
        FileBitmap::FINDER_INFO,
    )
    .unwrap();
    assert_eq!(&f.finder_info.unwrap().0[0..8], b"TESTTEST");
    // test111: the open fork follows the contents.
    c.write_all(fork, 0, b"new!").unwrap();
    c.close_fork(fork).unwrap();
    assert_eq!(read_file(&mut c, vid, d, "t108 new file name"), b"new!");
    // Errors: same object, a directory, a missing file.
    assert_eq!(
        xchg(
            &mut c,
            ROOT,
            "t108 exchange file",
            ROOT,
            "t108 exchange file"
        ),
        ResultCode::SAME_OBJECT_ERR
    );
    assert_eq!(
        xchg(&mut c, ROOT, "t108 exchange file", ROOT, "t108 dir"),
        ResultCode::OBJECT_TYPE_ERR
    );
    assert_eq!(
        xchg(&mut c, ROOT, "t108 dir", ROOT, "t108 exchange file"),
        ResultCode::OBJECT_TYPE_ERR
    );
    assert_eq!(
        xchg(&mut c, ROOT, "nope", ROOT, "t108 exchange file"),
        ResultCode::ID_NOT_FOUND
    );
    assert_eq!(
        xchg(&mut c, ROOT, "t108 exchange file", ROOT, "nope"),
        ResultCode::ID_NOT_FOUND
    );
}

#[test]
fn open_close_sync_dir() {
    let (_srv, mut c, vid) = setup();
    let d = c.create_dir(vid, ROOT, "od").unwrap();
    c.create_file(vid, ROOT, "of", false).unwrap();
    let (r, body) = c.call(command::OpenDir {
        volume_id: vid,
        dir_id: ROOT,
        path: p("od"),
    });
    assert_eq!(r, ResultCode::NO_ERR);
    assert_eq!(&body[..], &d.to_be_bytes());
    assert_eq!(
        code(
            &mut c,
            command::OpenDir {
                volume_id: vid,
                dir_id: ROOT,
                path: p("of")
            }
        ),
        ResultCode::OBJECT_TYPE_ERR
    );
    assert_eq!(
        code(
            &mut c,
            command::CloseDir {
                volume_id: vid,
                dir_id: d
            }
        ),
        ResultCode::NO_ERR
    );
    assert_eq!(
        code(
            &mut c,
            command::SyncDir {
                volume_id: vid,
                dir_id: d
            }
        ),
        ResultCode::NO_ERR
    );
    assert_eq!(
        code(
            &mut c,
            command::SyncDir {
                volume_id: vid,
                dir_id: ROOT
            }
        ),
        ResultCode::NO_ERR
    );
    assert_eq!(
        code(
            &mut c,
            command::SyncDir {
                volume_id: vid,
                dir_id: 99_999
            }
        ),
        ResultCode::OBJECT_NOT_FOUND
    );
    assert_eq!(
        code(
            &mut c,
            command::SyncDir {
                volume_id: vid + 1,
                dir_id: d
            }
        ),
        ResultCode::PARAM_ERR
    );
}
