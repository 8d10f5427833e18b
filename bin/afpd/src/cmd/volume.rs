//! Volume commands (spec `afp-dsi.md` §4.1, §4.2, §5.1 FPGetSrvrParms, §5.2; netatalk
//! `etc/afpd/volume.c`): FPGetSrvrParms, FPOpenVol, FPCloseVol, FPGetVolParms,
//! FPSetVolParms, FPFlush.

use std::sync::Arc;

use afp_proto::command::{
    CloseVol, Flush, GetVolParms, OpenVol, Reply, Request, ServerParms, SetVolParms, VolumeEntry,
};
use afp_proto::params::{VolumeAttributes, VolumeBitmap, VolumeParams};
use afp_proto::{AfpDate, AfpVersion, ResultCode, name};
use bytes::{Bytes, BytesMut};
use cnid::appledouble::FileDates;

use super::{AfpResult, Outcome, finish};
use crate::config::ResolvedVolume;
use crate::session::Session;
use crate::vfs::{OpenVolume, meta, params::access_rights};

/// netatalk's cap on the FPGetSrvrParms reply (`REPLY_PARAM_MAXLEN`-ish: it stops adding
/// volumes before the reply passes ~4600 bytes).
const SRVR_PARMS_MAX: usize = 4600;

/// Longest volume name in the legacy encoding (spec §2.3).
const VOL_NAME_MAX_LEGACY: usize = 27;

/// Answers the volume calls; `None` for everything else.
pub fn dispatch(s: &mut Session, req: &Request) -> Option<Outcome> {
    Some(finish(match req {
        Request::GetSrvrParms(_) => get_srvr_parms(s),
        Request::OpenVol(c) => open_vol(s, c),
        Request::CloseVol(c) => close_vol(s, c),
        Request::GetVolParms(c) => get_vol_parms(s, c),
        Request::SetVolParms(c) => set_vol_parms(s, c),
        Request::Flush(c) => flush(s, c),
        _ => return None,
    }))
}

fn encode(reply: &Reply) -> Bytes {
    let mut b = BytesMut::new();
    reply.encode(&mut b);
    b.freeze()
}

/// The clock seam of the volume commands (FPGetSrvrParms' server time).
#[allow(clippy::disallowed_methods)]
fn now() -> AfpDate {
    AfpDate::from_system_time(std::time::SystemTime::now())
}

/// The session's volume list (computed once per session so volume IDs stay stable).
pub(crate) fn session_volumes(s: &mut Session) -> AfpResult<Vec<Arc<ResolvedVolume>>> {
    if let Some(list) = s.volumes.list() {
        return Ok(list.to_vec());
    }
    let user = s.user.as_ref().ok_or(ResultCode::USER_NOT_AUTH)?;
    let res = s.config.volumes_for(user, s.client);
    for sk in &res.skipped {
        tracing::debug!(section = %sk.section, reason = ?sk.reason, "volume not offered");
    }
    Ok(s.volumes.set_list(res.volumes).to_vec())
}

/// The volume name as the client sees it in FPGetSrvrParms and FPOpenVol: decomposed UTF-8
/// on AFP 3, MacRoman (at most 27 bytes) before.
fn wire_volume_name(name: &str, version: AfpVersion) -> Vec<u8> {
    if version.is_afp3() {
        let mut n = name::decompose(name).into_bytes();
        n.truncate(255);
        n
    } else {
        legacy_volume_name(name)
    }
}

/// The volume name in MacRoman, characters it lacks as '?', cut to 27 bytes.
fn legacy_volume_name(name: &str) -> Vec<u8> {
    let mut out: Vec<u8> = name::precompose(name)
        .chars()
        .map(|c| name::char_to_mac_roman(c).unwrap_or(b'?'))
        .collect();
    out.truncate(VOL_NAME_MAX_LEGACY);
    out
}

/// FPGetSrvrParms: the volumes this user may use from this client and can read and search
/// (netatalk checks the volume root's permissions for the user), with the password and
/// UNIX-privileges flags.
fn get_srvr_parms(s: &mut Session) -> AfpResult {
    let vols = session_volumes(s)?;
    let user = s.user.clone();
    let mut entries = Vec::new();
    let mut size = 5;
    for v in &vols {
        if v.stat_vol {
            // netatalk: `stat` the root as the user; skip what is missing, not a directory,
            // or lacks read and search for this user.
            let Ok(md) = std::fs::metadata(&v.path) else {
                continue;
            };
            if !md.is_dir() {
                continue;
            }
            let Ok(st) = rustix::fs::stat(&v.path) else {
                continue;
            };
            let user_bits = access_rights(&st, user.as_ref()).bits() >> 24;
            if user_bits & 0x03 != 0x03 {
                continue;
            }
        }
        let name = wire_volume_name(&v.name, s.version);
        if size + 2 + name.len() > SRVR_PARMS_MAX || entries.len() == 255 {
            break;
        }
        size += 2 + name.len();
        let mut flags = 0;
        if v.password.is_some() {
            flags |= VolumeEntry::HAS_PASSWORD;
        }
        if s.version.is_afp3() && v.unix_priv {
            flags |= VolumeEntry::HAS_UNIX_PRIVS;
        }
        entries.push(VolumeEntry {
            flags,
            name: Bytes::from(name),
        });
    }
    Ok(Outcome::ok(encode(&Reply::GetSrvrParms(ServerParms {
        server_time: now(),
        volumes: entries,
    }))))
}

/// Checks a volume bitmap as netatalk's `getvolparams` does (unknown bits → kFPBitmapErr).
fn check_bitmap(bitmap: VolumeBitmap, version: AfpVersion) -> AfpResult<()> {
    bitmap.check(version).map_err(|_| ResultCode::BITMAP_ERR)
}

/// FPOpenVol: the bitmap must ask for the volume ID; the name is matched case-insensitively;
/// a volume password is checked; the shared volume (CNID store) is opened on first use;
/// opening an open volume answers its parameters again.
fn open_vol(s: &mut Session, c: &OpenVol) -> AfpResult {
    // spec §4.1: "FPOpenVol's bitmap must include this bit ([N]: else kFPBitmapErr)".
    if !c.bitmap.contains(VolumeBitmap::VOLUME_ID) {
        return Err(ResultCode::BITMAP_ERR);
    }
    check_bitmap(c.bitmap, s.version)?;
    let wanted = if s.version.is_afp3() {
        std::str::from_utf8(&c.name)
            .map(name::decompose)
            .map_err(|_| ResultCode::MISC_ERR)?
    } else {
        name::long_name_to_utf8(&c.name)
    };
    let vols = session_volumes(s)?;
    let wanted = wanted.to_lowercase();
    let (idx, cfg) = vols
        .iter()
        .enumerate()
        .find(|(_, v)| name::decompose(&v.name).to_lowercase() == wanted)
        .ok_or(ResultCode::OBJECT_NOT_FOUND)?;
    if let Some(pw) = &cfg.password {
        let mut want = [0u8; 8];
        let n = pw.len().min(8);
        want[..n].copy_from_slice(&pw.as_bytes()[..n]);
        // netatalk: strncmp over 8 bytes: the client pads with NULs.
        let given = c.password.unwrap_or([0; 8]);
        let end = |b: &[u8; 8]| b.iter().position(|&x| x == 0).unwrap_or(8);
        if given[..end(&given)] != want[..end(&want)] {
            return Err(ResultCode::ACCESS_DENIED);
        }
    }
    let vid = u16::try_from(idx + 1).map_err(|_| ResultCode::MISC_ERR)?;
    if s.volumes.try_get(vid).is_none() {
        let vol = s.ctx.volumes.open(cfg, &s.ctx.root)?;
        s.volumes.insert(OpenVolume {
            vid,
            vol,
            cfg: cfg.clone(),
        });
    }
    let ov = s.volumes.get(vid)?.clone();
    let p = volume_params(s, &ov, c.bitmap)?;
    Ok(Outcome::ok(encode(&Reply::OpenVol(p))))
}

/// The volume attributes netatalk reports (spec §4.2).
fn attributes(s: &Session, ov: &OpenVolume) -> VolumeAttributes {
    let v = s.version;
    let cfg = &ov.cfg;
    let mut a = VolumeAttributes::empty();
    if cfg.read_only {
        a |= VolumeAttributes::READ_ONLY;
    }
    // netatalk: from AFP 2.1 on (every version we speak).
    if ov.vol.db.is_persistent() {
        a |= VolumeAttributes::SUPPORTS_FILE_IDS;
    }
    if catsearch_supported() {
        a |= VolumeAttributes::SUPPORTS_CAT_SEARCH;
    }
    if v.is_afp3() {
        a |= VolumeAttributes::SUPPORTS_UTF8_NAMES;
        if cfg.unix_priv {
            a |= VolumeAttributes::SUPPORTS_UNIX_PRIVS;
        }
        if cfg.time_machine {
            a |= VolumeAttributes::SUPPORTS_TM_LOCK_STEAL;
        }
        // netatalk 3.1 sets it unless an LDAP/UUID mapping is configured (we have none).
        a |= VolumeAttributes::NO_NETWORK_USER_IDS;
        if v >= AfpVersion::V3_2 {
            if ext_attrs_enabled(cfg) {
                a |= VolumeAttributes::SUPPORTS_EXT_ATTRS;
            }
            if cfg.case_sensitive {
                a |= VolumeAttributes::CASE_SENSITIVE;
            }
        }
    }
    a
}

/// Whether FPCatSearch is implemented (kSupportsCatSearch).
pub(crate) fn catsearch_supported() -> bool {
    super::catalog::CATSEARCH_SUPPORTED
}

/// Whether client extended attributes are stored (`ea` other than `none`).
pub(crate) fn ext_attrs_enabled(cfg: &ResolvedVolume) -> bool {
    cfg.ea != crate::config::EaMode::None
}

/// The volume parameters for `bitmap` (netatalk `getvolparams`).
fn volume_params(s: &Session, ov: &OpenVolume, bitmap: VolumeBitmap) -> AfpResult<VolumeParams> {
    check_bitmap(bitmap, s.version)?;
    let root_st = rustix::fs::fstat(ov.vol.root_fd()).map_err(|_| ResultCode::MISC_ERR)?;
    let root_meta = meta::read(ov.vol.root_fd(), b".");
    let mut p = VolumeParams {
        attributes: Some(attributes(s, ov)),
        signature: Some(2),
        create_date: Some(root_meta.create_date(&root_st)),
        mod_date: Some(AfpDate::from_unix(root_st.st_mtime)),
        backup_date: Some(root_meta.backup_date()),
        volume_id: Some(ov.vid),
        name: Some(Bytes::from(legacy_volume_name(&ov.cfg.name))),
        ..VolumeParams::default()
    };
    let space_bits = VolumeBitmap::BYTES_FREE
        | VolumeBitmap::BYTES_TOTAL
        | VolumeBitmap::EXT_BYTES_FREE
        | VolumeBitmap::EXT_BYTES_TOTAL
        | VolumeBitmap::BLOCK_SIZE;
    if bitmap.intersects(space_bits) {
        let (total, free, bsize) = ov.vol.space()?;
        // spec §4.1: capped at 0xFFFFFFFF (0x7FFFFFFF for AFP < 2.2).
        let cap = if s.version >= AfpVersion::V2_2 {
            u64::from(u32::MAX)
        } else {
            0x7FFF_FFFF
        };
        p.bytes_free = Some(free.min(cap) as u32);
        p.bytes_total = Some(total.min(cap) as u32);
        p.ext_bytes_free = Some(free);
        p.ext_bytes_total = Some(total);
        p.block_size = Some(bsize);
    }
    Ok(p.masked(bitmap))
}

/// FPCloseVol: closes the session's forks on the volume, then the volume.
fn close_vol(s: &mut Session, c: &CloseVol) -> AfpResult {
    s.volumes.get(c.volume_id)?;
    for fork in s.forks.take_volume(c.volume_id) {
        drop(fork);
    }
    s.volumes.remove(c.volume_id);
    Ok(Outcome::done())
}

/// FPGetVolParms.
fn get_vol_parms(s: &mut Session, c: &GetVolParms) -> AfpResult {
    let ov = s.volumes.get(c.volume_id)?.clone();
    let p = volume_params(s, &ov, c.bitmap)?;
    Ok(Outcome::ok(encode(&Reply::GetVolParms(p))))
}

/// FPSetVolParms: only the backup date (bitmap exactly 0x0010), stored in the volume
/// root's metadata as netatalk does.
fn set_vol_parms(s: &mut Session, c: &SetVolParms) -> AfpResult {
    // spec §5.2: "u16 Bitmap (must be exactly 0x0010)"; other bits → kFPBitmapErr.
    if c.bitmap != VolumeBitmap::BACKUP_DATE {
        return Err(ResultCode::BITMAP_ERR);
    }
    let ov = s.volumes.get(c.volume_id)?.clone();
    ov.check_writable()?;
    let p = c.decode_params().map_err(|e| e.result_code())?;
    let date = p.backup_date.ok_or(ResultCode::PARAM_ERR)?;
    let root = ov.vol.root_fd();
    let st = rustix::fs::fstat(root).map_err(|_| ResultCode::MISC_ERR)?;
    let mut md = meta::read(root, b".")
        .md
        .unwrap_or_else(|| meta::fresh(&st, false));
    md.dates.backup = date.0;
    if md.dates.create == 0 && md.dates.modify == 0 {
        md.dates = FileDates {
            backup: date.0,
            ..meta::fresh(&st, false).dates
        };
    }
    meta::write(root, b".", &md).map_err(|e| super::errno_result(&e))?;
    Ok(Outcome::done())
}

/// FPFlush: like netatalk's `of_flush`, brings every fork this session has open on the
/// volume to stable storage (sidecar headers, modification dates, fsync).
fn flush(s: &mut Session, c: &Flush) -> AfpResult {
    s.volumes.get(c.volume_id)?;
    super::fork::flush_volume(s, c.volume_id);
    Ok(Outcome::done())
}
