#include "web/tls_config.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "pki/handles.hpp"
#include "pki/openssl_error.hpp"

namespace ck::web {
namespace {

// Called by OpenSSL for every handshake: hands out the credentials current at that moment,
// which is what makes rotation a hot swap.
int CertificateCallback(SSL* ssl, void* arg) {
  auto* credentials = static_cast<ServerCredentials*>(arg);
  auto snap = credentials->Current();
  if (!snap || snap->chain.empty() || !snap->key) return 0;  // fail the handshake
  STACK_OF(X509)* extra = sk_X509_new_null();
  if (!extra) return 0;
  for (size_t i = 1; i < snap->chain.size(); ++i) {
    X509_up_ref(snap->chain[i].get());
    sk_X509_push(extra, snap->chain[i].get());
  }
  // override=1 replaces whatever an earlier handshake on this SSL object installed.
  int ok = SSL_use_cert_and_key(ssl, snap->chain[0].get(), snap->key->get(), extra, 1);
  sk_X509_pop_free(extra, X509_free);
  return ok == 1 ? 1 : 0;
}

}  // namespace

Status ServerCredentials::Set(std::vector<pki::Certificate> chain, pki::PrivateKey key) {
  if (chain.empty()) return InvalidArgumentError("server certificate chain is empty");
  if (!pki::KeyMatches(chain.front(), key)) {
    return InvalidArgumentError("server key does not match certificate " + chain.front().Subject());
  }
  auto snap = std::make_shared<Snapshot>();
  snap->chain = std::move(chain);
  snap->key = std::move(key);
  std::lock_guard lock(mu_);
  current_ = std::move(snap);
  return OkStatus();
}

std::shared_ptr<const ServerCredentials::Snapshot> ServerCredentials::Current() const {
  std::lock_guard lock(mu_);
  return current_;
}

Status ConfigureServerContext(SSL_CTX* ctx, const TlsServerSettings& settings) {
  if (!settings.credentials) return InvalidArgumentError("TLS settings have no credentials");
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
    return pki::OpenSslError(StatusCode::kInternal, "set minimum TLS version");
  }
  // TLS 1.2: only ECDHE key exchange with AEAD ciphers. TLS 1.3 suites are all AEAD + (EC)DHE.
  if (SSL_CTX_set_cipher_list(ctx, kTls12CipherList) != 1 ||
      SSL_CTX_set_ciphersuites(
          ctx, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256") != 1) {
    return pki::OpenSslError(StatusCode::kInternal, "set cipher policy");
  }
  if (SSL_CTX_set1_groups_list(ctx, "X25519:P-256") != 1) {
    return pki::OpenSslError(StatusCode::kInternal, "set key exchange groups");
  }
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_cert_cb(ctx, CertificateCallback, settings.credentials.get());

  if (!settings.client_roots.empty()) {
    X509_STORE* store = X509_STORE_new();
    if (!store) return pki::OpenSslError(StatusCode::kInternal, "create client trust store");
    for (const auto& root : settings.client_roots) X509_STORE_add_cert(store, root.get());
    for (const auto& inter : settings.client_intermediates) {
      X509_STORE_add_cert(store, inter.get());
    }
    // Intermediates in the store are untrusted helpers only if they are not self-signed;
    // X509_V_FLAG_PARTIAL_CHAIN stays off so every chain must end at a root.
    SSL_CTX_set_cert_store(ctx, store);  // the context owns it now
    // Ask for a certificate but do not require one: token clients have none. A certificate
    // that is presented and does not verify fails the handshake.
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    SSL_CTX_set_verify_depth(ctx, 4);
    // Certificate requests name the internal CA so clients pick the right certificate.
    STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
    for (const auto& root : settings.client_roots) {
      sk_X509_NAME_push(names, X509_NAME_dup(X509_get_subject_name(root.get())));
    }
    SSL_CTX_set_client_CA_list(ctx, names);
    // With client verification on, OpenSSL refuses to resume a session that has no session
    // id context (an internal_error alert), and libcurl resumes by default: one request in
    // every few reconnects failed before this (bench/README.md, "resumption").
    static constexpr unsigned char kSessionContext[] = "certkeeper-admin-api";
    if (SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1) != 1) {
      return pki::OpenSslError(StatusCode::kInternal, "set session id context");
    }
  }
  return OkStatus();
}

}  // namespace ck::web
