//! The status block (DSIGetStatus without login): contents, stability across restarts,
//! and Wireshark's AFP dissector reading it without a malformed-packet flag.

mod common;

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use afp_proto::status::{NetworkAddress, ServerFlags};
use common::{AfpClient, TestServer};

#[test]
fn status_block_contents() {
    let mut srv = TestServer::builder()
        .uams(&["dhx2", "dhx", "clrtxt", "guest"])
        .global("server name", "Test Server é")
        .global("save password", "no")
        .start();
    let st = AfpClient::get_status(srv.addr()).unwrap();
    assert_eq!(
        &st.server_name[..],
        afp_proto::name::encode_mac_roman("Test Server é").unwrap()
    );
    assert_eq!(
        st.utf8_server_name.as_deref(),
        Some(afp_proto::name::decompose("Test Server é").as_bytes())
    );
    assert!(st.machine_type.starts_with(b"afp-rs"));
    let versions: Vec<&[u8]> = st.afp_versions.iter().map(|v| &v[..]).collect();
    assert_eq!(
        versions,
        [
            &b"AFP2.2"[..],
            b"AFPX03",
            b"AFP3.1",
            b"AFP3.2",
            b"AFP3.3",
            b"AFP3.4"
        ]
    );
    let uams: Vec<&[u8]> = st.uams.iter().map(|u| &u[..]).collect();
    assert_eq!(
        uams,
        [
            &b"DHX2"[..],
            b"DHCAST128",
            b"Cleartxt Passwrd",
            b"No User Authent"
        ]
    );
    assert!(st.flags.contains(ServerFlags::DONT_ALLOW_SAVE_PASSWORD));
    assert!(!st.flags.contains(ServerFlags::SUPPORTS_CHANGE_PASSWORD));
    assert!(
        st.flags
            .contains(ServerFlags::SUPPORTS_TCP | ServerFlags::SERVER_SIGNATURE)
    );
    assert_eq!(
        st.addresses.as_deref(),
        Some(
            &[NetworkAddress::Ipv4Port(
                "127.0.0.1".parse().unwrap(),
                srv.port()
            )][..]
        )
    );
    assert_eq!(st.icon.as_ref().map(|i| i.len()), Some(256));
    // The signature is persisted in the state directory and survives a restart.
    let sig = st.signature.expect("signature");
    assert!(srv.state_dir().join("afp_signature.conf").exists());
    srv.restart();
    let again = AfpClient::get_status(srv.addr()).unwrap();
    assert_eq!(again.signature, Some(sig));
}

fn tool(name: &str) -> String {
    let ok = Command::new(name)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "`{name}` is missing: install the Debian package `tshark` (it brings text2pcap)"
    );
    name.to_owned()
}

fn hexdump(bytes: &[u8]) -> String {
    let mut s = String::new();
    for (i, chunk) in bytes.chunks(16).enumerate() {
        write!(s, "{:06x}", i * 16).unwrap();
        for b in chunk {
            write!(s, " {b:02x}").unwrap();
        }
        s.push('\n');
    }
    s
}

#[test]
fn wireshark_reads_our_status_reply() {
    let text2pcap = tool("text2pcap");
    let tshark = tool("tshark");
    let srv = TestServer::builder()
        .uams(&["dhx2", "clrtxt"])
        .global("server name", "wsk")
        .start();
    // The real bytes: a DSIGetStatus and everything the server sends back.
    let request = [0u8, 3, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    let mut sock = TcpStream::connect(srv.addr()).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    sock.write_all(&request).unwrap();
    let mut reply = Vec::new();
    sock.read_to_end(&mut reply).unwrap();
    assert!(
        reply.len() > 16 && reply[0] == 1 && reply[1] == 3,
        "{reply:02x?}"
    );

    let dir = tempfile::tempdir().unwrap();
    let txt = dir.path().join("status.txt");
    let pcap = dir.path().join("status.pcap");
    std::fs::write(
        &txt,
        format!("I\n{}O\n{}", hexdump(&request), hexdump(&reply)),
    )
    .unwrap();
    let out = Command::new(&text2pcap)
        .args(["-q", "-D", "-4", "127.0.0.1,127.0.0.2", "-T", "50000,548"])
        .arg(&txt)
        .arg(&pcap)
        .output()
        .unwrap();
    assert!(out.status.success(), "text2pcap: {out:?}");
    let fields = [
        "afp.server_name",
        "afp.server_type",
        "afp.server_uams",
        "afp.utf8_server_name",
        "afp.server_flag",
        "_ws.malformed",
        "_ws.expert.severity",
    ];
    let mut cmd = Command::new(&tshark);
    cmd.args(["-n", "-r"]).arg(&pcap).args([
        "-T",
        "fields",
        "-E",
        "separator=|",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=,",
    ]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "tshark: {out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split('|').collect()).collect();
    assert_eq!(rows.len(), 2, "{text}");
    let row = &rows[1];
    assert_eq!(row[0], "wsk", "{text}");
    assert!(row[1].starts_with("afp-rs"), "{text}");
    assert_eq!(row[2], "DHX2,Cleartxt Passwrd", "{text}");
    assert_eq!(row[3], "wsk", "{text}");
    assert!(row[5].is_empty(), "malformed: {text}");
    assert!(row[6].is_empty(), "expert info: {text}");
}
