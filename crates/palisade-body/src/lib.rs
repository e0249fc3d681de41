//! Request body processors for the WAF engine: `application/x-www-form-urlencoded`,
//! `multipart/form-data`, JSON and XML, following ModSecurity's semantics where the OWASP
//! Core Rule Set depends on them.
//!
//! Pure: input is `&[u8]` (plus the `Content-Type` value for multipart), output is typed data.
//! No I/O, no async, no clock, and no dependency on the engine (`palisade-waf` depends on this
//! crate, never the reverse). Every resource bound is an explicit field of [`Limits`]; a limit
//! that is hit yields a [`BodyError`] (the engine turns it into `REQBODY_ERROR`), never a panic.

mod error;
pub mod json;
pub mod multipart;
pub mod urlencoded;
pub mod xml;

pub use error::BodyError;

/// Resource bounds applied by every body processor. All fields are public so the engine can
/// map its configuration (`SecArgumentsLimit`, `SecRequestBodyJsonDepthLimit`, ...) onto them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Maximum number of arguments one processor may emit (urlencoded pairs, JSON leaves,
    /// multipart non-file parts). Default 1000, ModSecurity's `SecArgumentsLimit` default and
    /// the value the CRS test setup uses.
    pub max_args: usize,
    /// Maximum length in bytes of one argument name after decoding. Default 65 536.
    pub max_arg_name_len: usize,
    /// Maximum length in bytes of one argument value after decoding. Default 1 048 576.
    pub max_arg_value_len: usize,
    /// Maximum nesting depth of JSON objects and arrays. Default 512, ModSecurity's
    /// `SecRequestBodyJsonDepthLimit` default.
    pub max_json_depth: usize,
    /// Maximum element nesting depth of an XML document. Default 256.
    pub max_xml_depth: usize,
    /// Maximum number of XML nodes (elements, text nodes and attributes together). Default 100 000.
    pub max_xml_nodes: usize,
    /// Maximum number of parts in a multipart body. Default 1000.
    pub max_multipart_parts: usize,
    /// Maximum bytes of the header block of one multipart part. Default 8192.
    pub max_part_header_bytes: usize,
    /// Maximum number of headers in one multipart part. Default 64.
    pub max_part_headers: usize,
    /// Maximum number of file parts; more sets `MULTIPART_FILE_LIMIT_EXCEEDED` (the extra
    /// files are still reported but flagged). Default 100, ModSecurity's `SecUploadFileLimit`.
    pub max_files: usize,
    /// Maximum size in bytes of one uploaded file; `None` means bounded only by the body
    /// size. A larger file is an error. Default `None`.
    pub max_file_size: Option<usize>,
}

impl Limits {
    /// The documented defaults (see each field).
    pub const DEFAULT: Self = Self {
        max_args: 1000,
        max_arg_name_len: 65_536,
        max_arg_value_len: 1_048_576,
        max_json_depth: 512,
        max_xml_depth: 256,
        max_xml_nodes: 100_000,
        max_multipart_parts: 1000,
        max_part_header_bytes: 8192,
        max_part_headers: 64,
        max_files: 100,
        max_file_size: None,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// One decoded argument: name and value bytes, as ModSecurity stores them in `ARGS`.
pub type Arg = (Vec<u8>, Vec<u8>);
