//! The rule engine: a SecLang [`RuleSet`] compiled into an immutable [`Engine`] shared by
//! all threads, and a per-request [`Transaction`] that runs phases 1–5 over it.
//!
//! Semantics follow ModSecurity v2, the engine the OWASP CRS regression suite is checked
//! against: rules run in load order within their phase; `SecDefaultAction` supplies the
//! log flags, the disruptive action behind `block` and leading transformations of the
//! rules defined after it in its phase; a rule's non-disruptive actions (`setvar`, `ctl`,
//! captures) run once per matching value, also on chain links whose chain later fails;
//! a complete chain logs once per value matched by its last link and performs the
//! starter's disruptive action, which interrupts only under `SecRuleEngine On`;
//! `skipAfter` jumps past the next `SecMarker` of that name in the same phase;
//! `SecRuleRemove*` and `SecRuleUpdate*` change the rules defined before them.
//!
//! Collections `IP`, `GLOBAL`, `SESSION`, `USER` and `RESOURCE` are transaction-local: the
//! gateway shares state between requests and nodes through its own rate limiting, not
//! through ModSecurity's persistent storage.

mod compile;
mod log;
mod rule;
mod tx;
mod vars;

use std::collections::HashMap;

use palisade_seclang::{Diagnostics, EngineMode, LimitAction, RuleSet};

pub use log::{InterruptAction, Interruption, LogContext, RuleMatch, escape_log};
pub use tx::Transaction;
pub use vars::{Civil, ConnectionInfo, civil};

use rule::Item;

/// Supplies data files named by `@pmFromFile` / `@ipMatchFromFile`, resolved relative to
/// the rule file that names them (as ModSecurity does). The engine does no I/O itself.
pub trait DataFiles {
    /// The bytes of data file `name` named in `rule_file`, or why it cannot be read.
    fn load(&self, rule_file: &str, name: &str) -> Result<Vec<u8>, String>;
}

/// Refuses every data file.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoDataFiles;

impl DataFiles for NoDataFiles {
    fn load(&self, _rule_file: &str, name: &str) -> Result<Vec<u8>, String> {
        Err(format!("no data files available (wanted {name:?})"))
    }
}

/// Engine-wide settings from the configuration directives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineConfig {
    /// `SecRuleEngine` (default `On`: the gateway decides per site whether to load rules).
    pub rule_engine: EngineMode,
    /// `SecRequestBodyAccess` (default off, as in ModSecurity).
    pub request_body_access: bool,
    /// `SecRequestBodyLimit` (default 13 107 200).
    pub request_body_limit: u64,
    /// `SecRequestBodyNoFilesLimit` (default 1 048 576).
    pub request_body_no_files_limit: u64,
    /// `SecRequestBodyLimitAction` (default `Reject`).
    pub request_body_limit_action: LimitAction,
    /// `SecRequestBodyJsonDepthLimit` (default 512).
    pub json_depth_limit: u64,
    /// `SecArgumentsLimit` (default 1000).
    pub arguments_limit: u64,
    /// `SecArgumentSeparator` (default `&`).
    pub argument_separator: u8,
    /// `SecUploadFileLimit` (default 100).
    pub upload_file_limit: u64,
    /// `SecResponseBodyAccess` (default off).
    pub response_body_access: bool,
    /// `SecResponseBodyMimeType`, lower-case (default `text/plain`, `text/html`).
    pub response_body_mime_types: Vec<String>,
    /// `SecResponseBodyLimit` (default 524 288).
    pub response_body_limit: u64,
    /// `SecResponseBodyLimitAction` (default `Reject`).
    pub response_body_limit_action: LimitAction,
    /// `SecComponentSignature`s.
    pub component_signatures: Vec<String>,
    /// `SecWebAppId`.
    pub web_app_id: String,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            rule_engine: EngineMode::On,
            request_body_access: false,
            request_body_limit: 13_107_200,
            request_body_no_files_limit: 1_048_576,
            request_body_limit_action: LimitAction::Reject,
            json_depth_limit: 512,
            arguments_limit: 1000,
            argument_separator: b'&',
            upload_file_limit: 100,
            response_body_access: false,
            response_body_mime_types: vec!["text/plain".into(), "text/html".into()],
            response_body_limit: 524_288,
            response_body_limit_action: LimitAction::Reject,
            component_signatures: Vec::new(),
            web_app_id: String::new(),
        }
    }
}

/// A compiled rule set: immutable, `Send + Sync`, shared by every transaction.
#[derive(Debug)]
pub struct Engine {
    config: EngineConfig,
    phases: [Vec<Item>; 5],
    markers: [HashMap<Box<str>, Vec<usize>>; 5],
    chains: u32,
}

impl Engine {
    /// Compiles a parsed rule set. Every error (operator arguments that do not compile,
    /// unknown markers, duplicate ids, unsupported XPath, ...) is reported, with its place.
    pub fn compile(rules: &RuleSet, data: &dyn DataFiles) -> Result<Engine, Diagnostics> {
        compile::Compiler::new(rules, data).run()
    }

    fn from_parts(config: EngineConfig, phases: [Vec<Item>; 5], chains: u32) -> Engine {
        let mut markers: [HashMap<Box<str>, Vec<usize>>; 5] = Default::default();
        for (p, items) in phases.iter().enumerate() {
            for (i, item) in items.iter().enumerate() {
                if let Item::Marker(m) = item {
                    markers[p].entry(m.clone()).or_default().push(i);
                }
            }
        }
        Engine {
            config,
            phases,
            markers,
            chains,
        }
    }

    /// The settings in force.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Number of rules (chain starters and `SecAction`s) in all phases.
    pub fn rule_count(&self) -> usize {
        self.phases
            .iter()
            .flatten()
            .filter(|i| matches!(i, Item::Rule(_)))
            .count()
    }

    /// Every rule id, in phase and load order.
    pub fn rule_ids(&self) -> Vec<u32> {
        self.phases
            .iter()
            .flatten()
            .filter_map(|i| match i {
                Item::Rule(r) => Some(r.id),
                Item::Marker(_) => None,
            })
            .collect()
    }

    /// Number of distinct transformation chains (each is cached separately per value).
    pub fn transformation_chains(&self) -> u32 {
        self.chains
    }

    fn phase(&self, phase: u8) -> &[Item] {
        self.phases
            .get(usize::from(phase.saturating_sub(1)))
            .map_or(&[], Vec::as_slice)
    }

    /// The index just past the first marker `name` at or after `from` in `phase`.
    fn marker_after(&self, phase: u8, name: &str, from: usize) -> Option<usize> {
        let list = self
            .markers
            .get(usize::from(phase.saturating_sub(1)))?
            .get(name)?;
        list.iter().find(|&&i| i >= from).map(|i| i + 1)
    }
}

/// Data files through the SecLang file loader (its size limit applies): `name` is resolved
/// against the directory of the rule file, as ModSecurity does.
impl DataFiles for palisade_seclang::FsLoader {
    fn load(&self, rule_file: &str, name: &str) -> Result<Vec<u8>, String> {
        let base = std::path::Path::new(rule_file)
            .parent()
            .unwrap_or_else(|| std::path::Path::new(""));
        let path = base.join(name);
        let path = path.to_string_lossy();
        match palisade_seclang::Loader::load(self, &path, None) {
            Ok(mut files) if files.len() == 1 => Ok(files.remove(0).1.into_bytes()),
            Ok(_) => Err(format!("{path}: expected exactly one file")),
            Err(e) => Err(e.to_string()),
        }
    }
}
