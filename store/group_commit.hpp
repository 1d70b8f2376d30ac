// GroupCommit: many writers' small transactions committed as one (one fsync for the batch),
// each writer still answered only once its write is durable.
//
// Why: the store runs SQLite with synchronous=FULL, so every commit waits for an fsync (about
// 0.4 ms on the reference machine), which capped concurrent issuance at one certificate per
// fsync. Here the first writer to arrive becomes the leader: it takes every write queued so
// far, runs them in one transaction (each inside its own savepoint, so one failing write rolls
// back alone and fails alone), commits, and wakes the writers it carried. Writers arriving
// during that commit queue up for the next batch. A lone writer commits at once: batching costs
// no latency when there is nothing to batch with.
//
// Announce(): a writer that will call Run() after some CPU-bound preparation (the CA signing a
// certificate) says so first. A leader about to commit waits, up to a bound, until every
// announced writer has queued, so concurrent issuances share a commit instead of each paying
// one (PostgreSQL's commit_delay, but only when somebody is actually coming). With nobody
// announced there is no wait.
//
// Run() must not be called from inside a Store transaction: the leader needs the store, and a
// caller holding it while waiting for another leader would deadlock.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

#include "common/status.hpp"
#include "store/store.hpp"

namespace ck::store {

class GroupCommit {
 public:
  // `max_wait`: how long a leader waits for announced writers.
  explicit GroupCommit(Store& store,
                       std::chrono::microseconds max_wait = std::chrono::microseconds(1000))
      : store_(store), max_wait_(max_wait) {}
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // Runs `write` in a transaction shared with concurrent callers and returns its Status once
  // the transaction has committed (durable) or failed. A failed commit fails every write of
  // the batch, none of which is then in the store.
  Status Run(const std::function<Status(Store&)>& write);

  // Held from Announce() until the writer calls Run() (which takes it over) or gives up
  // (destruction): while it is held, leaders wait for this writer.
  class Intent {
   public:
    Intent() = default;
    Intent(Intent&& other) noexcept : owner_(std::exchange(other.owner_, nullptr)) {}
    Intent& operator=(Intent&& other) noexcept;
    ~Intent() { Release(); }
    void Release();
    bool held() const { return owner_ != nullptr; }

   private:
    friend class GroupCommit;
    explicit Intent(GroupCommit* owner) : owner_(owner) {}
    GroupCommit* owner_ = nullptr;
  };
  Intent Announce();
  // Run() for a writer that announced itself: `intent` is released as the write is queued.
  Status Run(const std::function<Status(Store&)>& write, Intent& intent);

  struct Stats {
    uint64_t writes = 0;
    uint64_t commits = 0;
    uint64_t largest_batch = 0;
  };
  Stats stats() const;

 private:
  struct Pending {
    const std::function<Status(Store&)>* write;
    Status status;
    bool done = false;
    // Signalled when the write is committed, or when it heads the queue and may lead: each
    // writer sleeps on its own, so a commit wakes only the writers it carried.
    std::condition_variable wake;
  };
  void CommitBatch(std::vector<Pending*>& batch);

  Store& store_;
  const std::chrono::microseconds max_wait_;
  mutable std::mutex mu_;
  std::condition_variable arrivals_;  // an announced writer queued or gave up
  uint64_t announced_ = 0;            // intents neither queued nor released
  std::vector<Pending*> queue_;
  bool leader_active_ = false;
  Stats stats_;
};

}  // namespace ck::store
