// Metrics computed at scrape time from what the daemon knows now: one set of gauges per
// certificate (managed ones from the lifecycle, external and file ones from the store), the
// watcher's last check per target, open alerts and build info. Kept as plain inputs so the
// rules (which condition is "ready", which series exist) are tested without a store.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/metrics.hpp"
#include "common/status.hpp"
#include "store/store.hpp"
#include "store/types.hpp"
#include "web/lifecycle_types.hpp"

namespace ck::daemon::metrics {

// The last check of one watched endpoint or file (from its WatchResultRecord).
struct WatchCheckSample {
  std::string target;
  TimePoint checked_at;
  std::string outcome;            // "ok" | "problems" | "error"
  bool critical_problem = false;  // any problem of severity "critical"
  std::optional<int64_t> certificate_id;
};

struct ScrapeInputs {
  TimePoint now;
  std::string version;
  std::vector<web::ManagedCertificateView> managed;
  // Active certificates rows of source "external" or "file".
  std::vector<store::CertificateRecord> observed;
  std::vector<WatchCheckSample> checks;
  std::optional<int64_t> open_alerts;  // absent when the store cannot say
};

// Fills `out` with the scrape-time families:
//   certkeeper_certificate_expiration_timestamp_seconds{name,issuer,source}
//   certkeeper_certificate_not_before_timestamp_seconds{name,issuer,source}
//   certkeeper_certificate_renewal_timestamp_seconds{name,issuer,source}  (managed, planned)
//   certkeeper_certificate_ready_status{name,issuer,source,condition}  (1 for the current one)
//   certkeeper_endpoint_check_success{target}, certkeeper_endpoint_check_timestamp_seconds
//   certkeeper_alerts_open, certkeeper_build_info{version}
// When two observed rows share (name, issuer, source) the one expiring last is shown.
void FillScrapeMetrics(const ScrapeInputs& in, ck::metrics::Registry& out);

// "True", "False" or "Unknown" (cert-manager's Ready condition values).
std::string_view ManagedReadyCondition(const web::ManagedCertificateView& v);
std::string_view ObservedReadyCondition(const store::CertificateRecord& c, TimePoint now,
                                        const WatchCheckSample* last_check);

// Adds what the store knows to `in`: active external and file certificates, the watcher's
// last check per target and the number of open alerts.
Status AddStoreInputs(store::Store& store, ScrapeInputs& in);

// The whole exposition for GET /metrics: the scrape-time families, then the process registry.
std::string RenderScrape(const ScrapeInputs& in);

}  // namespace ck::daemon::metrics
