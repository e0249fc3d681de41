//! Palisade configuration: TOML text to a validated [`Config`], every error with
//! file:line:col, all reported in one run.
//!
//! This crate does no network I/O and starts no tasks. It depends on nothing else in the
//! workspace; every other crate depends on its model.

pub mod model;

pub use model::*;
