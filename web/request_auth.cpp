#include "web/request_auth.hpp"

namespace ck::web {

Result<Identity> Authenticate(const HttpRequest& request, Backend& backend) {
  if (request.client_certificate) {
    return backend.AuthenticateClientCertificate(*request.client_certificate);
  }
  ASSIGN_OR_RETURN(std::optional<std::string> token, ExtractBearerToken(request.headers));
  if (!token) {
    return UnauthenticatedError(
        "authentication required: send 'Authorization: Bearer <token>' (certkeeper token "
        "create) or a client certificate issued by the internal CA");
  }
  return backend.AuthenticateToken(*token);
}

Status Authorize(const Identity& identity, Permission needed) {
  if (Allows(identity.role, needed)) return OkStatus();
  const char* what = needed == Permission::kAdminister ? "the admin role"
                     : needed == Permission::kIssue    ? "the operator or admin role"
                                                       : "read access";
  return PermissionDeniedError(identity.ToString() + " lacks " + what + " for this request");
}

}  // namespace ck::web
