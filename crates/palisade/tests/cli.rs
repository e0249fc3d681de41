//! End-to-end tests of the `palisade` binary as a user runs it: a real process, real sockets,
//! an in-process origin from `palisade-testkit`.

// Reads in these tests are bounded by `take`; the lint cannot see through it.
#![allow(clippy::disallowed_methods)]
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use palisade_testkit::Origin;

const BIN: &str = env!("CARGO_BIN_EXE_palisade");

/// A `palisade serve` child process, killed on drop.
struct Served {
    child: Child,
    listen: SocketAddr,
    admin: SocketAddr,
}

impl Served {
    fn start(args: &[&str], data_dir: &Path) -> Served {
        let mut child = Command::new(BIN)
            .arg("serve")
            .args(args)
            .args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"])
            .arg("--data-dir")
            .arg(data_dir)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn palisade");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut listen = None;
        let mut admin = None;
        let deadline = Instant::now() + Duration::from_secs(30);
        while listen.is_none() || admin.is_none() {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = rx
                .recv_timeout(left)
                .expect("palisade printed no listen address");
            if let Some(rest) = line.strip_prefix("palisade: listener ") {
                let addr = rest.rsplit(' ').next().expect("addr");
                listen = Some(addr.parse().expect("listener addr"));
            } else if let Some(rest) =
                line.strip_prefix("palisade: admin (metrics, health) on http://")
            {
                admin = Some(rest.trim().parse().expect("admin addr"));
            }
        }
        Served {
            child,
            listen: listen.expect("listen"),
            admin: admin.expect("admin"),
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .args([&format!("-{sig}"), &self.pid().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// Peak resident set size of the process, in KiB.
    fn peak_rss_kib(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).expect("status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM")
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends one HTTP/1.1 request (Connection: close) and returns (status, head, body).
fn request(addr: SocketAddr, raw: &str) -> (u16, String, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    stream.write_all(raw.as_bytes()).expect("write");
    let mut buf = Vec::new();
    stream.take(16 << 20).read_to_end(&mut buf).expect("read");
    parse_response(&buf)
}

fn get(addr: SocketAddr, path: &str) -> (u16, String, Vec<u8>) {
    request(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n"),
    )
}

fn parse_response(buf: &[u8]) -> (u16, String, Vec<u8>) {
    let end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(buf)));
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    (status, head, buf[end + 4..].to_vec())
}

fn wait_until(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out waiting for {what}");
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn help_explains_each_command() {
    let out = Command::new(BIN).arg("--help").output().expect("run");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for command in [
        "serve",
        "validate",
        "cert",
        "detect",
        "rules",
        "conformance",
    ] {
        assert!(
            text.contains(command),
            "--help does not mention {command}:\n{text}"
        );
    }
}

#[test]
fn serve_without_config_or_upstream_says_what_to_do() {
    let out = Command::new(BIN).arg("serve").output().expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--upstream"), "{err}");
}

#[test]
fn embedded_defaults_serve_traffic_and_metrics() {
    let rt = runtime();
    let origin = rt.block_on(Origin::start());
    let data = tempfile::tempdir().expect("tempdir");
    let served = Served::start(&["--upstream", &origin.url()], data.path());

    let (status, head, body) = get(served.listen, "/echo?x=1");
    assert_eq!(status, 200, "{head}");
    assert!(
        head.to_ascii_lowercase().contains("x-request-id:"),
        "{head}"
    );
    let echo: serde_json::Value = serde_json::from_slice(&body).expect("echo json");
    assert_eq!(echo["uri"], "/echo?x=1");
    assert_eq!(origin.requests(), 1);

    let (status, _, metrics) = get(served.admin, "/metrics");
    assert_eq!(status, 200);
    let metrics = String::from_utf8_lossy(&metrics);
    assert!(
        metrics.contains("palisade_http_requests_total"),
        "{metrics}"
    );
}

#[test]
fn validate_reports_every_error_with_location() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        "[[upstream]]\nname = \"app\"\ntargets = [\"http://127.0.0.1:3000\"]\nbalance = \"fastest\"\n\n\
         [[site]]\nname = \"shop\"\nhosts = [\"shop.test\"]\nupstream = \"ap\"\nredirect_http = true\n",
    )
    .expect("write");
    let out = Command::new(BIN)
        .arg("validate")
        .arg(&path)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let file = path.display().to_string();
    // Three independent errors, all in one run, each with file:line:col.
    assert!(
        err.contains(&format!("{file}:4:")),
        "balance error missing:\n{err}"
    );
    assert!(
        err.contains(&format!("{file}:9:")),
        "unknown upstream error missing:\n{err}"
    );
    assert!(
        err.contains(&format!("{file}:10:")),
        "unknown key error missing:\n{err}"
    );

    let good = dir.path().join("good.toml");
    std::fs::write(
        &good,
        "[[upstream]]\nname = \"app\"\ntargets = [\"http://127.0.0.1:3000\"]\n\n\
         [[site]]\nname = \"shop\"\nhosts = [\"shop.test\"]\nupstream = \"app\"\n",
    )
    .expect("write");
    let out = Command::new(BIN)
        .arg("validate")
        .arg(&good)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok"));
}

#[test]
fn cert_dev_writes_a_certificate_and_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(BIN)
        .args(["cert", "dev", "--name", "shop.test", "--data-dir"])
        .arg(dir.path())
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pem = std::fs::read_to_string(dir.path().join("certs/dev-cert.pem")).expect("cert");
    assert!(pem.contains("BEGIN CERTIFICATE"));
    assert!(dir.path().join("certs/dev-key.pem").exists());
}

/// 100 MB up and 100 MB down through the real binary; its peak RSS stays far below that.
#[test]
fn streams_100_mb_each_way_with_bounded_memory() {
    const SIZE: u64 = 100 * 1024 * 1024;
    let rt = runtime();
    let origin = rt.block_on(Origin::start());
    let data = tempfile::tempdir().expect("tempdir");
    let served = Served::start(&["--upstream", &origin.url()], data.path());

    // Upload: Content-Length framed, written in 64 KiB pieces. The embedded default runs
    // CRS at PL1, so the type must be one CRS allows (application/json; the WAF inspects
    // the first bytes and lets the rest stream).
    let mut stream = TcpStream::connect(served.listen).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    write!(
        stream,
        "POST /upload HTTP/1.1\r\nHost: app.test\r\nContent-Type: application/json\r\n\
         Content-Length: {SIZE}\r\nConnection: close\r\n\r\n"
    )
    .expect("head");
    let chunk = vec![b'a'; 64 * 1024];
    let mut sent = 0;
    while sent < SIZE {
        stream.write_all(&chunk).expect("body");
        sent += chunk.len() as u64;
    }
    let mut buf = Vec::new();
    stream.take(1 << 20).read_to_end(&mut buf).expect("read");
    let (status, head, body) = parse_response(&buf);
    assert_eq!(status, 200, "{head}");
    let echo: serde_json::Value = serde_json::from_slice(&body).expect("echo json");
    assert_eq!(echo["body_len"], SIZE);

    // Download: count bytes without keeping them.
    let mut stream = TcpStream::connect(served.listen).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    write!(
        stream,
        "GET /download/{SIZE} HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n"
    )
    .expect("head");
    let mut total: u64 = 0;
    let mut piece = vec![0u8; 256 * 1024];
    loop {
        let n = stream.read(&mut piece).expect("read");
        if n == 0 {
            break;
        }
        total += n as u64;
    }
    assert!(
        total > SIZE,
        "downloaded {total} bytes (head + body), expected more than {SIZE}"
    );

    let peak = served.peak_rss_kib();
    assert!(
        peak < 96 * 1024,
        "peak RSS {peak} KiB: the proxy buffered a body"
    );
}

/// Reload on file change and on SIGHUP; an invalid file never replaces the running config.
#[test]
fn reloads_on_change_and_keeps_serving_on_invalid_config() {
    let rt = runtime();
    let first = rt.block_on(Origin::start());
    let second = rt.block_on(Origin::start());
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("palisade.toml");
    let config = |url: &str| {
        format!(
            "[reload]\nwatch = true\ndebounce = \"100ms\"\n\n[[upstream]]\nname = \"app\"\n\
             targets = [\"{url}\"]\n\n[[site]]\nname = \"app\"\nhosts = [\"*\"]\nupstream = \"app\"\n"
        )
    };
    std::fs::write(&path, config(&first.url())).expect("write");
    let served = Served::start(
        &["--config", path.to_str().expect("utf-8 path")],
        dir.path(),
    );

    assert_eq!(get(served.listen, "/").0, 200);
    assert_eq!(first.requests(), 1);

    // File change: traffic moves to the second origin.
    std::fs::write(&path, config(&second.url())).expect("write");
    wait_until("reload to the second origin", || {
        get(served.listen, "/").0 == 200 && second.requests() > 0
    });

    // An invalid file is rejected; the running config keeps serving.
    std::fs::write(&path, "[[upstream]\nthis is not toml").expect("write");
    served.signal("HUP");
    wait_until("the failed reload to be counted", || {
        let (_, _, body) = get(served.admin, "/metrics");
        String::from_utf8_lossy(&body).lines().any(|l| {
            l.starts_with("palisade_config_reloads_total")
                && l.contains("failure")
                && !l.ends_with(" 0")
        })
    });
    let before = second.requests();
    assert_eq!(get(served.listen, "/").0, 200);
    assert_eq!(second.requests(), before + 1);

    // SIGTERM drains and exits cleanly.
    served.signal("TERM");
    let mut served = served;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = served.child.try_wait().expect("wait") {
            assert!(status.success(), "exit status {status}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "palisade did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
