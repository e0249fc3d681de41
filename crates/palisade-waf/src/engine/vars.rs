//! Transaction data and variable resolution: from a [`Target`] to the values it selects.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::net::IpAddr;

use palisade_body::multipart::MultipartFlags;
use palisade_body::xml::XmlDocument;
use palisade_seclang::registry::VariableName as V;

use super::rule::{Sel, Target};

/// Who is talking to whom, and when: everything the engine cannot read from HTTP itself.
/// The clock is injected here (the engine never reads one).
#[derive(Debug, Clone)]
pub struct ConnectionInfo {
    /// Client address (after trusted-proxy resolution).
    pub client_ip: IpAddr,
    /// Client port.
    pub client_port: u16,
    /// Local address the request arrived on.
    pub server_ip: IpAddr,
    /// Local port.
    pub server_port: u16,
    /// The transaction id (`UNIQUE_ID`, `unique_id` in logs).
    pub unique_id: String,
    /// Seconds since the Unix epoch when the request arrived (`TIME*` variables, UTC).
    pub unix_time: i64,
}

impl Default for ConnectionInfo {
    fn default() -> Self {
        ConnectionInfo {
            client_ip: IpAddr::from([127, 0, 0, 1]),
            client_port: 0,
            server_ip: IpAddr::from([127, 0, 0, 1]),
            server_port: 0,
            unique_id: String::new(),
            unix_time: 0,
        }
    }
}

/// One argument and where it came from.
#[derive(Debug, Clone)]
pub(crate) struct Arg {
    pub(crate) name: Vec<u8>,
    pub(crate) value: Vec<u8>,
    pub(crate) post: bool,
}

/// One uploaded file.
#[derive(Debug, Clone)]
pub(crate) struct File {
    pub(crate) field: Vec<u8>,
    pub(crate) filename: Vec<u8>,
    pub(crate) size: usize,
}

/// What the request and the response carried, as the body processors decoded it.
#[derive(Debug, Default)]
pub(crate) struct Data {
    pub(crate) conn: ConnectionInfo,
    pub(crate) method: Vec<u8>,
    pub(crate) uri_raw: Vec<u8>,
    pub(crate) uri: Vec<u8>,
    pub(crate) protocol: Vec<u8>,
    pub(crate) request_line: Vec<u8>,
    pub(crate) path: Vec<u8>,
    pub(crate) basename: Vec<u8>,
    pub(crate) query: Vec<u8>,
    pub(crate) headers: Vec<(Vec<u8>, Vec<u8>)>,
    pub(crate) cookies: Vec<(Vec<u8>, Vec<u8>)>,
    pub(crate) args: Vec<Arg>,
    pub(crate) body: Vec<u8>,
    pub(crate) body_length: usize,
    pub(crate) request_body_var: bool,
    pub(crate) processor: Option<&'static str>,
    pub(crate) reqbody_error: bool,
    pub(crate) reqbody_error_msg: String,
    pub(crate) urlencoded_error: bool,
    pub(crate) inbound_data_error: bool,
    pub(crate) files: Vec<File>,
    pub(crate) multipart: Option<MultipartFlags>,
    pub(crate) multipart_name: Vec<u8>,
    pub(crate) multipart_filename: Vec<u8>,
    pub(crate) part_headers: Vec<(Vec<u8>, Vec<u8>)>,
    pub(crate) xml: Option<XmlDocument>,
    pub(crate) auth_type: Vec<u8>,
    pub(crate) remote_user: Vec<u8>,
    pub(crate) server_name: Vec<u8>,
    pub(crate) status: Option<u16>,
    pub(crate) response_protocol: Vec<u8>,
    pub(crate) response_headers: Vec<(Vec<u8>, Vec<u8>)>,
    pub(crate) response_body: Vec<u8>,
    pub(crate) response_body_seen: bool,
    pub(crate) outbound_data_error: bool,
    pub(crate) web_app_id: String,
    pub(crate) duration_micros: u64,
}

/// The mutable collections rules write.
#[derive(Debug, Default)]
pub(crate) struct Collections {
    /// `TX` (keys lower-case).
    pub(crate) tx: BTreeMap<Vec<u8>, Vec<u8>>,
    /// `ENV`.
    pub(crate) env: BTreeMap<Vec<u8>, Vec<u8>>,
    /// `IP`, `GLOBAL`, `SESSION`, `USER`, `RESOURCE`: transaction-local here.
    pub(crate) persistent: BTreeMap<(u16, Vec<u8>), Vec<u8>>,
    pub(crate) matched_var: Vec<u8>,
    pub(crate) matched_var_name: Vec<u8>,
    pub(crate) matched_vars: Vec<(Vec<u8>, Vec<u8>)>,
    pub(crate) highest_severity: Option<u8>,
}

/// The current rule, for `RULE.*`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RuleCtx<'r> {
    pub(crate) id: u32,
    pub(crate) meta: &'r super::rule::Meta,
    pub(crate) phase: u8,
}

/// A selected value.
#[derive(Debug)]
pub(crate) struct Val<'d> {
    pub(crate) var: V,
    /// The key within the collection (empty for scalars).
    pub(crate) key: Cow<'d, [u8]>,
    pub(crate) value: Cow<'d, [u8]>,
    /// Identity for the transformation cache, when the value cannot change in a phase.
    pub(crate) slot: Option<u32>,
}

impl Val<'_> {
    /// `ARGS:name`, or the variable's name for scalars.
    pub(crate) fn full_name(&self) -> Vec<u8> {
        let mut n = self.var.name().as_bytes().to_vec();
        if !self.key.is_empty() || !is_scalar(self.var) {
            n.push(b':');
            n.extend_from_slice(&self.key);
        }
        n
    }
}

fn is_scalar(v: V) -> bool {
    matches!(
        v.entry().kind,
        palisade_seclang::registry::VariableKind::Scalar
    )
}

// Cache sources: values shared by several variables get one identity.
const SRC_ARG_VALUE: u32 = 1;
const SRC_ARG_NAME: u32 = 2;
const SRC_HEADER_VALUE: u32 = 3;
const SRC_HEADER_NAME: u32 = 4;
const SRC_COOKIE_VALUE: u32 = 5;
const SRC_COOKIE_NAME: u32 = 6;
const SRC_FILES: u32 = 7;
const SRC_FILES_NAMES: u32 = 8;
const SRC_PART_HEADERS: u32 = 9;
const SRC_XML: u32 = 10;
const SRC_RESPONSE_HEADER_VALUE: u32 = 11;
const SRC_RESPONSE_HEADER_NAME: u32 = 12;
const SRC_SCALAR: u32 = 32;

fn slot(src: u32, index: usize) -> Option<u32> {
    u32::try_from(index)
        .ok()
        .filter(|i| *i < (1 << 24))
        .map(|i| (src << 24) | i)
}

fn b(s: &[u8]) -> Cow<'_, [u8]> {
    Cow::Borrowed(s)
}

fn num(n: impl ToString) -> Cow<'static, [u8]> {
    Cow::Owned(n.to_string().into_bytes())
}

fn flag(on: bool) -> Cow<'static, [u8]> {
    Cow::Borrowed(if on { b"1" } else { b"0" })
}

/// Pushes every `(key, value)` pair of a list that `sel` selects.
fn pairs<'d>(
    out: &mut Vec<Val<'d>>,
    var: V,
    sel: &Sel,
    items: impl Iterator<Item = (&'d [u8], &'d [u8])>,
    src: Option<u32>,
    names: bool,
) {
    for (i, (k, v)) in items.enumerate() {
        if sel.selects(k) {
            out.push(Val {
                var,
                key: b(k),
                value: if names { b(k) } else { b(v) },
                slot: src.and_then(|s| slot(s, i)),
            });
        }
    }
}

fn map_pairs<'d>(out: &mut Vec<Val<'d>>, var: V, sel: &Sel, map: &'d BTreeMap<Vec<u8>, Vec<u8>>) {
    if let Sel::Key(k) = sel {
        if let Some((key, v)) = map.get_key_value(&**k) {
            out.push(Val {
                var,
                key: b(key),
                value: b(v),
                slot: None,
            });
        }
        return;
    }
    for (k, v) in map {
        if sel.selects(k) {
            out.push(Val {
                var,
                key: b(k),
                value: b(v),
                slot: None,
            });
        }
    }
}

fn scalar<'d>(out: &mut Vec<Val<'d>>, var: V, value: Cow<'d, [u8]>, cacheable: bool) {
    out.push(Val {
        var,
        key: Cow::Borrowed(b""),
        value,
        slot: if cacheable {
            slot(SRC_SCALAR + var as u32, 0)
        } else {
            None
        },
    });
}

/// Appends the values `t` selects (a `&` count becomes one value).
pub(crate) fn collect<'d>(
    d: &'d Data,
    c: &'d Collections,
    rule: Option<RuleCtx<'d>>,
    t: &Target,
    out: &mut Vec<Val<'d>>,
) {
    if t.count {
        let mut tmp = Vec::new();
        values(d, c, rule, t.var, &t.sel, &mut tmp);
        let n = tmp.len();
        out.push(Val {
            var: t.var,
            key: Cow::Borrowed(b""),
            value: num(n),
            slot: None,
        });
        return;
    }
    values(d, c, rule, t.var, &t.sel, out);
}

fn header_pairs(h: &[(Vec<u8>, Vec<u8>)]) -> impl Iterator<Item = (&[u8], &[u8])> {
    h.iter().map(|(k, v)| (k.as_slice(), v.as_slice()))
}

fn values<'d>(
    d: &'d Data,
    c: &'d Collections,
    rule: Option<RuleCtx<'d>>,
    var: V,
    sel: &Sel,
    out: &mut Vec<Val<'d>>,
) {
    let args = |post: Option<bool>| {
        d.args
            .iter()
            .enumerate()
            .filter(move |(_, a)| post.is_none_or(|p| a.post == p))
    };
    let push_args = |out: &mut Vec<Val<'d>>, post: Option<bool>, names: bool| {
        for (i, a) in args(post) {
            if sel.selects(&a.name) {
                out.push(Val {
                    var,
                    key: b(&a.name),
                    value: b(if names { &a.name } else { &a.value }),
                    slot: slot(if names { SRC_ARG_NAME } else { SRC_ARG_VALUE }, i),
                });
            }
        }
    };
    match var {
        V::Args => push_args(out, None, false),
        V::ArgsGet => push_args(out, Some(false), false),
        V::ArgsPost => push_args(out, Some(true), false),
        V::ArgsNames => push_args(out, None, true),
        V::ArgsGetNames => push_args(out, Some(false), true),
        V::ArgsPostNames => push_args(out, Some(true), true),
        V::ArgsCombinedSize => {
            let n: usize = d.args.iter().map(|a| a.name.len() + a.value.len()).sum();
            scalar(out, var, num(n), true);
        }
        V::RequestHeaders => pairs(
            out,
            var,
            sel,
            header_pairs(&d.headers),
            Some(SRC_HEADER_VALUE),
            false,
        ),
        V::RequestHeadersNames => pairs(
            out,
            var,
            sel,
            header_pairs(&d.headers),
            Some(SRC_HEADER_NAME),
            true,
        ),
        V::RequestCookies => pairs(
            out,
            var,
            sel,
            header_pairs(&d.cookies),
            Some(SRC_COOKIE_VALUE),
            false,
        ),
        V::RequestCookiesNames => pairs(
            out,
            var,
            sel,
            header_pairs(&d.cookies),
            Some(SRC_COOKIE_NAME),
            true,
        ),
        V::ResponseHeaders => pairs(
            out,
            var,
            sel,
            header_pairs(&d.response_headers),
            Some(SRC_RESPONSE_HEADER_VALUE),
            false,
        ),
        V::ResponseHeadersNames => pairs(
            out,
            var,
            sel,
            header_pairs(&d.response_headers),
            Some(SRC_RESPONSE_HEADER_NAME),
            true,
        ),
        V::Files => pairs(
            out,
            var,
            sel,
            d.files
                .iter()
                .map(|f| (f.field.as_slice(), f.filename.as_slice())),
            Some(SRC_FILES),
            false,
        ),
        V::FilesNames => pairs(
            out,
            var,
            sel,
            d.files
                .iter()
                .map(|f| (f.field.as_slice(), f.field.as_slice())),
            Some(SRC_FILES_NAMES),
            false,
        ),
        V::FilesSizes => {
            for f in &d.files {
                if sel.selects(&f.field) {
                    out.push(Val {
                        var,
                        key: b(&f.field),
                        value: num(f.size),
                        slot: None,
                    });
                }
            }
        }
        V::FilesTmpNames | V::FilesTmpContent => {}
        V::FilesCombinedSize => {
            let n: usize = d.files.iter().map(|f| f.size).sum();
            scalar(out, var, num(n), true);
        }
        V::MultipartPartHeaders => pairs(
            out,
            var,
            sel,
            header_pairs(&d.part_headers),
            Some(SRC_PART_HEADERS),
            false,
        ),
        V::Xml => {
            if let Some(x) = &d.xml {
                match sel {
                    Sel::XmlAttributes => {
                        for (i, v) in x.attribute_values().enumerate() {
                            out.push(Val {
                                var,
                                key: Cow::Borrowed(b""),
                                value: b(v),
                                slot: slot(SRC_XML, i + 1),
                            });
                        }
                    }
                    _ => out.push(Val {
                        var,
                        key: Cow::Borrowed(b""),
                        value: Cow::Owned(x.string_value()),
                        slot: slot(SRC_XML, 0),
                    }),
                }
            }
        }
        V::Tx => map_pairs(out, var, sel, &c.tx),
        V::Env => map_pairs(out, var, sel, &c.env),
        V::Ip | V::Global | V::Session | V::User | V::Resource => {
            let tag = var as u16;
            for ((t, k), v) in &c.persistent {
                if *t == tag && sel.selects(k) {
                    out.push(Val {
                        var,
                        key: b(k),
                        value: b(v),
                        slot: None,
                    });
                }
            }
        }
        V::Geo => {}
        V::MatchedVars | V::MatchedVarsNames => {
            let names = var == V::MatchedVarsNames;
            for (k, v) in &c.matched_vars {
                if sel.selects(k) {
                    out.push(Val {
                        var,
                        key: b(k),
                        value: b(if names { k } else { v }),
                        slot: None,
                    });
                }
            }
        }
        V::MatchedVar => scalar(out, var, b(&c.matched_var), false),
        V::MatchedVarName => scalar(out, var, b(&c.matched_var_name), false),
        V::Rule => {
            if let Some(r) = rule {
                let m = r.meta;
                let mut field = |k: &'static str, v: Cow<'d, [u8]>| {
                    if sel.selects(k.as_bytes()) {
                        out.push(Val {
                            var,
                            key: Cow::Borrowed(k.as_bytes()),
                            value: v,
                            slot: None,
                        });
                    }
                };
                field("id", num(r.id));
                field("phase", num(r.phase));
                if let Some(s) = m.severity {
                    field("severity", num(s.number()));
                }
                if let Some(v) = &m.ver {
                    field("ver", b(v.as_bytes()));
                }
                if let Some(v) = &m.rev {
                    field("rev", b(v.as_bytes()));
                }
                if let Some(msg) = m.msg.as_ref().and_then(|x| x.as_literal()) {
                    field("msg", Cow::Owned(msg.into_bytes()));
                }
                if let Some(v) = m.maturity {
                    field("maturity", num(v));
                }
                if let Some(v) = m.accuracy {
                    field("accuracy", num(v));
                }
            }
        }
        V::AuthType => scalar(out, var, b(&d.auth_type), true),
        V::Duration => scalar(out, var, num(d.duration_micros), false),
        V::FullRequest => {
            let mut f = d.request_line.clone();
            f.extend_from_slice(b"\n");
            for (k, v) in &d.headers {
                f.extend_from_slice(k);
                f.extend_from_slice(b": ");
                f.extend_from_slice(v);
                f.extend_from_slice(b"\n");
            }
            f.extend_from_slice(b"\n");
            f.extend_from_slice(&d.body);
            scalar(out, var, Cow::Owned(f), true);
        }
        V::FullRequestLength => {
            let n = d.request_line.len()
                + 1
                + d.headers
                    .iter()
                    .map(|(k, v)| k.len() + v.len() + 3)
                    .sum::<usize>()
                + 1
                + d.body.len();
            scalar(out, var, num(n), true);
        }
        V::HighestSeverity => scalar(
            out,
            var,
            num(c.highest_severity.map_or(255, u32::from)),
            false,
        ),
        V::InboundDataError => scalar(out, var, flag(d.inbound_data_error), false),
        V::OutboundDataError => scalar(out, var, flag(d.outbound_data_error), false),
        V::ModsecBuild => scalar(out, var, b(b"020912100"), true),
        V::MscPcreLimitsExceeded => scalar(out, var, flag(false), true),
        V::MultipartBoundaryQuoted
        | V::MultipartBoundaryWhitespace
        | V::MultipartCrlfLfLines
        | V::MultipartDataAfter
        | V::MultipartDataBefore
        | V::MultipartFileLimitExceeded
        | V::MultipartHeaderFolding
        | V::MultipartInvalidHeaderFolding
        | V::MultipartInvalidPart
        | V::MultipartInvalidQuoting
        | V::MultipartLfLine
        | V::MultipartMissingSemicolon
        | V::MultipartSemicolonMissing
        | V::MultipartStrictError
        | V::MultipartUnmatchedBoundary => {
            // Absent (not 0) unless the multipart processor ran, as in ModSecurity.
            if let Some(f) = &d.multipart {
                let on = match var {
                    V::MultipartBoundaryQuoted => f.boundary_quoted,
                    V::MultipartBoundaryWhitespace => f.boundary_whitespace,
                    V::MultipartCrlfLfLines => f.crlf_lf_lines,
                    V::MultipartDataAfter => f.data_after,
                    V::MultipartDataBefore => f.data_before,
                    V::MultipartFileLimitExceeded => f.file_limit_exceeded,
                    V::MultipartHeaderFolding => f.header_folding,
                    V::MultipartInvalidHeaderFolding => f.invalid_header_folding,
                    V::MultipartInvalidPart => f.invalid_part,
                    V::MultipartInvalidQuoting => f.invalid_quoting,
                    V::MultipartLfLine => f.lf_line,
                    V::MultipartMissingSemicolon | V::MultipartSemicolonMissing => {
                        f.missing_semicolon
                    }
                    V::MultipartUnmatchedBoundary => f.unmatched_boundary,
                    _ => f.strict_error() || d.reqbody_error,
                };
                scalar(out, var, flag(on), false);
            }
        }
        V::MultipartFilename => scalar(out, var, b(&d.multipart_filename), true),
        V::MultipartName => scalar(out, var, b(&d.multipart_name), true),
        V::PathInfo => scalar(out, var, Cow::Borrowed(b""), true),
        V::QueryString => scalar(out, var, b(&d.query), true),
        V::RemoteAddr | V::RemoteHost | V::UserAgentIp => {
            scalar(out, var, num(d.conn.client_ip), true);
        }
        V::RemotePort => scalar(out, var, num(d.conn.client_port), true),
        V::RemoteUser => scalar(out, var, b(&d.remote_user), true),
        V::ReqbodyError | V::ReqbodyProcessorError => {
            scalar(out, var, flag(d.reqbody_error), false);
        }
        V::ReqbodyErrorMsg | V::ReqbodyProcessorErrorMsg => {
            scalar(out, var, b(d.reqbody_error_msg.as_bytes()), false);
        }
        // Present (empty) when no processor is chosen, as in ModSecurity: CRS 901340 tests
        // it with a negated @rx to force REQUEST_BODY for other content types.
        V::ReqbodyProcessor => {
            scalar(out, var, b(d.processor.unwrap_or("").as_bytes()), false);
        }
        V::RequestBasename => scalar(out, var, b(&d.basename), true),
        V::RequestBody => {
            if d.request_body_var {
                scalar(out, var, b(&d.body), true);
            }
        }
        V::RequestBodyLength => scalar(out, var, num(d.body_length), false),
        V::RequestFilename => scalar(out, var, b(&d.path), true),
        V::RequestLine => scalar(out, var, b(&d.request_line), true),
        V::RequestMethod => scalar(out, var, b(&d.method), true),
        V::RequestProtocol => scalar(out, var, b(&d.protocol), true),
        V::RequestUri => scalar(out, var, b(&d.uri), true),
        V::RequestUriRaw => scalar(out, var, b(&d.uri_raw), true),
        V::ResponseBody => {
            if d.response_body_seen {
                scalar(out, var, b(&d.response_body), true);
            }
        }
        V::ResponseContentLength => {
            if let Some(v) = header(&d.response_headers, b"content-length") {
                scalar(out, var, b(v), true);
            }
        }
        V::ResponseContentType => {
            if let Some(v) = header(&d.response_headers, b"content-type") {
                scalar(out, var, b(v), true);
            }
        }
        V::ResponseProtocol => scalar(out, var, b(&d.response_protocol), true),
        V::ResponseStatus => {
            if let Some(s) = d.status {
                scalar(out, var, num(s), true);
            }
        }
        V::StatusLine => {
            if let Some(s) = d.status {
                let mut l = d.response_protocol.clone();
                l.extend_from_slice(format!(" {s}").as_bytes());
                scalar(out, var, Cow::Owned(l), true);
            }
        }
        V::ServerAddr => scalar(out, var, num(d.conn.server_ip), true),
        V::ServerName => scalar(out, var, b(&d.server_name), true),
        V::ServerPort => scalar(out, var, num(d.conn.server_port), true),
        V::SessionId | V::UserId => scalar(out, var, Cow::Borrowed(b""), true),
        V::StreamInputBody | V::StreamOutputBody | V::WebserverErrorLog => {}
        V::Time
        | V::TimeDay
        | V::TimeEpoch
        | V::TimeHour
        | V::TimeMin
        | V::TimeMon
        | V::TimeSec
        | V::TimeWday
        | V::TimeYear => {
            let t = civil(d.conn.unix_time);
            let v = match var {
                V::Time => format!("{:02}:{:02}:{:02}", t.hour, t.min, t.sec),
                V::TimeDay => t.day.to_string(),
                V::TimeEpoch => d.conn.unix_time.to_string(),
                V::TimeHour => t.hour.to_string(),
                V::TimeMin => t.min.to_string(),
                V::TimeMon => t.month.to_string(),
                V::TimeSec => t.sec.to_string(),
                V::TimeWday => t.wday.to_string(),
                _ => t.year.to_string(),
            };
            scalar(out, var, Cow::Owned(v.into_bytes()), true);
        }
        V::UniqueId => scalar(out, var, b(d.conn.unique_id.as_bytes()), true),
        V::UrlencodedError => scalar(out, var, flag(d.urlencoded_error), false),
        V::WebAppId => scalar(out, var, b(d.web_app_id.as_bytes()), true),
    }
}

/// The first header named `name` (ASCII case-insensitive).
pub(crate) fn header<'h>(h: &'h [(Vec<u8>, Vec<u8>)], name: &[u8]) -> Option<&'h [u8]> {
    h.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_slice())
}

/// A UTC calendar time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    /// Year.
    pub year: i64,
    /// Month 1-12.
    pub month: u32,
    /// Day of month 1-31.
    pub day: u32,
    /// Hour 0-23.
    pub hour: u32,
    /// Minute.
    pub min: u32,
    /// Second.
    pub sec: u32,
    /// Day of week, 0 = Sunday.
    pub wday: u32,
}

/// UTC calendar time from Unix seconds (days-from-civil inverse, proleptic Gregorian).
pub fn civil(t: i64) -> Civil {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    Civil {
        year,
        month,
        day,
        hour: (secs / 3600) as u32,
        min: (secs % 3600 / 60) as u32,
        sec: (secs % 60) as u32,
        wday: (days + 4).rem_euclid(7) as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_time() {
        // 2026-12-03 09:51:24 UTC, a Thursday.
        let c = civil(1_796_291_484);
        assert_eq!((c.year, c.month, c.day), (2026, 12, 3));
        assert_eq!((c.hour, c.min, c.sec, c.wday), (9, 51, 24, 4));
        let e = civil(0);
        assert_eq!((e.year, e.month, e.day, e.wday), (1970, 1, 1, 4));
    }
}
