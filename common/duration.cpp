#include "common/duration.hpp"

#include <cctype>
#include <limits>

namespace ck {

Result<std::chrono::seconds> ParseDuration(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return InvalidArgumentError("invalid duration '" + std::string(text) + "': " + why +
                                " (examples: 90s, 15m, 24h, 30d, 1w)");
  };
  if (text.empty()) return bad("empty");
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return bad("expected a number");
    int64_t n = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      if (n > std::numeric_limits<int64_t>::max() / 10 - 10) return bad("too large");
      n = n * 10 + (text[i] - '0');
      ++i;
    }
    if (i == text.size()) return bad("missing unit");
    int64_t mult;
    switch (text[i]) {
      case 's': mult = 1; break;
      case 'm': mult = 60; break;
      case 'h': mult = 3600; break;
      case 'd': mult = 86400; break;
      case 'w': mult = 7 * 86400; break;
      default: return bad(std::string("unknown unit '") + text[i] + "'");
    }
    ++i;
    if (n > (std::numeric_limits<int64_t>::max() - total) / mult) return bad("too large");
    total += n * mult;
  }
  return std::chrono::seconds(total);
}

std::string FormatDuration(std::chrono::seconds d) {
  int64_t s = d.count();
  if (s == 0) return "0s";
  std::string out;
  if (s < 0) {
    out = "-";
    s = -s;
  }
  const std::pair<int64_t, char> units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
  for (auto [size, unit] : units) {
    if (s >= size) {
      out += std::to_string(s / size) + unit;
      s %= size;
    }
  }
  return out;
}

}  // namespace ck
