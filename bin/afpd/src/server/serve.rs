//! Listeners, signals and the server's life: [`serve`] runs until SIGTERM or SIGINT.
//!
//! * One TCP listener per `afp listen` address (all addresses when none is given: `[::]`,
//!   dual-stack, falling back to `0.0.0.0`), port `afp port` (548).
//! * Bonjour ([`super::zeroconf`]): published once listening, updated on reload, withdrawn
//!   at shutdown.
//! * SIGHUP: afp.conf is loaded again; a valid file becomes the configuration of new
//!   sessions (running sessions keep theirs); an invalid one is logged and ignored.
//!   Listen addresses are not changed by a reload.
//! * SIGTERM / SIGINT: every connected client gets DSIAttention 0x8000 (server shutting
//!   down), in-flight requests get a few seconds, then DSICloseSession; session threads
//!   close their forks and volumes; the volume registry (and with it every CNID store) is
//!   dropped; `serve` returns and the process exits 0.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::signal::unix::{SignalKind, signal};

use super::registry::NetControl;
use super::zeroconf::Zeroconf;
use super::{Runtime, ServerCtx};
use crate::config::{Config, LoadOptions};

/// How long shutdown waits for connections and session threads to end.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(15);

/// The addresses to listen on for `config`.
pub fn listen_addrs(config: &Config) -> Vec<SocketAddr> {
    if config.global.afp_listen.is_empty() {
        vec![SocketAddr::from((
            Ipv6Addr::UNSPECIFIED,
            config.global.afp_port,
        ))]
    } else {
        config.global.afp_listen.clone()
    }
}

/// Binds every listening address. A wildcard IPv6 address that cannot be bound (IPv6
/// disabled) falls back to the IPv4 wildcard.
pub async fn bind(addrs: &[SocketAddr]) -> std::io::Result<Vec<TcpListener>> {
    let mut out = Vec::new();
    for addr in addrs {
        match TcpListener::bind(addr).await {
            Ok(l) => out.push(l),
            Err(e) if addr.ip() == Ipv6Addr::UNSPECIFIED => {
                let v4 = SocketAddr::from((Ipv4Addr::UNSPECIFIED, addr.port()));
                tracing::debug!(target: "afpd", "cannot bind {addr} ({e}); trying {v4}");
                out.push(TcpListener::bind(v4).await.map_err(|e| {
                    std::io::Error::new(e.kind(), format!("cannot listen on {v4}: {e}"))
                })?);
            }
            Err(e) => {
                return Err(std::io::Error::new(
                    e.kind(),
                    format!("cannot listen on {addr}: {e}"),
                ));
            }
        }
    }
    Ok(out)
}

/// Runs the server on `listeners` until SIGTERM/SIGINT, advertising it with Bonjour when
/// `zeroconf = yes`. `signature` is what the status block of a reloaded configuration
/// uses.
pub async fn serve(
    ctx: Arc<ServerCtx>,
    listeners: Vec<TcpListener>,
    signature: [u8; 16],
) -> std::io::Result<()> {
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut sighup = signal(SignalKind::hangup())?;

    let bound: Vec<SocketAddr> = listeners
        .iter()
        .filter_map(|l| l.local_addr().ok())
        .collect();
    let mut accept_tasks = Vec::new();
    for l in listeners {
        let addr = l.local_addr()?;
        tracing::info!(target: "afpd", "listening on {addr}");
        let ctx = ctx.clone();
        accept_tasks.push(tokio::spawn(async move {
            loop {
                match l.accept().await {
                    Ok((sock, peer)) => {
                        tokio::spawn(super::conn::run(ctx.clone(), sock, peer));
                    }
                    Err(e) => {
                        // EMFILE and friends: back off instead of spinning.
                        tracing::warn!(target: "afpd", "accept on {addr} failed: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        }));
    }
    let port = bound
        .first()
        .map_or(ctx.runtime().config.global.afp_port, SocketAddr::port);
    let mut zeroconf = Zeroconf::start(&ctx.runtime().config, &ctx.state, port).await;

    loop {
        tokio::select! {
            _ = sigterm.recv() => { tracing::info!(target: "afpd", "SIGTERM: shutting down"); break; }
            _ = sigint.recv() => { tracing::info!(target: "afpd", "SIGINT: shutting down"); break; }
            _ = sighup.recv() => {
                if reload(&ctx, &bound, signature) {
                    zeroconf.update(&ctx.runtime().config, &ctx.state).await;
                }
            }
        }
    }

    // Shutdown.
    ctx.begin_shutdown();
    zeroconf.shutdown().await;
    for t in &accept_tasks {
        t.abort();
    }
    ctx.sessions.broadcast(NetControl::Shutdown);
    let waited = tokio::time::timeout(SHUTDOWN_WAIT, async {
        while ctx.sessions.open_count() > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    if waited.is_err() {
        tracing::warn!(target: "afpd", open = ctx.sessions.open_count(), "connections still open at shutdown");
    }
    ctx.sessions.end_all();
    let ctx2 = ctx.clone();
    let threads_done =
        tokio::task::spawn_blocking(move || ctx2.sessions.wait_threads(SHUTDOWN_WAIT))
            .await
            .unwrap_or(false);
    if !threads_done {
        tracing::warn!(target: "afpd", threads = ctx.sessions.thread_count(), "session threads still busy at shutdown");
    }
    tracing::info!(target: "afpd", "server stopped");
    Ok(())
}

/// SIGHUP: loads afp.conf again. True if the new configuration was installed.
pub fn reload(ctx: &ServerCtx, bound: &[SocketAddr], signature: [u8; 16]) -> bool {
    let path = &ctx.config_path;
    let loaded = match Config::load(path, &LoadOptions::new(ctx.state.path())) {
        Ok(l) => l,
        Err(err) => {
            for d in &err.diagnostics {
                tracing::error!(target: "afpd", "{d}");
            }
            tracing::error!(target: "afpd", "SIGHUP: {} has errors; keeping the running configuration", path.display());
            return false;
        }
    };
    for w in &loaded.warnings {
        tracing::warn!(target: "afpd", "{w}");
    }
    let config = loaded.config;
    let old = ctx.runtime();
    if listen_addrs(&config) != listen_addrs(&old.config) {
        tracing::warn!(target: "afpd", "SIGHUP: `afp listen` / `afp port` changes need a restart; still listening on the old addresses");
    }
    let signature = match &config.global.signature {
        Some(_) => ctx.state.signature_for(&config).unwrap_or(signature),
        None => signature,
    };
    match Runtime::new(config, &ctx.privilege, bound, signature) {
        Ok(rt) => {
            let vols = rt.config.volumes.len();
            ctx.set_runtime(rt);
            tracing::info!(target: "afpd", volumes = vols, "SIGHUP: configuration reloaded for new sessions");
            true
        }
        Err(e) => {
            tracing::error!(target: "afpd", "SIGHUP: {e}; keeping the running configuration");
            false
        }
    }
}
