//! Action lists: `id:1,phase:2,t:none,msg:'it\'s',setvar:'tx.a=+1',ctl:ruleRemoveById=5`.
//!
//! As ModSecurity's `msre_parse_generic`: actions are separated by commas and whitespace; a
//! value follows `:`; a value starting with `'` runs to the next unescaped `'`, with `\'` for a
//! quote and `\\` for a backslash (any other backslash is kept); an unquoted value ends at a comma
//! or whitespace.

use super::{Ctx, parse_id_ranges, parse_macro_string, parse_on_off, targets::parse_targets};
use crate::ast::{
    Action, AllowScope, AuditEngineMode, BodyProcessor, Ctl, EngineMode, MacroString, Phase,
    RuleId, SetVar, SetVarOp, Severity, Spanned,
};
use crate::lex::{Text, is_space};
use crate::registry::{
    ActionName, ArgRequirement, CtlName, Support, TransformationName, VariableName,
};
use crate::span::Span;

/// One `name[:value]` item before typing.
struct RawAction {
    name: String,
    value: Option<Text>,
    span: Span,
    name_span: Span,
}

fn split(ctx: &mut Ctx<'_>, t: &Text) -> Vec<RawAction> {
    let s = t.as_str();
    let b = s.as_bytes();
    let len = b.len();
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        while i < len && (is_space(b[i]) || b[i] == b',') {
            i += 1;
        }
        if i >= len {
            break;
        }
        let start = i;
        while i < len && !(is_space(b[i]) || b[i] == b',' || b[i] == b':') {
            i += 1;
        }
        let name = &s[start..i];
        let name_span = t.span(ctx.file, start, i);
        if name.is_empty() {
            ctx.error(
                "expected an action name before `:`",
                t.span(ctx.file, start, start + 1),
            );
            while i < len && b[i] != b',' {
                i += 1;
            }
            continue;
        }
        let mut value = None;
        if i < len && b[i] == b':' {
            i += 1;
            if i < len && b[i] == b'\'' {
                let vstart = i + 1;
                let mut j = vstart;
                while j < len && b[j] != b'\'' {
                    if b[j] == b'\\' && j + 1 < len && matches!(b[j + 1], b'\'' | b'\\') {
                        j += 2;
                    } else {
                        j += 1;
                    }
                }
                if j >= len {
                    ctx.error(
                        format!("missing closing `'` in the value of `{name}`"),
                        t.span(ctx.file, start, len),
                    );
                    break;
                }
                value = Some(t.unescape(vstart, j, b"'"));
                i = j + 1;
                if i < len && !(is_space(b[i]) || b[i] == b',') {
                    ctx.error(
                        format!("expected `,` after the quoted value of `{name}`"),
                        t.span(ctx.file, i, i + 1),
                    );
                    while i < len && b[i] != b',' {
                        i += 1;
                    }
                }
            } else {
                let vstart = i;
                while i < len && !(is_space(b[i]) || b[i] == b',') {
                    i += 1;
                }
                value = Some(t.slice(vstart, i));
            }
        }
        out.push(RawAction {
            name: name.to_owned(),
            value,
            span: t.span(ctx.file, start, i),
            name_span,
        });
    }
    out
}

/// Parses an action list. Errors go to `ctx`; unknown actions are dropped, unsupported ones are
/// kept as [`Action::Unsupported`] (and reported).
pub(crate) fn parse_actions(ctx: &mut Ctx<'_>, t: &Text) -> Vec<Spanned<Action>> {
    split(ctx, t)
        .into_iter()
        .filter_map(|raw| {
            let span = raw.span;
            typed(ctx, &raw).map(|node| Spanned { node, span })
        })
        .collect()
}

/// Finds an `id:` value cheaply, for naming the rule in errors before the full parse.
pub(crate) fn sniff_id(t: &Text) -> Option<u32> {
    let s = t.as_str();
    let mut rest = s;
    while let Some(i) = rest.find("id:") {
        let before_ok = i == 0
            || rest
                .as_bytes()
                .get(i - 1)
                .is_some_and(|&c| c == b',' || is_space(c) || c == b'"');
        let after = rest[i + 3..].trim_start_matches('\'');
        if before_ok {
            let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
            if let Ok(n) = digits.parse::<u32>() {
                return Some(n);
            }
        }
        rest = &rest[i + 3..];
    }
    None
}

fn typed(ctx: &mut Ctx<'_>, raw: &RawAction) -> Option<Action> {
    let Some(entry) = ActionName::lookup(&raw.name) else {
        ctx.error(format!("unknown action `{}`", raw.name), raw.name_span);
        return None;
    };
    let name = entry.value;
    let value = raw.value.as_ref();
    match (entry.kind.arg, value) {
        (ArgRequirement::None, Some(_)) => {
            ctx.error(format!("action `{}` takes no value", entry.name), raw.span);
            return None;
        }
        (ArgRequirement::Required, None) => {
            ctx.error(format!("action `{}` needs a value", entry.name), raw.span);
            return None;
        }
        _ => {}
    }
    if let Support::Unsupported { reason } = entry.support {
        ctx.error(
            format!("unsupported action `{}`: {reason}", entry.name),
            raw.name_span,
        );
        return Some(Action::Unsupported(
            name,
            value.map(|v| v.as_str().to_owned()),
        ));
    }
    let v = value.map_or("", Text::as_str);
    let span = raw.span;
    let fail = |ctx: &mut Ctx<'_>, msg: String| {
        ctx.error(msg, span);
        None
    };
    let macro_of = |ctx: &mut Ctx<'_>, s: &str| match parse_macro_string(s) {
        Ok(m) => Some(m),
        Err(e) => {
            ctx.error(e, span);
            None
        }
    };
    Some(match name {
        ActionName::Id => match v.parse::<u32>() {
            Ok(n) if n > 0 => Action::Id(RuleId(n)),
            _ => {
                return fail(
                    ctx,
                    format!("invalid rule id `{v}`: expected 1 to 4294967295"),
                );
            }
        },
        ActionName::Phase => match parse_phase(v) {
            Some(p) => Action::Phase(p),
            None => {
                return fail(
                    ctx,
                    format!("invalid phase `{v}`: expected 1-5, request, response or logging"),
                );
            }
        },
        ActionName::Chain => Action::Chain,
        ActionName::Capture => Action::Capture,
        ActionName::MultiMatch => Action::MultiMatch,
        ActionName::Log => Action::Log,
        ActionName::NoLog => Action::NoLog,
        ActionName::AuditLog => Action::AuditLog,
        ActionName::NoAuditLog => Action::NoAuditLog,
        ActionName::Pass => Action::Pass,
        ActionName::Block => Action::Block,
        ActionName::Deny => Action::Deny,
        ActionName::Drop => Action::Drop,
        ActionName::SanitiseMatched => Action::SanitiseMatched,
        ActionName::Msg => Action::Msg(macro_of(ctx, v)?),
        ActionName::LogData => Action::LogData(macro_of(ctx, v)?),
        ActionName::Tag => Action::Tag(macro_of(ctx, v)?),
        ActionName::Severity => match parse_severity(v) {
            Some(s) => Action::Severity(s),
            None => {
                return fail(
                    ctx,
                    format!("invalid severity `{v}`: expected 0-7 or EMERGENCY..DEBUG"),
                );
            }
        },
        ActionName::Ver => Action::Ver(v.to_owned()),
        ActionName::Rev => Action::Rev(v.to_owned()),
        ActionName::Maturity | ActionName::Accuracy => match v.parse::<u8>() {
            Ok(n) if n <= 9 => {
                if name == ActionName::Maturity {
                    Action::Maturity(n)
                } else {
                    Action::Accuracy(n)
                }
            }
            _ => return fail(ctx, format!("invalid {} `{v}`: expected 0-9", entry.name)),
        },
        ActionName::Transform => match TransformationName::lookup(v) {
            Some(t) => {
                if let Support::Unsupported { reason } = t.support {
                    return fail(
                        ctx,
                        format!("unsupported transformation `{}`: {reason}", t.name),
                    );
                }
                Action::Transform(t.value)
            }
            None => return fail(ctx, format!("unknown transformation `{v}`")),
        },
        ActionName::SetVar => match parse_setvar(v) {
            Ok(sv) => Action::SetVar(sv),
            Err(e) => return fail(ctx, e),
        },
        ActionName::Ctl => return parse_ctl(ctx, value?, span).map(Action::Ctl),
        ActionName::Skip => match v.parse::<u32>() {
            Ok(n) if n > 0 => Action::Skip(n),
            _ => {
                return fail(
                    ctx,
                    format!("invalid skip count `{v}`: expected a positive number"),
                );
            }
        },
        ActionName::SkipAfter => {
            if v.is_empty() {
                return fail(ctx, "`skipAfter` needs a marker name".to_owned());
            }
            Action::SkipAfter(v.to_owned())
        }
        ActionName::Allow => match value.map(Text::as_str) {
            None => Action::Allow(AllowScope::All),
            Some(s) if s.eq_ignore_ascii_case("phase") => Action::Allow(AllowScope::Phase),
            Some(s) if s.eq_ignore_ascii_case("request") => Action::Allow(AllowScope::Request),
            Some(s) => {
                return fail(
                    ctx,
                    format!("invalid allow scope `{s}`: expected phase or request"),
                );
            }
        },
        ActionName::Redirect => Action::Redirect(macro_of(ctx, v)?),
        ActionName::Status => match v.parse::<u16>() {
            Ok(n) if (100..=599).contains(&n) => Action::Status(n),
            _ => return fail(ctx, format!("invalid status `{v}`: expected 100-599")),
        },
        ActionName::InitCol => {
            let Some((col, key)) = v.split_once('=') else {
                return fail(
                    ctx,
                    format!("invalid initcol `{v}`: expected collection=key"),
                );
            };
            let collection = match persistent_collection(col) {
                Ok(c) => c,
                Err(e) => return fail(ctx, e),
            };
            Action::InitCol {
                collection,
                key: macro_of(ctx, key)?,
            }
        }
        ActionName::ExpireVar => {
            let (lhs, secs) = v.split_once('=').unwrap_or((v, ""));
            let Some((col, var)) = lhs.split_once('.').filter(|(_, n)| !n.is_empty()) else {
                return fail(
                    ctx,
                    format!("invalid expirevar `{v}`: expected collection.name=seconds"),
                );
            };
            if secs.is_empty() {
                return fail(ctx, format!("invalid expirevar `{v}`: missing seconds"));
            }
            let collection = match writable_collection(col) {
                Ok(c) => c,
                Err(e) => return fail(ctx, e),
            };
            Action::ExpireVar {
                collection,
                name: macro_of(ctx, var)?,
                seconds: macro_of(ctx, secs)?,
            }
        }
        ActionName::SetEnv => {
            let Some((n, val)) = v.split_once('=').filter(|(n, _)| !n.is_empty()) else {
                return fail(ctx, format!("invalid setenv `{v}`: expected name=value"));
            };
            Action::SetEnv {
                name: macro_of(ctx, n)?,
                value: macro_of(ctx, val)?,
            }
        }
        ActionName::SetUid => Action::SetUid(macro_of(ctx, v)?),
        ActionName::SetSid => Action::SetSid(macro_of(ctx, v)?),
        ActionName::SetRsc => Action::SetRsc(macro_of(ctx, v)?),
        ActionName::SanitiseArg => Action::SanitiseArg(v.to_owned()),
        ActionName::SanitiseRequestHeader => Action::SanitiseRequestHeader(v.to_owned()),
        ActionName::SanitiseResponseHeader => Action::SanitiseResponseHeader(v.to_owned()),
        ActionName::SanitiseMatchedBytes => {
            Action::SanitiseMatchedBytes(value.map(|t| t.as_str().to_owned()))
        }
        ActionName::XmlNs => Action::XmlNs(v.to_owned()),
        ActionName::Append
        | ActionName::DeprecateVar
        | ActionName::Exec
        | ActionName::Pause
        | ActionName::Prepend
        | ActionName::Proxy => Action::Unsupported(name, value.map(|t| t.as_str().to_owned())),
    })
}

/// `1`-`5`, `request` (2), `response` (4), `logging` (5).
pub(crate) fn parse_phase(v: &str) -> Option<Phase> {
    match v.to_ascii_lowercase().as_str() {
        "request" => Some(Phase::REQUEST_BODY),
        "response" => Some(Phase::RESPONSE_BODY),
        "logging" => Some(Phase::LOGGING),
        n => n.parse::<u8>().ok().and_then(Phase::new),
    }
}

fn parse_severity(v: &str) -> Option<Severity> {
    if let Ok(n) = v.parse::<usize>() {
        return Severity::ALL.get(n).copied();
    }
    Severity::ALL
        .iter()
        .copied()
        .find(|s| s.name().eq_ignore_ascii_case(v))
}

fn writable_collection(col: &str) -> Result<VariableName, String> {
    match VariableName::lookup(col) {
        Some(e) if e.value.is_writable_collection() => Ok(e.value),
        _ => Err(format!(
            "`{col}` is not a writable collection: expected tx, ip, global, session, user or resource"
        )),
    }
}

fn persistent_collection(col: &str) -> Result<VariableName, String> {
    match writable_collection(col)? {
        VariableName::Tx => Err("initcol cannot initialise `tx`".to_owned()),
        c => Ok(c),
    }
}

/// `tx.name=value`, `tx.name=+n`, `tx.name=-n`, `!tx.name`, `tx.name` (sets `1`).
fn parse_setvar(v: &str) -> Result<SetVar, String> {
    let (delete, spec) = match v.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, v),
    };
    let (lhs, rhs) = match spec.split_once('=') {
        Some((l, r)) => (l, Some(r)),
        None => (spec, None),
    };
    let Some((col, name)) = lhs
        .split_once('.')
        .filter(|(c, n)| !c.is_empty() && !n.is_empty())
    else {
        return Err(format!(
            "malformed setvar `{v}`: expected collection.name[=value]"
        ));
    };
    let collection = writable_collection(col)?;
    let name = parse_macro_string(name)?;
    if delete {
        if rhs.is_some() {
            return Err(format!(
                "malformed setvar `{v}`: `!` deletes and takes no value"
            ));
        }
        return Ok(SetVar {
            collection,
            name,
            op: SetVarOp::Delete,
            value: MacroString::default(),
        });
    }
    let (op, value) = match rhs {
        None => (SetVarOp::Set, "1"),
        Some(r) => match r.as_bytes().first() {
            Some(b'+') => (SetVarOp::Add, &r[1..]),
            Some(b'-') => (SetVarOp::Sub, &r[1..]),
            _ => (SetVarOp::Set, r),
        },
    };
    if matches!(op, SetVarOp::Add | SetVarOp::Sub) && value.is_empty() {
        return Err(format!("malformed setvar `{v}`: missing amount"));
    }
    Ok(SetVar {
        collection,
        name,
        op,
        value: parse_macro_string(value)?,
    })
}

fn parse_ctl(ctx: &mut Ctx<'_>, t: &Text, span: Span) -> Option<Ctl> {
    let s = t.as_str();
    let Some(eq) = s.find('=') else {
        ctx.error(format!("malformed ctl `{s}`: expected option=value"), span);
        return None;
    };
    let (opt, val) = (&s[..eq], &s[eq + 1..]);
    let Some(entry) = CtlName::lookup(opt) else {
        ctx.error(format!("unknown ctl option `{opt}`"), span);
        return None;
    };
    if let Support::Unsupported { reason } = entry.support {
        ctx.error(
            format!("unsupported ctl option `{}`: {reason}", entry.name),
            span,
        );
        return Some(Ctl::Unsupported(entry.value, val.to_owned()));
    }
    let bad = |ctx: &mut Ctx<'_>, what: &str| {
        ctx.error(
            format!(
                "invalid value `{val}` for ctl:{}: expected {what}",
                entry.name
            ),
            span,
        );
        None
    };
    let split_target = |ctx: &mut Ctx<'_>| -> Option<(String, Vec<crate::ast::Variable>)> {
        let Some(semi) = val.find(';') else {
            ctx.error(
                format!(
                    "malformed ctl:{} `{val}`: expected `<rules>;<target>`",
                    entry.name
                ),
                span,
            );
            return None;
        };
        let before = val[..semi].to_owned();
        let target_text = t.slice(eq + 1 + semi + 1, s.len());
        let n = ctx.errors.len();
        let targets = parse_targets(ctx, &target_text);
        (ctx.errors.len() == n).then_some((before, targets))
    };
    Some(match entry.value {
        CtlName::RuleEngine => match parse_engine_mode(val) {
            Some(m) => Ctl::RuleEngine(m),
            None => return bad(ctx, "On, Off or DetectionOnly"),
        },
        CtlName::AuditEngine => match parse_audit_mode(val) {
            Some(m) => Ctl::AuditEngine(m),
            None => return bad(ctx, "On, Off or RelevantOnly"),
        },
        CtlName::RequestBodyAccess
        | CtlName::ForceRequestBodyVariable
        | CtlName::ResponseBodyAccess => {
            let Some(on) = parse_on_off(val) else {
                return bad(ctx, "On or Off");
            };
            match entry.value {
                CtlName::RequestBodyAccess => Ctl::RequestBodyAccess(on),
                CtlName::ForceRequestBodyVariable => Ctl::ForceRequestBodyVariable(on),
                _ => Ctl::ResponseBodyAccess(on),
            }
        }
        CtlName::RequestBodyLimit | CtlName::ResponseBodyLimit => {
            let Ok(n) = val.parse::<u64>() else {
                return bad(ctx, "a number of bytes");
            };
            if entry.value == CtlName::RequestBodyLimit {
                Ctl::RequestBodyLimit(n)
            } else {
                Ctl::ResponseBodyLimit(n)
            }
        }
        CtlName::DebugLogLevel => match val.parse::<u8>() {
            Ok(n) if n <= 9 => Ctl::DebugLogLevel(n),
            _ => return bad(ctx, "0-9"),
        },
        CtlName::RequestBodyProcessor => match val.to_ascii_uppercase().as_str() {
            "URLENCODED" => Ctl::RequestBodyProcessor(BodyProcessor::UrlEncoded),
            "MULTIPART" => Ctl::RequestBodyProcessor(BodyProcessor::Multipart),
            "XML" => Ctl::RequestBodyProcessor(BodyProcessor::Xml),
            "JSON" => Ctl::RequestBodyProcessor(BodyProcessor::Json),
            _ => return bad(ctx, "URLENCODED, MULTIPART, XML or JSON"),
        },
        CtlName::RuleRemoveById => match parse_id_ranges(val) {
            Ok(r) => Ctl::RuleRemoveById(r),
            Err(e) => return bad(ctx, &e),
        },
        CtlName::RuleRemoveByTag | CtlName::RuleRemoveByMsg | CtlName::AuditLogParts => {
            if val.is_empty() {
                return bad(ctx, "a non-empty value");
            }
            match entry.value {
                CtlName::RuleRemoveByTag => Ctl::RuleRemoveByTag(val.to_owned()),
                CtlName::RuleRemoveByMsg => Ctl::RuleRemoveByMsg(val.to_owned()),
                _ => Ctl::AuditLogParts(val.to_owned()),
            }
        }
        CtlName::RuleRemoveTargetById => {
            let (ids, targets) = split_target(ctx)?;
            match parse_id_ranges(&ids) {
                Ok(r) => Ctl::RuleRemoveTargetById(r, targets),
                Err(e) => return bad(ctx, &e),
            }
        }
        CtlName::RuleRemoveTargetByTag | CtlName::RuleRemoveTargetByMsg => {
            let (text, targets) = split_target(ctx)?;
            if text.is_empty() {
                return bad(ctx, "`<text>;<target>`");
            }
            if entry.value == CtlName::RuleRemoveTargetByTag {
                Ctl::RuleRemoveTargetByTag(text, targets)
            } else {
                Ctl::RuleRemoveTargetByMsg(text, targets)
            }
        }
        CtlName::HashEnforcement | CtlName::HashEngine | CtlName::ParseXmlIntoArgs => {
            Ctl::Unsupported(entry.value, val.to_owned())
        }
    })
}

/// `On`, `Off`, `DetectionOnly`.
pub(crate) fn parse_engine_mode(v: &str) -> Option<EngineMode> {
    match v.to_ascii_lowercase().as_str() {
        "on" => Some(EngineMode::On),
        "off" => Some(EngineMode::Off),
        "detectiononly" => Some(EngineMode::DetectionOnly),
        _ => None,
    }
}

/// `On`, `Off`, `RelevantOnly`.
pub(crate) fn parse_audit_mode(v: &str) -> Option<AuditEngineMode> {
    match v.to_ascii_lowercase().as_str() {
        "on" => Some(AuditEngineMode::On),
        "off" => Some(AuditEngineMode::Off),
        "relevantonly" => Some(AuditEngineMode::RelevantOnly),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::{MacroPart, Selector};
    use crate::span::{FileId, SourceFile};

    fn parse(s: &str) -> (Vec<Action>, Vec<String>) {
        let file = SourceFile::new(FileId(0), "t".into(), s.into());
        let lines = crate::lex::logical_lines(s, 100_000);
        let text = lines
            .first()
            .map(|l| l.text.slice(0, s.len()))
            .unwrap_or_default();
        let mut ctx = Ctx::new(&file);
        let v = parse_actions(&mut ctx, &text);
        (
            v.into_iter().map(|a| a.node).collect(),
            ctx.errors.into_iter().map(|e| e.0).collect(),
        )
    }

    #[test]
    fn crs_style_list() {
        let (a, e) = parse(
            "id:901001,    phase:1,deny,status:500,t:none,t:urlDecodeUni,msg:'lama\\'s\\'hell %{TX.0}',severity:'CRITICAL',setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}',ctl:ruleRemoveTargetByTag=xss-perf-disable;REQUEST_FILENAME,skipAfter:END-X,chain",
        );
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(a[0], Action::Id(RuleId(901001)));
        assert_eq!(a[1], Action::Phase(Phase::REQUEST_HEADERS));
        assert_eq!(a[2], Action::Deny);
        assert_eq!(a[3], Action::Status(500));
        assert_eq!(a[4], Action::Transform(TransformationName::None));
        assert_eq!(a[5], Action::Transform(TransformationName::UrlDecodeUni));
        let Action::Msg(m) = &a[6] else { panic!() };
        assert_eq!(m.0[0], MacroPart::Literal("lama's'hell ".into()));
        assert_eq!(a[7], Action::Severity(Severity::Critical));
        let Action::SetVar(sv) = &a[8] else { panic!() };
        assert_eq!(sv.op, SetVarOp::Add);
        assert_eq!(sv.collection, VariableName::Tx);
        assert_eq!(
            sv.name.as_literal().as_deref(),
            Some("inbound_anomaly_score_pl1")
        );
        assert!(sv.value.has_macros());
        let Action::Ctl(Ctl::RuleRemoveTargetByTag(tag, t)) = &a[9] else {
            panic!()
        };
        assert_eq!(tag, "xss-perf-disable");
        assert_eq!(t[0].collection, VariableName::RequestFilename);
        assert_eq!(a[10], Action::SkipAfter("END-X".into()));
        assert_eq!(a[11], Action::Chain);
    }

    #[test]
    fn setvar_forms() {
        let (a, e) = parse(
            "setvar:!tx.a,setvar:tx.b,setvar:tx.c=-5,setvar:'ip.d=x y',setvar:tx.%{rule.id}_e=1",
        );
        assert!(e.is_empty(), "{e:?}");
        let ops: Vec<SetVarOp> = a
            .iter()
            .map(|a| match a {
                Action::SetVar(s) => s.op,
                _ => panic!(),
            })
            .collect();
        assert_eq!(
            ops,
            vec![
                SetVarOp::Delete,
                SetVarOp::Set,
                SetVarOp::Sub,
                SetVarOp::Set,
                SetVarOp::Set
            ]
        );
        let Action::SetVar(b) = &a[1] else { panic!() };
        assert_eq!(b.value.as_literal().as_deref(), Some("1"));
        let Action::SetVar(d) = &a[3] else { panic!() };
        assert_eq!(d.collection, VariableName::Ip);
        assert_eq!(d.value.as_literal().as_deref(), Some("x y"));
    }

    #[test]
    fn ctl_forms() {
        let (a, e) = parse(
            "ctl:ruleRemoveById=920540,ctl:ruleRemoveById=1-5,ctl:ruleEngine=DetectionOnly,ctl:requestBodyProcessor=URLENCODED,ctl:forceRequestBodyVariable=On,ctl:auditEngine=Off,ctl:ruleRemoveTargetById=942100;ARGS:/^x/",
        );
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(
            a[1],
            Action::Ctl(Ctl::RuleRemoveById(vec![crate::ast::IdRange {
                start: 1,
                end: 5
            }]))
        );
        assert_eq!(
            a[2],
            Action::Ctl(Ctl::RuleEngine(EngineMode::DetectionOnly))
        );
        let Action::Ctl(Ctl::RuleRemoveTargetById(ids, t)) = &a[6] else {
            panic!()
        };
        assert_eq!(ids[0].start, 942100);
        assert_eq!(t[0].selector, Selector::Regex("^x".into()));
    }

    #[test]
    fn errors_are_reported_and_parsing_continues() {
        let (a, e) = parse(
            "id:0,phase:6,nosuch,chain:1,msg,t:nosuch,severity:11,status:99,setvar:foo,setvar:tx.a=+,ctl:nosuch=1,ctl:ruleEngine=maybe,exec:/bin/sh,skip:0,log",
        );
        assert_eq!(e.len(), 14, "{e:#?}");
        assert!(e[0].contains("invalid rule id"));
        assert!(e[1].contains("invalid phase"));
        assert!(e[2].contains("unknown action `nosuch`"));
        assert!(e[3].contains("takes no value"));
        assert!(e[4].contains("needs a value"));
        assert!(e[5].contains("unknown transformation"));
        assert!(e[8].contains("malformed setvar"));
        assert!(e[12].contains("unsupported action `exec`"));
        assert_eq!(a.last(), Some(&Action::Log));
        assert!(a.contains(&Action::Unsupported(
            ActionName::Exec,
            Some("/bin/sh".into())
        )));
    }

    #[test]
    fn quoting_errors() {
        let (_, e) = parse("msg:'unclosed");
        assert!(e[0].contains("missing closing"));
        let (a, e) = parse("msg:'a'b,log");
        assert!(e[0].contains("expected `,`"), "{e:?}");
        assert_eq!(a.last(), Some(&Action::Log));
        // A backslash before another character is kept.
        let (a, e) = parse("msg:'a\\db'");
        assert!(e.is_empty());
        assert_eq!(a[0], Action::Msg(MacroString::literal("a\\db")));
    }

    #[test]
    fn sniffs_ids() {
        let t = |s: &str| sniff_id(&crate::lex::logical_lines(s, 1000)[0].text);
        assert_eq!(t("phase:1,id:42,pass"), Some(42));
        assert_eq!(t("id:'7'"), Some(7));
        assert_eq!(t("ruleid:5"), None);
    }
}
