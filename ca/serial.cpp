#include "ca/serial.hpp"

#include <cctype>

#include "pki/digest.hpp"

namespace ck::ca {

Result<Bytes> NewSerial() {
  for (;;) {
    ASSIGN_OR_RETURN(Bytes serial, pki::RandomBytes(16));
    for (uint8_t b : serial) {
      if (b != 0) return serial;  // zero is not a valid serial; 2^-128 odds, but be exact
    }
  }
}

std::string SerialToHex(const Bytes& serial) {
  size_t start = 0;
  while (start + 1 < serial.size() && serial[start] == 0) ++start;
  return HexEncode(serial.data() + start, serial.size() - start, /*upper=*/true);
}

Result<std::string> NormalizeSerialHex(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return InvalidArgumentError("serial '" + std::string(text) + "': " + std::string(why) +
                                " (expected hex, e.g. 5F3A...C2 or 5f:3a:...:c2)");
  };
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) {
    text.remove_suffix(1);
  }
  if (text.starts_with("0x") || text.starts_with("0X")) text.remove_prefix(2);
  std::string digits;
  for (char c : text) {
    if (c == ':') continue;
    if (std::isxdigit(static_cast<unsigned char>(c)) == 0) return bad("not a hex number");
    digits += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return bad("a serial must be positive");
  digits.erase(0, first);
  if (digits.size() % 2 != 0) digits.insert(digits.begin(), '0');
  if (digits.size() > 40) return bad("longer than 20 octets (RFC 5280 §4.1.2.2)");
  return digits;
}

}  // namespace ck::ca
