//! The conformance suite's two-user setup, shared by the permission and spectest tests.

use super::{AfpClient, TestGroup, TestServer, chmod, chown, require_root};

/// Two Linux users in a common group, each logged in with volume `test1` open; the volume
/// belongs to the first user and the group, mode 2775 (as netatalk's spectest README sets
/// it up). Everything is removed on drop.
pub struct TwoUsers {
    /// The server.
    pub srv: TestServer,
    /// The common group (deleted on drop).
    pub group: TestGroup,
    /// The first user's session and its volume ID.
    pub c1: AfpClient,
    pub v1: u16,
    /// The second user's session and its volume ID.
    pub c2: AfpClient,
    pub v2: u16,
}

/// Starts the two-user server; `why` names the tests for the message when not root.
pub fn two_users(why: &str) -> TwoUsers {
    require_root(why);
    let group = TestGroup::create();
    let srv = TestServer::builder()
        .no_default_account()
        .generated_account(&[&group.name])
        .generated_account(&[&group.name])
        .volume("test1")
        .volume_option("test1", "valid users", &format!("@{}", group.name))
        .start();
    let vol = srv.volume_path("test1");
    chown(vol, srv.accounts()[0].uid(), group.gid);
    chmod(vol, 0o2775);
    let mut c1 = srv.login_as(0);
    let v1 = c1.open_volume("test1");
    let mut c2 = srv.login_as(1);
    let v2 = c2.open_volume("test1");
    TwoUsers {
        srv,
        group,
        c1,
        v1,
        c2,
        v2,
    }
}
