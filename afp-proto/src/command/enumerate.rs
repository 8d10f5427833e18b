//! Directory enumeration (spec §5.4): FPEnumerate, FPEnumerateExt, FPEnumerateExt2.
//!
//! ```text
//! request  9/66 | pad | vid | did | u16 file bitmap | u16 dir bitmap | u16 ReqCount
//!               | u16 StartIndex | u16 MaxReplySize | path
//! request    68 | pad | vid | did | u16 file bitmap | u16 dir bitmap | u16 ReqCount
//!               | u32 StartIndex | u32 MaxReplySize | path
//! reply         | u16 file bitmap | u16 dir bitmap | u16 ActualCount | entries…
//! entry (9)     | u8 StructLength | u8 FileDir | parameters | [0x00 to even length]
//! entry (66/68) | u16 StructLength | u8 FileDir | u8 0 | parameters | [0x00 to even length]
//! ```
//!
//! StructLength counts the whole entry, header included; name offsets count from the first
//! byte after the entry header. A server fills a reply with [`EnumerateReplyWriter`], which
//! refuses an entry that would not fit MaxReplySize (the reply is then complete; if not even
//! the first entry fits, the answer is kFPParamErr).

use bytes::{Bytes, BytesMut};

use super::{CommandCode, Request, pad};
use crate::error::DecodeError;
use crate::params::{DirBitmap, FileBitmap, FileDirParams};
use crate::path::Path;
use crate::version::AfpVersion;
use crate::wire::{Reader, Writer};

/// Declares FPEnumerate / FPEnumerateExt (16-bit start index and reply size).
macro_rules! enumerate_request {
    ($(#[$doc:meta])* $ty:ident, $code:ident, $idx:ty, $rd_idx:ident, $wr_idx:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $ty {
            /// Volume ID.
            pub volume_id: u16,
            /// Directory ID.
            pub dir_id: u32,
            /// File parameters wanted (0 = list only directories; unknown bits kept).
            pub file_bitmap: FileBitmap,
            /// Directory parameters wanted (0 = list only files; unknown bits kept).
            pub dir_bitmap: DirBitmap,
            /// Maximum number of entries.
            pub req_count: u16,
            /// 1-based index of the first entry.
            pub start_index: $idx,
            /// Maximum size of the reply block, header included.
            pub max_reply_size: $idx,
            /// Path of the directory.
            pub path: Path,
        }

        impl $ty {
            pub(super) fn decode_body(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
                pad(r)?;
                Ok($ty {
                    volume_id: r.u16("volume ID")?,
                    dir_id: r.u32("directory ID")?,
                    file_bitmap: FileBitmap::from_bits_retain(r.u16("file bitmap")?),
                    dir_bitmap: DirBitmap::from_bits_retain(r.u16("directory bitmap")?),
                    req_count: r.u16("request count")?,
                    start_index: r.$rd_idx("start index")?,
                    max_reply_size: r.$rd_idx("max reply size")?,
                    path: Path::read(r)?,
                })
            }

            pub(super) fn encode_body(&self, w: &mut Writer<'_>) {
                w.u8(0);
                w.u16(self.volume_id);
                w.u32(self.dir_id);
                w.u16(self.file_bitmap.bits());
                w.u16(self.dir_bitmap.bits());
                w.u16(self.req_count);
                w.$wr_idx(self.start_index);
                w.$wr_idx(self.max_reply_size);
                self.path.write(w);
            }
        }
        request_type!($ty, $code);
    };
}

enumerate_request!(
    /// FPEnumerate (9): AFP 2 enumeration with 1-byte entry lengths.
    #[doc(alias = "FPEnumerate")]
    Enumerate,
    ENUMERATE,
    u16,
    u16,
    u16
);
enumerate_request!(
    /// FPEnumerateExt (66): 2-byte entry lengths.
    #[doc(alias = "FPEnumerateExt")]
    EnumerateExt,
    ENUMERATE_EXT,
    u16,
    u16,
    u16
);
enumerate_request!(
    /// FPEnumerateExt2 (68): 32-bit start index and reply size.
    #[doc(alias = "FPEnumerateExt2")]
    EnumerateExt2,
    ENUMERATE_EXT2,
    u32,
    u32,
    u32
);

/// The size of the length field of enumerate and catalog-search entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryLength {
    /// `u8 length, u8 FileDir` (FPEnumerate, FPCatSearch).
    Short,
    /// `u16 length, u8 FileDir, u8 pad` (FPEnumerateExt, FPEnumerateExt2, FPCatSearchExt).
    Long,
}

impl EntryLength {
    /// The entry form of an enumerate or catalog-search command.
    pub fn for_command(code: CommandCode) -> Option<EntryLength> {
        match code {
            CommandCode::ENUMERATE | CommandCode::CAT_SEARCH => Some(EntryLength::Short),
            CommandCode::ENUMERATE_EXT
            | CommandCode::ENUMERATE_EXT2
            | CommandCode::CAT_SEARCH_EXT => Some(EntryLength::Long),
            _ => None,
        }
    }

    /// Size of the entry header.
    pub fn header_len(self) -> usize {
        match self {
            EntryLength::Short => 2,
            EntryLength::Long => 4,
        }
    }

    fn max_field(self) -> usize {
        match self {
            EntryLength::Short => 0xFF,
            EntryLength::Long => 0xFFFF,
        }
    }
}

/// Whether an entry's length field counts its header: enumerate entries do, catalog-search
/// entries do not (netatalk `rslt_add`, Wireshark `loop_record`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LengthCounts {
    WholeEntry,
    ParametersOnly,
}

/// Total size of an entry on the wire (header, parameters, pad to even).
pub(super) fn entry_size(entry: &FileDirParams, form: EntryLength) -> usize {
    (form.header_len() + entry.encoded_len()).next_multiple_of(2)
}

/// The length field value of an entry, or `None` if it does not fit the field.
fn length_field(entry: &FileDirParams, form: EntryLength, counts: LengthCounts) -> Option<usize> {
    let size = entry_size(entry, form);
    let field = match counts {
        LengthCounts::WholeEntry => size,
        LengthCounts::ParametersOnly => size - form.header_len(),
    };
    (field <= form.max_field()).then_some(field)
}

/// Writes one entry; the caller checked [`length_field`].
pub(super) fn write_entry(
    w: &mut Writer<'_>,
    entry: &FileDirParams,
    form: EntryLength,
    field: usize,
) {
    match form {
        EntryLength::Short => w.u8(field as u8),
        EntryLength::Long => w.u16(field as u16),
    }
    w.u8(entry.file_dir_flag());
    if form == EntryLength::Long {
        w.u8(0);
    }
    entry.write(&mut w.nested());
    w.pad_to_even();
}

/// True if `entry` is packed with the bitmap the reply header announces.
fn matches_bitmaps(entry: &FileDirParams, file_bitmap: FileBitmap, dir_bitmap: DirBitmap) -> bool {
    match entry {
        FileDirParams::File(p) => p.bitmap() == file_bitmap,
        FileDirParams::Dir(p) => p.bitmap() == dir_bitmap,
    }
}

/// Reads `count` entries.
pub(super) fn read_entries(
    r: &mut Reader<'_>,
    count: usize,
    form: EntryLength,
    counts: LengthCounts,
    file_bitmap: FileBitmap,
    dir_bitmap: DirBitmap,
    version: AfpVersion,
) -> Result<Vec<FileDirParams>, DecodeError> {
    // Each entry takes at least its header: do not trust the count for the allocation.
    let mut entries = Vec::with_capacity(count.min(r.remaining() / form.header_len()));
    for _ in 0..count {
        let field = match form {
            EntryLength::Short => usize::from(r.u8("entry length")?),
            EntryLength::Long => usize::from(r.u16("entry length")?),
        };
        let params_len = match counts {
            LengthCounts::WholeEntry => field
                .checked_sub(form.header_len())
                .ok_or(DecodeError::Invalid("entry length"))?,
            LengthCounts::ParametersOnly => field,
        };
        let is_dir = r.u8("FileDir flag")? & 0x80 != 0;
        if form == EntryLength::Long {
            r.skip(1, "entry pad byte")?;
        }
        let block = r.bytes(params_len, "entry parameters")?;
        let entry = FileDirParams::decode(is_dir, file_bitmap, dir_bitmap, &block, version)?;
        // Names whose offsets overlap can make an entry that fits its length field only as
        // sent; no server writes them, and such an entry could not be encoded again.
        if length_field(&entry, form, counts).is_none() {
            return Err(DecodeError::Invalid("entry length"));
        }
        entries.push(entry);
    }
    Ok(entries)
}

/// The reply of FPEnumerate, FPEnumerateExt and FPEnumerateExt2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumerateReply {
    /// File bitmap of the file entries.
    pub file_bitmap: FileBitmap,
    /// Directory bitmap of the directory entries.
    pub dir_bitmap: DirBitmap,
    /// The entries. When encoding, an entry packed with another bitmap than the header's, or
    /// too large for its length field, is left out.
    pub entries: Vec<FileDirParams>,
}

impl EnumerateReply {
    /// Decodes the reply block; `form` is [`EntryLength::Short`] for FPEnumerate.
    pub fn decode(
        body: &Bytes,
        form: EntryLength,
        version: AfpVersion,
    ) -> Result<EnumerateReply, DecodeError> {
        let mut r = Reader::new(body);
        let file_bitmap = FileBitmap::from_bits_retain(r.u16("file bitmap")?);
        let dir_bitmap = DirBitmap::from_bits_retain(r.u16("directory bitmap")?);
        let count = usize::from(r.u16("actual count")?);
        let entries = read_entries(
            &mut r,
            count,
            form,
            LengthCounts::WholeEntry,
            file_bitmap,
            dir_bitmap,
            version,
        )?;
        Ok(EnumerateReply {
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
        let mut out = EnumerateReplyWriter::start(
            w.nested(),
            form,
            self.file_bitmap,
            self.dir_bitmap,
            usize::MAX,
        );
        for e in &self.entries {
            // Entries that cannot be written are documented as left out.
            let _ = out.push(e);
        }
    }
}

/// Why [`EnumerateReplyWriter::push`] refused an entry. Nothing was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PushError {
    /// The entry would make the reply larger than MaxReplySize (or the count would
    /// overflow): the reply is complete.
    #[error("the entry does not fit in the reply")]
    Full,
    /// The entry is larger than its length field can express (over 254 bytes for
    /// FPEnumerate).
    #[error("the entry is too large for its length field")]
    TooLarge,
    /// The entry was not packed with the bitmap of the reply header.
    #[error("the entry's bitmap differs from the reply's")]
    BitmapMismatch,
}

/// Builds an enumerate reply in place, entry by entry, within MaxReplySize.
///
/// ```
/// use afp_proto::command::{EntryLength, EnumerateReplyWriter, PushError};
/// use afp_proto::params::{DirBitmap, FileBitmap, FileDirParams, FileParams};
/// use bytes::BytesMut;
///
/// let mut reply = BytesMut::new();
/// let mut w = EnumerateReplyWriter::new(
///     &mut reply, EntryLength::Long, FileBitmap::NODE_ID, DirBitmap::empty(), 40);
/// let entry = FileDirParams::File(FileParams { node_id: Some(17), ..Default::default() });
/// while w.push(&entry).is_ok() {}          // 6-byte header + 8-byte entries
/// assert_eq!(w.count(), 4);
/// assert_eq!(w.push(&entry), Err(PushError::Full));
/// assert_eq!(reply.len(), 38);
/// ```
#[derive(Debug)]
pub struct EnumerateReplyWriter<'a> {
    w: Writer<'a>,
    form: EntryLength,
    file_bitmap: FileBitmap,
    dir_bitmap: DirBitmap,
    max_reply_size: usize,
    count: u16,
}

impl<'a> EnumerateReplyWriter<'a> {
    /// Starts a reply at the end of `dst`: writes the two bitmaps and an ActualCount of 0.
    /// `max_reply_size` is the request's MaxReplySize (the whole block, header included).
    pub fn new(
        dst: &'a mut BytesMut,
        form: EntryLength,
        file_bitmap: FileBitmap,
        dir_bitmap: DirBitmap,
        max_reply_size: usize,
    ) -> EnumerateReplyWriter<'a> {
        EnumerateReplyWriter::start(
            Writer::new(dst),
            form,
            file_bitmap,
            dir_bitmap,
            max_reply_size,
        )
    }

    fn start(
        mut w: Writer<'a>,
        form: EntryLength,
        file_bitmap: FileBitmap,
        dir_bitmap: DirBitmap,
        max_reply_size: usize,
    ) -> EnumerateReplyWriter<'a> {
        w.u16(file_bitmap.bits());
        w.u16(dir_bitmap.bits());
        w.u16(0);
        EnumerateReplyWriter {
            w,
            form,
            file_bitmap,
            dir_bitmap,
            max_reply_size,
            count: 0,
        }
    }

    /// Appends one entry, or refuses it without writing anything.
    pub fn push(&mut self, entry: &FileDirParams) -> Result<(), PushError> {
        if !matches_bitmaps(entry, self.file_bitmap, self.dir_bitmap) {
            return Err(PushError::BitmapMismatch);
        }
        let field =
            length_field(entry, self.form, LengthCounts::WholeEntry).ok_or(PushError::TooLarge)?;
        // spec §5.4: "the reply is full (no partial entries)".
        if self.w.pos() + field > self.max_reply_size || self.count == u16::MAX {
            return Err(PushError::Full);
        }
        write_entry(&mut self.w, entry, self.form, field);
        self.count += 1;
        self.w.patch_u16(4, self.count);
        Ok(())
    }

    /// Entries written so far (the ActualCount field, always up to date).
    pub fn count(&self) -> u16 {
        self.count
    }

    /// Size of the reply block so far.
    pub fn len(&self) -> usize {
        self.w.pos()
    }

    /// True if no entry was written.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::{DirParams, FileParams};
    use crate::path::AfpName;

    #[test]
    fn ext2_entries_from_spec_table() {
        let dir = FileDirParams::Dir(DirParams {
            node_id: Some(18),
            utf8_name: Some(AfpName::new(Bytes::from_static(b"docs"))),
            ..DirParams::default()
        });
        let file = FileDirParams::File(FileParams {
            node_id: Some(19),
            utf8_name: Some(AfpName::new(Bytes::from_static(b"a.txt"))),
            ..FileParams::default()
        });
        let reply = EnumerateReply {
            file_bitmap: FileBitmap::NODE_ID | FileBitmap::UTF8_NAME,
            dir_bitmap: DirBitmap::NODE_ID | DirBitmap::UTF8_NAME,
            entries: vec![dir, file],
        };
        let mut dst = BytesMut::new();
        reply.encode(&mut dst, EntryLength::Long);
        #[rustfmt::skip]
        let want: &[u8] = &[
            0x21, 0x00, 0x21, 0x00, 0x00, 0x02,
            // entry 1: length 24 (4 + 10 fixed + 10 name), directory
            0x00, 0x18, 0x80, 0x00,
            0x00, 0x00, 0x00, 0x12, 0x00, 0x0A, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x04, b'd', b'o', b'c', b's',
            // entry 2: 4 + 10 + 11 = 25 → padded to 26, file
            0x00, 0x1A, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x13, 0x00, 0x0A, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x05, b'a', b'.', b't', b'x', b't', 0x00,
        ];
        assert_eq!(&dst[..], want);
        let back = EnumerateReply::decode(&dst.freeze(), EntryLength::Long, AfpVersion::V3_4);
        assert_eq!(back.unwrap(), reply);
    }

    #[test]
    fn writer_stops_before_max_reply_size() {
        let e = FileDirParams::File(FileParams {
            node_id: Some(1),
            ..FileParams::default()
        });
        let mut dst = BytesMut::new();
        let mut w = EnumerateReplyWriter::new(
            &mut dst,
            EntryLength::Short,
            FileBitmap::NODE_ID,
            DirBitmap::empty(),
            6 + 6 * 3 + 5,
        );
        assert_eq!(w.push(&e), Ok(()));
        assert_eq!(w.push(&e), Ok(()));
        assert_eq!(w.push(&e), Ok(()));
        assert_eq!(w.push(&e), Err(PushError::Full));
        let mismatched = FileDirParams::File(FileParams::default());
        assert_eq!(w.push(&mismatched), Err(PushError::BitmapMismatch));
        assert_eq!(w.count(), 3);
        assert_eq!(w.len(), 24);
        assert_eq!(&dst[..8], &[1, 0, 0, 0, 0, 3, 6, 0]);
    }

    #[test]
    fn short_entries_over_255_bytes_are_refused() {
        let e = FileDirParams::File(FileParams {
            long_name: Some(Bytes::from(vec![b'x'; 255])),
            ..FileParams::default()
        });
        let mut dst = BytesMut::new();
        let mut w = EnumerateReplyWriter::new(
            &mut dst,
            EntryLength::Short,
            FileBitmap::LONG_NAME,
            DirBitmap::empty(),
            10_000,
        );
        assert_eq!(w.push(&e), Err(PushError::TooLarge));
        assert_eq!(dst.len(), 6);
    }
}
