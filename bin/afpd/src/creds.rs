//! Per-thread credentials: a session thread becomes the logged-in user.
//!
//! Netatalk forks one process per session and drops it to the user. This server keeps one
//! process with one OS thread per session, and gives the same guarantee per thread: Linux
//! keeps uid, gid, supplementary groups and capabilities per *thread*, and the raw system
//! calls change only the caller. (glibc's `setuid()`, `setgroups()`, … broadcast the
//! change to every thread of the process, which is exactly what we must not do, so they
//! are never used here.)
//!
//! [`become_user`] calls, in this order, `setgroups`, `setresgid`, `setresuid` through
//! `syscall(2)`, setting real, effective and saved ids, so the thread keeps no way back
//! to root: with every uid non-zero the kernel also clears the thread's capabilities. It
//! then checks the result ([`ThreadCredentials::of_current_thread`]) and that
//! `setresuid(0, 0, 0)` now fails with `EPERM`.
//!
//! When the server runs unprivileged (the quick start), there is nothing to switch to:
//! every session runs as the server's own user ([`Privilege::Unprivileged`]), and accounts
//! come from the password file, not from the system.
//!
//! A thread that has switched must end with its session; never hand it back to a pool
//! (tokio's `spawn_blocking` threads are reused, so they are not suitable).

use std::io;

use crate::accounts::UserInfo;

#[cfg(not(target_os = "linux"))]
compile_error!("afpd relies on Linux per-thread credentials (raw setresuid/setgroups)");

/// System call numbers: the 32-bit-id variants on architectures where the plain ones
/// take 16-bit ids.
mod nr {
    pub(super) use libc::SYS_capget as CAPGET;
    #[cfg(not(any(target_arch = "x86", target_arch = "arm")))]
    pub(super) use libc::{
        SYS_getgroups as GETGROUPS, SYS_getresgid as GETRESGID, SYS_getresuid as GETRESUID,
        SYS_setfsgid as SETFSGID, SYS_setfsuid as SETFSUID, SYS_setgroups as SETGROUPS,
        SYS_setresgid as SETRESGID, SYS_setresuid as SETRESUID,
    };
    #[cfg(any(target_arch = "x86", target_arch = "arm"))]
    pub(super) use libc::{
        SYS_getgroups32 as GETGROUPS, SYS_getresgid32 as GETRESGID, SYS_getresuid32 as GETRESUID,
        SYS_setfsgid32 as SETFSGID, SYS_setfsuid32 as SETFSUID, SYS_setgroups32 as SETGROUPS,
        SYS_setresgid32 as SETRESGID, SYS_setresuid32 as SETRESUID,
    };
}

/// The identity a session runs as.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Credentials {
    /// User id.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
    /// Supplementary groups, sorted, without duplicates.
    pub groups: Vec<u32>,
}

impl Credentials {
    /// Credentials with `groups` sorted and de-duplicated.
    pub fn new(uid: u32, gid: u32, mut groups: Vec<u32>) -> Self {
        groups.sort_unstable();
        groups.dedup();
        Credentials { uid, gid, groups }
    }
}

/// Everything the kernel holds for the calling thread, read with raw system calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadCredentials {
    /// Real, effective, saved and file-system uid.
    pub uids: [u32; 4],
    /// Real, effective, saved and file-system gid.
    pub gids: [u32; 4],
    /// Supplementary groups, sorted.
    pub groups: Vec<u32>,
    /// Effective capability set (low and high 32 bits).
    pub cap_effective: u64,
    /// Permitted capability set.
    pub cap_permitted: u64,
}

fn check(ret: libc::c_long) -> io::Result<libc::c_long> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// `u32::MAX` (-1) asks `setfsuid`/`setfsgid` for the current value without changing it.
const QUERY: libc::c_long = u32::MAX as libc::c_long;

impl ThreadCredentials {
    /// Read the calling thread's credentials.
    pub fn of_current_thread() -> io::Result<ThreadCredentials> {
        let (mut r, mut e, mut s): (libc::uid_t, libc::uid_t, libc::uid_t) = (0, 0, 0);
        // SAFETY: getresuid writes one uid_t through each of the three pointers, which
        // point to live local variables of that type.
        check(unsafe { libc::syscall(nr::GETRESUID, &mut r, &mut e, &mut s) })?;
        // SAFETY: setfsuid(-1) changes nothing (an invalid id is refused) and returns the
        // current file-system uid; it takes no pointers.
        let fsuid = unsafe { libc::syscall(nr::SETFSUID, QUERY) };
        let (mut rg, mut eg, mut sg): (libc::gid_t, libc::gid_t, libc::gid_t) = (0, 0, 0);
        // SAFETY: as for getresuid, three pointers to live gid_t locals.
        check(unsafe { libc::syscall(nr::GETRESGID, &mut rg, &mut eg, &mut sg) })?;
        // SAFETY: as for setfsuid(-1).
        let fsgid = unsafe { libc::syscall(nr::SETFSGID, QUERY) };

        // SAFETY: getgroups(0, NULL) only returns the number of supplementary groups.
        let n =
            check(unsafe { libc::syscall(nr::GETGROUPS, 0, std::ptr::null_mut::<libc::gid_t>()) })?;
        let mut groups = vec![0 as libc::gid_t; usize::try_from(n).unwrap_or(0)];
        // SAFETY: the buffer holds exactly `groups.len()` gid_t values and that size is
        // passed, so the kernel writes within it.
        let got = check(unsafe {
            libc::syscall(
                nr::GETGROUPS,
                groups.len() as libc::c_long,
                groups.as_mut_ptr(),
            )
        })?;
        groups.truncate(usize::try_from(got).unwrap_or(0));
        groups.sort_unstable();

        #[repr(C)]
        struct CapHeader {
            version: u32,
            pid: i32,
        }
        #[repr(C)]
        #[derive(Clone, Copy, Default)]
        struct CapData {
            effective: u32,
            permitted: u32,
            inheritable: u32,
        }
        let mut header = CapHeader {
            version: 0x2008_0522, // _LINUX_CAPABILITY_VERSION_3
            pid: 0,               // the calling thread
        };
        let mut data = [CapData::default(); 2];
        // SAFETY: version 3 capget reads one header and writes two CapData records, which
        // is what `header` and `data` are (repr(C) layouts of the kernel structs).
        check(unsafe { libc::syscall(nr::CAPGET, &mut header, data.as_mut_ptr()) })?;
        let cap = |lo: u32, hi: u32| (u64::from(hi) << 32) | u64::from(lo);

        Ok(ThreadCredentials {
            uids: [r, e, s, u32::try_from(fsuid).unwrap_or(u32::MAX)],
            gids: [rg, eg, sg, u32::try_from(fsgid).unwrap_or(u32::MAX)],
            groups,
            cap_effective: cap(data[0].effective, data[1].effective),
            cap_permitted: cap(data[0].permitted, data[1].permitted),
        })
    }

    /// Whether the thread runs as exactly `c`, with no capabilities left.
    pub fn is_exactly(&self, c: &Credentials) -> bool {
        self.uids.iter().all(|&u| u == c.uid)
            && self.gids.iter().all(|&g| g == c.gid)
            && self.groups == c.groups
            && self.cap_effective == 0
            && self.cap_permitted == 0
    }
}

/// Why a thread could not become a user.
#[derive(Debug, thiserror::Error)]
pub enum CredsError {
    /// Sessions never run as root (uid 0).
    #[error("refusing to run a session as root (uid 0)")]
    RootTarget,
    /// `setgroups` failed (usually: the thread is not root).
    #[error("setgroups failed: {0}")]
    SetGroups(#[source] io::Error),
    /// `setresgid` failed.
    #[error("setresgid failed: {0}")]
    SetGid(#[source] io::Error),
    /// `setresuid` failed.
    #[error("setresuid failed: {0}")]
    SetUid(#[source] io::Error),
    /// The switch did not take the expected effect; the thread must end.
    #[error("credential switch not effective: {0}")]
    Verify(String),
    /// In unprivileged mode the user's credentials differ from the server's.
    #[error("unprivileged server (uid {server_uid}) cannot run a session as uid {wanted_uid}")]
    Unprivileged {
        /// The server's uid.
        server_uid: u32,
        /// The uid the session asked for.
        wanted_uid: u32,
    },
}

/// Turn the calling thread into `c` for good: supplementary groups, then real/effective/
/// saved gid, then real/effective/saved uid; then verify.
///
/// Only the calling thread changes. On error the thread may be half-switched and must not
/// serve the session (end it).
pub fn become_user(c: &Credentials) -> Result<(), CredsError> {
    if c.uid == 0 {
        return Err(CredsError::RootTarget);
    }
    let groups: Vec<libc::gid_t> = c.groups.clone();
    // SAFETY: the pointer and length describe `groups`, a live Vec<gid_t>; the kernel only
    // reads it. A raw syscall, so only this thread's groups change.
    check(unsafe { libc::syscall(nr::SETGROUPS, groups.len() as libc::c_long, groups.as_ptr()) })
        .map_err(CredsError::SetGroups)?;
    let gid = libc::c_long::from(c.gid);
    // SAFETY: setresgid takes three integers; raw syscall, this thread only.
    check(unsafe { libc::syscall(nr::SETRESGID, gid, gid, gid) }).map_err(CredsError::SetGid)?;
    let uid = libc::c_long::from(c.uid);
    // SAFETY: setresuid takes three integers; raw syscall, this thread only.
    check(unsafe { libc::syscall(nr::SETRESUID, uid, uid, uid) }).map_err(CredsError::SetUid)?;

    let now = ThreadCredentials::of_current_thread()
        .map_err(|e| CredsError::Verify(format!("cannot read credentials back: {e}")))?;
    if !now.is_exactly(c) {
        return Err(CredsError::Verify(format!(
            "wanted uid {} gid {} groups {:?}, thread has {now:?}",
            c.uid, c.gid, c.groups
        )));
    }
    // The way back must be closed: with no capabilities, setresuid(0, 0, 0) is refused.
    // SAFETY: setresuid takes three integers; raw syscall, this thread only.
    let back = unsafe {
        libc::syscall(
            nr::SETRESUID,
            0 as libc::c_long,
            0 as libc::c_long,
            0 as libc::c_long,
        )
    };
    if back == 0 {
        return Err(CredsError::Verify(
            "the thread could become root again after the switch".to_owned(),
        ));
    }
    Ok(())
}

/// Whether the server can switch users.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Privilege {
    /// Running as root: each session thread becomes its user ([`become_user`]).
    Root,
    /// Running as an ordinary user: every session runs as these credentials (the server's
    /// own), and accounts come from the password file only.
    Unprivileged(Credentials),
}

/// What a session thread runs as after [`Privilege::enter_session`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionIdentity {
    /// The thread switched to the user's credentials.
    Switched(Credentials),
    /// Unprivileged server: the thread kept the server's credentials, which are the user's.
    ServerUser(Credentials),
}

impl Privilege {
    /// Root if the calling thread's effective uid is 0, else unprivileged with the calling
    /// thread's credentials. Call it once at startup, on the main thread.
    pub fn detect() -> io::Result<Privilege> {
        let t = ThreadCredentials::of_current_thread()?;
        if t.uids[1] == 0 {
            return Ok(Privilege::Root);
        }
        Ok(Privilege::Unprivileged(Credentials::new(
            t.uids[1], t.gids[1], t.groups,
        )))
    }

    /// Whether the server runs as root.
    pub fn is_root(&self) -> bool {
        matches!(self, Privilege::Root)
    }

    /// Make the calling (session) thread run as `user`: switch when root; when
    /// unprivileged, check that `user` carries the server's own credentials.
    pub fn enter_session(&self, user: &UserInfo) -> Result<SessionIdentity, CredsError> {
        let wanted = user.credentials();
        match self {
            Privilege::Root => {
                become_user(&wanted)?;
                Ok(SessionIdentity::Switched(wanted))
            }
            Privilege::Unprivileged(own) => {
                if wanted.uid != own.uid {
                    return Err(CredsError::Unprivileged {
                        server_uid: own.uid,
                        wanted_uid: wanted.uid,
                    });
                }
                Ok(SessionIdentity::ServerUser(own.clone()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_own_credentials() {
        let t = ThreadCredentials::of_current_thread().unwrap();
        // SAFETY: geteuid has no preconditions.
        let euid = unsafe { libc::geteuid() };
        assert_eq!(t.uids[1], euid);
        assert_eq!(t.uids[3], euid, "fsuid follows euid");
    }

    #[test]
    fn refuses_root_target() {
        assert!(matches!(
            become_user(&Credentials::new(0, 0, vec![])),
            Err(CredsError::RootTarget)
        ));
    }

    #[test]
    fn credentials_normalise_groups() {
        assert_eq!(Credentials::new(5, 6, vec![9, 3, 9]).groups, vec![3, 9]);
    }
}
