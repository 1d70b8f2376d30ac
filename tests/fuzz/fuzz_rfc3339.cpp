// Fuzz target: ck::ParseRfc3339 (ACME order/authorization expiry, ARI windows, CLI --at) against
// an independent strict reading of RFC 3339 §5.6 plus the extensions the header documents (bare
// date, space separator, lowercase t/z). Accepted text must be in that grammar and mean the
// same instant; text in the grammar must be accepted; FormatRfc3339 must read back.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "common/clock.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

using namespace std::chrono;  // NOLINT(google-build-using-namespace)

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

// date-fullyear "-" date-month "-" date-mday [ ("T"|"t"|" ") partial-time time-offset ]
// with partial-time = HH ":" MM ":" SS [ "." 1*DIGIT ] and time-offset = "Z"|"z"|("+"|"-")HH:MM.
// Returns the instant (fractions dropped, as ParseRfc3339 documents) or nullopt.
std::optional<sys_seconds> Strict(std::string_view s) {
  int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0;
  if (!Digits(s, 0, 4, &y) || s.size() < 10 || s[4] != '-' || !Digits(s, 5, 2, &mo) ||
      s[7] != '-' || !Digits(s, 8, 2, &d)) {
    return std::nullopt;
  }
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                           day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;  // RFC 3339 §5.7: the day must exist in that month
  int sign = 0;
  size_t pos = 10;
  if (pos < s.size()) {
    if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return std::nullopt;
    if (!Digits(s, 11, 2, &h) || s.size() < 19 || s[13] != ':' || !Digits(s, 14, 2, &mi) ||
        s[16] != ':' || !Digits(s, 17, 2, &sec)) {
      return std::nullopt;
    }
    pos = 19;
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      const size_t first = pos;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
      if (pos == first) return std::nullopt;
    }
    if (pos >= s.size()) return std::nullopt;
    if (s[pos] == 'Z' || s[pos] == 'z') {
      ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
      sign = s[pos] == '+' ? 1 : -1;
      if (!Digits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
          !Digits(s, pos + 4, 2, &om)) {
        return std::nullopt;
      }
      pos += 6;
    } else {
      return std::nullopt;
    }
    if (pos != s.size()) return std::nullopt;
    if (h > 23 || mi > 59 || sec > 60 || oh > 23 || om > 59) return std::nullopt;
  }
  // A leap second (:60) is read as the first second of the next minute.
  return sys_days{ymd} + hours{h} + minutes{mi} + seconds{sec} - sign * (hours{oh} + minutes{om});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = ck::fuzz::AsText(data, size);
  const std::optional<sys_seconds> expected = Strict(text);
  auto t = ck::ParseRfc3339(text);
  if (!t.ok()) {
    FUZZ_CHECK(t.status().code() == ck::StatusCode::kInvalidArgument);
    // Valid RFC 3339 must be accepted, unless a TimePoint cannot hold it.
    FUZZ_CHECK(!expected.has_value() || !ck::fuzz::FitsTimePoint(*expected));
    return 0;
  }
  FUZZ_CHECK(expected.has_value());  // nothing outside the grammar is accepted
  // Out of TimePoint's span, refusing or saturating are both fine; wrapping around is not.
  FUZZ_CHECK(ck::fuzz::HoldsInstant(*t, *expected));
  // What FormatRfc3339 writes reads back as the same instant.
  if (ck::fuzz::FitsTimePoint(*expected)) {
    auto again = ck::ParseRfc3339(ck::FormatRfc3339(*t));
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(*again == *t);
  }
  return 0;
}
