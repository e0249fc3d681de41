//! The WAF rule engine and its building blocks: ModSecurity-compatible transformations
//! (`t:` actions), operators (`@rx`, `@pm`, ...) and the engine that runs rules.
//!
//! Everything here works on bytes. There is no I/O, no clock and no async: data files
//! for `@pmFromFile` / `@ipMatchFromFile` arrive through the [`operators::DataLoader`]
//! trait, which the engine implements.
//!
//! Semantics follow ModSecurity v2 (`msc_util.c`, `re_tfns.c`, `re_operators.c`), the
//! engine the OWASP CRS regression suite is written against. Where this crate deviates
//! on purpose the item's documentation says so.
//!
//! [`engine`] compiles a parsed SecLang rule set (from `palisade-seclang`) into an
//! immutable [`engine::Engine`] and runs per-request [`engine::Transaction`]s over it,
//! mapping parsed names onto the registries [`transformations::TRANSFORMATIONS`] and
//! [`operators::OPERATORS`]. This crate must not depend on the proxy or on tokio.

pub mod crs;
pub mod engine;
pub mod operators;
pub mod transformations;
