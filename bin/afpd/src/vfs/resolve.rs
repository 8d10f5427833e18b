//! Object resolution: (directory ID, path) → the object (spec `afp-dsi.md` §2.4; netatalk
//! `dirlookup()` and `cname()` in `etc/afpd/directory.c`).
//!
//! * A directory ID is resolved through the CNID store (walked up to the root, with the
//!   per-volume directory cache) and opened with `openat2(RESOLVE_BENEATH |
//!   RESOLVE_NO_SYMLINKS)` below the volume root.
//! * Pathname elements are looked up one at a time relative to the current directory's
//!   handle (`fstatat`, `openat(O_NOFOLLOW)`), so neither ".." (not a name: an extra NUL
//!   climbs instead, and never above the root's parent) nor a symlink can leave the volume.
//! * Error codes are netatalk's: DID 0 → kFPParamErr; unknown DID → kFPObjectNotFound; a DID
//!   naming a file → kFPObjectTypeErr; a missing middle element → kFPObjectNotFound; a file
//!   or symlink in the middle → kFPParamErr; a special file → kFPDirNotFound; reserved or
//!   hidden names (`.AppleDB`, netatalk's `._` sidecars, …) → kFPParamErr; a path ending
//!   at DID 1 → [`DID1`] (each command answers its own default for it).
//! * The last element need not exist: [`Resolved::stat`] then holds the errno, for the
//!   create calls. An element in a directory the user may not search is kFPAccessDenied
//!   (netatalk's `cname` cannot enter that directory), last element or not.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::Arc;

use afp_proto::path::{Path, PathElement, PathKind};
use afp_proto::{AfpVersion, ResultCode};
use cnid::{Cnid, Kind};
use rustix::fs::{OFlags, Stat};

use super::meta::{self, Meta};
use super::names;
use super::sys;
use super::volume::{CachedDir, Volume, store_err};
use crate::cmd::AfpResult;

/// netatalk's internal "the path is DID 1" code (-4000): never sent; each command maps it
/// to its own default error (usually kFPObjectNotFound) with [`or_did1`].
pub const DID1: ResultCode = ResultCode(-4000);

/// Replaces [`DID1`] by the command's default error (netatalk's `get_afp_errno`).
pub fn or_did1(e: ResultCode, default: ResultCode) -> ResultCode {
    if e == DID1 { default } else { e }
}

/// Maps an errno from a lookup to netatalk's code (EACCES/EPERM → kFPAccessDenied, else
/// kFPObjectNotFound).
pub fn lookup_errno(e: i32) -> ResultCode {
    match e {
        libc::EACCES | libc::EPERM => ResultCode::ACCESS_DENIED,
        _ => ResultCode::OBJECT_NOT_FOUND,
    }
}

/// A directory of the volume with its handle.
#[derive(Debug, Clone)]
pub struct DirRef {
    /// Its directory ID (2 for the volume root).
    pub did: Cnid,
    /// Its parent's directory ID (1 for the volume root).
    pub parent: Cnid,
    /// Its disk name in the parent (empty for the volume root).
    pub name: Arc<[u8]>,
    /// An `O_PATH` handle on it (a lookup base; grants no access by itself).
    pub fd: Arc<OwnedFd>,
}

impl DirRef {
    /// The handle.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// True for the volume root.
    pub fn is_root(&self) -> bool {
        self.did == Cnid::ROOT
    }
}

/// The result of resolving (DID, path): where the object is and what it is.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The directory holding the object (for the volume root: the root itself).
    pub dir: DirRef,
    /// The object's disk name in `dir` (`"."` for the volume root).
    pub name: Vec<u8>,
    /// The object's client name (decomposed UTF-8; the volume name for the root).
    pub mac_name: String,
    /// `lstat` of the object, or the errno when that failed (ENOENT: it does not exist,
    /// which the create calls expect).
    pub stat: Result<Stat, i32>,
    /// The object itself when it is a directory.
    pub target: Option<DirRef>,
}

impl Resolved {
    /// True if the object exists.
    pub fn exists(&self) -> bool {
        self.stat.is_ok()
    }

    /// The stat, or the error to answer when the object could not be found or examined
    /// (ENOENT → kFPObjectNotFound, EACCES → kFPAccessDenied).
    pub fn st(&self) -> AfpResult<&Stat> {
        self.stat.as_ref().map_err(|&e| lookup_errno(e))
    }

    /// True for a directory.
    pub fn is_dir(&self) -> bool {
        self.target.is_some()
    }

    /// True for a regular file or a symlink (what AFP calls a file).
    pub fn is_file(&self) -> bool {
        matches!(&self.stat, Ok(st) if !sys::is_dir(st))
    }

    /// True for the volume root.
    pub fn is_root(&self) -> bool {
        self.target.as_ref().is_some_and(DirRef::is_root)
    }

    /// The parent directory ID (1 for the volume root).
    pub fn parent_id(&self) -> Cnid {
        if self.is_root() {
            Cnid::ROOT_PARENT
        } else {
            self.dir.did
        }
    }

    /// The CNID kind of the object.
    pub fn kind(&self) -> Kind {
        if self.is_dir() { Kind::Dir } else { Kind::File }
    }

    /// Reads the object's metadata.
    pub fn meta(&self) -> Meta {
        meta::read(self.dir.fd(), &self.name)
    }

    /// Opens the object (its data fork) with `flags` (`O_NOFOLLOW | O_CLOEXEC` are added),
    /// as the calling thread's user.
    pub fn open(&self, flags: OFlags) -> std::io::Result<std::fs::File> {
        sys::open_at(self.dir.fd(), &self.name, flags, 0).map(std::fs::File::from)
    }
}

impl Volume {
    /// The root directory as a [`DirRef`].
    pub fn root_ref(&self) -> DirRef {
        DirRef {
            did: Cnid::ROOT,
            parent: Cnid::ROOT_PARENT,
            name: Arc::from(&b""[..]),
            fd: self.root.clone(),
        }
    }

    /// Resolves a directory ID to the directory (netatalk `dirlookup`): DID 0 →
    /// kFPParamErr, unknown → kFPObjectNotFound, a file's ID → kFPObjectTypeErr. DID 1 has
    /// no directory: kFPObjectNotFound.
    pub fn dir_by_id(&self, did: Cnid) -> AfpResult<DirRef> {
        match did.0 {
            0 => return Err(ResultCode::PARAM_ERR),
            1 => return Err(ResultCode::OBJECT_NOT_FOUND),
            2 => return Ok(self.root_ref()),
            3..=16 => return Err(ResultCode::OBJECT_NOT_FOUND),
            _ => {}
        }
        for from_store in [false, true] {
            let chain = self.chain_of(did, from_store)?;
            let mut rel = Vec::new();
            for (i, (_, c)) in chain.iter().rev().enumerate() {
                if i > 0 {
                    rel.push(b'/');
                }
                rel.extend_from_slice(&c.name);
            }
            let (_, target) = &chain[0];
            match sys::open_beneath(self.root_fd(), &rel) {
                Ok(fd) => {
                    let st = sys::fstat(fd.as_fd()).map_err(|_| ResultCode::OBJECT_NOT_FOUND)?;
                    let same = self.cnid_dev(st.st_dev) == target.dev && st.st_ino == target.ino;
                    if same || from_store {
                        if !same {
                            // The store's record is stale (changed outside AFP): use what is
                            // on disk now, as netatalk does.
                            self.dircache().insert(
                                did,
                                CachedDir {
                                    dev: self.cnid_dev(st.st_dev),
                                    ino: st.st_ino,
                                    ..target.clone()
                                },
                            );
                        }
                        return Ok(DirRef {
                            did,
                            parent: target.parent,
                            name: target.name.clone(),
                            fd: Arc::new(fd),
                        });
                    }
                }
                Err(e) if matches!(sys::errno(&e), libc::EACCES | libc::EPERM) => {
                    return Err(ResultCode::ACCESS_DENIED);
                }
                Err(_) if from_store => return Err(ResultCode::OBJECT_NOT_FOUND),
                Err(_) => {}
            }
            // Stale cache: drop the chain and ask the store.
            let mut cache = self.dircache();
            for (id, _) in &chain {
                cache.remove(*id);
            }
        }
        Err(ResultCode::OBJECT_NOT_FOUND)
    }

    /// The records from `did` up to (not including) the root, from the cache or the store.
    fn chain_of(&self, did: Cnid, store_only: bool) -> AfpResult<Vec<(Cnid, CachedDir)>> {
        let mut chain: Vec<(Cnid, CachedDir)> = Vec::new();
        let mut cur = did;
        while cur != Cnid::ROOT {
            if chain.len() > 4096 || !cur.is_assignable() {
                return Err(ResultCode::OBJECT_NOT_FOUND);
            }
            let cached = if store_only {
                None
            } else {
                self.dircache().get(cur).cloned()
            };
            let c = match cached {
                Some(c) => c,
                None => {
                    let e = self
                        .db
                        .resolve(cur)
                        .map_err(store_err)?
                        .ok_or(ResultCode::OBJECT_NOT_FOUND)?;
                    if e.kind != Kind::Dir {
                        return Err(ResultCode::OBJECT_TYPE_ERR);
                    }
                    let c = CachedDir {
                        parent: e.did,
                        name: Arc::from(e.name.as_slice()),
                        dev: e.dev,
                        ino: e.ino,
                    };
                    self.dircache().insert(cur, c.clone());
                    c
                }
            };
            let next = c.parent;
            chain.push((cur, c));
            cur = next;
        }
        Ok(chain)
    }

    /// The child directory `disk` (with `st`) of `parent`, opened, with its ID.
    pub fn child_dir(&self, parent: &DirRef, disk: &[u8], st: &Stat) -> AfpResult<DirRef> {
        let fd =
            sys::open_child_dir(parent.fd(), disk).map_err(|e| lookup_errno(sys::errno(&e)))?;
        let did = self.dir_id(parent, disk, st)?;
        Ok(DirRef {
            did,
            parent: parent.did,
            name: Arc::from(disk),
            fd: Arc::new(fd),
        })
    }

    /// Records in the directory cache that `disk` (with `st`) in `parent` is directory
    /// `did` (enumerate learns IDs in bulk).
    pub fn remember_dir(&self, parent: &DirRef, disk: &[u8], st: &Stat, did: Cnid) {
        self.dircache().insert(
            did,
            CachedDir {
                parent: parent.did,
                name: Arc::from(disk),
                dev: self.cnid_dev(st.st_dev),
                ino: st.st_ino,
            },
        );
    }

    /// The ID of the directory `disk` (with `st`) in `parent`, through the cache.
    pub fn dir_id(&self, parent: &DirRef, disk: &[u8], st: &Stat) -> AfpResult<Cnid> {
        let dev = self.cnid_dev(st.st_dev);
        if let Some((did, c)) = self.dircache().by_name(parent.did, disk)
            && c.dev == dev
            && c.ino == st.st_ino
        {
            return Ok(did);
        }
        let did = self.object_id(parent.fd(), parent.did, disk, st, None)?;
        self.dircache().insert(
            did,
            CachedDir {
                parent: parent.did,
                name: Arc::from(disk),
                dev,
                ino: st.st_ino,
            },
        );
        Ok(did)
    }

    /// netatalk's `get_id`: the CNID of object `disk` in directory `parent` (handle `dir`),
    /// allocating one for a new object. The hot path (a known object) is a read of the
    /// store and no write. For a new or moved object the CNID cached in its metadata is
    /// passed as the hint, and written back when it differs (best effort: the user may not
    /// be allowed to write the object's attributes).
    pub fn object_id(
        &self,
        dir: BorrowedFd<'_>,
        parent: Cnid,
        disk: &[u8],
        st: &Stat,
        meta: Option<&Meta>,
    ) -> AfpResult<Cnid> {
        let kind = if sys::is_dir(st) {
            Kind::Dir
        } else {
            Kind::File
        };
        let dev = self.cnid_dev(st.st_dev);
        if let Some(id) = self
            .db
            .lookup(dev, st.st_ino, parent, disk, kind)
            .map_err(store_err)?
        {
            if let Some(m) = meta {
                self.write_hint(dir, disk, st, m, id);
            }
            return Ok(id);
        }
        let read;
        let m = match meta {
            Some(m) => m,
            None => {
                read = meta::read(dir, disk);
                &read
            }
        };
        let hint =
            m.md.as_ref()
                .and_then(|md| md.cnid_hint(st.st_dev, st.st_ino, self.nodev()));
        let id = self
            .db
            .add(dev, st.st_ino, parent, disk, kind, hint)
            .map_err(store_err)?;
        self.write_hint(dir, disk, st, m, id);
        Ok(id)
    }

    /// [`Volume::object_id`] for many objects of directory `dir` at once (enumerate): known
    /// objects are pure reads; all new ones are added in **one** store transaction (one
    /// durable commit instead of one per object). `metas[i]` is the metadata of `items[i]`
    /// when the caller read it.
    pub fn object_ids(
        &self,
        dir: &DirRef,
        items: &[(&[u8], &Stat)],
        metas: &[Option<&Meta>],
    ) -> AfpResult<Vec<Cnid>> {
        let mut ids = vec![Cnid::INVALID; items.len()];
        let mut misses = Vec::new();
        for (i, (name, st)) in items.iter().enumerate() {
            let kind = if sys::is_dir(st) {
                Kind::Dir
            } else {
                Kind::File
            };
            match self
                .db
                .lookup(self.cnid_dev(st.st_dev), st.st_ino, dir.did, name, kind)
                .map_err(store_err)?
            {
                Some(id) => ids[i] = id,
                None => misses.push(i),
            }
        }
        if misses.is_empty() {
            return Ok(ids);
        }
        let read: Vec<(usize, Meta)> = misses
            .iter()
            .filter(|&&i| metas.get(i).copied().flatten().is_none())
            .map(|&i| (i, meta::read(dir.fd(), items[i].0)))
            .collect();
        let meta_of = |i: usize| -> Option<&Meta> {
            metas
                .get(i)
                .copied()
                .flatten()
                .or_else(|| read.iter().find(|(j, _)| *j == i).map(|(_, m)| m))
        };
        let plan: Vec<(usize, Option<Cnid>)> = misses
            .iter()
            .map(|&i| {
                let st = items[i].1;
                let hint = meta_of(i)
                    .and_then(|m| m.md.as_ref())
                    .and_then(|md| md.cnid_hint(st.st_dev, st.st_ino, self.nodev()));
                (i, hint)
            })
            .collect();
        let added = super::volume::db_call!(&self.db, s => s.batch(|b| {
            plan.iter()
                .map(|&(i, hint)| {
                    let (name, st) = items[i];
                    let kind = if sys::is_dir(st) {
                        Kind::Dir
                    } else {
                        Kind::File
                    };
                    b.add(self.cnid_dev(st.st_dev), st.st_ino, dir.did, name, kind, hint)
                })
                .collect::<Result<Vec<Cnid>, _>>()
        }))
        .map_err(store_err)?;
        for (&(i, _), id) in plan.iter().zip(added) {
            ids[i] = id;
            if let Some(m) = meta_of(i) {
                let (name, st) = items[i];
                self.write_hint(dir.fd(), name, st, m, id);
            }
        }
        Ok(ids)
    }

    /// Writes `id` into the metadata's CNID cache when the metadata exists and caches
    /// something else (netatalk `get_id` → `ad_setid`).
    fn write_hint(&self, dir: BorrowedFd<'_>, disk: &[u8], st: &Stat, m: &Meta, id: Cnid) {
        let Some(md) = &m.md else { return };
        if md.cnid_hint(st.st_dev, st.st_ino, self.nodev()) == Some(id) {
            return;
        }
        let mut md = md.clone();
        md.set_cnid(st.st_dev, st.st_ino, id, self.db.stamp(), self.nodev());
        if let Err(e) = meta::write(dir, disk, &md) {
            tracing::debug!(
                name = %String::from_utf8_lossy(disk),
                "cannot update the CNID cached in the metadata: {e}"
            );
        }
    }

    /// Resolves (`did`, `path`) for a session of `version` on a volume shown as
    /// `vol_name` (see the module docs for the rules and error codes).
    pub fn resolve(
        &self,
        did: u32,
        path: &Path,
        version: AfpVersion,
        vol_name: &str,
    ) -> AfpResult<Resolved> {
        names::check_path_kind(path.kind, version)?;
        enum Cur {
            RootParent,
            Dir(DirRef),
        }
        let mut cur = match did {
            0 => return Err(ResultCode::PARAM_ERR),
            1 => Cur::RootParent,
            _ => Cur::Dir(self.dir_by_id(Cnid(did))?),
        };
        // The parent of `cur` when we walked into it by name (saves a lookup at the end).
        let mut prev: Option<DirRef> = None;
        let mut elems = path.elements().peekable();
        while let Some(el) = elems.next() {
            let more = elems.peek().is_some();
            match el {
                PathElement::Parent => {
                    cur = match cur {
                        // netatalk: dirlookup(0) → kFPParamErr.
                        Cur::RootParent => return Err(ResultCode::PARAM_ERR),
                        Cur::Dir(d) if d.is_root() => Cur::RootParent,
                        Cur::Dir(d) => Cur::Dir(self.dir_by_id(d.parent)?),
                    };
                    prev = None;
                }
                PathElement::Name(bytes) => {
                    let mac = names::element_to_mac(path.kind, bytes)?;
                    let d = match &cur {
                        Cur::RootParent => {
                            // The root's parent has one child: the volume.
                            if names::decompose_eq(&mac, vol_name) {
                                prev = None;
                                cur = Cur::Dir(self.root_ref());
                                continue;
                            }
                            return Err(ResultCode::OBJECT_NOT_FOUND);
                        }
                        Cur::Dir(d) => d.clone(),
                    };
                    let mut disk = names::mac_to_disk(&mac)?;
                    if self.hidden.hides(d.fd(), &disk, d.is_root()) {
                        return Err(ResultCode::PARAM_ERR);
                    }
                    let mut stat = sys::stat_at(d.fd(), &disk);
                    if let Err(e) = &stat
                        && sys::errno(e) == libc::ENOENT
                        && let Some(real) = self.demangle(&d, bytes, path.kind)
                    {
                        disk = real;
                        stat = sys::stat_at(d.fd(), &disk);
                    }
                    match stat {
                        Ok(st) if sys::is_dir(&st) => {
                            let child = self.child_dir(&d, &disk, &st)?;
                            prev = Some(d);
                            cur = Cur::Dir(child);
                        }
                        Ok(st) if sys::is_reg(&st) || sys::is_symlink(&st) => {
                            if more {
                                return Err(ResultCode::PARAM_ERR);
                            }
                            let mac_name = names::disk_to_mac(&disk).unwrap_or(mac);
                            return Ok(Resolved {
                                dir: d,
                                name: disk,
                                mac_name,
                                stat: Ok(st),
                                target: None,
                            });
                        }
                        Ok(_) => return Err(ResultCode::DIR_NOT_FOUND),
                        Err(e) => {
                            let errno = sys::errno(&e);
                            // A directory the user may not search: netatalk's cname() cannot
                            // chdir into it and fails with kFPAccessDenied, last element or not.
                            if more || matches!(errno, libc::EACCES | libc::EPERM) {
                                return Err(lookup_errno(errno));
                            }
                            return Ok(Resolved {
                                dir: d,
                                name: disk,
                                mac_name: mac,
                                stat: Err(errno),
                                target: None,
                            });
                        }
                    }
                }
            }
        }
        let Cur::Dir(target) = cur else {
            return Err(DID1);
        };
        self.resolved_dir(target, prev, vol_name)
    }

    /// The [`Resolved`] for a directory itself.
    pub fn resolved_dir(
        &self,
        target: DirRef,
        parent: Option<DirRef>,
        vol_name: &str,
    ) -> AfpResult<Resolved> {
        let st = sys::fstat(target.fd()).map_err(|e| lookup_errno(sys::errno(&e)))?;
        if target.is_root() {
            return Ok(Resolved {
                dir: target.clone(),
                name: b".".to_vec(),
                mac_name: vol_name.to_owned(),
                stat: Ok(st),
                target: Some(target),
            });
        }
        let parent = match parent {
            Some(p) if p.did == target.parent => p,
            _ => self.dir_by_id(target.parent)?,
        };
        let mac_name = names::disk_to_mac(&target.name)
            .unwrap_or_else(|| String::from_utf8_lossy(&target.name).into_owned());
        Ok(Resolved {
            dir: parent,
            name: target.name.to_vec(),
            mac_name,
            stat: Ok(st),
            target: Some(target),
        })
    }

    /// A name the client sent that looks mangled (spec §9.3): the real disk name of the
    /// object whose CNID it carries, if that object lives in `dir`.
    fn demangle(&self, dir: &DirRef, bytes: &[u8], kind: PathKind) -> Option<Vec<u8>> {
        use afp_proto::name;
        let m = name::parse_mangled(bytes)?;
        let e = self.db.resolve(Cnid(m.cnid)).ok()??;
        if e.did != dir.did {
            return None;
        }
        // Only the exact mangled form of the object's real name counts (netatalk compares
        // it too): the 31-byte long name, or the UTF-8 name past 255 bytes.
        let mac = names::disk_to_mac(&e.name)?;
        let long = name::to_long_name(&mac, m.cnid);
        let ok = match kind {
            PathKind::Long => bytes == long.as_slice(),
            _ => {
                bytes == name::to_utf8_name(&mac, m.cnid).as_bytes()
                    || bytes == name::long_name_to_utf8(&long).as_bytes()
            }
        };
        let mangled = name::utf8_to_long_name(&mac).is_err() || mac.len() > name::UTF8_NAME_MAX;
        (ok && mangled).then_some(e.name)
    }
}
