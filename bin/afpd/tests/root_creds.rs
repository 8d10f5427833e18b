//! Per-thread credential switching, proven with real users and real file operations.
//! Root only: these tests create Linux users (removed afterwards) and fail, saying why,
//! when not run as root.

mod common;

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};

use afpd::creds::{self, Credentials, CredsError, Privilege, SessionIdentity, ThreadCredentials};
use common::{TestGroup, TestUser, chmod, chown, require_root};

/// A directory tree owned by user `a`:
/// * `a_private` (0600, a:a), `a_dir/` (0700, a:a) with a file inside,
/// * `group_file` (0640, a:group), readable by group members,
/// * the top directory is 0755 root:root (nobody but root may create files in it).
struct Tree {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Tree {
    fn new(a: &TestUser, group: &TestGroup) -> Tree {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_owned();
        chmod(&root, 0o755);
        let private = root.join("a_private");
        fs::write(&private, "secret of a").unwrap();
        chown(&private, a.uid, a.gid);
        chmod(&private, 0o600);
        let a_dir = root.join("a_dir");
        fs::create_dir(&a_dir).unwrap();
        fs::write(a_dir.join("inside"), "x").unwrap();
        chown(&a_dir, a.uid, a.gid);
        chmod(&a_dir, 0o700);
        let group_file = root.join("group_file");
        fs::write(&group_file, "for the group").unwrap();
        chown(&group_file, a.uid, group.gid);
        chmod(&group_file, 0o640);
        Tree { _dir: dir, root }
    }

    fn p(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }
}

fn denied<T: std::fmt::Debug>(r: std::io::Result<T>, what: &str) {
    match r {
        Err(e) if e.kind() == ErrorKind::PermissionDenied => {}
        other => panic!("{what}: expected permission denied, got {other:?}"),
    }
}

fn creds_of(u: &TestUser) -> Credentials {
    u.info().credentials()
}

fn assert_root_thread() {
    let t = ThreadCredentials::of_current_thread().unwrap();
    assert_eq!(
        t.uids,
        [0, 0, 0, 0],
        "this thread must still be root: {t:?}"
    );
    assert_eq!(t.gids[1], 0);
}

#[test]
fn session_threads_get_exactly_their_users_rights() {
    require_root("per-thread credential switching");
    let group = TestGroup::create();
    let a = TestUser::create(&[], None);
    let b = TestUser::create(&[&group], None);
    let tree = Arc::new(Tree::new(&a, &group));

    let (ca, cb) = (creds_of(&a), creds_of(&b));
    assert!(
        cb.groups.contains(&group.gid),
        "b is in the test group: {cb:?}"
    );

    // Thread A: the owner.
    let t = Arc::clone(&tree);
    let ca2 = ca.clone();
    std::thread::spawn(move || {
        creds::become_user(&ca2).unwrap();
        assert_eq!(fs::read_to_string(t.p("a_private")).unwrap(), "secret of a");
        assert_eq!(fs::read_dir(t.p("a_dir")).unwrap().count(), 1);
        assert_eq!(
            fs::read_to_string(t.p("group_file")).unwrap(),
            "for the group"
        );
        fs::write(t.p("a_dir/new"), "made by a").unwrap();
        let meta = fs::metadata(t.p("a_dir/new")).unwrap();
        use std::os::unix::fs::MetadataExt;
        assert_eq!(
            (meta.uid(), meta.gid()),
            (ca2.uid, ca2.gid),
            "files are created as the user"
        );
        denied(fs::read_to_string("/etc/shadow"), "a reading /etc/shadow");
    })
    .join()
    .expect("thread A");

    // Thread B: another user, member of the group.
    let t = Arc::clone(&tree);
    let cb2 = cb.clone();
    let ca3 = ca.clone();
    std::thread::spawn(move || {
        creds::become_user(&cb2).unwrap();
        denied(
            fs::read_to_string(t.p("a_private")),
            "b reading a's 0600 file",
        );
        denied(fs::read_dir(t.p("a_dir")), "b listing a's 0700 directory");
        denied(
            fs::metadata(t.p("a_dir/inside")),
            "b stat'ing inside a's 0700 directory",
        );
        assert_eq!(
            fs::read_to_string(t.p("group_file")).unwrap(),
            "for the group",
            "supplementary group gives read access"
        );
        denied(
            fs::OpenOptions::new().append(true).open(t.p("group_file")),
            "b writing a 0640 file",
        );
        denied(
            fs::write(t.p("b_new"), "x"),
            "b creating in a root 0755 directory",
        );
        denied(
            fs::remove_file(t.p("a_private")),
            "b deleting in a root 0755 directory",
        );
        // No way back, and no way sideways.
        assert!(matches!(
            creds::become_user(&ca3),
            Err(CredsError::SetGroups(_))
        ));
        let now = ThreadCredentials::of_current_thread().unwrap();
        assert!(
            now.is_exactly(&cb2),
            "still b after the failed attempt: {now:?}"
        );
    })
    .join()
    .expect("thread B");

    // This thread never switched.
    assert_root_thread();
    assert_eq!(
        fs::read_to_string(tree.p("a_private")).unwrap(),
        "secret of a"
    );
}

#[test]
fn switches_do_not_leak_between_concurrent_threads() {
    require_root("per-thread credential switching");
    let a = TestUser::create(&[], None);
    let b = TestUser::create(&[], None);
    let (ca, cb) = (creds_of(&a), creds_of(&b));
    // 3 parties: two session threads and this one. Phase 1: both switch. Phase 2: every
    // thread checks its own credentials while the others hold theirs.
    let switched = Arc::new(Barrier::new(3));
    let checked = Arc::new(Barrier::new(3));
    let spawn = |c: Credentials| {
        let (s, k) = (Arc::clone(&switched), Arc::clone(&checked));
        std::thread::spawn(move || {
            creds::become_user(&c).unwrap();
            s.wait();
            let now = ThreadCredentials::of_current_thread().unwrap();
            k.wait();
            now
        })
    };
    let ta = spawn(ca.clone());
    let tb = spawn(cb.clone());
    switched.wait();
    assert_root_thread();
    checked.wait();
    let now_a = ta.join().unwrap();
    let now_b = tb.join().unwrap();
    assert!(now_a.is_exactly(&ca), "{now_a:?} vs {ca:?}");
    assert!(now_b.is_exactly(&cb), "{now_b:?} vs {cb:?}");
    assert_eq!((now_a.cap_effective, now_a.cap_permitted), (0, 0));
    assert_root_thread();
}

#[test]
fn enter_session_switches_as_root_and_new_threads_start_as_root() {
    require_root("per-thread credential switching");
    let a = TestUser::create(&[], None);
    let info = a.info();
    let privilege = Privilege::detect().unwrap();
    assert_eq!(privilege, Privilege::Root);
    let got = std::thread::spawn(move || {
        let id = privilege.enter_session(&info).unwrap();
        // A thread spawned by a switched thread inherits the switched credentials.
        let child = std::thread::spawn(ThreadCredentials::of_current_thread)
            .join()
            .unwrap()
            .unwrap();
        (id, child)
    })
    .join()
    .unwrap();
    let (id, child) = got;
    assert_eq!(id, SessionIdentity::Switched(creds_of(&a)));
    assert!(child.is_exactly(&creds_of(&a)));
    // A fresh thread from a root thread is root.
    std::thread::spawn(assert_root_thread).join().unwrap();
}

#[test]
fn config_resolution_with_real_users_groups_and_homes() {
    require_root("group membership checks with real accounts");
    use afpd::config::{Config, LoadOptions, SkipReason};
    let group = TestGroup::create();
    let member = TestUser::create(&[&group], None);
    let outsider = TestUser::create(&[], None);
    let dir = tempfile::tempdir().unwrap();
    let share = dir.path().join("share");
    fs::create_dir(&share).unwrap();
    let home_base = member.home.parent().unwrap().to_owned();
    let conf = dir.path().join("afp.conf");
    fs::write(
        &conf,
        format!(
            "[Homes]\nbasedir regex = {}\n[team]\npath = {}\nvalid users = @{}\nrolist = @{}\n",
            fs::canonicalize(&home_base).unwrap().display(),
            share.display(),
            group.name,
            group.name
        ),
    )
    .unwrap();
    let c = Config::load(&conf, &LoadOptions::new(dir.path().join("state")))
        .unwrap()
        .config;
    let client = "192.0.2.1:50000".parse().unwrap();

    let r = c.volumes_for(&member.info(), client);
    let names: Vec<&str> = r.volumes.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(
        names,
        vec![format!("{}'s home", member.name).as_str(), "team"]
    );
    assert!(r.volumes[1].read_only, "rolist = @group");
    assert!(!r.volumes[0].read_only);
    assert_eq!(r.volumes[0].path, fs::canonicalize(&member.home).unwrap());

    let r = c.volumes_for(&outsider.info(), client);
    assert_eq!(r.volumes.len(), 1, "only the home");
    assert!(
        r.skipped
            .iter()
            .any(|s| s.section == "team" && s.reason == SkipReason::UserNotAllowed)
    );
}

#[test]
fn unprivileged_identity_is_explicit() {
    // Needs no root: an unprivileged server never switches.
    let own = Credentials::new(4242, 4242, vec![4242]);
    let p = Privilege::Unprivileged(own.clone());
    let mut u = afpd::accounts::UserInfo {
        name: "virtual".into(),
        uid: 4242,
        gid: 4242,
        groups: vec![4242],
        home: None,
        full_name: String::new(),
        group_name: None,
        system_account: false,
        is_guest: false,
    };
    assert_eq!(
        p.enter_session(&u).unwrap(),
        SessionIdentity::ServerUser(own)
    );
    u.uid = 1;
    assert!(matches!(
        p.enter_session(&u),
        Err(CredsError::Unprivileged { .. })
    ));
    let _ = Path::new("/");
}
