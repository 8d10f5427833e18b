//! File IDs through the real server: FPCreateID, FPResolveID, FPDeleteID (netatalk's
//! spectest FPResolveID.c facts), IDs stable across renames, moves and a server restart,
//! and metadata written in netatalk's layout keeping its Finder info, comment and CNID.

mod catalog_common;
mod common;

use afp_proto::ResultCode;
use afp_proto::command::{self, Reply};
use afp_proto::params::{DirBitmap, FileBitmap};
use catalog_common::*;
use common::{AfpClient, TestServer};

fn resolve(
    c: &mut AfpClient,
    vid: u16,
    id: u32,
    bitmap: FileBitmap,
) -> Result<afp_proto::params::FileParams, ResultCode> {
    match c.request(command::ResolveId {
        volume_id: vid,
        file_id: id,
        bitmap,
    })? {
        Reply::ResolveId(p) => Ok(p),
        r => panic!("{r:?}"),
    }
}

#[test]
fn create_resolve_delete_id() {
    let (_srv, mut c, vid) = setup();
    let d = c.create_dir(vid, ROOT, "t id dir").unwrap();
    c.create_file(vid, d, "t id file", false).unwrap();
    // Every file has an ID once seen: kFPIDExists with the ID in the reply.
    let (r, body) = c.call(command::CreateId {
        volume_id: vid,
        dir_id: d,
        path: p("t id file"),
    });
    assert_eq!(r, ResultCode::ID_EXISTS);
    let id = u32::from_be_bytes(body[..4].try_into().unwrap());
    assert_eq!(id, fid(&mut c, vid, d, "t id file"));
    assert_eq!(
        c.call(command::CreateId {
            volume_id: vid,
            dir_id: ROOT,
            path: p("t id dir")
        })
        .0,
        ResultCode::OBJECT_TYPE_ERR
    );
    assert_eq!(
        c.call(command::CreateId {
            volume_id: vid,
            dir_id: d,
            path: p("nope")
        })
        .0,
        ResultCode::OBJECT_NOT_FOUND
    );
    // ResolveID: the file wherever it is now.
    let f = resolve(
        &mut c,
        vid,
        id,
        FileBitmap::PARENT_DIR_ID | FileBitmap::LONG_NAME | FileBitmap::NODE_ID,
    )
    .unwrap();
    assert_eq!((f.parent_id, f.node_id), (Some(d), Some(id)));
    assert_eq!(f.long_name.as_deref(), Some(&b"t id file"[..]));
    // ID 0, unknown IDs, and a directory's ID on AFP 3: kFPIDNotFound.
    assert_eq!(
        resolve(&mut c, vid, 0, FileBitmap::NODE_ID).unwrap_err(),
        ResultCode::ID_NOT_FOUND
    );
    assert_eq!(
        resolve(&mut c, vid, 0x00ff_ffff, FileBitmap::NODE_ID).unwrap_err(),
        ResultCode::ID_NOT_FOUND
    );
    assert_eq!(
        resolve(&mut c, vid, d, FileBitmap::NODE_ID).unwrap_err(),
        ResultCode::ID_NOT_FOUND
    );
    assert_eq!(
        resolve(&mut c, vid, id, FileBitmap::from_bits_retain(0xffff)).unwrap_err(),
        ResultCode::BITMAP_ERR
    );
    // DeleteID: a directory's → kFPObjectTypeErr; then the file's ID is gone.
    assert_eq!(
        c.call(command::DeleteId {
            volume_id: vid,
            file_id: d
        })
        .0,
        ResultCode::OBJECT_TYPE_ERR
    );
    assert_eq!(
        c.call(command::DeleteId {
            volume_id: vid,
            file_id: id
        })
        .0,
        ResultCode::NO_ERR
    );
    assert_eq!(
        c.call(command::DeleteId {
            volume_id: vid,
            file_id: id
        })
        .0,
        ResultCode::ID_NOT_FOUND
    );
    assert_eq!(
        resolve(&mut c, vid, id, FileBitmap::NODE_ID).unwrap_err(),
        ResultCode::ID_NOT_FOUND
    );
    // A file whose ID record outlived it: kFPObjectNotFound, and the record goes.
    c.create_file(vid, d, "t id gone", false).unwrap();
    let gone = fid(&mut c, vid, d, "t id gone");
    std::fs::remove_file(_srv.volume_path("test1").join("t id dir/t id gone")).unwrap();
    assert_eq!(
        c.call(command::DeleteId {
            volume_id: vid,
            file_id: gone
        })
        .0,
        ResultCode::OBJECT_NOT_FOUND
    );
    assert_eq!(
        c.call(command::DeleteId {
            volume_id: vid,
            file_id: gone
        })
        .0,
        ResultCode::ID_NOT_FOUND
    );
}

#[test]
fn ids_survive_renames_moves_and_restarts() {
    let mut srv = TestServer::builder().volume("test1").start();
    let (f_id, d_id, sub_id);
    {
        let mut c = srv.login();
        let vid = c.open_volume("test1");
        d_id = c.create_dir(vid, ROOT, "folder").unwrap();
        sub_id = c.create_dir(vid, d_id, "sub").unwrap();
        c.create_file(vid, sub_id, "doc.txt", false).unwrap();
        f_id = fid(&mut c, vid, sub_id, "doc.txt");
        c.rename(vid, sub_id, "doc.txt", "renamed.txt").unwrap();
        c.move_and_rename(vid, ROOT, "folder", ROOT, "", "Folder 2")
            .unwrap();
        assert_eq!(fid(&mut c, vid, sub_id, "renamed.txt"), f_id);
        assert_eq!(did_of(&mut c, vid, ROOT, "Folder 2"), d_id);
    }
    srv.restart();
    let mut c = srv.login();
    let vid = c.open_volume("test1");
    assert_eq!(did_of(&mut c, vid, ROOT, "Folder 2"), d_id);
    assert_eq!(did_of(&mut c, vid, d_id, "sub"), sub_id);
    assert_eq!(fid(&mut c, vid, sub_id, "renamed.txt"), f_id);
    let f = resolve(&mut c, vid, f_id, FileBitmap::PARENT_DIR_ID).unwrap();
    assert_eq!(f.parent_id, Some(sub_id));
    // The directory ID resolves straight to the directory after the restart.
    let p = dir(
        &mut c,
        vid,
        sub_id,
        "",
        DirBitmap::PARENT_DIR_ID | DirBitmap::LONG_NAME,
    )
    .unwrap();
    assert_eq!(p.parent_id, Some(d_id));
    assert_eq!(p.long_name.as_deref(), Some(&b"sub"[..]));
}

/// The `org.netatalk.Metadata` value netatalk writes on x86-64 (402 bytes): FinderInfo,
/// a comment and the CNID cached for (dev, ino).
fn netatalk_metadata(fi: &[u8; 32], comment: &[u8], dev: u64, ino: u64, cnid: u32) -> Vec<u8> {
    let mut b = vec![0u8; 402];
    b[0..4].copy_from_slice(&[0x00, 0x05, 0x16, 0x07]);
    b[4..8].copy_from_slice(&[0x00, 0x02, 0x00, 0x00]);
    b[24..26].copy_from_slice(&[0, 8]);
    let descs: [(u32, u32, u32); 8] = [
        (4, 154, comment.len() as u32),
        (8, 354, 16),
        (9, 122, 32),
        (14, 370, 4),
        (0x8044_4556, 374, 8),
        (0x8049_4E4F, 382, 8),
        (0x8053_594E, 390, 8),
        (0x8053_567E, 398, 4),
    ];
    for (i, (id, off, len)) in descs.iter().enumerate() {
        let d = 26 + 12 * i;
        b[d..d + 4].copy_from_slice(&id.to_be_bytes());
        b[d + 4..d + 8].copy_from_slice(&off.to_be_bytes());
        b[d + 8..d + 12].copy_from_slice(&len.to_be_bytes());
    }
    b[122..154].copy_from_slice(fi);
    b[154..154 + comment.len()].copy_from_slice(comment);
    b[354..358].copy_from_slice(&100i32.to_be_bytes());
    b[358..362].copy_from_slice(&200i32.to_be_bytes());
    b[362..366].copy_from_slice(&i32::MIN.to_be_bytes());
    b[374..382].copy_from_slice(&dev.to_le_bytes());
    b[382..390].copy_from_slice(&ino.to_le_bytes());
    b[390..398].copy_from_slice(b"STAMP123");
    b[398..402].copy_from_slice(&cnid.to_le_bytes());
    b
}

#[test]
fn netatalk_metadata_is_kept() {
    let (srv, mut c, vid) = setup();
    let path = srv.volume_path("test1").join("from netatalk.txt");
    std::fs::write(&path, b"old data").unwrap();
    common::chown(&path, srv.user().uid(), srv.user().gid());
    let md = std::fs::metadata(&path).unwrap();
    let mut fi = [0u8; 32];
    fi[0..8].copy_from_slice(b"TEXTttxt");
    let value = netatalk_metadata(
        &fi,
        b"a comment from netatalk",
        std::os::unix::fs::MetadataExt::dev(&md),
        std::os::unix::fs::MetadataExt::ino(&md),
        4711,
    );
    let cpath = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: valid NUL-terminated strings and a buffer of the given length.
    let r = unsafe {
        libc::setxattr(
            cpath.as_ptr(),
            c"user.org.netatalk.Metadata".as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            0,
        )
    };
    assert_eq!(r, 0, "setxattr: {}", std::io::Error::last_os_error());
    let f = file(
        &mut c,
        vid,
        ROOT,
        "from netatalk.txt",
        FileBitmap::NODE_ID
            | FileBitmap::FINDER_INFO
            | FileBitmap::CREATE_DATE
            | FileBitmap::BACKUP_DATE,
    )
    .unwrap();
    assert_eq!(f.node_id, Some(4711), "the CNID netatalk cached is kept");
    assert_eq!(&f.finder_info.unwrap().0[0..8], b"TEXTttxt");
    assert_eq!(f.create_date, Some(afp_proto::AfpDate(100)));
    assert_eq!(f.backup_date, Some(afp_proto::AfpDate::NEVER));
    let (r, body) = c.call(command::GetComment {
        dt_ref: vid,
        dir_id: ROOT,
        path: p("from netatalk.txt"),
    });
    assert_eq!(r, ResultCode::NO_ERR);
    assert_eq!(&body[1..], b"a comment from netatalk");
}
