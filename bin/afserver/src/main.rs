//! `afserver`: the tape server.
//!
//! Modes (afserver(8) runs under inetd on stdin/stdout):
//! - default / `--stdio`: serve one connection on stdin/stdout (inetd, xinetd, systemd
//!   `Accept=yes`, or `ssh host afserver CONFIG` for an encrypted transport);
//! - systemd socket activation with `Accept=no` (`LISTEN_FDS=1`, fd 3 a listening socket):
//!   accept connections, one thread each;
//! - `--listen ADDR`: standalone TCP server, one thread per connection.

use std::io::Write;
use std::net::TcpListener;
use std::os::fd::FromRawFd;
use std::path::PathBuf;
use std::sync::Arc;

use afserver::config::Config;
use afserver::server::Server;
use anyhow::Context;
use clap::Parser;

#[derive(Parser)]
#[command(
    name = "afserver",
    version,
    about = "Tape server: Amanda-compatible tapes, afbackup state files"
)]
struct Args {
    /// Configuration file (afserver.conf).
    #[arg(default_value = "/etc/afbackup/server.conf")]
    config: PathBuf,
    /// Serve one connection on stdin/stdout (the default unless --listen or socket activation).
    #[arg(long)]
    stdio: bool,
    /// Listen on this TCP address (e.g. 0.0.0.0:2988); prints the bound address.
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// Accepted for afbackup compatibility (buffering is always on).
    #[arg(short = 'b')]
    no_buffering: bool,
    /// Accepted for afbackup compatibility.
    #[arg(short = 'L', value_name = "LOCALE")]
    locale: Option<String>,
}

fn accept_loop(listener: TcpListener, server: Arc<Server>) -> anyhow::Result<()> {
    for conn in listener.incoming() {
        let conn = match conn {
            Ok(c) => c,
            Err(e) => {
                eprintln!("afserver: accept: {e}");
                continue;
            }
        };
        let server = server.clone();
        std::thread::spawn(move || {
            let peer = conn.peer_addr().map(|a| a.to_string()).unwrap_or_default();
            let _ = conn.set_nodelay(true);
            let r = conn
                .try_clone()
                .map_err(anyhow::Error::from)
                .and_then(|rd| server.serve(rd, conn));
            if let Err(e) = r {
                eprintln!("afserver: session with {peer}: {e:#}");
            }
        });
    }
    Ok(())
}

/// The listening or connected socket handed over by systemd, if any.
fn systemd_socket() -> Option<i32> {
    let pid: u32 = std::env::var("LISTEN_PID").ok()?.parse().ok()?;
    let fds: u32 = std::env::var("LISTEN_FDS").ok()?.parse().ok()?;
    (pid == std::process::id() && fds >= 1).then_some(3)
}

fn is_listening(fd: i32) -> bool {
    let mut v: libc::c_int = 0;
    let mut len = size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into `v`, a valid c_int we own.
    let r = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ACCEPTCONN,
            (&mut v as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    r == 0 && v != 0
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let _ = (args.no_buffering, &args.locale);
    let cfg = Config::load(&args.config)?;
    let server = Arc::new(Server::new(cfg));
    if let Some(addr) = &args.listen {
        let listener = TcpListener::bind(addr).with_context(|| format!("binding {addr}"))?;
        let mut out = std::io::stdout();
        writeln!(out, "listening on {}", listener.local_addr()?)?;
        out.flush()?;
        return accept_loop(listener, server);
    }
    if !args.stdio
        && let Some(fd) = systemd_socket()
    {
        if is_listening(fd) {
            // SAFETY: systemd passed fd 3 to this process (LISTEN_PID matched); we take
            // ownership of it exactly once.
            let listener = unsafe { TcpListener::from_raw_fd(fd) };
            return accept_loop(listener, server);
        }
        // SAFETY: as above; a connected socket (Accept=yes).
        let conn = unsafe { std::net::TcpStream::from_raw_fd(fd) };
        return server.serve(conn.try_clone()?, conn);
    }
    server.serve(std::io::stdin().lock(), std::io::stdout().lock())
}
