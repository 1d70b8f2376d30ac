#include "store/group_commit.hpp"

#include <algorithm>

namespace ck::store {

Status GroupCommit::Run(const std::function<Status(Store&)>& write) {
  Pending mine{&write, OkStatus(), false, {}};
  std::unique_lock lock(mu_);
  queue_.push_back(&mine);
  while (!mine.done) {
    if (leader_active_) {
      mine.wake.wait(lock);
      continue;
    }
    // Lead: everything queued so far (our own write included) goes into this batch.
    leader_active_ = true;
    std::vector<Pending*> batch;
    batch.swap(queue_);
    lock.unlock();
    CommitBatch(batch);
    lock.lock();
    leader_active_ = false;
    stats_.writes += batch.size();
    ++stats_.commits;
    stats_.largest_batch = std::max<uint64_t>(stats_.largest_batch, batch.size());
    for (Pending* p : batch) {
      p->done = true;
      p->wake.notify_one();
    }
    // The first writer queued meanwhile leads the next batch.
    if (!queue_.empty()) queue_.front()->wake.notify_one();
  }
  return mine.status;
}

void GroupCommit::CommitBatch(std::vector<Pending*>& batch) {
  Status committed = store_.RunInTransaction([&](Store& tx) -> Status {
    for (Pending* p : batch) {
      // A nested transaction is a savepoint: a failing write is undone alone.
      p->status = tx.RunInTransaction(*p->write);
    }
    return OkStatus();
  });
  if (committed.ok()) return;
  for (Pending* p : batch) {
    if (p->status.ok()) p->status = committed;
  }
}

GroupCommit::Stats GroupCommit::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace ck::store
