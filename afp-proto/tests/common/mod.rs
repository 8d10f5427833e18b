//! proptest strategies for every AFP request and reply (shared by the integration tests).
#![allow(dead_code, unreachable_pub)]

use afp_proto::command::*;
use afp_proto::params::*;
use afp_proto::{AfpDate, AfpName, Path, PathKind};
use bytes::Bytes;
use proptest::collection::vec;
use proptest::prelude::*;

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

pub fn date() -> impl Strategy<Value = AfpDate> {
    any::<i32>().prop_map(AfpDate)
}

pub fn unix_privs() -> impl Strategy<Value = UnixPrivs> {
    (any::<u32>(), any::<u32>(), any::<u32>(), any::<u32>()).prop_map(|(uid, gid, p, ua)| {
        UnixPrivs {
            uid,
            gid,
            permissions: p,
            ua_permissions: AccessRights::from_bits_retain(ua),
        }
    })
}

pub fn finder_info() -> impl Strategy<Value = FinderInfo> {
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

pub fn fb() -> impl Strategy<Value = FileBitmap> {
    any::<u16>().prop_map(FileBitmap::from_bits_retain)
}

pub fn db() -> impl Strategy<Value = DirBitmap> {
    any::<u16>().prop_map(DirBitmap::from_bits_retain)
}

pub fn vb() -> impl Strategy<Value = VolumeBitmap> {
    any::<u16>().prop_map(VolumeBitmap::from_bits_retain)
}

pub fn xb() -> impl Strategy<Value = ExtAttrBitmap> {
    any::<u16>().prop_map(ExtAttrBitmap::from_bits_retain)
}

pub fn acl_params() -> impl Strategy<Value = AclParams> {
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

mod replies;
mod requests;

pub use replies::reply;
pub use requests::request;
