// What the lifecycle part of the admin API shows: managed certificates, the daemon's summary,
// pin sets, bundles for pull consumers and the event log. Plain data; web/lifecycle_json.cpp
// turns them into JSON and back (the CLI parses the same shapes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"

namespace ck::web {

struct DeployTargetView {
  std::string type;    // "files", "nginx", "haproxy", "exec", "webhook", "pull"
  std::string target;  // the deployer's Describe() text
  std::string last_deployed_serial;
  std::optional<TimePoint> last_verified_at;
  std::string last_result;  // "ok" or the error
};

struct ManagedCertificateView {
  std::string name;
  std::vector<std::string> domains;
  std::string issuer;
  std::string status;  // "valid" | "renewal_due" | "renewing" | "failing" | "expired" | "missing"
  std::string serial_hex;
  std::optional<TimePoint> not_before, not_after;
  std::optional<TimePoint> next_renewal_at;
  std::string renewal_explanation;
  std::optional<TimePoint> last_renewal_at;
  int consecutive_failures = 0;
  std::string last_error;
  std::vector<DeployTargetView> deploy;
};

struct DaemonStatusView {
  std::string version;
  TimePoint started_at;
  TimePoint now;
  int managed = 0;
  int failing = 0;
  int expired = 0;
  std::optional<TimePoint> next_renewal_at;
  std::string next_renewal_name;
};

// Renewals run asynchronously: the API answers 202 with this.
struct RenewResult {
  std::string name;
  std::string message;
};

struct PinView {
  std::string pin;    // base64 SPKI-SHA256
  std::string state;  // e.g. "published", "active", "backup", "retiring"
  std::optional<TimePoint> publish_at, active_at, retire_at;
};

struct PinSetView {
  std::string name;
  std::vector<std::string> hosts;
  std::vector<PinView> pins;
  // Ready-to-paste forms (filled by the daemon with daemon/pins/ renderers).
  std::string pin_sha256_header;  // pin-sha256="..."; pin-sha256="..."
  std::string okhttp;             // CertificatePinner.Builder() lines
  std::string android;            // network-security-config <pin-set>
};

struct BundleView {
  std::string name;
  std::string serial_hex;
  TimePoint not_after;
  std::string cert_pem, chain_pem, fullchain_pem;
  std::string key_pem;  // secret: never logged
};

struct EventView {
  int64_t id = 0;
  TimePoint time;
  std::string certificate_name, kind, message;
  std::string details_json;  // a JSON object as text ("" = none)
};

}  // namespace ck::web
