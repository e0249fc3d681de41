//! The error type shared by all body processors.

/// A body that could not be processed. The engine sets `REQBODY_ERROR=1` and
/// `REQBODY_ERROR_MSG` to the `Display` text, which follows ModSecurity's wording.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BodyError {
    /// More arguments than [`crate::Limits::max_args`].
    #[error("Request body argument limit exceeded ({limit})")]
    TooManyArgs {
        /// The limit in force.
        limit: usize,
    },
    /// An argument name longer than [`crate::Limits::max_arg_name_len`].
    #[error("Argument name too long (limit {limit} bytes)")]
    ArgNameTooLong {
        /// The limit in force.
        limit: usize,
    },
    /// An argument value longer than [`crate::Limits::max_arg_value_len`].
    #[error("Argument value too long (limit {limit} bytes)")]
    ArgValueTooLong {
        /// The limit in force.
        limit: usize,
    },
    /// The JSON text is malformed.
    #[error("JSON parsing error: {message} at offset {offset}")]
    Json {
        /// What was wrong.
        message: &'static str,
        /// Byte offset in the body.
        offset: usize,
    },
    /// JSON nesting deeper than [`crate::Limits::max_json_depth`].
    #[error("JSON parsing error: Maximum depth exceeded (limit {limit})")]
    JsonDepth {
        /// The limit in force.
        limit: usize,
    },
    /// The XML document is malformed.
    #[error("XML parsing error: {message} at offset {offset}")]
    Xml {
        /// What was wrong.
        message: &'static str,
        /// Byte offset in the body.
        offset: usize,
    },
    /// The XML document has a DOCTYPE; DTDs are rejected so no entity can be declared or
    /// expanded (no XXE, no billion laughs).
    #[error("XML parsing error: DTD is not allowed at offset {offset}")]
    XmlDtd {
        /// Byte offset of `<!DOCTYPE`.
        offset: usize,
    },
    /// XML nesting deeper than [`crate::Limits::max_xml_depth`].
    #[error("XML parsing error: Maximum depth exceeded (limit {limit})")]
    XmlDepth {
        /// The limit in force.
        limit: usize,
    },
    /// More XML nodes than [`crate::Limits::max_xml_nodes`].
    #[error("XML parsing error: Node limit exceeded (limit {limit})")]
    XmlNodes {
        /// The limit in force.
        limit: usize,
    },
    /// A hard multipart error (ModSecurity's `Multipart: ...` messages).
    #[error("Multipart: {0}")]
    Multipart(&'static str),
}
