//! One server session: handshake, then requests until the client quits (PROTOCOL.md).
//!
//! The session is blocking and single-threaded: a tape drive serves one stream at a time
//! and its `st` ioctls block anyway, so a thread per connection (standalone mode) or a
//! process per connection (inetd, systemd `Accept=yes`, ssh) is all the concurrency a
//! tape server needs; the state-directory lock makes sessions take turns.

use std::io::{BufReader, BufWriter, Read, Write};
use std::process::Command;

use anyhow::Context;
use tape_format::afbackup::BytesOnTapeEntry;
use tape_format::amanda::{DumpFile, Side, TapeStart, VolumeInfo};
use tape_format::{
    CartridgePolicy, Library, ReadOptions, SpanEvent, TapeError, VolumeLabel, VolumeReader,
    VolumeWriter, WriterConfig, header_block_len, read_label, write_label,
};

use crate::backend::AnyLibrary;
use crate::config::Config;
use crate::protocol::{CatalogEntry, Frame, VERSION, code, read_frame, write_data, write_frame};
use crate::state::{StateDir, StatusFile, datestamp, now_instant, now_secs};

/// Bytes per data frame sent to the client.
const CHUNK: usize = 256 * 1024;

/// A configured server.
pub struct Server {
    cfg: Config,
}

fn err_frame(code: u16, message: impl std::fmt::Display) -> Frame {
    Frame::Error {
        code,
        message: message.to_string(),
    }
}

/// A unique enough stream id: clock, pid and a counter.
fn new_stream_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = now_instant().elapsed().as_nanos() as u64 ^ now_secs().rotate_left(20);
    let x = t
        ^ (u64::from(std::process::id()) << 40)
        ^ N.fetch_add(1, Ordering::Relaxed)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15);
    // splitmix64 finaliser
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Server {
    /// A server for a configuration.
    pub fn new(cfg: Config) -> Server {
        Server { cfg }
    }

    /// Serve one connection until the client quits or disconnects.
    pub fn serve(&self, r: impl Read, w: impl Write) -> anyhow::Result<()> {
        let mut r = BufReader::with_capacity(1 << 20, r);
        let mut w = BufWriter::with_capacity(1 << 20, w);
        match read_frame(&mut r)? {
            Some(Frame::Hello { version, .. }) if version == VERSION => {
                write_frame(
                    &mut w,
                    &Frame::HelloOk {
                        version: VERSION,
                        name: format!("afserver {}", env!("CARGO_PKG_VERSION")),
                    },
                )?;
            }
            Some(Frame::Hello { version, .. }) => {
                write_frame(
                    &mut w,
                    &err_frame(
                        code::VERSION,
                        format!(
                            "protocol version {version} not supported (server speaks {VERSION})"
                        ),
                    ),
                )?;
                w.flush()?;
                return Ok(());
            }
            None => return Ok(()),
            Some(_) => {
                write_frame(&mut w, &err_frame(code::PROTOCOL, "expected Hello"))?;
                w.flush()?;
                return Ok(());
            }
        }
        w.flush()?;
        loop {
            let Some(frame) = read_frame(&mut r)? else {
                return Ok(());
            };
            let reply = match frame {
                Frame::BackupBegin {
                    host,
                    disk,
                    level,
                    compression,
                } => self.backup(&mut r, &mut w, host, disk, level, compression)?,
                Frame::Restore { id } => self.restore(&mut w, id)?,
                Frame::List => self
                    .list()
                    .unwrap_or_else(|e| err_frame(code::SERVER, format!("{e:#}"))),
                Frame::Label { cart, label, force } => self.label(cart, &label, force),
                Frame::Message(m) => self.message(&m),
                Frame::Quit => return Ok(()),
                other => err_frame(code::PROTOCOL, format!("unexpected frame {other:?}")),
            };
            write_frame(&mut w, &reply)?;
            w.flush()?;
        }
    }

    fn state(&self) -> anyhow::Result<StateDir> {
        StateDir::open(&self.cfg.var_dir)
    }

    fn backup(
        &self,
        r: &mut impl Read,
        w: &mut impl Write,
        host: String,
        disk: String,
        level: u8,
        compression: String,
    ) -> anyhow::Result<Frame> {
        match self.backup_inner(r, w, host, disk, level, compression) {
            Ok(f) => Ok(f),
            Err(BackupFailure::Io(e)) => Err(e),
            // Refusals before BackupStarted come before any data (the client waits for
            // BackupStarted); later ones come after the data loop has read BackupEnd.
            Err(BackupFailure::Refused(code, msg)) => Ok(err_frame(code, msg)),
        }
    }

    fn backup_inner(
        &self,
        r: &mut impl Read,
        w: &mut impl Write,
        host: String,
        disk: String,
        level: u8,
        compression: String,
    ) -> Result<Frame, BackupFailure> {
        let cfg = &self.cfg;
        let refuse = |e: anyhow::Error| BackupFailure::Refused(code::SERVER, format!("{e:#}"));
        let tape = |e: TapeError| BackupFailure::Refused(code::TAPE, e.to_string());
        if !matches!(compression.as_str(), "N" | ".zst") {
            return Err(BackupFailure::Refused(
                code::PROTOCOL,
                format!("unknown compression {compression}"),
            ));
        }
        let st = self.state().map_err(refuse)?;
        let mut bot = st.bytes_on_tape().map_err(refuse)?;
        let mut tapepos = st.tapepos().map_err(refuse)?;
        let mut order = st.order().map_err(refuse)?;
        let mut uses = st.tape_uses().map_err(refuse)?;
        let mut sizes = st.blocksizes().map_err(refuse)?;
        let mut catalog = st.catalog().map_err(refuse)?;
        let policy = CartridgePolicy {
            num_cartridges: cfg.cartridges,
            readonly: st.readonly().map_err(refuse)?,
            precious: st.precious().map_err(refuse)?,
            full: bot
                .entries
                .iter()
                .filter(|e| e.full)
                .map(|e| e.cart)
                .collect(),
            reuse_full: cfg.reuse_full,
        };
        let now = now_secs();
        let ds = datestamp(now);
        let mut t = DumpFile::new(&ds, &host, &disk, i32::from(level));
        t.program = Some("GNUTAR".into());
        t.recover_cmd = Some("/bin/tar -xf -".into());
        if compression == ".zst" {
            // Amanda's restore tools decompress `comp cust` with the custom program and
            // `-d` (verified with amrestore 3.5.1); `.zst` would be taken for gzip.
            t.compression = Some("cust".into());
            t.custom_compress = Some((Side::Server, "/usr/bin/zstd".into()));
            t.uncompress_cmd = Some("/usr/bin/zstd -dc |".into());
        }
        let wcfg = WriterConfig {
            block_size: cfg.block_size,
            max_bytes_per_file: cfg.max_bytes_per_file,
            label_prefix: cfg.label_prefix.clone(),
            set: 1,
            now,
        };
        let start = tapepos
            .set_position(1)
            .map_or(1, |p| p.0)
            .clamp(1, cfg.cartridges);
        let mut lib = AnyLibrary::new(cfg);
        let stream = new_stream_id();
        let mut writer =
            VolumeWriter::start(&mut lib, wcfg, policy, t, stream, start).map_err(tape)?;
        let id = catalog.iter().map(|e| e.id).max().unwrap_or(0) + 1;
        write_frame(
            w,
            &Frame::BackupStarted {
                id,
                cart: writer.cartridge(),
                file: writer.file(),
            },
        )
        .and_then(|()| w.flush())
        .map_err(|e| BackupFailure::Io(e.into()))?;

        let mut status = StatusFile::new(&cfg.var_dir, cfg.status_interval);
        status.start(
            &format!(
                "Writing backup {id} of {host}:{disk} to cartridge {}",
                writer.cartridge()
            ),
            0,
        );
        let hdr = header_block_len(lib.drive().mode()) as u64;
        let mut failure = None;
        let apply = |ev: SpanEvent,
                     bot: &mut tape_format::afbackup::BytesOnTape,
                     order: &mut tape_format::afbackup::CartridgeOrder,
                     uses: &mut tape_format::afbackup::TapeUses| {
            let entry = |bot: &tape_format::afbackup::BytesOnTape, cart: u32| {
                bot.get(cart).copied().unwrap_or(BytesOnTapeEntry {
                    cart,
                    bytes: 0,
                    files: 0,
                    full: false,
                    time: now,
                })
            };
            match ev {
                SpanEvent::Labeled { cart, .. } => {
                    bot.set(BytesOnTapeEntry {
                        cart,
                        bytes: hdr,
                        files: 0,
                        full: false,
                        time: now,
                    });
                }
                SpanEvent::PartWritten(p) => {
                    let mut e = entry(bot, p.cart);
                    e.bytes += p.bytes + hdr;
                    e.files = p.file;
                    e.time = now;
                    bot.set(e);
                }
                SpanEvent::TapeFull { cart, .. } => {
                    let mut e = entry(bot, cart);
                    e.full = true;
                    bot.set(e);
                    let n = uses.bump(cart);
                    if let Some(cmd) = &cfg.tape_full_command {
                        let cmd = cmd
                            .replace("%c", &cart.to_string())
                            .replace("%n", &n.to_string());
                        match Command::new("sh").arg("-c").arg(&cmd).status() {
                            Ok(s) if s.success() => {}
                            other => {
                                eprintln!("afserver: Tape-Full-Command `{cmd}` failed: {other:?}")
                            }
                        }
                    }
                }
                SpanEvent::Continued { from, to, file } => order.link(from, to, file),
                SpanEvent::Skipped { cart, reason } => {
                    eprintln!("afserver: skipping cartridge {cart}: {reason}")
                }
            }
        };
        loop {
            let frame = read_frame(r).map_err(|e| BackupFailure::Io(e.into()))?;
            match frame {
                Some(Frame::Data(d)) => {
                    if failure.is_none() {
                        if let Err(e) = writer.write(&mut lib, &d) {
                            failure = Some(e);
                        }
                        while let Some(ev) = writer.poll_event() {
                            apply(ev, &mut bot, &mut order, &mut uses);
                        }
                        status.tick(
                            &format!(
                                "Writing cartridge {} file {}",
                                writer.cartridge(),
                                writer.file()
                            ),
                            writer.bytes(),
                        );
                    }
                }
                Some(Frame::BackupEnd) => break,
                None => {
                    return Err(BackupFailure::Io(anyhow::anyhow!(
                        "client disconnected during a backup"
                    )));
                }
                Some(other) => {
                    return Err(BackupFailure::Refused(
                        code::PROTOCOL,
                        format!("unexpected frame {other:?} in a backup"),
                    ));
                }
            }
        }
        let save = |bot: &tape_format::afbackup::BytesOnTape,
                    order: &tape_format::afbackup::CartridgeOrder,
                    uses: &tape_format::afbackup::TapeUses|
         -> anyhow::Result<()> {
            st.write("bytes_on_tape", &bot.encode())?;
            st.write("cartridge_order", &order.encode())?;
            st.write("tape_uses", &uses.encode())?;
            Ok(())
        };
        if let Some(e) = failure {
            let _ = save(&bot, &order, &uses);
            status.set(&format!("Backup {id} failed: {e}"));
            let _ = lib.unload();
            return Err(tape(e));
        }
        let (summary, events) = match writer.finish(&mut lib) {
            Ok(x) => x,
            Err(e) => {
                let _ = save(&bot, &order, &uses);
                let _ = lib.unload();
                return Err(tape(e));
            }
        };
        for ev in events {
            apply(ev, &mut bot, &mut order, &mut uses);
        }
        let device = lib.device_name();
        lib.unload()
            .map_err(|e| BackupFailure::Refused(code::TAPE, e.to_string()))?;
        sizes.add(cfg.block_size);
        tapepos.set_set_position(1, summary.next.0, summary.next.1);
        tapepos.set_device(&device, summary.next.0, summary.next.1);
        let entry = CatalogEntry {
            id,
            datestamp: ds,
            host,
            disk,
            level,
            compression,
            bytes: summary.bytes,
            stream,
            parts: summary.parts.iter().map(|p| (p.cart, p.file)).collect(),
        };
        catalog.push(entry.clone());
        (|| -> anyhow::Result<()> {
            save(&bot, &order, &uses)?;
            st.write("tapepos", &tapepos.encode())?;
            st.write("ever_used_blocksizes", &sizes.encode())?;
            st.save_catalog(&catalog)?;
            Ok(())
        })()
        .map_err(refuse)?;
        status.set(&format!("Device {device} is idle."));
        Ok(Frame::BackupDone {
            id,
            bytes: summary.bytes,
            parts: entry.parts,
        })
    }

    fn restore(&self, w: &mut impl Write, id: u64) -> anyhow::Result<Frame> {
        let st = match self.state() {
            Ok(s) => s,
            Err(e) => return Ok(err_frame(code::SERVER, format!("{e:#}"))),
        };
        let (catalog, order, sizes) = match (st.catalog(), st.order(), st.blocksizes()) {
            (Ok(c), Ok(o), Ok(s)) => (c, o, s),
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
                return Ok(err_frame(code::SERVER, format!("{e:#}")));
            }
        };
        let Some(entry) = catalog.into_iter().find(|e| e.id == id) else {
            return Ok(err_frame(code::NOT_FOUND, format!("no backup {id}")));
        };
        let Some(&(cart, file)) = entry.parts.first() else {
            return Ok(err_frame(code::SERVER, format!("backup {id} has no parts")));
        };
        let mut lib = AnyLibrary::new(&self.cfg);
        let opts = ReadOptions {
            order,
            num_cartridges: self.cfg.cartridges,
            length: Some(entry.bytes),
            skip_damaged: true,
            block_sizes: sizes.sizes,
        };
        let mut reader = match VolumeReader::open(&mut lib, cart, file, opts) {
            Ok(r) => r,
            Err(e) => return Ok(err_frame(code::TAPE, e)),
        };
        if reader.stream() != entry.stream {
            return Ok(err_frame(
                code::TAPE,
                format!(
                    "cartridge {cart}, file {file}: holds stream {:016x}, not backup {id} ({:016x}); the tape was overwritten",
                    reader.stream(),
                    entry.stream
                ),
            ));
        }
        write_frame(w, &Frame::RestoreBegin { entry })?;
        let mut status = StatusFile::new(&self.cfg.var_dir, self.cfg.status_interval);
        status.start(&format!("Reading backup {id} from cartridge {cart}"), 0);
        let mut buf = vec![0u8; CHUNK];
        let mut reported = 0;
        loop {
            let n = match reader.read(&mut lib, &mut buf) {
                Ok(n) => n,
                Err(e) => {
                    status.set(&format!("Restore of backup {id} failed: {e}"));
                    let _ = lib.unload();
                    return Ok(err_frame(code::TAPE, e));
                }
            };
            for d in &reader.damage()[reported..] {
                write_frame(
                    w,
                    &Frame::Damage {
                        cart: d.cart,
                        file: d.file,
                        block: d.block,
                        offset: d.offset,
                        len: d.len,
                    },
                )?;
            }
            reported = reader.damage().len();
            if n == 0 {
                break;
            }
            write_data(w, &buf[..n])?;
            let (c, f) = reader.location();
            status.tick(&format!("Reading cartridge {c} file {f}"), reader.offset());
        }
        let _ = lib.unload();
        status.set(&format!(
            "Device {} is idle.",
            AnyLibrary::new(&self.cfg).device_name()
        ));
        Ok(Frame::RestoreEnd)
    }

    fn list(&self) -> anyhow::Result<Frame> {
        let st = self.state()?;
        let bot = st.bytes_on_tape()?;
        let ro = st.readonly()?;
        let uses = st.tape_uses()?;
        let mut text = String::new();
        for c in 1..=self.cfg.cartridges {
            let e = bot.get(c);
            let used = uses.entries.iter().find(|u| u.0 == c).map_or(0, |u| u.1);
            text.push_str(&format!(
                "cartridge {c}: {} bytes, last file {}, {}{}, full {used} time(s)\n",
                e.map_or(0, |e| e.bytes),
                e.map_or(0, |e| e.files),
                if e.is_some_and(|e| e.full) {
                    "full"
                } else {
                    "writable"
                },
                if ro.contains(c, self.cfg.cartridges) {
                    ", read-only"
                } else {
                    ""
                },
            ));
        }
        Ok(Frame::Catalog {
            entries: st.catalog()?,
            cartridges: text,
        })
    }

    fn label(&self, cart: u32, label: &str, force: bool) -> Frame {
        match self.label_inner(cart, label, force) {
            Ok(f) => f,
            Err(e) => err_frame(code::SERVER, format!("{e:#}")),
        }
    }

    fn label_inner(&self, cart: u32, label: &str, force: bool) -> anyhow::Result<Frame> {
        let cfg = &self.cfg;
        if cart == 0 || cart > cfg.cartridges {
            return Ok(err_frame(
                code::REFUSED,
                format!("cartridge {cart} is not in 1..={}", cfg.cartridges),
            ));
        }
        let label = if label.is_empty() {
            format!("{}{cart:03}", cfg.label_prefix)
        } else {
            label.to_owned()
        };
        if !cfg.label_pattern.is_match(&label) {
            return Ok(err_frame(
                code::REFUSED,
                format!(
                    "label `{label}` does not match Label-Pattern `{}`",
                    cfg.label_pattern
                ),
            ));
        }
        let st = self.state()?;
        let mut lib = AnyLibrary::new(cfg);
        if let Err(e) = lib.load(cart) {
            return Ok(err_frame(code::TAPE, format!("cartridge {cart}: {e}")));
        }
        if lib.drive().is_write_protected() {
            return Ok(err_frame(
                code::REFUSED,
                format!("cartridge {cart} is write-protected"),
            ));
        }
        let existing = read_label(lib.drive())
            .map_err(|e| anyhow::anyhow!("cartridge {cart}, file 0, block 0: {e}"))?;
        if existing != VolumeLabel::Blank && !force {
            let what = match &existing {
                VolumeLabel::Ours { start, info } => {
                    format!("label {} (cartridge {})", start.label, info.cart)
                }
                VolumeLabel::Amanda(s) => format!("Amanda label {}", s.label),
                VolumeLabel::Afbackup(l) => format!("afbackup label of cartridge {}", l.cartridge),
                _ => "data".to_owned(),
            };
            return Ok(err_frame(
                code::REFUSED,
                format!(
                    "cartridge {cart} already holds {what}; nothing was overwritten (use --force)"
                ),
            ));
        }
        let now = now_secs();
        let start = TapeStart {
            datestamp: "X".into(),
            label: label.clone(),
            extra: VolumeInfo {
                cart,
                cart2: None,
                set: Some(1),
                blocksize: Some(cfg.block_size),
                labeled: Some(now),
            }
            .to_lines(),
        };
        let hdr = header_block_len(lib.drive().mode()) as u64;
        write_label(lib.drive(), &start)
            .map_err(|e| anyhow::anyhow!("cartridge {cart}, file 0: {e}"))?;
        lib.unload()
            .map_err(|e| anyhow::anyhow!("cartridge {cart}: {e}"))?;
        // The cartridge's old contents are gone: forget them.
        let mut bot = st.bytes_on_tape()?;
        bot.set(BytesOnTapeEntry {
            cart,
            bytes: hdr,
            files: 0,
            full: false,
            time: now,
        });
        let mut order = st.order()?;
        for e in &mut order.entries {
            if e.next_cart == cart || e.cart == cart {
                e.next_cart = 0;
                e.next_file = Some(0);
            }
        }
        let mut catalog = st.catalog()?;
        let before = catalog.len();
        catalog.retain(|e| !e.parts.iter().any(|p| p.0 == cart));
        let mut sizes = st.blocksizes()?;
        sizes.add(cfg.block_size);
        st.write("bytes_on_tape", &bot.encode())?;
        st.write("cartridge_order", &order.encode())?;
        st.write("ever_used_blocksizes", &sizes.encode())?;
        st.save_catalog(&catalog)?;
        let dropped = before - catalog.len();
        Ok(Frame::Ok(format!(
            "cartridge {cart} labelled {label}{}",
            if dropped > 0 {
                format!("; {dropped} backup(s) on it removed from the catalog")
            } else {
                String::new()
            }
        )))
    }

    fn message(&self, m: &str) -> Frame {
        let r = (|| -> anyhow::Result<Frame> {
            let words: Vec<&str> = m.split_whitespace().collect();
            let n = self.cfg.cartridges;
            let cart = |s: &str| -> anyhow::Result<u32> {
                let c: u32 = s.parse().context("cartridge number")?;
                anyhow::ensure!((1..=n).contains(&c), "cartridge {c} is not in 1..={n}");
                Ok(c)
            };
            match words.as_slice() {
                [w, c] if w.eq_ignore_ascii_case("readonly") => {
                    let c = cart(c)?;
                    let st = self.state()?;
                    let mut ro = st.readonly()?;
                    ro.insert(c, n);
                    st.write("readonly_tapes", &ro.encode())?;
                    Ok(Frame::Ok(format!("cartridge {c} is read-only")))
                }
                [w, c] if w.eq_ignore_ascii_case("writable") => {
                    let c = cart(c)?;
                    let st = self.state()?;
                    let mut ro = st.readonly()?;
                    ro.remove(c, n);
                    st.write("readonly_tapes", &ro.encode())?;
                    Ok(Frame::Ok(format!("cartridge {c} is writable")))
                }
                [w] if w.eq_ignore_ascii_case("status") => {
                    let text = std::fs::read_to_string(self.cfg.var_dir.join("status"))
                        .unwrap_or_else(|_| "no status yet\n".into());
                    Ok(Frame::Ok(text))
                }
                _ => Ok(err_frame(
                    code::PROTOCOL,
                    format!("unknown message `{m}` (readonly N, writable N, status)"),
                )),
            }
        })();
        r.unwrap_or_else(|e| err_frame(code::SERVER, format!("{e:#}")))
    }
}

enum BackupFailure {
    /// The connection broke: end the session.
    Io(anyhow::Error),
    /// Refuse the backup with this error after draining the client's data.
    Refused(u16, String),
}
