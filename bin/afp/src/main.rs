//! `afp`: a command-line AFP client for old Macs, AirPort Disks, Time Capsules and
//! netatalk servers.
// The doc comments below are the `--help` text, where `[:PORT]` means "optional".
#![allow(rustdoc::broken_intra_doc_links)]

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use afp_client::bench::{self, BenchOptions};
use afp_client::client::{
    Client, Entry, LoginOptions, ROOT_DID, Volume, choose_method, parse_method, show,
};
use afp_client::conn::{self, ConnectOptions, now};
use afp_client::display;
use afp_client::error::{EXIT_OK, Error, LoginError, Result};
use afp_client::transfer::{self, Progress, Stats, TransferOptions};
use afp_client::url::AfpUrl;
use afp_proto::ResultCode;
use afp_proto::uam::{Password, Uam};

const EXIT_CODES: &str = "\
URLs: afp://[USER[;AUTH=METHOD]@]HOST[:PORT]/VOLUME/PATH (port 548 by default).

Password: from AFP_PASSWORD, else --password-file, else a prompt on the terminal.
Login: DHX2, else DHCAST128; Cleartxt Passwrd only with --allow-cleartext.

Exit status:
  0  success
  1  the server refused an operation (the AFP result code is shown, e.g.
     \"access denied (-5000)\"), or some files of a recursive transfer failed
  2  bad command line or URL
  3  cannot connect, connection lost, or the server broke the protocol
  4  login failed (wrong user or password, no common login method or AFP
     version, guest access refused)
  5  a local file could not be read or written";

#[derive(Parser, Debug)]
#[command(
    name = "afp",
    version,
    about = "AFP (Apple Filing Protocol) client: reach Macs, Time Capsules and netatalk servers",
    after_help = EXIT_CODES
)]
struct Cli {
    #[command(flatten)]
    login: LoginArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Debug, Clone)]
struct LoginArgs {
    /// User name (overrides the one in the URL).
    #[arg(short = 'u', long, global = true)]
    user: Option<String>,
    /// Log in as guest.
    #[arg(long, global = true)]
    guest: bool,
    /// Read the password from the first line of this file.
    #[arg(long, value_name = "FILE", global = true)]
    password_file: Option<PathBuf>,
    /// Allow the Cleartxt Passwrd login, which sends the password unencrypted.
    #[arg(long, global = true)]
    allow_cleartext: bool,
    /// Login method: dhx2, dhcast128, cleartext or guest (as `;AUTH=` in the URL).
    #[arg(long, value_name = "METHOD", global = true)]
    auth: Option<String>,
    /// Seconds to wait for the server to answer a connection.
    #[arg(long, default_value_t = 15, global = true)]
    timeout: u64,
    /// Read/write requests in flight per file.
    #[arg(long, default_value_t = 8, global = true)]
    window: usize,
    /// No progress bars or summaries.
    #[arg(short, long, global = true)]
    quiet: bool,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Show a server's status block (name, machine type, AFP versions, login methods,
    /// flags, signature, addresses); no login needed.
    Status {
        /// HOST[:PORT] or afp://HOST[:PORT].
        host: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the volumes the user may open.
    Volumes {
        /// afp://USER@HOST[:PORT]
        url: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List directories.
    Ls {
        /// afp://USER@HOST/VOLUME[/PATH] …
        #[arg(required = true)]
        urls: Vec<String>,
        /// Long format: mode, owner, group, size, modification time (UTC).
        #[arg(short, long)]
        long: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show everything the server says about files or directories.
    Stat {
        /// afp://USER@HOST/VOLUME/PATH …
        #[arg(required = true)]
        urls: Vec<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Download files or trees: get URL… [DEST] (DEST defaults to the current directory;
    /// `-` writes the files' data to standard output).
    Get {
        /// URLs, then optionally a local destination.
        #[arg(required = true, value_name = "URL… [DEST]")]
        args: Vec<String>,
        #[command(flatten)]
        transfer: TransferArgs,
    },
    /// Upload files or trees: put SRC… URL.
    Put {
        /// Local files or directories, then the destination URL.
        #[arg(required = true, num_args = 2.., value_name = "SRC… URL")]
        args: Vec<String>,
        #[command(flatten)]
        transfer: TransferArgs,
    },
    /// Remove files or directories.
    Rm {
        /// afp://USER@HOST/VOLUME/PATH …
        #[arg(required = true)]
        urls: Vec<String>,
        /// Remove directories and their contents.
        #[arg(short, long)]
        recursive: bool,
    },
    /// Create directories.
    Mkdir {
        /// afp://USER@HOST/VOLUME/PATH …
        #[arg(required = true)]
        urls: Vec<String>,
        /// Create missing parents; an existing directory is fine.
        #[arg(short, long)]
        parents: bool,
    },
    /// Move or rename within a volume: mv SRC_URL DST_URL (into DST if it is a directory).
    Mv {
        /// Source URL.
        src: String,
        /// Destination URL (same server and volume).
        dst: String,
    },
    /// Measure a server: large-file write/read throughput (1 and N sessions), small-file
    /// create/enumerate/delete, lock/unlock rate, next to loopback TCP throughput.
    Bench {
        /// afp://USER@HOST[:PORT]/VOLUME[/PATH] (a scratch directory is made there).
        url: String,
        /// Bytes per large-file test (K, M, G suffixes).
        #[arg(long, default_value = "1G", value_parser = parse_size)]
        size: u64,
        /// Sessions of the multi-session tests.
        #[arg(long, default_value_t = 8)]
        sessions: usize,
        /// Small files to create, enumerate and delete.
        #[arg(long, default_value_t = 10_000)]
        files: usize,
        /// Bytes written into each small file (0: create only).
        #[arg(long, default_value = "1K", value_parser = parse_size)]
        small_size: u64,
        /// Lock/unlock pairs.
        #[arg(long, default_value_t = 10_000)]
        locks: usize,
    },
}

#[derive(Args, Debug, Clone)]
struct TransferArgs {
    /// Copy directories recursively.
    #[arg(short, long)]
    recursive: bool,
    /// Resume: complete destinations that are shorter than the source.
    #[arg(short = 'c', long = "continue")]
    resume: bool,
    /// Copy extended attributes, resource forks (user.com.apple.ResourceFork) and Finder
    /// info (user.com.apple.FinderInfo) to and from Linux xattrs.
    #[arg(long)]
    xattrs: bool,
}

fn parse_size(s: &str) -> std::result::Result<u64, String> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => {
            let unit = s[i..].to_ascii_lowercase();
            let m = match unit.trim_end_matches("ib").trim_end_matches('b') {
                "" => 1,
                "k" => 1 << 10,
                "m" => 1 << 20,
                "g" => 1 << 30,
                "t" => 1 << 40,
                _ => return Err(format!("unknown unit in `{s}`")),
            };
            (&s[..i], m)
        }
        None => (s, 1),
    };
    let n: u64 = num
        .trim()
        .parse()
        .map_err(|_| format!("not a size: `{s}`"))?;
    n.checked_mul(mult)
        .ok_or_else(|| format!("too large: `{s}`"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("afp: cannot start the runtime: {e}");
            return ExitCode::from(afp_client::error::EXIT_LOCAL);
        }
    };
    let code = match rt.block_on(run(cli)) {
        Ok(()) => EXIT_OK,
        Err(e) => {
            eprintln!("afp: {e}");
            e.exit_code()
        }
    };
    // Background connection tasks must not keep the process alive.
    rt.shutdown_timeout(Duration::from_millis(200));
    ExitCode::from(code)
}

/// Logged-in sessions and open volumes, reused across the URLs of one command.
struct Sessions {
    args: LoginArgs,
    connect: ConnectOptions,
    clients: HashMap<(String, Option<String>), Client>,
    volumes: HashMap<(String, Option<String>, String), Volume>,
}

impl Sessions {
    fn new(args: &LoginArgs) -> Sessions {
        Sessions {
            args: args.clone(),
            connect: ConnectOptions {
                timeout: Duration::from_secs(args.timeout.max(1)),
                ..ConnectOptions::default()
            },
            clients: HashMap::new(),
            volumes: HashMap::new(),
        }
    }

    fn login_options(&self, url: &AfpUrl) -> Result<LoginOptions> {
        let method = self.args.auth.clone().or_else(|| url.auth.clone());
        if let Some(m) = &method
            && parse_method(m).is_none()
        {
            return Err(Error::Usage(format!(
                "unknown login method `{m}` (dhx2, dhcast128, cleartext, guest)"
            )));
        }
        let guest =
            self.args.guest || method.as_deref().and_then(parse_method) == Some(Uam::NoUserAuthent);
        let user = self.args.user.clone().or_else(|| url.user.clone());
        if guest {
            return Ok(LoginOptions {
                user: None,
                password: None,
                guest: true,
                allow_cleartext: self.args.allow_cleartext,
                method: None,
            });
        }
        let Some(user) = user else {
            return Err(LoginError::NoUser.into());
        };
        let password = self.password(url, &user)?;
        Ok(LoginOptions {
            user: Some(user),
            password: Some(password),
            guest: false,
            allow_cleartext: self.args.allow_cleartext,
            method,
        })
    }

    fn password(&self, url: &AfpUrl, user: &str) -> Result<Password> {
        if let Some(p) = &url.password {
            return Ok(Password::from_slice(p.as_bytes()));
        }
        if let Some(p) = std::env::var_os("AFP_PASSWORD") {
            use std::os::unix::ffi::OsStrExt;
            return Ok(Password::from_slice(p.as_bytes()));
        }
        if let Some(f) = &self.args.password_file {
            let text =
                std::fs::read(f).map_err(|e| Error::local("read password file", f.clone(), e))?;
            let line = text.split(|&b| b == b'\n').next().unwrap_or(&[]);
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            return Ok(Password::from_slice(line));
        }
        if !std::io::stdin().is_terminal() && !Path::new("/dev/tty").exists() {
            return Err(LoginError::Password(
                "no password: set AFP_PASSWORD, pass --password-file, or run from a terminal"
                    .into(),
            )
            .into());
        }
        let prompt = format!("Password for {user}@{}: ", url.host);
        rpassword::prompt_password(prompt)
            .map(|p| Password::new(p.into_bytes()))
            .map_err(|e| {
                LoginError::Password(format!(
                    "cannot read the password ({e}): set AFP_PASSWORD or pass --password-file"
                ))
                .into()
            })
    }

    async fn client(&mut self, url: &AfpUrl) -> Result<Client> {
        let user = if self.args.guest {
            None
        } else {
            self.args.user.clone().or_else(|| url.user.clone())
        };
        let key = (url.addr(), user);
        if let Some(c) = self.clients.get(&key) {
            return Ok(c.clone());
        }
        let options = self.login_options(url)?;
        let client = Client::login(&url.addr(), options, &self.connect).await?;
        self.clients.insert(key, client.clone());
        Ok(client)
    }

    async fn volume(&mut self, url: &AfpUrl) -> Result<Volume> {
        let Some(name) = url.volume.clone() else {
            return Err(Error::Usage(format!(
                "{url}: no volume in the URL (afp://host/VOLUME/path; `afp volumes` lists them)"
            )));
        };
        let user = if self.args.guest {
            None
        } else {
            self.args.user.clone().or_else(|| url.user.clone())
        };
        let key = (url.addr(), user, name.clone());
        if let Some(v) = self.volumes.get(&key) {
            return Ok(v.clone());
        }
        let client = self.client(url).await?;
        let v = client.open_volume(&name).await?;
        self.volumes.insert(key, v.clone());
        Ok(v)
    }

    async fn logout(self) {
        for c in self.clients.values() {
            let _ = c.logout().await;
        }
    }
}

fn parse_url(s: &str) -> Result<AfpUrl> {
    AfpUrl::parse(s).map_err(|e| Error::Usage(e.to_string()))
}

fn is_url(s: &str) -> bool {
    s.get(..6).is_some_and(|p| p.eq_ignore_ascii_case("afp://"))
}

async fn run(cli: Cli) -> Result<()> {
    let mut sessions = Sessions::new(&cli.login);
    let r = command(&cli, &mut sessions).await;
    sessions.logout().await;
    r
}

async fn command(cli: &Cli, sessions: &mut Sessions) -> Result<()> {
    match &cli.command {
        Command::Status { host, json } => status(host, *json, &cli.login).await,
        Command::Volumes { url, json } => {
            let url = parse_url(url)?;
            let client = sessions.client(&url).await?;
            let vols = client.volumes().await?;
            if *json {
                let v: Vec<_> = vols.iter().map(display::volume_json).collect();
                println!("{}", serde_json::Value::Array(v));
            } else {
                for v in &vols {
                    println!("{}", display::volume_line(v));
                }
            }
            Ok(())
        }
        Command::Ls { urls, long, json } => ls(sessions, urls, *long, *json).await,
        Command::Stat { urls, json } => stat(sessions, urls, *json).await,
        Command::Get { args, transfer } => get(sessions, args, transfer, &cli.login).await,
        Command::Put { args, transfer } => put(sessions, args, transfer, &cli.login).await,
        Command::Rm { urls, recursive } => rm(sessions, urls, *recursive).await,
        Command::Mkdir { urls, parents } => mkdir(sessions, urls, *parents).await,
        Command::Mv { src, dst } => mv(sessions, src, dst).await,
        Command::Bench {
            url,
            size,
            sessions: n,
            files,
            small_size,
            locks,
        } => {
            let url = parse_url(url)?;
            let Some(volume) = url.volume.clone() else {
                return Err(Error::Usage("bench needs a volume in the URL".into()));
            };
            let login = sessions.login_options(&url)?;
            let options = BenchOptions {
                size: *size,
                sessions: *n,
                files: *files,
                small_size: usize::try_from(*small_size).unwrap_or(usize::MAX),
                locks: *locks,
                window: cli.login.window,
            };
            println!(
                "{:<34} {:>14} {:>10} {:>18} {:>10}",
                "test", "amount", "time", "rate", "% of TCP"
            );
            let mut tcp = None;
            bench::run(
                &url.addr(),
                &login,
                &sessions.connect,
                &volume,
                &url.path,
                &options,
                &mut |row| {
                    if tcp.is_none() {
                        tcp = Some(row.per_sec());
                    }
                    println!("{}", bench::line(row, tcp));
                },
            )
            .await
            .map(|_| ())
        }
    }
}

async fn status(host: &str, json: bool, args: &LoginArgs) -> Result<()> {
    let url = AfpUrl::parse_host(host).map_err(|e| Error::Usage(e.to_string()))?;
    let (_, s) = conn::get_status(&url.addr(), Duration::from_secs(args.timeout.max(1))).await?;
    let probe = LoginOptions {
        user: Some(String::new()),
        allow_cleartext: args.allow_cleartext,
        ..LoginOptions::default()
    };
    let preferred = choose_method(&s, &probe).ok().map(|u| u.wire_name());
    if json {
        println!("{}", display::status_json(&s, preferred));
    } else {
        print!("{}", display::status_text(&s, preferred));
    }
    Ok(())
}

async fn ls(sessions: &mut Sessions, urls: &[String], long: bool, json: bool) -> Result<()> {
    let mut out_json = Vec::new();
    let many = urls.len() > 1;
    for (i, u) in urls.iter().enumerate() {
        let url = parse_url(u)?;
        let vol = sessions.volume(&url).await?;
        let e = vol.stat(ROOT_DID, &url.path).await?;
        let mut entries = if e.is_dir() {
            vol.list(e.node_id, &[]).await?
        } else {
            vec![e]
        };
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        if json {
            out_json.push(serde_json::json!({
                "url": url.to_string(),
                "entries": entries.iter().map(display::entry_json).collect::<Vec<_>>(),
            }));
            continue;
        }
        if many {
            if i > 0 {
                println!();
            }
            println!("{url}:");
        }
        for e in &entries {
            if long {
                println!("{}", display::long_line(e));
            } else if e.is_dir() {
                println!("{}/", e.name);
            } else {
                println!("{}", e.name);
            }
        }
    }
    if json {
        let v = if many {
            serde_json::Value::Array(out_json)
        } else {
            out_json
                .pop()
                .map(|mut v| v["entries"].take())
                .unwrap_or_default()
        };
        println!("{v}");
    }
    Ok(())
}

async fn stat(sessions: &mut Sessions, urls: &[String], json: bool) -> Result<()> {
    let mut out = Vec::new();
    for (i, u) in urls.iter().enumerate() {
        let url = parse_url(u)?;
        let vol = sessions.volume(&url).await?;
        let e = vol.stat(ROOT_DID, &url.path).await?;
        if json {
            out.push(display::entry_json(&e));
        } else {
            if urls.len() > 1 {
                if i > 0 {
                    println!();
                }
                println!("{url}:");
            }
            print!("{}", display::stat_text(&e));
        }
    }
    if json {
        if out.len() == 1 {
            println!("{}", out.remove(0));
        } else {
            println!("{}", serde_json::Value::Array(out));
        }
    }
    Ok(())
}

/// Progress bars on standard error: the current file and the total.
struct Bars {
    multi: MultiProgress,
    file: ProgressBar,
    total: ProgressBar,
}

impl Bars {
    fn new(quiet: bool) -> Bars {
        let multi = MultiProgress::new();
        if quiet || !std::io::stderr().is_terminal() {
            multi.set_draw_target(ProgressDrawTarget::hidden());
        }
        let file = multi.add(ProgressBar::new(0));
        file.set_style(
            ProgressStyle::with_template(
                "{wide_msg} {bytes:>10}/{total_bytes:<10} {bar:24} {binary_bytes_per_sec:>12} {eta:>4}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let total = multi.add(ProgressBar::new(0));
        total.set_style(
            ProgressStyle::with_template("total: {pos:>3}/{len:3} … {msg} {elapsed_precise}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Bars { multi, file, total }
    }

    fn finish(&self) {
        self.file.finish_and_clear();
        self.total.finish_and_clear();
    }
}

impl Progress for Bars {
    fn file(&self, name: &str, size: u64) {
        self.file.reset();
        self.file.set_length(size);
        self.file.set_position(0);
        self.file.set_message(name.to_owned());
        self.total.inc_length(1);
        self.total.inc(1);
    }

    fn advance(&self, bytes: u64) {
        self.file.inc(bytes);
    }

    fn warn(&self, message: &str) {
        let _ = self.multi.println(format!("afp: {message}"));
        if self.multi.is_hidden() {
            eprintln!("afp: {message}");
        }
    }
}

fn summary(verb: &str, stats: &Stats, secs: f64, quiet: bool) {
    if quiet {
        return;
    }
    let mut s = format!(
        "{verb}: {} file(s), {} byte(s) in {secs:.2} s ({})",
        stats.files,
        stats.bytes,
        display::rate(stats.bytes, secs)
    );
    if stats.skipped > 0 {
        s.push_str(&format!(", {} already complete", stats.skipped));
    }
    eprintln!("{s}");
}

fn transfer_options(t: &TransferArgs, login: &LoginArgs) -> TransferOptions {
    TransferOptions {
        recursive: t.recursive,
        resume: t.resume,
        xattrs: t.xattrs,
        window: login.window.max(1),
    }
}

/// The errors of a command run over several arguments (`get URL… DIR`, `put SRC… URL`):
/// each is warned as it happens, the first is kept, and all are counted.
#[derive(Default)]
struct Failures {
    first: Option<Error>,
    count: usize,
}

impl Failures {
    /// Warns about and counts `e`; a fatal error (the session is gone) ends the command:
    /// the bars are finished and `e` is returned.
    fn record(&mut self, e: Error, bars: &Bars) -> Result<()> {
        if e.is_fatal() {
            bars.finish();
            return Err(e);
        }
        bars.warn(&e.to_string());
        self.count += 1;
        self.first.get_or_insert(e);
        Ok(())
    }

    /// The command's result over `total` arguments: the error itself when there was one
    /// argument, otherwise how many of them failed.
    fn into_result(self, total: usize) -> Result<()> {
        match self.first {
            None => Ok(()),
            Some(e) if total == 1 => Err(e),
            Some(_) => Err(Error::Partial {
                failed: self.count,
                total,
            }),
        }
    }
}

fn add(total: &mut Stats, s: &Stats) {
    total.files += s.files;
    total.dirs += s.dirs;
    total.bytes += s.bytes;
    total.skipped += s.skipped;
    total.failed += s.failed;
}

async fn get(
    sessions: &mut Sessions,
    args: &[String],
    t: &TransferArgs,
    login: &LoginArgs,
) -> Result<()> {
    let (urls, dest) = match args.split_last() {
        Some((last, rest)) if !is_url(last) => (rest, PathBuf::from(last)),
        _ => (args, PathBuf::from(".")),
    };
    if urls.is_empty() {
        return Err(Error::Usage("get: no URL".into()));
    }
    if let Some(bad) = urls.iter().find(|u| !is_url(u)) {
        return Err(Error::Usage(format!(
            "get: `{bad}` is not an afp:// URL (only the last argument may be a local path)"
        )));
    }
    if dest.as_os_str() == "-" {
        return get_stdout(sessions, urls, login).await;
    }
    let into_dir = dest.is_dir() || urls.len() > 1;
    let options = transfer_options(t, login);
    let bars = Bars::new(login.quiet);
    let start = now();
    let mut total = Stats::default();
    let mut failures = Failures::default();
    for u in urls {
        let url = parse_url(u)?;
        let vol = sessions.volume(&url).await?;
        let target = if into_dir {
            let name = url.file_name().unwrap_or("download");
            dest.join(name)
        } else {
            dest.clone()
        };
        match transfer::download(&vol, &url.path, &target, &options, &bars).await {
            Ok(s) => add(&mut total, &s),
            Err(e) => failures.record(e, &bars)?,
        }
    }
    bars.finish();
    summary("get", &total, (now() - start).as_secs_f64(), login.quiet);
    failures.into_result(urls.len())
}

/// `get URL… -`: the files' data, one after the other, on standard output.
async fn get_stdout(sessions: &mut Sessions, urls: &[String], login: &LoginArgs) -> Result<()> {
    let bars = Bars::new(login.quiet);
    let mut out = std::io::stdout().lock();
    for u in urls {
        let url = parse_url(u)?;
        let vol = sessions.volume(&url).await?;
        transfer::download_to(
            &vol,
            ROOT_DID,
            &url.path,
            &mut out,
            login.window.max(1),
            &bars,
        )
        .await?;
    }
    bars.finish();
    Ok(())
}

async fn put(
    sessions: &mut Sessions,
    args: &[String],
    t: &TransferArgs,
    login: &LoginArgs,
) -> Result<()> {
    let Some((dst, srcs)) = args.split_last() else {
        return Err(Error::Usage("put: SRC… URL".into()));
    };
    if !is_url(dst) {
        return Err(Error::Usage(format!(
            "put: the last argument must be the afp:// destination, not `{dst}`"
        )));
    }
    let url = parse_url(dst)?;
    let vol = sessions.volume(&url).await?;
    let target_is_dir = match vol.stat(ROOT_DID, &url.path).await {
        Ok(e) => e.is_dir(),
        Err(e) if e.afp_code() == Some(ResultCode::OBJECT_NOT_FOUND) => false,
        Err(e) => return Err(e),
    };
    if srcs.len() > 1 && !target_is_dir {
        return Err(Error::Usage(format!(
            "put: with several sources the destination must be an existing directory ({} is not)",
            show(&url.path)
        )));
    }
    let options = transfer_options(t, login);
    let bars = Bars::new(login.quiet);
    let start = now();
    let mut total = Stats::default();
    let mut failures = Failures::default();
    for src in srcs {
        let local = PathBuf::from(src);
        let mut remote = url.path.clone();
        if target_is_dir {
            let Some(name) = local
                .canonicalize()
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            else {
                let e = Error::local(
                    "read",
                    local.clone(),
                    std::io::Error::from(std::io::ErrorKind::NotFound),
                );
                failures.record(e, &bars)?;
                continue;
            };
            remote.push(name);
        } else if remote.is_empty() {
            return Err(Error::Usage("put: cannot replace a volume root".into()));
        }
        match transfer::upload(&vol, &local, &remote, &options, &bars).await {
            Ok(s) => add(&mut total, &s),
            Err(e) => failures.record(e, &bars)?,
        }
    }
    bars.finish();
    summary("put", &total, (now() - start).as_secs_f64(), login.quiet);
    failures.into_result(srcs.len())
}

/// Deletes `entry` (at `path`) and, for a directory, everything below it first.
async fn remove_tree(vol: &Volume, path: &[String], entry: &Entry) -> Result<()> {
    // (did of the directory, its path, listed yet?)
    let mut stack = vec![(entry.node_id, path.to_vec(), false)];
    while let Some((did, p, listed)) = stack.pop() {
        if listed {
            vol.delete(ROOT_DID, &p).await?;
            continue;
        }
        stack.push((did, p.clone(), true));
        for child in vol.list(did, &[]).await? {
            let mut cp = p.clone();
            cp.push(child.name.clone());
            if child.is_dir() {
                stack.push((child.node_id, cp, false));
            } else {
                vol.delete(did, std::slice::from_ref(&child.name)).await?;
            }
        }
    }
    Ok(())
}

async fn rm(sessions: &mut Sessions, urls: &[String], recursive: bool) -> Result<()> {
    for u in urls {
        let url = parse_url(u)?;
        if url.path.is_empty() {
            return Err(Error::Usage(format!("rm: {url} is a volume root")));
        }
        let vol = sessions.volume(&url).await?;
        if recursive {
            let e = vol.stat(ROOT_DID, &url.path).await?;
            if e.is_dir() {
                remove_tree(&vol, &url.path, &e).await?;
                continue;
            }
        }
        vol.delete(ROOT_DID, &url.path).await?;
    }
    Ok(())
}

async fn mkdir(sessions: &mut Sessions, urls: &[String], parents: bool) -> Result<()> {
    for u in urls {
        let url = parse_url(u)?;
        if url.path.is_empty() {
            return Err(Error::Usage(format!("mkdir: {url} is a volume root")));
        }
        let vol = sessions.volume(&url).await?;
        if parents {
            for i in 1..=url.path.len() {
                transfer::ensure_dir(&vol, &url.path[..i]).await?;
            }
        } else {
            vol.create_dir(ROOT_DID, &url.path).await?;
        }
    }
    Ok(())
}

async fn mv(sessions: &mut Sessions, src: &str, dst: &str) -> Result<()> {
    let s = parse_url(src)?;
    let d = parse_url(dst)?;
    if (s.addr(), &s.volume) != (d.addr(), &d.volume) {
        return Err(Error::Usage(
            "mv: source and destination must be on the same server and volume".into(),
        ));
    }
    if s.path.is_empty() {
        return Err(Error::Usage("mv: cannot move a volume root".into()));
    }
    let vol = sessions.volume(&s).await?;
    let dst_is_dir = match vol.stat(ROOT_DID, &d.path).await {
        Ok(e) => e.is_dir(),
        Err(e) if e.afp_code() == Some(ResultCode::OBJECT_NOT_FOUND) => false,
        Err(e) => return Err(e),
    };
    if dst_is_dir {
        vol.move_and_rename(&s.path, &d.path, None).await
    } else {
        let Some((name, parent)) = d.path.split_last() else {
            return Err(Error::Usage("mv: bad destination".into()));
        };
        vol.move_and_rename(&s.path, parent, Some(name)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("1k"), Ok(1024));
        assert_eq!(parse_size("77"), Ok(77));
        assert!(parse_size("1x").is_err());
    }

    #[test]
    fn cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
