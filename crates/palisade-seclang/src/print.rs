//! `Display`: the AST printed back as valid SecLang.
//!
//! Parsing the output gives the same AST up to spans (tested against all of CRS). Included files
//! are printed inline; chain children are indented by four spaces.

use std::fmt::{self, Display, Write as _};

use crate::ast::{
    Action, AllowScope, AuditEngineMode, AuditLogFormat, AuditLogType, BodyProcessor, Ctl,
    Directive, EngineMode, IdRange, LimitAction, MacroPart, MacroString, Operator, Rule, RuleSet,
    Selector, SetVar, SetVarOp, Spanned, Variable,
};
use crate::registry::DirectiveName;

/// Escapes `s` for a `q`-quoted context: `q` becomes `\q`; a backslash is doubled only where it
/// would otherwise form an escape (before `\`, before `q`, or at the end).
fn escape(s: &str, q: char) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c == q {
            out.push('\\');
            out.push(c);
        } else if c == '\\' {
            match it.peek() {
                None => out.push_str("\\\\"),
                Some(&n) if n == '\\' || n == q => out.push_str("\\\\"),
                Some(_) => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// One Apache word: bare when safe, otherwise double-quoted.
fn word(s: &str) -> String {
    let bare = !s.is_empty()
        && !s
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '\\'));
    if bare {
        s.to_owned()
    } else {
        format!("\"{}\"", escape(s, '"'))
    }
}

/// An action value: bare when safe, otherwise single-quoted.
fn value(s: &str, force_quotes: bool) -> String {
    let bare = !force_quotes
        && !s.is_empty()
        && !s.starts_with('\'')
        && !s.chars().any(|c| c.is_whitespace() || c == ',');
    if bare {
        s.to_owned()
    } else {
        format!("'{}'", escape(s, '\''))
    }
}

impl Display for MacroString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.0 {
            match p {
                MacroPart::Literal(s) => f.write_str(s)?,
                MacroPart::Var {
                    collection,
                    key: None,
                } => write!(f, "%{{{collection}}}")?,
                MacroPart::Var {
                    collection,
                    key: Some(k),
                } => write!(f, "%{{{collection}.{k}}}")?,
            }
        }
        Ok(())
    }
}

impl Display for Variable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negated {
            f.write_char('!')?;
        }
        if self.count {
            f.write_char('&')?;
        }
        f.write_str(self.collection.name())?;
        match &self.selector {
            Selector::None => Ok(()),
            Selector::Key(k) => {
                if k.starts_with(['\'', '/']) || k.contains('|') || k.trim_end() != k {
                    write!(f, ":'{}'", escape(k, '\''))
                } else {
                    write!(f, ":{k}")
                }
            }
            Selector::Regex(r) => write!(f, ":/{r}/"),
            Selector::XPath(x) => write!(f, ":{x}"),
        }
    }
}

fn targets(vars: &[Variable]) -> String {
    let mut s = String::new();
    for (i, v) in vars.iter().enumerate() {
        if i > 0 {
            s.push('|');
        }
        let _ = write!(s, "{v}");
    }
    s
}

impl Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negated {
            f.write_char('!')?;
        }
        write!(f, "@{}", self.kind)?;
        if !self.argument.is_empty() {
            write!(f, " {}", self.argument)?;
        }
        Ok(())
    }
}

fn ranges(r: &[IdRange]) -> String {
    r.iter()
        .map(|r| {
            if r.start == r.end {
                r.start.to_string()
            } else {
                format!("{}-{}", r.start, r.end)
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn engine(m: EngineMode) -> &'static str {
    match m {
        EngineMode::On => "On",
        EngineMode::Off => "Off",
        EngineMode::DetectionOnly => "DetectionOnly",
    }
}

fn audit(m: AuditEngineMode) -> &'static str {
    match m {
        AuditEngineMode::On => "On",
        AuditEngineMode::Off => "Off",
        AuditEngineMode::RelevantOnly => "RelevantOnly",
    }
}

fn on_off(b: bool) -> &'static str {
    if b { "On" } else { "Off" }
}

impl Display for Ctl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (name, v) = match self {
            Ctl::RuleEngine(m) => ("ruleEngine", engine(*m).to_owned()),
            Ctl::RuleRemoveById(r) => ("ruleRemoveById", ranges(r)),
            Ctl::RuleRemoveByTag(t) => ("ruleRemoveByTag", t.clone()),
            Ctl::RuleRemoveByMsg(t) => ("ruleRemoveByMsg", t.clone()),
            Ctl::RuleRemoveTargetById(r, t) => (
                "ruleRemoveTargetById",
                format!("{};{}", ranges(r), targets(t)),
            ),
            Ctl::RuleRemoveTargetByTag(s, t) => {
                ("ruleRemoveTargetByTag", format!("{s};{}", targets(t)))
            }
            Ctl::RuleRemoveTargetByMsg(s, t) => {
                ("ruleRemoveTargetByMsg", format!("{s};{}", targets(t)))
            }
            Ctl::RequestBodyProcessor(p) => (
                "requestBodyProcessor",
                match p {
                    BodyProcessor::UrlEncoded => "URLENCODED",
                    BodyProcessor::Multipart => "MULTIPART",
                    BodyProcessor::Xml => "XML",
                    BodyProcessor::Json => "JSON",
                }
                .to_owned(),
            ),
            Ctl::RequestBodyAccess(b) => ("requestBodyAccess", on_off(*b).to_owned()),
            Ctl::RequestBodyLimit(n) => ("requestBodyLimit", n.to_string()),
            Ctl::ForceRequestBodyVariable(b) => ("forceRequestBodyVariable", on_off(*b).to_owned()),
            Ctl::ResponseBodyAccess(b) => ("responseBodyAccess", on_off(*b).to_owned()),
            Ctl::ResponseBodyLimit(n) => ("responseBodyLimit", n.to_string()),
            Ctl::AuditEngine(m) => ("auditEngine", audit(*m).to_owned()),
            Ctl::AuditLogParts(p) => ("auditLogParts", p.clone()),
            Ctl::DebugLogLevel(n) => ("debugLogLevel", n.to_string()),
            Ctl::Unsupported(n, v) => (n.name(), v.clone()),
        };
        f.write_str(&value(&format!("{name}={v}"), false))
    }
}

impl Display for SetVar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self.op {
            SetVarOp::Delete => format!(
                "!{}.{}",
                self.collection.name().to_ascii_lowercase(),
                self.name
            ),
            op => {
                let sign = match op {
                    SetVarOp::Add => "+",
                    SetVarOp::Sub => "-",
                    _ => "",
                };
                format!(
                    "{}.{}={sign}{}",
                    self.collection.name().to_ascii_lowercase(),
                    self.name,
                    self.value
                )
            }
        };
        f.write_str(&value(&s, true))
    }
}

impl Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.name().name();
        let v: Option<String> = match self {
            Action::Id(id) => Some(id.0.to_string()),
            Action::Phase(p) => Some(p.number().to_string()),
            Action::Msg(m) | Action::LogData(m) | Action::Tag(m) => {
                Some(value(&m.to_string(), true))
            }
            Action::Severity(s) => Some(value(s.name(), true)),
            Action::Ver(s) | Action::Rev(s) => Some(value(s, true)),
            Action::Maturity(n) | Action::Accuracy(n) => Some(n.to_string()),
            Action::Transform(t) => Some(t.name().to_owned()),
            Action::SetVar(s) => Some(s.to_string()),
            Action::Ctl(c) => Some(c.to_string()),
            Action::Skip(n) => Some(n.to_string()),
            Action::SkipAfter(m) => Some(value(m, false)),
            Action::Allow(AllowScope::All) => None,
            Action::Allow(AllowScope::Phase) => Some("phase".to_owned()),
            Action::Allow(AllowScope::Request) => Some("request".to_owned()),
            Action::Redirect(m) | Action::SetUid(m) | Action::SetSid(m) | Action::SetRsc(m) => {
                Some(value(&m.to_string(), true))
            }
            Action::Status(n) => Some(n.to_string()),
            Action::InitCol { collection, key } => Some(value(
                &format!("{}={key}", collection.name().to_ascii_lowercase()),
                true,
            )),
            Action::ExpireVar {
                collection,
                name,
                seconds,
            } => Some(value(
                &format!(
                    "{}.{name}={seconds}",
                    collection.name().to_ascii_lowercase()
                ),
                true,
            )),
            Action::SetEnv { name, value: v } => Some(value(&format!("{name}={v}"), true)),
            Action::SanitiseArg(s)
            | Action::SanitiseRequestHeader(s)
            | Action::SanitiseResponseHeader(s)
            | Action::XmlNs(s) => Some(value(s, false)),
            Action::SanitiseMatchedBytes(s) => s.as_deref().map(|s| value(s, false)),
            Action::Unsupported(_, s) => s.as_deref().map(|s| value(s, true)),
            Action::Chain
            | Action::Capture
            | Action::MultiMatch
            | Action::Log
            | Action::NoLog
            | Action::AuditLog
            | Action::NoAuditLog
            | Action::Pass
            | Action::Block
            | Action::Deny
            | Action::Drop
            | Action::SanitiseMatched => None,
        };
        match v {
            Some(v) => write!(f, "{name}:{v}"),
            None => f.write_str(name),
        }
    }
}

fn action_list(actions: &[Spanned<Action>]) -> String {
    actions
        .iter()
        .map(|a| a.node.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn fmt_rule(f: &mut fmt::Formatter<'_>, r: &Rule, indent: &str) -> fmt::Result {
    write!(
        f,
        "{indent}SecRule {} {}",
        word(&targets(&r.variables)),
        word(&r.operator.to_string())
    )?;
    if !r.actions.is_empty() {
        write!(f, " {}", word(&action_list(&r.actions)))?;
    }
    Ok(())
}

impl Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_rule(f, self, "")?;
        for c in &self.chain {
            f.write_char('\n')?;
            fmt_rule(f, c, "    ")?;
        }
        Ok(())
    }
}

impl Display for Directive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use DirectiveName as D;
        let s = |x: &String| vec![x.clone()];
        let n = |x: &u64| vec![x.to_string()];
        let b = |x: &bool| vec![on_off(*x).to_owned()];
        let limit = |x: &LimitAction| {
            vec![
                match x {
                    LimitAction::Reject => "Reject",
                    LimitAction::ProcessPartial => "ProcessPartial",
                }
                .to_owned(),
            ]
        };
        let (name, args): (DirectiveName, Vec<String>) = match self {
            Directive::Rule(r) => return r.fmt(f),
            Directive::Action(a) => (D::SecAction, vec![action_list(&a.actions)]),
            Directive::DefaultAction(a) => (D::SecDefaultAction, vec![action_list(&a.actions)]),
            Directive::Marker(m) => (D::SecMarker, s(&m.value)),
            Directive::RuleRemoveById(r) => (D::SecRuleRemoveById, vec![ranges(&r.value)]),
            Directive::RuleRemoveByTag(t) => (D::SecRuleRemoveByTag, s(&t.value)),
            Directive::RuleRemoveByMsg(t) => (D::SecRuleRemoveByMsg, s(&t.value)),
            Directive::RuleUpdateTargetById(u) => {
                let mut a = vec![ranges(&u.selector), targets(&u.targets)];
                a.extend(u.replaced.as_deref().map(targets));
                (D::SecRuleUpdateTargetById, a)
            }
            Directive::RuleUpdateTargetByTag(u) | Directive::RuleUpdateTargetByMsg(u) => {
                let mut a = vec![u.selector.clone(), targets(&u.targets)];
                a.extend(u.replaced.as_deref().map(targets));
                let d = if matches!(self, Directive::RuleUpdateTargetByTag(_)) {
                    D::SecRuleUpdateTargetByTag
                } else {
                    D::SecRuleUpdateTargetByMsg
                };
                (d, a)
            }
            Directive::RuleUpdateActionById(u) => (
                D::SecRuleUpdateActionById,
                vec![u.id.0.to_string(), action_list(&u.actions)],
            ),
            Directive::Engine(m) => (D::SecRuleEngine, vec![engine(m.value).to_owned()]),
            Directive::RequestBodyAccess(x) => (D::SecRequestBodyAccess, b(&x.value)),
            Directive::RequestBodyLimit(x) => (D::SecRequestBodyLimit, n(&x.value)),
            Directive::RequestBodyNoFilesLimit(x) => (D::SecRequestBodyNoFilesLimit, n(&x.value)),
            Directive::RequestBodyInMemoryLimit(x) => (D::SecRequestBodyInMemoryLimit, n(&x.value)),
            Directive::RequestBodyLimitAction(x) => (D::SecRequestBodyLimitAction, limit(&x.value)),
            Directive::RequestBodyJsonDepthLimit(x) => {
                (D::SecRequestBodyJsonDepthLimit, n(&x.value))
            }
            Directive::ResponseBodyAccess(x) => (D::SecResponseBodyAccess, b(&x.value)),
            Directive::ResponseBodyMimeType(x) => (D::SecResponseBodyMimeType, x.value.clone()),
            Directive::ResponseBodyMimeTypesClear(_) => (D::SecResponseBodyMimeTypesClear, vec![]),
            Directive::ResponseBodyLimit(x) => (D::SecResponseBodyLimit, n(&x.value)),
            Directive::ResponseBodyLimitAction(x) => {
                (D::SecResponseBodyLimitAction, limit(&x.value))
            }
            Directive::ArgumentsLimit(x) => (D::SecArgumentsLimit, n(&x.value)),
            Directive::ArgumentSeparator(x) => (D::SecArgumentSeparator, s(&x.value)),
            Directive::CookieFormat(x) => (D::SecCookieFormat, vec![x.value.to_string()]),
            Directive::CookieV0Separator(x) => (D::SecCookieV0Separator, s(&x.value)),
            Directive::ComponentSignature(x) => (D::SecComponentSignature, s(&x.value)),
            Directive::PcreMatchLimit(x) => (D::SecPcreMatchLimit, n(&x.value)),
            Directive::PcreMatchLimitRecursion(x) => (D::SecPcreMatchLimitRecursion, n(&x.value)),
            Directive::AuditEngine(x) => (D::SecAuditEngine, vec![audit(x.value).to_owned()]),
            Directive::AuditLog(x) => (D::SecAuditLog, s(&x.value)),
            Directive::AuditLogParts(x) => (D::SecAuditLogParts, s(&x.value)),
            Directive::AuditLogFormat(x) => (
                D::SecAuditLogFormat,
                vec![
                    match x.value {
                        AuditLogFormat::Json => "JSON",
                        AuditLogFormat::Native => "Native",
                    }
                    .to_owned(),
                ],
            ),
            Directive::AuditLogType(x) => (
                D::SecAuditLogType,
                vec![
                    match x.value {
                        AuditLogType::Serial => "Serial",
                        AuditLogType::Concurrent => "Concurrent",
                        AuditLogType::Https => "HTTPS",
                    }
                    .to_owned(),
                ],
            ),
            Directive::AuditLogStorageDir(x) => (D::SecAuditLogStorageDir, s(&x.value)),
            Directive::AuditLogDirMode(x) => (D::SecAuditLogDirMode, s(&x.value)),
            Directive::AuditLogFileMode(x) => (D::SecAuditLogFileMode, s(&x.value)),
            Directive::AuditLogRelevantStatus(x) => (D::SecAuditLogRelevantStatus, s(&x.value)),
            Directive::DataDir(x) => (D::SecDataDir, s(&x.value)),
            Directive::TmpDir(x) => (D::SecTmpDir, s(&x.value)),
            Directive::UploadDir(x) => (D::SecUploadDir, s(&x.value)),
            Directive::UploadKeepFiles(x) => {
                (D::SecUploadKeepFiles, vec![audit(x.value).to_owned()])
            }
            Directive::UploadFileLimit(x) => (D::SecUploadFileLimit, n(&x.value)),
            Directive::UploadFileMode(x) => (D::SecUploadFileMode, s(&x.value)),
            Directive::TmpSaveUploadedFiles(x) => (D::SecTmpSaveUploadedFiles, b(&x.value)),
            Directive::CollectionTimeout(x) => (D::SecCollectionTimeout, n(&x.value)),
            Directive::DebugLog(x) => (D::SecDebugLog, s(&x.value)),
            Directive::DebugLogLevel(x) => (D::SecDebugLogLevel, vec![x.value.to_string()]),
            Directive::WebAppId(x) => (D::SecWebAppId, s(&x.value)),
            Directive::XmlExternalEntity(x) => (D::SecXmlExternalEntity, b(&x.value)),
            Directive::UnicodeMapFile(x) => {
                let mut a = vec![x.value.0.clone()];
                a.extend(x.value.1.map(|c| c.to_string()));
                (D::SecUnicodeMapFile, a)
            }
            Directive::StatusEngine(x) => (D::SecStatusEngine, b(&x.value)),
        };
        f.write_str(name.name())?;
        for a in args {
            write!(f, " {}", word(&a))?;
        }
        Ok(())
    }
}

impl Display for RuleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.directives {
            writeln!(f, "{d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_round_trips_through_the_lexer() {
        for s in [
            "plain",
            "a\"b",
            "back\\slash",
            "end\\",
            "\\\\",
            "\\\"",
            "\\x5c",
            "",
            "two words",
        ] {
            let w = word(s);
            let line = format!("X {w}");
            let l = crate::lex::logical_lines(&line, 1000);
            let words = crate::lex::words(&l[0].text);
            let got = words.get(1).map_or("", |w| w.text.as_str());
            assert_eq!(got, s, "word {w:?}");
        }
    }

    #[test]
    fn action_values_are_quoted_when_needed() {
        assert_eq!(value("abc", false), "abc");
        assert_eq!(value("a,b", false), "'a,b'");
        assert_eq!(value("it's", true), "'it\\'s'");
        assert_eq!(value("", false), "''");
    }
}
