//! `afclient`: back up, list, restore, label, and send server messages.

use std::path::PathBuf;

use afserver::client::{BackupOptions, Connection};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "afclient",
    version,
    about = "Client of the afserver tape server"
)]
struct Args {
    /// Server: HOST:PORT, exec:COMMAND (e.g. `exec:ssh tapehost afserver`), or local:CONFIG.
    #[arg(short, long, env = "AFSERVER", default_value = "localhost:2988")]
    server: String,
    /// No progress bars.
    #[arg(short, long)]
    quiet: bool,
    /// Send a server message and exit (afbackup's `afclient -M`): `readonly N`, `writable N`, `status`.
    #[arg(short = 'M', value_name = "MESSAGE")]
    message: Option<String>,
    #[command(subcommand)]
    cmd: Option<Cmd>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Back up a directory tree.
    Backup {
        /// The directory.
        dir: PathBuf,
        /// Client name in the tape header.
        #[arg(long)]
        host: Option<String>,
        /// Disk name in the tape header (default: the directory's absolute path).
        #[arg(long)]
        disk: Option<String>,
        /// Dump level.
        #[arg(long, default_value_t = 0)]
        level: u8,
        /// Compress with zstd.
        #[arg(long)]
        zstd: bool,
    },
    /// List the backups and what is on which cartridge.
    List,
    /// Restore a backup, or selected files of it.
    Restore {
        /// Backup id (see `list`).
        id: u64,
        /// Where to put the files.
        #[arg(long, default_value = ".")]
        to: PathBuf,
        /// Only these paths (relative to the backed-up directory).
        files: Vec<String>,
    },
    /// Label a cartridge (like amlabel); refuses to overwrite a labelled one without --force.
    Label {
        /// Cartridge number.
        cart: u32,
        /// Label (default: the server's prefix and the number); must match the server's pattern.
        label: Option<String>,
        /// Overwrite an existing label and everything on the cartridge.
        #[arg(long)]
        force: bool,
    },
    /// Send a server message: `readonly N`, `writable N`, `status`.
    Message {
        /// The message words.
        words: Vec<String>,
    },
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "localhost".into())
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut conn = Connection::connect(&args.server)?;
    let progress = !args.quiet;
    let cmd = match (args.message, args.cmd) {
        (Some(m), _) => Cmd::Message { words: vec![m] },
        (None, Some(c)) => c,
        (None, None) => anyhow::bail!("nothing to do: give a command or -M MESSAGE (see --help)"),
    };
    let mut failed = false;
    match cmd {
        Cmd::Backup {
            dir,
            host,
            disk,
            level,
            zstd,
        } => {
            let opts = BackupOptions {
                host: host.unwrap_or_else(hostname),
                disk,
                level,
                zstd,
                progress,
            };
            let (id, bytes, parts) = conn.backup(&dir, &opts)?;
            let where_: Vec<String> = parts.iter().map(|(c, f)| format!("{c}.{f}")).collect();
            println!(
                "backup {id}: {bytes} bytes on cartridge.file {}",
                where_.join(" ")
            );
        }
        Cmd::List => {
            let (entries, carts) = conn.list()?;
            println!(
                "{:>4}  {:<14}  {:<20}  {:>3}  {:>4}  {:>14}  cartridge.file",
                "id", "date", "host:disk", "lev", "comp", "bytes"
            );
            for e in entries {
                let parts: Vec<String> = e.parts.iter().map(|(c, f)| format!("{c}.{f}")).collect();
                println!(
                    "{:>4}  {:<14}  {:<20}  {:>3}  {:>4}  {:>14}  {}",
                    e.id,
                    e.datestamp,
                    format!("{}:{}", e.host, e.disk),
                    e.level,
                    e.compression,
                    e.bytes,
                    parts.join(" ")
                );
            }
            print!("{carts}");
        }
        Cmd::Restore { id, to, files } => {
            let r = conn.restore(id, &to, &files, progress)?;
            println!(
                "restored {} entries of backup {id} into {}",
                r.extracted,
                to.display()
            );
            for (c, f, b, off, len) in &r.damage {
                println!(
                    "damaged: cartridge {c}, file {f}, block {b}: {len} bytes at stream offset {off} replaced by zeros"
                );
            }
            for (p, why) in &r.skipped {
                println!("skipped {p}: {why}");
            }
            if let Some(e) = &r.error {
                println!("restore stopped early: {e}");
                failed = true;
            }
            failed |= !r.skipped.is_empty();
        }
        Cmd::Label { cart, label, force } => println!(
            "{}",
            conn.label(cart, label.as_deref().unwrap_or(""), force)?
        ),
        Cmd::Message { words } => print!("{}", {
            let mut t = conn.message(&words.join(" "))?;
            if !t.ends_with('\n') {
                t.push('\n');
            }
            t
        }),
    }
    conn.quit()?;
    if failed {
        std::process::exit(2);
    }
    Ok(())
}
