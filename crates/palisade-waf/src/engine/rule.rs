//! The compiled, immutable form of a rule: what the transaction evaluates.

use std::sync::Arc;

use palisade_seclang::registry::VariableName;
use palisade_seclang::{AllowScope, Ctl, IdRange, MacroString, Severity};
use regex::bytes::Regex;

use crate::operators::CompiledOperator;
use crate::transformations::TransformFn;

/// How a target selects from a collection.
#[derive(Debug, Clone)]
pub(crate) enum Sel {
    /// The whole collection (or a scalar).
    All,
    /// `:name`, stored lower-case; compared ASCII case-insensitively.
    Key(Box<[u8]>),
    /// `:/regex/` over the key.
    Regex(Regex),
    /// `XML:/*`: the root element's string value.
    XmlRoot,
    /// `XML://@*`: every attribute value.
    XmlAttributes,
}

impl Sel {
    /// True when the key `key` is selected.
    pub(crate) fn selects(&self, key: &[u8]) -> bool {
        match self {
            Sel::All | Sel::XmlRoot | Sel::XmlAttributes => true,
            Sel::Key(k) => k.eq_ignore_ascii_case(key),
            Sel::Regex(re) => re.is_match(key),
        }
    }
}

/// One target of a rule.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// The collection or scalar.
    pub(crate) var: VariableName,
    /// What it selects.
    pub(crate) sel: Sel,
    /// `&`: count instead of inspecting.
    pub(crate) count: bool,
}

/// A `!` exclusion: entries of `var` whose key `sel` selects are not inspected.
#[derive(Debug, Clone)]
pub(crate) struct Exclusion {
    /// The collection.
    pub(crate) var: VariableName,
    /// Which keys; [`Sel::All`] excludes the whole collection.
    pub(crate) sel: Sel,
}

impl Exclusion {
    /// True when the value `key` of collection `var` is excluded.
    pub(crate) fn excludes(&self, var: VariableName, key: &[u8]) -> bool {
        self.var == var && self.sel.selects(key)
    }
}

/// The disruptive action a rule performs when it (its whole chain) matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Disruptive {
    /// Continue.
    Pass,
    /// Stop with a status.
    Deny,
    /// Close the connection.
    Drop,
    /// Stop processing rules (scope).
    Allow(AllowScope),
    /// Answer with a redirect to the expanded URL.
    Redirect(MacroString),
}

/// A side-effect action, run in rule order when the rule matches.
#[derive(Debug, Clone)]
pub(crate) enum Effect {
    /// `setvar`.
    SetVar(palisade_seclang::SetVar),
    /// `ctl`.
    Ctl(Ctl),
    /// `setenv`.
    SetEnv(MacroString, MacroString),
    /// `initcol`: collections are transaction-local in this engine; recorded only.
    InitCol,
    /// `ctl:ruleRemoveTargetBy*`, with the targets compiled.
    RemoveTargets(RuleSel, Vec<Exclusion>),
}

/// Which rules a runtime removal applies to.
#[derive(Debug, Clone)]
pub(crate) enum RuleSel {
    /// By id ranges.
    Ids(Vec<IdRange>),
    /// By tag.
    Tag(String),
    /// By message.
    Msg(String),
}

impl RuleSel {
    /// True when the chain starter `r` is selected.
    pub(crate) fn selects(&self, r: &Rule) -> bool {
        match self {
            RuleSel::Ids(ids) => r.id_in(ids),
            RuleSel::Tag(t) => r.has_tag(t),
            RuleSel::Msg(m) => r.has_msg(m),
        }
    }
}

/// Metadata shared by every match of a rule, for logs.
#[derive(Debug, Clone, Default)]
pub(crate) struct Meta {
    /// The resolved rule file name.
    pub(crate) file: Arc<str>,
    /// Line of the rule in its file.
    pub(crate) line: u32,
    /// `msg`.
    pub(crate) msg: Option<MacroString>,
    /// `logdata`.
    pub(crate) logdata: Option<MacroString>,
    /// `tag`s (literal text; CRS tags have no macros).
    pub(crate) tags: Vec<Arc<str>>,
    /// `severity`.
    pub(crate) severity: Option<Severity>,
    /// `ver`.
    pub(crate) ver: Option<Arc<str>>,
    /// `rev`.
    pub(crate) rev: Option<Arc<str>>,
    /// `maturity`.
    pub(crate) maturity: Option<u8>,
    /// `accuracy`.
    pub(crate) accuracy: Option<u8>,
}

/// One compiled rule (a chain starter carries its children in `chain`).
#[derive(Debug)]
pub(crate) struct Rule {
    /// `id` (0 for chain children).
    pub(crate) id: u32,
    /// Phase 1..=5.
    pub(crate) phase: u8,
    /// Targets to inspect, in order.
    pub(crate) targets: Vec<Target>,
    /// `!` exclusions.
    pub(crate) exclusions: Vec<Exclusion>,
    /// The operator.
    pub(crate) op: CompiledOperator,
    /// `!@op`.
    pub(crate) op_negated: bool,
    /// The operator argument as written (for log messages).
    pub(crate) op_arg: Box<str>,
    /// Transformation chain index in [`crate::engine::Engine`]'s table.
    pub(crate) chain_id: u32,
    /// The transformation functions.
    pub(crate) transforms: Arc<[TransformFn]>,
    /// `multiMatch`.
    pub(crate) multi_match: bool,
    /// `capture`.
    pub(crate) capture: bool,
    /// Log matches (resolved against SecDefaultAction).
    pub(crate) log: bool,
    /// Audit-log matches.
    pub(crate) auditlog: bool,
    /// The disruptive action (`block` already resolved).
    pub(crate) disruptive: Disruptive,
    /// `status`.
    pub(crate) status: Option<u16>,
    /// Side effects in order.
    pub(crate) effects: Vec<Effect>,
    /// `skip:N`.
    pub(crate) skip: u32,
    /// `skipAfter:marker`.
    pub(crate) skip_after: Option<Box<str>>,
    /// Metadata for logs (shared by the chain).
    pub(crate) meta: Arc<Meta>,
    /// The next chain link.
    pub(crate) chain: Option<Box<Rule>>,
    /// True for `SecAction` (no targets: always matches once).
    pub(crate) unconditional: bool,
}

impl Rule {
    /// True when `ranges` include this rule's id.
    pub(crate) fn id_in(&self, ranges: &[IdRange]) -> bool {
        self.id != 0 && ranges.iter().any(|r| r.contains(self.id))
    }

    /// True when the rule carries tag `tag` (case-sensitive, as ModSecurity's string compare).
    pub(crate) fn has_tag(&self, tag: &str) -> bool {
        self.meta.tags.iter().any(|t| &**t == tag)
    }

    /// True when the rule's `msg` as written equals `msg`.
    pub(crate) fn has_msg(&self, msg: &str) -> bool {
        self.meta
            .msg
            .as_ref()
            .and_then(MacroString::as_literal)
            .is_some_and(|m| m == msg)
    }
}

/// One entry of a phase's rule list.
#[derive(Debug)]
pub(crate) enum Item {
    /// A rule (with its chain).
    Rule(Box<Rule>),
    /// A `SecMarker`.
    Marker(Box<str>),
}
