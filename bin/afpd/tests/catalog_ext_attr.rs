//! Extended attributes through the real server: FPGetExtAttr, FPSetExtAttr,
//! FPRemoveExtAttr, FPListExtAttrs (netatalk's spectest FPGetExtAttr.c facts: create and
//! replace flags, sizes, MaxReplySize, kFPItemNotFound vs kFPMiscErr by AFP version, copies
//! keep attributes) and the synthetic `com.apple.*` names.

mod catalog_common;
mod common;

use afp_proto::command::{self, ExtAttrBitmap};
use afp_proto::uam::Uam;
use afp_proto::{AfpVersion, ResultCode};
use bytes::Bytes;
use catalog_common::*;
use common::{AfpClient, TestServer};

fn set(
    c: &mut AfpClient,
    vid: u16,
    path: &str,
    bitmap: ExtAttrBitmap,
    name: &str,
    data: &[u8],
) -> ResultCode {
    code(
        c,
        command::SetExtAttr {
            volume_id: vid,
            dir_id: ROOT,
            bitmap,
            offset: 0,
            path: p(path),
            name: Bytes::copy_from_slice(name.as_bytes()),
            data: Bytes::copy_from_slice(data),
        },
    )
}

fn get(c: &mut AfpClient, vid: u16, path: &str, name: &str, max: u32) -> (ResultCode, Bytes) {
    c.call(command::GetExtAttr {
        volume_id: vid,
        dir_id: ROOT,
        bitmap: ExtAttrBitmap::empty(),
        offset: 0,
        req_count: -1,
        max_reply_size: max,
        path: p(path),
        name: Bytes::copy_from_slice(name.as_bytes()),
    })
}

fn remove(c: &mut AfpClient, vid: u16, path: &str, name: &str) -> ResultCode {
    code(
        c,
        command::RemoveExtAttr {
            volume_id: vid,
            dir_id: ROOT,
            bitmap: ExtAttrBitmap::empty(),
            path: p(path),
            name: Bytes::copy_from_slice(name.as_bytes()),
        },
    )
}

fn list(c: &mut AfpClient, vid: u16, path: &str) -> Vec<String> {
    let (r, body) = c.call(command::ListExtAttrs {
        volume_id: vid,
        dir_id: ROOT,
        bitmap: ExtAttrBitmap::empty(),
        req_count: 0,
        start_index: 0,
        max_reply_size: 4096,
        path: p(path),
    });
    assert_eq!(r, ResultCode::NO_ERR);
    let l = command::ExtAttrList::decode(&body).unwrap();
    l.iter()
        .map(|n| String::from_utf8(n.to_vec()).unwrap())
        .collect()
}

#[test]
fn set_get_list_remove() {
    let (srv, mut c, vid) = setup();
    c.create_file(vid, ROOT, "test399_file", false).unwrap();
    let create = ExtAttrBitmap::CREATE;
    assert_eq!(
        set(
            &mut c,
            vid,
            "test399_file",
            create,
            "test399_attribute",
            b"test399_data"
        ),
        ResultCode::NO_ERR
    );
    let (r, body) = get(&mut c, vid, "test399_file", "test399_attribute", 4096);
    assert_eq!(r, ResultCode::NO_ERR);
    let v = command::ExtAttrData::decode(&body).unwrap();
    assert_eq!(&v.data[..], b"test399_data");
    // The create flag on an existing attribute.
    assert_eq!(
        set(
            &mut c,
            vid,
            "test399_file",
            create,
            "test399_attribute",
            b"new"
        ),
        ResultCode::OBJECT_EXISTS
    );
    assert_eq!(list(&mut c, vid, "test399_file"), ["test399_attribute"]);
    assert_eq!(
        set(
            &mut c,
            vid,
            "test399_file",
            ExtAttrBitmap::REPLACE,
            "test399_attribute",
            b"test399_newdata"
        ),
        ResultCode::NO_ERR
    );
    // The replace flag on a missing attribute.
    assert_eq!(
        set(
            &mut c,
            vid,
            "test399_file",
            ExtAttrBitmap::REPLACE,
            "missing",
            b"x"
        ),
        ResultCode::MISC_ERR
    );
    // It is a native user. attribute on disk.
    let path = srv.volume_path("test1").join("test399_file");
    let cpath = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    let mut buf = [0u8; 64];
    // SAFETY: valid strings, buffer of the given size.
    let n = unsafe {
        libc::getxattr(
            cpath.as_ptr(),
            c"user.test399_attribute".as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    assert_eq!(&buf[..n as usize], b"test399_newdata");
    assert_eq!(
        remove(&mut c, vid, "test399_file", "test399_attribute"),
        ResultCode::NO_ERR
    );
    // Missing: kFPItemNotFound on AFP 3.4; removing again: kFPMiscErr (test399).
    assert_eq!(
        get(&mut c, vid, "test399_file", "test399_attribute", 4096).0,
        ResultCode::ITEM_NOT_FOUND
    );
    assert_eq!(
        remove(&mut c, vid, "test399_file", "test399_attribute"),
        ResultCode::MISC_ERR
    );
    // netatalk's own attributes are neither listed nor reachable.
    assert!(
        list(&mut c, vid, "test399_file")
            .iter()
            .all(|n| !n.starts_with("org.netatalk"))
    );
    assert_eq!(
        get(&mut c, vid, "test399_file", "org.netatalk.Metadata", 4096).0,
        ResultCode::ITEM_NOT_FOUND
    );
    assert_eq!(
        set(
            &mut c,
            vid,
            "test399_file",
            ExtAttrBitmap::empty(),
            "org.netatalk.Metadata",
            b"x"
        ),
        ResultCode::MISC_ERR
    );
    // Bad volume: kFPAccessDenied; missing object: kFPObjectNotFound; values over 3802
    // bytes: kFPParamErr. (ext4 keeps all attributes of a file in one 4 KiB block, so a
    // value just under the cap does not fit next to netatalk's metadata there.)
    assert_eq!(
        get(&mut c, vid + 1, "test399_file", "a", 4096).0,
        ResultCode::ACCESS_DENIED
    );
    assert_eq!(
        get(&mut c, vid, "nope", "a", 4096).0,
        ResultCode::OBJECT_NOT_FOUND
    );
    assert_eq!(
        set(
            &mut c,
            vid,
            "test399_file",
            ExtAttrBitmap::empty(),
            "big",
            &[7; 3803]
        ),
        ResultCode::PARAM_ERR
    );
    assert_eq!(
        set(
            &mut c,
            vid,
            "test399_file",
            ExtAttrBitmap::empty(),
            "big",
            &[7; 3000]
        ),
        ResultCode::NO_ERR
    );
}

#[test]
fn reply_size_rules() {
    let (_srv, mut c, vid) = setup();
    c.create_file(vid, ROOT, "test432_file", false).unwrap();
    assert_eq!(
        set(
            &mut c,
            vid,
            "test432_file",
            ExtAttrBitmap::CREATE,
            "test432_attribute",
            b"1234567890"
        ),
        ResultCode::NO_ERR
    );
    // test432: no truncated values: MaxReplySize must hold 6 bytes plus the value.
    for max in [1, 6, 7, 15] {
        assert_eq!(
            get(&mut c, vid, "test432_file", "test432_attribute", max).0,
            ResultCode::PARAM_ERR,
            "{max}"
        );
    }
    for max in [16, 17] {
        let (r, body) = get(&mut c, vid, "test432_file", "test432_attribute", max);
        assert_eq!(r, ResultCode::NO_ERR);
        assert_eq!(command::ExtAttrData::decode(&body).unwrap().length, 10);
    }
    // MaxReplySize 0: the size only.
    let (r, body) = get(&mut c, vid, "test432_file", "test432_attribute", 0);
    assert_eq!(r, ResultCode::NO_ERR);
    let v = command::ExtAttrData::decode(&body).unwrap();
    assert_eq!((v.length, v.data.len()), (10, 0));
}

#[test]
fn copies_keep_attributes_and_synthetic_names() {
    let (_srv, mut c, vid) = setup();
    c.create_file(vid, ROOT, "test416_file", false).unwrap();
    assert_eq!(
        set(
            &mut c,
            vid,
            "test416_file",
            ExtAttrBitmap::CREATE,
            "test416_attribute",
            b"test416_data"
        ),
        ResultCode::NO_ERR
    );
    let copy = command::CopyFile {
        src_volume_id: vid,
        src_dir_id: ROOT,
        dst_volume_id: vid,
        dst_dir_id: ROOT,
        src_path: p("test416_file"),
        dst_path: p(""),
        new_name: p("test416 new file"),
    };
    assert_eq!(code(&mut c, copy), ResultCode::NO_ERR);
    let (r, body) = get(&mut c, vid, "test416 new file", "test416_attribute", 4096);
    assert_eq!(r, ResultCode::NO_ERR);
    assert_eq!(
        &command::ExtAttrData::decode(&body).unwrap().data[..],
        b"test416_data"
    );
    // Finder info not all zeros and a resource fork appear as com.apple.* names.
    let mut fi = [0u8; 32];
    fi[0..8].copy_from_slice(b"TEXTttxt");
    let fp = afp_proto::params::FileParams {
        finder_info: Some(afp_proto::params::FinderInfo(fi)),
        ..Default::default()
    };
    assert_eq!(
        set_file(&mut c, vid, ROOT, "test416_file", &fp),
        ResultCode::NO_ERR
    );
    let rf = c
        .open_fork(
            vid,
            ROOT,
            "test416_file",
            true,
            command::AccessMode::READ | command::AccessMode::WRITE,
            afp_proto::params::FileBitmap::empty(),
        )
        .unwrap()
        .fork;
    c.write_all(rf, 0, b"rsrc").unwrap();
    c.close_fork(rf).unwrap();
    let mut names = list(&mut c, vid, "test416_file");
    names.sort();
    assert_eq!(
        names,
        [
            "com.apple.FinderInfo",
            "com.apple.ResourceFork",
            "test416_attribute"
        ]
    );
    // Size only.
    let (r, body) = c.call(command::ListExtAttrs {
        volume_id: vid,
        dir_id: ROOT,
        bitmap: ExtAttrBitmap::empty(),
        req_count: 0,
        start_index: 0,
        max_reply_size: 0,
        path: p("test416_file"),
    });
    assert_eq!(r, ResultCode::NO_ERR);
    let l = command::ExtAttrList::decode(&body).unwrap();
    assert_eq!(
        l.length as usize,
        "com.apple.FinderInfo\0com.apple.ResourceFork\0test416_attribute\0".len()
    );
    // Directories carry attributes too.
    c.create_dir(vid, ROOT, "ea dir").unwrap();
    assert_eq!(
        set(
            &mut c,
            vid,
            "ea dir",
            ExtAttrBitmap::empty(),
            "on a dir",
            b"yes"
        ),
        ResultCode::NO_ERR
    );
    assert!(list(&mut c, vid, "ea dir").contains(&"on a dir".to_owned()));
}

#[test]
fn missing_attribute_before_afp_3_4() {
    let srv = TestServer::builder().volume("test1").start();
    let u = srv.user();
    let mut c = srv.connect();
    assert_eq!(
        c.login_version("AFP3.3", &u.name, &u.password, Uam::CleartxtPasswrd, false),
        ResultCode::NO_ERR
    );
    c.set_version(AfpVersion::V3_3);
    let vid = c.open_volume("test1");
    c.create_file(vid, ROOT, "f", false).unwrap();
    assert_eq!(
        get(&mut c, vid, "f", "nothing", 4096).0,
        ResultCode::MISC_ERR
    );
}
