//! Host + path → site.
//!
//! Host tiers, most specific first: exact names, then wildcard suffixes from the longest, then
//! `*`. Within a tier the site with the longest matching path prefix wins. When no site of a
//! tier has a matching prefix the next tier is tried, so `*` with `/` is a real catch-all.
//! Prefixes match on segment boundaries: `/api` matches `/api`, `/api/` and `/api/v1`, not
//! `/apiary` (a prefix ending in `/` matches everything below it).

use std::collections::HashMap;

use palisade_config::{HostPattern, Site, TlsPolicyName};

/// The compiled routing table.
#[derive(Debug, Default)]
pub(crate) struct Router {
    exact: HashMap<String, Vec<Entry>>,
    /// (suffix with its leading dot, entries), longest suffix first.
    wildcard: Vec<(String, Vec<Entry>)>,
    any: Vec<Entry>,
}

#[derive(Debug, Clone)]
struct Entry {
    prefix: String,
    site: usize,
    tls_policy: Option<TlsPolicyName>,
}

impl Router {
    /// Builds the table; `sites` indices are what [`Router::route`] returns.
    pub(crate) fn new(sites: &[Site]) -> Self {
        let mut router = Router::default();
        let mut wildcard: HashMap<String, Vec<Entry>> = HashMap::new();
        for (index, site) in sites.iter().enumerate() {
            let entry = Entry {
                prefix: site.path_prefix.clone(),
                site: index,
                tls_policy: site.tls_policy,
            };
            for host in &site.hosts {
                match host {
                    HostPattern::Exact(name) => router
                        .exact
                        .entry(normalize_host(name).unwrap_or_default())
                        .or_default()
                        .push(entry.clone()),
                    HostPattern::Wildcard(suffix) => wildcard
                        .entry(suffix.to_ascii_lowercase())
                        .or_default()
                        .push(entry.clone()),
                    HostPattern::Any => router.any.push(entry.clone()),
                }
            }
        }
        let sort = |entries: &mut Vec<Entry>| {
            // Longest prefix first; equal prefixes keep file order (stable sort).
            entries.sort_by_key(|e| std::cmp::Reverse(e.prefix.len()));
        };
        router.exact.values_mut().for_each(sort);
        sort(&mut router.any);
        let mut wildcard: Vec<(String, Vec<Entry>)> = wildcard.into_iter().collect();
        wildcard.iter_mut().for_each(|(_, e)| sort(e));
        wildcard.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        router.wildcard = wildcard;
        router
    }

    /// The site for a normalized host (see [`normalize_host`]) and a request path.
    pub(crate) fn route(&self, host: &str, path: &str) -> Option<usize> {
        self.tiers(host)
            .find_map(|entries| entries.iter().find(|e| prefix_matches(&e.prefix, path)))
            .map(|e| e.site)
    }

    /// The TLS policy asked for by the sites that own `host` (an SNI name): the strictest of
    /// the most specific host tier that has any site, or `None` when none asks for one.
    pub(crate) fn tls_policy(&self, host: &str) -> Option<TlsPolicyName> {
        self.tiers(host)
            .find(|entries| !entries.is_empty())
            .and_then(|entries| entries.iter().filter_map(|e| e.tls_policy).max())
    }

    fn tiers<'a>(&'a self, host: &'a str) -> impl Iterator<Item = &'a [Entry]> + 'a {
        let exact = self.exact.get(host).map(Vec::as_slice);
        let wildcard = self
            .wildcard
            .iter()
            .filter(move |(suffix, _)| host.len() > suffix.len() && host.ends_with(suffix.as_str()))
            .map(|(_, e)| e.as_slice());
        exact
            .into_iter()
            .chain(wildcard)
            .chain(std::iter::once(self.any.as_slice()))
    }
}

/// Does `path` fall under `prefix`, on a segment boundary?
fn prefix_matches(prefix: &str, path: &str) -> bool {
    if prefix.is_empty() || prefix == "/" {
        return true;
    }
    match path.strip_prefix(prefix) {
        Some(rest) => prefix.ends_with('/') || rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

/// Lower-cases a `Host` header value or SNI name and strips the port and one trailing dot.
/// Returns `None` for values that are not a plausible host (empty, bad port, spaces, ...).
pub(crate) fn normalize_host(raw: &str) -> Option<String> {
    let raw = raw.trim_matches([' ', '\t']);
    if raw.is_empty() {
        return None;
    }
    let host = if raw.starts_with('[') {
        let end = raw.find(']')?;
        let rest = &raw[end + 1..];
        if !(rest.is_empty() || valid_port(rest.strip_prefix(':')?)) {
            return None;
        }
        &raw[..=end]
    } else {
        match raw.rsplit_once(':') {
            Some((host, port)) => {
                if !valid_port(port) {
                    return None;
                }
                host
            }
            None => raw,
        }
    };
    let host = host.strip_suffix('.').unwrap_or(host);
    if host.is_empty()
        || !host.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'[' | b']' | b':')
        })
    {
        return None;
    }
    Some(host.to_ascii_lowercase())
}

/// A port as written in a Host or authority: 1 to 5 digits.
pub(crate) fn valid_port(port: &str) -> bool {
    !port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(name: &str, hosts: &[&str], prefix: &str) -> Site {
        Site {
            name: name.into(),
            hosts: hosts
                .iter()
                .map(|h| match *h {
                    "*" => HostPattern::Any,
                    h if h.starts_with("*.") => HostPattern::Wildcard(h[1..].to_string()),
                    h => HostPattern::Exact(h.to_string()),
                })
                .collect(),
            path_prefix: prefix.into(),
            upstream: 0,
            redirect_https: false,
            hsts: None,
            tls_policy: None,
            preserve_host: true,
            waf: palisade_config::SiteWaf::default(),
        }
    }

    #[test]
    fn routes_by_specificity() {
        let sites = [
            site("any", &["*"], "/"),
            site("wild", &["*.example.com"], "/"),
            site("deep", &["*.shop.example.com"], "/"),
            site("exact", &["shop.example.com"], "/"),
            site("api", &["shop.example.com"], "/api"),
            site("only-admin", &["admin.test"], "/admin"),
        ];
        let router = Router::new(&sites);
        let cases = [
            ("shop.example.com", "/", "exact"),
            ("shop.example.com", "/api", "api"),
            ("shop.example.com", "/api/v1", "api"),
            ("shop.example.com", "/apiary", "exact"),
            ("a.example.com", "/", "wild"),
            ("a.shop.example.com", "/x", "deep"),
            ("example.com", "/", "any"),
            ("other.test", "/", "any"),
            ("admin.test", "/admin/x", "only-admin"),
            // The exact tier has no matching prefix: fall through to `*`.
            ("admin.test", "/public", "any"),
        ];
        for (host, path, want) in cases {
            let got = router.route(host, path).map(|i| sites[i].name.as_str());
            assert_eq!(got, Some(want), "{host}{path}");
        }
    }

    #[test]
    fn no_catch_all_means_no_route() {
        let sites = [site("exact", &["a.test"], "/app/")];
        let router = Router::new(&sites);
        assert_eq!(router.route("b.test", "/app/"), None);
        assert_eq!(router.route("a.test", "/"), None);
        assert_eq!(router.route("a.test", "/app/x"), Some(0));
    }

    #[test]
    fn strictest_policy_of_the_host() {
        let mut strict = site("strict", &["a.test"], "/");
        strict.tls_policy = Some(TlsPolicyName::Tls13_2025);
        let mut loose = site("loose", &["a.test"], "/x");
        loose.tls_policy = Some(TlsPolicyName::Tls12_2021);
        let router = Router::new(&[strict, loose, site("any", &["*"], "/")]);
        assert_eq!(router.tls_policy("a.test"), Some(TlsPolicyName::Tls13_2025));
        assert_eq!(router.tls_policy("b.test"), None);
    }

    #[test]
    fn normalizes_hosts() {
        let cases = [
            ("Example.COM", Some("example.com")),
            ("example.com:8080", Some("example.com")),
            ("example.com.", Some("example.com")),
            ("[::1]:443", Some("[::1]")),
            ("[::1]", Some("[::1]")),
            ("127.0.0.1:80", Some("127.0.0.1")),
            ("", None),
            ("a b", None),
            ("example.com:", None),
            ("example.com:99999x", None),
            ("exa/mple", None),
        ];
        for (raw, want) in cases {
            assert_eq!(normalize_host(raw).as_deref(), want, "{raw:?}");
        }
    }
}
