//! Regressions found by auditing netatalk's `afp_spectest` tier 1 fork tests (FPOpenFork.c,
//! FPRead.c, FPReadExt.c, FPWrite.c, FPWriteExt.c, FPByteRangeLock.c, FPByteRangeLockExt.c,
//! FPGetForkParms.c, FPSetForkParms.c, FPFlushFork.c, FPCloseFork.c) against afpd: the
//! requests exactly as the suite sends them, with the result it expects. Checks the other
//! `fork_*` tests already make are not repeated here.

mod common;

use afp_proto::ResultCode;
use afp_proto::command::{self, AccessMode};
use afp_proto::params::{DirBitmap, FileBitmap, FileDirParams};
use bytes::Bytes;
use common::{AfpClient, DIR_ROOT, TestServer};

const R: AccessMode = AccessMode::READ;
const W: AccessMode = AccessMode::WRITE;
const DR: AccessMode = AccessMode::DENY_READ;
const DW: AccessMode = AccessMode::DENY_WRITE;

/// A server with two accounts, each logged in with volume `test1` open: (server, first
/// user's session, its volume ID, second user's session, its volume ID).
fn two_sessions() -> (TestServer, AfpClient, u16, AfpClient, u16) {
    let srv = TestServer::builder()
        .volume("test1")
        .generated_account(&[])
        .start();
    let mut c1 = srv.login();
    let mut c2 = srv.login_as(1);
    let v1 = c1.open_volume("test1");
    let v2 = c2.open_volume("test1");
    (srv, c1, v1, c2, v2)
}

fn open(
    c: &mut AfpClient,
    vol: u16,
    name: &str,
    rsrc: bool,
    mode: AccessMode,
) -> Result<u16, ResultCode> {
    c.open_fork(vol, DIR_ROOT, name, rsrc, mode, FileBitmap::empty())
        .map(|r| r.fork)
}

/// FPSetForkParms with a 32-bit length (`DataForkLen` or `RsrcForkLen`), as the suite's
/// `FPSetForkParam` sends it.
fn set_len32(c: &mut AfpClient, fork: u16, rsrc: bool, len: u32) -> ResultCode {
    let bitmap = if rsrc {
        FileBitmap::RSRC_FORK_LEN
    } else {
        FileBitmap::DATA_FORK_LEN
    };
    c.call(command::SetForkParms {
        fork,
        bitmap,
        params: Bytes::copy_from_slice(&len.to_be_bytes()),
    })
    .0
}

/// FPCloseFork.c test187, FPGetForkParms.c test188, FPByteRangeLock.c test60,
/// FPByteRangeLockExt.c test195 (`illegal_fork`): the suite sends only the command byte, a
/// pad byte and the fork reference of a closed fork — in the client's host byte order, so
/// on a little-endian client fork 1 arrives as 0x0100 — and nothing else. Every one of
/// these short requests must answer kFPParamErr (netatalk checks the fork before reading
/// the rest of the block), not the decoder's error for a truncated request.
#[test]
fn illegal_fork_short_requests_are_param_errors() {
    let srv = TestServer::builder().volume("test1").start();
    let mut c = srv.login();
    let vol = c.open_volume("test1");
    c.create_file(vol, DIR_ROOT, "t187 illegal fork", false)
        .unwrap();
    let f = open(&mut c, vol, "t187 illegal fork", false, R | W).unwrap();
    c.close_fork(f).unwrap();
    c.delete(vol, DIR_ROOT, "t187 illegal fork").unwrap();
    for code in [
        command::CommandCode::BYTE_RANGE_LOCK,
        command::CommandCode::CLOSE_FORK,
        command::CommandCode::GET_FORK_PARMS,
        command::CommandCode::BYTE_RANGE_LOCK_EXT,
    ] {
        for fork_bytes in [f.to_be_bytes(), f.to_le_bytes()] {
            let block = vec![code.0, 0, fork_bytes[0], fork_bytes[1]];
            let (result, _) = c.call_raw(block);
            assert_eq!(result, ResultCode::PARAM_ERR, "{code:?} {fork_bytes:?}");
        }
    }
    // The session lives on.
    assert!(c.get_vol_parms(vol, Default::default()).is_ok());
}

fn exchange(c: &mut AfpClient, vol: u16, a: &str, b: &str) -> ResultCode {
    c.call(command::ExchangeFiles {
        volume_id: vol,
        src_dir_id: DIR_ROOT,
        dst_dir_id: DIR_ROOT,
        src_path: common::client::utf8(a),
        dst_path: common::client::utf8(b),
    })
    .0
}

/// The suite's `write_fork`: open the data fork read-write, write at 0, close.
fn write_fork(c: &mut AfpClient, vol: u16, name: &str, data: &[u8]) {
    let f = open(c, vol, name, false, R | W).unwrap();
    c.write(f, 0, Bytes::copy_from_slice(data)).unwrap();
    c.close_fork(f).unwrap();
}

/// The suite's `read_fork`: open the data fork read-write, read `len` bytes, close.
fn read_fork(c: &mut AfpClient, vol: u16, name: &str, len: i32) -> Vec<u8> {
    let f = open(c, vol, name, false, R | W).unwrap();
    let (code, data) = c.read(f, 0, len);
    assert_eq!(code, ResultCode::NO_ERR, "read {name}");
    c.close_fork(f).unwrap();
    data.to_vec()
}

fn file_id(c: &mut AfpClient, vol: u16, name: &str) -> u32 {
    let r = c
        .get_file_dir_parms(
            vol,
            DIR_ROOT,
            name,
            FileBitmap::NODE_ID | FileBitmap::ATTRIBUTES,
            DirBitmap::empty(),
        )
        .unwrap();
    match r.params {
        FileDirParams::File(p) => p.node_id.unwrap(),
        FileDirParams::Dir(_) => panic!("{name} is a directory"),
    }
}

/// FPExchangeFiles.c test111 (second half), test389, test390, test391, test531: exchanges
/// while data or resource forks of either file are open, in this session or another;
/// every open fork follows its contents, IDs stay with the names, and the open forks
/// keep working (flush, close) afterwards.
#[test]
fn exchange_with_open_forks() {
    let srv = TestServer::builder().volume("test1").start();
    let mut c = srv.login();
    let mut c2 = srv.login();
    let vol = c.open_volume("test1");
    let vol2 = c2.open_volume("test1");
    // test389 / test390: the source's resource fork is open; test391: the destination's.
    for (t, rsrc_of_dst, flush) in [
        ("t389", false, false),
        ("t390", false, true),
        ("t391", true, false),
    ] {
        let a = format!("{t} exchange file");
        let b = format!("{t} new file name");
        c.create_file(vol, DIR_ROOT, &a, false).unwrap();
        c.create_file(vol, DIR_ROOT, &b, false).unwrap();
        let rf = open(&mut c, vol, if rsrc_of_dst { &b } else { &a }, true, R | W).unwrap();
        let (ia, ib) = (file_id(&mut c, vol, &a), file_id(&mut c, vol, &b));
        write_fork(&mut c, vol, &a, b"blue");
        write_fork(&mut c, vol, &b, b"red");
        assert_eq!(exchange(&mut c, vol, &a, &b), ResultCode::NO_ERR, "{t}");
        if flush {
            assert_eq!(c.flush_fork(rf), Ok(()), "{t}");
        }
        assert_eq!(c.close_fork(rf), Ok(()), "{t}");
        assert_eq!(file_id(&mut c, vol, &a), ia, "{t}");
        assert_eq!(file_id(&mut c, vol, &b), ib, "{t}");
        assert_eq!(read_fork(&mut c, vol, &a, 3), b"red", "{t}");
        assert_eq!(read_fork(&mut c, vol, &b, 4), b"blue", "{t}");
        c.delete(vol, DIR_ROOT, &b).unwrap();
        c.delete(vol, DIR_ROOT, &a).unwrap();
    }

    // test111: both files open (read-write), exchanged twice.
    let (a, b) = ("t111 exchange open files", "t111 new file name");
    c.create_file(vol, DIR_ROOT, a, false).unwrap();
    c.create_file(vol, DIR_ROOT, b, false).unwrap();
    let (ia, ib) = (file_id(&mut c, vol, a), file_id(&mut c, vol, b));
    write_fork(&mut c, vol, a, b"blue");
    write_fork(&mut c, vol, b, b"red");
    let fork = open(&mut c, vol, a, false, R | W).unwrap();
    assert_eq!(exchange(&mut c, vol, a, b), ResultCode::NO_ERR);
    assert_eq!(read_fork(&mut c, vol, a, 3), b"red");
    assert_eq!(read_fork(&mut c, vol, b, 4), b"blue");
    c.write(fork, 0, Bytes::from_static(b"new")).unwrap();
    assert_eq!(read_fork(&mut c, vol, b, 3), b"new");
    let fork1 = open(&mut c, vol, a, false, R | W).unwrap();
    assert_eq!(exchange(&mut c, vol, a, b), ResultCode::NO_ERR);
    c.close_fork(fork1).unwrap();
    assert_eq!(exchange(&mut c, vol, a, b), ResultCode::NO_ERR);
    c.close_fork(fork).unwrap();
    assert_eq!(file_id(&mut c, vol, a), ia);
    assert_eq!(file_id(&mut c, vol, b), ib);
    c.delete(vol, DIR_ROOT, b).unwrap();
    c.delete(vol, DIR_ROOT, a).unwrap();

    // test531: another session exchanges a file this one has open for reading.
    let (a, b) = ("t531_file1.txt", "t531_file2.txt");
    c.create_file(vol, DIR_ROOT, a, false).unwrap();
    c.create_file(vol, DIR_ROOT, b, false).unwrap();
    let (ia, ib) = (file_id(&mut c, vol, a), file_id(&mut c, vol, b));
    write_fork(&mut c, vol, a, b"FILE1_DATA");
    write_fork(&mut c, vol, b, b"FILE2_DATA");
    let f = open(&mut c, vol, a, false, R).unwrap();
    assert_eq!(c.read(f, 0, 10).1.as_ref(), b"FILE1_DATA");
    assert_eq!(exchange(&mut c2, vol2, a, b), ResultCode::NO_ERR);
    c2.close_vol(vol2).unwrap();
    // The open fork follows its contents.
    assert_eq!(c.read(f, 0, 10).1.as_ref(), b"FILE1_DATA");
    c.close_fork(f).unwrap();
    assert_eq!(read_fork(&mut c, vol, a, 10), b"FILE2_DATA");
    assert_eq!(read_fork(&mut c, vol, b, 10), b"FILE1_DATA");
    assert_eq!(file_id(&mut c, vol, a), ia);
    assert_eq!(file_id(&mut c, vol, b), ib);
}

/// FPRead.c test8: a resource fork grown to 65000 bytes and a data fork grown to 12000
/// bytes by FPSetForkParms (32-bit lengths), then read whole in one FPRead each: kFPNoErr
/// and every byte (zeros).
#[test]
fn read_whole_forks_grown_by_set_fork_parms() {
    let srv = TestServer::builder().volume("test1").start();
    let mut c = srv.login();
    let vol = c.open_volume("test1");
    c.create_file(vol, DIR_ROOT, "t8 file1.txt", false).unwrap();
    c.create_file(vol, DIR_ROOT, "t8 file2.txt", false).unwrap();
    let rf = open(&mut c, vol, "t8 file1.txt", true, R | W).unwrap();
    assert_eq!(set_len32(&mut c, rf, true, 65000), ResultCode::NO_ERR);
    c.close_fork(rf).unwrap();
    let df = open(&mut c, vol, "t8 file2.txt", false, R | W).unwrap();
    assert_eq!(set_len32(&mut c, df, false, 12000), ResultCode::NO_ERR);
    c.close_fork(df).unwrap();
    let rf = open(&mut c, vol, "t8 file1.txt", true, R).unwrap();
    let df = open(&mut c, vol, "t8 file2.txt", false, R).unwrap();
    let (code, data) = c.read(rf, 0, 65000);
    assert_eq!(code, ResultCode::NO_ERR);
    assert_eq!(data.len(), 65000);
    assert!(data.iter().all(|&b| b == 0));
    let (code, data) = c.read(df, 0, 12000);
    assert_eq!(code, ResultCode::NO_ERR);
    assert_eq!(data.len(), 12000);
    c.close_fork(df).unwrap();
    c.close_fork(rf).unwrap();
}

/// FPRead.c test328 (and the trash map of FPByteRangeLock.c test330): the exact bitmaps
/// the suite asks for — FPGetFileDirParms 0x72d / (0x73f, 0x133f) on a file, FPOpenFork
/// with 0x342 (ParentDirID, LongName, NodeID, DataForkLen), FPGetForkParms 0x242 — and a
/// file written in 64 KiB FPWrite pieces under a deny-read/deny-write open, then read
/// back under read / deny-write.
#[test]
fn read_speed_bitmaps() {
    let srv = TestServer::builder().volume("test1").start();
    let mut c = srv.login();
    let vol = c.open_volume("test1");
    let dir = c.create_dir(vol, DIR_ROOT, "test328 dir").unwrap();
    c.create_file(vol, dir, "File.big", false).unwrap();
    let f72d = FileBitmap::from_bits_retain(0x72d);
    let f73f = FileBitmap::from_bits_retain(0x73f);
    let d133f = DirBitmap::from_bits_retain(0x133f);
    c.get_file_dir_parms(vol, dir, "File.big", f72d, DirBitmap::empty())
        .unwrap();
    c.get_file_dir_parms(vol, dir, "File.big", f73f, d133f)
        .unwrap();
    let r = c
        .open_fork(
            vol,
            dir,
            "File.big",
            false,
            R | W | DW | DR,
            FileBitmap::from_bits_retain(0x342),
        )
        .unwrap();
    let p = &r.params;
    assert_eq!(p.parent_id, Some(dir));
    assert_eq!(p.data_fork_len, Some(0));
    assert!(p.node_id.is_some());
    assert!(p.long_name.is_some());
    let fork = r.fork;
    let p = c
        .get_fork_parms(fork, FileBitmap::from_bits_retain(0x242))
        .unwrap();
    assert_eq!(p.parent_id, Some(dir));
    let piece = vec![0x5au8; 65536];
    let n = 24;
    for i in 0..n {
        c.write(fork, i * 65536, Bytes::copy_from_slice(&piece))
            .unwrap();
    }
    c.close_fork(fork).unwrap();
    c.get_file_dir_parms(vol, dir, "File.big", f72d, DirBitmap::empty())
        .unwrap();
    let f = c
        .open_fork(
            vol,
            dir,
            "File.big",
            false,
            R,
            FileBitmap::from_bits_retain(0x342),
        )
        .unwrap();
    assert_eq!(f.params.data_fork_len, Some(n as u32 * 65536));
    assert_eq!(c.read(f.fork, 0, 512).0, ResultCode::NO_ERR);
    c.close_fork(f.fork).unwrap();
    let f = c
        .open_fork(
            vol,
            dir,
            "File.big",
            false,
            R | DW,
            FileBitmap::from_bits_retain(0x342),
        )
        .unwrap()
        .fork;
    c.get_fork_parms(f, FileBitmap::from_bits_retain(0x242))
        .unwrap();
    for i in 0..n {
        let (code, data) = c.read(f, i * 65536, 65536);
        assert_eq!(code, ResultCode::NO_ERR, "piece {i}");
        assert_eq!(data.as_ref(), &piece[..]);
    }
    // One past the end: kFPEOFErr with nothing.
    let (code, data) = c.read(f, n * 65536, 65536);
    assert_eq!(code, ResultCode::EOF_ERR);
    assert!(data.is_empty());
    c.close_fork(f).unwrap();
    c.delete(vol, dir, "File.big").unwrap();
    c.delete(vol, dir, "").unwrap();
}

/// FPWriteExt.c test148 / test207, FPReadExt.c test22: FPEnumerateExt with the file
/// bitmap ProDOS-info/UTF-8 name | ExtDataForkLen | ExtRsrcForkLen | DataForkLen |
/// RsrcForkLen and no directory bitmap, and (test148) with no file bitmap and the
/// directory ProDOS-info/UTF-8 bit, both succeed on a root holding a file and a folder;
/// the 64-bit lengths of a sparse file past 4 GiB are reported whole.
#[test]
fn enumerate_ext_with_fork_length_bitmaps() {
    let srv = TestServer::builder().volume("test1").start();
    let mut c = srv.login();
    let vol = c.open_volume("test1");
    c.create_file(vol, DIR_ROOT, "t148 test", false).unwrap();
    c.create_dir(vol, DIR_ROOT, "t148 dir").unwrap();
    let fb = FileBitmap::UTF8_NAME
        | FileBitmap::EXT_DATA_FORK_LEN
        | FileBitmap::EXT_RSRC_FORK_LEN
        | FileBitmap::DATA_FORK_LEN
        | FileBitmap::RSRC_FORK_LEN;
    let enumerate = |c: &mut AfpClient, fb: FileBitmap, db: DirBitmap| {
        c.call(command::EnumerateExt {
            volume_id: vol,
            dir_id: DIR_ROOT,
            file_bitmap: fb,
            dir_bitmap: db,
            req_count: 40,
            start_index: 1,
            max_reply_size: 8192,
            path: common::client::utf8(""),
        })
        .0
    };
    assert_eq!(
        enumerate(&mut c, fb, DirBitmap::empty()),
        ResultCode::NO_ERR
    );
    assert_eq!(
        enumerate(&mut c, FileBitmap::empty(), DirBitmap::UTF8_NAME),
        ResultCode::NO_ERR
    );
    let f = open(&mut c, vol, "t148 test", false, R | W).unwrap();
    let rf = open(&mut c, vol, "t148 test", true, R | W).unwrap();
    c.write_ext(f, (1 << 32) + 20, vec![b'b'; 2000]).unwrap();
    c.write_ext(rf, (1 << 32) + 20, vec![b'b'; 1000]).unwrap();
    assert_eq!(
        enumerate(&mut c, fb, DirBitmap::empty()),
        ResultCode::NO_ERR
    );
    let p = c
        .get_file_dir_parms(
            vol,
            DIR_ROOT,
            "t148 test",
            FileBitmap::EXT_DATA_FORK_LEN | FileBitmap::EXT_RSRC_FORK_LEN,
            DirBitmap::empty(),
        )
        .unwrap();
    match p.params {
        FileDirParams::File(p) => {
            assert_eq!(p.ext_data_fork_len, Some((1 << 32) + 2020));
            assert_eq!(p.ext_rsrc_fork_len, Some((1 << 32) + 1020));
        }
        FileDirParams::Dir(_) => panic!(),
    }
    c.close_fork(f).unwrap();
    c.close_fork(rf).unwrap();
}

/// FPByteRangeLock.c test329 (and test366's opening): two read-write opens of the data
/// fork, an exclusive resource-fork open (access 0x33) beside them, then a second user:
/// read / deny-write of the data fork is refused (a writer is open), plain read succeeds.
/// FPOpenFork.c test14 / test15: FPGetForkParms of the attributes on a data and a
/// resource fork open for reading.
#[test]
fn exclusive_resource_fork_beside_open_data_forks() {
    let (srv, mut c, vol, mut c2, vol2) = two_sessions();
    let name = "t329 DF FPByteLock 2 users";
    c.create_file(vol, DIR_ROOT, name, false).unwrap();
    let path = srv.volume_path("test1").join(name);
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o666)).unwrap();
    let fork = open(&mut c, vol, name, false, R | W).unwrap();
    let fork1 = open(&mut c, vol, name, false, R | W).unwrap();
    let fork2 = open(&mut c, vol, name, true, AccessMode::from_bits_retain(0x33)).unwrap();
    c.close_fork(fork2).unwrap();
    c2.get_file_dir_parms(
        vol2,
        DIR_ROOT,
        name,
        FileBitmap::ATTRIBUTES,
        DirBitmap::empty(),
    )
    .unwrap();
    for _ in 0..2 {
        assert_eq!(
            open(&mut c2, vol2, name, false, R | DW),
            Err(ResultCode::DENY_CONFLICT)
        );
    }
    let f2 = open(&mut c2, vol2, name, false, R).unwrap();
    c.close_fork(fork).unwrap();
    c.close_fork(fork1).unwrap();
    c2.close_fork(f2).unwrap();

    // test14 / test15.
    for rsrc in [false, true] {
        let f = open(&mut c, vol, name, rsrc, R).unwrap();
        let p = c.get_fork_parms(f, FileBitmap::ATTRIBUTES).unwrap();
        assert!(p.attributes.is_some());
        c.close_fork(f).unwrap();
    }
}

fn copy(c: &mut AfpClient, vol: u16, src: &str, new_name: &str) -> ResultCode {
    c.call(command::CopyFile {
        src_volume_id: vol,
        src_dir_id: DIR_ROOT,
        dst_volume_id: vol,
        dst_dir_id: DIR_ROOT,
        src_path: common::client::utf8(src),
        dst_path: common::client::utf8(""),
        new_name: common::client::utf8(new_name),
    })
    .0
}

/// FPCopyFile.c test374: a file open write / deny-read in one session cannot be copied by
/// another (kFPDenyConflict). test375: copying onto an existing destination that is open
/// write / deny-write answers kFPObjectExists and leaves that open (and its deny mode)
/// alone.
#[test]
fn copy_file_against_open_forks() {
    let srv = TestServer::builder().volume("test1").start();
    let mut c = srv.login();
    let mut c2 = srv.login();
    let vol = c.open_volume("test1");
    let vol2 = c2.open_volume("test1");
    c.create_file(vol, DIR_ROOT, "t374 Copy file", false)
        .unwrap();
    let f = open(&mut c, vol, "t374 Copy file", false, W | DR).unwrap();
    assert_eq!(
        copy(&mut c2, vol2, "t374 Copy file", "t374 new file name"),
        ResultCode::DENY_CONFLICT
    );
    c.close_fork(f).unwrap();
    assert_eq!(
        c.get_file_dir_parms(
            vol,
            DIR_ROOT,
            "t374 new file name",
            FileBitmap::ATTRIBUTES,
            DirBitmap::empty()
        )
        .err(),
        Some(ResultCode::OBJECT_NOT_FOUND)
    );

    c.create_file(vol, DIR_ROOT, "t375 old file name", false)
        .unwrap();
    c.create_file(vol, DIR_ROOT, "t375 new file name", false)
        .unwrap();
    let f = open(&mut c, vol, "t375 new file name", false, W | DW).unwrap();
    assert_eq!(
        open(&mut c, vol, "t375 new file name", false, W),
        Err(ResultCode::DENY_CONFLICT)
    );
    assert_eq!(
        copy(&mut c, vol, "t375 old file name", "t375 new file name"),
        ResultCode::OBJECT_EXISTS
    );
    assert_eq!(
        open(&mut c, vol, "t375 new file name", false, W),
        Err(ResultCode::DENY_CONFLICT)
    );
    c.close_fork(f).unwrap();
}

#[allow(clippy::too_many_arguments)]
fn copy_to(
    c: &mut AfpClient,
    svol: u16,
    sdir: u32,
    src: &str,
    dvol: u16,
    ddir: u32,
    dpath: &str,
    new_name: &str,
) -> ResultCode {
    c.call(command::CopyFile {
        src_volume_id: svol,
        src_dir_id: sdir,
        dst_volume_id: dvol,
        dst_dir_id: ddir,
        src_path: common::client::utf8(src),
        dst_path: common::client::utf8(dpath),
        new_name: common::client::utf8(new_name),
    })
    .0
}

fn lengths(c: &mut AfpClient, vol: u16, dir: u32, name: &str) -> (u32, u32) {
    let r = c
        .get_file_dir_parms(
            vol,
            dir,
            name,
            FileBitmap::UTF8_NAME
                | FileBitmap::PARENT_DIR_ID
                | FileBitmap::NODE_ID
                | FileBitmap::ATTRIBUTES
                | FileBitmap::RSRC_FORK_LEN
                | FileBitmap::DATA_FORK_LEN,
            DirBitmap::empty(),
        )
        .unwrap();
    match r.params {
        FileDirParams::File(p) => (p.data_fork_len.unwrap(), p.rsrc_fork_len.unwrap()),
        FileDirParams::Dir(_) => panic!("{name} is a directory"),
    }
}

/// FPCopyFile.c test407 / test409 (`test_data`: a 400-byte data fork and a 300-byte
/// resource fork grown by FPSetForkParms and written at 0, copied within a volume and
/// between two volumes and back, both forks intact), test401 / test403 (a 0444 source in
/// a 0770 folder copies, and the copy keeps r--r--r--), test414 (a destination path that
/// is a file: kFPObjectTypeErr; a missing one: kFPObjectNotFound), test416 (extended
/// attributes are copied), test315 (sparse 64 MiB and 129 MiB sources).
#[test]
fn copy_file_forks_privileges_and_destinations() {
    let srv = TestServer::builder()
        .volume("test1")
        .volume("test2")
        .start();
    let mut c = srv.login();
    let vol = c.open_volume("test1");
    let vol2 = c.open_volume("test2");
    for (t, dvol) in [("t409", vol), ("t407", vol2)] {
        let name = format!("{t} file.pdf");
        let name1 = format!("new {t} file.pdf");
        c.create_file(vol, DIR_ROOT, &name, false).unwrap();
        let f = open(&mut c, vol, &name, false, R | W).unwrap();
        assert_eq!(set_len32(&mut c, f, false, 400), ResultCode::NO_ERR);
        c.write(f, 0, Bytes::from_static(b"Data fork")).unwrap();
        c.close_fork(f).unwrap();
        let f = open(&mut c, vol, &name, true, R | W).unwrap();
        assert_eq!(set_len32(&mut c, f, true, 300), ResultCode::NO_ERR);
        c.write(f, 0, Bytes::from_static(b"Resource fork")).unwrap();
        c.close_fork(f).unwrap();
        let check = |c: &mut AfpClient, v: u16, n: &str| {
            assert_eq!(lengths(c, v, DIR_ROOT, n), (400, 300), "{t} {n}");
            let f = open(c, v, n, false, R | W).unwrap();
            assert_eq!(c.read(f, 0, 9).1.as_ref(), b"Data fork");
            c.close_fork(f).unwrap();
            let f = open(c, v, n, true, R | W).unwrap();
            assert_eq!(c.read(f, 0, 13).1.as_ref(), b"Resource fork");
            c.close_fork(f).unwrap();
        };
        assert_eq!(
            copy_to(&mut c, vol, DIR_ROOT, &name, dvol, DIR_ROOT, "", &name1),
            ResultCode::NO_ERR,
            "{t}"
        );
        check(&mut c, dvol, &name1);
        c.delete(vol, DIR_ROOT, &name).unwrap();
        assert_eq!(
            copy_to(&mut c, dvol, DIR_ROOT, &name1, vol, DIR_ROOT, "", &name),
            ResultCode::NO_ERR,
            "{t} back"
        );
        check(&mut c, vol, &name);
        c.delete(dvol, DIR_ROOT, &name1).unwrap();
        c.delete(vol, DIR_ROOT, &name).unwrap();
    }

    // test401 / test403.
    use std::os::unix::fs::PermissionsExt;
    let root = srv.volume_path("test1").to_path_buf();
    let dir = c.create_dir(vol, DIR_ROOT, "t401 dir").unwrap();
    std::fs::set_permissions(root.join("t401 dir"), PermissionsExt::from_mode(0o770)).unwrap();
    c.create_file(vol, dir, "t401 file.pdf", false).unwrap();
    let f = c.open_data_rw(vol, dir, "t401 file.pdf").unwrap();
    assert_eq!(set_len32(&mut c, f, false, 400), ResultCode::NO_ERR);
    c.close_fork(f).unwrap();
    let f = c
        .open_fork(vol, dir, "t401 file.pdf", true, R | W, FileBitmap::empty())
        .unwrap()
        .fork;
    assert_eq!(set_len32(&mut c, f, true, 300), ResultCode::NO_ERR);
    c.close_fork(f).unwrap();
    std::fs::set_permissions(
        root.join("t401 dir/t401 file.pdf"),
        PermissionsExt::from_mode(0o444),
    )
    .unwrap();
    lengths(&mut c, vol, dir, "t401 file.pdf");
    assert_eq!(
        copy_to(
            &mut c,
            vol,
            dir,
            "t401 file.pdf",
            vol,
            dir,
            "",
            "new t401 file.pdf"
        ),
        ResultCode::NO_ERR
    );
    assert_eq!(lengths(&mut c, vol, dir, "new t401 file.pdf"), (400, 300));
    let r = c
        .get_file_dir_parms(
            vol,
            dir,
            "new t401 file.pdf",
            FileBitmap::UNIX_PRIVS,
            DirBitmap::empty(),
        )
        .unwrap();
    match r.params {
        FileDirParams::File(p) => {
            assert_eq!(p.unix_privs.unwrap().permissions & 0o444, 0o444, "test403")
        }
        FileDirParams::Dir(_) => panic!(),
    }

    // test414.
    c.create_file(vol, DIR_ROOT, "t414 old file name", false)
        .unwrap();
    assert_eq!(
        copy_to(
            &mut c,
            vol,
            DIR_ROOT,
            "t414 old file name",
            vol,
            DIR_ROOT,
            "t414 old file name",
            "t414 new file name"
        ),
        ResultCode::OBJECT_TYPE_ERR
    );
    assert_eq!(
        copy_to(
            &mut c,
            vol,
            DIR_ROOT,
            "t414 old file name",
            vol,
            DIR_ROOT,
            "t414 dir",
            "t414 new file name"
        ),
        ResultCode::OBJECT_NOT_FOUND
    );
    let d414 = c.create_dir(vol, DIR_ROOT, "t414 dir").unwrap();
    assert_eq!(
        copy_to(
            &mut c,
            vol,
            DIR_ROOT,
            "t414 old file name",
            vol,
            DIR_ROOT,
            "t414 dir",
            "t414 new file name"
        ),
        ResultCode::NO_ERR
    );
    c.delete(vol, d414, "t414 new file name").unwrap();

    // test416.
    c.create_file(vol, DIR_ROOT, "test416_file", false).unwrap();
    c.set_ext_attr(
        vol,
        DIR_ROOT,
        "test416_file",
        "test416_attribute",
        b"test416_data",
        command::ExtAttrBitmap::CREATE,
    )
    .unwrap();
    assert_eq!(
        copy(&mut c, vol, "test416_file", "test416 new file"),
        ResultCode::NO_ERR
    );
    c.list_ext_attrs(vol, DIR_ROOT, "test416_file", 4096)
        .unwrap();
    for n in ["test416_file", "test416 new file"] {
        let d = c
            .get_ext_attr(vol, DIR_ROOT, n, "test416_attribute", 4096)
            .unwrap();
        assert_eq!(d.data.as_ref(), b"test416_data", "{n}");
    }
    let (code, _) = c.call(command::RemoveExtAttr {
        volume_id: vol,
        dir_id: DIR_ROOT,
        bitmap: command::ExtAttrBitmap::empty(),
        path: common::client::utf8("test416 new file"),
        name: Bytes::from_static(b"test416_attribute"),
    });
    assert_eq!(code, ResultCode::NO_ERR);

    // test315: sparse sources of 64 MiB and 129 MiB.
    c.create_file(vol, DIR_ROOT, "t315 old file name", false)
        .unwrap();
    for mib in [64u32, 129] {
        let f = c.open_data_rw(vol, DIR_ROOT, "t315 old file name").unwrap();
        assert_eq!(set_len32(&mut c, f, false, mib << 20), ResultCode::NO_ERR);
        c.close_fork(f).unwrap();
        assert_eq!(
            copy(&mut c, vol, "t315 old file name", "t315 new file name"),
            ResultCode::NO_ERR,
            "{mib} MiB"
        );
        assert_eq!(
            lengths(&mut c, vol, DIR_ROOT, "t315 new file name").0,
            mib << 20
        );
        c.delete(vol, DIR_ROOT, "t315 new file name").unwrap();
    }
}

/// FPCopyFile.c test71 / test424 with `no_access_folder` (a folder of the second user
/// with access rights owner read+search only): a source path naming it is
/// kFPObjectTypeErr (twice, the second time with it cached), a destination path naming it
/// kFPAccessDenied; a deleted source or destination directory ID is kFPObjectNotFound.
#[test]
fn copy_file_with_a_no_access_folder() {
    use std::os::unix::fs::PermissionsExt;
    let (srv, mut c, vol, mut c2, vol2) = two_sessions();
    // As in the suite's setup, both users may write the volume root.
    std::fs::set_permissions(srv.volume_path("test1"), PermissionsExt::from_mode(0o777)).unwrap();
    let ndir = "t424 no access";
    let nd = c2.create_dir(vol2, DIR_ROOT, ndir).unwrap();
    std::fs::set_permissions(
        srv.volume_path("test1").join(ndir),
        PermissionsExt::from_mode(0o500),
    )
    .unwrap();
    if common::server::is_root() {
        // The first user really cannot create in it.
        assert!(c.create_dir(vol, nd, ndir).is_err());
    }
    let gone = c.create_dir(vol, DIR_ROOT, "t71 dir").unwrap();
    c.delete(vol, DIR_ROOT, "t71 dir").unwrap();
    assert_eq!(
        copy_to(&mut c, vol, gone, "t71 Copy file", vol, DIR_ROOT, "", "x"),
        ResultCode::OBJECT_NOT_FOUND
    );
    c.close_vol(vol).unwrap();
    let vol = c.open_volume("test1");
    for _ in 0..2 {
        assert_eq!(
            copy_to(
                &mut c,
                vol,
                DIR_ROOT,
                ndir,
                vol,
                DIR_ROOT,
                "",
                "t71 new file name"
            ),
            ResultCode::OBJECT_TYPE_ERR
        );
    }
    c.create_file(vol, DIR_ROOT, "t424 Copy file", false)
        .unwrap();
    if common::server::is_root() {
        assert_eq!(
            copy_to(
                &mut c,
                vol,
                DIR_ROOT,
                "t424 Copy file",
                vol,
                DIR_ROOT,
                ndir,
                "t424 new file name"
            ),
            ResultCode::ACCESS_DENIED
        );
    }
    assert_eq!(
        copy_to(&mut c, vol, DIR_ROOT, "t424 Copy file", vol, gone, "", "x"),
        ResultCode::OBJECT_NOT_FOUND
    );
    let d = c.create_dir(vol, DIR_ROOT, "t424 dir").unwrap();
    assert_eq!(
        copy_to(
            &mut c,
            vol,
            DIR_ROOT,
            "t424 Copy file",
            vol,
            DIR_ROOT,
            "t424 dir",
            "t424 new file name"
        ),
        ResultCode::NO_ERR
    );
    c.delete(vol, d, "t424 new file name").unwrap();
}

/// FPSetForkParms.c test62 sends `FPSetForkParam(fork, 1 << FILPBIT_ATTR, 0)`: the suite
/// always sends a 4-byte length (8 with a 64-bit length bit). netatalk reads that length
/// first — a short block or a negative length is kFPParamErr — and rejects a bitmap that is
/// not exactly one length bit only then (kFPBitmapErr). Old answer for a negative length
/// with a non-length bitmap: kFPBitmapErr; netatalk: kFPParamErr.
#[test]
fn set_fork_parms_reads_the_length_before_the_bitmap_check() {
    let srv = TestServer::builder().volume("test1").start();
    let mut c = srv.login();
    let vol = c.open_volume("test1");
    c.create_file(vol, DIR_ROOT, "test62 SetForkParams Errors", false)
        .unwrap();
    let f = open(&mut c, vol, "test62 SetForkParams Errors", false, R | W).unwrap();
    let mut set = |bitmap: u16, params: &[u8]| {
        c.call(command::SetForkParms {
            fork: f,
            bitmap: FileBitmap::from_bits_retain(bitmap),
            params: Bytes::copy_from_slice(params),
        })
        .0
    };
    // test62.
    assert_eq!(set(0x0001, &0u32.to_be_bytes()), ResultCode::BITMAP_ERR);
    assert_eq!(set(0x0001, &(-2i32).to_be_bytes()), ResultCode::PARAM_ERR);
    assert_eq!(set(0x0208, &(-2i32).to_be_bytes()), ResultCode::PARAM_ERR);
    assert_eq!(set(0x0208, &100u32.to_be_bytes()), ResultCode::BITMAP_ERR);
    assert_eq!(set(0x0a00, &100u64.to_be_bytes()), ResultCode::BITMAP_ERR);
    assert_eq!(set(0x0a00, &100u32.to_be_bytes()), ResultCode::PARAM_ERR);
    assert_eq!(set(0x0000, &[]), ResultCode::PARAM_ERR);
    assert_eq!(set(0x0000, &0u32.to_be_bytes()), ResultCode::BITMAP_ERR);
    // The other fork's length bit is still kFPBitmapErr whatever follows.
    assert_eq!(set(0x0400, &(-2i32).to_be_bytes()), ResultCode::BITMAP_ERR);
    assert_eq!(set(0x0200, &100u32.to_be_bytes()), ResultCode::NO_ERR);
    let p = c.get_fork_parms(f, FileBitmap::DATA_FORK_LEN).unwrap();
    assert_eq!(p.data_fork_len, Some(100));
    c.close_fork(f).unwrap();
}

/// FPOpenFork.c test81/test367, FPByteRangeLock.c test366/test410/test606: the suite's
/// second user opens, for writing, files the first user just created — and their resource
/// forks. netatalk runs with umask 0 unless the volume sets one, so new files are 0666 and
/// their `._` sidecars take the data fork's mode; the server's own process umask (022 here)
/// must narrow neither. Likewise a server-side copy.
#[test]
fn second_user_writes_what_the_first_created() {
    let (srv, mut c1, v1, mut c2, v2) = two_sessions();
    c1.create_file(v1, DIR_ROOT, "t81 shared", false).unwrap();
    // The first user writes both forks, creating the resource fork's sidecar.
    let d = open(&mut c1, v1, "t81 shared", false, R | W).unwrap();
    c1.write_all(d, 0, b"data").unwrap();
    c1.close_fork(d).unwrap();
    let r = open(&mut c1, v1, "t81 shared", true, R | W).unwrap();
    c1.write_all(r, 0, b"rsrc").unwrap();
    c1.close_fork(r).unwrap();
    let copied = c1
        .call(command::CopyFile {
            src_volume_id: v1,
            src_dir_id: DIR_ROOT,
            dst_volume_id: v1,
            dst_dir_id: DIR_ROOT,
            src_path: common::client::utf8("t81 shared"),
            dst_path: common::client::utf8(""),
            new_name: common::client::utf8("t81 copy"),
        })
        .0;
    assert_eq!(copied, ResultCode::NO_ERR);
    for name in ["t81 shared", "t81 copy"] {
        for rsrc in [false, true] {
            let f = open(&mut c2, v2, name, rsrc, R | W)
                .unwrap_or_else(|e| panic!("{name} rsrc={rsrc}: {e:?}"));
            c2.write_all(f, 4, b"more").unwrap();
            c2.close_fork(f).unwrap();
        }
    }
    let root = srv.volume_path("test1");
    for name in ["t81 shared", "t81 copy"] {
        let mode = std::fs::metadata(root.join(name)).unwrap().permissions();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
            0o666,
            "{name}"
        );
    }
}
