//! HTTPS for the demo server: a self-signed certificate for `localhost`, `127.0.0.1`
//! and `::1`, generated at start, and the rustls acceptor that serves it (HTTP/1.1
//! only, ring as the crypto provider). Knows no HTTP.

use std::sync::Arc;

use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{ServerConfig, version};

/// How the demo server serves HTTPS.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum TlsMode {
    /// A fresh self-signed certificate for `localhost`, `127.0.0.1` and `::1` at each
    /// start (so clients must trust [`super::DemoServer::ca_pem`] explicitly, or
    /// accept invalid certificates).
    #[default]
    SelfSigned,
    /// This certificate (PEM, leaf first, then any intermediates) and its private key
    /// (PEM): a certificate signed by a CA of the caller's, as a real server has.
    Certified {
        /// The certificate chain, PEM.
        cert_pem: String,
        /// The private key, PEM.
        key_pem: String,
    },
}

/// The names the self-signed certificate is valid for.
const NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// What a TLS-serving demo server needs.
pub(super) struct Tls {
    pub acceptor: TlsAcceptor,
    pub cert_pem: String,
    pub cert_der: CertificateDer<'static>,
}

/// Why TLS could not be set up (a bug or an exhausted OS, never the user's input).
#[derive(Debug, thiserror::Error)]
pub(super) enum TlsError {
    #[error("cannot generate the self-signed certificate: {0}")]
    Certificate(#[from] rcgen::Error),
    #[error("cannot build the TLS configuration: {0}")]
    Config(#[from] tokio_rustls::rustls::Error),
    #[error("cannot read the given certificate or key: {0}")]
    Pem(String),
}

pub(super) fn setup(mode: &TlsMode) -> Result<Tls, TlsError> {
    match mode {
        TlsMode::SelfSigned => self_signed(),
        TlsMode::Certified { cert_pem, key_pem } => certified(cert_pem, key_pem),
    }
}

fn certified(cert_pem: &str, key_pem: &str) -> Result<Tls, TlsError> {
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| TlsError::Pem(e.to_string()))?;
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
        .map_err(|e| TlsError::Pem(e.to_string()))?;
    let Some(cert_der) = chain.first().cloned() else {
        return Err(TlsError::Pem("no certificate".to_owned()));
    };
    let config = server_config(chain, key)?;
    Ok(Tls {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        cert_pem: cert_pem.to_owned(),
        cert_der,
    })
}

/// HTTP/1.1 over TLS 1.3 or 1.2 with `chain` and `key`, ring as the provider.
fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<ServerConfig, TlsError> {
    // An explicit provider: the process-wide default is ambiguous when another crate
    // enables a second one.
    let mut config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_protocol_versions(&[&version::TLS13, &version::TLS12])?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

fn self_signed() -> Result<Tls, TlsError> {
    let names: Vec<String> = NAMES.iter().map(|&name| name.to_owned()).collect();
    let certified = rcgen::generate_simple_self_signed(names)?;
    let cert_der = certified.cert.der().clone();
    let cert_pem = certified.cert.pem();
    let key = PrivateKeyDer::from(certified.signing_key);
    let config = server_config(vec![cert_der.clone()], key)?;
    Ok(Tls {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        cert_pem,
        cert_der,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_signed_certificate_is_pem_and_der() {
        let tls = setup(&TlsMode::SelfSigned).unwrap();
        assert!(tls.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(tls.cert_der.len() > 100);
    }
}
