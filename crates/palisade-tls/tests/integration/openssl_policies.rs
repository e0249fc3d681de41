//! The policies checked from outside: `openssl s_client` against a tokio-rustls server
//! running `server_config(...)` on 127.0.0.1:0.
//!
//! A refusal only counts when it is the server's: the output must show that the client
//! actually sent its ClientHello and received a fatal alert (`-msg` trace), the client must
//! not have refused on its own (`no protocols available`, `no cipher match`), and the server
//! must have recorded a failed handshake. Acceptance must show the expected protocol and
//! suite in `s_client`'s summary and in the labels the server reports via `session_labels`.

use std::io::Read;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use palisade_config::TlsPolicyName;
use palisade_tls::{CertStore, server_config};

use crate::common::{ServerEvent, TestCa, TestServer, have_openssl};

/// Longest one `s_client` run may take before it is killed.
const OPENSSL_TIMEOUT: Duration = Duration::from_secs(20);

struct Run {
    ok: bool,
    text: String,
}

fn s_client(addr: SocketAddr, config_file: &std::path::Path, args: &[&str]) -> Run {
    let mut child = Command::new("openssl")
        .arg("s_client")
        .arg("-connect")
        .arg(addr.to_string())
        .args(["-servername", "policy.test", "-msg", "-ign_eof"])
        .args(args)
        // An empty configuration: the distribution's defaults must not change what is offered.
        .env("OPENSSL_CONF", config_file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Drain both pipes while waiting, so a chatty run cannot block on a full pipe.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(pipe) = pipe {
                // Bounded by `take(1 MiB)`.
                #[allow(clippy::disallowed_methods)]
                let _ = pipe.take(1 << 20).read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + OPENSSL_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut text = String::from_utf8_lossy(&stdout.join().unwrap()).into_owned();
    text.push_str(&String::from_utf8_lossy(&stderr.join().unwrap()));
    Run {
        ok: status.is_some_and(|s| s.success()),
        text,
    }
}

/// What a case expects.
enum Expect {
    /// Handshake completes with this OpenSSL protocol / cipher name and these server labels.
    Accept {
        protocol: &'static str,
        openssl_cipher: &'static str,
        labels: &'static str,
    },
    /// The client offers a hello of this version (as `-msg` prints it) and the server
    /// answers with a fatal alert.
    Refuse { hello: &'static str },
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Key {
    Ecdsa,
    Rsa,
}

use Expect::{Accept, Refuse};
use Key::{Ecdsa, Rsa};

const TLS12: TlsPolicyName = TlsPolicyName::Tls12_2021;
const ISM: TlsPolicyName = TlsPolicyName::Tls13_2025;
/// Lets OpenSSL 3 offer TLS 1.0 / 1.1 at all (they need security level 0).
const LEGACY: &[&str] = &["-cipher", "DEFAULT@SECLEVEL=0"];

fn cases() -> Vec<(TlsPolicyName, Key, Vec<&'static str>, Expect)> {
    let mut cases = Vec::new();
    let mut add = |policy, key, args: &[&'static str], expect| {
        cases.push((policy, key, args.to_vec(), expect))
    };
    for key in [Ecdsa, Rsa] {
        // Old protocol versions.
        add(
            TLS12,
            key,
            &[&["-tls1"][..], LEGACY].concat(),
            Refuse {
                hello: "TLS 1.0, Handshake",
            },
        );
        add(
            TLS12,
            key,
            &[&["-tls1_1"][..], LEGACY].concat(),
            Refuse {
                hello: "TLS 1.1, Handshake",
            },
        );
        // CBC, static RSA key exchange, CBC with ECDHE.
        add(
            TLS12,
            key,
            &["-tls1_2", "-cipher", "AES128-SHA"],
            Refuse {
                hello: "TLS 1.2, Handshake",
            },
        );
        add(
            TLS12,
            key,
            &["-tls1_2", "-cipher", "AES256-GCM-SHA384"],
            Refuse {
                hello: "TLS 1.2, Handshake",
            },
        );
        add(
            TLS12,
            key,
            &["-tls1_2", "-cipher", "AES128-GCM-SHA256"],
            Refuse {
                hello: "TLS 1.2, Handshake",
            },
        );
        add(
            TLS12,
            key,
            &[
                "-tls1_2",
                "-cipher",
                "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384",
            ],
            Refuse {
                hello: "TLS 1.2, Handshake",
            },
        );
        add(
            TLS12,
            key,
            &["-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256"],
            Refuse {
                hello: "TLS 1.2, Handshake",
            },
        );
        // Finite-field and unsupported groups in TLS 1.3.
        add(
            TLS12,
            key,
            &["-tls1_3", "-groups", "ffdhe2048"],
            Refuse {
                hello: "TLS 1.3, Handshake",
            },
        );
        add(
            TLS12,
            key,
            &["-tls1_3", "-groups", "secp521r1"],
            Refuse {
                hello: "TLS 1.3, Handshake",
            },
        );
        // TLS 1.3: all three suites.
        add(
            TLS12,
            key,
            &["-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256"],
            Accept {
                protocol: "TLSv1.3",
                openssl_cipher: "TLS_AES_128_GCM_SHA256",
                labels: "TLSv1.3 TLS_AES_128_GCM_SHA256",
            },
        );
        add(
            TLS12,
            key,
            &["-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384"],
            Accept {
                protocol: "TLSv1.3",
                openssl_cipher: "TLS_AES_256_GCM_SHA384",
                labels: "TLSv1.3 TLS_AES_256_GCM_SHA384",
            },
        );
        add(
            TLS12,
            key,
            &["-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"],
            Accept {
                protocol: "TLSv1.3",
                openssl_cipher: "TLS_CHACHA20_POLY1305_SHA256",
                labels: "TLSv1.3 TLS_CHACHA20_POLY1305_SHA256",
            },
        );
        add(
            TLS12,
            key,
            &["-tls1_3", "-groups", "secp256r1"],
            Accept {
                protocol: "TLSv1.3",
                openssl_cipher: "TLS_AES_256_GCM_SHA384",
                labels: "TLSv1.3 TLS_AES_256_GCM_SHA384",
            },
        );
        add(
            TLS12,
            key,
            &["-tls1_3", "-groups", "secp384r1"],
            Accept {
                protocol: "TLSv1.3",
                openssl_cipher: "TLS_AES_256_GCM_SHA384",
                labels: "TLSv1.3 TLS_AES_256_GCM_SHA384",
            },
        );
        add(
            TLS12,
            key,
            &["-tls1_3", "-groups", "X25519"],
            Accept {
                protocol: "TLSv1.3",
                openssl_cipher: "TLS_AES_256_GCM_SHA384",
                labels: "TLSv1.3 TLS_AES_256_GCM_SHA384",
            },
        );
        // No version flag: the best is TLS 1.3 with the server's first suite.
        add(
            TLS12,
            key,
            &[],
            Accept {
                protocol: "TLSv1.3",
                openssl_cipher: "TLS_AES_256_GCM_SHA384",
                labels: "TLSv1.3 TLS_AES_256_GCM_SHA384",
            },
        );
        // ism: TLS 1.3 AES-GCM only.
        add(
            ISM,
            key,
            &["-tls1_2"],
            Refuse {
                hello: "TLS 1.2, Handshake",
            },
        );
        add(
            ISM,
            key,
            &[&["-tls1"][..], LEGACY].concat(),
            Refuse {
                hello: "TLS 1.0, Handshake",
            },
        );
        add(
            ISM,
            key,
            &["-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"],
            Refuse {
                hello: "TLS 1.3, Handshake",
            },
        );
        add(
            ISM,
            key,
            &["-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384"],
            Accept {
                protocol: "TLSv1.3",
                openssl_cipher: "TLS_AES_256_GCM_SHA384",
                labels: "TLSv1.3 TLS_AES_256_GCM_SHA384",
            },
        );
        add(
            ISM,
            key,
            &["-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256"],
            Accept {
                protocol: "TLSv1.3",
                openssl_cipher: "TLS_AES_128_GCM_SHA256",
                labels: "TLSv1.3 TLS_AES_128_GCM_SHA256",
            },
        );
        add(
            ISM,
            key,
            &[
                "-tls1_3",
                "-ciphersuites",
                "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256",
            ],
            Accept {
                protocol: "TLSv1.3",
                openssl_cipher: "TLS_AES_128_GCM_SHA256",
                labels: "TLSv1.3 TLS_AES_128_GCM_SHA256",
            },
        );
        add(
            ISM,
            key,
            &[],
            Accept {
                protocol: "TLSv1.3",
                openssl_cipher: "TLS_AES_256_GCM_SHA384",
                labels: "TLSv1.3 TLS_AES_256_GCM_SHA384",
            },
        );
    }
    // TLS 1.2: the six ECDHE AEAD suites, each with the certificate type it needs ...
    for (key, kx) in [(Ecdsa, "ECDSA"), (Rsa, "RSA")] {
        for (openssl, iana) in [
            ("AES128-GCM-SHA256", "AES_128_GCM_SHA256"),
            ("AES256-GCM-SHA384", "AES_256_GCM_SHA384"),
            ("CHACHA20-POLY1305", "CHACHA20_POLY1305_SHA256"),
        ] {
            let cipher: &'static str = Box::leak(format!("ECDHE-{kx}-{openssl}").into_boxed_str());
            let labels: &'static str =
                Box::leak(format!("TLSv1.2 TLS_ECDHE_{kx}_WITH_{iana}").into_boxed_str());
            add(
                TLS12,
                key,
                &["-tls1_2", "-cipher", cipher],
                Accept {
                    protocol: "TLSv1.2",
                    openssl_cipher: cipher,
                    labels,
                },
            );
            // ... and never under ism.
            add(
                ISM,
                key,
                &["-tls1_2", "-cipher", cipher],
                Refuse {
                    hello: "TLS 1.2, Handshake",
                },
            );
        }
    }
    // Server order wins: the client prefers AES-128, the server picks AES-256.
    add(
        TLS12,
        Ecdsa,
        &[
            "-tls1_2",
            "-cipher",
            "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384",
        ],
        Accept {
            protocol: "TLSv1.2",
            openssl_cipher: "ECDHE-ECDSA-AES256-GCM-SHA384",
            labels: "TLSv1.2 TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        },
    );
    cases
}

fn refused_count(server: &TestServer) -> usize {
    server
        .events()
        .iter()
        .filter(|e| matches!(e, ServerEvent::Refused(_)))
        .count()
}

/// Wait (bounded) until the server has logged more than `before` refusals.
fn server_refused(server: &TestServer, before: usize) -> bool {
    for _ in 0..250 {
        if refused_count(server) > before {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn policies_seen_from_openssl_s_client() {
    if !have_openssl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("openssl.cnf");
    std::fs::write(&conf, "").unwrap();
    let ca = TestCa::new("policy CA");
    let ecdsa = ca.leaf(&["policy.test"]);
    let rsa = ca.leaf_with(&["policy.test"], &rcgen::PKCS_RSA_SHA256, None);
    let server = |policy, leaf: &crate::common::Leaf, stem| {
        let store = Arc::new(CertStore::load(&[leaf.write(dir.path(), stem)]).unwrap());
        TestServer::start(server_config(policy, store, false).unwrap())
    };
    let servers = [
        (TLS12, Ecdsa, server(TLS12, &ecdsa, "ecdsa")),
        (TLS12, Rsa, server(TLS12, &rsa, "rsa")),
        (ISM, Ecdsa, server(ISM, &ecdsa, "ecdsa")),
        (ISM, Rsa, server(ISM, &rsa, "rsa")),
    ];
    let mut failures = Vec::new();
    let cases = cases();
    for (policy, key, args, expect) in &cases {
        let (_, _, srv) = servers
            .iter()
            .find(|(p, k, _)| p == policy && k == key)
            .unwrap();
        let before = refused_count(srv);
        let run = s_client(srv.addr, &conf, args);
        let what = format!("{} {key:?} {}", policy.as_str(), args.join(" "));
        let verdict = match expect {
            Accept {
                protocol,
                openssl_cipher,
                labels,
            } => {
                let summary = format!("New, {protocol}, Cipher is {openssl_cipher}");
                if !run.ok {
                    Err("handshake failed".to_owned())
                } else if !run.text.contains(&summary) {
                    Err(format!("missing {summary:?}"))
                } else if !run.text.lines().any(|l| l.trim() == *labels) {
                    Err(format!("server labels {labels:?} not received"))
                } else {
                    Ok(format!("accepted: {protocol} {openssl_cipher}"))
                }
            }
            Refuse { hello } => {
                let client_refused = [
                    "no protocols available",
                    "no cipher match",
                    "no ciphers available",
                    "no suitable",
                ]
                .iter()
                .find(|m| run.text.contains(*m));
                let sent_hello = run.text.lines().any(|l| {
                    l.starts_with(">>> ") && l.contains(hello) && l.ends_with("ClientHello")
                });
                let alert = run
                    .text
                    .lines()
                    .find(|l| l.starts_with("<<< ") && l.contains("Alert") && l.contains("fatal"));
                if run.ok || run.text.contains("New, TLSv1") {
                    Err("handshake succeeded".to_owned())
                } else if let Some(m) = client_refused {
                    Err(format!("the client refused on its own ({m})"))
                } else if !sent_hello {
                    Err(format!("no {hello:?} ClientHello was sent"))
                } else if alert.is_none() {
                    Err("no fatal alert from the server".to_owned())
                } else if !server_refused(srv, before) {
                    Err("the server logged no refused handshake".to_owned())
                } else {
                    let last = srv.events().into_iter().rev().find_map(|e| match e {
                        ServerEvent::Refused(reason) => Some(reason),
                        ServerEvent::Accepted(..) => None,
                    });
                    Ok(format!(
                        "refused: {} / server: {}",
                        alert.unwrap_or_default().trim_start_matches("<<< "),
                        last.unwrap_or_default()
                    ))
                }
            }
        };
        match verdict {
            Ok(observed) => println!("ok   {what:<110} {observed}"),
            Err(why) => {
                println!("FAIL {what:<110} {why}");
                failures.push(format!("{what}: {why}\n{}", run.text));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n----\n")
    );
}
