//! Sans-IO tape formats for the afbackup/Amanda-style tape server: Amanda 3.x headers,
//! the afbackup label and server state files, SIMH virtual tapes, and the state machines
//! that write, span, probe and read volumes.
//!
//! This crate does no I/O of its own: no files, devices, sockets, threads or clocks.
//! Bytes come in and go out; tape drives and cartridge changers are the [`TapeDevice`] and
//! [`Library`] traits, with in-memory implementations ([`MemTape`], [`MemLibrary`]) that
//! simulate capacity, early warning, write protection and faults. Real devices (Linux `st`,
//! Amanda vtape directories, image files) live in the `afserver` binary. Time is passed in
//! as seconds since the epoch.
//!
//! The on-tape layout is pinned in `FORMAT.md`: a strict Amanda 3.x volume (label file,
//! one file per dump part, a filemark after each, two at the end) with our `X-TF-*`
//! extension lines, so Amanda's `amrestore` reads our tapes.
//!
//! # Example
//!
//! ```
//! use tape_format::amanda::{DumpFile, DumpKind, Header, HEADER_BLOCK};
//!
//! let mut d = DumpFile::new("20240102030405", "localhost", "/etc/sample", 0);
//! d.kind = DumpKind::Split { part: 2, total: 3 };
//! d.level = 1;
//! d.program = Some("GNUTAR".into());
//! d.blocksize = Some(32768);
//! d.recover_cmd = Some("/bin/tar -xpGf - ...".into());
//! let block = Header::Dump(Box::new(d)).encode(HEADER_BLOCK).unwrap();
//! assert!(block.starts_with(
//!     b"AMANDA: SPLIT_FILE 20240102030405 localhost /etc/sample  part 2/3  lev 1 comp N program GNUTAR\n"));
//! assert!(matches!(Header::decode(&block), Ok(Header::Dump(_))));
//! ```
//!
//! # Spec references (`spec/tape-format.md`)
//!
//! - §1 afbackup state files → [`afbackup`] (`BytesOnTape`, `TapePos`, `ReadonlyTapes`, …)
//! - §2.2 afbackup label → [`afbackup::Label`]; §2.4 block-size probing → [`BlockSizeProber`]
//! - §3 Amanda headers → [`amanda::Header`]; §4 vtape names → [`amanda::vtape_file_name`]
//! - §5 block, filemark and end-of-medium semantics → [`TapeDevice`]
//! - §6.2 SIMH `.tap` → [`simh`]
//! - §8 state machines → [`FileWriter`], [`VolumeWriter`], [`VolumeReader`]
//!
//! # Crate features
//!
//! None.
#![forbid(unsafe_code)]
#![cfg_attr(not(fuzzing), deny(missing_docs))]
#![deny(clippy::host_endian_bytes, clippy::big_endian_bytes)]

pub mod afbackup;
pub mod amanda;
mod device;
mod error;
mod mem;
pub mod simh;

pub use device::{
    BlockMode, DeviceError, Library, Position, ReadOutcome, TapeDevice, WriteOutcome,
};
pub use error::{DecodeError, EncodeError, TapeError, TapeErrorKind};
pub use mem::{FaultOp, MemLibrary, MemTape};
mod probe;
mod reader;
mod span;
mod volume;
mod writer;

pub use probe::{BlockSizeProber, FALLBACK_SIZES, ProbeStep, probe_block_size};
pub use reader::{Damage, MAX_BAD_BLOCKS_IN_A_ROW, ReadOptions, VolumeReader};
pub use span::{
    CartridgePolicy, CartridgeUse, PartLocation, SpanEvent, VolumeWriter, WriteSummary,
    WriterConfig,
};
pub use volume::{
    VolumeLabel, check_block_size, header_block_len, read_label, seek_append_point, write_label,
};
pub use writer::{Chunk, FileWriter};
pub mod roundtrip;
