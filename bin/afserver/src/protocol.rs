//! The afserver wire protocol (PROTOCOL.md): length-prefixed frames, versioned by the
//! first exchange.
//!
//! ```text
//! frame   : len (u32 BE, bytes after this field, 1 ..= MAX_FRAME) · type (u8) · body
//! string  : len (u16 BE) · UTF-8 bytes
//! integers: big-endian
//! ```

use std::io::{self, Read, Write};

/// Protocol version spoken by this build.
pub const VERSION: u16 = 1;
/// The magic of the hello frame.
pub const MAGIC: [u8; 4] = *b"AFRS";
/// Largest frame (type + body).
pub const MAX_FRAME: u32 = 16 << 20;

/// Error codes of [`Frame::Error`].
pub mod code {
    /// Malformed or unexpected request.
    pub const PROTOCOL: u16 = 1;
    /// Unsupported protocol version.
    pub const VERSION: u16 = 2;
    /// A tape operation failed (message names cartridge, file, block).
    pub const TAPE: u16 = 3;
    /// No such backup.
    pub const NOT_FOUND: u16 = 4;
    /// The request was refused (label exists, pattern mismatch, …).
    pub const REFUSED: u16 = 5;
    /// Server-side I/O or state-file error.
    pub const SERVER: u16 = 6;
}

/// One catalog entry as listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogEntry {
    /// Backup id.
    pub id: u64,
    /// Datestamp (14 digits).
    pub datestamp: String,
    /// Client host.
    pub host: String,
    /// Backed-up directory.
    pub disk: String,
    /// Dump level.
    pub level: u8,
    /// `N` or `.zst`.
    pub compression: String,
    /// Stream length in bytes.
    pub bytes: u64,
    /// Stream id.
    pub stream: u64,
    /// (cartridge, file) of every part.
    pub parts: Vec<(u32, u32)>,
}

/// Every frame of the protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// 0x01 C→S: magic, version, client name.
    Hello { version: u16, name: String },
    /// 0x10 C→S: start a backup.
    BackupBegin {
        host: String,
        disk: String,
        level: u8,
        compression: String,
    },
    /// 0x11 both ways: stream bytes.
    Data(Vec<u8>),
    /// 0x12 C→S: end of the backup stream.
    BackupEnd,
    /// 0x20 C→S: list the catalog and the cartridges.
    List,
    /// 0x30 C→S: restore backup `id`.
    Restore { id: u64 },
    /// 0x40 C→S: label cartridge `cart` (`force` overwrites an existing label).
    Label {
        cart: u32,
        label: String,
        force: bool,
    },
    /// 0x50 C→S: a server message (`readonly <n>`, `writable <n>`, `status`).
    Message(String),
    /// 0x7F C→S: end of session.
    Quit,
    /// 0x81 S→C: accepted version, server name.
    HelloOk { version: u16, name: String },
    /// 0x82 S→C: success with a human-readable text.
    Ok(String),
    /// 0x83 S→C: failure.
    Error { code: u16, message: String },
    /// 0x84 S→C: the backup was accepted and starts here.
    BackupStarted { id: u64, cart: u32, file: u32 },
    /// 0x85 S→C: the backup is on tape.
    BackupDone {
        id: u64,
        bytes: u64,
        parts: Vec<(u32, u32)>,
    },
    /// 0x86 S→C: the catalog, then a text summary of the cartridges.
    Catalog {
        entries: Vec<CatalogEntry>,
        cartridges: String,
    },
    /// 0x87 S→C: a restore starts; Data frames follow.
    RestoreBegin { entry: CatalogEntry },
    /// 0x89 S→C: stream bytes that could not be read (zeros were sent instead).
    Damage {
        cart: u32,
        file: u32,
        block: u64,
        offset: u64,
        len: u64,
    },
    /// 0x8A S→C: end of the restore stream.
    RestoreEnd,
}

/// A frame did not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// Length 0 or above [`MAX_FRAME`].
    BadLength(u32),
    /// Unknown frame type.
    UnknownType(u8),
    /// Body too short or malformed.
    Malformed(&'static str),
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FrameError::BadLength(n) => write!(f, "bad frame length {n}"),
            FrameError::UnknownType(t) => write!(f, "unknown frame type {t:#04x}"),
            FrameError::Malformed(w) => write!(f, "malformed {w}"),
        }
    }
}

impl std::error::Error for FrameError {}

struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], FrameError> {
        if self.0.len() < n {
            return Err(FrameError::Malformed(what));
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn u8(&mut self, w: &'static str) -> Result<u8, FrameError> {
        Ok(self.take(1, w)?[0])
    }
    fn u16(&mut self, w: &'static str) -> Result<u16, FrameError> {
        Ok(u16::from_be_bytes(
            self.take(2, w)?
                .try_into()
                .map_err(|_| FrameError::Malformed(w))?,
        ))
    }
    fn u32(&mut self, w: &'static str) -> Result<u32, FrameError> {
        Ok(u32::from_be_bytes(
            self.take(4, w)?
                .try_into()
                .map_err(|_| FrameError::Malformed(w))?,
        ))
    }
    fn u64(&mut self, w: &'static str) -> Result<u64, FrameError> {
        Ok(u64::from_be_bytes(
            self.take(8, w)?
                .try_into()
                .map_err(|_| FrameError::Malformed(w))?,
        ))
    }
    fn str(&mut self, w: &'static str) -> Result<String, FrameError> {
        let n = self.u16(w)? as usize;
        String::from_utf8(self.take(n, w)?.to_vec()).map_err(|_| FrameError::Malformed(w))
    }
    fn parts(&mut self, w: &'static str) -> Result<Vec<(u32, u32)>, FrameError> {
        let n = self.u32(w)? as usize;
        if n > self.0.len() / 8 {
            return Err(FrameError::Malformed(w));
        }
        (0..n).map(|_| Ok((self.u32(w)?, self.u32(w)?))).collect()
    }
    fn entry(&mut self) -> Result<CatalogEntry, FrameError> {
        let w = "catalog entry";
        Ok(CatalogEntry {
            id: self.u64(w)?,
            datestamp: self.str(w)?,
            host: self.str(w)?,
            disk: self.str(w)?,
            level: self.u8(w)?,
            compression: self.str(w)?,
            bytes: self.u64(w)?,
            stream: self.u64(w)?,
            parts: self.parts(w)?,
        })
    }
    fn end(&self, w: &'static str) -> Result<(), FrameError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(FrameError::Malformed(w))
        }
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    // Strings longer than 65535 bytes are cut at a character boundary.
    let mut n = s.len().min(u16::MAX as usize);
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    out.extend_from_slice(&(n as u16).to_be_bytes());
    out.extend_from_slice(&s.as_bytes()[..n]);
}

fn put_parts(out: &mut Vec<u8>, parts: &[(u32, u32)]) {
    out.extend_from_slice(&(parts.len() as u32).to_be_bytes());
    for (c, f) in parts {
        out.extend_from_slice(&c.to_be_bytes());
        out.extend_from_slice(&f.to_be_bytes());
    }
}

fn put_entry(out: &mut Vec<u8>, e: &CatalogEntry) {
    out.extend_from_slice(&e.id.to_be_bytes());
    put_str(out, &e.datestamp);
    put_str(out, &e.host);
    put_str(out, &e.disk);
    out.push(e.level);
    put_str(out, &e.compression);
    out.extend_from_slice(&e.bytes.to_be_bytes());
    out.extend_from_slice(&e.stream.to_be_bytes());
    put_parts(out, &e.parts);
}

impl Frame {
    /// Append the frame, length prefix included.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(&[0; 4]);
        match self {
            Frame::Hello { version, name } => {
                out.push(0x01);
                out.extend_from_slice(&MAGIC);
                out.extend_from_slice(&version.to_be_bytes());
                put_str(out, name);
            }
            Frame::BackupBegin {
                host,
                disk,
                level,
                compression,
            } => {
                out.push(0x10);
                put_str(out, host);
                put_str(out, disk);
                out.push(*level);
                put_str(out, compression);
            }
            Frame::Data(d) => {
                out.push(0x11);
                out.extend_from_slice(d);
            }
            Frame::BackupEnd => out.push(0x12),
            Frame::List => out.push(0x20),
            Frame::Restore { id } => {
                out.push(0x30);
                out.extend_from_slice(&id.to_be_bytes());
            }
            Frame::Label { cart, label, force } => {
                out.push(0x40);
                out.extend_from_slice(&cart.to_be_bytes());
                put_str(out, label);
                out.push(u8::from(*force));
            }
            Frame::Message(m) => {
                out.push(0x50);
                put_str(out, m);
            }
            Frame::Quit => out.push(0x7F),
            Frame::HelloOk { version, name } => {
                out.push(0x81);
                out.extend_from_slice(&version.to_be_bytes());
                put_str(out, name);
            }
            Frame::Ok(t) => {
                out.push(0x82);
                put_str(out, t);
            }
            Frame::Error { code, message } => {
                out.push(0x83);
                out.extend_from_slice(&code.to_be_bytes());
                put_str(out, message);
            }
            Frame::BackupStarted { id, cart, file } => {
                out.push(0x84);
                out.extend_from_slice(&id.to_be_bytes());
                out.extend_from_slice(&cart.to_be_bytes());
                out.extend_from_slice(&file.to_be_bytes());
            }
            Frame::BackupDone { id, bytes, parts } => {
                out.push(0x85);
                out.extend_from_slice(&id.to_be_bytes());
                out.extend_from_slice(&bytes.to_be_bytes());
                put_parts(out, parts);
            }
            Frame::Catalog {
                entries,
                cartridges,
            } => {
                out.push(0x86);
                out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
                for e in entries {
                    put_entry(out, e);
                }
                put_str(out, cartridges);
            }
            Frame::RestoreBegin { entry } => {
                out.push(0x87);
                put_entry(out, entry);
            }
            Frame::Damage {
                cart,
                file,
                block,
                offset,
                len,
            } => {
                out.push(0x89);
                out.extend_from_slice(&cart.to_be_bytes());
                out.extend_from_slice(&file.to_be_bytes());
                out.extend_from_slice(&block.to_be_bytes());
                out.extend_from_slice(&offset.to_be_bytes());
                out.extend_from_slice(&len.to_be_bytes());
            }
            Frame::RestoreEnd => out.push(0x8A),
        }
        let len = (out.len() - start - 4) as u32;
        out[start..start + 4].copy_from_slice(&len.to_be_bytes());
    }

    /// Decode one frame from the start of `buf`: `Ok(None)` when more bytes are needed,
    /// else the frame and the bytes it used.
    pub fn decode(buf: &[u8]) -> Result<Option<(Frame, usize)>, FrameError> {
        let Some(head) = buf.get(..4) else {
            return Ok(None);
        };
        let len = u32::from_be_bytes(
            head.try_into()
                .map_err(|_| FrameError::Malformed("length"))?,
        );
        if len == 0 || len > MAX_FRAME {
            return Err(FrameError::BadLength(len));
        }
        let total = 4 + len as usize;
        let Some(body) = buf.get(4..total) else {
            return Ok(None);
        };
        Ok(Some((Frame::decode_body(body)?, total)))
    }

    /// Decode a frame's type and body (without the length prefix).
    pub fn decode_body(body: &[u8]) -> Result<Frame, FrameError> {
        let (&ty, rest) = body.split_first().ok_or(FrameError::Malformed("type"))?;
        let mut c = Cursor(rest);
        let f = match ty {
            0x01 => {
                if c.take(4, "magic")? != MAGIC {
                    return Err(FrameError::Malformed("magic"));
                }
                Frame::Hello {
                    version: c.u16("version")?,
                    name: c.str("name")?,
                }
            }
            0x10 => Frame::BackupBegin {
                host: c.str("host")?,
                disk: c.str("disk")?,
                level: c.u8("level")?,
                compression: c.str("compression")?,
            },
            0x11 => return Ok(Frame::Data(rest.to_vec())),
            0x12 => Frame::BackupEnd,
            0x20 => Frame::List,
            0x30 => Frame::Restore { id: c.u64("id")? },
            0x40 => Frame::Label {
                cart: c.u32("cart")?,
                label: c.str("label")?,
                force: c.u8("force")? != 0,
            },
            0x50 => Frame::Message(c.str("message")?),
            0x7F => Frame::Quit,
            0x81 => Frame::HelloOk {
                version: c.u16("version")?,
                name: c.str("name")?,
            },
            0x82 => Frame::Ok(c.str("text")?),
            0x83 => Frame::Error {
                code: c.u16("code")?,
                message: c.str("message")?,
            },
            0x84 => Frame::BackupStarted {
                id: c.u64("id")?,
                cart: c.u32("cart")?,
                file: c.u32("file")?,
            },
            0x85 => Frame::BackupDone {
                id: c.u64("id")?,
                bytes: c.u64("bytes")?,
                parts: c.parts("parts")?,
            },
            0x86 => {
                let n = c.u32("entries")? as usize;
                let mut entries = Vec::with_capacity(n.min(1024));
                for _ in 0..n {
                    entries.push(c.entry()?);
                }
                Frame::Catalog {
                    entries,
                    cartridges: c.str("cartridges")?,
                }
            }
            0x87 => Frame::RestoreBegin { entry: c.entry()? },
            0x89 => Frame::Damage {
                cart: c.u32("damage")?,
                file: c.u32("damage")?,
                block: c.u64("damage")?,
                offset: c.u64("damage")?,
                len: c.u64("damage")?,
            },
            0x8A => Frame::RestoreEnd,
            t => return Err(FrameError::UnknownType(t)),
        };
        c.end("trailing bytes")?;
        Ok(f)
    }
}

/// Read one frame; `Ok(None)` at a clean end of stream (before any byte of a frame).
pub fn read_frame(r: &mut impl Read) -> io::Result<Option<Frame>> {
    let mut head = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match r.read(&mut head[got..]) {
            Ok(0) if got == 0 => return Ok(None),
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "connection closed inside a frame",
                ));
            }
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let len = u32::from_be_bytes(head);
    if len == 0 || len > MAX_FRAME {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            FrameError::BadLength(len),
        ));
    }
    let mut body = vec![0u8; len as usize];
    r.read_exact(&mut body)?;
    Frame::decode_body(&body)
        .map(Some)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Write one frame.
pub fn write_frame(w: &mut impl Write, f: &Frame) -> io::Result<()> {
    let mut out = Vec::new();
    f.encode(&mut out);
    w.write_all(&out)
}

/// Write a data frame without copying the payload into a frame buffer first.
pub fn write_data(w: &mut impl Write, data: &[u8]) -> io::Result<()> {
    let len = u32::try_from(data.len() + 1)
        .ok()
        .filter(|&l| l <= MAX_FRAME)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "data frame too large"))?;
    let mut head = [0u8; 5];
    head[..4].copy_from_slice(&len.to_be_bytes());
    head[4] = 0x11;
    w.write_all(&head)?;
    w.write_all(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<Frame> {
        let e = CatalogEntry {
            id: 7,
            datestamp: "20240102030405".into(),
            host: "h".into(),
            disk: "/a b".into(),
            level: 0,
            compression: "N".into(),
            bytes: 99,
            stream: 0xabc,
            parts: vec![(1, 1), (2, 1)],
        };
        vec![
            Frame::Hello {
                version: 1,
                name: "afclient".into(),
            },
            Frame::BackupBegin {
                host: "h".into(),
                disk: "/d".into(),
                level: 1,
                compression: ".zst".into(),
            },
            Frame::Data(vec![1, 2, 3]),
            Frame::BackupEnd,
            Frame::List,
            Frame::Restore { id: 5 },
            Frame::Label {
                cart: 3,
                label: "AF-003".into(),
                force: true,
            },
            Frame::Message("readonly 3".into()),
            Frame::Quit,
            Frame::HelloOk {
                version: 1,
                name: "afserver".into(),
            },
            Frame::Ok("done".into()),
            Frame::Error {
                code: code::TAPE,
                message: "cartridge 1".into(),
            },
            Frame::BackupStarted {
                id: 1,
                cart: 2,
                file: 3,
            },
            Frame::BackupDone {
                id: 1,
                bytes: 2,
                parts: vec![(1, 2)],
            },
            Frame::Catalog {
                entries: vec![e.clone()],
                cartridges: "1: x".into(),
            },
            Frame::RestoreBegin { entry: e },
            Frame::Damage {
                cart: 1,
                file: 2,
                block: 3,
                offset: 4,
                len: 5,
            },
            Frame::RestoreEnd,
        ]
    }

    #[test]
    fn every_frame_round_trips_and_every_prefix_needs_more() {
        for f in all() {
            let mut out = Vec::new();
            f.encode(&mut out);
            assert_eq!(Frame::decode(&out).unwrap(), Some((f.clone(), out.len())));
            for i in 0..out.len() {
                assert_eq!(Frame::decode(&out[..i]).unwrap(), None, "{f:?} prefix {i}");
            }
            assert_eq!(read_frame(&mut &out[..]).unwrap(), Some(f));
        }
    }

    #[test]
    fn bad_frames_are_errors() {
        assert_eq!(Frame::decode(&[0, 0, 0, 0]), Err(FrameError::BadLength(0)));
        assert_eq!(
            Frame::decode(&[0xff, 0, 0, 0]),
            Err(FrameError::BadLength(0xff00_0000))
        );
        assert_eq!(
            Frame::decode(&[0, 0, 0, 1, 0x99]),
            Err(FrameError::UnknownType(0x99))
        );
        assert!(Frame::decode(&[0, 0, 0, 2, 0x12, 0]).is_err());
        assert!(Frame::decode(&[0, 0, 0, 5, 0x01, b'X', b'X', b'X', b'X']).is_err());
        let mut data = Vec::new();
        write_data(&mut data, b"abc").unwrap();
        assert_eq!(
            Frame::decode(&data).unwrap().unwrap().0,
            Frame::Data(b"abc".to_vec())
        );
    }
}
