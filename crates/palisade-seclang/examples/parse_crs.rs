//! Parses the CRS once and prints the time taken: `cargo run --release --example parse_crs -- <crs dir>`.

use std::time::Instant;

use palisade_seclang::{FsLoader, Parser};

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../shared/crs".to_owned());
    let loader = FsLoader::new(&dir);
    let start = Instant::now();
    let mut p = Parser::new(&loader);
    p.load("crs-setup.conf.example");
    p.load("rules/*.conf.example");
    p.load("rules/*.conf");
    let parsed = p.finish();
    let elapsed = start.elapsed();
    println!(
        "{} files, {} directives, {} diagnostics in {:.1} ms",
        parsed.rule_set.files.len(),
        parsed.rule_set.directives.len(),
        parsed.diagnostics.len(),
        elapsed.as_secs_f64() * 1000.0
    );
}
