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

Result<TimePoint> ParseRfc3339(std::string_view text) {
  auto bad = [&] {
    return InvalidArgumentError("invalid time '" + std::string(text) +
                                "' (expected RFC 3339, e.g. 2026-11-22T08:00:00Z)");
  };
  int y, mo, d, h = 0, mi = 0, s = 0;
  int consumed = 0;
  std::string str(text);
  if (std::sscanf(str.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &consumed) != 3) return bad();
  size_t pos = static_cast<size_t>(consumed);
  int64_t offset = 0;
  if (pos < str.size()) {
    if (str[pos] != 'T' && str[pos] != 't' && str[pos] != ' ') return bad();
    int n = 0;
    if (std::sscanf(str.c_str() + pos + 1, "%2d:%2d:%2d%n", &h, &mi, &s, &n) != 3) return bad();
    pos += 1 + static_cast<size_t>(n);
    if (pos < str.size() && str[pos] == '.') {
      ++pos;
      while (pos < str.size() && std::isdigit(static_cast<unsigned char>(str[pos]))) ++pos;
    }
    if (pos >= str.size()) return bad();
    if (str[pos] == 'Z' || str[pos] == 'z') {
      ++pos;
    } else if (str[pos] == '+' || str[pos] == '-') {
      int oh, om, m = 0;
      if (std::sscanf(str.c_str() + pos + 1, "%2d:%2d%n", &oh, &om, &m) != 2 || m != 5) {
        return bad();
      }
      offset = (str[pos] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
      pos += 6;
    } else {
      return bad();
    }
    if (pos != str.size()) return bad();
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return bad();
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return FromUnixSeconds(static_cast<int64_t>(timegm(&tm)) - offset);
}

}  // namespace ck
