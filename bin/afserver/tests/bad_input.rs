//! Bad input through the server: labels, write protection, read-only cartridges, wrong
//! labels, block sizes that do not fit, and damaged or truncated tapes. Errors name the
//! cartridge, file and block; nothing on tape is overwritten unless asked for; a restore
//! goes on past a damaged file and reports what it skipped.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use afserver::client::{BackupOptions, Connection};
use tape_format::simh::{CLASS_BAD, Item, SimhTape, decode_item};
use tape_format::{BlockMode, TapeDevice};

use common::*;

fn opts() -> BackupOptions {
    BackupOptions {
        host: "localhost".into(),
        disk: None,
        level: 0,
        zstd: false,
        progress: false,
    }
}

fn simh(dir: &Path, extra: &str) -> (String, std::path::PathBuf) {
    let tapes = dir.join("tapes");
    let conf = config(dir, &format!("simh:{}", tapes.display()), extra);
    (pipe_spec(&conf), tapes)
}

#[test]
fn labelling_checks_pattern_and_never_overwrites_unasked() {
    let dir = scratch();
    let (spec, _) = simh(dir.path(), "Number Of Cartridges: 2\n");
    let (ok, out) = afclient(&spec, &["label", "1", "WRONG-1"]);
    assert!(!ok && out.contains("does not match Label-Pattern"), "{out}");
    let (ok, out) = afclient(&spec, &["label", "1"]);
    assert!(ok && out.contains("cartridge 1 labelled AF-001"), "{out}");
    let src = dir.path().join("src");
    small_tree(&src, 20, 1);
    let mut c = Connection::connect(&spec).unwrap();
    c.backup(&src, &opts()).unwrap();
    c.quit().unwrap();
    let (ok, out) = afclient(&spec, &["label", "1"]);
    assert!(
        !ok && out.contains("cartridge 1 already holds label AF-001")
            && out.contains("nothing was overwritten"),
        "{out}"
    );
    let (ok, out) = afclient(&spec, &["list"]);
    assert!(ok && out.contains("localhost:"), "{out}");
    let (ok, out) = afclient(&spec, &["label", "--force", "1"]);
    assert!(
        ok && out.contains("1 backup(s) on it removed from the catalog"),
        "{out}"
    );
    let (_, out) = afclient(&spec, &["list"]);
    assert!(!out.contains("localhost:"), "{out}");
}

#[test]
fn write_protected_and_read_only_cartridges() {
    let dir = scratch();
    let (spec, tapes) = simh(dir.path(), "Number Of Cartridges: 3\n");
    let src = dir.path().join("src");
    small_tree(&src, 20, 2);
    // Cartridge 1 write-protected: a clear refusal naming it.
    assert!(afclient(&spec, &["label", "1"]).0);
    let img = tapes.join("cart001.tap");
    fs::set_permissions(&img, fs::Permissions::from_mode(0o444)).unwrap();
    let before = fs::read(&img).unwrap();
    let mut c = Connection::connect(&spec).unwrap();
    let e = c.backup(&src, &opts()).unwrap_err().to_string();
    assert!(
        e.contains("cartridge 1, file 0, block 0: cartridge is write-protected"),
        "{e}"
    );
    assert_eq!(fs::read(&img).unwrap(), before);
    fs::set_permissions(&img, fs::Permissions::from_mode(0o644)).unwrap();
    // Cartridge 1 read-only by server message (afclient -M): the backup goes to 2.
    let (ok, out) = afclient(&spec, &["-M", "readonly 1"]);
    assert!(ok && out.contains("cartridge 1 is read-only"), "{out}");
    assert_eq!(
        fs::read_to_string(dir.path().join("state/readonly_tapes")).unwrap(),
        "1\n"
    );
    let (_, _, parts) = c.backup(&src, &opts()).unwrap();
    assert_eq!(parts, [(2, 1)]);
    assert_eq!(
        fs::read(&img).unwrap(),
        before,
        "read-only cartridge untouched"
    );
    let (ok, _) = afclient(&spec, &["message", "writable", "1"]);
    assert!(ok);
    assert_eq!(
        fs::read_to_string(dir.path().join("state/readonly_tapes")).unwrap(),
        ""
    );
    c.quit().unwrap();
}

#[test]
fn wrong_label_and_block_size_that_does_not_fit() {
    let dir = scratch();
    let (spec, tapes) = simh(dir.path(), "Number Of Cartridges: 2\n");
    let src = dir.path().join("src");
    small_tree(&src, 20, 3);
    let mut c = Connection::connect(&spec).unwrap();
    let (id, _, _) = c.backup(&src, &opts()).unwrap();
    c.quit().unwrap();
    // Relabel cartridge 1's image as cartridge 7 behind the server's back.
    {
        let file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(tapes.join("cart001.tap"))
            .unwrap();
        let store = afserver::backend::simh::FileStore::new(file).unwrap();
        let mut t = SimhTape::open(store, BlockMode::Variable { max: 1 << 20 }).unwrap();
        let cfg = tape_format::WriterConfig {
            block_size: 32768,
            max_bytes_per_file: 1,
            label_prefix: "AF-".into(),
            set: 1,
            now: 0,
        };
        tape_format::write_label(&mut t, &cfg.tapestart(7, "X")).unwrap();
        t.flush().unwrap();
    }
    let dest = dir.path().join("dest");
    let mut c = Connection::connect(&spec).unwrap();
    let e = c.restore(id, &dest, &[], false).unwrap_err().to_string();
    assert!(
        e.contains("cartridge 1, file 0, block 0: wrong label: cartridge number 7 found"),
        "{e}"
    );
    c.quit().unwrap();

    // A server configured for 64 KiB blocks refuses to append to a 32 KiB cartridge.
    let dir = scratch();
    let (spec, _) = simh(dir.path(), "Number Of Cartridges: 1\n");
    assert!(afclient(&spec, &["label", "1"]).0);
    let (spec64, _) = simh(
        dir.path(),
        "Number Of Cartridges: 1\nTape-Blocksize: 65536\n",
    );
    let mut c = Connection::connect(&spec64).unwrap();
    let e = c.backup(&src, &opts()).unwrap_err().to_string();
    assert!(
        e.contains("cartridge 1") && e.contains("block size 32768 does not fit"),
        "{e}"
    );
    c.quit().unwrap();
}

/// Offsets of the data records of tape file `file` in a SIMH image.
fn records(image: &[u8], file: u32) -> Vec<usize> {
    let (mut off, mut f, mut out) = (0, 0, Vec::new());
    while let Ok(Some((item, n))) = decode_item(&image[off..]) {
        match item {
            Item::TapeMark => f += 1,
            Item::Record { .. } if f == file => out.push(off),
            _ => {}
        }
        off += n;
    }
    out
}

#[test]
fn damaged_and_truncated_tapes() {
    let dir = scratch();
    let (spec, tapes) = simh(dir.path(), "Number Of Cartridges: 1\n");
    let src = dir.path().join("src");
    fs::create_dir(&src).unwrap();
    for name in ["a.bin", "b.bin", "c.bin"] {
        dense_file(
            &src.join(name),
            300_000,
            name.len() as u64 + name.as_bytes()[0] as u64,
        );
    }
    let mut c = Connection::connect(&spec).unwrap();
    let (id, _, parts) = c.backup(&src, &opts()).unwrap();
    assert_eq!(parts, [(1, 1)]);
    let img = tapes.join("cart001.tap");
    let mut bytes = fs::read(&img).unwrap();
    // Mark block 12 of file 1 (block 0 is the header; this is inside the second file's data) as bad.
    let recs = records(&bytes, 1);
    let at = recs[12];
    let len = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
    let bad = (len | CLASS_BAD).to_le_bytes();
    bytes[at..at + 4].copy_from_slice(&bad);
    let end = at + 8 + len as usize;
    bytes[end - 4..end].copy_from_slice(&bad);
    fs::write(&img, &bytes).unwrap();

    let dest = dir.path().join("dest");
    let r = c.restore(id, &dest, &[], false).unwrap();
    assert_eq!(r.damage.len(), 1, "{r:?}");
    assert_eq!((r.damage[0].0, r.damage[0].1, r.damage[0].2), (1, 1, 12));
    assert_eq!(r.skipped.len(), 1, "{r:?}");
    assert!(
        r.skipped[0].1.contains("cartridge 1, file 1, block 12"),
        "{r:?}"
    );
    let lost = r.skipped[0].0.clone();
    assert!(!dest.join(&lost).exists());
    for name in ["a.bin", "b.bin", "c.bin"].iter().filter(|n| **n != lost) {
        assert_eq!(
            fs::read(src.join(name)).unwrap(),
            fs::read(dest.join(name)).unwrap(),
            "{name}"
        );
    }
    // The command-line client reports it and exits non-zero.
    let (ok, out) = afclient(
        &spec,
        &[
            "restore",
            &id.to_string(),
            "--to",
            dir.path().join("d2").to_str().unwrap(),
        ],
    );
    assert!(
        !ok && out.contains("skipped") && out.contains("damaged: cartridge 1, file 1, block 12"),
        "{out}"
    );

    // Truncated in the middle of the data: what is before the cut comes back, and the
    // error names the place.
    bytes.truncate(recs[20] + 100);
    fs::write(&img, &bytes).unwrap();
    let dest3 = dir.path().join("d3");
    let r = c.restore(id, &dest3, &[], false).unwrap();
    let e = r.error.clone().unwrap_or_default();
    assert!(e.contains("cartridge 1"), "{r:?}");
    assert!(
        r.damage.iter().any(|d| d.0 == 1 && d.1 == 1 && d.2 == 20),
        "{r:?}"
    );
    c.quit().unwrap();
}
