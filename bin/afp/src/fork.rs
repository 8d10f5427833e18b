//! Open forks: reads and writes in server-quantum pieces with several requests in flight
//! (spec `afp-dsi.md` §5.8, §8.4).
//!
//! [`Fork::read_to`] keeps up to `window` FPReadExt requests outstanding and hands the
//! data to its sink strictly in offset order, so a local file written from it is always a
//! valid prefix (what `--continue` relies on). [`Fork::write_from`] does the same with
//! FPWriteExt, and checks each LastWritten.

use std::collections::VecDeque;

use bytes::Bytes;

use afp_proto::ResultCode;
use afp_proto::command::{self, LockFlags, Reply, Request};
use afp_proto::params::{FileBitmap, FileParams};

use crate::client::{Volume, encode, unexpected};
use crate::conn::PendingReply;
use crate::error::{Error, Result};

/// Largest read or write asked for, whatever quantum the server advertises.
pub const MAX_CHUNK: u32 = 4 << 20;

/// Which fork.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForkKind {
    /// The data fork (the file's contents).
    Data,
    /// The resource fork.
    Resource,
}

/// An open fork (close it with [`Fork::close`]).
#[derive(Debug)]
pub struct Fork {
    volume: Volume,
    refnum: u16,
    kind: ForkKind,
    len_at_open: u64,
}

impl Fork {
    pub(crate) fn new(volume: Volume, refnum: u16, kind: ForkKind, len: u64) -> Fork {
        Fork {
            volume,
            refnum,
            kind,
            len_at_open: len,
        }
    }

    /// OForkRefNum.
    pub fn refnum(&self) -> u16 {
        self.refnum
    }

    /// Data or resource fork.
    pub fn kind(&self) -> ForkKind {
        self.kind
    }

    /// The fork's length when it was opened.
    pub fn len_at_open(&self) -> u64 {
        self.len_at_open
    }

    /// The size of each read and write: the server request quantum, kept between 4 KiB
    /// and 4 MiB (replies must stay under the connection's largest accepted reply).
    pub fn chunk(&self) -> u32 {
        self.volume
            .client()
            .connection()
            .quantum()
            .clamp(4096, MAX_CHUNK)
    }

    fn len_bit(&self) -> FileBitmap {
        match self.kind {
            ForkKind::Data => FileBitmap::EXT_DATA_FORK_LEN,
            ForkKind::Resource => FileBitmap::EXT_RSRC_FORK_LEN,
        }
    }

    async fn call(&self, op: &str, request: Request) -> Result<Reply> {
        self.volume
            .client()
            .call(|| format!("{op} (fork {})", self.refnum), request)
            .await
    }

    /// The current length (FPGetForkParms).
    pub async fn len(&self) -> Result<u64> {
        let request = command::GetForkParms {
            fork: self.refnum,
            bitmap: self.len_bit(),
        };
        match self.call("get fork length", request.into()).await? {
            Reply::GetForkParms(p) => Ok(match self.kind {
                ForkKind::Data => p.ext_data_fork_len.or(p.data_fork_len.map(u64::from)),
                ForkKind::Resource => p.ext_rsrc_fork_len.or(p.rsrc_fork_len.map(u64::from)),
            }
            .unwrap_or(0)),
            _ => Err(unexpected("FPGetForkParms")),
        }
    }

    /// Sets the length (FPSetForkParms): truncates or extends.
    pub async fn set_len(&self, len: u64) -> Result<()> {
        let params = match self.kind {
            ForkKind::Data => FileParams {
                ext_data_fork_len: Some(len),
                ..FileParams::default()
            },
            ForkKind::Resource => FileParams {
                ext_rsrc_fork_len: Some(len),
                ..FileParams::default()
            },
        };
        let request = command::SetForkParms::new(self.refnum, &params);
        self.call("set fork length", request.into())
            .await
            .map(|_| ())
    }

    fn read_request(&self, offset: u64, count: u64) -> Bytes {
        encode(
            &command::ReadExt {
                fork: self.refnum,
                offset: i64::try_from(offset).unwrap_or(i64::MAX),
                count: i64::try_from(count).unwrap_or(i64::MAX),
            }
            .into(),
        )
    }

    async fn submit_read(&self, offset: u64, count: u64) -> Result<PendingReply> {
        self.volume
            .client()
            .connection()
            .submit(self.read_request(offset, count))
            .await
    }

    /// One FPReadExt: up to `count` bytes at `offset` (fewer at the end of the fork).
    pub async fn read_at(&self, offset: u64, count: u64) -> Result<Bytes> {
        let raw = self.submit_read(offset, count).await?.wait().await?;
        if raw.result.is_ok() || raw.result == ResultCode::EOF_ERR {
            Ok(raw.payload)
        } else {
            Err(Error::afp(format!("read at {offset}"), raw.result))
        }
    }

    /// Reads `[start, end)` in quantum-sized FPReadExt requests, up to `window` in flight,
    /// and gives each piece to `sink(offset, data)` in offset order. Stops early at the
    /// end of the fork (the file shrank); returns the offset reached.
    pub async fn read_to(
        &self,
        start: u64,
        end: u64,
        window: usize,
        mut sink: impl FnMut(u64, &Bytes) -> Result<()>,
    ) -> Result<u64> {
        let chunk = u64::from(self.chunk());
        let window = window.max(1);
        let mut queue: VecDeque<(u64, u64, PendingReply)> = VecDeque::new();
        let mut next = start;
        let mut done = start;
        loop {
            while queue.len() < window && next < end {
                let n = chunk.min(end - next);
                let p = self.submit_read(next, n).await?;
                queue.push_back((next, n, p));
                next += n;
            }
            let Some((offset, asked, pending)) = queue.pop_front() else {
                break;
            };
            let raw = pending.wait().await?;
            if !raw.result.is_ok() && raw.result != ResultCode::EOF_ERR {
                drain(queue).await;
                return Err(Error::afp(format!("read at offset {offset}"), raw.result));
            }
            let got = raw.payload.len() as u64;
            if got > asked {
                drain(queue).await;
                return Err(Error::Protocol(format!(
                    "FPReadExt returned {got} bytes for {asked} asked"
                )));
            }
            if got > 0 {
                sink(offset, &raw.payload)?;
            }
            done = offset + got;
            if got < asked {
                // End of fork: the rest of the queue reads past it.
                drain(queue).await;
                break;
            }
        }
        Ok(done)
    }

    fn write_header(&self, offset: u64, len: usize) -> Bytes {
        encode(
            &command::WriteExt {
                start_end: false,
                fork: self.refnum,
                offset: i64::try_from(offset).unwrap_or(i64::MAX),
                count: i64::try_from(len).unwrap_or(i64::MAX),
            }
            .into(),
        )
    }

    /// One FPWriteExt of `data` (at most the quantum) at `offset`; returns LastWritten.
    pub async fn write_at(&self, offset: u64, data: Bytes) -> Result<u64> {
        let header = self.write_header(offset, data.len());
        let raw = self
            .volume
            .client()
            .connection()
            .submit_write(header, data)
            .await?
            .wait()
            .await?;
        self.check_write(offset, raw)
    }

    fn check_write(&self, offset: u64, raw: crate::conn::RawReply) -> Result<u64> {
        if !raw.result.is_ok() {
            return Err(Error::afp(format!("write at offset {offset}"), raw.result));
        }
        match Reply::decode(
            command::CommandCode::WRITE_EXT,
            &raw.payload,
            command::ReplyContext::new(self.volume.client().version()),
        ) {
            Ok(Reply::WriteExt { last_written }) => Ok(last_written),
            _ => Err(unexpected("FPWriteExt")),
        }
    }

    /// Writes from `start` on, taking each piece from `source(offset, max)` (an empty
    /// piece ends the data), up to `window` FPWriteExt in flight. Each LastWritten must
    /// be the end of its piece. Returns the offset after the last byte written.
    pub async fn write_from(
        &self,
        start: u64,
        window: usize,
        mut source: impl FnMut(u64, usize) -> Result<Bytes>,
    ) -> Result<u64> {
        let chunk = usize::try_from(self.chunk()).unwrap_or(usize::MAX);
        let window = window.max(1);
        let conn = self.volume.client().connection().clone();
        let mut queue: VecDeque<(u64, u64, PendingReply)> = VecDeque::new();
        let mut next = start;
        let mut eof = false;
        let mut done = start;
        loop {
            while queue.len() < window && !eof {
                let data = match source(next, chunk) {
                    Ok(d) => d,
                    Err(e) => {
                        drain(queue).await;
                        return Err(e);
                    }
                };
                if data.is_empty() {
                    eof = true;
                    break;
                }
                let n = data.len() as u64;
                let p = conn
                    .submit_write(self.write_header(next, data.len()), data)
                    .await?;
                queue.push_back((next, n, p));
                next += n;
            }
            let Some((offset, n, pending)) = queue.pop_front() else {
                break;
            };
            let raw = pending.wait().await?;
            let last = match self.check_write(offset, raw) {
                Ok(l) => l,
                Err(e) => {
                    drain(queue).await;
                    return Err(e);
                }
            };
            if last != offset + n {
                drain(queue).await;
                return Err(Error::Protocol(format!(
                    "FPWriteExt at {offset} of {n} bytes reported LastWritten {last}"
                )));
            }
            done = last;
        }
        Ok(done)
    }

    /// Locks `len` bytes at `offset` (FPByteRangeLockExt); returns the first byte locked.
    pub async fn lock(&self, offset: u64, len: u64) -> Result<u64> {
        self.range_lock(LockFlags::empty(), offset, len).await
    }

    /// Unlocks a range locked by this fork.
    pub async fn unlock(&self, offset: u64, len: u64) -> Result<u64> {
        self.range_lock(LockFlags::UNLOCK, offset, len).await
    }

    async fn range_lock(&self, flags: LockFlags, offset: u64, len: u64) -> Result<u64> {
        let request = command::ByteRangeLockExt {
            flags,
            fork: self.refnum,
            offset: i64::try_from(offset).unwrap_or(i64::MAX),
            length: i64::try_from(len).unwrap_or(i64::MAX),
        };
        let op = if flags.contains(LockFlags::UNLOCK) {
            "unlock"
        } else {
            "lock"
        };
        match self.call(op, request.into()).await? {
            Reply::ByteRangeLockExt { range_start } => Ok(range_start),
            _ => Err(unexpected("FPByteRangeLockExt")),
        }
    }

    /// Flushes the fork to the server's disk (FPFlushFork).
    pub async fn flush(&self) -> Result<()> {
        self.call("flush", command::FlushFork { fork: self.refnum }.into())
            .await
            .map(|_| ())
    }

    /// Closes the fork (FPCloseFork).
    pub async fn close(self) -> Result<()> {
        self.call("close", command::CloseFork { fork: self.refnum }.into())
            .await
            .map(|_| ())
    }
}

/// Waits for the replies still in flight (so the next request does not race them).
async fn drain(queue: VecDeque<(u64, u64, PendingReply)>) {
    for (_, _, p) in queue {
        let _ = p.wait().await;
    }
}
