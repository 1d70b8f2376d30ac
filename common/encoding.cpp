#include "common/encoding.hpp"

#include <array>

namespace ck {
namespace {

constexpr char kStd[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string Encode(const uint8_t* data, size_t len, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((len + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < len; i += 3) {
    uint32_t v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  if (i < len) {
    uint32_t v = data[i] << 16;
    if (i + 1 < len) v |= data[i + 1] << 8;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (i + 1 < len) {
      out += alphabet[(v >> 6) & 63];
    } else if (pad) {
      out += '=';
    }
    if (pad) out += '=';
  }
  return out;
}

Result<Bytes> Decode(std::string_view s, bool url) {
  std::array<int, 256> table;
  table.fill(-1);
  const char* alphabet = url ? kUrl : kStd;
  for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(alphabet[i])] = i;
  Bytes out;
  out.reserve(s.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  size_t padding = 0;
  for (char ch : s) {
    if (ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t') {
      if (url) return InvalidArgumentError("base64url: whitespace is not allowed");
      continue;
    }
    if (ch == '=') {
      if (url) return InvalidArgumentError("base64url: padding is not allowed");
      ++padding;
      continue;
    }
    if (padding > 0) return InvalidArgumentError("base64: data after padding");
    int v = table[static_cast<unsigned char>(ch)];
    if (v < 0) {
      return InvalidArgumentError(std::string(url ? "base64url" : "base64") +
                                  ": invalid character '" + ch + "'");
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>((acc >> bits) & 0xff));
    }
  }
  if (bits >= 6) return InvalidArgumentError("base64: truncated input");
  if (padding > 2) return InvalidArgumentError("base64: too much padding");
  return out;
}

}  // namespace

std::string Base64Encode(const uint8_t* d, size_t n) { return Encode(d, n, kStd, true); }
Result<Bytes> Base64Decode(std::string_view s) { return Decode(s, false); }
std::string Base64UrlEncode(const uint8_t* d, size_t n) { return Encode(d, n, kUrl, false); }
Result<Bytes> Base64UrlDecode(std::string_view s) { return Decode(s, true); }

std::string HexEncode(const uint8_t* data, size_t len, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (size_t i = 0; i < len; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 15];
  }
  return out;
}

Result<Bytes> HexDecode(std::string_view s) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string clean;
  for (char c : s) {
    if (c != ':' && c != ' ') clean += c;
  }
  if (clean.size() % 2) return InvalidArgumentError("hex: odd number of digits");
  Bytes out(clean.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = nibble(clean[2 * i]), lo = nibble(clean[2 * i + 1]);
    if (hi < 0 || lo < 0) return InvalidArgumentError("hex: invalid digit");
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

}  // namespace ck
