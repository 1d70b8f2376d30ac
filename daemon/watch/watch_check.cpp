#include "daemon/watch/watch_check.hpp"

#include <algorithm>

#include "common/file_util.hpp"
#include "daemon/inspect/inspect_report.hpp"
#include "daemon/watch/watch_targets.hpp"
#include "pki/pem.hpp"
#include "pki/tls_probe.hpp"

namespace ck::watch {
namespace {

using SteadyClock = std::chrono::steady_clock;  // elapsed time of a check, not a schedule

// A certificate file bigger than this is not a certificate file.
constexpr size_t kMaxFileBytes = 1024 * 1024;

std::chrono::milliseconds Since(SteadyClock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start);
}

Result<std::vector<pki::Certificate>> LoadTrust(const std::string& ca_bundle) {
  if (ca_bundle.empty()) return std::vector<pki::Certificate>{};
  auto text = ReadFile(ca_bundle, kMaxFileBytes);
  if (!text.ok()) return text.status().WithContext("ca_bundle");
  auto roots = pki::ParseCertificateChain(*text);
  if (!roots.ok()) return roots.status().WithContext("ca_bundle " + ca_bundle);
  return roots;
}

inspect::InspectOptions InspectOptionsFor(const CheckSettings& settings,
                                          std::vector<pki::Certificate> roots) {
  inspect::InspectOptions o;
  o.at = settings.at;
  o.warn_before = settings.warn_before;
  o.use_system_roots = roots.empty();
  o.roots = std::move(roots);
  return o;
}

// Problems are the report's findings, in the order inspect found them.
void TakeFindings(const inspect::Report& report, CheckOutcome& out) {
  for (const auto& f : report.findings) out.problems.push_back({f.code, f.severity, f.message});
  out.outcome = out.problems.empty() ? "ok" : "problems";
}

CheckOutcome Failed(CheckOutcome out, const Status& status) {
  out.outcome = "error";
  out.error = status.message();
  out.chain.clear();
  out.problems.clear();
  return out;
}

// A second handshake that offers only TLS 1.0/1.1: when it succeeds, the server still accepts
// what every current client refuses. Inconclusive (no problem) when it cannot be tried in time.
void CheckLegacyTls(const pki::TlsProbeOptions& base, SteadyClock::time_point deadline,
                    CheckOutcome& out) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
  if (left.count() <= 0) return;
  pki::TlsProbeOptions legacy = base;
  legacy.legacy_only = true;
  legacy.timeout = left;
  auto probe = pki::ProbeTls(legacy);
  if (!probe.ok()) return;  // refused (the good case), or no time left to tell
  out.problems.push_back({"legacy_tls", "warning",
                          "server still accepts " + probe->protocol +
                              " (a client offering only TLS 1.0/1.1 got a handshake); TLS 1.2 "
                              "is the minimum current clients accept"});
  out.outcome = "problems";
}

}  // namespace

bool CheckOutcome::HasCritical() const {
  return std::any_of(problems.begin(), problems.end(),
                     [](const Problem& p) { return p.severity == "critical"; });
}

CheckSettings SettingsFor(const config::WatchConfig& watch, const config::MonitorConfig& monitor,
                          TimePoint at) {
  CheckSettings s;
  s.at = at;
  s.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
      watch.timeout.value_or(monitor.timeout));
  s.warn_before = monitor.warn_before;
  return s;
}

CheckOutcome CheckEndpoint(const config::WatchConfig& watch, const CheckSettings& settings) {
  const auto start = SteadyClock::now();
  const auto deadline = start + settings.timeout;
  CheckOutcome out;
  out.target = watch.EndpointTarget();
  out.kind = "endpoint";
  out.label = watch.name;
  out.checked_at = settings.at;
  auto finish = [&](CheckOutcome o) {
    o.duration = Since(start);
    return o;
  };

  auto roots = LoadTrust(watch.ca_bundle);
  if (!roots.ok()) return finish(Failed(std::move(out), roots.status()));
  auto starttls = pki::ParseStartTls(watch.starttls);
  if (!starttls.ok()) return finish(Failed(std::move(out), starttls.status()));

  pki::TlsProbeOptions probe_options;
  probe_options.host = watch.host;
  probe_options.port = watch.port;
  probe_options.sni = watch.sni;
  probe_options.timeout = settings.timeout;
  probe_options.starttls = *starttls;
  auto probe = pki::ProbeTls(probe_options);
  if (!probe.ok()) return finish(Failed(std::move(out), probe.status()));
  out.chain = probe->chain;
  out.tls_version = probe->protocol;

  inspect::InspectOptions options = InspectOptionsFor(settings, std::move(*roots));
  // The name clients ask for: the SNI, else the host (an IP literal is matched against IP SANs).
  options.hostname = watch.sni.empty() ? watch.host : watch.sni;
  inspect::Report report = inspect::InspectTls(out.target, std::move(*probe), options);
  TakeFindings(report, out);
  if (!report.HasFinding("legacy_tls")) CheckLegacyTls(probe_options, deadline, out);
  return finish(std::move(out));
}

std::vector<CheckOutcome> CheckFiles(const config::WatchConfig& watch,
                                     const CheckSettings& settings) {
  std::vector<CheckOutcome> outcomes;
  auto base = [&](const std::string& target) {
    CheckOutcome o;
    o.target = target;
    o.kind = "file";
    o.label = watch.name;
    o.checked_at = settings.at;
    return o;
  };
  GlobExpansion expansion = ExpandGlobs(watch.files);
  for (const auto& pattern : expansion.unmatched) {
    outcomes.push_back(Failed(base(pattern), NotFoundError("no regular file matches " + pattern)));
  }
  for (const auto& e : expansion.errors) {
    outcomes.push_back(Failed(base(e.substr(0, e.find(": "))), InternalError(e)));
  }
  auto roots = LoadTrust(watch.ca_bundle);
  for (const auto& path : expansion.files) {
    const auto start = SteadyClock::now();
    CheckOutcome out = base(path);
    auto checked = [&]() -> CheckOutcome {
      if (!roots.ok()) return Failed(std::move(out), roots.status());
      auto text = ReadFile(path, kMaxFileBytes);
      if (!text.ok()) return Failed(std::move(out), text.status());
      auto object = pki::LoadPkiObject(*text);
      if (!object.ok()) return Failed(std::move(out), object.status().WithContext(path));
      if (object->certificates.empty()) {
        return Failed(std::move(out), InvalidArgumentError(
                                          path + ": holds no certificate (found " +
                                          std::string(pki::PkiObjectKindName(object->kind)) + ")"));
      }
      out.chain = object->certificates;
      // A combined file's key is only compared with the certificate (the report keeps key
      // facts, never material); only the findings leave this function.
      inspect::Report report =
          inspect::InspectObject(path, *object, InspectOptionsFor(settings, *roots));
      TakeFindings(report, out);
      return std::move(out);
    }();
    checked.duration = Since(start);
    outcomes.push_back(std::move(checked));
  }
  return outcomes;
}

std::vector<CheckOutcome> CheckWatch(const config::WatchConfig& watch,
                                     const CheckSettings& settings) {
  if (watch.is_endpoint()) return {CheckEndpoint(watch, settings)};
  return CheckFiles(watch, settings);
}

}  // namespace ck::watch
