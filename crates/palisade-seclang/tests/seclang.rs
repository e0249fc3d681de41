//! Integration tests: the CRS acceptance test, the print round trip, the generated reference
//! docs and the data-driven cases in `testdata/seclang/`.

use std::path::PathBuf;

use palisade_seclang::{Directive, FsLoader, MapLoader, Parsed, Parser};

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn bless() -> bool {
    std::env::var_os("PALISADE_BLESS").is_some_and(|v| v == "1")
}

/// The CRS directory: `PALISADE_CRS_DIR`, else `<repo>/../shared/crs`. Panics when missing.
fn crs_dir() -> PathBuf {
    let dir = match std::env::var_os("PALISADE_CRS_DIR") {
        Some(d) => PathBuf::from(d),
        None => manifest_dir().join("../../../shared/crs"),
    };
    assert!(
        dir.join("rules").is_dir(),
        "OWASP CRS not found at {} (set PALISADE_CRS_DIR to the CRS v4.28.0 checkout)",
        dir.display()
    );
    dir
}

fn parse_crs() -> Parsed {
    let loader = FsLoader::new(crs_dir());
    let mut p = Parser::new(&loader);
    p.load("crs-setup.conf.example");
    p.load("rules/*.conf.example");
    p.load("rules/*.conf");
    p.finish()
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Counts {
    records: usize,
    sec_rule: usize,
    sec_action: usize,
    ids: usize,
    chained: usize,
    update_target_by_id: usize,
    markers: usize,
    default_actions: usize,
}

fn count(directives: &[Directive]) -> Counts {
    let mut c = Counts::default();
    for d in directives {
        match d {
            Directive::Rule(r) => {
                c.sec_rule += 1 + r.chain.len();
                c.chained += r.chain.len();
                c.ids += usize::from(r.id().is_some());
            }
            Directive::Action(a) => {
                c.sec_action += 1;
                c.ids += usize::from(a.id().is_some());
            }
            Directive::RuleUpdateTargetById(_) => c.update_target_by_id += 1,
            Directive::Marker(_) => c.markers += 1,
            Directive::DefaultAction(_) => c.default_actions += 1,
            _ => {}
        }
    }
    c.records = c.sec_rule + c.sec_action;
    c
}

#[test]
fn crs_parses_without_errors_and_counts_match_crs_notes() {
    let parsed = parse_crs();
    let shown: Vec<String> = parsed
        .diagnostics
        .iter()
        .take(20)
        .map(ToString::to_string)
        .collect();
    assert!(
        parsed.diagnostics.is_empty(),
        "{} diagnostics:\n{}",
        parsed.diagnostics.len(),
        shown.join("\n")
    );
    let rs = &parsed.rule_set;
    // 27 rule files + crs-setup + 2 .conf.example files.
    assert_eq!(rs.files.len(), 30);
    let rules_only: Vec<Directive> = rs
        .directives
        .iter()
        .filter(|d| {
            let f = &rs.files[d.span().file.0 as usize].name;
            f.ends_with(".conf") && f.contains("/rules/")
        })
        .cloned()
        .collect();
    let c = count(&rules_only);
    assert_eq!(c.records, 702, "{c:?}");
    assert_eq!(c.sec_rule, 695, "{c:?}");
    assert_eq!(c.sec_action, 7, "{c:?}");
    assert_eq!(c.ids, 629, "{c:?}");
    assert_eq!(c.chained, 73, "{c:?}");
    assert_eq!(c.update_target_by_id, 55, "{c:?}");
    assert_eq!(c.markers, 30, "{c:?}");
    let all = count(&rs.directives);
    assert_eq!(all.default_actions, 5, "crs-setup has 5 SecDefaultAction");
    assert_eq!(all.sec_action, 8, "900990 in crs-setup");
    // No unsupported nodes anywhere.
    let text = format!("{:?}", rs.directives);
    assert!(!text.contains("Unsupported"));
}

/// Removes the compact span dumps (`@f:l:c[a..b]`) from a Debug string.
fn strip_spans(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'@'
            && let Some(end) = span_end(&b[i + 1..])
        {
            i += 1 + end;
            continue;
        }
        let ch = s[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

/// Length of `f:l:c[a..b]` at the start of `b`, if it is one.
fn span_end(b: &[u8]) -> Option<usize> {
    let mut i = 0;
    for sep in [b':', b':', b'['] {
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start || b.get(i) != Some(&sep) {
            return None;
        }
        i += 1;
    }
    let start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i == start || b.get(i..i + 2) != Some(b"..") {
        return None;
    }
    i += 2;
    let start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    (i > start && b.get(i) == Some(&b']')).then_some(i + 1)
}

#[test]
fn crs_round_trips_through_display() {
    let first = parse_crs().into_result().expect("CRS parses");
    let printed = first.to_string();
    let loader = MapLoader::new().with("printed.conf", printed.clone());
    let mut p = Parser::new(&loader);
    p.load("printed.conf");
    let second = p.finish();
    assert!(
        second.diagnostics.is_empty(),
        "printed CRS does not parse: {}",
        second
            .diagnostics
            .first()
            .map(ToString::to_string)
            .unwrap_or_default()
    );
    let a = strip_spans(&format!("{:#?}", first.directives));
    let b = strip_spans(&format!("{:#?}", second.rule_set.directives));
    if a != b {
        let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
        let i = la.iter().zip(&lb).position(|(x, y)| x != y).unwrap_or(0);
        panic!(
            "ASTs differ at line {i}:\n  first:  {}\n  second: {}",
            la.get(i).unwrap_or(&""),
            lb.get(i).unwrap_or(&"")
        );
    }
    // Printing is a fixed point.
    assert_eq!(printed, second.rule_set.to_string());
}

#[test]
fn strip_spans_removes_only_spans() {
    assert_eq!(
        strip_spans("a @0:1:2[3..4] b @x @1:2:3[4..]"),
        "a  b @x @1:2:3[4..]"
    );
}

#[test]
fn reference_docs_are_fresh() {
    let path = manifest_dir().join("../../docs/reference/seclang.md");
    let want = palisade_seclang::reference_markdown();
    if bless() {
        std::fs::write(&path, &want).expect("write docs");
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{} is stale; run PALISADE_BLESS=1 cargo test -p palisade-seclang",
        path.display()
    );
}

fn render(parsed: &Parsed) -> String {
    let mut out = String::new();
    out.push_str("== diagnostics ==\n");
    for d in &parsed.diagnostics {
        out.push_str(&d.to_string());
    }
    out.push_str("== printed ==\n");
    out.push_str(&parsed.rule_set.to_string());
    out.push_str("== ast ==\n");
    out.push_str(&format!("{:#?}\n", parsed.rule_set.directives));
    out
}

/// Each `testdata/seclang/*.conf` is parsed (Includes resolve inside that directory) and the
/// diagnostics, the printed form and the AST dump are compared with `<name>.expected`.
#[test]
fn data_driven_cases() {
    let dir = manifest_dir().join("../../testdata/seclang");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("testdata/seclang exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 5, "expected test cases in {}", dir.display());
    let mut failures = Vec::new();
    for case in &cases {
        let name = case
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let loader = FsLoader::new(&dir);
        let mut p = Parser::new(&loader);
        p.load(name);
        let got = render(&p.finish()).replace(&dir.display().to_string(), "<dir>");
        let expected_path = case.with_extension("expected");
        if bless() {
            std::fs::write(&expected_path, &got).expect("write expected");
            continue;
        }
        let want = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if got != want {
            failures.push(format!("{}\n--- got ---\n{got}", name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
