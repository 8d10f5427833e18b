//! The client side: connecting (TCP, a command such as `ssh host afserver`, or a local
//! server process), backing up a directory as a tar stream (optionally zstd), listing,
//! restoring whole backups or selected files, labelling and server messages.

use std::cell::RefCell;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::net::TcpStream;
use std::path::{Component, Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::rc::Rc;

use anyhow::{Context, anyhow, bail};
use indicatif::{ProgressBar, ProgressStyle};

use crate::protocol::{CatalogEntry, Frame, VERSION, read_frame, write_data, write_frame};

/// Bytes per data frame.
const CHUNK: usize = 256 * 1024;

/// A damaged stream range as the server reported it: (cartridge, file, block, stream
/// offset, length).
pub type DamageRange = (u32, u32, u64, u64, u64);

/// A finished backup: (id, stream bytes, (cartridge, file) of every part).
pub type BackupResult = (u64, u64, Vec<(u32, u32)>);

type DamageList = Rc<RefCell<Vec<DamageRange>>>;

/// A connection to a server.
pub struct Connection {
    r: BufReader<Box<dyn Read + Send>>,
    w: BufWriter<Box<dyn Write + Send>>,
    child: Option<Child>,
    /// The server's name from the handshake.
    pub server: String,
}

impl Connection {
    /// Connect to `spec`:
    /// - `host:port` or `tcp:host:port`: TCP;
    /// - `exec:COMMAND`: run `sh -c COMMAND` and talk over its stdin/stdout (e.g.
    ///   `exec:ssh backup@tapehost afserver /etc/afbackup/server.conf`: the stream is
    ///   encrypted by ssh);
    /// - `local:CONFIG`: run the `afserver` next to this program with `CONFIG`.
    pub fn connect(spec: &str) -> anyhow::Result<Connection> {
        let (r, w, child): (Box<dyn Read + Send>, Box<dyn Write + Send>, Option<Child>) =
            if let Some(cmd) = spec.strip_prefix("exec:") {
                let child = Command::new("sh")
                    .arg("-c")
                    .arg(cmd)
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .spawn()
                    .with_context(|| format!("starting `{cmd}`"))?;
                Self::pipes(child)?
            } else if let Some(cfg) = spec.strip_prefix("local:") {
                let exe = std::env::current_exe()?.with_file_name("afserver");
                let child = Command::new(&exe)
                    .arg("--stdio")
                    .arg(cfg)
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .spawn()
                    .with_context(|| format!("starting {}", exe.display()))?;
                Self::pipes(child)?
            } else {
                let addr = spec.strip_prefix("tcp:").unwrap_or(spec);
                let s =
                    TcpStream::connect(addr).with_context(|| format!("connecting to {addr}"))?;
                s.set_nodelay(true)?;
                (Box::new(s.try_clone()?), Box::new(s), None)
            };
        let mut c = Connection {
            r: BufReader::with_capacity(1 << 20, r),
            w: BufWriter::with_capacity(1 << 20, w),
            child,
            server: String::new(),
        };
        c.send(&Frame::Hello {
            version: VERSION,
            name: format!("afclient {}", env!("CARGO_PKG_VERSION")),
        })?;
        match c.recv()? {
            Frame::HelloOk { name, .. } => c.server = name,
            Frame::Error { message, .. } => bail!("server refused the connection: {message}"),
            other => bail!("unexpected reply to Hello: {other:?}"),
        }
        Ok(c)
    }

    #[allow(clippy::type_complexity)]
    fn pipes(
        mut child: Child,
    ) -> anyhow::Result<(Box<dyn Read + Send>, Box<dyn Write + Send>, Option<Child>)> {
        let out = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
        let inp = child.stdin.take().ok_or_else(|| anyhow!("no stdin"))?;
        Ok((Box::new(out), Box::new(inp), Some(child)))
    }

    fn send(&mut self, f: &Frame) -> anyhow::Result<()> {
        write_frame(&mut self.w, f)?;
        self.w.flush()?;
        Ok(())
    }

    fn recv(&mut self) -> anyhow::Result<Frame> {
        read_frame(&mut self.r)?.ok_or_else(|| anyhow!("server closed the connection"))
    }

    fn expect_ok(&mut self) -> anyhow::Result<String> {
        match self.recv()? {
            Frame::Ok(t) => Ok(t),
            Frame::Error { message, .. } => bail!("{message}"),
            other => bail!("unexpected reply {other:?}"),
        }
    }

    /// Label cartridge `cart` (empty label: the server's default).
    pub fn label(&mut self, cart: u32, label: &str, force: bool) -> anyhow::Result<String> {
        self.send(&Frame::Label {
            cart,
            label: label.to_owned(),
            force,
        })?;
        self.expect_ok()
    }

    /// Send a server message (`readonly N`, `writable N`, `status`).
    pub fn message(&mut self, m: &str) -> anyhow::Result<String> {
        self.send(&Frame::Message(m.to_owned()))?;
        self.expect_ok()
    }

    /// The catalog and the cartridge summary.
    pub fn list(&mut self) -> anyhow::Result<(Vec<CatalogEntry>, String)> {
        self.send(&Frame::List)?;
        match self.recv()? {
            Frame::Catalog {
                entries,
                cartridges,
            } => Ok((entries, cartridges)),
            Frame::Error { message, .. } => bail!("{message}"),
            other => bail!("unexpected reply {other:?}"),
        }
    }

    /// Back up directory `dir` as a tar stream. Returns (id, bytes, parts).
    pub fn backup(&mut self, dir: &Path, opts: &BackupOptions) -> anyhow::Result<BackupResult> {
        let disk = match &opts.disk {
            Some(d) => d.clone(),
            None => std::fs::canonicalize(dir)
                .with_context(|| format!("{}", dir.display()))?
                .to_string_lossy()
                .into_owned(),
        };
        self.send(&Frame::BackupBegin {
            host: opts.host.clone(),
            disk,
            level: opts.level,
            compression: if opts.zstd { ".zst".into() } else { "N".into() },
        })?;
        match self.recv()? {
            Frame::BackupStarted { .. } => {}
            Frame::Error { message, .. } => bail!("backup refused: {message}"),
            other => bail!("unexpected reply {other:?}"),
        }
        let bar = progress(opts.progress, "backup");
        let sink = FrameSink {
            w: &mut self.w,
            buf: Vec::with_capacity(CHUNK),
            sent: 0,
            bar: bar.clone(),
        };
        let sink = if opts.zstd {
            let enc = zstd::stream::write::Encoder::new(sink, 3)?;
            let enc = write_tar(enc, dir)?;
            enc.finish()?
        } else {
            write_tar(sink, dir)?
        };
        sink.finish()?;
        bar.finish_and_clear();
        self.send(&Frame::BackupEnd)?;
        match self.recv()? {
            Frame::BackupDone { id, bytes, parts } => Ok((id, bytes, parts)),
            Frame::Error { message, .. } => bail!("backup failed: {message}"),
            other => bail!("unexpected reply {other:?}"),
        }
    }

    /// Restore backup `id` into `dest`; only paths under `select` when it is not empty.
    pub fn restore(
        &mut self,
        id: u64,
        dest: &Path,
        select: &[String],
        progress_bar: bool,
    ) -> anyhow::Result<RestoreReport> {
        self.send(&Frame::Restore { id })?;
        let entry = match self.recv()? {
            Frame::RestoreBegin { entry } => entry,
            Frame::Error { message, .. } => bail!("restore refused: {message}"),
            other => bail!("unexpected reply {other:?}"),
        };
        std::fs::create_dir_all(dest)?;
        let bar = progress(progress_bar, "restore");
        bar.set_length(entry.bytes);
        let damage = Rc::new(RefCell::new(Vec::new()));
        let mut src = FrameSource {
            r: &mut self.r,
            buf: Vec::new(),
            pos: 0,
            done: false,
            damage: damage.clone(),
            bar: bar.clone(),
        };
        let mut report = RestoreReport::default();
        let select: Vec<PathBuf> = select.iter().map(|s| normalize(Path::new(s))).collect();
        let result = if entry.compression == ".zst" {
            let dec = zstd::stream::read::Decoder::new(&mut src)?;
            extract(dec, dest, &select, &damage, false, &mut report)
        } else {
            extract(&mut src, dest, &select, &damage, true, &mut report)
        };
        // Drain what tar did not need (padding), up to the end of the stream.
        let drained = io::copy(&mut src, &mut io::sink());
        bar.finish_and_clear();
        report.damage = damage.borrow().clone();
        if let Err(e) = result {
            report.error = Some(format!("{e:#}"));
        }
        drained.context("reading the restore stream")?;
        Ok(report)
    }

    /// End the session.
    pub fn quit(mut self) -> anyhow::Result<()> {
        let _ = self.send(&Frame::Quit);
        drop(self.w);
        if let Some(mut c) = self.child.take() {
            c.wait()?;
        }
        Ok(())
    }
}

/// How to back up.
#[derive(Clone, Debug)]
pub struct BackupOptions {
    /// Client host name for the Amanda header.
    pub host: String,
    /// Disk name for the header (default: the directory's absolute path).
    pub disk: Option<String>,
    /// Dump level.
    pub level: u8,
    /// zstd-compress the stream.
    pub zstd: bool,
    /// Show a progress bar.
    pub progress: bool,
}

/// What a restore did.
#[derive(Clone, Debug, Default)]
pub struct RestoreReport {
    /// Entries extracted.
    pub extracted: u64,
    /// Files not restored, with why.
    pub skipped: Vec<(String, String)>,
    /// Stream ranges the server could not read: (cartridge, file, block, offset, len).
    pub damage: Vec<DamageRange>,
    /// The error that stopped the restore early, if any.
    pub error: Option<String>,
}

fn progress(show: bool, what: &str) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix} {bytes} ({binary_bytes_per_sec}) [{elapsed_precise}] {wide_bar} {percent}%",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_prefix(what.to_owned());
    bar
}

fn write_tar<W: Write>(w: W, dir: &Path) -> anyhow::Result<W> {
    let mut b = tar::Builder::new(w);
    b.follow_symlinks(false);
    b.mode(tar::HeaderMode::Complete);
    b.append_dir_all(".", dir)
        .with_context(|| format!("archiving {}", dir.display()))?;
    Ok(b.into_inner()?)
}

fn normalize(p: &Path) -> PathBuf {
    p.components()
        .filter(|c| matches!(c, Component::Normal(_)))
        .collect()
}

fn extract(
    r: impl Read,
    dest: &Path,
    select: &[PathBuf],
    damage: &DamageList,
    offsets_known: bool,
    report: &mut RestoreReport,
) -> anyhow::Result<()> {
    let mut a = tar::Archive::new(r);
    a.set_ignore_zeros(true);
    a.set_preserve_permissions(true);
    a.set_preserve_mtime(true);
    a.set_overwrite(true);
    for entry in a.entries()? {
        let mut entry = entry.context("reading the tar stream")?;
        let path = normalize(&entry.path()?);
        if path.as_os_str().is_empty() && entry.header().entry_type().is_dir() {
            continue;
        }
        let wanted = select.is_empty()
            || select.iter().any(|s| {
                path.starts_with(s) || s.starts_with(&path) && entry.header().entry_type().is_dir()
            });
        if !wanted {
            continue;
        }
        let start = entry.raw_file_position();
        let size = entry.size();
        entry
            .unpack_in(dest)
            .with_context(|| format!("extracting {}", path.display()))?;
        let hit = offsets_known
            && damage
                .borrow()
                .iter()
                .any(|&(_, _, _, off, len)| off < start + size.max(1) && start < off + len);
        if hit && entry.header().entry_type().is_file() {
            let _ = std::fs::remove_file(dest.join(&path));
            let (c, f, b, _, _) = damage
                .borrow()
                .iter()
                .copied()
                .find(|&(_, _, _, off, len)| off < start + size.max(1) && start < off + len)
                .unwrap_or_default();
            report.skipped.push((
                path.display().to_string(),
                format!("damaged on cartridge {c}, file {f}, block {b}"),
            ));
        } else {
            report.extracted += 1;
        }
    }
    Ok(())
}

/// Sends written bytes as data frames.
struct FrameSink<'a> {
    w: &'a mut BufWriter<Box<dyn Write + Send>>,
    buf: Vec<u8>,
    sent: u64,
    bar: ProgressBar,
}

impl FrameSink<'_> {
    fn send_buf(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            write_data(self.w, &self.buf)?;
            self.sent += self.buf.len() as u64;
            self.bar.set_position(self.sent);
            self.buf.clear();
        }
        Ok(())
    }

    fn finish(mut self) -> io::Result<()> {
        self.send_buf()?;
        self.w.flush()
    }
}

impl Write for FrameSink<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.buf.is_empty() && data.len() >= CHUNK {
            write_data(self.w, &data[..CHUNK])?;
            self.sent += CHUNK as u64;
            self.bar.set_position(self.sent);
            return Ok(CHUNK);
        }
        let n = data.len().min(CHUNK - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() == CHUNK {
            self.send_buf()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Reads the restore stream out of data frames, collecting damage reports.
struct FrameSource<'a> {
    r: &'a mut BufReader<Box<dyn Read + Send>>,
    buf: Vec<u8>,
    pos: usize,
    done: bool,
    damage: DamageList,
    bar: ProgressBar,
}

impl Read for FrameSource<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.buf.len() {
            if self.done {
                return Ok(0);
            }
            match read_frame(self.r)? {
                Some(Frame::Data(d)) => {
                    self.bar.inc(d.len() as u64);
                    self.buf = d;
                    self.pos = 0;
                }
                Some(Frame::Damage {
                    cart,
                    file,
                    block,
                    offset,
                    len,
                }) => {
                    self.damage
                        .borrow_mut()
                        .push((cart, file, block, offset, len));
                }
                Some(Frame::RestoreEnd) => self.done = true,
                Some(Frame::Error { message, .. }) => {
                    self.done = true;
                    return Err(io::Error::other(message));
                }
                Some(other) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("unexpected frame {other:?}"),
                    ));
                }
                None => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "server closed the connection",
                    ));
                }
            }
        }
        let n = (self.buf.len() - self.pos).min(out.len());
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}
