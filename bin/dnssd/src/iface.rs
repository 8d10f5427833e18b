//! Picking the interfaces to answer on and mapping a packet's source to one of them.

use std::collections::BTreeMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// One network interface with its addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    /// Name, e.g. `eth0`.
    pub name: String,
    /// Kernel interface index.
    pub index: u32,
    /// IPv4 addresses with prefix lengths.
    pub v4: Vec<(Ipv4Addr, u8)>,
    /// IPv6 addresses with prefix lengths.
    pub v6: Vec<(Ipv6Addr, u8)>,
}

impl Interface {
    /// Every address, for A/AAAA records.
    pub fn addresses(&self) -> Vec<IpAddr> {
        let v4 = self.v4.iter().map(|(a, _)| IpAddr::V4(*a));
        v4.chain(self.v6.iter().map(|(a, _)| IpAddr::V6(*a)))
            .collect()
    }

    /// True if `source` is on this interface's link (RFC 6762 §11: answer only on-link
    /// queriers).
    pub fn is_on_link(&self, source: &SocketAddr) -> bool {
        match source {
            SocketAddr::V4(s) => self
                .v4
                .iter()
                .any(|(a, len)| same_prefix4(*a, *s.ip(), *len)),
            SocketAddr::V6(s) => {
                if let Some(v4) = s.ip().to_ipv4_mapped() {
                    return self.v4.iter().any(|(a, len)| same_prefix4(*a, v4, *len));
                }
                if s.scope_id() != 0 {
                    return s.scope_id() == self.index;
                }
                self.v6
                    .iter()
                    .any(|(a, len)| same_prefix6(*a, *s.ip(), *len))
            }
        }
    }
}

fn same_prefix4(a: Ipv4Addr, b: Ipv4Addr, len: u8) -> bool {
    let mask = u32::MAX
        .checked_shl(32 - u32::from(len.min(32)))
        .unwrap_or(0);
    u32::from(a) & mask == u32::from(b) & mask
}

fn same_prefix6(a: Ipv6Addr, b: Ipv6Addr, len: u8) -> bool {
    let mask = u128::MAX
        .checked_shl(128 - u32::from(len.min(128)))
        .unwrap_or(0);
    u128::from(a) & mask == u128::from(b) & mask
}

/// The interfaces named in `names`, or when `names` is empty every interface that is up,
/// is not loopback and has an address. A name that does not exist is an error.
pub fn select(names: &[String]) -> io::Result<Vec<Interface>> {
    let mut by_name: BTreeMap<String, Interface> = BTreeMap::new();
    for i in if_addrs::get_if_addrs()? {
        if names.is_empty() && (i.is_loopback() || !i.is_oper_up()) {
            continue;
        }
        if !names.is_empty() && !names.contains(&i.name) {
            continue;
        }
        let entry = by_name.entry(i.name.clone()).or_insert_with(|| Interface {
            name: i.name.clone(),
            index: i.index.unwrap_or(0),
            v4: Vec::new(),
            v6: Vec::new(),
        });
        match i.addr {
            if_addrs::IfAddr::V4(a) => entry.v4.push((a.ip, a.prefixlen)),
            if_addrs::IfAddr::V6(a) => entry.v6.push((a.ip, a.prefixlen)),
        }
    }
    for n in names {
        if !by_name.contains_key(n) {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("interface {n} not found or has no address"),
            ));
        }
    }
    Ok(by_name.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_link() {
        let i = Interface {
            name: "vethA".into(),
            index: 7,
            v4: vec![(Ipv4Addr::new(10, 253, 0, 1), 24)],
            v6: vec![("fe80::1".parse().unwrap(), 64)],
        };
        assert!(i.is_on_link(&"10.253.0.2:5353".parse().unwrap()));
        assert!(!i.is_on_link(&"10.254.0.2:5353".parse().unwrap()));
        assert!(i.is_on_link(&"[fe80::2%7]:5353".parse().unwrap()));
        assert!(!i.is_on_link(&"[fe80::2%8]:5353".parse().unwrap()));
        assert!(i.is_on_link(&"[::ffff:10.253.0.9]:5353".parse().unwrap()));
    }
}
