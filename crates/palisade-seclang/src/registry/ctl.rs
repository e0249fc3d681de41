//! The `ctl:` option table.

use super::{YES, no, registry};

/// What value a ctl option takes (after `=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CtlValueKind {
    /// `On`, `Off` or `DetectionOnly`.
    EngineMode,
    /// `On`, `Off` or `RelevantOnly`.
    AuditEngine,
    /// `On` or `Off`.
    OnOff,
    /// A non-negative integer.
    Number,
    /// Rule ids and ranges, e.g. `920540` or `1-999`.
    Ids,
    /// Free text (a tag, a message, audit parts).
    Text,
    /// `<ids>;<target>`, e.g. `942100;ARGS:foo`.
    IdsTarget,
    /// `<text>;<target>`, e.g. `xss-perf-disable;REQUEST_FILENAME`.
    TextTarget,
    /// `URLENCODED`, `MULTIPART`, `XML` or `JSON`.
    BodyProcessor,
}

impl std::fmt::Display for CtlValueKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CtlValueKind::EngineMode => "On|Off|DetectionOnly",
            CtlValueKind::AuditEngine => "On|Off|RelevantOnly",
            CtlValueKind::OnOff => "On|Off",
            CtlValueKind::Number => "number",
            CtlValueKind::Ids => "ids",
            CtlValueKind::Text => "text",
            CtlValueKind::IdsTarget => "ids;target",
            CtlValueKind::TextTarget => "text;target",
            CtlValueKind::BodyProcessor => "URLENCODED|MULTIPART|XML|JSON",
        })
    }
}

use CtlValueKind as V;

registry! {
    /// A `ctl:` option name.
    enum CtlName;
    kind CtlValueKind;
    /// Every ctl option the parser knows.
    table CTL_OPTIONS;
    AuditEngine => "auditEngine", V::AuditEngine, YES, "Audit logging for this transaction.";
    AuditLogParts => "auditLogParts", V::Text, YES, "Audit log parts for this transaction (`+E`, `-C`, `ABZ`).";
    DebugLogLevel => "debugLogLevel", V::Number, YES, "Debug log level for this transaction (recorded).";
    ForceRequestBodyVariable => "forceRequestBodyVariable", V::OnOff, YES, "Fill REQUEST_BODY whatever the body processor.";
    HashEnforcement => "hashEnforcement", V::OnOff, no("HMAC link signing is not supported"), "HMAC enforcement.";
    HashEngine => "hashEngine", V::OnOff, no("HMAC link signing is not supported"), "HMAC engine.";
    ParseXmlIntoArgs => "parseXmlIntoArgs", V::OnOff, no("XML is exposed through XML:, not ARGS"), "Parse XML bodies into ARGS.";
    RequestBodyAccess => "requestBodyAccess", V::OnOff, YES, "Request body inspection for this transaction.";
    RequestBodyLimit => "requestBodyLimit", V::Number, YES, "Request body limit for this transaction.";
    RequestBodyProcessor => "requestBodyProcessor", V::BodyProcessor, YES, "Body processor for this transaction.";
    ResponseBodyAccess => "responseBodyAccess", V::OnOff, YES, "Response body inspection for this transaction.";
    ResponseBodyLimit => "responseBodyLimit", V::Number, YES, "Response body limit for this transaction.";
    RuleEngine => "ruleEngine", V::EngineMode, YES, "Rule engine mode for this transaction.";
    RuleRemoveById => "ruleRemoveById", V::Ids, YES, "Removes rules by id for this transaction.";
    RuleRemoveByMsg => "ruleRemoveByMsg", V::Text, YES, "Removes rules by message for this transaction.";
    RuleRemoveByTag => "ruleRemoveByTag", V::Text, YES, "Removes rules by tag for this transaction.";
    RuleRemoveTargetById => "ruleRemoveTargetById", V::IdsTarget, YES, "Removes a target from rules by id.";
    RuleRemoveTargetByMsg => "ruleRemoveTargetByMsg", V::TextTarget, YES, "Removes a target from rules by message.";
    RuleRemoveTargetByTag => "ruleRemoveTargetByTag", V::TextTarget, YES, "Removes a target from rules by tag.";
}
