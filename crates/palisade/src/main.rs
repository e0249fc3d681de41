//! Palisade: the command-line binary (serve, validate, cert dev). Glue only.

fn main() {}
