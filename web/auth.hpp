// Who is calling the admin API and what they may do. Identities come from a bearer token
// (looked up by hash through the Backend) or from an mTLS client certificate issued by the
// internal CA, whose URI SAN names the role: spiffe://<trust-domain>/certkeeper/<role>/<name>.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.hpp"

namespace ck::web {

enum class Role { kAdmin, kOperator, kViewer, kConsumer };

// "admin", "operator", "viewer", "consumer".
Result<Role> ParseRole(std::string_view name);
std::string_view RoleName(Role role);

// What an endpoint needs. Roles are ordered for the first three: admin ⊃ operator ⊃ viewer.
// A consumer may only read its own bundles and pins (checked by the handler against `name`).
enum class Permission {
  kRead,        // list/get certificates, events, CA material
  kIssue,       // issue, renew, revoke
  kAdminister,  // tokens, configuration
  kConsumerRead,
};

struct Identity {
  std::string name;  // token name or certificate identity name
  Role role = Role::kViewer;
  std::string method;            // "token" or "mtls"
  std::string ToString() const;  // "operator:deploy-bot (token)" for logs
};

bool Allows(Role role, Permission needed);

// The secret after "Bearer " in an Authorization header (headers keyed lower-case), or
// nullopt when there is none. A malformed header is an Unauthenticated error.
Result<std::optional<std::string>> ExtractBearerToken(
    const std::map<std::string, std::string>& headers);

// Parses spiffe://<trust_domain>/certkeeper/<role>/<name>. PermissionDenied when the trust
// domain differs (an empty `trust_domain` accepts any); InvalidArgument when the path is not
// of that shape.
Result<Identity> IdentityFromSpiffeUri(std::string_view uri, std::string_view trust_domain);

// API tokens: "ckt_" + 43 base64url characters (32 random bytes). Only the SHA-256 hex of the
// whole string is stored.
inline constexpr std::string_view kTokenPrefix = "ckt_";
Result<std::string> GenerateApiToken();
std::string HashApiToken(std::string_view token);

}  // namespace ck::web
