//! Sample DSI messages shared by the integration tests: one of every command,
//! requests and replies, in the layouts of spec `afp-dsi.md` §1.12 and §3.3.
#![allow(dead_code, unreachable_pub)] // each test binary uses a different subset

use bytes::{BufMut, Bytes, BytesMut};
use dsi::{Attention, Command, ErrorCode, Frame, Header, SessionOption, SessionOptions};

/// Who sent a sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Client,
    Server,
}

/// One sample message.
pub struct Sample {
    pub name: &'static str,
    pub from: Side,
    pub header: Header,
    /// Everything after the header (for a DSIWrite: command block + data).
    pub payload: Bytes,
}

impl Sample {
    pub fn wire(&self) -> Bytes {
        let mut b = BytesMut::new();
        self.header.encode(&mut b);
        b.extend_from_slice(&self.payload);
        b.freeze()
    }
}

fn sample(name: &'static str, from: Side, frame: Frame) -> Sample {
    let Frame::Message { header, payload } = frame else {
        unreachable!()
    };
    Sample {
        name,
        from,
        header,
        payload,
    }
}

/// The status block of spec §3.3 (the worked example), with address 127.0.0.1.
pub fn status_block() -> Bytes {
    let mut b = BytesMut::new();
    let name = b"myserver";
    b.put_u16(28); // MachineType
    b.put_u16(42); // versions
    b.put_u16(85); // UAMs
    b.put_u16(101); // icon
    b.put_u16(0x8F79); // flags
    b.put_u8(name.len() as u8);
    b.put_slice(name);
    b.put_u8(0); // pad to even
    b.put_u16(357); // signature
    b.put_u16(373); // network addresses
    b.put_u16(380); // directory names
    b.put_u16(381); // UTF-8 name
    assert_eq!(b.len(), 28);
    b.put_u8(13);
    b.put_slice(b"Netatalk3.1.7");
    assert_eq!(b.len(), 42);
    b.put_u8(6);
    for v in ["AFP2.2", "AFPX03", "AFP3.1", "AFP3.2", "AFP3.3", "AFP3.4"] {
        b.put_u8(v.len() as u8);
        b.put_slice(v.as_bytes());
    }
    assert_eq!(b.len(), 85);
    b.put_u8(2);
    for u in ["DHCAST128", "DHX2"] {
        b.put_u8(u.len() as u8);
        b.put_slice(u.as_bytes());
    }
    assert_eq!(b.len(), 101);
    b.put_bytes(0xA5, 256); // icon and mask
    assert_eq!(b.len(), 357);
    b.put_slice(&(0u8..16).collect::<Vec<_>>());
    assert_eq!(b.len(), 373);
    b.put_slice(&[1, 6, 1, 127, 0, 0, 1]);
    assert_eq!(b.len(), 380);
    b.put_u8(0);
    b.put_u16(name.len() as u16);
    b.put_slice(name);
    assert_eq!(b.len(), 391);
    b.freeze()
}

/// FPWriteExt block (spec §5.8): command 61, flag 0, fork 1, offset 0, count.
pub fn write_ext_command(count: u64) -> Bytes {
    let mut b = BytesMut::new();
    b.put_u8(61);
    b.put_u8(0);
    b.put_u16(1);
    b.put_u64(0);
    b.put_u64(count);
    assert_eq!(b.len(), 20);
    b.freeze()
}

/// FPWrite block: command 33, flag 0, fork 1, offset 0 (i32), count (i32).
pub fn write_command(count: u32) -> Bytes {
    let mut b = BytesMut::new();
    b.put_u8(33);
    b.put_u8(0);
    b.put_u16(1);
    b.put_u32(0);
    b.put_u32(count);
    assert_eq!(b.len(), 12);
    b.freeze()
}

fn write_sample(name: &'static str, id: u16, command: Bytes, data_len: usize) -> Sample {
    let mut payload = BytesMut::from(&command[..]);
    payload.extend((0..data_len).map(|i| (i % 251) as u8));
    Sample {
        name,
        from: Side::Client,
        header: Header::write(id, command.len() as u32, payload.len() as u32),
        payload: payload.freeze(),
    }
}

/// One of every DSI command, requests and replies, in a plausible order.
pub fn samples() -> Vec<Sample> {
    use Side::*;
    let open_req = SessionOptions(vec![SessionOption::AttentionQuantum(1024)]).to_bytes();
    let open_rep = SessionOptions(vec![
        SessionOption::ServerQuantum(0x10_0000),
        SessionOption::ReplayCacheSize(128),
    ])
    .to_bytes();
    let mut write_reply = BytesMut::new();
    write_reply.put_u64(4096);
    let mut old_write_reply = BytesMut::new();
    old_write_reply.put_u32(100);
    vec![
        sample(
            "getstatus-request",
            Client,
            Frame::request(Command::GET_STATUS, 1, Bytes::new()),
        ),
        sample(
            "getstatus-reply",
            Server,
            Frame::reply(Command::GET_STATUS, 1, 0, status_block()),
        ),
        sample(
            "opensession-request",
            Client,
            Frame::request(Command::OPEN_SESSION, 2, open_req.clone()),
        ),
        sample(
            "opensession-refused",
            Server,
            Frame::reply(
                Command::OPEN_SESSION,
                2,
                ErrorCode::SERVER_BUSY.0,
                SessionOptions(vec![SessionOption::ServerQuantum(0x10_0000)]).to_bytes(),
            ),
        ),
        sample(
            "opensession-request-again",
            Client,
            Frame::request(Command::OPEN_SESSION, 3, open_req),
        ),
        sample(
            "opensession-reply",
            Server,
            Frame::reply(Command::OPEN_SESSION, 3, 0, open_rep),
        ),
        sample(
            "command-getsrvrparms",
            Client,
            Frame::request(Command::COMMAND, 4, Bytes::from_static(&[0x10, 0x00])),
        ),
        sample(
            "command-error-reply",
            Server,
            Frame::reply(Command::COMMAND, 4, -5000, Bytes::new()),
        ),
        sample(
            "command-closevol",
            Client,
            Frame::request(
                Command::COMMAND,
                5,
                Bytes::from_static(&[0x02, 0x00, 0x00, 0x01]),
            ),
        ),
        sample(
            "command-reply",
            Server,
            Frame::reply(Command::COMMAND, 5, 0, Bytes::new()),
        ),
        write_sample("write-ext", 6, write_ext_command(4096), 4096),
        sample(
            "write-ext-reply",
            Server,
            Frame::reply(Command::WRITE, 6, 0, write_reply.freeze()),
        ),
        write_sample("write", 7, write_command(100), 100),
        sample(
            "write-reply",
            Server,
            Frame::reply(Command::WRITE, 7, 0, old_write_reply.freeze()),
        ),
        sample(
            "tickle-server",
            Server,
            Frame::request(Command::TICKLE, 0, Bytes::new()),
        ),
        sample(
            "tickle-client",
            Client,
            Frame::request(Command::TICKLE, 8, Bytes::new()),
        ),
        sample(
            "attention-volume-changed",
            Server,
            Frame::request(
                Command::ATTENTION,
                1,
                Attention::volume_changed().payload(2),
            ),
        ),
        sample(
            "attention-shutdown-5",
            Server,
            Frame::request(
                Command::ATTENTION,
                2,
                Attention::shutdown(5)
                    .with_message()
                    .dont_reconnect()
                    .payload(2),
            ),
        ),
        sample(
            "closesession",
            Client,
            Frame::request(Command::CLOSE_SESSION, 9, Bytes::new()),
        ),
    ]
}
