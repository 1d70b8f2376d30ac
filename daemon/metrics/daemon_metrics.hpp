// The daemon's event counters in the process metrics registry, one small function per thing
// counted so the modules where things happen (lifecycle manager, deploy, endpoint watch) each
// need one line. Names in cert-manager's style with the certkeeper_ prefix.
#pragma once

#include <string_view>

namespace ck::daemon::metrics {

// One issuance/renewal attempt of a managed certificate, and its failure.
void CountRenewalAttempt(std::string_view name, std::string_view issuer);
void CountRenewalFailure(std::string_view name, std::string_view issuer);

// One deploy of `name` to one consumer (the target's Describe()): result "success",
// "failure", "rolled_back" or "skipped" (not attempted after an earlier target failed).
void CountDeploy(std::string_view name, std::string_view consumer, std::string_view type,
                 std::string_view result);
// One closed-loop verification: result "success" or "failure".
void CountDeployVerify(std::string_view name, std::string_view consumer, std::string_view result);

// One endpoint or file check by the watcher: result "ok", "problems" or "error" (the
// WatchResultRecord outcome).
void CountEndpointCheck(std::string_view result);

}  // namespace ck::daemon::metrics
