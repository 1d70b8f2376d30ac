// Bounded JSON parsing for everything a server sends: size and nesting depth are checked
// before nlohmann builds a tree, so a hostile document can neither exhaust memory nor the
// stack; parsing itself never throws.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

namespace ck::acme {

inline constexpr size_t kMaxJsonBytes = 1 << 20;
inline constexpr int kMaxJsonDepth = 32;

// A discarded value (is_discarded()) when `text` is too large, too deep or not JSON.
inline nlohmann::json ParseBoundedJson(std::string_view text) {
  if (text.size() > kMaxJsonBytes) return nlohmann::json(nlohmann::json::value_t::discarded);
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxJsonDepth) return nlohmann::json(nlohmann::json::value_t::discarded);
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
}

}  // namespace ck::acme
