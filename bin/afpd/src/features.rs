//! The `afpd -v` / `afpd -V` texts: version, compiled-in features and paths, laid out like
//! netatalk's `afpd -V` (seed 000). Only what this build really has is listed as "Yes".

use std::fmt::Write;
use std::path::PathBuf;

use crate::config::LoginMethod;

/// The crate version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// AFP versions the server is built to speak (spec `afp-dsi.md` §2.2), oldest first.
pub const AFP_VERSIONS: [&str; 6] = ["2.2", "3.0", "3.1", "3.2", "3.3", "3.4"];

/// Whether the network server is part of this build (`afpd -V` lists it; while false,
/// `afpd -d` only checked the configuration).
pub const NETWORK_SERVER: bool = true;

/// `afpd -v`.
pub fn short_version() -> String {
    format!("afpd {VERSION} - Apple Filing Protocol (AFP) daemon of afp-rs")
}

/// Paths shown by `afpd -V`.
#[derive(Clone, Debug)]
pub struct Paths {
    /// afp.conf.
    pub config: PathBuf,
    /// State directory.
    pub state_dir: PathBuf,
    /// afp_signature.conf.
    pub signature: PathBuf,
    /// afp_voluuid.conf.
    pub voluuid: PathBuf,
    /// Password file.
    pub passwd: PathBuf,
    /// CNID database parent directory.
    pub cnid: PathBuf,
}

/// `afpd -V`: the listing. `pam` is what loading libpam gave (service name or error).
pub fn long_version(paths: &Paths, pam: Result<String, String>) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}", short_version());
    let _ = writeln!(s);
    let _ = writeln!(s, "Licensed under the MIT or Apache-2.0 licence.");
    let _ = writeln!(s);
    let _ = writeln!(s, "afpd has been compiled with support for these features:");
    let _ = writeln!(s);
    let uams: Vec<&str> = LoginMethod::ALL.iter().map(|m| m.afp_name()).collect();
    let pam_line = match pam {
        Ok(service) => format!("Yes (libpam.so.0 loaded at run time, service `{service}`)"),
        Err(e) => format!("No ({e})"),
    };
    let rows: [(&str, String); 14] = [
        ("AFP versions", AFP_VERSIONS.join(" ")),
        ("UAMs", uams.join(", ")),
        (
            "AFP network server",
            if NETWORK_SERVER {
                "Yes".into()
            } else {
                "No (not in this build: configuration check only)".into()
            },
        ),
        (
            "CNID backends",
            "built-in store (dbd, sqlite names accepted), last".into(),
        ),
        (
            "Zeroconf support",
            "Yes (avahi-daemon over D-Bus, else the built-in mDNS responder)".into(),
        ),
        ("PAM support", pam_line),
        ("Password file", "Yes (argon2id)".into()),
        (
            "Per-thread credentials",
            "Yes (Linux setresuid/setgroups per session thread)".into(),
        ),
        (
            "TCP wrappers support",
            "No (use `hosts allow` / `hosts deny`)".into(),
        ),
        ("Quota support", "No".into()),
        ("Admin group support", "No".into()),
        ("ACL support", "No".into()),
        ("LDAP support", "No".into()),
        ("Spotlight support", "No".into()),
    ];
    for (k, v) in rows {
        let _ = writeln!(s, "{k:>24}: {v}");
    }
    let _ = writeln!(s);
    let p = |x: &PathBuf| x.display().to_string();
    let path_rows = [
        ("afp.conf", p(&paths.config)),
        ("state directory", p(&paths.state_dir)),
        ("afp_signature.conf", p(&paths.signature)),
        ("afp_voluuid.conf", p(&paths.voluuid)),
        ("passwd file", p(&paths.passwd)),
        ("CNID databases", p(&paths.cnid)),
    ];
    for (k, v) in path_rows {
        let _ = writeln!(s, "{k:>24}: {v}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_has_the_seed_rows() {
        let paths = Paths {
            config: "/etc/netatalk/afp.conf".into(),
            state_dir: "/var/lib/afpd".into(),
            signature: "/var/lib/afpd/afp_signature.conf".into(),
            voluuid: "/var/lib/afpd/afp_voluuid.conf".into(),
            passwd: "/var/lib/afpd/afppasswd".into(),
            cnid: "/var/lib/afpd/CNID".into(),
        };
        let text = long_version(&paths, Ok("other".into()));
        for needle in [
            "AFP versions: 2.2 3.0 3.1 3.2 3.3 3.4",
            "UAMs: DHX2, DHCAST128, Cleartxt Passwrd, No User Authent",
            "afp.conf: /etc/netatalk/afp.conf",
            "afp_signature.conf: /var/lib/afpd/afp_signature.conf",
            "afp_voluuid.conf: /var/lib/afpd/afp_voluuid.conf",
            "state directory: /var/lib/afpd",
            "service `other`",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in\n{text}");
        }
    }
}
