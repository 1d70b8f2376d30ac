// Which alert conditions hold now: a pure function of (snapshot, now, [alerts] config), so
// tests walk a certificate through its life on a FakeClock without a store or a network.
#pragma once

#include <vector>

#include "common/clock.hpp"
#include "daemon/alerts/alert_types.hpp"
#include "daemon/alerts/snapshot.hpp"
#include "daemon/config/alerts_config.hpp"

namespace ck::alerts {

// Every firing condition, each key at most once:
// - expiry: per certificate (managed, and watched external/file) the tightest threshold
//   crossed (not_after - now <= threshold), key "expiry:NAME:SERIAL:7d"; "…:expired" once
//   not_after has passed. Looser thresholds of the same serial are listed in `supersedes`.
// - renewal_failing: consecutive_failures >= failure_streak, key "renewal_failing:NAME".
// - renewal_overdue: next_renewal_at + overdue_grace < now, key
//   "renewal_overdue:NAME:SERIAL" (a renewal changes the serial, so the alert resolves).
// - deploy_verify: a deploy target whose last result is not "ok", key
//   "deploy_verify:NAME:TARGET".
// - endpoint: a watch target's problems, key "endpoint:TARGET:CODE" (outcome "error": CODE
//   is "error").
// - ca_expiry: an active intermediate with not_after - now < ca_warn_before, key
//   "ca_expiry:NAME".
std::vector<Condition> EvaluateConditions(const AlertSnapshot& snapshot, TimePoint now,
                                          const config::AlertsConfig& config);

// "30d", "36h", "90m": the threshold as it appears in keys and messages.
std::string ThresholdLabel(std::chrono::seconds threshold);

}  // namespace ck::alerts
