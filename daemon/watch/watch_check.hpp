// One check of one [[watch]]: what an endpoint serves (optionally after STARTTLS) or what the
// matching files hold, judged by inspect's report (expiry, trust, hostname, weak keys and
// signatures) plus whether the server still accepts TLS < 1.2. No store, no schedule: the
// Watcher and `certkeeper watch check` both call these.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "daemon/config/watch_config.hpp"
#include "pki/certificate.hpp"

namespace ck::watch {

struct Problem {
  std::string code;      // "expired", "expiring", "hostname_mismatch", "legacy_tls", ...
  std::string severity;  // "warning" | "critical"
  std::string message;
};

struct CheckSettings {
  TimePoint at;                              // validity is judged at this instant
  std::chrono::milliseconds timeout{10000};  // connect + STARTTLS + handshakes, per endpoint
  std::chrono::seconds warn_before{std::chrono::hours(24 * 30)};
};

struct CheckOutcome {
  std::string target;  // WatchConfig::EndpointTarget(), or a file path (or an empty glob)
  std::string kind;    // "endpoint" | "file"
  std::string label;   // the watch's `name`, may be empty
  TimePoint checked_at;
  std::string outcome;  // "ok" | "problems" | "error"
  std::string error;    // why the check could not be done (outcome "error")
  std::vector<Problem> problems;
  std::vector<pki::Certificate> chain;    // as served or stored: leaf first; empty on error
  std::string tls_version;                // endpoints: negotiated protocol, e.g. "TLSv1.3"
  std::chrono::milliseconds duration{0};  // wall time the check took

  bool HasCritical() const;
};

CheckOutcome CheckEndpoint(const config::WatchConfig& watch, const CheckSettings& settings);

// One outcome per matching regular file (sorted by path). A pattern that matches nothing gives
// an error outcome whose target is the pattern, so an emptied directory is noticed.
std::vector<CheckOutcome> CheckFiles(const config::WatchConfig& watch,
                                     const CheckSettings& settings);

// Runs CheckEndpoint or CheckFiles as the watch says.
std::vector<CheckOutcome> CheckWatch(const config::WatchConfig& watch,
                                     const CheckSettings& settings);

// The settings for `watch` under [monitor] at instant `at` (per-watch timeout wins).
CheckSettings SettingsFor(const config::WatchConfig& watch, const config::MonitorConfig& monitor,
                          TimePoint at);

}  // namespace ck::watch
