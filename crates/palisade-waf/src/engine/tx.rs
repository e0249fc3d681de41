//! The per-request [`Transaction`]: feeds request and response data in HTTP order and runs
//! phases 1–5 over the shared [`Engine`].

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::Arc;

use palisade_seclang::registry::VariableName;
use palisade_seclang::{
    AllowScope, BodyProcessor, Ctl, EngineMode, LimitAction, MacroPart, MacroString, SetVarOp,
};

use super::Engine;
use super::log::{InterruptAction, Interruption, RuleMatch};
use super::rule::{Disruptive, Effect, Exclusion, Item, Rule, RuleSel, Sel, Target};
use super::vars::{self, Arg, Collections, ConnectionInfo, Data, File, RuleCtx, Val};
use crate::operators::Captures;
use crate::transformations::{Pipeline, TransformFn};

/// Most log entries one rule adds to a transaction (a rule matching 10 000 arguments
/// logs the first ones and counts the rest).
const MAX_MATCHES_PER_RULE: usize = 32;
/// Most log entries per transaction.
const MAX_MATCHES: usize = 1024;
/// Longest matched value kept in a [`RuleMatch`].
const MAX_MATCHED_VALUE: usize = 1024;

/// Most bytes of transformed values cached per phase; beyond it values are transformed
/// again each time they are needed (same result, more work).
const MAX_CACHE_BYTES: usize = 16 << 20;

/// Scratch space reused across rules.
#[derive(Default)]
struct Scratch {
    pipeline: Pipeline,
    step: Vec<u8>,
    step2: Vec<u8>,
    cache: TransformCache,
    captures: Captures,
    arg: Vec<u8>,
    /// The value list's allocation, kept between rules (always empty here).
    vals: Vec<Val<'static>>,
}

/// An empty `Vec` of values for another lifetime, reusing `v`'s allocation (the standard
/// library collects a `vec::IntoIter` into a `Vec` of the same layout in place).
fn recycle<'a, 'b>(mut v: Vec<Val<'a>>) -> Vec<Val<'b>> {
    v.clear();
    v.into_iter()
        .map(|_| unreachable!("the vector is empty"))
        .collect()
}

/// Transformed values of the current phase, keyed by (value slot, transformation chain).
/// The bytes live in one arena, so caching a value costs no allocation of its own.
struct TransformCache {
    index: HashMap<(u32, u32), (usize, usize), BuildHasherDefault<SlotHasher>>,
    arena: Vec<u8>,
}

impl Default for TransformCache {
    fn default() -> Self {
        // Sized for a typical request under CRS (a few hundred cached values in phase 2),
        // so that it rarely grows.
        TransformCache {
            index: HashMap::with_capacity_and_hasher(512, BuildHasherDefault::default()),
            arena: Vec::with_capacity(16 << 10),
        }
    }
}

impl TransformCache {
    fn clear(&mut self) {
        self.index.clear();
        self.arena.clear();
    }

    /// `value` after `chain`, from the cache or computed (and cached while room is left).
    fn get_or_run<'s>(
        &'s mut self,
        key: (u32, u32),
        pipeline: &'s mut Pipeline,
        value: &'s [u8],
        chain: &[TransformFn],
    ) -> &'s [u8] {
        if let Some(&(start, len)) = self.index.get(&key) {
            return &self.arena[start..start + len];
        }
        let out = pipeline.run(value, chain);
        if self.arena.len() + out.len() > MAX_CACHE_BYTES {
            return out;
        }
        let start = self.arena.len();
        self.arena.extend_from_slice(out);
        self.index.insert(key, (start, out.len()));
        &self.arena[start..]
    }
}

/// A multiply-rotate hasher for the cache's integer keys (the FxHash scheme). The keys are
/// engine-made indices (value slot, chain number), not request bytes, so a keyed hash buys
/// no protection here and SipHash only costs time.
#[derive(Default)]
struct SlotHasher(u64);

impl std::hash::Hasher for SlotHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// One matched value of one link.
struct Hit {
    name: Vec<u8>,
    value: Vec<u8>,
    captures: Option<Vec<Vec<u8>>>,
    op_message: String,
}

/// Runtime state that `ctl` and flow actions change.
#[derive(Debug)]
struct Control {
    mode: EngineMode,
    request_body_access: bool,
    response_body_access: bool,
    processor: Option<BodyProcessor>,
    force_request_body_variable: bool,
    request_body_limit: u64,
    response_body_limit: u64,
    removed: Vec<RuleSel>,
    removed_targets: Vec<(RuleSel, Exclusion)>,
    allow: Option<(AllowScope, u8)>,
}

/// One HTTP transaction through the rule engine.
///
/// Call in order: [`Transaction::request_line`], [`Transaction::add_request_header`] for each
/// header, [`Transaction::process_request_headers`] (phase 1), then
/// [`Transaction::process_request_body`] (phase 2; with an empty body when there is none),
/// [`Transaction::process_response_headers`] (phase 3),
/// [`Transaction::process_response_body`] (phase 4) and always
/// [`Transaction::process_logging`] (phase 5). Each phase method returns the interruption,
/// if a rule interrupted the transaction; later phases then do nothing except logging.
pub struct Transaction {
    engine: Arc<Engine>,
    d: Data,
    c: Collections,
    ctl: Control,
    scratch: Scratch,
    matches: Vec<RuleMatch>,
    dropped_matches: usize,
    interruption: Option<Interruption>,
    phase_done: u8,
}

impl std::fmt::Debug for Transaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transaction")
            .field("unique_id", &self.d.conn.unique_id)
            .field("phase_done", &self.phase_done)
            .field("matches", &self.matches.len())
            .field("interruption", &self.interruption)
            .finish()
    }
}

impl Transaction {
    /// Starts a transaction.
    pub fn new(engine: Arc<Engine>, conn: ConnectionInfo) -> Transaction {
        let cfg = engine.config();
        let ctl = Control {
            mode: cfg.rule_engine,
            request_body_access: cfg.request_body_access,
            response_body_access: cfg.response_body_access,
            processor: None,
            force_request_body_variable: false,
            request_body_limit: cfg.request_body_limit,
            response_body_limit: cfg.response_body_limit,
            removed: Vec::new(),
            removed_targets: Vec::new(),
            allow: None,
        };
        let d = Data {
            conn,
            web_app_id: cfg.web_app_id.clone(),
            ..Data::default()
        };
        Transaction {
            engine,
            d,
            c: Collections::default(),
            ctl,
            scratch: Scratch::default(),
            matches: Vec::new(),
            dropped_matches: 0,
            interruption: None,
            phase_done: 0,
        }
    }

    /// Sets the request line. `uri` is the request target exactly as received.
    pub fn request_line(&mut self, method: &[u8], uri: &[u8], protocol: &[u8]) {
        let sep = self.engine.config().argument_separator;
        let limit = self.args_limit();
        let d = &mut self.d;
        d.method = method.to_vec();
        d.uri_raw = uri.to_vec();
        d.protocol = protocol.to_vec();
        let mut line = method.to_vec();
        line.push(b' ');
        line.extend_from_slice(uri);
        if !protocol.is_empty() {
            line.push(b' ');
            line.extend_from_slice(protocol);
        }
        d.request_line = line;
        // An absolute-form target keeps its scheme and authority only in REQUEST_URI_RAW.
        let origin = strip_authority(uri);
        let without_fragment = match memchr::memchr(b'#', origin) {
            Some(i) => &origin[..i],
            None => origin,
        };
        d.uri = origin.to_vec();
        let (path, query) = match memchr::memchr(b'?', without_fragment) {
            Some(i) => (&without_fragment[..i], &without_fragment[i + 1..]),
            None => (without_fragment, &b""[..]),
        };
        // REQUEST_FILENAME and REQUEST_BASENAME are percent-decoded, as libModSecurity and
        // Coraza give them (CRS 933151 and friends match `name (` spelled `name%20%28`).
        let path = percent_decode(path);
        d.basename = match memchr::memrchr(b'/', &path) {
            Some(i) => path[i + 1..].to_vec(),
            None => path.to_vec(),
        };
        d.path = path;
        d.query = query.to_vec();
        let (args, bad) = parse_args(query, sep, limit, false);
        d.args = args;
        d.urlencoded_error |= bad;
    }

    fn args_limit(&self) -> usize {
        usize::try_from(self.engine.config().arguments_limit).unwrap_or(usize::MAX)
    }

    /// Adds one request header (in arrival order; duplicates kept).
    pub fn add_request_header(&mut self, name: &[u8], value: &[u8]) {
        let d = &mut self.d;
        if name.eq_ignore_ascii_case(b"cookie") {
            parse_cookies(value, &mut d.cookies);
        } else if name.eq_ignore_ascii_case(b"host") && d.server_name.is_empty() {
            let host = match value.iter().rposition(|&c| c == b':') {
                Some(i) if !value.starts_with(b"[") || value[..i].ends_with(b"]") => &value[..i],
                _ => value,
            };
            d.server_name = host.to_vec();
        } else if name.eq_ignore_ascii_case(b"authorization") {
            let v = value.trim_ascii();
            let (scheme, rest) = match memchr::memchr(b' ', v) {
                Some(i) => (&v[..i], v[i + 1..].trim_ascii()),
                None => (v, &b""[..]),
            };
            d.auth_type = scheme.to_vec();
            if scheme.eq_ignore_ascii_case(b"basic")
                && let Some(decoded) = base64_decode(rest)
                && let Some(i) = memchr::memchr(b':', &decoded)
            {
                d.remote_user = decoded[..i].to_vec();
            }
        }
        d.headers.push((name.to_vec(), value.to_vec()));
    }

    /// Runs phase 1.
    pub fn process_request_headers(&mut self) -> Option<&Interruption> {
        // As in ModSecurity, the Content-Type chooses the default body processor before
        // phase 1, so that REQBODY_PROCESSOR reads it and `ctl` can override it.
        if self.d.processor.is_none() {
            self.d.processor = self.default_processor().map(processor_name);
        }
        self.run_phase(1);
        self.interruption.as_ref()
    }

    /// Whether the request body will be inspected (`SecRequestBodyAccess`, possibly changed
    /// by `ctl:requestBodyAccess` in phase 1). Call after phase 1.
    pub fn wants_request_body(&self) -> bool {
        self.ctl.request_body_access && self.ctl.mode != EngineMode::Off
    }

    /// The most request body bytes the engine inspects (`SecRequestBodyLimit`).
    pub fn request_body_limit(&self) -> u64 {
        self.ctl.request_body_limit
    }

    /// Processes the request body and runs phase 2. `body` is the buffered body (or its
    /// first bytes); `total_len` is the full length when known (larger than `body.len()`
    /// when the caller buffered only a prefix).
    pub fn process_request_body(
        &mut self,
        body: &[u8],
        total_len: Option<u64>,
    ) -> Option<&Interruption> {
        if self.interruption.is_none() && self.phase_done < 2 {
            self.request_body(body, total_len);
        }
        if self.interruption.is_none() {
            self.run_phase(2);
        }
        self.interruption.as_ref()
    }

    /// The body processor the request's Content-Type selects when no `ctl` chose one.
    fn default_processor(&self) -> Option<BodyProcessor> {
        let ct = vars::header(&self.d.headers, b"content-type")?.trim_ascii_start();
        if starts_with_ci(ct, b"application/x-www-form-urlencoded") {
            Some(BodyProcessor::UrlEncoded)
        } else if starts_with_ci(ct, b"multipart/form-data") {
            Some(BodyProcessor::Multipart)
        } else {
            None
        }
    }

    fn request_body(&mut self, body: &[u8], total_len: Option<u64>) {
        let total = total_len
            .unwrap_or(body.len() as u64)
            .max(body.len() as u64);
        self.d.body_length = usize::try_from(total).unwrap_or(usize::MAX);
        if !self.ctl.request_body_access || self.ctl.mode == EngineMode::Off {
            return;
        }
        let cfg = self.engine.config();
        let ct = vars::header(&self.d.headers, b"content-type").map(<[u8]>::to_vec);
        let processor = self.ctl.processor.or_else(|| self.default_processor());
        let limit = self.ctl.request_body_limit;
        let no_files_limit = cfg.request_body_no_files_limit;
        let applicable = if processor == Some(BodyProcessor::Multipart) {
            limit
        } else {
            limit.min(no_files_limit)
        };
        let mut body = body;
        // A body the caller could only show in part is inspected as far as it goes.
        let mut partial = total > body.len() as u64;
        if total > applicable {
            self.d.inbound_data_error = true;
            match cfg.request_body_limit_action {
                LimitAction::Reject => {
                    if self.ctl.mode == EngineMode::On {
                        self.interruption = Some(Interruption {
                            rule_id: 0,
                            phase: 2,
                            action: InterruptAction::Deny { status: 413 },
                            message: "Request body is larger than the configured limit".into(),
                        });
                        return;
                    }
                }
                LimitAction::ProcessPartial => {
                    let keep = usize::try_from(applicable).unwrap_or(usize::MAX);
                    body = &body[..body.len().min(keep)];
                    partial = true;
                }
            }
        }
        self.d.body = body.to_vec();
        let mut limits = palisade_body::Limits {
            max_args: self.args_limit(),
            max_json_depth: usize::try_from(cfg.json_depth_limit).unwrap_or(usize::MAX),
            max_files: usize::try_from(cfg.upload_file_limit).unwrap_or(usize::MAX),
            ..palisade_body::Limits::DEFAULT
        };
        limits.max_args = limits.max_args.saturating_sub(self.d.args.len()).max(1);
        let body = &self.d.body;
        if body.is_empty() {
            self.d.processor = processor.map(processor_name);
            self.d.request_body_var = self.ctl.force_request_body_variable
                || processor == Some(BodyProcessor::UrlEncoded);
            return;
        }
        let mut post: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        let mut error: Option<String> = None;
        match processor {
            Some(BodyProcessor::UrlEncoded) => {
                self.d.request_body_var = true;
                let (args, bad) = parse_args(body, cfg.argument_separator, limits.max_args, true);
                self.d.urlencoded_error |= bad;
                self.d.args.extend(args);
            }
            Some(BodyProcessor::Multipart) => {
                let ct = ct.unwrap_or_default();
                match palisade_body::multipart::parse(body, &ct, &limits) {
                    Ok(res) => {
                        for p in &res.parts {
                            self.d.multipart_name.clone_from(&p.name);
                            if let Some(f) = &p.filename {
                                self.d.multipart_filename.clone_from(f);
                                self.d.files.push(File {
                                    field: p.name.clone(),
                                    filename: f.clone(),
                                    size: p.file_size,
                                });
                            }
                        }
                        post = res.to_args();
                        self.d.part_headers = res.part_headers;
                        self.d.multipart = Some(res.flags);
                    }
                    Err(e) => {
                        self.d.multipart = Some(Default::default());
                        error = Some(format!("Multipart parsing error: {e}"));
                    }
                }
            }
            Some(BodyProcessor::Json) => match palisade_body::json::parse(body, &limits) {
                Ok(a) => post = a,
                Err(e) => error = Some(e.to_string()),
            },
            Some(BodyProcessor::Xml) => match palisade_body::xml::parse(body, &limits) {
                Ok(x) => self.d.xml = Some(x),
                Err(e) => error = Some(e.to_string()),
            },
            None => self.d.request_body_var = self.ctl.force_request_body_variable,
        }
        if processor.is_some() && self.ctl.force_request_body_variable {
            self.d.request_body_var = true;
        }
        self.d.processor = processor.map(processor_name);
        self.d
            .args
            .extend(post.into_iter().map(|(name, value)| Arg {
                name,
                value,
                post: true,
            }));
        // Parse errors caused by the cut of a partial body are not body errors.
        if let Some(e) = error.filter(|_| !partial) {
            self.d.reqbody_error = true;
            self.d.reqbody_error_msg = e;
        }
    }

    /// Sets the response status line and headers and runs phase 3.
    pub fn process_response_headers(
        &mut self,
        status: u16,
        protocol: &[u8],
        headers: &[(&[u8], &[u8])],
    ) -> Option<&Interruption> {
        self.d.status = Some(status);
        self.d.response_protocol = protocol.to_vec();
        self.d.response_headers = headers
            .iter()
            .map(|(k, v)| (k.to_vec(), v.to_vec()))
            .collect();
        if self.interruption.is_none() {
            self.run_phase(3);
        }
        self.interruption.as_ref()
    }

    /// Whether the response body will be inspected: `SecResponseBodyAccess` (or its `ctl`)
    /// and a Content-Type listed in `SecResponseBodyMimeType`. Call after phase 3.
    pub fn wants_response_body(&self) -> bool {
        if !self.ctl.response_body_access || self.ctl.mode == EngineMode::Off {
            return false;
        }
        let ct = vars::header(&self.d.response_headers, b"content-type").unwrap_or(b"");
        let mime = match memchr::memchr(b';', ct) {
            Some(i) => &ct[..i],
            None => ct,
        }
        .trim_ascii()
        .to_ascii_lowercase();
        self.engine
            .config()
            .response_body_mime_types
            .iter()
            .any(|m| m.as_bytes() == mime.as_slice())
    }

    /// The most response body bytes the engine inspects.
    pub fn response_body_limit(&self) -> u64 {
        self.ctl.response_body_limit
    }

    /// Processes the (buffered prefix of the) response body and runs phase 4.
    pub fn process_response_body(
        &mut self,
        body: &[u8],
        total_len: Option<u64>,
    ) -> Option<&Interruption> {
        if self.interruption.is_none() {
            if self.wants_response_body() {
                let total = total_len
                    .unwrap_or(body.len() as u64)
                    .max(body.len() as u64);
                let limit = self.ctl.response_body_limit;
                let mut body = body;
                if total > limit {
                    self.d.outbound_data_error = true;
                    match self.engine.config().response_body_limit_action {
                        LimitAction::Reject if self.ctl.mode == EngineMode::On => {
                            self.interruption = Some(Interruption {
                                rule_id: 0,
                                phase: 4,
                                action: InterruptAction::Deny { status: 500 },
                                message: "Response body is larger than the configured limit".into(),
                            });
                            return self.interruption.as_ref();
                        }
                        _ => {
                            body = &body
                                [..body.len().min(usize::try_from(limit).unwrap_or(usize::MAX))]
                        }
                    }
                }
                self.d.response_body = body.to_vec();
                self.d.response_body_seen = true;
            }
            self.run_phase(4);
        }
        self.interruption.as_ref()
    }

    /// Runs phase 5 (always, also after an interruption).
    pub fn process_logging(&mut self) {
        self.run_phase(5);
    }

    /// Tells the engine how long the transaction has taken so far (`DURATION`).
    pub fn set_duration_micros(&mut self, micros: u64) {
        self.d.duration_micros = micros;
    }

    /// The interruption, if any rule interrupted the transaction.
    pub fn interruption(&self) -> Option<&Interruption> {
        self.interruption.as_ref()
    }

    /// Every logged rule match so far, in order.
    pub fn matches(&self) -> &[RuleMatch] {
        &self.matches
    }

    /// Matches not kept because of the per-rule or per-transaction caps.
    pub fn dropped_matches(&self) -> usize {
        self.dropped_matches
    }

    /// The value of `TX:name` (name case-insensitive).
    pub fn tx_var(&self, name: &str) -> Option<&[u8]> {
        self.c
            .tx
            .get(name.to_ascii_lowercase().as_bytes())
            .map(Vec::as_slice)
    }

    /// The engine mode in force (after `ctl:ruleEngine`).
    pub fn mode(&self) -> EngineMode {
        self.ctl.mode
    }

    /// The client address.
    pub fn connection(&self) -> &ConnectionInfo {
        &self.d.conn
    }

    /// The request URI as received (`REQUEST_URI_RAW`).
    pub fn uri_raw(&self) -> &[u8] {
        &self.d.uri_raw
    }

    /// The request's host name (from `Host`).
    pub fn server_name(&self) -> &[u8] {
        &self.d.server_name
    }

    /// `REQBODY_ERROR_MSG`, when the body processor failed.
    pub fn request_body_error(&self) -> Option<&str> {
        self.d
            .reqbody_error
            .then_some(self.d.reqbody_error_msg.as_str())
    }

    fn phase_allowed(&self, phase: u8) -> bool {
        match self.ctl.allow {
            None => true,
            Some((AllowScope::All, _)) => phase == 5,
            Some((AllowScope::Request, _)) => phase > 2,
            Some((AllowScope::Phase, p)) => phase != p,
        }
    }

    fn run_phase(&mut self, phase: u8) {
        if phase <= self.phase_done {
            return;
        }
        self.phase_done = self.phase_done.max(phase);
        if self.ctl.mode == EngineMode::Off || !self.phase_allowed(phase) {
            return;
        }
        self.scratch.cache.clear();
        let engine = Arc::clone(&self.engine);
        let items = engine.phase(phase);
        let mut i = 0;
        while i < items.len() {
            let Item::Rule(rule) = &items[i] else {
                i += 1;
                continue;
            };
            if self.is_removed(rule) {
                i += 1;
                continue;
            }
            let matched = self.eval_chain(rule, phase);
            i += 1;
            if self.interruption.is_some() || !self.phase_allowed(phase) {
                break;
            }
            if !matched {
                continue;
            }
            if let Some(marker) = &rule.skip_after {
                i = engine.marker_after(phase, marker, i).unwrap_or(items.len());
            } else if rule.skip > 0 {
                let mut left = rule.skip;
                while left > 0 && i < items.len() {
                    if matches!(items[i], Item::Rule(_)) {
                        left -= 1;
                    }
                    i += 1;
                }
            }
        }
    }

    fn is_removed(&self, rule: &Rule) -> bool {
        self.ctl.removed.iter().any(|s| s.selects(rule))
    }

    /// Evaluates a chain; true when every link matched.
    fn eval_chain(&mut self, starter: &Rule, phase: u8) -> bool {
        self.c.matched_vars.clear();
        let mut excl: Vec<Exclusion> = Vec::new();
        for (sel, e) in &self.ctl.removed_targets {
            if sel.selects(starter) {
                excl.push(e.clone());
            }
        }
        let mut link = starter;
        let mut hits = Vec::new();
        loop {
            hits.clear();
            eval_link(
                &self.d,
                &self.c,
                &mut self.scratch,
                link,
                starter,
                phase,
                &excl,
                &mut hits,
            );
            if hits.is_empty() {
                return false;
            }
            let last = link.chain.is_none();
            let mut logged = 0usize;
            for hit in hits.drain(..) {
                self.record_hit(&hit, link);
                self.run_effects(link, starter, phase);
                if last {
                    self.conclude(starter, phase, &hit, &mut logged);
                    if self.interruption.is_some() {
                        return true;
                    }
                }
            }
            match &link.chain {
                Some(next) => link = next,
                None => return true,
            }
        }
    }

    fn record_hit(&mut self, hit: &Hit, link: &Rule) {
        if let Some(caps) = &hit.captures {
            for (i, v) in caps.iter().enumerate() {
                self.c.tx.insert(i.to_string().into_bytes(), v.clone());
            }
            for i in caps.len()..Captures::MAX {
                self.c.tx.remove(i.to_string().as_bytes());
            }
        }
        let _ = link;
        self.c.matched_var.clone_from(&hit.value);
        self.c.matched_var_name.clone_from(&hit.name);
        self.c
            .matched_vars
            .push((hit.name.clone(), hit.value.clone()));
    }

    /// Logs a complete chain match and performs the starter's disruptive action.
    fn conclude(&mut self, starter: &Rule, phase: u8, hit: &Hit, logged: &mut usize) {
        if let Some(sev) = starter.meta.severity {
            let n = sev.number();
            if self.c.highest_severity.is_none_or(|h| n < h) {
                self.c.highest_severity = Some(n);
            }
        }
        let disruptive = !matches!(starter.disruptive, Disruptive::Pass);
        let enforce = self.ctl.mode == EngineMode::On && disruptive;
        let mut action = None;
        if enforce {
            action = Some(match &starter.disruptive {
                Disruptive::Deny => InterruptAction::Deny {
                    status: starter.status.unwrap_or(403),
                },
                Disruptive::Drop => InterruptAction::Drop,
                Disruptive::Redirect(m) => InterruptAction::Redirect {
                    status: starter
                        .status
                        .filter(|s| matches!(s, 301 | 302 | 303 | 307 | 308))
                        .unwrap_or(302),
                    location: String::from_utf8_lossy(&self.expand(m, starter, phase)).into_owned(),
                },
                Disruptive::Allow(scope) => {
                    self.ctl.allow = Some((*scope, phase));
                    InterruptAction::Allow
                }
                Disruptive::Pass => InterruptAction::Allow,
            });
        }
        if starter.log
            || action
                .as_ref()
                .is_some_and(|a| !matches!(a, InterruptAction::Allow))
        {
            if *logged >= MAX_MATCHES_PER_RULE || self.matches.len() >= MAX_MATCHES {
                self.dropped_matches += 1;
            } else {
                *logged += 1;
                let m = self.rule_match(starter, phase, hit, action.clone());
                self.matches.push(m);
            }
        }
        if let Some(a) = action
            && !matches!(a, InterruptAction::Allow)
        {
            let message = starter
                .meta
                .msg
                .as_ref()
                .map(|m| String::from_utf8_lossy(&self.expand(m, starter, phase)).into_owned())
                .unwrap_or_default();
            self.interruption = Some(Interruption {
                rule_id: starter.id,
                phase,
                action: a,
                message,
            });
        }
    }

    fn rule_match(
        &self,
        starter: &Rule,
        phase: u8,
        hit: &Hit,
        action: Option<InterruptAction>,
    ) -> RuleMatch {
        let meta = &starter.meta;
        let text = |m: &Option<MacroString>| {
            m.as_ref()
                .map(|m| String::from_utf8_lossy(&self.expand(m, starter, phase)).into_owned())
                .unwrap_or_default()
        };
        let mut value = hit.value.clone();
        value.truncate(MAX_MATCHED_VALUE);
        RuleMatch {
            id: starter.id,
            phase,
            file: Arc::clone(&meta.file),
            line: meta.line,
            message: text(&meta.msg),
            data: text(&meta.logdata),
            severity: meta.severity,
            tags: meta.tags.clone(),
            ver: meta.ver.clone(),
            rev: meta.rev.clone(),
            matched_var_name: String::from_utf8_lossy(&hit.name).into_owned(),
            matched_value: value,
            operator_message: hit.op_message.clone(),
            action,
            enforced: self.ctl.mode == EngineMode::On,
        }
    }

    /// Expands a macro string against the current state.
    fn expand(&self, m: &MacroString, starter: &Rule, phase: u8) -> Vec<u8> {
        let mut out = Vec::new();
        let ctx = RuleCtx {
            id: starter.id,
            meta: &starter.meta,
            phase,
        };
        for part in &m.0 {
            match part {
                MacroPart::Literal(s) => out.extend_from_slice(s.as_bytes()),
                MacroPart::Var { collection, key } => {
                    resolve(
                        &self.d,
                        &self.c,
                        Some(ctx),
                        *collection,
                        key.as_deref(),
                        &mut out,
                    );
                }
            }
        }
        out
    }

    fn run_effects(&mut self, link: &Rule, starter: &Rule, phase: u8) {
        for e in &link.effects {
            match e {
                Effect::SetVar(s) => {
                    let name = self.expand(&s.name, starter, phase).to_ascii_lowercase();
                    let value = if matches!(s.op, SetVarOp::Delete) {
                        Vec::new()
                    } else {
                        self.expand(&s.value, starter, phase)
                    };
                    self.set_var(s.collection, name, s.op, value);
                }
                Effect::SetEnv(n, v) => {
                    let name = self.expand(n, starter, phase);
                    let value = self.expand(v, starter, phase);
                    self.c.env.insert(name, value);
                }
                Effect::InitCol => {}
                Effect::RemoveTargets(sel, excl) => {
                    for x in excl {
                        self.ctl.removed_targets.push((sel.clone(), x.clone()));
                    }
                }
                Effect::Ctl(c) => self.apply_ctl(c),
            }
        }
    }

    fn set_var(&mut self, collection: VariableName, name: Vec<u8>, op: SetVarOp, value: Vec<u8>) {
        let map = match collection {
            VariableName::Tx => &mut self.c.tx,
            VariableName::Env => &mut self.c.env,
            other => {
                let key = (other as u16, name);
                let cur = self.c.persistent.get(&key).map(|v| atoi(v)).unwrap_or(0);
                match op {
                    SetVarOp::Set => {
                        self.c.persistent.insert(key, value);
                    }
                    SetVarOp::Add => {
                        self.c.persistent.insert(
                            key,
                            (cur.saturating_add(atoi(&value))).to_string().into_bytes(),
                        );
                    }
                    SetVarOp::Sub => {
                        self.c.persistent.insert(
                            key,
                            (cur.saturating_sub(atoi(&value))).to_string().into_bytes(),
                        );
                    }
                    SetVarOp::Delete => {
                        self.c.persistent.remove(&key);
                    }
                }
                return;
            }
        };
        match op {
            SetVarOp::Set => {
                map.insert(name, value);
            }
            SetVarOp::Add | SetVarOp::Sub => {
                let cur = map.get(&name).map_or(0, |v| atoi(v));
                let delta = atoi(&value);
                let new = if op == SetVarOp::Add {
                    cur.saturating_add(delta)
                } else {
                    cur.saturating_sub(delta)
                };
                map.insert(name, new.to_string().into_bytes());
            }
            SetVarOp::Delete => {
                map.remove(&name);
            }
        }
    }

    fn apply_ctl(&mut self, c: &Ctl) {
        let ctl = &mut self.ctl;
        match c {
            Ctl::RuleEngine(m) => ctl.mode = *m,
            Ctl::RuleRemoveById(ids) => ctl.removed.push(RuleSel::Ids(ids.clone())),
            Ctl::RuleRemoveByTag(t) => ctl.removed.push(RuleSel::Tag(t.clone())),
            Ctl::RuleRemoveByMsg(m) => ctl.removed.push(RuleSel::Msg(m.clone())),
            Ctl::RequestBodyProcessor(p) => {
                ctl.processor = Some(*p);
                self.d.processor = Some(processor_name(*p));
            }
            Ctl::RequestBodyAccess(b) => ctl.request_body_access = *b,
            Ctl::RequestBodyLimit(n) => ctl.request_body_limit = *n,
            Ctl::ForceRequestBodyVariable(b) => ctl.force_request_body_variable = *b,
            Ctl::ResponseBodyAccess(b) => ctl.response_body_access = *b,
            Ctl::ResponseBodyLimit(n) => ctl.response_body_limit = *n,
            // Compiled into Effect::RemoveTargets.
            Ctl::RuleRemoveTargetById(..)
            | Ctl::RuleRemoveTargetByTag(..)
            | Ctl::RuleRemoveTargetByMsg(..) => {}
            // The gateway's own event records replace ModSecurity's audit and debug logs.
            Ctl::AuditEngine(_)
            | Ctl::AuditLogParts(_)
            | Ctl::DebugLogLevel(_)
            | Ctl::Unsupported(..) => {}
        }
    }
}

/// Evaluates one link over its targets; appends a [`Hit`] per matching value.
#[allow(clippy::too_many_arguments)]
fn eval_link(
    d: &Data,
    c: &Collections,
    scratch: &mut Scratch,
    link: &Rule,
    starter: &Rule,
    phase: u8,
    excl: &[Exclusion],
    hits: &mut Vec<Hit>,
) {
    let ctx = RuleCtx {
        id: starter.id,
        meta: &starter.meta,
        phase,
    };
    if link.unconditional {
        hits.push(Hit {
            name: Vec::new(),
            value: Vec::new(),
            captures: None,
            op_message: String::new(),
        });
        return;
    }
    // Expand a macro argument once per link.
    let dynamic = link.op.template().is_some();
    if let Some(t) = link.op.template() {
        let mut arg = std::mem::take(&mut scratch.arg);
        t.expand(&mut arg, |coll, key, out| {
            if let Some(e) = VariableName::lookup(coll) {
                resolve(d, c, Some(ctx), e.value, key, out);
            }
        });
        scratch.arg = arg;
    }
    let Scratch {
        pipeline,
        step,
        step2,
        cache,
        captures,
        arg,
        vals: spare,
    } = scratch;
    captures.set_wanted(link.capture && !link.op_negated);
    let arg_override = dynamic.then_some(arg.as_slice());
    let want_message =
        link.chain.is_none() && (starter.log || !matches!(starter.disruptive, Disruptive::Pass));
    let mut vals: Vec<Val<'_>> = recycle(std::mem::take(spare));
    for t in &link.targets {
        vals.clear();
        vars::collect(d, c, Some(ctx), t, &mut vals);
        for v in vals.drain(..) {
            if !v.key.is_empty() || t.count {
                let excluded = !t.count
                    && (link.exclusions.iter().any(|x| x.excludes(v.var, &v.key))
                        || excl.iter().any(|x| x.excludes(v.var, &v.key)));
                if excluded {
                    continue;
                }
            } else if link
                .exclusions
                .iter()
                .chain(excl.iter())
                .any(|x| x.var == v.var && matches!(x.sel, Sel::All))
            {
                continue;
            }
            if link.multi_match && !link.transforms.is_empty() {
                multi_match(
                    link,
                    &v,
                    &link.transforms,
                    step,
                    step2,
                    captures,
                    arg_override,
                    want_message,
                    hits,
                );
                continue;
            }
            let input: &[u8] = if link.transforms.is_empty() {
                &v.value
            } else if let Some(slot) = v.slot {
                cache.get_or_run((slot, link.chain_id), pipeline, &v.value, &link.transforms)
            } else {
                pipeline.run(&v.value, &link.transforms)
            };
            let matched = link.op.eval(input, arg_override, captures) != link.op_negated;
            if matched {
                hits.push(hit(link, &v, input, captures, arg_override, want_message));
            }
        }
    }
    *spare = recycle(vals);
}

#[allow(clippy::too_many_arguments)]
fn multi_match(
    link: &Rule,
    v: &Val<'_>,
    transforms: &[TransformFn],
    a: &mut Vec<u8>,
    b: &mut Vec<u8>,
    captures: &mut Captures,
    arg: Option<&[u8]>,
    want_message: bool,
    hits: &mut Vec<Hit>,
) {
    // The operator runs on the original value and after every transformation that
    // changed it.
    if link.op.eval(&v.value, arg, captures) != link.op_negated {
        hits.push(hit(link, v, &v.value, captures, arg, want_message));
    }
    a.clear();
    a.extend_from_slice(&v.value);
    for f in transforms {
        if f(a, b) {
            std::mem::swap(a, b);
            if link.op.eval(a, arg, captures) != link.op_negated {
                hits.push(hit(link, v, a, captures, arg, want_message));
            }
        }
    }
}

fn hit(
    link: &Rule,
    v: &Val<'_>,
    input: &[u8],
    captures: &Captures,
    arg: Option<&[u8]>,
    want_message: bool,
) -> Hit {
    let name = v.full_name();
    let caps = (captures.wanted() && link.op.def().name != "detectXSS")
        .then(|| captures.iter().map(<[u8]>::to_vec).collect::<Vec<_>>())
        .filter(|c: &Vec<Vec<u8>>| !c.is_empty());
    // Only the last link's hit of a rule that may log is ever written out.
    let op_message = if want_message {
        operator_message(link, &name, input, captures, arg)
    } else {
        String::new()
    };
    Hit {
        name,
        value: input.to_vec(),
        captures: caps,
        op_message,
    }
}

/// The ModSecurity-style description of an operator match (`Pattern match "..." at ARGS:x.`).
fn operator_message(
    link: &Rule,
    name: &[u8],
    input: &[u8],
    captures: &Captures,
    arg: Option<&[u8]>,
) -> String {
    let name = String::from_utf8_lossy(name);
    let arg = arg
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .unwrap_or_else(|| link.op_arg.to_string());
    let arg = truncate(&arg, 252);
    let neg = if link.op_negated { "!" } else { "" };
    match link.op.def().name {
        "rx" => format!("Pattern match {neg}\"{arg}\" at {name}."),
        "pm" | "pmFromFile" | "pmf" => {
            let phrase = captures
                .get(0)
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .unwrap_or_default();
            format!("Matched phrase \"{phrase}\" at {name}.")
        }
        "detectSQLi" => {
            let fp = captures
                .get(0)
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .unwrap_or_default();
            format!("detected SQLi using libinjection with fingerprint '{fp}' at {name}.")
        }
        "detectXSS" => format!("detected XSS using libinjection at {name}."),
        "unconditionalMatch" => format!("Unconditional match in SecAction at {name}."),
        op => {
            let _ = input;
            format!("Operator {neg}@{op} matched \"{arg}\" at {name}.")
        }
    }
}

fn truncate(s: &str, max: usize) -> Cow<'_, str> {
    if s.len() <= max {
        return Cow::Borrowed(s);
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(format!("{}...", &s[..end]))
}

/// Appends the value of a macro `%{collection.key}`.
fn resolve(
    d: &Data,
    c: &Collections,
    rule: Option<RuleCtx<'_>>,
    collection: VariableName,
    key: Option<&str>,
    out: &mut Vec<u8>,
) {
    let sel = match key {
        Some(k) => Sel::Key(k.to_ascii_lowercase().into_bytes().into()),
        None => Sel::All,
    };
    let t = Target {
        var: collection,
        sel,
        count: false,
    };
    let mut vals = Vec::new();
    vars::collect(d, c, rule, &t, &mut vals);
    if let Some(v) = vals.first() {
        out.extend_from_slice(&v.value);
    }
}

fn processor_name(p: BodyProcessor) -> &'static str {
    match p {
        BodyProcessor::UrlEncoded => "URLENCODED",
        BodyProcessor::Multipart => "MULTIPART",
        BodyProcessor::Xml => "XML",
        BodyProcessor::Json => "JSON",
    }
}

fn starts_with_ci(s: &[u8], prefix: &[u8]) -> bool {
    s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// The origin-form part of a request target (`/p?q` from `http://h/p?q`).
fn strip_authority(uri: &[u8]) -> &[u8] {
    if uri.starts_with(b"/") {
        return uri;
    }
    if let Some(i) = memchr::memmem::find(uri, b"://") {
        let rest = &uri[i + 3..];
        return match memchr::memchr(b'/', rest) {
            Some(j) => &rest[j..],
            None => b"",
        };
    }
    uri
}

/// Splits `input` on `sep` into decoded arguments, at most `limit`; reports invalid `%`.
fn parse_args(input: &[u8], sep: u8, limit: usize, post: bool) -> (Vec<Arg>, bool) {
    let mut out = Vec::new();
    let mut bad = false;
    for piece in input.split(|&b| b == sep) {
        if piece.is_empty() {
            continue;
        }
        if out.len() >= limit {
            break;
        }
        let (n, v) = match memchr::memchr(b'=', piece) {
            Some(i) => (&piece[..i], &piece[i + 1..]),
            None => (piece, &b""[..]),
        };
        let (name, bn) = palisade_body::urlencoded::decode(n);
        let (value, bv) = palisade_body::urlencoded::decode(v);
        bad |= bn + bv > 0;
        out.push(Arg { name, value, post });
    }
    (out, bad)
}

/// Version 0 cookies: `a=b; c=d`.
fn parse_cookies(value: &[u8], out: &mut Vec<(Vec<u8>, Vec<u8>)>) {
    for piece in value.split(|&b| b == b';') {
        let piece = piece.trim_ascii_start();
        if piece.is_empty() {
            continue;
        }
        let (n, v) = match memchr::memchr(b'=', piece) {
            Some(i) => (&piece[..i], &piece[i + 1..]),
            None => (piece, &b""[..]),
        };
        out.push((n.to_vec(), v.to_vec()));
    }
}

/// C `atoi`: optional whitespace and sign, then digits; 0 when there are none.
fn atoi(v: &[u8]) -> i64 {
    let s = v.trim_ascii_start();
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut n: i64 = 0;
    for &ch in digits {
        if !ch.is_ascii_digit() {
            break;
        }
        n = n.saturating_mul(10).saturating_add(i64::from(ch - b'0'));
    }
    if neg { -n } else { n }
}

fn base64_decode(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    if crate::transformations::lookup("base64Decode").is_some_and(|d| (d.func)(s, &mut out)) {
        Some(out)
    } else {
        None
    }
}

/// Decodes `%XX` escapes (not `+`); an invalid escape is kept as it is.
fn percent_decode(input: &[u8]) -> Vec<u8> {
    fn hex(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if b == b'%'
            && let (Some(h), Some(l)) = (
                input.get(i + 1).copied().and_then(hex),
                input.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(h << 4 | l);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atoi_is_c_like() {
        assert_eq!(atoi(b"42abc"), 42);
        assert_eq!(atoi(b"  -7"), -7);
        assert_eq!(atoi(b"x"), 0);
        assert_eq!(atoi(b""), 0);
    }

    #[test]
    fn filename_escapes_are_decoded_but_plus_and_bad_escapes_kept() {
        assert_eq!(percent_decode(b"/a%20%28b+c"), b"/a (b+c");
        assert_eq!(percent_decode(b"/%zz%4"), b"/%zz%4");
        assert_eq!(percent_decode(b"%41%2f"), b"A/");
    }

    #[test]
    fn authority_is_stripped() {
        assert_eq!(strip_authority(b"http://h:80/a?b"), b"/a?b");
        assert_eq!(strip_authority(b"/x"), b"/x");
        assert_eq!(strip_authority(b"*"), b"*");
    }

    #[test]
    fn cookies_split_on_semicolons() {
        let mut v = Vec::new();
        parse_cookies(b"a=1; b=2;c", &mut v);
        assert_eq!(
            v,
            vec![
                (b"a".to_vec(), b"1".to_vec()),
                (b"b".to_vec(), b"2".to_vec()),
                (b"c".to_vec(), b"".to_vec())
            ]
        );
    }
}
