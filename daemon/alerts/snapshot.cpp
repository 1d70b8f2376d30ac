#include "daemon/alerts/snapshot.hpp"

#include <nlohmann/json.hpp>

namespace ck::alerts {
namespace {

std::vector<EndpointProblem> ParseProblems(const std::string& text) {
  std::vector<EndpointProblem> out;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_array()) {
    out.push_back({"unreadable", "warning", "the stored check result cannot be read"});
    return out;
  }
  auto str = [](const nlohmann::json& o, const char* key) {
    auto it = o.find(key);
    return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  for (const auto& p : j) {
    if (!p.is_object()) continue;
    out.push_back({str(p, "code"), str(p, "severity"), str(p, "message")});
  }
  return out;
}

}  // namespace

Result<AlertSnapshot> CollectSnapshot(store::Store& store,
                                      std::vector<web::ManagedCertificateView> managed) {
  AlertSnapshot snap;
  snap.managed = std::move(managed);
  for (const char* source : {"external", "file"}) {
    store::CertificateQuery q;
    q.source = source;
    q.status = store::kCertActive;
    ASSIGN_OR_RETURN(auto certs, store.ListCertificates(q));
    for (auto& c : certs) {
      snap.watched.push_back({std::move(c.name), c.source, std::move(c.serial_hex), c.not_after});
    }
  }
  ASSIGN_OR_RETURN(auto results, store.ListWatchResults());
  for (auto& r : results) {
    EndpointCheck e;
    e.target = std::move(r.target);
    e.outcome = std::move(r.outcome);
    e.error = std::move(r.error);
    if (e.outcome == "problems") e.problems = ParseProblems(r.problems_json);
    snap.endpoints.push_back(std::move(e));
  }
  ASSIGN_OR_RETURN(auto cas, store.ListCas());
  for (auto& ca : cas) {
    snap.cas.push_back(
        {std::move(ca.name), std::move(ca.role), std::move(ca.status), ca.not_after});
  }
  return snap;
}

}  // namespace ck::alerts
