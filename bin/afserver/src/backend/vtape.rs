//! Amanda vtape slots as cartridges (`spec/tape-format.md` §4): cartridge N is the
//! directory `<root>/slotN`, tape file k is the file `NNNNN.<name>` in it, named from the
//! file's Amanda header (`00000.<label>`, `00001.<host>.<disk>.<level>`). Data is stored
//! unpadded, without block boundaries, exactly as Amanda's VFS device does, so
//! `amrestore file:<root>/slotN` reads what we write.
//!
//! Block model: block 0 of a file is its 32 KiB header; the data follows in blocks of the
//! configured size (the last one may be short). Consecutive filemarks after the last file
//! are kept only while the device is open (a vtape has no empty files); on reopening, the
//! end of the last file is the end of data.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{FileExt, PermissionsExt};
use std::path::{Path, PathBuf};

use tape_format::amanda::{HEADER_BLOCK, Header, vtape_file_name, vtape_file_number};
use tape_format::{BlockMode, DeviceError, Position, ReadOutcome, TapeDevice, WriteOutcome};

/// The directory of cartridge `cart`.
pub fn slot_path(root: &Path, cart: u32) -> PathBuf {
    root.join(format!("slot{cart}"))
}

/// One slot directory seen as a tape.
#[derive(Debug)]
pub struct VtapeDevice {
    dir: PathBuf,
    block: u64,
    files: Vec<(PathBuf, u64)>,
    extra_empty: u32,
    file: u32,
    offset: u64,
    writing: Option<File>,
    reading: Option<(u32, File)>,
    capacity: Option<(u64, u64)>,
    used: u64,
    write_protected: bool,
}

fn io(_: std::io::Error) -> DeviceError {
    DeviceError::Io("vtape file operation failed")
}

impl VtapeDevice {
    /// Open (creating it if needed) a slot directory. A directory without write
    /// permission is a write-protected cartridge.
    pub fn open(
        dir: &Path,
        block_size: u32,
        capacity: Option<(u64, u64)>,
    ) -> Result<VtapeDevice, DeviceError> {
        fs::create_dir_all(dir).map_err(|_| DeviceError::NotReady)?;
        let protected = fs::metadata(dir)
            .map_err(|_| DeviceError::NotReady)?
            .permissions()
            .mode()
            & 0o222
            == 0;
        let mut d = VtapeDevice {
            dir: dir.to_owned(),
            block: u64::from(block_size.max(1)),
            files: Vec::new(),
            extra_empty: 0,
            file: 0,
            offset: 0,
            writing: None,
            reading: None,
            capacity,
            used: 0,
            write_protected: protected,
        };
        d.scan()?;
        Ok(d)
    }

    /// Read the directory: files numbered 0, 1, 2, … (a gap ends the volume).
    fn scan(&mut self) -> Result<(), DeviceError> {
        let mut found: Vec<(u32, PathBuf, u64)> = Vec::new();
        for e in fs::read_dir(&self.dir).map_err(|_| DeviceError::NotReady)? {
            let e = e.map_err(io)?;
            let name = e.file_name();
            let Some(n) = name.to_str().and_then(vtape_file_number) else {
                continue;
            };
            let meta = e.metadata().map_err(io)?;
            if meta.is_file() {
                found.push((n, e.path(), meta.len()));
            }
        }
        found.sort();
        self.files = found
            .into_iter()
            .enumerate()
            .take_while(|(i, (n, _, _))| *i as u32 == *n)
            .map(|(_, (_, p, l))| (p, l))
            .collect();
        self.used = self.files.iter().map(|f| f.1).sum();
        Ok(())
    }

    fn count(&self) -> u32 {
        self.files.len() as u32
    }

    fn block_of(&self, offset: u64) -> u64 {
        if offset == 0 {
            0
        } else {
            1 + (offset.saturating_sub(HEADER_BLOCK as u64)).div_ceil(self.block)
        }
    }

    fn offset_of(&self, block: u64) -> u64 {
        if block == 0 {
            0
        } else {
            HEADER_BLOCK as u64 + (block - 1) * self.block
        }
    }

    fn close_writer(&mut self) -> Result<(), DeviceError> {
        if let Some(mut f) = self.writing.take() {
            f.flush().map_err(io)?;
        }
        Ok(())
    }

    /// Delete files from `from` on (writing in the middle of a tape loses the rest).
    fn truncate_from(&mut self, from: u32) -> Result<(), DeviceError> {
        self.reading = None;
        while self.count() > from {
            let (p, l) = self.files.pop().expect("count > from");
            fs::remove_file(&p).map_err(io)?;
            self.used -= l;
        }
        Ok(())
    }

    fn reader(&mut self, f: u32) -> Result<&File, DeviceError> {
        if self.reading.as_ref().is_none_or(|(n, _)| *n != f) {
            let file = File::open(&self.files[f as usize].0).map_err(io)?;
            self.reading = Some((f, file));
        }
        Ok(&self.reading.as_ref().expect("just opened").1)
    }
}

impl TapeDevice for VtapeDevice {
    fn mode(&self) -> BlockMode {
        BlockMode::Variable {
            max: (self.block as u32).max(HEADER_BLOCK as u32),
        }
    }

    fn set_mode(&mut self, _: BlockMode) -> Result<(), DeviceError> {
        // A vtape has no block boundaries: every mode reads the same bytes.
        Ok(())
    }

    fn is_write_protected(&self) -> bool {
        self.write_protected
    }

    fn write_block(&mut self, block: &[u8]) -> Result<WriteOutcome, DeviceError> {
        if self.write_protected {
            return Err(DeviceError::WriteProtected);
        }
        if block.is_empty() {
            return Err(DeviceError::WrongBlockSize {
                expected: self.block as u32,
                got: 0,
            });
        }
        let len = block.len() as u64;
        if let Some((cap, _)) = self.capacity
            && self.used + len > cap
        {
            return Err(DeviceError::EndOfMedium);
        }
        if self.writing.is_none() {
            if self.file < self.count() && self.offset > 0 {
                // Continue inside an existing file: cut it here and drop what follows.
                let f = self.file;
                self.truncate_from(f + 1)?;
                let (path, old) = self.files[f as usize].clone();
                let file = OpenOptions::new().write(true).open(&path).map_err(io)?;
                file.set_len(self.offset).map_err(io)?;
                self.used -= old - self.offset;
                self.files[f as usize].1 = self.offset;
                self.writing = Some(OpenOptions::new().append(true).open(&path).map_err(io)?);
            } else {
                // A new file: named from its header, numbered right after the last one.
                let f = self.file.min(self.count());
                self.truncate_from(f)?;
                self.file = f;
                self.offset = 0;
                self.extra_empty = 0;
                let name = match Header::decode(block) {
                    Ok(h) => vtape_file_name(f, &h),
                    Err(_) => format!("{f:05}.data"),
                };
                let path = self.dir.join(name);
                let file = OpenOptions::new()
                    .write(true)
                    .create(true)
                    .truncate(true)
                    .open(&path)
                    .map_err(|e| {
                        if e.kind() == std::io::ErrorKind::PermissionDenied {
                            DeviceError::WriteProtected
                        } else {
                            io(e)
                        }
                    })?;
                self.files.push((path, 0));
                self.writing = Some(file);
            }
        }
        let w = self.writing.as_mut().expect("writer open");
        w.write_all(block).map_err(|e| match e.raw_os_error() {
            Some(libc::ENOSPC) => DeviceError::EndOfMedium,
            _ => io(e),
        })?;
        self.files[self.file as usize].1 += len;
        self.offset += len;
        self.used += len;
        match self.capacity {
            Some((cap, ew)) if ew > 0 && self.used > cap.saturating_sub(ew) => {
                Ok(WriteOutcome::EarlyWarning)
            }
            _ => Ok(WriteOutcome::Written),
        }
    }

    fn write_filemarks(&mut self, n: u32) -> Result<(), DeviceError> {
        if self.write_protected {
            return Err(DeviceError::WriteProtected);
        }
        for _ in 0..n {
            if self.writing.is_some() {
                self.close_writer()?;
            } else {
                // An empty file: only remembered while open.
                let f = self.file;
                if f < self.count() {
                    self.truncate_from(f)?;
                }
                self.extra_empty = self.extra_empty.max(f + 1 - self.count());
            }
            self.file += 1;
            self.offset = 0;
        }
        Ok(())
    }

    fn read_block(&mut self, buf: &mut [u8]) -> Result<ReadOutcome, DeviceError> {
        self.close_writer()?;
        let f = self.file;
        if f >= self.count() {
            if f < self.count() + self.extra_empty {
                self.file += 1;
                return Ok(ReadOutcome::Filemark);
            }
            return Ok(ReadOutcome::EndOfData);
        }
        let len = self.files[f as usize].1;
        if self.offset >= len {
            self.file += 1;
            self.offset = 0;
            return Ok(ReadOutcome::Filemark);
        }
        let want = if self.offset == 0 {
            HEADER_BLOCK as u64
        } else {
            self.block
        };
        let n = want.min(len - self.offset) as usize;
        let at = self.offset;
        self.offset += n as u64;
        if buf.len() < n {
            return Err(DeviceError::BufferTooSmall {
                needed: Some(n as u32),
            });
        }
        let file = self.reader(f)?;
        file.read_exact_at(&mut buf[..n], at)
            .map_err(|_| DeviceError::Io("vtape file shorter than expected"))?;
        Ok(ReadOutcome::Block(n))
    }

    fn rewind(&mut self) -> Result<(), DeviceError> {
        self.close_writer()?;
        self.file = 0;
        self.offset = 0;
        Ok(())
    }

    fn space_files(&mut self, n: i64) -> Result<(), DeviceError> {
        self.close_writer()?;
        let total = i64::from(self.count() + self.extra_empty);
        let target = i64::from(self.file) + n;
        if n >= 0 {
            if target > total {
                self.file = total as u32;
                self.offset = 0;
                return Err(DeviceError::EndOfData);
            }
            if n > 0 {
                self.file = target as u32;
                self.offset = 0;
            }
        } else {
            if target < 0 {
                self.file = 0;
                self.offset = 0;
                return Err(DeviceError::BeginningOfMedium);
            }
            self.file = target as u32;
            self.offset = self.files.get(target as usize).map_or(0, |f| f.1);
        }
        Ok(())
    }

    fn space_blocks(&mut self, n: i64) -> Result<(), DeviceError> {
        self.close_writer()?;
        let len = self.files.get(self.file as usize).map_or(0, |f| f.1);
        let blocks = self.block_of(len);
        let target = self.block_of(self.offset) as i64 + n;
        if target < 0 {
            self.offset = 0;
            return Err(if self.file == 0 {
                DeviceError::BeginningOfMedium
            } else {
                DeviceError::FilemarkReached
            });
        }
        if target as u64 > blocks {
            self.file += 1;
            self.offset = 0;
            return Err(DeviceError::FilemarkReached);
        }
        self.offset = self.offset_of(target as u64).min(len);
        Ok(())
    }

    fn seek_end_of_data(&mut self) -> Result<(), DeviceError> {
        self.close_writer()?;
        self.file = self.count() + self.extra_empty;
        self.offset = 0;
        Ok(())
    }

    fn position(&self) -> Option<Position> {
        Some(Position {
            file: self.file,
            block: self.block_of(self.offset),
        })
    }

    fn flush(&mut self) -> Result<(), DeviceError> {
        if let Some(f) = self.writing.as_mut() {
            f.flush().map_err(io)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tape_format::amanda::{DumpFile, TapeStart};

    #[test]
    fn amanda_layout_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let slot = slot_path(dir.path(), 1);
        let mut d = VtapeDevice::open(&slot, 32768, None).unwrap();
        let label = Header::TapeStart(TapeStart {
            datestamp: "X".into(),
            label: "AF-001".into(),
            extra: vec![],
        });
        d.write_block(&label.encode(HEADER_BLOCK).unwrap()).unwrap();
        d.write_filemarks(2).unwrap();
        d.space_files(-1).unwrap();
        let dump = Header::Dump(Box::new(DumpFile::new(
            "20240102",
            "localhost",
            "/etc/sample",
            0,
        )));
        d.write_block(&dump.encode(HEADER_BLOCK).unwrap()).unwrap();
        d.write_block(&[7u8; 32768]).unwrap();
        d.write_block(&[8u8; 100]).unwrap();
        d.write_filemarks(2).unwrap();
        let mut names: Vec<String> = fs::read_dir(&slot)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["00000.AF-001", "00001.localhost._etc_sample.0"]);
        assert_eq!(
            fs::metadata(slot.join("00001.localhost._etc_sample.0"))
                .unwrap()
                .len(),
            32768 + 32768 + 100
        );

        let mut d = VtapeDevice::open(&slot, 32768, None).unwrap();
        let mut buf = vec![0u8; 65536];
        assert!(matches!(
            d.read_block(&mut buf),
            Ok(ReadOutcome::Block(32768))
        ));
        assert_eq!(d.read_block(&mut buf), Ok(ReadOutcome::Filemark));
        assert_eq!(d.read_block(&mut buf), Ok(ReadOutcome::Block(32768)));
        assert_eq!(d.read_block(&mut buf), Ok(ReadOutcome::Block(32768)));
        assert_eq!(buf[0], 7);
        assert_eq!(d.read_block(&mut buf), Ok(ReadOutcome::Block(100)));
        assert_eq!(d.read_block(&mut buf), Ok(ReadOutcome::Filemark));
        assert_eq!(d.read_block(&mut buf), Ok(ReadOutcome::EndOfData));
        d.space_files(-1).unwrap();
        assert_eq!(d.position(), Some(Position { file: 1, block: 3 }));
        d.space_blocks(-2).unwrap();
        assert_eq!(d.read_block(&mut buf), Ok(ReadOutcome::Block(32768)));
        // Overwriting file 1 from its start removes it.
        d.rewind().unwrap();
        d.space_files(1).unwrap();
        d.write_filemarks(1).unwrap();
        assert_eq!(fs::read_dir(&slot).unwrap().count(), 1);
    }
}
