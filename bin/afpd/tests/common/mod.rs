//! Shared helpers for the afpd integration tests (`mod common;` in each test file).
//!
//! * [`server`]: [`TestServer`], a real `afpd` process on a free loopback port with its own
//!   afp.conf, state directory, password-file accounts and volumes in a temporary
//!   directory; killed on drop, with `kill9`/`restart`/`signal` for crash and signal tests.
//! * [`client`]: [`AfpClient`], a blocking AFP client over `std::net::TcpStream` built on
//!   `dsi::ClientSession` and `afp_proto` (login with every UAM, one typed method per
//!   common command returning the exact AFP result code, `call` for any request,
//!   `send_raw` for malformed input).
//! * [`users`]: Linux users and groups created for one test (root only) and removed on
//!   drop.
//!
//! A typical test:
//!
//! ```ignore
//! let srv = TestServer::builder().volume("test1").start();
//! let mut c = srv.connect();
//! assert_eq!(c.login_default(&srv), ResultCode::NO_ERR);
//! let vol = c.open_volume("test1");
//! c.create_file(vol, 2, "hello", false).unwrap();
//! ```
#![allow(dead_code, unreachable_pub, unused_imports)]
// Tests may read the clock (timeouts while waiting for the server).
#![allow(clippy::disallowed_methods)]

pub mod client;
pub mod server;
pub mod two;
pub mod users;

pub use client::{AfpClient, ClientError, DIR_ROOT, DIR_ROOT_PARENT};
pub use server::{Account, ServerBuilder, TestServer};
pub use two::{TwoUsers, two_users};
pub use users::*;
