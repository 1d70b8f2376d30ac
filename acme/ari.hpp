// ACME Renewal Information (RFC 9773): the certificate identifier, the CA's suggested renewal
// window, when to ask again, and the renewal time picked inside the window.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "acme/client.hpp"
#include "common/clock.hpp"
#include "common/rng.hpp"
#include "pki/certificate.hpp"

namespace ck::acme {

struct RenewalInfo {
  TimePoint window_start;
  TimePoint window_end;
  std::string explanation_url;
  // When to fetch the renewal info again: the server's Retry-After, clamped (see
  // GetRenewalInfo); absent only from ParseRenewalInfo.
  std::optional<TimePoint> next_check;
};

// RFC 9773 §4.1: base64url(AKI keyIdentifier) "." base64url(serial number DER content bytes,
// i.e. with a leading 0x00 when the high bit is set). The parts are given as raw bytes.
std::string AriCertificateId(const Bytes& authority_key_id, const Bytes& serial);
// The same from a certificate; FailedPrecondition when it has no AKI keyIdentifier.
Result<std::string> AriCertificateId(const pki::Certificate& cert);

// {"suggestedWindow":{"start":RFC3339,"end":RFC3339},"explanationURL":...}.
// InvalidArgument on garbage, missing members, or end before start (RFC 9773 §4.2).
Result<RenewalInfo> ParseRenewalInfo(std::string_view body);

// GET <renewalInfo>/<certID> (unauthenticated, RFC 9773 §4.2). Unimplemented when the
// directory has no renewalInfo. next_check = Retry-After clamped to [1 minute, 1 day]
// (default 6 hours when absent), so neither a missing nor a silly header makes us hammer or
// forget the CA.
Result<RenewalInfo> GetRenewalInfo(Client& client, const pki::Certificate& cert);

// RFC 9773 §4.2: "select a uniform random time within the suggested window"; a window that
// has already ended (e.g. the certificate was revoked) means now.
TimePoint PickRenewalTime(const RenewalInfo& info, TimePoint now, Rng& rng);

}  // namespace ck::acme
