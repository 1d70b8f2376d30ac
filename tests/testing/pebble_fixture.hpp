// Starts the real Pebble ACME test CA and pebble-challtestsrv (mock DNS answering 127.0.0.1 for
// every name) on free loopback ports, each process stopped by its pid. Pebble's HTTPS identity
// is minted here with TestCa (the Debian package ships none usable outside its source tree);
// the CA file is what clients pass as --ca-bundle.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/status.hpp"
#include "tests/testing/temp_dir.hpp"

namespace ck::testing {

struct PebbleOptions {
  int nonce_reject_percent = 5;  // PEBBLE_WFE_NONCEREJECT (Pebble's default)
  bool va_always_valid = false;  // PEBBLE_VA_ALWAYS_VALID
  int alternate_roots = 0;       // PEBBLE_ALTERNATE_ROOTS
  int chain_length = 0;          // PEBBLE_CHAIN_LENGTH (0 = Pebble's default)
  int authz_reuse_percent = -1;  // PEBBLE_AUTHZREUSE (-1 = Pebble's default)
  bool eab_required = false;
  std::map<std::string, std::string> eab_keys;  // kid -> base64url HMAC key
  int64_t certificate_validity_seconds = 0;     // 0 = Pebble's default
  // Resolver Pebble's VA asks ("IPv4:port"); empty = the fixture's pebble-challtestsrv.
  std::string dns_server;
};

class PebbleFixture {
 public:
  // True when /usr/bin/pebble and /usr/bin/pebble-challtestsrv exist.
  static bool Installed();
  // Starts both processes and waits until they accept connections.
  static Result<std::unique_ptr<PebbleFixture>> Start(PebbleOptions options = {});
  ~PebbleFixture();
  PebbleFixture(const PebbleFixture&) = delete;
  PebbleFixture& operator=(const PebbleFixture&) = delete;

  std::string directory_url() const;
  std::string management_url() const;  // https://127.0.0.1:M (roots/0, cert-status-by-serial/)
  const std::string& ca_bundle() const { return ca_bundle_; }  // Pebble's HTTPS CA (PEM file)
  uint16_t http_port() const { return http_port_; }            // where Pebble's VA sends http-01
  uint16_t tls_port() const { return tls_port_; }  // where Pebble's VA sends tls-alpn-01
  uint16_t dns_port() const { return dns_port_; }
  std::string challtestsrv_url() const;  // http://127.0.0.1:C (set-txt, clear-txt, ...)
  const std::string& dir() const { return tmp_.path(); }

  // SIGKILLs Pebble only (challtestsrv keeps running), as a crash would.
  void StopPebble();
  // Starts Pebble again on the same ports and configuration (its state is gone: Pebble keeps
  // accounts and orders in memory).
  Status StartPebble();
  // Pebble's log so far, for failure messages.
  std::string PebbleLog() const;

 private:
  PebbleFixture() = default;
  Status StartChalltestsrv();

  PebbleOptions options_;
  TempDir tmp_;
  std::string ca_bundle_;
  std::string config_path_;
  uint16_t acme_port_ = 0, mgmt_port_ = 0, http_port_ = 0, tls_port_ = 0, dns_port_ = 0,
           chall_port_ = 0;
  pid_t pebble_pid_ = -1;
  pid_t chall_pid_ = -1;
};

}  // namespace ck::testing
