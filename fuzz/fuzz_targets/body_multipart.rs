//! Fuzzes the multipart parser. The first line of the input is the Content-Type value, the
//! rest is the body; a fixed Content-Type is also tried on the whole input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use palisade_body::{Limits, multipart};

fuzz_target!(|data: &[u8]| {
    let limits = Limits::DEFAULT;
    let nl = data.iter().position(|&c| c == b'\n').unwrap_or(data.len());
    let (ct, body) = (&data[..nl], data.get(nl + 1..).unwrap_or(b""));
    if let Ok(r) = multipart::parse(body, ct, &limits) {
        assert!(r.parts.len() <= limits.max_multipart_parts);
        let _ = r.flags.strict_error();
    }
    let _ = multipart::parse(data, b"multipart/form-data; boundary=XyZ", &limits);
});
