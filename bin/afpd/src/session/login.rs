//! FPLogin, FPLoginExt, FPLoginCont and FPLogout (spec `afp-dsi.md` §5.1, §6, §2.8),
//! driving `afp_proto::uam` against [`crate::accounts::Accounts`].
//!
//! netatalk's rules (`etc/afpd/auth.c`), kept here:
//!
//! * The version string is matched with the length the client sent (`strncmp`), against
//!   the versions we advertise; no match (or an empty string) is kFPBadVersNum.
//! * Every login failure (bad version, unknown UAM, wrong password, bad FPLoginCont …) is
//!   answered with its code, then the connection is closed: DSIAttention 0x8000 and
//!   DSICloseSession (netatalk's `send_reply` calls `afp_dsi_die`).
//! * A login whose password has expired succeeds (kFPNoErr); afterwards every call but
//!   FPChangePassword and FPLogout gets kFPPwdExpiredErr ([`super::gate`]).
//! * Root (uid 0) is refused ([`crate::accounts::Accounts::verify`]).
//!
//! Password checks run on the session thread while it still has the server's
//! credentials (PAM reads `/etc/shadow`); after success the thread becomes the user
//! ([`crate::creds::Privilege::enter_session`]) and never goes back.

use afp_proto::command::{Login, LoginCont, LoginExt};
use afp_proto::uam::{self, LoggedIn, ServerLogin, ServerStep, VerifyRequest};
use afp_proto::{AfpVersion, ResultCode};

use super::{Effect, LoginState, Session};
use crate::accounts::{self, UserInfo};
use crate::cmd::Outcome;
use crate::logging;
use crate::server::status::VERSIONS;

/// The version a client's string selects: the first advertised version whose name starts
/// with the bytes sent (netatalk compares with the client's length).
pub fn match_version(sent: &[u8]) -> Option<AfpVersion> {
    if sent.is_empty() {
        return None;
    }
    VERSIONS
        .iter()
        .copied()
        .find(|v| v.as_str().as_bytes().starts_with(sent))
}

/// A user name as sent, as text: UTF-8 (precomposed, as account databases spell names),
/// else MacRoman (AFP 2 clients).
pub fn user_name_text(raw: &[u8]) -> String {
    match std::str::from_utf8(raw) {
        Ok(s) => afp_proto::name::precompose(s),
        Err(_) => afp_proto::name::decode_mac_roman(raw),
    }
}

/// FPLogin.
pub fn login(s: &mut Session, cmd: &Login) -> Outcome {
    if let Some(refused) = already(s) {
        return refused;
    }
    let Some(version) = match_version(&cmd.version) else {
        return fail(
            s,
            ResultCode::BAD_VERS_NUM,
            "-",
            "-",
            "unsupported AFP version",
        );
    };
    let mut rng = rand::rng();
    let (login, step) = s.runtime.uams.start_login_command(cmd, &mut rng);
    drive(s, version, login, step)
}

/// FPLoginExt.
pub fn login_ext(s: &mut Session, cmd: &LoginExt) -> Outcome {
    if let Some(refused) = already(s) {
        return refused;
    }
    let Some(version) = match_version(&cmd.version) else {
        return fail(
            s,
            ResultCode::BAD_VERS_NUM,
            "-",
            "-",
            "unsupported AFP version",
        );
    };
    let mut rng = rand::rng();
    let (login, step) = s.runtime.uams.start_login_ext_command(cmd, &mut rng);
    drive(s, version, login, step)
}

/// FPLoginCont.
pub fn login_cont(s: &mut Session, cmd: &LoginCont) -> Outcome {
    let state = std::mem::replace(&mut s.login, LoginState::NotLoggedIn);
    match state {
        LoginState::Authenticating(mut pending) => {
            let version = s.version;
            let mut rng = rand::rng();
            let step = pending.handle_login_cont_command(cmd, &mut rng);
            drive(s, version, *pending, step)
        }
        other => {
            // spec §5.1: "Without a pending login [N] answers kFPUserNotAuth", and closes.
            let logged_in = matches!(other, LoginState::LoggedIn | LoginState::PasswordExpired);
            s.login = other;
            if logged_in {
                return Outcome::err(ResultCode::USER_NOT_AUTH);
            }
            fail(
                s,
                ResultCode::USER_NOT_AUTH,
                "-",
                "-",
                "FPLoginCont without a pending login",
            )
        }
    }
}

/// FPLogout: closes every fork and volume; the DSI session stays open until the client
/// closes it. Before login it is a no-op.
pub fn logout(s: &mut Session) -> Outcome {
    if s.is_logged_in() {
        if let Some(u) = &s.user {
            logging::log_logout(s.version.as_str(), &u.name, s.client);
        }
        s.close_all();
        s.login = LoginState::LoggedOut;
    }
    Outcome::done()
}

/// A second login on a logged-in session.
fn already(s: &Session) -> Option<Outcome> {
    match s.login {
        LoginState::LoggedIn | LoginState::PasswordExpired | LoginState::LoggedOut => {
            // The thread runs as the user now; it cannot become anyone else.
            Some(Outcome::err(ResultCode::MISC_ERR))
        }
        LoginState::NotLoggedIn | LoginState::Authenticating(_) => None,
    }
}

/// Runs the UAM steps until it needs the client again or is done.
fn drive(
    s: &mut Session,
    version: AfpVersion,
    mut login: ServerLogin,
    step: ServerStep,
) -> Outcome {
    let method = login.uam().wire_name();
    let mut step = step;
    let mut verified: Option<UserInfo> = None;
    let mut user_for_log = String::from("-");
    loop {
        step = match step {
            ServerStep::Continue(reply) => {
                s.version = version;
                s.login = LoginState::Authenticating(Box::new(login));
                return Outcome::with(ResultCode::AUTH_CONTINUE, reply);
            }
            ServerStep::Verify(request) => {
                user_for_log = user_name_text(request.user());
                let verdict = verify(s, &request, &mut verified);
                drop(request); // wipes the password
                login.verified(verdict)
            }
            ServerStep::Done(Ok(logged_in)) => {
                return finish(s, version, &logged_in, verified.take(), method);
            }
            ServerStep::Done(Err(code)) => {
                let reason = code.description();
                return fail(s, code, &user_for_log, method, reason);
            }
        };
    }
}

/// Asks the account database; keeps the user it returns.
fn verify(s: &Session, request: &VerifyRequest, out: &mut Option<UserInfo>) -> uam::Verdict {
    let name = user_name_text(request.user());
    match s
        .runtime
        .accounts
        .verify(&name, request.password().as_bytes(), Some(s.client.ip()))
    {
        accounts::Verdict::Ok(user) => {
            *out = Some(user);
            uam::Verdict::Accept
        }
        accounts::Verdict::Expired(user) => {
            *out = Some(user);
            uam::Verdict::PasswordExpired
        }
        accounts::Verdict::Denied => uam::Verdict::Reject,
        accounts::Verdict::Unavailable(why) => {
            tracing::error!(target: "afpd::uam", user = %name, "account source failed: {why}");
            uam::Verdict::Fail(ResultCode::MISC_ERR)
        }
    }
}

/// A successful UAM exchange: switch the thread to the user and open the session.
fn finish(
    s: &mut Session,
    version: AfpVersion,
    logged_in: &LoggedIn,
    verified: Option<UserInfo>,
    method: &str,
) -> Outcome {
    let user = if logged_in.is_guest() {
        match s.runtime.accounts.guest() {
            Some(g) => g,
            None => return fail(s, ResultCode::MISC_ERR, "guest", method, "no guest account"),
        }
    } else {
        match verified {
            Some(u) => u,
            None => return fail(s, ResultCode::MISC_ERR, "-", method, "no verified user"),
        }
    };
    if user.uid == 0 {
        // spec §2.8: "uid 0 (root) is refused with kFPUserNotAuth".
        return fail(
            s,
            ResultCode::USER_NOT_AUTH,
            &user.name,
            method,
            "root login refused",
        );
    }
    if let Err(e) = s.ctx.privilege.enter_session(&user) {
        tracing::error!(target: "afpd::uam", user = %user.name, "cannot switch to the user's credentials: {e}");
        return fail(
            s,
            ResultCode::MISC_ERR,
            &user.name,
            method,
            "credential switch failed",
        );
    }
    let expired = logged_in.password_expired();
    s.version = version;
    s.uam = Some(logged_in.uam());
    s.login = if expired {
        LoginState::PasswordExpired
    } else {
        LoginState::LoggedIn
    };
    s.ctx
        .sessions
        .set_user(s.id, (!user.is_guest).then_some(user.uid));
    logging::log_login(version.as_str(), &user.name, s.client, method);
    if expired {
        tracing::info!(target: logging::SESSION_TARGET, user = %user.name, "password expired: only FPChangePassword and FPLogout until it is changed");
    }
    s.user = Some(user);
    // netatalk answers kFPNoErr even when the password expired (its `login()` returns
    // AFP_OK; an error here would close the connection); the next call gets -5042.
    Outcome::done()
}

/// A failed login: log, answer `code`, then close the connection (netatalk).
fn fail(s: &mut Session, code: ResultCode, user: &str, method: &str, reason: &str) -> Outcome {
    logging::log_login_failed(user, s.client, method, reason);
    s.login = LoginState::NotLoggedIn;
    s.effects.push(Effect::CloseAfterReply);
    Outcome::err(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_match_by_prefix_like_netatalk() {
        assert_eq!(match_version(b"AFP3.4"), Some(AfpVersion::V3_4));
        assert_eq!(match_version(b"AFPX03"), Some(AfpVersion::V3_0));
        assert_eq!(match_version(b"AFP2.2"), Some(AfpVersion::V2_2));
        assert_eq!(match_version(b"AFP3"), Some(AfpVersion::V3_1));
        assert_eq!(match_version(b""), None);
        assert_eq!(match_version(b"AFP3.5"), None);
        assert_eq!(match_version(b"AFPVersion 2.1"), None);
        assert_eq!(match_version(b"AFP3.4 and more"), None);
    }

    #[test]
    fn user_names_are_precomposed_or_mac_roman() {
        assert_eq!(user_name_text("Jo\u{0308}rg".as_bytes()), "Jörg");
        assert_eq!(user_name_text(&[b'J', 0x9A, b'r', b'g']), "Jörg");
    }
}
