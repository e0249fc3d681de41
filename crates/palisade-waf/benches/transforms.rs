//! Hot transformations on 1 KiB of benign text.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use palisade_waf::transformations::lookup;

fn benign_1k() -> Vec<u8> {
    let sentence = b"The quick brown fox jumps over the lazy dog near the river bank, \
and then it rests under a tree while reading product=shoes&size=42&color=blue. ";
    sentence.iter().copied().cycle().take(1024).collect()
}

fn bench(c: &mut Criterion) {
    let input = benign_1k();
    let mut group = c.benchmark_group("transform_1k_benign");
    group.throughput(Throughput::Bytes(input.len() as u64));
    for name in [
        "urlDecodeUni",
        "htmlEntityDecode",
        "lowercase",
        "compressWhitespace",
        "cmdLine",
    ] {
        let Some(def) = lookup(name) else { continue };
        let mut out = Vec::with_capacity(2048);
        group.bench_function(name, |b| {
            b.iter(|| black_box((def.func)(black_box(&input), &mut out)));
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
