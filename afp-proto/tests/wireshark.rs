//! Golden check against Wireshark's AFP dissector: requests and replies encoded by this
//! crate are wrapped in DSI headers, written to a pcap with `text2pcap` (TCP port 548,
//! 127.0.0.1 both ways, each reply after its request) and dissected with `tshark`. The test
//! asserts the fields Wireshark decodes and that no frame is malformed or carries an
//! expert error.
//!
//! Needs `tshark` and `text2pcap` (Debian package `tshark`, which pulls in
//! `wireshark-common`); the test fails with a clear message when they are missing.
//!
//! Known Wireshark 4.0 quirks, left out on purpose: FPSyncDir (it reads an extra
//! directory ID), FPMapName subfunctions 1/2 (it reads a pstr), FPGetAPPL replies (it
//! skips the bitmap), the FPOpenVol password (it ignores the pad before it).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::Command;

use afp_proto::command::*;
use afp_proto::params::*;
use afp_proto::status::{NetworkAddress, ServerFlags, ServerStatus};
use afp_proto::{AfpDate, AfpName, Path, ResultCode};
use bytes::{Bytes, BytesMut};

const DSI_COMMAND: u8 = 2;
const DSI_GET_STATUS: u8 = 3;
const DSI_WRITE: u8 = 6;

/// The 16-byte DSI header (spec §1.2) followed by `payload`.
fn dsi(reply: bool, command: u8, id: u16, code: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + payload.len());
    out.push(u8::from(reply));
    out.push(command);
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&code.to_be_bytes());
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(payload);
    out
}

#[derive(Default)]
struct Capture {
    /// (to the server?, bytes)
    packets: Vec<(bool, Vec<u8>)>,
    next_id: u16,
}

impl Capture {
    /// Adds a request and its reply; returns their frame numbers.
    fn exchange(
        &mut self,
        command: u8,
        request: &[u8],
        offset: u32,
        result: ResultCode,
        reply: &[u8],
    ) -> (usize, usize) {
        self.next_id += 1;
        let id = self.next_id;
        self.packets
            .push((true, dsi(false, command, id, offset, request)));
        self.packets
            .push((false, dsi(true, command, id, result.to_wire(), reply)));
        (self.packets.len() - 1, self.packets.len())
    }

    fn command(
        &mut self,
        req: impl Into<Request>,
        result: ResultCode,
        reply: &Reply,
    ) -> (usize, usize) {
        let mut q = BytesMut::new();
        req.into().encode(&mut q);
        let mut r = BytesMut::new();
        reply.encode(&mut r);
        self.exchange(DSI_COMMAND, &q, 0, result, &r)
    }

    fn text(&self) -> String {
        let mut s = String::new();
        for (to_server, bytes) in &self.packets {
            // text2pcap -D: "I" packets go 50000 -> 548 with our -T, "O" the other way.
            s.push_str(if *to_server { "I\n" } else { "O\n" });
            for (i, chunk) in bytes.chunks(16).enumerate() {
                let _ = write!(s, "{:06x}", i * 16);
                for b in chunk {
                    let _ = write!(s, " {b:02x}");
                }
                s.push('\n');
            }
        }
        s
    }
}

fn require(tool: &str) {
    let ok = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "`{tool}` is needed by this test and was not found: install Wireshark's command-line \
         tools (Debian/Ubuntu: `apt-get install tshark`, which brings text2pcap)"
    );
}

struct Dissection {
    /// One map per frame: field name -> values (comma-separated occurrences).
    frames: Vec<HashMap<String, String>>,
    /// Mismatches, reported together by `finish`.
    failures: std::cell::RefCell<Vec<String>>,
}

impl Dissection {
    fn get(&self, frame: usize, field: &str) -> &str {
        self.frames[frame - 1]
            .get(field)
            .map(String::as_str)
            .unwrap_or("")
    }

    #[track_caller]
    fn expect(&self, frame: usize, field: &str, want: &str) {
        let got = self.get(frame, field);
        if got != want {
            let line = std::panic::Location::caller().line();
            self.failures.borrow_mut().push(format!(
                "line {line}: frame {frame} {field} = {got:?}, want {want:?}"
            ));
        }
    }

    #[track_caller]
    fn expect_contains(&self, frame: usize, field: &str, want: &str) {
        let got = self.get(frame, field);
        if !got.contains(want) {
            let line = std::panic::Location::caller().line();
            self.failures.borrow_mut().push(format!(
                "line {line}: frame {frame} {field} = {got:?} lacks {want:?}"
            ));
        }
    }

    fn finish(self) {
        let failures = self.failures.into_inner();
        assert!(
            failures.is_empty(),
            "Wireshark disagrees:\n{}",
            failures.join("\n")
        );
    }
}

const FIELDS: &[&str] = &[
    "frame.number",
    "_ws.malformed",
    "_ws.expert.severity",
    "_ws.expert.message",
    "dsi.command",
    "dsi.data_offset",
    "afp.command",
    "afp.ip_port_reused",
    "afp.server_name",
    "afp.server_type",
    "afp.server_vers",
    "afp.server_uams",
    "afp.server_flag",
    "afp.utf8_server_name",
    "afp.server_signature",
    "afp.server_addr.type",
    "afp.server_addr.value",
    "afp.Version",
    "afp.UAM",
    "afp.user",
    "afp.passwd",
    "afp.user_name",
    "afp.user_type",
    "afp.vol_bitmap",
    "afp.vol_name",
    "afp.vol_id",
    "afp.vol_attributes",
    "afp.vol_signature",
    "afp.vol_ex_bytes_free",
    "afp.vol_block_size",
    "afp.vol_flag",
    "afp.did",
    "afp.file_bitmap",
    "afp.dir_bitmap",
    "afp.path_type",
    "afp.path_name",
    "afp.path_unicode_hint",
    "afp.file_flag",
    "afp.file_id",
    "afp.dir_offspring",
    "afp.dir_owner_id",
    "afp.dir_group_id",
    "afp.dir_ar",
    "afp.unix_privs.uid",
    "afp.unix_privs.permissions",
    "afp.long_name_offset",
    "afp.unicode_name_offset",
    "afp.req_count",
    "afp.start_index32",
    "afp.reply_size32",
    "afp.struct_size16",
    "afp.struct_size",
    "afp.access",
    "afp.ofork",
    "afp.ext_data_fork_len",
    "afp.data_fork_len",
    "afp.offset64",
    "afp.rw_count64",
    "afp.last_written64",
    "afp.lock_offset64",
    "afp.lock_len64",
    "afp.lock_range_start64",
    "afp.flag",
    "afp.extattr.name",
    "afp.extattr.len",
    "afp.extattr.data",
    "afp.extattr.reply_size",
    "afp.user_ID",
    "afp.group_ID",
    "afp.user_bitmap",
    "afp.session_token_type",
    "afp.session_token_timestamp",
    "afp.session_token",
    "afp.session_token_len",
    "afp.create_flag",
    "afp.file_attribute",
    "afp.modification_date",
    "afp.cat_count",
    "afp.cat_req_matches",
    "afp.map_id_type",
    "afp.map_id",
    "afp.map_name",
    "afp.map_name_type",
    "afp.message_type",
    "afp.message",
    "afp.comment",
    "afp.lock_op",
    "afp.rw_count",
    "afp.offset",
    "afp.last_written",
    "data.len",
];

fn dissect(cap: &Capture, name: &str) -> Dissection {
    require("text2pcap");
    require("tshark");
    let dir =
        std::env::temp_dir().join(format!("afp-proto-wireshark-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let txt: PathBuf = dir.join("dump.txt");
    let pcap: PathBuf = dir.join("dump.pcap");
    std::fs::write(&txt, cap.text()).unwrap();
    let out = Command::new("text2pcap")
        .args(["-q", "-D", "-T", "50000,548", "-4", "127.0.0.1,127.0.0.1"])
        .arg(&txt)
        .arg(&pcap)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "text2pcap: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut cmd = Command::new("tshark");
    cmd.arg("-r")
        .arg(&pcap)
        .args(["-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,"]);
    for f in FIELDS {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "tshark: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_dir_all(&dir).unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let frames: Vec<HashMap<String, String>> = text
        .lines()
        .map(|line| {
            FIELDS
                .iter()
                .zip(line.split('\t'))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .collect();
    assert_eq!(frames.len(), cap.packets.len(), "tshark read every frame");
    let d = Dissection {
        frames,
        failures: Default::default(),
    };
    for (i, f) in d.frames.iter().enumerate() {
        let frame = i + 1;
        assert_eq!(
            d.get(frame, "_ws.malformed"),
            "",
            "frame {frame} is malformed: {f:?}"
        );
        assert_eq!(
            d.get(frame, "afp.ip_port_reused"),
            "",
            "frame {frame}: {f:?}"
        );
        for sev in d
            .get(frame, "_ws.expert.severity")
            .split(',')
            .filter(|s| !s.is_empty())
        {
            let sev: u32 = sev.parse().unwrap();
            // PI_ERROR = 0x00800000; TCP notes/warnings on a synthetic capture are fine.
            assert!(
                sev < 0x0080_0000,
                "frame {frame} has an expert error: {:?}",
                d.get(frame, "_ws.expert.message")
            );
        }
    }
    d
}

fn status() -> ServerStatus {
    ServerStatus {
        flags: ServerFlags::NETATALK_DEFAULT,
        server_name: Bytes::from_static(b"myserver"),
        machine_type: Bytes::from_static(b"Netatalk3.1.7"),
        afp_versions: ["AFP2.2", "AFPX03", "AFP3.1", "AFP3.2", "AFP3.3", "AFP3.4"]
            .iter()
            .map(|v| Bytes::from_static(v.as_bytes()))
            .collect(),
        uams: vec![
            Bytes::from_static(b"DHCAST128"),
            Bytes::from_static(b"DHX2"),
        ],
        icon: Some(Bytes::from(vec![0x55; 256])),
        signature: Some(core::array::from_fn(|i| i as u8)),
        addresses: Some(vec![NetworkAddress::Ipv4(Ipv4Addr::new(192, 168, 1, 10))]),
        directory_names: Some(vec![]),
        utf8_server_name: Some(Bytes::from_static(b"myserver")),
    }
}

fn utf8(s: &'static str) -> Path {
    Path::utf8(Bytes::from_static(s.as_bytes()))
}

fn name(s: &'static str) -> AfpName {
    AfpName::new(Bytes::from_static(s.as_bytes()))
}

#[test]
fn wireshark_decodes_status_login_and_volume_calls() {
    let mut cap = Capture::default();

    // DSIGetStatus: the status block of spec §3.3 (FPGetSrvrInfo's reply).
    let mut block = BytesMut::new();
    status().encode(&mut block);
    let (_, st) = cap.exchange(DSI_GET_STATUS, &[], 0, ResultCode::NO_ERR, &block);

    let dhx2 = Login {
        version: Bytes::from_static(b"AFP3.4"),
        uam: Bytes::from_static(b"DHX2"),
        user_auth_info: Bytes::from_static(b"\x05alice\x00"),
    };
    let (login, _) = cap.command(
        dhx2,
        ResultCode::AUTH_CONTINUE,
        &Reply::Login(Bytes::from_static(&[0, 1, 0, 0, 0, 7])),
    );
    let clear = Login {
        version: Bytes::from_static(b"AFP3.4"),
        uam: Bytes::from_static(b"Cleartxt Passwrd"),
        // offset 25 + pstr "bob" = 29, pad to 30, then the 8-byte password.
        user_auth_info: Bytes::from_static(b"\x03bob\x00secret\x00\x00"),
    };
    let (clear_login, _) = cap.command(clear, ResultCode::NO_ERR, &Reply::Login(Bytes::new()));
    let ext = LoginExt {
        flags: 0,
        version: Bytes::from_static(b"AFP3.4"),
        uam: Bytes::from_static(b"Cleartxt Passwrd"),
        user_name: Bytes::from_static(b"bob"),
        dir_service: (3, Bytes::new()),
        user_auth_info: Bytes::from_static(b"secret\x00\x00"),
    };
    let (login_ext, _) = cap.command(ext, ResultCode::NO_ERR, &Reply::LoginExt(Bytes::new()));

    let (_, parms) = cap.command(
        GetSrvrParms,
        ResultCode::NO_ERR,
        &Reply::GetSrvrParms(ServerParms {
            server_time: AfpDate(700_000_000),
            volumes: vec![
                VolumeEntry {
                    flags: VolumeEntry::HAS_UNIX_PRIVS,
                    name: Bytes::from_static(b"Data"),
                },
                VolumeEntry {
                    flags: 0,
                    name: Bytes::from_static(b"TimeMachine"),
                },
            ],
        }),
    );

    let vol = VolumeParams {
        attributes: Some(
            VolumeAttributes::SUPPORTS_FILE_IDS | VolumeAttributes::SUPPORTS_UTF8_NAMES,
        ),
        signature: Some(2),
        volume_id: Some(1),
        name: Some(Bytes::from_static(b"Data")),
        ext_bytes_free: Some(1 << 40),
        block_size: Some(4096),
        ..VolumeParams::default()
    };
    let open = OpenVol {
        bitmap: vol.bitmap(),
        name: Bytes::from_static(b"Data"),
        password: None,
    };
    let (ov_q, ov_r) = cap.command(open, ResultCode::NO_ERR, &Reply::OpenVol(vol.clone()));
    let (gv_q, gv_r) = cap.command(
        GetVolParms {
            volume_id: 1,
            bitmap: vol.bitmap(),
        },
        ResultCode::NO_ERR,
        &Reply::GetVolParms(vol),
    );
    let (ui_q, ui_r) = cap.command(
        GetUserInfo {
            flags: GetUserInfo::THIS_USER,
            user_id: 0,
            bitmap: UserInfoBitmap::USER_ID | UserInfoBitmap::PRIMARY_GROUP_ID,
        },
        ResultCode::NO_ERR,
        &Reply::GetUserInfo(UserInfo {
            user_id: Some(1000),
            group_id: Some(100),
            uuid: None,
        }),
    );
    let (tok_q, tok_r) = cap.command(
        GetSessionToken {
            kind: TokenType::LOGIN_WITH_TIME_AND_ID,
            timestamp: Some(0x5F00_0000),
            id: Bytes::from_static(b"client-1"),
        },
        ResultCode::NO_ERR,
        &Reply::GetSessionToken(SessionToken {
            token: Bytes::from_static(&[0, 0, 0x30, 0x39, 0, 0, 0, 0]),
        }),
    );
    let (msg_q, msg_r) = cap.command(
        GetSrvrMsg {
            kind: 1,
            bitmap: 0x3,
        },
        ResultCode::NO_ERR,
        &Reply::GetSrvrMsg(ServerMessage {
            kind: 1,
            bitmap: 0x3,
            message: Bytes::from_static(b"going down"),
        }),
    );

    let d = dissect(&cap, "session");
    d.expect(st, "afp.server_name", "myserver");
    d.expect(st, "afp.server_type", "Netatalk3.1.7");
    d.expect(
        st,
        "afp.server_vers",
        "AFP2.2,AFPX03,AFP3.1,AFP3.2,AFP3.3,AFP3.4",
    );
    d.expect(st, "afp.server_uams", "DHCAST128,DHX2");
    d.expect(st, "afp.server_flag", "0x8f79");
    d.expect(st, "afp.utf8_server_name", "myserver");
    d.expect(
        st,
        "afp.server_signature",
        "000102030405060708090a0b0c0d0e0f",
    );
    d.expect(st, "afp.server_addr.type", "1");
    d.expect(st, "afp.server_addr.value", "c0a8010a");

    d.expect(login, "afp.command", "18");
    d.expect(login, "afp.Version", "AFP3.4");
    d.expect(login, "afp.UAM", "DHX2");
    d.expect(login, "afp.user", "alice");
    d.expect(clear_login, "afp.UAM", "Cleartxt Passwrd");
    d.expect(clear_login, "afp.user", "bob");
    d.expect(clear_login, "afp.passwd", "secret");
    d.expect(login_ext, "afp.command", "63");
    d.expect(login_ext, "afp.user_type", "0x03");
    d.expect(login_ext, "afp.user_name", "bob");
    d.expect(login_ext, "afp.passwd", "secret");

    d.expect(parms, "afp.command", "16");
    d.expect(parms, "afp.vol_name", "Data,TimeMachine");
    d.expect(parms, "afp.vol_flag", "0x01,0x00");

    d.expect(ov_q, "afp.command", "24");
    d.expect(ov_q, "afp.vol_bitmap", "0x0b23");
    d.expect(ov_q, "afp.vol_name", "Data");
    for f in [ov_r, gv_r] {
        d.expect(f, "afp.vol_id", "1");
        d.expect(f, "afp.vol_signature", "2");
        d.expect(f, "afp.vol_attributes", "0x0044");
        d.expect(f, "afp.vol_name", "Data");
        d.expect(f, "afp.vol_ex_bytes_free", "1099511627776");
        d.expect(f, "afp.vol_block_size", "4096");
    }
    d.expect(gv_q, "afp.vol_id", "1");
    d.expect(ui_q, "afp.user_bitmap", "0x0003");
    d.expect(ui_r, "afp.user_ID", "1000");
    d.expect(ui_r, "afp.group_ID", "100");
    d.expect(tok_q, "afp.session_token_type", "0x0003");
    d.expect(tok_q, "afp.session_token_len", "8");
    d.expect(tok_q, "afp.session_token_timestamp", "0x5f000000");
    d.expect(tok_q, "afp.session_token", "636c69656e742d31");
    d.expect(tok_r, "afp.session_token", "0000303900000000");
    d.expect(msg_q, "afp.message_type", "0x0001");
    d.expect(msg_r, "afp.message", "going down");
    d.finish();
}

fn dir_params() -> DirParams {
    DirParams {
        attributes: Some(DirAttributes::empty()),
        parent_id: Some(2),
        mod_date: Some(AfpDate(100)),
        long_name: Some(Bytes::from_static(b"docs")),
        node_id: Some(18),
        offspring_count: Some(3),
        owner_id: Some(1000),
        group_id: Some(100),
        access_rights: Some(AccessRights::from_bits_retain(0x8707_0707)),
        utf8_name: Some(name("docs")),
        unix_privs: Some(UnixPrivs {
            uid: 1000,
            gid: 100,
            permissions: 0o040755,
            ua_permissions: AccessRights::from_bits_retain(0x8707_0707),
        }),
        ..DirParams::default()
    }
}

fn file_params(n: &'static str, id: u32, len: u64) -> FileParams {
    FileParams {
        attributes: Some(FileAttributes::empty()),
        parent_id: Some(18),
        long_name: Some(Bytes::from_static(n.as_bytes())),
        node_id: Some(id),
        ext_data_fork_len: Some(len),
        utf8_name: Some(name(n)),
        ..FileParams::default()
    }
}

#[test]
fn wireshark_decodes_catalog_and_fork_calls() {
    let mut cap = Capture::default();
    let dir = dir_params();
    let gfd = GetFileDirParms {
        volume_id: 1,
        dir_id: 2,
        file_bitmap: file_params("a", 1, 1).bitmap(),
        dir_bitmap: dir.bitmap(),
        path: utf8("docs"),
    };
    let reply = FileDirParmsReply::new(&gfd, FileDirParams::Dir(dir.clone()));
    let (gfd_q, gfd_r) = cap.command(gfd, ResultCode::NO_ERR, &Reply::GetFileDirParms(reply));

    let fb = file_params("a.txt", 19, 0).bitmap();
    let sub = DirParams {
        offspring_count: Some(0),
        ..dir.clone()
    };
    let en = EnumerateExt2 {
        volume_id: 1,
        dir_id: 18,
        file_bitmap: fb,
        dir_bitmap: sub.bitmap(),
        req_count: 40,
        start_index: 1,
        max_reply_size: 8000,
        path: Path::empty(),
    };
    let mut body = BytesMut::new();
    let mut w = EnumerateReplyWriter::new(&mut body, EntryLength::Long, fb, sub.bitmap(), 8000);
    w.push(&FileDirParams::Dir(sub)).unwrap();
    w.push(&FileDirParams::File(file_params("a.txt", 19, 4096)))
        .unwrap();
    w.push(&FileDirParams::File(file_params("notes.md", 20, 3)))
        .unwrap();
    let mut q = BytesMut::new();
    Request::from(en).encode(&mut q);
    let (en_q, en_r) = cap.exchange(DSI_COMMAND, &q, 0, ResultCode::NO_ERR, &body);

    let old = Enumerate {
        volume_id: 1,
        dir_id: 18,
        file_bitmap: FileBitmap::LONG_NAME | FileBitmap::NODE_ID,
        dir_bitmap: DirBitmap::empty(),
        req_count: 10,
        start_index: 1,
        max_reply_size: 2000,
        path: Path::long(Bytes::new()),
    };
    let old_reply = EnumerateReply {
        file_bitmap: old.file_bitmap,
        dir_bitmap: old.dir_bitmap,
        entries: vec![FileDirParams::File(FileParams {
            long_name: Some(Bytes::from_static(b"x")),
            node_id: Some(5),
            ..FileParams::default()
        })],
    };
    let (_, old_r) = cap.command(old, ResultCode::NO_ERR, &Reply::Enumerate(old_reply));

    let fork_params = FileParams {
        node_id: Some(19),
        ext_data_fork_len: Some(4096),
        ..FileParams::default()
    };
    let (of_q, of_r) = cap.command(
        OpenFork {
            resource: false,
            volume_id: 1,
            dir_id: 18,
            bitmap: fork_params.bitmap(),
            access_mode: AccessMode::READ | AccessMode::WRITE | AccessMode::DENY_WRITE,
            path: utf8("a.txt"),
        },
        ResultCode::NO_ERR,
        &Reply::OpenFork(OpenForkReply {
            fork: 7,
            params: fork_params,
        }),
    );
    let (rd_q, rd_r) = cap.command(
        ReadExt {
            fork: 7,
            offset: 0,
            count: 512,
        },
        ResultCode::NO_ERR,
        &Reply::ReadExt(Bytes::from(vec![0xAB; 512])),
    );

    // FPWriteExt inside DSIWrite: data offset 20, then the data.
    let wr = WriteExt {
        start_end: false,
        fork: 7,
        offset: 4096,
        count: 1000,
    };
    let mut payload = BytesMut::new();
    wr.encode(&mut payload);
    assert_eq!(payload.len(), 20);
    payload.extend_from_slice(&[0x11; 1000]);
    let mut r = BytesMut::new();
    Reply::WriteExt { last_written: 5096 }.encode(&mut r);
    let (wr_q, wr_r) = cap.exchange(DSI_WRITE, &payload, 20, ResultCode::NO_ERR, &r);

    let (w32_q, w32_r) = {
        let w = Write {
            start_end: false,
            fork: 7,
            offset: 10,
            count: 5,
        };
        let mut p = BytesMut::new();
        w.encode(&mut p);
        p.extend_from_slice(b"hello");
        let mut r = BytesMut::new();
        Reply::Write { last_written: 15 }.encode(&mut r);
        cap.exchange(DSI_WRITE, &p, 12, ResultCode::NO_ERR, &r)
    };

    let (lk_q, lk_r) = cap.command(
        ByteRangeLockExt {
            flags: LockFlags::empty(),
            fork: 7,
            offset: 100,
            length: -1,
        },
        ResultCode::NO_ERR,
        &Reply::ByteRangeLockExt { range_start: 100 },
    );
    let (cf_q, _) = cap.command(
        CloseFork { fork: 7 },
        ResultCode::NO_ERR,
        &Reply::Empty(CommandCode::CLOSE_FORK),
    );
    let (sf_q, _) = cap.command(
        SyncFork { fork: 8 },
        ResultCode::NO_ERR,
        &Reply::Empty(CommandCode::SYNC_FORK),
    );
    let (cd_q, cd_r) = cap.command(
        CreateDir {
            volume_id: 1,
            dir_id: 2,
            path: utf8("new folder"),
        },
        ResultCode::NO_ERR,
        &Reply::CreateDir { dir_id: 33 },
    );
    let (cr_q, _) = cap.command(
        CreateFile {
            hard_create: true,
            volume_id: 1,
            dir_id: 33,
            path: utf8("f"),
        },
        ResultCode::NO_ERR,
        &Reply::Empty(CommandCode::CREATE_FILE),
    );
    let set = FileParams {
        attributes: Some(FileAttributes::SET_CLEAR | FileAttributes::INVISIBLE),
        mod_date: Some(AfpDate(5)),
        ..FileParams::default()
    };
    let (sfp_q, _) = cap.command(
        SetFileParms::new(1, 33, utf8("f"), &set),
        ResultCode::NO_ERR,
        &Reply::Empty(CommandCode::SET_FILE_PARMS),
    );
    let (ga_q, ga_r) = cap.command(
        GetExtAttr {
            volume_id: 1,
            dir_id: 33,
            bitmap: ExtAttrBitmap::NO_FOLLOW,
            offset: 0,
            req_count: -1,
            max_reply_size: 1000,
            path: utf8("f"),
            name: Bytes::from_static(b"com.apple.FinderInfo"),
        },
        ResultCode::NO_ERR,
        &Reply::GetExtAttr(ExtAttrData::value(
            ExtAttrBitmap::NO_FOLLOW,
            Bytes::from_static(b"\x01\x02\x03"),
        )),
    );
    let (la_q, la_r) = cap.command(
        ListExtAttrs {
            volume_id: 1,
            dir_id: 33,
            bitmap: ExtAttrBitmap::empty(),
            req_count: 0,
            start_index: 0,
            max_reply_size: 1000,
            path: utf8("f"),
        },
        ResultCode::NO_ERR,
        &Reply::ListExtAttrs(ExtAttrList::from_names(
            ExtAttrBitmap::empty(),
            [&b"user.a"[..], b"com.apple.b"],
        )),
    );
    let (mi_q, mi_r) = cap.command(
        MapId {
            subfunction: map_id::USER_ID_TO_NAME,
            key: MapIdKey::Id(1000),
        },
        ResultCode::NO_ERR,
        &Reply::MapId(MapIdReply::Name(Bytes::from_static(b"bob"))),
    );
    let (mn_q, mn_r) = cap.command(
        MapName {
            subfunction: map_name::NAME_TO_USER_ID,
            name: Bytes::from_static(b"bob"),
        },
        ResultCode::NO_ERR,
        &Reply::MapName(MapNameReply::Id(1000)),
    );
    let cs = CatSearchExt {
        volume_id: 1,
        req_matches: 10,
        reserved: 0,
        position: [0; 16],
        file_bitmap: FileBitmap::NODE_ID,
        dir_bitmap: DirBitmap::NODE_ID,
        req_bitmap: u32::from(FileBitmap::PARENT_DIR_ID.bits()),
        spec1: Bytes::from_static(&[0, 0, 0, 2]),
        spec2: Bytes::from_static(&[0, 0, 0, 2]),
    };
    let cs_reply = CatSearchReply {
        position: [9; 16],
        file_bitmap: FileBitmap::NODE_ID,
        dir_bitmap: DirBitmap::NODE_ID,
        entries: vec![
            FileDirParams::File(FileParams {
                node_id: Some(19),
                ..FileParams::default()
            }),
            FileDirParams::Dir(DirParams {
                node_id: Some(18),
                ..DirParams::default()
            }),
        ],
    };
    let (cs_q, cs_r) = cap.command(cs, ResultCode::NO_ERR, &Reply::CatSearchExt(cs_reply));

    let d = dissect(&cap, "catalog");
    d.expect(gfd_q, "afp.command", "34");
    d.expect(gfd_q, "afp.vol_id", "1");
    d.expect(gfd_q, "afp.did", "2");
    d.expect(gfd_q, "afp.dir_bitmap", "0xbf4b");
    d.expect(gfd_q, "afp.path_type", "0x03");
    d.expect(gfd_q, "afp.path_name", "docs");
    d.expect(gfd_r, "afp.file_flag", "1");
    d.expect(gfd_r, "afp.did", "2");
    d.expect(gfd_r, "afp.file_id", "18");
    d.expect(gfd_r, "afp.dir_offspring", "3");
    d.expect(gfd_r, "afp.dir_owner_id", "1000");
    d.expect(gfd_r, "afp.dir_group_id", "100");
    d.expect(gfd_r, "afp.dir_ar", "0x87070707");
    d.expect(gfd_r, "afp.path_name", "docs,docs");
    d.expect(gfd_r, "afp.unix_privs.uid", "1000");
    d.expect(gfd_r, "afp.unix_privs.permissions", "16877");
    // Offsets from the start of the parameters (byte 6 of the reply).
    let fixed = dir.encoded_len() - 5 - 10;
    d.expect(gfd_r, "afp.long_name_offset", &fixed.to_string());
    d.expect(gfd_r, "afp.unicode_name_offset", &(fixed + 5).to_string());

    d.expect(en_q, "afp.command", "68");
    d.expect(en_q, "afp.req_count", "40");
    d.expect(en_q, "afp.start_index32", "1");
    d.expect(en_q, "afp.reply_size32", "8000");
    d.expect(en_r, "afp.command", "68");
    d.expect(en_r, "afp.req_count", "3");
    d.expect(en_r, "afp.file_flag", "1,0,0");
    d.expect_contains(en_r, "afp.path_name", "docs");
    d.expect_contains(en_r, "afp.path_name", "a.txt");
    d.expect_contains(en_r, "afp.path_name", "notes.md");
    d.expect(en_r, "afp.ext_data_fork_len", "4096,3");
    d.expect(old_r, "afp.struct_size", "10");
    d.expect(old_r, "afp.path_name", "x");

    d.expect(of_q, "afp.command", "26");
    d.expect(of_q, "afp.access", "0x0023");
    d.expect(of_q, "afp.path_name", "a.txt");
    d.expect(of_r, "afp.ofork", "7");
    d.expect(of_r, "afp.file_id", "19");
    d.expect(of_r, "afp.ext_data_fork_len", "4096");
    d.expect(rd_q, "afp.command", "60");
    d.expect(rd_q, "afp.ofork", "7");
    d.expect(rd_q, "afp.offset64", "0");
    d.expect(rd_q, "afp.rw_count64", "512");
    d.expect(rd_r, "afp.command", "60");
    d.expect(rd_r, "data.len", "512");
    d.expect(wr_q, "dsi.command", "6");
    d.expect(wr_q, "dsi.data_offset", "20");
    d.expect(wr_q, "afp.command", "61");
    d.expect(wr_q, "afp.ofork", "7");
    d.expect(wr_q, "afp.offset64", "4096");
    d.expect(wr_q, "afp.rw_count64", "1000");
    d.expect(wr_r, "afp.last_written64", "5096");
    d.expect(w32_q, "dsi.data_offset", "12");
    d.expect(w32_q, "afp.offset", "10");
    d.expect(w32_q, "afp.rw_count", "5");
    d.expect(w32_r, "afp.last_written", "15");
    d.expect(lk_q, "afp.lock_offset64", "100");
    d.expect(lk_q, "afp.lock_len64", "-1");
    d.expect(lk_r, "afp.lock_range_start64", "100");
    d.expect(cf_q, "afp.ofork", "7");
    d.expect(sf_q, "afp.command", "79");
    d.expect(sf_q, "afp.ofork", "8");
    d.expect(cd_q, "afp.path_name", "new folder");
    d.expect(cd_r, "afp.did", "33");
    d.expect(cr_q, "afp.create_flag", "1");
    d.expect(sfp_q, "afp.file_attribute", "0x8001");
    d.expect(sfp_q, "afp.path_name", "f");
    d.expect(ga_q, "afp.extattr.name", "com.apple.FinderInfo");
    d.expect(ga_r, "afp.extattr.len", "3");
    d.expect(ga_r, "afp.extattr.data", "010203");
    d.expect(la_q, "afp.extattr.reply_size", "1000");
    d.expect(la_r, "afp.extattr.name", "user.a,com.apple.b");
    d.expect(mi_q, "afp.map_id_type", "1");
    d.expect(mi_q, "afp.map_id", "1000");
    d.expect(mi_r, "afp.map_name", "bob");
    d.expect(mn_q, "afp.map_name", "bob");
    d.expect(mn_r, "afp.map_id", "1000");
    d.expect(cs_q, "afp.cat_req_matches", "10");
    d.expect(cs_r, "afp.cat_count", "2");
    d.expect(cs_r, "afp.file_id", "19,18");
    d.finish();
}
