//! The frame decoder: bytes in, [`Frame`]s out (spec `afp-dsi.md` §1.1, §1.2,
//! §1.6, §1.11).
//!
//! This is the only code in the crate that decides "need more bytes". It
//! follows the `tokio_util::codec::Decoder` contract without depending on
//! tokio: `Ok(None)` for any incomplete input, `Err` only for malformed input.
//!
//! DSIWrite requests are streamed: the decoder first returns
//! [`Frame::WriteStart`] with the AFP command block (the first `writeOffset`
//! bytes), then the data as [`Frame::WriteData`] pieces of whatever has been
//! buffered, so a server never holds a whole request quantum per session.
//! Every payload is split off the caller's `BytesMut` and frozen: no copies.
//!
//! Lengths are checked against [`DecoderConfig`] *before* any memory is
//! reserved, so a hostile `totalDataLength` of 4 GiB costs nothing.

use bytes::{Buf, BytesMut};

use crate::error::DecodeError;
use crate::frame::Frame;
use crate::header::{HEADER_LEN, Header};

/// netatalk's default server request quantum, 1 MiB (`DSI_SERVQUANT_DEF`).
pub const DEFAULT_SERVER_QUANTUM: u32 = 0x0010_0000;

/// Limits for [`FrameDecoder`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecoderConfig {
    /// Largest `totalDataLength` of a message other than a DSIWrite request.
    /// A server uses its request quantum; a client the largest reply it asks
    /// for (an FPReadExt reply may exceed the quantum).
    pub max_message_len: u32,
    /// Largest AFP command part of a DSIWrite (its `writeOffset`). FPWrite
    /// needs 12, FPWriteExt and FPAddIcon 20.
    pub max_write_command_len: u32,
    /// Largest DSIWrite data part (the server request quantum).
    pub max_write_data_len: u32,
}

impl Default for DecoderConfig {
    /// 1 MiB + 64 KiB messages, 64-byte write command blocks, 1 MiB write data.
    fn default() -> Self {
        Self {
            max_message_len: DEFAULT_SERVER_QUANTUM + 0x1_0000,
            max_write_command_len: 64,
            max_write_data_len: DEFAULT_SERVER_QUANTUM,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Waiting for a 16-byte header.
    Head,
    /// Header consumed; waiting for `total_len` bytes of a whole message.
    Body(Header),
    /// DSIWrite header consumed; waiting for the `write_offset` command bytes.
    WriteCommand(Header),
    /// Streaming DSIWrite data; this many bytes still to come.
    WriteData(u32),
}

/// Splits a DSI byte stream into [`Frame`]s.
///
/// ```
/// use bytes::BytesMut;
/// use dsi::{DecoderConfig, Frame, FrameDecoder};
///
/// let mut decoder = FrameDecoder::new(DecoderConfig::default());
/// let mut buf = BytesMut::from(&[0u8, 5, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0][..]);
/// assert_eq!(decoder.decode(&mut buf), Ok(None)); // 14 of 16 header bytes
/// buf.extend_from_slice(&[0, 0]);
/// let Some(Frame::Message { header, payload }) = decoder.decode(&mut buf).unwrap() else {
///     panic!("a tickle")
/// };
/// assert_eq!((header.command, header.request_id, payload.len()), (dsi::Command::TICKLE, 7, 0));
/// ```
#[derive(Clone, Debug)]
pub struct FrameDecoder {
    config: DecoderConfig,
    state: State,
}

impl FrameDecoder {
    /// A decoder with the given limits.
    pub fn new(config: DecoderConfig) -> Self {
        Self {
            config,
            state: State::Head,
        }
    }

    /// The limits in force.
    pub fn config(&self) -> &DecoderConfig {
        &self.config
    }

    /// Whether a frame has been started but not finished (a header was
    /// consumed, or DSIWrite data is still due). At end of stream, this or a
    /// non-empty buffer means the peer stopped mid-message.
    pub fn is_mid_frame(&self) -> bool {
        self.state != State::Head
    }

    /// Decodes the next frame from `src`.
    ///
    /// `Ok(None)`: need more bytes (whatever `src` holds is kept or consumed
    /// as progress; call again after appending). `Err`: the stream is corrupt,
    /// close the connection; the same error repeats if called again.
    pub fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, DecodeError> {
        loop {
            match self.state {
                State::Head => {
                    let Some(header) = Header::decode(src)? else {
                        return Ok(None);
                    };
                    self.check(&header)?;
                    src.advance(HEADER_LEN);
                    if header.is_write_request() {
                        let need = header.write_offset() as usize;
                        src.reserve(need.saturating_sub(src.len()));
                        self.state = State::WriteCommand(header);
                    } else {
                        let need = header.total_len as usize;
                        src.reserve(need.saturating_sub(src.len()));
                        self.state = State::Body(header);
                    }
                }
                State::Body(header) => {
                    let len = header.total_len as usize;
                    if src.len() < len {
                        return Ok(None);
                    }
                    self.state = State::Head;
                    let payload = src.split_to(len).freeze();
                    return Ok(Some(Frame::Message { header, payload }));
                }
                State::WriteCommand(header) => {
                    let len = header.write_offset() as usize;
                    if src.len() < len {
                        return Ok(None);
                    }
                    let remaining = header.write_data_len();
                    self.state = if remaining == 0 {
                        State::Head
                    } else {
                        State::WriteData(remaining)
                    };
                    let command = src.split_to(len).freeze();
                    return Ok(Some(Frame::WriteStart { header, command }));
                }
                State::WriteData(remaining) => {
                    if src.is_empty() {
                        return Ok(None);
                    }
                    let take = src.len().min(remaining as usize);
                    // `take <= remaining`, a u32, so this cannot truncate.
                    let left = remaining - take as u32;
                    self.state = if left == 0 {
                        State::Head
                    } else {
                        State::WriteData(left)
                    };
                    let data = src.split_to(take).freeze();
                    return Ok(Some(Frame::WriteData {
                        data,
                        remaining: left,
                    }));
                }
            }
        }
    }

    /// Length checks on a header, before anything is consumed or reserved.
    fn check(&self, header: &Header) -> Result<(), DecodeError> {
        let c = &self.config;
        if header.is_write_request() {
            let (offset, len) = (header.write_offset(), header.total_len);
            // [A-2.2]: the enclosed data offset counts the AFP command bytes
            // that precede the write data inside totalDataLength.
            if offset > len {
                return Err(DecodeError::WriteOffsetPastEnd { offset, len });
            }
            if offset > c.max_write_command_len {
                return Err(DecodeError::WriteCommandTooLong {
                    len: offset,
                    max: c.max_write_command_len,
                });
            }
            let data = len - offset;
            // [A-2.2]: the data should not exceed the server request quantum.
            if data > c.max_write_data_len {
                return Err(DecodeError::WriteDataTooLong {
                    len: data,
                    max: c.max_write_data_len,
                });
            }
        } else if header.total_len > c.max_message_len {
            return Err(DecodeError::MessageTooLong {
                len: header.total_len,
                max: c.max_message_len,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::header::Command;

    fn all(dec: &mut FrameDecoder, src: &mut BytesMut) -> Vec<Frame> {
        let mut out = Vec::new();
        while let Some(f) = dec.decode(src).unwrap() {
            out.push(f);
        }
        out
    }

    #[test]
    fn message_then_write_streamed() {
        let mut wire = BytesMut::new();
        Frame::request(Command::TICKLE, 1, Bytes::new()).encode(&mut wire);
        Header::write(2, 3, 8).encode(&mut wire);
        wire.extend_from_slice(b"CMDdata1");
        let mut dec = FrameDecoder::new(DecoderConfig::default());
        let mut src = BytesMut::new();
        let mut frames = Vec::new();
        for b in wire.iter() {
            src.extend_from_slice(&[*b]);
            frames.extend(all(&mut dec, &mut src));
        }
        assert!(!dec.is_mid_frame());
        assert_eq!(frames.len(), 2 + 5);
        let Frame::WriteStart { header, command } = &frames[1] else {
            panic!("{frames:?}")
        };
        assert_eq!((header.request_id, &command[..]), (2, &b"CMD"[..]));
        let data: Vec<u8> = frames[2..]
            .iter()
            .flat_map(|f| match f {
                Frame::WriteData { data, .. } => data.to_vec(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(data, b"data1");
        assert_eq!(
            frames.last(),
            Some(&Frame::WriteData {
                data: Bytes::from_static(b"1"),
                remaining: 0
            })
        );
    }

    #[test]
    fn write_without_data_is_one_frame() {
        let mut src = BytesMut::new();
        Header::write(2, 3, 3).encode(&mut src);
        src.extend_from_slice(b"CMD");
        let mut dec = FrameDecoder::new(DecoderConfig::default());
        let frames = all(&mut dec, &mut src);
        assert_eq!(frames.len(), 1);
        assert!(!dec.is_mid_frame());
    }

    #[test]
    fn data_piece_stops_at_frame_end() {
        let mut src = BytesMut::new();
        Header::write(2, 1, 3).encode(&mut src);
        src.extend_from_slice(b"Cdd");
        Frame::request(Command::TICKLE, 3, Bytes::new()).encode(&mut src);
        let mut dec = FrameDecoder::new(DecoderConfig::default());
        let frames = all(&mut dec, &mut src);
        assert_eq!(frames.len(), 3);
        assert_eq!(
            frames[1],
            Frame::WriteData {
                data: Bytes::from_static(b"dd"),
                remaining: 0
            }
        );
        assert!(src.is_empty());
    }

    #[test]
    fn limits_checked_before_reserving() {
        let mut dec = FrameDecoder::new(DecoderConfig::default());
        let mut src = BytesMut::new();
        Header::request(Command::COMMAND, 1, u32::MAX).encode(&mut src);
        let err = dec.decode(&mut src).unwrap_err();
        assert!(matches!(err, DecodeError::MessageTooLong { .. }));
        assert!(src.capacity() < 1024, "nothing reserved");
        // The error repeats: nothing was consumed.
        assert_eq!(dec.decode(&mut src), Err(err));
    }

    #[test]
    fn write_offset_checks() {
        let cases = [
            (
                Header::write(1, 9, 8),
                DecodeError::WriteOffsetPastEnd { offset: 9, len: 8 },
            ),
            (
                Header::write(1, 65, 100),
                DecodeError::WriteCommandTooLong { len: 65, max: 64 },
            ),
            (
                Header::write(1, 20, 20 + DEFAULT_SERVER_QUANTUM + 1),
                DecodeError::WriteDataTooLong {
                    len: DEFAULT_SERVER_QUANTUM + 1,
                    max: DEFAULT_SERVER_QUANTUM,
                },
            ),
            (
                Header::write(1, u32::MAX, 0),
                DecodeError::WriteOffsetPastEnd {
                    offset: u32::MAX,
                    len: 0,
                },
            ),
        ];
        for (h, want) in cases {
            let mut src = BytesMut::new();
            h.encode(&mut src);
            let mut dec = FrameDecoder::new(DecoderConfig::default());
            assert_eq!(dec.decode(&mut src), Err(want));
        }
    }

    #[test]
    fn write_reply_is_a_plain_message() {
        let mut src = BytesMut::new();
        Frame::reply(Command::WRITE, 1, 0, Bytes::from_static(&[0; 8])).encode(&mut src);
        let mut dec = FrameDecoder::new(DecoderConfig::default());
        assert!(matches!(
            dec.decode(&mut src),
            Ok(Some(Frame::Message { .. }))
        ));
    }
}
