#include "web/auth.hpp"

#include "common/encoding.hpp"
#include "pki/digest.hpp"

namespace ck::web {

Result<Role> ParseRole(std::string_view name) {
  if (name == "admin") return Role::kAdmin;
  if (name == "operator") return Role::kOperator;
  if (name == "viewer") return Role::kViewer;
  if (name == "consumer") return Role::kConsumer;
  return InvalidArgumentError("unknown role '" + std::string(name) +
                              "' (expected admin, operator, viewer or consumer)");
}

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAdmin: return "admin";
    case Role::kOperator: return "operator";
    case Role::kViewer: return "viewer";
    case Role::kConsumer: return "consumer";
  }
  return "viewer";
}

std::string Identity::ToString() const {
  return std::string(RoleName(role)) + ":" + name + " (" + method + ")";
}

bool Allows(Role role, Permission needed) {
  switch (needed) {
    case Permission::kRead:
      return role == Role::kAdmin || role == Role::kOperator || role == Role::kViewer;
    case Permission::kIssue: return role == Role::kAdmin || role == Role::kOperator;
    case Permission::kAdminister: return role == Role::kAdmin;
    case Permission::kConsumerRead: return true;  // the handler checks the consumer's name
  }
  return false;
}

Result<std::optional<std::string>> ExtractBearerToken(
    const std::map<std::string, std::string>& headers) {
  auto it = headers.find("authorization");
  if (it == headers.end()) return std::optional<std::string>();
  std::string_view value = it->second;
  constexpr std::string_view kScheme = "Bearer ";
  // RFC 6750 §2.1; the scheme name is case-insensitive (RFC 9110 §11.1).
  if (value.size() <= kScheme.size() ||
      !std::equal(kScheme.begin(), kScheme.end(), value.begin(),
                  [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
    return UnauthenticatedError("Authorization header must be 'Bearer <token>'");
  }
  std::string token(value.substr(kScheme.size()));
  while (!token.empty() && token.back() == ' ') token.pop_back();
  if (token.empty() || token.size() > 512) return UnauthenticatedError("malformed bearer token");
  return std::optional<std::string>(std::move(token));
}

Result<Identity> IdentityFromSpiffeUri(std::string_view uri, std::string_view trust_domain) {
  constexpr std::string_view kScheme = "spiffe://";
  if (uri.substr(0, kScheme.size()) != kScheme) {
    return InvalidArgumentError("client certificate URI '" + std::string(uri) +
                                "' is not a SPIFFE ID");
  }
  std::string_view rest = uri.substr(kScheme.size());
  auto slash = rest.find('/');
  if (slash == std::string_view::npos) {
    return InvalidArgumentError("SPIFFE ID '" + std::string(uri) + "' has no path");
  }
  if (!trust_domain.empty() && rest.substr(0, slash) != trust_domain) {
    return PermissionDeniedError("SPIFFE ID '" + std::string(uri) + "' is not in trust domain '" +
                                 std::string(trust_domain) + "'");
  }
  std::string_view path = rest.substr(slash + 1);
  constexpr std::string_view kPrefix = "certkeeper/";
  if (path.substr(0, kPrefix.size()) != kPrefix) {
    return InvalidArgumentError("SPIFFE ID '" + std::string(uri) +
                                "' is not a certkeeper identity (expected "
                                "spiffe://<trust-domain>/certkeeper/<role>/<name>)");
  }
  path.remove_prefix(kPrefix.size());
  auto sep = path.find('/');
  if (sep == std::string_view::npos || sep + 1 >= path.size() ||
      path.find('/', sep + 1) != std::string_view::npos) {
    return InvalidArgumentError("SPIFFE ID '" + std::string(uri) +
                                "' must end in /certkeeper/<role>/<name>");
  }
  ASSIGN_OR_RETURN(Role role, ParseRole(path.substr(0, sep)));
  return Identity{std::string(path.substr(sep + 1)), role, "mtls"};
}

Result<std::string> GenerateApiToken() {
  ASSIGN_OR_RETURN(Bytes random, pki::RandomBytes(32));
  return std::string(kTokenPrefix) + Base64UrlEncode(random);
}

std::string HashApiToken(std::string_view token) { return HexEncode(pki::Sha256(ToBytes(token))); }

}  // namespace ck::web
