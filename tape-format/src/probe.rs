//! Block-size probing (`spec/tape-format.md` §2.4, afbackup's `find_tape_blocksize`): try
//! the configured size, then every size in `ever_used_blocksizes`, then afbackup's fixed
//! list, each without duplicates; the first read that returns data fixes the block size.
//!
//! [`BlockSizeProber`] is the pure state machine; [`probe_block_size`] drives it over a
//! [`TapeDevice`] in variable-block mode (each attempt rewinds and reads one block with a
//! buffer of the candidate size: too small gives `BufferTooSmall`, as `ENOMEM` on Linux).

use crate::device::{BlockMode, DeviceError, ReadOutcome, TapeDevice};

/// afbackup's fallback candidates, in its order.
pub const FALLBACK_SIZES: [u32; 8] = [2048, 1024, 512, 32768, 65536, 10240, 8192, 131072];

/// The result of one probe read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeStep {
    /// The block size is known: the block read had this many bytes.
    Found(u32),
    /// Rewind and try [`BlockSizeProber::next_candidate`].
    TryNext,
}

/// Picks the block sizes to try, in afbackup's order.
#[derive(Clone, Debug)]
pub struct BlockSizeProber {
    candidates: Vec<u32>,
    next: usize,
}

impl BlockSizeProber {
    /// Candidates: `configured`, then `ever_used` in file order, then [`FALLBACK_SIZES`].
    pub fn new(configured: u32, ever_used: &[u32]) -> Self {
        let mut candidates = Vec::new();
        for s in std::iter::once(configured)
            .chain(ever_used.iter().copied())
            .chain(FALLBACK_SIZES)
        {
            if s > 0 && !candidates.contains(&s) {
                candidates.push(s);
            }
        }
        BlockSizeProber {
            candidates,
            next: 0,
        }
    }

    /// The candidates in order.
    pub fn candidates(&self) -> &[u32] {
        &self.candidates
    }

    /// The next size to try (rewind, then read one block into a buffer of this size), or
    /// `None` when every candidate failed.
    pub fn next_candidate(&mut self) -> Option<u32> {
        let c = self.candidates.get(self.next).copied();
        self.next += 1;
        c
    }

    /// Feed the result of reading with the last candidate.
    pub fn handle_read(&mut self, result: Result<ReadOutcome, DeviceError>) -> ProbeStep {
        match result {
            Ok(ReadOutcome::Block(n)) if n > 0 => {
                ProbeStep::Found(u32::try_from(n).unwrap_or(u32::MAX))
            }
            _ => ProbeStep::TryNext,
        }
    }
}

/// Find the block size of the first block on the tape, leaving the drive in variable
/// mode and rewound. `None` when no candidate reads anything (blank tape, or blocks larger
/// than every candidate).
pub fn probe_block_size<D: TapeDevice>(
    dev: &mut D,
    prober: &mut BlockSizeProber,
) -> Result<Option<u32>, DeviceError> {
    let max = prober.candidates().iter().copied().max().unwrap_or(0);
    dev.set_mode(BlockMode::Variable { max })?;
    let mut buf = Vec::new();
    while let Some(size) = prober.next_candidate() {
        dev.rewind()?;
        buf.resize(size as usize, 0);
        let r = dev.read_block(&mut buf);
        if let Err(e @ (DeviceError::NotReady | DeviceError::Io(_))) = r {
            return Err(e);
        }
        if let ProbeStep::Found(n) = prober.handle_read(r) {
            dev.rewind()?;
            return Ok(Some(n));
        }
    }
    dev.rewind()?;
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemTape;

    #[test]
    fn candidate_order_is_afbackups() {
        let p = BlockSizeProber::new(8192, &[4096, 32768, 4096]);
        assert_eq!(
            p.candidates(),
            [8192, 4096, 32768, 2048, 1024, 512, 65536, 10240, 131072]
        );
    }

    #[test]
    fn finds_the_block_size_from_ever_used() {
        let mut t = MemTape::new(BlockMode::Fixed(24576));
        t.write_block(&[1; 24576]).unwrap();
        let mut p = BlockSizeProber::new(512, &[16384, 24576]);
        assert_eq!(probe_block_size(&mut t, &mut p).unwrap(), Some(24576));
        let mut t = MemTape::new(BlockMode::Fixed(200_000));
        t.write_block(&[1; 200_000]).unwrap();
        assert_eq!(
            probe_block_size(&mut t, &mut BlockSizeProber::new(512, &[])).unwrap(),
            None
        );
        let mut blank = MemTape::new(BlockMode::Fixed(512));
        assert_eq!(
            probe_block_size(&mut blank, &mut BlockSizeProber::new(512, &[])).unwrap(),
            None
        );
    }
}
