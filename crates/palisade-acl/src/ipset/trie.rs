//! A path-compressed multibit trie with a fixed stride of 8 bits, over `u32` (IPv4) or
//! `u128` (IPv6) keys, answering "is this address inside any of the prefixes?".
//!
//! # Why this structure
//! Lookup time must not depend on the number of entries. A trie over the address bytes visits
//! at most one node per byte — 4 for IPv4, 16 for IPv6 — and does a fixed amount of work per
//! node, so the cost is bounded by the address width alone. (A sorted array with binary search
//! is smaller but takes log2(n) steps, 17 for 100k entries, each a likely cache miss; a hash
//! set per prefix length takes up to 33 or 129 probes.)
//!
//! # Node layout
//! Each node branches on one byte of the address (256 slots) and stores two 256-bit bitmaps:
//! `full` (every address below this slot is in the set: a prefix ends at this level, expanded
//! to the slots it covers) and `kids` (a child node continues below this slot). The children
//! of a node sit next to each other in one array, so a slot's child is found by counting the
//! `kids` bits before it (popcount, with the count per 64-bit word precomputed) — the
//! Poptrie/Tree Bitmap idea, which keeps a node at 80 (IPv4) or 96 (IPv6) bytes instead of 256
//! child pointers.
//!
//! Chains of nodes with a single child and nothing ending in them are skipped (path
//! compression): a node records the depth it branches at and the address bits above it, which
//! the lookup compares before using the node. Every stored node therefore has at least two
//! children or at least one prefix ending in it, which bounds the node count by twice the
//! number of distinct prefixes, whatever the entries — memory is O(n), at most 2 × 96 bytes
//! per entry and far less for clustered real-world lists.
//!
//! # Build
//! The prefixes are sorted, prefixes covered by another (duplicates, nested ones) dropped,
//! which leaves disjoint prefixes in address order; the trie is then built top-down in one
//! pass per level, O(n log n) for the sort plus O(n × levels).

use std::fmt;
use std::ops::{BitAnd, BitXor};

/// An address as an unsigned integer, most significant byte first.
pub(crate) trait Key:
    Copy + Ord + Default + BitXor<Output = Self> + BitAnd<Output = Self>
{
    /// Address width in bytes (4 or 16): the maximum depth of the trie.
    const BYTES: u8;
    /// All bits zero.
    const ZERO: Self;
    /// Byte `i` of the address, 0 being the most significant; `i < BYTES`.
    fn byte(self, i: u8) -> u8;
    /// The top `8 * bytes` bits set (`bytes` up to `BYTES`).
    fn high_mask(bytes: u8) -> Self;
    /// The top `len` bits set (`len` up to `8 * BYTES`).
    fn prefix_mask(len: u8) -> Self;
    /// Number of leading zero bits.
    fn leading_zeros(self) -> u32;
}

macro_rules! impl_key {
    ($t:ty) => {
        impl Key for $t {
            const BYTES: u8 = (<$t>::BITS / 8) as u8;
            const ZERO: Self = 0;

            #[inline]
            fn byte(self, i: u8) -> u8 {
                // Wrapping: never panics; `i < BYTES` holds for every node the build creates.
                (self.wrapping_shr(<$t>::BITS.wrapping_sub(8 + 8 * u32::from(i)))) as u8
            }

            #[inline]
            fn high_mask(bytes: u8) -> Self {
                <$t>::MAX
                    .checked_shr(8 * u32::from(bytes))
                    .map_or(<$t>::MAX, |low| !low)
            }

            #[inline]
            fn prefix_mask(len: u8) -> Self {
                <$t>::MAX
                    .checked_shl(<$t>::BITS.saturating_sub(u32::from(len)))
                    .unwrap_or(0)
            }

            #[inline]
            fn leading_zeros(self) -> u32 {
                <$t>::leading_zeros(self)
            }
        }
    };
}

impl_key!(u32);
impl_key!(u128);

/// One trie node; see the module documentation.
#[derive(Clone, Copy, Default)]
struct Node<K> {
    /// Slots fully inside the set.
    full: [u64; 4],
    /// Slots with a child node.
    kids: [u64; 4],
    /// The address bits above `depth` (lower bits zero); compared before the node is used.
    prefix: K,
    /// Index of the first child in `Trie::nodes`.
    base: u32,
    /// Number of `kids` bits in the words before each word (at most 192, fits a byte).
    word_rank: [u8; 4],
    /// The byte of the address this node branches on.
    depth: u8,
}

impl<K: Key> Node<K> {
    #[inline]
    fn has(bitmap: &[u64; 4], slot: u8) -> bool {
        bitmap[usize::from(slot >> 6)] & (1 << (slot & 63)) != 0
    }

    /// Index of the child under `slot`, whose `kids` bit is set.
    #[inline]
    fn child(&self, slot: u8) -> usize {
        let w = usize::from(slot >> 6);
        let below = self.kids[w] & ((1u64 << (slot & 63)) - 1);
        self.base as usize + usize::from(self.word_rank[w]) + below.count_ones() as usize
    }

    fn set_range(bitmap: &mut [u64; 4], first: usize, count: usize) {
        for slot in first..(first + count).min(256) {
            bitmap[slot >> 6] |= 1 << (slot & 63);
        }
    }
}

/// The trie over one address family. Immutable once built; the default (no nodes) is empty.
#[derive(Clone, Default)]
pub(crate) struct Trie<K> {
    /// `nodes[0]` is the root (if any); children of a node are contiguous and after it.
    nodes: Vec<Node<K>>,
}

impl<K: Key> Trie<K> {
    /// Builds the trie of `prefixes`: `(network bits, prefix length)` pairs with no host bits
    /// set and lengths up to `8 * K::BYTES`. Duplicates and overlaps are fine.
    pub(crate) fn build(mut prefixes: Vec<(K, u8)>) -> Self {
        // Sorted by address then length, a prefix comes right before the ones it covers.
        prefixes.sort_unstable();
        let mut disjoint: Vec<(K, u8)> = Vec::with_capacity(prefixes.len());
        for p in prefixes {
            if let Some(&(bits, len)) = disjoint.last()
                && len <= p.1
                && (bits ^ p.0) & K::prefix_mask(len) == K::ZERO
            {
                continue;
            }
            disjoint.push(p);
        }
        let mut nodes = vec![Node::default()];
        match disjoint.first() {
            None => {}
            // A /0 covers everything, so it is the only prefix left.
            Some(&(_, 0)) => nodes[0].full = [u64::MAX; 4],
            Some(_) => build_node(&mut nodes, 0, &disjoint),
        }
        nodes.shrink_to_fit();
        Self { nodes }
    }

    /// Whether `addr` is inside one of the prefixes: at most `K::BYTES` nodes visited.
    #[inline]
    pub(crate) fn contains(&self, addr: K) -> bool {
        let mut i = 0;
        // Child indices are always greater than their parent's, so this ends even if the
        // structure were corrupt; with a correct build it ends within `K::BYTES` steps.
        while let Some(node) = self.nodes.get(i) {
            if (addr ^ node.prefix) & K::high_mask(node.depth) != K::ZERO {
                return false;
            }
            let slot = addr.byte(node.depth);
            if Node::<K>::has(&node.full, slot) {
                return true;
            }
            if !Node::<K>::has(&node.kids, slot) {
                return false;
            }
            i = node.child(slot);
        }
        false
    }

    /// Bytes of heap used by the nodes.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.nodes.capacity() * size_of::<Node<K>>()
    }

    /// Number of nodes.
    pub(crate) fn node_count(&self) -> usize {
        self.nodes.len()
    }
}

impl<K: Key> fmt::Debug for Trie<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Trie")
            .field("nodes", &self.nodes.len())
            .field("heap_bytes", &self.heap_bytes())
            .finish()
    }
}

/// Fills `nodes[idx]` for `entries`: non-empty, disjoint, sorted, no /0, all sharing the
/// address bits above the depth the parent handed them to, all longer than that depth.
fn build_node<K: Key>(nodes: &mut Vec<Node<K>>, idx: usize, entries: &[(K, u8)]) {
    let (Some(&(first, _)), Some(&(last, _))) = (entries.first(), entries.last()) else {
        return;
    };
    // Branch at the first byte where the entries differ or where one of them ends.
    let mut depth = (first ^ last)
        .leading_zeros()
        .min(8 * u32::from(K::BYTES) - 1)
        / 8;
    for &(_, len) in entries {
        depth = depth.min(u32::from(len.saturating_sub(1)) / 8);
    }
    let depth = depth as u8; // below K::BYTES <= 16
    let level_end = 8 * (depth + 1); // prefix lengths up to this end in this node
    let mut node = Node {
        prefix: first & K::high_mask(depth),
        depth,
        ..Node::default()
    };
    // (slot, range of entries) for each child, in slot order.
    let mut groups: Vec<(u8, usize, usize)> = Vec::new();
    let mut i = 0;
    while let Some(&(bits, len)) = entries.get(i) {
        let slot = bits.byte(depth);
        if len <= level_end {
            // Canonical prefixes start on a multiple of their span.
            let span = 1usize << (level_end - len);
            Node::<K>::set_range(&mut node.full, usize::from(slot), span);
            i += 1;
            continue;
        }
        // Entries are disjoint: none ending here shares this slot with a deeper one.
        let start = i;
        while entries.get(i).is_some_and(|&(b, _)| b.byte(depth) == slot) {
            i += 1;
        }
        groups.push((slot, start, i));
    }
    for &(slot, _, _) in &groups {
        Node::<K>::set_range(&mut node.kids, usize::from(slot), 1);
    }
    let mut rank = 0u32;
    for w in 0..4 {
        node.word_rank[w] = rank as u8; // at most 192
        rank += node.kids[w].count_ones();
    }
    let base = nodes.len();
    // At most 2 nodes per distinct prefix, and prefixes are capped by the parser far below
    // u32::MAX; saturate rather than wrap if a caller ever passed more.
    node.base = u32::try_from(base).unwrap_or(u32::MAX);
    nodes[idx] = node;
    nodes.resize(base + groups.len(), Node::default());
    for (k, &(_, start, end)) in groups.iter().enumerate() {
        build_node(nodes, base + k, &entries[start..end]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(s: &str) -> (u32, u8) {
        let (a, l) = s.split_once('/').unwrap();
        (
            u32::from(a.parse::<std::net::Ipv4Addr>().unwrap()),
            l.parse().unwrap(),
        )
    }

    fn ip(s: &str) -> u32 {
        u32::from(s.parse::<std::net::Ipv4Addr>().unwrap())
    }

    #[test]
    fn key_helpers() {
        assert_eq!(0x0a0b0c0du32.byte(0), 0x0a);
        assert_eq!(0x0a0b0c0du32.byte(3), 0x0d);
        assert_eq!(u32::high_mask(0), 0);
        assert_eq!(u32::high_mask(1), 0xff00_0000);
        assert_eq!(u32::high_mask(4), u32::MAX);
        assert_eq!(u128::high_mask(16), u128::MAX);
        assert_eq!(u32::prefix_mask(0), 0);
        assert_eq!(u32::prefix_mask(9), 0xff80_0000);
    }

    #[test]
    fn node_sizes_are_as_documented() {
        assert_eq!(size_of::<Node<u32>>(), 80);
        assert_eq!(size_of::<Node<u128>>(), 96);
    }

    #[test]
    fn empty_and_full() {
        let t = Trie::<u32>::build(vec![]);
        assert!(!t.contains(0) && !t.contains(u32::MAX));
        let t = Trie::<u32>::build(vec![(0, 0), v4("10.0.0.0/8")]);
        assert!(t.contains(0) && t.contains(u32::MAX));
        assert_eq!(t.node_count(), 1);
    }

    #[test]
    fn path_compression_checks_skipped_bytes() {
        let t = Trie::<u32>::build(vec![v4("10.1.2.3/32"), v4("10.1.2.200/32")]);
        // One node, branching on the last byte, prefix 10.1.2.
        assert_eq!(t.node_count(), 1);
        assert!(t.contains(ip("10.1.2.3")) && t.contains(ip("10.1.2.200")));
        assert!(!t.contains(ip("10.1.3.3")) && !t.contains(ip("11.1.2.3")));
        assert!(!t.contains(ip("10.1.2.4")));
    }

    #[test]
    fn nodes_at_most_twice_the_prefixes() {
        let mut ps = Vec::new();
        let mut x = 0x9e37_79b9u32;
        for _ in 0..5000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let len = (x % 33) as u8;
            ps.push((x & u32::prefix_mask(len), len.max(1)));
        }
        let n = ps.len();
        let t = Trie::build(ps);
        assert!(t.node_count() <= 2 * n, "{} nodes", t.node_count());
    }
}
