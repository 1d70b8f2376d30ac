#include "daemon/alerts/conditions.hpp"

#include <cmath>
#include <cstdio>
#include <set>

#include "common/duration.hpp"

namespace ck::alerts {
namespace {

// "in 6 days" / "in 5 hours" / "2 days ago": what a person reads in a subject line.
std::string TimeLeft(TimePoint not_after, TimePoint now) {
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(not_after - now).count();
  const bool past = secs < 0;
  long long a = std::llabs(static_cast<long long>(secs));
  std::string amount;
  if (a >= 2 * 86400) {
    amount = std::to_string(a / 86400) + " days";
  } else if (a >= 2 * 3600) {
    amount = std::to_string(a / 3600) + " hours";
  } else {
    amount = std::to_string(std::max(1LL, a / 60)) + " minutes";
  }
  return past ? amount + " ago" : "in " + amount;
}

AlertSeverity SeverityFromText(std::string_view text) {
  auto s = config::ParseAlertSeverity(text);
  return s.ok() ? *s : AlertSeverity::kWarning;
}

void AddExpiry(std::vector<Condition>& out, const std::string& kind_label, const std::string& name,
               const std::string& serial, TimePoint not_after, TimePoint now,
               const config::AlertsConfig& config) {
  const auto left = not_after - now;
  // Thresholds are sorted loosest first; find the tightest one crossed.
  std::vector<std::string> crossed;
  for (auto t : config.thresholds) {
    if (left <= t) crossed.push_back(ThresholdLabel(t));
  }
  const bool expired = left <= std::chrono::seconds(0);
  if (expired) crossed.push_back("expired");
  if (crossed.empty()) return;
  const std::string prefix = "expiry:" + name + ":" + serial + ":";
  Condition c;
  c.kind = "expiry";
  c.subject = name;
  c.key = prefix + crossed.back();
  for (size_t i = 0; i + 1 < crossed.size(); ++i) c.supersedes.push_back(prefix + crossed[i]);
  c.severity = expired || left <= std::chrono::hours(24 * 7) ? AlertSeverity::kCritical
                                                             : AlertSeverity::kWarning;
  c.message = kind_label + " certificate " + name + " (serial " + serial + ") " +
              (expired ? "expired " : "expires ") + TimeLeft(not_after, now) + ", at " +
              FormatRfc3339(not_after);
  out.push_back(std::move(c));
}

}  // namespace

std::string ThresholdLabel(std::chrono::seconds threshold) { return FormatDuration(threshold); }

std::vector<Condition> EvaluateConditions(const AlertSnapshot& snapshot, TimePoint now,
                                          const config::AlertsConfig& config) {
  std::vector<Condition> out;
  for (const auto& m : snapshot.managed) {
    if (m.not_after && !m.serial_hex.empty()) {
      AddExpiry(out, "Managed", m.name, m.serial_hex, *m.not_after, now, config);
    }
    if (m.consecutive_failures >= config.failure_streak) {
      Condition c;
      c.kind = "renewal_failing";
      c.subject = m.name;
      c.key = "renewal_failing:" + m.name;
      c.severity = AlertSeverity::kCritical;
      c.message = "Renewal of " + m.name + " failed " + std::to_string(m.consecutive_failures) +
                  " times in a row" + (m.last_error.empty() ? "" : "; last error: " + m.last_error);
      out.push_back(std::move(c));
    }
    if (m.next_renewal_at && *m.next_renewal_at + config.overdue_grace < now) {
      Condition c;
      c.kind = "renewal_overdue";
      c.subject = m.name;
      c.key = "renewal_overdue:" + m.name + ":" + (m.serial_hex.empty() ? "none" : m.serial_hex);
      c.severity = AlertSeverity::kWarning;
      c.message = "Renewal of " + m.name + " is overdue: planned for " +
                  FormatRfc3339(*m.next_renewal_at) + " and not done" +
                  (m.renewal_explanation.empty() ? "" : " (" + m.renewal_explanation + ")");
      out.push_back(std::move(c));
    }
    for (const auto& d : m.deploy) {
      if (d.last_result.empty() || d.last_result == "ok") continue;
      Condition c;
      c.kind = "deploy_verify";
      c.subject = m.name;
      c.key = "deploy_verify:" + m.name + ":" + d.target;
      c.severity = AlertSeverity::kCritical;
      c.message = "Deploying " + m.name + " to " + d.target + " failed: " + d.last_result;
      out.push_back(std::move(c));
    }
  }
  for (const auto& w : snapshot.watched) {
    AddExpiry(out, w.source == "file" ? "Watched file" : "Watched endpoint", w.name, w.serial_hex,
              w.not_after, now, config);
  }
  // A watched leaf inside an expiry threshold already has its own alert: the watch's
  // "expiring"/"expired" problem for that target says the same thing (or is about an
  // intermediate, which it cannot be told apart from) and would double the notice.
  std::set<std::string> expiry_alerted;
  for (const auto& c : out) {
    if (c.kind == "expiry") expiry_alerted.insert(c.subject);
  }
  for (const auto& e : snapshot.endpoints) {
    if (e.outcome == "error") {
      Condition c;
      c.kind = "endpoint";
      c.subject = e.target;
      c.key = "endpoint:" + e.target + ":error";
      c.severity = AlertSeverity::kWarning;
      c.message = "Cannot check " + e.target + ": " + (e.error.empty() ? "unknown error" : e.error);
      out.push_back(std::move(c));
    } else if (e.outcome == "problems") {
      for (const auto& p : e.problems) {
        if ((p.code == "expiring" || p.code == "expired") && expiry_alerted.count(e.target)) {
          continue;
        }
        Condition c;
        c.kind = "endpoint";
        c.subject = e.target;
        c.key = "endpoint:" + e.target + ":" + (p.code.empty() ? "problem" : p.code);
        c.severity = SeverityFromText(p.severity);
        c.message = e.target + ": " + (p.message.empty() ? p.code : p.message);
        bool duplicate = false;  // two problems with one code: the first speaks for both
        for (const auto& prev : out) duplicate = duplicate || prev.key == c.key;
        if (!duplicate) out.push_back(std::move(c));
      }
    }
  }
  for (const auto& ca : snapshot.cas) {
    if (ca.role != "intermediate" || ca.status != "active") continue;
    if (ca.not_after - now >= config.ca_warn_before) continue;
    Condition c;
    c.kind = "ca_expiry";
    c.subject = ca.name;
    c.key = "ca_expiry:" + ca.name;
    const bool expired = ca.not_after <= now;
    c.severity = expired || ca.not_after - now <= std::chrono::hours(24 * 7)
                     ? AlertSeverity::kCritical
                     : AlertSeverity::kWarning;
    c.message = "CA intermediate " + ca.name + (expired ? " expired " : " expires ") +
                TimeLeft(ca.not_after, now) + ", at " + FormatRfc3339(ca.not_after) +
                "; rotate it (certkeeper ca rotate-intermediate)";
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace ck::alerts
