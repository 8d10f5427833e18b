//! Login methods (UAMs, "user authentication modules") as sans-IO state machines, for the
//! server and the client side (spec §6, §5.1 FPLogin / FPLoginExt / FPLoginCont /
//! FPChangePassword).
//!
//! What is here:
//!
//! * [`Uam`]: every login method name the spec knows, its exact wire string, the
//!   case-insensitive prefix matching netatalk uses, and the netatalk module names
//!   (`uams_dhx2.so` …) that afp.conf's `uam list` takes.
//! * [`server`]: [`UamServer`] (the configured methods and the DHX2 group) starts a
//!   [`ServerLogin`] per FPLogin/FPLoginExt and a [`ServerChangePassword`] per
//!   FPChangePassword. They never see the account database: when the password is known
//!   they hand it out in a [`VerifyRequest`] / [`ChangeRequest`] and wait for a
//!   [`Verdict`] / [`ChangeVerdict`] (or call a [`Verifier`] for you).
//! * [`client`]: [`ClientLogin`] and [`ClientChangePassword`] build the UserAuthInfo and
//!   FPLoginCont / FPChangePassword payloads and check what the server sends back.
//!
//! Implemented methods: `No User Authent` (§6.2), `Cleartxt Passwrd` (§6.3), and with the
//! `dhx2` feature `DHCAST128` (§6.5) and `DHX2` (§6.6). The others (Randnum, 2-Way
//! Randnum, Client Krb v2, Recon1) are known by name only; starting one answers
//! kFPBadUAM.
//!
//! Nothing here does I/O, reads a clock or draws its own randomness: every random value
//! (login IDs, DH exponents, nonces) comes from the caller's [`rand::CryptoRng`], so tests
//! can replay fixed randomness. Passwords live in [`Password`], which wipes itself
//! ([`zeroize`]) and never prints its bytes.
//!
//! # Order of random draws
//!
//! Known-answer tests depend on it, so it is part of the contract:
//!
//! | Who | When | Draws |
//! |---|---|---|
//! | server | DHCAST128 message 1 | ID (2 bytes), Rb (32 bytes), nonce (16 bytes) |
//! | server | DHX2 message 1 | ID (2 bytes), Rb (`len` bytes) |
//! | server | DHX2 message 3 | serverNonce (16 bytes) |
//! | client | DHCAST128 start | Ra (32 bytes) |
//! | client | DHX2 message 2 | Ra (`len` bytes), clientNonce (16 bytes) |
//!
//! The ID is `1 + (u16 big-endian % 0xFFFE)`, so it is never 0 (DHCAST128 password
//! changes use 0 for "first message") and ID + 1 never wraps.
//!
//! # Example: a DHX2 login, both sides in memory
//!
//! ```
//! # #[cfg(feature = "dhx2")] {
//! use afp_proto::uam::{ClientLogin, ClientStep, LoginForm, Password, ServerStep, Uam,
//!     UamServer, Verdict};
//! use afp_proto::ResultCode;
//!
//! let mut rng = rand::rng();
//! let server = UamServer::new(vec![Uam::Dhx2]);
//! // FPLoginExt: the user name travels outside UserAuthInfo.
//! let (mut client, auth) = ClientLogin::start(
//!     Uam::Dhx2, b"alice", Password::new(b"secret".to_vec()), LoginForm::LoginExt, &mut rng,
//! ).unwrap();
//! let (mut login, mut step) = server.start_login_ext(b"DHX2", b"alice", &auth, &mut rng);
//! let logged_in = loop {
//!     step = match step {
//!         ServerStep::Continue(reply) => {
//!             match client.handle_reply(ResultCode::AUTH_CONTINUE, &reply, &mut rng).unwrap() {
//!                 ClientStep::Send { id, data } => login.handle_login_cont(id, &data, &mut rng),
//!                 ClientStep::Done { .. } => unreachable!("DHX2 always continues"),
//!             }
//!         }
//!         ServerStep::Verify(request) => {
//!             let ok = request.user() == b"alice" && request.password().as_bytes() == b"secret";
//!             login.verified(if ok { Verdict::Accept } else { Verdict::Reject })
//!         }
//!         ServerStep::Done(result) => break result.unwrap(),
//!     };
//! };
//! assert_eq!(logged_in.user(), Some(&b"alice"[..]));
//! let done = client.handle_reply(logged_in.result_code(), &[], &mut rng).unwrap();
//! assert_eq!(done, ClientStep::Done { password_expired: false });
//! # }
//! ```

use core::fmt;

pub mod client;
#[cfg(feature = "dhx2")]
mod crypto;
#[cfg(feature = "dhx2")]
mod dhcast128;
#[cfg(feature = "dhx2")]
mod dhx2;
#[cfg(feature = "dhx2")]
mod group;
mod secret;
pub mod server;

pub use client::{
    ClientChangePassword, ClientError, ClientLogin, ClientStep, LoginForm, login_auth_offset,
};
#[cfg(feature = "dhx2")]
pub use group::{Dhx2Group, GroupError};
pub use secret::Password;

/// The `rand` version this API takes randomness from (`rand::CryptoRng + rand::RngCore`),
/// re-exported so callers use a matching one.
pub use rand;
pub use server::{
    ChangeRequest, ChangeStep, ChangeVerdict, LoggedIn, ServerChangePassword, ServerLogin,
    ServerStep, UamServer, Verdict, Verifier, VerifyRequest,
};

/// Exact wire names of the login methods (spec §6.1).
pub mod names {
    /// Guest login (§6.2).
    pub const NO_USER_AUTHENT: &str = "No User Authent";
    /// Cleartext password, at most 8 bytes (§6.3).
    pub const CLEARTXT_PASSWRD: &str = "Cleartxt Passwrd";
    /// DES random-number exchange (§6.4).
    pub const RANDNUM_EXCHANGE: &str = "Randnum Exchange";
    /// Two-way DES random-number exchange (§6.4). netatalk registers
    /// `2-Way Randnum exchange`, which prefix matching also accepts.
    pub const TWO_WAY_RANDNUM: &str = "2-Way Randnum";
    /// Diffie-Hellman with the fixed 128-bit group and CAST-128 (§6.5).
    pub const DHCAST128: &str = "DHCAST128";
    /// Diffie-Hellman with a server-chosen group, MD5-derived CAST-128 key (§6.6).
    pub const DHX2: &str = "DHX2";
    /// Kerberos v5 through GSS (§6.7).
    pub const CLIENT_KRB_V2: &str = "Client Krb v2";
    /// Reconnect credential method (§6.8).
    pub const RECON1: &str = "Recon1";
}

/// A login method (UAM), named on the wire by a Pascal string (spec §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Uam {
    /// `No User Authent`: guest.
    NoUserAuthent,
    /// `Cleartxt Passwrd`.
    CleartxtPasswrd,
    /// `Randnum Exchange` (known by name only).
    RandnumExchange,
    /// `2-Way Randnum` (known by name only).
    TwoWayRandnum,
    /// `DHCAST128`.
    Dhcast128,
    /// `DHX2`.
    Dhx2,
    /// `Client Krb v2` (known by name only).
    ClientKrbV2,
    /// `Recon1` (known by name only).
    Recon1,
}

impl Uam {
    /// Every method the spec names, weakest first.
    pub const ALL: [Uam; 8] = [
        Uam::NoUserAuthent,
        Uam::CleartxtPasswrd,
        Uam::RandnumExchange,
        Uam::TwoWayRandnum,
        Uam::Dhcast128,
        Uam::Dhx2,
        Uam::ClientKrbV2,
        Uam::Recon1,
    ];

    /// The exact name sent on the wire and listed in the status block.
    pub fn wire_name(self) -> &'static str {
        match self {
            Uam::NoUserAuthent => names::NO_USER_AUTHENT,
            Uam::CleartxtPasswrd => names::CLEARTXT_PASSWRD,
            Uam::RandnumExchange => names::RANDNUM_EXCHANGE,
            Uam::TwoWayRandnum => names::TWO_WAY_RANDNUM,
            Uam::Dhcast128 => names::DHCAST128,
            Uam::Dhx2 => names::DHX2,
            Uam::ClientKrbV2 => names::CLIENT_KRB_V2,
            Uam::Recon1 => names::RECON1,
        }
    }

    /// True when this crate has state machines for the method (guest and cleartext
    /// always; DHCAST128 and DHX2 with the `dhx2` feature).
    pub fn is_implemented(self) -> bool {
        matches!(self, Uam::NoUserAuthent | Uam::CleartxtPasswrd)
            || (cfg!(feature = "dhx2") && matches!(self, Uam::Dhcast128 | Uam::Dhx2))
    }

    /// True when the method can change passwords (FPChangePassword).
    pub fn can_change_password(self) -> bool {
        self == Uam::CleartxtPasswrd
            || (cfg!(feature = "dhx2") && matches!(self, Uam::Dhcast128 | Uam::Dhx2))
    }

    /// True when `client` (the name a client sent) selects this method.
    ///
    /// spec §6.1: "compared case-insensitively … \[N\] matches using the length the client
    /// sent, so a client string that is a prefix of the server's name also matches." An
    /// empty name matches nothing (netatalk answers kFPBadUAM).
    pub fn matches(self, client: &[u8]) -> bool {
        let name = self.wire_name().as_bytes();
        !client.is_empty()
            && client.len() <= name.len()
            && name[..client.len()].eq_ignore_ascii_case(client)
            // netatalk registers "2-Way Randnum exchange"; accept what its clients send.
            || (self == Uam::TwoWayRandnum
                && !client.is_empty()
                && client.len() <= TWO_WAY_NETATALK.len()
                && TWO_WAY_NETATALK[..client.len()].eq_ignore_ascii_case(client))
    }

    /// The first method of `offered` (in order) that `client` selects (see [`Uam::matches`]).
    pub fn find(offered: &[Uam], client: &[u8]) -> Option<Uam> {
        offered.iter().copied().find(|u| u.matches(client))
    }

    /// The exact (case-insensitive, full-length) name, for a client reading a status block.
    pub fn from_wire_name(name: &[u8]) -> Option<Uam> {
        Uam::ALL
            .into_iter()
            .find(|u| u.wire_name().as_bytes().eq_ignore_ascii_case(name))
            .or_else(|| {
                name.eq_ignore_ascii_case(TWO_WAY_NETATALK)
                    .then_some(Uam::TwoWayRandnum)
            })
    }

    /// The methods a netatalk UAM module provides, from its file name in afp.conf's
    /// `uam list` (`uams_dhx2.so`, `uams_dhx2_pam.so`, `uams_guest.so` …; the `.so` suffix
    /// is optional, case is ignored). `None` for an unknown module.
    ///
    /// The `_pam`/`_passwd` variants differ only in where netatalk checks the password,
    /// which is the caller's [`Verifier`] here.
    pub fn from_netatalk_module(module: &str) -> Option<&'static [Uam]> {
        let m = module.trim();
        let m = m.rsplit('/').next().unwrap_or(m);
        let lower = m.to_ascii_lowercase();
        let stem = lower.strip_suffix(".so").unwrap_or(&lower);
        let found: &'static [Uam] = match stem {
            "uams_guest" => &[Uam::NoUserAuthent],
            "uams_clrtxt" | "uams_passwd" | "uams_pam" => &[Uam::CleartxtPasswrd],
            "uams_dhx" | "uams_dhx_passwd" | "uams_dhx_pam" => &[Uam::Dhcast128],
            "uams_dhx2" | "uams_dhx2_passwd" | "uams_dhx2_pam" => &[Uam::Dhx2],
            "uams_randnum" => &[Uam::RandnumExchange, Uam::TwoWayRandnum],
            "uams_gss" => &[Uam::ClientKrbV2],
            _ => return None,
        };
        Some(found)
    }

    /// Parses afp.conf's `uam list` (module names separated by commas and/or spaces, as
    /// netatalk splits it) into methods, in order and without duplicates.
    pub fn parse_uam_list(list: &str) -> Result<Vec<Uam>, UnknownUamModule> {
        let mut out = Vec::new();
        for module in list.split([',', ' ', '\t']).filter(|s| !s.is_empty()) {
            let uams = Uam::from_netatalk_module(module).ok_or(UnknownUamModule)?;
            for &u in uams {
                if !out.contains(&u) {
                    out.push(u);
                }
            }
        }
        Ok(out)
    }
}

const TWO_WAY_NETATALK: &[u8] = b"2-Way Randnum exchange";

impl fmt::Display for Uam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.wire_name())
    }
}

/// afp.conf's `uam list` names a module this crate does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown UAM module in uam list")]
pub struct UnknownUamModule;

/// Number of pad bytes after a field that ends at `offset` (from the AFP command byte).
pub(crate) fn pad_after(offset: usize) -> usize {
    offset % 2
}

/// Splits `pstr user, pad-to-even, rest` off an FPLogin UserAuthInfo that starts at
/// `offset` from the command byte. `None` when it is too short; the pad byte, if the block
/// ends right after the name, may be missing.
pub(crate) fn split_login_user(auth: &[u8], offset: usize) -> Option<(&[u8], &[u8])> {
    let (&len, rest) = auth.split_first()?;
    let len = usize::from(len);
    let user = rest.get(..len)?;
    let after = &rest[len..];
    let pad = pad_after(offset + 1 + len).min(after.len());
    Some((user, &after[pad..]))
}

/// Appends `pstr user, pad-to-even` for an FPLogin UserAuthInfo starting at `offset`.
pub(crate) fn put_login_user(dst: &mut Vec<u8>, user: &[u8], offset: usize) {
    debug_assert!(user.len() <= 255);
    dst.push(user.len() as u8);
    dst.extend_from_slice(user);
    if pad_after(offset + 1 + user.len()) == 1 {
        dst.push(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_are_exact() {
        assert_eq!(Uam::Dhx2.wire_name(), "DHX2");
        assert_eq!(Uam::NoUserAuthent.wire_name(), "No User Authent");
        assert_eq!(Uam::CleartxtPasswrd.wire_name(), "Cleartxt Passwrd");
        assert_eq!(Uam::Dhcast128.to_string(), "DHCAST128");
        for u in Uam::ALL {
            assert_eq!(Uam::from_wire_name(u.wire_name().as_bytes()), Some(u));
        }
    }

    #[test]
    fn matching_is_case_insensitive_prefix() {
        assert!(Uam::Dhx2.matches(b"dhx2"));
        assert!(Uam::Dhx2.matches(b"DHX"));
        assert!(!Uam::Dhx2.matches(b"DHX2x"));
        assert!(!Uam::Dhx2.matches(b""));
        assert!(Uam::CleartxtPasswrd.matches(b"cleartxt passwrd"));
        assert!(Uam::TwoWayRandnum.matches(b"2-Way Randnum exchange"));
        assert!(Uam::TwoWayRandnum.matches(b"2-way randnum"));
        assert_eq!(
            Uam::find(&[Uam::Dhcast128, Uam::Dhx2], b"DH"),
            Some(Uam::Dhcast128)
        );
        assert_eq!(Uam::find(&[Uam::Dhx2], b"DHCAST128"), None);
    }

    #[test]
    fn netatalk_modules_map_to_methods() {
        assert_eq!(
            Uam::from_netatalk_module("uams_dhx2.so"),
            Some(&[Uam::Dhx2][..])
        );
        assert_eq!(
            Uam::from_netatalk_module("UAMS_DHX_PAM.SO"),
            Some(&[Uam::Dhcast128][..])
        );
        assert_eq!(
            Uam::from_netatalk_module("uams_clrtxt"),
            Some(&[Uam::CleartxtPasswrd][..])
        );
        assert_eq!(Uam::from_netatalk_module("uams_bogus.so"), None);
        assert_eq!(
            Uam::parse_uam_list("uams_dhx.so,uams_dhx2.so uams_guest.so, uams_dhx2_pam.so"),
            Ok(vec![Uam::Dhcast128, Uam::Dhx2, Uam::NoUserAuthent])
        );
        assert_eq!(Uam::parse_uam_list("uams_x.so"), Err(UnknownUamModule));
    }

    #[test]
    fn login_user_padding_follows_absolute_offset() {
        // FPLogin: 18, pstr "AFP3.4" (7 bytes), pstr "DHX2" (5 bytes) → UserAuthInfo at 13.
        let mut v = Vec::new();
        put_login_user(&mut v, b"bob", 13);
        // 13 + 1 + 3 = 17 is odd → one pad byte.
        assert_eq!(v, [3, b'b', b'o', b'b', 0]);
        assert_eq!(split_login_user(&v, 13), Some((&b"bob"[..], &[][..])));
        let mut v = Vec::new();
        put_login_user(&mut v, b"bo", 13);
        assert_eq!(v, [2, b'b', b'o']);
        assert_eq!(split_login_user(&[5, b'a'], 13), None);
    }
}
