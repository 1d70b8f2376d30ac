#include "store/group_commit.hpp"

#include <algorithm>

namespace ck::store {

GroupCommit::Intent& GroupCommit::Intent::operator=(Intent&& other) noexcept {
  if (this != &other) {
    Release();
    owner_ = std::exchange(other.owner_, nullptr);
  }
  return *this;
}

void GroupCommit::Intent::Release() {
  if (owner_ == nullptr) return;
  bool last = false;
  {
    std::lock_guard lock(owner_->mu_);
    last = --owner_->announced_ == 0;
  }
  if (last) owner_->arrivals_.notify_all();  // a leader waits for none left, not for each
  owner_ = nullptr;
}

GroupCommit::Intent GroupCommit::Announce() {
  std::lock_guard lock(mu_);
  ++announced_;
  return Intent(this);
}

Status GroupCommit::Run(const std::function<Status(Store&)>& write) {
  Intent none;
  return Run(write, none);
}

Status GroupCommit::Run(const std::function<Status(Store&)>& write, Intent& intent) {
  Pending mine{&write, OkStatus(), false, {}};
  std::unique_lock lock(mu_);
  queue_.push_back(&mine);
  if (intent.owner_ == this) {
    // Queued: no longer one to wait for. (Released here, under the lock already held.)
    intent.owner_ = nullptr;
    if (--announced_ == 0) arrivals_.notify_all();
  }
  while (!mine.done) {
    if (leader_active_) {
      mine.wake.wait(lock);
      continue;
    }
    // Lead: wait (bounded) for announced writers to queue, then everything queued so far
    // (our own write included) goes into this batch.
    leader_active_ = true;
    if (announced_ > 0) {
      const auto deadline = std::chrono::steady_clock::now() + max_wait_;
      arrivals_.wait_until(lock, deadline, [&] { return announced_ == 0; });
    }
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
