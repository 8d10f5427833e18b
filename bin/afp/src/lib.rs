//! `afp_client`: the library behind the `afp` command-line AFP client.
//!
//! It puts the project's sans-IO crates to work from the client side: `dsi`'s
//! [`dsi::ClientSession`] runs the DSI session over a tokio TCP connection
//! ([`conn::Connection`]), `afp-proto` encodes every request and decodes every reply, and
//! its login state machines (DHX2, DHCAST128, Cleartxt Passwrd, guest) authenticate
//! ([`client::Client::login`]). On top sit volumes and catalog calls
//! ([`client::Volume`]), forks with pipelined reads and writes ([`fork::Fork`]), and the
//! tree transfers of `afp get` / `afp put` ([`transfer`]).
//!
//! ```no_run
//! # async fn demo() -> afp_client::error::Result<()> {
//! use afp_client::client::{Client, LoginOptions, ROOT_DID};
//! use afp_client::conn::ConnectOptions;
//! use afp_proto::uam::Password;
//!
//! let login = LoginOptions {
//!     user: Some("alice".into()),
//!     password: Some(Password::from_slice(b"secret")),
//!     ..LoginOptions::default()
//! };
//! let client = Client::login("127.0.0.1:548", login, &ConnectOptions::default()).await?;
//! let volume = client.open_volume("Share").await?;
//! for entry in volume.list(ROOT_DID, &[]).await? {
//!     println!("{} {}", entry.name, entry.data_len);
//! }
//! client.logout().await?;
//! # Ok(()) }
//! ```
//!
//! Performance: reads and writes use the server request quantum from DSIOpenSession and
//! keep several requests in flight (bounded by the server's replay cache), so a large
//! transfer is limited by the link, not by round trips.
//!
//! What it does not do: AFP 2.x sessions (it needs UTF-8 names and 64-bit offsets),
//! reconnecting a broken session (FPDisconnectOldSession), Kerberos logins, volume
//! passwords, ACLs, catalog search.
//!
//! Spec: the project's `afp-dsi.md` (§1 DSI, §3 status block, §5 requests, §6 logins,
//! §7 result codes, §8 forks).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod bench;
pub mod client;
pub mod conn;
pub mod display;
pub mod error;
pub mod fork;
pub mod transfer;
pub mod url;
pub mod xattr;

pub use client::{Client, Entry, LoginOptions, Volume};
pub use conn::{ConnectOptions, Connection};
pub use error::{Error, Result};
pub use fork::{Fork, ForkKind};
pub use url::AfpUrl;
