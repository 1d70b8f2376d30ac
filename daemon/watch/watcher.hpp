// The watch scheduler: every [[watch]] is checked once per [monitor].interval, at most
// [monitor].concurrency at once, each check within its timeout; results, leaves and events go
// to the store (watch_persist.hpp). Like the lifecycle Manager, RunOnce() does what is due and
// says when to wake, so a test drives it with a FakeClock and the daemon's thread only loops.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/status.hpp"
#include "daemon/config/watch_config.hpp"
#include "daemon/watch/watch_check.hpp"
#include "store/store.hpp"

namespace ck::watch {

class Watcher {
 public:
  Watcher(store::Store& store, Clock& clock) : store_(store), clock_(clock) {}

  // Takes a new watch list and schedule (start and SIGHUP). A watch kept across the change
  // keeps its schedule; a new one is due when its stored results say (at once if none);
  // results of targets that no watch covers any more are deleted (certificate history stays).
  Status Configure(const std::vector<config::WatchConfig>& watches,
                   const config::MonitorConfig& monitor);

  // Runs every due watch and persists what it found; returns when the next one is due.
  TimePoint RunOnce();

  // True after Configure until RunOnce picks the new list up (the daemon's sleep ends early).
  bool HasPendingChanges() const { return pending_.load(); }
  // Checks not yet started are skipped; running ones end within their timeout.
  void Stop() { stopping_ = true; }

  // The outcomes of the last RunOnce, for logs and tests.
  std::vector<CheckOutcome> LastRun() const;

 private:
  struct Scheduled {
    config::WatchConfig watch;
    TimePoint due;
  };

  store::Store& store_;
  Clock& clock_;
  mutable std::mutex mu_;
  std::map<std::string, Scheduled> watches_;  // by WatchKey
  config::MonitorConfig monitor_;
  std::vector<CheckOutcome> last_run_;
  std::atomic<bool> pending_{false};
  std::atomic<bool> stopping_{false};
};

}  // namespace ck::watch
