//! Host lists of `hosts allow` / `hosts deny` (spec `cnid-and-config.md` §3.1, §3.2).
//!
//! Grammar: `addr[/bits]` entries separated by spaces and/or commas; IPv4 in dotted-quad
//! form or IPv6; a missing `/bits` means the host alone (/32 or /128).
//!
//! Netatalk resolves each entry with `getaddrinfo`, so it also accepts host names and the
//! legacy short forms (`192.168.100` means 192.168.0.100 to `inet_aton`, although the man
//! page's example uses it as a /24 network). We accept only IP literals and reject the
//! rest with a message, so such a surprise shows at startup instead of at login.
//!
//! An IPv4 client reaching an IPv6 socket appears as `::ffff:a.b.c.d`; matching unwraps
//! that form so IPv4 networks still match.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// One network: an address and a prefix length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostNet {
    addr: IpAddr,
    prefix: u8,
}

/// Why a host list entry is not valid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HostNetError {
    /// The address part is not an IPv4 dotted quad or an IPv6 address.
    #[error(
        "`{0}` is not an IP address (expected a.b.c.d[/bits] or an IPv6 address[/bits]; host names are not accepted)"
    )]
    BadAddress(String),
    /// The `/bits` part is not a number within the address family's width.
    #[error("`{0}`: the prefix length must be 0-32 for IPv4 and 0-128 for IPv6")]
    BadPrefix(String),
}

impl HostNet {
    /// A network; `prefix` must be at most 32 (IPv4) or 128 (IPv6).
    pub fn new(addr: IpAddr, prefix: u8) -> Result<Self, HostNetError> {
        if prefix > max_prefix(addr) {
            return Err(HostNetError::BadPrefix(format!("{addr}/{prefix}")));
        }
        Ok(HostNet { addr, prefix })
    }

    /// The network address as written (host bits are not cleared).
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The prefix length in bits.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Whether `ip` lies in this network. IPv4-mapped IPv6 addresses count as IPv4.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = unmap(ip);
        match (unmap(self.addr), ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let prefix = self.prefix.min(32);
                let mask = if prefix == 0 {
                    0
                } else {
                    u32::MAX << (32 - u32::from(prefix))
                };
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u128::MAX << (128 - u32::from(self.prefix))
                };
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

fn max_prefix(addr: IpAddr) -> u8 {
    match addr {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    }
}

/// `::ffff:a.b.c.d` becomes `a.b.c.d`; anything else is returned unchanged.
fn unmap(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

impl FromStr for HostNet {
    type Err = HostNetError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (addr_part, prefix_part) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        // IpAddr's parser accepts only full dotted quads for IPv4, which is what we want.
        let addr: IpAddr = addr_part
            .parse()
            .map_err(|_| HostNetError::BadAddress(s.to_owned()))?;
        let prefix = match prefix_part {
            None => max_prefix(addr),
            Some(p) => p
                .parse::<u8>()
                .map_err(|_| HostNetError::BadPrefix(s.to_owned()))?,
        };
        if prefix > max_prefix(addr) {
            return Err(HostNetError::BadPrefix(s.to_owned()));
        }
        Ok(HostNet { addr, prefix })
    }
}

impl fmt::Display for HostNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// A parsed host list (`hosts allow = 10.1.0.0/16 10.2.1.100, 2001:db8::/48`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostList(pub Vec<HostNet>);

impl HostList {
    /// Whether any entry contains `ip`.
    pub fn matches(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(ip))
    }

    /// Whether the list has no entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromStr for HostList {
    type Err = HostNetError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.split([' ', '\t', ','])
            .filter(|t| !t.is_empty())
            .map(str::parse)
            .collect::<Result<Vec<_>, _>>()
            .map(HostList)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ipv4_network_and_host() {
        let l: HostList = "192.168.1.0/24, 10.0.0.7".parse().unwrap();
        assert!(l.matches(ip("192.168.1.200")));
        assert!(!l.matches(ip("192.168.2.1")));
        assert!(l.matches(ip("10.0.0.7")));
        assert!(!l.matches(ip("10.0.0.8")));
    }

    #[test]
    fn mapped_ipv4_client_matches_ipv4_network() {
        let l: HostList = "192.168.1.0/24".parse().unwrap();
        assert!(l.matches(ip("::ffff:192.168.1.9")));
        assert!(!l.matches(ip("::ffff:192.168.9.9")));
    }

    #[test]
    fn ipv6_networks() {
        let l: HostList = "2001:db8:1234::/48 ::1".parse().unwrap();
        assert!(l.matches(ip("2001:db8:1234:ffff::1")));
        assert!(!l.matches(ip("2001:db8:1235::1")));
        assert!(l.matches(ip("::1")));
        assert!(!l.matches(ip("127.0.0.1")));
    }

    #[test]
    fn zero_prefix_matches_family() {
        let l: HostList = "0.0.0.0/0".parse().unwrap();
        assert!(l.matches(ip("8.8.8.8")));
        assert!(!l.matches(ip("2001:db8::1")));
        let l: HostList = "::/0".parse().unwrap();
        assert!(l.matches(ip("2001:db8::1")));
    }

    #[test]
    fn rejects_names_short_forms_and_bad_prefixes() {
        assert!(matches!(
            "fileserver".parse::<HostNet>(),
            Err(HostNetError::BadAddress(_))
        ));
        assert!(matches!(
            "192.168.100/24".parse::<HostNet>(),
            Err(HostNetError::BadAddress(_))
        ));
        assert!(matches!(
            "10.0.0.0/33".parse::<HostNet>(),
            Err(HostNetError::BadPrefix(_))
        ));
        assert!(matches!(
            "::/129".parse::<HostNet>(),
            Err(HostNetError::BadPrefix(_))
        ));
        assert!(matches!(
            "10.0.0.0/x".parse::<HostNet>(),
            Err(HostNetError::BadPrefix(_))
        ));
    }

    #[test]
    fn display_round_trips() {
        let n: HostNet = "10.1.0.0/16".parse().unwrap();
        assert_eq!(n.to_string().parse::<HostNet>().unwrap(), n);
    }
}
