// The alert engine: compares the conditions firing now with the alerts open in the store and
// notifies. The store is the only state, so a restarted daemon neither repeats a notice that
// went out nor forgets one that did not:
//   new condition          → alert inserted, firing notice to every channel
//   still firing           → nothing (unless a channel still owes its firing notice)
//   no longer firing       → resolved_at set, resolved notice to the channels that had
//                            the firing notice (superseded expiry thresholds close silently);
//                            not for a managed certificate whose current serial is unknown
//                            (not loaded yet after a start): its alerts wait
// Per-channel delivery is kept in the alert's details_json ({"notified": [...],
// "resolved_notified": [...]}), so a retry reaches only the channels that missed the notice,
// and notified_at / resolved_notified_at are set once every channel has it.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "common/clock.hpp"
#include "common/status.hpp"
#include "daemon/alerts/alert_channel.hpp"
#include "daemon/alerts/snapshot.hpp"
#include "daemon/config/alerts_config.hpp"
#include "store/store.hpp"

namespace ck::alerts {

struct EvaluationSummary {
  int firing = 0;          // conditions holding now
  int opened = 0;          // alerts inserted by this evaluation
  int resolved = 0;        // alerts closed by this evaluation
  int notices_sent = 0;    // successful Send calls
  int notices_failed = 0;  // failed Send calls (retried next time)
  int reminders = 0;       // alerts reminded of (repeat_interval)
};

class AlertEngine {
 public:
  // `should_stop`: checked before each send, so a stopping daemon does not wait for every
  // channel's timeout; unsent notices stay owed and go out after the restart.
  AlertEngine(store::Store& store, Clock& clock, config::AlertsConfig config,
              std::vector<std::unique_ptr<AlertChannel>> channels,
              std::function<bool()> should_stop = nullptr);

  // One evaluation at clock.Now(). Errors are store errors; channel failures are logged
  // (with the alert's subject and the reason) and counted, never returned.
  Result<EvaluationSummary> Evaluate(const AlertSnapshot& snapshot);

  // SIGHUP: new thresholds and channels from here on (waits for a running evaluation). The
  // store's alerts stay; a channel that is new receives only notices still owed.
  void Reconfigure(config::AlertsConfig config,
                   std::vector<std::unique_ptr<AlertChannel>> channels);
  std::chrono::seconds interval() const;

 private:
  // Sends the firing (or resolved) notice to every channel that accepts it and does not have
  // it yet; stores the progress. Returns the updated record.
  Result<store::AlertRecord> Notify(store::AlertRecord record, bool resolved,
                                    EvaluationSummary& summary);
  // A reminder of an open, unacknowledged alert whose last notice is repeat_interval old, to
  // the channels that announced it.
  Status RemindIfDue(const store::AlertRecord& record, TimePoint now, EvaluationSummary& summary);
  // Writes `record` with the acknowledgement of the stored row (read in the same transaction);
  // `merge` may take more from that row.
  Status WriteKeepingAck(store::AlertRecord& record,
                         const std::function<void(const store::AlertRecord&)>& merge = nullptr);

  store::Store& store_;
  Clock& clock_;
  mutable std::mutex mu_;  // config_ and channels_; held for a whole evaluation
  config::AlertsConfig config_;
  std::vector<std::unique_ptr<AlertChannel>> channels_;
  std::function<bool()> should_stop_;
};

// The notice for a stored alert.
AlertNotice NoticeFor(const store::AlertRecord& record, bool resolved);

}  // namespace ck::alerts
