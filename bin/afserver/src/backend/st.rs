//! Linux SCSI tape drives (`/dev/nstN`) through the `st` driver (`spec/tape-format.md`
//! §5.1): `read`/`write` for blocks, `MTIOCTOP` for filemarks and positioning, `MTIOCGET`
//! for position and write protection.
//!
//! Error mapping (§5.1, §8.1):
//!
//! | errno | operation | result |
//! |---|---|---|
//! | `ENOSPC` | write, first time | early warning: the block was not written, so it is written again once; success gives `EarlyWarning` (the st driver allows one write after the warning, §5.1) |
//! | `ENOSPC` | write, after that | `EndOfMedium` |
//! | `ENOMEM`, `EOVERFLOW`, `EINVAL` | read | `BufferTooSmall` (the block is consumed) |
//! | `EIO` | read in fixed mode | `Io` ("Incorrect block size" or a medium error; the driver does not say which) |
//! | `EROFS`, `EACCES` | write | `WriteProtected` |
//! | `EIO` | spacing forward | `EndOfData` |
//!
//! `unsafe` is confined to the three `ioctl` calls below; each passes a pointer to a
//! properly sized, initialised `#[repr(C)]` struct that lives for the duration of the call.
//!
//! Not tested on hardware here: the machine has no SCSI tape (see the crate report).

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use tape_format::{BlockMode, DeviceError, Position, ReadOutcome, TapeDevice, WriteOutcome};

/// `struct mtop` of `<linux/mtio.h>`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
struct MtOp {
    op: libc::c_short,
    count: libc::c_int,
}

/// `struct mtget` of `<linux/mtio.h>`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
struct MtGet {
    mt_type: libc::c_long,
    mt_resid: libc::c_long,
    mt_dsreg: libc::c_long,
    mt_gstat: libc::c_long,
    mt_erreg: libc::c_long,
    mt_fileno: libc::c_int,
    mt_blkno: libc::c_int,
}

const fn ioc(dir: u64, nr: u64, size: usize) -> u64 {
    (dir << 30) | ((size as u64) << 16) | ((b'm' as u64) << 8) | nr
}

/// `_IOW('m', 1, struct mtop)`.
const MTIOCTOP: u64 = ioc(1, 1, size_of::<MtOp>());
/// `_IOR('m', 2, struct mtget)`.
const MTIOCGET: u64 = ioc(2, 2, size_of::<MtGet>());

const MTFSF: libc::c_short = 1;
const MTBSF: libc::c_short = 2;
const MTFSR: libc::c_short = 3;
const MTBSR: libc::c_short = 4;
const MTWEOF: libc::c_short = 5;
const MTREW: libc::c_short = 6;
const MTEOM: libc::c_short = 12;
const MTSETBLK: libc::c_short = 20;

const GMT_WR_PROT: libc::c_long = 0x0400_0000;
const GMT_ONLINE: libc::c_long = 0x0100_0000;

/// Which call failed, for the errno mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `write`.
    Write,
    /// `read`.
    Read,
    /// Spacing forward (`MTFSF`, `MTFSR`).
    SpaceForward,
    /// Spacing backward (`MTBSF`, `MTBSR`).
    SpaceBackward,
    /// Any other ioctl.
    Other,
}

/// Map an errno of the `st` driver to a device error (table in the module docs; the
/// early-warning retry is done by the caller).
pub fn map_errno(op: Op, errno: i32, fixed: bool) -> DeviceError {
    match (op, errno) {
        (Op::Write, libc::ENOSPC) => DeviceError::EndOfMedium,
        (Op::Write | Op::Other, libc::EROFS | libc::EACCES) => DeviceError::WriteProtected,
        (Op::Read, libc::ENOMEM | libc::EOVERFLOW | libc::EINVAL) => {
            DeviceError::BufferTooSmall { needed: None }
        }
        (Op::Read, libc::EIO) if fixed => {
            DeviceError::Io("EIO: incorrect block size or medium error")
        }
        (Op::SpaceForward, libc::EIO) => DeviceError::EndOfData,
        (Op::SpaceBackward, libc::EIO) => DeviceError::BeginningOfMedium,
        (_, libc::ENOMEDIUM) => DeviceError::NotReady,
        _ => DeviceError::Io("tape drive error"),
    }
}

/// A Linux `st` tape drive.
#[derive(Debug)]
pub struct StDevice {
    file: File,
    mode: BlockMode,
    warned: bool,
    write_protected: bool,
}

impl StDevice {
    /// Open a non-rewinding device (`O_NONBLOCK`, so a drive without a tape opens), check
    /// that a tape is online, and set fixed-block mode with `block_size`.
    pub fn open(path: &Path, block_size: u32) -> Result<StDevice, DeviceError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
            .or_else(|_| {
                OpenOptions::new()
                    .read(true)
                    .custom_flags(libc::O_NONBLOCK)
                    .open(path)
            })
            .map_err(|_| DeviceError::NotReady)?;
        let mut d = StDevice {
            file,
            mode: BlockMode::Fixed(block_size),
            warned: false,
            write_protected: false,
        };
        let st = d.status()?;
        if st.mt_gstat & GMT_ONLINE == 0 {
            return Err(DeviceError::NotReady);
        }
        d.write_protected = st.mt_gstat & GMT_WR_PROT != 0;
        d.set_mode(BlockMode::Fixed(block_size))?;
        Ok(d)
    }

    fn op(&mut self, op: libc::c_short, count: i32, kind: Op) -> Result<(), DeviceError> {
        let arg = MtOp { op, count };
        // SAFETY: MTIOCTOP reads a `struct mtop`; `arg` is a valid, initialised `MtOp` with
        // the kernel's layout and outlives the call.
        let r = unsafe { libc::ioctl(self.file.as_raw_fd(), MTIOCTOP as _, &arg as *const MtOp) };
        if r < 0 {
            let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
            return Err(map_errno(
                kind,
                errno,
                matches!(self.mode, BlockMode::Fixed(_)),
            ));
        }
        Ok(())
    }

    fn status(&self) -> Result<MtGet, DeviceError> {
        let mut st = MtGet::default();
        // SAFETY: MTIOCGET writes a `struct mtget`; `st` is a valid, writable `MtGet` with
        // the kernel's layout and outlives the call.
        let r = unsafe { libc::ioctl(self.file.as_raw_fd(), MTIOCGET as _, &mut st as *mut MtGet) };
        if r < 0 {
            return Err(DeviceError::Io("MTIOCGET failed (not a tape device?)"));
        }
        Ok(st)
    }

    fn space(
        &mut self,
        fwd: libc::c_short,
        back: libc::c_short,
        n: i64,
    ) -> Result<(), DeviceError> {
        if n == 0 {
            return Ok(());
        }
        let count =
            i32::try_from(n.unsigned_abs()).map_err(|_| DeviceError::Io("count too large"))?;
        if n > 0 {
            self.op(fwd, count, Op::SpaceForward)
        } else {
            self.op(back, count, Op::SpaceBackward)
        }
    }
}

impl TapeDevice for StDevice {
    fn mode(&self) -> BlockMode {
        self.mode
    }

    fn set_mode(&mut self, mode: BlockMode) -> Result<(), DeviceError> {
        let n = match mode {
            BlockMode::Fixed(n) => n,
            BlockMode::Variable { .. } => 0,
        };
        self.op(MTSETBLK, i32::try_from(n).unwrap_or(0), Op::Other)?;
        self.mode = mode;
        Ok(())
    }

    fn is_write_protected(&self) -> bool {
        self.write_protected
    }

    fn write_block(&mut self, block: &[u8]) -> Result<WriteOutcome, DeviceError> {
        if self.write_protected {
            return Err(DeviceError::WriteProtected);
        }
        if let BlockMode::Fixed(n) = self.mode
            && block.len() != n as usize
        {
            return Err(DeviceError::WrongBlockSize {
                expected: n,
                got: block.len() as u32,
            });
        }
        let fixed = matches!(self.mode, BlockMode::Fixed(_));
        match self.file.write(block) {
            Ok(n) if n == block.len() => Ok(WriteOutcome::Written),
            Ok(_) => Err(DeviceError::Io("short write")),
            Err(e) if e.raw_os_error() == Some(libc::ENOSPC) && !self.warned => {
                // First ENOSPC: early warning, nothing written. The driver allows the next
                // write (§5.1 alternation), so write the block again once.
                self.warned = true;
                match self.file.write(block) {
                    Ok(n) if n == block.len() => Ok(WriteOutcome::EarlyWarning),
                    _ => Err(DeviceError::EndOfMedium),
                }
            }
            Err(e) => Err(map_errno(Op::Write, e.raw_os_error().unwrap_or(0), fixed)),
        }
    }

    fn write_filemarks(&mut self, n: u32) -> Result<(), DeviceError> {
        self.op(MTWEOF, i32::try_from(n).unwrap_or(i32::MAX), Op::Write)
    }

    fn read_block(&mut self, buf: &mut [u8]) -> Result<ReadOutcome, DeviceError> {
        let fixed = matches!(self.mode, BlockMode::Fixed(_));
        match self.file.read(buf) {
            Ok(0) => {
                // A filemark, or end of data; the st driver reports both as 0 bytes, and
                // EOD shows in the status bits.
                if self.status().is_ok_and(|s| s.mt_gstat & 0x0800_0000 != 0) {
                    Ok(ReadOutcome::EndOfData)
                } else {
                    Ok(ReadOutcome::Filemark)
                }
            }
            Ok(n) => Ok(ReadOutcome::Block(n)),
            Err(e) => Err(map_errno(Op::Read, e.raw_os_error().unwrap_or(0), fixed)),
        }
    }

    fn rewind(&mut self) -> Result<(), DeviceError> {
        self.warned = false;
        self.op(MTREW, 1, Op::Other)
    }

    fn space_files(&mut self, n: i64) -> Result<(), DeviceError> {
        self.space(MTFSF, MTBSF, n)
    }

    fn space_blocks(&mut self, n: i64) -> Result<(), DeviceError> {
        self.space(MTFSR, MTBSR, n)
    }

    fn seek_end_of_data(&mut self) -> Result<(), DeviceError> {
        self.op(MTEOM, 1, Op::Other)
    }

    fn position(&self) -> Option<Position> {
        let st = self.status().ok()?;
        Some(Position {
            file: u32::try_from(st.mt_fileno).ok()?,
            block: u64::try_from(st.mt_blkno).ok()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ioctl_numbers_match_linux_mtio_h() {
        // Values of the <linux/mtio.h> macros on x86_64 (struct mtop is 8 bytes, struct
        // mtget 48).
        assert_eq!(MTIOCTOP, 0x4008_6d01);
        assert_eq!(MTIOCGET, 0x8030_6d02);
    }

    #[test]
    fn errno_mapping_follows_the_spec() {
        assert_eq!(
            map_errno(Op::Write, libc::ENOSPC, true),
            DeviceError::EndOfMedium
        );
        assert_eq!(
            map_errno(Op::Write, libc::EROFS, true),
            DeviceError::WriteProtected
        );
        assert_eq!(
            map_errno(Op::Write, libc::EACCES, false),
            DeviceError::WriteProtected
        );
        assert_eq!(
            map_errno(Op::Read, libc::ENOMEM, false),
            DeviceError::BufferTooSmall { needed: None }
        );
        assert_eq!(
            map_errno(Op::Read, libc::EOVERFLOW, false),
            DeviceError::BufferTooSmall { needed: None }
        );
        assert!(matches!(
            map_errno(Op::Read, libc::EIO, true),
            DeviceError::Io(_)
        ));
        assert_eq!(
            map_errno(Op::SpaceForward, libc::EIO, true),
            DeviceError::EndOfData
        );
        assert_eq!(
            map_errno(Op::Other, libc::ENOMEDIUM, true),
            DeviceError::NotReady
        );
    }

    #[test]
    fn a_plain_file_is_not_a_tape() {
        let f = tempfile::NamedTempFile::new().unwrap();
        assert!(StDevice::open(f.path(), 32768).is_err());
    }
}
