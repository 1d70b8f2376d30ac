// Webhook channels: a generic JSON webhook (optionally HMAC-signed exactly like the deploy
// webhook: X-Certkeeper-Timestamp + X-Certkeeper-Signature: sha256=HMAC(secret, ts "." body))
// and a Slack-compatible incoming webhook ({"text": "..."}). One POST per notice, no retries
// inside Send: the engine retries a failed notice at its next evaluation.
#pragma once

#include "daemon/alerts/alert_channel.hpp"

namespace ck::alerts {

class WebhookChannel final : public AlertChannel {
 public:
  WebhookChannel(config::AlertChannelConfig config, Clock& clock)
      : c_(std::move(config)), clock_(clock) {}
  const std::string& name() const override { return c_.name; }
  std::string_view type() const override { return "webhook"; }
  AlertSeverity min_severity() const override { return c_.min_severity; }
  Status Send(const AlertNotice& notice) override;

 private:
  config::AlertChannelConfig c_;
  Clock& clock_;
};

class SlackChannel final : public AlertChannel {
 public:
  explicit SlackChannel(config::AlertChannelConfig config) : c_(std::move(config)) {}
  const std::string& name() const override { return c_.name; }
  std::string_view type() const override { return "slack"; }
  AlertSeverity min_severity() const override { return c_.min_severity; }
  Status Send(const AlertNotice& notice) override;

  // {"text": "..."}: subject line, then the message (exposed for tests).
  static std::string Body(const AlertNotice& notice);

 private:
  config::AlertChannelConfig c_;
};

}  // namespace ck::alerts
