//! The built-in responder: one tokio task that owns UDP port 5353 (IPv4 and IPv6) and
//! drives one [`mdns_records::Responder`] per interface.

use std::hash::{BuildHasher, Hasher};
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::time::Instant;

use mdns_records::dnssd::Service;
use mdns_records::responder::{MDNS_IPV4, MDNS_IPV6, MDNS_PORT};
use mdns_records::{Config, Destination, Event, Family, Responder, Transmit};
use socket2::{Domain, Protocol, SockRef, Socket, Type};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::iface::Interface;

/// The single clock seam of the crate.
#[allow(clippy::disallowed_methods)]
pub(crate) fn now() -> Instant {
    Instant::now()
}

/// A random seed without reading the clock: std's per-process random hasher keys.
pub(crate) fn seed() -> u64 {
    let mut h = std::hash::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    h.finish()
}

/// How often interface addresses are re-read.
const RESCAN: std::time::Duration = std::time::Duration::from_secs(30);

pub(crate) enum Command {
    Update(Vec<Service>, oneshot::Sender<()>),
    Shutdown(oneshot::Sender<()>),
}

/// Handle to the running task.
pub(crate) struct Builtin {
    commands: mpsc::Sender<Command>,
    task: JoinHandle<io::Result<()>>,
}

impl Builtin {
    /// `names` are the configured interface names (empty = all), re-read every
    /// [`RESCAN`] to follow address changes on the interfaces already in use.
    pub(crate) fn start(
        names: Vec<String>,
        interfaces: Vec<Interface>,
        host: String,
        services: Vec<Service>,
    ) -> io::Result<Self> {
        if interfaces.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                "no interface to advertise on",
            ));
        }
        let v4 = open_v4(&interfaces)?;
        let v6 = open_v6(&interfaces)?;
        let (commands, rx) = mpsc::channel(8);
        let task = tokio::spawn(run(names, interfaces, v4, v6, host, services, rx));
        Ok(Builtin { commands, task })
    }

    pub(crate) async fn update(&self, services: Vec<Service>) -> io::Result<()> {
        let (ack, done) = oneshot::channel();
        self.commands
            .send(Command::Update(services, ack))
            .await
            .map_err(|_| io::Error::other("responder task ended"))?;
        done.await
            .map_err(|_| io::Error::other("responder task ended"))
    }

    pub(crate) async fn shutdown(self) -> io::Result<()> {
        let (ack, done) = oneshot::channel();
        if self.commands.send(Command::Shutdown(ack)).await.is_ok() {
            let _ = done.await;
        }
        self.task.await.map_err(io::Error::other)?
    }
}

fn mdns_socket(domain: Domain) -> io::Result<Socket> {
    let s = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))?;
    // RFC 6762 §15: several responders may share port 5353 on one host.
    s.set_reuse_address(true)?;
    s.set_reuse_port(true)?;
    s.set_nonblocking(true)?;
    Ok(s)
}

fn open_v4(interfaces: &[Interface]) -> io::Result<Option<UdpSocket>> {
    if interfaces.iter().all(|i| i.v4.is_empty()) {
        return Ok(None);
    }
    let s = mdns_socket(Domain::IPV4)?;
    s.bind(&SocketAddr::from((Ipv4Addr::UNSPECIFIED, MDNS_PORT)).into())?;
    // RFC 6762 §11: send with IP TTL 255.
    s.set_multicast_ttl_v4(255)?;
    s.set_ttl_v4(255)?;
    s.set_multicast_loop_v4(true)?;
    for i in interfaces {
        if let Some((addr, _)) = i.v4.first() {
            s.join_multicast_v4(&MDNS_IPV4, addr)?;
        }
    }
    Ok(Some(UdpSocket::from_std(s.into())?))
}

fn open_v6(interfaces: &[Interface]) -> io::Result<Option<UdpSocket>> {
    let with_v6: Vec<&Interface> = interfaces.iter().filter(|i| !i.v6.is_empty()).collect();
    if with_v6.is_empty() {
        return Ok(None);
    }
    let s = mdns_socket(Domain::IPV6)?;
    s.set_only_v6(true)?;
    s.bind(&SocketAddr::from((Ipv6Addr::UNSPECIFIED, MDNS_PORT)).into())?;
    s.set_multicast_hops_v6(255)?;
    s.set_unicast_hops_v6(255)?;
    s.set_multicast_loop_v6(true)?;
    for i in with_v6 {
        s.join_multicast_v6(&MDNS_IPV6, i.index)?;
    }
    Ok(Some(UdpSocket::from_std(s.into())?))
}

async fn recv(sock: &Option<UdpSocket>, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
    match sock {
        Some(s) => s.recv_from(buf).await,
        None => std::future::pending().await,
    }
}

struct Driver {
    interfaces: Vec<Interface>,
    responders: Vec<Responder>,
    v4: Option<UdpSocket>,
    v6: Option<UdpSocket>,
}

impl Driver {
    async fn flush(&mut self) {
        for i in 0..self.responders.len() {
            while let Some(t) = self.responders[i].poll_transmit() {
                if let Err(e) = self.send(i, &t).await {
                    tracing::warn!(interface = %self.interfaces[i].name, "send failed: {e}");
                }
            }
            while let Some(e) = self.responders[i].poll_event() {
                let iface = &self.interfaces[i].name;
                match e {
                    Event::Established(name) => tracing::info!(%iface, "established {name}"),
                    Event::Renamed { old, new } => {
                        tracing::warn!(%iface, "name conflict: {old} renamed to {new}")
                    }
                }
            }
        }
    }

    async fn send(&self, i: usize, t: &Transmit) -> io::Result<()> {
        let iface = &self.interfaces[i];
        match t.destination {
            Destination::Multicast(Family::V4) => {
                let (Some(s), Some((addr, _))) = (&self.v4, iface.v4.first()) else {
                    return Ok(());
                };
                SockRef::from(s).set_multicast_if_v4(addr)?;
                s.send_to(&t.payload, Family::V4.group()).await?;
            }
            Destination::Multicast(Family::V6) => {
                let Some(s) = &self.v6 else { return Ok(()) };
                if iface.v6.is_empty() {
                    return Ok(());
                }
                SockRef::from(s).set_multicast_if_v6(iface.index)?;
                let group = SocketAddrV6::new(MDNS_IPV6, MDNS_PORT, 0, iface.index);
                s.send_to(&t.payload, SocketAddr::V6(group)).await?;
            }
            Destination::Unicast(to) => {
                let sock = match to {
                    SocketAddr::V4(_) => &self.v4,
                    SocketAddr::V6(_) => &self.v6,
                };
                if let Some(s) = sock {
                    s.send_to(&t.payload, to).await?;
                }
            }
        }
        Ok(())
    }

    /// Follows address changes (DHCP renewals, IPv6 addresses appearing after DAD) on the
    /// interfaces in use: goodbyes for lost addresses, announcements for the new set.
    /// Interfaces that appear later need a restart (or an afpd reload).
    fn rescan(&mut self, names: &[String]) {
        let Ok(fresh) = crate::iface::select(names) else {
            return;
        };
        let now = now();
        for (i, iface) in self.interfaces.iter_mut().enumerate() {
            if let Some(f) = fresh.iter().find(|f| f.name == iface.name)
                && (f.v4 != iface.v4 || f.v6 != iface.v6)
            {
                tracing::info!(interface = %iface.name, "addresses changed: {:?}", f.addresses());
                iface.v4.clone_from(&f.v4);
                iface.v6.clone_from(&f.v6);
                self.responders[i].set_addresses(now, iface.addresses());
            }
        }
    }

    fn handle(&mut self, n: usize, from: SocketAddr, buf: &[u8]) {
        let now = now();
        for (i, iface) in self.interfaces.iter().enumerate() {
            if iface.is_on_link(&from) {
                if let Err(e) = self.responders[i].handle_packet(now, from, &buf[..n]) {
                    tracing::debug!(%from, "undecodable packet: {e}");
                }
                return;
            }
        }
        tracing::trace!(%from, "ignored off-link packet");
    }
}

async fn run(
    names: Vec<String>,
    interfaces: Vec<Interface>,
    v4: Option<UdpSocket>,
    v6: Option<UdpSocket>,
    host: String,
    services: Vec<Service>,
    mut commands: mpsc::Receiver<Command>,
) -> io::Result<()> {
    let start = now();
    let responders = interfaces
        .iter()
        .map(|i| {
            Responder::new(
                Config::new(&host, i.addresses(), services.clone()),
                start,
                seed(),
            )
        })
        .collect();
    let mut d = Driver {
        interfaces,
        responders,
        v4,
        v6,
    };
    let mut buf4 = vec![0u8; 9000];
    let mut buf6 = vec![0u8; 9000];
    let mut rescan = tokio::time::interval(RESCAN);
    rescan.tick().await;
    loop {
        d.flush().await;
        let deadline = d
            .responders
            .iter()
            .filter_map(Responder::poll_timeout)
            .min();
        let timer = async {
            match deadline {
                Some(t) => tokio::time::sleep_until(t.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            r = recv(&d.v4, &mut buf4) => {
                let (n, from) = r?;
                d.handle(n, from, &buf4);
            }
            r = recv(&d.v6, &mut buf6) => {
                let (n, from) = r?;
                d.handle(n, from, &buf6);
            }
            () = timer => {
                let now = now();
                for r in &mut d.responders {
                    if r.poll_timeout().is_some_and(|t| t <= now) {
                        r.handle_timeout(now);
                    }
                }
            }
            _ = rescan.tick() => d.rescan(&names),
            cmd = commands.recv() => {
                let now = now();
                match cmd {
                    Some(Command::Update(services, ack)) => {
                        for r in &mut d.responders {
                            r.set_services(now, services.clone());
                        }
                        let _ = ack.send(());
                    }
                    Some(Command::Shutdown(ack)) => {
                        for r in &mut d.responders {
                            r.shutdown(now);
                        }
                        d.flush().await;
                        let _ = ack.send(());
                        return Ok(());
                    }
                    None => {
                        for r in &mut d.responders {
                            r.shutdown(now);
                        }
                        d.flush().await;
                        return Ok(());
                    }
                }
            }
        }
    }
}
