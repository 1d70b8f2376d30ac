// Name policy: which subjectAltNames a profile may put into a certificate. Pure functions, so
// the rules are tested as tables.
//
// Matching rules
//  - DNS (case-insensitive): a pattern is a DNS name whose leftmost label may be "*" (exactly
//    one label) or "**" (one or more labels): "*.svc.internal" matches "a.svc.internal" but not
//    "a.b.svc.internal" or "svc.internal"; "**.svc.internal" matches both subdomains. A
//    requested wildcard ("*.svc.internal", only when the profile allows wildcards) is matched
//    with "*" as an ordinary label.
//  - IP: a CIDR range ("10.0.0.0/8", "fd00::/8") or a single address; IPv4 and IPv6 are
//    distinct families.
//  - URI: a glob where "*" matches within one path segment (no '/') and "**" matches anything;
//    e.g. "spiffe://example.org/ns/*/sa/*". Case-sensitive, as SPIFFE IDs are.
//  - email: "user@example.com" (one mailbox), "@example.com" or "example.com" (any mailbox
//    there); the domain part follows the DNS rules ("@**.example.com"), the local part is a
//    glob with "*".
// A name is refused when a deny pattern matches (deny wins), or when the type has allow
// patterns and none matches, or when the profile does not allow its SAN type.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ca/settings.hpp"
#include "common/status.hpp"
#include "pki/general_names.hpp"

namespace ck::ca {

struct IpRange {
  int family = 4;                  // 4 or 6
  std::array<uint8_t, 16> addr{};  // network address, first 4 or 16 bytes used
  int prefix = 32;                 // 0..32 or 0..128
  bool Contains(std::string_view ip) const;
  // Address bytes followed by the mask, as RFC 5280 §4.2.1.10 encodes iPAddress constraints.
  std::vector<uint8_t> ConstraintBytes() const;
};
// "10.0.0.0/8", "192.0.2.7" (= /32), "2001:db8::/32". Host bits must be zero.
Result<IpRange> ParseIpRange(std::string_view text);

bool MatchDnsPattern(std::string_view pattern, std::string_view name);
bool MatchUriPattern(std::string_view pattern, std::string_view uri);
bool MatchEmailPattern(std::string_view pattern, std::string_view email);

// Pattern syntax checks (InvalidArgument naming the pattern and the rule).
Status ValidateDnsPattern(std::string_view pattern);
Status ValidateUriPattern(std::string_view pattern);
Status ValidateEmailPattern(std::string_view pattern);
Status ValidateIpPattern(std::string_view pattern);
Status ValidateNamePolicy(const NamePolicy& policy);

// A SPIFFE ID (spiffe://trust-domain/path): lowercase trust domain of [a-z0-9.-_], a path of
// non-empty segments without "." or "..", no port, user info, query or fragment. When
// `trust_domain` is not empty the ID must be in it (PermissionDenied otherwise).
Status ValidateSpiffeId(std::string_view uri, std::string_view trust_domain);
bool IsSpiffeUri(std::string_view uri);

// Checks every requested name against `profile` (InvalidArgument for malformed names,
// PermissionDenied for names the profile does not allow, naming the name and the rule).
// An X.509-SVID carries exactly one URI SAN, so a SPIFFE ID may not come with other URIs.
Status CheckNames(const Profile& profile, std::string_view trust_domain,
                  const std::vector<pki::SubjectAltName>& names);

}  // namespace ck::ca
