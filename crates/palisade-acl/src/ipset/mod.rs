//! IP sets: IPv4 and IPv6 CIDR prefixes, parsed from text or inline lists, built once into an
//! immutable structure with lookup in bounded time (AWS WAF's `IPSet`).
//!
//! # Text format
//! One entry per line: an IPv4 or IPv6 address (`192.0.2.7`, `2001:db8::1`, taken as /32 or
//! /128) or a CIDR prefix (`10.0.0.0/8`, `2001:db8::/32`). `#` starts a comment, to the end of
//! the line, after an entry or on its own line; blank lines are allowed; whitespace around an
//! entry is ignored; lines may end in LF or CRLF.
//!
//! ```text
//! # office and VPN
//! 198.51.100.0/24
//! 2001:db8:42::/48   # VPN pool
//! 203.0.113.9
//! ```
//!
//! Entries must be canonical: a prefix with host bits set (`10.0.0.1/8`) is rejected, as AWS
//! WAF rejects it, with a message offering both readings (`10.0.0.0/8`, or `10.0.0.1` alone).
//! IPv4-mapped IPv6 prefixes (`::ffff:10.0.0.0/104`) are rejected in favour of their IPv4 form.
//! Duplicate and overlapping entries are fine.
//!
//! # Matching
//! An IPv4 client matches the IPv4 entries; an IPv6 client the IPv6 entries, except that an
//! IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, what a dual-stack socket reports for an IPv4
//! peer) is the IPv4 client `a.b.c.d` and matches the IPv4 entries only. So `::/0` means
//! every IPv6 client and no IPv4 one, and `0.0.0.0/0` every IPv4 client in either form.
//!
//! # Limits
//! [`MAX_SOURCE_BYTES`], [`MAX_LINE_BYTES`] and [`MAX_ENTRIES`] bound the input; at most
//! [`MAX_DIAGNOSTICS`] errors are kept (the rest are counted). The built set uses at most
//! about 2 × 96 bytes per entry (see [`IpSet`]).

mod diag;
mod prefix;
mod trie;

use std::fmt;
use std::net::IpAddr;

pub use diag::{Diagnostic, Diagnostics, MAX_DIAGNOSTICS, Place};
pub use prefix::{IpFamily, IpPrefix, IpSetError};

use prefix::{Fault, parse_entry};
use trie::Trie;

/// Most entries one IP set may have (AWS WAF allows 10,000 per IP set; feeds of bad
/// addresses reach a few hundred thousand).
pub const MAX_ENTRIES: usize = 1_000_000;

/// Longest line, in bytes, including any comment (the longest entry is 49 characters).
pub const MAX_LINE_BYTES: usize = 4096;

/// Largest source text, in bytes: room for [`MAX_ENTRIES`] entries with comments. Callers
/// reading a file can read at most this many bytes plus one and let the parser report it.
pub const MAX_SOURCE_BYTES: usize = 64 * 1024 * 1024;

/// A set of IPv4 and IPv6 prefixes with lookup in time independent of its size.
///
/// Built once ([`IpSet::parse`], [`IpSet::from_entries`], [`IpSet::from_prefixes`]), then
/// immutable and `Send + Sync`: share it behind an `Arc` and swap the `Arc` on reload.
///
/// Each family is a path-compressed multibit trie with a stride of 8 bits: a lookup visits at
/// most 4 nodes for IPv4 and 16 for IPv6, with constant work per node (two bitmap tests, one
/// popcount). The structure was chosen over a sorted array (binary search: log2(n) steps, 17
/// at 100k entries) and over one hash set per prefix length (up to 33 or 129 probes) because
/// its cost is bounded by the address width alone. Nodes are 80 bytes (IPv4) and 96 bytes
/// (IPv6), and there are at most two per distinct prefix, so memory is linear in the number of
/// entries; [`IpSet::heap_bytes`] reports it.
#[derive(Clone, Default)]
pub struct IpSet {
    v4: Trie<u32>,
    v6: Trie<u128>,
    entries: usize,
}

impl IpSet {
    /// Parses an IP set in the text format of the [module documentation](self).
    ///
    /// `source_name` (usually the file path) is used only in diagnostics. Every bad line is
    /// reported, with `source_name:line:column`, in one [`Diagnostics`].
    pub fn parse(source_name: &str, text: &str) -> Result<Self, Diagnostics> {
        let mut diags = Diagnostics::new();
        if text.len() > MAX_SOURCE_BYTES {
            diags.push(Diagnostic::at_line(
                source_name,
                1,
                "",
                Fault::new(
                    IpSetError::SourceTooLarge {
                        length: text.len(),
                        limit: MAX_SOURCE_BYTES,
                    },
                    0,
                    0,
                ),
            ));
            return Err(diags);
        }
        let mut builder = Builder::default();
        for (i, raw) in text.split('\n').enumerate() {
            let line = raw.strip_suffix('\r').unwrap_or(raw);
            for fault in builder.line(line, false) {
                diags.push(Diagnostic::at_line(source_name, i + 1, line, fault));
            }
        }
        builder.finish(diags)
    }

    /// Builds an IP set from inline entries, such as a list in the configuration. Each entry
    /// is parsed like one line of the text format (a trailing `# comment` is allowed), but an
    /// entry without a prefix in it is an error ([`IpSetError::EmptyEntry`]). Diagnostics
    /// carry the entry's index ([`Place::Entry`]) for the caller to map to its own source.
    pub fn from_entries<S: AsRef<str>>(entries: &[S]) -> Result<Self, Diagnostics> {
        let mut diags = Diagnostics::new();
        let mut builder = Builder::default();
        for (index, entry) in entries.iter().enumerate() {
            let entry = entry.as_ref();
            for fault in builder.line(entry, true) {
                diags.push(Diagnostic::at_entry(index, entry, fault));
            }
        }
        builder.finish(diags)
    }

    /// Builds an IP set from prefixes already parsed. Infallible: [`IpPrefix`] is canonical by
    /// construction. No entry limit applies; memory is at most about 2 × 96 bytes per prefix.
    pub fn from_prefixes(prefixes: &[IpPrefix]) -> Self {
        let mut builder = Builder {
            entries: prefixes.len(),
            ..Builder::default()
        };
        for &p in prefixes {
            builder.push(p);
        }
        builder.build()
    }

    /// Whether `ip` is inside one of the set's prefixes. IPv4-mapped IPv6 addresses are looked
    /// up as the IPv4 address they map (see the [module documentation](self)). At most 4 trie
    /// nodes are visited for IPv4 and 16 for IPv6, whatever the size of the set.
    #[inline]
    pub fn contains(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(a) => self.v4.contains(u32::from(a)),
            IpAddr::V6(a) => match a.to_ipv4_mapped() {
                Some(v4) => self.v4.contains(u32::from(v4)),
                None => self.v6.contains(u128::from(a)),
            },
        }
    }

    /// Number of entries the set was built from, duplicates and overlapping ones included.
    pub fn len(&self) -> usize {
        self.entries
    }

    /// Whether the set was built from no entry (it then contains no address).
    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// Bytes of heap memory the set holds (the trie nodes of both families).
    pub fn heap_bytes(&self) -> usize {
        self.v4.heap_bytes() + self.v6.heap_bytes()
    }
}

impl fmt::Debug for IpSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IpSet")
            .field("entries", &self.entries)
            .field("v4_nodes", &self.v4.node_count())
            .field("v6_nodes", &self.v6.node_count())
            .field("heap_bytes", &self.heap_bytes())
            .finish()
    }
}

/// Prefixes collected from lines or entries, with the entry limit applied.
#[derive(Default)]
struct Builder {
    v4: Vec<(u32, u8)>,
    v6: Vec<(u128, u8)>,
    entries: usize,
}

impl Builder {
    /// Parses one line (or inline entry) and keeps its prefix; returns its faults, with byte
    /// ranges in `line`. Beyond [`MAX_ENTRIES`] lines are still checked but not kept.
    fn line(&mut self, line: &str, inline: bool) -> Vec<Fault> {
        let mut faults = Vec::new();
        if line.len() > MAX_LINE_BYTES {
            faults.push(Fault::new(
                IpSetError::LineTooLong {
                    length: line.len(),
                    limit: MAX_LINE_BYTES,
                },
                0,
                0,
            ));
            return faults;
        }
        let content = line.find('#').map_or(line, |i| &line[..i]);
        let Some(start) = content.find(|c: char| !c.is_whitespace()) else {
            if inline {
                faults.push(Fault::new(IpSetError::EmptyEntry, 0, line.len()));
            }
            return faults;
        };
        let end = content[start..]
            .find(char::is_whitespace)
            .map_or(content.len(), |e| start + e);
        let token = &content[start..end];
        self.entries += 1;
        if self.entries == MAX_ENTRIES + 1 {
            faults.push(Fault::new(
                IpSetError::TooManyEntries { limit: MAX_ENTRIES },
                start,
                end,
            ));
        }
        match parse_entry(token) {
            Ok(p) if self.entries <= MAX_ENTRIES => self.push(p),
            Ok(_) => {}
            Err(f) => faults.push(f.shifted(start)),
        }
        if let Some(gap) = content[end..].find(|c: char| !c.is_whitespace()) {
            let text = content[end + gap..].trim_end();
            faults.push(Fault::new(
                IpSetError::TrailingText {
                    text: text.to_owned(),
                },
                end + gap,
                end + gap + text.len(),
            ));
        }
        faults
    }

    fn push(&mut self, p: IpPrefix) {
        match p.addr() {
            IpAddr::V4(a) => self.v4.push((u32::from(a), p.prefix_len())),
            IpAddr::V6(a) => self.v6.push((u128::from(a), p.prefix_len())),
        }
    }

    fn finish(self, diags: Diagnostics) -> Result<IpSet, Diagnostics> {
        if diags.is_empty() {
            Ok(self.build())
        } else {
            Err(diags)
        }
    }

    fn build(self) -> IpSet {
        IpSet {
            v4: Trie::build(self.v4),
            v6: Trie::build(self.v6),
            entries: self.entries,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_is_send_sync() {
        fn check<T: Send + Sync + 'static>() {}
        check::<IpSet>();
        check::<Diagnostics>();
    }

    #[test]
    fn trailing_text_offset_is_in_the_line() {
        let mut b = Builder::default();
        let faults = b.line("  10.0.0.0  /8  # c", false);
        assert_eq!(faults.len(), 1);
        assert_eq!((faults[0].start, faults[0].end), (12, 14));
    }
}
