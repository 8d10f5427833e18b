//! The server status block against the worked example of spec §3.3 (391 bytes).

use std::net::Ipv4Addr;

use afp_proto::status::{NetworkAddress, ServerFlags, ServerStatus};
use afp_proto::{AfpVersion, CommandCode, Reply, ReplyContext};
use bytes::{Bytes, BytesMut};

fn icon() -> Bytes {
    Bytes::from((0..=255u8).collect::<Vec<u8>>())
}

fn example() -> ServerStatus {
    ServerStatus {
        flags: ServerFlags::NETATALK_DEFAULT,
        server_name: Bytes::from_static(b"myserver"),
        machine_type: Bytes::from_static(b"Netatalk3.1.7"),
        afp_versions: ["AFP2.2", "AFPX03", "AFP3.1", "AFP3.2", "AFP3.3", "AFP3.4"]
            .iter()
            .map(|v| Bytes::from_static(v.as_bytes()))
            .collect(),
        uams: vec![
            Bytes::from_static(b"DHCAST128"),
            Bytes::from_static(b"DHX2"),
        ],
        icon: Some(icon()),
        signature: Some(core::array::from_fn(|i| i as u8)),
        addresses: Some(vec![NetworkAddress::Ipv4(Ipv4Addr::new(192, 168, 1, 10))]),
        directory_names: Some(vec![]),
        utf8_server_name: Some(Bytes::from_static(b"myserver")),
    }
}

/// The bytes of spec §3.3, written out from its table.
fn expected() -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&[0x00, 0x1c, 0x00, 0x2a, 0x00, 0x55, 0x00, 0x65]);
    b.extend_from_slice(&[0x8f, 0x79]);
    b.extend_from_slice(b"\x08myserver");
    b.push(0x00);
    b.extend_from_slice(&[0x01, 0x65, 0x01, 0x75, 0x01, 0x7c, 0x01, 0x7d]);
    b.extend_from_slice(b"\x0dNetatalk3.1.7");
    assert_eq!(b.len(), 42);
    b.push(6);
    for v in ["AFP2.2", "AFPX03", "AFP3.1", "AFP3.2", "AFP3.3", "AFP3.4"] {
        b.push(6);
        b.extend_from_slice(v.as_bytes());
    }
    assert_eq!(b.len(), 85);
    b.extend_from_slice(b"\x02\x09DHCAST128\x04DHX2");
    assert_eq!(b.len(), 101);
    b.extend_from_slice(&icon());
    assert_eq!(b.len(), 357);
    b.extend((0..16u8).collect::<Vec<_>>());
    b.extend_from_slice(&[0x01, 0x06, 0x01, 0xc0, 0xa8, 0x01, 0x0a]);
    b.push(0x00);
    b.extend_from_slice(b"\x00\x08myserver");
    b
}

#[test]
fn worked_example_of_spec_3_3_byte_for_byte() {
    let mut dst = BytesMut::new();
    example().encode(&mut dst);
    assert_eq!(dst.len(), 391);
    assert_eq!(&dst[..], &expected()[..]);
    let decoded = ServerStatus::decode(&dst.freeze()).unwrap();
    assert_eq!(decoded, example());
}

#[test]
fn flags_of_netatalk_defaults() {
    // spec §3.2: bits 0,3,4,5,6,8,9,10,11,15.
    let f = ServerFlags::NETATALK_DEFAULT;
    for flag in [
        ServerFlags::SUPPORTS_COPY_FILE,
        ServerFlags::SUPPORTS_SERVER_MESSAGES,
        ServerFlags::SERVER_SIGNATURE,
        ServerFlags::SUPPORTS_TCP,
        ServerFlags::SUPPORTS_SERVER_NOTIFICATIONS,
        ServerFlags::SUPPORTS_DIRECTORY_SERVICES,
        ServerFlags::SUPPORTS_UTF8_SERVER_NAME,
        ServerFlags::SUPPORTS_UUIDS,
        ServerFlags::SUPPORTS_EXT_SLEEP,
        ServerFlags::SUPPORTS_SUPER_CLIENT,
    ] {
        assert!(f.contains(flag), "{flag:?}");
    }
    assert!(!f.contains(ServerFlags::SUPPORTS_RECONNECT));
    assert_eq!(f.bits(), 0x8F79);
}

#[test]
fn status_is_the_get_srvr_info_reply() {
    let body = Bytes::from(expected());
    let reply = Reply::decode(
        CommandCode::GET_SRVR_INFO,
        &body,
        ReplyContext::new(AfpVersion::V3_4),
    )
    .unwrap();
    assert_eq!(reply, Reply::GetSrvrInfo(example()));
    let mut dst = BytesMut::new();
    reply.encode(&mut dst);
    assert_eq!(&dst[..], &body[..]);
}

#[test]
fn every_address_tag_round_trips_and_unknown_tags_are_kept() {
    let s = ServerStatus {
        addresses: Some(vec![
            NetworkAddress::Ipv4(Ipv4Addr::new(10, 0, 0, 1)),
            NetworkAddress::Ipv4Port(Ipv4Addr::new(10, 0, 0, 2), 10548),
            NetworkAddress::Ddp {
                network: 0xFF00,
                node: 7,
                socket: 128,
            },
            NetworkAddress::Dns(Bytes::from_static(b"afp.example.org")),
            NetworkAddress::SshTunnel(Bytes::from_static(b"afp.example.org")),
            NetworkAddress::Ipv6("fe80::1".parse().unwrap()),
            NetworkAddress::Ipv6Port("2001:db8::2".parse().unwrap(), 548),
            NetworkAddress::Unknown {
                tag: 0x42,
                value: Bytes::from_static(b"xyz"),
            },
        ]),
        ..example()
    };
    let mut dst = BytesMut::new();
    s.encode(&mut dst);
    let back = ServerStatus::decode(&dst.freeze()).unwrap();
    assert_eq!(back, s);
}

#[test]
fn odd_and_even_server_names_pad_correctly() {
    for name in [&b"ab"[..], b"abc", b""] {
        let s = ServerStatus {
            server_name: Bytes::copy_from_slice(name),
            ..ServerStatus::default()
        };
        let mut dst = BytesMut::new();
        s.encode(&mut dst);
        // The signature offset field starts on an even offset.
        let after_name = 10 + 1 + name.len();
        let sig_at = after_name.next_multiple_of(2);
        assert_eq!(&dst[sig_at..sig_at + 2], &[0, 0]);
        assert_eq!(ServerStatus::decode(&dst.freeze()).unwrap(), s);
    }
}
