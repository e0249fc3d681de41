//! Target lists: `ARGS|!REQUEST_HEADERS:Cookie|&TX:foo|ARGS_NAMES:/^x/|XML:/*`.

use super::Ctx;
use crate::ast::{Selector, Variable};
use crate::lex::{Text, is_space};
use crate::registry::{Support, VariableKind, VariableName};

/// Parses a target list. Errors go to `ctx`; the elements that parsed are returned.
pub(crate) fn parse_targets(ctx: &mut Ctx<'_>, t: &Text) -> Vec<Variable> {
    let b = t.as_str().as_bytes();
    let len = b.len();
    let mut out = Vec::new();
    let mut i = 0;
    if b.iter().all(|&c| is_space(c)) {
        ctx.error("empty target list", t.full_span(ctx.file));
        return out;
    }
    loop {
        while i < len && is_space(b[i]) {
            i += 1;
        }
        let start = i;
        match parse_one(ctx, t, &mut i) {
            Ok(v) => out.push(v),
            Err(()) => {
                // Resynchronise at the next `|`.
                while i < len && b[i] != b'|' {
                    i += 1;
                }
            }
        }
        while i < len && is_space(b[i]) {
            i += 1;
        }
        if i >= len {
            break;
        }
        if b[i] == b'|' {
            i += 1;
            if i >= len || b[i..].iter().all(|&c| is_space(c)) {
                ctx.error("target list ends with `|`", t.span(ctx.file, start, len));
                break;
            }
            continue;
        }
        ctx.error(
            "expected `|` between targets",
            t.span(ctx.file, i, (i + 1).min(len)),
        );
        while i < len && b[i] != b'|' {
            i += 1;
        }
        if i < len {
            i += 1;
        } else {
            break;
        }
    }
    out
}

fn parse_one(ctx: &mut Ctx<'_>, t: &Text, i: &mut usize) -> Result<Variable, ()> {
    let s = t.as_str();
    let b = s.as_bytes();
    let len = b.len();
    let start = *i;
    let mut negated = false;
    let mut count = false;
    for _ in 0..2 {
        match b.get(*i) {
            Some(b'!') if !negated => {
                negated = true;
                *i += 1;
            }
            Some(b'&') if !count => {
                count = true;
                *i += 1;
            }
            _ => break,
        }
    }
    let name_start = *i;
    while *i < len && (b[*i].is_ascii_alphanumeric() || b[*i] == b'_') {
        *i += 1;
    }
    let name = &s[name_start..*i];
    let name_span = t.span(ctx.file, name_start, *i);
    if name.is_empty() {
        ctx.error(
            "expected a variable name",
            t.span(ctx.file, start, (*i + 1).min(len)),
        );
        return Err(());
    }
    let Some(entry) = VariableName::lookup(name) else {
        ctx.error(format!("unknown variable `{name}`"), name_span);
        return Err(());
    };
    if let Support::Unsupported { reason } = entry.support {
        ctx.error(
            format!("unsupported variable `{}`: {reason}", entry.name),
            name_span,
        );
        return Err(());
    }
    let mut selector = Selector::None;
    if b.get(*i) == Some(&b':') {
        *i += 1;
        let sel_start = *i;
        selector = match entry.kind {
            VariableKind::Scalar => {
                ctx.error(
                    format!("`{}` is not a collection and takes no selector", entry.name),
                    t.span(ctx.file, start, len.min(sel_start + 1)),
                );
                return Err(());
            }
            VariableKind::Xml => {
                while *i < len && b[*i] != b'|' {
                    *i += 1;
                }
                let x = s[sel_start..*i].trim_end();
                if x.is_empty() {
                    ctx.error("empty XPath selector", t.span(ctx.file, start, *i));
                    return Err(());
                }
                Selector::XPath(x.to_owned())
            }
            VariableKind::Collection => parse_selector(ctx, t, i, start)?,
        };
    }
    if negated && selector == Selector::None {
        ctx.error(
            format!(
                "`!{}` needs a selector: only single elements can be excluded",
                entry.name
            ),
            t.span(ctx.file, start, *i),
        );
        return Err(());
    }
    Ok(Variable {
        negated,
        count,
        collection: entry.value,
        selector,
        span: t.span(ctx.file, start, *i),
    })
}

fn parse_selector(
    ctx: &mut Ctx<'_>,
    t: &Text,
    i: &mut usize,
    start: usize,
) -> Result<Selector, ()> {
    let s = t.as_str();
    let b = s.as_bytes();
    let len = b.len();
    let sel_start = *i;
    match b.get(*i) {
        Some(b'\'') => {
            let mut j = *i + 1;
            let mut val = String::new();
            let mut closed = false;
            while j < len {
                match b[j] {
                    b'\\' if j + 1 < len && matches!(b[j + 1], b'\'' | b'\\') => {
                        val.push(char::from(b[j + 1]));
                        j += 2;
                    }
                    b'\'' => {
                        closed = true;
                        j += 1;
                        break;
                    }
                    _ => {
                        let ch_end = next_char(s, j);
                        val.push_str(&s[j..ch_end]);
                        j = ch_end;
                    }
                }
            }
            *i = j;
            if !closed {
                ctx.error(
                    "unterminated quoted selector",
                    t.span(ctx.file, sel_start, len),
                );
                return Err(());
            }
            if val.len() >= 2 && val.starts_with('/') && val.ends_with('/') {
                Ok(Selector::Regex(val[1..val.len() - 1].to_owned()))
            } else if val.is_empty() {
                ctx.error("empty selector", t.span(ctx.file, start, j));
                Err(())
            } else {
                Ok(Selector::Key(val))
            }
        }
        Some(b'/') => {
            let mut j = *i + 1;
            while j < len {
                if b[j] == b'\\' {
                    j += 2;
                    continue;
                }
                if b[j] == b'/' && (j + 1 >= len || b[j + 1] == b'|' || is_space(b[j + 1])) {
                    let re = &s[*i + 1..j];
                    *i = j + 1;
                    if re.is_empty() {
                        ctx.error("empty regex selector", t.span(ctx.file, start, *i));
                        return Err(());
                    }
                    return Ok(Selector::Regex(re.to_owned()));
                }
                j += 1;
            }
            *i = len;
            ctx.error(
                "unterminated regex selector: expected a closing `/` before `|` or the end",
                t.span(ctx.file, sel_start, len),
            );
            Err(())
        }
        _ => {
            while *i < len && b[*i] != b'|' {
                *i += 1;
            }
            let k = s[sel_start..*i].trim_end();
            if k.is_empty() {
                ctx.error("empty selector after `:`", t.span(ctx.file, start, *i));
                return Err(());
            }
            Ok(Selector::Key(k.to_owned()))
        }
    }
}

fn next_char(s: &str, i: usize) -> usize {
    let mut j = i + 1;
    while j < s.len() && !s.is_char_boundary(j) {
        j += 1;
    }
    j
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::{FileId, SourceFile};

    fn parse(s: &str) -> (Vec<Variable>, Vec<String>) {
        let file = SourceFile::new(FileId(0), "t".into(), s.into());
        let lines = crate::lex::logical_lines(s, 10_000);
        let text = lines[0].text.slice(0, s.len());
        let mut ctx = Ctx::new(&file);
        let v = parse_targets(&mut ctx, &text);
        (v, ctx.errors.into_iter().map(|e| e.0).collect())
    }

    #[test]
    fn crs_shapes() {
        let src = "REQUEST_COOKIES|!REQUEST_COOKIES:/__utm/|&TX:foo|ARGS_NAMES:/^[\\w]+\\[[\\w\\-]+\\]$/|XML:/*|XML://@*|REQUEST_HEADERS:User-Agent";
        let (v, e) = parse(src);
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(v.len(), 7);
        assert!(v[1].negated);
        assert_eq!(v[1].selector, Selector::Regex("__utm".into()));
        assert!(v[2].count);
        assert_eq!(v[2].selector, Selector::Key("foo".into()));
        assert_eq!(
            v[3].selector,
            Selector::Regex("^[\\w]+\\[[\\w\\-]+\\]$".into())
        );
        assert_eq!(v[4].selector, Selector::XPath("/*".into()));
        assert_eq!(v[5].selector, Selector::XPath("//@*".into()));
        assert_eq!(v[6].selector, Selector::Key("User-Agent".into()));
        let sp = v[6].span;
        assert_eq!(
            &src[sp.start as usize..sp.end as usize],
            "REQUEST_HEADERS:User-Agent"
        );
    }

    #[test]
    fn regex_with_pipe_and_slash() {
        let (v, e) = parse("ARGS:/a|b/|ARGS:/x\\/y/|ARGS:'/q/'|ARGS:'it\\'s'");
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(v[0].selector, Selector::Regex("a|b".into()));
        assert_eq!(v[1].selector, Selector::Regex("x\\/y".into()));
        assert_eq!(v[2].selector, Selector::Regex("q".into()));
        assert_eq!(v[3].selector, Selector::Key("it's".into()));
    }

    #[test]
    fn errors() {
        let (v, e) = parse("NOPE|REQUEST_URI:x|!ARGS|ARGS:|ARGS:/abc|ARGS");
        assert_eq!(v.len(), 0, "{v:?}");
        assert_eq!(e.len(), 5, "{e:?}");
        assert!(e[0].contains("unknown variable `NOPE`"));
        assert!(e[1].contains("not a collection"));
        assert!(e[2].contains("needs a selector"));
        assert!(e[3].contains("empty selector"));
        assert!(e[4].contains("unterminated regex"));
        let (_, e) = parse("ARGS|");
        assert!(e[0].contains("ends with"));
        let (_, e) = parse("STREAM_INPUT_BODY");
        assert!(e[0].contains("unsupported variable"));
    }
}
