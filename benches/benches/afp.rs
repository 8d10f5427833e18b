//! AFP codec benchmarks: an FPEnumerateExt2 reply with 500 entries (encode within
//! MaxReplySize, decode), an FPGetFileDirParms reply, and the FPReadExt / FPWriteExt paths,
//! whose data is never copied: a 1 MiB payload costs the same as an empty one. Each group
//! has a peer in the same run: a memcpy of the same bytes, or the empty payload.
//!
//! Run: `cargo bench -p benches --bench afp`.

use std::hint::black_box;

use afp_proto::command::{
    CommandCode, EntryLength, EnumerateReply, EnumerateReplyWriter, FileDirParmsReply, ReadExt,
    Reply, ReplyContext, Request, WriteExt,
};
use afp_proto::params::{
    AccessRights, DirAttributes, DirBitmap, DirParams, FileAttributes, FileBitmap, FileDirParams,
    FileParams, UnixPrivs,
};
use afp_proto::{AfpDate, AfpName, AfpVersion};
use bytes::{Bytes, BytesMut};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const ENTRIES: usize = 500;
const MIB: usize = 1 << 20;

/// What a Finder listing asks for (file bitmap 0x2F4F-ish without the AFP 2 bits).
fn file_entry(i: usize) -> FileParams {
    let name = Bytes::from(format!("IMG_{i:04}.JPG"));
    FileParams {
        attributes: Some(FileAttributes::empty()),
        parent_id: Some(18),
        create_date: Some(AfpDate(700_000_000)),
        mod_date: Some(AfpDate(700_000_000 + i as i32)),
        backup_date: Some(AfpDate::NEVER),
        finder_info: Some(Default::default()),
        long_name: Some(name.clone()),
        node_id: Some(100 + i as u32),
        ext_data_fork_len: Some(3_000_000 + i as u64),
        utf8_name: Some(AfpName::new(name)),
        ext_rsrc_fork_len: Some(0),
        unix_privs: Some(UnixPrivs {
            uid: 1000,
            gid: 100,
            permissions: 0o100644,
            ua_permissions: AccessRights::from_bits_retain(0x8303_0307),
        }),
        ..FileParams::default()
    }
}

fn dir_entry() -> DirParams {
    DirParams {
        attributes: Some(DirAttributes::empty()),
        parent_id: Some(2),
        create_date: Some(AfpDate(1)),
        mod_date: Some(AfpDate(2)),
        backup_date: Some(AfpDate::NEVER),
        finder_info: Some(Default::default()),
        long_name: Some(Bytes::from_static(b"Photos")),
        node_id: Some(18),
        offspring_count: Some(ENTRIES as u16),
        owner_id: Some(1000),
        group_id: Some(100),
        access_rights: Some(AccessRights::from_bits_retain(0x8707_0707)),
        utf8_name: Some(AfpName::new(Bytes::from_static(b"Photos"))),
        unix_privs: Some(UnixPrivs {
            uid: 1000,
            gid: 100,
            permissions: 0o040755,
            ua_permissions: AccessRights::from_bits_retain(0x8707_0707),
        }),
        ..DirParams::default()
    }
}

fn enumerate(c: &mut Criterion) {
    let entries: Vec<FileDirParams> = (0..ENTRIES)
        .map(|i| FileDirParams::File(file_entry(i)))
        .collect();
    let fb: FileBitmap = file_entry(0).bitmap();
    let mut wire = BytesMut::new();
    {
        let mut w = EnumerateReplyWriter::new(
            &mut wire,
            EntryLength::Long,
            fb,
            DirBitmap::empty(),
            usize::MAX,
        );
        for e in &entries {
            w.push(e).unwrap();
        }
        assert_eq!(w.count() as usize, ENTRIES);
    }
    let wire = wire.freeze();
    let mut g = c.benchmark_group("afp_enumerate_ext2_500");
    g.throughput(Throughput::Bytes(wire.len() as u64));
    let mut dst = BytesMut::with_capacity(wire.len() * 2);
    g.bench_function("encode_within_max_reply_size", |b| {
        b.iter(|| {
            dst.clear();
            let mut w = EnumerateReplyWriter::new(
                &mut dst,
                EntryLength::Long,
                fb,
                DirBitmap::empty(),
                1 << 20,
            );
            for e in black_box(&entries) {
                if w.push(e).is_err() {
                    break;
                }
            }
            black_box(w.count())
        });
    });
    g.bench_function("decode", |b| {
        b.iter(|| {
            black_box(
                EnumerateReply::decode(black_box(&wire), EntryLength::Long, AfpVersion::V3_4)
                    .unwrap(),
            )
        });
    });
    let mut copy = vec![0u8; wire.len()];
    g.bench_function("peer_memcpy_same_bytes", |b| {
        b.iter(|| {
            copy.copy_from_slice(black_box(&wire));
            black_box(&copy);
        });
    });
    g.finish();
}

fn get_file_dir_parms(c: &mut Criterion) {
    let reply = FileDirParmsReply {
        file_bitmap: file_entry(0).bitmap(),
        dir_bitmap: dir_entry().bitmap(),
        params: FileDirParams::Dir(dir_entry()),
    };
    let mut wire = BytesMut::new();
    reply.encode(&mut wire);
    let wire = wire.freeze();
    let mut g = c.benchmark_group("afp_get_file_dir_parms_reply");
    g.throughput(Throughput::Bytes(wire.len() as u64));
    let mut dst = BytesMut::with_capacity(256);
    g.bench_function("encode", |b| {
        b.iter(|| {
            dst.clear();
            black_box(&reply).encode(&mut dst);
            black_box(dst.len())
        });
    });
    g.bench_function("decode", |b| {
        b.iter(|| {
            black_box(FileDirParmsReply::decode(black_box(&wire), AfpVersion::V3_4).unwrap())
        });
    });
    g.finish();
}

fn read_write(c: &mut Criterion) {
    let header = WriteExt {
        start_end: false,
        fork: 7,
        offset: 0,
        count: MIB as i64,
    };
    let mut empty = BytesMut::new();
    header.encode(&mut empty);
    let empty = empty.freeze();
    let mut full = BytesMut::from(&empty[..]);
    full.extend_from_slice(&vec![0x5A; MIB]);
    let full = full.freeze();

    let mut g = c.benchmark_group("afp_write_ext_request");
    g.throughput(Throughput::Elements(1));
    g.bench_function("decode_header_only", |b| {
        b.iter(|| black_box(Request::decode(black_box(&empty)).unwrap()));
    });
    g.bench_function("decode_with_1MiB_payload", |b| {
        b.iter(|| black_box(Request::decode(black_box(&full)).unwrap()));
    });
    let mut dst = BytesMut::with_capacity(64);
    g.bench_function("encode_header", |b| {
        b.iter(|| {
            dst.clear();
            black_box(&header).encode(&mut dst);
        });
    });
    g.finish();

    let read = ReadExt {
        fork: 7,
        offset: 0,
        count: MIB as i64,
    };
    let mut req = BytesMut::new();
    read.encode(&mut req);
    let req = req.freeze();
    let data_small = Bytes::new();
    let data_big = Bytes::from(vec![0x5Au8; MIB]);
    let ctx = ReplyContext::new(AfpVersion::V3_4);
    let mut g = c.benchmark_group("afp_read_ext");
    g.throughput(Throughput::Elements(1));
    g.bench_function("decode_request", |b| {
        b.iter(|| black_box(Request::decode(black_box(&req)).unwrap()));
    });
    g.bench_function("decode_reply_empty", |b| {
        b.iter(|| {
            black_box(Reply::decode(CommandCode::READ_EXT, black_box(&data_small), ctx).unwrap())
        });
    });
    g.bench_function("decode_reply_1MiB", |b| {
        b.iter(|| {
            black_box(Reply::decode(CommandCode::READ_EXT, black_box(&data_big), ctx).unwrap())
        });
    });
    g.finish();
}

criterion_group!(benches, enumerate, get_file_dir_parms, read_write);
criterion_main!(benches);
