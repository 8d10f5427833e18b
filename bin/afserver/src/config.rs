//! The server configuration file, in afbackup's `Key: value` style (afserver.conf(8)).
//!
//! Keys are matched without case, spaces, dashes or underscores, so `Tape-Blocksize`,
//! `tape blocksize` and `TAPE_BLOCKSIZE` are the same key. `#` starts a comment line.
//!
//! | key | meaning | default |
//! |---|---|---|
//! | `Backup-Device` | `simh:<dir>` (cartridge N = `<dir>/cartNNN.tap`), `vtape:<dir>` (Amanda `slotN/` directories), or a Linux tape device `/dev/nstN` | required |
//! | `Number Of Cartridges` | cartridges in the set | 1 |
//! | `Tape-Blocksize` | data block size in bytes (multiple of 1024; ≥ 32768 on fixed-block drives) | 32768 |
//! | `Max Bytes Per File` | largest tape file (Amanda part) in bytes | 50000000 |
//! | `Cartridge-Capacity` | simulated capacity of file-backed cartridges in bytes (0 = unlimited) | 0 |
//! | `Early-Warning` | simulated early-warning zone in bytes (0 = none: hard end of medium) | 0 |
//! | `Label-Prefix` | labels written by the server are `<prefix><NNN>` | `AF-` |
//! | `Label-Pattern` | regular expression every label must match (Amanda `labelstr`) | `^AF-[0-9]{3}$` |
//! | `Tape-Full-Command` | shell command run when a cartridge becomes full; `%c` = cartridge, `%n` = times full | none |
//! | `Change-Cartridge-Command` | shell command that loads cartridge `%c` into a tape drive (`mtx …`) | none |
//! | `Var-Directory` | state directory (afbackup layout) | `/var/lib/afbackup` |
//! | `Status-Interval` | seconds between throughput updates of the `status` file | 5 |
//! | `Reuse-Full-Cartridges` | `yes` lets full, non-precious cartridges be overwritten | no |

use std::path::PathBuf;

use anyhow::{Context, anyhow, bail};

/// Where the cartridges are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Device {
    /// SIMH `.tap` files in a directory.
    Simh(PathBuf),
    /// An Amanda vtape changer directory (`slotN/`).
    Vtape(PathBuf),
    /// A Linux SCSI tape device (`/dev/nstN`).
    Tape(PathBuf),
}

/// The parsed configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// The cartridges.
    pub device: Device,
    /// Number of cartridges.
    pub cartridges: u32,
    /// Data block size.
    pub block_size: u32,
    /// Largest tape file.
    pub max_bytes_per_file: u64,
    /// Simulated capacity per cartridge (file-backed devices), 0 = unlimited.
    pub capacity: u64,
    /// Simulated early-warning zone.
    pub early_warning: u64,
    /// Label prefix.
    pub label_prefix: String,
    /// Label regular expression.
    pub label_pattern: regex::Regex,
    /// Tape-full command.
    pub tape_full_command: Option<String>,
    /// Change-cartridge command.
    pub change_command: Option<String>,
    /// State directory.
    pub var_dir: PathBuf,
    /// Seconds between status updates.
    pub status_interval: f64,
    /// Reuse full cartridges.
    pub reuse_full: bool,
}

fn norm(k: &str) -> String {
    k.chars()
        .filter(|c| !matches!(c, ' ' | '-' | '_' | '\t'))
        .flat_map(char::to_lowercase)
        .collect()
}

impl Config {
    /// Parse the text of a configuration file.
    pub fn parse(text: &str) -> anyhow::Result<Config> {
        let mut device = None;
        let mut c = Config {
            device: Device::Simh(PathBuf::new()),
            cartridges: 1,
            block_size: 32768,
            max_bytes_per_file: 50_000_000,
            capacity: 0,
            early_warning: 0,
            label_prefix: "AF-".into(),
            label_pattern: regex::Regex::new("^AF-[0-9]{3}$").expect("default pattern"),
            tape_full_command: None,
            change_command: None,
            var_dir: PathBuf::from("/var/lib/afbackup"),
            status_interval: 5.0,
            reuse_full: false,
        };
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (k, v) = line
                .split_once(':')
                .ok_or_else(|| anyhow!("line {}: expected `Key: value`", i + 1))?;
            let v = v.trim();
            let ctx = || format!("line {}: {}", i + 1, k.trim());
            match norm(k).as_str() {
                "backupdevice" => {
                    device = Some(if let Some(p) = v.strip_prefix("simh:") {
                        Device::Simh(p.into())
                    } else if let Some(p) = v.strip_prefix("vtape:") {
                        Device::Vtape(p.into())
                    } else if v.starts_with("/dev/") {
                        Device::Tape(v.into())
                    } else {
                        bail!(
                            "{}: device must be simh:<dir>, vtape:<dir> or /dev/nstN",
                            ctx()
                        );
                    })
                }
                "numberofcartridges" => c.cartridges = v.parse().with_context(ctx)?,
                "tapeblocksize" => c.block_size = v.parse().with_context(ctx)?,
                "maxbytesperfile" => c.max_bytes_per_file = v.parse().with_context(ctx)?,
                "cartridgecapacity" => c.capacity = v.parse().with_context(ctx)?,
                "earlywarning" => c.early_warning = v.parse().with_context(ctx)?,
                "labelprefix" => c.label_prefix = v.to_owned(),
                "labelpattern" => c.label_pattern = regex::Regex::new(v).with_context(ctx)?,
                "tapefullcommand" => c.tape_full_command = (!v.is_empty()).then(|| v.to_owned()),
                "changecartridgecommand" => {
                    c.change_command = (!v.is_empty()).then(|| v.to_owned())
                }
                "vardirectory" => c.var_dir = v.into(),
                "statusinterval" => c.status_interval = v.parse().with_context(ctx)?,
                "reusefullcartridges" => {
                    c.reuse_full = matches!(v.to_ascii_lowercase().as_str(), "yes" | "true" | "1")
                }
                _ => bail!("{}: unknown key", ctx()),
            }
        }
        c.device = device.ok_or_else(|| anyhow!("Backup-Device is missing"))?;
        if c.cartridges == 0 {
            bail!("Number Of Cartridges must be at least 1");
        }
        if c.block_size < 1024 || !c.block_size.is_multiple_of(1024) || c.block_size > 16 << 20 {
            bail!(
                "Tape-Blocksize {} must be a multiple of 1024 between 1024 and 16 MiB",
                c.block_size
            );
        }
        let sample = format!("{}{:03}", c.label_prefix, 1);
        if !c.label_pattern.is_match(&sample) {
            bail!(
                "labels `{sample}` made from Label-Prefix do not match Label-Pattern `{}`",
                c.label_pattern
            );
        }
        Ok(c)
    }

    /// Read and parse a configuration file.
    pub fn load(path: &std::path::Path) -> anyhow::Result<Config> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Config::parse(&text).with_context(|| format!("in {}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_afbackup_style_keys() {
        let c = Config::parse(
            "# test\nBackup-Device: vtape:/tmp/v\nNumber Of Cartridges: 3\nTAPE_BLOCKSIZE: 65536\n\
             max bytes per file: 1000000\nTape-Full-Command: echo %c\nReuse-Full-Cartridges: yes\n",
        )
        .unwrap();
        assert_eq!(c.device, Device::Vtape("/tmp/v".into()));
        assert_eq!(
            (c.cartridges, c.block_size, c.max_bytes_per_file),
            (3, 65536, 1_000_000)
        );
        assert_eq!(c.tape_full_command.as_deref(), Some("echo %c"));
        assert!(c.reuse_full);
        assert!(Config::parse("Backup-Device: /dev/nst0\nTape-Blocksize: 1000\n").is_err());
        assert!(Config::parse("Number Of Cartridges: 3\n").is_err());
        assert!(Config::parse("Backup-Device: simh:/x\nLabel-Pattern: ^X$\n").is_err());
        assert!(Config::parse("Backup-Device: simh:/x\nBogus: 1\n").is_err());
    }
}
