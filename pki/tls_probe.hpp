// Connects to a TLS server and records what it serves, without judging it: verification is
// off during the handshake so that an expired or misissued certificate can still be captured
// and then explained by VerifyChain().
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.hpp"
#include "pki/certificate.hpp"
#include "pki/starttls.hpp"

namespace ck::pki {

struct TlsProbeOptions {
  std::string host;  // name or IP literal to connect to
  uint16_t port = 443;
  // Server name to send; empty = `host`, unless `host` is an IP literal (RFC 6066 §3 forbids
  // IP literals in SNI).
  std::string sni;
  std::chrono::milliseconds timeout{10000};  // for connect + handshake together
  std::vector<std::string> alpn;             // offered protocols, e.g. {"h2", "http/1.1"}
  StartTls starttls = StartTls::kNone;       // plaintext preamble first (inside `timeout`)
  // Offer only TLS 1.0 and 1.1 (security level 0, legacy ciphers): the handshake succeeds only
  // when the server still accepts a protocol older than TLS 1.2.
  bool legacy_only = false;
};

struct TlsProbeResult {
  std::vector<Certificate> chain;  // as served: leaf first
  std::string protocol;            // "TLSv1.3"
  std::string cipher;              // "TLS_AES_256_GCM_SHA384"
  std::string alpn;                // selected protocol, empty if none
  std::string peer_address;        // "127.0.0.1:8443"
  std::string sni;                 // what was sent, empty if none
};

// Unavailable for DNS failures, refused connections and failed handshakes; DeadlineExceeded
// when `timeout` passes; both name host:port.
Result<TlsProbeResult> ProbeTls(const TlsProbeOptions& options);

}  // namespace ck::pki
