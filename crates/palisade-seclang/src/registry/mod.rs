//! One registry table per SecLang concept.
//!
//! Every name the parser accepts is resolved through exactly one of these static tables:
//! [`DIRECTIVES`], [`VARIABLES`], [`OPERATORS`], [`TRANSFORMATIONS`], [`ACTIONS`] and
//! [`CTL_OPTIONS`]. Each entry carries its canonical spelling, a kind, a [`Support`] status and a
//! one-line description. The same tables generate `docs/reference/seclang.md`
//! (see [`crate::reference_markdown`]); a unit test fails on duplicate names.
//!
//! Lookups are ASCII case-insensitive, as in ModSecurity; printing uses the canonical spelling.

mod actions;
mod ctl;
mod directives;
mod operators;
mod transformations;
mod variables;

pub use actions::{ACTIONS, ActionCategory, ActionKind, ActionName};
pub use ctl::{CTL_OPTIONS, CtlName, CtlValueKind};
pub use directives::{Arity, DIRECTIVES, DirectiveName};
pub use operators::{OPERATORS, OperatorName};
pub use transformations::{TRANSFORMATIONS, TransformationName};
pub use variables::{VARIABLES, VariableKind, VariableName};

/// Whether the Palisade engine implements a registered name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Support {
    /// The parser produces a typed node and the engine is expected to implement it.
    Supported,
    /// The name is known but rejected with a clear error.
    Unsupported {
        /// Why it is not supported (shown in the error and in the reference docs).
        reason: &'static str,
    },
}

impl Support {
    /// True for [`Support::Supported`].
    pub fn is_supported(self) -> bool {
        matches!(self, Support::Supported)
    }
}

/// Shorthand used by the tables.
pub(crate) const YES: Support = Support::Supported;

/// Shorthand used by the tables: an unsupported entry with its reason.
pub(crate) const fn no(reason: &'static str) -> Support {
    Support::Unsupported { reason }
}

/// Whether a name takes an argument (operators, actions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArgRequirement {
    /// Never takes an argument.
    None,
    /// Always needs an argument.
    Required,
    /// May take an argument.
    Optional,
}

/// One registry row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<T: 'static, K: 'static> {
    /// Canonical spelling.
    pub name: &'static str,
    /// The typed value the name resolves to.
    pub value: T,
    /// Concept-specific kind (arity, collection or scalar, ...).
    pub kind: K,
    /// Whether the engine implements it.
    pub support: Support,
    /// One-line description for the reference docs.
    pub doc: &'static str,
}

/// Declares a registry: the enum, the static table (in enum order) and lookups.
macro_rules! registry {
    (
        $(#[$meta:meta])*
        enum $Enum:ident;
        kind $Kind:ty;
        $(#[$tmeta:meta])*
        table $TABLE:ident;
        $( $Variant:ident => $name:literal, $kind:expr, $support:expr, $doc:literal; )*
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $Enum {
            $( #[doc = $doc] $Variant, )*
        }

        $(#[$tmeta])*
        pub static $TABLE: &[$crate::registry::Entry<$Enum, $Kind>] = &[
            $( $crate::registry::Entry {
                name: $name,
                value: $Enum::$Variant,
                kind: $kind,
                support: $support,
                doc: $doc,
            }, )*
        ];

        impl $Enum {
            /// Looks a name up, ASCII case-insensitively.
            pub fn lookup(name: &str) -> Option<&'static $crate::registry::Entry<$Enum, $Kind>> {
                $TABLE.iter().find(|e| e.name.eq_ignore_ascii_case(name))
            }

            /// The registry row of this value.
            pub fn entry(self) -> &'static $crate::registry::Entry<$Enum, $Kind> {
                // The table is generated in declaration order, so the discriminant is the index.
                &$TABLE[self as usize]
            }

            /// The canonical spelling.
            pub fn name(self) -> &'static str {
                self.entry().name
            }
        }

        impl std::fmt::Display for $Enum {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}
pub(crate) use registry;

#[cfg(test)]
mod tests {
    use super::*;

    fn check<T: Copy + PartialEq + std::fmt::Debug, K>(table: &[Entry<T, K>], what: &str) {
        assert!(!table.is_empty(), "{what} table is empty");
        for (i, a) in table.iter().enumerate() {
            assert!(!a.name.is_empty(), "{what}: empty name at {i}");
            assert!(!a.doc.is_empty(), "{what}: {} has no doc", a.name);
            for b in &table[i + 1..] {
                assert!(
                    !a.name.eq_ignore_ascii_case(b.name),
                    "{what}: duplicate name {} / {}",
                    a.name,
                    b.name
                );
                assert_ne!(a.value, b.value, "{what}: duplicate value for {}", a.name);
            }
            if let Support::Unsupported { reason } = a.support {
                assert!(!reason.is_empty(), "{what}: {} has no reason", a.name);
            }
        }
    }

    #[test]
    fn tables_have_no_duplicates_and_are_documented() {
        check(DIRECTIVES, "directive");
        check(VARIABLES, "variable");
        check(OPERATORS, "operator");
        check(TRANSFORMATIONS, "transformation");
        check(ACTIONS, "action");
        check(CTL_OPTIONS, "ctl");
    }

    #[test]
    fn entry_index_matches_discriminant() {
        for e in VARIABLES {
            assert_eq!(e.value.entry().name, e.name);
        }
        for e in ACTIONS {
            assert_eq!(e.value.entry().name, e.name);
        }
        for e in OPERATORS {
            assert_eq!(e.value.entry().name, e.name);
        }
        for e in DIRECTIVES {
            assert_eq!(e.value.entry().name, e.name);
        }
        for e in TRANSFORMATIONS {
            assert_eq!(e.value.entry().name, e.name);
        }
        for e in CTL_OPTIONS {
            assert_eq!(e.value.entry().name, e.name);
        }
    }

    #[test]
    fn lookup_is_case_insensitive() {
        assert_eq!(
            VariableName::lookup("request_headers").map(|e| e.value),
            Some(VariableName::RequestHeaders)
        );
        assert_eq!(
            TransformationName::lookup("URLDECODEUNI").map(|e| e.value),
            Some(TransformationName::UrlDecodeUni)
        );
        assert!(OperatorName::lookup("nope").is_none());
    }

    /// Everything CRS-NOTES §3 lists must be present and supported.
    #[test]
    fn crs_features_are_supported() {
        let ops = [
            "rx",
            "lt",
            "eq",
            "ge",
            "pmFromFile",
            "gt",
            "pm",
            "streq",
            "within",
            "endsWith",
            "validateByteRange",
            "contains",
            "ipMatch",
            "detectSQLi",
            "detectXSS",
            "unconditionalMatch",
            "validateUtf8Encoding",
            "validateUrlEncoding",
            "beginsWith",
        ];
        assert_eq!(ops.len(), 19);
        for o in ops {
            let e = OperatorName::lookup(o).unwrap_or_else(|| panic!("missing operator {o}"));
            assert!(e.support.is_supported(), "{o}");
        }
        let tfns = [
            "none",
            "urlDecodeUni",
            "lowercase",
            "jsDecode",
            "htmlEntityDecode",
            "utf8toUnicode",
            "removeNulls",
            "cssDecode",
            "cmdLine",
            "removeWhitespace",
            "replaceComments",
            "normalizePath",
            "escapeSeqDecode",
            "compressWhitespace",
            "normalizePathWin",
            "length",
            "base64Decode",
            "sha1",
            "hexEncode",
            "removeCommentsChar",
        ];
        assert_eq!(tfns.len(), 20);
        for t in tfns {
            let e = TransformationName::lookup(t).unwrap_or_else(|| panic!("missing tfn {t}"));
            assert!(e.support.is_supported(), "{t}");
        }
        for a in [
            "tag",
            "t",
            "setvar",
            "id",
            "phase",
            "ver",
            "msg",
            "severity",
            "block",
            "logdata",
            "capture",
            "pass",
            "nolog",
            "skipAfter",
            "chain",
            "ctl",
            "log",
            "multiMatch",
            "deny",
            "noauditlog",
            "status",
            "initcol",
            "auditlog",
        ] {
            let e = ActionName::lookup(a).unwrap_or_else(|| panic!("missing action {a}"));
            assert!(e.support.is_supported(), "{a}");
        }
        for c in [
            "ruleRemoveByTag",
            "auditEngine",
            "forceRequestBodyVariable",
            "requestBodyProcessor",
            "ruleRemoveById",
            "ruleRemoveTargetByTag",
            "ruleRemoveTargetById",
            "ruleEngine",
        ] {
            let e = CtlName::lookup(c).unwrap_or_else(|| panic!("missing ctl {c}"));
            assert!(e.support.is_supported(), "{c}");
        }
    }
}
