//! Which volumes one user sees from one client address (spec `cnid-and-config.md` §3.2,
//! §3.3, §3.4; netatalk `readvolfile` and `creatvol`).
//!
//! For each volume section in file order (and `[Homes]` at its place):
//!
//! 1. `[Homes]`: skipped for guests and users without a home; the home's real path must
//!    match `basedir regex` (unanchored search, like `regexec`); the volume path is the
//!    real home plus `/path` if `path` is set.
//! 2. Access (options from the section, else its preset): a user in `invalid users`, or
//!    not in an existing `valid users`, does not see the volume; nor does a client in
//!    `hosts deny`, or not in an existing `hosts allow`. Names compare case-insensitively;
//!    `@group` matches the user's primary or supplementary groups.
//! 3. Variables are expanded in the path (no path or volume name known yet), then in the
//!    volume name (`volume name` or the section name; the expanded path is known).
//! 4. The path is resolved with `realpath`; a missing path leaves the volume out.
//! 5. A volume whose real path or name equals an earlier one is left out.
//! 6. Read-only if `read only`, or the user is in `rolist`, or an `rwlist` exists without
//!    the user, or `cnid scheme = last`.
//! 7. `vol dbpath` per §3.4, expanded with the volume name (`/` replaced by `:`).

use std::io;
use std::net::SocketAddr;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use crate::accounts::UserInfo;
use crate::accounts::unix;

use super::vars::{self, VarContext};
use super::{Casefold, CnidScheme, Config, EaMode, Principal, VolumeOptions};

/// A volume as one session sees it, every option resolved to a value.
#[derive(Clone, Debug, PartialEq)]
pub struct ResolvedVolume {
    /// Volume name shown to the client (variables expanded).
    pub name: String,
    /// The section it came from (`Homes` for the home volume).
    pub section: String,
    /// Real path on the server.
    pub path: PathBuf,
    /// Whether this is the user's `[Homes]` volume.
    pub is_home: bool,
    /// Read-only for this user (see the module docs, step 6).
    pub read_only: bool,
    /// `time machine`.
    pub time_machine: bool,
    /// `vol size limit` in MiB.
    pub vol_size_limit_mib: Option<u64>,
    /// `file perm` (0 = none).
    pub file_perm: u32,
    /// `directory perm` (0 = none).
    pub directory_perm: u32,
    /// `umask`; `None` (not set) means netatalk's default, 0: new files 0666, folders 0777.
    pub umask: Option<u32>,
    /// `ea` (default `auto`).
    pub ea: EaMode,
    /// `cnid scheme`.
    pub cnid_scheme: CnidScheme,
    /// Directory of the CNID database (§3.4); the store picks its file names inside.
    pub db_dir: PathBuf,
    /// `cnid dev` (yes).
    pub cnid_dev: bool,
    /// `unix priv` (yes).
    pub unix_priv: bool,
    /// `case sensitive` (yes).
    pub case_sensitive: bool,
    /// `follow symlinks` (no).
    pub follow_symlinks: bool,
    /// `invisible dots` (no).
    pub invisible_dots: bool,
    /// `veto files`.
    pub veto_files: Vec<String>,
    /// `delete veto files` (no).
    pub delete_veto_files: bool,
    /// `search db` (no).
    pub search_db: bool,
    /// `casefold`.
    pub casefold: Option<Casefold>,
    /// `convert appledouble` (yes).
    pub convert_appledouble: bool,
    /// `stat vol` (yes).
    pub stat_vol: bool,
    /// `network ids` (yes).
    pub network_ids: bool,
    /// `acls` (yes).
    pub acls: bool,
    /// `password`: volume password.
    pub password: Option<String>,
    /// `volume uuid`; `None`: take it from `afp_voluuid.conf`.
    pub volume_uuid: Option<String>,
    /// `login message` of the volume.
    pub login_message: Option<String>,
}

/// Why a volume is not in a session's list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SkipReason {
    /// `invalid users` names the user, or `valid users` does not.
    UserNotAllowed,
    /// `hosts deny` matches the client, or `hosts allow` does not.
    HostNotAllowed,
    /// `[Homes]` for a guest session.
    Guest,
    /// `[Homes]` and the user has no home directory.
    NoHome,
    /// `[Homes]` and the user's real home does not match `basedir regex`.
    HomeNotMatched(PathBuf),
    /// The path (or home) cannot be resolved.
    PathUnavailable(PathBuf, String),
    /// Same real path or name as an earlier volume.
    Duplicate(String),
    /// The expanded name is empty or contains `:`.
    BadName(String),
}

/// A volume left out, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// Section name.
    pub section: String,
    /// Why.
    pub reason: SkipReason,
}

/// The outcome of [`Config::volumes_for`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Resolution {
    /// Volumes in configuration order.
    pub volumes: Vec<ResolvedVolume>,
    /// Volumes left out, with the reason (for logs; never shown to the client).
    pub skipped: Vec<Skipped>,
}

/// A volume the server can advertise before anyone logs in (Bonjour `_adisk._tcp`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdvertisedVolume {
    /// Volume name.
    pub name: String,
    /// `time machine`.
    pub time_machine: bool,
    /// `volume uuid`, if configured.
    pub volume_uuid: Option<String>,
}

/// Why a CNID database directory could not be created.
#[derive(Debug, thiserror::Error)]
#[error("cannot create CNID database directory {path}: mkdir {component} failed: {source}")]
pub struct DbDirError {
    /// The directory wanted.
    pub path: PathBuf,
    /// The component whose creation failed.
    pub component: PathBuf,
    /// The system error.
    #[source]
    pub source: io::Error,
}

impl ResolvedVolume {
    /// Create [`ResolvedVolume::db_dir`] and any missing parents (the seed's failure: netatalk
    /// did not create the per-user level of `/var/netatalk/CNID/$u/$v/`). Missing parents are
    /// created with mode 0755, the database directory itself with 0700, owned by the
    /// calling thread's user. Returns the directory.
    pub fn ensure_db_dir(&self) -> Result<PathBuf, DbDirError> {
        create_db_dir(&self.db_dir)
    }
}

/// See [`ResolvedVolume::ensure_db_dir`].
pub fn create_db_dir(dir: &Path) -> Result<PathBuf, DbDirError> {
    let mut missing = Vec::new();
    let mut cur = dir;
    while !cur.as_os_str().is_empty() && !cur.exists() {
        missing.push(cur);
        match cur.parent() {
            Some(p) => cur = p,
            None => break,
        }
    }
    for (i, component) in missing.iter().rev().enumerate() {
        let leaf = i + 1 == missing.len();
        let result = std::fs::DirBuilder::new()
            .mode(if leaf { 0o700 } else { 0o755 })
            .create(component);
        match result {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && component.is_dir() => {}
            Err(source) => {
                return Err(DbDirError {
                    path: dir.to_owned(),
                    component: component.to_path_buf(),
                    source,
                });
            }
        }
    }
    if !dir.is_dir() {
        return Err(DbDirError {
            path: dir.to_owned(),
            component: dir.to_owned(),
            source: io::Error::new(
                io::ErrorKind::NotADirectory,
                "exists but is not a directory",
            ),
        });
    }
    Ok(dir.to_owned())
}

impl Config {
    /// The volumes `user` may see when connecting from `client` (see the module docs).
    pub fn volumes_for(&self, user: &UserInfo, client: SocketAddr) -> Resolution {
        let mut res = Resolution::default();
        let homes_at = self.homes.as_ref().map(|h| h.position);
        for i in 0..=self.volumes.len() {
            if homes_at == Some(i) {
                self.resolve_homes(user, client, &mut res);
            }
            if let Some(v) = self.volumes.get(i) {
                let opts = v.options.or(&self.preset_for(v.preset.as_deref()));
                let candidate = Candidate {
                    section: &v.section,
                    path_template: v.path.clone(),
                    name_template: v.name_template().to_owned(),
                    options: opts,
                    is_home: false,
                };
                self.resolve_one(candidate, user, client, &mut res);
            }
        }
        res
    }

    /// Volumes whose name needs no session (no `$u`, `$c`, …), for Bonjour.
    pub fn advertised_volumes(&self) -> Vec<AdvertisedVolume> {
        self.volumes
            .iter()
            .filter(|v| !vars::uses_session_variables(v.name_template()))
            .map(|v| {
                let opts = v.options.or(&self.preset_for(v.preset.as_deref()));
                let ctx = VarContext {
                    host_name: Some(&self.host_name),
                    server_name: self.global.server_name.as_deref(),
                    ..VarContext::default()
                };
                AdvertisedVolume {
                    name: vars::expand(v.name_template(), &ctx),
                    time_machine: opts.time_machine.unwrap_or(false),
                    volume_uuid: opts.volume_uuid,
                }
            })
            .collect()
    }

    fn resolve_homes(&self, user: &UserInfo, client: SocketAddr, res: &mut Resolution) {
        let Some(homes) = &self.homes else { return };
        let skip = |res: &mut Resolution, reason| {
            res.skipped.push(Skipped {
                section: "Homes".to_owned(),
                reason,
            })
        };
        if user.is_guest {
            return skip(res, SkipReason::Guest);
        }
        let Some(home) = &user.home else {
            return skip(res, SkipReason::NoHome);
        };
        if home.as_os_str().is_empty() {
            return skip(res, SkipReason::NoHome);
        }
        let real = match std::fs::canonicalize(home) {
            Ok(p) => p,
            Err(e) => {
                return skip(
                    res,
                    SkipReason::PathUnavailable(home.clone(), e.to_string()),
                );
            }
        };
        if !homes.basedir_regex.is_match(&real.to_string_lossy()) {
            return skip(res, SkipReason::HomeNotMatched(real));
        }
        let mut path = real.to_string_lossy().into_owned();
        if let Some(sub) = &homes.path {
            path.push('/');
            path.push_str(sub);
        }
        let options = homes.options.or(&self.preset_for(homes.preset.as_deref()));
        let candidate = Candidate {
            section: "Homes",
            path_template: path,
            name_template: homes.home_name.clone(),
            options,
            is_home: true,
        };
        self.resolve_one(candidate, user, client, res);
    }

    fn var_context<'a>(&'a self, user: &'a UserInfo, client: SocketAddr) -> VarContext<'a> {
        VarContext {
            user: Some(&user.name),
            full_name: Some(&user.full_name),
            group: user.group_name.as_deref(),
            host_name: Some(&self.host_name),
            server_name: self.global.server_name.as_deref(),
            client: Some(client),
            path: None,
            volume_name: None,
        }
    }

    fn resolve_one(
        &self,
        c: Candidate<'_>,
        user: &UserInfo,
        client: SocketAddr,
        res: &mut Resolution,
    ) {
        let skip = |res: &mut Resolution, reason| {
            res.skipped.push(Skipped {
                section: c.section.to_owned(),
                reason,
            })
        };
        let o = &c.options;
        // Access first: it needs no file system.
        if o.invalid_users.as_ref().is_some_and(|l| in_list(l, user))
            || o.valid_users.as_ref().is_some_and(|l| !in_list(l, user))
        {
            return skip(res, SkipReason::UserNotAllowed);
        }
        if o.hosts_deny
            .as_ref()
            .is_some_and(|l| l.matches(client.ip()))
            || o.hosts_allow
                .as_ref()
                .is_some_and(|l| !l.matches(client.ip()))
        {
            return skip(res, SkipReason::HostNotAllowed);
        }

        let ctx = self.var_context(user, client);
        let expanded_path = vars::expand(&c.path_template, &ctx);
        let name = vars::expand(
            &c.name_template,
            &VarContext {
                path: Some(&expanded_path),
                ..ctx.clone()
            },
        );
        if name.is_empty() || name.contains(':') {
            return skip(res, SkipReason::BadName(name));
        }
        let real = match std::fs::canonicalize(&expanded_path) {
            Ok(p) => p,
            Err(e) => {
                return skip(
                    res,
                    SkipReason::PathUnavailable(PathBuf::from(&expanded_path), e.to_string()),
                );
            }
        };
        if let Some(prev) = res
            .volumes
            .iter()
            .find(|v| v.path == real || v.name == name)
        {
            return skip(res, SkipReason::Duplicate(prev.name.clone()));
        }

        let cnid_scheme = o
            .cnid_scheme
            .or(self.global.cnid_scheme)
            .unwrap_or(CnidScheme::Store);
        let read_only = o.read_only.unwrap_or(false)
            || o.rolist.as_ref().is_some_and(|l| in_list(l, user))
            || o.rwlist.as_ref().is_some_and(|l| !in_list(l, user))
            || cnid_scheme == CnidScheme::Last;
        let db_dir = self.db_dir(o, &real, &name, &ctx);

        res.volumes.push(ResolvedVolume {
            name,
            section: c.section.to_owned(),
            path: real,
            is_home: c.is_home,
            read_only,
            time_machine: o.time_machine.unwrap_or(false),
            vol_size_limit_mib: o.vol_size_limit_mib,
            file_perm: o.file_perm.unwrap_or(0),
            directory_perm: o.directory_perm.unwrap_or(0),
            umask: o.umask,
            ea: o.ea.unwrap_or(EaMode::Auto),
            cnid_scheme,
            db_dir,
            cnid_dev: o.cnid_dev.unwrap_or(true),
            unix_priv: o.unix_priv.unwrap_or(true),
            case_sensitive: o.case_sensitive.unwrap_or(true),
            follow_symlinks: o.follow_symlinks.unwrap_or(false),
            invisible_dots: o.invisible_dots.unwrap_or(false),
            veto_files: o.veto_files.clone().unwrap_or_default(),
            delete_veto_files: o.delete_veto_files.unwrap_or(false),
            search_db: o.search_db.unwrap_or(false),
            casefold: o.casefold,
            convert_appledouble: o.convert_appledouble.unwrap_or(true),
            stat_vol: o.stat_vol.unwrap_or(true),
            network_ids: o.network_ids.unwrap_or(true),
            acls: o.acls.unwrap_or(true),
            password: o.password.clone(),
            volume_uuid: o.volume_uuid.clone(),
            login_message: o.login_message.clone(),
        });
    }

    /// §3.4: where the CNID database of this volume lives.
    fn db_dir(
        &self,
        o: &VolumeOptions,
        real_path: &Path,
        name: &str,
        ctx: &VarContext<'_>,
    ) -> PathBuf {
        // 1. `vol dbnest`: inside the volume.
        if self.global.vol_dbnest {
            return real_path.to_owned();
        }
        // The name with '/' replaced by ':' (netatalk's tmpname).
        let db_name = name.replace('/', ":");
        let template = match (&o.vol_dbpath, &self.global.vol_dbpath) {
            // 2. Set in the volume (or its preset): verbatim.
            (Some(v), _) => v.clone(),
            // 3a. Global without variables: `<global>/<volume name>/`.
            (None, Some(g)) if !g.contains('$') => format!("{g}/{db_name}/"),
            // 3b. Global with variables: verbatim.
            (None, Some(g)) => g.clone(),
            // 4. Default: `<state dir>/CNID/<volume name>/`.
            (None, None) => format!("{}/CNID/{db_name}/", self.state_dir.display()),
        };
        // 5. Expand with the volume name known, the path not.
        let expanded = vars::expand(
            &template,
            &VarContext {
                volume_name: Some(&db_name),
                path: None,
                ..ctx.clone()
            },
        );
        PathBuf::from(expanded)
    }
}

struct Candidate<'a> {
    section: &'a str,
    path_template: String,
    name_template: String,
    options: VolumeOptions,
    is_home: bool,
}

/// Whether `user` is named in `list` (user names case-insensitively, `@group` by gid).
fn in_list(list: &[Principal], user: &UserInfo) -> bool {
    list.iter().any(|p| match p {
        Principal::User(name) => name.eq_ignore_ascii_case(&user.name),
        Principal::Group(group) => {
            user.system_account
                && unix::group_id(group)
                    .ok()
                    .flatten()
                    .is_some_and(|gid| user.gid == gid || user.groups.contains(&gid))
        }
    })
}
