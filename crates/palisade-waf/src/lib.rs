//! The WAF engine's pure building blocks: ModSecurity-compatible transformations
//! (`t:` actions) and operators (`@rx`, `@pm`, ...).
//!
//! Everything here works on bytes. There is no I/O, no clock and no async: data files
//! for `@pmFromFile` / `@ipMatchFromFile` arrive through the [`operators::DataLoader`]
//! trait, which the engine implements.
//!
//! Semantics follow ModSecurity v2 (`msc_util.c`, `re_tfns.c`, `re_operators.c`), the
//! engine the OWASP CRS regression suite is written against. Where this crate deviates
//! on purpose the item's documentation says so.
//!
//! This crate must not depend on the proxy, on tokio or on the SecLang parser: the
//! engine maps parsed names onto the registries [`transformations::TRANSFORMATIONS`]
//! and [`operators::OPERATORS`].

pub mod operators;
pub mod transformations;
