//! Strategies for every request type.

use afp_proto::command::*;
use bytes::Bytes;
use proptest::prelude::*;
use proptest::strategy::Union;

use super::*;

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
