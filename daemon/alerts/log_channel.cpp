#include "daemon/alerts/log_channel.hpp"

#include "common/log.hpp"
#include "daemon/alerts/notice_text.hpp"

namespace ck::alerts {

Status LogChannel::Send(const AlertNotice& n) {
  log::Fields fields = {{"state", std::string(NoticeStateName(n.state))},
                        {"kind", n.kind},
                        {"subject", n.subject},
                        {"severity", std::string(config::AlertSeverityName(n.severity))},
                        {"key", n.key}};
  if (n.id > 0) fields.push_back({"alert_id", std::to_string(n.id)});
  if (n.reminder > 0) fields.push_back({"reminder", std::to_string(n.reminder)});
  switch (n.state) {
    case AlertNotice::State::kFiring: log::Warn("alert: " + n.message, fields); break;
    case AlertNotice::State::kResolved: log::Info("alert resolved: " + n.message, fields); break;
    case AlertNotice::State::kTest: log::Info("alert test: " + n.message, fields); break;
  }
  return OkStatus();
}

}  // namespace ck::alerts
