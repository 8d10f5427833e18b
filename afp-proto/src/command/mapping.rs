//! User and group mapping (spec §5.11): FPMapID, FPMapName.
//!
//! ```text
//! FPMapID   21 | u8 subfunction | u32 ID (1–4) or 16-byte UUID (5, 6)
//!   reply: pstr name (1, 2) | u16 len + UTF-8 name (3, 4)
//!        | u32 kind, u32 ID, u16 len + UTF-8 name (5, 6; netatalk's layout)
//! FPMapName 22 | u8 subfunction | u16 len + UTF-8 name (1, 2, 5, 6) or pstr (3, 4)
//!   reply: u32 ID (1–4) | 16-byte UUID (5, 6)
//! ```
//!
//! This subfunction numbering is the one of [A-3.1] and netatalk; Wireshark 4.0 reads the
//! FPMapName name of subfunctions 1–4 as a pstr. The reply layouts depend on the
//! subfunction, so [`super::Reply::decode`] takes it in its [`super::ReplyContext`].

use bytes::{Bytes, BytesMut};

use super::{CommandCode, Request};
use crate::error::DecodeError;
use crate::wire::{Reader, Writer};

/// FPMapID subfunctions.
pub mod map_id {
    /// User ID → legacy name.
    pub const USER_ID_TO_NAME: u8 = 1;
    /// Group ID → legacy name.
    pub const GROUP_ID_TO_NAME: u8 = 2;
    /// User ID → UTF-8 name (AFP 3).
    pub const USER_ID_TO_UTF8_NAME: u8 = 3;
    /// Group ID → UTF-8 name (AFP 3).
    pub const GROUP_ID_TO_UTF8_NAME: u8 = 4;
    /// User UUID → UTF-8 name (AFP 3.2).
    pub const USER_UUID_TO_UTF8_NAME: u8 = 5;
    /// Group UUID → UTF-8 name (AFP 3.2).
    pub const GROUP_UUID_TO_UTF8_NAME: u8 = 6;
}

/// FPMapName subfunctions.
pub mod map_name {
    /// UTF-8 user name → user ID (AFP 3).
    pub const UTF8_NAME_TO_USER_ID: u8 = 1;
    /// UTF-8 group name → group ID (AFP 3).
    pub const UTF8_NAME_TO_GROUP_ID: u8 = 2;
    /// Legacy user name → user ID.
    pub const NAME_TO_USER_ID: u8 = 3;
    /// Legacy group name → group ID.
    pub const NAME_TO_GROUP_ID: u8 = 4;
    /// UTF-8 user name → UUID (AFP 3.2).
    pub const UTF8_NAME_TO_USER_UUID: u8 = 5;
    /// UTF-8 group name → UUID (AFP 3.2).
    pub const UTF8_NAME_TO_GROUP_UUID: u8 = 6;
}

fn is_uuid_map_id(sub: u8) -> bool {
    matches!(sub, 5 | 6)
}

fn is_pstr_map_name(sub: u8) -> bool {
    matches!(sub, 3 | 4)
}

/// What FPMapID maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MapIdKey {
    /// A user or group ID (subfunctions 1–4 and unknown ones).
    Id(u32),
    /// A user or group UUID (subfunctions 5 and 6).
    Uuid([u8; 16]),
}

/// FPMapID (21). The key is written as given: use [`MapIdKey::Uuid`] exactly for
/// subfunctions 5 and 6.
#[doc(alias = "FPMapID")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapId {
    /// Subfunction ([`map_id`]).
    pub subfunction: u8,
    /// The ID or UUID to map.
    pub key: MapIdKey,
}

impl MapId {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let subfunction = r.u8("subfunction")?;
        let key = if is_uuid_map_id(subfunction) {
            MapIdKey::Uuid(r.array("UUID")?)
        } else {
            MapIdKey::Id(r.u32("ID")?)
        };
        Ok(MapId { subfunction, key })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(self.subfunction);
        match &self.key {
            MapIdKey::Id(id) => w.u32(*id),
            MapIdKey::Uuid(u) => w.bytes(u),
        }
    }
}
request_type!(MapId, MAP_ID);

/// FPMapID reply. Which variant depends on the request's subfunction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MapIdReply {
    /// Subfunctions 1, 2 (and unknown ones): pstr name in the legacy encoding.
    Name(Bytes),
    /// Subfunctions 3, 4: u16 length + UTF-8 name.
    Utf8Name(Bytes),
    /// Subfunctions 5, 6: u32 kind (1 user, 2 group), u32 ID, u16 length + UTF-8 name.
    Uuid {
        /// 1 = user, 2 = group.
        kind: u32,
        /// The numeric ID.
        id: u32,
        /// The UTF-8 name.
        name: Bytes,
    },
}

impl MapIdReply {
    /// Decodes the reply to a request with `subfunction`.
    pub fn decode(body: &Bytes, subfunction: u8) -> Result<MapIdReply, DecodeError> {
        let mut r = Reader::new(body);
        Ok(match subfunction {
            3 | 4 => MapIdReply::Utf8Name(r.u16_str("name")?),
            5 | 6 => MapIdReply::Uuid {
                kind: r.u32("kind")?,
                id: r.u32("ID")?,
                name: r.u16_str("name")?,
            },
            _ => MapIdReply::Name(r.pstr("name")?),
        })
    }

    /// Appends the reply block to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        self.write(&mut Writer::new(dst));
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) {
        match self {
            MapIdReply::Name(n) => w.pstr(n),
            MapIdReply::Utf8Name(n) => w.u16_str(n),
            MapIdReply::Uuid { kind, id, name } => {
                w.u32(*kind);
                w.u32(*id);
                w.u16_str(name);
            }
        }
    }
}

/// FPMapName (22). The name is a pstr for subfunctions 3 and 4, a u16-length string
/// otherwise.
#[doc(alias = "FPMapName")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapName {
    /// Subfunction ([`map_name`]).
    pub subfunction: u8,
    /// The name (at most 255 bytes for subfunctions 3 and 4).
    pub name: Bytes,
}

impl MapName {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let subfunction = r.u8("subfunction")?;
        let name = if is_pstr_map_name(subfunction) {
            r.pstr("name")?
        } else {
            r.u16_str("name")?
        };
        Ok(MapName { subfunction, name })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(self.subfunction);
        if is_pstr_map_name(self.subfunction) {
            w.pstr(&self.name);
        } else {
            w.u16_str(&self.name);
        }
    }
}
request_type!(MapName, MAP_NAME);

/// FPMapName reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapNameReply {
    /// Subfunctions 1–4 (and unknown ones): the user or group ID.
    Id(u32),
    /// Subfunctions 5 and 6: the UUID.
    Uuid([u8; 16]),
}

impl MapNameReply {
    /// Decodes the reply to a request with `subfunction`.
    pub fn decode(body: &Bytes, subfunction: u8) -> Result<MapNameReply, DecodeError> {
        let mut r = Reader::new(body);
        Ok(if matches!(subfunction, 5 | 6) {
            MapNameReply::Uuid(r.array("UUID")?)
        } else {
            MapNameReply::Id(r.u32("ID")?)
        })
    }

    /// Appends the reply block to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        self.write(&mut Writer::new(dst));
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>) {
        match self {
            MapNameReply::Id(id) => w.u32(*id),
            MapNameReply::Uuid(u) => w.bytes(u),
        }
    }
}
