//! The desktop database through the real server: FPOpenDT/FPCloseDT, comments
//! (FPAddComment, FPGetComment, FPRemoveComment), icons (FPAddIcon over DSIWrite,
//! FPGetIcon, FPGetIconInfo) and APPL mappings (FPAddAPPL, FPGetAPPL, FPRemoveAPPL), with
//! the facts of netatalk's spectest FPAddIcon.c, FPGetIcon.c, FPGetAPPL.c, FPAddAPPL.c.

mod catalog_common;
mod common;

use afp_proto::ResultCode;
use afp_proto::command::{self, Reply};
use afp_proto::params::FileBitmap;
use bytes::{BufMut, Bytes, BytesMut};
use catalog_common::*;
use common::AfpClient;

fn open_dt(c: &mut AfpClient, vid: u16) -> u16 {
    match c.request(command::OpenDt { volume_id: vid }).unwrap() {
        Reply::OpenDt { dt_ref } => dt_ref,
        r => panic!("{r:?}"),
    }
}

#[test]
fn comments() {
    let (srv, mut c, vid) = setup();
    let dt = open_dt(&mut c, vid);
    assert_eq!(dt, vid, "netatalk answers the volume ID");
    assert_eq!(
        code(&mut c, command::OpenDt { volume_id: vid + 1 }),
        ResultCode::PARAM_ERR
    );
    c.create_file(vid, ROOT, "commented", false).unwrap();
    c.create_dir(vid, ROOT, "commented dir").unwrap();
    let get = |c: &mut AfpClient, path: &str| {
        c.call(command::GetComment {
            dt_ref: dt,
            dir_id: ROOT,
            path: p(path),
        })
    };
    assert_eq!(get(&mut c, "commented").0, ResultCode::ITEM_NOT_FOUND);
    for target in ["commented", "commented dir"] {
        let add = command::AddComment {
            dt_ref: dt,
            dir_id: ROOT,
            path: p(target),
            comment: Bytes::from_static(b"Hello, comment"),
        };
        assert_eq!(code(&mut c, add), ResultCode::NO_ERR);
        let (r, body) = get(&mut c, target);
        assert_eq!(r, ResultCode::NO_ERR);
        assert_eq!(&body[..], b"\x0eHello, comment");
    }
    // Kept in the metadata netatalk uses.
    let mut buf = [0u8; 512];
    let path = std::ffi::CString::new(
        srv.volume_path("test1")
            .join("commented")
            .as_os_str()
            .as_encoded_bytes(),
    )
    .unwrap();
    // SAFETY: valid strings, buffer of the given size.
    let n = unsafe {
        libc::getxattr(
            path.as_ptr(),
            c"user.org.netatalk.Metadata".as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    assert_eq!(n, 402);
    assert_eq!(&buf[154..168], b"Hello, comment");
    // Longer than 199 bytes: stored cut to 199, answered cut to 128 (netatalk's
    // `ad_getcomment`: "OSX only use 128").
    let long = command::AddComment {
        dt_ref: dt,
        dir_id: ROOT,
        path: p("commented"),
        comment: Bytes::from(vec![b'x'; 250]),
    };
    assert_eq!(code(&mut c, long), ResultCode::NO_ERR);
    let body = get(&mut c, "commented").1;
    assert_eq!(body.len(), 129);
    assert_eq!(body[0], 128);
    // SAFETY: valid strings, buffer of the given size.
    let n = unsafe {
        libc::getxattr(
            path.as_ptr(),
            c"user.org.netatalk.Metadata".as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    assert_eq!(n, 402);
    assert_eq!(&buf[154..353], &[b'x'; 199][..]);
    let rm = |path: &str| command::RemoveComment {
        dt_ref: dt,
        dir_id: ROOT,
        path: p(path),
    };
    assert_eq!(code(&mut c, rm("commented")), ResultCode::NO_ERR);
    assert_eq!(get(&mut c, "commented").0, ResultCode::ITEM_NOT_FOUND);
    // A deleted directory (spectest test172) and a missing object.
    let gone = c.create_dir(vid, ROOT, "gone").unwrap();
    c.delete(vid, gone, "").unwrap();
    let add = command::AddComment {
        dt_ref: dt,
        dir_id: gone,
        path: p("x"),
        comment: Bytes::from_static(b"c"),
    };
    assert_eq!(code(&mut c, add), ResultCode::OBJECT_NOT_FOUND);
    assert_eq!(
        code(
            &mut c,
            command::GetComment {
                dt_ref: dt,
                dir_id: gone,
                path: p("x")
            }
        ),
        ResultCode::OBJECT_NOT_FOUND
    );
    assert_eq!(
        code(
            &mut c,
            command::RemoveComment {
                dt_ref: dt,
                dir_id: gone,
                path: p("x")
            }
        ),
        ResultCode::OBJECT_NOT_FOUND
    );
    assert_eq!(get(&mut c, "no such file").0, ResultCode::ITEM_NOT_FOUND);
    assert_eq!(
        code(&mut c, command::CloseDt { dt_ref: dt }),
        ResultCode::NO_ERR
    );
}

fn add_icon(c: &mut AfpClient, dt: u16, itype: u8, tag: u32, data: &[u8]) -> ResultCode {
    let mut h = BytesMut::new();
    h.put_u8(192);
    h.put_u8(0);
    h.put_u16(dt);
    h.put_slice(b"ttxt");
    h.put_slice(b"3DMF");
    h.put_u8(itype);
    h.put_u8(0);
    h.put_u32(tag);
    h.put_u16(data.len() as u16);
    c.try_write_raw(h.freeze(), Bytes::copy_from_slice(data))
        .unwrap()
        .0
}

#[test]
fn icons() {
    let (_srv, mut c, vid) = setup();
    let dt = open_dt(&mut c, vid);
    let get = |c: &mut AfpClient, itype: u8, len: u16| {
        c.call(command::GetIcon {
            dt_ref: dt,
            creator: *b"ttxt",
            file_type: *b"3DMF",
            icon_type: itype,
            length: len,
        })
    };
    assert_eq!(get(&mut c, 1, 256).0, ResultCode::ITEM_NOT_FOUND);
    let icon256: Vec<u8> = (0..256).map(|i| i as u8).collect();
    let icon64: Vec<u8> = (0..64).map(|i| 255 - i as u8).collect();
    assert_eq!(add_icon(&mut c, dt, 1, 0, &icon256), ResultCode::NO_ERR);
    let (r, body) = get(&mut c, 1, 256);
    assert_eq!(r, ResultCode::NO_ERR);
    assert_eq!(&body[..], &icon256[..]);
    // Adding again replaces; another icon type is another icon.
    assert_eq!(add_icon(&mut c, dt, 1, 0, &icon256), ResultCode::NO_ERR);
    assert_eq!(add_icon(&mut c, dt, 4, 7, &icon64), ResultCode::NO_ERR);
    assert_eq!(&get(&mut c, 4, 64).1[..], &icon64[..]);
    // A different size for an existing icon: kFPIconTypeError.
    assert_eq!(
        add_icon(&mut c, dt, 4, 0, &icon256),
        ResultCode::ICON_TYPE_ERROR
    );
    assert_eq!(get(&mut c, 2, 512).0, ResultCode::ITEM_NOT_FOUND);
    // GetIconInfo: by index among the creator's icons.
    let info = |c: &mut AfpClient, idx: u16| {
        c.call(command::GetIconInfo {
            dt_ref: dt,
            creator: *b"ttxt",
            icon_index: idx,
        })
    };
    let (r, body) = info(&mut c, 2);
    assert_eq!(r, ResultCode::NO_ERR);
    let i = command::IconInfo::decode(&body).unwrap();
    assert_eq!((i.icon_tag, i.icon_type, i.size), (7, 4, 64));
    assert_eq!(info(&mut c, 256).0, ResultCode::ITEM_NOT_FOUND);
}

#[test]
fn appl_mappings() {
    let (srv, mut c, vid) = setup();
    let dt = open_dt(&mut c, vid);
    let get = |c: &mut AfpClient, bitmap: u16| {
        c.call(command::GetAppl {
            dt_ref: dt,
            creator: *b"ttxt",
            appl_index: 1,
            bitmap: FileBitmap::from_bits_retain(bitmap),
        })
    };
    let add = |c: &mut AfpClient, did: u32, path: &str| {
        code(
            c,
            command::AddAppl {
                dt_ref: dt,
                dir_id: did,
                creator: *b"ttxt",
                appl_tag: 0xafb4_71c0,
                path: p(path),
            },
        )
    };
    let d = c.create_dir(vid, ROOT, "t214 dir").unwrap();
    assert_eq!(get(&mut c, 0x42).0, ResultCode::ITEM_NOT_FOUND);
    // test214: directories are kFPObjectTypeErr; DID 1 with a wrong name not found.
    assert_eq!(add(&mut c, d, ""), ResultCode::OBJECT_TYPE_ERR);
    assert_eq!(add(&mut c, ROOT, "t214 dir"), ResultCode::OBJECT_TYPE_ERR);
    assert_eq!(add(&mut c, 1, "t214 dir"), ResultCode::OBJECT_NOT_FOUND);
    c.create_file(vid, ROOT, "t169 file", false).unwrap();
    assert_eq!(add(&mut c, ROOT, "t169 file"), ResultCode::NO_ERR);
    // test169: a bad bitmap; then the mapping with the file's parameters.
    assert_eq!(get(&mut c, 0xffff).0, ResultCode::BITMAP_ERR);
    let (r, body) = get(&mut c, 0x42);
    assert_eq!(r, ResultCode::NO_ERR);
    let info = command::ApplInfo::decode(&body, afp_proto::AfpVersion::V3_4).unwrap();
    assert_eq!(info.appl_tag, 0xafb4_71c0);
    assert_eq!(info.params.long_name.as_deref(), Some(&b"t169 file"[..]));
    assert_eq!(info.params.parent_id, Some(ROOT));
    // The application is gone (or is now a directory): not found, but the mapping can
    // still be removed.
    c.delete(vid, ROOT, "t169 file").unwrap();
    assert_eq!(get(&mut c, 0x42).0, ResultCode::ITEM_NOT_FOUND);
    c.create_dir(vid, ROOT, "t169 file").unwrap();
    assert_eq!(get(&mut c, 0x42).0, ResultCode::ITEM_NOT_FOUND);
    c.delete(vid, ROOT, "t169 file").unwrap();
    let rm = command::RemoveAppl {
        dt_ref: dt,
        dir_id: ROOT,
        creator: *b"ttxt",
        path: p("t169 file"),
    };
    assert_eq!(code(&mut c, rm.clone()), ResultCode::NO_ERR);
    assert_eq!(code(&mut c, rm), ResultCode::ITEM_NOT_FOUND);
    drop(srv);
}
