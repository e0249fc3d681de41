//! The variable (target) table.

use super::{YES, no, registry};

/// Whether a variable takes a selector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VariableKind {
    /// A single value; a `:selector` is an error.
    Scalar,
    /// A collection of name/value pairs; takes `:key` or `:/regex/`.
    Collection,
    /// The XML body; takes an XPath selector.
    Xml,
}

impl std::fmt::Display for VariableKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            VariableKind::Scalar => "scalar",
            VariableKind::Collection => "collection",
            VariableKind::Xml => "XPath",
        })
    }
}

use VariableKind::{Collection as C, Scalar as S, Xml as X};

registry! {
    /// A SecLang variable or collection name.
    enum VariableName;
    kind VariableKind;
    /// Every variable the parser knows.
    table VARIABLES;
    Args => "ARGS", C, YES, "All request arguments (query string and body).";
    ArgsCombinedSize => "ARGS_COMBINED_SIZE", S, YES, "Total size of all argument names and values.";
    ArgsGet => "ARGS_GET", C, YES, "Query string arguments.";
    ArgsGetNames => "ARGS_GET_NAMES", C, YES, "Query string argument names.";
    ArgsNames => "ARGS_NAMES", C, YES, "All argument names.";
    ArgsPost => "ARGS_POST", C, YES, "Body arguments.";
    ArgsPostNames => "ARGS_POST_NAMES", C, YES, "Body argument names.";
    AuthType => "AUTH_TYPE", S, YES, "Authentication scheme of the Authorization header.";
    Duration => "DURATION", S, YES, "Microseconds since the transaction started (from the injected clock).";
    Env => "ENV", C, YES, "Environment collection set with `setenv`.";
    Files => "FILES", C, YES, "Original file names of multipart uploads.";
    FilesCombinedSize => "FILES_COMBINED_SIZE", S, YES, "Total size of uploaded files.";
    FilesNames => "FILES_NAMES", C, YES, "Form field names of uploaded files.";
    FilesSizes => "FILES_SIZES", C, YES, "Sizes of uploaded files.";
    FilesTmpNames => "FILES_TMPNAMES", C, YES, "Temporary names of uploaded files.";
    FilesTmpContent => "FILES_TMP_CONTENT", C, no("uploads are not written to temporary files"), "Contents of uploaded files.";
    FullRequest => "FULL_REQUEST", S, YES, "Request line, headers and body.";
    FullRequestLength => "FULL_REQUEST_LENGTH", S, YES, "Length of FULL_REQUEST.";
    Geo => "GEO", C, YES, "Geo lookup results (empty: @geoLookup is unsupported).";
    Global => "GLOBAL", C, YES, "Persistent global collection (after `initcol`).";
    HighestSeverity => "HIGHEST_SEVERITY", S, YES, "Highest severity of the rules matched so far.";
    InboundDataError => "INBOUND_DATA_ERROR", S, YES, "1 when the request body exceeded the limit.";
    Ip => "IP", C, YES, "Persistent per-client collection (after `initcol`).";
    MatchedVar => "MATCHED_VAR", S, YES, "Value of the last matched variable.";
    MatchedVarName => "MATCHED_VAR_NAME", S, YES, "Name of the last matched variable.";
    MatchedVars => "MATCHED_VARS", C, YES, "Values matched by the current rule.";
    MatchedVarsNames => "MATCHED_VARS_NAMES", C, YES, "Names matched by the current rule.";
    ModsecBuild => "MODSEC_BUILD", S, YES, "Engine build number.";
    MscPcreLimitsExceeded => "MSC_PCRE_LIMITS_EXCEEDED", S, YES, "1 when a regex limit was hit.";
    MultipartBoundaryQuoted => "MULTIPART_BOUNDARY_QUOTED", S, YES, "Multipart strictness flag: quoted boundary.";
    MultipartBoundaryWhitespace => "MULTIPART_BOUNDARY_WHITESPACE", S, YES, "Multipart strictness flag: whitespace in boundary.";
    MultipartCrlfLfLines => "MULTIPART_CRLF_LF_LINES", S, YES, "Multipart strictness flag: mixed line endings.";
    MultipartDataAfter => "MULTIPART_DATA_AFTER", S, YES, "Multipart strictness flag: data after the last boundary.";
    MultipartDataBefore => "MULTIPART_DATA_BEFORE", S, YES, "Multipart strictness flag: data before the first boundary.";
    MultipartFileLimitExceeded => "MULTIPART_FILE_LIMIT_EXCEEDED", S, YES, "Multipart strictness flag: too many files.";
    MultipartFilename => "MULTIPART_FILENAME", S, YES, "Last multipart file name seen.";
    MultipartHeaderFolding => "MULTIPART_HEADER_FOLDING", S, YES, "Multipart strictness flag: folded part headers.";
    MultipartInvalidHeaderFolding => "MULTIPART_INVALID_HEADER_FOLDING", S, YES, "Multipart strictness flag: invalid header folding.";
    MultipartInvalidPart => "MULTIPART_INVALID_PART", S, YES, "Multipart strictness flag: invalid part.";
    MultipartInvalidQuoting => "MULTIPART_INVALID_QUOTING", S, YES, "Multipart strictness flag: invalid quoting.";
    MultipartLfLine => "MULTIPART_LF_LINE", S, YES, "Multipart strictness flag: bare LF line endings.";
    MultipartMissingSemicolon => "MULTIPART_MISSING_SEMICOLON", S, YES, "Multipart strictness flag: missing semicolon.";
    MultipartSemicolonMissing => "MULTIPART_SEMICOLON_MISSING", S, YES, "Alias of MULTIPART_MISSING_SEMICOLON.";
    MultipartName => "MULTIPART_NAME", S, YES, "Last multipart field name seen.";
    MultipartPartHeaders => "MULTIPART_PART_HEADERS", C, YES, "Headers of each multipart part, by field name.";
    MultipartStrictError => "MULTIPART_STRICT_ERROR", S, YES, "1 when any multipart strictness flag is set.";
    MultipartUnmatchedBoundary => "MULTIPART_UNMATCHED_BOUNDARY", S, YES, "Multipart strictness flag: unmatched boundary.";
    OutboundDataError => "OUTBOUND_DATA_ERROR", S, YES, "1 when the response body exceeded the limit.";
    PathInfo => "PATH_INFO", S, YES, "Extra path information (empty behind a proxy).";
    QueryString => "QUERY_STRING", S, YES, "Raw query string without `?`.";
    RemoteAddr => "REMOTE_ADDR", S, YES, "Client IP address.";
    RemoteHost => "REMOTE_HOST", S, YES, "Client host name (the address; no reverse DNS).";
    RemotePort => "REMOTE_PORT", S, YES, "Client port.";
    RemoteUser => "REMOTE_USER", S, YES, "User name from Basic authentication.";
    ReqbodyError => "REQBODY_ERROR", S, YES, "1 when the body processor failed.";
    ReqbodyErrorMsg => "REQBODY_ERROR_MSG", S, YES, "Body processor error message.";
    ReqbodyProcessor => "REQBODY_PROCESSOR", S, YES, "Name of the body processor in use.";
    ReqbodyProcessorError => "REQBODY_PROCESSOR_ERROR", S, YES, "Alias of REQBODY_ERROR.";
    ReqbodyProcessorErrorMsg => "REQBODY_PROCESSOR_ERROR_MSG", S, YES, "Alias of REQBODY_ERROR_MSG.";
    RequestBasename => "REQUEST_BASENAME", S, YES, "Last path segment of the URI.";
    RequestBody => "REQUEST_BODY", S, YES, "Raw request body.";
    RequestBodyLength => "REQUEST_BODY_LENGTH", S, YES, "Request body length in bytes.";
    RequestCookies => "REQUEST_COOKIES", C, YES, "Request cookies.";
    RequestCookiesNames => "REQUEST_COOKIES_NAMES", C, YES, "Request cookie names.";
    RequestFilename => "REQUEST_FILENAME", S, YES, "URI path without the query string.";
    RequestHeaders => "REQUEST_HEADERS", C, YES, "Request headers.";
    RequestHeadersNames => "REQUEST_HEADERS_NAMES", C, YES, "Request header names.";
    RequestLine => "REQUEST_LINE", S, YES, "The request line.";
    RequestMethod => "REQUEST_METHOD", S, YES, "Request method.";
    RequestProtocol => "REQUEST_PROTOCOL", S, YES, "Request protocol, e.g. `HTTP/1.1`.";
    RequestUri => "REQUEST_URI", S, YES, "URI (path and query), normalised.";
    RequestUriRaw => "REQUEST_URI_RAW", S, YES, "URI exactly as received.";
    Resource => "RESOURCE", C, YES, "Persistent per-resource collection (after `initcol`).";
    ResponseBody => "RESPONSE_BODY", S, YES, "Response body.";
    ResponseContentLength => "RESPONSE_CONTENT_LENGTH", S, YES, "Response body length.";
    ResponseContentType => "RESPONSE_CONTENT_TYPE", S, YES, "Response Content-Type.";
    ResponseHeaders => "RESPONSE_HEADERS", C, YES, "Response headers.";
    ResponseHeadersNames => "RESPONSE_HEADERS_NAMES", C, YES, "Response header names.";
    ResponseProtocol => "RESPONSE_PROTOCOL", S, YES, "Response protocol.";
    ResponseStatus => "RESPONSE_STATUS", S, YES, "Response status code.";
    Rule => "RULE", C, YES, "Metadata of the current rule (`rule.id`, `rule.msg`, ...).";
    ServerAddr => "SERVER_ADDR", S, YES, "Local address of the connection.";
    ServerName => "SERVER_NAME", S, YES, "Host name of the request.";
    ServerPort => "SERVER_PORT", S, YES, "Local port of the connection.";
    Session => "SESSION", C, YES, "Persistent session collection (after `setsid`).";
    SessionId => "SESSIONID", S, YES, "Session id set with `setsid`.";
    StatusLine => "STATUS_LINE", S, YES, "Response status line.";
    StreamInputBody => "STREAM_INPUT_BODY", S, no("streaming body inspection is not supported"), "Request body as a stream.";
    StreamOutputBody => "STREAM_OUTPUT_BODY", S, no("streaming body inspection is not supported"), "Response body as a stream.";
    Time => "TIME", S, YES, "Time as `hh:mm:ss` (from the injected clock).";
    TimeDay => "TIME_DAY", S, YES, "Day of month.";
    TimeEpoch => "TIME_EPOCH", S, YES, "Seconds since the epoch.";
    TimeHour => "TIME_HOUR", S, YES, "Hour.";
    TimeMin => "TIME_MIN", S, YES, "Minute.";
    TimeMon => "TIME_MON", S, YES, "Month.";
    TimeSec => "TIME_SEC", S, YES, "Second.";
    TimeWday => "TIME_WDAY", S, YES, "Day of week.";
    TimeYear => "TIME_YEAR", S, YES, "Year.";
    Tx => "TX", C, YES, "Transaction collection (`setvar`, captures TX:0..9).";
    UniqueId => "UNIQUE_ID", S, YES, "Unique transaction id.";
    UrlencodedError => "URLENCODED_ERROR", S, YES, "1 when urlencoded parsing failed.";
    User => "USER", C, YES, "Persistent per-user collection (after `setuid`).";
    UserId => "USERID", S, YES, "User id set with `setuid`.";
    UserAgentIp => "USERAGENT_IP", S, YES, "Client IP as seen by the proxy.";
    WebAppId => "WEBAPPID", S, YES, "Value of SecWebAppId.";
    WebserverErrorLog => "WEBSERVER_ERROR_LOG", C, no("there is no web server error log"), "Web server error log lines.";
    Xml => "XML", X, YES, "XML body, selected with XPath (`XML:/*`).";
}

impl VariableName {
    /// True for collections that `initcol`, `setvar` and `expirevar` may write to.
    pub fn is_writable_collection(self) -> bool {
        matches!(
            self,
            VariableName::Tx
                | VariableName::Ip
                | VariableName::Global
                | VariableName::Session
                | VariableName::User
                | VariableName::Resource
        )
    }
}
