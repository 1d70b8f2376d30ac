// /v1/ca/* (chain, CRL, OCSP: open, as relying parties need them) and /v1/certificates
// (sign a CSR, issue with a server-side key, revoke: operator; list/get: viewer).
#pragma once

#include "web/backend.hpp"
#include "web/http_types.hpp"

namespace ck::web {

HttpResponse HandleCaChain(const HttpRequest& request, Backend& backend);
HttpResponse HandleCaCrl(const HttpRequest& request, Backend& backend);
// POST with an application/ocsp-request body (RFC 6960 appendix A.1).
HttpResponse HandleOcsp(const HttpRequest& request, Backend& backend);

// POST /v1/certificates/sign {"csr": PEM, "profile", "ttl", "name"}
HttpResponse HandleSignCsr(const HttpRequest& request, const Identity& who, Backend& backend);
// POST /v1/certificates/issue {"profile", "dns": [...], "ip", "uri", "email", "ttl", "key_type"}
HttpResponse HandleIssue(const HttpRequest& request, const Identity& who, Backend& backend);
// POST /v1/certificates/revoke {"serial": "...", "reason": "keyCompromise"}
HttpResponse HandleRevoke(const HttpRequest& request, const Identity& who, Backend& backend);
// GET /v1/certificates?q=&name=&source=&status=&serial=&expiring_before=&expiring_within=30d
// &after=&limit= (web/inventory_json.hpp)
HttpResponse HandleListCertificates(const HttpRequest& request, const Identity& who,
                                    Backend& backend);
// GET /v1/certificates/{id}
HttpResponse HandleGetCertificate(const HttpRequest& request, const Identity& who,
                                  Backend& backend);

}  // namespace ck::web
