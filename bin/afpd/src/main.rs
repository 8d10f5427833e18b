//! `afpd`: the AFP file server (command line as netatalk's afpd).
//!
//! ```text
//! afpd [-d] [-F afp.conf] [--state-dir DIR]     start the server
//! afpd -v | -V                                  version / features and paths
//! afpd --check -F afp.conf                      validate the configuration (exit 0/1)
//! afpd passwd add|del|list [-F afp.conf] USER   manage the password file
//! afpd demo [DIR] [--port N]                    quick start: share DIR on 127.0.0.1
//! ```

use std::io::{self, BufRead, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};

use afpd::accounts::passwd_file::{self, PasswordFile};
use afpd::accounts::{AccountSource, Accounts};
use afpd::config::{Config, LoadOptions, Loaded};
use afpd::creds::Privilege;
use afpd::features;
use afpd::logging::{self, LogDestination};
use afpd::rootsvc::RootService;
use afpd::server::{self, Runtime, ServerCtx};
use afpd::state::{self, StateDir};
use std::sync::Arc;

/// Netatalk's default configuration path on Debian.
const DEFAULT_CONFIG: &str = "/etc/netatalk/afp.conf";

#[derive(Parser, Debug)]
#[command(
    name = "afpd",
    about = "AFP file server (netatalk-compatible afp.conf)",
    disable_version_flag = true,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    /// Stay in the foreground and log to standard error.
    #[arg(short = 'd')]
    foreground: bool,
    /// Configuration file.
    #[arg(short = 'F', value_name = "PATH", global = true)]
    config: Option<PathBuf>,
    /// Print the version and exit.
    #[arg(short = 'v')]
    version: bool,
    /// Print the version, compiled-in features and paths, and exit.
    #[arg(short = 'V')]
    version_full: bool,
    /// Load and validate the configuration, print warnings and errors, exit 0 (valid) or 1.
    #[arg(long)]
    check: bool,
    /// State directory (default: /var/lib/afpd as root, else $XDG_STATE_HOME/afpd or
    /// ~/.local/state/afpd; also $AFPD_STATE_DIR).
    #[arg(long, value_name = "DIR", global = true)]
    state_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Manage the password file (`passwd file` in afp.conf).
    Passwd {
        #[command(subcommand)]
        action: PasswdAction,
    },
    /// Quick start: share DIR (default ./afp-share) on 127.0.0.1 with a fresh demo
    /// account and Time Machine enabled, and run in the foreground.
    Demo {
        /// The directory to share (created if missing).
        dir: Option<PathBuf>,
        /// TCP port (default: 548 as root, else 10548).
        #[arg(long)]
        port: Option<u16>,
    },
}

#[derive(Subcommand, Debug)]
enum PasswdAction {
    /// Add a user or set a user's password.
    Add {
        /// Login name.
        user: String,
        /// Read the password from the first line of standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
        /// System account a root server runs this user's sessions as (default: same name).
        #[arg(long, value_name = "ACCOUNT")]
        unix_user: Option<String>,
    },
    /// Remove a user.
    Del {
        /// Login name.
        user: String,
    },
    /// List the users.
    List,
}

fn main() -> ExitCode {
    afpd::memory::tune_allocator();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("afpd: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    if cli.version {
        println!("{}", features::short_version());
        return Ok(ExitCode::SUCCESS);
    }
    let privilege = Privilege::detect().context("reading the process credentials")?;
    let config_path = cli
        .config
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG));
    let state_dir = cli
        .state_dir
        .clone()
        .or_else(|| std::env::var_os("AFPD_STATE_DIR").map(PathBuf::from))
        .unwrap_or_else(|| state::default_state_dir(privilege.is_root()));

    if cli.version_full {
        print_long_version(&config_path, &state_dir);
        return Ok(ExitCode::SUCCESS);
    }
    match cli.command {
        Some(Command::Passwd { action }) => return passwd(action, &config_path, &state_dir),
        Some(Command::Demo { dir, port }) => {
            return demo(dir, port, privilege, cli.state_dir.as_deref());
        }
        None => {}
    }

    let loaded = match load_config(&config_path, &state_dir) {
        Some(l) => l,
        None => return Ok(ExitCode::FAILURE),
    };
    if cli.check {
        let c = &loaded.config;
        println!(
            "{}: OK ({} volume section(s){}, {} preset(s), {} warning(s))",
            config_path.display(),
            c.volumes.len(),
            if c.homes.is_some() { " + [Homes]" } else { "" },
            c.presets.len(),
            loaded.warnings.len()
        );
        return Ok(ExitCode::SUCCESS);
    }
    start(
        loaded.config,
        privilege,
        &state_dir,
        cli.foreground,
        &config_path,
    )
}

/// Load and print diagnostics; `None` if the configuration is invalid.
fn load_config(path: &Path, state_dir: &Path) -> Option<Loaded> {
    match Config::load(path, &LoadOptions::new(state_dir)) {
        Ok(loaded) => {
            for w in &loaded.warnings {
                eprintln!("{w}");
            }
            Some(loaded)
        }
        Err(err) => {
            for d in &err.diagnostics {
                eprintln!("{d}");
            }
            let n = err.errors().count();
            eprintln!(
                "afpd: {}: {n} error(s); the server does not start",
                path.display()
            );
            None
        }
    }
}

fn start(
    config: Config,
    privilege: Privilege,
    state_dir: &Path,
    foreground: bool,
    config_path: &Path,
) -> Result<ExitCode> {
    let dest = match (&config.global.log_file, foreground) {
        (_, true) | (None, false) => LogDestination::Stderr,
        (Some(f), false) => LogDestination::File(f.clone()),
    };
    logging::init(&config.global.log_level, &dest)?;

    let state = StateDir::open(state_dir, privilege.is_root())?;
    let signature = state.signature_for(&config)?;
    for v in config.advertised_volumes() {
        let uuid = match v.volume_uuid {
            Some(u) => u,
            None => state.volume_uuid(&v.name)?,
        };
        tracing::debug!(volume = %v.name, %uuid, time_machine = v.time_machine, "volume");
    }
    let accounts = Accounts::from_config(&config, privilege.clone())?;
    match accounts.source() {
        AccountSource::PasswordFile => {
            tracing::info!(file = %config.passwd_file().display(), "accounts: password file")
        }
        AccountSource::Pam => tracing::info!(
            service = accounts.pam_service().unwrap_or(""),
            "accounts: PAM"
        ),
        AccountSource::Both => tracing::info!(
            file = %config.passwd_file().display(),
            service = accounts.pam_service().unwrap_or(""),
            "accounts: password file, then PAM"
        ),
    }
    if !privilege.is_root() {
        tracing::warn!(
            "running unprivileged: every session runs as this user; accounts come from the password file only"
        );
    }
    tracing::info!(
        server = config.server_name(),
        signature = %signature.iter().map(|b| format!("{b:02X}")).collect::<String>(),
        "configuration loaded"
    );
    if !features::NETWORK_SERVER {
        tracing::error!(
            "the AFP network server is not part of this build; configuration, accounts and state checked, exiting"
        );
        return Ok(ExitCode::FAILURE);
    }
    drop(accounts);
    run_server(config, privilege, state, signature, config_path)
}

/// Runs the network server until SIGTERM/SIGINT.
fn run_server(
    config: Config,
    privilege: Privilege,
    state: StateDir,
    signature: [u8; 16],
    config_path: &Path,
) -> Result<ExitCode> {
    // The root service thread starts before any session thread switches credentials.
    let root = RootService::start().context("starting the root service thread")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("afpd-net")
        .build()
        .context("starting the tokio runtime")?;
    runtime.block_on(async move {
        let addrs = server::serve::listen_addrs(&config);
        let listeners = server::serve::bind(&addrs).await?;
        let bound: Vec<std::net::SocketAddr> = listeners
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .collect();
        let rt = Runtime::new(config, &privilege, &bound, signature)?;
        let ctx = Arc::new(ServerCtx::new(
            rt,
            privilege,
            state,
            config_path.to_path_buf(),
            root,
        ));
        server::serve(ctx.clone(), listeners, signature).await?;
        // Dropping the last handle closes every volume and its CNID store.
        drop(ctx);
        Ok::<(), anyhow::Error>(())
    })?;
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    Ok(ExitCode::SUCCESS)
}

/// `afpd demo`: writes an afp.conf sharing `dir`, creates the demo account, prints how to
/// connect, and runs the server in the foreground.
fn demo(
    dir: Option<PathBuf>,
    port: Option<u16>,
    privilege: Privilege,
    state_dir: Option<&Path>,
) -> Result<ExitCode> {
    let dir = dir.unwrap_or_else(|| PathBuf::from("afp-share"));
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("creating the shared directory {}", dir.display()))?;
    let dir =
        std::fs::canonicalize(&dir).with_context(|| format!("resolving {}", dir.display()))?;
    let state_dir = match state_dir {
        Some(s) => s.to_path_buf(),
        None => state::default_state_dir(privilege.is_root()).join("demo"),
    };
    std::fs::create_dir_all(&state_dir)
        .with_context(|| format!("creating the state directory {}", state_dir.display()))?;
    let port = port.unwrap_or(if privilege.is_root() { 548 } else { 10548 });
    let volume = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "afp-share".to_owned());
    let volume: String = volume
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | '\n'))
        .take(27)
        .collect();

    // Running as root, sessions need a system account: the user who ran sudo, else nobody.
    let unix_user = if privilege.is_root() {
        let candidate = std::env::var("SUDO_USER")
            .ok()
            .filter(|u| u != "root" && !u.is_empty())
            .unwrap_or_else(|| "nobody".to_owned());
        let info = afpd::accounts::unix::user_info(&candidate)?
            .with_context(|| format!("no system account `{candidate}` to run demo sessions as"))?;
        if std::fs::read_dir(&dir)?.next().is_none() {
            std::os::unix::fs::chown(&dir, Some(info.uid), Some(info.gid))
                .with_context(|| format!("giving {} to {candidate}", dir.display()))?;
        }
        Some(candidate)
    } else {
        None
    };

    let conf = state_dir.join("demo-afp.conf");
    let text = format!(
        "# Written by `afpd demo`; edit freely and run `afpd -d -F {conf}`.\n\
         [Global]\n\
         afp listen = 127.0.0.1\n\
         afp port = {port}\n\
         uam list = uams_dhx2.so uams_dhx.so uams_clrtxt.so\n\
         zeroconf = no\n\
         log level = default:info\n\
         \n\
         [{volume}]\n\
         path = {path}\n\
         time machine = yes\n\
         # netatalk's default umask is 0 (new files 0666, folders 0777); a one-person share\n\
         # keeps them private to its owner's group.\n\
         umask = 0022\n",
        conf = conf.display(),
        path = dir.display(),
    );
    std::fs::write(&conf, text).with_context(|| format!("writing {}", conf.display()))?;

    let Some(loaded) = load_config(&conf, &state_dir) else {
        return Ok(ExitCode::FAILURE);
    };
    let user = "demo";
    let password = random_password(8);
    PasswordFile::update(&loaded.config.passwd_file(), |f| {
        f.set(user, password.as_bytes(), unix_user.clone())
    })?;

    let host = "127.0.0.1";
    println!(
        "afpd demo: sharing {} as volume \"{volume}\" (Time Machine enabled)",
        dir.display()
    );
    println!();
    println!("  URL:      afp://{user}@{host}:{port}/{volume}");
    println!("  user:     {user}");
    println!("  password: {}", password.as_str());
    println!();
    println!("Connect from this machine:");
    println!(
        "  afp client (bin/afp):  AFP_PASSWORD='{}' afp ls afp://{user}@{host}:{port}/{volume}/",
        password.as_str()
    );
    if port == 548 {
        println!("  GNOME (gvfs-backends): gio mount afp://{user}@{host}/{volume}");
    } else {
        // gio's AFP URI mapper drops the port; the mount helper sends it itself.
        println!(
            "  GNOME (gvfs-backends): dbus-run-session -- bin/afpd/tests/tools/afp-gvfs-mount.py mount {host} {volume} --port {port} --user {user} --password '{}'",
            password.as_str()
        );
        println!("                         (a plain `gio mount` always connects to port 548)");
    }
    println!(
        "  macOS Finder (SSH tunnel to this port): Go > Connect to Server… > afp://{user}@localhost:{port}/"
    );
    println!();
    println!(
        "Configuration: {} (state in {}). Ctrl-C stops the server.",
        conf.display(),
        state_dir.display()
    );
    println!();
    start(loaded.config, privilege, &state_dir, true, &conf)
}

/// A password of `len` characters from an alphabet without look-alikes.
fn random_password(len: usize) -> zeroize::Zeroizing<String> {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    let s: String = (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    zeroize::Zeroizing::new(s)
}

fn print_long_version(config_path: &Path, state_dir: &Path) {
    // The password file path comes from afp.conf when it loads; else the default.
    let passwd = Config::load(config_path, &LoadOptions::new(state_dir))
        .map(|l| l.config.passwd_file())
        .unwrap_or_else(|_| state_dir.join(state::PASSWD_FILE));
    let paths = features::Paths {
        config: config_path.to_owned(),
        state_dir: state_dir.to_owned(),
        signature: state_dir.join(state::SIGNATURE_FILE),
        voluuid: state_dir.join(state::VOLUUID_FILE),
        passwd,
        cnid: state_dir.join(state::CNID_DIR),
    };
    let pam = afpd::accounts::pam::Pam::load()
        .map(|p| p.service().to_owned())
        .map_err(|e| e.to_string());
    print!("{}", features::long_version(&paths, pam));
}

fn passwd(action: PasswdAction, config_path: &Path, state_dir: &Path) -> Result<ExitCode> {
    let Some(loaded) = load_config(config_path, state_dir) else {
        return Ok(ExitCode::FAILURE);
    };
    let path = loaded.config.passwd_file();
    match action {
        PasswdAction::List => {
            let file = PasswordFile::load(&path)?;
            for e in file.entries() {
                match &e.unix_account {
                    Some(u) => println!("{} (runs as {u})", e.name),
                    None => println!("{}", e.name),
                }
            }
        }
        PasswdAction::Del { user } => {
            let removed = PasswordFile::update(&path, |f| Ok(f.remove(&user)))?;
            if !removed {
                bail!("no user `{user}` in {}", path.display());
            }
            println!("removed {user} from {}", path.display());
        }
        PasswdAction::Add {
            user,
            password_stdin,
            unix_user,
        } => {
            passwd_file::validate_user_name(&user)?;
            let password = read_password(password_stdin)?;
            let minlen = loaded.config.global.passwd_minlen as usize;
            if password.len() < minlen {
                bail!("the password is shorter than `passwd minlen` ({minlen})");
            }
            if password.is_empty() {
                bail!("empty password refused");
            }
            PasswordFile::update(&path, |f| {
                f.set(&user, password.as_bytes(), unix_user.clone())
            })?;
            println!("set password of {user} in {}", path.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn read_password(from_stdin: bool) -> Result<zeroize::Zeroizing<String>> {
    if from_stdin {
        let mut line = zeroize::Zeroizing::new(String::new());
        io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        let trimmed = line.trim_end_matches(['\n', '\r']).to_owned();
        return Ok(zeroize::Zeroizing::new(trimmed));
    }
    if !io::stdin().is_terminal() {
        bail!(
            "standard input is not a terminal: use --password-stdin to read the password from it"
        );
    }
    let first = zeroize::Zeroizing::new(rpassword::prompt_password("Password: ")?);
    let second = zeroize::Zeroizing::new(rpassword::prompt_password("Password again: ")?);
    if *first != *second {
        bail!("the passwords differ");
    }
    Ok(first)
}
