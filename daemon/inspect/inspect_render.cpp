#include "daemon/inspect/inspect_render.hpp"

#include <cmath>
#include <cstdio>

#include "common/clock.hpp"

namespace ck::inspect {
namespace {

struct Palette {
  bool on;
  std::string Red(const std::string& s) const { return on ? "\033[31m" + s + "\033[0m" : s; }
  std::string Yellow(const std::string& s) const { return on ? "\033[33m" + s + "\033[0m" : s; }
  std::string Green(const std::string& s) const { return on ? "\033[32m" + s + "\033[0m" : s; }
  std::string Bold(const std::string& s) const { return on ? "\033[1m" + s + "\033[0m" : s; }
};

void Line(std::string& out, const std::string& label, const std::string& value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "  %-18s", label.c_str());
  out += buf + value + "\n";
}

std::string Join(const std::vector<std::string>& items, const std::string& sep = ", ") {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
  return out;
}

std::string DaysLeftText(double days) {
  char buf[64];
  if (days < 0) {
    std::snprintf(buf, sizeof buf, "expired %.1f days ago", -days);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f days left", days);
  }
  return buf;
}

std::string KeyText(const std::string& algorithm, int bits) {
  if (algorithm == "RSA") return "RSA " + std::to_string(bits) + " bits";
  return algorithm;
}

void RenderCertificate(std::string& out, const CertificateEntry& e, size_t index,
                       const Palette& p) {
  const auto& i = e.info;
  out += p.Bold("Certificate " + std::to_string(index) +
                (index == 0 ? " (leaf)" : (i.self_signed ? " (root)" : " (intermediate)"))) +
         "\n";
  Line(out, "subject", i.subject);
  Line(out, "issuer", i.issuer);
  Line(out, "serial", i.serial_hex);
  std::string validity = FormatRfc3339(i.not_before) + " → " + FormatRfc3339(i.not_after);
  std::string left = DaysLeftText(e.days_left);
  left = e.days_left < 0 ? p.Red(left) : (e.days_left < 14 ? p.Yellow(left) : p.Green(left));
  Line(out, "validity", validity + "  (" + left + ")");
  std::vector<std::string> sans;
  for (const auto& s : i.sans) sans.push_back(pki::FormatSan(s));
  if (!sans.empty()) Line(out, "names (SAN)", Join(sans));
  Line(out, "key", KeyText(i.key_algorithm, i.key_bits));
  Line(out, "signature", i.signature_algorithm);
  if (!i.extended_key_usages.empty()) Line(out, "ext key usage", Join(i.extended_key_usages));
  if (!i.key_usages.empty()) Line(out, "key usage", Join(i.key_usages));
  if (i.is_ca) {
    Line(out, "CA",
         i.path_length ? "yes, path length " + std::to_string(*i.path_length)
                       : "yes, no path length limit");
  }
  if (!i.subject_key_id.empty()) Line(out, "subject key id", i.subject_key_id);
  if (!i.authority_key_id.empty()) Line(out, "authority key id", i.authority_key_id);
  if (!i.ocsp_urls.empty()) Line(out, "OCSP", Join(i.ocsp_urls));
  if (!i.crl_urls.empty()) Line(out, "CRL", Join(i.crl_urls));
  Line(out, "pin-sha256", i.spki_sha256_pin);
  Line(out, "sha256", i.sha256_fingerprint);
}

nlohmann::json CertificateJson(const CertificateEntry& e) {
  const auto& i = e.info;
  nlohmann::json sans = nlohmann::json::array();
  for (const auto& s : i.sans) {
    sans.push_back({{"type", std::string(pki::SanTypeName(s.type))}, {"value", s.value}});
  }
  nlohmann::json j = {
      {"subject", i.subject},
      {"issuer", i.issuer},
      {"common_name", i.common_name},
      {"serial", i.serial_hex},
      {"not_before", FormatRfc3339(i.not_before)},
      {"not_after", FormatRfc3339(i.not_after)},
      {"days_left", std::floor(e.days_left * 100) / 100},
      {"sans", sans},
      {"key", {{"algorithm", i.key_algorithm}, {"bits", i.key_bits}}},
      {"signature_algorithm", i.signature_algorithm},
      {"subject_key_id", i.subject_key_id},
      {"authority_key_id", i.authority_key_id},
      {"extended_key_usages", i.extended_key_usages},
      {"key_usages", i.key_usages},
      {"is_ca", i.is_ca},
      {"self_signed", i.self_signed},
      {"pin_sha256", i.spki_sha256_pin},
      {"fingerprint_sha256", i.sha256_fingerprint},
      {"ocsp_urls", i.ocsp_urls},
      {"crl_urls", i.crl_urls},
      {"ca_issuer_urls", i.ca_issuer_urls},
  };
  j["path_length"] = i.path_length ? nlohmann::json(*i.path_length) : nlohmann::json(nullptr);
  return j;
}

}  // namespace

std::string RenderText(const Report& r, bool colour) {
  Palette p{colour};
  std::string out;
  out += p.Bold(r.target) + "  [" + r.kind + "]\n";
  if (r.tls) {
    Line(out, "connected to", r.tls->peer_address);
    Line(out, "SNI", r.tls->sni.empty() ? "(none)" : r.tls->sni);
    Line(out, "protocol", r.tls->protocol);
    Line(out, "cipher", r.tls->cipher);
    if (!r.tls->alpn.empty()) Line(out, "ALPN", r.tls->alpn);
    Line(out, "chain served", std::to_string(r.certificates.size()) + " certificate(s)");
  }
  for (size_t i = 0; i < r.certificates.size(); ++i) {
    out += "\n";
    RenderCertificate(out, r.certificates[i], i, p);
  }
  if (r.csr) {
    out += "\n" + p.Bold("Certificate request") + "\n";
    Line(out, "subject", r.csr->subject.empty() ? "(empty)" : r.csr->subject);
    std::vector<std::string> sans;
    for (const auto& s : r.csr->sans) sans.push_back(pki::FormatSan(s));
    Line(out, "names (SAN)", sans.empty() ? "(none)" : Join(sans));
    Line(out, "key", KeyText(r.csr->key_algorithm, r.csr->key_bits));
    Line(out, "signature",
         r.csr->signature_algorithm + " — " +
             (r.csr->signature_valid ? p.Green("valid") : p.Red("INVALID")));
    Line(out, "pin-sha256", r.csr->spki_sha256_pin);
  }
  for (size_t i = 0; i < r.keys.size(); ++i) {
    out += "\n" + p.Bold(r.kind == "public_key" ? "Public key" : "Key") + "\n";
    Line(out, "type", KeyText(r.keys[i].algorithm, r.keys[i].bits));
    Line(out, "pin-sha256", r.key_pins[i]);
  }
  out += "\n";
  if (r.key_matches_certificate) {
    Line(out, "key ↔ certificate",
         *r.key_matches_certificate ? p.Green("match") : p.Red("DO NOT MATCH"));
  }
  if (r.verification) {
    if (!r.verification->checked) {
      Line(out, "trust", "not checked (pass --ca ROOT.pem to verify the chain)");
    } else if (r.verification->result.ok) {
      Line(out, "trust",
           p.Green("verified") + " against " + r.verification->against + ": " +
               Join(r.verification->result.path, " ← "));
    } else {
      Line(out, "trust",
           p.Red("FAILED") + " against " + r.verification->against + ": " +
               r.verification->result.message);
    }
  }
  if (r.hostname) {
    Line(out, "hostname",
         r.hostname->name + " — " +
             (r.hostname->match ? p.Green("matches") : p.Red("DOES NOT MATCH")));
  }
  for (const auto& w : r.warnings) out += p.Yellow("warning: ") + w + "\n";
  for (const auto& pr : r.problems) out += p.Red("problem: ") + pr + "\n";
  out += r.ok() ? p.Green("OK") + "\n"
                : p.Red(std::to_string(r.problems.size()) + " problem(s) found") + "\n";
  return out;
}

nlohmann::json RenderJson(const Report& r) {
  nlohmann::json j;
  j["target"] = r.target;
  j["kind"] = r.kind;
  j["ok"] = r.ok();
  j["problems"] = r.problems;
  j["warnings"] = r.warnings;
  j["findings"] = nlohmann::json::array();
  for (const auto& f : r.findings) {
    j["findings"].push_back({{"code", f.code}, {"severity", f.severity}, {"message", f.message}});
  }
  if (r.tls) {
    j["tls"] = {{"protocol", r.tls->protocol},
                {"cipher", r.tls->cipher},
                {"alpn", r.tls->alpn},
                {"peer_address", r.tls->peer_address},
                {"sni", r.tls->sni}};
  }
  j["certificates"] = nlohmann::json::array();
  for (const auto& c : r.certificates) j["certificates"].push_back(CertificateJson(c));
  if (r.csr) {
    nlohmann::json sans = nlohmann::json::array();
    for (const auto& s : r.csr->sans) {
      sans.push_back({{"type", std::string(pki::SanTypeName(s.type))}, {"value", s.value}});
    }
    j["csr"] = {{"subject", r.csr->subject},
                {"sans", sans},
                {"key", {{"algorithm", r.csr->key_algorithm}, {"bits", r.csr->key_bits}}},
                {"signature_algorithm", r.csr->signature_algorithm},
                {"signature_valid", r.csr->signature_valid},
                {"pin_sha256", r.csr->spki_sha256_pin}};
  }
  j["keys"] = nlohmann::json::array();
  for (size_t i = 0; i < r.keys.size(); ++i) {
    j["keys"].push_back({{"algorithm", r.keys[i].algorithm},
                         {"bits", r.keys[i].bits},
                         {"pin_sha256", r.key_pins[i]}});
  }
  if (r.key_matches_certificate) j["key_matches_certificate"] = *r.key_matches_certificate;
  if (r.verification) {
    const auto& v = *r.verification;
    nlohmann::json jv = {{"checked", v.checked}};
    if (v.checked) {
      jv["against"] = v.against;
      jv["ok"] = v.result.ok;
      jv["reason"] = std::string(pki::VerifyReasonName(v.result.reason));
      jv["message"] = v.result.message;
      jv["failing_index"] = v.result.failing_index;
      jv["failing_subject"] = v.result.failing_subject;
      jv["missing_issuer"] = v.result.missing_issuer;
      jv["path"] = v.result.path;
    }
    j["verification"] = jv;
  }
  if (r.hostname) j["hostname"] = {{"name", r.hostname->name}, {"match", r.hostname->match}};
  return j;
}

}  // namespace ck::inspect
