// Strict DER <-> object helpers shared by key, certificate and CSR code. "Strict" means the
// whole input must be one structure: trailing bytes are an error, not silently ignored, because
// a file with extra data after the certificate is corrupt or not what the user thinks it is.
#pragma once

#include <openssl/err.h>

#include <climits>
#include <string>
#include <string_view>

#include "common/encoding.hpp"
#include "common/status.hpp"
#include "pki/handles.hpp"
#include "pki/openssl_error.hpp"

namespace ck::pki {

// Decodes `data` with a d2i-style function `d2i(const unsigned char** in, long len)` into the
// owning pointer type Ptr. `what` names the structure in messages ("certificate").
template <typename Ptr, typename D2i>
Result<Ptr> DecodeDerExact(const uint8_t* data, size_t len, std::string_view what, D2i d2i) {
  if (len == 0) return InvalidArgumentError(std::string(what) + ": input is empty");
  if (len > static_cast<size_t>(LONG_MAX)) {
    return InvalidArgumentError(std::string(what) + ": input is too large");
  }
  const unsigned char* p = data;
  Ptr obj(d2i(&p, static_cast<long>(len)));
  if (!obj) {
    return OpenSslError(StatusCode::kInvalidArgument, "not a valid DER " + std::string(what));
  }
  if (p != data + len) {
    ERR_clear_error();
    return InvalidArgumentError(std::string(what) + ": " +
                                std::to_string(static_cast<size_t>(data + len - p)) +
                                " unexpected bytes after the DER structure");
  }
  return obj;
}

// Encodes with an i2d-style callable `i2d(unsigned char** out) -> int`. Empty on failure,
// which for an object we already hold only happens on allocation failure.
template <typename I2d>
Bytes EncodeDer(I2d i2d) {
  unsigned char* raw = nullptr;
  int len = i2d(&raw);
  OpenSslBytesPtr owner(raw);
  if (len <= 0 || raw == nullptr) {
    ERR_clear_error();
    return {};
  }
  return Bytes(raw, raw + len);
}

}  // namespace ck::pki
