//! One immutable generation of everything the request path needs: the config, the routing
//! table, the upstream pools with their health checkers, the TLS server configs and the
//! per-site metrics. Built off the request path, swapped atomically (`ArcSwap<Runtime>`);
//! requests in flight keep the generation they loaded.

use std::collections::HashMap;
use std::sync::Arc;

use palisade_config::{
    CertificateSource, Config, HostPattern, ListenerProtocol, TlsPolicyName, Upstream,
};
use palisade_tls::CertStore;
use palisade_upstream::{HealthChecker, Pool};
use rustls::ServerConfig;

use crate::error::ProxyError;
use crate::metrics::{CertExpiry, Metrics, NO_SITE, SiteMetrics, TargetHealth};
use crate::router::Router;

/// One upstream pool and the health checker that probes it. Shared between generations when
/// the upstream's configuration did not change, so health state and connections survive a
/// reload.
#[derive(Debug)]
pub(crate) struct PoolEntry {
    pub(crate) config: Upstream,
    pub(crate) pool: Arc<Pool>,
    _health: Arc<HealthChecker>,
}

/// See the module docs.
#[derive(Debug)]
pub(crate) struct Runtime {
    pub(crate) config: Config,
    pub(crate) router: Router,
    /// Index = `Config::upstreams` index.
    pub(crate) pools: Vec<Arc<PoolEntry>>,
    /// Index = `Config::sites` index.
    pub(crate) site_metrics: Vec<SiteMetrics>,
    pub(crate) no_site_metrics: SiteMetrics,
    pub(crate) certs: Option<Arc<CertStore>>,
    /// Server configs by (policy, offer h2).
    tls: HashMap<(TlsPolicyName, bool), Arc<ServerConfig>>,
}

impl Runtime {
    /// Builds a generation, reusing what `old` has for unchanged parts. `shards`: the number
    /// of data-plane workers, each of which gets its own upstream connections.
    pub(crate) fn build(
        config: Config,
        old: Option<&Runtime>,
        metrics: &Metrics,
        shards: usize,
    ) -> Result<Runtime, ProxyError> {
        let mut pools = Vec::with_capacity(config.upstreams.len());
        for upstream in &config.upstreams {
            let reused = old.and_then(|old| {
                old.pools
                    .iter()
                    .find(|p| p.config == *upstream)
                    .map(Arc::clone)
            });
            let entry = match reused {
                Some(entry) => entry,
                None => {
                    let pool = Arc::new(Pool::sharded(upstream, shards)?);
                    let health = Arc::new(pool.spawn_health_checks());
                    Arc::new(PoolEntry {
                        config: upstream.clone(),
                        pool,
                        _health: health,
                    })
                }
            };
            pools.push(entry);
        }
        let certs = build_certs(&config, old)?;
        let mut tls = HashMap::new();
        if let Some(store) = &certs {
            for policy in [TlsPolicyName::Tls12_2021, TlsPolicyName::Tls13_2025] {
                for h2 in [false, true] {
                    let server = palisade_tls::server_config(policy, Arc::clone(store), h2)
                        .map_err(|e| ProxyError::Tls(vec![e]))?;
                    tls.insert((policy, h2), server);
                }
            }
        }
        let router = Router::new(&config.sites);
        let site_metrics = config.sites.iter().map(|s| metrics.site(&s.name)).collect();
        Ok(Runtime {
            router,
            pools,
            site_metrics,
            no_site_metrics: metrics.site(NO_SITE),
            certs,
            tls,
            config,
        })
    }

    /// The server config for a handshake on a listener with `listener_policy`, given the SNI
    /// name (already normalized): a site's own policy wins over the listener's.
    pub(crate) fn tls_config(
        &self,
        listener_policy: TlsPolicyName,
        http2: bool,
        sni: Option<&str>,
    ) -> Option<Arc<ServerConfig>> {
        let policy = sni
            .and_then(|name| self.router.tls_policy(name))
            .unwrap_or(listener_policy);
        self.tls.get(&(policy, http2)).cloned()
    }

    /// Health of every target of every pool, for the metrics scrape.
    pub(crate) fn target_health(&self) -> Vec<TargetHealth> {
        self.pools
            .iter()
            .flat_map(|entry| {
                entry.pool.status().into_iter().map(|t| TargetHealth {
                    upstream: entry.pool.name().to_owned(),
                    target: t.target,
                    healthy: t.healthy && !t.ejected,
                    requests: t.requests,
                    failures: t.failures,
                })
            })
            .collect()
    }

    /// Expiry of every served certificate, for the metrics scrape.
    pub(crate) fn cert_expiry(&self) -> Vec<CertExpiry> {
        self.certs
            .iter()
            .flat_map(|store| store.certificates())
            .map(|c| CertExpiry {
                cert: c.cert_file.display().to_string(),
                names: c.names.join(","),
                not_after: c.not_after,
            })
            .collect()
    }

    /// Whether every pool has a target that takes traffic.
    pub(crate) fn ready(&self) -> bool {
        self.pools.iter().all(|p| p.pool.healthy_count() > 0)
    }
}

fn has_https(config: &Config) -> bool {
    config
        .listeners
        .iter()
        .any(|l| matches!(l.protocol, ListenerProtocol::Https { .. }))
}

/// The certificate store: the old one when the sources did not change (it hot-reloads
/// itself), else loaded anew. `None` without an HTTPS listener and without certificates.
fn build_certs(
    config: &Config,
    old: Option<&Runtime>,
) -> Result<Option<Arc<CertStore>>, ProxyError> {
    let sources: Vec<CertificateSource> = if !config.tls.certificates.is_empty() {
        config.tls.certificates.clone()
    } else if has_https(config) && config.tls.dev_certificate {
        let names = dev_names(config);
        let dir = config.data_dir.join("certs");
        vec![
            palisade_tls::generate_dev_certificate(&dir, &names)
                .map_err(|e| ProxyError::Tls(vec![e]))?,
        ]
    } else if has_https(config) {
        return Err(ProxyError::Unservable(
            "an HTTPS listener needs [[tls.certificates]] or tls.dev_certificate = true".into(),
        ));
    } else {
        return Ok(None);
    };
    if let Some(store) = old.and_then(|o| o.certs.as_ref())
        && store.sources() == sources.as_slice()
    {
        // Pick up changed files now rather than at the next poll; a broken file keeps
        // the old certificates (and is logged by the store).
        let _ = store.reload_if_changed();
        return Ok(Some(Arc::clone(store)));
    }
    CertStore::load(&sources)
        .map(|s| Some(Arc::new(s)))
        .map_err(ProxyError::Tls)
}

/// Exact site host names for the development certificate (wildcards and `*` are left out).
fn dev_names(config: &Config) -> Vec<String> {
    let mut names: Vec<String> = config
        .sites
        .iter()
        .flat_map(|s| s.hosts.iter())
        .filter_map(|h| match h {
            HostPattern::Exact(name) => Some(name.clone()),
            HostPattern::Wildcard(_) | HostPattern::Any => None,
        })
        .collect();
    names.sort();
    names.dedup();
    names
}
