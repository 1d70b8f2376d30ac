#include "daemon/inspect/inspect_report.hpp"

#include "common/clock.hpp"

namespace ck::inspect {
namespace {

double DaysBetween(TimePoint from, TimePoint to) {
  return std::chrono::duration<double>(to - from).count() / 86400.0;
}

std::string Name(const pki::CertificateInfo& info) {
  return info.subject.empty() ? "serial " + info.serial_hex : "'" + info.subject + "'";
}

// Validity, key strength and signature hash: what is wrong with a certificate on its own.
void CheckCertificate(const CertificateEntry& entry, size_t index, const InspectOptions& options,
                      Report& report) {
  const auto& info = entry.info;
  const std::string who =
      (index == 0 ? "leaf " : "chain[" + std::to_string(index) + "] ") + Name(info);
  if (options.at >= info.not_after) {
    report.AddProblem("expired",
                      who + " expired at " + FormatRfc3339(info.not_after) + " (" +
                          pki::HumanDuration(std::chrono::duration_cast<std::chrono::seconds>(
                              options.at - info.not_after)) +
                          " ago)");
  } else if (options.at < info.not_before) {
    report.AddProblem("not_yet_valid",
                      who + " is not valid until " + FormatRfc3339(info.not_before) + " (" +
                          pki::HumanDuration(std::chrono::duration_cast<std::chrono::seconds>(
                              info.not_before - options.at)) +
                          " from now) — check the clock of the issuing host or this one");
  } else if (info.not_after - options.at < options.warn_before) {
    report.AddWarning("expiring",
                      who + " expires in " +
                          pki::HumanDuration(std::chrono::duration_cast<std::chrono::seconds>(
                              info.not_after - options.at)) +
                          " (" + FormatRfc3339(info.not_after) + ")");
  }
  if (info.key_algorithm.starts_with("RSA") && info.key_bits < 2048) {
    report.AddProblem("weak_key", who + " has a weak " + std::to_string(info.key_bits) +
                                      "-bit RSA key (minimum 2048)");
  } else if (info.key_algorithm.starts_with("ECDSA") && info.key_bits < 256) {
    report.AddProblem("weak_key", who + " has a weak " + std::to_string(info.key_bits) +
                                      "-bit EC key (minimum 256)");
  }
  if (info.signature_algorithm.find("SHA1") != std::string::npos ||
      info.signature_algorithm.find("sha1") != std::string::npos ||
      info.signature_algorithm.find("md5") != std::string::npos) {
    // A self-signed root's own signature is never checked by clients; only flag the rest.
    if (!info.self_signed) {
      report.AddProblem("weak_signature", who + " is signed with " + info.signature_algorithm +
                                              ", which clients reject");
    }
  }
}

void AddCertificates(const std::vector<pki::Certificate>& certs, const InspectOptions& options,
                     Report& report) {
  for (size_t i = 0; i < certs.size(); ++i) {
    CertificateEntry entry{certs[i].Inspect(), 0};
    entry.days_left = DaysBetween(options.at, entry.info.not_after);
    CheckCertificate(entry, i, options, report);
    report.certificates.push_back(std::move(entry));
  }
  if (certs.size() > 1) {
    if (Status s = pki::CheckChainOrder(certs); !s.ok())
      report.AddWarning("chain_order", s.message());
  }
}

void Verify(const std::vector<pki::Certificate>& certs, const InspectOptions& options,
            Report& report) {
  if (certs.empty()) return;
  Verification v;
  pki::VerifyOptions vo;
  vo.at = options.at;
  vo.hostname = "";  // hostname is reported separately, so both facts are visible at once
  vo.purpose = report.kind == "tls" ? "serverAuth" : "";
  if (!options.roots.empty()) {
    v.checked = true;
    v.against = "the given --ca";
    v.result = pki::VerifyChain(certs, options.roots, vo);
  } else if (options.use_system_roots) {
    v.checked = true;
    v.against = "the system trust store";
    v.result = pki::VerifyChainWithSystemRoots(certs, vo);
  }
  if (v.checked && !v.result.ok) {
    // Expiry/not-yet-valid are already reported per certificate with more context.
    if (v.result.reason != pki::VerifyReason::kExpired &&
        v.result.reason != pki::VerifyReason::kNotYetValid) {
      const bool unknown = v.result.reason == pki::VerifyReason::kUnknownIssuer ||
                           v.result.reason == pki::VerifyReason::kSelfSignedNotTrusted;
      report.AddProblem(unknown ? "unknown_authority" : "chain_invalid",
                        "chain does not verify against " + v.against + ": " + v.result.message);
    }
  }
  report.verification = std::move(v);
}

void CheckHostname(const std::vector<pki::Certificate>& certs, const InspectOptions& options,
                   Report& report) {
  if (options.hostname.empty() || certs.empty()) return;
  HostnameCheck h{options.hostname, pki::MatchesHostname(certs.front(), options.hostname)};
  if (!h.match) {
    std::string names;
    for (const auto& san : certs.front().SubjectAltNames()) {
      names += (names.empty() ? "" : ", ") + pki::FormatSan(san);
    }
    report.AddProblem("hostname_mismatch",
                      "hostname '" + options.hostname +
                          "' does not match the certificate (it covers: " +
                          (names.empty() ? "no subjectAltName at all" : names) + ")");
  }
  report.hostname = h;
}

}  // namespace

void Report::AddProblem(std::string code, std::string message) {
  problems.push_back(message);
  findings.push_back({std::move(code), "critical", std::move(message)});
}

void Report::AddWarning(std::string code, std::string message) {
  warnings.push_back(message);
  findings.push_back({std::move(code), "warning", std::move(message)});
}

bool Report::HasFinding(std::string_view code) const {
  for (const auto& f : findings) {
    if (f.code == code) return true;
  }
  return false;
}

Report InspectObject(const std::string& target, const pki::PkiObject& object,
                     const InspectOptions& options) {
  Report report;
  report.target = target;
  report.kind = std::string(pki::PkiObjectKindName(object.kind));
  AddCertificates(object.certificates, options, report);
  if (!object.csrs.empty()) {
    report.csr = object.csrs.front().Inspect();
    if (!report.csr->signature_valid) {
      report.AddProblem(
          "csr_signature",
          "CSR signature does not verify: it was altered or not signed by its own key "
          "(no proof of possession)");
    }
  }
  for (const auto& key : object.private_keys) {
    report.keys.push_back(key.Info());
    report.key_pins.push_back(key.SpkiSha256Pin());
  }
  for (const auto& key : object.public_keys) {
    report.keys.push_back(key.Info());
    report.key_pins.push_back(key.SpkiSha256Pin());
  }
  if (!object.private_keys.empty() && !object.certificates.empty()) {
    report.key_matches_certificate =
        pki::KeyMatches(object.certificates.front(), object.private_keys.front());
    if (!*report.key_matches_certificate) {
      report.AddProblem(
          "key_mismatch",
          "the private key does not belong to the certificate (a server would refuse to start "
          "or serve a broken handshake)");
    }
  }
  Verify(object.certificates, options, report);
  CheckHostname(object.certificates, options, report);
  return report;
}

Report InspectTls(const std::string& target, pki::TlsProbeResult probe,
                  const InspectOptions& options) {
  Report report;
  report.target = target;
  report.kind = "tls";
  std::vector<pki::Certificate> chain = std::move(probe.chain);
  probe.chain.clear();
  report.tls = std::move(probe);
  if (report.tls->protocol == "TLSv1" || report.tls->protocol == "TLSv1.1" ||
      report.tls->protocol == "SSLv3") {
    report.AddProblem("legacy_tls", "server negotiated " + report.tls->protocol +
                                        "; TLS 1.2 is the minimum clients accept");
  }
  if (chain.empty()) {
    report.AddProblem("no_certificate", "server sent no certificate");
    return report;
  }
  AddCertificates(chain, options, report);
  Verify(chain, options, report);
  CheckHostname(chain, options, report);
  return report;
}

}  // namespace ck::inspect
