//! A multicast DNS responder as a sans-IO state machine (RFC 6762 §5–§11).
//!
//! The caller owns the sockets and the clock. Per network interface it creates one
//! [`Responder`], feeds it every received datagram with [`Responder::handle_packet`]
//! (with the time and the sender's address), calls [`Responder::handle_timeout`] when the
//! instant from [`Responder::poll_timeout`] has passed, and after each call drains
//! [`Responder::poll_transmit`] (datagrams to send) and [`Responder::poll_event`]
//! (names established or renamed). Nothing here reads the clock or the network.
//!
//! What it does, with the RFC 6762 section:
//!
//! | behaviour | § |
//! |---|---|
//! | probe every unique name: 0–250 ms random start, 3 ANY/QU queries 250 ms apart, proposed records in Authority | 8.1 |
//! | simultaneous probe tie-breaking; the loser probes again after 1 s | 8.2 |
//! | on a conflicting response while probing: rename (`zf (2)`, host `zf-2`) and probe again; 15 conflicts in 10 s slow probing to one per 5 s | 8.1, 9 |
//! | announce twice, 1 s apart, unique records with cache-flush | 8.3 |
//! | answer unique-only answers at once, shared ones after 20–120 ms, 400–500 ms after a TC query | 6 |
//! | per-record rate limit of 1 s per family (250 ms when defending against a probe) | 6 |
//! | known-answer suppression, including TC follow-up packets; duplicate answer suppression | 7.1, 7.2, 7.4 |
//! | QU questions answered by unicast unless the record was not multicast within a quarter of its TTL | 5.4 |
//! | legacy unicast (source port ≠ 5353): ID echoed, question repeated, TTL ≤ 10, no cache-flush, classic compression | 6.7 |
//! | NSEC negative answers and additional records (RFC 6763 §12) | 6.1, 6.2 |
//! | goodbye (TTL 0) on shutdown, on removed services and on renamed names | 10.1 |

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::dnssd::{self, Service};
use crate::error::DecodeError;
use crate::message::{Compression, ETHERNET_PAYLOAD, Flags, Message, Question, Record};
use crate::name::Name;
use crate::rdata::{Class, Nsec, RData, RecordType};

/// The mDNS UDP port.
pub const MDNS_PORT: u16 = 5353;
/// The IPv4 mDNS group 224.0.0.251.
pub const MDNS_IPV4: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 251);
/// The IPv6 mDNS group ff02::fb.
pub const MDNS_IPV6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0xfb);

const PROBE_INTERVAL: Duration = Duration::from_millis(250);
const PROBE_WAIT_MAX_MS: u64 = 250;
const PROBE_COUNT: u8 = 3;
const ANNOUNCE_COUNT: u8 = 2;
const ANNOUNCE_INTERVAL: Duration = Duration::from_secs(1);
const TIE_LOST_WAIT: Duration = Duration::from_secs(1);
const RATE_LIMIT: Duration = Duration::from_secs(1);
const DEFENCE_RATE_LIMIT: Duration = Duration::from_millis(250);
const LEGACY_MAX_TTL: u32 = 10;
const CONFLICT_LIMIT: usize = 15;
const CONFLICT_WINDOW: Duration = Duration::from_secs(10);
const CONFLICT_BACKOFF: Duration = Duration::from_secs(5);

/// IP family of a packet or a multicast group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// IPv4, group 224.0.0.251.
    V4,
    /// IPv6, group ff02::fb.
    V6,
}

impl Family {
    /// The family of an address.
    pub fn of(addr: IpAddr) -> Family {
        match addr {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some() => Family::V4,
            IpAddr::V6(_) => Family::V6,
        }
    }

    /// The mDNS group and port of this family.
    pub fn group(self) -> SocketAddr {
        match self {
            Family::V4 => SocketAddr::from((MDNS_IPV4, MDNS_PORT)),
            Family::V6 => SocketAddr::from((MDNS_IPV6, MDNS_PORT)),
        }
    }

    fn index(self) -> usize {
        match self {
            Family::V4 => 0,
            Family::V6 => 1,
        }
    }
}

/// Where a datagram goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    /// The mDNS group of that family on this responder's interface, port 5353.
    Multicast(Family),
    /// One host (QU or legacy unicast reply).
    Unicast(SocketAddr),
}

/// A datagram to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Where to send it.
    pub destination: Destination,
    /// The DNS message.
    pub payload: Bytes,
}

/// Something the application may want to log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Probing for this unique name succeeded; it is being announced.
    Established(Name),
    /// A conflict made us give up `old` for `new`.
    Renamed {
        /// The name lost.
        old: Name,
        /// The name now probed for.
        new: Name,
    },
}

/// What to publish on one interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Host label, e.g. `zf` for `zf.local.`.
    pub host: String,
    /// Addresses of this interface, published as A/AAAA.
    pub addresses: Vec<IpAddr>,
    /// Service instances; their SRV records point at the host.
    pub services: Vec<Service>,
    /// Largest datagram to send; bigger responses are split ([`ETHERNET_PAYLOAD`]).
    pub max_payload: usize,
}

impl Config {
    /// A configuration with the Ethernet payload limit.
    pub fn new(host: &str, addresses: Vec<IpAddr>, services: Vec<Service>) -> Self {
        Config {
            host: host.to_owned(),
            addresses,
            services,
            max_payload: ETHERNET_PAYLOAD,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Probing { sent: u8, next: Instant },
    Announcing { sent: u8, next: Instant },
    Done,
}

#[derive(Debug, Clone)]
struct Group {
    state: State,
    announced: bool,
}

impl Group {
    fn probing(next: Instant) -> Self {
        Group {
            state: State::Probing { sent: 0, next },
            announced: false,
        }
    }

    fn answerable(&self) -> bool {
        !matches!(self.state, State::Probing { .. })
    }
}

#[derive(Debug, Clone)]
struct Entry {
    requested: String,
    service: Service,
    group: Group,
}

#[derive(Debug, Clone)]
struct Owned {
    record: Record,
    unique: bool,
    /// 0 = host, i + 1 = service i.
    group: usize,
}

#[derive(Debug, Clone)]
struct PendingEntry {
    record: Record,
    additional: bool,
    defence: bool,
    requesters: Vec<SocketAddr>,
}

#[derive(Debug, Clone)]
struct Pending {
    deadline: Instant,
    entries: Vec<PendingEntry>,
}

type RecordKey = (Name, RecordType, RData);

/// The responder for one interface. See the module docs for the driving loop.
#[derive(Debug)]
pub struct Responder {
    host_label: String,
    host: Name,
    host_group: Group,
    addresses: Vec<IpAddr>,
    services: Vec<Entry>,
    max_payload: usize,
    records: Vec<Owned>,
    last_multicast: HashMap<RecordKey, [Option<Instant>; 2]>,
    pending: [Option<Pending>; 2],
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
    conflicts: VecDeque<Instant>,
    rng: u64,
    closed: bool,
}

impl Responder {
    /// Starts probing at a random instant in the next 250 ms. `seed` feeds the random
    /// delays (any value; take it from the OS in a binary, fix it in tests).
    pub fn new(config: Config, now: Instant, seed: u64) -> Self {
        let mut r = Responder {
            host: dnssd::host_name(&config.host).unwrap_or_else(|_| dnssd::local()),
            host_label: config.host,
            host_group: Group::probing(now),
            addresses: config.addresses,
            services: Vec::new(),
            max_payload: config.max_payload.max(512),
            records: Vec::new(),
            last_multicast: HashMap::new(),
            pending: [None, None],
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            conflicts: VecDeque::new(),
            rng: seed | 1,
            closed: false,
        };
        let start = now + r.random_ms(0, PROBE_WAIT_MAX_MS);
        r.host_group = Group::probing(start);
        r.services = config
            .services
            .into_iter()
            .map(|s| Entry {
                requested: s.instance().to_owned(),
                service: s,
                group: Group::probing(start),
            })
            .collect();
        r.rebuild();
        r
    }

    // ---- getters ----

    /// The host name currently owned or probed for (`zf.local.`).
    pub fn host_name(&self) -> &Name {
        &self.host
    }

    /// The services with their current (possibly renamed) instance names.
    pub fn services(&self) -> impl Iterator<Item = &Service> {
        self.services.iter().map(|e| &e.service)
    }

    /// True once every name has passed probing.
    pub fn is_established(&self) -> bool {
        self.host_group.answerable() && self.services.iter().all(|e| e.group.answerable())
    }

    /// True after [`Responder::shutdown`].
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    // ---- handle_* ----

    /// Feeds one received datagram from `source`. Messages with a non-zero OPCODE or
    /// RCODE are ignored (RFC 6762 §18.3, §18.11); undecodable ones are returned as an
    /// error for logging and otherwise ignored.
    pub fn handle_packet(
        &mut self,
        now: Instant,
        source: SocketAddr,
        payload: &[u8],
    ) -> Result<(), DecodeError> {
        let msg = Message::decode_slice(payload)?;
        self.handle_message(now, source, &msg);
        Ok(())
    }

    /// Feeds one decoded message from `source`.
    pub fn handle_message(&mut self, now: Instant, source: SocketAddr, msg: &Message) {
        // RFC 6762 §18.3: "Multicast DNS messages received with an OPCODE other than zero
        // MUST be silently ignored." §18.11: likewise for a non-zero RCODE.
        if self.closed || msg.flags.opcode() != 0 || msg.flags.rcode() != 0 {
            return;
        }
        if msg.flags.is_response() {
            self.handle_response(now, source, msg);
        } else {
            self.handle_query(now, source, msg);
        }
    }

    /// Runs whatever is due at `now` (probes, announcements, delayed answers).
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        self.run_probes(now);
        self.run_announcements(now);
        for family in [Family::V4, Family::V6] {
            if self.pending[family.index()]
                .as_ref()
                .is_some_and(|p| p.deadline <= now)
            {
                self.flush_pending(now, family);
            }
        }
    }

    // ---- mutators ----

    /// Replaces the published services (e.g. on SIGHUP). Removed instances get goodbyes,
    /// new ones are probed, changed ones (port, TXT) are announced again (RFC 6762 §8.4).
    pub fn set_services(&mut self, now: Instant, services: Vec<Service>) {
        if self.closed {
            return;
        }
        let mut old: Vec<Entry> = core::mem::take(&mut self.services);
        let mut goodbyes = Vec::new();
        for s in services {
            let found = old.iter().position(|e| {
                e.requested == s.instance()
                    && e.service
                        .service_type()
                        .eq_ignore_ascii_case(s.service_type())
            });
            match found {
                Some(i) => {
                    let mut e = old.swap_remove(i);
                    let changed = e.service.port() != s.port() || e.service.txt() != s.txt();
                    let current = e.service.instance().to_owned();
                    e.service = s;
                    let _ = e.service.set_instance(&current);
                    if changed && e.group.announced {
                        e.group.state = State::Announcing { sent: 0, next: now };
                    }
                    self.services.push(e);
                }
                None => self.services.push(Entry {
                    requested: s.instance().to_owned(),
                    service: s,
                    group: Group::probing(now),
                }),
            }
        }
        for e in old.iter().filter(|e| e.group.announced) {
            let kept_types: Vec<&Name> = self
                .services
                .iter()
                .map(|e| e.service.service_type())
                .collect();
            for (i, r) in e.service.records(&self.host).into_iter().enumerate() {
                // Keep the `_services` PTR if another instance still has that type.
                if i == 3
                    && kept_types
                        .iter()
                        .any(|t| t.eq_ignore_ascii_case(e.service.service_type()))
                {
                    continue;
                }
                goodbyes.push(r);
            }
        }
        self.send_goodbyes(goodbyes);
        self.rebuild();
        self.pending = [None, None];
    }

    /// Replaces the interface addresses: goodbyes for removed ones, announcements for the
    /// new set.
    pub fn set_addresses(&mut self, now: Instant, addresses: Vec<IpAddr>) {
        if self.closed || addresses == self.addresses {
            return;
        }
        let removed: Vec<IpAddr> = self
            .addresses
            .iter()
            .filter(|a| !addresses.contains(a))
            .copied()
            .collect();
        if self.host_group.announced {
            let goodbyes = dnssd::address_records(&self.host, &removed);
            self.send_goodbyes(goodbyes);
            self.host_group.state = State::Announcing { sent: 0, next: now };
        }
        self.addresses = addresses;
        self.rebuild();
        self.pending = [None, None];
    }

    /// Sends goodbyes (TTL 0) for everything announced and stops; later inputs are
    /// ignored. Drain [`Responder::poll_transmit`] afterwards.
    pub fn shutdown(&mut self, _now: Instant) {
        if self.closed {
            return;
        }
        let goodbyes: Vec<Record> = self
            .records
            .iter()
            .filter(|o| self.group(o.group).announced)
            .map(|o| o.record.clone())
            .collect();
        self.send_goodbyes(goodbyes);
        self.pending = [None, None];
        self.closed = true;
    }

    // ---- poll_* ----

    /// The next datagram to send. Call until `None` after every `handle_*` and mutator.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next application event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Responder::handle_timeout`] must next be called; `None` when closed.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.closed {
            return None;
        }
        let groups =
            core::iter::once(&self.host_group).chain(self.services.iter().map(|e| &e.group));
        let group_times = groups.filter_map(|g| match g.state {
            State::Probing { next, .. } | State::Announcing { next, .. } => Some(next),
            State::Done => None,
        });
        let pending = self.pending.iter().flatten().map(|p| p.deadline);
        group_times.chain(pending).min()
    }

    // ---- internals ----

    fn random(&mut self) -> u64 {
        // xorshift64*: plenty for spreading delays.
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn random_ms(&mut self, lo: u64, hi: u64) -> Duration {
        Duration::from_millis(lo + self.random() % (hi - lo + 1))
    }

    fn group(&self, g: usize) -> &Group {
        match g {
            0 => &self.host_group,
            i => &self.services[i - 1].group,
        }
    }

    fn group_mut(&mut self, g: usize) -> &mut Group {
        match g {
            0 => &mut self.host_group,
            i => &mut self.services[i - 1].group,
        }
    }

    fn group_count(&self) -> usize {
        1 + self.services.len()
    }

    /// The unique name a group owns.
    fn group_name(&self, g: usize) -> Name {
        match g {
            0 => self.host.clone(),
            i => self.services[i - 1]
                .service
                .instance_name()
                .unwrap_or_else(|_| self.host.clone()),
        }
    }

    fn families(&self) -> Vec<Family> {
        let mut out = Vec::with_capacity(2);
        for f in [Family::V4, Family::V6] {
            if self.addresses.iter().any(|a| Family::of(*a) == f) {
                out.push(f);
            }
        }
        if out.is_empty() {
            out.push(Family::V4);
        }
        out
    }

    fn rebuild(&mut self) {
        self.records.clear();
        for r in dnssd::address_records(&self.host, &self.addresses) {
            self.records.push(Owned {
                record: r,
                unique: true,
                group: 0,
            });
        }
        for (i, e) in self.services.iter().enumerate() {
            for (k, r) in e.service.records(&self.host).into_iter().enumerate() {
                let duplicate = self.records.iter().any(|o| same_rr(&o.record, &r));
                if !duplicate {
                    self.records.push(Owned {
                        record: r,
                        unique: k == 1 || k == 2,
                        group: i + 1,
                    });
                }
            }
        }
    }

    fn unique_records_of(&self, g: usize) -> Vec<&Record> {
        self.records
            .iter()
            .filter(|o| o.group == g && o.unique)
            .map(|o| &o.record)
            .collect()
    }

    /// The NSEC for a unique name we own (RFC 6762 §6.1).
    fn nsec_for(&self, g: usize) -> Record {
        if g == 0 {
            return dnssd::host_nsec(&self.host, &self.addresses);
        }
        let name = self.group_name(g);
        Record::new(
            name.clone(),
            dnssd::HOST_TTL,
            RData::Nsec(Nsec::new(name, [RecordType::SRV, RecordType::TXT])),
        )
        .flush()
    }

    fn send(&mut self, destination: Destination, msg: &Message, compression: Compression) {
        for payload in msg.encode_split(self.max_payload, compression) {
            self.transmits.push_back(Transmit {
                destination,
                payload,
            });
        }
    }

    fn multicast(&mut self, now: Instant, family: Family, msg: &Message) {
        for r in msg.answers.iter().chain(&msg.additionals) {
            let key = (r.name.to_ascii_lowercase(), r.rtype(), r.data.clone());
            self.last_multicast.entry(key).or_default()[family.index()] = Some(now);
        }
        self.send(Destination::Multicast(family), msg, Compression::Multicast);
    }

    fn last_multicast(&self, r: &Record, family: Family) -> Option<Instant> {
        let key = (r.name.to_ascii_lowercase(), r.rtype(), r.data.clone());
        self.last_multicast
            .get(&key)
            .and_then(|t| t[family.index()])
    }

    fn send_goodbyes(&mut self, records: Vec<Record>) {
        if records.is_empty() {
            return;
        }
        let mut msg = Message::response();
        msg.answers = records
            .into_iter()
            .map(|mut r| {
                r.ttl = 0;
                r
            })
            .collect();
        for family in self.families() {
            self.send(Destination::Multicast(family), &msg, Compression::Multicast);
        }
    }

    fn run_probes(&mut self, now: Instant) {
        let mut probing = Vec::new();
        for g in 0..self.group_count() {
            if let State::Probing { sent, next } = self.group(g).state
                && next <= now
            {
                if sent < PROBE_COUNT {
                    probing.push(g);
                    self.group_mut(g).state = State::Probing {
                        sent: sent + 1,
                        next: now + PROBE_INTERVAL,
                    };
                } else {
                    // RFC 6762 §8.1: no conflict 250 ms after the third probe: the name is ours.
                    self.group_mut(g).state = State::Announcing { sent: 0, next: now };
                    let name = self.group_name(g);
                    self.events.push_back(Event::Established(name));
                }
            }
        }
        if probing.is_empty() {
            return;
        }
        let mut msg = Message::query();
        for &g in &probing {
            msg.questions.push(Question {
                unicast_response: true,
                ..Question::new(self.group_name(g), RecordType::ANY)
            });
            for r in self.unique_records_of(g) {
                let mut r = r.clone();
                r.cache_flush = false;
                msg.authorities.push(r);
            }
        }
        for family in self.families() {
            self.send(Destination::Multicast(family), &msg, Compression::Multicast);
        }
    }

    fn run_announcements(&mut self, now: Instant) {
        let mut due = Vec::new();
        for g in 0..self.group_count() {
            if let State::Announcing { sent, next } = self.group(g).state
                && next <= now
            {
                due.push(g);
                let group = self.group_mut(g);
                group.announced = true;
                group.state = if sent + 1 >= ANNOUNCE_COUNT {
                    State::Done
                } else {
                    State::Announcing {
                        sent: sent + 1,
                        next: now + ANNOUNCE_INTERVAL,
                    }
                };
            }
        }
        if due.is_empty() {
            return;
        }
        let mut msg = Message::response();
        msg.answers = self
            .records
            .iter()
            .filter(|o| due.contains(&o.group))
            .map(|o| o.record.clone())
            .collect();
        for family in self.families() {
            self.multicast(now, family, &msg);
        }
    }

    /// Records answering `q`, and whether a negative (NSEC) answer is needed.
    fn answer(&self, q: &Question, out: &mut Vec<(Record, bool)>) {
        if q.qclass != Class::IN && q.qclass != Class::ANY {
            return;
        }
        let before = out.len();
        for o in &self.records {
            if self.group(o.group).answerable()
                && o.record.name.eq_ignore_ascii_case(&q.name)
                && (q.qtype == RecordType::ANY || q.qtype == o.record.rtype())
                && !out.iter().any(|(r, _)| same_rr(r, &o.record))
            {
                out.push((o.record.clone(), o.unique));
            }
        }
        if out.len() == before && q.qtype != RecordType::ANY {
            // RFC 6762 §6.1: for a name we own but a type we lack, answer with NSEC.
            for g in 0..self.group_count() {
                if self.group(g).answerable() && self.group_name(g).eq_ignore_ascii_case(&q.name) {
                    out.push((self.nsec_for(g), true));
                }
            }
        }
    }

    /// Additional records for `answers` (RFC 6763 §12, RFC 6762 §6.2).
    fn additionals(&self, answers: &[(Record, bool)]) -> Vec<Record> {
        let mut extra: Vec<Record> = Vec::new();
        let mut want_host = false;
        let push = |extra: &mut Vec<Record>, r: &Record| {
            if !answers.iter().any(|(a, _)| same_rr(a, r)) && !extra.iter().any(|e| same_rr(e, r)) {
                extra.push(r.clone());
            }
        };
        for (a, _) in answers {
            match &a.data {
                RData::Ptr(target) => {
                    for o in &self.records {
                        if o.unique && o.group != 0 && o.record.name.eq_ignore_ascii_case(target) {
                            push(&mut extra, &o.record);
                            want_host = true;
                        }
                    }
                }
                RData::Srv(srv) if srv.target.eq_ignore_ascii_case(&self.host) => want_host = true,
                RData::A(_) | RData::Aaaa(_) if a.name.eq_ignore_ascii_case(&self.host) => {
                    want_host = true;
                }
                _ => {}
            }
        }
        if want_host && self.host_group.answerable() {
            for o in self.records.iter().filter(|o| o.group == 0) {
                push(&mut extra, &o.record);
            }
            let families = self.addresses.iter().map(|a| Family::of(*a));
            let (v4, v6) = families.fold((false, false), |(v4, v6), f| {
                (v4 || f == Family::V4, v6 || f == Family::V6)
            });
            if !(v4 && v6) {
                push(&mut extra, &self.nsec_for(0));
            }
        }
        extra
    }

    fn handle_query(&mut self, now: Instant, source: SocketAddr, msg: &Message) {
        let family = Family::of(source.ip());
        // RFC 6762 §6.7: a query from a port other than 5353 comes from a simple resolver.
        let legacy = source.port() != MDNS_PORT;
        let probe = !msg.authorities.is_empty();
        if probe && !legacy {
            self.tie_break(now, msg);
        }
        if msg.questions.is_empty() {
            // A TC follow-up carrying only known answers (RFC 6762 §7.2).
            self.suppress_pending(family, source, &msg.answers);
            return;
        }
        let mut answers: Vec<(Record, bool)> = Vec::new();
        let mut unicast_wanted = true;
        for q in &msg.questions {
            self.answer(q, &mut answers);
            unicast_wanted &= q.unicast_response;
        }
        if !legacy {
            // RFC 6762 §7.1: "MUST NOT answer a Multicast DNS query if the answer it would
            // give is already included in the Answer Section with an RR TTL at least half
            // the correct value".
            answers.retain(|(r, _)| !known(&msg.answers, r));
        }
        if answers.is_empty() {
            return;
        }
        let mut additionals = self.additionals(&answers);
        if !legacy {
            additionals.retain(|r| !known(&msg.answers, r));
        }
        if legacy {
            let mut reply = Message {
                id: msg.id,
                flags: Flags::RESPONSE,
                questions: msg.questions.clone(),
                ..Message::default()
            };
            let cap = |mut r: Record| {
                // RFC 6762 §6.7: TTL no more than ten seconds, no cache-flush bit.
                r.ttl = r.ttl.min(LEGACY_MAX_TTL);
                r.cache_flush = false;
                r
            };
            reply.answers = answers.into_iter().map(|(r, _)| cap(r)).collect();
            reply.additionals = additionals.into_iter().map(cap).collect();
            self.send(Destination::Unicast(source), &reply, Compression::Classic);
            return;
        }
        let mut multicast_answers = Vec::new();
        let mut unicast_answers = Vec::new();
        for (r, unique) in answers {
            // RFC 6762 §5.4: answer QU by unicast unless the record was not multicast on
            // this interface within a quarter of its TTL.
            let recent = self.last_multicast(&r, family).is_some_and(|t| {
                now.saturating_duration_since(t) < Duration::from_secs(u64::from(r.ttl) / 4)
            });
            if unicast_wanted && recent {
                unicast_answers.push(r);
            } else {
                multicast_answers.push((r, unique));
            }
        }
        if !unicast_answers.is_empty() {
            let mut reply = Message::response();
            reply.id = msg.id;
            reply.additionals = additionals
                .iter()
                .filter(|r| !unicast_answers.iter().any(|a| same_rr(a, r)))
                .cloned()
                .collect();
            reply.answers = unicast_answers;
            self.send(Destination::Unicast(source), &reply, Compression::Multicast);
        }
        if multicast_answers.is_empty() {
            return;
        }
        // RFC 6762 §6: answers we are sure are unique go out at once; shared ones after
        // 20-120 ms; after a TC query wait 400-500 ms for the rest of the known answers.
        let all_unique = multicast_answers.iter().all(|(_, u)| *u);
        let delay = if msg.flags.truncated() {
            self.random_ms(400, 500)
        } else if all_unique {
            Duration::ZERO
        } else {
            self.random_ms(20, 120)
        };
        let deadline = now + delay;
        let pending = self.pending[family.index()].get_or_insert(Pending {
            deadline,
            entries: Vec::new(),
        });
        pending.deadline = pending.deadline.min(deadline);
        let entries = multicast_answers
            .into_iter()
            .map(|(r, _)| (r, false))
            .chain(additionals.into_iter().map(|r| (r, true)));
        for (record, additional) in entries {
            match pending
                .entries
                .iter_mut()
                .find(|e| same_rr(&e.record, &record))
            {
                Some(e) => {
                    e.additional &= additional;
                    e.defence |= probe;
                    if !e.requesters.contains(&source) {
                        e.requesters.push(source);
                    }
                }
                None => pending.entries.push(PendingEntry {
                    record,
                    additional,
                    defence: probe,
                    requesters: vec![source],
                }),
            }
        }
        if deadline <= now {
            self.flush_pending(now, family);
        }
    }

    fn suppress_pending(&mut self, family: Family, source: SocketAddr, known_answers: &[Record]) {
        if let Some(p) = self.pending[family.index()].as_mut() {
            for e in &mut p.entries {
                if known(known_answers, &e.record) {
                    e.requesters.retain(|s| *s != source);
                }
            }
            p.entries.retain(|e| !e.requesters.is_empty());
        }
    }

    fn flush_pending(&mut self, now: Instant, family: Family) {
        let Some(p) = self.pending[family.index()].take() else {
            return;
        };
        let mut msg = Message::response();
        for e in p.entries {
            let limit = if e.defence {
                DEFENCE_RATE_LIMIT
            } else {
                RATE_LIMIT
            };
            // RFC 6762 §6: "MUST NOT multicast a record on a given interface until at
            // least one second has elapsed since the last time that record was multicast".
            let recent = self
                .last_multicast(&e.record, family)
                .is_some_and(|t| now.saturating_duration_since(t) < limit);
            if recent {
                continue;
            }
            if e.additional {
                msg.additionals.push(e.record);
            } else {
                msg.answers.push(e.record);
            }
        }
        if !msg.answers.is_empty() {
            self.multicast(now, family, &msg);
        }
    }

    /// RFC 6762 §8.2 simultaneous probe tie-breaking.
    fn tie_break(&mut self, now: Instant, msg: &Message) {
        for g in 0..self.group_count() {
            let State::Probing { sent, .. } = self.group(g).state else {
                continue;
            };
            if sent == 0 {
                continue;
            }
            let name = self.group_name(g);
            if !msg
                .questions
                .iter()
                .any(|q| q.name.eq_ignore_ascii_case(&name))
            {
                continue;
            }
            let theirs: Vec<&Record> = msg
                .authorities
                .iter()
                .filter(|r| r.name.eq_ignore_ascii_case(&name))
                .collect();
            if theirs.is_empty() {
                continue;
            }
            let ours = self.unique_records_of(g);
            // "the host whose data is lexicographically later wins"; a list that is a
            // prefix of the other loses; identical lists are no conflict.
            if probe_order(&ours) < probe_order(&theirs) {
                self.group_mut(g).state = State::Probing {
                    sent: 0,
                    next: now + TIE_LOST_WAIT,
                };
            }
        }
    }

    fn handle_response(&mut self, now: Instant, source: SocketAddr, msg: &Message) {
        let family = Family::of(source.ip());
        for r in msg.answers.iter().chain(&msg.additionals) {
            if r.rtype() == RecordType::OPT {
                continue;
            }
            // RFC 6762 §7.4 duplicate answer suppression.
            if let Some(p) = self.pending[family.index()].as_mut() {
                p.entries.retain(|e| {
                    !(same_rr(&e.record, r) && u64::from(r.ttl) * 2 >= u64::from(e.record.ttl))
                });
            }
            if r.ttl == 0 {
                continue;
            }
            for g in 0..self.group_count() {
                if !r.name.eq_ignore_ascii_case(&self.group_name(g)) {
                    continue;
                }
                let ours = self.unique_records_of(g);
                if ours.iter().any(|o| same_rr(o, r)) {
                    continue;
                }
                match self.group(g).state {
                    State::Probing { .. } => self.rename(now, g),
                    _ => {
                        // RFC 6762 §9: same name, rrtype and rrclass, inconsistent rdata.
                        let same_type = ours
                            .iter()
                            .any(|o| o.rtype() == r.rtype() && o.class == r.class);
                        if same_type && r.cache_flush {
                            self.group_mut(g).state = State::Probing { sent: 0, next: now };
                        }
                    }
                }
            }
        }
    }

    fn rename(&mut self, now: Instant, g: usize) {
        let old = self.group_name(g);
        if self.group(g).announced {
            let goodbyes: Vec<Record> = self
                .records
                .iter()
                .filter(|o| o.group == g)
                .map(|o| o.record.clone())
                .collect();
            self.send_goodbyes(goodbyes);
        }
        self.conflicts.push_back(now);
        while self
            .conflicts
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) > CONFLICT_WINDOW)
        {
            self.conflicts.pop_front();
        }
        let wait = if self.conflicts.len() >= CONFLICT_LIMIT {
            CONFLICT_BACKOFF
        } else {
            Duration::ZERO
        };
        if g == 0 {
            self.host_label = dnssd::next_host_name(&self.host_label);
            self.host = dnssd::host_name(&self.host_label).unwrap_or_else(|_| self.host.clone());
            // Every SRV now points at the new host name: announce them again.
            for e in &mut self.services {
                if e.group.answerable() {
                    e.group.state = State::Announcing { sent: 0, next: now };
                }
            }
        } else {
            let s = &mut self.services[g - 1].service;
            let next = dnssd::next_instance_name(s.instance());
            let _ = s.set_instance(&next);
        }
        *self.group_mut(g) = Group::probing(now + wait);
        self.rebuild();
        self.pending = [None, None];
        let new = self.group_name(g);
        self.events.push_back(Event::Renamed { old, new });
    }
}

/// Same name (ASCII case-insensitive), type, class and rdata.
fn same_rr(a: &Record, b: &Record) -> bool {
    a.rtype() == b.rtype()
        && a.class == b.class
        && a.name.eq_ignore_ascii_case(&b.name)
        && a.data == b.data
}

/// True if `known_answers` lists `r` with at least half its TTL (RFC 6762 §7.1).
fn known(known_answers: &[Record], r: &Record) -> bool {
    known_answers
        .iter()
        .any(|k| same_rr(k, r) && u64::from(k.ttl) * 2 >= u64::from(r.ttl))
}

/// Records in RFC 6762 §8.2 order: class, type, then uncompressed rdata bytes.
fn probe_order(records: &[&Record]) -> Vec<(u16, u16, Vec<u8>)> {
    let mut out: Vec<(u16, u16, Vec<u8>)> = records
        .iter()
        .map(|r| {
            let mut rdata = Vec::new();
            r.data.encode_uncompressed(&mut rdata);
            (r.class.0, r.rtype().0, rdata)
        })
        .collect();
    out.sort();
    out
}
