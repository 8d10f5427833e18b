//! Sans-IO codecs for the Apple Filing Protocol (AFP), versions 2.2 to 3.4.
//!
//! This crate turns AFP command blocks (the bytes a DSI `DSICommand` or `DSIWrite` carries)
//! into typed values and back, in both directions: a server decodes requests and encodes
//! replies, a client encodes requests and decodes replies. It also encodes and decodes the
//! server status block (`FPGetSrvrInfo` / `DSIGetStatus`) and runs the login methods
//! (user authentication modules, UAMs) as state machines.
//!
//! What it does **not** do: it opens no sockets, starts no threads or runtime, reads no clock
//! and touches no file. DSI framing lives in the `dsi` crate; the file system and the
//! account database belong to the server that embeds this crate.
//!
//! # Example
//!
//! A server decodes a request, answers it, and a client decodes the reply:
//!
//! ```
//! use afp_proto::command::{self, CommandCode, Reply, ReplyContext, Request};
//! use afp_proto::params::{VolumeAttributes, VolumeBitmap, VolumeParams};
//! use afp_proto::AfpVersion;
//! use bytes::{Bytes, BytesMut};
//!
//! // Client: FPOpenVol for volume "Data", asking for its ID and attributes.
//! let open = command::OpenVol {
//!     bitmap: VolumeBitmap::VOLUME_ID | VolumeBitmap::ATTRIBUTES,
//!     name: Bytes::from_static(b"Data"),
//!     password: None,
//! };
//! let mut block = BytesMut::new();
//! open.encode(&mut block);
//! assert_eq!(&block[..], b"\x18\x00\x00\x21\x04Data");
//!
//! // Server: decode whatever arrived, answer per command.
//! let reply = match Request::decode(&block.freeze()) {
//!     Ok(Request::OpenVol(req)) => {
//!         assert_eq!(&req.name[..], b"Data");
//!         Reply::OpenVol(VolumeParams {
//!             attributes: Some(VolumeAttributes::SUPPORTS_UTF8_NAMES),
//!             volume_id: Some(1),
//!             ..VolumeParams::default()
//!         })
//!     }
//!     Ok(other) => unreachable!("{:?}", other.code()),
//!     // A malformed request: answer `e.result_code_for(code)` and keep the session.
//!     Err(e) => panic!("{e}"),
//! };
//! let mut out = BytesMut::new();
//! reply.encode(&mut out);
//! assert_eq!(&out[..], &[0x00, 0x21, 0x00, 0x40, 0x00, 0x01]);
//!
//! // Client: decode the reply to the command it sent.
//! let ctx = ReplyContext::new(AfpVersion::V3_4);
//! let back = Reply::decode(CommandCode::OPEN_VOL, &out.freeze(), ctx).unwrap();
//! assert_eq!(back, reply);
//! ```
//!
//! # Where things are
//!
//! * [`command`]: [`command::CommandCode`], one request type per command
//!   ([`command::OpenFork`], …), the [`command::Request`] and [`command::Reply`] enums,
//!   [`command::EnumerateReplyWriter`] for enumerate replies bounded by MaxReplySize.
//! * [`params`]: bitmaps and the packed volume, file and directory parameter records.
//! * [`path`]: path types 1/2/3, pathname elements, AFPName.
//! * [`status`]: the server status block.
//! * [`date`]: AFP dates; [`result`]: result codes; [`version`]: AFP versions.
//! * [`uam`], [`name`]: login methods and name conversions.
//!
//! Reference: `shared/spec/afp-dsi.md` (§2 AFP basics: §2.1 command codes, §2.4 paths,
//! §2.5 padding, §2.6 parameter records, §2.7 dates; §3 status block; §4 bitmaps and
//! parameter records; §5 request and reply layouts; §6 logins; §7 result codes; §9 names).
//!
//! # Crate features
//!
//! * `dhx2` (default): the DHX2 and DHCAST128 login methods, which need CAST5, MD5 and
//!   big-integer arithmetic (RustCrypto and `num-bigint`).
//! * `arbitrary`: `arbitrary::Arbitrary` implementations for fuzzing.
#![forbid(unsafe_code)]
#![cfg_attr(not(fuzzing), deny(missing_docs))]
#![deny(clippy::host_endian_bytes, clippy::little_endian_bytes)]

pub mod command;
pub mod date;
pub mod error;
pub mod name;
pub mod params;
pub mod path;
pub mod result;
pub mod status;
pub mod uam;
pub mod version;
mod wire;

pub use command::{CommandCode, Reply, ReplyContext, Request};
pub use date::AfpDate;
pub use error::DecodeError;
pub use path::{AfpName, Path, PathKind};
pub use result::ResultCode;
pub use status::ServerStatus;
pub use version::AfpVersion;
