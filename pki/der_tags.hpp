// DER (X.690) tags shared by the direct reader and writer (pki/der_reader.hpp, der_writer.hpp).
#pragma once

#include <cstdint>

namespace ck::pki::der {

inline constexpr uint8_t kBoolean = 0x01, kInteger = 0x02, kBitString = 0x03, kOctetString = 0x04,
                         kNull = 0x05, kOid = 0x06, kUtf8String = 0x0c, kUtcTime = 0x17,
                         kGeneralizedTime = 0x18, kSequence = 0x30, kSet = 0x31;
// Context-specific tags: [n] constructed (EXPLICIT, or IMPLICIT over a constructed type) and
// [n] primitive (IMPLICIT over a string).
constexpr uint8_t Explicit(int n) { return static_cast<uint8_t>(0xa0 | n); }
constexpr uint8_t Implicit(int n) { return static_cast<uint8_t>(0x80 | n); }

}  // namespace ck::pki::der
