#include "ca/settings.hpp"

#include <algorithm>
#include <cctype>

#include "ca/name_policy.hpp"
#include "common/duration.hpp"

namespace ck::ca {
namespace {

std::string Normalize(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '_' || c == '-') continue;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

Status EachValid(const std::vector<std::string>& items, std::string_view what,
                 Status (*validate)(std::string_view)) {
  for (const auto& item : items) {
    Status s = validate(item);
    if (!s.ok()) return s.WithContext(what);
  }
  return OkStatus();
}

Status ValidateDnsConstraint(std::string_view base) {
  std::string_view name = base.starts_with('.') ? base.substr(1) : base;
  if (!pki::ValidateDnsName(name).ok() || name.find('*') != std::string_view::npos) {
    return InvalidArgumentError("'" + std::string(base) +
                                "' is not a domain constraint (expected e.g. svc.internal or "
                                ".svc.internal, no wildcards)");
  }
  return OkStatus();
}

Status ValidateEmailConstraint(std::string_view base) {
  if (base.find('@') != std::string_view::npos) return pki::ValidateEmail(base);
  return ValidateDnsConstraint(base);
}

}  // namespace

Result<ExtendedKeyUsage> ParseExtendedKeyUsage(std::string_view text) {
  const std::string n = Normalize(text);
  if (n == "serverauth") return ExtendedKeyUsage::kServerAuth;
  if (n == "clientauth") return ExtendedKeyUsage::kClientAuth;
  return InvalidArgumentError("unknown extended key usage '" + std::string(text) +
                              "' (expected serverAuth or clientAuth)");
}

std::string_view ExtendedKeyUsageName(ExtendedKeyUsage eku) {
  return eku == ExtendedKeyUsage::kServerAuth ? "serverAuth" : "clientAuth";
}

Result<pki::SanType> ParseSanType(std::string_view text) {
  const std::string n = Normalize(text);
  if (n == "dns") return pki::SanType::kDns;
  if (n == "ip") return pki::SanType::kIp;
  if (n == "uri") return pki::SanType::kUri;
  if (n == "email") return pki::SanType::kEmail;
  return InvalidArgumentError("unknown SAN type '" + std::string(text) +
                              "' (expected dns, ip, uri or email)");
}

bool Profile::AllowsSanType(pki::SanType type) const {
  return std::find(san_types.begin(), san_types.end(), type) != san_types.end();
}

Profile ProfileDefaults(std::string_view name) {
  using pki::SanType;
  Profile p;
  p.name = std::string(name);
  if (name == "server") {
    p.ekus = {ExtendedKeyUsage::kServerAuth};
    p.san_types = {SanType::kDns, SanType::kIp};
  } else if (name == "client") {
    p.ekus = {ExtendedKeyUsage::kClientAuth};
    p.san_types = {SanType::kDns, SanType::kUri, SanType::kEmail};
  } else if (name == "peer") {
    p.ekus = {ExtendedKeyUsage::kServerAuth, ExtendedKeyUsage::kClientAuth};
    p.san_types = {SanType::kDns, SanType::kIp, SanType::kUri};
  }
  return p;
}

std::vector<Profile> DefaultProfiles() {
  return {ProfileDefaults("server"), ProfileDefaults("client"), ProfileDefaults("peer")};
}

bool NameConstraints::empty() const {
  return permitted_dns.empty() && excluded_dns.empty() && permitted_ip.empty() &&
         excluded_ip.empty() && permitted_uri.empty() && excluded_uri.empty() &&
         permitted_email.empty() && excluded_email.empty();
}

Status ValidateNameConstraints(const NameConstraints& nc) {
  RETURN_IF_ERROR(EachValid(nc.permitted_dns, "permitted DNS", ValidateDnsConstraint));
  RETURN_IF_ERROR(EachValid(nc.excluded_dns, "excluded DNS", ValidateDnsConstraint));
  RETURN_IF_ERROR(EachValid(nc.permitted_ip, "permitted IP", ValidateIpPattern));
  RETURN_IF_ERROR(EachValid(nc.excluded_ip, "excluded IP", ValidateIpPattern));
  // RFC 5280 §4.2.1.10: URI constraints name a host (or ".domain"), not a URI.
  RETURN_IF_ERROR(EachValid(nc.permitted_uri, "permitted URI host", ValidateDnsConstraint));
  RETURN_IF_ERROR(EachValid(nc.excluded_uri, "excluded URI host", ValidateDnsConstraint));
  RETURN_IF_ERROR(EachValid(nc.permitted_email, "permitted email", ValidateEmailConstraint));
  return EachValid(nc.excluded_email, "excluded email", ValidateEmailConstraint);
}

Result<ConstraintTarget> ParseConstraintTarget(std::string_view text) {
  if (text == "intermediate") return ConstraintTarget::kIntermediate;
  if (text == "root") return ConstraintTarget::kRoot;
  if (text == "both") return ConstraintTarget::kBoth;
  return InvalidArgumentError("unknown name constraint target '" + std::string(text) +
                              "' (expected intermediate, root or both)");
}

Result<const Profile*> CaSettings::FindProfile(std::string_view name) const {
  std::string known;
  for (const auto& p : profiles) {
    if (p.name == name) return &p;
    known += (known.empty() ? "" : ", ") + p.name;
  }
  return NotFoundError("no issuance profile '" + std::string(name) +
                       "' (profiles: " + (known.empty() ? "none" : known) + ")");
}

Status ValidateCaUrl(std::string_view url) {
  std::string probe(url);
  if (auto pos = probe.find("{ca}"); pos != std::string::npos) probe.replace(pos, 4, "ca");
  const bool http = probe.starts_with("http://") || probe.starts_with("https://");
  if (!http || probe.find_first_of("{}") != std::string::npos || !pki::ValidateUri(probe).ok()) {
    return InvalidArgumentError("'" + std::string(url) +
                                "' is not an http(s) URL (an optional {ca} stands for the "
                                "issuing CA's name)");
  }
  return OkStatus();
}

std::string ExpandCaUrl(std::string_view url, std::string_view ca_name) {
  std::string out(url);
  if (auto pos = out.find("{ca}"); pos != std::string::npos) {
    out.replace(pos, 4, std::string(ca_name));
  }
  return out;
}

Status ValidateProfile(const Profile& p) {
  const std::string what = "profile '" + p.name + "'";
  if (p.name.empty()) return InvalidArgumentError("a profile needs a name");
  if (p.ekus.empty()) return InvalidArgumentError(what + ": needs at least one EKU");
  if (p.san_types.empty()) return InvalidArgumentError(what + ": allows no SAN type");
  if (p.lifetime < kMinLifetime || p.max_lifetime < kMinLifetime) {
    return InvalidArgumentError(what + ": lifetimes must be at least " +
                                FormatDuration(kMinLifetime));
  }
  if (p.lifetime > p.max_lifetime) {
    return InvalidArgumentError(what + ": lifetime " + FormatDuration(p.lifetime) +
                                " exceeds max_lifetime " + FormatDuration(p.max_lifetime));
  }
  Status s = ValidateNamePolicy(p.policy);
  return s.ok() ? s : s.WithContext(what);
}

Status ValidateSettings(const CaSettings& s) {
  if (s.organization.empty() || s.organization.size() > 40) {
    return InvalidArgumentError("ca.organization must be 1..40 characters");
  }
  if (!s.trust_domain.empty()) {
    RETURN_IF_ERROR(
        ValidateSpiffeId("spiffe://" + s.trust_domain + "/x", "").WithContext("ca.trust_domain"));
  }
  for (const auto* url : {&s.crl_url, &s.ocsp_url, &s.ca_issuers_url}) {
    if (!url->empty()) RETURN_IF_ERROR(ValidateCaUrl(*url));
  }
  if (s.intermediate_lifetime > s.root_lifetime) {
    return InvalidArgumentError("ca.intermediate_lifetime exceeds ca.root_lifetime");
  }
  for (auto d : {s.root_lifetime, s.intermediate_lifetime, s.crl_lifetime, s.root_crl_lifetime,
                 s.ocsp_lifetime}) {
    if (d < std::chrono::minutes(5)) {
      return InvalidArgumentError("CA lifetimes must be at least 5m");
    }
  }
  // The upper bound only binds when responders are issued, so a short intermediate_lifetime
  // (tests, labs) stays valid with the default responder lifetime.
  if (s.ocsp_responder_lifetime < std::chrono::hours(1) ||
      (s.ocsp_delegated && s.ocsp_responder_lifetime > s.intermediate_lifetime)) {
    return InvalidArgumentError(
        "ca.ocsp_responder_lifetime must be between 1h and "
        "ca.intermediate_lifetime (" +
        FormatDuration(s.intermediate_lifetime) + ")");
  }
  RETURN_IF_ERROR(ValidateNameConstraints(s.name_constraints).WithContext("ca.name_constraints"));
  if (s.profiles.empty()) return InvalidArgumentError("the CA has no issuance profile");
  for (size_t i = 0; i < s.profiles.size(); ++i) {
    RETURN_IF_ERROR(ValidateProfile(s.profiles[i]));
    for (size_t j = 0; j < i; ++j) {
      if (s.profiles[j].name == s.profiles[i].name) {
        return InvalidArgumentError("profile '" + s.profiles[i].name + "' is defined twice");
      }
    }
  }
  return OkStatus();
}

}  // namespace ck::ca
