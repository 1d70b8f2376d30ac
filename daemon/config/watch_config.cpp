// [[watch]] and [monitor] (issue 6). Everything checkable without the network is checked here,
// so a typo in an endpoint is a config error, not a check that fails every hour.
#include "daemon/config/watch_config.hpp"

#include <arpa/inet.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <map>

#include "common/duration.hpp"
#include "daemon/config/toml_helpers.hpp"

namespace ck::config {

std::string WatchConfig::EndpointTarget() const {
  if (endpoint.empty()) return "";
  std::string target =
      (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
  if (!sni.empty() && sni != host) target += "/" + sni;
  return target;
}

namespace detail {
namespace {

bool IsHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

bool IsHostName(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  for (char c : s) {
    if (!IsHostChar(c)) return false;
  }
  return true;
}

// "host:port", "192.0.2.1:443", "[2001:db8::1]:443".
Status ParseEndpoint(std::string_view text, WatchConfig& out) {
  auto bad = [&](std::string_view why) {
    return InvalidArgumentError("'" + std::string(text) + "': " + std::string(why) +
                                " (expected HOST:PORT, e.g. mail.example.com:465)");
  };
  auto split = detail::SplitHostPort(text);
  if (!split.ok()) return bad(split.status().message());
  out.host = split->host;
  // Bracketed hosts are IPv6 literals (checked by the split); others must be names or IPv4.
  if (text.front() != '[' && !IsHostName(out.host)) return bad("not a host name or address");
  std::string_view port_text = split->port;
  unsigned port = 0;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || ptr != port_text.data() + port_text.size() ||
      port == 0 || port > 65535) {
    return bad("port must be a number from 1 to 65535");
  }
  out.port = static_cast<uint16_t>(port);
  out.endpoint = std::string(text);
  return OkStatus();
}

Status ParseWatch(std::string_view source, const toml::node& node, size_t index, WatchConfig& w) {
  const std::string prefix = "watch[" + std::to_string(index) + "]";
  const toml::table* t = node.as_table();
  if (t == nullptr) return KeyError(source, node, prefix, "expected a table ([[watch]])");
  w.line = Line(node);
  RETURN_IF_ERROR(
      CheckKnownKeys(source, *t, prefix,
                     {"name", "endpoint", "sni", "starttls", "files", "ca_bundle", "timeout"}));
  const toml::node* endpoint = t->get("endpoint");
  const toml::node* files = t->get("files");
  if ((endpoint == nullptr) == (files == nullptr)) {
    return KeyError(source, node, prefix,
                    "needs exactly one of endpoint = \"HOST:PORT\" or files = \"/path/glob*.pem\"");
  }
  if (const toml::node* n = t->get("name")) {
    ASSIGN_OR_RETURN(w.name, GetString(source, *n, prefix + ".name"));
    if (w.name.empty()) return KeyError(source, *n, prefix + ".name", "must not be empty");
  }
  if (endpoint != nullptr) {
    ASSIGN_OR_RETURN(std::string text, GetString(source, *endpoint, prefix + ".endpoint"));
    if (Status s = ParseEndpoint(text, w); !s.ok()) {
      return KeyError(source, *endpoint, prefix + ".endpoint", s.message());
    }
  }
  if (files != nullptr) {
    const std::string key = prefix + ".files";
    if (files->is_string()) {
      w.files.push_back(*files->value<std::string>());
    } else {
      ASSIGN_OR_RETURN(w.files, GetStringList(source, *files, key));
      if (w.files.empty()) return KeyError(source, *files, key, "needs at least one pattern");
    }
    for (const auto& pattern : w.files) {
      // The daemon runs with cwd /: a relative pattern would silently match nothing.
      if (pattern.empty() || pattern.front() != '/') {
        return KeyError(source, *files, key, "'" + pattern + "' must be an absolute path or glob");
      }
    }
  }
  for (const char* endpoint_only : {"sni", "starttls"}) {
    if (const toml::node* n = t->get(endpoint_only); n != nullptr && endpoint == nullptr) {
      return KeyError(source, *n, prefix + "." + endpoint_only, "only applies to an endpoint");
    }
  }
  if (const toml::node* n = t->get("sni")) {
    ASSIGN_OR_RETURN(w.sni, GetString(source, *n, prefix + ".sni"));
    if (!IsHostName(w.sni)) {
      return KeyError(source, *n, prefix + ".sni", "'" + w.sni + "' is not a DNS name");
    }
  }
  if (const toml::node* n = t->get("starttls")) {
    ASSIGN_OR_RETURN(w.starttls, GetString(source, *n, prefix + ".starttls"));
    if (w.starttls != "smtp" && w.starttls != "imap" && w.starttls != "postgres") {
      return KeyError(source, *n, prefix + ".starttls",
                      "unknown protocol '" + w.starttls + "' (expected smtp, imap or postgres)");
    }
  }
  if (const toml::node* n = t->get("ca_bundle")) {
    ASSIGN_OR_RETURN(w.ca_bundle, GetAbsolutePath(source, *n, prefix + ".ca_bundle"));
  }
  if (const toml::node* n = t->get("timeout")) {
    ASSIGN_OR_RETURN(std::string text, GetString(source, *n, prefix + ".timeout"));
    auto d = ParseDuration(text);
    if (!d.ok()) return KeyError(source, *n, prefix + ".timeout", d.status().message());
    if (*d <= std::chrono::seconds(0) || *d > std::chrono::minutes(5)) {
      return KeyError(source, *n, prefix + ".timeout", "must be between 1s and 5m");
    }
    w.timeout = *d;
  }
  return OkStatus();
}

Result<std::chrono::seconds> ReadDuration(std::string_view source, const toml::table& t,
                                          const char* name, std::chrono::seconds min,
                                          std::chrono::seconds max, std::chrono::seconds fallback) {
  const toml::node* n = t.get(name);
  if (n == nullptr) return fallback;
  const std::string key = std::string("monitor.") + name;
  ASSIGN_OR_RETURN(std::string text, GetString(source, *n, key));
  auto d = ParseDuration(text);
  if (!d.ok()) return KeyError(source, *n, key, d.status().message());
  if (*d < min || *d > max) {
    return KeyError(source, *n, key,
                    "must be between " + FormatDuration(min) + " and " + FormatDuration(max));
  }
  return *d;
}

}  // namespace

Status ParseWatches(std::string_view source, const toml::node& node, Config& cfg) {
  const toml::array* arr = node.as_array();
  if (arr == nullptr) {
    return KeyError(source, node, "watch",
                    "expected [[watch]] tables (note the double brackets), got " + TypeName(node));
  }
  std::map<std::string, int> seen;  // endpoint target -> line
  for (const toml::node& el : *arr) {
    WatchConfig w;
    RETURN_IF_ERROR(ParseWatch(source, el, cfg.watches.size(), w));
    if (w.is_endpoint()) {
      auto [it, fresh] = seen.emplace(w.EndpointTarget(), w.line);
      if (!fresh) {
        return KeyErrorAt(source, w.line, "watch[" + std::to_string(cfg.watches.size()) + "]",
                          "endpoint " + it->first + " is already watched (line " +
                              std::to_string(it->second) + ")");
      }
    }
    cfg.watches.push_back(std::move(w));
  }
  return OkStatus();
}

Status ParseMonitorTable(std::string_view source, const toml::node& node, MonitorConfig& out) {
  const toml::table* t = node.as_table();
  if (t == nullptr) return KeyError(source, node, "monitor", "expected a table ([monitor])");
  out.line = Line(node);
  RETURN_IF_ERROR(
      CheckKnownKeys(source, *t, "monitor", {"interval", "concurrency", "timeout", "warn_before"}));
  using std::chrono::hours;
  using std::chrono::minutes;
  using std::chrono::seconds;
  ASSIGN_OR_RETURN(out.interval,
                   ReadDuration(source, *t, "interval", seconds(10), hours(24 * 7), out.interval));
  ASSIGN_OR_RETURN(out.timeout,
                   ReadDuration(source, *t, "timeout", seconds(1), minutes(5), out.timeout));
  ASSIGN_OR_RETURN(out.warn_before, ReadDuration(source, *t, "warn_before", seconds(1),
                                                 hours(24 * 3650), out.warn_before));
  if (const toml::node* n = t->get("concurrency")) {
    ASSIGN_OR_RETURN(int64_t v, GetInteger(source, *n, "monitor.concurrency"));
    if (v < 1 || v > 256) {
      return KeyError(source, *n, "monitor.concurrency", "must be between 1 and 256");
    }
    out.concurrency = static_cast<int>(v);
  }
  return OkStatus();
}

Status CheckWatchFiles(const Config& config) {
  for (size_t i = 0; i < config.watches.size(); ++i) {
    const WatchConfig& w = config.watches[i];
    if (w.ca_bundle.empty()) continue;
    if (::access(w.ca_bundle.c_str(), R_OK) != 0) {
      return NotFoundError(config.source_path + ":" + std::to_string(w.line) + ": watch[" +
                           std::to_string(i) + "].ca_bundle: " + w.ca_bundle +
                           " cannot be read: " + std::strerror(errno));
    }
  }
  return OkStatus();
}

}  // namespace detail
}  // namespace ck::config
