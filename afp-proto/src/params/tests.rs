//! Unit tests of the parameter records.

use super::*;
use bytes::BytesMut;

fn enc(p: &FileParams) -> Bytes {
    let mut dst = BytesMut::new();
    p.encode(&mut dst);
    assert_eq!(dst.len(), p.encoded_len());
    dst.freeze()
}

#[test]
fn long_and_utf8_name_offsets_follow_fixed_part() {
    let p = FileParams {
        attributes: Some(FileAttributes::empty()),
        parent_id: Some(2),
        long_name: Some(Bytes::from_static(b"ab")),
        utf8_name: Some(AfpName::new(Bytes::from_static(b"ab"))),
        ..FileParams::default()
    };
    assert_eq!(p.bitmap().bits(), 0x2043);
    let b = enc(&p);
    assert_eq!(
        &b[..],
        &[
            0, 0, // attributes
            0, 0, 0, 2, // parent
            0, 14, // long name offset
            0, 17, 0, 0, 0, 0, // UTF-8 name offset + 4 reserved bytes
            2, b'a', b'b', // long name
            0, 0, 0, 0, 0, 2, b'a', b'b', // hint, len, UTF-8 name
        ][..]
    );
    assert_eq!(
        FileParams::decode(p.bitmap(), &b, AfpVersion::V3_4).unwrap(),
        p
    );
}

#[test]
fn masked_keeps_requested_fields() {
    let full = FileParams {
        attributes: Some(FileAttributes::empty()),
        node_id: Some(9),
        utf8_name: Some(AfpName::new(Bytes::from_static(b"x"))),
        unix_privs: Some(UnixPrivs::default()),
        ..FileParams::default()
    };
    let want = FileBitmap::NODE_ID | FileBitmap::UTF8_NAME | FileBitmap::DATA_FORK_LEN;
    let m = full.masked(want);
    assert_eq!(m.bitmap(), FileBitmap::NODE_ID | FileBitmap::UTF8_NAME);
    let d = DirParams {
        node_id: Some(2),
        owner_id: Some(1),
        ..DirParams::default()
    }
    .masked(DirBitmap::OWNER_ID);
    assert_eq!(d.bitmap(), DirBitmap::OWNER_ID);
    let v = VolumeParams {
        volume_id: Some(1),
        block_size: Some(4096),
        ..VolumeParams::default()
    }
    .masked(VolumeBitmap::VOLUME_ID);
    assert_eq!(v.bitmap(), VolumeBitmap::VOLUME_ID);
}

#[test]
fn empty_short_name_is_offset_zero() {
    let p = FileParams {
        short_name: Some(Bytes::new()),
        ..FileParams::default()
    };
    assert_eq!(&enc(&p)[..], &[0, 0]);
    assert_eq!(
        FileParams::decode(FileBitmap::SHORT_NAME, &enc(&p), AfpVersion::V3_4).unwrap(),
        p
    );
}

#[test]
fn bit13_depends_on_version() {
    let raw = Bytes::from_static(&[1, 0, 0, 2, 0, 0]);
    let afp2 = FileParams::decode(FileBitmap::UTF8_NAME, &raw, AfpVersion::V2_2).unwrap();
    assert_eq!(afp2.prodos_info, Some(ProDosInfo([1, 0, 0, 2, 0, 0])));
    assert_eq!(enc(&afp2), raw);
    // On AFP 3 the same bytes are offset 0x0100 → outside the block.
    assert_eq!(
        FileParams::decode(FileBitmap::UTF8_NAME, &raw, AfpVersion::V3_4),
        Err(DecodeError::BadOffset("UTF-8 name"))
    );
}

#[test]
fn undefined_bits_are_bitmap_errors() {
    let b = Bytes::from_static(&[0; 64]);
    assert!(matches!(
        FileParams::decode(FileBitmap::LAUNCH_LIMIT, &b, AfpVersion::V3_4),
        Err(DecodeError::BadBitmap { bitmap: 0x1000, .. })
    ));
    assert!(matches!(
        DirParams::decode(DirBitmap::from_bits_retain(0x4000), &b, AfpVersion::V3_4),
        Err(DecodeError::BadBitmap { .. })
    ));
    assert!(matches!(
        VolumeParams::decode(VolumeBitmap::from_bits_retain(0x1000), &b),
        Err(DecodeError::BadBitmap { .. })
    ));
    assert!(
        FileBitmap::from_bits_retain(0x0800)
            .check(AfpVersion::V2_2)
            .is_err()
    );
    assert!(
        FileBitmap::from_bits_retain(0x0800)
            .check(AfpVersion::V3_0)
            .is_ok()
    );
    assert!(
        VolumeBitmap::EXT_BYTES_FREE
            .check(AfpVersion::V2_1)
            .is_err()
    );
}

#[test]
fn volume_name_offset_counts_from_record_start() {
    let p = VolumeParams {
        attributes: Some(VolumeAttributes::SUPPORTS_UTF8_NAMES),
        volume_id: Some(7),
        name: Some(Bytes::from_static(b"Data")),
        ..VolumeParams::default()
    };
    let mut dst = BytesMut::new();
    p.encode(&mut dst);
    assert_eq!(&dst[..], &[0, 0x40, 0, 7, 0, 6, 4, b'D', b'a', b't', b'a']);
    assert_eq!(p.encoded_len(), dst.len());
    assert_eq!(VolumeParams::decode(p.bitmap(), &dst.freeze()).unwrap(), p);
}
