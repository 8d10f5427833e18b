//! The Diffie-Hellman group a DHX2 server offers (spec §6.6).

use core::fmt;

use num_bigint::BigUint;

/// RFC 2409 §6.2 "Second Oakley Group": the 1024-bit MODP safe prime, generator 2.
const OAKLEY_GROUP_2: [u8; 128] = [
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xC9, 0x0F, 0xDA, 0xA2, 0x21, 0x68, 0xC2, 0x34,
    0xC4, 0xC6, 0x62, 0x8B, 0x80, 0xDC, 0x1C, 0xD1, 0x29, 0x02, 0x4E, 0x08, 0x8A, 0x67, 0xCC, 0x74,
    0x02, 0x0B, 0xBE, 0xA6, 0x3B, 0x13, 0x9B, 0x22, 0x51, 0x4A, 0x08, 0x79, 0x8E, 0x34, 0x04, 0xDD,
    0xEF, 0x95, 0x19, 0xB3, 0xCD, 0x3A, 0x43, 0x1B, 0x30, 0x2B, 0x0A, 0x6D, 0xF2, 0x5F, 0x14, 0x37,
    0x4F, 0xE1, 0x35, 0x6D, 0x6D, 0x51, 0xC2, 0x45, 0xE4, 0x85, 0xB5, 0x76, 0x62, 0x5E, 0x7E, 0xC6,
    0xF4, 0x4C, 0x42, 0xE9, 0xA6, 0x37, 0xED, 0x6B, 0x0B, 0xFF, 0x5C, 0xB6, 0xF4, 0x06, 0xB7, 0xED,
    0xEE, 0x38, 0x6B, 0xFB, 0x5A, 0x89, 0x9F, 0xA5, 0xAE, 0x9F, 0x24, 0x11, 0x7C, 0x4B, 0x1F, 0xE6,
    0x49, 0x28, 0x66, 0x51, 0xEC, 0xE6, 0x53, 0x81, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
];

/// Smallest prime DHX2 allows: 512 bits (spec §6.6 "≥ 512 bits").
pub(crate) const MIN_LEN: usize = 64;
/// Largest prime this crate accepts from a server or a configuration: 4096 bits. A bound
/// keeps a hostile server from making the client exponentiate huge numbers.
pub(crate) const MAX_LEN: usize = 512;

/// A DHX2 group: prime `p` (sent as `len` bytes) and generator `g` (sent as a u32).
///
/// The default is RFC 2409's 1024-bit Oakley group 2 with g = 2, so `len` = 128 as in
/// netatalk, which instead generates a fresh 1024-bit safe prime at start-up.
#[derive(Clone, PartialEq, Eq)]
pub struct Dhx2Group {
    p: BigUint,
    p_bytes: Vec<u8>,
    g: u32,
}

impl Dhx2Group {
    /// RFC 2409 Oakley group 2 (1024-bit safe prime, g = 2).
    pub fn oakley_group_2() -> Dhx2Group {
        Dhx2Group::new(&OAKLEY_GROUP_2, 2).expect("the built-in group is valid")
    }

    /// A group from the big-endian bytes of `p` and the generator `g`.
    ///
    /// Checks what can be checked cheaply: `p` is odd, 512 to 4096 bits long with a
    /// non-zero first byte, and `2 <= g < p - 1`. It does **not** test that `p` is a safe
    /// prime; use a well-known group or one you generated yourself.
    pub fn new(p: &[u8], g: u32) -> Result<Dhx2Group, GroupError> {
        if p.len() < MIN_LEN || p.len() > MAX_LEN {
            return Err(GroupError::BadLength(p.len()));
        }
        if p[0] == 0 || p[p.len() - 1] & 1 == 0 {
            return Err(GroupError::NotOdd);
        }
        let pn = BigUint::from_bytes_be(p);
        if g < 2 || BigUint::from(g) + 1u32 >= pn {
            return Err(GroupError::BadGenerator(g));
        }
        Ok(Dhx2Group {
            p: pn,
            p_bytes: p.to_vec(),
            g,
        })
    }

    /// The prime.
    pub fn p(&self) -> &BigUint {
        &self.p
    }

    /// The prime as `len` big-endian bytes.
    pub fn p_bytes(&self) -> &[u8] {
        &self.p_bytes
    }

    /// The generator.
    pub fn g(&self) -> u32 {
        self.g
    }

    /// `len`: the size of `p`, `Ma` and `Mb` in bytes.
    pub fn len(&self) -> usize {
        self.p_bytes.len()
    }

    /// Always false (a group has at least 64 bytes); here for clippy's `len` convention.
    pub fn is_empty(&self) -> bool {
        self.p_bytes.is_empty()
    }
}

impl Default for Dhx2Group {
    fn default() -> Dhx2Group {
        Dhx2Group::oakley_group_2()
    }
}

impl fmt::Debug for Dhx2Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dhx2Group")
            .field("bits", &(self.len() * 8))
            .field("g", &self.g)
            .finish()
    }
}

/// A DHX2 group that [`Dhx2Group::new`] rejects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GroupError {
    /// `p` must be 64 to 512 bytes.
    #[error("DHX2 prime must be 64 to 512 bytes, not {0}")]
    BadLength(usize),
    /// `p` must be odd and have no leading zero byte.
    #[error("DHX2 prime must be odd without a leading zero byte")]
    NotOdd,
    /// `g` must satisfy `2 <= g < p - 1`.
    #[error("DHX2 generator {0} is out of range")]
    BadGenerator(u32),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_group_is_oakley_2() {
        let g = Dhx2Group::default();
        assert_eq!(g.len(), 128);
        assert_eq!(g.g(), 2);
        assert_eq!(g.p().bits(), 1024);
        assert_eq!(format!("{g:?}"), "Dhx2Group { bits: 1024, g: 2 }");
    }

    #[test]
    fn rejects_bad_groups() {
        assert_eq!(
            Dhx2Group::new(&[0xFF; 63], 2),
            Err(GroupError::BadLength(63))
        );
        let mut even = [0xFF; 64];
        even[63] = 0xFE;
        assert_eq!(Dhx2Group::new(&even, 2), Err(GroupError::NotOdd));
        assert_eq!(
            Dhx2Group::new(&[0xFF; 64], 1),
            Err(GroupError::BadGenerator(1))
        );
        assert!(Dhx2Group::new(&[0xFF; 64], 5).is_ok());
    }
}
