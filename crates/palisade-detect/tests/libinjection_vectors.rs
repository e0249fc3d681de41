//! libinjection's unit-test vectors, read in place from the shared checkout
//! (`PALISADE_LIBINJECTION_DIR`, else `../../../shared/libinjection/tests` from
//! this crate). Each file has `--TEST--`, `--INPUT--` and `--EXPECTED--`
//! sections; the expected text is libinjection's printed form:
//!
//! - `test-tokens-*`: one `TYPE VALUE` line per raw token (as-is, ANSI);
//! - `test-folding-*`: the same for the folded tokens;
//! - `test-sqli-*`: the fingerprint if the input is SQLi, else nothing;
//! - `test-html5-*`: `TYPE,LEN,BYTES` per HTML token from the data state.

use std::fs;
use std::path::PathBuf;

use palisade_detect::sqli::{self, Context, Token, TokenKind};
use palisade_detect::xss::{self, Html5State};

/// Vectors we knowingly disagree with, each with the reason. Empty: all pass.
const EXCEPTIONS: &[(&str, &str)] = &[];

fn vector_dir() -> PathBuf {
    if let Ok(d) = std::env::var("PALISADE_LIBINJECTION_DIR") {
        return PathBuf::from(d);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/libinjection/tests")
}

struct Vector {
    input: Vec<u8>,
    expected: Vec<u8>,
}

/// libinjection's driver trims trailing ' ', '\n', '\t', '\r'.
fn rtrim(mut v: Vec<u8>) -> Vec<u8> {
    while matches!(v.last(), Some(b' ' | b'\n' | b'\t' | b'\r')) {
        v.pop();
    }
    v
}

fn parse(data: &[u8]) -> Option<Vector> {
    let mut section = 0;
    let (mut input, mut expected) = (Vec::new(), Vec::new());
    for line in data.split_inclusive(|&b| b == b'\n') {
        match (section, line) {
            (0, b"--TEST--\n") => section = 1,
            (1, b"--INPUT--\n") => section = 2,
            (2, b"--EXPECTED--\n") => section = 3,
            (2, l) => input.extend_from_slice(l),
            (3, l) => expected.extend_from_slice(l),
            _ => {}
        }
    }
    (section == 3).then(|| Vector {
        input: rtrim(input),
        expected: rtrim(expected),
    })
}

/// The C driver prints values with `%s`: they stop at the first NUL.
fn c_str(v: &[u8]) -> &[u8] {
    v.split(|&b| b == 0).next().unwrap_or(&[])
}

fn print_token(t: &Token, out: &mut Vec<u8>) {
    out.push(t.kind().as_char());
    out.push(b' ');
    let k = t.kind();
    if k == TokenKind::VARIABLE {
        out.extend(std::iter::repeat_n(b'@', usize::from(t.at_signs())));
    }
    if k == TokenKind::STRING || k == TokenKind::VARIABLE {
        out.extend(t.open_quote());
        out.extend_from_slice(c_str(t.value()));
        out.extend(t.close_quote());
    } else {
        out.extend_from_slice(c_str(t.value()));
    }
    out.push(b'\n');
}

fn actual(name: &str, input: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    if name.starts_with("test-tokens-") {
        for t in sqli::tokenize(input, Context::ANSI) {
            print_token(&t, &mut out);
        }
    } else if name.starts_with("test-folding-") {
        for t in sqli::fold(input, Context::ANSI).tokens() {
            print_token(t, &mut out);
        }
    } else if name.starts_with("test-sqli-") {
        if let Some(fp) = palisade_detect::detect_sqli(input) {
            out.extend_from_slice(fp.as_bytes());
        }
    } else if name.starts_with("test-html5-") {
        for t in xss::tokenize(input, Html5State::Data) {
            out.extend_from_slice(t.kind.name().as_bytes());
            out.extend_from_slice(format!(",{},", t.bytes.len()).as_bytes());
            out.extend_from_slice(c_str(t.bytes));
            out.push(b'\n');
        }
    } else {
        panic!("unknown vector type: {name}");
    }
    rtrim(out)
}

#[test]
fn libinjection_vectors() {
    let dir = vector_dir();
    let entries = fs::read_dir(&dir).unwrap_or_else(|e| {
        panic!(
            "libinjection vectors not found at {} ({e}); set PALISADE_LIBINJECTION_DIR",
            dir.display()
        )
    });
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("test-") && n.ends_with(".txt"))
        .collect();
    names.sort();
    assert!(
        names.len() >= 400,
        "only {} vector files in {}",
        names.len(),
        dir.display()
    );

    let (mut passed, mut excepted) = (0, 0);
    let mut failures = Vec::new();
    for name in &names {
        let data = fs::read(dir.join(name)).unwrap();
        let v = parse(&data).unwrap_or_else(|| panic!("{name}: malformed vector file"));
        let got = actual(name, &v.input);
        let exception = EXCEPTIONS.iter().find(|(n, _)| n == name);
        match (got == v.expected, exception) {
            (true, None) => passed += 1,
            (true, Some(_)) => {
                failures.push(format!("{name}: passes now, remove it from EXCEPTIONS"))
            }
            (false, Some(_)) => excepted += 1,
            (false, None) => failures.push(format!(
                "{name}\n  input:    {:?}\n  expected: {:?}\n  got:      {:?}",
                String::from_utf8_lossy(&v.input),
                String::from_utf8_lossy(&v.expected),
                String::from_utf8_lossy(&got)
            )),
        }
    }
    println!(
        "libinjection vectors: {passed} passed, {excepted} listed exceptions, {} failed, of {}",
        failures.len(),
        names.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
