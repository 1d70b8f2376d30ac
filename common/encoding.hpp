// Byte encodings shared by pki/ (pins), acme/ (JWS base64url) and store/.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"

namespace ck {

using Bytes = std::vector<uint8_t>;

inline Bytes ToBytes(std::string_view s) { return Bytes(s.begin(), s.end()); }
inline std::string ToString(const Bytes& b) { return std::string(b.begin(), b.end()); }

std::string Base64Encode(const uint8_t* data, size_t len);
inline std::string Base64Encode(const Bytes& b) { return Base64Encode(b.data(), b.size()); }
inline std::string Base64Encode(std::string_view s) {
  return Base64Encode(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
// Standard alphabet with padding; whitespace is ignored. InvalidArgument on bad input.
Result<Bytes> Base64Decode(std::string_view s);

// RFC 4648 §5, no padding (as JOSE requires).
std::string Base64UrlEncode(const uint8_t* data, size_t len);
inline std::string Base64UrlEncode(const Bytes& b) { return Base64UrlEncode(b.data(), b.size()); }
inline std::string Base64UrlEncode(std::string_view s) {
  return Base64UrlEncode(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
Result<Bytes> Base64UrlDecode(std::string_view s);

std::string HexEncode(const uint8_t* data, size_t len, bool upper = false);
inline std::string HexEncode(const Bytes& b, bool upper = false) {
  return HexEncode(b.data(), b.size(), upper);
}
Result<Bytes> HexDecode(std::string_view s);

}  // namespace ck
