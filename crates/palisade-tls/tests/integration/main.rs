//! Integration tests of palisade-tls: real handshakes on 127.0.0.1:0, files in temporary
//! folders, key material generated with rcgen at test time.

// Test helpers outside `#[test]` functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

mod client;
mod common;
mod dev;
mod kx;
mod openssl_policies;
mod reload;
mod sni;
mod store_errors;
