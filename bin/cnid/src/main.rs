//! `cnid`: the CNID store administration tool (netatalk's `dbd`, spec `cnid-and-config.md`
//! §1.14).
//!
//! ```text
//! cnid --db <dir> scan <volume>      compare store and filesystem; report missing, stale,
//!                                    duplicate and conflicting entries (read-only)
//! cnid --db <dir> repair <volume>    rebuild the indexes, add what is missing, drop stale
//!                                    records (IDs of existing objects are kept)
//! cnid --db <dir> rebuild <volume>   new store from the filesystem, reusing the IDs cached in
//!                                    the org.netatalk.Metadata xattrs; the old file is kept
//! cnid --db <dir> dump               every record
//! cnid --db <dir> stats              counts, counter, stamp, size
//! cnid --db <dir> verify             page checksums and index consistency
//! ```
//!
//! The store must not be open in afpd: the store file is locked while afpd has the volume
//! open, and the tool then stops with "in use" (exit status 3) without touching anything. No
//! command ever deletes a store: `rebuild` renames the old file to `cnid.redb.old-<seconds>`.

mod walk;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use cnid::appledouble::{METADATA_XATTR_LINUX, Metadata};
use cnid::{Cnid, FILE_NAME, Kind, OpenError, OpenOptions, Store};
use indicatif::{ProgressBar, ProgressStyle};

use walk::{Meta, Object};

#[derive(Parser)]
#[command(
    name = "cnid",
    version,
    about = "CNID store administration (scan, repair, rebuild, dump, stats)"
)]
struct Cli {
    /// The store directory (the volume's resolved `vol dbpath`).
    #[arg(long, value_name = "DIR")]
    db: PathBuf,
    /// The volume ignores device numbers (`cnid dev = no`).
    #[arg(long)]
    nodev: bool,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Compare store and filesystem; change nothing.
    Scan {
        /// The volume root.
        volume: PathBuf,
    },
    /// Rebuild the indexes, add missing objects, remove stale records.
    Repair {
        /// The volume root.
        volume: PathBuf,
        /// Also rewrite the CNID cached in each object's org.netatalk.Metadata xattr when it
        /// differs from the store (creating the xattr where missing).
        #[arg(long)]
        fix_metadata: bool,
    },
    /// Build a new store from the filesystem, reusing cached IDs; keeps the old file.
    Rebuild {
        /// The volume root.
        volume: PathBuf,
        /// Ignore the IDs cached in metadata: every object gets a new ID.
        #[arg(long)]
        fresh: bool,
    },
    /// Print every record: id, parent, type, dev, ino, name.
    Dump,
    /// Print counts, counter, stamp and size.
    Stats,
    /// Verify page checksums and that records and indexes agree.
    Verify,
}

/// Exit statuses.
const EXIT_PROBLEMS: u8 = 1;
const EXIT_IN_USE: u8 = 3;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            if let Some(OpenError::Locked { path }) = e.downcast_ref::<OpenError>() {
                eprintln!(
                    "cnid: the store {} is in use by another process (afpd has the volume \
                     open, or another cnid is running); stop it and retry. Nothing was changed.",
                    path.display()
                );
                return ExitCode::from(EXIT_IN_USE);
            }
            eprintln!("cnid: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn open(cli: &Cli, create: bool) -> anyhow::Result<Store> {
    let opts = OpenOptions {
        create,
        ..OpenOptions::default()
    };
    Ok(Store::open(&cli.db, &opts)?)
}

fn progress(cli: &Cli, what: &str) -> ProgressBar {
    if cli.quiet {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} {pos} objects ({per_sec}, {elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb.set_message(what.to_owned());
    pb.enable_steady_tick(Duration::from_millis(200));
    pb
}

fn show(name: &[u8]) -> String {
    String::from_utf8_lossy(name).into_owned()
}

fn run(cli: &Cli) -> anyhow::Result<u8> {
    match &cli.cmd {
        Cmd::Scan { volume } => scan(cli, volume),
        Cmd::Repair {
            volume,
            fix_metadata,
        } => repair(cli, volume, *fix_metadata),
        Cmd::Rebuild { volume, fresh } => rebuild(cli, volume, *fresh),
        Cmd::Dump => dump(cli),
        Cmd::Stats => stats(cli),
        Cmd::Verify => verify(cli),
    }
}

fn store_dir_in(volume: &Path, db: &Path) -> Option<PathBuf> {
    let v = volume.canonicalize().ok()?;
    let d = db.canonicalize().ok()?;
    d.starts_with(&v).then_some(d)
}

fn check_volume(volume: &Path) -> anyhow::Result<()> {
    if !volume.is_dir() {
        bail!("volume root {} is not a directory", volume.display());
    }
    Ok(())
}

/// scan: read-only comparison of store and filesystem.
fn scan(cli: &Cli, volume: &Path) -> anyhow::Result<u8> {
    check_volume(volume)?;
    let store = open(cli, false)?;
    let report = store.check()?;
    let mut problems = report.problem_count;
    for p in &report.problems {
        println!("index {p}");
    }
    let skip = store_dir_in(volume, &cli.db);
    let pb = progress(cli, "scanning");
    let mut seen: HashMap<Cnid, PathBuf> = HashMap::new();
    let (mut missing, mut conflicts, mut duplicates, mut hints, mut malformed) = (0, 0, 0, 0, 0);
    walk::walk(
        volume,
        cli.nodev,
        skip.as_deref(),
        |objs| {
            let mut ids = Vec::with_capacity(objs.len());
            for o in objs {
                pb.inc(1);
                let by_devino = store.get_by_devino(o.dev, o.ino)?.map(|e| e.id);
                let by_name = match o.did {
                    Some(did) => store.get(did, &o.name)?,
                    None => None,
                };
                let id = match (by_devino, by_name) {
                    (Some(a), Some(b)) if a == b => Some(a),
                    (None, None) => {
                        pb.suspend(|| println!("missing {}", o.path.display()));
                        missing += 1;
                        None
                    }
                    (a, b) => {
                        pb.suspend(|| {
                            println!(
                                "conflict {}: (dev, ino) -> {:?}, (did, name) -> {:?}",
                                o.path.display(),
                                a.map(|c| c.0),
                                b.map(|c| c.0)
                            )
                        });
                        conflicts += 1;
                        a.or(b)
                    }
                };
                if let Some(id) = id {
                    if let Some(first) = seen.insert(id, o.path.clone()) {
                        pb.suspend(|| {
                            println!(
                                "duplicate {}: same ID {id} as {} (hard link?)",
                                o.path.display(),
                                first.display()
                            )
                        });
                        duplicates += 1;
                    }
                    if let Some(h) = o.hint(cli.nodev).filter(|h| *h != id) {
                        pb.suspend(|| {
                            println!(
                                "hint {}: metadata caches {h}, store has {id}",
                                o.path.display()
                            )
                        });
                        hints += 1;
                    }
                }
                if let Meta::Malformed(e) = &o.meta {
                    pb.suspend(|| println!("metadata {}: {e}", o.path.display()));
                    malformed += 1;
                }
                ids.push(id);
            }
            Ok(ids)
        },
        |path, why| pb.suspend(|| eprintln!("skipped {}: {why}", path.display())),
    )?;
    pb.finish_and_clear();
    let mut stale = 0;
    store.visit(|r| {
        if let Ok(e) = &r
            && !seen.contains_key(&e.id)
        {
            println!("stale {} (did {}, name {:?})", e.id, e.did, show(&e.name));
            stale += 1;
        }
        true
    })?;
    problems += missing + conflicts + duplicates + hints + stale;
    println!(
        "scan: {} objects; {missing} missing, {stale} stale, {conflicts} conflicting, \
         {duplicates} duplicate, {hints} with a different cached ID, {malformed} malformed \
         metadata; {} index problems",
        seen.len() + missing as usize,
        report.problem_count
    );
    Ok(if problems == 0 { 0 } else { EXIT_PROBLEMS })
}

/// Adds one directory's objects in one transaction (group commit).
fn add_dir(
    store: &Store,
    objs: &[Object],
    use_hints: bool,
    nodev: bool,
) -> anyhow::Result<Vec<Cnid>> {
    Ok(store.batch(|b| {
        objs.iter()
            .map(|o| {
                let did = o.did.unwrap_or(Cnid::ROOT);
                let hint = if use_hints { o.hint(nodev) } else { None };
                b.add(o.dev, o.ino, did, &o.name, o.kind, hint)
            })
            .collect()
    })?)
}

fn write_metadata(o: &Object, id: Cnid, stamp: [u8; 8], nodev: bool) -> anyhow::Result<bool> {
    let mut m = match &o.meta {
        Meta::Present(m) if m.cnid_hint(o.dev, o.ino, nodev) == Some(id) => return Ok(false),
        Meta::Present(m) => (**m).clone(),
        Meta::Absent => Metadata::default(),
        Meta::Malformed(_) => return Ok(false),
    };
    m.set_cnid(o.dev, o.ino, id, stamp, nodev);
    walk::set_xattr(&o.path, METADATA_XATTR_LINUX, &m.to_bytes())
        .with_context(|| format!("writing metadata of {}", o.path.display()))?;
    Ok(true)
}

/// repair: indexes from records, then the filesystem walk of `dbd` (add everything with its
/// hint), then stale records out.
fn repair(cli: &Cli, volume: &Path, fix_metadata: bool) -> anyhow::Result<u8> {
    check_volume(volume)?;
    let store = Store::open_for_repair(&cli.db, &OpenOptions::default())?;
    let rep = store.repair()?;
    for (id, why) in &rep.removed {
        println!("removed record {id}: {why}");
    }
    if rep.meta_rewritten {
        println!("metadata re-created");
    }
    let skip = store_dir_in(volume, &cli.db);
    let pb = progress(cli, "repairing");
    let stamp = store.stamp();
    let mut seen = HashSet::new();
    let mut rewritten = 0u64;
    walk::walk(
        volume,
        cli.nodev,
        skip.as_deref(),
        |objs| {
            let ids = add_dir(&store, objs, true, cli.nodev)?;
            for (o, id) in objs.iter().zip(&ids) {
                pb.inc(1);
                seen.insert(*id);
                if fix_metadata && write_metadata(o, *id, stamp, cli.nodev)? {
                    rewritten += 1;
                }
            }
            Ok(ids.into_iter().map(Some).collect())
        },
        |path, why| pb.suspend(|| eprintln!("skipped {}: {why}", path.display())),
    )?;
    pb.finish_and_clear();
    let mut stale = Vec::new();
    store.visit(|r| {
        if let Ok(e) = r
            && !seen.contains(&e.id)
        {
            stale.push(e);
        }
        true
    })?;
    store.batch(|b| {
        for e in &stale {
            b.delete(e.id)?;
        }
        Ok(())
    })?;
    for e in &stale {
        println!(
            "removed stale {} (did {}, name {:?})",
            e.id,
            e.did,
            show(&e.name)
        );
    }
    let report = store.check()?;
    println!(
        "repair: {} objects, {} stale records removed, {} damaged records removed, {rewritten} \
         metadata rewritten; store {}",
        seen.len(),
        stale.len(),
        rep.removed.len(),
        if report.is_clean() {
            "consistent"
        } else {
            "STILL INCONSISTENT"
        }
    );
    Ok(if report.is_clean() { 0 } else { EXIT_PROBLEMS })
}

/// rebuild: a new store from the filesystem, reusing cached IDs.
fn rebuild(cli: &Cli, volume: &Path, fresh: bool) -> anyhow::Result<u8> {
    check_volume(volume)?;
    let file = cli.db.join(FILE_NAME);
    let mut old_stamp = None;
    let mut old_last = None;
    if file.exists() {
        // Refuse while afpd holds it; carry the stamp and counter over when readable.
        match Store::open(&cli.db, &OpenOptions::default()) {
            Ok(s) => {
                old_stamp = Some(s.stamp());
                old_last = s.last_id().ok();
            }
            Err(e @ OpenError::Locked { .. }) => return Err(e.into()),
            Err(e) => eprintln!("cnid: old store unreadable ({e}); starting a new one"),
        }
        #[allow(clippy::disallowed_methods)] // the tool's one clock read: a file name
        let secs = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let aside = cli.db.join(format!("{FILE_NAME}.old-{secs}"));
        std::fs::rename(&file, &aside)
            .with_context(|| format!("moving {} aside", file.display()))?;
        println!("old store kept as {}", aside.display());
    }
    let opts = OpenOptions {
        stamp: old_stamp,
        ..OpenOptions::default()
    };
    let store = Store::open(&cli.db, &opts)?;
    if let Some(last) = old_last {
        store.raise_last(last)?;
    }
    let skip = store_dir_in(volume, &cli.db);
    let pb = progress(cli, "rebuilding");
    let (mut total, mut reused) = (0u64, 0u64);
    walk::walk(
        volume,
        cli.nodev,
        skip.as_deref(),
        |objs| {
            let ids = add_dir(&store, objs, !fresh, cli.nodev)?;
            for (o, id) in objs.iter().zip(&ids) {
                pb.inc(1);
                total += 1;
                if !fresh && o.hint(cli.nodev) == Some(*id) {
                    reused += 1;
                }
            }
            Ok(ids.into_iter().map(Some).collect())
        },
        |path, why| pb.suspend(|| eprintln!("skipped {}: {why}", path.display())),
    )?;
    pb.finish_and_clear();
    let report = store.check()?;
    println!(
        "rebuild: {total} objects, {reused} kept the ID cached in their metadata, {} new IDs; \
         store {}",
        total - reused,
        if report.is_clean() {
            "consistent"
        } else {
            "INCONSISTENT"
        }
    );
    Ok(if report.is_clean() { 0 } else { EXIT_PROBLEMS })
}

fn dump(cli: &Cli) -> anyhow::Result<u8> {
    let store = open(cli, false)?;
    let mut bad = 0;
    println!("# id\tdid\ttype\tdev\tino\tname");
    store.visit(|r| {
        match r {
            Ok(e) => println!(
                "{}\t{}\t{}\t{}\t{}\t{}",
                e.id,
                e.did,
                if e.kind == Kind::Dir { "dir" } else { "file" },
                e.dev,
                e.ino,
                show(&e.name).escape_debug()
            ),
            Err(c) => {
                println!("# CORRUPT {c}");
                bad += 1;
            }
        }
        true
    })?;
    Ok(if bad == 0 { 0 } else { EXIT_PROBLEMS })
}

fn stats(cli: &Cli) -> anyhow::Result<u8> {
    let store = open(cli, false)?;
    let s = store.stats()?;
    println!("format version   {}", s.format);
    println!("records          {}", s.records);
    println!("devino entries   {}", s.devino_entries);
    println!("didname entries  {}", s.didname_entries);
    println!("name entries     {}", s.name_entries);
    println!("last ID          {}", s.last_id);
    println!("next ID          {}", store.next_id()?);
    println!(
        "stamp            {}",
        s.stamp
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    if let Some(size) = s.size_on_disk {
        println!("size on disk     {size} bytes");
    }
    Ok(0)
}

fn verify(cli: &Cli) -> anyhow::Result<u8> {
    let store = open(cli, false)?;
    let r = store.verify()?;
    for p in &r.problems {
        println!("{p}");
    }
    println!(
        "verify: {} records, {} index entries, {} orphans, {} problems",
        r.records, r.index_entries, r.orphans, r.problem_count
    );
    Ok(if r.is_clean() { 0 } else { EXIT_PROBLEMS })
}
