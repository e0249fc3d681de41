//! The CRS conformance harness: runs the OWASP CRS regression suite (go-ftw 2.3.0 /
//! ftw-tests-schema v2.3.0 format) against an **already running** Palisade gateway over real
//! TCP sockets and decides pass/fail from a ModSecurity-style error log, the way go-ftw does in
//! its default (log) mode.
//!
//! Role and boundaries: this crate is a test client. It depends on no Palisade crate (it talks
//! to the gateway only through a socket and a log file), uses blocking `std::net` (one request
//! at a time, as go-ftw), and never starts or stops processes. `palisade conformance crs` in the
//! binary wires it up; `conformance/README.md` at the workspace root describes how to run it.
//!
//! The pieces, in the order a stage goes through them:
//!
//! * [`load_suite`] reads every `*.yaml` / `*.yml` file below a directory into a typed
//!   [`Suite`] (regexes compiled, base64 decoded, `{{ "X" | repeat N }}` expanded), reporting
//!   every problem of every file in one [`LoadErrors`].
//! * [`Overrides`] replace the expected output of chosen tests (TOML; every entry has a
//!   reason), like go-ftw's `--overrides` platform files.
//! * [`build_request`] turns a stage input into the exact bytes go-ftw would send.
//! * [`run`] sends, for every stage, a start marker request, the test request and an end marker
//!   request, reads the log lines between the two marker lines, extracts the rule ids and
//!   checks the stage's expectations in go-ftw's order, then prints one line per file and a
//!   closing `N passed, N failed` line and returns a [`Report`].
//!
//! Deliberate differences from go-ftw (all irrelevant for CRS v4.28.0's own files) are listed
//! on the items concerned and in the README.

#![forbid(unsafe_code)]

mod http;
mod log;
mod overrides;
mod request;
mod runner;
mod suite;
mod verdict;
mod yaml;

pub use overrides::{OverrideEntry, Overrides};
pub use request::{build_marker_request, build_request};
pub use runner::{Failure, FileResult, Report, RunOptions, Target, run};
pub use suite::{
    Input, LoadError, LoadErrors, Location, LogExpect, Output, Pattern, Stage, Suite, TestCase,
    TestFile, load_suite, parse_file,
};
