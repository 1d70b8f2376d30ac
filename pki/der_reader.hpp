// Reading DER (X.690) directly, for the hot paths that take apart structures whose shape they
// know (pki/csr_parts, PublicKey::FromDer's EC fast path) instead of OpenSSL 3.0's decoders.
// Strict: single-octet tags, definite minimal lengths; anything else is "not this shape".
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "pki/der_tags.hpp"

namespace ck::pki::der {

// One element: where it starts (the tag octet) and its contents.
struct Element {
  uint8_t tag = 0;
  const uint8_t* start = nullptr;
  const uint8_t* content = nullptr;
  size_t len = 0;  // of the contents
  const uint8_t* end() const { return content + len; }
  size_t size() const { return static_cast<size_t>(end() - start); }
  bool Is(const uint8_t* bytes, size_t n) const {
    return len == n && std::memcmp(content, bytes, n) == 0;
  }
  template <typename Container>
  bool Is(const Container& bytes) const {
    return Is(bytes.data(), bytes.size());
  }
};

// Reads the element at `p` into `e` and advances `p` past it, if it lies within [p, end) and
// has tag `tag`; otherwise false (and `p` is unchanged).
inline bool Next(const uint8_t*& p, const uint8_t* end, uint8_t tag, Element* e) {
  if (end - p < 2 || p[0] != tag) return false;
  const uint8_t* q = p + 1;
  size_t len = *q++;
  if (len & 0x80) {
    const size_t n = len & 0x7f;
    if (n == 0 || n > 4 || static_cast<size_t>(end - q) < n || q[0] == 0) return false;
    len = 0;
    for (size_t i = 0; i < n; ++i) len = (len << 8) | *q++;
    if (len < 0x80) return false;  // not minimal
  }
  if (static_cast<size_t>(end - q) < len) return false;
  e->tag = p[0];
  e->start = p;
  e->content = q;
  e->len = len;
  p = q + len;
  return true;
}

}  // namespace ck::pki::der
