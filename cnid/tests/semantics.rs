//! The reconciliation table of spec `cnid-and-config.md` §1.6, allocation §1.7, and the API of
//! §1.5, on both backends.

use std::sync::atomic::{AtomicUsize, Ordering};

use cnid::{
    Backend, Cnid, InvalidArgument, Kind, MemBackend, ReadTx, RedbBackend, Store, StoreError,
    WriteTx,
};

/// A backend wrapper that counts write transactions, to prove the hot path does not write.
struct Counting<B> {
    inner: B,
    writes: AtomicUsize,
}

impl<B: Backend> Backend for Counting<B> {
    fn read<R>(
        &self,
        f: impl FnOnce(&mut dyn ReadTx) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        self.inner.read(f)
    }

    fn write<R>(
        &self,
        f: impl FnOnce(&mut dyn WriteTx) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.write(f)
    }

    fn new_stamp(&self) -> [u8; 8] {
        self.inner.new_stamp()
    }
}

type MakeStore = Box<dyn Fn() -> Box<dyn StoreLike>>;

fn stores() -> Vec<(&'static str, MakeStore)> {
    vec![
        (
            "mem",
            Box::new(|| Box::new(Store::with_backend(MemBackend::new()).unwrap())),
        ),
        (
            "redb",
            Box::new(|| Box::new(Store::with_backend(RedbBackend::in_memory()).unwrap())),
        ),
    ]
}

/// The subset of the API the scenarios use, object-safe so both backends run the same code.
trait StoreLike {
    fn add(&self, dev: u64, ino: u64, did: u32, name: &str, kind: Kind, hint: u32) -> u32;
    fn lookup(&self, dev: u64, ino: u64, did: u32, name: &str, kind: Kind) -> Option<u32>;
    fn get(&self, did: u32, name: &str) -> Option<u32>;
    fn resolve(&self, id: u32) -> Option<(u32, String)>;
    fn update(&self, id: u32, dev: u64, ino: u64, did: u32, name: &str, kind: Kind);
    fn delete(&self, id: u32) -> bool;
    fn raw(&self) -> &dyn std::any::Any;
    fn count(&self) -> u64;
    fn last(&self) -> u32;
    fn clean(&self) -> bool;
}

impl<B: Backend + 'static> StoreLike for Store<B> {
    fn add(&self, dev: u64, ino: u64, did: u32, name: &str, kind: Kind, hint: u32) -> u32 {
        let hint = (hint != 0).then_some(Cnid(hint));
        Store::add(self, dev, ino, Cnid(did), name.as_bytes(), kind, hint)
            .unwrap()
            .0
    }
    fn lookup(&self, dev: u64, ino: u64, did: u32, name: &str, kind: Kind) -> Option<u32> {
        Store::lookup(self, dev, ino, Cnid(did), name.as_bytes(), kind)
            .unwrap()
            .map(|c| c.0)
    }
    fn get(&self, did: u32, name: &str) -> Option<u32> {
        Store::get(self, Cnid(did), name.as_bytes())
            .unwrap()
            .map(|c| c.0)
    }
    fn resolve(&self, id: u32) -> Option<(u32, String)> {
        Store::resolve(self, Cnid(id))
            .unwrap()
            .map(|e| (e.did.0, String::from_utf8(e.name).unwrap()))
    }
    fn update(&self, id: u32, dev: u64, ino: u64, did: u32, name: &str, kind: Kind) {
        Store::update(self, Cnid(id), dev, ino, Cnid(did), name.as_bytes(), kind).unwrap()
    }
    fn delete(&self, id: u32) -> bool {
        Store::delete(self, Cnid(id)).unwrap()
    }
    fn raw(&self) -> &dyn std::any::Any {
        self
    }
    fn count(&self) -> u64 {
        self.stats().unwrap().records
    }
    fn last(&self) -> u32 {
        self.last_id().unwrap().0
    }
    fn clean(&self) -> bool {
        self.check().unwrap().is_clean()
    }
}

const F: Kind = Kind::File;
const D: Kind = Kind::Dir;

#[test]
fn reserved_values_and_first_id() {
    for (name, mk) in stores() {
        let s = mk();
        assert_eq!(s.last(), 16, "{name}");
        assert_eq!(s.add(1, 10, 2, "a", F, 0), 17, "{name}");
        assert_eq!(s.add(1, 11, 2, "b", D, 0), 18, "{name}");
        assert_eq!(s.add(1, 12, 18, "c", F, 0), 19, "{name}");
        assert_eq!(s.resolve(2), None, "{name}: the root has no record");
        assert_eq!(s.resolve(19), Some((18, "c".into())), "{name}");
        assert!(s.clean(), "{name}");
    }
}

#[test]
fn invalid_arguments_are_refused_without_effect() {
    let s = Store::with_backend(MemBackend::new()).unwrap();
    for did in [0, 1] {
        let e = s.add(1, 1, Cnid(did), b"x", F, None).unwrap_err();
        assert!(matches!(
            e,
            StoreError::Invalid(InvalidArgument::ReservedParent(d)) if d == did
        ));
        assert_eq!(e.severity(), cnid::Severity::Invalid);
        assert!(s.lookup(1, 1, Cnid(did), b"x", F).is_err());
        assert!(s.get(Cnid(did), b"x").is_err());
    }
    assert!(s.add(1, 1, Cnid::ROOT, b"", F, None).is_err());
    assert!(s.add(1, 1, Cnid::ROOT, b"a/b", F, None).is_err());
    assert!(s.update(Cnid(16), 1, 1, Cnid::ROOT, b"a", F).is_err());
    assert!(s.delete(Cnid(2)).is_err());
    assert!(s.resolve(Cnid(0)).is_err());
    assert_eq!(s.stats().unwrap().records, 0);
}

#[test]
fn case4_hot_path_does_not_write() {
    let s = Store::with_backend(Counting {
        inner: MemBackend::new(),
        writes: AtomicUsize::new(0),
    })
    .unwrap();
    let id = s.add(1, 10, Cnid::ROOT, b"a", F, None).unwrap();
    let before = s.backend().writes.load(Ordering::SeqCst);
    for _ in 0..100 {
        assert_eq!(s.add(1, 10, Cnid::ROOT, b"a", F, Some(id)).unwrap(), id);
        assert_eq!(s.add(1, 10, Cnid::ROOT, b"a", F, None).unwrap(), id);
        assert_eq!(s.lookup(1, 10, Cnid::ROOT, b"a", F).unwrap(), Some(id));
        assert_eq!(s.lookup(1, 99, Cnid::ROOT, b"zz", F).unwrap(), None);
        s.update(id, 1, 10, Cnid::ROOT, b"a", F).unwrap();
        assert!(!s.delete(Cnid(999)).unwrap());
    }
    assert_eq!(s.backend().writes.load(Ordering::SeqCst), before);
}

#[test]
fn case2_and_3_type_change_gets_new_id() {
    for (name, mk) in stores() {
        let s = mk();
        let f = s.add(1, 10, 2, "x", F, 0);
        // Same inode and name, now a directory (inode reused): new ID.
        let d = s.add(1, 10, 2, "x", D, f);
        assert_ne!(f, d, "{name}");
        assert_eq!(s.resolve(f), None, "{name}");
        assert_eq!(s.count(), 1, "{name}");
        // Case 3: did/name found with the other type (and another inode).
        let f2 = s.add(1, 11, 2, "x", F, 0);
        assert_ne!(f2, d, "{name}");
        assert_eq!(s.count(), 1, "{name}");
        assert!(s.clean(), "{name}");
    }
}

#[test]
fn case5_emacs_swap_gives_both_new_ids() {
    for (name, mk) in stores() {
        let s = mk();
        let file = s.add(1, 10, 2, "file", F, 0);
        let backup = s.add(1, 11, 2, "file~", F, 0);
        // Outside AFP: `file` renamed to `file~`, new `file` written: the inodes swapped.
        let new_file = s.add(1, 11, 2, "file", F, backup);
        assert!(new_file != file && new_file != backup, "{name}");
        assert_eq!(s.resolve(file), None, "{name}");
        assert_eq!(s.resolve(backup), None, "{name}");
        assert!(s.clean(), "{name}");
    }
}

#[test]
fn case6_move_keeps_id_only_with_matching_hint() {
    for (name, mk) in stores() {
        let s = mk();
        let dir = s.add(1, 5, 2, "dir", D, 0);
        let f = s.add(1, 10, 2, "doc", F, 0);
        // `mv doc dir/doc2` in a shell; the xattr travelled with the file.
        assert_eq!(s.add(1, 10, dir, "doc2", F, f), f, "{name}");
        assert_eq!(s.resolve(f), Some((dir, "doc2".into())), "{name}");
        assert_eq!(s.get(2, "doc"), None, "{name}");
        // Moved again, but without a hint (sidecar metadata lost): new ID.
        let g = s.add(1, 10, 2, "doc", F, 0);
        assert_ne!(g, f, "{name}");
        assert_eq!(s.resolve(f), None, "{name}");
        // A wrong hint is no better, and the wrong hint is not reused either.
        let h = s.add(1, 10, dir, "doc3", F, 12345);
        assert!(h != g && h != 12345, "{name}");
        assert_eq!(s.count(), 2, "{name}");
        assert!(s.clean(), "{name}");
    }
}

#[test]
fn case6_lookup_repairs_without_hint() {
    for (name, mk) in stores() {
        let s = mk();
        let f = s.add(1, 10, 2, "doc", F, 0);
        assert_eq!(s.lookup(1, 10, 2, "other", F), None, "{name}");
        assert_eq!(
            s.resolve(f),
            None,
            "{name}: lookup removed the stale record"
        );
    }
}

#[test]
fn case7_replaced_file_gets_new_id() {
    for (name, mk) in stores() {
        let s = mk();
        let f = s.add(1, 10, 2, "doc", F, 0);
        // Atomic save: temp file renamed over `doc`: same name, new inode. netatalk test235
        // requires a new ID here, even with the old hint copied over.
        let g = s.add(1, 20, 2, "doc", F, f);
        assert_ne!(f, g, "{name}");
        assert_eq!(s.count(), 1, "{name}");
        assert!(s.clean(), "{name}");
    }
}

#[test]
fn free_hint_is_reused_without_moving_the_counter() {
    for (name, mk) in stores() {
        let s = mk();
        assert_eq!(s.add(1, 10, 2, "a", F, 500), 500, "{name}");
        assert_eq!(s.last(), 16, "{name}");
        assert_eq!(s.add(1, 11, 2, "b", F, 0), 17, "{name}");
        // A hint taken by another object is not reused.
        assert_eq!(s.add(1, 12, 2, "c", F, 500), 18, "{name}");
        // Reserved hints are ignored.
        assert_eq!(s.add(1, 13, 2, "d", F, 5), 19, "{name}");
    }
}

#[test]
fn ids_are_not_reused_after_delete() {
    for (name, mk) in stores() {
        let s = mk();
        let a = s.add(1, 10, 2, "a", F, 0);
        assert!(s.delete(a), "{name}");
        assert!(!s.delete(a), "{name}");
        let b = s.add(1, 10, 2, "a", F, 0);
        assert_eq!(b, a + 1, "{name}");
    }
}

#[test]
fn rename_through_afp_and_exchange_files() {
    for (name, mk) in stores() {
        let s = mk();
        let a = s.add(1, 10, 2, "a", F, 0);
        let b = s.add(1, 11, 2, "b", F, 0);
        // FPRename: get + update.
        assert_eq!(s.get(2, "a"), Some(a), "{name}");
        s.update(a, 1, 10, 2, "a2", F);
        assert_eq!(s.get(2, "a2"), Some(a), "{name}");
        assert_eq!(s.get(2, "a"), None, "{name}");
        // FPExchangeFiles: the IDs stay with the names, the inodes swap.
        assert!(s.delete(a) && s.delete(b), "{name}");
        s.update(a, 1, 11, 2, "a2", F);
        s.update(b, 1, 10, 2, "b", F);
        assert_eq!(s.lookup(1, 11, 2, "a2", F), Some(a), "{name}");
        assert_eq!(s.lookup(1, 10, 2, "b", F), Some(b), "{name}");
        // update drops records holding the same dev/ino or did/name.
        let c = s.add(1, 12, 2, "c", F, 0);
        s.update(c, 1, 10, 2, "a2", F);
        assert_eq!(s.count(), 1, "{name}");
        assert_eq!(s.resolve(c), Some((2, "a2".into())), "{name}");
        assert!(s.clean(), "{name}");
        let _ = s.raw();
    }
}

#[test]
fn wipe_keeps_stamp_and_counter() {
    let s = Store::with_backend(MemBackend::with_stamp(*b"stamp-01")).unwrap();
    for i in 0..10 {
        s.add(1, i, Cnid::ROOT, format!("f{i}").as_bytes(), F, None)
            .unwrap();
    }
    s.wipe().unwrap();
    assert_eq!(s.stats().unwrap().records, 0);
    assert_eq!(s.stamp(), *b"stamp-01");
    assert_eq!(s.last_id().unwrap(), Cnid(26));
    // Hints bring old IDs back after a wipe; new objects continue above the old maximum.
    assert_eq!(
        s.add(1, 3, Cnid::ROOT, b"f3", F, Some(Cnid(20))).unwrap(),
        Cnid(20)
    );
    assert_eq!(
        s.add(1, 100, Cnid::ROOT, b"new", F, None).unwrap(),
        Cnid(27)
    );
}

#[test]
fn rebuild_add_raises_counter_and_next_id_skips_used() {
    let s = Store::with_backend(RedbBackend::in_memory()).unwrap();
    s.rebuild_add(Cnid(40), 1, 1, Cnid::ROOT, b"x", F).unwrap();
    assert_eq!(s.last_id().unwrap(), Cnid(40));
    assert_eq!(s.next_id().unwrap(), Cnid(41));
    s.rebuild_add(Cnid(41), 1, 2, Cnid::ROOT, b"y", F).unwrap();
    s.rebuild_add(Cnid(30), 1, 3, Cnid::ROOT, b"z", F).unwrap();
    assert_eq!(s.last_id().unwrap(), Cnid(41));
    assert_eq!(s.add(1, 4, Cnid::ROOT, b"w", F, None).unwrap(), Cnid(42));
}

#[test]
fn find_is_case_insensitive_prefix() {
    let s = Store::with_backend(RedbBackend::in_memory()).unwrap();
    let a = s
        .add(1, 1, Cnid::ROOT, "Äpfel.txt".as_bytes(), F, None)
        .unwrap();
    let b = s
        .add(1, 2, Cnid::ROOT, "äPFEL kuchen".as_bytes(), F, None)
        .unwrap();
    s.add(1, 3, Cnid::ROOT, b"Birne", F, None).unwrap();
    let mut hits = s.find("ÄPF".as_bytes(), 100).unwrap();
    hits.sort();
    assert_eq!(hits, vec![a, b]);
    assert_eq!(s.find(b"apf", 100).unwrap(), vec![]);
    assert_eq!(s.find("äpfel.".as_bytes(), 100).unwrap(), vec![a]);
    assert_eq!(s.find("ä".as_bytes(), 1).unwrap().len(), 1);
    s.update(a, 1, 1, Cnid::ROOT, b"Banane", F).unwrap();
    assert_eq!(s.find("äpf".as_bytes(), 100).unwrap(), vec![b]);
    assert_eq!(s.find(b"b", 100).unwrap().len(), 2);
}

#[test]
fn batch_is_atomic() {
    let s = Store::with_backend(RedbBackend::in_memory()).unwrap();
    let ids = s
        .batch(|b| {
            let mut ids = Vec::new();
            for i in 0..50 {
                ids.push(b.add(1, i, Cnid::ROOT, format!("f{i}").as_bytes(), F, None)?);
            }
            Ok(ids)
        })
        .unwrap();
    assert_eq!(ids.len(), 50);
    let r = s.batch(|b| {
        b.add(1, 1000, Cnid::ROOT, b"kept?", F, None)?;
        b.delete(ids[0])?;
        b.add(1, 1001, Cnid(0), b"bad", F, None)
    });
    assert!(matches!(r, Err(StoreError::Invalid(_))));
    assert_eq!(s.stats().unwrap().records, 50);
    assert_eq!(s.get(Cnid::ROOT, b"kept?").unwrap(), None);
    assert!(s.resolve(ids[0]).unwrap().is_some());
    assert!(s.check().unwrap().is_clean());
}

#[test]
fn exchange_swaps_inodes_and_keeps_ids_with_names() {
    let s = Store::with_backend(RedbBackend::in_memory()).unwrap();
    let a = s.add(1, 10, Cnid::ROOT, b"a", F, None).unwrap();
    let b = s.add(1, 11, Cnid::ROOT, b"b", F, None).unwrap();
    assert!(s.exchange(a, b).unwrap());
    assert_eq!(s.lookup(1, 11, Cnid::ROOT, b"a", F).unwrap(), Some(a));
    assert_eq!(s.lookup(1, 10, Cnid::ROOT, b"b", F).unwrap(), Some(b));
    assert!(!s.exchange(a, Cnid(999)).unwrap());
    assert!(s.check().unwrap().is_clean());
}
