//! Amanda reads our tapes: a backup written to an Amanda vtape directory is listed by
//! Debian's `amrestore` (package amanda-server, run as user `backup`), and
//! `amrestore -p … | tar -x` gives the source tree back identical. A multi-part backup
//! comes back by concatenating the parts `amrestore` writes.
//!
//! Needs root (to run Amanda as `backup` with `runuser`) and `amrestore`; fails with a
//! clear message otherwise.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use afserver::client::{BackupOptions, Connection};

use common::*;

fn require_amanda() {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    assert!(
        root,
        "this test must run as root: it runs Amanda's amrestore as user `backup` through runuser"
    );
    let found = ["/usr/sbin/amrestore", "/usr/bin/amrestore"]
        .iter()
        .any(|p| Path::new(p).exists());
    assert!(
        found,
        "amrestore not found: install Debian's amanda-server package (apt-get install amanda-server)"
    );
    let backup = Command::new("id").arg("-u").arg("backup").output().unwrap();
    assert!(
        backup.status.success(),
        "user `backup` is missing (Debian's amanda-server uses it)"
    );
}

fn chown_backup(p: &Path) {
    let ok = Command::new("chown")
        .arg("-R")
        .arg("backup")
        .arg(p)
        .status()
        .unwrap()
        .success();
    assert!(ok, "chown -R backup {}", p.display());
}

fn amrestore(cwd: &Path, args: &[&str]) -> std::process::Output {
    Command::new("runuser")
        .args(["-u", "backup", "--", "amrestore"])
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("running amrestore through runuser")
}

fn backup(conf: &Path, src: &Path, disk: &str, zstd: bool) -> (u64, Vec<(u32, u32)>) {
    let mut c = Connection::connect(&pipe_spec(conf)).unwrap();
    let opts = BackupOptions {
        host: "localhost".into(),
        disk: Some(disk.into()),
        level: 0,
        zstd,
        progress: false,
    };
    let (id, _, parts) = c.backup(src, &opts).unwrap();
    c.quit().unwrap();
    (id, parts)
}

#[test]
fn amrestore_lists_and_restores_our_vtape() {
    require_amanda();
    let dir = tempfile::Builder::new()
        .prefix("afserver-amanda-")
        .tempdir_in("/tmp")
        .unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let src = dir.path().join("src");
    small_tree(&src, 300, 5);
    dense_file(&src.join("data.bin"), 3 << 20, 5);
    let vt = dir.path().join("vtapes");
    let device = format!("vtape:{}", vt.display());

    // One part: `amrestore -p` pipes one dump file.
    let conf = config(dir.path(), &device, "Max Bytes Per File: 1000000000\n");
    let (_, parts) = backup(&conf, &src, "/srv/sample", false);
    assert_eq!(parts, [(1, 1)]);
    // zstd: written as Amanda custom compression, which amrestore undoes itself.
    let (_, zparts) = backup(&conf, &src, "/srv/zstd", true);
    assert_eq!(zparts.len(), 1);
    // Several parts: amrestore writes each part to its own file.
    let conf_small = config(dir.path(), &device, "Max Bytes Per File: 1048576\n");
    let (_, parts) = backup(&conf_small, &src, "/srv/multi", false);
    assert!(parts.len() >= 3, "{parts:?}");
    chown_backup(&vt);
    let slot = format!("file:{}", vt.join("slot1").display());

    // Listing: amrestore restores every dump file of the volume into the cwd.
    let list_dir = dir.path().join("list");
    fs::create_dir(&list_dir).unwrap();
    chown_backup(&list_dir);
    let out = amrestore(&list_dir, &[&slot]);
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "amrestore failed:\n{text}");
    assert!(
        text.contains("Restoring from tape AF-001 starting with file 1."),
        "{text}"
    );
    assert!(
        text.contains("host localhost disk /srv/sample part 1/UNKNOWN lev 0 comp N program GNUTAR"),
        "{text}"
    );
    assert!(
        text.contains("host localhost disk /srv/multi part 3/UNKNOWN"),
        "{text}"
    );

    // amrestore -p … | tar -x gives the tree back, plain and zstd-compressed.
    for (disk, sub) in [("/srv/sample", "dest"), ("/srv/zstd", "dest-zstd")] {
        let dest = dir.path().join(sub);
        fs::create_dir(&dest).unwrap();
        let mut am = Command::new("runuser")
            .args([
                "-u",
                "backup",
                "--",
                "amrestore",
                "-p",
                &slot,
                "localhost",
                disk,
            ])
            .current_dir(&list_dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let tar = Command::new("tar")
            .arg("-xf")
            .arg("-")
            .current_dir(&dest)
            .stdin(am.stdout.take().unwrap())
            .output()
            .unwrap();
        let am_out = am.wait_with_output().unwrap();
        assert!(
            am_out.status.success(),
            "amrestore -p {disk}: {}",
            String::from_utf8_lossy(&am_out.stderr)
        );
        assert!(
            tar.status.success(),
            "tar -x {disk}: {}",
            String::from_utf8_lossy(&tar.stderr)
        );
        let n = assert_same_tree(&src, &dest);
        assert!(n > 300);
    }

    // The parts of the multi-part dump, concatenated in order, are the tar stream.
    let mut part_files: Vec<_> = fs::read_dir(&list_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("localhost._srv_multi.")
        })
        .collect();
    part_files.sort();
    assert_eq!(part_files.len(), parts.len());
    let mut stream = Vec::new();
    for p in &part_files {
        stream.extend_from_slice(&fs::read(p).unwrap());
    }
    let dest2 = dir.path().join("dest2");
    fs::create_dir(&dest2).unwrap();
    let mut tar = Command::new("tar")
        .arg("-xf")
        .arg("-")
        .current_dir(&dest2)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    tar.stdin.take().unwrap().write_all(&stream).unwrap();
    assert!(tar.wait().unwrap().success());
    assert_same_tree(&src, &dest2);
}
