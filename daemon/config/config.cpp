#include "daemon/config/config.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <set>

#include "common/file_util.hpp"

namespace ck::config {
namespace {

std::string TypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    default: return "a date/time";
  }
}

// Collects the position of a node for error messages.
std::string Where(std::string_view source, const toml::node& node) {
  const auto& begin = node.source().begin;
  return std::string(source) + ":" + std::to_string(begin.line);
}

Status KeyError(std::string_view source, const toml::node& node, std::string_view key,
                std::string_view message) {
  return InvalidArgumentError(Where(source, node) + ": " + std::string(key) + ": " +
                              std::string(message));
}

Result<std::string> GetString(std::string_view source, const toml::node& node,
                              std::string_view key) {
  if (auto v = node.value<std::string>(); v && node.is_string()) return *v;
  return KeyError(source, node, key, "expected a string, got " + TypeName(node));
}

// Edit distance, for "did you mean" hints on misspelled keys.
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// Rejects keys this version does not know, so "lisen = ..." is an error, not a no-op.
Status CheckKnownKeys(std::string_view source, const toml::table& table, std::string_view prefix,
                      const std::set<std::string, std::less<>>& known) {
  for (const auto& [key, node] : table) {
    if (!known.contains(key.str())) {
      std::string full = prefix.empty() ? std::string(key.str())
                                        : std::string(prefix) + "." + std::string(key.str());
      std::string known_list;
      std::string suggestion;
      size_t best = 3;  // only suggest close matches
      for (const auto& k : known) {
        known_list += (known_list.empty() ? "" : ", ") + k;
        size_t d = EditDistance(key.str(), k);
        if (d < best) {
          best = d;
          suggestion = k;
        }
      }
      std::string hint = suggestion.empty() ? "" : "did you mean '" + suggestion + "'? ";
      return KeyError(source, node, full,
                      "unknown key (" + hint + "known keys here: " + known_list + ")");
    }
  }
  return OkStatus();
}

Status ParseLogTable(std::string_view source, const toml::table& table, LogConfig& out) {
  RETURN_IF_ERROR(CheckKnownKeys(source, table, "log", {"level", "format"}));
  if (const toml::node* n = table.get("level")) {
    ASSIGN_OR_RETURN(std::string text, GetString(source, *n, "log.level"));
    auto level = log::ParseLevel(text);
    if (!level.ok()) return KeyError(source, *n, "log.level", level.status().message());
    out.level = *level;
  }
  if (const toml::node* n = table.get("format")) {
    ASSIGN_OR_RETURN(std::string text, GetString(source, *n, "log.format"));
    auto format = log::ParseFormat(text);
    if (!format.ok()) return KeyError(source, *n, "log.format", format.status().message());
    out.format = *format;
  }
  return OkStatus();
}

}  // namespace

std::string ListenAddress::ToString() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

Result<ListenAddress> ParseListenAddress(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return InvalidArgumentError("invalid listen address '" + std::string(text) + "': " +
                                std::string(why) + " (expected HOST:PORT, e.g. 127.0.0.1:8443)");
  };
  ListenAddress out;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return bad("malformed IPv6 literal");
    }
    out.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("missing port");
    out.host = std::string(text.substr(0, colon));
    if (out.host.find(':') != std::string::npos) return bad("IPv6 addresses need brackets");
    port_text = text.substr(colon + 1);
  }
  if (out.host.empty()) return bad("missing host");
  unsigned port = 0;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port > 65535) {
    return bad("port must be a number from 0 to 65535");
  }
  out.port = static_cast<uint16_t>(port);
  return out;
}

Result<Config> ParseConfig(std::string_view toml_text, std::string_view source_name) {
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    return InvalidArgumentError(std::string(source_name) + ":" +
                                std::to_string(e.source().begin.line) + ": " +
                                std::string(e.description()));
  }
  Config cfg;
  cfg.source_path = std::string(source_name);
  cfg.listen = *ParseListenAddress(kDefaultListen);
  RETURN_IF_ERROR(
      CheckKnownKeys(source_name, root, "", {"state_dir", "listen", "master_key_file", "log"}));
  if (const toml::node* n = root.get("state_dir")) {
    ASSIGN_OR_RETURN(cfg.state_dir, GetString(source_name, *n, "state_dir"));
    if (cfg.state_dir.empty() || cfg.state_dir.front() != '/') {
      return KeyError(source_name, *n, "state_dir", "must be an absolute path");
    }
  }
  if (const toml::node* n = root.get("listen")) {
    ASSIGN_OR_RETURN(std::string text, GetString(source_name, *n, "listen"));
    auto addr = ParseListenAddress(text);
    if (!addr.ok()) return KeyError(source_name, *n, "listen", addr.status().message());
    cfg.listen = *addr;
  }
  if (const toml::node* n = root.get("master_key_file")) {
    ASSIGN_OR_RETURN(cfg.master_key_file, GetString(source_name, *n, "master_key_file"));
    if (cfg.master_key_file.empty()) {
      return KeyError(source_name, *n, "master_key_file", "must not be empty");
    }
  }
  if (const toml::node* n = root.get("log")) {
    const toml::table* t = n->as_table();
    if (!t) return KeyError(source_name, *n, "log", "expected a table ([log])");
    RETURN_IF_ERROR(ParseLogTable(source_name, *t, cfg.log));
  }
  return cfg;
}

Result<Config> LoadConfigFile(const std::string& path) {
  auto text = ReadFile(path, 4 * 1024 * 1024);
  if (!text.ok()) return text.status().WithContext("config");
  return ParseConfig(*text, path);
}

}  // namespace ck::config
