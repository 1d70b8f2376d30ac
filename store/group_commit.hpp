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
// Run() must not be called from inside a Store transaction: the leader needs the store, and a
// caller holding it while waiting for another leader would deadlock.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "common/status.hpp"
#include "store/store.hpp"

namespace ck::store {

class GroupCommit {
 public:
  explicit GroupCommit(Store& store) : store_(store) {}
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // Runs `write` in a transaction shared with concurrent callers and returns its Status once
  // the transaction has committed (durable) or failed. A failed commit fails every write of
  // the batch, none of which is then in the store.
  Status Run(const std::function<Status(Store&)>& write);

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
  mutable std::mutex mu_;
  std::vector<Pending*> queue_;
  bool leader_active_ = false;
  Stats stats_;
};

}  // namespace ck::store
