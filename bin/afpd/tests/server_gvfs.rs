//! End to end with an independent client: GNOME's gvfs AFP backend (`gvfsd-afp`), driven by
//! `tests/tools/afp-gvfs-mount.py` (mount with DHX2 on our port, answering the password
//! prompt over D-Bus) and `gio` inside a private D-Bus session (`dbus-run-session`).
//!
//! Needs (Debian): dbus (dbus-run-session), gvfs-backends (gvfsd, gvfsd-afp), gvfs-fuse,
//! libglib2.0-bin (gio), python3-gi for `/usr/bin/python3`, coreutils (sha256sum). A
//! missing tool fails the test with its name.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::TestServer;

const BIG: usize = 256 << 20;

fn require_tools() {
    for (tool, package) in [
        ("/usr/bin/dbus-run-session", "dbus (dbus-run-session)"),
        ("/usr/libexec/gvfsd", "gvfs (gvfsd)"),
        ("/usr/libexec/gvfsd-afp", "gvfs-backends (gvfsd-afp)"),
        ("/usr/bin/gio", "libglib2.0-bin (gio)"),
        ("/usr/bin/sha256sum", "coreutils (sha256sum)"),
        ("/usr/bin/python3", "python3"),
    ] {
        assert!(
            Path::new(tool).exists(),
            "the gvfs end-to-end test needs {tool}: install the Debian package {package}"
        );
    }
    let gi = Command::new("/usr/bin/python3")
        .args(["-c", "import gi; gi.require_version('Gio', '2.0')"])
        .status()
        .expect("running /usr/bin/python3");
    assert!(
        gi.success(),
        "the gvfs end-to-end test needs PyGObject for /usr/bin/python3: install python3-gi"
    );
}

/// Deterministic pseudo-random bytes (xorshift64*), so a 256 MiB file costs no entropy.
fn fill(len: usize, mut seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        seed ^= seed >> 12;
        seed ^= seed << 25;
        seed ^= seed >> 27;
        let v = seed.wrapping_mul(0x2545_F491_4F6C_DD1D);
        out.extend_from_slice(&v.to_be_bytes());
    }
    out.truncate(len);
    out
}

fn tool_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/afp-gvfs-mount.py")
}

fn sha256(path: &Path) -> String {
    let out = Command::new("/usr/bin/sha256sum")
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn gvfs_mount_copy_list_info_move_remove() {
    require_tools();
    let srv = TestServer::builder()
        .uams(&["dhx2", "dhx"])
        .volume("gvfs")
        .start();
    let u = srv.user();
    let work = tempfile::tempdir().unwrap();
    common::chmod(work.path(), 0o755);
    let w = work.path();
    let small = w.join("small.txt");
    std::fs::write(&small, "hello from the gvfs test\n").unwrap();
    let big = w.join("big.bin");
    std::fs::write(&big, fill(BIG, 0x9E37_79B9_7F4A_7C15)).unwrap();

    let base = format!("afp://{}@127.0.0.1/gvfs", u.name);
    let mount = format!(
        "/usr/bin/python3 {tool} mount 127.0.0.1 gvfs --port {port} --user {user} --timeout 30 --retries 6",
        tool = tool_path().display(),
        port = srv.port(),
        user = u.name,
    );
    let umount = format!(
        "/usr/bin/python3 {tool} umount 127.0.0.1 gvfs --user {user}",
        tool = tool_path().display(),
        user = u.name,
    );
    // gvfsd-afp 1.50 has a use-after-free: when a reply arrives before gvfs has run the
    // completion callback of its own write of that request, `dispatch_reply` frees the
    // request and the write callback dereferences it (segfault at address 0x18 in
    // `write_command_cb`/`write_buf_cb`). Any server that answers quickly triggers it now
    // and then, so the script remounts after a backend crash and redoes the step (each
    // step is idempotent or checks whether the crash came after the work was done), and
    // reports how often that happened.
    let script = format!(
        r#"set -u
cd {w}
B={base}
CRASHES=0
mount() {{ AFP_PASSWORD='{pw}' {mount}; }}
mounted() {{ gio info "$B/" >/dev/null 2>&1; }}
step() {{
  local done_check="$1"; shift
  for attempt in 1 2 3 4; do
    "$@" && return 0
    eval "$done_check" && return 0
    if mounted; then echo "step failed with the volume mounted: $*" >&2; return 1; fi
    CRASHES=$((CRASHES+1))
    echo "gvfsd-afp is gone (client crash #$CRASHES) during: $*; remounting" >&2
    mount || return 1
  done
  return 1
}}
set -x
mount || exit 1
step "gio info $B/dir >/dev/null 2>&1" gio mkdir $B/dir || exit 1
step false gio copy small.txt $B/dir/small.txt || exit 1
step false gio copy big.bin $B/big.bin || exit 1
step false sh -c "gio list $B/ > list.txt" || exit 1
step false sh -c "gio info $B/big.bin > info.txt" || exit 1
step false gio copy $B/big.bin back.bin || exit 1
step false gio copy $B/dir/small.txt small-back.txt || exit 1
step "gio info $B/moved.txt >/dev/null 2>&1 && ! gio info $B/dir/small.txt >/dev/null 2>&1" gio move $B/dir/small.txt $B/moved.txt || exit 1
step "! gio info $B/big.bin >/dev/null 2>&1" gio remove $B/big.bin || exit 1
step false sh -c "gio list $B/ > list2.txt" || exit 1
step false sh -c "gio list $B/dir/ > list3.txt" || exit 1
{umount}
# The wrong password must be refused by the server; gvfs' known login hang or a backend
# crash can end an attempt before the password is even sent, so try until the server has
# logged a refusal.
for attempt in 1 2 3 4; do
  if AFP_PASSWORD='wrong-pw' {mount_once}; then
    echo WRONG_PASSWORD_ACCEPTED
    exit 1
  fi
  grep -q 'Login refused for {user}' '{log}' && break
  echo "wrong-password attempt $attempt ended before the server refused a login" >&2
done
echo "GVFS_CLIENT_CRASHES=$CRASHES"
echo GVFS_SCRIPT_DONE
"#,
        w = w.display(),
        pw = u.password,
        base = base,
        mount = mount,
        umount = umount,
        mount_once = mount.replace("--retries 6", "--retries 1"),
        user = u.name,
        log = srv.log_path().display(),
    );
    let script_path = w.join("run.sh");
    let mut f = std::fs::File::create(&script_path).unwrap();
    f.write_all(script.as_bytes()).unwrap();
    drop(f);

    let out = Command::new("/usr/bin/dbus-run-session")
        .args(["--", "bash"])
        .arg(&script_path)
        .output()
        .expect("running dbus-run-session");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("GVFS_SCRIPT_DONE"),
        "gvfs script failed ({})\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
        out.status
    );

    // Both directions, byte for byte and by checksum.
    let vol = srv.volume_path("gvfs");
    assert_eq!(
        sha256(&w.join("back.bin")),
        sha256(&big),
        "256 MiB read back differs"
    );
    assert_eq!(
        std::fs::read(w.join("small-back.txt")).unwrap(),
        std::fs::read(&small).unwrap()
    );
    // What the server stored.
    assert_eq!(
        std::fs::read_to_string(vol.join("moved.txt")).unwrap(),
        "hello from the gvfs test\n"
    );
    assert!(
        !vol.join("dir/small.txt").exists(),
        "gio move left the source"
    );
    assert!(!vol.join("big.bin").exists(), "gio remove left the file");
    assert!(vol.join("dir").is_dir());
    // Listings and info.
    let list = std::fs::read_to_string(w.join("list.txt")).unwrap();
    assert!(list.contains("big.bin") && list.contains("dir"), "{list}");
    let list2 = std::fs::read_to_string(w.join("list2.txt")).unwrap();
    assert!(
        !list2.contains("big.bin") && list2.contains("moved.txt"),
        "{list2}"
    );
    let list3 = std::fs::read_to_string(w.join("list3.txt")).unwrap();
    assert!(list3.trim().is_empty(), "{list3}");
    let info = std::fs::read_to_string(w.join("info.txt")).unwrap();
    assert!(info.contains(&format!("standard::size: {BIG}")), "{info}");
    // The login lines show DHX2 (gvfs' first choice); the wrong password was refused by
    // the server (not by a client crash).
    let log = srv.log();
    assert!(log.contains("(DHX2)"), "{log}");
    assert!(
        log.contains(&format!("Login refused for {}", u.name)),
        "{log}"
    );
    let crashes = stdout
        .lines()
        .find_map(|l| l.strip_prefix("GVFS_CLIENT_CRASHES="))
        .unwrap_or("?");
    eprintln!("gvfsd-afp crashed {crashes} time(s) during the run (client bug, see above)");
}
