//! FPRead, FPReadExt, FPWrite and FPWriteExt through the real server: results and exact
//! codes (EOF, ReqCount 0, negative values, access, 32-bit limits, StartEndFlag,
//! LastWritten), data and resource forks, sparse offsets past 4 GiB, and large streamed
//! transfers checked byte for byte (netatalk spectest FPRead.c, FPReadExt.c, FPWrite.c,
//! FPWriteExt.c, T2_FPRead.c).

mod common;

use afp_proto::ResultCode;
use afp_proto::command::{self, AccessMode, CommandCode};
use afp_proto::params::FileBitmap;
use bytes::{Bytes, BytesMut};
use common::{AfpClient, DIR_ROOT, TestServer};

const R: AccessMode = AccessMode::READ;
const W: AccessMode = AccessMode::WRITE;

fn setup(name: &str) -> (TestServer, AfpClient, u16) {
    let srv = TestServer::builder().volume("test1").start();
    let mut c = srv.login();
    let vol = c.open_volume("test1");
    c.create_file(vol, DIR_ROOT, name, false).unwrap();
    (srv, c, vol)
}

fn open(c: &mut AfpClient, vol: u16, name: &str, rsrc: bool, mode: AccessMode) -> u16 {
    c.open_fork(vol, DIR_ROOT, name, rsrc, mode, FileBitmap::empty())
        .unwrap()
        .fork
}

/// FPWrite with the StartEndFlag (the client's `write` has none).
fn write32(
    c: &mut AfpClient,
    fork: u16,
    offset: i32,
    data: &[u8],
    start_end: bool,
) -> Result<u32, ResultCode> {
    let head = command::Write {
        start_end,
        fork,
        offset,
        count: data.len() as i32,
    };
    let mut b = BytesMut::new();
    head.encode(&mut b);
    let (code, body) = c
        .try_write_raw(b.freeze(), Bytes::copy_from_slice(data))
        .unwrap();
    if code != ResultCode::NO_ERR {
        return Err(code);
    }
    assert_eq!(body.len(), 4);
    Ok(u32::from_be_bytes(body[..4].try_into().unwrap()))
}

/// A DSIWrite whose header claims `count` but carries `data` (the write ReqCount and the
/// DSI length disagree, or the data is left out).
fn write_claiming(
    c: &mut AfpClient,
    fork: u16,
    offset: i64,
    count: i64,
    data: &[u8],
) -> (ResultCode, Bytes) {
    let head = command::WriteExt {
        start_end: false,
        fork,
        offset,
        count,
    };
    let mut b = BytesMut::new();
    head.encode(&mut b);
    c.try_write_raw(b.freeze(), Bytes::copy_from_slice(data))
        .unwrap()
}

fn pattern(len: usize, seed: u32) -> Vec<u8> {
    // xorshift: incompressible and position-dependent, so misplaced bytes are caught.
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

#[test]
fn read_write_data_fork_like_test5() {
    let (_srv, mut c, vol) = setup("t5 file.txt");
    let size = 10_000;
    let fork = open(&mut c, vol, "t5 file.txt", false, R | W);
    // Empty file: kFPEOFErr with no data.
    assert_eq!(c.read(fork, 0, size), (ResultCode::EOF_ERR, Bytes::new()));
    let fork1 = open(&mut c, vol, "t5 file.txt", false, R | W);
    let data = pattern(2048, 5);
    assert_eq!(
        c.write(fork1, size - 2000, Bytes::from(data.clone())),
        Ok((size + 48) as u32)
    );
    c.flush_fork(fork1).unwrap();
    let (code, got) = c.read(fork, 0, size);
    assert_eq!(code, ResultCode::NO_ERR);
    assert_eq!(got.len(), size as usize);
    assert!(got[..8000].iter().all(|&b| b == 0));
    assert_eq!(&got[8000..], &data[..2000]);
    // StartEndFlag: append at the end.
    assert_eq!(
        write32(&mut c, fork1, 0, &[7; 100], true),
        Ok((size + 148) as u32)
    );
    let (code, tail) = c.read(fork, size + 48, 1000);
    assert_eq!(code, ResultCode::EOF_ERR);
    assert_eq!(&tail[..], &[7; 100][..]);
    c.close_fork(fork1).unwrap();
    c.close_fork(fork).unwrap();
    // Read-only fork: FPSetForkParms → kFPAccessDenied; the writer truncates.
    let fork = open(&mut c, vol, "t5 file.txt", false, R);
    let fork1 = open(&mut c, vol, "t5 file.txt", false, R | W);
    assert_eq!(c.set_fork_len(fork, 0), Err(ResultCode::ACCESS_DENIED));
    c.set_fork_len(fork1, 0).unwrap();
    assert_eq!(c.read(fork, 10, size).0, ResultCode::EOF_ERR);
    c.write(fork1, 100, Bytes::from(vec![1u8; 20])).unwrap();
    assert_eq!(
        c.read(fork, 110, 10),
        (ResultCode::NO_ERR, Bytes::from(vec![1u8; 10]))
    );
}

#[test]
fn read_write_resource_fork_like_test46() {
    let (srv, mut c, vol) = setup("t46 file.txt");
    let fork = open(&mut c, vol, "t46 file.txt", true, R | W);
    assert_eq!(c.read(fork, 0, 10_000), (ResultCode::EOF_ERR, Bytes::new()));
    let fork1 = open(&mut c, vol, "t46 file.txt", true, R | W);
    let data = pattern(2048, 46);
    assert_eq!(c.write(fork1, 8000, Bytes::from(data.clone())), Ok(10_048));
    c.flush_fork(fork1).unwrap();
    let (code, got) = c.read(fork, 0, 10_000);
    assert_eq!(code, ResultCode::NO_ERR);
    assert_eq!(&got[8000..], &data[..2000]);
    c.close_fork(fork1).unwrap();
    c.close_fork(fork).unwrap();
    // On disk: netatalk's sidecar, header length field current after close.
    let raw = std::fs::read(srv.volume_path("test1").join("._t46 file.txt")).unwrap();
    assert_eq!(raw.len(), 82 + 10_048);
    assert_eq!(&raw[46..50], &10_048u32.to_be_bytes());
    assert_eq!(&raw[82 + 8000..], &data[..]);
    // The data fork is untouched.
    assert_eq!(
        std::fs::metadata(srv.volume_path("test1").join("t46 file.txt"))
            .unwrap()
            .len(),
        0
    );
    let p = c
        .get_file_dir_parms(
            vol,
            DIR_ROOT,
            "t46 file.txt",
            FileBitmap::EXT_RSRC_FORK_LEN | FileBitmap::EXT_DATA_FORK_LEN,
            Default::default(),
        )
        .unwrap();
    match p.params {
        afp_proto::params::FileDirParams::File(f) => {
            assert_eq!(f.ext_rsrc_fork_len, Some(10_048));
            assert_eq!(f.ext_data_fork_len, Some(0));
        }
        _ => panic!(),
    }
}

#[test]
fn read_and_write_errors_like_test61_and_test59() {
    let (_srv, mut c, vol) = setup("t61");
    let w = open(&mut c, vol, "t61", false, W);
    assert_eq!(c.read(w, 0, 30).0, ResultCode::ACCESS_DENIED);
    assert_eq!(c.write(w, 0, Bytes::new()), Ok(0));
    c.close_fork(w).unwrap();
    let r = open(&mut c, vol, "t61", false, R);
    assert_eq!(
        c.write(r, 0, Bytes::from(vec![0u8; 30])),
        Err(ResultCode::ACCESS_DENIED)
    );
    assert_eq!(c.read(r, 0, 0), (ResultCode::NO_ERR, Bytes::new()));
    c.close_fork(r).unwrap();
    let f = open(&mut c, vol, "t61", false, R | W);
    c.write(f, 0, Bytes::from(vec![3u8; 300])).unwrap();
    let (code, d) = c.read(f, 0, 400);
    assert_eq!((code, d.len()), (ResultCode::EOF_ERR, 300));
    // test59: negative 32-bit offsets (2^31 + 20 on the wire) → kFPParamErr; a 32-bit
    // write past 2^31 - 1 → kFPDiskFull.
    let big = ((1i64 << 31) + 20) as i32;
    assert_eq!(c.read(f, big, 3000).0, ResultCode::PARAM_ERR);
    assert_eq!(
        c.write(f, big, Bytes::from(vec![0u8; 3000])),
        Err(ResultCode::PARAM_ERR)
    );
    assert_eq!(
        c.write(f, 0x7fff_ffff, Bytes::from(vec![0u8; 30])),
        Err(ResultCode::DISK_FULL)
    );
    // test216.
    assert_eq!(
        c.write(f, 0x7fff_ffff - 20, Bytes::from(vec![0u8; 15_000])),
        Err(ResultCode::DISK_FULL)
    );
    assert_eq!(
        c.write(f, 0x7fff_ffff - 12_000, Bytes::from(vec![0u8; 15_000])),
        Err(ResultCode::DISK_FULL)
    );
    assert_eq!(
        c.write(f, 0x7ffe_0000, Bytes::from(vec![0u8; 0x20000])),
        Err(ResultCode::DISK_FULL)
    );
    // Negative counts and offsets on the 64-bit calls.
    assert_eq!(c.read_ext(f, -1, 10).0, ResultCode::PARAM_ERR);
    assert_eq!(c.read_ext(f, 0, -1).0, ResultCode::PARAM_ERR);
    assert_eq!(
        write_claiming(&mut c, f, -5, 0, &[]).0,
        ResultCode::PARAM_ERR
    );
    assert_eq!(
        write_claiming(&mut c, f, 0, -5, &[]).0,
        ResultCode::PARAM_ERR
    );
    // Offset + count past 2^63 → kFPDiskFull.
    assert_eq!(
        write_claiming(&mut c, f, i64::MAX - 1, 10, &[1; 10]).0,
        ResultCode::DISK_FULL
    );
    // The file is still 300 bytes: nothing was written by the refused calls.
    assert_eq!(c.read_ext(f, 0, 1000).1.len(), 300);
    // Unknown fork reference.
    assert_eq!(c.read_ext(0x7777, 0, 1).0, ResultCode::PARAM_ERR);
    assert_eq!(
        c.write_ext(0x7777, 0, &b"x"[..]),
        Err(ResultCode::PARAM_ERR)
    );
    // The session is still usable after all that.
    assert_eq!(c.write_ext(f, 300, &b"end"[..]), Ok(303));
}

#[test]
fn zero_byte_writes_and_reads_at_eof() {
    // test303 / test304 / test305: LastWritten = offset, the fork does not grow.
    let (_srv, mut c, vol) = setup("t303");
    let f = open(&mut c, vol, "t303", false, R | W);
    c.set_fork_len(f, 1024).unwrap();
    assert_eq!(c.write(f, 1024, Bytes::new()), Ok(1024));
    assert_eq!(c.write_ext(f, 2048, Bytes::new()), Ok(2048));
    assert_eq!(
        c.get_fork_parms(f, FileBitmap::DATA_FORK_LEN)
            .unwrap()
            .data_fork_len,
        Some(1024)
    );
    // test344-like: reads at and after EOF.
    assert_eq!(c.read_ext(f, 1024, 10), (ResultCode::EOF_ERR, Bytes::new()));
    assert_eq!(c.read_ext(f, 5000, 10), (ResultCode::EOF_ERR, Bytes::new()));
    assert_eq!(
        c.read_ext(f, i64::MAX, 10),
        (ResultCode::EOF_ERR, Bytes::new())
    );
    let (code, d) = c.read_ext(f, 1020, 10);
    assert_eq!((code, d.len()), (ResultCode::EOF_ERR, 4));
    assert!(
        d.iter().all(|&b| b == 0),
        "test306: extension reads as zeros"
    );
    // test148: FPReadExt of 2000 on a 1714-byte fork: kFPEOFErr and 1714 bytes.
    c.set_fork_len(f, 0).unwrap();
    assert_eq!(c.write_ext(f, 0, Bytes::from(vec![b'b'; 1714])), Ok(1714));
    let (code, d) = c.read_ext(f, 0, 2000);
    assert_eq!((code, d.len()), (ResultCode::EOF_ERR, 1714));
}

#[test]
fn offsets_past_2_and_4_gib_on_both_forks() {
    // test22 / test207: sparse writes at 2^31 + 20 and 2^32 + 20, data and resource fork.
    let (_srv, mut c, vol) = setup("very big");
    let d = open(&mut c, vol, "very big", false, R | W);
    let r = open(&mut c, vol, "very big", true, R | W);
    let b = vec![b'b'; 3000];
    let two = (1i64 << 31) + 20;
    let four = (1i64 << 32) + 20;
    assert_eq!(
        c.write_ext(d, two, Bytes::from(b[..2000].to_vec())),
        Ok(two as u64 + 2000)
    );
    assert_eq!(
        c.write_ext(r, two, Bytes::from(b[..1000].to_vec())),
        Ok(two as u64 + 1000)
    );
    assert_eq!(
        c.write_ext(d, (1 << 31) + 1000, Bytes::from(b.clone())),
        Ok((1 << 31) + 4000)
    );
    // StartEndFlag appends to each fork.
    assert_eq!(
        c.write_ext_flag(d, 0, Bytes::from(b[..200].to_vec()), true),
        Ok((1 << 31) + 4200)
    );
    assert_eq!(
        c.write_ext_flag(r, 0, Bytes::from(b[..200].to_vec()), true),
        Ok(two as u64 + 1200)
    );
    let (code, zeros) = c.read_ext(d, 10, 10_000);
    assert_eq!(code, ResultCode::NO_ERR);
    assert!(zeros.iter().all(|&x| x == 0));
    let (code, bs) = c.read_ext(d, two, 3000);
    assert_eq!(code, ResultCode::NO_ERR);
    assert!(bs.iter().all(|&x| x == b'b'));
    assert_eq!(
        c.write_ext(d, four, Bytes::from(b[..2000].to_vec())),
        Ok(four as u64 + 2000)
    );
    assert_eq!(
        c.write_ext(r, four, Bytes::from(b[..1000].to_vec())),
        Ok(four as u64 + 1000)
    );
    let (code, bs) = c.read_ext(d, four, 1500);
    assert_eq!(code, ResultCode::NO_ERR);
    assert!(bs.iter().all(|&x| x == b'b'));
    let (code, rs) = c.read_ext(r, four, 2000);
    assert_eq!((code, rs.len()), (ResultCode::EOF_ERR, 1000));
    let p = c
        .get_fork_parms(r, FileBitmap::EXT_RSRC_FORK_LEN | FileBitmap::RSRC_FORK_LEN)
        .unwrap();
    assert_eq!(p.ext_rsrc_fork_len, Some(four as u64 + 1000));
    assert_eq!(
        p.rsrc_fork_len,
        Some(u32::MAX),
        "the 32-bit length is capped"
    );
    // 32-bit reads reach up to 2^31 - 1 (test217).
    assert_eq!(c.read(d, i32::MAX, 1).0, ResultCode::NO_ERR);
}

#[test]
fn newline_mode_stops_after_the_newline_char() {
    let (_srv, mut c, vol) = setup("lines");
    let f = open(&mut c, vol, "lines", false, R | W);
    c.write_ext(f, 0, &b"one\rtwo\rthree"[..]).unwrap();
    let (code, d) = c.call(command::Read {
        fork: f,
        offset: 0,
        count: 100,
        newline_mask: 0xFF,
        newline_char: b'\r',
    });
    assert_eq!((code, &d[..]), (ResultCode::NO_ERR, &b"one\r"[..]));
    let (code, d) = c.call(command::Read {
        fork: f,
        offset: 8,
        count: 100,
        newline_mask: 0xFF,
        newline_char: b'\r',
    });
    assert_eq!((code, &d[..]), (ResultCode::EOF_ERR, &b"three"[..]));
}

#[test]
fn a_write_carrying_less_data_than_its_count_writes_what_came() {
    let (_srv, mut c, vol) = setup("short");
    let f = open(&mut c, vol, "short", false, R | W);
    let (code, body) = write_claiming(&mut c, f, 0, 10, b"abc");
    assert_eq!(code, ResultCode::NO_ERR);
    assert_eq!(&body[..], &3u64.to_be_bytes());
    // More data than the count: only the count is written.
    let (code, body) = write_claiming(&mut c, f, 0, 2, b"XYZ");
    assert_eq!(code, ResultCode::NO_ERR);
    assert_eq!(&body[..], &2u64.to_be_bytes());
    assert_eq!(
        c.read_ext(f, 0, 10),
        (ResultCode::EOF_ERR, Bytes::from_static(b"XYc"))
    );
}

/// 48 MiB written with 1 MiB DSIWrites (the server quantum) and read back in 1 MiB and
/// 8 MiB reads, checked byte for byte; a resource fork of 12 MiB the same way.
#[test]
fn large_streamed_transfers() {
    let (_srv, mut c, vol) = setup("big");
    let data = pattern(48 << 20, 0xA5A5);
    let f = open(&mut c, vol, "big", false, R | W);
    c.write_all(f, 0, &data).unwrap();
    c.flush_fork(f).unwrap();
    let back = c.read_all(f, 0, data.len()).unwrap();
    assert!(back == data, "data fork differs after a 48 MiB round trip");
    // One read larger than the quantum: the server answers up to its read limit.
    let (code, big) = c.read_ext(f, 0, 8 << 20);
    assert_eq!(code, ResultCode::NO_ERR);
    assert!(big[..] == data[..8 << 20]);
    // A read asking for more than exists: all of it, kFPEOFErr.
    let (code, rest) = c.read_ext(f, (40 << 20) as i64, 16 << 20);
    assert_eq!(code, ResultCode::EOF_ERR);
    assert!(rest[..] == data[40 << 20..]);
    c.close_fork(f).unwrap();
    let r = open(&mut c, vol, "big", true, R | W);
    let rdata = pattern(12 << 20, 77);
    c.write_all(r, 0, &rdata).unwrap();
    let back = c.read_all(r, 0, rdata.len()).unwrap();
    assert!(
        back == rdata,
        "resource fork differs after a 12 MiB round trip"
    );
    c.close_fork(r).unwrap();
}

#[test]
fn pipelined_reads_and_writes() {
    // test309 / test327: requests sent before the replies are read.
    let (_srv, mut c, vol) = setup("pipe");
    let f = open(&mut c, vol, "pipe", false, R | W);
    c.set_fork_len(f, 10 * 128 * 1024).unwrap();
    let reqs: Vec<command::Request> = (0..8)
        .map(|i| {
            command::ReadExt {
                fork: f,
                offset: i * 128 * 1024,
                count: 128 * 1024,
            }
            .into()
        })
        .collect();
    for (code, data) in c.pipeline(reqs) {
        assert_eq!(code, ResultCode::NO_ERR);
        assert_eq!(data.len(), 128 * 1024);
    }
    assert_eq!(CommandCode::READ_EXT.0, 60);
}
