#include "common/clock.hpp"

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

}  // namespace ck
