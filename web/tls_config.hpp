// TLS for the admin API: TLS 1.2+ with AEAD, forward-secret suites only, X25519/P-256, and a
// server certificate that can be replaced while the server runs (each new handshake picks up
// the current one; established connections keep theirs).
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "common/status.hpp"
#include "pki/certificate.hpp"
#include "pki/key.hpp"

typedef struct ssl_ctx_st SSL_CTX;

namespace ck::web {

// The admin server's current certificate chain (leaf first) and key. Thread-safe.
class ServerCredentials {
 public:
  // InvalidArgument when the key does not match the leaf or the chain is empty.
  Status Set(std::vector<pki::Certificate> chain, pki::PrivateKey key);

  struct Snapshot {
    std::vector<pki::Certificate> chain;
    std::optional<pki::PrivateKey> key;
  };
  std::shared_ptr<const Snapshot> Current() const;

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const Snapshot> current_;
};

struct TlsServerSettings {
  std::shared_ptr<ServerCredentials> credentials;
  // Roots that client certificates must chain to (the internal CA). Empty: no client
  // certificates are requested.
  std::vector<pki::Certificate> client_roots;
  // Intermediates to help build client chains when a client sends only its leaf.
  std::vector<pki::Certificate> client_intermediates;
};

// Applies the protocol/cipher/group policy, installs a certificate callback reading
// `settings.credentials`, and client verification. The settings must outlive the context.
Status ConfigureServerContext(SSL_CTX* ctx, const TlsServerSettings& settings);

// The cipher policy, exposed for tests: TLS 1.2 suites (ECDHE + AEAD only).
inline constexpr const char* kTls12CipherList =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

}  // namespace ck::web
