// Hashes, MACs and randomness for the modules above pki/ (pins, ACME EAB, webhook signatures,
// tokens). Key material and secrets always come from OpenSSL's CSPRNG, never from ck::Rng.
#pragma once

#include <cstddef>
#include <string_view>

#include "common/encoding.hpp"
#include "common/status.hpp"

namespace ck::pki {

Bytes Sha256(const uint8_t* data, size_t len);
inline Bytes Sha256(const Bytes& data) { return Sha256(data.data(), data.size()); }
inline Bytes Sha256(std::string_view data) {
  return Sha256(reinterpret_cast<const uint8_t*>(data.data()), data.size());
}

// RFC 2104 HMAC with SHA-256 (ACME EAB "HS256", webhook signatures).
Bytes HmacSha256(const Bytes& key, const Bytes& data);
inline Bytes HmacSha256(const Bytes& key, std::string_view data) {
  return HmacSha256(key, ToBytes(data));
}

// `n` bytes from the CSPRNG; Internal if OpenSSL cannot seed (should never happen on Linux).
Result<Bytes> RandomBytes(size_t n);

// Compares secrets without leaking the position of the first difference through timing.
bool ConstantTimeEquals(const Bytes& a, const Bytes& b);

}  // namespace ck::pki
