//! The parser (`palisade-seclang`) and the engine (`palisade-waf`) each keep a name table for
//! operators and transformations. Until the engine resolves the parser's typed names directly,
//! this test keeps the two from drifting: every name the parser accepts as supported has an
//! implementation here, so a rule set that parses never fails later for a missing function.

use palisade_seclang::registry::{OPERATORS, TRANSFORMATIONS};

#[test]
fn every_supported_transformation_the_parser_accepts_is_implemented() {
    let missing: Vec<&str> = TRANSFORMATIONS
        .iter()
        .filter(|e| e.support.is_supported())
        .map(|e| e.name)
        .filter(|name| palisade_waf::transformations::lookup(name).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "parser supports, engine lacks: {missing:?}"
    );
}

#[test]
fn every_supported_operator_the_parser_accepts_is_implemented() {
    let missing: Vec<&str> = OPERATORS
        .iter()
        .filter(|e| e.support.is_supported())
        .map(|e| e.name)
        .filter(|name| palisade_waf::operators::lookup(name).is_none_or(|def| !def.supported))
        .collect();
    assert!(
        missing.is_empty(),
        "parser supports, engine lacks: {missing:?}"
    );
}
