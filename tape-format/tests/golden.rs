//! Golden vectors made by Amanda 3.5.1's own header builder (tests/data/README.md): our
//! encoder must produce the same bytes from the fields, and our decoder the fields from
//! the bytes.

use tape_format::amanda::{DumpFile, DumpKind, HEADER_BLOCK, Header, TapeEnd, TapeStart};

const START: &[u8] = include_bytes!("data/amanda_start.hdr");
const FILE: &[u8] = include_bytes!("data/amanda_file.hdr");
const SPLIT: &[u8] = include_bytes!("data/amanda_split.hdr");
const END: &[u8] = include_bytes!("data/amanda_end.hdr");
const RICH: &[u8] = include_bytes!("data/amanda_rich.hdr");

fn file_fields(level: i32, kind: DumpKind) -> Header {
    let mut d = DumpFile::new("20240102030405", "localhost", "/etc/sample", level);
    d.kind = kind;
    d.program = Some("GNUTAR".into());
    d.recover_cmd = Some("/bin/tar -xpGf - ...".into());
    d.blocksize = Some(32768);
    Header::Dump(Box::new(d))
}

fn rich_fields() -> Header {
    let mut d = DumpFile::new("20240102030405", "client.example.org", "C:/My Docs", 2);
    d.kind = DumpKind::Split { part: 1, total: -1 };
    d.compression = Some(".gz".into());
    d.program = Some("APPLICATION".into());
    d.cont_filename = Some("/holding/20240102030405/client._C.2.1".into());
    d.application = Some("amgtar".into());
    d.partial = true;
    d.orig_size = Some(123456);
    d.dle = Some("<dle>\n  <program>APPLICATION</program>\n</dle>\n".into());
    d.blocksize = Some(262144);
    d.uncompress_cmd = Some("/bin/gzip -dc |".into());
    d.recover_cmd = Some("/usr/lib/amanda/application/amgtar restore [./file-to-restore]+".into());
    Header::Dump(Box::new(d))
}

fn cases() -> Vec<(&'static str, &'static [u8], Header)> {
    vec![
        (
            "start",
            START,
            Header::TapeStart(TapeStart {
                datestamp: "20240102030405".into(),
                label: "TEST-001".into(),
                extra: vec![],
            }),
        ),
        ("file", FILE, file_fields(0, DumpKind::File)),
        (
            "split",
            SPLIT,
            file_fields(1, DumpKind::Split { part: 2, total: 3 }),
        ),
        (
            "end",
            END,
            Header::TapeEnd(TapeEnd {
                datestamp: Some("20240102030405".into()),
            }),
        ),
        ("rich", RICH, rich_fields()),
    ]
}

#[test]
fn encoding_the_fields_gives_amandas_bytes() {
    for (name, golden, fields) in cases() {
        assert_eq!(golden.len(), HEADER_BLOCK, "{name}");
        let ours = fields.encode(HEADER_BLOCK).unwrap();
        assert!(ours == golden, "{name}: encoded bytes differ from Amanda's");
    }
}

#[test]
fn decoding_amandas_bytes_gives_the_fields() {
    for (name, golden, fields) in cases() {
        assert_eq!(Header::decode(golden).unwrap(), fields, "{name}");
    }
}

#[test]
fn every_strict_prefix_of_the_text_decodes_or_fails_cleanly() {
    for (_, golden, _) in cases() {
        let text_len = golden.iter().position(|&b| b == 0).unwrap();
        for i in 0..text_len {
            // Must not panic; a prefix is either a smaller valid header or an error.
            let _ = Header::decode(&golden[..i]);
        }
    }
}

#[test]
fn extension_lines_survive_a_round_trip() {
    let Header::Dump(mut d) = file_fields(0, DumpKind::Split { part: 4, total: -1 }) else {
        unreachable!()
    };
    d.extra = vec![
        "X-TF-STREAM=00000000deadbeef".into(),
        "X-TF-OFFSET=1048576".into(),
        "X-TF-PREV=3 17".into(),
    ];
    let h = Header::Dump(d);
    let block = h.encode(HEADER_BLOCK).unwrap();
    assert_eq!(Header::decode(&block).unwrap(), h);
    assert_eq!(
        Header::decode(&block)
            .unwrap()
            .encode(HEADER_BLOCK)
            .unwrap(),
        block
    );
}
