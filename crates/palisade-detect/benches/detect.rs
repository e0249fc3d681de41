//! Throughput of both detectors, in bytes per second (criterion reports MiB/s),
//! per input class:
//!
//! - benign documents of several KB each, checked whole: English prose in
//!   paragraphs, a JSON API response, rich-text HTML as an editor posts it,
//!   a form-encoded request body;
//! - short benign inputs, each checked separately as the WAF checks each
//!   argument: prose lines, JSON lines, query strings, and the single argument
//!   values of those query strings;
//! - attack strings (`testdata/sqli_attacks.txt`, `testdata/xss_attacks.txt`),
//!   one a call.
//!
//! Every input is built from the corpus files in `testdata/`, so the bench reads
//! nothing at run time. The sizes, and how many inputs each detector flags, are
//! printed on stderr when the bench starts.

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const BENIGN: &str = include_str!("../testdata/benign.txt");
const SQLI: &str = include_str!("../testdata/sqli_attacks.txt");
const XSS: &str = include_str!("../testdata/xss_attacks.txt");

fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with("# "))
}

fn is_json(l: &str) -> bool {
    l.starts_with('{') || l.starts_with('[')
}

fn is_query(l: &str) -> bool {
    !is_json(l) && l.contains('=') && !l.contains(' ')
}

/// A sentence of English prose: words, ending like a sentence, no markup.
fn is_sentence(l: &str) -> bool {
    l.len() > 20
        && l.split(' ').count() >= 4
        && (l.ends_with('.') || l.ends_with('!') || l.ends_with('?'))
        && !l.contains(['<', '>', '`', '=', '|', '#', '*'])
}

/// Paragraphs of six sentences, blank line between paragraphs, until `target` bytes.
fn prose_document(target: usize) -> String {
    let sentences: Vec<&str> = lines(BENIGN).filter(|l| is_sentence(l)).collect();
    let mut doc = String::new();
    for (i, s) in sentences.iter().cycle().enumerate() {
        if doc.len() >= target {
            break;
        }
        if i > 0 {
            doc.push_str(if i % 6 == 0 { "\n\n" } else { " " });
        }
        doc.push_str(s);
    }
    doc
}

fn json_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out
}

/// A pretty-printed JSON array of user records, the shape of an API response.
fn json_document(target: usize) -> String {
    let sentences: Vec<&str> = lines(BENIGN).filter(|l| is_sentence(l)).collect();
    let names = [
        "Alice Martin",
        "Bob O'Neil",
        "Chloé Dubois",
        "Dmitri Ivanov",
        "Eve D'Souza",
    ];
    let tags = ["rust", "security", "admin", "beta", "newsletter"];
    let mut doc = String::from("[\n");
    let mut i = 0usize;
    while doc.len() < target {
        let name = names.get(i % names.len()).copied().unwrap_or("x");
        let first = name.split(' ').next().unwrap_or("x").to_lowercase();
        let comment = sentences
            .get(i % sentences.len().max(1))
            .copied()
            .unwrap_or("");
        if i > 0 {
            doc.push_str(",\n");
        }
        let _ = write!(
            doc,
            "  {{\n    \"id\": {},\n    \"name\": \"{}\",\n    \"email\": \"{}{}@example.com\",\n    \
             \"active\": {},\n    \"tags\": [\"{}\", \"{}\"],\n    \"balance\": {}.{:02},\n    \
             \"created_at\": \"2024-0{}-1{}T08:3{}:00Z\",\n    \"comment\": \"{}\"\n  }}",
            1000 + i,
            json_escape(name),
            first.replace('\'', ""),
            i,
            !i.is_multiple_of(3),
            tags.get(i % tags.len()).copied().unwrap_or("x"),
            tags.get((i + 2) % tags.len()).copied().unwrap_or("x"),
            i * 37 % 1000,
            i * 13 % 100,
            1 + i % 9,
            i % 10,
            i % 10,
            json_escape(comment),
        );
        i += 1;
    }
    doc.push_str("\n]\n");
    doc
}

/// Rich text as an editor posts it: paragraphs of prose with links, emphasis,
/// images and styled spans, the markup that benign HTML input has.
fn html_document(target: usize) -> String {
    let sentences: Vec<&str> = lines(BENIGN).filter(|l| is_sentence(l)).collect();
    let mut doc = String::new();
    let mut i = 0usize;
    while doc.len() < target {
        let s = |k: usize| {
            sentences
                .get(k % sentences.len().max(1))
                .copied()
                .unwrap_or("")
        };
        let _ = write!(
            doc,
            "<p>{} <b>{}</b> <a href=\"https://example.com/docs/{i}\" title=\"Docs\">{}</a></p>\n\
             <div class=\"note\"><span style=\"color:#336699\">{}</span> \
             <img src=\"/img/{i}.png\" alt=\"figure {i}\" width=\"320\"></div>\n",
            s(i),
            s(i + 1),
            s(i + 2),
            s(i + 3),
        );
        i += 4;
    }
    doc
}

/// Form encoding of `s`: space as `+`, reserved and non-ASCII bytes as `%XX`.
fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for &b in s.as_bytes() {
        match b {
            b' ' => out.push('+'),
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b));
            }
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// A form-encoded POST body: the query-string fields, then a long comment field.
fn form_body(target: usize) -> String {
    let mut doc: String = lines(BENIGN)
        .filter(|l| is_query(l))
        .collect::<Vec<_>>()
        .join("&");
    doc.push_str("&comment=");
    let comment = prose_document(target.saturating_sub(doc.len()) * 2 / 3);
    doc.push_str(&form_encode(&comment));
    doc
}

fn bench_set(c: &mut Criterion, name: &str, inputs: &[&[u8]]) {
    let bytes: usize = inputs.iter().map(|l| l.len()).sum();
    let sqli_hits = inputs
        .iter()
        .filter(|l| palisade_detect::detect_sqli(l).is_some())
        .count();
    let xss_hits = inputs
        .iter()
        .filter(|l| palisade_detect::detect_xss(l))
        .count();
    eprintln!(
        "{name}: {} input(s), {bytes} bytes, mean {} bytes; flagged: sqli {sqli_hits}, xss {xss_hits}",
        inputs.len(),
        bytes / inputs.len().max(1)
    );
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("sqli", |b| {
        b.iter(|| {
            for l in inputs {
                black_box(palisade_detect::detect_sqli(black_box(l)));
            }
        })
    });
    g.bench_function("xss", |b| {
        b.iter(|| {
            for l in inputs {
                black_box(palisade_detect::detect_xss(black_box(l)));
            }
        })
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    const DOC: usize = 8 * 1024;
    let prose_doc = prose_document(DOC);
    let json_doc = json_document(DOC);
    let form_doc = form_body(DOC);
    let html_doc = html_document(DOC);
    bench_set(c, "prose_document", &[prose_doc.as_bytes()]);
    bench_set(c, "json_document", &[json_doc.as_bytes()]);
    bench_set(c, "html_document", &[html_doc.as_bytes()]);
    bench_set(c, "form_body", &[form_doc.as_bytes()]);

    let prose: Vec<&[u8]> = lines(BENIGN)
        .filter(|l| !is_json(l) && !is_query(l))
        .map(str::as_bytes)
        .collect();
    let json: Vec<&[u8]> = lines(BENIGN)
        .filter(|l| is_json(l))
        .map(str::as_bytes)
        .collect();
    let query: Vec<&[u8]> = lines(BENIGN)
        .filter(|l| is_query(l))
        .map(str::as_bytes)
        .collect();
    let values: Vec<&[u8]> = lines(BENIGN)
        .filter(|l| is_query(l))
        .flat_map(|l| l.split('&'))
        .filter_map(|kv| kv.split_once('=').map(|(_, v)| v.as_bytes()))
        .filter(|v| !v.is_empty())
        .collect();
    bench_set(c, "prose_lines", &prose);
    bench_set(c, "json_lines", &json);
    bench_set(c, "query_strings", &query);
    bench_set(c, "arg_values", &values);

    let sqli: Vec<&[u8]> = lines(SQLI).map(str::as_bytes).collect();
    let xss: Vec<&[u8]> = lines(XSS).map(str::as_bytes).collect();
    bench_set(c, "sqli_attacks", &sqli);
    bench_set(c, "xss_attacks", &xss);
}

criterion_group!(detect, benches);
criterion_main!(detect);
