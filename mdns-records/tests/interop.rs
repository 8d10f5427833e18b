//! Cross-checks with implementations we did not write (installed by CI):
//! - dnspython parses every message we emit and finds the same records, and we parse the
//!   messages dnspython builds (`tests/interop/dnspython_check.py`);
//! - tshark's DNS/mDNS dissector reports no malformed packet and no error for our output.
//!
//! These tests fail, never skip, when `python3` with dnspython, `text2pcap` or `tshark`
//! is missing: install `python3-dnspython` (or `pip install dnspython`) and `tshark`.

// The virtual clock starts from a real instant; everything after it is computed.
#![allow(clippy::disallowed_methods)]

mod common;

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use common::*;
use mdns_records::dnssd::{Service, apple};
use mdns_records::responder::MDNS_PORT;
use mdns_records::{
    Compression, Config, Message, Nsec, Question, RData, Record, RecordType, Responder, Srv, Txt,
    Unknown,
};

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/interop/dnspython_check.py"
);

fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd.output().unwrap_or_else(|e| {
        panic!(
            "{what}: cannot run {:?} ({e}); install it (see the test's module docs)",
            cmd.get_program()
        )
    });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{what} failed:\n{text}");
    text
}

/// The line format of `dnspython_check.py` for a decoded message.
fn lines(msg: &Message) -> String {
    let mut s = String::new();
    for q in &msg.questions {
        writeln!(
            s,
            "qd {} {} {}",
            hex(q.name.as_wire()),
            q.qtype.0,
            q.qclass.0
        )
        .unwrap();
    }
    for (tag, section) in [
        ("an", &msg.answers),
        ("ns", &msg.authorities),
        ("ar", &msg.additionals),
    ] {
        for r in section {
            let mut rdata = Vec::new();
            r.data.encode_uncompressed(&mut rdata);
            writeln!(
                s,
                "{tag} {} {} {} {} {}",
                hex(r.name.as_wire()),
                r.rtype().0,
                r.class.0,
                r.ttl,
                hex(&rdata)
            )
            .unwrap();
        }
    }
    s
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn drain(r: &mut Responder, out: &mut Vec<Bytes>) {
    while let Some(t) = r.poll_transmit() {
        out.push(t.payload);
    }
}

/// Every kind of message our code emits.
fn emitted() -> Vec<Bytes> {
    let mut out = Vec::new();
    let msg = example_message();
    out.push(msg.to_bytes());
    let mut dst = BytesMut::new();
    msg.encode_with(&mut dst, Compression::Multicast);
    out.push(dst.freeze());

    // A responder's whole life on a virtual clock: probes, announcements, answers of
    // every kind, legacy unicast, goodbyes; IPv4+IPv6 and a UTF-8 instance name.
    let start = Instant::now();
    let v6: Ipv6Addr = "fe80::1".parse().unwrap();
    let mut services = zf_services();
    services.push(
        Service::new("Büro. Server", "_http._tcp", 80)
            .unwrap()
            .with_txt(Txt::new().with("path", "/").unwrap()),
    );
    let mut r = Responder::new(
        Config::new(
            "zf",
            vec![IpAddr::V4(Ipv4Addr::new(10, 253, 0, 1)), IpAddr::V6(v6)],
            services,
        ),
        start,
        42,
    );
    let mut now = start;
    while let Some(t) = r.poll_timeout() {
        now = t;
        r.handle_timeout(t);
        drain(&mut r, &mut out);
    }
    let querier = SocketAddr::from((Ipv4Addr::new(10, 253, 0, 2), MDNS_PORT));
    let legacy = SocketAddr::from((Ipv4Addr::new(10, 253, 0, 2), 40000));
    let questions = [
        ("_afpovertcp._tcp.local", RecordType::PTR),
        ("_services._dns-sd._udp.local", RecordType::PTR),
        ("zf._adisk._tcp.local", RecordType::ANY),
        ("zf.local", RecordType::A),
        ("zf._device-info._tcp.local", RecordType::AAAA),
        ("Büro. Server._http._tcp.local", RecordType::SRV),
    ];
    for (i, (qname, t)) in questions.iter().enumerate() {
        now += Duration::from_secs(2);
        let mut q = Message::query();
        q.questions.push(Question::new(name_utf8(qname), *t));
        q.id = i as u16 + 1;
        for from in [querier, legacy] {
            r.handle_message(now, from, &q);
            drain(&mut r, &mut out);
            while let Some(t) = r.poll_timeout() {
                now = now.max(t);
                r.handle_timeout(now);
                drain(&mut r, &mut out);
            }
        }
    }
    r.shutdown(now);
    drain(&mut r, &mut out);

    // A message big enough to be split, with a record of each type.
    let mut big = Message::response();
    for i in 0..60u16 {
        let owner = name(&format!("host-{i}.local"));
        big.answers.push(
            Record::new(
                owner.clone(),
                120,
                RData::A(Ipv4Addr::new(10, 0, (i >> 8) as u8, i as u8)),
            )
            .flush(),
        );
        big.answers.push(Record::new(
            owner.clone(),
            120,
            RData::Nsec(Nsec::new(owner.clone(), [RecordType::A, RecordType(300)])),
        ));
        big.answers.push(Record::new(
            owner.clone(),
            10,
            RData::Unknown(Unknown::new(RecordType(65280), Bytes::from(vec![i as u8; 7])).unwrap()),
        ));
        big.answers.push(Record::new(
            name(&format!("s{i}._adisk._tcp.local")),
            120,
            RData::Srv(Srv {
                priority: i,
                weight: 1,
                port: 9,
                target: owner,
            }),
        ));
    }
    out.extend(big.encode_split(1452, Compression::Multicast));
    let _ = apple::AFP_PORT;
    out
}

fn name_utf8(s: &str) -> mdns_records::Name {
    mdns_records::Name::parse(s).unwrap()
}

#[test]
fn dnspython_parses_every_message_we_emit() {
    let dir = tempfile::tempdir().unwrap();
    let msgs = emitted();
    assert!(msgs.len() > 20, "only {} messages", msgs.len());
    for (i, bytes) in msgs.iter().enumerate() {
        let msg = Message::decode(bytes).unwrap();
        // Same layout with the mDNS bits cleared, so dnspython interprets every rdata.
        let mut plain = bytes.to_vec();
        clear_class_bits(&mut plain, &msg);
        let p = Message::decode(&Bytes::from(plain.clone())).unwrap();
        std::fs::write(dir.path().join(format!("{i:03}.bin")), bytes).unwrap();
        std::fs::write(dir.path().join(format!("{i:03}.plain.bin")), &plain).unwrap();
        std::fs::write(dir.path().join(format!("{i:03}.txt")), lines(&p)).unwrap();
    }
    let text = run(
        Command::new(python())
            .arg(SCRIPT)
            .arg("parse")
            .arg(dir.path()),
        "dnspython parse check",
    );
    assert!(
        text.contains(&format!("{} passed, 0 failed", msgs.len())),
        "{text}"
    );
}

/// Clears bit 15 of every QCLASS and CLASS (not OPT's) in place, by re-encoding: the
/// bits do not change the layout, so re-encoding with the same compression must give the
/// same length; we check that and fall back to patching by search otherwise.
fn clear_class_bits(bytes: &mut Vec<u8>, msg: &Message) {
    let mut m = msg.clone();
    for q in &mut m.questions {
        q.unicast_response = false;
    }
    for r in m
        .answers
        .iter_mut()
        .chain(&mut m.authorities)
        .chain(&mut m.additionals)
    {
        r.cache_flush = false;
    }
    for compression in [Compression::Classic, Compression::Multicast] {
        let mut again = BytesMut::new();
        msg.encode_with(&mut again, compression);
        if again[..] == bytes[..] {
            let mut plain = BytesMut::new();
            m.encode_with(&mut plain, compression);
            *bytes = plain.to_vec();
            return;
        }
    }
    panic!("a message we emitted does not re-encode identically");
}

#[test]
fn we_parse_every_message_dnspython_builds() {
    let dir = tempfile::tempdir().unwrap();
    run(
        Command::new(python())
            .arg(SCRIPT)
            .arg("build")
            .arg(dir.path()),
        "dnspython build",
    );
    let mut count = 0;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "bin") {
            let bytes = Bytes::from(std::fs::read(&path).unwrap());
            let msg = Message::decode(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let want = std::fs::read_to_string(path.with_extension("txt")).unwrap();
            assert_eq!(lines(&msg), want, "{}", path.display());
            // And we re-encode it to something that decodes to the same message.
            assert_eq!(Message::decode(&msg.to_bytes()).unwrap(), msg);
            count += 1;
        }
    }
    assert_eq!(count, 3);
}

#[test]
fn tshark_finds_no_malformed_packet_in_our_output() {
    let dir = tempfile::tempdir().unwrap();
    let msgs = emitted();
    let mut text = String::new();
    for m in &msgs {
        for (i, chunk) in m.chunks(16).enumerate() {
            write!(text, "{:06x}", i * 16).unwrap();
            for b in chunk {
                write!(text, " {b:02x}").unwrap();
            }
            text.push('\n');
        }
        text.push('\n');
    }
    let input = dir.path().join("packets.txt");
    let pcap = dir.path().join("packets.pcap");
    std::fs::write(&input, text).unwrap();
    run(
        Command::new("text2pcap")
            .args(["-q", "-4", "10.253.0.1,224.0.0.251", "-u", "5353,5353"])
            .arg(&input)
            .arg(&pcap),
        "text2pcap",
    );
    let frames = run(
        Command::new("tshark").arg("-r").arg(&pcap).args([
            "-Y",
            "mdns",
            "-T",
            "fields",
            "-e",
            "frame.number",
        ]),
        "tshark",
    );
    let numbered = frames
        .lines()
        .filter(|l| !l.is_empty() && l.trim().bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(numbered.count(), msgs.len(), "tshark saw:\n{frames}");
    let bad = run(
        Command::new("tshark").arg("-r").arg(&pcap).args([
            "-Y",
            "_ws.malformed || _ws.expert.severity >= 8388608",
            "-T",
            "fields",
            "-e",
            "frame.number",
        ]),
        "tshark",
    );
    let bad_frames: Vec<&str> = bad
        .lines()
        .filter(|l| l.trim().parse::<u32>().is_ok())
        .collect();
    assert!(bad_frames.is_empty(), "malformed or error frames: {bad}");
    let _ = Path::new("");
}
