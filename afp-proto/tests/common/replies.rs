//! Strategies for every reply type.

use afp_proto::command::*;
use afp_proto::params::*;
use afp_proto::status::{NetworkAddress, ServerFlags, ServerStatus};
use afp_proto::{AfpDate, AfpVersion};
use bytes::Bytes;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::Union;

use super::*;

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
