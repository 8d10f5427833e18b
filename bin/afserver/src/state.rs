//! The server's state directory in afbackup's layout (`/var/lib/afbackup`, afserver(8)):
//! the afbackup files through `tape_format::afbackup`, plus our own `catalog` (one line
//! per backup, PROTOCOL.md "Catalog").
//!
//! Files are replaced through `<file>.tmp` + rename, as afbackup's writers do. A server
//! holds an exclusive `flock` on `<dir>/.lock` while it works on tapes and state, so
//! concurrent inetd instances take turns.

use std::fs;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, anyhow, bail};
use tape_format::afbackup::{
    BytesOnTape, CTime, CartridgeOrder, EverUsedBlocksizes, PreciousTapes, ReadonlyTapes,
    StateError, Status, TapePos, TapeUses,
};

use crate::protocol::CatalogEntry;

/// The state directory, locked.
pub struct StateDir {
    dir: PathBuf,
    _lock: fs::File,
}

/// Seconds since the epoch (the binary's clock seam).
#[allow(clippy::disallowed_methods)]
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A monotonic instant (the binary's clock seam).
#[allow(clippy::disallowed_methods)]
pub fn now_instant() -> Instant {
    Instant::now()
}

/// The local UTC offset in seconds at `secs`.
pub fn local_offset(secs: u64) -> i64 {
    let t = secs as libc::time_t;
    // SAFETY: `tm` is a plain C struct that localtime_r fills; zeroed is a valid initial
    // value, and both pointers are valid for the duration of the call.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let ok = unsafe { !libc::localtime_r(&t, &mut tm).is_null() };
    if ok { tm.tm_gmtoff } else { 0 }
}

/// Local time as `ctime` fields.
pub fn local_ctime(secs: u64) -> CTime {
    CTime::from_unix(secs as i64 + local_offset(secs))
}

/// Amanda's 14-digit datestamp (local time).
pub fn datestamp(secs: u64) -> String {
    let t = local_ctime(secs);
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

impl StateDir {
    /// Create if needed and lock the directory (waits for another server to finish).
    pub fn open(dir: &Path) -> anyhow::Result<StateDir> {
        fs::create_dir_all(dir)
            .with_context(|| format!("creating state directory {}", dir.display()))?;
        let lock = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(".lock"))
            .with_context(|| format!("opening {}/.lock", dir.display()))?;
        // SAFETY: flock on a file descriptor we own; no memory is passed.
        let r = unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) };
        if r != 0 {
            bail!(
                "cannot lock {}: {}",
                dir.display(),
                std::io::Error::last_os_error()
            );
        }
        Ok(StateDir {
            dir: dir.to_owned(),
            _lock: lock,
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    fn read(&self, name: &str) -> anyhow::Result<String> {
        match fs::read_to_string(self.dir.join(name)) {
            Ok(s) => Ok(s),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
            Err(e) => Err(e).with_context(|| format!("reading {}/{name}", self.dir.display())),
        }
    }

    /// Replace a file through `<name>.tmp` + rename.
    pub fn write(&self, name: &str, text: &str) -> anyhow::Result<()> {
        let tmp = self.dir.join(format!("{name}.tmp"));
        let mut f = fs::File::create(&tmp).with_context(|| format!("writing {}", tmp.display()))?;
        f.write_all(text.as_bytes())?;
        f.sync_data()?;
        fs::rename(&tmp, self.dir.join(name))?;
        Ok(())
    }

    fn load<T>(&self, name: &str, decode: fn(&str) -> Result<T, StateError>) -> anyhow::Result<T> {
        let text = self.read(name)?;
        decode(&text).map_err(|e| anyhow!("{}/{name}: {e}", self.dir.display()))
    }

    /// `bytes_on_tape`.
    pub fn bytes_on_tape(&self) -> anyhow::Result<BytesOnTape> {
        self.load("bytes_on_tape", BytesOnTape::decode)
    }
    /// `tapepos`.
    pub fn tapepos(&self) -> anyhow::Result<TapePos> {
        self.load("tapepos", TapePos::decode)
    }
    /// `readonly_tapes`.
    pub fn readonly(&self) -> anyhow::Result<ReadonlyTapes> {
        self.load("readonly_tapes", ReadonlyTapes::decode)
    }
    /// `precious_tapes`.
    pub fn precious(&self) -> anyhow::Result<PreciousTapes> {
        self.load("precious_tapes", PreciousTapes::decode)
    }
    /// `cartridge_order`.
    pub fn order(&self) -> anyhow::Result<CartridgeOrder> {
        self.load("cartridge_order", CartridgeOrder::decode)
    }
    /// `tape_uses`.
    pub fn tape_uses(&self) -> anyhow::Result<TapeUses> {
        self.load("tape_uses", TapeUses::decode)
    }
    /// `ever_used_blocksizes`.
    pub fn blocksizes(&self) -> anyhow::Result<EverUsedBlocksizes> {
        self.load("ever_used_blocksizes", EverUsedBlocksizes::decode)
    }

    /// Our catalog.
    pub fn catalog(&self) -> anyhow::Result<Vec<CatalogEntry>> {
        let text = self.read("catalog")?;
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                parse_catalog_line(l).ok_or_else(|| {
                    anyhow!("{}/catalog line {}: malformed", self.dir.display(), i + 1)
                })
            })
            .collect()
    }

    /// Replace the catalog.
    pub fn save_catalog(&self, entries: &[CatalogEntry]) -> anyhow::Result<()> {
        let text: String = entries.iter().map(catalog_line).collect();
        self.write("catalog", &text)
    }
}

/// One catalog line:
/// `<id> <datestamp> <level> <comp> <bytes> <stream:016x> <cart>.<file>[,…] <host> <disk>`.
pub fn catalog_line(e: &CatalogEntry) -> String {
    let parts: Vec<String> = e.parts.iter().map(|(c, f)| format!("{c}.{f}")).collect();
    format!(
        "{} {} {} {} {} {:016x} {} {} {}\n",
        e.id,
        e.datestamp,
        e.level,
        e.compression,
        e.bytes,
        e.stream,
        parts.join(","),
        e.host,
        e.disk.replace('\n', " ")
    )
}

/// Parse a catalog line.
pub fn parse_catalog_line(l: &str) -> Option<CatalogEntry> {
    let mut it = l.splitn(9, ' ');
    let id = it.next()?.parse().ok()?;
    let datestamp = it.next()?.to_owned();
    let level = it.next()?.parse().ok()?;
    let compression = it.next()?.to_owned();
    let bytes = it.next()?.parse().ok()?;
    let stream = u64::from_str_radix(it.next()?, 16).ok()?;
    let parts = it
        .next()?
        .split(',')
        .map(|p| {
            let (c, f) = p.split_once('.')?;
            Some((c.parse().ok()?, f.parse().ok()?))
        })
        .collect::<Option<Vec<_>>>()?;
    let host = it.next()?.to_owned();
    let disk = it.next()?.to_owned();
    Some(CatalogEntry {
        id,
        datestamp,
        host,
        disk,
        level,
        compression,
        bytes,
        stream,
        parts,
    })
}

/// Writes the `status` file: on every change, and with the throughput at most every
/// `interval` while data moves.
pub struct StatusFile {
    path: PathBuf,
    pid: u32,
    interval: Duration,
    last: Instant,
    last_bytes: u64,
}

impl StatusFile {
    /// A status file in `dir`.
    pub fn new(dir: &Path, interval_secs: f64) -> StatusFile {
        StatusFile {
            path: dir.join("status"),
            pid: std::process::id(),
            interval: Duration::from_secs_f64(interval_secs.max(0.0)),
            last: now_instant(),
            last_bytes: 0,
        }
    }

    /// Replace the status line now.
    pub fn set(&mut self, message: &str) {
        let s = Status {
            time: local_ctime(now_secs()),
            pid: self.pid,
            message: message.to_owned(),
        };
        // The file is removed and created again (afserver(8)); failures are not fatal.
        let _ = fs::remove_file(&self.path);
        let _ = fs::write(&self.path, s.encode());
    }

    /// Start counting throughput from `bytes`.
    pub fn start(&mut self, message: &str, bytes: u64) {
        self.last = now_instant();
        self.last_bytes = bytes;
        self.set(message);
    }

    /// `bytes` moved so far; writes `<what>, <rate> MB/s` when the interval has passed.
    pub fn tick(&mut self, what: &str, bytes: u64) {
        let now = now_instant();
        let dt = now.duration_since(self.last);
        if dt < self.interval {
            return;
        }
        let rate = (bytes - self.last_bytes.min(bytes)) as f64 / dt.as_secs_f64().max(1e-6) / 1e6;
        self.set(&format!("{what}, {} bytes, {rate:.1} MB/s", bytes));
        self.last = now;
        self.last_bytes = bytes;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_lines_round_trip() {
        let e = CatalogEntry {
            id: 3,
            datestamp: "20240102030405".into(),
            host: "localhost".into(),
            disk: "/srv/my data".into(),
            level: 0,
            compression: ".zst".into(),
            bytes: 12345,
            stream: 0xdead,
            parts: vec![(1, 2), (3, 1)],
        };
        let l = catalog_line(&e);
        assert_eq!(
            l,
            "3 20240102030405 0 .zst 12345 000000000000dead 1.2,3.1 localhost /srv/my data\n"
        );
        assert_eq!(parse_catalog_line(l.trim_end()), Some(e));
        assert_eq!(
            datestamp(1_704_164_645 - local_offset(1_704_164_645) as u64),
            "20240102030405"
        );
    }

    #[test]
    fn state_files_and_status() {
        let d = tempfile::tempdir().unwrap();
        let s = StateDir::open(d.path()).unwrap();
        assert!(s.bytes_on_tape().unwrap().entries.is_empty());
        s.write("readonly_tapes", "2-4\n").unwrap();
        assert!(s.readonly().unwrap().contains(3, 5));
        let mut st = StatusFile::new(d.path(), 0.0);
        st.start("Writing", 0);
        st.tick("Writing cartridge 1", 1000);
        let text = fs::read_to_string(d.path().join("status")).unwrap();
        let parsed = Status::decode(&text).unwrap();
        assert!(
            parsed
                .message
                .starts_with("Writing cartridge 1, 1000 bytes,"),
            "{text}"
        );
    }
}
