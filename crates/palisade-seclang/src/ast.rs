//! The typed SecLang AST. Every node carries a [`Span`]; every name is a registry enum.
//!
//! `Display` on [`RuleSet`] and [`Directive`] prints valid SecLang back (see `print.rs`).

use crate::registry::{ActionName, CtlName, OperatorName, TransformationName, VariableName};
use crate::span::{SourceFile, Span};

/// A whole parsed rule set: the files it came from and its directives in load order
/// (`Include`s are expanded in place).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RuleSet {
    /// Every loaded file, indexed by [`crate::FileId`].
    pub files: Vec<SourceFile>,
    /// The directives in order.
    pub directives: Vec<Directive>,
}

/// A directive value with its span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting<T> {
    /// The value.
    pub value: T,
    /// The whole directive.
    pub span: Span,
}

/// A node and its span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned<T> {
    /// The node.
    pub node: T,
    /// Where it is.
    pub span: Span,
}

/// One directive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Directive {
    /// `SecRule` with its chain children.
    Rule(Rule),
    /// `SecAction`.
    Action(SecAction),
    /// `SecMarker`.
    Marker(Setting<String>),
    /// `SecDefaultAction`.
    DefaultAction(SecAction),
    /// `SecRuleRemoveById`.
    RuleRemoveById(Setting<Vec<IdRange>>),
    /// `SecRuleRemoveByTag`.
    RuleRemoveByTag(Setting<String>),
    /// `SecRuleRemoveByMsg`.
    RuleRemoveByMsg(Setting<String>),
    /// `SecRuleUpdateTargetById`.
    RuleUpdateTargetById(UpdateTarget<Vec<IdRange>>),
    /// `SecRuleUpdateTargetByTag`.
    RuleUpdateTargetByTag(UpdateTarget<String>),
    /// `SecRuleUpdateTargetByMsg`.
    RuleUpdateTargetByMsg(UpdateTarget<String>),
    /// `SecRuleUpdateActionById`.
    RuleUpdateActionById(UpdateAction),
    /// `SecRuleEngine`.
    Engine(Setting<EngineMode>),
    /// `SecRequestBodyAccess`.
    RequestBodyAccess(Setting<bool>),
    /// `SecRequestBodyLimit`.
    RequestBodyLimit(Setting<u64>),
    /// `SecRequestBodyNoFilesLimit`.
    RequestBodyNoFilesLimit(Setting<u64>),
    /// `SecRequestBodyInMemoryLimit`.
    RequestBodyInMemoryLimit(Setting<u64>),
    /// `SecRequestBodyLimitAction`.
    RequestBodyLimitAction(Setting<LimitAction>),
    /// `SecRequestBodyJsonDepthLimit`.
    RequestBodyJsonDepthLimit(Setting<u64>),
    /// `SecResponseBodyAccess`.
    ResponseBodyAccess(Setting<bool>),
    /// `SecResponseBodyMimeType`.
    ResponseBodyMimeType(Setting<Vec<String>>),
    /// `SecResponseBodyMimeTypesClear`.
    ResponseBodyMimeTypesClear(Span),
    /// `SecResponseBodyLimit`.
    ResponseBodyLimit(Setting<u64>),
    /// `SecResponseBodyLimitAction`.
    ResponseBodyLimitAction(Setting<LimitAction>),
    /// `SecArgumentsLimit`.
    ArgumentsLimit(Setting<u64>),
    /// `SecArgumentSeparator`.
    ArgumentSeparator(Setting<String>),
    /// `SecCookieFormat`.
    CookieFormat(Setting<u8>),
    /// `SecCookieV0Separator`.
    CookieV0Separator(Setting<String>),
    /// `SecComponentSignature`.
    ComponentSignature(Setting<String>),
    /// `SecPcreMatchLimit`.
    PcreMatchLimit(Setting<u64>),
    /// `SecPcreMatchLimitRecursion`.
    PcreMatchLimitRecursion(Setting<u64>),
    /// `SecAuditEngine`.
    AuditEngine(Setting<AuditEngineMode>),
    /// `SecAuditLog`.
    AuditLog(Setting<String>),
    /// `SecAuditLogParts`.
    AuditLogParts(Setting<String>),
    /// `SecAuditLogFormat`.
    AuditLogFormat(Setting<AuditLogFormat>),
    /// `SecAuditLogType`.
    AuditLogType(Setting<AuditLogType>),
    /// `SecAuditLogStorageDir`.
    AuditLogStorageDir(Setting<String>),
    /// `SecAuditLogDirMode`.
    AuditLogDirMode(Setting<String>),
    /// `SecAuditLogFileMode`.
    AuditLogFileMode(Setting<String>),
    /// `SecAuditLogRelevantStatus` (a raw regex).
    AuditLogRelevantStatus(Setting<String>),
    /// `SecDataDir`.
    DataDir(Setting<String>),
    /// `SecTmpDir`.
    TmpDir(Setting<String>),
    /// `SecUploadDir`.
    UploadDir(Setting<String>),
    /// `SecUploadKeepFiles`.
    UploadKeepFiles(Setting<AuditEngineMode>),
    /// `SecUploadFileLimit`.
    UploadFileLimit(Setting<u64>),
    /// `SecUploadFileMode`.
    UploadFileMode(Setting<String>),
    /// `SecTmpSaveUploadedFiles`.
    TmpSaveUploadedFiles(Setting<bool>),
    /// `SecCollectionTimeout` (seconds).
    CollectionTimeout(Setting<u64>),
    /// `SecDebugLog`.
    DebugLog(Setting<String>),
    /// `SecDebugLogLevel`.
    DebugLogLevel(Setting<u8>),
    /// `SecWebAppId`.
    WebAppId(Setting<String>),
    /// `SecXmlExternalEntity`.
    XmlExternalEntity(Setting<bool>),
    /// `SecUnicodeMapFile path [code_page]`.
    UnicodeMapFile(Setting<(String, Option<u32>)>),
    /// `SecStatusEngine`.
    StatusEngine(Setting<bool>),
}

/// `SecRule`: targets, operator, actions and the chain children that follow it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The target list.
    pub variables: Vec<Variable>,
    /// The operator.
    pub operator: Operator,
    /// The actions in order.
    pub actions: Vec<Spanned<Action>>,
    /// Chain children in order (only on the chain starter; children have none).
    pub chain: Vec<Rule>,
    /// The whole directive.
    pub span: Span,
}

/// `SecAction` or `SecDefaultAction`: actions only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecAction {
    /// The actions in order.
    pub actions: Vec<Spanned<Action>>,
    /// The whole directive.
    pub span: Span,
}

/// `SecRuleUpdateTarget*`: which rules, targets to add (or `!` exclude), and an optional target
/// they replace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateTarget<S> {
    /// Which rules (ids, or the tag/message text).
    pub selector: S,
    /// Targets to add; negated ones are exclusions.
    pub targets: Vec<Variable>,
    /// The targets being replaced (third argument), if any.
    pub replaced: Option<Vec<Variable>>,
    /// The whole directive.
    pub span: Span,
}

/// `SecRuleUpdateActionById`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateAction {
    /// The rule.
    pub id: RuleId,
    /// The new actions.
    pub actions: Vec<Spanned<Action>>,
    /// The whole directive.
    pub span: Span,
}

/// A rule id (1 ..= 2^32-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleId(pub u32);

/// An inclusive id range; a single id has `start == end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IdRange {
    /// First id.
    pub start: u32,
    /// Last id (inclusive).
    pub end: u32,
}

impl IdRange {
    /// True when `id` is in the range.
    pub fn contains(self, id: u32) -> bool {
        (self.start..=self.end).contains(&id)
    }
}

/// A processing phase, 1 to 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Phase(u8);

impl Phase {
    /// Request headers.
    pub const REQUEST_HEADERS: Phase = Phase(1);
    /// Request body (`request`).
    pub const REQUEST_BODY: Phase = Phase(2);
    /// Response headers.
    pub const RESPONSE_HEADERS: Phase = Phase(3);
    /// Response body (`response`).
    pub const RESPONSE_BODY: Phase = Phase(4);
    /// Logging (`logging`).
    pub const LOGGING: Phase = Phase(5);

    /// A phase from its number, `None` outside 1..=5.
    pub fn new(n: u8) -> Option<Phase> {
        (1..=5).contains(&n).then_some(Phase(n))
    }

    /// The phase number 1..=5.
    pub fn number(self) -> u8 {
        self.0
    }
}

/// `SecRuleEngine` / `ctl:ruleEngine` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EngineMode {
    /// Rules run and disruptive actions apply.
    On,
    /// Rules do not run.
    Off,
    /// Rules run; disruptive actions are only logged.
    DetectionOnly,
}

/// `SecAuditEngine` / `ctl:auditEngine` / `SecUploadKeepFiles` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditEngineMode {
    /// Always.
    On,
    /// Never.
    Off,
    /// Only relevant transactions.
    RelevantOnly,
}

/// `SecRequestBodyLimitAction` / `SecResponseBodyLimitAction` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LimitAction {
    /// Reject the transaction.
    Reject,
    /// Inspect the part within the limit.
    ProcessPartial,
}

/// `SecAuditLogFormat` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditLogFormat {
    /// JSON records.
    Json,
    /// ModSecurity's native multipart text.
    Native,
}

/// `SecAuditLogType` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditLogType {
    /// One file.
    Serial,
    /// One file per transaction.
    Concurrent,
    /// Sent over HTTPS.
    Https,
}

/// `ctl:requestBodyProcessor` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BodyProcessor {
    /// `application/x-www-form-urlencoded`.
    UrlEncoded,
    /// `multipart/form-data`.
    Multipart,
    /// XML.
    Xml,
    /// JSON.
    Json,
}

/// One element of a target list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    /// `!`: exclude this target.
    pub negated: bool,
    /// `&`: count the values instead of inspecting them.
    pub count: bool,
    /// The variable or collection.
    pub collection: VariableName,
    /// `:key`, `:/regex/` or an XPath.
    pub selector: Selector,
    /// Where it is.
    pub span: Span,
}

/// A collection selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// The whole collection (or a scalar).
    None,
    /// `:name` (matched case-insensitively by the engine).
    Key(String),
    /// `:/regex/`, the raw regex between the slashes.
    Regex(String),
    /// `XML:xpath`.
    XPath(String),
}

/// The operator of a `SecRule`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    /// `!@op`.
    pub negated: bool,
    /// The operator (`Rx` when no `@` was written).
    pub kind: OperatorName,
    /// The raw argument (not compiled, macros not expanded).
    pub argument: String,
    /// The whole operator string.
    pub span: Span,
}

/// A string with `%{...}` macros.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MacroString(pub Vec<MacroPart>);

/// A piece of a [`MacroString`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MacroPart {
    /// Literal text.
    Literal(String),
    /// `%{COLLECTION}` or `%{collection.key}`.
    Var {
        /// The variable.
        collection: VariableName,
        /// The key after the first `.`, as written.
        key: Option<String>,
    },
}

impl MacroString {
    /// A macro string with one literal part (or none when empty).
    pub fn literal(s: &str) -> MacroString {
        if s.is_empty() {
            MacroString(Vec::new())
        } else {
            MacroString(vec![MacroPart::Literal(s.to_owned())])
        }
    }

    /// The text when there are no macros.
    pub fn as_literal(&self) -> Option<String> {
        let mut out = String::new();
        for p in &self.0 {
            match p {
                MacroPart::Literal(s) => out.push_str(s),
                MacroPart::Var { .. } => return None,
            }
        }
        Some(out)
    }

    /// True when at least one part is a macro.
    pub fn has_macros(&self) -> bool {
        self.0.iter().any(|p| matches!(p, MacroPart::Var { .. }))
    }
}

/// Severity 0 (emergency) to 7 (debug).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// 0.
    Emergency,
    /// 1.
    Alert,
    /// 2.
    Critical,
    /// 3.
    Error,
    /// 4.
    Warning,
    /// 5.
    Notice,
    /// 6.
    Info,
    /// 7.
    Debug,
}

impl Severity {
    /// All severities by number.
    pub const ALL: [Severity; 8] = [
        Severity::Emergency,
        Severity::Alert,
        Severity::Critical,
        Severity::Error,
        Severity::Warning,
        Severity::Notice,
        Severity::Info,
        Severity::Debug,
    ];

    /// The number 0..=7.
    pub fn number(self) -> u8 {
        self as u8
    }

    /// The upper-case name (`CRITICAL`).
    pub fn name(self) -> &'static str {
        match self {
            Severity::Emergency => "EMERGENCY",
            Severity::Alert => "ALERT",
            Severity::Critical => "CRITICAL",
            Severity::Error => "ERROR",
            Severity::Warning => "WARNING",
            Severity::Notice => "NOTICE",
            Severity::Info => "INFO",
            Severity::Debug => "DEBUG",
        }
    }
}

/// `allow` scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AllowScope {
    /// `allow`: the rest of the transaction.
    All,
    /// `allow:phase`: the rest of the current phase.
    Phase,
    /// `allow:request`: the request phases.
    Request,
}

/// `setvar` operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetVarOp {
    /// `name=value` (and `name` alone, which sets `1`).
    Set,
    /// `name=+value`.
    Add,
    /// `name=-value`.
    Sub,
    /// `!name`.
    Delete,
}

/// A parsed `setvar`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetVar {
    /// The collection (`tx`, `ip`, ...).
    pub collection: VariableName,
    /// The variable name, possibly with macros.
    pub name: MacroString,
    /// The operation.
    pub op: SetVarOp,
    /// The value (empty for `Delete`).
    pub value: MacroString,
}

/// A typed `ctl` option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ctl {
    /// `ctl:ruleEngine=`.
    RuleEngine(EngineMode),
    /// `ctl:ruleRemoveById=`.
    RuleRemoveById(Vec<IdRange>),
    /// `ctl:ruleRemoveByTag=`.
    RuleRemoveByTag(String),
    /// `ctl:ruleRemoveByMsg=`.
    RuleRemoveByMsg(String),
    /// `ctl:ruleRemoveTargetById=ids;target`.
    RuleRemoveTargetById(Vec<IdRange>, Vec<Variable>),
    /// `ctl:ruleRemoveTargetByTag=tag;target`.
    RuleRemoveTargetByTag(String, Vec<Variable>),
    /// `ctl:ruleRemoveTargetByMsg=msg;target`.
    RuleRemoveTargetByMsg(String, Vec<Variable>),
    /// `ctl:requestBodyProcessor=`.
    RequestBodyProcessor(BodyProcessor),
    /// `ctl:requestBodyAccess=`.
    RequestBodyAccess(bool),
    /// `ctl:requestBodyLimit=`.
    RequestBodyLimit(u64),
    /// `ctl:forceRequestBodyVariable=`.
    ForceRequestBodyVariable(bool),
    /// `ctl:responseBodyAccess=`.
    ResponseBodyAccess(bool),
    /// `ctl:responseBodyLimit=`.
    ResponseBodyLimit(u64),
    /// `ctl:auditEngine=`.
    AuditEngine(AuditEngineMode),
    /// `ctl:auditLogParts=`.
    AuditLogParts(String),
    /// `ctl:debugLogLevel=`.
    DebugLogLevel(u8),
    /// A known but unsupported option (already reported); kept with its raw value.
    Unsupported(CtlName, String),
}

/// A typed action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `id`.
    Id(RuleId),
    /// `phase`.
    Phase(Phase),
    /// `chain`.
    Chain,
    /// `msg`.
    Msg(MacroString),
    /// `logdata`.
    LogData(MacroString),
    /// `tag`.
    Tag(MacroString),
    /// `severity`.
    Severity(Severity),
    /// `ver`.
    Ver(String),
    /// `rev`.
    Rev(String),
    /// `maturity`.
    Maturity(u8),
    /// `accuracy`.
    Accuracy(u8),
    /// `t:`.
    Transform(TransformationName),
    /// `setvar`.
    SetVar(SetVar),
    /// `ctl`.
    Ctl(Ctl),
    /// `skip:N`.
    Skip(u32),
    /// `skipAfter:marker`.
    SkipAfter(String),
    /// `capture`.
    Capture,
    /// `multiMatch`.
    MultiMatch,
    /// `log`.
    Log,
    /// `nolog`.
    NoLog,
    /// `auditlog`.
    AuditLog,
    /// `noauditlog`.
    NoAuditLog,
    /// `pass`.
    Pass,
    /// `block`.
    Block,
    /// `deny`.
    Deny,
    /// `drop`.
    Drop,
    /// `allow`.
    Allow(AllowScope),
    /// `redirect`.
    Redirect(MacroString),
    /// `status`.
    Status(u16),
    /// `initcol:collection=key`.
    InitCol {
        /// The persistent collection.
        collection: VariableName,
        /// Its key.
        key: MacroString,
    },
    /// `expirevar:collection.name=seconds`.
    ExpireVar {
        /// The collection.
        collection: VariableName,
        /// The variable name.
        name: MacroString,
        /// Seconds (may be a macro).
        seconds: MacroString,
    },
    /// `setenv:name=value`.
    SetEnv {
        /// Variable name.
        name: MacroString,
        /// Value.
        value: MacroString,
    },
    /// `setuid`.
    SetUid(MacroString),
    /// `setsid`.
    SetSid(MacroString),
    /// `setrsc`.
    SetRsc(MacroString),
    /// `sanitiseArg`.
    SanitiseArg(String),
    /// `sanitiseMatched`.
    SanitiseMatched,
    /// `sanitiseMatchedBytes[:a/b]`.
    SanitiseMatchedBytes(Option<String>),
    /// `sanitiseRequestHeader`.
    SanitiseRequestHeader(String),
    /// `sanitiseResponseHeader`.
    SanitiseResponseHeader(String),
    /// `xmlns:prefix=uri`.
    XmlNs(String),
    /// An action the engine does not implement (already reported); kept with its raw value.
    Unsupported(ActionName, Option<String>),
}

impl Action {
    /// The registry name of this action.
    pub fn name(&self) -> ActionName {
        match self {
            Action::Id(_) => ActionName::Id,
            Action::Phase(_) => ActionName::Phase,
            Action::Chain => ActionName::Chain,
            Action::Msg(_) => ActionName::Msg,
            Action::LogData(_) => ActionName::LogData,
            Action::Tag(_) => ActionName::Tag,
            Action::Severity(_) => ActionName::Severity,
            Action::Ver(_) => ActionName::Ver,
            Action::Rev(_) => ActionName::Rev,
            Action::Maturity(_) => ActionName::Maturity,
            Action::Accuracy(_) => ActionName::Accuracy,
            Action::Transform(_) => ActionName::Transform,
            Action::SetVar(_) => ActionName::SetVar,
            Action::Ctl(_) => ActionName::Ctl,
            Action::Skip(_) => ActionName::Skip,
            Action::SkipAfter(_) => ActionName::SkipAfter,
            Action::Capture => ActionName::Capture,
            Action::MultiMatch => ActionName::MultiMatch,
            Action::Log => ActionName::Log,
            Action::NoLog => ActionName::NoLog,
            Action::AuditLog => ActionName::AuditLog,
            Action::NoAuditLog => ActionName::NoAuditLog,
            Action::Pass => ActionName::Pass,
            Action::Block => ActionName::Block,
            Action::Deny => ActionName::Deny,
            Action::Drop => ActionName::Drop,
            Action::Allow(_) => ActionName::Allow,
            Action::Redirect(_) => ActionName::Redirect,
            Action::Status(_) => ActionName::Status,
            Action::InitCol { .. } => ActionName::InitCol,
            Action::ExpireVar { .. } => ActionName::ExpireVar,
            Action::SetEnv { .. } => ActionName::SetEnv,
            Action::SetUid(_) => ActionName::SetUid,
            Action::SetSid(_) => ActionName::SetSid,
            Action::SetRsc(_) => ActionName::SetRsc,
            Action::SanitiseArg(_) => ActionName::SanitiseArg,
            Action::SanitiseMatched => ActionName::SanitiseMatched,
            Action::SanitiseMatchedBytes(_) => ActionName::SanitiseMatchedBytes,
            Action::SanitiseRequestHeader(_) => ActionName::SanitiseRequestHeader,
            Action::SanitiseResponseHeader(_) => ActionName::SanitiseResponseHeader,
            Action::XmlNs(_) => ActionName::XmlNs,
            Action::Unsupported(n, _) => *n,
        }
    }
}

fn first_id(actions: &[Spanned<Action>]) -> Option<RuleId> {
    actions.iter().find_map(|a| match a.node {
        Action::Id(id) => Some(id),
        _ => None,
    })
}

fn first_phase(actions: &[Spanned<Action>]) -> Option<Phase> {
    actions.iter().find_map(|a| match a.node {
        Action::Phase(p) => Some(p),
        _ => None,
    })
}

impl Rule {
    /// The `id` action, if any.
    pub fn id(&self) -> Option<RuleId> {
        first_id(&self.actions)
    }

    /// The `phase` action, if any.
    pub fn phase(&self) -> Option<Phase> {
        first_phase(&self.actions)
    }

    /// True when the rule has a `chain` action.
    pub fn is_chain_starter(&self) -> bool {
        self.actions.iter().any(|a| a.node == Action::Chain)
    }
}

impl SecAction {
    /// The `id` action, if any.
    pub fn id(&self) -> Option<RuleId> {
        first_id(&self.actions)
    }

    /// The `phase` action, if any.
    pub fn phase(&self) -> Option<Phase> {
        first_phase(&self.actions)
    }
}

impl Directive {
    /// The span of the whole directive.
    pub fn span(&self) -> Span {
        match self {
            Directive::Rule(r) => r.span,
            Directive::Action(a) | Directive::DefaultAction(a) => a.span,
            Directive::RuleUpdateTargetById(u) => u.span,
            Directive::RuleUpdateTargetByTag(u) | Directive::RuleUpdateTargetByMsg(u) => u.span,
            Directive::RuleUpdateActionById(u) => u.span,
            Directive::ResponseBodyMimeTypesClear(s) => *s,
            Directive::RuleRemoveById(s) => s.span,
            Directive::Engine(s) => s.span,
            Directive::RequestBodyAccess(s)
            | Directive::ResponseBodyAccess(s)
            | Directive::TmpSaveUploadedFiles(s)
            | Directive::XmlExternalEntity(s)
            | Directive::StatusEngine(s) => s.span,
            Directive::RequestBodyLimit(s)
            | Directive::RequestBodyNoFilesLimit(s)
            | Directive::RequestBodyInMemoryLimit(s)
            | Directive::RequestBodyJsonDepthLimit(s)
            | Directive::ResponseBodyLimit(s)
            | Directive::ArgumentsLimit(s)
            | Directive::PcreMatchLimit(s)
            | Directive::PcreMatchLimitRecursion(s)
            | Directive::UploadFileLimit(s)
            | Directive::CollectionTimeout(s) => s.span,
            Directive::RequestBodyLimitAction(s) | Directive::ResponseBodyLimitAction(s) => s.span,
            Directive::ResponseBodyMimeType(s) => s.span,
            Directive::CookieFormat(s) | Directive::DebugLogLevel(s) => s.span,
            Directive::AuditEngine(s) | Directive::UploadKeepFiles(s) => s.span,
            Directive::AuditLogFormat(s) => s.span,
            Directive::AuditLogType(s) => s.span,
            Directive::UnicodeMapFile(s) => s.span,
            Directive::Marker(s)
            | Directive::RuleRemoveByTag(s)
            | Directive::RuleRemoveByMsg(s)
            | Directive::ArgumentSeparator(s)
            | Directive::CookieV0Separator(s)
            | Directive::ComponentSignature(s)
            | Directive::AuditLog(s)
            | Directive::AuditLogParts(s)
            | Directive::AuditLogStorageDir(s)
            | Directive::AuditLogDirMode(s)
            | Directive::AuditLogFileMode(s)
            | Directive::AuditLogRelevantStatus(s)
            | Directive::DataDir(s)
            | Directive::TmpDir(s)
            | Directive::UploadDir(s)
            | Directive::UploadFileMode(s)
            | Directive::DebugLog(s)
            | Directive::WebAppId(s) => s.span,
        }
    }
}
