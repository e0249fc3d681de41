//! The Web ACL engine of Palisade (issue 5): an ordered list of rules, each a statement plus an
//! action, modelled on AWS WAF's web ACLs. This crate holds the pure parts — statements,
//! their compiled forms and their evaluation over a request view — and will grow rule by rule.
//!
//! Its first building block is [`IpSet`]: IPv4 and IPv6 CIDR prefixes built once into an
//! immutable multibit trie whose lookup takes at most 4 steps for IPv4 and 16 for IPv6,
//! whatever the number of entries. See the [`ipset`] module for the text format and limits.
//!
//! Pure: input is text and addresses, output is typed data. No I/O (files are read and
//! reloaded by the caller), no async, no clock, and no dependency on the configuration, the
//! proxy or the WAF engine (`palisade-config` and `palisade-proxy` depend on this crate, never
//! the reverse). Errors are typed ([`ipset::IpSetError`]) and arrive all at once with their
//! place ([`ipset::Diagnostics`]); no input makes it panic.

pub mod ipset;

pub use ipset::IpSet;
