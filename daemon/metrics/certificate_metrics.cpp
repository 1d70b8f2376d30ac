#include "daemon/metrics/certificate_metrics.hpp"

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>

namespace ck::daemon::metrics {
namespace {

using ck::metrics::GaugeFamily;
using ck::metrics::Registry;

constexpr std::string_view kConditions[] = {"True", "False", "Unknown"};

double Seconds(TimePoint t) {
  return static_cast<double>(
      std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
}

struct CertificateFamilies {
  GaugeFamily& expiration;
  GaugeFamily& not_before;
  GaugeFamily& renewal;
  GaugeFamily& ready;

  explicit CertificateFamilies(Registry& r)
      : expiration(r.AddGauge("certkeeper_certificate_expiration_timestamp_seconds",
                              "The date after which the certificate expires (notAfter), as "
                              "seconds since the Unix epoch.",
                              {"name", "issuer", "source"})),
        not_before(r.AddGauge("certkeeper_certificate_not_before_timestamp_seconds",
                              "The date before which the certificate is not valid (notBefore), "
                              "as seconds since the Unix epoch.",
                              {"name", "issuer", "source"})),
        renewal(r.AddGauge("certkeeper_certificate_renewal_timestamp_seconds",
                           "When the next renewal of a managed certificate is planned, as "
                           "seconds since the Unix epoch.",
                           {"name", "issuer", "source"})),
        ready(r.AddGauge("certkeeper_certificate_ready_status",
                         "The ready condition of the certificate: 1 for the current condition "
                         "(True, False or Unknown), 0 for the others.",
                         {"name", "issuer", "source", "condition"})) {}

  void Ready(std::string_view name, std::string_view issuer, std::string_view source,
             std::string_view condition) {
    for (std::string_view c : kConditions) {
      ready.With({name, issuer, source, c}).Set(c == condition ? 1 : 0);
    }
  }
};

// problems_json: [{"code": ..., "severity": "warning" | "critical", ...}]. Unreadable JSON
// counts as no problem here; the watcher wrote it and the dashboard shows it as it is.
bool HasCriticalProblem(const std::string& problems_json) {
  const auto problems = nlohmann::json::parse(problems_json, nullptr, false);
  if (!problems.is_array()) return false;
  for (const auto& p : problems) {
    if (p.is_object() && p.value("severity", "") == "critical") return true;
  }
  return false;
}

}  // namespace

std::string_view ManagedReadyCondition(const web::ManagedCertificateView& v) {
  if (!v.not_after) return "False";  // nothing issued yet
  if (v.status == "valid" || v.status == "renewal_due" || v.status == "renewing") return "True";
  if (v.status == "failing" || v.status == "expired" || v.status == "missing") return "False";
  return "Unknown";
}

std::string_view ObservedReadyCondition(const store::CertificateRecord& c, TimePoint now,
                                        const WatchCheckSample* last_check) {
  if (now >= c.not_after || now < c.not_before) return "False";
  if (last_check != nullptr) {
    if (last_check->outcome == "error") return "Unknown";  // could not look this time
    if (last_check->critical_problem) return "False";
  }
  return "True";
}

void FillScrapeMetrics(const ScrapeInputs& in, Registry& out) {
  CertificateFamilies f(out);
  for (const auto& v : in.managed) {
    constexpr std::string_view source = "managed";
    if (v.not_after) f.expiration.With({v.name, v.issuer, source}).Set(Seconds(*v.not_after));
    if (v.not_before) f.not_before.With({v.name, v.issuer, source}).Set(Seconds(*v.not_before));
    if (v.next_renewal_at) {
      f.renewal.With({v.name, v.issuer, source}).Set(Seconds(*v.next_renewal_at));
    }
    f.Ready(v.name, v.issuer, source, ManagedReadyCondition(v));
  }

  // One series per label set: the observed row that expires last (an endpoint that served two
  // certificates over time has two active rows until the watcher supersedes the older).
  std::map<std::tuple<std::string_view, std::string_view, std::string_view>,
           const store::CertificateRecord*>
      latest;
  for (const auto& c : in.observed) {
    auto& slot = latest[{c.name, c.issuer, c.source}];
    if (slot == nullptr || c.not_after > slot->not_after ||
        (c.not_after == slot->not_after && c.id > slot->id)) {
      slot = &c;
    }
  }
  std::map<int64_t, const WatchCheckSample*> check_of;
  for (const auto& check : in.checks) {
    if (check.certificate_id) check_of[*check.certificate_id] = &check;
  }
  for (const auto& [key, c] : latest) {
    const auto& [name, issuer, source] = key;
    f.expiration.With({name, issuer, source}).Set(Seconds(c->not_after));
    f.not_before.With({name, issuer, source}).Set(Seconds(c->not_before));
    auto it = check_of.find(c->id);
    f.Ready(name, issuer, source,
            ObservedReadyCondition(*c, in.now, it == check_of.end() ? nullptr : it->second));
  }

  if (!in.checks.empty()) {
    auto& success = out.AddGauge("certkeeper_endpoint_check_success",
                                 "Whether the last check of a watched endpoint or file found no "
                                 "problems (1) or problems or an error (0).",
                                 {"target"});
    auto& when = out.AddGauge("certkeeper_endpoint_check_timestamp_seconds",
                              "When a watched endpoint or file was last checked, as seconds "
                              "since the Unix epoch.",
                              {"target"});
    for (const auto& check : in.checks) {
      success.With({check.target}).Set(check.outcome == "ok" ? 1 : 0);
      when.With({check.target}).Set(Seconds(check.checked_at));
    }
  }
  if (in.open_alerts) {
    out.AddGauge("certkeeper_alerts_open", "Alerts raised and not yet resolved.")
        .With({})
        .Set(static_cast<double>(*in.open_alerts));
  }
  out.AddGauge("certkeeper_build_info", "certkeeper's version; the value is always 1.", {"version"})
      .With({in.version})
      .Set(1);
}

Status AddStoreInputs(store::Store& store, ScrapeInputs& in) {
  for (const char* source : {"external", "file"}) {
    store::CertificateQuery q;
    q.source = source;
    q.status = store::kCertActive;
    ASSIGN_OR_RETURN(auto rows, store.ListCertificates(q));
    for (auto& r : rows) in.observed.push_back(std::move(r));
  }
  ASSIGN_OR_RETURN(auto results, store.ListWatchResults());
  for (const auto& r : results) {
    in.checks.push_back(
        {r.target, r.checked_at, r.outcome, HasCriticalProblem(r.problems_json), r.certificate_id});
  }
  store::AlertQuery open;
  open.open_only = true;
  open.limit = 0;
  ASSIGN_OR_RETURN(auto alerts, store.ListAlerts(open));
  in.open_alerts = static_cast<int64_t>(alerts.size());
  return OkStatus();
}

std::string RenderScrape(const ScrapeInputs& in) {
  Registry scrape;
  FillScrapeMetrics(in, scrape);
  std::string out = scrape.Render();
  ck::metrics::Default().RenderTo(out);
  return out;
}

}  // namespace ck::daemon::metrics
