//! Starts the project's `afpd` on a free loopback port for the client tests.
//!
//! Layout of the temporary directory (mode 0755 so a session running as another user can
//! reach the volume):
//!
//! ```text
//! <tmp>/afp.conf     [Global] on 127.0.0.1:<port>, password file, [Share]
//! <tmp>/afppasswd    the account `alice`
//! <tmp>/share/       the volume
//! <tmp>/state/       --state-dir
//! <tmp>/afpd.log     the server's standard error
//! ```
//!
//! The `afpd` binary is the workspace's: `target/<profile>/afpd` next to this test
//! binary, brought up to date with `cargo build -p afpd` (or `$AFP_TEST_AFPD`). Running as root (as CI does) the
//! server switches each session to a system account, so `alice` runs as `nobody`; the
//! volume belongs to `nobody`.
#![allow(dead_code, unreachable_pub)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Once;
use std::time::Duration;

/// The account's name and password (8 bytes, so Cleartxt can carry it).
pub const USER: &str = "alice";
pub const PASSWORD: &str = "afp-pass";

/// The uid sessions run as when the tests run as root.
pub const NOBODY: u32 = 65534;

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// What the server offers.
#[derive(Clone, Debug)]
pub struct Options {
    /// `uam list` modules.
    pub uams: Vec<&'static str>,
    /// Extra `[Global]` lines.
    pub global: Vec<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            uams: vec!["uams_dhx2.so", "uams_dhx.so", "uams_clrtxt.so"],
            global: Vec::new(),
        }
    }
}

/// A running `afpd`, killed on drop.
pub struct Server {
    child: Option<Child>,
    pub port: u16,
    pub dir: tempfile::TempDir,
    pub share: PathBuf,
    pub log: PathBuf,
}

static BUILD: Once = Once::new();

/// The afpd binary, built if needed.
pub fn afpd_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    // target/<profile>/deps/<test> → target/<profile>/afpd
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binary in target/<profile>/deps")
        .to_path_buf();
    if let Some(p) = std::env::var_os("AFP_TEST_AFPD") {
        return PathBuf::from(p);
    }
    let bin = profile_dir.join("afpd");
    // `cargo test --workspace` (the README's test command) builds afpd together with these
    // tests, with the workspace's feature set. A separate `cargo build -p afpd` would resolve
    // features for afpd alone and rebuild half the dependency tree, so ask cargo only when
    // the binary is missing or older than a source it is built from (`cargo test -p afp`
    // after editing the server), so a stale server is never tested.
    if is_fresh(&bin) {
        return bin;
    }
    BUILD.call_once(|| {
        let target_dir = profile_dir.parent().expect("target dir").to_path_buf();
        let mut cmd = Command::new(env!("CARGO"));
        cmd.args(["build", "--quiet", "-p", "afpd", "--bin", "afpd"])
            .env("CARGO_TARGET_DIR", &target_dir)
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("running cargo build -p afpd");
        assert!(status.success(), "cargo build -p afpd failed");
    });
    assert!(
        bin.exists(),
        "{} does not exist: build the server with `cargo build -p afpd`",
        bin.display()
    );
    bin
}

/// Whether `bin` exists and is newer than every file of the crates afpd is built from.
fn is_fresh(bin: &Path) -> bool {
    fn newest(path: &Path, acc: &mut std::time::SystemTime) {
        let Ok(meta) = std::fs::metadata(path) else {
            return;
        };
        if meta.is_dir() {
            for e in std::fs::read_dir(path).into_iter().flatten().flatten() {
                newest(&e.path(), acc);
            }
        } else if let Ok(m) = meta.modified() {
            *acc = (*acc).max(m);
        }
    }
    let Ok(built) = std::fs::metadata(bin).and_then(|m| m.modified()) else {
        return false;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut latest = std::time::SystemTime::UNIX_EPOCH;
    for krate in [
        "bin/afpd",
        "bin/dnssd",
        "dsi",
        "afp-proto",
        "cnid",
        "mdns-records",
    ] {
        newest(&root.join(krate).join("src"), &mut latest);
        newest(&root.join(krate).join("Cargo.toml"), &mut latest);
    }
    newest(&root.join("Cargo.lock"), &mut latest);
    built > latest
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

impl Server {
    pub fn start() -> Server {
        Server::start_with(Options::default())
    }

    pub fn start_with(options: Options) -> Server {
        let afpd = afpd_binary();
        let dir = tempfile::Builder::new()
            .prefix("afp-client-test")
            .tempdir()
            .unwrap();
        chmod(dir.path(), 0o755);
        let share = dir.path().join("share");
        let state = dir.path().join("state");
        std::fs::create_dir_all(&share).unwrap();
        std::fs::create_dir_all(&state).unwrap();
        if is_root() {
            std::os::unix::fs::chown(&share, Some(NOBODY), Some(NOBODY)).unwrap();
        }
        let port = free_port();
        let conf = dir.path().join("afp.conf");
        let passwd = dir.path().join("afppasswd");
        let mut text = format!(
            "[Global]\nafp listen = 127.0.0.1\nafp port = {port}\nuam list = {}\npasswd file = {}\nzeroconf = no\nlog level = default:info\n",
            options.uams.join(" "),
            passwd.display()
        );
        for g in &options.global {
            text.push_str(g);
            text.push('\n');
        }
        text.push_str(&format!("\n[Share]\npath = {}\n", share.display()));
        std::fs::write(&conf, text).unwrap();

        let mut add = Command::new(&afpd);
        add.args(["passwd", "add", "--password-stdin", "-F"])
            .arg(&conf)
            .arg("--state-dir")
            .arg(&state);
        if is_root() {
            add.args(["--unix-user", "nobody"]);
        }
        add.arg(USER)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = add.spawn().expect("afpd passwd add");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{PASSWORD}\n").as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "afpd passwd add failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );

        let log = dir.path().join("afpd.log");
        let logf = std::fs::File::create(&log).unwrap();
        let child = Command::new(&afpd)
            .arg("-d")
            .arg("-F")
            .arg(&conf)
            .arg("--state-dir")
            .arg(&state)
            .stdin(Stdio::null())
            .stdout(logf.try_clone().unwrap())
            .stderr(logf)
            .spawn()
            .expect("starting afpd");
        let mut server = Server {
            child: Some(child),
            port,
            dir,
            share,
            log,
        };
        server.wait_listening();
        server
    }

    fn wait_listening(&mut self) {
        let end = afp_client::conn::now() + Duration::from_secs(30);
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            if let Some(st) = self.child.as_mut().and_then(|c| c.try_wait().unwrap()) {
                panic!("afpd exited ({st}) before listening\n{}", self.log());
            }
            assert!(
                afp_client::conn::now() < end,
                "afpd did not listen within 30 s\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn log(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = std::fs::File::open(&self.log) {
            let _ = f.read_to_string(&mut s);
        }
        s
    }

    /// `host:port`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `afp://alice@127.0.0.1:<port>/Share/<path>` (`path` without a leading slash).
    pub fn url(&self, path: &str) -> String {
        if path.is_empty() {
            format!("afp://{USER}@127.0.0.1:{}/Share", self.port)
        } else {
            format!("afp://{USER}@127.0.0.1:{}/Share/{path}", self.port)
        }
    }

    /// `afp://alice@127.0.0.1:<port>` (no volume).
    pub fn server_url(&self) -> String {
        format!("afp://{USER}@127.0.0.1:{}", self.port)
    }

    /// The `afp` client with the password in AFP_PASSWORD.
    pub fn afp(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_afp"));
        c.env("AFP_PASSWORD", PASSWORD).stdin(Stdio::null());
        c
    }

    /// Makes a path in the share owned by the session user (when root), as if the
    /// client had created it.
    pub fn give(&self, p: &Path) {
        if is_root() {
            std::os::unix::fs::chown(p, Some(NOBODY), Some(NOBODY)).unwrap();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        if std::thread::panicking() {
            eprintln!("--- afpd log ---\n{}", self.log());
        }
        // Directories a test made unreadable would stop the temp dir's removal.
        restore_modes(&self.share);
    }
}

fn restore_modes(p: &Path) {
    let Ok(rd) = std::fs::read_dir(p) else {
        return;
    };
    for e in rd.flatten() {
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            chmod(&e.path(), 0o755);
            restore_modes(&e.path());
        }
    }
}

/// Runs a command and returns its output, with stdout/stderr in the panic message of
/// later assertions.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("running afp")
}

/// Output as text: `status`, then stdout and stderr.
pub fn text(o: &Output) -> String {
    format!(
        "status: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Asserts exit status `code` and returns stdout.
pub fn expect(o: &Output, code: i32) -> String {
    assert_eq!(o.status.code(), Some(code), "{}", text(o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}
