//! Integration tests: the data-driven files under `testdata/config`, the registry, the
//! generated docs section, `load_file` and the embedded default.
//!
//! `PALISADE_BLESS=1 cargo test -p palisade-config` rewrites the `.expected` files and the
//! generated section of `docs/CONFIG.md`.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use palisade_config::registry::{self, KEYS, KeyDefault};
use palisade_config::*;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn testdata() -> PathBuf {
    repo_root().join("testdata/config")
}

fn bless() -> bool {
    std::env::var("PALISADE_BLESS").is_ok_and(|v| v == "1")
}

fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .toml files in {}", dir.display());
    files
}

/// Parse a testdata file with a stable source name and base folder, so outputs do not depend
/// on where the repository is checked out.
fn parse_testdata(kind: &str, file: &Path) -> Result<Config, Diagnostics> {
    let text = fs::read_to_string(file).unwrap();
    let name = format!("{kind}/{}", file.file_name().unwrap().to_str().unwrap());
    parse_str(&name, &text, Path::new(&format!("testdata/config/{kind}")))
}

/// Compare `actual` with the `.expected` sibling of `file`; collect a failure message.
fn check_expected(file: &Path, actual: &str, failures: &mut Vec<String>) {
    let expected_path = file.with_extension("expected");
    if bless() {
        fs::write(&expected_path, actual).unwrap();
        return;
    }
    match fs::read_to_string(&expected_path) {
        Ok(want) if want == actual => {}
        Ok(want) => failures.push(format!(
            "{}: output differs (PALISADE_BLESS=1 to accept)\n--- expected\n{want}\n--- actual\n{actual}",
            file.display()
        )),
        Err(_) => failures.push(format!(
            "{}: missing {} (PALISADE_BLESS=1 to create)",
            file.display(),
            expected_path.display()
        )),
    }
}

#[test]
fn valid_files_parse_to_their_expected_model() {
    let mut failures = Vec::new();
    for file in toml_files(&testdata().join("valid")) {
        match parse_testdata("valid", &file) {
            Ok(config) => check_expected(&file, &format!("{config:#?}\n"), &mut failures),
            Err(d) => failures.push(format!("{} should be valid:\n{d}", file.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn invalid_files_render_their_expected_diagnostics() {
    let mut failures = Vec::new();
    for file in toml_files(&testdata().join("invalid")) {
        match parse_testdata("invalid", &file) {
            Ok(_) => failures.push(format!("{} should be rejected", file.display())),
            Err(d) => {
                assert!(!d.is_empty());
                check_expected(&file, &d.to_string(), &mut failures);
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_expected_file_has_its_toml() {
    for kind in ["valid", "invalid"] {
        for entry in fs::read_dir(testdata().join(kind)).unwrap() {
            let p = entry.unwrap().path();
            if p.extension().is_some_and(|e| e == "expected") {
                assert!(p.with_extension("toml").exists(), "stale {}", p.display());
            }
        }
    }
}

#[test]
fn many_errors_arrive_in_one_run() {
    let file = testdata().join("invalid/many-errors.toml");
    let diags = parse_testdata("invalid", &file).unwrap_err();
    let messages: Vec<String> = diags.iter().map(|d| d.message.clone()).collect();
    let want = [
        "`data_dir` must be a string",
        "unknown key `unknown_top`",
        "`admin.listen`",
        "`listener.protocol`",
        "`limits.max_headers`",
        "`limits.keepalive_timeout`",
        "`limits.max_request_body`",
        "`reload.debounce` must be",
        "`upstream.targets`",
        "`upstream.balance`",
        "`upstream.health_check.interval`",
        "`upstream.health_check.healthy_threshold`",
        "duplicate upstream name `app`",
        "`site.hosts`",
        "unknown upstream `ap`",
        "`site.tls_policy`",
        "duplicate site name `shop`",
        "unknown key `colour`",
    ];
    for w in want {
        assert!(
            messages.iter().any(|m| m.contains(w)),
            "missing an error containing {w:?}; got:\n{}",
            messages.join("\n")
        );
    }
    assert_eq!(diags.len(), want.len(), "{diags}");
    // Sorted by position, each on its own line.
    let lines: Vec<usize> = diags.iter().map(|d| d.span.line).collect();
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(lines, sorted);
    let distinct: BTreeSet<usize> = lines.iter().copied().collect();
    assert_eq!(distinct.len(), lines.len());
}

#[test]
fn diagnostics_carry_locations_and_notes() {
    let text = "[[upstream]]\nname = \"app\"\ntargets = [\"http://127.0.0.1:3000\"]\n\n[[upstream]]\nname = \"app\"\ntargets = [\"http://127.0.0.1:3001\"]\n\n[[site]]\nname = \"s\"\nhosts = [\"*\"]\nupstream = \"apq\"\n";
    let diags = parse_str("x.toml", text, Path::new(".")).unwrap_err();
    assert_eq!(diags.len(), 2, "{diags}");
    let dup = diags.iter().next().unwrap();
    assert_eq!(
        dup.span,
        Location {
            file: "x.toml".into(),
            line: 6,
            column: 8
        }
    );
    assert_eq!(dup.notes, vec!["first defined at x.toml:2:8".to_owned()]);
    let unknown = diags.iter().nth(1).unwrap();
    assert_eq!((unknown.span.line, unknown.span.column), (12, 12));
    assert_eq!(unknown.help.as_deref(), Some("did you mean `app`?"));
    let rendered = diags.to_string();
    assert!(rendered.contains("  --> x.toml:12:12\n"), "{rendered}");
    assert!(rendered.contains("12 | upstream = \"apq\"\n"), "{rendered}");
    assert!(
        rendered.ends_with("error: configuration rejected: 2 errors\n"),
        "{rendered}"
    );
}

// ---- load_file ------------------------------------------------------------------------------

#[test]
fn load_file_resolves_paths_against_the_files_folder_and_digests_the_text() {
    let path = testdata().join("valid/full.toml");
    let config = load_file(&path).unwrap();
    let dir = path.parent().unwrap();
    assert_eq!(config.source.as_deref(), Some(path.as_path()));
    assert_eq!(config.data_dir, dir.join("state"));
    assert_eq!(
        config.tls.certificates[0].cert_file,
        dir.join("certs/shop.pem")
    );
    assert_eq!(
        config.tls.certificates[1].key_file,
        PathBuf::from("/etc/ssl/api.key")
    );
    assert_eq!(
        config.upstreams[0].tls.ca_file.as_deref(),
        Some(dir.join("ca.pem").as_path())
    );
    assert_eq!(
        config.waf.crs_dir.as_deref(),
        Some(dir.join("crs").as_path())
    );
    assert_eq!(
        config.waf.error_log.as_deref(),
        Some(Path::new("/var/log/palisade/error.log"))
    );
    assert_eq!(
        config.sites[0].waf.rules_before,
        vec![dir.join("waf/before.conf")]
    );
    assert_eq!(
        config.sites[0].waf.rules,
        vec![
            dir.join("waf/custom.conf"),
            PathBuf::from("/etc/palisade/exclusions.conf")
        ]
    );
    // sha256 of the exact bytes, as lower-case hex.
    use sha2::Digest;
    let want = hex::encode(sha2::Sha256::digest(fs::read(&path).unwrap()));
    assert_eq!(config.digest, want);
    assert_eq!(config.digest.len(), 64);
}

#[test]
fn load_file_reports_io_and_encoding_errors() {
    let missing = testdata().join("valid/does-not-exist.toml");
    let e = load_file(&missing).unwrap_err();
    assert_eq!(e.len(), 1);
    assert!(e.to_string().contains("cannot read"), "{e}");

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("latin1.toml");
    fs::write(&bad, b"data_dir = \"caf\xe9\"\n").unwrap();
    let e = load_file(&bad).unwrap_err();
    assert!(e.to_string().contains("not UTF-8"), "{e}");

    let big = dir.path().join("big.toml");
    let line = "# padding padding padding padding padding padding padding padding\n";
    let n = (defaults::MAX_FILE_BYTES as usize / line.len()) + 2;
    fs::write(&big, line.repeat(n)).unwrap();
    let e = load_file(&big).unwrap_err();
    assert!(e.to_string().contains("larger than 4MiB"), "{e}");
}

// ---- the WAF tables ----------------------------------------------------------------------------

const ONE_SITE: &str = "[[upstream]]\nname = \"app\"\ntargets = [\"http://127.0.0.1:3000\"]\n\n[[site]]\nname = \"s\"\nhosts = [\"*\"]\nupstream = \"app\"\n";

#[test]
fn absent_or_empty_waf_tables_are_the_defaults() {
    for extra in ["", "[site.waf]\n", "waf = {}\n"] {
        let text = format!("{ONE_SITE}{extra}");
        let c = parse_str("t.toml", &text, Path::new("/base")).unwrap();
        assert_eq!(c.waf, WafGlobal::default(), "{extra:?}");
        assert_eq!(c.sites[0].waf, SiteWaf::default(), "{extra:?}");
    }
    let c = parse_str("t.toml", &format!("[waf]\n{ONE_SITE}"), Path::new("/base")).unwrap();
    assert_eq!(c.waf, WafGlobal::default());
}

#[test]
fn detection_paranoia_level_is_kept_as_written_and_checked_against_a_valid_level_only() {
    let parse = |waf: &str| {
        parse_str(
            "t.toml",
            &format!("{ONE_SITE}[site.waf]\n{waf}"),
            Path::new("/base"),
        )
    };
    let c = parse("detection_paranoia_level = 1\n").unwrap();
    assert_eq!(c.sites[0].waf.detection_paranoia_level, Some(1));
    let c = parse("paranoia_level = 3\ndetection_paranoia_level = 3\n").unwrap();
    assert_eq!(c.sites[0].waf.paranoia_level, 3);
    assert_eq!(c.sites[0].waf.detection_paranoia_level, Some(3));
    // A bad paranoia_level is the one error; the detection level is not compared with it.
    let e = parse("paranoia_level = 9\ndetection_paranoia_level = 2\n").unwrap_err();
    assert_eq!(e.len(), 1, "{e}");
    assert!(
        e.to_string().contains("must be between 1 and 4, found 9"),
        "{e}"
    );
    let e = parse("paranoia_level = 4\ndetection_paranoia_level = 3\n").unwrap_err();
    assert_eq!(e.len(), 1, "{e}");
    let d = e.iter().next().unwrap();
    assert_eq!((d.span.line, d.span.column), (11, 28));
    assert_eq!(
        d.notes,
        vec!["`paranoia_level` is set at t.toml:10:18".to_owned()]
    );
}

#[test]
fn rule_file_lists_are_bounded() {
    let list = |n: usize| {
        let files: Vec<String> = (0..n).map(|i| format!("\"r{i}.conf\"")).collect();
        format!("{ONE_SITE}[site.waf]\nrules = [{}]\n", files.join(", "))
    };
    let max = defaults::MAX_RULE_FILES;
    let c = parse_str("t.toml", &list(max), Path::new("/base")).unwrap();
    assert_eq!(c.sites[0].waf.rules.len(), max);
    assert_eq!(
        c.sites[0].waf.rules[max - 1],
        PathBuf::from(format!("/base/r{}.conf", max - 1))
    );
    let e = parse_str("t.toml", &list(max + 5), Path::new("/base")).unwrap_err();
    assert_eq!(e.len(), 1, "{e}");
    assert!(
        e.to_string()
            .contains("more than 256 files in `site.waf.rules`"),
        "{e}"
    );
}

// ---- embedded default -------------------------------------------------------------------------

#[test]
fn embedded_default_has_the_documented_shape() {
    let c = embedded_default(&EmbeddedOptions::new("http://127.0.0.1:3000")).unwrap();
    assert_eq!(c.source, None);
    assert_eq!(c.digest.len(), 64);
    assert_eq!(c.data_dir, PathBuf::from("data"));
    assert_eq!(
        c.admin.address,
        "127.0.0.1:9901".parse::<SocketAddr>().unwrap()
    );
    assert_eq!(c.listeners.len(), 1);
    assert_eq!(
        c.listeners[0].address,
        "127.0.0.1:8080".parse::<SocketAddr>().unwrap()
    );
    assert_eq!(c.listeners[0].protocol, ListenerProtocol::Http);
    assert_eq!(c.upstreams.len(), 1);
    let u = &c.upstreams[0];
    assert_eq!(u.name, "default");
    assert_eq!(u.health_check, None);
    assert_eq!(
        u.targets,
        vec![Target {
            scheme: Scheme::Http,
            host: "127.0.0.1".into(),
            port: 3000,
            weight: 1
        }]
    );
    assert_eq!(c.sites.len(), 1);
    let s = &c.sites[0];
    assert_eq!(
        (s.name.as_str(), s.path_prefix.as_str(), s.upstream),
        ("default", "/", 0)
    );
    assert_eq!(s.hosts, vec![HostPattern::Any]);
    assert_eq!(c.limits.max_headers, defaults::MAX_HEADERS);
    // The default WAF: block, with the CRS at paranoia level 1, CRS's thresholds.
    assert_eq!(c.waf, WafGlobal::default());
    assert_eq!(s.waf, SiteWaf::default());
    assert_eq!(
        (s.waf.mode, s.waf.crs, s.waf.paranoia_level),
        (WafMode::Block, true, 1)
    );
    assert_eq!((s.waf.inbound_threshold, s.waf.outbound_threshold), (5, 4));
}

#[test]
fn embedded_default_takes_overrides() {
    let opts = EmbeddedOptions {
        upstream: "https://[::1]:8443".into(),
        listen: Some("[::1]:0".parse().unwrap()),
        admin_listen: Some("127.0.0.1:0".parse().unwrap()),
        data_dir: Some(PathBuf::from("/var/lib/palisade \"x\"")),
    };
    let c = embedded_default(&opts).unwrap();
    assert_eq!(
        c.listeners[0].address,
        "[::1]:0".parse::<SocketAddr>().unwrap()
    );
    assert_eq!(
        c.admin.address,
        "127.0.0.1:0".parse::<SocketAddr>().unwrap()
    );
    assert_eq!(c.data_dir, PathBuf::from("/var/lib/palisade \"x\""));
    assert_eq!(c.upstreams[0].targets[0].scheme, Scheme::Https);
    assert_eq!(c.upstreams[0].targets[0].host, "::1");
}

#[test]
fn embedded_default_rejects_bad_upstreams_naming_the_flag() {
    for (url, fragment) in [
        ("127.0.0.1:3000", "must start with http:// or https://"),
        ("http://127.0.0.1:3000/app", "has a path"),
        ("http://127.0.0.1:99999", "is not a port"),
        ("http://\"]\ninjected = 1", "--upstream: "),
        ("", "must start with"),
    ] {
        let e = embedded_default(&EmbeddedOptions::new(url)).unwrap_err();
        assert_eq!(e.len(), 1, "{url}: {e}");
        let d = e.iter().next().unwrap();
        assert!(d.message.starts_with("--upstream: "), "{}", d.message);
        assert!(d.message.contains(fragment), "{url}: {}", d.message);
        assert_eq!(d.span.file, "--upstream");
    }
}

// ---- the registry -----------------------------------------------------------------------------

/// A valid base config as sections (header, lines), with every optional table present so
/// that each registry key has a place to be written.
fn base_sections() -> Vec<(String, Vec<String>)> {
    let s = |h: &str, lines: &[&str]| (h.to_owned(), lines.iter().map(|l| l.to_string()).collect());
    vec![
        s("", &[]),
        s("[admin]", &[]),
        s(
            "[[listener]]",
            &[
                "name = \"l\"",
                "address = \"127.0.0.1:8443\"",
                "protocol = \"https\"",
            ],
        ),
        s("[tls]", &[]),
        s(
            "[[tls.certificate]]",
            &["cert = \"c.pem\"", "key = \"k.pem\""],
        ),
        s("[limits]", &[]),
        s("[reload]", &[]),
        s("[waf]", &[]),
        s(
            "[[upstream]]",
            &[
                "name = \"app\"",
                "targets = [{ url = \"https://app.internal\" }]",
            ],
        ),
        s("[upstream.health_check]", &[]),
        s("[upstream.passive]", &[]),
        s("[upstream.timeouts]", &[]),
        s("[upstream.tls]", &[]),
        s(
            "[[site]]",
            &["name = \"s\"", "hosts = [\"*\"]", "upstream = \"app\""],
        ),
        s("[site.hsts]", &[]),
        s("[site.waf]", &[]),
    ]
}

fn render(sections: &[(String, Vec<String>)]) -> String {
    let mut out = String::new();
    for (h, lines) in sections {
        if !h.is_empty() {
            out.push_str(h);
            out.push('\n');
        }
        for l in lines {
            out.push_str(l);
            out.push('\n');
        }
    }
    out
}

fn header_of(table_path: &str) -> String {
    if table_path.is_empty() {
        String::new()
    } else if let Some(p) = table_path.strip_suffix("[]") {
        format!("[[{}]]", registry::display_path(p))
    } else {
        format!("[{}]", registry::display_path(table_path))
    }
}

fn parse_normalized(text: &str) -> Result<Config, Diagnostics> {
    parse_str("t.toml", text, Path::new("/base")).map(|mut c| {
        c.digest.clear();
        c
    })
}

fn is_table_key(k: &registry::KeyDef) -> bool {
    k.ty == "table" || k.ty == "array of tables"
}

#[test]
fn registry_defaults_equal_leaving_the_key_out() {
    let base = render(&base_sections());
    parse_normalized(&base).unwrap_or_else(|d| panic!("base config invalid:\n{d}\n{base}"));
    let mut checked = 0;
    for k in KEYS {
        let KeyDefault::Value(v) = k.default else {
            continue;
        };
        if is_table_key(k) {
            continue;
        }
        let parent = registry::parent_of(k.path);
        let leaf = registry::leaf_of(k.path);
        let mut without = base_sections();
        let mut with = base_sections();
        if parent == "upstream[].targets[]" {
            let (_, lines) = with.iter_mut().find(|(h, _)| h == "[[upstream]]").unwrap();
            lines[1] = format!("targets = [{{ url = \"https://app.internal\", {leaf} = {v} }}]");
        } else {
            let header = header_of(parent);
            for sections in [&mut without, &mut with] {
                let (_, lines) = sections
                    .iter_mut()
                    .find(|(h, _)| *h == header)
                    .unwrap_or_else(|| panic!("no section {header} for {}", k.path));
                // The base may set this key (listener.protocol): leave it out on both sides.
                lines.retain(|l| !l.starts_with(&format!("{leaf} =")));
            }
            let (_, lines) = with.iter_mut().find(|(h, _)| *h == header).unwrap();
            lines.push(format!("{leaf} = {v}"));
        }
        let want = parse_normalized(&render(&without))
            .unwrap_or_else(|d| panic!("{}: config without it rejected:\n{d}", k.path));
        let got = parse_normalized(&render(&with))
            .unwrap_or_else(|d| panic!("{} = {v} rejected:\n{d}", k.path));
        assert_eq!(
            got, want,
            "{}: explicit default {v} differs from leaving it out",
            k.path
        );
        checked += 1;
    }
    assert!(checked > 40, "only {checked} defaults checked");
}

#[test]
fn registry_required_keys_are_reported_when_missing() {
    let mut checked = 0;
    for k in KEYS {
        if k.default != KeyDefault::Required {
            continue;
        }
        let mut sections = base_sections();
        let parent = registry::parent_of(k.path);
        let leaf = registry::leaf_of(k.path);
        if is_table_key(k) {
            let prefix = registry::display_path(k.path);
            sections.retain(|(h, _)| {
                let name = h.trim_matches(|c| c == '[' || c == ']');
                name != prefix && !name.starts_with(&format!("{prefix}."))
            });
        } else if parent == "upstream[].targets[]" {
            let (_, lines) = sections
                .iter_mut()
                .find(|(h, _)| h == "[[upstream]]")
                .unwrap();
            lines[1] = "targets = [{ weight = 2 }]".to_owned();
        } else {
            let header = header_of(parent);
            let (_, lines) = sections.iter_mut().find(|(h, _)| *h == header).unwrap();
            let before = lines.len();
            lines.retain(|l| !l.starts_with(&format!("{leaf} =")));
            assert_eq!(
                lines.len() + 1,
                before,
                "{} is not in the base config",
                k.path
            );
        }
        let text = render(&sections);
        let diags = parse_normalized(&text).expect_err(k.path);
        assert!(
            diags
                .iter()
                .any(|d| d.message.contains(&format!("`{leaf}`"))
                    || d.message.contains(&format!("no {leaf} defined"))),
            "{}: no error names it:\n{diags}",
            k.path
        );
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} required keys checked");
}

/// Registry paths of every key written in a TOML document.
fn key_paths(prefix: &str, table: &toml::de::DeTable<'_>, out: &mut BTreeSet<String>) {
    for (k, v) in table.iter() {
        let path = if prefix.is_empty() {
            k.get_ref().to_string()
        } else {
            format!("{prefix}.{}", k.get_ref())
        };
        out.insert(path.clone());
        value_paths(&path, v.get_ref(), out);
    }
}

fn value_paths(path: &str, v: &toml::de::DeValue<'_>, out: &mut BTreeSet<String>) {
    match v {
        toml::de::DeValue::Table(t) => key_paths(path, t, out),
        toml::de::DeValue::Array(a) => {
            for e in a.iter() {
                if let toml::de::DeValue::Table(t) = e.get_ref() {
                    key_paths(&format!("{path}[]"), t, out);
                }
            }
        }
        _ => {}
    }
}

#[test]
fn full_example_uses_every_registry_key() {
    let text = fs::read_to_string(testdata().join("valid/full.toml")).unwrap();
    let doc = toml::de::DeTable::parse(&text).unwrap();
    let mut used = BTreeSet::new();
    key_paths("", doc.get_ref(), &mut used);
    let known: BTreeSet<String> = KEYS.iter().map(|k| k.path.to_owned()).collect();
    let unused: Vec<_> = known.difference(&used).collect();
    let unknown: Vec<_> = used.difference(&known).collect();
    assert!(
        unused.is_empty(),
        "registry keys not in full.toml: {unused:?}"
    );
    assert!(
        unknown.is_empty(),
        "full.toml keys not in the registry: {unknown:?}"
    );
}

// ---- docs/CONFIG.md ---------------------------------------------------------------------------

fn config_md() -> (PathBuf, String) {
    let path = repo_root().join("docs/CONFIG.md");
    let text = fs::read_to_string(&path).unwrap();
    (path, text)
}

#[test]
fn generated_key_reference_in_docs_is_current() {
    let (path, text) = config_md();
    let begin = text
        .find(registry::DOC_BEGIN)
        .expect("begin marker in docs/CONFIG.md");
    let inner_start = begin + registry::DOC_BEGIN.len();
    let end = text[inner_start..]
        .find(registry::DOC_END)
        .expect("end marker")
        + inner_start;
    let want = format!("\n{}", registry::reference_markdown());
    if text[inner_start..end] == want {
        return;
    }
    if bless() {
        let updated = format!("{}{want}{}", &text[..inner_start], &text[end..]);
        fs::write(&path, updated).unwrap();
        return;
    }
    panic!(
        "the generated key reference in docs/CONFIG.md is stale; run PALISADE_BLESS=1 cargo test -p palisade-config"
    );
}

#[test]
fn every_toml_example_in_docs_is_valid() {
    let (_, text) = config_md();
    let mut count = 0;
    let mut rest = text.as_str();
    while let Some(start) = rest.find("```toml\n") {
        let body_start = start + "```toml\n".len();
        let len = rest[body_start..].find("```").expect("closed code block");
        let example = &rest[body_start..body_start + len];
        rest = &rest[body_start + len + 3..];
        if example.starts_with("# fragment") {
            continue;
        }
        if let Err(d) = parse_str("docs/CONFIG.md example", example, Path::new(".")) {
            panic!("example {count} in docs/CONFIG.md is invalid:\n{d}\n{example}");
        }
        count += 1;
    }
    assert!(
        count >= 2,
        "expected at least two TOML examples, found {count}"
    );
}
