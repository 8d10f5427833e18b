//! `afpd demo`: the quick start works for an ordinary user (as root the test runs it as a
//! fresh Linux user through `runuser`), prints a working URL and password, shares the
//! directory with Time Machine enabled, and stops cleanly on SIGTERM.

// The test waits for the demo with real timeouts.
#![allow(clippy::disallowed_methods)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use afp_proto::ResultCode;
use afp_proto::params::{VolumeAttributes, VolumeBitmap};
use afp_proto::uam::Uam;
use common::{AfpClient, TestUser};

#[test]
fn demo_runs_as_an_ordinary_user() {
    let port = common::server::free_port();
    let root = common::server::is_root();
    let home_guard = tempfile::tempdir().unwrap();
    let user = root.then(|| TestUser::create(&[], None));
    let home = match &user {
        Some(u) => u.home.clone(),
        None => home_guard.path().to_path_buf(),
    };
    let exe = env!("CARGO_BIN_EXE_afpd");
    let mut cmd = match &user {
        Some(u) => {
            let mut c = Command::new("runuser");
            c.args(["-u", &u.name, "--", exe]);
            c
        }
        None => Command::new(exe),
    };
    cmd.args(["demo", "--port", &port.to_string()])
        .current_dir(&home)
        .env("HOME", &home)
        .env_remove("XDG_STATE_HOME")
        .env_remove("AFPD_STATE_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("starting afpd demo");

    // Collect both output streams.
    let (tx, rx) = mpsc::channel::<String>();
    let out = child.stdout.take().unwrap();
    let err = child.stderr.take().unwrap();
    let tx2 = tx.clone();
    std::thread::spawn(move || {
        for l in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(l);
        }
    });
    std::thread::spawn(move || {
        for l in BufReader::new(err).lines().map_while(Result::ok) {
            let _ = tx2.send(l);
        }
    });
    let mut lines = Vec::new();
    let mut password = None;
    let mut listening = false;
    let end = Instant::now() + Duration::from_secs(30);
    while !(listening && password.is_some()) {
        let left = end.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(l) => {
                if let Some(p) = l.trim().strip_prefix("password:") {
                    password = Some(p.trim().to_owned());
                }
                if l.contains(&format!("listening on 127.0.0.1:{port}")) {
                    listening = true;
                }
                lines.push(l);
            }
            Err(_) => {
                let _ = child.kill();
                panic!("afpd demo did not come up:\n{}", lines.join("\n"));
            }
        }
    }
    let text = lines.join("\n");
    assert!(
        text.contains(&format!("afp://demo@127.0.0.1:{port}/afp-share")),
        "{text}"
    );
    assert!(home.join("afp-share").is_dir());

    let password = password.unwrap();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut c = AfpClient::connect(addr).unwrap();
    assert_eq!(
        c.login("demo", &password, Uam::Dhx2),
        ResultCode::NO_ERR,
        "{text}"
    );
    let parms = c.get_srvr_parms().expect("FPGetSrvrParms");
    assert!(
        parms.volumes.iter().any(|v| &v.name[..] == b"afp-share"),
        "{parms:?}"
    );
    let vp = c
        .open_vol(
            "afp-share",
            VolumeBitmap::ATTRIBUTES | VolumeBitmap::VOLUME_ID,
        )
        .expect("FPOpenVol");
    let attrs = vp.attributes.expect("volume attributes");
    assert!(
        attrs.contains(VolumeAttributes::SUPPORTS_TM_LOCK_STEAL),
        "Time Machine attribute missing: {attrs:?}"
    );
    c.logout().unwrap();
    c.close();

    // SIGTERM to the server itself (under runuser: its child; runuser then exits with the
    // server's status): orderly exit 0.
    let server_pid = if user.is_some() {
        let children =
            std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", child.id())).unwrap();
        children
            .split_whitespace()
            .next()
            .expect("afpd under runuser")
            .parse::<i32>()
            .unwrap()
    } else {
        child.id() as i32
    };
    // SAFETY: kill has no memory preconditions; the pid is our (grand)child.
    unsafe { libc::kill(server_pid, libc::SIGTERM) };
    let end = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > end {
            let _ = child.kill();
            panic!("afpd demo did not stop on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status}");
}
