//! DHX2 messages, both sides (spec §6.6).
//!
//! ```text
//! 1  C→S  FPLogin: pstr user, pad          FPLoginExt: (empty UserAuthInfo)
//! 2  S→C  kFPAuthContinue: ID (2) ‖ g (4) ‖ len (2) ‖ p (len) ‖ Mb (len)
//! 3  C→S  FPLoginCont: ID ‖ Ma (len) ‖ CAST(K, C2SIV)[clientNonce (16)]          exactly 2 + len + 16
//! 4  S→C  kFPAuthContinue: ID+1 ‖ CAST(K, S2CIV)[clientNonce+1 (16) ‖ serverNonce (16)]
//! 5  C→S  FPLoginCont: ID+1 ‖ CAST(K, C2SIV)[serverNonce+1 (16) ‖ password (256)]  2 + 272 (or + 10)
//! 6  S→C  kFPNoErr / kFPUserNotAuth / kFPPwdExpiredErr …
//! ```
//!
//! K = MD5(Mb^Ra mod p as `len` big-endian bytes). Ma, Mb and the nonces are always written
//! at their full width, left-padded with zeros.
//!
//! Password change (\[A-PG\] table 3-6): the same three exchanges carried by FPChangePassword;
//! message 5's plaintext is serverNonce+1 ‖ new password (256) ‖ old password (256).

use num_bigint::BigUint;
use rand::{CryptoRng, RngCore};
use zeroize::Zeroizing;

use super::Password;
use super::crypto::{self, C2SIV, Key, S2CIV};
use super::group::{self, Dhx2Group};

/// Password field in message 5.
pub(crate) const PASSWORD_LEN: usize = 256;
/// Login message 5 ciphertext.
pub(crate) const LOGIN_CIPHER_LEN: usize = 16 + PASSWORD_LEN;
/// Older Apple clients append 10 bytes to message 5 (spec §6.6).
pub(crate) const LOGIN_EXTRA: usize = 10;
/// Password-change message 5 ciphertext.
pub(crate) const CHANGE_CIPHER_LEN: usize = 16 + 2 * PASSWORD_LEN;

/// What the server keeps between message 2 and message 3.
pub(crate) struct ServerExchange {
    rb: Zeroizing<Vec<u8>>,
    group: Dhx2Group,
}

/// Server, message 1 → 2. Draws Rb (`len` bytes).
pub(crate) fn server_offer<R: CryptoRng + RngCore>(
    id: u16,
    group: &Dhx2Group,
    rng: &mut R,
) -> (Vec<u8>, ServerExchange) {
    let len = group.len();
    let mut rb = Zeroizing::new(vec![0u8; len]);
    rng.fill_bytes(&mut rb);
    let mb = crypto::to_fixed(
        &crypto::modpow(&BigUint::from(group.g()), &rb, group.p()),
        len,
    );
    let mut out = Vec::with_capacity(8 + 2 * len);
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&group.g().to_be_bytes());
    out.extend_from_slice(&(len as u16).to_be_bytes());
    out.extend_from_slice(group.p_bytes());
    out.extend_from_slice(&mb);
    (
        out,
        ServerExchange {
            rb,
            group: group.clone(),
        },
    )
}

/// What the server keeps between message 4 and message 5.
pub(crate) struct ServerProof {
    key: Key,
    server_nonce: [u8; 16],
}

impl Drop for ServerProof {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.server_nonce);
    }
}

/// Why the server rejects message 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Msg3Error {
    /// Not exactly `len + 16` bytes after the ID.
    Length,
    /// Ma is 0, 1, p-1 or not below p.
    BadPublic,
}

/// Server, message 3 → 4: `data` is what follows the ID. Draws serverNonce (16 bytes).
/// Returns message 4 without its ID (the caller writes ID+1).
pub(crate) fn server_prove<R: CryptoRng + RngCore>(
    ex: &ServerExchange,
    data: &[u8],
    rng: &mut R,
) -> Result<([u8; 32], ServerProof), Msg3Error> {
    let len = ex.group.len();
    // spec §6.6: message 3 is "2 + len + 16 ([N] requires exactly this)".
    if data.len() != len + 16 {
        return Err(Msg3Error::Length);
    }
    let ma = BigUint::from_bytes_be(&data[..len]);
    if !crypto::valid_public(&ma, ex.group.p()) {
        return Err(Msg3Error::BadPublic);
    }
    let k = crypto::to_fixed(&crypto::modpow(&ma, &ex.rb, ex.group.p()), len);
    let key = crypto::md5_key(&k);
    let mut client_nonce = Zeroizing::new([0u8; 16]);
    client_nonce.copy_from_slice(&data[len..]);
    crypto::cbc_decrypt(&key, &C2SIV, &mut client_nonce[..]);

    let mut server_nonce = [0u8; 16];
    rng.fill_bytes(&mut server_nonce);
    let mut msg = [0u8; 32];
    msg[..16].copy_from_slice(&crypto::nonce_plus_one(&client_nonce));
    msg[16..].copy_from_slice(&server_nonce);
    crypto::cbc_encrypt(&key, &S2CIV, &mut msg);
    Ok((msg, ServerProof { key, server_nonce }))
}

/// Server, message 5: `cipher` is the ciphertext (16 + 256 × `passwords` bytes). Returns
/// the password fields (login: the password; change: new, old), or `None` when the nonce
/// is not serverNonce+1.
pub(crate) fn server_open(
    proof: &ServerProof,
    cipher: &[u8],
    passwords: usize,
) -> Option<Vec<Password>> {
    let mut plain = Zeroizing::new(cipher.to_vec());
    crypto::cbc_decrypt(&proof.key, &C2SIV, &mut plain);
    if !crypto::ct_eq(&plain[..16], &crypto::nonce_plus_one(&proof.server_nonce)) {
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

/// Why the client rejects message 2 or 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReplyError {
    Short,
    BadGroup,
    BadPublic,
    NonceMismatch,
}

/// What the client keeps between message 3 and message 4.
pub(crate) struct ClientExchange {
    key: Key,
    client_nonce: Zeroizing<[u8; 16]>,
}

/// Client, message 2 → 3: parses the server's group and Mb, draws Ra (`len` bytes) and
/// clientNonce (16 bytes). Returns the ID and message 3's data after the ID. Extra bytes
/// after Mb (older Apple servers send 2) are ignored.
pub(crate) fn client_exchange<R: CryptoRng + RngCore>(
    reply: &[u8],
    rng: &mut R,
) -> Result<(u16, Vec<u8>, ClientExchange), ReplyError> {
    if reply.len() < 8 {
        return Err(ReplyError::Short);
    }
    let id = u16::from_be_bytes([reply[0], reply[1]]);
    let g = u32::from_be_bytes([reply[2], reply[3], reply[4], reply[5]]);
    let len = usize::from(u16::from_be_bytes([reply[6], reply[7]]));
    if !(group::MIN_LEN..=group::MAX_LEN).contains(&len) {
        return Err(ReplyError::BadGroup);
    }
    let body = &reply[8..];
    if body.len() < 2 * len {
        return Err(ReplyError::Short);
    }
    let group = Dhx2Group::new(&body[..len], g).map_err(|_| ReplyError::BadGroup)?;
    let mb = BigUint::from_bytes_be(&body[len..2 * len]);
    if !crypto::valid_public(&mb, group.p()) {
        return Err(ReplyError::BadPublic);
    }
    let mut ra = Zeroizing::new(vec![0u8; len]);
    rng.fill_bytes(&mut ra);
    let mut client_nonce = Zeroizing::new([0u8; 16]);
    rng.fill_bytes(&mut client_nonce[..]);

    let ma = crypto::to_fixed(&crypto::modpow(&BigUint::from(g), &ra, group.p()), len);
    let k = crypto::to_fixed(&crypto::modpow(&mb, &ra, group.p()), len);
    let key = crypto::md5_key(&k);
    let mut out = Vec::with_capacity(len + 16);
    out.extend_from_slice(&ma);
    let mut enc = *client_nonce;
    crypto::cbc_encrypt(&key, &C2SIV, &mut enc);
    out.extend_from_slice(&enc);
    Ok((id, out, ClientExchange { key, client_nonce }))
}

/// Client, message 4 → 5: checks clientNonce+1 and returns the ID from message 4 and
/// message 5's ciphertext carrying `passwords` (login: one; change: new then old).
pub(crate) fn client_answer(
    ex: &ClientExchange,
    reply: &[u8],
    passwords: &[&Password],
) -> Result<(u16, Vec<u8>), ReplyError> {
    if reply.len() < 2 + 32 {
        return Err(ReplyError::Short);
    }
    let id = u16::from_be_bytes([reply[0], reply[1]]);
    let mut plain = Zeroizing::new([0u8; 32]);
    plain.copy_from_slice(&reply[2..34]);
    crypto::cbc_decrypt(&ex.key, &S2CIV, &mut plain[..]);
    // spec §6.6: "The client checks that the first 16 decrypted bytes of message 4 equal
    // clientNonce+1."
    if !crypto::ct_eq(&plain[..16], &crypto::nonce_plus_one(&ex.client_nonce)) {
        return Err(ReplyError::NonceMismatch);
    }
    let mut server_nonce = [0u8; 16];
    server_nonce.copy_from_slice(&plain[16..]);
    let mut msg = Zeroizing::new(vec![0u8; 16 + passwords.len() * PASSWORD_LEN]);
    msg[..16].copy_from_slice(&crypto::nonce_plus_one(&server_nonce));
    for (i, pw) in passwords.iter().enumerate() {
        pw.put_field(&mut msg[16 + i * PASSWORD_LEN..16 + (i + 1) * PASSWORD_LEN]);
    }
    crypto::cbc_encrypt(&ex.key, &C2SIV, &mut msg);
    Ok((id, msg.to_vec()))
}
