//! SIMH `.tap` virtual tapes (`spec/tape-format.md` §6.2): the record codec, an index of
//! tape files for fast positioning, and [`SimhTape`], a [`TapeDevice`] over any
//! [`ImageStore`] (a `Vec<u8>` here, a file in the binaries).
//!
//! ```text
//! data record : len (u32 LE) · len bytes · 0x00 if len is odd · len (u32 LE)
//! tape mark   : 00 00 00 00
//! erase gap   : FE FF FF FF          (skipped)
//! end of medium: FF FF FF FF         (optional; the end of the image also ends the data)
//! reserved    : FF000000 – FFFFFFFD  (rejected)
//! ```
//!
//! The top four bits of `len` are the record class: 0 = good data, 8 = bad data (read
//! fails). Other classes are rejected. Lengths are limited to 24 bits (16 MiB).

use crate::device::{BlockMode, DeviceError, Position, ReadOutcome, TapeDevice, WriteOutcome};
use crate::error::DecodeError;

/// A tape mark's 4 bytes.
pub const TAPE_MARK: u32 = 0;
/// The end-of-medium marker.
pub const END_OF_MEDIUM: u32 = 0xFFFF_FFFF;
/// An erase gap marker.
pub const ERASE_GAP: u32 = 0xFFFF_FFFE;
/// The largest record length.
pub const MAX_RECORD: u32 = 0x00FF_FFFF;
/// Class bits of a bad-data record.
pub const CLASS_BAD: u32 = 0x8000_0000;

/// One decoded item of a `.tap` image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item<'a> {
    /// A data record; `bad` is set for class-8 (bad data) records.
    Record {
        /// The record's bytes.
        data: &'a [u8],
        /// Marked as bad data.
        bad: bool,
    },
    /// A tape mark (filemark).
    TapeMark,
    /// An erase gap.
    EraseGap,
    /// The end-of-medium marker.
    EndOfMedium,
}

/// Bytes a record of `len` data bytes occupies in the image.
pub fn record_size(len: u32) -> u64 {
    8 + u64::from(len) + u64::from(len & 1)
}

/// Append a good-data record.
///
/// # Panics
/// If `data` is longer than [`MAX_RECORD`] (callers check block sizes first).
pub fn encode_record(data: &[u8], out: &mut Vec<u8>) {
    let len = u32::try_from(data.len())
        .ok()
        .filter(|&l| l <= MAX_RECORD)
        .expect("SIMH record longer than 16 MiB");
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(data);
    if len & 1 == 1 {
        out.push(0);
    }
    out.extend_from_slice(&len.to_le_bytes());
}

/// Append an item exactly as [`decode_item`] would read it back.
pub fn encode_item(item: &Item<'_>, out: &mut Vec<u8>) {
    match *item {
        Item::Record { data, bad } => {
            let start = out.len();
            encode_record(data, out);
            if bad {
                let len = u32::try_from(data.len()).unwrap_or(0) | CLASS_BAD;
                out[start..start + 4].copy_from_slice(&len.to_le_bytes());
                let end = out.len();
                out[end - 4..].copy_from_slice(&len.to_le_bytes());
            }
        }
        Item::TapeMark => out.extend_from_slice(&TAPE_MARK.to_le_bytes()),
        Item::EraseGap => out.extend_from_slice(&ERASE_GAP.to_le_bytes()),
        Item::EndOfMedium => out.extend_from_slice(&END_OF_MEDIUM.to_le_bytes()),
    }
}

fn word(buf: &[u8]) -> Option<u32> {
    Some(u32::from_le_bytes(buf.get(..4)?.try_into().ok()?))
}

/// What a leading length word says.
fn classify(w: u32) -> Result<Head, DecodeError> {
    match w {
        TAPE_MARK => Ok(Head::Mark),
        END_OF_MEDIUM => Ok(Head::Eom),
        ERASE_GAP => Ok(Head::Gap),
        0xFF00_0000..=0xFFFF_FFFD => Err(DecodeError::BadField("reserved SIMH marker")),
        _ => {
            let class = w & 0xF000_0000;
            let len = w & 0x0FFF_FFFF;
            if (class != 0 && class != CLASS_BAD) || len > MAX_RECORD {
                return Err(DecodeError::BadField("SIMH record class or length"));
            }
            Ok(Head::Record {
                len,
                bad: class == CLASS_BAD,
            })
        }
    }
}

#[derive(Clone, Copy)]
enum Head {
    Mark,
    Eom,
    Gap,
    Record { len: u32, bad: bool },
}

/// Decode the item at the start of `buf`: `Ok(None)` when `buf` is too short to hold it,
/// else the item and the bytes it occupies.
pub fn decode_item(buf: &[u8]) -> Result<Option<(Item<'_>, usize)>, DecodeError> {
    let Some(w) = word(buf) else { return Ok(None) };
    match classify(w)? {
        Head::Mark => Ok(Some((Item::TapeMark, 4))),
        Head::Eom => Ok(Some((Item::EndOfMedium, 4))),
        Head::Gap => Ok(Some((Item::EraseGap, 4))),
        Head::Record { len, bad } => {
            let size = record_size(len) as usize;
            if buf.len() < size {
                return Ok(None);
            }
            if word(&buf[size - 4..]) != Some(w) {
                return Err(DecodeError::BadField("SIMH trailing length"));
            }
            Ok(Some((
                Item::Record {
                    data: &buf[4..4 + len as usize],
                    bad,
                },
                size,
            )))
        }
    }
}

/// Where the tape files of an image lie: the index [`SimhTape`] uses to position
/// without reading data.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SimhIndex {
    files: Vec<FileSpan>,
    end: u64,
    corrupt_at: Option<u64>,
}

/// One tape file in the index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileSpan {
    /// Offset of the file's first item.
    pub start: u64,
    /// Offset of the tape mark that ends it, if any.
    pub mark: Option<u64>,
    /// Number of records.
    pub blocks: u64,
    /// The length of every record, when all records have the same length.
    pub uniform: Option<u32>,
    /// Whether `uniform` can still be trusted (false once a differing length was seen).
    uniform_valid: bool,
}

impl FileSpan {
    fn new(start: u64) -> Self {
        FileSpan {
            start,
            mark: None,
            blocks: 0,
            uniform: None,
            uniform_valid: true,
        }
    }

    fn add_record(&mut self, len: u32) {
        if self.uniform_valid {
            match self.uniform {
                None if self.blocks == 0 => self.uniform = Some(len),
                Some(u) if u == len => {}
                _ => {
                    self.uniform = None;
                    self.uniform_valid = false;
                }
            }
        }
        self.blocks += 1;
    }
}

impl SimhIndex {
    /// The tape files, from file 0.
    pub fn files(&self) -> &[FileSpan] {
        &self.files
    }

    /// Offset of the end of recorded data.
    pub fn end(&self) -> u64 {
        self.end
    }

    /// Offset of the first item that did not decode, if the image is corrupt or truncated.
    pub fn corrupt_at(&self) -> Option<u64> {
        self.corrupt_at
    }
}

/// Random-access storage for a tape image (a file in the binaries, a `Vec<u8>` in tests).
pub trait ImageStore {
    /// Current length in bytes.
    fn len(&self) -> u64;
    /// Whether the store is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Read up to `buf.len()` bytes at `offset`; fewer only at the end of the store.
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, DeviceError>;
    /// Write `data` at `offset`, growing the store as needed.
    fn write_at(&mut self, offset: u64, data: &[u8]) -> Result<(), DeviceError>;
    /// Cut or grow the store to `len` bytes.
    fn set_len(&mut self, len: u64) -> Result<(), DeviceError>;
    /// Make written data durable.
    fn sync(&mut self) -> Result<(), DeviceError> {
        Ok(())
    }
}

impl ImageStore for Vec<u8> {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, DeviceError> {
        let Ok(off) = usize::try_from(offset) else {
            return Ok(0);
        };
        let Some(src) = self.get(off..) else {
            return Ok(0);
        };
        let n = src.len().min(buf.len());
        buf[..n].copy_from_slice(&src[..n]);
        Ok(n)
    }
    fn write_at(&mut self, offset: u64, data: &[u8]) -> Result<(), DeviceError> {
        let off = usize::try_from(offset).map_err(|_| DeviceError::Io("offset too large"))?;
        let end = off + data.len();
        if <[u8]>::len(self) < end {
            self.resize(end, 0);
        }
        self[off..end].copy_from_slice(data);
        Ok(())
    }
    fn set_len(&mut self, len: u64) -> Result<(), DeviceError> {
        let len = usize::try_from(len).map_err(|_| DeviceError::Io("length too large"))?;
        self.resize(len, 0);
        Ok(())
    }
}

const WRITE_BUFFER: usize = 256 << 10;
const READ_CACHE: usize = 1 << 20;

/// A [`TapeDevice`] over a SIMH `.tap` image.
///
/// Writes are buffered (up to 256 KiB; larger buffers made page-cache writes several
/// times slower on ext4 in the bench) and reach the store on a filemark, a read, a
/// positioning command or [`TapeDevice::flush`]. Capacity and early warning, when set,
/// count image bytes.
#[derive(Debug)]
pub struct SimhTape<S: ImageStore> {
    store: S,
    mode: BlockMode,
    index: SimhIndex,
    pos: u64,
    file: u32,
    block: u64,
    wbuf: Vec<u8>,
    wstart: u64,
    rcache: Vec<u8>,
    rstart: u64,
    capacity: Option<u64>,
    early_warning: u64,
    write_protected: bool,
}

impl<S: ImageStore> SimhTape<S> {
    /// Open an image (empty = blank tape) and index its files. A corrupt or truncated
    /// image opens; its data ends at the first bad item ([`SimhIndex::corrupt_at`]), and
    /// reading there fails.
    pub fn open(mut store: S, mode: BlockMode) -> Result<Self, DeviceError> {
        let index = scan(&mut store)?;
        Ok(SimhTape {
            store,
            mode,
            index,
            pos: 0,
            file: 0,
            block: 0,
            wbuf: Vec::new(),
            wstart: 0,
            rcache: Vec::new(),
            rstart: 0,
            capacity: None,
            early_warning: 0,
            write_protected: false,
        })
    }

    /// Simulate a cartridge of `capacity` image bytes with an early-warning zone.
    pub fn with_capacity(mut self, capacity: u64, early_warning: u64) -> Self {
        self.capacity = Some(capacity);
        self.early_warning = early_warning.min(capacity);
        self
    }

    /// Set the write-protect tab.
    pub fn set_write_protected(&mut self, on: bool) {
        self.write_protected = on;
    }

    /// The file index.
    pub fn index(&self) -> &SimhIndex {
        &self.index
    }

    /// Flush and give the store back.
    pub fn into_store(mut self) -> Result<S, DeviceError> {
        self.flush_writes()?;
        Ok(self.store)
    }

    /// The store (unflushed writes are not in it yet).
    pub fn store(&self) -> &S {
        &self.store
    }

    fn flush_writes(&mut self) -> Result<(), DeviceError> {
        if !self.wbuf.is_empty() {
            self.store.write_at(self.wstart, &self.wbuf)?;
            self.wbuf.clear();
        }
        Ok(())
    }

    fn read_exact(&mut self, offset: u64, len: usize) -> Result<&[u8], DeviceError> {
        let in_cache =
            offset >= self.rstart && offset + len as u64 <= self.rstart + self.rcache.len() as u64;
        if !in_cache {
            let remaining =
                usize::try_from(self.store.len().saturating_sub(offset)).unwrap_or(usize::MAX);
            let want = len.max(READ_CACHE.min(remaining));
            self.rcache.resize(want, 0);
            let n = self.store.read_at(offset, &mut self.rcache)?;
            self.rcache.truncate(n);
            self.rstart = offset;
            if n < len {
                return Err(DeviceError::Io("SIMH image truncated"));
            }
        }
        let i = (offset - self.rstart) as usize;
        Ok(&self.rcache[i..i + len])
    }

    fn invalidate_cache(&mut self) {
        self.rcache.clear();
        self.rstart = 0;
    }

    /// Flush pending writes and cut everything after the current position.
    fn prepare_write(&mut self) -> Result<(), DeviceError> {
        if self.write_protected {
            return Err(DeviceError::WriteProtected);
        }
        let buffered_end = self.wstart + self.wbuf.len() as u64;
        if self.wbuf.is_empty() || buffered_end != self.pos {
            self.flush_writes()?;
            if self.pos < self.store.len() || self.index.corrupt_at.is_some() {
                self.store.set_len(self.pos)?;
                self.invalidate_cache();
            }
            self.truncate_index();
            self.wstart = self.pos;
        }
        Ok(())
    }

    fn truncate_index(&mut self) {
        let f = self.file as usize;
        self.index.files.truncate(f + 1);
        if self.index.files.len() <= f {
            self.index.files.push(FileSpan::new(self.pos));
        }
        let span = &mut self.index.files[f];
        span.mark = None;
        span.blocks = self.block;
        if self.block == 0 {
            span.uniform = None;
            span.uniform_valid = true;
        }
        self.index.end = self.pos;
        self.index.corrupt_at = None;
    }

    fn item_at(&mut self, offset: u64) -> Result<Option<Head>, DeviceError> {
        if offset >= self.index.end {
            if self.index.corrupt_at == Some(offset) {
                return Err(DeviceError::Io("corrupt or truncated SIMH record"));
            }
            return Ok(None);
        }
        let w = word(self.read_exact(offset, 4)?).unwrap_or(0);
        classify(w)
            .map(Some)
            .map_err(|_| DeviceError::Io("corrupt SIMH record"))
    }

    fn seek_file_start(&mut self, f: u32) {
        let span = self.index.files[f as usize];
        self.pos = span.start;
        self.file = f;
        self.block = 0;
    }
}

fn scan<S: ImageStore>(store: &mut S) -> Result<SimhIndex, DeviceError> {
    let len = store.len();
    let mut idx = SimhIndex {
        files: vec![FileSpan::new(0)],
        end: 0,
        corrupt_at: None,
    };
    let mut off = 0u64;
    let mut w = [0u8; 4];
    while off < len {
        if store.read_at(off, &mut w)? < 4 {
            idx.corrupt_at = Some(off);
            break;
        }
        let head = match classify(u32::from_le_bytes(w)) {
            Ok(h) => h,
            Err(_) => {
                idx.corrupt_at = Some(off);
                break;
            }
        };
        match head {
            Head::Eom => break,
            Head::Gap => off += 4,
            Head::Mark => {
                let cur = idx.files.last_mut().expect("index has a file");
                cur.mark = Some(off);
                off += 4;
                idx.files.push(FileSpan::new(off));
            }
            Head::Record { len: rlen, .. } => {
                let size = record_size(rlen);
                let mut t = [0u8; 4];
                if off + size > len || store.read_at(off + size - 4, &mut t)? < 4 || t != w {
                    idx.corrupt_at = Some(off);
                    break;
                }
                idx.files
                    .last_mut()
                    .expect("index has a file")
                    .add_record(rlen);
                off += size;
            }
        }
    }
    idx.end = off;
    Ok(idx)
}

impl<S: ImageStore> TapeDevice for SimhTape<S> {
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
        if len > MAX_RECORD {
            return Err(DeviceError::WrongBlockSize {
                expected: MAX_RECORD,
                got: len,
            });
        }
        self.prepare_write()?;
        let after = self.pos + record_size(len);
        if let Some(cap) = self.capacity
            && after > cap
        {
            return Err(DeviceError::EndOfMedium);
        }
        encode_record(block, &mut self.wbuf);
        self.pos = after;
        self.block += 1;
        self.index.end = after;
        let f = self.file as usize;
        self.index.files[f].add_record(len);
        if self.wbuf.len() >= WRITE_BUFFER {
            self.flush_writes()?;
            self.wstart = self.pos;
        }
        match self.capacity {
            Some(cap) if self.early_warning > 0 && after > cap - self.early_warning => {
                Ok(WriteOutcome::EarlyWarning)
            }
            _ => Ok(WriteOutcome::Written),
        }
    }

    fn write_filemarks(&mut self, n: u32) -> Result<(), DeviceError> {
        self.prepare_write()?;
        for _ in 0..n {
            self.wbuf.extend_from_slice(&TAPE_MARK.to_le_bytes());
            let f = self.file as usize;
            self.index.files[f].mark = Some(self.pos);
            self.pos += 4;
            self.file += 1;
            self.block = 0;
            self.index.files.push(FileSpan::new(self.pos));
        }
        self.index.end = self.pos;
        self.flush_writes()?;
        self.wstart = self.pos;
        Ok(())
    }

    fn read_block(&mut self, buf: &mut [u8]) -> Result<ReadOutcome, DeviceError> {
        self.flush_writes()?;
        loop {
            let head = match self.item_at(self.pos) {
                Ok(Some(h)) => h,
                Ok(None) => return Ok(ReadOutcome::EndOfData),
                Err(e) => {
                    // Nothing after a corrupt item can be found: report it once, then the
                    // data ends here.
                    self.pos = self.index.end.max(self.pos) + 1;
                    self.block += 1;
                    return Err(e);
                }
            };
            match head {
                Head::Eom => return Ok(ReadOutcome::EndOfData),
                Head::Gap => self.pos += 4,
                Head::Mark => {
                    self.pos += 4;
                    self.file += 1;
                    self.block = 0;
                    return Ok(ReadOutcome::Filemark);
                }
                Head::Record { len, bad } => {
                    if let BlockMode::Fixed(n) = self.mode
                        && len != n
                    {
                        return Err(DeviceError::WrongBlockSize {
                            expected: n,
                            got: len,
                        });
                    }
                    let start = self.pos;
                    self.pos += record_size(len);
                    self.block += 1;
                    if bad {
                        return Err(DeviceError::Io("SIMH record marked bad"));
                    }
                    let l = len as usize;
                    if buf.len() < l {
                        return Err(DeviceError::BufferTooSmall { needed: Some(len) });
                    }
                    let data = self.read_exact(start + 4, l)?;
                    buf[..l].copy_from_slice(data);
                    return Ok(ReadOutcome::Block(l));
                }
            }
        }
    }

    fn rewind(&mut self) -> Result<(), DeviceError> {
        self.flush_writes()?;
        self.pos = 0;
        self.file = 0;
        self.block = 0;
        Ok(())
    }

    fn space_files(&mut self, n: i64) -> Result<(), DeviceError> {
        self.flush_writes()?;
        let last = self.index.files.len() - 1;
        if n >= 0 {
            let target = i64::from(self.file) + n;
            if target as usize > last {
                // Stop at the end of data, in the last file.
                self.pos = self.index.end;
                self.file = last as u32;
                self.block = self.index.files[last].blocks;
                return Err(DeviceError::EndOfData);
            }
            if n > 0 {
                self.seek_file_start(target as u32);
            }
        } else {
            let target = i64::from(self.file) + n;
            if target < 0 {
                self.pos = 0;
                self.file = 0;
                self.block = 0;
                return Err(DeviceError::BeginningOfMedium);
            }
            let span = self.index.files[target as usize];
            self.pos = span.mark.unwrap_or(self.index.end);
            self.file = target as u32;
            self.block = span.blocks;
        }
        Ok(())
    }

    fn space_blocks(&mut self, n: i64) -> Result<(), DeviceError> {
        self.flush_writes()?;
        let span = self.index.files[self.file as usize];
        if let Some(u) = span.uniform {
            let target = self.block as i64 + n;
            if target >= 0 && target as u64 <= span.blocks {
                self.pos = span.start + target as u64 * record_size(u);
                self.block = target as u64;
                return Ok(());
            }
        }
        if n >= 0 {
            for _ in 0..n {
                match self.item_at(self.pos)? {
                    None | Some(Head::Eom) => return Err(DeviceError::EndOfData),
                    Some(Head::Gap) => self.pos += 4,
                    Some(Head::Mark) => {
                        self.pos += 4;
                        self.file += 1;
                        self.block = 0;
                        return Err(DeviceError::FilemarkReached);
                    }
                    Some(Head::Record { len, .. }) => {
                        self.pos += record_size(len);
                        self.block += 1;
                    }
                }
            }
        } else {
            for _ in 0..n.unsigned_abs() {
                if self.block == 0 {
                    return Err(if self.pos == 0 {
                        DeviceError::BeginningOfMedium
                    } else {
                        DeviceError::FilemarkReached
                    });
                }
                let w = word(self.read_exact(self.pos - 4, 4)?).unwrap_or(0);
                match classify(w) {
                    Ok(Head::Record { len, .. }) => {
                        self.pos -= record_size(len);
                        self.block -= 1;
                    }
                    _ => return Err(DeviceError::Io("corrupt SIMH record")),
                }
            }
        }
        Ok(())
    }

    fn seek_end_of_data(&mut self) -> Result<(), DeviceError> {
        self.flush_writes()?;
        let last = self.index.files.len() - 1;
        self.pos = self.index.end;
        self.file = last as u32;
        self.block = self.index.files[last].blocks;
        Ok(())
    }

    fn position(&self) -> Option<Position> {
        Some(Position {
            file: self.file,
            block: self.block,
        })
    }

    fn flush(&mut self) -> Result<(), DeviceError> {
        self.flush_writes()?;
        self.wstart = self.pos;
        self.store.sync()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tape() -> SimhTape<Vec<u8>> {
        SimhTape::open(Vec::new(), BlockMode::Variable { max: 1 << 20 }).unwrap()
    }

    #[test]
    fn record_layout_is_simh() {
        let mut out = Vec::new();
        encode_record(b"abc", &mut out);
        assert_eq!(out, [3, 0, 0, 0, b'a', b'b', b'c', 0, 3, 0, 0, 0]);
        assert_eq!(
            decode_item(&out).unwrap(),
            Some((
                Item::Record {
                    data: b"abc",
                    bad: false
                },
                12
            ))
        );
        for i in 0..out.len() {
            assert_eq!(decode_item(&out[..i]).unwrap(), None, "prefix {i}");
        }
        assert_eq!(
            decode_item(&[0, 0, 0, 0]).unwrap(),
            Some((Item::TapeMark, 4))
        );
        assert_eq!(
            decode_item(&[0xff; 4]).unwrap(),
            Some((Item::EndOfMedium, 4))
        );
        assert!(decode_item(&[0, 0, 0, 0xff]).is_err());
        out[8] = 4;
        assert!(decode_item(&out).is_err());
    }

    #[test]
    fn write_read_and_reopen() {
        let mut t = tape();
        t.write_block(b"label").unwrap();
        t.write_filemarks(1).unwrap();
        for i in 0..10u8 {
            t.write_block(&[i; 100]).unwrap();
        }
        t.write_filemarks(2).unwrap();
        let store = t.into_store().unwrap();
        let mut t = SimhTape::open(store, BlockMode::Variable { max: 1 << 20 }).unwrap();
        assert_eq!(t.index().files().len(), 4);
        assert_eq!(t.index().files()[1].blocks, 10);
        assert_eq!(t.index().files()[1].uniform, Some(100));
        t.space_files(1).unwrap();
        t.space_blocks(7).unwrap();
        let mut buf = [0u8; 200];
        assert_eq!(t.read_block(&mut buf).unwrap(), ReadOutcome::Block(100));
        assert_eq!(buf[0], 7);
        t.space_blocks(-3).unwrap();
        assert_eq!(t.read_block(&mut buf).unwrap(), ReadOutcome::Block(100));
        assert_eq!(buf[0], 5);
        assert_eq!(t.position(), Some(Position { file: 1, block: 6 }));
        assert_eq!(t.space_blocks(10), Err(DeviceError::FilemarkReached));
        assert_eq!(t.read_block(&mut buf).unwrap(), ReadOutcome::Filemark);
        assert_eq!(t.read_block(&mut buf).unwrap(), ReadOutcome::EndOfData);
        t.space_files(-2).unwrap();
        assert_eq!(t.position(), Some(Position { file: 1, block: 10 }));
    }

    #[test]
    fn small_buffer_and_fixed_mode() {
        let mut t = tape();
        t.write_block(&[1; 64]).unwrap();
        t.write_block(&[2; 32]).unwrap();
        t.rewind().unwrap();
        let mut small = [0u8; 16];
        assert_eq!(
            t.read_block(&mut small),
            Err(DeviceError::BufferTooSmall { needed: Some(64) })
        );
        t.set_mode(BlockMode::Fixed(64)).unwrap();
        assert!(matches!(
            t.read_block(&mut small),
            Err(DeviceError::WrongBlockSize { .. })
        ));
        assert_eq!(t.position(), Some(Position { file: 0, block: 1 }));
    }

    #[test]
    fn overwrite_in_the_middle_truncates() {
        let mut t = tape();
        for f in 0..3u8 {
            t.write_block(&[f; 10]).unwrap();
            t.write_filemarks(1).unwrap();
        }
        t.rewind().unwrap();
        t.space_files(1).unwrap();
        t.write_block(b"new").unwrap();
        t.write_filemarks(2).unwrap();
        let store = t.into_store().unwrap();
        let t = SimhTape::open(store.clone(), BlockMode::Variable { max: 64 }).unwrap();
        assert_eq!(t.index().files().len(), 4);
        assert_eq!(t.index().files()[1].uniform, Some(3));
        assert_eq!(store.len(), 4 + 10 + 4 + 4 + 8 + 3 + 1 + 4 + 4);
    }

    #[test]
    fn truncated_image_reads_up_to_the_damage() {
        let mut t = tape();
        t.write_block(&[1; 10]).unwrap();
        t.write_block(&[2; 10]).unwrap();
        let mut store = t.into_store().unwrap();
        store.truncate(store.len() - 3);
        let mut t = SimhTape::open(store, BlockMode::Variable { max: 64 }).unwrap();
        assert_eq!(t.index().corrupt_at(), Some(18));
        let mut buf = [0u8; 64];
        assert_eq!(t.read_block(&mut buf).unwrap(), ReadOutcome::Block(10));
        assert!(matches!(t.read_block(&mut buf), Err(DeviceError::Io(_))));
        assert_eq!(t.read_block(&mut buf).unwrap(), ReadOutcome::EndOfData);
    }

    #[test]
    fn capacity_and_write_protect() {
        let mut t = tape().with_capacity(3 * record_size(10), record_size(10));
        assert_eq!(t.write_block(&[0; 10]), Ok(WriteOutcome::Written));
        assert_eq!(t.write_block(&[0; 10]), Ok(WriteOutcome::Written));
        assert_eq!(t.write_block(&[0; 10]), Ok(WriteOutcome::EarlyWarning));
        assert_eq!(t.write_block(&[0; 10]), Err(DeviceError::EndOfMedium));
        t.set_write_protected(true);
        assert_eq!(t.write_filemarks(1), Err(DeviceError::WriteProtected));
    }
}
