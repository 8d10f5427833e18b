//! Helpers for the root-only tests: Linux users and groups created for one test and
//! removed afterwards, even when the test fails (the guards' `Drop`).
#![allow(dead_code, unreachable_pub)]

use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// useradd/groupadd lock /etc/passwd; run them one at a time within this test binary.
static ADMIN_LOCK: Mutex<()> = Mutex::new(());
static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Fail (never skip) unless running as root.
pub fn require_root(what: &str) {
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    assert_eq!(
        euid, 0,
        "{what} needs root (it creates Linux users and switches credentials); run `cargo test -p afpd` as root, as CI does"
    );
}

/// Run an administration command, retrying while another process holds the passwd lock.
fn admin(cmd: &str, args: &[&str], stdin: Option<&str>) {
    let _g = ADMIN_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let mut last = String::new();
    for _ in 0..50 {
        let mut c = Command::new(cmd);
        c.args(args);
        let out = if let Some(input) = stdin {
            use std::io::Write;
            let mut child = c
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot run {cmd}: {e} (package `passwd` provides it)"));
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
            child.wait_with_output().unwrap()
        } else {
            c.output()
                .unwrap_or_else(|e| panic!("cannot run {cmd}: {e} (package `passwd` provides it)"))
        };
        if out.status.success() {
            return;
        }
        last = format!(
            "{cmd} {args:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        // Exit code 10 (useradd/groupadd) / 1 with "lock": another process holds the lock.
        if !last.contains("lock") && out.status.code() != Some(10) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{last}");
}

fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}{}x{n}", std::process::id() % 1_000_000)
}

/// A Linux group that is deleted on drop.
#[derive(Debug)]
pub struct TestGroup {
    pub name: String,
    pub gid: u32,
}

impl TestGroup {
    pub fn create() -> TestGroup {
        let name = unique("afpg");
        admin("groupadd", &[&name], None);
        let gid = afpd::accounts::unix::group_id(&name)
            .unwrap()
            .expect("group just created");
        TestGroup { name, gid }
    }
}

impl Drop for TestGroup {
    fn drop(&mut self) {
        let out = Command::new("groupdel").arg(&self.name).output();
        if !out.is_ok_and(|o| o.status.success()) {
            eprintln!("warning: could not remove test group {}", self.name);
        }
    }
}

/// A Linux user (with home directory and own group) that is removed with `userdel -r`
/// on drop.
#[derive(Debug)]
pub struct TestUser {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: std::path::PathBuf,
}

impl TestUser {
    /// Create a user, member of `groups`, with `password` if given.
    pub fn create(groups: &[&TestGroup], password: Option<&str>) -> TestUser {
        let names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
        TestUser::create_in(&names, password)
    }

    /// Create a user, member of the existing groups named `groups`, with `password` if
    /// given.
    pub fn create_in(groups: &[&str], password: Option<&str>) -> TestUser {
        let name = unique("afpu");
        let list = groups.join(",");
        let mut args = vec!["-m", "-U", "-s", "/bin/sh"];
        if !list.is_empty() {
            args.push("-G");
            args.push(&list);
        }
        args.push(&name);
        admin("useradd", &args, None);
        // From here on the guard owns the user, so a failing password step still cleans up.
        let info = afpd::accounts::unix::user_info(&name)
            .unwrap()
            .expect("user just created");
        let user = TestUser {
            name: name.clone(),
            uid: info.uid,
            gid: info.gid,
            home: info.home.clone().expect("useradd -m gives a home"),
        };
        if let Some(pw) = password {
            admin("chpasswd", &[], Some(&format!("{name}:{pw}\n")));
        }
        user
    }

    /// Force "password expired, change it now" (`chage -d 0`).
    pub fn expire_password(&self) {
        admin("chage", &["-d", "0", &self.name], None);
    }

    pub fn info(&self) -> afpd::accounts::UserInfo {
        afpd::accounts::unix::user_info(&self.name)
            .unwrap()
            .unwrap()
    }
}

impl Drop for TestUser {
    fn drop(&mut self) {
        let _g = ADMIN_LOCK.lock().unwrap_or_else(|p| p.into_inner());
        let out = Command::new("userdel").args(["-r", &self.name]).output();
        let ok = out
            .as_ref()
            .is_ok_and(|o| o.status.success() || o.status.code() == Some(12));
        if !ok {
            eprintln!("warning: could not remove test user {}: {out:?}", self.name);
        }
    }
}

/// chown a path (as root).
pub fn chown(path: &std::path::Path, uid: u32, gid: u32) {
    std::os::unix::fs::chown(path, Some(uid), Some(gid)).unwrap();
}

/// chmod a path.
pub fn chmod(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}
