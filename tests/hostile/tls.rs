//! TLS: a CA of the test's own signs the demo server's certificate; the client trusts it
//! through `--cacert`, a profile's `ca_file` or `SSL_CERT_FILE`, and says so loudly when
//! verification is off.

use pollscope::demo_server::{DemoServer, DemoServerConfig, TlsMode};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};

use super::{bin, run};

/// A fresh CA (PEM) and a demo server whose certificate it signed.
fn server_with_private_ca() -> (String, DemoServer) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Pollscope test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    let server = DemoServer::start(DemoServerConfig {
        tls: Some(TlsMode::Certified {
            cert_pem: leaf.pem(),
            key_pem: leaf_key.serialize_pem(),
        }),
        rate_per_s: 20.0,
        ..DemoServerConfig::default()
    })
    .unwrap();
    (ca.pem(), server)
}

fn watch(
    config: &std::path::Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> (Option<i32>, String, String) {
    run({
        let mut c = bin(config);
        c.args(["watch", "--duration", "1500ms"]).args(args);
        for (k, v) in env {
            c.env(k, v);
        }
        c
    })
}

/// Before there was no way to trust a private CA but turning verification off.
#[test]
fn a_private_ca_is_trusted_through_cacert_the_profile_and_ssl_cert_file() {
    let (ca_pem, server) = server_with_private_ca();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &ca_pem).unwrap();
    let url = server.events_url();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    // Not trusted by default: the system does not know this CA.
    let (code, _, err) = watch(dir.path(), &[&url], &[]);
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains("UnknownIssuer"), "{err}");
    // --cacert FILE.
    let (code, out, err) = watch(dir.path(), &[&url, "--cacert", ca.to_str().unwrap()], &[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("event(s)"), "{out}");
    assert!(out.contains("1 TLS handshake(s)"), "{out}");
    // The profile's ca_file.
    let profile = serde_json::json!({"version": 1, "profiles": [{
        "name": "private", "url": url, "ca_file": ca,
        "cursor": {"kind": "body_pointer", "pointer": "/cursor", "param": "cursor"},
        "events_pointer": "/events"
    }]});
    std::fs::write(dir.path().join("profiles.json"), profile.to_string()).unwrap();
    let (code, _, err) = watch(dir.path(), &["--profile", "private"], &[]);
    assert_eq!(code, Some(0), "{err}");
    // SSL_CERT_FILE, as OpenSSL and curl honour it.
    let (code, _, err) = watch(
        dir.path(),
        &[&url],
        &[("SSL_CERT_FILE", ca.to_str().unwrap())],
    );
    assert_eq!(code, Some(0), "{err}");
    // A CA file that is not one is a clear usage error.
    let (code, _, err) = watch(dir.path(), &[&url, "--cacert", "/etc/hostname"], &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("holds no PEM certificate"), "{err}");
}

/// Before, `--insecure` and a profile's `accept_invalid_certs` printed nothing.
#[test]
fn turning_verification_off_is_said_on_every_run() {
    let (_, server) = server_with_private_ca();
    let dir = tempfile::tempdir().unwrap();
    let url = server.events_url();
    for extra in [&["--insecure"][..], &["--insecure", "--json"][..]] {
        let mut args = vec![url.as_str()];
        args.extend_from_slice(extra);
        let (code, _, err) = watch(dir.path(), &args, &[]);
        assert_eq!(code, Some(0), "{err}");
        assert!(
            err.contains("TLS certificates are NOT verified"),
            "{extra:?}: {err}"
        );
    }
    let (code, _, err) = run({
        let mut c = bin(dir.path());
        c.args([
            "compare",
            &url,
            "--insecure",
            "--duration",
            "1s",
            "--interval",
            "1s",
        ]);
        c
    });
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("TLS certificates are NOT verified"), "{err}");
}
