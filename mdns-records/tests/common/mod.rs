//! Shared test helpers: the worked example's records and proptest strategies.
#![allow(dead_code, unreachable_pub)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bytes::Bytes;
use mdns_records::dnssd::{self, apple};
use mdns_records::{
    Class, EdnsOption, Message, Name, Nsec, Opt, Question, RData, Record, RecordType, Srv, Txt,
    Unknown,
};
use proptest::prelude::*;

pub const EXAMPLE: &[u8] = include_bytes!("../data/example.bin");
pub const EXAMPLE_GOODBYE: &[u8] = include_bytes!("../data/example-goodbye.bin");

pub fn name(s: &str) -> Name {
    Name::parse(s).unwrap()
}

pub fn time_mach() -> apple::TimeMachineVolume {
    apple::TimeMachineVolume {
        name: "time_mach".into(),
        uuid: apple::parse_uuid("0b5c4c39-1b7a-4d0e-9a52-3f2f4f6b7a11").unwrap(),
    }
}

/// The Apple services of server "zf" (spec §5).
pub fn zf_services() -> Vec<dnssd::Service> {
    vec![
        apple::afp_server("zf", apple::AFP_PORT).unwrap(),
        apple::device_info("zf", None).unwrap(),
        apple::adisk("zf", &[time_mach()]).unwrap(),
    ]
}

/// The announcement the spec walks through in §5, built from the DNS-SD builders.
pub fn example_message() -> Message {
    let host = dnssd::host_name("zf").unwrap();
    let mut msg = Message::response();
    let mut enumeration = Vec::new();
    for s in zf_services() {
        let [ptr, srv, txt, services] = s.records(&host);
        msg.answers.extend([ptr, srv, txt]);
        enumeration.push(services);
    }
    msg.answers.extend(enumeration);
    let addrs = [IpAddr::V4(Ipv4Addr::new(10, 253, 0, 1))];
    msg.answers.extend(dnssd::address_records(&host, &addrs));
    msg.additionals.push(dnssd::host_nsec(&host, &addrs));
    msg
}

fn label() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        "[a-zA-Z0-9_-]{1,12}".prop_map(String::into_bytes),
        "[ -~éü☃]{1,10}".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 1..=63),
    ]
}

pub fn arb_name() -> impl Strategy<Value = Name> {
    proptest::collection::vec(
        prop_oneof![label(), Just(b"local".to_vec()), Just(b"_tcp".to_vec())],
        0..5,
    )
    .prop_map(|labels| Name::from_labels(labels).unwrap_or_else(|_| Name::root()))
}

fn arb_bytes(max: usize) -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(any::<u8>(), 0..max).prop_map(Bytes::from)
}

pub fn arb_rdata() -> impl Strategy<Value = RData> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(|a| RData::A(Ipv4Addr::from(a))),
        any::<[u8; 16]>().prop_map(|a| RData::Aaaa(Ipv6Addr::from(a))),
        arb_name().prop_map(RData::Ptr),
        (any::<u16>(), any::<u16>(), any::<u16>(), arb_name()).prop_map(
            |(priority, weight, port, target)| {
                RData::Srv(Srv {
                    priority,
                    weight,
                    port,
                    target,
                })
            }
        ),
        proptest::collection::vec(arb_bytes(40), 0..5)
            .prop_map(|s| RData::Txt(Txt::from_strings(s).unwrap())),
        (arb_name(), proptest::collection::vec(any::<u16>(), 0..6))
            .prop_map(|(n, t)| RData::Nsec(Nsec::new(n, t.into_iter().map(RecordType)))),
        (
            prop_oneof![
                2u16..12,
                13u16..16,
                17u16..28,
                29u16..33,
                34u16..41,
                42u16..47,
                48u16..=u16::MAX
            ],
            arb_bytes(30)
        )
            .prop_map(|(t, d)| RData::Unknown(Unknown::new(RecordType(t), d).unwrap())),
    ]
}

pub fn arb_record() -> impl Strategy<Value = Record> {
    (
        arb_name(),
        0u16..0x8000,
        any::<bool>(),
        any::<u32>(),
        arb_rdata(),
    )
        .prop_map(|(name, class, cache_flush, ttl, data)| Record {
            name,
            class: Class(class),
            cache_flush,
            ttl,
            data,
        })
}

fn arb_opt() -> impl Strategy<Value = Record> {
    (
        any::<u16>(),
        any::<u32>(),
        proptest::collection::vec((any::<u16>(), arb_bytes(12)), 0..3),
    )
        .prop_map(|(size, ttl, opts)| Record {
            name: Name::root(),
            class: Class(size),
            cache_flush: false,
            ttl,
            data: RData::Opt(Opt {
                options: opts
                    .into_iter()
                    .map(|(code, data)| EdnsOption { code, data })
                    .collect(),
            }),
        })
}

pub fn arb_question() -> impl Strategy<Value = Question> {
    (arb_name(), any::<u16>(), 0u16..0x8000, any::<bool>()).prop_map(|(name, t, c, qu)| Question {
        name,
        qtype: RecordType(t),
        qclass: Class(c),
        unicast_response: qu,
    })
}

pub fn arb_message() -> impl Strategy<Value = Message> {
    (
        any::<u16>(),
        any::<u16>(),
        proptest::collection::vec(arb_question(), 0..4),
        proptest::collection::vec(arb_record(), 0..6),
        proptest::collection::vec(arb_record(), 0..3),
        proptest::collection::vec(prop_oneof![arb_record(), arb_opt()], 0..3),
    )
        .prop_map(
            |(id, flags, questions, answers, authorities, additionals)| Message {
                id,
                flags: mdns_records::Flags(flags),
                questions,
                answers,
                authorities,
                additionals,
            },
        )
}
