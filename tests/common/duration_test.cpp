#include "common/duration.hpp"

#include <gtest/gtest.h>

namespace ck {
namespace {

TEST(DurationTest, ParsesUnitsAndCombinations) {
  EXPECT_EQ(ParseDuration("90s")->count(), 90);
  EXPECT_EQ(ParseDuration("15m")->count(), 900);
  EXPECT_EQ(ParseDuration("24h")->count(), 86400);
  EXPECT_EQ(ParseDuration("30d")->count(), 30 * 86400);
  EXPECT_EQ(ParseDuration("1w")->count(), 7 * 86400);
  EXPECT_EQ(ParseDuration("1d12h")->count(), 36 * 3600);
}

TEST(DurationTest, RejectsWithClearMessage) {
  for (const char* bad : {"", "10", "h", "5x", "-3d", "1.5h", "99999999999999999999d"}) {
    auto r = ParseDuration(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("invalid duration"), std::string::npos);
  }
}

TEST(DurationTest, FormatRoundTrips) {
  for (int64_t s : {0L, 1L, 59L, 3600L, 93600L, 30 * 86400L + 5}) {
    auto text = FormatDuration(std::chrono::seconds(s));
    EXPECT_EQ(ParseDuration(text)->count(), s) << text;
  }
  EXPECT_EQ(FormatDuration(std::chrono::seconds(93600)), "1d2h");
}

}  // namespace
}  // namespace ck
