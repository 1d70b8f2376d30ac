#include "daemon/watch/watch_views.hpp"

#include "pki/certificate.hpp"

namespace ck::watch {

Result<std::vector<web::WatchResultView>> LoadWatchResultViews(store::Store& store, TimePoint now) {
  ASSIGN_OR_RETURN(auto records, store.ListWatchResults());
  std::vector<web::WatchResultView> views;
  views.reserve(records.size());
  for (const auto& r : records) {
    web::WatchResultView v;
    v.target = r.target;
    v.kind = r.kind;
    v.checked_at = r.checked_at;
    v.outcome = r.outcome;
    v.error = r.error;
    // Stored by us, but never trusted to parse: a bad value shows as empty, not as a 500.
    auto problems = nlohmann::json::parse(r.problems_json, nullptr, false);
    if (problems.is_array()) v.problems = std::move(problems);
    auto details = nlohmann::json::parse(r.details_json, nullptr, false);
    if (details.is_object()) v.details = std::move(details);
    if (r.certificate_id) {
      auto cert = store.GetCertificate(*r.certificate_id);
      if (cert.ok()) {
        web::WatchLeafView leaf;
        leaf.certificate_id = cert->id;
        if (auto parsed = pki::Certificate::FromPem(cert->cert_pem); parsed.ok()) {
          leaf.subject = parsed->Subject();
        }
        leaf.issuer = cert->issuer;
        leaf.serial_hex = cert->serial_hex;
        leaf.sans = cert->sans;
        leaf.not_before = cert->not_before;
        leaf.not_after = cert->not_after;
        leaf.days_left = std::chrono::duration<double>(cert->not_after - now).count() / 86400.0;
        v.leaf = std::move(leaf);
      } else if (cert.status().code() != StatusCode::kNotFound) {
        return cert.status();
      }
    }
    views.push_back(std::move(v));
  }
  return views;
}

}  // namespace ck::watch
