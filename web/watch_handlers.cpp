#include "web/watch_handlers.hpp"

#include <nlohmann/json.hpp>

namespace ck::web {
namespace {

using nlohmann::json;

json LeafJson(const WatchLeafView& leaf) {
  return {{"certificate_id", leaf.certificate_id},
          {"subject", leaf.subject},
          {"issuer", leaf.issuer},
          {"serial", leaf.serial_hex},
          {"sans", leaf.sans},
          {"not_before", FormatRfc3339(leaf.not_before)},
          {"not_after", FormatRfc3339(leaf.not_after)},
          {"days_left", leaf.days_left}};
}

json ResultJson(const WatchResultView& r) {
  json j = {{"target", r.target},
            {"kind", r.kind},
            {"checked_at", FormatRfc3339(r.checked_at)},
            {"outcome", r.outcome},
            {"error", r.error},
            {"problems", r.problems.is_array() ? r.problems : json::array()},
            {"leaf", r.leaf ? LeafJson(*r.leaf) : json(nullptr)}};
  // Details add what the check saw beyond the leaf: protocol, the served chain, timing.
  if (r.details.is_object()) {
    for (const char* key : {"tls_version", "chain", "label", "duration_ms"}) {
      if (r.details.contains(key)) j[key] = r.details[key];
    }
  }
  return j;
}

}  // namespace

HttpResponse HandleListWatchResults(const HttpRequest&, const Identity&, Backend& backend) {
  auto results = backend.ListWatchResults();
  if (!results.ok()) return ProblemResponse(results.status());
  json items = json::array();
  for (const auto& r : *results) items.push_back(ResultJson(r));
  HttpResponse response;
  response.status = 200;
  // Targets and error texts come from outside (file names, server replies): replace bad UTF-8.
  response.body = json{{"results", items}}.dump(-1, ' ', false, json::error_handler_t::replace);
  return response;
}

}  // namespace ck::web
