// Alerts as the admin API shows them (GET /v1/alerts, POST /v1/alerts/{id}/ack). Plain data;
// web/alert_handlers.cpp turns them into JSON and back (the CLI parses the same shape).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/clock.hpp"

namespace ck::web {

struct AlertView {
  int64_t id = 0;
  std::string key, kind, subject, severity, message;
  TimePoint opened_at;
  std::optional<TimePoint> notified_at, resolved_at, acknowledged_at;
  std::string acknowledged_by;
};

struct AlertFilter {
  bool open_only = true;  // state=open (default) | all
  int limit = 100;        // 1..1000
  int64_t before_id = 0;  // paging, newest first; 0 = from the newest
};

}  // namespace ck::web
