//! Record types, classes and RDATA (RFC 1035 §3.2–3.4, RFC 2782 SRV, RFC 3596 AAAA,
//! RFC 4034 §4 NSEC, RFC 6891 §6.1 OPT, RFC 6763 §6 TXT).
//!
//! | type | code | RDATA |
//! |------|------|-------|
//! | A    | 1    | 4-byte IPv4 address |
//! | PTR  | 12   | a domain name (compressible) |
//! | TXT  | 16   | one or more `<character-string>`s; empty TXT is the single byte `00` |
//! | AAAA | 28   | 16-byte IPv6 address |
//! | SRV  | 33   | priority u16, weight u16, port u16, target name |
//! | OPT  | 41   | `{code u16, length u16, data}`* |
//! | NSEC | 47   | next domain name, then type bitmap windows |
//!
//! Any other type is kept as raw bytes ([`Unknown`]). Such rdata is never interpreted, so
//! if it holds compression pointers (CNAME, MX, SOA from RFC 1035) they are copied as is.

use core::fmt;
use core::net::{Ipv4Addr, Ipv6Addr};

use bytes::{BufMut, Bytes};

use crate::error::{DecodeError, TxtError};
use crate::message::Encoder;
use crate::name::Name;

/// A record type code (RFC 1035 §3.2.2), open: every `u16` is representable.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordType(pub u16);

impl RecordType {
    /// IPv4 host address.
    pub const A: RecordType = RecordType(1);
    /// Domain name pointer.
    pub const PTR: RecordType = RecordType(12);
    /// Host information (not decoded; kept raw).
    pub const HINFO: RecordType = RecordType(13);
    /// Text strings.
    pub const TXT: RecordType = RecordType(16);
    /// IPv6 host address.
    pub const AAAA: RecordType = RecordType(28);
    /// Service location.
    pub const SRV: RecordType = RecordType(33);
    /// EDNS(0) pseudo-record.
    pub const OPT: RecordType = RecordType(41);
    /// Next secure; in mDNS a list of the types that exist at a name (RFC 6762 §6.1).
    pub const NSEC: RecordType = RecordType(47);
    /// QTYPE "*": every record at the name (questions only).
    pub const ANY: RecordType = RecordType(255);
}

impl fmt::Debug for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match *self {
            Self::A => "A",
            Self::PTR => "PTR",
            Self::HINFO => "HINFO",
            Self::TXT => "TXT",
            Self::AAAA => "AAAA",
            Self::SRV => "SRV",
            Self::OPT => "OPT",
            Self::NSEC => "NSEC",
            Self::ANY => "ANY",
            RecordType(code) => return write!(f, "TYPE{code}"),
        };
        f.write_str(name)
    }
}

/// A class code with the mDNS top bit already removed (RFC 6762 §10.2, §18.12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Class(pub u16);

impl Class {
    /// The Internet.
    pub const IN: Class = Class(1);
    /// QCLASS "*".
    pub const ANY: Class = Class(255);
}

/// SRV rdata (RFC 2782).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Srv {
    /// Lower is preferred.
    pub priority: u16,
    /// Relative weight among equal priorities.
    pub weight: u16,
    /// TCP or UDP port of the service.
    pub port: u16,
    /// Host name offering the service.
    pub target: Name,
}

/// TXT rdata: a list of `<character-string>`s, each at most 255 bytes (RFC 1035 §3.3.14).
///
/// An empty list is encoded as the single zero byte RFC 6763 §6.1 requires, and both that
/// byte and an RDLENGTH-0 TXT decode as the empty list, so the three forms RFC 6763 §6.1
/// treats alike compare equal here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Txt {
    strings: Vec<Bytes>,
}

impl Txt {
    /// A TXT with no data (encoded as `00`).
    pub fn new() -> Self {
        Txt::default()
    }

    /// Builds a TXT from raw strings. A single empty string is the same as no strings.
    pub fn from_strings<I, S>(strings: I) -> Result<Self, TxtError>
    where
        I: IntoIterator<Item = S>,
        S: Into<Bytes>,
    {
        let mut txt = Txt::new();
        for s in strings {
            txt.push_raw(s.into())?;
        }
        if txt.strings.len() == 1 && txt.strings[0].is_empty() {
            txt.strings.clear();
        }
        Ok(txt)
    }

    /// Appends `key=value` (or a bare `key`, meaning boolean true, when `value` is `None`),
    /// checking the RFC 6763 §6.4 key rules: at least one byte, printable US-ASCII, no `=`.
    pub fn push(&mut self, key: &str, value: Option<&[u8]>) -> Result<(), TxtError> {
        // RFC 6763 §6.4: "The key MUST be at least one character ... printable US-ASCII
        // values (0x20-0x7E), excluding '=' (0x3D)."
        if key.is_empty() || !key.bytes().all(|b| (0x20..=0x7e).contains(&b) && b != b'=') {
            return Err(TxtError::BadKey);
        }
        let mut s = Vec::with_capacity(key.len() + 1 + value.map_or(0, <[u8]>::len));
        s.extend_from_slice(key.as_bytes());
        if let Some(v) = value {
            s.push(b'=');
            s.extend_from_slice(v);
        }
        self.push_raw(Bytes::from(s))
    }

    /// Builder form of [`Txt::push`] for `key=value` text pairs.
    pub fn with(mut self, key: &str, value: &str) -> Result<Self, TxtError> {
        self.push(key, Some(value.as_bytes()))?;
        Ok(self)
    }

    fn push_raw(&mut self, s: Bytes) -> Result<(), TxtError> {
        if s.len() > 255 {
            return Err(TxtError::StringTooLong(s.len()));
        }
        if self.rdata_len() + 1 + s.len() > usize::from(u16::MAX) {
            return Err(TxtError::TooLong);
        }
        self.strings.push(s);
        Ok(())
    }

    /// The raw strings in wire order (empty for "no data").
    pub fn strings(&self) -> &[Bytes] {
        &self.strings
    }

    /// True when the TXT carries no data.
    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }

    /// `key=value` entries per RFC 6763 §6.3–6.5: strings starting with `=` are skipped,
    /// a string without `=` yields `(key, None)`.
    pub fn entries(&self) -> impl Iterator<Item = (&[u8], Option<&[u8]>)> {
        self.strings.iter().filter_map(|s| {
            // RFC 6763 §6.4: "If there is no key (i.e., the string starts with '=') the
            // string SHOULD be silently ignored."
            if s.is_empty() || s[0] == b'=' {
                return None;
            }
            Some(match s.iter().position(|&b| b == b'=') {
                Some(i) => (&s[..i], Some(&s[i + 1..])),
                None => (&s[..], None),
            })
        })
    }

    /// The value of `key` (ASCII case-insensitive); only the first occurrence counts
    /// (RFC 6763 §6.4). `Some(None)` means the key is present without `=`.
    pub fn get(&self, key: &str) -> Option<Option<&[u8]>> {
        self.entries()
            .find(|(k, _)| k.eq_ignore_ascii_case(key.as_bytes()))
            .map(|(_, v)| v)
    }

    fn rdata_len(&self) -> usize {
        self.strings.iter().map(|s| 1 + s.len()).sum()
    }
}

/// NSEC rdata as mDNS uses it (RFC 4034 §4.1, RFC 6762 §6.1): the next name (in mDNS, the
/// record's own name) and the set of types present there.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Nsec {
    /// Next domain name.
    pub next: Name,
    /// Types present, sorted and unique (kept so by [`Nsec::new`]).
    types: Vec<RecordType>,
}

impl Nsec {
    /// Builds an NSEC; `types` is sorted and deduplicated.
    pub fn new(next: Name, types: impl IntoIterator<Item = RecordType>) -> Self {
        let mut types: Vec<RecordType> = types.into_iter().collect();
        types.sort_unstable();
        types.dedup();
        Nsec { next, types }
    }

    /// Types present, ascending.
    pub fn types(&self) -> &[RecordType] {
        &self.types
    }

    /// True if `t` is listed.
    pub fn contains(&self, t: RecordType) -> bool {
        self.types.binary_search(&t).is_ok()
    }

    fn encode_bitmap(&self, dst: &mut impl BufMut) {
        let mut i = 0;
        while let Some(first) = self.types.get(i) {
            let window = first.0 >> 8;
            let mut bits = [0u8; 32];
            let mut used = 0;
            while let Some(t) = self.types.get(i).filter(|t| t.0 >> 8 == window) {
                let low = usize::from(t.0 & 0xff);
                bits[low >> 3] |= 0x80 >> (low & 7);
                used = (low >> 3) + 1;
                i += 1;
            }
            dst.put_u8(window as u8);
            dst.put_u8(used as u8);
            dst.put_slice(&bits[..used]);
        }
    }

    fn decode_bitmap(next: Name, mut map: &[u8]) -> Result<Self, DecodeError> {
        let mut types = Vec::new();
        let mut last_window: Option<u8> = None;
        while let [window, len, rest @ ..] = map {
            let len = usize::from(*len);
            // RFC 4034 §4.1.2: windows in increasing order, length 1..32, no trailing zeros.
            if last_window.is_some_and(|w| w >= *window) || !(1..=32).contains(&len) {
                return Err(DecodeError::BadTypeBitmap);
            }
            let bits = rest.get(..len).ok_or(DecodeError::BadTypeBitmap)?;
            if bits[len - 1] == 0 {
                return Err(DecodeError::BadTypeBitmap);
            }
            for (byte_index, byte) in bits.iter().enumerate() {
                for bit in 0..8 {
                    if byte & (0x80 >> bit) != 0 {
                        let low = (byte_index * 8 + bit) as u16;
                        types.push(RecordType(u16::from(*window) << 8 | low));
                    }
                }
            }
            last_window = Some(*window);
            map = &rest[len..];
        }
        if !map.is_empty() {
            return Err(DecodeError::BadTypeBitmap);
        }
        Ok(Nsec { next, types })
    }
}

/// One EDNS(0) option (RFC 6891 §6.1.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EdnsOption {
    /// Option code (4 = the Bonjour "Owner" option).
    pub code: u16,
    /// Option data, at most 65535 bytes.
    pub data: Bytes,
}

/// OPT rdata: EDNS(0) options (RFC 6891 §6.1). The record's class carries the UDP payload
/// size and its TTL the extended RCODE, version and DO bit; in mDNS the class's top bit is
/// not a cache-flush bit here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Opt {
    /// The options, in wire order.
    pub options: Vec<EdnsOption>,
}

/// Rdata of a type this crate does not interpret, kept byte for byte (RFC 3597).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Unknown {
    rtype: RecordType,
    data: Bytes,
}

impl Unknown {
    /// Raw rdata; `None` if longer than 65535 bytes.
    pub fn new(rtype: RecordType, data: Bytes) -> Option<Self> {
        (data.len() <= usize::from(u16::MAX)).then_some(Unknown { rtype, data })
    }

    /// The record type.
    pub fn rtype(&self) -> RecordType {
        self.rtype
    }

    /// The raw rdata.
    pub fn data(&self) -> &Bytes {
        &self.data
    }
}

/// Record data, one arm per type this crate understands.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RData {
    /// IPv4 address.
    A(Ipv4Addr),
    /// IPv6 address.
    Aaaa(Ipv6Addr),
    /// Pointer to a name.
    Ptr(Name),
    /// Service location.
    Srv(Srv),
    /// Text strings.
    Txt(Txt),
    /// Types present at a name.
    Nsec(Nsec),
    /// EDNS(0) options.
    Opt(Opt),
    /// Any other type, raw.
    Unknown(Unknown),
}

impl RData {
    /// The record type of this rdata.
    pub fn record_type(&self) -> RecordType {
        match self {
            RData::A(_) => RecordType::A,
            RData::Aaaa(_) => RecordType::AAAA,
            RData::Ptr(_) => RecordType::PTR,
            RData::Srv(_) => RecordType::SRV,
            RData::Txt(_) => RecordType::TXT,
            RData::Nsec(_) => RecordType::NSEC,
            RData::Opt(_) => RecordType::OPT,
            RData::Unknown(u) => u.rtype,
        }
    }

    /// Appends the rdata with every name uncompressed: the canonical form compared when
    /// breaking probe ties (RFC 6762 §8.2) and checking conflicts.
    pub fn encode_uncompressed(&self, dst: &mut impl BufMut) {
        match self {
            RData::A(a) => dst.put_slice(&a.octets()),
            RData::Aaaa(a) => dst.put_slice(&a.octets()),
            RData::Ptr(n) => dst.put_slice(n.as_wire()),
            RData::Srv(s) => {
                dst.put_u16(s.priority);
                dst.put_u16(s.weight);
                dst.put_u16(s.port);
                dst.put_slice(s.target.as_wire());
            }
            RData::Txt(t) => encode_txt(t, dst),
            RData::Nsec(n) => {
                dst.put_slice(n.next.as_wire());
                n.encode_bitmap(dst);
            }
            RData::Opt(o) => {
                for opt in &o.options {
                    dst.put_u16(opt.code);
                    dst.put_u16(opt.data.len() as u16);
                    dst.put_slice(&opt.data);
                }
            }
            RData::Unknown(u) => dst.put_slice(&u.data),
        }
    }

    /// Writes the rdata through the message encoder (names compressed where allowed).
    pub(crate) fn encode<'n>(&'n self, enc: &mut Encoder<'n, '_>) {
        match self {
            RData::Ptr(n) => enc.name(n, true),
            RData::Srv(s) => {
                enc.dst().put_u16(s.priority);
                enc.dst().put_u16(s.weight);
                enc.dst().put_u16(s.port);
                // RFC 2782 forbids compressing the target in unicast DNS; RFC 6762 §18.14
                // allows it in mDNS.
                let compress = enc.compress_rdata_names();
                enc.name(&s.target, compress);
            }
            // NSEC next names stay uncompressed even where RFC 6762 §18.14 allows
            // compression: strict decoders (dnspython) reject a compressed NSEC name
            // (RFC 4034 §4.1.1), and the name is usually short.
            other => other.encode_uncompressed(enc.dst()),
        }
    }

    /// Decodes the rdata in `msg[start..end]`; `msg` is the whole message, for pointers.
    pub(crate) fn decode(
        msg: &Bytes,
        start: usize,
        end: usize,
        rtype: RecordType,
    ) -> Result<RData, DecodeError> {
        let rd = &msg[start..end];
        let bad_len = || DecodeError::BadRdataLength {
            rtype: rtype.0,
            len: rd.len() as u16,
        };
        let name_in_rdata = |at: usize| -> Result<(Name, usize), DecodeError> {
            let (name, next) = Name::decode(msg, at)?;
            if next > end {
                return Err(DecodeError::RdataOverrun(rtype.0));
            }
            Ok((name, next))
        };
        Ok(match rtype {
            RecordType::A => RData::A(Ipv4Addr::from(
                <[u8; 4]>::try_from(rd).map_err(|_| bad_len())?,
            )),
            RecordType::AAAA => RData::Aaaa(Ipv6Addr::from(
                <[u8; 16]>::try_from(rd).map_err(|_| bad_len())?,
            )),
            RecordType::PTR => {
                let (name, next) = name_in_rdata(start)?;
                if next != end {
                    return Err(bad_len());
                }
                RData::Ptr(name)
            }
            RecordType::SRV => {
                let [p0, p1, w0, w1, o0, o1, ..] = *rd else {
                    return Err(bad_len());
                };
                let (target, next) = name_in_rdata(start + 6)?;
                if next != end {
                    return Err(bad_len());
                }
                RData::Srv(Srv {
                    priority: u16::from_be_bytes([p0, p1]),
                    weight: u16::from_be_bytes([w0, w1]),
                    port: u16::from_be_bytes([o0, o1]),
                    target,
                })
            }
            RecordType::TXT => {
                let mut strings = Vec::new();
                let mut at = start;
                while at < end {
                    let len = usize::from(msg[at]);
                    // RFC 1035 §3.3: <character-string> is a length octet then that many.
                    if at + 1 + len > end {
                        return Err(DecodeError::TxtOverrun);
                    }
                    strings.push(msg.slice(at + 1..at + 1 + len));
                    at += 1 + len;
                }
                if strings.len() == 1 && strings[0].is_empty() {
                    strings.clear();
                }
                RData::Txt(Txt { strings })
            }
            RecordType::NSEC => {
                let (next_name, next) = name_in_rdata(start)?;
                RData::Nsec(Nsec::decode_bitmap(next_name, &msg[next..end])?)
            }
            RecordType::OPT => {
                let mut options = Vec::new();
                let mut rest = rd;
                let mut at = start;
                while !rest.is_empty() {
                    let [c0, c1, l0, l1, ..] = *rest else {
                        return Err(DecodeError::RdataOverrun(rtype.0));
                    };
                    let len = usize::from(u16::from_be_bytes([l0, l1]));
                    if rest.len() < 4 + len {
                        return Err(DecodeError::RdataOverrun(rtype.0));
                    }
                    options.push(EdnsOption {
                        code: u16::from_be_bytes([c0, c1]),
                        data: msg.slice(at + 4..at + 4 + len),
                    });
                    rest = &rest[4 + len..];
                    at += 4 + len;
                }
                RData::Opt(Opt { options })
            }
            _ => RData::Unknown(Unknown {
                rtype,
                data: msg.slice(start..end),
            }),
        })
    }
}

fn encode_txt(t: &Txt, dst: &mut impl BufMut) {
    if t.strings.is_empty() {
        // RFC 6763 §6.1: an empty TXT "MUST be a single zero byte".
        dst.put_u8(0);
    }
    for s in &t.strings {
        dst.put_u8(s.len() as u8);
        dst.put_slice(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nsec_bitmap_layout() {
        let name = Name::parse("zf.local.").unwrap();
        let mut out = Vec::new();
        Nsec::new(name.clone(), [RecordType::A]).encode_bitmap(&mut out);
        assert_eq!(out, [0, 1, 0x40]);
        out.clear();
        Nsec::new(name.clone(), [RecordType::AAAA, RecordType::A]).encode_bitmap(&mut out);
        assert_eq!(out, [0, 4, 0x40, 0, 0, 8]);
        out.clear();
        let two = Nsec::new(name.clone(), [RecordType(1), RecordType(257)]);
        two.encode_bitmap(&mut out);
        assert_eq!(out, [0, 1, 0x40, 1, 1, 0x40]);
        assert_eq!(Nsec::decode_bitmap(name.clone(), &out).unwrap(), two);
        assert_eq!(
            Nsec::decode_bitmap(name.clone(), &[0, 2, 0x40, 0]),
            Err(DecodeError::BadTypeBitmap)
        );
        assert_eq!(
            Nsec::decode_bitmap(name, &[1, 1, 0x40, 0, 1, 0x40]),
            Err(DecodeError::BadTypeBitmap)
        );
    }

    #[test]
    fn txt_rules() {
        let txt = Txt::new()
            .with("model", "Xserve")
            .unwrap()
            .with("Model", "ignored")
            .unwrap();
        assert_eq!(txt.get("MODEL"), Some(Some(&b"Xserve"[..])));
        let mut flags = Txt::new();
        flags.push("flag", None).unwrap();
        flags.push("empty", Some(b"")).unwrap();
        assert_eq!(flags.get("flag"), Some(None));
        assert_eq!(flags.get("empty"), Some(Some(&b""[..])));
        assert_eq!(flags.get("missing"), None);
        assert_eq!(Txt::new().push("", None), Err(TxtError::BadKey));
        assert_eq!(Txt::new().push("a=b", None), Err(TxtError::BadKey));
        assert_eq!(
            Txt::from_strings([vec![0u8; 256]]),
            Err(TxtError::StringTooLong(256))
        );
        assert_eq!(Txt::from_strings([Bytes::new()]).unwrap(), Txt::new());
        let mut out = Vec::new();
        encode_txt(&Txt::new(), &mut out);
        assert_eq!(out, [0]);
        let ignored = Txt::from_strings([&b"=x"[..], b"k=v"]).unwrap();
        assert_eq!(ignored.entries().count(), 1);
    }
}
