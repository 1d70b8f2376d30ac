// [alerts]: when certkeeper raises alerts (expiry thresholds, failure streaks, overdue renewals,
// CA expiry) and where it sends them ([[alerts.channel]]: email, webhook, slack, log).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"

namespace ck::config {

// Ordered: a channel's min_severity passes alerts at or above it.
enum class AlertSeverity { kInfo = 0, kWarning = 1, kCritical = 2 };
std::string_view AlertSeverityName(AlertSeverity s);  // "info" | "warning" | "critical"
Result<AlertSeverity> ParseAlertSeverity(std::string_view text);

struct AlertChannelConfig {
  std::string name;  // unique; default: the type ("email"), then "email-2", ...
  std::string type;  // "email" | "webhook" | "slack" | "log"
  AlertSeverity min_severity = AlertSeverity::kInfo;
  std::chrono::seconds timeout{10};  // whole send, network channels
  // email
  std::string smtp;  // smtp://host[:port] (STARTTLS) or smtps://host[:port] (implicit TLS)
  bool starttls_required = true;  // starttls = "none" only for a loopback test sink
  std::string from;
  std::vector<std::string> to;
  std::string username;
  std::string password_file;  // secret: mode 0600/0400
  // webhook / slack
  std::string url;
  std::string secret_file;  // webhook: HMAC key for X-Certkeeper-Signature (0600/0400)
  // email / webhook / slack: trust for TLS; empty = the system store
  std::string ca_bundle;
  int line = 0;
};

struct AlertsConfig {
  // Days-before-expiry thresholds, loosest first; one alert per crossing.
  std::vector<std::chrono::seconds> thresholds = {
      std::chrono::hours(24 * 30), std::chrono::hours(24 * 14), std::chrono::hours(24 * 7),
      std::chrono::hours(24 * 3), std::chrono::hours(24 * 1)};
  int failure_streak = 3;  // consecutive renewal failures
  std::chrono::seconds overdue_grace = std::chrono::hours(1);
  std::chrono::seconds ca_warn_before = std::chrono::hours(24 * 60);
  std::chrono::seconds interval = std::chrono::minutes(1);
  // An open alert nobody has acknowledged is announced again this long after its last notice
  // (Alertmanager's repeat_interval); 0 = once only.
  std::chrono::seconds repeat_interval = std::chrono::hours(24);
  // Empty: the log channel alone.
  std::vector<AlertChannelConfig> channels;
  int line = 0;

  // The configured channels, or one log channel when there are none.
  std::vector<AlertChannelConfig> EffectiveChannels() const;
};

// File checks for `config check` and daemon start: ca_bundle readable, password_file and
// secret_file private. Errors name "FILE:LINE: KEY".
Status CheckAlertFiles(std::string_view source, const AlertsConfig& alerts);

}  // namespace ck::config
