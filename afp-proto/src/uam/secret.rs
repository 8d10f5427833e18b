//! Passwords that wipe themselves.

use core::fmt;

use zeroize::Zeroizing;

/// A password as bytes, wiped from memory when dropped. Its `Debug` output never shows the
/// bytes, and it has no `Display`.
///
/// On the wire AFP passwords are NUL-padded fixed-size fields (8 bytes for Cleartxt
/// Passwrd, 64 for DHCAST128, 256 for DHX2, spec §6.3–§6.6). The server side hands out the
/// bytes before the first NUL. Which character set they are in is up to the client:
/// netatalk decodes DHX2 passwords as the legacy Mac encoding; macOS and gvfs send UTF-8.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Password(Zeroizing<Vec<u8>>);

impl Password {
    /// Wraps the bytes; the vector is wiped when the password is dropped.
    pub fn new(bytes: Vec<u8>) -> Password {
        Password(Zeroizing::new(bytes))
    }

    /// Copies the bytes from a slice.
    pub fn from_slice(bytes: &[u8]) -> Password {
        Password::new(bytes.to_vec())
    }

    /// The password bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True for the empty password.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Reads a NUL-padded password field: the bytes before the first NUL (all of them if
    /// there is none).
    pub(crate) fn from_field(field: &[u8]) -> Password {
        let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
        Password::from_slice(&field[..end])
    }

    /// Writes the password NUL-padded to exactly `size` bytes. The caller checked the length.
    pub(crate) fn put_field(&self, dst: &mut [u8]) {
        debug_assert!(self.len() <= dst.len());
        let n = self.len().min(dst.len());
        dst[..n].copy_from_slice(&self.0[..n]);
        dst[n..].fill(0);
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl From<&str> for Password {
    fn from(s: &str) -> Password {
        Password::from_slice(s.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_bytes() {
        let p = Password::from("hunter2");
        assert_eq!(format!("{p:?}"), "Password(<redacted>)");
        assert_eq!(p.as_bytes(), b"hunter2");
    }

    #[test]
    fn fields_stop_at_first_nul() {
        assert_eq!(Password::from_field(b"ab\0cd\0\0\0").as_bytes(), b"ab");
        assert_eq!(Password::from_field(b"abcdefgh").as_bytes(), b"abcdefgh");
        let mut f = [0xFFu8; 8];
        Password::from("xyz").put_field(&mut f);
        assert_eq!(&f, b"xyz\0\0\0\0\0");
    }
}
