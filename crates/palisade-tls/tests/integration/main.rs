//! Integration tests of palisade-tls: real handshakes on 127.0.0.1:0, files in temporary
//! folders, key material generated with rcgen at test time.

mod client;
mod common;
mod dev;
mod openssl_policies;
mod reload;
mod sni;
mod store_errors;
