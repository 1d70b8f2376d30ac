// Object identifiers (DER contents, without tag and length) that the direct DER paths
// (pki/csr_parts, PublicKey's EC fast paths) compare and write.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "common/encoding.hpp"

namespace ck::pki::der::oid {

inline const Bytes kIdEcPublicKey = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};  // RFC 5480
inline const Bytes kIdEd25519 = {0x2b, 0x65, 0x70};                              // RFC 8410
inline const Bytes kEcdsaWithSha256 = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
inline const Bytes kEcdsaWithSha384 = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03};

struct NamedCurve {
  Bytes oid;
  const char* group;  // OpenSSL's group name
  const char* nist;   // the NIST name OpenSSL also answers with
};
inline const NamedCurve kNamedCurves[] = {
    {{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}, "prime256v1", "P-256"},
    {{0x2b, 0x81, 0x04, 0x00, 0x22}, "secp384r1", "P-384"},
    {{0x2b, 0x81, 0x04, 0x00, 0x23}, "secp521r1", "P-521"},
};

inline const NamedCurve* CurveByOid(const uint8_t* oid, size_t len) {
  for (const auto& c : kNamedCurves) {
    if (c.oid.size() == len && std::memcmp(c.oid.data(), oid, len) == 0) return &c;
  }
  return nullptr;
}

inline const NamedCurve* CurveByGroup(std::string_view name) {
  for (const auto& c : kNamedCurves) {
    if (name == c.group || name == c.nist) return &c;
  }
  return nullptr;
}

}  // namespace ck::pki::der::oid
