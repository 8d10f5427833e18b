//! Live discovery in private network namespaces (`tests/live/harness.sh`): avahi-browse,
//! python-zeroconf, a dnspython legacy unicast query and tshark in namespace B check what
//! the `dnssd` binary publishes from namespace A. Needs root; fails (never skips) with the
//! reason when not root or when a tool is missing.
//!
//! The harness takes any responder command, so the same check runs against afpd:
//! `tests/live/harness.sh 'afpd -F /path/to/afp.conf'` with a config publishing `zf`.

use std::process::Command;
use std::sync::Mutex;

const UUID: &str = "0b5c4c39-1b7a-4d0e-9a52-3f2f4f6b7a11";

/// One harness at a time: they are CPU-hungry and share /run/avahi-daemon's mount point.
static SERIAL: Mutex<()> = Mutex::new(());

/// Runs the harness; our own `dnssd browse` and `dnssd resolve` run in namespace B too.
fn harness(responder: &str) {
    let _guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/live/harness.sh");
    let bin = env!("CARGO_BIN_EXE_dnssd");
    let browser = format!(
        "{bin} browse _afpovertcp._tcp --interface \"$IFACE\" && {bin} resolve zf _adisk._tcp --interface \"$IFACE\""
    );
    let out = Command::new("bash")
        .arg(script)
        .arg(responder)
        .env("BROWSER_CMD", browser)
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(
        out.status.success(),
        "live discovery failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
}

fn afp_args() -> String {
    format!("afp zf --port 548 --time-machine time_mach={UUID} --interface \"$IFACE\"")
}

#[test]
fn builtin_responder_is_discovered() {
    let bin = env!("CARGO_BIN_EXE_dnssd");
    harness(&format!(
        "exec {bin} {} --host zf --backend builtin",
        afp_args()
    ));
}

#[test]
fn avahi_dbus_backend_is_discovered() {
    let bin = env!("CARGO_BIN_EXE_dnssd");
    let wrapper = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/live/with_private_avahi.sh"
    );
    harness(&format!(
        "exec {wrapper} {bin} {} --backend avahi",
        afp_args()
    ));
}
