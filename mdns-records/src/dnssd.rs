//! DNS-SD service instances and the Apple records an AFP server publishes
//! (RFC 6763 §4, §6, §7, §9, §12; `shared/spec/dns-sd.md` §3–§4).
//!
//! | owner | type | rdata | TTL | unique |
//! |---|---|---|---|---|
//! | `<Service>.local.` | PTR | `<Instance>.<Service>.local.` | 4500 | no |
//! | `<Instance>.<Service>.local.` | SRV | `0 0 <port> <host>.local.` | 120 | yes |
//! | `<Instance>.<Service>.local.` | TXT | `key=value` strings, `00` if none | 4500 | yes |
//! | `_services._dns-sd._udp.local.` | PTR | `<Service>.local.` | 4500 | no |
//! | `<host>.local.` | A / AAAA | address | 120 | yes |

use core::net::IpAddr;

use crate::error::{NameError, TxtError};
use crate::message::Record;
use crate::name::{MAX_LABEL_LEN, Name};
use crate::rdata::{Nsec, RData, RecordType, Srv, Txt};

/// TTL of records naming a host or holding one in their rdata (RFC 6762 §10).
pub const HOST_TTL: u32 = 120;
/// TTL of every other record (RFC 6762 §10).
pub const OTHER_TTL: u32 = 4500;

/// `local.`
pub fn local() -> Name {
    Name::from_labels([b"local"]).unwrap_or_else(|_| Name::root())
}

/// `_services._dns-sd._udp.local.`, the service type enumeration name (RFC 6763 §9).
pub fn services_enumeration() -> Name {
    Name::from_labels([&b"_services"[..], b"_dns-sd", b"_udp", b"local"])
        .unwrap_or_else(|_| Name::root())
}

/// Cuts `text` to at most `max` bytes without splitting a UTF-8 character (instance names
/// are limited in bytes, RFC 6763 §4.1.1).
pub fn truncate_utf8(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The next instance name after a conflict: `zf` → `zf (2)`, `zf (2)` → `zf (3)`
/// (RFC 6762 §9, the form Apple and avahi use), kept within 63 bytes.
pub fn next_instance_name(current: &str) -> String {
    let (base, n) = split_counter(current, " (", ")");
    let suffix = format!(" ({})", n + 1);
    format!(
        "{}{suffix}",
        truncate_utf8(base, MAX_LABEL_LEN - suffix.len())
    )
}

/// The next host label after a conflict: `zf` → `zf-2`, `zf-2` → `zf-3`.
pub fn next_host_name(current: &str) -> String {
    let (base, n) = split_counter(current, "-", "");
    let suffix = format!("-{}", n + 1);
    format!(
        "{}{suffix}",
        truncate_utf8(base, MAX_LABEL_LEN - suffix.len())
    )
}

fn split_counter<'a>(s: &'a str, open: &str, close: &str) -> (&'a str, u32) {
    let counted = s.strip_suffix(close).and_then(|rest| {
        let at = rest.rfind(open)?;
        let n: u32 = rest[at + open.len()..].parse().ok()?;
        (n >= 2).then_some((&rest[..at], n))
    });
    counted.unwrap_or((s, 1))
}

/// One DNS-SD service instance to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    instance: String,
    service_type: Name,
    port: u16,
    txt: Txt,
}

impl Service {
    /// A service instance. `instance` is any UTF-8 text, cut to 63 bytes on a character
    /// boundary; `service_type` is like `_afpovertcp._tcp` (`.local.` is appended unless
    /// the text already ends in `local`).
    pub fn new(instance: &str, service_type: &str, port: u16) -> Result<Self, NameError> {
        let instance = truncate_utf8(instance, MAX_LABEL_LEN).to_owned();
        if instance.is_empty() {
            return Err(NameError::EmptyLabel);
        }
        let mut service_type = Name::parse(service_type)?;
        if !service_type.ends_with(&local()) {
            let mut labels: Vec<Vec<u8>> = service_type.labels().map(<[u8]>::to_vec).collect();
            labels.push(b"local".to_vec());
            service_type = Name::from_labels(labels)?;
        }
        let s = Service {
            instance,
            service_type,
            port,
            txt: Txt::new(),
        };
        s.instance_name()?;
        Ok(s)
    }

    /// This service with `txt` as its TXT record.
    pub fn with_txt(mut self, txt: Txt) -> Self {
        self.txt = txt;
        self
    }

    /// The instance label (UTF-8, ≤ 63 bytes).
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// Renames the instance (after a conflict), cut to 63 bytes.
    pub fn set_instance(&mut self, instance: &str) -> Result<(), NameError> {
        let instance = truncate_utf8(instance, MAX_LABEL_LEN);
        self.service_type.prepend(instance.as_bytes())?;
        self.instance = instance.to_owned();
        Ok(())
    }

    /// The service type name, e.g. `_afpovertcp._tcp.local.`.
    pub fn service_type(&self) -> &Name {
        &self.service_type
    }

    /// The port in the SRV record.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Changes the port.
    pub fn set_port(&mut self, port: u16) {
        self.port = port;
    }

    /// The TXT data.
    pub fn txt(&self) -> &Txt {
        &self.txt
    }

    /// `<Instance>.<Service>.local.`
    pub fn instance_name(&self) -> Result<Name, NameError> {
        self.service_type.prepend(self.instance.as_bytes())
    }

    /// The four records of this instance for host `host`, in the order PTR, SRV, TXT,
    /// `_services._dns-sd._udp` PTR. Unique records (SRV, TXT) have cache-flush set.
    pub fn records(&self, host: &Name) -> [Record; 4] {
        let instance = self
            .instance_name()
            .unwrap_or_else(|_| self.service_type.clone());
        [
            Record::new(
                self.service_type.clone(),
                OTHER_TTL,
                RData::Ptr(instance.clone()),
            ),
            Record::new(
                instance.clone(),
                HOST_TTL,
                RData::Srv(Srv {
                    priority: 0,
                    weight: 0,
                    port: self.port,
                    target: host.clone(),
                }),
            )
            .flush(),
            Record::new(instance, OTHER_TTL, RData::Txt(self.txt.clone())).flush(),
            Record::new(
                services_enumeration(),
                OTHER_TTL,
                RData::Ptr(self.service_type.clone()),
            ),
        ]
    }
}

/// `<label>.local.` for a host label such as `zf`.
pub fn host_name(label: &str) -> Result<Name, NameError> {
    local().prepend(truncate_utf8(label, MAX_LABEL_LEN).as_bytes())
}

/// A and AAAA records (cache-flush, TTL 120) for `host`.
pub fn address_records(host: &Name, addresses: &[IpAddr]) -> Vec<Record> {
    addresses
        .iter()
        .map(|a| {
            let data = match a {
                IpAddr::V4(v4) => RData::A(*v4),
                IpAddr::V6(v6) => RData::Aaaa(*v6),
            };
            Record::new(host.clone(), HOST_TTL, data).flush()
        })
        .collect()
}

/// The NSEC saying which address types `host` has (RFC 6762 §6.1–6.2), TTL 120.
pub fn host_nsec(host: &Name, addresses: &[IpAddr]) -> Record {
    let types = addresses.iter().map(|a| match a {
        IpAddr::V4(_) => RecordType::A,
        IpAddr::V6(_) => RecordType::AAAA,
    });
    Record::new(
        host.clone(),
        HOST_TTL,
        RData::Nsec(Nsec::new(host.clone(), types)),
    )
    .flush()
}

/// The Apple service records of an AFP file server (`shared/spec/dns-sd.md` §4).
pub mod apple {
    use super::{Service, Txt, TxtError};
    use crate::error::NameError;

    /// `_afpovertcp._tcp`, Apple Filing Protocol over TCP.
    pub const AFP_SERVICE: &str = "_afpovertcp._tcp";
    /// `_device-info._tcp`, the Finder icon hint.
    pub const DEVICE_INFO_SERVICE: &str = "_device-info._tcp";
    /// `_adisk._tcp`, Time Machine destinations.
    pub const ADISK_SERVICE: &str = "_adisk._tcp";
    /// The AFP port.
    pub const AFP_PORT: u16 = 548;
    /// SRV port of `_device-info` (0, as netatalk with avahi publishes it).
    pub const DEVICE_INFO_PORT: u16 = 0;
    /// SRV port of `_adisk` (9, as netatalk with avahi publishes it).
    pub const ADISK_PORT: u16 = 9;
    /// `model=` value when `mimic model` is not set.
    pub const DEFAULT_MODEL: &str = "Xserve";
    /// `adVF` of an AFP Time Machine volume. Never `0x82`: that tells the Mac to use SMB.
    pub const AFP_VOLUME_FLAGS: u16 = 0xa1;
    /// The server-wide `sys=` string.
    pub const SYS: &str = "waMa=0,adVF=0x100";

    /// `_afpovertcp._tcp` on `port` with an empty TXT.
    pub fn afp_server(name: &str, port: u16) -> Result<Service, NameError> {
        Service::new(name, AFP_SERVICE, port)
    }

    /// `_device-info._tcp` with `model=<model>` (default `Xserve`).
    pub fn device_info(name: &str, model: Option<&str>) -> Result<Service, NameError> {
        let mut txt = Txt::new();
        let model = model.unwrap_or(DEFAULT_MODEL);
        // A model longer than a TXT string fits is cut; the value is only an icon hint.
        let value = super::truncate_utf8(model, 255 - "model=".len());
        txt.push("model", Some(value.as_bytes()))
            .map_err(|_| NameError::BadEscape)?;
        Ok(Service::new(name, DEVICE_INFO_SERVICE, DEVICE_INFO_PORT)?.with_txt(txt))
    }

    /// A Time Machine volume listed in `_adisk._tcp`.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct TimeMachineVolume {
        /// Volume (share) name as the client mounts it, UTF-8.
        pub name: String,
        /// Stable volume UUID; must not change across restarts.
        pub uuid: [u8; 16],
    }

    /// Formats a UUID as lower-case `8-4-4-4-12` hex.
    pub fn format_uuid(uuid: &[u8; 16]) -> String {
        let mut s = String::with_capacity(36);
        for (i, b) in uuid.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                s.push('-');
            }
            s.push_str(&format!("{b:02x}"));
        }
        s
    }

    /// Parses `8-4-4-4-12` hex (any case) into 16 bytes.
    pub fn parse_uuid(text: &str) -> Option<[u8; 16]> {
        let hex: Vec<u8> = text.bytes().filter(|&b| b != b'-').collect();
        if hex.len() != 32 || text.len() != 36 {
            return None;
        }
        let mut out = [0u8; 16];
        for (i, pair) in hex.chunks(2).enumerate() {
            let s = core::str::from_utf8(pair).ok()?;
            out[i] = u8::from_str_radix(s, 16).ok()?;
        }
        Some(out)
    }

    /// The `_adisk._tcp` TXT: `sys=waMa=0,adVF=0x100`, then
    /// `dkN=adVN=<name>,adVF=0xa1,adVU=<uuid>` per volume.
    pub fn adisk_txt(volumes: &[TimeMachineVolume]) -> Result<Txt, TxtError> {
        let mut txt = Txt::new();
        txt.push("sys", Some(SYS.as_bytes()))?;
        for (i, v) in volumes.iter().enumerate() {
            let value = format!(
                "adVN={},adVF={AFP_VOLUME_FLAGS:#x},adVU={}",
                v.name,
                format_uuid(&v.uuid)
            );
            txt.push(&format!("dk{i}"), Some(value.as_bytes()))?;
        }
        Ok(txt)
    }

    /// `_adisk._tcp` on port 9 listing `volumes`. Fails if a volume string would pass the
    /// 255-byte TXT string limit.
    pub fn adisk(name: &str, volumes: &[TimeMachineVolume]) -> Result<Service, AdiskError> {
        let txt = adisk_txt(volumes).map_err(AdiskError::Txt)?;
        Ok(Service::new(name, ADISK_SERVICE, ADISK_PORT)
            .map_err(AdiskError::Name)?
            .with_txt(txt))
    }

    /// Why the `_adisk` service could not be built.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
    pub enum AdiskError {
        /// Bad instance name.
        #[error(transparent)]
        Name(NameError),
        /// A volume string is too long.
        #[error(transparent)]
        Txt(TxtError),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renaming() {
        assert_eq!(next_instance_name("zf"), "zf (2)");
        assert_eq!(next_instance_name("zf (2)"), "zf (3)");
        assert_eq!(next_instance_name("zf (1)"), "zf (1) (2)");
        assert_eq!(next_instance_name("(9)"), "(9) (2)");
        assert_eq!(next_host_name("zf"), "zf-2");
        assert_eq!(next_host_name("zf-9"), "zf-10");
        let long = "é".repeat(40);
        let renamed = next_instance_name(&long);
        assert!(renamed.len() <= 63 && renamed.ends_with(" (2)"));
    }

    #[test]
    fn service_names() {
        let s = Service::new("Büro Server", "_afpovertcp._tcp", 548).unwrap();
        assert_eq!(
            s.instance_name().unwrap().to_string(),
            "Büro Server._afpovertcp._tcp.local."
        );
        let long = Service::new(&"x".repeat(100), "_adisk._tcp.local.", 9).unwrap();
        assert_eq!(long.instance().len(), 63);
        assert_eq!(long.service_type().to_string(), "_adisk._tcp.local.");
    }

    #[test]
    fn adisk_never_smb() {
        let v = apple::TimeMachineVolume {
            name: "time_mach".into(),
            uuid: apple::parse_uuid("0b5c4c39-1b7a-4d0e-9a52-3f2f4f6b7a11").unwrap(),
        };
        let txt = apple::adisk_txt(&[v]).unwrap();
        assert_eq!(&txt.strings()[0][..], b"sys=waMa=0,adVF=0x100");
        assert_eq!(
            &txt.strings()[1][..],
            &b"dk0=adVN=time_mach,adVF=0xa1,adVU=0b5c4c39-1b7a-4d0e-9a52-3f2f4f6b7a11"[..]
        );
        assert!(
            !txt.strings()
                .iter()
                .any(|s| s.windows(4).any(|w| w == b"0x82"))
        );
        let huge = apple::TimeMachineVolume {
            name: "v".repeat(250),
            uuid: [0; 16],
        };
        assert!(apple::adisk("zf", &[huge]).is_err());
    }
}
