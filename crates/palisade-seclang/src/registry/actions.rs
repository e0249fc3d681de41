//! The action table.

use super::{ArgRequirement, YES, no, registry};

/// The ModSecurity action groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionCategory {
    /// What happens to the transaction (deny, pass, ...).
    Disruptive,
    /// Changes rule flow (chain, skip, skipAfter).
    Flow,
    /// Describes the rule (id, msg, tag, ...).
    Metadata,
    /// Carries data for other actions (status, xmlns).
    Data,
    /// Side effects that do not end the transaction (setvar, log, ctl, ...).
    NonDisruptive,
}

impl std::fmt::Display for ActionCategory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ActionCategory::Disruptive => "disruptive",
            ActionCategory::Flow => "flow",
            ActionCategory::Metadata => "metadata",
            ActionCategory::Data => "data",
            ActionCategory::NonDisruptive => "non-disruptive",
        })
    }
}

/// Kind of an action: its group and whether it takes a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ActionKind {
    /// The action group.
    pub category: ActionCategory,
    /// Whether a `:value` is expected.
    pub arg: ArgRequirement,
}

const fn k(category: ActionCategory, arg: ArgRequirement) -> ActionKind {
    ActionKind { category, arg }
}

use ActionCategory::{
    Data as DAT, Disruptive as DIS, Flow as FLO, Metadata as MET, NonDisruptive as NON,
};
use ArgRequirement::{None as N, Optional as O, Required as R};

registry! {
    /// A SecLang action name.
    enum ActionName;
    kind ActionKind;
    /// Every action the parser knows.
    table ACTIONS;
    Accuracy => "accuracy", k(MET, R), YES, "Accuracy of the rule, 1-9.";
    Allow => "allow", k(DIS, O), YES, "Stops rule processing; `allow:phase` for the phase, `allow:request` for the request phases.";
    Append => "append", k(NON, R), no("content injection is not supported"), "Appends text to the response body.";
    AuditLog => "auditlog", k(NON, N), YES, "Marks the transaction for the audit log.";
    Block => "block", k(DIS, N), YES, "Performs the disruptive action of SecDefaultAction.";
    Capture => "capture", k(NON, N), YES, "Stores regex captures in TX:0..9.";
    Chain => "chain", k(FLO, N), YES, "The next SecRule is a child that must also match.";
    Ctl => "ctl", k(NON, R), YES, "Changes configuration for this transaction.";
    Deny => "deny", k(DIS, N), YES, "Stops the transaction with an error status.";
    DeprecateVar => "deprecatevar", k(NON, R), no("deprecatevar is not supported"), "Decreases a persistent counter over time.";
    Drop => "drop", k(DIS, N), YES, "Closes the connection.";
    Exec => "exec", k(NON, R), no("running external programs is not supported"), "Runs an external script.";
    ExpireVar => "expirevar", k(NON, R), YES, "Expires a collection variable after N seconds.";
    Id => "id", k(MET, R), YES, "Unique rule id.";
    InitCol => "initcol", k(NON, R), YES, "Initialises a persistent collection.";
    Log => "log", k(NON, N), YES, "Logs matches.";
    LogData => "logdata", k(NON, R), YES, "Data logged with the match (macros expanded).";
    Maturity => "maturity", k(MET, R), YES, "Maturity of the rule, 1-9.";
    Msg => "msg", k(MET, R), YES, "Message logged with the match (macros expanded).";
    MultiMatch => "multiMatch", k(NON, N), YES, "Runs the operator after every transformation.";
    NoAuditLog => "noauditlog", k(NON, N), YES, "Does not mark the transaction for the audit log.";
    NoLog => "nolog", k(NON, N), YES, "Does not log matches.";
    Pass => "pass", k(DIS, N), YES, "Continues with the next rule.";
    Pause => "pause", k(DIS, R), no("pausing transactions is not supported"), "Delays the response.";
    Phase => "phase", k(DIS, R), YES, "Processing phase 1-5 (or request/response/logging).";
    Prepend => "prepend", k(NON, R), no("content injection is not supported"), "Prepends text to the response body.";
    Proxy => "proxy", k(DIS, R), no("proxying to another backend from a rule is not supported"), "Forwards the request to another server.";
    Redirect => "redirect", k(DIS, R), YES, "Redirects the client (302).";
    Rev => "rev", k(MET, R), YES, "Rule revision.";
    SanitiseArg => "sanitiseArg", k(NON, R), YES, "Masks an argument in the audit log.";
    SanitiseMatched => "sanitiseMatched", k(NON, N), YES, "Masks the matched variable in the audit log.";
    SanitiseMatchedBytes => "sanitiseMatchedBytes", k(NON, O), YES, "Masks matched bytes in the audit log.";
    SanitiseRequestHeader => "sanitiseRequestHeader", k(NON, R), YES, "Masks a request header in the audit log.";
    SanitiseResponseHeader => "sanitiseResponseHeader", k(NON, R), YES, "Masks a response header in the audit log.";
    SetEnv => "setenv", k(NON, R), YES, "Sets an ENV variable.";
    SetRsc => "setrsc", k(NON, R), YES, "Sets the RESOURCE collection key.";
    SetSid => "setsid", k(NON, R), YES, "Sets the SESSION collection key.";
    SetUid => "setuid", k(NON, R), YES, "Sets the USER collection key.";
    SetVar => "setvar", k(NON, R), YES, "Sets, increments, decrements or deletes a collection variable.";
    Severity => "severity", k(MET, R), YES, "Severity 0-7 or its name (CRITICAL, WARNING, ...).";
    Skip => "skip", k(FLO, R), YES, "Skips the next N rules.";
    SkipAfter => "skipAfter", k(FLO, R), YES, "Skips to after the named SecMarker (or rule id).";
    Status => "status", k(DAT, R), YES, "HTTP status used by deny/redirect.";
    Transform => "t", k(NON, R), YES, "Transformation applied to targets before the operator.";
    Tag => "tag", k(MET, R), YES, "Free-form tag (used by ruleRemoveByTag).";
    Ver => "ver", k(MET, R), YES, "Rule set version.";
    XmlNs => "xmlns", k(DAT, R), YES, "XML namespace prefix for XPath selectors.";
}
