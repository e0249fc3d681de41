//! Palisade configuration: TOML text to a validated [`Config`], every error with
//! file:line:col, all reported in one run.
//!
//! This crate does no network I/O and starts no tasks. It depends on nothing else in the
//! workspace; every other crate depends on its model.
//!
//! - [`load_file`] / [`parse_str`]: a config file to a [`Config`], or [`Diagnostics`].
//! - [`embedded_default`]: the config `palisade serve --upstream URL` runs without a file,
//!   rendered as TOML and run through the same parser.
//! - [`registry::KEYS`]: the one table of keys that drives the known-key check and the
//!   generated reference in `docs/CONFIG.md`.

pub mod defaults;
pub mod diag;
mod embedded;
pub mod host;
pub mod model;
mod parse;
pub mod registry;
pub mod units;

use std::io::Read;
use std::path::Path;

pub use diag::{Diagnostic, Diagnostics, Location};
pub use embedded::{EmbeddedOptions, embedded_default};
pub use model::*;

/// Read and validate a configuration file.
///
/// Relative paths in the file resolve against the file's folder. Files larger than
/// [`defaults::MAX_FILE_BYTES`] or not UTF-8 are rejected.
pub fn load_file(path: &Path) -> Result<Config, Diagnostics> {
    let name = path.display().to_string();
    let io_err = |e: std::io::Error| {
        Diagnostics::single(Diagnostic::bare(&name, format!("cannot read {name}: {e}")))
    };
    let file = std::fs::File::open(path).map_err(io_err)?;
    let mut bytes = Vec::new();
    // Bounded: `take` stops after MAX_FILE_BYTES + 1 bytes, so the size check below works.
    #[allow(clippy::disallowed_methods)]
    file.take(defaults::MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io_err)?;
    if bytes.len() as u64 > defaults::MAX_FILE_BYTES {
        return Err(Diagnostics::single(Diagnostic::bare(
            &name,
            format!(
                "{name} is larger than {}; a configuration file is never that big",
                units::format_size(defaults::MAX_FILE_BYTES)
            ),
        )));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        Diagnostics::single(Diagnostic::bare(
            &name,
            format!(
                "{name} is not UTF-8 (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        ))
    })?;
    let base_dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    parse::parse(&name, &text, base_dir)
}

/// Validate a configuration text. `source_name` is used in diagnostics and as
/// [`Config::source`]; relative paths resolve against `base_dir`.
pub fn parse_str(source_name: &str, text: &str, base_dir: &Path) -> Result<Config, Diagnostics> {
    parse::parse(source_name, text, base_dir)
}
