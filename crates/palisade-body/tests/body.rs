//! Integration tests: data-driven cases in `testdata/body/` plus a no-panic property test.
//!
//! Each case is `<dir>/<name>.in` with its dump in `<name>.expected`. For `multipart` the first
//! line of the input (up to the first LF) is the `Content-Type` value and the rest is the raw
//! body; for `urlencoded` one trailing LF is stripped; `json` and `xml` inputs are used as-is.
//! Run with `PALISADE_BLESS=1` to (re)write the `.expected` files, then review the diff.

#![allow(clippy::unwrap_used)] // test harness: a broken fixture should fail loudly

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use palisade_body::{Limits, json, multipart, urlencoded, xml};
use proptest::prelude::*;

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/body")
}

fn esc(b: &[u8]) -> String {
    let mut s = String::new();
    for &c in b {
        match c {
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(c as char),
            _ => {
                let _ = write!(s, "\\x{c:02x}");
            }
        }
    }
    s
}

/// Limits used by every case; cases whose name starts with `small-` get tiny limits so that
/// limit errors can be shown with small inputs.
fn limits_for(name: &str) -> Limits {
    if name.starts_with("small-") {
        Limits {
            max_args: 3,
            max_arg_name_len: 16,
            max_arg_value_len: 16,
            max_json_depth: 3,
            max_xml_depth: 3,
            max_xml_nodes: 8,
            max_multipart_parts: 3,
            max_part_header_bytes: 128,
            max_part_headers: 3,
            max_files: 1,
            max_file_size: Some(16),
        }
    } else {
        Limits::DEFAULT
    }
}

fn dump(kind: &str, name: &str, input: &[u8]) -> String {
    let limits = limits_for(name);
    let mut out = String::new();
    match kind {
        "urlencoded" => {
            let body = input.strip_suffix(b"\n").unwrap_or(input);
            match urlencoded::parse(body, b'&', &limits) {
                Ok(p) => {
                    for (n, v) in &p.args {
                        let _ = writeln!(out, "arg {} = {}", esc(n), esc(v));
                    }
                    let _ = writeln!(out, "invalid_encodings {}", p.invalid_encodings);
                }
                Err(e) => {
                    let _ = writeln!(out, "error: {e}");
                }
            }
        }
        "json" => match json::parse(input, &limits) {
            Ok(args) => {
                for (n, v) in &args {
                    let _ = writeln!(out, "arg {} = {}", esc(n), esc(v));
                }
            }
            Err(e) => {
                let _ = writeln!(out, "error: {e}");
            }
        },
        "xml" => match xml::parse(input, &limits) {
            Ok(d) => {
                let _ = writeln!(out, "root {}", esc(d.root_name()));
                for t in d.text_nodes() {
                    let _ = writeln!(out, "text {}", esc(t));
                }
                for (n, v) in d.attributes() {
                    let _ = writeln!(out, "attr {} = {}", esc(n), esc(v));
                }
            }
            Err(e) => {
                let _ = writeln!(out, "error: {e}");
            }
        },
        "multipart" => {
            let nl = input
                .iter()
                .position(|&c| c == b'\n')
                .unwrap_or(input.len());
            let ct = &input[..nl];
            let body = input.get(nl + 1..).unwrap_or(b"");
            match multipart::parse(body, ct, &limits) {
                Ok(r) => {
                    let set: Vec<&str> = r
                        .flags
                        .variables()
                        .iter()
                        .filter(|(_, v)| *v)
                        .map(|(n, _)| *n)
                        .collect();
                    let _ = writeln!(
                        out,
                        "flags {}",
                        if set.is_empty() {
                            "none".to_string()
                        } else {
                            set.join(" ")
                        }
                    );
                    let _ = writeln!(out, "strict_error {}", r.flags.strict_error());
                    for p in &r.parts {
                        let _ = write!(out, "part name={}", esc(&p.name));
                        if let Some(f) = &p.filename {
                            let _ = write!(out, " filename={} size={}", esc(f), p.file_size);
                        } else {
                            let _ = write!(out, " value={}", esc(&p.value));
                        }
                        if let Some(ct) = &p.content_type {
                            let _ = write!(out, " content_type={}", esc(ct));
                        }
                        if p.invalid_header_chars {
                            out.push_str(" invalid_header_chars");
                        }
                        out.push('\n');
                    }
                    for (n, h) in &r.part_headers {
                        let _ = writeln!(out, "part_header {} : {}", esc(n), esc(h));
                    }
                    let _ = writeln!(out, "files_combined_size {}", r.files_combined_size());
                }
                Err(e) => {
                    let _ = writeln!(out, "error: {e}");
                }
            }
        }
        other => panic!("unknown case directory {other}"),
    }
    out
}

fn run_dir(kind: &str) -> usize {
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
        let input = std::fs::read(path).unwrap();
        let got = dump(kind, &name, &input);
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
fn urlencoded_cases() {
    run_dir("urlencoded");
}

#[test]
fn multipart_cases() {
    run_dir("multipart");
}

#[test]
fn json_cases() {
    run_dir("json");
}

#[test]
fn xml_cases() {
    run_dir("xml");
}

/// Every multipart flag is set by at least one case, and the clean cases set none.
#[test]
fn every_multipart_flag_is_covered() {
    let dir = testdata().join("multipart");
    let mut seen = String::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "expected") {
            seen.push_str(&std::fs::read_to_string(&p).unwrap());
        }
    }
    let flags = multipart::MultipartFlags::default();
    for (name, _) in flags.variables() {
        assert!(seen.contains(name), "no multipart case sets {name}");
    }
    let clean = std::fs::read_to_string(dir.join("clean.expected")).unwrap();
    assert!(clean.starts_with("flags none\nstrict_error false\n"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parsers_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        let l = Limits { max_json_depth: 8, max_xml_depth: 8, ..Limits::DEFAULT };
        let _ = urlencoded::parse(&body, b'&', &l);
        let _ = json::parse(&body, &l);
        let _ = xml::parse(&body, &l);
        let _ = multipart::parse(&body, b"multipart/form-data; boundary=b", &l);
    }

    #[test]
    fn structured_inputs_never_panic(parts in proptest::collection::vec(
        prop_oneof![
            Just(&b"--b\r\n"[..]), Just(&b"--b--\r\n"[..]), Just(&b"\r\n"[..]), Just(&b"\n"[..]),
            Just(&b"Content-Disposition: form-data; name=\"a\"; filename=\"f\"\r\n"[..]),
            Just(&b" folded\r\n"[..]), Just(&b"{\"a\":["[..]), Just(&b"]}"[..]), Just(&b"\\ud800"[..]),
            Just(&b"<a x='1'>"[..]), Just(&b"</a>"[..]), Just(&b"&amp;&#x41;&#0;"[..]), Just(&b"<![CDATA["[..]),
            Just(&b"%4"[..]), Just(&b"="[..]), Just(&b"&"[..]), Just(&b"\""[..]), Just(&b","[..]),
        ], 0..40)) {
        let body: Vec<u8> = parts.concat();
        let l = Limits::DEFAULT;
        let _ = urlencoded::parse(&body, b'&', &l);
        let _ = json::parse(&body, &l);
        let _ = xml::parse(&body, &l);
        let _ = multipart::parse(&body, b"multipart/form-data; boundary=b", &l);
    }
}

#[test]
fn deep_json_and_xml_are_errors_not_stack_overflows() {
    let deep = "[".repeat(100_000);
    assert!(matches!(
        json::parse(deep.as_bytes(), &Limits::DEFAULT),
        Err(palisade_body::BodyError::JsonDepth { limit: 512 })
    ));
    let deep = "<a>".repeat(100_000);
    assert!(matches!(
        xml::parse(deep.as_bytes(), &Limits::DEFAULT),
        Err(palisade_body::BodyError::XmlDepth { limit: 256 })
    ));
}
