//! afbackup server state files (`/var/lib/afbackup`; `spec/tape-format.md` §1, seed
//! afserver(8)). Each type decodes a whole file and encodes it back; for files in the
//! writer's canonical form (what afbackup and we write) the bytes come back unchanged.
//!
//! | file | line |
//! |---|---|
//! | `bytes_on_tape` | `<cart>: <bytes> <files> <full 0/1> <epoch>` |
//! | `tapepos` | `<set>: <cart> <file>` or `<device> <cart> <file>` |
//! | `precious_tapes` | `<client-id> <ranges>` (id quoted if it has whitespace) |
//! | `readonly_tapes` | `<ranges>` |
//! | `cartridge_order` | `<cart> -> <next-cart> [<next-file>]` (no colon) |
//! | `tape_uses` | `<cart>: <count>` |
//! | `cartridge_locations` | `<cart>: <changer> <drive\|slot\|loadport> <n>` or `<cart>: <free text>` |
//! | `cartridge_names` | `<cart>: <barcode> <comment>` (barcode quoted if empty or with whitespace) |
//! | `ever_used_blocksizes` | `<bytes>` |
//! | `status` | `<ctime> [<pid>], <message>` |
//!
//! Blank lines are skipped. Errors name the 1-based line.

use super::ctime::CTime;
use super::ranges::{RangeSet, parse_u32, parse_u64};
use crate::error::DecodeError;

/// A state file did not parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct StateError {
    /// 1-based line number.
    pub line: usize,
    /// What was wrong.
    pub kind: DecodeError,
}

fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
        .filter(|(_, l)| !l.trim().is_empty())
}

fn at<T>(line: usize, r: Result<T, DecodeError>) -> Result<T, StateError> {
    r.map_err(|kind| StateError { line, kind })
}

/// Split `<key> <rest>` where the key may be double-quoted (kfile rule).
fn split_key(l: &str) -> Result<(String, &str), DecodeError> {
    if let Some(inner) = l.strip_prefix('"') {
        let mut key = String::new();
        let mut chars = inner.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    let (_, e) = chars.next().ok_or(DecodeError::BadQuoting("key"))?;
                    key.push(e);
                }
                '"' => {
                    let rest = &inner[i + 1..];
                    let rest = match rest.strip_prefix(' ') {
                        Some(r) => r,
                        None if rest.is_empty() => rest,
                        None => return Err(DecodeError::BadQuoting("key")),
                    };
                    return Ok((key, rest));
                }
                c => key.push(c),
            }
        }
        Err(DecodeError::BadQuoting("key"))
    } else {
        match l.split_once(' ') {
            Some((k, r)) => Ok((k.to_owned(), r)),
            None => Ok((l.to_owned(), "")),
        }
    }
}

fn needs_key_quotes(k: &str) -> bool {
    k.is_empty()
        || k.starts_with('"')
        || k.chars()
            .any(|c| c.is_whitespace() || c == '"' || c == '\\')
}

fn push_key(out: &mut String, k: &str) {
    if needs_key_quotes(k) {
        out.push('"');
        for c in k.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
    } else {
        out.push_str(k);
    }
}

fn cart_key(k: &str, what: &'static str) -> Result<u32, DecodeError> {
    parse_u32(
        k.strip_suffix(':').ok_or(DecodeError::BadField(what))?,
        what,
    )
}

fn fields<'a, const N: usize>(s: &'a str, what: &'static str) -> Result<[&'a str; N], DecodeError> {
    let v: Vec<&'a str> = s.split(' ').collect();
    v.try_into().map_err(|_| DecodeError::BadField(what))
}

fn no_newline(s: &str) -> bool {
    !s.contains(['\n', '\r'])
}

/// `bytes_on_tape`: per-cartridge counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BytesOnTape {
    /// The lines.
    pub entries: Vec<BytesOnTapeEntry>,
}

/// One `bytes_on_tape` line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BytesOnTapeEntry {
    /// Cartridge.
    pub cart: u32,
    /// Bytes written to the cartridge (label included, as afbackup counts).
    pub bytes: u64,
    /// Number of the current/last tape file.
    pub files: u32,
    /// The cartridge is full.
    pub full: bool,
    /// Last write, seconds since the epoch.
    pub time: u64,
}

impl BytesOnTape {
    /// Parse the file.
    pub fn decode(text: &str) -> Result<Self, StateError> {
        let mut entries = Vec::new();
        for (n, l) in lines(text) {
            let e = at(
                n,
                (|| {
                    let (k, rest) = l.split_once(' ').ok_or(DecodeError::Missing("counters"))?;
                    let [b, f, full, t] = fields::<4>(rest, "bytes_on_tape")?;
                    Ok(BytesOnTapeEntry {
                        cart: cart_key(k, "cartridge")?,
                        bytes: parse_u64(b, "bytes")?,
                        files: parse_u32(f, "files")?,
                        full: match full {
                            "0" => false,
                            "1" => true,
                            _ => return Err(DecodeError::BadField("full flag")),
                        },
                        time: parse_u64(t, "timestamp")?,
                    })
                })(),
            )?;
            entries.push(e);
        }
        Ok(BytesOnTape { entries })
    }

    /// Write the file.
    pub fn encode(&self) -> String {
        let mut s = String::new();
        for e in &self.entries {
            s.push_str(&format!(
                "{}: {} {} {} {}\n",
                e.cart,
                e.bytes,
                e.files,
                u8::from(e.full),
                e.time
            ));
        }
        s
    }

    /// The entry of cartridge `cart`.
    pub fn get(&self, cart: u32) -> Option<&BytesOnTapeEntry> {
        self.entries.iter().find(|e| e.cart == cart)
    }

    /// Replace or add the entry for `e.cart`, keeping the lines sorted by cartridge
    /// (afbackup's `KFILE_SORTN`).
    pub fn set(&mut self, e: BytesOnTapeEntry) {
        match self.entries.binary_search_by_key(&e.cart, |x| x.cart) {
            Ok(i) => self.entries[i] = e,
            Err(i) => self.entries.insert(i, e),
        }
    }
}

/// `tapepos`: write positions per cartridge set and what is in each drive.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TapePos {
    /// The lines.
    pub entries: Vec<TapePosEntry>,
}

/// One `tapepos` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TapePosEntry {
    /// `<set>: <cart> <file>`: the write position of a cartridge set.
    Set {
        /// Cartridge set, from 1.
        set: u32,
        /// Cartridge.
        cart: u32,
        /// Logical file.
        file: u32,
    },
    /// `<device> <cart> <file>`: the cartridge in a drive and where it stands.
    Device {
        /// Device name.
        device: String,
        /// Cartridge.
        cart: u32,
        /// Logical file.
        file: u32,
    },
}

impl TapePos {
    /// Parse the file.
    pub fn decode(text: &str) -> Result<Self, StateError> {
        let mut entries = Vec::new();
        for (n, l) in lines(text) {
            let e = at(
                n,
                (|| {
                    let (k, rest) = split_key(l)?;
                    let [c, f] = fields::<2>(rest, "tapepos")?;
                    let (cart, file) = (parse_u32(c, "cartridge")?, parse_u32(f, "file")?);
                    let set = k
                        .strip_suffix(':')
                        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()));
                    Ok(match set {
                        Some(s) if !l.starts_with('"') => TapePosEntry::Set {
                            set: parse_u32(s, "set")?,
                            cart,
                            file,
                        },
                        _ => {
                            if k.is_empty() {
                                return Err(DecodeError::Missing("device"));
                            }
                            TapePosEntry::Device {
                                device: k,
                                cart,
                                file,
                            }
                        }
                    })
                })(),
            )?;
            entries.push(e);
        }
        Ok(TapePos { entries })
    }

    /// Write the file.
    pub fn encode(&self) -> String {
        let mut s = String::new();
        for e in &self.entries {
            match e {
                TapePosEntry::Set { set, cart, file } => {
                    s.push_str(&format!("{set}: {cart} {file}\n"))
                }
                TapePosEntry::Device { device, cart, file } => {
                    // A device name that looks like a set key is quoted so it reads back as a device.
                    if device.ends_with(':')
                        && device[..device.len() - 1]
                            .bytes()
                            .all(|b| b.is_ascii_digit())
                    {
                        s.push('"');
                        s.push_str(device);
                        s.push('"');
                    } else {
                        push_key(&mut s, device);
                    }
                    s.push_str(&format!(" {cart} {file}\n"));
                }
            }
        }
        s
    }

    /// The write position (cartridge, file) of cartridge set `set`.
    pub fn set_position(&self, set: u32) -> Option<(u32, u32)> {
        self.entries.iter().find_map(|e| match e {
            TapePosEntry::Set { set: s, cart, file } if *s == set => Some((*cart, *file)),
            _ => None,
        })
    }

    /// Record the write position of a set.
    pub fn set_set_position(&mut self, set: u32, cart: u32, file: u32) {
        for e in &mut self.entries {
            if let TapePosEntry::Set { set: s, .. } = e
                && *s == set
            {
                *e = TapePosEntry::Set { set, cart, file };
                return;
            }
        }
        self.entries.push(TapePosEntry::Set { set, cart, file });
    }

    /// Record what is in a drive.
    pub fn set_device(&mut self, device: &str, cart: u32, file: u32) {
        for e in &mut self.entries {
            if let TapePosEntry::Device { device: d, .. } = e
                && d == device
            {
                *e = TapePosEntry::Device {
                    device: device.to_owned(),
                    cart,
                    file,
                };
                return;
            }
        }
        self.entries.push(TapePosEntry::Device {
            device: device.to_owned(),
            cart,
            file,
        });
    }
}

/// `precious_tapes`: cartridges each client needs for a full restore.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PreciousTapes {
    /// (client id, cartridges), in file order (afbackup sorts by ASCII).
    pub entries: Vec<(String, RangeSet)>,
}

impl PreciousTapes {
    /// Parse the file.
    pub fn decode(text: &str) -> Result<Self, StateError> {
        let mut entries = Vec::new();
        for (n, l) in lines(text) {
            let e = at(
                n,
                (|| {
                    let (k, rest) = split_key(l)?;
                    Ok((k, RangeSet::parse(rest)?))
                })(),
            )?;
            entries.push(e);
        }
        Ok(PreciousTapes { entries })
    }

    /// Write the file.
    pub fn encode(&self) -> String {
        let mut s = String::new();
        for (k, r) in &self.entries {
            push_key(&mut s, k);
            s.push(' ');
            s.push_str(&r.to_string());
            s.push('\n');
        }
        s
    }

    /// Whether any client needs cartridge `n`.
    pub fn contains(&self, n: u32, num_cartridges: u32) -> bool {
        self.entries
            .iter()
            .any(|(_, r)| r.contains(n, num_cartridges))
    }
}

/// `readonly_tapes`: cartridges not to be written (lines are merged).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadonlyTapes {
    /// One range list per line.
    pub lines: Vec<RangeSet>,
}

impl ReadonlyTapes {
    /// Parse the file.
    pub fn decode(text: &str) -> Result<Self, StateError> {
        let mut out = Vec::new();
        for (n, l) in lines(text) {
            out.push(at(n, RangeSet::parse(l.trim()))?);
        }
        Ok(ReadonlyTapes { lines: out })
    }

    /// Write the file.
    pub fn encode(&self) -> String {
        let mut s = String::new();
        for r in self.lines.iter().filter(|r| !r.items.is_empty()) {
            s.push_str(&r.to_string());
            s.push('\n');
        }
        s
    }

    /// Whether cartridge `n` is read-only.
    pub fn contains(&self, n: u32, num_cartridges: u32) -> bool {
        self.lines.iter().any(|r| r.contains(n, num_cartridges))
    }

    /// Mark cartridge `n` read-only (afclient -M "...ReadOnly").
    pub fn insert(&mut self, n: u32, num_cartridges: u32) {
        if self.contains(n, num_cartridges) {
            return;
        }
        match self.lines.last_mut() {
            Some(r) => r.insert(n, num_cartridges),
            None => self.lines.push(RangeSet {
                items: vec![super::RangeItem::Single(n)],
            }),
        }
    }

    /// Make cartridge `n` writable again.
    pub fn remove(&mut self, n: u32, num_cartridges: u32) {
        for r in &mut self.lines {
            r.remove(n, num_cartridges);
        }
        self.lines.retain(|r| !r.items.is_empty());
    }
}

/// `cartridge_order`: where reading continues when a cartridge is exhausted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CartridgeOrder {
    /// The lines.
    pub entries: Vec<OrderEntry>,
}

/// `<cart> -> <next-cart> [<next-file>]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderEntry {
    /// The exhausted cartridge.
    pub cart: u32,
    /// The cartridge to continue on (0 = neutralised entry).
    pub next_cart: u32,
    /// The file to continue at; missing means 1.
    pub next_file: Option<u32>,
}

impl CartridgeOrder {
    /// Parse the file.
    pub fn decode(text: &str) -> Result<Self, StateError> {
        let mut entries = Vec::new();
        for (n, l) in lines(text) {
            let e = at(
                n,
                (|| {
                    let v: Vec<&str> = l.split(' ').collect();
                    let (cart, next, file) = match v.as_slice() {
                        [c, "->", nc] => (c, nc, None),
                        [c, "->", nc, nf] => (c, nc, Some(parse_u32(nf, "next file")?)),
                        _ => return Err(DecodeError::BadField("cartridge_order")),
                    };
                    Ok(OrderEntry {
                        cart: parse_u32(cart, "cartridge")?,
                        next_cart: parse_u32(next, "next cartridge")?,
                        next_file: file,
                    })
                })(),
            )?;
            entries.push(e);
        }
        Ok(CartridgeOrder { entries })
    }

    /// Write the file.
    pub fn encode(&self) -> String {
        let mut s = String::new();
        for e in &self.entries {
            s.push_str(&format!("{} -> {}", e.cart, e.next_cart));
            if let Some(f) = e.next_file {
                s.push_str(&format!(" {f}"));
            }
            s.push('\n');
        }
        s
    }

    /// Where to continue after cartridge `cart`: the recorded (cartridge, file), or
    /// `None` when there is no live entry (then afbackup uses the next cartridge of the
    /// set, file 1).
    pub fn next(&self, cart: u32) -> Option<(u32, u32)> {
        self.entries
            .iter()
            .rev()
            .find(|e| e.cart == cart && e.next_cart != 0)
            .map(|e| (e.next_cart, e.next_file.unwrap_or(1)))
    }

    /// Record `cart -> next_cart next_file`. Older entries that pointed at
    /// (`next_cart`, `next_file`) from elsewhere are neutralised to `-> 0 0`, as afbackup
    /// does when a chain target is overwritten.
    pub fn link(&mut self, cart: u32, next_cart: u32, next_file: u32) {
        for e in &mut self.entries {
            if e.cart != cart && e.next_cart == next_cart && e.next_file.unwrap_or(1) == next_file {
                e.next_cart = 0;
                e.next_file = Some(0);
            }
        }
        let entry = OrderEntry {
            cart,
            next_cart,
            next_file: Some(next_file),
        };
        match self.entries.iter_mut().find(|e| e.cart == cart) {
            Some(e) => *e = entry,
            None => {
                let i = self.entries.partition_point(|e| e.cart < cart);
                self.entries.insert(i, entry);
            }
        }
    }
}

/// `tape_uses`: how often each cartridge became full.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TapeUses {
    /// (cartridge, count).
    pub entries: Vec<(u32, u64)>,
}

impl TapeUses {
    /// Parse the file.
    pub fn decode(text: &str) -> Result<Self, StateError> {
        let mut entries = Vec::new();
        for (n, l) in lines(text) {
            let e = at(
                n,
                (|| {
                    let [k, c] = fields::<2>(l, "tape_uses")?;
                    Ok((cart_key(k, "cartridge")?, parse_u64(c, "count")?))
                })(),
            )?;
            entries.push(e);
        }
        Ok(TapeUses { entries })
    }

    /// Write the file.
    pub fn encode(&self) -> String {
        self.entries
            .iter()
            .map(|(c, n)| format!("{c}: {n}\n"))
            .collect()
    }

    /// Count one more use of `cart` and return the new count.
    pub fn bump(&mut self, cart: u32) -> u64 {
        match self.entries.binary_search_by_key(&cart, |e| e.0) {
            Ok(i) => {
                self.entries[i].1 += 1;
                self.entries[i].1
            }
            Err(i) => {
                self.entries.insert(i, (cart, 1));
                1
            }
        }
    }
}

/// A location class of `cartridge_locations`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocationClass {
    /// In a drive.
    Drive,
    /// In a changer slot.
    Slot,
    /// In a load port.
    Loadport,
}

/// Where a cartridge is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// `<changer> <class> <n>`.
    Changer {
        /// Changer device.
        device: String,
        /// Drive, slot or load port.
        class: LocationClass,
        /// Which one.
        n: u32,
    },
    /// Anything else: a free-text description.
    FreeText(String),
}

/// `cartridge_locations`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CartridgeLocations {
    /// (cartridge, location).
    pub entries: Vec<(u32, Location)>,
}

impl CartridgeLocations {
    /// Parse the file.
    pub fn decode(text: &str) -> Result<Self, StateError> {
        let mut entries = Vec::new();
        for (n, l) in lines(text) {
            let e = at(
                n,
                (|| {
                    let (k, rest) = l.split_once(' ').ok_or(DecodeError::Missing("location"))?;
                    let cart = cart_key(k, "cartridge")?;
                    let v: Vec<&str> = rest.split(' ').collect();
                    let class = |w: &str| match w {
                        "drive" => Some(LocationClass::Drive),
                        "slot" => Some(LocationClass::Slot),
                        "loadport" => Some(LocationClass::Loadport),
                        _ => None,
                    };
                    let loc = match v.as_slice() {
                        [dev, c, num]
                            if !dev.is_empty()
                                && class(c).is_some()
                                && !num.is_empty()
                                && num.bytes().all(|b| b.is_ascii_digit())
                                && !num.starts_with('0') =>
                        {
                            match (class(c), num.parse()) {
                                (Some(class), Ok(n)) => Location::Changer {
                                    device: (*dev).to_owned(),
                                    class,
                                    n,
                                },
                                _ => Location::FreeText(rest.to_owned()),
                            }
                        }
                        _ => Location::FreeText(rest.to_owned()),
                    };
                    Ok((cart, loc))
                })(),
            )?;
            entries.push(e);
        }
        Ok(CartridgeLocations { entries })
    }

    /// Write the file. Free text with a newline is cut at it.
    pub fn encode(&self) -> String {
        let mut s = String::new();
        for (c, loc) in &self.entries {
            match loc {
                Location::Changer { device, class, n } => {
                    let w = match class {
                        LocationClass::Drive => "drive",
                        LocationClass::Slot => "slot",
                        LocationClass::Loadport => "loadport",
                    };
                    s.push_str(&format!("{c}: {device} {w} {n}\n"));
                }
                Location::FreeText(t) => {
                    let t = t.split(['\n', '\r']).next().unwrap_or("");
                    s.push_str(&format!("{c}: {t}\n"));
                }
            }
        }
        s
    }
}

/// `cartridge_names`: barcode and comment per cartridge.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CartridgeNames {
    /// The lines.
    pub entries: Vec<CartridgeName>,
}

/// One `cartridge_names` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CartridgeName {
    /// Cartridge.
    pub cart: u32,
    /// Barcode (may be empty).
    pub barcode: String,
    /// Comment (rest of the line).
    pub comment: String,
}

impl CartridgeNames {
    /// Parse the file.
    pub fn decode(text: &str) -> Result<Self, StateError> {
        let mut entries = Vec::new();
        for (n, l) in lines(text) {
            let e = at(
                n,
                (|| {
                    let (k, rest) = l.split_once(' ').ok_or(DecodeError::Missing("barcode"))?;
                    let (barcode, comment) = split_key(rest)?;
                    if !no_newline(comment) {
                        return Err(DecodeError::BadField("comment"));
                    }
                    Ok(CartridgeName {
                        cart: cart_key(k, "cartridge")?,
                        barcode,
                        comment: comment.to_owned(),
                    })
                })(),
            )?;
            entries.push(e);
        }
        Ok(CartridgeNames { entries })
    }

    /// Write the file.
    pub fn encode(&self) -> String {
        let mut s = String::new();
        for e in &self.entries {
            s.push_str(&format!("{}: ", e.cart));
            push_key(&mut s, &e.barcode);
            if !e.comment.is_empty() {
                s.push(' ');
                s.push_str(e.comment.split(['\n', '\r']).next().unwrap_or(""));
            }
            s.push('\n');
        }
        s
    }
}

/// `ever_used_blocksizes`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EverUsedBlocksizes {
    /// Block sizes, in file order.
    pub sizes: Vec<u32>,
}

impl EverUsedBlocksizes {
    /// Parse the file.
    pub fn decode(text: &str) -> Result<Self, StateError> {
        let mut sizes = Vec::new();
        for (n, l) in lines(text) {
            sizes.push(at(n, parse_u32(l.trim(), "block size"))?);
        }
        Ok(EverUsedBlocksizes { sizes })
    }

    /// Write the file.
    pub fn encode(&self) -> String {
        self.sizes.iter().map(|s| format!("{s}\n")).collect()
    }

    /// Add a size unless present; returns whether it was added.
    pub fn add(&mut self, size: u32) -> bool {
        if self.sizes.contains(&size) {
            return false;
        }
        self.sizes.push(size);
        true
    }
}

/// The `status` file: one line, rewritten on every change and every ~5 s of I/O.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    /// When.
    pub time: CTime,
    /// Server process id.
    pub pid: u32,
    /// What is going on.
    pub message: String,
}

impl Status {
    /// Parse the file (its first non-blank line).
    pub fn decode(text: &str) -> Result<Self, StateError> {
        let (n, l) = lines(text).next().ok_or(StateError {
            line: 1,
            kind: DecodeError::Missing("status line"),
        })?;
        at(
            n,
            (|| {
                let time = CTime::parse(l.get(..24).ok_or(DecodeError::Truncated("status"))?)?;
                let rest = l[24..]
                    .strip_prefix(" [")
                    .ok_or(DecodeError::BadField("status pid"))?;
                let (pid, msg) = rest
                    .split_once("], ")
                    .ok_or(DecodeError::BadField("status pid"))?;
                Ok(Status {
                    time,
                    pid: parse_u32(pid, "pid")?,
                    message: msg.to_owned(),
                })
            })(),
        )
    }

    /// Write the file.
    pub fn encode(&self) -> String {
        let msg = self.message.split(['\n', '\r']).next().unwrap_or("");
        format!("{} [{}], {}\n", self.time, self.pid, msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same<T>(text: &str, dec: fn(&str) -> Result<T, StateError>, enc: fn(&T) -> String) {
        let v = dec(text).unwrap();
        assert_eq!(enc(&v), text);
    }

    #[test]
    fn seed_examples_read_back_unchanged() {
        same(
            "3: 1234567890 17 1 1704164645\n",
            BytesOnTape::decode,
            BytesOnTape::encode,
        );
        same(
            "1: 3 18\n/dev/nst0 3 17\n",
            TapePos::decode,
            TapePos::encode,
        );
        same(
            "\"host a\" 1-3,7\nhostb 2\n",
            PreciousTapes::decode,
            PreciousTapes::encode,
        );
        same(
            "2-4,9\n-2\n8-\n",
            ReadonlyTapes::decode,
            ReadonlyTapes::encode,
        );
        same(
            "5 -> 8 1\n6 -> 0 0\n7 -> 9\n",
            CartridgeOrder::decode,
            CartridgeOrder::encode,
        );
        same("5: 3\n", TapeUses::decode, TapeUses::encode);
        same(
            "6: /dev/rmt/stctl0 slot 6\n7: offsite box 2\n",
            CartridgeLocations::decode,
            CartridgeLocations::encode,
        );
        same(
            "6: \"\" offsite box 2\n7: ABC123\n8: \"A B\" x\n",
            CartridgeNames::decode,
            CartridgeNames::encode,
        );
        same(
            "32768\n8192\n",
            EverUsedBlocksizes::decode,
            EverUsedBlocksizes::encode,
        );
        same(
            "Tue Jan  2 03:04:05 2024 [812], Device /dev/nst0 is idle.\n",
            Status::decode,
            Status::encode,
        );
    }

    #[test]
    fn decoded_values() {
        let b = BytesOnTape::decode("3: 1234567890 17 1 1704164645\n").unwrap();
        assert_eq!(
            b.get(3),
            Some(&BytesOnTapeEntry {
                cart: 3,
                bytes: 1_234_567_890,
                files: 17,
                full: true,
                time: 1_704_164_645
            })
        );
        let t = TapePos::decode("1: 3 18\n/dev/nst0 3 17\n").unwrap();
        assert_eq!(t.set_position(1), Some((3, 18)));
        let o = CartridgeOrder::decode("5 -> 8 1\n7 -> 9\n6 -> 0 0\n").unwrap();
        assert_eq!(o.next(5), Some((8, 1)));
        assert_eq!(o.next(7), Some((9, 1)));
        assert_eq!(o.next(6), None);
        let r = ReadonlyTapes::decode("2-4,9\n-2\n8-\n").unwrap();
        assert_eq!(
            (1..=12).filter(|&n| r.contains(n, 12)).collect::<Vec<_>>(),
            [1, 2, 3, 4, 8, 9, 10, 11, 12]
        );
        let l = CartridgeLocations::decode("6: /dev/rmt/stctl0 slot 6\n").unwrap();
        assert_eq!(
            l.entries[0].1,
            Location::Changer {
                device: "/dev/rmt/stctl0".into(),
                class: LocationClass::Slot,
                n: 6
            }
        );
        let n = CartridgeNames::decode("6: \"\" offsite box 2\n").unwrap();
        assert_eq!(n.entries[0].barcode, "");
        assert_eq!(n.entries[0].comment, "offsite box 2");
        let s =
            Status::decode("Tue Jan  2 03:04:05 2024 [812], Device /dev/nst0 is idle.\n").unwrap();
        assert_eq!(s.pid, 812);
        assert_eq!(s.time.to_unix(), 1_704_164_645);
    }

    #[test]
    fn errors_name_the_line() {
        assert_eq!(
            BytesOnTape::decode("1: 1 1 0 1\n2 5 1 0 1\n")
                .unwrap_err()
                .line,
            2
        );
        assert!(CartridgeOrder::decode("5 => 8\n").is_err());
        assert!(TapeUses::decode("5 3\n").is_err());
        assert!(Status::decode("garbage\n").is_err());
        assert!(PreciousTapes::decode("\"open 1-2\n").is_err());
    }

    #[test]
    fn mutators_keep_afbackup_order() {
        let mut b = BytesOnTape::default();
        for c in [3, 1, 2, 1] {
            b.set(BytesOnTapeEntry {
                cart: c,
                bytes: 10,
                files: 1,
                full: false,
                time: 0,
            });
        }
        assert_eq!(b.encode(), "1: 10 1 0 0\n2: 10 1 0 0\n3: 10 1 0 0\n");
        let mut o = CartridgeOrder::default();
        o.link(5, 8, 1);
        o.link(2, 8, 1);
        assert_eq!(o.encode(), "2 -> 8 1\n5 -> 0 0\n");
        let mut u = TapeUses::default();
        assert_eq!(u.bump(4), 1);
        assert_eq!(u.bump(4), 2);
        let mut r = ReadonlyTapes::default();
        r.insert(3, 10);
        r.insert(5, 10);
        assert_eq!(r.encode(), "3,5\n");
        r.remove(3, 10);
        assert_eq!(r.encode(), "5\n");
        let mut t = TapePos::default();
        t.set_set_position(1, 2, 3);
        t.set_device("/dev/nst0", 2, 3);
        t.set_set_position(1, 2, 4);
        assert_eq!(t.encode(), "1: 2 4\n/dev/nst0 2 3\n");
    }
}
