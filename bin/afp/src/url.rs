//! AFP URLs in the form Macs use: `afp://[user[;AUTH=method][:password]@]host[:port]/Volume/path`.
//!
//! The form is Apple's (the Finder's "Connect to Server" and `mount_afp`): the first path
//! segment is the volume name, the rest a path inside the volume; user, method and
//! password are percent-encoded. IPv6 hosts go in brackets (`afp://[::1]:10548/Share`).
//! `.` segments are dropped and `..` climbs one level inside the volume (never above it).

use std::fmt;

/// The AFP port (IANA `afpovertcp`).
pub const DEFAULT_PORT: u16 = 548;

/// A parsed `afp://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AfpUrl {
    /// The user name, if given.
    pub user: Option<String>,
    /// The login method asked for with `;AUTH=` (Apple's names: `DHX2`, `DHCAST128`,
    /// `Cleartxt Passwrd`, `No User Authent`).
    pub auth: Option<String>,
    /// A password written in the URL (discouraged; it shows in the process list).
    pub password: Option<String>,
    /// Host name or address (without brackets for IPv6).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// The volume, if the URL has a path.
    pub volume: Option<String>,
    /// Path components inside the volume (empty for the volume root).
    pub path: Vec<String>,
}

/// Why a URL was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad AFP URL `{url}`: {reason}")]
pub struct UrlError {
    /// The URL as given.
    pub url: String,
    /// What is wrong.
    pub reason: &'static str,
}

impl AfpUrl {
    /// Parses an `afp://` URL.
    pub fn parse(s: &str) -> Result<AfpUrl, UrlError> {
        let err = |reason| UrlError {
            url: s.to_owned(),
            reason,
        };
        let rest = strip_scheme(s).ok_or_else(|| err("it must start with afp://"))?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        let (userinfo, hostport) = match authority.rfind('@') {
            Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
            None => (None, authority),
        };
        let (mut user, mut auth, mut password) = (None, None, None);
        if let Some(info) = userinfo {
            let (name_part, pass_part) = match info.find(':') {
                Some(i) => (&info[..i], Some(&info[i + 1..])),
                None => (info, None),
            };
            let (name, method) = match name_part.find(';') {
                Some(i) => (&name_part[..i], Some(&name_part[i + 1..])),
                None => (name_part, None),
            };
            if let Some(m) = method {
                let value = m
                    .strip_prefix("AUTH=")
                    .or_else(|| m.strip_prefix("auth="))
                    .ok_or_else(|| err("only ;AUTH=method may follow the user name"))?;
                let value = decode(value).ok_or_else(|| err("bad percent-encoding"))?;
                // Apple writes `;AUTH=No%20User%20Authent` for guest.
                auth = Some(value);
            }
            if !name.is_empty() {
                user = Some(decode(name).ok_or_else(|| err("bad percent-encoding"))?);
            }
            if let Some(p) = pass_part {
                password = Some(decode(p).ok_or_else(|| err("bad percent-encoding"))?);
            }
        }
        let (host, port) = split_host_port(hostport).ok_or_else(|| err("bad host or port"))?;
        if host.is_empty() {
            return Err(err("no host"));
        }
        let mut segments = Vec::new();
        for seg in path.split('/') {
            if seg.is_empty() {
                continue;
            }
            let seg = decode(seg).ok_or_else(|| err("bad percent-encoding"))?;
            segments.push(seg);
        }
        let mut volume = None;
        let mut components: Vec<String> = Vec::new();
        let mut iter = segments.into_iter();
        if let Some(v) = iter.next() {
            if v == "." || v == ".." {
                return Err(err("the first path segment must be a volume name"));
            }
            volume = Some(v);
        }
        for seg in iter {
            match seg.as_str() {
                "." => {}
                ".." => {
                    components.pop();
                }
                _ => components.push(seg),
            }
        }
        Ok(AfpUrl {
            user,
            auth,
            password,
            host,
            port,
            volume,
            path: components,
        })
    }

    /// Parses `HOST[:PORT]` or an `afp://` URL (for `afp status`).
    pub fn parse_host(s: &str) -> Result<AfpUrl, UrlError> {
        if strip_scheme(s).is_some() {
            return AfpUrl::parse(s);
        }
        let (host, port) = split_host_port(s).ok_or_else(|| UrlError {
            url: s.to_owned(),
            reason: "expected HOST[:PORT] or afp://HOST[:PORT]",
        })?;
        if host.is_empty() {
            return Err(UrlError {
                url: s.to_owned(),
                reason: "no host",
            });
        }
        Ok(AfpUrl {
            user: None,
            auth: None,
            password: None,
            host,
            port,
            volume: None,
            path: Vec::new(),
        })
    }

    /// `host:port` for connecting (IPv6 in brackets).
    pub fn addr(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The same server and user with another path.
    pub fn with_path(&self, volume: Option<String>, path: Vec<String>) -> AfpUrl {
        AfpUrl {
            volume,
            path,
            ..self.clone()
        }
    }

    /// The last path component, or the volume name for the volume root.
    pub fn file_name(&self) -> Option<&str> {
        self.path
            .last()
            .or(self.volume.as_ref())
            .map(String::as_str)
    }
}

/// Writes the URL back without the password.
impl fmt::Display for AfpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("afp://")?;
        if let Some(u) = &self.user {
            f.write_str(&encode(u))?;
            if let Some(a) = &self.auth {
                write!(f, ";AUTH={}", encode(a))?;
            }
            f.write_str("@")?;
        }
        if self.host.contains(':') {
            write!(f, "[{}]", self.host)?;
        } else {
            f.write_str(&self.host)?;
        }
        if self.port != DEFAULT_PORT {
            write!(f, ":{}", self.port)?;
        }
        if let Some(v) = &self.volume {
            write!(f, "/{}", encode(v))?;
            for c in &self.path {
                write!(f, "/{}", encode(c))?;
            }
        }
        Ok(())
    }
}

fn strip_scheme(s: &str) -> Option<&str> {
    let (scheme, rest) = s.split_once("://")?;
    scheme.eq_ignore_ascii_case("afp").then_some(rest)
}

fn split_host_port(s: &str) -> Option<(String, u16)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after {
            "" => DEFAULT_PORT,
            p => p.strip_prefix(':')?.parse().ok()?,
        };
        return Some((host.to_owned(), port));
    }
    match s.rsplit_once(':') {
        // More than one colon without brackets: a bare IPv6 address.
        Some((h, _)) if h.contains(':') => Some((s.to_owned(), DEFAULT_PORT)),
        Some((h, p)) => Some((h.to_owned(), p.parse().ok()?)),
        None => Some((s.to_owned(), DEFAULT_PORT)),
    }
}

/// Percent-decodes `s` (UTF-8); `None` for a bad escape or invalid UTF-8.
fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Percent-encodes what cannot stand in a URL segment.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,=".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_form() {
        let u = AfpUrl::parse(
            "afp://alice;AUTH=DHX2:s%40cret@example.com:10548/Time%20Machine/a/b.txt",
        )
        .unwrap();
        assert_eq!(u.user.as_deref(), Some("alice"));
        assert_eq!(u.auth.as_deref(), Some("DHX2"));
        assert_eq!(u.password.as_deref(), Some("s@cret"));
        assert_eq!(u.host, "example.com");
        assert_eq!(u.port, 10548);
        assert_eq!(u.volume.as_deref(), Some("Time Machine"));
        assert_eq!(u.path, ["a", "b.txt"]);
        assert_eq!(
            u.to_string(),
            "afp://alice;AUTH=DHX2@example.com:10548/Time%20Machine/a/b.txt"
        );
    }

    #[test]
    fn minimal_and_ipv6() {
        let u = AfpUrl::parse("afp://host").unwrap();
        assert_eq!((u.host.as_str(), u.port, u.volume), ("host", 548, None));
        let u = AfpUrl::parse("AFP://bob@[::1]:600/V/").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("::1", 600));
        assert_eq!(u.addr(), "[::1]:600");
        assert_eq!(u.volume.as_deref(), Some("V"));
        assert!(u.path.is_empty());
    }

    #[test]
    fn dot_segments_stay_inside_the_volume() {
        let u = AfpUrl::parse("afp://h/V/a/./b/../../../c").unwrap();
        assert_eq!(u.path, ["c"]);
        assert!(AfpUrl::parse("afp://h/../x").is_err());
    }

    #[test]
    fn rejects() {
        assert!(AfpUrl::parse("smb://h/V").is_err());
        assert!(AfpUrl::parse("afp://h:port/V").is_err());
        assert!(AfpUrl::parse("afp:///V").is_err());
        assert!(AfpUrl::parse("afp://u;X=1@h/V").is_err());
        assert!(AfpUrl::parse("afp://h/V/%zz").is_err());
    }

    #[test]
    fn host_only() {
        let u = AfpUrl::parse_host("zf").unwrap();
        assert_eq!(u.addr(), "zf:548");
        assert_eq!(AfpUrl::parse_host("zf:10548").unwrap().port, 10548);
        assert_eq!(AfpUrl::parse_host("afp://zf:9/").unwrap().port, 9);
        assert_eq!(AfpUrl::parse_host("fe80::1").unwrap().host, "fe80::1");
    }
}
