#include "web/lifecycle_json.hpp"

#include <utility>

namespace ck::web {
namespace {

using nlohmann::json;

json OptionalTime(const std::optional<TimePoint>& t) {
  return t ? json(FormatRfc3339(*t)) : json(nullptr);
}

// Reads fields of one JSON object without throwing; remembers the first problem so a parser
// reads like a list of fields and checks once at the end.
class Reader {
 public:
  Reader(const json& j, std::string what) : j_(j), what_(std::move(what)) {
    if (!j_.is_object()) Fail("", "must be a JSON object");
  }

  std::string String(const char* key, bool required = true) {
    const json* v = Find(key, required);
    if (v == nullptr) return {};
    if (!v->is_string()) {
      Fail(key, "must be a string");
      return {};
    }
    return v->get<std::string>();
  }

  std::vector<std::string> Strings(const char* key) {
    std::vector<std::string> out;
    const json* v = Find(key, false);
    if (v == nullptr) return out;
    if (!v->is_array()) {
      Fail(key, "must be an array");
      return out;
    }
    for (const auto& item : *v) {
      if (!item.is_string()) {
        Fail(key, "must hold strings only");
        return {};
      }
      out.push_back(item.get<std::string>());
    }
    return out;
  }

  int64_t Int(const char* key, bool required = true) {
    const json* v = Find(key, required);
    if (v == nullptr) return 0;
    if (!v->is_number_integer()) {
      Fail(key, "must be an integer");
      return 0;
    }
    return v->get<int64_t>();
  }

  std::optional<TimePoint> Time(const char* key) {
    const json* v = Find(key, false);
    if (v == nullptr) return std::nullopt;
    if (!v->is_string()) {
      Fail(key, "must be an RFC 3339 time or null");
      return std::nullopt;
    }
    auto t = ParseRfc3339(v->get<std::string>());
    if (!t.ok()) {
      Fail(key, t.status().message());
      return std::nullopt;
    }
    return *t;
  }

  TimePoint RequiredTime(const char* key) {
    if (Find(key, true) == nullptr) return {};
    return Time(key).value_or(TimePoint{});
  }

  // An array of objects, each read by `parse`.
  template <typename T, typename Fn>
  std::vector<T> Objects(const char* key, Fn parse) {
    std::vector<T> out;
    const json* v = Find(key, false);
    if (v == nullptr) return out;
    if (!v->is_array()) {
      Fail(key, "must be an array");
      return out;
    }
    for (const auto& item : *v) {
      Result<T> r = parse(item);
      if (!r.ok()) {
        Fail(key, r.status().message());
        return {};
      }
      out.push_back(std::move(*r));
    }
    return out;
  }

  const Status& status() const { return status_; }

 private:
  // nullptr when absent or null (and records an error when required).
  const json* Find(const char* key, bool required) {
    if (!status_.ok()) return nullptr;
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) {
      if (required) Fail(key, "is missing");
      return nullptr;
    }
    return &*it;
  }

  void Fail(const char* key, const std::string& why) {
    if (!status_.ok()) return;
    std::string where = what_;
    if (*key != '\0') where += std::string(" field '") + key + "'";
    status_ = InvalidArgumentError(where + " " + why);
  }

  const json& j_;
  std::string what_;
  Status status_;
};

template <typename T>
Result<T> Finish(const Reader& r, T value) {
  if (!r.status().ok()) return r.status();
  return value;
}

Result<DeployTargetView> DeployFromJson(const json& j) {
  Reader r(j, "deploy target");
  DeployTargetView d;
  d.type = r.String("type");
  d.target = r.String("target", false);
  d.last_deployed_serial = r.String("last_deployed_serial", false);
  d.last_verified_at = r.Time("last_verified_at");
  d.last_result = r.String("last_result", false);
  return Finish(r, std::move(d));
}

Result<PinView> PinFromJson(const json& j) {
  Reader r(j, "pin");
  PinView p;
  p.pin = r.String("pin");
  p.state = r.String("state", false);
  p.publish_at = r.Time("publish_at");
  p.active_at = r.Time("active_at");
  p.retire_at = r.Time("retire_at");
  return Finish(r, std::move(p));
}

}  // namespace

json ToJson(const DeployTargetView& d) {
  return {{"type", d.type},
          {"target", d.target},
          {"last_deployed_serial", d.last_deployed_serial},
          {"last_verified_at", OptionalTime(d.last_verified_at)},
          {"last_result", d.last_result}};
}

json ToJson(const ManagedCertificateView& m) {
  json deploy = json::array();
  for (const auto& d : m.deploy) deploy.push_back(ToJson(d));
  return {{"name", m.name},
          {"domains", m.domains},
          {"issuer", m.issuer},
          {"status", m.status},
          {"serial", m.serial_hex},
          {"not_before", OptionalTime(m.not_before)},
          {"not_after", OptionalTime(m.not_after)},
          {"next_renewal_at", OptionalTime(m.next_renewal_at)},
          {"renewal_explanation", m.renewal_explanation},
          {"last_renewal_at", OptionalTime(m.last_renewal_at)},
          {"consecutive_failures", m.consecutive_failures},
          {"last_error", m.last_error},
          {"deploy", deploy}};
}

json ToJson(const DaemonStatusView& s) {
  return {{"version", s.version},
          {"started_at", FormatRfc3339(s.started_at)},
          {"now", FormatRfc3339(s.now)},
          {"managed", s.managed},
          {"failing", s.failing},
          {"expired", s.expired},
          {"next_renewal_at", OptionalTime(s.next_renewal_at)},
          {"next_renewal_name", s.next_renewal_name}};
}

json ToJson(const RenewResult& r) { return {{"name", r.name}, {"message", r.message}}; }

json ToJson(const PinSetView& p) {
  json pins = json::array();
  for (const auto& pin : p.pins) {
    pins.push_back({{"pin", pin.pin},
                    {"state", pin.state},
                    {"publish_at", OptionalTime(pin.publish_at)},
                    {"active_at", OptionalTime(pin.active_at)},
                    {"retire_at", OptionalTime(pin.retire_at)}});
  }
  return {{"name", p.name},     {"hosts", p.hosts},
          {"pins", pins},       {"pin_sha256_header", p.pin_sha256_header},
          {"okhttp", p.okhttp}, {"android", p.android}};
}

json ToJson(const BundleView& b) {
  return {
      {"name", b.name},      {"serial", b.serial_hex}, {"not_after", FormatRfc3339(b.not_after)},
      {"cert", b.cert_pem},  {"chain", b.chain_pem},   {"fullchain", b.fullchain_pem},
      {"privkey", b.key_pem}};
}

json ToJson(const EventView& e) {
  json details = nullptr;
  if (!e.details_json.empty()) {
    details = json::parse(e.details_json, nullptr, false);
    if (details.is_discarded()) details = e.details_json;
  }
  return {{"id", e.id},     {"time", FormatRfc3339(e.time)}, {"certificate", e.certificate_name},
          {"kind", e.kind}, {"message", e.message},          {"details", details}};
}

Result<ManagedCertificateView> ManagedFromJson(const json& j) {
  Reader r(j, "managed certificate");
  ManagedCertificateView m;
  m.name = r.String("name");
  m.domains = r.Strings("domains");
  m.issuer = r.String("issuer", false);
  m.status = r.String("status");
  m.serial_hex = r.String("serial", false);
  m.not_before = r.Time("not_before");
  m.not_after = r.Time("not_after");
  m.next_renewal_at = r.Time("next_renewal_at");
  m.renewal_explanation = r.String("renewal_explanation", false);
  m.last_renewal_at = r.Time("last_renewal_at");
  m.consecutive_failures = static_cast<int>(r.Int("consecutive_failures", false));
  m.last_error = r.String("last_error", false);
  m.deploy = r.Objects<DeployTargetView>("deploy", DeployFromJson);
  return Finish(r, std::move(m));
}

Result<DaemonStatusView> DaemonStatusFromJson(const json& j) {
  Reader r(j, "daemon status");
  DaemonStatusView s;
  s.version = r.String("version", false);
  s.started_at = r.RequiredTime("started_at");
  s.now = r.RequiredTime("now");
  s.managed = static_cast<int>(r.Int("managed"));
  s.failing = static_cast<int>(r.Int("failing"));
  s.expired = static_cast<int>(r.Int("expired"));
  s.next_renewal_at = r.Time("next_renewal_at");
  s.next_renewal_name = r.String("next_renewal_name", false);
  return Finish(r, std::move(s));
}

Result<RenewResult> RenewResultFromJson(const json& j) {
  Reader r(j, "renew result");
  RenewResult out;
  out.name = r.String("name");
  out.message = r.String("message", false);
  return Finish(r, std::move(out));
}

Result<PinSetView> PinSetFromJson(const json& j) {
  Reader r(j, "pin set");
  PinSetView p;
  p.name = r.String("name");
  p.hosts = r.Strings("hosts");
  p.pins = r.Objects<PinView>("pins", PinFromJson);
  p.pin_sha256_header = r.String("pin_sha256_header", false);
  p.okhttp = r.String("okhttp", false);
  p.android = r.String("android", false);
  return Finish(r, std::move(p));
}

Result<BundleView> BundleFromJson(const json& j) {
  Reader r(j, "bundle");
  BundleView b;
  b.name = r.String("name");
  b.serial_hex = r.String("serial");
  b.not_after = r.RequiredTime("not_after");
  b.cert_pem = r.String("cert");
  b.chain_pem = r.String("chain", false);
  b.fullchain_pem = r.String("fullchain", false);
  b.key_pem = r.String("privkey", false);
  return Finish(r, std::move(b));
}

Result<EventView> EventFromJson(const json& j) {
  Reader r(j, "event");
  EventView e;
  e.id = r.Int("id");
  e.time = r.RequiredTime("time");
  e.certificate_name = r.String("certificate", false);
  e.kind = r.String("kind", false);
  e.message = r.String("message", false);
  if (j.is_object()) {
    auto it = j.find("details");
    if (it != j.end() && !it->is_null()) {
      e.details_json = it->is_string() ? it->get<std::string>() : it->dump();
    }
  }
  return Finish(r, std::move(e));
}

}  // namespace ck::web
