//! proptest strategies for every AFP request and reply (shared by the integration tests).
#![allow(dead_code, unreachable_pub)]

use afp_proto::command::*;
use afp_proto::params::*;
use afp_proto::status::{NetworkAddress, ServerFlags, ServerStatus};
use afp_proto::{AfpDate, AfpName, AfpVersion, Path, PathKind};
use bytes::Bytes;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::Union;

pub fn bytes(max: usize) -> impl Strategy<Value = Bytes> {
    vec(any::<u8>(), 0..=max).prop_map(Bytes::from)
}

pub fn path() -> impl Strategy<Value = Path> {
    prop_oneof![
        (bytes(255), any::<bool>()).prop_map(|(name, short)| Path {
            kind: if short {
                PathKind::Short
            } else {
                PathKind::Long
            },
            name,
        }),
        (any::<u32>(), bytes(300)).prop_map(|(hint, name)| Path {
            kind: PathKind::Utf8 { hint },
            name,
        }),
    ]
}

pub fn afp_name(max: usize) -> impl Strategy<Value = AfpName> {
    (any::<u32>(), bytes(max)).prop_map(|(hint, name)| AfpName { hint, name })
}

fn date() -> impl Strategy<Value = AfpDate> {
    any::<i32>().prop_map(AfpDate)
}

fn unix_privs() -> impl Strategy<Value = UnixPrivs> {
    (any::<u32>(), any::<u32>(), any::<u32>(), any::<u32>()).prop_map(|(uid, gid, p, ua)| {
        UnixPrivs {
            uid,
            gid,
            permissions: p,
            ua_permissions: AccessRights::from_bits_retain(ua),
        }
    })
}

fn finder_info() -> impl Strategy<Value = FinderInfo> {
    any::<[u8; 32]>().prop_map(FinderInfo)
}

/// Some(value) iff `on`.
fn when<T: std::fmt::Debug + Clone + 'static>(
    on: bool,
    s: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<Option<T>> {
    if on {
        s.prop_map(Some).boxed()
    } else {
        Just(None).boxed()
    }
}

/// File parameters carrying exactly the fields of `bitmap` (bit 12 ignored); names at most
/// `name_max` bytes.
pub fn file_params_for(bitmap: u16, afp3: bool, name_max: usize) -> BoxedStrategy<FileParams> {
    let b = FileBitmap::from_bits_retain(bitmap);
    let has = |bit: FileBitmap| b.contains(bit);
    (
        (
            when(has(FileBitmap::ATTRIBUTES), any::<u16>()),
            when(has(FileBitmap::PARENT_DIR_ID), any::<u32>()),
            when(has(FileBitmap::CREATE_DATE), date()),
            when(has(FileBitmap::MOD_DATE), date()),
            when(has(FileBitmap::BACKUP_DATE), date()),
            when(has(FileBitmap::FINDER_INFO), finder_info()),
            when(has(FileBitmap::LONG_NAME), bytes(name_max.min(255))),
            when(has(FileBitmap::SHORT_NAME), bytes(name_max.min(255))),
        ),
        (
            when(has(FileBitmap::NODE_ID), any::<u32>()),
            when(has(FileBitmap::DATA_FORK_LEN), any::<u32>()),
            when(has(FileBitmap::RSRC_FORK_LEN), any::<u32>()),
            when(has(FileBitmap::EXT_DATA_FORK_LEN), any::<u64>()),
            when(has(FileBitmap::UTF8_NAME) && afp3, afp_name(name_max)),
            when(has(FileBitmap::UTF8_NAME) && !afp3, any::<[u8; 6]>()),
            when(has(FileBitmap::EXT_RSRC_FORK_LEN), any::<u64>()),
            when(has(FileBitmap::UNIX_PRIVS), unix_privs()),
        ),
    )
        .prop_map(
            |((a, p, c, m, bk, fi, ln, sn), (n, d, r, ed, u, pd, er, up))| FileParams {
                attributes: a.map(FileAttributes::from_bits_retain),
                parent_id: p,
                create_date: c,
                mod_date: m,
                backup_date: bk,
                finder_info: fi,
                long_name: ln,
                short_name: sn,
                node_id: n,
                data_fork_len: d,
                rsrc_fork_len: r,
                ext_data_fork_len: ed,
                utf8_name: u,
                prodos_info: pd.map(ProDosInfo),
                ext_rsrc_fork_len: er,
                unix_privs: up,
            },
        )
        .boxed()
}

/// Directory parameters carrying exactly the fields of `bitmap` (bit 14 ignored).
pub fn dir_params_for(bitmap: u16, afp3: bool, name_max: usize) -> BoxedStrategy<DirParams> {
    let b = DirBitmap::from_bits_retain(bitmap);
    let has = |bit: DirBitmap| b.contains(bit);
    (
        (
            when(has(DirBitmap::ATTRIBUTES), any::<u16>()),
            when(has(DirBitmap::PARENT_DIR_ID), any::<u32>()),
            when(has(DirBitmap::CREATE_DATE), date()),
            when(has(DirBitmap::MOD_DATE), date()),
            when(has(DirBitmap::BACKUP_DATE), date()),
            when(has(DirBitmap::FINDER_INFO), finder_info()),
            when(has(DirBitmap::LONG_NAME), bytes(name_max.min(255))),
            when(has(DirBitmap::SHORT_NAME), bytes(name_max.min(255))),
        ),
        (
            when(has(DirBitmap::NODE_ID), any::<u32>()),
            when(has(DirBitmap::OFFSPRING_COUNT), any::<u16>()),
            when(has(DirBitmap::OWNER_ID), any::<u32>()),
            when(has(DirBitmap::GROUP_ID), any::<u32>()),
            when(has(DirBitmap::ACCESS_RIGHTS), any::<u32>()),
            when(has(DirBitmap::UTF8_NAME) && afp3, afp_name(name_max)),
            when(has(DirBitmap::UTF8_NAME) && !afp3, any::<[u8; 6]>()),
            when(has(DirBitmap::UNIX_PRIVS), unix_privs()),
        ),
    )
        .prop_map(
            |((a, p, c, m, bk, fi, ln, sn), (n, oc, o, g, ar, u, pd, up))| DirParams {
                attributes: a.map(DirAttributes::from_bits_retain),
                parent_id: p,
                create_date: c,
                mod_date: m,
                backup_date: bk,
                finder_info: fi,
                long_name: ln,
                short_name: sn,
                node_id: n,
                offspring_count: oc,
                owner_id: o,
                group_id: g,
                access_rights: ar.map(AccessRights::from_bits_retain),
                utf8_name: u,
                prodos_info: pd.map(ProDosInfo),
                unix_privs: up,
            },
        )
        .boxed()
}

pub fn file_params(afp3: bool) -> BoxedStrategy<FileParams> {
    any::<u16>()
        .prop_flat_map(move |b| file_params_for(b & !0x1000, afp3, 300))
        .boxed()
}

pub fn dir_params(afp3: bool) -> BoxedStrategy<DirParams> {
    any::<u16>()
        .prop_flat_map(move |b| dir_params_for(b & !0x4000, afp3, 300))
        .boxed()
}

pub fn file_dir_params(afp3: bool) -> BoxedStrategy<FileDirParams> {
    prop_oneof![
        file_params(afp3).prop_map(FileDirParams::File),
        dir_params(afp3).prop_map(FileDirParams::Dir),
    ]
    .boxed()
}

pub fn volume_params() -> impl Strategy<Value = VolumeParams> {
    (
        (
            proptest::option::of(any::<u16>()),
            proptest::option::of(any::<u16>()),
            proptest::option::of(date()),
            proptest::option::of(date()),
            proptest::option::of(date()),
            proptest::option::of(any::<u16>()),
        ),
        (
            proptest::option::of(any::<u32>()),
            proptest::option::of(any::<u32>()),
            proptest::option::of(bytes(255)),
            proptest::option::of(any::<u64>()),
            proptest::option::of(any::<u64>()),
            proptest::option::of(any::<u32>()),
        ),
    )
        .prop_map(
            |((a, s, c, m, b, id), (bf, bt, n, ebf, ebt, bs))| VolumeParams {
                attributes: a.map(VolumeAttributes::from_bits_retain),
                signature: s,
                create_date: c,
                mod_date: m,
                backup_date: b,
                volume_id: id,
                bytes_free: bf,
                bytes_total: bt,
                name: n,
                ext_bytes_free: ebf,
                ext_bytes_total: ebt,
                block_size: bs,
            },
        )
}

fn fb() -> impl Strategy<Value = FileBitmap> {
    any::<u16>().prop_map(FileBitmap::from_bits_retain)
}

fn db() -> impl Strategy<Value = DirBitmap> {
    any::<u16>().prop_map(DirBitmap::from_bits_retain)
}

fn vb() -> impl Strategy<Value = VolumeBitmap> {
    any::<u16>().prop_map(VolumeBitmap::from_bits_retain)
}

fn xb() -> impl Strategy<Value = ExtAttrBitmap> {
    any::<u16>().prop_map(ExtAttrBitmap::from_bits_retain)
}

fn acl_params() -> impl Strategy<Value = AclParams> {
    let ace =
        (any::<[u8; 16]>(), any::<u32>(), any::<u32>()).prop_map(|(uuid, flags, rights)| Ace {
            uuid,
            flags,
            rights,
        });
    let acl = (any::<u32>(), vec(ace, 0..5)).prop_map(|(flags, entries)| Acl { flags, entries });
    (
        proptest::option::of(any::<[u8; 16]>()),
        proptest::option::of(any::<[u8; 16]>()),
        proptest::option::of(acl),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(owner_uuid, group_uuid, acl, remove_acl, inherit)| AclParams {
                owner_uuid,
                group_uuid,
                acl,
                remove_acl,
                inherit,
            },
        )
}

/// Every request type (and unknown codes).
pub fn request() -> BoxedStrategy<Request> {
    let r = |s: BoxedStrategy<Request>| s;
    let s: Vec<BoxedStrategy<Request>> = vec![
        r((bytes(255), bytes(255), bytes(64))
            .prop_map(|(version, uam, user_auth_info)| {
                Login {
                    version,
                    uam,
                    user_auth_info,
                }
                .into()
            })
            .boxed()),
        r((
            any::<u16>(),
            bytes(20),
            bytes(20),
            bytes(300),
            1u8..=3,
            bytes(40),
            bytes(64),
        )
            .prop_map(|(flags, version, uam, user_name, t, d, user_auth_info)| {
                LoginExt {
                    flags,
                    version,
                    uam,
                    user_name,
                    dir_service: (t, d),
                    user_auth_info,
                }
                .into()
            })
            .boxed()),
        r((any::<u16>(), bytes(64))
            .prop_map(|(id, data)| LoginCont { id, data }.into())
            .boxed()),
        r(Just(Logout.into()).boxed()),
        r((bytes(255), bytes(255), bytes(64))
            .prop_map(|(uam, user_name, data)| {
                ChangePassword {
                    uam,
                    user_name,
                    data,
                }
                .into()
            })
            .boxed()),
        r((any::<u8>(), any::<u32>(), any::<u16>())
            .prop_map(|(flags, user_id, b)| {
                GetUserInfo {
                    flags,
                    user_id,
                    bitmap: UserInfoBitmap::from_bits_retain(b),
                }
                .into()
            })
            .boxed()),
        r((0u16..10, any::<u32>(), bytes(40))
            .prop_map(|(k, ts, id)| {
                let kind = TokenType(k);
                GetSessionToken {
                    kind,
                    timestamp: kind.has_timestamp().then_some(ts),
                    id: if kind.has_no_id() { Bytes::new() } else { id },
                }
                .into()
            })
            .boxed()),
        r((any::<u16>(), bytes(40))
            .prop_map(|(k, token)| {
                DisconnectOldSession {
                    kind: TokenType(k),
                    token,
                }
                .into()
            })
            .boxed()),
        r(any::<u32>()
            .prop_map(|flags| Zzzzz { flags }.into())
            .boxed()),
        r((any::<u16>(), any::<u16>())
            .prop_map(|(kind, bitmap)| GetSrvrMsg { kind, bitmap }.into())
            .boxed()),
        r(Just(GetSrvrInfo.into()).boxed()),
        r(Just(GetSrvrParms.into()).boxed()),
        r((any::<u8>(), path())
            .prop_map(|(flags, path)| GetAuthMethods { flags, path }.into())
            .boxed()),
        r((vb(), bytes(255), proptest::option::of(any::<[u8; 8]>()))
            .prop_map(|(bitmap, name, password)| {
                OpenVol {
                    bitmap,
                    name,
                    password,
                }
                .into()
            })
            .boxed()),
        r(any::<u16>()
            .prop_map(|volume_id| CloseVol { volume_id }.into())
            .boxed()),
        r((any::<u16>(), vb())
            .prop_map(|(volume_id, bitmap)| GetVolParms { volume_id, bitmap }.into())
            .boxed()),
        r((any::<u16>(), vb(), bytes(40))
            .prop_map(|(volume_id, bitmap, params)| {
                SetVolParms {
                    volume_id,
                    bitmap,
                    params,
                }
                .into()
            })
            .boxed()),
        r(any::<u16>()
            .prop_map(|volume_id| Flush { volume_id }.into())
            .boxed()),
        r((any::<u16>(), any::<u32>(), fb(), db(), path())
            .prop_map(|(volume_id, dir_id, file_bitmap, dir_bitmap, path)| {
                GetFileDirParms {
                    volume_id,
                    dir_id,
                    file_bitmap,
                    dir_bitmap,
                    path,
                }
                .into()
            })
            .boxed()),
        r((any::<u16>(), any::<u32>(), fb(), path(), bytes(60))
            .prop_map(|(volume_id, dir_id, bitmap, path, params)| {
                SetFileParms {
                    volume_id,
                    dir_id,
                    bitmap,
                    path,
                    params,
                }
                .into()
            })
            .boxed()),
        r((any::<u16>(), any::<u32>(), db(), path(), bytes(60))
            .prop_map(|(volume_id, dir_id, bitmap, path, params)| {
                SetDirParms {
                    volume_id,
                    dir_id,
                    bitmap,
                    path,
                    params,
                }
                .into()
            })
            .boxed()),
        r(
            (any::<u16>(), any::<u32>(), any::<u16>(), path(), bytes(60))
                .prop_map(|(volume_id, dir_id, bitmap, path, params)| {
                    SetFileDirParms {
                        volume_id,
                        dir_id,
                        bitmap,
                        path,
                        params,
                    }
                    .into()
                })
                .boxed(),
        ),
        r((any::<u16>(), any::<u32>(), path())
            .prop_map(|(volume_id, dir_id, path)| {
                CreateDir {
                    volume_id,
                    dir_id,
                    path,
                }
                .into()
            })
            .boxed()),
        r((any::<bool>(), any::<u16>(), any::<u32>(), path())
            .prop_map(|(hard_create, volume_id, dir_id, path)| {
                CreateFile {
                    hard_create,
                    volume_id,
                    dir_id,
                    path,
                }
                .into()
            })
            .boxed()),
        r((any::<u16>(), any::<u32>(), path())
            .prop_map(|(volume_id, dir_id, path)| {
                Delete {
                    volume_id,
                    dir_id,
                    path,
                }
                .into()
            })
            .boxed()),
        r((any::<u16>(), any::<u32>(), path(), path())
            .prop_map(|(volume_id, dir_id, path, new_name)| {
                Rename {
                    volume_id,
                    dir_id,
                    path,
                    new_name,
                }
                .into()
            })
            .boxed()),
        r((
            any::<u16>(),
            any::<u32>(),
            any::<u32>(),
            path(),
            path(),
            path(),
        )
            .prop_map(
                |(volume_id, src_dir_id, dst_dir_id, src_path, dst_path, new_name)| {
                    MoveAndRename {
                        volume_id,
                        src_dir_id,
                        dst_dir_id,
                        src_path,
                        dst_path,
                        new_name,
                    }
                    .into()
                },
            )
            .boxed()),
        r((
            any::<u16>(),
            any::<u32>(),
            any::<u16>(),
            any::<u32>(),
            path(),
            path(),
            path(),
        )
            .prop_map(|(sv, sd, dv, dd, src_path, dst_path, new_name)| {
                CopyFile {
                    src_volume_id: sv,
                    src_dir_id: sd,
                    dst_volume_id: dv,
                    dst_dir_id: dd,
                    src_path,
                    dst_path,
                    new_name,
                }
                .into()
            })
            .boxed()),
        r((any::<u16>(), any::<u32>(), any::<u32>(), path(), path())
            .prop_map(|(volume_id, src_dir_id, dst_dir_id, src_path, dst_path)| {
                ExchangeFiles {
                    volume_id,
                    src_dir_id,
                    dst_dir_id,
                    src_path,
                    dst_path,
                }
                .into()
            })
            .boxed()),
        r((any::<u16>(), any::<u32>(), path())
            .prop_map(|(volume_id, dir_id, path)| {
                OpenDir {
                    volume_id,
                    dir_id,
                    path,
                }
                .into()
            })
            .boxed()),
        r((any::<u16>(), any::<u32>())
            .prop_map(|(volume_id, dir_id)| CloseDir { volume_id, dir_id }.into())
            .boxed()),
        r((any::<u16>(), any::<u32>())
            .prop_map(|(volume_id, dir_id)| SyncDir { volume_id, dir_id }.into())
            .boxed()),
        r((
            any::<bool>(),
            any::<u16>(),
            any::<u32>(),
            fb(),
            any::<u16>(),
            path(),
        )
            .prop_map(|(resource, volume_id, dir_id, bitmap, a, path)| {
                OpenFork {
                    resource,
                    volume_id,
                    dir_id,
                    bitmap,
                    access_mode: AccessMode::from_bits_retain(a),
                    path,
                }
                .into()
            })
            .boxed()),
        r(any::<u16>()
            .prop_map(|fork| CloseFork { fork }.into())
            .boxed()),
        r(any::<u16>()
            .prop_map(|fork| FlushFork { fork }.into())
            .boxed()),
        r(any::<u16>()
            .prop_map(|fork| SyncFork { fork }.into())
            .boxed()),
        r((any::<u16>(), fb())
            .prop_map(|(fork, bitmap)| GetForkParms { fork, bitmap }.into())
            .boxed()),
        r((any::<u16>(), fb(), bytes(20))
            .prop_map(|(fork, bitmap, params)| {
                SetForkParms {
                    fork,
                    bitmap,
                    params,
                }
                .into()
            })
            .boxed()),
        r((
            any::<u16>(),
            any::<i32>(),
            any::<i32>(),
            any::<u8>(),
            any::<u8>(),
        )
            .prop_map(|(fork, offset, count, newline_mask, newline_char)| {
                Read {
                    fork,
                    offset,
                    count,
                    newline_mask,
                    newline_char,
                }
                .into()
            })
            .boxed()),
        r((any::<u16>(), any::<i64>(), any::<i64>())
            .prop_map(|(fork, offset, count)| {
                ReadExt {
                    fork,
                    offset,
                    count,
                }
                .into()
            })
            .boxed()),
        r((any::<bool>(), any::<u16>(), any::<i32>(), any::<i32>())
            .prop_map(|(start_end, fork, offset, count)| {
                Write {
                    start_end,
                    fork,
                    offset,
                    count,
                }
                .into()
            })
            .boxed()),
        r((any::<bool>(), any::<u16>(), any::<i64>(), any::<i64>())
            .prop_map(|(start_end, fork, offset, count)| {
                WriteExt {
                    start_end,
                    fork,
                    offset,
                    count,
                }
                .into()
            })
            .boxed()),
        r((any::<u8>(), any::<u16>(), any::<i32>(), any::<i32>())
            .prop_map(|(f, fork, offset, length)| {
                ByteRangeLock {
                    flags: LockFlags::from_bits_retain(f),
                    fork,
                    offset,
                    length,
                }
                .into()
            })
            .boxed()),
        r((any::<u8>(), any::<u16>(), any::<i64>(), any::<i64>())
            .prop_map(|(f, fork, offset, length)| {
                ByteRangeLockExt {
                    flags: LockFlags::from_bits_retain(f),
                    fork,
                    offset,
                    length,
                }
                .into()
            })
            .boxed()),
        r((
            any::<u16>(),
            any::<u32>(),
            fb(),
            db(),
            any::<u16>(),
            any::<u16>(),
            any::<u16>(),
            path(),
        )
            .prop_map(
                |(volume_id, dir_id, file_bitmap, dir_bitmap, req_count, s, m, path)| {
                    Enumerate {
                        volume_id,
                        dir_id,
                        file_bitmap,
                        dir_bitmap,
                        req_count,
                        start_index: s,
                        max_reply_size: m,
                        path,
                    }
                    .into()
                },
            )
            .boxed()),
        r((
            any::<u16>(),
            any::<u32>(),
            fb(),
            db(),
            any::<u16>(),
            any::<u16>(),
            any::<u16>(),
            path(),
        )
            .prop_map(
                |(volume_id, dir_id, file_bitmap, dir_bitmap, req_count, s, m, path)| {
                    EnumerateExt {
                        volume_id,
                        dir_id,
                        file_bitmap,
                        dir_bitmap,
                        req_count,
                        start_index: s,
                        max_reply_size: m,
                        path,
                    }
                    .into()
                },
            )
            .boxed()),
        r((
            any::<u16>(),
            any::<u32>(),
            fb(),
            db(),
            any::<u16>(),
            any::<u32>(),
            any::<u32>(),
            path(),
        )
            .prop_map(
                |(volume_id, dir_id, file_bitmap, dir_bitmap, req_count, s, m, path)| {
                    EnumerateExt2 {
                        volume_id,
                        dir_id,
                        file_bitmap,
                        dir_bitmap,
                        req_count,
                        start_index: s,
                        max_reply_size: m,
                        path,
                    }
                    .into()
                },
            )
            .boxed()),
        r((any::<u16>(), any::<u32>(), path())
            .prop_map(|(volume_id, dir_id, path)| {
                CreateId {
                    volume_id,
                    dir_id,
                    path,
                }
                .into()
            })
            .boxed()),
        r((any::<u16>(), any::<u32>())
            .prop_map(|(volume_id, file_id)| DeleteId { volume_id, file_id }.into())
            .boxed()),
        r((any::<u16>(), any::<u32>(), fb())
            .prop_map(|(volume_id, file_id, bitmap)| {
                ResolveId {
                    volume_id,
                    file_id,
                    bitmap,
                }
                .into()
            })
            .boxed()),
        r((
            any::<u16>(),
            any::<u32>(),
            any::<u32>(),
            any::<[u8; 16]>(),
            fb(),
            db(),
            any::<u32>(),
            bytes(255),
            bytes(255),
        )
            .prop_map(
                |(
                    volume_id,
                    req_matches,
                    reserved,
                    position,
                    file_bitmap,
                    dir_bitmap,
                    req_bitmap,
                    spec1,
                    spec2,
                )| {
                    CatSearch {
                        volume_id,
                        req_matches,
                        reserved,
                        position,
                        file_bitmap,
                        dir_bitmap,
                        req_bitmap,
                        spec1,
                        spec2,
                    }
                    .into()
                },
            )
            .boxed()),
        r((
            any::<u16>(),
            any::<u32>(),
            any::<u32>(),
            any::<[u8; 16]>(),
            fb(),
            db(),
            any::<u32>(),
            bytes(400),
            bytes(400),
        )
            .prop_map(
                |(
                    volume_id,
                    req_matches,
                    reserved,
                    position,
                    file_bitmap,
                    dir_bitmap,
                    req_bitmap,
                    spec1,
                    spec2,
                )| {
                    CatSearchExt {
                        volume_id,
                        req_matches,
                        reserved,
                        position,
                        file_bitmap,
                        dir_bitmap,
                        req_bitmap,
                        spec1,
                        spec2,
                    }
                    .into()
                },
            )
            .boxed()),
        r(bytes(100)
            .prop_map(|payload| SpotlightRpc { payload }.into())
            .boxed()),
        r(any::<u16>()
            .prop_map(|volume_id| OpenDt { volume_id }.into())
            .boxed()),
        r(any::<u16>()
            .prop_map(|dt_ref| CloseDt { dt_ref }.into())
            .boxed()),
        r((
            any::<u16>(),
            any::<[u8; 4]>(),
            any::<[u8; 4]>(),
            any::<u8>(),
            any::<u16>(),
        )
            .prop_map(|(dt_ref, creator, file_type, icon_type, length)| {
                GetIcon {
                    dt_ref,
                    creator,
                    file_type,
                    icon_type,
                    length,
                }
                .into()
            })
            .boxed()),
        r((any::<u16>(), any::<[u8; 4]>(), any::<u16>())
            .prop_map(|(dt_ref, creator, icon_index)| {
                GetIconInfo {
                    dt_ref,
                    creator,
                    icon_index,
                }
                .into()
            })
            .boxed()),
        r((
            any::<u16>(),
            any::<[u8; 4]>(),
            any::<[u8; 4]>(),
            any::<u8>(),
            any::<u32>(),
            any::<u16>(),
        )
            .prop_map(|(dt_ref, creator, file_type, icon_type, icon_tag, size)| {
                AddIcon {
                    dt_ref,
                    creator,
                    file_type,
                    icon_type,
                    icon_tag,
                    size,
                }
                .into()
            })
            .boxed()),
        r((
            any::<u16>(),
            any::<u32>(),
            any::<[u8; 4]>(),
            any::<u32>(),
            path(),
        )
            .prop_map(|(dt_ref, dir_id, creator, appl_tag, path)| {
                AddAppl {
                    dt_ref,
                    dir_id,
                    creator,
                    appl_tag,
                    path,
                }
                .into()
            })
            .boxed()),
        r((any::<u16>(), any::<u32>(), any::<[u8; 4]>(), path())
            .prop_map(|(dt_ref, dir_id, creator, path)| {
                RemoveAppl {
                    dt_ref,
                    dir_id,
                    creator,
                    path,
                }
                .into()
            })
            .boxed()),
        r((any::<u16>(), any::<[u8; 4]>(), any::<u16>(), fb())
            .prop_map(|(dt_ref, creator, appl_index, bitmap)| {
                GetAppl {
                    dt_ref,
                    creator,
                    appl_index,
                    bitmap,
                }
                .into()
            })
            .boxed()),
        r((any::<u16>(), any::<u32>(), path(), bytes(255))
            .prop_map(|(dt_ref, dir_id, path, comment)| {
                AddComment {
                    dt_ref,
                    dir_id,
                    path,
                    comment,
                }
                .into()
            })
            .boxed()),
        r((any::<u16>(), any::<u32>(), path())
            .prop_map(|(dt_ref, dir_id, path)| {
                RemoveComment {
                    dt_ref,
                    dir_id,
                    path,
                }
                .into()
            })
            .boxed()),
        r((any::<u16>(), any::<u32>(), path())
            .prop_map(|(dt_ref, dir_id, path)| {
                GetComment {
                    dt_ref,
                    dir_id,
                    path,
                }
                .into()
            })
            .boxed()),
        r((
            any::<u16>(),
            any::<u32>(),
            xb(),
            any::<i64>(),
            any::<i64>(),
            any::<u32>(),
            path(),
            bytes(300),
        )
            .prop_map(
                |(volume_id, dir_id, bitmap, offset, req_count, max_reply_size, path, name)| {
                    GetExtAttr {
                        volume_id,
                        dir_id,
                        bitmap,
                        offset,
                        req_count,
                        max_reply_size,
                        path,
                        name,
                    }
                    .into()
                },
            )
            .boxed()),
        r((
            any::<u16>(),
            any::<u32>(),
            xb(),
            any::<i64>(),
            path(),
            bytes(300),
            bytes(300),
        )
            .prop_map(|(volume_id, dir_id, bitmap, offset, path, name, data)| {
                SetExtAttr {
                    volume_id,
                    dir_id,
                    bitmap,
                    offset,
                    path,
                    name,
                    data,
                }
                .into()
            })
            .boxed()),
        r((any::<u16>(), any::<u32>(), xb(), path(), bytes(300))
            .prop_map(|(volume_id, dir_id, bitmap, path, name)| {
                RemoveExtAttr {
                    volume_id,
                    dir_id,
                    bitmap,
                    path,
                    name,
                }
                .into()
            })
            .boxed()),
        r((
            any::<u16>(),
            any::<u32>(),
            xb(),
            any::<u16>(),
            any::<u32>(),
            any::<u32>(),
            path(),
        )
            .prop_map(
                |(volume_id, dir_id, bitmap, req_count, start_index, max_reply_size, path)| {
                    ListExtAttrs {
                        volume_id,
                        dir_id,
                        bitmap,
                        req_count,
                        start_index,
                        max_reply_size,
                        path,
                    }
                    .into()
                },
            )
            .boxed()),
        r((
            any::<u16>(),
            any::<u32>(),
            any::<u16>(),
            any::<u32>(),
            path(),
        )
            .prop_map(|(volume_id, dir_id, b, max_reply_size, path)| {
                GetAcl {
                    volume_id,
                    dir_id,
                    bitmap: AclBitmap::from_bits_retain(b),
                    max_reply_size,
                    path,
                }
                .into()
            })
            .boxed()),
        r((any::<u16>(), any::<u32>(), path(), acl_params())
            .prop_map(|(volume_id, dir_id, path, params)| {
                SetAcl {
                    volume_id,
                    dir_id,
                    path,
                    params,
                }
                .into()
            })
            .boxed()),
        r((
            any::<u16>(),
            any::<u32>(),
            any::<u16>(),
            any::<[u8; 16]>(),
            any::<u32>(),
            path(),
        )
            .prop_map(|(volume_id, dir_id, bitmap, uuid, req_access, path)| {
                Access {
                    volume_id,
                    dir_id,
                    bitmap,
                    uuid,
                    req_access,
                    path,
                }
                .into()
            })
            .boxed()),
        r((0u8..10, any::<u32>(), any::<[u8; 16]>())
            .prop_map(|(subfunction, id, uuid)| {
                let key = if matches!(subfunction, 5 | 6) {
                    MapIdKey::Uuid(uuid)
                } else {
                    MapIdKey::Id(id)
                };
                MapId { subfunction, key }.into()
            })
            .boxed()),
        r((0u8..10, bytes(255))
            .prop_map(|(subfunction, name)| MapName { subfunction, name }.into())
            .boxed()),
        r((any::<u8>(), bytes(50))
            .prop_filter_map("known code", |(c, body)| {
                let code = CommandCode(c);
                (!code.is_known()).then_some(Request::Unknown { code, body })
            })
            .boxed()),
    ];
    Union::new(s).boxed()
}

/// Bitmaps without the undefined bits, and entries packed with exactly them.
fn entries(
    afp3: bool,
    name_max: usize,
) -> BoxedStrategy<(FileBitmap, DirBitmap, Vec<FileDirParams>)> {
    (any::<u16>(), any::<u16>())
        .prop_flat_map(move |(f, d)| {
            let f = f & !0x1000;
            let d = d & !0x4000;
            let entry = prop_oneof![
                file_params_for(f, afp3, name_max).prop_map(FileDirParams::File),
                dir_params_for(d, afp3, name_max).prop_map(FileDirParams::Dir),
            ];
            (
                Just(FileBitmap::from_bits_retain(f)),
                Just(DirBitmap::from_bits_retain(d)),
                vec(entry, 0..6),
            )
        })
        .boxed()
}

fn server_status() -> impl Strategy<Value = ServerStatus> {
    let addr = prop_oneof![
        any::<[u8; 4]>().prop_map(|a| NetworkAddress::Ipv4(a.into())),
        (any::<[u8; 4]>(), any::<u16>()).prop_map(|(a, p)| NetworkAddress::Ipv4Port(a.into(), p)),
        (any::<u16>(), any::<u8>(), any::<u8>()).prop_map(|(network, node, socket)| {
            NetworkAddress::Ddp {
                network,
                node,
                socket,
            }
        }),
        bytes(60).prop_map(NetworkAddress::Dns),
        bytes(60).prop_map(NetworkAddress::SshTunnel),
        any::<[u8; 16]>().prop_map(|a| NetworkAddress::Ipv6(a.into())),
        (any::<[u8; 16]>(), any::<u16>()).prop_map(|(a, p)| NetworkAddress::Ipv6Port(a.into(), p)),
        (8u8.., bytes(60)).prop_map(|(tag, value)| NetworkAddress::Unknown { tag, value }),
    ];
    (
        (
            any::<u16>(),
            bytes(40),
            bytes(40),
            vec(bytes(20), 0..8),
            vec(bytes(20), 0..8),
        ),
        (
            proptest::option::of(vec(any::<u8>(), 256).prop_map(Bytes::from)),
            proptest::option::of(any::<[u8; 16]>()),
            proptest::option::of(vec(addr, 0..5)),
            proptest::option::of(vec(bytes(40), 0..3)),
            proptest::option::of(bytes(80)),
        ),
    )
        .prop_map(
            |(
                (f, server_name, machine_type, afp_versions, uams),
                (icon, signature, addresses, directory_names, utf8_server_name),
            )| {
                ServerStatus {
                    flags: ServerFlags::from_bits_retain(f),
                    server_name,
                    machine_type,
                    afp_versions,
                    uams,
                    icon,
                    signature,
                    addresses,
                    directory_names,
                    utf8_server_name,
                }
            },
        )
}

/// Every reply type, with the context needed to decode it.
pub fn reply() -> BoxedStrategy<(Reply, ReplyContext)> {
    let v34 = ReplyContext::new(AfpVersion::V3_4);
    let ctx = move |r: BoxedStrategy<Reply>| r.prop_map(move |r| (r, v34)).boxed();
    let both = |make: fn(bool) -> BoxedStrategy<Reply>| {
        prop_oneof![
            make(true).prop_map(|r| (r, ReplyContext::new(AfpVersion::V3_4))),
            make(false).prop_map(|r| (r, ReplyContext::new(AfpVersion::V2_2))),
        ]
        .boxed()
    };
    let empty_codes: Vec<CommandCode> = CommandCode::ALL
        .iter()
        .copied()
        .filter(|c| has_empty_reply(*c))
        .collect();
    let s: Vec<BoxedStrategy<(Reply, ReplyContext)>> = vec![
        ctx(bytes(100).prop_map(Reply::Login).boxed()),
        ctx(bytes(100).prop_map(Reply::LoginExt).boxed()),
        ctx(bytes(100).prop_map(Reply::LoginCont).boxed()),
        ctx(bytes(100).prop_map(Reply::ChangePassword).boxed()),
        ctx((
            proptest::option::of(any::<u32>()),
            proptest::option::of(any::<u32>()),
            proptest::option::of(any::<[u8; 16]>()),
        )
            .prop_map(|(user_id, group_id, uuid)| {
                Reply::GetUserInfo(UserInfo {
                    user_id,
                    group_id,
                    uuid,
                })
            })
            .boxed()),
        ctx(bytes(40)
            .prop_map(|token| Reply::GetSessionToken(SessionToken { token }))
            .boxed()),
        ctx(proptest::option::of(any::<u32>())
            .prop_map(|sleep_hours| Reply::Zzzzz { sleep_hours })
            .boxed()),
        ctx((any::<u16>(), any::<u16>(), bytes(255))
            .prop_map(|(kind, bitmap, message)| {
                Reply::GetSrvrMsg(ServerMessage {
                    kind,
                    bitmap,
                    message,
                })
            })
            .boxed()),
        ctx(server_status().prop_map(Reply::GetSrvrInfo).boxed()),
        ctx((any::<i32>(), vec((any::<u8>(), bytes(255)), 0..10))
            .prop_map(|(t, v)| {
                Reply::GetSrvrParms(ServerParms {
                    server_time: AfpDate(t),
                    volumes: v
                        .into_iter()
                        .map(|(flags, name)| VolumeEntry { flags, name })
                        .collect(),
                })
            })
            .boxed()),
        ctx((any::<u8>(), vec(bytes(30), 0..6))
            .prop_map(|(flags, uams)| Reply::GetAuthMethods(AuthMethods { flags, uams }))
            .boxed()),
        ctx(volume_params().prop_map(Reply::OpenVol).boxed()),
        ctx(volume_params().prop_map(Reply::GetVolParms).boxed()),
        both(|afp3| {
            (fb(), db(), file_dir_params(afp3))
                .prop_map(|(f, d, params)| {
                    let (file_bitmap, dir_bitmap) = match &params {
                        FileDirParams::File(p) => (p.bitmap(), d),
                        FileDirParams::Dir(p) => (f, p.bitmap()),
                    };
                    Reply::GetFileDirParms(FileDirParmsReply {
                        file_bitmap,
                        dir_bitmap,
                        params,
                    })
                })
                .boxed()
        }),
        ctx(any::<u32>()
            .prop_map(|dir_id| Reply::CreateDir { dir_id })
            .boxed()),
        ctx(any::<u32>()
            .prop_map(|dir_id| Reply::OpenDir { dir_id })
            .boxed()),
        both(|afp3| {
            (any::<u16>(), file_params(afp3))
                .prop_map(|(fork, params)| Reply::OpenFork(OpenForkReply { fork, params }))
                .boxed()
        }),
        both(|afp3| file_params(afp3).prop_map(Reply::GetForkParms).boxed()),
        ctx(bytes(300).prop_map(Reply::Read).boxed()),
        ctx(bytes(300).prop_map(Reply::ReadExt).boxed()),
        ctx(any::<u32>()
            .prop_map(|last_written| Reply::Write { last_written })
            .boxed()),
        ctx(any::<u64>()
            .prop_map(|last_written| Reply::WriteExt { last_written })
            .boxed()),
        ctx(any::<u32>()
            .prop_map(|range_start| Reply::ByteRangeLock { range_start })
            .boxed()),
        ctx(any::<u64>()
            .prop_map(|range_start| Reply::ByteRangeLockExt { range_start })
            .boxed()),
        both(|afp3| {
            entries(afp3, 40)
                .prop_map(|(file_bitmap, dir_bitmap, entries)| {
                    Reply::Enumerate(EnumerateReply {
                        file_bitmap,
                        dir_bitmap,
                        entries,
                    })
                })
                .boxed()
        }),
        both(|afp3| {
            entries(afp3, 300)
                .prop_map(|(file_bitmap, dir_bitmap, entries)| {
                    Reply::EnumerateExt(EnumerateReply {
                        file_bitmap,
                        dir_bitmap,
                        entries,
                    })
                })
                .boxed()
        }),
        both(|afp3| {
            entries(afp3, 300)
                .prop_map(|(file_bitmap, dir_bitmap, entries)| {
                    Reply::EnumerateExt2(EnumerateReply {
                        file_bitmap,
                        dir_bitmap,
                        entries,
                    })
                })
                .boxed()
        }),
        ctx(any::<u32>()
            .prop_map(|file_id| Reply::CreateId { file_id })
            .boxed()),
        both(|afp3| file_params(afp3).prop_map(Reply::ResolveId).boxed()),
        both(|afp3| {
            (any::<[u8; 16]>(), entries(afp3, 40))
                .prop_map(|(position, (file_bitmap, dir_bitmap, entries))| {
                    Reply::CatSearch(CatSearchReply {
                        position,
                        file_bitmap,
                        dir_bitmap,
                        entries,
                    })
                })
                .boxed()
        }),
        both(|afp3| {
            (any::<[u8; 16]>(), entries(afp3, 300))
                .prop_map(|(position, (file_bitmap, dir_bitmap, entries))| {
                    Reply::CatSearchExt(CatSearchReply {
                        position,
                        file_bitmap,
                        dir_bitmap,
                        entries,
                    })
                })
                .boxed()
        }),
        ctx(bytes(100).prop_map(Reply::SpotlightRpc).boxed()),
        ctx(any::<u16>()
            .prop_map(|dt_ref| Reply::OpenDt { dt_ref })
            .boxed()),
        ctx(bytes(300).prop_map(Reply::GetIcon).boxed()),
        ctx((any::<u32>(), any::<[u8; 4]>(), any::<u8>(), any::<u16>())
            .prop_map(|(icon_tag, file_type, icon_type, size)| {
                Reply::GetIconInfo(IconInfo {
                    icon_tag,
                    file_type,
                    icon_type,
                    size,
                })
            })
            .boxed()),
        both(|afp3| {
            (any::<u32>(), file_params(afp3))
                .prop_map(|(appl_tag, params)| Reply::GetAppl(ApplInfo { appl_tag, params }))
                .boxed()
        }),
        ctx(bytes(255).prop_map(Reply::GetComment).boxed()),
        ctx((xb(), bytes(200), any::<u16>())
            .prop_map(|(bitmap, data, extra)| {
                Reply::GetExtAttr(ExtAttrData {
                    bitmap,
                    length: data.len() as u32 + u32::from(extra),
                    data,
                })
            })
            .boxed()),
        ctx((xb(), bytes(200), any::<u16>())
            .prop_map(|(bitmap, names, extra)| {
                Reply::ListExtAttrs(ExtAttrList {
                    bitmap,
                    length: names.len() as u32 + u32::from(extra),
                    names,
                })
            })
            .boxed()),
        ctx(acl_params().prop_map(Reply::GetAcl).boxed()),
        (0u8..10, any::<u32>(), any::<u32>(), bytes(255))
            .prop_map(|(sub, kind, id, name)| {
                let r = match sub {
                    3 | 4 => MapIdReply::Utf8Name(name),
                    5 | 6 => MapIdReply::Uuid { kind, id, name },
                    _ => MapIdReply::Name(name),
                };
                (
                    Reply::MapId(r),
                    ReplyContext::new(AfpVersion::V3_4).with_subfunction(sub),
                )
            })
            .boxed(),
        (0u8..10, any::<u32>(), any::<[u8; 16]>())
            .prop_map(|(sub, id, uuid)| {
                let r = if matches!(sub, 5 | 6) {
                    MapNameReply::Uuid(uuid)
                } else {
                    MapNameReply::Id(id)
                };
                (
                    Reply::MapName(r),
                    ReplyContext::new(AfpVersion::V3_4).with_subfunction(sub),
                )
            })
            .boxed(),
        ctx(proptest::sample::select(empty_codes)
            .prop_map(Reply::Empty)
            .boxed()),
        ctx((any::<u8>(), bytes(50))
            .prop_filter_map("unknown code", |(c, body)| {
                let code = CommandCode(c);
                (!code.is_known()).then_some(Reply::Unknown { code, body })
            })
            .boxed()),
    ];
    Union::new(s).boxed()
}
