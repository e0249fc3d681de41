//! ModSecurity SecLang text to a typed AST with spans. Pure: no I/O beyond the loader trait.
//!
//! This crate is the parser half of Palisade's WAF: it turns rule files (the OWASP CRS v4
//! unmodified, plus user rules) into a [`RuleSet`] of typed [`Directive`]s. Every name (directive,
//! variable, operator, transformation, action, ctl option) is resolved through one static table
//! per concept in [`registry`]; unknown and unsupported names are errors. All errors of a rule set
//! arrive in one run as [`Diagnostic`]s with file:line:col. Regexes are **not** compiled here:
//! operator arguments stay raw, with spans, for the engine.
//!
//! It must not depend on the engine, on async runtimes, or on a clock. The only I/O is through a
//! [`Loader`] ([`FsLoader`] for files, [`MapLoader`] in memory).
//!
//! ```
//! use palisade_seclang::{MapLoader, Parser};
//!
//! let loader = MapLoader::new().with(
//!     "main.conf",
//!     "SecRule ARGS \"@rx attack\" \"id:1,phase:2,deny,msg:'attack in %{MATCHED_VAR_NAME}'\"\n",
//! );
//! let mut parser = Parser::new(&loader);
//! parser.load("main.conf");
//! let rules = parser.finish().into_result().expect("valid rules");
//! assert_eq!(rules.directives.len(), 1);
//! ```

mod ast;
mod diag;
mod docs;
mod lex;
mod loader;
mod parse;
mod print;
pub mod registry;
mod span;

pub use ast::{
    Action, AllowScope, AuditEngineMode, AuditLogFormat, AuditLogType, BodyProcessor, Ctl,
    Directive, EngineMode, IdRange, LimitAction, MacroPart, MacroString, Operator, Phase, Rule,
    RuleId, RuleSet, SecAction, Selector, SetVar, SetVarOp, Setting, Severity, Spanned,
    UpdateAction, UpdateTarget, Variable,
};
pub use diag::{Diagnostic, Diagnostics, Location, Note};
pub use docs::reference_markdown;
pub use loader::{
    FS_DEFAULT_MAX_FILE_SIZE, FS_DEFAULT_MAX_GLOB_MATCHES, FsLoader, LoadError, Loader, MapLoader,
    glob_match, has_wildcards,
};
pub use parse::{Limits, Parsed, Parser, parse_id_ranges, parse_macro_string, parse_str};
pub use span::{FileId, SourceFile, Span};
