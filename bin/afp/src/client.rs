//! A logged-in AFP session: login method and version choice, volumes, and the catalog
//! calls the CLI needs (spec `afp-dsi.md` §5.1 to §5.5, §5.9, §6).

use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use rand::SeedableRng;
use rand::rngs::StdRng;

use afp_proto::command::{
    self, AccessMode, EnumerateExt, EnumerateExt2, ExtAttrBitmap, Reply, Request,
};
use afp_proto::name::{decompose, precompose};
use afp_proto::params::{
    AccessRights, DirBitmap, DirParams, FileBitmap, FileDirParams, FileParams, FinderInfo,
    UnixPrivs, VolumeAttributes, VolumeBitmap, VolumeParams,
};
use afp_proto::path::{AfpName, Path};
use afp_proto::status::ServerStatus;
use afp_proto::uam::{ClientError, ClientLogin, ClientStep, LoginForm, Password, Uam};
use afp_proto::{AfpDate, AfpVersion, ResultCode};

use crate::conn::{self, ConnectOptions, Connection, RawReply};
use crate::error::{Error, LoginError, Result};
use crate::fork::{Fork, ForkKind};

/// Directory ID of a volume's root directory.
pub const ROOT_DID: u32 = 2;

/// How to log in.
#[derive(Debug, Default, Clone)]
pub struct LoginOptions {
    /// The user name (`None` with `guest`).
    pub user: Option<String>,
    /// The password (ignored for guest).
    pub password: Option<Password>,
    /// Log in as guest (No User Authent).
    pub guest: bool,
    /// Allow Cleartxt Passwrd (the password crosses the network unencrypted).
    pub allow_cleartext: bool,
    /// A method asked for by name (`;AUTH=` in the URL, or `--auth`).
    pub method: Option<String>,
}

/// The AFP versions this client speaks, best first (it needs UTF-8 names and 64-bit
/// reads and writes, so AFP 3.x only).
pub const VERSIONS: [AfpVersion; 5] = [
    AfpVersion::V3_4,
    AfpVersion::V3_3,
    AfpVersion::V3_2,
    AfpVersion::V3_1,
    AfpVersion::V3_0,
];

fn strings(v: &[Bytes]) -> Vec<String> {
    v.iter()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect()
}

/// The best AFP version both sides speak.
pub fn choose_version(status: &ServerStatus) -> Result<AfpVersion, LoginError> {
    VERSIONS
        .into_iter()
        .find(|v| {
            status
                .afp_versions
                .iter()
                .any(|o| AfpVersion::from_wire(o) == Some(*v))
        })
        .ok_or_else(|| LoginError::NoCommonVersion(strings(&status.afp_versions)))
}

/// The login method: the one asked for, else the strongest both sides support (DHX2,
/// then DHCAST128; Cleartxt Passwrd only when allowed).
pub fn choose_method(status: &ServerStatus, options: &LoginOptions) -> Result<Uam, LoginError> {
    let offered: Vec<Uam> = status
        .uams
        .iter()
        .filter_map(|u| Uam::from_wire_name(u))
        .collect();
    if options.guest {
        return if offered.contains(&Uam::NoUserAuthent) {
            Ok(Uam::NoUserAuthent)
        } else {
            Err(LoginError::GuestNotOffered)
        };
    }
    let cleartext_offered = offered.contains(&Uam::CleartxtPasswrd);
    let no_method = || LoginError::NoCommonMethod {
        offered: strings(&status.uams),
        cleartext_offered,
    };
    if let Some(name) = &options.method {
        let uam = parse_method(name).ok_or_else(no_method)?;
        if !offered.contains(&uam) || !uam.is_implemented() {
            return Err(no_method());
        }
        if uam == Uam::CleartxtPasswrd && !options.allow_cleartext {
            return Err(no_method());
        }
        return Ok(uam);
    }
    let mut preference = vec![Uam::Dhx2, Uam::Dhcast128];
    if options.allow_cleartext {
        preference.push(Uam::CleartxtPasswrd);
    }
    preference
        .into_iter()
        .find(|u| offered.contains(u))
        .ok_or_else(no_method)
}

/// A login method by its wire name (`DHX2`, `Cleartxt Passwrd`, any case) or a short
/// alias: `dhx2`, `dhcast128` (also `dhx`), `cleartext` (also `clrtxt`), `guest`.
pub fn parse_method(name: &str) -> Option<Uam> {
    if let Some(u) = Uam::from_wire_name(name.as_bytes()) {
        return Some(u);
    }
    match name.to_ascii_lowercase().as_str() {
        "dhx2" => Some(Uam::Dhx2),
        "dhcast128" | "dhx" => Some(Uam::Dhcast128),
        "cleartext" | "cleartxt" | "clrtxt" => Some(Uam::CleartxtPasswrd),
        "guest" | "none" => Some(Uam::NoUserAuthent),
        _ => None,
    }
}

/// A volume in the FPGetSrvrParms list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeInfo {
    /// The name (precomposed).
    pub name: String,
    /// The volume has a password.
    pub has_password: bool,
    /// The volume has UNIX privileges.
    pub unix_privs: bool,
}

/// A logged-in AFP session (a cheap handle: clone it to share the connection).
#[derive(Clone, Debug)]
pub struct Client {
    conn: Connection,
    version: AfpVersion,
    status: ServerStatus,
    method: Uam,
    user: Option<String>,
}

impl Client {
    /// Asks for the server status, connects, opens a DSI session and logs in.
    pub async fn login(
        addr: &str,
        options: LoginOptions,
        connect: &ConnectOptions,
    ) -> Result<Client> {
        let (_, status) = conn::get_status(addr, connect.timeout).await?;
        Client::login_with_status(addr, status, options, connect).await
    }

    /// As [`Client::login`], with a status block fetched earlier.
    pub async fn login_with_status(
        addr: &str,
        status: ServerStatus,
        mut options: LoginOptions,
        connect: &ConnectOptions,
    ) -> Result<Client> {
        let version = choose_version(&status)?;
        let method = choose_method(&status, &options)?;
        let conn = Connection::connect(addr, connect).await?;
        let user = if method == Uam::NoUserAuthent {
            None
        } else {
            Some(options.user.clone().ok_or(LoginError::NoUser)?)
        };
        let password = options
            .password
            .take()
            .unwrap_or_else(|| Password::new(Vec::new()));
        let mut rng = StdRng::from_os_rng();
        let version_str = Bytes::from_static(version.as_str().as_bytes());
        let uam_name = Bytes::from_static(method.wire_name().as_bytes());
        let user_bytes = user.clone().unwrap_or_default().into_bytes();
        // Guest logs in with FPLogin (no user name); everyone else with FPLoginExt, whose
        // user name is UTF-8.
        let form = if method == Uam::NoUserAuthent {
            LoginForm::Login {
                auth_offset: command::Login {
                    version: version_str.clone(),
                    uam: uam_name.clone(),
                    user_auth_info: Bytes::new(),
                }
                .user_auth_info_offset(),
            }
        } else {
            LoginForm::LoginExt
        };
        let (mut login, auth) = ClientLogin::start(method, &user_bytes, password, form, &mut rng)
            .map_err(client_err)?;
        let request: Request = match form {
            LoginForm::Login { .. } => command::Login {
                version: version_str,
                uam: uam_name,
                user_auth_info: auth,
            }
            .into(),
            LoginForm::LoginExt => command::LoginExt {
                flags: 0,
                version: version_str,
                uam: uam_name,
                user_name: Bytes::from(user_bytes.clone()),
                dir_service: (3, Bytes::new()),
                user_auth_info: auth,
            }
            .into(),
        };
        let mut reply = conn.call(encode(&request)).await?;
        loop {
            match login.handle_reply(reply.result, &reply.payload, &mut rng) {
                Ok(ClientStep::Done { password_expired }) => {
                    if password_expired {
                        return Err(LoginError::Refused(ResultCode::PWD_EXPIRED_ERR).into());
                    }
                    break;
                }
                Ok(step @ ClientStep::Send { .. }) => {
                    let Some(cont) = step.to_login_cont() else {
                        break;
                    };
                    reply = conn.call(encode(&cont.into())).await?;
                }
                Err(ClientError::Server(code)) => {
                    conn.close().await;
                    return Err(LoginError::Refused(code).into());
                }
                Err(e) => {
                    conn.close().await;
                    return Err(client_err(e).into());
                }
            }
        }
        Ok(Client {
            conn,
            version,
            status,
            method,
            user,
        })
    }

    /// The DSI connection.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The AFP version of the session.
    pub fn version(&self) -> AfpVersion {
        self.version
    }

    /// The server status block read before logging in.
    pub fn status(&self) -> &ServerStatus {
        &self.status
    }

    /// The login method used.
    pub fn method(&self) -> Uam {
        self.method
    }

    /// The user logged in as (`None` for guest).
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// Sends `request`, returns the raw reply whatever its result code.
    pub async fn call_raw(&self, request: &Request) -> Result<RawReply> {
        self.conn.call(encode(request)).await
    }

    /// Sends `request` and decodes its reply; an AFP error becomes [`Error::Afp`] with
    /// `op` as its description.
    pub async fn call(&self, op: impl FnOnce() -> String, request: Request) -> Result<Reply> {
        let code = request.code();
        let ctx = request.reply_context(self.version);
        let raw = self.conn.call(encode(&request)).await?;
        if !raw.result.is_ok() {
            return Err(Error::afp(op(), raw.result));
        }
        Reply::decode(code, &raw.payload, ctx)
            .map_err(|e| Error::Protocol(format!("{}: bad reply: {e}", op())))
    }

    /// The volumes this user may open (FPGetSrvrParms).
    pub async fn volumes(&self) -> Result<Vec<VolumeInfo>> {
        let reply = self
            .call(|| "list volumes".into(), command::GetSrvrParms.into())
            .await?;
        let Reply::GetSrvrParms(parms) = reply else {
            return Err(unexpected("FPGetSrvrParms"));
        };
        Ok(parms
            .volumes
            .iter()
            .map(|v| VolumeInfo {
                name: precompose(&String::from_utf8_lossy(&v.name)),
                has_password: v.flags & command::VolumeEntry::HAS_PASSWORD != 0,
                unix_privs: v.flags & command::VolumeEntry::HAS_UNIX_PRIVS != 0,
            })
            .collect())
    }

    /// Opens volume `name` (FPOpenVol). An unknown name fails with the list of volumes
    /// the user may open.
    pub async fn open_volume(&self, name: &str) -> Result<Volume> {
        let request = command::OpenVol {
            bitmap: VolumeBitmap::ATTRIBUTES | VolumeBitmap::VOLUME_ID | VolumeBitmap::NAME,
            name: Bytes::from(decompose(name).into_bytes()),
            password: None,
        };
        let reply = match self
            .call(|| format!("open volume `{name}`"), request.into())
            .await
        {
            Ok(r) => r,
            Err(Error::Afp { code, .. }) if code == ResultCode::OBJECT_NOT_FOUND => {
                let known = match self.volumes().await {
                    Ok(v) if v.is_empty() => " (this user may open none)".to_owned(),
                    Ok(v) => format!(
                        " (volumes this user may open: {})",
                        v.iter()
                            .map(|v| v.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    Err(_) => String::new(),
                };
                return Err(Error::afp(format!("no volume `{name}`{known}"), code));
            }
            Err(e) => return Err(e),
        };
        let Reply::OpenVol(params) = reply else {
            return Err(unexpected("FPOpenVol"));
        };
        let id = params
            .volume_id
            .ok_or_else(|| Error::Protocol("FPOpenVol reply without a volume ID".into()))?;
        Ok(Volume {
            client: self.clone(),
            id,
            name: name.to_owned(),
            attributes: params.attributes.unwrap_or_default(),
        })
    }

    /// Logs out (FPLogout) and closes the DSI session.
    pub async fn logout(&self) -> Result<()> {
        let r = self.call_raw(&command::Logout.into()).await;
        self.conn.close().await;
        r.map(|_| ())
    }
}

fn client_err(e: ClientError) -> LoginError {
    match e {
        ClientError::Server(code) => LoginError::Refused(code),
        other => LoginError::Client(other),
    }
}

pub(crate) fn unexpected(what: &str) -> Error {
    Error::Protocol(format!("unexpected reply type to {what}"))
}

/// Encodes a request block.
pub fn encode(request: &Request) -> Bytes {
    let mut b = BytesMut::new();
    request.encode(&mut b);
    b.freeze()
}

/// A type-3 (UTF-8) path from local-form components: `:` becomes `/` (the Mac's form of a
/// name with a colon), names are decomposed, elements are separated by NUL.
pub fn afp_path(components: &[String]) -> Path {
    let mut name = Vec::new();
    for (i, c) in components.iter().enumerate() {
        if i > 0 {
            name.push(0);
        }
        name.extend_from_slice(decompose(&c.replace(':', "/")).as_bytes());
    }
    Path::utf8(Bytes::from(name))
}

/// A name from the server in local form: precomposed, `/` shown as `:`.
pub fn local_name(name: &[u8]) -> String {
    precompose(&String::from_utf8_lossy(name)).replace('/', ":")
}

/// File or directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A file.
    File,
    /// A directory.
    Dir,
}

/// A file or directory as the server describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Name in local form (precomposed, `/` shown as `:`).
    pub name: String,
    /// File or directory.
    pub kind: Kind,
    /// CNID: the file ID or directory ID.
    pub node_id: u32,
    /// The parent directory's ID.
    pub parent_id: u32,
    /// Data fork length (0 for directories).
    pub data_len: u64,
    /// Resource fork length (0 for directories).
    pub rsrc_len: u64,
    /// Offspring count (directories).
    pub offspring: Option<u16>,
    /// Creation date.
    pub created: Option<SystemTime>,
    /// Modification date.
    pub modified: Option<SystemTime>,
    /// Backup date.
    pub backup: Option<SystemTime>,
    /// Finder info.
    pub finder_info: Option<FinderInfo>,
    /// File or directory attributes (raw bits).
    pub attributes: u16,
    /// UNIX owner, group and mode.
    pub unix: Option<UnixPrivs>,
    /// The user's access rights (directories).
    pub access: Option<AccessRights>,
}

fn time(d: Option<AfpDate>) -> Option<SystemTime> {
    d.filter(|d| !d.is_never())
        .and_then(AfpDate::to_system_time)
}

impl Entry {
    /// An entry from a parameter record.
    pub fn from_params(p: &FileDirParams) -> Entry {
        match p {
            FileDirParams::File(f) => Entry {
                name: f
                    .utf8_name
                    .as_ref()
                    .map(|n| local_name(&n.name))
                    .or_else(|| f.long_name.as_ref().map(|n| local_name(n)))
                    .unwrap_or_default(),
                kind: Kind::File,
                node_id: f.node_id.unwrap_or(0),
                parent_id: f.parent_id.unwrap_or(0),
                data_len: f
                    .ext_data_fork_len
                    .or(f.data_fork_len.map(u64::from))
                    .unwrap_or(0),
                rsrc_len: f
                    .ext_rsrc_fork_len
                    .or(f.rsrc_fork_len.map(u64::from))
                    .unwrap_or(0),
                offspring: None,
                created: time(f.create_date),
                modified: time(f.mod_date),
                backup: time(f.backup_date),
                finder_info: f.finder_info,
                attributes: f.attributes.map(|a| a.bits()).unwrap_or(0),
                unix: f.unix_privs,
                access: None,
            },
            FileDirParams::Dir(d) => Entry {
                name: d
                    .utf8_name
                    .as_ref()
                    .map(|n| local_name(&n.name))
                    .or_else(|| d.long_name.as_ref().map(|n| local_name(n)))
                    .unwrap_or_default(),
                kind: Kind::Dir,
                node_id: d.node_id.unwrap_or(0),
                parent_id: d.parent_id.unwrap_or(0),
                data_len: 0,
                rsrc_len: 0,
                offspring: d.offspring_count,
                created: time(d.create_date),
                modified: time(d.mod_date),
                backup: time(d.backup_date),
                finder_info: d.finder_info,
                attributes: d.attributes.map(|a| a.bits()).unwrap_or(0),
                unix: d.unix_privs,
                access: d.access_rights,
            },
        }
    }

    /// True for a directory.
    pub fn is_dir(&self) -> bool {
        self.kind == Kind::Dir
    }
}

/// An open volume.
#[derive(Clone, Debug)]
pub struct Volume {
    client: Client,
    id: u16,
    name: String,
    attributes: VolumeAttributes,
}

/// Entries asked for per FPEnumerateExt2.
const ENUM_COUNT: u16 = 512;
/// MaxReplySize of FPEnumerateExt2.
const ENUM_REPLY: u32 = 128 * 1024;

impl Volume {
    /// The session.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The volume ID.
    pub fn id(&self) -> u16 {
        self.id
    }

    /// The name it was opened with.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Volume attributes from FPOpenVol.
    pub fn attributes(&self) -> VolumeAttributes {
        self.attributes
    }

    fn file_bitmap(&self) -> FileBitmap {
        let mut b = FileBitmap::ATTRIBUTES
            | FileBitmap::PARENT_DIR_ID
            | FileBitmap::CREATE_DATE
            | FileBitmap::MOD_DATE
            | FileBitmap::BACKUP_DATE
            | FileBitmap::FINDER_INFO
            | FileBitmap::NODE_ID
            | FileBitmap::EXT_DATA_FORK_LEN
            | FileBitmap::UTF8_NAME
            | FileBitmap::EXT_RSRC_FORK_LEN;
        if self
            .attributes
            .contains(VolumeAttributes::SUPPORTS_UNIX_PRIVS)
        {
            b |= FileBitmap::UNIX_PRIVS;
        }
        b
    }

    fn dir_bitmap(&self) -> DirBitmap {
        let mut b = DirBitmap::ATTRIBUTES
            | DirBitmap::PARENT_DIR_ID
            | DirBitmap::CREATE_DATE
            | DirBitmap::MOD_DATE
            | DirBitmap::BACKUP_DATE
            | DirBitmap::FINDER_INFO
            | DirBitmap::NODE_ID
            | DirBitmap::OFFSPRING_COUNT
            | DirBitmap::ACCESS_RIGHTS
            | DirBitmap::UTF8_NAME;
        if self
            .attributes
            .contains(VolumeAttributes::SUPPORTS_UNIX_PRIVS)
        {
            b |= DirBitmap::UNIX_PRIVS;
        }
        b
    }

    /// Volume parameters (sizes, dates) from FPGetVolParms.
    pub async fn params(&self) -> Result<VolumeParams> {
        let request = command::GetVolParms {
            volume_id: self.id,
            bitmap: VolumeBitmap::ATTRIBUTES
                | VolumeBitmap::CREATE_DATE
                | VolumeBitmap::MOD_DATE
                | VolumeBitmap::BACKUP_DATE
                | VolumeBitmap::VOLUME_ID
                | VolumeBitmap::EXT_BYTES_FREE
                | VolumeBitmap::EXT_BYTES_TOTAL
                | VolumeBitmap::NAME
                | VolumeBitmap::BLOCK_SIZE,
        };
        match self
            .client
            .call(
                || format!("volume parameters of `{}`", self.name),
                request.into(),
            )
            .await?
        {
            Reply::GetVolParms(p) => Ok(p),
            _ => Err(unexpected("FPGetVolParms")),
        }
    }

    /// Parameters of the object at `path` below directory `did` (FPGetFileDirParms).
    pub async fn stat(&self, did: u32, path: &[String]) -> Result<Entry> {
        let request = command::GetFileDirParms {
            volume_id: self.id,
            dir_id: did,
            file_bitmap: self.file_bitmap(),
            dir_bitmap: self.dir_bitmap(),
            path: afp_path(path),
        };
        match self
            .client
            .call(|| format!("stat {}", show(path)), request.into())
            .await?
        {
            Reply::GetFileDirParms(r) => {
                let mut e = Entry::from_params(&r.params);
                if e.name.is_empty() {
                    e.name = path.last().cloned().unwrap_or_else(|| self.name.clone());
                }
                Ok(e)
            }
            _ => Err(unexpected("FPGetFileDirParms")),
        }
    }

    /// The entries of the directory at `path` below `did` (FPEnumerateExt2, paged until
    /// the server answers kFPObjectNotFound; duplicates from a changing directory are
    /// dropped).
    pub async fn list(&self, did: u32, path: &[String]) -> Result<Vec<Entry>> {
        let mut out: Vec<Entry> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut start: u32 = 1;
        let mut ext2 = true;
        loop {
            let request: Request = if ext2 {
                EnumerateExt2 {
                    volume_id: self.id,
                    dir_id: did,
                    file_bitmap: self.file_bitmap(),
                    dir_bitmap: self.dir_bitmap(),
                    req_count: ENUM_COUNT,
                    start_index: start,
                    max_reply_size: ENUM_REPLY,
                    path: afp_path(path),
                }
                .into()
            } else {
                EnumerateExt {
                    volume_id: self.id,
                    dir_id: did,
                    file_bitmap: self.file_bitmap(),
                    dir_bitmap: self.dir_bitmap(),
                    req_count: ENUM_COUNT,
                    start_index: u16::try_from(start).unwrap_or(u16::MAX),
                    max_reply_size: u16::MAX,
                    path: afp_path(path),
                }
                .into()
            };
            let code = request.code();
            let raw = self.client.call_raw(&request).await?;
            if raw.result == ResultCode::OBJECT_NOT_FOUND {
                break;
            }
            if raw.result == ResultCode::CALL_NOT_SUPPORTED && ext2 {
                ext2 = false;
                continue;
            }
            if !raw.result.is_ok() {
                return Err(Error::afp(format!("list {}", show(path)), raw.result));
            }
            let ctx = command::ReplyContext::new(self.client.version);
            let reply = Reply::decode(code, &raw.payload, ctx)
                .map_err(|e| Error::Protocol(format!("enumerate reply: {e}")))?;
            let entries = match reply {
                Reply::EnumerateExt2(r) | Reply::EnumerateExt(r) => r.entries,
                _ => return Err(unexpected("FPEnumerateExt2")),
            };
            if entries.is_empty() {
                break;
            }
            let n = u32::try_from(entries.len()).unwrap_or(u32::MAX);
            for p in &entries {
                let e = Entry::from_params(p);
                if seen.insert((e.node_id, e.name.clone())) {
                    out.push(e);
                }
            }
            start = start.saturating_add(n);
            if !ext2 && start > u32::from(u16::MAX) {
                break;
            }
        }
        Ok(out)
    }

    /// Creates a directory (FPCreateDir); returns its ID.
    pub async fn create_dir(&self, did: u32, path: &[String]) -> Result<u32> {
        let request = command::CreateDir {
            volume_id: self.id,
            dir_id: did,
            path: afp_path(path),
        };
        match self
            .client
            .call(
                || format!("create directory {}", show(path)),
                request.into(),
            )
            .await?
        {
            Reply::CreateDir { dir_id } => Ok(dir_id),
            _ => Err(unexpected("FPCreateDir")),
        }
    }

    /// Creates an empty file (FPCreateFile); `hard` replaces an existing one.
    pub async fn create_file(&self, did: u32, path: &[String], hard: bool) -> Result<()> {
        let request = command::CreateFile {
            hard_create: hard,
            volume_id: self.id,
            dir_id: did,
            path: afp_path(path),
        };
        self.client
            .call(|| format!("create {}", show(path)), request.into())
            .await
            .map(|_| ())
    }

    /// Deletes a file or an empty directory (FPDelete).
    pub async fn delete(&self, did: u32, path: &[String]) -> Result<()> {
        let request = command::Delete {
            volume_id: self.id,
            dir_id: did,
            path: afp_path(path),
        };
        self.client
            .call(|| format!("remove {}", show(path)), request.into())
            .await
            .map(|_| ())
    }

    /// Moves `src` into the directory `dst_dir`, optionally renaming it
    /// (FPMoveAndRename).
    pub async fn move_and_rename(
        &self,
        src: &[String],
        dst_dir: &[String],
        new_name: Option<&str>,
    ) -> Result<()> {
        let request = command::MoveAndRename {
            volume_id: self.id,
            src_dir_id: ROOT_DID,
            dst_dir_id: ROOT_DID,
            src_path: afp_path(src),
            dst_path: afp_path(dst_dir),
            new_name: afp_path(&new_name.map(|n| vec![n.to_owned()]).unwrap_or_default()),
        };
        self.client
            .call(
                || format!("move {} to {}", show(src), show(dst_dir)),
                request.into(),
            )
            .await
            .map(|_| ())
    }

    /// Sets a file's modification date and, if given, its Finder info (FPSetFileParms).
    pub async fn set_file_params(
        &self,
        did: u32,
        path: &[String],
        modified: Option<SystemTime>,
        finder_info: Option<FinderInfo>,
    ) -> Result<()> {
        let params = FileParams {
            mod_date: modified.map(AfpDate::from_system_time),
            finder_info,
            ..FileParams::default()
        };
        if params.bitmap().is_empty() {
            return Ok(());
        }
        let request = command::SetFileParms::new(self.id, did, afp_path(path), &params);
        self.client
            .call(
                || format!("set parameters of {}", show(path)),
                request.into(),
            )
            .await
            .map(|_| ())
    }

    /// Sets a directory's modification date (FPSetDirParms).
    pub async fn set_dir_modified(
        &self,
        did: u32,
        path: &[String],
        modified: SystemTime,
    ) -> Result<()> {
        let params = DirParams {
            mod_date: Some(AfpDate::from_system_time(modified)),
            ..DirParams::default()
        };
        let request = command::SetDirParms::new(self.id, did, afp_path(path), &params);
        self.client
            .call(
                || format!("set parameters of {}", show(path)),
                request.into(),
            )
            .await
            .map(|_| ())
    }

    /// Opens a fork of the file at `path` below `did` (FPOpenFork); the reply's fork
    /// length is in [`Fork::len_at_open`].
    pub async fn open_fork(
        &self,
        did: u32,
        path: &[String],
        kind: ForkKind,
        mode: AccessMode,
    ) -> Result<Fork> {
        let bitmap = match kind {
            ForkKind::Data => FileBitmap::EXT_DATA_FORK_LEN,
            ForkKind::Resource => FileBitmap::EXT_RSRC_FORK_LEN,
        };
        let request = command::OpenFork {
            resource: kind == ForkKind::Resource,
            volume_id: self.id,
            dir_id: did,
            bitmap,
            access_mode: mode,
            path: afp_path(path),
        };
        let what = match kind {
            ForkKind::Data => "open",
            ForkKind::Resource => "open the resource fork of",
        };
        match self
            .client
            .call(|| format!("{what} {}", show(path)), request.into())
            .await?
        {
            Reply::OpenFork(r) => {
                let len = match kind {
                    ForkKind::Data => r.params.ext_data_fork_len,
                    ForkKind::Resource => r.params.ext_rsrc_fork_len,
                };
                Ok(Fork::new(self.clone(), r.fork, kind, len.unwrap_or(0)))
            }
            _ => Err(unexpected("FPOpenFork")),
        }
    }

    /// The names of the extended attributes of the object at `path` (FPListExtAttrs).
    pub async fn list_xattrs(&self, did: u32, path: &[String]) -> Result<Vec<String>> {
        let request = command::ListExtAttrs {
            volume_id: self.id,
            dir_id: did,
            bitmap: ExtAttrBitmap::NO_FOLLOW,
            req_count: 0,
            start_index: 0,
            max_reply_size: 256 * 1024,
            path: afp_path(path),
        };
        match self
            .client
            .call(
                || format!("list extended attributes of {}", show(path)),
                request.into(),
            )
            .await?
        {
            Reply::ListExtAttrs(l) => Ok(l
                .iter()
                .filter(|n| !n.is_empty())
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .collect()),
            _ => Err(unexpected("FPListExtAttrs")),
        }
    }

    /// The value of extended attribute `name` (FPGetExtAttr).
    pub async fn get_xattr(&self, did: u32, path: &[String], name: &str) -> Result<Bytes> {
        let request = command::GetExtAttr {
            volume_id: self.id,
            dir_id: did,
            bitmap: ExtAttrBitmap::NO_FOLLOW,
            offset: 0,
            req_count: -1,
            max_reply_size: 1 << 20,
            path: afp_path(path),
            name: Bytes::from(name.as_bytes().to_vec()),
        };
        match self
            .client
            .call(
                || format!("read extended attribute `{name}` of {}", show(path)),
                request.into(),
            )
            .await?
        {
            Reply::GetExtAttr(d) => Ok(d.data),
            _ => Err(unexpected("FPGetExtAttr")),
        }
    }

    /// The size of extended attribute `name` (FPGetExtAttr with MaxReplySize 0), then
    /// its value: a value shorter than the size was truncated by the server.
    pub async fn get_xattr_checked(
        &self,
        did: u32,
        path: &[String],
        name: &str,
    ) -> Result<(u32, Bytes)> {
        let request = command::GetExtAttr {
            volume_id: self.id,
            dir_id: did,
            bitmap: ExtAttrBitmap::NO_FOLLOW,
            offset: 0,
            req_count: -1,
            max_reply_size: 0,
            path: afp_path(path),
            name: Bytes::from(name.as_bytes().to_vec()),
        };
        let size = match self
            .client
            .call(
                || format!("size of extended attribute `{name}` of {}", show(path)),
                request.into(),
            )
            .await?
        {
            Reply::GetExtAttr(d) => d.length,
            _ => return Err(unexpected("FPGetExtAttr")),
        };
        Ok((size, self.get_xattr(did, path, name).await?))
    }

    /// Sets extended attribute `name` (FPSetExtAttr, create or replace).
    pub async fn set_xattr(
        &self,
        did: u32,
        path: &[String],
        name: &str,
        value: Bytes,
    ) -> Result<()> {
        let request = command::SetExtAttr {
            volume_id: self.id,
            dir_id: did,
            bitmap: ExtAttrBitmap::NO_FOLLOW,
            offset: 0,
            path: afp_path(path),
            name: Bytes::from(name.as_bytes().to_vec()),
            data: value,
        };
        self.client
            .call(
                || format!("set extended attribute `{name}` of {}", show(path)),
                request.into(),
            )
            .await
            .map(|_| ())
    }

    /// Flushes the volume (FPFlush).
    pub async fn flush(&self) -> Result<()> {
        self.client
            .call(
                || format!("flush volume `{}`", self.name),
                command::Flush { volume_id: self.id }.into(),
            )
            .await
            .map(|_| ())
    }

    /// Closes the volume (FPCloseVol).
    pub async fn close(&self) -> Result<()> {
        self.client
            .call(
                || format!("close volume `{}`", self.name),
                command::CloseVol { volume_id: self.id }.into(),
            )
            .await
            .map(|_| ())
    }
}

/// A path for messages: `/a/b` (or `/` for the root).
pub fn show(path: &[String]) -> String {
    if path.is_empty() {
        "/".to_owned()
    } else {
        format!("/{}", path.join("/"))
    }
}

/// A name built from the UTF-8 name field, for callers that encode parameter records.
pub fn afp_name(name: &str) -> AfpName {
    AfpName::new(Bytes::from(decompose(name).into_bytes()))
}

/// How long to wait before giving up on a server that accepted TCP but stays silent.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

#[cfg(test)]
mod tests {
    use super::*;

    fn status(versions: &[&str], uams: &[&str]) -> ServerStatus {
        ServerStatus {
            afp_versions: versions
                .iter()
                .map(|v| Bytes::from(v.to_string()))
                .collect(),
            uams: uams.iter().map(|v| Bytes::from(v.to_string())).collect(),
            ..ServerStatus::default()
        }
    }

    fn user() -> LoginOptions {
        LoginOptions {
            user: Some("alice".into()),
            ..LoginOptions::default()
        }
    }

    #[test]
    fn strongest_method_first() {
        let s = status(&["AFP3.4"], &["Cleartxt Passwrd", "DHCAST128", "DHX2"]);
        assert_eq!(choose_method(&s, &user()), Ok(Uam::Dhx2));
        let s = status(&["AFP3.4"], &["Cleartxt Passwrd", "DHCAST128"]);
        assert_eq!(choose_method(&s, &user()), Ok(Uam::Dhcast128));
    }

    #[test]
    fn cleartext_needs_the_flag() {
        let s = status(&["AFP3.4"], &["Cleartxt Passwrd"]);
        assert!(matches!(
            choose_method(&s, &user()),
            Err(LoginError::NoCommonMethod {
                cleartext_offered: true,
                ..
            })
        ));
        let allowed = LoginOptions {
            allow_cleartext: true,
            ..user()
        };
        assert_eq!(choose_method(&s, &allowed), Ok(Uam::CleartxtPasswrd));
        let forced = LoginOptions {
            method: Some("cleartxt passwrd".into()),
            ..user()
        };
        assert!(choose_method(&s, &forced).is_err());
    }

    #[test]
    fn forced_and_guest() {
        let s = status(&["AFP3.4"], &["DHCAST128", "DHX2", "No User Authent"]);
        let forced = LoginOptions {
            method: Some("DHCAST128".into()),
            ..user()
        };
        assert_eq!(choose_method(&s, &forced), Ok(Uam::Dhcast128));
        let guest = LoginOptions {
            guest: true,
            ..LoginOptions::default()
        };
        assert_eq!(choose_method(&s, &guest), Ok(Uam::NoUserAuthent));
        let s = status(&["AFP3.4"], &["DHX2"]);
        assert_eq!(choose_method(&s, &guest), Err(LoginError::GuestNotOffered));
    }

    #[test]
    fn best_afp3_version() {
        let s = status(&["AFP2.2", "AFPX03", "AFP3.1", "AFP3.4"], &[]);
        assert_eq!(choose_version(&s), Ok(AfpVersion::V3_4));
        let s = status(&["AFP2.2", "AFPX03"], &[]);
        assert_eq!(choose_version(&s), Ok(AfpVersion::V3_0));
        assert!(matches!(
            choose_version(&status(&["AFP2.2"], &[])),
            Err(LoginError::NoCommonVersion(_))
        ));
    }

    #[test]
    fn paths_are_decomposed_nul_separated_with_colons_as_slashes() {
        let p = afp_path(&["Café".into(), "a:b".into()]);
        assert_eq!(&p.name[..], "Cafe\u{301}\0a/b".as_bytes());
        assert_eq!(local_name("Cafe\u{301}".as_bytes()), "Café");
        assert_eq!(local_name(b"a/b"), "a:b");
        assert!(afp_path(&[]).is_empty());
    }
}
