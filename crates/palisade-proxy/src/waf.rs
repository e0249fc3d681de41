//! The WAF [`Inspector`]: each site's compiled SecLang engine (the OWASP CRS and the site's
//! own rules) run in the five phases of every request.
//!
//! [`WafSet::build`] compiles one engine per distinct site WAF setting (sites with the same
//! settings share it) from a [`Config`]; [`Waf`] holds the current set and is swapped
//! atomically on reload, so a request keeps the engine it started with. Matches are written
//! as they happen, at the end of each phase, so a match is in the log before the client
//! has the response: as a ModSecurity-style line in the error log file (`waf.error_log`;
//! it contains matched data, so it is created with mode 0600) and as a structured event
//! (target `palisade::waf`) that carries rule ids, messages and variable names but never
//! the matched payload.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwap;
use http::{HeaderMap, StatusCode, Version};
use palisade_config::{Config, SiteWaf, WafMode};
use palisade_seclang::{EngineMode, FsLoader, Parser};
use palisade_waf::crs::{self, CrsOptions};
use palisade_waf::engine::{
    ConnectionInfo, Engine, InterruptAction, Interruption, LogContext, Transaction,
};

use crate::inspect::{Inspector, Outcome, RequestContext, Verdict};

/// Why the WAF of a configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum WafError {
    /// A site wants CRS and none was found.
    #[error(
        "site {site:?}: the OWASP Core Rule Set was not found (looked in: {looked}); set waf.crs_dir or PALISADE_CRS_DIR, run `palisade rules fetch-crs`, or set site.waf.crs = false"
    )]
    CrsNotFound {
        /// The site.
        site: String,
        /// The places searched.
        looked: String,
    },
    /// The rules did not parse or compile; every error is listed.
    #[error("site {site:?}: the WAF rules have errors:\n{diagnostics}")]
    Rules {
        /// The site.
        site: String,
        /// Rendered diagnostics (file:line:col).
        diagnostics: String,
    },
    /// The error log could not be opened.
    #[error("waf.error_log {path}: {source}")]
    ErrorLog {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// Where the CRS checkout is: `waf.crs_dir`, `PALISADE_CRS_DIR`, `<data_dir>/crs`, then
/// `../shared/crs` (relative to the working directory). Returns the places searched when
/// none holds a `rules/` folder.
pub fn resolve_crs_dir(config: &Config) -> Result<PathBuf, String> {
    let mut candidates = Vec::new();
    if let Some(d) = &config.waf.crs_dir {
        candidates.push(d.clone());
    } else {
        if let Some(d) = std::env::var_os("PALISADE_CRS_DIR") {
            candidates.push(PathBuf::from(d));
        }
        candidates.push(config.data_dir.join("crs"));
        candidates.push(PathBuf::from("../shared/crs"));
    }
    for c in &candidates {
        if c.join("rules").is_dir() {
            return Ok(c.canonicalize().unwrap_or_else(|_| c.clone()));
        }
    }
    Err(candidates
        .iter()
        .map(|c| c.display().to_string())
        .collect::<Vec<_>>()
        .join(", "))
}

/// The error log file.
#[derive(Debug)]
struct ErrorLog {
    out: Mutex<BufWriter<File>>,
}

impl ErrorLog {
    fn open(path: &Path) -> std::io::Result<ErrorLog> {
        let mut o = OpenOptions::new();
        o.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        Ok(ErrorLog {
            out: Mutex::new(BufWriter::new(o.open(path)?)),
        })
    }

    fn write_lines(&self, lines: &[String]) {
        let Ok(mut out) = self.out.lock() else {
            return;
        };
        for l in lines {
            let _ = out.write_all(l.as_bytes());
            let _ = out.write_all(b"\n");
        }
        if let Err(e) = out.flush() {
            tracing::warn!(error = %e, "cannot write the WAF error log");
        }
    }
}

/// One compiled engine and how it was made.
#[derive(Debug)]
pub struct SiteEngine {
    /// The engine.
    pub engine: Arc<Engine>,
    /// How long parsing and compiling took.
    pub load_time: Duration,
    /// The CRS folder, when CRS is loaded.
    pub crs_dir: Option<PathBuf>,
}

/// The compiled WAF of every site of one configuration.
#[derive(Debug, Default)]
pub struct WafSet {
    sites: HashMap<String, Arc<SiteEngine>>,
    error_log: Option<Arc<ErrorLog>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct EngineKey {
    crs: Option<PathBuf>,
    mode: u8,
    pl: u8,
    dpl: Option<u8>,
    inbound: u32,
    outbound: u32,
    before: Vec<PathBuf>,
    after: Vec<PathBuf>,
}

impl WafSet {
    /// Compiles the WAF of every site with `mode != off`. `extra_before` is SecLang text
    /// loaded before `crs-setup.conf` on every site (the conformance harness puts CRS's test
    /// setup there).
    pub fn build(config: &Config, extra_before: &[String]) -> Result<WafSet, WafError> {
        let mut engines: HashMap<EngineKey, Arc<SiteEngine>> = HashMap::new();
        let mut sites = HashMap::new();
        for site in &config.sites {
            let w = &site.waf;
            if w.mode == WafMode::Off {
                continue;
            }
            let crs_dir = if w.crs {
                Some(
                    resolve_crs_dir(config).map_err(|looked| WafError::CrsNotFound {
                        site: site.name.clone(),
                        looked,
                    })?,
                )
            } else {
                None
            };
            let key = EngineKey {
                crs: crs_dir.clone(),
                mode: w.mode as u8,
                pl: w.paranoia_level,
                dpl: w.detection_paranoia_level,
                inbound: w.inbound_threshold,
                outbound: w.outbound_threshold,
                before: w.rules_before.clone(),
                after: w.rules.clone(),
            };
            let entry = match engines.get(&key) {
                Some(e) => Arc::clone(e),
                None => {
                    let e = Arc::new(compile_site(&site.name, w, crs_dir, extra_before)?);
                    engines.insert(key, Arc::clone(&e));
                    e
                }
            };
            sites.insert(site.name.clone(), entry);
        }
        let error_log = match &config.waf.error_log {
            Some(p) => Some(Arc::new(ErrorLog::open(p).map_err(|source| {
                WafError::ErrorLog {
                    path: p.clone(),
                    source,
                }
            })?)),
            None => None,
        };
        Ok(WafSet { sites, error_log })
    }

    /// The engine of `site`, if its WAF is on.
    pub fn site(&self, site: &str) -> Option<&Arc<SiteEngine>> {
        self.sites.get(site)
    }

    /// Number of sites with a WAF.
    pub fn len(&self) -> usize {
        self.sites.len()
    }

    /// True when no site has a WAF.
    pub fn is_empty(&self) -> bool {
        self.sites.is_empty()
    }
}

fn path_text(p: &Path) -> String {
    let s = p.to_string_lossy();
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn compile_site(
    name: &str,
    w: &SiteWaf,
    crs_dir: Option<PathBuf>,
    extra_before: &[String],
) -> Result<SiteEngine, WafError> {
    let started = Instant::now();
    let mode = match w.mode {
        WafMode::Block => EngineMode::On,
        WafMode::Detect => EngineMode::DetectionOnly,
        WafMode::Off => EngineMode::Off,
    };
    let mut before: Vec<String> = extra_before.to_vec();
    before.extend(
        w.rules_before
            .iter()
            .map(|p| format!("Include {}", path_text(p))),
    );
    let after: Vec<String> = w
        .rules
        .iter()
        .map(|p| format!("Include {}", path_text(p)))
        .collect();
    let text = match &crs_dir {
        Some(dir) => {
            let mut o = CrsOptions::new(dir.to_string_lossy());
            o.mode = mode;
            o.paranoia_level = w.paranoia_level;
            o.detection_paranoia_level = w.detection_paranoia_level;
            o.inbound_threshold = w.inbound_threshold;
            o.outbound_threshold = w.outbound_threshold;
            o.has_setup_conf = dir.join("crs-setup.conf").is_file();
            o.before = before;
            o.after = after;
            crs::main_file(&o)
        }
        None => {
            let mode = match mode {
                EngineMode::On => "On",
                EngineMode::DetectionOnly => "DetectionOnly",
                EngineMode::Off => "Off",
            };
            let mut t = String::from(crs::BASE_CONFIG);
            t.push_str(&format!("SecRuleEngine {mode}\n"));
            for b in before.iter().chain(after.iter()) {
                t.push_str(b);
                t.push('\n');
            }
            t
        }
    };
    let loader = FsLoader::new("/");
    let mut parser = Parser::new(&loader);
    parser.add_text(&format!("<site {name}>"), &text);
    let rules = parser.finish().into_result().map_err(|d| WafError::Rules {
        site: name.to_owned(),
        diagnostics: d.to_string(),
    })?;
    let engine = Engine::compile(&rules, &loader).map_err(|d| WafError::Rules {
        site: name.to_owned(),
        diagnostics: d.to_string(),
    })?;
    Ok(SiteEngine {
        engine: Arc::new(engine),
        load_time: started.elapsed(),
        crs_dir,
    })
}

/// The WAF inspector. Cheap to share; [`Waf::swap`] installs a new [`WafSet`].
#[derive(Debug)]
pub struct Waf {
    set: ArcSwap<WafSet>,
}

impl Waf {
    /// An inspector over `set`.
    pub fn new(set: WafSet) -> Waf {
        Waf {
            set: ArcSwap::from_pointee(set),
        }
    }

    /// Installs a new set and returns the previous one; requests in flight keep the
    /// engine they started with.
    pub fn swap(&self, set: WafSet) -> Arc<WafSet> {
        self.set.swap(Arc::new(set))
    }

    /// Puts back a set returned by [`Waf::swap`] (when the rest of a reload failed).
    pub fn restore(&self, set: Arc<WafSet>) {
        self.set.store(set);
    }
}

/// Per-request state kept in [`RequestContext::extension`].
struct State {
    tx: Transaction,
    site: String,
    log: Option<Arc<ErrorLog>>,
    written: usize,
    started: Instant,
}

fn protocol(v: Version) -> &'static [u8] {
    match v {
        Version::HTTP_09 => b"HTTP/0.9",
        Version::HTTP_10 => b"HTTP/1.0",
        Version::HTTP_2 => b"HTTP/2.0",
        Version::HTTP_3 => b"HTTP/3.0",
        _ => b"HTTP/1.1",
    }
}

fn verdict(i: Option<&Interruption>) -> Verdict {
    let Some(i) = i else {
        return Verdict::Continue;
    };
    match &i.action {
        InterruptAction::Deny { status } => Verdict::Deny {
            status: StatusCode::from_u16(*status).unwrap_or(StatusCode::FORBIDDEN),
            reason: format!("WAF rule {}: {}", i.rule_id, i.message),
        },
        InterruptAction::Drop => Verdict::Drop,
        InterruptAction::Redirect { status, location } => Verdict::Redirect {
            status: StatusCode::from_u16(*status).unwrap_or(StatusCode::FOUND),
            location: location.clone(),
        },
        InterruptAction::Allow => Verdict::Continue,
    }
}

/// RFC 3339 UTC timestamp with microseconds.
fn timestamp() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let c = palisade_waf::engine::civil(now.as_secs() as i64);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        c.year,
        c.month,
        c.day,
        c.hour,
        c.min,
        c.sec,
        now.subsec_micros()
    )
}

impl State {
    /// Writes the matches logged since the last call.
    fn flush(&mut self, request_id: &str, client: IpAddr) {
        let matches = &self.tx.matches()[self.written..];
        if matches.is_empty() {
            return;
        }
        self.written += matches.len();
        let client = client.to_string();
        let hostname = String::from_utf8_lossy(self.tx.server_name()).into_owned();
        let uri = String::from_utf8_lossy(self.tx.uri_raw()).into_owned();
        let ctx = LogContext {
            client: &client,
            hostname: &hostname,
            uri: &uri,
            unique_id: request_id,
        };
        let mut lines = Vec::with_capacity(matches.len());
        let ts = timestamp();
        for m in matches {
            tracing::warn!(
                target: "palisade::waf",
                site = %self.site,
                request_id,
                client = %client,
                rule_id = m.id,
                phase = m.phase,
                severity = m.severity.map(|s| s.name()).unwrap_or(""),
                msg = %m.message,
                matched_var = %m.matched_var_name,
                blocked = m.action.is_some(),
                "waf rule matched"
            );
            if self.log.is_some() {
                lines.push(format!(
                    "[{ts}] [site \"{}\"] {}",
                    self.site,
                    m.error_log_line(&ctx)
                ));
            }
        }
        if let Some(log) = &self.log {
            log.write_lines(&lines);
        }
    }
}

fn state(ctx: &mut RequestContext) -> Option<&mut State> {
    ctx.extension.as_mut()?.downcast_mut::<State>()
}

impl Inspector for Waf {
    fn request_headers(&self, ctx: &mut RequestContext) -> Verdict {
        let set = self.set.load();
        let Some(site_name) = ctx.site.clone() else {
            return Verdict::Continue;
        };
        let Some(site) = set.site(&site_name) else {
            return Verdict::Continue;
        };
        let conn = ConnectionInfo {
            client_ip: ctx.client_ip,
            client_port: 0,
            server_ip: IpAddr::from([0, 0, 0, 0]),
            server_port: 0,
            unique_id: ctx.request_id.clone(),
            unix_time: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64),
        };
        let mut tx = Transaction::new(Arc::clone(&site.engine), conn);
        // The rules see the target as the client sent it (REQUEST_LINE, REQUEST_URI_RAW).
        let target: std::borrow::Cow<'_, [u8]> = match (&ctx.raw_target, ctx.uri.path_and_query()) {
            (Some(raw), _) => std::borrow::Cow::Borrowed(raw),
            (None, Some(p)) => std::borrow::Cow::Borrowed(p.as_str().as_bytes()),
            (None, None) => std::borrow::Cow::Owned(ctx.uri.to_string().into_bytes()),
        };
        tx.request_line(
            ctx.method.as_str().as_bytes(),
            &target,
            protocol(ctx.version),
        );
        add_headers(
            &mut tx,
            ctx.raw_head.as_deref(),
            &ctx.headers,
            ctx.uri.authority().map(|a| a.as_str()),
        );
        let v = verdict(tx.process_request_headers());
        let mut st = State {
            tx,
            site: site_name,
            log: set.error_log.clone(),
            written: 0,
            started: Instant::now(),
        };
        st.flush(&ctx.request_id, ctx.client_ip);
        ctx.extension = Some(Box::new(st));
        v
    }

    fn wants_request_body(&self, ctx: &RequestContext) -> bool {
        // Phase 2 runs for every inspected request (CRS checks arguments there); the body
        // itself is parsed only when the engine's body access is on.
        ctx.extension
            .as_ref()
            .and_then(|e| e.downcast_ref::<State>())
            .is_some_and(|s| s.tx.mode() != EngineMode::Off)
    }

    fn request_body(&self, ctx: &mut RequestContext, body: &[u8], complete: bool) -> Verdict {
        let declared = ctx
            .headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let (id, client) = (ctx.request_id.clone(), ctx.client_ip);
        let Some(st) = state(ctx) else {
            return Verdict::Continue;
        };
        let total = if complete {
            None
        } else {
            Some(
                declared
                    .unwrap_or(body.len() as u64 + 1)
                    .max(body.len() as u64 + 1),
            )
        };
        let v = verdict(st.tx.process_request_body(body, total));
        st.flush(&id, client);
        v
    }

    fn response_headers(
        &self,
        ctx: &mut RequestContext,
        status: StatusCode,
        headers: &HeaderMap,
    ) -> Verdict {
        let (id, client) = (ctx.request_id.clone(), ctx.client_ip);
        let version = ctx.version;
        let Some(st) = state(ctx) else {
            return Verdict::Continue;
        };
        let pairs: Vec<(&[u8], &[u8])> = headers
            .iter()
            .map(|(k, v)| (k.as_str().as_bytes(), v.as_bytes()))
            .collect();
        let v = verdict(
            st.tx
                .process_response_headers(status.as_u16(), protocol(version), &pairs),
        );
        st.flush(&id, client);
        v
    }

    fn wants_response_body(&self, ctx: &RequestContext) -> bool {
        ctx.extension
            .as_ref()
            .and_then(|e| e.downcast_ref::<State>())
            .is_some_and(|s| s.tx.interruption().is_none() && s.tx.mode() != EngineMode::Off)
    }

    fn response_body(&self, ctx: &mut RequestContext, body: &[u8], complete: bool) -> Verdict {
        let (id, client) = (ctx.request_id.clone(), ctx.client_ip);
        let Some(st) = state(ctx) else {
            return Verdict::Continue;
        };
        let total = (!complete).then_some(body.len() as u64 + 1);
        let v = verdict(st.tx.process_response_body(body, total));
        st.flush(&id, client);
        v
    }

    fn logging(&self, ctx: &mut RequestContext, _outcome: &Outcome) {
        let (id, client) = (ctx.request_id.clone(), ctx.client_ip);
        let Some(st) = state(ctx) else {
            return;
        };
        let micros = u64::try_from(st.started.elapsed().as_micros()).unwrap_or(u64::MAX);
        st.tx.set_duration_micros(micros);
        st.tx.process_logging();
        st.flush(&id, client);
    }
}

/// Gives the transaction the request headers: from the raw HTTP/1 head when there is one
/// (names as the client spelled them, as ModSecurity logs them: `REQUEST_HEADERS:User-Agent`),
/// else from the parsed map (HTTP/2 names are lower-case on the wire anyway).
fn add_headers(
    tx: &mut Transaction,
    raw_head: Option<&[u8]>,
    headers: &HeaderMap,
    authority: Option<&str>,
) {
    if let Some(head) = raw_head {
        // The framing guard parsed this head with the same limits; a second parse that
        // fails (it cannot, short of a bug) falls back to the parsed map.
        // On the stack for ordinary requests; only a head with many headers allocates.
        let mut stack = [httparse::EMPTY_HEADER; 64];
        let mut heap = Vec::new();
        let slots: &mut [httparse::Header<'_>] = if headers.len() < stack.len() {
            &mut stack
        } else {
            heap.resize(headers.len() + 8, httparse::EMPTY_HEADER);
            &mut heap
        };
        let mut req = httparse::Request::new(slots);
        if let Ok(httparse::Status::Complete(_)) = req.parse(head) {
            for h in req.headers.iter() {
                tx.add_request_header(h.name.as_bytes(), h.value);
            }
            return;
        }
    }
    if !headers.contains_key(http::header::HOST)
        && let Some(a) = authority
    {
        tx.add_request_header(b"Host", a.as_bytes());
    }
    for (k, v) in headers {
        tx.add_request_header(k.as_str().as_bytes(), v.as_bytes());
    }
}
