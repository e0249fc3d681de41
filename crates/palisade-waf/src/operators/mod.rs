//! Operators (`@rx`, `@pm`, `@eq`, ...) with ModSecurity v2 semantics.
//!
//! [`compile`] turns an operator name and its argument into a [`CompiledOperator`].
//! Operators whose argument ModSecurity macro-expands (`@eq %{tx.threshold}`,
//! `@streq %{TX.2}`, ...) and that contains a `%{...}` macro compile to
//! [`OperatorArg::Dynamic`]: the engine expands the [`MacroTemplate`] per request and
//! passes the bytes to [`CompiledOperator::eval`] as `arg_override`. The string and
//! numeric operators evaluate such arguments without allocating.
//!
//! [`OPERATORS`] is the one registry; data files (`@pmFromFile`, `@ipMatchFromFile`)
//! come through a [`DataLoader`] so this module does no I/O.

mod ip;
mod numeric;
mod pm;
mod rx;
mod strings;
mod validate;

use std::fmt;

pub use rx::{REGEX_SIZE_LIMIT, rewrite_pattern};

/// Supplies the content of data files named in operator arguments.
///
/// The engine resolves names (relative to the rule file, as ModSecurity does) and
/// applies its own size limits.
pub trait DataLoader {
    /// Returns the bytes of data file `name`, or a reason it cannot be read.
    fn load(&self, name: &str) -> Result<Vec<u8>, String>;
}

/// A [`DataLoader`] that refuses every file (for operators that need none).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoFiles;

impl DataLoader for NoFiles {
    fn load(&self, name: &str) -> Result<Vec<u8>, String> {
        Err(format!("no data files available (wanted {name:?})"))
    }
}

/// Why an operator could not be compiled.
#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    /// The name is not an operator ModSecurity knows.
    #[error("unknown operator @{0}")]
    Unknown(String),
    /// ModSecurity has this operator, this engine does not implement it.
    #[error("operator @{0} is not supported by this engine")]
    Unsupported(&'static str),
    /// The argument is not valid for the operator.
    #[error("@{op}: {reason}")]
    InvalidArgument {
        /// Operator name.
        op: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The regular expression does not compile.
    #[error("@{op}: the regular expression does not compile: {source}")]
    Regex {
        /// Operator name.
        op: &'static str,
        /// The regex crate's error.
        #[source]
        source: Box<regex::Error>,
    },
    /// A data file could not be loaded.
    #[error("@{op}: cannot load {file:?}: {reason}")]
    Load {
        /// Operator name.
        op: &'static str,
        /// The file name as written in the rule.
        file: String,
        /// The loader's reason.
        reason: String,
    },
}

/// Capture slots `TX:0`..`TX:9` filled by a capturing operator.
///
/// Set [`Captures::set_wanted`] when the rule has the `capture` action; otherwise
/// operators skip the work. After a match of `@rx`, `@pm`, `@pmFromFile` or
/// `@detectSQLi` with captures wanted, exactly the slots `0..len()` are set (ModSecurity
/// then unsets `TX:len()..=9`); other operators and non-matches leave it untouched.
#[derive(Debug, Default, Clone)]
pub struct Captures {
    wanted: bool,
    len: usize,
    slots: [Vec<u8>; Self::MAX],
}

impl Captures {
    /// Number of capture slots (`TX:0` to `TX:9`).
    pub const MAX: usize = 10;

    /// Empty captures, not wanted.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether operators should fill the slots.
    pub fn set_wanted(&mut self, wanted: bool) {
        self.wanted = wanted;
    }

    /// Whether operators fill the slots.
    pub fn wanted(&self) -> bool {
        self.wanted
    }

    /// Number of slots set by the last capturing match.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no slot is set.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Slot `i` (`TX:i`), if set.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        (i < self.len).then(|| self.slots[i].as_slice())
    }

    /// The set slots in order.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.slots[..self.len].iter().map(Vec::as_slice)
    }

    /// Unsets every slot (keeps the buffers).
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Appends the next slot; ignored beyond [`Captures::MAX`].
    fn push(&mut self, value: &[u8]) {
        if let Some(slot) = self.slots.get_mut(self.len) {
            slot.clear();
            slot.extend_from_slice(value);
            self.len += 1;
        }
    }
}

/// One piece of a [`MacroTemplate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MacroPart {
    /// Bytes copied as they are.
    Literal(Box<[u8]>),
    /// `%{COLLECTION}` or `%{COLLECTION.key}`, names as written.
    Var {
        /// Collection or variable name (`tx`, `REQUEST_HEADERS`, `MATCHED_VAR`).
        collection: Box<str>,
        /// Text after the first `.`, if any.
        key: Option<Box<str>>,
    },
}

/// An operator argument containing `%{...}` macros, split into parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacroTemplate {
    raw: Box<[u8]>,
    parts: Box<[MacroPart]>,
}

impl MacroTemplate {
    /// Parses `text`; `None` if it contains no macro. `%{}` and an unclosed `%{` stay
    /// literal, as in ModSecurity.
    pub fn parse(text: &[u8]) -> Option<Self> {
        let mut parts = Vec::new();
        let mut lit = Vec::new();
        let mut i = 0;
        let mut any = false;
        while i < text.len() {
            if let Some((collection, key, used)) = macro_at(&text[i..]) {
                if !lit.is_empty() {
                    parts.push(MacroPart::Literal(std::mem::take(&mut lit).into()));
                }
                parts.push(MacroPart::Var {
                    collection: collection.into(),
                    key: key.map(Into::into),
                });
                any = true;
                i += used;
                continue;
            }
            lit.push(text[i]);
            i += 1;
        }
        if !any {
            return None;
        }
        if !lit.is_empty() {
            parts.push(MacroPart::Literal(lit.into()));
        }
        Some(Self {
            raw: text.into(),
            parts: parts.into(),
        })
    }

    /// The argument as written.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// The parts in order.
    pub fn parts(&self) -> &[MacroPart] {
        &self.parts
    }

    /// Expands into `out` (cleared first); `resolve(collection, key, out)` appends a
    /// variable's value (nothing for an unknown variable).
    pub fn expand(
        &self,
        out: &mut Vec<u8>,
        mut resolve: impl FnMut(&str, Option<&str>, &mut Vec<u8>),
    ) {
        out.clear();
        for part in self.parts.iter() {
            match part {
                MacroPart::Literal(b) => out.extend_from_slice(b),
                MacroPart::Var { collection, key } => resolve(collection, key.as_deref(), out),
            }
        }
    }
}

/// A macro `%{name}` at the start of `s`: `(collection, key, bytes used)`.
fn macro_at(s: &[u8]) -> Option<(&str, Option<&str>, usize)> {
    let rest = s.strip_prefix(b"%{")?;
    let close = memchr::memchr(b'}', rest)?;
    let name = std::str::from_utf8(&rest[..close])
        .ok()
        .filter(|n| !n.is_empty())?;
    let (collection, key) = match name.split_once('.') {
        Some((c, k)) => (c, Some(k)),
        None => (name, None),
    };
    Some((collection, key, close + 3))
}

/// A compiled operator argument: the matcher behind a [`CompiledOperator`].
///
/// Cloning is cheap: compiled automata are shared, each clone gets its own match caches.
#[derive(Clone)]
pub struct Matcher(Kind);

#[derive(Clone)]
enum Kind {
    Rx(regex::bytes::Regex),
    Pm(pm::PhraseSet),
    Num(numeric::Cmp, i32),
    Bytes(strings::BytesFn, Box<[u8]>),
    ByteRange(Box<[bool; 256]>),
    ValidateUrlEncoding,
    ValidateUtf8Encoding,
    Ip(ip::IpSet),
    Sqli,
    Xss,
    Always(bool),
}

impl Matcher {
    fn matches(&self, input: &[u8], captures: &mut Captures) -> bool {
        match &self.0 {
            Kind::Rx(re) => rx::matches(re, input, captures),
            Kind::Pm(set) => set.matches(input, captures),
            Kind::Num(cmp, right) => cmp.holds(numeric::atoi(input), *right),
            Kind::Bytes(f, arg) => f(arg, input),
            Kind::ByteRange(allowed) => input.iter().any(|&b| !allowed[usize::from(b)]),
            Kind::ValidateUrlEncoding => validate::invalid_url_encoding(input),
            Kind::ValidateUtf8Encoding => std::str::from_utf8(input).is_err(),
            Kind::Ip(set) => set.contains_text(input),
            Kind::Sqli => match palisade_detect::detect_sqli(input) {
                Some(fp) => {
                    if captures.wanted() {
                        captures.clear();
                        captures.push(fp.as_bytes());
                    }
                    true
                }
                None => false,
            },
            Kind::Xss => palisade_detect::detect_xss(input),
            Kind::Always(v) => *v,
        }
    }
}

impl fmt::Debug for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match &self.0 {
            Kind::Rx(re) => return f.debug_tuple("Rx").field(&re.as_str()).finish(),
            Kind::Pm(set) => return f.debug_tuple("Pm").field(&set.len()).finish(),
            Kind::Num(cmp, n) => return f.debug_tuple("Num").field(cmp).field(n).finish(),
            Kind::Bytes(_, arg) => {
                return f
                    .debug_tuple("Bytes")
                    .field(&String::from_utf8_lossy(arg))
                    .finish();
            }
            Kind::ByteRange(_) => "ByteRange",
            Kind::ValidateUrlEncoding => "ValidateUrlEncoding",
            Kind::ValidateUtf8Encoding => "ValidateUtf8Encoding",
            Kind::Ip(set) => return f.debug_tuple("Ip").field(&set.len()).finish(),
            Kind::Sqli => "Sqli",
            Kind::Xss => "Xss",
            Kind::Always(v) => return f.debug_tuple("Always").field(v).finish(),
        };
        f.write_str(what)
    }
}

/// The argument of a [`CompiledOperator`].
#[derive(Debug, Clone)]
pub enum OperatorArg {
    /// Compiled once at load time.
    Static(Matcher),
    /// Contains macros: expanded by the engine per request, then evaluated.
    Dynamic(MacroTemplate),
}

/// How an operator's argument is compiled.
pub type CompileFn = fn(argument: &[u8], loader: &dyn DataLoader) -> Result<Matcher, OperatorError>;

/// Evaluates an operator against a borrowed, already expanded argument (no allocation).
pub type DynamicFn = fn(argument: &[u8], input: &[u8]) -> bool;

/// How an operator treats `%{...}` in its argument.
#[derive(Debug, Clone, Copy)]
pub enum Macros {
    /// ModSecurity does not expand macros here: `%{` is literal text.
    Literal,
    /// Expanded per request and evaluated without compiling.
    Cheap(DynamicFn),
    /// Expanded per request and compiled per evaluation (costly; CRS never does it).
    Recompile,
}

/// One entry of the operator registry.
#[derive(Debug)]
pub struct OperatorDef {
    /// The name as ModSecurity spells it, without `@` (lookup ignores case).
    pub name: &'static str,
    /// Compiles the argument.
    pub compile: CompileFn,
    /// One line for the generated reference.
    pub doc: &'static str,
    /// Whether this engine implements it (if not, `compile` reports `Unsupported`).
    pub supported: bool,
    /// Macro handling of the argument.
    pub macros: Macros,
}

/// Every operator ModSecurity v2 knows; `supported: false` ones fail to compile with
/// [`OperatorError::Unsupported`] so configurations get a precise error.
pub static OPERATORS: &[OperatorDef] = &[
    op(
        "beginsWith",
        strings::compile_begins_with,
        "Input starts with the argument (empty argument matches).",
        Macros::Cheap(strings::begins_with),
    ),
    op(
        "contains",
        strings::compile_contains,
        "Input contains the argument (empty argument matches).",
        Macros::Cheap(strings::contains),
    ),
    op(
        "containsWord",
        strings::compile_contains_word,
        "Input contains the argument as a whole word ([A-Za-z0-9_] boundaries).",
        Macros::Cheap(strings::contains_word),
    ),
    op(
        "detectSQLi",
        compile_sqli,
        "libinjection SQL injection detection; captures the fingerprint into TX:0.",
        Macros::Literal,
    ),
    op(
        "detectXSS",
        compile_xss,
        "libinjection XSS detection.",
        Macros::Literal,
    ),
    op(
        "endsWith",
        strings::compile_ends_with,
        "Input ends with the argument (empty argument matches).",
        Macros::Cheap(strings::ends_with),
    ),
    op(
        "eq",
        numeric::compile_eq,
        "Integer equality (both sides parsed like C atoi).",
        Macros::Cheap(numeric::dyn_eq),
    ),
    op(
        "ge",
        numeric::compile_ge,
        "Integer greater-or-equal (atoi).",
        Macros::Cheap(numeric::dyn_ge),
    ),
    op(
        "gt",
        numeric::compile_gt,
        "Integer greater-than (atoi).",
        Macros::Cheap(numeric::dyn_gt),
    ),
    op(
        "ipMatch",
        ip::compile_ip_match,
        "Input is an IPv4/IPv6 address inside one of the comma-separated addresses/CIDRs.",
        Macros::Literal,
    ),
    op(
        "ipMatchFromFile",
        ip::compile_ip_match_from_file,
        "ipMatch with addresses/CIDRs from data files, one per line.",
        Macros::Literal,
    ),
    op(
        "ipMatchF",
        ip::compile_ip_match_from_file,
        "Alias of ipMatchFromFile.",
        Macros::Literal,
    ),
    op(
        "le",
        numeric::compile_le,
        "Integer less-or-equal (atoi).",
        Macros::Cheap(numeric::dyn_le),
    ),
    op(
        "lt",
        numeric::compile_lt,
        "Integer less-than (atoi).",
        Macros::Cheap(numeric::dyn_lt),
    ),
    op(
        "noMatch",
        compile_no_match,
        "Never matches.",
        Macros::Literal,
    ),
    op(
        "pm",
        pm::compile_pm,
        "Case-insensitive multi-phrase match (Aho-Corasick); captures the phrase into TX:0.",
        Macros::Literal,
    ),
    op(
        "pmFromFile",
        pm::compile_pm_from_file,
        "pm with phrases from data files, one per line.",
        Macros::Literal,
    ),
    op(
        "pmf",
        pm::compile_pm_from_file,
        "Alias of pmFromFile.",
        Macros::Literal,
    ),
    op(
        "rx",
        rx::compile_rx,
        "Regular expression over bytes (PCRE-like DOTALL, ASCII classes); captures TX:0..9.",
        Macros::Recompile,
    ),
    op(
        "streq",
        strings::compile_streq,
        "Input equals the argument.",
        Macros::Cheap(strings::streq),
    ),
    op(
        "strmatch",
        strings::compile_strmatch,
        "Input contains the argument (case-sensitive substring).",
        Macros::Literal,
    ),
    op(
        "unconditionalMatch",
        compile_unconditional,
        "Always matches.",
        Macros::Literal,
    ),
    op(
        "validateByteRange",
        validate::compile_byte_range,
        "Matches when a byte is outside the listed ranges (e.g. 1-255 or 9,10,32-126).",
        Macros::Literal,
    ),
    op(
        "validateUrlEncoding",
        validate::compile_url_encoding,
        "Matches on a % not followed by two hex digits.",
        Macros::Literal,
    ),
    op(
        "validateUtf8Encoding",
        validate::compile_utf8_encoding,
        "Matches on invalid UTF-8 (truncated, overlong, surrogate, > U+10FFFF).",
        Macros::Literal,
    ),
    op(
        "within",
        strings::compile_within,
        "The argument contains the input (empty input matches).",
        Macros::Cheap(strings::within),
    ),
    unsupported("fuzzyHash", "ssdeep fuzzy hashing."),
    unsupported("geoLookup", "GeoIP lookup."),
    unsupported("gsbLookup", "Google Safe Browsing lookup."),
    unsupported("inspectFile", "Runs an external program."),
    unsupported("rbl", "DNS block-list lookup."),
    unsupported("rsub", "Regex substitution on stream data."),
    unsupported("validateDTD", "XML DTD validation."),
    unsupported("validateHash", "Signed hash validation."),
    unsupported("validateSchema", "XML schema validation."),
    unsupported("verifyCC", "Credit card number detection."),
    unsupported("verifyCPF", "Brazilian CPF detection."),
    unsupported("verifySSN", "US SSN detection."),
];

const fn op(
    name: &'static str,
    compile: CompileFn,
    doc: &'static str,
    macros: Macros,
) -> OperatorDef {
    OperatorDef {
        name,
        compile,
        doc,
        supported: true,
        macros,
    }
}

const fn unsupported(name: &'static str, doc: &'static str) -> OperatorDef {
    OperatorDef {
        name,
        compile: compile_unsupported,
        doc,
        supported: false,
        macros: Macros::Literal,
    }
}

fn compile_unsupported(_: &[u8], _: &dyn DataLoader) -> Result<Matcher, OperatorError> {
    // The caller replaces this with the operator's name; see `compile`.
    Err(OperatorError::Unsupported(""))
}

fn compile_sqli(_: &[u8], _: &dyn DataLoader) -> Result<Matcher, OperatorError> {
    Ok(Matcher(Kind::Sqli))
}

fn compile_xss(_: &[u8], _: &dyn DataLoader) -> Result<Matcher, OperatorError> {
    Ok(Matcher(Kind::Xss))
}

fn compile_no_match(_: &[u8], _: &dyn DataLoader) -> Result<Matcher, OperatorError> {
    Ok(Matcher(Kind::Always(false)))
}

fn compile_unconditional(_: &[u8], _: &dyn DataLoader) -> Result<Matcher, OperatorError> {
    Ok(Matcher(Kind::Always(true)))
}

/// Finds an operator by name (without `@`), ignoring ASCII case.
pub fn lookup(name: &str) -> Option<&'static OperatorDef> {
    OPERATORS.iter().find(|d| d.name.eq_ignore_ascii_case(name))
}

/// An operator ready to evaluate (cheap to clone, see [`Matcher`]).
#[derive(Debug, Clone)]
pub struct CompiledOperator {
    def: &'static OperatorDef,
    arg: OperatorArg,
}

/// Compiles operator `name` (without `@`) with `argument` as written in the rule.
pub fn compile(
    name: &str,
    argument: &[u8],
    loader: &dyn DataLoader,
) -> Result<CompiledOperator, OperatorError> {
    let def = lookup(name).ok_or_else(|| OperatorError::Unknown(name.to_owned()))?;
    if !def.supported {
        return Err(OperatorError::Unsupported(def.name));
    }
    if !matches!(def.macros, Macros::Literal)
        && let Some(template) = MacroTemplate::parse(argument)
    {
        return Ok(CompiledOperator {
            def,
            arg: OperatorArg::Dynamic(template),
        });
    }
    let matcher = (def.compile)(argument, loader)?;
    Ok(CompiledOperator {
        def,
        arg: OperatorArg::Static(matcher),
    })
}

/// The data files [`compile`] asks its loader for when compiling operator `name` with
/// `argument` (`@pmFromFile`, `@ipMatchFromFile` and their aliases), in the order it asks;
/// empty for every other operator. Lets a caller read the files before compiling elsewhere.
pub fn data_files(name: &str, argument: &[u8]) -> Vec<String> {
    match lookup(name) {
        Some(def)
            if matches!(
                def.name,
                "pmFromFile" | "pmf" | "ipMatchFromFile" | "ipMatchF"
            ) =>
        {
            pm::file_names(argument)
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .collect()
        }
        _ => Vec::new(),
    }
}

impl CompiledOperator {
    /// The registry entry.
    pub fn def(&self) -> &'static OperatorDef {
        self.def
    }

    /// The operator name as ModSecurity spells it.
    pub fn name(&self) -> &'static str {
        self.def.name
    }

    /// The compiled argument or the macro template to expand.
    pub fn arg(&self) -> &OperatorArg {
        &self.arg
    }

    /// The template to expand before [`CompiledOperator::eval`], if the argument has macros.
    pub fn template(&self) -> Option<&MacroTemplate> {
        match &self.arg {
            OperatorArg::Dynamic(t) => Some(t),
            OperatorArg::Static(_) => None,
        }
    }

    /// Evaluates against `input` (negation is the engine's business).
    ///
    /// For a dynamic argument pass the expanded bytes as `arg_override`; without it the
    /// template text is used as written. `arg_override` is ignored for static arguments.
    /// A dynamic argument that does not compile (a bad expanded regex) does not match.
    pub fn eval(&self, input: &[u8], arg_override: Option<&[u8]>, captures: &mut Captures) -> bool {
        match &self.arg {
            OperatorArg::Static(m) => m.matches(input, captures),
            OperatorArg::Dynamic(t) => {
                let arg = arg_override.unwrap_or(t.raw());
                match self.def.macros {
                    Macros::Cheap(f) => f(arg, input),
                    Macros::Recompile | Macros::Literal => {
                        match (self.def.compile)(arg, &NoFiles) {
                            Ok(m) => m.matches(input, captures),
                            Err(_) => false,
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_ignoring_case() {
        for (i, a) in OPERATORS.iter().enumerate() {
            for b in &OPERATORS[i + 1..] {
                assert!(!a.name.eq_ignore_ascii_case(b.name), "duplicate {}", a.name);
            }
        }
    }

    #[test]
    fn lookup_ignores_case_and_reports_unknown_and_unsupported() {
        assert_eq!(lookup("RX").map(|d| d.name), Some("rx"));
        assert_eq!(lookup("pmfromfile").map(|d| d.name), Some("pmFromFile"));
        assert!(matches!(
            compile("nope", b"", &NoFiles),
            Err(OperatorError::Unknown(_))
        ));
        assert!(matches!(
            compile("rbl", b"x", &NoFiles),
            Err(OperatorError::Unsupported("rbl"))
        ));
    }

    #[test]
    fn crs_operators_are_supported() {
        for name in [
            "rx",
            "pm",
            "pmFromFile",
            "eq",
            "ge",
            "gt",
            "lt",
            "le",
            "streq",
            "within",
            "contains",
            "beginsWith",
            "endsWith",
            "containsWord",
            "validateByteRange",
            "validateUrlEncoding",
            "validateUtf8Encoding",
            "ipMatch",
            "detectSQLi",
            "detectXSS",
            "unconditionalMatch",
            "noMatch",
            "strmatch",
            "ipMatchFromFile",
        ] {
            assert!(lookup(name).is_some_and(|d| d.supported), "{name}");
        }
    }

    #[test]
    fn data_files_are_named_only_for_file_operators() {
        assert_eq!(
            data_files("pmFromFile", b" a.data  b.data "),
            vec!["a.data".to_owned(), "b.data".to_owned()]
        );
        assert_eq!(
            data_files("ipMatchF", b"ips.txt"),
            vec!["ips.txt".to_owned()]
        );
        assert_eq!(data_files("PMF", b"x.data"), vec!["x.data".to_owned()]);
        assert!(data_files("pm", b"a.data").is_empty());
        assert!(data_files("rx", b"a.data").is_empty());
        assert!(data_files("nope", b"a.data").is_empty());
    }

    #[test]
    fn data_files_names_every_file_compile_reads() {
        struct Recording(std::cell::RefCell<Vec<String>>);
        impl DataLoader for Recording {
            fn load(&self, name: &str) -> Result<Vec<u8>, String> {
                self.0.borrow_mut().push(name.to_owned());
                Ok(b"10.0.0.1\nphrase\n".to_vec())
            }
        }
        for def in OPERATORS.iter().filter(|d| d.supported) {
            let arg = b"one.data two.data";
            let loader = Recording(std::cell::RefCell::new(Vec::new()));
            let _ = compile(def.name, arg, &loader);
            assert_eq!(
                loader.0.into_inner(),
                data_files(def.name, arg),
                "{}",
                def.name
            );
        }
    }

    #[test]
    fn clones_match_like_the_original() {
        let Ok(rx) = compile("rx", b"(a+)b", &NoFiles) else {
            panic!("compiles");
        };
        let copy = rx.clone();
        let mut caps = Captures::new();
        caps.set_wanted(true);
        assert!(copy.eval(b"xaab", None, &mut caps));
        assert_eq!(caps.get(1), Some(&b"aa"[..]));
        assert!(!copy.eval(b"xyz", None, &mut caps));
    }

    #[test]
    fn macro_template_parses() {
        let t = MacroTemplate::parse(b"x%{tx.a.b}y%{MATCHED_VAR}%{}%{open");
        let Some(t) = t else {
            panic!("template expected");
        };
        assert_eq!(
            t.parts(),
            &[
                MacroPart::Literal(b"x".as_slice().into()),
                MacroPart::Var {
                    collection: "tx".into(),
                    key: Some("a.b".into())
                },
                MacroPart::Literal(b"y".as_slice().into()),
                MacroPart::Var {
                    collection: "MATCHED_VAR".into(),
                    key: None
                },
                MacroPart::Literal(b"%{}%{open".as_slice().into()),
            ]
        );
        let mut out = Vec::new();
        t.expand(&mut out, |c, k, o| {
            o.extend_from_slice(c.as_bytes());
            o.extend_from_slice(k.unwrap_or("-").as_bytes());
        });
        assert_eq!(out, b"xtxa.byMATCHED_VAR-%{}%{open");
        assert!(MacroTemplate::parse(b"plain %{").is_none());
    }

    #[test]
    fn dynamic_arguments_use_the_override() {
        let mut caps = Captures::new();
        let ge = compile("ge", b"%{tx.inbound_anomaly_score_threshold}", &NoFiles);
        let Ok(ge) = ge else {
            panic!("compiles");
        };
        assert!(ge.template().is_some());
        assert!(ge.eval(b"5", Some(b"5"), &mut caps));
        assert!(!ge.eval(b"4", Some(b"5"), &mut caps));
        let Ok(streq) = compile("streq", b"%{TX.2}", &NoFiles) else {
            panic!("compiles");
        };
        assert!(streq.eval(b"abc", Some(b"abc"), &mut caps));
        assert!(!streq.eval(b"abc", Some(b"abd"), &mut caps));
        // @pm does not expand macros in ModSecurity: the text is literal.
        let Ok(pm) = compile("pm", b"%{x}", &NoFiles) else {
            panic!("compiles");
        };
        assert!(pm.template().is_none());
        assert!(pm.eval(b"a %{X} b", None, &mut caps));
    }
}
