//! The CNID store: netatalk's CNID API (spec `cnid-and-config.md` §1.5) over a [`Backend`].
//!
//! Every operation runs in one transaction that changes all indexes together (§5.5 rule 1).
//! `add` and `lookup` first try a read transaction and only open a write transaction when the
//! reconciliation of §1.6 has something to change, so the afpd hot path (an `add` for an object
//! that is already known) never writes (§1.8).

use std::path::Path;

use crate::backend::{Backend, ReadTx, Table, WriteTx};
use crate::codec::{self, FORMAT_VERSION, META_FORMAT, META_LAST, META_STAMP};
use crate::error::{Check, CorruptionError, InvalidArgument, OpenError, StoreError};
use crate::redb_backend::{OpenOptions, RedbBackend};
use crate::types::{Cnid, Entry, Kind, check_name};

/// A volume's CNID store. `Send + Sync`: share it as `Arc<Store>` between session threads.
#[derive(Debug)]
pub struct Store<B: Backend = RedbBackend> {
    backend: B,
    stamp: [u8; 8],
}

/// Counts and settings reported by [`Store::stats`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stats {
    /// Records (objects) stored.
    pub records: u64,
    /// Entries in the (dev, ino) index.
    pub devino_entries: u64,
    /// Entries in the (did, name) index.
    pub didname_entries: u64,
    /// Entries in the name search index.
    pub name_entries: u64,
    /// The last ID handed out by the counter.
    pub last_id: Cnid,
    /// The database stamp.
    pub stamp: [u8; 8],
    /// The format version.
    pub format: u32,
    /// Bytes on disk, for file backends.
    pub size_on_disk: Option<u64>,
}

/// The result of [`Store::check`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Records examined.
    pub records: u64,
    /// Index entries examined (all three indexes).
    pub index_entries: u64,
    /// Records whose parent DID is neither 2 nor a stored directory.
    pub orphans: u64,
    /// Everything that failed, at most [`CheckReport::MAX_PROBLEMS`] of them.
    pub problems: Vec<CorruptionError>,
    /// Number of problems found (may exceed `problems.len()`).
    pub problem_count: u64,
}

impl CheckReport {
    /// How many problems are kept in [`CheckReport::problems`].
    pub const MAX_PROBLEMS: usize = 1000;

    /// Whether every record and index entry agreed.
    pub fn is_clean(&self) -> bool {
        self.problem_count == 0
    }

    fn push(&mut self, p: CorruptionError) {
        self.problem_count += 1;
        if self.problems.len() < Self::MAX_PROBLEMS {
            self.problems.push(p);
        }
    }
}

/// What [`Store::repair`] changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RepairReport {
    /// Records kept and re-indexed.
    pub records_kept: u64,
    /// Records removed, with the reason (undecodable, or a duplicate (dev, ino) / (did, name)
    /// of a lower ID).
    pub removed: Vec<(Cnid, String)>,
    /// Whether the metadata had to be re-created.
    pub meta_rewritten: bool,
}

fn validate_parent(did: Cnid) -> Result<(), InvalidArgument> {
    // §1.2: "Our store must reject `did < 2` on any write or lookup."
    if did.is_valid_parent() {
        Ok(())
    } else {
        Err(InvalidArgument::ReservedParent(did.0))
    }
}

fn validate_id(id: Cnid) -> Result<(), InvalidArgument> {
    if id.is_assignable() {
        Ok(())
    } else {
        Err(InvalidArgument::ReservedId(id.0))
    }
}

fn validate(did: Cnid, name: &[u8]) -> Result<(), InvalidArgument> {
    validate_parent(did)?;
    check_name(name)
}

fn meta_corrupt(what: &str) -> StoreError {
    CorruptionError::new(Check::Meta, what.to_owned()).into()
}

fn read_u32_meta(tx: &mut dyn ReadTx, key: &[u8], buf: &mut Vec<u8>) -> Result<u32, StoreError> {
    if !tx.get(Table::Meta, key, buf)? {
        return Err(meta_corrupt(&format!(
            "meta key {:?} is missing",
            String::from_utf8_lossy(key)
        )));
    }
    let raw: [u8; 4] = buf.as_slice().try_into().map_err(|_| {
        meta_corrupt(&format!(
            "meta key {:?} has {} bytes, expected 4",
            String::from_utf8_lossy(key),
            buf.len()
        ))
    })?;
    Ok(u32::from_be_bytes(raw))
}

fn read_last(tx: &mut dyn ReadTx) -> Result<Cnid, StoreError> {
    Ok(Cnid(read_u32_meta(tx, META_LAST, &mut Vec::new())?))
}

fn load(tx: &mut dyn ReadTx, id: Cnid, buf: &mut Vec<u8>) -> Result<Option<Entry>, StoreError> {
    if !tx.get(Table::Records, &codec::id_key(id), buf)? {
        return Ok(None);
    }
    Ok(Some(codec::decode_record(id, buf)?))
}

fn exists(tx: &mut dyn ReadTx, id: Cnid) -> Result<bool, StoreError> {
    tx.get(Table::Records, &codec::id_key(id), &mut Vec::new())
}

/// The record the (dev, ino) index points to, cross-checked against the record.
fn by_devino(tx: &mut dyn ReadTx, dev: u64, ino: u64) -> Result<Option<Entry>, StoreError> {
    let key = codec::devino_key(dev, ino);
    let mut buf = Vec::new();
    if !tx.get(Table::DevIno, &key, &mut buf)? {
        return Ok(None);
    }
    let id = codec::decode_id("devino", &key, &buf)?;
    match load(tx, id, &mut buf)? {
        Some(e) if e.dev == dev && e.ino == ino => Ok(Some(e)),
        other => Err(CorruptionError::new(
            Check::IndexDisagrees,
            format!(
                "devino ({dev}, {ino}) -> {id}, but record {id} is {}",
                describe(other.as_ref())
            ),
        )
        .into()),
    }
}

/// The record the (did, name) index points to, cross-checked against the record.
fn by_didname(tx: &mut dyn ReadTx, did: Cnid, name: &[u8]) -> Result<Option<Entry>, StoreError> {
    let mut key = Vec::new();
    codec::didname_key(did, name, &mut key);
    let mut buf = Vec::new();
    if !tx.get(Table::DidName, &key, &mut buf)? {
        return Ok(None);
    }
    let id = codec::decode_id("didname", &key, &buf)?;
    match load(tx, id, &mut buf)? {
        Some(e) if e.did == did && e.name == name => Ok(Some(e)),
        other => Err(CorruptionError::new(
            Check::IndexDisagrees,
            format!(
                "didname ({did}, {}) -> {id}, but record {id} is {}",
                String::from_utf8_lossy(name),
                describe(other.as_ref())
            ),
        )
        .into()),
    }
}

fn describe(e: Option<&Entry>) -> String {
    match e {
        None => "missing".to_owned(),
        Some(e) => format!(
            "(did {}, name {:?}, dev {}, ino {})",
            e.did,
            String::from_utf8_lossy(&e.name),
            e.dev,
            e.ino
        ),
    }
}

/// Writes the record and its three index entries.
fn insert(tx: &mut dyn WriteTx, e: &Entry) -> Result<(), StoreError> {
    let mut buf = Vec::new();
    codec::encode_record(e, &mut buf);
    tx.put(Table::Records, &codec::id_key(e.id), &buf)?;
    let id = codec::id_key(e.id);
    tx.put(Table::DevIno, &codec::devino_key(e.dev, e.ino), &id)?;
    codec::didname_key(e.did, &e.name, &mut buf);
    tx.put(Table::DidName, &buf, &id)?;
    codec::names_key(&e.name, e.id, &mut buf);
    tx.put(Table::Names, &buf, &[])?;
    Ok(())
}

/// Removes the index entry `key` of `table` if (and only if) it points to `id`.
fn remove_if_points_to(
    tx: &mut dyn WriteTx,
    table: Table,
    key: &[u8],
    id: Cnid,
) -> Result<(), StoreError> {
    let mut v = Vec::new();
    if tx.get(table, key, &mut v)? && v == codec::id_key(id) {
        tx.remove(table, key)?;
    }
    Ok(())
}

/// Removes a record and the index entries that point to it.
fn remove_entry(tx: &mut dyn WriteTx, e: &Entry) -> Result<(), StoreError> {
    tx.remove(Table::Records, &codec::id_key(e.id))?;
    remove_if_points_to(tx, Table::DevIno, &codec::devino_key(e.dev, e.ino), e.id)?;
    let mut key = Vec::new();
    codec::didname_key(e.did, &e.name, &mut key);
    remove_if_points_to(tx, Table::DidName, &key, e.id)?;
    codec::names_key(&e.name, e.id, &mut key);
    tx.remove(Table::Names, &key)?;
    Ok(())
}

/// Removes a stale record found by reconciliation. Its ID must not come back through the hint
/// in the same call ("when in doubt, delete and hand out a new CNID", §1.6).
fn discard(tx: &mut dyn WriteTx, e: &Entry, hint: &mut Option<Cnid>) -> Result<(), StoreError> {
    if *hint == Some(e.id) {
        *hint = None;
    }
    remove_entry(tx, e)
}

/// What the read-only first pass of `add`/`lookup` found.
enum Probe {
    /// Both indexes agree on this ID and its type: nothing to write.
    Clean(Cnid),
    /// Neither index knows the object.
    NotFound,
    /// Reconciliation must change something.
    NeedsWrite,
}

fn probe(
    tx: &mut dyn ReadTx,
    dev: u64,
    ino: u64,
    did: Cnid,
    name: &[u8],
    kind: Kind,
) -> Result<Probe, StoreError> {
    let a = by_devino(tx, dev, ino)?;
    let b = by_didname(tx, did, name)?;
    Ok(match (a, b) {
        (None, None) => Probe::NotFound,
        (Some(a), Some(b)) if a.id == b.id && a.kind == kind => Probe::Clean(a.id),
        _ => Probe::NeedsWrite,
    })
}

/// §1.6, the reconciliation of `dbd_lookup`, inside a write transaction. Returns the ID when
/// the object is known (possibly after moving its record), `None` when it must be allocated.
/// May clear `hint` (case 6 without a matching hint).
fn reconcile(
    tx: &mut dyn WriteTx,
    dev: u64,
    ino: u64,
    did: Cnid,
    name: &[u8],
    kind: Kind,
    hint: &mut Option<Cnid>,
) -> Result<Option<Cnid>, StoreError> {
    let mut a = by_devino(tx, dev, ino)?;
    let mut b = by_didname(tx, did, name)?;
    // Cases 2 and 3: a file became a directory or the reverse (reused inode): drop the record.
    if let Some(x) = a.take_if(|x| x.kind != kind) {
        discard(tx, &x, hint)?;
        b = b.filter(|y| y.id != x.id);
    }
    if let Some(y) = b.take_if(|y| y.kind != kind) {
        discard(tx, &y, hint)?;
    }
    match (a, b) {
        // Case 1: unknown.
        (None, None) => Ok(None),
        // Case 4: both indexes agree.
        (Some(a), Some(b)) if a.id == b.id => Ok(Some(a.id)),
        // Case 5: the "emacs case", both records are stale.
        (Some(a), Some(b)) => {
            discard(tx, &a, hint)?;
            discard(tx, &b, hint)?;
            Ok(None)
        }
        // Case 6: same inode under another parent/name. A move keeps its ID only when the
        // metadata hint travelled with the object.
        (Some(a), None) => {
            if *hint == Some(a.id) {
                remove_entry(tx, &a)?;
                let moved = Entry {
                    did,
                    name: name.to_vec(),
                    ..a
                };
                insert(tx, &moved)?;
                Ok(Some(moved.id))
            } else {
                remove_entry(tx, &a)?;
                *hint = None;
                Ok(None)
            }
        }
        // Case 7: same did/name, another inode (replaced file): a new ID.
        (None, Some(b)) => {
            discard(tx, &b, hint)?;
            Ok(None)
        }
    }
}

const fn next_after(id: u32) -> u32 {
    if id < Cnid::FIRST.0 || id == u32::MAX {
        Cnid::FIRST.0
    } else {
        id + 1
    }
}

/// §1.7 step 3: `last + 1`, wrapping to 17, skipping IDs in use; stores the new `last`.
fn allocate(tx: &mut dyn WriteTx) -> Result<Cnid, StoreError> {
    let last = read_last(tx)?;
    let start = next_after(last.0);
    let mut cand = start;
    loop {
        if !exists(tx, Cnid(cand))? {
            tx.put(Table::Meta, META_LAST, &cand.to_be_bytes())?;
            return Ok(Cnid(cand));
        }
        cand = next_after(cand);
        if cand == start {
            return Err(StoreError::Exhausted);
        }
    }
}

fn add_in(
    tx: &mut dyn WriteTx,
    dev: u64,
    ino: u64,
    did: Cnid,
    name: &[u8],
    kind: Kind,
    hint: Option<Cnid>,
) -> Result<Cnid, StoreError> {
    let mut hint = hint.filter(|h| h.is_assignable());
    if let Some(id) = reconcile(tx, dev, ino, did, name, kind, &mut hint)? {
        return Ok(id);
    }
    // §1.7 step 2: a free hint is reused (this is how IDs survive a lost database); the
    // counter does not move.
    let id = match hint {
        Some(h) if !exists(tx, h)? => h,
        _ => allocate(tx)?,
    };
    insert(
        tx,
        &Entry {
            id,
            did,
            name: name.to_vec(),
            dev,
            ino,
            kind,
        },
    )?;
    Ok(id)
}

fn lookup_in(
    tx: &mut dyn WriteTx,
    dev: u64,
    ino: u64,
    did: Cnid,
    name: &[u8],
    kind: Kind,
) -> Result<Option<Cnid>, StoreError> {
    reconcile(tx, dev, ino, did, name, kind, &mut None)
}

/// `cnid_update` (§1.5): drop the record `id`, any record with the same (dev, ino) and any
/// with the same (did, name), then store the new record under `id`.
fn update_in(tx: &mut dyn WriteTx, new: &Entry) -> Result<(), StoreError> {
    let mut buf = Vec::new();
    if let Some(old) = load(tx, new.id, &mut buf)? {
        remove_entry(tx, &old)?;
    }
    if let Some(a) = by_devino(tx, new.dev, new.ino)? {
        remove_entry(tx, &a)?;
    }
    if let Some(b) = by_didname(tx, new.did, &new.name)? {
        remove_entry(tx, &b)?;
    }
    insert(tx, new)
}

fn delete_in(tx: &mut dyn WriteTx, id: Cnid) -> Result<bool, StoreError> {
    match load(tx, id, &mut Vec::new())? {
        Some(e) => {
            remove_entry(tx, &e)?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// FPExchangeFiles (§1.8): the IDs stay with the names, the (dev, ino) pairs swap.
fn exchange_in(tx: &mut dyn WriteTx, a: Cnid, b: Cnid) -> Result<bool, StoreError> {
    let mut buf = Vec::new();
    let (Some(ea), Some(eb)) = (load(tx, a, &mut buf)?, load(tx, b, &mut buf)?) else {
        return Ok(false);
    };
    remove_entry(tx, &ea)?;
    remove_entry(tx, &eb)?;
    insert(
        tx,
        &Entry {
            dev: eb.dev,
            ino: eb.ino,
            ..ea.clone()
        },
    )?;
    insert(
        tx,
        &Entry {
            dev: ea.dev,
            ino: ea.ino,
            ..eb
        },
    )?;
    Ok(true)
}

fn rebuild_add_in(tx: &mut dyn WriteTx, e: &Entry) -> Result<(), StoreError> {
    update_in(tx, e)?;
    if read_last(tx)?.0 < e.id.0 {
        tx.put(Table::Meta, META_LAST, &e.id.0.to_be_bytes())?;
    }
    Ok(())
}

/// Several operations in one write transaction (group commit): see [`Store::batch`].
pub struct Batch<'a> {
    tx: &'a mut dyn WriteTx,
}

impl Batch<'_> {
    /// [`Store::add`] inside the batch.
    pub fn add(
        &mut self,
        dev: u64,
        ino: u64,
        did: Cnid,
        name: &[u8],
        kind: Kind,
        hint: Option<Cnid>,
    ) -> Result<Cnid, StoreError> {
        validate(did, name)?;
        add_in(self.tx, dev, ino, did, name, kind, hint)
    }

    /// [`Store::lookup`] inside the batch.
    pub fn lookup(
        &mut self,
        dev: u64,
        ino: u64,
        did: Cnid,
        name: &[u8],
        kind: Kind,
    ) -> Result<Option<Cnid>, StoreError> {
        validate(did, name)?;
        lookup_in(self.tx, dev, ino, did, name, kind)
    }

    /// [`Store::get`] inside the batch (sees the batch's own writes).
    pub fn get(&mut self, did: Cnid, name: &[u8]) -> Result<Option<Cnid>, StoreError> {
        validate(did, name)?;
        Ok(by_didname(self.tx, did, name)?.map(|e| e.id))
    }

    /// [`Store::resolve`] inside the batch.
    pub fn resolve(&mut self, id: Cnid) -> Result<Option<Entry>, StoreError> {
        resolve_in(self.tx, id)
    }

    /// [`Store::update`] inside the batch.
    pub fn update(
        &mut self,
        id: Cnid,
        dev: u64,
        ino: u64,
        did: Cnid,
        name: &[u8],
        kind: Kind,
    ) -> Result<(), StoreError> {
        validate_id(id)?;
        validate(did, name)?;
        let e = Entry {
            id,
            did,
            name: name.to_vec(),
            dev,
            ino,
            kind,
        };
        update_in(self.tx, &e)
    }

    /// [`Store::delete`] inside the batch.
    pub fn delete(&mut self, id: Cnid) -> Result<bool, StoreError> {
        validate_id(id)?;
        delete_in(self.tx, id)
    }

    /// [`Store::rebuild_add`] inside the batch.
    pub fn rebuild_add(
        &mut self,
        id: Cnid,
        dev: u64,
        ino: u64,
        did: Cnid,
        name: &[u8],
        kind: Kind,
    ) -> Result<(), StoreError> {
        validate_id(id)?;
        validate(did, name)?;
        let e = Entry {
            id,
            did,
            name: name.to_vec(),
            dev,
            ino,
            kind,
        };
        rebuild_add_in(self.tx, &e)
    }
}

fn resolve_in(tx: &mut dyn ReadTx, id: Cnid) -> Result<Option<Entry>, StoreError> {
    if id == Cnid::INVALID {
        return Err(InvalidArgument::ReservedId(0).into());
    }
    if !id.is_assignable() {
        return Ok(None);
    }
    load(tx, id, &mut Vec::new())
}

enum Init {
    Ready([u8; 8]),
    Empty,
}

fn read_init(tx: &mut dyn ReadTx) -> Result<Result<Init, u32>, StoreError> {
    let mut buf = Vec::new();
    if !tx.get(Table::Meta, META_FORMAT, &mut buf)? {
        if tx.len(Table::Records)? != 0 {
            return Err(meta_corrupt(
                "meta key \"format\" is missing but records exist",
            ));
        }
        return Ok(Ok(Init::Empty));
    }
    let version = read_u32_meta(tx, META_FORMAT, &mut buf)?;
    if version != FORMAT_VERSION {
        return Ok(Err(version));
    }
    read_last(tx)?;
    if !tx.get(Table::Meta, META_STAMP, &mut buf)? {
        return Err(meta_corrupt("meta key \"stamp\" is missing"));
    }
    let stamp: [u8; 8] = buf
        .as_slice()
        .try_into()
        .map_err(|_| meta_corrupt("meta key \"stamp\" is not 8 bytes"))?;
    Ok(Ok(Init::Ready(stamp)))
}

fn write_meta(tx: &mut dyn WriteTx, stamp: &[u8; 8], last: Cnid) -> Result<(), StoreError> {
    tx.put(Table::Meta, META_FORMAT, &FORMAT_VERSION.to_be_bytes())?;
    tx.put(Table::Meta, META_STAMP, stamp)?;
    tx.put(Table::Meta, META_LAST, &last.0.to_be_bytes())?;
    // Create the other tables so that read transactions always find them.
    for t in [Table::Records, Table::DevIno, Table::DidName, Table::Names] {
        tx.len(t)?;
    }
    Ok(())
}

impl Store<RedbBackend> {
    /// Opens the on-disk store in directory `dir` (the volume's resolved `vol dbpath`),
    /// creating the directory (recursively, with `opts.dir_mode`) and the file as needed.
    ///
    /// Call it with the credentials that own the store (afpd's root main thread). No later
    /// operation opens a file, so the returned store may be used from threads that changed
    /// their credentials.
    pub fn open(dir: &Path, opts: &OpenOptions) -> Result<Self, OpenError> {
        let backend = RedbBackend::open(dir, opts)?;
        let path = backend.path().to_owned();
        Store::init(backend, path)
    }

    /// Opens the on-disk store for [`Store::repair`], even when its metadata is damaged (see
    /// [`Store::with_backend_for_repair`]). Engine-level corruption still fails here.
    pub fn open_for_repair(dir: &Path, opts: &OpenOptions) -> Result<Self, OpenError> {
        Ok(Store::with_backend_for_repair(RedbBackend::open(
            dir, opts,
        )?))
    }

    /// Runs the engine's full integrity check (every page checksum) and then [`Store::check`].
    pub fn verify(&self) -> Result<CheckReport, StoreError> {
        let mut report = CheckReport::default();
        if !self.backend.check_integrity()? {
            report.push(CorruptionError::new(
                Check::Engine,
                "redb integrity check repaired the allocator state",
            ));
        }
        let r = self.check()?;
        report.records = r.records;
        report.index_entries = r.index_entries;
        report.orphans = r.orphans;
        report.problem_count += r.problem_count;
        report.problems.extend(r.problems);
        Ok(report)
    }
}

impl<B: Backend> Store<B> {
    /// Wraps a backend, initialising the metadata of an empty one (format version, stamp,
    /// `last` = 16).
    pub fn with_backend(backend: B) -> Result<Self, OpenError> {
        Store::init(backend, std::path::PathBuf::from("<memory>"))
    }

    fn init(backend: B, path: std::path::PathBuf) -> Result<Self, OpenError> {
        let oe = |e| OpenError::from_store(&path, e);
        let init = backend.read(read_init).map_err(oe)?;
        let stamp = match init {
            Err(found) => {
                return Err(OpenError::Format {
                    path,
                    found,
                    supported: FORMAT_VERSION,
                });
            }
            Ok(Init::Ready(stamp)) => stamp,
            Ok(Init::Empty) => {
                let stamp = backend.new_stamp();
                backend
                    .write(|tx| write_meta(tx, &stamp, Cnid(Cnid::FIRST.0 - 1)))
                    .map_err(oe)?;
                stamp
            }
        };
        Ok(Store { backend, stamp })
    }

    /// Wraps a backend whose metadata may be damaged, for [`Store::repair`] only: no checks,
    /// the stamp is read if it is readable (a new one otherwise). Other operations may fail
    /// until `repair` has run.
    pub fn with_backend_for_repair(backend: B) -> Self {
        let stamp = backend
            .read(|tx| {
                let mut b = Vec::new();
                Ok(if tx.get(Table::Meta, META_STAMP, &mut b)? {
                    <[u8; 8]>::try_from(b.as_slice()).ok()
                } else {
                    None
                })
            })
            .ok()
            .flatten()
            .unwrap_or_else(|| backend.new_stamp());
        Store { backend, stamp }
    }

    /// The backend.
    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// `cnid_add`: the ID of the object at (`dev`, `ino`) named `name` in directory `did`,
    /// allocating one if the object is new.
    ///
    /// Runs the reconciliation of §1.6 (moves keep their ID when `hint` - the CNID cached in
    /// the object's metadata - matches; replaced files and reused inodes get new IDs) and the
    /// allocation of §1.7 (a free `hint` is reused, otherwise the counter moves on). When
    /// nothing changed this is two index reads and no write.
    pub fn add(
        &self,
        dev: u64,
        ino: u64,
        did: Cnid,
        name: &[u8],
        kind: Kind,
        hint: Option<Cnid>,
    ) -> Result<Cnid, StoreError> {
        validate(did, name)?;
        if let Probe::Clean(id) = self
            .backend
            .read(|tx| probe(tx, dev, ino, did, name, kind))?
        {
            return Ok(id);
        }
        self.backend
            .write(|tx| add_in(tx, dev, ino, did, name, kind, hint))
    }

    /// `cnid_lookup`: like [`Store::add`] without allocation and without a hint. Removes stale
    /// records it detects (§1.6); returns `None` for an unknown object.
    pub fn lookup(
        &self,
        dev: u64,
        ino: u64,
        did: Cnid,
        name: &[u8],
        kind: Kind,
    ) -> Result<Option<Cnid>, StoreError> {
        validate(did, name)?;
        match self
            .backend
            .read(|tx| probe(tx, dev, ino, did, name, kind))?
        {
            Probe::Clean(id) => Ok(Some(id)),
            Probe::NotFound => Ok(None),
            Probe::NeedsWrite => self
                .backend
                .write(|tx| lookup_in(tx, dev, ino, did, name, kind)),
        }
    }

    /// `cnid_get`: the ID stored for `name` in directory `did` (a pure read).
    pub fn get(&self, did: Cnid, name: &[u8]) -> Result<Option<Cnid>, StoreError> {
        validate(did, name)?;
        self.backend
            .read(|tx| Ok(by_didname(tx, did, name)?.map(|e| e.id)))
    }

    /// The record stored for (`dev`, `ino`), if any (a pure read).
    pub fn get_by_devino(&self, dev: u64, ino: u64) -> Result<Option<Entry>, StoreError> {
        self.backend.read(|tx| by_devino(tx, dev, ino))
    }

    /// `cnid_resolve`: the record of `id` (its parent DID and name). `Ok(None)` for unknown
    /// IDs and for the reserved IDs 1 to 16 (the root has no record); ID 0 is refused.
    /// Walk `did` upwards until it is [`Cnid::ROOT`] to build a path.
    pub fn resolve(&self, id: Cnid) -> Result<Option<Entry>, StoreError> {
        self.backend.read(|tx| resolve_in(tx, id))
    }

    /// `cnid_update`: after a rename/move/exchange, store (`dev`, `ino`, `did`, `name`) under
    /// `id`, dropping the old record of `id` and any record holding the same (dev, ino) or the
    /// same (did, name). Does not write when the record is already exactly this.
    pub fn update(
        &self,
        id: Cnid,
        dev: u64,
        ino: u64,
        did: Cnid,
        name: &[u8],
        kind: Kind,
    ) -> Result<(), StoreError> {
        validate_id(id)?;
        validate(did, name)?;
        let e = Entry {
            id,
            did,
            name: name.to_vec(),
            dev,
            ino,
            kind,
        };
        let unchanged = self.backend.read(|tx| {
            Ok(by_devino(tx, dev, ino)?.as_ref() == Some(&e)
                && by_didname(tx, did, name)?.as_ref() == Some(&e))
        })?;
        if unchanged {
            return Ok(());
        }
        self.backend.write(|tx| update_in(tx, &e))
    }

    /// `cnid_delete`: removes the record of `id` and its index entries. Returns whether it
    /// existed (not-found is not an error).
    pub fn delete(&self, id: Cnid) -> Result<bool, StoreError> {
        validate_id(id)?;
        if !self.backend.read(|tx| exists(tx, id))? {
            return Ok(false);
        }
        self.backend.write(|tx| delete_in(tx, id))
    }

    /// FPExchangeFiles: after the server swapped the two files' contents, swaps the (dev, ino)
    /// of records `a` and `b` in one transaction, so each ID stays with its name. Returns
    /// `false` (and changes nothing) if either record is missing.
    pub fn exchange(&self, a: Cnid, b: Cnid) -> Result<bool, StoreError> {
        validate_id(a)?;
        validate_id(b)?;
        if a == b {
            return Ok(self.resolve(a)?.is_some());
        }
        self.backend.write(|tx| exchange_in(tx, a, b))
    }

    /// `cnid_rebuild_add`: stores the object under exactly `id` (like [`Store::update`]) and
    /// raises the counter to `id` if it is higher. For rebuild tools, no reconciliation.
    pub fn rebuild_add(
        &self,
        id: Cnid,
        dev: u64,
        ino: u64,
        did: Cnid,
        name: &[u8],
        kind: Kind,
    ) -> Result<(), StoreError> {
        self.batch(|b| b.rebuild_add(id, dev, ino, did, name, kind))
    }

    /// `cnid_find`: IDs of objects whose name starts with `prefix`, case-insensitively
    /// (Unicode lower case), at most `limit` of them (netatalk returns at most 100).
    pub fn find(&self, prefix: &[u8], limit: usize) -> Result<Vec<Cnid>, StoreError> {
        if prefix.is_empty() {
            return Err(InvalidArgument::EmptyName.into());
        }
        let mut folded = Vec::new();
        codec::fold_name(prefix, &mut folded);
        self.backend.read(|tx| {
            let mut out = Vec::new();
            if limit == 0 {
                return Ok(out);
            }
            tx.scan(Table::Names, &folded, &mut |k, _| {
                if !k.starts_with(&folded) {
                    return Ok(false);
                }
                out.push(codec::split_names_key(k)?.1);
                Ok(out.len() < limit)
            })?;
            Ok(out)
        })
    }

    /// `cnid_getstamp`: the 8-byte database stamp (§1.9), fixed when the store was created and
    /// kept by [`Store::wipe`].
    pub fn stamp(&self) -> [u8; 8] {
        self.stamp
    }

    /// The last ID the counter handed out (16 in a new store).
    pub fn last_id(&self) -> Result<Cnid, StoreError> {
        self.backend.read(read_last)
    }

    /// Raises the counter to at least `id` (a rebuild carries the old store's counter over,
    /// so that IDs handed out before are not handed out again).
    pub fn raise_last(&self, id: Cnid) -> Result<(), StoreError> {
        if self.last_id()? >= id {
            return Ok(());
        }
        self.backend.write(|tx| {
            if read_last(tx)? < id {
                tx.put(Table::Meta, META_LAST, &id.0.to_be_bytes())?;
            }
            Ok(())
        })
    }

    /// The ID the next allocation will hand out (the counter's next free ID), without
    /// allocating it.
    pub fn next_id(&self) -> Result<Cnid, StoreError> {
        self.backend.read(|tx| {
            let start = next_after(read_last(tx)?.0);
            let mut cand = start;
            while exists(tx, Cnid(cand))? {
                cand = next_after(cand);
                if cand == start {
                    return Err(StoreError::Exhausted);
                }
            }
            Ok(Cnid(cand))
        })
    }

    /// `cnid_wipe`: removes every record and index entry, keeping the stamp and the counter, so
    /// new IDs continue above the old ones and metadata hints can bring old IDs back.
    pub fn wipe(&self) -> Result<(), StoreError> {
        self.backend.write(|tx| {
            for t in [Table::Records, Table::DevIno, Table::DidName, Table::Names] {
                tx.clear(t)?;
            }
            Ok(())
        })
    }

    /// Runs several operations in **one** write transaction with one durable commit (group
    /// commit, for bulk copies and rebuilds). If `f` returns `Err`, nothing is written.
    ///
    /// An operation that fails inside the batch may have changed part of the transaction:
    /// return its error from `f` (with `?`) rather than continuing.
    pub fn batch<R>(
        &self,
        f: impl FnOnce(&mut Batch<'_>) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        self.backend.write(|tx| f(&mut Batch { tx }))
    }

    /// Counts, counter, stamp and size.
    pub fn stats(&self) -> Result<Stats, StoreError> {
        let (records, devino_entries, didname_entries, name_entries, last_id, format) =
            self.backend.read(|tx| {
                Ok((
                    tx.len(Table::Records)?,
                    tx.len(Table::DevIno)?,
                    tx.len(Table::DidName)?,
                    tx.len(Table::Names)?,
                    read_last(tx)?,
                    read_u32_meta(tx, META_FORMAT, &mut Vec::new())?,
                ))
            })?;
        Ok(Stats {
            records,
            devino_entries,
            didname_entries,
            name_entries,
            last_id,
            stamp: self.stamp,
            format,
            size_on_disk: self.backend.size_on_disk(),
        })
    }

    /// Calls `f` for every record in ID order, in one snapshot, until it returns `false`.
    /// Records that fail their checks are passed as `Err` so a tool can report and go on.
    pub fn visit(
        &self,
        mut f: impl FnMut(Result<Entry, CorruptionError>) -> bool,
    ) -> Result<(), StoreError> {
        self.backend.read(|tx| {
            tx.scan(Table::Records, &[], &mut |k, v| {
                let r = codec::decode_id("records key", k, k)
                    .and_then(|id| codec::decode_record(id, v));
                Ok(f(r))
            })
        })
    }

    /// Checks every record (checksum, encoding) and that the three indexes and the records
    /// agree exactly, in one snapshot. Does not change anything.
    pub fn check(&self) -> Result<CheckReport, StoreError> {
        self.backend.read(|tx| {
            let mut rep = CheckReport::default();
            if let Err(StoreError::Corrupt(c)) = read_init(tx) {
                rep.push(c);
            }
            let mut records = Vec::new();
            tx.scan(Table::Records, &[], &mut |k, v| {
                match codec::decode_id("records key", k, k)
                    .and_then(|id| codec::decode_record(id, v))
                {
                    Ok(e) => records.push(e),
                    Err(c) => rep.push(c),
                }
                Ok(true)
            })?;
            rep.records = records.len() as u64;
            let dirs: std::collections::HashSet<Cnid> = records
                .iter()
                .filter(|e| e.kind == Kind::Dir)
                .map(|e| e.id)
                .collect();
            let mut key = Vec::new();
            let mut v = Vec::new();
            for e in &records {
                if e.did != Cnid::ROOT && !dirs.contains(&e.did) {
                    rep.orphans += 1;
                }
                let id = codec::id_key(e.id);
                let dk = codec::devino_key(e.dev, e.ino);
                if !tx.get(Table::DevIno, &dk, &mut v)? || v != id {
                    rep.push(CorruptionError::new(
                        Check::MissingIndexEntry,
                        format!("record {} has no devino entry ({}, {})", e.id, e.dev, e.ino),
                    ));
                }
                codec::didname_key(e.did, &e.name, &mut key);
                if !tx.get(Table::DidName, &key, &mut v)? || v != id {
                    rep.push(CorruptionError::new(
                        Check::MissingIndexEntry,
                        format!(
                            "record {} has no didname entry ({}, {:?})",
                            e.id,
                            e.did,
                            String::from_utf8_lossy(&e.name)
                        ),
                    ));
                }
                codec::names_key(&e.name, e.id, &mut key);
                if !tx.get(Table::Names, &key, &mut v)? {
                    rep.push(CorruptionError::new(
                        Check::MissingIndexEntry,
                        format!("record {} has no names entry", e.id),
                    ));
                }
            }
            let by_id: std::collections::HashMap<Cnid, &Entry> =
                records.iter().map(|e| (e.id, e)).collect();
            let mut index_entries = 0u64;
            let mut problems = Vec::new();
            for table in [Table::DevIno, Table::DidName] {
                tx.scan(table, &[], &mut |k, v| {
                    index_entries += 1;
                    let ok = match codec::decode_id(table.name(), k, v) {
                        Ok(id) => by_id.get(&id).is_some_and(|e| match table {
                            Table::DevIno => k == codec::devino_key(e.dev, e.ino),
                            _ => {
                                k.len() == 4 + e.name.len()
                                    && k[..4] == e.did.0.to_be_bytes()
                                    && k[4..] == e.name[..]
                            }
                        }),
                        Err(c) => {
                            problems.push(c);
                            return Ok(true);
                        }
                    };
                    if !ok {
                        problems.push(CorruptionError::new(
                            Check::IndexDisagrees,
                            format!(
                                "{} entry {} -> {} has no matching record",
                                table.name(),
                                codec::hex(k),
                                codec::hex(v)
                            ),
                        ));
                    }
                    Ok(true)
                })?;
            }
            let mut folded = Vec::new();
            tx.scan(Table::Names, &[], &mut |k, _| {
                index_entries += 1;
                match codec::split_names_key(k) {
                    Ok((f, id)) => {
                        let ok = by_id.get(&id).is_some_and(|e| {
                            codec::fold_name(&e.name, &mut folded);
                            folded == f
                        });
                        if !ok {
                            problems.push(CorruptionError::new(
                                Check::IndexDisagrees,
                                format!("names entry {} has no matching record", codec::hex(k)),
                            ));
                        }
                    }
                    Err(c) => problems.push(c),
                }
                Ok(true)
            })?;
            rep.index_entries = index_entries;
            for p in problems {
                rep.push(p);
            }
            Ok(rep)
        })
    }

    /// Rebuilds all three indexes from the records in one transaction. Records that fail
    /// their checks, and records whose (dev, ino) or (did, name) duplicates a lower ID's, are
    /// removed and listed in the report. Re-creates missing metadata (keeping a valid stamp).
    /// Never removes a decodable, unique record.
    pub fn repair(&self) -> Result<RepairReport, StoreError> {
        let stamp = self.stamp;
        self.backend.write(|tx| {
            let mut rep = RepairReport::default();
            let mut raw = Vec::new();
            tx.scan(Table::Records, &[], &mut |k, v| {
                raw.push((k.to_vec(), v.to_vec()));
                Ok(true)
            })?;
            let mut keep = Vec::new();
            let mut max_id = Cnid(Cnid::FIRST.0 - 1);
            for (k, v) in raw {
                match codec::decode_id("records key", &k, &k)
                    .and_then(|id| codec::decode_record(id, &v))
                {
                    Ok(e) => keep.push(e),
                    Err(c) => {
                        tx.remove(Table::Records, &k)?;
                        let id = <[u8; 4]>::try_from(k.as_slice())
                            .map(|b| Cnid(u32::from_be_bytes(b)))
                            .unwrap_or(Cnid::INVALID);
                        rep.removed.push((id, c.to_string()));
                    }
                }
            }
            for t in [Table::DevIno, Table::DidName, Table::Names] {
                tx.clear(t)?;
            }
            let mut key = Vec::new();
            let mut v = Vec::new();
            for e in keep {
                let dk = codec::devino_key(e.dev, e.ino);
                codec::didname_key(e.did, &e.name, &mut key);
                let dup = if tx.get(Table::DevIno, &dk, &mut v)? {
                    Some("duplicate (dev, ino)")
                } else if tx.get(Table::DidName, &key, &mut v)? {
                    Some("duplicate (did, name)")
                } else {
                    None
                };
                if let Some(why) = dup {
                    tx.remove(Table::Records, &codec::id_key(e.id))?;
                    rep.removed.push((
                        e.id,
                        format!("{why} of record {}", codec::decode_id("", &v, &v)?),
                    ));
                    continue;
                }
                insert(tx, &e)?;
                max_id = max_id.max(e.id);
                rep.records_kept += 1;
            }
            if let Err(StoreError::Corrupt(_)) = read_init(tx) {
                let last = read_last(tx).unwrap_or(Cnid(0)).max(max_id);
                write_meta(tx, &stamp, last)?;
                rep.meta_rewritten = true;
            }
            Ok(rep)
        })
    }
}
