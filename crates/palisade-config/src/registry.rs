//! The one table of configuration keys.
//!
//! It drives the parser's known-key check (a key not listed here is an error, with the closest
//! listed sibling suggested) and the generated key reference in `docs/CONFIG.md`. Paths are
//! dotted; `[]` marks the elements of an array (`site[].hosts`). Tests check that every
//! [`KeyDefault::Value`] parses to the same configuration as leaving the key out, and that
//! every [`KeyDefault::Required`] key is reported when missing.

/// What happens when a key is left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyDefault {
    /// The key behaves as if written with this TOML value.
    Value(&'static str),
    /// The key must be given.
    Required,
    /// Leaving the key out means what the text says (for example "off").
    Absent(&'static str),
}

/// One configuration key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyDef {
    /// Dotted path; `[]` marks array elements.
    pub path: &'static str,
    /// The TOML type and its form, for people.
    pub ty: &'static str,
    /// What leaving it out means.
    pub default: KeyDefault,
    /// One-line description.
    pub doc: &'static str,
}

use KeyDefault::{Absent, Required, Value};

const fn key(
    path: &'static str,
    ty: &'static str,
    default: KeyDefault,
    doc: &'static str,
) -> KeyDef {
    KeyDef {
        path,
        ty,
        default,
        doc,
    }
}

/// Every key, in documentation order.
pub const KEYS: &[KeyDef] = &[
    key(
        "data_dir",
        "string (path)",
        Value("\"./data\""),
        "Folder for state (generated certificates, databases); relative to the config file's folder.",
    ),
    key(
        "trusted_proxies",
        "array of strings (CIDR or IP)",
        Value("[]"),
        "Peers whose `X-Forwarded-For` / `Forwarded` headers are believed.",
    ),
    key(
        "admin",
        "table",
        Absent("all defaults"),
        "The admin listener (metrics, admin API).",
    ),
    key(
        "admin.listen",
        "string (socket address)",
        Value("\"127.0.0.1:9901\""),
        "Address of the admin listener.",
    ),
    key(
        "listener",
        "array of tables",
        Absent("one `http` listener on 127.0.0.1:8080"),
        "Data-plane listeners.",
    ),
    key(
        "listener[].name",
        "string",
        Required,
        "Unique name, used in logs and metrics.",
    ),
    key(
        "listener[].address",
        "string (socket address)",
        Required,
        "Address to bind, e.g. `0.0.0.0:443` or `[::]:443`.",
    ),
    key(
        "listener[].protocol",
        "string: `http` or `https`",
        Value("\"http\""),
        "Cleartext HTTP or TLS.",
    ),
    key(
        "listener[].tls_policy",
        "string: `TLSv1.2_2021`, `TLSv1.3_2025` or `ism`",
        Value("\"TLSv1.2_2021\""),
        "Default TLS policy (https listeners only); `ism` is an alias of `TLSv1.3_2025`.",
    ),
    key(
        "listener[].http2",
        "boolean",
        Value("true"),
        "Offer HTTP/2 (ALPN on https, prior knowledge on http).",
    ),
    key("tls", "table", Absent("all defaults"), "TLS certificates."),
    key(
        "tls.dev_certificate",
        "boolean",
        Value("true"),
        "Generate a self-signed development certificate when an https listener has no certificate.",
    ),
    key(
        "tls.certificate",
        "array of tables",
        Value("[]"),
        "Certificate chains with their keys; chosen by SNI from each certificate's names.",
    ),
    key(
        "tls.certificate[].cert",
        "string (path)",
        Required,
        "PEM file: leaf certificate first, then intermediates.",
    ),
    key(
        "tls.certificate[].key",
        "string (path)",
        Required,
        "PEM file with the private key (PKCS#8, PKCS#1 or SEC1).",
    ),
    key(
        "limits",
        "table",
        Absent("all defaults"),
        "Downstream limits.",
    ),
    key(
        "limits.max_header_bytes",
        "size (1KiB to 1MiB)",
        Value("\"64KiB\""),
        "Maximum size of the request line plus headers.",
    ),
    key(
        "limits.max_headers",
        "integer (1 to 1000)",
        Value("100"),
        "Maximum number of request headers.",
    ),
    key(
        "limits.max_request_body",
        "size (0 to 64GiB)",
        Value("\"100MiB\""),
        "Largest request body accepted (413 beyond).",
    ),
    key(
        "limits.inspect_body",
        "size (0 to 16MiB, at most max_request_body)",
        Value("\"128KiB\""),
        "How much of a request body is buffered for inspection.",
    ),
    key(
        "limits.max_connections",
        "integer (1 to 1000000)",
        Value("10000"),
        "Maximum concurrent connections per listener.",
    ),
    key(
        "limits.workers",
        "integer (0 to 1024; 0: one per CPU core)",
        Value("0"),
        "Data-plane worker threads, each with its own event loop and upstream connections.",
    ),
    key(
        "limits.header_read_timeout",
        "duration (> 0, at most 1d)",
        Value("\"10s\""),
        "Time allowed to send the request head.",
    ),
    key(
        "limits.keepalive_timeout",
        "duration (> 0, at most 1d)",
        Value("\"75s\""),
        "Idle keep-alive connections are closed after this.",
    ),
    key(
        "limits.h2_max_concurrent_streams",
        "integer (1 to 10000)",
        Value("128"),
        "Maximum concurrent HTTP/2 streams per connection.",
    ),
    key(
        "limits.shutdown_grace",
        "duration (> 0, at most 1d)",
        Value("\"30s\""),
        "How long graceful shutdown waits for requests in flight.",
    ),
    key("reload", "table", Absent("all defaults"), "Hot reload."),
    key(
        "reload.watch",
        "boolean",
        Value("true"),
        "Watch the config and certificate files and reload on change.",
    ),
    key(
        "reload.debounce",
        "duration (> 0, at most 60s)",
        Value("\"250ms\""),
        "Quiet time after the last change before reloading.",
    ),
    key(
        "waf",
        "table",
        Absent("all defaults"),
        "Settings shared by every site's web application firewall.",
    ),
    key(
        "waf.crs_dir",
        "string (path)",
        Absent("`PALISADE_CRS_DIR`, then `<data_dir>/crs`, then `../shared/crs`"),
        "The OWASP CRS checkout (holds `rules/`); relative to the config file's folder.",
    ),
    key(
        "waf.error_log",
        "string (path)",
        Absent("rule matches go to the structured log only"),
        "ModSecurity-style error log, one line per logged rule match; relative to the config file's folder.",
    ),
    key(
        "upstream",
        "array of tables",
        Required,
        "Upstream pools; at least one.",
    ),
    key(
        "upstream[].name",
        "string",
        Required,
        "Unique name, referred to by sites.",
    ),
    key(
        "upstream[].targets",
        "array of URL strings or tables (1 to 1024)",
        Required,
        "Servers: `\"http://host:port\"` or `{ url = \"...\", weight = 2 }`; no path.",
    ),
    key(
        "upstream[].targets[].url",
        "string (`http://` or `https://` URL, no path)",
        Required,
        "The server's URL (table form).",
    ),
    key(
        "upstream[].targets[].weight",
        "integer (1 to 1000)",
        Value("1"),
        "Relative weight for round-robin (table form).",
    ),
    key(
        "upstream[].balance",
        "string: `round_robin` or `least_connections`",
        Value("\"round_robin\""),
        "How a target is chosen.",
    ),
    key(
        "upstream[].protocol",
        "string: `http1` or `http2`",
        Value("\"http1\""),
        "Protocol spoken to the targets.",
    ),
    key(
        "upstream[].retries",
        "integer (0 to 10)",
        Value("1"),
        "Retries after a failed attempt, idempotent requests only.",
    ),
    key(
        "upstream[].max_idle_per_target",
        "integer (0 to 10000)",
        Value("64"),
        "Idle pooled connections kept per target.",
    ),
    key(
        "upstream[].health_check",
        "table",
        Absent("no active health check"),
        "Active HTTP health check; present means on.",
    ),
    key(
        "upstream[].health_check.path",
        "string (starts with `/`)",
        Value("\"/healthz\""),
        "Path requested with GET.",
    ),
    key(
        "upstream[].health_check.interval",
        "duration (> 0, at most 1d)",
        Value("\"5s\""),
        "Time between checks of one target.",
    ),
    key(
        "upstream[].health_check.timeout",
        "duration (> 0, at most interval)",
        Value("\"2s\""),
        "Time allowed for one check.",
    ),
    key(
        "upstream[].health_check.healthy_threshold",
        "integer (1 to 100)",
        Value("2"),
        "Consecutive successes that mark a target healthy.",
    ),
    key(
        "upstream[].health_check.unhealthy_threshold",
        "integer (1 to 100)",
        Value("3"),
        "Consecutive failures that mark a target unhealthy.",
    ),
    key(
        "upstream[].health_check.expect_status",
        "array of status ranges (`\"200-399\"` or `200`)",
        Value("[\"200-399\"]"),
        "Statuses that count as healthy (100 to 599).",
    ),
    key(
        "upstream[].passive",
        "table",
        Absent("all defaults"),
        "Passive ejection after consecutive failures.",
    ),
    key(
        "upstream[].passive.consecutive_failures",
        "integer (0 to 1000)",
        Value("5"),
        "Consecutive connection errors or 5xx that eject a target; 0 disables.",
    ),
    key(
        "upstream[].passive.ejection",
        "duration (> 0, at most 1d)",
        Value("\"30s\""),
        "How long an ejected target sits out.",
    ),
    key(
        "upstream[].timeouts",
        "table",
        Absent("all defaults"),
        "Timeouts towards the pool.",
    ),
    key(
        "upstream[].timeouts.connect",
        "duration (> 0, at most total)",
        Value("\"3s\""),
        "TCP and TLS connect.",
    ),
    key(
        "upstream[].timeouts.read",
        "duration (> 0, at most 1d)",
        Value("\"30s\""),
        "Between bytes while reading the response.",
    ),
    key(
        "upstream[].timeouts.idle",
        "duration (> 0, at most 1d)",
        Value("\"90s\""),
        "Idle pooled connections are closed after this.",
    ),
    key(
        "upstream[].timeouts.total",
        "duration (> 0, at most 1d)",
        Value("\"60s\""),
        "First byte sent to response head received.",
    ),
    key(
        "upstream[].tls",
        "table",
        Absent("all defaults"),
        "TLS towards `https://` targets.",
    ),
    key(
        "upstream[].tls.ca_file",
        "string (path)",
        Absent("built-in roots only"),
        "Extra CA certificates (PEM) trusted besides the built-in roots.",
    ),
    key(
        "upstream[].tls.server_name",
        "string (host name)",
        Absent("the target's host"),
        "Name for SNI and verification.",
    ),
    key(
        "upstream[].tls.dangerous_skip_verify",
        "boolean",
        Value("false"),
        "Skip certificate verification. Never in production.",
    ),
    key("site", "array of tables", Required, "Sites; at least one."),
    key(
        "site[].name",
        "string",
        Required,
        "Unique name, used in logs, metrics and events.",
    ),
    key(
        "site[].hosts",
        "array of host patterns (1 to 1024)",
        Required,
        "`shop.example.com`, `*.example.com` or `*`; case-insensitive, port ignored.",
    ),
    key(
        "site[].path_prefix",
        "string (starts with `/`)",
        Value("\"/\""),
        "Path prefix served; the most specific site wins.",
    ),
    key(
        "site[].upstream",
        "string (an upstream name)",
        Required,
        "The pool that serves this site.",
    ),
    key(
        "site[].redirect_https",
        "boolean",
        Value("false"),
        "Redirect plain-HTTP requests to HTTPS with 308; needs an https listener.",
    ),
    key(
        "site[].preserve_host",
        "boolean",
        Value("true"),
        "Send the client's `Host` upstream instead of the target's.",
    ),
    key(
        "site[].tls_policy",
        "string: `TLSv1.2_2021`, `TLSv1.3_2025` or `ism`",
        Absent("the listener's policy"),
        "TLS policy for this site's names (by SNI).",
    ),
    key(
        "site[].hsts",
        "table",
        Absent("no HSTS header"),
        "Send `Strict-Transport-Security` on HTTPS responses.",
    ),
    key(
        "site[].hsts.max_age",
        "duration (> 0, at most 730d)",
        Value("\"365d\""),
        "`max-age`.",
    ),
    key(
        "site[].hsts.include_subdomains",
        "boolean",
        Value("false"),
        "`includeSubDomains`.",
    ),
    key(
        "site[].hsts.preload",
        "boolean",
        Value("false"),
        "`preload`; needs include_subdomains and max_age of at least 365d.",
    ),
    key(
        "site[].waf",
        "table",
        Absent("block, with the CRS at paranoia level 1"),
        "The site's web application firewall.",
    ),
    key(
        "site[].waf.mode",
        "string: `off`, `detect` or `block`",
        Value("\"block\""),
        "`off`: no inspection; `detect`: inspect and log, never block; `block`: inspect, log and block.",
    ),
    key(
        "site[].waf.crs",
        "boolean",
        Value("true"),
        "Load the OWASP Core Rule Set.",
    ),
    key(
        "site[].waf.paranoia_level",
        "integer (1 to 4)",
        Value("1"),
        "CRS blocking paranoia level.",
    ),
    key(
        "site[].waf.detection_paranoia_level",
        "integer (1 to 4, at least paranoia_level)",
        Absent("the paranoia level"),
        "CRS detection paranoia level: rules above the blocking level log but do not count toward a block.",
    ),
    key(
        "site[].waf.inbound_threshold",
        "integer (1 to 10000)",
        Value("5"),
        "Inbound (request) anomaly score that blocks.",
    ),
    key(
        "site[].waf.outbound_threshold",
        "integer (1 to 10000)",
        Value("4"),
        "Outbound (response) anomaly score that blocks.",
    ),
    key(
        "site[].waf.rules_before",
        "array of strings (paths, at most 256)",
        Value("[]"),
        "SecLang files loaded before `crs-setup.conf` (settings the CRS setup reads); relative to the config file's folder.",
    ),
    key(
        "site[].waf.rules",
        "array of strings (paths, at most 256)",
        Value("[]"),
        "SecLang files loaded after the CRS: custom rules and exclusions; relative to the config file's folder.",
    ),
];

/// Look a key up by its registry path.
pub fn lookup(path: &str) -> Option<&'static KeyDef> {
    KEYS.iter().find(|k| k.path == path)
}

/// The direct children of a table path (`""` for the root, `"site[]"` for a site).
pub fn children(table: &str) -> impl Iterator<Item = &'static KeyDef> + '_ {
    KEYS.iter().filter(move |k| parent_of(k.path) == table)
}

/// The path of the table that holds `path`.
pub fn parent_of(path: &str) -> &str {
    path.rsplit_once('.').map_or("", |(parent, _)| parent)
}

/// The last segment of a path.
pub fn leaf_of(path: &str) -> &str {
    path.rsplit_once('.').map_or(path, |(_, leaf)| leaf)
}

/// Join a table path and a key.
pub(crate) fn join(table: &str, key: &str) -> String {
    if table.is_empty() {
        key.to_owned()
    } else {
        format!("{table}.{key}")
    }
}

/// The registry path as people read it (`site[].hosts` -> `site.hosts`).
pub fn display_path(path: &str) -> String {
    path.replace("[]", "")
}

/// Marker lines around the generated section of `docs/CONFIG.md`.
pub const DOC_BEGIN: &str = "<!-- BEGIN GENERATED: config keys (cargo test -p palisade-config; PALISADE_BLESS=1 rewrites) -->";
/// End marker of the generated section.
pub const DOC_END: &str = "<!-- END GENERATED: config keys -->";

/// The key reference as a Markdown table (the generated section of `docs/CONFIG.md`).
pub fn reference_markdown() -> String {
    let mut out = String::from("| key | type | default | description |\n|---|---|---|---|\n");
    for k in KEYS {
        let default = match k.default {
            Value(v) => format!("`{v}`"),
            Required => "**required**".to_owned(),
            Absent(what) => format!("absent: {what}"),
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            display_path(k.path),
            k.ty.replace('|', "\\|"),
            default.replace('|', "\\|"),
            k.doc.replace('|', "\\|"),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_duplicate_paths() {
        for (i, a) in KEYS.iter().enumerate() {
            for b in &KEYS[i + 1..] {
                assert_ne!(a.path, b.path, "duplicate key in registry");
            }
        }
    }

    #[test]
    fn every_parent_is_listed() {
        for k in KEYS {
            let parent = parent_of(k.path);
            if parent.is_empty() {
                continue;
            }
            let parent = parent.strip_suffix("[]").unwrap_or(parent);
            assert!(lookup(parent).is_some(), "{} has no parent entry", k.path);
        }
    }

    #[test]
    fn children_of_root_and_arrays() {
        let root: Vec<_> = children("").map(|k| k.path).collect();
        assert!(root.contains(&"site") && root.contains(&"data_dir"));
        assert!(!root.contains(&"site[].name"));
        let site: Vec<_> = children("site[]").map(|k| leaf_of(k.path)).collect();
        assert!(site.contains(&"hosts") && site.contains(&"hsts"));
        assert!(!site.contains(&"max_age"));
    }
}
