//! The responder state machine on a virtual clock: every deadline is reached by jumping
//! straight to `poll_timeout`, so a multi-second exchange takes microseconds.

// The virtual clock starts from a real instant; everything after it is computed.
#![allow(clippy::disallowed_methods)]

mod common;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::*;
use mdns_records::dnssd::Service;
use mdns_records::dnssd::apple;
use mdns_records::responder::MDNS_PORT;
use mdns_records::{
    Config, Destination, Event, Family, Flags, Message, Question, RData, Record, RecordType,
    Responder, Srv, Transmit,
};

const A_ADDR: Ipv4Addr = Ipv4Addr::new(10, 253, 0, 1);

fn peer(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::new(10, 253, 0, 2), port))
}

fn zf(now: Instant, seed: u64) -> Responder {
    Responder::new(
        Config::new("zf", vec![IpAddr::V4(A_ADDR)], zf_services()),
        now,
        seed,
    )
}

fn drain(r: &mut Responder) -> Vec<(Destination, Message)> {
    let mut out = Vec::new();
    while let Some(Transmit {
        destination,
        payload,
    }) = r.poll_transmit()
    {
        out.push((
            destination,
            Message::decode(&payload).expect("we emit valid messages"),
        ));
    }
    out
}

/// Runs one responder alone until it is established; returns (time, message) of every
/// transmit.
fn run_alone(
    r: &mut Responder,
    mut now: Instant,
    until: Instant,
) -> (Instant, Vec<(Instant, Message)>) {
    let mut log = Vec::new();
    while let Some(t) = r.poll_timeout() {
        if t > until {
            break;
        }
        now = now.max(t);
        r.handle_timeout(now);
        log.extend(drain(r).into_iter().map(|(_, m)| (now, m)));
    }
    (now, log)
}

fn established(seed: u64) -> (Responder, Instant) {
    let start = Instant::now();
    let mut r = zf(start, seed);
    let (now, _) = run_alone(&mut r, start, start + Duration::from_secs(5));
    assert!(r.is_established());
    assert_eq!(r.poll_timeout(), None);
    (r, now + Duration::from_secs(5))
}

fn query(qname: &str, t: RecordType) -> Message {
    let mut q = Message::query();
    q.questions.push(Question::new(name(qname), t));
    q
}

#[test]
fn probes_three_times_then_announces_twice() {
    let start = Instant::now();
    let mut r = zf(start, 7);
    let first = r.poll_timeout().unwrap();
    assert!(first >= start && first <= start + Duration::from_millis(250));
    let (_, log) = run_alone(&mut r, start, start + Duration::from_secs(10));
    let probes: Vec<_> = log.iter().filter(|(_, m)| !m.flags.is_response()).collect();
    assert_eq!(probes.len(), 3);
    for w in probes.windows(2) {
        assert_eq!(w[1].0 - w[0].0, Duration::from_millis(250));
    }
    let p = &probes[0].1;
    // One ANY/QU question per unique name: the host and the three instances.
    assert_eq!(p.questions.len(), 4);
    assert!(
        p.questions
            .iter()
            .all(|q| q.qtype == RecordType::ANY && q.unicast_response)
    );
    assert!(p.authorities.iter().any(|r| r.rtype() == RecordType::SRV));
    let announcements: Vec<_> = log.iter().filter(|(_, m)| m.flags.is_response()).collect();
    assert_eq!(announcements.len(), 2);
    assert_eq!(announcements[0].0 - probes[2].0, Duration::from_millis(250));
    assert_eq!(
        announcements[1].0 - announcements[0].0,
        Duration::from_secs(1)
    );
    let a = &announcements[0].1;
    // 3 x (PTR, SRV, TXT, _services PTR) + A.
    assert_eq!(a.answers.len(), 13);
    for rec in &a.answers {
        let unique = matches!(
            rec.rtype(),
            RecordType::SRV | RecordType::TXT | RecordType::A
        );
        assert_eq!(rec.cache_flush, unique, "{rec:?}");
    }
    let events: Vec<Event> = std::iter::from_fn(|| r.poll_event()).collect();
    assert_eq!(events.len(), 4);
}

#[test]
fn conflicting_response_while_probing_renames() {
    let start = Instant::now();
    let mut r = zf(start, 1);
    let t = r.poll_timeout().unwrap();
    r.handle_timeout(t);
    drain(&mut r);
    // Another host already owns zf._afpovertcp._tcp.local. and zf.local.
    let mut other = Message::response();
    other.answers.push(
        Record::new(
            name("zf._afpovertcp._tcp.local"),
            120,
            RData::Srv(Srv {
                priority: 0,
                weight: 0,
                port: 548,
                target: name("other.local"),
            }),
        )
        .flush(),
    );
    other.answers.push(
        Record::new(
            name("zf.local"),
            120,
            RData::A(Ipv4Addr::new(10, 253, 0, 9)),
        )
        .flush(),
    );
    r.handle_message(t, peer(MDNS_PORT), &other);
    let events: Vec<Event> = std::iter::from_fn(|| r.poll_event()).collect();
    assert!(events.contains(&Event::Renamed {
        old: name("zf._afpovertcp._tcp.local"),
        new: name("zf (2)._afpovertcp._tcp.local"),
    }));
    assert!(events.contains(&Event::Renamed {
        old: name("zf.local"),
        new: name("zf-2.local"),
    }));
    run_alone(&mut r, t, t + Duration::from_secs(10));
    assert!(r.is_established());
    let names: Vec<String> = r.services().map(|s| s.instance().to_owned()).collect();
    assert_eq!(names, ["zf (2)", "zf", "zf"]);
    assert_eq!(r.host_name().to_string(), "zf-2.local.");
}

#[test]
fn simultaneous_probe_tie_break() {
    for (their_addr, we_lose) in [
        (Ipv4Addr::new(10, 253, 0, 200), true),
        (Ipv4Addr::new(10, 253, 0, 0), false),
    ] {
        let start = Instant::now();
        // Host name only, so the host group's schedule is the only deadline.
        let mut r = Responder::new(
            Config::new("zf", vec![IpAddr::V4(A_ADDR)], vec![]),
            start,
            3,
        );
        let t = r.poll_timeout().unwrap();
        r.handle_timeout(t);
        drain(&mut r);
        let mut probe = Message::query();
        probe.questions.push(Question {
            unicast_response: true,
            ..Question::new(name("zf.local"), RecordType::ANY)
        });
        probe
            .authorities
            .push(Record::new(name("zf.local"), 120, RData::A(their_addr)));
        r.handle_message(t, peer(MDNS_PORT), &probe);
        let next = r.poll_timeout().unwrap();
        if we_lose {
            // The loser waits one second, then probes again from the start.
            assert_eq!(next, t + Duration::from_secs(1));
        } else {
            assert_eq!(next, t + Duration::from_millis(250));
        }
        // Either way no rename.
        assert_eq!(r.poll_event(), None);
    }
}

#[test]
fn answers_shared_with_delay_and_unique_at_once_with_additionals() {
    let (mut r, now) = established(11);
    r.handle_message(
        now,
        peer(MDNS_PORT),
        &query("_afpovertcp._tcp.local", RecordType::PTR),
    );
    assert!(drain(&mut r).is_empty(), "shared answer waits 20-120 ms");
    let due = r.poll_timeout().unwrap();
    let delay = due - now;
    assert!(
        delay >= Duration::from_millis(20) && delay <= Duration::from_millis(120),
        "{delay:?}"
    );
    r.handle_timeout(due);
    let sent = drain(&mut r);
    assert_eq!(sent.len(), 1);
    let (dst, m) = &sent[0];
    assert_eq!(*dst, Destination::Multicast(Family::V4));
    assert_eq!(m.answers.len(), 1);
    assert!(
        matches!(&m.answers[0].data, RData::Ptr(n) if n.to_string() == "zf._afpovertcp._tcp.local.")
    );
    let types: Vec<RecordType> = m.additionals.iter().map(Record::rtype).collect();
    assert_eq!(
        types,
        [
            RecordType::SRV,
            RecordType::TXT,
            RecordType::A,
            RecordType::NSEC
        ]
    );

    // A unique record (SRV) is answered without delay.
    let later = due + Duration::from_secs(2);
    r.handle_message(
        later,
        peer(MDNS_PORT),
        &query("zf._adisk._tcp.local", RecordType::SRV),
    );
    let sent = drain(&mut r);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].1.answers[0].rtype(), RecordType::SRV);
}

#[test]
fn negative_answer_is_nsec() {
    let (mut r, now) = established(12);
    r.handle_message(now, peer(MDNS_PORT), &query("zf.local", RecordType::AAAA));
    let sent = drain(&mut r);
    assert_eq!(sent.len(), 1);
    let RData::Nsec(nsec) = &sent[0].1.answers[0].data else {
        panic!("NSEC expected")
    };
    assert_eq!(nsec.types(), [RecordType::A]);
}

#[test]
fn known_answer_suppression() {
    let (mut r, now) = established(13);
    let mut q = query("_afpovertcp._tcp.local", RecordType::PTR);
    q.answers.push(Record::new(
        name("_afpovertcp._tcp.local"),
        4000,
        RData::Ptr(name("zf._afpovertcp._tcp.local")),
    ));
    r.handle_message(now, peer(MDNS_PORT), &q);
    assert_eq!(r.poll_timeout(), None, "nothing to send");
    // With less than half the TTL left, the querier gets a fresh copy.
    q.answers[0].ttl = 2000;
    r.handle_message(now, peer(MDNS_PORT), &q);
    assert!(r.poll_timeout().is_some());
}

#[test]
fn tc_query_waits_for_more_known_answers() {
    let (mut r, now) = established(14);
    let mut q = query("_adisk._tcp.local", RecordType::PTR);
    q.flags = q.flags.with(Flags::TC);
    r.handle_message(now, peer(MDNS_PORT), &q);
    let due = r.poll_timeout().unwrap();
    assert!(due - now >= Duration::from_millis(400) && due - now <= Duration::from_millis(500));
    let mut more = Message::query();
    more.answers.push(Record::new(
        name("_adisk._tcp.local"),
        4500,
        RData::Ptr(name("zf._adisk._tcp.local")),
    ));
    r.handle_message(now + Duration::from_millis(10), peer(MDNS_PORT), &more);
    r.handle_timeout(due);
    assert!(drain(&mut r).is_empty());
}

#[test]
fn multicast_rate_limit() {
    let (mut r, now) = established(15);
    let q = query("zf._afpovertcp._tcp.local", RecordType::SRV);
    r.handle_message(now, peer(MDNS_PORT), &q);
    assert_eq!(drain(&mut r).len(), 1);
    r.handle_message(now + Duration::from_millis(500), peer(MDNS_PORT), &q);
    assert!(drain(&mut r).is_empty(), "within 1 s of the last multicast");
    r.handle_message(now + Duration::from_millis(1100), peer(MDNS_PORT), &q);
    assert_eq!(drain(&mut r).len(), 1);
}

#[test]
fn legacy_unicast_reply() {
    let (mut r, now) = established(16);
    let mut q = query("_afpovertcp._tcp.local", RecordType::PTR);
    q.id = 0xbeef;
    let from = peer(40000);
    r.handle_message(now, from, &q);
    let sent = drain(&mut r);
    assert_eq!(sent.len(), 1);
    let (dst, m) = &sent[0];
    assert_eq!(*dst, Destination::Unicast(from));
    assert_eq!(m.id, 0xbeef);
    assert_eq!(m.questions, q.questions);
    assert!(!m.answers.is_empty());
    for rec in m.answers.iter().chain(&m.additionals) {
        assert!(rec.ttl <= 10 && !rec.cache_flush, "{rec:?}");
    }
}

#[test]
fn qu_question_gets_unicast_when_recently_multicast() {
    let (mut r, now) = established(17);
    let mut q = query("zf._device-info._tcp.local", RecordType::TXT);
    q.questions[0].unicast_response = true;
    // Last multicast (the announcement) was 5 s ago, well within TTL/4.
    r.handle_message(now, peer(MDNS_PORT), &q);
    let sent = drain(&mut r);
    assert_eq!(sent[0].0, Destination::Unicast(peer(MDNS_PORT)));
    // Long after a quarter of the TXT's 4500 s TTL, the answer is multicast instead.
    let much_later = now + Duration::from_secs(1200);
    r.handle_message(much_later, peer(MDNS_PORT), &q);
    let sent = drain(&mut r);
    assert_eq!(sent[0].0, Destination::Multicast(Family::V4));
}

#[test]
fn defends_against_a_probe_for_its_names() {
    let (mut r, now) = established(18);
    let mut probe = Message::query();
    probe.questions.push(Question::new(
        name("zf._afpovertcp._tcp.local"),
        RecordType::ANY,
    ));
    probe.authorities.push(Record::new(
        name("zf._afpovertcp._tcp.local"),
        120,
        RData::Srv(Srv {
            priority: 0,
            weight: 0,
            port: 1,
            target: name("x.local"),
        }),
    ));
    r.handle_message(now, peer(MDNS_PORT), &probe);
    let sent = drain(&mut r);
    assert_eq!(sent.len(), 1, "defence goes out at once");
    assert!(
        sent[0]
            .1
            .answers
            .iter()
            .any(|a| a.rtype() == RecordType::SRV && a.cache_flush)
    );
    // 300 ms later a repeated probe is answered again (250 ms defence limit).
    r.handle_message(now + Duration::from_millis(300), peer(MDNS_PORT), &probe);
    assert_eq!(drain(&mut r).len(), 1);
}

#[test]
fn goodbye_on_shutdown() {
    let (mut r, now) = established(19);
    r.shutdown(now);
    let sent = drain(&mut r);
    assert_eq!(sent.len(), 1);
    let m = &sent[0].1;
    assert_eq!(m.answers.len(), 13);
    assert!(m.answers.iter().all(|a| a.ttl == 0));
    assert_eq!(r.poll_timeout(), None);
    r.handle_message(now, peer(MDNS_PORT), &query("zf.local", RecordType::A));
    assert!(drain(&mut r).is_empty());
}

#[test]
fn update_goodbyes_removed_and_probes_added() {
    let (mut r, now) = established(20);
    // SIGHUP: Time Machine volume list changes, device-info dropped.
    let mut second = time_mach();
    second.name = "tm2".into();
    second.uuid[0] ^= 1;
    let services = vec![
        apple::afp_server("zf", 548).unwrap(),
        apple::adisk("zf", &[time_mach(), second]).unwrap(),
        Service::new("zf", "_http._tcp", 80).unwrap(),
    ];
    r.set_services(now, services);
    let sent = drain(&mut r);
    assert_eq!(sent.len(), 1);
    let bye = &sent[0].1;
    assert!(bye.answers.iter().all(|a| a.ttl == 0));
    // PTR, SRV, TXT and the `_services._dns-sd._udp` PTR of `_device-info`.
    assert_eq!(bye.answers.len(), 4);
    let device_info = name("_device-info._tcp.local");
    assert!(
        bye.answers.iter().all(|a| a.name.ends_with(&device_info)
            || matches!(&a.data, RData::Ptr(p) if *p == device_info))
    );
    let (_, log) = run_alone(&mut r, now, now + Duration::from_secs(10));
    let probes: Vec<&Message> = log
        .iter()
        .map(|(_, m)| m)
        .filter(|m| !m.flags.is_response())
        .collect();
    assert_eq!(probes.len(), 3);
    assert_eq!(
        probes[0].questions.len(),
        1,
        "only the new _http instance is probed"
    );
    let announced: Vec<&Record> = log.iter().flat_map(|(_, m)| &m.answers).collect();
    assert!(
        announced
            .iter()
            .any(|a| matches!(&a.data, RData::Txt(t) if t.get("dk1").is_some()))
    );
}

#[test]
fn ipv6_addresses_and_both_families() {
    let start = Instant::now();
    let v6: Ipv6Addr = "fe80::1".parse().unwrap();
    let mut r = Responder::new(
        Config::new(
            "zf",
            vec![IpAddr::V4(A_ADDR), IpAddr::V6(v6)],
            zf_services(),
        ),
        start,
        5,
    );
    let mut dests = Vec::new();
    let mut now = start;
    while let Some(t) = r.poll_timeout() {
        now = t;
        r.handle_timeout(t);
        dests.extend(drain(&mut r));
    }
    assert!(
        dests
            .iter()
            .any(|(d, _)| *d == Destination::Multicast(Family::V6))
    );
    assert!(
        dests
            .iter()
            .any(|(d, _)| *d == Destination::Multicast(Family::V4))
    );
    let from6 = SocketAddr::from((Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 2), MDNS_PORT));
    r.handle_message(
        now + Duration::from_secs(3),
        from6,
        &query("zf.local", RecordType::AAAA),
    );
    let sent = drain(&mut r);
    assert_eq!(sent[0].0, Destination::Multicast(Family::V6));
    assert!(matches!(sent[0].1.answers[0].data, RData::Aaaa(a) if a == v6));
    assert!(
        sent[0]
            .1
            .additionals
            .iter()
            .any(|a| a.rtype() == RecordType::A)
    );
}

/// Two responders with the same names on one simulated link: one of them renames.
#[test]
fn two_hosts_same_name_converge() {
    let start = Instant::now();
    let mut hosts = [
        Responder::new(
            Config::new("zf", vec![IpAddr::V4(A_ADDR)], zf_services()),
            start,
            100,
        ),
        Responder::new(
            Config::new(
                "zf",
                vec![IpAddr::V4(Ipv4Addr::new(10, 253, 0, 2))],
                zf_services(),
            ),
            start,
            200,
        ),
    ];
    let addrs = [peer(MDNS_PORT).ip(), IpAddr::V4(A_ADDR)];
    let _ = addrs;
    let sources = [SocketAddr::from((A_ADDR, MDNS_PORT)), peer(MDNS_PORT)];
    let end = start + Duration::from_secs(30);
    let mut now = start;
    let mut steps = 0;
    while let Some(t) = hosts.iter().filter_map(Responder::poll_timeout).min() {
        if t > end {
            break;
        }
        now = now.max(t);
        for h in &mut hosts {
            if h.poll_timeout().is_some_and(|d| d <= now) {
                h.handle_timeout(now);
            }
        }
        // Deliver every datagram to the other host until the link is quiet.
        loop {
            let mut any = false;
            for i in 0..2 {
                while let Some(tx) = hosts[i].poll_transmit() {
                    any = true;
                    let deliver = match tx.destination {
                        Destination::Multicast(_) => true,
                        Destination::Unicast(a) => a == sources[1 - i],
                    };
                    if deliver {
                        let _ = hosts[1 - i].handle_packet(now, sources[i], &tx.payload);
                    }
                }
            }
            if !any {
                break;
            }
        }
        steps += 1;
        assert!(steps < 10_000);
    }
    assert!(hosts.iter().all(Responder::is_established));
    let names: Vec<String> = hosts.iter().map(|h| h.host_name().to_string()).collect();
    assert_ne!(names[0], names[1], "{names:?}");
    let instances: Vec<Vec<String>> = hosts
        .iter()
        .map(|h| h.services().map(|s| s.instance().to_owned()).collect())
        .collect();
    assert_ne!(instances[0], instances[1]);
    assert!(instances.iter().flatten().any(|n| n == "zf (2)"));
    let _ = Bytes::new();
}
