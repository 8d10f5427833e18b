//! Sans-IO DNS messages, DNS-SD records and a multicast DNS responder state machine.
//!
//! This crate contains no networking code and never reads the clock: bytes come in as
//! slices, time comes in as `now: Instant`, and datagrams to send leave through
//! [`Responder::poll_transmit`]. The `dnssd` binary crate owns the sockets (UDP 5353 on
//! 224.0.0.251 / ff02::fb) and the timers.
//!
//! What it has:
//! - [`Message`]: the DNS message codec (RFC 1035 §4.1) with the mDNS class bits split out
//!   as [`Question::unicast_response`] and [`Record::cache_flush`] (RFC 6762 §18.12–18.13),
//!   strict name decompression (backward pointers only, labels ≤ 63, names ≤ 255), record
//!   types A, AAAA, PTR, SRV, TXT, NSEC, OPT and unknown types as raw bytes, name
//!   compression on encode ([`Compression`]), and splitting into packets
//!   ([`Message::encode_split`], RFC 6762 §7.2, §17).
//! - [`dnssd`]: service instance records (RFC 6763 §4, §6, §9), TXT rules, and the Apple
//!   records an AFP server publishes ([`dnssd::apple`]: `_afpovertcp._tcp`,
//!   `_device-info._tcp`, `_adisk._tcp`).
//! - [`Responder`]: probing, tie-breaking, renaming, announcing, answering with the RFC 6762
//!   delays, known-answer suppression, QU and legacy unicast replies, goodbyes.
//!
//! What it does not do: browse or resolve (a querier cache), wide-area DNS, DNSSEC.
//!
//! ```
//! use bytes::Bytes;
//! use mdns_records::{Message, RData, RecordType};
//!
//! let bytes = Bytes::from_static(include_bytes!("../tests/data/example.bin"));
//! let msg = Message::decode(&bytes)?;
//! assert_eq!(msg.answers.len(), 13);
//! let srv = &msg.answers[1];
//! assert_eq!(srv.rtype(), RecordType::SRV);
//! assert!(srv.cache_flush);
//! if let RData::Srv(s) = &srv.data {
//!     assert_eq!(s.port, 548);
//! }
//! assert_eq!(msg.to_bytes(), bytes); // re-encodes byte for byte
//! # Ok::<(), mdns_records::DecodeError>(())
//! ```
//!
//! Specifications: RFC 1035 (§3, §4), RFC 2782 (SRV), RFC 3596 (AAAA), RFC 4034 §4 (NSEC),
//! RFC 6762 (§5–§11 responder, §18 message format, §10.2 cache-flush bit), RFC 6763 (§4
//! names, §6 TXT, §9 enumeration, §12 additional records), RFC 6891 (OPT); the project's
//! summary is `shared/spec/dns-sd.md`.
//!
//! Crate features: none.
#![forbid(unsafe_code)]
#![cfg_attr(not(fuzzing), deny(missing_docs))]
#![deny(clippy::host_endian_bytes, clippy::little_endian_bytes)]

pub mod dnssd;
mod error;
mod message;
mod name;
mod rdata;
pub mod responder;

pub use error::{DecodeError, NameError, TxtError};
pub use message::{
    Compression, ETHERNET_PAYLOAD, Flags, MAX_MDNS_PAYLOAD, Message, Question, Record,
};
pub use name::{Labels, MAX_LABEL_LEN, MAX_NAME_LEN, Name};
pub use rdata::{Class, EdnsOption, Nsec, Opt, RData, RecordType, Srv, Txt, Unknown};
pub use responder::{Config, Destination, Event, Family, Responder, Transmit};
