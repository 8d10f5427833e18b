//! CNID store benchmarks, each against the raw engine doing the equivalent plain key-value
//! operations in the same run (the ratio is the store's overhead), plus the engine comparison
//! (redb vs SQLite) on the same CNID-shaped workload.
//!
//! `CNID_BENCH_N` sets the number of preloaded entries (default 1,000,000; the documented
//! 10M run is `CNID_BENCH_N=10000000`). Bytes on disk per entry and resident memory are
//! printed to stderr before the criterion groups run.
//!
//! ```text
//! cargo bench -p benches --bench cnid
//! CNID_BENCH_N=100000 cargo bench -p benches --bench cnid     # quick
//! ```

// Benchmarks measure wall-clock time by design; only the libraries are sans-IO.
#![allow(clippy::disallowed_methods)]

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use cnid::{Cnid, Kind, OpenOptions, Store};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use redb::{Database, ReadableDatabase, TableDefinition};

type Def = TableDefinition<'static, &'static [u8], &'static [u8]>;
const META: Def = TableDefinition::new("cnid_meta");
const RECORDS: Def = TableDefinition::new("cnid_records");
const DEVINO: Def = TableDefinition::new("cnid_devino");
const DIDNAME: Def = TableDefinition::new("cnid_didname");
const NAMES: Def = TableDefinition::new("cnid_names");
const CACHE: usize = 256 << 20;
const LOAD_BATCH: u64 = 10_000;

fn n_entries() -> u64 {
    std::env::var("CNID_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

/// Object `i`: 1000 directories of files under the root; names like a real volume.
fn obj(i: u64) -> (u64, u64, Cnid, Vec<u8>) {
    let did = Cnid(17 + (i % 1000) as u32);
    (
        42,
        1_000_000 + i,
        did,
        format!("Document {i:08}.pages").into_bytes(),
    )
}

fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

// ---- the raw redb peer: same tables and key encodings, no checks ----

/// Primary key, primary record, dev/ino key, did/name key, name-index key.
type RawRecord = ([u8; 4], Vec<u8>, [u8; 16], Vec<u8>, Vec<u8>);

fn raw_record(i: u64) -> RawRecord {
    let (dev, ino, did, name) = obj(i);
    let id = (100 + i as u32).to_be_bytes();
    let mut rec = vec![0u8];
    rec.extend_from_slice(&did.0.to_be_bytes());
    rec.extend_from_slice(&dev.to_be_bytes());
    rec.extend_from_slice(&ino.to_be_bytes());
    rec.extend_from_slice(&name);
    rec.extend_from_slice(&[0; 4]);
    let mut dk = [0u8; 16];
    dk[..8].copy_from_slice(&dev.to_be_bytes());
    dk[8..].copy_from_slice(&ino.to_be_bytes());
    let mut nk = did.0.to_be_bytes().to_vec();
    nk.extend_from_slice(&name);
    let mut lk = name.to_ascii_lowercase();
    lk.push(0);
    lk.extend_from_slice(&id);
    (id, rec, dk, nk, lk)
}

fn raw_insert(txn: &redb::WriteTransaction, i: u64) {
    let (id, rec, dk, nk, lk) = raw_record(i);
    txn.open_table(RECORDS)
        .unwrap()
        .insert(&id[..], &rec[..])
        .unwrap();
    txn.open_table(DEVINO)
        .unwrap()
        .insert(&dk[..], &id[..])
        .unwrap();
    txn.open_table(DIDNAME)
        .unwrap()
        .insert(&nk[..], &id[..])
        .unwrap();
    txn.open_table(NAMES)
        .unwrap()
        .insert(&lk[..], &[][..])
        .unwrap();
    txn.open_table(META)
        .unwrap()
        .insert(&b"last"[..], &id[..])
        .unwrap();
}

fn raw_open(dir: &Path) -> Database {
    Database::builder()
        .set_cache_size(CACHE)
        .create(dir.join("raw.redb"))
        .unwrap()
}

// ---- the SQLite peer (engine comparison), spec §5.5 schema ----

fn sqlite_open(dir: &Path) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(dir.join("cnid.sqlite")).unwrap();
    c.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
         CREATE TABLE IF NOT EXISTS cnid(id INTEGER PRIMARY KEY, did INTEGER NOT NULL,
           name BLOB NOT NULL, lname BLOB NOT NULL, dev INTEGER NOT NULL, ino INTEGER NOT NULL,
           type INTEGER NOT NULL, UNIQUE(did, name), UNIQUE(dev, ino)) STRICT;
         CREATE INDEX IF NOT EXISTS cnid_lname ON cnid(lname);
         CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v INTEGER) STRICT;",
    )
    .unwrap();
    c
}

fn sqlite_add(tx: &rusqlite::Transaction<'_>, i: u64) {
    let (dev, ino, did, name) = obj(i);
    let mut st = tx
        .prepare_cached("SELECT id FROM cnid WHERE dev = ?1 AND ino = ?2")
        .unwrap();
    let _ = st
        .query_row((dev as i64, ino as i64), |r| r.get::<_, i64>(0))
        .ok();
    let mut st = tx
        .prepare_cached("SELECT id FROM cnid WHERE did = ?1 AND name = ?2")
        .unwrap();
    let _ = st.query_row((did.0, &name), |r| r.get::<_, i64>(0)).ok();
    let lname = name.to_ascii_lowercase();
    tx.prepare_cached(
        "INSERT INTO cnid(id, did, name, lname, dev, ino, type) VALUES(?1, ?2, ?3, ?4, ?5, ?6, 0)",
    )
    .unwrap()
    .execute((100 + i as i64, did.0, &name, &lname, dev as i64, ino as i64))
    .unwrap();
    tx.prepare_cached("INSERT OR REPLACE INTO meta(k, v) VALUES('last', ?1)")
        .unwrap()
        .execute([100 + i as i64])
        .unwrap();
}

struct Fixture {
    _tmp: tempfile::TempDir,
    store: Store,
    raw: Database,
    sqlite: rusqlite::Connection,
    n: u64,
    ids: Vec<Cnid>,
}

fn setup() -> Fixture {
    let n = n_entries();
    // The files go to $CNID_BENCH_DIR, or the system temporary directory (never the source
    // tree, which is criterion's working directory).
    let tmp = match std::env::var_os("CNID_BENCH_DIR") {
        Some(d) => tempfile::tempdir_in(d),
        None => tempfile::tempdir(),
    }
    .unwrap();
    eprintln!("cnid bench: loading {n} entries into each engine (batches of {LOAD_BATCH})");
    let rss0 = rss_kib("VmRSS:");

    let t = Instant::now();
    let store = Store::open(&tmp.path().join("store"), &OpenOptions::default()).unwrap();
    let mut ids = Vec::with_capacity(n as usize);
    let mut i = 0;
    while i < n {
        let end = (i + LOAD_BATCH).min(n);
        let batch = store
            .batch(|b| {
                (i..end)
                    .map(|j| {
                        let (dev, ino, did, name) = obj(j);
                        b.add(dev, ino, did, &name, Kind::File, None)
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .unwrap();
        ids.extend(batch);
        i = end;
    }
    let store_load = t.elapsed();
    let rss_store = rss_kib("VmRSS:");

    let t = Instant::now();
    let raw = raw_open(tmp.path());
    let mut i = 0;
    while i < n {
        let end = (i + LOAD_BATCH).min(n);
        let txn = raw.begin_write().unwrap();
        for j in i..end {
            raw_insert(&txn, j);
        }
        txn.commit().unwrap();
        i = end;
    }
    let raw_load = t.elapsed();
    let rss_raw = rss_kib("VmRSS:");

    let t = Instant::now();
    let mut sqlite = sqlite_open(tmp.path());
    let mut i = 0;
    while i < n {
        let end = (i + LOAD_BATCH).min(n);
        let tx = sqlite.transaction().unwrap();
        for j in i..end {
            sqlite_add(&tx, j);
        }
        tx.commit().unwrap();
        i = end;
    }
    let sqlite_load = t.elapsed();
    let rss_sqlite = rss_kib("VmRSS:");

    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let store_bytes = size(&tmp.path().join("store").join(cnid::FILE_NAME));
    let raw_bytes = size(&tmp.path().join("raw.redb"));
    let sqlite_bytes =
        size(&tmp.path().join("cnid.sqlite")) + size(&tmp.path().join("cnid.sqlite-wal"));
    eprintln!(
        "cnid bench: load {n}: store {:.1} s, raw redb {:.1} s, raw SQLite {:.1} s",
        store_load.as_secs_f64(),
        raw_load.as_secs_f64(),
        sqlite_load.as_secs_f64()
    );
    eprintln!(
        "cnid bench: bytes on disk per entry: store {:.0}, raw redb {:.0} (ratio {:.2}), SQLite {:.0}",
        store_bytes as f64 / n as f64,
        raw_bytes as f64 / n as f64,
        store_bytes as f64 / raw_bytes.max(1) as f64,
        sqlite_bytes as f64 / n as f64
    );
    eprintln!(
        "cnid bench: resident memory growth while loading: store {} MiB, raw redb {} MiB, \
         SQLite {} MiB; peak RSS of the process {} MiB",
        rss_store.saturating_sub(rss0) / 1024,
        rss_raw.saturating_sub(rss_store) / 1024,
        rss_sqlite.saturating_sub(rss_raw) / 1024,
        rss_kib("VmHWM:") / 1024
    );
    Fixture {
        _tmp: tmp,
        store,
        raw,
        sqlite,
        n,
        ids,
    }
}

fn benches(c: &mut Criterion) {
    let mut fx = setup();
    let n = fx.n;
    let mut next = n; // fresh objects for add benchmarks
    let mut pick = 0x9E37_79B9u64;
    let mut rnd = move || {
        pick ^= pick << 13;
        pick ^= pick >> 7;
        pick ^= pick << 17;
        pick % n
    };

    let mut g = c.benchmark_group("cnid/add_new_durable");
    g.sample_size(20).measurement_time(Duration::from_secs(4));
    g.bench_function("store", |b| {
        b.iter(|| {
            let (dev, ino, did, name) = obj(next);
            next += 1;
            fx.store
                .add(dev, ino, did, &name, Kind::File, None)
                .unwrap()
        })
    });
    g.bench_function("raw_redb", |b| {
        b.iter(|| {
            let txn = fx.raw.begin_write().unwrap();
            raw_insert(&txn, next);
            next += 1;
            txn.commit().unwrap();
        })
    });
    g.bench_function("raw_sqlite", |b| {
        b.iter(|| {
            let tx = fx.sqlite.transaction().unwrap();
            sqlite_add(&tx, next);
            next += 1;
            tx.commit().unwrap();
        })
    });
    g.finish();

    let mut g = c.benchmark_group("cnid/add_new_group_commit_16");
    g.sample_size(20).measurement_time(Duration::from_secs(4));
    g.bench_function("store", |b| {
        b.iter(|| {
            fx.store
                .batch(|bt| {
                    for _ in 0..16 {
                        let (dev, ino, did, name) = obj(next);
                        next += 1;
                        bt.add(dev, ino, did, &name, Kind::File, None)?;
                    }
                    Ok(())
                })
                .unwrap()
        })
    });
    g.bench_function("raw_redb", |b| {
        b.iter(|| {
            let txn = fx.raw.begin_write().unwrap();
            for _ in 0..16 {
                raw_insert(&txn, next);
                next += 1;
            }
            txn.commit().unwrap();
        })
    });
    g.bench_function("raw_sqlite", |b| {
        b.iter(|| {
            let tx = fx.sqlite.transaction().unwrap();
            for _ in 0..16 {
                sqlite_add(&tx, next);
                next += 1;
            }
            tx.commit().unwrap();
        })
    });
    g.finish();

    let mut g = c.benchmark_group("cnid/add_hot_path_no_change");
    g.bench_function("store", |b| {
        b.iter(|| {
            let i = rnd();
            let (dev, ino, did, name) = obj(i);
            black_box(
                fx.store
                    .add(dev, ino, did, &name, Kind::File, None)
                    .unwrap(),
            )
        })
    });
    g.bench_function("raw_redb", |b| {
        b.iter(|| {
            let (id, _, dk, nk, _) = raw_record(rnd());
            let txn = fx.raw.begin_read().unwrap();
            let a = txn
                .open_table(DEVINO)
                .unwrap()
                .get(&dk[..])
                .unwrap()
                .map(|v| v.value().to_vec());
            let d = txn
                .open_table(DIDNAME)
                .unwrap()
                .get(&nk[..])
                .unwrap()
                .map(|v| v.value().to_vec());
            let r = txn
                .open_table(RECORDS)
                .unwrap()
                .get(&id[..])
                .unwrap()
                .map(|v| v.value().len());
            black_box((a, d, r))
        })
    });
    g.bench_function("raw_sqlite", |b| {
        b.iter(|| {
            let (dev, ino, did, name) = obj(rnd());
            let mut st = fx
                .sqlite
                .prepare_cached("SELECT id, did, name, type FROM cnid WHERE dev = ?1 AND ino = ?2")
                .unwrap();
            let a: Option<i64> = st.query_row((dev as i64, ino as i64), |r| r.get(0)).ok();
            let mut st = fx
                .sqlite
                .prepare_cached("SELECT id FROM cnid WHERE did = ?1 AND name = ?2")
                .unwrap();
            let d: Option<i64> = st.query_row((did.0, &name), |r| r.get(0)).ok();
            black_box((a, d))
        })
    });
    g.finish();

    let mut g = c.benchmark_group("cnid/resolve_by_id");
    g.bench_function("store", |b| {
        b.iter(|| black_box(fx.store.resolve(fx.ids[rnd() as usize]).unwrap()))
    });
    g.bench_function("raw_redb", |b| {
        b.iter(|| {
            let (id, ..) = raw_record(rnd());
            let txn = fx.raw.begin_read().unwrap();
            let t = txn.open_table(RECORDS).unwrap();
            black_box(t.get(&id[..]).unwrap().map(|v| v.value().to_vec()))
        })
    });
    g.finish();

    let mut g = c.benchmark_group("cnid/lookup_did_name");
    g.bench_function("store", |b| {
        b.iter(|| {
            let (_, _, did, name) = obj(rnd());
            black_box(fx.store.get(did, &name).unwrap())
        })
    });
    g.bench_function("raw_redb", |b| {
        b.iter(|| {
            let (_, _, _, nk, _) = raw_record(rnd());
            let txn = fx.raw.begin_read().unwrap();
            let t = txn.open_table(DIDNAME).unwrap();
            black_box(t.get(&nk[..]).unwrap().map(|v| v.value().to_vec()))
        })
    });
    g.finish();

    let mut g = c.benchmark_group("cnid/lookup_dev_ino");
    g.bench_function("store", |b| {
        b.iter(|| {
            let (dev, ino, ..) = obj(rnd());
            black_box(fx.store.get_by_devino(dev, ino).unwrap())
        })
    });
    g.bench_function("raw_redb", |b| {
        b.iter(|| {
            let (_, _, dk, _, _) = raw_record(rnd());
            let txn = fx.raw.begin_read().unwrap();
            let t = txn.open_table(DEVINO).unwrap();
            black_box(t.get(&dk[..]).unwrap().map(|v| v.value().to_vec()))
        })
    });
    g.finish();

    let mut g = c.benchmark_group("cnid/rename_durable");
    g.sample_size(20).measurement_time(Duration::from_secs(4));
    let mut round = 0u64;
    g.bench_function("store", |b| {
        b.iter(|| {
            let i = rnd();
            let (dev, ino, did, _) = obj(i);
            round += 1;
            let name = format!("Renamed {i} {round}").into_bytes();
            fx.store
                .update(fx.ids[i as usize], dev, ino, did, &name, Kind::File)
                .unwrap()
        })
    });
    g.bench_function("raw_redb", |b| {
        b.iter(|| {
            let i = rnd();
            let (id, mut rec, _, nk, lk) = raw_record(i);
            round += 1;
            rec.extend_from_slice(format!(" {round}").as_bytes());
            let mut nk2 = nk.clone();
            nk2.extend_from_slice(format!(" {round}").as_bytes());
            let txn = fx.raw.begin_write().unwrap();
            {
                txn.open_table(RECORDS)
                    .unwrap()
                    .insert(&id[..], &rec[..])
                    .unwrap();
                let mut t = txn.open_table(DIDNAME).unwrap();
                t.remove(&nk[..]).unwrap();
                t.insert(&nk2[..], &id[..]).unwrap();
                let mut t = txn.open_table(NAMES).unwrap();
                t.remove(&lk[..]).unwrap();
                t.insert(&nk2[..], &[][..]).unwrap();
            }
            txn.commit().unwrap();
        })
    });
    g.finish();

    let mut g = c.benchmark_group("cnid/delete_durable");
    g.sample_size(20).measurement_time(Duration::from_secs(4));
    let mut del_store = 0usize;
    g.bench_function("store", |b| {
        b.iter(|| {
            let id = fx.ids[del_store % fx.ids.len()];
            del_store += 1;
            fx.store.delete(id).unwrap()
        })
    });
    let mut del_raw = 0u64;
    g.bench_function("raw_redb", |b| {
        b.iter(|| {
            let (id, _, dk, nk, lk) = raw_record(del_raw % n);
            del_raw += 1;
            let txn = fx.raw.begin_write().unwrap();
            {
                txn.open_table(RECORDS).unwrap().remove(&id[..]).unwrap();
                txn.open_table(DEVINO).unwrap().remove(&dk[..]).unwrap();
                txn.open_table(DIDNAME).unwrap().remove(&nk[..]).unwrap();
                txn.open_table(NAMES).unwrap().remove(&lk[..]).unwrap();
            }
            txn.commit().unwrap();
        })
    });
    g.finish();

    // Open time: the store (with and without verifying every page checksum) vs plain redb.
    let dir = fx._tmp.path().to_owned();
    drop(fx.store);
    drop(fx.raw);
    let mut g = c.benchmark_group("cnid/open");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.bench_function("store_verified", |b| {
        b.iter_batched(
            || (),
            |()| Store::open(&dir.join("store"), &OpenOptions::default()).unwrap(),
            BatchSize::PerIteration,
        )
    });
    g.bench_function("store_unverified", |b| {
        let opts = OpenOptions {
            verify: false,
            ..OpenOptions::default()
        };
        b.iter_batched(
            || (),
            |()| Store::open(&dir.join("store"), &opts).unwrap(),
            BatchSize::PerIteration,
        )
    });
    g.bench_function("raw_redb", |b| {
        b.iter_batched(|| (), |()| raw_open(&dir), BatchSize::PerIteration)
    });
    g.finish();
}

criterion_group! {
    name = cnid_benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = benches
}
criterion_main!(cnid_benches);
