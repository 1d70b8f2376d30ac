// DaemonBackend's alert methods: the store's alerts table as the admin API shows it.
#include "daemon/daemon_backend.hpp"

namespace ck::daemon {
namespace {

web::AlertView ToView(const store::AlertRecord& a) {
  web::AlertView v;
  v.id = a.id;
  v.key = a.key;
  v.kind = a.kind;
  v.subject = a.subject;
  v.severity = a.severity;
  v.message = a.message;
  v.opened_at = a.opened_at;
  v.notified_at = a.notified_at;
  v.resolved_at = a.resolved_at;
  v.acknowledged_at = a.acknowledged_at;
  v.acknowledged_by = a.acknowledged_by;
  return v;
}

}  // namespace

Result<std::vector<web::AlertView>> DaemonBackend::ListAlerts(const web::AlertFilter& filter) {
  store::AlertQuery q;
  q.open_only = filter.open_only;
  q.before_id = filter.before_id;
  q.limit = filter.limit;
  ASSIGN_OR_RETURN(auto alerts, store_.ListAlerts(q));
  std::vector<web::AlertView> out;
  out.reserve(alerts.size());
  for (const auto& a : alerts) out.push_back(ToView(a));
  return out;
}

Result<web::AlertView> DaemonBackend::AcknowledgeAlert(int64_t id, const std::string& by) {
  store::AlertRecord a;
  // Read and write in one transaction: the alert engine writes whole rows too, in
  // transactions of its own, so neither overwrites the other's fields.
  RETURN_IF_ERROR(store_.RunInTransaction([&](store::Store& tx) -> Status {
    ASSIGN_OR_RETURN(a, tx.GetAlert(id));
    if (a.acknowledged_at) return OkStatus();  // the first acknowledgement is the one that counts
    a.acknowledged_at = clock_.Now();
    a.acknowledged_by = by;
    return tx.PutAlert(a).status();
  }));
  return ToView(a);
}

}  // namespace ck::daemon
