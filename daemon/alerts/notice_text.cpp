#include "daemon/alerts/notice_text.hpp"

namespace ck::alerts {
namespace {

std::string OneLine(std::string s) {
  for (char& c : s) {
    if (c == '\r' || c == '\n' || c == '\t') c = ' ';
  }
  return s;
}

}  // namespace

std::string_view NoticeStateName(AlertNotice::State s) {
  switch (s) {
    case AlertNotice::State::kFiring: return "firing";
    case AlertNotice::State::kResolved: return "resolved";
    case AlertNotice::State::kTest: return "test";
  }
  return "firing";
}

std::string NoticeSubject(const AlertNotice& n) {
  std::string head = "[certkeeper] ";
  switch (n.state) {
    case AlertNotice::State::kFiring:
      head += (n.reminder > 0 ? "STILL FIRING " : "FIRING ") +
              std::string(config::AlertSeverityName(n.severity)) + ": ";
      break;
    case AlertNotice::State::kResolved: head += "RESOLVED: "; break;
    case AlertNotice::State::kTest: head += "TEST: "; break;
  }
  std::string text = OneLine(head + n.message);
  if (text.size() > 200) text = text.substr(0, 197) + "...";
  return text;
}

std::string NoticeText(const AlertNotice& n) {
  std::string out;
  switch (n.state) {
    case AlertNotice::State::kFiring:
      out += n.reminder > 0 ? "Alert still firing (reminder " + std::to_string(n.reminder) +
                                  "; acknowledge it to stop reminders)\n\n"
                            : "Alert firing\n\n";
      break;
    case AlertNotice::State::kResolved: out += "Alert resolved\n\n"; break;
    case AlertNotice::State::kTest:
      out += "TEST NOTICE - this is a test of certkeeper's alert channels; nothing is wrong.\n\n";
      break;
  }
  out += OneLine(n.message) + "\n\n";
  out += "Kind:     " + n.kind + "\n";
  out += "Subject:  " + OneLine(n.subject) + "\n";
  out += "Severity: " + std::string(config::AlertSeverityName(n.severity)) + "\n";
  out += "Opened:   " + FormatRfc3339(n.opened_at) + "\n";
  if (n.resolved_at) out += "Resolved: " + FormatRfc3339(*n.resolved_at) + "\n";
  if (!n.key.empty()) out += "Key:      " + OneLine(n.key) + "\n";
  if (n.id > 0) out += "Alert id: " + std::to_string(n.id) + "\n";
  return out;
}

nlohmann::json NoticeJson(const AlertNotice& n) {
  nlohmann::json j = {
      {"state", std::string(NoticeStateName(n.state))},
      {"id", n.id},
      {"key", n.key},
      {"kind", n.kind},
      {"subject", n.subject},
      {"severity", std::string(config::AlertSeverityName(n.severity))},
      {"message", n.message},
      {"opened_at", FormatRfc3339(n.opened_at)},
      {"resolved_at", n.resolved_at ? nlohmann::json(FormatRfc3339(*n.resolved_at)) : nullptr},
      {"reminder", n.reminder},
  };
  return j;
}

}  // namespace ck::alerts
