//! The directive table.

use super::{YES, no, registry};

/// How many arguments a directive takes (after its name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Arity {
    /// Fewest arguments.
    pub min: u8,
    /// Most arguments; `None` means unbounded.
    pub max: Option<u8>,
}

impl Arity {
    /// Exactly `n` arguments.
    pub const fn exactly(n: u8) -> Arity {
        Arity {
            min: n,
            max: Some(n),
        }
    }

    /// Between `min` and `max` arguments.
    pub const fn range(min: u8, max: u8) -> Arity {
        Arity {
            min,
            max: Some(max),
        }
    }

    /// At least `min` arguments.
    pub const fn at_least(min: u8) -> Arity {
        Arity { min, max: None }
    }

    /// True when `n` arguments are acceptable.
    pub fn accepts(self, n: usize) -> bool {
        n >= usize::from(self.min) && self.max.is_none_or(|m| n <= usize::from(m))
    }
}

impl std::fmt::Display for Arity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.max {
            Some(m) if m == self.min => write!(f, "{m}"),
            Some(m) => write!(f, "{}-{m}", self.min),
            None => write!(f, "{}+", self.min),
        }
    }
}

const ONE: Arity = Arity::exactly(1);

registry! {
    /// A SecLang directive name.
    enum DirectiveName;
    kind Arity;
    /// Every directive the parser knows.
    table DIRECTIVES;
    SecRule => "SecRule", Arity::range(2, 3), YES, "A rule: targets, operator and optional actions.";
    SecAction => "SecAction", ONE, YES, "An unconditional rule: actions only.";
    SecMarker => "SecMarker", ONE, YES, "A named position that `skipAfter` jumps to.";
    SecDefaultAction => "SecDefaultAction", ONE, YES, "Default actions for later rules of the same phase.";
    SecRuleRemoveById => "SecRuleRemoveById", Arity::at_least(1), YES, "Removes rules by id or id range.";
    SecRuleRemoveByTag => "SecRuleRemoveByTag", ONE, YES, "Removes rules carrying a tag.";
    SecRuleRemoveByMsg => "SecRuleRemoveByMsg", ONE, YES, "Removes rules by message.";
    SecRuleUpdateTargetById => "SecRuleUpdateTargetById", Arity::range(2, 3), YES, "Adds, excludes or replaces targets of rules by id.";
    SecRuleUpdateTargetByTag => "SecRuleUpdateTargetByTag", Arity::range(2, 3), YES, "Adds, excludes or replaces targets of rules by tag.";
    SecRuleUpdateTargetByMsg => "SecRuleUpdateTargetByMsg", Arity::range(2, 3), YES, "Adds, excludes or replaces targets of rules by message.";
    SecRuleUpdateActionById => "SecRuleUpdateActionById", Arity::exactly(2), YES, "Replaces actions of a rule by id.";
    SecRuleEngine => "SecRuleEngine", ONE, YES, "`On`, `Off` or `DetectionOnly`.";
    SecRequestBodyAccess => "SecRequestBodyAccess", ONE, YES, "Buffer and inspect request bodies (`On`/`Off`).";
    SecRequestBodyLimit => "SecRequestBodyLimit", ONE, YES, "Maximum request body size in bytes.";
    SecRequestBodyNoFilesLimit => "SecRequestBodyNoFilesLimit", ONE, YES, "Maximum request body size excluding uploaded files.";
    SecRequestBodyInMemoryLimit => "SecRequestBodyInMemoryLimit", ONE, YES, "Request body bytes kept in memory (recorded).";
    SecRequestBodyLimitAction => "SecRequestBodyLimitAction", ONE, YES, "`Reject` or `ProcessPartial` when the body limit is hit.";
    SecRequestBodyJsonDepthLimit => "SecRequestBodyJsonDepthLimit", ONE, YES, "Maximum JSON nesting depth.";
    SecResponseBodyAccess => "SecResponseBodyAccess", ONE, YES, "Buffer and inspect response bodies (`On`/`Off`).";
    SecResponseBodyMimeType => "SecResponseBodyMimeType", Arity::at_least(1), YES, "MIME types whose response bodies are inspected.";
    SecResponseBodyMimeTypesClear => "SecResponseBodyMimeTypesClear", Arity::exactly(0), YES, "Clears the response MIME type list.";
    SecResponseBodyLimit => "SecResponseBodyLimit", ONE, YES, "Maximum response body size in bytes.";
    SecResponseBodyLimitAction => "SecResponseBodyLimitAction", ONE, YES, "`Reject` or `ProcessPartial` when the response limit is hit.";
    SecArgumentsLimit => "SecArgumentsLimit", ONE, YES, "Maximum number of arguments parsed.";
    SecArgumentSeparator => "SecArgumentSeparator", ONE, YES, "Separator of urlencoded arguments (default `&`).";
    SecCookieFormat => "SecCookieFormat", ONE, YES, "Cookie format version: 0 or 1.";
    SecCookieV0Separator => "SecCookieV0Separator", ONE, YES, "Separator of version-0 cookies.";
    SecComponentSignature => "SecComponentSignature", ONE, YES, "A component name recorded in the audit log.";
    SecPcreMatchLimit => "SecPcreMatchLimit", ONE, YES, "Regex match limit (recorded; the engine maps it to its own limits).";
    SecPcreMatchLimitRecursion => "SecPcreMatchLimitRecursion", ONE, YES, "Regex recursion limit (recorded).";
    SecAuditEngine => "SecAuditEngine", ONE, YES, "`On`, `Off` or `RelevantOnly`.";
    SecAuditLog => "SecAuditLog", ONE, YES, "Audit log path (recorded).";
    SecAuditLogParts => "SecAuditLogParts", ONE, YES, "Audit log parts, e.g. `ABIJDEFHZ`.";
    SecAuditLogFormat => "SecAuditLogFormat", ONE, YES, "`JSON` or `Native`.";
    SecAuditLogType => "SecAuditLogType", ONE, YES, "`Serial`, `Concurrent` or `HTTPS`.";
    SecAuditLogStorageDir => "SecAuditLogStorageDir", ONE, YES, "Directory for concurrent audit logs (recorded).";
    SecAuditLogDirMode => "SecAuditLogDirMode", ONE, YES, "Audit log directory mode (recorded).";
    SecAuditLogFileMode => "SecAuditLogFileMode", ONE, YES, "Audit log file mode (recorded).";
    SecAuditLogRelevantStatus => "SecAuditLogRelevantStatus", ONE, YES, "Regex of response statuses that are relevant for auditing.";
    SecDataDir => "SecDataDir", ONE, YES, "Directory for persistent collections (recorded).";
    SecTmpDir => "SecTmpDir", ONE, YES, "Directory for temporary files (recorded).";
    SecUploadDir => "SecUploadDir", ONE, YES, "Directory for kept uploads (recorded).";
    SecUploadKeepFiles => "SecUploadKeepFiles", ONE, YES, "`On`, `Off` or `RelevantOnly` (recorded).";
    SecUploadFileLimit => "SecUploadFileLimit", ONE, YES, "Maximum number of uploaded files per request.";
    SecUploadFileMode => "SecUploadFileMode", ONE, YES, "Mode of kept upload files (recorded).";
    SecTmpSaveUploadedFiles => "SecTmpSaveUploadedFiles", ONE, YES, "Save uploads to temporary files (recorded).";
    SecCollectionTimeout => "SecCollectionTimeout", ONE, YES, "Seconds before a persistent collection expires.";
    SecDebugLog => "SecDebugLog", ONE, YES, "Debug log path (recorded).";
    SecDebugLogLevel => "SecDebugLogLevel", ONE, YES, "Debug log level 0-9 (recorded).";
    SecWebAppId => "SecWebAppId", ONE, YES, "Application namespace for persistent collections.";
    SecXmlExternalEntity => "SecXmlExternalEntity", ONE, YES, "Allow XML external entities (`On`/`Off`).";
    SecUnicodeMapFile => "SecUnicodeMapFile", Arity::range(1, 2), YES, "Unicode map file and code page for `urlDecodeUni`.";
    SecStatusEngine => "SecStatusEngine", ONE, YES, "Status reporting (`On`/`Off`, recorded; never phones home).";
    Include => "Include", ONE, YES, "Includes files; a glob may match several files, loaded in sorted order.";
    IncludeOptional => "IncludeOptional", ONE, YES, "Like `Include`, but a pattern that matches nothing is not an error.";
    SecRuleScript => "SecRuleScript", Arity::range(1, 2), no("Lua rules are not supported"), "A rule implemented by a Lua script.";
    SecRemoteRules => "SecRemoteRules", Arity::range(2, 3), no("rules are never fetched over the network"), "Loads rules from a URL.";
    SecRemoteRulesFailAction => "SecRemoteRulesFailAction", ONE, no("rules are never fetched over the network"), "What to do when remote rules fail.";
    SecGeoLookupDb => "SecGeoLookupDb", ONE, no("geo lookups are not supported"), "GeoIP database path.";
    SecHashEngine => "SecHashEngine", ONE, no("HMAC link signing is not supported"), "HMAC token engine.";
    SecHashKey => "SecHashKey", Arity::range(1, 2), no("HMAC link signing is not supported"), "HMAC token key.";
    SecHashParam => "SecHashParam", ONE, no("HMAC link signing is not supported"), "HMAC token parameter name.";
    SecHashMethodRx => "SecHashMethodRx", Arity::exactly(2), no("HMAC link signing is not supported"), "HMAC protected elements by regex.";
    SecHashMethodPm => "SecHashMethodPm", Arity::exactly(2), no("HMAC link signing is not supported"), "HMAC protected elements by phrase.";
    SecContentInjection => "SecContentInjection", ONE, no("content injection (append/prepend) is not supported"), "Enables `append`/`prepend`.";
    SecStreamInBodyInspection => "SecStreamInBodyInspection", ONE, no("STREAM_INPUT_BODY is not supported"), "Enables STREAM_INPUT_BODY.";
    SecStreamOutBodyInspection => "SecStreamOutBodyInspection", ONE, no("STREAM_OUTPUT_BODY is not supported"), "Enables STREAM_OUTPUT_BODY.";
    SecChrootDir => "SecChrootDir", ONE, no("the proxy does not chroot through the WAF"), "Apache chroot directory.";
    SecGuardianLog => "SecGuardianLog", ONE, no("the guardian log is not supported"), "External guardian log pipe.";
    SecServerSignature => "SecServerSignature", ONE, no("the Server header is set by the proxy configuration"), "Overrides the Server response header.";
    SecHttpBlKey => "SecHttpBlKey", ONE, no("@rbl lookups are not supported"), "Project Honeypot API key.";
    SecConnEngine => "SecConnEngine", ONE, no("connection limits live in the proxy configuration"), "Connection engine.";
    SecReadStateLimit => "SecReadStateLimit", ONE, no("connection limits live in the proxy configuration"), "Apache read-state limit.";
    SecWriteStateLimit => "SecWriteStateLimit", ONE, no("connection limits live in the proxy configuration"), "Apache write-state limit.";
    SecRuleInheritance => "SecRuleInheritance", ONE, no("there are no nested configuration contexts"), "Rule inheritance between Apache contexts.";
    SecRulePerfTime => "SecRulePerfTime", ONE, no("rule performance logging is not supported"), "Logs slow rules.";
    SecInterceptOnError => "SecInterceptOnError", ONE, no("errors always go through the proxy's rescue point"), "Intercepts on processing errors.";
    SecDisableBackendCompression => "SecDisableBackendCompression", ONE, no("compression is handled by the proxy"), "Strips Accept-Encoding towards the backend.";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arity_accepts() {
        assert!(Arity::range(2, 3).accepts(2));
        assert!(Arity::range(2, 3).accepts(3));
        assert!(!Arity::range(2, 3).accepts(4));
        assert!(Arity::at_least(1).accepts(9));
        assert!(!Arity::at_least(1).accepts(0));
        assert_eq!(Arity::at_least(1).to_string(), "1+");
    }
}
