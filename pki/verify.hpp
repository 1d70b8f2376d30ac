// Chain verification at a *given* time against a given trust store, with a reason a human can
// act on. The time is always the caller's (the daemon's Clock), never OpenSSL's wall clock, so
// tests and the renewal simulator can verify "as of" any instant.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/status.hpp"
#include "pki/certificate.hpp"

namespace ck::pki {

enum class VerifyReason {
  kOk,
  kExpired,
  kNotYetValid,
  kUnknownIssuer,
  kSelfSignedNotTrusted,
  kHostnameMismatch,
  kBadSignature,
  kInvalidPurpose,
  kRevoked,
  kOther,
};
// "ok", "expired", "not_yet_valid", "unknown_issuer", "self_signed_not_trusted",
// "hostname_mismatch", "bad_signature", "invalid_purpose", "revoked", "other".
std::string_view VerifyReasonName(VerifyReason reason);

struct VerifyOptions {
  TimePoint at;          // the instant to verify at; required
  std::string hostname;  // DNS name or IP literal; empty = do not check
  // "serverAuth" (default), "clientAuth", "emailProtection", "OCSPSigning", "any";
  // empty = do not check the purpose.
  std::string purpose = "serverAuth";
  // Accept a chain that ends at a trusted certificate that is not self-signed (trusting an
  // intermediate directly, as pinning to an issuing CA does).
  bool allow_partial_chain = false;
};

struct VerifyResult {
  bool ok = false;
  VerifyReason reason = VerifyReason::kOther;
  std::string message;  // why, in words an operator can act on; "" when ok
  // Position of the failing certificate in the chain passed in (0 = leaf); -1 when it is not
  // from that chain (a trust-store certificate) or no single certificate is at fault.
  int failing_index = -1;
  int failing_depth = -1;                   // position in the path OpenSSL built (0 = leaf)
  std::string failing_subject;              // RFC 2253 subject of the failing certificate
  std::string missing_issuer;               // kUnknownIssuer: the issuer name nobody could supply
  int openssl_error = 0;                    // X509_V_ERR_*, for logs
  std::vector<std::string> path;            // subjects leaf -> trust anchor, when ok
  std::vector<Certificate> verified_chain;  // the same certificates, when ok
};

// `chain` is what a server serves: leaf first, then intermediates in any order (OpenSSL builds
// the path). Invalid inputs (empty chain, unknown purpose) come back as ok=false, kOther.
VerifyResult VerifyChain(const std::vector<Certificate>& chain,
                         const std::vector<Certificate>& trust_roots, const VerifyOptions& options);

// Same against the system trust store (/etc/ssl/certs, OpenSSL's default paths).
VerifyResult VerifyChainWithSystemRoots(const std::vector<Certificate>& chain,
                                        const VerifyOptions& options);

// Checks that each certificate was issued by the next (RFC 8446 §4.4.2 asks servers to send
// the chain in order; some clients still fail otherwise). InvalidArgument naming the first
// out-of-place pair. A missing root at the end is fine.
Status CheckChainOrder(const std::vector<Certificate>& chain);

// "3 days", "1 hour", "42 seconds": the largest whole unit, for messages.
std::string HumanDuration(std::chrono::seconds d);

}  // namespace ck::pki
