// Tests with real processes: the single-writer lock between two processes, and crash
// consistency (a writer SIGKILLed at random moments loses no acknowledged commit and never
// leaves half a transaction behind).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "store/group_commit.hpp"
#include "store/sqlite_store.hpp"
#include "tests/store/store_test_util.hpp"

namespace ck::store::testing {
namespace {

constexpr int64_t kT0 = 1'700'000'000;

// A pipe whose ends close with it.
struct Pipe {
  int fd[2] = {-1, -1};
  Pipe() { EXPECT_EQ(::pipe(fd), 0); }
  ~Pipe() {
    CloseRead();
    CloseWrite();
  }
  void CloseRead() {
    if (fd[0] >= 0) ::close(fd[0]);
    fd[0] = -1;
  }
  void CloseWrite() {
    if (fd[1] >= 0) ::close(fd[1]);
    fd[1] = -1;
  }
  bool ReadByte(char* c) { return ::read(fd[0], c, 1) == 1; }
  void WriteByte(char c) { [[maybe_unused]] ssize_t n = ::write(fd[1], &c, 1); }
};

// Owns a forked child: SIGKILLs and reaps it unless it was waited for, so a failed assertion
// in the parent never leaves a process behind.
class Child {
 public:
  explicit Child(pid_t pid) : pid_(pid) {}
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  pid_t pid() const { return pid_; }
  void Kill() { ::kill(pid_, SIGKILL); }
  // The wait status.
  int Wait() {
    int wstatus = 0;
    EXPECT_EQ(::waitpid(pid_, &wstatus, 0), pid_);
    pid_ = -1;
    return wstatus;
  }

 private:
  pid_t pid_;
};

// --- the writer lock ---

TEST(WriterLockProcessTest, SecondProcessGetsAClearError) {
  TempDir dir;
  const std::string db = dir.File("certkeeper.db");
  Pipe to_child, to_parent;
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {  // the running daemon; exits when told to or when the parent goes away
    to_child.CloseWrite();
    to_parent.CloseRead();
    auto store = SqliteStore::Open(db, FixedKey(1));
    to_parent.WriteByte(store.ok() ? 'L' : 'E');
    char c;
    to_child.ReadByte(&c);
    ::_exit(store.ok() ? 0 : 1);
  }
  Child child(pid);
  to_child.CloseRead();
  to_parent.CloseWrite();
  char c = 0;
  ASSERT_TRUE(to_parent.ReadByte(&c));
  ASSERT_EQ(c, 'L');

  auto second = SqliteStore::Open(db, FixedKey(1));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(
      second.status().message().rfind(
          "another certkeeper (pid " + std::to_string(pid) + ") is already running on " + db, 0),
      0u)
      << second.status().message();
  Status restore = SqliteStore::RestoreFrom(dir.File("any-backup.db"), db, FixedKey(1));
  EXPECT_EQ(restore.code(), StatusCode::kFailedPrecondition) << restore.ToString();
  // Read-only users (status commands) may still open it.
  CK_EXPECT_OK(SqliteStore::Open(
      db, FixedKey(1), Make<SqliteOpenOptions>([](auto& o) { o.take_writer_lock = false; })));

  to_child.WriteByte('x');
  int wstatus = child.Wait();
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
  CK_EXPECT_OK(SqliteStore::Open(db, FixedKey(1)));  // released on exit
}

TEST(WriterLockProcessTest, LockDiesWithAKilledHolder) {
  TempDir dir;
  const std::string db = dir.File("certkeeper.db");
  Pipe to_parent;
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    to_parent.CloseRead();
    auto store = SqliteStore::Open(db, FixedKey(1));
    to_parent.WriteByte(store.ok() ? 'L' : 'E');
    for (;;) ::pause();
  }
  Child child(pid);
  to_parent.CloseWrite();
  char c = 0;
  ASSERT_TRUE(to_parent.ReadByte(&c));
  ASSERT_EQ(c, 'L');
  CK_EXPECT_CODE(SqliteStore::Open(db, FixedKey(1)), kFailedPrecondition);
  child.Kill();
  child.Wait();
  CK_EXPECT_OK(SqliteStore::Open(db, FixedKey(1)));  // no stale lock
}

// --- crash consistency ---

// One transaction: a certificate, a sealed key and an event, all named `name`.
Status WriteTransaction(Store& st, int64_t txn) {
  const std::string name = "txn-" + std::to_string(txn);
  ASSIGN_OR_RETURN(int64_t key, st.PutPrivateKey(SampleKeyMeta(name), SamplePrivatePem(name)));
  CertificateRecord c = SampleCertificate(name, kT0 + txn);
  c.key_id = key;
  RETURN_IF_ERROR(st.PutCertificate(c));
  return st.AppendEvent({0, FromUnixSeconds(kT0), name, "issued", name, "{}"}).status();
}

// The child: commits transactions numbered from `first` forever and reports each number on
// `report` only after its commit returned. With `group_writers` > 0, that many threads write
// concurrently through one GroupCommit (batched commits, as the CA issues), each reporting
// its own transactions once Run() returned; 8-byte pipe writes are atomic.
[[noreturn]] void WriterChild(const std::string& db, int64_t first, int report, int group_writers) {
  auto store = SqliteStore::Open(db, FixedKey(1));
  if (!store.ok()) ::_exit(2);
  if (group_writers == 0) {
    for (int64_t txn = first;; ++txn) {
      Status s = (*store)->RunInTransaction([&](Store& st) { return WriteTransaction(st, txn); });
      if (!s.ok()) ::_exit(3);
      if (::write(report, &txn, sizeof txn) != sizeof txn) ::_exit(4);
    }
  }
  GroupCommit group(**store);
  std::vector<std::thread> writers;
  for (int w = 0; w < group_writers; ++w) {
    writers.emplace_back([&, w] {
      for (int64_t txn = first + w * 100'000;; ++txn) {
        Status s = group.Run([&](Store& st) { return WriteTransaction(st, txn); });
        if (!s.ok()) ::_exit(3);
        if (::write(report, &txn, sizeof txn) != sizeof txn) ::_exit(4);
      }
    });
  }
  for (auto& t : writers) t.join();
  ::_exit(5);
}

void KillWritersAndCheckRecovery(int group_writers) {
  TempDir dir;
  const std::string db = dir.File("certkeeper.db");
  std::mt19937 rng(20240601);  // fixed: a failure reproduces with the same delays
  std::uniform_int_distribution<int> delay_ms(0, 200);
  std::set<int64_t> acknowledged;
  constexpr int kRounds = 10;
  const auto started = std::chrono::steady_clock::now();

  for (int round = 0; round < kRounds; ++round) {
    Pipe report;
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      report.CloseRead();
      // Numbers never repeat across rounds: a transaction that committed but was killed
      // before reporting must not collide with the next round's.
      WriterChild(db, (round + 1) * 1'000'000, report.fd[1], group_writers);
    }
    Child child(pid);
    report.CloseWrite();
    // Wait for the first commit (opening may take a while on a loaded machine), then let the
    // writer run for a random time and kill it wherever it is.
    int64_t txn;
    size_t this_round = 0;
    if (::read(report.fd[0], &txn, sizeof txn) == sizeof txn) {
      acknowledged.insert(txn);
      ++this_round;
    }
    const int delay = delay_ms(rng);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    child.Kill();
    const int wstatus = child.Wait();
    ASSERT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL)
        << "the writer stopped by itself with exit code "
        << (WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1);
    while (::read(report.fd[0], &txn, sizeof txn) == sizeof txn) {
      acknowledged.insert(txn);
      ++this_round;
    }

    // Recovery: the file is consistent, every acknowledged transaction is there, and every
    // transaction that is there is there completely.
    auto store = SqliteStore::Open(db, FixedKey(1));
    ASSERT_TRUE(store.ok()) << "round " << round << ": " << store.status().ToString();
    CK_ASSERT_OK((*store)->CheckIntegrity());
    EXPECT_EQ(RawQueryText(db, "PRAGMA integrity_check"), "ok");
    CK_ASSERT_OK_AND_ASSIGN(auto certs, (*store)->ListCertificates({}));
    CK_ASSERT_OK_AND_ASSIGN(auto keys, (*store)->ListKeys());
    CK_ASSERT_OK_AND_ASSIGN(auto events,
                            (*store)->ListEvents(Make<EventQuery>([](auto& q) { q.limit = 0; })));
    std::set<std::string> cert_names, key_labels, event_names;
    for (const auto& c : certs) cert_names.insert(c.name);
    for (const auto& k : keys) key_labels.insert(k.label);
    for (const auto& e : events) event_names.insert(e.certificate_name);
    EXPECT_EQ(cert_names, key_labels) << "round " << round << ": a transaction is half there";
    EXPECT_EQ(cert_names, event_names) << "round " << round << ": a transaction is half there";
    for (int64_t t : acknowledged) {
      ASSERT_TRUE(cert_names.count("txn-" + std::to_string(t)))
          << "round " << round << ": acknowledged transaction " << t << " is lost";
    }
    EXPECT_GE(cert_names.size(), acknowledged.size());
    for (const auto& k : keys) {
      auto pem = (*store)->GetPrivateKeyPem(k.id);
      ASSERT_TRUE(pem.ok()) << pem.status().ToString();
      EXPECT_EQ(pem->view(), SamplePrivatePem(k.label));
    }
    std::cout << "[ crash    ] round " << round << ": killed " << delay
              << " ms after the first commit, " << this_round << " acknowledged, "
              << cert_names.size() << " present in total\n";
  }
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  std::cout << "[ crash    ] " << (group_writers > 0 ? "group commit: " : "") << kRounds
            << " kills, " << acknowledged.size() << " acknowledged transactions, all present; "
            << elapsed.count() << " ms\n";
  // The test only means something if the writer got work done before being killed.
  EXPECT_GE(acknowledged.size(), size_t{kRounds});
}

TEST(CrashConsistencyTest, SigkilledWriterLosesNoCommittedTransaction) {
  KillWritersAndCheckRecovery(0);
}

// The same with 8 threads writing through one GroupCommit: a batch is all or nothing, and no
// writer is told "committed" before its batch is durable.
TEST(CrashConsistencyTest, SigkilledGroupCommitLosesNoAcknowledgedWrite) {
  KillWritersAndCheckRecovery(8);
}

}  // namespace
}  // namespace ck::store::testing
