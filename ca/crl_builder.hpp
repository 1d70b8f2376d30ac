// RFC 5280 §5 certificate revocation lists: reason codes and a pure CRL builder (the caller
// supplies the entries, the number and the times).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/status.hpp"
#include "pki/certificate.hpp"
#include "pki/key.hpp"

namespace ck::ca {

// RFC 5280 §5.3.1 CRLReason. certificateHold (6) and removeFromCRL (8) exist on the wire but
// this CA never uses them: a revocation here is final.
enum class RevocationReason : int {
  kUnspecified = 0,
  kKeyCompromise = 1,
  kCaCompromise = 2,
  kAffiliationChanged = 3,
  kSuperseded = 4,
  kCessationOfOperation = 5,
  kCertificateHold = 6,
  kRemoveFromCrl = 8,
  kPrivilegeWithdrawn = 9,
  kAaCompromise = 10,
};

// "keyCompromise", "key-compromise", "key_compromise", "KEYCOMPROMISE" ... (case and '-'/'_'
// insensitive). InvalidArgument for unknown names and for certificateHold/removeFromCRL.
Result<RevocationReason> ParseRevocationReason(std::string_view text);
std::string_view RevocationReasonName(RevocationReason reason);  // "keyCompromise"
// The names ParseRevocationReason accepts, for help texts.
std::string RevocationReasonNames();

struct CrlEntry {
  std::string serial_hex;
  TimePoint revoked_at;
  RevocationReason reason = RevocationReason::kUnspecified;
};

struct CrlSpec {
  int64_t crl_number = 1;
  TimePoint this_update;
  TimePoint next_update;
  std::vector<CrlEntry> entries;
};

// A v2 CRL signed by `issuer` with its key: authorityKeyIdentifier and cRLNumber extensions,
// entries sorted by serial, a reasonCode entry extension unless the reason is unspecified
// (RFC 5280 §5.3.1 says to leave it out then). Returns PEM ("X509 CRL").
Result<std::string> BuildCrlPem(const CrlSpec& spec, const pki::Certificate& issuer,
                                const pki::PrivateKey& key);

}  // namespace ck::ca
