//! `multipart/form-data` bodies with ModSecurity's strict-parsing flags.
//!
//! The parser is a single linear pass over the body's lines. Anomalies that ModSecurity
//! reports as `MULTIPART_*` variables are collected in [`MultipartFlags`]; problems after
//! which ModSecurity gives up (`REQBODY_ERROR`) are [`BodyError::Multipart`] with
//! ModSecurity-style messages.
//!
//! Flag semantics (when each is set):
//! - `boundary_quoted`: the `boundary` parameter of the `Content-Type` value is quoted.
//! - `boundary_whitespace`: whitespace around the `=` of the `boundary` parameter, or
//!   trailing whitespace after its value.
//! - `missing_semicolon`: the `boundary` parameter is not preceded by `;`.
//! - `data_before`: bytes before the first boundary line.
//! - `data_after`: bytes after the final boundary line other than one line ending.
//! - `header_folding`: a part header continued on a line starting with space or tab.
//! - `invalid_header_folding`: a continuation line with no header before it.
//! - `lf_line`: a boundary or part-header line ends in a bare LF.
//! - `crlf_lf_lines`: both CRLF and bare-LF line endings are used on such lines.
//! - `invalid_quoting`: a `Content-Disposition` parameter value that is unquoted but
//!   contains a quote character, or is quoted and unterminated.
//! - `invalid_part`: a part without headers, or whose `Content-Disposition` is not
//!   `form-data`, has no `name`, or repeats a parameter.
//! - `file_limit_exceeded`: more file parts than [`Limits::max_files`].
//! - `unmatched_boundary`: a line starting with `--` + boundary that is neither a delimiter
//!   nor the close delimiter (it is treated as data, as ModSecurity does).
//!
//! A part is a file part when its `Content-Disposition` has a `filename` parameter (even an
//! empty one); its contents are counted, not stored.

use crate::{Arg, BodyError, Limits};

/// ModSecurity's multipart strict-check flags (see the module docs for each).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[allow(missing_docs)] // documented in the module docs, one line per flag
pub struct MultipartFlags {
    pub boundary_quoted: bool,
    pub boundary_whitespace: bool,
    pub missing_semicolon: bool,
    pub data_before: bool,
    pub data_after: bool,
    pub header_folding: bool,
    pub invalid_header_folding: bool,
    pub lf_line: bool,
    pub crlf_lf_lines: bool,
    pub invalid_quoting: bool,
    pub invalid_part: bool,
    pub file_limit_exceeded: bool,
    pub unmatched_boundary: bool,
}

impl MultipartFlags {
    /// `MULTIPART_STRICT_ERROR` as ModSecurity defines it: any of boundary_quoted,
    /// boundary_whitespace, data_before, data_after, header_folding, lf_line,
    /// missing_semicolon, invalid_quoting, invalid_part, invalid_header_folding,
    /// file_limit_exceeded (the engine ORs in `REQBODY_PROCESSOR_ERROR` itself).
    /// `unmatched_boundary` and `crlf_lf_lines` are separate variables.
    pub fn strict_error(&self) -> bool {
        self.boundary_quoted
            || self.boundary_whitespace
            || self.data_before
            || self.data_after
            || self.header_folding
            || self.lf_line
            || self.missing_semicolon
            || self.invalid_quoting
            || self.invalid_part
            || self.invalid_header_folding
            || self.file_limit_exceeded
    }

    /// `(ModSecurity variable name, value)` for every flag, in a fixed order.
    pub fn variables(&self) -> [(&'static str, bool); 13] {
        [
            ("MULTIPART_BOUNDARY_QUOTED", self.boundary_quoted),
            ("MULTIPART_BOUNDARY_WHITESPACE", self.boundary_whitespace),
            ("MULTIPART_MISSING_SEMICOLON", self.missing_semicolon),
            ("MULTIPART_DATA_BEFORE", self.data_before),
            ("MULTIPART_DATA_AFTER", self.data_after),
            ("MULTIPART_HEADER_FOLDING", self.header_folding),
            (
                "MULTIPART_INVALID_HEADER_FOLDING",
                self.invalid_header_folding,
            ),
            ("MULTIPART_LF_LINE", self.lf_line),
            ("MULTIPART_CRLF_LF_LINES", self.crlf_lf_lines),
            ("MULTIPART_INVALID_QUOTING", self.invalid_quoting),
            ("MULTIPART_INVALID_PART", self.invalid_part),
            ("MULTIPART_FILE_LIMIT_EXCEEDED", self.file_limit_exceeded),
            ("MULTIPART_UNMATCHED_BOUNDARY", self.unmatched_boundary),
        ]
    }
}

/// One part of a multipart body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Part {
    /// The `name` parameter of `Content-Disposition` (`MULTIPART_NAME`), empty if absent.
    pub name: Vec<u8>,
    /// The `filename` parameter (`MULTIPART_FILENAME`, `FILES`); `Some` makes this a file part.
    pub filename: Option<Vec<u8>>,
    /// Headers as `(name, value)`, trimmed, folded lines joined with a space.
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
    /// Contents of a non-file part; empty for file parts.
    pub value: Vec<u8>,
    /// Size of the contents in bytes (for file parts: `FILES_SIZES`).
    pub file_size: usize,
    /// The part's `Content-Type` header value, if any.
    pub content_type: Option<Vec<u8>>,
    /// A header name has a byte outside `0x21..=0x7E`, or a header value a control byte
    /// other than tab (what CRS 922130 looks for in `MULTIPART_PART_HEADERS`).
    pub invalid_header_chars: bool,
}

/// The result of [`parse`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MultipartResult {
    /// The parts in body order (parts flagged `invalid_part` for having no headers are omitted).
    pub parts: Vec<Part>,
    /// The strict-check flags.
    pub flags: MultipartFlags,
    /// `MULTIPART_PART_HEADERS`: `(part name, full header line)` for every header of every part.
    pub part_headers: Vec<(Vec<u8>, Vec<u8>)>,
}

impl MultipartResult {
    /// Non-file parts as arguments (`ARGS_POST`).
    pub fn args(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.parts
            .iter()
            .filter(|p| p.filename.is_none())
            .map(|p| (p.name.as_slice(), p.value.as_slice()))
    }

    /// File parts.
    pub fn files(&self) -> impl Iterator<Item = &Part> {
        self.parts.iter().filter(|p| p.filename.is_some())
    }

    /// `FILES_COMBINED_SIZE`.
    pub fn files_combined_size(&self) -> usize {
        self.files().map(|p| p.file_size).sum()
    }

    /// Non-file parts as owned arguments.
    pub fn to_args(&self) -> Vec<Arg> {
        self.args().map(|(n, v)| (n.to_vec(), v.to_vec())).collect()
    }
}

/// Extracts the boundary from a `Content-Type` value, setting the content-type flags.
pub fn boundary(content_type: &[u8], flags: &mut MultipartFlags) -> Result<Vec<u8>, BodyError> {
    let lower = content_type.to_ascii_lowercase();
    // A `boundary` parameter is the word followed by `=` (whitespace allowed between). The
    // word alone may appear inside a value, as in WebKit's `----WebKitFormBoundary…`.
    let mut params = memchr::memmem::find_iter(&lower, b"boundary")
        .filter(|&at| lower[at + 8..].trim_ascii_start().starts_with(b"="));
    let Some(at) = params.next() else {
        return Err(BodyError::Multipart("Boundary not found in C-T"));
    };
    if params.next().is_some() {
        return Err(BodyError::Multipart("Multiple boundary parameters in C-T"));
    }
    let before = content_type[..at].trim_ascii_end();
    if before.last() != Some(&b';') {
        flags.missing_semicolon = true;
    }
    let mut rest = &content_type[at + 8..];
    let trimmed = rest.trim_ascii_start();
    if trimmed.len() != rest.len() {
        flags.boundary_whitespace = true;
    }
    rest = trimmed;
    let Some(after_eq) = rest.strip_prefix(b"=") else {
        return Err(BodyError::Multipart("Invalid boundary in C-T (malformed)"));
    };
    let trimmed = after_eq.trim_ascii_start();
    if trimmed.len() != after_eq.len() {
        flags.boundary_whitespace = true;
    }
    let value = if let Some(q) = trimmed.strip_prefix(b"\"") {
        flags.boundary_quoted = true;
        let end = memchr::memchr(b'"', q)
            .ok_or(BodyError::Multipart("Invalid boundary in C-T (quote)"))?;
        &q[..end]
    } else {
        let end = memchr::memchr(b';', trimmed).unwrap_or(trimmed.len());
        let v = &trimmed[..end];
        let t = v.trim_ascii_end();
        if t.len() != v.len() {
            flags.boundary_whitespace = true;
        }
        t
    };
    if value.is_empty() || value.len() > 70 {
        return Err(BodyError::Multipart("Invalid boundary in C-T (length)"));
    }
    let valid = |c: &u8| c.is_ascii_alphanumeric() || b"'()+_,-./:=?".contains(c);
    if !value.iter().all(valid) {
        return Err(BodyError::Multipart("Invalid boundary in C-T (characters)"));
    }
    Ok(value.to_vec())
}

#[derive(PartialEq)]
enum State {
    Preamble,
    Headers,
    Data,
    Epilogue,
}

/// Parses a multipart body whose `Content-Type` header value is `content_type`.
pub fn parse(
    body: &[u8],
    content_type: &[u8],
    limits: &Limits,
) -> Result<MultipartResult, BodyError> {
    let mut res = MultipartResult::default();
    let boundary = boundary(content_type, &mut res.flags)?;
    let mut delim = b"--".to_vec();
    delim.extend_from_slice(&boundary);

    let mut state = State::Preamble;
    let mut part = Part::default();
    let mut header_bytes = 0usize;
    let mut raw_headers: Vec<Vec<u8>> = Vec::new();
    let mut pending_eol: &[u8] = b"";
    let mut seen_crlf = false;
    let mut seen_lf = false;
    let mut files = 0usize;
    let mut pos = 0;

    while pos < body.len() {
        let (line, eol, next) = match memchr::memchr(b'\n', &body[pos..]) {
            Some(j) => {
                let end = pos + j;
                if end > pos && body[end - 1] == b'\r' {
                    (&body[pos..end - 1], &body[end - 1..=end], end + 1)
                } else {
                    (&body[pos..end], &body[end..=end], end + 1)
                }
            }
            None => (&body[pos..], &b""[..], body.len()),
        };
        let mut note_eol = |eol: &[u8]| match eol.len() {
            2 => seen_crlf = true,
            1 => seen_lf = true,
            _ => {}
        };

        if state == State::Epilogue {
            // Everything after the close delimiter's line ending.
            if !body[pos..].is_empty() {
                res.flags.data_after = true;
            }
            break;
        }

        // Is this a boundary line?
        let kind = line.strip_prefix(delim.as_slice()).map(|after| {
            if after.starts_with(b"--") {
                if after[2..].trim_ascii().is_empty() {
                    Some(true)
                } else {
                    None
                }
            } else if after.trim_ascii().is_empty() {
                Some(false)
            } else {
                None
            }
        });
        match kind {
            Some(Some(is_final)) => {
                note_eol(eol);
                match state {
                    State::Preamble => {
                        if pos > 0 {
                            res.flags.data_before = true;
                        }
                    }
                    State::Headers => {
                        // A boundary where headers were expected: a part without a body.
                        res.flags.invalid_part = true;
                    }
                    State::Data => {
                        finish_part(
                            &mut res,
                            std::mem::take(&mut part),
                            &raw_headers,
                            limits,
                            &mut files,
                        )?;
                    }
                    State::Epilogue => {}
                }
                raw_headers.clear();
                header_bytes = 0;
                pending_eol = b"";
                if is_final {
                    state = State::Epilogue;
                    if next >= body.len() {
                        break;
                    }
                } else {
                    if res.parts.len() >= limits.max_multipart_parts {
                        return Err(BodyError::Multipart("Too many parts"));
                    }
                    part = Part::default();
                    state = State::Headers;
                }
                pos = next;
                continue;
            }
            Some(None) => res.flags.unmatched_boundary = true,
            None => {}
        }

        match state {
            State::Preamble | State::Epilogue => {}
            State::Headers => {
                note_eol(eol);
                header_bytes += line.len() + eol.len();
                if header_bytes > limits.max_part_header_bytes {
                    return Err(BodyError::Multipart("Part header too long"));
                }
                if line.is_empty() {
                    if eol.is_empty() {
                        break; // EOF inside headers: reported below as missing final boundary
                    }
                    start_data(&mut part, &raw_headers, &mut res.flags)?;
                    state = State::Data;
                } else if line[0] == b' ' || line[0] == b'\t' {
                    res.flags.header_folding = true;
                    match raw_headers.last_mut() {
                        Some(h) => {
                            h.push(b' ');
                            h.extend_from_slice(line.trim_ascii());
                        }
                        None => res.flags.invalid_header_folding = true,
                    }
                } else {
                    if raw_headers.len() >= limits.max_part_headers {
                        return Err(BodyError::Multipart("Too many part headers"));
                    }
                    raw_headers.push(line.to_vec());
                }
            }
            State::Data => {
                let len = pending_eol.len() + line.len();
                part.file_size += len;
                if part.filename.is_some() {
                    if limits.max_file_size.is_some_and(|m| part.file_size > m) {
                        return Err(BodyError::Multipart("Uploaded file exceeds the size limit"));
                    }
                } else {
                    if part.value.len() + len > limits.max_arg_value_len {
                        return Err(BodyError::ArgValueTooLong {
                            limit: limits.max_arg_value_len,
                        });
                    }
                    part.value.extend_from_slice(pending_eol);
                    part.value.extend_from_slice(line);
                }
                pending_eol = eol;
            }
        }
        pos = next;
    }
    if seen_lf {
        res.flags.lf_line = true;
    }
    if seen_lf && seen_crlf {
        res.flags.crlf_lf_lines = true;
    }
    match state {
        State::Epilogue => Ok(res),
        State::Preamble => Err(BodyError::Multipart("No boundaries found in payload")),
        State::Headers | State::Data => Err(BodyError::Multipart("Final boundary missing")),
    }
}

/// Parses the collected header lines of `part` at the blank line.
fn start_data(
    part: &mut Part,
    raw: &[Vec<u8>],
    flags: &mut MultipartFlags,
) -> Result<(), BodyError> {
    let mut disposition: Option<Vec<u8>> = None;
    for line in raw {
        let Some(colon) = memchr::memchr(b':', line) else {
            return Err(BodyError::Multipart("Invalid part header (colon missing)"));
        };
        let name = line[..colon].trim_ascii();
        let value = line[colon + 1..].trim_ascii();
        if name.is_empty() {
            return Err(BodyError::Multipart(
                "Invalid part header (header name missing)",
            ));
        }
        if name.iter().any(|&c| !(0x21..=0x7E).contains(&c))
            || value.iter().any(|&c| (c < 0x20 && c != b'\t') || c == 0x7F)
        {
            part.invalid_header_chars = true;
        }
        if name.eq_ignore_ascii_case(b"content-disposition") {
            if disposition.is_some() {
                return Err(BodyError::Multipart("Duplicate Content-Disposition header"));
            }
            disposition = Some(value.to_vec());
        } else if name.eq_ignore_ascii_case(b"content-type") {
            part.content_type = Some(value.to_vec());
        }
        part.headers.push((name.to_vec(), value.to_vec()));
    }
    let Some(cd) = disposition else {
        return Err(BodyError::Multipart(
            "Part missing Content-Disposition header",
        ));
    };
    parse_disposition(&cd, part, flags);
    Ok(())
}

/// Parses `form-data; name="x"; filename="y"`.
fn parse_disposition(cd: &[u8], part: &mut Part, flags: &mut MultipartFlags) {
    let mut rest = cd;
    let kind_end = memchr::memchr(b';', rest).unwrap_or(rest.len());
    if !rest[..kind_end]
        .trim_ascii()
        .eq_ignore_ascii_case(b"form-data")
    {
        flags.invalid_part = true;
    }
    rest = &rest[kind_end..];
    let mut have_name = false;
    while let Some(r) = rest.strip_prefix(b";") {
        let r = r.trim_ascii_start();
        let eq = memchr::memchr(b'=', r).unwrap_or(r.len());
        let pname = r[..eq].trim_ascii().to_ascii_lowercase();
        let mut v = r.get(eq + 1..).unwrap_or(b"").trim_ascii_start();
        let value: Vec<u8>;
        if let Some(q) = v.strip_prefix(b"\"") {
            let mut out = Vec::new();
            let mut i = 0;
            let mut closed = false;
            while i < q.len() {
                match q[i] {
                    b'\\' if matches!(q.get(i + 1), Some(b'"' | b'\\')) => {
                        out.push(q[i + 1]);
                        i += 2;
                    }
                    b'"' => {
                        closed = true;
                        i += 1;
                        break;
                    }
                    c => {
                        out.push(c);
                        i += 1;
                    }
                }
            }
            if !closed {
                flags.invalid_quoting = true;
            }
            value = out;
            v = q[i..].trim_ascii_start();
            // Anything other than `;` after a quoted value is junk; skip to the next `;`.
            let next = memchr::memchr(b';', v).unwrap_or(v.len());
            if !v[..next].is_empty() {
                flags.invalid_quoting = true;
            }
            rest = &v[next..];
        } else {
            let end = memchr::memchr(b';', v).unwrap_or(v.len());
            let raw = v[..end].trim_ascii_end();
            if raw.contains(&b'"') || raw.contains(&b'\'') {
                flags.invalid_quoting = true;
            }
            value = raw.to_vec();
            rest = &v[end..];
        }
        match pname.as_slice() {
            b"name" => {
                if have_name {
                    flags.invalid_part = true;
                }
                have_name = true;
                part.name = value;
            }
            b"filename" => {
                if part.filename.is_some() {
                    flags.invalid_part = true;
                }
                part.filename = Some(value);
            }
            _ => {}
        }
    }
    if !rest.is_empty() {
        flags.invalid_part = true;
    }
    if !have_name {
        flags.invalid_part = true;
    }
}

fn finish_part(
    res: &mut MultipartResult,
    part: Part,
    raw: &[Vec<u8>],
    limits: &Limits,
    files: &mut usize,
) -> Result<(), BodyError> {
    for line in raw {
        res.part_headers.push((part.name.clone(), line.clone()));
    }
    if part.filename.is_some() {
        *files += 1;
        if *files > limits.max_files {
            res.flags.file_limit_exceeded = true;
        }
    } else if res.parts.len() - *files >= limits.max_args {
        return Err(BodyError::TooManyArgs {
            limit: limits.max_args,
        });
    }
    res.parts.push(part);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CT: &[u8] = b"multipart/form-data; boundary=XyZ";

    #[test]
    fn clean_body_sets_no_flags() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nline1\r\nline2\r\n--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.txt\"\r\nContent-Type: text/plain\r\n\r\nabc\r\n--XyZ--\r\n";
        let r = parse(body, CT, &Limits::DEFAULT).unwrap();
        assert_eq!(r.flags, MultipartFlags::default());
        assert_eq!(
            r.to_args(),
            vec![(b"a".to_vec(), b"line1\r\nline2".to_vec())]
        );
        assert_eq!(r.files_combined_size(), 3);
        assert_eq!(r.part_headers.len(), 3);
    }

    #[test]
    fn boundary_flags() {
        let mut f = MultipartFlags::default();
        assert_eq!(
            boundary(b"multipart/form-data boundary = \"a b\"", &mut f),
            Err(BodyError::Multipart("Invalid boundary in C-T (characters)"))
        );
        assert!(f.missing_semicolon && f.boundary_whitespace && f.boundary_quoted);
    }
}
