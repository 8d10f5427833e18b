//! Shared helpers of the afserver integration tests: trees, comparisons, servers.
#![allow(dead_code, unreachable_pub)]

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub const AFSERVER: &str = env!("CARGO_BIN_EXE_afserver");
pub const AFCLIENT: &str = env!("CARGO_BIN_EXE_afclient");

/// A small deterministic pseudo-random generator.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut v = Vec::with_capacity(n + 8);
        while v.len() < n {
            v.extend_from_slice(&self.next().to_le_bytes());
        }
        v.truncate(n);
        v
    }
}

/// `n` small files in nested directories, a symlink, an empty file and an empty dir.
pub fn small_tree(root: &Path, n: usize, seed: u64) {
    let mut rng = Rng(seed | 1);
    for i in 0..n {
        let dir = root.join(format!("d{:02}/e{:02}", i % 50, (i / 50) % 20));
        fs::create_dir_all(&dir).unwrap();
        let len = (rng.next() % 300) as usize;
        fs::write(dir.join(format!("f{i:05}.txt")), rng.bytes(len)).unwrap();
    }
    fs::create_dir_all(root.join("empty dir")).unwrap();
    fs::write(root.join("empty"), b"").unwrap();
    fs::write(root.join("name with spaces & ünïcödé.txt"), b"x").unwrap();
    symlink("d00/e00/f00000.txt", root.join("link")).unwrap();
    let exe = root.join("script.sh");
    fs::write(&exe, b"#!/bin/sh\necho hi\n").unwrap();
    fs::set_permissions(&exe, fs::Permissions::from_mode(0o755)).unwrap();
}

/// A sparse file of `len` bytes with a few random islands (cheap to make and to store).
pub fn sparse_file(path: &Path, len: u64, seed: u64) {
    use std::os::unix::fs::FileExt;
    let f = fs::File::create(path).unwrap();
    f.set_len(len).unwrap();
    let mut rng = Rng(seed | 1);
    for k in 0..8u64 {
        let at = (len / 8) * k + rng.next() % (len / 16);
        f.write_all_at(&rng.bytes(4096), at).unwrap();
    }
    f.write_all_at(b"tail", len - 4).unwrap();
}

fn files_equal(a: &Path, b: &Path) -> bool {
    let (mut fa, mut fb) = (fs::File::open(a).unwrap(), fs::File::open(b).unwrap());
    if fa.metadata().unwrap().len() != fb.metadata().unwrap().len() {
        return false;
    }
    let (mut ba, mut bb) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    loop {
        let n = read_full(&mut fa, &mut ba);
        let m = read_full(&mut fb, &mut bb);
        if n != m || ba[..n] != bb[..m] {
            return false;
        }
        if n == 0 {
            return true;
        }
    }
}

fn read_full(f: &mut fs::File, buf: &mut [u8]) -> usize {
    let mut got = 0;
    while got < buf.len() {
        match f.read(&mut buf[got..]).unwrap() {
            0 => break,
            n => got += n,
        }
    }
    got
}

/// Compare two trees: same entries, types, contents, symlink targets and permission bits.
/// Returns the number of entries compared.
pub fn assert_same_tree(a: &Path, b: &Path) -> usize {
    let mut count = 0;
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let (pa, pb) = (a.join(&rel), b.join(&rel));
        let mut names_a: Vec<_> = fs::read_dir(&pa)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        let mut names_b: Vec<_> = fs::read_dir(&pb)
            .unwrap_or_else(|e| panic!("{}: {e}", pb.display()))
            .map(|e| e.unwrap().file_name())
            .collect();
        names_a.sort();
        names_b.sort();
        assert_eq!(names_a, names_b, "entries of {}", rel.display());
        for n in names_a {
            let r = rel.join(&n);
            let (ma, mb) = (
                fs::symlink_metadata(a.join(&r)).unwrap(),
                fs::symlink_metadata(b.join(&r)).unwrap(),
            );
            assert_eq!(ma.file_type(), mb.file_type(), "type of {}", r.display());
            count += 1;
            if ma.is_dir() {
                stack.push(r);
            } else if ma.file_type().is_symlink() {
                assert_eq!(
                    fs::read_link(a.join(&r)).unwrap(),
                    fs::read_link(b.join(&r)).unwrap(),
                    "{}",
                    r.display()
                );
            } else {
                assert_eq!(
                    ma.permissions().mode() & 0o777,
                    mb.permissions().mode() & 0o777,
                    "mode of {}",
                    r.display()
                );
                assert!(
                    files_equal(&a.join(&r), &b.join(&r)),
                    "contents of {}",
                    r.display()
                );
            }
        }
    }
    count
}

/// Write a server configuration.
pub fn config(dir: &Path, device: &str, extra: &str) -> PathBuf {
    let path = dir.join("server.conf");
    fs::write(
        &path,
        format!(
            "Backup-Device: {device}\nVar-Directory: {}\nStatus-Interval: 0\n{extra}",
            dir.join("state").display()
        ),
    )
    .unwrap();
    path
}

/// A standalone server on a loopback port; killed on drop.
pub struct TcpServer {
    pub child: Child,
    pub addr: String,
}

impl TcpServer {
    pub fn start(conf: &Path) -> TcpServer {
        let mut child = Command::new(AFSERVER)
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg(conf)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected: {line}"))
            .to_owned();
        TcpServer { child, addr }
    }
}

impl Drop for TcpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The connection spec for a server over a pipe (stdin/stdout of a child process).
pub fn pipe_spec(conf: &Path) -> String {
    format!("exec:{AFSERVER} --stdio {}", conf.display())
}

/// Run afclient with arguments; returns (success, stdout + stderr).
pub fn afclient(server: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(AFCLIENT)
        .arg("-q")
        .arg("-s")
        .arg(server)
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// A file of `len` bytes of generated (non-zero, non-sparse) data: a 1 MiB random
/// pattern repeated with a varying counter, so every MiB differs.
pub fn dense_file(path: &Path, len: u64, seed: u64) {
    use std::io::Write;
    let mut rng = Rng(seed | 1);
    let pattern = rng.bytes(1 << 20);
    let mut f = std::io::BufWriter::new(fs::File::create(path).unwrap());
    let mut left = len;
    let mut i = 0u64;
    while left > 0 {
        let n = left.min(1 << 20) as usize;
        let mut chunk = pattern[..n].to_vec();
        chunk[..8.min(n)].copy_from_slice(&i.to_le_bytes()[..8.min(n)]);
        f.write_all(&chunk).unwrap();
        left -= n as u64;
        i += 1;
    }
}

/// A scratch directory, in memory (`/dev/shm`) when available: the end-to-end tests move
/// a few GiB and create tens of thousands of files, which a slow disk turns into minutes.
pub fn scratch() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir()
        && let Ok(d) = tempfile::Builder::new()
            .prefix("afserver-test-")
            .tempdir_in(shm)
    {
        return d;
    }
    tempfile::tempdir().unwrap()
}
