//! End-to-end tests of `palisade rules fetch-crs`: the real binary against release archives
//! built at test time from the CRS checkout (`PALISADE_CRS_DIR`, else `../shared/crs`),
//! served by a small HTTP server on 127.0.0.1 that the test starts. Skipped, with a message,
//! when no checkout is present.

// Reads in these tests are bounded by `take`; the lint cannot see through it.
#![allow(clippy::disallowed_methods)]
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

const BIN: &str = env!("CARGO_BIN_EXE_palisade");
const TOP: &str = "coreruleset-4.28.0";
const COMMIT: &str = "55b09f5acfd16413e7b31041100711ceb7adc89c";
const SQLI: &str = "rules/REQUEST-942-APPLICATION-ATTACK-SQLI.conf";
const XSS: &str = "rules/REQUEST-941-APPLICATION-ATTACK-XSS.conf";

/// The CRS checkout, or `None` after printing why the test is skipped.
fn crs_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("PALISADE_CRS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/crs"));
    if dir.join("rules").is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "skipped: no CRS checkout at {} (set PALISADE_CRS_DIR)",
            dir.display()
        );
        None
    }
}

/// Every file of the checkout, relative path (`/`-separated) to content.
fn checkout_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for item in std::fs::read_dir(&d).expect("read_dir") {
            let path = item.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).expect("prefix");
                let rel = rel.to_str().expect("utf-8").replace('\\', "/");
                files.insert(rel, std::fs::read(&path).expect("read"));
            }
        }
    }
    files
}

/// A tar header with the name written raw (the builder refuses `..` in `set_path`).
fn raw_header(name: &str, kind: tar::EntryType, size: usize) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
    h.set_entry_type(kind);
    h.set_size(size as u64);
    h.set_mode(if kind == tar::EntryType::Directory {
        0o755
    } else {
        0o644
    });
    h.set_mtime(1_700_000_000);
    h.set_cksum();
    h
}

/// A release archive shaped like GitHub's: a pax global header naming the commit, then
/// `coreruleset-4.28.0/` and the files, then `extra` raw entries.
fn release_archive(files: &BTreeMap<String, Vec<u8>>, extra: &[(&str, &[u8])]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut b = tar::Builder::new(gz);
    let global = format!("52 comment={COMMIT}\n");
    b.append(
        &raw_header(
            "pax_global_header",
            tar::EntryType::XGlobalHeader,
            global.len(),
        ),
        global.as_bytes(),
    )
    .expect("global header");
    b.append(
        &raw_header(&format!("{TOP}/"), tar::EntryType::Directory, 0),
        &b""[..],
    )
    .expect("top");
    let mut dirs = std::collections::BTreeSet::new();
    for (rel, data) in files {
        let mut parent = String::new();
        for part in rel
            .split('/')
            .collect::<Vec<_>>()
            .split_last()
            .expect("parts")
            .1
        {
            parent.push_str(part);
            parent.push('/');
            if dirs.insert(parent.clone()) {
                b.append(
                    &raw_header(&format!("{TOP}/{parent}"), tar::EntryType::Directory, 0),
                    &b""[..],
                )
                .expect("dir");
            }
        }
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_700_000_000);
        b.append_data(&mut h, format!("{TOP}/{rel}"), &data[..])
            .expect("file");
    }
    for (name, data) in extra {
        b.append(
            &raw_header(name, tar::EntryType::Regular, data.len()),
            *data,
        )
        .expect("extra");
    }
    b.into_inner().expect("tar").finish().expect("gzip")
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// An HTTP/1.1 server on 127.0.0.1: `/archive.tar.gz` is the archive, `/redirect` sends
/// there, `/loop` redirects to itself, anything else is 404. Stopped on drop.
struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    fn start(archive: Vec<u8>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    let _ = serve_one(stream, &archive);
                }
            }
        });
        Server {
            addr,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve_one(mut stream: TcpStream, archive: &[u8]) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?.take(64 * 1024));
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
    }
    let path = request_line.split(' ').nth(1).unwrap_or("/");
    let (status, location, body): (&str, Option<&str>, &[u8]) = match path {
        "/archive.tar.gz" => ("200 OK", None, archive),
        "/redirect" => ("302 Found", Some("/archive.tar.gz"), b""),
        "/loop" => ("302 Found", Some("/loop"), b""),
        _ => ("404 Not Found", None, b"not found"),
    };
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: application/x-gzip\r\n\
         Connection: close\r\n",
        body.len()
    );
    if let Some(l) = location {
        head.push_str(&format!("Location: {l}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()
}

/// Runs `palisade rules fetch-crs ARGS` in `cwd`, with no CRS or proxy settings inherited.
fn fetch(cwd: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(["rules", "fetch-crs"]).args(args).current_dir(cwd);
    for var in [
        "PALISADE_CRS_DIR",
        "PALISADE_CONFIG",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        cmd.env_remove(var);
    }
    cmd.output().expect("run palisade")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The files the release install must hold: LICENSE, crs-setup.conf.example, rules/.
fn expected_install(files: &BTreeMap<String, Vec<u8>>) -> BTreeMap<String, Vec<u8>> {
    files
        .iter()
        .filter(|(p, _)| {
            p.starts_with("rules/") || *p == "LICENSE" || *p == "crs-setup.conf.example"
        })
        .map(|(p, d)| (p.clone(), d.clone()))
        .collect()
}

/// Folders and files left in `dir` whose names start with `.crs-`.
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("read_dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".crs-"))
        .collect()
}

#[test]
fn downloads_verifies_and_installs_where_serve_finds_it() {
    let Some(crs) = crs_dir() else { return };
    let files = checkout_files(&crs);
    let archive = release_archive(&files, &[]);
    let server = Server::start(archive.clone());
    let tmp = tempfile::tempdir().expect("tempdir");
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).expect("mkdir");

    // Through one redirect, as GitHub's archive URL does; no --dest: ./data/crs.
    let out = fetch(&work, &["--url", &server.url("/redirect")]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(
        stdout.contains(&format!("archive sha256: {}", sha256_hex(&archive))),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("archive commit: {COMMIT}")),
        "{stdout}"
    );
    assert!(stdout.contains("verified:"), "{stdout}");

    // Exactly the release files, byte for byte, plus VERSION and an empty plugins/.
    let dest = work.join("data/crs");
    let mut installed = checkout_files(&dest);
    let version = text(&installed.remove("VERSION").expect("VERSION"));
    assert!(version.contains(COMMIT), "{version}");
    assert!(version.contains(&sha256_hex(&archive)), "{version}");
    assert_eq!(installed, expected_install(&files));
    assert!(dest.join("plugins").is_dir());
    assert!(leftovers(&work.join("data")).is_empty());

    // `palisade serve` on embedded defaults, from the same folder, loads it.
    let mut child = Command::new(BIN)
        .args(["serve", "--upstream", "http://127.0.0.1:9"])
        .args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"])
        .current_dir(&work)
        .env_remove("PALISADE_CRS_DIR")
        .env_remove("PALISADE_CONFIG")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn serve");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(180);
    let waf_line = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) if line.contains("waf site") => break Some(line),
            Ok(_) => {}
            Err(_) => break None,
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    let waf_line = waf_line.expect("palisade serve printed no waf line");
    let canonical = dest.canonicalize().expect("canonical");
    assert!(
        waf_line.contains(&format!("CRS from {}", canonical.display())),
        "{waf_line}"
    );
}

#[test]
fn archive_file_installs_offline_and_keeps_user_settings() {
    let Some(crs) = crs_dir() else { return };
    let files = checkout_files(&crs);
    let archive = release_archive(&files, &[]);
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("v4.28.0.tar.gz");
    std::fs::write(&file, &archive).expect("write");
    let dest = tmp.path().join("rules/crs");
    let file_arg = file.to_str().expect("utf-8");
    let dest_arg = dest.to_str().expect("utf-8");
    let sha = sha256_hex(&archive);

    let out = fetch(
        tmp.path(),
        &["--archive", file_arg, "--dest", dest_arg, "--sha256", &sha],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(dest.join(SQLI).is_file());

    // A second run replaces the install and keeps the user's crs-setup.conf and plugins.
    std::fs::write(dest.join("crs-setup.conf"), "# mine\n").expect("write");
    std::fs::write(dest.join("plugins/mine-before.conf"), "# plugin\n").expect("write");
    std::fs::write(dest.join(SQLI), "# stale\n").expect("write");
    let out = fetch(tmp.path(), &["--archive", file_arg, "--dest", dest_arg]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(stdout.contains("kept: crs-setup.conf"), "{stdout}");
    assert_eq!(
        std::fs::read_to_string(dest.join("crs-setup.conf")).expect("kept"),
        "# mine\n"
    );
    assert!(dest.join("plugins/mine-before.conf").is_file());
    assert_eq!(std::fs::read(dest.join(SQLI)).expect("rule"), files[SQLI]);
    assert!(leftovers(dest.parent().expect("parent")).is_empty());
}

#[test]
fn tampered_archive_is_refused_naming_each_file_and_the_install_stays() {
    let Some(crs) = crs_dir() else { return };
    let files = checkout_files(&crs);
    let tmp = tempfile::tempdir().expect("tempdir");
    let dest = tmp.path().join("crs");
    let dest_arg = dest.to_str().expect("utf-8");
    let good = tmp.path().join("good.tar.gz");
    std::fs::write(&good, release_archive(&files, &[])).expect("write");
    let out = fetch(
        tmp.path(),
        &[
            "--archive",
            good.to_str().expect("utf-8"),
            "--dest",
            dest_arg,
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let before = checkout_files(&dest);

    let mut tampered = files.clone();
    tampered
        .get_mut(SQLI)
        .expect("sqli rules")
        .extend_from_slice(b"\nSecRuleRemoveById 942100\n");
    tampered.remove(XSS);
    tampered.insert(
        "rules/ZZZ-EVIL.conf".to_owned(),
        b"SecRuleEngine Off\n".to_vec(),
    );
    let server = Server::start(release_archive(&tampered, &[]));
    let out = fetch(
        tmp.path(),
        &["--url", &server.url("/archive.tar.gz"), "--dest", dest_arg],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&format!("modified: {SQLI}")), "{stderr}");
    assert!(stderr.contains(&format!("missing: {XSS}")), "{stderr}");
    assert!(stderr.contains("extra: rules/ZZZ-EVIL.conf"), "{stderr}");
    assert!(
        stderr.contains("(3 problems); nothing was installed"),
        "{stderr}"
    );
    assert_eq!(checkout_files(&dest), before, "the install changed");
    assert!(
        leftovers(tmp.path()).is_empty(),
        "{:?}",
        leftovers(tmp.path())
    );
}

#[test]
fn sha256_mismatch_is_refused() {
    let Some(crs) = crs_dir() else { return };
    let server = Server::start(release_archive(&checkout_files(&crs), &[]));
    let tmp = tempfile::tempdir().expect("tempdir");
    let dest = tmp.path().join("crs");
    let wrong = "ab".repeat(32);
    let out = fetch(
        tmp.path(),
        &[
            "--url",
            &server.url("/archive.tar.gz"),
            "--dest",
            dest.to_str().expect("utf-8"),
            "--sha256",
            &wrong,
        ],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("not {wrong} (--sha256)")),
        "{stderr}"
    );
    assert!(!dest.exists());
    assert!(leftovers(tmp.path()).is_empty());

    let out = fetch(tmp.path(), &["--url", &server.url("/x"), "--sha256", "xyz"]);
    assert!(text(&out.stderr).contains("64 hex digits"));
}

#[test]
fn path_traversal_entry_is_refused() {
    let Some(crs) = crs_dir() else { return };
    let archive = release_archive(
        &checkout_files(&crs),
        &[(&format!("{TOP}/../../escaped.conf"), b"SecRuleEngine Off\n")],
    );
    let server = Server::start(archive);
    let tmp = tempfile::tempdir().expect("tempdir");
    let nested = tmp.path().join("a/b");
    std::fs::create_dir_all(&nested).expect("mkdir");
    let dest = nested.join("crs");
    let out = fetch(
        tmp.path(),
        &[
            "--url",
            &server.url("/archive.tar.gz"),
            "--dest",
            dest.to_str().expect("utf-8"),
        ],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("refused") && stderr.contains("../../escaped.conf"),
        "{stderr}"
    );
    assert!(!dest.exists());
    assert!(!tmp.path().join("a/escaped.conf").exists());
    assert!(!tmp.path().join("escaped.conf").exists());
    assert!(leftovers(&nested).is_empty());
}

#[test]
fn http_errors_and_redirect_loops_are_reported() {
    let server = Server::start(Vec::new());
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = fetch(tmp.path(), &["--url", &server.url("/missing.tar.gz")]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("404"), "{stderr}");

    let out = fetch(tmp.path(), &["--url", &server.url("/loop")]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("redirect"), "{stderr}");

    let out = fetch(tmp.path(), &["--url", "ftp://127.0.0.1/crs.tar.gz"]);
    assert!(text(&out.stderr).contains("not supported"));
    assert!(!tmp.path().join("data").exists());
}
