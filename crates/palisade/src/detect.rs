//! `palisade detect sqli|xss [--url-decode] [FILE]`: the detectors over a corpus.

use std::fs::File;
use std::io::{self, BufReader};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use palisade_detect::cli::{Kind, run_detect_cli};

/// Arguments of `palisade detect`.
#[derive(Debug, clap::Args)]
pub(crate) struct DetectArgs {
    /// Which detector to run.
    #[arg(value_enum)]
    kind: DetectKind,
    /// Percent-decode each line first (`+` as space).
    #[arg(long)]
    url_decode: bool,
    /// Input file, one input per line; standard input when absent.
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,
}

/// The detectors.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum DetectKind {
    /// SQL injection (`@detectSQLi`).
    Sqli,
    /// Cross-site scripting (`@detectXSS`).
    Xss,
}

pub(crate) fn run(args: &DetectArgs) -> anyhow::Result<ExitCode> {
    let kind = match args.kind {
        DetectKind::Sqli => Kind::Sqli,
        DetectKind::Xss => Kind::Xss,
    };
    let stdout = io::stdout().lock();
    let stderr = io::stderr().lock();
    match &args.file {
        Some(path) => {
            let file =
                File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
            run_detect_cli(kind, args.url_decode, BufReader::new(file), stdout, stderr)?;
        }
        None => {
            run_detect_cli(kind, args.url_decode, io::stdin().lock(), stdout, stderr)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
