//! Generates `docs/reference/seclang.md` from the registry tables.

use std::fmt::Write as _;

use crate::registry::{
    ACTIONS, CTL_OPTIONS, DIRECTIVES, Entry, OPERATORS, Support, TRANSFORMATIONS, VARIABLES,
};

fn status(s: Support) -> String {
    match s {
        Support::Supported => "supported".to_owned(),
        Support::Unsupported { reason } => format!("**unsupported**: {reason}"),
    }
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

fn section<T, K>(
    out: &mut String,
    title: &str,
    intro: &str,
    kind_header: &str,
    prefix: &str,
    table: &[Entry<T, K>],
    kind: impl Fn(&K) -> String,
) {
    let supported = table.iter().filter(|e| e.support.is_supported()).count();
    let _ = writeln!(out, "## {title}\n");
    let _ = writeln!(out, "{intro} {supported} of {} supported.\n", table.len());
    let _ = writeln!(out, "| Name | {kind_header} | Status | Description |");
    let _ = writeln!(out, "|---|---|---|---|");
    for e in table {
        let _ = writeln!(
            out,
            "| `{prefix}{}` | {} | {} | {} |",
            e.name,
            cell(&kind(&e.kind)),
            cell(&status(e.support)),
            cell(e.doc)
        );
    }
    out.push('\n');
}

/// The SecLang reference in Markdown: one table per registry with the support matrix.
pub fn reference_markdown() -> String {
    let mut out = String::new();
    out.push_str(
        "# SecLang reference\n\n\
         <!-- Generated from crates/palisade-seclang/src/registry by the `reference_docs_are_fresh` test. \
         Do not edit; run `PALISADE_BLESS=1 cargo test -p palisade-seclang` to regenerate. -->\n\n\
         Palisade reads ModSecurity SecLang rule files (the OWASP CRS v4 runs unmodified). Names are \
         matched case-insensitively. Anything marked unsupported is rejected when the rules are \
         loaded, with an error naming the file, line, column and rule id.\n\n",
    );
    section(
        &mut out,
        "Directives",
        "Arity is the number of arguments after the directive name.",
        "Arity",
        "",
        DIRECTIVES,
        ToString::to_string,
    );
    section(
        &mut out,
        "Variables",
        "Collections take `:key` or `:/regex/`; `XML` takes an XPath; prefix `!` excludes, `&` counts.",
        "Kind",
        "",
        VARIABLES,
        ToString::to_string,
    );
    section(
        &mut out,
        "Operators",
        "Written `\"@name argument\"`, `!@name` negates; without `@` the operator is `@rx`.",
        "Argument",
        "@",
        OPERATORS,
        |k| format!("{k:?}").to_lowercase(),
    );
    section(
        &mut out,
        "Transformations",
        "Written `t:name`.",
        "Kind",
        "t:",
        TRANSFORMATIONS,
        |()| "-".to_owned(),
    );
    section(
        &mut out,
        "Actions",
        "Written `name` or `name:value`.",
        "Group / value",
        "",
        ACTIONS,
        |k| format!("{} / {}", k.category, format!("{:?}", k.arg).to_lowercase()),
    );
    section(
        &mut out,
        "ctl options",
        "Written `ctl:name=value`.",
        "Value",
        "",
        CTL_OPTIONS,
        ToString::to_string,
    );
    out
}
