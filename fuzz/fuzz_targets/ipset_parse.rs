//! Fuzzes the IP set parser (`palisade_acl::IpSet::parse`, the file format of IP set files).
//! Parsing must never panic, printing its diagnostics must not either, and lookups in a
//! parsed set with addresses made of the input's own bytes (both families) must not panic.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use libfuzzer_sys::fuzz_target;
use palisade_acl::IpSet;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let set = match IpSet::parse("fuzz.txt", &text) {
        Ok(set) => set,
        Err(diagnostics) => {
            let _ = diagnostics.to_string();
            return;
        }
    };
    // Probe with addresses made of the input's own bytes, in both families.
    for chunk in data.chunks(16) {
        let mut b = [0u8; 16];
        b[..chunk.len()].copy_from_slice(chunk);
        let v6 = IpAddr::V6(Ipv6Addr::from(b));
        let v4 = IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3]));
        let _ = set.contains(v6);
        let _ = set.contains(v4);
    }
    let _ = set.len();
});
