#include "daemon/daemon_backend.hpp"

#include "daemon/version.hpp"

namespace ck::daemon {

web::HealthReport DaemonBackend::Health() {
  web::HealthReport report;
  report.version = CK_VERSION;
  // A cheap query that touches the database file: proves it is open and readable.
  auto version = store_.SchemaVersion();
  report.checks.push_back(
      {"store", version.ok(),
       version.ok() ? "schema v" + std::to_string(*version) : version.status().message()});
  return report;
}

}  // namespace ck::daemon
