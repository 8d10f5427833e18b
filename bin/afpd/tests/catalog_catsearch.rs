//! FPCatSearch and FPCatSearchExt through the real server (the facts of netatalk's
//! spectest FPCatSearch.c test225): attribute criteria, partial names, paging with the
//! returned position, kFPEOFErr at the end, kFPCatalogChanged for a foreign position.

mod catalog_common;
mod common;

use std::collections::BTreeSet;

use afp_proto::AfpVersion;
use afp_proto::ResultCode;
use afp_proto::command::{self, CatSearchReply, EntryLength};
use afp_proto::params::{
    DirBitmap, FileAttributes, FileBitmap, FileDirParams, FileParams, VolumeAttributes,
    VolumeBitmap,
};
use bytes::{BufMut, Bytes, BytesMut};
use catalog_common::*;
use common::AfpClient;

const ATTR: u32 = 1;
const LNAME: u32 = 1 << 6;
const UTF8: u32 = 1 << 13;
const PARTIAL: u32 = 0x8000_0000;

#[allow(clippy::too_many_arguments)]
fn search(
    c: &mut AfpClient,
    vid: u16,
    matches: u32,
    pos: [u8; 16],
    fb: u16,
    db: u16,
    req: u32,
    s1: Bytes,
    s2: Bytes,
) -> (ResultCode, Option<CatSearchReply>) {
    let (r, body) = c.call(command::CatSearch {
        volume_id: vid,
        req_matches: matches,
        reserved: 0,
        position: pos,
        file_bitmap: FileBitmap::from_bits_retain(fb),
        dir_bitmap: DirBitmap::from_bits_retain(db),
        req_bitmap: req,
        spec1: s1,
        spec2: s2,
    });
    let reply = (r == ResultCode::NO_ERR || r == ResultCode::EOF_ERR)
        .then(|| CatSearchReply::decode(&body, EntryLength::Short, AfpVersion::V3_4).unwrap());
    (r, reply)
}

fn attr_spec(a: u16) -> Bytes {
    Bytes::copy_from_slice(&a.to_be_bytes())
}

#[test]
fn attribute_search() {
    let (_srv, mut c, vid) = setup();
    let p = c
        .open_vol("test1", VolumeBitmap::ATTRIBUTES | VolumeBitmap::VOLUME_ID)
        .unwrap();
    assert!(
        p.attributes
            .unwrap()
            .contains(VolumeAttributes::SUPPORTS_CAT_SEARCH)
    );
    c.create_file(vid, ROOT, "t225 file.txt", false).unwrap();
    let zero = [0u8; 16];
    // No result bitmap: kFPBitmapErr.
    let (r, _) = search(
        &mut c,
        vid,
        10,
        zero,
        0,
        0,
        ATTR,
        attr_spec(0x01a0),
        attr_spec(0x01a0),
    );
    assert_eq!(r, ResultCode::BITMAP_ERR);
    let (r, rep) = search(
        &mut c,
        vid,
        10,
        zero,
        0x42,
        0,
        ATTR,
        attr_spec(0x01a0),
        attr_spec(0x01a0),
    );
    assert_eq!(r, ResultCode::EOF_ERR);
    assert!(rep.unwrap().entries.is_empty());
    let set = FileParams {
        attributes: Some(FileAttributes::from_bits_retain(0x01a0) | FileAttributes::SET_CLEAR),
        ..FileParams::default()
    };
    assert_eq!(
        set_file(&mut c, vid, ROOT, "t225 file.txt", &set),
        ResultCode::NO_ERR
    );
    for a in [0x01a0, 0x0100] {
        let (r, rep) = search(
            &mut c,
            vid,
            10,
            zero,
            0x42,
            0,
            ATTR,
            attr_spec(a),
            attr_spec(a),
        );
        assert_eq!(r, ResultCode::EOF_ERR);
        let rep = rep.unwrap();
        assert_eq!(rep.entries.len(), 1, "{a:#x}");
        let FileDirParams::File(f) = &rep.entries[0] else {
            panic!()
        };
        assert_eq!(f.long_name.as_deref(), Some(&b"t225 file.txt"[..]));
        assert_eq!(f.parent_id, Some(ROOT));
    }
    // A position the server never gave: kFPCatalogChanged.
    let mut bogus = [0u8; 16];
    bogus[3] = 99;
    let (r, _) = search(
        &mut c,
        vid,
        10,
        bogus,
        0x42,
        0,
        ATTR,
        attr_spec(0x100),
        attr_spec(0x100),
    );
    assert_eq!(r, ResultCode::CATALOG_CHANGED);
    // Unknown volume.
    let (r, _) = search(
        &mut c,
        vid + 1,
        10,
        zero,
        0x42,
        0,
        ATTR,
        attr_spec(0),
        attr_spec(0),
    );
    assert_eq!(r, ResultCode::ACCESS_DENIED);
}

/// A specification with a long name: its offset field, then the pstr.
fn lname_spec(name: &[u8]) -> Bytes {
    let mut b = BytesMut::new();
    b.put_u16(2);
    b.put_u8(name.len() as u8);
    b.put_slice(name);
    b.freeze()
}

#[test]
fn partial_names_and_paging() {
    let (_srv, mut c, vid) = setup();
    let sub = c.create_dir(vid, ROOT, "Data folder").unwrap();
    for i in 0..25 {
        c.create_file(vid, sub, &format!("My Data {i:02}"), false)
            .unwrap();
    }
    c.create_file(vid, ROOT, "unrelated", false).unwrap();
    let mut found = BTreeSet::new();
    let mut pos = [0u8; 16];
    let mut calls = 0;
    loop {
        calls += 1;
        let (r, rep) = search(
            &mut c,
            vid,
            20,
            pos,
            0x42,
            0x42,
            PARTIAL | LNAME,
            lname_spec(b"data"),
            lname_spec(b""),
        );
        let rep = rep.unwrap_or_else(|| panic!("{r:?}"));
        for e in &rep.entries {
            let n = match e {
                FileDirParams::File(f) => f.long_name.clone().unwrap(),
                FileDirParams::Dir(d) => d.long_name.clone().unwrap(),
            };
            assert!(found.insert(String::from_utf8(n.to_vec()).unwrap()));
        }
        match r {
            ResultCode::NO_ERR => pos = rep.position,
            ResultCode::EOF_ERR => break,
            r => panic!("{r:?}"),
        }
        assert!(calls < 100);
    }
    assert!(calls > 1, "paged");
    assert_eq!(found.len(), 26, "25 files and the folder");
    assert!(found.contains("Data folder"));
    assert!(!found.contains("unrelated"));
    // Exact (not partial) match, FPCatSearchExt with a UTF-8 name.
    let mut s1 = BytesMut::new();
    s1.put_u16(2);
    s1.put_u32(0);
    s1.put_u16(10);
    s1.put_slice(b"my data 07");
    let mut s2 = BytesMut::new();
    s2.put_u16(2);
    s2.put_u32(0);
    s2.put_u16(0);
    let (r, body) = c.call(command::CatSearchExt {
        volume_id: vid,
        req_matches: 10,
        reserved: 0,
        position: [0; 16],
        file_bitmap: FileBitmap::NODE_ID | FileBitmap::UTF8_NAME,
        dir_bitmap: DirBitmap::NODE_ID,
        req_bitmap: UTF8,
        spec1: s1.freeze(),
        spec2: s2.freeze(),
    });
    assert_eq!(r, ResultCode::EOF_ERR);
    let rep = CatSearchReply::decode(&body, EntryLength::Long, AfpVersion::V3_4).unwrap();
    assert_eq!(rep.entries.len(), 1);
    let FileDirParams::File(f) = &rep.entries[0] else {
        panic!()
    };
    assert_eq!(&f.utf8_name.as_ref().unwrap().name[..], b"My Data 07");
}
