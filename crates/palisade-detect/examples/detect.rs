//! `cargo run --example detect -- sqli|xss [--url-decode] < lines`: the CLI logic
//! over stdin/stdout, for trying inputs by hand.

use std::io;

use palisade_detect::cli::{Kind, run_detect_cli};

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let kind = match args.first().map(String::as_str) {
        Some("xss") => Kind::Xss,
        _ => Kind::Sqli,
    };
    let url_decode = args.iter().any(|a| a == "--url-decode");
    if args.first().map(String::as_str) == Some("fingerprints") {
        // One line per input: the fingerprint in each of the five contexts.
        use palisade_detect::sqli::{Comments, Context, Quote, analyze, is_injection};
        for line in io::stdin().lines() {
            let line = line?;
            let mut row = Vec::new();
            for (q, c) in [
                (Quote::AsIs, Comments::Ansi),
                (Quote::AsIs, Comments::MySql),
                (Quote::SingleQuote, Comments::Ansi),
                (Quote::SingleQuote, Comments::MySql),
                (Quote::DoubleQuote, Comments::MySql),
            ] {
                let a = analyze(line.as_bytes(), Context::new(q, c));
                let mark = if is_injection(line.as_bytes(), &a) {
                    "*"
                } else {
                    ""
                };
                row.push(format!("{}{mark}", a.fingerprint()));
            }
            println!("{}\t{line}", row.join(" "));
        }
        return Ok(());
    }
    run_detect_cli(
        kind,
        url_decode,
        io::stdin().lock(),
        io::stdout().lock(),
        io::stderr(),
    )?;
    Ok(())
}
