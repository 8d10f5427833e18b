//! Access control lists (spec §5.10, AFP 3.2): FPGetACL, FPSetACL, FPAccess.
//!
//! ```text
//! FPGetACL 73 | pad | vid | did | u16 bitmap | u32 MaxReplySize | path
//!   reply: u16 bitmap | [16-byte owner UUID] | [16-byte group UUID] | [ACL]
//! FPSetACL 74 | pad | vid | did | u16 bitmap | path | pad to even
//!             | [owner UUID] | [group UUID] | [ACL]
//! FPAccess 75 | pad | vid | did | u16 bitmap | 16-byte UUID | u32 ReqAccess | path
//! ACL:  u32 entry count | u32 ACL flags | entries of { 16-byte UUID, u32 flags, u32 rights }
//! ```

use bitflags::bitflags;
use bytes::{Bytes, BytesMut};

use super::{CommandCode, Request, pad};
use crate::error::DecodeError;
use crate::path::Path;
use crate::wire::{Reader, Writer};

bitflags! {
    /// FPGetACL / FPSetACL bitmap (spec §5.10).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct AclBitmap: u16 {
        /// kFileSec_UUID: owner UUID.
        const UUID = 0x01;
        /// kFileSec_GRPUUID: group UUID.
        const GRP_UUID = 0x02;
        /// kFileSec_ACL: the ACL.
        const ACL = 0x04;
        /// kFileSec_REMOVEACL: remove the ACL (set only).
        const REMOVE_ACL = 0x08;
        /// kFileSec_Inherit: inherit (set only).
        const INHERIT = 0x10;
    }
}

/// One access control entry (24 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ace {
    /// User or group UUID.
    pub uuid: [u8; 16],
    /// Kind in the low 4 bits (1 permit, 2 deny) and inheritance flags.
    pub flags: u32,
    /// Darwin kauth rights bits.
    pub rights: u32,
}

/// An ACL: flags and entries.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Acl {
    /// ACL flags.
    pub flags: u32,
    /// The entries.
    pub entries: Vec<Ace>,
}

impl Acl {
    fn read(r: &mut Reader<'_>) -> Result<Acl, DecodeError> {
        let count = r.u32("ACE count")?;
        let flags = r.u32("ACL flags")?;
        let count = usize::try_from(count).unwrap_or(usize::MAX);
        if count > r.remaining() / 24 {
            return Err(DecodeError::Truncated("ACEs"));
        }
        let mut entries = Vec::with_capacity(count);
        for _ in 0..count {
            entries.push(Ace {
                uuid: r.array("ACE UUID")?,
                flags: r.u32("ACE flags")?,
                rights: r.u32("ACE rights")?,
            });
        }
        Ok(Acl { flags, entries })
    }

    fn write(&self, w: &mut Writer<'_>) {
        w.u32(self.entries.len() as u32);
        w.u32(self.flags);
        for e in &self.entries {
            w.bytes(&e.uuid);
            w.u32(e.flags);
            w.u32(e.rights);
        }
    }
}

/// The security parameters of FPGetACL (reply) and FPSetACL (request).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AclParams {
    /// Owner UUID.
    pub owner_uuid: Option<[u8; 16]>,
    /// Group UUID.
    pub group_uuid: Option<[u8; 16]>,
    /// The ACL.
    pub acl: Option<Acl>,
    /// FPSetACL: remove the ACL.
    pub remove_acl: bool,
    /// FPSetACL: inherit.
    pub inherit: bool,
}

impl AclParams {
    /// The bitmap of what is present.
    pub fn bitmap(&self) -> AclBitmap {
        let mut b = AclBitmap::empty();
        b.set(AclBitmap::UUID, self.owner_uuid.is_some());
        b.set(AclBitmap::GRP_UUID, self.group_uuid.is_some());
        b.set(AclBitmap::ACL, self.acl.is_some());
        b.set(AclBitmap::REMOVE_ACL, self.remove_acl);
        b.set(AclBitmap::INHERIT, self.inherit);
        b
    }

    fn read(bits: u16, r: &mut Reader<'_>) -> Result<AclParams, DecodeError> {
        let bitmap = AclBitmap::from_bits(bits).ok_or(DecodeError::BadBitmap {
            bitmap: bits,
            context: "ACL bitmap",
        })?;
        let mut p = AclParams {
            remove_acl: bitmap.contains(AclBitmap::REMOVE_ACL),
            inherit: bitmap.contains(AclBitmap::INHERIT),
            ..AclParams::default()
        };
        if bitmap.contains(AclBitmap::UUID) {
            p.owner_uuid = Some(r.array("owner UUID")?);
        }
        if bitmap.contains(AclBitmap::GRP_UUID) {
            p.group_uuid = Some(r.array("group UUID")?);
        }
        if bitmap.contains(AclBitmap::ACL) {
            p.acl = Some(Acl::read(r)?);
        }
        Ok(p)
    }

    fn write_fields(&self, w: &mut Writer<'_>) {
        if let Some(u) = &self.owner_uuid {
            w.bytes(u);
        }
        if let Some(u) = &self.group_uuid {
            w.bytes(u);
        }
        if let Some(acl) = &self.acl {
            acl.write(w);
        }
    }

    /// Decodes an FPGetACL reply block.
    pub fn decode_reply(body: &Bytes) -> Result<AclParams, DecodeError> {
        let mut r = Reader::new(body);
        let bits = r.u16("ACL bitmap")?;
        AclParams::read(bits, &mut r)
    }

    /// Appends an FPGetACL reply block to `dst`.
    pub fn encode_reply(&self, dst: &mut BytesMut) {
        self.write_reply(&mut Writer::new(dst));
    }

    pub(crate) fn write_reply(&self, w: &mut Writer<'_>) {
        w.u16(self.bitmap().bits());
        self.write_fields(w);
    }
}

/// FPGetACL (73); the reply is [`AclParams`] ([`super::Reply::GetAcl`]).
#[doc(alias = "FPGetACL")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetAcl {
    /// Volume ID.
    pub volume_id: u16,
    /// Directory ID.
    pub dir_id: u32,
    /// What to return (unknown bits kept).
    pub bitmap: AclBitmap,
    /// Largest reply.
    pub max_reply_size: u32,
    /// Path of the object.
    pub path: Path,
}

impl GetAcl {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        pad(r)?;
        Ok(GetAcl {
            volume_id: r.u16("volume ID")?,
            dir_id: r.u32("directory ID")?,
            bitmap: AclBitmap::from_bits_retain(r.u16("ACL bitmap")?),
            max_reply_size: r.u32("max reply size")?,
            path: Path::read(r)?,
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.u16(self.volume_id);
        w.u32(self.dir_id);
        w.u16(self.bitmap.bits());
        w.u32(self.max_reply_size);
        self.path.write(w);
    }
}
request_type!(GetAcl, GET_ACL);

/// FPSetACL (74). An unknown bitmap bit fails with [`DecodeError::BadBitmap`].
#[doc(alias = "FPSetACL")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetAcl {
    /// Volume ID.
    pub volume_id: u16,
    /// Directory ID.
    pub dir_id: u32,
    /// Path of the object.
    pub path: Path,
    /// What to set (the bitmap is [`AclParams::bitmap`]).
    pub params: AclParams,
}

impl SetAcl {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        pad(r)?;
        let volume_id = r.u16("volume ID")?;
        let dir_id = r.u32("directory ID")?;
        let bits = r.u16("ACL bitmap")?;
        let path = Path::read(r)?;
        // spec §2.5: FPSetACL pads to even after the pathname.
        r.pad_to_even();
        Ok(SetAcl {
            volume_id,
            dir_id,
            path,
            params: AclParams::read(bits, r)?,
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.u16(self.volume_id);
        w.u32(self.dir_id);
        w.u16(self.params.bitmap().bits());
        self.path.write(w);
        w.pad_to_even();
        self.params.write_fields(w);
    }
}
request_type!(SetAcl, SET_ACL);

/// FPAccess (75): kFPNoErr if access is granted, kFPAccessDenied otherwise.
#[doc(alias = "FPAccess")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// Volume ID.
    pub volume_id: u16,
    /// Directory ID.
    pub dir_id: u32,
    /// Reserved bitmap.
    pub bitmap: u16,
    /// UUID of the user to check.
    pub uuid: [u8; 16],
    /// Rights asked for (kauth bits).
    pub req_access: u32,
    /// Path of the object.
    pub path: Path,
}

impl Access {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        pad(r)?;
        Ok(Access {
            volume_id: r.u16("volume ID")?,
            dir_id: r.u32("directory ID")?,
            bitmap: r.u16("access bitmap")?,
            uuid: r.array("UUID")?,
            req_access: r.u32("requested access")?,
            path: Path::read(r)?,
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.u16(self.volume_id);
        w.u32(self.dir_id);
        w.u16(self.bitmap);
        w.bytes(&self.uuid);
        w.u32(self.req_access);
        self.path.write(w);
    }
}
request_type!(Access, ACCESS);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_ace_count_is_rejected_without_allocating() {
        let body = Bytes::from_static(&[0, 4, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0]);
        assert_eq!(
            AclParams::decode_reply(&body),
            Err(DecodeError::Truncated("ACEs"))
        );
    }

    #[test]
    fn set_acl_round_trip() {
        let s = SetAcl {
            volume_id: 1,
            dir_id: 2,
            path: Path::utf8(Bytes::from_static(b"x")),
            params: AclParams {
                owner_uuid: Some([1; 16]),
                acl: Some(Acl {
                    flags: 0,
                    entries: vec![Ace {
                        uuid: [2; 16],
                        flags: 1,
                        rights: 0x2,
                    }],
                }),
                inherit: true,
                ..AclParams::default()
            },
        };
        let mut dst = BytesMut::new();
        s.encode(&mut dst);
        // 10 header + 8 path (odd end 18? 10 + 1 + 4 + 2 + 1 = 18) → no pad.
        assert_eq!(SetAcl::decode(&dst.freeze()).unwrap(), s);
    }
}
