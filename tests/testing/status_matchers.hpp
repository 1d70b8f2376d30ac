// GoogleTest helpers for Status/Result: failures print the status code and message.
#pragma once

#include <gtest/gtest.h>

#include "common/status.hpp"

namespace ck::testing {

inline ::testing::AssertionResult IsOk(const Status& s) {
  if (s.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << s.ToString();
}
template <typename T>
::testing::AssertionResult IsOk(const Result<T>& r) {
  return IsOk(r.status());
}

}  // namespace ck::testing

#define EXPECT_OK(expr) EXPECT_TRUE(::ck::testing::IsOk((expr)))
#define ASSERT_OK(expr) ASSERT_TRUE(::ck::testing::IsOk((expr)))

// ASSERT_OK_AND_ASSIGN(auto x, MakeX()); — fails the test (and returns) on a non-OK result.
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  CK_TEST_ASSIGN_IMPL(CK_CONCAT(ck_test_result_, __LINE__), lhs, expr)
#define CK_TEST_ASSIGN_IMPL(result, lhs, expr) \
  auto result = (expr);                        \
  ASSERT_OK(result);                           \
  lhs = std::move(result).value()
