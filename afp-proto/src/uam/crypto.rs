//! The cryptographic pieces DHCAST128 and DHX2 share (spec §6.5, §6.6): CAST-128 in CBC
//! mode with Apple's fixed IVs and no padding, MD5, modular exponentiation, fixed-width
//! big-endian numbers and the 128-bit nonce increment. All primitives are RustCrypto's
//! `cast5`, `cbc`, `md-5` and `num-bigint`; nothing is hand-rolled here but the glue.

use cast5::Cast5;
use cast5::cipher::array::Array;
use cast5::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use md5::{Digest, Md5};
use num_bigint::BigUint;
use zeroize::Zeroizing;

/// Client-to-server IV, "LWallace" (spec §6.5).
pub(crate) const C2SIV: [u8; 8] = *b"LWallace";
/// Server-to-client IV, "CJalbert" (spec §6.5).
pub(crate) const S2CIV: [u8; 8] = *b"CJalbert";

/// A CAST-128 key (16 bytes), wiped on drop.
pub(crate) type Key = Zeroizing<[u8; 16]>;

/// Encrypts `buf` in place with CAST-128-CBC from `iv`. `buf.len()` is a multiple of 8
/// (all AFP messages are; callers build them with fixed sizes).
pub(crate) fn cbc_encrypt(key: &[u8; 16], iv: &[u8; 8], buf: &mut [u8]) {
    let (blocks, rest) = Array::slice_as_chunks_mut(buf);
    debug_assert!(rest.is_empty(), "CAST-CBC input must be whole blocks");
    let mut mode = cbc::Encryptor::<Cast5>::new(key.into(), iv.into());
    mode.encrypt_blocks(blocks);
}

/// Decrypts `buf` in place with CAST-128-CBC from `iv`; `buf.len()` is a multiple of 8.
pub(crate) fn cbc_decrypt(key: &[u8; 16], iv: &[u8; 8], buf: &mut [u8]) {
    let (blocks, rest) = Array::slice_as_chunks_mut(buf);
    debug_assert!(rest.is_empty(), "CAST-CBC input must be whole blocks");
    let mut mode = cbc::Decryptor::<Cast5>::new(key.into(), iv.into());
    mode.decrypt_blocks(blocks);
}

/// MD5 of `data`, wiped on drop (DHX2's key derivation).
pub(crate) fn md5_key(data: &[u8]) -> Key {
    let digest = Md5::digest(data);
    let mut key = Zeroizing::new([0u8; 16]);
    key.copy_from_slice(&digest);
    key
}

/// `x` as exactly `len` big-endian bytes, left-padded with zeros. `x` is below a modulus of
/// `len` bytes, so it always fits.
pub(crate) fn to_fixed(x: &BigUint, len: usize) -> Zeroizing<Vec<u8>> {
    let bytes = Zeroizing::new(x.to_bytes_be());
    let mut out = Zeroizing::new(vec![0u8; len]);
    let n = bytes.len().min(len);
    out[len - n..].copy_from_slice(&bytes[bytes.len() - n..]);
    out
}

/// `base^exp mod p`.
pub(crate) fn modpow(base: &BigUint, exp: &[u8], p: &BigUint) -> BigUint {
    base.modpow(&BigUint::from_bytes_be(exp), p)
}

/// True when `y` is a usable Diffie-Hellman public value for modulus `p`: `2 <= y <= p-2`.
/// 0, 1 and p-1 would make the shared key predictable.
pub(crate) fn valid_public(y: &BigUint, p: &BigUint) -> bool {
    let two = BigUint::from(2u8);
    y >= &two && y + &two <= *p
}

/// `n + 1` as a 128-bit big-endian number, wrapping modulo 2^128 (spec §11: "wrap modulo
/// 2^128 is the natural reading").
pub(crate) fn nonce_plus_one(n: &[u8; 16]) -> [u8; 16] {
    u128::from_be_bytes(*n).wrapping_add(1).to_be_bytes()
}

/// Compares two secrets without stopping at the first difference.
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cast5_matches_rfc2144_vector() {
        // RFC 2144 Appendix B.1, 128-bit key: one block, so CBC with a zero IV is ECB.
        let key = [
            0x01, 0x23, 0x45, 0x67, 0x12, 0x34, 0x56, 0x78, 0x23, 0x45, 0x67, 0x89, 0x34, 0x56,
            0x78, 0x9A,
        ];
        let mut block = [0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF];
        cbc_encrypt(&key, &[0; 8], &mut block);
        assert_eq!(block, [0x23, 0x8B, 0x4F, 0xE5, 0x84, 0x7E, 0x44, 0xB2]);
        cbc_decrypt(&key, &[0; 8], &mut block);
        assert_eq!(block, [0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF]);
    }

    #[test]
    fn cbc_chains_blocks() {
        let key = [7u8; 16];
        let mut a = [0u8; 16];
        cbc_encrypt(&key, &C2SIV, &mut a);
        // Identical plaintext blocks give different ciphertext blocks in CBC.
        assert_ne!(a[..8], a[8..]);
        cbc_decrypt(&key, &C2SIV, &mut a);
        assert_eq!(a, [0u8; 16]);
    }

    #[test]
    fn nonce_increment_carries_and_wraps() {
        let mut n = [0u8; 16];
        n[15] = 0xFF;
        let mut want = [0u8; 16];
        want[14] = 1;
        assert_eq!(nonce_plus_one(&n), want);
        assert_eq!(nonce_plus_one(&[0xFF; 16]), [0u8; 16]);
    }

    #[test]
    fn fixed_width_pads_left() {
        assert_eq!(&to_fixed(&BigUint::from(0x0102u32), 4)[..], &[0, 0, 1, 2]);
        assert_eq!(&to_fixed(&BigUint::from(0u32), 2)[..], &[0, 0]);
    }

    #[test]
    fn public_value_range() {
        let p = BigUint::from(23u32);
        assert!(!valid_public(&BigUint::from(0u32), &p));
        assert!(!valid_public(&BigUint::from(1u32), &p));
        assert!(valid_public(&BigUint::from(2u32), &p));
        assert!(valid_public(&BigUint::from(21u32), &p));
        assert!(!valid_public(&BigUint::from(22u32), &p));
        assert!(!valid_public(&BigUint::from(30u32), &p));
    }

    #[test]
    fn md5_known_answer() {
        // RFC 1321 test suite: MD5("abc").
        assert_eq!(
            *md5_key(b"abc"),
            [
                0x90, 0x01, 0x50, 0x98, 0x3c, 0xd2, 0x4f, 0xb0, 0xd6, 0x96, 0x3f, 0x7d, 0x28, 0xe1,
                0x7f, 0x72
            ]
        );
    }
}
