//! Key and value encodings of the five tables (FORMAT.md §3), and CRC-32C.
//!
//! Every integer is big-endian so that byte order equals numeric order in the engine's
//! lexicographic key comparison. The layouts are specified in `cnid/FORMAT.md`; the offsets
//! below are derived from each other so the two cannot drift apart silently.
#![deny(clippy::little_endian_bytes)]

use crate::error::{Check, CorruptionError};
use crate::types::{Cnid, Entry, Kind, MAX_NAME_LEN};

/// The format version this build writes and reads (meta key `format`).
pub const FORMAT_VERSION: u32 = 1;

/// Meta key: format version, `u32` BE.
pub(crate) const META_FORMAT: &[u8] = b"format";
/// Meta key: database stamp, 8 opaque bytes.
pub(crate) const META_STAMP: &[u8] = b"stamp";
/// Meta key: last ID handed out by the counter, `u32` BE.
pub(crate) const META_LAST: &[u8] = b"last";

// Record value layout (FORMAT.md §3.2).
const REC_KIND: usize = 0;
const REC_DID: usize = REC_KIND + 1;
const REC_DEV: usize = REC_DID + 4;
const REC_INO: usize = REC_DEV + 8;
/// Offset of the name in a record value; everything before it is fixed-size.
pub(crate) const REC_NAME: usize = REC_INO + 8;
/// Length of the trailing CRC-32C.
const CRC_LEN: usize = 4;
/// Shortest valid record value (1-byte name).
pub(crate) const REC_MIN_LEN: usize = REC_NAME + 1 + CRC_LEN;
/// Longest valid record value.
pub(crate) const REC_MAX_LEN: usize = REC_NAME + MAX_NAME_LEN + CRC_LEN;

/// Length of a `records` key and of every index value.
pub(crate) const ID_LEN: usize = 4;
/// Length of a `devino` key.
pub(crate) const DEVINO_LEN: usize = 16;

pub(crate) fn id_key(id: Cnid) -> [u8; ID_LEN] {
    id.0.to_be_bytes()
}

pub(crate) fn decode_id(table: &str, key: &[u8], v: &[u8]) -> Result<Cnid, CorruptionError> {
    let raw: [u8; ID_LEN] = v.try_into().map_err(|_| {
        CorruptionError::new(
            Check::IndexEncoding,
            format!(
                "{table} entry {} has a {}-byte value, expected {ID_LEN}",
                hex(key),
                v.len()
            ),
        )
    })?;
    Ok(Cnid(u32::from_be_bytes(raw)))
}

pub(crate) fn devino_key(dev: u64, ino: u64) -> [u8; DEVINO_LEN] {
    let mut k = [0u8; DEVINO_LEN];
    k[..8].copy_from_slice(&dev.to_be_bytes());
    k[8..].copy_from_slice(&ino.to_be_bytes());
    k
}

pub(crate) fn didname_key(did: Cnid, name: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(&did.0.to_be_bytes());
    out.extend_from_slice(name);
}

/// Case folding for the name index: Unicode lower case when the name is UTF-8, ASCII lower case
/// of the bytes otherwise.
pub fn fold_name(name: &[u8], out: &mut Vec<u8>) {
    out.clear();
    match std::str::from_utf8(name) {
        Ok(s) => {
            let mut buf = [0u8; 4];
            for c in s.chars().flat_map(char::to_lowercase) {
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
        Err(_) => out.extend(name.iter().map(u8::to_ascii_lowercase)),
    }
}

pub(crate) fn names_key(name: &[u8], id: Cnid, out: &mut Vec<u8>) {
    fold_name(name, out);
    out.push(0);
    out.extend_from_slice(&id.0.to_be_bytes());
}

/// Splits a `names` key into its folded name and ID.
pub(crate) fn split_names_key(key: &[u8]) -> Result<(&[u8], Cnid), CorruptionError> {
    let bad = || {
        CorruptionError::new(
            Check::IndexEncoding,
            format!("names key {} is malformed", hex(key)),
        )
    };
    let split = key.len().checked_sub(ID_LEN + 1).ok_or_else(bad)?;
    let (folded, rest) = key.split_at(split);
    let (sep, id) = rest.split_at(1);
    if sep != [0] {
        return Err(bad());
    }
    let id: [u8; ID_LEN] = id.try_into().map_err(|_| bad())?;
    Ok((folded, Cnid(u32::from_be_bytes(id))))
}

pub(crate) fn encode_record(e: &Entry, out: &mut Vec<u8>) {
    out.clear();
    out.push(e.kind.code());
    out.extend_from_slice(&e.did.0.to_be_bytes());
    out.extend_from_slice(&e.dev.to_be_bytes());
    out.extend_from_slice(&e.ino.to_be_bytes());
    out.extend_from_slice(&e.name);
    let crc = crc32c_parts(&[&id_key(e.id), out]);
    out.extend_from_slice(&crc.to_be_bytes());
}

pub(crate) fn decode_record(id: Cnid, v: &[u8]) -> Result<Entry, CorruptionError> {
    if !(REC_MIN_LEN..=REC_MAX_LEN).contains(&v.len()) {
        return Err(CorruptionError::new(
            Check::RecordEncoding,
            format!("record {id} has {} bytes", v.len()),
        ));
    }
    let (body, crc) = v.split_at(v.len() - CRC_LEN);
    let stored = u32::from_be_bytes([crc[0], crc[1], crc[2], crc[3]]);
    let computed = crc32c_parts(&[&id_key(id), body]);
    if stored != computed {
        return Err(CorruptionError::new(
            Check::RecordChecksum,
            format!("record {id}: stored CRC-32C {stored:08x}, computed {computed:08x}"),
        ));
    }
    let kind = Kind::from_code(body[REC_KIND]).ok_or_else(|| {
        CorruptionError::new(
            Check::RecordEncoding,
            format!("record {id} has type byte {}", body[REC_KIND]),
        )
    })?;
    let u32_at = |o: usize| u32::from_be_bytes([body[o], body[o + 1], body[o + 2], body[o + 3]]);
    let u64_at = |o: usize| (u64::from(u32_at(o)) << 32) | u64::from(u32_at(o + 4));
    let name = body[REC_NAME..].to_vec();
    if crate::types::check_name(&name).is_err() {
        return Err(CorruptionError::new(
            Check::RecordEncoding,
            format!("record {id} has an invalid name {}", hex(&name)),
        ));
    }
    Ok(Entry {
        id,
        did: Cnid(u32_at(REC_DID)),
        dev: u64_at(REC_DEV),
        ino: u64_at(REC_INO),
        name,
        kind,
    })
}

/// Lower-case hex for error messages.
pub(crate) fn hex(b: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
    s
}

const fn crc32c_table() -> [u32; 256] {
    // Reflected Castagnoli polynomial.
    const POLY: u32 = 0x82F6_3B78;
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { (c >> 1) ^ POLY } else { c >> 1 };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}

static CRC32C: [u32; 256] = crc32c_table();

/// CRC-32C (Castagnoli) over the concatenation of `parts`.
pub(crate) fn crc32c_parts(parts: &[&[u8]]) -> u32 {
    let mut c = !0u32;
    for p in parts {
        for &b in *p {
            c = CRC32C[((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8);
        }
    }
    !c
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn crc32c_check_value() {
        // The standard check value of CRC-32C ("123456789").
        assert_eq!(crc32c_parts(&[b"123456789"]), 0xE306_9283);
        assert_eq!(crc32c_parts(&[b"1234", b"56789"]), 0xE306_9283);
    }

    #[test]
    fn record_layout() {
        let e = Entry {
            id: Cnid(0x11),
            did: Cnid(2),
            name: b"a".to_vec(),
            dev: 0x0102_0304_0506_0708,
            ino: 0x1112_1314_1516_1718,
            kind: Kind::Dir,
        };
        let mut v = Vec::new();
        encode_record(&e, &mut v);
        assert_eq!(v.len(), REC_MIN_LEN);
        assert_eq!(
            &v[..REC_NAME + 1],
            &[
                1, 0, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
                0x18, b'a'
            ]
        );
        assert_eq!(decode_record(Cnid(0x11), &v).unwrap(), e);
        // The checksum covers the key: the same bytes under another ID are rejected.
        assert_eq!(
            decode_record(Cnid(0x12), &v).unwrap_err().check,
            Check::RecordChecksum
        );
    }

    #[test]
    fn names_key_round_trip() {
        let mut k = Vec::new();
        names_key("ÄBc".as_bytes(), Cnid(99), &mut k);
        let (folded, id) = split_names_key(&k).unwrap();
        assert_eq!(folded, "äbc".as_bytes());
        assert_eq!(id, Cnid(99));
        assert!(split_names_key(b"ab").is_err());
        assert!(split_names_key(b"abc\x01\0\0\0\x01").is_err());
        fold_name(b"A\xffB", &mut k);
        assert_eq!(k, b"a\xffb");
    }

    proptest! {
        #[test]
        fn record_round_trip(id in 17u32.., did in 2u32.., dev: u64, ino: u64, dir: bool,
                             name in proptest::collection::vec(1u8.., 1..=255)) {
            let name: Vec<u8> = name.into_iter().map(|b| if b == b'/' { b'x' } else { b }).collect();
            let e = Entry { id: Cnid(id), did: Cnid(did), name, dev, ino,
                            kind: if dir { Kind::Dir } else { Kind::File } };
            let mut v = Vec::new();
            encode_record(&e, &mut v);
            prop_assert_eq!(decode_record(Cnid(id), &v).unwrap(), e);
        }

        #[test]
        fn record_decode_never_panics(id: u32, v in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = decode_record(Cnid(id), &v);
        }

        #[test]
        fn one_flipped_bit_is_detected(name in proptest::collection::vec(b'a'..=b'z', 1..40),
                                       bit in 0usize..(8 * 60)) {
            let e = Entry { id: Cnid(100), did: Cnid(2), name, dev: 1, ino: 2, kind: Kind::File };
            let mut v = Vec::new();
            encode_record(&e, &mut v);
            let bit = bit % (v.len() * 8);
            v[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(decode_record(Cnid(100), &v).is_err());
        }
    }
}
