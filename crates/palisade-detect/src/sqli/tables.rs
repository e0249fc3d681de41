//! The two data tables of the SQL detector: word -> token type, and the set of
//! fingerprints that count as injections.
//!
//! Both are plain text files under `data/` compiled into the binary with
//! `include_str!` and parsed once, on first use, into hash tables. See the crate
//! docs ("Data tables") for where the entries come from and how they were curated.
//!
//! The word table is looked up for every word of every pass, so it is a fixed
//! open-addressing array keyed by the upper-cased word packed into four `u64`s
//! (upper-cased eight bytes at a time): a look-up allocates nothing and costs a
//! few multiplies and one 32-byte comparison. It also records which entries
//! start a phrase (`NATURAL` of `NATURAL JOIN`), so that the folder only looks
//! up `a b` when `a` can start one.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

/// Longest word the keyword table can hold (libinjection's token value size
/// minus its terminator). Longer words are never keywords.
pub(crate) const MAX_WORD: usize = 31;

const KEYWORDS_TXT: &str = include_str!("../../data/sqli_keywords.txt");
const FINGERPRINTS_TXT: &str = include_str!("../../data/sqli_fingerprints.txt");
const CURATION_TXT: &str = include_str!("../../data/sqli_fingerprints_curation.txt");

/// FNV-1a: short keys (at most 31 bytes), no DoS concern (the table is fixed and
/// attacker input is only looked up, never inserted).
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }

    fn write_u64(&mut self, v: u64) {
        // Fingerprints are packed into a u64; one multiply mixes well enough.
        self.0 = (v ^ 0x9e37_79b9_7f4a_7c15).wrapping_mul(0xff51_afd7_ed55_8ccd);
        self.0 ^= self.0 >> 29;
    }
}

type FnvBuild = BuildHasherDefault<Fnv>;

struct Tables {
    words: WordTable,
    fingerprints: HashSet<u64, FnvBuild>,
}

/// Slots in the word table's open-addressing array (a power of two, about four
/// times the number of words, so that most look-ups touch one slot).
const WORD_SLOTS: usize = 4096;

/// A word as the table stores and looks it up: upper-cased, zero-padded to 32
/// bytes held as four little-endian `u64`s, with its length in the last byte
/// (words have at most 31 bytes, so the last byte is never part of the word).
/// Two keys are equal exactly when the words are, so one comparison of four
/// words decides a probe. The key is built in registers (no byte-wise stores
/// read back as words), which keeps a look-up to a few nanoseconds.
type Key = [u64; 4];

/// Word -> token type: open addressing with linear probing over a fixed array.
/// Built once from the data file; look-ups hash the key in a few multiplies
/// and compare whole keys, with no allocation.
struct WordTable {
    /// Index + 1 into `entries`; 0 is an empty slot.
    slots: Box<[u16]>,
    entries: Vec<Entry>,
}

/// One word of the table.
struct Entry {
    key: Key,
    /// Token type; 0 for a word that is only the start of a phrase.
    ty: u8,
    /// Whether some phrase starts with this word and a space.
    head: bool,
}

impl WordTable {
    fn new() -> Self {
        Self {
            slots: vec![0; WORD_SLOTS].into_boxed_slice(),
            entries: Vec::with_capacity(1024),
        }
    }

    /// Words with a token type.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.iter().filter(|e| e.ty != 0).count()
    }

    /// The slot index for `key` and the entry it holds (if any): the first
    /// slot, from the hash on, that is empty or holds `key`.
    #[inline]
    fn find(&self, key: &Key) -> (usize, Option<&Entry>) {
        let mask = WORD_SLOTS - 1;
        let mut i = hash_key(key) & mask;
        // At most WORD_SLOTS probes; the table is never more than 1/4 full, so
        // an empty slot ends every search long before.
        for _ in 0..WORD_SLOTS {
            let slot = self.slots.get(i).copied().unwrap_or(0);
            if slot == 0 {
                return (i, None);
            }
            if let Some(e) = self.entries.get(usize::from(slot) - 1)
                && e.key == *key
            {
                return (i, Some(e));
            }
            i = (i + 1) & mask;
        }
        (0, None)
    }

    /// Add `word` with type `ty` (or, with `ty == 0`, mark it as a phrase
    /// start), keeping what is already there.
    fn insert(&mut self, word: &[u8], ty: u8, head: bool) {
        let Some(key) = make_key(word) else {
            return;
        };
        let (i, found) = self.find(&key);
        if found.is_none() {
            // At most WORD_SLOTS / 4 entries: the index fits in a u16.
            if self.entries.len() >= WORD_SLOTS / 4 {
                return;
            }
            self.entries.push(Entry {
                key,
                ty: 0,
                head: false,
            });
            if let Some(s) = self.slots.get_mut(i) {
                *s = self.entries.len() as u16;
            }
        }
        let idx = self.slots.get(i).map_or(0, |&s| usize::from(s));
        if let Some(e) = idx.checked_sub(1).and_then(|j| self.entries.get_mut(j)) {
            if ty != 0 {
                e.ty = ty;
            }
            e.head |= head;
        }
    }

    fn get(&self, key: &Key) -> (u8, bool) {
        self.find(key).1.map_or((0, false), |e| (e.ty, e.head))
    }
}

/// The table key of `word` (upper-cased), or `None` if it is empty or longer
/// than [`MAX_WORD`] (never a keyword).
#[inline]
fn make_key(word: &[u8]) -> Option<Key> {
    let n = word.len();
    if n == 0 || n > MAX_WORD {
        return None;
    }
    let mut key = [0u64; 4];
    for (k, chunk) in key.iter_mut().zip(word.chunks(8)) {
        *k = ascii_upper8(load_le(chunk));
    }
    // n <= 31: the length goes in the top byte, which no word byte reaches.
    key[3] |= (n as u64) << 56;
    Some(key)
}

/// Up to 8 bytes as a little-endian `u64`, zero-padded.
#[inline]
pub(crate) fn load_le(chunk: &[u8]) -> u64 {
    if let Ok(a) = <[u8; 8]>::try_from(chunk) {
        return u64::from_le_bytes(a);
    }
    let mut w = 0u64;
    for (i, &b) in chunk.iter().enumerate().take(8) {
        w |= u64::from(b) << (8 * i);
    }
    w
}

/// `to_ascii_uppercase` on each of the 8 bytes of `w` at once: a byte in
/// `a..=z` loses its 0x20 bit, every other byte stays as it is. The sums cannot
/// carry from one byte into the next (each is at most 0x7f + 0x1f).
#[inline]
fn ascii_upper8(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let low7 = w & !HIGH;
    let ge_a = low7 + ONES * (0x80 - u64::from(b'a'));
    let gt_z = low7 + ONES * (0x80 - u64::from(b'z') - 1);
    let lower = ge_a & !gt_z & !w & HIGH;
    w ^ (lower >> 2)
}

/// Mixes the words of the key that hold the word, and the length.
#[inline]
fn hash_key(key: &Key) -> usize {
    let n = key[3] >> 56;
    let mut h: u64 = n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    // Words past the word's length are zero (apart from the length byte,
    // mixed in above): hash only the ones that hold bytes of it.
    let used = (n as usize).div_ceil(8);
    for &w in key.iter().take(used) {
        h = (h ^ w).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        h ^= h >> 29;
    }
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    (h ^ (h >> 32)) as usize
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut words = WordTable::new();
        for line in KEYWORDS_TXT.lines() {
            if line.is_empty() || line.starts_with("# ") {
                continue;
            }
            let Some((word, ty)) = line.split_once('\t') else {
                continue;
            };
            let Some(&t) = ty.as_bytes().first() else {
                continue;
            };
            words.insert(word.as_bytes(), t, false);
            // Every proper prefix of a phrase that ends before a space starts a
            // phrase ("NATURAL", "NATURAL LEFT" for "NATURAL LEFT OUTER JOIN").
            for (i, b) in word.bytes().enumerate() {
                if b == b' ' {
                    words.insert(word.as_bytes().get(..i).unwrap_or(&[]), 0, true);
                }
            }
        }
        let mut fingerprints = HashSet::with_capacity_and_hasher(16384, FnvBuild::default());
        for line in FINGERPRINTS_TXT.lines() {
            if line.is_empty() || line.starts_with("# ") {
                continue;
            }
            if let Some(key) = pack(line.as_bytes()) {
                fingerprints.insert(key);
            }
        }
        for line in CURATION_TXT.lines() {
            let (op, rest) = match line.as_bytes().first() {
                Some(b'+') => (true, line.get(1..).unwrap_or("")),
                Some(b'-') => (false, line.get(1..).unwrap_or("")),
                _ => continue,
            };
            let fp = rest.split(' ').next().unwrap_or("");
            if let Some(key) = pack(fp.as_bytes()) {
                if op {
                    fingerprints.insert(key);
                } else {
                    fingerprints.remove(&key);
                }
            }
        }
        Tables {
            words,
            fingerprints,
        }
    })
}

/// Pack up to 7 bytes into a u64 (length in the top byte).
fn pack(bytes: &[u8]) -> Option<u64> {
    if bytes.len() > 7 {
        return None;
    }
    let mut v: u64 = (bytes.len() as u64) << 56;
    for (i, &b) in bytes.iter().enumerate() {
        v |= u64::from(b) << (8 * i);
    }
    Some(v)
}

/// Type char of `word` (ASCII case-insensitive), or 0 if it is not in the table.
pub(crate) fn lookup_word(word: &[u8]) -> u8 {
    lookup_word_head(word).0
}

/// Type char of `word` as [`lookup_word`] gives it, and whether a phrase of the
/// table starts with `word` and a space (then `word` may merge with the next
/// word; otherwise it never does).
pub(crate) fn lookup_word_head(word: &[u8]) -> (u8, bool) {
    match make_key(word) {
        Some(key) => tables().words.get(&key),
        None => (0, false),
    }
}

/// Whether the (already upper-cased) fingerprint is in the injection table.
pub(crate) fn is_injection_fingerprint(upper: &[u8]) -> bool {
    pack(upper).is_some_and(|k| tables().fingerprints.contains(&k))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::{HashMap, HashSet};

    /// Words with their types, and phrase starts.
    type Naive = (HashMap<Vec<u8>, u8>, HashSet<Vec<u8>>);

    /// The straightforward table: the data file in a `HashMap` keyed by the
    /// upper-cased word, and the set of phrase starts.
    fn naive() -> &'static Naive {
        static NAIVE: OnceLock<Naive> = OnceLock::new();
        NAIVE.get_or_init(|| {
            let mut words = HashMap::new();
            let mut heads = HashSet::new();
            for line in KEYWORDS_TXT.lines() {
                if line.is_empty() || line.starts_with("# ") {
                    continue;
                }
                let Some((word, ty)) = line.split_once('\t') else {
                    continue;
                };
                words.insert(word.as_bytes().to_vec(), ty.as_bytes()[0]);
                let parts: Vec<&str> = word.split(' ').collect();
                for i in 1..parts.len() {
                    heads.insert(parts[..i].join(" ").into_bytes());
                }
            }
            (words, heads)
        })
    }

    fn naive_lookup(word: &[u8]) -> (u8, bool) {
        let (words, heads) = naive();
        let up = word.to_ascii_uppercase();
        (words.get(&up).copied().unwrap_or(0), heads.contains(&up))
    }

    /// Words, phrases and their starts from the table in random case, with
    /// random bytes around them, and plain random bytes.
    fn words() -> impl Strategy<Value = Vec<u8>> {
        let mut known: Vec<Vec<u8>> = naive().0.keys().cloned().collect();
        known.extend(naive().1.iter().cloned());
        known.sort();
        let known = proptest::sample::select(known);
        let flips = proptest::collection::vec(any::<bool>(), 32);
        prop_oneof![
            (known.clone(), flips).prop_map(|(w, f)| {
                w.iter()
                    .zip(f.iter().cycle())
                    .map(|(&b, &lower)| if lower { b.to_ascii_lowercase() } else { b })
                    .collect()
            }),
            (
                known,
                proptest::collection::vec(any::<u8>(), 0..3),
                any::<bool>()
            )
                .prop_map(|(w, extra, front)| {
                    if front {
                        [extra, w].concat()
                    } else {
                        [w, extra].concat()
                    }
                }),
            proptest::collection::vec(any::<u8>(), 0..40),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5000))]

        /// The open-addressing table with its SWAR key answers as a plain
        /// map of the data file does.
        #[test]
        fn word_table_matches_naive_map(word in words()) {
            prop_assert_eq!(lookup_word_head(&word), naive_lookup(&word));
        }
    }

    #[test]
    fn every_word_and_phrase_start_is_found() {
        for w in naive().0.keys().chain(naive().1.iter()) {
            assert_eq!(lookup_word_head(w), naive_lookup(w));
            let lower = w.to_ascii_lowercase();
            assert_eq!(lookup_word_head(&lower), naive_lookup(w));
        }
    }

    #[test]
    fn swar_upper_case_matches_std() {
        for b in 0..=255u8 {
            for pos in 0..8 {
                let mut bytes = [b'a', b'Z', b'{', b'`', b'@', 0xe1, b'z', b'0'];
                bytes[pos] = b;
                let want = bytes.map(|c| c.to_ascii_uppercase());
                assert_eq!(
                    ascii_upper8(u64::from_le_bytes(bytes)),
                    u64::from_le_bytes(want)
                );
            }
        }
    }

    #[test]
    fn keywords_load_and_match_case_insensitively() {
        assert_eq!(lookup_word(b"select"), b'E');
        assert_eq!(lookup_word(b"UNION"), b'U');
        assert_eq!(lookup_word(b"UnIoN aLl"), b'U');
        assert_eq!(lookup_word(b"no-such-word"), 0);
        assert_eq!(lookup_word(b""), 0);
        assert!(tables().words.len() > 900);
        assert_eq!(lookup_word_head(b"natural full outer"), (0, true));
        assert_eq!(lookup_word_head(b"NaTuRaL fUlL oUtEr"), (0, true));
        assert_eq!(
            lookup_word_head(b"dbms_pipe.receive_message"),
            (b'f', false)
        );
        assert_eq!(lookup_word_head(b"union"), (b'U', true));
        assert_eq!(lookup_word_head(b"at"), (0, true));
        assert_eq!(lookup_word_head(b"select"), (b'E', true));
        assert_eq!(lookup_word_head(b"from"), (b'k', false));
        assert_eq!(lookup_word_head(b"natural left outer join"), (b'k', false));
    }

    #[test]
    fn fingerprints_load() {
        assert!(is_injection_fingerprint(b"S&SOS"));
        assert!(!is_injection_fingerprint(b"NNNNN"));
        assert!(!is_injection_fingerprint(b"F(N)K"), "removed by curation");
        assert!(is_injection_fingerprint(b"S;TC"), "added by curation");
        assert!(tables().fingerprints.len() > 8000);
    }
}
