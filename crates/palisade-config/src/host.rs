//! Host names and host patterns.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

use crate::model::HostPattern;

/// Longest host name accepted (RFC 1035 limit on the presentation form).
pub const MAX_HOST_LEN: usize = 253;

/// Longest DNS label accepted.
pub const MAX_LABEL_LEN: usize = 63;

impl HostPattern {
    /// Parse a pattern as written in a site's `hosts`: `*`, `*.example.com` or an exact name.
    ///
    /// Names are ASCII-lower-cased; a `:port` suffix and one trailing dot are stripped. IP
    /// literals are accepted as exact names (IPv6 in brackets: `[::1]`). Non-ASCII names are
    /// rejected (write the `xn--` form), as are empty labels, labels over 63 characters,
    /// characters outside `a-z 0-9 -` and labels starting or ending with `-`.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text == "*" {
            return Ok(HostPattern::Any);
        }
        let host = strip_port(text).map_err(|e| format!("host pattern `{text}`: {e}"))?;
        if let Some(rest) = host.strip_prefix("*.") {
            let name =
                normalize_dns_name(rest).map_err(|e| format!("host pattern `{text}`: {e}"))?;
            if is_ip_literal(&name) {
                return Err(format!(
                    "host pattern `{text}`: a wildcard cannot stand before an IP address"
                ));
            }
            return Ok(HostPattern::Wildcard(format!(".{name}")));
        }
        if host.contains('*') {
            return Err(format!(
                "host pattern `{text}`: `*` is allowed only as the whole pattern or as the first label (`*.example.com`)"
            ));
        }
        if let Some(inner) = host.strip_prefix('[') {
            let inner = inner
                .strip_suffix(']')
                .ok_or_else(|| format!("host pattern `{text}`: unclosed `[`"))?;
            let ip: Ipv6Addr = inner
                .parse()
                .map_err(|_| format!("host pattern `{text}`: `{inner}` is not an IPv6 address"))?;
            return Ok(HostPattern::Exact(format!("[{ip}]")));
        }
        let name = normalize_dns_name(host).map_err(|e| format!("host pattern `{text}`: {e}"))?;
        Ok(HostPattern::Exact(name))
    }

    /// Does a request's host (a `Host` header or SNI name, port allowed) match this pattern?
    ///
    /// Comparison is ASCII case-insensitive; a port and one trailing dot are ignored.
    pub fn matches(&self, host: &str) -> bool {
        let host = match self {
            HostPattern::Any => return true,
            _ => match strip_port(host) {
                Ok(h) => h,
                Err(_) => return false,
            },
        };
        let host = host.strip_suffix('.').unwrap_or(host);
        match self {
            HostPattern::Any => true,
            HostPattern::Exact(name) => host.eq_ignore_ascii_case(name),
            HostPattern::Wildcard(suffix) => {
                host.len() > suffix.len()
                    && host.is_char_boundary(host.len() - suffix.len())
                    && host[host.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
            }
        }
    }

    /// How specific the pattern is, for routing: exact beats wildcard (longer suffix first),
    /// which beats `*`.
    pub fn specificity(&self) -> (u8, usize) {
        match self {
            HostPattern::Exact(n) => (2, n.len()),
            HostPattern::Wildcard(s) => (1, s.len()),
            HostPattern::Any => (0, 0),
        }
    }
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostPattern::Exact(n) => f.write_str(n),
            HostPattern::Wildcard(s) => write!(f, "*{s}"),
            HostPattern::Any => f.write_str("*"),
        }
    }
}

/// Strip a `:port` suffix (and keep `[v6]` brackets). Errors on a bad port.
fn strip_port(text: &str) -> Result<&str, String> {
    if text.starts_with('[') {
        return match text.find(']') {
            Some(end) => {
                let rest = &text[end + 1..];
                if rest.is_empty() {
                    Ok(text)
                } else if let Some(port) = rest.strip_prefix(':') {
                    check_port(port)?;
                    Ok(&text[..=end])
                } else {
                    Err("unexpected text after `]`".to_owned())
                }
            }
            None => Err("unclosed `[`".to_owned()),
        };
    }
    match text.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => {
            check_port(port)?;
            Ok(host)
        }
        Some(_) => Err("IPv6 addresses must be written in brackets (`[::1]`)".to_owned()),
        None => Ok(text),
    }
}

fn check_port(port: &str) -> Result<u16, String> {
    match port.parse::<u16>() {
        Ok(p) if p != 0 && port.bytes().all(|b| b.is_ascii_digit()) => Ok(p),
        _ => Err(format!("`{port}` is not a port (1-65535)")),
    }
}

fn is_ip_literal(name: &str) -> bool {
    name.parse::<IpAddr>().is_ok()
}

/// Check a DNS name (or dotted IPv4 literal) and return it lower-cased without a trailing dot.
pub(crate) fn normalize_dns_name(text: &str) -> Result<String, String> {
    if !text.is_ascii() {
        return Err(
            "non-ASCII host names are not accepted; write the punycode form (`xn--...`)".to_owned(),
        );
    }
    let name = text.strip_suffix('.').unwrap_or(text);
    if name.is_empty() {
        return Err("empty host name".to_owned());
    }
    if name.len() > MAX_HOST_LEN {
        return Err(format!("host name longer than {MAX_HOST_LEN} characters"));
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Err("empty label (`..` or a leading dot)".to_owned());
        }
        if label.len() > MAX_LABEL_LEN {
            return Err(format!("label longer than {MAX_LABEL_LEN} characters"));
        }
        if let Some(bad) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            return Err(format!(
                "character `{}` is not allowed in a host name (only a-z, 0-9, `-` and `.`)",
                show_char(bad)
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!("label `{label}` starts or ends with `-`"));
        }
    }
    Ok(name.to_ascii_lowercase())
}

/// A character as shown in an error: itself when printable, escaped when not.
pub(crate) fn show_char(c: char) -> String {
    if c.is_control() || c.is_whitespace() && c != ' ' {
        c.escape_default().to_string()
    } else {
        c.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> HostPattern {
        HostPattern::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn parses_the_three_forms() {
        assert_eq!(p("*"), HostPattern::Any);
        assert_eq!(
            p("shop.example.com"),
            HostPattern::Exact("shop.example.com".into())
        );
        assert_eq!(
            p("*.example.com"),
            HostPattern::Wildcard(".example.com".into())
        );
    }

    #[test]
    fn lower_cases_and_strips_port_and_dot() {
        assert_eq!(
            p("Shop.EXAMPLE.com"),
            HostPattern::Exact("shop.example.com".into())
        );
        assert_eq!(
            p("shop.example.com:8443"),
            HostPattern::Exact("shop.example.com".into())
        );
        assert_eq!(
            p("shop.example.com."),
            HostPattern::Exact("shop.example.com".into())
        );
        assert_eq!(
            p("*.Example.COM:443"),
            HostPattern::Wildcard(".example.com".into())
        );
        assert_eq!(p("localhost"), HostPattern::Exact("localhost".into()));
    }

    #[test]
    fn accepts_ip_literals() {
        assert_eq!(p("127.0.0.1"), HostPattern::Exact("127.0.0.1".into()));
        assert_eq!(p("127.0.0.1:8080"), HostPattern::Exact("127.0.0.1".into()));
        assert_eq!(p("[::1]"), HostPattern::Exact("[::1]".into()));
        assert_eq!(p("[0:0::1]:8080"), HostPattern::Exact("[::1]".into()));
    }

    #[test]
    fn rejects_bad_patterns() {
        let bad = [
            "",
            "bücher.example",
            "shop_1.example.com",
            "shop example.com",
            "a..b",
            ".example.com",
            "*.",
            "**.example.com",
            "shop.*.com",
            "*shop.example.com",
            "-shop.example.com",
            "shop-.example.com",
            "shop.example.com:0",
            "shop.example.com:99999",
            "shop.example.com:",
            "::1",
            "[::1",
            "[zz::1]",
            "[::1]x",
            "*.127.0.0.1",
            "a/b",
        ];
        for s in bad {
            assert!(HostPattern::parse(s).is_err(), "{s:?} accepted");
        }
        let long_label = format!("{}.com", "a".repeat(64));
        assert!(HostPattern::parse(&long_label).is_err());
        let long_name = vec!["abcdefghi"; 26].join(".");
        assert!(long_name.len() > MAX_HOST_LEN);
        assert!(HostPattern::parse(&long_name).is_err());
    }

    #[test]
    fn idn_error_says_what_to_do() {
        let e = HostPattern::parse("bücher.example").unwrap_err();
        assert!(e.contains("punycode"), "{e}");
        assert_eq!(
            p("xn--bcher-kva.example"),
            HostPattern::Exact("xn--bcher-kva.example".into())
        );
    }

    #[test]
    fn exact_matching() {
        let pat = p("shop.example.com");
        assert!(pat.matches("shop.example.com"));
        assert!(pat.matches("SHOP.Example.Com"));
        assert!(pat.matches("shop.example.com:8080"));
        assert!(pat.matches("shop.example.com."));
        assert!(!pat.matches("www.shop.example.com"));
        assert!(!pat.matches("shop.example.co"));
        assert!(!pat.matches("example.com"));
        assert!(!pat.matches(""));
        assert!(!pat.matches("shop.example.com:notaport"));
    }

    #[test]
    fn wildcard_matching() {
        let pat = p("*.example.com");
        assert!(pat.matches("a.example.com"));
        assert!(pat.matches("a.b.example.com"));
        assert!(pat.matches("A.EXAMPLE.COM:443"));
        assert!(!pat.matches("example.com"));
        assert!(!pat.matches(".example.com"));
        assert!(!pat.matches("badexample.com"));
        assert!(!pat.matches("a.example.com.evil"));
    }

    #[test]
    fn any_matches_everything() {
        let pat = p("*");
        for h in ["", "x", "a.b.c:1", "[::1]:80"] {
            assert!(pat.matches(h), "{h}");
        }
    }

    #[test]
    fn ipv6_matching() {
        let pat = p("[::1]");
        assert!(pat.matches("[::1]"));
        assert!(pat.matches("[::1]:8080"));
        assert!(!pat.matches("::1"));
        assert!(!pat.matches("[::2]"));
    }

    #[test]
    fn matching_never_panics_on_odd_input() {
        let pats = [p("*.example.com"), p("x.example.com"), p("[::1]")];
        for h in [
            "é",
            "€.example.com",
            "[",
            "]:",
            ":::",
            "é:80",
            "\u{0}.example.com",
            "[€]",
        ] {
            for pat in &pats {
                let _ = pat.matches(h);
            }
        }
    }

    #[test]
    fn display_round_trips() {
        for s in ["*", "*.example.com", "shop.example.com", "[::1]"] {
            assert_eq!(p(s).to_string(), s);
            assert_eq!(p(&p(s).to_string()), p(s));
        }
    }

    #[test]
    fn specificity_orders_exact_first() {
        assert!(p("a.example.com").specificity() > p("*.example.com").specificity());
        assert!(p("*.a.example.com").specificity() > p("*.example.com").specificity());
        assert!(p("*.example.com").specificity() > p("*").specificity());
    }
}
