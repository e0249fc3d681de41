//! IP set lookup and build times.
//!
//! - `lookup/{v4,v6}/{10,10k,100k}/{hit,miss}`: one `contains` per iteration, cycling through
//!   1,024 precomputed addresses, so the time per iteration is the time per lookup.
//! - `build/...`: 100k prefixes into a set, from parsed prefixes and from text.
//!
//! Sets are random but deterministic (a fixed-seed SplitMix64), with lengths like real
//! lists: IPv4 65% /32, 25% /24, 10% /16–/23; IPv6 inside 2000::/3, 40% /128, 30% /64, 20%
//! /48, 10% /32–/47. Worst-case sets of uniformly random /32 and /128 are measured for
//! memory. Sizes and bytes per entry are printed on stderr when the bench starts.

use std::fmt::Write as _;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use criterion::{Criterion, criterion_group, criterion_main};
use palisade_acl::IpSet;
use palisade_acl::ipset::IpPrefix;

/// SplitMix64: tiny, deterministic, good enough to spread prefixes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn v4_mask(len: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0)
}

fn v6_mask(len: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0)
}

fn prefix(addr: IpAddr, len: u8) -> IpPrefix {
    IpPrefix::new(addr, len).expect("bench prefixes are canonical")
}

/// A random IPv4 prefix with a real-world length mix; never 0.0.0.0/8 or the mapped range.
fn v4_prefix(rng: &mut Rng) -> IpPrefix {
    let len = match rng.below(100) {
        0..65 => 32,
        65..90 => 24,
        _ => 16 + rng.below(8) as u8,
    };
    let bits = (rng.next() as u32 | 0x0100_0000) & v4_mask(len);
    prefix(IpAddr::V4(Ipv4Addr::from(bits)), len)
}

/// A random IPv6 prefix inside 2000::/3 with a real-world length mix.
fn v6_prefix(rng: &mut Rng) -> IpPrefix {
    let len = match rng.below(100) {
        0..40 => 128,
        40..70 => 64,
        70..90 => 48,
        _ => 32 + rng.below(16) as u8,
    };
    let raw = (u128::from(rng.next()) << 64) | u128::from(rng.next());
    let bits = ((raw >> 3) | (1 << 125)) & v6_mask(len);
    prefix(IpAddr::V6(Ipv6Addr::from(bits)), len)
}

/// An address inside `p`, host bits random.
fn inside(p: &IpPrefix, rng: &mut Rng) -> IpAddr {
    match p.addr() {
        IpAddr::V4(a) => IpAddr::V4(Ipv4Addr::from(
            u32::from(a) | (rng.next() as u32 & !v4_mask(p.prefix_len())),
        )),
        IpAddr::V6(a) => {
            let raw = (u128::from(rng.next()) << 64) | u128::from(rng.next());
            IpAddr::V6(Ipv6Addr::from(
                u128::from(a) | (raw & !v6_mask(p.prefix_len())),
            ))
        }
    }
}

fn prefixes(v6: bool, n: usize, seed: u64) -> Vec<IpPrefix> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|_| {
            if v6 {
                v6_prefix(&mut rng)
            } else {
                v4_prefix(&mut rng)
            }
        })
        .collect()
}

/// 1,024 addresses inside the set (`hit`) or outside it (`miss`), in the same regions.
fn probes(set: &IpSet, ps: &[IpPrefix], v6: bool, hit: bool) -> Vec<IpAddr> {
    let mut rng = Rng(7);
    let mut out = Vec::with_capacity(1024);
    while out.len() < 1024 {
        let a = if hit {
            inside(&ps[rng.below(ps.len() as u64) as usize], &mut rng)
        } else {
            let p = if v6 {
                v6_prefix(&mut rng)
            } else {
                v4_prefix(&mut rng)
            };
            inside(&p, &mut rng)
        };
        if set.contains(a) == hit {
            out.push(a);
        }
    }
    out
}

fn lookup(c: &mut Criterion) {
    let mut g = c.benchmark_group("lookup");
    for v6 in [false, true] {
        let fam = if v6 { "v6" } else { "v4" };
        for (n, label) in [(10, "10"), (10_000, "10k"), (100_000, "100k")] {
            let ps = prefixes(v6, n, 42);
            let set = IpSet::from_prefixes(&ps);
            eprintln!(
                "{fam} {label}: {} bytes, {:.1} bytes/entry",
                set.heap_bytes(),
                set.heap_bytes() as f64 / n as f64
            );
            for hit in [true, false] {
                let addrs = probes(&set, &ps, v6, hit);
                let name = format!("{fam}/{label}/{}", if hit { "hit" } else { "miss" });
                let mut i = 0usize;
                g.bench_function(&name, |b| {
                    b.iter(|| {
                        i = (i + 1) & 1023;
                        set.contains(black_box(addrs[i]))
                    })
                });
            }
        }
    }
    g.finish();
}

fn build(c: &mut Criterion) {
    let mut g = c.benchmark_group("build");
    g.sample_size(20);
    for v6 in [false, true] {
        let fam = if v6 { "v6" } else { "v4" };
        let ps = prefixes(v6, 100_000, 42);
        g.bench_function(format!("{fam}/100k/prefixes"), |b| {
            b.iter(|| IpSet::from_prefixes(black_box(&ps)))
        });
        let mut text = String::new();
        for p in &ps {
            let _ = writeln!(text, "{p}");
        }
        g.bench_function(format!("{fam}/100k/text"), |b| {
            b.iter(|| IpSet::parse("bench", black_box(&text)).expect("canonical text"))
        });
    }
    g.finish();
}

/// Memory of the worst shape for a trie: uniformly random full-length addresses.
fn report_worst_case_memory() {
    let mut rng = Rng(1);
    let v4: Vec<IpPrefix> = (0..100_000)
        .map(|_| {
            prefix(
                IpAddr::V4(Ipv4Addr::from(rng.next() as u32 | 0x0100_0000)),
                32,
            )
        })
        .collect();
    let v6: Vec<IpPrefix> = (0..100_000)
        .map(|_| {
            let raw = (u128::from(rng.next()) << 64) | u128::from(rng.next());
            prefix(IpAddr::V6(Ipv6Addr::from(raw | (1 << 127))), 128)
        })
        .collect();
    for (fam, ps) in [("v4 random /32", v4), ("v6 random /128", v6)] {
        let set = IpSet::from_prefixes(&ps);
        eprintln!(
            "{fam} 100k: {} bytes, {:.1} bytes/entry",
            set.heap_bytes(),
            set.heap_bytes() as f64 / ps.len() as f64
        );
    }
}

fn all(c: &mut Criterion) {
    report_worst_case_memory();
    lookup(c);
    build(c);
}

criterion_group!(benches, all);
criterion_main!(benches);
