// Writing DER (X.690) directly: tag, definite length, contents. For the hot paths where going
// through OpenSSL's ASN.1 templates or provider encoders costs more than the work itself
// (ca/leaf_signer, PublicKey::SpkiDer). Callers keep the structure right; the unit tests
// compare the results with OpenSSL's own encoding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/encoding.hpp"
#include "pki/der_tags.hpp"

namespace ck::pki::der {

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
