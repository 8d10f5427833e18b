//! The server status block sent for DSIGetStatus and FPGetSrvrInfo (spec §3).
//!
//! ```text
//! off  size  field
//!  0   u16   MachineType offset
//!  2   u16   AFPVersionCount offset
//!  4   u16   UAMCount offset
//!  6   u16   VolumeIconAndMask offset (0 = no icon)
//!  8   u16   Flags
//! 10   pstr  ServerName (+ 0x00 pad to an even offset)
//!  n   u16   ServerSignature offset
//! n+2  u16   NetworkAddressesCount offset
//! n+4  u16   DirectoryNamesCount offset
//! n+6  u16   UTF-8 ServerName offset
//!      ...   variable areas, reachable only through the offsets
//! ```
//!
//! All offsets count from the start of the block. The encoder always writes the four
//! offsets after the server name (0 for an absent area) and lays the areas out in
//! netatalk's order: machine type, versions, UAMs, icon, signature, addresses, directory
//! names, UTF-8 name. Set flags 0x0010, 0x0020, 0x0100 and 0x0200 as netatalk does: some
//! clients (afpfs-ng, Wireshark) read an offset only when its flag is set.

use std::net::{Ipv4Addr, Ipv6Addr};

use bitflags::bitflags;
use bytes::{Bytes, BytesMut};

use crate::error::DecodeError;
use crate::wire::{Reader, Writer, clamp_u16};

bitflags! {
    /// Server flags (spec §3.2), the u16 at offset 8.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct ServerFlags: u16 {
        /// kSupportsCopyfile: FPCopyFile is supported.
        const SUPPORTS_COPY_FILE = 0x0001;
        /// kSupportsChgPwd: FPChangePassword is allowed.
        const SUPPORTS_CHANGE_PASSWORD = 0x0002;
        /// kDontAllowSavePwd: the client must not save the password.
        const DONT_ALLOW_SAVE_PASSWORD = 0x0004;
        /// kSupportsSrvrMsg: FPGetSrvrMsg is supported.
        const SUPPORTS_SERVER_MESSAGES = 0x0008;
        /// kSrvrSig: the server signature is present.
        const SERVER_SIGNATURE = 0x0010;
        /// kSupportsTCP: network addresses are present.
        const SUPPORTS_TCP = 0x0020;
        /// kSupportsSrvrNotify: the server sends notification attentions.
        const SUPPORTS_SERVER_NOTIFICATIONS = 0x0040;
        /// kSupportsReconnect.
        const SUPPORTS_RECONNECT = 0x0080;
        /// kSupportsDirServices: directory names are present.
        const SUPPORTS_DIRECTORY_SERVICES = 0x0100;
        /// kSupportsUTF8SrvrName: the UTF-8 server name is present.
        const SUPPORTS_UTF8_SERVER_NAME = 0x0200;
        /// kSupportsUUIDs.
        const SUPPORTS_UUIDS = 0x0400;
        /// kSupportsExtSleep: extended sleep (FPZzzzz flags).
        const SUPPORTS_EXT_SLEEP = 0x0800;
        /// kSupportsSuperClient (netatalk: "fast copying").
        const SUPPORTS_SUPER_CLIENT = 0x8000;
    }
}

impl ServerFlags {
    /// The flags netatalk 3.1 sends with its default configuration: 0x8F79.
    pub const NETATALK_DEFAULT: ServerFlags = ServerFlags::from_bits_retain(0x8F79);
}

/// One entry of the network address list (spec §3.1, tags 1–7).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NetworkAddress {
    /// Tag 1: IPv4 address (server on port 548).
    Ipv4(Ipv4Addr),
    /// Tag 2: IPv4 address and TCP port.
    Ipv4Port(Ipv4Addr, u16),
    /// Tag 3: AppleTalk DDP address.
    Ddp {
        /// Network number.
        network: u16,
        /// Node ID.
        node: u8,
        /// Socket number.
        socket: u8,
    },
    /// Tag 4: DNS name (no terminator).
    Dns(Bytes),
    /// Tag 5: address to reach through an SSH tunnel (netatalk sends an FQDN).
    SshTunnel(Bytes),
    /// Tag 6: IPv6 address.
    Ipv6(Ipv6Addr),
    /// Tag 7: IPv6 address and TCP port.
    Ipv6Port(Ipv6Addr, u16),
    /// Any other tag, or a known tag with an unexpected length, kept as it came.
    Unknown {
        /// The tag byte.
        tag: u8,
        /// The address bytes (at most 253).
        value: Bytes,
    },
}

impl NetworkAddress {
    fn read(r: &mut Reader<'_>) -> Result<NetworkAddress, DecodeError> {
        // spec §3.1: "u8 length (counts the length byte, tag byte and address), u8 tag".
        let len = r.u8("network address length")?;
        if len < 2 {
            return Err(DecodeError::Invalid("network address length"));
        }
        let tag = r.u8("network address tag")?;
        let value = r.bytes(usize::from(len) - 2, "network address")?;
        let v = &value[..];
        Ok(match (tag, v.len()) {
            (1, 4) => NetworkAddress::Ipv4(Ipv4Addr::new(v[0], v[1], v[2], v[3])),
            (2, 6) => NetworkAddress::Ipv4Port(
                Ipv4Addr::new(v[0], v[1], v[2], v[3]),
                u16::from_be_bytes([v[4], v[5]]),
            ),
            (3, 4) => NetworkAddress::Ddp {
                network: u16::from_be_bytes([v[0], v[1]]),
                node: v[2],
                socket: v[3],
            },
            (4, _) => NetworkAddress::Dns(value),
            (5, _) => NetworkAddress::SshTunnel(value),
            (6, 16) => NetworkAddress::Ipv6(Ipv6Addr::from(ip6(v))),
            (7, 18) => {
                NetworkAddress::Ipv6Port(Ipv6Addr::from(ip6(v)), u16::from_be_bytes([v[16], v[17]]))
            }
            _ => NetworkAddress::Unknown { tag, value },
        })
    }

    fn write(&self, w: &mut Writer<'_>) {
        let mut entry = |tag: u8, value: &[u8]| {
            let value = &value[..value.len().min(253)];
            w.u8(value.len() as u8 + 2);
            w.u8(tag);
            w.bytes(value);
        };
        match self {
            NetworkAddress::Ipv4(a) => entry(1, &a.octets()),
            NetworkAddress::Ipv4Port(a, port) => {
                let mut v = [0u8; 6];
                v[..4].copy_from_slice(&a.octets());
                v[4..].copy_from_slice(&port.to_be_bytes());
                entry(2, &v);
            }
            NetworkAddress::Ddp {
                network,
                node,
                socket,
            } => {
                let n = network.to_be_bytes();
                entry(3, &[n[0], n[1], *node, *socket]);
            }
            NetworkAddress::Dns(name) => entry(4, name),
            NetworkAddress::SshTunnel(name) => entry(5, name),
            NetworkAddress::Ipv6(a) => entry(6, &a.octets()),
            NetworkAddress::Ipv6Port(a, port) => {
                let mut v = [0u8; 18];
                v[..16].copy_from_slice(&a.octets());
                v[16..].copy_from_slice(&port.to_be_bytes());
                entry(7, &v);
            }
            NetworkAddress::Unknown { tag, value } => entry(*tag, value),
        }
    }
}

fn ip6(v: &[u8]) -> [u8; 16] {
    let mut a = [0u8; 16];
    a.copy_from_slice(&v[..16]);
    a
}

/// The server status block (FPGetSrvrInfo reply, DSIGetStatus reply).
///
/// String fields are raw bytes: `server_name`, `machine_type`, each version, UAM and
/// directory name are pstrs (at most 255 bytes encoded; netatalk limits the server name to
/// 31 and the machine type to 16). `icon` is exactly 256 bytes on the wire (cut or
/// zero-padded). An absent area (`None`) is written as offset 0.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerStatus {
    /// Server flags.
    pub flags: ServerFlags,
    /// Server name in the legacy Mac encoding.
    pub server_name: Bytes,
    /// Machine type, e.g. `Netatalk3.1.7`.
    pub machine_type: Bytes,
    /// AFP version strings offered (`AFP3.4`, …).
    pub afp_versions: Vec<Bytes>,
    /// UAM names offered (`DHX2`, …).
    pub uams: Vec<Bytes>,
    /// 32×32 icon and mask, 256 bytes.
    pub icon: Option<Bytes>,
    /// Server signature, 16 bytes.
    pub signature: Option<[u8; 16]>,
    /// Network addresses.
    pub addresses: Option<Vec<NetworkAddress>>,
    /// Directory names (the Kerberos principal).
    pub directory_names: Option<Vec<Bytes>>,
    /// UTF-8 server name (u16 length form, netatalk's layout; at most 65535 bytes).
    pub utf8_server_name: Option<Bytes>,
}

/// Size of the icon-and-mask area.
pub const ICON_LEN: usize = 256;

impl ServerStatus {
    /// Decodes a whole status block.
    ///
    /// Areas are reached through their offsets only; an offset of 0 means the area is
    /// absent (the machine type, versions and UAMs are then empty). Offsets that point
    /// outside the block fail with [`DecodeError::BadOffset`].
    pub fn decode(block: &Bytes) -> Result<ServerStatus, DecodeError> {
        let mut r = Reader::new(block);
        let machine_off = r.u16("machine type offset")?;
        let versions_off = r.u16("AFP versions offset")?;
        let uams_off = r.u16("UAMs offset")?;
        let icon_off = r.u16("icon offset")?;
        let flags = ServerFlags::from_bits_retain(r.u16("server flags")?);
        let server_name = r.pstr("server name")?;
        r.pad_to_even();
        // spec §3.1: Apple says the four offsets after ServerName are always present.
        let sig_off = r.u16("signature offset")?;
        let addr_off = r.u16("network addresses offset")?;
        let dir_off = r.u16("directory names offset")?;
        let utf8_off = r.u16("UTF-8 server name offset")?;

        let at = |off: u16, what: &'static str| -> Result<Option<Reader<'_>>, DecodeError> {
            match usize::from(off) {
                0 => Ok(None),
                o if o > block.len() => Err(DecodeError::BadOffset(what)),
                o => Ok(Some(Reader::at(block, o))),
            }
        };
        let bad = |what| move |_| DecodeError::BadOffset(what);

        let machine_type = match at(machine_off, "machine type")? {
            Some(mut r) => r.pstr("machine type").map_err(bad("machine type"))?,
            None => Bytes::new(),
        };
        let afp_versions = match at(versions_off, "AFP versions")? {
            Some(mut r) => pstr_list(&mut r, "AFP versions").map_err(bad("AFP versions"))?,
            None => Vec::new(),
        };
        let uams = match at(uams_off, "UAMs")? {
            Some(mut r) => pstr_list(&mut r, "UAMs").map_err(bad("UAMs"))?,
            None => Vec::new(),
        };
        let icon = match at(icon_off, "icon")? {
            Some(mut r) => Some(r.bytes(ICON_LEN, "icon").map_err(bad("icon"))?),
            None => None,
        };
        let signature = match at(sig_off, "server signature")? {
            Some(mut r) => Some(
                r.array("server signature")
                    .map_err(bad("server signature"))?,
            ),
            None => None,
        };
        let addresses = match at(addr_off, "network addresses")? {
            Some(mut r) => {
                let count = r
                    .u8("network address count")
                    .map_err(bad("network addresses"))?;
                let mut list = Vec::with_capacity(usize::from(count));
                for _ in 0..count {
                    list.push(NetworkAddress::read(&mut r)?);
                }
                Some(list)
            }
            None => None,
        };
        let directory_names = match at(dir_off, "directory names")? {
            Some(mut r) => {
                Some(pstr_list(&mut r, "directory names").map_err(bad("directory names"))?)
            }
            None => None,
        };
        let utf8_server_name = match at(utf8_off, "UTF-8 server name")? {
            Some(mut r) => Some(
                r.u16_str("UTF-8 server name")
                    .map_err(bad("UTF-8 server name"))?,
            ),
            None => None,
        };
        Ok(ServerStatus {
            flags,
            server_name,
            machine_type,
            afp_versions,
            uams,
            icon,
            signature,
            addresses,
            directory_names,
            utf8_server_name,
        })
    }

    /// Appends the block to `dst`, in netatalk's layout.
    pub fn encode(&self, dst: &mut BytesMut) {
        self.write(&mut Writer::new(dst));
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) {
        let machine_at = w.reserve_u16();
        let versions_at = w.reserve_u16();
        let uams_at = w.reserve_u16();
        let icon_at = w.reserve_u16();
        w.u16(self.flags.bits());
        w.pstr(&self.server_name);
        w.pad_to_even();
        let sig_at = w.reserve_u16();
        let addr_at = w.reserve_u16();
        let dir_at = w.reserve_u16();
        let utf8_at = w.reserve_u16();

        w.patch_u16(machine_at, clamp_u16(w.pos()));
        w.pstr(&self.machine_type);
        w.patch_u16(versions_at, clamp_u16(w.pos()));
        write_pstr_list(w, &self.afp_versions);
        w.patch_u16(uams_at, clamp_u16(w.pos()));
        write_pstr_list(w, &self.uams);
        if let Some(icon) = &self.icon {
            w.patch_u16(icon_at, clamp_u16(w.pos()));
            let n = icon.len().min(ICON_LEN);
            w.bytes(&icon[..n]);
            w.bytes(&[0u8; ICON_LEN][..ICON_LEN - n]);
        }
        if let Some(sig) = &self.signature {
            w.patch_u16(sig_at, clamp_u16(w.pos()));
            w.bytes(sig);
        }
        if let Some(addresses) = &self.addresses {
            w.patch_u16(addr_at, clamp_u16(w.pos()));
            let list = &addresses[..addresses.len().min(255)];
            w.u8(list.len() as u8);
            for a in list {
                a.write(w);
            }
        }
        if let Some(names) = &self.directory_names {
            w.patch_u16(dir_at, clamp_u16(w.pos()));
            write_pstr_list(w, names);
        }
        if let Some(name) = &self.utf8_server_name {
            w.patch_u16(utf8_at, clamp_u16(w.pos()));
            w.u16_str(name);
        }
    }
}

fn pstr_list(r: &mut Reader<'_>, what: &'static str) -> Result<Vec<Bytes>, DecodeError> {
    let count = r.u8(what)?;
    let mut list = Vec::with_capacity(usize::from(count));
    for _ in 0..count {
        list.push(r.pstr(what)?);
    }
    Ok(list)
}

fn write_pstr_list(w: &mut Writer<'_>, list: &[Bytes]) {
    let list = &list[..list.len().min(255)];
    w.u8(list.len() as u8);
    for s in list {
        w.pstr(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_with_unexpected_length_is_kept() {
        let s = ServerStatus {
            addresses: Some(vec![
                NetworkAddress::Unknown {
                    tag: 1,
                    value: Bytes::from_static(&[1, 2, 3]),
                },
                NetworkAddress::Unknown {
                    tag: 9,
                    value: Bytes::new(),
                },
            ]),
            ..ServerStatus::default()
        };
        let mut dst = BytesMut::new();
        s.encode(&mut dst);
        assert_eq!(ServerStatus::decode(&dst.freeze()).unwrap(), s);
    }

    #[test]
    fn offsets_outside_block_are_rejected() {
        let mut dst = BytesMut::new();
        ServerStatus::default().encode(&mut dst);
        dst[0] = 0xFF;
        assert_eq!(
            ServerStatus::decode(&dst.freeze()),
            Err(DecodeError::BadOffset("machine type"))
        );
    }
}
