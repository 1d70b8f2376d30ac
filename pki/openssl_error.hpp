// Turns OpenSSL's thread-local error queue into a Status, so callers see *why* OpenSSL refused
// (e.g. "unsupported algorithm", "wrong tag") instead of a bare failure code.
#pragma once

#include <string>
#include <string_view>

#include "common/status.hpp"

namespace ck::pki {

// Returns Status(code, "what: <queued OpenSSL errors joined by '; '>") and empties the queue,
// so a later failure never reports this one's stale errors.
Status OpenSslError(StatusCode code, std::string_view what);

// The queued errors as text (drains the queue); empty when nothing was queued.
std::string DrainOpenSslErrors();

// Empties the error queue on scope exit. Used where failure is expected and handled (trying
// several decoders on the same bytes), so the attempts leave nothing behind for the next caller.
class ScopedOpenSslErrorClear {
 public:
  ScopedOpenSslErrorClear() = default;
  ~ScopedOpenSslErrorClear();
  ScopedOpenSslErrorClear(const ScopedOpenSslErrorClear&) = delete;
  ScopedOpenSslErrorClear& operator=(const ScopedOpenSslErrorClear&) = delete;
};

}  // namespace ck::pki
