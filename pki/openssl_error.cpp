#include "pki/openssl_error.hpp"

#include <openssl/err.h>

namespace ck::pki {
namespace {
// A corrupt input can queue dozens of nested ASN.1 errors; the first few carry the meaning.
constexpr int kMaxReportedErrors = 4;
}  // namespace

std::string DrainOpenSslErrors() {
  std::string out;
  int reported = 0;
  const char* data = nullptr;
  int flags = 0;
  unsigned long code = 0;
  while ((code = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) != 0) {
    if (reported++ >= kMaxReportedErrors) continue;  // keep draining, stop printing
    if (!out.empty()) out += "; ";
    const char* reason = ERR_reason_error_string(code);
    if (reason != nullptr) {
      out += reason;
    } else {
      char buf[256];
      ERR_error_string_n(code, buf, sizeof(buf));
      out += buf;
    }
    if ((flags & ERR_TXT_STRING) != 0 && data != nullptr && *data != '\0') {
      out += " (";
      out += data;
      out += ")";
    }
  }
  if (reported > kMaxReportedErrors) {
    out += "; +" + std::to_string(reported - kMaxReportedErrors) + " more";
  }
  return out;
}

Status OpenSslError(StatusCode code, std::string_view what) {
  std::string detail = DrainOpenSslErrors();
  std::string message(what);
  if (!detail.empty()) message += ": " + detail;
  return Status(code, std::move(message));
}

ScopedOpenSslErrorClear::~ScopedOpenSslErrorClear() { ERR_clear_error(); }

}  // namespace ck::pki
