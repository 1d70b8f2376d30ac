// The files target: certbot-compatible layout, modes, the atomic pair swap, rollback, pruning.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/file_util.hpp"
#include "daemon/deploy/files_deployer.hpp"
#include "tests/daemon/deploy_test_util.hpp"
#include "tests/testing/status_matchers.hpp"
#include "tests/testing/temp_dir.hpp"

namespace ck::deploy {
namespace {

namespace fs = std::filesystem;
using testutil::Issue;
using testutil::MakeIssuer;

std::string Link(const std::string& path) {
  std::error_code ec;
  return fs::read_symlink(path, ec).string();
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

std::unique_ptr<Deployer> Files(const std::string& dir, nlohmann::json extra = {}) {
  nlohmann::json j = {{"type", "files"}, {"dir", dir}};
  for (auto& [k, v] : extra.items()) j[k] = v;
  auto d = MakeDeployer(j, DeployEnv{});
  EXPECT_OK(d);
  return d.ok() ? std::move(*d) : nullptr;
}

Status Deploy(Deployer& d, const Material& m) {
  RETURN_IF_ERROR(d.Validate(m));
  RETURN_IF_ERROR(d.Commit(m));
  return d.Verify(m);
}

class FilesDeployTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto issuer = MakeIssuer();
    ASSERT_OK(issuer);
    issuer_.emplace(std::move(*issuer));
  }
  Material NewMaterial() {
    auto m = Issue(*issuer_);
    EXPECT_OK(m);
    return std::move(*m);
  }
  testing::TempDir tmp_;
  std::optional<testutil::TestIssuer> issuer_;
};

TEST_F(FilesDeployTest, WritesCertbotLayoutWithModes) {
  Material m = NewMaterial();
  auto d = Files(tmp_.path());
  ASSERT_OK(Deploy(*d, m));
  const std::string live = tmp_.Path("live/web");
  EXPECT_EQ(Link(live), "../archive/web/v1");
  EXPECT_EQ(tmp_.ReadFile("live/web/cert.pem"), m.cert_pem);
  EXPECT_EQ(tmp_.ReadFile("live/web/chain.pem"), m.chain_pem);
  EXPECT_EQ(tmp_.ReadFile("live/web/fullchain.pem"), m.cert_pem + m.chain_pem);
  EXPECT_EQ(tmp_.ReadFile("live/web/privkey.pem"), std::string(m.key_pem.view()));
  EXPECT_EQ(ModeOf(live + "/privkey.pem"), 0600u);
  EXPECT_EQ(ModeOf(live + "/fullchain.pem"), 0644u);
  EXPECT_EQ(ModeOf(live + "/cert.pem"), 0644u);
  EXPECT_EQ(d->Describe(), "files " + tmp_.path());
  EXPECT_EQ(LineageDir({{{"type", "exec"}, {"command", "true"}},
                        {{"type", "files"}, {"dir", tmp_.path() + "/"}}},
                       "web"),
            tmp_.path() + "/live/web");
  EXPECT_EQ(LineageDir({{{"type", "exec"}, {"command", "true"}}}, "web"), "");
}

TEST_F(FilesDeployTest, CustomModesAndOwner) {
  if (::geteuid() != 0) GTEST_SKIP() << "chown needs root";
  Material m = NewMaterial();
  auto d =
      Files(tmp_.path(),
            {{"owner", "65534"}, {"group", "65534"}, {"key_mode", "0640"}, {"cert_mode", "0640"}});
  ASSERT_OK(Deploy(*d, m));
  struct stat st {};
  ASSERT_EQ(::stat(tmp_.Path("live/web/privkey.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
  EXPECT_EQ(st.st_gid, 65534u);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(ModeOf(tmp_.Path("live/web/fullchain.pem")), 0640u);
}

TEST_F(FilesDeployTest, ValidateRefusesKeyOfAnotherCertificateAndChangesNothing) {
  Material good = NewMaterial();
  Material other = NewMaterial();
  good.key_pem = store::SecretString(std::string(other.key_pem.view()));
  auto d = Files(tmp_.path());
  Status s = d->Validate(good);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("does not match"), std::string::npos) << s.message();
  EXPECT_FALSE(fs::exists(tmp_.Path("live/web")));
  EXPECT_FALSE(fs::exists(tmp_.Path("archive")));
}

TEST_F(FilesDeployTest, ValidateRefusesARealDirectoryAtLive) {
  tmp_.WriteFile("live/web/fullchain.pem", "certbot's own file");
  Status s = Files(tmp_.path())->Validate(NewMaterial());
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_EQ(tmp_.ReadFile("live/web/fullchain.pem"), "certbot's own file");
}

TEST_F(FilesDeployTest, RollbackRestoresPreviousVersion) {
  Material v1 = NewMaterial(), v2 = NewMaterial();
  auto d = Files(tmp_.path());
  ASSERT_OK(Deploy(*d, v1));
  ASSERT_OK(Deploy(*d, v2));
  EXPECT_EQ(Link(tmp_.Path("live/web")), "../archive/web/v2");
  EXPECT_NE(d->Verify(v1).code(), StatusCode::kOk);
  ASSERT_OK(d->Rollback());
  EXPECT_EQ(Link(tmp_.Path("live/web")), "../archive/web/v1");
  EXPECT_OK(d->Verify(v1));
  EXPECT_FALSE(fs::exists(tmp_.Path("archive/web/v2")));
  EXPECT_OK(d->Rollback());  // nothing left to undo
  EXPECT_EQ(Link(tmp_.Path("live/web")), "../archive/web/v1");
  // The next deploy gets a fresh version number and works.
  Material v3 = NewMaterial();
  ASSERT_OK(Deploy(*d, v3));
  EXPECT_EQ(Link(tmp_.Path("live/web")), "../archive/web/v2");
}

TEST_F(FilesDeployTest, RollbackOfFirstDeployRemovesLive) {
  auto d = Files(tmp_.path());
  ASSERT_OK(Deploy(*d, NewMaterial()));
  ASSERT_OK(d->Rollback());
  EXPECT_FALSE(fs::exists(fs::symlink_status(tmp_.Path("live/web"))));
}

TEST_F(FilesDeployTest, PrunesAllButTheLastFiveVersions) {
  auto d = Files(tmp_.path());
  for (int i = 0; i < 8; ++i) ASSERT_OK(Deploy(*d, NewMaterial()));
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(tmp_.Path("archive/web"))) {
    left.push_back(e.path().filename().string());
  }
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{"v4", "v5", "v6", "v7", "v8"}));
  // The previous version survives pruning so a rollback still works.
  ASSERT_OK(d->Rollback());
  EXPECT_EQ(Link(tmp_.Path("live/web")), "../archive/web/v7");
}

// The issue's invariant: at every instant the key and certificate on disk match. A reader that
// opens live/NAME once and reads both files relative to it never sees a mixed pair while
// 50 deploys swap versions under it.
TEST_F(FilesDeployTest, ConcurrentReaderNeverSeesMismatchedPair) {
  std::vector<Material> versions;
  std::map<std::string, std::string> key_for_cert;
  for (int i = 0; i < 4; ++i) {
    versions.push_back(NewMaterial());
    key_for_cert[versions.back().cert_pem + versions.back().chain_pem] =
        std::string(versions.back().key_pem.view());
  }
  auto d = Files(tmp_.path());
  ASSERT_OK(Deploy(*d, versions[0]));

  std::atomic<bool> done{false};
  std::atomic<int> reads{0}, mismatches{0}, live_missing{0};
  const std::string live = tmp_.Path("live/web");
  std::thread reader([&] {
    auto read_at = [](int dir, const char* name, std::string& out) {
      int fd = ::openat(dir, name, O_RDONLY | O_CLOEXEC);
      if (fd < 0) return false;
      char buf[8192];
      ssize_t n;
      out.clear();
      while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
      ::close(fd);
      return true;
    };
    while (!done.load()) {
      int dir = ::open(live.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dir < 0) {
        live_missing++;
        continue;
      }
      std::string chain, key;
      // A version can be pruned while we hold it open (ENOENT): not a mismatch, just retry.
      bool ok = read_at(dir, "fullchain.pem", chain) && read_at(dir, "privkey.pem", key);
      ::close(dir);
      if (!ok) continue;
      reads++;
      auto it = key_for_cert.find(chain);
      if (it == key_for_cert.end() || it->second != key) mismatches++;
    }
  });
  for (int i = 1; i <= 50; ++i) {
    Status s = Deploy(*d, versions[static_cast<size_t>(i) % versions.size()]);
    if (!s.ok()) {
      ADD_FAILURE() << "deploy " << i << ": " << s.ToString();
      break;
    }
  }
  done = true;
  reader.join();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_EQ(live_missing.load(), 0);
  EXPECT_GT(reads.load(), 50);
  EXPECT_EQ(Link(live), "../archive/web/v51");
}

}  // namespace
}  // namespace ck::deploy
