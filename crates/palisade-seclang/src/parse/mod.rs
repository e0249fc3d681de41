//! The parser: logical lines → words → typed directives, with every error collected.

mod actions;
mod macros;
mod targets;

use std::collections::{HashMap, HashSet};

pub use macros::parse_macro_string;

use crate::ast::Operator;
use crate::ast::{
    Action, AuditLogFormat, AuditLogType, Directive, IdRange, LimitAction, Rule, RuleId, RuleSet,
    SecAction, Setting, Spanned, UpdateAction, UpdateTarget,
};
use crate::diag::{Diagnostic, Diagnostics, Location, Note};
use crate::lex::{self, LogicalLine, Text, Word};
use crate::loader::{LoadError, Loader, MapLoader, has_wildcards};
use crate::registry::{ActionCategory, ActionName, DirectiveName, OperatorName, Support};
use crate::span::{FileId, SourceFile, Span};

/// Explicit parser limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest file accepted, in bytes (at most `u32::MAX`).
    pub max_file_size: usize,
    /// Longest logical line (after joining continuations), in bytes. CRS's longest is ~12 KB.
    pub max_line_length: usize,
    /// Deepest `Include` nesting.
    pub max_include_depth: usize,
    /// Most files loaded in total.
    pub max_files: usize,
    /// Most rules (`SecRule` including chain links, and `SecAction`).
    pub max_rules: usize,
    /// Most diagnostics collected before parsing stops.
    pub max_diagnostics: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_file_size: 8 * 1024 * 1024,
            max_line_length: 256 * 1024,
            max_include_depth: 16,
            max_files: 4096,
            max_rules: 100_000,
            max_diagnostics: 1000,
        }
    }
}

/// The result of a parse: the rule set (with whatever parsed) and every diagnostic.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The rule set.
    pub rule_set: RuleSet,
    /// Every error, in source order per file.
    pub diagnostics: Vec<Diagnostic>,
}

impl Parsed {
    /// The rule set if there were no errors.
    pub fn into_result(self) -> Result<RuleSet, Diagnostics> {
        if self.diagnostics.is_empty() {
            Ok(self.rule_set)
        } else {
            Err(Diagnostics(self.diagnostics))
        }
    }
}

/// Parses one in-memory file. `Include` fails (there is nothing to load from).
pub fn parse_str(name: &str, text: &str) -> Parsed {
    let loader = MapLoader::new();
    let mut p = Parser::new(&loader);
    p.add_text(name, text);
    p.finish()
}

/// Collects errors while building one directive.
pub(crate) struct Ctx<'f> {
    pub(crate) file: &'f SourceFile,
    pub(crate) errors: Vec<(String, Span)>,
}

impl<'f> Ctx<'f> {
    pub(crate) fn new(file: &'f SourceFile) -> Ctx<'f> {
        Ctx {
            file,
            errors: Vec::new(),
        }
    }

    pub(crate) fn error(&mut self, msg: impl Into<String>, span: Span) {
        self.errors.push((msg.into(), span));
    }
}

/// What one logical line produced.
enum Item {
    Directive(Directive),
    Include {
        pattern: String,
        optional: bool,
    },
    /// A SecRule that had errors; whether it had `chain` (so its children are swallowed).
    FailedRule {
        chain: bool,
    },
    Nothing,
}

struct Outcome {
    item: Item,
    errors: Vec<(String, Span)>,
    rule_id: Option<u32>,
    span: Span,
    is_rule: bool,
}

/// Chain state between directives.
enum Chain {
    None,
    /// The next SecRule is a child of `directives[idx]`.
    Into(usize),
    /// The parent failed; children are parsed for errors and dropped.
    Swallow(Option<u32>),
}

/// Where a rule position asks for checks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Start,
    Child,
    SecAction,
    Default,
    Update,
}

/// A SecLang parser over a [`Loader`]. Load files in order with [`Parser::load`] (or add texts
/// with [`Parser::add_text`]), then call [`Parser::finish`] for the cross-file checks.
pub struct Parser<'l> {
    loader: &'l dyn Loader,
    limits: Limits,
    files: Vec<SourceFile>,
    directives: Vec<Directive>,
    diags: Vec<Diagnostic>,
    include_stack: Vec<String>,
    chain: Chain,
    rules: usize,
    ids: HashMap<u32, Location>,
    markers: HashSet<String>,
    skip_after: Vec<(String, Location, Option<u32>)>,
    aborted: bool,
}

impl<'l> Parser<'l> {
    /// A parser with default [`Limits`].
    pub fn new(loader: &'l dyn Loader) -> Parser<'l> {
        Parser::with_limits(loader, Limits::default())
    }

    /// A parser with explicit limits.
    pub fn with_limits(loader: &'l dyn Loader, limits: Limits) -> Parser<'l> {
        Parser {
            loader,
            limits,
            files: Vec::new(),
            directives: Vec::new(),
            diags: Vec::new(),
            include_stack: Vec::new(),
            chain: Chain::None,
            rules: 0,
            ids: HashMap::new(),
            markers: HashSet::new(),
            skip_after: Vec::new(),
            aborted: false,
        }
    }

    /// Loads a path or glob through the loader, like a top-level `Include`.
    pub fn load(&mut self, path: &str) {
        self.include(path, false, None);
    }

    /// Parses an in-memory text as a file called `name`.
    pub fn add_text(&mut self, name: &str, text: &str) {
        self.add_file(name.to_owned(), text.to_owned(), None);
    }

    /// Runs the whole-set checks (dangling chain, `skipAfter` targets) and returns the result.
    pub fn finish(mut self) -> Parsed {
        self.close_chain(None);
        let skip_after = std::mem::take(&mut self.skip_after);
        for (target, at, rule_id) in skip_after {
            let is_rule = target
                .parse::<u32>()
                .is_ok_and(|n| self.ids.contains_key(&n));
            if !self.markers.contains(&target) && !is_rule {
                self.push_diag(Diagnostic {
                    message: format!("`skipAfter:{target}` names no SecMarker or rule"),
                    source_line: self.line_of(&at),
                    file: at.file,
                    span: at.span,
                    rule_id,
                    notes: Vec::new(),
                });
            }
        }
        Parsed {
            rule_set: RuleSet {
                files: self.files,
                directives: self.directives,
            },
            diagnostics: self.diags,
        }
    }

    fn line_of(&self, at: &Location) -> String {
        self.files
            .get(at.span.file.0 as usize)
            .map(|f| f.line_text(at.span.line).to_owned())
            .unwrap_or_default()
    }

    fn push_diag(&mut self, d: Diagnostic) {
        if self.diags.len() >= self.limits.max_diagnostics {
            if !self.aborted {
                self.aborted = true;
                self.diags.push(Diagnostic {
                    message: format!(
                        "too many errors (limit {}); stopping",
                        self.limits.max_diagnostics
                    ),
                    span: Span::default(),
                    file: String::new(),
                    rule_id: None,
                    source_line: String::new(),
                    notes: Vec::new(),
                });
            }
            return;
        }
        self.diags.push(d);
    }

    fn error_at(&mut self, span: Span, rule_id: Option<u32>, message: String, notes: Vec<Note>) {
        let (file, source_line) = match self.files.get(span.file.0 as usize) {
            Some(f) => (f.name.clone(), f.line_text(span.line).to_owned()),
            None => (String::new(), String::new()),
        };
        self.push_diag(Diagnostic {
            message,
            span,
            file,
            rule_id,
            source_line,
            notes,
        });
    }

    fn error_nowhere(&mut self, message: String) {
        self.push_diag(Diagnostic {
            message,
            span: Span::default(),
            file: String::new(),
            rule_id: None,
            source_line: String::new(),
            notes: Vec::new(),
        });
    }

    fn location(&self, span: Span) -> Location {
        Location {
            file: self
                .files
                .get(span.file.0 as usize)
                .map(|f| f.name.clone())
                .unwrap_or_default(),
            span,
        }
    }

    fn include(&mut self, pattern: &str, optional: bool, from: Option<Span>) {
        let report = |p: &mut Parser<'_>, msg: String| match from {
            Some(s) => p.error_at(s, None, msg, Vec::new()),
            None => p.error_nowhere(msg),
        };
        if self.include_stack.len() >= self.limits.max_include_depth {
            report(
                self,
                format!(
                    "include depth limit of {} exceeded by `{pattern}`",
                    self.limits.max_include_depth
                ),
            );
            return;
        }
        let loaded = match self.loader.load(pattern, from.as_ref()) {
            Ok(files) => files,
            Err(LoadError::NotFound { .. }) if optional => return,
            Err(e) => {
                report(self, format!("cannot include `{pattern}`: {e}"));
                return;
            }
        };
        if loaded.is_empty() && !optional {
            let what = if has_wildcards(pattern) {
                "matches no files"
            } else {
                "loaded nothing"
            };
            report(
                self,
                format!("`{pattern}` {what} (use IncludeOptional to allow this)"),
            );
            return;
        }
        for (name, text) in loaded {
            if self.aborted {
                return;
            }
            if self.include_stack.contains(&name) {
                let mut chain = self.include_stack.clone();
                chain.push(name.clone());
                report(self, format!("include cycle: {}", chain.join(" -> ")));
                continue;
            }
            self.add_file(name, text, from);
        }
    }

    fn add_file(&mut self, name: String, text: String, from: Option<Span>) {
        let report = |p: &mut Parser<'_>, msg: String| match from {
            Some(s) => p.error_at(s, None, msg, Vec::new()),
            None => p.error_nowhere(msg),
        };
        let max_size = self.limits.max_file_size.min(u32::MAX as usize);
        if text.len() > max_size {
            report(
                self,
                format!(
                    "{name} is {} bytes, more than the limit of {max_size}",
                    text.len()
                ),
            );
            return;
        }
        if self.files.len() >= self.limits.max_files {
            report(
                self,
                format!(
                    "more than {} files loaded; `{name}` skipped",
                    self.limits.max_files
                ),
            );
            return;
        }
        let id = FileId(crate::span::to_u32(self.files.len()));
        self.files
            .push(SourceFile::new(id, name.clone(), text.clone()));
        self.include_stack.push(name);
        for line in lex::logical_lines(&text, self.limits.max_line_length) {
            if self.aborted {
                break;
            }
            self.line(id, &line);
        }
        self.include_stack.pop();
    }

    fn line(&mut self, fid: FileId, line: &LogicalLine) {
        let Some(file) = self.files.get(fid.0 as usize) else {
            return;
        };
        if let Some(len) = line.too_long {
            let span = file.span(line.start, line.end);
            let msg = format!(
                "logical line is {len} bytes, longer than the limit of {}",
                self.limits.max_line_length
            );
            self.error_at(span, None, msg, Vec::new());
            return;
        }
        let out = build(file, &line.text);
        let rule_id = match (&self.chain, out.is_rule) {
            (Chain::Into(idx), true) => self.directive_id(*idx).or(out.rule_id),
            (Chain::Swallow(id), true) => id.or(out.rule_id),
            _ => out.rule_id,
        };
        for (msg, span) in out.errors {
            self.error_at(span, rule_id, msg, Vec::new());
        }
        if !out.is_rule {
            self.close_chain(Some(out.span));
        }
        match out.item {
            Item::Nothing => {}
            Item::FailedRule { chain } => {
                self.chain = if chain {
                    Chain::Swallow(rule_id)
                } else {
                    Chain::None
                };
            }
            Item::Include { pattern, optional } => self.include(&pattern, optional, Some(out.span)),
            Item::Directive(Directive::Rule(rule)) => self.rule(rule, rule_id),
            Item::Directive(d) => self.other_directive(d),
        }
    }

    fn directive_id(&self, idx: usize) -> Option<u32> {
        match self.directives.get(idx) {
            Some(Directive::Rule(r)) => r.id().map(|i| i.0),
            _ => None,
        }
    }

    /// A non-SecRule directive (or the end) while a chain waits for its child is an error.
    fn close_chain(&mut self, next: Option<Span>) {
        match std::mem::replace(&mut self.chain, Chain::None) {
            Chain::None | Chain::Swallow(_) => {}
            Chain::Into(idx) => {
                let (span, id) = match self.directives.get(idx) {
                    Some(Directive::Rule(r)) => {
                        let last = r.chain.last().unwrap_or(r);
                        (last.span, r.id().map(|i| i.0))
                    }
                    _ => return,
                };
                let notes = match next {
                    Some(s) => vec![Note {
                        message: "the next directive is not a SecRule".into(),
                        at: Some(self.location(s)),
                    }],
                    None => vec![Note {
                        message: "the rule set ends here".into(),
                        at: None,
                    }],
                };
                self.error_at(
                    span,
                    id,
                    "rule has `chain` but no chained SecRule follows".into(),
                    notes,
                );
            }
        }
    }

    fn count_rule(&mut self, span: Span) -> bool {
        self.rules += 1;
        if self.rules > self.limits.max_rules {
            let msg = format!("more than {} rules", self.limits.max_rules);
            self.error_at(span, None, msg, Vec::new());
            self.aborted = true;
            return false;
        }
        true
    }

    fn rule(&mut self, rule: Rule, rule_id: Option<u32>) {
        if !self.count_rule(rule.span) {
            return;
        }
        match std::mem::replace(&mut self.chain, Chain::None) {
            Chain::Swallow(id) => {
                if rule.is_chain_starter() {
                    self.chain = Chain::Swallow(id);
                }
            }
            Chain::Into(idx) => {
                self.check_role(&rule.actions, Role::Child, rule_id);
                self.collect_skip_after(&rule.actions, rule_id);
                let more = rule.is_chain_starter();
                if let Some(Directive::Rule(parent)) = self.directives.get_mut(idx) {
                    parent.chain.push(rule);
                }
                if more {
                    self.chain = Chain::Into(idx);
                }
            }
            Chain::None => {
                self.check_role(&rule.actions, Role::Start, rule_id);
                self.register_id(&rule.actions);
                self.collect_skip_after(&rule.actions, rule_id);
                let more = rule.is_chain_starter();
                self.directives.push(Directive::Rule(rule));
                if more {
                    self.chain = Chain::Into(self.directives.len() - 1);
                }
            }
        }
    }

    fn other_directive(&mut self, d: Directive) {
        match &d {
            Directive::Action(a) => {
                if !self.count_rule(a.span) {
                    return;
                }
                let id = a.id().map(|i| i.0);
                self.check_role(&a.actions, Role::SecAction, id);
                self.register_id(&a.actions);
                self.collect_skip_after(&a.actions, id);
            }
            Directive::DefaultAction(a) => self.check_role(&a.actions, Role::Default, None),
            Directive::RuleUpdateActionById(u) => {
                self.check_role(&u.actions, Role::Update, Some(u.id.0));
            }
            Directive::Marker(m) => {
                self.markers.insert(m.value.clone());
            }
            _ => {}
        }
        self.directives.push(d);
    }

    fn register_id(&mut self, actions: &[Spanned<Action>]) {
        let Some((id, span)) = actions.iter().find_map(|a| match a.node {
            Action::Id(id) => Some((id.0, a.span)),
            _ => None,
        }) else {
            return;
        };
        if let Some(first) = self.ids.get(&id).cloned() {
            self.error_at(
                span,
                Some(id),
                format!("duplicate rule id {id}"),
                vec![Note {
                    message: "first defined".into(),
                    at: Some(first),
                }],
            );
            return;
        }
        let loc = self.location(span);
        self.ids.insert(id, loc);
    }

    fn collect_skip_after(&mut self, actions: &[Spanned<Action>], rule_id: Option<u32>) {
        for a in actions {
            if let Action::SkipAfter(m) = &a.node {
                let loc = self.location(a.span);
                self.skip_after.push((m.clone(), loc, rule_id));
            }
        }
    }

    fn check_role(&mut self, actions: &[Spanned<Action>], role: Role, rule_id: Option<u32>) {
        let mut errors: Vec<(String, Span)> = Vec::new();
        let mut seen: HashMap<ActionName, Span> = HashMap::new();
        let mut disruptive = false;
        for a in actions {
            let name = a.node.name();
            let entry = name.entry();
            if matches!(name, ActionName::Id | ActionName::Phase) && seen.contains_key(&name) {
                errors.push((format!("`{}` is given more than once", entry.name), a.span));
            }
            seen.entry(name).or_insert(a.span);
            let is_disruptive =
                entry.kind.category == ActionCategory::Disruptive && name != ActionName::Phase;
            disruptive |= is_disruptive;
            let starter_only = is_disruptive
                || matches!(
                    name,
                    ActionName::Id
                        | ActionName::Phase
                        | ActionName::Skip
                        | ActionName::SkipAfter
                        | ActionName::Msg
                        | ActionName::Rev
                        | ActionName::Severity
                        | ActionName::Ver
                        | ActionName::Maturity
                        | ActionName::Accuracy
                );
            match role {
                Role::Child if starter_only => errors.push((
                    format!("`{}` is only allowed in the chain starter", entry.name),
                    a.span,
                )),
                Role::SecAction if name == ActionName::Chain => {
                    errors.push(("SecAction cannot start a chain".to_owned(), a.span))
                }
                Role::Default
                    if entry.kind.category == ActionCategory::Metadata
                        || matches!(
                            name,
                            ActionName::Chain | ActionName::Skip | ActionName::SkipAfter
                        ) =>
                {
                    errors.push((
                        format!("SecDefaultAction must not contain `{}`", entry.name),
                        a.span,
                    ));
                }
                Role::Update if matches!(name, ActionName::Id | ActionName::Chain) => {
                    errors.push((
                        format!("SecRuleUpdateActionById cannot change `{}`", entry.name),
                        a.span,
                    ))
                }
                _ => {}
            }
        }
        if matches!(role, Role::Start | Role::SecAction) && !seen.contains_key(&ActionName::Id) {
            let span = actions.first().map(|a| a.span);
            errors.push((
                "missing `id`: every rule needs one (chained children excepted)".to_owned(),
                span.unwrap_or_default(),
            ));
        }
        if role == Role::Default && !disruptive {
            let span = actions.first().map(|a| a.span).unwrap_or_default();
            errors.push((
                "SecDefaultAction must contain a disruptive action (e.g. `pass`)".to_owned(),
                span,
            ));
        }
        for (msg, span) in errors {
            self.error_at(span, rule_id, msg, Vec::new());
        }
    }
}

/// Builds one directive from a logical line, without parser state.
fn build(file: &SourceFile, line: &Text) -> Outcome {
    let span = line.full_span(file);
    let mut ctx = Ctx::new(file);
    let words = lex::words(line);
    let mut out = Outcome {
        item: Item::Nothing,
        errors: Vec::new(),
        rule_id: None,
        span,
        is_rule: false,
    };
    let Some((name_word, args)) = words.split_first() else {
        return out;
    };
    let name = name_word.text.as_str();
    let Some(entry) = DirectiveName::lookup(name) else {
        out.errors.push((
            format!("unknown directive `{name}`"),
            name_word.text.full_span(file),
        ));
        return out;
    };
    let dname = entry.value;
    out.is_rule = dname == DirectiveName::SecRule;
    if matches!(
        dname,
        DirectiveName::SecRule | DirectiveName::SecAction | DirectiveName::SecRuleUpdateActionById
    ) {
        out.rule_id = args.last().and_then(|w| actions::sniff_id(&w.text));
        if dname == DirectiveName::SecRuleUpdateActionById {
            out.rule_id = args.first().and_then(|w| w.text.as_str().parse().ok());
        }
    }
    if let Support::Unsupported { reason } = entry.support {
        out.errors.push((
            format!("unsupported directive `{}`: {reason}", entry.name),
            name_word.text.full_span(file),
        ));
        return out;
    }
    for w in args {
        if w.unterminated {
            out.errors.push((
                "unterminated quoted argument".to_owned(),
                line.span(file, w.raw.0, w.raw.1),
            ));
        }
    }
    if !out.errors.is_empty() {
        if out.is_rule {
            out.item = Item::FailedRule { chain: false };
        }
        return out;
    }
    if !entry.kind.accepts(args.len()) {
        out.errors.push((
            format!(
                "`{}` takes {} argument(s), found {}",
                entry.name,
                entry.kind,
                args.len()
            ),
            span,
        ));
        if out.is_rule {
            out.item = Item::FailedRule { chain: false };
        }
        return out;
    }
    let item = directive(&mut ctx, dname, args, span);
    out.errors = ctx.errors;
    out.item = match item {
        Some(i) if out.errors.is_empty() => i,
        Some(Item::Directive(Directive::Rule(r))) => Item::FailedRule {
            chain: r.is_chain_starter(),
        },
        _ if out.is_rule => Item::FailedRule {
            chain: args
                .get(2)
                .is_some_and(|w| has_chain_action(w.text.as_str())),
        },
        _ => Item::Nothing,
    };
    out
}

fn has_chain_action(s: &str) -> bool {
    s.split([',', ' ', '\t', '\n'])
        .any(|a| a.trim().eq_ignore_ascii_case("chain"))
}

fn arg_str(args: &[Word], i: usize) -> &str {
    args.get(i).map_or("", |w| w.text.as_str())
}

fn directive(ctx: &mut Ctx<'_>, name: DirectiveName, args: &[Word], span: Span) -> Option<Item> {
    use DirectiveName as D;
    let a0 = arg_str(args, 0);
    macro_rules! set {
        ($v:expr) => {
            Setting { value: $v, span }
        };
    }
    macro_rules! s0 {
        () => {
            Setting {
                value: a0.to_owned(),
                span,
            }
        };
    }
    macro_rules! num {
        ($variant:ident, $ty:ty) => {{
            match a0.parse::<$ty>() {
                Ok(n) => Directive::$variant(Setting { value: n, span }),
                Err(_) => {
                    ctx.error(
                        format!("`{}` needs a number, found `{a0}`", name.name()),
                        span,
                    );
                    return None;
                }
            }
        }};
    }
    macro_rules! on_off {
        ($variant:ident) => {{
            match parse_on_off(a0) {
                Some(b) => Directive::$variant(Setting { value: b, span }),
                None => {
                    ctx.error(
                        format!("`{}` needs On or Off, found `{a0}`", name.name()),
                        span,
                    );
                    return None;
                }
            }
        }};
    }
    let bad = |ctx: &mut Ctx<'_>, what: &str| {
        ctx.error(
            format!("`{}` needs {what}, found `{a0}`", name.name()),
            span,
        );
    };
    let d = match name {
        D::SecRule => {
            let actions = args
                .get(2)
                .map(|w| actions::parse_actions(ctx, &w.text))
                .unwrap_or_default();
            let variables = targets::parse_targets(ctx, &args[0].text);
            let operator = parse_operator(ctx, &args[1].text)?;
            Directive::Rule(Rule {
                variables,
                operator,
                actions,
                chain: Vec::new(),
                span,
            })
        }
        D::SecAction => Directive::Action(SecAction {
            actions: actions::parse_actions(ctx, &args[0].text),
            span,
        }),
        D::SecDefaultAction => Directive::DefaultAction(SecAction {
            actions: actions::parse_actions(ctx, &args[0].text),
            span,
        }),
        D::SecMarker => {
            if a0.is_empty() {
                ctx.error("SecMarker needs a name", span);
                return None;
            }
            Directive::Marker(s0!())
        }
        D::SecRuleRemoveById => {
            let mut ranges = Vec::new();
            for w in args {
                match parse_id_ranges(w.text.as_str()) {
                    Ok(r) => ranges.extend(r),
                    Err(e) => ctx.error(e, w.text.full_span(ctx.file)),
                }
            }
            Directive::RuleRemoveById(set!(ranges))
        }
        D::SecRuleRemoveByTag => Directive::RuleRemoveByTag(s0!()),
        D::SecRuleRemoveByMsg => Directive::RuleRemoveByMsg(s0!()),
        D::SecRuleUpdateTargetById | D::SecRuleUpdateTargetByTag | D::SecRuleUpdateTargetByMsg => {
            let targets = targets::parse_targets(ctx, &args[1].text);
            let replaced = args.get(2).map(|w| targets::parse_targets(ctx, &w.text));
            if name == D::SecRuleUpdateTargetById {
                let selector = match parse_id_ranges(a0) {
                    Ok(r) => r,
                    Err(e) => {
                        ctx.error(e, args[0].text.full_span(ctx.file));
                        return None;
                    }
                };
                Directive::RuleUpdateTargetById(UpdateTarget {
                    selector,
                    targets,
                    replaced,
                    span,
                })
            } else {
                let u = UpdateTarget {
                    selector: a0.to_owned(),
                    targets,
                    replaced,
                    span,
                };
                if name == D::SecRuleUpdateTargetByTag {
                    Directive::RuleUpdateTargetByTag(u)
                } else {
                    Directive::RuleUpdateTargetByMsg(u)
                }
            }
        }
        D::SecRuleUpdateActionById => {
            let id = match a0.parse::<u32>() {
                Ok(n) if n > 0 => RuleId(n),
                _ => {
                    bad(ctx, "a rule id");
                    return None;
                }
            };
            Directive::RuleUpdateActionById(UpdateAction {
                id,
                actions: actions::parse_actions(ctx, &args[1].text),
                span,
            })
        }
        D::SecRuleEngine => match actions::parse_engine_mode(a0) {
            Some(m) => Directive::Engine(set!(m)),
            None => {
                bad(ctx, "On, Off or DetectionOnly");
                return None;
            }
        },
        D::SecAuditEngine | D::SecUploadKeepFiles => match actions::parse_audit_mode(a0) {
            Some(m) if name == D::SecAuditEngine => Directive::AuditEngine(set!(m)),
            Some(m) => Directive::UploadKeepFiles(set!(m)),
            None => {
                bad(ctx, "On, Off or RelevantOnly");
                return None;
            }
        },
        D::SecRequestBodyAccess => on_off!(RequestBodyAccess),
        D::SecResponseBodyAccess => on_off!(ResponseBodyAccess),
        D::SecTmpSaveUploadedFiles => on_off!(TmpSaveUploadedFiles),
        D::SecXmlExternalEntity => on_off!(XmlExternalEntity),
        D::SecStatusEngine => on_off!(StatusEngine),
        D::SecRequestBodyLimit => num!(RequestBodyLimit, u64),
        D::SecRequestBodyNoFilesLimit => num!(RequestBodyNoFilesLimit, u64),
        D::SecRequestBodyInMemoryLimit => num!(RequestBodyInMemoryLimit, u64),
        D::SecRequestBodyJsonDepthLimit => num!(RequestBodyJsonDepthLimit, u64),
        D::SecResponseBodyLimit => num!(ResponseBodyLimit, u64),
        D::SecArgumentsLimit => num!(ArgumentsLimit, u64),
        D::SecPcreMatchLimit => num!(PcreMatchLimit, u64),
        D::SecPcreMatchLimitRecursion => num!(PcreMatchLimitRecursion, u64),
        D::SecUploadFileLimit => num!(UploadFileLimit, u64),
        D::SecCollectionTimeout => num!(CollectionTimeout, u64),
        D::SecRequestBodyLimitAction | D::SecResponseBodyLimitAction => {
            let v = match a0.to_ascii_lowercase().as_str() {
                "reject" => LimitAction::Reject,
                "processpartial" => LimitAction::ProcessPartial,
                _ => {
                    bad(ctx, "Reject or ProcessPartial");
                    return None;
                }
            };
            if name == D::SecRequestBodyLimitAction {
                Directive::RequestBodyLimitAction(set!(v))
            } else {
                Directive::ResponseBodyLimitAction(set!(v))
            }
        }
        D::SecResponseBodyMimeType => Directive::ResponseBodyMimeType(set!(
            args.iter()
                .flat_map(|w| w.text.as_str().split_whitespace())
                .map(str::to_owned)
                .collect()
        )),
        D::SecResponseBodyMimeTypesClear => Directive::ResponseBodyMimeTypesClear(span),
        D::SecArgumentSeparator => {
            if a0.chars().count() != 1 {
                bad(ctx, "a single character");
                return None;
            }
            Directive::ArgumentSeparator(s0!())
        }
        D::SecCookieFormat => match a0 {
            "0" => Directive::CookieFormat(set!(0)),
            "1" => Directive::CookieFormat(set!(1)),
            _ => {
                bad(ctx, "0 or 1");
                return None;
            }
        },
        D::SecDebugLogLevel => match a0.parse::<u8>() {
            Ok(n) if n <= 9 => Directive::DebugLogLevel(set!(n)),
            _ => {
                bad(ctx, "0-9");
                return None;
            }
        },
        D::SecCookieV0Separator => Directive::CookieV0Separator(s0!()),
        D::SecComponentSignature => Directive::ComponentSignature(s0!()),
        D::SecAuditLog => Directive::AuditLog(s0!()),
        D::SecAuditLogParts => Directive::AuditLogParts(s0!()),
        D::SecAuditLogFormat => match a0.to_ascii_lowercase().as_str() {
            "json" => Directive::AuditLogFormat(set!(AuditLogFormat::Json)),
            "native" => Directive::AuditLogFormat(set!(AuditLogFormat::Native)),
            _ => {
                bad(ctx, "JSON or Native");
                return None;
            }
        },
        D::SecAuditLogType => match a0.to_ascii_lowercase().as_str() {
            "serial" => Directive::AuditLogType(set!(AuditLogType::Serial)),
            "concurrent" => Directive::AuditLogType(set!(AuditLogType::Concurrent)),
            "https" => Directive::AuditLogType(set!(AuditLogType::Https)),
            _ => {
                bad(ctx, "Serial, Concurrent or HTTPS");
                return None;
            }
        },
        D::SecAuditLogStorageDir => Directive::AuditLogStorageDir(s0!()),
        D::SecAuditLogDirMode => Directive::AuditLogDirMode(s0!()),
        D::SecAuditLogFileMode => Directive::AuditLogFileMode(s0!()),
        D::SecAuditLogRelevantStatus => Directive::AuditLogRelevantStatus(s0!()),
        D::SecDataDir => Directive::DataDir(s0!()),
        D::SecTmpDir => Directive::TmpDir(s0!()),
        D::SecUploadDir => Directive::UploadDir(s0!()),
        D::SecUploadFileMode => Directive::UploadFileMode(s0!()),
        D::SecDebugLog => Directive::DebugLog(s0!()),
        D::SecWebAppId => Directive::WebAppId(s0!()),
        D::SecUnicodeMapFile => {
            let code_page = match args.get(1) {
                None => None,
                Some(w) => match w.text.as_str().parse::<u32>() {
                    Ok(n) => Some(n),
                    Err(_) => {
                        ctx.error("SecUnicodeMapFile code page must be a number", span);
                        return None;
                    }
                },
            };
            Directive::UnicodeMapFile(set!((a0.to_owned(), code_page)))
        }
        D::Include | D::IncludeOptional => {
            return Some(Item::Include {
                pattern: a0.to_owned(),
                optional: name == D::IncludeOptional,
            });
        }
        // Unsupported directives were rejected before this point.
        _ => {
            ctx.error(format!("unsupported directive `{}`", name.name()), span);
            return None;
        }
    };
    Some(Item::Directive(d))
}

fn parse_operator(ctx: &mut Ctx<'_>, t: &Text) -> Option<Operator> {
    let s = t.as_str();
    let b = s.as_bytes();
    let span = t.full_span(ctx.file);
    let mut i = 0;
    while i < b.len() && lex::is_space(b[i]) {
        i += 1;
    }
    let negated = b.get(i) == Some(&b'!');
    if negated {
        i += 1;
        while i < b.len() && lex::is_space(b[i]) {
            i += 1;
        }
    }
    let (kind, argument) = if b.get(i) == Some(&b'@') {
        let name_start = i + 1;
        let mut j = name_start;
        while j < b.len() && !lex::is_space(b[j]) {
            j += 1;
        }
        let name = &s[name_start..j];
        let name_span = t.span(ctx.file, i, j);
        let Some(entry) = OperatorName::lookup(name) else {
            ctx.error(format!("unknown operator `@{name}`"), name_span);
            return None;
        };
        if let Support::Unsupported { reason } = entry.support {
            ctx.error(
                format!("unsupported operator `@{}`: {reason}", entry.name),
                name_span,
            );
            return None;
        }
        while j < b.len() && lex::is_space(b[j]) {
            j += 1;
        }
        let arg = &s[j..];
        match entry.kind {
            crate::registry::ArgRequirement::Required if arg.is_empty() => {
                ctx.error(
                    format!("operator `@{}` needs an argument", entry.name),
                    span,
                );
                return None;
            }
            crate::registry::ArgRequirement::None if !arg.is_empty() => {
                ctx.error(
                    format!("operator `@{}` takes no argument", entry.name),
                    span,
                );
                return None;
            }
            _ => {}
        }
        (entry.value, arg.to_owned())
    } else {
        (OperatorName::Rx, s[i..].to_owned())
    };
    Some(Operator {
        negated,
        kind,
        argument,
        span,
    })
}

/// `On`/`Off`, case-insensitive.
pub(crate) fn parse_on_off(v: &str) -> Option<bool> {
    if v.eq_ignore_ascii_case("on") {
        Some(true)
    } else if v.eq_ignore_ascii_case("off") {
        Some(false)
    } else {
        None
    }
}

/// Parses `1`, `1-5`, `1,2,10-20` or space-separated lists into ranges.
pub fn parse_id_ranges(s: &str) -> Result<Vec<IdRange>, String> {
    let mut out = Vec::new();
    for part in s.split([',', ' ', '\t']).filter(|p| !p.is_empty()) {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let parse = |x: &str| x.trim().parse::<u32>().ok().filter(|&n| n > 0);
        match (parse(a), parse(b)) {
            (Some(start), Some(end)) if start <= end => out.push(IdRange { start, end }),
            _ => return Err(format!("invalid rule id or range `{part}`")),
        }
    }
    if out.is_empty() {
        return Err(format!("expected rule ids, found `{s}`"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_ranges() {
        assert_eq!(
            parse_id_ranges("1,5-7 9").unwrap(),
            vec![
                IdRange { start: 1, end: 1 },
                IdRange { start: 5, end: 7 },
                IdRange { start: 9, end: 9 }
            ]
        );
        assert!(parse_id_ranges("7-5").is_err());
        assert!(parse_id_ranges("x").is_err());
        assert!(parse_id_ranges("").is_err());
        assert!(parse_id_ranges("0").is_err());
    }

    #[test]
    fn operator_default_is_rx() {
        let p = parse_str("t", "SecRule ARGS \"!foo bar\" \"id:1\"");
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        let Directive::Rule(r) = &p.rule_set.directives[0] else {
            panic!()
        };
        assert!(r.operator.negated);
        assert_eq!(r.operator.kind, OperatorName::Rx);
        assert_eq!(r.operator.argument, "foo bar");
    }

    #[test]
    fn chain_and_checks() {
        let p = parse_str(
            "t",
            "SecRule ARGS \"@rx a\" \"id:1,phase:2,deny,chain\"\n\
             SecRule ARGS \"@rx b\" \"chain,t:none\"\n\
             SecRule ARGS \"@rx c\" \"setvar:tx.x=1\"\n\
             SecRule ARGS \"@rx d\" \"id:2,chain\"\n\
             SecMarker END\n",
        );
        let msgs: Vec<String> = p.diagnostics.iter().map(|d| d.message.clone()).collect();
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        assert!(msgs[0].contains("no chained SecRule follows"));
        let Directive::Rule(r) = &p.rule_set.directives[0] else {
            panic!()
        };
        assert_eq!(r.chain.len(), 2);
        assert_eq!(p.rule_set.directives.len(), 3);
    }
}
