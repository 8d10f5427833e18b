//! Every `afp` subcommand against the project's afpd on loopback: logins (DHX2,
//! DHCAST128, Cleartxt only when allowed, guest refused), wrong password, wrong volume,
//! permission denied, and the catalog and transfer commands with their error cases.

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::time::{Duration, SystemTime};

use common::{Options, PASSWORD, Server, expect, run, text};

#[test]
fn status_prints_the_whole_block_without_login() {
    let s = Server::start();
    let out = run(s.afp().args(["status", &s.addr()]));
    let t = expect(&out, 0);
    for needle in [
        "Server name:",
        "Machine type:",
        "AFP3.4",
        "DHX2",
        "DHCAST128",
        "(this client would use DHX2)",
        "Flags:",
        "kSrvrSig",
        "Signature:",
        &format!("127.0.0.1:{}", s.port),
    ] {
        assert!(t.contains(needle), "{needle:?} missing\n{}", text(&out));
    }
    let out = run(s
        .afp()
        .args(["status", "--json", &format!("afp://{}", s.addr())]));
    let j: serde_json::Value = serde_json::from_str(&expect(&out, 0)).unwrap();
    assert!(
        j["afp_versions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v == "AFP3.4")
    );
    assert_eq!(j["preferred_uam"], "DHX2");
    assert_eq!(j["signature"].as_str().unwrap().len(), 32);
    assert!(j["flags"]["value"].as_u64().unwrap() & 0x10 != 0);
}

#[test]
fn status_of_nothing_is_a_connection_failure() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = run(std::process::Command::new(env!("CARGO_BIN_EXE_afp"))
        .args(["status", &format!("127.0.0.1:{port}")]));
    expect(&out, 3);
    assert!(text(&out).contains("cannot connect"), "{}", text(&out));
}

#[test]
fn logins_dhx2_dhcast128_and_cleartext_only_when_allowed() {
    let s = Server::start();
    for method in ["dhx2", "dhcast128"] {
        let out = run(s.afp().args(["--auth", method, "volumes", &s.server_url()]));
        assert_eq!(
            expect(&out, 0).lines().next().unwrap_or(""),
            "Share  (unix privileges)",
            "{method}: {}",
            text(&out)
        );
    }
    // The strongest method by default, through ;AUTH= as well.
    let url = format!("afp://alice;AUTH=DHCAST128@127.0.0.1:{}", s.port);
    expect(&run(s.afp().args(["volumes", &url])), 0);

    let out = run(s
        .afp()
        .args(["--auth", "cleartext", "volumes", &s.server_url()]));
    expect(&out, 4);
    assert!(text(&out).contains("--allow-cleartext"), "{}", text(&out));
    let out = run(s.afp().args([
        "--auth",
        "cleartext",
        "--allow-cleartext",
        "volumes",
        &s.server_url(),
    ]));
    assert!(expect(&out, 0).contains("Share"));
}

#[test]
fn cleartext_only_server_needs_the_flag() {
    let s = Server::start_with(Options {
        uams: vec!["uams_clrtxt.so"],
        ..Options::default()
    });
    let out = run(s.afp().args(["volumes", &s.server_url()]));
    expect(&out, 4);
    assert!(
        text(&out).contains("Cleartxt Passwrd is offered"),
        "{}",
        text(&out)
    );
    let out = run(s
        .afp()
        .args(["--allow-cleartext", "volumes", "--json", &s.server_url()]));
    let j: serde_json::Value = serde_json::from_str(&expect(&out, 0)).unwrap();
    assert_eq!(j[0]["name"], "Share");
}

#[test]
fn wrong_password_and_unknown_user_are_login_failures() {
    let s = Server::start();
    for method in ["dhx2", "dhcast128"] {
        let out = run(s.afp().env("AFP_PASSWORD", "wrong-pw").args([
            "--auth",
            method,
            "volumes",
            &s.server_url(),
        ]));
        expect(&out, 4);
        assert!(
            text(&out).contains("wrong user name or password (authentication failed (-5023))"),
            "{method}: {}",
            text(&out)
        );
    }
    let out = run(s
        .afp()
        .args(["volumes", &format!("afp://mallory@{}", s.addr())]));
    expect(&out, 4);
    // No user name at all.
    let out = run(s.afp().args(["volumes", &format!("afp://{}", s.addr())]));
    expect(&out, 4);
    assert!(text(&out).contains("no user name"), "{}", text(&out));
    // Guest is not offered by this server.
    let out = run(s
        .afp()
        .args(["--guest", "volumes", &format!("afp://{}", s.addr())]));
    expect(&out, 4);
    assert!(
        text(&out).contains("does not allow guest"),
        "{}",
        text(&out)
    );
}

#[test]
fn guest_login_when_offered() {
    let s = Server::start_with(Options {
        uams: vec!["uams_guest.so", "uams_dhx2.so"],
        ..Options::default()
    });
    let out = run(s.afp().env_remove("AFP_PASSWORD").args([
        "--guest",
        "volumes",
        &format!("afp://{}", s.addr()),
    ]));
    assert!(expect(&out, 0).contains("Share"), "{}", text(&out));
    // Apple's URL form for guest.
    let url = format!("afp://;AUTH=No%20User%20Authent@{}/Share", s.addr());
    expect(
        &run(s.afp().env_remove("AFP_PASSWORD").args(["ls", &url])),
        0,
    );
    // The status block says what the client would use for a named user.
    let out = run(s.afp().args(["status", &s.addr()]));
    assert!(
        expect(&out, 0).contains("No User Authent"),
        "{}",
        text(&out)
    );
}

#[test]
fn password_from_a_file() {
    let s = Server::start();
    let f = s.dir.path().join("pw");
    std::fs::write(&f, format!("{PASSWORD}\n")).unwrap();
    let out = run(s
        .afp()
        .env_remove("AFP_PASSWORD")
        .arg("--password-file")
        .arg(&f)
        .args(["volumes", &s.server_url()]));
    expect(&out, 0);
    // No password source and no terminal: a clear login error, not a hang.
    let out = run(s
        .afp()
        .env_remove("AFP_PASSWORD")
        .args(["volumes", &s.server_url()]));
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn wrong_volume_names_the_ones_there_are() {
    let s = Server::start();
    let url = format!("afp://alice@{}/Nope", s.addr());
    let out = run(s.afp().args(["ls", &url]));
    expect(&out, 1);
    let t = text(&out);
    assert!(t.contains("no volume `Nope`"), "{t}");
    assert!(t.contains("volumes this user may open: Share"), "{t}");
    assert!(t.contains("(-5018)"), "{t}");
    // A URL without a volume is a usage error.
    expect(&run(s.afp().args(["ls", &s.server_url()])), 2);
}

#[test]
fn bad_urls_are_usage_errors() {
    let s = Server::start();
    for bad in ["smb://h/V", "afp://h:notaport/V", "afp:///V"] {
        expect(&run(s.afp().args(["ls", bad])), 2);
    }
    expect(&run(s.afp().args(["frobnicate"])), 2);
}

#[test]
fn mkdir_ls_stat_mv_rm() {
    let s = Server::start();
    let a = |args: &[&str]| run(s.afp().args(args));

    expect(&a(&["mkdir", &s.url("docs")]), 0);
    assert!(s.share.join("docs").is_dir());
    // mkdir of an existing directory fails, -p accepts it and makes parents.
    let out = a(&["mkdir", &s.url("docs")]);
    expect(&out, 1);
    assert!(text(&out).contains("(-5017)"), "{}", text(&out));
    expect(&a(&["mkdir", "-p", &s.url("docs"), &s.url("a/b/c")]), 0);
    assert!(s.share.join("a/b/c").is_dir());

    std::fs::write(s.share.join("docs/hello.txt"), b"hello\n").unwrap();
    s.give(&s.share.join("docs/hello.txt"));
    std::fs::write(s.share.join("Café.txt"), b"x").unwrap();
    s.give(&s.share.join("Café.txt"));

    let out = expect(&a(&["ls", &s.url("")]), 0);
    let names: Vec<&str> = out.lines().collect();
    for n in ["Café.txt", "a/", "docs/"] {
        assert!(names.contains(&n), "{n} missing: {out}");
    }
    let out = expect(&a(&["ls", "-l", &s.url("docs")]), 0);
    assert!(out.contains("hello.txt") && out.contains(" 6 "), "{out}");
    let out = expect(&a(&["ls", "--json", &s.url("docs")]), 0);
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j[0]["name"], "hello.txt");
    assert_eq!(j[0]["size"], 6);

    let out = expect(&a(&["stat", &s.url("docs/hello.txt")]), 0);
    assert!(
        out.contains("Type:          file") && out.contains("Size:          6"),
        "{out}"
    );
    let out = expect(
        &a(&["stat", "--json", &s.url("Café.txt"), &s.url("docs")]),
        0,
    );
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j[0]["name"], "Café.txt");
    assert_eq!(j[1]["type"], "directory");
    assert_eq!(j[1]["offspring"], 1);

    let out = a(&["stat", &s.url("missing")]);
    expect(&out, 1);
    assert!(
        text(&out).contains("(-5018) (no such file or directory)"),
        "{}",
        text(&out)
    );

    // Rename in place, then move into another directory keeping the name.
    expect(
        &a(&["mv", &s.url("docs/hello.txt"), &s.url("docs/hi.txt")]),
        0,
    );
    assert!(s.share.join("docs/hi.txt").is_file());
    expect(&a(&["mv", &s.url("docs/hi.txt"), &s.url("a/b")]), 0);
    assert!(s.share.join("a/b/hi.txt").is_file());
    assert!(!s.share.join("docs/hi.txt").exists());
    // Across volumes or servers: refused before anything is sent.
    let other = format!("afp://alice@{}/Other/x", s.addr());
    expect(&a(&["mv", &s.url("a"), &other]), 2);

    // rm: a non-empty directory needs -r.
    let out = a(&["rm", &s.url("a")]);
    expect(&out, 1);
    assert!(text(&out).contains("use -r"), "{}", text(&out));
    expect(&a(&["rm", "-r", &s.url("a")]), 0);
    assert!(!s.share.join("a").exists());
    expect(&a(&["rm", &s.url("Café.txt"), &s.url("docs")]), 0);
    assert!(!s.share.join("docs").exists());
    let out = a(&["rm", &s.url("docs")]);
    expect(&out, 1);
}

#[test]
fn permission_denied_is_explained() {
    let s = Server::start();
    let private = s.share.join("private");
    std::fs::create_dir(&private).unwrap();
    std::fs::write(private.join("secret"), b"s").unwrap();
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o000)).unwrap();

    for args in [
        vec!["ls".to_owned(), s.url("private")],
        vec![
            "get".to_owned(),
            s.url("private/secret"),
            s.dir.path().join("out").display().to_string(),
        ],
        vec!["mkdir".to_owned(), s.url("private/sub")],
    ] {
        let out = run(s.afp().args(&args));
        expect(&out, 1);
        assert!(
            text(&out).contains("access denied (-5000)"),
            "{args:?}: {}",
            text(&out)
        );
    }
    let local = s.dir.path().join("up.txt");
    std::fs::write(&local, b"up").unwrap();
    let out = run(s.afp().arg("put").arg(&local).arg(s.url("private/up.txt")));
    expect(&out, 1);
    assert!(text(&out).contains("(-5000)"), "{}", text(&out));
    assert!(!s.dir.path().join("out").exists());
}

fn mtime(p: &std::path::Path) -> i64 {
    std::fs::metadata(p).unwrap().mtime()
}

#[test]
fn put_and_get_trees_keep_contents_and_times() {
    let s = Server::start();
    let src = s.dir.path().join("src");
    std::fs::create_dir_all(src.join("sub/deeper")).unwrap();
    std::fs::create_dir_all(src.join("empty")).unwrap();
    let files = [
        ("a.txt", 10usize),
        ("sub/b.bin", 3 << 20),
        ("sub/deeper/c", 0),
        ("sub/deeper/naïve name.txt", 12_345),
    ];
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_300_000_000);
    for (i, (name, len)) in files.iter().enumerate() {
        let data: Vec<u8> = (0..*len).map(|k| (k * 31 + i) as u8).collect();
        let p = src.join(name);
        std::fs::write(&p, data).unwrap();
        let f = std::fs::File::options().write(true).open(&p).unwrap();
        f.set_modified(old + Duration::from_secs(i as u64 * 100))
            .unwrap();
    }
    std::fs::File::open(src.join("sub"))
        .unwrap()
        .set_modified(old)
        .unwrap();

    // A directory without -r is refused.
    let out = run(s.afp().arg("put").arg(&src).arg(s.url("")));
    expect(&out, 2);

    let out = run(s.afp().arg("put").arg("-r").arg(&src).arg(s.url("")));
    expect(&out, 0);
    assert!(text(&out).contains("put: 4 file(s)"), "{}", text(&out));
    for (name, _) in files {
        let local = src.join(name);
        let remote = s.share.join("src").join(name);
        assert_eq!(
            std::fs::read(&local).unwrap(),
            std::fs::read(&remote).unwrap(),
            "{name}"
        );
        assert_eq!(
            mtime(&local),
            mtime(&remote),
            "mtime of {name} on the server"
        );
    }
    assert!(s.share.join("src/empty").is_dir());
    assert_eq!(mtime(&src.join("sub")), mtime(&s.share.join("src/sub")));

    let back = s.dir.path().join("back");
    std::fs::create_dir(&back).unwrap();
    let out = run(s.afp().arg("get").arg("-r").arg(s.url("src")).arg(&back));
    expect(&out, 0);
    for (name, _) in files {
        let local = src.join(name);
        let got = back.join("src").join(name);
        assert_eq!(
            std::fs::read(&local).unwrap(),
            std::fs::read(&got).unwrap(),
            "{name}"
        );
        assert_eq!(mtime(&local), mtime(&got), "mtime of {name} after get");
    }
    assert!(back.join("src/empty").is_dir());
    assert_eq!(mtime(&src.join("sub")), mtime(&back.join("src/sub")));

    // Several URLs into a directory; a single file to an explicit name.
    let many = s.dir.path().join("many");
    std::fs::create_dir(&many).unwrap();
    let out = run(s
        .afp()
        .arg("get")
        .arg(s.url("src/a.txt"))
        .arg(s.url("src/sub/b.bin"))
        .arg(&many));
    expect(&out, 0);
    assert!(many.join("a.txt").is_file() && many.join("b.bin").is_file());
    let one = s.dir.path().join("renamed.txt");
    expect(
        &run(s.afp().arg("get").arg(s.url("src/a.txt")).arg(&one)),
        0,
    );
    assert_eq!(
        std::fs::read(&one).unwrap(),
        std::fs::read(src.join("a.txt")).unwrap()
    );
    // To standard output, and to a device.
    let out = run(s.afp().arg("get").arg(s.url("src/a.txt")).arg("-"));
    assert_eq!(
        out.stdout,
        std::fs::read(src.join("a.txt")).unwrap(),
        "{}",
        text(&out)
    );
    expect(
        &run(s
            .afp()
            .arg("get")
            .arg(s.url("src/sub/b.bin"))
            .arg("/dev/null")),
        0,
    );
    // A remote directory without -r is refused.
    expect(&run(s.afp().arg("get").arg(s.url("src")).arg(&many)), 2);
    // A missing remote file.
    let out = run(s.afp().arg("get").arg(s.url("src/nope")).arg(&many));
    expect(&out, 1);
    assert!(text(&out).contains("(-5018)"), "{}", text(&out));
    // Several URLs of which two are missing: both are counted.
    let out = run(s
        .afp()
        .arg("get")
        .arg(s.url("src/nope"))
        .arg(s.url("src/a.txt"))
        .arg(s.url("src/nope2"))
        .arg(&many));
    expect(&out, 1);
    assert!(
        text(&out).contains("2 of 3 operations failed"),
        "{}",
        text(&out)
    );
    // An unwritable local destination.
    let out = run(s
        .afp()
        .arg("get")
        .arg(s.url("src/a.txt"))
        .arg("/proc/afp-test-cannot-write"));
    expect(&out, 5);
}

#[test]
fn xattrs_resource_fork_and_finder_info_round_trip() {
    let s = Server::start();
    let f = s.dir.path().join("doc.txt");
    std::fs::write(&f, b"with metadata").unwrap();
    let rsrc: Vec<u8> = (0..2000u32).map(|i| (i % 251) as u8).collect();
    let mut fi = [0u8; 32];
    fi[..8].copy_from_slice(b"TEXTttxt");
    afp_client::xattr::set(&f, "org.example.note", b"a note").unwrap();
    afp_client::xattr::set(&f, afp_client::xattr::RESOURCE_FORK, &rsrc).unwrap();
    afp_client::xattr::set(&f, afp_client::xattr::FINDER_INFO, &fi).unwrap();

    let out = run(s.afp().arg("put").arg("--xattrs").arg(&f).arg(s.url("")));
    expect(&out, 0);
    let out = run(s.afp().args(["stat", "--json", &s.url("doc.txt")]));
    let j: serde_json::Value = serde_json::from_str(&expect(&out, 0)).unwrap();
    assert_eq!(j["resource_fork_size"], 2000, "{j}");
    assert!(
        j["finder_info"]
            .as_str()
            .unwrap()
            .starts_with("5445585474747874"),
        "{j}"
    );

    let back = s.dir.path().join("back.txt");
    let out = run(s
        .afp()
        .arg("get")
        .arg("--xattrs")
        .arg(s.url("doc.txt"))
        .arg(&back));
    expect(&out, 0);
    assert_eq!(std::fs::read(&back).unwrap(), b"with metadata");
    assert_eq!(
        afp_client::xattr::get(&back, "org.example.note").unwrap(),
        b"a note"
    );
    assert_eq!(
        afp_client::xattr::get(&back, afp_client::xattr::RESOURCE_FORK).unwrap(),
        rsrc
    );
    assert_eq!(
        afp_client::xattr::get(&back, afp_client::xattr::FINDER_INFO).unwrap(),
        fi
    );
    // Without --xattrs nothing but the data comes along.
    let plain = s.dir.path().join("plain.txt");
    expect(
        &run(s.afp().arg("get").arg(s.url("doc.txt")).arg(&plain)),
        0,
    );
    assert!(afp_client::xattr::list(&plain).unwrap().is_empty());
}

#[test]
fn attributes_over_the_server_limit_are_reported_and_skipped() {
    let s = Server::start();
    // 3900 bytes: over netatalk's 3802-byte limit (spec §5.9), under ext4's block.
    let f = s.dir.path().join("big-attr.txt");
    std::fs::write(&f, b"data").unwrap();
    afp_client::xattr::set(&f, "org.example.big", &[7u8; 3900]).unwrap();
    afp_client::xattr::set(&f, "org.example.small", b"s").unwrap();
    let out = run(s.afp().arg("put").arg("--xattrs").arg(&f).arg(s.url("")));
    expect(&out, 0);
    let t = text(&out);
    assert!(
        t.contains("org.example.big") && t.contains("(-5019)"),
        "no warning about the large attribute\n{t}"
    );
    let on_server = s.share.join("big-attr.txt");
    assert_eq!(std::fs::read(&on_server).unwrap(), b"data");
    assert_eq!(
        afp_client::xattr::get(&on_server, "org.example.small").unwrap(),
        b"s"
    );
    assert!(afp_client::xattr::get(&on_server, "org.example.big").is_err());

    // The server holds one it cannot send whole (a fresh file: ext4 keeps all of a
    // file's attributes in one block, and the server's own metadata needs room too).
    let plain = s.share.join("huge-attr.txt");
    std::fs::write(&plain, b"data").unwrap();
    s.give(&plain);
    afp_client::xattr::set(&plain, "org.example.huge", &[9u8; 3803]).unwrap();
    let back = s.dir.path().join("back.txt");
    let out = run(s
        .afp()
        .arg("get")
        .arg("--xattrs")
        .arg(s.url("huge-attr.txt"))
        .arg(&back));
    expect(&out, 0);
    assert!(text(&out).contains("org.example.huge"), "{}", text(&out));
    assert!(afp_client::xattr::get(&back, "org.example.huge").is_err());
    assert_eq!(std::fs::read(&back).unwrap(), b"data");
}

#[test]
fn bench_runs_and_prints_a_table() {
    let s = Server::start();
    let out = run(s.afp().args([
        "bench",
        &s.url(""),
        "--size",
        "16M",
        "--sessions",
        "2",
        "--files",
        "40",
        "--locks",
        "50",
    ]));
    let t = expect(&out, 0);
    for row in [
        "loopback TCP (reference)",
        "write, 1 session",
        "read, 1 session",
        "write, 2 sessions",
        "read, 2 sessions",
        "lock + unlock",
        "create 40 files",
        "enumerate 40 entries",
        "delete 40 files",
        "% of TCP",
    ] {
        assert!(t.contains(row), "{row:?} missing\n{}", text(&out));
    }
    // The scratch directory is gone.
    assert_eq!(
        std::fs::read_dir(&s.share)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.file_name().to_string_lossy().starts_with("afp-bench"))
            })
            .count(),
        0
    );
}

#[test]
fn help_documents_the_exit_codes() {
    let out = run(std::process::Command::new(env!("CARGO_BIN_EXE_afp")).arg("--help"));
    let t = expect(&out, 0);
    for code in [
        "0  success",
        "1  the server refused",
        "2  bad command line",
        "3  cannot connect",
        "4  login failed",
        "5  a local file",
    ] {
        assert!(t.contains(code), "{code:?} missing\n{t}");
    }
}
