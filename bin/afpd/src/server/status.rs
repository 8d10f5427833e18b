//! The server status block (spec `afp-dsi.md` §3): the DSIGetStatus reply and the
//! FPGetSrvrInfo reply, built once per configuration.
//!
//! What goes in, as netatalk 3 fills it (`etc/afpd/status.c`):
//!
//! * server name: `server name` or the host name, in MacRoman, at most 31 bytes; the
//!   UTF-8 server name (decomposed) carries the full name;
//! * machine type: our product string (at most 16 bytes, [`MACHINE_TYPE`]);
//! * AFP versions: 2.2 and 3.0 to 3.4 ([`crate::features::AFP_VERSIONS`]);
//! * UAMs: `uam list` in the order written;
//! * icon: a 32×32 one-bit icon and its mask;
//! * signature: `signature` or `afp_signature.conf` ([`crate::state::StateDir::signature_for`]);
//! * network addresses: every listening address (all non-loopback interface addresses for
//!   a wildcard listener), tag 1/6 on port 548, tag 2/7 with the port otherwise (§3.1);
//! * directory names: none (count 0, no Kerberos);
//! * flags (§3.2): copy file, server messages, signature, TCP (when there are addresses),
//!   notifications, directory services, UTF-8 name, UUIDs, extended sleep, super client
//!   always; change password with `set password = yes`; don't-save-password with
//!   `save password = no`. With netatalk's defaults this is 0x8F79.

use std::net::{IpAddr, SocketAddr};

use afp_proto::status::{NetworkAddress, ServerFlags};
use afp_proto::{AfpVersion, ServerStatus};
use bytes::{Bytes, BytesMut};

use crate::config::{Config, LoginMethod};

/// The machine type in the status block (netatalk: `Netatalk3.1.12`; at most 16 bytes).
pub const MACHINE_TYPE: &str = concat!("afp-rs ", env!("CARGO_PKG_VERSION"));

/// AFP versions we speak, in the order the status block lists them (netatalk's order).
pub const VERSIONS: [AfpVersion; 6] = AfpVersion::NETATALK_DEFAULT;

/// The UAM wire name of a configured login method.
pub fn uam_of(m: LoginMethod) -> afp_proto::uam::Uam {
    use afp_proto::uam::Uam;
    match m {
        LoginMethod::Guest => Uam::NoUserAuthent,
        LoginMethod::ClearText => Uam::CleartxtPasswrd,
        LoginMethod::Dhcast128 => Uam::Dhcast128,
        LoginMethod::Dhx2 => Uam::Dhx2,
    }
}

/// The status block for `config`, served on `listen` (the bound addresses), with
/// `signature`.
pub fn build(config: &Config, listen: &[SocketAddr], signature: [u8; 16]) -> Bytes {
    status_of(config, listen, signature).to_bytes()
}

/// The decoded form of [`build`].
pub fn status_of(config: &Config, listen: &[SocketAddr], signature: [u8; 16]) -> ServerStatus {
    let g = &config.global;
    let name = config.server_name();
    let mut flags = ServerFlags::SUPPORTS_COPY_FILE
        | ServerFlags::SUPPORTS_SERVER_MESSAGES
        | ServerFlags::SERVER_SIGNATURE
        | ServerFlags::SUPPORTS_SERVER_NOTIFICATIONS
        | ServerFlags::SUPPORTS_DIRECTORY_SERVICES
        | ServerFlags::SUPPORTS_UTF8_SERVER_NAME
        | ServerFlags::SUPPORTS_UUIDS
        | ServerFlags::SUPPORTS_EXT_SLEEP
        | ServerFlags::SUPPORTS_SUPER_CLIENT;
    if g.set_password {
        flags |= ServerFlags::SUPPORTS_CHANGE_PASSWORD;
    }
    if !g.save_password {
        flags |= ServerFlags::DONT_ALLOW_SAVE_PASSWORD;
    }
    let addresses = network_addresses(listen);
    if !addresses.is_empty() {
        flags |= ServerFlags::SUPPORTS_TCP;
    }
    ServerStatus {
        flags,
        server_name: Bytes::from(legacy_name(name, 31)),
        machine_type: Bytes::from_static(&MACHINE_TYPE.as_bytes()[..MACHINE_TYPE.len().min(16)]),
        afp_versions: VERSIONS
            .iter()
            .map(|v| Bytes::from_static(v.as_str().as_bytes()))
            .collect(),
        uams: g
            .uam_list
            .iter()
            .map(|m| Bytes::from_static(uam_of(*m).wire_name().as_bytes()))
            .collect(),
        icon: Some(Bytes::from(icon())),
        signature: Some(signature),
        addresses: Some(addresses),
        directory_names: Some(Vec::new()),
        utf8_server_name: Some(Bytes::from(afp_proto::name::decompose(name).into_bytes())),
    }
}

/// `name` in MacRoman (unmappable characters become `?`), cut to `max` bytes.
fn legacy_name(name: &str, max: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(max);
    for c in name.chars() {
        if out.len() >= max {
            break;
        }
        out.push(afp_proto::name::char_to_mac_roman(c).unwrap_or(b'?'));
    }
    out
}

/// The network address list for the listening addresses.
fn network_addresses(listen: &[SocketAddr]) -> Vec<NetworkAddress> {
    let mut out = Vec::new();
    for sa in listen {
        let ips: Vec<IpAddr> = if sa.ip().is_unspecified() {
            interface_addresses(sa.is_ipv6())
        } else {
            vec![sa.ip()]
        };
        for ip in ips {
            let entry = match (ip, sa.port()) {
                (IpAddr::V4(a), 548) => NetworkAddress::Ipv4(a),
                (IpAddr::V4(a), p) => NetworkAddress::Ipv4Port(a, p),
                (IpAddr::V6(a), 548) => NetworkAddress::Ipv6(a),
                (IpAddr::V6(a), p) => NetworkAddress::Ipv6Port(a, p),
            };
            if !out.contains(&entry) {
                out.push(entry);
            }
        }
    }
    out
}

/// Non-loopback addresses of the machine's interfaces (IPv4 first; IPv6 too when the
/// wildcard listener is IPv6, which on Linux is dual-stack). Link-local IPv6 addresses are
/// left out: they need a scope a client cannot use from the status block.
fn interface_addresses(v6: bool) -> Vec<IpAddr> {
    let Ok(addrs) = nix::ifaddrs::getifaddrs() else {
        return Vec::new();
    };
    let mut v4s = Vec::new();
    let mut v6s = Vec::new();
    for ifa in addrs {
        let Some(addr) = ifa.address else { continue };
        if let Some(a) = addr.as_sockaddr_in() {
            let ip = a.ip();
            if !ip.is_loopback() && !v4s.contains(&IpAddr::V4(ip)) {
                v4s.push(IpAddr::V4(ip));
            }
        } else if let Some(a) = addr.as_sockaddr_in6() {
            let ip = a.ip();
            let link_local = (ip.segments()[0] & 0xffc0) == 0xfe80;
            if v6 && !ip.is_loopback() && !link_local && !v6s.contains(&IpAddr::V6(ip)) {
                v6s.push(IpAddr::V6(ip));
            }
        }
    }
    v4s.extend(v6s);
    v4s
}

/// A 32×32 one-bit icon (a file-server box) followed by its mask: 256 bytes.
fn icon() -> Vec<u8> {
    let mut icon = [0u32; 32];
    let mut mask = [0u32; 32];
    // A rounded box from row 4 to 27 with two drive slots.
    for (row, (i, m)) in icon.iter_mut().zip(mask.iter_mut()).enumerate() {
        match row {
            4 | 27 => {
                *i = 0x3FFF_FFFC;
                *m = 0x3FFF_FFFC;
            }
            5..=26 => {
                *i = 0x2000_0004;
                *m = 0x3FFF_FFFC;
                if row == 10 || row == 18 {
                    *i |= 0x07FF_FFE0;
                }
                if row == 12 || row == 20 {
                    *i |= 0x0000_0060;
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::with_capacity(256);
    for w in icon.iter().chain(mask.iter()) {
        out.extend_from_slice(&w.to_be_bytes());
    }
    out
}

trait ToBytes {
    fn to_bytes(&self) -> Bytes;
}

impl ToBytes for ServerStatus {
    fn to_bytes(&self) -> Bytes {
        let mut b = BytesMut::with_capacity(512);
        self.encode(&mut b);
        b.freeze()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::LoadOptions;

    fn config(text: &str) -> Config {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("afp.conf");
        std::fs::write(&path, text).unwrap();
        Config::load(&path, &LoadOptions::new(dir.path()))
            .unwrap()
            .config
    }

    #[test]
    fn netatalk_default_flags_and_lists() {
        let c = config("[Global]\nserver name = myserver\nuam list = uams_dhx.so uams_dhx2.so\n");
        let listen = ["192.168.1.10:548".parse().unwrap()];
        let s = status_of(&c, &listen, [7; 16]);
        assert_eq!(s.flags, ServerFlags::NETATALK_DEFAULT);
        assert_eq!(&s.server_name[..], b"myserver");
        let uams: Vec<&[u8]> = s.uams.iter().map(|u| &u[..]).collect();
        assert_eq!(uams, [&b"DHCAST128"[..], b"DHX2"]);
        assert_eq!(s.afp_versions.len(), 6);
        assert_eq!(&s.afp_versions[5][..], b"AFP3.4");
        assert_eq!(
            s.addresses.as_deref(),
            Some(&[NetworkAddress::Ipv4("192.168.1.10".parse().unwrap())][..])
        );
        // Round trip through the codec.
        let bytes = build(&c, &listen, [7; 16]);
        assert_eq!(ServerStatus::decode(&bytes).unwrap(), s);
        assert!(MACHINE_TYPE.len() <= 16);
    }

    #[test]
    fn port_and_password_flags() {
        let c = config("[Global]\nset password = yes\nsave password = no\n");
        let listen = ["127.0.0.1:10548".parse().unwrap()];
        let s = status_of(&c, &listen, [0; 16]);
        assert!(s.flags.contains(ServerFlags::SUPPORTS_CHANGE_PASSWORD));
        assert!(s.flags.contains(ServerFlags::DONT_ALLOW_SAVE_PASSWORD));
        assert_eq!(
            s.addresses.as_deref(),
            Some(
                &[NetworkAddress::Ipv4Port(
                    "127.0.0.1".parse().unwrap(),
                    10548
                )][..]
            )
        );
    }

    #[test]
    fn long_names_are_cut_in_the_legacy_field_only() {
        let name = "Ein sehr langer Servername mit Ümlauten und mehr";
        let c = config(&format!("[Global]\nserver name = {name}\n"));
        let s = status_of(&c, &[], [0; 16]);
        assert_eq!(s.server_name.len(), 31);
        assert_eq!(
            String::from_utf8(s.utf8_server_name.unwrap().to_vec()).unwrap(),
            afp_proto::name::decompose(name)
        );
        assert!(!s.flags.contains(ServerFlags::SUPPORTS_TCP));
    }
}
