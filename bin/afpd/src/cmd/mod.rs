//! AFP command handlers: a decoded [`Request`] in, an [`Outcome`] (result code and reply
//! block) out, run on the session's own thread with the user's credentials.
//!
//! Dispatch is a chain: each handler module looks at the request and either answers it
//! (`Some(outcome)`) or passes (`None`) to the next one; a request nobody takes is answered
//! kFPCallNotSupported (-5024), and the session lives on (spec `afp-dsi.md` §2.1).
//! Login-state and AFP-version gating happen before dispatch, in [`crate::session`].
//!
//! | module | commands |
//! |---|---|
//! | [`server`] | session-level calls: FPGetSrvrInfo, FPGetUserInfo, FPGetSrvrMsg, FPMapID, FPMapName, FPChangePassword, FPGetSessionToken, FPDisconnectOldSession, FPZzzzz, FPLogout |
//! | [`volume`] | FPGetSrvrParms, FPOpenVol, FPCloseVol, FPGetVolParms, FPSetVolParms, FPFlush |
//! | [`catalog`] | files and directories: parameters, enumerate, create, delete, rename, move, copy, exchange, IDs, extended attributes, comments, desktop database, catalog search |
//! | [`fork`] | FPOpenFork, reads, writes, flush, sync, fork parameters, byte-range locks |

use std::io;

use afp_proto::ResultCode;
use afp_proto::command::Request;
use bytes::Bytes;

use crate::session::Session;

pub mod catalog;
pub mod fork;
pub mod server;
pub mod volume;

/// What a handler answers: the AFP result code (DSI header error field) and the reply block.
///
/// Some errors carry a reply block too (FPOpenFork's kFPDenyConflict returns the file
/// parameters with fork ref 0; FPCreateID's kFPIDExists returns the existing ID; a short
/// FPReadExt returns the data with kFPEOFErr).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The AFP result code.
    pub result: ResultCode,
    /// The reply block (may be empty).
    pub payload: Bytes,
}

impl Outcome {
    /// Success with a reply block.
    pub fn ok(payload: impl Into<Bytes>) -> Outcome {
        Outcome {
            result: ResultCode::NO_ERR,
            payload: payload.into(),
        }
    }

    /// Success with an empty reply block.
    pub fn done() -> Outcome {
        Outcome::ok(Bytes::new())
    }

    /// An error with an empty reply block.
    pub fn err(result: ResultCode) -> Outcome {
        Outcome {
            result,
            payload: Bytes::new(),
        }
    }

    /// A result code together with a reply block.
    pub fn with(result: ResultCode, payload: impl Into<Bytes>) -> Outcome {
        Outcome {
            result,
            payload: payload.into(),
        }
    }
}

impl From<ResultCode> for Outcome {
    fn from(result: ResultCode) -> Outcome {
        Outcome::err(result)
    }
}

/// A handler's result: `Err(code)` is answered with that code and an empty reply block, so
/// handlers can use `?` on anything that maps to a [`ResultCode`].
pub type AfpResult<T = Outcome> = Result<T, ResultCode>;

/// The data of a DSIWrite (FPWrite, FPWriteExt, FPAddIcon), delivered in pieces as it
/// arrives from the network, so no session buffers a whole request quantum.
pub trait WriteSource {
    /// Number of data bytes the DSI header announced.
    fn len(&self) -> u64;

    /// True when the request carries no data.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The next piece of data; `None` once everything was delivered or the connection
    /// dropped. A handler that rejects a write need not read the rest: the caller discards
    /// whatever is left before replying.
    fn next_chunk(&mut self) -> Option<Bytes>;
}

/// Answers one request. `data` is the DSIWrite data stream for FPWrite, FPWriteExt and
/// FPAddIcon, `None` for everything else.
pub fn dispatch(s: &mut Session, req: &Request, data: Option<&mut dyn WriteSource>) -> Outcome {
    let mut data = data;
    server::dispatch(s, req)
        .or_else(|| volume::dispatch(s, req))
        .or_else(|| catalog::dispatch(s, req, &mut data))
        .or_else(|| fork::dispatch(s, req, &mut data))
        .unwrap_or_else(|| Outcome::err(ResultCode::CALL_NOT_SUPPORTED))
}

/// Turns a handler result into what is sent.
pub fn finish(result: AfpResult) -> Outcome {
    result.unwrap_or_else(Outcome::err)
}

/// The usual mapping from an OS error to an AFP result code (netatalk's defaults, spec
/// `afp-dsi.md` §7 "Errno mapping"). Handlers that need a different code for one errno
/// (kFPDirNotFound for a missing directory in FPEnumerate, …) match it before calling this.
pub fn errno_result(e: &io::Error) -> ResultCode {
    match e.raw_os_error() {
        Some(libc::EACCES) | Some(libc::EPERM) => ResultCode::ACCESS_DENIED,
        Some(libc::ENOENT) | Some(libc::ENOTDIR) | Some(libc::ELOOP) => {
            ResultCode::OBJECT_NOT_FOUND
        }
        Some(libc::EEXIST) => ResultCode::OBJECT_EXISTS,
        Some(libc::ENOSPC) | Some(libc::EDQUOT) | Some(libc::EFBIG) => ResultCode::DISK_FULL,
        Some(libc::EROFS) => ResultCode::VOL_LOCKED,
        Some(libc::ENOTEMPTY) => ResultCode::DIR_NOT_EMPTY,
        Some(libc::EMFILE) | Some(libc::ENFILE) => ResultCode::TOO_MANY_FILES_OPEN,
        Some(libc::EISDIR) => ResultCode::OBJECT_TYPE_ERR,
        Some(libc::ENAMETOOLONG) | Some(libc::EINVAL) => ResultCode::PARAM_ERR,
        _ => ResultCode::MISC_ERR,
    }
}

/// `?`-friendly conversion of `io::Result` into [`AfpResult`] with [`errno_result`].
pub trait IoResultExt<T> {
    /// Maps the error with [`errno_result`].
    fn afp(self) -> AfpResult<T>;
}

impl<T> IoResultExt<T> for io::Result<T> {
    fn afp(self) -> AfpResult<T> {
        self.map_err(|e| errno_result(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_mapping_follows_netatalk() {
        let code = |e| errno_result(&io::Error::from_raw_os_error(e));
        assert_eq!(code(libc::EACCES), ResultCode::ACCESS_DENIED);
        assert_eq!(code(libc::ENOENT), ResultCode::OBJECT_NOT_FOUND);
        assert_eq!(code(libc::ENOSPC), ResultCode::DISK_FULL);
        assert_eq!(code(libc::EROFS), ResultCode::VOL_LOCKED);
        assert_eq!(code(libc::EIO), ResultCode::MISC_ERR);
    }
}
