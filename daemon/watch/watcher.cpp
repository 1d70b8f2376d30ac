#include "daemon/watch/watcher.hpp"

#include <algorithm>
#include <optional>
#include <set>

#include "common/log.hpp"
#include "daemon/metrics/daemon_metrics.hpp"
#include "daemon/watch/check_pool.hpp"
#include "daemon/watch/watch_persist.hpp"
#include "daemon/watch/watch_targets.hpp"

namespace ck::watch {
namespace {

// With nothing to watch the loop still wakes now and then (a reload interrupts it anyway).
constexpr std::chrono::hours kIdleWake{1};

bool CoveredByAny(const std::vector<config::WatchConfig>& watches, const std::string& target) {
  return std::any_of(watches.begin(), watches.end(),
                     [&](const auto& w) { return WatchCovers(w, target); });
}

}  // namespace

Status Watcher::Configure(const std::vector<config::WatchConfig>& watches,
                          const config::MonitorConfig& monitor) {
  auto stored = store_.ListWatchResults();
  if (!stored.ok()) return stored.status().WithContext("watch: reading stored results");
  const TimePoint now = clock_.Now();
  {
    std::lock_guard lock(mu_);
    std::map<std::string, Scheduled> next;
    for (const auto& w : watches) {
      const std::string key = WatchKey(w);
      if (auto it = watches_.find(key); it != watches_.end()) {
        next[key] = {w, it->second.due};
        continue;
      }
      // After a restart, continue the schedule the stored results imply.
      std::optional<TimePoint> oldest;
      for (const auto& r : *stored) {
        if (WatchCovers(w, r.target) && (!oldest || r.checked_at < *oldest)) oldest = r.checked_at;
      }
      next[key] = {w, oldest ? std::min(*oldest + monitor.interval, now + monitor.interval) : now};
    }
    watches_ = std::move(next);
    monitor_ = monitor;
  }
  for (const auto& r : *stored) {
    if (CoveredByAny(watches, r.target)) continue;
    Status s = ForgetTarget(store_, r);
    if (!s.ok() && s.code() != StatusCode::kNotFound) {
      log::Warn("watch: cannot delete the result of a removed watch",
                {{"target", r.target}, {"reason", s.message()}});
    }
  }
  pending_ = true;
  log::Info("watch: configured", {{"watches", std::to_string(watches.size())},
                                  {"interval", std::to_string(monitor.interval.count()) + "s"},
                                  {"concurrency", std::to_string(monitor.concurrency)}});
  return OkStatus();
}

TimePoint Watcher::RunOnce() {
  pending_ = false;
  const TimePoint started = clock_.Now();
  std::vector<config::WatchConfig> due, all;
  config::MonitorConfig monitor;
  {
    std::lock_guard lock(mu_);
    for (const auto& [key, s] : watches_) {
      all.push_back(s.watch);
      if (s.due <= started) due.push_back(s.watch);
    }
    monitor = monitor_;
  }
  if (!due.empty() && !stopping_) {
    std::map<std::string, store::WatchResultRecord> previous;
    if (auto stored = store_.ListWatchResults(); stored.ok()) {
      for (auto& r : *stored) previous[r.target] = std::move(r);
    } else {
      log::Warn("watch: cannot read previous results", {{"reason", stored.status().message()}});
    }
    // Each task writes only its own slot and only its own targets' rows.
    std::vector<std::vector<CheckOutcome>> results(due.size());
    std::vector<std::function<void()>> tasks;
    for (size_t i = 0; i < due.size(); ++i) {
      tasks.push_back([&, i] {
        const config::WatchConfig& w = due[i];
        results[i] = CheckWatch(w, SettingsFor(w, monitor, clock_.Now()));
        for (const auto& o : results[i]) {
          auto prev = previous.find(o.target);
          auto saved = PersistOutcome(
              store_, o, prev == previous.end() ? std::nullopt : std::optional(prev->second),
              clock_.Now());
          if (!saved.ok()) {
            log::Warn("watch: cannot record a check",
                      {{"target", o.target}, {"reason", saved.status().message()}});
          }
          log::Debug("watch: checked", {{"target", o.target},
                                        {"outcome", o.outcome},
                                        {"problems", std::to_string(o.problems.size())},
                                        {"ms", std::to_string(o.duration.count())}});
          ck::daemon::metrics::CountEndpointCheck(o.outcome);
        }
      });
    }
    RunBounded(std::move(tasks), monitor.concurrency, [this] { return stopping_.load(); });

    // A file that no longer matches (deleted, renamed) loses its result; its history stays.
    for (size_t i = 0; i < due.size(); ++i) {
      if (due[i].is_endpoint() || stopping_) continue;
      std::set<std::string> produced;
      for (const auto& o : results[i]) produced.insert(o.target);
      for (const auto& [target, r] : previous) {
        if (produced.contains(target) || !WatchCovers(due[i], target)) continue;
        const bool other = std::any_of(all.begin(), all.end(), [&](const auto& w) {
          return WatchKey(w) != WatchKey(due[i]) && WatchCovers(w, target);
        });
        if (other) continue;
        if (Status s = ForgetTarget(store_, r); !s.ok() && s.code() != StatusCode::kNotFound) {
          log::Warn("watch: cannot forget a file that no longer matches",
                    {{"target", target}, {"reason", s.message()}});
        }
      }
    }
    std::lock_guard lock(mu_);
    last_run_.clear();
    for (auto& r : results) {
      for (auto& o : r) last_run_.push_back(std::move(o));
    }
    const TimePoint after = clock_.Now();
    for (const auto& w : due) {
      if (auto it = watches_.find(WatchKey(w)); it != watches_.end() && !stopping_) {
        it->second.due = std::max(started + monitor.interval, after);
      }
    }
  }
  std::lock_guard lock(mu_);
  std::optional<TimePoint> next;
  for (const auto& [key, s] : watches_) {
    if (!next || s.due < *next) next = s.due;
  }
  return next.value_or(clock_.Now() + kIdleWake);
}

std::vector<CheckOutcome> Watcher::LastRun() const {
  std::lock_guard lock(mu_);
  return last_run_;
}

}  // namespace ck::watch
