//! Integration tests: data-driven cases in `testdata/acl/`, property tests against a naive
//! linear scan, no-panic tests for the parser, and the limits.
//!
//! IP set cases are `testdata/acl/ipset/<name>.in` with the outcome in `<name>.expected`.
//! Lines starting with `# probe: ` name an address to look up (they are comments to the
//! parser). A case named `inline-*` is a list for `IpSet::from_entries`: every other line is
//! one entry, verbatim. Any other case is a text source for `IpSet::parse`, named
//! `<name>.in` in diagnostics. The dump is `entries N` and `<address> in|out` per probe, or
//! the diagnostics. Run with `PALISADE_BLESS=1` to (re)write the `.expected` files, then
//! review the diff.

#![allow(clippy::unwrap_used)] // test harness: a broken fixture should fail loudly

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use palisade_acl::IpSet;
use palisade_acl::ipset::{
    IpPrefix, IpSetError, MAX_DIAGNOSTICS, MAX_ENTRIES, MAX_LINE_BYTES, MAX_SOURCE_BYTES, Place,
};
use proptest::prelude::*;

const PROBE: &str = "# probe: ";

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/acl")
}

fn dump_ipset(name: &str, input: &str) -> String {
    let probes: Vec<&str> = input
        .lines()
        .filter_map(|l| l.strip_prefix(PROBE))
        .collect();
    let result = if name.starts_with("inline-") {
        let entries: Vec<&str> = input.lines().filter(|l| !l.starts_with(PROBE)).collect();
        IpSet::from_entries(&entries)
    } else {
        IpSet::parse(&format!("{name}.in"), input)
    };
    let mut out = String::new();
    match result {
        Ok(set) => {
            let _ = writeln!(out, "entries {}", set.len());
            for p in probes {
                let ip: IpAddr = p.trim().parse().unwrap_or_else(|_| panic!("probe {p}"));
                let _ = writeln!(out, "{p} {}", if set.contains(ip) { "in" } else { "out" });
            }
        }
        Err(diags) => out.push_str(&diags.to_string()),
    }
    out
}

fn run_dir(kind: &str, dump: fn(&str, &str) -> String) -> usize {
    let dir = testdata().join(kind);
    let bless = std::env::var_os("PALISADE_BLESS").is_some_and(|v| v == "1");
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "in"))
        .collect();
    entries.sort();
    let mut failures = Vec::new();
    for path in &entries {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let input = std::fs::read_to_string(path).unwrap();
        let got = dump(&name, &input);
        let exp_path = path.with_extension("expected");
        if bless {
            std::fs::write(&exp_path, &got).unwrap();
            continue;
        }
        match std::fs::read_to_string(&exp_path) {
            Ok(want) if want == got => {}
            Ok(want) => failures.push(format!("{kind}/{name}:\n--- want\n{want}--- got\n{got}")),
            Err(_) => failures.push(format!("{kind}/{name}: missing {}", exp_path.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(!entries.is_empty(), "no cases in {}", dir.display());
    entries.len()
}

#[test]
fn ipset_cases() {
    run_dir("ipset", dump_ipset);
}

/// Every per-line error kind appears in some `.expected` file (the source-level ones are
/// tested below); every `err-*` case fails and every other case builds.
#[test]
fn every_error_kind_is_covered() {
    let dir = testdata().join("ipset");
    let mut seen = String::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "expected") {
            let text = std::fs::read_to_string(&p).unwrap();
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            let failed = text.starts_with("error: ");
            let want_fail = name.starts_with("err-") || name.starts_with("inline-err");
            assert_eq!(failed, want_fail, "{name}: {text}");
            seen.push_str(&text);
        }
    }
    for needle in [
        "is not an IP address or CIDR prefix",
        "missing prefix length after `/`",
        "is not a decimal number",
        "is too long for IPv4 (at most 32)",
        "is too long for IPv6 (at most 128)",
        "host bits set in",
        "is an IPv4-mapped IPv6 prefix",
        "after the entry",
        "empty entry",
        "bytes long, more than the limit of",
        // hints
        "without brackets",
        "zone indexes",
        "ranges are not supported",
        "wildcards are not supported",
        "four decimal octets",
        "leading zeros",
        "at most 255",
        "ports are not part",
        "host names are not resolved",
        "without `,` or `;`",
        "the address before `/` is missing",
    ] {
        assert!(seen.contains(needle), "no case shows `{needle}`");
    }
}

#[test]
fn too_many_entries_is_reported_once_and_later_lines_still_checked() {
    let mut text = "10.0.0.1\n".repeat(MAX_ENTRIES + 5);
    text.push_str("10.0.0.1/8\n");
    let diags = IpSet::parse("big", &text).unwrap_err();
    let errors: Vec<_> = diags.iter().map(|d| (&d.error, &d.place)).collect();
    assert_eq!(errors.len(), 2, "{diags}");
    assert_eq!(
        errors[0].0,
        &IpSetError::TooManyEntries { limit: MAX_ENTRIES }
    );
    assert!(matches!(errors[0].1, Place::Line { line, column: 1, .. } if *line == MAX_ENTRIES + 1));
    assert!(matches!(errors[1].0, IpSetError::HostBitsSet { .. }));
    // Exactly at the limit is fine.
    let text = "10.0.0.1\n".repeat(MAX_ENTRIES);
    assert_eq!(IpSet::parse("big", &text).unwrap().len(), MAX_ENTRIES);
}

#[test]
fn source_too_large_is_rejected_before_parsing() {
    let text = " ".repeat(MAX_SOURCE_BYTES + 1);
    let diags = IpSet::parse("huge", &text).unwrap_err();
    assert_eq!(diags.len(), 1);
    assert!(diags.to_string().starts_with(&format!(
        "error: IP set source is {} bytes, more than the limit of {MAX_SOURCE_BYTES} bytes\n  --> huge:1:1\n",
        MAX_SOURCE_BYTES + 1
    )));
}

#[test]
fn inline_entries_have_the_same_limits() {
    let long = format!("10.0.0.0/8 #{}", "x".repeat(MAX_LINE_BYTES));
    let diags = IpSet::from_entries(&[long.as_str(), "10.0.0.0/8"]).unwrap_err();
    assert_eq!(diags.len(), 1);
    let d = diags.iter().next().unwrap();
    assert!(matches!(d.error, IpSetError::LineTooLong { .. }));
    assert_eq!(
        d.place,
        Place::Entry {
            index: 0,
            column: 1
        }
    );
    assert!(d.source_line.is_none(), "a too-long line is not repeated");
}

#[test]
fn diagnostics_beyond_the_cap_are_counted() {
    let text = "bad\n".repeat(MAX_DIAGNOSTICS + 100);
    let diags = IpSet::parse("many", &text).unwrap_err();
    assert_eq!(diags.len(), MAX_DIAGNOSTICS);
    assert_eq!(diags.dropped(), 100);
    let shown = diags.to_string();
    assert!(shown.ends_with(&format!(
        "error: 100 more errors not shown\n\nerror: IP set rejected: {} errors\n",
        MAX_DIAGNOSTICS + 100
    )));
}

#[test]
fn from_entries_accepts_strings_and_strs() {
    let owned = vec!["10.0.0.0/8".to_string(), "2001:db8::/32".to_string()];
    let set = IpSet::from_entries(&owned).unwrap();
    assert!(set.contains("10.9.9.9".parse().unwrap()));
    assert!(set.contains("2001:db8::1".parse().unwrap()));
    assert!(!set.contains("2001:db9::1".parse().unwrap()));
}

#[test]
fn empty_set_contains_nothing() {
    for set in [
        IpSet::default(),
        IpSet::parse("e", "").unwrap(),
        IpSet::from_prefixes(&[]),
    ] {
        assert!(set.is_empty());
        assert!(!set.contains(IpAddr::V4(Ipv4Addr::UNSPECIFIED)));
        assert!(!set.contains(IpAddr::V6(Ipv6Addr::UNSPECIFIED)));
    }
}

// ---- property tests ----

fn v4_mask(len: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0)
}

fn v6_mask(len: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0)
}

/// A canonical prefix from raw bits: IPv4-mapped IPv6 prefixes of length >= 96 become IPv4.
fn canonical(v6: bool, bits: u128, len: u8) -> IpPrefix {
    if v6 {
        let a = Ipv6Addr::from(bits & v6_mask(len));
        if len >= 96
            && let Some(v4) = a.to_ipv4_mapped()
        {
            return IpPrefix::new(IpAddr::V4(v4), len - 96).unwrap();
        }
        IpPrefix::new(IpAddr::V6(a), len).unwrap()
    } else {
        let a = Ipv4Addr::from(bits as u32 & v4_mask(len));
        IpPrefix::new(IpAddr::V4(a), len).unwrap()
    }
}

/// Raw bits: fully random, or in a few clustered regions so that prefixes overlap, nest and
/// sit next to each other (including the IPv4-mapped range for IPv6).
fn raw_bits(v6: bool) -> impl Strategy<Value = u128> {
    let top: &'static [u128] = if v6 {
        &[0x2001_0db8, 0x2001_0db9, 0xfe80_0000, 0, 0xffff_ffff]
    } else {
        &[0x0a00, 0x0a01, 0xc0a8, 0, 0xffff]
    };
    let shift = if v6 { 96 } else { 16 };
    prop_oneof![
        any::<u128>(),
        (proptest::sample::select(top), any::<u128>()).prop_map(move |(t, r)| {
            let low = if v6 { r >> 32 } else { r & 0xffff };
            (t << shift) | low
        }),
        // The IPv4-mapped range ::ffff:0:0/96 (only meaningful for IPv6).
        any::<u32>().prop_map(|r| 0xffff_0000_0000 | u128::from(r)),
    ]
    .prop_map(move |b| if v6 { b } else { b & 0xffff_ffff })
}

fn arb_prefix() -> impl Strategy<Value = IpPrefix> {
    prop_oneof![
        (raw_bits(false), prop_oneof![0..=32u8, 20..=32u8])
            .prop_map(|(b, l)| canonical(false, b, l)),
        (raw_bits(true), prop_oneof![0..=128u8, 90..=128u8, 1..=64u8])
            .prop_map(|(b, l)| canonical(true, b, l)),
    ]
}

/// An address: random in either family, in a clustered region, or IPv4-mapped.
fn arb_addr() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        raw_bits(false).prop_map(|b| IpAddr::V4(Ipv4Addr::from(b as u32))),
        raw_bits(true).prop_map(|b| IpAddr::V6(Ipv6Addr::from(b))),
        raw_bits(false).prop_map(|b| IpAddr::V6(Ipv4Addr::from(b as u32).to_ipv6_mapped())),
    ]
}

/// An address inside `p` (host bits from `noise`), or its IPv4-mapped form.
fn inside(p: &IpPrefix, noise: u128, mapped: bool) -> IpAddr {
    match p.addr() {
        IpAddr::V4(a) => {
            let v4 = Ipv4Addr::from(u32::from(a) | (noise as u32 & !v4_mask(p.prefix_len())));
            if mapped {
                IpAddr::V6(v4.to_ipv6_mapped())
            } else {
                IpAddr::V4(v4)
            }
        }
        IpAddr::V6(a) => IpAddr::V6(Ipv6Addr::from(
            u128::from(a) | (noise & !v6_mask(p.prefix_len())),
        )),
    }
}

fn naive(prefixes: &[IpPrefix], ip: IpAddr) -> bool {
    prefixes.iter().any(|p| p.contains(ip))
}

/// Fragments that make parser-shaped text: pieces of addresses, separators, comments.
fn text_fragment() -> impl Strategy<Value = &'static str> {
    proptest::sample::select(
        &[
            "10.",
            "0",
            "255",
            "256",
            "010",
            ".",
            "::",
            ":",
            "ffff",
            "::ffff:",
            "1.2.3.4",
            "/",
            "/0",
            "/8",
            "/32",
            "/33",
            "/128",
            "/129",
            "/999999999999999999999",
            "#",
            " ",
            "\t",
            "\n",
            "\r\n",
            "%eth0",
            "[",
            "]",
            "-",
            "*",
            ",",
            "é",
            "\u{a0}",
            "\u{0}",
            "x",
        ][..],
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn contains_matches_a_linear_scan(
        prefixes in proptest::collection::vec(arb_prefix(), 0..200),
        randoms in proptest::collection::vec(arb_addr(), 0..64),
        picks in proptest::collection::vec((any::<usize>(), any::<u128>(), any::<bool>()), 0..64),
    ) {
        let set = IpSet::from_prefixes(&prefixes);
        prop_assert_eq!(set.len(), prefixes.len());
        let mut addrs = randoms;
        if !prefixes.is_empty() {
            for (i, noise, mapped) in picks {
                addrs.push(inside(&prefixes[i % prefixes.len()], noise, mapped));
            }
        }
        for ip in addrs {
            prop_assert_eq!(set.contains(ip), naive(&prefixes, ip), "{}", ip);
            // An IPv4 client is the same client in its IPv4-mapped form.
            if let IpAddr::V4(v4) = ip {
                prop_assert_eq!(set.contains(IpAddr::V6(v4.to_ipv6_mapped())), set.contains(ip));
            }
        }
    }

    #[test]
    fn text_round_trips_to_the_same_set(
        prefixes in proptest::collection::vec(arb_prefix(), 0..100),
        addrs in proptest::collection::vec(arb_addr(), 0..32),
    ) {
        let text: String = prefixes.iter().map(|p| format!("{p}\n")).collect();
        let parsed = IpSet::parse("t", &text).unwrap();
        let built = IpSet::from_prefixes(&prefixes);
        for p in &prefixes {
            prop_assert_eq!(p.to_string().parse::<IpPrefix>().unwrap(), *p);
        }
        for ip in addrs {
            prop_assert_eq!(parsed.contains(ip), built.contains(ip));
        }
    }

    #[test]
    fn parser_never_panics_on_arbitrary_text(text in any::<String>()) {
        let _ = IpSet::parse("fuzz", &text);
        let lines: Vec<&str> = text.split('\n').collect();
        let _ = IpSet::from_entries(&lines);
        if let Err(d) = IpSet::parse("fuzz", &text) {
            let _ = d.to_string();
        }
    }

    #[test]
    fn parser_never_panics_on_address_shaped_text(
        parts in proptest::collection::vec(text_fragment(), 0..40),
    ) {
        let text: String = parts.concat();
        match IpSet::parse("fuzz", &text) {
            Ok(set) => {
                let _ = set.contains(IpAddr::V4(Ipv4Addr::LOCALHOST));
            }
            Err(d) => {
                prop_assert!(!d.is_empty());
                let _ = d.to_string();
            }
        }
        let _ = IpSet::from_entries(&[text.as_str()]);
        let _ = text.parse::<IpPrefix>();
    }
}
