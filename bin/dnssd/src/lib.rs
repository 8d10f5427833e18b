//! DNS-SD advertisement for afpd and the `dnssd` tool: register services through a
//! running avahi-daemon (its D-Bus API, as netatalk does) or, when none owns
//! `org.freedesktop.Avahi` on the system bus, with the built-in multicast DNS responder
//! (`mdns_records::Responder` on UDP 5353, 224.0.0.251 / ff02::fb, per interface).
//!
//! afpd's use:
//!
//! ```no_run
//! # async fn afpd() -> Result<(), dnssd::Error> {
//! use dnssd::{AdvertiseConfig, Advertiser, AfpServer, TimeMachineVolume};
//!
//! let server = AfpServer {
//!     instance_name: "zf".into(),
//!     port: 548,
//!     model: None, // "Xserve"
//!     tm_volumes: vec![TimeMachineVolume { name: "time_mach".into(), uuid: [0x0b; 16] }],
//! };
//! let adv = Advertiser::start(AdvertiseConfig::afp(&server)?).await?;
//! // SIGHUP: configuration re-read
//! adv.update(server.services()?).await?;
//! // shutdown: goodbyes (TTL 0) or avahi's withdrawal
//! adv.shutdown().await?;
//! # Ok(()) }
//! ```
//!
//! Spec: `shared/spec/dns-sd.md` §4 (Apple records), §2 (responder), §8 (avahi).

pub mod iface;
pub mod query;

mod avahi;
mod builtin;

pub use iface::Interface;
pub use mdns_records::dnssd::Service;
pub use mdns_records::dnssd::apple::TimeMachineVolume;

use mdns_records::dnssd::apple;

/// Why advertising failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A name or TXT value could not be encoded.
    #[error("bad service definition: {0}")]
    Service(String),
    /// Sockets or interfaces.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The avahi D-Bus API.
    #[error("avahi over D-Bus: {0}")]
    Avahi(#[from] zbus::Error),
    /// `Backend::Avahi` was asked for but no avahi-daemon owns `org.freedesktop.Avahi`.
    #[error("no avahi-daemon on the system bus")]
    NoAvahi,
}

/// The services an AFP server publishes (netatalk's `zeroconf = yes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AfpServer {
    /// Instance name shared by all three services (the server name), UTF-8, cut to 63 bytes.
    pub instance_name: String,
    /// The AFP TCP port.
    pub port: u16,
    /// `mimic model`; `None` publishes the default `Xserve`.
    pub model: Option<String>,
    /// Volumes with `time machine = yes`; `_adisk._tcp` is published only if non-empty.
    pub tm_volumes: Vec<TimeMachineVolume>,
}

impl AfpServer {
    /// `_afpovertcp._tcp`, `_device-info._tcp` and (with Time Machine volumes) `_adisk._tcp`.
    pub fn services(&self) -> Result<Vec<Service>, Error> {
        let bad = |e: &dyn std::fmt::Display| Error::Service(e.to_string());
        let mut out = vec![
            apple::afp_server(&self.instance_name, self.port).map_err(|e| bad(&e))?,
            apple::device_info(&self.instance_name, self.model.as_deref()).map_err(|e| bad(&e))?,
        ];
        if !self.tm_volumes.is_empty() {
            out.push(apple::adisk(&self.instance_name, &self.tm_volumes).map_err(|e| bad(&e))?);
        }
        Ok(out)
    }
}

/// Which implementation publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Backend {
    /// avahi when it owns `org.freedesktop.Avahi` on the system bus, else built-in.
    #[default]
    Auto,
    /// avahi-daemon over D-Bus only.
    Avahi,
    /// The built-in responder only (never talks to D-Bus).
    Builtin,
}

/// What to advertise and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvertiseConfig {
    /// The service instances.
    pub services: Vec<Service>,
    /// Host label for the built-in responder's A/AAAA records (`zf` → `zf.local.`);
    /// `None` uses the system host name. avahi always uses its own host name.
    pub host_name: Option<String>,
    /// Interface names; empty means every interface that is up and not loopback.
    pub interfaces: Vec<String>,
    /// Which implementation to use.
    pub backend: Backend,
}

impl AdvertiseConfig {
    /// The AFP server's services on every interface, backend chosen automatically.
    pub fn afp(server: &AfpServer) -> Result<Self, Error> {
        Ok(AdvertiseConfig {
            services: server.services()?,
            host_name: None,
            interfaces: Vec::new(),
            backend: Backend::Auto,
        })
    }
}

/// The system host name's first label (from `/proc/sys/kernel/hostname`), or `localhost`.
pub fn system_host_label() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .and_then(|h| h.trim().split('.').next().map(str::to_owned))
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

enum Inner {
    Builtin(builtin::Builtin),
    Avahi(avahi::Avahi),
}

/// A running advertisement. Dropping it without [`Advertiser::shutdown`] stops the
/// built-in responder without goodbyes; call `shutdown` on a clean exit.
pub struct Advertiser {
    inner: Inner,
}

/// Which implementation an [`Advertiser`] ended up using.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    /// avahi-daemon over D-Bus.
    Avahi,
    /// The built-in responder.
    Builtin,
}

impl Advertiser {
    /// Starts advertising. Must run inside a tokio runtime.
    pub async fn start(config: AdvertiseConfig) -> Result<Advertiser, Error> {
        if config.backend != Backend::Builtin {
            match avahi::connect_if_running().await {
                Some(conn) => {
                    tracing::info!("registering through avahi-daemon");
                    let a = avahi::Avahi::start(conn, config.services, &config.interfaces).await?;
                    return Ok(Advertiser {
                        inner: Inner::Avahi(a),
                    });
                }
                None if config.backend == Backend::Avahi => return Err(Error::NoAvahi),
                None => {}
            }
        }
        let names = config.interfaces;
        let interfaces = iface::select(&names)?;
        let host = config.host_name.unwrap_or_else(system_host_label);
        tracing::info!(
            interfaces = ?interfaces.iter().map(|i| &i.name).collect::<Vec<_>>(),
            "answering with the built-in responder as {host}.local"
        );
        let b = builtin::Builtin::start(names, interfaces, host, config.services)?;
        Ok(Advertiser {
            inner: Inner::Builtin(b),
        })
    }

    /// The implementation in use.
    pub fn backend(&self) -> BackendKind {
        match self.inner {
            Inner::Builtin(_) => BackendKind::Builtin,
            Inner::Avahi(_) => BackendKind::Avahi,
        }
    }

    /// Replaces the services (SIGHUP): withdrawn ones get goodbyes, new ones are probed
    /// and announced, changed ones re-announced.
    pub async fn update(&self, services: Vec<Service>) -> Result<(), Error> {
        match &self.inner {
            Inner::Builtin(b) => Ok(b.update(services).await?),
            Inner::Avahi(a) => Ok(a.update(services).await?),
        }
    }

    /// Withdraws everything (goodbye packets with TTL 0) and stops.
    pub async fn shutdown(self) -> Result<(), Error> {
        match self.inner {
            Inner::Builtin(b) => Ok(b.shutdown().await?),
            Inner::Avahi(a) => Ok(a.shutdown().await?),
        }
    }
}
