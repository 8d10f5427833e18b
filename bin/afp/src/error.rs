//! Errors a person can act on, and the exit codes the CLI maps them to.
//!
//! The variants separate the four things that go wrong with a network file client: the
//! server cannot be reached or the connection breaks ([`Error::Connect`],
//! [`Error::Connection`], [`Error::Protocol`]), the login is refused ([`Error::Login`]),
//! the server refuses one operation with an AFP result code ([`Error::Afp`]), or a local
//! file cannot be read or written ([`Error::Local`]).

use std::fmt;
use std::io;
use std::path::PathBuf;

use afp_proto::ResultCode;
use afp_proto::uam::ClientError;

/// Exit status: success.
pub const EXIT_OK: u8 = 0;
/// Exit status: the server refused an operation (an AFP result code), or some files of a
/// recursive transfer failed.
pub const EXIT_AFP: u8 = 1;
/// Exit status: bad command line or URL.
pub const EXIT_USAGE: u8 = 2;
/// Exit status: the server could not be reached, the connection broke, or the server
/// broke the protocol.
pub const EXIT_CONNECT: u8 = 3;
/// Exit status: the login failed (wrong user or password, no common login method or AFP
/// version, guest access refused).
pub const EXIT_LOGIN: u8 = 4;
/// Exit status: a local file or directory could not be read or written.
pub const EXIT_LOCAL: u8 = 5;

/// Everything that can go wrong in the client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The TCP connection (or the DSI session opening) failed.
    #[error("cannot connect to {addr}: {reason}")]
    Connect {
        /// `host:port` as given.
        addr: String,
        /// What happened.
        reason: String,
    },
    /// An open connection ended or failed (closed by the server, reset, timed out).
    #[error("connection to the server lost: {0}")]
    Connection(String),
    /// The server sent something that does not follow DSI or AFP.
    #[error("the server broke the protocol: {0}")]
    Protocol(String),
    /// The login did not succeed.
    #[error("login failed: {0}")]
    Login(LoginError),
    /// The server answered an operation with an AFP error.
    #[error("{op}: {code}{}", hint(*code))]
    Afp {
        /// What the client was doing ("open volume `Share`").
        op: String,
        /// The server's result code.
        code: ResultCode,
    },
    /// A local file operation failed.
    #[error("{op} {}: {source}", path.display())]
    Local {
        /// What the client was doing ("create", "read" …).
        op: &'static str,
        /// The local path.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// The command line or URL is not usable.
    #[error("{0}")]
    Usage(String),
    /// Several operations of a recursive command failed (each was reported).
    #[error("{failed} of {total} operations failed")]
    Partial {
        /// Operations that failed.
        failed: usize,
        /// Operations attempted.
        total: usize,
    },
}

/// Why a login did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoginError {
    /// The server offers no AFP 3.x version (this client needs UTF-8 names and 64-bit
    /// offsets).
    NoCommonVersion(Vec<String>),
    /// None of the methods the client may use is offered.
    NoCommonMethod {
        /// What the server offers.
        offered: Vec<String>,
        /// Cleartxt Passwrd is offered but `--allow-cleartext` was not given.
        cleartext_offered: bool,
    },
    /// `--guest` but the server does not offer guest access.
    GuestNotOffered,
    /// A user name is needed (none in the URL and no `--guest`).
    NoUser,
    /// The server refused the credentials or the method.
    Refused(ResultCode),
    /// The client-side login state machine stopped (bad reply, password too long …).
    Client(ClientError),
    /// The password could not be obtained.
    Password(String),
}

impl fmt::Display for LoginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoginError::NoCommonVersion(v) => write!(
                f,
                "the server offers no AFP 3 version (it offers {}); this client needs AFP 3.0 or later",
                list(v)
            ),
            LoginError::NoCommonMethod {
                offered,
                cleartext_offered,
            } => {
                write!(
                    f,
                    "no usable login method (the server offers {})",
                    list(offered)
                )?;
                if *cleartext_offered {
                    write!(
                        f,
                        "; Cleartxt Passwrd is offered but sends the password unencrypted: pass --allow-cleartext to use it"
                    )?;
                }
                Ok(())
            }
            LoginError::GuestNotOffered => {
                write!(
                    f,
                    "the server does not allow guest access (No User Authent is not offered)"
                )
            }
            LoginError::NoUser => write!(
                f,
                "no user name: write afp://USER@host/… or pass --user USER, or --guest"
            ),
            LoginError::Refused(code) if *code == ResultCode::USER_NOT_AUTH => {
                write!(f, "wrong user name or password ({code})")
            }
            LoginError::Refused(code) if *code == ResultCode::PARAM_ERR => write!(
                f,
                "the server does not know this user or the account is disabled ({code})"
            ),
            LoginError::Refused(code) if *code == ResultCode::BAD_UAM => {
                write!(f, "the server refused the login method ({code})")
            }
            LoginError::Refused(code) if *code == ResultCode::BAD_VERS_NUM => {
                write!(f, "the server refused the AFP version ({code})")
            }
            LoginError::Refused(code) => write!(f, "the server refused the login: {code}"),
            LoginError::Client(e) => write!(f, "{e}"),
            LoginError::Password(e) => write!(f, "{e}"),
        }
    }
}

fn list(v: &[String]) -> String {
    if v.is_empty() {
        "nothing".to_owned()
    } else {
        v.join(", ")
    }
}

/// A sentence after the result code for the codes people meet most, telling what to do.
fn hint(code: ResultCode) -> &'static str {
    match code {
        ResultCode::ACCESS_DENIED => " (your account may not do this here)",
        ResultCode::OBJECT_NOT_FOUND | ResultCode::DIR_NOT_FOUND => " (no such file or directory)",
        ResultCode::DIR_NOT_EMPTY => " (use -r to remove a directory and its contents)",
        ResultCode::VOL_LOCKED => " (the volume is read-only)",
        ResultCode::DISK_FULL => " (no space left on the volume)",
        ResultCode::DENY_CONFLICT => " (another client has the file open)",
        ResultCode::CALL_NOT_SUPPORTED => " (the server does not implement this call)",
        _ => "",
    }
}

impl Error {
    /// The exit status for this error (see the `EXIT_*` constants).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Connect { .. } | Error::Connection(_) | Error::Protocol(_) => EXIT_CONNECT,
            Error::Login(_) => EXIT_LOGIN,
            Error::Afp { .. } | Error::Partial { .. } => EXIT_AFP,
            Error::Local { .. } => EXIT_LOCAL,
            Error::Usage(_) => EXIT_USAGE,
        }
    }

    /// An AFP error for operation `op`.
    pub fn afp(op: impl Into<String>, code: ResultCode) -> Error {
        Error::Afp {
            op: op.into(),
            code,
        }
    }

    /// A local error.
    pub fn local(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Error {
        Error::Local {
            op,
            path: path.into(),
            source,
        }
    }

    /// The AFP result code, if the server refused an operation.
    pub fn afp_code(&self) -> Option<ResultCode> {
        match self {
            Error::Afp { code, .. } => Some(*code),
            Error::Login(LoginError::Refused(code)) => Some(*code),
            _ => None,
        }
    }

    /// True if the error ends the session (nothing more can be sent on it).
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            Error::Connect { .. } | Error::Connection(_) | Error::Protocol(_) | Error::Login(_)
        )
    }
}

impl From<LoginError> for Error {
    fn from(e: LoginError) -> Error {
        Error::Login(e)
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_and_explain_the_code() {
        let e = Error::afp("open `a.txt`", ResultCode::ACCESS_DENIED);
        assert_eq!(
            e.to_string(),
            "open `a.txt`: access denied (-5000) (your account may not do this here)"
        );
        assert_eq!(e.exit_code(), EXIT_AFP);
        let e = Error::Login(LoginError::Refused(ResultCode::USER_NOT_AUTH));
        assert!(e.to_string().contains("wrong user name or password"));
        assert!(e.to_string().contains("-5023"));
        assert_eq!(e.exit_code(), EXIT_LOGIN);
        let e = Error::Connect {
            addr: "h:548".into(),
            reason: "refused".into(),
        };
        assert_eq!(e.exit_code(), EXIT_CONNECT);
    }

    #[test]
    fn cleartext_refusal_says_how_to_allow_it() {
        let e = LoginError::NoCommonMethod {
            offered: vec!["Cleartxt Passwrd".into()],
            cleartext_offered: true,
        };
        assert!(e.to_string().contains("--allow-cleartext"));
    }
}
