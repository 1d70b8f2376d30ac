#include "store/secret_string.hpp"

#include <openssl/crypto.h>

namespace ck::store {

void SecureWipe(void* p, size_t len) {
  if (p != nullptr && len > 0) OPENSSL_cleanse(p, len);
}

}  // namespace ck::store
