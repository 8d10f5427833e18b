//! The afserver tape server and the afclient client, sharing this library: the wire
//! protocol (PROTOCOL.md), the configuration file, the state directory in afbackup's
//! layout, and the cartridge backends (SIMH image files, Amanda vtape directories, Linux
//! `st` drives). The tape formats themselves are the `tape-format` crate's.

pub mod backend;
pub mod client;
pub mod config;
pub mod protocol;
pub mod server;
pub mod state;
