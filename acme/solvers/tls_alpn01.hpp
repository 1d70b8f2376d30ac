// tls-alpn-01 (RFC 8737): one built-in TLS listener answering ALPN "acme-tls/1" with, per SNI
// name, a self-signed certificate carrying the critical acmeIdentifier extension (SHA-256 of
// the key authorization). Shared by every order in flight; other ALPN protocols are refused.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "acme/solver.hpp"
#include "common/clock.hpp"
#include "pki/certificate.hpp"
#include "pki/key.hpp"

namespace ck::acme {

// The validation certificate of RFC 8737 §3 for `identifier` (a DNS name or IP address):
// SAN = the identifier, critical id-pe-acmeIdentifier = OCTET STRING(SHA-256(key auth)),
// valid from an hour before `now` for a week.
Result<pki::Certificate> BuildTlsAlpn01Certificate(const Identifier& identifier,
                                                   const std::string& key_authorization,
                                                   const pki::PrivateKey& key, TimePoint now);

// RFC 8738 §6: the SNI a validator sends for an IP identifier ("1.2.0.192.in-addr.arpa").
std::string ReverseDnsName(const std::string& ip);

class TlsAlpn01Server final : public Solver {
 public:
  // Binds address:port now (see ListenTcp: "" = every interface, dual-stack; port 0 = any
  // free port) and serves from a background thread.
  static Result<std::unique_ptr<TlsAlpn01Server>> Start(const std::string& address, uint16_t port,
                                                        Clock& clock);
  ~TlsAlpn01Server() override;

  uint16_t port() const { return port_; }
  uint64_t handshakes() const { return handshakes_; }
  size_t names() const;

  Status Present(const ChallengeContext& challenge) override;
  Status CleanUp(const ChallengeContext& challenge) override;

 private:
  struct Impl;
  TlsAlpn01Server();
  void Serve();
  void HandleConnection(int fd);

  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
  std::atomic<uint64_t> handshakes_{0};
  std::thread thread_;
};

}  // namespace ck::acme
