#include "daemon/metrics/daemon_metrics.hpp"

#include "common/metrics.hpp"

namespace ck::daemon::metrics {
namespace {

ck::metrics::Registry& R() { return ck::metrics::Default(); }

}  // namespace

void CountRenewalAttempt(std::string_view name, std::string_view issuer) {
  static auto& f =
      R().AddCounter("certkeeper_renewal_attempts_total",
                     "Issuance and renewal attempts of managed certificates.", {"name", "issuer"});
  f.With({name, issuer}).Inc();
}

void CountRenewalFailure(std::string_view name, std::string_view issuer) {
  static auto& f = R().AddCounter("certkeeper_renewal_failures_total",
                                  "Failed issuance and renewal attempts of managed certificates.",
                                  {"name", "issuer"});
  f.With({name, issuer}).Inc();
}

void CountDeploy(std::string_view name, std::string_view consumer, std::string_view type,
                 std::string_view result) {
  static auto& f = R().AddCounter(
      "certkeeper_deploy_total",
      "Deploys of a certificate version to one consumer, by result (success, failure, "
      "rolled_back, skipped).",
      {"name", "consumer", "type", "result"});
  f.With({name, consumer, type, result}).Inc();
}

void CountDeployVerify(std::string_view name, std::string_view consumer, std::string_view result) {
  static auto& f = R().AddCounter(
      "certkeeper_deploy_verify_total",
      "Closed-loop verifications that a consumer serves the deployed certificate, by result.",
      {"name", "consumer", "result"});
  f.With({name, consumer, result}).Inc();
}

void CountEndpointCheck(std::string_view result) {
  static auto& f = R().AddCounter("certkeeper_endpoint_check_total",
                                  "Checks of watched endpoints and files, by outcome.", {"result"});
  f.With({result}).Inc();
}

}  // namespace ck::daemon::metrics
