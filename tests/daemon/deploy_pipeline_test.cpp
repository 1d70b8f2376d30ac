// DeployAll: config order, stop at the first failure, rollback order (files first, then the
// others in reverse, so a reload picks up the restored files), and the report.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "daemon/deploy/deployer.hpp"
#include "tests/testing/status_matchers.hpp"

namespace ck::deploy {
namespace {

enum class Fail { kNone, kValidate, kCommit, kVerify, kRollback };

class FakeDeployer final : public Deployer {
 public:
  FakeDeployer(std::string name, std::string type, std::vector<std::string>* log,
               Fail fail = Fail::kNone)
      : name_(std::move(name)), type_(std::move(type)), log_(log), fail_(fail) {}
  std::string Describe() const override { return name_; }
  std::string_view type() const override { return type_; }
  Status Validate(const Material&) override { return Step("validate", Fail::kValidate); }
  Status Commit(const Material&) override { return Step("commit", Fail::kCommit); }
  Status Verify(const Material&) override { return Step("verify", Fail::kVerify); }
  Status Rollback() override { return Step("rollback", Fail::kRollback); }

 private:
  Status Step(const std::string& step, Fail when) {
    log_->push_back(name_ + ":" + step);
    if (fail_ == when) return UnavailableError(step + " broke");
    return OkStatus();
  }
  std::string name_, type_;
  std::vector<std::string>* log_;
  Fail fail_;
};

Material SomeMaterial() {
  Material m;
  m.name = "web";
  m.serial_hex = "01";
  return m;
}

TEST(DeployAllTest, RunsEveryTargetInOrder) {
  std::vector<std::string> log;
  FakeDeployer files("files", "files", &log), nginx("nginx", "nginx", &log);
  DeployReport r = DeployAll({&files, &nginx}, SomeMaterial());
  EXPECT_OK(r.status);
  EXPECT_EQ(log, (std::vector<std::string>{"files:validate", "files:commit", "files:verify",
                                           "nginx:validate", "nginx:commit", "nginx:verify"}));
  ASSERT_EQ(r.targets.size(), 2u);
  EXPECT_OK(r.targets[1].status);
  EXPECT_FALSE(r.targets[1].rolled_back);
}

TEST(DeployAllTest, VerifyFailureRollsBackFilesFirstThenTheRestInReverse) {
  std::vector<std::string> log;
  FakeDeployer hap("haproxy", "haproxy", &log), files("files", "files", &log),
      nginx("nginx", "nginx", &log, Fail::kVerify), hook("webhook", "webhook", &log);
  DeployReport r = DeployAll({&hap, &files, &nginx, &hook}, SomeMaterial());
  EXPECT_EQ(r.status.code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status.message().find("deploy target nginx: verify: verify broke"), std::string::npos)
      << r.status.message();
  EXPECT_EQ(log, (std::vector<std::string>{
                     "haproxy:validate", "haproxy:commit", "haproxy:verify", "files:validate",
                     "files:commit", "files:verify", "nginx:validate", "nginx:commit",
                     "nginx:verify", "files:rollback", "nginx:rollback", "haproxy:rollback"}));
  ASSERT_EQ(r.targets.size(), 4u);
  EXPECT_TRUE(r.targets[0].rolled_back);
  EXPECT_TRUE(r.targets[1].rolled_back);
  EXPECT_TRUE(r.targets[2].rolled_back);
  EXPECT_FALSE(r.targets[3].rolled_back);
  EXPECT_EQ(r.targets[3].status.code(), StatusCode::kAborted);
  EXPECT_EQ(r.targets[2].status.code(), StatusCode::kUnavailable);
}

TEST(DeployAllTest, ValidateFailureRollsBackOnlyWhatWasCommitted) {
  std::vector<std::string> log;
  FakeDeployer files("files", "files", &log), nginx("nginx", "nginx", &log, Fail::kValidate);
  DeployReport r = DeployAll({&files, &nginx}, SomeMaterial());
  EXPECT_FALSE(r.status.ok());
  EXPECT_EQ(log, (std::vector<std::string>{"files:validate", "files:commit", "files:verify",
                                           "nginx:validate", "files:rollback"}));
  EXPECT_FALSE(r.targets[1].rolled_back);
}

TEST(DeployAllTest, FailedRollbackIsReported) {
  std::vector<std::string> log;
  FakeDeployer files("files", "files", &log, Fail::kRollback),
      hook("webhook", "webhook", &log, Fail::kCommit);
  DeployReport r = DeployAll({&files, &hook}, SomeMaterial());
  EXPECT_NE(r.status.message().find("rollback of files failed"), std::string::npos)
      << r.status.message();
  EXPECT_FALSE(r.targets[0].rolled_back);
  EXPECT_TRUE(r.targets[1].rolled_back);  // the failing target is rolled back too
}

}  // namespace
}  // namespace ck::deploy
