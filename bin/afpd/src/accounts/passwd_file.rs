//! The standalone password file (`passwd file` in afp.conf; default
//! `<state dir>/afppasswd`), managed with `afpd passwd add|del|list`.
//!
//! Format (text, UTF-8, one account per line; `#` comment lines and blank lines ignored):
//!
//! ```text
//! # name:hash[:unix-account]
//! alice:$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
//! bob:$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>:bobsmith
//! ```
//!
//! * `name`: the AFP login name; no `:`, whitespace or control characters; compared
//!   case-insensitively (AFP user names are), so two names differing only in case cannot
//!   both exist.
//! * `hash`: an argon2id PHC string with a random 16-byte salt (argon2's defaults:
//!   19 MiB, 2 passes, 1 lane). Only the hash is stored, never the password.
//! * `unix-account` (optional): the system account a root server switches to for this
//!   login; default: the system account with the same name. An unprivileged server
//!   ignores it (sessions run as the server's user).
//!
//! Writes are atomic (a new file created with mode 0600 beside the old one, synced, then
//! renamed over it) and serialised with an advisory lock on `<file>.lock`.
//!
//! Netatalk's own `afppasswd` (Randnum) file keeps DES-able cleartext-equivalent
//! passwords (`user:HEX16:...`); such a file is recognised and refused with an explanation.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use zeroize::Zeroizing;

/// What went wrong with the password file.
#[derive(Debug, thiserror::Error)]
pub enum PasswdError {
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The system error.
        #[source]
        source: io::Error,
    },
    /// A line is not `name:hash[:unix-account]`.
    #[error("{path}:{line}: {message}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The file is netatalk's `afppasswd`, not ours.
    #[error(
        "{path}:{line}: this looks like netatalk's afppasswd file (Randnum passwords); afpd keeps only argon2id hashes in its own file: point `passwd file` at a new path and add users with `afpd passwd add`"
    )]
    NetatalkFormat {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
    },
    /// The user name cannot be stored.
    #[error("invalid user name `{0}`: use 1-255 bytes without `:`, spaces or control characters")]
    BadName(String),
    /// Hashing failed (should not happen with valid parameters).
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// One account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswordEntry {
    /// Login name.
    pub name: String,
    /// Argon2id PHC string.
    hash: String,
    /// System account to run as (root server only).
    pub unix_account: Option<String>,
}

impl PasswordEntry {
    /// Whether `password` matches.
    pub fn verify(&self, password: &[u8]) -> bool {
        match PasswordHash::new(&self.hash) {
            Ok(parsed) => Argon2::default().verify_password(password, &parsed).is_ok(),
            Err(_) => false,
        }
    }

    /// The stored PHC string (a hash, not a secret in itself).
    pub fn hash(&self) -> &str {
        &self.hash
    }
}

/// A password file in memory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PasswordFile {
    entries: Vec<PasswordEntry>,
}

/// Check a login name for storage.
pub fn validate_user_name(name: &str) -> Result<(), PasswdError> {
    let ok = !name.is_empty()
        && name.len() <= 255
        && !name
            .chars()
            .any(|c| c == ':' || c.is_whitespace() || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(PasswdError::BadName(name.to_owned()))
    }
}

/// Hash `password` with argon2id and a fresh random salt.
pub fn hash_password(password: &[u8]) -> Result<String, PasswdError> {
    let salt_bytes: [u8; 16] = rand::random();
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| PasswdError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password, &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswdError::Hash(e.to_string()))
}

/// A fixed hash to verify against when the user does not exist, so that an unknown user
/// costs the same time as a wrong password.
fn dummy_hash() -> &'static str {
    use std::sync::OnceLock;
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_password(b"afpd dummy password").unwrap_or_default())
}

/// Spend the time of one verification (for unknown users).
pub fn burn_verification(password: &[u8]) {
    if let Ok(parsed) = PasswordHash::new(dummy_hash()) {
        let _ = Argon2::default().verify_password(password, &parsed);
    }
}

impl PasswordFile {
    /// Parse the text of a password file (`path` is for messages).
    pub fn parse(text: &str, path: &Path) -> Result<Self, PasswdError> {
        let mut entries: Vec<PasswordEntry> = Vec::new();
        for (idx, line) in text.lines().enumerate() {
            let lineno = idx + 1;
            let line = line.trim_end();
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let syntax = |message: String| PasswdError::Syntax {
                path: path.to_owned(),
                line: lineno,
                message,
            };
            let mut fields = line.split(':');
            let name = fields.next().unwrap_or("");
            let hash = fields.next().unwrap_or("");
            let unix = fields.next();
            if fields.next().is_some() {
                if hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit() || c == '*') {
                    return Err(PasswdError::NetatalkFormat {
                        path: path.to_owned(),
                        line: lineno,
                    });
                }
                return Err(syntax(
                    "too many `:`-separated fields (expected name:hash[:unix-account])".into(),
                ));
            }
            if !hash.starts_with("$argon2") {
                if hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit() || c == '*') {
                    return Err(PasswdError::NetatalkFormat {
                        path: path.to_owned(),
                        line: lineno,
                    });
                }
                return Err(syntax(
                    "the second field must be an argon2 PHC hash ($argon2id$…)".into(),
                ));
            }
            let complete =
                PasswordHash::new(hash).is_ok_and(|h| h.salt.is_some() && h.hash.is_some());
            if !complete {
                return Err(syntax("malformed argon2 PHC hash".into()));
            }
            validate_user_name(name).map_err(|e| syntax(e.to_string()))?;
            if entries.iter().any(|e| e.name.eq_ignore_ascii_case(name)) {
                return Err(syntax(format!("user `{name}` appears twice")));
            }
            let unix_account = match unix {
                Some("") | None => None,
                Some(u) => Some(u.to_owned()),
            };
            entries.push(PasswordEntry {
                name: name.to_owned(),
                hash: hash.to_owned(),
                unix_account,
            });
        }
        Ok(PasswordFile { entries })
    }

    /// Read `path`; a missing file is an empty one.
    pub fn load(path: &Path) -> Result<Self, PasswdError> {
        match std::fs::read_to_string(path) {
            Ok(text) => PasswordFile::parse(&text, path),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(PasswordFile::default()),
            Err(source) => Err(PasswdError::Io {
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// The accounts, in file order.
    pub fn entries(&self) -> &[PasswordEntry] {
        &self.entries
    }

    /// The account `name` (case-insensitive).
    pub fn find(&self, name: &str) -> Option<&PasswordEntry> {
        self.entries
            .iter()
            .find(|e| e.name.eq_ignore_ascii_case(name))
    }

    /// Add `name` or replace its password (and `unix_account`, when given).
    pub fn set(
        &mut self,
        name: &str,
        password: &[u8],
        unix_account: Option<String>,
    ) -> Result<(), PasswdError> {
        validate_user_name(name)?;
        if let Some(u) = &unix_account {
            validate_user_name(u)?;
        }
        let hash = hash_password(password)?;
        match self
            .entries
            .iter_mut()
            .find(|e| e.name.eq_ignore_ascii_case(name))
        {
            Some(e) => {
                e.hash = hash;
                if unix_account.is_some() {
                    e.unix_account = unix_account;
                }
            }
            None => self.entries.push(PasswordEntry {
                name: name.to_owned(),
                hash,
                unix_account,
            }),
        }
        Ok(())
    }

    /// Remove `name`; whether it existed.
    pub fn remove(&mut self, name: &str) -> bool {
        let before = self.entries.len();
        self.entries.retain(|e| !e.name.eq_ignore_ascii_case(name));
        before != self.entries.len()
    }

    /// The file's text.
    pub fn to_text(&self) -> String {
        let mut out = String::from(
            "# afpd password file: name:argon2id-hash[:unix-account]\n# Managed with `afpd passwd add|del|list`; only salted hashes are stored.\n",
        );
        for e in &self.entries {
            out.push_str(&e.name);
            out.push(':');
            out.push_str(&e.hash);
            if let Some(u) = &e.unix_account {
                out.push(':');
                out.push_str(u);
            }
            out.push('\n');
        }
        out
    }

    /// Write to `path` atomically with mode 0600 (creating the directory, mode 0700, if
    /// it is missing).
    pub fn save(&self, path: &Path) -> Result<(), PasswdError> {
        let io_err = |source| PasswdError::Io {
            path: path.to_owned(),
            source,
        };
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if !dir.exists() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(io_err)?;
        }
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dir.join(format!(".{file_name}.tmp.{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        let write = || -> io::Result<()> {
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)?;
            let text = Zeroizing::new(self.to_text());
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)?;
            File::open(dir)?.sync_all()
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            io_err(e)
        })
    }

    /// Load, change and save `path` under an exclusive lock, so concurrent `afpd passwd`
    /// runs and the server do not lose each other's updates.
    pub fn update<T>(
        path: &Path,
        change: impl FnOnce(&mut PasswordFile) -> Result<T, PasswdError>,
    ) -> Result<T, PasswdError> {
        let _lock = lock(path)?;
        let mut file = PasswordFile::load(path)?;
        let out = change(&mut file)?;
        file.save(path)?;
        Ok(out)
    }
}

/// An exclusive advisory lock on `<path>.lock`, released when the returned file closes.
fn lock(path: &Path) -> Result<File, PasswdError> {
    let mut lock_path = path.as_os_str().to_owned();
    lock_path.push(".lock");
    let lock_path = PathBuf::from(lock_path);
    let io_err = |source| PasswdError::Io {
        path: lock_path.clone(),
        source,
    };
    if let Some(dir) = lock_path.parent().filter(|p| !p.as_os_str().is_empty())
        && !dir.exists()
    {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io_err)?;
    }
    let f = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&lock_path)
        .map_err(io_err)?;
    // SAFETY: flock takes a file descriptor we own (kept open by `f`) and a flag.
    let rc = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) };
    if rc != 0 {
        return Err(io_err(io::Error::last_os_error()));
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn set_verify_round_trip() {
        let mut f = PasswordFile::default();
        f.set("alice", b"correct horse", None).unwrap();
        f.set("bob", b"battery", Some("bobsmith".into())).unwrap();
        let text = f.to_text();
        assert!(!text.contains("correct horse"));
        let back = PasswordFile::parse(&text, Path::new("x")).unwrap();
        assert_eq!(back, f);
        assert!(back.find("ALICE").unwrap().verify(b"correct horse"));
        assert!(!back.find("alice").unwrap().verify(b"wrong"));
        assert_eq!(
            back.find("bob").unwrap().unix_account.as_deref(),
            Some("bobsmith")
        );
        assert!(back.find("carol").is_none());
    }

    #[test]
    fn salts_differ() {
        let a = hash_password(b"same").unwrap();
        let b = hash_password(b"same").unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$"));
    }

    #[test]
    fn replace_and_remove() {
        let mut f = PasswordFile::default();
        f.set("alice", b"one", None).unwrap();
        f.set("Alice", b"two", None).unwrap();
        assert_eq!(f.entries().len(), 1);
        assert!(f.find("alice").unwrap().verify(b"two"));
        assert!(f.remove("ALICE"));
        assert!(!f.remove("alice"));
    }

    #[test]
    fn bad_names() {
        let mut f = PasswordFile::default();
        for name in ["", "a:b", "a b", "tab\tname", &"x".repeat(256)] {
            assert!(
                matches!(f.set(name, b"p", None), Err(PasswdError::BadName(_))),
                "{name:?}"
            );
        }
    }

    #[test]
    fn parse_errors_name_the_line() {
        let p = Path::new("/etc/afpd/afppasswd");
        let e = PasswordFile::parse("# c\n\nalice:plaintext\n", p).unwrap_err();
        assert!(e.to_string().starts_with("/etc/afpd/afppasswd:3:"), "{e}");
        let e = PasswordFile::parse("alice:0123456789ABCDEF:****************:0\n", p).unwrap_err();
        assert!(
            matches!(e, PasswdError::NetatalkFormat { line: 1, .. }),
            "{e}"
        );
        let e = PasswordFile::parse("alice:$argon2id$garbage\n", p).unwrap_err();
        assert!(matches!(e, PasswdError::Syntax { line: 1, .. }), "{e}");
        let h = hash_password(b"x").unwrap();
        let e = PasswordFile::parse(&format!("a:{h}\nA:{h}\n"), p).unwrap_err();
        assert!(matches!(e, PasswdError::Syntax { line: 2, .. }), "{e}");
    }

    #[test]
    fn save_is_atomic_0600_and_update_locks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/afppasswd");
        PasswordFile::update(&path, |f| f.set("alice", b"pw1", None)).unwrap();
        PasswordFile::update(&path, |f| f.set("bob", b"pw2", None)).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let f = PasswordFile::load(&path).unwrap();
        assert_eq!(f.entries().len(), 2);
        assert!(f.find("bob").unwrap().verify(b"pw2"));
        // No temporary file left behind.
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp."))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn missing_file_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            PasswordFile::load(&dir.path().join("none")).unwrap(),
            PasswordFile::default()
        );
    }

    #[test]
    fn concurrent_updates_are_not_lost() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("afppasswd");
        let threads: Vec<_> = (0..4)
            .map(|i| {
                let path = path.clone();
                std::thread::spawn(move || {
                    PasswordFile::update(&path, |f| f.set(&format!("user{i}"), b"pw", None))
                        .unwrap();
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(PasswordFile::load(&path).unwrap().entries().len(), 4);
    }
}
