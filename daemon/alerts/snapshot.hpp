// The facts the alert conditions are computed from, gathered at one instant: managed
// certificates from the lifecycle manager, watched certificates, endpoint checks and CA
// certificates from the store. Plain data, so conditions are a pure function of it.
#pragma once

#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/status.hpp"
#include "store/store.hpp"
#include "web/lifecycle_types.hpp"

namespace ck::alerts {

// A certificate certkeeper watches but does not manage (source "external" or "file").
struct WatchedCertificate {
  std::string name;    // the certificates row's name (endpoint target or file path)
  std::string source;  // "external" | "file"
  std::string serial_hex;
  TimePoint not_after;
};

struct EndpointProblem {
  std::string code;      // e.g. "expiring", "hostname_mismatch"
  std::string severity;  // "info" | "warning" | "critical"
  std::string message;
};

// The last check of one watch target.
struct EndpointCheck {
  std::string target;   // "host:port" or a file path
  std::string outcome;  // "ok" | "problems" | "error"
  std::string error;
  std::vector<EndpointProblem> problems;
};

struct CaCertificateFacts {
  std::string name;
  std::string role;    // "root" | "intermediate" | ...
  std::string status;  // "active" | ...
  TimePoint not_after;
};

struct AlertSnapshot {
  std::vector<web::ManagedCertificateView> managed;
  std::vector<WatchedCertificate> watched;
  std::vector<EndpointCheck> endpoints;
  std::vector<CaCertificateFacts> cas;
};

// Reads the store's part of a snapshot (watched certificates, endpoint checks, CAs) and adds
// `managed`. A malformed problems_json becomes one problem that says so, rather than hiding
// the target's state.
Result<AlertSnapshot> CollectSnapshot(store::Store& store,
                                      std::vector<web::ManagedCertificateView> managed);

}  // namespace ck::alerts
