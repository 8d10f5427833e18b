//! The building blocks of the `afpd` binary: everything the AFP server needs around the
//! protocol itself.
//!
//! What this crate does:
//!
//! * [`config`]: loads netatalk 3 `afp.conf` (spec `cnid-and-config.md` §3) into typed
//!   values with `file:line` diagnostics, and resolves the volume list of one session
//!   ([`config::Config::volumes_for`]): variables, access lists, host lists, `[Homes]`,
//!   `vol dbpath`.
//! * [`accounts`]: who may log in. Linux users through PAM (loaded at run time), a
//!   standalone argon2id password file, the guest account; one verifier API
//!   ([`accounts::Accounts::verify`]) returning a [`accounts::Verdict`].
//! * [`creds`]: per-thread credential switching. A session thread becomes the logged-in
//!   user with raw `setgroups`/`setresgid`/`setresuid` system calls, which (unlike the
//!   glibc wrappers) change only the calling thread.
//! * [`logging`]: netatalk `log level` / `log file` mapped onto `tracing`, and the
//!   login/logout lines.
//! * [`state`]: the state directory and its files (`afp_signature.conf`,
//!   `afp_voluuid.conf`, the password file), in netatalk's formats.
//! * [`hosts`]: `hosts allow` / `hosts deny` networks.
//! * [`features`]: the `afpd -V` listing.
//!
//! What it does not do: the network loop, DSI and AFP command handling (crates `dsi` and
//! `afp-proto`, driven by the binary), and the CNID store (crate `cnid`).
//!
//! Unlike the protocol crates this one touches the world (files, users, PAM, thread
//! credentials), so it is not `forbid(unsafe_code)`: the FFI lives in [`creds`] and
//! [`accounts`]'s PAM module only, and every `unsafe` block carries a `SAFETY` comment.
//!
//! # Threading model (decided for the server)
//!
//! One process; one OS thread per AFP session. After login the session thread calls
//! [`creds::Privilege::enter_session`]; from then on every file operation it performs is
//! checked by the kernel against the user's uid, gid and supplementary groups. Such a
//! thread must never be returned to a pool: it ends with its session.

#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

pub mod accounts;
pub mod cmd;
pub mod config;
pub mod creds;
pub mod features;
pub mod forks;
pub mod hosts;
pub mod logging;
pub mod rootsvc;
pub mod server;
pub mod session;
pub mod state;
pub mod vfs;
