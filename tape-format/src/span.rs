//! Writing one backup stream as Amanda parts across cartridges (`spec/tape-format.md`
//! §2.3, §5.2, §8.1 `VolumeSpanner`; FORMAT.md "Spanning").
//!
//! The stream is cut by a [`FileWriter`] into blocks and parts; every part is one tape
//! file: a `SPLIT_FILE part k/-1` header block with `X-TF-STREAM`/`X-TF-OFFSET` lines, the
//! data blocks, a filemark. The stream is byte-continuous across parts, so Amanda's tools
//! reassemble it by concatenating parts.
//!
//! - **Early warning** (the block is on tape): the part is closed, the volume is marked
//!   full, and the next part starts on the next cartridge.
//! - **End of medium** (the block is *not* on tape): the part is closed with what it has,
//!   and the pending block becomes the first data block of the next part on the next
//!   cartridge (afbackup re-writes the pending block the same way).
//! - The next cartridge is the next one after the full one (wrapping) that is not
//!   read-only, not full, not write-protected and labelled as itself (or blank, then it is
//!   labelled). A full cartridge is reused only when the policy allows it and it is not
//!   precious. The first part on the new cartridge carries `X-TF-PREV=<cart> <file>` and
//!   the writer reports [`SpanEvent::Continued`] for `cartridge_order`.
//!
//! Nothing already on a cartridge is overwritten except by an explicit reuse policy.

use std::collections::{BTreeSet, VecDeque};

use crate::afbackup::{PreciousTapes, ReadonlyTapes};
use crate::amanda::{DumpFile, DumpKind, Header, PartInfo, TapeStart, VolumeInfo};
use crate::device::{DeviceError, Library, TapeDevice, WriteOutcome};
use crate::error::{TapeError, TapeErrorKind};
use crate::volume::{
    VolumeLabel, check_block_size, header_block_len, read_label, seek_append_point, write_label,
};
use crate::writer::{Chunk, FileWriter};

/// Fixed settings of a write.
#[derive(Clone, Debug)]
pub struct WriterConfig {
    /// Data block size (FORMAT.md: a multiple of 1024; ≥ 32768 on fixed-block drives).
    pub block_size: u32,
    /// Largest part in data bytes (afbackup *Max Bytes Per File*).
    pub max_bytes_per_file: u64,
    /// Labels of cartridges labelled on the fly are `<prefix><cart:03>`.
    pub label_prefix: String,
    /// Cartridge set written to.
    pub set: u32,
    /// Seconds since the epoch, for labels written on the fly.
    pub now: u64,
}

impl WriterConfig {
    /// The label for cartridge `cart`.
    pub fn label_for(&self, cart: u32) -> String {
        format!("{}{cart:03}", self.label_prefix)
    }

    /// The TAPESTART header of cartridge `cart`.
    pub fn tapestart(&self, cart: u32, datestamp: &str) -> TapeStart {
        TapeStart {
            datestamp: datestamp.to_owned(),
            label: self.label_for(cart),
            extra: VolumeInfo {
                cart,
                cart2: None,
                set: Some(self.set),
                blocksize: Some(self.block_size),
                labeled: Some(self.now),
            }
            .to_lines(),
        }
    }
}

/// How a cartridge may be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CartridgeUse {
    /// Append after its data.
    Append,
    /// Label it again and write from file 1 (a full cartridge reused by policy).
    Overwrite,
}

/// Which cartridges may be written (afserver(8): `readonly_tapes`, `precious_tapes`).
#[derive(Clone, Debug, Default)]
pub struct CartridgePolicy {
    /// Number of cartridges (open range ends bind to it).
    pub num_cartridges: u32,
    /// Never written.
    pub readonly: ReadonlyTapes,
    /// Needed for restores: read-only once full, never reused.
    pub precious: PreciousTapes,
    /// Cartridges known to be full (`bytes_on_tape` full flag).
    pub full: BTreeSet<u32>,
    /// Reuse full cartridges that are not precious (afbackup's cycle). Off by default:
    /// nothing on tape is overwritten unless asked for.
    pub reuse_full: bool,
}

impl CartridgePolicy {
    /// How `cart` may be used, or `None` if it may not be written.
    pub fn usable(&self, cart: u32) -> Option<CartridgeUse> {
        let n = self.num_cartridges;
        if cart == 0 || cart > n || self.readonly.contains(cart, n) {
            return None;
        }
        if self.full.contains(&cart) {
            return (self.reuse_full && !self.precious.contains(cart, n))
                .then_some(CartridgeUse::Overwrite);
        }
        Some(CartridgeUse::Append)
    }

    /// The next usable cartridge after `cart`, wrapping around, never `cart` itself.
    pub fn next_after(&self, cart: u32, exclude: &BTreeSet<u32>) -> Option<(u32, CartridgeUse)> {
        let n = self.num_cartridges;
        (1..n)
            .map(|i| (cart.saturating_sub(1) + i) % n.max(1) + 1)
            .filter(|c| *c != cart && !exclude.contains(c))
            .find_map(|c| self.usable(c).map(|u| (c, u)))
    }
}

/// Something the caller must record in the state files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpanEvent {
    /// A blank (or reused) cartridge was labelled.
    Labeled {
        /// Cartridge.
        cart: u32,
        /// Its label.
        label: String,
    },
    /// A part is complete on tape.
    PartWritten(PartLocation),
    /// The cartridge is full (`bytes_on_tape` full=1, `tape_uses` +1, Tape-Full-Command).
    TapeFull {
        /// Cartridge.
        cart: u32,
        /// Its last tape file.
        last_file: u32,
    },
    /// The stream continues on another cartridge (`cartridge_order`: `from -> to file`).
    Continued {
        /// The full cartridge.
        from: u32,
        /// The next cartridge.
        to: u32,
        /// The file the stream continues at.
        file: u32,
    },
    /// A cartridge was passed over while looking for the next writable one.
    Skipped {
        /// Cartridge.
        cart: u32,
        /// Why.
        reason: TapeErrorKind,
    },
}

/// Where a part lies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartLocation {
    /// Cartridge.
    pub cart: u32,
    /// Physical tape file.
    pub file: u32,
    /// Part number, from 1.
    pub part: i32,
    /// Stream offset of the part's first data byte.
    pub offset: u64,
    /// Data bytes in the part (padding of a last fixed block included).
    pub bytes: u64,
}

/// What a finished write produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriteSummary {
    /// Stream id (`X-TF-STREAM`).
    pub stream: u64,
    /// Stream length in bytes.
    pub bytes: u64,
    /// Every part, in stream order.
    pub parts: Vec<PartLocation>,
    /// Where the next write goes: (cartridge, file).
    pub next: (u32, u32),
}

/// Writes one stream across cartridges. Call [`write`](Self::write) with stream data,
/// then [`finish`](Self::finish); drain [`poll_event`](Self::poll_event) after each call.
#[derive(Debug)]
pub struct VolumeWriter {
    cfg: WriterConfig,
    policy: CartridgePolicy,
    template: DumpFile,
    stream: u64,
    fw: FileWriter,
    header_len: usize,
    cart: u32,
    file: u32,
    in_part: bool,
    part: i32,
    part_offset: u64,
    part_bytes: u64,
    offset: u64,
    last_on_cart: Option<(u32, u32)>,
    prev: Option<(u32, u32)>,
    events: VecDeque<SpanEvent>,
    parts: Vec<PartLocation>,
}

impl VolumeWriter {
    /// Load `cart` (or the next usable one if the policy rules it out), check its label,
    /// label it if blank, and position at its append point.
    ///
    /// `template` gives the dump identity (date, host, disk, level, program, compression,
    /// recipe); the writer sets the part numbers, block size and extension lines.
    pub fn start<L: Library>(
        lib: &mut L,
        cfg: WriterConfig,
        policy: CartridgePolicy,
        template: DumpFile,
        stream: u64,
        cart: u32,
    ) -> Result<Self, TapeError> {
        let (cart, how) = match policy.usable(cart) {
            Some(u) => (cart, u),
            None => policy
                .next_after(cart, &BTreeSet::new())
                .ok_or(TapeError::at(
                    cart,
                    0,
                    0,
                    TapeErrorKind::NoWritableCartridge,
                ))?,
        };
        lib.load(cart).map_err(|e| TapeError::at(cart, 0, 0, e))?;
        let mode = lib.drive().mode();
        check_block_size(cfg.block_size, mode).map_err(|k| TapeError::at(cart, 0, 0, k))?;
        let pad = matches!(mode, crate::BlockMode::Fixed(_));
        let mut w = VolumeWriter {
            fw: FileWriter::new(cfg.block_size, cfg.max_bytes_per_file, pad),
            header_len: header_block_len(mode),
            cfg,
            policy,
            template,
            stream,
            cart,
            file: 0,
            in_part: false,
            part: 0,
            part_offset: 0,
            part_bytes: 0,
            offset: 0,
            last_on_cart: None,
            prev: None,
            events: VecDeque::new(),
            parts: Vec::new(),
        };
        w.file = w.prepare(lib, cart, how).map_err(|k| w.err(lib, k))?;
        Ok(w)
    }

    /// The next event for the state files.
    pub fn poll_event(&mut self) -> Option<SpanEvent> {
        self.events.pop_front()
    }

    /// The cartridge being written.
    pub fn cartridge(&self) -> u32 {
        self.cart
    }

    /// The physical file being (or next to be) written.
    pub fn file(&self) -> u32 {
        self.file
    }

    /// Stream bytes accepted into blocks so far.
    pub fn bytes(&self) -> u64 {
        self.fw.emitted()
    }

    /// Write stream data.
    pub fn write<L: Library>(&mut self, lib: &mut L, data: &[u8]) -> Result<(), TapeError> {
        self.fw.push(data);
        self.drain(lib)
    }

    /// End the stream: write the last block, close the part, mark end of data.
    pub fn finish<L: Library>(
        mut self,
        lib: &mut L,
    ) -> Result<(WriteSummary, Vec<SpanEvent>), TapeError> {
        self.fw.finish();
        self.drain(lib)?;
        self.close_part(lib)?;
        let dev = lib.drive();
        // End of data: a second filemark. The next append overwrites it (FORMAT.md).
        let r = dev.write_filemarks(1).and_then(|()| dev.flush());
        if let Err(e) = r {
            return Err(self.err(lib, e.into()));
        }
        let _ = lib.drive().space_files(-1);
        let summary = WriteSummary {
            stream: self.stream,
            bytes: self.fw.emitted(),
            parts: std::mem::take(&mut self.parts),
            next: (self.cart, self.file),
        };
        Ok((summary, self.events.drain(..).collect()))
    }

    fn err<L: Library>(&self, lib: &mut L, kind: TapeErrorKind) -> TapeError {
        let pos = lib.drive().position();
        TapeError::at(
            self.cart,
            pos.map_or(self.file, |p| p.file),
            pos.map_or(0, |p| p.block),
            kind,
        )
    }

    fn drain<L: Library>(&mut self, lib: &mut L) -> Result<(), TapeError> {
        while let Some(chunk) = self.fw.poll() {
            match chunk {
                Chunk::EndOfFile => self.close_part(lib)?,
                Chunk::Block(b) => self.write_data(lib, &b)?,
            }
        }
        Ok(())
    }

    fn write_data<L: Library>(&mut self, lib: &mut L, block: &[u8]) -> Result<(), TapeError> {
        loop {
            if !self.in_part {
                self.open_part(lib)?;
            }
            match lib.drive().write_block(block) {
                Ok(outcome) => {
                    self.part_bytes += block.len() as u64;
                    self.offset += block.len() as u64;
                    if outcome == WriteOutcome::EarlyWarning {
                        self.close_part(lib)?;
                        self.span(lib)?;
                    }
                    return Ok(());
                }
                Err(DeviceError::EndOfMedium) => {
                    // The block is not on tape: close what is there, carry the block over.
                    self.close_part(lib)?;
                    self.span(lib)?;
                }
                Err(e) => return Err(self.err(lib, e.into())),
            }
        }
    }

    fn open_part<L: Library>(&mut self, lib: &mut L) -> Result<(), TapeError> {
        loop {
            let mut h = self.template.clone();
            h.kind = DumpKind::Split {
                part: self.part + 1,
                total: -1,
            };
            h.blocksize = Some(self.cfg.block_size);
            h.extra.extend(
                PartInfo {
                    stream: self.stream,
                    offset: self.offset,
                    prev: self.prev,
                }
                .to_lines(),
            );
            let block = Header::Dump(Box::new(h))
                .encode(self.header_len)
                .map_err(|e| self.err(lib, e.into()))?;
            match lib.drive().write_block(&block) {
                Ok(_) => {
                    self.part += 1;
                    self.prev = None;
                    self.in_part = true;
                    self.part_offset = self.offset;
                    self.part_bytes = 0;
                    return Ok(());
                }
                Err(DeviceError::EndOfMedium) => self.span(lib)?,
                Err(e) => return Err(self.err(lib, e.into())),
            }
        }
    }

    fn close_part<L: Library>(&mut self, lib: &mut L) -> Result<(), TapeError> {
        if !self.in_part {
            return Ok(());
        }
        // Filemarks are allowed after early warning (§5.1); after a hard end of medium
        // the drive may refuse, and the reader then sees end of data instead.
        match lib.drive().write_filemarks(1) {
            Ok(()) | Err(DeviceError::EndOfMedium) => {}
            Err(e) => return Err(self.err(lib, e.into())),
        }
        self.in_part = false;
        let loc = PartLocation {
            cart: self.cart,
            file: self.file,
            part: self.part,
            offset: self.part_offset,
            bytes: self.part_bytes,
        };
        self.parts.push(loc);
        self.events.push_back(SpanEvent::PartWritten(loc));
        self.last_on_cart = Some((self.cart, self.file));
        self.file += 1;
        Ok(())
    }

    /// Leave the full cartridge and get the next writable one ready.
    fn span<L: Library>(&mut self, lib: &mut L) -> Result<(), TapeError> {
        let dev = lib.drive();
        let _ = dev.write_filemarks(1);
        let _ = dev.flush();
        let full = self.cart;
        self.policy.full.insert(full);
        self.events.push_back(SpanEvent::TapeFull {
            cart: full,
            last_file: self.file.saturating_sub(1),
        });
        let mut tried = BTreeSet::new();
        loop {
            let Some((next, how)) = self.policy.next_after(full, &tried) else {
                return Err(TapeError::at(
                    full,
                    self.file,
                    0,
                    TapeErrorKind::NoWritableCartridge,
                ));
            };
            tried.insert(next);
            if let Err(e) = lib.load(next) {
                self.events.push_back(SpanEvent::Skipped {
                    cart: next,
                    reason: e.into(),
                });
                continue;
            }
            match self.prepare(lib, next, how) {
                Ok(file) => {
                    if let Some(last) = self.last_on_cart.filter(|l| l.0 == full) {
                        self.prev = Some(last);
                    }
                    self.events.push_back(SpanEvent::Continued {
                        from: full,
                        to: next,
                        file,
                    });
                    self.cart = next;
                    self.file = file;
                    self.fw.new_file();
                    return Ok(());
                }
                Err(reason) => {
                    self.events
                        .push_back(SpanEvent::Skipped { cart: next, reason });
                }
            }
        }
    }

    /// Check the cartridge in the drive and position it; returns the file to write.
    fn prepare<L: Library>(
        &mut self,
        lib: &mut L,
        cart: u32,
        how: CartridgeUse,
    ) -> Result<u32, TapeErrorKind> {
        let dev = lib.drive();
        if dev.is_write_protected() {
            return Err(TapeErrorKind::WriteProtected);
        }
        let label = read_label(dev)?;
        let fresh = |w: &mut Self, dev: &mut L::Drive| -> Result<u32, TapeErrorKind> {
            let start = w.cfg.tapestart(cart, &w.template.datestamp);
            let label = start.label.clone();
            write_label(dev, &start)?;
            w.events.push_back(SpanEvent::Labeled { cart, label });
            // Stand before the end-of-data filemark: file 1 is written in its place.
            dev.space_files(-1)?;
            Ok(1)
        };
        match label {
            VolumeLabel::Blank => fresh(self, dev),
            VolumeLabel::Ours { info, .. } if info.names(cart) => {
                if let Some(bs) = info.blocksize
                    && bs != self.cfg.block_size
                    && how == CartridgeUse::Append
                {
                    return Err(TapeErrorKind::BadBlockSize(bs));
                }
                match how {
                    CartridgeUse::Append => Ok(seek_append_point(dev)?),
                    CartridgeUse::Overwrite => fresh(self, dev),
                }
            }
            other => Err(TapeErrorKind::WrongLabel {
                found: other.cartridge().unwrap_or(0),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::afbackup::RangeSet;

    #[test]
    fn policy_skips_readonly_full_and_precious() {
        let mut p = CartridgePolicy {
            num_cartridges: 5,
            ..Default::default()
        };
        p.readonly.lines.push(RangeSet::parse("2").unwrap());
        p.full.insert(3);
        p.full.insert(4);
        p.precious
            .entries
            .push(("host".into(), RangeSet::parse("4").unwrap()));
        assert_eq!(
            p.next_after(1, &BTreeSet::new()),
            Some((5, CartridgeUse::Append))
        );
        assert_eq!(
            p.next_after(5, &BTreeSet::new()),
            Some((1, CartridgeUse::Append))
        );
        p.reuse_full = true;
        assert_eq!(
            p.next_after(1, &BTreeSet::new()),
            Some((3, CartridgeUse::Overwrite))
        );
        assert_eq!(p.usable(4), None);
        assert_eq!(p.usable(2), None);
        assert_eq!(p.usable(6), None);
    }
}
