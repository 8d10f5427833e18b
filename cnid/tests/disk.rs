//! The on-disk store: directory creation and error reporting, locking, persistence, corruption
//! detection (flipped bytes give a clear error, never a panic or a silent wipe), repair, and
//! many threads sharing one `Arc<Store>`.

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;

use cnid::{
    Backend, Check, Cnid, FILE_NAME, Kind, MemBackend, OpenError, OpenOptions, Store, StoreError,
    Table,
};

fn fill(store: &Store, n: u64) -> Vec<Cnid> {
    store
        .batch(|b| {
            (0..n)
                .map(|i| {
                    b.add(
                        7,
                        1000 + i,
                        Cnid::ROOT,
                        format!("file {i}").as_bytes(),
                        Kind::File,
                        None,
                    )
                })
                .collect()
        })
        .unwrap()
}

#[test]
fn creates_directories_recursively_with_modes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("var/netatalk/CNID/elatov/time_mach");
    let opts = OpenOptions {
        dir_mode: 0o750,
        ..OpenOptions::default()
    };
    let store = Store::open(&dir, &opts).unwrap();
    assert_eq!(store.stats().unwrap().records, 0);
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    // The umask may remove bits, never add them.
    assert_eq!(mode(&dir) & !0o750, 0);
    assert_eq!(mode(&tmp.path().join("var/netatalk")) & !0o750, 0);
    assert_eq!(mode(&dir.join(FILE_NAME)) & !0o600, 0);
}

#[test]
fn reports_the_directory_that_could_not_be_created() {
    let tmp = tempfile::tempdir().unwrap();
    // A regular file where a directory should be.
    std::fs::write(tmp.path().join("CNID"), b"x").unwrap();
    let dir = tmp.path().join("CNID/elatov/vol");
    let err = Store::open(&dir, &OpenOptions::default()).unwrap_err();
    match &err {
        OpenError::CreateDir { path, source } => {
            // The component that blocks (a file named CNID) is named.
            assert_eq!(path, &tmp.path().join("CNID"));
            assert!(source.raw_os_error().is_some());
        }
        e => panic!("unexpected {e:?}"),
    }
    assert!(err.to_string().contains("CNID"));
    assert!(!err.is_retryable());
    // Without `create`, a missing store is an open error naming the file.
    let opts = OpenOptions {
        create: false,
        ..OpenOptions::default()
    };
    let err = Store::open(&tmp.path().join("nothere"), &opts).unwrap_err();
    assert!(matches!(err, OpenError::OpenFile { ref path, .. } if path.ends_with(FILE_NAME)));
}

#[test]
fn second_open_is_locked_out() {
    let tmp = tempfile::tempdir().unwrap();
    let a = Store::open(tmp.path(), &OpenOptions::default()).unwrap();
    let err = Store::open(tmp.path(), &OpenOptions::default()).unwrap_err();
    assert!(matches!(err, OpenError::Locked { .. }), "{err:?}");
    assert!(err.is_retryable());
    drop(a);
    Store::open(tmp.path(), &OpenOptions::default()).unwrap();
}

#[test]
fn data_stamp_and_counter_persist() {
    let tmp = tempfile::tempdir().unwrap();
    let (ids, stamp) = {
        let s = Store::open(tmp.path(), &OpenOptions::default()).unwrap();
        (fill(&s, 100), s.stamp())
    };
    let s = Store::open(tmp.path(), &OpenOptions::default()).unwrap();
    assert_eq!(s.stamp(), stamp);
    assert_ne!(stamp, [0; 8]);
    assert_eq!(s.last_id().unwrap(), *ids.last().unwrap());
    for (i, id) in ids.iter().enumerate() {
        let e = s.resolve(*id).unwrap().unwrap();
        assert_eq!(e.name, format!("file {i}").into_bytes());
    }
    assert!(s.verify().unwrap().is_clean());
}

/// Flip bytes all over a store file: opening (with verification) and using it must give a
/// clear error or correct data, never a panic and never a silently emptied store.
#[test]
fn flipped_bytes_are_detected() {
    let tmp = tempfile::tempdir().unwrap();
    let good = tmp.path().join("good");
    let ids = {
        let s = Store::open(&good, &OpenOptions::default()).unwrap();
        fill(&s, 300)
    };
    let bytes = std::fs::read(good.join(FILE_NAME)).unwrap();
    // Offsets holding data (non-zero bytes): flips there hit headers, pages and checksums.
    let used: Vec<usize> = (0..bytes.len()).filter(|&i| bytes[i] != 0).collect();
    let mut x = 0x1234_5678_9abc_def1u64;
    let (mut detected, mut harmless) = (0, 0);
    for trial in 0..120 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let mut b = bytes.clone();
        // Most trials hit used bytes, some anywhere (unused space must stay harmless).
        let off = if trial % 4 != 0 {
            used[(x % used.len() as u64) as usize]
        } else {
            (x % b.len() as u64) as usize
        };
        b[off] ^= 1 << (x >> 61);
        let dir = tmp.path().join(format!("t{trial}"));
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join(FILE_NAME), &b).unwrap();
        match Store::open(&dir, &OpenOptions::default()) {
            Err(e) => {
                assert!(
                    matches!(e, OpenError::Corrupt { .. } | OpenError::Store { .. }),
                    "trial {trial} offset {off}: {e:?}"
                );
                assert!(!e.to_string().is_empty());
                detected += 1;
            }
            Ok(s) => {
                // Opened: then the data must be complete and consistent, or reported.
                let report = s.check();
                match report {
                    Ok(r) if r.is_clean() => {
                        assert_eq!(s.stats().unwrap().records, 300, "trial {trial}");
                        for id in &ids {
                            assert!(s.resolve(*id).unwrap().is_some());
                        }
                        harmless += 1;
                    }
                    Ok(_) | Err(StoreError::Corrupt(_)) => detected += 1,
                    Err(e) => panic!("trial {trial}: {e}"),
                }
            }
        }
    }
    assert!(detected > 0, "no flipped byte was detected");
    eprintln!("corruption: {detected} detected, {harmless} in unused space");
}

#[test]
fn record_checksum_and_index_disagreement_are_reported_then_repaired() {
    let store = Store::with_backend(MemBackend::new()).unwrap();
    let a = store
        .add(1, 10, Cnid::ROOT, b"a", Kind::File, None)
        .unwrap();
    let b = store
        .add(1, 11, Cnid::ROOT, b"b", Kind::File, None)
        .unwrap();
    let c = store
        .add(1, 12, Cnid::ROOT, b"c", Kind::File, None)
        .unwrap();
    // Rot a byte of record a (its name).
    let mut rotten = Vec::new();
    store
        .backend()
        .read(|tx| tx.get(Table::Records, &a.0.to_be_bytes(), &mut rotten))
        .unwrap();
    rotten[21] ^= 0x20;
    store
        .backend()
        .raw_put(Table::Records, &a.0.to_be_bytes(), &rotten);
    // Point b's devino entry at c.
    let mut k = 1u64.to_be_bytes().to_vec();
    k.extend_from_slice(&11u64.to_be_bytes());
    store
        .backend()
        .raw_put(Table::DevIno, &k, &c.0.to_be_bytes());

    let e = store.resolve(a).unwrap_err();
    assert!(
        matches!(&e, StoreError::Corrupt(c) if c.check == Check::RecordChecksum),
        "{e}"
    );
    assert!(e.is_fatal());
    let e = store
        .add(1, 11, Cnid::ROOT, b"b", Kind::File, None)
        .unwrap_err();
    assert!(matches!(&e, StoreError::Corrupt(c) if c.check == Check::IndexDisagrees));
    let report = store.check().unwrap();
    assert!(!report.is_clean());
    let checks: Vec<Check> = report.problems.iter().map(|p| p.check).collect();
    assert!(checks.contains(&Check::RecordChecksum));
    assert!(checks.contains(&Check::MissingIndexEntry) || checks.contains(&Check::IndexDisagrees));

    let rep = store.repair().unwrap();
    assert_eq!(rep.records_kept, 2);
    assert_eq!(rep.removed.len(), 1);
    assert_eq!(rep.removed[0].0, a);
    assert!(store.check().unwrap().is_clean());
    assert_eq!(
        store
            .add(1, 11, Cnid::ROOT, b"b", Kind::File, None)
            .unwrap(),
        b
    );
}

#[test]
fn many_threads_share_one_store() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(tmp.path(), &OpenOptions::default()).unwrap());
    let seeded = fill(&store, 200);
    let threads: Vec<_> = (0..8u64)
        .map(|t| {
            let store = Arc::clone(&store);
            let seeded = seeded.clone();
            std::thread::spawn(move || {
                let dir = store
                    .add(
                        t,
                        1,
                        Cnid::ROOT,
                        format!("dir{t}").as_bytes(),
                        Kind::Dir,
                        None,
                    )
                    .unwrap();
                let mut mine = Vec::new();
                for i in 0..40u64 {
                    // Hot-path reads of the shared entries interleaved with writes.
                    let s = seeded[((t * 40 + i) % 200) as usize];
                    let e = store.resolve(s).unwrap().unwrap();
                    assert_eq!(
                        store
                            .add(7, e.ino, Cnid::ROOT, &e.name, Kind::File, None)
                            .unwrap(),
                        s
                    );
                    mine.push(
                        store
                            .add(
                                t,
                                100 + i,
                                dir,
                                format!("f{i}").as_bytes(),
                                Kind::File,
                                None,
                            )
                            .unwrap(),
                    );
                }
                (dir, mine)
            })
        })
        .collect();
    let mut all = seeded.clone();
    for h in threads {
        let (dir, mine) = h.join().unwrap();
        all.push(dir);
        all.extend(mine);
    }
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 200 + 8 * 41, "every ID is unique");
    assert_eq!(store.stats().unwrap().records, all.len() as u64);
    assert!(store.check().unwrap().is_clean());
}

#[test]
fn store_is_send_and_sync() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Store>();
    shareable::<Store<MemBackend>>();
    shareable::<Arc<Store>>();
}

/// redb storage in memory that can be made to fail every write with "no space left".
#[derive(Debug, Clone, Default)]
struct FillableDisk {
    data: Arc<std::sync::RwLock<Vec<u8>>>,
    full: Arc<std::sync::atomic::AtomicBool>,
}

impl FillableDisk {
    fn check(&self) -> std::io::Result<()> {
        if self.full.load(std::sync::atomic::Ordering::SeqCst) {
            Err(std::io::Error::from(std::io::ErrorKind::StorageFull))
        } else {
            Ok(())
        }
    }
}

impl redb::StorageBackend for FillableDisk {
    fn len(&self) -> std::io::Result<u64> {
        Ok(self.data.read().unwrap().len() as u64)
    }
    fn read(&self, offset: u64, out: &mut [u8]) -> std::io::Result<()> {
        let d = self.data.read().unwrap();
        let o = offset as usize;
        let src = d
            .get(o..o + out.len())
            .ok_or_else(|| std::io::Error::other("read past the end"))?;
        out.copy_from_slice(src);
        Ok(())
    }
    fn set_len(&self, len: u64) -> std::io::Result<()> {
        let mut d = self.data.write().unwrap();
        if len as usize > d.len() {
            self.check()?;
        }
        d.resize(len as usize, 0);
        Ok(())
    }
    fn sync_data(&self) -> std::io::Result<()> {
        self.check()
    }
    fn write(&self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        self.check()?;
        let mut d = self.data.write().unwrap();
        let o = offset as usize;
        d.get_mut(o..o + data.len())
            .ok_or_else(|| std::io::Error::other("write past the end"))?
            .copy_from_slice(data);
        Ok(())
    }
}

#[test]
fn disk_full_is_retryable_and_the_store_recovers() {
    let disk = FillableDisk::default();
    let d = disk.clone();
    let backend = cnid::RedbBackend::with_storage(move || Ok(d.clone()), *b"fullfull").unwrap();
    let store = Store::with_backend(backend).unwrap();
    let ids = store
        .batch(|b| {
            (0..20u64)
                .map(|i| {
                    b.add(
                        1,
                        i,
                        Cnid::ROOT,
                        format!("f{i}").as_bytes(),
                        Kind::File,
                        None,
                    )
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .unwrap();

    disk.full.store(true, std::sync::atomic::Ordering::SeqCst);
    let e = store
        .add(1, 100, Cnid::ROOT, b"new", Kind::File, None)
        .unwrap_err();
    assert!(matches!(e, StoreError::DiskFull(_)), "{e:?}");
    assert!(e.is_retryable());
    // Still full: the engine cannot be re-opened yet, and says so as a retryable error.
    let e = store.resolve(ids[0]).unwrap_err();
    assert!(e.is_retryable(), "{e:?}");

    // Space freed: the next calls work without the caller doing anything.
    disk.full.store(false, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(store.resolve(ids[0]).unwrap().unwrap().name, b"f0");
    let id = store
        .add(1, 100, Cnid::ROOT, b"new", Kind::File, None)
        .unwrap();
    assert!(id > *ids.last().unwrap());
    assert_eq!(store.stats().unwrap().records, 21);
    assert!(store.check().unwrap().is_clean());
}

#[test]
fn other_format_version_is_refused_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let s = Store::open(tmp.path(), &OpenOptions::default()).unwrap();
        s.add(1, 1, Cnid::ROOT, b"a", Kind::File, None).unwrap();
    }
    // Pretend a future version wrote the file.
    {
        let db = redb::Database::create(tmp.path().join(FILE_NAME)).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut t = txn
                .open_table(redb::TableDefinition::<&[u8], &[u8]>::new("cnid_meta"))
                .unwrap();
            t.insert(&b"format"[..], &2u32.to_be_bytes()[..]).unwrap();
        }
        txn.commit().unwrap();
    }
    let e = Store::open(tmp.path(), &OpenOptions::default()).unwrap_err();
    match e {
        OpenError::Format {
            path,
            found,
            supported,
        } => {
            assert_eq!((found, supported), (2, cnid::FORMAT_VERSION));
            assert!(path.ends_with(FILE_NAME));
        }
        e => panic!("{e:?}"),
    }
}

#[test]
fn creation_interrupted_before_the_tables_is_completed_not_reported() {
    let tmp = tempfile::tempdir().unwrap();
    // A redb file with no tables: what a kill between file creation and the first commit
    // leaves.
    drop(redb::Database::create(tmp.path().join(FILE_NAME)).unwrap());
    let s = Store::open(tmp.path(), &OpenOptions::default()).unwrap();
    assert_eq!(s.last_id().unwrap(), Cnid(16));
}

#[test]
fn a_missing_table_is_corruption_not_an_empty_store() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let s = Store::open(tmp.path(), &OpenOptions::default()).unwrap();
        s.add(1, 1, Cnid::ROOT, b"a", Kind::File, None).unwrap();
    }
    {
        let db = redb::Database::create(tmp.path().join(FILE_NAME)).unwrap();
        let txn = db.begin_write().unwrap();
        txn.delete_table(redb::TableDefinition::<&[u8], &[u8]>::new("cnid_records"))
            .unwrap();
        txn.commit().unwrap();
    }
    let e = Store::open(tmp.path(), &OpenOptions::default()).unwrap_err();
    assert!(
        matches!(&e, OpenError::Corrupt { source, .. } if source.detail.contains("cnid_records")),
        "{e:?}"
    );
}
