//! Palisade: a self-hosted security edge for web applications.
//!
//! This binary is glue only: it parses the command line, loads configuration through
//! `palisade-config`, and hands it to `palisade-proxy`. No request handling lives here.

mod cert;
mod conformance;
mod detect;
mod fetch_crs;
mod serve;
mod validate;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Palisade: TLS edge, reverse proxy and web application firewall in one program.
#[derive(Debug, Parser)]
#[command(name = "palisade", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the gateway.
    ///
    /// With no config file, runs on embedded defaults: one HTTP listener on 127.0.0.1:8080
    /// proxying every host and path to `--upstream`, metrics on 127.0.0.1:9901, state in
    /// ./data. With `--config`, runs that file and reloads it on SIGHUP and on change.
    Serve(ServeArgs),
    /// Check a config file and report every error with file:line:column, in one run.
    ///
    /// Exits 0 when the config is valid (and prints a summary), 1 when it is not.
    Validate {
        /// The config file to check.
        #[arg(value_name = "FILE")]
        config: PathBuf,
    },
    /// Certificates.
    #[command(subcommand)]
    Cert(CertCommand),
    /// Run the SQL injection / XSS detectors over inputs, one per line.
    ///
    /// Prints `1<TAB>fingerprint` for a detection (`1<TAB>-` for XSS) and `0` otherwise, one
    /// line per input, then a summary line on stderr.
    Detect(detect::DetectArgs),
    /// Conformance suites.
    #[command(subcommand)]
    Conformance(ConformanceCommand),
    /// Rule sets.
    #[command(subcommand)]
    Rules(RulesCommand),
}

#[derive(Debug, Subcommand)]
enum RulesCommand {
    /// Download, verify and install the OWASP CRS release Palisade is tested against.
    ///
    /// Installs into `<data dir>/crs`, where `palisade serve` finds it. Every rule file,
    /// `crs-setup.conf.example` and `LICENSE` must match the SHA-256 list built into
    /// Palisade; on any difference nothing is installed and a previous install stays. Prints
    /// the archive's SHA-256 (pin it with `--sha256`). A previous install's `crs-setup.conf`
    /// and plugins are kept.
    FetchCrs(fetch_crs::FetchCrsArgs),
}

#[derive(Debug, Subcommand)]
enum ConformanceCommand {
    /// Run the OWASP CRS regression suite (go-ftw format) through a real gateway.
    ///
    /// Prints one line per test file and a closing `N passed, N failed`; exits 1 when any
    /// test fails that the overrides file does not cover.
    Crs(conformance::CrsArgs),
}

/// Arguments of `palisade serve`.
#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Config file (TOML). Without it, Palisade runs on embedded defaults and `--upstream`
    /// is required.
    #[arg(long, short = 'c', value_name = "FILE", env = "PALISADE_CONFIG")]
    config: Option<PathBuf>,
    /// Upstream for the embedded default config, e.g. http://127.0.0.1:3000.
    #[arg(long, value_name = "URL", conflicts_with = "config")]
    upstream: Option<String>,
    /// Address of the data-plane listener (overrides the config's first listener).
    #[arg(long, value_name = "ADDR:PORT")]
    listen: Option<SocketAddr>,
    /// Address of the admin listener (metrics, health). Keep it on loopback.
    #[arg(long, value_name = "ADDR:PORT")]
    admin_listen: Option<SocketAddr>,
    /// Data folder (certificates, databases). Default ./data.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Log format.
    #[arg(long, value_enum, default_value = "text", env = "PALISADE_LOG_FORMAT")]
    log_format: LogFormat,
}

#[derive(Debug, Subcommand)]
enum CertCommand {
    /// Generate (or reuse) a self-signed development certificate in the data folder.
    ///
    /// The certificate covers localhost, 127.0.0.1, ::1 and every `--name`; it is reused
    /// while valid for more than 7 days and covering the names.
    Dev {
        /// Extra DNS names for the certificate.
        #[arg(long = "name", value_name = "DNS")]
        names: Vec<String>,
        /// Data folder; the files are written to DIR/certs.
        #[arg(long, value_name = "DIR", default_value = "data")]
        data_dir: PathBuf,
    },
}

/// Log output format.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Validate { config } => validate::run(&config),
        Command::Cert(CertCommand::Dev { names, data_dir }) => cert::dev(&data_dir, &names),
        Command::Detect(args) => detect::run(&args),
        Command::Conformance(ConformanceCommand::Crs(args)) => conformance::run(args),
        Command::Rules(RulesCommand::FetchCrs(args)) => fetch_crs::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Sets up `tracing` output. `RUST_LOG` overrides the default level (`info`).
fn init_tracing(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}
