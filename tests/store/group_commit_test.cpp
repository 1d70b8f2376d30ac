// GroupCommit over a real SqliteStore file: writes from many threads are batched into shared
// commits, each write succeeds or fails alone, and a lone writer is not held back.
#include "store/group_commit.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <set>
#include <thread>

#include "store/sqlite_store.hpp"
#include "tests/store/store_test_util.hpp"

namespace ck::store::testing {
namespace {

constexpr int64_t kT0 = 1'700'000'000;

class GroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = SqliteStore::Open(dir_.File("certkeeper.db"), FixedKey(1));
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(*opened);
  }
  Status PutNamed(Store& tx, const std::string& name) {
    RETURN_IF_ERROR(tx.PutCertificate(SampleCertificate(name, kT0 + 86400)).status());
    return tx.AppendEvent({0, FromUnixSeconds(kT0), name, "issued", name, "{}"}).status();
  }
  std::set<std::string> StoredNames() {
    std::set<std::string> names;
    auto certs = store_->ListCertificates({});
    EXPECT_TRUE(certs.ok()) << certs.status().ToString();
    if (certs.ok()) {
      for (const auto& c : *certs) names.insert(c.name);
    }
    return names;
  }

  TempDir dir_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(GroupCommitTest, LoneWriterCommitsEachWriteAtOnce) {
  GroupCommit group(*store_);
  for (int i = 0; i < 5; ++i) {
    CK_ASSERT_OK(group.Run([&](Store& tx) { return PutNamed(tx, "solo-" + std::to_string(i)); }));
    // Durable and visible as soon as Run returns.
    EXPECT_EQ(StoredNames().count("solo-" + std::to_string(i)), 1u);
  }
  EXPECT_EQ(group.stats().commits, 5u);
  EXPECT_EQ(group.stats().largest_batch, 1u);
}

TEST_F(GroupCommitTest, ConcurrentWritersShareCommits) {
  GroupCommit group(*store_);
  constexpr int kWriters = 8;
  constexpr int kEach = 40;
  // The first write holds its batch open until every other writer has queued behind it, so
  // the next batch necessarily carries several writes.
  std::atomic<int> queued{0};
  std::atomic<bool> first_taken{false};
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kEach; ++i) {
        const std::string name = "w" + std::to_string(w) + "-" + std::to_string(i);
        if (i == 0) ++queued;
        Status s = group.Run([&](Store& tx) -> Status {
          if (i == 0 && !first_taken.exchange(true)) {
            const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
            while (queued.load() < kWriters && std::chrono::steady_clock::now() < until) {
              std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
          }
          return PutNamed(tx, name);
        });
        if (!s.ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(StoredNames().size(), size_t{kWriters * kEach});
  auto events = store_->ListEvents(Make<EventQuery>([](auto& q) { q.limit = 0; }));
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events->size(), size_t{kWriters * kEach});
  const GroupCommit::Stats stats = group.stats();
  EXPECT_EQ(stats.writes, uint64_t{kWriters * kEach});
  EXPECT_LT(stats.commits, stats.writes);
  EXPECT_GE(stats.largest_batch, 2u);
}

TEST_F(GroupCommitTest, AFailingWriteRollsBackAloneInItsBatch) {
  GroupCommit group(*store_);
  // A slow first write leads; three writers queue behind it and so share the next batch, in
  // which the middle one writes rows and then fails.
  std::atomic<bool> slow_running{false};
  std::atomic<int> queued{0};
  std::thread slow([&] {
    CK_EXPECT_OK(group.Run([&](Store& tx) -> Status {
      slow_running = true;
      const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (queued.load() < 3 && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      return PutNamed(tx, "slow");
    }));
  });
  while (!slow_running) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  Status good1, bad, good2;
  auto writer = [&](Status* out, std::function<Status(Store&)> write) {
    return std::thread([&, out, write] {
      ++queued;
      *out = group.Run(write);
    });
  };
  std::thread a = writer(&good1, [&](Store& tx) { return PutNamed(tx, "good-1"); });
  std::thread b = writer(&bad, [&](Store& tx) -> Status {
    RETURN_IF_ERROR(PutNamed(tx, "bad"));
    return InvalidArgumentError("refused after writing");
  });
  std::thread c = writer(&good2, [&](Store& tx) { return PutNamed(tx, "good-2"); });
  a.join();
  b.join();
  c.join();
  slow.join();
  EXPECT_EQ(group.stats().largest_batch, 3u);
  CK_EXPECT_OK(good1);
  CK_EXPECT_OK(good2);
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument) << bad.ToString();
  EXPECT_EQ(StoredNames(), (std::set<std::string>{"slow", "good-1", "good-2"}));
  auto events = store_->ListEvents(Make<EventQuery>([](auto& q) { q.limit = 0; }));
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events->size(), 3u);  // the failed write's event went with it
}

TEST_F(GroupCommitTest, AnnouncedWriterJoinsTheLeadersBatch) {
  GroupCommit group(*store_, std::chrono::seconds(5));
  GroupCommit::Intent intent = group.Announce();
  std::thread late([&] {
    // Still "preparing" (as the CA signs) when the leader below wants to commit.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CK_EXPECT_OK(group.Run([&](Store& tx) { return PutNamed(tx, "late"); }, intent));
  });
  const auto start = std::chrono::steady_clock::now();
  CK_EXPECT_OK(group.Run([&](Store& tx) { return PutNamed(tx, "leader"); }));
  late.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(group.stats().commits, 1u);  // one commit carried both
  EXPECT_EQ(group.stats().largest_batch, 2u);
  EXPECT_EQ(StoredNames(), (std::set<std::string>{"leader", "late"}));
}

TEST_F(GroupCommitTest, AnAbandonedIntentDelaysCommitsOnlyUntilReleased) {
  GroupCommit group(*store_, std::chrono::milliseconds(300));
  {
    GroupCommit::Intent never = group.Announce();
    const auto start = std::chrono::steady_clock::now();
    CK_EXPECT_OK(group.Run([&](Store& tx) { return PutNamed(tx, "waited"); }));
    const auto waited = std::chrono::steady_clock::now() - start;
    EXPECT_GE(waited, std::chrono::milliseconds(290));  // the bound, not forever
    EXPECT_LT(waited, std::chrono::seconds(2));
  }  // released without writing
  const auto start = std::chrono::steady_clock::now();
  CK_EXPECT_OK(group.Run([&](Store& tx) { return PutNamed(tx, "prompt"); }));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(250));
  EXPECT_EQ(StoredNames(), (std::set<std::string>{"waited", "prompt"}));
}

}  // namespace
}  // namespace ck::store::testing
