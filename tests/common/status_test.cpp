#include "common/status.hpp"

#include <gtest/gtest.h>

namespace ck {
namespace {

Result<int> Half(int x) {
  if (x % 2) return InvalidArgumentError("odd: " + std::to_string(x));
  return x / 2;
}

Result<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int h, Half(x));
  ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckEven(int x) {
  RETURN_IF_ERROR(Half(x));
  return OkStatus();
}

TEST(StatusTest, OkAndErrors) {
  EXPECT_TRUE(OkStatus().ok());
  Status s = NotFoundError("no cert 'web'");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.ToString(), "NOT_FOUND: no cert 'web'");
  EXPECT_EQ(s.WithContext("renew").message(), "renew: no cert 'web'");
  EXPECT_EQ(s.WithContext("renew").code(), StatusCode::kNotFound);
}

TEST(StatusTest, RetryMetadataSurvivesContext) {
  auto t = std::chrono::system_clock::time_point(std::chrono::seconds(1000));
  Status s = UnavailableError("rate limited")
                 .set_retry_after(t)
                 .set_problem_type("urn:ietf:params:acme:error:rateLimited");
  Status c = s.WithContext("order");
  ASSERT_TRUE(c.retry_after().has_value());
  EXPECT_EQ(*c.retry_after(), t);
  EXPECT_EQ(c.problem_type(), "urn:ietf:params:acme:error:rateLimited");
  EXPECT_TRUE(c.IsRetryable());
  EXPECT_FALSE(InvalidArgumentError("x").IsRetryable());
}

TEST(StatusTest, MacrosPropagate) {
  EXPECT_EQ(*Quarter(8), 2);
  Result<int> r = Quarter(6);  // 6/2 = 3 is odd
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "odd: 3");
  EXPECT_TRUE(CheckEven(4).ok());
  EXPECT_EQ(CheckEven(5).code(), StatusCode::kInvalidArgument);
}

TEST(StatusTest, ResultFromOkStatusIsAnError) {
  Result<int> r{OkStatus()};
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
}

TEST(StatusTest, EveryCodeHasAName) {
  for (int c = 0; c <= static_cast<int>(StatusCode::kInternal); ++c) {
    EXPECT_NE(StatusCodeName(static_cast<StatusCode>(c)), "UNKNOWN") << c;
  }
}

}  // namespace
}  // namespace ck
