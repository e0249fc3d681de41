//! Header handling on the way through: hop-by-hop removal, client identity, `X-Forwarded-*`,
//! request ids and W3C trace context.
//!
//! Decisions (also in `docs/RATIONALE.md` terms):
//! - Hop-by-hop headers are removed in both directions: `Connection` and every header it
//!   lists (except `Host` and `Content-Length`, which a client cannot make us drop),
//!   `Keep-Alive`, `Proxy-Connection`, `TE`, `Trailer`, `Transfer-Encoding`, `Upgrade` (kept,
//!   with `Connection: upgrade`, on an upgrade request and its 101 answer),
//!   `Proxy-Authenticate` and `Proxy-Authorization`. Proxy credentials are meant for a proxy,
//!   and this proxy takes none, so they never travel upstream.
//! - The client IP is the peer address, unless the peer is a trusted proxy: then the
//!   right-most `X-Forwarded-For` entry that is not itself trusted (or, without
//!   `X-Forwarded-For`, the same walk over `Forwarded: for=`). An unparsable entry stops the
//!   walk at the last trusted hop.
//! - `X-Forwarded-For` gets the peer appended (an untrusted client's list is kept for the
//!   upstream's information, never believed here). `X-Forwarded-Proto`, `-Host` and `-Port`
//!   are set from this hop, except that a trusted peer's values are kept.
//! - `X-Request-Id`: a client's value is kept only from a trusted peer and only when it is a
//!   token of at most 128 characters from `A-Z a-z 0-9 . _ : -`; otherwise a new 128-bit random
//!   id (32 lower-case hex digits) is made. An id chosen by an anonymous client would let it
//!   forge or collide log correlation.
//! - `traceparent`: a valid one keeps its trace id and flags and gets a new parent (span) id;
//!   `tracestate` is forwarded with it. A missing or invalid one starts a new trace (flags
//!   `00`) and any `tracestate` is dropped, as the W3C Trace Context spec says.

use std::net::IpAddr;

use http::header::{self, HeaderName};
use http::{HeaderMap, HeaderValue};
use ipnet::IpNet;

/// `X-Request-Id`.
pub(crate) static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// `X-Forwarded-For`.
pub(crate) static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
/// `X-Forwarded-Proto`.
pub(crate) static X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
/// `X-Forwarded-Host`.
pub(crate) static X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
/// `X-Forwarded-Port`.
pub(crate) static X_FORWARDED_PORT: HeaderName = HeaderName::from_static("x-forwarded-port");
/// `traceparent`.
pub(crate) static TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
/// `tracestate`.
pub(crate) static TRACESTATE: HeaderName = HeaderName::from_static("tracestate");

/// Longest client-supplied request id kept.
pub(crate) const MAX_REQUEST_ID_LEN: usize = 128;
/// Most `X-Forwarded-For` / `Forwarded` entries walked when looking for the client.
const MAX_FORWARDED_HOPS: usize = 32;

/// Headers that are hop-by-hop whatever `Connection` says.
fn always_hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "upgrade"
    )
}

/// Removes hop-by-hop headers. With `upgrade`, keeps `Upgrade` and sets `Connection: upgrade`.
pub(crate) fn strip_hop_by_hop(headers: &mut HeaderMap, upgrade: bool) {
    // One pass over the names finds what to remove; most messages have nothing (or only
    // `Connection: keep-alive`) to remove, and a lookup per candidate name would cost more.
    if !headers.keys().any(always_hop_by_hop) {
        if upgrade {
            headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        }
        return;
    }
    let listed: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|t| HeaderName::from_bytes(t.trim().as_bytes()).ok())
        .filter(|n| n != header::HOST && n != header::CONTENT_LENGTH)
        .collect();
    for name in listed {
        if !(upgrade && name == header::UPGRADE) {
            headers.remove(&name);
        }
    }
    let present: Vec<HeaderName> = headers
        .keys()
        .filter(|n| always_hop_by_hop(n) && !(upgrade && *n == header::UPGRADE))
        .cloned()
        .collect();
    for name in &present {
        headers.remove(name);
    }
    if upgrade {
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    }
}

/// Is this an HTTP/1.1 upgrade request (`Connection: upgrade` and an `Upgrade` header)?
pub(crate) fn wants_upgrade(headers: &HeaderMap) -> bool {
    headers.contains_key(header::UPGRADE)
        && headers
            .get_all(header::CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
}

/// Is `ip` inside one of the trusted networks?
pub(crate) fn is_trusted(trusted: &[IpNet], ip: IpAddr) -> bool {
    let ip = canonical(ip);
    trusted.iter().any(|net| net.contains(&ip))
}

/// The client IP per the module rules.
pub(crate) fn client_ip(headers: &HeaderMap, peer: IpAddr, trusted: &[IpNet]) -> IpAddr {
    let peer = canonical(peer);
    if !is_trusted(trusted, peer) {
        return peer;
    }
    let xff: Vec<&str> = headers
        .get_all(&X_FORWARDED_FOR)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let hops: Vec<Option<IpAddr>> = if !xff.is_empty() {
        xff.iter().map(|s| parse_xff_entry(s)).collect()
    } else {
        headers
            .get_all(header::FORWARDED)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(forwarded_for)
            .map(|s| parse_xff_entry(&s))
            .collect()
    };
    let mut client = peer;
    for hop in hops.iter().rev().take(MAX_FORWARDED_HOPS) {
        let Some(ip) = hop else { return client };
        let ip = canonical(*ip);
        client = ip;
        if !is_trusted(trusted, ip) {
            return ip;
        }
    }
    client
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// An address from `X-Forwarded-For` or `Forwarded: for=`: `1.2.3.4`, `1.2.3.4:80`, `::1`,
/// `[::1]`, `[::1]:80`.
fn parse_xff_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim().trim_matches('"');
    if let Ok(ip) = entry.parse() {
        return Some(ip);
    }
    if let Some(rest) = entry.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    let (host, port) = entry.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse().ok()
}

/// The `for=` value of one `Forwarded` element.
fn forwarded_for(element: &str) -> Option<String> {
    element.split(';').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("for")
            .then(|| value.trim().trim_matches('"').to_owned())
    })
}

/// What this hop knows, for the forwarding headers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hop<'a> {
    /// TCP peer, as text (see [`peer_value`]).
    pub(crate) peer: &'a HeaderValue,
    /// Whether the peer is a trusted proxy.
    pub(crate) peer_trusted: bool,
    /// `https` or `http`.
    pub(crate) proto: &'static str,
    /// The request's host as received (Host or :authority).
    pub(crate) host: Option<&'a str>,
    /// The local port the request arrived on, as text.
    pub(crate) port: &'a HeaderValue,
}

/// The peer address as `X-Forwarded-For` spells it (IPv4-mapped IPv6 as IPv4). Made once
/// per connection.
pub(crate) fn peer_value(peer: IpAddr) -> HeaderValue {
    HeaderValue::from_str(&canonical(peer).to_string())
        .unwrap_or_else(|_| HeaderValue::from_static("unknown"))
}

/// Sets `X-Forwarded-For` (appends), `-Proto`, `-Host`, `-Port`.
pub(crate) fn set_forwarded(headers: &mut HeaderMap, hop: Hop<'_>) {
    let mut previous = headers.get_all(&X_FORWARDED_FOR).iter();
    let xff = match (previous.next(), previous.next()) {
        (None, _) => Some(hop.peer.clone()),
        (Some(first), None) => {
            let mut v = Vec::with_capacity(first.len() + 2 + hop.peer.len());
            v.extend_from_slice(first.as_bytes());
            v.extend_from_slice(b", ");
            v.extend_from_slice(hop.peer.as_bytes());
            HeaderValue::from_bytes(&v).ok()
        }
        (Some(_), Some(_)) => {
            let mut v = Vec::new();
            for prev in headers.get_all(&X_FORWARDED_FOR) {
                v.extend_from_slice(prev.as_bytes());
                v.extend_from_slice(b", ");
            }
            v.extend_from_slice(hop.peer.as_bytes());
            HeaderValue::from_bytes(&v).ok()
        }
    };
    if let Some(v) = xff {
        headers.insert(&X_FORWARDED_FOR, v);
    }
    let keep =
        |headers: &HeaderMap, name: &HeaderName| hop.peer_trusted && headers.contains_key(name);
    if !keep(headers, &X_FORWARDED_PROTO) {
        headers.insert(&X_FORWARDED_PROTO, HeaderValue::from_static(hop.proto));
    }
    if !keep(headers, &X_FORWARDED_HOST) {
        match hop.host.and_then(|h| HeaderValue::from_str(h).ok()) {
            Some(v) => {
                headers.insert(&X_FORWARDED_HOST, v);
            }
            None => {
                headers.remove(&X_FORWARDED_HOST);
            }
        }
    }
    if !keep(headers, &X_FORWARDED_PORT) {
        headers.insert(&X_FORWARDED_PORT, hop.port.clone());
    }
}

/// The request id per the module rules.
pub(crate) fn request_id(headers: &HeaderMap, peer_trusted: bool) -> String {
    if peer_trusted
        && let Some(id) = headers.get(&X_REQUEST_ID).and_then(|v| v.to_str().ok())
        && is_sane_request_id(id)
    {
        return id.to_owned();
    }
    random_hex::<16>()
}

fn is_sane_request_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_REQUEST_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// `N` random bytes as lower-case hex, never all zero.
fn random_hex<const N: usize>() -> String {
    let mut out = vec![0; 2 * N];
    fill_random_hex::<N>(&mut out);
    // Hex digits are ASCII.
    String::from_utf8(out).unwrap_or_default()
}

/// Fills `out` (`2 * N` bytes) with `N` random bytes as lower-case hex, never all zero.
fn fill_random_hex<const N: usize>(out: &mut [u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let bytes: [u8; N] = loop {
        let bytes: [u8; N] = rand::random();
        if bytes.iter().any(|b| *b != 0) {
            break bytes;
        }
    };
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 0xf)];
    }
}

/// The parts of a W3C `traceparent`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TraceParent {
    /// 32 lower-case hex digits, not all zero.
    pub(crate) trace_id: String,
    /// 16 lower-case hex digits, not all zero.
    pub(crate) parent_id: String,
    /// 2 hex digits.
    pub(crate) flags: String,
}

impl TraceParent {
    /// Parses a `traceparent` value (version `00`, or a later version's first four fields).
    pub(crate) fn parse(value: &str) -> Option<Self> {
        let bytes = value.as_bytes();
        if bytes.len() < 55 {
            return None;
        }
        let version = &value[..2];
        if !is_lower_hex(version) || version == "ff" {
            return None;
        }
        if version == "00" && bytes.len() != 55 {
            return None;
        }
        if bytes.len() > 55 && bytes[55] != b'-' {
            return None;
        }
        if bytes[2] != b'-' || bytes[35] != b'-' || bytes[52] != b'-' {
            return None;
        }
        let trace_id = &value[3..35];
        let parent_id = &value[36..52];
        let flags = &value[53..55];
        if !is_lower_hex(trace_id) || !is_lower_hex(parent_id) || !is_lower_hex(flags) {
            return None;
        }
        if trace_id.bytes().all(|b| b == b'0') || parent_id.bytes().all(|b| b == b'0') {
            return None;
        }
        Some(TraceParent {
            trace_id: trace_id.to_owned(),
            parent_id: parent_id.to_owned(),
            flags: flags.to_owned(),
        })
    }
}

fn is_lower_hex(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Sets the outgoing `traceparent`: the incoming trace with a new parent id of this hop, or a
/// new trace; `tracestate` goes only with a kept trace.
pub(crate) fn propagate_trace(headers: &mut HeaderMap) {
    // `00-` trace id (32) `-` parent id (16) `-` flags (2): built in place.
    let mut value = *b"00-00000000000000000000000000000000-0000000000000000-00";
    let incoming = {
        let mut values = headers.get_all(&TRACEPARENT).iter();
        match (values.next(), values.next()) {
            (Some(v), None) => v.to_str().ok().and_then(TraceParent::parse),
            _ => None,
        }
    };
    match &incoming {
        Some(parent) => {
            value[3..35].copy_from_slice(parent.trace_id.as_bytes());
            value[53..55].copy_from_slice(parent.flags.as_bytes());
        }
        None => {
            headers.remove(&TRACESTATE);
            fill_random_hex::<16>(&mut value[3..35]);
        }
    }
    fill_random_hex::<8>(&mut value[36..52]);
    if let Ok(v) = HeaderValue::from_bytes(&value) {
        headers.insert(&TRACEPARENT, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    #[test]
    fn strips_hop_by_hop() {
        let mut h = map(&[
            ("connection", "keep-alive, x-secret, host"),
            ("x-secret", "1"),
            ("keep-alive", "timeout=5"),
            ("te", "trailers"),
            ("upgrade", "websocket"),
            ("proxy-authorization", "Basic x"),
            ("proxy-connection", "keep-alive"),
            ("host", "a.test"),
            ("x-kept", "1"),
        ]);
        strip_hop_by_hop(&mut h, false);
        let mut names: Vec<&str> = h.keys().map(HeaderName::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, ["host", "x-kept"]);

        let mut h = map(&[("connection", "Upgrade"), ("upgrade", "websocket")]);
        assert!(wants_upgrade(&h));
        strip_hop_by_hop(&mut h, true);
        assert_eq!(h["upgrade"], "websocket");
        assert_eq!(h["connection"], "upgrade");
    }

    #[test]
    fn client_ip_walks_trusted_hops() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()];
        let untrusted: IpAddr = "203.0.113.9".parse().unwrap();
        let proxy: IpAddr = "10.1.1.1".parse().unwrap();
        type Case<'a> = (&'a [(&'a str, &'a str)], IpAddr, &'a str);
        let cases: &[Case<'_>] = &[
            (&[("x-forwarded-for", "1.1.1.1")], untrusted, "203.0.113.9"),
            (&[("x-forwarded-for", "1.1.1.1")], proxy, "1.1.1.1"),
            (
                &[("x-forwarded-for", "6.6.6.6, 1.1.1.1, 10.2.2.2")],
                proxy,
                "1.1.1.1",
            ),
            (
                &[
                    ("x-forwarded-for", "6.6.6.6"),
                    ("x-forwarded-for", "1.1.1.1"),
                ],
                proxy,
                "1.1.1.1",
            ),
            (
                &[("x-forwarded-for", "10.3.3.3, 10.2.2.2")],
                proxy,
                "10.3.3.3",
            ),
            (&[("x-forwarded-for", "1.1.1.1:4711")], proxy, "1.1.1.1"),
            (
                &[("x-forwarded-for", "[2001:db8::1]:4711")],
                proxy,
                "2001:db8::1",
            ),
            (
                &[("x-forwarded-for", "garbage, 10.2.2.2")],
                proxy,
                "10.2.2.2",
            ),
            (&[], proxy, "10.1.1.1"),
            (
                &[(
                    "forwarded",
                    "for=192.0.2.60;proto=http, for=\"[2001:db8::2]:80\"",
                )],
                proxy,
                "2001:db8::2",
            ),
            (
                &[("forwarded", "for=192.0.2.60;proto=http")],
                proxy,
                "192.0.2.60",
            ),
        ];
        for (headers, peer, want) in cases {
            let got = client_ip(&map(headers), *peer, &trusted);
            assert_eq!(got.to_string(), *want, "{headers:?} from {peer}");
        }
        let mapped: IpAddr = "::ffff:10.1.1.1".parse().unwrap();
        assert!(is_trusted(&trusted, mapped));
    }

    #[test]
    fn forwarded_headers() {
        let mut h = map(&[
            ("x-forwarded-for", "1.1.1.1"),
            ("x-forwarded-proto", "https"),
        ]);
        let peer = peer_value("::ffff:203.0.113.9".parse().unwrap());
        let port = HeaderValue::from(8080u16);
        let hop = Hop {
            peer: &peer,
            peer_trusted: false,
            proto: "http",
            host: Some("a.test"),
            port: &port,
        };
        set_forwarded(&mut h, hop);
        assert_eq!(h["x-forwarded-for"], "1.1.1.1, 203.0.113.9");
        assert_eq!(h["x-forwarded-proto"], "http");
        assert_eq!(h["x-forwarded-host"], "a.test");
        assert_eq!(h["x-forwarded-port"], "8080");

        let mut h = map(&[("x-forwarded-proto", "https")]);
        set_forwarded(
            &mut h,
            Hop {
                peer_trusted: true,
                ..hop
            },
        );
        assert_eq!(h["x-forwarded-proto"], "https");
        assert_eq!(h["x-forwarded-for"], "203.0.113.9");
    }

    #[test]
    fn request_ids() {
        let h = map(&[("x-request-id", "abc-123")]);
        assert_eq!(request_id(&h, true), "abc-123");
        assert_ne!(request_id(&h, false), "abc-123");
        let generated = request_id(&HeaderMap::new(), true);
        assert_eq!(generated.len(), 32);
        assert!(is_lower_hex(&generated));
        for bad in ["", "a b", "<script>", &"a".repeat(129)] {
            assert!(!is_sane_request_id(bad), "{bad:?}");
        }
        assert!(is_sane_request_id(&"a".repeat(128)));
    }

    #[test]
    fn traceparent_rules() {
        let good = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let tp = TraceParent::parse(good).unwrap();
        assert_eq!(tp.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
        let bad = [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ];
        for b in bad {
            assert!(TraceParent::parse(b).is_none(), "{b:?}");
        }
        assert!(
            TraceParent::parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what")
                .is_some()
        );

        let mut h = map(&[("traceparent", good), ("tracestate", "k=v")]);
        propagate_trace(&mut h);
        let out = TraceParent::parse(h["traceparent"].to_str().unwrap()).unwrap();
        assert_eq!(out.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(out.flags, tp.flags);
        assert_eq!(out.trace_id, tp.trace_id);
        assert_ne!(out.parent_id, tp.parent_id);
        assert_eq!(h["tracestate"], "k=v");

        let mut h = map(&[("traceparent", "junk"), ("tracestate", "k=v")]);
        propagate_trace(&mut h);
        assert!(!h.contains_key("tracestate"));
        let out = TraceParent::parse(h["traceparent"].to_str().unwrap()).unwrap();
        assert_eq!(out.flags, "00");
        assert_ne!(out.trace_id, tp.trace_id);
    }
}
