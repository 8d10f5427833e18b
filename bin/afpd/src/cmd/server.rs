//! Session-level commands (spec `afp-dsi.md` §5.1, §5.11, §6.8), as netatalk answers them
//! (`etc/afpd/auth.c`, `status.c`, `messages.c`, `directory.c`):
//!
//! | command | notes |
//! |---|---|
//! | FPLogin, FPLoginExt, FPLoginCont, FPLogout | [`crate::session::login`] |
//! | FPGetSrvrInfo | the status block of this session's configuration |
//! | FPGetUserInfo | ThisUser must be set (kFPParamErr), unknown bits kFPBitmapErr; uid, gid of the session, UUID (netatalk's local UUIDs) |
//! | FPGetSrvrMsg | type 0 = `login message`, 1 = server message; else kFPBitmapErr; UTF-8 with bitmap bit 1 |
//! | FPMapID, FPMapName | users and groups of the system (and password-file users of an unprivileged server); UUID subfunctions from AFP 3.2 |
//! | FPChangePassword | only with `set password = yes` (or an expired password); verified and stored on the root service thread |
//! | FPGetSessionToken | 8-byte token; types 3/4 end sessions of a rebooted client |
//! | FPDisconnectOldSession | token length 8 (else kFPMiscErr); primary reconnect through the session registry |
//! | FPZzzzz | tells the DSI session it sleeps; replies the hours a sleeping session is kept |

use afp_proto::command::{
    ChangePassword, DisconnectOldSession, GetSessionToken, GetSrvrMsg, GetUserInfo, MapId,
    MapIdKey, MapIdReply, MapName, MapNameReply, Reply, Request, SRVR_MSG_UTF8, ServerMessage,
    SessionToken, UserInfo, UserInfoBitmap, Zzzzz,
};
use afp_proto::uam::{ChangeStep, ChangeVerdict};
use afp_proto::{AfpVersion, ResultCode};
use bytes::{Bytes, BytesMut};

use super::Outcome;
use crate::accounts::{PasswordChange, unix};
use crate::server::registry::TOKEN_LEN;
use crate::session::{Effect, LoginState, Session, login};

/// netatalk's local user UUID prefix: `FFFFEEEE-DDDD-CCCC-BBBB-AAAA` + the uid (4 bytes).
const LOCAL_USER_UUID: [u8; 12] = [
    0xff, 0xff, 0xee, 0xee, 0xdd, 0xdd, 0xcc, 0xcc, 0xbb, 0xbb, 0xaa, 0xaa,
];
/// netatalk's local group UUID prefix: `ABCDEFAB-CDEF-ABCD-EFAB-CDEF` + the gid.
const LOCAL_GROUP_UUID: [u8; 12] = [
    0xab, 0xcd, 0xef, 0xab, 0xcd, 0xef, 0xab, 0xcd, 0xef, 0xab, 0xcd, 0xef,
];

/// The UUID of user `uid` (netatalk `localuuid_from_id`, used when no LDAP is set up).
pub fn user_uuid(uid: u32) -> [u8; 16] {
    local_uuid(&LOCAL_USER_UUID, uid)
}

/// The UUID of group `gid`.
pub fn group_uuid(gid: u32) -> [u8; 16] {
    local_uuid(&LOCAL_GROUP_UUID, gid)
}

fn local_uuid(prefix: &[u8; 12], id: u32) -> [u8; 16] {
    let mut u = [0u8; 16];
    u[..12].copy_from_slice(prefix);
    u[12..].copy_from_slice(&id.to_be_bytes());
    u
}

/// What a UUID names: `(1, uid)` for a user, `(2, gid)` for a group (netatalk's kinds).
pub fn uuid_owner(uuid: &[u8; 16]) -> Option<(u32, u32)> {
    let id = u32::from_be_bytes([uuid[12], uuid[13], uuid[14], uuid[15]]);
    if uuid[..12] == LOCAL_USER_UUID {
        Some((1, id))
    } else if uuid[..12] == LOCAL_GROUP_UUID {
        Some((2, id))
    } else {
        None
    }
}

/// Answers the session-level calls; `None` for everything else.
pub fn dispatch(s: &mut Session, req: &Request) -> Option<Outcome> {
    Some(match req {
        Request::Login(c) => login::login(s, c),
        Request::LoginExt(c) => login::login_ext(s, c),
        Request::LoginCont(c) => login::login_cont(s, c),
        Request::Logout(_) => login::logout(s),
        Request::GetSrvrInfo(_) => Outcome::ok(s.runtime.status.clone()),
        Request::GetUserInfo(c) => get_user_info(s, c),
        Request::GetSrvrMsg(c) => get_srvr_msg(s, c),
        Request::MapId(c) => map_id(s, c),
        Request::MapName(c) => map_name(s, c),
        Request::ChangePassword(c) => change_password(s, c),
        Request::GetSessionToken(c) => get_session_token(s, c),
        Request::DisconnectOldSession(c) => disconnect_old_session(s, c),
        Request::Zzzzz(c) => zzzzz(s, c),
        _ => return None,
    })
}

fn encode(reply: &Reply) -> Bytes {
    let mut b = BytesMut::new();
    reply.encode(&mut b);
    b.freeze()
}

/// FPGetUserInfo.
fn get_user_info(s: &Session, c: &GetUserInfo) -> Outcome {
    // spec §5.1: "Flags: bit 0 = ThisUser (must be 1; [N] else kFPParamErr)".
    if c.flags & GetUserInfo::THIS_USER == 0 {
        return Outcome::err(ResultCode::PARAM_ERR);
    }
    // spec §5.1: "Unknown bits → kFPBitmapErr".
    if !UserInfoBitmap::all().contains(c.bitmap) {
        return Outcome::err(ResultCode::BITMAP_ERR);
    }
    let Some(user) = &s.user else {
        return Outcome::err(ResultCode::MISC_ERR);
    };
    let info = UserInfo {
        user_id: c
            .bitmap
            .contains(UserInfoBitmap::USER_ID)
            .then_some(user.uid),
        group_id: c
            .bitmap
            .contains(UserInfoBitmap::PRIMARY_GROUP_ID)
            .then_some(user.gid),
        uuid: c
            .bitmap
            .contains(UserInfoBitmap::UUID)
            .then(|| user_uuid(user.uid)),
    };
    Outcome::ok(encode(&Reply::GetUserInfo(info)))
}

/// FPGetSrvrMsg.
fn get_srvr_msg(s: &Session, c: &GetSrvrMsg) -> Outcome {
    let text = match c.kind {
        0 => s.config.global.login_message.clone().unwrap_or_default(),
        // No server message is set at run time (netatalk reads one on SIGUSR2).
        1 => String::new(),
        _ => return Outcome::err(ResultCode::BITMAP_ERR),
    };
    let utf8 = c.bitmap & SRVR_MSG_UTF8 != 0 && s.version.is_afp3();
    // netatalk: "message: up to 199 bytes (dsi attn size - 2)".
    let message = if utf8 {
        truncate_utf8(afp_proto::name::decompose(&text).into_bytes(), 199)
    } else {
        text.chars()
            .filter_map(afp_proto::name::char_to_mac_roman)
            .take(199)
            .collect()
    };
    let bitmap = if utf8 {
        c.bitmap
    } else {
        c.bitmap & !SRVR_MSG_UTF8
    };
    Outcome::ok(encode(&Reply::GetSrvrMsg(ServerMessage {
        kind: c.kind,
        bitmap,
        message: Bytes::from(message),
    })))
}

/// Cuts UTF-8 bytes to at most `max` without splitting a character.
fn truncate_utf8(mut b: Vec<u8>, max: usize) -> Vec<u8> {
    if b.len() > max {
        let mut end = max;
        while end > 0 && (b[end] & 0xC0) == 0x80 {
            end -= 1;
        }
        b.truncate(end);
    }
    b
}

/// A user or group name for FPMapID: system accounts; for an unprivileged server the
/// server's own uid maps to the logged-in (virtual) user's name.
fn user_name_of(s: &Session, uid: u32) -> Option<String> {
    if let Some(u) = &s.user
        && u.uid == uid
        && !u.system_account
    {
        return Some(u.name.clone());
    }
    unix::user_by_uid(uid).ok().flatten().map(|u| u.name)
}

fn group_name_of(gid: u32) -> Option<String> {
    unix::group_name(gid)
}

/// FPMapID.
fn map_id(s: &Session, c: &MapId) -> Outcome {
    let sub = c.subfunction;
    // netatalk: subfunctions 3–6 need AFP 3, 5–6 AFP 3.2; others are kFPParamErr.
    if (3..=6).contains(&sub) && !s.version.is_afp3() {
        return Outcome::err(ResultCode::PARAM_ERR);
    }
    let reply = match (sub, c.key) {
        (1..=4, MapIdKey::Id(id)) => {
            let name = if id == 0 {
                // spec §5.11: "ID 0 maps to an empty name ([N])".
                Some(String::new())
            } else if sub == 1 || sub == 3 {
                user_name_of(s, id)
            } else {
                group_name_of(id)
            };
            let Some(name) = name else {
                return Outcome::err(ResultCode::ITEM_NOT_FOUND);
            };
            if sub <= 2 {
                let legacy: Vec<u8> = name
                    .chars()
                    .filter_map(afp_proto::name::char_to_mac_roman)
                    .take(255)
                    .collect();
                MapIdReply::Name(Bytes::from(legacy))
            } else {
                MapIdReply::Utf8Name(Bytes::from(afp_proto::name::decompose(&name).into_bytes()))
            }
        }
        (5 | 6, MapIdKey::Uuid(uuid)) => {
            if s.version < AfpVersion::V3_2 {
                return Outcome::err(ResultCode::PARAM_ERR);
            }
            let Some((kind, id)) = uuid_owner(&uuid) else {
                return Outcome::err(ResultCode::ITEM_NOT_FOUND);
            };
            let name = if kind == 1 {
                user_name_of(s, id)
            } else {
                group_name_of(id)
            };
            let Some(name) = name else {
                return Outcome::err(ResultCode::ITEM_NOT_FOUND);
            };
            MapIdReply::Uuid {
                kind,
                id,
                name: Bytes::from(afp_proto::name::decompose(&name).into_bytes()),
            }
        }
        _ => return Outcome::err(ResultCode::PARAM_ERR),
    };
    Outcome::ok(encode(&Reply::MapId(reply)))
}

/// A uid for a user name: system accounts, or the logged-in virtual user.
fn uid_of(s: &Session, name: &str) -> Option<u32> {
    if let Some(u) = &s.user
        && !u.system_account
        && u.name == name
    {
        return Some(u.uid);
    }
    unix::user_info(name).ok().flatten().map(|u| u.uid)
}

/// FPMapName.
fn map_name(s: &Session, c: &MapName) -> Outcome {
    let sub = c.subfunction;
    match sub {
        1 | 2 if !s.version.is_afp3() => return Outcome::err(ResultCode::PARAM_ERR),
        5 | 6 if s.version < AfpVersion::V3_2 => return Outcome::err(ResultCode::PARAM_ERR),
        1..=6 => {}
        _ => return Outcome::err(ResultCode::PARAM_ERR),
    }
    if c.name.is_empty() {
        return Outcome::err(ResultCode::PARAM_ERR);
    }
    let name = if sub == 3 || sub == 4 {
        afp_proto::name::decode_mac_roman(&c.name)
    } else {
        login::user_name_text(&c.name)
    };
    let reply = match sub {
        1 | 3 => uid_of(s, &name).map(MapNameReply::Id),
        2 | 4 => unix::group_id(&name).ok().flatten().map(MapNameReply::Id),
        5 => uid_of(s, &name).map(|u| MapNameReply::Uuid(user_uuid(u))),
        _ => unix::group_id(&name)
            .ok()
            .flatten()
            .map(|g| MapNameReply::Uuid(group_uuid(g))),
    };
    match reply {
        Some(r) => Outcome::ok(encode(&Reply::MapName(r))),
        None => Outcome::err(ResultCode::ITEM_NOT_FOUND),
    }
}

/// FPChangePassword.
fn change_password(s: &mut Session, c: &ChangePassword) -> Outcome {
    let expired = matches!(s.login, LoginState::PasswordExpired);
    // netatalk: "check if password change is allowed … NOOP for now". An expired password
    // must be changeable, or the user could never log in again.
    if !s.config.global.set_password && !expired {
        return Outcome::err(ResultCode::CALL_NOT_SUPPORTED);
    }
    // spec §5.1: "AFP 3.x: the user name is omitted and the two bytes must be 00 00".
    if s.version.is_afp3() && !c.user_name.is_empty() {
        return Outcome::err(ResultCode::PARAM_ERR);
    }
    let Some(user) = s.user.clone() else {
        return Outcome::err(ResultCode::USER_NOT_AUTH);
    };
    if user.is_guest {
        return Outcome::err(ResultCode::ACCESS_DENIED);
    }
    let mut rng = rand::rng();
    let continuing = c.data.len() >= 2 && c.data[..2] != [0, 0];
    let step = match s.change_password.take() {
        Some(mut pending) if continuing => {
            let step = pending.handle(&c.data, &mut rng);
            s.change_password = Some(pending);
            step
        }
        _ => {
            let (change, step) =
                s.runtime
                    .uams
                    .start_change_password_command(c, user.name.as_bytes(), &mut rng);
            s.change_password = Some(Box::new(change));
            step
        }
    };
    let step = match step {
        ChangeStep::Verify(request) => {
            let accounts = s.runtime.accounts.clone();
            let name = user.name.clone();
            let old = zeroize::Zeroizing::new(request.old_password().as_bytes().to_vec());
            let new = zeroize::Zeroizing::new(request.new_password().as_bytes().to_vec());
            drop(request);
            let ip = s.client.ip();
            // The session thread runs as the user: the password file and PAM need root.
            let result = s
                .ctx
                .root
                .run(move || accounts.change_password(&name, &old, &new, Some(ip)));
            let verdict = match result {
                Some(PasswordChange::Changed) => ChangeVerdict::Changed,
                Some(PasswordChange::Denied) => ChangeVerdict::Reject,
                Some(PasswordChange::SameAsOld) => ChangeVerdict::Fail(ResultCode::PWD_SAME_ERR),
                Some(PasswordChange::TooShort) => {
                    ChangeVerdict::Fail(ResultCode::PWD_TOO_SHORT_ERR)
                }
                Some(PasswordChange::Rejected(why)) => {
                    tracing::info!(target: "afpd::uam", user = %user.name, "new password refused: {why}");
                    ChangeVerdict::Fail(ResultCode::PWD_POLICY_ERR)
                }
                Some(PasswordChange::Unavailable(why)) => {
                    tracing::error!(target: "afpd::uam", user = %user.name, "password change failed: {why}");
                    ChangeVerdict::Fail(ResultCode::MISC_ERR)
                }
                None => ChangeVerdict::Fail(ResultCode::MISC_ERR),
            };
            match s.change_password.as_mut() {
                Some(pending) => pending.verified(verdict),
                None => ChangeStep::Done(ResultCode::MISC_ERR),
            }
        }
        other => other,
    };
    match step {
        ChangeStep::Continue(bytes) => Outcome::with(ResultCode::AUTH_CONTINUE, bytes),
        ChangeStep::Done(code) => {
            s.change_password = None;
            if code == ResultCode::NO_ERR {
                tracing::info!(target: crate::logging::SESSION_TARGET, user = %user.name, "password changed");
                if expired {
                    s.login = LoginState::LoggedIn;
                }
            }
            Outcome::err(code)
        }
        ChangeStep::Verify(_) => Outcome::err(ResultCode::MISC_ERR),
    }
}

/// FPGetSessionToken.
fn get_session_token(s: &mut Session, c: &GetSessionToken) -> Outcome {
    if s.user.as_ref().is_some_and(|u| u.is_guest) {
        // spec §6.2: "guests are never allowed to reconnect".
        return Outcome::err(ResultCode::MISC_ERR);
    }
    match c.kind.0 {
        0 => {}
        1 | 2 => {
            // netatalk answers only when the ID is there.
            if c.id.is_empty() {
                return Outcome::err(ResultCode::MISC_ERR);
            }
            s.ctx.sessions.set_client_id(s.id, c.id.clone(), None);
        }
        3 | 4 => {
            // netatalk: "idlen > (90-10) → kFPParamErr".
            if c.id.len() > 80 {
                return Outcome::err(ResultCode::PARAM_ERR);
            }
            let ended = s
                .ctx
                .sessions
                .set_client_id(s.id, c.id.clone(), c.timestamp);
            if ended > 0 {
                tracing::info!(target: crate::logging::SESSION_TARGET, session = %s.id, ended, "client rebooted: its old sessions were ended");
            }
        }
        // Kerberos session key: no Kerberos here.
        8 => return Outcome::err(ResultCode::MISC_ERR),
        // Recon1 (5–7) and unknown types.
        _ => return Outcome::err(ResultCode::CALL_NOT_SUPPORTED),
    }
    let token = s.ctx.sessions.token(s.id);
    Outcome::ok(encode(&Reply::GetSessionToken(SessionToken {
        token: Bytes::copy_from_slice(&token),
    })))
}

/// FPDisconnectOldSession.
fn disconnect_old_session(s: &mut Session, c: &DisconnectOldSession) -> Outcome {
    // spec §5.1: "[N] requires TokenLength 8 (else kFPMiscErr)".
    if c.token.len() != TOKEN_LEN {
        return Outcome::err(ResultCode::MISC_ERR);
    }
    if s.user.as_ref().is_none_or(|u| u.is_guest) {
        return Outcome::err(ResultCode::MISC_ERR);
    }
    // The thread hands this connection to the old session (or answers the failure).
    s.reconnect_token = Some(c.token.clone());
    Outcome::done()
}

/// FPZzzzz.
fn zzzzz(s: &mut Session, c: &Zzzzz) -> Outcome {
    if c.flags & Zzzzz::WAKE_UP != 0 {
        s.effects.push(Effect::Wake);
    } else {
        s.effects.push(Effect::Sleep {
            extended: c.flags & Zzzzz::EXT_SLEEP != 0,
        });
    }
    // netatalk: the hours it keeps a sleeping session (`sleep time`), at least 1.
    let hours = s.config.global.sleep_time_hours.max(1);
    Outcome::ok(encode(&Reply::Zzzzz {
        sleep_hours: Some(hours),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_uuids_follow_netatalk() {
        let u = user_uuid(1000);
        assert_eq!(
            u,
            [
                0xff, 0xff, 0xee, 0xee, 0xdd, 0xdd, 0xcc, 0xcc, 0xbb, 0xbb, 0xaa, 0xaa, 0, 0, 3,
                0xe8
            ]
        );
        assert_eq!(uuid_owner(&u), Some((1, 1000)));
        assert_eq!(uuid_owner(&group_uuid(7)), Some((2, 7)));
        assert_eq!(uuid_owner(&[0; 16]), None);
    }

    #[test]
    fn utf8_truncation_keeps_characters_whole() {
        let b = "aé".repeat(100).into_bytes();
        let t = truncate_utf8(b, 199);
        assert!(t.len() <= 199);
        assert!(std::str::from_utf8(&t).is_ok());
    }
}
