//! Crash test: a writer in a child process is killed with SIGKILL at random points, many times;
//! after each kill the store must open, hold every acknowledged operation (and at most the one
//! in flight), agree exactly with the reference model, and pass the index check.
//!
//! `harness = false`: run without arguments this is the parent; with `CNID_CRASH_CHILD` set it
//! is the child writer. Kill count: `CNID_CRASH_KILLS` (default 120).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use cnid::model::{self, Model, Op};
use cnid::{OpenOptions, Store};

const CHILD: &str = "CNID_CRASH_CHILD";
const START: &str = "CNID_CRASH_START";

fn ops() -> Vec<Op> {
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    let mut data = Vec::with_capacity(120_000);
    for _ in 0..120_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        data.push((x >> 24) as u8);
    }
    Op::decode_all(&data)
}

fn child(dir: &Path, start: usize) {
    // Open first, so that early kills land inside store creation.
    let store = Store::open(dir, &OpenOptions::default()).expect("child open");
    let ops = ops();
    let mut acks = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("acks"))
        .expect("ack file");
    // Runs until killed: the operation stream repeats (on an ever-changing store), so a fast
    // machine never runs out of operations before the parent's kill lands.
    for i in start.. {
        let op = &ops[i % ops.len()];
        model::apply_to_store(&store, op).expect("child op");
        // One write(2) per acknowledged operation: it survives SIGKILL (not power loss, which
        // the ack file does not need to survive).
        acks.write_all(format!("{i}\n").as_bytes()).expect("ack");
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn main() {
    if let Ok(dir) = std::env::var(CHILD) {
        let start = std::env::var(START).unwrap().parse().unwrap();
        child(Path::new(&dir), start);
        return;
    }
    let kills: usize = std::env::var("CNID_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(120);
    let ops = ops();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("db");
    let exe = std::env::current_exe().unwrap();
    let mut rng = Rng(0xDEAD_BEEF_CAFE_F00D);
    let mut model = Model::default();
    let mut done = 0usize;
    let mut in_flight_committed = 0;
    // Phase 1: kills within the first milliseconds, each on a new directory, to hit the
    // creation of the store file.
    let creation_kills = 20;
    let mut mid_creation = 0;
    for k in 0..creation_kills {
        let fresh = tmp.path().join(format!("create{k}"));
        let mut child = Command::new(&exe)
            .env(CHILD, &fresh)
            .env(START, "0")
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(rng.next() % 20_000));
        child.kill().unwrap();
        child.wait().unwrap();
        if fresh.join(format!("{}.creating", cnid::FILE_NAME)).exists() {
            mid_creation += 1;
        }
        let store = Store::open(&fresh, &OpenOptions::default())
            .unwrap_or_else(|e| panic!("creation kill {k}: reopen failed: {e}"));
        assert!(store.check().unwrap().is_clean(), "creation kill {k}");
    }
    // Phase 2: kills at random points of a long run of operations on one store.
    for k in 0..kills {
        let _ = std::fs::remove_file(dir.join("acks"));
        let mut child = Command::new(&exe)
            .env(CHILD, &dir)
            .env(START, done.to_string())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.next() % 300));
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert!(
            status.code().is_none(),
            "kill {k}: the child exited by itself ({status}) instead of being killed"
        );
        let acked: Vec<usize> = std::fs::read_to_string(dir.join("acks"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.parse().ok())
            .collect();
        if let Some(&last) = acked.last() {
            assert_eq!(last + 1 - done, acked.len(), "kill {k}: acks out of order");
        }
        let store = Store::open(&dir, &OpenOptions::default())
            .unwrap_or_else(|e| panic!("kill {k}: reopen failed: {e}"));
        let state = model::store_state(&store).unwrap();
        // Every acknowledged operation must be there.
        for i in done..done + acked.len() {
            model.apply(&ops[i % ops.len()]);
        }
        done += acked.len();
        if state != model {
            // The operation in flight may have committed before the kill.
            let mut next = model.clone();
            next.apply(&ops[done % ops.len()]);
            assert_eq!(
                state, next,
                "kill {k}: store matches neither the acknowledged state nor the one after"
            );
            model = next;
            done += 1;
            in_flight_committed += 1;
        }
        let report = store.check().unwrap();
        assert!(report.is_clean(), "kill {k}: {:?}", report.problems);
        drop(store);
    }
    println!(
        "crash test: {creation_kills} SIGKILLs early ({mid_creation} inside store creation), {kills} during operations, {done} operations acknowledged or committed \
         ({in_flight_committed} committed but not yet acknowledged), all present"
    );
    println!("1 passed; 0 failed");
}
