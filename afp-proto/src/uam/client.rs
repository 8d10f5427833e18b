//! Client side of the login methods (spec §6, §5.1).
//!
//! 1. [`ClientLogin::start`] checks the user name and password for the method and returns
//!    the UserAuthInfo to put in FPLogin ([`LoginForm::Login`], with the user name inside)
//!    or FPLoginExt ([`LoginForm::LoginExt`], the user name goes in the command's
//!    UserName field).
//! 2. Feed every reply (its result code and data) to [`ClientLogin::handle_reply`]:
//!    [`ClientStep::Send`] is the next FPLoginCont (ID and data after the ID),
//!    [`ClientStep::Done`] means logged in. A refusal comes back as
//!    [`ClientError::Server`] with the server's code.
//!
//! [`ClientChangePassword`] does the same for FPChangePassword; it produces the UAM data
//! that follows the command's user part.
//!
//! For DHX2 the client authenticates the server too: message 4 must carry clientNonce+1
//! under the shared key, or the exchange stops with [`ClientError::ServerNonceMismatch`]
//! before the password leaves the machine.

// Without `dhx2` some plumbing (the RNG, the kept passwords) has nothing to feed.
#![cfg_attr(not(feature = "dhx2"), allow(unused_variables, dead_code))]

use bytes::Bytes;
use rand::{CryptoRng, RngCore};

use super::{Password, Uam, put_login_user};
use crate::result::ResultCode;

#[cfg(feature = "dhx2")]
use super::{dhcast128, dhx2};

/// Cleartxt Passwrd's password field (spec §6.3).
const CLEARTEXT_LEN: usize = 8;

/// Which login command carries the UserAuthInfo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginForm {
    /// FPLogin: the user name is a Pascal string at the start of UserAuthInfo, padded to
    /// even. `auth_offset` is where UserAuthInfo starts, counted from the command byte:
    /// `1 + 1 + version.len() + 1 + uam.len()` (see [`login_auth_offset`]).
    Login {
        /// Offset of UserAuthInfo from the AFP command byte.
        auth_offset: usize,
    },
    /// FPLoginExt: the user name travels in the command's UserName field (UTF-8, up to
    /// 65535 bytes); UserAuthInfo has no user name.
    LoginExt,
}

/// Where an FPLogin's UserAuthInfo starts: after the command byte, the version pstr and the
/// UAM pstr (FPLogin has no pad byte, spec §5.1).
pub fn login_auth_offset(version: &[u8], uam: &[u8]) -> usize {
    1 + 1 + version.len() + 1 + uam.len()
}

/// Why a client login or password change stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The server refused with this code (kFPUserNotAuth for a wrong password, kFPBadUAM,
    /// kFPParamErr …).
    #[error("server refused the login: {0}")]
    Server(ResultCode),
    /// The server's reply does not follow the method's layout.
    #[error("malformed login reply: {0}")]
    BadReply(&'static str),
    /// DHX2: message 4 did not carry clientNonce+1, so the server does not hold the session
    /// key; the password was not sent.
    #[error("the server failed the DHX2 nonce check")]
    ServerNonceMismatch,
    /// The server's Diffie-Hellman group or public value is unusable (too small, too large,
    /// even, or a degenerate public value).
    #[error("unusable Diffie-Hellman parameters from the server")]
    BadGroup,
    /// The user name is empty, or too long for FPLogin's Pascal string (255 bytes) or
    /// FPLoginExt's u16 length.
    #[error("user name is empty or too long for this login command")]
    BadUserName,
    /// The password is longer than the method carries (8, 64 or 256 bytes).
    #[error("password longer than {max} bytes")]
    PasswordTooLong {
        /// The method's limit.
        max: usize,
    },
    /// The password contains a NUL byte, which ends it on the wire.
    #[error("password contains a NUL byte")]
    PasswordHasNul,
    /// This crate has no client for the method (or the `dhx2` feature is off).
    #[error("login method {0} is not implemented")]
    Unsupported(Uam),
    /// The exchange is already over.
    #[error("login exchange already finished")]
    Finished,
}

/// What to do after a login reply.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum ClientStep {
    /// Send FPLoginCont with this ID and data (the bytes after the ID).
    Send {
        /// The ID field.
        id: u16,
        /// The UAM data after the ID.
        data: Bytes,
    },
    /// Logged in. With `password_expired` the server answered kFPPwdExpiredErr: the
    /// session may only change its password (FPChangePassword) or log out.
    Done {
        /// The server said the password expired.
        password_expired: bool,
    },
}

impl ClientStep {
    /// The FPLoginCont command for a [`ClientStep::Send`] (`None` for `Done`).
    pub fn to_login_cont(&self) -> Option<crate::command::LoginCont> {
        match self {
            ClientStep::Send { id, data } => Some(crate::command::LoginCont {
                id: *id,
                data: data.clone(),
            }),
            ClientStep::Done { .. } => None,
        }
    }
}

fn password_limit(uam: Uam) -> Option<usize> {
    match uam {
        Uam::NoUserAuthent => Some(usize::MAX),
        Uam::CleartxtPasswrd => Some(CLEARTEXT_LEN),
        #[cfg(feature = "dhx2")]
        Uam::Dhcast128 => Some(dhcast128::PASSWORD_LEN),
        #[cfg(feature = "dhx2")]
        Uam::Dhx2 => Some(dhx2::PASSWORD_LEN),
        _ => None,
    }
}

fn check_password(uam: Uam, password: &Password) -> Result<(), ClientError> {
    let max = password_limit(uam).ok_or(ClientError::Unsupported(uam))?;
    if uam == Uam::NoUserAuthent {
        return Ok(());
    }
    if password.len() > max {
        return Err(ClientError::PasswordTooLong { max });
    }
    if password.as_bytes().contains(&0) {
        return Err(ClientError::PasswordHasNul);
    }
    Ok(())
}

enum ClientState {
    /// Waiting for the final answer.
    Final,
    #[cfg(feature = "dhx2")]
    Dhcast128 {
        keys: dhcast128::ClientKeys,
    },
    #[cfg(feature = "dhx2")]
    Dhx2Offer,
    #[cfg(feature = "dhx2")]
    Dhx2Proof {
        exchange: dhx2::ClientExchange,
    },
    Finished,
}

/// A login in progress on the client.
pub struct ClientLogin {
    uam: Uam,
    password: Password,
    state: ClientState,
}

impl core::fmt::Debug for ClientLogin {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClientLogin")
            .field("uam", &self.uam)
            .field("finished", &matches!(self.state, ClientState::Finished))
            .finish_non_exhaustive()
    }
}

impl ClientLogin {
    /// Starts a login with `uam` (the client picks it from the status block: DHX2, then
    /// DHCAST128; Cleartxt only on request). Returns the UserAuthInfo to send.
    ///
    /// Draws randomness only for DHCAST128 (Ra, 32 bytes).
    pub fn start<R: CryptoRng + RngCore>(
        uam: Uam,
        user: &[u8],
        password: Password,
        form: LoginForm,
        rng: &mut R,
    ) -> Result<(ClientLogin, Bytes), ClientError> {
        check_password(uam, &password)?;
        let mut auth = Vec::new();
        if uam != Uam::NoUserAuthent {
            match form {
                LoginForm::Login { auth_offset } => {
                    if user.is_empty() || user.len() > 255 {
                        return Err(ClientError::BadUserName);
                    }
                    put_login_user(&mut auth, user, auth_offset);
                }
                LoginForm::LoginExt => {
                    if user.is_empty() || user.len() > usize::from(u16::MAX) {
                        return Err(ClientError::BadUserName);
                    }
                }
            }
        }
        let state = match uam {
            Uam::NoUserAuthent => ClientState::Final,
            Uam::CleartxtPasswrd => {
                let mut field = [0u8; CLEARTEXT_LEN];
                password.put_field(&mut field);
                auth.extend_from_slice(&field);
                zeroize::Zeroize::zeroize(&mut field);
                ClientState::Final
            }
            #[cfg(feature = "dhx2")]
            Uam::Dhcast128 => {
                let keys = dhcast128::client_keys(rng);
                auth.extend_from_slice(&keys.ma);
                ClientState::Dhcast128 { keys }
            }
            #[cfg(feature = "dhx2")]
            Uam::Dhx2 => ClientState::Dhx2Offer,
            _ => return Err(ClientError::Unsupported(uam)),
        };
        let _ = &rng;
        let auth = Bytes::from(zeroize::Zeroizing::new(auth).to_vec());
        Ok((
            ClientLogin {
                uam,
                password,
                state,
            },
            auth,
        ))
    }

    /// The method.
    pub fn uam(&self) -> Uam {
        self.uam
    }

    /// True once the login is over.
    pub fn is_finished(&self) -> bool {
        matches!(self.state, ClientState::Finished)
    }

    /// Feeds the reply to the last FPLogin/FPLoginExt/FPLoginCont: its result code and
    /// data.
    pub fn handle_reply<R: CryptoRng + RngCore>(
        &mut self,
        code: ResultCode,
        data: &[u8],
        rng: &mut R,
    ) -> Result<ClientStep, ClientError> {
        let state = core::mem::replace(&mut self.state, ClientState::Finished);
        if matches!(state, ClientState::Finished) {
            return Err(ClientError::Finished);
        }
        if code == ResultCode::NO_ERR || code == ResultCode::PWD_EXPIRED_ERR {
            return Ok(ClientStep::Done {
                password_expired: code == ResultCode::PWD_EXPIRED_ERR,
            });
        }
        if code != ResultCode::AUTH_CONTINUE {
            return Err(ClientError::Server(code));
        }
        let _ = (&data, &rng);
        match state {
            #[cfg(feature = "dhx2")]
            ClientState::Dhcast128 { keys } => {
                match dhcast128::client_answer(&keys, data, &[&self.password]) {
                    Ok((id, msg)) => {
                        self.state = ClientState::Final;
                        Ok(ClientStep::Send {
                            id,
                            data: Bytes::from(msg),
                        })
                    }
                    Err(dhcast128::ReplyError::Short) => Err(ClientError::BadReply(
                        "DHCAST128 message 2 shorter than 50 bytes",
                    )),
                    Err(dhcast128::ReplyError::BadPublic) => Err(ClientError::BadGroup),
                }
            }
            #[cfg(feature = "dhx2")]
            ClientState::Dhx2Offer => match dhx2::client_exchange(data, rng) {
                Ok((id, msg, exchange)) => {
                    self.state = ClientState::Dhx2Proof { exchange };
                    Ok(ClientStep::Send {
                        id,
                        data: Bytes::from(msg),
                    })
                }
                Err(e) => Err(dhx2_error(e, "DHX2 message 2 truncated")),
            },
            #[cfg(feature = "dhx2")]
            ClientState::Dhx2Proof { exchange } => {
                match dhx2::client_answer(&exchange, data, &[&self.password]) {
                    Ok((id, msg)) => {
                        self.state = ClientState::Final;
                        Ok(ClientStep::Send {
                            id,
                            data: Bytes::from(msg),
                        })
                    }
                    Err(e) => Err(dhx2_error(e, "DHX2 message 4 shorter than 34 bytes")),
                }
            }
            _ => Err(ClientError::BadReply("unexpected kFPAuthContinue")),
        }
    }
}

#[cfg(feature = "dhx2")]
fn dhx2_error(e: dhx2::ReplyError, short: &'static str) -> ClientError {
    match e {
        dhx2::ReplyError::Short => ClientError::BadReply(short),
        dhx2::ReplyError::BadGroup | dhx2::ReplyError::BadPublic => ClientError::BadGroup,
        dhx2::ReplyError::NonceMismatch => ClientError::ServerNonceMismatch,
    }
}

enum ChangeState {
    Final,
    #[cfg(feature = "dhx2")]
    Dhcast128 {
        keys: dhcast128::ClientKeys,
    },
    #[cfg(feature = "dhx2")]
    Dhx2Offer,
    #[cfg(feature = "dhx2")]
    Dhx2Proof {
        exchange: dhx2::ClientExchange,
    },
    Finished,
}

/// A password change in progress on the client (FPChangePassword, spec §5.1, §6.3–§6.6).
///
/// Each message is an FPChangePassword `36, pad, pstr UAM, pad, user part, UAM data`; this
/// type produces the UAM data. The user part is `00 00` on AFP 3 (the server uses the
/// logged-in user) and `pstr user, pad` on AFP 2.
pub struct ClientChangePassword {
    uam: Uam,
    old: Password,
    new: Password,
    state: ChangeState,
}

impl core::fmt::Debug for ClientChangePassword {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClientChangePassword")
            .field("uam", &self.uam)
            .finish_non_exhaustive()
    }
}

impl ClientChangePassword {
    /// Starts a change with `uam` (Cleartxt Passwrd, DHCAST128 or DHX2); returns the first
    /// message's UAM data. Draws Ra (32 bytes) for DHCAST128.
    pub fn start<R: CryptoRng + RngCore>(
        uam: Uam,
        old: Password,
        new: Password,
        rng: &mut R,
    ) -> Result<(ClientChangePassword, Bytes), ClientError> {
        if !uam.can_change_password() {
            return Err(ClientError::Unsupported(uam));
        }
        check_password(uam, &old)?;
        check_password(uam, &new)?;
        let mut data = Vec::new();
        let state = match uam {
            Uam::CleartxtPasswrd => {
                // spec §6.3: "8-byte old password, 8-byte new password".
                let mut fields = zeroize::Zeroizing::new([0u8; 2 * CLEARTEXT_LEN]);
                old.put_field(&mut fields[..CLEARTEXT_LEN]);
                new.put_field(&mut fields[CLEARTEXT_LEN..]);
                data.extend_from_slice(&fields[..]);
                ChangeState::Final
            }
            #[cfg(feature = "dhx2")]
            Uam::Dhcast128 => {
                // spec §6.5: ID 0 in the first message, then Ma.
                let keys = dhcast128::client_keys(rng);
                data.extend_from_slice(&[0, 0]);
                data.extend_from_slice(&keys.ma);
                ChangeState::Dhcast128 { keys }
            }
            #[cfg(feature = "dhx2")]
            Uam::Dhx2 => {
                // spec §6.6: "u16 ID (0x0000 in the first message)".
                data.extend_from_slice(&[0, 0]);
                ChangeState::Dhx2Offer
            }
            _ => return Err(ClientError::Unsupported(uam)),
        };
        let _ = &rng;
        let data = Bytes::from(zeroize::Zeroizing::new(data).to_vec());
        Ok((
            ClientChangePassword {
                uam,
                old,
                new,
                state,
            },
            data,
        ))
    }

    /// Feeds the reply to the last FPChangePassword. `Ok(Some(data))`: send another
    /// FPChangePassword with this UAM data; `Ok(None)`: the password changed.
    pub fn handle_reply<R: CryptoRng + RngCore>(
        &mut self,
        code: ResultCode,
        data: &[u8],
        rng: &mut R,
    ) -> Result<Option<Bytes>, ClientError> {
        let state = core::mem::replace(&mut self.state, ChangeState::Finished);
        if matches!(state, ChangeState::Finished) {
            return Err(ClientError::Finished);
        }
        if code == ResultCode::NO_ERR {
            return Ok(None);
        }
        if code != ResultCode::AUTH_CONTINUE {
            return Err(ClientError::Server(code));
        }
        let _ = (&data, &rng);
        let with_id = |id: u16, msg: Vec<u8>| {
            let mut out = Vec::with_capacity(2 + msg.len());
            out.extend_from_slice(&id.to_be_bytes());
            out.extend_from_slice(&msg);
            Some(Bytes::from(out))
        };
        match state {
            #[cfg(feature = "dhx2")]
            ChangeState::Dhcast128 { keys } => {
                match dhcast128::client_answer(&keys, data, &[&self.new, &self.old]) {
                    Ok((id, msg)) => {
                        self.state = ChangeState::Final;
                        Ok(with_id(id, msg))
                    }
                    Err(dhcast128::ReplyError::Short) => Err(ClientError::BadReply(
                        "DHCAST128 message 2 shorter than 50 bytes",
                    )),
                    Err(dhcast128::ReplyError::BadPublic) => Err(ClientError::BadGroup),
                }
            }
            #[cfg(feature = "dhx2")]
            ChangeState::Dhx2Offer => match dhx2::client_exchange(data, rng) {
                Ok((id, msg, exchange)) => {
                    self.state = ChangeState::Dhx2Proof { exchange };
                    Ok(with_id(id, msg))
                }
                Err(e) => Err(dhx2_error(e, "DHX2 message 2 truncated")),
            },
            #[cfg(feature = "dhx2")]
            ChangeState::Dhx2Proof { exchange } => {
                match dhx2::client_answer(&exchange, data, &[&self.new, &self.old]) {
                    Ok((id, msg)) => {
                        self.state = ChangeState::Final;
                        Ok(with_id(id, msg))
                    }
                    Err(e) => Err(dhx2_error(e, "DHX2 message 4 shorter than 34 bytes")),
                }
            }
            _ => Err(ClientError::BadReply("unexpected kFPAuthContinue")),
        }
    }
}
