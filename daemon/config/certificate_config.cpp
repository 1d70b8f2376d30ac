// [[certificate]]: managed certificates (issue 5), with their freezes, deploy targets and pins.
// Everything checkable without the file system is checked here, so `config check` (and SIGHUP)
// refuses a certificate that could never be issued instead of failing at renewal time.
#include <algorithm>
#include <cctype>
#include <cstdio>

#include "ca/name_policy.hpp"
#include "common/clock.hpp"
#include "common/duration.hpp"
#include "daemon/config/toml_helpers.hpp"
#include "pki/general_names.hpp"
#include "pki/key.hpp"

namespace ck::config::detail {
namespace {

struct IssuerRef {
  bool acme = false;
  std::string name;  // account or profile
};

Result<IssuerRef> ParseIssuerRef(std::string_view text, const Config& cfg) {
  IssuerRef ref;
  if (text.starts_with("acme:")) {
    ref.acme = true;
    ref.name = std::string(text.substr(5));
    if (!cfg.acme.accounts.contains(ref.name)) {
      std::string known;
      for (const auto& [name, _] : cfg.acme.accounts) known += (known.empty() ? "" : ", ") + name;
      return InvalidArgumentError(
          "no ACME account '" + ref.name + "' (" +
          (known.empty() ? std::string("define it in [acme.accounts." + ref.name + "]")
                         : "accounts: " + known) +
          ")");
    }
  } else if (text.starts_with("ca:")) {
    ref.name = std::string(text.substr(3));
    auto profile = cfg.ca.FindProfile(ref.name);
    if (!profile.ok()) {
      std::string known;
      for (const auto& p : cfg.ca.profiles) known += (known.empty() ? "" : ", ") + p.name;
      return InvalidArgumentError("no internal CA profile '" + ref.name + "' (profiles: " + known +
                                  ")");
    }
  } else {
    return InvalidArgumentError("'" + std::string(text) +
                                "' is not an issuer (expected \"acme:ACCOUNT\" or \"ca:PROFILE\")");
  }
  return ref;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// A TOML date-time value ("start = 2026-11-27T00:00:00Z", unquoted) as RFC 3339 text. A local
// date-time has no offset and would mean different instants on different hosts: refused.
Result<std::string> TomlDateTimeText(const toml::node& node) {
  char buf[64];
  if (const auto* d = node.as_date()) {
    const toml::date& v = d->get();
    std::snprintf(buf, sizeof buf, "%04u-%02u-%02u", v.year, v.month, v.day);
    return std::string(buf);
  }
  const auto* dt = node.as_date_time();
  if (dt == nullptr) return InvalidArgumentError("expected an RFC 3339 date-time");
  const toml::date_time& v = dt->get();
  if (!v.offset) {
    return InvalidArgumentError("a date-time needs a UTC offset (e.g. 2026-11-27T00:00:00Z)");
  }
  const int off = v.offset->minutes;
  std::snprintf(buf, sizeof buf, "%04u-%02u-%02uT%02u:%02u:%02u.%09u%c%02d:%02d", v.date.year,
                v.date.month, v.date.day, v.time.hour, v.time.minute, v.time.second,
                v.time.nanosecond, off < 0 ? '-' : '+', std::abs(off) / 60, std::abs(off) % 60);
  return std::string(buf);
}

Result<TimePoint> GetTime(std::string_view source, const toml::node& node, const std::string& key) {
  std::string text;
  if (node.is_string()) {
    text = *node.value<std::string>();
  } else if (node.is_date() || node.is_date_time()) {
    auto t = TomlDateTimeText(node);
    if (!t.ok()) return KeyError(source, node, key, t.status().message());
    text = *t;
  } else {
    return KeyError(
        source, node, key,
        "expected an RFC 3339 date-time (\"2026-11-27T00:00:00Z\"), got " + TypeName(node));
  }
  auto t = ParseRfc3339(text);
  if (!t.ok()) return KeyError(source, node, key, t.status().message());
  return *t;
}

Result<std::chrono::seconds> GetPositiveDuration(std::string_view source, const toml::node& node,
                                                 const std::string& key) {
  ASSIGN_OR_RETURN(std::string text, GetString(source, node, key));
  auto d = ParseDuration(text);
  if (!d.ok()) return KeyError(source, node, key, d.status().message());
  if (d->count() <= 0) return KeyError(source, node, key, "must be longer than 0s");
  return *d;
}

Status ParseFreezes(std::string_view source, const toml::node& node, const std::string& prefix,
                    std::vector<renewal::ChangeFreeze>& out) {
  const std::string key = prefix + ".freeze";
  const toml::array* arr = node.as_array();
  if (arr == nullptr) {
    return KeyError(source, node, key,
                    "expected [[certificate.freeze]] tables, got " + TypeName(node));
  }
  for (const toml::node& el : *arr) {
    const toml::table* t = el.as_table();
    if (t == nullptr) {
      return KeyError(source, el, key,
                      "expected [[certificate.freeze]] tables, got " + TypeName(el));
    }
    RETURN_IF_ERROR(CheckKnownKeys(source, *t, key, {"start", "end", "name"}));
    renewal::ChangeFreeze f;
    const toml::node* start = t->get("start");
    const toml::node* end = t->get("end");
    if (start == nullptr || end == nullptr) {
      return KeyError(source, el, key,
                      std::string("needs ") + (start == nullptr ? "start" : "end") +
                          " (RFC 3339, e.g. \"2026-11-27T00:00:00Z\")");
    }
    ASSIGN_OR_RETURN(f.start, GetTime(source, *start, key + ".start"));
    ASSIGN_OR_RETURN(f.end, GetTime(source, *end, key + ".end"));
    if (const toml::node* n = t->get("name")) {
      ASSIGN_OR_RETURN(f.name, GetString(source, *n, key + ".name"));
    }
    if (f.end <= f.start) {
      return KeyError(source, *end, key + ".end",
                      "must be after start (" + FormatRfc3339(f.start) + ")");
    }
    out.push_back(std::move(f));
  }
  return OkStatus();
}

// `jitter = 0.02` (a fraction of the lifetime), `jitter = "2%"`, or `jitter = 0` to disable.
Result<double> GetJitter(std::string_view source, const toml::node& node, const std::string& key) {
  double value = 0;
  if (node.is_floating_point()) {
    value = *node.value<double>();
  } else if (node.is_integer()) {
    value = static_cast<double>(*node.value<int64_t>());
  } else if (node.is_string()) {
    std::string text = *node.value<std::string>();
    char* end = nullptr;
    value = text.empty() || text.back() != '%' ? -1 : std::strtod(text.c_str(), &end) / 100;
    if (end != text.c_str() + text.size() - 1 || text.size() < 2) {
      return KeyError(source, node, key,
                      "expected a fraction of the lifetime (0.02) or a percentage (\"2%\")");
    }
  } else {
    return KeyError(source, node, key,
                    "expected a fraction of the lifetime (0.02) or a percentage (\"2%\"), got " +
                        TypeName(node));
  }
  if (!(value >= 0 && value <= renewal::kMaxJitterFraction)) {
    return KeyError(source, node, key, "must be between 0 and 0.1 (10% of the lifetime)");
  }
  return value;
}

// TOML -> JSON for deploy tables, which the deploy module validates itself. Floats and dates
// have no faithful JSON form a deployer would want (a port of 8443.0, a date without a zone), so
// they are refused here with the key that holds them.
Result<nlohmann::json> ToJson(std::string_view source, const toml::node& node,
                              const std::string& key) {
  switch (node.type()) {
    case toml::node_type::string: return nlohmann::json(*node.value<std::string>());
    case toml::node_type::integer: return nlohmann::json(*node.value<int64_t>());
    case toml::node_type::boolean: return nlohmann::json(*node.value<bool>());
    case toml::node_type::array: {
      nlohmann::json out = nlohmann::json::array();
      size_t i = 0;
      for (const toml::node& el : *node.as_array()) {
        ASSIGN_OR_RETURN(nlohmann::json v,
                         ToJson(source, el, key + "[" + std::to_string(i++) + "]"));
        out.push_back(std::move(v));
      }
      return out;
    }
    case toml::node_type::table: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& [k, v] : *node.as_table()) {
        ASSIGN_OR_RETURN(out[std::string(k.str())],
                         ToJson(source, v, key + "." + std::string(k.str())));
      }
      return out;
    }
    case toml::node_type::floating_point:
      return KeyError(source, node, key,
                      "floats are not supported in deploy targets (write an integer or a string)");
    default:
      return KeyError(source, node, key,
                      "dates and times are not supported in deploy targets (write a string)");
  }
}

Status ParseDeploy(std::string_view source, const toml::node& node, const std::string& prefix,
                   CertificateConfig& c) {
  const std::string key = prefix + ".deploy";
  const toml::array* arr = node.as_array();
  if (arr == nullptr) {
    return KeyError(source, node, key,
                    "expected [[certificate.deploy]] tables, got " + TypeName(node));
  }
  KeySet types(std::begin(kDeployTypes), std::end(kDeployTypes));
  std::string type_list;
  for (std::string_view t : kDeployTypes)
    type_list += (type_list.empty() ? "" : ", ") + std::string(t);
  for (const toml::node& el : *arr) {
    const toml::table* t = el.as_table();
    if (t == nullptr) {
      return KeyError(source, el, key,
                      "expected [[certificate.deploy]] tables, got " + TypeName(el));
    }
    const toml::node* type = t->get("type");
    if (type == nullptr) {
      return KeyError(source, el, key + ".type", "required (one of " + type_list + ")");
    }
    ASSIGN_OR_RETURN(std::string type_name, GetString(source, *type, key + ".type"));
    if (!types.contains(type_name)) {
      std::string hint = DidYouMean(type_name, types);
      return KeyError(source, *type, key + ".type",
                      "unknown deploy type '" + type_name + "' (" +
                          (hint.empty() ? "" : "did you mean '" + hint + "'? ") +
                          "known: " + type_list + ")");
    }
    ASSIGN_OR_RETURN(nlohmann::json j, ToJson(source, el, key));
    c.deploy.push_back(std::move(j));
    c.deploy_lines.push_back(Line(el));
  }
  return OkStatus();
}

Status ParsePins(std::string_view source, const toml::node& node, const std::string& prefix,
                 CertificateConfig& c) {
  const std::string key = prefix + ".pins";
  const toml::table* t = node.as_table();
  if (t == nullptr) return KeyError(source, node, key, "expected a table ([certificate.pins])");
  RETURN_IF_ERROR(CheckKnownKeys(source, *t, key, {"overlap"}));
  PinPolicyConfig pins;
  if (const toml::node* n = t->get("overlap")) {
    ASSIGN_OR_RETURN(pins.overlap, GetPositiveDuration(source, *n, key + ".overlap"));
  }
  c.pins = pins;
  return OkStatus();
}

const KeySet kCertificateKeys = {
    "name",    "domains",         "uris",     "issuer",      "fallback_issuer", "failover_after",
    "solver",  "webroot",         "dns_exec", "dns_rfc2136", "tsig_key",        "dns_zone",
    "profile", "preferred_chain", "key",      "key_policy",  "lifetime",        "renew_before",
    "jitter",  "freeze",          "deploy",   "pins"};
// Keys that only mean something to an ACME issuer.
constexpr const char* kAcmeOnlyKeys[] = {"solver",   "webroot",  "dns_exec", "dns_rfc2136",
                                         "tsig_key", "dns_zone", "profile",  "preferred_chain"};

Status ParseCertificate(std::string_view source, const toml::node& node, const Config& cfg,
                        CertificateConfig& c) {
  const toml::table* t = node.as_table();
  if (t == nullptr) {
    return KeyError(source, node, "certificate",
                    "expected [[certificate]] tables, got " + TypeName(node));
  }
  c.line = Line(node);
  RETURN_IF_ERROR(CheckKnownKeys(source, *t, "certificate", kCertificateKeys));

  // name first: every later message says which certificate it is about.
  const toml::node* name = t->get("name");
  if (name == nullptr) {
    return KeyError(source, node, "certificate.name", "required (e.g. name = \"web\")");
  }
  ASSIGN_OR_RETURN(c.name, GetString(source, *name, "certificate.name"));
  if (!IsValidObjectName(c.name)) {
    return KeyError(source, *name, "certificate.name",
                    "'" + c.name +
                        "': names are 1..63 of a-z, 0-9, '.', '_', '-', starting with a letter or "
                        "digit (they become file names)");
  }
  if (cfg.FindCertificate(c.name) != nullptr) {
    return KeyError(source, *name, "certificate.name",
                    "'" + c.name + "' is already used by the certificate on line " +
                        std::to_string(cfg.FindCertificate(c.name)->line));
  }
  const std::string p = "certificate[" + c.name + "]";
  auto at = [&](const char* key) { return p + "." + key; };

  // Issuers.
  const toml::node* issuer = t->get("issuer");
  if (issuer == nullptr) {
    return KeyError(source, node, at("issuer"), "required (\"acme:ACCOUNT\" or \"ca:PROFILE\")");
  }
  ASSIGN_OR_RETURN(c.issuer, GetString(source, *issuer, at("issuer")));
  auto primary = ParseIssuerRef(c.issuer, cfg);
  if (!primary.ok()) return KeyError(source, *issuer, at("issuer"), primary.status().message());
  std::vector<IssuerRef> refs = {*primary};
  const toml::node* fallback = t->get("fallback_issuer");
  if (fallback != nullptr) {
    ASSIGN_OR_RETURN(c.fallback_issuer, GetString(source, *fallback, at("fallback_issuer")));
    auto ref = ParseIssuerRef(c.fallback_issuer, cfg);
    if (!ref.ok())
      return KeyError(source, *fallback, at("fallback_issuer"), ref.status().message());
    if (c.fallback_issuer == c.issuer) {
      return KeyError(source, *fallback, at("fallback_issuer"), "is the same as issuer");
    }
    refs.push_back(*ref);
  }
  const bool has_acme = std::any_of(refs.begin(), refs.end(), [](auto& r) { return r.acme; });
  const bool has_ca = std::any_of(refs.begin(), refs.end(), [](auto& r) { return !r.acme; });
  if (const toml::node* n = t->get("failover_after")) {
    ASSIGN_OR_RETURN(int64_t v, GetInteger(source, *n, at("failover_after")));
    if (fallback == nullptr) {
      return KeyError(source, *n, at("failover_after"), "has no effect without fallback_issuer");
    }
    if (v < 1 || v > 1000) return KeyError(source, *n, at("failover_after"), "must be 1..1000");
    c.failover_after = static_cast<int>(v);
  }

  // Names.
  const toml::node* domains = t->get("domains");
  const toml::node* uris = t->get("uris");
  std::set<std::string> seen;
  if (domains != nullptr) {
    ASSIGN_OR_RETURN(c.domains, GetStringList(source, *domains, at("domains")));
    if (c.domains.empty()) return KeyError(source, *domains, at("domains"), "must not be empty");
    size_t i = 0;
    for (const toml::node& el : *domains->as_array()) {
      std::string& d = c.domains[i++];
      Status st = pki::IsIpLiteral(d) ? pki::ValidateIpAddress(d) : pki::ValidateDnsName(Lower(d));
      if (!st.ok()) return KeyError(source, el, at("domains"), st.message());
      if (!pki::IsIpLiteral(d)) d = Lower(d);
      if (!seen.insert(d).second) {
        return KeyError(source, el, at("domains"), "'" + d + "' is listed twice");
      }
    }
  }
  if (uris != nullptr) {
    ASSIGN_OR_RETURN(c.uris, GetStringList(source, *uris, at("uris"), pki::ValidateUri));
    if (c.uris.empty()) return KeyError(source, *uris, at("uris"), "must not be empty");
    if (has_acme) {
      return KeyError(source, *uris, at("uris"),
                      "URI SANs can only come from a ca: issuer (ACME has no URI identifiers)");
    }
    for (const auto& u : c.uris) {
      if (!seen.insert(u).second) {
        return KeyError(source, *uris, at("uris"), "'" + u + "' is listed twice");
      }
    }
  }
  if (c.domains.empty() && c.uris.empty()) {
    return KeyError(source, node, at("domains"),
                    has_ca ? "required (DNS names and IP addresses; or uris for a ca: issuer)"
                           : "required (the DNS names and IP addresses to certify)");
  }

  // ACME: solver and its settings.
  for (const char* key : kAcmeOnlyKeys) {
    if (const toml::node* n = t->get(key); n != nullptr && !has_acme) {
      return KeyError(source, *n, at(key), "only applies to acme: issuers");
    }
  }
  if (const toml::node* n = t->get("solver")) {
    ASSIGN_OR_RETURN(c.solver, GetString(source, *n, at("solver")));
    if (c.solver != "http-01" && c.solver != "tls-alpn-01" && c.solver != "dns-01") {
      return KeyError(source, *n, at("solver"),
                      "unknown solver '" + c.solver + "' (http-01, tls-alpn-01, dns-01)");
    }
  }
  for (auto [key, field] : {std::pair{"webroot", &c.webroot}, std::pair{"dns_exec", &c.dns_exec},
                            std::pair{"tsig_key", &c.tsig_key}}) {
    if (const toml::node* n = t->get(key)) {
      ASSIGN_OR_RETURN(*field, GetAbsolutePath(source, *n, at(key)));
    }
  }
  if (const toml::node* n = t->get("dns_rfc2136")) {
    ASSIGN_OR_RETURN(c.dns_rfc2136, GetString(source, *n, at("dns_rfc2136")));
    if (Status st = ValidateDnsServer(c.dns_rfc2136); !st.ok()) {
      return KeyError(source, *n, at("dns_rfc2136"), st.message());
    }
  }
  if (const toml::node* n = t->get("dns_zone")) {
    ASSIGN_OR_RETURN(c.dns_zone, GetString(source, *n, at("dns_zone")));
    if (!c.dns_zone.empty() && c.dns_zone.back() == '.') c.dns_zone.pop_back();
    c.dns_zone = Lower(c.dns_zone);
    if (Status st = pki::ValidateDnsName(c.dns_zone); !st.ok() || c.dns_zone.starts_with("*")) {
      return KeyError(source, *n, at("dns_zone"), "'" + c.dns_zone + "' is not a DNS zone name");
    }
  }
  for (auto [key, field] :
       {std::pair{"profile", &c.profile}, std::pair{"preferred_chain", &c.preferred_chain}}) {
    if (const toml::node* n = t->get(key)) {
      ASSIGN_OR_RETURN(*field, GetString(source, *n, at(key)));
      if (field->empty()) return KeyError(source, *n, at(key), "must not be empty");
    }
  }
  if (has_acme) {
    const bool dns01 = c.solver == "dns-01";
    auto require_solver = [&](const char* key, const char* solver) -> Status {
      const toml::node* n = t->get(key);
      if (n != nullptr && c.solver != solver) {
        return KeyError(source, *n, at(key),
                        std::string("only applies to solver = \"") + solver + "\" (solver is \"" +
                            c.solver + "\")");
      }
      return OkStatus();
    };
    RETURN_IF_ERROR(require_solver("webroot", "http-01"));
    for (const char* key : {"dns_exec", "dns_rfc2136", "tsig_key", "dns_zone"}) {
      RETURN_IF_ERROR(require_solver(key, "dns-01"));
    }
    if (dns01) {
      if (c.dns_exec.empty() == c.dns_rfc2136.empty()) {
        return KeyError(source, c.dns_exec.empty() ? node : *t->get("dns_rfc2136"), at("solver"),
                        c.dns_exec.empty()
                            ? "dns-01 needs dns_exec (PROG present|cleanup FQDN VALUE) or "
                              "dns_rfc2136 (+ tsig_key)"
                            : "dns-01 takes dns_exec or dns_rfc2136, not both");
      }
      if (!c.dns_rfc2136.empty() && c.tsig_key.empty()) {
        return KeyError(source, *t->get("dns_rfc2136"), at("dns_rfc2136"),
                        "needs tsig_key (a tsig-keygen key file)");
      }
      if (c.dns_rfc2136.empty() && (t->get("tsig_key") || t->get("dns_zone"))) {
        const char* key = t->get("tsig_key") ? "tsig_key" : "dns_zone";
        return KeyError(source, *t->get(key), at(key), "only applies with dns_rfc2136");
      }
    }
    const toml::array* domain_nodes = domains != nullptr ? domains->as_array() : nullptr;
    for (size_t i = 0; domain_nodes != nullptr && i < domain_nodes->size(); ++i) {
      const toml::node& el = *domain_nodes->get(i);
      const std::string& d = c.domains[i];
      // RFC 8555 §7.1.3: wildcard identifiers are validated by dns-01 only; RFC 8738 §7: IP
      // identifiers never by dns-01.
      if (d.starts_with("*.") && !dns01) {
        return KeyError(source, el, at("domains"),
                        "wildcard '" + d + "' needs solver = \"dns-01\" with an acme: issuer");
      }
      if (pki::IsIpLiteral(d) && dns01) {
        return KeyError(source, el, at("domains"),
                        "IP address '" + d +
                            "' cannot be validated by dns-01 (use http-01 or "
                            "tls-alpn-01)");
      }
    }
  }

  // Key.
  if (const toml::node* n = t->get("key")) {
    ASSIGN_OR_RETURN(std::string text, GetString(source, *n, at("key")));
    auto type = pki::ParseKeyType(text);
    if (!type.ok()) return KeyError(source, *n, at("key"), type.status().message());
    c.key = std::string(pki::KeyTypeName(*type));
  }
  if (const toml::node* n = t->get("key_policy")) {
    ASSIGN_OR_RETURN(std::string text, GetString(source, *n, at("key_policy")));
    if (text != "new" && text != "reuse") {
      return KeyError(source, *n, at("key_policy"),
                      "expected \"new\" (a fresh key each renewal) or \"reuse\"");
    }
    c.reuse_key = text == "reuse";
  }

  // Internal CA: lifetime and names against each ca: profile involved.
  const toml::node* lifetime = t->get("lifetime");
  if (lifetime != nullptr) {
    if (!has_ca) {
      return KeyError(source, *lifetime, at("lifetime"),
                      "only applies to ca: issuers (an ACME CA decides the lifetime; see profile)");
    }
    ASSIGN_OR_RETURN(c.lifetime, GetPositiveDuration(source, *lifetime, at("lifetime")));
    if (*c.lifetime < ca::kMinLifetime) {
      return KeyError(source, *lifetime, at("lifetime"),
                      "is below the internal CA's minimum " + FormatDuration(ca::kMinLifetime));
    }
  }
  for (const IssuerRef& r : refs) {
    if (r.acme) continue;
    const ca::Profile* profile = *cfg.ca.FindProfile(r.name);
    if (c.lifetime && *c.lifetime > profile->max_lifetime) {
      return KeyError(source, *lifetime, at("lifetime"),
                      FormatDuration(*c.lifetime) + " exceeds the max_lifetime " +
                          FormatDuration(profile->max_lifetime) + " of CA profile '" +
                          profile->name + "'");
    }
    std::vector<pki::SubjectAltName> sans;
    for (const auto& d : c.domains) {
      sans.push_back({pki::IsIpLiteral(d) ? pki::SanType::kIp : pki::SanType::kDns, d});
    }
    for (const auto& u : c.uris) sans.push_back({pki::SanType::kUri, u});
    if (Status st = ca::CheckNames(*profile, cfg.ca.trust_domain, sans); !st.ok()) {
      const toml::node& where = domains != nullptr ? *domains : *uris;
      return KeyError(source, where, at(domains != nullptr ? "domains" : "uris"),
                      "CA profile '" + profile->name + "': " + st.message());
    }
  }

  // Renewal policy.
  if (const toml::node* n = t->get("renew_before")) {
    ASSIGN_OR_RETURN(auto d, GetPositiveDuration(source, *n, at("renew_before")));
    c.renewal.renew_before = std::chrono::duration_cast<renewal::Duration>(d);
  }
  if (const toml::node* n = t->get("jitter")) {
    ASSIGN_OR_RETURN(c.renewal.jitter_fraction, GetJitter(source, *n, at("jitter")));
  }
  if (const toml::node* n = t->get("freeze")) {
    RETURN_IF_ERROR(ParseFreezes(source, *n, p, c.renewal.freezes));
  }
  if (Status st = renewal::ValidateRenewalPolicy(c.renewal); !st.ok()) {
    return KeyError(source, node, p, st.message());
  }

  if (const toml::node* n = t->get("deploy")) RETURN_IF_ERROR(ParseDeploy(source, *n, p, c));
  if (const toml::node* n = t->get("pins")) RETURN_IF_ERROR(ParsePins(source, *n, p, c));
  return OkStatus();
}

}  // namespace

Status ParseCertificates(std::string_view source, const toml::node& node, Config& cfg) {
  const toml::array* arr = node.as_array();
  if (arr == nullptr) {
    return KeyError(
        source, node, "certificate",
        "expected [[certificate]] tables (note the double brackets), got " + TypeName(node));
  }
  for (const toml::node& el : *arr) {
    CertificateConfig c;
    RETURN_IF_ERROR(ParseCertificate(source, el, cfg, c));
    cfg.certificates.push_back(std::move(c));
  }
  return OkStatus();
}

}  // namespace ck::config::detail
