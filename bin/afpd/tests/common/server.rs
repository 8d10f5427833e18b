//! [`TestServer`]: the real `afpd` binary on a free loopback port, configured in a
//! temporary directory, killed on drop.
//!
//! Layout of the temporary directory (mode 0755, so session threads running as a test
//! user can reach the volumes):
//!
//! ```text
//! <tmp>/afp.conf        written from the builder
//! <tmp>/state/          --state-dir (signature, volume UUIDs, password file, CNID stores)
//! <tmp>/vol/<name>/     volumes created by `volume(name)` (owned by the default account's
//!                       system user when the tests run as root)
//! <tmp>/afpd.log        the server's standard error (`-d` logs there)
//! ```
//!
//! Accounts: by default one password-file account. When the tests run as root the server
//! runs as root too and maps password-file users to system accounts, so the default
//! account is a fresh Linux user ([`TestUser`], removed on drop) with the same name; when
//! not root, the account is a virtual user of the unprivileged server.

use std::fmt::Write as _;
use std::io::Read as _;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::client::AfpClient;
use super::users::{TestGroup, TestUser, chown};

/// Default password of generated accounts: 8 bytes, so Cleartxt Passwrd can carry it.
pub const DEFAULT_PASSWORD: &str = "afp-test";

/// How long to wait for the server to listen.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A login account of a [`TestServer`].
#[derive(Debug)]
pub struct Account {
    /// Login name.
    pub name: String,
    /// Password.
    pub password: String,
    /// The system user the sessions run as (root tests only).
    pub system: Option<TestUser>,
}

impl Account {
    /// uid of the session (the system user's, or the test process's own).
    pub fn uid(&self) -> u32 {
        match &self.system {
            Some(u) => u.uid,
            // SAFETY: getuid has no preconditions.
            None => unsafe { libc::getuid() },
        }
    }

    /// Primary gid of the session.
    pub fn gid(&self) -> u32 {
        match &self.system {
            Some(u) => u.gid,
            // SAFETY: getgid has no preconditions.
            None => unsafe { libc::getgid() },
        }
    }
}

struct VolumeSpec {
    name: String,
    /// `None`: created as `<tmp>/vol/<name>`.
    path: Option<PathBuf>,
    options: Vec<(String, String)>,
}

enum AccountSpec {
    /// A generated account (a new Linux user when root).
    Generated { groups: Vec<String> },
    /// Password-file entry for a user the test made (as root, a system account of the
    /// same name must exist, or `unix` names one).
    Explicit {
        name: String,
        password: String,
        unix: Option<String>,
    },
}

/// Configures a [`TestServer`]; [`ServerBuilder::start`] writes everything and starts it.
pub struct ServerBuilder {
    volumes: Vec<VolumeSpec>,
    uams: Vec<String>,
    global: Vec<(String, String)>,
    accounts: Vec<AccountSpec>,
    default_account: bool,
    extra_conf: String,
    env: Vec<(String, String)>,
}

impl Default for ServerBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ServerBuilder {
    /// No volumes, `uam list = uams_clrtxt.so uams_dhx.so uams_dhx2.so`, one generated
    /// account, `log level = default:info`.
    pub fn new() -> ServerBuilder {
        ServerBuilder {
            volumes: Vec::new(),
            uams: vec![
                "uams_clrtxt.so".into(),
                "uams_dhx.so".into(),
                "uams_dhx2.so".into(),
            ],
            global: Vec::new(),
            accounts: Vec::new(),
            default_account: true,
            extra_conf: String::new(),
            env: Vec::new(),
        }
    }

    /// A volume `[name]` at `<tmp>/vol/<name>` (created; owned by the first account's
    /// system user when root).
    pub fn volume(mut self, name: &str) -> Self {
        self.volumes.push(VolumeSpec {
            name: name.into(),
            path: None,
            options: Vec::new(),
        });
        self
    }

    /// A volume `[name]` at an existing `path`, used as is.
    pub fn volume_at(mut self, name: &str, path: impl Into<PathBuf>) -> Self {
        self.volumes.push(VolumeSpec {
            name: name.into(),
            path: Some(path.into()),
            options: Vec::new(),
        });
        self
    }

    /// An option line in volume `name`'s section (`time machine = yes`, …).
    pub fn volume_option(mut self, name: &str, key: &str, value: &str) -> Self {
        let v = self
            .volumes
            .iter_mut()
            .find(|v| v.name == name)
            .unwrap_or_else(|| panic!("volume_option: no volume {name} declared before"));
        v.options.push((key.into(), value.into()));
        self
    }

    /// `uam list` from short names: `clrtxt`, `dhx`, `dhx2`, `guest` (or full module names).
    pub fn uams(mut self, uams: &[&str]) -> Self {
        self.uams = uams
            .iter()
            .map(|u| {
                if u.ends_with(".so") {
                    (*u).to_owned()
                } else {
                    format!("uams_{u}.so")
                }
            })
            .collect();
        self
    }

    /// A `[Global]` option line (`max connections = 1`, `tickleval = 1`, …).
    pub fn global(mut self, key: &str, value: &str) -> Self {
        self.global.push((key.into(), value.into()));
        self
    }

    /// Another generated account (a new Linux user when root) in the given test groups
    /// (group names the test created, root only).
    pub fn generated_account(mut self, groups: &[&str]) -> Self {
        self.accounts.push(AccountSpec::Generated {
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        });
        self
    }

    /// A password-file account for a user the test manages (as root a system account
    /// `unix` or, if `None`, of the same name must exist).
    pub fn account(mut self, name: &str, password: &str, unix: Option<&str>) -> Self {
        self.accounts.push(AccountSpec::Explicit {
            name: name.into(),
            password: password.into(),
            unix: unix.map(str::to_owned),
        });
        self
    }

    /// Do not create the default generated account (only the ones added explicitly).
    pub fn no_default_account(mut self) -> Self {
        self.default_account = false;
        self
    }

    /// Raw text appended to afp.conf (more sections, presets …).
    pub fn raw_conf(mut self, text: &str) -> Self {
        self.extra_conf.push_str(text);
        self.extra_conf.push('\n');
        self
    }

    /// An environment variable for the server process.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Writes the configuration, creates accounts and volumes, starts `afpd` and waits
    /// until it listens. Panics with the server log if it does not.
    pub fn start(self) -> TestServer {
        let tmp = tempfile::Builder::new()
            .prefix("afpd-test")
            .tempdir()
            .expect("temp dir");
        super::users::chmod(tmp.path(), 0o755);
        let root = tmp.path().to_path_buf();
        let state = root.join("state");
        std::fs::create_dir_all(&state).unwrap();

        // Accounts first: volumes are chowned to the first one.
        let mut specs = self.accounts;
        if self.default_account {
            specs.insert(0, AccountSpec::Generated { groups: Vec::new() });
        }
        let running_as_root = is_root();
        let mut accounts = Vec::new();
        let mut n = 0;
        for spec in specs {
            match spec {
                AccountSpec::Generated { groups } => {
                    let account = if running_as_root {
                        let names: Vec<&str> = groups.iter().map(String::as_str).collect();
                        let user = TestUser::create_in(&names, Some(DEFAULT_PASSWORD));
                        Account {
                            name: user.name.clone(),
                            password: DEFAULT_PASSWORD.into(),
                            system: Some(user),
                        }
                    } else {
                        assert!(
                            groups.is_empty(),
                            "accounts in groups need root (Linux users are created)"
                        );
                        n += 1;
                        Account {
                            name: format!("afptest{n}"),
                            password: DEFAULT_PASSWORD.into(),
                            system: None,
                        }
                    };
                    add_to_password_file(&state, &account.name, &account.password, None);
                    accounts.push(account);
                }
                AccountSpec::Explicit {
                    name,
                    password,
                    unix,
                } => {
                    add_to_password_file(&state, &name, &password, unix);
                    accounts.push(Account {
                        name,
                        password,
                        system: None,
                    });
                }
            }
        }

        let mut volumes = Vec::new();
        for v in &self.volumes {
            let path = match &v.path {
                Some(p) => p.clone(),
                None => {
                    let p = root.join("vol").join(&v.name);
                    std::fs::create_dir_all(&p).unwrap();
                    super::users::chmod(&root.join("vol"), 0o755);
                    if let Some(u) = accounts.first().and_then(|a| a.system.as_ref()) {
                        chown(&p, u.uid, u.gid);
                    }
                    p
                }
            };
            volumes.push((v.name.clone(), path));
        }

        let port = free_port();
        let conf = root.join("afp.conf");
        let mut text = String::new();
        text.push_str("[Global]\n");
        let _ = writeln!(text, "afp listen = 127.0.0.1");
        let _ = writeln!(text, "afp port = {port}");
        let _ = writeln!(text, "uam list = {}", self.uams.join(" "));
        let _ = writeln!(text, "zeroconf = no");
        let has_log_level = self.global.iter().any(|(k, _)| k == "log level");
        if !has_log_level {
            let _ = writeln!(text, "log level = default:info");
        }
        for (k, v) in &self.global {
            let _ = writeln!(text, "{k} = {v}");
        }
        for (v, spec) in volumes.iter().zip(&self.volumes) {
            let _ = writeln!(text, "\n[{}]\npath = {}", v.0, v.1.display());
            for (k, val) in &spec.options {
                let _ = writeln!(text, "{k} = {val}");
            }
        }
        if !self.extra_conf.is_empty() {
            text.push('\n');
            text.push_str(&self.extra_conf);
        }
        std::fs::write(&conf, &text).unwrap();

        let mut server = TestServer {
            child: None,
            port,
            conf,
            state,
            log: root.join("afpd.log"),
            volumes,
            accounts,
            env: self.env,
            starts: 0,
            _tmp: tmp,
        };
        server.spawn();
        server
    }
}

fn add_to_password_file(state: &Path, name: &str, password: &str, unix: Option<String>) {
    let file = state.join("afppasswd");
    afpd::accounts::passwd_file::PasswordFile::update(&file, |f| {
        f.set(name, password.as_bytes(), unix)
    })
    .expect("writing the password file");
}

/// A running `afpd` on 127.0.0.1:`port()`.
pub struct TestServer {
    child: Option<Child>,
    port: u16,
    conf: PathBuf,
    state: PathBuf,
    log: PathBuf,
    volumes: Vec<(String, PathBuf)>,
    accounts: Vec<Account>,
    env: Vec<(String, String)>,
    starts: u32,
    // Last: removed after the process is gone.
    _tmp: tempfile::TempDir,
}

impl TestServer {
    /// A builder (see [`ServerBuilder`]).
    pub fn builder() -> ServerBuilder {
        ServerBuilder::new()
    }

    /// The listening port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// afp.conf.
    pub fn config_path(&self) -> &Path {
        &self.conf
    }

    /// The state directory.
    pub fn state_dir(&self) -> &Path {
        &self.state
    }

    /// The temporary directory everything lives in.
    pub fn dir(&self) -> &Path {
        self._tmp.path()
    }

    /// The path of volume `name`.
    pub fn volume_path(&self, name: &str) -> &Path {
        &self
            .volumes
            .iter()
            .find(|v| v.0 == name)
            .unwrap_or_else(|| panic!("no volume {name}"))
            .1
    }

    /// The accounts, the default one first.
    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }

    /// The first account.
    pub fn user(&self) -> &Account {
        self.accounts.first().expect("the server has no accounts")
    }

    /// The process ID.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("server not running").id()
    }

    /// The server's log file.
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// Everything the server logged so far.
    pub fn log(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = std::fs::File::open(&self.log) {
            let _ = f.read_to_string(&mut s);
        }
        s
    }

    /// Waits up to `timeout` for `needle` to appear in the log.
    pub fn wait_for_log(&self, needle: &str, timeout: Duration) -> bool {
        let end = Instant::now() + timeout;
        loop {
            if self.log().contains(needle) {
                return true;
            }
            if Instant::now() >= end {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A new client connection with the DSI session open (not logged in).
    pub fn connect(&self) -> AfpClient {
        AfpClient::connect(self.addr())
            .unwrap_or_else(|e| panic!("connecting to afpd: {e}\n--- log ---\n{}", self.log()))
    }

    /// A client logged in as the first account with DHX2 (falls back to Cleartxt when DHX2
    /// is not offered) and AFP 3.4.
    pub fn login(&self) -> AfpClient {
        self.login_as(0)
    }

    /// A client logged in as account `i` (see [`TestServer::login`]).
    pub fn login_as(&self, i: usize) -> AfpClient {
        let a = &self.accounts[i];
        let mut c = self.connect();
        let code = c.login_best(&a.name, &a.password);
        assert_eq!(
            code,
            afp_proto::ResultCode::NO_ERR,
            "login as {} failed\n--- log ---\n{}",
            a.name,
            self.log()
        );
        c
    }

    /// Sends `sig` (libc::SIGTERM, SIGHUP …) to the server.
    pub fn signal(&self, sig: i32) {
        let pid = self.pid() as libc::pid_t;
        // SAFETY: kill has no memory preconditions; pid is our own child.
        let r = unsafe { libc::kill(pid, sig) };
        assert_eq!(r, 0, "kill({pid}, {sig}) failed");
    }

    /// Waits up to `timeout` for the server to exit; returns its exit code (`None` if it
    /// is still running; `Some(-sig)` if a signal ended it).
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        let end = Instant::now() + timeout;
        loop {
            let child = self.child.as_mut()?;
            if let Some(status) = child.try_wait().expect("try_wait") {
                use std::os::unix::process::ExitStatusExt;
                self.child = None;
                return Some(
                    status
                        .code()
                        .unwrap_or_else(|| -status.signal().unwrap_or(0)),
                );
            }
            if Instant::now() >= end {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => c.try_wait().ok().flatten().is_none(),
            None => false,
        }
    }

    /// SIGKILL, and wait for the process to be gone.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts the server again with the same configuration and port (after `kill9` or an
    /// exit). Kills the running one first.
    pub fn restart(&mut self) {
        self.kill9();
        self.spawn();
    }

    /// Rewrites afp.conf (for SIGHUP reload tests).
    pub fn write_config(&self, text: &str) {
        std::fs::write(&self.conf, text).unwrap();
    }

    /// The current afp.conf text.
    pub fn config_text(&self) -> String {
        std::fs::read_to_string(&self.conf).unwrap()
    }

    fn spawn(&mut self) {
        self.starts += 1;
        let marker = format!("listening on 127.0.0.1:{}", self.port);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let already = self.log().matches(&marker).count();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_afpd"));
        cmd.arg("-d")
            .arg("-F")
            .arg(&self.conf)
            .arg("--state-dir")
            .arg(&self.state)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("starting afpd");
        self.child = Some(child);
        let end = Instant::now() + START_TIMEOUT;
        loop {
            if self.log().matches(&marker).count() > already {
                return;
            }
            if let Some(code) = self.child.as_mut().and_then(|c| c.try_wait().unwrap()) {
                self.child = None;
                panic!(
                    "afpd exited ({code}) before listening on port {}\n--- afp.conf ---\n{}\n--- log ---\n{}",
                    self.port,
                    self.config_text(),
                    self.log()
                );
            }
            if Instant::now() >= end {
                panic!(
                    "afpd did not listen on port {} within {START_TIMEOUT:?}\n--- log ---\n{}",
                    self.port,
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.kill9();
        if std::thread::panicking() {
            eprintln!("--- afpd log ({}) ---\n{}", self.log.display(), self.log());
        }
    }
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("binding a free port");
    l.local_addr().unwrap().port()
}

/// Whether the tests run as root.
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}
