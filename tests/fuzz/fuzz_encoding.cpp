// Fuzz target: ck::Base64Decode, Base64UrlDecode and HexDecode (PEM bodies, JOSE fields, pins,
// master keys, serials). Whatever decodes must re-encode to text that decodes to the same
// bytes, the two base64 alphabets must agree, and encoders must agree with each other.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/encoding.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

using namespace ck;  // NOLINT(google-build-using-namespace)

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

void CheckBase64(std::string_view text) {
  auto bytes = Base64Decode(text);
  if (!bytes.ok()) {
    FUZZ_CHECK(bytes.status().code() == StatusCode::kInvalidArgument);
    return;
  }
  const std::string encoded = Base64Encode(*bytes);
  FUZZ_CHECK(encoded.size() == (bytes->size() + 2) / 3 * 4);
  auto again = Base64Decode(encoded);
  FUZZ_CHECK(again.ok() && *again == *bytes);
  // Base64url is the same encoding with two letters swapped and no padding (RFC 4648 §5).
  std::string url = encoded;
  while (!url.empty() && url.back() == '=') url.pop_back();
  for (char& c : url) c = c == '+' ? '-' : c == '/' ? '_' : c;
  FUZZ_CHECK(Base64UrlEncode(*bytes) == url);
}

void CheckBase64Url(std::string_view text) {
  auto bytes = Base64UrlDecode(text);
  if (!bytes.ok()) {
    FUZZ_CHECK(bytes.status().code() == StatusCode::kInvalidArgument);
    return;
  }
  // JOSE forbids padding and whitespace (RFC 7515 §2).
  FUZZ_CHECK(text.find_first_of("= \t\r\n") == std::string_view::npos);
  auto again = Base64UrlDecode(Base64UrlEncode(*bytes));
  FUZZ_CHECK(again.ok() && *again == *bytes);
  // The same text in the standard alphabet decodes to the same bytes.
  std::string std_text(text);
  for (char& c : std_text) c = c == '-' ? '+' : c == '_' ? '/' : c;
  auto via_std = Base64Decode(std_text);
  FUZZ_CHECK(via_std.ok() && *via_std == *bytes);
}

void CheckHex(std::string_view text) {
  auto bytes = HexDecode(text);
  size_t digits = 0;
  bool only_hex = true;
  for (char c : text) {
    if (IsHexDigit(c)) {
      ++digits;
    } else if (c != ':' && c != ' ') {
      only_hex = false;
    }
  }
  // Separators ':' and ' ' are ignored; anything else is refused; digits come in pairs.
  FUZZ_CHECK(bytes.ok() == (only_hex && digits % 2 == 0));
  if (!bytes.ok()) {
    FUZZ_CHECK(bytes.status().code() == StatusCode::kInvalidArgument);
    return;
  }
  FUZZ_CHECK(bytes->size() * 2 == digits);
  for (bool upper : {false, true}) {
    const std::string encoded = HexEncode(*bytes, upper);
    auto again = HexDecode(encoded);
    FUZZ_CHECK(again.ok() && *again == *bytes);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = ck::fuzz::AsText(data, size);
  CheckBase64(text);
  CheckBase64Url(text);
  CheckHex(text);
  // Raw bytes survive every encoder/decoder pair.
  const Bytes raw = ck::fuzz::AsBytes(data, size);
  auto b64 = Base64Decode(Base64Encode(raw));
  FUZZ_CHECK(b64.ok() && *b64 == raw);
  auto b64url = Base64UrlDecode(Base64UrlEncode(raw));
  FUZZ_CHECK(b64url.ok() && *b64url == raw);
  auto hex = HexDecode(HexEncode(raw));
  FUZZ_CHECK(hex.ok() && *hex == raw);
  return 0;
}
