//! The `afpd` command line: -v, -V, --check, passwd add/del/list, and the start path.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const SEED: &str = include_str!("fixtures/seed000_afp.conf");

fn afpd() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_afpd"));
    c.env_remove("AFPD_STATE_DIR");
    c
}

fn run(cmd: &mut Command, stdin: Option<&str>) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        // A command that fails early exits without reading its input; its output and exit
        // status tell the test what happened, so a broken pipe here is not an error.
        let written = child.stdin.take().unwrap().write_all(input.as_bytes());
        if let Err(e) = written {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
        }
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn conf(&self, body: &str) -> PathBuf {
        let p = self.dir.path().join("afp.conf");
        std::fs::write(&p, body).unwrap();
        p
    }
    fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }
    fn cmd(&self, conf: &Path, args: &[&str]) -> Command {
        let mut c = afpd();
        c.args(args)
            .arg("-F")
            .arg(conf)
            .arg("--state-dir")
            .arg(self.state());
        c
    }
}

#[test]
fn short_version() {
    let out = run(afpd().arg("-v"), None);
    assert!(out.status.success());
    assert!(text(&out.stdout).starts_with("afpd 0.1.0 - Apple Filing Protocol (AFP) daemon"));
}

#[test]
fn long_version_lists_features_and_paths() {
    let env = Env::new();
    let conf = env.conf("[Global]\npasswd file = /srv/afp/users\n");
    let out = run(&mut env.cmd(&conf, &["-V"]), None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    for needle in [
        "AFP versions: 2.2 3.0 3.1 3.2 3.3 3.4",
        "UAMs: DHX2",
        "PAM support:",
        &format!("afp.conf: {}", conf.display()),
        &format!("state directory: {}", env.state().display()),
        &format!(
            "afp_signature.conf: {}/afp_signature.conf",
            env.state().display()
        ),
        &format!(
            "afp_voluuid.conf: {}/afp_voluuid.conf",
            env.state().display()
        ),
        "passwd file: /srv/afp/users",
    ] {
        assert!(s.contains(needle), "missing {needle:?} in\n{s}");
    }
}

#[test]
fn help_describes_the_options() {
    let out = run(afpd().arg("--help"), None);
    assert!(out.status.success());
    let s = text(&out.stdout);
    for flag in ["-d", "-F", "-v", "-V", "--check", "passwd"] {
        assert!(s.contains(flag), "{flag} missing from --help:\n{s}");
    }
}

#[test]
fn check_accepts_the_seed_with_its_warning() {
    let env = Env::new();
    let conf = env.conf(SEED);
    let out = run(&mut env.cmd(&conf, &["--check"]), None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("OK (1 volume section(s), 0 preset(s), 1 warning(s))"));
    assert!(text(&out.stderr).contains("afp.conf:9: warning: `hosts allow` is a volume option"));
}

#[test]
fn check_rejects_bad_values_with_file_and_line() {
    let env = Env::new();
    let conf = env.conf("[Global]\nafp port = many\n[v]\npath = /tmp\nfile perm = rw\n");
    let out = run(&mut env.cmd(&conf, &["--check"]), None);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("afp.conf:2: error: bad value `many` for `afp port`"),
        "{err}"
    );
    assert!(
        err.contains("afp.conf:5: error: bad value `rw` for `file perm`"),
        "{err}"
    );
    assert!(
        err.contains("2 error(s); the server does not start"),
        "{err}"
    );
}

/// Starts `cmd` with stderr in `err_file`, waits until the server listens on
/// 127.0.0.1:`port` (seen in `watch`), sends SIGTERM, returns the exit code.
fn start_and_stop(mut cmd: Command, err_file: &Path, watch: &Path, port: u16) -> Option<i32> {
    let err = std::fs::File::create(err_file).unwrap();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(err)
        .spawn()
        .unwrap();
    let needle = format!("listening on 127.0.0.1:{port}");
    let mut up = false;
    for _ in 0..600 {
        if std::fs::read_to_string(watch).is_ok_and(|t| t.contains(&needle)) {
            up = true;
            break;
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // SAFETY: kill has no memory preconditions; the pid is our child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert!(
        up,
        "the server did not listen:\n{}",
        std::fs::read_to_string(err_file).unwrap_or_default()
    );
    status.code()
}

#[test]
fn start_validates_serves_and_stops_on_sigterm() {
    let env = Env::new();
    let log = env.dir.path().join("afpd.log");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let conf = env.conf(&format!(
        "[Global]\nafp listen = 127.0.0.1\nafp port = {port}\nzeroconf = no\n\
         log level = default:info\nlog file = {}\n[v]\npath = /tmp\ntime machine = yes\n",
        log.display()
    ));
    let err_file = env.dir.path().join("stderr.txt");
    let code = start_and_stop(env.cmd(&conf, &["-d"]), &err_file, &err_file, port);
    assert_eq!(code, Some(0));
    let err = std::fs::read_to_string(&err_file).unwrap();
    // -d logs to stderr, and the state files were created.
    assert!(err.contains("configuration loaded"), "{err}");
    assert!(env.state().join("afp_signature.conf").exists());
    let uuids = std::fs::read_to_string(env.state().join("afp_voluuid.conf")).unwrap();
    assert!(uuids.contains("\"v\"\t"), "{uuids}");
    assert!(!log.exists(), "with -d the log goes to stderr");

    // Without -d the log goes to `log file`.
    let code = start_and_stop(env.cmd(&conf, &[]), &err_file, &log, port);
    assert_eq!(code, Some(0));
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("configuration loaded"), "{logged}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&log).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode & !0o640, 0, "log file mode {mode:o}");
}

#[test]
fn start_fails_on_an_invalid_config() {
    let env = Env::new();
    let conf = env.conf("[Homes]\npath = x\n");
    let out = run(&mut env.cmd(&conf, &["-d"]), None);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("needs `basedir regex`"));
}

#[test]
fn passwd_add_list_del() {
    let env = Env::new();
    let users = env.dir.path().join("users/afppasswd");
    let conf = env.conf(&format!(
        "[Global]\npasswd file = {}\npasswd minlen = 4\n",
        users.display()
    ));

    let out = run(
        &mut env.cmd(&conf, &["passwd", "add", "--password-stdin", "alice"]),
        Some("s3cret pass\n"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(
        &mut env.cmd(
            &conf,
            &[
                "passwd",
                "add",
                "--password-stdin",
                "--unix-user",
                "bobsmith",
                "bob",
            ],
        ),
        Some("another\n"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));

    let stored = std::fs::read_to_string(&users).unwrap();
    assert!(!stored.contains("s3cret"), "only hashes are stored");
    assert!(stored.contains("alice:$argon2id$"), "{stored}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&users).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let f = afpd::accounts::passwd_file::PasswordFile::load(&users).unwrap();
    assert!(f.find("alice").unwrap().verify(b"s3cret pass"));

    let out = run(&mut env.cmd(&conf, &["passwd", "list"]), None);
    assert_eq!(text(&out.stdout), "alice\nbob (runs as bobsmith)\n");

    let out = run(
        &mut env.cmd(&conf, &["passwd", "add", "--password-stdin", "carol"]),
        Some("abc\n"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("passwd minlen"));

    let out = run(
        &mut env.cmd(&conf, &["passwd", "add", "--password-stdin", "bad:name"]),
        Some("abcdef\n"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("invalid user name"));

    let out = run(&mut env.cmd(&conf, &["passwd", "del", "alice"]), None);
    assert!(out.status.success());
    let out = run(&mut env.cmd(&conf, &["passwd", "del", "alice"]), None);
    assert_eq!(out.status.code(), Some(1));
    let out = run(&mut env.cmd(&conf, &["passwd", "list"]), None);
    assert_eq!(text(&out.stdout), "bob (runs as bobsmith)\n");
}

#[test]
fn passwd_add_without_a_terminal_needs_password_stdin() {
    let env = Env::new();
    let conf = env.conf("[Global]\n");
    let out = run(
        &mut env.cmd(&conf, &["passwd", "add", "alice"]),
        Some("pw\n"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("--password-stdin"));
}

#[test]
fn passwd_default_file_is_in_the_state_dir() {
    let env = Env::new();
    let conf = env.conf("[Global]\n");
    let out = run(
        &mut env.cmd(&conf, &["passwd", "add", "--password-stdin", "alice"]),
        Some("pw12\n"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(env.state().join("afppasswd").exists());
}
