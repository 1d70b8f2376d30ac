#include "pki/resolve.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "tests/testing/status_matchers.hpp"

namespace ck::pki {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

// A name server that answers only when the test lets it: the lookup threads block here.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  void Open() {
    {
      std::lock_guard lock(mu);
      open = true;
    }
    cv.notify_all();
  }
  void Wait() {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return open; });
  }
};

ResolverFn HeldResolver(std::shared_ptr<Gate> gate) {
  return [gate](const std::string& name, const std::string& service, const addrinfo& hints,
                addrinfo** out) {
    gate->Wait();
    return ::getaddrinfo(name == "held.test" ? "127.0.0.1" : name.c_str(), service.c_str(), &hints,
                         out);
  };
}

void WaitForNoOutstandingLookups() {
  const auto until = SteadyClock::now() + std::chrono::seconds(10);
  while (OutstandingLookups() > 0 && SteadyClock::now() < until) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  ASSERT_EQ(OutstandingLookups(), 0);
}

TEST(ResolveHostTest, LiteralsAreConvertedOnTheCallersThread) {
  const auto caller = std::this_thread::get_id();
  std::atomic<int> calls{0};
  ResolverFn same_thread = [&](const std::string& name, const std::string& service,
                               const addrinfo& hints, addrinfo** out) {
    EXPECT_EQ(std::this_thread::get_id(), caller);
    EXPECT_NE(hints.ai_flags & AI_NUMERICHOST, 0);
    ++calls;
    return ::getaddrinfo(name.c_str(), service.c_str(), &hints, out);
  };
  const auto deadline = SteadyClock::now() + milliseconds(500);
  for (const char* host : {"127.0.0.1", "::1", "[::1]"}) {
    auto addrs = ResolveHost(host, 443, deadline, same_thread);
    ASSERT_OK(addrs);
    EXPECT_EQ((*addrs)->ai_socktype, SOCK_STREAM) << host;
  }
  EXPECT_EQ(calls.load(), 3);
}

TEST(ResolveHostTest, LocalhostResolvesThroughTheSystemResolver) {
  auto addrs = ResolveHost("localhost", 8443, SteadyClock::now() + std::chrono::seconds(5));
  ASSERT_OK(addrs);
  ASSERT_NE(addrs->get(), nullptr);
  WaitForNoOutstandingLookups();
}

// Opens the gate on every way out of a test, so an early ASSERT leaves no lookup blocked.
struct OpenAtExit {
  std::shared_ptr<Gate> gate;
  ~OpenAtExit() { gate->Open(); }
};

TEST(ResolveHostTest, HungNameServerGivesUpAtTheDeadline) {
  auto gate = std::make_shared<Gate>();
  OpenAtExit open_at_exit{gate};
  const auto start = SteadyClock::now();
  auto addrs = ResolveHost("held.test", 443, start + milliseconds(200), HeldResolver(gate));
  const auto took = SteadyClock::now() - start;
  EXPECT_EQ(addrs.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(addrs.status().message().find("resolving 'held.test' timed out"), std::string::npos)
      << addrs.status().ToString();
  EXPECT_GE(took, milliseconds(190));
  EXPECT_LT(took, milliseconds(2000));
  EXPECT_EQ(OutstandingLookups(), 1) << "the abandoned lookup is still running";
  gate->Open();  // it finishes later and frees its result
  WaitForNoOutstandingLookups();
}

TEST(ResolveHostTest, SlowButInTimeAnswersAreUsed) {
  auto gate = std::make_shared<Gate>();
  std::thread opener([gate] {
    std::this_thread::sleep_for(milliseconds(50));
    gate->Open();
  });
  auto addrs = ResolveHost("held.test", 443, SteadyClock::now() + std::chrono::seconds(5),
                           HeldResolver(gate));
  opener.join();
  ASSERT_OK(addrs);
  WaitForNoOutstandingLookups();
}

TEST(ResolveHostTest, UnknownNameIsUnavailableNamingTheHost) {
  ResolverFn no_such_name = [](const std::string&, const std::string&, const addrinfo&,
                               addrinfo**) { return EAI_NONAME; };
  auto addrs =
      ResolveHost("nope.invalid", 443, SteadyClock::now() + milliseconds(500), no_such_name);
  EXPECT_EQ(addrs.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(addrs.status().message().find("cannot resolve 'nope.invalid'"), std::string::npos);
  WaitForNoOutstandingLookups();
}

TEST(ResolveHostTest, HungLookupsDoNotPileUpThreads) {
  auto gate = std::make_shared<Gate>();
  OpenAtExit open_at_exit{gate};
  // Abandon lookups on a hung name server until the cap is reached (each call gives up at its
  // deadline; one that found its deadline already passed starts no thread, hence the loop).
  for (int i = 0; i < 500 && OutstandingLookups() < 64; ++i) {
    auto addrs =
        ResolveHost("held.test", 443, SteadyClock::now() + milliseconds(2), HeldResolver(gate));
    ASSERT_EQ(addrs.status().code(), StatusCode::kDeadlineExceeded) << addrs.status().ToString();
  }
  ASSERT_EQ(OutstandingLookups(), 64);
  auto refused = ResolveHost("held.test", 443, SteadyClock::now() + std::chrono::seconds(5),
                             HeldResolver(gate));
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(refused.status().message().find("still running"), std::string::npos)
      << refused.status().ToString();
  EXPECT_EQ(OutstandingLookups(), 64) << "a refused lookup starts no thread";
  gate->Open();
  WaitForNoOutstandingLookups();
  // Capacity is back.
  ASSERT_OK(ResolveHost("localhost", 443, SteadyClock::now() + std::chrono::seconds(5)));
}

}  // namespace
}  // namespace ck::pki
