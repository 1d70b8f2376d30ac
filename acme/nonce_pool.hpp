// Replay-Nonce reuse (RFC 8555 §7.2): every response carries a fresh nonce, so a client that
// keeps them rarely needs a newNonce round trip. Shared by every order of one client.
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace ck::acme {

class NoncePool {
 public:
  explicit NoncePool(size_t capacity = 64) : capacity_(capacity) {}

  // A stored nonce (most recent first: older ones are likelier to have expired server-side),
  // or nullopt when the caller must fetch one from newNonce.
  std::optional<std::string> Take();
  // Keeps a Replay-Nonce value. RFC 8555 §6.5.1: the value is base64url; anything else is
  // dropped. When full, the oldest nonce is discarded.
  void Put(std::string_view nonce);
  // After the server rejected one nonce, the stored ones may be stale too (server restart).
  void Clear();
  size_t size() const;

 private:
  mutable std::mutex mu_;
  size_t capacity_;
  std::deque<std::string> nonces_;
};

}  // namespace ck::acme
