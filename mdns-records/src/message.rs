//! DNS messages (RFC 1035 §4.1) with the mDNS class bits (RFC 6762 §18).
//!
//! ```text
//!  0      2      4        6        8        10       12
//!  +------+------+--------+--------+--------+--------+----------------------------+
//!  |  ID  | flags| QDCOUNT| ANCOUNT| NSCOUNT| ARCOUNT| questions, answers,        |
//!  +------+------+--------+--------+--------+--------+ authority, additional ...  |
//!  question: QNAME, QTYPE u16, QCLASS u16 (bit 15 = unicast-response "QU")
//!  record:   NAME, TYPE u16, CLASS u16 (bit 15 = cache-flush, except OPT), TTL u32,
//!            RDLENGTH u16, RDATA
//! ```
//!
//! Decoding is strict: counts must match the records present, nothing may follow the last
//! section, and every name and rdata is checked (see [`DecodeError`]). Encoding compresses
//! names (RFC 1035 §4.1.4) and cannot fail; [`Message::encode_split`] spreads a large
//! message over several packets (RFC 6762 §7.2, §17).

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::DecodeError;
use crate::name::Name;
use crate::rdata::{Class, RData, RecordType};

/// Largest DNS payload in one mDNS packet: 9000 bytes minus IPv6 and UDP headers
/// (RFC 6762 §17).
pub const MAX_MDNS_PAYLOAD: usize = 9000 - 40 - 8;
/// DNS payload that fits a 1500-byte Ethernet MTU over IPv6 (and so also IPv4).
pub const ETHERNET_PAYLOAD: usize = 1500 - 40 - 8;

const HEADER_LEN: usize = 12;
const CLASS_TOP_BIT: u16 = 0x8000;

/// The header flags word (RFC 1035 §4.1.1), kept whole so unknown bits survive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flags(pub u16);

impl Flags {
    /// QR: this is a response.
    pub const QR: u16 = 0x8000;
    /// AA: authoritative answer (set in every mDNS response).
    pub const AA: u16 = 0x0400;
    /// TC: in an mDNS query, more known answers follow (RFC 6762 §7.2).
    pub const TC: u16 = 0x0200;
    /// RD: recursion desired.
    pub const RD: u16 = 0x0100;
    /// A standard query.
    pub const QUERY: Flags = Flags(0);
    /// An authoritative response, `0x8400`, as mDNS responders send (RFC 6762 §18.2–18.4).
    pub const RESPONSE: Flags = Flags(Self::QR | Self::AA);

    /// True for a response.
    pub fn is_response(self) -> bool {
        self.0 & Self::QR != 0
    }

    /// True when TC is set.
    pub fn truncated(self) -> bool {
        self.0 & Self::TC != 0
    }

    /// The 4-bit OPCODE.
    pub fn opcode(self) -> u8 {
        ((self.0 >> 11) & 0xf) as u8
    }

    /// The 4-bit RCODE.
    pub fn rcode(self) -> u8 {
        (self.0 & 0xf) as u8
    }

    /// These flags with `bits` set.
    pub fn with(self, bits: u16) -> Flags {
        Flags(self.0 | bits)
    }
}

/// A question (RFC 1035 §4.1.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Question {
    /// QNAME.
    pub name: Name,
    /// QTYPE.
    pub qtype: RecordType,
    /// QCLASS without the top bit.
    pub qclass: Class,
    /// The top bit of QCLASS: the querier accepts a unicast reply (RFC 6762 §5.4).
    pub unicast_response: bool,
}

impl Question {
    /// A multicast ("QM") question of class IN.
    pub fn new(name: Name, qtype: RecordType) -> Self {
        Question {
            name,
            qtype,
            qclass: Class::IN,
            unicast_response: false,
        }
    }
}

/// A resource record (RFC 1035 §4.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Record {
    /// Owner name.
    pub name: Name,
    /// Class without the top bit; for OPT, the whole 16-bit UDP payload size.
    pub class: Class,
    /// The top bit of CLASS: this record replaces cached ones of the same name, type and
    /// class (RFC 6762 §10.2). Always false for OPT.
    pub cache_flush: bool,
    /// Time to live in seconds; 0 is a goodbye (RFC 6762 §10.1).
    pub ttl: u32,
    /// The rdata, which also gives the type.
    pub data: RData,
}

impl Record {
    /// A record of class IN without the cache-flush bit.
    pub fn new(name: Name, ttl: u32, data: RData) -> Self {
        Record {
            name,
            class: Class::IN,
            cache_flush: false,
            ttl,
            data,
        }
    }

    /// This record with the cache-flush bit set.
    pub fn flush(mut self) -> Self {
        self.cache_flush = true;
        self
    }

    /// The record type.
    pub fn rtype(&self) -> RecordType {
        self.data.record_type()
    }

    fn decode(msg: &Bytes, at: usize) -> Result<(Record, usize), DecodeError> {
        let (name, pos) = Name::decode(msg, at)?;
        let fixed = msg
            .get(pos..pos + 10)
            .ok_or(DecodeError::Truncated("record"))?;
        let rtype = RecordType(u16::from_be_bytes([fixed[0], fixed[1]]));
        let raw_class = u16::from_be_bytes([fixed[2], fixed[3]]);
        let ttl = u32::from_be_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]);
        let rdlen = usize::from(u16::from_be_bytes([fixed[8], fixed[9]]));
        let start = pos + 10;
        let end = start + rdlen;
        if end > msg.len() {
            return Err(DecodeError::Truncated("rdata"));
        }
        let (class, cache_flush) = if rtype == RecordType::OPT {
            // RFC 6891 §6.1.2: the OPT owner "MUST be 0 (root domain)"; its CLASS is the
            // requestor's UDP payload size, so bit 15 is not a cache-flush bit.
            if !name.is_root() {
                return Err(DecodeError::OptOwnerNotRoot);
            }
            (Class(raw_class), false)
        } else {
            (
                Class(raw_class & !CLASS_TOP_BIT),
                raw_class & CLASS_TOP_BIT != 0,
            )
        };
        let data = RData::decode(msg, start, end, rtype)?;
        Ok((
            Record {
                name,
                class,
                cache_flush,
                ttl,
                data,
            },
            end,
        ))
    }
}

/// Where names may be compressed when encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compression {
    /// Owner names, QNAMEs and PTR targets only: what every unicast DNS decoder accepts
    /// (RFC 2782 forbids compressing SRV targets). Used
    /// for legacy unicast replies, and the form `example.bin` was written in.
    #[default]
    Classic,
    /// Also SRV targets, as RFC 6762 §18.14 allows in mDNS. NSEC next names stay
    /// uncompressed in both modes: RFC 6762 would allow it, but strict decoders such as
    /// dnspython reject a compressed NSEC name (RFC 4034 §4.1.1).
    Multicast,
}

/// A DNS message.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Message {
    /// Query ID; 0 in multicast mDNS (RFC 6762 §18.1).
    pub id: u16,
    /// The flags word.
    pub flags: Flags,
    /// Question section.
    pub questions: Vec<Question>,
    /// Answer section.
    pub answers: Vec<Record>,
    /// Authority section (proposed records in mDNS probes, RFC 6762 §8.2).
    pub authorities: Vec<Record>,
    /// Additional section.
    pub additionals: Vec<Record>,
}

impl Message {
    /// An empty mDNS query (ID 0, flags 0).
    pub fn query() -> Self {
        Message::default()
    }

    /// An empty mDNS response (ID 0, flags `0x8400`).
    pub fn response() -> Self {
        Message {
            flags: Flags::RESPONSE,
            ..Message::default()
        }
    }

    /// Decodes one whole message (a UDP payload). Payload slices (TXT strings, unknown
    /// rdata) share `buf`'s memory.
    pub fn decode(buf: &Bytes) -> Result<Message, DecodeError> {
        let header = buf
            .get(..HEADER_LEN)
            .ok_or(DecodeError::Truncated("header"))?;
        let word = |i: usize| u16::from_be_bytes([header[i], header[i + 1]]);
        let counts = [word(4), word(6), word(8), word(10)];
        // Never trust a count for allocation: a question takes at least 5 bytes and a
        // record 11.
        let room = buf.len() - HEADER_LEN;
        let mut msg = Message {
            id: word(0),
            flags: Flags(word(2)),
            questions: Vec::with_capacity(usize::from(counts[0]).min(room / 5)),
            answers: Vec::with_capacity(usize::from(counts[1]).min(room / 11)),
            authorities: Vec::with_capacity(usize::from(counts[2]).min(room / 11)),
            additionals: Vec::with_capacity(usize::from(counts[3]).min(room / 11)),
        };
        let mut pos = HEADER_LEN;
        for _ in 0..counts[0] {
            let (name, next) = Name::decode(buf, pos)?;
            let fixed = buf
                .get(next..next + 4)
                .ok_or(DecodeError::Truncated("question"))?;
            let raw_class = u16::from_be_bytes([fixed[2], fixed[3]]);
            msg.questions.push(Question {
                name,
                qtype: RecordType(u16::from_be_bytes([fixed[0], fixed[1]])),
                qclass: Class(raw_class & !CLASS_TOP_BIT),
                unicast_response: raw_class & CLASS_TOP_BIT != 0,
            });
            pos = next + 4;
        }
        for (section, count) in [&mut msg.answers, &mut msg.authorities, &mut msg.additionals]
            .into_iter()
            .zip(&counts[1..])
        {
            for _ in 0..*count {
                let (record, next) = Record::decode(buf, pos)?;
                section.push(record);
                pos = next;
            }
        }
        if pos != buf.len() {
            return Err(DecodeError::TrailingBytes(buf.len() - pos));
        }
        Ok(msg)
    }

    /// Decodes from a borrowed slice (copies it once).
    pub fn decode_slice(buf: &[u8]) -> Result<Message, DecodeError> {
        Message::decode(&Bytes::copy_from_slice(buf))
    }

    /// Appends the message to `dst` with [`Compression::Classic`].
    pub fn encode(&self, dst: &mut BytesMut) {
        self.encode_with(dst, Compression::Classic);
    }

    /// Appends the message to `dst` with the given compression. At most 65535 entries per
    /// section are written.
    pub fn encode_with(&self, dst: &mut BytesMut, compression: Compression) {
        let mut enc = Encoder::new(dst, compression, usize::MAX, self);
        enc.write_all(self);
        enc.finish_packet(false);
    }

    /// The message as bytes, [`Compression::Classic`].
    pub fn to_bytes(&self) -> Bytes {
        let mut dst = BytesMut::with_capacity(512);
        self.encode(&mut dst);
        dst.freeze()
    }

    /// Encodes into as many packets as needed so that each is at most `max_len` bytes
    /// (e.g. [`ETHERNET_PAYLOAD`] or [`MAX_MDNS_PAYLOAD`]). Entries keep their order and
    /// section; each packet repeats the ID and flags. In a query, every packet but the
    /// last has TC set, announcing more known answers (RFC 6762 §7.2). A single entry
    /// larger than `max_len` gets a packet of its own.
    pub fn encode_split(&self, max_len: usize, compression: Compression) -> Vec<Bytes> {
        let mut dst = BytesMut::with_capacity(max_len.min(MAX_MDNS_PAYLOAD));
        let mut enc = Encoder::new(&mut dst, compression, max_len, self);
        enc.write_all(self);
        enc.finish_packet(false);
        let mut out = core::mem::take(&mut enc.done);
        drop(enc);
        out.push(dst.freeze());
        out
    }
}

/// Message encoder with a name-compression table and optional packet splitting.
pub(crate) struct Encoder<'n, 'b> {
    dst: &'b mut BytesMut,
    start: usize,
    compression: Compression,
    names: Vec<(&'n [u8], u16)>,
    counts: [u16; 4],
    max_len: usize,
    id: u16,
    flags: Flags,
    done: Vec<Bytes>,
}

impl<'n, 'b> Encoder<'n, 'b> {
    fn new(dst: &'b mut BytesMut, compression: Compression, max_len: usize, m: &Message) -> Self {
        let mut enc = Encoder {
            start: dst.len(),
            dst,
            compression,
            names: Vec::with_capacity(32),
            counts: [0; 4],
            max_len,
            id: m.id,
            flags: m.flags,
            done: Vec::new(),
        };
        enc.begin_packet();
        enc
    }

    fn begin_packet(&mut self) {
        self.start = self.dst.len();
        self.names.clear();
        self.counts = [0; 4];
        self.dst.put_u16(self.id);
        self.dst.put_u16(self.flags.0);
        self.dst.put_bytes(0, 8);
    }

    /// Patches the counts (and TC for a continued query) into the current packet.
    fn finish_packet(&mut self, more: bool) {
        let s = self.start;
        if more && !self.flags.is_response() {
            let f = (self.flags.0 | Flags::TC).to_be_bytes();
            self.dst[s + 2..s + 4].copy_from_slice(&f);
        }
        for (i, c) in self.counts.iter().enumerate() {
            self.dst[s + 4 + 2 * i..s + 6 + 2 * i].copy_from_slice(&c.to_be_bytes());
        }
    }

    fn write_all(&mut self, m: &'n Message) {
        for q in m.questions.iter().take(usize::from(u16::MAX)) {
            self.entry(0, |enc| {
                enc.name(&q.name, true);
                enc.dst.put_u16(q.qtype.0);
                let top = if q.unicast_response { CLASS_TOP_BIT } else { 0 };
                enc.dst.put_u16(q.qclass.0 | top);
            });
        }
        for (i, section) in [&m.answers, &m.authorities, &m.additionals]
            .into_iter()
            .enumerate()
        {
            for r in section.iter().take(usize::from(u16::MAX)) {
                self.entry(i + 1, |enc| enc.record(r));
            }
        }
    }

    /// Writes one entry; if it overflows `max_len` in a packet that already holds
    /// something, rolls it back and writes it into a fresh packet.
    fn entry(&mut self, section: usize, write: impl Fn(&mut Self)) {
        let mark = self.dst.len();
        let names = self.names.len();
        write(self);
        let empty = self.counts.iter().all(|&c| c == 0);
        if self.dst.len() - self.start > self.max_len && !empty {
            self.dst.truncate(mark);
            self.names.truncate(names);
            self.finish_packet(true);
            let packet = self.dst.split().freeze();
            self.done.push(packet);
            self.begin_packet();
            write(self);
        }
        self.counts[section] += 1;
    }

    fn record(&mut self, r: &'n Record) {
        self.name(&r.name, true);
        self.dst.put_u16(r.rtype().0);
        let top = if r.cache_flush && r.rtype() != RecordType::OPT {
            CLASS_TOP_BIT
        } else {
            0
        };
        self.dst.put_u16(r.class.0 | top);
        self.dst.put_u32(r.ttl);
        let len_at = self.dst.len();
        self.dst.put_u16(0);
        r.data.encode(self);
        let len = (self.dst.len() - len_at - 2) as u16;
        self.dst[len_at..len_at + 2].copy_from_slice(&len.to_be_bytes());
    }

    pub(crate) fn dst(&mut self) -> &mut BytesMut {
        self.dst
    }

    pub(crate) fn compress_rdata_names(&self) -> bool {
        self.compression == Compression::Multicast
    }

    /// Writes a name; with `compress`, reuses the longest suffix already written and
    /// records the new suffixes as pointer targets (RFC 1035 §4.1.4). Uncompressed names
    /// are not recorded, so no later pointer lands inside rdata a unicast decoder reads
    /// without decompression.
    pub(crate) fn name(&mut self, name: &'n Name, compress: bool) {
        let wire = name.as_wire();
        if !compress {
            self.dst.put_slice(wire);
            return;
        }
        let mut i = 0;
        while let Some(&len) = wire.get(i) {
            let suffix = &wire[i..];
            if len == 0 {
                self.dst.put_u8(0);
                return;
            }
            if let Some(&(_, offset)) = self.names.iter().find(|(s, _)| *s == suffix) {
                self.dst.put_u16(0xc000 | offset);
                return;
            }
            let here = self.dst.len() - self.start;
            if here <= 0x3fff {
                self.names.push((suffix, here as u16));
            }
            let end = i + 1 + usize::from(len);
            self.dst.put_slice(&wire[i..end]);
            i = end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rdata::{Srv, Txt};
    use core::net::Ipv4Addr;

    fn name(s: &str) -> Name {
        Name::parse(s).unwrap()
    }

    #[test]
    fn flags() {
        assert_eq!(Flags::RESPONSE.0, 0x8400);
        assert!(Flags::RESPONSE.is_response());
        assert_eq!(Flags(0x7800).opcode(), 15);
        assert_eq!(Flags(0x000f).rcode(), 15);
    }

    #[test]
    fn question_bits_round_trip() {
        let mut m = Message::query();
        m.questions.push(Question {
            unicast_response: true,
            ..Question::new(name("_afpovertcp._tcp.local"), RecordType::PTR)
        });
        let bytes = m.to_bytes();
        assert_eq!(&bytes[bytes.len() - 4..], &[0, 12, 0x80, 1]);
        assert_eq!(Message::decode(&bytes).unwrap(), m);
    }

    #[test]
    fn multicast_compression_shrinks_srv_target() {
        let mut m = Message::response();
        m.answers.push(Record::new(
            name("zf.local"),
            120,
            RData::A(Ipv4Addr::new(10, 253, 0, 1)),
        ));
        m.answers.push(Record::new(
            name("zf._afpovertcp._tcp.local"),
            120,
            RData::Srv(Srv {
                priority: 0,
                weight: 0,
                port: 548,
                target: name("zf.local"),
            }),
        ));
        let mut classic = BytesMut::new();
        m.encode_with(&mut classic, Compression::Classic);
        let mut multicast = BytesMut::new();
        m.encode_with(&mut multicast, Compression::Multicast);
        assert_eq!(classic.len() - multicast.len(), 8);
        assert_eq!(Message::decode(&classic.freeze()).unwrap(), m);
        assert_eq!(Message::decode(&multicast.freeze()).unwrap(), m);
    }

    #[test]
    fn split_keeps_every_record_and_sets_tc_on_queries() {
        let mut m = Message::query();
        m.questions.push(Question::new(
            name("_afpovertcp._tcp.local"),
            RecordType::PTR,
        ));
        for i in 0..100 {
            m.answers.push(Record::new(
                name("_afpovertcp._tcp.local"),
                4500,
                RData::Ptr(name(&format!("server number {i}._afpovertcp._tcp.local"))),
            ));
        }
        let packets = m.encode_split(512, Compression::Classic);
        assert!(packets.len() > 1);
        let mut answers = Vec::new();
        for (i, p) in packets.iter().enumerate() {
            assert!(p.len() <= 512);
            let d = Message::decode(p).unwrap();
            assert_eq!(d.flags.truncated(), i + 1 < packets.len());
            assert_eq!(d.questions.len(), usize::from(i == 0));
            answers.extend(d.answers);
        }
        assert_eq!(answers, m.answers);
        let mut r = Message::response();
        r.answers.push(Record::new(
            name("big.local"),
            10,
            RData::Txt(Txt::from_strings(vec![vec![b'x'; 255]; 8]).unwrap()),
        ));
        let packets = r.encode_split(512, Compression::Classic);
        assert_eq!(packets.len(), 1);
        assert!(!Message::decode(&packets[0]).unwrap().flags.truncated());
    }
}
