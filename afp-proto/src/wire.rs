//! Crate-private cursor for reading and writing AFP blocks.
//!
//! All AFP integers are big-endian (spec §0.2). "Pad to even" is measured from the first
//! byte of the AFP command block (the command code), which is where a [`Reader`] or
//! [`Writer`] starts counting. Parameter records (spec §2.6) measure their name offsets from
//! their own first byte, so they are read and written through a nested reader or writer
//! that starts there.

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::DecodeError;

/// Reads fields from a complete AFP block. Byte slices come out as zero-copy [`Bytes`].
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    buf: &'a Bytes,
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `buf`, which is the start of the block.
    pub(crate) fn new(buf: &'a Bytes) -> Self {
        Reader { buf, pos: 0 }
    }

    /// A reader over `buf` that is already `pos` bytes in (for example just after the
    /// command code).
    pub(crate) fn at(buf: &'a Bytes, pos: usize) -> Self {
        Reader {
            buf,
            pos: pos.min(buf.len()),
        }
    }

    /// Bytes left.
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn need(&self, n: usize, what: &'static str) -> Result<(), DecodeError> {
        if self.remaining() < n {
            Err(DecodeError::Truncated(what))
        } else {
            Ok(())
        }
    }

    /// A fixed-size array.
    pub(crate) fn array<const N: usize>(
        &mut self,
        what: &'static str,
    ) -> Result<[u8; N], DecodeError> {
        self.need(N, what)?;
        let mut out = [0u8; N];
        out.copy_from_slice(&self.buf[self.pos..self.pos + N]);
        self.pos += N;
        Ok(out)
    }

    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        Ok(self.array::<1>(what)?[0])
    }

    pub(crate) fn u16(&mut self, what: &'static str) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    pub(crate) fn u32(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    pub(crate) fn u64(&mut self, what: &'static str) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array(what)?))
    }

    pub(crate) fn i32(&mut self, what: &'static str) -> Result<i32, DecodeError> {
        Ok(i32::from_be_bytes(self.array(what)?))
    }

    pub(crate) fn i64(&mut self, what: &'static str) -> Result<i64, DecodeError> {
        Ok(i64::from_be_bytes(self.array(what)?))
    }

    /// `n` bytes, without copying.
    pub(crate) fn bytes(&mut self, n: usize, what: &'static str) -> Result<Bytes, DecodeError> {
        self.need(n, what)?;
        let out = self.buf.slice(self.pos..self.pos + n);
        self.pos += n;
        Ok(out)
    }

    /// Skips `n` bytes.
    pub(crate) fn skip(&mut self, n: usize, what: &'static str) -> Result<(), DecodeError> {
        self.need(n, what)?;
        self.pos += n;
        Ok(())
    }

    /// A Pascal string: `u8 len`, then `len` bytes.
    pub(crate) fn pstr(&mut self, what: &'static str) -> Result<Bytes, DecodeError> {
        let len = self.u8(what)? as usize;
        self.bytes(len, what)
    }

    /// A `u16 len` then `len` bytes (UTF-8 names without a hint, FPLoginExt user names).
    pub(crate) fn u16_str(&mut self, what: &'static str) -> Result<Bytes, DecodeError> {
        let len = self.u16(what)? as usize;
        self.bytes(len, what)
    }

    /// Skips one pad byte if the current offset is odd and a byte is left (its value is
    /// not checked, as in every implementation).
    pub(crate) fn pad_to_even(&mut self) {
        if self.pos % 2 == 1 && self.remaining() > 0 {
            self.pos += 1;
        }
    }

    /// Everything that is left, without copying.
    pub(crate) fn rest(&mut self) -> Bytes {
        let out = self.buf.slice(self.pos..);
        self.pos = self.buf.len();
        out
    }
}

/// Appends fields to a block that starts at the writer's creation point in `dst`.
#[derive(Debug)]
pub(crate) struct Writer<'a> {
    dst: &'a mut BytesMut,
    start: usize,
}

impl<'a> Writer<'a> {
    /// A writer whose block starts at the current end of `dst`.
    pub(crate) fn new(dst: &'a mut BytesMut) -> Self {
        let start = dst.len();
        Writer { dst, start }
    }

    /// A writer for a nested block (a parameter record) that starts here.
    pub(crate) fn nested(&mut self) -> Writer<'_> {
        Writer::new(self.dst)
    }

    /// Offset from the start of the block.
    pub(crate) fn pos(&self) -> usize {
        self.dst.len() - self.start
    }

    pub(crate) fn u8(&mut self, v: u8) {
        self.dst.put_u8(v);
    }

    pub(crate) fn u16(&mut self, v: u16) {
        self.dst.put_u16(v);
    }

    pub(crate) fn u32(&mut self, v: u32) {
        self.dst.put_u32(v);
    }

    pub(crate) fn u64(&mut self, v: u64) {
        self.dst.put_u64(v);
    }

    pub(crate) fn i32(&mut self, v: i32) {
        self.dst.put_i32(v);
    }

    pub(crate) fn i64(&mut self, v: i64) {
        self.dst.put_i64(v);
    }

    pub(crate) fn bytes(&mut self, v: &[u8]) {
        self.dst.put_slice(v);
    }

    /// A Pascal string. At most 255 bytes are written: a longer value is cut, so the
    /// length byte always matches what follows (callers document the limit).
    pub(crate) fn pstr(&mut self, v: &[u8]) {
        let v = &v[..v.len().min(255)];
        self.dst.put_u8(v.len() as u8);
        self.dst.put_slice(v);
    }

    /// `u16 len` then the bytes; at most 65535 bytes are written.
    pub(crate) fn u16_str(&mut self, v: &[u8]) {
        let v = &v[..v.len().min(0xFFFF)];
        self.dst.put_u16(v.len() as u16);
        self.dst.put_slice(v);
    }

    /// Writes a 0x00 pad byte if the current offset is odd.
    pub(crate) fn pad_to_even(&mut self) {
        if self.pos() % 2 == 1 {
            self.dst.put_u8(0);
        }
    }

    /// Writes a placeholder u16 and returns its position for [`Writer::patch_u16`].
    pub(crate) fn reserve_u16(&mut self) -> usize {
        let at = self.pos();
        self.dst.put_u16(0);
        at
    }

    /// Overwrites the u16 at block offset `at`.
    pub(crate) fn patch_u16(&mut self, at: usize, v: u16) {
        let i = self.start + at;
        self.dst[i..i + 2].copy_from_slice(&v.to_be_bytes());
    }

    /// Overwrites the u32 at block offset `at`.
    pub(crate) fn patch_u32(&mut self, at: usize, v: u32) {
        let i = self.start + at;
        self.dst[i..i + 4].copy_from_slice(&v.to_be_bytes());
    }
}

/// Clamps a length to a u16 field (offsets and counts never exceed what fits).
pub(crate) fn clamp_u16(v: usize) -> u16 {
    u16::try_from(v).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_reports_truncation_with_context() {
        let b = Bytes::from_static(&[0x00, 0x01, 0x02]);
        let mut r = Reader::new(&b);
        assert_eq!(r.u16("a").unwrap(), 1);
        assert_eq!(r.u16("b"), Err(DecodeError::Truncated("b")));
        assert_eq!(r.u8("c").unwrap(), 2);
        assert_eq!(r.remaining(), 0);
    }

    #[test]
    fn pad_is_relative_to_block_start() {
        let mut dst = BytesMut::from(&b"xyz"[..]);
        let mut w = Writer::new(&mut dst);
        w.u8(1);
        w.pad_to_even();
        assert_eq!(w.pos(), 2);
        let at = w.reserve_u16();
        w.patch_u16(at, 0xBEEF);
        assert_eq!(&dst[3..], &[1, 0, 0xBE, 0xEF]);
    }

    #[test]
    fn long_strings_are_cut_not_corrupted() {
        let mut dst = BytesMut::new();
        let mut w = Writer::new(&mut dst);
        w.pstr(&[b'a'; 300]);
        assert_eq!(dst.len(), 256);
        assert_eq!(dst[0], 255);
    }
}
