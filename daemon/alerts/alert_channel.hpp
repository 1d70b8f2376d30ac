// The seam every alert destination sits behind. Send is synchronous and bounded by the
// channel's timeout; a failure is a Status the engine logs and retries at the next evaluation.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/status.hpp"
#include "daemon/alerts/alert_types.hpp"
#include "daemon/config/alerts_config.hpp"

namespace ck::alerts {

class AlertChannel {
 public:
  virtual ~AlertChannel() = default;
  virtual const std::string& name() const = 0;
  virtual std::string_view type() const = 0;
  // Alerts below this severity are not sent here (test notices always are).
  virtual AlertSeverity min_severity() const = 0;
  virtual Status Send(const AlertNotice& notice) = 0;
};

// The channels [alerts] names (the log channel alone when it names none).
// `clock` dates signatures and mail headers; it must outlive the channels.
Result<std::vector<std::unique_ptr<AlertChannel>>> MakeChannels(const config::AlertsConfig& config,
                                                                Clock& clock);
Result<std::unique_ptr<AlertChannel>> MakeChannel(const config::AlertChannelConfig& config,
                                                  Clock& clock);

// Whether `channel` takes `notice` (severity filter; test notices go everywhere).
bool Accepts(const AlertChannel& channel, const AlertNotice& notice);

}  // namespace ck::alerts
