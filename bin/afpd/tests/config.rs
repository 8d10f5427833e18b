//! afp.conf: the seed file, every lexical rule of spec §3.1, bad values with file:line,
//! placement warnings, variables (§3.3), `vol dbpath` (§3.4) and per-session resolution.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use afpd::accounts::UserInfo;
use afpd::config::{
    CnidScheme, Config, Diagnostic, LoadError, LoadOptions, Loaded, LoginMethod, Principal,
    Severity, SkipReason,
};
use afpd::logging::NetatalkLevel;

const SEED: &str = include_str!("fixtures/seed000_afp.conf");

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, text).unwrap();
        p
    }

    fn opts(&self) -> LoadOptions {
        LoadOptions {
            state_dir: self.path("state"),
            host_name: Some("zf".into()),
            global_volume_defaults: false,
        }
    }

    fn load(&self, text: &str) -> Result<Loaded, LoadError> {
        let p = self.write("afp.conf", text);
        Config::load(&p, &self.opts())
    }

    fn ok(&self, text: &str) -> Loaded {
        match self.load(text) {
            Ok(l) => l,
            Err(e) => panic!("expected the configuration to load:\n{e}"),
        }
    }

    fn err(&self, text: &str) -> LoadError {
        match self.load(text) {
            Ok(l) => panic!(
                "expected errors, got a config with warnings {:?}",
                l.warnings
            ),
            Err(e) => e,
        }
    }
}

fn has(diags: &[Diagnostic], line: u32, needle: &str) -> bool {
    diags
        .iter()
        .any(|d| d.span.as_ref().is_some_and(|s| s.line == line) && d.message.contains(needle))
}

fn user(name: &str) -> UserInfo {
    UserInfo {
        name: name.into(),
        uid: 5000,
        gid: 5000,
        groups: vec![5000],
        home: None,
        full_name: format!("{name} Example"),
        group_name: Some("staff".into()),
        system_account: false,
        is_guest: false,
    }
}

fn client(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

// ------------------------------------------------------------------------------------
// The seed
// ------------------------------------------------------------------------------------

#[test]
fn seed_000_loads_verbatim() {
    let env = Env::new();
    let loaded = env.ok(SEED);
    let c = &loaded.config;
    let g = &c.global;
    assert_eq!(g.mimic_model.as_deref(), Some("TimeCapsule6,106"));
    assert_eq!(g.log_level.default, NetatalkLevel::Warn);
    assert_eq!(g.log_file.as_deref(), Some(Path::new("/var/adm/afpd.log")));
    assert_eq!(g.disconnect_time_hours, 1);
    assert_eq!(g.vol_dbpath.as_deref(), Some("/var/netatalk/CNID/$u/$v/"));
    assert_eq!(
        g.uam_list,
        vec![LoginMethod::Dhcast128, LoginMethod::Dhx2],
        "netatalk default"
    );
    assert!(c.homes.is_none(), "[Homes] is commented out");
    assert_eq!(c.volumes.len(), 1);
    let v = &c.volumes[0];
    assert_eq!(v.section, "time_mach");
    assert_eq!(v.path, "/data/tm/$u");
    assert_eq!(v.options.time_machine, Some(true));
    assert_eq!(
        v.options.valid_users,
        Some(vec![Principal::Group("tmusers".into())])
    );
    assert_eq!(v.options.vol_size_limit_mib, Some(204_800));
    // The one thing netatalk silently ignores: `hosts allow` in [Global]. We say so,
    // pointing at line 9.
    assert!(
        has(&loaded.warnings, 9, "NO effect"),
        "expected a loud warning for `hosts allow` in [Global]: {:?}",
        loaded.warnings
    );
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    assert!(
        loaded.warnings[0]
            .to_string()
            .contains("afp.conf:9: warning:")
    );
}

#[test]
fn seed_000_resolves_for_a_session() {
    let env = Env::new();
    // Make the seed's per-user path exist under a temporary root.
    let data = env.path("data/tm/elatov");
    std::fs::create_dir_all(&data).unwrap();
    let text = SEED.replace(
        "/data/tm/$u",
        &format!("{}/data/tm/$u", env.dir.path().display()),
    );
    let c = env.ok(&text).config;
    // `valid users = @tmusers` names a group; a user outside it sees nothing.
    let r = c.volumes_for(&user("elatov"), client("192.168.1.20:50000"));
    assert!(r.volumes.is_empty());
    assert_eq!(r.skipped[0].reason, SkipReason::UserNotAllowed);
}

// ------------------------------------------------------------------------------------
// Lexical rules (§3.1)
// ------------------------------------------------------------------------------------

#[test]
fn continuation_lines_join_without_space() {
    let env = Env::new();
    let c = env
        .ok("[Global]\nserver name = Back\\   \nup Server\nmimic model = \\\nXserve\n")
        .config;
    assert_eq!(c.global.server_name.as_deref(), Some("Backup Server"));
    assert_eq!(c.global.mimic_model.as_deref(), Some("Xserve"));
}

#[test]
fn comment_line_continues_too() {
    let env = Env::new();
    // netatalk joins before classifying, so the continued line is part of the comment.
    let c = env
        .ok("[Global]\n# comment \\\nserver name = hidden\n")
        .config;
    assert_eq!(c.global.server_name, None);
}

#[test]
fn inline_comments_and_quotes() {
    let env = Env::new();
    let c = env
        .ok(concat!(
            "[Global]\n",
            "server name = Files ; the name\n",
            "mimic model = RackMac # icon\n",
            "login message = 'Welcome; be nice # really'\n",
            "zeroconf name = \"  Padded  \" ; quoted\n",
            "vol dbpath = ''\n",
        ))
        .config;
    assert_eq!(c.global.server_name.as_deref(), Some("Files"));
    assert_eq!(c.global.mimic_model.as_deref(), Some("RackMac"));
    assert_eq!(
        c.global.login_message.as_deref(),
        Some("Welcome; be nice # really")
    );
    assert_eq!(c.global.zeroconf_name.as_deref(), Some("  Padded  "));
    assert_eq!(c.global.vol_dbpath, None, "'' is an empty value");
}

#[test]
fn comments_blank_lines_and_crlf() {
    let env = Env::new();
    let c = env
        .ok("; c1\r\n# c2\r\n   \r\n[Global]\r\n  ; indented comment\r\nserver name = X\r\n")
        .config;
    assert_eq!(c.global.server_name.as_deref(), Some("X"));
}

#[test]
fn last_value_wins_with_a_warning() {
    let env = Env::new();
    let l = env.ok("[Global]\ntickleval = 10\ntickleval = 20\n");
    assert_eq!(l.config.global.tickleval_secs, 20);
    assert!(has(&l.warnings, 3, "last value wins"));
}

#[test]
fn repeated_section_merges() {
    let env = Env::new();
    let l = env.ok("[Global]\ntickleval = 10\n[Global]\ntimeout = 7\n");
    assert_eq!(l.config.global.tickleval_secs, 10);
    assert_eq!(l.config.global.timeout_tickles, 7);
    assert!(has(&l.warnings, 3, "appears again"));
}

#[test]
fn section_names_global_and_homes_any_case() {
    let env = Env::new();
    let home_root = env.path("home");
    std::fs::create_dir_all(&home_root).unwrap();
    let c = env
        .ok("[global]\nserver name = S\n[HOMES]\nbasedir regex = /home\n")
        .config;
    assert_eq!(c.global.server_name.as_deref(), Some("S"));
    assert!(c.homes.is_some());
}

#[test]
fn syntax_errors_fail_with_file_and_line() {
    let env = Env::new();
    let e = env.err("[Global]\nserver name = ok\nthis line has no equals sign\n[broken\n= value\n");
    let errors: Vec<_> = e.errors().collect();
    assert_eq!(errors.len(), 3, "{e}");
    let text = e.to_string();
    assert!(text.contains("afp.conf:3: error: syntax error"), "{text}");
    assert!(text.contains("afp.conf:4: error: syntax error"), "{text}");
    assert!(text.contains("afp.conf:5: error: syntax error"), "{text}");
}

#[test]
fn section_header_with_trailing_comment_is_an_error() {
    let env = Env::new();
    let e = env.err("[Global] ; main\n");
    assert!(e.to_string().contains(":1: error: syntax error"), "{e}");
}

#[test]
fn colon_in_section_name_is_an_error() {
    let env = Env::new();
    let e = env.err("[a:b]\npath = /tmp\n");
    assert!(e.to_string().contains("must not contain `:`"), "{e}");
}

#[test]
fn overlong_line_is_an_error() {
    let env = Env::new();
    let ok_line = format!(
        "[Global]\nlogin message = {}\n",
        "x".repeat(1022 - "login message = ".len())
    );
    env.ok(&ok_line);
    let long_line = format!(
        "[Global]\nlogin message = {}\n",
        "x".repeat(1023 - "login message = ".len())
    );
    let e = env.err(&long_line);
    assert!(
        e.to_string()
            .contains(":2: error: line too long (1023 bytes"),
        "{e}"
    );
    // Continuations count the joined length.
    let half = "x".repeat(600);
    let e = env.err(&format!("[Global]\nlogin message = {half}\\\n{half}\n"));
    assert!(e.to_string().contains(":2: error: line too long"), "{e}");
}

#[test]
fn options_before_any_section_are_ignored() {
    let env = Env::new();
    let l = env.ok("server name = early\n[Global]\n");
    assert_eq!(l.config.global.server_name, None);
    assert!(has(&l.warnings, 1, "before any [section]"));
}

#[test]
fn include_switches_files_and_never_returns() {
    let env = Env::new();
    env.write("conf.d/volumes.conf", "[media]\npath = /tmp\n");
    let l =
        env.ok("[Global]\nserver name = A\ninclude = conf.d/volumes.conf\nmimic model = lost\n");
    let c = &l.config;
    assert_eq!(c.global.server_name.as_deref(), Some("A"));
    assert_eq!(
        c.global.mimic_model, None,
        "lines after include are not read"
    );
    assert_eq!(c.volumes.len(), 1);
    assert_eq!(c.volumes[0].section, "media");
    assert!(has(&l.warnings, 3, "obsolete"));
    assert!(has(&l.warnings, 3, "after this `include`"));
}

#[test]
fn include_keeps_the_current_section_and_absolute_paths_work() {
    let env = Env::new();
    let inc = env.write("inc.conf", "mimic model = Xserve\n");
    let c = env
        .ok(&format!("[Global]\ninclude = {}\n", inc.display()))
        .config;
    assert_eq!(c.global.mimic_model.as_deref(), Some("Xserve"));
}

#[test]
fn include_of_a_missing_file_is_an_error() {
    let env = Env::new();
    let e = env.err("[Global]\ninclude = nowhere.conf\n");
    assert!(
        e.to_string().contains("afp.conf:2: error: cannot read"),
        "{e}"
    );
}

#[test]
fn include_loop_stops() {
    let env = Env::new();
    env.write("a.conf", "include = afp.conf\n");
    let e = env.err("[Global]\ninclude = a.conf\n");
    assert!(e.to_string().contains("too many nested includes"), "{e}");
}

#[test]
fn errors_in_included_files_name_that_file() {
    let env = Env::new();
    env.write("bad.conf", "[v]\npath = /tmp\nread only = perhaps\n");
    let e = env.err("[Global]\ninclude = bad.conf\n");
    let text = e.to_string();
    assert!(
        text.contains("bad.conf:3: error: bad value `perhaps` for `read only`"),
        "{text}"
    );
}

#[test]
fn missing_config_file() {
    let env = Env::new();
    let e = Config::load(&env.path("absent.conf"), &env.opts()).unwrap_err();
    assert!(e.to_string().contains("cannot read"), "{e}");
}

// ------------------------------------------------------------------------------------
// Options: unknown, misplaced, unsupported, bad values
// ------------------------------------------------------------------------------------

#[test]
fn unknown_option_warns_with_file_line_and_suggestion() {
    let env = Env::new();
    let l = env.ok("[Global]\nfrobnicate = yes\nVol DBPath = /x\nvol  dbpath = /y\n");
    assert!(has(&l.warnings, 2, "unknown option `frobnicate`"));
    assert!(has(&l.warnings, 3, "did you mean `vol dbpath`"));
    assert!(has(&l.warnings, 4, "did you mean `vol dbpath`"));
    assert_eq!(
        l.config.global.vol_dbpath, None,
        "netatalk ignores misspelt keys"
    );
}

#[test]
fn unsupported_options_warn_and_are_ignored() {
    let env = Env::new();
    let l = env.ok(
        "[Global]\nldap uri = ldap://x/\nappletalk = yes\n[v]\npath = /tmp\npreexec = /bin/true\n",
    );
    assert!(has(&l.warnings, 2, "not supported by this server"));
    assert!(has(&l.warnings, 3, "AppleTalk"));
    assert!(has(&l.warnings, 6, "not supported"));
}

#[test]
fn misplaced_options_warn() {
    let env = Env::new();
    let l = env.ok(
        "[Global]\ntime machine = yes\n[v]\npath = /tmp\nafp port = 600\nbasedir regex = /home\n",
    );
    assert!(has(&l.warnings, 2, "volume option"));
    assert!(has(&l.warnings, 5, "[Global] option"));
    assert!(has(&l.warnings, 6, "belongs in [Homes]"));
    assert_eq!(l.config.global.afp_port, 548);
}

#[test]
fn bad_values_fail_with_file_line_and_option() {
    let env = Env::new();
    let e = env.err(concat!(
        "[Global]\n",
        "afp port = 70000\n",
        "tickleval = often\n",
        "server quantum = 1000\n",
        "log level = default:loud\n",
        "uam list = uams_dhx2.so uams_magic.so\n",
        "zeroconf = maybe\n",
        "afp listen = fileserver.local\n",
        "[v]\n",
        "path = relative/dir\n",
        "[w]\n",
        "path = /tmp\n",
        "umask = 0999\n",
        "hosts allow = 192.168.100/24\n",
        "vol size limit = 200GB\n",
        "ea = magic\n",
        "cnid scheme = cdbx\n",
        "valid users = alice, \"bob\n",
        "volume uuid = not-a-uuid\n",
    ));
    let text = e.to_string();
    for (line, option) in [
        (2, "afp port"),
        (3, "tickleval"),
        (4, "server quantum"),
        (5, "log level"),
        (6, "uam list"),
        (7, "zeroconf"),
        (8, "afp listen"),
        (10, "path"),
        (13, "umask"),
        (14, "hosts allow"),
        (15, "vol size limit"),
        (16, "ea"),
        (17, "cnid scheme"),
        (18, "valid users"),
        (19, "volume uuid"),
    ] {
        let wanted = format!("afp.conf:{line}: error: bad value");
        assert!(
            text.lines()
                .any(|l| l.contains(&wanted) && l.contains(&format!("for `{option}`"))),
            "no error for `{option}` at line {line} in:\n{text}"
        );
    }
}

#[test]
fn uam_list_maps_netatalk_modules() {
    let env = Env::new();
    let l = env.ok("[Global]\nuam list = uams_randnum.so,uams_dhx2_pam.so uams_guest.so uams_clrtxt.so uams_dhx2.so\n");
    assert_eq!(
        l.config.global.uam_list,
        vec![
            LoginMethod::Dhx2,
            LoginMethod::Guest,
            LoginMethod::ClearText
        ]
    );
    assert!(l.config.global.guest_allowed());
    assert!(has(&l.warnings, 2, "uams_randnum.so"));
    let e = env.err("[Global]\nuam list = uams_randnum.so\n");
    assert!(e.to_string().contains("no usable login method"), "{e}");
}

#[test]
fn global_numbers_defaults_and_hex() {
    let env = Env::new();
    let c = env.ok("[Global]\n").config;
    let g = &c.global;
    assert_eq!(
        (
            g.afp_port,
            g.max_connections,
            g.tickleval_secs,
            g.timeout_tickles,
            g.server_quantum,
            g.dsireadbuf
        ),
        (548, 200, 30, 4, 0x100000, 12)
    );
    assert_eq!(g.idle_timeout_secs(), 120);
    assert_eq!((g.disconnect_time_hours, g.sleep_time_hours), (24, 10));
    assert_eq!(g.guest_account, "nobody");
    assert!(g.save_password && !g.set_password && g.zeroconf);
    let c = env
        .ok("[Global]\nserver quantum = 0x40000\nmax connections = 50\n")
        .config;
    assert_eq!(c.global.server_quantum, 0x40000);
    assert_eq!(c.global.max_connections, 50);
}

#[test]
fn afp_listen_takes_afp_port_regardless_of_order() {
    let env = Env::new();
    let c = env
        .ok("[Global]\nafp listen = 127.0.0.1 [::1]:600\nafp port = 10548\n")
        .config;
    assert_eq!(
        c.global.afp_listen,
        vec![client("127.0.0.1:10548"), client("[::1]:600")]
    );
}

#[test]
fn vol_preset_must_exist() {
    let env = Env::new();
    let e = env.err("[v]\npath = /tmp\nvol preset = nosuch\n");
    assert!(
        e.to_string()
            .contains("afp.conf:3: error: `vol preset = nosuch` names no section"),
        "{e}"
    );
    let e = env.err("[Global]\nvol preset = gone\n");
    assert!(e.to_string().contains("names no section"), "{e}");
}

#[test]
fn homes_needs_basedir_regex() {
    let env = Env::new();
    let e = env.err("[Homes]\npath = afp-data\n");
    assert!(
        e.to_string()
            .contains("afp.conf:1: error: [Homes] needs `basedir regex`"),
        "{e}"
    );
    let e = env.err("[Homes]\nbasedir regex = /home/(\n");
    assert!(
        e.to_string().contains("not a valid regular expression"),
        "{e}"
    );
}

#[test]
fn home_name_rules() {
    let env = Env::new();
    let l = env.ok("[Homes]\nbasedir regex = /home\nhome name = Home\n");
    assert_eq!(l.config.homes.unwrap().home_name, "$u's home");
    assert!(has(&l.warnings, 3, "must contain `$u`"));
    let l = env.ok("[Homes]\nbasedir regex = /home\nhome name = $u:home\n");
    assert!(has(&l.warnings, 3, "must not contain `:`"));
}

#[test]
fn missing_static_path_is_a_warning() {
    let env = Env::new();
    let l = env.ok("[v]\npath = /nonexistent/afpd-test\n");
    assert!(has(&l.warnings, 2, "not accessible"));
}

// ------------------------------------------------------------------------------------
// Resolution: variables, presets, access, read-only, dbpath
// ------------------------------------------------------------------------------------

fn share(env: &Env, name: &str) -> String {
    let p = env.path(name);
    std::fs::create_dir_all(&p).unwrap();
    p.display().to_string()
}

#[test]
fn variables_in_path_and_name() {
    let env = Env::new();
    let root = share(&env, "shares");
    std::fs::create_dir_all(env.path("shares/alice")).unwrap();
    let c = env
        .ok(&format!(
            "[Global]\nserver name = Files\n[per-user]\npath = {root}/$u\nvolume name = $u on $s ($v, $b)\n"
        ))
        .config;
    let r = c.volumes_for(&user("alice"), client("10.0.0.5:50000"));
    assert_eq!(r.volumes.len(), 1, "{:?}", r.skipped);
    let v = &r.volumes[0];
    assert_eq!(v.name, "alice on Files (alice, alice)");
    assert_eq!(
        v.path,
        std::fs::canonicalize(env.path("shares/alice")).unwrap()
    );
    // Another user's directory does not exist: the volume is left out.
    let r = c.volumes_for(&user("bob"), client("10.0.0.5:50000"));
    assert!(matches!(
        r.skipped[0].reason,
        SkipReason::PathUnavailable(..)
    ));
}

#[test]
fn valid_and_invalid_users() {
    let env = Env::new();
    let root = share(&env, "s");
    let c = env
        .ok(&format!(
            "[only]\npath = {root}\nvalid users = alice, \"Bob\"\n[deny]\npath = {root}/\nvolume name = deny\ninvalid users = alice\n"
        ))
        .config;
    let names = |u: &str| -> Vec<String> {
        c.volumes_for(&user(u), client("10.0.0.1:1"))
            .volumes
            .into_iter()
            .map(|v| v.name)
            .collect()
    };
    assert_eq!(
        names("ALICE"),
        vec!["only".to_owned()],
        "case-insensitive, and denied from `deny`"
    );
    // `deny` has the same real path as `only`, so for bob it is a duplicate.
    let r = c.volumes_for(&user("bob"), client("10.0.0.1:1"));
    assert_eq!(r.volumes.len(), 1);
    assert!(matches!(r.skipped[0].reason, SkipReason::Duplicate(_)));
    assert_eq!(names("carol"), vec!["deny".to_owned()]);
}

#[test]
fn hosts_allow_and_deny_per_volume() {
    let env = Env::new();
    let a = share(&env, "a");
    let b = share(&env, "b");
    let c = env
        .ok(&format!(
            "[lan]\npath = {a}\nhosts allow = 192.168.1.0/24 2001:db8::/32\n[notguest]\npath = {b}\nhosts deny = 10.0.0.0/8\n"
        ))
        .config;
    let see = |addr: &str| -> Vec<String> {
        c.volumes_for(&user("u"), client(addr))
            .volumes
            .into_iter()
            .map(|v| v.name)
            .collect()
    };
    assert_eq!(see("192.168.1.7:5000"), vec!["lan", "notguest"]);
    assert_eq!(see("[::ffff:192.168.1.7]:5000"), vec!["lan", "notguest"]);
    assert_eq!(see("[2001:db8::1]:5000"), vec!["lan", "notguest"]);
    assert_eq!(see("10.1.2.3:5000"), Vec::<String>::new());
    assert_eq!(see("172.16.0.1:5000"), vec!["notguest"]);
}

#[test]
fn presets_section_then_global_preset_then_default() {
    let env = Env::new();
    let a = share(&env, "a");
    let b = share(&env, "b");
    let c = env
        .ok(&format!(
            concat!(
                "[Global]\nvol preset = base\n",
                "[base]\nfile perm = 0660\nread only = yes\n",
                "[tm]\ntime machine = yes\nvol size limit = 1000\n",
                "[one]\npath = {a}\nread only = no\n",
                "[two]\npath = {b}\nvol preset = tm\n",
            ),
            a = a,
            b = b
        ))
        .config;
    assert_eq!(c.presets.len(), 2);
    let r = c.volumes_for(&user("u"), client("10.0.0.1:1"));
    let one = &r.volumes[0];
    assert_eq!(
        (one.read_only, one.file_perm, one.time_machine),
        (false, 0o660, false)
    );
    let two = &r.volumes[1];
    // Its own preset replaces the global one entirely.
    assert_eq!(
        (two.read_only, two.file_perm, two.time_machine),
        (false, 0, true)
    );
    assert_eq!(two.vol_size_limit_mib, Some(1000));
}

#[test]
fn global_volume_options_only_with_opt_in() {
    let env = Env::new();
    let a = share(&env, "a");
    let text = format!("[Global]\nhosts allow = 192.168.1.0/24\n[v]\npath = {a}\n");
    let c = env.ok(&text).config;
    assert_eq!(
        c.volumes_for(&user("u"), client("10.0.0.1:1"))
            .volumes
            .len(),
        1,
        "netatalk: no effect"
    );
    let p = env.write("afp.conf", &text);
    let opts = LoadOptions {
        global_volume_defaults: true,
        ..env.opts()
    };
    let l = Config::load(&p, &opts).unwrap();
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
    assert_eq!(
        l.config
            .volumes_for(&user("u"), client("10.0.0.1:1"))
            .volumes
            .len(),
        0
    );
    assert_eq!(
        l.config
            .volumes_for(&user("u"), client("192.168.1.9:1"))
            .volumes
            .len(),
        1
    );
}

#[test]
fn read_only_rules() {
    let env = Env::new();
    let dirs: Vec<String> = (0..4).map(|i| share(&env, &format!("d{i}"))).collect();
    let c = env
        .ok(&format!(
            concat!(
                "[ro]\npath = {}\nrolist = alice\n",
                "[rw]\npath = {}\nrwlist = bob\n",
                "[last]\npath = {}\ncnid scheme = last\n",
                "[plain]\npath = {}\n",
            ),
            dirs[0], dirs[1], dirs[2], dirs[3]
        ))
        .config;
    let ro = |u: &str| -> Vec<bool> {
        c.volumes_for(&user(u), client("10.0.0.1:1"))
            .volumes
            .iter()
            .map(|v| v.read_only)
            .collect()
    };
    assert_eq!(ro("alice"), vec![true, true, true, false]);
    assert_eq!(ro("bob"), vec![false, false, true, false]);
    let v = &c.volumes_for(&user("bob"), client("10.0.0.1:1")).volumes[2];
    assert_eq!(v.cnid_scheme, CnidScheme::Last);
}

#[test]
fn resolved_defaults() {
    let env = Env::new();
    let a = share(&env, "a");
    let c = env.ok(&format!("[v]\npath = {a}\n")).config;
    let v = &c.volumes_for(&user("u"), client("10.0.0.1:1")).volumes[0];
    assert!(v.cnid_dev && v.unix_priv && v.case_sensitive && v.acls && v.stat_vol && v.network_ids);
    assert!(
        !v.read_only && !v.time_machine && !v.follow_symlinks && !v.invisible_dots && !v.search_db
    );
    assert_eq!((v.file_perm, v.directory_perm, v.umask), (0, 0, None));
    assert_eq!(v.ea, afpd::config::EaMode::Auto);
    assert_eq!(v.cnid_scheme, CnidScheme::Store);
}

#[test]
fn dbpath_rule_1_dbnest() {
    let env = Env::new();
    let a = share(&env, "a");
    let c = env
        .ok(&format!(
            "[Global]\nvol dbnest = yes\nvol dbpath = /ignored\n[v]\npath = {a}\n"
        ))
        .config;
    let v = &c.volumes_for(&user("u"), client("10.0.0.1:1")).volumes[0];
    assert_eq!(v.db_dir, v.path);
}

#[test]
fn dbpath_rule_2_volume_verbatim() {
    let env = Env::new();
    let a = share(&env, "a");
    let c = env
        .ok(&format!(
            "[Global]\nvol dbpath = /global\n[My/Vol]\npath = {a}\nvol dbpath = /db/$u/$v\n"
        ))
        .config;
    let v = &c.volumes_for(&user("alice"), client("10.0.0.1:1")).volumes[0];
    assert_eq!(
        v.db_dir,
        PathBuf::from("/db/alice/My:Vol"),
        "`/` in the name becomes `:`"
    );
}

#[test]
fn dbpath_rule_3a_global_without_variables() {
    let env = Env::new();
    let a = share(&env, "a");
    let c = env
        .ok(&format!(
            "[Global]\nvol dbpath = /var/db\n[media]\npath = {a}\n"
        ))
        .config;
    let v = &c.volumes_for(&user("u"), client("10.0.0.1:1")).volumes[0];
    assert_eq!(v.db_dir, PathBuf::from("/var/db/media/"));
}

#[test]
fn dbpath_rule_3b_global_with_variables_the_seed() {
    let env = Env::new();
    std::fs::create_dir_all(env.path("data/tm/elatov")).unwrap();
    let text = SEED
        .replace(
            "/data/tm/$u",
            &format!("{}/data/tm/$u", env.dir.path().display()),
        )
        .replace("valid users = @tmusers", "valid users = elatov");
    let c = env.ok(&text).config;
    let v = &c
        .volumes_for(&user("elatov"), client("192.168.1.20:1"))
        .volumes[0];
    assert_eq!(
        v.db_dir,
        PathBuf::from("/var/netatalk/CNID/elatov/time_mach/")
    );
    assert!(v.time_machine);
    assert_eq!(v.vol_size_limit_mib, Some(204_800));
}

#[test]
fn dbpath_rule_4_default_under_state_dir() {
    let env = Env::new();
    let a = share(&env, "a");
    let c = env.ok(&format!("[media]\npath = {a}\n")).config;
    let v = &c.volumes_for(&user("u"), client("10.0.0.1:1")).volumes[0];
    assert_eq!(v.db_dir, env.path("state/CNID/media/"));
}

#[test]
fn db_dir_creation_makes_the_per_user_level() {
    // The seed's failure: netatalk's mkdir of /var/netatalk/CNID/elatov/time_mach/ failed
    // because .../elatov did not exist. We create every missing level.
    let env = Env::new();
    std::fs::create_dir_all(env.path("data/tm/elatov")).unwrap();
    let db_root = env.path("netatalk/CNID");
    let text = SEED
        .replace(
            "/data/tm/$u",
            &format!("{}/data/tm/$u", env.dir.path().display()),
        )
        .replace("/var/netatalk/CNID", &db_root.display().to_string())
        .replace("valid users = @tmusers", "valid users = elatov");
    let c = env.ok(&text).config;
    let v = &c
        .volumes_for(&user("elatov"), client("192.168.1.20:1"))
        .volumes[0];
    let made = v.ensure_db_dir().unwrap();
    assert!(made.is_dir());
    use std::os::unix::fs::PermissionsExt;
    let leaf = std::fs::metadata(db_root.join("elatov/time_mach"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(leaf, 0o700);
    // Idempotent.
    v.ensure_db_dir().unwrap();
    // A file in the way gives an error naming the component.
    std::fs::write(env.path("blocker"), "").unwrap();
    let err = afpd::config::create_db_dir(&env.path("blocker/sub")).unwrap_err();
    assert!(err.to_string().contains("blocker"), "{err}");
}

#[test]
fn advertised_volumes_skip_session_names() {
    let env = Env::new();
    let a = share(&env, "a");
    let c = env
        .ok(&format!(
            "[Global]\nserver name = NAS\n[tm]\npath = {a}\ntime machine = yes\nvolume name = TM on $s\nvolume uuid = c17bd870-304f-4fdb-af6d-3a78b24729ab\n[home-$u]\npath = {a}/$u\n"
        ))
        .config;
    let adv = c.advertised_volumes();
    assert_eq!(adv.len(), 1);
    assert_eq!(adv[0].name, "TM on NAS");
    assert!(adv[0].time_machine);
    assert_eq!(
        adv[0].volume_uuid.as_deref(),
        Some("C17BD870-304F-4FDB-AF6D-3A78B24729AB")
    );
}

#[test]
fn homes_volume_for_a_user_with_a_home() {
    let env = Env::new();
    let home = env.path("home/alice");
    std::fs::create_dir_all(home.join("afp-data")).unwrap();
    let base = std::fs::canonicalize(env.path("home")).unwrap();
    let c = env
        .ok(&format!(
            "[Homes]\nbasedir regex = {}\npath = afp-data\nhome name = Home of $u\n",
            base.display()
        ))
        .config;
    let mut alice = user("alice");
    alice.home = Some(home.clone());
    let r = c.volumes_for(&alice, client("10.0.0.1:1"));
    assert_eq!(r.volumes.len(), 1, "{:?}", r.skipped);
    let v = &r.volumes[0];
    assert!(v.is_home);
    assert_eq!(v.name, "Home of alice");
    assert_eq!(
        v.path,
        std::fs::canonicalize(home.join("afp-data")).unwrap()
    );
    // Guests and users elsewhere get no home volume.
    let mut guest = alice.clone();
    guest.is_guest = true;
    assert_eq!(
        c.volumes_for(&guest, client("10.0.0.1:1")).skipped[0].reason,
        SkipReason::Guest
    );
    let mut other = user("bob");
    other.home = Some(PathBuf::from("/"));
    assert!(matches!(
        c.volumes_for(&other, client("10.0.0.1:1")).skipped[0].reason,
        SkipReason::HomeNotMatched(_)
    ));
    assert_eq!(
        c.volumes_for(&user("nohome"), client("10.0.0.1:1")).skipped[0].reason,
        SkipReason::NoHome
    );
}

#[test]
fn homes_position_follows_the_file() {
    let env = Env::new();
    let a = share(&env, "a");
    let b = share(&env, "b");
    let home = env.path("home/alice");
    std::fs::create_dir_all(&home).unwrap();
    let c = env
        .ok(&format!(
            "[first]\npath = {a}\n[Homes]\nbasedir regex = /\n[last]\npath = {b}\n"
        ))
        .config;
    let mut alice = user("alice");
    alice.home = Some(home);
    let names: Vec<String> = c
        .volumes_for(&alice, client("10.0.0.1:1"))
        .volumes
        .into_iter()
        .map(|v| v.name)
        .collect();
    assert_eq!(names, vec!["first", "alice's home", "last"]);
}

#[test]
fn diagnostics_display() {
    let env = Env::new();
    let l = env.ok("[Global]\nmystery = 1\n");
    let d = &l.warnings[0];
    assert_eq!(d.severity, Severity::Warning);
    let shown = d.to_string();
    assert!(
        shown.ends_with("afp.conf:2: warning: unknown option `mystery` in [Global], ignored"),
        "{shown}"
    );
}
