#include "pki/der_writer.hpp"

namespace ck::pki::der {

void AppendLength(Bytes& out, size_t len) {
  if (len < 0x80) {
    out.push_back(static_cast<uint8_t>(len));
    return;
  }
  uint8_t digits[sizeof(size_t)];
  int n = 0;
  for (size_t v = len; v != 0; v >>= 8) digits[n++] = static_cast<uint8_t>(v & 0xff);
  out.push_back(static_cast<uint8_t>(0x80 | n));
  while (n > 0) out.push_back(digits[--n]);
}

void AppendTlv(Bytes& out, uint8_t tag, const uint8_t* data, size_t len) {
  out.push_back(tag);
  AppendLength(out, len);
  out.insert(out.end(), data, data + len);
}

Bytes Tlv(uint8_t tag, const Bytes& content) {
  Bytes out;
  out.reserve(content.size() + 6);
  AppendTlv(out, tag, content);
  return out;
}

Bytes UnsignedInteger(const Bytes& magnitude) {
  size_t start = 0;
  while (start + 1 < magnitude.size() && magnitude[start] == 0) ++start;
  Bytes content;
  if (magnitude.empty()) {
    content.push_back(0);
  } else {
    if (magnitude[start] & 0x80) content.push_back(0);
    content.insert(content.end(), magnitude.begin() + static_cast<std::ptrdiff_t>(start),
                   magnitude.end());
  }
  return Tlv(kInteger, content);
}

}  // namespace ck::pki::der
