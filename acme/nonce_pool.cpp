#include "acme/nonce_pool.hpp"

namespace ck::acme {
namespace {

bool IsBase64Url(std::string_view s) {
  if (s.empty() || s.size() > 512) return false;
  for (char c : s) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> NoncePool::Take() {
  std::lock_guard<std::mutex> lock(mu_);
  if (nonces_.empty()) return std::nullopt;
  std::string n = std::move(nonces_.back());
  nonces_.pop_back();
  return n;
}

void NoncePool::Put(std::string_view nonce) {
  if (!IsBase64Url(nonce)) return;
  std::lock_guard<std::mutex> lock(mu_);
  nonces_.emplace_back(nonce);
  while (nonces_.size() > capacity_) nonces_.pop_front();
}

void NoncePool::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  nonces_.clear();
}

size_t NoncePool::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return nonces_.size();
}

}  // namespace ck::acme
