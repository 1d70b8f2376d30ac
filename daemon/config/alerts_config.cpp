// [alerts] and [[alerts.channel]].
#include "daemon/config/alerts_config.hpp"

#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include "common/duration.hpp"
#include "common/file_util.hpp"
#include "daemon/config/toml_helpers.hpp"

namespace ck::config {

std::string_view AlertSeverityName(AlertSeverity s) {
  switch (s) {
    case AlertSeverity::kInfo: return "info";
    case AlertSeverity::kWarning: return "warning";
    case AlertSeverity::kCritical: return "critical";
  }
  return "info";
}

Result<AlertSeverity> ParseAlertSeverity(std::string_view text) {
  if (text == "info") return AlertSeverity::kInfo;
  if (text == "warning") return AlertSeverity::kWarning;
  if (text == "critical") return AlertSeverity::kCritical;
  return InvalidArgumentError("unknown severity '" + std::string(text) +
                              "' (expected info, warning or critical)");
}

std::vector<AlertChannelConfig> AlertsConfig::EffectiveChannels() const {
  if (!channels.empty()) return channels;
  AlertChannelConfig log;
  log.name = "log";
  log.type = "log";
  return {log};
}

namespace detail {
namespace {

bool IsLoopback(std::string_view host) {
  if (host == "localhost" || host == "::1") return true;
  unsigned char addr[4];
  std::string h(host);
  return inet_pton(AF_INET, h.c_str(), addr) == 1 && addr[0] == 127;
}

struct UrlParts {
  std::string scheme, host;
};

// scheme://host[:port][/path]; no user info (credentials belong in files, not in the URL).
Result<UrlParts> SplitUrl(std::string_view url, std::initializer_list<std::string_view> schemes) {
  for (char c : url) {
    if (c <= ' ' || c == 0x7f) return InvalidArgumentError("the URL contains whitespace");
  }
  UrlParts out;
  for (auto s : schemes) {
    if (url.starts_with(std::string(s) + "://")) out.scheme = std::string(s);
  }
  if (out.scheme.empty()) {
    std::string list;
    for (auto s : schemes) list += (list.empty() ? "" : ", ") + std::string(s) + "://";
    return InvalidArgumentError("'" + std::string(url) + "' must start with " + list);
  }
  std::string_view rest = url.substr(out.scheme.size() + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos) {
    return InvalidArgumentError(
        "user info is not allowed in the URL (use username and password_file)");
  }
  std::string_view host = authority;
  if (!host.empty() && host.front() == '[') {
    auto close = host.find(']');
    host = close == std::string_view::npos ? std::string_view() : host.substr(1, close - 1);
  } else if (auto colon = host.rfind(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  if (host.empty()) return InvalidArgumentError("'" + std::string(url) + "' has no host");
  out.host = std::string(host);
  return out;
}

Status ValidateMailbox(std::string_view v) {
  auto at = v.find('@');
  if (at == 0 || at == std::string_view::npos || at + 1 >= v.size() ||
      v.find_first_of(" \t\r\n<>,;\"") != std::string_view::npos) {
    return InvalidArgumentError("'" + std::string(v) + "' is not an email address (user@host)");
  }
  return OkStatus();
}

Status ParseChannel(std::string_view source, const toml::node& node, int index,
                    AlertChannelConfig& c) {
  const std::string prefix = "alerts.channel[" + std::to_string(index) + "]";
  const toml::table* t = node.as_table();
  if (t == nullptr) return KeyError(source, node, prefix, "expected a table ([[alerts.channel]])");
  c.line = Line(node);
  const toml::node* type = t->get("type");
  if (type == nullptr) {
    return KeyError(source, node, prefix + ".type", "required (email, webhook, slack or log)");
  }
  ASSIGN_OR_RETURN(c.type, GetString(source, *type, prefix + ".type"));
  KeySet known = {"type", "name", "min_severity"};
  if (c.type == "email") {
    known.insert(
        {"smtp", "from", "to", "starttls", "ca_bundle", "username", "password_file", "timeout"});
  } else if (c.type == "webhook") {
    known.insert({"url", "secret_file", "ca_bundle", "timeout"});
  } else if (c.type == "slack") {
    known.insert({"url", "ca_bundle", "timeout"});
  } else if (c.type != "log") {
    return KeyError(
        source, *type, prefix + ".type",
        "unknown channel type '" + c.type + "' (expected email, webhook, slack or log)");
  }
  RETURN_IF_ERROR(CheckKnownKeys(source, *t, prefix, known));
  auto str = [&](const char* key, std::string& out) -> Status {
    if (const toml::node* n = t->get(key)) {
      ASSIGN_OR_RETURN(out, GetString(source, *n, prefix + "." + key));
    }
    return OkStatus();
  };
  auto required = [&](const char* key, std::string& out, const char* hint) -> Status {
    if (t->get(key) == nullptr) return KeyError(source, node, prefix + "." + key, hint);
    RETURN_IF_ERROR(str(key, out));
    if (out.empty()) return KeyError(source, *t->get(key), prefix + "." + key, "must not be empty");
    return OkStatus();
  };
  RETURN_IF_ERROR(str("name", c.name));
  if (t->get("name") != nullptr && !IsValidObjectName(c.name)) {
    return KeyError(source, *t->get("name"), prefix + ".name",
                    "channel names are 1..63 of a-z, 0-9, '.', '_', '-'");
  }
  if (const toml::node* n = t->get("min_severity")) {
    ASSIGN_OR_RETURN(std::string text, GetString(source, *n, prefix + ".min_severity"));
    auto sev = ParseAlertSeverity(text);
    if (!sev.ok()) return KeyError(source, *n, prefix + ".min_severity", sev.status().message());
    c.min_severity = *sev;
  }
  if (const toml::node* n = t->get("timeout")) {
    ASSIGN_OR_RETURN(std::string text, GetString(source, *n, prefix + ".timeout"));
    auto d = ParseDuration(text);
    if (!d.ok()) return KeyError(source, *n, prefix + ".timeout", d.status().message());
    if (*d < std::chrono::seconds(1) || *d > std::chrono::minutes(5)) {
      return KeyError(source, *n, prefix + ".timeout", "must be between 1s and 5m");
    }
    c.timeout = *d;
  }
  auto path = [&](const char* key, std::string& out) -> Status {
    if (const toml::node* n = t->get(key)) {
      ASSIGN_OR_RETURN(out, GetAbsolutePath(source, *n, prefix + "." + key));
    }
    return OkStatus();
  };
  RETURN_IF_ERROR(path("ca_bundle", c.ca_bundle));
  if (c.type == "email") {
    RETURN_IF_ERROR(
        required("smtp", c.smtp, "required (smtp://host:587 for STARTTLS, smtps://host:465)"));
    auto url = SplitUrl(c.smtp, {"smtp", "smtps"});
    if (!url.ok())
      return KeyError(source, *t->get("smtp"), prefix + ".smtp", url.status().message());
    if (const toml::node* n = t->get("starttls")) {
      ASSIGN_OR_RETURN(std::string mode, GetString(source, *n, prefix + ".starttls"));
      if (mode == "required") {
        c.starttls_required = true;
      } else if (mode == "none") {
        // Mail carries certificate names and hosts; in clear text only to a local test sink.
        if (url->scheme != "smtp" || !IsLoopback(url->host)) {
          return KeyError(source, *n, prefix + ".starttls",
                          "\"none\" is only allowed for an smtp:// server on loopback");
        }
        c.starttls_required = false;
      } else {
        return KeyError(source, *n, prefix + ".starttls",
                        "expected \"required\" or \"none\", got '" + mode + "'");
      }
    }
    RETURN_IF_ERROR(required("from", c.from, "required (the sender address)"));
    if (Status st = ValidateMailbox(c.from); !st.ok()) {
      return KeyError(source, *t->get("from"), prefix + ".from", st.message());
    }
    const toml::node* to = t->get("to");
    if (to == nullptr) return KeyError(source, node, prefix + ".to", "required (recipients)");
    ASSIGN_OR_RETURN(c.to, GetStringList(source, *to, prefix + ".to", ValidateMailbox));
    if (c.to.empty()) return KeyError(source, *to, prefix + ".to", "needs at least one address");
    RETURN_IF_ERROR(str("username", c.username));
    RETURN_IF_ERROR(path("password_file", c.password_file));
    if (!c.password_file.empty() && c.username.empty()) {
      return KeyError(source, *t->get("password_file"), prefix + ".password_file",
                      "needs username");
    }
  } else if (c.type == "webhook" || c.type == "slack") {
    RETURN_IF_ERROR(required("url", c.url, "required (https://...)"));
    auto url = SplitUrl(c.url, {"https", "http"});
    if (!url.ok()) return KeyError(source, *t->get("url"), prefix + ".url", url.status().message());
    if (url->scheme == "http" && !IsLoopback(url->host)) {
      return KeyError(source, *t->get("url"), prefix + ".url",
                      "must be https:// (http:// only for a loopback receiver)");
    }
    if (c.type == "webhook") RETURN_IF_ERROR(path("secret_file", c.secret_file));
  }
  return OkStatus();
}

}  // namespace

Status ParseAlertsTable(std::string_view source, const toml::node& node, AlertsConfig& out) {
  const toml::table* t = node.as_table();
  if (t == nullptr) return KeyError(source, node, "alerts", "expected a table ([alerts])");
  out.line = Line(node);
  RETURN_IF_ERROR(CheckKnownKeys(source, *t, "alerts",
                                 {"thresholds", "failure_streak", "overdue_grace", "ca_warn_before",
                                  "interval", "repeat_interval", "channel"}));
  if (const toml::node* n = t->get("thresholds")) {
    ASSIGN_OR_RETURN(
        auto texts,
        GetStringList(source, *n, "alerts.thresholds", [](std::string_view v) -> Status {
          ASSIGN_OR_RETURN(auto d, ParseDuration(v));
          if (d.count() <= 0) {
            return InvalidArgumentError("thresholds must be positive");
          }
          return OkStatus();
        }));
    out.thresholds.clear();
    for (const auto& text : texts) out.thresholds.push_back(*ParseDuration(text));
    std::sort(out.thresholds.begin(), out.thresholds.end(), std::greater<>());
    if (std::adjacent_find(out.thresholds.begin(), out.thresholds.end()) != out.thresholds.end()) {
      return KeyError(source, *n, "alerts.thresholds", "thresholds must differ");
    }
  }
  if (const toml::node* n = t->get("failure_streak")) {
    ASSIGN_OR_RETURN(int64_t v, GetInteger(source, *n, "alerts.failure_streak"));
    if (v < 1 || v > 1000) {
      return KeyError(source, *n, "alerts.failure_streak", "must be between 1 and 1000");
    }
    out.failure_streak = static_cast<int>(v);
  }
  for (auto [key, field, min] :
       {std::tuple{"overdue_grace", &out.overdue_grace, std::chrono::seconds(0)},
        std::tuple{"ca_warn_before", &out.ca_warn_before, std::chrono::seconds(0)},
        std::tuple{"interval", &out.interval, std::chrono::seconds(1)},
        std::tuple{"repeat_interval", &out.repeat_interval, std::chrono::seconds(0)}}) {
    const toml::node* n = t->get(key);
    if (n == nullptr) continue;
    const std::string full = std::string("alerts.") + key;
    ASSIGN_OR_RETURN(std::string text, GetString(source, *n, full));
    auto d = ParseDuration(text);
    if (!d.ok()) return KeyError(source, *n, full, d.status().message());
    if (*d < min) return KeyError(source, *n, full, "must be at least " + FormatDuration(min));
    *field = *d;
  }
  if (const toml::node* n = t->get("repeat_interval");
      n != nullptr && out.repeat_interval.count() > 0 && out.repeat_interval < out.interval) {
    return KeyError(source, *n, "alerts.repeat_interval",
                    "must be \"0s\" (no reminders) or at least alerts.interval (" +
                        FormatDuration(out.interval) + ")");
  }
  if (const toml::node* n = t->get("channel")) {
    const toml::array* arr = n->as_array();
    if (arr == nullptr) {
      return KeyError(source, *n, "alerts.channel", "expected tables ([[alerts.channel]])");
    }
    std::map<std::string, int> per_type;
    int index = 0;
    for (const toml::node& el : *arr) {
      AlertChannelConfig c;
      RETURN_IF_ERROR(ParseChannel(source, el, index, c));
      if (c.name.empty()) {
        int n_of_type = ++per_type[c.type];
        c.name = n_of_type == 1 ? c.type : c.type + "-" + std::to_string(n_of_type);
      }
      for (const auto& other : out.channels) {
        if (other.name == c.name) {
          return KeyError(source, el, "alerts.channel[" + std::to_string(index) + "].name",
                          "duplicate channel name '" + c.name + "' (set name = \"...\")");
        }
      }
      out.channels.push_back(std::move(c));
      ++index;
    }
  }
  return OkStatus();
}

}  // namespace detail

Status CheckAlertFiles(std::string_view source, const AlertsConfig& alerts) {
  auto fail = [&](const Status& st, int line, const std::string& key) {
    return Status(st.code(), std::string(source) + ":" + std::to_string(line) + ": " + key + ": " +
                                 st.message());
  };
  int index = 0;
  for (const auto& c : alerts.channels) {
    const std::string prefix = "alerts.channel[" + std::to_string(index++) + "]";
    if (!c.ca_bundle.empty() && ::access(c.ca_bundle.c_str(), R_OK) != 0) {
      return fail(NotFoundError(c.ca_bundle + " cannot be read: " + std::strerror(errno)), c.line,
                  prefix + ".ca_bundle");
    }
    for (auto [key, file] :
         {std::pair{"password_file", &c.password_file}, std::pair{"secret_file", &c.secret_file}}) {
      if (file->empty()) continue;
      if (Status st = CheckSecretFileMode(*file); !st.ok()) {
        return fail(st, c.line, prefix + "." + key);
      }
    }
  }
  return OkStatus();
}

}  // namespace ck::config
