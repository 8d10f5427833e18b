//! Reading one backup stream back across cartridges (`spec/tape-format.md` §8.1
//! `VolumeReader`; FORMAT.md "Reading").
//!
//! Starting at the stream's first part, the reader delivers the data of each part and
//! then finds the next one: the next file on the same cartridge, or, when the cartridge
//! ends, the place `cartridge_order` names (default: the next cartridge, file 1), checked
//! against the new part's `X-TF-STREAM`, part number and `X-TF-PREV` link. Without a
//! usable `cartridge_order` entry it scans the other cartridges for the part whose
//! `X-TF-PREV` points back, so a restore works from the tapes alone.
//!
//! With `skip_damaged`, an unreadable block is replaced by zeros of the block size and
//! reported in [`VolumeReader::damage`]; after many unreadable blocks in a row the rest
//! of the part is skipped and the gap up to the next part's `X-TF-OFFSET` is zero-filled.
//! Offsets in the stream are therefore kept, so a tar stream stays aligned and only the
//! damaged files are lost.

use crate::afbackup::CartridgeOrder;
use crate::amanda::{DumpFile, DumpKind, HEADER_BLOCK, Header, PartInfo};
use crate::device::BlockMode;
use crate::device::{DeviceError, Library, ReadOutcome, TapeDevice};
use crate::error::{TapeError, TapeErrorKind};
use crate::probe::{BlockSizeProber, probe_block_size};
use crate::volume::{VolumeLabel, read_label};

/// Unreadable blocks in a row after which the rest of a part is given up.
pub const MAX_BAD_BLOCKS_IN_A_ROW: u32 = 16;

/// How to read.
#[derive(Clone, Debug, Default)]
pub struct ReadOptions {
    /// The `cartridge_order` file.
    pub order: CartridgeOrder,
    /// Number of cartridges in the library.
    pub num_cartridges: u32,
    /// The stream length, when the catalog knows it (trailing padding is cut off and a
    /// missing part is an error instead of the end of the stream).
    pub length: Option<u64>,
    /// Go on past unreadable blocks (zero-filled, reported) instead of failing.
    pub skip_damaged: bool,
    /// Block sizes to probe when a cartridge's label cannot be read with the drive's
    /// current mode (`ever_used_blocksizes`, §2.4).
    pub block_sizes: Vec<u32>,
}

/// A stretch of the stream that could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Damage {
    /// Cartridge.
    pub cart: u32,
    /// Physical tape file.
    pub file: u32,
    /// First bad block in the file (header block = 0).
    pub block: u64,
    /// Stream offset of the first lost byte.
    pub offset: u64,
    /// Bytes replaced by zeros.
    pub len: u64,
}

/// Reads one stream. Call [`read`](Self::read) until it returns 0.
#[derive(Debug)]
pub struct VolumeReader {
    opts: ReadOptions,
    stream: u64,
    first: DumpFile,
    block_size: usize,
    cart: u32,
    file: u32,
    block: u64,
    part: i32,
    offset: u64,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    zero_fill: u64,
    skip: u64,
    bad_in_row: u32,
    done: bool,
    damage: Vec<Damage>,
}

fn part_number(d: &DumpFile) -> i32 {
    match d.kind {
        DumpKind::Split { part, .. } => part,
        _ => 1,
    }
}

impl VolumeReader {
    /// Load `cart`, check its label, go to physical file `file` and read the stream's
    /// first header there.
    pub fn open<L: Library>(
        lib: &mut L,
        cart: u32,
        file: u32,
        opts: ReadOptions,
    ) -> Result<Self, TapeError> {
        let mut r = VolumeReader {
            opts,
            stream: 0,
            first: DumpFile::new("X", "-", "-", 0),
            block_size: HEADER_BLOCK,
            cart,
            file,
            block: 0,
            part: 0,
            offset: 0,
            buf: vec![0; HEADER_BLOCK],
            pos: 0,
            len: 0,
            zero_fill: 0,
            skip: 0,
            bad_in_row: 0,
            done: false,
            damage: Vec::new(),
        };
        r.goto(lib, cart, file)?;
        let (d, info) = match r.read_header(lib)? {
            Some(x) => x,
            None => return Err(r.err(lib, TapeErrorKind::NotOurDump)),
        };
        r.stream = info.stream;
        r.part = part_number(&d);
        r.offset = info.offset;
        r.block_size = d.blocksize.map_or(HEADER_BLOCK, |b| b as usize).max(1);
        if r.buf.len() < r.block_size {
            r.buf.resize(r.block_size, 0);
        }
        r.first = d;
        Ok(r)
    }

    /// The first part's header (dump identity).
    pub fn header(&self) -> &DumpFile {
        &self.first
    }

    /// The stream id.
    pub fn stream(&self) -> u64 {
        self.stream
    }

    /// Stream bytes delivered so far (zero fills included).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Where the reader is: (cartridge, file).
    pub fn location(&self) -> (u32, u32) {
        (self.cart, self.file)
    }

    /// What could not be read (only with `skip_damaged`).
    pub fn damage(&self) -> &[Damage] {
        &self.damage
    }

    fn err<L: Library>(&self, _lib: &mut L, kind: impl Into<TapeErrorKind>) -> TapeError {
        TapeError::at(self.cart, self.file, self.block, kind)
    }

    /// Load a cartridge, check its label, and stand at the start of `file`.
    fn goto<L: Library>(&mut self, lib: &mut L, cart: u32, file: u32) -> Result<(), TapeError> {
        self.cart = cart;
        self.file = file;
        self.block = 0;
        lib.load(cart).map_err(|e| self.err(lib, e))?;
        let mut label = read_label(lib.drive()).map_err(|e| self.err(lib, e))?;
        if label == VolumeLabel::Unknown {
            // Perhaps written with another block size: probe as afbackup does (§2.4).
            let dev = lib.drive();
            let mode = dev.mode();
            let mut prober = BlockSizeProber::new(mode.max_block(), &self.opts.block_sizes);
            let found =
                probe_block_size(dev, &mut prober).map_err(|e| TapeError::at(cart, 0, 0, e))?;
            let new_mode = match (found, mode) {
                (Some(n), BlockMode::Fixed(_)) => BlockMode::Fixed(n),
                _ => mode,
            };
            dev.set_mode(new_mode)
                .map_err(|e| TapeError::at(cart, 0, 0, e))?;
            if found.is_some() {
                label = read_label(dev).map_err(|e| TapeError::at(cart, 0, 0, e))?;
            }
        }
        if !label.names(cart) {
            let kind = match label.cartridge() {
                None => TapeErrorKind::Unlabelled,
                Some(found) => TapeErrorKind::WrongLabel { found },
            };
            return Err(TapeError::at(cart, 0, 0, kind));
        }
        let dev = lib.drive();
        dev.rewind().map_err(|e| self.err(lib, e))?;
        lib.drive()
            .space_files(i64::from(file))
            .map_err(|e| self.err(lib, e))?;
        Ok(())
    }

    /// Read one block, growing the buffer when the block is larger than expected.
    fn read_raw<L: Library>(&mut self, lib: &mut L) -> Result<ReadOutcome, DeviceError> {
        loop {
            match lib.drive().read_block(&mut self.buf) {
                Err(DeviceError::BufferTooSmall { needed }) => {
                    let want = needed.map_or(self.buf.len() * 2, |n| n as usize);
                    if want <= self.buf.len() || want > 1 << 28 {
                        return Err(DeviceError::BufferTooSmall { needed });
                    }
                    self.buf.resize(want, 0);
                    lib.drive().space_blocks(-1)?;
                }
                Ok(ReadOutcome::Block(n)) => {
                    self.block += 1;
                    return Ok(ReadOutcome::Block(n));
                }
                other => return other,
            }
        }
    }

    /// Read the header block at the start of the current file. `None` when the file is
    /// empty or holds no dump of ours.
    fn read_header<L: Library>(
        &mut self,
        lib: &mut L,
    ) -> Result<Option<(DumpFile, PartInfo)>, TapeError> {
        match self.read_raw(lib) {
            Ok(ReadOutcome::Block(n)) => {
                let Ok(Header::Dump(d)) = Header::decode(&self.buf[..n]) else {
                    return Ok(None);
                };
                match PartInfo::from_extra(&d.extra) {
                    Ok(Some(info)) => Ok(Some((*d, info))),
                    _ => Ok(None),
                }
            }
            Ok(_) => Ok(None),
            Err(DeviceError::Io(_)) if self.opts.skip_damaged => Ok(None),
            Err(e) => Err(self.err(lib, e)),
        }
    }

    /// Whether `d`/`info` is the part after the current one.
    fn is_next(&self, d: &DumpFile, info: &PartInfo, prev: Option<(u32, u32)>) -> bool {
        info.stream == self.stream
            && part_number(d) == self.part + 1
            && (prev.is_none() || info.prev == prev)
    }

    /// The current part has ended (at a filemark or end of data). Find the next part.
    fn advance<L: Library>(
        &mut self,
        lib: &mut L,
        at_end_of_data: bool,
    ) -> Result<bool, TapeError> {
        if self.opts.length.is_some_and(|l| self.offset >= l) {
            return Ok(false);
        }
        let last = (self.cart, self.file);
        if !at_end_of_data {
            self.file += 1;
            self.block = 0;
            if let Some((d, info)) = self.read_header(lib)? {
                if self.is_next(&d, &info, None) {
                    return self.accept(lib, &d, &info).map(|()| true);
                }
                // Another stream follows: ours ended here.
                return self.end_of_chain(lib);
            }
        }
        // This cartridge has no more data: follow the chain.
        let n = self.opts.num_cartridges.max(1);
        let guess = self.opts.order.next(last.0).unwrap_or((last.0 % n + 1, 1));
        if self.try_at(lib, guess.0, guess.1, last)? {
            return Ok(true);
        }
        for c in (1..=n).filter(|&c| c != last.0 && c != guess.0) {
            if self.scan_cartridge(lib, c, last)? {
                return Ok(true);
            }
        }
        self.end_of_chain(lib)
    }

    fn end_of_chain<L: Library>(&mut self, lib: &mut L) -> Result<bool, TapeError> {
        match self.opts.length {
            Some(l) if self.offset < l => Err(self.err(
                lib,
                TapeErrorKind::ChainBroken {
                    stream: self.stream,
                    expected_part: self.part + 1,
                },
            )),
            _ => Ok(false),
        }
    }

    fn try_at<L: Library>(
        &mut self,
        lib: &mut L,
        cart: u32,
        file: u32,
        prev: (u32, u32),
    ) -> Result<bool, TapeError> {
        if self.goto(lib, cart, file).is_err() {
            return Ok(false);
        }
        match self.read_header(lib)? {
            Some((d, info)) if self.is_next(&d, &info, Some(prev)) => {
                self.accept(lib, &d, &info).map(|()| true)
            }
            _ => Ok(false),
        }
    }

    fn scan_cartridge<L: Library>(
        &mut self,
        lib: &mut L,
        cart: u32,
        prev: (u32, u32),
    ) -> Result<bool, TapeError> {
        if self.goto(lib, cart, 1).is_err() {
            return Ok(false);
        }
        loop {
            match self.read_header(lib) {
                Ok(Some((d, info))) if self.is_next(&d, &info, Some(prev)) => {
                    return self.accept(lib, &d, &info).map(|()| true);
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => {
                    // An empty file (end of data) or something unreadable ends the scan.
                    let pos = lib.drive().position();
                    if pos.is_some_and(|p| p.block == 0) {
                        return Ok(false);
                    }
                }
            }
            if lib.drive().space_files(1).is_err() {
                return Ok(false);
            }
            self.file += 1;
            self.block = 0;
        }
    }

    /// Make `d` the current part; reconcile its offset with ours.
    fn accept<L: Library>(
        &mut self,
        lib: &mut L,
        d: &DumpFile,
        info: &PartInfo,
    ) -> Result<(), TapeError> {
        self.part = part_number(d);
        self.bad_in_row = 0;
        if info.offset > self.offset {
            if !self.opts.skip_damaged {
                return Err(self.err(
                    lib,
                    TapeErrorKind::ChainBroken {
                        stream: self.stream,
                        expected_part: self.part,
                    },
                ));
            }
            let gap = info.offset - self.offset;
            self.damage.push(Damage {
                cart: self.cart,
                file: self.file,
                block: 0,
                offset: self.offset,
                len: gap,
            });
            self.zero_fill += gap;
        } else if info.offset < self.offset {
            // We delivered zeros for blocks that were in fact shorter: drop the overlap.
            self.skip = self.offset - info.offset;
        }
        Ok(())
    }

    /// Fetch the next data block into the buffer. `false` at the end of the stream.
    fn next_block<L: Library>(&mut self, lib: &mut L) -> Result<bool, TapeError> {
        loop {
            match self.read_raw(lib) {
                Ok(ReadOutcome::Block(n)) => {
                    self.bad_in_row = 0;
                    self.pos = 0;
                    self.len = n;
                    if self.skip > 0 {
                        let s = self.skip.min(n as u64) as usize;
                        self.skip -= s as u64;
                        self.pos = s;
                        if self.pos == self.len {
                            continue;
                        }
                    }
                    return Ok(true);
                }
                Ok(ReadOutcome::Filemark) => {
                    if !self.advance(lib, false)? {
                        return Ok(false);
                    }
                }
                Ok(ReadOutcome::EndOfData) => {
                    if !self.advance(lib, true)? {
                        return Ok(false);
                    }
                }
                Err(DeviceError::Io(_)) if self.opts.skip_damaged => {
                    self.block += 1;
                    self.bad_in_row += 1;
                    if self.bad_in_row >= MAX_BAD_BLOCKS_IN_A_ROW {
                        // Give up on this part; the next part's offset closes the gap.
                        let _ = lib.drive().space_files(1);
                        if !self.advance(lib, false)? {
                            return Ok(false);
                        }
                        continue;
                    }
                    let len = self.block_size as u64;
                    self.damage.push(Damage {
                        cart: self.cart,
                        file: self.file,
                        block: self.block - 1,
                        offset: self.offset + self.zero_fill,
                        len,
                    });
                    self.zero_fill += len;
                    return Ok(true);
                }
                Err(e) => return Err(self.err(lib, e)),
            }
        }
    }

    /// Read stream bytes into `out`; 0 at the end of the stream.
    pub fn read<L: Library>(&mut self, lib: &mut L, out: &mut [u8]) -> Result<usize, TapeError> {
        loop {
            let room = match self.opts.length {
                Some(l) => (l.saturating_sub(self.offset)).min(out.len() as u64) as usize,
                None => out.len(),
            };
            if room == 0 {
                return Ok(0);
            }
            if self.zero_fill > 0 {
                let n = self.zero_fill.min(room as u64) as usize;
                out[..n].fill(0);
                self.zero_fill -= n as u64;
                self.offset += n as u64;
                return Ok(n);
            }
            if self.pos < self.len {
                let n = (self.len - self.pos).min(room);
                out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
                self.pos += n;
                self.offset += n as u64;
                return Ok(n);
            }
            if self.done {
                return Ok(0);
            }
            if !self.next_block(lib)? {
                self.done = true;
            }
        }
    }
}
