//! Palisade TLS: named policies, certificate store with SNI and hot reload, development certificates.
