//! Logging: netatalk's `log level` / `log file` options on top of `tracing` (spec
//! `cnid-and-config.md` §3.5), and the login/logout lines.
//!
//! `log level` is a list of `type:level` pairs separated by spaces or commas, case
//! insensitive. Netatalk has eleven levels; `tracing` has five, mapped like this:
//!
//! | netatalk | tracing |
//! |---|---|
//! | `severe`, `error` | `ERROR` |
//! | `warn` | `WARN` |
//! | `note`, `info` | `INFO` |
//! | `debug` | `DEBUG` |
//! | `debug6` … `debug9`, `maxdebug` | `TRACE` |
//!
//! Log types become `tracing` targets: `default` sets the global level; `afpdaemon` /
//! `afpd` → target `afpd`; `dsi` → `dsi`; `uams` / `uamsdaemon` → `afpd::uam`; `cnid` →
//! `cnid`. The other netatalk types (`logger`, `fce`, `ad`, `sl`, `spotlight`,
//! `atalkdaemon`, `papdaemon`) name subsystems we do not have; they are accepted and have
//! no effect.
//!
//! Destination: `log file` (appended to, created with mode 0640), else standard error.
//! Netatalk logs to syslog when no file is given; we write to standard error, which the
//! service manager (systemd's journal) collects.
//!
//! Login lines follow netatalk's wording (`AFP3.4 Login by elatov`), extended with the
//! client address and the login method, at `INFO` (netatalk's `note`), target
//! [`SESSION_TARGET`]. Passwords never reach a log line: none of these helpers takes one.

use std::fmt;
use std::fs::OpenOptions;
use std::io;
use std::net::SocketAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;

/// Target of the login/logout lines.
pub const SESSION_TARGET: &str = "afpd::session";

/// A netatalk log level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum NetatalkLevel {
    /// `severe`.
    Severe,
    /// `error`.
    Error,
    /// `warn`.
    Warn,
    /// `note` (netatalk's default).
    Note,
    /// `info`.
    Info,
    /// `debug`.
    Debug,
    /// `debug6` to `debug9` (the number is kept).
    DebugN(u8),
    /// `maxdebug`.
    MaxDebug,
}

impl NetatalkLevel {
    /// The `tracing` level this maps to.
    pub fn to_tracing(self) -> tracing::Level {
        match self {
            NetatalkLevel::Severe | NetatalkLevel::Error => tracing::Level::ERROR,
            NetatalkLevel::Warn => tracing::Level::WARN,
            NetatalkLevel::Note | NetatalkLevel::Info => tracing::Level::INFO,
            NetatalkLevel::Debug => tracing::Level::DEBUG,
            NetatalkLevel::DebugN(_) | NetatalkLevel::MaxDebug => tracing::Level::TRACE,
        }
    }
}

impl FromStr for NetatalkLevel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "severe" => NetatalkLevel::Severe,
            "error" => NetatalkLevel::Error,
            "warn" | "warning" => NetatalkLevel::Warn,
            "note" => NetatalkLevel::Note,
            "info" => NetatalkLevel::Info,
            "debug" => NetatalkLevel::Debug,
            "debug6" => NetatalkLevel::DebugN(6),
            "debug7" => NetatalkLevel::DebugN(7),
            "debug8" => NetatalkLevel::DebugN(8),
            "debug9" => NetatalkLevel::DebugN(9),
            "maxdebug" => NetatalkLevel::MaxDebug,
            other => {
                return Err(format!(
                    "unknown log level `{other}` (severe, error, warn, note, info, debug, debug6-debug9, maxdebug)"
                ));
            }
        })
    }
}

impl fmt::Display for NetatalkLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetatalkLevel::Severe => f.write_str("severe"),
            NetatalkLevel::Error => f.write_str("error"),
            NetatalkLevel::Warn => f.write_str("warn"),
            NetatalkLevel::Note => f.write_str("note"),
            NetatalkLevel::Info => f.write_str("info"),
            NetatalkLevel::Debug => f.write_str("debug"),
            NetatalkLevel::DebugN(n) => write!(f, "debug{n}"),
            NetatalkLevel::MaxDebug => f.write_str("maxdebug"),
        }
    }
}

/// A parsed `log level` value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogSpec {
    /// Level of `default` (applies to everything not named otherwise).
    pub default: NetatalkLevel,
    /// `(target, level)` for the types that map to one of our targets, in order.
    pub targets: Vec<(&'static str, NetatalkLevel)>,
}

impl Default for LogSpec {
    /// Netatalk's default, `default:note`.
    fn default() -> Self {
        LogSpec {
            default: NetatalkLevel::Note,
            targets: Vec::new(),
        }
    }
}

/// The `tracing` target of a netatalk log type; `Ok(None)` for known types we have no
/// subsystem for.
fn target_of(log_type: &str) -> Result<Option<&'static str>, String> {
    Ok(match log_type {
        "afpdaemon" | "afpd" => Some("afpd"),
        "dsi" => Some("dsi"),
        "uams" | "uamsdaemon" => Some("afpd::uam"),
        "cnid" => Some("cnid"),
        "logger" | "fce" | "ad" | "sl" | "spotlight" | "atalkdaemon" | "papdaemon" | "default" => {
            None
        }
        other => {
            return Err(format!(
                "unknown log type `{other}` (default, afpdaemon, dsi, uams, cnid, logger, fce, ad, spotlight)"
            ));
        }
    })
}

impl FromStr for LogSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut spec = LogSpec::default();
        let mut any = false;
        for pair in s.split([' ', ',', '\t']).filter(|p| !p.is_empty()) {
            let (ty, level) = pair
                .split_once(':')
                .ok_or_else(|| format!("`{pair}` is not `type:level` (e.g. default:warn)"))?;
            let ty = ty.to_ascii_lowercase();
            let level: NetatalkLevel = level.parse()?;
            any = true;
            if ty == "default" {
                spec.default = level;
            } else if let Some(target) = target_of(&ty)? {
                spec.targets.retain(|(t, _)| *t != target);
                spec.targets.push((target, level));
            }
        }
        if !any {
            return Err(
                "empty log level (expected type:level pairs such as default:note)".to_owned(),
            );
        }
        Ok(spec)
    }
}

impl LogSpec {
    /// The `EnvFilter` directives, e.g. `warn,afpd=debug`.
    pub fn filter_directives(&self) -> String {
        let level = |l: NetatalkLevel| l.to_tracing().as_str().to_ascii_lowercase();
        let mut out = level(self.default);
        for (target, l) in &self.targets {
            out.push(',');
            out.push_str(target);
            out.push('=');
            out.push_str(&level(*l));
        }
        out
    }

    /// The filter itself.
    pub fn env_filter(&self) -> EnvFilter {
        // The directives are built from known targets and levels, so parsing cannot fail;
        // fall back to the default level rather than panic if it ever did.
        EnvFilter::try_new(self.filter_directives())
            .unwrap_or_else(|_| EnvFilter::new(level_name(self.default)))
    }
}

fn level_name(l: NetatalkLevel) -> String {
    l.to_tracing().as_str().to_ascii_lowercase()
}

/// Where log lines go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogDestination {
    /// Standard error (foreground `-d`, or no `log file`).
    Stderr,
    /// Append to this file (created with mode 0640).
    File(PathBuf),
}

/// Open `path` for appending, creating it with mode 0640.
pub fn open_log_file(path: &Path) -> io::Result<std::fs::File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o640)
        .open(path)
}

/// Install the global `tracing` subscriber for `spec` and `dest`.
///
/// Fails if the log file cannot be opened or a global subscriber is already installed.
pub fn init(spec: &LogSpec, dest: &LogDestination) -> io::Result<()> {
    let builder = tracing_subscriber::fmt().with_env_filter(spec.env_filter());
    let result = match dest {
        // Colours only on a terminal: `afpd -d 2>afpd.log` must give a plain log.
        LogDestination::Stderr => builder
            .with_ansi(io::IsTerminal::is_terminal(&io::stderr()))
            .with_writer(io::stderr)
            .try_init(),
        LogDestination::File(path) => {
            let file = open_log_file(path).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("cannot open log file {}: {e}", path.display()),
                )
            })?;
            builder
                .with_ansi(false)
                .with_writer(Mutex::new(file))
                .try_init()
        }
    };
    result.map_err(|e| io::Error::other(format!("cannot install the logger: {e}")))
}

/// Log a successful login (netatalk: `AFP3.4 Login by elatov`).
pub fn log_login(afp_version: &str, user: &str, client: SocketAddr, method: &str) {
    tracing::info!(
        target: SESSION_TARGET,
        afp_version,
        user,
        %client,
        method,
        "{afp_version} Login by {user} from {client} ({method})"
    );
}

/// Log a logout or the end of a logged-in session.
pub fn log_logout(afp_version: &str, user: &str, client: SocketAddr) {
    tracing::info!(
        target: SESSION_TARGET,
        afp_version,
        user,
        %client,
        "{afp_version} Logout by {user} from {client}"
    );
}

/// Log a refused login (no password, only the reason).
pub fn log_login_failed(user: &str, client: SocketAddr, method: &str, reason: &str) {
    tracing::warn!(
        target: SESSION_TARGET,
        user,
        %client,
        method,
        reason,
        "Login refused for {user} from {client} ({method}): {reason}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_log_level() {
        let spec: LogSpec = "default:warn".parse().unwrap();
        assert_eq!(spec.default, NetatalkLevel::Warn);
        assert_eq!(spec.filter_directives(), "warn");
    }

    #[test]
    fn several_types_and_separators() {
        let spec: LogSpec = "default:note, afpdaemon:debug9 DSI:Info,uams:maxdebug logger:error"
            .parse()
            .unwrap();
        assert_eq!(
            spec.filter_directives(),
            "info,afpd=trace,dsi=info,afpd::uam=trace"
        );
        assert!(EnvFilter::try_new(spec.filter_directives()).is_ok());
    }

    #[test]
    fn later_pairs_win() {
        let spec: LogSpec = "default:error default:debug cnid:warn cnid:error"
            .parse()
            .unwrap();
        assert_eq!(spec.filter_directives(), "debug,cnid=error");
    }

    #[test]
    fn level_mapping() {
        use tracing::Level;
        let cases = [
            ("severe", Level::ERROR),
            ("error", Level::ERROR),
            ("warn", Level::WARN),
            ("note", Level::INFO),
            ("info", Level::INFO),
            ("debug", Level::DEBUG),
            ("debug6", Level::TRACE),
            ("debug9", Level::TRACE),
            ("maxdebug", Level::TRACE),
        ];
        for (name, level) in cases {
            let l: NetatalkLevel = name.parse().unwrap();
            assert_eq!(l.to_tracing(), level, "{name}");
            assert_eq!(l.to_string(), name);
        }
    }

    #[test]
    fn errors() {
        assert!("default".parse::<LogSpec>().is_err());
        assert!("default:loud".parse::<LogSpec>().is_err());
        assert!("printer:warn".parse::<LogSpec>().is_err());
        assert!("".parse::<LogSpec>().is_err());
        assert!("debug5".parse::<NetatalkLevel>().is_err());
    }

    /// A writer that keeps what the subscriber writes.
    #[derive(Clone, Default)]
    struct Capture(std::sync::Arc<Mutex<Vec<u8>>>);

    impl io::Write for Capture {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn captured(spec: &str, f: impl FnOnce()) -> String {
        let cap = Capture::default();
        let writer = cap.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(spec.parse::<LogSpec>().unwrap().env_filter())
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, f);
        String::from_utf8(cap.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn login_and_logout_lines() {
        let client: SocketAddr = "192.168.1.20:51234".parse().unwrap();
        let out = captured("default:note", || {
            log_login("AFP3.4", "elatov", client, "DHX2");
            log_logout("AFP3.4", "elatov", client);
            log_login_failed("mallory", client, "DHX2", "wrong password");
        });
        assert!(
            out.contains("AFP3.4 Login by elatov from 192.168.1.20:51234 (DHX2)"),
            "{out}"
        );
        assert!(
            out.contains("AFP3.4 Logout by elatov from 192.168.1.20:51234"),
            "{out}"
        );
        assert!(
            out.contains(
                "Login refused for mallory from 192.168.1.20:51234 (DHX2): wrong password"
            ),
            "{out}"
        );
        assert!(out.contains(SESSION_TARGET), "{out}");
        // `default:warn` (the seed) hides the login lines but keeps refusals.
        let out = captured("default:warn", || {
            log_login("AFP3.4", "elatov", client, "DHX2");
            log_login_failed("mallory", client, "DHX2", "wrong password");
        });
        assert!(!out.contains("Login by"), "{out}");
        assert!(out.contains("Login refused"), "{out}");
        // A per-type level for afpdaemon brings them back.
        let out = captured("default:warn afpdaemon:note", || {
            log_login("AFP3.3", "elatov", client, "DHX2");
        });
        assert!(out.contains("AFP3.3 Login by elatov"), "{out}");
    }

    #[test]
    fn log_file_is_created_0640_and_appended() {
        use std::io::Write;
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("afpd.log");
        writeln!(open_log_file(&path).unwrap(), "one").unwrap();
        writeln!(open_log_file(&path).unwrap(), "two").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "one\ntwo\n");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        // The process umask may clear bits but never adds any.
        assert_eq!(mode & !0o640, 0, "mode {mode:o}");
    }
}
