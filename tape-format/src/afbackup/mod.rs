//! afbackup formats: the label (`spec/tape-format.md` §2.2), the server state files (§1)
//! with their range syntax, and the `ctime` text both use.

mod ctime;
mod label;
mod ranges;
mod state;

pub use ctime::CTime;
pub use label::{LABEL_MARKER, LABEL_MIN_LEN, Label, MAX_LABEL_BLOCKSIZE, label_len};
pub use ranges::{RangeItem, RangeSet};
pub use state::{
    BytesOnTape, BytesOnTapeEntry, CartridgeLocations, CartridgeName, CartridgeNames,
    CartridgeOrder, EverUsedBlocksizes, Location, LocationClass, OrderEntry, PreciousTapes,
    ReadonlyTapes, StateError, Status, TapePos, TapePosEntry, TapeUses,
};
