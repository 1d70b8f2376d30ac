// The binary's store commands on a real state dir: backup (also while the daemon runs),
// restore (good and garbage), rekey (every key re-sealed; old master key no longer opens it).
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>

#include "pki/key.hpp"
#include "store/master_key.hpp"
#include "store/sqlite_store.hpp"
#include "tests/testing/child_process.hpp"
#include "tests/testing/temp_dir.hpp"

namespace ck {
namespace {

using ck::testing::RunCommand;
using ck::testing::Subprocess;
using ck::testing::TempDir;

std::string Binary() { return ck::testing::CertkeeperBinary(); }

class StoreCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    state_ = dir_.Path("state");
    config_ = dir_.WriteFile("empty.toml", "");
    // Let the binary create the state (dev master key + schema), then add keys through the
    // library as the daemon would.
    Subprocess daemon;
    ASSERT_TRUE(daemon.Start(Cmd({"serve", "--dev", "--listen", "127.0.0.1:0"})));
    ASSERT_TRUE(daemon.WaitForOutput("Stop with Ctrl-C")) << daemon.output();
    daemon.Signal(SIGTERM);
    ASSERT_EQ(daemon.Wait().value_or(-1), 0) << daemon.output();
    for (int i = 0; i < 5; ++i) {
      auto key =
          pki::PrivateKey::Generate(i % 2 ? pki::KeyType::kEcdsaP256 : pki::KeyType::kEd25519);
      ASSERT_TRUE(key.ok());
      pems_.push_back(key->ToPem());
    }
    auto store = OpenWith(LoadKey(state_ + "/master.key"));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    for (size_t i = 0; i < pems_.size(); ++i) {
      store::KeyRecord meta;
      meta.label = "key-" + std::to_string(i);
      meta.algorithm = i % 2 ? "ec-p256" : "ed25519";
      auto id = (*store)->PutPrivateKey(meta, pems_[i]);
      ASSERT_TRUE(id.ok()) << id.status().ToString();
      ids_.push_back(*id);
    }
  }

  std::vector<std::string> Cmd(std::vector<std::string> args) {
    args.insert(args.begin(), Binary());
    args.insert(args.end(), {"--state-dir", state_, "--config", config_});
    return args;
  }

  static store::MasterKey LoadKey(const std::string& path) {
    auto key = store::LoadMasterKeyFile(path);
    EXPECT_TRUE(key.ok()) << key.status().ToString();
    return *key;
  }

  Result<std::unique_ptr<store::SqliteStore>> OpenWith(const store::MasterKey& key) {
    store::SqliteOpenOptions options;
    options.create_if_missing = false;
    return store::SqliteStore::Open(state_ + "/certkeeper.db", key, options);
  }

  void ExpectAllKeysReadable(store::Store& s) {
    for (size_t i = 0; i < ids_.size(); ++i) {
      auto pem = s.GetPrivateKeyPem(ids_[i]);
      ASSERT_TRUE(pem.ok()) << pem.status().ToString();
      EXPECT_EQ(pem->view(), pems_[i]);
    }
  }

  TempDir dir_;
  std::string state_;
  std::string config_;
  std::vector<std::string> pems_;
  std::vector<int64_t> ids_;
};

TEST_F(StoreCliTest, RekeyReSealsEveryKey) {
  const store::MasterKey old_key = LoadKey(state_ + "/master.key");
  auto [rc, out] = RunCommand(Cmd({"rekey", "--new-key", dir_.Path("new.key")}));
  ASSERT_EQ(rc, 0) << out;
  const store::MasterKey new_key = LoadKey(dir_.Path("new.key"));
  EXPECT_NE(out.find(old_key.id() + " -> " + new_key.id()), std::string::npos) << out;
  // The state dir's key file now holds the new key, the old one is kept aside.
  EXPECT_EQ(LoadKey(state_ + "/master.key").id(), new_key.id());
  EXPECT_EQ(LoadKey(state_ + "/master.key.old").id(), old_key.id());

  auto with_new = OpenWith(new_key);
  ASSERT_TRUE(with_new.ok()) << with_new.status().ToString();
  ExpectAllKeysReadable(**with_new);
  with_new->reset();

  // The old master key no longer opens it, and says why.
  auto with_old = OpenWith(old_key);
  ASSERT_FALSE(with_old.ok());
  EXPECT_EQ(with_old.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(with_old.status().message().find(old_key.id()), std::string::npos)
      << with_old.status().message();

  // Rekeying to the same key is refused; nothing changes.
  auto [rc_same, out_same] = RunCommand(Cmd({"rekey", "--new-key", state_ + "/master.key"}));
  EXPECT_EQ(rc_same, 2) << out_same;
}

TEST_F(StoreCliTest, RekeyRefusedWhileDaemonRuns) {
  Subprocess daemon;
  ASSERT_TRUE(daemon.Start(Cmd({"serve", "--listen", "127.0.0.1:0"})));
  ASSERT_TRUE(daemon.WaitForOutput("Stop with Ctrl-C")) << daemon.output();
  auto [rc, out] = RunCommand(Cmd({"rekey", "--new-key", dir_.Path("new.key")}));
  EXPECT_EQ(rc, 4) << out;
  EXPECT_NE(out.find("already running"), std::string::npos) << out;

  // Backup works while the daemon runs (online backup API, no writer lock).
  auto [rc_b, out_b] = RunCommand(Cmd({"backup", dir_.Path("live.db")}));
  EXPECT_EQ(rc_b, 0) << out_b;
  // Restore does not: the daemon holds the database.
  auto [rc_r, out_r] = RunCommand(Cmd({"restore", dir_.Path("live.db")}));
  EXPECT_EQ(rc_r, 4) << out_r;
  daemon.Signal(SIGTERM);
  ASSERT_EQ(daemon.Wait().value_or(-1), 0);
  auto store = OpenWith(LoadKey(state_ + "/master.key"));
  ASSERT_TRUE(store.ok());
  ExpectAllKeysReadable(**store);
}

TEST_F(StoreCliTest, BackupRestoreRoundTripAndGarbageRefused) {
  auto [rc, out] = RunCommand(Cmd({"backup", dir_.Path("b.db")}));
  ASSERT_EQ(rc, 0) << out;
  {
    // Change the live database after the backup: delete a key.
    auto store = OpenWith(LoadKey(state_ + "/master.key"));
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->DeletePrivateKey(ids_[0]).ok());
  }
  // Garbage and truncated backups are refused and the live database is untouched.
  std::string garbage = dir_.WriteFile("garbage.db", "definitely not sqlite");
  auto [rc_g, out_g] = RunCommand(Cmd({"restore", garbage}));
  EXPECT_NE(rc_g, 0) << out_g;
  EXPECT_NE(out_g.find("database unchanged"), std::string::npos) << out_g;
  std::string backup = dir_.ReadFile("b.db");
  std::string truncated = dir_.WriteFile("trunc.db", backup.substr(0, backup.size() / 2));
  auto [rc_t, out_t] = RunCommand(Cmd({"restore", truncated}));
  EXPECT_NE(rc_t, 0) << out_t;
  {
    auto store = OpenWith(LoadKey(state_ + "/master.key"));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    EXPECT_EQ((*store)->GetPrivateKeyPem(ids_[0]).status().code(), StatusCode::kNotFound);
  }
  // The real backup brings the deleted key back.
  auto [rc_r, out_r] = RunCommand(Cmd({"restore", dir_.Path("b.db")}));
  ASSERT_EQ(rc_r, 0) << out_r;
  auto store = OpenWith(LoadKey(state_ + "/master.key"));
  ASSERT_TRUE(store.ok());
  ExpectAllKeysReadable(**store);
  EXPECT_TRUE((*store)->CheckIntegrity().ok());
}

TEST_F(StoreCliTest, RestoreWithWrongMasterKeyIsRefused) {
  auto [rc, out] = RunCommand(Cmd({"backup", dir_.Path("b.db")}));
  ASSERT_EQ(rc, 0) << out;
  // Another state dir with its own (different) dev master key.
  const std::string other = dir_.Path("other");
  Subprocess daemon;
  ASSERT_TRUE(daemon.Start({Binary(), "serve", "--dev", "--listen", "127.0.0.1:0", "--state-dir",
                            other, "--config", config_}));
  ASSERT_TRUE(daemon.WaitForOutput("Stop with Ctrl-C")) << daemon.output();
  daemon.Signal(SIGTERM);
  ASSERT_EQ(daemon.Wait().value_or(-1), 0);
  auto [rc_r, out_r] = RunCommand(
      {Binary(), "restore", dir_.Path("b.db"), "--state-dir", other, "--config", config_});
  EXPECT_EQ(rc_r, 5) << out_r;  // PermissionDenied: sealed with another master key
  EXPECT_NE(out_r.find("master key"), std::string::npos) << out_r;
}

}  // namespace
}  // namespace ck
