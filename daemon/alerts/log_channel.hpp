// The log as an alert channel: firing alerts at warn, resolved and test notices at info. It
// cannot fail, which is why it is the channel when [alerts] names none.
#pragma once

#include "daemon/alerts/alert_channel.hpp"

namespace ck::alerts {

class LogChannel final : public AlertChannel {
 public:
  explicit LogChannel(config::AlertChannelConfig config) : c_(std::move(config)) {}
  const std::string& name() const override { return c_.name; }
  std::string_view type() const override { return "log"; }
  AlertSeverity min_severity() const override { return c_.min_severity; }
  Status Send(const AlertNotice& notice) override;

 private:
  config::AlertChannelConfig c_;
};

}  // namespace ck::alerts
