//! What the CLI prints: the server status block (text and JSON), directory listings and
//! `stat` output.

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use afp_proto::name::decode_mac_roman;
use afp_proto::status::{NetworkAddress, ServerFlags, ServerStatus};

use crate::client::{Entry, VolumeInfo};

/// Each server flag: its bit, Apple's name and what it means (spec §3.2).
pub const FLAG_NAMES: [(ServerFlags, &str, &str); 13] = [
    (
        ServerFlags::SUPPORTS_COPY_FILE,
        "kSupportsCopyfile",
        "server-side copy (FPCopyFile)",
    ),
    (
        ServerFlags::SUPPORTS_CHANGE_PASSWORD,
        "kSupportsChgPwd",
        "users may change their password",
    ),
    (
        ServerFlags::DONT_ALLOW_SAVE_PASSWORD,
        "kDontAllowSavePwd",
        "clients must not save the password",
    ),
    (
        ServerFlags::SUPPORTS_SERVER_MESSAGES,
        "kSupportsSrvrMsg",
        "server messages (FPGetSrvrMsg)",
    ),
    (
        ServerFlags::SERVER_SIGNATURE,
        "kSrvrSig",
        "server signature present",
    ),
    (
        ServerFlags::SUPPORTS_TCP,
        "kSupportsTCP",
        "network addresses present",
    ),
    (
        ServerFlags::SUPPORTS_SERVER_NOTIFICATIONS,
        "kSupportsSrvrNotify",
        "sends change notifications",
    ),
    (
        ServerFlags::SUPPORTS_RECONNECT,
        "kSupportsReconnect",
        "reconnect after a network change",
    ),
    (
        ServerFlags::SUPPORTS_DIRECTORY_SERVICES,
        "kSupportsDirServices",
        "directory names present",
    ),
    (
        ServerFlags::SUPPORTS_UTF8_SERVER_NAME,
        "kSupportsUTF8SrvrName",
        "UTF-8 server name present",
    ),
    (
        ServerFlags::SUPPORTS_UUIDS,
        "kSupportsUUIDs",
        "user and group UUIDs",
    ),
    (
        ServerFlags::SUPPORTS_EXT_SLEEP,
        "kSupportsExtSleep",
        "extended sleep",
    ),
    (
        ServerFlags::SUPPORTS_SUPER_CLIENT,
        "kSupportsSuperClient",
        "fast copying (\"super client\")",
    ),
];

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn hex(b: &[u8]) -> String {
    b.iter().fold(String::new(), |mut s, x| {
        let _ = write!(s, "{x:02x}");
        s
    })
}

/// An address in a readable form and its kind.
pub fn address(a: &NetworkAddress) -> (String, &'static str) {
    match a {
        NetworkAddress::Ipv4(ip) => (format!("{ip}:548"), "IPv4"),
        NetworkAddress::Ipv4Port(ip, p) => (format!("{ip}:{p}"), "IPv4 and port"),
        NetworkAddress::Ddp {
            network,
            node,
            socket,
        } => (format!("{network}.{node}:{socket}"), "AppleTalk DDP"),
        NetworkAddress::Dns(n) => (lossy(n), "DNS name"),
        NetworkAddress::SshTunnel(n) => (lossy(n), "SSH tunnel"),
        NetworkAddress::Ipv6(ip) => (format!("[{ip}]:548"), "IPv6"),
        NetworkAddress::Ipv6Port(ip, p) => (format!("[{ip}]:{p}"), "IPv6 and port"),
        NetworkAddress::Unknown { tag, value } => {
            (format!("tag {tag}: {}", hex(value)), "unknown type")
        }
    }
}

/// Unknown flag bits (12 to 14 are undocumented).
fn unknown_flags(flags: ServerFlags) -> u16 {
    let known = FLAG_NAMES.iter().fold(0u16, |m, (f, _, _)| m | f.bits());
    flags.bits() & !known
}

/// The status block as text: every field, flags decoded.
pub fn status_text(s: &ServerStatus, preferred_method: Option<&str>) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "Server name:      {}", decode_mac_roman(&s.server_name));
    if let Some(n) = &s.utf8_server_name {
        let _ = writeln!(o, "UTF-8 name:       {}", lossy(n));
    }
    let _ = writeln!(o, "Machine type:     {}", lossy(&s.machine_type));
    let versions: Vec<String> = s.afp_versions.iter().map(|v| lossy(v)).collect();
    let _ = writeln!(o, "AFP versions:     {}", versions.join(", "));
    let uams: Vec<String> = s.uams.iter().map(|v| lossy(v)).collect();
    let _ = write!(o, "Login methods:    {}", uams.join(", "));
    if let Some(m) = preferred_method {
        let _ = write!(o, " (this client would use {m})");
    }
    o.push('\n');
    let _ = writeln!(o, "Flags:            0x{:04x}", s.flags.bits());
    for (flag, name, meaning) in FLAG_NAMES {
        if s.flags.contains(flag) {
            let _ = writeln!(o, "                  {name:<24} {meaning}");
        }
    }
    let unknown = unknown_flags(s.flags);
    if unknown != 0 {
        let _ = writeln!(
            o,
            "                  0x{unknown:04x}                   undocumented bits"
        );
    }
    match &s.signature {
        Some(sig) => {
            let _ = writeln!(o, "Signature:        {}", hex(sig));
        }
        None => {
            let _ = writeln!(o, "Signature:        (none)");
        }
    }
    match &s.addresses {
        Some(list) if !list.is_empty() => {
            let _ = write!(o, "Addresses:        ");
            for (i, a) in list.iter().enumerate() {
                let (text, kind) = address(a);
                if i > 0 {
                    let _ = write!(o, "                  ");
                }
                let _ = writeln!(o, "{text} ({kind})");
            }
        }
        _ => {
            let _ = writeln!(o, "Addresses:        (none)");
        }
    }
    if let Some(names) = &s.directory_names
        && !names.is_empty()
    {
        let names: Vec<String> = names.iter().map(|n| lossy(n)).collect();
        let _ = writeln!(o, "Directory names:  {}", names.join(", "));
    }
    let _ = writeln!(
        o,
        "Icon:             {}",
        if s.icon.is_some() {
            "yes (32×32 with mask)"
        } else {
            "no"
        }
    );
    o
}

/// The status block as JSON.
pub fn status_json(s: &ServerStatus, preferred_method: Option<&str>) -> Value {
    let flags: Vec<Value> = FLAG_NAMES
        .iter()
        .filter(|(f, _, _)| s.flags.contains(*f))
        .map(|(_, name, meaning)| json!({"name": name, "meaning": meaning}))
        .collect();
    let addresses: Vec<Value> = s
        .addresses
        .iter()
        .flatten()
        .map(|a| {
            let (text, kind) = address(a);
            json!({"address": text, "type": kind})
        })
        .collect();
    json!({
        "server_name": decode_mac_roman(&s.server_name),
        "utf8_server_name": s.utf8_server_name.as_ref().map(|n| lossy(n)),
        "machine_type": lossy(&s.machine_type),
        "afp_versions": s.afp_versions.iter().map(|v| lossy(v)).collect::<Vec<_>>(),
        "uams": s.uams.iter().map(|v| lossy(v)).collect::<Vec<_>>(),
        "preferred_uam": preferred_method,
        "flags": {
            "value": s.flags.bits(),
            "set": flags,
            "undocumented_bits": unknown_flags(s.flags),
        },
        "signature": s.signature.as_ref().map(|sig| hex(sig)),
        "addresses": addresses,
        "directory_names": s.directory_names.iter().flatten().map(|n| lossy(n)).collect::<Vec<_>>(),
        "icon": s.icon.is_some(),
    })
}

/// Seconds since the Unix epoch, or `None` for "never".
fn unix_secs(t: Option<SystemTime>) -> Option<i64> {
    let t = t?;
    Some(match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    })
}

/// `YYYY-MM-DD HH:MM:SS` in UTC.
pub fn date(t: Option<SystemTime>) -> String {
    let Some(secs) = unix_secs(t) else {
        return "-".to_owned();
    };
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `rwxr-xr-x` from a mode.
pub fn mode_string(mode: u32, dir: bool) -> String {
    let mut s = String::with_capacity(10);
    s.push(if dir { 'd' } else { '-' });
    for shift in [6u32, 3, 0] {
        let bits = (mode >> shift) & 7;
        s.push(if bits & 4 != 0 { 'r' } else { '-' });
        s.push(if bits & 2 != 0 { 'w' } else { '-' });
        s.push(if bits & 1 != 0 { 'x' } else { '-' });
    }
    s
}

/// One `ls -l` line.
pub fn long_line(e: &Entry) -> String {
    let mode = match e.unix {
        Some(u) => mode_string(u.permissions, e.is_dir()),
        None => format!("{}---------", if e.is_dir() { 'd' } else { '-' }),
    };
    let (uid, gid) = e
        .unix
        .map(|u| (u.uid.to_string(), u.gid.to_string()))
        .unwrap_or_else(|| ("-".into(), "-".into()));
    let size = if e.is_dir() {
        e.offspring
            .map(|n| format!("{n} items"))
            .unwrap_or_default()
    } else {
        e.data_len.to_string()
    };
    let name = if e.is_dir() {
        format!("{}/", e.name)
    } else {
        e.name.clone()
    };
    format!(
        "{mode} {uid:>6} {gid:>6} {size:>14} {}  {name}",
        date(e.modified)
    )
}

/// An entry as JSON.
pub fn entry_json(e: &Entry) -> Value {
    json!({
        "name": e.name,
        "type": if e.is_dir() { "directory" } else { "file" },
        "node_id": e.node_id,
        "parent_id": e.parent_id,
        "size": e.data_len,
        "resource_fork_size": e.rsrc_len,
        "offspring": e.offspring,
        "created": unix_secs(e.created),
        "modified": unix_secs(e.modified),
        "backup": unix_secs(e.backup),
        "attributes": e.attributes,
        "finder_info": e.finder_info.map(|f| hex(&f.0)),
        "uid": e.unix.map(|u| u.uid),
        "gid": e.unix.map(|u| u.gid),
        "mode": e.unix.map(|u| format!("{:o}", u.permissions)),
        "access_rights": e.access.map(|a| a.bits()).or(e.unix.map(|u| u.ua_permissions.bits())),
    })
}

/// `stat` output.
pub fn stat_text(e: &Entry) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "Name:          {}", e.name);
    let _ = writeln!(
        o,
        "Type:          {}",
        if e.is_dir() { "directory" } else { "file" }
    );
    let _ = writeln!(o, "Node ID:       {}", e.node_id);
    let _ = writeln!(o, "Parent ID:     {}", e.parent_id);
    if e.is_dir() {
        if let Some(n) = e.offspring {
            let _ = writeln!(o, "Offspring:     {n}");
        }
    } else {
        let _ = writeln!(o, "Size:          {}", e.data_len);
        let _ = writeln!(o, "Resource fork: {}", e.rsrc_len);
    }
    let _ = writeln!(o, "Created:       {}", date(e.created));
    let _ = writeln!(o, "Modified:      {}", date(e.modified));
    let _ = writeln!(o, "Backed up:     {}", date(e.backup));
    let _ = writeln!(o, "Attributes:    0x{:04x}", e.attributes);
    if let Some(fi) = e.finder_info {
        let t = fi.file_type();
        let c = fi.creator();
        if !e.is_dir() && (t != [0; 4] || c != [0; 4]) {
            let _ = writeln!(
                o,
                "Type/creator:  {}/{}",
                decode_mac_roman(&t),
                decode_mac_roman(&c)
            );
        }
        let _ = writeln!(o, "Finder flags:  0x{:04x}", fi.flags());
    }
    if let Some(u) = e.unix {
        let _ = writeln!(
            o,
            "UNIX:          {} ({:o}) uid {} gid {}",
            mode_string(u.permissions, e.is_dir()),
            u.permissions & 0o7777,
            u.uid,
            u.gid
        );
        let _ = writeln!(o, "Your access:   0x{:08x}", u.ua_permissions.bits());
    }
    o
}

/// `volumes` output line.
pub fn volume_line(v: &VolumeInfo) -> String {
    let mut flags = Vec::new();
    if v.has_password {
        flags.push("password");
    }
    if v.unix_privs {
        flags.push("unix privileges");
    }
    if flags.is_empty() {
        v.name.clone()
    } else {
        format!("{}  ({})", v.name, flags.join(", "))
    }
}

/// `volumes --json` entry.
pub fn volume_json(v: &VolumeInfo) -> Value {
    json!({"name": v.name, "has_password": v.has_password, "unix_privs": v.unix_privs})
}

/// Bytes per second in a readable unit.
pub fn rate(bytes: u64, secs: f64) -> String {
    if secs <= 0.0 {
        return "-".into();
    }
    format!("{:.1} MiB/s", bytes as f64 / secs / (1024.0 * 1024.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[test]
    fn status_prints_every_field() {
        let s = ServerStatus {
            flags: ServerFlags::NETATALK_DEFAULT,
            server_name: Bytes::from_static(b"zf"),
            machine_type: Bytes::from_static(b"Netatalk3.1.7"),
            afp_versions: vec![Bytes::from_static(b"AFP2.2"), Bytes::from_static(b"AFP3.4")],
            uams: vec![
                Bytes::from_static(b"DHCAST128"),
                Bytes::from_static(b"DHX2"),
            ],
            icon: None,
            signature: Some([0x38, 0xff, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x92]),
            addresses: Some(vec![NetworkAddress::Ipv4Port([10, 0, 0, 1].into(), 10548)]),
            directory_names: Some(vec![]),
            utf8_server_name: Some(Bytes::from_static(b"zf")),
        };
        let t = status_text(&s, Some("DHX2"));
        for needle in [
            "Server name:      zf",
            "Machine type:     Netatalk3.1.7",
            "AFP versions:     AFP2.2, AFP3.4",
            "DHCAST128, DHX2 (this client would use DHX2)",
            "Flags:            0x8f79",
            "kSupportsCopyfile",
            "kSupportsSuperClient",
            "Signature:        38ff000102030405060708090a0b0c92",
            "10.0.0.1:10548 (IPv4 and port)",
        ] {
            assert!(t.contains(needle), "{needle:?} missing from\n{t}");
        }
        assert!(!t.contains("kSupportsReconnect"));
        let j = status_json(&s, Some("DHX2"));
        assert_eq!(j["flags"]["value"], 0x8f79);
        assert_eq!(j["uams"][1], "DHX2");
        assert_eq!(j["addresses"][0]["address"], "10.0.0.1:10548");
    }

    #[test]
    fn dates_and_modes() {
        assert_eq!(date(Some(UNIX_EPOCH)), "1970-01-01 00:00:00");
        let t = UNIX_EPOCH + std::time::Duration::from_secs(946_684_800 + 86_399);
        assert_eq!(date(Some(t)), "2000-01-01 23:59:59");
        assert_eq!(date(None), "-");
        assert_eq!(mode_string(0o40755, true), "drwxr-xr-x");
        assert_eq!(mode_string(0o100640, false), "-rw-r-----");
    }
}
