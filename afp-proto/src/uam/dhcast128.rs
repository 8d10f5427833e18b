//! DHCAST128 messages, both sides (spec §6.5).
//!
//! ```text
//! 1  C→S  FPLogin: pstr user, pad, Ma (16)        FPLoginExt: Ma (16)
//! 2  S→C  kFPAuthContinue: ID (2) ‖ Mb (16) ‖ CAST(K, S2CIV)[nonce (16) ‖ 0 (16)]   = 50 bytes
//! 3  C→S  FPLoginCont: ID ‖ CAST(K, C2SIV)[nonce+1 (16) ‖ password (64)]            = 2 + 80
//! 4  S→C  kFPNoErr / kFPUserNotAuth / kFPParamErr (nonce check failed)
//! ```
//!
//! p and g are fixed; K = Ma^Rb mod p = Mb^Ra mod p as 16 big-endian bytes is the CAST key
//! itself. Ma, Mb and K are always exactly 16 bytes, left-padded (netatalk writes Mb
//! without its leading zero bytes; we never do).
//!
//! Password change (FPChangePassword, spec §6.5 and \[A-PG\] table 3-3): message 1 is
//! `ID = 0 ‖ Ma`, message 3 carries nonce+1 ‖ new password (64) ‖ old password (64).

use num_bigint::BigUint;
use rand::{CryptoRng, RngCore};
use zeroize::Zeroizing;

use super::Password;
use super::crypto::{self, C2SIV, Key, S2CIV};

/// The fixed prime, \[A-PG\] table 3-1.
pub(crate) const P: [u8; 16] = [
    0xBA, 0x28, 0x73, 0xDF, 0xB0, 0x60, 0x57, 0xD4, 0x3F, 0x20, 0x24, 0x74, 0x4C, 0xEE, 0xE7, 0x5B,
];
/// The fixed generator.
pub(crate) const G: u8 = 7;
/// Size of the random exponents Ra and Rb (Apple and netatalk: 256 bits).
pub(crate) const EXPONENT_LEN: usize = 32;
/// Size of Ma, Mb and K.
pub(crate) const KEY_LEN: usize = 16;
/// Password field in message 3.
pub(crate) const PASSWORD_LEN: usize = 64;
/// Message 2 without the ID: Mb ‖ 32 bytes of ciphertext.
pub(crate) const REPLY_LEN: usize = KEY_LEN + 32;
/// Login message 3 ciphertext.
pub(crate) const LOGIN_CIPHER_LEN: usize = 16 + PASSWORD_LEN;
/// Password-change message 3 ciphertext.
pub(crate) const CHANGE_CIPHER_LEN: usize = 16 + 2 * PASSWORD_LEN;

fn p() -> BigUint {
    BigUint::from_bytes_be(&P)
}

/// What the server keeps between message 2 and message 3.
pub(crate) struct ServerSecrets {
    pub(crate) key: Key,
    pub(crate) nonce: [u8; 16],
}

impl Drop for ServerSecrets {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.nonce);
    }
}

/// Server, message 1 → 2: `Ma` from the client. Draws Rb (32 bytes) then the nonce (16
/// bytes). `None` when Ma is not a usable public value.
pub(crate) fn server_reply<R: CryptoRng + RngCore>(
    id: u16,
    ma: &[u8],
    rng: &mut R,
) -> Option<(Vec<u8>, ServerSecrets)> {
    let p = p();
    let ma = BigUint::from_bytes_be(ma);
    let mut rb = Zeroizing::new([0u8; EXPONENT_LEN]);
    rng.fill_bytes(&mut rb[..]);
    let mut nonce = [0u8; 16];
    rng.fill_bytes(&mut nonce);
    if !crypto::valid_public(&ma, &p) {
        return None;
    }
    let mb = crypto::to_fixed(&crypto::modpow(&BigUint::from(G), &rb[..], &p), KEY_LEN);
    let k = crypto::to_fixed(&crypto::modpow(&ma, &rb[..], &p), KEY_LEN);
    let mut key = Zeroizing::new([0u8; 16]);
    key.copy_from_slice(&k);

    let mut out = Vec::with_capacity(2 + REPLY_LEN);
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&mb);
    let mut cipher = [0u8; 32];
    cipher[..16].copy_from_slice(&nonce);
    crypto::cbc_encrypt(&key, &S2CIV, &mut cipher);
    out.extend_from_slice(&cipher);
    Some((out, ServerSecrets { key, nonce }))
}

/// Server, message 3: decrypts `cipher` (exactly `passwords` × 64 + 16 bytes), checks the
/// nonce and returns the password fields in order. `None` when the nonce is wrong.
pub(crate) fn server_open(
    secrets: &ServerSecrets,
    cipher: &[u8],
    passwords: usize,
) -> Option<Vec<Password>> {
    let mut plain = Zeroizing::new(cipher.to_vec());
    crypto::cbc_decrypt(&secrets.key, &C2SIV, &mut plain);
    let want = crypto::nonce_plus_one(&secrets.nonce);
    if !crypto::ct_eq(&plain[..16], &want) {
        return None;
    }
    Some(
        (0..passwords)
            .map(|i| {
                Password::from_field(&plain[16 + i * PASSWORD_LEN..16 + (i + 1) * PASSWORD_LEN])
            })
            .collect(),
    )
}

/// The client's private exponent and public value.
pub(crate) struct ClientKeys {
    ra: Zeroizing<[u8; EXPONENT_LEN]>,
    pub(crate) ma: [u8; KEY_LEN],
}

/// Client, message 1: draws Ra (32 bytes), computes Ma.
pub(crate) fn client_keys<R: CryptoRng + RngCore>(rng: &mut R) -> ClientKeys {
    let mut ra = Zeroizing::new([0u8; EXPONENT_LEN]);
    rng.fill_bytes(&mut ra[..]);
    let ma_v = crypto::to_fixed(&crypto::modpow(&BigUint::from(G), &ra[..], &p()), KEY_LEN);
    let mut ma = [0u8; KEY_LEN];
    ma.copy_from_slice(&ma_v);
    ClientKeys { ra, ma }
}

/// Why the client rejects message 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReplyError {
    Short,
    BadPublic,
}

/// Client, message 2 → 3: returns the ID and the message-3 ciphertext carrying
/// `passwords` (login: one; change: new then old). Extra bytes after message 2 are
/// ignored.
pub(crate) fn client_answer(
    keys: &ClientKeys,
    reply: &[u8],
    passwords: &[&Password],
) -> Result<(u16, Vec<u8>), ReplyError> {
    if reply.len() < 2 + REPLY_LEN {
        return Err(ReplyError::Short);
    }
    let id = u16::from_be_bytes([reply[0], reply[1]]);
    let p = p();
    let mb = BigUint::from_bytes_be(&reply[2..2 + KEY_LEN]);
    if !crypto::valid_public(&mb, &p) {
        return Err(ReplyError::BadPublic);
    }
    let k = crypto::to_fixed(&crypto::modpow(&mb, &keys.ra[..], &p), KEY_LEN);
    let mut key = Zeroizing::new([0u8; 16]);
    key.copy_from_slice(&k);
    let mut plain = Zeroizing::new([0u8; 32]);
    plain.copy_from_slice(&reply[2 + KEY_LEN..2 + REPLY_LEN]);
    crypto::cbc_decrypt(&key, &S2CIV, &mut plain[..]);
    let mut nonce = [0u8; 16];
    nonce.copy_from_slice(&plain[..16]);
    // The second half is the "ServerSig" slot (zeros from netatalk); nothing checks it.

    let mut msg = Zeroizing::new(vec![0u8; 16 + passwords.len() * PASSWORD_LEN]);
    msg[..16].copy_from_slice(&crypto::nonce_plus_one(&nonce));
    for (i, pw) in passwords.iter().enumerate() {
        pw.put_field(&mut msg[16 + i * PASSWORD_LEN..16 + (i + 1) * PASSWORD_LEN]);
    }
    crypto::cbc_encrypt(&key, &C2SIV, &mut msg);
    Ok((id, msg.to_vec()))
}
