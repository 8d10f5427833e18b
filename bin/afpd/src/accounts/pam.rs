//! PAM, loaded at run time from `libpam.so.0` (no build-time dependency on libpam0g-dev;
//! the library itself is part of every Debian system).
//!
//! Login: `pam_start(service, user)`, `PAM_RHOST` = client address, `pam_authenticate`,
//! `pam_acct_mgmt`; `PAM_NEW_AUTHTOK_REQD` from the latter means "password expired" (the
//! server answers kFPPwdExpiredErr and allows only a password change). The conversation
//! answers every hidden prompt with the password; the password lives in a zeroized buffer,
//! and the copies handed to PAM are `malloc`ed as PAM requires (libpam wipes and frees
//! them).
//!
//! Password change: `pam_authenticate` with the old password, then `pam_chauthtok`
//! (with `PAM_CHANGE_EXPIRED_AUTHTOK` when expired); the conversation answers prompts that
//! mention "current"/"old" with the old password and the others with the new one. As root,
//! `pam_unix` does not ask for the old password.
//!
//! Service: `netatalk` when `/etc/pam.d/netatalk` exists (what netatalk installs), else
//! `other` (the stack libpam itself falls back to for an unknown service: on Debian,
//! `common-auth`, `common-account`, `common-password`). `login` is avoided on purpose: its
//! stack adds a 3-second failure delay and `pam_nologin`, meant for console logins.
//!
//! Calls are serialised with a process-wide lock: not every PAM module is thread-safe.

use std::cell::Cell;
use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::path::Path;
use std::ptr;
use std::sync::Mutex;

use zeroize::Zeroizing;

const PAM_SUCCESS: c_int = 0;
const PAM_BUF_ERR: c_int = 5;
const PAM_CONV_ERR: c_int = 19;
const PAM_PERM_DENIED: c_int = 6;
const PAM_AUTH_ERR: c_int = 7;
const PAM_CRED_INSUFFICIENT: c_int = 8;
const PAM_USER_UNKNOWN: c_int = 10;
const PAM_MAXTRIES: c_int = 11;
const PAM_NEW_AUTHTOK_REQD: c_int = 12;
const PAM_ACCT_EXPIRED: c_int = 13;
const PAM_AUTHTOK_ERR: c_int = 20;
const PAM_AUTHTOK_EXPIRED: c_int = 27;

const PAM_PROMPT_ECHO_OFF: c_int = 1;
const PAM_PROMPT_ECHO_ON: c_int = 2;
const PAM_ERROR_MSG: c_int = 3;
const PAM_TEXT_INFO: c_int = 4;

const PAM_USER: c_int = 2;
const PAM_RHOST: c_int = 4;

const PAM_SILENT: c_int = 0x8000;
const PAM_DISALLOW_NULL_AUTHTOK: c_int = 0x0001;
const PAM_CHANGE_EXPIRED_AUTHTOK: c_int = 0x0020;

/// Linux-PAM's limit on messages per conversation call.
const PAM_MAX_NUM_MSG: c_int = 32;

#[repr(C)]
struct PamMessage {
    msg_style: c_int,
    msg: *const c_char,
}

#[repr(C)]
struct PamResponse {
    resp: *mut c_char,
    resp_retcode: c_int,
}

type ConvFn = unsafe extern "C" fn(
    num_msg: c_int,
    msg: *mut *const PamMessage,
    resp: *mut *mut PamResponse,
    appdata: *mut c_void,
) -> c_int;

#[repr(C)]
struct PamConv {
    conv: ConvFn,
    appdata_ptr: *mut c_void,
}

/// Opaque `pam_handle_t`.
#[repr(C)]
struct PamHandle {
    _private: [u8; 0],
}

type StartFn = unsafe extern "C" fn(
    *const c_char,
    *const c_char,
    *const PamConv,
    *mut *mut PamHandle,
) -> c_int;
type EndFn = unsafe extern "C" fn(*mut PamHandle, c_int) -> c_int;
type FlagsFn = unsafe extern "C" fn(*mut PamHandle, c_int) -> c_int;
type SetItemFn = unsafe extern "C" fn(*mut PamHandle, c_int, *const c_void) -> c_int;
type GetItemFn = unsafe extern "C" fn(*const PamHandle, c_int, *mut *const c_void) -> c_int;
type StrErrorFn = unsafe extern "C" fn(*mut PamHandle, c_int) -> *const c_char;

/// libpam could not be used.
#[derive(Debug, thiserror::Error)]
#[error("PAM is unavailable: {0}")]
pub struct PamError(String);

/// The outcome of a PAM login.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PamOutcome {
    /// Authenticated and the account is usable. `user` is PAM's final `PAM_USER`.
    Ok {
        /// Canonical user name after PAM.
        user: String,
    },
    /// Right password, but it has expired and must be changed now.
    Expired {
        /// Canonical user name after PAM.
        user: String,
    },
    /// Wrong password, unknown user, locked or expired account.
    Denied(String),
    /// PAM or a module failed (configuration, system error).
    Error(String),
}

/// The outcome of a PAM password change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PamChange {
    /// Changed.
    Changed,
    /// The old password is wrong.
    Denied(String),
    /// The new password was refused (quality checks, …).
    Rejected(String),
    /// PAM or a module failed.
    Error(String),
}

/// A loaded libpam.
pub struct Pam {
    // Keeps the library mapped as long as the function pointers below are used.
    _lib: libloading::Library,
    start: StartFn,
    end: EndFn,
    authenticate: FlagsFn,
    acct_mgmt: FlagsFn,
    chauthtok: FlagsFn,
    set_item: SetItemFn,
    get_item: GetItemFn,
    strerror: StrErrorFn,
    service: CString,
}

impl std::fmt::Debug for Pam {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pam")
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

static PAM_LOCK: Mutex<()> = Mutex::new(());

/// The service name to use, and why.
pub fn default_service() -> (&'static str, &'static str) {
    if Path::new("/etc/pam.d/netatalk").exists() {
        ("netatalk", "/etc/pam.d/netatalk exists")
    } else {
        (
            "other",
            "/etc/pam.d/netatalk is absent; using the `other` stack",
        )
    }
}

impl Pam {
    /// Load `libpam.so.0` with [`default_service`].
    pub fn load() -> Result<Pam, PamError> {
        Pam::load_with_service(default_service().0)
    }

    /// Load `libpam.so.0` and use `service`.
    pub fn load_with_service(service: &str) -> Result<Pam, PamError> {
        let service =
            CString::new(service).map_err(|_| PamError("service name with NUL".into()))?;
        // SAFETY: loading libpam runs its initialisers, which have no preconditions; it is
        // the system library meant to be loaded into any process.
        let lib = unsafe { libloading::Library::new("libpam.so.0") }
            .map_err(|e| PamError(format!("cannot load libpam.so.0: {e}")))?;
        /// Look a symbol up and copy the function pointer out.
        ///
        /// # Safety
        /// `T` must be the exact C signature of `name` in Linux-PAM.
        unsafe fn sym<T: Copy>(lib: &libloading::Library, name: &[u8]) -> Result<T, PamError> {
            // SAFETY: the caller guarantees `T` is the symbol's real type.
            unsafe { lib.get::<T>(name) }.map(|s| *s).map_err(|e| {
                PamError(format!(
                    "libpam.so.0 lacks {}: {e}",
                    String::from_utf8_lossy(name)
                ))
            })
        }
        // SAFETY: each type alias above is the Linux-PAM prototype of the named function
        // (security/_pam_types.h, pam_appl.h). The pointers stay valid while `_lib` lives,
        // which is as long as `Pam`.
        unsafe {
            Ok(Pam {
                start: sym::<StartFn>(&lib, b"pam_start\0")?,
                end: sym::<EndFn>(&lib, b"pam_end\0")?,
                authenticate: sym::<FlagsFn>(&lib, b"pam_authenticate\0")?,
                acct_mgmt: sym::<FlagsFn>(&lib, b"pam_acct_mgmt\0")?,
                chauthtok: sym::<FlagsFn>(&lib, b"pam_chauthtok\0")?,
                set_item: sym::<SetItemFn>(&lib, b"pam_set_item\0")?,
                get_item: sym::<GetItemFn>(&lib, b"pam_get_item\0")?,
                strerror: sym::<StrErrorFn>(&lib, b"pam_strerror\0")?,
                _lib: lib,
                service,
            })
        }
    }

    /// The PAM service name in use.
    pub fn service(&self) -> &str {
        self.service.to_str().unwrap_or("")
    }

    /// Check `password` for `user` (`rhost`: the client address, for PAM's logs).
    pub fn authenticate(&self, user: &str, password: &[u8], rhost: Option<&str>) -> PamOutcome {
        let Some(password) = secret_cstring(password) else {
            return PamOutcome::Denied("password contains a NUL byte".into());
        };
        let Ok(cuser) = CString::new(user) else {
            return PamOutcome::Denied("user name contains a NUL byte".into());
        };
        let conv = ConvData {
            user: &cuser,
            password: &password,
            new_password: None,
            changing: Cell::new(false),
        };
        let _guard = PAM_LOCK.lock().unwrap_or_else(|p| p.into_inner());
        let session = match self.open(&cuser, &conv, rhost) {
            Ok(s) => s,
            Err(e) => return PamOutcome::Error(e),
        };
        let rc = session.call(self.authenticate, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
        if rc != PAM_SUCCESS {
            return match rc {
                PAM_AUTH_ERR
                | PAM_USER_UNKNOWN
                | PAM_MAXTRIES
                | PAM_CRED_INSUFFICIENT
                | PAM_PERM_DENIED => PamOutcome::Denied(session.strerror(rc)),
                _ => PamOutcome::Error(format!("pam_authenticate: {}", session.strerror(rc))),
            };
        }
        let rc = session.call(self.acct_mgmt, PAM_SILENT);
        let name = session.user().unwrap_or_else(|| user.to_owned());
        match rc {
            PAM_SUCCESS => PamOutcome::Ok { user: name },
            PAM_NEW_AUTHTOK_REQD | PAM_AUTHTOK_EXPIRED => PamOutcome::Expired { user: name },
            PAM_ACCT_EXPIRED | PAM_PERM_DENIED | PAM_AUTH_ERR | PAM_USER_UNKNOWN => {
                PamOutcome::Denied(format!("pam_acct_mgmt: {}", session.strerror(rc)))
            }
            _ => PamOutcome::Error(format!("pam_acct_mgmt: {}", session.strerror(rc))),
        }
    }

    /// Change `user`'s password from `old` to `new`.
    pub fn change_password(
        &self,
        user: &str,
        old: &[u8],
        new: &[u8],
        rhost: Option<&str>,
    ) -> PamChange {
        let (Some(old), Some(new)) = (secret_cstring(old), secret_cstring(new)) else {
            return PamChange::Rejected("password contains a NUL byte".into());
        };
        let Ok(cuser) = CString::new(user) else {
            return PamChange::Denied("user name contains a NUL byte".into());
        };
        let conv = ConvData {
            user: &cuser,
            password: &old,
            new_password: Some(&new),
            changing: Cell::new(false),
        };
        let _guard = PAM_LOCK.lock().unwrap_or_else(|p| p.into_inner());
        let session = match self.open(&cuser, &conv, rhost) {
            Ok(s) => s,
            Err(e) => return PamChange::Error(e),
        };
        let rc = session.call(self.authenticate, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
        if rc != PAM_SUCCESS {
            return match rc {
                PAM_AUTH_ERR
                | PAM_USER_UNKNOWN
                | PAM_MAXTRIES
                | PAM_CRED_INSUFFICIENT
                | PAM_PERM_DENIED => PamChange::Denied(session.strerror(rc)),
                _ => PamChange::Error(format!("pam_authenticate: {}", session.strerror(rc))),
            };
        }
        let expired = matches!(
            session.call(self.acct_mgmt, PAM_SILENT),
            PAM_NEW_AUTHTOK_REQD | PAM_AUTHTOK_EXPIRED
        );
        drop(session);
        // A fresh handle for the change: the first one holds the old password as
        // PAM_AUTHTOK from pam_authenticate, which confuses the password stack.
        let session = match self.open(&cuser, &conv, rhost) {
            Ok(s) => s,
            Err(e) => return PamChange::Error(e),
        };
        let flags = PAM_SILENT
            | if expired {
                PAM_CHANGE_EXPIRED_AUTHTOK
            } else {
                0
            };
        conv.changing.set(true);
        let rc = session.call(self.chauthtok, flags);
        if rc == PAM_SUCCESS {
            return PamChange::Changed;
        }
        let message = session.strerror(rc);
        drop(session);
        // Some stacks report a failure from a module after pam_unix has already written
        // the new password (seen on Debian 12's common-password with an expired password).
        // What counts is whether the new password now works.
        let check = ConvData {
            user: &cuser,
            password: &new,
            new_password: None,
            changing: Cell::new(false),
        };
        if let Ok(s) = self.open(&cuser, &check, rhost)
            && s.call(self.authenticate, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK) == PAM_SUCCESS
        {
            tracing::debug!(target: "afpd::uam", user, rc, "pam_chauthtok reported {message}, but the new password is in effect");
            return PamChange::Changed;
        }
        match rc {
            PAM_AUTHTOK_ERR | PAM_PERM_DENIED => PamChange::Rejected(message),
            _ => PamChange::Error(format!("pam_chauthtok: {message}")),
        }
    }

    fn open<'a>(
        &'a self,
        user: &CStr,
        conv: &'a ConvData<'a>,
        rhost: Option<&str>,
    ) -> Result<Session<'a>, String> {
        let pam_conv = Box::new(PamConv {
            conv: conversation,
            appdata_ptr: conv as *const ConvData<'_> as *mut c_void,
        });
        let mut handle: *mut PamHandle = ptr::null_mut();
        // SAFETY: service and user are NUL-terminated strings; `pam_conv` is a valid
        // struct pam_conv that (with the ConvData it points to) outlives the handle,
        // because both are owned by or borrowed for the returned Session, whose Drop calls
        // pam_end first. `handle` receives the new handle.
        let rc = unsafe {
            (self.start)(
                self.service.as_ptr(),
                user.as_ptr(),
                &*pam_conv,
                &mut handle,
            )
        };
        if rc != PAM_SUCCESS || handle.is_null() {
            return Err(format!(
                "pam_start({}) failed with code {rc}",
                self.service()
            ));
        }
        let session = Session {
            pam: self,
            handle,
            _conv: pam_conv,
        };
        if let Some(host) = rhost.and_then(|h| CString::new(h).ok()) {
            // SAFETY: a live handle, a known item type and a NUL-terminated string that
            // libpam copies.
            unsafe { (self.set_item)(handle, PAM_RHOST, host.as_ptr().cast()) };
        }
        Ok(session)
    }
}

/// A `pam_handle_t` that is ended on drop.
struct Session<'a> {
    pam: &'a Pam,
    handle: *mut PamHandle,
    _conv: Box<PamConv>,
}

impl Session<'_> {
    fn call(&self, f: FlagsFn, flags: c_int) -> c_int {
        // SAFETY: `f` is one of libpam's (handle, flags) functions and the handle is live.
        unsafe { f(self.handle, flags) }
    }

    fn strerror(&self, rc: c_int) -> String {
        // SAFETY: a live handle; pam_strerror returns a static or handle-owned string,
        // copied before the handle goes away.
        let p = unsafe { (self.pam.strerror)(self.handle, rc) };
        if p.is_null() {
            return format!("PAM error {rc}");
        }
        // SAFETY: non-null, NUL-terminated string from libpam.
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }

    fn user(&self) -> Option<String> {
        let mut item: *const c_void = ptr::null();
        // SAFETY: a live handle; PAM_USER is a string item; `item` receives a pointer
        // owned by the handle, copied below before the handle ends.
        let rc = unsafe { (self.pam.get_item)(self.handle, PAM_USER, &mut item) };
        if rc != PAM_SUCCESS || item.is_null() {
            return None;
        }
        // SAFETY: PAM_USER is a NUL-terminated string.
        Some(
            unsafe { CStr::from_ptr(item.cast()) }
                .to_string_lossy()
                .into_owned(),
        )
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        // SAFETY: the handle came from pam_start and is ended exactly once.
        unsafe { (self.pam.end)(self.handle, PAM_SUCCESS) };
    }
}

/// What the conversation function answers with.
struct ConvData<'a> {
    user: &'a CStr,
    password: &'a CStr,
    new_password: Option<&'a CStr>,
    /// Set just before `pam_chauthtok`: hidden prompts then get the new password unless
    /// they ask for the current one. Before, every hidden prompt gets `password`.
    changing: Cell<bool>,
}

/// A NUL-terminated copy of `secret` in a buffer that is wiped on drop.
fn secret_cstring(secret: &[u8]) -> Option<Zeroizing<CStringBuf>> {
    if secret.contains(&0) {
        return None;
    }
    let mut buf = Zeroizing::new(CStringBuf(Vec::with_capacity(secret.len() + 1)));
    buf.0.extend_from_slice(secret);
    buf.0.push(0);
    Some(buf)
}

/// Bytes ending in exactly one NUL (a `CString` whose buffer we can zeroize).
#[derive(Default)]
struct CStringBuf(Vec<u8>);

impl zeroize::Zeroize for CStringBuf {
    fn zeroize(&mut self) {
        self.0.zeroize();
    }
}

impl std::ops::Deref for CStringBuf {
    type Target = CStr;
    fn deref(&self) -> &CStr {
        CStr::from_bytes_with_nul(&self.0).unwrap_or(c"")
    }
}

/// Copy `s` into memory from `malloc`, as PAM frees responses with `free`.
fn malloc_copy(s: &CStr) -> *mut c_char {
    let bytes = s.to_bytes_with_nul();
    // SAFETY: malloc has no preconditions; the result is checked for NULL.
    let p = unsafe { libc::malloc(bytes.len()) }.cast::<c_char>();
    if !p.is_null() {
        // SAFETY: `p` has room for `bytes.len()` bytes and does not overlap `bytes`.
        unsafe { ptr::copy_nonoverlapping(bytes.as_ptr().cast::<c_char>(), p, bytes.len()) };
    }
    p
}

/// The PAM conversation function.
///
/// # Safety
/// Called by libpam with `msg` pointing to `num_msg` message pointers (Linux-PAM layout),
/// `resp` a place for the response array, and `appdata` the `ConvData` given to pam_start.
unsafe extern "C" fn conversation(
    num_msg: c_int,
    msg: *mut *const PamMessage,
    resp: *mut *mut PamResponse,
    appdata: *mut c_void,
) -> c_int {
    if num_msg <= 0
        || num_msg > PAM_MAX_NUM_MSG
        || msg.is_null()
        || resp.is_null()
        || appdata.is_null()
    {
        return PAM_CONV_ERR;
    }
    // SAFETY: appdata is the &ConvData passed to pam_start, alive for the whole handle.
    let data = unsafe { &*(appdata as *const ConvData<'_>) };
    let n = num_msg as usize;
    // SAFETY: calloc has no preconditions; zeroed memory is a valid array of empty
    // responses (NULL resp, code 0). PAM frees it with free().
    let replies = unsafe { libc::calloc(n, size_of::<PamResponse>()) }.cast::<PamResponse>();
    if replies.is_null() {
        return PAM_BUF_ERR;
    }
    for i in 0..n {
        // SAFETY: Linux-PAM passes an array of `num_msg` pointers to messages.
        let m = unsafe { *msg.add(i) };
        if m.is_null() {
            continue;
        }
        // SAFETY: a non-null pointer to a pam_message from libpam.
        let m = unsafe { &*m };
        let prompt = if m.msg.is_null() {
            String::new()
        } else {
            // SAFETY: the message text is a NUL-terminated string.
            unsafe { CStr::from_ptr(m.msg) }
                .to_string_lossy()
                .to_ascii_lowercase()
        };
        let answer: Option<&CStr> = match m.msg_style {
            PAM_PROMPT_ECHO_OFF => Some(match data.new_password {
                Some(new)
                    if data.changing.get()
                        && !(prompt.contains("current") || prompt.contains("old")) =>
                {
                    new
                }
                _ => data.password,
            }),
            PAM_PROMPT_ECHO_ON => Some(data.user),
            PAM_ERROR_MSG | PAM_TEXT_INFO => {
                tracing::debug!(target: "afpd::uam", "PAM says: {prompt}");
                None
            }
            _ => None,
        };
        if let Some(answer) = answer {
            let copy = malloc_copy(answer);
            if copy.is_null() {
                free_replies(replies, n);
                return PAM_BUF_ERR;
            }
            // SAFETY: `i < n`, inside the calloc'ed array.
            unsafe { (*replies.add(i)).resp = copy };
        }
    }
    // SAFETY: `resp` is the out-pointer libpam gave us.
    unsafe { *resp = replies };
    PAM_SUCCESS
}

/// Wipe and free a partly filled response array (on allocation failure).
fn free_replies(replies: *mut PamResponse, n: usize) {
    for i in 0..n {
        // SAFETY: `replies` holds `n` responses; each `resp` is NULL or from malloc_copy.
        unsafe {
            let r = (*replies.add(i)).resp;
            if !r.is_null() {
                let len = libc::strlen(r);
                ptr::write_bytes(r, 0, len);
                libc::free(r.cast());
            }
        }
    }
    // SAFETY: `replies` came from calloc.
    unsafe { libc::free(replies.cast()) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libpam_loads_and_service_is_chosen() {
        let pam =
            Pam::load().expect("libpam.so.0 is part of every Debian system (package libpam0g)");
        let (service, _why) = default_service();
        assert_eq!(pam.service(), service);
    }

    #[test]
    fn unknown_user_is_denied_or_error_free() {
        let pam = Pam::load().unwrap();
        match pam.authenticate("no-such-user-afpd-test", b"x", Some("127.0.0.1")) {
            PamOutcome::Denied(_) => {}
            other => panic!("expected Denied, got {other:?}"),
        }
    }

    #[test]
    fn nul_in_password_is_refused_before_pam() {
        let pam = Pam::load().unwrap();
        assert!(matches!(
            pam.authenticate("root", b"a\0b", None),
            PamOutcome::Denied(_)
        ));
    }
}
