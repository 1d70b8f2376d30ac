// `certkeeper inspect`: turns what was read (a file's certificates/CSR/keys, or what a TLS
// server served) into a report with problems and warnings. Pure functions of their inputs and
// a check time, so tests need neither files nor sockets.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "pki/certificate.hpp"
#include "pki/pem.hpp"
#include "pki/tls_probe.hpp"
#include "pki/verify.hpp"

namespace ck::inspect {

struct InspectOptions {
  TimePoint at;                         // check time (now, or --at)
  std::vector<pki::Certificate> roots;  // --ca; empty: system roots for TLS, none for files
  bool use_system_roots = false;        // TLS targets without --ca
  std::string hostname;                 // expected name; empty: not checked
  std::chrono::seconds warn_before{30 * 86400};  // "expires soon" warning threshold
};

struct CertificateEntry {
  pki::CertificateInfo info;
  double days_left = 0;  // negative once expired
};

struct Verification {
  bool checked = false;  // false: no trust anchors given for a file
  std::string against;   // "--ca FILE", "system trust store"
  pki::VerifyResult result;
};

struct HostnameCheck {
  std::string name;
  bool match = false;
};

// One problem or warning with a stable code, so callers (the watcher, alerts) can act on the
// kind without parsing messages. Codes: expired, expiring, not_yet_valid, weak_key,
// weak_signature, unknown_authority, chain_invalid, chain_order, hostname_mismatch,
// legacy_tls, key_mismatch, csr_signature, no_certificate.
struct Finding {
  std::string code;
  std::string severity;  // "critical" (also in `problems`) | "warning" (also in `warnings`)
  std::string message;
};

struct Report {
  std::string target;  // file path or host:port
  std::string kind;    // "tls", "certificates", "csr", "private_key", "public_key"
  std::optional<pki::TlsProbeResult> tls;  // chain moved out into `certificates`
  std::vector<CertificateEntry> certificates;
  std::optional<pki::CsrInfo> csr;
  std::vector<pki::KeyInfo> keys;               // private or public keys found (never material)
  std::vector<std::string> key_pins;            // SPKI pins of those keys, same order
  std::optional<bool> key_matches_certificate;  // file held a key and a certificate
  std::optional<Verification> verification;
  std::optional<HostnameCheck> hostname;
  std::vector<std::string> problems;  // any → exit code 1
  std::vector<std::string> warnings;
  std::vector<Finding> findings;  // problems and warnings, in the order found, with codes

  // Records a problem (critical) or a warning in both forms.
  void AddProblem(std::string code, std::string message);
  void AddWarning(std::string code, std::string message);
  bool HasFinding(std::string_view code) const;

  bool ok() const { return problems.empty(); }
};

// A file's content, already loaded by pki::LoadPkiObject.
Report InspectObject(const std::string& target, const pki::PkiObject& object,
                     const InspectOptions& options);

// A TLS server's handshake result.
Report InspectTls(const std::string& target, pki::TlsProbeResult probe,
                  const InspectOptions& options);

}  // namespace ck::inspect
