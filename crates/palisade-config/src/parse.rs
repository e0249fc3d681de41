//! The typed walk over a spanned TOML document: every key checked against the registry, every
//! value converted, every cross-field rule applied, and every error collected.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::ops::{Range, RangeInclusive};
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use ipnet::IpNet;
use sha2::{Digest, Sha256};
use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue};

use crate::defaults as d;
use crate::diag::{Diagnostic, Diagnostics, Source};
use crate::host::normalize_dns_name;
use crate::model::*;
use crate::registry::{self, display_path, join};
use crate::units::{parse_duration, parse_size};

type Val<'i> = Spanned<DeValue<'i>>;

/// Parse and validate a configuration text. See [`crate::parse_str`].
pub(crate) fn parse(source_name: &str, text: &str, base_dir: &Path) -> Result<Config, Diagnostics> {
    let src = Source::new(source_name, text);
    let (doc, errors) = DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        let mut diags = Diagnostics::new();
        for e in errors {
            let span = e.span().unwrap_or(0..0);
            diags.push(src.diag(span, format!("invalid TOML: {}", e.message()), "here"));
        }
        diags.sort();
        return Err(diags);
    }
    let mut p = Parser {
        src,
        base_dir,
        diags: Diagnostics::new(),
        redirects: Vec::new(),
    };
    let root = doc.into_inner();
    let mut config = p.document(&root);
    let mut diags = p.diags;
    if !diags.is_empty() {
        diags.sort();
        return Err(diags);
    }
    config.source = Some(PathBuf::from(source_name));
    config.digest = hex::encode(Sha256::digest(text.as_bytes()));
    Ok(config)
}

/// Why a value did not convert.
enum Bad {
    /// Wrong TOML type.
    Type,
    /// Right type, bad value: message and label.
    Invalid(String, &'static str),
    /// Right type, bad value: message, label and a help line.
    InvalidHelp(String, &'static str, String),
}

fn invalid<T>(msg: impl Into<String>, label: &'static str) -> Result<T, Bad> {
    Err(Bad::Invalid(msg.into(), label))
}

/// The result of reading one key.
enum Got<T> {
    /// The key is not in the table.
    Absent,
    /// The key is there but its value is wrong (already reported).
    Bad,
    /// The converted value and the value's span.
    Ok(T, Range<usize>),
}

impl<T> Got<T> {
    fn or(self, default: T) -> T {
        match self {
            Got::Ok(v, _) => v,
            Got::Absent | Got::Bad => default,
        }
    }

    fn ok(self) -> Option<T> {
        match self {
            Got::Ok(v, _) => Some(v),
            Got::Absent | Got::Bad => None,
        }
    }

    fn spanned(self) -> Option<(T, Range<usize>)> {
        match self {
            Got::Ok(v, s) => Some((v, s)),
            Got::Absent | Got::Bad => None,
        }
    }
}

/// One table being read, with its registry path.
struct Table<'t, 'i> {
    path: String,
    map: &'t DeTable<'i>,
    span: Range<usize>,
}

struct Parser<'s> {
    src: Source<'s>,
    base_dir: &'s Path,
    diags: Diagnostics,
    /// Spans of every `redirect_https = true`, checked against the listeners at the end.
    redirects: Vec<Range<usize>>,
}

/// What a site or upstream name refers to, for cross checks.
struct Named {
    name: String,
    span: Range<usize>,
}

impl<'s> Parser<'s> {
    // ---- reporting -------------------------------------------------------------------------

    fn report(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn error(&mut self, span: Range<usize>, msg: impl Into<String>, label: impl Into<String>) {
        let d = self.src.diag(span, msg, label);
        self.report(d);
    }

    fn note_first(&self, span: &Range<usize>) -> String {
        format!("first defined at {}", self.src.location(span.start))
    }

    // ---- generic readers -------------------------------------------------------------------

    /// Wrap a table, reporting every key the registry does not know.
    fn open<'t, 'i>(
        &mut self,
        path: &str,
        map: &'t DeTable<'i>,
        span: Range<usize>,
    ) -> Table<'t, 'i> {
        for (k, _) in map.iter() {
            let name: &str = k.get_ref();
            if registry::lookup(&join(path, name)).is_some() {
                continue;
            }
            let known: Vec<&str> = registry::children(path)
                .map(|k| registry::leaf_of(k.path))
                .collect();
            let where_ = if path.is_empty() {
                "at the top level".to_owned()
            } else {
                format!("in `{}`", display_path(path))
            };
            let mut diag = self.src.diag(
                k.span(),
                format!("unknown key `{name}` {where_}"),
                "unknown key",
            );
            diag = match closest(name, known.iter().copied()) {
                Some(s) => diag.with_help(format!("did you mean `{s}`?")),
                None => diag.with_note(format!("known keys here: {}", known.join(", "))),
            };
            self.report(diag);
        }
        Table {
            path: path.to_owned(),
            map,
            span,
        }
    }

    fn raw<'t, 'i>(&self, t: &Table<'t, 'i>, key: &str) -> Option<&'t Val<'i>> {
        debug_assert!(
            registry::lookup(&join(&t.path, key)).is_some(),
            "key {key} of {} missing from the registry",
            t.path
        );
        t.map.get(key)
    }

    /// Convert one value, reporting a wrong type or a bad value.
    fn convert<'i, T>(
        &mut self,
        path: &str,
        v: &Val<'i>,
        expect: &str,
        conv: impl FnOnce(&DeValue<'i>) -> Result<T, Bad>,
    ) -> Option<T> {
        match conv(v.get_ref()) {
            Ok(x) => Some(x),
            Err(Bad::Type) => {
                let found = v.get_ref().type_str();
                self.error(
                    v.span(),
                    format!("`{}` must be {expect}, found {found}", display_path(path)),
                    format!("expected {expect}"),
                );
                None
            }
            Err(Bad::Invalid(msg, label)) => {
                self.error(v.span(), format!("`{}`: {msg}", display_path(path)), label);
                None
            }
            Err(Bad::InvalidHelp(msg, label, help)) => {
                let d = self
                    .src
                    .diag(v.span(), format!("`{}`: {msg}", display_path(path)), label)
                    .with_help(help);
                self.report(d);
                None
            }
        }
    }

    fn field<'i, T>(
        &mut self,
        t: &Table<'_, 'i>,
        key: &str,
        expect: &str,
        conv: impl FnOnce(&DeValue<'i>) -> Result<T, Bad>,
    ) -> Got<T> {
        let Some(v) = self.raw(t, key) else {
            return Got::Absent;
        };
        let path = join(&t.path, key);
        match self.convert(&path, v, expect, conv) {
            Some(x) => Got::Ok(x, v.span()),
            None => Got::Bad,
        }
    }

    /// Report a missing required key (when absent) and pass the value on.
    fn need<T>(&mut self, t: &Table<'_, '_>, key: &str, got: Got<T>) -> Option<(T, Range<usize>)> {
        if let Got::Absent = got {
            let table = if t.path.is_empty() {
                "the top level".to_owned()
            } else {
                format!("`{}`", display_path(&t.path))
            };
            self.error(
                t.span.clone(),
                format!("missing required key `{key}` in {table}"),
                format!("add `{key} = ...` to this table"),
            );
        }
        got.spanned()
    }

    fn string<'t>(&mut self, t: &Table<'t, '_>, key: &str) -> Got<String> {
        self.field(t, key, "a string", |v| {
            v.as_str().map(str::to_owned).ok_or(Bad::Type)
        })
    }

    fn boolean(&mut self, t: &Table<'_, '_>, key: &str) -> Got<bool> {
        self.field(t, key, "a boolean (true or false)", |v| {
            v.as_bool().ok_or(Bad::Type)
        })
    }

    fn integer(&mut self, t: &Table<'_, '_>, key: &str, min: u64, max: u64) -> Got<u64> {
        self.field(t, key, "an integer", |v| {
            let n = int_value(v)?;
            if n < i128::from(min) || n > i128::from(max) {
                return invalid(
                    format!("must be between {min} and {max}, found {n}"),
                    "out of range",
                );
            }
            u64::try_from(n).map_err(|_| Bad::Type)
        })
    }

    fn u32_field(&mut self, t: &Table<'_, '_>, key: &str, min: u32, max: u32, default: u32) -> u32 {
        let got = self.integer(t, key, u64::from(min), u64::from(max));
        got.ok()
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(default)
    }

    fn usize_field(
        &mut self,
        t: &Table<'_, '_>,
        key: &str,
        range: (usize, usize),
        default: usize,
    ) -> usize {
        let got = self.integer(t, key, range.0 as u64, range.1 as u64);
        got.ok()
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(default)
    }

    /// A duration, strictly positive and at most `max`.
    fn duration(
        &mut self,
        t: &Table<'_, '_>,
        key: &str,
        max: Duration,
        default: Duration,
    ) -> Duration {
        let got = self.field(t, key, "a duration string like \"5s\"", |v| {
            let s = v.as_str().ok_or(Bad::Type)?;
            let dur = parse_duration(s).map_err(|e| Bad::Invalid(e, "invalid duration"))?;
            if dur.is_zero() {
                return invalid("must be greater than zero", "zero");
            }
            if dur > max {
                return invalid(
                    format!(
                        "must be at most {}, found {s}",
                        crate::units::format_duration(max)
                    ),
                    "too long",
                );
            }
            Ok(dur)
        });
        got.or(default)
    }

    /// A size (string with unit or integer of bytes) within `range`.
    fn size(&mut self, t: &Table<'_, '_>, key: &str, range: (u64, u64), default: u64) -> Got<u64> {
        let got = self.field(t, key, "a size like \"64KiB\" or an integer", |v| {
            let n = match v {
                DeValue::String(s) => parse_size(s).map_err(|e| Bad::Invalid(e, "invalid size"))?,
                DeValue::Integer(_) => {
                    let n = int_value(v)?;
                    u64::try_from(n).map_err(|_| {
                        Bad::Invalid(format!("size must not be negative, found {n}"), "negative")
                    })?
                }
                _ => return Err(Bad::Type),
            };
            if n < range.0 || n > range.1 {
                return invalid(
                    format!(
                        "must be between {} and {}, found {}",
                        crate::units::format_size(range.0),
                        crate::units::format_size(range.1),
                        crate::units::format_size(n)
                    ),
                    "out of range",
                );
            }
            Ok(n)
        });
        match got {
            Got::Absent => Got::Ok(default, t.span.clone()),
            other => other,
        }
    }

    fn path(&mut self, t: &Table<'_, '_>, key: &str) -> Got<PathBuf> {
        let base = self.base_dir;
        self.field(t, key, "a string (a path)", |v| path_value(base, v))
    }

    /// An array of path strings, at most `max` of them, each listed once.
    fn paths(&mut self, t: &Table<'_, '_>, key: &str, max: usize) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let Got::Ok(arr, _) = self.array(t, key, "an array of strings (paths)") else {
            return out;
        };
        let path = join(&t.path, key);
        let base = self.base_dir;
        let mut seen: HashMap<PathBuf, Range<usize>> = HashMap::new();
        for (i, v) in arr.iter().enumerate() {
            if i == max {
                self.error(
                    v.span(),
                    format!("more than {max} files in `{}`", display_path(&path)),
                    "limit reached",
                );
                break;
            }
            let Some(p) = self.convert(&path, v, "a string (a path)", |v| path_value(base, v))
            else {
                continue;
            };
            if let Some(first) = seen.get(&p) {
                let note = self.note_first(first);
                let d = self
                    .src
                    .diag(
                        v.span(),
                        format!("`{}` lists `{}` twice", display_path(&path), p.display()),
                        "already listed",
                    )
                    .with_note(note);
                self.report(d);
                continue;
            }
            seen.insert(p.clone(), v.span());
            out.push(p);
        }
        out
    }

    fn socket_addr(&mut self, t: &Table<'_, '_>, key: &str) -> Got<SocketAddr> {
        self.field(t, key, "a string (IP:port)", |v| {
            let s = v.as_str().ok_or(Bad::Type)?;
            parse_socket_addr(s).map_err(|e| Bad::Invalid(e, "invalid address"))
        })
    }

    fn choice<T: Copy>(&mut self, t: &Table<'_, '_>, key: &str, options: &[(&str, T)]) -> Got<T> {
        let names: Vec<String> = options.iter().map(|(n, _)| format!("`{n}`")).collect();
        let expect = format!("one of {}", names.join(", "));
        self.field(t, key, "a string", |v| {
            let s = v.as_str().ok_or(Bad::Type)?;
            options
                .iter()
                .find(|(n, _)| *n == s)
                .map(|(_, x)| *x)
                .ok_or_else(|| {
                    let msg = format!("`{s}` is not {expect}");
                    match closest(s, options.iter().map(|(n, _)| *n)) {
                        Some(c) => {
                            Bad::InvalidHelp(msg, "unknown value", format!("did you mean `{c}`?"))
                        }
                        None => Bad::Invalid(msg, "unknown value"),
                    }
                })
        })
    }

    fn tls_policy(&mut self, t: &Table<'_, '_>, key: &str) -> Got<TlsPolicyName> {
        self.field(t, key, "a string", |v| {
            let s = v.as_str().ok_or(Bad::Type)?;
            TlsPolicyName::from_name(s).ok_or_else(|| {
                let names: Vec<String> = TlsPolicyName::ALL
                    .iter()
                    .flat_map(|(_, names)| names.iter())
                    .map(|n| format!("`{n}`"))
                    .collect();
                let msg = format!(
                    "unknown TLS policy `{s}`; the policies are exactly {}",
                    names.join(", ")
                );
                let all = TlsPolicyName::ALL
                    .iter()
                    .flat_map(|(_, names)| names.iter().copied());
                match closest(s, all) {
                    Some(c) => {
                        Bad::InvalidHelp(msg, "unknown policy", format!("did you mean `{c}`?"))
                    }
                    None => Bad::Invalid(msg, "unknown policy"),
                }
            })
        })
    }

    fn sub_table<'t, 'i>(&mut self, t: &Table<'t, 'i>, key: &str) -> Option<Table<'t, 'i>> {
        let v = self.raw(t, key)?;
        let path = join(&t.path, key);
        match v.get_ref() {
            DeValue::Table(map) => Some(self.open(&path, map, v.span())),
            other => {
                self.error(
                    v.span(),
                    format!(
                        "`{}` must be a table, found {}",
                        display_path(&path),
                        other.type_str()
                    ),
                    "expected a table",
                );
                None
            }
        }
    }

    fn array<'t, 'i>(
        &mut self,
        t: &Table<'t, 'i>,
        key: &str,
        expect: &str,
    ) -> Got<&'t DeArray<'i>> {
        let Some(v) = self.raw(t, key) else {
            return Got::Absent;
        };
        match v.get_ref() {
            DeValue::Array(a) => Got::Ok(a, v.span()),
            other => {
                self.error(
                    v.span(),
                    format!(
                        "`{}` must be {expect}, found {}",
                        display_path(&join(&t.path, key)),
                        other.type_str()
                    ),
                    format!("expected {expect}"),
                );
                Got::Bad
            }
        }
    }

    /// An array of tables (`[[key]]`), each element opened with path `key[]`.
    fn tables<'t, 'i>(&mut self, t: &Table<'t, 'i>, key: &str) -> Got<Vec<Table<'t, 'i>>> {
        let expect = format!(
            "an array of tables ([[{}]])",
            display_path(&join(&t.path, key))
        );
        let (arr, span) = match self.array(t, key, &expect) {
            Got::Ok(a, s) => (a, s),
            Got::Absent => return Got::Absent,
            Got::Bad => return Got::Bad,
        };
        let elem_path = format!("{}[]", join(&t.path, key));
        let mut out = Vec::new();
        for (i, v) in arr.iter().enumerate() {
            if i == d::MAX_ITEMS {
                self.error(
                    v.span(),
                    format!(
                        "more than {} entries in `{}`",
                        d::MAX_ITEMS,
                        display_path(&elem_path)
                    ),
                    "limit reached",
                );
                break;
            }
            match v.get_ref() {
                DeValue::Table(map) => out.push(self.open(&elem_path, map, v.span())),
                other => self.error(
                    v.span(),
                    format!(
                        "each `{}` entry must be a table, found {}",
                        display_path(&elem_path),
                        other.type_str()
                    ),
                    "expected a table",
                ),
            }
        }
        Got::Ok(out, span)
    }

    fn name(&mut self, t: &Table<'_, '_>) -> Option<Named> {
        let got = self.field(t, "name", "a string", |v| {
            let s = v.as_str().ok_or(Bad::Type)?;
            check_name(s).map_err(|e| Bad::Invalid(e, "invalid name"))?;
            Ok(s.to_owned())
        });
        self.need(t, "name", got)
            .map(|(name, span)| Named { name, span })
    }

    fn check_unique(&mut self, kind: &str, names: &[Option<Named>]) {
        let mut seen: HashMap<&str, &Range<usize>> = HashMap::new();
        let mut dups = Vec::new();
        for n in names.iter().flatten() {
            match seen.get(n.name.as_str()) {
                Some(first) => dups.push((n.name.clone(), n.span.clone(), (*first).clone())),
                None => {
                    seen.insert(&n.name, &n.span);
                }
            }
        }
        for (name, span, first) in dups {
            let note = self.note_first(&first);
            let d = self
                .src
                .diag(
                    span,
                    format!("duplicate {kind} name `{name}`"),
                    "already used",
                )
                .with_note(note);
            self.report(d);
        }
    }

    // ---- the document ----------------------------------------------------------------------

    fn document(&mut self, doc: &DeTable<'_>) -> Config {
        let root = self.open("", doc, 0..0);
        let data_dir = self
            .path(&root, "data_dir")
            .ok()
            .unwrap_or_else(|| resolve_path(self.base_dir, Path::new(d::DATA_DIR)));
        let trusted_proxies = self.trusted_proxies(&root);
        let admin = self.admin(&root);
        let (listeners, listener_spans) = self.listeners(&root);
        let tls = self.tls(&root);
        let limits = self.limits(&root);
        let reload = self.reload(&root);
        let waf = self.waf(&root);

        let (upstreams, upstream_names) = match self.tables(&root, "upstream") {
            Got::Ok(tables, span) => {
                if tables.is_empty() {
                    self.error(
                        span,
                        "`upstream` is empty: a config needs at least one [[upstream]]",
                        "empty",
                    );
                }
                let mut ups = Vec::new();
                let mut names = Vec::new();
                for t in &tables {
                    let (u, n) = self.upstream(t);
                    ups.push(u);
                    names.push(n);
                }
                (ups, names)
            }
            Got::Absent => {
                self.error(
                    0..0,
                    "no upstream defined: a config needs at least one [[upstream]] table",
                    "",
                );
                (Vec::new(), Vec::new())
            }
            Got::Bad => (Vec::new(), Vec::new()),
        };
        self.check_unique("upstream", &upstream_names);

        let mut sites = Vec::new();
        let mut site_names = Vec::new();
        let mut routes: HashMap<(String, String), (String, Range<usize>)> = HashMap::new();
        match self.tables(&root, "site") {
            Got::Ok(tables, span) => {
                if tables.is_empty() {
                    self.error(
                        span,
                        "`site` is empty: a config needs at least one [[site]]",
                        "empty",
                    );
                }
                for t in &tables {
                    let (s, n) = self.site(t, &upstream_names, &mut routes);
                    sites.push(s);
                    site_names.push(n);
                }
            }
            Got::Absent => {
                self.error(
                    0..0,
                    "no site defined: a config needs at least one [[site]] table",
                    "",
                );
            }
            Got::Bad => {}
        }
        self.check_unique("site", &site_names);

        // Cross checks that need the whole document.
        let has_https = listeners
            .iter()
            .any(|l| matches!(l.protocol, ListenerProtocol::Https { .. }));
        if has_https && tls.certificates.is_empty() && !tls.dev_certificate {
            let span = listener_spans
                .iter()
                .zip(&listeners)
                .find(|(_, l)| matches!(l.protocol, ListenerProtocol::Https { .. }))
                .map_or(0..0, |(s, _)| s.clone());
            self.report(
                self.src
                    .diag(
                        span,
                        "an https listener needs a certificate, but none is configured",
                        "https listener",
                    )
                    .with_help("add a [[tls.certificate]] or set `tls.dev_certificate = true`"),
            );
        }
        if !has_https {
            for span in std::mem::take(&mut self.redirects) {
                let d = self
                    .src
                    .diag(
                        span,
                        "`site.redirect_https` is on, but no listener speaks https",
                        "redirect to https",
                    )
                    .with_help("add a [[listener]] with `protocol = \"https\"`");
                self.report(d);
            }
        }
        self.check_addresses(&listeners, &listener_spans, &admin);

        Config {
            source: None,
            digest: String::new(),
            data_dir,
            listeners,
            admin: admin.0,
            tls,
            trusted_proxies,
            limits,
            reload,
            upstreams,
            sites,
            waf,
        }
    }

    fn trusted_proxies(&mut self, root: &Table<'_, '_>) -> Vec<IpNet> {
        let mut out = Vec::new();
        if let Got::Ok(arr, _) = self.array(root, "trusted_proxies", "an array of strings") {
            for v in arr.iter() {
                if let Some(net) = self.convert("trusted_proxies", v, "a string (CIDR)", |v| {
                    let s = v.as_str().ok_or(Bad::Type)?;
                    parse_cidr(s).map_err(|e| Bad::Invalid(e, "invalid CIDR"))
                }) {
                    out.push(net);
                }
            }
        }
        out
    }

    fn admin(&mut self, root: &Table<'_, '_>) -> (Admin, Range<usize>) {
        let default = parse_socket_addr(d::ADMIN_LISTEN).ok();
        let fallback = (
            Admin {
                address: default.unwrap_or(SocketAddr::from(([127, 0, 0, 1], 9901))),
            },
            0..0,
        );
        let Some(t) = self.sub_table(root, "admin") else {
            return fallback;
        };
        match self.socket_addr(&t, "listen") {
            Got::Ok(address, span) => (Admin { address }, span),
            Got::Absent | Got::Bad => fallback,
        }
    }

    fn listeners(&mut self, root: &Table<'_, '_>) -> (Vec<Listener>, Vec<Range<usize>>) {
        let tables = match self.tables(root, "listener") {
            Got::Ok(t, span) => {
                if t.is_empty() {
                    self.error(span, "`listener` is empty; remove it for the default listener or add a [[listener]]", "empty");
                }
                t
            }
            Got::Absent => {
                let address = parse_socket_addr(d::DEFAULT_LISTEN)
                    .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 8080)));
                return (
                    vec![Listener {
                        name: d::DEFAULT_LISTENER_NAME.to_owned(),
                        address,
                        protocol: ListenerProtocol::Http,
                        http2: true,
                    }],
                    std::iter::once(0..0).collect(),
                );
            }
            Got::Bad => return (Vec::new(), Vec::new()),
        };
        let mut out = Vec::new();
        let mut spans = Vec::new();
        let mut names = Vec::new();
        for t in &tables {
            let name = self.name(t);
            let address = self.socket_addr(t, "address");
            let address = self.need(t, "address", address);
            #[derive(Clone, Copy)]
            enum Proto {
                Http,
                Https,
            }
            let proto = self
                .choice(
                    t,
                    "protocol",
                    &[("http", Proto::Http), ("https", Proto::Https)],
                )
                .or(Proto::Http);
            let policy = self.tls_policy(t, "tls_policy");
            let protocol = match proto {
                Proto::Http => {
                    if let Got::Ok(_, span) = policy {
                        self.error(
                            span,
                            "`tls_policy` applies only to https listeners",
                            "on an http listener",
                        )
                    }
                    ListenerProtocol::Http
                }
                Proto::Https => ListenerProtocol::Https {
                    policy: policy.or(TlsPolicyName::Tls12_2021),
                },
            };
            let http2 = self.boolean(t, "http2").or(true);
            let (address, span) =
                address.unwrap_or((SocketAddr::from(([0, 0, 0, 0], 0)), t.span.clone()));
            out.push(Listener {
                name: name.as_ref().map(|n| n.name.clone()).unwrap_or_default(),
                address,
                protocol,
                http2,
            });
            spans.push(span);
            names.push(name);
        }
        self.check_unique("listener", &names);
        (out, spans)
    }

    fn check_addresses(
        &mut self,
        listeners: &[Listener],
        spans: &[Range<usize>],
        admin: &(Admin, Range<usize>),
    ) {
        let mut seen: HashMap<SocketAddr, Range<usize>> = HashMap::new();
        for (l, span) in listeners.iter().zip(spans) {
            if l.address.port() == 0 {
                continue;
            }
            if let Some(first) = seen.get(&l.address) {
                let note = self.note_first(first);
                self.report(
                    self.src
                        .diag(
                            span.clone(),
                            format!("listener address {} is used twice", l.address),
                            "already used",
                        )
                        .with_note(note),
                );
            } else {
                seen.insert(l.address, span.clone());
            }
        }
        let (admin, admin_span) = admin;
        if admin.address.port() != 0
            && let Some(first) = seen.get(&admin.address)
        {
            let note = format!(
                "the listener's address is at {}",
                self.src.location(first.start)
            );
            let d = self
                .src
                .diag(
                    admin_span.clone(),
                    format!("admin address {} is also a listener address", admin.address),
                    "conflicts with a listener",
                )
                .with_note(note);
            self.report(d);
        }
    }

    fn tls(&mut self, root: &Table<'_, '_>) -> Tls {
        let mut tls = Tls {
            certificates: Vec::new(),
            dev_certificate: true,
        };
        let Some(t) = self.sub_table(root, "tls") else {
            return tls;
        };
        tls.dev_certificate = self.boolean(&t, "dev_certificate").or(true);
        if let Got::Ok(certs, _) = self.tables(&t, "certificate") {
            for c in &certs {
                let cert = self.path(c, "cert");
                let cert = self.need(c, "cert", cert);
                let key = self.path(c, "key");
                let key = self.need(c, "key", key);
                if let (Some((cert_file, _)), Some((key_file, _))) = (cert, key) {
                    tls.certificates.push(CertificateSource {
                        cert_file,
                        key_file,
                    });
                }
            }
        }
        tls
    }

    fn limits(&mut self, root: &Table<'_, '_>) -> Limits {
        let mut l = Limits {
            max_header_bytes: d::MAX_HEADER_BYTES,
            max_headers: d::MAX_HEADERS,
            max_request_body_bytes: d::MAX_REQUEST_BODY,
            inspect_body_bytes: d::INSPECT_BODY,
            max_connections: d::MAX_CONNECTIONS,
            workers: d::WORKERS,
            header_read_timeout: d::HEADER_READ_TIMEOUT,
            keepalive_timeout: d::KEEPALIVE_TIMEOUT,
            h2_max_concurrent_streams: d::H2_MAX_CONCURRENT_STREAMS,
            shutdown_grace: d::SHUTDOWN_GRACE,
        };
        let Some(t) = self.sub_table(root, "limits") else {
            return l;
        };
        let r = d::MAX_HEADER_BYTES_RANGE;
        l.max_header_bytes = self
            .size(
                &t,
                "max_header_bytes",
                (r.0 as u64, r.1 as u64),
                d::MAX_HEADER_BYTES as u64,
            )
            .ok()
            .map_or(d::MAX_HEADER_BYTES, |n| n as usize);
        l.max_headers = self.usize_field(&t, "max_headers", d::MAX_HEADERS_RANGE, d::MAX_HEADERS);
        let body = self.size(
            &t,
            "max_request_body",
            d::MAX_REQUEST_BODY_RANGE,
            d::MAX_REQUEST_BODY,
        );
        l.max_request_body_bytes = body.ok().unwrap_or(d::MAX_REQUEST_BODY);
        let r = d::INSPECT_BODY_RANGE;
        let inspect = self.size(
            &t,
            "inspect_body",
            (r.0 as u64, r.1 as u64),
            d::INSPECT_BODY as u64,
        );
        if let Got::Ok(n, span) = inspect {
            l.inspect_body_bytes = n as usize;
            if n > l.max_request_body_bytes {
                self.error(
                    span,
                    format!(
                        "`limits.inspect_body` ({}) is larger than `limits.max_request_body` ({})",
                        crate::units::format_size(n),
                        crate::units::format_size(l.max_request_body_bytes)
                    ),
                    "must not exceed max_request_body",
                );
            }
        }
        l.max_connections = self.usize_field(
            &t,
            "max_connections",
            d::MAX_CONNECTIONS_RANGE,
            d::MAX_CONNECTIONS,
        );
        l.workers = self.usize_field(&t, "workers", d::WORKERS_RANGE, d::WORKERS);
        l.header_read_timeout = self.duration(
            &t,
            "header_read_timeout",
            d::MAX_TIMEOUT,
            d::HEADER_READ_TIMEOUT,
        );
        l.keepalive_timeout = self.duration(
            &t,
            "keepalive_timeout",
            d::MAX_TIMEOUT,
            d::KEEPALIVE_TIMEOUT,
        );
        let r = d::H2_MAX_CONCURRENT_STREAMS_RANGE;
        l.h2_max_concurrent_streams = self.u32_field(
            &t,
            "h2_max_concurrent_streams",
            r.0,
            r.1,
            d::H2_MAX_CONCURRENT_STREAMS,
        );
        l.shutdown_grace = self.duration(&t, "shutdown_grace", d::MAX_TIMEOUT, d::SHUTDOWN_GRACE);
        l
    }

    fn reload(&mut self, root: &Table<'_, '_>) -> Reload {
        let mut r = Reload {
            watch: true,
            debounce: d::RELOAD_DEBOUNCE,
        };
        if let Some(t) = self.sub_table(root, "reload") {
            r.watch = self.boolean(&t, "watch").or(true);
            r.debounce = self.duration(&t, "debounce", d::MAX_DEBOUNCE, d::RELOAD_DEBOUNCE);
        }
        r
    }

    fn waf(&mut self, root: &Table<'_, '_>) -> WafGlobal {
        let Some(t) = self.sub_table(root, "waf") else {
            return WafGlobal::default();
        };
        WafGlobal {
            crs_dir: self.path(&t, "crs_dir").ok(),
            error_log: self.path(&t, "error_log").ok(),
        }
    }

    fn upstream(&mut self, t: &Table<'_, '_>) -> (Upstream, Option<Named>) {
        let name = self.name(t);
        let targets = self.targets(t);
        let balance = self
            .choice(
                t,
                "balance",
                &[
                    ("round_robin", Balance::RoundRobin),
                    ("least_connections", Balance::LeastConnections),
                ],
            )
            .or(Balance::RoundRobin);
        let protocol = self
            .choice(
                t,
                "protocol",
                &[
                    ("http1", UpstreamProtocol::Http1),
                    ("http2", UpstreamProtocol::Http2),
                ],
            )
            .or(UpstreamProtocol::Http1);
        let retries = self.u32_field(t, "retries", 0, d::MAX_RETRIES, d::RETRIES);
        let max_idle_per_target = self.usize_field(
            t,
            "max_idle_per_target",
            (0, d::MAX_MAX_IDLE_PER_TARGET),
            d::MAX_IDLE_PER_TARGET,
        );
        let health_check = self
            .sub_table(t, "health_check")
            .map(|h| self.health_check(&h));
        let mut passive = PassiveHealth {
            consecutive_failures: d::PASSIVE_CONSECUTIVE_FAILURES,
            ejection: d::PASSIVE_EJECTION,
        };
        if let Some(p) = self.sub_table(t, "passive") {
            passive.consecutive_failures = self.u32_field(
                &p,
                "consecutive_failures",
                0,
                d::MAX_PASSIVE_CONSECUTIVE_FAILURES,
                d::PASSIVE_CONSECUTIVE_FAILURES,
            );
            passive.ejection = self.duration(&p, "ejection", d::MAX_TIMEOUT, d::PASSIVE_EJECTION);
        }
        let mut timeouts = UpstreamTimeouts {
            connect: d::CONNECT_TIMEOUT,
            read: d::READ_TIMEOUT,
            idle: d::IDLE_TIMEOUT,
            total: d::TOTAL_TIMEOUT,
        };
        if let Some(to) = self.sub_table(t, "timeouts") {
            timeouts.connect = self.duration(&to, "connect", d::MAX_TIMEOUT, d::CONNECT_TIMEOUT);
            timeouts.read = self.duration(&to, "read", d::MAX_TIMEOUT, d::READ_TIMEOUT);
            timeouts.idle = self.duration(&to, "idle", d::MAX_TIMEOUT, d::IDLE_TIMEOUT);
            timeouts.total = self.duration(&to, "total", d::MAX_TIMEOUT, d::TOTAL_TIMEOUT);
            if timeouts.connect > timeouts.total {
                let span = to.map.get("connect").map_or(to.span.clone(), |v| v.span());
                self.error(
                    span,
                    format!(
                        "`upstream.timeouts.connect` ({}) is longer than `upstream.timeouts.total` ({})",
                        crate::units::format_duration(timeouts.connect),
                        crate::units::format_duration(timeouts.total)
                    ),
                    "must not exceed total",
                );
            }
        }
        let mut tls = UpstreamTls {
            ca_file: None,
            server_name: None,
            dangerous_skip_verify: false,
        };
        if let Some(tt) = self.sub_table(t, "tls") {
            tls.ca_file = self.path(&tt, "ca_file").ok();
            tls.server_name = self
                .field(&tt, "server_name", "a string (host name)", |v| {
                    let s = v.as_str().ok_or(Bad::Type)?;
                    if s.parse::<IpAddr>().is_ok() {
                        return Ok(s.to_owned());
                    }
                    normalize_dns_name(s).map_err(|e| Bad::Invalid(e, "invalid server name"))
                })
                .ok();
            tls.dangerous_skip_verify = self.boolean(&tt, "dangerous_skip_verify").or(false);
        }
        let upstream = Upstream {
            name: name.as_ref().map(|n| n.name.clone()).unwrap_or_default(),
            targets,
            balance,
            protocol,
            health_check,
            passive,
            timeouts,
            retries,
            max_idle_per_target,
            tls,
        };
        (upstream, name)
    }

    fn targets(&mut self, t: &Table<'_, '_>) -> Vec<Target> {
        let arr = self.array(t, "targets", "an array of URLs or { url, weight } tables");
        let Some((arr, span)) = self.need(t, "targets", arr) else {
            return Vec::new();
        };
        if arr.is_empty() {
            self.error(
                span,
                "`upstream.targets` is empty: an upstream needs at least one target",
                "empty",
            );
        }
        let mut out: Vec<Target> = Vec::new();
        let mut seen: HashMap<(bool, String, u16), Range<usize>> = HashMap::new();
        for (i, v) in arr.iter().enumerate() {
            if i == d::MAX_TARGETS {
                self.error(
                    v.span(),
                    format!("more than {} targets in one upstream", d::MAX_TARGETS),
                    "limit reached",
                );
                break;
            }
            let (url, weight) = match v.get_ref() {
                DeValue::String(_) => (
                    self.convert("upstream[].targets", v, "a string", |v| {
                        let s = v.as_str().ok_or(Bad::Type)?;
                        parse_target_url(s).map_err(|e| Bad::Invalid(e, "invalid target URL"))
                    }),
                    d::TARGET_WEIGHT,
                ),
                DeValue::Table(map) => {
                    let tt = self.open("upstream[].targets[]", map, v.span());
                    let url = self.field(&tt, "url", "a string", |v| {
                        let s = v.as_str().ok_or(Bad::Type)?;
                        parse_target_url(s).map_err(|e| Bad::Invalid(e, "invalid target URL"))
                    });
                    let url = self.need(&tt, "url", url).map(|(u, _)| u);
                    let weight =
                        self.u32_field(&tt, "weight", 1, d::MAX_TARGET_WEIGHT, d::TARGET_WEIGHT);
                    (url, weight)
                }
                other => {
                    self.error(
                        v.span(),
                        format!("each `upstream.targets` entry must be a URL string or a {{ url = ... }} table, found {}", other.type_str()),
                        "expected a string or table",
                    );
                    (None, 1)
                }
            };
            let Some((scheme, host, port)) = url else {
                continue;
            };
            let k = (scheme == Scheme::Https, host.clone(), port);
            if let Some(first) = seen.get(&k) {
                let note = self.note_first(first);
                self.report(
                    self.src
                        .diag(
                            v.span(),
                            "duplicate target in this upstream",
                            "already listed",
                        )
                        .with_note(note),
                );
                continue;
            }
            seen.insert(k, v.span());
            out.push(Target {
                scheme,
                host,
                port,
                weight,
            });
        }
        out
    }

    fn health_check(&mut self, h: &Table<'_, '_>) -> HealthCheck {
        let path = self
            .field(h, "path", "a string", |v| {
                let s = v.as_str().ok_or(Bad::Type)?;
                check_url_path(s).map_err(|e| Bad::Invalid(e, "invalid path"))?;
                Ok(s.to_owned())
            })
            .or(d::HEALTH_PATH.to_owned());
        let interval = self.duration(h, "interval", d::MAX_TIMEOUT, d::HEALTH_INTERVAL);
        let timeout = self.duration(h, "timeout", d::MAX_TIMEOUT, d::HEALTH_TIMEOUT);
        if timeout > interval {
            let span = h.map.get("timeout").map_or(h.span.clone(), |v| v.span());
            self.error(
                span,
                format!(
                    "`upstream.health_check.timeout` ({}) is longer than its `interval` ({})",
                    crate::units::format_duration(timeout),
                    crate::units::format_duration(interval)
                ),
                "must not exceed interval",
            );
        }
        let healthy_threshold = self.u32_field(
            h,
            "healthy_threshold",
            1,
            d::MAX_THRESHOLD,
            d::HEALTHY_THRESHOLD,
        );
        let unhealthy_threshold = self.u32_field(
            h,
            "unhealthy_threshold",
            1,
            d::MAX_THRESHOLD,
            d::UNHEALTHY_THRESHOLD,
        );
        let mut expect_status = Vec::new();
        match self.array(h, "expect_status", "an array of status ranges") {
            Got::Ok(arr, span) => {
                if arr.is_empty() {
                    self.error(span, "`upstream.health_check.expect_status` is empty: no answer could count as healthy", "empty");
                }
                for v in arr.iter() {
                    if let Some(r) = self.convert(
                        "upstream[].health_check.expect_status",
                        v,
                        "a status range (\"200-399\" or 200)",
                        status_range,
                    ) {
                        expect_status.push(r);
                    }
                }
            }
            Got::Absent => expect_status.push(200..=399),
            Got::Bad => {}
        }
        HealthCheck {
            path,
            interval,
            timeout,
            healthy_threshold,
            unhealthy_threshold,
            expect_status,
        }
    }

    fn site(
        &mut self,
        t: &Table<'_, '_>,
        upstreams: &[Option<Named>],
        routes: &mut HashMap<(String, String), (String, Range<usize>)>,
    ) -> (Site, Option<Named>) {
        let name = self.name(t);
        let site_name = name.as_ref().map(|n| n.name.clone()).unwrap_or_default();
        let path_prefix_got = self.field(t, "path_prefix", "a string", |v| {
            let s = v.as_str().ok_or(Bad::Type)?;
            check_url_path(s).map_err(|e| Bad::Invalid(e, "invalid path prefix"))?;
            Ok(s.to_owned())
        });
        let prefix_ok = !matches!(path_prefix_got, Got::Bad);
        let path_prefix = path_prefix_got.or("/".to_owned());

        let mut hosts = Vec::new();
        let arr = self.array(t, "hosts", "an array of host patterns");
        if let Some((arr, span)) = self.need(t, "hosts", arr) {
            if arr.is_empty() {
                self.error(
                    span,
                    "`site.hosts` is empty: a site needs at least one host pattern (`*` for any)",
                    "empty",
                );
            }
            for (i, v) in arr.iter().enumerate() {
                if i == d::MAX_HOSTS_PER_SITE {
                    self.error(
                        v.span(),
                        format!("more than {} hosts in one site", d::MAX_HOSTS_PER_SITE),
                        "limit reached",
                    );
                    break;
                }
                let Some(pattern) =
                    self.convert("site[].hosts", v, "a string (host pattern)", |v| {
                        let s = v.as_str().ok_or(Bad::Type)?;
                        HostPattern::parse(s).map_err(|e| Bad::Invalid(e, "invalid host pattern"))
                    })
                else {
                    continue;
                };
                if prefix_ok {
                    let key = (pattern.to_string(), path_prefix.clone());
                    if let Some((other, first)) = routes.get(&key) {
                        let note = self.note_first(first);
                        let d = self
                            .src
                            .diag(
                                v.span(),
                                format!(
                                    "host `{}` with path prefix `{}` is already served by site `{other}`",
                                    key.0, key.1
                                ),
                                "duplicate route",
                            )
                            .with_note(note);
                        self.report(d);
                    } else {
                        routes.insert(key, (site_name.clone(), v.span()));
                    }
                }
                hosts.push(pattern);
            }
        }

        let up = self.string(t, "upstream");
        let upstream = match self.need(t, "upstream", up) {
            Some((wanted, span)) => {
                match upstreams
                    .iter()
                    .position(|n| n.as_ref().is_some_and(|n| n.name == wanted))
                {
                    Some(i) => i,
                    // A pool whose own name is broken was reported already; do not pile a
                    // second error on each site that may name it.
                    None if upstreams.iter().any(Option::is_none) => 0,
                    None => {
                        let known: Vec<&str> = upstreams
                            .iter()
                            .flatten()
                            .map(|n| n.name.as_str())
                            .collect();
                        let mut diag = self.src.diag(
                            span,
                            format!("site `{site_name}` names unknown upstream `{wanted}`"),
                            "no upstream with this name",
                        );
                        diag = match closest(&wanted, known.iter().copied()) {
                            Some(s) => diag.with_help(format!("did you mean `{s}`?")),
                            None if known.is_empty() => diag,
                            None => {
                                diag.with_note(format!("defined upstreams: {}", known.join(", ")))
                            }
                        };
                        self.report(diag);
                        0
                    }
                }
            }
            None => 0,
        };
        let redirect_https = match self.boolean(t, "redirect_https") {
            Got::Ok(on, span) => {
                if on {
                    self.redirects.push(span);
                }
                on
            }
            Got::Absent | Got::Bad => false,
        };
        let preserve_host = self.boolean(t, "preserve_host").or(true);
        let tls_policy = self.tls_policy(t, "tls_policy").ok();
        let hsts = self.sub_table(t, "hsts").map(|h| self.hsts(&h));
        let waf = match self.sub_table(t, "waf") {
            Some(w) => self.site_waf(&w),
            None => SiteWaf::default(),
        };
        let site = Site {
            name: site_name,
            hosts,
            path_prefix,
            upstream,
            redirect_https,
            hsts,
            tls_policy,
            preserve_host,
            waf,
        };
        (site, name)
    }

    fn site_waf(&mut self, w: &Table<'_, '_>) -> SiteWaf {
        let default = SiteWaf::default();
        let mode = self
            .choice(
                w,
                "mode",
                &[
                    ("off", WafMode::Off),
                    ("detect", WafMode::Detect),
                    ("block", WafMode::Block),
                ],
            )
            .or(default.mode);
        let crs = self.boolean(w, "crs").or(default.crs);
        let paranoia = self.paranoia(w, "paranoia_level");
        let paranoia_span = match &paranoia {
            Got::Ok(_, span) => Some(span.clone()),
            Got::Absent | Got::Bad => None,
        };
        let paranoia_level = paranoia.or(default.paranoia_level);
        let detection_paranoia_level = match self.paranoia(w, "detection_paranoia_level") {
            Got::Ok(level, span) => {
                if let Some(first) = paranoia_span
                    && level < paranoia_level
                {
                    let note = format!(
                        "`paranoia_level` is set at {}",
                        self.src.location(first.start)
                    );
                    let d = self
                        .src
                        .diag(
                            span,
                            format!(
                                "`site.waf.detection_paranoia_level` ({level}) is lower than `site.waf.paranoia_level` ({paranoia_level})"
                            ),
                            "must be at least paranoia_level",
                        )
                        .with_note(note);
                    self.report(d);
                }
                Some(level)
            }
            Got::Absent | Got::Bad => default.detection_paranoia_level,
        };
        let (lo, hi) = d::ANOMALY_THRESHOLD_RANGE;
        let inbound_threshold =
            self.u32_field(w, "inbound_threshold", lo, hi, default.inbound_threshold);
        let outbound_threshold =
            self.u32_field(w, "outbound_threshold", lo, hi, default.outbound_threshold);
        let rules_before = self.paths(w, "rules_before", d::MAX_RULE_FILES);
        let rules = self.paths(w, "rules", d::MAX_RULE_FILES);
        SiteWaf {
            mode,
            crs,
            paranoia_level,
            detection_paranoia_level,
            inbound_threshold,
            outbound_threshold,
            rules_before,
            rules,
        }
    }

    /// A CRS paranoia level.
    fn paranoia(&mut self, t: &Table<'_, '_>, key: &str) -> Got<u8> {
        let (lo, hi) = d::PARANOIA_LEVEL_RANGE;
        match self.integer(t, key, u64::from(lo), u64::from(hi)) {
            Got::Ok(n, span) => match u8::try_from(n) {
                Ok(n) => Got::Ok(n, span),
                // Unreachable: `integer` checked the range.
                Err(_) => Got::Bad,
            },
            Got::Absent => Got::Absent,
            Got::Bad => Got::Bad,
        }
    }

    fn hsts(&mut self, h: &Table<'_, '_>) -> Hsts {
        let max_age = self.duration(h, "max_age", d::MAX_HSTS_AGE, d::HSTS_MAX_AGE);
        let include_subdomains = self.boolean(h, "include_subdomains").or(false);
        let preload = self.boolean(h, "preload");
        if let Got::Ok(true, span) = preload {
            if !include_subdomains || max_age < d::HSTS_PRELOAD_MIN_AGE {
                self.report(
                    self.src
                        .diag(span.clone(), "HSTS `preload` needs `include_subdomains = true` and `max_age` of at least 365d", "preload")
                        .with_note("the browser preload lists refuse anything less"),
                );
            }
            return Hsts {
                max_age,
                include_subdomains,
                preload: true,
            };
        }
        Hsts {
            max_age,
            include_subdomains,
            preload: false,
        }
    }
}

// ---- value parsers ------------------------------------------------------------------------

fn int_value(v: &DeValue<'_>) -> Result<i128, Bad> {
    let DeValue::Integer(i) = v else {
        return Err(Bad::Type);
    };
    i128::from_str_radix(i.as_str(), i.radix())
        .map_err(|_| Bad::Invalid("integer out of range".to_owned(), "too large"))
}

fn check_name(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("name must not be empty".to_owned());
    }
    if s.chars().count() > d::MAX_NAME_LEN {
        return Err(format!("name longer than {} characters", d::MAX_NAME_LEN));
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        return Err(format!(
            "character `{}` is not allowed in a name (use a-z, A-Z, 0-9, `_`, `-`, `.`)",
            crate::host::show_char(c)
        ));
    }
    Ok(())
}

fn check_url_path(s: &str) -> Result<(), String> {
    if !s.starts_with('/') {
        return Err(format!("`{s}` must start with `/`"));
    }
    if s.len() > d::MAX_PATH_LEN {
        return Err(format!("path longer than {} bytes", d::MAX_PATH_LEN));
    }
    if let Some(c) = s
        .chars()
        .find(|c| c.is_control() || c.is_whitespace() || matches!(c, '?' | '#'))
    {
        return Err(format!(
            "character `{}` is not allowed in a path",
            crate::host::show_char(c)
        ));
    }
    Ok(())
}

/// `IP:port`, IPv6 in brackets. Host names are not resolved.
pub(crate) fn parse_socket_addr(s: &str) -> Result<SocketAddr, String> {
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Ok(a);
    }
    if s.parse::<IpAddr>().is_ok() {
        return Err(format!(
            "`{s}` has no port; write IP:port, e.g. \"0.0.0.0:8080\" or \"[::]:8080\""
        ));
    }
    if let Some((host, _)) = s.rsplit_once(':')
        && host.parse::<IpAddr>().is_err()
        && !host.starts_with('[')
    {
        return Err(format!(
            "`{s}` is not IP:port; host names are not resolved here, write an IP address (e.g. \"127.0.0.1:8080\")"
        ));
    }
    Err(format!(
        "`{s}` is not a socket address; write IP:port, e.g. \"0.0.0.0:8080\" or \"[::]:8080\""
    ))
}

/// A CIDR (`10.0.0.0/8`) or a single IP (`10.1.2.3`, taken as /32 or /128).
pub(crate) fn parse_cidr(s: &str) -> Result<IpNet, String> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok(IpNet::from(ip));
    }
    let net: IpNet = s
        .parse()
        .map_err(|_| format!("`{s}` is not a CIDR (e.g. \"10.0.0.0/8\") or an IP address"))?;
    if net.trunc() != net {
        return Err(format!(
            "`{s}` has host bits set; did you mean \"{}\"?",
            net.trunc()
        ));
    }
    Ok(net)
}

/// `http://host[:port]` or `https://host[:port]`, no path, query, fragment or user info.
pub(crate) fn parse_target_url(s: &str) -> Result<(Scheme, String, u16), String> {
    let lower_prefix = |p: &str| {
        s.len() >= p.len() && s.is_char_boundary(p.len()) && s[..p.len()].eq_ignore_ascii_case(p)
    };
    let (scheme, rest) = if lower_prefix("http://") {
        (Scheme::Http, &s[7..])
    } else if lower_prefix("https://") {
        (Scheme::Https, &s[8..])
    } else {
        return Err(format!("`{s}` must start with http:// or https://"));
    };
    let (authority, tail) = match rest.find(['/', '?', '#']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if !tail.is_empty() && tail != "/" {
        return Err(format!(
            "`{s}` has a path, query or fragment (`{tail}`); a target is scheme://host:port only (route paths with site.path_prefix)"
        ));
    }
    if authority.contains('@') {
        return Err(format!(
            "`{s}` has user info; credentials do not belong in a target URL"
        ));
    }
    let default_port = match scheme {
        Scheme::Http => 80,
        Scheme::Https => 443,
    };
    let (host, port) = if let Some(inner) = authority.strip_prefix('[') {
        let end = inner
            .find(']')
            .ok_or_else(|| format!("`{s}`: unclosed `[` in the host"))?;
        let ip: std::net::Ipv6Addr = inner[..end]
            .parse()
            .map_err(|_| format!("`{s}`: `{}` is not an IPv6 address", &inner[..end]))?;
        let after = &inner[end + 1..];
        let port = match after.strip_prefix(':') {
            Some(p) => parse_port(s, p)?,
            None if after.is_empty() => default_port,
            None => {
                return Err(format!(
                    "`{s}`: unexpected `{after}` after the IPv6 address"
                ));
            }
        };
        (ip.to_string(), port)
    } else {
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h, parse_port(s, p)?),
            None => (authority, default_port),
        };
        if host.is_empty() {
            return Err(format!("`{s}` has no host"));
        }
        if host.contains(':') {
            return Err(format!(
                "`{s}`: IPv6 addresses must be in brackets (`http://[::1]:3000`)"
            ));
        }
        let host = normalize_dns_name(host).map_err(|e| format!("`{s}`: {e}"))?;
        (host, port)
    };
    Ok((scheme, host, port))
}

fn parse_port(url: &str, p: &str) -> Result<u16, String> {
    match p.parse::<u16>() {
        Ok(n) if n != 0 && p.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
        _ => Err(format!("`{url}`: `{p}` is not a port (1-65535)")),
    }
}

fn status_range(v: &DeValue<'_>) -> Result<RangeInclusive<u16>, Bad> {
    let check = |n: i128| -> Result<u16, Bad> {
        if (100..=599).contains(&n) {
            Ok(n as u16)
        } else {
            invalid(format!("status {n} is outside 100-599"), "not a status")
        }
    };
    match v {
        DeValue::Integer(_) => {
            let n = check(int_value(v)?)?;
            Ok(n..=n)
        }
        DeValue::String(s) => {
            let parse = |t: &str| -> Result<u16, Bad> {
                let t = t.trim();
                if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) || t.len() > 3 {
                    return invalid(
                        format!("`{s}` is not a status range (\"200-399\" or \"200\")"),
                        "invalid range",
                    );
                }
                check(t.parse::<i128>().map_err(|_| Bad::Type)?)
            };
            match s.split_once('-') {
                Some((a, b)) => {
                    let (lo, hi) = (parse(a)?, parse(b)?);
                    if lo > hi {
                        return invalid(format!("`{s}`: the range is reversed"), "reversed range");
                    }
                    Ok(lo..=hi)
                }
                None => {
                    let n = parse(s)?;
                    Ok(n..=n)
                }
            }
        }
        _ => Err(Bad::Type),
    }
}

/// A path string, resolved against the config file's folder.
fn path_value(base: &Path, v: &DeValue<'_>) -> Result<PathBuf, Bad> {
    let s = v.as_str().ok_or(Bad::Type)?;
    if s.is_empty() {
        return invalid("path must not be empty", "empty");
    }
    if s.contains('\0') {
        return invalid("path must not contain NUL", "NUL");
    }
    Ok(resolve_path(base, Path::new(s)))
}

/// Join a config-relative path to the base folder and drop `.` components.
pub(crate) fn resolve_path(base: &Path, p: &Path) -> PathBuf {
    let joined = if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    };
    let mut out = PathBuf::new();
    for c in joined.components() {
        if c != Component::CurDir {
            out.push(c.as_os_str());
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// The closest candidate by edit distance, if it is close enough to be a likely typo.
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    const MAX_LEN: usize = 64;
    if word.chars().count() > MAX_LEN {
        return None;
    }
    let limit = (word.chars().count() / 3).max(1);
    let candidates: Vec<&'a str> = candidates.collect();
    let lower = word.to_ascii_lowercase();
    let by_distance = candidates
        .iter()
        .filter(|c| c.chars().count() <= MAX_LEN)
        .map(|c| (levenshtein(&lower, &c.to_ascii_lowercase()), *c))
        .filter(|(dist, _)| *dist <= limit)
        .min_by_key(|(dist, _)| *dist)
        .map(|(_, c)| c);
    if by_distance.is_some() {
        return by_distance;
    }
    // A truncated spelling (`tlsv1.3` for `TLSv1.3_2025`) is a likely slip too.
    if lower.len() >= 3 {
        return candidates
            .into_iter()
            .find(|c| c.to_ascii_lowercase().starts_with(&lower));
    }
    None
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_urls() {
        assert_eq!(
            parse_target_url("http://127.0.0.1:3000"),
            Ok((Scheme::Http, "127.0.0.1".into(), 3000))
        );
        assert_eq!(
            parse_target_url("https://API.internal"),
            Ok((Scheme::Https, "api.internal".into(), 443))
        );
        assert_eq!(
            parse_target_url("http://app/"),
            Ok((Scheme::Http, "app".into(), 80))
        );
        assert_eq!(
            parse_target_url("HTTP://[::1]:8080"),
            Ok((Scheme::Http, "::1".into(), 8080))
        );
        for bad in [
            "127.0.0.1:3000",
            "ftp://x",
            "http://",
            "http://:80",
            "http://x:0",
            "http://x:65536",
            "http://x:abc",
            "http://x/api",
            "http://x?q=1",
            "http://u:p@x",
            "http://::1:80",
            "http://[::1",
            "http://[::1]x",
            "http://bad_host",
            "http://bücher.de",
            "httpé://x",
        ] {
            assert!(parse_target_url(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn cidrs() {
        assert_eq!(
            parse_cidr("10.0.0.0/8").map(|n| n.to_string()),
            Ok("10.0.0.0/8".into())
        );
        assert_eq!(
            parse_cidr("10.1.2.3").map(|n| n.to_string()),
            Ok("10.1.2.3/32".into())
        );
        assert_eq!(
            parse_cidr("::1").map(|n| n.to_string()),
            Ok("::1/128".into())
        );
        assert!(parse_cidr("10.0.0.1/8").unwrap_err().contains("10.0.0.0/8"));
        assert!(parse_cidr("10.0.0.0/33").is_err());
        assert!(parse_cidr("ten").is_err());
    }

    #[test]
    fn socket_addrs() {
        assert!(parse_socket_addr("0.0.0.0:8080").is_ok());
        assert!(parse_socket_addr("[::]:443").is_ok());
        assert!(
            parse_socket_addr("0.0.0.0")
                .unwrap_err()
                .contains("no port")
        );
        assert!(
            parse_socket_addr("localhost:80")
                .unwrap_err()
                .contains("not resolved")
        );
        assert!(parse_socket_addr("1.2.3.4:99999").is_err());
    }

    #[test]
    fn status_ranges() {
        let s = |t: &str| status_range(&DeValue::String(t.to_owned().into())).ok();
        assert_eq!(s("200-399"), Some(200..=399));
        assert_eq!(s("204"), Some(204..=204));
        assert_eq!(s("399-200"), None);
        assert_eq!(s("99-200"), None);
        assert_eq!(s("200-600"), None);
        assert_eq!(s("2xx"), None);
        assert_eq!(s(""), None);
    }

    #[test]
    fn paths_resolve_against_base() {
        let base = Path::new("/etc/palisade");
        assert_eq!(
            resolve_path(base, Path::new("./data")),
            PathBuf::from("/etc/palisade/data")
        );
        assert_eq!(
            resolve_path(base, Path::new("/var/lib/p")),
            PathBuf::from("/var/lib/p")
        );
        assert_eq!(
            resolve_path(Path::new("."), Path::new("./data")),
            PathBuf::from("data")
        );
        assert_eq!(
            resolve_path(Path::new("."), Path::new(".")),
            PathBuf::from(".")
        );
    }

    #[test]
    fn suggestions() {
        let c = ["max_headers", "max_header_bytes", "max_connections"];
        assert_eq!(
            closest("max_header", c.iter().copied()),
            Some("max_headers")
        );
        assert_eq!(closest("zzz", c.iter().copied()), None);
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        let p = ["TLSv1.2_2021", "TLSv1.3_2025", "ism"];
        assert_eq!(closest("tlsv1.3", p.iter().copied()), Some("TLSv1.3_2025"));
        assert_eq!(closest("ISM", p.iter().copied()), Some("ism"));
        assert_eq!(closest("modern", p.iter().copied()), None);
    }

    #[test]
    fn names() {
        assert!(check_name("shop-1.eu_west").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("a b").is_err());
        assert!(check_name(&"a".repeat(65)).is_err());
    }
}
