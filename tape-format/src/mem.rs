//! An in-memory tape and cartridge library for tests: capacity, early warning, write
//! protection, damaged blocks and countdown faults (`spec/tape-format.md` §8.1 `MemTape`,
//! §8.5).
//!
//! The model follows the `st` semantics of §5.1 as mapped in [`crate::device`]: a write
//! that ends inside the early-warning zone succeeds and says so; a write that would pass
//! the capacity fails and leaves nothing on tape; filemarks take no capacity (the drive
//! keeps room for trailers). Reading a damaged block fails with an I/O error and moves
//! past it, as a drive does after an unrecoverable read.

use std::collections::BTreeSet;

use bytes::Bytes;

use crate::device::{
    BlockMode, DeviceError, Library, Position, ReadOutcome, TapeDevice, WriteOutcome,
};

#[derive(Clone, Debug, PartialEq, Eq)]
enum Item {
    Record(Bytes),
    Mark,
}

/// Which operation an injected fault hits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultOp {
    /// `write_block`.
    Write,
    /// `read_block`.
    Read,
}

/// An in-memory cartridge in an in-memory drive.
#[derive(Clone, Debug)]
pub struct MemTape {
    items: Vec<Item>,
    pos: usize,
    file: u32,
    block: u64,
    mode: BlockMode,
    capacity: Option<u64>,
    early_warning: u64,
    used: u64,
    write_protected: bool,
    damaged: BTreeSet<usize>,
    faults: Vec<(FaultOp, u64, DeviceError)>,
    writes: u64,
    reads: u64,
}

impl MemTape {
    /// A blank tape of unlimited capacity in the given mode.
    pub fn new(mode: BlockMode) -> Self {
        MemTape {
            items: Vec::new(),
            pos: 0,
            file: 0,
            block: 0,
            mode,
            capacity: None,
            early_warning: 0,
            used: 0,
            write_protected: false,
            damaged: BTreeSet::new(),
            faults: Vec::new(),
            writes: 0,
            reads: 0,
        }
    }

    /// Limit the data bytes the tape holds. Writes that end within `early_warning` bytes of
    /// the capacity report [`WriteOutcome::EarlyWarning`]; a write past it fails with
    /// [`DeviceError::EndOfMedium`]. `early_warning = 0` models a drive without early
    /// warning (hard end of medium only).
    pub fn with_capacity(mut self, capacity: u64, early_warning: u64) -> Self {
        self.capacity = Some(capacity);
        self.early_warning = early_warning.min(capacity);
        self
    }

    /// Set or clear the write-protect tab.
    pub fn set_write_protected(&mut self, on: bool) {
        self.write_protected = on;
    }

    /// Make the block at (`file`, `block`) unreadable. Returns false when there is no such
    /// block.
    pub fn damage(&mut self, file: u32, block: u64) -> bool {
        match self.index_of(file, block) {
            Some(i) => {
                self.damaged.insert(i);
                true
            }
            None => false,
        }
    }

    /// Fail the `n`-th next call of `op` (1 = the very next one) with `error`. The failed
    /// call changes nothing.
    pub fn inject_fault(&mut self, op: FaultOp, n: u64, error: DeviceError) {
        let base = match op {
            FaultOp::Write => self.writes,
            FaultOp::Read => self.reads,
        };
        self.faults.push((op, base.saturating_add(n), error));
    }

    /// Data bytes recorded on the tape.
    pub fn used_bytes(&self) -> u64 {
        self.used
    }

    /// Number of filemarks recorded on the tape.
    pub fn filemarks(&self) -> usize {
        self.items.iter().filter(|i| **i == Item::Mark).count()
    }

    /// The recorded data, one entry per tape file: the blocks of each file. Files end at
    /// each filemark; a last file without a filemark is included when it has blocks.
    pub fn files(&self) -> Vec<Vec<Bytes>> {
        let mut out = Vec::new();
        let mut cur = Vec::new();
        for item in &self.items {
            match item {
                Item::Record(b) => cur.push(b.clone()),
                Item::Mark => out.push(std::mem::take(&mut cur)),
            }
        }
        if !cur.is_empty() {
            out.push(cur);
        }
        out
    }

    fn index_of(&self, file: u32, block: u64) -> Option<usize> {
        let (mut f, mut b) = (0u32, 0u64);
        for (i, item) in self.items.iter().enumerate() {
            match item {
                Item::Record(_) => {
                    if f == file && b == block {
                        return Some(i);
                    }
                    b += 1;
                }
                Item::Mark => {
                    f += 1;
                    b = 0;
                }
            }
        }
        None
    }

    fn take_fault(&mut self, op: FaultOp) -> Option<DeviceError> {
        let count = match op {
            FaultOp::Write => self.writes,
            FaultOp::Read => self.reads,
        };
        let i = self
            .faults
            .iter()
            .position(|(o, n, _)| *o == op && *n == count)?;
        Some(self.faults.swap_remove(i).2)
    }

    fn truncate_here(&mut self) {
        for item in self.items.drain(self.pos..) {
            if let Item::Record(b) = item {
                self.used -= b.len() as u64;
            }
        }
        let pos = self.pos;
        self.damaged.retain(|&i| i < pos);
    }

    fn recompute_position(&mut self) {
        let (mut f, mut b) = (0u32, 0u64);
        for item in &self.items[..self.pos] {
            match item {
                Item::Record(_) => b += 1,
                Item::Mark => {
                    f += 1;
                    b = 0;
                }
            }
        }
        self.file = f;
        self.block = b;
    }
}

impl TapeDevice for MemTape {
    fn mode(&self) -> BlockMode {
        self.mode
    }

    fn set_mode(&mut self, mode: BlockMode) -> Result<(), DeviceError> {
        self.mode = mode;
        Ok(())
    }

    fn is_write_protected(&self) -> bool {
        self.write_protected
    }

    fn write_block(&mut self, block: &[u8]) -> Result<WriteOutcome, DeviceError> {
        self.writes += 1;
        if self.write_protected {
            return Err(DeviceError::WriteProtected);
        }
        let len = u32::try_from(block.len()).unwrap_or(u32::MAX);
        match self.mode {
            BlockMode::Fixed(n) if len != n => {
                return Err(DeviceError::WrongBlockSize {
                    expected: n,
                    got: len,
                });
            }
            BlockMode::Variable { max } if len > max || len == 0 => {
                return Err(DeviceError::WrongBlockSize {
                    expected: max,
                    got: len,
                });
            }
            _ => {}
        }
        if let Some(e) = self.take_fault(FaultOp::Write) {
            return Err(e);
        }
        self.truncate_here();
        let after = self.used + u64::from(len);
        if let Some(cap) = self.capacity
            && after > cap
        {
            return Err(DeviceError::EndOfMedium);
        }
        self.items.push(Item::Record(Bytes::copy_from_slice(block)));
        self.pos += 1;
        self.block += 1;
        self.used = after;
        match self.capacity {
            Some(cap) if self.early_warning > 0 && after > cap - self.early_warning => {
                Ok(WriteOutcome::EarlyWarning)
            }
            _ => Ok(WriteOutcome::Written),
        }
    }

    fn write_filemarks(&mut self, n: u32) -> Result<(), DeviceError> {
        if self.write_protected {
            return Err(DeviceError::WriteProtected);
        }
        self.truncate_here();
        for _ in 0..n {
            self.items.push(Item::Mark);
            self.pos += 1;
            self.file += 1;
            self.block = 0;
        }
        Ok(())
    }

    fn read_block(&mut self, buf: &mut [u8]) -> Result<ReadOutcome, DeviceError> {
        self.reads += 1;
        if let Some(e) = self.take_fault(FaultOp::Read) {
            return Err(e);
        }
        let Some(item) = self.items.get(self.pos) else {
            return Ok(ReadOutcome::EndOfData);
        };
        match item {
            Item::Mark => {
                self.pos += 1;
                self.file += 1;
                self.block = 0;
                Ok(ReadOutcome::Filemark)
            }
            Item::Record(data) => {
                let len = data.len();
                if let BlockMode::Fixed(n) = self.mode
                    && len != n as usize
                {
                    // st: EIO "Incorrect block size"; the driver backspaces over the block.
                    return Err(DeviceError::WrongBlockSize {
                        expected: n,
                        got: u32::try_from(len).unwrap_or(u32::MAX),
                    });
                }
                let damaged = self.damaged.contains(&self.pos);
                self.pos += 1;
                self.block += 1;
                if damaged {
                    return Err(DeviceError::Io("unrecoverable read error (damaged block)"));
                }
                if buf.len() < len {
                    return Err(DeviceError::BufferTooSmall {
                        needed: u32::try_from(len).ok(),
                    });
                }
                buf[..len].copy_from_slice(data);
                Ok(ReadOutcome::Block(len))
            }
        }
    }

    fn rewind(&mut self) -> Result<(), DeviceError> {
        self.pos = 0;
        self.file = 0;
        self.block = 0;
        Ok(())
    }

    fn space_files(&mut self, n: i64) -> Result<(), DeviceError> {
        if n >= 0 {
            let mut left = n;
            while left > 0 {
                match self.items.get(self.pos) {
                    None => {
                        self.recompute_position();
                        return Err(DeviceError::EndOfData);
                    }
                    Some(Item::Mark) => left -= 1,
                    Some(Item::Record(_)) => {}
                }
                self.pos += 1;
            }
        } else {
            let mut left = n.unsigned_abs();
            while left > 0 {
                if self.pos == 0 {
                    self.recompute_position();
                    return Err(DeviceError::BeginningOfMedium);
                }
                self.pos -= 1;
                if self.items[self.pos] == Item::Mark {
                    left -= 1;
                }
            }
        }
        self.recompute_position();
        Ok(())
    }

    fn space_blocks(&mut self, n: i64) -> Result<(), DeviceError> {
        if n >= 0 {
            for _ in 0..n {
                match self.items.get(self.pos) {
                    None => return Err(DeviceError::EndOfData),
                    Some(Item::Mark) => {
                        self.pos += 1;
                        self.file += 1;
                        self.block = 0;
                        return Err(DeviceError::FilemarkReached);
                    }
                    Some(Item::Record(_)) => {
                        self.pos += 1;
                        self.block += 1;
                    }
                }
            }
        } else {
            for _ in 0..n.unsigned_abs() {
                if self.pos == 0 {
                    return Err(DeviceError::BeginningOfMedium);
                }
                if self.items[self.pos - 1] == Item::Mark {
                    return Err(DeviceError::FilemarkReached);
                }
                self.pos -= 1;
                self.block -= 1;
            }
        }
        Ok(())
    }

    fn seek_end_of_data(&mut self) -> Result<(), DeviceError> {
        self.pos = self.items.len();
        self.recompute_position();
        Ok(())
    }

    fn position(&self) -> Option<Position> {
        Some(Position {
            file: self.file,
            block: self.block,
        })
    }
}

/// An in-memory library: cartridges numbered from 1 and one drive.
#[derive(Clone, Debug)]
pub struct MemLibrary {
    /// The cartridges; cartridge `n` is `tapes[n - 1]`.
    pub tapes: Vec<MemTape>,
    loaded: Option<usize>,
    /// Every load, in order (for tests of the cartridge sequence).
    pub load_log: Vec<u32>,
}

impl MemLibrary {
    /// A library holding these cartridges, nothing loaded.
    pub fn new(tapes: Vec<MemTape>) -> Self {
        MemLibrary {
            tapes,
            loaded: None,
            load_log: Vec::new(),
        }
    }

    /// Cartridge `cart` (1-based).
    pub fn tape(&self, cart: u32) -> Option<&MemTape> {
        self.tapes.get((cart as usize).checked_sub(1)?)
    }

    /// Cartridge `cart` (1-based), mutable.
    pub fn tape_mut(&mut self, cart: u32) -> Option<&mut MemTape> {
        self.tapes.get_mut((cart as usize).checked_sub(1)?)
    }
}

impl Library for MemLibrary {
    type Drive = MemTape;

    fn cartridges(&self) -> u32 {
        u32::try_from(self.tapes.len()).unwrap_or(u32::MAX)
    }

    fn load(&mut self, cart: u32) -> Result<(), DeviceError> {
        let idx = (cart as usize)
            .checked_sub(1)
            .filter(|&i| i < self.tapes.len())
            .ok_or(DeviceError::NotReady)?;
        self.loaded = Some(idx);
        self.load_log.push(cart);
        self.tapes[idx].rewind()
    }

    fn loaded(&self) -> Option<u32> {
        self.loaded.and_then(|i| u32::try_from(i + 1).ok())
    }

    fn drive(&mut self) -> &mut MemTape {
        // Loading is checked in `load`; with nothing loaded, the first cartridge is in the
        // drive (a library always has at least one slot in use by callers).
        let i = self.loaded.unwrap_or(0);
        &mut self.tapes[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(n: u32) -> MemTape {
        MemTape::new(BlockMode::Fixed(n))
    }

    #[test]
    fn write_read_filemarks_and_end_of_data() {
        let mut t = fixed(4);
        t.write_block(b"abcd").unwrap();
        t.write_filemarks(1).unwrap();
        t.write_block(b"efgh").unwrap();
        t.write_filemarks(2).unwrap();
        assert_eq!(t.position(), Some(Position { file: 3, block: 0 }));
        t.rewind().unwrap();
        let mut buf = [0u8; 4];
        assert_eq!(t.read_block(&mut buf).unwrap(), ReadOutcome::Block(4));
        assert_eq!(&buf, b"abcd");
        assert_eq!(t.read_block(&mut buf).unwrap(), ReadOutcome::Filemark);
        assert_eq!(t.position(), Some(Position { file: 1, block: 0 }));
        assert_eq!(t.read_block(&mut buf).unwrap(), ReadOutcome::Block(4));
        assert_eq!(t.read_block(&mut buf).unwrap(), ReadOutcome::Filemark);
        assert_eq!(t.read_block(&mut buf).unwrap(), ReadOutcome::Filemark);
        assert_eq!(t.read_block(&mut buf).unwrap(), ReadOutcome::EndOfData);
    }

    #[test]
    fn fixed_mode_rejects_wrong_length() {
        let mut t = fixed(4);
        assert_eq!(
            t.write_block(b"abc"),
            Err(DeviceError::WrongBlockSize {
                expected: 4,
                got: 3
            })
        );
        t.set_mode(BlockMode::Variable { max: 8 }).unwrap();
        t.write_block(b"abc").unwrap();
        t.rewind().unwrap();
        t.set_mode(BlockMode::Fixed(4)).unwrap();
        let mut buf = [0u8; 4];
        assert!(matches!(
            t.read_block(&mut buf),
            Err(DeviceError::WrongBlockSize { .. })
        ));
        assert_eq!(t.position(), Some(Position { file: 0, block: 0 }));
    }

    #[test]
    fn small_buffer_consumes_the_block() {
        let mut t = MemTape::new(BlockMode::Variable { max: 64 });
        t.write_block(&[7u8; 10]).unwrap();
        t.write_block(&[8u8; 3]).unwrap();
        t.rewind().unwrap();
        let mut small = [0u8; 4];
        assert_eq!(
            t.read_block(&mut small),
            Err(DeviceError::BufferTooSmall { needed: Some(10) })
        );
        assert_eq!(t.read_block(&mut small), Ok(ReadOutcome::Block(3)));
        t.space_blocks(-2).unwrap();
        let mut big = [0u8; 16];
        assert_eq!(t.read_block(&mut big), Ok(ReadOutcome::Block(10)));
    }

    #[test]
    fn early_warning_then_end_of_medium() {
        let mut t = fixed(10).with_capacity(50, 20);
        assert_eq!(t.write_block(&[1; 10]), Ok(WriteOutcome::Written));
        assert_eq!(t.write_block(&[1; 10]), Ok(WriteOutcome::Written));
        assert_eq!(t.write_block(&[1; 10]), Ok(WriteOutcome::Written));
        assert_eq!(t.write_block(&[1; 10]), Ok(WriteOutcome::EarlyWarning));
        assert_eq!(t.write_block(&[1; 10]), Ok(WriteOutcome::EarlyWarning));
        assert_eq!(t.write_block(&[1; 10]), Err(DeviceError::EndOfMedium));
        t.write_filemarks(1).unwrap();
        assert_eq!(t.used_bytes(), 50);
    }

    #[test]
    fn hard_end_of_medium_without_warning() {
        let mut t = fixed(10).with_capacity(20, 0);
        assert_eq!(t.write_block(&[1; 10]), Ok(WriteOutcome::Written));
        assert_eq!(t.write_block(&[1; 10]), Ok(WriteOutcome::Written));
        assert_eq!(t.write_block(&[1; 10]), Err(DeviceError::EndOfMedium));
    }

    #[test]
    fn writing_in_the_middle_truncates() {
        let mut t = fixed(2);
        for b in [b"aa", b"bb", b"cc"] {
            t.write_block(b).unwrap();
        }
        t.write_filemarks(1).unwrap();
        t.rewind().unwrap();
        t.space_blocks(1).unwrap();
        t.write_block(b"zz").unwrap();
        assert_eq!(
            t.files(),
            vec![vec![Bytes::from_static(b"aa"), Bytes::from_static(b"zz")]]
        );
        assert_eq!(t.used_bytes(), 4);
    }

    #[test]
    fn spacing_files_both_ways() {
        let mut t = fixed(1);
        for f in 0..4u8 {
            t.write_block(&[f]).unwrap();
            t.write_filemarks(1).unwrap();
        }
        t.rewind().unwrap();
        t.space_files(2).unwrap();
        assert_eq!(t.position(), Some(Position { file: 2, block: 0 }));
        t.space_files(-1).unwrap();
        assert_eq!(t.position(), Some(Position { file: 1, block: 1 }));
        assert_eq!(t.space_files(10), Err(DeviceError::EndOfData));
        t.rewind().unwrap();
        assert_eq!(t.space_files(-1), Err(DeviceError::BeginningOfMedium));
        t.space_blocks(1).unwrap();
        assert_eq!(t.space_blocks(1), Err(DeviceError::FilemarkReached));
        assert_eq!(t.position(), Some(Position { file: 1, block: 0 }));
    }

    #[test]
    fn faults_damage_and_write_protect() {
        let mut t = fixed(1);
        t.inject_fault(FaultOp::Write, 2, DeviceError::Io("injected"));
        t.write_block(b"a").unwrap();
        assert_eq!(t.write_block(b"b"), Err(DeviceError::Io("injected")));
        t.write_block(b"c").unwrap();
        assert!(t.damage(0, 1));
        t.rewind().unwrap();
        let mut buf = [0u8; 1];
        assert_eq!(t.read_block(&mut buf), Ok(ReadOutcome::Block(1)));
        assert!(matches!(t.read_block(&mut buf), Err(DeviceError::Io(_))));
        assert_eq!(t.read_block(&mut buf), Ok(ReadOutcome::EndOfData));
        t.set_write_protected(true);
        assert_eq!(t.write_block(b"x"), Err(DeviceError::WriteProtected));
        assert_eq!(t.write_filemarks(1), Err(DeviceError::WriteProtected));
    }

    #[test]
    fn library_loads_by_number() {
        let mut lib = MemLibrary::new(vec![fixed(1), fixed(1)]);
        assert_eq!(lib.load(3), Err(DeviceError::NotReady));
        assert_eq!(lib.load(0), Err(DeviceError::NotReady));
        lib.load(2).unwrap();
        lib.drive().write_block(b"x").unwrap();
        assert_eq!(lib.loaded(), Some(2));
        assert_eq!(lib.tape(2).unwrap().used_bytes(), 1);
        assert_eq!(lib.tape(1).unwrap().used_bytes(), 0);
    }
}
