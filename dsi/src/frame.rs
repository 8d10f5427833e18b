//! Decoded frames and outgoing messages (spec `afp-dsi.md` §1.1, §1.6).
//!
//! A [`Frame`] is what [`FrameDecoder`](crate::FrameDecoder) hands out: a whole
//! message, or a DSIWrite request split into its AFP command part and its data
//! pieces so that write data never has to be buffered whole. A [`Transmit`] is
//! what a session hands back for the socket: a header and up to two `Bytes`
//! payload parts, ready for `writev` without copying.

use bytes::{Buf, BufMut, Bytes};

use crate::header::{Command, HEADER_LEN, Header};

/// One unit decoded from a DSI byte stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// A complete message (everything except a DSIWrite request).
    /// `payload.len() == header.total_len`.
    Message {
        /// The header.
        header: Header,
        /// The `total_len` bytes after the header.
        payload: Bytes,
    },
    /// The start of a DSIWrite request: the header and the first
    /// `header.write_offset()` bytes (the AFP FPWrite/FPWriteExt/FPAddIcon
    /// block). `header.write_data_len()` bytes of data follow as
    /// [`Frame::WriteData`] pieces; none if it is 0.
    WriteStart {
        /// The header (`code` is the write offset).
        header: Header,
        /// The AFP command part.
        command: Bytes,
    },
    /// A piece of DSIWrite data, as much as was buffered (never empty).
    WriteData {
        /// The bytes.
        data: Bytes,
        /// Data bytes of this write still to come after this piece
        /// (0 for the last piece).
        remaining: u32,
    },
}

impl Frame {
    /// A complete request message; `total_len` is taken from the payload.
    ///
    /// # Panics
    /// If the payload is 4 GiB or longer (it cannot be framed).
    pub fn request(command: Command, request_id: u16, payload: Bytes) -> Self {
        let len = u32::try_from(payload.len()).expect("DSI payload below 4 GiB");
        Self::Message {
            header: Header::request(command, request_id, len),
            payload,
        }
    }

    /// A complete reply message; `total_len` is taken from the payload.
    ///
    /// # Panics
    /// If the payload is 4 GiB or longer (it cannot be framed).
    pub fn reply(command: Command, request_id: u16, result: i32, payload: Bytes) -> Self {
        let len = u32::try_from(payload.len()).expect("DSI payload below 4 GiB");
        Self::Message {
            header: Header::reply(command, request_id, result, len),
            payload,
        }
    }

    /// The header, for the frames that carry one.
    pub fn header(&self) -> Option<&Header> {
        match self {
            Self::Message { header, .. } | Self::WriteStart { header, .. } => Some(header),
            Self::WriteData { .. } => None,
        }
    }

    /// Bytes this frame occupies on the wire.
    pub fn encoded_len(&self) -> usize {
        match self {
            Self::Message { payload, .. } => HEADER_LEN + payload.len(),
            Self::WriteStart { command, .. } => HEADER_LEN + command.len(),
            Self::WriteData { data, .. } => data.len(),
        }
    }

    /// Appends the wire bytes: the header as stored followed by the payload
    /// (for `WriteStart` the command part; for `WriteData` just the data).
    /// Concatenating the encodings of decoded frames reproduces the input.
    pub fn encode(&self, dst: &mut impl BufMut) {
        match self {
            Self::Message { header, payload } => {
                header.encode(dst);
                dst.put_slice(payload);
            }
            Self::WriteStart { header, command } => {
                header.encode(dst);
                dst.put_slice(command);
            }
            Self::WriteData { data, .. } => dst.put_slice(data),
        }
    }
}

/// One outgoing DSI message, from a session's `poll_transmit`.
///
/// The wire bytes are `header`, then `payload`, then `data`. `data` is only
/// non-empty for a client's DSIWrite; keeping it apart lets the AFP command
/// block and the (large) write data come from different buffers. Nothing here
/// has been copied: a 1 MiB FPReadExt reply is the app's own `Bytes`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// The DSI header.
    pub header: Header,
    /// The payload (AFP block, options, status, user bytes).
    pub payload: Bytes,
    /// DSIWrite data after the payload; empty otherwise.
    pub data: Bytes,
}

impl Transmit {
    /// Total bytes on the wire (header included).
    pub fn len(&self) -> usize {
        HEADER_LEN + self.payload.len() + self.data.len()
    }

    /// Never true: a transmit always holds at least its header.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The 16 header bytes, the first of the three `writev` slices.
    pub fn header_bytes(&self) -> [u8; HEADER_LEN] {
        self.header.to_bytes()
    }

    /// Copies the whole message into `dst` (for callers that do not `writev`).
    pub fn encode(&self, dst: &mut impl BufMut) {
        self.header.encode(dst);
        dst.put_slice(&self.payload);
        dst.put_slice(&self.data);
    }

    /// The message as one [`Buf`] of three chunks, without copying the
    /// payload. `tokio::io::AsyncWriteExt::write_all_buf` sends it, using
    /// vectored writes where the socket supports them.
    pub fn into_buf(self) -> impl Buf + Send + Sync + 'static {
        std::io::Cursor::new(self.header.to_bytes())
            .chain(self.payload)
            .chain(self.data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transmit_into_buf_matches_encode() {
        let t = Transmit {
            header: Header::write(3, 2, 5),
            payload: Bytes::from_static(&[61, 0]),
            data: Bytes::from_static(b"abc"),
        };
        let mut a = Vec::new();
        t.encode(&mut a);
        let mut b = t.clone().into_buf();
        let mut v = Vec::new();
        while b.has_remaining() {
            let c = b.chunk();
            v.extend_from_slice(c);
            let n = c.len();
            b.advance(n);
        }
        assert_eq!(a, v);
        assert_eq!(a.len(), t.len());
    }

    #[test]
    fn constructors_set_length() {
        let f = Frame::reply(Command::COMMAND, 4, -5000, Bytes::from_static(b"xy"));
        let h = f.header().unwrap();
        assert_eq!(h.total_len, 2);
        assert_eq!(h.result(), -5000);
        assert_eq!(f.encoded_len(), 18);
    }
}
