//! Data-driven tests: `testdata/transformations/*.tsv`, `testdata/operators/*.tsv`, and
//! every operator of the OWASP CRS v4 rules (read in place from `../shared/crs`, or
//! `PALISADE_CRS_DIR`) compiled through the operator registry.
#![allow(missing_docs, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use palisade_waf::operators::{self, Captures, DataLoader, OperatorArg};
use palisade_waf::transformations;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn crs_dir() -> PathBuf {
    std::env::var_os("PALISADE_CRS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared/crs"))
}

/// Decodes the escapes of `testdata/transformations/README.md`.
fn unescape(field: &str) -> Result<Vec<u8>, String> {
    let b = field.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        match b.get(i + 1) {
            Some(b'\\') => out.push(b'\\'),
            Some(b't') => out.push(b'\t'),
            Some(b'n') => out.push(b'\n'),
            Some(b'r') => out.push(b'\r'),
            Some(b'0') => out.push(0),
            Some(b'x') => {
                let hex = field
                    .get(i + 2..i + 4)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| format!("bad \\x escape in {field:?}"))?;
                out.push(hex);
                i += 4;
                continue;
            }
            _ => return Err(format!("unknown escape in {field:?}")),
        }
        i += 2;
    }
    Ok(out)
}

fn show(b: &[u8]) -> String {
    b.escape_ascii().to_string()
}

/// `(file, line number, fields)` of every case line in `dir/*.tsv`.
fn cases(dir: &Path) -> Vec<(String, usize, Vec<String>)> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "tsv"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = fs::read_to_string(&f).unwrap();
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        for (n, line) in text.lines().enumerate() {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            out.push((
                name.clone(),
                n + 1,
                line.split('\t').map(str::to_owned).collect(),
            ));
        }
    }
    out
}

#[test]
fn transformation_vectors() {
    let mut failures = Vec::new();
    let mut per_name: BTreeMap<&'static str, usize> = BTreeMap::new();
    let all = cases(&repo_root().join("testdata/transformations"));
    let mut out = Vec::new();
    for (file, line, f) in &all {
        let at = format!("{file}:{line}");
        assert_eq!(f.len(), 3, "{at}: want 3 fields, got {}", f.len());
        let def =
            transformations::lookup(&f[0]).unwrap_or_else(|| panic!("{at}: unknown {}", f[0]));
        let input = unescape(&f[1]).unwrap_or_else(|e| panic!("{at}: {e}"));
        let want = unescape(&f[2]).unwrap_or_else(|e| panic!("{at}: {e}"));
        out.clear();
        out.extend_from_slice(b"stale");
        let changed = (def.func)(&input, &mut out);
        let got: &[u8] = if changed { &out } else { &input };
        if got != want.as_slice() {
            failures.push(format!(
                "{at}: {} {} -> {} (want {})",
                def.name,
                show(&input),
                show(got),
                show(&want)
            ));
        }
        if changed && out == input {
            failures.push(format!(
                "{at}: {} reported a change but the value is equal",
                def.name
            ));
        }
        *per_name.entry(def.name).or_default() += 1;
    }
    println!(
        "transformation vectors: {} cases over {} transformations",
        all.len(),
        per_name.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    for def in transformations::TRANSFORMATIONS {
        assert!(
            per_name.contains_key(def.name),
            "no vectors for {}",
            def.name
        );
    }
}

/// Reads data files relative to one directory, like the engine's loader will.
struct DirLoader(PathBuf);

impl DataLoader for DirLoader {
    fn load(&self, name: &str) -> Result<Vec<u8>, String> {
        fs::read(self.0.join(name)).map_err(|e| e.to_string())
    }
}

#[test]
fn operator_vectors() {
    let dir = repo_root().join("testdata/operators");
    let loader = DirLoader(dir.join("data"));
    let mut failures = Vec::new();
    let mut per_name: BTreeMap<&'static str, usize> = BTreeMap::new();
    let all = cases(&dir);
    for (file, line, f) in &all {
        let at = format!("{file}:{line}");
        assert!(f.len() >= 4, "{at}: want at least 4 fields");
        let input = unescape(&f[2]).unwrap_or_else(|e| panic!("{at}: {e}"));
        let compiled = operators::compile(&f[0], f[1].as_bytes(), &loader);
        if f[3] == "error" {
            if compiled.is_ok() {
                failures.push(format!(
                    "{at}: @{} {:?} compiled, want an error",
                    f[0], f[1]
                ));
            }
            continue;
        }
        let op = match compiled {
            Ok(op) => op,
            Err(e) => {
                failures.push(format!("{at}: {e}"));
                continue;
            }
        };
        let want_match = match f[3].as_str() {
            "1" => true,
            "0" => false,
            other => panic!("{at}: expected must be 1, 0 or error, not {other:?}"),
        };
        let want_caps: Vec<Vec<u8>> = f[4..]
            .iter()
            .map(|c| unescape(c).unwrap_or_else(|e| panic!("{at}: {e}")))
            .collect();
        let mut caps = Captures::new();
        caps.set_wanted(!want_caps.is_empty());
        let got = op.eval(&input, None, &mut caps);
        if got != want_match {
            failures.push(format!(
                "{at}: @{} {:?} on {} gave {got}",
                f[0],
                f[1],
                show(&input)
            ));
        }
        if !want_caps.is_empty() {
            let got_caps: Vec<Vec<u8>> = caps.iter().map(<[u8]>::to_vec).collect();
            if got_caps != want_caps {
                failures.push(format!(
                    "{at}: captures {:?}, want {:?}",
                    got_caps.iter().map(|c| show(c)).collect::<Vec<_>>(),
                    want_caps.iter().map(|c| show(c)).collect::<Vec<_>>()
                ));
            }
        }
        *per_name.entry(op.name()).or_default() += 1;
    }
    println!(
        "operator vectors: {} cases over {} operators",
        all.len(),
        per_name.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    for def in operators::OPERATORS.iter().filter(|d| d.supported) {
        let aliased = matches!(def.name, "ipMatchF");
        assert!(
            aliased || per_name.contains_key(def.name),
            "no vectors for @{}",
            def.name
        );
    }
}

/// One SecLang directive with its arguments (quotes removed, `\"` unescaped).
fn directives(text: &str) -> Vec<Vec<String>> {
    let joined = text.replace("\\\r\n", "").replace("\\\n", "");
    let mut out = Vec::new();
    for line in joined.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let b = line.as_bytes();
        let mut args = Vec::new();
        let mut i = 0;
        while i < b.len() {
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if i >= b.len() {
                break;
            }
            let mut arg = Vec::new();
            if b[i] == b'"' {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' && b.get(i + 1) == Some(&b'"') {
                        arg.push(b'"');
                        i += 2;
                    } else {
                        arg.push(b[i]);
                        i += 1;
                    }
                }
                i += 1;
            } else {
                while i < b.len() && !b[i].is_ascii_whitespace() {
                    arg.push(b[i]);
                    i += 1;
                }
            }
            args.push(String::from_utf8(arg).unwrap());
        }
        out.push(args);
    }
    out
}

/// `/regex/` key selectors in a target list.
fn selector_regexes(targets: &str) -> Vec<String> {
    targets
        .split('|')
        .filter_map(|t| {
            let (_, key) = t.split_once(':')?;
            let key = key.strip_prefix('/')?.strip_suffix('/')?;
            Some(key.to_owned())
        })
        .collect()
}

#[test]
fn crs_operators_all_compile() {
    let rules = crs_dir().join("rules");
    let mut confs: Vec<PathBuf> = fs::read_dir(&rules)
        .unwrap_or_else(|e| {
            panic!(
                "CRS rules at {} ({e}); set PALISADE_CRS_DIR",
                rules.display()
            )
        })
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "conf"))
        .collect();
    confs.sort();
    let loader = DirLoader(rules.clone());
    let mut per_op: BTreeMap<&'static str, usize> = BTreeMap::new();
    let (mut rx_ops, mut selectors, mut dynamic, mut records) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    for conf in &confs {
        let text = fs::read_to_string(conf).unwrap();
        let file = conf.file_name().unwrap().to_string_lossy().into_owned();
        for d in directives(&text) {
            match d[0].as_str() {
                "SecRule" => {
                    records += 1;
                    for re in selector_regexes(&d[1]) {
                        selectors += 1;
                        if let Err(e) = operators::compile("rx", re.as_bytes(), &loader) {
                            failures.push(format!("{file}: selector /{re}/: {e}"));
                        }
                    }
                    let op_text = d[2].strip_prefix('!').unwrap_or(&d[2]);
                    let (name, arg) = match op_text.strip_prefix('@') {
                        Some(rest) => match rest.split_once(' ') {
                            Some((n, a)) => (n, a.trim_start()),
                            None => (rest, ""),
                        },
                        None => ("rx", op_text),
                    };
                    match operators::compile(name, arg.as_bytes(), &loader) {
                        Ok(op) => {
                            if op.name() == "rx" {
                                rx_ops += 1;
                            }
                            if matches!(op.arg(), OperatorArg::Dynamic(_)) {
                                dynamic += 1;
                            }
                            *per_op.entry(op.name()).or_default() += 1;
                        }
                        Err(e) => failures.push(format!("{file}: @{name} {arg:?}: {e}")),
                    }
                }
                "SecAction" => records += 1,
                "SecRuleUpdateTargetById" => {
                    for re in selector_regexes(&d[2]) {
                        selectors += 1;
                        if let Err(e) = operators::compile("rx", re.as_bytes(), &loader) {
                            failures.push(format!("{file}: selector /{re}/: {e}"));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    println!(
        "CRS: {records} SecRule/SecAction records in {} files; regexes compiled: {} (@rx {rx_ops} + selectors {selectors}); operators with macro arguments: {dynamic}",
        confs.len(),
        rx_ops + selectors
    );
    println!("CRS operators: {per_op:?}");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // CRS v4.28.0 (CRS-NOTES §3.3, §3.6): 702 records, 318 @rx, 36 selector regexes.
    assert_eq!(records, 702);
    assert_eq!(rx_ops, 318);
    assert_eq!(rx_ops + selectors, 354);
    assert_eq!(per_op.values().sum::<usize>(), 695);
    // Every `%{...}` operator argument in rules/*.conf (grep count) becomes dynamic.
    assert_eq!(dynamic, 30);
}
