//! ModSecurity SecLang text to a typed AST with spans. Pure: no I/O beyond the loader trait.
