//! The storage backend trait and the in-memory backend.
//!
//! A backend is an ordered key-value store with five tables and transactions: a read
//! transaction sees one consistent snapshot, a write transaction changes any number of tables
//! atomically and durably (FORMAT.md §2). The CNID semantics (spec `cnid-and-config.md`
//! §1.6-1.7) live once, above this trait, in [`crate::Store`], as §5.5 asks ("the same
//! reconciliation logic implemented once above the trait, not per backend").
//!
//! Transactions are closures so that an engine's borrow-checked transaction objects (redb's
//! `Table<'txn>`) never escape: `read`/`write` open the transaction, run the closure, and commit
//! when it returns `Ok` or roll back when it returns `Err`.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::StoreError;

/// The five tables of a store (FORMAT.md §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Table {
    /// `format`, `stamp`, `last`.
    Meta,
    /// ID -> record (the primary).
    Records,
    /// (dev, ino) -> ID.
    DevIno,
    /// (did, name) -> ID.
    DidName,
    /// folded name, NUL, ID -> empty (search index).
    Names,
}

impl Table {
    /// All tables, in FORMAT.md order.
    pub const ALL: [Table; 5] = [
        Table::Meta,
        Table::Records,
        Table::DevIno,
        Table::DidName,
        Table::Names,
    ];

    /// The table's on-disk name.
    pub const fn name(self) -> &'static str {
        match self {
            Table::Meta => "cnid_meta",
            Table::Records => "cnid_records",
            Table::DevIno => "cnid_devino",
            Table::DidName => "cnid_didname",
            Table::Names => "cnid_names",
        }
    }

    pub(crate) const fn index(self) -> usize {
        match self {
            Table::Meta => 0,
            Table::Records => 1,
            Table::DevIno => 2,
            Table::DidName => 3,
            Table::Names => 4,
        }
    }
}

/// The callback of [`ReadTx::scan`]: gets each key and value, returns whether to go on.
pub type Visitor<'a> = dyn FnMut(&[u8], &[u8]) -> Result<bool, StoreError> + 'a;

/// Reads inside a transaction.
pub trait ReadTx {
    /// Copies the value of `key` into `out` and returns `true`, or returns `false` if absent.
    fn get(&mut self, table: Table, key: &[u8], out: &mut Vec<u8>) -> Result<bool, StoreError>;

    /// Calls `f` for each entry with a key `>= start`, in key order, until `f` returns
    /// `Ok(false)` or the table ends.
    fn scan(&mut self, table: Table, start: &[u8], f: &mut Visitor<'_>) -> Result<(), StoreError>;

    /// Number of entries in `table`.
    fn len(&mut self, table: Table) -> Result<u64, StoreError>;
}

/// Writes inside a transaction (which can also read its own writes).
pub trait WriteTx: ReadTx {
    /// Inserts or replaces `key`.
    fn put(&mut self, table: Table, key: &[u8], value: &[u8]) -> Result<(), StoreError>;
    /// Removes `key`; returns whether it was present.
    fn remove(&mut self, table: Table, key: &[u8]) -> Result<bool, StoreError>;
    /// Removes every entry of `table`.
    fn clear(&mut self, table: Table) -> Result<(), StoreError>;
}

/// A transactional ordered key-value store with the five [`Table`]s.
///
/// Implementations must be safe to call from many threads at once: reads run concurrently,
/// writes are serialised, and a committed write is durable when `write` returns `Ok`.
pub trait Backend: Send + Sync {
    /// Runs `f` in a read transaction (one consistent snapshot).
    fn read<R>(
        &self,
        f: impl FnOnce(&mut dyn ReadTx) -> Result<R, StoreError>,
    ) -> Result<R, StoreError>;

    /// Runs `f` in a write transaction; commits durably if `f` returns `Ok`, rolls back
    /// otherwise (and on a commit error).
    fn write<R>(
        &self,
        f: impl FnOnce(&mut dyn WriteTx) -> Result<R, StoreError>,
    ) -> Result<R, StoreError>;

    /// The 8-byte stamp to record when a new store is initialised in this backend (§1.9).
    fn new_stamp(&self) -> [u8; 8];

    /// Bytes the backend occupies on disk, if it has a file.
    fn size_on_disk(&self) -> Option<u64> {
        None
    }
}

type Map = BTreeMap<Vec<u8>, Vec<u8>>;

/// The in-memory backend: five `BTreeMap`s behind one `RwLock`.
///
/// Reads share the lock, a write holds it exclusively and keeps an undo log so that an `Err`
/// from the closure rolls every change back. Nothing is persisted.
#[derive(Debug)]
pub struct MemBackend {
    tables: RwLock<[Map; 5]>,
    stamp: [u8; 8],
}

static MEM_STAMPS: AtomicU64 = AtomicU64::new(1);

impl MemBackend {
    /// An empty backend with a process-unique stamp.
    pub fn new() -> Self {
        let n = MEM_STAMPS.fetch_add(1, Ordering::Relaxed);
        Self::with_stamp(n.to_be_bytes())
    }

    /// An empty backend that will report `stamp` for a new store.
    pub fn with_stamp(stamp: [u8; 8]) -> Self {
        MemBackend {
            tables: RwLock::new(Default::default()),
            stamp,
        }
    }

    /// Writes raw bytes into a table, bypassing the store: for corruption tests.
    #[doc(hidden)]
    pub fn raw_put(&self, table: Table, key: &[u8], value: &[u8]) {
        if let Ok(mut t) = self.tables.write() {
            t[table.index()].insert(key.to_vec(), value.to_vec());
        }
    }

    /// Removes a raw key, bypassing the store: for corruption tests.
    #[doc(hidden)]
    pub fn raw_remove(&self, table: Table, key: &[u8]) {
        if let Ok(mut t) = self.tables.write() {
            t[table.index()].remove(key);
        }
    }
}

impl Default for MemBackend {
    fn default() -> Self {
        Self::new()
    }
}

struct MemRead<'a> {
    tables: &'a [Map; 5],
}

fn scan_map(map: &Map, start: &[u8], f: &mut Visitor<'_>) -> Result<(), StoreError> {
    for (k, v) in map.range::<[u8], _>((Bound::Included(start), Bound::Unbounded)) {
        if !f(k, v)? {
            break;
        }
    }
    Ok(())
}

impl ReadTx for MemRead<'_> {
    fn get(&mut self, table: Table, key: &[u8], out: &mut Vec<u8>) -> Result<bool, StoreError> {
        Ok(match self.tables[table.index()].get(key) {
            Some(v) => {
                out.clear();
                out.extend_from_slice(v);
                true
            }
            None => false,
        })
    }

    fn scan(&mut self, table: Table, start: &[u8], f: &mut Visitor<'_>) -> Result<(), StoreError> {
        scan_map(&self.tables[table.index()], start, f)
    }

    fn len(&mut self, table: Table) -> Result<u64, StoreError> {
        Ok(self.tables[table.index()].len() as u64)
    }
}

enum Undo {
    Restore(Table, Vec<u8>, Option<Vec<u8>>),
    RestoreTable(Table, Map),
}

struct MemWrite<'a> {
    tables: &'a mut [Map; 5],
    undo: Vec<Undo>,
}

impl ReadTx for MemWrite<'_> {
    fn get(&mut self, table: Table, key: &[u8], out: &mut Vec<u8>) -> Result<bool, StoreError> {
        MemRead {
            tables: self.tables,
        }
        .get(table, key, out)
    }

    fn scan(&mut self, table: Table, start: &[u8], f: &mut Visitor<'_>) -> Result<(), StoreError> {
        scan_map(&self.tables[table.index()], start, f)
    }

    fn len(&mut self, table: Table) -> Result<u64, StoreError> {
        Ok(self.tables[table.index()].len() as u64)
    }
}

impl WriteTx for MemWrite<'_> {
    fn put(&mut self, table: Table, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        let old = self.tables[table.index()].insert(key.to_vec(), value.to_vec());
        self.undo.push(Undo::Restore(table, key.to_vec(), old));
        Ok(())
    }

    fn remove(&mut self, table: Table, key: &[u8]) -> Result<bool, StoreError> {
        let old = self.tables[table.index()].remove(key);
        let was = old.is_some();
        if was {
            self.undo.push(Undo::Restore(table, key.to_vec(), old));
        }
        Ok(was)
    }

    fn clear(&mut self, table: Table) -> Result<(), StoreError> {
        let old = std::mem::take(&mut self.tables[table.index()]);
        self.undo.push(Undo::RestoreTable(table, old));
        Ok(())
    }
}

impl Backend for MemBackend {
    fn read<R>(
        &self,
        f: impl FnOnce(&mut dyn ReadTx) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let guard = self.tables.read().map_err(|_| StoreError::Poisoned)?;
        f(&mut MemRead { tables: &guard })
    }

    fn write<R>(
        &self,
        f: impl FnOnce(&mut dyn WriteTx) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let mut guard = self.tables.write().map_err(|_| StoreError::Poisoned)?;
        let mut tx = MemWrite {
            tables: &mut guard,
            undo: Vec::new(),
        };
        let r = f(&mut tx);
        if r.is_err() {
            while let Some(u) = tx.undo.pop() {
                match u {
                    Undo::Restore(t, k, Some(v)) => {
                        tx.tables[t.index()].insert(k, v);
                    }
                    Undo::Restore(t, k, None) => {
                        tx.tables[t.index()].remove(&k);
                    }
                    Undo::RestoreTable(t, m) => tx.tables[t.index()] = m,
                }
            }
        }
        r
    }

    fn new_stamp(&self) -> [u8; 8] {
        self.stamp
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::InvalidArgument;

    #[test]
    fn write_error_rolls_back() {
        let b = MemBackend::new();
        b.write(|tx| tx.put(Table::Meta, b"a", b"1")).unwrap();
        let r: Result<(), _> = b.write(|tx| {
            tx.put(Table::Meta, b"a", b"2")?;
            tx.put(Table::Meta, b"b", b"3")?;
            tx.clear(Table::Records)?;
            tx.remove(Table::Meta, b"a")?;
            Err(InvalidArgument::EmptyName.into())
        });
        assert!(r.is_err());
        let mut out = Vec::new();
        b.read(|tx| {
            assert!(tx.get(Table::Meta, b"a", &mut out)?);
            assert_eq!(out, b"1");
            assert!(!tx.get(Table::Meta, b"b", &mut out)?);
            assert_eq!(tx.len(Table::Meta)?, 1);
            Ok(())
        })
        .unwrap();
    }
}
