//! afserver and afclient end to end, over a pipe and over TCP on loopback: back up a tree
//! of 10,000 files and a 1 GiB file, list, restore, compare.
//!
//! Over the pipe the 1 GiB file is generated (dense) data, so a full GiB crosses the
//! protocol and three file-backed cartridges; over TCP it is a sparse file (the tar
//! stream stores it as a GNU sparse entry) compressed with zstd.

mod common;

use std::fs;

use afserver::client::{BackupOptions, Connection};
use tape_format::afbackup::{BytesOnTape, CartridgeOrder, Status};

use common::*;

const GIB: u64 = 1 << 30;

fn make_source(root: &std::path::Path, seed: u64, dense: bool) {
    small_tree(root, 10_000, seed);
    if dense {
        dense_file(&root.join("big.img"), GIB, seed);
    } else {
        sparse_file(&root.join("big.img"), GIB, seed);
    }
}

fn opts(zstd: bool) -> BackupOptions {
    BackupOptions {
        host: "localhost".into(),
        disk: None,
        level: 0,
        zstd,
        progress: false,
    }
}

#[test]
fn over_a_pipe_spanning_three_file_backed_cartridges() {
    let dir = scratch();
    let src = dir.path().join("src");
    make_source(&src, 11, true);
    // 400 MB cartridges with a 1 MiB early-warning zone: the 1 GiB backup spans three.
    let conf = config(
        dir.path(),
        &format!("simh:{}", dir.path().join("tapes").display()),
        &format!(
            "Number Of Cartridges: 4\nCartridge-Capacity: 400000000\nEarly-Warning: 1048576\n\
             Max Bytes Per File: 100000000\nTape-Full-Command: echo %c %n >> {}\n",
            dir.path().join("full.log").display()
        ),
    );
    let spec = pipe_spec(&conf);
    let mut c = Connection::connect(&spec).unwrap();
    let (id, bytes, parts) = c.backup(&src, &opts(false)).unwrap();
    assert!(bytes > GIB);
    let carts: std::collections::BTreeSet<u32> = parts.iter().map(|p| p.0).collect();
    assert_eq!(carts, [1, 2, 3].into());
    c.quit().unwrap();

    // State files in afbackup's formats.
    let state = dir.path().join("state");
    let order = CartridgeOrder::decode(&fs::read_to_string(state.join("cartridge_order")).unwrap())
        .unwrap();
    assert_eq!(order.next(1).map(|x| x.0), Some(2));
    assert_eq!(order.next(2).map(|x| x.0), Some(3));
    let bot =
        BytesOnTape::decode(&fs::read_to_string(state.join("bytes_on_tape")).unwrap()).unwrap();
    assert!(bot.get(1).unwrap().full && bot.get(2).unwrap().full && !bot.get(3).unwrap().full);
    assert!(
        Status::decode(&fs::read_to_string(state.join("status")).unwrap())
            .unwrap()
            .message
            .contains("idle")
    );
    // Tape-Full-Command ran for each full cartridge with its use count.
    assert_eq!(
        fs::read_to_string(dir.path().join("full.log")).unwrap(),
        "1 1\n2 1\n"
    );
    assert_eq!(
        fs::read_to_string(state.join("tape_uses")).unwrap(),
        "1: 1\n2: 1\n"
    );

    // The command-line client lists it.
    let (ok, out) = afclient(&spec, &["list"]);
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!("{bytes}")) && out.contains("1.1") && out.contains("3."),
        "{out}"
    );
    assert!(
        out.contains("cartridge 1:") && out.contains("full"),
        "{out}"
    );

    let dest = dir.path().join("restore");
    let mut c = Connection::connect(&spec).unwrap();
    let report = c.restore(id, &dest, &[], false).unwrap();
    assert!(
        report.damage.is_empty() && report.skipped.is_empty() && report.error.is_none(),
        "{report:?}"
    );
    c.quit().unwrap();
    let n = assert_same_tree(&src, &dest);
    assert!(n > 10_000);
    fs::remove_dir_all(&dest).unwrap();

    // Selected files only, through the command-line client.
    let (ok, out) = afclient(
        &spec,
        &[
            "restore",
            &id.to_string(),
            "--to",
            dest.to_str().unwrap(),
            "d07",
            "link",
        ],
    );
    assert!(ok, "{out}");
    assert_same_tree(&src.join("d07"), &dest.join("d07"));
    assert!(
        fs::symlink_metadata(dest.join("link"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(!dest.join("big.img").exists() && !dest.join("d08").exists());
}

#[test]
fn over_tcp_with_zstd() {
    let dir = scratch();
    let src = dir.path().join("src");
    make_source(&src, 22, false);
    let conf = config(
        dir.path(),
        &format!("simh:{}", dir.path().join("tapes").display()),
        "Number Of Cartridges: 2\n",
    );
    let server = TcpServer::start(&conf);
    let mut c = Connection::connect(&server.addr).unwrap();
    let (id, bytes, parts) = c.backup(&src, &opts(true)).unwrap();
    assert!(bytes < GIB / 64, "a sparse entry, compressed: {bytes}");
    assert_eq!(parts, [(1, 1)]);
    // A second backup appends on the same cartridge.
    let small = dir.path().join("small");
    small_tree(&small, 50, 3);
    let (id2, _, parts2) = c.backup(&small, &opts(false)).unwrap();
    assert_eq!(parts2, [(1, 2)]);
    let (entries, _) = c.list().unwrap();
    assert_eq!(entries.iter().map(|e| e.id).collect::<Vec<_>>(), [id, id2]);
    assert_eq!(entries[0].compression, ".zst");

    let dest = dir.path().join("restore");
    let report = c.restore(id, &dest, &[], false).unwrap();
    assert!(
        report.error.is_none() && report.damage.is_empty(),
        "{report:?}"
    );
    assert_same_tree(&src, &dest);
    let dest2 = dir.path().join("restore2");
    c.restore(id2, &dest2, &[], false).unwrap();
    assert_same_tree(&small, &dest2);
    c.quit().unwrap();
}
