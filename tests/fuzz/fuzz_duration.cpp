// Fuzz target: ck::ParseDuration ("90s", "1d12h", used by config and CLI flags) against an
// independent 128-bit reference, and FormatDuration, whose output must parse to the same value.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>

#include "common/duration.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

// The grammar ([0-9]+[smhdw])+ evaluated exactly (saturating at 2^100, far above int64).
// nullopt when the text is not in the grammar.
std::optional<__int128> Reference(std::string_view text) {
  constexpr __int128 kCap = static_cast<__int128>(1) << 100;
  if (text.empty()) return std::nullopt;
  __int128 total = 0;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    __int128 n = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      n = n * 10 + (text[i] - '0');
      if (n > kCap) n = kCap;
      ++i;
    }
    if (i == text.size()) return std::nullopt;
    __int128 mult;
    switch (text[i]) {
      case 's': mult = 1; break;
      case 'm': mult = 60; break;
      case 'h': mult = 3600; break;
      case 'd': mult = 86400; break;
      case 'w': mult = 7 * 86400; break;
      default: return std::nullopt;
    }
    ++i;
    total += n * mult;
    if (total > kCap) total = kCap;
  }
  return total;
}

void CheckFormatRoundTrip(std::chrono::seconds d) {
  const std::string text = ck::FormatDuration(d);
  FUZZ_CHECK(!text.empty());
  auto again = ck::ParseDuration(text);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(*again == d);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = ck::fuzz::AsText(data, size);
  const std::optional<__int128> expected = Reference(text);
  auto d = ck::ParseDuration(text);
  if (d.ok()) {
    FUZZ_CHECK(expected.has_value());  // nothing outside the grammar is accepted
    FUZZ_CHECK(*expected == d->count());
    FUZZ_CHECK(d->count() >= 0);
    CheckFormatRoundTrip(*d);
  } else {
    FUZZ_CHECK(d.status().code() == ck::StatusCode::kInvalidArgument);
    // In the grammar and no larger than ~285 million years: must be accepted. (Values near
    // int64's limit may be refused as "too large"; that is a choice, not a bug.)
    FUZZ_CHECK(!expected.has_value() || *expected > (static_cast<__int128>(1) << 53));
  }
  // Any non-negative duration formats to text that parses back to it.
  if (size >= sizeof(int64_t)) {
    int64_t raw;
    std::memcpy(&raw, data, sizeof raw);
    if (raw >= 0) CheckFormatRoundTrip(std::chrono::seconds(raw));
  }
  return 0;
}
