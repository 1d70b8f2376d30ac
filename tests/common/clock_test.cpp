#include "common/clock.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace ck {
namespace {

using namespace std::chrono_literals;

TEST(FakeClockTest, AdvanceMovesNow) {
  FakeClock clock(FromUnixSeconds(1000));
  EXPECT_EQ(ToUnixSeconds(clock.Now()), 1000);
  clock.Advance(90s);
  EXPECT_EQ(ToUnixSeconds(clock.Now()), 1090);
  clock.Set(FromUnixSeconds(5));
  EXPECT_EQ(ToUnixSeconds(clock.Now()), 5);
}

TEST(FakeClockTest, SleeperWakesOnlyWhenTimeReachesDeadline) {
  FakeClock clock(FromUnixSeconds(0));
  std::atomic<bool> woke{false};
  std::atomic<bool> reached{false};
  std::thread t([&] {
    reached = clock.SleepUntil(FromUnixSeconds(3600), [] { return false; });
    woke = true;
  });
  clock.Advance(1800s);
  std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(woke.load());
  clock.Advance(1800s);
  t.join();
  EXPECT_TRUE(woke.load());
  EXPECT_TRUE(reached.load());
}

TEST(FakeClockTest, InterruptStopsSleeper) {
  FakeClock clock(FromUnixSeconds(0));
  std::atomic<bool> stop{false};
  bool reached = true;
  std::thread t(
      [&] { reached = clock.SleepUntil(FromUnixSeconds(1e9), [&] { return stop.load(); }); });
  stop = true;
  clock.Interrupt();
  t.join();
  EXPECT_FALSE(reached);
}

TEST(SystemClockTest, SleepUntilPastDeadlineReturnsAtOnce) {
  SystemClock clock;
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(clock.SleepUntil(clock.Now() - 1s, [] { return false; }));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

TEST(ClockTest, Rfc3339) {
  EXPECT_EQ(FormatRfc3339(FromUnixSeconds(0)), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(FromUnixSeconds(1700000000)), "2023-11-14T22:13:20Z");
}

}  // namespace
}  // namespace ck

namespace ck {
namespace {

TEST(ClockTest, ParseRfc3339) {
  EXPECT_EQ(ToUnixSeconds(*ParseRfc3339("2023-11-14T22:13:20Z")), 1700000000);
  EXPECT_EQ(ToUnixSeconds(*ParseRfc3339("2023-11-14T22:13:20.123Z")), 1700000000);
  EXPECT_EQ(ToUnixSeconds(*ParseRfc3339("2023-11-15T00:13:20+02:00")), 1700000000);
  EXPECT_EQ(ToUnixSeconds(*ParseRfc3339("1970-01-02")), 86400);
  for (const char* bad : {"", "2023", "2023-13-01", "2023-11-14T25:00:00Z", "2023-11-14T22:13:20",
                          "2023-11-14T22:13:20Zjunk", "yesterday"}) {
    EXPECT_FALSE(ParseRfc3339(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace ck

namespace ck {
namespace {

// Found by fuzzing (tests/fuzz/corpus/rfc3339/regress_*): loose sscanf parsing and overflow.
TEST(ClockTest, ParseRfc3339IsStrict) {
  for (const char* bad : {"2026-1-2", " 2026-11-22", "2026-11-22T-1:00:00Z", "2026-02-30",
                          "2026-11-22T10:00:00+99:99", "2026-11-22T10:00:00.Z",
                          "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "+026-11-22"}) {
    EXPECT_FALSE(ParseRfc3339(bad).ok()) << bad;
  }
  EXPECT_EQ(ToUnixSeconds(*ParseRfc3339("2024-02-29T00:00:00Z")), 1709164800);
  EXPECT_EQ(ToUnixSeconds(*ParseRfc3339("2016-12-31T23:59:60Z")), 1483228800);
}

}  // namespace
}  // namespace ck
