//! Unit tests and a model-based property test of the lock manager.

use super::*;
use proptest::prelude::*;

const R: AccessMode = AccessMode::READ;
const W: AccessMode = AccessMode::WRITE;
const DR: AccessMode = AccessMode::DENY_READ;
const DW: AccessMode = AccessMode::DENY_WRITE;
const NONE: AccessMode = AccessMode::empty();

const S1: SessionId = SessionId(1);
const S2: SessionId = SessionId(2);
const F: FileId = FileId { dev: 1, ino: 10 };
const G: FileId = FileId { dev: 1, ino: 11 };

fn rng(start: u64, len: u64) -> ByteRange {
    ByteRange::new(start, len).unwrap()
}

fn open(m: &LockManager, s: SessionId, mode: AccessMode) -> Result<OpenLease, DenyConflict> {
    m.open(s, F, ForkKind::Data, mode)
}

#[test]
fn the_four_deny_rules() {
    let m = LockManager::new();
    // Asks for read, an existing path denies read.
    let a = open(&m, S1, DR).unwrap();
    assert_eq!(open(&m, S2, R).unwrap_err(), DenyConflict);
    assert!(open(&m, S2, W).is_ok());
    drop(a);
    // Asks for write, an existing path denies write.
    let a = open(&m, S1, DW).unwrap();
    assert!(open(&m, S2, W).is_err());
    assert!(open(&m, S2, R).is_ok());
    drop(a);
    // Denies read, an existing path reads.
    let a = open(&m, S1, R).unwrap();
    assert!(open(&m, S2, DR).is_err());
    assert!(open(&m, S2, DW).is_ok());
    drop(a);
    // Denies write, an existing path writes.
    let a = open(&m, S1, W).unwrap();
    assert!(open(&m, S2, DW).is_err());
    assert!(open(&m, S2, DR).is_ok());
    drop(a);
    assert_eq!(m.open_count(), 0);
}

#[test]
fn same_session_opens_are_independent_paths() {
    // FPOpenFork test17: WR, then RD|WR|DWR in the same session → kFPDenyConflict.
    let m = LockManager::new();
    let _w = open(&m, S1, W).unwrap();
    assert!(open(&m, S1, R | W | DW).is_err());
    // test19: RD|DWR twice succeeds, WR then fails until both are closed (test602).
    let m = LockManager::new();
    let a = open(&m, S1, R | DW).unwrap();
    let b = open(&m, S1, R | DW).unwrap();
    assert!(open(&m, S2, R | W).is_err());
    drop(a);
    assert!(open(&m, S2, R | W).is_err(), "a sharer still denies write");
    drop(b);
    assert!(open(&m, S2, R | W).is_ok());
}

#[test]
fn modes_are_cumulative_and_per_fork() {
    let m = LockManager::new();
    let _a = open(&m, S1, R).unwrap();
    let _b = open(&m, S1, W).unwrap();
    let u = m.usage(F);
    assert_eq!(u.data.opens, 2);
    assert_eq!(u.data.access, R | W);
    assert!(!u.resource.is_open());
    // The resource fork has its own modes (FPByteRangeLock test329: 0x33 on the resource
    // fork while the data fork is open read-write).
    let _r = m.open(S1, F, ForkKind::Resource, R | W | DR | DW).unwrap();
    assert!(open(&m, S2, DW).is_err());
    assert_eq!(m.usage(F).resource.deny, DR | DW);
}

#[test]
fn access_none_is_an_open_path() {
    let m = LockManager::new();
    let n = open(&m, S1, NONE).unwrap();
    assert!(m.is_open(F));
    assert_eq!(m.usage(F).data.opens, 1);
    // It conflicts with none of the four rules …
    let rw = open(&m, S2, R | W | DR).unwrap();
    let n2 = open(&m, S2, NONE).unwrap();
    drop((rw, n2));
    // … but takes part in exclusivity (netatalk's whole-file lock of an exclusive open):
    assert_eq!(open(&m, S2, R | W | DR | DW).unwrap_err(), DenyConflict);
    drop(n);
    let all = open(&m, S2, R | W | DR | DW).unwrap();
    assert!(m.usage(F).data.exclusive);
    assert_eq!(open(&m, S1, NONE).unwrap_err(), DenyConflict);
    assert_eq!(open(&m, S2, NONE).unwrap_err(), DenyConflict);
    drop(all);
    assert!(!m.is_open(F));
}

#[test]
fn unknown_mode_bits_are_ignored() {
    let m = LockManager::new();
    let a = open(&m, S1, AccessMode::from_bits_retain(0xFF00) | R).unwrap();
    assert_eq!(a.mode(), R);
}

#[test]
fn byte_range_lock_codes() {
    // FPByteRangeLock test63 on one file, owner = the open fork.
    let m = LockManager::new();
    let f1 = open(&m, S1, R | W).unwrap();
    f1.lock(rng(0, 100)).unwrap();
    f1.unlock(rng(0, 100)).unwrap();
    f1.lock(rng(0, 100)).unwrap();
    assert_eq!(f1.unlock(rng(0, 75)), Err(LockError::NotLocked));
    assert_eq!(f1.lock(rng(80, 100)), Err(LockError::Overlap));
    let f2 = open(&m, S1, R | W).unwrap();
    assert_eq!(f2.lock(rng(20, 60)), Err(LockError::Locked));
    assert_eq!(f2.unlock(rng(0, 100)), Err(LockError::NotLocked));
    // Adjacent is fine.
    f2.lock(rng(100, 10)).unwrap();
    assert_eq!(f1.locks(), vec![rng(0, 100)]);
    assert_eq!(f2.locks(), vec![rng(100, 10)]);
    f1.unlock(rng(0, 100)).unwrap();
    assert_eq!(f1.unlock(rng(0, 50)), Err(LockError::NotLocked));
    // To the maximum, then the exact same range unlocks it.
    let all = ByteRange::to_max(0).unwrap();
    assert_eq!(f1.lock(all), Err(LockError::Locked), "f2 holds 100..110");
    f2.unlock(rng(100, 10)).unwrap();
    f1.lock(all).unwrap();
    assert_eq!(
        f2.lock(rng((1 << 32) + 2, 60)),
        Err(LockError::Locked),
        "a to-max lock covers 64-bit offsets"
    );
    f1.unlock(all).unwrap();
}

#[test]
fn closing_releases_locks_but_a_sibling_close_does_not() {
    // test410: closing a sibling fork must not drop the holder's lock.
    let m = LockManager::new();
    let f = open(&m, S1, R | W).unwrap();
    f.lock(rng(0, 100)).unwrap();
    let sib = open(&m, S1, R | W).unwrap();
    drop(sib);
    let other = open(&m, S2, R | W).unwrap();
    assert_eq!(other.lock(rng(0, 100)), Err(LockError::Locked));
    drop(f);
    other.lock(rng(0, 100)).unwrap();
}

#[test]
fn reads_stop_before_a_foreign_lock_and_writes_write_nothing() {
    let m = LockManager::new();
    let holder = open(&m, S1, R | W).unwrap();
    holder.lock(rng(50, 50)).unwrap();
    let other = open(&m, S2, R | W).unwrap();
    // Own locks never block.
    assert_eq!(holder.begin_read(rng(0, 200)).unwrap().limit(), None);
    assert!(holder.begin_write(rng(0, 200)).is_ok());
    // Another fork's read stops at 50, or at once if the lock covers the start.
    assert_eq!(other.begin_read(rng(0, 200)).unwrap().limit(), Some(50));
    assert_eq!(other.begin_read(rng(60, 5)).unwrap().limit(), Some(60));
    assert_eq!(other.begin_read(rng(100, 5)).unwrap().limit(), None);
    assert_eq!(
        other.begin_write(rng(10, 41)).unwrap_err(),
        LockError::Locked
    );
    assert!(other.begin_write(rng(10, 40)).is_ok());
    assert!(other.begin_write(rng(100, 40)).is_ok());
}

#[test]
fn io_in_progress_blocks_other_forks_locks() {
    let m = LockManager::new();
    let writer = open(&m, S1, R | W).unwrap();
    let other = open(&m, S2, R | W).unwrap();
    let g = writer.begin_write(rng(0, 1 << 20)).unwrap();
    assert_eq!(other.lock(rng(100, 1)), Err(LockError::Locked));
    // The writer itself may lock inside its own write.
    writer.lock(rng(0, 1)).unwrap();
    drop(g);
    other.lock(rng(100, 1)).unwrap();
    // A read guard covers only the bytes before the limit.
    let r = writer.begin_read(rng(0, 1000)).unwrap();
    assert_eq!(r.limit(), Some(100));
    other.lock(rng(500, 1)).unwrap();
    assert_eq!(other.lock(rng(50, 1)), Err(LockError::Locked));
    drop(r);
    other.lock(rng(50, 1)).unwrap();
}

#[test]
fn release_session_frees_everything_of_that_session_only() {
    let m = LockManager::new();
    let a = open(&m, S1, R | W | DW).unwrap();
    a.lock(rng(0, 10)).unwrap();
    let _b = m.open(S1, G, ForkKind::Resource, R).unwrap();
    let c = m.open(S2, G, ForkKind::Data, R).unwrap();
    assert_eq!(m.session_open_count(S1), 2);
    assert_eq!(m.release_session(S1), 2);
    assert!(!a.is_valid());
    assert_eq!(a.file(), None);
    assert_eq!(a.lock(rng(0, 1)), Err(LockError::Closed));
    assert!(a.begin_read(rng(0, 1)).is_err());
    assert!(c.is_valid());
    let d = open(&m, S2, R | W | DW).unwrap();
    d.lock(rng(0, 10)).unwrap();
    drop(a); // inert
    assert_eq!(d.locks(), vec![rng(0, 10)]);
    assert_eq!(m.open_count(), 2);
}

#[test]
fn swap_moves_opens_modes_and_locks() {
    let m = LockManager::new();
    let a = m.open(S1, F, ForkKind::Data, R | DW).unwrap();
    a.lock(rng(0, 10)).unwrap();
    let b = m.open(S2, G, ForkKind::Resource, W).unwrap();
    m.swap(F, G);
    assert_eq!(a.file(), Some(G));
    assert_eq!(b.file(), Some(F));
    assert!(m.open(S2, G, ForkKind::Data, W).is_err());
    assert!(m.open(S2, F, ForkKind::Data, W).is_ok());
    assert_eq!(m.usage(F).resource.access, W);
    let c = m.open(S2, G, ForkKind::Data, R).unwrap();
    assert_eq!(c.lock(rng(5, 1)), Err(LockError::Locked));
    // An I/O guard taken before a swap is still removed after it.
    let g = a.begin_write(rng(20, 5)).unwrap();
    m.swap(F, G);
    drop(g);
    m.swap(F, G);
    assert!(c.lock(rng(20, 5)).is_ok());
    m.swap(F, F);
}

#[test]
fn lock_limit() {
    let m = LockManager::new();
    let a = open(&m, S1, R).unwrap();
    for i in 0..MAX_LOCKS_PER_OPEN as u64 {
        a.lock(rng(i * 2, 1)).unwrap();
    }
    assert_eq!(
        a.lock(rng(MAX_LOCKS_PER_OPEN as u64 * 2, 1)),
        Err(LockError::TooMany)
    );
    a.unlock(rng(0, 1)).unwrap();
    a.lock(rng(0, 1)).unwrap();
    // The session limit spans its forks; other sessions are not affected.
    let per = MAX_LOCKS_PER_OPEN as u64;
    let more: Vec<OpenLease> = (1..(MAX_LOCKS_PER_SESSION / MAX_LOCKS_PER_OPEN) as u64)
        .map(|i| {
            let l = m
                .open(S1, FileId { dev: 2, ino: i }, ForkKind::Data, R)
                .unwrap();
            for j in 0..per {
                l.lock(rng(j, 1)).unwrap();
            }
            l
        })
        .collect();
    let last = m.open(S1, G, ForkKind::Data, R).unwrap();
    assert_eq!(last.lock(rng(0, 1)), Err(LockError::TooMany));
    let other = m.open(S2, G, ForkKind::Data, R).unwrap();
    other.lock(rng(0, 1)).unwrap();
    drop(more);
    last.lock(rng(1, 1)).unwrap();
    assert_eq!(m.state().session_locks.get(&S1), Some(&(per as usize + 1)));
    drop((a, last, other));
    assert!(m.state().session_locks.is_empty());
}

#[test]
fn ranges() {
    assert!(ByteRange::new(0, 0).is_none());
    assert!(ByteRange::new(u64::MAX, 2).is_none());
    assert!(ByteRange::new(ByteRange::MAX_END, 1).is_none());
    assert!(ByteRange::new(ByteRange::MAX_END - 1, 1).is_some());
    assert!(ByteRange::to_max(ByteRange::MAX_END).is_none());
    assert_eq!(ByteRange::to_max(7).unwrap().end(), ByteRange::MAX_END);
    assert_eq!(LockError::Locked.result_code(), ResultCode::LOCK_ERR);
    assert_eq!(ResultCode::from(DenyConflict), ResultCode::DENY_CONFLICT);
}

#[test]
fn shared_across_threads() {
    let m = LockManager::new();
    let f = open(&m, S1, R | W).unwrap();
    std::thread::scope(|s| {
        for t in 0..4u64 {
            let m = m.clone();
            s.spawn(move || {
                let mine = m.open(SessionId(10 + t), F, ForkKind::Data, R).unwrap();
                for i in 0..500 {
                    let r = rng(1000 + t * 1000 + i, 1);
                    mine.lock(r).unwrap();
                    mine.unlock(r).unwrap();
                }
            });
        }
    });
    f.lock(rng(0, 1_000_000)).unwrap();
    assert_eq!(m.open_count(), 1);
}

// ---------------------------------------------------------------------------------------
// Model-based test: random open/close/lock/unlock/read/write/release/swap sequences across
// sessions against a straightforward model (lists and linear scans).

#[derive(Debug, Clone)]
enum Op {
    Open {
        s: u64,
        f: u64,
        rsrc: bool,
        mode: u16,
    },
    Close(usize),
    Lock {
        o: usize,
        start: u64,
        len: u64,
    },
    Unlock {
        o: usize,
        start: u64,
        len: u64,
    },
    UnlockExisting(usize),
    Read {
        o: usize,
        start: u64,
        len: u64,
    },
    Write {
        o: usize,
        start: u64,
        len: u64,
    },
    Release(u64),
    Swap(u64, u64),
}

fn op() -> impl Strategy<Value = Op> {
    let mode = prop::sample::select(vec![
        0u16, 1, 2, 3, 0x10, 0x20, 0x11, 0x21, 0x31, 0x33, 0x23, 0x13,
    ]);
    prop_oneof![
        3 => (0..3u64, 0..3u64, any::<bool>(), mode).prop_map(|(s, f, rsrc, mode)| Op::Open { s, f, rsrc, mode }),
        1 => (0..16usize).prop_map(Op::Close),
        4 => (0..16usize, 0..40u64, 1..15u64).prop_map(|(o, start, len)| Op::Lock { o, start, len }),
        1 => (0..16usize, 0..40u64, 1..15u64).prop_map(|(o, start, len)| Op::Unlock { o, start, len }),
        2 => (0..16usize).prop_map(Op::UnlockExisting),
        2 => (0..16usize, 0..40u64, 1..15u64).prop_map(|(o, start, len)| Op::Read { o, start, len }),
        2 => (0..16usize, 0..40u64, 1..15u64).prop_map(|(o, start, len)| Op::Write { o, start, len }),
        1 => (0..3u64).prop_map(Op::Release),
        1 => (0..3u64, 0..3u64).prop_map(|(a, b)| Op::Swap(a, b)),
    ]
}

#[derive(Debug, Clone)]
struct MOpen {
    session: u64,
    file: u64,
    rsrc: bool,
    mode: u16,
    locks: Vec<(u64, u64)>,
}

fn file(f: u64) -> FileId {
    FileId { dev: 7, ino: f }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn matches_a_simple_model(ops in prop::collection::vec(op(), 1..120)) {
        let m = LockManager::new();
        // Live opens: the lease and the model's view, side by side.
        let mut live: Vec<(OpenLease, MOpen)> = Vec::new();
        for op in ops {
            match op {
                Op::Open { s, f, rsrc, mode } => {
                    let same: Vec<&MOpen> = live.iter().map(|(_, o)| o)
                        .filter(|o| o.file == f && o.rsrc == rsrc).collect();
                    let acc = same.iter().fold(0, |a, o| a | (o.mode & 3));
                    let deny = same.iter().fold(0, |a, o| a | (o.mode & 0x30));
                    let conflict = (mode & 1 != 0 && deny & 0x10 != 0)
                        || (mode & 2 != 0 && deny & 0x20 != 0)
                        || (mode & 0x10 != 0 && acc & 1 != 0)
                        || (mode & 0x20 != 0 && acc & 2 != 0)
                        || (mode == 0x33 && !same.is_empty())
                        || (mode == 0 && same.iter().any(|o| o.mode == 0x33));
                    let kind = if rsrc { ForkKind::Resource } else { ForkKind::Data };
                    let got = m.open(SessionId(s), file(f), kind, AccessMode::from_bits_retain(mode));
                    prop_assert_eq!(got.is_err(), conflict);
                    if let Ok(l) = got {
                        live.push((l, MOpen { session: s, file: f, rsrc, mode, locks: vec![] }));
                    }
                }
                Op::Close(i) => {
                    if i < live.len() {
                        live.remove(i);
                    }
                }
                Op::Lock { o, start, len } => {
                    if o < live.len() {
                        let me = &live[o].1;
                        let end = start + len;
                        let ov = |l: &(u64, u64)| l.0 < end && start < l.1;
                        let foreign = live.iter().enumerate().any(|(j, (_, x))| {
                            j != o && x.file == me.file && x.rsrc == me.rsrc && x.locks.iter().any(ov)
                        });
                        let own = me.locks.iter().any(ov);
                        let want = if foreign { Err(LockError::Locked) } else if own { Err(LockError::Overlap) } else { Ok(()) };
                        prop_assert_eq!(live[o].0.lock(rng(start, len)), want);
                        if want.is_ok() {
                            live[o].1.locks.push((start, end));
                        }
                    }
                }
                Op::Unlock { o, start, len } => {
                    if o < live.len() {
                        let pos = live[o].1.locks.iter().position(|&l| l == (start, start + len));
                        let got = live[o].0.unlock(rng(start, len));
                        prop_assert_eq!(got.is_ok(), pos.is_some());
                        if let Some(p) = pos {
                            live[o].1.locks.remove(p);
                        } else {
                            prop_assert_eq!(got, Err(LockError::NotLocked));
                        }
                    }
                }
                Op::UnlockExisting(o) => {
                    if let Some((lease, mo)) = live.get_mut(o)
                        && let Some((s, e)) = mo.locks.pop()
                    {
                        prop_assert_eq!(lease.unlock(rng(s, e - s)), Ok(()));
                    }
                }
                Op::Read { o, start, len } | Op::Write { o, start, len } => {
                    if o < live.len() {
                        let me = &live[o].1;
                        let end = start + len;
                        let first = live.iter().enumerate()
                            .filter(|(j, (_, x))| *j != o && x.file == me.file && x.rsrc == me.rsrc)
                            .flat_map(|(_, (_, x))| x.locks.iter())
                            .filter(|l| l.0 < end && start < l.1)
                            .map(|l| l.0.max(start))
                            .min();
                        if matches!(op, Op::Read { .. }) {
                            let g = live[o].0.begin_read(rng(start, len)).unwrap();
                            prop_assert_eq!(g.limit(), first);
                        } else {
                            let g = live[o].0.begin_write(rng(start, len));
                            prop_assert_eq!(g.is_err(), first.is_some());
                        }
                    }
                }
                Op::Release(s) => {
                    let n = live.iter().filter(|(_, x)| x.session == s).count();
                    prop_assert_eq!(m.release_session(SessionId(s)), n);
                    live.retain(|(_, x)| x.session != s);
                }
                Op::Swap(a, b) => {
                    m.swap(file(a), file(b));
                    for (_, x) in live.iter_mut() {
                        if x.file == a {
                            x.file = b;
                        } else if x.file == b {
                            x.file = a;
                        }
                    }
                }
            }
            // Invariants after every step.
            prop_assert_eq!(m.open_count(), live.len());
            for f in 0..3 {
                let u = m.usage(file(f));
                for rsrc in [false, true] {
                    let mine: Vec<&MOpen> = live.iter().map(|(_, x)| x)
                        .filter(|x| x.file == f && x.rsrc == rsrc).collect();
                    let fu = u.fork(if rsrc { ForkKind::Resource } else { ForkKind::Data });
                    prop_assert_eq!(fu.opens, mine.len());
                    prop_assert_eq!(fu.exclusive, mine.iter().any(|x| x.mode == 0x33));
                    prop_assert_eq!(fu.locks, mine.iter().map(|x| x.locks.len()).sum::<usize>());
                    prop_assert_eq!(fu.access.bits(), mine.iter().fold(0, |a, x| a | (x.mode & 3)));
                    prop_assert_eq!(fu.deny.bits(), mine.iter().fold(0, |a, x| a | (x.mode & 0x30)));
                }
            }
            for sess in 0..3 {
                let want: usize = live
                    .iter()
                    .filter(|(_, x)| x.session == sess)
                    .map(|(_, x)| x.locks.len())
                    .sum();
                let got = m.state().session_locks.get(&SessionId(sess)).copied().unwrap_or(0);
                prop_assert_eq!(got, want);
            }
            for (lease, x) in &live {
                let mut want: Vec<ByteRange> = x.locks.iter().map(|&(s, e)| rng(s, e - s)).collect();
                want.sort_by_key(|r| r.start());
                prop_assert_eq!(lease.locks(), want);
                prop_assert_eq!(lease.file(), Some(file(x.file)));
            }
        }
        drop(live);
        prop_assert_eq!(m.open_count(), 0);
        prop_assert!(m.state().session_locks.is_empty(), "lock counts left behind");
        prop_assert!(m.state().forks.is_empty(), "no state left behind");
    }
}
