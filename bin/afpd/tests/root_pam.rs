//! PAM and the account verifier with real Linux users. Root only: creates users with
//! known passwords (chpasswd), removes them afterwards, and fails, saying why, when not
//! run as root.

mod common;

use afpd::accounts::pam::{Pam, PamChange, PamOutcome};
use afpd::accounts::passwd_file::PasswordFile;
use afpd::accounts::{AccountSource, Accounts, PasswordChange, Verdict};
use afpd::creds::Privilege;
use common::{TestUser, require_root};

const PASSWORD: &str = "Corr3ct-Horse-42";

#[test]
fn pam_accepts_right_password_and_denies_others() {
    require_root("PAM authentication against /etc/shadow");
    let u = TestUser::create(&[], Some(PASSWORD));
    let pam = Pam::load().unwrap();
    assert_eq!(
        pam.authenticate(&u.name, PASSWORD.as_bytes(), Some("192.0.2.7")),
        PamOutcome::Ok {
            user: u.name.clone()
        }
    );
    assert!(matches!(
        pam.authenticate(&u.name, b"wrong", None),
        PamOutcome::Denied(_)
    ));
    assert!(matches!(
        pam.authenticate(&u.name, b"", None),
        PamOutcome::Denied(_)
    ));
}

#[test]
fn verifier_over_pam() {
    require_root("PAM authentication against /etc/shadow");
    let u = TestUser::create(&[], Some(PASSWORD));
    let dir = tempfile::tempdir().unwrap();
    let acc = Accounts::new(
        AccountSource::Pam,
        dir.path().join("none"),
        Privilege::Root,
        None,
        0,
    )
    .unwrap();
    match acc.verify(
        &u.name,
        PASSWORD.as_bytes(),
        Some("192.0.2.7".parse().unwrap()),
    ) {
        Verdict::Ok(info) => {
            assert_eq!((info.uid, info.gid), (u.uid, u.gid));
            assert!(info.system_account);
            assert_eq!(info.home.as_deref(), Some(u.home.as_path()));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(acc.verify(&u.name, b"nope", None), Verdict::Denied);
    assert_eq!(
        acc.verify("no-such-user-afpd", b"nope", None),
        Verdict::Denied
    );
}

#[test]
fn expired_password_is_reported_and_can_be_changed() {
    require_root("PAM account management");
    let u = TestUser::create(&[], Some(PASSWORD));
    u.expire_password();
    let dir = tempfile::tempdir().unwrap();
    let acc = Accounts::new(
        AccountSource::Pam,
        dir.path().join("none"),
        Privilege::Root,
        None,
        0,
    )
    .unwrap();
    let v = acc.verify(&u.name, PASSWORD.as_bytes(), None);
    assert!(
        matches!(&v, Verdict::Expired(info) if info.uid == u.uid),
        "{v:?}"
    );
    assert_eq!(v.afp_result(), -5042, "kFPPwdExpiredErr");

    let new = "Quite-Different-Secret-7";
    assert_eq!(
        acc.change_password(&u.name, b"wrong", new.as_bytes(), None),
        PasswordChange::Denied
    );
    assert_eq!(
        acc.change_password(&u.name, PASSWORD.as_bytes(), new.as_bytes(), None),
        PasswordChange::Changed
    );
    assert!(
        matches!(acc.verify(&u.name, new.as_bytes(), None), Verdict::Ok(_)),
        "no longer expired"
    );
    assert_eq!(
        acc.verify(&u.name, PASSWORD.as_bytes(), None),
        Verdict::Denied
    );
}

#[test]
fn pam_password_change_as_root_and_policy_rejection() {
    require_root("PAM password change");
    let u = TestUser::create(&[], Some(PASSWORD));
    let pam = Pam::load().unwrap();
    let new = "Totally-New-Secret-9";
    assert_eq!(
        pam.change_password(&u.name, PASSWORD.as_bytes(), new.as_bytes(), None),
        PamChange::Changed
    );
    assert!(matches!(
        pam.authenticate(&u.name, PASSWORD.as_bytes(), None),
        PamOutcome::Denied(_)
    ));
    assert_eq!(
        pam.authenticate(&u.name, new.as_bytes(), None),
        PamOutcome::Ok {
            user: u.name.clone()
        }
    );
    assert!(matches!(
        pam.change_password(&u.name, b"not-it", b"Whatever-Else-1", None),
        PamChange::Denied(_)
    ));

    // An expired password is changed the way the user would change it (pam_unix then
    // applies its checks even for root): a one-letter password is refused.
    u.expire_password();
    match pam.change_password(&u.name, new.as_bytes(), b"a", None) {
        PamChange::Rejected(_) | PamChange::Error(_) => {}
        other => panic!("a one-letter password should be refused, got {other:?}"),
    }
    assert_eq!(
        pam.authenticate(&u.name, new.as_bytes(), None),
        PamOutcome::Expired {
            user: u.name.clone()
        },
        "the old password still works, and is still expired"
    );
}

#[test]
fn both_sources_password_file_first_then_pam() {
    require_root("PAM and password file accounts");
    let pam_user = TestUser::create(&[], Some(PASSWORD));
    let mapped = TestUser::create(&[], None);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("afppasswd");
    PasswordFile::update(&path, |f| {
        f.set("mac-alice", b"file-secret", Some(mapped.name.clone()))?;
        f.set("admin", b"root-secret", Some("root".into()))?;
        f.set(
            "ghost",
            b"ghost-secret",
            Some("no-such-account-afpd".into()),
        )
    })
    .unwrap();
    let acc = Accounts::new(AccountSource::Both, path, Privilege::Root, None, 0).unwrap();

    match acc.verify("mac-alice", b"file-secret", None) {
        Verdict::Ok(info) => {
            assert_eq!(info.name, "mac-alice", "the AFP login name is kept");
            assert_eq!(info.uid, mapped.uid, "runs as the mapped system account");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        acc.verify("mac-alice", b"wrong", None),
        Verdict::Denied,
        "no second try via PAM"
    );
    assert!(matches!(
        acc.verify(&pam_user.name, PASSWORD.as_bytes(), None),
        Verdict::Ok(_)
    ));
    assert_eq!(
        acc.verify("admin", b"root-secret", None),
        Verdict::Denied,
        "never a session as root"
    );
    assert_eq!(
        acc.verify("ghost", b"ghost-secret", None),
        Verdict::Denied,
        "no system account"
    );
}

#[test]
fn guest_is_the_system_guest_account_when_root() {
    require_root("guest account lookup as root");
    let u = TestUser::create(&[], None);
    let dir = tempfile::tempdir().unwrap();
    let acc = Accounts::new(
        AccountSource::Pam,
        dir.path().join("none"),
        Privilege::Root,
        Some(u.name.clone()),
        0,
    )
    .unwrap();
    let g = acc.guest().unwrap();
    assert!(g.is_guest);
    assert_eq!(g.uid, u.uid);
    let acc = Accounts::new(
        AccountSource::Pam,
        dir.path().join("none"),
        Privilege::Root,
        Some("root".into()),
        0,
    )
    .unwrap();
    assert!(acc.guest().is_none(), "root as guest account is refused");
}
