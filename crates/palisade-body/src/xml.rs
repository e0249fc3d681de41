//! XML bodies, parsed just far enough for the two XPath forms CRS uses: `XML:/*` (text
//! content) and `XML://@*` (attribute values).
//!
//! Hand-written, well-formedness-checking tokenizer: elements must nest and match, there must
//! be exactly one root element, attribute values must be quoted, and only the five predefined
//! entities and numeric character references are decoded. Any `<!DOCTYPE` (or other `<!`
//! declaration) is rejected with [`BodyError::XmlDtd`], so no entity can be declared, nothing
//! external is ever referenced and nothing expands (no XXE, no billion laughs). Any other
//! named entity is an error, as in libxml2 without a DTD. Comments and processing
//! instructions are skipped; CDATA sections are text. Depth and node count are bounded by
//! [`Limits::max_xml_depth`] and [`Limits::max_xml_nodes`].

use crate::{BodyError, Limits};

/// A parsed document: text nodes and attribute values in document order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct XmlDocument {
    texts: Vec<Vec<u8>>,
    attributes: Vec<(Vec<u8>, Vec<u8>)>,
    root: Vec<u8>,
}

impl XmlDocument {
    /// Every text node inside the root element (CDATA included, whitespace-only nodes
    /// included, entities decoded), in document order.
    pub fn text_nodes(&self) -> impl Iterator<Item = &[u8]> {
        self.texts.iter().map(Vec::as_slice)
    }

    /// Every attribute value (entities decoded), in document order; what `XML://@*` selects.
    pub fn attribute_values(&self) -> impl Iterator<Item = &[u8]> {
        self.attributes.iter().map(|(_, v)| v.as_slice())
    }

    /// Every attribute as `(name, value)`, in document order.
    pub fn attributes(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.attributes
            .iter()
            .map(|(n, v)| (n.as_slice(), v.as_slice()))
    }

    /// The string value of the root element: all its text nodes concatenated. libxml2, and so
    /// ModSecurity, yields this single value for `XML:/*`.
    pub fn string_value(&self) -> Vec<u8> {
        self.texts.concat()
    }

    /// The root element's name.
    pub fn root_name(&self) -> &[u8] {
        &self.root
    }
}

/// Parses `body` as an XML document.
pub fn parse(body: &[u8], limits: &Limits) -> Result<XmlDocument, BodyError> {
    let b = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let off = body.len() - b.len();
    let err = |message: &'static str, at: usize| BodyError::Xml {
        message,
        offset: at + off,
    };
    let mut doc = XmlDocument::default();
    let mut stack: Vec<&[u8]> = Vec::new();
    let mut seen_root = false;
    let mut nodes = 0usize;
    let count = |n: &mut usize| {
        *n += 1;
        if *n > limits.max_xml_nodes {
            Err(BodyError::XmlNodes {
                limit: limits.max_xml_nodes,
            })
        } else {
            Ok(())
        }
    };
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'<' {
            let end = memchr::memchr(b'<', &b[i..]).map_or(b.len(), |j| i + j);
            let raw = &b[i..end];
            if stack.is_empty() {
                if !raw
                    .iter()
                    .all(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
                {
                    return Err(err("content outside the root element", i));
                }
            } else {
                count(&mut nodes)?;
                doc.texts.push(decode(raw).map_err(|m| err(m, i))?);
            }
            i = end;
            continue;
        }
        let rest = &b[i..];
        if rest.starts_with(b"<?") {
            i = find(b, i + 2, b"?>")
                .ok_or_else(|| err("unterminated processing instruction", i))?
                + 2;
        } else if rest.starts_with(b"<!--") {
            i = find(b, i + 4, b"-->").ok_or_else(|| err("unterminated comment", i))? + 3;
        } else if rest.starts_with(b"<![CDATA[") {
            let end = find(b, i + 9, b"]]>").ok_or_else(|| err("unterminated CDATA section", i))?;
            if stack.is_empty() {
                return Err(err("CDATA outside the root element", i));
            }
            count(&mut nodes)?;
            doc.texts.push(b[i + 9..end].to_vec());
            i = end + 3;
        } else if rest.starts_with(b"<!") {
            return Err(BodyError::XmlDtd { offset: i + off });
        } else if rest.starts_with(b"</") {
            let (name, mut j) = name_at(b, i + 2).ok_or_else(|| err("invalid end tag", i))?;
            j = skip_ws(b, j);
            if b.get(j) != Some(&b'>') {
                return Err(err("invalid end tag", i));
            }
            if stack.pop() != Some(name) {
                return Err(err("mismatched end tag", i));
            }
            i = j + 1;
        } else {
            if stack.is_empty() && seen_root {
                return Err(err("extra content after the root element", i));
            }
            let (name, mut j) = name_at(b, i + 1).ok_or_else(|| err("invalid start tag", i))?;
            count(&mut nodes)?;
            if stack.len() >= limits.max_xml_depth {
                return Err(BodyError::XmlDepth {
                    limit: limits.max_xml_depth,
                });
            }
            if !seen_root {
                seen_root = true;
                doc.root = name.to_vec();
            }
            loop {
                let k = skip_ws(b, j);
                match b.get(k) {
                    Some(b'>') => {
                        stack.push(name);
                        i = k + 1;
                        break;
                    }
                    Some(b'/') if b.get(k + 1) == Some(&b'>') => {
                        i = k + 2;
                        break;
                    }
                    Some(_) if k > j => {
                        let (an, mut m) =
                            name_at(b, k).ok_or_else(|| err("invalid attribute", k))?;
                        m = skip_ws(b, m);
                        if b.get(m) != Some(&b'=') {
                            return Err(err("'=' expected after attribute name", m));
                        }
                        m = skip_ws(b, m + 1);
                        let q = match b.get(m) {
                            Some(&q @ (b'"' | b'\'')) => q,
                            _ => return Err(err("quoted attribute value expected", m)),
                        };
                        let end = memchr::memchr(q, &b[m + 1..])
                            .map(|e| m + 1 + e)
                            .ok_or_else(|| err("unterminated attribute value", m))?;
                        let raw = &b[m + 1..end];
                        if raw.contains(&b'<') {
                            return Err(err("'<' in attribute value", m));
                        }
                        count(&mut nodes)?;
                        doc.attributes
                            .push((an.to_vec(), decode(raw).map_err(|e| err(e, m))?));
                        j = end + 1;
                    }
                    Some(_) => return Err(err("whitespace expected between attributes", k)),
                    None => return Err(err("unterminated start tag", i)),
                }
            }
        }
    }
    if !stack.is_empty() {
        return Err(err("premature end of data, unclosed element", b.len()));
    }
    if !seen_root {
        return Err(err("no root element", b.len()));
    }
    Ok(doc)
}

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(b.get(from..)?, needle).map(|j| from + j)
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\r' | b'\n')) {
        i += 1;
    }
    i
}

/// An XML name at `i`: returns it and the index after it.
fn name_at(b: &[u8], i: usize) -> Option<(&[u8], usize)> {
    let mut j = i;
    while let Some(&c) = b.get(j) {
        let ok = c.is_ascii_alphanumeric() || matches!(c, b'_' | b':' | b'-' | b'.') || c >= 0x80;
        if !ok {
            break;
        }
        j += 1;
    }
    let first = *b.get(i)?;
    if j == i || first.is_ascii_digit() || matches!(first, b'-' | b'.') {
        return None;
    }
    Some((&b[i..j], j))
}

/// Decodes predefined entities and character references.
fn decode(raw: &[u8]) -> Result<Vec<u8>, &'static str> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(j) = memchr::memchr(b'&', &raw[i..]) {
        out.extend_from_slice(&raw[i..i + j]);
        let start = i + j + 1;
        let semi = memchr::memchr(b';', &raw[start..]).ok_or("unterminated entity reference")?;
        let ent = &raw[start..start + semi];
        match ent {
            b"lt" => out.push(b'<'),
            b"gt" => out.push(b'>'),
            b"amp" => out.push(b'&'),
            b"apos" => out.push(b'\''),
            b"quot" => out.push(b'"'),
            _ => {
                let num = ent.strip_prefix(b"#").ok_or("undefined entity")?;
                let (digits, radix) = match num.strip_prefix(b"x") {
                    Some(h) => (h, 16),
                    None => (num, 10),
                };
                let s = std::str::from_utf8(digits).map_err(|_| "invalid character reference")?;
                let cp =
                    u32::from_str_radix(s, radix).map_err(|_| "invalid character reference")?;
                let c = char::from_u32(cp)
                    .filter(|&c| c != '\0')
                    .ok_or("invalid character reference")?;
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
        i = start + semi + 1;
    }
    out.extend_from_slice(&raw[i..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_and_attributes_in_order() {
        let d = parse(
            br#"<?xml version="1.0"?><a x="1 &amp; 2"><b y='z'>hi &lt;</b><![CDATA[<raw>]]><!-- c --><c/></a>"#,
            &Limits::DEFAULT,
        )
        .unwrap();
        assert_eq!(
            d.attribute_values().collect::<Vec<_>>(),
            vec![&b"1 & 2"[..], b"z"]
        );
        assert_eq!(
            d.text_nodes().collect::<Vec<_>>(),
            vec![&b"hi <"[..], b"<raw>"]
        );
        assert_eq!(d.string_value(), b"hi <<raw>");
    }

    #[test]
    fn doctype_is_rejected() {
        let r = parse(
            b"<!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><a>&x;</a>",
            &Limits::DEFAULT,
        );
        assert_eq!(r, Err(BodyError::XmlDtd { offset: 0 }));
    }

    #[test]
    fn mismatched_and_unclosed_are_errors() {
        assert!(parse(b"<a><b></a></b>", &Limits::DEFAULT).is_err());
        assert!(parse(b"<a>", &Limits::DEFAULT).is_err());
        assert!(parse(b"<a/><b/>", &Limits::DEFAULT).is_err());
    }
}
