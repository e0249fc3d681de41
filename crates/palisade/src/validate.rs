//! `palisade validate FILE`: every error in one run, then a summary.

use std::path::Path;
use std::process::ExitCode;
use std::time::SystemTime;

use palisade_config::{Config, ListenerProtocol};

pub(crate) fn run(path: &Path) -> anyhow::Result<ExitCode> {
    let config = match palisade_config::load_file(path) {
        Ok(config) => config,
        Err(diagnostics) => {
            eprint!("{diagnostics}");
            eprintln!(
                "{}: {} error{} found; the config was not accepted",
                path.display(),
                diagnostics.len(),
                if diagnostics.len() == 1 { "" } else { "s" }
            );
            return Ok(ExitCode::FAILURE);
        }
    };
    // Certificates are part of the config: a missing or mismatched key is an error here,
    // not at the first handshake.
    let mut failed = false;
    if !config.tls.certificates.is_empty() {
        match palisade_tls::CertStore::load(&config.tls.certificates) {
            Ok(store) => {
                for cert in store.certificates() {
                    let days = days_left(cert.not_after);
                    println!(
                        "certificate {} [{}]: expires in {days} days",
                        cert.cert_file.display(),
                        cert.names.join(", ")
                    );
                    if days < 0 {
                        eprintln!("warning: {} has expired", cert.cert_file.display());
                    }
                }
            }
            Err(errors) => {
                for err in &errors {
                    eprintln!("error: {err}");
                }
                failed = true;
            }
        }
    }
    if failed {
        eprintln!(
            "{}: certificate errors; the config was not accepted",
            path.display()
        );
        return Ok(ExitCode::FAILURE);
    }
    print_summary(path, &config);
    Ok(ExitCode::SUCCESS)
}

fn print_summary(path: &Path, config: &Config) {
    println!("{}: ok (sha256 {})", path.display(), config.digest);
    for l in &config.listeners {
        let proto = match &l.protocol {
            ListenerProtocol::Http => "http".to_owned(),
            ListenerProtocol::Https { policy } => format!("https, {}", policy.as_str()),
        };
        println!("listener {} on {} ({proto})", l.name, l.address);
    }
    println!("admin on {}", config.admin.address);
    for u in &config.upstreams {
        println!("upstream {} with {} target(s)", u.name, u.targets.len());
    }
    for s in &config.sites {
        let upstream = config
            .upstreams
            .get(s.upstream)
            .map_or("?", |u| u.name.as_str());
        println!(
            "site {} on {} hosts, prefix {} -> {upstream}",
            s.name,
            s.hosts.len(),
            s.path_prefix
        );
    }
}

fn days_left(not_after: SystemTime) -> i64 {
    match not_after.duration_since(SystemTime::now()) {
        Ok(d) => (d.as_secs() / 86_400) as i64,
        Err(e) => -((e.duration().as_secs() / 86_400) as i64) - 1,
    }
}
