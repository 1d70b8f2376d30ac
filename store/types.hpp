// Plain records the Store reads and writes. No database types appear here: the same records
// serve SqliteStore and the PostgreSQL store that will follow.
//
// Conventions for every record:
//  - `id` is assigned by the store. Put*() inserts when id == 0 and returns the new id;
//    with id != 0 it replaces that row (NotFound if there is none).
//  - Times are stored with one-second precision (Unix seconds); the caller supplies them
//    (the store never reads a clock).
//  - Blobs (certificates, chains) are PEM text; no pki/ types, so store/ does not depend on it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"

namespace ck::store {

// Conventional CertificateRecord::status values. Only kCertActive has a meaning to the store
// (ListDueBefore and GetCurrentCertificate look at active certificates only).
inline constexpr char kCertActive[] = "active";
inline constexpr char kCertSuperseded[] = "superseded";
inline constexpr char kCertRevoked[] = "revoked";

struct CertificateRecord {
  int64_t id = 0;
  std::string name;    // the configured certificate name, e.g. "web"; not unique (history)
  std::string source;  // "managed" | "ca" | "external" | "file"
  std::string issuer;
  std::string serial_hex;
  std::vector<std::string> sans;  // no element may contain '\n'
  TimePoint not_before;
  TimePoint not_after;
  std::string cert_pem;
  std::string chain_pem;
  std::optional<int64_t> key_id;  // private_keys row, when we hold the key
  std::string status = kCertActive;
  std::string fingerprint_sha256;  // unique per name: storing the same cert twice is AlreadyExists
  TimePoint created_at;
};

// One row of the renewal scan (Store::ListDueBefore): what a scheduler needs to decide and to
// read the certificate in full (GetCertificate) only when it acts. Kept this small so the scan
// is served from an index alone: with a million rows, reading each due row's PEMs took ~300 ms.
struct DueCertificate {
  int64_t id = 0;
  std::string name;
  std::string source;
  TimePoint not_after;
};

// Public facts about a sealed private key. The private part is only ever returned unsealed,
// by Store::GetPrivateKeyPem.
struct KeyRecord {
  int64_t id = 0;
  std::string label;       // unique, e.g. "web/2025-06-01" or "acme/letsencrypt"
  std::string algorithm;   // e.g. "ec-p256", "rsa-2048", "ed25519"; authenticated when sealed
  std::string public_pin;  // base64 SPKI SHA-256
  TimePoint created_at;
};

struct AcmeAccountRecord {
  int64_t id = 0;
  std::string server_url;            // directory URL
  std::vector<std::string> contact;  // RFC 8555 §7.3 contact URLs, e.g. "mailto:ops@example.com"
  std::string account_url;           // the "kid"; empty until registered
  int64_t key_id = 0;                // the account key (private_keys row)
  std::string status;                // "valid" | "deactivated" | "revoked"
  std::string eab_kid;               // external account binding key id, if any
  TimePoint created_at;
};

struct AcmeOrderRecord {
  int64_t id = 0;
  int64_t account_id = 0;
  std::string certificate_name;
  std::string order_url;
  std::string status;  // RFC 8555 §7.1.6: pending | ready | processing | valid | invalid
  std::string identifiers_json = "[]";
  std::string finalize_url;
  std::string cert_url;
  std::string error;  // problem document (JSON) or message of the last failure
  TimePoint created_at;
  TimePoint updated_at;
  std::optional<int64_t> key_id;  // the certificate key the order's CSR uses (private_keys row)
};

struct CaRecord {
  int64_t id = 0;
  std::string name;  // unique
  std::string role;  // "root" | "intermediate" | "ocsp-responder" (RFC 6960 §4.2.2.2)
  std::string cert_pem;
  std::optional<int64_t> key_id;  // empty for an offline root
  std::string status;             // e.g. "active", "retired"
  TimePoint not_after;
  TimePoint created_at;
};

struct PinSetRecord {
  int64_t id = 0;
  std::string certificate_name;
  std::string pin;                // base64 SPKI SHA-256; unique per certificate_name
  std::optional<int64_t> key_id;  // cleared when that key is deleted
  std::string state;              // "published" | "active" | "retired" | "backup"
  std::optional<TimePoint> publish_at;
  std::optional<TimePoint> active_at;
  std::optional<TimePoint> retire_at;
};

struct ConsumerRecord {
  int64_t id = 0;
  std::string certificate_name;
  std::string type;  // deployer type: "files", "exec", "nginx", "haproxy", "webhook", ...
  std::string config_json = "{}";
  std::string last_deployed_serial;
  std::optional<TimePoint> last_verified_at;
  std::string last_result;
};

struct ApiTokenRecord {
  int64_t id = 0;
  std::string name;  // unique, e.g. "ci-deploy"
  std::string role;
  std::string token_hash;  // lowercase hex SHA-256 of the token; the token itself is never stored
  TimePoint created_at;
  std::optional<TimePoint> expires_at;
  std::optional<TimePoint> revoked_at;
};

// A certificate the internal CA revoked (RFC 5280 §5.3). Append-only: a revocation is never
// undone (certificateHold is not offered), and SqliteStore's schema rejects changes to it.
struct RevocationRecord {
  int64_t id = 0;
  int64_t ca_id = 0;       // the issuing CA (ca row)
  std::string serial_hex;  // uppercase hex without separators, as CertificateRecord::serial_hex
  int reason = 0;          // RFC 5280 §5.3.1 CRLReason: 0..10 except 7
  TimePoint revoked_at;
  TimePoint not_after;  // of the revoked certificate: CRLs may drop the entry after it
  std::optional<int64_t> certificate_id;  // certificates row, when the store has it
};

// The current CRL of one CA and the state its successor continues from.
struct CrlRecord {
  int64_t ca_id = 0;
  int64_t crl_number = 0;  // RFC 5280 §5.2.3: strictly increasing per CA
  TimePoint this_update;
  TimePoint next_update;
  std::string crl_pem;
};

// The latest check of one watched TLS endpoint or certificate file (issue 6). One row per
// target, replaced on every check; the leaf itself is a certificates row (source "external"
// or "file") so the inventory, alerts and metrics see watched certificates like managed ones.
struct WatchResultRecord {
  int64_t id = 0;
  std::string target;  // unique: "host:port" (or "host:port/sni" when SNI != host) | file path
  std::string kind;    // "endpoint" | "file"
  TimePoint checked_at;
  std::string outcome;               // "ok" | "problems" | "error"
  std::string error;                 // why the check could not be done (outcome "error"), else ""
  std::string problems_json = "[]";  // [{"code","severity","message"}, ...]
  std::string details_json = "{}";   // e.g. {"tls_version": "TLSv1.3", "chain": [...]}
  std::optional<int64_t> certificate_id;  // the leaf's certificates row
};

// One alert: a condition that fired, with the state that makes notices happen once. `key`
// names the condition (e.g. "expiry:web:SERIAL:7d") and is unique among unresolved alerts.
struct AlertRecord {
  int64_t id = 0;
  std::string key;
  std::string kind;      // "expiry" | "renewal_failing" | "renewal_overdue" | "deploy_verify" |
                         // "endpoint" | "ca_expiry" | "test"
  std::string subject;   // certificate name, watch target or CA name
  std::string severity;  // "info" | "warning" | "critical"
  std::string message;
  std::string details_json = "{}";
  TimePoint opened_at;
  std::optional<TimePoint> notified_at;           // when the firing notice went out
  std::optional<TimePoint> resolved_at;           // when the condition cleared
  std::optional<TimePoint> resolved_notified_at;  // when the resolved notice went out
  std::optional<TimePoint> acknowledged_at;
  std::string acknowledged_by;
};

// Append-only: there is no API to change or remove an event, and SqliteStore's schema rejects
// UPDATE and DELETE on the table.
struct EventRecord {
  int64_t id = 0;
  TimePoint time;
  std::string certificate_name;  // may be empty for store-wide events
  std::string kind;              // e.g. "issued", "renewal_failed", "deployed"
  std::string message;
  std::string details_json = "{}";
};

}  // namespace ck::store
