//! Catalog search (spec §5.13) and FPSpotlightRPC.
//!
//! ```text
//! request 43/67 | pad | vid | u32 ReqMatches | u32 reserved | 16-byte CatalogPosition
//!               | u16 file result bitmap | u16 dir result bitmap | u32 ReqBitmap
//!               | Specification1 | Specification2
//! spec (43)     | u8 length | u8 filler | length bytes of parameters
//! spec (67)     | u16 length | length bytes of parameters
//! reply         | 16-byte CatalogPosition | u16 file bitmap | u16 dir bitmap
//!               | u32 ActualCount | entries…
//! entry (43)    | u8 length | u8 FileDir | parameters (+ pad to even)
//! entry (67)    | u16 length | u8 FileDir | u8 0 | parameters (+ pad to even)
//! ```
//!
//! Unlike enumerate entries, a catalog-search entry's length counts only the parameters,
//! not its header (netatalk `rslt_add`, Wireshark `reply_catsearch`). The specifications
//! are kept raw: their parameters follow ReqBitmap (a file/directory bitmap in the low
//! word, bit 31 = partial name match) with offsets counting from the first parameter byte.

use bytes::{Bytes, BytesMut};

use super::enumerate::{EntryLength, LengthCounts, entry_size, read_entries, write_entry};
use super::{CommandCode, Request, pad};
use crate::error::DecodeError;
use crate::params::{DirBitmap, FileBitmap, FileDirParams};
use crate::version::AfpVersion;
use crate::wire::{Reader, Writer};

/// Declares FPCatSearch / FPCatSearchExt.
macro_rules! catsearch_request {
    ($(#[$doc:meta])* $ty:ident, $code:ident, $form:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $ty {
            /// Volume ID.
            pub volume_id: u16,
            /// Maximum number of matches.
            pub req_matches: u32,
            /// Reserved (0).
            pub reserved: u32,
            /// Where to continue (all zeros = from the beginning).
            pub position: [u8; 16],
            /// File parameters wanted for matching files (unknown bits kept).
            pub file_bitmap: FileBitmap,
            /// Directory parameters wanted for matching directories (unknown bits kept).
            pub dir_bitmap: DirBitmap,
            /// Which criteria the specifications carry.
            pub req_bitmap: u32,
            /// Specification 1 (values / lower bounds), raw (at most 255 bytes for
            /// FPCatSearch, 65535 for FPCatSearchExt).
            pub spec1: Bytes,
            /// Specification 2 (upper bounds), raw.
            pub spec2: Bytes,
        }

        impl $ty {
            pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
                pad(r)?;
                let volume_id = r.u16("volume ID")?;
                let req_matches = r.u32("requested matches")?;
                let reserved = r.u32("reserved")?;
                let position = r.array("catalog position")?;
                let file_bitmap = FileBitmap::from_bits_retain(r.u16("file bitmap")?);
                let dir_bitmap = DirBitmap::from_bits_retain(r.u16("directory bitmap")?);
                let req_bitmap = r.u32("request bitmap")?;
                let spec1 = read_spec(r, $form)?;
                let spec2 = read_spec(r, $form)?;
                Ok($ty {
                    volume_id,
                    req_matches,
                    reserved,
                    position,
                    file_bitmap,
                    dir_bitmap,
                    req_bitmap,
                    spec1,
                    spec2,
                })
            }

            pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
                w.u8(0);
                w.u16(self.volume_id);
                w.u32(self.req_matches);
                w.u32(self.reserved);
                w.bytes(&self.position);
                w.u16(self.file_bitmap.bits());
                w.u16(self.dir_bitmap.bits());
                w.u32(self.req_bitmap);
                write_spec(w, &self.spec1, $form);
                write_spec(w, &self.spec2, $form);
            }
        }
        request_type!($ty, $code);
    };
}

fn read_spec(r: &mut Reader<'_>, form: EntryLength) -> Result<Bytes, DecodeError> {
    let len = match form {
        EntryLength::Short => {
            let len = r.u8("specification length")?;
            r.skip(1, "specification filler")?;
            usize::from(len)
        }
        EntryLength::Long => usize::from(r.u16("specification length")?),
    };
    r.bytes(len, "specification")
}

fn write_spec(w: &mut Writer<'_>, spec: &[u8], form: EntryLength) {
    match form {
        EntryLength::Short => {
            let spec = &spec[..spec.len().min(255)];
            w.u8(spec.len() as u8);
            w.u8(0); // filler
            w.bytes(spec);
        }
        EntryLength::Long => w.u16_str(spec),
    }
}

catsearch_request!(
    /// FPCatSearch (43).
    #[doc(alias = "FPCatSearch")]
    CatSearch,
    CAT_SEARCH,
    EntryLength::Short
);
catsearch_request!(
    /// FPCatSearchExt (67).
    #[doc(alias = "FPCatSearchExt")]
    CatSearchExt,
    CAT_SEARCH_EXT,
    EntryLength::Long
);

/// The reply of FPCatSearch and FPCatSearchExt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatSearchReply {
    /// Where to continue the search.
    pub position: [u8; 16],
    /// File bitmap of the file entries.
    pub file_bitmap: FileBitmap,
    /// Directory bitmap of the directory entries.
    pub dir_bitmap: DirBitmap,
    /// Matching entries. When encoding, an entry packed with another bitmap than the
    /// header's, or too large for its length field, is left out.
    pub entries: Vec<FileDirParams>,
}

impl CatSearchReply {
    /// Decodes the reply block; `form` is [`EntryLength::Short`] for FPCatSearch.
    pub fn decode(
        body: &Bytes,
        form: EntryLength,
        version: AfpVersion,
    ) -> Result<CatSearchReply, DecodeError> {
        let mut r = Reader::new(body);
        let position = r.array("catalog position")?;
        let file_bitmap = FileBitmap::from_bits_retain(r.u16("file bitmap")?);
        let dir_bitmap = DirBitmap::from_bits_retain(r.u16("directory bitmap")?);
        let count = r.u32("actual count")?;
        let entries = read_entries(
            &mut r,
            usize::try_from(count).unwrap_or(usize::MAX),
            form,
            LengthCounts::ParametersOnly,
            file_bitmap,
            dir_bitmap,
            version,
        )?;
        Ok(CatSearchReply {
            position,
            file_bitmap,
            dir_bitmap,
            entries,
        })
    }

    /// Appends the reply block to `dst`.
    pub fn encode(&self, dst: &mut BytesMut, form: EntryLength) {
        self.write(&mut Writer::new(dst), form);
    }

    pub(crate) fn write(&self, w: &mut Writer<'_>, form: EntryLength) {
        w.bytes(&self.position);
        w.u16(self.file_bitmap.bits());
        w.u16(self.dir_bitmap.bits());
        let count_at = w.pos();
        w.u32(0);
        let mut count = 0u32;
        for e in &self.entries {
            let fits_bitmap = match e {
                FileDirParams::File(p) => p.bitmap() == self.file_bitmap,
                FileDirParams::Dir(p) => p.bitmap() == self.dir_bitmap,
            };
            let field = entry_size(e, form) - form.header_len();
            let max = match form {
                EntryLength::Short => 0xFF,
                EntryLength::Long => 0xFFFF,
            };
            if fits_bitmap && field <= max && count < u32::MAX {
                write_entry(w, e, form, field);
                count += 1;
            }
        }
        w.patch_u32(count_at, count);
    }
}

/// FPSpotlightRPC (76): Apple's private Spotlight protocol, kept raw (a server without a
/// Spotlight backend answers kFPCallNotSupported).
#[doc(alias = "FPSpotlightRPC")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpotlightRpc {
    /// Everything after the pad byte.
    pub payload: Bytes,
}

impl SpotlightRpc {
    pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        pad(r)?;
        Ok(SpotlightRpc { payload: r.rest() })
    }

    pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
        w.u8(0);
        w.bytes(&self.payload);
    }
}
request_type!(SpotlightRpc, SPOTLIGHT_RPC);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::FileParams;

    #[test]
    fn spec_headers() {
        let c = CatSearch {
            volume_id: 1,
            req_matches: 10,
            reserved: 0,
            position: [0; 16],
            file_bitmap: FileBitmap::LONG_NAME,
            dir_bitmap: DirBitmap::LONG_NAME,
            req_bitmap: 0x40,
            spec1: Bytes::from_static(&[0, 2, 3, b'a', b'b', b'c']),
            spec2: Bytes::from_static(&[0, 0]),
        };
        let mut dst = BytesMut::new();
        c.encode(&mut dst);
        assert_eq!(&dst[36..], &[6, 0, 0, 2, 3, b'a', b'b', b'c', 2, 0, 0, 0]);
        assert_eq!(CatSearch::decode(&dst.freeze()).unwrap(), c);
    }

    #[test]
    fn entry_length_excludes_header() {
        let reply = CatSearchReply {
            position: [7; 16],
            file_bitmap: FileBitmap::NODE_ID,
            dir_bitmap: DirBitmap::empty(),
            entries: vec![FileDirParams::File(FileParams {
                node_id: Some(42),
                ..FileParams::default()
            })],
        };
        let mut dst = BytesMut::new();
        reply.encode(&mut dst, EntryLength::Long);
        assert_eq!(&dst[24..], &[0, 4, 0, 0, 0, 0, 0, 42]);
        assert_eq!(
            CatSearchReply::decode(&dst.freeze(), EntryLength::Long, AfpVersion::V3_4).unwrap(),
            reply
        );
    }
}
