//! FPCatSearch, FPCatSearchExt (spec §5.13; netatalk `etc/afpd/catsearch.c`): a walk of
//! the volume tree matching the two specifications.
//!
//! Like netatalk: the request bitmap's low word selects criteria in file/directory bitmap
//! order (attributes, parent ID, dates, Finder info, long name, offspring count, UTF-8
//! name; bit 31 asks for a partial, case-insensitive name match); specification 1 holds the
//! values or lower bounds, specification 2 the masks or upper bounds. Objects whose kind
//! has a zero result bitmap are not searched. A call returns at most ReqMatches records and
//! pauses once about 448 bytes of records are collected, answering kFPNoErr with a position
//! the client sends back to continue; the end of the tree is kFPEOFErr (with the last
//! records). A position the server did not hand out is kFPCatalogChanged.

use std::os::fd::AsFd;

use afp_proto::command::{CatSearch, CatSearchExt, CatSearchReply, EntryLength};
use afp_proto::params::{DirBitmap, FileBitmap, FileDirParams};
use afp_proto::{AfpDate, ResultCode, name};
use bytes::{Bytes, BytesMut};
use cnid::Cnid;
use rustix::fs::Stat;

use super::asker;
use crate::cmd::{AfpResult, Outcome};
use crate::session::Session;
use crate::vfs::meta::{self, Meta};
use crate::vfs::{CatSearchCursor, Obj, OpenVolume, forks_open_state, names, sys};

/// netatalk pauses a search once this many bytes of records are collected.
const PAUSE_BYTES: usize = 448;
/// Entries looked at per call at most (netatalk pauses after a few seconds of work).
const MAX_VISITS: usize = 20_000;
/// Bit 31 of the request bitmap: partial name match.
const PARTIAL: u32 = 0x8000_0000;

/// FPCatSearch.
pub fn cat_search(s: &mut Session, c: &CatSearch) -> AfpResult {
    run(
        s,
        Args {
            vid: c.volume_id,
            req_matches: c.req_matches,
            position: c.position,
            file_bitmap: c.file_bitmap,
            dir_bitmap: c.dir_bitmap,
            req_bitmap: c.req_bitmap,
            spec1: &c.spec1,
            spec2: &c.spec2,
            form: EntryLength::Short,
        },
    )
}

/// FPCatSearchExt.
pub fn cat_search_ext(s: &mut Session, c: &CatSearchExt) -> AfpResult {
    run(
        s,
        Args {
            vid: c.volume_id,
            req_matches: c.req_matches,
            position: c.position,
            file_bitmap: c.file_bitmap,
            dir_bitmap: c.dir_bitmap,
            req_bitmap: c.req_bitmap,
            spec1: &c.spec1,
            spec2: &c.spec2,
            form: EntryLength::Long,
        },
    )
}

struct Args<'a> {
    vid: u16,
    req_matches: u32,
    position: [u8; 16],
    file_bitmap: FileBitmap,
    dir_bitmap: DirBitmap,
    req_bitmap: u32,
    spec1: &'a Bytes,
    spec2: &'a Bytes,
    form: EntryLength,
}

/// One specification, decoded per the request bitmap.
#[derive(Debug, Default, Clone)]
struct Spec {
    attr: u16,
    parent: u32,
    cdate: i32,
    mdate: i32,
    bdate: i32,
    finder: [u8; 32],
    /// The name (decomposed, lower case), from the long name or the UTF-8 name.
    name: Option<String>,
}

/// A cursor over a specification's bytes (all reads checked).
struct Cur<'a> {
    b: &'a [u8],
    at: usize,
}

impl Cur<'_> {
    fn take(&mut self, n: usize) -> AfpResult<&[u8]> {
        let end = self.at.checked_add(n).ok_or(ResultCode::PARAM_ERR)?;
        let v = self.b.get(self.at..end).ok_or(ResultCode::PARAM_ERR)?;
        self.at = end;
        Ok(v)
    }
    fn u16(&mut self) -> AfpResult<u16> {
        let v = self.take(2)?;
        Ok(u16::from_be_bytes([v[0], v[1]]))
    }
    fn u32(&mut self) -> AfpResult<u32> {
        let v = self.take(4)?;
        Ok(u32::from_be_bytes([v[0], v[1], v[2], v[3]]))
    }
}

/// Decodes a specification (spec §5.13; netatalk `catsearch_afp`).
fn parse_spec(b: &[u8], req: u32, long_names: bool) -> AfpResult<Spec> {
    let mut c = Cur { b, at: 0 };
    let mut s = Spec::default();
    let has = |bit: u32| req & (1 << bit) != 0;
    if has(0) {
        s.attr = c.u16()?;
    }
    if has(1) {
        s.parent = c.u32()?;
    }
    if has(2) {
        s.cdate = c.u32()? as i32;
    }
    if has(3) {
        s.mdate = c.u32()? as i32;
    }
    if has(4) {
        s.bdate = c.u32()? as i32;
    }
    if has(5) {
        s.finder.copy_from_slice(c.take(32)?);
    }
    if has(6) {
        let off = usize::from(c.u16()?);
        if long_names {
            let len = usize::from(*b.get(off).ok_or(ResultCode::PARAM_ERR)?);
            let raw = b.get(off + 1..off + 1 + len).ok_or(ResultCode::PARAM_ERR)?;
            s.name = Some(fold(&name::long_name_to_utf8(raw)));
        }
    }
    if has(9) {
        // Offspring count (u16 in netatalk's parser); not used as a criterion.
        c.u16()?;
    }
    if has(13) {
        let off = usize::from(c.u16()?);
        if long_names {
            // A UTF-8 name: hint (4), length (2), bytes, reached through the offset.
            let mut n = Cur { b, at: off };
            n.take(4)?;
            let len = usize::from(n.u16()?).min(names::ELEMENT_MAX);
            let raw = n.take(len)?;
            let text = std::str::from_utf8(raw).map_err(|_| ResultCode::PARAM_ERR)?;
            s.name = Some(fold(text));
        }
    }
    Ok(s)
}

/// The form names are compared in: decomposed, lower case.
fn fold(s: &str) -> String {
    name::decompose(s).to_lowercase()
}

/// netatalk's Finder-info criteria: type, creator, flags and label.
fn finder_parts(fi: &[u8; 32]) -> ([u8; 4], [u8; 4], u16, u16) {
    let flags = u16::from_be_bytes([fi[8], fi[9]]);
    (
        [fi[0], fi[1], fi[2], fi[3]],
        [fi[4], fi[5], fi[6], fi[7]],
        flags & !0x000e,
        flags & 0x000e,
    )
}

fn run(s: &mut Session, a: Args<'_>) -> AfpResult {
    let ov = s
        .volumes
        .get(a.vid)
        .map_err(|_| ResultCode::ACCESS_DENIED)?
        .clone();
    if a.file_bitmap.is_empty() && a.dir_bitmap.is_empty() {
        return Err(ResultCode::BITMAP_ERR);
    }
    let c1 = parse_spec(a.spec1, a.req_bitmap, true)?;
    let c2 = parse_spec(a.spec2, a.req_bitmap, false)?;
    let token_in = u32::from_be_bytes([a.position[0], a.position[1], a.position[2], a.position[3]]);
    let mut cur = match s.volumes.catsearch.take() {
        Some(c) if token_in != 0 && c.vid == a.vid && c.token == token_in => c,
        _ if token_in != 0 => return Err(ResultCode::CATALOG_CHANGED),
        _ => CatSearchCursor {
            vid: a.vid,
            token: 0,
            pending: vec![Cnid::ROOT],
            current: None,
        },
    };
    let crit = Criteria {
        req: a.req_bitmap,
        c1,
        c2,
        files: !a.file_bitmap.is_empty(),
        dirs: !a.dir_bitmap.is_empty(),
    };
    let mut entries: Vec<FileDirParams> = Vec::new();
    let mut bytes = 0usize;
    let mut visits = 0usize;
    let mut remaining = a.req_matches.max(1);
    let mut paused = false;
    'walk: loop {
        let (did, names_list, mut idx) = match cur.current.take() {
            Some(c) => c,
            None => {
                let Some(did) = cur.pending.pop() else {
                    break 'walk;
                };
                let Ok(d) = ov.vol.dir_by_id(did) else {
                    continue;
                };
                let Ok(list) = sys::read_dir(d.fd()) else {
                    // netatalk skips directories it may not read.
                    continue;
                };
                let listed = list
                    .into_iter()
                    .map(|(n, _)| n)
                    .filter(|n| !ov.vol.hidden.hides(d.fd(), n, did == Cnid::ROOT))
                    .collect();
                (did, listed, 0)
            }
        };
        let Ok(dir) = ov.vol.dir_by_id(did) else {
            continue;
        };
        while idx < names_list.len() {
            let disk = &names_list[idx];
            idx += 1;
            visits += 1;
            let Ok(st) = sys::stat_at(dir.fd(), disk) else {
                continue;
            };
            let is_dir = sys::is_dir(&st);
            if !is_dir && !sys::is_reg(&st) && !sys::is_symlink(&st) {
                continue;
            }
            let Some(mac) = names::disk_to_mac(disk) else {
                continue;
            };
            let id = if is_dir {
                let child = ov.vol.dir_id(&dir, disk, &st)?;
                cur.pending.push(child);
                child
            } else {
                Cnid::INVALID
            };
            let m = meta::read(dir.fd(), disk);
            if !crit.matches(&ov, is_dir, &mac, &st, &m, dir.did) {
                if visits >= MAX_VISITS {
                    cur.current = Some((did, names_list, idx));
                    paused = true;
                    break 'walk;
                }
                continue;
            }
            let entry = if is_dir {
                let child_fd = sys::open_child_dir(dir.fd(), disk).ok();
                let o = Obj {
                    dir: dir.fd(),
                    name: disk,
                    mac_name: &mac,
                    parent_id: dir.did,
                    id,
                    st: &st,
                    meta: &m,
                    self_fd: child_fd.as_ref().map(|f| f.as_fd()),
                    forks_open: (false, false),
                };
                FileDirParams::Dir(ov.vol.dir_params(&o, a.dir_bitmap, asker(s))?)
            } else {
                let id = ov.vol.object_id(dir.fd(), dir.did, disk, &st, Some(&m))?;
                let o = Obj {
                    dir: dir.fd(),
                    name: disk,
                    mac_name: &mac,
                    parent_id: dir.did,
                    id,
                    st: &st,
                    meta: &m,
                    self_fd: None,
                    forks_open: forks_open_state(&s.ctx.locks, ov.vol.key(), &st),
                };
                FileDirParams::File(ov.vol.file_params(&o, a.file_bitmap, asker(s))?)
            };
            bytes += entry.encoded_len() + a.form.header_len();
            entries.push(entry);
            remaining -= 1;
            if remaining == 0 || bytes >= PAUSE_BYTES || visits >= MAX_VISITS {
                cur.current = Some((did, names_list, idx));
                paused = true;
                break 'walk;
            }
        }
    }
    let mut position = [0u8; 16];
    let result = if paused {
        cur.token = cur.token.wrapping_add(1).max(1);
        position[0..4].copy_from_slice(&cur.token.to_be_bytes());
        s.volumes.catsearch = Some(cur);
        ResultCode::NO_ERR
    } else {
        ResultCode::EOF_ERR
    };
    let reply = CatSearchReply {
        position,
        file_bitmap: a.file_bitmap,
        dir_bitmap: a.dir_bitmap,
        entries,
    };
    let mut b = BytesMut::new();
    reply.encode(&mut b, a.form);
    Ok(Outcome::with(result, b.freeze()))
}

/// The decoded criteria of one search.
struct Criteria {
    req: u32,
    c1: Spec,
    c2: Spec,
    files: bool,
    dirs: bool,
}

impl Criteria {
    fn has(&self, bit: u32) -> bool {
        self.req & (1 << bit) != 0
    }

    /// netatalk `crit_check`.
    fn matches(
        &self,
        ov: &OpenVolume,
        is_dir: bool,
        mac: &str,
        st: &Stat,
        m: &Meta,
        parent: Cnid,
    ) -> bool {
        if (is_dir && !self.dirs) || (!is_dir && !self.files) {
            return false;
        }
        if (self.has(6) || self.has(13))
            && let Some(want) = &self.c1.name
        {
            let have = fold(mac);
            let ok = if self.req & PARTIAL != 0 {
                have.contains(want.as_str())
            } else {
                &have == want
            };
            if !ok {
                return false;
            }
        }
        if self.has(1) && self.c1.parent != 0 && parent.0 != self.c1.parent {
            return false;
        }
        let in_range = |v: i32, lo: i32, hi: i32| v >= lo && v <= hi;
        let mtime = AfpDate::from_unix(st.st_mtime).0;
        if self.has(3) && !in_range(mtime, self.c1.mdate, self.c2.mdate) {
            return false;
        }
        if self.has(2) {
            let c = m.md.as_ref().map_or(mtime, |md| md.dates.create);
            if !in_range(c, self.c1.cdate, self.c2.cdate) {
                return false;
            }
        }
        if self.has(4) {
            let b = m.md.as_ref().map_or(mtime, |md| md.dates.backup);
            if !in_range(b, self.c1.bdate, self.c2.bdate) {
                return false;
            }
        }
        if self.has(0) && self.c2.attr != 0 {
            // netatalk: an object without metadata never matches attribute criteria.
            let Some(md) = &m.md else { return false };
            if meta::attributes(md, is_dir) & self.c2.attr != self.c1.attr {
                return false;
            }
        }
        if self.has(5) {
            let fi = m.finder_info(st, ov.vol.invisible_dot(mac.as_bytes()));
            let (t, c, flags, label) = finder_parts(&fi);
            let (t1, c1, f1, l1) = finder_parts(&self.c1.finder);
            let (t2, c2, f2, l2) = finder_parts(&self.c2.finder);
            if t2 != [0; 4] && t != t1 {
                return false;
            }
            if c2 != [0; 4] && c != c1 {
                return false;
            }
            if f2 != 0 && flags & f2 != f1 {
                return false;
            }
            if l2 != 0 && label & l2 != l1 {
                return false;
            }
        }
        true
    }
}
