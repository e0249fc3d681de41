//! AST → [`Engine`]: default actions, targets, operators, transformation chains, markers,
//! and the directives that change rules defined before them (`SecRuleRemove*`,
//! `SecRuleUpdate*`). Every error of the rule set is collected and reported at once.
//!
//! Operators are compiled first, each distinct one once and on all available cores
//! (regexes and phrase automata are most of the load time); data files are read on the
//! calling thread. Then the rules are built in load order from those results, so errors
//! and their order are the same as when compiling one rule after the other.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use palisade_seclang::registry::TransformationName;
use palisade_seclang::{
    Action, Ctl, Diagnostic, Diagnostics, Directive, Rule as AstRule, RuleSet, SecAction, Selector,
    Span, Spanned, UpdateTarget, Variable,
};

use super::rule::{Disruptive, Effect, Exclusion, Item, Meta, Rule, RuleSel, Sel, Target};
use super::{DataFiles, Engine, EngineConfig};
use crate::operators::{self, CompiledOperator, DataLoader, OperatorError};
use crate::transformations::{self, TransformFn};

/// SecDefaultAction for one phase.
#[derive(Debug, Clone)]
struct Defaults {
    log: bool,
    auditlog: bool,
    disruptive: Disruptive,
    status: Option<u16>,
    transforms: Vec<TransformationName>,
}

impl Default for Defaults {
    /// ModSecurity's built-in default: `phase:2,log,auditlog,pass`.
    fn default() -> Self {
        Defaults {
            log: true,
            auditlog: true,
            disruptive: Disruptive::Pass,
            status: None,
            transforms: Vec::new(),
        }
    }
}

/// Resolves data files relative to the rule file that names them.
struct RuleFileData<'a> {
    files: &'a dyn DataFiles,
    rule_file: &'a str,
}

impl DataLoader for RuleFileData<'_> {
    fn load(&self, name: &str) -> Result<Vec<u8>, String> {
        self.files.load(self.rule_file, name)
    }
}

/// What an operator's compiled form depends on: name, argument and, for operators that
/// read data files, the rule file the names are resolved against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct OpKey<'a> {
    name: &'a str,
    argument: &'a str,
    rule_file: &'a str,
}

/// Data files read ahead on the compiling thread, handed to an operator compiled on
/// another: the same bytes or the same error the real loader gave. A name that was not
/// read ahead is noted, and the operator is then compiled again with the real loader.
struct Preloaded {
    files: Vec<(String, Result<Vec<u8>, String>)>,
    missed: AtomicBool,
}

impl DataLoader for Preloaded {
    fn load(&self, name: &str) -> Result<Vec<u8>, String> {
        match self.files.iter().find(|(n, _)| n == name) {
            Some((_, r)) => r.clone(),
            None => {
                self.missed.store(true, Ordering::Relaxed);
                Err(format!("{name:?} was not read ahead"))
            }
        }
    }
}

/// One distinct operator to compile ahead of the rules.
struct OpJob<'a> {
    key: OpKey<'a>,
    files: Preloaded,
    /// Rough cost, to start the most expensive ones first.
    cost: usize,
}

type OpResult = Result<CompiledOperator, OperatorError>;

/// Most threads used to compile operators.
const MAX_COMPILE_THREADS: usize = 8;

/// Compiles every job, on up to [`MAX_COMPILE_THREADS`] threads (this one included).
/// Results are in job order; a thread that cannot be started leaves its share to the others.
fn compile_jobs(jobs: &[OpJob<'_>]) -> Vec<Option<OpResult>> {
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(job) = jobs.get(i) else { break };
            let k = job.key;
            done.push((
                i,
                operators::compile(k.name, k.argument.as_bytes(), &job.files),
            ));
        }
        done
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(MAX_COMPILE_THREADS)
        .min(jobs.len());
    let mut results: Vec<Option<OpResult>> =
        std::iter::repeat_with(|| None).take(jobs.len()).collect();
    std::thread::scope(|s| {
        let helpers: Vec<_> = (1..threads)
            .filter_map(|_| {
                std::thread::Builder::new()
                    .name("waf-compile".into())
                    .spawn_scoped(s, work)
                    .ok()
            })
            .collect();
        let mut all = work();
        for h in helpers {
            match h.join() {
                Ok(done) => all.extend(done),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        for (i, r) in all {
            results[i] = Some(r);
        }
    });
    results
}

pub(crate) struct Compiler<'a> {
    rules: &'a RuleSet,
    data: &'a dyn DataFiles,
    /// Every distinct rule operator, compiled before the rules are built.
    compiled: HashMap<OpKey<'a>, OpResult>,
    diags: Vec<Diagnostic>,
    defaults: [Defaults; 5],
    config: EngineConfig,
    phases: [Vec<Item>; 5],
    chains: HashMap<Vec<TransformationName>, (u32, Arc<[TransformFn]>)>,
    file_names: Vec<Arc<str>>,
    markers: Vec<Box<str>>,
    skip_targets: Vec<(Box<str>, Span, Option<u32>)>,
    ids: HashMap<u32, Span>,
}

impl<'a> Compiler<'a> {
    pub(crate) fn new(rules: &'a RuleSet, data: &'a dyn DataFiles) -> Self {
        let file_names = rules
            .files
            .iter()
            .map(|f| Arc::from(f.name.as_str()))
            .collect();
        Compiler {
            rules,
            data,
            compiled: HashMap::new(),
            diags: Vec::new(),
            defaults: Default::default(),
            config: EngineConfig::default(),
            phases: Default::default(),
            chains: HashMap::new(),
            file_names,
            markers: Vec::new(),
            skip_targets: Vec::new(),
            ids: HashMap::new(),
        }
    }

    fn error(&mut self, span: Span, rule_id: Option<u32>, message: impl Into<String>) {
        let file = self.rules.files.get(span.file.0 as usize);
        self.diags.push(Diagnostic {
            message: message.into(),
            span,
            file: file.map(|f| f.name.clone()).unwrap_or_default(),
            rule_id,
            source_line: file
                .map(|f| f.line_text(span.line).to_owned())
                .unwrap_or_default(),
            notes: Vec::new(),
        });
    }

    /// The rule file an operator's data files are resolved against.
    fn rule_file(&self, o: &palisade_seclang::Operator) -> &'a str {
        let rules: &'a RuleSet = self.rules;
        rules
            .files
            .get(o.span.file.0 as usize)
            .map_or("", |f| f.name.as_str())
    }

    /// The key of `o` and the data files it reads.
    fn op_key(&self, o: &'a palisade_seclang::Operator) -> (OpKey<'a>, Vec<String>) {
        let name = o.kind.name();
        let files = operators::data_files(name, o.argument.as_bytes());
        let key = OpKey {
            name,
            argument: o.argument.as_str(),
            rule_file: if files.is_empty() {
                ""
            } else {
                self.rule_file(o)
            },
        };
        (key, files)
    }

    /// Compiles every distinct operator of the rule set in parallel (regexes and phrase
    /// automata are most of the load time). Data files are read here, on this thread;
    /// errors are reported later, by the rule that uses the operator.
    fn precompile(&mut self) {
        let rules: &'a RuleSet = self.rules;
        let mut jobs: Vec<OpJob<'a>> = Vec::new();
        let mut seen: HashSet<OpKey<'a>> = HashSet::new();
        let mut stack: Vec<&'a AstRule> = rules
            .directives
            .iter()
            .filter_map(|d| match d {
                Directive::Rule(r) => Some(r),
                _ => None,
            })
            .collect();
        while let Some(r) = stack.pop() {
            stack.extend(r.chain.iter());
            let (key, names) = self.op_key(&r.operator);
            if !seen.insert(key) {
                continue;
            }
            let loader = RuleFileData {
                files: self.data,
                rule_file: key.rule_file,
            };
            let files: Vec<(String, Result<Vec<u8>, String>)> = names
                .into_iter()
                .map(|n| {
                    let content = loader.load(&n);
                    (n, content)
                })
                .collect();
            let cost = key.argument.len()
                + files
                    .iter()
                    .map(|(_, c)| c.as_ref().map_or(0, Vec::len))
                    .sum::<usize>();
            jobs.push(OpJob {
                key,
                files: Preloaded {
                    files,
                    missed: AtomicBool::new(false),
                },
                cost,
            });
        }
        jobs.sort_by_key(|j| std::cmp::Reverse(j.cost));
        let results = compile_jobs(&jobs);
        for (job, r) in jobs.into_iter().zip(results) {
            // A job that wanted a file not read ahead is left to `operator`.
            if let Some(r) = r
                && !job.files.missed.load(Ordering::Relaxed)
            {
                self.compiled.insert(job.key, r);
            }
        }
    }

    /// The compiled operator `o` (compiled ahead by [`Compiler::precompile`]).
    fn operator(&self, o: &'a palisade_seclang::Operator) -> Result<CompiledOperator, String> {
        let (key, _) = self.op_key(o);
        match self.compiled.get(&key) {
            Some(Ok(op)) => Ok(op.clone()),
            Some(Err(e)) => Err(e.to_string()),
            None => {
                let data = RuleFileData {
                    files: self.data,
                    rule_file: self.rule_file(o),
                };
                operators::compile(o.kind.name(), o.argument.as_bytes(), &data)
                    .map_err(|e| e.to_string())
            }
        }
    }

    pub(crate) fn run(mut self) -> Result<Engine, Diagnostics> {
        self.precompile();
        for d in &self.rules.directives {
            self.directive(d);
        }
        let skips = std::mem::take(&mut self.skip_targets);
        for (marker, span, id) in skips {
            if !self.markers.contains(&marker) {
                self.error(
                    span,
                    id,
                    format!("skipAfter:{marker}: no SecMarker with that name"),
                );
            }
        }
        if !self.diags.is_empty() {
            return Err(Diagnostics(self.diags));
        }
        let mut chain_count = 0;
        for (_, (id, _)) in self.chains.iter() {
            chain_count = chain_count.max(*id + 1);
        }
        Ok(Engine::from_parts(self.config, self.phases, chain_count))
    }

    fn directive(&mut self, d: &'a Directive) {
        let c = &mut self.config;
        match d {
            Directive::Rule(r) => self.rule(r),
            Directive::Action(a) => self.sec_action(a),
            Directive::Marker(m) => {
                let name: Box<str> = m.value.as_str().into();
                for p in self.phases.iter_mut() {
                    p.push(Item::Marker(name.clone()));
                }
                self.markers.push(name);
            }
            Directive::DefaultAction(a) => self.default_action(a),
            Directive::RuleRemoveById(s) => {
                let ranges = s.value.clone();
                self.retain(|r| !r.id_in(&ranges));
            }
            Directive::RuleRemoveByTag(s) => {
                let tag = s.value.clone();
                self.retain(|r| !r.has_tag(&tag));
            }
            Directive::RuleRemoveByMsg(s) => {
                let msg = s.value.clone();
                self.retain(|r| !r.has_msg(&msg));
            }
            Directive::RuleUpdateTargetById(u) => {
                let ranges = u.selector.clone();
                self.update_targets(u, |r| r.id_in(&ranges));
            }
            Directive::RuleUpdateTargetByTag(u) => {
                let tag = u.selector.clone();
                self.update_targets(u, |r| r.has_tag(&tag));
            }
            Directive::RuleUpdateTargetByMsg(u) => {
                let msg = u.selector.clone();
                self.update_targets(u, |r| r.has_msg(&msg));
            }
            Directive::RuleUpdateActionById(u) => self.update_actions(u),
            Directive::Engine(s) => c.rule_engine = s.value,
            Directive::RequestBodyAccess(s) => c.request_body_access = s.value,
            Directive::RequestBodyLimit(s) => c.request_body_limit = s.value,
            Directive::RequestBodyNoFilesLimit(s) => c.request_body_no_files_limit = s.value,
            Directive::RequestBodyLimitAction(s) => c.request_body_limit_action = s.value,
            Directive::RequestBodyJsonDepthLimit(s) => c.json_depth_limit = s.value,
            Directive::ResponseBodyAccess(s) => c.response_body_access = s.value,
            Directive::ResponseBodyMimeType(s) => {
                for m in &s.value {
                    let m = m.to_ascii_lowercase();
                    if !c.response_body_mime_types.contains(&m) {
                        c.response_body_mime_types.push(m);
                    }
                }
            }
            Directive::ResponseBodyMimeTypesClear(_) => c.response_body_mime_types.clear(),
            Directive::ResponseBodyLimit(s) => c.response_body_limit = s.value,
            Directive::ResponseBodyLimitAction(s) => c.response_body_limit_action = s.value,
            Directive::ArgumentsLimit(s) => c.arguments_limit = s.value,
            Directive::ArgumentSeparator(s) => match s.value.as_bytes() {
                [b] => c.argument_separator = *b,
                _ => {
                    let span = s.span;
                    self.error(
                        span,
                        None,
                        "SecArgumentSeparator takes exactly one character",
                    );
                }
            },
            Directive::ComponentSignature(s) => c.component_signatures.push(s.value.clone()),
            Directive::WebAppId(s) => c.web_app_id = s.value.clone(),
            Directive::UploadFileLimit(s) => c.upload_file_limit = s.value,
            Directive::CookieFormat(s) => {
                if s.value != 0 {
                    let span = s.span;
                    self.error(span, None, "only SecCookieFormat 0 is supported");
                }
            }
            // Settings that concern ModSecurity's own files, logs and PCRE; the gateway has
            // its own logging and the regex engine has no backtracking limits to tune.
            Directive::CookieV0Separator(_)
            | Directive::PcreMatchLimit(_)
            | Directive::PcreMatchLimitRecursion(_)
            | Directive::RequestBodyInMemoryLimit(_)
            | Directive::AuditEngine(_)
            | Directive::AuditLog(_)
            | Directive::AuditLogParts(_)
            | Directive::AuditLogFormat(_)
            | Directive::AuditLogType(_)
            | Directive::AuditLogStorageDir(_)
            | Directive::AuditLogDirMode(_)
            | Directive::AuditLogFileMode(_)
            | Directive::AuditLogRelevantStatus(_)
            | Directive::DataDir(_)
            | Directive::TmpDir(_)
            | Directive::UploadDir(_)
            | Directive::UploadKeepFiles(_)
            | Directive::UploadFileMode(_)
            | Directive::TmpSaveUploadedFiles(_)
            | Directive::CollectionTimeout(_)
            | Directive::DebugLog(_)
            | Directive::DebugLogLevel(_)
            | Directive::XmlExternalEntity(_)
            | Directive::UnicodeMapFile(_)
            | Directive::StatusEngine(_) => {}
        }
    }

    /// Keeps only the chain starters for which `keep` holds.
    fn retain(&mut self, keep: impl Fn(&Rule) -> bool) {
        for p in self.phases.iter_mut() {
            p.retain(|item| match item {
                Item::Rule(r) => keep(r),
                Item::Marker(_) => true,
            });
        }
    }

    fn default_action(&mut self, a: &SecAction) {
        let phase = a.phase().map_or(2, |p| p.number());
        let mut d = Defaults::default();
        for act in &a.actions {
            match &act.node {
                Action::Phase(_) => {}
                Action::Log => d.log = true,
                Action::NoLog => d.log = false,
                Action::AuditLog => d.auditlog = true,
                Action::NoAuditLog => d.auditlog = false,
                Action::Pass => d.disruptive = Disruptive::Pass,
                Action::Deny => d.disruptive = Disruptive::Deny,
                Action::Drop => d.disruptive = Disruptive::Drop,
                Action::Allow(s) => d.disruptive = Disruptive::Allow(*s),
                Action::Redirect(m) => d.disruptive = Disruptive::Redirect(m.clone()),
                Action::Status(s) => d.status = Some(*s),
                Action::Transform(TransformationName::None) => d.transforms.clear(),
                Action::Transform(t) => d.transforms.push(*t),
                Action::Tag(_)
                | Action::Severity(_)
                | Action::Ver(_)
                | Action::Rev(_)
                | Action::Maturity(_)
                | Action::Accuracy(_) => {}
                other => {
                    self.error(
                        act.span,
                        None,
                        format!(
                            "SecDefaultAction: action `{}` is not allowed here",
                            other.name()
                        ),
                    );
                }
            }
        }
        self.defaults[usize::from(phase - 1)] = d;
    }

    fn sec_action(&mut self, a: &SecAction) {
        let id = a.id().map(|i| i.0);
        let Some(rule) = self.build(&[], None, &a.actions, a.span, None, id, true) else {
            return;
        };
        self.push(rule, a.span);
    }

    fn rule(&mut self, r: &'a AstRule) {
        let id = r.id().map(|i| i.0);
        let Some(mut starter) = self.build(
            &r.variables,
            Some(&r.operator),
            &r.actions,
            r.span,
            None,
            id,
            false,
        ) else {
            return;
        };
        // Children, in order, attached from the last one backwards.
        let mut children = Vec::new();
        for child in &r.chain {
            match self.build(
                &child.variables,
                Some(&child.operator),
                &child.actions,
                child.span,
                Some((starter.phase, starter.meta.clone())),
                id,
                false,
            ) {
                Some(c) => children.push(c),
                None => return,
            }
        }
        let mut next: Option<Box<Rule>> = None;
        while let Some(mut c) = children.pop() {
            c.chain = next.take();
            next = Some(Box::new(c));
        }
        starter.chain = next;
        self.push(starter, r.span);
    }

    fn push(&mut self, rule: Rule, span: Span) {
        if rule.id != 0 {
            if let Some(first) = self.ids.get(&rule.id).copied() {
                let file = self
                    .file_names
                    .get(first.file.0 as usize)
                    .map_or("", |f| &**f)
                    .to_owned();
                self.error(
                    span,
                    Some(rule.id),
                    format!(
                        "duplicate rule id {} (first defined at {file}:{}:{})",
                        rule.id, first.line, first.column
                    ),
                );
                return;
            }
            self.ids.insert(rule.id, span);
        }
        let phase = usize::from(rule.phase - 1);
        self.phases[phase].push(Item::Rule(Box::new(rule)));
    }

    fn chain_for(
        &mut self,
        names: &[TransformationName],
        span: Span,
        id: Option<u32>,
    ) -> (u32, Arc<[TransformFn]>) {
        if let Some(c) = self.chains.get(names) {
            return c.clone();
        }
        let mut fns = Vec::with_capacity(names.len());
        for n in names {
            match transformations::lookup(n.name()) {
                Some(def) => fns.push(def.func),
                None => self.error(
                    span,
                    id,
                    format!(
                        "transformation t:{} is not implemented by the engine",
                        n.name()
                    ),
                ),
            }
        }
        let entry = (self.chains.len() as u32, Arc::from(fns));
        self.chains.insert(names.to_vec(), entry.clone());
        entry
    }

    /// Compiles one link. `parent` is `(phase, meta)` of the chain starter for children.
    #[allow(clippy::too_many_arguments)]
    fn build(
        &mut self,
        variables: &[Variable],
        operator: Option<&'a palisade_seclang::Operator>,
        actions: &[Spanned<Action>],
        span: Span,
        parent: Option<(u8, Arc<Meta>)>,
        id: Option<u32>,
        unconditional: bool,
    ) -> Option<Rule> {
        let errors_before = self.diags.len();
        let is_child = parent.is_some();
        let phase = match &parent {
            Some((p, _)) => *p,
            None => actions
                .iter()
                .find_map(|a| match a.node {
                    Action::Phase(p) => Some(p.number()),
                    _ => None,
                })
                .unwrap_or(2),
        };
        if !is_child && id.is_none() {
            self.error(span, None, "rule has no id");
        }
        let defaults = if is_child {
            Defaults::default()
        } else {
            self.defaults[usize::from(phase - 1)].clone()
        };
        let mut meta = Meta {
            file: self
                .file_names
                .get(span.file.0 as usize)
                .cloned()
                .unwrap_or_else(|| Arc::from("")),
            line: span.line,
            ..Meta::default()
        };
        let mut transforms = if is_child {
            Vec::new()
        } else {
            defaults.transforms.clone()
        };
        let mut log = None;
        let mut auditlog = None;
        let mut disruptive = None;
        let mut status = None;
        let mut effects = Vec::new();
        let mut skip = 0;
        let mut skip_after = None;
        let mut capture = false;
        let mut multi_match = false;
        for a in actions {
            match &a.node {
                Action::Id(_) | Action::Phase(_) | Action::Chain => {}
                Action::Msg(m) => meta.msg = Some(m.clone()),
                Action::LogData(m) => meta.logdata = Some(m.clone()),
                Action::Tag(m) => {
                    meta.tags
                        .push(Arc::from(m.as_literal().unwrap_or_default().as_str()));
                }
                Action::Severity(s) => meta.severity = Some(*s),
                Action::Ver(v) => meta.ver = Some(Arc::from(v.as_str())),
                Action::Rev(v) => meta.rev = Some(Arc::from(v.as_str())),
                Action::Maturity(v) => meta.maturity = Some(*v),
                Action::Accuracy(v) => meta.accuracy = Some(*v),
                Action::Transform(TransformationName::None) => transforms.clear(),
                Action::Transform(t) => transforms.push(*t),
                Action::SetVar(s) => effects.push(Effect::SetVar(s.clone())),
                Action::Ctl(c) => effects.push(self.ctl(c, id)),
                Action::SetEnv { name, value } => {
                    effects.push(Effect::SetEnv(name.clone(), value.clone()));
                }
                Action::InitCol { .. } => effects.push(Effect::InitCol),
                Action::Skip(n) => skip = *n,
                Action::SkipAfter(m) => {
                    skip_after = Some(Box::from(m.as_str()));
                    self.skip_targets.push((Box::from(m.as_str()), a.span, id));
                }
                Action::Capture => capture = true,
                Action::MultiMatch => multi_match = true,
                Action::Log => log = Some(true),
                Action::NoLog => log = Some(false),
                Action::AuditLog => auditlog = Some(true),
                Action::NoAuditLog => auditlog = Some(false),
                Action::Pass => disruptive = Some(Disruptive::Pass),
                Action::Block => disruptive = Some(defaults.disruptive.clone()),
                Action::Deny => disruptive = Some(Disruptive::Deny),
                Action::Drop => disruptive = Some(Disruptive::Drop),
                Action::Allow(s) => disruptive = Some(Disruptive::Allow(*s)),
                Action::Redirect(m) => disruptive = Some(Disruptive::Redirect(m.clone())),
                Action::Status(s) => status = Some(*s),
                // Persistence and sanitising belong to ModSecurity's own storage and audit
                // log; collections here are transaction-local and logs are redacted by the
                // gateway, so these are accepted and have no effect.
                Action::ExpireVar { .. }
                | Action::SetUid(_)
                | Action::SetSid(_)
                | Action::SetRsc(_)
                | Action::SanitiseArg(_)
                | Action::SanitiseMatched
                | Action::SanitiseMatchedBytes(_)
                | Action::SanitiseRequestHeader(_)
                | Action::SanitiseResponseHeader(_)
                | Action::XmlNs(_) => {}
                Action::Unsupported(n, _) => {
                    self.error(
                        a.span,
                        id,
                        format!("action `{}` is not supported", n.name()),
                    );
                }
            }
            if is_child {
                let name = a.node.name();
                let forbidden = matches!(
                    a.node,
                    Action::Id(_)
                        | Action::Phase(_)
                        | Action::Msg(_)
                        | Action::Severity(_)
                        | Action::Ver(_)
                        | Action::Rev(_)
                        | Action::Deny
                        | Action::Drop
                        | Action::Block
                        | Action::Allow(_)
                        | Action::Redirect(_)
                        | Action::Skip(_)
                        | Action::SkipAfter(_)
                );
                if forbidden {
                    self.error(
                        a.span,
                        id,
                        format!("action `{name}` is only allowed on the chain starter"),
                    );
                }
            }
        }
        let (chain_id, transforms) = self.chain_for(&transforms, span, id);
        let mut targets = Vec::new();
        let mut exclusions = Vec::new();
        for v in variables {
            self.target(v, id, &mut targets, &mut exclusions);
        }
        let (op, op_negated, op_arg) = match operator {
            Some(o) => match self.operator(o) {
                Ok(op) => (op, o.negated, Box::from(o.argument.as_str())),
                Err(e) => {
                    self.error(o.span, id, e);
                    return None;
                }
            },
            None => match operators::compile("unconditionalMatch", b"", &operators::NoFiles) {
                Ok(op) => (op, false, Box::from("")),
                Err(e) => {
                    self.error(span, id, e.to_string());
                    return None;
                }
            },
        };
        if self.diags.len() > errors_before {
            return None;
        }
        let meta = match parent {
            Some((_, m)) => m,
            None => Arc::new(meta),
        };
        Some(Rule {
            id: if is_child { 0 } else { id.unwrap_or(0) },
            phase,
            targets,
            exclusions,
            op,
            op_negated,
            op_arg,
            chain_id,
            transforms,
            multi_match,
            capture,
            log: log.unwrap_or(defaults.log),
            auditlog: auditlog.unwrap_or(defaults.auditlog),
            disruptive: if is_child {
                Disruptive::Pass
            } else {
                disruptive.unwrap_or(defaults.disruptive.clone())
            },
            status: status.or(defaults.status),
            effects,
            skip,
            skip_after,
            meta,
            chain: None,
            unconditional,
        })
    }

    fn ctl(&mut self, c: &Ctl, id: Option<u32>) -> Effect {
        let (sel, vars) = match c {
            Ctl::RuleRemoveTargetById(ids, v) => (RuleSel::Ids(ids.clone()), v),
            Ctl::RuleRemoveTargetByTag(t, v) => (RuleSel::Tag(t.clone()), v),
            Ctl::RuleRemoveTargetByMsg(m, v) => (RuleSel::Msg(m.clone()), v),
            other => return Effect::Ctl(other.clone()),
        };
        let mut excl = Vec::new();
        for v in vars {
            if let Some(s) = self.selector(v, id) {
                excl.push(Exclusion {
                    var: v.collection,
                    sel: s,
                });
            }
        }
        Effect::RemoveTargets(sel, excl)
    }

    fn target(
        &mut self,
        v: &Variable,
        id: Option<u32>,
        targets: &mut Vec<Target>,
        exclusions: &mut Vec<Exclusion>,
    ) {
        let Some(sel) = self.selector(v, id) else {
            return;
        };
        if v.negated {
            if v.count {
                self.error(
                    v.span,
                    id,
                    "a target cannot be both counted (&) and excluded (!)",
                );
                return;
            }
            exclusions.push(Exclusion {
                var: v.collection,
                sel,
            });
        } else {
            targets.push(Target {
                var: v.collection,
                sel,
                count: v.count,
            });
        }
    }

    fn selector(&mut self, v: &Variable, id: Option<u32>) -> Option<Sel> {
        if let palisade_seclang::registry::Support::Unsupported { reason } =
            v.collection.entry().support
        {
            self.error(
                v.span,
                id,
                format!(
                    "variable {} is not supported: {reason}",
                    v.collection.name()
                ),
            );
            return None;
        }
        Some(match &v.selector {
            Selector::None => Sel::All,
            Selector::Key(k) => Sel::Key(k.to_ascii_lowercase().into_bytes().into()),
            Selector::Regex(r) => {
                let pattern = format!("(?is-u){}", operators::rewrite_pattern(r));
                match regex::bytes::RegexBuilder::new(&pattern)
                    .size_limit(operators::REGEX_SIZE_LIMIT)
                    .build()
                {
                    Ok(re) => Sel::Regex(re),
                    Err(e) => {
                        self.error(v.span, id, format!("selector /{r}/ does not compile: {e}"));
                        return None;
                    }
                }
            }
            Selector::XPath(x) => match x.trim() {
                "/*" => Sel::XmlRoot,
                "//@*" => Sel::XmlAttributes,
                other => {
                    self.error(
                        v.span,
                        id,
                        format!(
                            "XPath {other:?} is not supported: only XML:/* (the document's text) and XML://@* (all attribute values) are"
                        ),
                    );
                    return None;
                }
            },
        })
    }

    fn update_targets<S>(&mut self, u: &UpdateTarget<S>, selects: impl Fn(&Rule) -> bool) {
        let mut new_targets = Vec::new();
        let mut new_excl = Vec::new();
        for v in &u.targets {
            self.target(v, None, &mut new_targets, &mut new_excl);
        }
        let mut replaced = Vec::new();
        if let Some(old) = &u.replaced {
            let mut ex = Vec::new();
            for v in old {
                self.target(v, None, &mut replaced, &mut ex);
            }
        }
        let mut any = false;
        for p in self.phases.iter_mut() {
            for item in p.iter_mut() {
                let Item::Rule(r) = item else { continue };
                if !selects(r) {
                    continue;
                }
                any = true;
                if replaced.is_empty() {
                    r.targets.extend(new_targets.iter().cloned());
                } else {
                    // Replace each old target in place by the new ones.
                    let mut out = Vec::with_capacity(r.targets.len());
                    for t in r.targets.drain(..) {
                        if replaced.iter().any(|o| same_target(o, &t)) {
                            out.extend(new_targets.iter().cloned());
                        } else {
                            out.push(t);
                        }
                    }
                    r.targets = out;
                }
                r.exclusions.extend(new_excl.iter().cloned());
            }
        }
        // ModSecurity accepts updates of rules that do not exist (exclusion files are
        // written for every CRS version); so does this engine.
        let _ = any;
    }

    fn update_actions(&mut self, u: &palisade_seclang::UpdateAction) {
        let id = u.id.0;
        for a in &u.actions {
            if matches!(a.node, Action::Id(_) | Action::Phase(_) | Action::Chain) {
                self.error(
                    a.span,
                    Some(id),
                    format!("SecRuleUpdateActionById cannot change `{}`", a.node.name()),
                );
                return;
            }
        }
        let mut extra: Vec<TransformationName> = Vec::new();
        let mut reset = false;
        for a in &u.actions {
            match a.node {
                Action::Transform(TransformationName::None) => {
                    reset = true;
                    extra.clear();
                }
                Action::Transform(t) => extra.push(t),
                _ => {}
            }
        }
        let mut found = None;
        for (pi, p) in self.phases.iter().enumerate() {
            for (ii, item) in p.iter().enumerate() {
                if let Item::Rule(r) = item
                    && r.id == id
                {
                    found = Some((pi, ii));
                }
            }
        }
        let Some((pi, ii)) = found else {
            self.error(
                u.span,
                Some(id),
                format!("SecRuleUpdateActionById: no rule {id} defined before this line"),
            );
            return;
        };
        let defaults = self.defaults[pi].clone();
        let names: Option<Vec<TransformationName>> = if reset || !extra.is_empty() {
            Some(extra)
        } else {
            None
        };
        let chain = names.map(|n| self.chain_for(&n, u.span, Some(id)));
        let ctl_effects: Vec<Effect> = u
            .actions
            .iter()
            .filter_map(|a| match &a.node {
                Action::Ctl(c) => Some(c),
                _ => None,
            })
            .map(|c| self.ctl(c, Some(id)))
            .collect();
        let Item::Rule(r) = &mut self.phases[pi][ii] else {
            return;
        };
        let mut meta = (*r.meta).clone();
        for a in &u.actions {
            match &a.node {
                Action::Msg(m) => meta.msg = Some(m.clone()),
                Action::LogData(m) => meta.logdata = Some(m.clone()),
                Action::Tag(m) => meta
                    .tags
                    .push(Arc::from(m.as_literal().unwrap_or_default().as_str())),
                Action::Severity(s) => meta.severity = Some(*s),
                Action::Ver(v) => meta.ver = Some(Arc::from(v.as_str())),
                Action::Rev(v) => meta.rev = Some(Arc::from(v.as_str())),
                Action::SetVar(s) => r.effects.push(Effect::SetVar(s.clone())),
                Action::Log => r.log = true,
                Action::NoLog => r.log = false,
                Action::AuditLog => r.auditlog = true,
                Action::NoAuditLog => r.auditlog = false,
                Action::Pass => r.disruptive = Disruptive::Pass,
                Action::Block => r.disruptive = defaults.disruptive.clone(),
                Action::Deny => r.disruptive = Disruptive::Deny,
                Action::Drop => r.disruptive = Disruptive::Drop,
                Action::Allow(s) => r.disruptive = Disruptive::Allow(*s),
                Action::Redirect(m) => r.disruptive = Disruptive::Redirect(m.clone()),
                Action::Status(s) => r.status = Some(*s),
                Action::Capture => r.capture = true,
                Action::MultiMatch => r.multi_match = true,
                Action::SkipAfter(m) => r.skip_after = Some(Box::from(m.as_str())),
                _ => {}
            }
        }
        r.effects.extend(ctl_effects);
        if let Some((cid, fns)) = chain {
            r.chain_id = cid;
            r.transforms = fns;
        }
        r.meta = Arc::new(meta);
    }
}

fn same_target(a: &Target, b: &Target) -> bool {
    a.var == b.var
        && a.count == b.count
        && match (&a.sel, &b.sel) {
            (Sel::All, Sel::All) => true,
            (Sel::Key(x), Sel::Key(y)) => x == y,
            (Sel::Regex(x), Sel::Regex(y)) => x.as_str() == y.as_str(),
            (Sel::XmlRoot, Sel::XmlRoot) | (Sel::XmlAttributes, Sel::XmlAttributes) => true,
            _ => false,
        }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use palisade_seclang::{MapLoader, Parser};

    use super::*;
    use crate::engine::{ConnectionInfo, Transaction};

    /// Data files by full path (`dir/name`), counting reads.
    struct Files {
        files: Vec<(&'static str, &'static str)>,
        reads: Cell<usize>,
    }

    impl DataFiles for Files {
        fn load(&self, rule_file: &str, name: &str) -> Result<Vec<u8>, String> {
            self.reads.set(self.reads.get() + 1);
            let dir = rule_file.rsplit_once('/').map_or("", |(d, _)| d);
            let path = format!("{dir}/{name}");
            self.files
                .iter()
                .find(|(p, _)| *p == path)
                .map(|(_, c)| c.as_bytes().to_vec())
                .ok_or_else(|| format!("{path}: not found"))
        }
    }

    fn compile(files: &[(&str, &str)], data: &Files) -> Result<Engine, Diagnostics> {
        let mut loader = MapLoader::new();
        let mut main = String::new();
        for (name, text) in files {
            loader.insert(*name, *text);
            main.push_str(&format!("Include {name}\n"));
        }
        let mut p = Parser::new(&loader);
        p.add_text("main.conf", &main);
        let rules = match p.finish().into_result() {
            Ok(r) => r,
            Err(d) => panic!("{d}"),
        };
        Engine::compile(&rules, data)
    }

    fn matched(e: Engine, uri: &str) -> Vec<u32> {
        let mut tx = Transaction::new(Arc::new(e), ConnectionInfo::default());
        tx.request_line(b"GET", uri.as_bytes(), b"HTTP/1.1");
        tx.process_request_headers();
        tx.matches().iter().map(|m| m.id).collect()
    }

    #[test]
    fn a_shared_bad_operator_is_reported_by_every_rule_that_uses_it() {
        let data = Files {
            files: Vec::new(),
            reads: Cell::new(0),
        };
        let text = "SecRule ARGS \"@rx (\" \"id:1,phase:1,pass\"\n\
                    SecRule ARGS \"@rx a\" \"id:2,phase:1,pass,chain\"\n\
                    SecRule ARGS \"@rx (\" \"t:none\"\n\
                    SecRule ARGS \"@pmFromFile missing.data\" \"id:3,phase:1,pass\"\n";
        let Err(d) = compile(&[("/r/a.conf", text)], &data) else {
            panic!("must not compile");
        };
        let ids: Vec<Option<u32>> = d.0.iter().map(|x| x.rule_id).collect();
        assert_eq!(ids, vec![Some(1), Some(2), Some(3)], "{d}");
        assert!(d.0[2].message.contains("missing.data"), "{d}");
        assert_eq!(d.0[1].span.line, 3, "{d}");
    }

    #[test]
    fn data_files_resolve_per_rule_file_and_are_read_once_per_operator() {
        let data = Files {
            files: vec![("/a/x.data", "alpha\n"), ("/b/x.data", "beta\n")],
            reads: Cell::new(0),
        };
        let a = "SecRule REQUEST_URI \"@pmFromFile x.data\" \"id:10,phase:1,pass,log\"\n\
                 SecRule REQUEST_URI \"@pmFromFile x.data\" \"id:11,phase:1,pass,log\"\n";
        let b = "SecRule REQUEST_URI \"@pmFromFile x.data\" \"id:20,phase:1,pass,log\"\n";
        let e = match compile(&[("/a/a.conf", a), ("/b/b.conf", b)], &data) {
            Ok(e) => e,
            Err(d) => panic!("{d}"),
        };
        assert_eq!(data.reads.get(), 2);
        assert_eq!(matched(e, "/alpha"), vec![10, 11]);
        let e = match compile(&[("/a/a.conf", a), ("/b/b.conf", b)], &data) {
            Ok(e) => e,
            Err(d) => panic!("{d}"),
        };
        assert_eq!(matched(e, "/beta"), vec![20]);
    }
}
