//! The operator table.

use super::{ArgRequirement, YES, no, registry};

use ArgRequirement::{None as N, Optional as O, Required as R};

registry! {
    /// A SecLang operator name (written `@name`).
    enum OperatorName;
    kind ArgRequirement;
    /// Every operator the parser knows.
    table OPERATORS;
    Rx => "rx", R, YES, "Regular expression match (the default when no `@` is given).";
    Pm => "pm", R, YES, "Case-insensitive match of any of the space-separated phrases.";
    PmFromFile => "pmFromFile", R, YES, "Like `@pm`, phrases read from data files.";
    Pmf => "pmf", R, YES, "Alias of `@pmFromFile`.";
    Streq => "streq", R, YES, "String equality (argument may contain macros).";
    Strmatch => "strmatch", R, YES, "Substring match.";
    Contains => "contains", R, YES, "Substring match (argument may contain macros).";
    ContainsWord => "containsWord", R, YES, "Whole-word substring match.";
    BeginsWith => "beginsWith", R, YES, "Prefix match.";
    EndsWith => "endsWith", R, YES, "Suffix match.";
    Within => "within", R, YES, "The input occurs inside the argument.";
    Eq => "eq", R, YES, "Numeric equality.";
    Ne => "ne", R, no("not implemented by the engine yet"), "Numeric inequality.";
    Gt => "gt", R, YES, "Numeric greater-than.";
    Ge => "ge", R, YES, "Numeric greater-or-equal.";
    Lt => "lt", R, YES, "Numeric less-than.";
    Le => "le", R, YES, "Numeric less-or-equal.";
    IpMatch => "ipMatch", R, YES, "IP address or CIDR list match.";
    IpMatchF => "ipMatchF", R, YES, "Alias of `@ipMatchFromFile`.";
    IpMatchFromFile => "ipMatchFromFile", R, YES, "IP address or CIDR list read from a file.";
    DetectSqli => "detectSQLi", N, YES, "libinjection SQL injection detection.";
    DetectXss => "detectXSS", N, YES, "libinjection XSS detection.";
    ValidateByteRange => "validateByteRange", R, YES, "Fails when a byte is outside the given ranges.";
    ValidateUrlEncoding => "validateUrlEncoding", N, YES, "Fails on invalid percent-encoding.";
    ValidateUtf8Encoding => "validateUtf8Encoding", N, YES, "Fails on invalid UTF-8.";
    VerifyCc => "verifyCC", R, no("not implemented by the engine yet"), "Credit card number detection (regex plus Luhn).";
    VerifyCpf => "verifyCPF", R, no("not implemented by the engine yet"), "Brazilian CPF number detection.";
    VerifySsn => "verifySSN", R, no("not implemented by the engine yet"), "US social security number detection.";
    NoMatch => "noMatch", O, YES, "Never matches.";
    UnconditionalMatch => "unconditionalMatch", O, YES, "Always matches.";
    ValidateDtd => "validateDTD", R, no("XML DTD validation is not supported"), "Validates XML against a DTD.";
    ValidateSchema => "validateSchema", R, no("XML schema validation is not supported"), "Validates XML against a schema.";
    ValidateHash => "validateHash", R, no("HMAC link signing is not supported"), "Validates HMAC tokens.";
    Rsub => "rsub", R, no("stream editing is not supported"), "Regex substitution on stream variables.";
    Rbl => "rbl", R, no("DNS block-list lookups are not supported"), "Real-time block list lookup.";
    GeoLookup => "geoLookup", O, no("geo lookups are not supported"), "Fills GEO from an IP address.";
    GsbLookup => "gsbLookup", R, no("Google Safe Browsing lookups are not supported"), "Google Safe Browsing lookup.";
    InspectFile => "inspectFile", R, no("running external programs is not supported"), "Runs an external program on uploaded files.";
    FuzzyHash => "fuzzyHash", R, no("ssdeep fuzzy hashing is not supported"), "ssdeep fuzzy hash match.";
}
