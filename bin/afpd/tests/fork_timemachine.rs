//! Time Machine requirements for forks (spec §10): `vol size limit` enforced on writes and
//! fork extension with the disk-full error and nothing written, and durability: after a
//! kill -9 of the server in the middle of a stream of writes, every byte written before a
//! successful FPFlushFork, FPSyncFork or FPCloseFork is there, and the volume (with its
//! CNID store) opens cleanly.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use afp_proto::ResultCode;
use afp_proto::command::{self, AccessMode};
use afp_proto::params::{FileBitmap, FileDirParams};
use bytes::{Bytes, BytesMut};
use common::{AfpClient, DIR_ROOT, TestServer};

const RW: AccessMode = AccessMode::READ.union(AccessMode::WRITE);
const MIB: usize = 1 << 20;

fn open(c: &mut AfpClient, vol: u16, name: &str, rsrc: bool) -> u16 {
    c.open_fork(vol, DIR_ROOT, name, rsrc, RW, FileBitmap::empty())
        .unwrap()
        .fork
}

/// A sparse bundle in the volume root using `bands - 1` bands of `band` bytes.
fn fake_bundle(root: &std::path::Path, bands: usize, band: usize) {
    let b = root.join("mac.sparsebundle");
    std::fs::create_dir_all(b.join("bands")).unwrap();
    std::fs::write(
        b.join("Info.plist"),
        format!("<plist><dict><key>band-size</key><integer>{band}</integer></dict></plist>"),
    )
    .unwrap();
    for i in 0..bands {
        std::fs::write(b.join("bands").join(format!("{i:x}")), b"").unwrap();
    }
}

fn data_len(c: &mut AfpClient, vol: u16, name: &str) -> u64 {
    let r = c
        .get_file_dir_parms(
            vol,
            DIR_ROOT,
            name,
            FileBitmap::EXT_DATA_FORK_LEN,
            Default::default(),
        )
        .unwrap();
    match r.params {
        FileDirParams::File(p) => p.ext_data_fork_len.unwrap(),
        FileDirParams::Dir(_) => panic!("not a file"),
    }
}

#[test]
fn vol_size_limit_refuses_writes_past_it() {
    // 10 MiB limit; the sparse bundle already uses 8 MiB.
    let srv = TestServer::builder()
        .volume("tm")
        .volume_option("tm", "time machine", "yes")
        .volume_option("tm", "vol size limit", "10")
        .start();
    fake_bundle(srv.volume_path("tm"), 9, MIB);
    let mut c = srv.login();
    let vol = c.open_volume("tm");
    c.create_file(vol, DIR_ROOT, "band", false).unwrap();
    let f = open(&mut c, vol, "band", false);
    let mib = MIB as u64;
    assert_eq!(c.write_ext(f, 0, Bytes::from(vec![1u8; MIB])), Ok(mib));
    // 1.5 MiB more does not fit (8 + 1 + 1.5 > 10): kFPDiskFull and nothing written.
    assert_eq!(
        c.write_ext(f, (MIB + MIB / 2) as i64, Bytes::from(vec![2u8; MIB])),
        Err(ResultCode::DISK_FULL)
    );
    assert_eq!(data_len(&mut c, vol, "band"), mib);
    let (_, head) = c.read_ext(f, 0, 16);
    assert!(
        head.iter().all(|&b| b == 1),
        "a refused write changed the fork"
    );
    // Overwriting inside the fork needs no room.
    assert_eq!(c.write_ext(f, 0, Bytes::from(vec![3u8; MIB])), Ok(mib));
    // Extending with FPSetForkParms is counted too.
    assert_eq!(c.set_fork_len(f, 3 * mib), Err(ResultCode::DISK_FULL));
    assert_eq!(data_len(&mut c, vol, "band"), mib);
    // What is left still fits (10 - 8 - 1 = 1 MiB), then nothing more.
    assert_eq!(
        c.write_ext_flag(f, 0, Bytes::from(vec![4u8; 3 * MIB / 4]), true),
        Ok(7 * mib / 4)
    );
    assert_eq!(
        c.write_ext_flag(f, 0, Bytes::from(vec![4u8; MIB / 2]), true),
        Err(ResultCode::DISK_FULL)
    );
    // Resource forks count as well.
    let r = open(&mut c, vol, "band", true);
    assert_eq!(
        c.write_ext(r, 0, Bytes::from(vec![5u8; MIB / 2])),
        Err(ResultCode::DISK_FULL)
    );
    assert_eq!(c.read_ext(r, 0, 10), (ResultCode::EOF_ERR, Bytes::new()));
    // The 32-bit call gives the same answer.
    assert_eq!(
        c.write(f, 2 * MIB as i32, Bytes::from(vec![6u8; MIB / 2])),
        Err(ResultCode::DISK_FULL)
    );
    assert_eq!(data_len(&mut c, vol, "band"), 7 * mib / 4);
    // Another volume without a limit is not affected.
    c.close_fork(f).unwrap();
}

#[test]
fn a_disk_full_write_is_reported_and_cut_back() {
    // A real ENOSPC: the volume is a 4 MiB tmpfs (root and mount(8) needed).
    assert!(
        common::server::is_root(),
        "this test mounts a tmpfs: run it as root"
    );
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("small");
    std::fs::create_dir(&mnt).unwrap();
    let ok = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=4m,mode=0777", "tmpfs"])
        .arg(&mnt)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "mounting a 4 MiB tmpfs (needs root and the mount tool)");
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
        }
    }
    let _guard = Unmount(mnt.clone());
    let srv = TestServer::builder().volume_at("small", &mnt).start();
    let mut c = srv.login();
    let vol = c.open_volume("small");
    c.create_file(vol, DIR_ROOT, "fill", false).unwrap();
    let f = open(&mut c, vol, "fill", false);
    // test226: append 768 KiB at a time until the file system is full: the last write
    // fits only in part, and gets kFPDiskFull …
    let piece = 3 * MIB / 4;
    let mut written = 0u64;
    let full = loop {
        match c.write_ext_flag(f, 0, Bytes::from(vec![7u8; piece]), true) {
            Ok(end) => {
                written += piece as u64;
                assert_eq!(end, written);
            }
            Err(e) => break e,
        }
        assert!(written <= 4 * MIB as u64, "a 4 MiB file system took more");
    };
    assert_eq!(full, ResultCode::DISK_FULL);
    assert_eq!(written, 5 * piece as u64);
    // … and the part of the failed write that grew the fork is cut off again: the fork
    // holds exactly what was confirmed, intact.
    assert_eq!(data_len(&mut c, vol, "fill"), written);
    let back = c.read_all(f, 0, written as usize).unwrap();
    assert!(back.iter().all(|&b| b == 7));
    // The freed space is usable again.
    assert_eq!(
        c.write_ext(f, written as i64, Bytes::from(vec![9u8; 4096])),
        Ok(written + 4096)
    );
}

fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn node_id(c: &mut AfpClient, vol: u16, name: &str) -> u32 {
    let r = c
        .get_file_dir_parms(vol, DIR_ROOT, name, FileBitmap::NODE_ID, Default::default())
        .unwrap();
    match r.params {
        FileDirParams::File(p) => p.node_id.unwrap(),
        FileDirParams::Dir(_) => panic!("not a file"),
    }
}

#[test]
fn kill_9_mid_write_loses_nothing_flushed() {
    let mut srv = TestServer::builder()
        .volume("tm")
        .volume_option("tm", "time machine", "yes")
        .start();
    let data = Arc::new(pattern(64 * MIB, 0x5EED));
    let mut c = srv.login();
    let vol = c.open_volume("tm");
    for name in ["synced", "flushed", "closed", "streaming"] {
        c.create_file(vol, DIR_ROOT, name, false).unwrap();
    }
    let ids: Vec<u32> = ["synced", "flushed", "closed"]
        .iter()
        .map(|n| node_id(&mut c, vol, n))
        .collect();
    // Three files made durable three ways.
    let f = open(&mut c, vol, "synced", false);
    c.write_all(f, 0, &data[..3 * MIB]).unwrap();
    c.sync_fork(f).unwrap();
    let g = open(&mut c, vol, "flushed", true);
    c.write_all(g, 0, &data[..2 * MIB]).unwrap();
    c.flush_fork(g).unwrap();
    let h = open(&mut c, vol, "closed", false);
    c.write_all(h, 0, &data[..MIB + 7]).unwrap();
    c.close_fork(h).unwrap();
    // Writes after the last sync are in flight when the server dies.
    c.write_ext(
        f,
        3 * MIB as i64,
        Bytes::copy_from_slice(&data[3 * MIB..4 * MIB]),
    )
    .unwrap();

    // Another session streams 1 MiB writes, syncing after each; the test records what was
    // confirmed durable.
    let durable = Arc::new(AtomicU64::new(0));
    let writer = {
        let mut w = srv.login();
        let durable = durable.clone();
        let data = data.clone();
        std::thread::spawn(move || {
            let v = w.open_volume("tm");
            let s = open(&mut w, v, "streaming", false);
            let mut off = 0usize;
            while off + MIB <= data.len() {
                let head = command::WriteExt {
                    start_end: false,
                    fork: s,
                    offset: off as i64,
                    count: MIB as i64,
                };
                let mut b = BytesMut::new();
                head.encode(&mut b);
                let piece = Bytes::copy_from_slice(&data[off..off + MIB]);
                match w.try_write_raw(b.freeze(), piece) {
                    Ok((ResultCode::NO_ERR, _)) => off += MIB,
                    _ => return,
                }
                match w.try_call(command::SyncFork { fork: s }) {
                    Ok((ResultCode::NO_ERR, _)) => durable.store(off as u64, Ordering::SeqCst),
                    _ => return,
                }
            }
        })
    };
    // Let a few MiB through, then kill the server while writes are in progress.
    for _ in 0..12_000 {
        if durable.load(Ordering::SeqCst) >= 4 * MIB as u64 {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    srv.kill9();
    writer.join().unwrap();
    let confirmed = durable.load(Ordering::SeqCst) as usize;
    assert!(
        confirmed >= 4 * MIB,
        "the writer made no progress before the kill"
    );
    assert!(
        confirmed < data.len(),
        "the kill came after the whole stream"
    );

    srv.restart();
    let mut c = srv.login();
    // The volume and its CNID store open cleanly, and IDs are what they were.
    let vol = c.open_volume("tm");
    let again: Vec<u32> = ["synced", "flushed", "closed"]
        .iter()
        .map(|n| node_id(&mut c, vol, n))
        .collect();
    assert_eq!(again, ids, "node IDs changed across the crash");
    let f = open(&mut c, vol, "synced", false);
    assert!(c.read_all(f, 0, 4 * MIB).unwrap()[..] == data[..4 * MIB]);
    let g = open(&mut c, vol, "flushed", true);
    assert!(c.read_all(g, 0, 2 * MIB).unwrap()[..] == data[..2 * MIB]);
    let h = open(&mut c, vol, "closed", false);
    assert!(c.read_all(h, 0, MIB + 7).unwrap()[..] == data[..MIB + 7]);
    let s = open(&mut c, vol, "streaming", false);
    let back = c.read_all(s, 0, confirmed).unwrap();
    assert!(
        back[..] == data[..confirmed],
        "bytes confirmed by FPSyncFork are missing"
    );
    // Everything still works: locks and deny modes of the dead server are gone.
    c.close_fork(s).unwrap();
    let x = c
        .open_fork(
            vol,
            DIR_ROOT,
            "streaming",
            false,
            RW | AccessMode::DENY_READ | AccessMode::DENY_WRITE,
            FileBitmap::empty(),
        )
        .unwrap();
    assert_ne!(x.fork, 0);
}
