#include "web/alert_handlers.hpp"

#include <charconv>

#include "common/log.hpp"

namespace ck::web {
namespace {

using nlohmann::json;

HttpResponse Json(int status, const json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

json Time(const std::optional<TimePoint>& t) { return t ? json(FormatRfc3339(*t)) : json(nullptr); }

Result<int64_t> ParseId(std::string_view text, std::string_view what, int64_t min, int64_t max) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || v < min || v > max) {
    return InvalidArgumentError(std::string(what) + " must be an integer from " +
                                std::to_string(min) + " to " + std::to_string(max) + ", not '" +
                                std::string(text.substr(0, 40)) + "'");
  }
  return v;
}

std::string Query(const HttpRequest& r, const std::string& key) {
  auto it = r.query.find(key);
  return it == r.query.end() ? "" : it->second;
}

Result<std::optional<TimePoint>> OptionalTime(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::optional<TimePoint>();
  if (!it->is_string()) return DataLossError(std::string("alert.") + key + " is not a string");
  ASSIGN_OR_RETURN(TimePoint t, ParseRfc3339(it->get<std::string>()));
  return std::optional<TimePoint>(t);
}

}  // namespace

json AlertToJson(const AlertView& a) {
  return {{"id", a.id},
          {"key", a.key},
          {"kind", a.kind},
          {"subject", a.subject},
          {"severity", a.severity},
          {"message", a.message},
          {"opened_at", FormatRfc3339(a.opened_at)},
          {"notified_at", Time(a.notified_at)},
          {"resolved_at", Time(a.resolved_at)},
          {"acknowledged_at", Time(a.acknowledged_at)},
          {"acknowledged_by", a.acknowledged_by}};
}

Result<AlertView> AlertFromJson(const json& j) {
  if (!j.is_object()) return DataLossError("an alert is not a JSON object");
  AlertView a;
  auto str = [&](const char* key, std::string& out) -> Status {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) {
      return DataLossError(std::string("alert.") + key + " is missing or not a string");
    }
    out = it->get<std::string>();
    return OkStatus();
  };
  auto id = j.find("id");
  if (id == j.end() || !id->is_number_integer()) return DataLossError("alert.id is missing");
  a.id = id->get<int64_t>();
  RETURN_IF_ERROR(str("key", a.key));
  RETURN_IF_ERROR(str("kind", a.kind));
  RETURN_IF_ERROR(str("subject", a.subject));
  RETURN_IF_ERROR(str("severity", a.severity));
  RETURN_IF_ERROR(str("message", a.message));
  RETURN_IF_ERROR(str("acknowledged_by", a.acknowledged_by));
  std::string opened;
  RETURN_IF_ERROR(str("opened_at", opened));
  ASSIGN_OR_RETURN(a.opened_at, ParseRfc3339(opened));
  ASSIGN_OR_RETURN(a.notified_at, OptionalTime(j, "notified_at"));
  ASSIGN_OR_RETURN(a.resolved_at, OptionalTime(j, "resolved_at"));
  ASSIGN_OR_RETURN(a.acknowledged_at, OptionalTime(j, "acknowledged_at"));
  return a;
}

HttpResponse HandleListAlerts(const HttpRequest& request, const Identity&, Backend& backend) {
  AlertFilter f;
  const std::string state = Query(request, "state");
  if (state == "all") {
    f.open_only = false;
  } else if (!state.empty() && state != "open") {
    return ProblemResponse(InvalidArgumentError("state must be 'open' or 'all'"));
  }
  if (std::string limit = Query(request, "limit"); !limit.empty()) {
    auto v = ParseId(limit, "limit", 1, 1000);
    if (!v.ok()) return ProblemResponse(v.status());
    f.limit = static_cast<int>(*v);
  }
  if (std::string before = Query(request, "before"); !before.empty()) {
    auto v = ParseId(before, "before", 1, INT64_MAX);
    if (!v.ok()) return ProblemResponse(v.status());
    f.before_id = *v;
  }
  auto alerts = backend.ListAlerts(f);
  if (!alerts.ok()) return ProblemResponse(alerts.status());
  json items = json::array();
  for (const auto& a : *alerts) items.push_back(AlertToJson(a));
  // A full page may have more behind it.
  json next = static_cast<int>(alerts->size()) == f.limit && !alerts->empty()
                  ? json(alerts->back().id)
                  : json(nullptr);
  return Json(200, {{"alerts", items}, {"next_before", next}});
}

HttpResponse HandleAcknowledgeAlert(const HttpRequest& request, const Identity& who,
                                    Backend& backend) {
  constexpr std::string_view kPrefix = "/v1/alerts/";
  std::string_view path = request.path;
  if (path.substr(0, kPrefix.size()) != kPrefix) {
    return ProblemResponse(InvalidArgumentError("unexpected path"));
  }
  path.remove_prefix(kPrefix.size());
  auto id = ParseId(path.substr(0, path.find('/')), "alert id", 1, INT64_MAX);
  if (!id.ok()) return ProblemResponse(id.status());
  auto alert = backend.AcknowledgeAlert(*id, who.name);
  if (!alert.ok()) return ProblemResponse(alert.status());
  log::Info("alert acknowledged via API",
            {{"by", who.ToString()}, {"alert", std::to_string(*id)}, {"key", alert->key}});
  return Json(200, AlertToJson(*alert));
}

}  // namespace ck::web
