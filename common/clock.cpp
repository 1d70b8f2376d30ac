#include "common/clock.hpp"

#include <cctype>
#include <cstdio>
#include <ctime>
#include <string>

namespace ck {

bool SystemClock::SleepUntil(TimePoint deadline, const std::function<bool()>& should_stop) {
  std::unique_lock lock(mu_);
  while (!should_stop()) {
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout) return !should_stop();
  }
  return false;
}

void SystemClock::Interrupt() {
  std::lock_guard lock(mu_);
  cv_.notify_all();
}

TimePoint FakeClock::Now() const {
  std::lock_guard lock(mu_);
  return now_;
}

bool FakeClock::SleepUntil(TimePoint deadline, const std::function<bool()>& should_stop) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return now_ >= deadline || should_stop(); });
  return now_ >= deadline;
}

void FakeClock::Interrupt() {
  std::lock_guard lock(mu_);
  cv_.notify_all();
}

void FakeClock::Advance(std::chrono::system_clock::duration d) {
  std::lock_guard lock(mu_);
  now_ += d;
  cv_.notify_all();
}

void FakeClock::Set(TimePoint t) {
  std::lock_guard lock(mu_);
  now_ = t;
  cv_.notify_all();
}

std::string FormatRfc3339(TimePoint t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

namespace {

// Reads exactly `width` ASCII digits at `pos`; false on anything else (signs, spaces, short).
bool FixedDigits(std::string_view s, size_t pos, size_t width, int& out) {
  if (pos + width > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + width; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

}  // namespace

Result<TimePoint> ParseRfc3339(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return InvalidArgumentError("invalid time '" + std::string(text) + "': " + std::string(why) +
                                " (expected RFC 3339, e.g. 2026-11-22T08:00:00Z)");
  };
  int y, mo, d, h = 0, mi = 0, s = 0;
  if (!FixedDigits(text, 0, 4, y) || text.size() < 10 || text[4] != '-' ||
      !FixedDigits(text, 5, 2, mo) || text[7] != '-' || !FixedDigits(text, 8, 2, d)) {
    return bad("date must be YYYY-MM-DD");
  }
  const std::chrono::year_month_day ymd{std::chrono::year{y},
                                        std::chrono::month{static_cast<unsigned>(mo)},
                                        std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return bad("no such date");
  size_t pos = 10;
  int64_t offset = 0;
  if (pos < text.size()) {
    const char t = text[pos];
    if ((t != 'T' && t != 't' && t != ' ') || !FixedDigits(text, pos + 1, 2, h) ||
        pos + 3 >= text.size() || text[pos + 3] != ':' || !FixedDigits(text, pos + 4, 2, mi) ||
        pos + 6 >= text.size() || text[pos + 6] != ':' || !FixedDigits(text, pos + 7, 2, s)) {
      return bad("time must be THH:MM:SS");
    }
    if (h > 23 || mi > 59 || s > 60) return bad("time out of range");
    pos += 9;
    if (pos < text.size() && text[pos] == '.') {
      size_t digits = 0;
      while (++pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++digits;
      if (digits == 0) return bad("fraction needs digits");
    }
    if (pos >= text.size()) return bad("missing time zone (Z or +hh:mm)");
    if (text[pos] == 'Z' || text[pos] == 'z') {
      ++pos;
    } else if (text[pos] == '+' || text[pos] == '-') {
      int oh, om;
      if (!FixedDigits(text, pos + 1, 2, oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
          !FixedDigits(text, pos + 4, 2, om) || oh > 23 || om > 59) {
        return bad("offset must be +hh:mm");
      }
      offset = (text[pos] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
      pos += 6;
    } else {
      return bad("missing time zone (Z or +hh:mm)");
    }
    if (pos != text.size()) return bad("trailing characters");
  }
  // A leap second (:60) reads as the first second of the next minute, as POSIX time has none.
  const int64_t secs =
      static_cast<int64_t>(std::chrono::sys_days{ymd}.time_since_epoch().count()) * 86400 +
      h * 3600 + mi * 60 + s - offset;
  // TimePoint counts nanoseconds in 64 bits: only years ~1678..2261 are representable.
  constexpr int64_t kLimit = 9'000'000'000;  // seconds, about year 2255
  if (secs > kLimit || secs < -kLimit) return bad("outside the supported range 1700..2255");
  return FromUnixSeconds(secs);
}

}  // namespace ck
