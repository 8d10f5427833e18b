//! Server side of the login methods (spec §6, §5.1).
//!
//! Driving a login:
//!
//! 1. FPLogin / FPLoginExt arrives: call [`UamServer::start_login`] (UserAuthInfo holds the
//!    user name) or [`UamServer::start_login_ext`] (the user name came separately). You get
//!    a [`ServerLogin`] and its first [`ServerStep`].
//! 2. [`ServerStep::Continue`]: reply kFPAuthContinue with the bytes; the client's next
//!    FPLoginCont goes to [`ServerLogin::handle_login_cont`].
//! 3. [`ServerStep::Verify`]: check the user name and password against the account
//!    database, then call [`ServerLogin::verified`] with the [`Verdict`] (or let
//!    [`ServerLogin::settle`] ask a [`Verifier`]). Drop the request as soon as you are
//!    done: that wipes the password.
//! 4. [`ServerStep::Done`]: reply with [`LoggedIn::result_code`] (kFPNoErr, or
//!    kFPPwdExpiredErr for a session that may only change its password) or the error code,
//!    with no data. The login is over; further FPLoginCont get kFPUserNotAuth.
//!
//! Every error is final, as in netatalk (which closes the connection after a failed login
//! step): a wrong ID, a short message or a bad nonce ends the exchange.
//!
//! Password changes (FPChangePassword) run the same way through
//! [`UamServer::start_change_password`] and [`ServerChangePassword::handle`].

// Without `dhx2` some plumbing (the RNG, the kept passwords) has nothing to feed.
#![cfg_attr(not(feature = "dhx2"), allow(unused_variables, dead_code))]

use bytes::Bytes;
use rand::{CryptoRng, RngCore};

use super::{Password, Uam, split_login_user};
use crate::result::ResultCode;

#[cfg(feature = "dhx2")]
use super::{Dhx2Group, dhcast128, dhx2};

/// Cleartxt Passwrd's password field (spec §6.3).
const CLEARTEXT_LEN: usize = 8;

/// The login methods a server offers, and the DHX2 group it uses.
#[derive(Debug, Clone)]
pub struct UamServer {
    uams: Vec<Uam>,
    #[cfg(feature = "dhx2")]
    group: Dhx2Group,
}

impl UamServer {
    /// A server offering `uams` in this order (the order of the status block), with the
    /// default DHX2 group. Methods this crate does not implement are dropped
    /// ([`Uam::is_implemented`]), so they are never advertised; so are duplicates.
    pub fn new(uams: Vec<Uam>) -> UamServer {
        let mut kept: Vec<Uam> = Vec::with_capacity(uams.len());
        for u in uams {
            if u.is_implemented() && !kept.contains(&u) {
                kept.push(u);
            }
        }
        UamServer {
            uams: kept,
            #[cfg(feature = "dhx2")]
            group: Dhx2Group::default(),
        }
    }

    /// Uses `group` for DHX2 instead of the default (RFC 2409 Oakley group 2).
    #[cfg(feature = "dhx2")]
    pub fn with_dhx2_group(mut self, group: Dhx2Group) -> UamServer {
        self.group = group;
        self
    }

    /// The offered methods, for the status block.
    pub fn uams(&self) -> &[Uam] {
        &self.uams
    }

    /// The DHX2 group.
    #[cfg(feature = "dhx2")]
    pub fn dhx2_group(&self) -> &Dhx2Group {
        &self.group
    }

    /// The offered method a client's UAM name selects (case-insensitive prefix, §6.1).
    pub fn find(&self, client_name: &[u8]) -> Option<Uam> {
        Uam::find(&self.uams, client_name)
    }

    /// Starts an FPLogin. `auth` is its UserAuthInfo, which begins `auth_offset` bytes
    /// after the command byte (`1 + 1 + version.len() + 1 + uam.len()`); the offset decides
    /// where the pad byte after the user name goes.
    pub fn start_login<R: CryptoRng + RngCore>(
        &self,
        uam: &[u8],
        auth: &[u8],
        auth_offset: usize,
        rng: &mut R,
    ) -> (ServerLogin, ServerStep) {
        self.start(uam, None, auth, auth_offset, rng)
    }

    /// Starts an FPLoginExt: `user` is its UserName (UTF-8, type 3 already checked by the
    /// codec), `auth` its UserAuthInfo after the pad.
    pub fn start_login_ext<R: CryptoRng + RngCore>(
        &self,
        uam: &[u8],
        user: &[u8],
        auth: &[u8],
        rng: &mut R,
    ) -> (ServerLogin, ServerStep) {
        self.start(uam, Some(user), auth, 0, rng)
    }

    fn start<R: CryptoRng + RngCore>(
        &self,
        uam_name: &[u8],
        ext_user: Option<&[u8]>,
        auth: &[u8],
        auth_offset: usize,
        rng: &mut R,
    ) -> (ServerLogin, ServerStep) {
        let Some(uam) = self.find(uam_name) else {
            // spec §5.1: an unknown UAM gets kFPBadUAM.
            return ServerLogin::failed(Uam::NoUserAuthent, ResultCode::BAD_UAM);
        };
        if uam == Uam::NoUserAuthent {
            // spec §6.2: one message, kFPNoErr, the session runs as guest.
            let login = ServerLogin {
                uam,
                state: State::Finished,
            };
            return (login, ServerStep::Done(Ok(LoggedIn::new(uam, None, false))));
        }
        // FPLogin carries `pstr user, pad-to-even` first; FPLoginExt has the user apart.
        let (user, rest) = match ext_user {
            Some(user) => (user, auth),
            None => match split_login_user(auth, auth_offset) {
                Some(split) => split,
                None => return ServerLogin::failed(uam, ResultCode::PARAM_ERR),
            },
        };
        // netatalk: an empty user name is kFPParamErr in every password method.
        if user.is_empty() {
            return ServerLogin::failed(uam, ResultCode::PARAM_ERR);
        }
        let user = Bytes::copy_from_slice(user);
        match uam {
            Uam::CleartxtPasswrd => {
                // spec §6.3: "up to 8 bytes, NUL-padded to exactly 8".
                let Some(field) = rest.get(..CLEARTEXT_LEN) else {
                    return ServerLogin::failed(uam, ResultCode::PARAM_ERR);
                };
                let mut login = ServerLogin {
                    uam,
                    state: State::Finished,
                };
                let step = login.ask(user, Password::from_field(field));
                (login, step)
            }
            #[cfg(feature = "dhx2")]
            Uam::Dhcast128 => {
                let id = draw_id(rng);
                // spec §6.1: DHCAST128 UserAuthInfo is Ma (16 bytes) after the user.
                let Some(ma) = rest.get(..dhcast128::KEY_LEN) else {
                    return ServerLogin::failed(uam, ResultCode::PARAM_ERR);
                };
                match dhcast128::server_reply(id, ma, rng) {
                    Some((reply, secrets)) => (
                        ServerLogin {
                            uam,
                            state: State::Dhcast128 { id, secrets, user },
                        },
                        ServerStep::Continue(Bytes::from(reply)),
                    ),
                    None => ServerLogin::failed(uam, ResultCode::PARAM_ERR),
                }
            }
            #[cfg(feature = "dhx2")]
            Uam::Dhx2 => {
                let id = draw_id(rng);
                let (reply, exchange) = dhx2::server_offer(id, &self.group, rng);
                (
                    ServerLogin {
                        uam,
                        state: State::Dhx2Exchange { id, exchange, user },
                    },
                    ServerStep::Continue(Bytes::from(reply)),
                )
            }
            _ => ServerLogin::failed(uam, ResultCode::BAD_UAM),
        }
    }

    /// Starts an FPChangePassword. `uam` is its UAM name, `user` the account whose password
    /// changes (AFP 3: the logged-in user, the request carries none; AFP 2: the request's
    /// user name), `data` the UAM data after the user part.
    ///
    /// Only methods that were offered for login can change passwords. Answer
    /// kFPCallNotSupported yourself (before calling this) when password changes are off.
    pub fn start_change_password<R: CryptoRng + RngCore>(
        &self,
        uam: &[u8],
        user: &[u8],
        data: &[u8],
        rng: &mut R,
    ) -> (ServerChangePassword, ChangeStep) {
        let user = Bytes::copy_from_slice(user);
        let Some(uam) = self.find(uam).filter(|u| u.can_change_password()) else {
            return ServerChangePassword::failed(Uam::NoUserAuthent, user, ResultCode::BAD_UAM);
        };
        match uam {
            Uam::CleartxtPasswrd => {
                // spec §6.3: "8-byte old password, 8-byte new password".
                let Some(fields) = data.get(..2 * CLEARTEXT_LEN) else {
                    return ServerChangePassword::failed(uam, user, ResultCode::PARAM_ERR);
                };
                let old = Password::from_field(&fields[..CLEARTEXT_LEN]);
                let new = Password::from_field(&fields[CLEARTEXT_LEN..]);
                ServerChangePassword::ask(uam, user, old, new)
            }
            #[cfg(feature = "dhx2")]
            Uam::Dhcast128 => {
                // spec §6.5: "ID 0x0000 in the first message", then Ma.
                let (Some(&[0, 0]), Some(ma)) =
                    (data.get(..2), data.get(2..2 + dhcast128::KEY_LEN))
                else {
                    return ServerChangePassword::failed(uam, user, ResultCode::PARAM_ERR);
                };
                let id = draw_id(rng);
                match dhcast128::server_reply(id, ma, rng) {
                    Some((reply, secrets)) => (
                        ServerChangePassword {
                            uam,
                            user,
                            state: ChangeState::Dhcast128 { id, secrets },
                        },
                        ChangeStep::Continue(Bytes::from(reply)),
                    ),
                    None => ServerChangePassword::failed(uam, user, ResultCode::PARAM_ERR),
                }
            }
            #[cfg(feature = "dhx2")]
            Uam::Dhx2 => {
                // The first message's data (an ID of 0, or nothing at all from some
                // clients) carries no information; netatalk ignores it too.
                let id = draw_id(rng);
                let (reply, exchange) = dhx2::server_offer(id, &self.group, rng);
                (
                    ServerChangePassword {
                        uam,
                        user,
                        state: ChangeState::Dhx2Exchange { id, exchange },
                    },
                    ChangeStep::Continue(Bytes::from(reply)),
                )
            }
            _ => ServerChangePassword::failed(uam, user, ResultCode::BAD_UAM),
        }
    }
}

/// Adapters from the decoded commands of [`crate::command`].
impl UamServer {
    /// [`UamServer::start_login`] for a decoded FPLogin.
    pub fn start_login_command<R: CryptoRng + RngCore>(
        &self,
        cmd: &crate::command::Login,
        rng: &mut R,
    ) -> (ServerLogin, ServerStep) {
        self.start_login(
            &cmd.uam,
            &cmd.user_auth_info,
            cmd.user_auth_info_offset(),
            rng,
        )
    }

    /// [`UamServer::start_login_ext`] for a decoded FPLoginExt.
    pub fn start_login_ext_command<R: CryptoRng + RngCore>(
        &self,
        cmd: &crate::command::LoginExt,
        rng: &mut R,
    ) -> (ServerLogin, ServerStep) {
        self.start_login_ext(&cmd.uam, &cmd.user_name, &cmd.user_auth_info, rng)
    }

    /// [`UamServer::start_change_password`] for a decoded FPChangePassword.
    /// `logged_in_user` is the session's user; an AFP 2 request that names a user changes
    /// that user's password instead, as netatalk does.
    pub fn start_change_password_command<R: CryptoRng + RngCore>(
        &self,
        cmd: &crate::command::ChangePassword,
        logged_in_user: &[u8],
        rng: &mut R,
    ) -> (ServerChangePassword, ChangeStep) {
        let user = if cmd.user_name.is_empty() {
            logged_in_user
        } else {
            &cmd.user_name[..]
        };
        self.start_change_password(&cmd.uam, user, &cmd.data, rng)
    }
}

/// A login ID in 1..=0xFFFE: never 0 (DHCAST128 password changes use 0 for "first
/// message") and ID + 1 never wraps (netatalk compares ID + 1 as an int).
fn draw_id<R: CryptoRng + RngCore>(rng: &mut R) -> u16 {
    let mut b = [0u8; 2];
    rng.fill_bytes(&mut b);
    1 + u16::from_be_bytes(b) % 0xFFFE
}

/// What to do after feeding a login message to the server.
#[derive(Debug)]
#[must_use]
pub enum ServerStep {
    /// Reply kFPAuthContinue with these bytes and wait for FPLoginCont.
    Continue(Bytes),
    /// Check these credentials, then call [`ServerLogin::verified`].
    Verify(VerifyRequest),
    /// The login is over: reply with [`LoggedIn::result_code`] or the error code, no data.
    Done(Result<LoggedIn, ResultCode>),
}

/// A successful login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedIn {
    uam: Uam,
    user: Option<Bytes>,
    password_expired: bool,
}

impl LoggedIn {
    fn new(uam: Uam, user: Option<Bytes>, password_expired: bool) -> LoggedIn {
        LoggedIn {
            uam,
            user,
            password_expired,
        }
    }

    /// The method used.
    pub fn uam(&self) -> Uam {
        self.uam
    }

    /// The user name as the client sent it (FPLoginExt: UTF-8; FPLogin: the client's
    /// encoding); `None` for a guest.
    pub fn user(&self) -> Option<&[u8]> {
        self.user.as_deref()
    }

    /// True for a guest session (`No User Authent`).
    pub fn is_guest(&self) -> bool {
        self.user.is_none()
    }

    /// True when the verifier said [`Verdict::PasswordExpired`]: the session is logged in
    /// but may only call FPChangePassword and FPLogout (everything else gets
    /// kFPPwdExpiredErr), as netatalk does.
    pub fn password_expired(&self) -> bool {
        self.password_expired
    }

    /// The result code of the final reply: kFPNoErr, or kFPPwdExpiredErr.
    pub fn result_code(&self) -> ResultCode {
        if self.password_expired {
            ResultCode::PWD_EXPIRED_ERR
        } else {
            ResultCode::NO_ERR
        }
    }
}

/// Credentials for the account database. The password is wiped when this is dropped, and
/// `Debug` shows only the method and user.
#[derive(Debug)]
pub struct VerifyRequest {
    uam: Uam,
    user: Bytes,
    password: Password,
}

impl VerifyRequest {
    /// The method in use.
    pub fn uam(&self) -> Uam {
        self.uam
    }

    /// The user name as sent (FPLoginExt: UTF-8; FPLogin: the client's encoding,
    /// MacRoman for AFP 2 clients, UTF-8 for gvfs).
    pub fn user(&self) -> &[u8] {
        &self.user
    }

    /// The password: the bytes before the first NUL of the method's password field.
    pub fn password(&self) -> &Password {
        &self.password
    }
}

/// The account database's answer to a [`VerifyRequest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Right password: log in.
    Accept,
    /// Right password, but it has expired: log in with kFPPwdExpiredErr; the session may
    /// only change its password.
    PasswordExpired,
    /// Unknown user or wrong password: kFPUserNotAuth.
    Reject,
    /// The password must be changed before logging in: kFPPwdNeedsChangeErr.
    PasswordNeedsChange,
    /// Any other failure, answered with this code (kFPParamErr for a disabled account,
    /// kFPMiscErr when the database is unreachable …).
    Fail(ResultCode),
}

/// Checks credentials; implemented for every `FnMut(&VerifyRequest) -> Verdict`.
pub trait Verifier {
    /// Checks a login.
    fn verify(&mut self, request: &VerifyRequest) -> Verdict;

    /// Changes a password. The default refuses with kFPCallNotSupported.
    fn change_password(&mut self, request: &ChangeRequest) -> ChangeVerdict {
        let _ = request;
        ChangeVerdict::Fail(ResultCode::CALL_NOT_SUPPORTED)
    }
}

impl<F: FnMut(&VerifyRequest) -> Verdict> Verifier for F {
    fn verify(&mut self, request: &VerifyRequest) -> Verdict {
        self(request)
    }
}

enum State {
    #[cfg(feature = "dhx2")]
    Dhcast128 {
        id: u16,
        secrets: dhcast128::ServerSecrets,
        user: Bytes,
    },
    #[cfg(feature = "dhx2")]
    Dhx2Exchange {
        id: u16,
        exchange: dhx2::ServerExchange,
        user: Bytes,
    },
    #[cfg(feature = "dhx2")]
    Dhx2Proof {
        id: u16,
        proof: dhx2::ServerProof,
        user: Bytes,
    },
    Verifying {
        user: Bytes,
    },
    Finished,
}

/// One login in progress on the server (see the module docs for the driving loop).
pub struct ServerLogin {
    uam: Uam,
    state: State,
}

impl core::fmt::Debug for ServerLogin {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let state = match self.state {
            #[cfg(feature = "dhx2")]
            State::Dhcast128 { .. } => "awaiting message 3",
            #[cfg(feature = "dhx2")]
            State::Dhx2Exchange { .. } => "awaiting message 3",
            #[cfg(feature = "dhx2")]
            State::Dhx2Proof { .. } => "awaiting message 5",
            State::Verifying { .. } => "awaiting verdict",
            State::Finished => "finished",
        };
        f.debug_struct("ServerLogin")
            .field("uam", &self.uam)
            .field("state", &state)
            .finish()
    }
}

impl ServerLogin {
    fn failed(uam: Uam, code: ResultCode) -> (ServerLogin, ServerStep) {
        (
            ServerLogin {
                uam,
                state: State::Finished,
            },
            ServerStep::Done(Err(code)),
        )
    }

    /// The method (kFPBadUAM logins report `No User Authent`).
    pub fn uam(&self) -> Uam {
        self.uam
    }

    /// True once the login is over (succeeded or failed).
    pub fn is_finished(&self) -> bool {
        matches!(self.state, State::Finished)
    }

    /// True while a [`ServerStep::Verify`] is waiting for [`ServerLogin::verified`].
    pub fn is_verifying(&self) -> bool {
        matches!(self.state, State::Verifying { .. })
    }

    /// Feeds an FPLoginCont: `id` is its ID field, `data` what follows it.
    pub fn handle_login_cont<R: CryptoRng + RngCore>(
        &mut self,
        id: u16,
        data: &[u8],
        rng: &mut R,
    ) -> ServerStep {
        let state = core::mem::replace(&mut self.state, State::Finished);
        match state {
            #[cfg(feature = "dhx2")]
            State::Dhcast128 {
                id: want,
                secrets,
                user,
            } => {
                // [N] uams_dhx: a session ID other than its own is kFPParamErr.
                if id != want {
                    return ServerStep::Done(Err(ResultCode::PARAM_ERR));
                }
                // 80 bytes of ciphertext; netatalk ignores anything after them.
                let Some(cipher) = data.get(..dhcast128::LOGIN_CIPHER_LEN) else {
                    return ServerStep::Done(Err(ResultCode::PARAM_ERR));
                };
                // spec §6.5: "kFPParamErr (nonce check failed in [N])".
                match dhcast128::server_open(&secrets, cipher, 1) {
                    Some(mut pw) => self.ask(user, pw.remove(0)),
                    None => ServerStep::Done(Err(ResultCode::PARAM_ERR)),
                }
            }
            #[cfg(feature = "dhx2")]
            State::Dhx2Exchange {
                id: want,
                exchange,
                user,
            } => {
                // spec §6.6: "ID → step 3, ID+1 → step 5, anything else → kFPParamErr".
                if id != want {
                    return ServerStep::Done(Err(ResultCode::PARAM_ERR));
                }
                match dhx2::server_prove(&exchange, data, rng) {
                    Ok((msg, proof)) => {
                        let next = want + 1;
                        let mut reply = Vec::with_capacity(34);
                        reply.extend_from_slice(&next.to_be_bytes());
                        reply.extend_from_slice(&msg);
                        self.state = State::Dhx2Proof {
                            id: next,
                            proof,
                            user,
                        };
                        ServerStep::Continue(Bytes::from(reply))
                    }
                    Err(_) => ServerStep::Done(Err(ResultCode::PARAM_ERR)),
                }
            }
            #[cfg(feature = "dhx2")]
            State::Dhx2Proof {
                id: want,
                proof,
                user,
            } => {
                if id != want {
                    return ServerStep::Done(Err(ResultCode::PARAM_ERR));
                }
                // spec §6.6: 2 + 272 bytes, "older Apple clients send 10 extra bytes: 284;
                // ignore them" — netatalk accepts exactly these two sizes.
                let n = data.len();
                if n != dhx2::LOGIN_CIPHER_LEN && n != dhx2::LOGIN_CIPHER_LEN + dhx2::LOGIN_EXTRA {
                    return ServerStep::Done(Err(ResultCode::PARAM_ERR));
                }
                // spec §6.6: message 5's nonce must be serverNonce+1 ("mismatch → [N]
                // kFPUserNotAuth").
                match dhx2::server_open(&proof, &data[..dhx2::LOGIN_CIPHER_LEN], 1) {
                    Some(mut pw) => self.ask(user, pw.remove(0)),
                    None => ServerStep::Done(Err(ResultCode::USER_NOT_AUTH)),
                }
            }
            State::Verifying { .. } => {
                // The client did not wait for our answer; the login cannot go on.
                ServerStep::Done(Err(ResultCode::USER_NOT_AUTH))
            }
            State::Finished => {
                let _ = (id, data, rng);
                // spec §5.1: "Without a pending login [N] answers kFPUserNotAuth."
                ServerStep::Done(Err(ResultCode::USER_NOT_AUTH))
            }
        }
    }

    /// [`ServerLogin::handle_login_cont`] for a decoded FPLoginCont.
    pub fn handle_login_cont_command<R: CryptoRng + RngCore>(
        &mut self,
        cmd: &crate::command::LoginCont,
        rng: &mut R,
    ) -> ServerStep {
        self.handle_login_cont(cmd.id, &cmd.data, rng)
    }

    fn ask(&mut self, user: Bytes, password: Password) -> ServerStep {
        self.state = State::Verifying { user: user.clone() };
        ServerStep::Verify(VerifyRequest {
            uam: self.uam,
            user,
            password,
        })
    }

    /// Answers the pending [`ServerStep::Verify`]. Without one, the answer is
    /// kFPUserNotAuth.
    pub fn verified(&mut self, verdict: Verdict) -> ServerStep {
        let State::Verifying { user } = core::mem::replace(&mut self.state, State::Finished) else {
            return ServerStep::Done(Err(ResultCode::USER_NOT_AUTH));
        };
        ServerStep::Done(match verdict {
            Verdict::Accept => Ok(LoggedIn::new(self.uam, Some(user), false)),
            Verdict::PasswordExpired => Ok(LoggedIn::new(self.uam, Some(user), true)),
            Verdict::Reject => Err(ResultCode::USER_NOT_AUTH),
            Verdict::PasswordNeedsChange => Err(ResultCode::PWD_NEEDS_CHANGE_ERR),
            Verdict::Fail(code) => Err(code),
        })
    }

    /// Resolves a [`ServerStep::Verify`] with `verifier` (other steps pass through).
    pub fn settle(&mut self, step: ServerStep, verifier: &mut impl Verifier) -> ServerStep {
        match step {
            ServerStep::Verify(request) => {
                let verdict = verifier.verify(&request);
                drop(request);
                self.verified(verdict)
            }
            other => other,
        }
    }
}

/// What to do after feeding an FPChangePassword message to the server.
#[derive(Debug)]
#[must_use]
pub enum ChangeStep {
    /// Reply kFPAuthContinue with these bytes; the client sends another FPChangePassword.
    Continue(Bytes),
    /// Check the old password and store the new one, then call
    /// [`ServerChangePassword::verified`].
    Verify(ChangeRequest),
    /// Over: reply with this code (kFPNoErr when the password changed).
    Done(ResultCode),
}

/// A password change for the account database. Both passwords are wiped on drop.
#[derive(Debug)]
pub struct ChangeRequest {
    uam: Uam,
    user: Bytes,
    old: Password,
    new: Password,
}

impl ChangeRequest {
    /// The method in use.
    pub fn uam(&self) -> Uam {
        self.uam
    }

    /// The account.
    pub fn user(&self) -> &[u8] {
        &self.user
    }

    /// The current password, to check.
    pub fn old_password(&self) -> &Password {
        &self.old
    }

    /// The new password, to store.
    pub fn new_password(&self) -> &Password {
        &self.new
    }
}

/// The account database's answer to a [`ChangeRequest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeVerdict {
    /// The old password was right and the new one is stored: kFPNoErr.
    Changed,
    /// The old password is wrong: kFPUserNotAuth.
    Reject,
    /// Refused with this code (kFPPwdTooShortErr, kFPPwdPolicyErr, kFPAccessDenied …).
    Fail(ResultCode),
}

enum ChangeState {
    #[cfg(feature = "dhx2")]
    Dhcast128 {
        id: u16,
        secrets: dhcast128::ServerSecrets,
    },
    #[cfg(feature = "dhx2")]
    Dhx2Exchange {
        id: u16,
        exchange: dhx2::ServerExchange,
    },
    #[cfg(feature = "dhx2")]
    Dhx2Proof {
        id: u16,
        proof: dhx2::ServerProof,
    },
    Verifying,
    Finished,
}

/// One password change in progress on the server.
pub struct ServerChangePassword {
    uam: Uam,
    user: Bytes,
    state: ChangeState,
}

impl core::fmt::Debug for ServerChangePassword {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ServerChangePassword")
            .field("uam", &self.uam)
            .field("user", &self.user)
            .field("finished", &matches!(self.state, ChangeState::Finished))
            .finish()
    }
}

impl ServerChangePassword {
    fn failed(uam: Uam, user: Bytes, code: ResultCode) -> (ServerChangePassword, ChangeStep) {
        (
            ServerChangePassword {
                uam,
                user,
                state: ChangeState::Finished,
            },
            ChangeStep::Done(code),
        )
    }

    fn ask(
        uam: Uam,
        user: Bytes,
        old: Password,
        new: Password,
    ) -> (ServerChangePassword, ChangeStep) {
        let mut change = ServerChangePassword {
            uam,
            user,
            state: ChangeState::Finished,
        };
        let step = change.request(old, new);
        (change, step)
    }

    fn request(&mut self, old: Password, new: Password) -> ChangeStep {
        // [N]: new and old password equal → kFPPwdSameErr, before checking anything else.
        if old == new {
            self.state = ChangeState::Finished;
            return ChangeStep::Done(ResultCode::PWD_SAME_ERR);
        }
        self.state = ChangeState::Verifying;
        ChangeStep::Verify(ChangeRequest {
            uam: self.uam,
            user: self.user.clone(),
            old,
            new,
        })
    }

    /// The method.
    pub fn uam(&self) -> Uam {
        self.uam
    }

    /// True once the change is over.
    pub fn is_finished(&self) -> bool {
        matches!(self.state, ChangeState::Finished)
    }

    /// Feeds the UAM data of a follow-up FPChangePassword (starting with its ID).
    pub fn handle<R: CryptoRng + RngCore>(&mut self, data: &[u8], rng: &mut R) -> ChangeStep {
        let state = core::mem::replace(&mut self.state, ChangeState::Finished);
        let id = data.get(..2).map(|b| u16::from_be_bytes([b[0], b[1]]));
        let body = data.get(2..).unwrap_or(&[]);
        match state {
            #[cfg(feature = "dhx2")]
            ChangeState::Dhcast128 { id: want, secrets } => {
                if id != Some(want) {
                    return ChangeStep::Done(ResultCode::PARAM_ERR);
                }
                // spec §6.5: the plaintext is nonce+1 (16) ‖ new (64) ‖ old (64).
                let Some(cipher) = body.get(..dhcast128::CHANGE_CIPHER_LEN) else {
                    return ChangeStep::Done(ResultCode::PARAM_ERR);
                };
                match dhcast128::server_open(&secrets, cipher, 2) {
                    Some(mut pw) => {
                        let old = pw.pop().unwrap_or_default();
                        let new = pw.pop().unwrap_or_default();
                        self.request(old, new)
                    }
                    None => ChangeStep::Done(ResultCode::PARAM_ERR),
                }
            }
            #[cfg(feature = "dhx2")]
            ChangeState::Dhx2Exchange { id: want, exchange } => {
                if id != Some(want) {
                    return ChangeStep::Done(ResultCode::PARAM_ERR);
                }
                match dhx2::server_prove(&exchange, body, rng) {
                    Ok((msg, proof)) => {
                        let next = want + 1;
                        let mut reply = Vec::with_capacity(34);
                        reply.extend_from_slice(&next.to_be_bytes());
                        reply.extend_from_slice(&msg);
                        self.state = ChangeState::Dhx2Proof { id: next, proof };
                        ChangeStep::Continue(Bytes::from(reply))
                    }
                    Err(_) => ChangeStep::Done(ResultCode::PARAM_ERR),
                }
            }
            #[cfg(feature = "dhx2")]
            ChangeState::Dhx2Proof { id: want, proof } => {
                if id != Some(want) {
                    return ChangeStep::Done(ResultCode::PARAM_ERR);
                }
                // spec §6.6: "[N] requires UAM data of 2 + 16 + 512".
                if body.len() != dhx2::CHANGE_CIPHER_LEN {
                    return ChangeStep::Done(ResultCode::PARAM_ERR);
                }
                match dhx2::server_open(&proof, body, 2) {
                    Some(mut pw) => {
                        let old = pw.pop().unwrap_or_default();
                        let new = pw.pop().unwrap_or_default();
                        self.request(old, new)
                    }
                    None => ChangeStep::Done(ResultCode::USER_NOT_AUTH),
                }
            }
            ChangeState::Verifying | ChangeState::Finished => {
                let _ = (id, body, rng);
                ChangeStep::Done(ResultCode::USER_NOT_AUTH)
            }
        }
    }

    /// Answers the pending [`ChangeStep::Verify`]. Without one, the answer is
    /// kFPUserNotAuth.
    pub fn verified(&mut self, verdict: ChangeVerdict) -> ChangeStep {
        if !matches!(self.state, ChangeState::Verifying) {
            return ChangeStep::Done(ResultCode::USER_NOT_AUTH);
        }
        self.state = ChangeState::Finished;
        ChangeStep::Done(match verdict {
            ChangeVerdict::Changed => ResultCode::NO_ERR,
            ChangeVerdict::Reject => ResultCode::USER_NOT_AUTH,
            ChangeVerdict::Fail(code) => code,
        })
    }

    /// Resolves a [`ChangeStep::Verify`] with `verifier` (other steps pass through).
    pub fn settle(&mut self, step: ChangeStep, verifier: &mut impl Verifier) -> ChangeStep {
        match step {
            ChangeStep::Verify(request) => {
                let verdict = verifier.change_password(&request);
                drop(request);
                self.verified(verdict)
            }
            other => other,
        }
    }
}
