// Email over SMTP with libcurl. smtp:// upgrades with STARTTLS and, by default, refuses a
// server that does not offer it (CURLUSESSL_ALL), so alerts never travel in clear text unless
// the config says starttls = "none" for a loopback test sink; smtps:// is implicit TLS. The
// server certificate is verified (ca_bundle or the system store).
#pragma once

#include "daemon/alerts/alert_channel.hpp"

namespace ck::alerts {

class EmailChannel final : public AlertChannel {
 public:
  EmailChannel(config::AlertChannelConfig config, Clock& clock)
      : c_(std::move(config)), clock_(clock) {}
  const std::string& name() const override { return c_.name; }
  std::string_view type() const override { return "email"; }
  AlertSeverity min_severity() const override { return c_.min_severity; }
  Status Send(const AlertNotice& notice) override;

  // The RFC 5322 message (CRLF line ends): Date, From, To, Subject, Message-ID, MIME headers,
  // then the plain-text body. Exposed for tests.
  std::string Message(const AlertNotice& notice, TimePoint now, std::string_view message_id) const;

 private:
  config::AlertChannelConfig c_;
  Clock& clock_;
};

// RFC 5322 §3.3 date-time in UTC: "Sun, 22 Nov 2026 17:30:00 +0000".
std::string Rfc5322Date(TimePoint t);

}  // namespace ck::alerts
