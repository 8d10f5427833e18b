//! A deliberately simple reference model of the store's semantics, for model-based tests and
//! the `cnid_ops` fuzz target.
//!
//! The model keeps records in a `BTreeMap` and finds them by linear search; it restates §1.6
//! (reconciliation) and §1.7 (allocation) of `cnid-and-config.md` directly from the spec's
//! tables. [`Op::decode_all`] turns arbitrary bytes into an operation sequence (small pools of
//! devices, inodes, parents and names so that collisions, moves and replacements happen
//! often), and [`run`] applies it to a [`Store`] and the model and compares every answer and
//! the final state.

use std::collections::BTreeMap;

use crate::backend::Backend;
use crate::codec::fold_name;
use crate::error::{InvalidArgument, StoreError};
use crate::store::Store;
use crate::types::{Cnid, Entry, Kind, check_name};

/// One store operation.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Op {
    Add {
        dev: u64,
        ino: u64,
        did: Cnid,
        name: Vec<u8>,
        kind: Kind,
        hint: Option<Cnid>,
    },
    Lookup {
        dev: u64,
        ino: u64,
        did: Cnid,
        name: Vec<u8>,
        kind: Kind,
    },
    Get {
        did: Cnid,
        name: Vec<u8>,
    },
    Resolve {
        id: Cnid,
    },
    Update {
        id: Cnid,
        dev: u64,
        ino: u64,
        did: Cnid,
        name: Vec<u8>,
        kind: Kind,
    },
    Delete {
        id: Cnid,
    },
    RebuildAdd {
        id: Cnid,
        dev: u64,
        ino: u64,
        did: Cnid,
        name: Vec<u8>,
        kind: Kind,
    },
    Find {
        prefix: Vec<u8>,
        limit: usize,
    },
    NextId,
    Wipe,
    /// Mutating operations in one transaction.
    Batch(Vec<Op>),
}

/// What an operation answered.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Outcome {
    Id(Cnid),
    MaybeId(Option<Cnid>),
    Entry(Option<Entry>),
    Bool(bool),
    Ids(Vec<Cnid>),
    Unit,
    Invalid(InvalidArgument),
    Batch(Vec<Outcome>),
}

const NAMES: [&[u8]; 12] = [
    b"a",
    b"A",
    b"ab",
    b"Ab",
    b"b",
    "é".as_bytes(),
    "É".as_bytes(),
    b"file.txt",
    b"File.TXT",
    b"",
    b"x/y",
    b"\xff\xfe",
];

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
}

impl Op {
    /// Decodes operations from fuzz input, two to six bytes each, until the bytes run out.
    pub fn decode_all(data: &[u8]) -> Vec<Op> {
        let mut b = Bytes(data);
        let mut ops = Vec::new();
        while let Some(op) = Self::decode_one(&mut b, true) {
            ops.push(op);
        }
        ops
    }

    fn decode_one(b: &mut Bytes<'_>, allow_batch: bool) -> Option<Op> {
        let tag = b.byte()?;
        let x = b.byte()?;
        let y = b.byte().unwrap_or(0);
        let dev = u64::from(x >> 7);
        let ino = u64::from(x & 0x1f);
        let did = match y & 0x1f {
            0 => Cnid(0),
            1 => Cnid(1),
            2..=8 => Cnid::ROOT,
            n => Cnid(17 + u32::from(n - 9)),
        };
        let name = NAMES[usize::from(y >> 4) % NAMES.len()].to_vec();
        let kind = if x & 0x20 != 0 { Kind::Dir } else { Kind::File };
        let id = match x & 0x3f {
            0 => Cnid(0),
            1 => Cnid(2),
            n => Cnid(15 + u32::from(n)),
        };
        let hint = match (x >> 5) & 3 {
            0 => None,
            _ => Some(Cnid(17 + u32::from(y & 0x1f))),
        };
        Some(match tag % 16 {
            0..=4 => Op::Add {
                dev,
                ino,
                did,
                name,
                kind,
                hint,
            },
            5 => Op::Lookup {
                dev,
                ino,
                did,
                name,
                kind,
            },
            6 => Op::Get { did, name },
            7 => Op::Resolve { id },
            8 | 9 => Op::Update {
                id,
                dev: u64::from(y >> 7),
                ino: u64::from(y & 0x1f),
                did: Cnid::ROOT,
                name,
                kind,
            },
            10 => Op::Delete { id },
            11 => Op::RebuildAdd {
                id,
                dev,
                ino: u64::from(y & 0x1f),
                did,
                name,
                kind,
            },
            12 => Op::Find {
                prefix: name,
                limit: usize::from(y & 7),
            },
            13 => Op::NextId,
            14 if x == 0xff => Op::Wipe,
            14 | 15 if allow_batch => {
                let n = usize::from(x % 6) + 1;
                let mut ops = Vec::new();
                for _ in 0..n {
                    if let op @ (Op::Add { .. }
                    | Op::Update { .. }
                    | Op::Delete { .. }
                    | Op::RebuildAdd { .. }
                    | Op::Lookup { .. }) = Self::decode_one(b, false)?
                    {
                        ops.push(op);
                    }
                }
                Op::Batch(ops)
            }
            _ => Op::Resolve { id: did },
        })
    }
}

/// The reference model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Model {
    /// Records by ID.
    pub entries: BTreeMap<Cnid, Entry>,
    /// The allocation counter.
    pub last: Cnid,
}

impl Default for Model {
    fn default() -> Self {
        Model {
            entries: BTreeMap::new(),
            last: Cnid(16),
        }
    }
}

fn check(did: Cnid, name: &[u8]) -> Result<(), InvalidArgument> {
    if did.0 < 2 {
        return Err(InvalidArgument::ReservedParent(did.0));
    }
    check_name(name)
}

fn check_id(id: Cnid) -> Result<(), InvalidArgument> {
    if id.0 < 17 {
        return Err(InvalidArgument::ReservedId(id.0));
    }
    Ok(())
}

impl Model {
    fn by_devino(&self, dev: u64, ino: u64) -> Option<Entry> {
        self.entries
            .values()
            .find(|e| e.dev == dev && e.ino == ino)
            .cloned()
    }

    fn by_didname(&self, did: Cnid, name: &[u8]) -> Option<Entry> {
        self.entries
            .values()
            .find(|e| e.did == did && e.name == name)
            .cloned()
    }

    fn lookup_inner(
        &mut self,
        dev: u64,
        ino: u64,
        did: Cnid,
        name: &[u8],
        kind: Kind,
        hint: &mut Option<Cnid>,
    ) -> Option<Cnid> {
        let mut a = self.by_devino(dev, ino);
        let mut b = self.by_didname(did, name);
        let mut gone = Vec::new();
        if a.as_ref().is_some_and(|a| a.kind != kind) {
            gone.push(a.take()?.id);
        }
        if b.as_ref()
            .is_some_and(|b| gone.contains(&b.id) || b.kind != kind)
        {
            gone.push(b.take()?.id);
        }
        let found = match (a, b) {
            (None, None) => None,
            (Some(a), Some(b)) if a.id == b.id => Some(a.id),
            (Some(a), Some(b)) => {
                gone.push(a.id);
                gone.push(b.id);
                None
            }
            (Some(a), None) if *hint == Some(a.id) => {
                let e = self.entries.get_mut(&a.id)?;
                e.did = did;
                e.name = name.to_vec();
                Some(a.id)
            }
            (Some(a), None) => {
                gone.push(a.id);
                *hint = None;
                None
            }
            (None, Some(b)) => {
                gone.push(b.id);
                None
            }
        };
        for id in gone {
            self.entries.remove(&id);
            if *hint == Some(id) {
                *hint = None;
            }
        }
        found
    }

    fn update_inner(&mut self, e: Entry) {
        let (dev, ino, did) = (e.dev, e.ino, e.did);
        self.entries.retain(|id, x| {
            *id != e.id && !(x.dev == dev && x.ino == ino) && !(x.did == did && x.name == e.name)
        });
        self.entries.insert(e.id, e);
    }

    fn next_free(&self) -> Cnid {
        let mut c = self.last.0;
        loop {
            c = if c == u32::MAX || c < 17 { 17 } else { c + 1 };
            if !self.entries.contains_key(&Cnid(c)) {
                return Cnid(c);
            }
        }
    }

    /// Applies one operation and returns its answer.
    pub fn apply(&mut self, op: &Op) -> Outcome {
        match self.apply_inner(op) {
            Ok(o) => o,
            Err(e) => Outcome::Invalid(e),
        }
    }

    fn apply_inner(&mut self, op: &Op) -> Result<Outcome, InvalidArgument> {
        Ok(match op {
            Op::Add {
                dev,
                ino,
                did,
                name,
                kind,
                hint,
            } => {
                check(*did, name)?;
                let mut hint = hint.filter(|h| h.0 >= 17);
                if let Some(id) = self.lookup_inner(*dev, *ino, *did, name, *kind, &mut hint) {
                    return Ok(Outcome::Id(id));
                }
                let id = match hint {
                    Some(h) if !self.entries.contains_key(&h) => h,
                    _ => {
                        let id = self.next_free();
                        self.last = id;
                        id
                    }
                };
                self.entries.insert(
                    id,
                    Entry {
                        id,
                        did: *did,
                        name: name.clone(),
                        dev: *dev,
                        ino: *ino,
                        kind: *kind,
                    },
                );
                Outcome::Id(id)
            }
            Op::Lookup {
                dev,
                ino,
                did,
                name,
                kind,
            } => {
                check(*did, name)?;
                Outcome::MaybeId(self.lookup_inner(*dev, *ino, *did, name, *kind, &mut None))
            }
            Op::Get { did, name } => {
                check(*did, name)?;
                Outcome::MaybeId(self.by_didname(*did, name).map(|e| e.id))
            }
            Op::Resolve { id } => {
                if id.0 == 0 {
                    return Err(InvalidArgument::ReservedId(0));
                }
                Outcome::Entry(self.entries.get(id).cloned())
            }
            Op::Update {
                id,
                dev,
                ino,
                did,
                name,
                kind,
            } => {
                check_id(*id)?;
                check(*did, name)?;
                self.update_inner(Entry {
                    id: *id,
                    did: *did,
                    name: name.clone(),
                    dev: *dev,
                    ino: *ino,
                    kind: *kind,
                });
                Outcome::Unit
            }
            Op::RebuildAdd {
                id,
                dev,
                ino,
                did,
                name,
                kind,
            } => {
                check_id(*id)?;
                check(*did, name)?;
                self.update_inner(Entry {
                    id: *id,
                    did: *did,
                    name: name.clone(),
                    dev: *dev,
                    ino: *ino,
                    kind: *kind,
                });
                self.last = self.last.max(*id);
                Outcome::Unit
            }
            Op::Delete { id } => {
                check_id(*id)?;
                Outcome::Bool(self.entries.remove(id).is_some())
            }
            Op::Find { prefix, limit } => {
                if prefix.is_empty() {
                    return Err(InvalidArgument::EmptyName);
                }
                let (mut p, mut f) = (Vec::new(), Vec::new());
                fold_name(prefix, &mut p);
                let mut hits: Vec<(Vec<u8>, Cnid)> = self
                    .entries
                    .values()
                    .filter_map(|e| {
                        fold_name(&e.name, &mut f);
                        f.starts_with(&p).then(|| (f.clone(), e.id))
                    })
                    .collect();
                hits.sort();
                Outcome::Ids(hits.into_iter().take(*limit).map(|h| h.1).collect())
            }
            Op::NextId => Outcome::Id(self.next_free()),
            Op::Wipe => {
                self.entries.clear();
                Outcome::Unit
            }
            Op::Batch(ops) => {
                let mut copy = self.clone();
                let mut outs = Vec::new();
                for op in ops {
                    outs.push(copy.apply_inner(op)?);
                }
                *self = copy;
                Outcome::Batch(outs)
            }
        })
    }
}

fn store_outcome<T>(
    r: Result<T, StoreError>,
    f: impl FnOnce(T) -> Outcome,
) -> Result<Outcome, StoreError> {
    match r {
        Ok(v) => Ok(f(v)),
        Err(StoreError::Invalid(e)) => Ok(Outcome::Invalid(e)),
        Err(e) => Err(e),
    }
}

/// Applies one operation to a store. Storage errors (anything but `Invalid`) are returned.
pub fn apply_to_store<B: Backend>(store: &Store<B>, op: &Op) -> Result<Outcome, StoreError> {
    match op {
        Op::Add {
            dev,
            ino,
            did,
            name,
            kind,
            hint,
        } => store_outcome(store.add(*dev, *ino, *did, name, *kind, *hint), Outcome::Id),
        Op::Lookup {
            dev,
            ino,
            did,
            name,
            kind,
        } => store_outcome(
            store.lookup(*dev, *ino, *did, name, *kind),
            Outcome::MaybeId,
        ),
        Op::Get { did, name } => store_outcome(store.get(*did, name), Outcome::MaybeId),
        Op::Resolve { id } => store_outcome(store.resolve(*id), Outcome::Entry),
        Op::Update {
            id,
            dev,
            ino,
            did,
            name,
            kind,
        } => store_outcome(store.update(*id, *dev, *ino, *did, name, *kind), |()| {
            Outcome::Unit
        }),
        Op::RebuildAdd {
            id,
            dev,
            ino,
            did,
            name,
            kind,
        } => store_outcome(
            store.rebuild_add(*id, *dev, *ino, *did, name, *kind),
            |()| Outcome::Unit,
        ),
        Op::Delete { id } => store_outcome(store.delete(*id), Outcome::Bool),
        Op::Find { prefix, limit } => store_outcome(store.find(prefix, *limit), Outcome::Ids),
        Op::NextId => store_outcome(store.next_id(), Outcome::Id),
        Op::Wipe => store_outcome(store.wipe(), |()| Outcome::Unit),
        Op::Batch(ops) => store_outcome(
            store.batch(|b| {
                let mut outs = Vec::new();
                for op in ops {
                    outs.push(match op {
                        Op::Add {
                            dev,
                            ino,
                            did,
                            name,
                            kind,
                            hint,
                        } => Outcome::Id(b.add(*dev, *ino, *did, name, *kind, *hint)?),
                        Op::Lookup {
                            dev,
                            ino,
                            did,
                            name,
                            kind,
                        } => Outcome::MaybeId(b.lookup(*dev, *ino, *did, name, *kind)?),
                        Op::Update {
                            id,
                            dev,
                            ino,
                            did,
                            name,
                            kind,
                        } => {
                            b.update(*id, *dev, *ino, *did, name, *kind)?;
                            Outcome::Unit
                        }
                        Op::RebuildAdd {
                            id,
                            dev,
                            ino,
                            did,
                            name,
                            kind,
                        } => {
                            b.rebuild_add(*id, *dev, *ino, *did, name, *kind)?;
                            Outcome::Unit
                        }
                        Op::Delete { id } => Outcome::Bool(b.delete(*id)?),
                        _ => Outcome::Unit,
                    });
                }
                Ok(outs)
            }),
            Outcome::Batch,
        ),
    }
}

/// The store's full state as the model represents it: every record, and the counter.
pub fn store_state<B: Backend>(store: &Store<B>) -> Result<Model, String> {
    let mut entries = BTreeMap::new();
    let mut bad = None;
    store
        .visit(|r| match r {
            Ok(e) => {
                entries.insert(e.id, e);
                true
            }
            Err(c) => {
                bad = Some(c.to_string());
                false
            }
        })
        .map_err(|e| e.to_string())?;
    if let Some(b) = bad {
        return Err(b);
    }
    Ok(Model {
        entries,
        last: store.last_id().map_err(|e| e.to_string())?,
    })
}

/// Applies `ops` to `store` and to a fresh model, comparing every answer, then compares the
/// final state and runs [`Store::check`]. Returns the first disagreement.
pub fn run<B: Backend>(store: &Store<B>, ops: &[Op]) -> Result<Model, String> {
    let mut model = Model::default();
    for (i, op) in ops.iter().enumerate() {
        let want = model.apply(op);
        let got = apply_to_store(store, op).map_err(|e| format!("op {i} {op:?}: {e}"))?;
        if got != want {
            return Err(format!(
                "op {i} {op:?}: store answered {got:?}, model {want:?}"
            ));
        }
    }
    let state = store_state(store)?;
    if state != model {
        return Err(format!(
            "final state differs:\nstore {state:?}\nmodel {model:?}"
        ));
    }
    let report = store.check().map_err(|e| e.to_string())?;
    if !report.is_clean() {
        return Err(format!("check failed: {:?}", report.problems));
    }
    Ok(model)
}
