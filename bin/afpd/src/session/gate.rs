//! Which AFP calls a session may make in its current state (spec `afp-dsi.md` §2.8, §2.1).
//!
//! netatalk switches between two dispatch tables (`etc/afpd/switch.c`):
//!
//! * before login (`preauth_switch`) only FPLogin, FPLoginCont, FPLogout and FPLoginExt
//!   have handlers; every other code, FPGetSrvrInfo included, is answered
//!   kFPCallNotSupported (-5024) and the session lives on;
//! * after login (`postauth_switch`) every call, gated by the negotiated AFP version
//!   ([`CommandCode::min_version`]); calls above the session's version get -5024 too;
//! * with an expired password (`afp_errpwdexpired`) everything except FPChangePassword and
//!   FPLogout is answered kFPPwdExpiredErr (-5042);
//! * after FPLogout the table is the pre-login one again.

use afp_proto::ResultCode;
use afp_proto::command::CommandCode;

use super::{LoginState, Session};

/// `Some(code)` when `code` must be refused in the session's state, without running it.
pub fn refuse(s: &Session, code: CommandCode) -> Option<ResultCode> {
    match s.login {
        LoginState::NotLoggedIn | LoginState::Authenticating(_) | LoginState::LoggedOut => {
            // spec §2.8 item 2: "AFP calls accepted: FPLogin (18), FPLoginCont (19),
            // FPLogout (20), FPLoginExt (63). Anything else → kFPCallNotSupported in [N]."
            (!code.allowed_before_login()).then_some(ResultCode::CALL_NOT_SUPPORTED)
        }
        LoginState::PasswordExpired => {
            // spec §2.8 item 5: "every call except FPChangePassword and FPLogout returns
            // -5042 until the password is changed".
            (!matches!(code, CommandCode::CHANGE_PASSWORD | CommandCode::LOGOUT))
                .then_some(ResultCode::PWD_EXPIRED_ERR)
        }
        LoginState::LoggedIn => {
            // spec §2.1: "[N] gate = minimum negotiated AFP version at which netatalk
            // enables the call after login"; unknown codes get kFPCallNotSupported.
            (!code.allowed_in(s.version)).then_some(ResultCode::CALL_NOT_SUPPORTED)
        }
    }
}
