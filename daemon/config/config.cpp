#include "daemon/config/config.hpp"

#include <arpa/inet.h>
#include <sys/stat.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <set>

#include "ca/name_policy.hpp"
#include "common/duration.hpp"
#include "common/file_util.hpp"
#include "daemon/config/toml_helpers.hpp"

namespace ck::config {
namespace detail {

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

int Line(const toml::node& node) { return static_cast<int>(node.source().begin.line); }

Status KeyErrorAt(std::string_view source, int line, std::string_view key,
                  std::string_view message) {
  return InvalidArgumentError(std::string(source) + ":" + std::to_string(line) + ": " +
                              std::string(key) + ": " + std::string(message));
}

Status KeyError(std::string_view source, const toml::node& node, std::string_view key,
                std::string_view message) {
  return KeyErrorAt(source, Line(node), key, message);
}

Result<std::string> GetString(std::string_view source, const toml::node& node,
                              std::string_view key) {
  if (auto v = node.value<std::string>(); v && node.is_string()) return *v;
  return KeyError(source, node, key, "expected a string, got " + TypeName(node));
}

Result<bool> GetBool(std::string_view source, const toml::node& node, std::string_view key) {
  if (node.is_boolean()) return *node.value<bool>();
  return KeyError(source, node, key, "expected true or false, got " + TypeName(node));
}

Result<int64_t> GetInteger(std::string_view source, const toml::node& node, std::string_view key) {
  if (node.is_integer()) return *node.value<int64_t>();
  return KeyError(source, node, key, "expected an integer, got " + TypeName(node));
}

Result<std::vector<std::string>> GetStringList(std::string_view source, const toml::node& node,
                                               const std::string& key,
                                               const ListValidator& validate) {
  const toml::array* arr = node.as_array();
  if (arr == nullptr) {
    return KeyError(source, node, key, "expected an array of strings, got " + TypeName(node));
  }
  std::vector<std::string> out;
  for (const toml::node& el : *arr) {
    if (!el.is_string()) return KeyError(source, el, key, "expected strings, got " + TypeName(el));
    std::string v = *el.value<std::string>();
    if (validate) {
      if (Status st = validate(v); !st.ok()) return KeyError(source, el, key, st.message());
    }
    out.push_back(std::move(v));
  }
  return out;
}

namespace {
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
}  // namespace

Result<std::string> GetAbsolutePath(std::string_view source, const toml::node& node,
                                    const std::string& key) {
  ASSIGN_OR_RETURN(std::string path, GetString(source, node, key));
  if (path.empty() || path.front() != '/') {
    return KeyError(source, node, key, "must be an absolute path");
  }
  return path;
}

std::string DidYouMean(std::string_view word, const KeySet& known) {
  std::string suggestion;
  size_t best = 3;  // only suggest close matches
  for (const auto& k : known) {
    if (size_t d = EditDistance(word, k); d < best) {
      best = d;
      suggestion = k;
    }
  }
  return suggestion;
}

// Rejects keys this version does not know, so "lisen = ..." is an error, not a no-op.
Status CheckKnownKeys(std::string_view source, const toml::table& table, std::string_view prefix,
                      const KeySet& known) {
  for (const auto& [key, node] : table) {
    if (!known.contains(key.str())) {
      std::string full = prefix.empty() ? std::string(key.str())
                                        : std::string(prefix) + "." + std::string(key.str());
      std::string known_list;
      for (const auto& k : known) known_list += (known_list.empty() ? "" : ", ") + k;
      const std::string suggestion = DidYouMean(key.str(), known);
      std::string hint = suggestion.empty() ? "" : "did you mean '" + suggestion + "'? ";
      return KeyError(source, node, full,
                      "unknown key (" + hint + "known keys here: " + known_list + ")");
    }
  }
  return OkStatus();
}

}  // namespace detail

namespace {

using namespace detail;  // NOLINT(google-build-using-namespace): the parser's own helpers

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

// --- [ca] ---

// Reads key `name` of `table` (if present) with `parse`, which turns the text into T.
template <typename T, typename Parse>
Status ReadParsed(std::string_view source, const toml::table& table, const std::string& prefix,
                  const char* name, T& out, Parse parse) {
  const toml::node* n = table.get(name);
  if (n == nullptr) return OkStatus();
  const std::string key = prefix + "." + name;
  ASSIGN_OR_RETURN(std::string text, GetString(source, *n, key));
  auto parsed = parse(text);
  if (!parsed.ok()) return KeyError(source, *n, key, parsed.status().message());
  out = *parsed;
  return OkStatus();
}

Status ReadList(std::string_view source, const toml::table& table, const std::string& prefix,
                const char* name, std::vector<std::string>& out, const ListValidator& validate) {
  const toml::node* n = table.get(name);
  if (n == nullptr) return OkStatus();
  ASSIGN_OR_RETURN(out, GetStringList(source, *n, prefix + "." + name, validate));
  return OkStatus();
}

Status ValidateDnsConstraintEntry(std::string_view v) {
  ca::NameConstraints nc;
  nc.permitted_dns.emplace_back(v);
  return ca::ValidateNameConstraints(nc);
}
Status ValidateIpConstraintEntry(std::string_view v) { return ca::ValidateIpPattern(v); }
Status ValidateEmailConstraintEntry(std::string_view v) {
  ca::NameConstraints nc;
  nc.permitted_email.emplace_back(v);
  return ca::ValidateNameConstraints(nc);
}

Status ParseNameConstraints(std::string_view source, const toml::table& t, ca::CaSettings& out) {
  const std::string p = "ca.name_constraints";
  RETURN_IF_ERROR(
      CheckKnownKeys(source, t, p,
                     {"apply_to", "permitted_dns", "excluded_dns", "permitted_ip", "excluded_ip",
                      "permitted_uri", "excluded_uri", "permitted_email", "excluded_email"}));
  RETURN_IF_ERROR(
      ReadParsed(source, t, p, "apply_to", out.constraint_target, ca::ParseConstraintTarget));
  auto& nc = out.name_constraints;
  RETURN_IF_ERROR(
      ReadList(source, t, p, "permitted_dns", nc.permitted_dns, ValidateDnsConstraintEntry));
  RETURN_IF_ERROR(
      ReadList(source, t, p, "excluded_dns", nc.excluded_dns, ValidateDnsConstraintEntry));
  RETURN_IF_ERROR(
      ReadList(source, t, p, "permitted_ip", nc.permitted_ip, ValidateIpConstraintEntry));
  RETURN_IF_ERROR(ReadList(source, t, p, "excluded_ip", nc.excluded_ip, ValidateIpConstraintEntry));
  RETURN_IF_ERROR(
      ReadList(source, t, p, "permitted_uri", nc.permitted_uri, ValidateDnsConstraintEntry));
  RETURN_IF_ERROR(
      ReadList(source, t, p, "excluded_uri", nc.excluded_uri, ValidateDnsConstraintEntry));
  RETURN_IF_ERROR(
      ReadList(source, t, p, "permitted_email", nc.permitted_email, ValidateEmailConstraintEntry));
  return ReadList(source, t, p, "excluded_email", nc.excluded_email, ValidateEmailConstraintEntry);
}

Status ParseProfile(std::string_view source, const std::string& name, const toml::node& node,
                    ca::Profile& p) {
  const std::string prefix = "ca.profiles." + name;
  const toml::table* t = node.as_table();
  if (t == nullptr) return KeyError(source, node, prefix, "expected a table");
  bool name_ok = !name.empty() && name.size() <= 32;
  for (char c : name)
    name_ok = name_ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_');
  if (!name_ok)
    return KeyError(source, node, prefix, "profile names are 1..32 of a-z, 0-9, '-', '_'");
  RETURN_IF_ERROR(CheckKnownKeys(
      source, *t, prefix,
      {"lifetime", "max_lifetime", "ekus", "san_types", "allow_wildcards", "key_type", "allow_dns",
       "deny_dns", "allow_ip", "deny_ip", "allow_uri", "deny_uri", "allow_email", "deny_email"}));
  RETURN_IF_ERROR(ReadParsed(source, *t, prefix, "lifetime", p.lifetime, ParseDuration));
  RETURN_IF_ERROR(ReadParsed(source, *t, prefix, "max_lifetime", p.max_lifetime, ParseDuration));
  RETURN_IF_ERROR(ReadParsed(source, *t, prefix, "key_type", p.key_type, pki::ParseKeyType));
  if (const toml::node* n = t->get("allow_wildcards")) {
    ASSIGN_OR_RETURN(p.allow_wildcards, GetBool(source, *n, prefix + ".allow_wildcards"));
  }
  if (const toml::node* n = t->get("ekus")) {
    ASSIGN_OR_RETURN(auto names,
                     GetStringList(source, *n, prefix + ".ekus", [](std::string_view v) {
                       return ca::ParseExtendedKeyUsage(v).status();
                     }));
    p.ekus.clear();
    for (const auto& e : names) p.ekus.push_back(*ca::ParseExtendedKeyUsage(e));
  }
  if (const toml::node* n = t->get("san_types")) {
    ASSIGN_OR_RETURN(
        auto names, GetStringList(source, *n, prefix + ".san_types",
                                  [](std::string_view v) { return ca::ParseSanType(v).status(); }));
    p.san_types.clear();
    for (const auto& e : names) p.san_types.push_back(*ca::ParseSanType(e));
  }
  auto& pol = p.policy;
  RETURN_IF_ERROR(ReadList(source, *t, prefix, "allow_dns", pol.allow_dns, ca::ValidateDnsPattern));
  RETURN_IF_ERROR(ReadList(source, *t, prefix, "deny_dns", pol.deny_dns, ca::ValidateDnsPattern));
  RETURN_IF_ERROR(ReadList(source, *t, prefix, "allow_ip", pol.allow_ip, ca::ValidateIpPattern));
  RETURN_IF_ERROR(ReadList(source, *t, prefix, "deny_ip", pol.deny_ip, ca::ValidateIpPattern));
  RETURN_IF_ERROR(ReadList(source, *t, prefix, "allow_uri", pol.allow_uri, ca::ValidateUriPattern));
  RETURN_IF_ERROR(ReadList(source, *t, prefix, "deny_uri", pol.deny_uri, ca::ValidateUriPattern));
  RETURN_IF_ERROR(
      ReadList(source, *t, prefix, "allow_email", pol.allow_email, ca::ValidateEmailPattern));
  RETURN_IF_ERROR(
      ReadList(source, *t, prefix, "deny_email", pol.deny_email, ca::ValidateEmailPattern));
  if (Status st = ca::ValidateProfile(p); !st.ok()) {
    return KeyError(source, node, prefix, st.message());
  }
  return OkStatus();
}

Status ParseCaTable(std::string_view source, const toml::node& node, ca::CaSettings& out) {
  const toml::table* t = node.as_table();
  if (t == nullptr) return KeyError(source, node, "ca", "expected a table ([ca])");
  RETURN_IF_ERROR(CheckKnownKeys(
      source, *t, "ca",
      {"organization", "trust_domain", "crl_url", "ocsp_url", "ca_issuers_url", "root_key_type",
       "intermediate_key_type", "root_lifetime", "intermediate_lifetime", "crl_lifetime",
       "root_crl_lifetime", "ocsp_lifetime", "ocsp_delegated", "ocsp_responder_lifetime",
       "name_constraints", "profiles"}));
  auto text = [](std::string_view v) -> Result<std::string> { return std::string(v); };
  auto url = [](std::string_view v) -> Result<std::string> {
    RETURN_IF_ERROR(ca::ValidateCaUrl(v));
    return std::string(v);
  };
  RETURN_IF_ERROR(ReadParsed(source, *t, "ca", "organization", out.organization, text));
  RETURN_IF_ERROR(ReadParsed(source, *t, "ca", "trust_domain", out.trust_domain,
                             [](std::string_view v) -> Result<std::string> {
                               RETURN_IF_ERROR(
                                   ca::ValidateSpiffeId("spiffe://" + std::string(v) + "/x", ""));
                               return std::string(v);
                             }));
  RETURN_IF_ERROR(ReadParsed(source, *t, "ca", "crl_url", out.crl_url, url));
  RETURN_IF_ERROR(ReadParsed(source, *t, "ca", "ocsp_url", out.ocsp_url, url));
  RETURN_IF_ERROR(ReadParsed(source, *t, "ca", "ca_issuers_url", out.ca_issuers_url, url));
  RETURN_IF_ERROR(
      ReadParsed(source, *t, "ca", "root_key_type", out.root_key_type, pki::ParseKeyType));
  RETURN_IF_ERROR(ReadParsed(source, *t, "ca", "intermediate_key_type", out.intermediate_key_type,
                             pki::ParseKeyType));
  for (auto [name, field] : {std::pair{"root_lifetime", &out.root_lifetime},
                             std::pair{"intermediate_lifetime", &out.intermediate_lifetime},
                             std::pair{"crl_lifetime", &out.crl_lifetime},
                             std::pair{"root_crl_lifetime", &out.root_crl_lifetime},
                             std::pair{"ocsp_lifetime", &out.ocsp_lifetime},
                             std::pair{"ocsp_responder_lifetime", &out.ocsp_responder_lifetime}}) {
    RETURN_IF_ERROR(ReadParsed(source, *t, "ca", name, *field, ParseDuration));
  }
  if (const toml::node* n = t->get("ocsp_delegated")) {
    ASSIGN_OR_RETURN(out.ocsp_delegated, GetBool(source, *n, "ca.ocsp_delegated"));
  }
  if (const toml::node* n = t->get("name_constraints")) {
    const toml::table* nt = n->as_table();
    if (nt == nullptr) {
      return KeyError(source, *n, "ca.name_constraints",
                      "expected a table ([ca.name_constraints])");
    }
    RETURN_IF_ERROR(ParseNameConstraints(source, *nt, out));
  }
  if (const toml::node* n = t->get("profiles")) {
    const toml::table* pt = n->as_table();
    if (pt == nullptr) {
      return KeyError(source, *n, "ca.profiles", "expected tables ([ca.profiles.NAME])");
    }
    out.profiles.clear();
    for (const auto& [name, profile_node] : *pt) {
      ca::Profile p = ca::ProfileDefaults(name.str());
      RETURN_IF_ERROR(ParseProfile(source, std::string(name.str()), profile_node, p));
      out.profiles.push_back(std::move(p));
    }
  }
  // Whole-section rules (e.g. intermediate_lifetime <= root_lifetime).
  if (Status st = ca::ValidateSettings(out); !st.ok()) {
    return KeyError(source, node, "ca", st.message());
  }
  return OkStatus();
}

}  // namespace

std::string ListenAddress::ToString() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

Result<HostPortText> detail::SplitHostPort(std::string_view text) {
  HostPortText out;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return InvalidArgumentError("malformed IPv6 literal");
    }
    out.host = std::string(text.substr(1, close - 1));
    unsigned char addr6[16];
    if (inet_pton(AF_INET6, out.host.c_str(), addr6) != 1) {
      return InvalidArgumentError("brackets are only for IPv6 addresses");
    }
    out.port = text.substr(close + 2);
    return out;
  }
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return InvalidArgumentError("missing port");
  out.host = std::string(text.substr(0, colon));
  if (out.host.find(':') != std::string::npos) {
    return InvalidArgumentError("IPv6 addresses need brackets");
  }
  out.port = text.substr(colon + 1);
  return out;
}

Result<ListenAddress> ParseListenAddress(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return InvalidArgumentError("invalid listen address '" + std::string(text) + "': " +
                                std::string(why) + " (expected HOST:PORT, e.g. 127.0.0.1:8443)");
  };
  auto split = SplitHostPort(text);
  if (!split.ok()) return bad(split.status().message());
  ListenAddress out;
  out.host = split->host;
  std::string_view port_text = split->port;
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
  // toml++ 3.3.0 (Debian 12) can hit __builtin_unreachable on some non-ASCII input
  // (marzer/tomlplusplus#295, fixed upstream by #305). Refuse it before parsing; non-ASCII
  // values can still be written with \uXXXX escapes.
  for (size_t i = 0, line = 1; i < toml_text.size(); ++i) {
    if (toml_text[i] == '\n') ++line;
    if (static_cast<unsigned char>(toml_text[i]) >= 0x80) {
      return InvalidArgumentError(std::string(source_name) + ":" + std::to_string(line) +
                                  ": non-ASCII byte in the configuration; write non-ASCII "
                                  "characters as \\uXXXX escapes inside strings");
    }
  }
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
  RETURN_IF_ERROR(CheckKnownKeys(source_name, root, "",
                                 {"state_dir", "listen", "master_key_file", "log", "ca", "acme",
                                  "certificate", "watch", "monitor", "alerts", "metrics"}));
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
  if (const toml::node* n = root.get("ca")) RETURN_IF_ERROR(ParseCaTable(source_name, *n, cfg.ca));
  if (const toml::node* n = root.get("acme")) {
    RETURN_IF_ERROR(ParseAcmeTable(source_name, *n, cfg.acme));
  }
  if (const toml::node* n = root.get("alerts")) {
    RETURN_IF_ERROR(ParseAlertsTable(source_name, *n, cfg.alerts));
  }
  if (const toml::node* n = root.get("metrics")) {
    RETURN_IF_ERROR(ParseMetricsTable(source_name, *n, cfg.metrics));
  }
  // Last: certificates refer to ACME accounts and CA profiles, wherever those are in the file.
  if (const toml::node* n = root.get("certificate")) {
    RETURN_IF_ERROR(ParseCertificates(source_name, *n, cfg));
  }
  if (const toml::node* n = root.get("watch")) RETURN_IF_ERROR(ParseWatches(source_name, *n, cfg));
  if (const toml::node* n = root.get("monitor")) {
    RETURN_IF_ERROR(ParseMonitorTable(source_name, *n, cfg.monitor));
  }
  return cfg;
}

const CertificateConfig* Config::FindCertificate(std::string_view name) const {
  for (const auto& c : certificates) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

Status CheckReferencedFiles(const Config& config) {
  const std::string& src = config.source_path;
  // The status keeps its code (NotFound, PermissionDenied) so callers can tell them apart.
  auto fail = [&](const Status& st, int line, const std::string& key) {
    return Status(st.code(), src + ":" + std::to_string(line) + ": " + key + ": " + st.message());
  };
  auto readable = [](const std::string& path) -> Status {
    if (::access(path.c_str(), R_OK) != 0) {
      return NotFoundError(path + " cannot be read: " + std::strerror(errno));
    }
    return OkStatus();
  };
  if (!config.acme.ca_bundle.empty()) {
    if (Status st = readable(config.acme.ca_bundle); !st.ok())
      return fail(st, config.acme.line, "acme.ca_bundle");
  }
  for (const auto& [name, a] : config.acme.accounts) {
    const std::string p = "acme.accounts." + name;
    if (!a.ca_bundle.empty()) {
      if (Status st = readable(a.ca_bundle); !st.ok()) return fail(st, a.line, p + ".ca_bundle");
    }
    if (!a.eab_hmac_file.empty()) {
      if (Status st = CheckSecretFileMode(a.eab_hmac_file); !st.ok()) {
        return fail(st, a.line, p + ".eab_hmac_file");
      }
    }
  }
  RETURN_IF_ERROR(CheckWatchFiles(config));
  for (const auto& c : config.certificates) {
    const std::string p = "certificate[" + c.name + "]";
    if (!c.tsig_key.empty()) {
      if (Status st = readable(c.tsig_key); !st.ok()) return fail(st, c.line, p + ".tsig_key");
    }
    if (!c.dns_exec.empty() && ::access(c.dns_exec.c_str(), X_OK) != 0) {
      return fail(NotFoundError(c.dns_exec + " is not an executable file"), c.line,
                  p + ".dns_exec");
    }
    if (!c.webroot.empty()) {
      struct stat st {};
      if (::stat(c.webroot.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        return fail(NotFoundError(c.webroot + " is not a directory"), c.line, p + ".webroot");
      }
    }
  }
  return CheckAlertFiles(src, config.alerts);
}

Result<Config> LoadConfigFile(const std::string& path) {
  auto text = ReadFile(path, 4 * 1024 * 1024);
  if (!text.ok()) return text.status().WithContext("config");
  return ParseConfig(*text, path);
}

}  // namespace ck::config
