//! Volume calls (spec §5.2): FPOpenVol, FPCloseVol, FPGetVolParms, FPSetVolParms, FPFlush.
//!
//! ```text
//! FPOpenVol      24 | pad | u16 bitmap | pstr name | pad to even | [8-byte password]
//! FPCloseVol      2 | pad | u16 vid
//! FPGetVolParms  17 | pad | u16 vid | u16 bitmap
//! FPSetVolParms  32 | pad | u16 vid | u16 bitmap | parameters (backup date only)
//! FPFlush        10 | pad | u16 vid
//! ```
//!
//! The FPOpenVol and FPGetVolParms replies are `u16 bitmap` + [`VolumeParams`]
//! ([`super::Reply::OpenVol`], [`super::Reply::GetVolParms`]).

use bytes::{Bytes, BytesMut};

use super::{CommandCode, Request, pad};
use crate::error::DecodeError;
use crate::params::{VolumeBitmap, VolumeParams};
use crate::wire::{Reader, Writer};

/// FPOpenVol (24).
#[doc(alias = "FPOpenVol")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenVol {
    /// Parameters wanted; must contain [`VolumeBitmap::VOLUME_ID`] (server check).
    pub bitmap: VolumeBitmap,
    /// Volume name as returned by FPGetSrvrParms (at most 255 bytes encoded).
    pub name: Bytes,
    /// Volume password, NUL-padded (only when the volume has one).
    pub password: Option<[u8; 8]>,
}

impl OpenVol {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        pad(r)?;
        let bitmap = VolumeBitmap::from_bits_retain(r.u16("volume bitmap")?);
        let name = r.pstr("volume name")?;
        // spec §5.2: "after the volume name pstr, pad to even before the optional 8-byte
        // password".
        r.pad_to_even();
        let password = if r.remaining() >= 8 {
            Some(r.array("volume password")?)
        } else {
            None
        };
        Ok(OpenVol {
            bitmap,
            name,
            password,
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.u16(self.bitmap.bits());
        w.pstr(&self.name);
        if let Some(p) = &self.password {
            w.pad_to_even();
            w.bytes(p);
        }
    }
}
request_type!(OpenVol, OPEN_VOL);

/// FPCloseVol (2).
#[doc(alias = "FPCloseVol")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseVol {
    /// Volume ID.
    pub volume_id: u16,
}

impl CloseVol {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        pad(r)?;
        Ok(CloseVol {
            volume_id: r.u16("volume ID")?,
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.u16(self.volume_id);
    }
}
request_type!(CloseVol, CLOSE_VOL);

/// FPGetVolParms (17).
#[doc(alias = "FPGetVolParms")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GetVolParms {
    /// Volume ID.
    pub volume_id: u16,
    /// Parameters wanted (unknown bits kept; check with [`VolumeBitmap::check`]).
    pub bitmap: VolumeBitmap,
}

impl GetVolParms {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        pad(r)?;
        Ok(GetVolParms {
            volume_id: r.u16("volume ID")?,
            bitmap: VolumeBitmap::from_bits_retain(r.u16("volume bitmap")?),
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.u16(self.volume_id);
        w.u16(self.bitmap.bits());
    }
}
request_type!(GetVolParms, GET_VOL_PARMS);

/// FPSetVolParms (32): only the backup date may be set (bitmap exactly 0x0010).
///
/// The parameters are kept raw so the server can check the volume and the bitmap in its
/// own order before [`SetVolParms::decode_params`].
#[doc(alias = "FPSetVolParms")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetVolParms {
    /// Volume ID.
    pub volume_id: u16,
    /// Bitmap as sent.
    pub bitmap: VolumeBitmap,
    /// The parameter record as sent.
    pub params: Bytes,
}

impl SetVolParms {
    /// A request setting `params` (normally just the backup date).
    pub fn new(volume_id: u16, params: &VolumeParams) -> SetVolParms {
        let mut dst = BytesMut::new();
        params.encode(&mut dst);
        SetVolParms {
            volume_id,
            bitmap: params.bitmap(),
            params: dst.freeze(),
        }
    }

    /// Decodes the parameter record per the bitmap.
    pub fn decode_params(&self) -> Result<VolumeParams, DecodeError> {
        VolumeParams::decode(self.bitmap, &self.params)
    }

    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        pad(r)?;
        Ok(SetVolParms {
            volume_id: r.u16("volume ID")?,
            bitmap: VolumeBitmap::from_bits_retain(r.u16("volume bitmap")?),
            params: r.rest(),
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.u16(self.volume_id);
        w.u16(self.bitmap.bits());
        w.bytes(&self.params);
    }
}
request_type!(SetVolParms, SET_VOL_PARMS);

/// FPFlush (10): flush everything of a volume.
#[doc(alias = "FPFlush")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flush {
    /// Volume ID.
    pub volume_id: u16,
}

impl Flush {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        pad(r)?;
        Ok(Flush {
            volume_id: r.u16("volume ID")?,
        })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.u16(self.volume_id);
    }
}
request_type!(Flush, FLUSH);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::AfpDate;

    #[test]
    fn open_vol_pads_before_password() {
        // spec §5.2 FPOpenVol: 24, pad, bitmap, pstr "Data" (5 bytes, ends at 9 → pad),
        // then the 8-byte password.
        let o = OpenVol {
            bitmap: VolumeBitmap::VOLUME_ID | VolumeBitmap::ATTRIBUTES,
            name: Bytes::from_static(b"Data"),
            password: Some(*b"secret\0\0"),
        };
        let mut dst = BytesMut::new();
        o.encode(&mut dst);
        assert_eq!(&dst[..], b"\x18\x00\x00\x21\x04Data\x00secret\x00\x00");
        assert_eq!(OpenVol::decode(&dst.freeze()).unwrap(), o);

        let without = Bytes::from_static(b"\x18\x00\x00\x20\x05Data1");
        let d = OpenVol::decode(&without).unwrap();
        assert_eq!(d.password, None);
        assert_eq!(&d.name[..], b"Data1");
    }

    #[test]
    fn set_vol_parms_keeps_params_raw() {
        let p = VolumeParams {
            backup_date: Some(AfpDate(5)),
            ..VolumeParams::default()
        };
        let s = SetVolParms::new(3, &p);
        let mut dst = BytesMut::new();
        s.encode(&mut dst);
        assert_eq!(&dst[..], &[32, 0, 0, 3, 0, 0x10, 0, 0, 0, 5]);
        let d = SetVolParms::decode(&dst.freeze()).unwrap();
        assert_eq!(d.decode_params().unwrap(), p);
    }
}
