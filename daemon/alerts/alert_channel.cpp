#include "daemon/alerts/alert_channel.hpp"

#include "daemon/alerts/email_channel.hpp"
#include "daemon/alerts/http_channels.hpp"
#include "daemon/alerts/log_channel.hpp"

namespace ck::alerts {

bool Accepts(const AlertChannel& channel, const AlertNotice& notice) {
  return notice.state == AlertNotice::State::kTest || notice.severity >= channel.min_severity();
}

Result<std::unique_ptr<AlertChannel>> MakeChannel(const config::AlertChannelConfig& config,
                                                  Clock& clock) {
  if (config.type == "email") return std::unique_ptr<AlertChannel>(new EmailChannel(config, clock));
  if (config.type == "webhook") {
    return std::unique_ptr<AlertChannel>(new WebhookChannel(config, clock));
  }
  if (config.type == "slack") return std::unique_ptr<AlertChannel>(new SlackChannel(config));
  if (config.type == "log") return std::unique_ptr<AlertChannel>(new LogChannel(config));
  return InvalidArgumentError("unknown alert channel type '" + config.type + "'");
}

Result<std::vector<std::unique_ptr<AlertChannel>>> MakeChannels(const config::AlertsConfig& config,
                                                                Clock& clock) {
  std::vector<std::unique_ptr<AlertChannel>> out;
  for (const auto& c : config.EffectiveChannels()) {
    ASSIGN_OR_RETURN(auto channel, MakeChannel(c, clock));
    out.push_back(std::move(channel));
  }
  return out;
}

}  // namespace ck::alerts
