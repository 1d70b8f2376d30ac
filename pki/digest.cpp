#include "pki/digest.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <climits>

#include "pki/openssl_error.hpp"

namespace ck::pki {

Bytes Sha256(const uint8_t* data, size_t len) {
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int out_len = 0;
  // EVP_Digest with SHA-256 only fails on allocation failure; an empty result would then make
  // any comparison fail closed.
  if (EVP_Digest(data, len, out.data(), &out_len, EVP_sha256(), nullptr) != 1) {
    DrainOpenSslErrors();
    return {};
  }
  out.resize(out_len);
  return out;
}

Bytes HmacSha256(const Bytes& key, const Bytes& data) {
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int out_len = 0;
  static const uint8_t kEmpty = 0;  // HMAC() wants a non-null key pointer even for length 0
  if (key.size() > INT_MAX ||
      HMAC(EVP_sha256(), key.empty() ? &kEmpty : key.data(), static_cast<int>(key.size()),
           data.data(), data.size(), out.data(), &out_len) == nullptr) {
    DrainOpenSslErrors();
    return {};
  }
  out.resize(out_len);
  return out;
}

Result<Bytes> RandomBytes(size_t n) {
  Bytes out(n);
  if (n == 0) return out;
  if (n > INT_MAX) return InvalidArgumentError("RandomBytes: request too large");
  if (RAND_bytes(out.data(), static_cast<int>(n)) != 1) {
    return OpenSslError(StatusCode::kInternal, "RAND_bytes failed");
  }
  return out;
}

bool ConstantTimeEquals(const Bytes& a, const Bytes& b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace ck::pki
