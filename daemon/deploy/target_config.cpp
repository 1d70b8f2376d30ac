#include "daemon/deploy/target_config.hpp"

#include <charconv>

#include "common/duration.hpp"

namespace ck::deploy {

std::string HostPort::ToString() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

Result<HostPort> ParseHostPort(std::string_view text) {
  HostPort hp;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return InvalidArgumentError("\"" + std::string(text) + "\" is not [IPv6]:port");
    }
    hp.host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) {
      return InvalidArgumentError("\"" + std::string(text) + "\" is not host:port");
    }
    hp.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (hp.host.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 ||
      value > 65535) {
    return InvalidArgumentError("\"" + std::string(text) + "\" is not host:port (port 1-65535)");
  }
  hp.port = static_cast<uint16_t>(value);
  return hp;
}

Result<TargetConfig> TargetConfig::Open(const nlohmann::json& target,
                                        std::initializer_list<std::string_view> known) {
  if (!target.is_object()) return InvalidArgumentError("deploy target must be a table");
  auto type = target.find("type");
  if (type == target.end() || !type->is_string()) {
    return InvalidArgumentError("deploy target: key 'type' is required (a string)");
  }
  TargetConfig c(&target, type->get<std::string>());
  for (const auto& [key, value] : target.items()) {
    if (key == "type") continue;
    bool ok = false;
    for (auto k : known) ok = ok || k == key;
    if (!ok) {
      std::string list;
      for (auto k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      return c.Error(key, "is not a known key (known: " + list + ")");
    }
  }
  return c;
}

Status TargetConfig::Error(std::string_view key, std::string_view what) const {
  return InvalidArgumentError("deploy target '" + type_ + "': key '" + std::string(key) + "' " +
                              std::string(what));
}

const nlohmann::json* TargetConfig::Find(std::string_view key) const {
  auto it = json_->find(std::string(key));
  return it == json_->end() ? nullptr : &*it;
}

Result<std::string> TargetConfig::String(std::string_view key, std::string fallback) const {
  const auto* v = Find(key);
  if (!v) return fallback;
  if (!v->is_string()) return Error(key, "must be a string");
  return v->get<std::string>();
}

Result<std::string> TargetConfig::RequiredString(std::string_view key) const {
  if (!Find(key)) return Error(key, "is required");
  ASSIGN_OR_RETURN(std::string s, String(key));
  if (s.empty()) return Error(key, "must not be empty");
  return s;
}

Result<bool> TargetConfig::Bool(std::string_view key, bool fallback) const {
  const auto* v = Find(key);
  if (!v) return fallback;
  if (!v->is_boolean()) return Error(key, "must be true or false");
  return v->get<bool>();
}

Result<int> TargetConfig::Int(std::string_view key, int fallback, int min, int max) const {
  const auto* v = Find(key);
  if (!v) return fallback;
  if (!v->is_number_integer() || v->get<int64_t>() < min || v->get<int64_t>() > max) {
    return Error(key,
                 "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return static_cast<int>(v->get<int64_t>());
}

Result<std::chrono::seconds> TargetConfig::Duration(std::string_view key,
                                                    std::chrono::seconds fallback) const {
  const auto* v = Find(key);
  if (!v) return fallback;
  if (!v->is_string()) return Error(key, "must be a duration string such as \"60s\"");
  auto d = ParseDuration(v->get<std::string>());
  if (!d.ok()) return Error(key, d.status().message());
  if (d->count() <= 0) return Error(key, "must be positive");
  return *d;
}

Result<mode_t> TargetConfig::Mode(std::string_view key, mode_t fallback) const {
  const auto* v = Find(key);
  if (!v) return fallback;
  // A TOML integer 0o600 arrives as 384 and 600 as six hundred: only a string is unambiguous.
  if (!v->is_string()) return Error(key, "must be an octal string such as \"0600\"");
  const std::string s = v->get<std::string>();
  unsigned value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value, 8);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || value > 07777) {
    return Error(key, "must be an octal string such as \"0600\", not \"" + s + "\"");
  }
  return static_cast<mode_t>(value);
}

Result<std::optional<HostPort>> TargetConfig::Address(std::string_view key) const {
  const auto* v = Find(key);
  if (!v) return std::optional<HostPort>();
  if (!v->is_string()) return Error(key, "must be a \"host:port\" string");
  auto hp = ParseHostPort(v->get<std::string>());
  if (!hp.ok()) return Error(key, hp.status().message());
  return std::optional<HostPort>(*hp);
}

Status CheckCertificateName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 63;
  for (size_t i = 0; ok && i < name.size(); ++i) {
    char c = name[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    ok = alnum || (i > 0 && (c == '.' || c == '_' || c == '-'));
  }
  if (!ok) {
    return InvalidArgumentError("certificate name \"" + std::string(name) +
                                "\" must match [a-z0-9][a-z0-9._-]{0,62}");
  }
  return OkStatus();
}

}  // namespace ck::deploy
