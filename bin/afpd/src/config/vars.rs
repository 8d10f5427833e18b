//! Variable substitution in `path`, volume names and `vol dbpath` (spec
//! `cnid-and-config.md` §3.3; netatalk `volxlate`).
//!
//! | Var | Value |
//! |---|---|
//! | `$b` | basename of the volume path (when a path is known) |
//! | `$c` | client `ip:port` |
//! | `$d` | volume path (when known) |
//! | `$f` | user's full name (GECOS up to the first comma) |
//! | `$g` | user's primary group name |
//! | `$h` | server host name |
//! | `$i` | client IP without port |
//! | `$s` | `server name`, else the host name |
//! | `$u` | user name (the guest account for guests) |
//! | `$v` | volume name if known, else basename of the path |
//! | `$$` | `$` |
//!
//! An unknown `$x` is copied unchanged; a known variable without a value expands to
//! nothing. Which values are known depends on the caller, exactly as in netatalk: while
//! expanding a volume *path* neither the path nor the volume name is known (so `$b`, `$d`
//! and `$v` vanish there); while expanding a volume *name* the expanded path is known; for
//! `vol dbpath` the volume name is known but not the path.

use std::net::SocketAddr;

/// Values available to one expansion. `None` means "no value": the variable vanishes.
#[derive(Clone, Debug, Default)]
pub struct VarContext<'a> {
    /// `$u`.
    pub user: Option<&'a str>,
    /// `$f`.
    pub full_name: Option<&'a str>,
    /// `$g`.
    pub group: Option<&'a str>,
    /// `$h`.
    pub host_name: Option<&'a str>,
    /// `$s` (falls back to `host_name`).
    pub server_name: Option<&'a str>,
    /// `$c` and `$i`.
    pub client: Option<SocketAddr>,
    /// `$d`, and `$b`/`$v` fallback.
    pub path: Option<&'a str>,
    /// `$v`.
    pub volume_name: Option<&'a str>,
}

/// The variables whose value exists only inside a user session.
pub const SESSION_VARIABLES: [char; 5] = ['u', 'f', 'g', 'c', 'i'];

/// Whether `template` uses a variable that only a session can provide (`$u $f $g $c $i`).
pub fn uses_session_variables(template: &str) -> bool {
    let mut chars = template.chars();
    while let Some(c) = chars.next() {
        if c == '$' {
            match chars.next() {
                Some(v) if SESSION_VARIABLES.contains(&v) => return true,
                // `$$` is a literal dollar: skip it so `$$u` is not mistaken for `$u`.
                _ => continue,
            }
        }
    }
    false
}

fn basename(path: &str) -> &str {
    // netatalk: the part after the last '/', unless that is empty (trailing slash).
    match path.rfind('/') {
        Some(i) if i + 1 < path.len() => &path[i + 1..],
        Some(_) => path,
        None => path,
    }
}

/// Expand every variable of `template`.
pub fn expand(template: &str, ctx: &VarContext<'_>) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut chars = template.chars();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        let Some(v) = chars.next() else {
            out.push('$');
            break;
        };
        let client_ip;
        let client_full;
        let value: Option<&str> = match v {
            'b' => ctx.path.map(basename),
            'c' => {
                client_full = ctx.client.map(|a| format!("{}:{}", a.ip(), a.port()));
                client_full.as_deref()
            }
            'd' => ctx.path,
            'f' => ctx.full_name.map(|f| f.split(',').next().unwrap_or("")),
            'g' => ctx.group,
            'h' => ctx.host_name,
            'i' => {
                client_ip = ctx.client.map(|a| a.ip().to_string());
                client_ip.as_deref()
            }
            's' => ctx.server_name.or(ctx.host_name),
            'u' => ctx.user,
            'v' => ctx.volume_name.or(ctx.path.map(basename)),
            '$' => Some("$"),
            other => {
                out.push('$');
                out.push(other);
                continue;
            }
        };
        if let Some(value) = value {
            out.push_str(value);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> VarContext<'static> {
        VarContext {
            user: Some("elatov"),
            full_name: Some("Karim Elatov,Room 1,555"),
            group: Some("tmusers"),
            host_name: Some("zf"),
            server_name: None,
            client: Some("192.168.1.20:51234".parse().unwrap()),
            path: None,
            volume_name: None,
        }
    }

    #[test]
    fn every_variable() {
        let ctx = VarContext {
            path: Some("/data/tm/elatov"),
            volume_name: Some("time_mach"),
            server_name: Some("Backup Server"),
            ..session()
        };
        assert_eq!(
            expand("$b|$c|$d|$f|$g|$h|$i|$s|$u|$v|$$", &ctx),
            "elatov|192.168.1.20:51234|/data/tm/elatov|Karim Elatov|tmusers|zf|192.168.1.20|Backup Server|elatov|time_mach|$"
        );
    }

    #[test]
    fn seed_dbpath_and_path() {
        let ctx = VarContext {
            volume_name: Some("time_mach"),
            ..session()
        };
        assert_eq!(
            expand("/var/netatalk/CNID/$u/$v/", &ctx),
            "/var/netatalk/CNID/elatov/time_mach/"
        );
        assert_eq!(expand("/data/tm/$u", &session()), "/data/tm/elatov");
    }

    #[test]
    fn unknown_kept_known_without_value_vanishes() {
        let ctx = VarContext::default();
        assert_eq!(expand("/a/$x/$u/$q", &ctx), "/a/$x//$q");
        assert_eq!(expand("trailing $", &ctx), "trailing $");
        assert_eq!(expand("$$u", &session()), "$u");
    }

    #[test]
    fn server_name_falls_back_to_host_name() {
        assert_eq!(expand("$s", &session()), "zf");
    }

    #[test]
    fn v_falls_back_to_basename() {
        let ctx = VarContext {
            path: Some("/srv/share/"),
            ..VarContext::default()
        };
        // netatalk keeps the whole path when it ends in '/'.
        assert_eq!(expand("$v", &ctx), "/srv/share/");
        let ctx = VarContext {
            path: Some("/srv/share"),
            ..VarContext::default()
        };
        assert_eq!(expand("$v/$b", &ctx), "share/share");
    }

    #[test]
    fn ipv6_client() {
        let ctx = VarContext {
            client: Some("[2001:db8::5]:548".parse().unwrap()),
            ..VarContext::default()
        };
        assert_eq!(expand("$i $c", &ctx), "2001:db8::5 2001:db8::5:548");
    }

    #[test]
    fn session_variable_detection() {
        assert!(uses_session_variables("/data/tm/$u"));
        assert!(uses_session_variables("$i"));
        assert!(!uses_session_variables("/data/$v"));
        assert!(!uses_session_variables("cost $$u"));
        assert!(!uses_session_variables("plain"));
    }
}
