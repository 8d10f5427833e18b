//! One-shot browsing and resolving (RFC 6762 §5.1): queries from an ephemeral port, so
//! responders answer with legacy unicast replies straight to us (RFC 6762 §6.7). IPv4 only.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use bytes::BytesMut;
use mdns_records::dnssd;
use mdns_records::{Message, Name, Question, RData, Record, RecordType, Txt};
use socket2::SockRef;
use tokio::net::UdpSocket;

use crate::iface::Interface;

/// A service instance seen on the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Interface it was seen on.
    pub interface: String,
    /// Instance label, e.g. `zf`.
    pub instance: String,
    /// Full instance name.
    pub name: Name,
    /// SRV target.
    pub host: Option<Name>,
    /// SRV port.
    pub port: Option<u16>,
    /// TXT data.
    pub txt: Option<Txt>,
    /// Addresses of the target.
    pub addresses: Vec<IpAddr>,
}

/// Sends `questions` on the interface and gathers every record received within `wait`.
async fn ask(
    iface: &Interface,
    questions: Vec<Question>,
    wait: Duration,
) -> io::Result<Vec<Record>> {
    let Some((addr, _)) = iface.v4.first() else {
        return Ok(Vec::new());
    };
    let sock = UdpSocket::bind(SocketAddr::from((*addr, 0))).await?;
    SockRef::from(&sock).set_multicast_if_v4(addr)?;
    let mut q = Message::query();
    q.questions = questions;
    let mut out = BytesMut::new();
    q.encode(&mut out);
    sock.send_to(&out, mdns_records::Family::V4.group()).await?;
    let mut records = Vec::new();
    let mut buf = vec![0u8; 9000];
    let deadline = tokio::time::Instant::now() + wait;
    while let Ok(r) = tokio::time::timeout_at(deadline, sock.recv_from(&mut buf)).await {
        let (n, _) = r?;
        if let Ok(m) = Message::decode_slice(&buf[..n])
            && m.flags.is_response()
        {
            records.extend(m.answers.into_iter().chain(m.additionals));
        }
    }
    Ok(records)
}

fn fill(found: &mut Found, records: &[Record]) {
    for r in records.iter().filter(|r| r.ttl > 0) {
        if r.name.eq_ignore_ascii_case(&found.name) {
            match &r.data {
                RData::Srv(s) => {
                    found.host = Some(s.target.clone());
                    found.port = Some(s.port);
                }
                RData::Txt(t) => found.txt = Some(t.clone()),
                _ => {}
            }
        }
    }
    if let Some(host) = &found.host {
        for r in records
            .iter()
            .filter(|r| r.ttl > 0 && r.name.eq_ignore_ascii_case(host))
        {
            let a = match r.data {
                RData::A(a) => IpAddr::V4(a),
                RData::Aaaa(a) => IpAddr::V6(a),
                _ => continue,
            };
            if !found.addresses.contains(&a) {
                found.addresses.push(a);
            }
        }
    }
}

fn service_type_name(service_type: &str) -> io::Result<Name> {
    dnssd::Service::new("x", service_type, 0)
        .map(|s| s.service_type().clone())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))
}

async fn complete(
    iface: &Interface,
    mut found: Found,
    records: &mut Vec<Record>,
    wait: Duration,
) -> io::Result<Found> {
    fill(&mut found, records);
    if found.host.is_none() || found.txt.is_none() {
        let qs = vec![
            Question::new(found.name.clone(), RecordType::SRV),
            Question::new(found.name.clone(), RecordType::TXT),
        ];
        records.extend(ask(iface, qs, wait).await?);
        fill(&mut found, records);
    }
    if let (Some(host), true) = (found.host.clone(), found.addresses.is_empty()) {
        records.extend(ask(iface, vec![Question::new(host, RecordType::A)], wait).await?);
        fill(&mut found, records);
    }
    Ok(found)
}

/// Browses `service_type` (e.g. `_afpovertcp._tcp`) on every interface for `wait`, then
/// resolves each instance found.
pub async fn browse(
    service_type: &str,
    interfaces: &[Interface],
    wait: Duration,
) -> io::Result<Vec<Found>> {
    let type_name = service_type_name(service_type)?;
    let mut out = Vec::new();
    for iface in interfaces {
        let mut records = ask(
            iface,
            vec![Question::new(type_name.clone(), RecordType::PTR)],
            wait,
        )
        .await?;
        let mut instances: Vec<Name> = Vec::new();
        for r in &records {
            if let RData::Ptr(p) = &r.data
                && r.ttl > 0
                && r.name.eq_ignore_ascii_case(&type_name)
                && !instances.contains(p)
            {
                instances.push(p.clone());
            }
        }
        for name in instances {
            let instance =
                String::from_utf8_lossy(name.first_label().unwrap_or_default()).into_owned();
            let found = Found {
                interface: iface.name.clone(),
                instance,
                name,
                host: None,
                port: None,
                txt: None,
                addresses: Vec::new(),
            };
            out.push(complete(iface, found, &mut records, wait).await?);
        }
    }
    Ok(out)
}

/// Resolves one instance (`zf`, `_afpovertcp._tcp`) on the first interface that answers.
pub async fn resolve(
    instance: &str,
    service_type: &str,
    interfaces: &[Interface],
    wait: Duration,
) -> io::Result<Option<Found>> {
    let type_name = service_type_name(service_type)?;
    let name = type_name
        .prepend(instance.as_bytes())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    for iface in interfaces {
        let found = Found {
            interface: iface.name.clone(),
            instance: instance.to_owned(),
            name: name.clone(),
            host: None,
            port: None,
            txt: None,
            addresses: Vec::new(),
        };
        let found = complete(iface, found, &mut Vec::new(), wait).await?;
        if found.port.is_some() {
            return Ok(Some(found));
        }
    }
    Ok(None)
}
