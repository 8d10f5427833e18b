//! Helpers shared by the `catalog_*` integration tests: a server with volume `test1`, a
//! logged-in client, and short forms of the catalog calls that answer the exact AFP
//! result code.
#![allow(dead_code, unreachable_pub)]

use afp_proto::command::{self, Reply, Request};
use afp_proto::params::{DirBitmap, DirParams, FileBitmap, FileDirParams, FileParams};
use afp_proto::path::Path;
use afp_proto::{AfpVersion, ResultCode};
use bytes::Bytes;

use crate::common::{AfpClient, TestServer};

/// The volume root's directory ID.
pub const ROOT: u32 = 2;

/// A server with volume `test1`, a client logged in as its first account (AFP 3.4), and
/// the volume's ID.
pub fn setup() -> (TestServer, AfpClient, u16) {
    let srv = TestServer::builder().volume("test1").start();
    let mut c = srv.login();
    let vid = c.open_volume("test1");
    (srv, c, vid)
}

/// A UTF-8 path; '/' in the test string is an element separator (NUL), as in netatalk's
/// test client.
pub fn p(path: &str) -> Path {
    let bytes: Vec<u8> = path
        .bytes()
        .map(|b| if b == b'/' { 0 } else { b })
        .collect();
    Path::utf8(bytes)
}

/// A UTF-8 path taken literally (a '/' stays part of the name).
pub fn lit(name: &str) -> Path {
    Path::utf8(Bytes::copy_from_slice(name.as_bytes()))
}

/// The result code of a request.
pub fn code(c: &mut AfpClient, req: impl Into<Request>) -> ResultCode {
    c.call(req).0
}

/// FPGetFileDirParms: the parameters (file or directory).
pub fn gfdp(
    c: &mut AfpClient,
    vid: u16,
    did: u32,
    path: Path,
    fb: FileBitmap,
    db: DirBitmap,
) -> Result<FileDirParams, ResultCode> {
    match c.request(command::GetFileDirParms {
        volume_id: vid,
        dir_id: did,
        file_bitmap: fb,
        dir_bitmap: db,
        path,
    })? {
        Reply::GetFileDirParms(r) => Ok(r.params),
        r => panic!("unexpected {r:?}"),
    }
}

/// File parameters of a file.
pub fn file(
    c: &mut AfpClient,
    vid: u16,
    did: u32,
    path: &str,
    fb: FileBitmap,
) -> Result<FileParams, ResultCode> {
    match gfdp(c, vid, did, p(path), fb, DirBitmap::empty())? {
        FileDirParams::File(f) => Ok(f),
        FileDirParams::Dir(_) => panic!("{path} is a directory"),
    }
}

/// Directory parameters of a directory.
pub fn dir(
    c: &mut AfpClient,
    vid: u16,
    did: u32,
    path: &str,
    db: DirBitmap,
) -> Result<DirParams, ResultCode> {
    match gfdp(c, vid, did, p(path), FileBitmap::empty(), db)? {
        FileDirParams::Dir(d) => Ok(d),
        FileDirParams::File(_) => panic!("{path} is a file"),
    }
}

/// A file's ID.
pub fn fid(c: &mut AfpClient, vid: u16, did: u32, path: &str) -> u32 {
    file(c, vid, did, path, FileBitmap::NODE_ID)
        .unwrap_or_else(|e| panic!("file ID of {path}: {e:?}"))
        .node_id
        .unwrap()
}

/// A directory's ID.
pub fn did_of(c: &mut AfpClient, vid: u16, did: u32, path: &str) -> u32 {
    dir(c, vid, did, path, DirBitmap::NODE_ID)
        .unwrap_or_else(|e| panic!("directory ID of {path}: {e:?}"))
        .node_id
        .unwrap()
}

/// FPSetFileParms.
pub fn set_file(
    c: &mut AfpClient,
    vid: u16,
    did: u32,
    path: &str,
    params: &FileParams,
) -> ResultCode {
    code(c, command::SetFileParms::new(vid, did, p(path), params))
}

/// FPSetDirParms.
pub fn set_dir(
    c: &mut AfpClient,
    vid: u16,
    did: u32,
    path: &str,
    params: &DirParams,
) -> ResultCode {
    code(c, command::SetDirParms::new(vid, did, p(path), params))
}

/// Writes `data` into the data fork of a file (open, write, close).
pub fn write_file(c: &mut AfpClient, vid: u16, did: u32, path: &str, data: &[u8]) {
    let fork = c.open_data_rw(vid, did, path).expect("open for writing");
    c.write_all(fork, 0, data).expect("write");
    c.close_fork(fork).expect("close");
}

/// Reads the whole data fork of a file.
pub fn read_file(c: &mut AfpClient, vid: u16, did: u32, path: &str) -> Vec<u8> {
    let fork = c
        .open_fork(
            vid,
            did,
            path,
            false,
            command::AccessMode::READ,
            FileBitmap::empty(),
        )
        .expect("open for reading")
        .fork;
    let data = c.read_all(fork, 0, 1 << 20).unwrap_or_default();
    c.close_fork(fork).expect("close");
    data.to_vec()
}

/// The session's AFP version is 3.4.
pub fn v34() -> AfpVersion {
    AfpVersion::V3_4
}
