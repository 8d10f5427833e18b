//! FPGetForkParms, FPSetForkParms, FPFlushFork and FPSyncFork through the real server
//! (netatalk spectest FPGetForkParms.c, FPSetForkParms.c, T2_FPSetForkParms.c,
//! FPFlushFork.c), and modification dates.

mod common;

use std::time::Duration;

use afp_proto::ResultCode;
use afp_proto::command::{self, AccessMode};
use afp_proto::params::{FileBitmap, FileDirParams};
use bytes::Bytes;
use common::{AfpClient, DIR_ROOT, TestServer};

const R: AccessMode = AccessMode::READ;
const W: AccessMode = AccessMode::WRITE;

fn open(c: &mut AfpClient, vol: u16, name: &str, rsrc: bool, mode: AccessMode) -> u16 {
    c.open_fork(vol, DIR_ROOT, name, rsrc, mode, FileBitmap::empty())
        .unwrap()
        .fork
}

fn set(c: &mut AfpClient, fork: u16, bitmap: FileBitmap, value: &[u8]) -> ResultCode {
    c.call(command::SetForkParms {
        fork,
        bitmap,
        params: Bytes::copy_from_slice(value),
    })
    .0
}

#[test]
fn get_fork_parms_lengths_and_bitmap_errors() {
    // test21 / test50 / test192.
    let srv = TestServer::builder().volume("test1").start();
    let mut c = srv.login();
    let vol = c.open_volume("test1");
    c.create_file(vol, DIR_ROOT, "t21 file", false).unwrap();
    for rsrc in [false, true] {
        let (len, ext) = if rsrc {
            (FileBitmap::RSRC_FORK_LEN, FileBitmap::EXT_RSRC_FORK_LEN)
        } else {
            (FileBitmap::DATA_FORK_LEN, FileBitmap::EXT_DATA_FORK_LEN)
        };
        let f = open(&mut c, vol, "t21 file", rsrc, R | W);
        let f2 = open(&mut c, vol, "t21 file", rsrc, R | W);
        c.write(f, 0, Bytes::from(vec![1u8; 100])).unwrap();
        for fork in [f, f2] {
            let p = c.get_fork_parms(fork, len | ext).unwrap();
            let (short, long) = if rsrc {
                (p.rsrc_fork_len, p.ext_rsrc_fork_len)
            } else {
                (p.data_fork_len, p.ext_data_fork_len)
            };
            assert_eq!((short, long), (Some(100), Some(100)));
        }
        c.flush_fork(f).unwrap();
        let other = if rsrc {
            FileBitmap::DATA_FORK_LEN
        } else {
            FileBitmap::RSRC_FORK_LEN
        };
        assert_eq!(
            c.get_fork_parms(f, other | FileBitmap::MOD_DATE),
            Err(ResultCode::BITMAP_ERR)
        );
        c.close_fork(f).unwrap();
        c.close_fork(f2).unwrap();
    }
    // A write-only fork may ask for its own length.
    let w = open(&mut c, vol, "t21 file", false, W);
    assert!(c.get_fork_parms(w, FileBitmap::DATA_FORK_LEN).is_ok());
    assert_eq!(
        c.get_fork_parms(w, FileBitmap::RSRC_FORK_LEN | FileBitmap::MOD_DATE),
        Err(ResultCode::BITMAP_ERR)
    );
    // test188: a closed reference.
    c.close_fork(w).unwrap();
    assert_eq!(
        c.get_fork_parms(w, FileBitmap::DATA_FORK_LEN),
        Err(ResultCode::PARAM_ERR)
    );
    // All the other bits come from the file.
    let f = open(&mut c, vol, "t21 file", false, R);
    let all = FileBitmap::ATTRIBUTES
        | FileBitmap::PARENT_DIR_ID
        | FileBitmap::CREATE_DATE
        | FileBitmap::MOD_DATE
        | FileBitmap::BACKUP_DATE
        | FileBitmap::FINDER_INFO
        | FileBitmap::LONG_NAME
        | FileBitmap::NODE_ID
        | FileBitmap::DATA_FORK_LEN
        | FileBitmap::EXT_DATA_FORK_LEN
        | FileBitmap::UTF8_NAME
        | FileBitmap::UNIX_PRIVS;
    let p = c.get_fork_parms(f, all).unwrap();
    assert_eq!(p.bitmap(), all);
    assert_eq!(p.parent_id, Some(DIR_ROOT));
    assert_eq!(p.data_fork_len, Some(100));
    let fdp = c
        .get_file_dir_parms(
            vol,
            DIR_ROOT,
            "t21 file",
            FileBitmap::NODE_ID,
            Default::default(),
        )
        .unwrap();
    match fdp.params {
        FileDirParams::File(q) => assert_eq!(q.node_id, p.node_id),
        _ => panic!(),
    }
}

#[test]
fn set_fork_parms_errors() {
    // test141 / test217 / test306 / T2 test9.
    let srv = TestServer::builder().volume("test1").start();
    let mut c = srv.login();
    let vol = c.open_volume("test1");
    c.create_file(vol, DIR_ROOT, "t141", false).unwrap();
    let d = open(&mut c, vol, "t141", false, R | W);
    assert_eq!(
        set(&mut c, d, FileBitmap::RSRC_FORK_LEN, &[0; 4]),
        ResultCode::BITMAP_ERR
    );
    assert_eq!(
        set(&mut c, d, FileBitmap::EXT_RSRC_FORK_LEN, &[0; 8]),
        ResultCode::BITMAP_ERR
    );
    // Two length bits at once.
    assert_eq!(
        set(
            &mut c,
            d,
            FileBitmap::DATA_FORK_LEN | FileBitmap::EXT_DATA_FORK_LEN,
            &[0; 12]
        ),
        ResultCode::BITMAP_ERR
    );
    // netatalk reads the (4-byte) length before it checks the bitmap: an empty block is
    // kFPParamErr, an empty bitmap with a length kFPBitmapErr.
    assert_eq!(
        set(&mut c, d, FileBitmap::empty(), &[]),
        ResultCode::PARAM_ERR
    );
    assert_eq!(
        set(&mut c, d, FileBitmap::empty(), &[0; 4]),
        ResultCode::BITMAP_ERR
    );
    // A record too short for the bit.
    assert_eq!(
        set(&mut c, d, FileBitmap::EXT_DATA_FORK_LEN, &[0; 4]),
        ResultCode::PARAM_ERR
    );
    assert_eq!(
        set(&mut c, d, FileBitmap::DATA_FORK_LEN, &[0; 2]),
        ResultCode::PARAM_ERR
    );
    // test217: 64-bit lengths.
    assert_eq!(
        set(
            &mut c,
            d,
            FileBitmap::EXT_DATA_FORK_LEN,
            &0u64.to_be_bytes()
        ),
        ResultCode::NO_ERR
    );
    assert_eq!(c.read(d, 1, 1).0, ResultCode::EOF_ERR);
    assert_eq!(
        set(
            &mut c,
            d,
            FileBitmap::EXT_DATA_FORK_LEN,
            &(-(1i64 << 31)).to_be_bytes()
        ),
        ResultCode::PARAM_ERR
    );
    assert_eq!(
        set(
            &mut c,
            d,
            FileBitmap::EXT_DATA_FORK_LEN,
            &(1u64 << 31).to_be_bytes()
        ),
        ResultCode::NO_ERR
    );
    assert_eq!(c.read_ext(d, -(1i64 << 31) + 1, 1).0, ResultCode::PARAM_ERR);
    assert_eq!(c.read_ext(d, (1i64 << 31) + 1, 1).0, ResultCode::EOF_ERR);
    assert_eq!(c.read(d, i32::MAX, 1).0, ResultCode::NO_ERR);
    // test306: extending reads as zeros.
    set(&mut c, d, FileBitmap::DATA_FORK_LEN, &1024u32.to_be_bytes());
    assert_eq!(
        c.read(d, 1020, 4),
        (ResultCode::NO_ERR, Bytes::from_static(&[0; 4]))
    );
    c.close_fork(d).unwrap();
    let r = open(&mut c, vol, "t141", true, R | W);
    assert_eq!(
        set(&mut c, r, FileBitmap::DATA_FORK_LEN, &[0; 4]),
        ResultCode::BITMAP_ERR
    );
    // T2 test9: resource fork length up and down.
    assert_eq!(
        set(&mut c, r, FileBitmap::RSRC_FORK_LEN, &10u32.to_be_bytes()),
        ResultCode::NO_ERR
    );
    assert_eq!(
        c.get_fork_parms(r, FileBitmap::RSRC_FORK_LEN)
            .unwrap()
            .rsrc_fork_len,
        Some(10)
    );
    assert_eq!(
        set(&mut c, r, FileBitmap::RSRC_FORK_LEN, &0u32.to_be_bytes()),
        ResultCode::NO_ERR
    );
    assert_eq!(
        c.get_fork_parms(r, FileBitmap::RSRC_FORK_LEN)
            .unwrap()
            .rsrc_fork_len,
        Some(0)
    );
    c.close_fork(r).unwrap();
    // Not open for writing.
    let ro = open(&mut c, vol, "t141", false, R);
    assert_eq!(
        set(&mut c, ro, FileBitmap::DATA_FORK_LEN, &[0; 4]),
        ResultCode::ACCESS_DENIED
    );
    assert_eq!(
        set(&mut c, 0x4444, FileBitmap::DATA_FORK_LEN, &[0; 4]),
        ResultCode::PARAM_ERR
    );
}

#[test]
fn ext_length_bits_need_afp3() {
    // test141 on an AFP 2.2 session: the 64-bit bits are kFPBitmapErr.
    let srv = TestServer::builder().volume("test1").start();
    let mut c = srv.connect();
    let u = srv.user();
    assert_eq!(
        c.login_version(
            "AFP2.2",
            &u.name,
            &u.password,
            afp_proto::uam::Uam::CleartxtPasswrd,
            false
        ),
        ResultCode::NO_ERR
    );
    let vol = c.open_volume("test1");
    c.call(command::CreateFile {
        hard_create: false,
        volume_id: vol,
        dir_id: DIR_ROOT,
        path: afp_proto::path::Path::long(Bytes::from_static(b"old")),
    });
    let (code, body) = c.call(command::OpenFork {
        resource: false,
        volume_id: vol,
        dir_id: DIR_ROOT,
        bitmap: FileBitmap::empty(),
        access_mode: R | W,
        path: afp_proto::path::Path::long(Bytes::from_static(b"old")),
    });
    assert_eq!(code, ResultCode::NO_ERR);
    let fork = u16::from_be_bytes([body[2], body[3]]);
    assert_eq!(
        set(&mut c, fork, FileBitmap::EXT_DATA_FORK_LEN, &[0; 8]),
        ResultCode::BITMAP_ERR
    );
    assert_eq!(
        set(&mut c, fork, FileBitmap::DATA_FORK_LEN, &[0, 0, 0, 9]),
        ResultCode::NO_ERR
    );
}

#[test]
fn flush_and_sync() {
    let srv = TestServer::builder().volume("test1").start();
    let mut c = srv.login();
    let vol = c.open_volume("test1");
    c.create_file(vol, DIR_ROOT, "f", false).unwrap();
    let f = open(&mut c, vol, "f", false, R | W);
    let r = open(&mut c, vol, "f", true, R | W);
    c.write_ext(f, 0, &b"data"[..]).unwrap();
    c.write_ext(r, 0, &b"rsrc"[..]).unwrap();
    for fork in [f, r] {
        assert_eq!(c.flush_fork(fork), Ok(()));
        assert_eq!(c.sync_fork(fork), Ok(()));
    }
    // Read-only forks flush and sync too.
    let ro = open(&mut c, vol, "f", false, R);
    assert_eq!(c.sync_fork(ro), Ok(()));
    // test203: an unknown reference.
    assert_eq!(c.flush_fork(0x4321), Err(ResultCode::PARAM_ERR));
    assert_eq!(c.sync_fork(0x4321), Err(ResultCode::PARAM_ERR));
    let raw = std::fs::read(srv.volume_path("test1").join("._f")).unwrap();
    assert_eq!(&raw[82..], b"rsrc");
    assert_eq!(&raw[46..50], &4u32.to_be_bytes());
}

fn mdate(c: &mut AfpClient, fork: u16) -> i32 {
    c.get_fork_parms(fork, FileBitmap::MOD_DATE)
        .unwrap()
        .mod_date
        .unwrap()
        .0
}

#[test]
fn modification_date_changes_when_written_forks_are_flushed() {
    // test203: no write → flush keeps the date; write + flush moves it.
    let srv = TestServer::builder().volume("test1").start();
    let mut c = srv.login();
    let vol = c.open_volume("test1");
    c.create_file(vol, DIR_ROOT, "t203", false).unwrap();
    for rsrc in [false, true] {
        let f = open(&mut c, vol, "t203", rsrc, R | W);
        let d0 = mdate(&mut c, f);
        std::thread::sleep(Duration::from_millis(2100));
        c.flush_fork(f).unwrap();
        assert_eq!(mdate(&mut c, f), d0, "flush without writes (rsrc {rsrc})");
        c.write_ext(f, 0, Bytes::from(vec![1u8; 10])).unwrap();
        std::thread::sleep(Duration::from_millis(2100));
        c.flush_fork(f).unwrap();
        let d1 = mdate(&mut c, f);
        assert!(d1 > d0, "write + flush (rsrc {rsrc}): {d0} → {d1}");
        c.close_fork(f).unwrap();
    }
}
