#include "common/log.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace ck::log {
namespace {

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Default().SetSink([this](std::string_view line) { lines_.emplace_back(line); });
    Default().SetLevel(Level::kInfo);
    Default().SetFormat(Format::kText);
  }
  void TearDown() override {
    Default().SetSink([](std::string_view) {});
    Default().SetFormat(Format::kText);
  }
  std::vector<std::string> lines_;
};

TEST_F(LogTest, LevelFilters) {
  Debug("hidden");
  Info("shown");
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_NE(lines_[0].find(" info shown"), std::string::npos);
}

TEST_F(LogTest, FailureCarriesCertificateAndReason) {
  Failure("web", UnavailableError("connection refused"), "renewal failed");
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_NE(lines_[0].find("error renewal failed"), std::string::npos);
  EXPECT_NE(lines_[0].find("cert=web"), std::string::npos);
  EXPECT_NE(lines_[0].find("reason=\"connection refused\""), std::string::npos);
  EXPECT_NE(lines_[0].find("code=UNAVAILABLE"), std::string::npos);
}

TEST_F(LogTest, JsonLinesParseAndEscape) {
  Default().SetFormat(Format::kJson);
  Failure("api \"x\"", InvalidArgumentError("bad\nline"), "deploy failed", {{"target", "nginx"}});
  ASSERT_EQ(lines_.size(), 1u);
  auto j = nlohmann::json::parse(lines_[0], nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << lines_[0];
  EXPECT_EQ(j["level"], "error");
  EXPECT_EQ(j["msg"], "deploy failed");
  EXPECT_EQ(j["cert"], "api \"x\"");
  EXPECT_EQ(j["reason"], "bad\nline");
  EXPECT_EQ(j["target"], "nginx");
}

TEST_F(LogTest, PrivateKeysAreRedacted) {
  Info("loaded", {{"pem", "-----BEGIN PRIVATE KEY-----\nMIGHAgEA...\n-----END PRIVATE KEY-----"}});
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0].find("MIGHAgEA"), std::string::npos);
  EXPECT_NE(lines_[0].find("REDACTED"), std::string::npos);
}

TEST(LogParseTest, LevelsAndFormats) {
  EXPECT_EQ(*ParseLevel("warn"), Level::kWarn);
  EXPECT_FALSE(ParseLevel("verbose").ok());
  EXPECT_EQ(*ParseFormat("json"), Format::kJson);
  EXPECT_FALSE(ParseFormat("xml").ok());
}

}  // namespace
}  // namespace ck::log
