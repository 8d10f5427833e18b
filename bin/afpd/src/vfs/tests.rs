//! Unit tests of the volume layer on a real directory (run as the test user; no AFP).

use std::net::SocketAddr;
use std::os::unix::fs::symlink;
use std::path::Path as FsPath;
use std::sync::Arc;

use afp_proto::params::{DirBitmap, FileBitmap};
use afp_proto::path::Path;
use afp_proto::{AfpVersion, ResultCode};
use cnid::Cnid;

use super::*;
use crate::accounts::UserInfo;
use crate::config::{Config, LoadOptions, ResolvedVolume};
use crate::rootsvc::RootService;

pub(crate) struct Fixture {
    pub dir: tempfile::TempDir,
    pub ov: OpenVolume,
    pub user: UserInfo,
}

pub(crate) fn me() -> UserInfo {
    let uid = rustix::process::getuid().as_raw();
    let gid = rustix::process::getgid().as_raw();
    UserInfo {
        name: "tester".into(),
        uid,
        gid,
        groups: vec![gid],
        home: None,
        full_name: String::new(),
        group_name: None,
        system_account: true,
        is_guest: false,
    }
}

pub(crate) fn volume_cfg(dir: &FsPath, extra: &str) -> ResolvedVolume {
    let vol = dir.join("vol");
    std::fs::create_dir_all(&vol).unwrap();
    let conf = dir.join("afp.conf");
    std::fs::write(
        &conf,
        format!(
            "[Global]\nvol dbpath = {}/db/$v\n\n[test1]\npath = {}\n{extra}\n",
            dir.display(),
            vol.display()
        ),
    )
    .unwrap();
    let loaded = Config::load(&conf, &LoadOptions::new(dir.join("state"))).unwrap();
    let client: SocketAddr = "127.0.0.1:1".parse().unwrap();
    let mut res = loaded.config.volumes_for(&me(), client);
    assert_eq!(res.volumes.len(), 1, "{:?}", res.skipped);
    res.volumes.remove(0)
}

pub(crate) fn fixture(extra: &str) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let cfg = volume_cfg(dir.path(), extra);
    let reg = VolumeRegistry::new();
    let root = RootService::start().unwrap();
    let vol = reg.open(&cfg, &root).unwrap();
    Fixture {
        ov: OpenVolume {
            vid: 1,
            vol,
            cfg: Arc::new(cfg),
        },
        dir,
        user: me(),
    }
}

impl Fixture {
    pub(crate) fn root(&self) -> std::path::PathBuf {
        self.dir.path().join("vol")
    }

    fn resolve(&self, did: u32, path: &[u8]) -> Result<Resolved, ResultCode> {
        self.ov
            .resolve(did, &Path::utf8(path.to_vec()), AfpVersion::V3_4)
    }
}

#[test]
fn resolves_root_and_names() {
    let f = fixture("");
    std::fs::create_dir_all(f.root().join("a/b")).unwrap();
    std::fs::write(f.root().join("a/b/f.txt"), b"hello").unwrap();

    let root = f.resolve(2, b"").unwrap();
    assert!(root.is_root());
    assert_eq!(root.parent_id(), Cnid::ROOT_PARENT);
    assert_eq!(root.mac_name, "test1");

    // DID 1 + volume name is the root; another name is not found; DID 1 alone is DID1.
    assert!(f.resolve(1, b"test1").unwrap().is_root());
    assert_eq!(
        f.resolve(1, b"nope").unwrap_err(),
        ResultCode::OBJECT_NOT_FOUND
    );
    assert_eq!(f.resolve(1, b"").unwrap_err(), DID1);
    assert_eq!(f.resolve(0, b"").unwrap_err(), ResultCode::PARAM_ERR);

    let file = f.resolve(2, b"a\0b\0f.txt").unwrap();
    assert!(file.is_file());
    assert_eq!(file.name, b"f.txt");
    let b = f.resolve(2, b"a\0b").unwrap();
    let b_id = b.target.as_ref().unwrap().did;
    assert!(b_id.is_assignable());
    // The same directory by its ID, and the file relative to it.
    let again = f.resolve(b_id.0, b"").unwrap();
    assert_eq!(again.target.unwrap().did, b_id);
    assert_eq!(again.dir.name.as_ref(), b"a");
    assert!(f.resolve(b_id.0, b"f.txt").unwrap().is_file());
    // Climbing: "f.txt\0\0" is a file in the middle; "\0\0b" from b is b itself.
    assert_eq!(
        f.resolve(b_id.0, b"f.txt\0\0").unwrap_err(),
        ResultCode::PARAM_ERR
    );
    assert_eq!(
        f.resolve(b_id.0, b"\0\0b").unwrap().target.unwrap().did,
        b_id
    );
    // Two levels up from b is the root; three is DID 1; DID 1 then the volume name.
    assert!(f.resolve(b_id.0, b"\0\0\0").unwrap().is_root());
    assert_eq!(f.resolve(b_id.0, b"\0\0\0\0").unwrap_err(), DID1);
    assert!(f.resolve(b_id.0, b"\0\0\0\0test1").unwrap().is_root());
    // A missing last element is returned for create calls; a missing middle one is not.
    let missing = f.resolve(2, b"a\0new").unwrap();
    assert_eq!(missing.stat.unwrap_err(), libc::ENOENT);
    assert_eq!(
        f.resolve(2, b"nope\0x").unwrap_err(),
        ResultCode::OBJECT_NOT_FOUND
    );
    // A file's ID is not a directory.
    let fid =
        f.ov.file_params_of(
            &file,
            FileBitmap::NODE_ID,
            Some(&f.user),
            AfpVersion::V3_4,
            (false, false),
        )
        .unwrap()
        .node_id
        .unwrap();
    assert_eq!(
        f.resolve(fid, b"").unwrap_err(),
        ResultCode::OBJECT_TYPE_ERR
    );
    assert_eq!(
        f.resolve(99_999, b"").unwrap_err(),
        ResultCode::OBJECT_NOT_FOUND
    );
}

#[test]
fn refuses_escapes_and_hidden_names() {
    let f = fixture("");
    let outside = f.dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret"), b"x").unwrap();
    symlink(&outside, f.root().join("link")).unwrap();
    std::fs::create_dir(f.root().join(".AppleDB")).unwrap();
    std::fs::write(f.root().join("._x"), {
        let mut h = Vec::new();
        cnid::appledouble::Sidecar::netatalk([0; 32], 0).encode_header(&mut h);
        h
    })
    .unwrap();
    std::fs::write(f.root().join("._mac"), b"not appledouble").unwrap();

    assert_eq!(f.resolve(2, b"..").unwrap_err(), ResultCode::PARAM_ERR);
    // "a/.." is one name ("a:.." on disk), not a climb.
    assert_eq!(
        f.resolve(2, b"a/..").unwrap().stat.unwrap_err(),
        libc::ENOENT
    );
    // A symlink is a file: never followed, not usable as a directory.
    let l = f.resolve(2, b"link").unwrap();
    assert!(l.is_file());
    assert_eq!(
        f.resolve(2, b"link\0secret").unwrap_err(),
        ResultCode::PARAM_ERR
    );
    assert_eq!(
        f.resolve(2, b".AppleDB").unwrap_err(),
        ResultCode::PARAM_ERR
    );
    assert_eq!(f.resolve(2, b"._x").unwrap_err(), ResultCode::PARAM_ERR);
    assert!(f.resolve(2, b"._mac").unwrap().is_file());
    // A '/' in a client name is a ':' on disk, never a separator.
    std::fs::write(f.root().join("a:b"), b"").unwrap();
    let r = f.resolve(2, b"a/b").unwrap();
    assert_eq!(r.name, b"a:b");
    assert_eq!(r.mac_name, "a/b");
    // Symlink parameters: slnk/rhap.
    let p =
        f.ov.file_params_of(
            &l,
            FileBitmap::FINDER_INFO | FileBitmap::UNIX_PRIVS,
            Some(&f.user),
            AfpVersion::V3_4,
            (false, false),
        )
        .unwrap();
    assert_eq!(&p.finder_info.unwrap().0[0..8], b"slnkrhap");
    assert_eq!(
        p.unix_privs.unwrap().permissions & libc::S_IFMT,
        libc::S_IFLNK
    );
}

#[test]
fn netatalk_metadata_is_read_and_ids_survive_moves() {
    let f = fixture("");
    std::fs::write(f.root().join("doc"), b"data").unwrap();
    let r = f.resolve(2, b"doc").unwrap();
    let st = *r.st().unwrap();
    // Metadata as netatalk writes it, caching CNID 4242 for this dev/ino.
    let mut md = cnid::appledouble::Metadata::default();
    md.finder_info[0..8].copy_from_slice(b"TEXTttxt");
    md.set_comment(b"hello").unwrap();
    md.set_cnid(st.st_dev, st.st_ino, Cnid(4242), *b"STAMP123", false);
    meta::write(r.dir.fd(), &r.name, &md).unwrap();

    let bitmap = FileBitmap::NODE_ID | FileBitmap::FINDER_INFO | FileBitmap::PARENT_DIR_ID;
    let p =
        f.ov.file_params_of(&r, bitmap, Some(&f.user), AfpVersion::V3_4, (false, false))
            .unwrap();
    assert_eq!(
        p.node_id,
        Some(4242),
        "the cached CNID is reused as the hint"
    );
    assert_eq!(&p.finder_info.unwrap().0[0..8], b"TEXTttxt");
    assert_eq!(p.parent_id, Some(2));
    assert_eq!(r.meta().comment(), b"hello");

    // Moved outside AFP: the hint brings the same ID back.
    std::fs::create_dir(f.root().join("d")).unwrap();
    std::fs::rename(f.root().join("doc"), f.root().join("d/doc2")).unwrap();
    let moved = f.resolve(2, b"d\0doc2").unwrap();
    let p =
        f.ov.file_params_of(
            &moved,
            FileBitmap::NODE_ID,
            Some(&f.user),
            AfpVersion::V3_4,
            (false, false),
        )
        .unwrap();
    assert_eq!(p.node_id, Some(4242));
}

#[test]
fn directory_params_and_offspring() {
    let f = fixture("");
    std::fs::create_dir(f.root().join("d")).unwrap();
    for n in ["x", "y", "._y"] {
        std::fs::write(f.root().join("d").join(n), b"").unwrap();
    }
    let r = f.resolve(2, b"d").unwrap();
    let t = r.target.clone().unwrap();
    let st = *r.st().unwrap();
    let m = r.meta();
    let o = Obj {
        dir: r.dir.fd(),
        name: &r.name,
        mac_name: &r.mac_name,
        parent_id: r.parent_id(),
        id: t.did,
        st: &st,
        meta: &m,
        self_fd: Some(t.fd()),
        forks_open: (false, false),
    };
    let who = Asker {
        user: Some(&f.user),
        version: AfpVersion::V3_4,
    };
    let p =
        f.ov.vol
            .dir_params(
                &o,
                DirBitmap::OFFSPRING_COUNT | DirBitmap::NODE_ID | DirBitmap::ACCESS_RIGHTS,
                who,
            )
            .unwrap();
    // "._y" is not netatalk's (no AppleDouble header): it is listed.
    assert_eq!(p.offspring_count, Some(3));
    assert_eq!(p.node_id, Some(t.did.0));
    assert_ne!(
        p.access_rights.unwrap().bits() & 0x8000_0000,
        0,
        "owner bit"
    );
    // Bit 14 is invalid for directories.
    assert_eq!(
        f.ov.vol
            .dir_params(&o, DirBitmap::from_bits_retain(0x4000), who)
            .unwrap_err(),
        ResultCode::BITMAP_ERR
    );
}

#[test]
fn resource_fork_sidecar() {
    let f = fixture("");
    std::fs::write(f.root().join("r"), b"").unwrap();
    let r = f.resolve(2, b"r").unwrap();
    assert_eq!(rsrc::rsrc_len(r.dir.fd(), &r.name), 0);
    let how = RsrcOpen {
        write: true,
        create: true,
        mode: 0o644,
        finder_info: [0; 32],
    };
    let fork = rsrc::open_rsrc(r.dir.fd(), &r.name, how).unwrap().unwrap();
    fork.write_all_at(b"resource!", 0).unwrap();
    fork.sync_header().unwrap();
    assert_eq!(rsrc::rsrc_len(r.dir.fd(), &r.name), 9);
    let side = std::fs::read(f.root().join("._r")).unwrap();
    assert_eq!(side.len(), 82 + 9);
    assert_eq!(&side[46..50], &9u32.to_be_bytes());
    // The sidecar is hidden and refused as a name.
    assert_eq!(f.resolve(2, b"._r").unwrap_err(), ResultCode::PARAM_ERR);
    fork.set_len(3).unwrap();
    assert_eq!(rsrc::rsrc_len(r.dir.fd(), &r.name), 3);
}

#[test]
fn size_limit_counts_sparse_bundles() {
    let f = fixture("vol size limit = 1\ntime machine = yes");
    let bundle = f.root().join("m.sparsebundle");
    std::fs::create_dir_all(bundle.join("bands")).unwrap();
    std::fs::write(
        bundle.join("Info.plist"),
        "<plist><dict><key>band-size</key><integer>262144</integer></dict></plist>",
    )
    .unwrap();
    for i in 0..3 {
        std::fs::write(bundle.join("bands").join(format!("{i:x}")), b"").unwrap();
    }
    let (total, free, _) = f.ov.vol.space().unwrap();
    assert_eq!(total, 1 << 20);
    assert_eq!(free, (1 << 20) - 2 * 262_144);
    assert!(f.ov.vol.check_room(262_144).is_ok());
    assert_eq!(
        f.ov.vol.check_room(2 * 262_144 + 1).unwrap_err(),
        ResultCode::DISK_FULL
    );
    f.ov.vol.note_growth(262_144);
    assert_eq!(
        f.ov.vol.check_room(262_144 + 1).unwrap_err(),
        ResultCode::DISK_FULL
    );
}
