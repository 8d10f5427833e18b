//! Volume-level helpers shared by the writer and the reader (FORMAT.md "Layout"): header
//! block sizes, reading and writing the label file, and finding where to append.

use crate::afbackup::Label;
use crate::amanda::{HEADER_BLOCK, Header, TapeStart, VolumeInfo};
use crate::device::{BlockMode, DeviceError, ReadOutcome, TapeDevice};
use crate::error::TapeErrorKind;

/// What file 0 of a cartridge says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VolumeLabel {
    /// One of our volumes: an Amanda TAPESTART with `X-TF-CART`.
    Ours {
        /// The header.
        start: TapeStart,
        /// The afbackup facts from the extension lines.
        info: VolumeInfo,
    },
    /// A plain Amanda volume (no `X-TF-CART`).
    Amanda(TapeStart),
    /// An afbackup tape.
    Afbackup(Label),
    /// Nothing recorded.
    Blank,
    /// Data that is no label we know.
    Unknown,
}

impl VolumeLabel {
    /// The cartridge number the label names, if any.
    pub fn cartridge(&self) -> Option<u32> {
        match self {
            VolumeLabel::Ours { info, .. } => Some(info.cart),
            VolumeLabel::Afbackup(l) => Some(l.cartridge),
            _ => None,
        }
    }

    /// Whether the label names cartridge `n` (primary or secondary number, §2.2).
    pub fn names(&self, n: u32) -> bool {
        match self {
            VolumeLabel::Ours { info, .. } => info.names(n),
            VolumeLabel::Afbackup(l) => l.cartridge == n || l.second == Some(n),
            _ => false,
        }
    }
}

/// The length of a header block on a device in `mode`: the block size in fixed mode, 32
/// KiB in variable mode (§3.1).
pub fn header_block_len(mode: BlockMode) -> usize {
    match mode {
        BlockMode::Fixed(n) => n as usize,
        BlockMode::Variable { .. } => HEADER_BLOCK,
    }
}

/// Check that `block_size` fits the Amanda layout on a device in `mode`: a multiple of
/// 1024, at least 32 KiB in fixed mode (Amanda rejects smaller header blocks), equal to
/// the fixed size, and within the variable maximum.
pub fn check_block_size(block_size: u32, mode: BlockMode) -> Result<(), TapeErrorKind> {
    let ok = block_size >= 1024
        && block_size.is_multiple_of(1024)
        && match mode {
            BlockMode::Fixed(n) => n == block_size && n as usize >= HEADER_BLOCK,
            BlockMode::Variable { max } => block_size <= max && HEADER_BLOCK as u32 <= max,
        };
    if ok {
        Ok(())
    } else {
        Err(TapeErrorKind::BadBlockSize(block_size))
    }
}

fn read_buffer_len(mode: BlockMode) -> usize {
    match mode {
        BlockMode::Fixed(n) => n as usize,
        BlockMode::Variable { max } => (max as usize).max(HEADER_BLOCK),
    }
}

/// Rewind and read file 0. Leaves the drive after the first block (or where the read
/// stopped). A block size that does not fit the fixed mode reads as [`VolumeLabel::Unknown`].
pub fn read_label<D: TapeDevice>(dev: &mut D) -> Result<VolumeLabel, DeviceError> {
    dev.rewind()?;
    let mut buf = vec![0u8; read_buffer_len(dev.mode())];
    let n = match dev.read_block(&mut buf) {
        Ok(ReadOutcome::Block(n)) => n,
        Ok(ReadOutcome::EndOfData) => return Ok(VolumeLabel::Blank),
        Ok(ReadOutcome::Filemark) => return Ok(VolumeLabel::Unknown),
        Err(DeviceError::WrongBlockSize { .. } | DeviceError::BufferTooSmall { .. }) => {
            return Ok(VolumeLabel::Unknown);
        }
        Err(e) => return Err(e),
    };
    let block = &buf[..n];
    if let Ok(Header::TapeStart(start)) = Header::decode(block) {
        return Ok(match VolumeInfo::from_tapestart(&start) {
            Ok(Some(info)) => VolumeLabel::Ours { start, info },
            _ => VolumeLabel::Amanda(start),
        });
    }
    if let Ok(l) = Label::decode(block) {
        return Ok(VolumeLabel::Afbackup(l));
    }
    Ok(VolumeLabel::Unknown)
}

/// Rewind and write a label file: the TAPESTART header block, a filemark, and a second
/// filemark for end of data. Everything on the cartridge is lost.
pub fn write_label<D: TapeDevice>(dev: &mut D, start: &TapeStart) -> Result<(), TapeErrorKind> {
    dev.rewind()?;
    let block = Header::TapeStart(start.clone()).encode(header_block_len(dev.mode()))?;
    dev.write_block(&block)?;
    dev.write_filemarks(2)?;
    dev.flush()?;
    Ok(())
}

/// Position a labelled cartridge for appending and return the physical file number the
/// next tape file will get. Walks the files from the label on: the first empty file
/// (the second filemark of end of data) or the end of data is the append point. A last
/// file that ends without a filemark gets one first.
pub fn seek_append_point<D: TapeDevice>(dev: &mut D) -> Result<u32, DeviceError> {
    dev.rewind()?;
    let mut buf = vec![0u8; read_buffer_len(dev.mode())];
    let mut file = 0u32;
    loop {
        // At the start of `file`.
        match dev.read_block(&mut buf) {
            Ok(ReadOutcome::Filemark) => {
                // Empty file: end of data. Write the next file in its place.
                dev.space_files(-1)?;
                return Ok(file);
            }
            Ok(ReadOutcome::EndOfData) => return Ok(file),
            Ok(ReadOutcome::Block(_))
            | Err(
                DeviceError::BufferTooSmall { .. }
                | DeviceError::WrongBlockSize { .. }
                | DeviceError::Io(_),
            ) => {
                match dev.space_files(1) {
                    Ok(()) => file += 1,
                    Err(DeviceError::EndOfData) => {
                        // The file has no closing filemark (the drive hit the end of the
                        // medium, or a crash): close it and append after it.
                        dev.seek_end_of_data()?;
                        dev.write_filemarks(1)?;
                        return Ok(file + 1);
                    }
                    Err(e) => return Err(e),
                }
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemTape;

    fn start(cart: u32) -> TapeStart {
        TapeStart {
            datestamp: "X".into(),
            label: format!("AF-{cart:03}"),
            extra: VolumeInfo {
                cart,
                cart2: None,
                set: None,
                blocksize: Some(32768),
                labeled: None,
            }
            .to_lines(),
        }
    }

    #[test]
    fn label_then_append_points() {
        let mut t = MemTape::new(BlockMode::Fixed(32768));
        assert_eq!(read_label(&mut t).unwrap(), VolumeLabel::Blank);
        write_label(&mut t, &start(4)).unwrap();
        let l = read_label(&mut t).unwrap();
        assert!(l.names(4) && !l.names(5));
        assert_eq!(seek_append_point(&mut t).unwrap(), 1);
        t.write_block(&[1; 32768]).unwrap();
        t.write_filemarks(2).unwrap();
        assert_eq!(seek_append_point(&mut t).unwrap(), 2);
        t.write_block(&[2; 32768]).unwrap();
        // No closing filemark: the append point closes the file first.
        assert_eq!(seek_append_point(&mut t).unwrap(), 3);
        assert_eq!(t.files().len(), 3);
    }

    #[test]
    fn afbackup_and_foreign_labels() {
        let mut t = MemTape::new(BlockMode::Variable { max: 65536 });
        let l = Label {
            cartridge: 2,
            second: Some(7),
            labeled: "Tue Jan  2 03:04:05 2024".into(),
            blocksize: 512,
            version: "3.5.8".into(),
            copy_from: None,
            duplicated: None,
            comment: String::new(),
        };
        t.write_block(&l.encode().unwrap()).unwrap();
        let v = read_label(&mut t).unwrap();
        assert!(v.names(2) && v.names(7));
        let mut u = MemTape::new(BlockMode::Variable { max: 65536 });
        u.write_block(b"random data").unwrap();
        assert_eq!(read_label(&mut u).unwrap(), VolumeLabel::Unknown);
    }

    #[test]
    fn block_size_rules() {
        assert!(check_block_size(32768, BlockMode::Fixed(32768)).is_ok());
        assert!(check_block_size(16384, BlockMode::Fixed(16384)).is_err());
        assert!(check_block_size(16384, BlockMode::Variable { max: 1 << 20 }).is_ok());
        assert!(check_block_size(1000, BlockMode::Variable { max: 1 << 20 }).is_err());
        assert!(check_block_size(65536, BlockMode::Fixed(32768)).is_err());
    }
}
