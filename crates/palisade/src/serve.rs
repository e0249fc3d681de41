//! `palisade serve`: load, start, reload on SIGHUP / file change, drain on SIGTERM.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use palisade_config::{Config, EmbeddedOptions};
use palisade_proxy::Gateway;
use palisade_proxy::waf::{Waf, WafSet};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tracing::{error, info, warn};

use crate::ServeArgs;

/// Command-line values that win over the file, re-applied on every reload.
#[derive(Debug, Clone)]
struct Overrides {
    listen: Option<SocketAddr>,
    admin_listen: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
}

impl Overrides {
    fn apply(&self, config: &mut Config) {
        if let (Some(addr), Some(first)) = (self.listen, config.listeners.first_mut()) {
            first.address = addr;
        }
        if let Some(addr) = self.admin_listen {
            config.admin.address = addr;
        }
        if let Some(dir) = &self.data_dir {
            config.data_dir.clone_from(dir);
        }
    }
}

pub(crate) fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    crate::init_tracing(args.log_format);
    let overrides = Overrides {
        listen: args.listen,
        admin_listen: args.admin_listen,
        data_dir: args.data_dir.clone(),
    };
    let config = match (&args.config, &args.upstream) {
        (Some(path), _) => match load(path, &overrides) {
            Ok(config) => config,
            Err(report) => {
                eprint!("{report}");
                bail!("{} was not accepted", path.display());
            }
        },
        (None, Some(upstream)) => {
            let options = EmbeddedOptions {
                upstream: upstream.clone(),
                listen: args.listen,
                admin_listen: args.admin_listen,
                data_dir: args.data_dir.clone(),
            };
            match palisade_config::embedded_default(&options) {
                Ok(config) => config,
                Err(report) => {
                    eprint!("{report}");
                    bail!("the embedded default config was not accepted");
                }
            }
        }
        (None, None) => bail!(
            "nothing to serve: give --upstream URL (embedded defaults) or --config FILE\n\
             example: palisade serve --upstream http://127.0.0.1:3000"
        ),
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("palisade")
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(config, args.config, overrides))?;
    Ok(ExitCode::SUCCESS)
}

fn load(path: &Path, overrides: &Overrides) -> Result<Config, String> {
    match palisade_config::load_file(path) {
        Ok(mut config) => {
            overrides.apply(&mut config);
            Ok(config)
        }
        Err(diagnostics) => Err(diagnostics.to_string()),
    }
}

async fn serve(config: Config, path: Option<PathBuf>, overrides: Overrides) -> anyhow::Result<()> {
    let grace = config.limits.shutdown_grace;
    let watch = config.reload.watch;
    let debounce = config.reload.debounce;
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create data folder {}", config.data_dir.display()))?;
    let data_dir = config.data_dir.clone();

    let mut config = config;
    if path.is_none() {
        // Embedded defaults run without a CRS checkout too (engine base rules only), with
        // a warning; a config file that asks for CRS and has none is an error.
        if let Err(looked) = palisade_proxy::waf::resolve_crs_dir(&config) {
            warn!(looked = %looked, "OWASP CRS not found: the WAF runs the engine base rules only; run `palisade rules fetch-crs` or set PALISADE_CRS_DIR");
            for site in &mut config.sites {
                site.waf.crs = false;
            }
        }
    }
    let set = build_waf(&config).await?;
    report_waf(&config, &set);
    let waf = Arc::new(Waf::new(set));
    let gateway = Gateway::start(
        config,
        Arc::clone(&waf) as Arc<dyn palisade_proxy::Inspector>,
    )
    .await
    .context("cannot start the gateway")?;
    for (name, addr) in gateway.listener_addrs() {
        println!("palisade: listener {name} on {addr}");
    }
    println!(
        "palisade: admin (metrics, health) on http://{}",
        gateway.admin_addr()
    );
    println!("palisade: data folder {}", data_dir.display());

    let (reload_tx, mut reload_rx) = mpsc::channel::<&'static str>(8);
    let _watcher = match (&path, watch) {
        (Some(path), true) => Some(watch_file(path, reload_tx.clone())?),
        _ => None,
    };
    if let Some(path) = &path {
        info!(config = %path.display(), "reload with SIGHUP or by saving the file");
    }

    let mut hangup = signal(SignalKind::hangup()).context("cannot listen for SIGHUP")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
    loop {
        tokio::select! {
            _ = hangup.recv() => { let _ = reload_tx.try_send("SIGHUP"); }
            Some(trigger) = reload_rx.recv() => {
                // Coalesce a burst of change events into one reload.
                tokio::time::sleep(debounce).await;
                while reload_rx.try_recv().is_ok() {}
                match &path {
                    Some(path) => reload(&gateway, &waf, path, &overrides, trigger).await,
                    None => warn!(trigger, "no config file to reload (running on embedded defaults)"),
                }
            }
            _ = terminate.recv() => { info!("SIGTERM: draining"); break; }
            _ = interrupt.recv() => { info!("SIGINT: draining"); break; }
        }
    }
    gateway.shutdown(grace).await;
    info!("stopped");
    Ok(())
}

/// Parses and validates off the request path, then swaps atomically. An invalid file never
/// replaces the running config.
async fn reload(gateway: &Gateway, waf: &Waf, path: &Path, overrides: &Overrides, trigger: &str) {
    match load(path, overrides) {
        Ok(config) => {
            let digest = config.digest.clone();
            let set = match build_waf(&config).await {
                Ok(set) => set,
                Err(err) => {
                    gateway.record_reload_failure();
                    error!(trigger, config = %path.display(), "reload rejected; the running config stays: {err:#}");
                    return;
                }
            };
            report_waf(&config, &set);
            let old = waf.swap(set);
            match gateway.reload(config).await {
                Ok(()) => info!(trigger, config = %path.display(), %digest, "config reloaded"),
                Err(err) => {
                    waf.restore(old);
                    error!(trigger, config = %path.display(), error = %err, "reload rejected; the running config stays")
                }
            }
        }
        Err(report) => {
            gateway.record_reload_failure();
            error!(trigger, config = %path.display(), "reload rejected; the running config stays:\n{report}");
        }
    }
}

/// Compiles every site's WAF off the async workers (loading CRS takes a few hundred ms).
async fn build_waf(config: &Config) -> anyhow::Result<WafSet> {
    let config = config.clone();
    tokio::task::spawn_blocking(move || WafSet::build(&config, &[]))
        .await
        .context("the WAF build task failed")?
        .map_err(|e| anyhow::anyhow!("{e}"))
}

fn report_waf(config: &Config, set: &WafSet) {
    for site in &config.sites {
        match set.site(&site.name) {
            Some(e) => say(format!(
                "palisade: waf site {}: {:?}, {}, paranoia level {}, {} rules, loaded in {} ms",
                site.name,
                site.waf.mode,
                match &e.crs_dir {
                    Some(d) => format!("CRS from {}", d.display()),
                    None => "no CRS (engine base rules only)".to_owned(),
                },
                site.waf.paranoia_level,
                e.engine.rule_count(),
                e.load_time.as_millis()
            )),
            None => say(format!("palisade: waf site {}: off", site.name)),
        }
    }
}

/// Prints a line on stdout; a closed stdout (the reader went away) is not an error.
fn say(line: String) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stdout(), "{line}");
}

/// Watches the folder holding the config (editors replace files by rename) and sends a
/// trigger when the config file changes.
fn watch_file(
    path: &Path,
    tx: mpsc::Sender<&'static str>,
) -> anyhow::Result<notify::RecommendedWatcher> {
    use notify::{EventKind, RecursiveMode, Watcher};
    let path =
        std::path::absolute(path).with_context(|| format!("cannot resolve {}", path.display()))?;
    let folder = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("/"));
    let name = path.file_name().map(|n| n.to_os_string());
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        if matches!(event.kind, EventKind::Access(_)) {
            return;
        }
        if event.paths.iter().any(|p| p.file_name() == name.as_deref()) {
            let _ = tx.try_send("file change");
        }
    })
    .context("cannot watch the config file")?;
    watcher
        .watch(&folder, RecursiveMode::NonRecursive)
        .with_context(|| format!("cannot watch {}", folder.display()))?;
    Ok(watcher)
}
