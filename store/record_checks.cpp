#include "store/record_checks.hpp"

#include <initializer_list>
#include <string>

namespace ck::store {
namespace {

Status Required(std::string_view record, std::string_view field, std::string_view value) {
  if (value.empty()) {
    return InvalidArgumentError(std::string(record) + ": " + std::string(field) +
                                " must not be empty");
  }
  return OkStatus();
}

Status OneOf(std::string_view record, std::string_view field, std::string_view value,
             std::initializer_list<std::string_view> allowed) {
  std::string list;
  for (std::string_view a : allowed) {
    if (value == a) return OkStatus();
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  return InvalidArgumentError(std::string(record) + ": " + std::string(field) + " '" +
                              std::string(value) + "' is not one of " + list);
}

// List items are stored one per line, so an item may be neither empty nor contain a newline.
Status LineItems(std::string_view record, std::string_view field,
                 const std::vector<std::string>& items) {
  for (const auto& item : items) {
    if (item.empty() || item.find('\n') != std::string::npos) {
      return InvalidArgumentError(std::string(record) + ": " + std::string(field) +
                                  " entries must be non-empty single lines");
    }
  }
  return OkStatus();
}

}  // namespace

Status CheckCertificate(const CertificateRecord& c) {
  const std::string rec = "certificate '" + c.name + "'";
  RETURN_IF_ERROR(Required("certificate", "name", c.name));
  RETURN_IF_ERROR(OneOf(rec, "source", c.source, {"managed", "ca", "external", "file"}));
  RETURN_IF_ERROR(Required(rec, "status", c.status));
  RETURN_IF_ERROR(Required(rec, "cert_pem", c.cert_pem));
  RETURN_IF_ERROR(Required(rec, "fingerprint_sha256", c.fingerprint_sha256));
  return LineItems(rec, "sans", c.sans);
}

Status CheckKeyMeta(const KeyRecord& k) {
  RETURN_IF_ERROR(Required("key", "label", k.label));
  return Required("key '" + k.label + "'", "algorithm", k.algorithm);
}

Status CheckAcmeAccount(const AcmeAccountRecord& a) {
  RETURN_IF_ERROR(Required("ACME account", "server_url", a.server_url));
  RETURN_IF_ERROR(Required("ACME account", "status", a.status));
  return LineItems("ACME account", "contact", a.contact);
}

Status CheckAcmeOrder(const AcmeOrderRecord& o) {
  RETURN_IF_ERROR(Required("ACME order", "certificate_name", o.certificate_name));
  return Required("ACME order", "status", o.status);
}

Status CheckCa(const CaRecord& c) {
  RETURN_IF_ERROR(Required("CA", "name", c.name));
  const std::string rec = "CA '" + c.name + "'";
  RETURN_IF_ERROR(OneOf(rec, "role", c.role, {"root", "intermediate", "ocsp-responder"}));
  RETURN_IF_ERROR(Required(rec, "cert_pem", c.cert_pem));
  return Required(rec, "status", c.status);
}

Status CheckPin(const PinSetRecord& p) {
  RETURN_IF_ERROR(Required("pin", "certificate_name", p.certificate_name));
  RETURN_IF_ERROR(Required("pin", "pin", p.pin));
  return OneOf("pin for '" + p.certificate_name + "'", "state", p.state,
               {"published", "active", "retired", "backup"});
}

Status CheckSerialHex(std::string_view serial_hex) {
  bool ok = !serial_hex.empty() && serial_hex.size() % 2 == 0 && serial_hex.size() <= 42;
  for (char ch : serial_hex) ok = ok && ((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'F'));
  if (!ok) {
    return InvalidArgumentError("serial '" + std::string(serial_hex) +
                                "' must be uppercase hex of even length without separators");
  }
  return OkStatus();
}

Status CheckRevocation(const RevocationRecord& r) {
  RETURN_IF_ERROR(CheckSerialHex(r.serial_hex));
  // RFC 5280 §5.3.1: value 7 is unused.
  if (r.reason < 0 || r.reason > 10 || r.reason == 7) {
    return InvalidArgumentError("revocation of " + r.serial_hex + ": reason code " +
                                std::to_string(r.reason) + " is not an RFC 5280 CRLReason");
  }
  return OkStatus();
}

Status CheckCrl(const CrlRecord& c) {
  if (c.crl_number <= 0) return InvalidArgumentError("CRL: crl_number must be positive");
  if (c.next_update <= c.this_update) {
    return InvalidArgumentError("CRL: next_update must be after this_update");
  }
  return Required("CRL", "crl_pem", c.crl_pem);
}

Status CheckConsumer(const ConsumerRecord& c) {
  RETURN_IF_ERROR(Required("consumer", "certificate_name", c.certificate_name));
  return Required("consumer", "type", c.type);
}

Status CheckTokenHash(std::string_view hash) {
  bool ok = hash.size() == 64;
  for (char ch : hash) ok = ok && ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'));
  if (!ok) {
    return InvalidArgumentError(
        "an API token hash must be 64 lowercase hex digits (SHA-256 of the token); the token "
        "itself is never stored");
  }
  return OkStatus();
}

Status CheckApiToken(const ApiTokenRecord& t) {
  RETURN_IF_ERROR(Required("API token", "name", t.name));
  RETURN_IF_ERROR(Required("API token '" + t.name + "'", "role", t.role));
  return CheckTokenHash(t.token_hash);
}

Status CheckEvent(const EventRecord& e) { return Required("event", "kind", e.kind); }

Status CheckWatchResult(const WatchResultRecord& r) {
  RETURN_IF_ERROR(Required("watch result", "target", r.target));
  const std::string rec = "watch result '" + r.target + "'";
  RETURN_IF_ERROR(OneOf(rec, "kind", r.kind, {"endpoint", "file"}));
  return OneOf(rec, "outcome", r.outcome, {"ok", "problems", "error"});
}

Status CheckAlert(const AlertRecord& a) {
  RETURN_IF_ERROR(Required("alert", "key", a.key));
  const std::string rec = "alert '" + a.key + "'";
  RETURN_IF_ERROR(Required(rec, "kind", a.kind));
  RETURN_IF_ERROR(Required(rec, "message", a.message));
  return OneOf(rec, "severity", a.severity, {"info", "warning", "critical"});
}

}  // namespace ck::store
