//! DSIOpenSession options, both directions (spec `afp-dsi.md` §1.4).
//!
//! The request and reply payloads are a sequence of type-length-value options:
//!
//! ```text
//! +------+--------+-------------------------+
//! | type | length | value (length bytes, BE) |
//! |  u8  |   u8   |                          |
//! +------+--------+-------------------------+
//! type 0x00  server request quantum   server -> client   length 4
//! type 0x01  attention quantum        client -> server   length 4
//! type 0x02  replay cache size        server -> client   length 4
//! ```
//!
//! Unknown types are kept with their value, so they re-encode unchanged.
//! netatalk's parser of exactly this structure was CVE-2018-1160: every
//! length is checked against what is left before the value is read.

use bytes::{Buf, BufMut, Bytes};

use crate::error::DecodeError;

/// An OpenSession option type (an open newtype).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OptionType(pub u8);

impl OptionType {
    /// kRequestQuanta: largest request the server accepts (server to client).
    #[doc(alias = "kRequestQuanta")]
    pub const SERVER_QUANTUM: Self = Self(0x00);
    /// kAttentionQuanta: largest attention payload the client accepts.
    #[doc(alias = "kAttentionQuanta")]
    pub const ATTENTION_QUANTUM: Self = Self(0x01);
    /// kServerReplayCacheSize: entries in the server's replay cache (AFP 3.3).
    #[doc(alias = "kServerReplayCacheSize")]
    pub const REPLAY_CACHE_SIZE: Self = Self(0x02);

    /// Whether this crate decodes the type into a named [`SessionOption`].
    pub const fn is_known(self) -> bool {
        self.0 <= 2
    }
}

/// An option whose type this crate does not know, kept byte for byte.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UnknownOption {
    kind: OptionType,
    value: Bytes,
}

impl UnknownOption {
    /// `None` if `kind` is a known type or `value` is longer than 255 bytes.
    pub fn new(kind: OptionType, value: Bytes) -> Option<Self> {
        (!kind.is_known() && value.len() <= usize::from(u8::MAX)).then_some(Self { kind, value })
    }

    /// The option type.
    pub fn kind(&self) -> OptionType {
        self.kind
    }

    /// The raw value (at most 255 bytes).
    pub fn value(&self) -> &Bytes {
        &self.value
    }
}

/// One DSIOpenSession option.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SessionOption {
    /// Type 0: server request quantum.
    ServerQuantum(u32),
    /// Type 1: attention quantum.
    AttentionQuantum(u32),
    /// Type 2: replay cache size.
    ReplayCacheSize(u32),
    /// Any other type.
    Unknown(UnknownOption),
}

impl SessionOption {
    /// The option's type.
    pub fn kind(&self) -> OptionType {
        match self {
            Self::ServerQuantum(_) => OptionType::SERVER_QUANTUM,
            Self::AttentionQuantum(_) => OptionType::ATTENTION_QUANTUM,
            Self::ReplayCacheSize(_) => OptionType::REPLAY_CACHE_SIZE,
            Self::Unknown(u) => u.kind,
        }
    }

    /// Bytes on the wire, type and length included.
    pub fn encoded_len(&self) -> usize {
        match self {
            Self::Unknown(u) => 2 + u.value.len(),
            _ => 6,
        }
    }

    /// Appends type, length and value.
    pub fn encode(&self, dst: &mut impl BufMut) {
        dst.put_u8(self.kind().0);
        match self {
            Self::ServerQuantum(v) | Self::AttentionQuantum(v) | Self::ReplayCacheSize(v) => {
                dst.put_u8(4);
                dst.put_u32(*v);
            }
            Self::Unknown(u) => {
                // `UnknownOption::new` keeps the value within 255 bytes.
                dst.put_u8(u8::try_from(u.value.len()).unwrap_or(u8::MAX));
                dst.put_slice(&u.value);
            }
        }
    }
}

/// The whole option list of a DSIOpenSession request or reply.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SessionOptions(pub Vec<SessionOption>);

impl SessionOptions {
    /// Parses a complete OpenSession payload.
    pub fn decode(payload: &Bytes) -> Result<Self, DecodeError> {
        let mut buf = payload.clone();
        let mut out = Vec::new();
        while buf.has_remaining() {
            if buf.remaining() < 2 {
                return Err(DecodeError::TrailingOptionByte);
            }
            let kind = OptionType(buf.get_u8());
            let len = buf.get_u8();
            // CVE-2018-1160: the option length must not run past the
            // payload; netatalk calls that a fatal protocol error.
            if usize::from(len) > buf.remaining() {
                return Err(DecodeError::OptionPastEnd {
                    option: kind.0,
                    len,
                });
            }
            let mut value = buf.split_to(usize::from(len));
            let option = if kind.is_known() {
                // netatalk: the attention quantum option must have length
                // exactly 4; the other two are u32 values as well.
                if len != 4 {
                    return Err(DecodeError::BadOptionLength {
                        option: kind.0,
                        len,
                    });
                }
                let v = value.get_u32();
                match kind {
                    OptionType::SERVER_QUANTUM => SessionOption::ServerQuantum(v),
                    OptionType::ATTENTION_QUANTUM => SessionOption::AttentionQuantum(v),
                    _ => SessionOption::ReplayCacheSize(v),
                }
            } else {
                // Unknown options are skipped by length (kept here).
                SessionOption::Unknown(UnknownOption { kind, value })
            };
            out.push(option);
        }
        Ok(Self(out))
    }

    /// Bytes on the wire.
    pub fn encoded_len(&self) -> usize {
        self.0.iter().map(SessionOption::encoded_len).sum()
    }

    /// Appends every option in order.
    pub fn encode(&self, dst: &mut impl BufMut) {
        for o in &self.0 {
            o.encode(dst);
        }
    }

    /// The encoded options as `Bytes`.
    pub fn to_bytes(&self) -> Bytes {
        let mut v = Vec::with_capacity(self.encoded_len());
        self.encode(&mut v);
        Bytes::from(v)
    }

    /// The first server quantum option's value.
    pub fn server_quantum(&self) -> Option<u32> {
        self.0.iter().find_map(|o| match o {
            SessionOption::ServerQuantum(v) => Some(*v),
            _ => None,
        })
    }

    /// The first attention quantum option's value.
    pub fn attention_quantum(&self) -> Option<u32> {
        self.0.iter().find_map(|o| match o {
            SessionOption::AttentionQuantum(v) => Some(*v),
            _ => None,
        })
    }

    /// The first replay cache size option's value.
    pub fn replay_cache_size(&self) -> Option<u32> {
        self.0.iter().find_map(|o| match o {
            SessionOption::ReplayCacheSize(v) => Some(*v),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(b: &'static [u8]) -> Result<SessionOptions, DecodeError> {
        SessionOptions::decode(&Bytes::from_static(b))
    }

    #[test]
    fn netatalk_default_reply() {
        // afp-dsi.md §1.4: netatalk's 12-byte reply with the default quantum.
        let bytes = [0, 4, 0, 0x10, 0, 0, 2, 4, 0, 0, 0, 0x80];
        let opts = SessionOptions(vec![
            SessionOption::ServerQuantum(0x0010_0000),
            SessionOption::ReplayCacheSize(128),
        ]);
        assert_eq!(&opts.to_bytes()[..], &bytes);
        assert_eq!(
            SessionOptions::decode(&Bytes::copy_from_slice(&bytes)),
            Ok(opts)
        );
    }

    #[test]
    fn afptest_request() {
        // afp-dsi.md §1.4: afptest sends `01 04 00 00 00 02`.
        let o = dec(&[1, 4, 0, 0, 0, 2]).unwrap();
        assert_eq!(o.attention_quantum(), Some(2));
        assert_eq!(o.server_quantum(), None);
    }

    #[test]
    fn edge_cases() {
        assert_eq!(dec(&[]), Ok(SessionOptions::default()));
        // Length byte past the end (CVE-2018-1160).
        assert_eq!(
            dec(&[1, 4, 0, 0, 0]),
            Err(DecodeError::OptionPastEnd { option: 1, len: 4 })
        );
        assert_eq!(
            dec(&[9, 255]),
            Err(DecodeError::OptionPastEnd {
                option: 9,
                len: 255
            })
        );
        // Attention quantum of length != 4.
        assert_eq!(
            dec(&[1, 2, 0, 2]),
            Err(DecodeError::BadOptionLength { option: 1, len: 2 })
        );
        assert_eq!(
            dec(&[1, 5, 0, 0, 0, 0, 2]),
            Err(DecodeError::BadOptionLength { option: 1, len: 5 })
        );
        assert_eq!(
            dec(&[1, 0]),
            Err(DecodeError::BadOptionLength { option: 1, len: 0 })
        );
        // A stray trailing byte.
        assert_eq!(
            dec(&[1, 4, 0, 0, 0, 2, 7]),
            Err(DecodeError::TrailingOptionByte)
        );
        // Unknown options are kept by length, including empty ones.
        let o = dec(&[0x42, 3, 1, 2, 3, 0x43, 0, 1, 4, 0, 0, 4, 0]).unwrap();
        assert_eq!(o.0.len(), 3);
        assert_eq!(o.attention_quantum(), Some(1024));
        assert_eq!(o.0[0].kind(), OptionType(0x42));
        assert_eq!(
            &o.to_bytes()[..],
            &[0x42, 3, 1, 2, 3, 0x43, 0, 1, 4, 0, 0, 4, 0]
        );
    }

    #[test]
    fn unknown_option_invariants() {
        assert!(UnknownOption::new(OptionType(1), Bytes::new()).is_none());
        assert!(UnknownOption::new(OptionType(3), Bytes::from(vec![0; 256])).is_none());
        assert!(UnknownOption::new(OptionType(3), Bytes::from(vec![0; 255])).is_some());
    }
}
