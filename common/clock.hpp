// Clock seam: nothing outside common/ reads the system clock or sleeps directly, so tests
// can run a simulated year on a FakeClock.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "common/status.hpp"

namespace ck {

using TimePoint = std::chrono::system_clock::time_point;
using Seconds = std::chrono::seconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
  // Blocks until `deadline` or until `should_stop()` turns true (checked whenever woken).
  // Returns true if the deadline was reached, false if stopped early.
  virtual bool SleepUntil(TimePoint deadline, const std::function<bool()>& should_stop) = 0;
  // Wakes any SleepUntil so it re-checks its stop predicate.
  virtual void Interrupt() = 0;
};

// The wall clock.
class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::system_clock::now(); }
  bool SleepUntil(TimePoint deadline, const std::function<bool()>& should_stop) override;
  void Interrupt() override;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
};

// A clock tests move by hand. SleepUntil returns as soon as Advance()/Set() reaches the
// deadline, so a thread blocked on it makes progress only when the test says so.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start = TimePoint(std::chrono::seconds(1'700'000'000)))
      : now_(start) {}
  TimePoint Now() const override;
  bool SleepUntil(TimePoint deadline, const std::function<bool()>& should_stop) override;
  void Interrupt() override;
  void Advance(std::chrono::system_clock::duration d);
  void Set(TimePoint t);

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  TimePoint now_;
};

// Unix seconds <-> TimePoint, used at storage and JSON boundaries.
inline int64_t ToUnixSeconds(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}
inline TimePoint FromUnixSeconds(int64_t s) { return TimePoint(std::chrono::seconds(s)); }

// RFC 3339 UTC, e.g. "2026-11-22T11:22:43Z".
std::string FormatRfc3339(TimePoint t);
// Accepts "2026-11-22T11:22:43Z", fractional seconds, and "+hh:mm"/"-hh:mm" offsets, and a
// bare date "2026-11-22" (midnight UTC). InvalidArgument otherwise.
Result<TimePoint> ParseRfc3339(std::string_view text);

}  // namespace ck
