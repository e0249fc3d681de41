//! The configuration used when `palisade serve --upstream URL` runs without a file.
//!
//! It is rendered as TOML and run through the same parser as a file, so the two cannot drift.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::diag::{Diagnostic, Diagnostics, Source};
use crate::model::Config;
use crate::parse::{self, parse_target_url};

/// Source name used in diagnostics about the rendered embedded configuration.
const EMBEDDED_NAME: &str = "<embedded default>";

/// Command-line inputs of the embedded configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedOptions {
    /// The single upstream target, `http://host:port` or `https://host:port`.
    pub upstream: String,
    /// Data-plane listener address (default `127.0.0.1:8080`).
    pub listen: Option<SocketAddr>,
    /// Admin listener address (default `127.0.0.1:9901`).
    pub admin_listen: Option<SocketAddr>,
    /// State folder (default `./data`, relative to the working directory).
    pub data_dir: Option<PathBuf>,
}

impl EmbeddedOptions {
    /// Options with only the upstream set.
    pub fn new(upstream: impl Into<String>) -> Self {
        Self {
            upstream: upstream.into(),
            listen: None,
            admin_listen: None,
            data_dir: None,
        }
    }
}

/// Build the file-less configuration: one http listener, one upstream `default` with one
/// target and no active health check, one site `default` for every host and path.
///
/// Errors name the command-line flag (`--upstream: ...`).
pub fn embedded_default(opts: &EmbeddedOptions) -> Result<Config, Diagnostics> {
    if let Err(e) = parse_target_url(&opts.upstream) {
        let src = Source::new("--upstream", &opts.upstream);
        return Err(Diagnostics::single(src.diag(
            0..opts.upstream.len(),
            format!("--upstream: {e}"),
            "expected http://host:port or https://host:port",
        )));
    }
    let data_dir = match &opts.data_dir {
        Some(p) => match p.to_str() {
            Some(s) => s.to_owned(),
            None => {
                return Err(Diagnostics::single(Diagnostic::bare(
                    "--data-dir",
                    format!("--data-dir: `{}` is not valid UTF-8", p.display()),
                )));
            }
        },
        None => crate::defaults::DATA_DIR.to_owned(),
    };
    let text = render(opts, &data_dir);
    let mut config = parse::parse(EMBEDDED_NAME, &text, Path::new("."))?;
    config.source = None;
    Ok(config)
}

/// The TOML text of the embedded configuration.
fn render(opts: &EmbeddedOptions, data_dir: &str) -> String {
    let listen = opts.listen.map_or_else(
        || crate::defaults::DEFAULT_LISTEN.to_owned(),
        |a| a.to_string(),
    );
    let admin = opts.admin_listen.map_or_else(
        || crate::defaults::ADMIN_LISTEN.to_owned(),
        |a| a.to_string(),
    );
    let mut t = String::new();
    // Writing to a String cannot fail.
    let _ = write!(
        t,
        "# palisade serve --upstream (no config file)\n\
         data_dir = {}\n\
         \n\
         [admin]\n\
         listen = {}\n\
         \n\
         [[listener]]\n\
         name = \"http\"\n\
         address = {}\n\
         protocol = \"http\"\n\
         \n\
         [[upstream]]\n\
         name = \"default\"\n\
         targets = [{}]\n\
         \n\
         [[site]]\n\
         name = \"default\"\n\
         hosts = [\"*\"]\n\
         path_prefix = \"/\"\n\
         upstream = \"default\"\n",
        toml_string(data_dir),
        toml_string(&admin),
        toml_string(&listen),
        toml_string(&opts.upstream),
    );
    t
}

/// A TOML basic string literal.
fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_strings_escape() {
        assert_eq!(toml_string("a\"b\\c\n"), "\"a\\\"b\\\\c\\u000A\"");
        let v: toml::Value =
            toml::from_str(&format!("x = {}", toml_string("a\"\\\u{7}z"))).unwrap();
        assert_eq!(v["x"].as_str(), Some("a\"\\\u{7}z"));
    }
}
