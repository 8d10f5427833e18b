//! `afp bench`: measures a running AFP server, next to plain loopback TCP in the same run.
//!
//! What it measures (it asserts nothing):
//!
//! * loopback TCP: one connection, 1 MiB writes, the reference every throughput is a
//!   percentage of;
//! * large-file write and read, 1 session and N sessions (each session its own file,
//!   `size / N` bytes; data from memory, so no local disk is involved);
//! * create (with a small write), enumerate and delete of many small files, with several
//!   sessions' worth of requests in flight;
//! * byte-range lock/unlock pairs, one at a time (a round-trip rate).
//!
//! Everything is created in a fresh directory `afp-bench-<pid>` under the URL's path and
//! removed at the end.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use bytes::Bytes;
use rand::{RngCore, SeedableRng};

use afp_proto::command::AccessMode;

use crate::client::{Client, LoginOptions, ROOT_DID, Volume};
use crate::conn::{ConnectOptions, now};
use crate::error::{Error, Result};
use crate::fork::ForkKind;

/// What to measure.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Bytes per large-file test (split among the sessions in the multi-session tests).
    pub size: u64,
    /// Sessions of the multi-session tests.
    pub sessions: usize,
    /// Small files to create, enumerate and delete.
    pub files: usize,
    /// Bytes written into each small file.
    pub small_size: usize,
    /// Lock/unlock pairs.
    pub locks: usize,
    /// Requests in flight per transfer; tasks in flight for the small-file tests.
    pub window: usize,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            size: 1 << 30,
            sessions: 8,
            files: 10_000,
            small_size: 1024,
            locks: 10_000,
            window: 8,
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone)]
pub struct Row {
    /// What was measured.
    pub test: String,
    /// How much (bytes or operations).
    pub amount: u64,
    /// Unit of `amount`: "bytes" or an operation name.
    pub unit: &'static str,
    /// Elapsed time.
    pub elapsed: Duration,
}

impl Row {
    /// Amount per second.
    pub fn per_sec(&self) -> f64 {
        let s = self.elapsed.as_secs_f64();
        if s > 0.0 { self.amount as f64 / s } else { 0.0 }
    }
}

/// Plain loopback TCP: sends `bytes` over one 127.0.0.1 connection in 1 MiB writes and
/// returns how long the receiver took to get them.
pub fn loopback_tcp(bytes: u64) -> io::Result<Duration> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let sender = std::thread::spawn(move || -> io::Result<()> {
        let (mut s, _) = listener.accept()?;
        let buf = vec![0x5au8; 1 << 20];
        let mut left = bytes;
        while left > 0 {
            let n = left.min(buf.len() as u64) as usize;
            s.write_all(&buf[..n])?;
            left -= n as u64;
        }
        Ok(())
    });
    let mut c = TcpStream::connect(addr)?;
    let start = now();
    let mut buf = vec![0u8; 1 << 20];
    let mut got = 0u64;
    while got < bytes {
        let n = c.read(&mut buf)?;
        if n == 0 {
            break;
        }
        got += n as u64;
    }
    let elapsed = now() - start;
    sender
        .join()
        .map_err(|_| io::Error::other("sender thread panicked"))??;
    if got < bytes {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "short read"));
    }
    Ok(elapsed)
}

fn pattern() -> Bytes {
    let mut v = vec![0u8; 1 << 20];
    rand::rngs::StdRng::seed_from_u64(0x00af_b001).fill_bytes(&mut v);
    Bytes::from(v)
}

/// Writes `len` bytes of `data` (repeated) to a new file `name` in `dir`.
async fn write_file(
    vol: &Volume,
    dir: u32,
    name: &str,
    len: u64,
    data: &Bytes,
    window: usize,
) -> Result<()> {
    let path = [name.to_owned()];
    vol.create_file(dir, &path, true).await?;
    let fork = vol
        .open_fork(
            dir,
            &path,
            ForkKind::Data,
            AccessMode::WRITE | AccessMode::DENY_WRITE,
        )
        .await?;
    let w = fork
        .write_from(0, window, |off, max| {
            let left = len.saturating_sub(off);
            let n = (left.min(max as u64) as usize).min(data.len());
            Ok(data.slice(..n))
        })
        .await;
    let c = fork.close().await;
    w?;
    c
}

/// Reads file `name` in `dir` to its end, discarding the data; returns the bytes read.
async fn read_file(vol: &Volume, dir: u32, name: &str, window: usize) -> Result<u64> {
    let path = [name.to_owned()];
    let fork = vol
        .open_fork(dir, &path, ForkKind::Data, AccessMode::READ)
        .await?;
    let mut n = 0u64;
    let r = fork
        .read_to(0, fork.len_at_open(), window, |_, d| {
            n += d.len() as u64;
            Ok(())
        })
        .await;
    let c = fork.close().await;
    r?;
    c?;
    Ok(n)
}

/// Runs the benchmark against `addr`, volume `volume`, under `path`; `login` gives the
/// credentials for each session. `report` is called with each row as it is measured.
pub async fn run(
    addr: &str,
    login: &LoginOptions,
    connect: &ConnectOptions,
    volume: &str,
    path: &[String],
    options: &BenchOptions,
    report: &mut dyn FnMut(&Row),
) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    let mut push = |row: Row, rows: &mut Vec<Row>| {
        report(&row);
        rows.push(row);
    };

    let tcp = loopback_tcp(options.size)
        .map_err(|e| Error::local("loopback TCP test", "127.0.0.1", e))?;
    push(
        Row {
            test: "loopback TCP (reference)".into(),
            amount: options.size,
            unit: "bytes",
            elapsed: tcp,
        },
        &mut rows,
    );

    let sessions = options.sessions.max(1);
    let mut clients = Vec::new();
    for _ in 0..sessions {
        clients.push(Client::login(addr, login.clone(), connect).await?);
    }
    let mut vols = Vec::new();
    for c in &clients {
        vols.push(c.open_volume(volume).await?);
    }
    let vol = vols[0].clone();
    let mut dir_path = path.to_vec();
    dir_path.push(format!("afp-bench-{}", std::process::id()));
    let dir = vol.create_dir(ROOT_DID, &dir_path).await?;
    let data = pattern();
    let window = options.window.max(1);

    let result = async {
        // Large file, one session.
        let t = now();
        write_file(&vol, dir, "large-0", options.size, &data, window).await?;
        push(
            Row {
                test: "write, 1 session".into(),
                amount: options.size,
                unit: "bytes",
                elapsed: now() - t,
            },
            &mut rows,
        );
        let t = now();
        let n = read_file(&vol, dir, "large-0", window).await?;
        push(
            Row {
                test: "read, 1 session".into(),
                amount: n,
                unit: "bytes",
                elapsed: now() - t,
            },
            &mut rows,
        );
        vol.delete(dir, &["large-0".to_owned()]).await?;

        // Large files, N sessions at once.
        let each = options.size / sessions as u64;
        let t = now();
        let mut tasks = Vec::new();
        for (i, v) in vols.iter().enumerate() {
            let (v, data) = (v.clone(), data.clone());
            tasks.push(tokio::spawn(async move {
                write_file(&v, dir, &format!("large-{i}"), each, &data, window).await
            }));
        }
        for task in tasks {
            task.await
                .map_err(|e| Error::Protocol(format!("bench task: {e}")))??;
        }
        push(
            Row {
                test: format!("write, {sessions} sessions"),
                amount: each * sessions as u64,
                unit: "bytes",
                elapsed: now() - t,
            },
            &mut rows,
        );
        let t = now();
        let mut tasks = Vec::new();
        for (i, v) in vols.iter().enumerate() {
            let v = v.clone();
            tasks.push(tokio::spawn(async move {
                read_file(&v, dir, &format!("large-{i}"), window).await
            }));
        }
        let mut total = 0;
        for task in tasks {
            total += task
                .await
                .map_err(|e| Error::Protocol(format!("bench task: {e}")))??;
        }
        push(
            Row {
                test: format!("read, {sessions} sessions"),
                amount: total,
                unit: "bytes",
                elapsed: now() - t,
            },
            &mut rows,
        );

        // Byte-range locks, one pair at a time.
        let path0 = ["large-0".to_owned()];
        let fork = vol
            .open_fork(
                dir,
                &path0,
                ForkKind::Data,
                AccessMode::READ | AccessMode::WRITE,
            )
            .await?;
        let t = now();
        let mut r = Ok(());
        for i in 0..options.locks as u64 {
            if let Err(e) = fork.lock(i * 16, 16).await {
                r = Err(e);
                break;
            }
            if let Err(e) = fork.unlock(i * 16, 16).await {
                r = Err(e);
                break;
            }
        }
        let elapsed = now() - t;
        fork.close().await?;
        r?;
        push(
            Row {
                test: "lock + unlock (one at a time)".into(),
                amount: options.locks as u64,
                unit: "pairs",
                elapsed,
            },
            &mut rows,
        );
        for i in 0..sessions {
            vol.delete(dir, &[format!("large-{i}")]).await?;
        }

        // Small files: `window` tasks on the first session.
        let small = data.slice(..options.small_size.min(data.len()));
        let files = options.files;
        let t = now();
        let mut tasks = Vec::new();
        for k in 0..window {
            let (v, small) = (vol.clone(), small.clone());
            tasks.push(tokio::spawn(async move {
                for i in (k..files).step_by(window) {
                    let name = format!("small-{i:05}");
                    if small.is_empty() {
                        v.create_file(dir, &[name], false).await?;
                    } else {
                        write_file(&v, dir, &name, small.len() as u64, &small, 1).await?;
                    }
                }
                Ok::<(), Error>(())
            }));
        }
        for task in tasks {
            task.await
                .map_err(|e| Error::Protocol(format!("bench task: {e}")))??;
        }
        push(
            Row {
                test: format!("create {files} files of {} bytes", options.small_size),
                amount: files as u64,
                unit: "files",
                elapsed: now() - t,
            },
            &mut rows,
        );
        let t = now();
        let listed = vol.list(dir, &[]).await?;
        push(
            Row {
                test: format!("enumerate {} entries", listed.len()),
                amount: listed.len() as u64,
                unit: "entries",
                elapsed: now() - t,
            },
            &mut rows,
        );
        let t = now();
        let mut tasks = Vec::new();
        for k in 0..window {
            let v = vol.clone();
            tasks.push(tokio::spawn(async move {
                for i in (k..files).step_by(window) {
                    v.delete(dir, &[format!("small-{i:05}")]).await?;
                }
                Ok::<(), Error>(())
            }));
        }
        for task in tasks {
            task.await
                .map_err(|e| Error::Protocol(format!("bench task: {e}")))??;
        }
        push(
            Row {
                test: format!("delete {files} files"),
                amount: files as u64,
                unit: "files",
                elapsed: now() - t,
            },
            &mut rows,
        );
        Ok::<(), Error>(())
    }
    .await;

    // Clean up whatever is left, then report the first error.
    if result.is_err()
        && let Ok(left) = vol.list(dir, &[]).await
    {
        for e in left {
            let _ = vol.delete(dir, &[e.name]).await;
        }
    }
    let removed = vol.delete(ROOT_DID, &dir_path).await;
    for c in &clients {
        let _ = c.logout().await;
    }
    result?;
    removed?;
    Ok(rows)
}

/// The report as a table; throughputs also as a percentage of loopback TCP.
pub fn table(rows: &[Row]) -> String {
    let tcp = rows
        .iter()
        .find(|r| r.test.starts_with("loopback TCP"))
        .map(Row::per_sec);
    let mut out = format!(
        "{:<34} {:>14} {:>10} {:>18} {:>10}\n",
        "test", "amount", "time", "rate", "% of TCP"
    );
    for r in rows {
        out.push_str(&line(r, tcp));
        out.push('\n');
    }
    out
}

/// One table line.
pub fn line(r: &Row, tcp: Option<f64>) -> String {
    let (amount, rate, pct) = if r.unit == "bytes" {
        let mib = r.per_sec() / (1024.0 * 1024.0);
        let pct = tcp
            .filter(|t| *t > 0.0)
            .map(|t| format!("{:.1}%", r.per_sec() / t * 100.0))
            .unwrap_or_default();
        (
            format!("{:.1} MiB", r.amount as f64 / (1024.0 * 1024.0)),
            format!("{mib:.1} MiB/s"),
            pct,
        )
    } else {
        (
            format!("{} {}", r.amount, r.unit),
            format!("{:.0} {}/s", r.per_sec(), r.unit),
            String::new(),
        )
    };
    format!(
        "{:<34} {:>14} {:>9.2}s {:>18} {:>10}",
        r.test,
        amount,
        r.elapsed.as_secs_f64(),
        rate,
        pct
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_moves_the_bytes() {
        let d = loopback_tcp(8 << 20).unwrap();
        assert!(d > Duration::ZERO);
    }

    #[test]
    fn table_has_percentages_for_throughputs_only() {
        let rows = [
            Row {
                test: "loopback TCP (reference)".into(),
                amount: 1 << 30,
                unit: "bytes",
                elapsed: Duration::from_secs(1),
            },
            Row {
                test: "read, 1 session".into(),
                amount: 1 << 29,
                unit: "bytes",
                elapsed: Duration::from_secs(1),
            },
            Row {
                test: "delete 10 files".into(),
                amount: 10,
                unit: "files",
                elapsed: Duration::from_secs(2),
            },
        ];
        let t = table(&rows);
        assert!(t.contains("100.0%"), "{t}");
        assert!(t.contains("50.0%"), "{t}");
        assert!(t.contains("5 files/s"), "{t}");
    }
}
