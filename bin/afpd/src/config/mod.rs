//! netatalk 3/4 `afp.conf`: loading, typing and per-session resolution (spec
//! `cnid-and-config.md` §3).
//!
//! * [`parse`]: the lexical rules of §3.1 (continuations, comments, quotes, includes).
//! * [`options`]: every known option, its section and value grammar (§3.5–§3.7).
//! * [`vars`]: `$u`, `$v`, … (§3.3).
//! * this module: [`Config::load`] turns the raw sections into [`Global`], [`Homes`],
//!   [`VolumeSection`]s and presets, with a [`Diagnostic`] (`file:line`) for every unknown,
//!   misplaced or unsupported option, and an error for every bad value. Any error fails
//!   the load: the server does not start.
//! * [`Config::volumes_for`] (in `resolve.rs`): the volumes one user sees from one client
//!   address (§3.2 access rules, §3.4 `vol dbpath`).
//!
//! Section names: `[Global]` and `[Homes]` are recognised in any letter case (netatalk
//! 4.2 behaviour). Volume names keep the case they are written in (netatalk 3 behaviour;
//! 4.2 lower-cases the section name when `volume name` is absent).
//!
//! Option resolution for a volume (§3.2): the volume section, then its `vol preset`
//! section (else the one named by `[Global] vol preset`), then the built-in default.
//! `[Global]` is not a fallback for volume options, except `vol dbpath` (rules of §3.4) and
//! `cnid scheme`. A volume option written in `[Global]` draws a warning, since netatalk
//! ignores it there (the seed's `hosts allow` in `[Global]` restricts nothing);
//! [`LoadOptions::global_volume_defaults`] opts into using such options as defaults.

pub mod options;
pub mod parse;
mod resolve;
pub mod vars;

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use regex::Regex;

use crate::hosts::HostList;
use crate::logging::LogSpec;

pub use options::{LoginMethod, Principal};
pub use parse::Span;
pub use resolve::{
    AdvertisedVolume, DbDirError, Resolution, ResolvedVolume, SkipReason, Skipped, create_db_dir,
};

use options::{Scope, Support, UamName};
use parse::{FsSource, RawEntry, RawSection, Source};

/// How serious a [`Diagnostic`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The option is ignored or unusual; the server still starts.
    Warning,
    /// The configuration is rejected; the server does not start.
    Error,
}

/// One message about the configuration, usually with a `file:line`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Warning or error.
    pub severity: Severity,
    /// Where, if it concerns a line.
    pub span: Option<Span>,
    /// What, in words an administrator understands.
    pub message: String,
}

impl Diagnostic {
    /// An error at `span`.
    pub fn error(span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            span: Some(span),
            message: message.into(),
        }
    }

    /// A warning at `span`.
    pub fn warning(span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            span: Some(span),
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        match &self.span {
            Some(span) => write!(f, "{span}: {sev}: {}", self.message),
            None => write!(f, "{sev}: {}", self.message),
        }
    }
}

/// A configuration that failed to load: every diagnostic, errors and warnings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    /// All diagnostics in file order; at least one is an error.
    pub diagnostics: Vec<Diagnostic>,
}

impl LoadError {
    /// Only the errors.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for d in self.errors() {
            if !first {
                f.write_str("\n")?;
            }
            first = false;
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

/// A loaded configuration and the warnings it produced.
#[derive(Debug)]
pub struct Loaded {
    /// The configuration.
    pub config: Config,
    /// Warnings (unknown, misplaced or unsupported options, …) in file order.
    pub warnings: Vec<Diagnostic>,
}

/// Settings of the load that do not come from the file.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// The state directory: default `vol dbpath` base (`<state>/CNID/<volume>/`) and
    /// default `passwd file` (`<state>/afppasswd`).
    pub state_dir: PathBuf,
    /// The host name (`$h`, default server name). `None`: the system's, up to the first dot.
    pub host_name: Option<String>,
    /// Use volume options written in `[Global]` as defaults for every volume (an opt-in
    /// departure from netatalk, which ignores them).
    pub global_volume_defaults: bool,
}

impl LoadOptions {
    /// Defaults with the given state directory.
    pub fn new(state_dir: impl Into<PathBuf>) -> Self {
        LoadOptions {
            state_dir: state_dir.into(),
            host_name: None,
            global_volume_defaults: false,
        }
    }
}

/// Server-wide options from `[Global]`, with netatalk's defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct Global {
    /// `server name` (4.2+): the name clients see. Default: the host name.
    pub server_name: Option<String>,
    /// `hostname`: replaces the system host name for `$h` and the default server name.
    pub hostname: Option<String>,
    /// `afp listen`, ports filled from `afp port`. Empty: all addresses.
    pub afp_listen: Vec<SocketAddr>,
    /// `afp port` (548).
    pub afp_port: u16,
    /// `uam list` mapped to our login methods, in the order written, without duplicates.
    /// Default `uams_dhx.so uams_dhx2.so`.
    pub uam_list: Vec<LoginMethod>,
    /// `log level` (`default:note`).
    pub log_level: LogSpec,
    /// `log file`. `None`: standard error.
    pub log_file: Option<PathBuf>,
    /// `max connections` (200).
    pub max_connections: u32,
    /// `disconnect time` in hours (24): how long a disconnected session is kept.
    pub disconnect_time_hours: u32,
    /// `sleep time` in hours (10): how long a sleeping client's session is kept.
    pub sleep_time_hours: u32,
    /// `tickleval` in seconds (30).
    pub tickleval_secs: u32,
    /// `timeout`: tickle intervals without traffic before the session is dropped (4).
    pub timeout_tickles: u32,
    /// `server quantum` in bytes (0x100000; 32000 ..= 0xFFFFFFFF).
    pub server_quantum: u32,
    /// `dsireadbuf` (12): read-ahead buffer = this × quantum.
    pub dsireadbuf: u32,
    /// `mimic model` (`_device-info._tcp` TXT `model=`).
    pub mimic_model: Option<String>,
    /// `guest account` (`nobody`).
    pub guest_account: String,
    /// `login message` shown at login.
    pub login_message: Option<String>,
    /// `vol dbpath` as written in `[Global]` (§3.4 rule 3).
    pub vol_dbpath: Option<String>,
    /// `vol dbnest` (no): CNID database inside each volume.
    pub vol_dbnest: bool,
    /// `vol preset`: default preset section for every volume.
    pub vol_preset: Option<String>,
    /// `passwd file`: our password file. Default: `<state dir>/afppasswd`.
    pub passwd_file: Option<PathBuf>,
    /// `passwd minlen` (0).
    pub passwd_minlen: u32,
    /// `save password` (yes): clients may keep the password.
    pub save_password: bool,
    /// `set password` (no): clients may change their password.
    pub set_password: bool,
    /// `zeroconf` (yes).
    pub zeroconf: bool,
    /// `zeroconf name`. Default: the server name.
    pub zeroconf_name: Option<String>,
    /// `signature`: a fixed server signature (at most 16 bytes used) instead of
    /// `afp_signature.conf`.
    pub signature: Option<String>,
    /// `cnid scheme` in `[Global]` (default for every volume).
    pub cnid_scheme: Option<CnidScheme>,
}

impl Default for Global {
    fn default() -> Self {
        Global {
            server_name: None,
            hostname: None,
            afp_listen: Vec::new(),
            afp_port: 548,
            uam_list: vec![LoginMethod::Dhcast128, LoginMethod::Dhx2],
            log_level: LogSpec::default(),
            log_file: None,
            max_connections: 200,
            disconnect_time_hours: 24,
            sleep_time_hours: 10,
            tickleval_secs: 30,
            timeout_tickles: 4,
            server_quantum: 0x10_0000,
            dsireadbuf: 12,
            mimic_model: None,
            guest_account: "nobody".to_owned(),
            login_message: None,
            vol_dbpath: None,
            vol_dbnest: false,
            vol_preset: None,
            passwd_file: None,
            passwd_minlen: 0,
            save_password: true,
            set_password: false,
            zeroconf: true,
            zeroconf_name: None,
            signature: None,
            cnid_scheme: None,
        }
    }
}

impl Global {
    /// Whether guest logins are offered (`uams_guest.so` in `uam list`).
    pub fn guest_allowed(&self) -> bool {
        self.uam_list.contains(&LoginMethod::Guest)
    }

    /// Seconds without any traffic after which a session is dropped
    /// (`tickleval × timeout`, 120 by default).
    pub fn idle_timeout_secs(&self) -> u64 {
        u64::from(self.tickleval_secs) * u64::from(self.timeout_tickles)
    }
}

/// `ea`: where extended attributes and resource forks live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EaMode {
    /// Detect (default): `sys` if the file system supports xattrs, else `ad`.
    Auto,
    /// File system extended attributes.
    Sys,
    /// Like `sys`, with Samba's trailing NUL byte.
    Samba,
    /// AppleDouble files in `.AppleDouble/`.
    Ad,
    /// No extended attributes.
    None,
}

/// `cnid scheme`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CnidScheme {
    /// Our built-in CNID store (`dbd`, `sqlite`, and the removed `cdb`/`tdb`, `mysql`).
    Store,
    /// `last`: IDs are not persistent; the volume is read-only.
    Last,
}

/// `casefold`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Casefold {
    /// `tolower`: lower-case names in both directions.
    ToLower,
    /// `toupper`: upper-case names in both directions.
    ToUpper,
    /// `xlatelower`: the client sees lower case, the server upper case.
    XlateLower,
    /// `xlateupper`: the client sees upper case, the server lower case.
    XlateUpper,
}

/// Volume options as written in one section; `None` = not set there.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VolumeOptions {
    /// `volume name` (4.2+).
    pub volume_name: Option<String>,
    /// `valid users`.
    pub valid_users: Option<Vec<Principal>>,
    /// `invalid users`.
    pub invalid_users: Option<Vec<Principal>>,
    /// `hosts allow`.
    pub hosts_allow: Option<HostList>,
    /// `hosts deny`.
    pub hosts_deny: Option<HostList>,
    /// `rolist`.
    pub rolist: Option<Vec<Principal>>,
    /// `rwlist`.
    pub rwlist: Option<Vec<Principal>>,
    /// `read only`.
    pub read_only: Option<bool>,
    /// `time machine`.
    pub time_machine: Option<bool>,
    /// `vol size limit` in MiB.
    pub vol_size_limit_mib: Option<u64>,
    /// `file perm` (octal).
    pub file_perm: Option<u32>,
    /// `directory perm` (octal).
    pub directory_perm: Option<u32>,
    /// `umask` (octal).
    pub umask: Option<u32>,
    /// `ea`.
    pub ea: Option<EaMode>,
    /// `cnid scheme`.
    pub cnid_scheme: Option<CnidScheme>,
    /// `vol dbpath` (with variables).
    pub vol_dbpath: Option<String>,
    /// `cnid dev`.
    pub cnid_dev: Option<bool>,
    /// `unix priv`.
    pub unix_priv: Option<bool>,
    /// `case sensitive`.
    pub case_sensitive: Option<bool>,
    /// `follow symlinks`.
    pub follow_symlinks: Option<bool>,
    /// `invisible dots`.
    pub invisible_dots: Option<bool>,
    /// `veto files`, split at `/`.
    pub veto_files: Option<Vec<String>>,
    /// `delete veto files`.
    pub delete_veto_files: Option<bool>,
    /// `search db`.
    pub search_db: Option<bool>,
    /// `casefold`.
    pub casefold: Option<Casefold>,
    /// `convert appledouble`.
    pub convert_appledouble: Option<bool>,
    /// `stat vol`.
    pub stat_vol: Option<bool>,
    /// `network ids`.
    pub network_ids: Option<bool>,
    /// `acls`.
    pub acls: Option<bool>,
    /// `password` (volume password, at most 8 bytes are used by AFP).
    pub password: Option<String>,
    /// `volume uuid` (upper-case `8-4-4-4-12` form), instead of `afp_voluuid.conf`.
    pub volume_uuid: Option<String>,
    /// `login message` at volume level.
    pub login_message: Option<String>,
}

impl VolumeOptions {
    /// Every option set here, else the one from `fallback`.
    pub fn or(&self, fallback: &VolumeOptions) -> VolumeOptions {
        let f = fallback;
        VolumeOptions {
            volume_name: self.volume_name.clone().or_else(|| f.volume_name.clone()),
            valid_users: self.valid_users.clone().or_else(|| f.valid_users.clone()),
            invalid_users: self
                .invalid_users
                .clone()
                .or_else(|| f.invalid_users.clone()),
            hosts_allow: self.hosts_allow.clone().or_else(|| f.hosts_allow.clone()),
            hosts_deny: self.hosts_deny.clone().or_else(|| f.hosts_deny.clone()),
            rolist: self.rolist.clone().or_else(|| f.rolist.clone()),
            rwlist: self.rwlist.clone().or_else(|| f.rwlist.clone()),
            read_only: self.read_only.or(f.read_only),
            time_machine: self.time_machine.or(f.time_machine),
            vol_size_limit_mib: self.vol_size_limit_mib.or(f.vol_size_limit_mib),
            file_perm: self.file_perm.or(f.file_perm),
            directory_perm: self.directory_perm.or(f.directory_perm),
            umask: self.umask.or(f.umask),
            ea: self.ea.or(f.ea),
            cnid_scheme: self.cnid_scheme.or(f.cnid_scheme),
            vol_dbpath: self.vol_dbpath.clone().or_else(|| f.vol_dbpath.clone()),
            cnid_dev: self.cnid_dev.or(f.cnid_dev),
            unix_priv: self.unix_priv.or(f.unix_priv),
            case_sensitive: self.case_sensitive.or(f.case_sensitive),
            follow_symlinks: self.follow_symlinks.or(f.follow_symlinks),
            invisible_dots: self.invisible_dots.or(f.invisible_dots),
            veto_files: self.veto_files.clone().or_else(|| f.veto_files.clone()),
            delete_veto_files: self.delete_veto_files.or(f.delete_veto_files),
            search_db: self.search_db.or(f.search_db),
            casefold: self.casefold.or(f.casefold),
            convert_appledouble: self.convert_appledouble.or(f.convert_appledouble),
            stat_vol: self.stat_vol.or(f.stat_vol),
            network_ids: self.network_ids.or(f.network_ids),
            acls: self.acls.or(f.acls),
            password: self.password.clone().or_else(|| f.password.clone()),
            volume_uuid: self.volume_uuid.clone().or_else(|| f.volume_uuid.clone()),
            login_message: self
                .login_message
                .clone()
                .or_else(|| f.login_message.clone()),
        }
    }
}

/// A volume section (one with `path`).
#[derive(Clone, Debug, PartialEq)]
pub struct VolumeSection {
    /// Section name as written.
    pub section: String,
    /// Where the section starts.
    pub span: Span,
    /// `path`, variables not yet expanded.
    pub path: String,
    /// `vol preset` of this section.
    pub preset: Option<String>,
    /// Options set in the section itself.
    pub options: VolumeOptions,
}

/// The `[Homes]` section.
#[derive(Clone, Debug)]
pub struct Homes {
    /// Where the section starts.
    pub span: Span,
    /// `basedir regex` (required), matched against the real path of the user's home.
    pub basedir_regex: Regex,
    /// `home name` (`$u's home`).
    pub home_name: String,
    /// `path`: subdirectory of the home to share instead of the home itself.
    pub path: Option<String>,
    /// `vol preset` of the section.
    pub preset: Option<String>,
    /// Volume options of the section.
    pub options: VolumeOptions,
    /// How many volume sections come before `[Homes]` in the file (its place in the
    /// volume list).
    pub position: usize,
}

/// A loaded `afp.conf`.
#[derive(Clone, Debug)]
pub struct Config {
    /// The file it was loaded from.
    pub path: PathBuf,
    /// Host name (`$h`): `hostname` option, [`LoadOptions::host_name`], or the system's.
    pub host_name: String,
    /// The state directory it was loaded with.
    pub state_dir: PathBuf,
    /// `[Global]`.
    pub global: Global,
    /// `[Homes]`, if present.
    pub homes: Option<Homes>,
    /// Volume sections in file order.
    pub volumes: Vec<VolumeSection>,
    /// Sections without `path`, by name: presets.
    pub presets: BTreeMap<String, VolumeOptions>,
    /// Volume options of `[Global]`, used as defaults only with
    /// [`LoadOptions::global_volume_defaults`].
    pub global_volume_defaults: Option<VolumeOptions>,
}

impl Config {
    /// Load `path` from the file system.
    pub fn load(path: &Path, opts: &LoadOptions) -> Result<Loaded, LoadError> {
        Config::load_with(path, &FsSource, opts)
    }

    /// Load `path` through `source` (tests use an in-memory source).
    pub fn load_with(
        path: &Path,
        source: &dyn Source,
        opts: &LoadOptions,
    ) -> Result<Loaded, LoadError> {
        let mut diags = Vec::new();
        let raw = parse::parse(path, source, &mut diags);
        let config = build(path, raw, opts, &mut diags);
        if diags.iter().any(|d| d.severity == Severity::Error) {
            return Err(LoadError { diagnostics: diags });
        }
        Ok(Loaded {
            config,
            warnings: diags,
        })
    }

    /// The name clients see: `server name`, else the host name.
    pub fn server_name(&self) -> &str {
        self.global
            .server_name
            .as_deref()
            .unwrap_or(&self.host_name)
    }

    /// The password file: `passwd file`, else `<state dir>/afppasswd`.
    pub fn passwd_file(&self) -> PathBuf {
        self.global
            .passwd_file
            .clone()
            .unwrap_or_else(|| self.state_dir.join("afppasswd"))
    }

    /// The preset options that apply to a section with `preset`.
    fn preset_for(&self, preset: Option<&str>) -> VolumeOptions {
        let name = preset.or(self.global.vol_preset.as_deref());
        let base = name
            .and_then(|n| {
                self.presets
                    .get(n)
                    .cloned()
                    .or_else(|| self.section_options(n))
            })
            .unwrap_or_default();
        match &self.global_volume_defaults {
            Some(g) => base.or(g),
            None => base,
        }
    }

    /// Options of any section by name (netatalk lets a volume serve as a preset too).
    fn section_options(&self, name: &str) -> Option<VolumeOptions> {
        self.volumes
            .iter()
            .find(|v| v.section == name)
            .map(|v| v.options.clone())
    }
}

fn host_name_from_system() -> String {
    let name = nix::unistd::gethostname()
        .ok()
        .and_then(|n| n.into_string().ok())
        .unwrap_or_else(|| "localhost".to_owned());
    // netatalk keeps the part before the first dot.
    name.split('.').next().unwrap_or("localhost").to_owned()
}

/// Which kind of section an option appears in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SectionKind {
    Global,
    Homes,
    Volume,
}

/// Collapse repeated keys (last wins) and check each key against the option table.
/// Returns the entries to type, in file order of their last occurrence.
fn check_entries<'a>(
    section: &'a RawSection,
    kind: SectionKind,
    global_defaults: bool,
    diags: &mut Vec<Diagnostic>,
) -> Vec<&'a RawEntry> {
    let mut last: BTreeMap<&str, (usize, &RawEntry)> = BTreeMap::new();
    for (idx, e) in section.entries.iter().enumerate() {
        if let Some((_, prev)) = last.insert(e.key.as_str(), (idx, e)) {
            diags.push(Diagnostic::warning(
                e.span.clone(),
                format!(
                    "`{}` is set again in [{}] (first at {}); the last value wins",
                    e.key, section.name, prev.span
                ),
            ));
        }
    }
    // Keep file order (entries of included files come after the including file's).
    let mut ordered: Vec<(usize, &RawEntry)> = last.into_values().collect();
    ordered.sort_by_key(|(idx, _)| *idx);
    let entries = ordered.into_iter().map(|(_, e)| e);
    let mut keep = Vec::new();
    for e in entries {
        let Some(def) = options::lookup(&e.key) else {
            let hint = match options::suggest(&e.key) {
                Some(s) => format!(" (did you mean `{s}`? option names are case-sensitive)"),
                None => String::new(),
            };
            diags.push(Diagnostic::warning(
                e.span.clone(),
                format!(
                    "unknown option `{}` in [{}], ignored{hint}",
                    e.key, section.name
                ),
            ));
            continue;
        };
        let placement = match (kind, def.scope) {
            (SectionKind::Global, Scope::Global | Scope::Both) => Ok(()),
            (SectionKind::Global, Scope::Volume) if global_defaults => Ok(()),
            (SectionKind::Global, Scope::Volume) => Err(
                if e.key.starts_with("hosts ") || e.key.ends_with(" users") {
                    format!(
                        "`{}` is a volume option: in [Global] it has NO effect (netatalk ignores it there), so it restricts nothing; put it in each volume section",
                        e.key
                    )
                } else {
                    format!(
                        "`{}` is a volume option and has no effect in [Global] (netatalk ignores it there); put it in the volume sections or a preset",
                        e.key
                    )
                },
            ),
            (SectionKind::Global, Scope::Homes) | (SectionKind::Volume, Scope::Homes) => {
                Err(format!("`{}` belongs in [Homes]; ignored here", e.key))
            }
            (SectionKind::Volume | SectionKind::Homes, Scope::Global) => Err(format!(
                "`{}` is a [Global] option; ignored in [{}]",
                e.key, section.name
            )),
            (SectionKind::Volume | SectionKind::Homes, _) => Ok(()),
        };
        if let Err(msg) = placement {
            diags.push(Diagnostic::warning(e.span.clone(), msg));
            continue;
        }
        if let Support::Ignored(why) = def.support {
            diags.push(Diagnostic::warning(
                e.span.clone(),
                format!(
                    "`{}` is not supported by this server and is ignored: {why}",
                    e.key
                ),
            ));
            continue;
        }
        keep.push(e);
    }
    keep
}

fn bad_value(e: &RawEntry, reason: impl fmt::Display) -> Diagnostic {
    Diagnostic::error(
        e.span.clone(),
        format!("bad value `{}` for `{}`: {reason}", e.value, e.key),
    )
}

fn build(
    path: &Path,
    raw: parse::RawConfig,
    opts: &LoadOptions,
    diags: &mut Vec<Diagnostic>,
) -> Config {
    let mut global = Global::default();
    let mut global_volume = VolumeOptions::default();
    let mut homes = None;
    let mut volumes = Vec::new();
    let mut presets = BTreeMap::new();
    let mut preset_refs: Vec<(String, Option<Span>)> = Vec::new();

    for section in &raw.sections {
        if section.name.eq_ignore_ascii_case("global") {
            let entries = check_entries(
                section,
                SectionKind::Global,
                opts.global_volume_defaults,
                diags,
            );
            type_global(&entries, &mut global, &mut global_volume, diags);
            continue;
        }
        let is_homes = section.name.eq_ignore_ascii_case("homes");
        let kind = if is_homes {
            SectionKind::Homes
        } else {
            SectionKind::Volume
        };
        let entries = check_entries(section, kind, false, diags);
        let mut vo = VolumeOptions::default();
        let mut path_value = None;
        let mut preset = None;
        let mut basedir = None;
        let mut home_name = None;
        for e in entries {
            match e.key.as_str() {
                "path" => path_value = Some(e),
                "vol preset" => {
                    preset = Some(e.value.clone());
                    preset_refs.push((e.value.clone(), Some(e.span.clone())));
                }
                "basedir regex" => basedir = Some(e),
                "home name" => home_name = Some(e),
                _ => type_volume_option(e, &mut vo, diags),
            }
        }
        if is_homes {
            let Some(basedir) = basedir else {
                diags.push(Diagnostic::error(
                    section.span.clone(),
                    "[Homes] needs `basedir regex` (a regular expression matching the parent directory of the users' homes, e.g. `/home`)",
                ));
                continue;
            };
            let regex = match Regex::new(&basedir.value) {
                Ok(r) => r,
                Err(err) => {
                    diags.push(bad_value(
                        basedir,
                        format!("not a valid regular expression: {err}"),
                    ));
                    continue;
                }
            };
            let default_name = "$u's home".to_owned();
            let home_name = match home_name {
                None => default_name,
                Some(e) if !e.value.contains("$u") => {
                    diags.push(Diagnostic::warning(
                        e.span.clone(),
                        format!(
                            "`home name` must contain `$u`; using `{default_name}` as netatalk does"
                        ),
                    ));
                    default_name
                }
                Some(e) if e.value.contains(':') => {
                    diags.push(Diagnostic::warning(
                        e.span.clone(),
                        format!("`home name` must not contain `:`; using `{default_name}` as netatalk does"),
                    ));
                    default_name
                }
                Some(e) => e.value.clone(),
            };
            if homes.is_some() {
                diags.push(Diagnostic::error(
                    section.span.clone(),
                    "a second [Homes] section",
                ));
                continue;
            }
            homes = Some(Homes {
                span: section.span.clone(),
                basedir_regex: regex,
                home_name,
                path: path_value.map(|e| e.value.clone()),
                preset,
                options: vo,
                position: volumes.len(),
            });
            continue;
        }
        match path_value {
            None => {
                presets.insert(section.name.clone(), vo);
            }
            Some(p) => {
                if p.value.is_empty() || !(p.value.starts_with('/') || p.value.starts_with('$')) {
                    diags.push(bad_value(p, "`path` must be an absolute path"));
                    continue;
                }
                let name_template = vo.volume_name.as_deref().unwrap_or(&section.name);
                if name_template.contains(':') {
                    diags.push(Diagnostic::error(
                        section.span.clone(),
                        format!("volume name `{name_template}` must not contain `:`"),
                    ));
                }
                if !p.value.contains('$')
                    && let Err(e) = std::fs::metadata(&p.value)
                {
                    diags.push(Diagnostic::warning(
                        p.span.clone(),
                        format!(
                            "path {} is not accessible ({e}); the volume is left out until it is",
                            p.value
                        ),
                    ));
                }
                volumes.push(VolumeSection {
                    section: section.name.clone(),
                    span: section.span.clone(),
                    path: p.value.clone(),
                    preset,
                    options: vo,
                });
            }
        }
    }

    // `vol preset` must name a section.
    if let Some(p) = &global.vol_preset {
        preset_refs.push((p.clone(), None));
    }
    for (name, span) in preset_refs {
        let exists = presets.contains_key(&name)
            || volumes.iter().any(|v: &VolumeSection| v.section == name);
        if !exists {
            diags.push(Diagnostic {
                severity: Severity::Error,
                span,
                message: format!("`vol preset = {name}` names no section"),
            });
        }
    }

    let host_name = global
        .hostname
        .clone()
        .or_else(|| opts.host_name.clone())
        .unwrap_or_else(host_name_from_system);
    Config {
        path: path.to_owned(),
        host_name,
        state_dir: opts.state_dir.clone(),
        global,
        homes,
        volumes,
        presets,
        global_volume_defaults: opts.global_volume_defaults.then_some(global_volume),
    }
}

fn type_global(
    entries: &[&RawEntry],
    g: &mut Global,
    volume_defaults: &mut VolumeOptions,
    diags: &mut Vec<Diagnostic>,
) {
    let mut listen = None;
    for &e in entries {
        let v = e.value.as_str();
        let mut set_u32 =
            |target: &mut u32, min: u64, max: u64| match options::parse_range(v, min, max) {
                Ok(n) => *target = u32::try_from(n).unwrap_or(u32::MAX),
                Err(r) => diags.push(bad_value(e, r)),
            };
        match e.key.as_str() {
            "server name" => g.server_name = non_empty(v),
            "hostname" => g.hostname = non_empty(v),
            "afp listen" => listen = Some(e),
            "afp port" => {
                let mut port = 0;
                set_u32(&mut port, 1, 65535);
                g.afp_port = u16::try_from(port).unwrap_or(548);
            }
            "max connections" => set_u32(&mut g.max_connections, 1, 100_000),
            "disconnect time" => set_u32(&mut g.disconnect_time_hours, 0, 24 * 365),
            "sleep time" => set_u32(&mut g.sleep_time_hours, 0, 24 * 365),
            "tickleval" => set_u32(&mut g.tickleval_secs, 1, 3600),
            "timeout" => set_u32(&mut g.timeout_tickles, 1, 10_000),
            "server quantum" => set_u32(&mut g.server_quantum, 32_000, u64::from(u32::MAX)),
            "dsireadbuf" => set_u32(&mut g.dsireadbuf, 6, 1024),
            "passwd minlen" => set_u32(&mut g.passwd_minlen, 0, 255),
            "mimic model" => g.mimic_model = non_empty(v),
            "guest account" => match non_empty(v) {
                Some(name) => g.guest_account = name,
                None => diags.push(bad_value(e, "a user name is required")),
            },
            "login message" => g.login_message = non_empty(v),
            "vol dbpath" => g.vol_dbpath = non_empty(v),
            "vol preset" => g.vol_preset = non_empty(v),
            "passwd file" => g.passwd_file = non_empty(v).map(PathBuf::from),
            "log file" => g.log_file = non_empty(v).map(PathBuf::from),
            "zeroconf name" => g.zeroconf_name = non_empty(v),
            "signature" => {
                if v.len() > 16 {
                    diags.push(Diagnostic::warning(
                        e.span.clone(),
                        "`signature` is longer than 16 bytes; only the first 16 are used",
                    ));
                } else if !v.is_empty() && v.len() < 3 {
                    diags.push(Diagnostic::warning(
                        e.span.clone(),
                        "`signature` is very short",
                    ));
                }
                g.signature = non_empty(v);
            }
            "log level" => match v.parse::<LogSpec>() {
                Ok(spec) => g.log_level = spec,
                Err(r) => diags.push(bad_value(e, r)),
            },
            "uam list" => type_uam_list(e, g, diags),
            "vol dbnest" | "save password" | "set password" | "zeroconf" => {
                match options::parse_bool(v) {
                    Ok(b) => match e.key.as_str() {
                        "vol dbnest" => g.vol_dbnest = b,
                        "save password" => g.save_password = b,
                        "set password" => g.set_password = b,
                        _ => g.zeroconf = b,
                    },
                    Err(r) => diags.push(bad_value(e, r)),
                }
            }
            "cnid scheme" => {
                if let Some(s) = parse_cnid_scheme(e, diags) {
                    g.cnid_scheme = Some(s);
                }
            }
            // Volume options allowed here only with `global_volume_defaults`.
            _ => type_volume_option(e, volume_defaults, diags),
        }
    }
    if let Some(e) = listen {
        match options::parse_listen(&e.value, g.afp_port) {
            Ok(addrs) => g.afp_listen = addrs,
            Err(r) => diags.push(bad_value(e, r)),
        }
    }
}

fn non_empty(v: &str) -> Option<String> {
    (!v.is_empty()).then(|| v.to_owned())
}

fn type_uam_list(e: &RawEntry, g: &mut Global, diags: &mut Vec<Diagnostic>) {
    let mut methods = Vec::new();
    for name in e.value.split([' ', ',', '\t']).filter(|n| !n.is_empty()) {
        match options::uam_by_module(name) {
            Some(UamName::Method(m)) => {
                if !methods.contains(&m) {
                    methods.push(m);
                }
            }
            Some(UamName::Unsupported(why)) => diags.push(Diagnostic::warning(
                e.span.clone(),
                format!("`uam list`: `{name}` is not supported and is left out: {why}"),
            )),
            None => {
                diags.push(bad_value(
                    e,
                    format!("`{name}` is not a netatalk UAM module (uams_guest.so, uams_clrtxt.so, uams_dhx.so, uams_dhx2.so, …)"),
                ));
                return;
            }
        }
    }
    if methods.is_empty() {
        diags.push(bad_value(e, "no usable login method remains (this server offers uams_guest.so, uams_clrtxt.so, uams_dhx.so and uams_dhx2.so)"));
        return;
    }
    g.uam_list = methods;
}

fn parse_cnid_scheme(e: &RawEntry, diags: &mut Vec<Diagnostic>) -> Option<CnidScheme> {
    match e.value.to_ascii_lowercase().as_str() {
        "dbd" | "sqlite" => Some(CnidScheme::Store),
        "cdb" | "tdb" => {
            diags.push(Diagnostic::warning(
                e.span.clone(),
                format!("`cnid scheme = {}` was removed in netatalk 3.2; the built-in CNID store is used", e.value),
            ));
            Some(CnidScheme::Store)
        }
        "mysql" => {
            diags.push(Diagnostic::warning(
                e.span.clone(),
                "`cnid scheme = mysql` is not supported; the built-in CNID store is used",
            ));
            Some(CnidScheme::Store)
        }
        "last" => Some(CnidScheme::Last),
        _ => {
            diags.push(bad_value(e, "expected dbd, sqlite or last"));
            None
        }
    }
}

fn type_volume_option(e: &RawEntry, vo: &mut VolumeOptions, diags: &mut Vec<Diagnostic>) {
    let v = e.value.as_str();
    let mut flag = |target: &mut Option<bool>| match options::parse_bool(v) {
        Ok(b) => *target = Some(b),
        Err(r) => diags.push(bad_value(e, r)),
    };
    match e.key.as_str() {
        "read only" => flag(&mut vo.read_only),
        "time machine" => flag(&mut vo.time_machine),
        "cnid dev" => flag(&mut vo.cnid_dev),
        "unix priv" => flag(&mut vo.unix_priv),
        "case sensitive" => flag(&mut vo.case_sensitive),
        "follow symlinks" => flag(&mut vo.follow_symlinks),
        "invisible dots" => flag(&mut vo.invisible_dots),
        "delete veto files" => flag(&mut vo.delete_veto_files),
        "search db" => flag(&mut vo.search_db),
        "convert appledouble" => flag(&mut vo.convert_appledouble),
        "stat vol" => flag(&mut vo.stat_vol),
        "network ids" => flag(&mut vo.network_ids),
        "acls" => flag(&mut vo.acls),
        "volume name" => match non_empty(v) {
            Some(n) if n.contains(':') => {
                diags.push(bad_value(e, "a volume name must not contain `:`"))
            }
            Some(n) => vo.volume_name = Some(n),
            None => diags.push(bad_value(e, "a volume name must not be empty")),
        },
        "valid users" | "invalid users" | "rolist" | "rwlist" => match options::parse_principals(v)
        {
            Ok(list) => {
                let slot = match e.key.as_str() {
                    "valid users" => &mut vo.valid_users,
                    "invalid users" => &mut vo.invalid_users,
                    "rolist" => &mut vo.rolist,
                    _ => &mut vo.rwlist,
                };
                *slot = Some(list);
            }
            Err(r) => diags.push(bad_value(e, r)),
        },
        "hosts allow" | "hosts deny" => match v.parse::<HostList>() {
            Ok(list) => {
                if e.key == "hosts allow" {
                    vo.hosts_allow = Some(list);
                } else {
                    vo.hosts_deny = Some(list);
                }
            }
            Err(r) => diags.push(bad_value(e, r)),
        },
        "vol size limit" => match options::parse_range(v, 1, u64::from(u32::MAX)) {
            Ok(n) => vo.vol_size_limit_mib = Some(n),
            Err(r) => diags.push(bad_value(e, format!("{r} (MiB)"))),
        },
        "file perm" | "directory perm" | "umask" => match options::parse_octal_mode(v) {
            Ok(m) => match e.key.as_str() {
                "file perm" => vo.file_perm = Some(m),
                "directory perm" => vo.directory_perm = Some(m),
                _ => vo.umask = Some(m),
            },
            Err(r) => diags.push(bad_value(e, r)),
        },
        "ea" => match v.to_ascii_lowercase().as_str() {
            "auto" => vo.ea = Some(EaMode::Auto),
            "sys" => vo.ea = Some(EaMode::Sys),
            "samba" => vo.ea = Some(EaMode::Samba),
            "ad" => vo.ea = Some(EaMode::Ad),
            "none" => vo.ea = Some(EaMode::None),
            _ => diags.push(bad_value(e, "expected sys, samba, ad, none or auto")),
        },
        "casefold" => match v.to_ascii_lowercase().as_str() {
            "tolower" => vo.casefold = Some(Casefold::ToLower),
            "toupper" => vo.casefold = Some(Casefold::ToUpper),
            "xlatelower" => vo.casefold = Some(Casefold::XlateLower),
            "xlateupper" => vo.casefold = Some(Casefold::XlateUpper),
            _ => diags.push(bad_value(
                e,
                "expected tolower, toupper, xlatelower or xlateupper",
            )),
        },
        "cnid scheme" => {
            if let Some(s) = parse_cnid_scheme(e, diags) {
                vo.cnid_scheme = Some(s);
            }
        }
        "vol dbpath" => vo.vol_dbpath = non_empty(v),
        "login message" => vo.login_message = non_empty(v),
        "password" => {
            if v.len() > 8 {
                diags.push(Diagnostic::warning(
                    e.span.clone(),
                    "a volume password is at most 8 bytes on the wire; only the first 8 count",
                ));
            }
            vo.password = non_empty(v);
        }
        "veto files" => {
            if !v.is_empty() && !v.ends_with('/') {
                diags.push(Diagnostic::warning(
                    e.span.clone(),
                    "`veto files` should end with `/` (netatalk ignores an unterminated last name; it is used here)",
                ));
            }
            vo.veto_files = Some(
                v.split('/')
                    .filter(|n| !n.is_empty())
                    .map(str::to_owned)
                    .collect(),
            );
        }
        "volume uuid" => match normalize_uuid(v) {
            Some(u) => vo.volume_uuid = Some(u),
            None => diags.push(bad_value(
                e,
                "expected a UUID like 550E8400-E29B-41D4-A716-446655440000",
            )),
        },
        // Known, supported keys handled by the caller (`path`, `vol preset`, …) never get
        // here; an unexpected one is a bug in the option table, reported rather than lost.
        other => diags.push(Diagnostic::warning(
            e.span.clone(),
            format!("`{other}` is recognised but has no effect here"),
        )),
    }
}

/// Upper-case `8-4-4-4-12` form of a UUID string, if it is one.
pub fn normalize_uuid(s: &str) -> Option<String> {
    let s = s.trim();
    let groups: Vec<&str> = s.split('-').collect();
    let lens = [8, 4, 4, 4, 12];
    if groups.len() != 5
        || groups
            .iter()
            .zip(lens)
            .any(|(g, l)| g.len() != l || !g.chars().all(|c| c.is_ascii_hexdigit()))
    {
        return None;
    }
    Some(s.to_ascii_uppercase())
}

impl VolumeSection {
    /// The volume-name template: `volume name`, else the section name.
    pub fn name_template(&self) -> &str {
        self.options.volume_name.as_deref().unwrap_or(&self.section)
    }
}
