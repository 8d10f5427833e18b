//! Golden bytes checked against Wireshark's DSI dissector.
//!
//! Every sample message (one of each DSI command, requests and replies, an
//! error reply, DSIWrite with FPWriteExt and FPWrite) is written into a pcap
//! with `text2pcap` (TCP between 127.0.0.1:50000 and 127.0.0.2:548), and
//! `tshark` must read back the same header fields with no malformed packet
//! and no expert error. Needs the Debian package `tshark` (which brings
//! `text2pcap`); the test fails, rather than skips, without it.

mod common;

use std::fmt::Write as _;
use std::process::Command as Process;

use common::{Side, samples};
use dsi::Flags;

fn tool(name: &str) -> String {
    let ok = Process::new(name)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "`{name}` is missing: install the Debian package `tshark` (it provides tshark and text2pcap)"
    );
    name.to_string()
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
fn tshark_reads_every_sample() {
    let text2pcap = tool("text2pcap");
    let tshark = tool("tshark");
    let dir = std::env::temp_dir().join(format!("dsi-wireshark-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let txt = dir.join("frames.txt");
    let pcap = dir.join("frames.pcap");

    let samples = samples();
    let mut input = String::new();
    for s in &samples {
        // With -D, "I" packets go from the first address/port to the second.
        input.push_str(if s.from == Side::Client { "I\n" } else { "O\n" });
        input.push_str(&hexdump(&s.wire()));
    }
    std::fs::write(&txt, input).unwrap();
    let out = Process::new(&text2pcap)
        .args(["-q", "-D", "-4", "127.0.0.1,127.0.0.2", "-T", "50000,548"])
        .arg(&txt)
        .arg(&pcap)
        .output()
        .unwrap();
    assert!(out.status.success(), "text2pcap: {out:?}");

    let fields = [
        "tcp.srcport",
        "dsi.flags",
        "dsi.command",
        "dsi.requestid",
        "dsi.error_code",
        "dsi.data_offset",
        "dsi.length",
        "dsi.reserved",
        "dsi.open_quantum",
        "dsi.replay_cache",
        "dsi.attn_flag",
        "dsi.attn_flag.time",
        "dsi.attn_flag.bitmap",
        "afp.command",
        "_ws.malformed",
        "_ws.expert.severity",
        "_ws.expert.message",
    ];
    let mut cmd = Process::new(&tshark);
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
    assert_eq!(rows.len(), samples.len(), "one packet per sample:\n{text}");

    for (s, row) in samples.iter().zip(&rows) {
        let field = |name: &str| row[fields.iter().position(|f| *f == name).unwrap()];
        let ctx = format!("{}: {row:?}", s.name);
        let h = &s.header;
        let port = if s.from == Side::Client {
            "50000"
        } else {
            "548"
        };
        assert_eq!(field("tcp.srcport"), port, "{ctx}");
        assert_eq!(
            field("dsi.flags"),
            format!("0x{:02x}", h.flags.to_u8()),
            "{ctx}"
        );
        assert_eq!(field("dsi.command"), h.command.0.to_string(), "{ctx}");
        assert_eq!(field("dsi.requestid"), h.request_id.to_string(), "{ctx}");
        match h.flags {
            Flags::Reply => {
                assert_eq!(field("dsi.error_code"), h.result().to_string(), "{ctx}")
            }
            Flags::Request => {
                assert_eq!(field("dsi.data_offset"), h.code.to_string(), "{ctx}")
            }
        }
        assert_eq!(field("dsi.length"), h.total_len.to_string(), "{ctx}");
        assert_eq!(field("dsi.reserved"), "0x00000000", "{ctx}");
        assert_eq!(field("_ws.malformed"), "", "malformed packet: {ctx}");
        // Only notes/chats (e.g. "AFP reply" bookkeeping) are acceptable;
        // warnings (4194304) and errors (8388608) are not.
        for sev in field("_ws.expert.severity")
            .split(',')
            .filter(|s| !s.is_empty())
        {
            let sev: u32 = sev.parse().unwrap();
            assert!(sev < 0x0040_0000, "expert warning/error: {ctx}");
        }
        match s.name {
            "opensession-request" | "opensession-request-again" => {
                assert_eq!(field("dsi.open_quantum"), "1024", "{ctx}")
            }
            "opensession-reply" => {
                assert_eq!(field("dsi.open_quantum"), "1048576", "{ctx}");
                assert_eq!(field("dsi.replay_cache"), "128", "{ctx}");
            }
            "opensession-refused" => assert_eq!(field("dsi.error_code"), "-1071", "{ctx}"),
            "command-error-reply" => assert_eq!(field("dsi.error_code"), "-5000", "{ctx}"),
            // The AFP dissector finds the command block DSI delimits.
            "write-ext" => {
                assert_eq!(field("dsi.data_offset"), "20", "{ctx}");
                assert_eq!(field("afp.command"), "61", "{ctx}");
            }
            "write" => {
                assert_eq!(field("dsi.data_offset"), "12", "{ctx}");
                assert_eq!(field("afp.command"), "33", "{ctx}");
            }
            "command-getsrvrparms" => assert_eq!(field("afp.command"), "16", "{ctx}"),
            "command-closevol" => assert_eq!(field("afp.command"), "2", "{ctx}"),
            // Wireshark shows the top nibble as "Flags" and the low 12 bits
            // as minutes (shutdown) or bitmap (notification 0x3xxx).
            "attention-volume-changed" => {
                assert_eq!(field("dsi.attn_flag"), "0x0003", "{ctx}");
                assert_eq!(field("dsi.attn_flag.bitmap"), "0x0001", "{ctx}");
            }
            "attention-shutdown-5" => {
                assert_eq!(field("dsi.attn_flag"), "0x000b", "{ctx}");
                assert_eq!(field("dsi.attn_flag.time"), "5", "{ctx}");
            }
            _ => {}
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
