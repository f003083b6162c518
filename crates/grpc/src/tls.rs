//! TLS between ferroflow tasks, with mutual authentication: each task has one certificate and key
//! (PEM files), used both as its server identity and as its client certificate, and trusts one
//! certificate authority, the cluster's. A server accepts only clients whose certificate that CA
//! signed; a client accepts only servers whose certificate that CA signed *and* names the host it
//! dialled (as written in the cluster definition: a DNS name or an IP address).
//!
//! Crypto is rustls with ring. Stock TensorFlow tasks speak plaintext gRPC only, so a TLS cluster
//! is made of ferroflow tasks; stock TF clients on the same host reach a task through its
//! plaintext listener on loopback (`ferroflow server --plaintext-local-port`).
//!
//! Concurrency: a loaded [`TlsIdentity`] is immutable and shared by `Arc`.

use ferroflow_framework::{Error, Result};
use rustls::RootCertStore;
use rustls::client::ClientConfig;
use rustls::crypto::CryptoProvider;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tonic::transport::{Certificate, Identity, ServerTlsConfig};

/// The largest PEM file read (certificate chains and keys are a few KiB).
const MAX_PEM_FILE: u64 = 1 << 20;

/// A task's TLS identity and the cluster's CA, checked and ready for both sides of a connection.
pub struct TlsIdentity {
    cert_pem: Vec<u8>,
    key_pem: Vec<u8>,
    ca_pem: Vec<u8>,
    client: Arc<ClientConfig>,
}

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsIdentity")
    }
}

/// ring as the process's rustls provider (tonic's acceptor uses the process default).
fn provider() -> Arc<CryptoProvider> {
    let ring = Arc::new(rustls::crypto::ring::default_provider());
    // Fails only if a provider is installed already, which is then the one used.
    let _ = CryptoProvider::install_default(ring.as_ref().clone());
    CryptoProvider::get_default().cloned().unwrap_or(ring)
}

fn read_pem_file(what: &str, path: &Path) -> Result<Vec<u8>> {
    let bad = |e: &dyn std::fmt::Display| Error::invalid_argument(format!("{what} {}: {e}", path.display()));
    let size = std::fs::metadata(path).map_err(|e| bad(&e))?.len();
    if size > MAX_PEM_FILE {
        return Err(bad(&format!("{size} bytes is too large for a PEM file (at most {MAX_PEM_FILE})")));
    }
    std::fs::read(path).map_err(|e| bad(&e))
}

fn certificates(what: &str, pem: &[u8]) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::invalid_argument(format!("{what}: bad PEM: {e}")))?;
    if certs.is_empty() {
        return Err(Error::invalid_argument(format!("{what}: no CERTIFICATE in the PEM data")));
    }
    Ok(certs)
}

impl TlsIdentity {
    /// Loads `--tls-cert`, `--tls-key` and `--tls-ca`.
    pub fn from_files(cert: &Path, key: &Path, ca: &Path) -> Result<TlsIdentity> {
        TlsIdentity::from_pem(
            read_pem_file("--tls-cert", cert)?,
            read_pem_file("--tls-key", key)?,
            read_pem_file("--tls-ca", ca)?,
        )
    }

    /// From PEM data: the task's certificate chain (its own certificate first), its private key
    /// (PKCS#8, PKCS#1 or SEC1) and the CA certificate(s) it trusts.
    pub fn from_pem(cert_pem: Vec<u8>, key_pem: Vec<u8>, ca_pem: Vec<u8>) -> Result<TlsIdentity> {
        let chain = certificates("--tls-cert", &cert_pem)?;
        let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| Error::invalid_argument(format!("--tls-key: no private key: {e}")))?;
        let mut roots = RootCertStore::empty();
        for ca in certificates("--tls-ca", &ca_pem)? {
            roots.add(ca).map_err(|e| Error::invalid_argument(format!("--tls-ca: not a usable CA certificate: {e}")))?;
        }
        let mut client = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::internal(format!("TLS setup: {e}")))?
            .with_root_certificates(roots)
            .with_client_auth_cert(chain, key)
            .map_err(|e| Error::invalid_argument(format!("--tls-cert/--tls-key do not go together: {e}")))?;
        client.alpn_protocols = vec![b"h2".to_vec()];
        Ok(TlsIdentity { cert_pem, key_pem, ca_pem, client: Arc::new(client) })
    }

    /// The client side: verifies servers against the CA, presents this task's certificate.
    pub fn client_config(&self) -> Arc<ClientConfig> {
        self.client.clone()
    }

    /// The server side: this task's certificate, client certificates required and verified
    /// against the CA; a handshake not done within `handshake_timeout` is dropped.
    pub fn server_config(&self, handshake_timeout: Duration) -> ServerTlsConfig {
        provider();
        ServerTlsConfig::new()
            .identity(Identity::from_pem(&self.cert_pem, &self.key_pem))
            .client_ca_root(Certificate::from_pem(&self.ca_pem))
            .client_auth_optional(false)
            .timeout(handshake_timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_pem_is_refused_with_the_flag_named() {
        let ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap().self_signed(&rcgen::KeyPair::generate().unwrap()).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap().self_signed(&key).unwrap();
        let (cert_pem, key_pem, ca_pem) = (cert.pem().into_bytes(), key.serialize_pem().into_bytes(), ca.pem().into_bytes());
        assert!(TlsIdentity::from_pem(cert_pem.clone(), key_pem.clone(), ca_pem.clone()).is_ok());
        let e = TlsIdentity::from_pem(b"junk".to_vec(), key_pem.clone(), ca_pem.clone()).unwrap_err();
        assert!(e.message.contains("--tls-cert"), "{}", e.message);
        let e = TlsIdentity::from_pem(cert_pem.clone(), cert_pem.clone(), ca_pem.clone()).unwrap_err();
        assert!(e.message.contains("--tls-key"), "{}", e.message);
        let e = TlsIdentity::from_pem(cert_pem.clone(), key_pem.clone(), Vec::new()).unwrap_err();
        assert!(e.message.contains("--tls-ca"), "{}", e.message);
        let other_key = rcgen::KeyPair::generate().unwrap().serialize_pem().into_bytes();
        let e = TlsIdentity::from_pem(cert_pem, other_key, ca_pem).unwrap_err();
        assert!(e.message.contains("do not go together"), "{}", e.message);
    }
}
