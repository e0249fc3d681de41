//! The two data tables of the SQL detector: word -> token type, and the set of
//! fingerprints that count as injections.
//!
//! Both are plain text files under `data/` compiled into the binary with
//! `include_str!` and parsed once, on first use, into hash tables. See the crate
//! docs ("Data tables") for where the entries come from and how they were curated.

use std::collections::{HashMap, HashSet};
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
    words: HashMap<Box<[u8]>, u8, FnvBuild>,
    fingerprints: HashSet<u64, FnvBuild>,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut words = HashMap::with_capacity_and_hasher(1024, FnvBuild::default());
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
            words.insert(Box::<[u8]>::from(word.as_bytes()), t);
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
    if word.is_empty() || word.len() > MAX_WORD {
        return 0;
    }
    let mut buf = [0u8; MAX_WORD];
    let Some(dst) = buf.get_mut(..word.len()) else {
        return 0;
    };
    for (d, &s) in dst.iter_mut().zip(word) {
        *d = s.to_ascii_uppercase();
    }
    tables().words.get(&*dst).copied().unwrap_or(0)
}

/// Whether the (already upper-cased) fingerprint is in the injection table.
pub(crate) fn is_injection_fingerprint(upper: &[u8]) -> bool {
    pack(upper).is_some_and(|k| tables().fingerprints.contains(&k))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_load_and_match_case_insensitively() {
        assert_eq!(lookup_word(b"select"), b'E');
        assert_eq!(lookup_word(b"UNION"), b'U');
        assert_eq!(lookup_word(b"UnIoN aLl"), b'U');
        assert_eq!(lookup_word(b"no-such-word"), 0);
        assert_eq!(lookup_word(b""), 0);
        assert!(tables().words.len() > 900);
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
