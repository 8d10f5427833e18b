//! DSIAttention user bytes (spec `afp-dsi.md` §1.8).
//!
//! A DSIAttention request (server to client, command 8, no reply) carries the
//! two "AFPUserBytes", truncated to the client's attention quantum:
//!
//! ```text
//!  bit  15        14         13        12          11 .. 0
//!     shutdown  crashed   message  don't-reconnect  minutes (with bit 15)
//!                                                   or bitmap (value 0x3xxx:
//!                                                   server notification,
//!                                                   bit 0 = volume changed)
//! ```

use bytes::{Buf, Bytes};

/// The AFPUserBytes of a DSIAttention, as an open newtype.
#[doc(alias = "AFPUserBytes")]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Attention(pub u16);

impl Attention {
    /// Bit 15: the server is shutting down or disconnecting the user.
    pub const SHUTDOWN: u16 = 0x8000;
    /// Bit 14: server crashed (netatalk never sends it; Apple's AFP 3 meaning
    /// is unverified, some read it as "allow reconnect").
    pub const CRASHED: u16 = 0x4000;
    /// Bit 13: the server has a message (the client sends FPGetSrvrMsg).
    pub const MESSAGE: u16 = 0x2000;
    /// Bit 12: do not reconnect.
    pub const DONT_RECONNECT: u16 = 0x1000;
    /// Bits 0..=11: minutes until shutdown, or the notification bitmap.
    pub const LOW_MASK: u16 = 0x0FFF;

    /// Shutdown in `minutes` (capped at 4095); `shutdown(0)` is `0x8000`,
    /// netatalk's immediate shutdown on SIGTERM.
    pub const fn shutdown(minutes: u16) -> Self {
        let m = if minutes > Self::LOW_MASK {
            Self::LOW_MASK
        } else {
            minutes
        };
        Self(Self::SHUTDOWN | m)
    }

    /// The server is disconnecting this user: shutdown with "don't
    /// reconnect" (`0x9000`; Wireshark labels it "Server disconnects user").
    pub const fn disconnect() -> Self {
        Self(Self::SHUTDOWN | Self::DONT_RECONNECT)
    }

    /// A server message is waiting (`0x2000`): the client asks with FPGetSrvrMsg.
    pub const fn server_message() -> Self {
        Self(Self::MESSAGE)
    }

    /// A server notification with the given 12-bit bitmap (`0x3000 | bitmap`).
    pub const fn notification(bitmap: u16) -> Self {
        Self(Self::MESSAGE | Self::DONT_RECONNECT | (bitmap & Self::LOW_MASK))
    }

    /// Server notification "volume changed" (`0x3001`).
    pub const fn volume_changed() -> Self {
        Self::notification(1)
    }

    /// Adds the message bit (netatalk's 5-minute shutdown is
    /// `shutdown(5).with_message().dont_reconnect()` = `0xB005`).
    pub const fn with_message(self) -> Self {
        Self(self.0 | Self::MESSAGE)
    }

    /// Adds the don't-reconnect bit.
    pub const fn dont_reconnect(self) -> Self {
        Self(self.0 | Self::DONT_RECONNECT)
    }

    /// Whether this is a shutdown/disconnect notice.
    pub const fn is_shutdown(self) -> bool {
        self.0 & Self::SHUTDOWN != 0
    }

    /// Whether this is a server notification (bits 13 and 12 set, bit 15 clear).
    pub const fn is_notification(self) -> bool {
        self.0 & 0xF000 == 0x3000
    }

    /// Minutes until shutdown, for a shutdown notice.
    pub const fn minutes(self) -> Option<u16> {
        if self.is_shutdown() {
            Some(self.0 & Self::LOW_MASK)
        } else {
            None
        }
    }

    /// The attention payload for a client whose attention quantum is
    /// `quantum`: the two user bytes, truncated to `min(2, quantum)`.
    pub fn payload(self, quantum: u32) -> Bytes {
        // Spec §1.8: the payload is the u16 AFPUserBytes, of length
        // min(2, attention quantum) as the client declared in OpenSession.
        let bytes = self.0.to_be_bytes();
        let n = usize::try_from(quantum).map_or(2, |q| q.min(2));
        Bytes::copy_from_slice(&bytes[..n])
    }

    /// Reads the user bytes from an attention payload. A truncated payload
    /// (quantum below 2) leaves the missing low bits 0; bytes past the
    /// first two are ignored.
    pub fn from_payload(payload: &[u8]) -> Self {
        let mut b = payload;
        match b.len() {
            0 => Self(0),
            1 => Self(u16::from(b.get_u8()) << 8),
            _ => Self(b.get_u16()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn netatalk_values() {
        assert_eq!(Attention::shutdown(0).0, 0x8000);
        assert_eq!(
            Attention::shutdown(5).with_message().dont_reconnect().0,
            0xB005
        );
        assert_eq!(Attention::server_message().with_message().0, 0x2000);
        assert_eq!(Attention::volume_changed().0, 0x3001);
        assert_eq!(Attention::disconnect().0, 0x9000);
        assert_eq!(Attention::shutdown(9999).minutes(), Some(0x0FFF));
        assert!(Attention::volume_changed().is_notification());
        assert!(!Attention::shutdown(1).is_notification());
        assert_eq!(Attention::server_message().minutes(), None);
    }

    #[test]
    fn payload_respects_quantum() {
        let a = Attention::volume_changed();
        assert_eq!(&a.payload(2)[..], &[0x30, 0x01]);
        assert_eq!(&a.payload(1024)[..], &[0x30, 0x01]);
        assert_eq!(&a.payload(1)[..], &[0x30]);
        assert!(a.payload(0).is_empty());
        assert_eq!(Attention::from_payload(&[0x30, 0x01]), a);
        assert_eq!(Attention::from_payload(&[0x30]), Attention(0x3000));
        assert_eq!(Attention::from_payload(&[]), Attention(0));
    }
}
