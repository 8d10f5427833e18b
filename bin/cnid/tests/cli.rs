//! The `cnid` tool end to end on a small volume in a temporary directory (needs a filesystem
//! with user xattrs, as netatalk does).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

fn cnid(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cnid"))
        .arg("--db")
        .arg(db)
        .arg("-q")
        .args(args)
        .output()
        .expect("run cnid")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// name -> id from `cnid dump`.
fn dump(db: &Path) -> BTreeMap<String, u32> {
    let o = cnid(db, &["dump"]);
    assert!(o.status.success(), "{}", text(&o));
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[5].to_owned(), f[0].parse().unwrap())
        })
        .collect()
}

#[test]
fn rebuild_reuses_ids_from_metadata_and_scan_reports_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let vol = tmp.path().join("vol");
    let db = tmp.path().join("state/CNID/vol");
    std::fs::create_dir_all(vol.join("Projects/Old")).unwrap();
    for f in ["Projects/plan.txt", "Projects/Old/notes.txt", "top.pdf"] {
        std::fs::write(vol.join(f), f).unwrap();
    }
    std::fs::write(vol.join("._top.pdf"), b"sidecar, skipped").unwrap();

    // First build, then cache the IDs in the metadata xattrs.
    let o = cnid(&db, &["rebuild", vol.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("rebuild: 5 objects"), "{}", text(&o));
    let o = cnid(&db, &["repair", "--fix-metadata", vol.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("5 metadata rewritten"), "{}", text(&o));
    let before = dump(&db);
    assert_eq!(before.len(), 5);
    assert!(!before.contains_key("._top.pdf"));

    // The store is lost entirely; rebuild gets every ID back from the metadata.
    std::fs::remove_dir_all(tmp.path().join("state")).unwrap();
    let o = cnid(&db, &["rebuild", vol.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("5 kept the ID cached in their metadata"),
        "{}",
        text(&o)
    );
    assert_eq!(dump(&db), before);

    // A second rebuild keeps the old file and the IDs.
    let o = cnid(&db, &["rebuild", vol.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        std::fs::read_dir(&db).unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains(".old-"))
    );
    assert_eq!(dump(&db), before);

    let o = cnid(&db, &["scan", vol.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("0 missing, 0 stale"), "{}", text(&o));

    // Changes behind the server's back: one file added, one removed.
    std::fs::write(vol.join("new.txt"), b"n").unwrap();
    std::fs::remove_file(vol.join("top.pdf")).unwrap();
    let o = cnid(&db, &["scan", vol.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("missing ") && t.contains("new.txt"), "{t}");
    assert!(t.contains(&format!("stale {}", before["top.pdf"])), "{t}");

    let o = cnid(&db, &["repair", vol.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let after = dump(&db);
    assert!(after.contains_key("new.txt") && !after.contains_key("top.pdf"));
    assert_eq!(after["plan.txt"], before["plan.txt"]);

    let o = cnid(&db, &["stats"]);
    assert!(
        o.status.success() && text(&o).contains("records          5"),
        "{}",
        text(&o)
    );
    let o = cnid(&db, &["verify"]);
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn refuses_a_store_held_by_afpd() {
    let tmp = tempfile::tempdir().unwrap();
    let held = cnid::Store::open(tmp.path(), &cnid::OpenOptions::default()).unwrap();
    let o = cnid(tmp.path(), &["stats"]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(text(&o).contains("in use"), "{}", text(&o));
    let vol = tempfile::tempdir().unwrap();
    let o = cnid(tmp.path(), &["rebuild", vol.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    drop(held);
    assert!(tmp.path().join(cnid::FILE_NAME).exists());
}
