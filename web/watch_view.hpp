// What GET /v1/watch shows: the latest check of every watched endpoint and certificate file.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"

namespace ck::web {

struct WatchLeafView {
  int64_t certificate_id = 0;  // the certificates row (source "external" | "file")
  std::string subject;
  std::string issuer;
  std::string serial_hex;
  std::vector<std::string> sans;
  TimePoint not_before;
  TimePoint not_after;
  double days_left = 0;  // at the time of the request; negative once expired
};

struct WatchResultView {
  std::string target;  // "host:port", "host:port/sni" or a file path
  std::string kind;    // "endpoint" | "file"
  TimePoint checked_at;
  std::string outcome;  // "ok" | "problems" | "error"
  std::string error;
  nlohmann::json problems = nlohmann::json::array();  // [{"code","severity","message"}]
  nlohmann::json details = nlohmann::json::object();  // {"tls_version", "chain", ...}
  std::optional<WatchLeafView> leaf;
};

}  // namespace ck::web
