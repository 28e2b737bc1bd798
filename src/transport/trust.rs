//! Which certificate authorities HTTPS trusts: the system's store (as
//! `rustls-native-certs` finds it: `SSL_CERT_FILE`, `SSL_CERT_DIR`, else the OS's
//! bundle), plus a profile's own CA file (`--cacert`); ureq's bundled Mozilla roots only
//! when the system has none.
//!
//! File I/O: called when a session starts, never on the UI thread's hot path (the
//! system store is read once per process).

use std::path::Path;
use std::sync::{Arc, OnceLock};

use ureq::tls::{Certificate, RootCerts};

/// The trusted roots of one session (compared by identity: two sessions' roots are
/// equal when they are the same list).
#[derive(Clone, Debug)]
pub struct Roots(pub RootCerts);

impl PartialEq for Roots {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (RootCerts::Specific(a), RootCerts::Specific(b)) => Arc::ptr_eq(a, b),
            (RootCerts::WebPki, RootCerts::WebPki)
            | (RootCerts::PlatformVerifier, RootCerts::PlatformVerifier) => true,
            _ => false,
        }
    }
}

impl Eq for Roots {}

/// Why the trusted roots cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    /// The CA file cannot be read.
    #[error("cannot read the CA file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why not.
        source: std::io::Error,
    },
    /// The CA file holds no PEM certificate.
    #[error("the CA file {0} holds no PEM certificate (BEGIN CERTIFICATE)")]
    NoCertificate(String),
}

/// The system's roots, read once per process (empty when it has none).
fn system_roots() -> &'static [Certificate<'static>] {
    static ROOTS: OnceLock<Vec<Certificate<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let found = rustls_native_certs::load_native_certs();
        for e in &found.errors {
            log::warn!("reading the system's CA certificates: {e}");
        }
        log::debug!("{} CA certificate(s) from the system", found.certs.len());
        found
            .certs
            .iter()
            .map(|c| Certificate::from_der(c.as_ref()).to_owned())
            .collect()
    })
}

/// The certificates in a PEM file.
fn file_roots(path: &Path) -> Result<Vec<Certificate<'static>>, TrustError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| TrustError::Read {
        path: shown.clone(),
        source,
    })?;
    let certs: Vec<Certificate<'static>> = ureq::tls::parse_pem(&bytes)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
            _ => None,
        })
        .collect();
    if certs.is_empty() {
        return Err(TrustError::NoCertificate(shown));
    }
    Ok(certs)
}

/// The roots for a session: the system's plus `ca_file`'s; ureq's bundled roots when
/// there are neither.
pub fn roots(ca_file: Option<&Path>) -> Result<Roots, TrustError> {
    let mut all: Vec<Certificate<'static>> = system_roots().to_vec();
    if let Some(path) = ca_file {
        all.extend(file_roots(path)?);
    }
    if all.is_empty() {
        return Ok(Roots(RootCerts::WebPki));
    }
    Ok(Roots(RootCerts::Specific(Arc::new(all))))
}
