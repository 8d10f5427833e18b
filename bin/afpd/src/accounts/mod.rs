//! Who may log in, and as whom the session then runs (spec `afp-dsi.md` §6.1–§6.3).
//!
//! The login code (UAM state machines in `afp-proto`) ends with a user name and a
//! cleartext password (Cleartxt Passwrd, DHCAST128 and DHX2 all deliver one to the
//! server); it calls [`Accounts::verify`] and gets a [`Verdict`]. Guest logins ("No User
//! Authent") call [`Accounts::guest`].
//!
//! Account sources ([`AccountSource`]):
//!
//! * **PAM** (server running as root): the system's users, like netatalk's `*_pam.so`
//!   UAMs; see [`pam`].
//! * **Password file** ([`passwd_file`]): argon2id hashes, managed with `afpd passwd`.
//!   Running as root, each entry maps to a system account to switch to (same name, or
//!   the entry's `unix-account`). Running unprivileged, entries are virtual users that
//!   run as the server's own user.
//! * **Both** (root, password file present): the file first; a name not in the file goes
//!   to PAM. A name in the file with a wrong password is denied (no second try via PAM).
//!
//! Root logins (uid 0) are always refused: a session must not bypass file permissions.
//!
//! Threading: [`Accounts::verify`] and [`Accounts::change_password`] read `/etc/shadow`
//! (through PAM) or write the password file, so they must run on a thread that still has
//! the server's credentials, i.e. before [`crate::creds::Privilege::enter_session`], or
//! be handed to such a thread.

pub mod pam;
pub mod passwd_file;
pub mod unix;

use std::path::PathBuf;

use crate::config::Config;
use crate::creds::{Credentials, Privilege};

use pam::{Pam, PamChange, PamOutcome};
use passwd_file::{PasswdError, PasswordFile};

/// A user a session can run as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserInfo {
    /// Login name (`$u`).
    pub name: String,
    /// User id the session runs as.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
    /// All group ids (primary and supplementary), sorted.
    pub groups: Vec<u32>,
    /// Home directory, for `[Homes]`.
    pub home: Option<PathBuf>,
    /// Full name (`$f`: GECOS up to the first comma).
    pub full_name: String,
    /// Primary group name (`$g`).
    pub group_name: Option<String>,
    /// Whether uid/gid/groups are a real system account's (group lists `@group` match only
    /// then). False for password-file users of an unprivileged server.
    pub system_account: bool,
    /// Whether this is the guest account.
    pub is_guest: bool,
}

impl UserInfo {
    /// The credentials a session of this user runs with.
    pub fn credentials(&self) -> Credentials {
        Credentials::new(self.uid, self.gid, self.groups.clone())
    }
}

/// The result of a password check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Logged in.
    Ok(UserInfo),
    /// Unknown user, wrong password, disabled account (kFPUserNotAuth).
    Denied,
    /// Right password, but it expired: the session may only change it (kFPPwdExpiredErr).
    Expired(UserInfo),
    /// The account source failed (PAM misconfigured, file unreadable): kFPMiscErr. The
    /// text is for the log.
    Unavailable(String),
}

/// kFPUserNotAuth (spec §7).
pub const AFP_USER_NOT_AUTH: i32 = -5023;
/// kFPPwdExpiredErr.
pub const AFP_PWD_EXPIRED: i32 = -5042;
/// kFPMiscErr.
pub const AFP_MISC_ERR: i32 = -5014;
/// kFPPwdSameErr.
pub const AFP_PWD_SAME: i32 = -5040;
/// kFPPwdTooShortErr.
pub const AFP_PWD_TOO_SHORT: i32 = -5041;
/// kFPPwdPolicyErr.
pub const AFP_PWD_POLICY: i32 = -5046;
/// kFPAccessDenied.
pub const AFP_ACCESS_DENIED: i32 = -5000;

impl Verdict {
    /// The AFP result code for the login reply (0 = kFPNoErr).
    pub fn afp_result(&self) -> i32 {
        match self {
            Verdict::Ok(_) => 0,
            Verdict::Denied => AFP_USER_NOT_AUTH,
            Verdict::Expired(_) => AFP_PWD_EXPIRED,
            Verdict::Unavailable(_) => AFP_MISC_ERR,
        }
    }
}

/// The result of a password change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PasswordChange {
    /// Changed.
    Changed,
    /// The old password is wrong or the user unknown (kFPUserNotAuth).
    Denied,
    /// New and old are the same (kFPPwdSameErr).
    SameAsOld,
    /// Shorter than `passwd minlen` (kFPPwdTooShortErr).
    TooShort,
    /// Refused by policy (PAM quality checks): kFPPwdPolicyErr.
    Rejected(String),
    /// The source failed: kFPMiscErr.
    Unavailable(String),
}

impl PasswordChange {
    /// The AFP result code.
    pub fn afp_result(&self) -> i32 {
        match self {
            PasswordChange::Changed => 0,
            PasswordChange::Denied => AFP_USER_NOT_AUTH,
            PasswordChange::SameAsOld => AFP_PWD_SAME,
            PasswordChange::TooShort => AFP_PWD_TOO_SHORT,
            PasswordChange::Rejected(_) => AFP_PWD_POLICY,
            PasswordChange::Unavailable(_) => AFP_MISC_ERR,
        }
    }
}

/// Where accounts come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountSource {
    /// The password file only.
    PasswordFile,
    /// PAM only.
    Pam,
    /// The password file, then PAM.
    Both,
}

/// The account verifier of a running server.
#[derive(Debug)]
pub struct Accounts {
    source: AccountSource,
    passwd_path: PathBuf,
    pam: Option<Pam>,
    privilege: Privilege,
    guest_account: Option<String>,
    minlen: usize,
}

/// Why [`Accounts`] could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    /// PAM was required but could not be loaded.
    #[error(transparent)]
    Pam(#[from] pam::PamError),
    /// The password file is unreadable or malformed.
    #[error(transparent)]
    PasswordFile(#[from] PasswdError),
    /// PAM was asked for on an unprivileged server.
    #[error(
        "PAM needs a server running as root (an unprivileged server can only switch to itself); use the password file"
    )]
    PamNeedsRoot,
}

impl Accounts {
    /// Set up an explicit source. `guest_account` is `Some` only when guest logins are
    /// offered.
    pub fn new(
        source: AccountSource,
        passwd_path: PathBuf,
        privilege: Privilege,
        guest_account: Option<String>,
        minlen: usize,
    ) -> Result<Accounts, AccountsError> {
        let needs_pam = matches!(source, AccountSource::Pam | AccountSource::Both);
        if needs_pam && !privilege.is_root() {
            return Err(AccountsError::PamNeedsRoot);
        }
        if matches!(source, AccountSource::PasswordFile | AccountSource::Both) {
            // Fail early on a malformed file rather than at the first login.
            PasswordFile::load(&passwd_path)?;
        }
        let pam = if needs_pam { Some(Pam::load()?) } else { None };
        Ok(Accounts {
            source,
            passwd_path,
            pam,
            privilege,
            guest_account,
            minlen,
        })
    }

    /// The source a configuration implies: unprivileged → password file; root → PAM, plus
    /// the password file first if it exists.
    pub fn source_for(config: &Config, privilege: &Privilege) -> AccountSource {
        if !privilege.is_root() {
            return AccountSource::PasswordFile;
        }
        if config.passwd_file().exists() {
            AccountSource::Both
        } else {
            AccountSource::Pam
        }
    }

    /// Set up what `config` and `privilege` imply (see [`Accounts::source_for`]).
    pub fn from_config(config: &Config, privilege: Privilege) -> Result<Accounts, AccountsError> {
        let source = Accounts::source_for(config, &privilege);
        let guest = config
            .global
            .guest_allowed()
            .then(|| config.global.guest_account.clone());
        Accounts::new(
            source,
            config.passwd_file(),
            privilege,
            guest,
            config.global.passwd_minlen as usize,
        )
    }

    /// The source in use.
    pub fn source(&self) -> AccountSource {
        self.source
    }

    /// The PAM service in use, if PAM is.
    pub fn pam_service(&self) -> Option<&str> {
        self.pam.as_ref().map(Pam::service)
    }

    /// Check `password` for `user`; `client` is the peer address (for PAM's logs).
    pub fn verify(&self, user: &str, password: &[u8], client: Option<std::net::IpAddr>) -> Verdict {
        let rhost = client.map(|c| c.to_string());
        let verdict = match self.source {
            AccountSource::PasswordFile => self.verify_file(user, password, true),
            AccountSource::Pam => self.verify_pam(user, password, rhost.as_deref()),
            AccountSource::Both => match self.verify_file(user, password, false) {
                None => self.verify_pam(user, password, rhost.as_deref()),
                Some(v) => Some(v),
            },
        }
        .unwrap_or(Verdict::Denied);
        match verdict {
            Verdict::Ok(u) | Verdict::Expired(u) if u.uid == 0 => {
                tracing::warn!(target: "afpd::uam", user = %u.name, "login as root refused");
                Verdict::Denied
            }
            v => v,
        }
    }

    /// `None`: the user is not in the file (and `last_resort` is false).
    fn verify_file(&self, user: &str, password: &[u8], last_resort: bool) -> Option<Verdict> {
        let file = match PasswordFile::load(&self.passwd_path) {
            Ok(f) => f,
            Err(e) => return Some(Verdict::Unavailable(e.to_string())),
        };
        let Some(entry) = file.find(user) else {
            if last_resort {
                passwd_file::burn_verification(password);
                return Some(Verdict::Denied);
            }
            return None;
        };
        if !entry.verify(password) {
            return Some(Verdict::Denied);
        }
        Some(match &self.privilege {
            Privilege::Root => {
                let account = entry.unix_account.as_deref().unwrap_or(&entry.name);
                match unix::user_info(account) {
                    Ok(Some(mut info)) => {
                        info.name = entry.name.clone();
                        Verdict::Ok(info)
                    }
                    Ok(None) => {
                        tracing::warn!(target: "afpd::uam", user = %entry.name, account, "password file user has no system account to run as");
                        Verdict::Denied
                    }
                    Err(e) => Verdict::Unavailable(format!("looking up {account}: {e}")),
                }
            }
            Privilege::Unprivileged(own) => Verdict::Ok(virtual_user(&entry.name, own, false)),
        })
    }

    fn verify_pam(&self, user: &str, password: &[u8], rhost: Option<&str>) -> Option<Verdict> {
        let pam = self.pam.as_ref()?;
        let (name, expired) = match pam.authenticate(user, password, rhost) {
            PamOutcome::Ok { user } => (user, false),
            PamOutcome::Expired { user } => (user, true),
            PamOutcome::Denied(why) => {
                tracing::debug!(target: "afpd::uam", user, why, "PAM denied");
                return Some(Verdict::Denied);
            }
            PamOutcome::Error(e) => return Some(Verdict::Unavailable(e)),
        };
        Some(match unix::user_info(&name) {
            Ok(Some(info)) if expired => Verdict::Expired(info),
            Ok(Some(info)) => Verdict::Ok(info),
            Ok(None) => {
                Verdict::Unavailable(format!("PAM accepted {name}, but NSS does not know it"))
            }
            Err(e) => Verdict::Unavailable(format!("looking up {name}: {e}")),
        })
    }

    /// The guest identity, if guest logins are offered (`uams_guest.so` in `uam list`).
    /// Root: the system account `guest account`; unprivileged: the server's own user
    /// under that name.
    pub fn guest(&self) -> Option<UserInfo> {
        let name = self.guest_account.as_deref()?;
        match &self.privilege {
            Privilege::Root => match unix::user_info(name) {
                Ok(Some(mut info)) if info.uid != 0 => {
                    info.is_guest = true;
                    Some(info)
                }
                Ok(_) => {
                    tracing::error!(target: "afpd::uam", account = name, "guest account missing or root; guest logins refused");
                    None
                }
                Err(e) => {
                    tracing::error!(target: "afpd::uam", account = name, error = %e, "guest account lookup failed");
                    None
                }
            },
            Privilege::Unprivileged(own) => Some(virtual_user(name, own, true)),
        }
    }

    /// Change `user`'s password (FPChangePassword). Whether changes are allowed at all
    /// (`set password`, expired passwords) is the caller's policy.
    pub fn change_password(
        &self,
        user: &str,
        old: &[u8],
        new: &[u8],
        client: Option<std::net::IpAddr>,
    ) -> PasswordChange {
        if old == new {
            return PasswordChange::SameAsOld;
        }
        if new.len() < self.minlen {
            return PasswordChange::TooShort;
        }
        let in_file = match self.source {
            AccountSource::Pam => false,
            _ => match PasswordFile::load(&self.passwd_path) {
                Ok(f) => f.find(user).is_some(),
                Err(e) => return PasswordChange::Unavailable(e.to_string()),
            },
        };
        if in_file || self.source == AccountSource::PasswordFile {
            let result = PasswordFile::update(&self.passwd_path, |f| {
                let ok = f.find(user).is_some_and(|e| e.verify(old));
                if ok {
                    let name = f.find(user).map(|e| e.name.clone()).unwrap_or_default();
                    f.set(&name, new, None)?;
                }
                Ok(ok)
            });
            return match result {
                Ok(true) => PasswordChange::Changed,
                Ok(false) => PasswordChange::Denied,
                Err(e) => PasswordChange::Unavailable(e.to_string()),
            };
        }
        let Some(pam) = &self.pam else {
            return PasswordChange::Denied;
        };
        let rhost = client.map(|c| c.to_string());
        match pam.change_password(user, old, new, rhost.as_deref()) {
            PamChange::Changed => PasswordChange::Changed,
            PamChange::Denied(_) => PasswordChange::Denied,
            PamChange::Rejected(why) => PasswordChange::Rejected(why),
            PamChange::Error(e) => PasswordChange::Unavailable(e),
        }
    }
}

/// A user without a system account: runs as the (unprivileged) server's credentials.
fn virtual_user(name: &str, own: &Credentials, is_guest: bool) -> UserInfo {
    UserInfo {
        name: name.to_owned(),
        uid: own.uid,
        gid: own.gid,
        groups: own.groups.clone(),
        home: None,
        full_name: name.to_owned(),
        group_name: unix::group_name(own.gid),
        system_account: false,
        is_guest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unprivileged() -> Privilege {
        Privilege::Unprivileged(Credentials::new(4242, 4343, vec![4343]))
    }

    #[test]
    fn password_file_users_run_as_the_server_when_unprivileged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("afppasswd");
        PasswordFile::update(&path, |f| f.set("alice", b"secret", None)).unwrap();
        let acc =
            Accounts::new(AccountSource::PasswordFile, path, unprivileged(), None, 0).unwrap();
        match acc.verify("Alice", b"secret", None) {
            Verdict::Ok(u) => {
                assert_eq!((u.uid, u.gid, u.name.as_str()), (4242, 4343, "alice"));
                assert!(!u.system_account);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(acc.verify("alice", b"nope", None), Verdict::Denied);
        assert_eq!(acc.verify("mallory", b"secret", None), Verdict::Denied);
        assert_eq!(Verdict::Denied.afp_result(), -5023);
        assert!(
            acc.guest().is_none(),
            "no guest unless uams_guest.so is listed"
        );
    }

    #[test]
    fn pam_refused_when_unprivileged() {
        let dir = tempfile::tempdir().unwrap();
        let err = Accounts::new(
            AccountSource::Pam,
            dir.path().join("p"),
            unprivileged(),
            None,
            0,
        )
        .unwrap_err();
        assert!(matches!(err, AccountsError::PamNeedsRoot));
    }

    #[test]
    fn guest_when_offered() {
        let dir = tempfile::tempdir().unwrap();
        let acc = Accounts::new(
            AccountSource::PasswordFile,
            dir.path().join("p"),
            unprivileged(),
            Some("nobody".into()),
            0,
        )
        .unwrap();
        let g = acc.guest().unwrap();
        assert!(g.is_guest);
        assert_eq!(g.uid, 4242);
    }

    #[test]
    fn password_change_in_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("afppasswd");
        PasswordFile::update(&path, |f| f.set("alice", b"old-pass", None)).unwrap();
        let acc =
            Accounts::new(AccountSource::PasswordFile, path, unprivileged(), None, 6).unwrap();
        assert_eq!(
            acc.change_password("alice", b"x", b"x", None),
            PasswordChange::SameAsOld
        );
        assert_eq!(
            acc.change_password("alice", b"old-pass", b"short", None),
            PasswordChange::TooShort
        );
        assert_eq!(
            acc.change_password("alice", b"wrong", b"new-pass", None),
            PasswordChange::Denied
        );
        assert_eq!(
            acc.change_password("alice", b"old-pass", b"new-pass", None),
            PasswordChange::Changed
        );
        assert!(matches!(
            acc.verify("alice", b"new-pass", None),
            Verdict::Ok(_)
        ));
        assert_eq!(acc.verify("alice", b"old-pass", None), Verdict::Denied);
    }

    #[test]
    fn malformed_file_fails_setup() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("afppasswd");
        std::fs::write(&path, "alice:cleartext\n").unwrap();
        let err =
            Accounts::new(AccountSource::PasswordFile, path, unprivileged(), None, 0).unwrap_err();
        assert!(matches!(err, AccountsError::PasswordFile(_)));
    }
}
