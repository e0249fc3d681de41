//! A thin typed view over `saphyr`'s marked YAML tree.
//!
//! Why `saphyr`: `serde_yaml` is deprecated (and banned in `deny.toml`); `serde_norway` keeps
//! serde_yaml's design on top of an `unsafe` C-to-Rust libyaml port; `saphyr` is a maintained,
//! pure-Rust YAML 1.2 loader (the successor of yaml-rust / yaml-rust2) with spans on every node,
//! duplicate-key rejection and an alias-expansion budget. We load with `early_parse(false)`, so
//! every scalar keeps its **raw text**: that is what go-ftw's `gopkg.in/yaml.v3` stores when a
//! scalar such as `Content-Length: 22` is decoded into a Go `string`, and it lets each field
//! resolve its own type (integer, boolean, string) the way yaml.v3 does for the Go field type.

use std::borrow::Cow;

use saphyr::{MarkedYaml, ScalarStyle, Tag, YamlData, YamlLoader};
use saphyr_parser::Parser;

/// A YAML parse error with its 1-based line and column.
#[derive(Debug)]
pub(crate) struct YamlError {
    /// 1-based line.
    pub(crate) line: usize,
    /// 1-based column.
    pub(crate) col: usize,
    /// What the parser said.
    pub(crate) message: String,
}

/// Parses `text` and returns its first document (`None` for an empty or comment-only file).
///
/// Like yaml.v3's `Unmarshal`, only the first document is used.
pub(crate) fn parse(text: &str) -> Result<Option<MarkedYaml<'_>>, YamlError> {
    let mut parser = Parser::new_from_str(text);
    let mut loader: YamlLoader<'_, MarkedYaml<'_>> = YamlLoader::default();
    loader.early_parse(false);
    let scan_error = |e: &saphyr::ScanError| YamlError {
        line: e.marker().line(),
        col: e.marker().col() + 1,
        message: e.info().to_owned(),
    };
    if let Err(e) = parser.load(&mut loader, true) {
        return Err(scan_error(&e));
    }
    if let Some(e) = loader.error() {
        return Err(scan_error(e));
    }
    Ok(loader.into_documents().into_iter().next())
}

/// What a node is, seen through user tags and with scalars left as raw text.
pub(crate) enum Kind<'a, 'input> {
    /// `~`, `null`, an empty value, or `!!null`.
    Null,
    /// A scalar with its raw (unescaped, unfolded) text.
    Scalar {
        /// The scalar's text after YAML's own processing (escapes, folding, chomping).
        text: &'a str,
        /// Whether the scalar was plain (unquoted): only plain scalars resolve to numbers,
        /// booleans and null.
        plain: bool,
        /// An explicit `!!str` tag (always a string).
        str_tag: bool,
    },
    /// A sequence.
    Seq(&'a [MarkedYaml<'input>]),
    /// A mapping, in file order.
    Map(&'a saphyr::AnnotatedMapping<'input, MarkedYaml<'input>>),
    /// Anything else (unresolved alias, bad value).
    Other,
}

/// Classifies `node`.
pub(crate) fn kind<'a, 'input>(node: &'a MarkedYaml<'input>) -> Kind<'a, 'input> {
    match &node.data {
        YamlData::Tagged(_, inner) => kind(inner),
        YamlData::Representation(text, style, tag) => scalar_kind(text, *style, tag.as_deref()),
        YamlData::Value(saphyr::Scalar::Null) => Kind::Null,
        YamlData::Value(saphyr::Scalar::String(text)) => Kind::Scalar {
            text,
            plain: false,
            str_tag: false,
        },
        YamlData::Sequence(items) => Kind::Seq(items),
        YamlData::Mapping(map) => Kind::Map(map),
        _ => Kind::Other,
    }
}

fn scalar_kind<'a, 'input>(
    text: &'a Cow<'input, str>,
    style: ScalarStyle,
    tag: Option<&Tag>,
) -> Kind<'a, 'input> {
    let core = |suffix: &str| tag.is_some_and(|t| t.is_yaml_core_schema() && t.suffix == suffix);
    let plain = matches!(style, ScalarStyle::Plain);
    if core("null")
        || (plain && tag.is_none() && matches!(&**text, "" | "~" | "null" | "Null" | "NULL"))
    {
        return Kind::Null;
    }
    Kind::Scalar {
        text,
        plain,
        str_tag: core("str"),
    }
}

/// 1-based line and column of `node`.
pub(crate) fn position(node: &MarkedYaml<'_>) -> (usize, usize) {
    (node.span.start.line(), node.span.start.col() + 1)
}

/// The raw text of a scalar key, or `None` for a non-scalar key.
pub(crate) fn key_text<'a>(key: &'a MarkedYaml<'_>) -> Option<&'a str> {
    match kind(key) {
        Kind::Scalar { text, .. } => Some(text),
        Kind::Null => Some(""),
        _ => None,
    }
}

/// Resolves a scalar as a string field (yaml.v3 into a Go `string`): any scalar gives its raw
/// text, null gives `None`.
pub(crate) fn string(node: &MarkedYaml<'_>) -> Result<Option<String>, String> {
    match kind(node) {
        Kind::Null => Ok(None),
        Kind::Scalar { text, .. } => Ok(Some(text.to_owned())),
        Kind::Seq(_) => Err("expected a string, found a sequence".to_owned()),
        Kind::Map(_) => Err("expected a string, found a mapping".to_owned()),
        Kind::Other => Err("expected a string".to_owned()),
    }
}

/// Resolves a plain scalar as an unsigned integer (decimal, `0x` hex or `0o` octal, as YAML 1.2's
/// core schema); null gives `None`. Quoted scalars are strings, as in yaml.v3.
pub(crate) fn uint(node: &MarkedYaml<'_>) -> Result<Option<u64>, String> {
    match kind(node) {
        Kind::Null => Ok(None),
        Kind::Scalar {
            text,
            plain: true,
            str_tag: false,
        } => parse_uint(text)
            .map(Some)
            .ok_or_else(|| format!("expected an unsigned integer, found `{text}`")),
        Kind::Scalar { text, .. } => Err(format!(
            "expected an unsigned integer, found the string `{text}`"
        )),
        _ => Err("expected an unsigned integer".to_owned()),
    }
}

fn parse_uint(text: &str) -> Option<u64> {
    let text = text.strip_prefix('+').unwrap_or(text);
    if let Some(hex) = text.strip_prefix("0x") {
        return u64::from_str_radix(hex, 16).ok();
    }
    if let Some(oct) = text.strip_prefix("0o") {
        return u64::from_str_radix(oct, 8).ok();
    }
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Resolves a plain scalar as a boolean, accepting what yaml.v3 accepts for a Go `bool`
/// (YAML 1.2 `true`/`false` in three casings, and YAML 1.1's `yes`/`no`/`on`/`off`/`y`/`n`).
pub(crate) fn boolean(node: &MarkedYaml<'_>) -> Result<Option<bool>, String> {
    match kind(node) {
        Kind::Null => Ok(None),
        Kind::Scalar {
            text,
            plain: true,
            str_tag: false,
        } => match text {
            "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "y" | "Y" => {
                Ok(Some(true))
            }
            "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "n"
            | "N" => Ok(Some(false)),
            _ => Err(format!("expected a boolean, found `{text}`")),
        },
        Kind::Scalar { text, .. } => Err(format!("expected a boolean, found the string `{text}`")),
        _ => Err("expected a boolean".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn first_value(text: &str) -> MarkedYaml<'_> {
        let doc = parse(text).unwrap().unwrap();
        let Kind::Map(map) = kind(&doc) else {
            panic!("not a map")
        };
        map.values().next().unwrap().clone()
    }

    #[test]
    fn scalars_keep_their_raw_text() {
        assert_eq!(string(&first_value("a: 0022")).unwrap().unwrap(), "0022");
        assert_eq!(string(&first_value("a: 1.10")).unwrap().unwrap(), "1.10");
        assert_eq!(string(&first_value("a: True")).unwrap().unwrap(), "True");
        assert_eq!(string(&first_value("a: 'x\\n'")).unwrap().unwrap(), "x\\n");
        assert_eq!(string(&first_value("a: \"x\\n\"")).unwrap().unwrap(), "x\n");
        assert_eq!(
            string(&first_value("a: |\n  l1\n  l2\n")).unwrap().unwrap(),
            "l1\nl2\n"
        );
        assert_eq!(string(&first_value("a: ~")).unwrap(), None);
        assert_eq!(string(&first_value("a:")).unwrap(), None);
        assert_eq!(string(&first_value("a: 'null'")).unwrap().unwrap(), "null");
        assert!(string(&first_value("a: [1]")).is_err());
    }

    #[test]
    fn typed_scalars() {
        assert_eq!(uint(&first_value("a: 80")).unwrap(), Some(80));
        assert_eq!(uint(&first_value("a: 0x10")).unwrap(), Some(16));
        assert!(uint(&first_value("a: '80'")).is_err());
        assert!(uint(&first_value("a: -1")).is_err());
        assert_eq!(boolean(&first_value("a: false")).unwrap(), Some(false));
        assert_eq!(boolean(&first_value("a: yes")).unwrap(), Some(true));
        assert!(boolean(&first_value("a: maybe")).is_err());
    }

    #[test]
    fn errors_carry_positions_and_duplicates_are_rejected() {
        let Err(e) = parse("a: [1,\n") else {
            panic!("parsed")
        };
        assert!(e.line >= 1 && !e.message.is_empty());
        assert!(parse("a: 1\na: 2\n").is_err());
        assert!(parse("# only a comment\n").unwrap().is_none());
    }
}
