//! Large transfers against the project's afpd on loopback: a 1 GiB round trip checked
//! with MD5 on both sides, resume after a killed `get` and a killed `put`, and the
//! throughput of get and put next to plain loopback TCP measured in the same run (printed,
//! never asserted: run with `--nocapture` to see it).

mod common;

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use md5::{Digest, Md5};
use rand::{RngCore, SeedableRng};

use common::{Server, expect, run, text};

const GIB: u64 = 1 << 30;

/// One large transfer at a time: the machine has two cores and one disk, and the
/// throughput figures mean more without a neighbour.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn exclusive() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner())
}

/// Writes `len` pseudo-random bytes (seeded) to `path`; returns their MD5.
fn generate(path: &Path, len: u64, seed: u64) -> [u8; 16] {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut f = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    let mut h = Md5::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        let n = left.min(buf.len() as u64) as usize;
        rng.fill_bytes(&mut buf[..n]);
        h.update(&buf[..n]);
        f.write_all(&buf[..n]).unwrap();
        left -= n as u64;
    }
    f.flush().unwrap();
    h.finalize().into()
}

fn md5_file(path: &Path) -> [u8; 16] {
    let mut f = std::fs::File::open(path).unwrap();
    let mut h = Md5::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    h.finalize().into()
}

fn mib_s(bytes: u64, d: Duration) -> f64 {
    bytes as f64 / d.as_secs_f64() / (1024.0 * 1024.0)
}

#[test]
fn one_gib_round_trip_with_checksums_and_throughput() {
    let _one = exclusive();
    let s = Server::start();
    let src = s.dir.path().join("big.bin");
    let sum = generate(&src, GIB, 1);

    let t = afp_client::conn::now();
    let out = run(s.afp().arg("put").arg(&src).arg(s.url("big.bin")));
    let put = t.elapsed();
    expect(&out, 0);
    let on_server = s.share.join("big.bin");
    assert_eq!(std::fs::metadata(&on_server).unwrap().len(), GIB);
    assert_eq!(md5_file(&on_server), sum, "server copy differs");

    let back = s.dir.path().join("back.bin");
    let t = afp_client::conn::now();
    let out = run(s.afp().arg("get").arg(s.url("big.bin")).arg(&back));
    let get = t.elapsed();
    expect(&out, 0);
    assert_eq!(md5_file(&back), sum, "downloaded copy differs");

    let tcp = afp_client::bench::loopback_tcp(GIB).unwrap();
    eprintln!(
        "1 GiB over loopback: put {:.1} MiB/s ({:.1} s), get {:.1} MiB/s ({:.1} s), plain TCP {:.1} MiB/s; put {:.0}% and get {:.0}% of TCP (whole commands: login, local disk, close included)",
        mib_s(GIB, put),
        put.as_secs_f64(),
        mib_s(GIB, get),
        get.as_secs_f64(),
        mib_s(GIB, tcp),
        mib_s(GIB, put) / mib_s(GIB, tcp) * 100.0,
        mib_s(GIB, get) / mib_s(GIB, tcp) * 100.0,
    );
}

/// Starts `afp` with `args`, kills it (SIGKILL) once `progress()` passes `threshold`.
/// Returns false if the command finished first.
fn kill_midway(
    s: &Server,
    args: &[&std::ffi::OsStr],
    progress: impl Fn() -> u64,
    threshold: u64,
) -> bool {
    let mut child = s
        .afp()
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let end = afp_client::conn::now() + Duration::from_secs(120);
    loop {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        if progress() >= threshold {
            child.kill().unwrap();
            child.wait().unwrap();
            return true;
        }
        assert!(afp_client::conn::now() < end, "transfer made no progress");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn len(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

/// The byte count of the summary line `get: 1 file(s), N byte(s) …`.
fn bytes_moved(stderr: &[u8]) -> u64 {
    let t = String::from_utf8_lossy(stderr);
    let line = t
        .lines()
        .find(|l| l.contains("file(s),"))
        .unwrap_or_else(|| panic!("no summary in {t}"));
    let after = line.split("file(s), ").nth(1).unwrap();
    after.split(' ').next().unwrap().parse().unwrap()
}

const RESUME_SIZE: u64 = 512 << 20;

#[test]
fn get_resumes_after_the_client_is_killed() {
    let _one = exclusive();
    let s = Server::start();
    let on_server = s.share.join("r.bin");
    let sum = generate(&on_server, RESUME_SIZE, 2);
    s.give(&on_server);
    let local = s.dir.path().join("r.bin");

    let url = s.url("r.bin");
    let killed = kill_midway(
        &s,
        &["get".as_ref(), url.as_ref(), local.as_os_str()],
        || len(&local),
        64 << 20,
    );
    assert!(killed, "the transfer finished before it could be killed");
    let partial = len(&local);
    assert!(
        (64 << 20..RESUME_SIZE).contains(&partial),
        "partial length {partial}"
    );

    let out = run(s.afp().arg("get").arg("--continue").arg(&url).arg(&local));
    expect(&out, 0);
    assert_eq!(md5_file(&local), sum, "resumed download differs");
    let moved = bytes_moved(&out.stderr);
    assert_eq!(moved, RESUME_SIZE - partial, "{}", text(&out));

    // A complete file is left alone.
    let out = run(s.afp().arg("get").arg("-c").arg(&url).arg(&local));
    expect(&out, 0);
    assert!(text(&out).contains("1 already complete"), "{}", text(&out));
}

#[test]
fn put_resumes_after_the_client_is_killed() {
    let _one = exclusive();
    let s = Server::start();
    let local = s.dir.path().join("p.bin");
    let sum = generate(&local, RESUME_SIZE, 3);
    let on_server = s.share.join("p.bin");

    let url = s.url("p.bin");
    let killed = kill_midway(
        &s,
        &["put".as_ref(), local.as_os_str(), url.as_ref()],
        || len(&on_server),
        64 << 20,
    );
    assert!(killed, "the transfer finished before it could be killed");
    // The server may still be writing what was in flight; let it settle.
    std::thread::sleep(Duration::from_millis(500));
    let partial = len(&on_server);
    assert!(partial < RESUME_SIZE, "partial length {partial}");

    let out = run(s.afp().arg("put").arg("--continue").arg(&local).arg(&url));
    expect(&out, 0);
    assert_eq!(len(&on_server), RESUME_SIZE);
    assert_eq!(md5_file(&on_server), sum, "resumed upload differs");
    let moved = bytes_moved(&out.stderr);
    assert!(moved < RESUME_SIZE, "nothing was resumed: {}", text(&out));
}

#[test]
fn resumed_get_of_a_longer_local_file_starts_over() {
    let s = Server::start();
    let on_server = s.share.join("short.bin");
    std::fs::write(&on_server, b"0123456789").unwrap();
    s.give(&on_server);
    let local = s.dir.path().join("short.bin");
    std::fs::write(&local, b"0123456789-and-more").unwrap();
    let out = run(Command::new(env!("CARGO_BIN_EXE_afp"))
        .env("AFP_PASSWORD", common::PASSWORD)
        .args(["get", "--continue", &s.url("short.bin")])
        .arg(&local));
    expect(&out, 0);
    assert_eq!(std::fs::read(&local).unwrap(), b"0123456789");
}
