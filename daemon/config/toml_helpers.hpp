// Shared by the config parsers (config.cpp, acme_config.cpp, certificate_config.cpp): typed reads
// of toml++ nodes whose errors name the file, the line and the key. Private to daemon/config.
#pragma once

#include <toml++/toml.h>

#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"
#include "daemon/config/config.hpp"

namespace ck::config::detail {

using KeySet = std::set<std::string, std::less<>>;

std::string TypeName(const toml::node& node);  // "a string", "an integer", ...
int Line(const toml::node& node);
// "FILE:LINE: KEY: MESSAGE" as InvalidArgument.
Status KeyError(std::string_view source, const toml::node& node, std::string_view key,
                std::string_view message);
Status KeyErrorAt(std::string_view source, int line, std::string_view key,
                  std::string_view message);

Result<std::string> GetString(std::string_view source, const toml::node& node,
                              std::string_view key);
Result<bool> GetBool(std::string_view source, const toml::node& node, std::string_view key);
Result<int64_t> GetInteger(std::string_view source, const toml::node& node, std::string_view key);

using ListValidator = std::function<Status(std::string_view)>;
Result<std::vector<std::string>> GetStringList(std::string_view source, const toml::node& node,
                                               const std::string& key,
                                               const ListValidator& validate = nullptr);

// A string with "must be an absolute path" otherwise (the daemon runs with cwd /).
Result<std::string> GetAbsolutePath(std::string_view source, const toml::node& node,
                                    const std::string& key);

// The closest of `known` to `word` (edit distance < 3), or "".
std::string DidYouMean(std::string_view word, const KeySet& known);

// Rejects keys this version does not know, with a "did you mean" hint for close matches.
Status CheckKnownKeys(std::string_view source, const toml::table& table, std::string_view prefix,
                      const KeySet& known);

// [acme] (after [ca] so nothing depends on order in the file).
Status ParseAcmeTable(std::string_view source, const toml::node& node, AcmeConfig& out);
// [metrics] (metrics_config.cpp).
Status ParseMetricsTable(std::string_view source, const toml::node& node, MetricsConfig& out);
// [[certificate]]; needs the parsed [acme] and [ca] to check issuer references.
Status ParseCertificates(std::string_view source, const toml::node& node, Config& cfg);
// [alerts] and [[alerts.channel]] (alerts_config.cpp).
Status ParseAlertsTable(std::string_view source, const toml::node& node, AlertsConfig& out);
// [[watch]] and [monitor] (watch_config.cpp).
Status ParseWatches(std::string_view source, const toml::node& node, Config& cfg);
Status ParseMonitorTable(std::string_view source, const toml::node& node, MonitorConfig& out);
// Every [[watch]] ca_bundle readable (NotFound naming file, line and key).
Status CheckWatchFiles(const Config& config);
// A name used in paths and as a table key: [a-z0-9][a-z0-9._-]{0,62}.
bool IsValidObjectName(std::string_view name);
// "IPv4" or "IPv4:port" (port 1..65535), as the DNS solvers take servers.
Status ValidateDnsServer(std::string_view text);

// Splits "host:port" or "[IPv6]:port" (the listen address, watch endpoints). The error message
// is the reason alone ("missing port"); callers put it in their own context. The host is not
// checked beyond the brackets; the port text is not parsed.
struct HostPortText {
  std::string host;
  std::string_view port;  // points into the text given
};
Result<HostPortText> SplitHostPort(std::string_view text);

}  // namespace ck::config::detail
