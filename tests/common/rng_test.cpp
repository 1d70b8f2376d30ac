#include "common/rng.hpp"

#include <gtest/gtest.h>

namespace ck {
namespace {

TEST(RngTest, SeededIsDeterministic) {
  SeededRng a(42), b(42), c(43);
  uint64_t x = a.NextU64();
  EXPECT_EQ(x, b.NextU64());
  EXPECT_NE(x, c.NextU64());
}

TEST(RngTest, UniformIntStaysInRangeAndCoversIt) {
  SeededRng rng(7);
  std::vector<int> seen(6, 0);
  for (int i = 0; i < 6000; ++i) {
    int64_t v = rng.UniformInt(10, 15);
    ASSERT_GE(v, 10);
    ASSERT_LE(v, 15);
    seen[v - 10]++;
  }
  for (int count : seen) EXPECT_GT(count, 800);  // ~1000 each
  EXPECT_EQ(rng.UniformInt(5, 5), 5);
}

TEST(RngTest, Uniform01InUnitInterval) {
  SeededRng rng(1);
  for (int i = 0; i < 1000; ++i) {
    double d = rng.Uniform01();
    ASSERT_GE(d, 0.0);
    ASSERT_LT(d, 1.0);
  }
}

}  // namespace
}  // namespace ck
