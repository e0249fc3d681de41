//! Request bytes, built exactly as go-ftw 2.3.0 builds them (`ftwhttp/request.go`).
//!
//! * `encoded_request` replaces everything.
//! * Request line `METHOD SP URI SP VERSION CRLF`, verbatim (defaults `GET`, `/`, `HTTP/1.1`).
//! * Headers: the `headers:` map sorted by name (byte-wise), or `ordered_headers` as written;
//!   headers added below are appended after them, in this order.
//! * With `autocomplete_headers` (the default) and a non-empty body: `Content-Type:
//!   application/x-www-form-urlencoded` if no Content-Type is present; if a Content-Type equals
//!   that value (ASCII case-insensitive) and `QueryUnescape(body) == body`, every `&`-separated
//!   token is split at its first `=` and both sides are `QueryEscape`d.
//! * Whatever `autocomplete_headers` says: if a Content-Type contains `multipart/form-data;`
//!   (case-insensitive), every `\n` in the body becomes `\r\n`. Like go-ftw this is a plain
//!   replace-all, so an existing `\r\n` becomes `\r\r\n`; no CRS v4.28.0 multipart body
//!   contains `\r`, and matching go-ftw byte for byte is the point of this runner.
//! * With `autocomplete_headers`: `Connection: close` if absent; `Content-Length: <len>` if
//!   absent and the body is non-empty or the method matches go-ftw's regex
//!   `^POST|PUT|PATCH|DELETE$` (an unanchored alternation: starts with `POST`, contains `PUT`
//!   or `PATCH`, or ends with `DELETE`).
//!
//! Header names are compared as Go's `textproto.CanonicalMIMEHeaderKey` does: case-insensitive
//! for valid token names, exact for names with other bytes (such names are not canonicalised).

use crate::suite::Input;

const FORM_URLENCODED: &str = "application/x-www-form-urlencoded";

/// The bytes go-ftw would send for `input`.
pub fn build_request(input: &Input) -> Vec<u8> {
    if let Some(raw) = &input.encoded_request
        && !raw.is_empty()
    {
        return raw.clone();
    }
    let method = input.method.as_deref().unwrap_or("GET");
    let mut headers: Vec<(String, String)> = match &input.ordered_headers {
        Some(list) => list.clone(),
        None => {
            let mut sorted = input.headers.clone();
            sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            sorted
        }
    };
    let mut data = input.data.clone().unwrap_or_default();
    if !data.is_empty() && input.autocomplete_headers {
        if !has_any(&headers, "Content-Type") {
            headers.push(("Content-Type".to_owned(), FORM_URLENCODED.to_owned()));
        }
        data = encode_data_parameters(&headers, data);
    }
    let multipart = headers.iter().any(|(name, value)| {
        same_header(name, "Content-Type")
            && value.to_ascii_lowercase().contains("multipart/form-data;")
    });
    if multipart {
        data = replace_lf_with_crlf(&data);
    }
    if input.autocomplete_headers {
        add_standard_headers(&mut headers, method, data.len());
    }
    let uri = input.uri.as_deref().unwrap_or("/");
    let version = input.version.as_deref().unwrap_or("HTTP/1.1");
    assemble(method, uri, version, &headers, &data)
}

/// go-ftw's marker request: `GET /status/200 HTTP/1.1` with `Accept: */*`, `User-Agent: go-ftw
/// test agent`, `Host: <host>` and `X-CRS-Test: <marker>`, then `Connection: close`.
pub fn build_marker_request(host: &str, marker: &str) -> Vec<u8> {
    let mut headers = vec![
        ("Accept".to_owned(), "*/*".to_owned()),
        ("User-Agent".to_owned(), "go-ftw test agent".to_owned()),
        ("Host".to_owned(), host.to_owned()),
        ("X-CRS-Test".to_owned(), marker.to_owned()),
    ];
    add_standard_headers(&mut headers, "GET", 0);
    assemble("GET", "/status/200", "HTTP/1.1", &headers, &[])
}

fn assemble(
    method: &str,
    uri: &str,
    version: &str,
    headers: &[(String, String)],
    data: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + data.len());
    out.extend_from_slice(format!("{method} {uri} {version}\r\n").as_bytes());
    for (name, value) in headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(data);
    out
}

fn add_standard_headers(headers: &mut Vec<(String, String)>, method: &str, data_len: usize) {
    if !has_any(headers, "Connection") {
        headers.push(("Connection".to_owned(), "close".to_owned()));
    }
    if has_any(headers, "Content-Length") {
        return;
    }
    if data_len > 0 || method_may_have_body(method) {
        headers.push(("Content-Length".to_owned(), data_len.to_string()));
    }
}

/// go-ftw's `regexp.MustCompile("^POST|PUT|PATCH|DELETE$").MatchString(method)`.
fn method_may_have_body(method: &str) -> bool {
    method.starts_with("POST")
        || method.contains("PUT")
        || method.contains("PATCH")
        || method.ends_with("DELETE")
}

fn has_any(headers: &[(String, String)], name: &str) -> bool {
    headers.iter().any(|(n, _)| same_header(n, name))
}

/// Whether two header names have the same `textproto.CanonicalMIMEHeaderKey`.
fn same_header(a: &str, b: &str) -> bool {
    canonical_key(a) == canonical_key(b)
}

/// Go's `textproto.CanonicalMIMEHeaderKey`: names made only of token bytes get their first
/// letter and every letter after `-` upper-cased and the rest lower-cased; other names are
/// returned unchanged.
fn canonical_key(name: &str) -> String {
    if !name.bytes().all(is_token_byte) {
        return name.to_owned();
    }
    let mut upper = true;
    name.chars()
        .map(|c| {
            let c = if upper {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            };
            upper = c == '-';
            c
        })
        .collect()
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// go-ftw's `encodeDataParameters`.
fn encode_data_parameters(headers: &[(String, String)], data: Vec<u8>) -> Vec<u8> {
    let urlencoded = headers.iter().any(|(name, value)| {
        same_header(name, "Content-Type") && value.eq_ignore_ascii_case(FORM_URLENCODED)
    });
    if !urlencoded || query_unescape(&data).as_deref() != Some(&data[..]) {
        return data;
    }
    let mut escaped = Vec::with_capacity(data.len() * 3);
    let mut remaining = &data[..];
    while !remaining.is_empty() {
        let token = match remaining.iter().position(|&b| b == b'&') {
            Some(i) => {
                let token = &remaining[..i];
                remaining = &remaining[i + 1..];
                token
            }
            None => std::mem::take(&mut remaining),
        };
        match token.iter().position(|&b| b == b'=') {
            Some(i) => {
                query_escape(&token[..i], &mut escaped);
                escaped.push(b'=');
                query_escape(&token[i + 1..], &mut escaped);
            }
            None => query_escape(token, &mut escaped),
        }
        escaped.push(b'&');
    }
    escaped.pop(); // strip the trailing '&'
    escaped
}

/// Go's `url.QueryUnescape`: `+` is a space, `%XX` a byte; a `%` not followed by two hex
/// digits is an error (`None`).
fn query_unescape(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'%' => {
                let hi = s.get(i + 1).copied().and_then(hex_value)?;
                let lo = s.get(i + 2).copied().and_then(hex_value)?;
                out.push(hi << 4 | lo);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(out)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Go's `url.QueryEscape`: unreserved `A-Za-z0-9-_.~` kept, space to `+`, everything else
/// `%XX` with upper-case hex.
fn query_escape(s: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in s {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b),
            b' ' => out.push(b'+'),
            _ => out.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]),
        }
    }
}

fn replace_lf_with_crlf(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 16);
    for &b in data {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(method: &str, headers: &[(&str, &str)], data: Option<&str>) -> Input {
        Input {
            method: Some(method.to_owned()),
            uri: Some("/post".to_owned()),
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            data: data.map(|d| d.as_bytes().to_vec()),
            ..Input::default()
        }
    }

    fn text(input: &Input) -> String {
        String::from_utf8_lossy(&build_request(input)).into_owned()
    }

    /// (method, headers, data, autocomplete, expected request)
    type Case = (
        &'static str,
        &'static [(&'static str, &'static str)],
        Option<&'static str>,
        bool,
        &'static str,
    );

    const CASES: &[Case] = &[
        // Defaults; Connection added; no Content-Length for GET without a body.
        (
            "GET",
            &[("Host", "localhost")],
            None,
            true,
            "GET /post HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        ),
        // Headers sorted byte-wise (upper case before lower case), added ones appended.
        (
            "GET",
            &[("b", "2"), ("User-Agent", "u"), ("Accept", "a")],
            None,
            true,
            "GET /post HTTP/1.1\r\nAccept: a\r\nUser-Agent: u\r\nb: 2\r\nConnection: close\r\n\r\n",
        ),
        // Unencoded form data gets Content-Type and is QueryEscape'd per key and value.
        (
            "POST",
            &[],
            Some("a b=c/d&e=f=g&h&x=\u{e9}"),
            true,
            "POST /post HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nConnection: close\r\nContent-Length: 28\r\n\r\na+b=c%2Fd&e=f%3Dg&h&x=%C3%A9",
        ),
        // Already encoded ('+' or a valid %XX): sent as is.
        (
            "POST",
            &[],
            Some("a=b+c"),
            true,
            "POST /post HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nConnection: close\r\nContent-Length: 5\r\n\r\na=b+c",
        ),
        (
            "POST",
            &[],
            Some("a=%41 b"),
            true,
            "POST /post HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nConnection: close\r\nContent-Length: 7\r\n\r\na=%41 b",
        ),
        // A bad % escape makes QueryUnescape fail: sent as is.
        (
            "POST",
            &[],
            Some("a=%zz b"),
            true,
            "POST /post HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nConnection: close\r\nContent-Length: 7\r\n\r\na=%zz b",
        ),
        // Trailing '&' is dropped by the re-encoding.
        (
            "POST",
            &[],
            Some("a=b&"),
            true,
            "POST /post HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nConnection: close\r\nContent-Length: 3\r\n\r\na=b",
        ),
        // Content-Type other than exactly form-urlencoded (case-insensitive): no encoding.
        (
            "POST",
            &[(
                "Content-Type",
                "application/x-www-form-urlencoded; charset=utf-8",
            )],
            Some("a b"),
            true,
            "POST /post HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded; charset=utf-8\r\nConnection: close\r\nContent-Length: 3\r\n\r\na b",
        ),
        (
            "POST",
            &[("content-type", "Application/X-WWW-Form-Urlencoded")],
            Some("a b"),
            true,
            "POST /post HTTP/1.1\r\ncontent-type: Application/X-WWW-Form-Urlencoded\r\nConnection: close\r\nContent-Length: 3\r\n\r\na+b",
        ),
        (
            "POST",
            &[("Content-Type", "text/plain")],
            Some("a b"),
            true,
            "POST /post HTTP/1.1\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 3\r\n\r\na b",
        ),
        // Multipart: LF -> CRLF (and, like go-ftw, an existing CRLF gets another CR).
        (
            "POST",
            &[("Content-Type", "multipart/form-data; boundary=x")],
            Some("--x\nA\r\n--x--\n"),
            true,
            "POST /post HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=x\r\nConnection: close\r\nContent-Length: 16\r\n\r\n--x\r\nA\r\r\n--x--\r\n",
        ),
        // Multipart conversion happens even without autocomplete; nothing is added.
        (
            "POST",
            &[("Content-Type", "Multipart/Form-Data; boundary=x")],
            Some("a\nb"),
            false,
            "POST /post HTTP/1.1\r\nContent-Type: Multipart/Form-Data; boundary=x\r\n\r\na\r\nb",
        ),
        // Content-Length for body-capable methods even without a body (unanchored regex).
        (
            "POST",
            &[],
            None,
            true,
            "POST /post HTTP/1.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
        ),
        (
            "XPUTX",
            &[],
            None,
            true,
            "XPUTX /post HTTP/1.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
        ),
        (
            "OPTIONS",
            &[],
            None,
            true,
            "OPTIONS /post HTTP/1.1\r\nConnection: close\r\n\r\n",
        ),
        (
            "DELETEX",
            &[],
            None,
            true,
            "DELETEX /post HTTP/1.1\r\nConnection: close\r\n\r\n",
        ),
        (
            "XDELETE",
            &[],
            None,
            true,
            "XDELETE /post HTTP/1.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
        ),
        // Existing headers (any case) are not duplicated; a wrong Content-Length is kept.
        (
            "POST",
            &[("connection", "keep-alive"), ("content-length", "99")],
            Some("a"),
            true,
            "POST /post HTTP/1.1\r\nconnection: keep-alive\r\ncontent-length: 99\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\na",
        ),
        // A name that is not a token is not canonicalised: it does not count as Connection.
        (
            "GET",
            &[("Connection ", "x")],
            None,
            true,
            "GET /post HTTP/1.1\r\nConnection : x\r\nConnection: close\r\n\r\n",
        ),
        // autocomplete_headers: false -> bytes exactly as written.
        (
            "POST",
            &[("Host", "h")],
            Some("a b"),
            false,
            "POST /post HTTP/1.1\r\nHost: h\r\n\r\na b",
        ),
        // Garbage methods and versions go out verbatim.
        (
            "\tGET",
            &[],
            None,
            true,
            "\tGET /post HTTP/1.1\r\nConnection: close\r\n\r\n",
        ),
    ];

    #[test]
    fn request_building_cases() {
        for (i, (method, headers, data, auto, expected)) in CASES.iter().enumerate() {
            let mut input = input(method, headers, *data);
            input.autocomplete_headers = *auto;
            assert_eq!(text(&input), *expected, "case {i}");
        }
    }

    #[test]
    fn defaults_version_and_ordered_headers() {
        let input = Input {
            version: Some("HTTP\\1.0".to_owned()),
            headers: vec![("Z".to_owned(), "1".to_owned())],
            ordered_headers: Some(vec![
                ("b".to_owned(), "1".to_owned()),
                ("a".to_owned(), "2".to_owned()),
                ("b".to_owned(), "3".to_owned()),
            ]),
            ..Input::default()
        };
        assert_eq!(
            text(&input),
            "GET / HTTP\\1.0\r\nb: 1\r\na: 2\r\nb: 3\r\nConnection: close\r\n\r\n"
        );
    }

    #[test]
    fn encoded_request_replaces_everything() {
        let input = Input {
            method: Some("POST".to_owned()),
            encoded_request: Some(b"GET /x HTTP/1.0\n\n".to_vec()),
            ..Input::default()
        };
        assert_eq!(build_request(&input), b"GET /x HTTP/1.0\n\n");
    }

    #[test]
    fn marker_request() {
        assert_eq!(
            String::from_utf8(build_marker_request("localhost", "1-2-ab-s")).unwrap_or_default(),
            "GET /status/200 HTTP/1.1\r\nAccept: */*\r\nUser-Agent: go-ftw test agent\r\nHost: localhost\r\nX-CRS-Test: 1-2-ab-s\r\nConnection: close\r\n\r\n"
        );
    }

    #[test]
    fn go_url_functions() {
        let mut out = Vec::new();
        query_escape(b"Az09-_.~ !*'();:@&=+$,/?#[]%", &mut out);
        assert_eq!(
            out,
            b"Az09-_.~+%21%2A%27%28%29%3B%3A%40%26%3D%2B%24%2C%2F%3F%23%5B%5D%25"
        );
        assert_eq!(query_unescape(b"a+b%41"), Some(b"a bA".to_vec()));
        assert_eq!(query_unescape(b"%4"), None);
        assert_eq!(query_unescape(b"%"), None);
        assert_eq!(query_unescape(b"plain"), Some(b"plain".to_vec()));
        assert_eq!(canonical_key("x-crs-TEST"), "X-Crs-Test");
        assert_eq!(canonical_key("bad name"), "bad name");
    }
}
