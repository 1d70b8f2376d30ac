// The internal CA's settings: what the `[ca]` config section describes. Plain values, so the
// config parser (daemon/config) fills them and ca/ never reads a file.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"
#include "pki/general_names.hpp"
#include "pki/key.hpp"

namespace ck::ca {

using std::chrono::seconds;

// The extended key usages profiles may grant (RFC 5280 §4.2.1.12).
enum class ExtendedKeyUsage { kServerAuth, kClientAuth };
// "serverAuth"/"server_auth"/"server-auth" and the same for client (case-insensitive).
Result<ExtendedKeyUsage> ParseExtendedKeyUsage(std::string_view text);
std::string_view ExtendedKeyUsageName(ExtendedKeyUsage eku);  // "serverAuth"

// "dns", "ip", "uri", "email" -> the SAN types a profile may allow.
Result<pki::SanType> ParseSanType(std::string_view text);

// Allow/deny patterns per name type; the matching rules are in name_policy.hpp. An empty allow
// list allows every name of that type (subject to the deny list and the profile's SAN types).
struct NamePolicy {
  std::vector<std::string> allow_dns, deny_dns;      // "a.svc.internal", "*.svc", "**.svc"
  std::vector<std::string> allow_ip, deny_ip;        // "10.0.0.0/8", "2001:db8::/32", "192.0.2.7"
  std::vector<std::string> allow_uri, deny_uri;      // "spiffe://td/ns/*/sa/*", "https://x/**"
  std::vector<std::string> allow_email, deny_email;  // "ops@example.com", "@example.com"
};

// An issuance profile: what certificates of one kind may say and how long they live.
struct Profile {
  std::string name;
  seconds lifetime{std::chrono::hours(24)};      // when the request names none
  seconds max_lifetime{std::chrono::hours(24)};  // longer requests are refused
  std::vector<ExtendedKeyUsage> ekus;
  std::vector<pki::SanType> san_types;  // allowed among kDns, kIp, kUri, kEmail
  NamePolicy policy;
  bool allow_wildcards = false;                      // DNS names like "*.svc.internal"
  pki::KeyType key_type = pki::KeyType::kEcdsaP256;  // for server-side generated keys
  bool AllowsSanType(pki::SanType type) const;
};

// The shortest lifetime any profile issues. Leaves are backdated by a minute for clock skew;
// 1 minute still allows the 2-minute certificates renewal tests use (issue 5) — in production
// step-ca's 5-minute floor is wiser, and the built-in profiles default to 24 hours.
inline constexpr seconds kMinLifetime{60};

// server (serverAuth; DNS, IP), client (clientAuth; DNS, URI, email), peer (both; DNS, IP,
// URI): 24h default and maximum, as step-ca.
std::vector<Profile> DefaultProfiles();
// A built-in profile's defaults by name; a profile with another name starts from server's
// lifetimes and no EKU or SAN type (the config must name them).
Profile ProfileDefaults(std::string_view name);

// RFC 5280 §4.2.1.10 name constraints for CA certificates. DNS: "svc.internal" (the domain and
// its subdomains) or ".svc.internal" (subdomains only); IP: CIDR; URI: a host or ".domain";
// email: a mailbox, a host, or ".domain".
struct NameConstraints {
  std::vector<std::string> permitted_dns, excluded_dns;
  std::vector<std::string> permitted_ip, excluded_ip;
  std::vector<std::string> permitted_uri, excluded_uri;
  std::vector<std::string> permitted_email, excluded_email;
  bool empty() const;
};
Status ValidateNameConstraints(const NameConstraints& nc);

// Which CA certificates carry the name constraints.
enum class ConstraintTarget { kIntermediate, kRoot, kBoth };
Result<ConstraintTarget> ParseConstraintTarget(std::string_view text);  // "intermediate", ...

struct CaSettings {
  std::string organization = "certkeeper";  // O= of CA certificates and the CN prefix
  // SPIFFE trust domain: when set, spiffe:// URIs must be in it.
  std::string trust_domain;
  // Put into issued certificates; "{ca}" is replaced by the issuing CA's name, so each
  // intermediate (and the root) can publish its own CRL and certificate.
  std::string crl_url;         // CRL Distribution Point
  std::string ocsp_url;        // AIA OCSP
  std::string ca_issuers_url;  // AIA caIssuers
  pki::KeyType root_key_type = pki::KeyType::kEcdsaP384;
  pki::KeyType intermediate_key_type = pki::KeyType::kEcdsaP256;
  seconds root_lifetime{std::chrono::hours(24 * 3650)};
  seconds intermediate_lifetime{std::chrono::hours(24 * 365)};
  seconds crl_lifetime{std::chrono::hours(24)};  // nextUpdate - thisUpdate, intermediates
  // The root's CRL is signed rarely (an offline root only when its key is brought back).
  seconds root_crl_lifetime{std::chrono::hours(24 * 365)};
  seconds ocsp_lifetime{std::chrono::hours(4)};  // OCSP nextUpdate - thisUpdate
  // RFC 6960 §4.2.2.2: OCSP answers about an intermediate's certificates are signed by a
  // responder certificate it issued (id-kp-OCSPSigning, id-pkix-ocsp-nocheck) instead of its
  // own key; each lives ocsp_responder_lifetime (1h .. intermediate_lifetime) and is replaced
  // when a third of it remains.
  bool ocsp_delegated = false;
  seconds ocsp_responder_lifetime{std::chrono::hours(24 * 7)};
  NameConstraints name_constraints;
  ConstraintTarget constraint_target = ConstraintTarget::kIntermediate;
  std::vector<Profile> profiles = DefaultProfiles();

  // NotFound naming the profiles there are.
  Result<const Profile*> FindProfile(std::string_view name) const;
};

// Whole-settings checks (patterns, URLs, lifetimes); the config parser checks each value as it
// reads it so errors carry a line, this is the backstop for settings built in code.
Status ValidateSettings(const CaSettings& settings);
Status ValidateProfile(const Profile& profile);
// An http(s) URL, optionally with a "{ca}" placeholder.
Status ValidateCaUrl(std::string_view url);
// The URL with "{ca}" replaced by `ca_name`.
std::string ExpandCaUrl(std::string_view url, std::string_view ca_name);

}  // namespace ck::ca
