//! `palisade conformance crs`: the OWASP CRS regression suite through a real gateway.
//!
//! Starts an albedo-like echo backend and a gateway on loopback ports with CRS loaded the
//! way CRS's own CI loads it (engine base rules, rule 900005 and the `X-CRS-Test` marker
//! rule, `crs-setup.conf.example`, the rules), with the gateway writing its ModSecurity-style
//! error log to a temporary file; then sends every test over TCP and judges it from the
//! log lines between markers, as go-ftw does.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use palisade_conformance::{Overrides, RunOptions, Target};
use palisade_proxy::Gateway;
use palisade_proxy::waf::{Waf, WafSet};

/// Arguments of `palisade conformance crs`.
#[derive(Debug, clap::Args)]
pub(crate) struct CrsArgs {
    /// The CRS checkout (default: `PALISADE_CRS_DIR`, then `../shared/crs`).
    #[arg(long, value_name = "DIR")]
    crs_dir: Option<PathBuf>,
    /// Run only the tests of this rule id.
    #[arg(long, value_name = "RULE_ID")]
    filter: Option<u32>,
    /// Overrides file: tests whose expected result differs on purpose, each with a reason
    /// (default: `conformance/crs-overrides.toml` when it exists).
    #[arg(long, value_name = "FILE")]
    overrides: Option<PathBuf>,
    /// Keep the gateway's error log here instead of a temporary folder.
    #[arg(long, value_name = "FILE")]
    log: Option<PathBuf>,
}

fn crs_dir(arg: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    let dir = arg
        .or_else(|| std::env::var_os("PALISADE_CRS_DIR").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("../shared/crs"));
    if !dir.join("rules").is_dir() {
        bail!(
            "no CRS at {} (give --crs-dir, set PALISADE_CRS_DIR, or run `palisade rules fetch-crs`)",
            dir.display()
        );
    }
    dir.canonicalize()
        .with_context(|| format!("cannot resolve {}", dir.display()))
}

fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

pub(crate) fn run(args: CrsArgs) -> anyhow::Result<ExitCode> {
    let dir = crs_dir(args.crs_dir)?;
    let tests = dir.join("tests/regression/tests");
    let suite = palisade_conformance::load_suite(&tests)
        .map_err(|e| anyhow::anyhow!("cannot load the regression suite:\n{e}"))?;
    let overrides_path = args.overrides.or_else(|| {
        let p = PathBuf::from("conformance/crs-overrides.toml");
        p.is_file().then_some(p)
    });
    let overrides = match &overrides_path {
        Some(p) => Overrides::load(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?,
        None => Overrides::empty(),
    };
    let work = tempfile::Builder::new()
        .prefix("palisade-conformance-")
        .tempdir()
        .context("cannot create a temporary folder")?;
    let log_path = args.log.unwrap_or_else(|| work.path().join("error.log"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("palisade-conformance")
        .build()
        .context("cannot start the async runtime")?;
    let opts = RunOptions {
        filter: args.filter,
        ..RunOptions::default()
    };
    let report = runtime.block_on(async {
        let origin = palisade_testkit::Origin::try_start_albedo()
            .await
            .context("cannot start the echo backend")?;
        let config = gateway_config(work.path(), &dir, &log_path, origin.addr())?;
        let set = WafSet::build(
            &config,
            &[
                palisade_waf::crs::TEST_SETUP.to_owned(),
                "SecResponseBodyMimeType application/json".to_owned(),
            ],
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        if let Some(e) = config.sites.first().and_then(|s| set.site(&s.name)) {
            println!(
                "CRS {} from {}: {} rules loaded in {} ms",
                palisade_waf::crs::CRS_VERSION,
                dir.display(),
                e.engine.rule_count(),
                e.load_time.as_millis()
            );
        }
        let waf = Arc::new(Waf::new(set));
        let gateway = Gateway::start(config, waf as Arc<dyn palisade_proxy::Inspector>)
            .await
            .context("cannot start the gateway")?;
        let addr = gateway
            .listener_addrs()
            .first()
            .map(|(_, a)| *a)
            .context("the gateway has no listener")?;
        let target = Target {
            addr,
            log_path: log_path.clone(),
        };
        let report = tokio::task::spawn_blocking(move || {
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            let r = palisade_conformance::run(&suite, &overrides, &target, &opts, &mut out);
            let _ = out.flush();
            r
        })
        .await
        .context("the conformance run failed")?
        .context("the conformance run stopped")?;
        gateway.shutdown(std::time::Duration::from_secs(2)).await;
        origin.shutdown().await;
        anyhow::Ok(report)
    })?;
    if let Some(p) = &overrides_path {
        println!("overrides: {}", p.display());
    }
    Ok(if report.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn gateway_config(
    work: &Path,
    crs: &Path,
    log: &Path,
    backend: std::net::SocketAddr,
) -> anyhow::Result<palisade_config::Config> {
    let text = format!(
        r#"data_dir = {data}

[[listener]]
name = "http"
address = "127.0.0.1:0"

[admin]
listen = "127.0.0.1:0"

[waf]
crs_dir = {crs}
error_log = {log}

[[upstream]]
name = "albedo"
targets = ["http://{backend}"]

[[site]]
name = "crs-tests"
hosts = ["*"]
upstream = "albedo"

[site.waf]
mode = "block"
paranoia_level = 4
"#,
        data = toml_string(&work.join("data").to_string_lossy()),
        crs = toml_string(&crs.to_string_lossy()),
        log = toml_string(&log.to_string_lossy()),
    );
    palisade_config::parse_str("<conformance>", &text, work)
        .map_err(|d| anyhow::anyhow!("the conformance gateway config is invalid:\n{d}"))
}
