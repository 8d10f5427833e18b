//! The AFP file server behind the `afpd` binary: a netatalk-compatible server built from
//! the `dsi`, `afp-proto` and `cnid` crates.
//!
//! The binary only parses its command line and calls [`server`]; everything else is here so
//! the integration tests can drive the same code:
//!
//! * [`server`]: tokio listeners, one network task per connection driving a
//!   `dsi::ServerSession`, signals (SIGTERM/SIGINT: attention and orderly shutdown; SIGHUP:
//!   reload), Bonjour through the `dnssd` advertiser, and [`server::ServerCtx`], the state
//!   all sessions share.
//! * [`session`]: one OS thread per connection; login through the UAM state machines of
//!   `afp-proto`, then the switch to the user's credentials, gating by login state and AFP
//!   version, and the request loop.
//! * [`cmd`]: the command handlers, a chain of modules that answer or pass
//!   ([`cmd::server`], [`cmd::volume`], [`cmd::catalog`], [`cmd::fork`]).
//! * [`vfs`]: AFP volumes on a local POSIX file system: object resolution beneath the
//!   volume root (`openat2` with `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`), netatalk's
//!   `org.netatalk.Metadata` extended attribute and `._` resource fork sidecars, name
//!   mapping, parameter packing, CNIDs, Time Machine size accounting.
//! * [`forks`]: open forks, deny modes and byte-range locks of every session.
//! * [`config`]: netatalk 3 `afp.conf` (spec `cnid-and-config.md` §3) with `file:line`
//!   diagnostics, and the volume list of one session ([`config::Config::volumes_for`]).
//! * [`accounts`]: Linux users through PAM (loaded at run time), a standalone argon2id
//!   password file, the guest account.
//! * [`creds`]: per-thread credential switching with raw `setgroups`/`setresgid`/
//!   `setresuid` system calls, which (unlike the glibc wrappers) change only the calling
//!   thread.
//! * [`rootsvc`]: a thread that keeps the server's credentials for what a user's thread
//!   must not do (open CNID stores, change passwords).
//! * [`logging`], [`state`] (signature and volume UUIDs in netatalk's files), [`hosts`],
//!   [`features`] (the `afpd -V` listing).
//!
//! Unlike the protocol crates this one touches the world (files, users, PAM, thread
//! credentials), so it is not `forbid(unsafe_code)`: the FFI lives in [`creds`],
//! [`accounts`]'s PAM module and [`memory`]'s allocator tuning only, and every `unsafe`
//! block carries a `SAFETY` comment.
//!
//! # Threading model
//!
//! One process; one OS thread per AFP session. After login the session thread calls
//! [`creds::Privilege::enter_session`]; from then on every file operation it performs is
//! checked by the kernel against the user's uid, gid and supplementary groups. Such a
//! thread must never be returned to a pool: it ends with its session. Shared state (CNID
//! stores, locks) is reached through `Arc`s and already-open descriptors, so it keeps
//! working after the switch.

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
pub mod memory;
pub mod rootsvc;
pub mod server;
pub mod session;
pub mod state;
pub mod vfs;
