// RFC 6960 OCSP responder logic without sockets: request bytes in, response bytes out. The
// HTTP binding (RFC 6960 Appendix A, POST body or base64 in the GET path) lives in web/.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ca/crl_builder.hpp"
#include "common/clock.hpp"
#include "common/encoding.hpp"
#include "common/status.hpp"
#include "pki/certificate.hpp"
#include "pki/key.hpp"

namespace ck::ca {

enum class OcspCertStatus { kGood, kRevoked, kUnknown };

struct OcspStatus {
  OcspCertStatus status = OcspCertStatus::kUnknown;
  TimePoint revoked_at;  // kRevoked only
  RevocationReason reason = RevocationReason::kUnspecified;
};

// A delegated responder (RFC 6960 §4.2.2.2): a certificate the CA issued with
// id-kp-OCSPSigning, and its key.
struct OcspSigner {
  pki::Certificate cert;
  pki::PrivateKey key;
};

// A CA that answers for the certificates it issued: signing with its own key (RFC 6960
// §4.2.2.2: the CA that issued the certificate in question may sign directly), or, when
// `signer` is set, through its delegated responder.
struct OcspIssuer {
  int64_t id = 0;  // opaque here; handed back to the lookup
  pki::Certificate cert;
  pki::PrivateKey key;
  std::optional<OcspSigner> signer = std::nullopt;
};

// Status of `serial_hex` (uppercase hex) among the certificates `issuer` issued. Unavailable
// becomes a tryLater response, other errors internalError.
using OcspStatusLookup =
    std::function<Result<OcspStatus>(const OcspIssuer& issuer, const std::string& serial_hex)>;

struct OcspResponderOptions {
  TimePoint now;
  std::chrono::seconds validity{std::chrono::hours(4)};  // nextUpdate = now + validity
  size_t max_requests = 32;  // single requests per OCSPRequest; more is malformedRequest
};

// RFC 6960 OCSP response status codes (§4.2.1).
enum class OcspResponseStatus : int {
  kSuccessful = 0,
  kMalformedRequest = 1,
  kInternalError = 2,
  kTryLater = 3,
  kSigRequired = 5,
  kUnauthorized = 6,
};

struct OcspAnswer {
  Bytes der;  // the DER OCSPResponse to send (always set, errors included)
  OcspResponseStatus status = OcspResponseStatus::kSuccessful;
  std::string detail;  // why it is not successful, for logs
};

// Answers a DER OCSPRequest. The responding CA is the one named (issuerNameHash +
// issuerKeyHash, any hash algorithm OpenSSL knows) by the single requests; all of them must
// name the same CA. Errors travel as OCSP response statuses: malformedRequest for bytes that
// are not a request, unauthorized when no CA in `issuers` is named or the requests mix CAs. The
// nonce extension (RFC 8954) is echoed; responses carry thisUpdate = now, nextUpdate = now +
// validity (never past a delegated responder's notAfter), producedAt = now, a responder ID by the
// signer's key hash and the signing certificate (a delegated responder's, followed by its issuing
// CA's, so a client that trusts only the root can build the path). Result is an error only when
// even an error response cannot be encoded.
Result<OcspAnswer> AnswerOcsp(const Bytes& request_der, const std::vector<OcspIssuer>& issuers,
                              const OcspStatusLookup& lookup, const OcspResponderOptions& options);

// An unsigned OCSPResponse with just an error status.
Result<Bytes> OcspErrorResponse(OcspResponseStatus status);

}  // namespace ck::ca
