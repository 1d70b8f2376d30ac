#include "daemon/alerts/engine.hpp"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "common/log.hpp"
#include "daemon/alerts/conditions.hpp"

namespace ck::alerts {
namespace {

using nlohmann::json;

constexpr char kNotified[] = "notified";
constexpr char kResolvedNotified[] = "resolved_notified";
constexpr char kRemindedAt[] = "reminded_at";  // RFC 3339, the last reminder that went out
constexpr char kReminders[] = "reminders";     // how many went out

json Details(const store::AlertRecord& r) {
  auto j = json::parse(r.details_json, nullptr, false);
  return j.is_object() ? j : json::object();
}

std::set<std::string> ChannelSet(const json& details, const char* field) {
  std::set<std::string> out;
  auto it = details.find(field);
  if (it == details.end() || !it->is_array()) return out;
  for (const auto& v : *it) {
    if (v.is_string()) out.insert(v.get<std::string>());
  }
  return out;
}

}  // namespace

AlertNotice NoticeFor(const store::AlertRecord& r, bool resolved) {
  AlertNotice n;
  n.state = resolved ? AlertNotice::State::kResolved : AlertNotice::State::kFiring;
  n.id = r.id;
  n.key = r.key;
  n.kind = r.kind;
  n.subject = r.subject;
  auto sev = config::ParseAlertSeverity(r.severity);
  n.severity = sev.ok() ? *sev : AlertSeverity::kWarning;
  n.message = r.message;
  n.opened_at = r.opened_at;
  n.resolved_at = r.resolved_at;
  return n;
}

AlertEngine::AlertEngine(store::Store& store, Clock& clock, config::AlertsConfig config,
                         std::vector<std::unique_ptr<AlertChannel>> channels,
                         std::function<bool()> should_stop)
    : store_(store),
      clock_(clock),
      config_(std::move(config)),
      channels_(std::move(channels)),
      should_stop_(std::move(should_stop)) {}

Result<store::AlertRecord> AlertEngine::Notify(store::AlertRecord record, bool resolved,
                                               EvaluationSummary& summary) {
  json details = Details(record);
  const char* field = resolved ? kResolvedNotified : kNotified;
  std::set<std::string> done = ChannelSet(details, field);
  // A resolved notice goes to the channels that announced the alert, and only those.
  const std::set<std::string> announced = ChannelSet(details, kNotified);
  const AlertNotice notice = NoticeFor(record, resolved);
  bool complete = true;
  bool progressed = false;
  for (auto& channel : channels_) {
    if (done.contains(channel->name()) || !Accepts(*channel, notice)) continue;
    if (resolved && !announced.contains(channel->name())) continue;
    if (should_stop_ && should_stop_()) {
      complete = false;
      break;
    }
    Status st = channel->Send(notice);
    if (st.ok()) {
      done.insert(channel->name());
      progressed = true;
      ++summary.notices_sent;
    } else {
      complete = false;
      ++summary.notices_failed;
      log::Failure(record.subject, st,
                   resolved ? "alert resolved notice not sent; retrying at the next evaluation"
                            : "alert notice not sent; retrying at the next evaluation",
                   {{"channel", channel->name()}, {"alert", record.key}});
    }
  }
  if (!progressed && !complete) return record;
  if (complete) (resolved ? record.resolved_notified_at : record.notified_at) = clock_.Now();
  details[field] = done;
  record.details_json = details.dump();
  RETURN_IF_ERROR(WriteKeepingAck(record, [&](const store::AlertRecord& fresh) {
    json merged = Details(fresh);  // what other notices recorded meanwhile
    merged[field] = done;
    record.details_json = merged.dump();
  }));
  return record;
}

Status AlertEngine::WriteKeepingAck(store::AlertRecord& record,
                                    const std::function<void(const store::AlertRecord&)>& merge) {
  // The row is read again in the write's transaction, so an acknowledgement (admin API, in a
  // transaction of its own) cannot come in between and be overwritten.
  return store_.RunInTransaction([&](store::Store& tx) -> Status {
    if (auto fresh = tx.GetAlert(record.id); fresh.ok()) {
      record.acknowledged_at = fresh->acknowledged_at;
      record.acknowledged_by = fresh->acknowledged_by;
      if (merge) merge(*fresh);
    }
    return tx.PutAlert(record).status();
  });
}

Status AlertEngine::RemindIfDue(const store::AlertRecord& record, TimePoint now,
                                EvaluationSummary& summary) {
  if (config_.repeat_interval.count() <= 0 || record.acknowledged_at) return OkStatus();
  json details = Details(record);
  // Counted from the first notice: notified_at once every channel has it, the opening while
  // one keeps failing (the channels that did announce it still get reminders).
  TimePoint last = record.notified_at.value_or(record.opened_at);
  if (auto it = details.find(kRemindedAt); it != details.end() && it->is_string()) {
    if (auto t = ParseRfc3339(it->get<std::string>()); t.ok()) last = std::max(last, *t);
  }
  if (now - last < config_.repeat_interval) return OkStatus();
  const std::set<std::string> announced = ChannelSet(details, kNotified);
  if (announced.empty()) return OkStatus();  // nobody heard of it yet: the first notice is owed
  AlertNotice notice = NoticeFor(record, false);
  notice.reminder = details.value(kReminders, 0) + 1;
  bool delivered = false;
  for (auto& channel : channels_) {
    if (!announced.contains(channel->name()) || !Accepts(*channel, notice)) continue;
    if (should_stop_ && should_stop_()) return OkStatus();
    Status st = channel->Send(notice);
    if (st.ok()) {
      delivered = true;
      ++summary.notices_sent;
    } else {
      ++summary.notices_failed;
      log::Failure(record.subject, st, "alert reminder not sent; retrying at the next evaluation",
                   {{"channel", channel->name()}, {"alert", record.key}});
    }
  }
  // Nobody reachable: try again at the next evaluation rather than skip a whole interval.
  if (!delivered) return OkStatus();
  ++summary.reminders;
  // Only the reminder fields change, in one transaction with the read, so an acknowledgement
  // that came in meanwhile is kept.
  return store_.RunInTransaction([&](store::Store& tx) -> Status {
    ASSIGN_OR_RETURN(store::AlertRecord fresh, tx.GetAlert(record.id));
    json fresh_details = Details(fresh);
    fresh_details[kRemindedAt] = FormatRfc3339(now);
    fresh_details[kReminders] = notice.reminder;
    fresh.details_json = fresh_details.dump();
    return tx.PutAlert(fresh).status();
  });
}

void AlertEngine::Reconfigure(config::AlertsConfig config,
                              std::vector<std::unique_ptr<AlertChannel>> channels) {
  std::lock_guard lock(mu_);
  config_ = std::move(config);
  channels_ = std::move(channels);
}

std::chrono::seconds AlertEngine::interval() const {
  std::lock_guard lock(mu_);
  return config_.interval;
}

Result<EvaluationSummary> AlertEngine::Evaluate(const AlertSnapshot& snapshot) {
  std::lock_guard lock(mu_);
  const TimePoint now = clock_.Now();
  EvaluationSummary summary;
  if (should_stop_ && should_stop_()) return summary;  // a view taken while stopping proves nothing
  // A managed certificate without a current serial is not known yet (the lifecycle manager
  // loads it on its first pass after a start) or was never issued: its open alerts stay as
  // they are, rather than being resolved on an incomplete view.
  std::set<std::string> held_subjects;
  for (const auto& m : snapshot.managed) {
    if (m.serial_hex.empty()) held_subjects.insert(m.name);
  }
  const std::vector<Condition> conditions = EvaluateConditions(snapshot, now, config_);
  summary.firing = static_cast<int>(conditions.size());

  store::AlertQuery open_query;
  open_query.open_only = true;
  open_query.limit = 0;
  ASSIGN_OR_RETURN(auto open, store_.ListAlerts(open_query));
  std::map<std::string, store::AlertRecord> open_by_key;
  for (auto& a : open) open_by_key.emplace(a.key, std::move(a));

  std::set<std::string> firing, superseded;
  for (const auto& c : conditions) {
    firing.insert(c.key);
    superseded.insert(c.supersedes.begin(), c.supersedes.end());
  }

  for (const auto& c : conditions) {
    if (auto it = open_by_key.find(c.key); it != open_by_key.end()) {
      store::AlertRecord& open_alert = it->second;
      if (!open_alert.notified_at) {
        ASSIGN_OR_RETURN(open_alert, Notify(open_alert, false, summary));
      }
      RETURN_IF_ERROR(RemindIfDue(open_alert, now, summary));
      continue;
    }
    store::AlertRecord r;
    r.key = c.key;
    r.kind = c.kind;
    r.subject = c.subject;
    r.severity = std::string(config::AlertSeverityName(c.severity));
    r.message = c.message;
    r.opened_at = now;
    auto id = store_.PutAlert(r);
    if (id.status().code() == StatusCode::kAlreadyExists) continue;  // another writer won
    if (!id.ok()) return id.status();
    r.id = *id;
    ++summary.opened;
    RETURN_IF_ERROR(Notify(std::move(r), false, summary).status());
  }

  std::set<int64_t> closed_now;
  for (auto& [key, a] : open_by_key) {
    if (firing.contains(key) || held_subjects.contains(a.subject)) continue;
    a.resolved_at = now;
    ++summary.resolved;
    closed_now.insert(a.id);
    const bool announced = !ChannelSet(Details(a), kNotified).empty();
    const bool quiet = superseded.contains(key) || !announced;
    // A tighter threshold took over (its own notice says more), or nobody heard of it.
    if (quiet) a.resolved_notified_at = now;
    // Keep an acknowledgement that came in since the list was read.
    RETURN_IF_ERROR(WriteKeepingAck(a));
    if (!quiet) RETURN_IF_ERROR(Notify(a, true, summary).status());
  }

  // Resolved notices that failed earlier (or before a restart).
  store::AlertQuery recent;
  recent.limit = 500;
  ASSIGN_OR_RETURN(auto latest, store_.ListAlerts(recent));
  for (auto& a : latest) {
    if (!a.resolved_at || a.resolved_notified_at || closed_now.contains(a.id)) continue;
    RETURN_IF_ERROR(Notify(a, true, summary).status());
  }
  return summary;
}

}  // namespace ck::alerts
