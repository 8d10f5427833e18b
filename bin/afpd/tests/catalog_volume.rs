//! Volume commands through the real server: FPGetSrvrParms, FPOpenVol, FPCloseVol,
//! FPGetVolParms, FPSetVolParms, FPFlush, with netatalk's result codes (spectest
//! FPOpenVol.c, FPGetVolParms.c, FPSetVolParms.c) and the Time Machine size limit.

mod common;

use afp_proto::command::{self, Request};
use afp_proto::params::{VolumeAttributes, VolumeBitmap, VolumeParams};
use afp_proto::uam::Uam;
use afp_proto::{AfpDate, AfpVersion, ResultCode};
use bytes::Bytes;
use common::TestServer;

fn all_bits() -> VolumeBitmap {
    VolumeBitmap::from_bits_retain(0x0FFF)
}

#[test]
fn srvr_parms_lists_the_volumes() {
    let srv = TestServer::builder()
        .volume("test1")
        .volume("Données")
        .start();
    let mut c = srv.login();
    let p = c.get_srvr_parms().unwrap();
    let names: Vec<&[u8]> = p.volumes.iter().map(|v| &v.name[..]).collect();
    // AFP 3: UTF-8, decomposed.
    assert_eq!(names, [&b"test1"[..], "Donne\u{301}es".as_bytes()]);
    // HasUNIXPrivs on AFP 3, no password.
    assert!(p.volumes.iter().all(|v| v.flags == 0x01));
}

#[test]
fn open_vol_errors_and_double_open() {
    let srv = TestServer::builder().volume("test1").start();
    let mut c = srv.login();
    // spectest test205: bitmap 0 and 0xffff → kFPBitmapErr; unknown name → kFPObjectNotFound.
    assert_eq!(
        c.open_vol("test1", VolumeBitmap::empty()),
        Err(ResultCode::BITMAP_ERR)
    );
    assert_eq!(
        c.open_vol("test1", VolumeBitmap::from_bits_retain(0xffff)),
        Err(ResultCode::BITMAP_ERR)
    );
    assert_eq!(
        c.open_vol("uest1", VolumeBitmap::VOLUME_ID),
        Err(ResultCode::OBJECT_NOT_FOUND)
    );
    let a = c.open_volume("test1");
    // Case-insensitive name; a second open answers the same ID.
    let b = c.open_volume("TEST1");
    assert_eq!(a, b);
    assert_eq!(c.close_vol(a), Ok(()));
    assert_eq!(c.close_vol(a), Err(ResultCode::PARAM_ERR));
    let again = c.open_volume("test1");
    assert_eq!(again, a, "volume IDs are stable in a session");
}

#[test]
fn volume_parameters() {
    let srv = TestServer::builder().volume("test1").start();
    let mut c = srv.login();
    let vid = c.open_volume("test1");
    let p = c.get_vol_parms(vid, all_bits()).unwrap();
    assert_eq!(p.signature, Some(2));
    assert_eq!(p.volume_id, Some(vid));
    assert_eq!(p.name.as_deref(), Some(&b"test1"[..]));
    let a = p.attributes.unwrap();
    for want in [
        VolumeAttributes::SUPPORTS_FILE_IDS,
        VolumeAttributes::SUPPORTS_UNIX_PRIVS,
        VolumeAttributes::SUPPORTS_UTF8_NAMES,
        VolumeAttributes::NO_NETWORK_USER_IDS,
        VolumeAttributes::SUPPORTS_EXT_ATTRS,
    ] {
        assert!(a.contains(want), "{want:?} missing from {a:?}");
    }
    assert!(!a.contains(VolumeAttributes::READ_ONLY));
    assert!(!a.contains(VolumeAttributes::SUPPORTS_TM_LOCK_STEAL));
    assert!(!a.contains(VolumeAttributes::SUPPORTS_ACLS));
    assert!(p.ext_bytes_total.unwrap() >= p.ext_bytes_free.unwrap());
    assert_eq!(p.backup_date, Some(AfpDate::NEVER));
    // spectest test56: unknown volume → kFPParamErr, bad bits → kFPBitmapErr.
    assert_eq!(
        c.get_vol_parms(vid + 1, VolumeBitmap::ATTRIBUTES),
        Err(ResultCode::PARAM_ERR)
    );
    assert_eq!(
        c.get_vol_parms(vid, VolumeBitmap::from_bits_retain(0xffff)),
        Err(ResultCode::BITMAP_ERR)
    );
}

#[test]
fn ext_attrs_only_from_afp_3_2() {
    let srv = TestServer::builder().volume("test1").start();
    let u = srv.user();
    let mut c = srv.connect();
    assert_eq!(
        c.login_version("AFP3.1", &u.name, &u.password, Uam::CleartxtPasswrd, false),
        ResultCode::NO_ERR
    );
    c.set_version(AfpVersion::V3_1);
    let p = c
        .open_vol("test1", VolumeBitmap::VOLUME_ID | VolumeBitmap::ATTRIBUTES)
        .unwrap();
    let a = p.attributes.unwrap();
    assert!(!a.contains(VolumeAttributes::SUPPORTS_EXT_ATTRS));
    assert!(a.contains(VolumeAttributes::SUPPORTS_UTF8_NAMES));
}

#[test]
fn set_vol_parms_backup_date_only() {
    let srv = TestServer::builder().volume("test1").start();
    let mut c = srv.login();
    let vid = c.open_volume("test1");
    let p = c
        .get_vol_parms(vid, VolumeBitmap::MOD_DATE | VolumeBitmap::BACKUP_DATE)
        .unwrap();
    let mdate = p.mod_date.unwrap();
    let set =
        |vid, params: &VolumeParams| Request::SetVolParms(command::SetVolParms::new(vid, params));
    let backup = VolumeParams {
        backup_date: Some(mdate),
        ..VolumeParams::default()
    };
    assert_eq!(c.call(set(vid + 1, &backup)).0, ResultCode::PARAM_ERR);
    let raw = command::SetVolParms {
        volume_id: vid,
        bitmap: VolumeBitmap::from_bits_retain(0xffff),
        params: Bytes::from_static(&[0; 64]),
    };
    assert_eq!(c.call(raw).0, ResultCode::BITMAP_ERR);
    assert_eq!(c.call(set(vid, &backup)).0, ResultCode::NO_ERR);
    let p = c
        .get_vol_parms(vid, VolumeBitmap::MOD_DATE | VolumeBitmap::BACKUP_DATE)
        .unwrap();
    assert_eq!(p.backup_date, Some(mdate));
    assert_eq!(p.mod_date, Some(mdate));
    assert_eq!(
        c.call(command::Flush { volume_id: vid }).0,
        ResultCode::NO_ERR
    );
    assert_eq!(
        c.call(command::Flush { volume_id: vid + 7 }).0,
        ResultCode::PARAM_ERR
    );
}

#[test]
fn read_only_volume() {
    let srv = TestServer::builder()
        .volume("ro")
        .volume_option("ro", "read only", "yes")
        .start();
    let mut c = srv.login();
    let p = c
        .open_vol("ro", VolumeBitmap::VOLUME_ID | VolumeBitmap::ATTRIBUTES)
        .unwrap();
    let vid = p.volume_id.unwrap();
    assert!(p.attributes.unwrap().contains(VolumeAttributes::READ_ONLY));
    assert_eq!(
        c.create_file(vid, 2, "x", false),
        Err(ResultCode::VOL_LOCKED)
    );
    assert_eq!(c.create_dir(vid, 2, "d"), Err(ResultCode::VOL_LOCKED));
    let backup = VolumeParams {
        backup_date: Some(AfpDate(5)),
        ..VolumeParams::default()
    };
    assert_eq!(
        c.call(command::SetVolParms::new(vid, &backup)).0,
        ResultCode::VOL_LOCKED
    );
}

#[test]
fn time_machine_volume_size_limit() {
    let srv = TestServer::builder()
        .volume("tm")
        .volume_option("tm", "time machine", "yes")
        .volume_option("tm", "vol size limit", "100")
        .start();
    let root = srv.volume_path("tm").to_path_buf();
    let bundle = root.join("mac.sparsebundle");
    std::fs::create_dir_all(bundle.join("bands")).unwrap();
    std::fs::write(
        bundle.join("Info.plist"),
        "<plist><dict><key>band-size</key><integer>8388608</integer></dict></plist>",
    )
    .unwrap();
    for i in 0..4 {
        std::fs::write(bundle.join("bands").join(format!("{i:x}")), b"").unwrap();
    }
    chown_tree(&root, srv.user().uid(), srv.user().gid());
    let mut c = srv.login();
    let p = c.open_vol("tm", all_bits()).unwrap();
    assert!(
        p.attributes
            .unwrap()
            .contains(VolumeAttributes::SUPPORTS_TM_LOCK_STEAL)
    );
    assert_eq!(p.ext_bytes_total, Some(100 << 20));
    assert_eq!(p.ext_bytes_free, Some((100 << 20) - 3 * 8_388_608));
    assert_eq!(p.bytes_total, Some(100 << 20));
}

/// chown -R (the test creates files as root in the user's volume).
fn chown_tree(p: &std::path::Path, uid: u32, gid: u32) {
    common::chown(p, uid, gid);
    if p.is_dir() {
        for e in std::fs::read_dir(p).unwrap() {
            chown_tree(&e.unwrap().path(), uid, gid);
        }
    }
}
