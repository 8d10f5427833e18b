//! tape-format benchmarks.
//!
//! 1. `cargo bench --bench tape` first runs a one-shot comparison: 2 GiB written and read
//!    back through the file-backed tape (FileWriter → VolumeWriter → SimhTape on a file,
//!    then VolumeReader) against `dd bs=32k` copying the same bytes on the same
//!    filesystem, in the same run. It prints the time ratio and the CPU time per GiB of
//!    both. The directory is `$TAPE_BENCH_DIR` or the system temp dir; the size is
//!    `$TAPE_BENCH_BYTES` (default 2 GiB). Under `cargo test --benches` it runs on 8 MiB.
//! 2. Criterion groups: header codec, state files, and in-memory tape throughput.

use std::fs::{File, OpenOptions};
use std::hint::black_box;
use std::io::{Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group};
use tape_format::afbackup::{BytesOnTape, CartridgeOrder, ReadonlyTapes};
use tape_format::amanda::{DumpFile, HEADER_BLOCK, Header};
use tape_format::simh::{ImageStore, SimhTape};
use tape_format::{
    BlockMode, CartridgePolicy, DeviceError, Library, ReadOptions, TapeDevice, VolumeReader,
    VolumeWriter, WriterConfig,
};

const BS: u32 = 32768;

/// A tape image in a file (the binaries have their own; this one keeps the bench
/// self-contained).
struct FileImage {
    file: File,
    len: u64,
}

impl ImageStore for FileImage {
    fn len(&self) -> u64 {
        self.len
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, DeviceError> {
        let mut got = 0;
        while got < buf.len() {
            match self.file.read_at(&mut buf[got..], offset + got as u64) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(_) => return Err(DeviceError::Io("read")),
            }
        }
        Ok(got)
    }
    fn write_at(&mut self, offset: u64, data: &[u8]) -> Result<(), DeviceError> {
        self.file
            .write_all_at(data, offset)
            .map_err(|_| DeviceError::Io("write"))?;
        self.len = self.len.max(offset + data.len() as u64);
        Ok(())
    }
    fn set_len(&mut self, len: u64) -> Result<(), DeviceError> {
        self.file
            .set_len(len)
            .map_err(|_| DeviceError::Io("set_len"))?;
        self.len = len;
        Ok(())
    }
}

/// One cartridge in one drive.
struct OneTape<D: TapeDevice>(D);

impl<D: TapeDevice> Library for OneTape<D> {
    type Drive = D;
    fn cartridges(&self) -> u32 {
        1
    }
    fn load(&mut self, cart: u32) -> Result<(), DeviceError> {
        if cart != 1 {
            return Err(DeviceError::NotReady);
        }
        self.0.rewind()
    }
    fn loaded(&self) -> Option<u32> {
        Some(1)
    }
    fn drive(&mut self) -> &mut D {
        &mut self.0
    }
}

fn template() -> DumpFile {
    let mut d = DumpFile::new("20240102030405", "bench", "/bench", 0);
    d.program = Some("GNUTAR".into());
    d.recover_cmd = Some("/bin/tar -xf -".into());
    d
}

fn writer_config() -> WriterConfig {
    WriterConfig {
        block_size: BS,
        max_bytes_per_file: 50_000_000,
        label_prefix: "AF-".into(),
        set: 1,
        now: 0,
    }
}

/// CPU seconds of this process (self) and of its waited-for children, from /proc.
fn cpu_times() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |x| x.1);
    let f: Vec<f64> = after
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    // Fields after the command: state=0 … utime=11 stime=12 cutime=13 cstime=14 (clock ticks).
    let tick = 100.0;
    let get = |i: usize| f.get(i).copied().unwrap_or(0.0) / tick;
    (get(11) + get(12), get(13) + get(14))
}

#[allow(clippy::disallowed_methods)]
fn now() -> Instant {
    Instant::now()
}

fn source_file(path: &Path, len: u64) {
    let mut f = std::io::BufWriter::new(File::create(path).unwrap());
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut chunk = vec![0u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        for w in chunk.chunks_exact_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            w.copy_from_slice(&x.to_le_bytes());
        }
        let n = left.min(chunk.len() as u64) as usize;
        f.write_all(&chunk[..n]).unwrap();
        left -= n as u64;
    }
    f.flush().unwrap();
}

struct Run {
    write: Duration,
    read: Duration,
    cpu: f64,
}

fn ours(src: &Path, tape: &Path) -> Run {
    let (cpu0, _) = cpu_times();
    let t0 = now();
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(tape)
        .unwrap();
    let store = FileImage { file, len: 0 };
    let mut lib = OneTape(SimhTape::open(store, BlockMode::Variable { max: 1 << 20 }).unwrap());
    let policy = CartridgePolicy {
        num_cartridges: 1,
        ..Default::default()
    };
    let mut w = VolumeWriter::start(&mut lib, writer_config(), policy, template(), 1, 1).unwrap();
    let mut input = File::open(src).unwrap();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = input.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        w.write(&mut lib, &buf[..n]).unwrap();
    }
    let (summary, _) = w.finish(&mut lib).unwrap();
    let write = t0.elapsed();
    let t1 = now();
    let opts = ReadOptions {
        order: CartridgeOrder::default(),
        num_cartridges: 1,
        length: Some(summary.bytes),
        skip_damaged: false,
        block_sizes: vec![],
    };
    let (c, f) = (summary.parts[0].cart, summary.parts[0].file);
    let mut r = VolumeReader::open(&mut lib, c, f, opts).unwrap();
    let mut total = 0u64;
    loop {
        let n = r.read(&mut lib, &mut buf).unwrap();
        if n == 0 {
            break;
        }
        total += n as u64;
        black_box(&buf[..n]);
    }
    assert_eq!(total, summary.bytes);
    let read = t1.elapsed();
    let (cpu1, _) = cpu_times();
    Run {
        write,
        read,
        cpu: cpu1 - cpu0,
    }
}

fn dd(src: &Path, dst: &Path) -> Run {
    let (_, c0) = cpu_times();
    let t0 = now();
    let ok = Command::new("dd")
        .arg(format!("if={}", src.display()))
        .arg(format!("of={}", dst.display()))
        .arg("bs=32k")
        .arg("status=none")
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "dd failed (is coreutils dd installed?)");
    let write = t0.elapsed();
    let t1 = now();
    let ok = Command::new("dd")
        .arg(format!("if={}", dst.display()))
        .arg("of=/dev/null")
        .arg("bs=32k")
        .arg("status=none")
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "dd failed");
    let read = t1.elapsed();
    let (_, c1) = cpu_times();
    Run {
        write,
        read,
        cpu: c1 - c0,
    }
}

/// The one-shot file-backed tape vs dd comparison.
fn versus_dd(bytes: u64) {
    let dir: PathBuf =
        std::env::var_os("TAPE_BENCH_DIR").map_or_else(std::env::temp_dir, PathBuf::from);
    let base = dir.join(format!("tape-bench-{}", std::process::id()));
    std::fs::create_dir_all(&base).unwrap();
    let (src, tape, copy) = (
        base.join("source"),
        base.join("tape.tap"),
        base.join("dd.out"),
    );
    source_file(&src, bytes);
    // Warm the source in the page cache for both contenders.
    let _ = std::fs::read(&src).map(|v| black_box(v.len()));
    // Start each contender with no dirty pages of the other's output being written back.
    let sync = || {
        let _ = Command::new("sync").status();
    };
    sync();
    let d = dd(&src, &copy);
    let _ = std::fs::remove_file(&copy);
    sync();
    let o = ours(&src, &tape);
    let _ = std::fs::remove_dir_all(&base);
    let gib = bytes as f64 / (1u64 << 30) as f64;
    let mbs = |t: Duration| bytes as f64 / t.as_secs_f64() / 1e6;
    println!("tape vs dd bs=32k, {:.2} GiB in {}", gib, dir.display());
    println!(
        "  write: tape {:.2} s ({:.0} MB/s), dd {:.2} s ({:.0} MB/s), ratio tape/dd {:.2}",
        o.write.as_secs_f64(),
        mbs(o.write),
        d.write.as_secs_f64(),
        mbs(d.write),
        o.write.as_secs_f64() / d.write.as_secs_f64()
    );
    println!(
        "  read:  tape {:.2} s ({:.0} MB/s), dd {:.2} s ({:.0} MB/s), ratio tape/dd {:.2}",
        o.read.as_secs_f64(),
        mbs(o.read),
        d.read.as_secs_f64(),
        mbs(d.read),
        o.read.as_secs_f64() / d.read.as_secs_f64()
    );
    println!(
        "  CPU per GiB (write + read): tape {:.2} s, dd {:.2} s",
        o.cpu / gib,
        d.cpu / gib
    );
}

fn codecs(c: &mut Criterion) {
    let mut d = template();
    d.blocksize = Some(BS);
    d.extra = vec![
        "X-TF-STREAM=00000000deadbeef".into(),
        "X-TF-OFFSET=1048576".into(),
    ];
    let header = Header::Dump(Box::new(d));
    let block = header.encode(HEADER_BLOCK).unwrap();
    let mut g = c.benchmark_group("amanda_header");
    g.throughput(Throughput::Elements(1));
    g.bench_function("encode_32k", |b| {
        b.iter(|| black_box(header.encode(HEADER_BLOCK).unwrap()))
    });
    g.bench_function("decode_32k", |b| {
        b.iter(|| black_box(Header::decode(black_box(&block)).unwrap()))
    });
    g.finish();

    let bot: String = (1..=1000)
        .map(|i| format!("{i}: {} 17 0 1704164645\n", i * 1000))
        .collect();
    let ro: String = (1..=1000)
        .map(|i| format!("{}-{},{}\n", i, i + 2, i * 7))
        .collect();
    let mut g = c.benchmark_group("state_files");
    g.throughput(Throughput::Bytes(bot.len() as u64));
    g.bench_function("bytes_on_tape_1000_lines", |b| {
        b.iter(|| black_box(BytesOnTape::decode(black_box(&bot)).unwrap().encode()))
    });
    g.throughput(Throughput::Bytes(ro.len() as u64));
    g.bench_function("readonly_tapes_1000_lines", |b| {
        b.iter(|| black_box(ReadonlyTapes::decode(black_box(&ro)).unwrap()))
    });
    g.finish();
}

fn memory_tape(c: &mut Criterion) {
    const LEN: usize = 64 << 20;
    let data: Vec<u8> = (0..LEN).map(|i| (i * 31 % 251) as u8).collect();
    let mut g = c.benchmark_group("simh_in_memory");
    g.throughput(Throughput::Bytes(LEN as u64));
    g.sample_size(10);
    g.bench_function("write_64MiB", |b| {
        b.iter(|| {
            let mut lib = OneTape(
                SimhTape::open(
                    Vec::with_capacity(LEN + (4 << 20)),
                    BlockMode::Variable { max: 1 << 20 },
                )
                .unwrap(),
            );
            let policy = CartridgePolicy {
                num_cartridges: 1,
                ..Default::default()
            };
            let mut w =
                VolumeWriter::start(&mut lib, writer_config(), policy, template(), 1, 1).unwrap();
            for chunk in data.chunks(1 << 20) {
                w.write(&mut lib, chunk).unwrap();
            }
            black_box(w.finish(&mut lib).unwrap());
        })
    });
    let mut lib =
        OneTape(SimhTape::open(Vec::new(), BlockMode::Variable { max: 1 << 20 }).unwrap());
    let policy = CartridgePolicy {
        num_cartridges: 1,
        ..Default::default()
    };
    let mut w = VolumeWriter::start(&mut lib, writer_config(), policy, template(), 1, 1).unwrap();
    w.write(&mut lib, &data).unwrap();
    let (summary, _) = w.finish(&mut lib).unwrap();
    g.bench_function("read_64MiB", |b| {
        let mut buf = vec![0u8; 1 << 20];
        b.iter(|| {
            let opts = ReadOptions {
                num_cartridges: 1,
                length: Some(summary.bytes),
                ..Default::default()
            };
            let mut r = VolumeReader::open(&mut lib, 1, 1, opts).unwrap();
            while r.read(&mut lib, &mut buf).unwrap() > 0 {}
        })
    });
    g.finish();
}

criterion_group!(benches, codecs, memory_tape);

fn main() {
    let bench_mode = std::env::args().any(|a| a == "--bench");
    let bytes = std::env::var("TAPE_BENCH_BYTES")
        .ok()
        .and_then(|v| v.parse().ok());
    versus_dd(if bench_mode {
        bytes.unwrap_or(2 << 30)
    } else {
        8 << 20
    });
    benches();
    Criterion::default().configure_from_args().final_summary();
}
