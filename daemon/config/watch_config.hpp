// [[watch]] and [monitor]: TLS endpoints and certificate files certkeeper watches besides its
// own certificates, and how often and how many at once it checks them.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ck::config {

// One [[watch]]: exactly one of `endpoint` or `files`.
struct WatchConfig {
  std::string name;                // optional label for people; targets identify results
  std::string endpoint;            // "host:port" as written; empty for a files watch
  std::string host;                // from `endpoint`, without IPv6 brackets
  uint16_t port = 0;               // from `endpoint`
  std::string sni;                 // server name to send; empty = host (none for IP literals)
  std::string starttls;            // "" | "smtp" | "imap" | "postgres"
  std::vector<std::string> files;  // absolute glob patterns (a string or an array in TOML)
  std::string ca_bundle;           // trust anchors (PEM); empty = the system trust store
  std::optional<std::chrono::seconds> timeout;  // overrides [monitor].timeout
  int line = 0;                                 // source line, for messages

  bool is_endpoint() const { return !endpoint.empty(); }
  // The result key: "host:port", or "host:port/sni" when an SNI other than the host is sent.
  // Empty for a files watch (each matching file is its own target).
  std::string EndpointTarget() const;
};

// [monitor]
struct MonitorConfig {
  std::chrono::seconds interval{std::chrono::hours(1)};  // per watch, between checks
  int concurrency = 8;                                   // checks at once
  std::chrono::seconds timeout{10};  // connect + STARTTLS + handshake, per check
  std::chrono::seconds warn_before{std::chrono::hours(24 * 30)};  // "expiring" threshold
  int line = 0;
};

}  // namespace ck::config
