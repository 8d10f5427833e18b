//! Spanning and reading across in-memory cartridges: early warning, hard end of medium,
//! read-only and write-protected cartridges, wrong labels, damaged blocks.

use std::collections::BTreeSet;

use tape_format::afbackup::{CartridgeOrder, RangeSet};
use tape_format::amanda::DumpFile;
use tape_format::{
    BlockMode, CartridgePolicy, DeviceError, Library, MemLibrary, MemTape, ReadOptions, SpanEvent,
    TapeDevice, TapeErrorKind, VolumeReader, VolumeWriter, WriteSummary, WriterConfig, read_label,
    write_label,
};

const BS: u32 = 32768;

fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn cfg() -> WriterConfig {
    WriterConfig {
        block_size: BS,
        max_bytes_per_file: 4 * BS as u64,
        label_prefix: "AF-".into(),
        set: 1,
        now: 1_704_164_645,
    }
}

fn template() -> DumpFile {
    let mut d = DumpFile::new("20240102030405", "localhost", "/srv/data", 0);
    d.program = Some("GNUTAR".into());
    d.recover_cmd = Some("/bin/tar -xf -".into());
    d
}

/// `n` cartridges of `blocks` blocks each, with `ew` blocks of early warning.
fn library(n: usize, blocks: u64, ew: u64) -> MemLibrary {
    let tape = MemTape::new(BlockMode::Fixed(BS)).with_capacity(blocks * BS as u64, ew * BS as u64);
    MemLibrary::new(vec![tape; n])
}

fn policy(n: u32) -> CartridgePolicy {
    CartridgePolicy {
        num_cartridges: n,
        ..Default::default()
    }
}

fn backup(
    lib: &mut MemLibrary,
    policy: CartridgePolicy,
    stream: u64,
    payload: &[u8],
    cart: u32,
) -> (WriteSummary, Vec<SpanEvent>, CartridgeOrder) {
    let mut w = VolumeWriter::start(lib, cfg(), policy, template(), stream, cart).unwrap();
    let mut events = Vec::new();
    for chunk in payload.chunks(10_000) {
        w.write(lib, chunk).unwrap();
        events.extend(std::iter::from_fn(|| w.poll_event()));
    }
    let (summary, rest) = w.finish(lib).unwrap();
    events.extend(rest);
    let mut order = CartridgeOrder::default();
    for e in &events {
        if let SpanEvent::Continued { from, to, file } = e {
            order.link(*from, *to, *file);
        }
    }
    (summary, events, order)
}

fn restore(
    lib: &mut MemLibrary,
    summary: &WriteSummary,
    order: CartridgeOrder,
    length: Option<u64>,
    skip: bool,
) -> Result<(Vec<u8>, VolumeReader), tape_format::TapeError> {
    let first = summary.parts[0];
    let n = lib.cartridges();
    let mut r = VolumeReader::open(
        lib,
        first.cart,
        first.file,
        ReadOptions {
            order,
            num_cartridges: n,
            length,
            skip_damaged: skip,
            block_sizes: vec![],
        },
    )?;
    let mut out = Vec::new();
    let mut buf = vec![0u8; 50_000];
    loop {
        let k = r.read(lib, &mut buf)?;
        if k == 0 {
            break;
        }
        out.extend_from_slice(&buf[..k]);
    }
    Ok((out, r))
}

fn carts(summary: &WriteSummary) -> BTreeSet<u32> {
    summary.parts.iter().map(|p| p.cart).collect()
}

#[test]
fn spans_three_cartridges_with_early_warning() {
    let mut lib = library(4, 12, 2);
    let payload = data(18 * BS as usize + 1234, 1);
    let (s, events, order) = backup(&mut lib, policy(4), 0xabc, &payload, 1);
    assert_eq!(carts(&s), BTreeSet::from([1, 2, 3]));
    assert_eq!(s.bytes, payload.len() as u64);
    assert!(
        events.contains(&SpanEvent::TapeFull {
            cart: 1,
            last_file: s
                .parts
                .iter()
                .filter(|p| p.cart == 1)
                .map(|p| p.file)
                .max()
                .unwrap()
        })
    );
    assert_eq!(order.next(1).map(|x| x.0), Some(2));
    assert_eq!(order.next(2).map(|x| x.0), Some(3));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, SpanEvent::Labeled { cart: 2, .. }))
    );
    // Parts are numbered consecutively and each starts where the previous ended.
    for (i, p) in s.parts.iter().enumerate() {
        assert_eq!(p.part, i as i32 + 1);
    }
    for w in s.parts.windows(2) {
        assert_eq!(w[0].offset + w[0].bytes, w[1].offset);
    }
    let (out, r) = restore(&mut lib, &s, order, Some(s.bytes), false).unwrap();
    assert!(out == payload, "restored stream differs");
    assert!(r.damage().is_empty());
}

#[test]
fn spans_three_cartridges_at_hard_end_of_medium() {
    let mut lib = library(3, 12, 0);
    let payload = data(24 * BS as usize + 5, 2);
    let (s, events, order) = backup(&mut lib, policy(3), 0xdef, &payload, 1);
    assert_eq!(carts(&s), BTreeSet::from([1, 2, 3]));
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, SpanEvent::TapeFull { .. }))
            .count(),
        2
    );
    let (out, _) = restore(&mut lib, &s, order.clone(), Some(s.bytes), false).unwrap();
    assert!(out == payload);
    // Without the catalog length the chain still ends at the stream's end (padding of the
    // last fixed block aside).
    let (out, _) = restore(&mut lib, &s, order, None, false).unwrap();
    assert!(out[..payload.len()] == payload[..] && out[payload.len()..].iter().all(|&b| b == 0));
}

#[test]
fn read_only_cartridge_in_the_middle_is_skipped() {
    let mut lib = library(4, 12, 2);
    let mut p = policy(4);
    p.readonly.lines.push(RangeSet::parse("2").unwrap());
    let payload = data(22 * BS as usize, 3);
    let (s, _, order) = backup(&mut lib, p, 7, &payload, 1);
    assert_eq!(carts(&s), BTreeSet::from([1, 3, 4]));
    assert_eq!(
        lib.tape(2).unwrap().used_bytes(),
        0,
        "read-only cartridge untouched"
    );
    assert_eq!(order.next(1), Some((3, 1)));
    let (out, _) = restore(&mut lib, &s, order, Some(s.bytes), false).unwrap();
    assert!(out == payload);
}

#[test]
fn restore_without_cartridge_order_follows_the_header_links() {
    let mut lib = library(4, 12, 2);
    let mut p = policy(4);
    p.readonly.lines.push(RangeSet::parse("2").unwrap());
    let payload = data(22 * BS as usize, 4);
    let (s, _, _) = backup(&mut lib, p, 8, &payload, 1);
    let (out, _) = restore(
        &mut lib,
        &s,
        CartridgeOrder::default(),
        Some(s.bytes),
        false,
    )
    .unwrap();
    assert!(out == payload);
}

#[test]
fn second_backup_appends_and_both_restore() {
    let mut lib = library(3, 40, 2);
    let a = data(5 * BS as usize + 10, 5);
    let b = data(3 * BS as usize + 99, 6);
    let (sa, _, oa) = backup(&mut lib, policy(3), 1, &a, 1);
    let (sb, _, ob) = backup(&mut lib, policy(3), 2, &b, sa.next.0);
    assert_eq!(sb.parts[0].cart, 1);
    assert!(sb.parts[0].file > sa.parts.last().unwrap().file);
    assert!(restore(&mut lib, &sa, oa, None, false).unwrap().0[..a.len()] == a[..]);
    assert!(restore(&mut lib, &sb, ob, Some(sb.bytes), false).unwrap().0 == b);
}

#[test]
fn write_protected_and_wrong_labels() {
    // A write-protected first cartridge is a clear error naming it.
    let mut lib = library(3, 40, 2);
    lib.tape_mut(1).unwrap().set_write_protected(true);
    let e = VolumeWriter::start(&mut lib, cfg(), policy(3), template(), 1, 1).unwrap_err();
    assert_eq!((e.cart, e.kind), (1, TapeErrorKind::WriteProtected));
    assert!(e.to_string().starts_with("cartridge 1, file 0, block 0"));

    // While spanning, a write-protected and a wrongly labelled cartridge are skipped.
    let mut lib = library(4, 12, 2);
    lib.tape_mut(2).unwrap().set_write_protected(true);
    write_label(lib.tape_mut(3).unwrap(), &cfg().tapestart(9, "X")).unwrap();
    let payload = data(15 * BS as usize, 7);
    let (s, events, order) = backup(&mut lib, policy(4), 3, &payload, 1);
    assert_eq!(carts(&s), BTreeSet::from([1, 4]));
    assert!(events.contains(&SpanEvent::Skipped {
        cart: 2,
        reason: TapeErrorKind::WriteProtected
    }));
    assert!(events.contains(&SpanEvent::Skipped {
        cart: 3,
        reason: TapeErrorKind::WrongLabel { found: 9 }
    }));
    assert_eq!(
        read_label(lib.tape_mut(3).unwrap()).unwrap().cartridge(),
        Some(9),
        "foreign cartridge not overwritten"
    );
    assert!(
        restore(&mut lib, &s, order, Some(s.bytes), false)
            .unwrap()
            .0
            == payload
    );

    // Reading a cartridge whose label names another number fails naming both.
    let mut lib = library(2, 40, 2);
    let (s, _, order) = backup(&mut lib, policy(2), 4, &data(1000, 8), 1);
    write_label(lib.tape_mut(1).unwrap(), &cfg().tapestart(5, "X")).unwrap();
    let e = restore(&mut lib, &s, order, None, false).unwrap_err();
    assert_eq!(
        (e.cart, e.kind),
        (1, TapeErrorKind::WrongLabel { found: 5 })
    );
}

#[test]
fn no_writable_cartridge_left() {
    let mut lib = library(2, 12, 2);
    let mut w = VolumeWriter::start(&mut lib, cfg(), policy(2), template(), 1, 1).unwrap();
    let e = (0..100)
        .try_for_each(|_| w.write(&mut lib, &[0u8; 32768]))
        .unwrap_err();
    assert_eq!(e.kind, TapeErrorKind::NoWritableCartridge);
}

#[test]
fn bad_block_size_is_refused() {
    let mut lib = MemLibrary::new(vec![MemTape::new(BlockMode::Fixed(16384))]);
    let mut c = cfg();
    c.block_size = 16384;
    let e = VolumeWriter::start(&mut lib, c, policy(1), template(), 1, 1).unwrap_err();
    assert_eq!(e.kind, TapeErrorKind::BadBlockSize(16384));
}

#[test]
fn damaged_block_is_skipped_and_reported() {
    let mut lib = library(2, 100, 2);
    let payload = data(10 * BS as usize, 9);
    let (s, _, order) = backup(&mut lib, policy(2), 5, &payload, 1);
    let p = s.parts[1];
    // Block 2 of the second part (block 0 is its header).
    assert!(lib.tape_mut(p.cart).unwrap().damage(p.file, 2));
    let e = restore(&mut lib, &s, order.clone(), Some(s.bytes), false).unwrap_err();
    assert_eq!((e.cart, e.file, e.block), (p.cart, p.file, 2));
    assert!(matches!(e.kind, TapeErrorKind::Device(DeviceError::Io(_))));
    let (out, r) = restore(&mut lib, &s, order, Some(s.bytes), true).unwrap();
    assert_eq!(out.len(), payload.len());
    let d = r.damage();
    assert_eq!(d.len(), 1);
    let lost = d[0].offset as usize..(d[0].offset + d[0].len) as usize;
    assert_eq!(lost.start, p.offset as usize + BS as usize);
    assert!(out[lost.clone()].iter().all(|&b| b == 0));
    assert!(out[..lost.start] == payload[..lost.start] && out[lost.end..] == payload[lost.end..]);
}

mod model {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn any_capacity_round_trips(len in 0usize..(8 * BS as usize), blocks in 6u64..16, ew in 0u64..3,
                                    per_file in 1u64..6, ro in proptest::option::of(2u32..4)) {
            let mut lib = library(10, blocks, ew);
            let mut p = policy(10);
            if let Some(r) = ro { p.readonly.lines.push(RangeSet::parse(&r.to_string()).unwrap()); }
            let payload = data(len, len as u64);
            let mut c = cfg();
            c.max_bytes_per_file = per_file * BS as u64;
            let mut w = VolumeWriter::start(&mut lib, c, p, template(), 42, 1).unwrap();
            let mut order = CartridgeOrder::default();
            for chunk in payload.chunks(7777) {
                w.write(&mut lib, chunk).unwrap();
            }
            let (s, events) = w.finish(&mut lib).unwrap();
            for e in &events {
                if let SpanEvent::Continued { from, to, file } = e { order.link(*from, *to, *file); }
            }
            if let Some(r) = ro { prop_assert_eq!(lib.tape(r).unwrap().used_bytes(), 0); }
            let (out, _) = restore(&mut lib, &s, order, Some(s.bytes), false).unwrap();
            prop_assert!(out == payload);
        }
    }
}

#[test]
fn reading_with_another_block_size_probes_ever_used_sizes() {
    // Written with 64 KiB blocks on a fixed-block drive.
    let mut lib = MemLibrary::new(vec![MemTape::new(BlockMode::Fixed(65536))]);
    let mut c = cfg();
    c.block_size = 65536;
    let payload = data(300_000, 10);
    let mut w = VolumeWriter::start(&mut lib, c, policy(1), template(), 9, 1).unwrap();
    w.write(&mut lib, &payload).unwrap();
    let (s, _) = w.finish(&mut lib).unwrap();
    // The drive comes up in 32 KiB fixed mode; the label read fails, probing finds 65536.
    lib.tape_mut(1)
        .unwrap()
        .set_mode(BlockMode::Fixed(32768))
        .unwrap();
    let opts = ReadOptions {
        num_cartridges: 1,
        length: Some(s.bytes),
        block_sizes: vec![16384, 65536],
        ..Default::default()
    };
    let mut r = VolumeReader::open(&mut lib, 1, 1, opts).unwrap();
    let mut out = vec![0u8; payload.len()];
    let mut got = 0;
    while got < out.len() {
        let n = r.read(&mut lib, &mut out[got..]).unwrap();
        assert!(n > 0);
        got += n;
    }
    assert!(out == payload);
    assert_eq!(lib.tape(1).unwrap().mode(), BlockMode::Fixed(65536));
}
