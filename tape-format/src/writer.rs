//! The file writer (`spec/tape-format.md` §8.1 `FileWriter`): a byte stream in, whole tape
//! blocks out, and a new tape file whenever the current one reaches the size limit
//! (afbackup's *Max Bytes Per File*, Amanda's part size).
//!
//! Pure state machine: [`FileWriter::push`] data, [`FileWriter::finish`] at the end, and
//! drain [`FileWriter::poll`] after each call. Blocks are `Bytes` split off one buffer.
//! In fixed-block mode the last block is padded with NUL bytes (§2.1, §5.2); in variable
//! mode it stays short, which keeps vtape data unpadded like Amanda's (§4).

use bytes::{Bytes, BytesMut};

/// What the writer wants written next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Chunk {
    /// One data block (full, or the last one: padded in fixed mode, short in variable mode).
    Block(Bytes),
    /// The current tape file has reached the size limit: end it before the next block.
    EndOfFile,
}

/// Cuts a stream into blocks and tape files.
#[derive(Debug)]
pub struct FileWriter {
    block: usize,
    max_file: u64,
    pad: bool,
    buf: BytesMut,
    in_file: u64,
    emitted: u64,
    finished: bool,
}

impl FileWriter {
    /// A writer for `block_size`-byte blocks and tape files of at most
    /// `max_bytes_per_file` data bytes (rounded up to whole blocks, at least one).
    /// `pad_last` pads the final block (fixed-block devices).
    pub fn new(block_size: u32, max_bytes_per_file: u64, pad_last: bool) -> Self {
        let block = block_size.max(1) as usize;
        let max_file = max_bytes_per_file.div_ceil(block as u64).max(1) * block as u64;
        FileWriter {
            block,
            max_file,
            pad: pad_last,
            buf: BytesMut::with_capacity(block * 2),
            in_file: 0,
            emitted: 0,
            finished: false,
        }
    }

    /// The block size.
    pub fn block_size(&self) -> usize {
        self.block
    }

    /// The file size limit in bytes (a whole number of blocks).
    pub fn max_file_bytes(&self) -> u64 {
        self.max_file
    }

    /// Stream bytes handed out in blocks so far (padding not counted).
    pub fn emitted(&self) -> u64 {
        self.emitted
    }

    /// Add stream bytes.
    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// The stream has ended: the buffered rest becomes the last block.
    pub fn finish(&mut self) {
        self.finished = true;
    }

    /// Start a new tape file at the next block even though the limit was not reached
    /// (a client request, or a volume change).
    pub fn new_file(&mut self) {
        self.in_file = 0;
    }

    /// The next thing to write, or `None` until more data is pushed (or, after
    /// [`finish`](Self::finish), when everything has been handed out).
    pub fn poll(&mut self) -> Option<Chunk> {
        let have = self.buf.len();
        if have == 0 || (have < self.block && !self.finished) {
            return None;
        }
        if self.in_file >= self.max_file {
            self.in_file = 0;
            return Some(Chunk::EndOfFile);
        }
        let n = have.min(self.block);
        let mut b = self.buf.split_to(n);
        self.emitted += n as u64;
        if n < self.block && self.pad {
            b.resize(self.block, 0);
        }
        self.in_file += self.block as u64;
        Some(Chunk::Block(b.freeze()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(w: &mut FileWriter) -> Vec<Chunk> {
        std::iter::from_fn(|| w.poll()).collect()
    }

    #[test]
    fn blocks_files_and_padding() {
        let mut w = FileWriter::new(4, 8, true);
        w.push(b"abcdefghij");
        let c = drain(&mut w);
        assert_eq!(
            c,
            vec![
                Chunk::Block(Bytes::from_static(b"abcd")),
                Chunk::Block(Bytes::from_static(b"efgh"))
            ]
        );
        w.finish();
        let c = drain(&mut w);
        assert_eq!(
            c,
            vec![
                Chunk::EndOfFile,
                Chunk::Block(Bytes::from_static(b"ij\0\0"))
            ]
        );
        assert_eq!(w.emitted(), 10);
    }

    #[test]
    fn variable_mode_keeps_the_last_block_short_and_no_empty_file() {
        let mut w = FileWriter::new(4, 4, false);
        w.push(b"abcdefgh");
        w.finish();
        let c = drain(&mut w);
        assert_eq!(
            c,
            vec![
                Chunk::Block(Bytes::from_static(b"abcd")),
                Chunk::EndOfFile,
                Chunk::Block(Bytes::from_static(b"efgh"))
            ]
        );
        assert_eq!(FileWriter::new(512, 1000, true).max_file_bytes(), 1024);
    }

    proptest::proptest! {
        #[test]
        fn stream_is_preserved(data in proptest::collection::vec(proptest::num::u8::ANY, 0..2000),
                               cuts in proptest::collection::vec(0usize..300, 0..10),
                               bs in 1u32..64, max in 1u64..300, pad: bool) {
            let mut w = FileWriter::new(bs, max, pad);
            let mut out = Vec::new();
            let mut files = 1;
            let mut rest = &data[..];
            for c in cuts {
                let (a, b) = rest.split_at(c.min(rest.len()));
                w.push(a);
                rest = b;
                while let Some(ch) = w.poll() {
                    match ch { Chunk::Block(b) => out.extend_from_slice(&b), Chunk::EndOfFile => files += 1 }
                }
            }
            w.push(rest);
            w.finish();
            while let Some(ch) = w.poll() {
                match ch {
                    Chunk::Block(b) => { proptest::prop_assert!(b.len() <= bs as usize); out.extend_from_slice(&b) }
                    Chunk::EndOfFile => files += 1,
                }
            }
            proptest::prop_assert_eq!(&out[..data.len()], &data[..]);
            proptest::prop_assert!(out[data.len()..].iter().all(|&b| b == 0));
            let per_file = w.max_file_bytes();
            proptest::prop_assert!(files as u64 <= (data.len() as u64).div_ceil(per_file).max(1));
        }
    }
}
