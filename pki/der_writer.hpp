// Writing DER (X.690) directly: tag, definite length, contents. For the hot paths where going
// through OpenSSL's ASN.1 templates or provider encoders costs more than the work itself
// (ca/leaf_signer, PublicKey::SpkiDer). Callers keep the structure right; the unit tests
// compare the results with OpenSSL's own encoding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/encoding.hpp"

namespace ck::pki::der {

inline constexpr uint8_t kBoolean = 0x01, kInteger = 0x02, kBitString = 0x03, kOctetString = 0x04,
                         kNull = 0x05, kOid = 0x06, kUtf8String = 0x0c, kUtcTime = 0x17,
                         kGeneralizedTime = 0x18, kSequence = 0x30, kSet = 0x31;
// Context-specific tags: [n] constructed (EXPLICIT, or IMPLICIT over a constructed type) and
// [n] primitive (IMPLICIT over a string).
constexpr uint8_t Explicit(int n) { return static_cast<uint8_t>(0xa0 | n); }
constexpr uint8_t Implicit(int n) { return static_cast<uint8_t>(0x80 | n); }

void AppendLength(Bytes& out, size_t len);
void AppendTlv(Bytes& out, uint8_t tag, const uint8_t* data, size_t len);
inline void AppendTlv(Bytes& out, uint8_t tag, const Bytes& content) {
  AppendTlv(out, tag, content.data(), content.size());
}
inline void AppendTlv(Bytes& out, uint8_t tag, std::string_view content) {
  AppendTlv(out, tag, reinterpret_cast<const uint8_t*>(content.data()), content.size());
}
Bytes Tlv(uint8_t tag, const Bytes& content);
// A non-negative INTEGER from big-endian magnitude bytes, minimally encoded.
Bytes UnsignedInteger(const Bytes& magnitude);

}  // namespace ck::pki::der
