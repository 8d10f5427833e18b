//! File-backed virtual cartridges: one SIMH `.tap` image per cartridge
//! (`<dir>/cartNNN.tap`), through `tape_format::simh::SimhTape`.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{FileExt, PermissionsExt};
use std::path::{Path, PathBuf};

use tape_format::simh::{ImageStore, SimhTape};
use tape_format::{BlockMode, DeviceError};

/// A tape image in a file.
#[derive(Debug)]
pub struct FileStore {
    file: File,
    len: u64,
}

impl FileStore {
    /// Wrap an open file.
    pub fn new(file: File) -> std::io::Result<FileStore> {
        let len = file.metadata()?.len();
        Ok(FileStore { file, len })
    }
}

impl ImageStore for FileStore {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, DeviceError> {
        let mut got = 0;
        while got < buf.len() {
            match self.file.read_at(&mut buf[got..], offset + got as u64) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return Err(DeviceError::Io("reading the tape image failed")),
            }
        }
        Ok(got)
    }

    fn write_at(&mut self, offset: u64, data: &[u8]) -> Result<(), DeviceError> {
        self.file
            .write_all_at(data, offset)
            .map_err(|e| match e.raw_os_error() {
                Some(libc::ENOSPC) => DeviceError::EndOfMedium,
                _ => DeviceError::Io("writing the tape image failed"),
            })?;
        self.len = self.len.max(offset + data.len() as u64);
        Ok(())
    }

    fn set_len(&mut self, len: u64) -> Result<(), DeviceError> {
        self.file
            .set_len(len)
            .map_err(|_| DeviceError::Io("truncating the tape image failed"))?;
        self.len = len;
        Ok(())
    }

    fn sync(&mut self) -> Result<(), DeviceError> {
        self.file
            .sync_data()
            .map_err(|_| DeviceError::Io("syncing the tape image failed"))
    }
}

/// The image of cartridge `cart`.
pub fn cartridge_path(dir: &Path, cart: u32) -> PathBuf {
    dir.join(format!("cart{cart:03}.tap"))
}

/// Open (creating a blank one if needed) cartridge `cart`. A read-only image file is a
/// write-protected cartridge.
pub fn open_cartridge(
    dir: &Path,
    cart: u32,
    block_size: u32,
    capacity: Option<(u64, u64)>,
) -> Result<SimhTape<FileStore>, DeviceError> {
    std::fs::create_dir_all(dir)
        .map_err(|_| DeviceError::Io("cannot create the cartridge directory"))?;
    let path = cartridge_path(dir, cart);
    let protected = std::fs::metadata(&path).is_ok_and(|m| m.permissions().mode() & 0o222 == 0);
    let file = if protected {
        File::open(&path)
    } else {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
    }
    .map_err(|_| DeviceError::NotReady)?;
    let store = FileStore::new(file).map_err(|_| DeviceError::NotReady)?;
    let max = block_size.max(tape_format::amanda::HEADER_BLOCK as u32);
    let mut tape = SimhTape::open(store, BlockMode::Variable { max })?;
    if let Some((cap, ew)) = capacity {
        tape = tape.with_capacity(cap, ew);
    }
    tape.set_write_protected(protected);
    Ok(tape)
}
