// SecretString: owns secret bytes (an unsealed private key PEM) and wipes them when it dies,
// so plaintext key material does not linger in freed heap memory.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ck::store {

// Overwrites `len` bytes at `p` in a way the compiler may not optimise away.
void SecureWipe(void* p, size_t len);

// Move-only. Hand out views (`view()`) for the shortest time possible; any std::string copy
// the caller makes is outside this protection.
class SecretString {
 public:
  SecretString() = default;
  // Takes ownership of `s`'s buffer; wipes what a short-string move leaves behind in `s`.
  explicit SecretString(std::string&& s) : s_(std::move(s)) { WipeString(s); }
  explicit SecretString(std::string_view s) : s_(s) {}
  ~SecretString() { WipeString(s_); }

  SecretString(SecretString&& o) noexcept : s_(std::move(o.s_)) { WipeString(o.s_); }
  SecretString& operator=(SecretString&& o) noexcept {
    if (this != &o) {
      WipeString(s_);
      s_ = std::move(o.s_);
      WipeString(o.s_);
    }
    return *this;
  }
  SecretString(const SecretString&) = delete;
  SecretString& operator=(const SecretString&) = delete;

  std::string_view view() const { return s_; }
  const char* data() const { return s_.data(); }
  char* mutable_data() { return s_.data(); }  // for filling in place (e.g. decrypting into it)
  size_t size() const { return s_.size(); }
  bool empty() const { return s_.empty(); }

 private:
  // Wipes the whole buffer (capacity, not just size: earlier contents may sit past size()).
  static void WipeString(std::string& s) {
    SecureWipe(s.data(), s.capacity());
    s.clear();
  }
  std::string s_;
};

}  // namespace ck::store
