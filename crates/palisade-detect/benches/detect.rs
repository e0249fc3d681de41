//! Throughput of the detectors on benign prose, JSON, query strings and attacks.
//! Inputs are the corpus lines of `testdata/`, each checked separately (as the WAF
//! checks each argument), plus one long prose document.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const BENIGN: &str = include_str!("../testdata/benign.txt");
const SQLI: &str = include_str!("../testdata/sqli_attacks.txt");
const XSS: &str = include_str!("../testdata/xss_attacks.txt");

fn lines(text: &str, pick: impl Fn(&str) -> bool) -> Vec<&[u8]> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with("# "))
        .filter(|l| pick(l))
        .map(str::as_bytes)
        .collect()
}

fn is_json(l: &str) -> bool {
    l.starts_with('{') || l.starts_with('[')
}

fn is_query(l: &str) -> bool {
    !is_json(l) && l.contains('=') && !l.contains(' ')
}

fn bench_set(c: &mut Criterion, name: &str, inputs: &[&[u8]]) {
    let bytes: usize = inputs.iter().map(|l| l.len()).sum();
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
    let prose = lines(BENIGN, |l| !is_json(l) && !is_query(l));
    let json = lines(BENIGN, is_json);
    let query = lines(BENIGN, is_query);
    let attacks: Vec<&[u8]> = lines(SQLI, |_| true)
        .into_iter()
        .chain(lines(XSS, |_| true))
        .collect();
    let long_prose = prose.join(&b' ');
    bench_set(c, "prose_lines", &prose);
    bench_set(c, "prose_document", &[&long_prose]);
    bench_set(c, "json", &json);
    bench_set(c, "query_strings", &query);
    bench_set(c, "attacks", &attacks);
}

criterion_group!(detect, benches);
criterion_main!(detect);
