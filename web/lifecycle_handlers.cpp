#include "web/lifecycle_handlers.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <nlohmann/json.hpp>

#include "common/log.hpp"
#include "web/lifecycle_json.hpp"

namespace ck::web {
namespace {

using nlohmann::json;

HttpResponse Json(int status, const json& body) {
  HttpResponse r;
  r.status = status;
  // Names and error texts may come from outside (a CA's problem detail): never throw on bad
  // UTF-8, replace it.
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

std::string QueryParam(const HttpRequest& r, const std::string& key) {
  auto it = r.query.find(key);
  return it == r.query.end() ? "" : it->second;
}

bool HasQueryParam(const HttpRequest& r, const std::string& key) {
  return r.query.find(key) != r.query.end();
}

Result<int64_t> ParseNonNegative(const std::string& text, const std::string& what) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || v < 0) {
    return InvalidArgumentError(what + " must be a non-negative integer, not '" +
                                text.substr(0, 40) + "'");
  }
  return v;
}

// Certificate names as the config allows them (plus upper case, which simply is not found).
Status CheckName(std::string_view name) {
  auto ok_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  };
  if (name.empty() || name.size() > 128 || name.front() == '.' || name.front() == '-' ||
      !std::all_of(name.begin(), name.end(), ok_char)) {
    return InvalidArgumentError("invalid certificate name (letters, digits, '.', '_', '-')");
  }
  return OkStatus();
}

// The path segment after `prefix` ("/v1/managed/"), up to the next '/'.
Result<std::string> NameFromPath(const HttpRequest& request, std::string_view prefix) {
  std::string_view path = request.path;
  if (path.substr(0, prefix.size()) != prefix) {
    return InvalidArgumentError("unexpected path");
  }
  path.remove_prefix(prefix.size());
  std::string name(path.substr(0, path.find('/')));
  RETURN_IF_ERROR(CheckName(name));
  return name;
}

// Serials as the API prints them: hex, maybe with ':' separators.
Status CheckSerial(std::string_view serial) {
  auto ok_char = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) || c == ':'; };
  if (serial.size() > 128 || !std::all_of(serial.begin(), serial.end(), ok_char)) {
    return InvalidArgumentError("serial must be the hex serial of the bundle you have");
  }
  return OkStatus();
}

// If-None-Match: "SERIAL" (RFC 9110 §13.1.2); a weak tag counts the same, and of a list the
// first tag is taken (a consumer has one version).
std::string SerialFromIfNoneMatch(std::string_view value) {
  auto comma = value.find(',');
  if (comma != std::string_view::npos) value = value.substr(0, comma);
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.substr(0, 2) == "W/") value.remove_prefix(2);
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    value = value.substr(1, value.size() - 2);
  }
  return std::string(value);
}

std::string ETag(std::string_view serial) { return "\"" + std::string(serial) + "\""; }

}  // namespace

bool LongPollGate::TryEnter() {
  int now = waiting_.fetch_add(1) + 1;
  if (now > max_waiting_) {
    waiting_.fetch_sub(1);
    return false;
  }
  return true;
}

void LongPollGate::Leave() { waiting_.fetch_sub(1); }

HttpResponse HandleListManaged(const HttpRequest&, const Identity&, Backend& backend) {
  auto list = backend.ListManaged();
  if (!list.ok()) return ProblemResponse(list.status());
  // Most urgent first: no certificate at all, then by expiry; ties by name for a stable order.
  std::stable_sort(list->begin(), list->end(), [](const auto& a, const auto& b) {
    if (a.not_after.has_value() != b.not_after.has_value()) return !a.not_after.has_value();
    if (a.not_after && *a.not_after != *b.not_after) return *a.not_after < *b.not_after;
    return a.name < b.name;
  });
  json items = json::array();
  for (const auto& m : *list) items.push_back(ToJson(m));
  return Json(200, {{"certificates", items}});
}

HttpResponse HandleGetManaged(const HttpRequest& request, const Identity&, Backend& backend) {
  auto name = NameFromPath(request, "/v1/managed/");
  if (!name.ok()) return ProblemResponse(name.status());
  auto m = backend.GetManaged(*name);
  if (!m.ok()) return ProblemResponse(m.status());
  return Json(200, ToJson(*m));
}

HttpResponse HandleRenewManaged(const HttpRequest& request, const Identity& who, Backend& backend) {
  auto name = NameFromPath(request, "/v1/managed/");
  if (!name.ok()) return ProblemResponse(name.status());
  bool force = false;
  if (request.body.find_first_not_of(" \t\r\n") != std::string::npos) {
    auto body = json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return ProblemResponse(InvalidArgumentError("request body must be a JSON object"));
    }
    if (auto it = body.find("force"); it != body.end()) {
      if (!it->is_boolean()) {
        return ProblemResponse(InvalidArgumentError("'force' must be true or false"));
      }
      force = it->get<bool>();
    }
  }
  auto result = backend.RenewManaged(*name, force);
  if (!result.ok()) return ProblemResponse(result.status());
  log::Info("renewal requested via API",
            {{"by", who.ToString()}, {"certificate", *name}, {"force", force ? "true" : "false"}});
  return Json(202, ToJson(*result));
}

HttpResponse HandleDaemonStatus(const HttpRequest&, const Identity&, Backend& backend) {
  auto status = backend.DaemonStatus();
  if (!status.ok()) return ProblemResponse(status.status());
  return Json(200, ToJson(*status));
}

HttpResponse HandleGetPins(const HttpRequest& request, const Identity& who, Backend& backend) {
  auto name = NameFromPath(request, "/v1/pins/");
  if (!name.ok()) return ProblemResponse(name.status());
  if (!Allows(who.role, Permission::kRead)) {
    // A consumer reads the pins of the certificates it consumes only.
    if (Status s = backend.CheckConsumerAccess(who, *name); !s.ok()) return ProblemResponse(s);
  }
  auto pins = backend.GetPins(*name);
  if (!pins.ok()) return ProblemResponse(pins.status());
  return Json(200, ToJson(*pins));
}

HttpResponse HandleAddManaged(const HttpRequest& request, const Identity& who, Backend& backend) {
  auto body = json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return ProblemResponse(InvalidArgumentError("request body must be a JSON object"));
  }
  auto added = backend.AddManaged(body);
  if (!added.ok()) return ProblemResponse(added.status());
  log::Info("managed certificate added via API", {{"by", who.ToString()}, {"name", added->name}});
  return Json(201, ToJson(*added));
}

HttpResponse HandleRemoveManaged(const HttpRequest& request, const Identity& who,
                                 Backend& backend) {
  auto name = NameFromPath(request, "/v1/managed/");
  if (!name.ok()) return ProblemResponse(name.status());
  if (Status s = backend.RemoveManaged(*name); !s.ok()) return ProblemResponse(s);
  log::Info("managed certificate removed via API", {{"by", who.ToString()}, {"name", *name}});
  return Json(200, {{"name", *name}, {"message", "no longer managed; its history is kept"}});
}

HttpResponse HandleEmergencyRotatePins(const HttpRequest& request, const Identity& who,
                                       Backend& backend) {
  const std::string suffix = "/emergency-rotate";
  HttpRequest trimmed = request;
  if (trimmed.path.size() > suffix.size() &&
      trimmed.path.compare(trimmed.path.size() - suffix.size(), suffix.size(), suffix) == 0) {
    trimmed.path.resize(trimmed.path.size() - suffix.size());
  }
  auto name = NameFromPath(trimmed, "/v1/pins/");
  if (!name.ok()) return ProblemResponse(name.status());
  if (Status s = backend.EmergencyRotatePins(*name); !s.ok()) return ProblemResponse(s);
  log::Warn("emergency pin rotation requested via API",
            {{"by", who.ToString()}, {"certificate", *name}});
  return Json(202, {{"name", *name},
                    {"message", "backup key promoted; '" + *name +
                                    "' is being re-issued and deployed with it"}});
}

HttpResponse HandleGetBundle(const HttpRequest& request, const Identity& who, Backend& backend,
                             LongPollGate& gate) {
  auto name = NameFromPath(request, "/v1/bundles/");
  if (!name.ok()) return ProblemResponse(name.status());
  std::chrono::seconds wait{0};
  if (HasQueryParam(request, "wait")) {
    auto secs = ParseNonNegative(QueryParam(request, "wait"), "wait (seconds)");
    if (!secs.ok()) return ProblemResponse(secs.status());
    wait = std::min(std::chrono::seconds(*secs), kMaxWait);
  }
  std::string known;
  if (HasQueryParam(request, "serial")) {
    known = QueryParam(request, "serial");
  } else if (auto it = request.headers.find("if-none-match"); it != request.headers.end()) {
    known = SerialFromIfNoneMatch(it->second);
  }
  if (Status s = CheckSerial(known); !s.ok()) return ProblemResponse(s);

  // First without waiting: a consumer with an old version (or none) is answered at once and
  // needs no waiting slot.
  Result<BundleView> bundle = backend.WaitForBundle(who, *name, known, std::chrono::seconds(0));
  auto keep_waiting = [](const Result<BundleView>& r) {
    // "Nothing new yet" and "no certificate yet / try again" wait; anything else is the answer.
    return !r.ok() && (r.status().code() == StatusCode::kDeadlineExceeded ||
                       r.status().code() == StatusCode::kUnavailable);
  };
  if (keep_waiting(bundle) && wait.count() > 0 && !gate.shutting_down()) {
    if (!gate.TryEnter()) {
      HttpResponse busy = ProblemResponse(
          ResourceExhaustedError("too many consumers are waiting for bundles; retry shortly"));
      busy.headers["Retry-After"] = "5";
      return busy;
    }
    // In slices, so that a stopping server does not wait for the longest poll.
    for (auto remaining = wait; remaining.count() > 0 && !gate.shutting_down();) {
      auto slice = std::min(remaining, kWaitSlice);
      bundle = backend.WaitForBundle(who, *name, known, slice);
      remaining -= slice;
      if (!keep_waiting(bundle)) break;
    }
    gate.Leave();
  }

  if (!bundle.ok()) {
    if (bundle.status().code() != StatusCode::kDeadlineExceeded) {
      return ProblemResponse(bundle.status());
    }
    HttpResponse not_modified;
    not_modified.status = 304;
    not_modified.content_type.clear();
    not_modified.headers["ETag"] = ETag(known);
    not_modified.headers["Cache-Control"] = "no-store";
    return not_modified;
  }
  // The body carries the private key: log who fetched which version, never the material.
  log::Info(
      "bundle served",
      {{"by", who.ToString()}, {"certificate", bundle->name}, {"serial", bundle->serial_hex}});
  HttpResponse r = Json(200, ToJson(*bundle));
  r.headers["Cache-Control"] = "no-store";
  r.headers["ETag"] = ETag(bundle->serial_hex);
  return r;
}

HttpResponse HandleListEvents(const HttpRequest& request, const Identity&, Backend& backend) {
  std::string certificate = QueryParam(request, "certificate");
  if (!certificate.empty()) {
    if (Status s = CheckName(certificate); !s.ok()) return ProblemResponse(s);
  }
  int limit = 50;
  if (HasQueryParam(request, "limit")) {
    auto v = ParseNonNegative(QueryParam(request, "limit"), "limit");
    if (!v.ok() || *v < 1 || *v > 1000) {
      return ProblemResponse(InvalidArgumentError("limit must be between 1 and 1000"));
    }
    limit = static_cast<int>(*v);
  }
  int64_t before = 0;
  if (HasQueryParam(request, "before")) {
    auto v = ParseNonNegative(QueryParam(request, "before"), "before");
    if (!v.ok()) return ProblemResponse(v.status());
    before = *v;
  }
  auto events = backend.ListEvents(certificate, limit, before);
  if (!events.ok()) return ProblemResponse(events.status());
  json items = json::array();
  int64_t oldest = 0;
  for (const auto& e : *events) {
    items.push_back(ToJson(e));
    if (oldest == 0 || e.id < oldest) oldest = e.id;
  }
  // A full page means there may be older events: hand out the cursor for the next page.
  json next =
      static_cast<int>(events->size()) >= limit && oldest > 1 ? json(oldest) : json(nullptr);
  return Json(200, {{"events", items}, {"next_before", next}});
}

}  // namespace ck::web
