//! Credentials against a hostile server: redirects to another origin (127.0.0.1 →
//! 127.0.0.2) get no secret, every redirect is shown, and no output, log or export holds
//! a secret, however short.

use super::server::{Hostile, Reply, Seen};
use super::{bin, run};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Secret headers as the issue found them leaking, each with a distinctive value.
const SECRET_HEADERS: [(&str, &str); 8] = [
    ("X-Api-Key", "SecretApiKey1"),
    ("X-Auth-Token", "SecretAuthTok2"),
    ("Proxy-Authorization", "Basic SecretProxy3"),
    ("X-Goog-Api-Key", "SecretGoog4"),
    ("Authorization", "Bearer SecretBearer5"),
    ("Cookie", "sid=SecretCookie6"),
    ("X-Session-Id", "Si5"),
    ("Authentication", "Au9"),
];

fn header_args() -> Vec<String> {
    SECRET_HEADERS
        .iter()
        .flat_map(|(n, v)| ["-H".to_owned(), format!("{n}: {v}")])
        .collect()
}

/// A second origin that records what it got and answers with one event.
fn target() -> Hostile {
    Hostile::start("127.0.0.2", |_, n| {
        Reply::json(&format!(r#"{{"cursor": {n}, "events": [{{"seq": {n}}}]}}"#))
    })
}

fn redirector(to: String) -> Hostile {
    Hostile::start("127.0.0.1", move |seen, _| {
        // Sends the secret query value along, as a careless server would.
        let query = seen.target.split_once('?').map_or("", |(_, q)| q);
        Reply::http(302, &[("Location", &format!("{to}?{query}"))], b"")
    })
}

fn leaked(seen: &[Seen]) -> Vec<String> {
    let heads: Vec<String> = seen.iter().map(Seen::head).collect();
    let mut found = Vec::new();
    for (_, value) in SECRET_HEADERS {
        if heads.iter().any(|h| h.contains(value)) {
            found.push(value.to_owned());
        }
    }
    if heads.iter().any(|h| h.contains("QuerySecret7")) {
        found.push("QuerySecret7".to_owned());
    }
    found
}

/// Before: a 302 to 127.0.0.2 carried X-Api-Key, X-Auth-Token, Proxy-Authorization and
/// X-Goog-Api-Key there, and no line said a redirect happened.
#[test]
fn a_redirect_to_another_origin_carries_no_secret_and_is_shown() {
    let other = target();
    let first = redirector(other.url("/events"));
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run({
        let mut c = bin(dir.path());
        c.args([
            "watch",
            &first.url("/events?api_key=QuerySecret7&cursor=0"),
            "--duration",
            "2s",
            "--redirects",
            "any",
        ])
        .args(header_args());
        c
    });
    assert_eq!(code, Some(0), "{out}{err}");
    let seen = other.seen();
    assert!(!seen.is_empty(), "the redirect was followed: {out}{err}");
    assert_eq!(leaked(&seen), Vec::<String>::new(), "sent to 127.0.0.2");
    assert_eq!(
        leaked(&first.seen()).len(),
        SECRET_HEADERS.len() + 1,
        "the first origin got them"
    );
    // Shown: a line per redirect, and the summary.
    assert!(out.contains("redirect 302: http://127.0.0.1:"), "{out}");
    assert!(
        out.contains("(another origin; not sent on: X-Api-Key"),
        "{out}"
    );
    assert!(out.contains("redirects    "), "{out}");
    assert!(
        !out.contains("QuerySecret7") && !err.contains("QuerySecret7"),
        "{out}{err}"
    );
}

/// The default policy follows redirects within the origin only: another origin is a
/// failure that names both URLs, and nothing is sent there.
#[test]
fn by_default_a_redirect_to_another_origin_is_refused() {
    let other = target();
    let first = redirector(other.url("/events"));
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run({
        let mut c = bin(dir.path());
        c.args([
            "watch",
            &first.url("/events"),
            "--duration",
            "1500ms",
            "--json",
        ])
        .args(header_args());
        c
    });
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(code, Some(4), "{out}{err}");
    assert!(
        v["errors_by_kind"]["redirect"].as_u64().unwrap() >= 1,
        "{v}"
    );
    assert!(other.seen().is_empty(), "nothing went to the other origin");
    assert!(
        err.contains("to another origin, http://127.0.0.2:"),
        "{err}"
    );
}

/// `--redirects never` refuses even the same origin; a same-origin hop keeps the
/// credentials (they go to the same server).
#[test]
fn never_refuses_and_the_same_origin_keeps_its_credentials() {
    let server = Hostile::start("127.0.0.1", |seen, n| {
        if seen.target.starts_with("/old") {
            Reply::http(307, &[("Location", "/new")], b"")
        } else {
            Reply::json(&format!(r#"{{"cursor": {n}, "events": [{{"seq": {n}}}]}}"#))
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let watch = |policy: &str| {
        run({
            let mut c = bin(dir.path());
            c.args([
                "watch",
                &server.url("/old"),
                "--duration",
                "1s",
                "--redirects",
                policy,
            ])
            .args(["-H", "X-Api-Key: SecretApiKey1"]);
            c
        })
    };
    let (code, _, err) = watch("never");
    assert_eq!(code, Some(4), "{err}");
    assert!(err.contains("follows no redirects"), "{err}");
    assert!(server.seen().iter().all(|s| s.target.starts_with("/old")));
    let (code, out, err) = watch("same-origin");
    assert_eq!(code, Some(0), "{out}{err}");
    let at_new: Vec<Seen> = server
        .seen()
        .into_iter()
        .filter(|s| s.target.starts_with("/new"))
        .collect();
    assert!(!at_new.is_empty());
    assert!(
        at_new
            .iter()
            .all(|s| s.header("x-api-key") == Some("SecretApiKey1"))
    );
}

/// The error names the host that failed: the hop's, not the profile's.
#[test]
fn a_failure_after_a_redirect_names_the_host_that_failed() {
    let closed = std::net::TcpListener::bind("127.0.0.2:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let first = redirector(format!("http://127.0.0.2:{port}/gone"));
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run({
        let mut c = bin(dir.path());
        c.args([
            "watch",
            &first.url("/events"),
            "--duration",
            "1s",
            "--redirects",
            "any",
        ]);
        c
    });
    assert_eq!(code, Some(3), "{out}{err}");
    assert!(
        err.contains(&format!("connection refused by 127.0.0.2:{port}")),
        "{err}"
    );
}

/// Short secrets (three characters), in names the old list missed, marked or not, from
/// a server that echoes every request back in its events and its errors: none reaches
/// the output, the trace log, the `--json` summary, the event log or a compare export.
#[test]
fn no_output_log_or_export_holds_a_secret_however_short() {
    const SHORT: [&str; 14] = [
        "Zq9", "Jw7", "Cr5", "Ac3", "Co1", "Pa8", "Mi3", "Gk4", "Xa6", "Ak2", "Xk8", "Au9", "Si5",
        "Cu7",
    ];
    let server = Hostile::start("127.0.0.1", |seen, n| {
        let head = serde_json::to_string(&seen.head()).unwrap();
        if n % 5 == 4 {
            return Reply::http(500, &[], seen.head().as_bytes());
        }
        Reply::json(&format!(
            r#"{{"cursor": {n}, "events": [{{"seq": {n}, "echo": {head}}}]}}"#
        ))
    });
    let url =
        server.url("/events?pwd=Zq9&jwt=Jw7&credential=Cr5&access=Ac3&code=Co1&pass=Pa8&mine=Mi3");
    let secret_args = [
        "-H",
        "X-Goog-Api-Key: Gk4",
        "-H",
        "X-Auth: Xa6",
        "-H",
        "Apikey: Ak2",
        "-H",
        "X-Access-Key: Xk8",
        "-H",
        "Authentication: Au9",
        "-H",
        "X-Session-Id: Si5",
        "--secret-header",
        "X-Custom: Cu7",
        "--secret-query",
        "mine",
    ];
    let dir = tempfile::tempdir().unwrap();
    let watch_export = dir.path().join("watch");
    let compare_export = dir.path().join("compare");
    let mut texts = Vec::new();
    for args in [
        vec!["watch", &url, "--duration", "2s"],
        vec![
            "watch",
            &url,
            "--duration",
            "2s",
            "--json",
            "--export",
            watch_export.to_str().unwrap(),
        ],
        vec![
            "compare",
            &url,
            "--duration",
            "2s",
            "--interval",
            "1s",
            "--json",
            "--export",
            compare_export.to_str().unwrap(),
        ],
    ] {
        let (code, out, err) = run({
            let mut c = bin(dir.path());
            c.args(&args).args(secret_args).env("RUST_LOG", "trace");
            c
        });
        assert_eq!(code, Some(0), "{args:?}: {err}");
        texts.push((format!("{args:?} stdout"), out));
        texts.push((format!("{args:?} stderr"), err));
    }
    for export in [&watch_export, &compare_export] {
        for entry in std::fs::read_dir(export).unwrap() {
            let path = entry.unwrap().path();
            if let Ok(text) = std::fs::read_to_string(&path) {
                texts.push((path.display().to_string(), text));
            }
        }
    }
    assert!(
        texts.iter().any(|(_, t)| t.contains("\"echo\"")),
        "events were logged"
    );
    for (what, text) in &texts {
        for secret in SHORT {
            assert!(!text.contains(secret), "{secret} in {what}:\n{text}");
        }
    }
    // They were sent, though.
    let first = server.seen()[0].head();
    for secret in SHORT {
        assert!(first.contains(secret), "{secret} not sent: {first}");
    }
}

/// An HTTPS server on 127.0.0.1 (its certificate signed by a CA of the test's own,
/// trusted with `--cacert`) that answers every request with a 302 to `to`; how many
/// requests it answered.
fn https_redirector(to: String) -> (String, std::net::SocketAddr, std::sync::Arc<AtomicUsize>) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    use tokio_rustls::rustls;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![leaf.der().clone()],
        rustls::pki_types::PrivateKeyDer::try_from(leaf_key.serialize_der()).unwrap(),
    )
    .unwrap();
    let config = std::sync::Arc::new(config);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let answered = std::sync::Arc::new(AtomicUsize::new(0));
    let count = std::sync::Arc::clone(&answered);
    let _detached = std::thread::Builder::new()
        .name("https-redirector".to_owned())
        .spawn(move || {
            for stream in listener.incoming() {
                let Ok(tcp) = stream else { continue };
                let _ = tcp.set_read_timeout(Some(std::time::Duration::from_secs(5)));
                let Ok(conn) = rustls::ServerConnection::new(std::sync::Arc::clone(&config)) else {
                    continue;
                };
                let mut tls = rustls::StreamOwned::new(conn, tcp);
                // Answer each request on the connection (bounded: 64 KiB of head, 100 requests).
                for _ in 0..100 {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") && head.len() < 65_536 {
                        match std::io::Read::read(&mut tls, &mut byte) {
                            Ok(1) => head.push(byte[0]),
                            _ => break,
                        }
                    }
                    if !head.ends_with(b"\r\n\r\n") {
                        break;
                    }
                    count.fetch_add(1, Ordering::SeqCst);
                    let reply = format!(
                        "HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\n\r\n"
                    );
                    if std::io::Write::write_all(&mut tls, reply.as_bytes()).is_err() {
                        break;
                    }
                    let _ = std::io::Write::flush(&mut tls);
                }
            }
        });
    (ca.pem(), addr, answered)
}

/// Before: an https → http redirect sent `x-api-key` in clear text. Now it is refused
/// with its own error kind, under every policy, and nothing goes to the plain-HTTP host.
#[test]
fn an_https_to_http_redirect_is_refused_with_its_own_kind() {
    let plain = target();
    let (ca, addr, answered) = https_redirector(plain.url("/events"));
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca).unwrap();
    let (code, out, err) = run({
        let mut c = bin(dir.path());
        c.args([
            "watch",
            &format!("https://{addr}/events"),
            "--cacert",
            ca_file.to_str().unwrap(),
            "--redirects",
            "any",
            "--duration",
            "1500ms",
            "--json",
        ])
        .args(header_args());
        c
    });
    let v: serde_json::Value =
        serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    assert!(
        answered.load(Ordering::SeqCst) >= 1,
        "the HTTPS server was reached: {err}"
    );
    assert_eq!(code, Some(4), "{out}{err}");
    assert!(
        v["errors_by_kind"]["insecure_redirect"]
            .as_u64()
            .unwrap_or(0)
            >= 1,
        "{v}"
    );
    assert!(plain.seen().is_empty(), "nothing went over plain HTTP");
    assert!(
        err.contains("http://127.0.0.2:"),
        "names where it pointed: {err}"
    );
}
