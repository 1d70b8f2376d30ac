// What the alert module passes around: a firing condition (computed fresh each evaluation) and
// a notice (what a channel sends). Plain data.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "daemon/config/alerts_config.hpp"

namespace ck::alerts {

using config::AlertSeverity;

// A condition that holds now. `key` is stable while the same problem persists, so the store's
// open alert with that key is "the same alert" across evaluations and restarts.
struct Condition {
  std::string key;      // e.g. "expiry:web:0A1B:7d"
  std::string kind;     // "expiry" | "renewal_failing" | "renewal_overdue" | "deploy_verify" |
                        // "endpoint" | "ca_expiry"
  std::string subject;  // certificate name, watch target or CA name
  AlertSeverity severity = AlertSeverity::kWarning;
  std::string message;
  // Open alerts with these keys are closed without a resolved notice: a tighter expiry
  // threshold replaces the looser one for the same serial.
  std::vector<std::string> supersedes;
};

// One message to a channel.
struct AlertNotice {
  enum class State { kFiring, kResolved, kTest };
  State state = State::kFiring;
  int64_t id = 0;  // the store's alert id (0 for a test notice)
  std::string key, kind, subject;
  AlertSeverity severity = AlertSeverity::kWarning;
  std::string message;
  TimePoint opened_at;
  std::optional<TimePoint> resolved_at;
  int reminder = 0;  // firing notices only: 0 the first, N the Nth reminder (repeat_interval)
};

std::string_view NoticeStateName(AlertNotice::State s);  // "firing" | "resolved" | "test"

}  // namespace ck::alerts
