//! The server's other ways in: inetd (a connected socket on stdin/stdout) and systemd
//! socket activation with `Accept=no` (a listening socket on fd 3, `LISTEN_PID`,
//! `LISTEN_FDS`). A small python3 launcher hands the sockets over, as inetd and systemd
//! do; python3 is required.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use afserver::client::{BackupOptions, Connection};

use common::*;

const LAUNCHER: &str = r#"
import os, socket, sys
mode, exe, conf = sys.argv[1:4]
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(4)
print(s.getsockname()[1], flush=True)
if mode == "systemd":
    if s.fileno() != 3:
        os.dup2(s.fileno(), 3)
    os.set_inheritable(3, True)
    os.environ["LISTEN_FDS"] = "1"
    os.environ["LISTEN_PID"] = str(os.getpid())
    os.execv(exe, [exe, conf])
else:
    c, _ = s.accept()
    os.dup2(c.fileno(), 0)
    os.dup2(c.fileno(), 1)
    os.execv(exe, [exe, conf])
"#;

fn launch(mode: &str, conf: &std::path::Path) -> (std::process::Child, String) {
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(LAUNCHER)
        .arg(mode)
        .arg(AFSERVER)
        .arg(conf)
        .stdout(Stdio::piped())
        .spawn()
        .expect(
            "python3 is needed to hand sockets over like inetd/systemd (apt-get install python3)",
        );
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, format!("127.0.0.1:{}", line.trim()))
}

#[test]
fn inetd_and_systemd_socket_activation() {
    let dir = scratch();
    let conf = config(
        dir.path(),
        &format!("simh:{}", dir.path().join("tapes").display()),
        "Number Of Cartridges: 1\n",
    );
    let src = dir.path().join("src");
    small_tree(&src, 30, 9);
    let opts = BackupOptions {
        host: "localhost".into(),
        disk: None,
        level: 0,
        zstd: false,
        progress: false,
    };

    // systemd, Accept=no: the server accepts on fd 3, one session per connection.
    let (mut child, addr) = launch("systemd", &conf);
    for _ in 0..2 {
        let mut c = Connection::connect(&addr).unwrap();
        c.backup(&src, &opts).unwrap();
        c.quit().unwrap();
    }
    let _ = child.kill();
    let _ = child.wait();

    // inetd: one connection on stdin/stdout; the server exits when it ends.
    let (mut child, addr) = launch("inetd", &conf);
    let mut c = Connection::connect(&addr).unwrap();
    let (entries, _) = c.list().unwrap();
    assert_eq!(entries.len(), 2);
    let dest = dir.path().join("dest");
    c.restore(entries[1].id, &dest, &[], false).unwrap();
    c.quit().unwrap();
    assert!(child.wait().unwrap().success());
    assert_same_tree(&src, &dest);
}
