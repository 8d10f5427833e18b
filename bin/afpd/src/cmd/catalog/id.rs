//! FPCreateID, FPDeleteID, FPResolveID (spec §5.6; netatalk `afp_createid`,
//! `afp_deleteid`, `afp_resolveid` in `etc/afpd/file.c`). File IDs are CNIDs.

use afp_proto::command::{CreateId, DeleteId, Reply, ResolveId};
use afp_proto::{AfpVersion, ResultCode};
use bytes::BytesMut;
use cnid::{Cnid, Kind};

use super::{asker, vol};
use crate::cmd::{AfpResult, Outcome};
use crate::session::Session;
use crate::vfs::volume::store_err;
use crate::vfs::{Obj, OpenVolume, forks_open_state, names, or_did1, sys};

fn encode(reply: &Reply) -> bytes::Bytes {
    let mut b = BytesMut::new();
    reply.encode(&mut b);
    b.freeze()
}

/// The three calls need a persistent store (netatalk answers kFPCallNotSupported
/// otherwise).
fn persistent(ov: &OpenVolume) -> AfpResult<()> {
    if ov.vol.db.is_persistent() {
        Ok(())
    } else {
        Err(ResultCode::CALL_NOT_SUPPORTED)
    }
}

/// FPCreateID: a file's ID; kFPIDExists (with the ID in the reply) when it has one —
/// which every file has once the server has seen it.
pub fn create_id(s: &mut Session, c: &CreateId) -> Outcome {
    let r = (|| -> AfpResult<(ResultCode, u32)> {
        let ov = vol(s, c.volume_id)?;
        persistent(&ov)?;
        ov.check_writable()?;
        let r = ov
            .resolve(c.dir_id, &c.path, s.version)
            .map_err(|e| or_did1(e, ResultCode::OBJECT_NOT_FOUND))?;
        if r.is_dir() {
            return Err(ResultCode::OBJECT_TYPE_ERR);
        }
        let st = match &r.stat {
            Ok(st) => *st,
            Err(libc::EPERM) | Err(libc::EACCES) => return Err(ResultCode::ACCESS_DENIED),
            Err(libc::ENOENT) => return Err(ResultCode::OBJECT_NOT_FOUND),
            Err(_) => return Err(ResultCode::PARAM_ERR),
        };
        let dev = ov.vol.cnid_dev(st.st_dev);
        if let Some(id) = ov
            .vol
            .db
            .lookup(dev, st.st_ino, r.dir.did, &r.name, Kind::File)
            .map_err(store_err)?
        {
            return Ok((ResultCode::ID_EXISTS, id.0));
        }
        let id = ov
            .vol
            .object_id(r.dir.fd(), r.dir.did, &r.name, &st, None)?;
        Ok((ResultCode::NO_ERR, id.0))
    })();
    match r {
        Ok((code, id)) => Outcome::with(code, encode(&Reply::CreateId { file_id: id })),
        Err(e) => Outcome::err(e),
    }
}

/// FPDeleteID: forgets a file's ID. Unknown → kFPIDNotFound; a directory →
/// kFPObjectTypeErr; a file that is gone → its record is dropped and kFPObjectNotFound.
pub fn delete_id(s: &mut Session, c: &DeleteId) -> AfpResult {
    let ov = vol(s, c.volume_id)?;
    persistent(&ov)?;
    ov.check_writable()?;
    let e = ov
        .vol
        .db
        .resolve(Cnid(c.file_id))
        .ok()
        .flatten()
        .ok_or(ResultCode::ID_NOT_FOUND)?;
    let mut result = Ok(Outcome::done());
    match ov.dir(e.did.0) {
        Ok(d) => match sys::stat_at(d.fd(), &e.name) {
            Ok(st) if sys::is_dir(&st) => return Err(ResultCode::OBJECT_TYPE_ERR),
            Ok(_) => {}
            Err(err) => match sys::errno(&err) {
                libc::EACCES | libc::EPERM => return Err(ResultCode::ACCESS_DENIED),
                libc::ENOENT | libc::ESTALE => result = Err(ResultCode::OBJECT_NOT_FOUND),
                _ => return Err(ResultCode::PARAM_ERR),
            },
        },
        Err(ResultCode::OBJECT_NOT_FOUND) => result = Err(ResultCode::OBJECT_NOT_FOUND),
        Err(_) => return Err(ResultCode::PARAM_ERR),
    }
    if e.kind == Kind::Dir && result.is_ok() {
        return Err(ResultCode::OBJECT_TYPE_ERR);
    }
    ov.vol.db.delete(e.id).map_err(store_err)?;
    result
}

/// FPResolveID: the file parameters of the file with this ID, wherever it is now. ID 0,
/// unknown IDs and vanished files → kFPIDNotFound; a directory's ID → kFPIDNotFound on
/// AFP 3, kFPObjectTypeErr before.
pub fn resolve_id(s: &mut Session, c: &ResolveId) -> AfpResult {
    let ov = vol(s, c.volume_id)?;
    persistent(&ov)?;
    if c.file_id == 0 {
        return Err(ResultCode::ID_NOT_FOUND);
    }
    let e = ov
        .vol
        .db
        .resolve(Cnid(c.file_id))
        .ok()
        .flatten()
        .ok_or(ResultCode::ID_NOT_FOUND)?;
    let d = ov.dir(e.did.0).map_err(|_| ResultCode::ID_NOT_FOUND)?;
    let st = sys::stat_at(d.fd(), &e.name).map_err(|err| match sys::errno(&err) {
        libc::EACCES | libc::EPERM => ResultCode::ACCESS_DENIED,
        libc::ENOENT => ResultCode::ID_NOT_FOUND,
        _ => ResultCode::PARAM_ERR,
    })?;
    if sys::is_dir(&st) || e.kind == Kind::Dir {
        return Err(if s.version >= AfpVersion::V3_0 {
            ResultCode::ID_NOT_FOUND
        } else {
            ResultCode::OBJECT_TYPE_ERR
        });
    }
    let mac = names::disk_to_mac(&e.name).ok_or(ResultCode::ID_NOT_FOUND)?;
    let m = crate::vfs::meta::read(d.fd(), &e.name);
    let o = Obj {
        dir: d.fd(),
        name: &e.name,
        mac_name: &mac,
        parent_id: d.did,
        id: e.id,
        st: &st,
        meta: &m,
        self_fd: None,
        forks_open: forks_open_state(&s.ctx.locks, ov.vol.key(), &st),
    };
    let p = ov.vol.file_params(&o, c.bitmap, asker(s))?;
    Ok(Outcome::ok(encode(&Reply::ResolveId(p))))
}
