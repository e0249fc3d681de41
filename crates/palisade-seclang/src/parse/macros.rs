//! `%{...}` macro strings.

use crate::ast::{MacroPart, MacroString};
use crate::registry::VariableName;

/// Parses `%{COLLECTION}` and `%{collection.key}` macros in `s`.
///
/// Text that does not look like a macro (`%{` without `}`, `%{}`, a name with characters other
/// than letters, digits and `_`) stays literal, as in ModSecurity. A well-formed macro naming an
/// unknown variable is an error.
pub fn parse_macro_string(s: &str) -> Result<MacroString, String> {
    let mut parts = Vec::new();
    let mut lit = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("%{") {
        let after = &rest[i + 2..];
        let Some(close) = after.find('}') else {
            break;
        };
        let inner = &after[..close];
        let (name, key) = match inner.find(['.', ':']) {
            Some(d) => (&inner[..d], Some(&inner[d + 1..])),
            None => (inner, None),
        };
        let well_formed = !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && key.is_none_or(|k| !k.is_empty() && !k.contains(['%', '{']));
        if !well_formed {
            lit.push_str(&rest[..i + 2]);
            rest = after;
            continue;
        }
        let Some(entry) = VariableName::lookup(name) else {
            return Err(format!("unknown variable `{name}` in macro `%{{{inner}}}`"));
        };
        lit.push_str(&rest[..i]);
        if !lit.is_empty() {
            parts.push(MacroPart::Literal(std::mem::take(&mut lit)));
        }
        parts.push(MacroPart::Var {
            collection: entry.value,
            key: key.map(str::to_owned),
        });
        rest = &after[close + 1..];
    }
    lit.push_str(rest);
    if !lit.is_empty() {
        parts.push(MacroPart::Literal(lit));
    }
    Ok(MacroString(parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_macros() {
        let m = parse_macro_string("Matched %{TX.0} in %{MATCHED_VAR_NAME}!").unwrap();
        assert_eq!(
            m.0,
            vec![
                MacroPart::Literal("Matched ".into()),
                MacroPart::Var {
                    collection: VariableName::Tx,
                    key: Some("0".into())
                },
                MacroPart::Literal(" in ".into()),
                MacroPart::Var {
                    collection: VariableName::MatchedVarName,
                    key: None
                },
                MacroPart::Literal("!".into()),
            ]
        );
        let m = parse_macro_string("%{request_headers.host}").unwrap();
        assert_eq!(
            m.0,
            vec![MacroPart::Var {
                collection: VariableName::RequestHeaders,
                key: Some("host".into())
            }]
        );
    }

    #[test]
    fn malformed_macros_stay_literal() {
        for s in ["100%", "%{", "%{}", "a %{b c} d", "%{tx.}", "50%{"] {
            assert_eq!(
                parse_macro_string(s).unwrap().as_literal().as_deref(),
                Some(s)
            );
        }
        assert!(parse_macro_string("").unwrap().0.is_empty());
    }

    #[test]
    fn unknown_collection_is_an_error() {
        let e = parse_macro_string("%{nosuch.x}").unwrap_err();
        assert!(e.contains("nosuch"), "{e}");
    }
}
