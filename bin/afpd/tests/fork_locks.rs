//! FPByteRangeLock and FPByteRangeLockExt through the real server: every result code
//! (kFPLockErr, kFPRangeOverlap, kFPRangeNotLocked, kFPParamErr), the StartEndFlag, "to
//! the end" lengths, 32- and 64-bit variants, locks owned by the open fork, and their
//! effect on reads, writes and truncation in the same and in another session (netatalk
//! spectest FPByteRangeLock.c, FPByteRangeLockExt.c, FPSetForkParms.c test62).

mod common;

use std::os::unix::fs::PermissionsExt;

use afp_proto::ResultCode;
use afp_proto::command::{self, AccessMode, LockFlags, Reply};
use afp_proto::params::FileBitmap;
use bytes::{Bytes, BytesMut};
use common::{AfpClient, DIR_ROOT, TestServer};

const RW: AccessMode = AccessMode::READ.union(AccessMode::WRITE);
const SET: LockFlags = LockFlags::empty();
const CLEAR: LockFlags = LockFlags::UNLOCK;
const END: LockFlags = LockFlags::START_END;

fn open(c: &mut AfpClient, vol: u16, name: &str, rsrc: bool) -> u16 {
    c.open_fork(vol, DIR_ROOT, name, rsrc, RW, FileBitmap::empty())
        .unwrap()
        .fork
}

/// FPByteRangeLock (32-bit): RangeStart or the error.
fn lock32(
    c: &mut AfpClient,
    fork: u16,
    flags: LockFlags,
    offset: i32,
    length: i32,
) -> Result<u32, ResultCode> {
    match c.request(command::ByteRangeLock {
        flags,
        fork,
        offset,
        length,
    })? {
        Reply::ByteRangeLock { range_start } => Ok(range_start),
        r => panic!("unexpected {r:?}"),
    }
}

fn lock64(
    c: &mut AfpClient,
    fork: u16,
    flags: LockFlags,
    offset: i64,
    length: i64,
) -> Result<u64, ResultCode> {
    c.byte_range_lock_ext(fork, flags, offset, length)
}

/// FPSetForkParms with the 32-bit length bit of the fork's kind.
fn set_len(c: &mut AfpClient, fork: u16, rsrc: bool, len: i32) -> Result<(), ResultCode> {
    let bitmap = if rsrc {
        FileBitmap::RSRC_FORK_LEN
    } else {
        FileBitmap::DATA_FORK_LEN
    };
    match c.call(command::SetForkParms {
        fork,
        bitmap,
        params: Bytes::copy_from_slice(&len.to_be_bytes()),
    }) {
        (ResultCode::NO_ERR, _) => Ok(()),
        (e, _) => Err(e),
    }
}

/// FPWrite through DSIWrite: the result code only.
fn write(c: &mut AfpClient, fork: u16, offset: i32, len: usize) -> ResultCode {
    c.write(fork, offset, Bytes::from(vec![0x55; len]))
        .err()
        .unwrap_or(ResultCode::NO_ERR)
}

/// test63 / test64 / test66 / test67: the whole sequence on one file, for both forks and
/// both variants.
#[test]
fn lock_codes_on_one_file() {
    let srv = TestServer::builder().volume("test1").start();
    let mut c = srv.login();
    let vol = c.open_volume("test1");
    for rsrc in [false, true] {
        for wide in [false, true] {
            let name = format!("lock {rsrc} {wide}");
            c.create_file(vol, DIR_ROOT, &name, false).unwrap();
            let lk = |c: &mut AfpClient, f, flags, off: i64, len: i64| {
                if wide {
                    lock64(c, f, flags, off, len)
                } else {
                    lock32(c, f, flags, off as i32, len as i32).map(u64::from)
                }
            };
            let fork = open(&mut c, vol, &name, rsrc);
            assert_eq!(lk(&mut c, fork, SET, 0, 100), Ok(0));
            assert_eq!(lk(&mut c, fork, CLEAR, 0, 100), Ok(0));
            assert_eq!(lk(&mut c, fork, SET, 0, 100), Ok(0));
            assert_eq!(lk(&mut c, fork, SET, -1, 75), Err(ResultCode::PARAM_ERR));
            assert_eq!(
                lk(&mut c, fork, CLEAR, 0, 75),
                Err(ResultCode::RANGE_NOT_LOCKED)
            );
            assert_eq!(
                lk(&mut c, fork, SET, 80, 100),
                Err(ResultCode::RANGE_OVERLAP)
            );
            let fork1 = open(&mut c, vol, &name, rsrc);
            assert_eq!(lk(&mut c, fork1, SET, 20, 60), Err(ResultCode::LOCK_ERR));
            assert_eq!(set_len(&mut c, fork, rsrc, 50), Ok(()));
            // Extending into another fork's lock is allowed.
            assert_eq!(set_len(&mut c, fork1, rsrc, 60), Ok(()));
            assert_eq!(c.read(fork1, 0, 40).0, ResultCode::LOCK_ERR);
            assert_eq!(write(&mut c, fork1, 10, 40), ResultCode::LOCK_ERR);
            assert_eq!(c.close_fork(fork1), Ok(()));
            assert_eq!(lk(&mut c, fork, CLEAR, 0, 100), Ok(0));
            assert_eq!(
                lk(&mut c, fork, CLEAR, 0, 50),
                Err(ResultCode::RANGE_NOT_LOCKED)
            );
            assert_eq!(set_len(&mut c, fork, rsrc, 200), Ok(()));
            // StartEndFlag: relative to the end (200); RangeStart is absolute.
            assert_eq!(lk(&mut c, fork, END, 0, 100), Ok(200));
            assert_eq!(lk(&mut c, fork, CLEAR, 200, 100), Ok(200));
            assert_eq!(lk(&mut c, fork, END, -50, 10), Ok(150));
            assert_eq!(lk(&mut c, fork, CLEAR, 150, 10), Ok(150));
            assert_eq!(lk(&mut c, fork, END, -201, 10), Err(ResultCode::PARAM_ERR));
            // Length -1: to the largest offset; the same range unlocks it.
            assert_eq!(lk(&mut c, fork, SET, 0, -1), Ok(0));
            assert_eq!(lk(&mut c, fork, CLEAR, 0, -1), Ok(0));
            assert_eq!(lk(&mut c, fork, SET, 0, 0), Err(ResultCode::PARAM_ERR));
            assert_eq!(lk(&mut c, fork, SET, 0, -2), Err(ResultCode::PARAM_ERR));
            assert_eq!(c.close_fork(fork), Ok(()));
            // test60 / test195: a closed fork's reference.
            assert_eq!(lk(&mut c, fork, SET, 0, 100), Err(ResultCode::PARAM_ERR));
        }
    }
}

#[test]
fn own_locks_do_not_block_own_io() {
    // test80 (test_bytelock5).
    let srv = TestServer::builder().volume("test1").start();
    let mut c = srv.login();
    let vol = c.open_volume("test1");
    for rsrc in [false, true] {
        let name = format!("t80 {rsrc}");
        c.create_file(vol, DIR_ROOT, &name, false).unwrap();
        let f = open(&mut c, vol, &name, rsrc);
        set_len(&mut c, f, rsrc, 50).unwrap();
        lock32(&mut c, f, SET, 0, 100).unwrap();
        assert_eq!(c.read(f, 0, 40).0, ResultCode::NO_ERR);
        assert_eq!(write(&mut c, f, 10, 120), ResultCode::NO_ERR);
        lock32(&mut c, f, CLEAR, 0, 100).unwrap();
        c.close_fork(f).unwrap();
    }
}

/// test65 (test_bytelock3) for both forks: two users.
#[test]
fn locks_across_two_users() {
    let srv = TestServer::builder()
        .volume("test1")
        .generated_account(&[])
        .start();
    let mut c1 = srv.login();
    let mut c2 = srv.login_as(1);
    let v1 = c1.open_volume("test1");
    let v2 = c2.open_volume("test1");
    for rsrc in [false, true] {
        let name = format!("t65 {rsrc}");
        c1.create_file(v1, DIR_ROOT, &name, false).unwrap();
        let fork = open(&mut c1, v1, &name, rsrc);
        let root = srv.volume_path("test1");
        for n in [name.clone(), format!("._{name}")] {
            if root.join(&n).exists() {
                std::fs::set_permissions(root.join(n), std::fs::Permissions::from_mode(0o666))
                    .unwrap();
            }
        }
        set_len(&mut c1, fork, rsrc, 50).unwrap();
        lock32(&mut c1, fork, SET, 0, 100).unwrap();
        let fork1 = open(&mut c2, v2, &name, rsrc);
        assert_eq!(c2.read(fork1, 0, 40).0, ResultCode::LOCK_ERR);
        assert_eq!(write(&mut c2, fork1, 10, 40), ResultCode::LOCK_ERR);
        assert_eq!(write(&mut c2, fork1, 55, 40), ResultCode::LOCK_ERR);
        assert_eq!(set_len(&mut c2, fork1, rsrc, 60), Ok(()));
        assert_eq!(write(&mut c1, fork, 55, 40), ResultCode::NO_ERR);
        // Truncating 95 → 60 cuts into the other fork's lock.
        assert_eq!(set_len(&mut c2, fork1, rsrc, 60), Err(ResultCode::LOCK_ERR));
        assert_eq!(
            lock32(&mut c2, fork1, SET, 20, 60),
            Err(ResultCode::LOCK_ERR)
        );
        assert_eq!(set_len(&mut c1, fork, rsrc, 200), Ok(()));
        assert_eq!(set_len(&mut c2, fork1, rsrc, 120), Ok(()));
        // Nothing the refused calls did: still 120 bytes, the first 95 as written.
        let (code, d) = c2.read(fork1, 100, 100);
        assert_eq!((code, d.len()), (ResultCode::EOF_ERR, 20));
        c1.close_fork(fork).unwrap();
        // Closing released the lock: the other user reads and locks now.
        assert_eq!(c2.read(fork1, 0, 40).0, ResultCode::NO_ERR);
        assert_eq!(lock32(&mut c2, fork1, SET, 20, 60), Ok(20));
        c2.close_fork(fork1).unwrap();
    }
}

/// test78 (test_bytelock2): a lock to the end covers 64-bit offsets, for a second fork of
/// the same session and for another session.
#[test]
fn a_lock_to_the_end_covers_64_bit_offsets() {
    let srv = TestServer::builder().volume("test1").start();
    let mut c = srv.login();
    let mut c2 = srv.login();
    let vol = c.open_volume("test1");
    let v2 = c2.open_volume("test1");
    for rsrc in [true, false] {
        let name = format!("t78 {rsrc}");
        c.create_file(vol, DIR_ROOT, &name, false).unwrap();
        let fork = open(&mut c, vol, &name, rsrc);
        lock32(&mut c, fork, SET, 0, -1).unwrap();
        let fork1 = open(&mut c, vol, &name, rsrc);
        assert_eq!(
            lock64(&mut c, fork1, SET, 20, 60),
            Err(ResultCode::LOCK_ERR)
        );
        assert_eq!(
            lock64(&mut c, fork1, SET, (1 << 32) + 2, 60),
            Err(ResultCode::LOCK_ERR)
        );
        c.close_fork(fork1).unwrap();
        let other = open(&mut c2, v2, &name, rsrc);
        assert_eq!(
            c2.write_ext(other, (1 << 32) + 2, Bytes::from(vec![0u8; 40])),
            Err(ResultCode::LOCK_ERR)
        );
        c2.close_fork(other).unwrap();
        assert_eq!(lock32(&mut c, fork, CLEAR, 0, -1), Ok(0));
        c.close_fork(fork).unwrap();
    }
}

/// test410 / test606: disjoint ranges in two sessions; a sibling close keeps the lock.
#[test]
fn disjoint_ranges_and_sibling_close() {
    let srv = TestServer::builder().volume("test1").start();
    let mut c = srv.login();
    let mut c2 = srv.login();
    let vol = c.open_volume("test1");
    let v2 = c2.open_volume("test1");
    c.create_file(vol, DIR_ROOT, "f", false).unwrap();
    let fork = open(&mut c, vol, "f", false);
    c.set_fork_len(fork, 400).unwrap();
    let fork1 = open(&mut c2, v2, "f", false);
    assert_eq!(lock32(&mut c, fork, SET, 0, 100), Ok(0));
    assert_eq!(lock32(&mut c2, fork1, SET, 200, 100), Ok(200));
    assert_eq!(
        lock32(&mut c2, fork1, SET, 50, 100),
        Err(ResultCode::LOCK_ERR)
    );
    assert_eq!(
        lock32(&mut c, fork, SET, 250, 100),
        Err(ResultCode::LOCK_ERR)
    );
    let sib = open(&mut c, vol, "f", false);
    c.close_fork(sib).unwrap();
    assert_eq!(
        lock32(&mut c2, fork1, SET, 0, 100),
        Err(ResultCode::LOCK_ERR)
    );
    assert_eq!(lock32(&mut c, fork, CLEAR, 0, 100), Ok(0));
    assert_eq!(lock32(&mut c2, fork1, CLEAR, 200, 100), Ok(200));
    // A read stopping at another fork's lock returns the bytes before it (spec §8.3).
    c.write_ext(fork, 0, Bytes::from(vec![9u8; 400])).unwrap();
    assert_eq!(lock32(&mut c2, fork1, SET, 300, 10), Ok(300));
    let (code, d) = c.read_ext(fork, 100, 300);
    assert_eq!((code, d.len()), (ResultCode::LOCK_ERR, 200));
    assert!(d.iter().all(|&b| b == 9));
}

/// test62: truncation and locks.
#[test]
fn set_fork_parms_and_locks() {
    let srv = TestServer::builder().volume("test1").start();
    let mut c = srv.login();
    let vol = c.open_volume("test1");
    c.create_file(vol, DIR_ROOT, "t62", false).unwrap();
    let fork = open(&mut c, vol, "t62", false);
    assert_eq!(
        set_len(&mut c, fork, false, i32::MIN),
        Err(ResultCode::PARAM_ERR)
    );
    assert_eq!(set_len(&mut c, fork, false, -2), Err(ResultCode::PARAM_ERR));
    assert_eq!(
        c.call(command::SetForkParms {
            fork,
            bitmap: FileBitmap::ATTRIBUTES,
            // The suite always sends a 4-byte length; netatalk answers a shorter block
            // kFPParamErr before it looks at the bitmap.
            params: Bytes::from_static(&[0, 0, 0, 0]),
        })
        .0,
        ResultCode::BITMAP_ERR
    );
    set_len(&mut c, fork, false, 100).unwrap();
    assert_eq!(c.read(fork, 0, 100).0, ResultCode::NO_ERR);
    assert_eq!(c.read(fork, 99, 2).0, ResultCode::EOF_ERR);
    set_len(&mut c, fork, false, 0).unwrap();
    assert_eq!(c.read(fork, 0, 1).0, ResultCode::EOF_ERR);
    lock32(&mut c, fork, SET, 0, 100).unwrap();
    set_len(&mut c, fork, false, 50).unwrap();
    let fork1 = open(&mut c, vol, "t62", false);
    assert_eq!(
        lock32(&mut c, fork1, SET, 60, 100),
        Err(ResultCode::LOCK_ERR)
    );
    assert_eq!(set_len(&mut c, fork1, false, 0), Err(ResultCode::LOCK_ERR));
    c.close_fork(fork1).unwrap();
    lock32(&mut c, fork, CLEAR, 0, 100).unwrap();
    set_len(&mut c, fork, false, 200).unwrap();
    lock32(&mut c, fork, SET, 0, 100).unwrap();
    set_len(&mut c, fork, false, 50).unwrap();
    lock32(&mut c, fork, CLEAR, 0, 100).unwrap();
}

/// test330-like: many small locks as a pre-OS X trash map, and a lock/unlock storm.
#[test]
fn many_locks() {
    let srv = TestServer::builder().volume("test1").start();
    let mut c = srv.login();
    let mut c2 = srv.login();
    let vol = c.open_volume("test1");
    let v2 = c2.open_volume("test1");
    c.create_file(vol, DIR_ROOT, "map", false).unwrap();
    let a = open(&mut c, vol, "map", false);
    let b = open(&mut c2, v2, "map", false);
    for i in 0..500 {
        assert_eq!(lock32(&mut c, a, SET, i * 2, 1), Ok(i as u32 * 2));
        assert_eq!(lock32(&mut c2, b, SET, i * 2, 1), Err(ResultCode::LOCK_ERR));
        assert_eq!(lock32(&mut c2, b, SET, i * 2 + 1, 1), Ok(i as u32 * 2 + 1));
    }
    c.close_fork(a).unwrap();
    assert_eq!(lock32(&mut c2, b, SET, 0, 1), Ok(0));
    // Pipelined lock/unlock pairs keep their order.
    let reqs: Vec<command::Request> = (0..200)
        .flat_map(|i| {
            [
                command::ByteRangeLockExt {
                    flags: SET,
                    fork: b,
                    offset: 10_000 + i,
                    length: 1,
                }
                .into(),
                command::ByteRangeLockExt {
                    flags: CLEAR,
                    fork: b,
                    offset: 10_000 + i,
                    length: 1,
                }
                .into(),
            ]
        })
        .collect();
    for batch in reqs.chunks(60) {
        for (code, _) in c2.pipeline(batch.to_vec()) {
            assert_eq!(code, ResultCode::NO_ERR);
        }
    }
    let mut b32 = BytesMut::new();
    command::ByteRangeLock {
        flags: SET,
        fork: b,
        offset: 0,
        length: 1,
    }
    .encode(&mut b32);
    assert_eq!(b32.len(), 12);
}

/// test366: a session's locks go away with it.
#[test]
fn logout_releases_locks() {
    let srv = TestServer::builder().volume("test1").start();
    let mut c = srv.login();
    let mut c2 = srv.login();
    let vol = c.open_volume("test1");
    let v2 = c2.open_volume("test1");
    c.create_file(vol, DIR_ROOT, "f", false).unwrap();
    let a = open(&mut c, vol, "f", false);
    lock32(&mut c, a, SET, 0, -1).unwrap();
    let b = open(&mut c2, v2, "f", false);
    assert_eq!(lock32(&mut c2, b, SET, 10, 1), Err(ResultCode::LOCK_ERR));
    c.logout().unwrap();
    assert_eq!(lock32(&mut c2, b, SET, 10, 1), Ok(10));
    assert_eq!(c2.delete(v2, DIR_ROOT, "f"), Err(ResultCode::FILE_BUSY));
    c2.close_fork(b).unwrap();
    assert_eq!(c2.delete(v2, DIR_ROOT, "f"), Ok(()));
}
