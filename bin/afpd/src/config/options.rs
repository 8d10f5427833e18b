//! Every option netatalk 3/4 knows, where it may appear, and whether this server uses it
//! (spec `cnid-and-config.md` §3.5, §3.6, §3.7; netatalk's `afp.conf(5)`); plus the value
//! grammars (booleans, numbers, octal modes, user lists, UAM lists, listen addresses).
//!
//! An option that is not in [`OPTIONS`] draws an "unknown option" warning with its
//! `file:line` (and a suggestion when only case or spacing differ: netatalk's option names
//! are case-sensitive and their inner spaces significant). An option that is known but
//! that this server does not implement draws a "not supported, ignored" warning.

use std::net::{IpAddr, SocketAddr};

/// Where an option belongs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// `[Global]` only (netatalk's "(G)").
    Global,
    /// Volume sections, presets and `[Homes]` ("(V)"). Netatalk ignores these in
    /// `[Global]`.
    Volume,
    /// Both: a `[Global]` value is a server-wide default or a separate global setting
    /// ("(G)/(V)").
    Both,
    /// `[Homes]` only ("(H)").
    Homes,
}

/// Whether this server acts on an option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    /// Parsed into [`super::Global`] / [`super::VolumeOptions`].
    Yes,
    /// Recognised; a warning says it is ignored and why.
    Ignored(&'static str),
}

/// One known option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OptionDef {
    /// The exact name (case-sensitive, single spaces).
    pub name: &'static str,
    /// Where it belongs.
    pub scope: Scope,
    /// Whether we act on it.
    pub support: Support,
}

const fn def(name: &'static str, scope: Scope, support: Support) -> OptionDef {
    OptionDef {
        name,
        scope,
        support,
    }
}

use Scope::{Both, Global as G, Homes as H, Volume as V};
use Support::{Ignored, Yes};

const LDAP: Support = Ignored("LDAP directory services are not supported");
const KRB: Support = Ignored("Kerberos (uam_gss.so) is not supported");
const FCE: Support = Ignored("filesystem change events (FCE) are not supported");
const SPOTLIGHT: Support = Ignored("Spotlight search is not supported");
const APPLETALK: Support = Ignored("AppleTalk (DDP) is not supported");
const TUNING: Support = Ignored("a netatalk implementation detail with no equivalent here");
const CHARSET: Support =
    Ignored("only UTF-8 file names (and MacRoman for AFP 2 clients) are supported");
const MYSQL: Support = Ignored("the MySQL CNID backend is not supported (one built-in store)");
const CNID_DAEMON: Support = Ignored("there is no separate CNID daemon: the store is built in");
const ACL: Support = Ignored("ACL mapping is not supported");
const EXEC: Support = Ignored("running commands on volume open/close is not supported");
const NOT_IMPL: Support = Ignored("not implemented by this server");

/// Every option of netatalk 3.0 to 4.4 `afp.conf`.
pub const OPTIONS: &[OptionDef] = &[
    // --- Global: supported
    def("afp listen", G, Yes),
    def("afp port", G, Yes),
    def("server name", G, Yes),
    def("hostname", G, Yes),
    def("uam list", G, Yes),
    def("log level", G, Yes),
    def("log file", G, Yes),
    def("max connections", G, Yes),
    def("disconnect time", G, Yes),
    def("sleep time", G, Yes),
    def("tickleval", G, Yes),
    def("timeout", G, Yes),
    def("server quantum", G, Yes),
    def("dsireadbuf", G, Yes),
    def("mimic model", G, Yes),
    def("guest account", G, Yes),
    def("vol dbnest", G, Yes),
    def("passwd file", G, Yes),
    def("passwd minlen", G, Yes),
    def("save password", G, Yes),
    def("set password", G, Yes),
    def("zeroconf", G, Yes),
    def("zeroconf name", G, Yes),
    def("signature", G, Yes),
    // --- Both: supported
    def("login message", Both, Yes),
    def("vol dbpath", Both, Yes),
    def("vol preset", Both, Yes),
    def("cnid scheme", Both, Yes),
    // --- Global: recognised, ignored
    def("ad domain", G, NOT_IMPL),
    def(
        "admin auth user",
        G,
        Ignored("a fallback password for every account is not supported, for safety"),
    ),
    def("admin group", G, Ignored("sessions never run as root here")),
    def("force user", G, NOT_IMPL),
    def("force group", G, NOT_IMPL),
    def("k5 keytab", G, KRB),
    def("k5 service", G, KRB),
    def("k5 realm", G, KRB),
    def("nt domain", G, NOT_IMPL),
    def("nt separator", G, NOT_IMPL),
    def(
        "uam path",
        G,
        Ignored("login methods are built in, not loaded from modules"),
    ),
    def("valid shellcheck", G, NOT_IMPL),
    def("unix charset", G, CHARSET),
    def(
        "srp passwd file",
        G,
        Ignored("the SRP login method is not supported"),
    ),
    def(
        "advertise ssh",
        G,
        Ignored("SSH tunnelling (Mac OS X 10.3/10.4) is not supported"),
    ),
    def(
        "afp interfaces",
        G,
        Ignored("use `afp listen` with addresses"),
    ),
    def("afp read locks", G, NOT_IMPL),
    def("fqdn", G, NOT_IMPL),
    def("tcprcvbuf", G, TUNING),
    def("tcpsndbuf", G, TUNING),
    def("recvfile", G, TUNING),
    def("splice size", G, TUNING),
    def("use sendfile", G, TUNING),
    def("cnid listen", G, CNID_DAEMON),
    def("cnid mysql host", G, MYSQL),
    def("cnid mysql user", G, MYSQL),
    def("cnid mysql pw", G, MYSQL),
    def("cnid mysql db", G, MYSQL),
    def("dircachesize", G, TUNING),
    def("dircache size", G, TUNING),
    def("dircache validation freq", G, TUNING),
    def("dircache mode", G, TUNING),
    def("dircache rfork budget", G, TUNING),
    def("dircache rfork maxsize", G, TUNING),
    def("afpstats", G, Ignored("D-Bus statistics are not supported")),
    def("close vol", G, NOT_IMPL),
    def(
        "extmap file",
        G,
        Ignored("extension to type/creator mapping is not supported"),
    ),
    def("map acls", G, ACL),
    def("solaris share reservations", G, TUNING),
    def("veto message", G, NOT_IMPL),
    def("volnamelen", G, NOT_IMPL),
    def("dbus daemon", G, SPOTLIGHT),
    def("sparql results limit", G, SPOTLIGHT),
    def("spotlight attributes", G, SPOTLIGHT),
    def("spotlight expr", G, SPOTLIGHT),
    def("start tracker", G, Ignored("removed in netatalk 4.1")),
    def("start dbus", G, Ignored("removed in netatalk 4.1")),
    def("log microseconds", G, TUNING),
    def("fce listener", G, FCE),
    def("fce version", G, FCE),
    def("fce events", G, FCE),
    def("fce coalesce", G, FCE),
    def("fce holdfmod", G, FCE),
    def("fce sendwait", G, FCE),
    def("fce ignore names", G, FCE),
    def("fce ignore directories", G, FCE),
    def("fce notify script", G, FCE),
    def("ldap auth method", G, LDAP),
    def("ldap auth dn", G, LDAP),
    def("ldap auth pw", G, LDAP),
    def("ldap uri", G, LDAP),
    def("ldap server", G, LDAP),
    def("ldap userbase", G, LDAP),
    def("ldap userscope", G, LDAP),
    def("ldap groupbase", G, LDAP),
    def("ldap groupscope", G, LDAP),
    def("ldap uuid attr", G, LDAP),
    def("ldap name attr", G, LDAP),
    def("ldap group attr", G, LDAP),
    def("ldap uuid string", G, LDAP),
    def("ldap uuid encoding", G, LDAP),
    def("ldap user filter", G, LDAP),
    def("ldap group filter", G, LDAP),
    def("appletalk", G, APPLETALK),
    def("ddp address", G, APPLETALK),
    def("ddp zone", G, APPLETALK),
    def("client polling", G, NOT_IMPL),
    // --- Both: recognised, ignored
    def("mac charset", Both, CHARSET),
    def("vol charset", Both, CHARSET),
    def("cnid server", Both, CNID_DAEMON),
    def("force xattr with sticky bit", Both, NOT_IMPL),
    def("ignored attributes", Both, NOT_IMPL),
    def("chmod request", Both, ACL),
    def("search backend", Both, SPOTLIGHT),
    def("spotlight", Both, SPOTLIGHT),
    def("legacy icon", Both, NOT_IMPL),
    // --- Volume: supported
    def("path", V, Yes),
    def("volume name", V, Yes),
    def("valid users", V, Yes),
    def("invalid users", V, Yes),
    def("hosts allow", V, Yes),
    def("hosts deny", V, Yes),
    def("rolist", V, Yes),
    def("rwlist", V, Yes),
    def("read only", V, Yes),
    def("time machine", V, Yes),
    def("vol size limit", V, Yes),
    def("file perm", V, Yes),
    def("directory perm", V, Yes),
    def("umask", V, Yes),
    def("ea", V, Yes),
    def("cnid dev", V, Yes),
    def("unix priv", V, Yes),
    def("case sensitive", V, Yes),
    def("follow symlinks", V, Yes),
    def("invisible dots", V, Yes),
    def("veto files", V, Yes),
    def("delete veto files", V, Yes),
    def("search db", V, Yes),
    def("casefold", V, Yes),
    def("convert appledouble", V, Yes),
    def("stat vol", V, Yes),
    def("network ids", V, Yes),
    def("acls", V, Yes),
    def("password", V, Yes),
    def("volume uuid", V, Yes),
    // --- Volume: recognised, ignored
    def(
        "appledouble",
        V,
        Ignored("removed in netatalk 4.2; metadata storage follows `ea`"),
    ),
    def("preexec", V, EXEC),
    def("postexec", V, EXEC),
    def("root preexec", V, EXEC),
    def("root postexec", V, EXEC),
    def("preexec close", V, EXEC),
    def("root preexec close", V, EXEC),
    def("illegal seq", V, NOT_IMPL),
    def("legacy volume size", V, NOT_IMPL),
    def("prodos", V, NOT_IMPL),
    // --- [Homes]
    def("basedir regex", H, Yes),
    def("home name", H, Yes),
];

/// The definition of `name` (exact match).
pub fn lookup(name: &str) -> Option<&'static OptionDef> {
    OPTIONS.iter().find(|d| d.name == name)
}

/// A known option that `name` probably meant: same letters ignoring case and spacing.
pub fn suggest(name: &str) -> Option<&'static str> {
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_ascii_lowercase()
    };
    let wanted = norm(name);
    OPTIONS
        .iter()
        .find(|d| norm(d.name) == wanted)
        .map(|d| d.name)
}

// ------------------------------------------------------------------------------------
// Value grammars. Each returns `Err(reason)`; the caller adds file, line and option.
// ------------------------------------------------------------------------------------

/// Netatalk's boolean: first letter `y Y t T 1` is true, `n N f F 0` false.
///
/// Netatalk falls back to the default for anything else; we reject it so a typo does not
/// silently flip a setting.
pub fn parse_bool(v: &str) -> Result<bool, String> {
    match v.chars().next() {
        Some('y' | 'Y' | 't' | 'T' | '1') => Ok(true),
        Some('n' | 'N' | 'f' | 'F' | '0') => Ok(false),
        _ => Err("expected a boolean (yes/no, true/false, 1/0)".to_owned()),
    }
}

/// A non-negative integer, decimal or `0x` hexadecimal (netatalk's `server quantum`
/// default is written `0x100000`).
pub fn parse_u64(v: &str) -> Result<u64, String> {
    let v = v.trim();
    let parsed = match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => v.parse::<u64>(),
    };
    parsed.map_err(|_| "expected a non-negative whole number".to_owned())
}

/// An integer in `min..=max`.
pub fn parse_range(v: &str, min: u64, max: u64) -> Result<u64, String> {
    let n = parse_u64(v)?;
    if n < min || n > max {
        return Err(format!("must be between {min} and {max}"));
    }
    Ok(n)
}

/// An octal permission value (`umask`, `file perm`, `directory perm`): at most `0o7777`.
pub fn parse_octal_mode(v: &str) -> Result<u32, String> {
    let digits = v.trim();
    let digits = digits.strip_prefix("0o").unwrap_or(digits);
    let n = u32::from_str_radix(digits, 8)
        .map_err(|_| "expected an octal mode such as 0644 or 022".to_owned())?;
    if n > 0o7777 {
        return Err("an octal mode is at most 07777".to_owned());
    }
    Ok(n)
}

/// A user or a group in `valid users`, `invalid users`, `rolist`, `rwlist`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// A user name (compared case-insensitively, as netatalk does).
    User(String),
    /// `@group`: members of this Unix group (primary or supplementary).
    Group(String),
}

/// Split a user list: names separated by spaces and/or commas; `"double quotes"` group a
/// name containing spaces (`"@group name"` works too); `@` prefix = group.
pub fn parse_principals(v: &str) -> Result<Vec<Principal>, String> {
    let mut out = Vec::new();
    let mut chars = v.chars().peekable();
    loop {
        while chars
            .peek()
            .is_some_and(|c| *c == ' ' || *c == ',' || *c == '\t')
        {
            chars.next();
        }
        let Some(&first) = chars.peek() else { break };
        let mut token = String::new();
        if first == '"' {
            chars.next();
            let mut closed = false;
            for c in chars.by_ref() {
                if c == '"' {
                    closed = true;
                    break;
                }
                token.push(c);
            }
            if !closed {
                return Err("unterminated double quote".to_owned());
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ' ' || c == ',' || c == '\t' {
                    break;
                }
                token.push(c);
                chars.next();
            }
        }
        if token.is_empty() {
            continue;
        }
        match token.strip_prefix('@') {
            Some("") => return Err("`@` must be followed by a group name".to_owned()),
            Some(group) => out.push(Principal::Group(group.to_owned())),
            None => out.push(Principal::User(token)),
        }
    }
    Ok(out)
}

/// A login method (UAM) this server offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LoginMethod {
    /// "No User Authent": guest access as `guest account`.
    Guest,
    /// "Cleartxt Passwrd": password in the clear (8 bytes at most).
    ClearText,
    /// "DHCAST128": Diffie-Hellman exchange with a fixed group.
    Dhcast128,
    /// "DHX2": Diffie-Hellman with a server-chosen group.
    Dhx2,
}

impl LoginMethod {
    /// The UAM name on the wire (status block, FPLogin).
    pub fn afp_name(self) -> &'static str {
        match self {
            LoginMethod::Guest => "No User Authent",
            LoginMethod::ClearText => "Cleartxt Passwrd",
            LoginMethod::Dhcast128 => "DHCAST128",
            LoginMethod::Dhx2 => "DHX2",
        }
    }

    /// Every method this build knows, strongest first.
    pub const ALL: [LoginMethod; 4] = [
        LoginMethod::Dhx2,
        LoginMethod::Dhcast128,
        LoginMethod::ClearText,
        LoginMethod::Guest,
    ];
}

/// What a `uam list` module name means here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UamName {
    /// Maps to one of our methods.
    Method(LoginMethod),
    /// A real netatalk module we do not offer, with the reason.
    Unsupported(&'static str),
}

/// Map a netatalk module name (`uams_dhx2.so`, `uams_dhx2_pam.so`, …) to a method.
/// `None`: not a netatalk module name at all.
pub fn uam_by_module(name: &str) -> Option<UamName> {
    let base = name.rsplit('/').next().unwrap_or(name);
    let m = |l| Some(UamName::Method(l));
    match base {
        "uams_guest.so" => m(LoginMethod::Guest),
        "uams_clrtxt.so" | "uams_pam.so" | "uams_passwd.so" => m(LoginMethod::ClearText),
        "uams_dhx.so" | "uams_dhx_pam.so" | "uams_dhx_passwd.so" => m(LoginMethod::Dhcast128),
        "uams_dhx2.so" | "uams_dhx2_pam.so" | "uams_dhx2_passwd.so" => m(LoginMethod::Dhx2),
        "uams_randnum.so" => Some(UamName::Unsupported(
            "Randnum needs the cleartext password stored on the server; our password file keeps only salted hashes",
        )),
        "uam_gss.so" | "uams_gss.so" => Some(UamName::Unsupported("Kerberos is not supported")),
        "uams_srp.so" => Some(UamName::Unsupported("SRP is not supported")),
        _ => None,
    }
}

/// `afp listen` entries: `ip`, `ip:port`, `[ipv6]:port`, `[ipv6]` or a bare IPv6 address;
/// separated by spaces or commas. Entries without a port get `default_port`.
pub fn parse_listen(v: &str, default_port: u16) -> Result<Vec<SocketAddr>, String> {
    let mut out = Vec::new();
    for tok in v.split([' ', ',', '\t']).filter(|t| !t.is_empty()) {
        if let Ok(sa) = tok.parse::<SocketAddr>() {
            out.push(sa);
            continue;
        }
        if let Ok(ip) = tok.parse::<IpAddr>() {
            out.push(SocketAddr::new(ip, default_port));
            continue;
        }
        if let Some(inner) = tok.strip_prefix('[').and_then(|t| t.strip_suffix(']'))
            && let Ok(ip) = inner.parse::<IpAddr>()
        {
            out.push(SocketAddr::new(ip, default_port));
            continue;
        }
        return Err(format!(
            "`{tok}` is not an address (expected ip, ip:port or [ipv6]:port; host names are not accepted)"
        ));
    }
    if out.is_empty() {
        return Err("no address given".to_owned());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_no_duplicates_and_covers_the_seed() {
        let mut names: Vec<_> = OPTIONS.iter().map(|d| d.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "duplicate option in OPTIONS");
        for seed in [
            "mimic model",
            "log level",
            "log file",
            "hosts allow",
            "disconnect time",
            "vol dbpath",
            "time machine",
            "path",
            "valid users",
            "vol size limit",
        ] {
            assert_eq!(lookup(seed).map(|d| d.support), Some(Yes), "{seed}");
        }
    }

    #[test]
    fn suggestion_for_case_and_spacing() {
        assert_eq!(suggest("Vol  DBPath"), Some("vol dbpath"));
        assert_eq!(suggest("nonsense"), None);
    }

    #[test]
    fn booleans() {
        for t in ["yes", "Yes", "true", "T", "1"] {
            assert_eq!(parse_bool(t), Ok(true), "{t}");
        }
        for f in ["no", "NO", "false", "f", "0"] {
            assert_eq!(parse_bool(f), Ok(false), "{f}");
        }
        assert!(parse_bool("maybe").is_err());
        assert!(parse_bool("").is_err());
    }

    #[test]
    fn numbers_and_modes() {
        assert_eq!(parse_u64("204800"), Ok(204800));
        assert_eq!(parse_u64("0x100000"), Ok(0x100000));
        assert!(parse_u64("-1").is_err());
        assert!(parse_u64("12k").is_err());
        assert_eq!(parse_range("30", 1, 3600), Ok(30));
        assert!(parse_range("0", 1, 3600).is_err());
        assert_eq!(parse_octal_mode("0660"), Ok(0o660));
        assert_eq!(parse_octal_mode("22"), Ok(0o22));
        assert!(parse_octal_mode("0999").is_err());
        assert!(parse_octal_mode("17777").is_err());
    }

    #[test]
    fn principals() {
        assert_eq!(
            parse_principals("user1 user2, user3,@group1 \"user name1\", \"@group name1\"")
                .unwrap(),
            vec![
                Principal::User("user1".into()),
                Principal::User("user2".into()),
                Principal::User("user3".into()),
                Principal::Group("group1".into()),
                Principal::User("user name1".into()),
                Principal::Group("group name1".into()),
            ]
        );
        assert!(parse_principals("\"open").is_err());
        assert!(parse_principals("@").is_err());
        assert_eq!(parse_principals(" , ").unwrap(), vec![]);
    }

    #[test]
    fn uam_modules() {
        assert_eq!(
            uam_by_module("uams_dhx2.so"),
            Some(UamName::Method(LoginMethod::Dhx2))
        );
        assert_eq!(
            uam_by_module("uams_dhx_pam.so"),
            Some(UamName::Method(LoginMethod::Dhcast128))
        );
        assert_eq!(
            uam_by_module("/usr/lib/netatalk/uams_guest.so"),
            Some(UamName::Method(LoginMethod::Guest))
        );
        assert!(matches!(
            uam_by_module("uams_randnum.so"),
            Some(UamName::Unsupported(_))
        ));
        assert_eq!(uam_by_module("uams_bogus.so"), None);
    }

    #[test]
    fn listen_addresses() {
        let v = parse_listen("192.168.1.103 10.0.0.1:10548,[::1]:549 ::1 [fe80::1]", 548).unwrap();
        assert_eq!(
            v,
            vec![
                "192.168.1.103:548".parse().unwrap(),
                "10.0.0.1:10548".parse().unwrap(),
                "[::1]:549".parse().unwrap(),
                "[::1]:548".parse().unwrap(),
                "[fe80::1]:548".parse().unwrap(),
            ]
        );
        assert!(parse_listen("fileserver:548", 548).is_err());
        assert!(parse_listen("", 548).is_err());
    }
}
