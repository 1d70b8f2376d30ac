// The Store interface: everything certkeeper persists. Implementations: SqliteStore (one
// daemon per database file); a PostgreSQL store (several daemons sharing one store) will
// follow and must pass the same contract test (tests/store/store_contract_test.cpp).
//
// Error contract (all implementations):
//   NotFound           — no such row (Get*, Delete*, Put* with an id that does not exist)
//   AlreadyExists      — a unique field collides (certificate name+fingerprint, key label, ...)
//   InvalidArgument    — a field is malformed (unknown source/role/state, bad token hash)
//   FailedPrecondition — a reference is missing or still in use (foreign key), an operation
//                        that needs to run outside a transaction was called inside one
//   Unavailable        — the database is busy or locked; retry later
//   DataLoss           — corruption, or a sealed key failed authentication (tampered)
//   PermissionDenied   — a sealed key belongs to a different master key
// Thread safety: all methods may be called from any thread. RunInTransaction gives the
// callback exclusive use of the store; other threads block until it finishes, so keep
// transactions short and never do network I/O (ACME, deploys) inside one.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"
#include "store/master_key.hpp"
#include "store/secret_string.hpp"
#include "store/types.hpp"

namespace ck::store {

// Certificates ordered by (not_after, id). Paging: pass the last id of a page as `after_id`.
struct CertificateQuery {
  std::string name;                          // exact match; empty = any
  std::string source;                        // empty = any
  std::string status;                        // empty = any
  std::optional<TimePoint> expiring_before;  // not_after < this
  std::string serial_hex;                    // exact match; empty = any
  std::string issuer;                        // exact match; empty = any
  std::string text;      // case-insensitive substring of the name or of any SAN; empty = any
  int64_t after_id = 0;  // 0 = first page; InvalidArgument if unknown
  int limit = 0;         // 0 = no limit
};

struct AcmeOrderQuery {
  std::string certificate_name;  // empty = any
  std::string status;            // empty = any
  int limit = 0;
};

// Alerts newest first (descending id). Paging: pass the last id of a page as `before_id`.
struct AlertQuery {
  bool open_only = false;  // unresolved alerts only
  std::string subject;     // exact match; empty = any
  std::string kind;        // exact match; empty = any
  int64_t before_id = 0;   // 0 = newest
  int limit = 100;         // 0 = no limit
};

// Events newest first (descending id). Paging: pass the last id of a page as `before_id`.
struct EventQuery {
  std::string certificate_name;    // empty = any
  std::string kind;                // empty = any
  std::optional<TimePoint> since;  // time >= since
  std::optional<TimePoint> until;  // time < until
  int64_t before_id = 0;           // 0 = newest
  int limit = 100;                 // 0 = no limit
};

class Store {
 public:
  virtual ~Store() = default;

  // --- certificates ---
  virtual Result<int64_t> PutCertificate(const CertificateRecord& cert) = 0;
  virtual Result<CertificateRecord> GetCertificate(int64_t id) = 0;
  // The active certificate with that name that expires last.
  virtual Result<CertificateRecord> GetCurrentCertificate(std::string_view name) = 0;
  virtual Result<std::vector<CertificateRecord>> ListCertificates(const CertificateQuery& q) = 0;
  // Whether any certificate with this serial is revoked: the admin API asks on every mTLS
  // request, so it reads the serial index alone instead of whole rows.
  virtual Result<bool> IsSerialRevoked(std::string_view serial_hex) = 0;
  // Active certificates with not_after < t, soonest first (the renewal scan).
  virtual Result<std::vector<DueCertificate>> ListDueBefore(TimePoint t) = 0;
  virtual Status DeleteCertificate(int64_t id) = 0;

  // --- private keys (sealed at rest) ---
  // Seals `private_pem` under the master key and stores it; `meta.id` is ignored (keys are
  // immutable once stored). Returns the new key id.
  virtual Result<int64_t> PutPrivateKey(const KeyRecord& meta, std::string_view private_pem) = 0;
  virtual Result<KeyRecord> GetKey(int64_t id) = 0;
  virtual Result<KeyRecord> GetKeyByLabel(std::string_view label) = 0;
  virtual Result<std::vector<KeyRecord>> ListKeys() = 0;
  // Unseals. PermissionDenied (wrong master key) or DataLoss (tampered), naming the key.
  virtual Result<SecretString> GetPrivateKeyPem(int64_t id) = 0;
  // FailedPrecondition while a certificate, account or CA still refers to it.
  virtual Status DeletePrivateKey(int64_t id) = 0;

  // --- ACME accounts and orders ---
  virtual Result<int64_t> PutAcmeAccount(const AcmeAccountRecord& account) = 0;
  virtual Result<AcmeAccountRecord> GetAcmeAccount(int64_t id) = 0;
  // All accounts, or those of one directory URL when `server_url` is not empty; by id.
  virtual Result<std::vector<AcmeAccountRecord>> ListAcmeAccounts(std::string_view server_url) = 0;
  virtual Result<int64_t> PutAcmeOrder(const AcmeOrderRecord& order) = 0;
  virtual Result<AcmeOrderRecord> GetAcmeOrder(int64_t id) = 0;
  // Newest first.
  virtual Result<std::vector<AcmeOrderRecord>> ListAcmeOrders(const AcmeOrderQuery& q) = 0;

  // --- internal CA material ---
  virtual Result<int64_t> PutCa(const CaRecord& ca) = 0;
  virtual Result<CaRecord> GetCa(int64_t id) = 0;
  virtual Result<CaRecord> GetCaByName(std::string_view name) = 0;
  virtual Result<std::vector<CaRecord>> ListCas() = 0;

  // --- internal CA revocations and CRLs ---
  // Inserts (an id in `r` is ignored). AlreadyExists when that CA already revoked the serial;
  // FailedPrecondition when the CA or certificate row does not exist.
  virtual Result<int64_t> PutRevocation(const RevocationRecord& r) = 0;
  virtual Result<RevocationRecord> GetRevocation(int64_t ca_id, std::string_view serial_hex) = 0;
  // One CA's revocations, oldest first (revoked_at, id).
  virtual Result<std::vector<RevocationRecord>> ListRevocations(int64_t ca_id) = 0;
  // Inserts or replaces the CA's current CRL. FailedPrecondition unless crl.crl_number is
  // greater than the stored one (a CRL number never repeats or goes back).
  virtual Status PutCrl(const CrlRecord& crl) = 0;
  virtual Result<CrlRecord> GetCrl(int64_t ca_id) = 0;

  // --- pin sets ---
  virtual Result<int64_t> PutPin(const PinSetRecord& pin) = 0;
  // One certificate's pins (all when empty), by id.
  virtual Result<std::vector<PinSetRecord>> ListPins(std::string_view certificate_name) = 0;
  virtual Status DeletePin(int64_t id) = 0;

  // --- consumers / deploy targets ---
  virtual Result<int64_t> PutConsumer(const ConsumerRecord& consumer) = 0;
  virtual Result<ConsumerRecord> GetConsumer(int64_t id) = 0;
  virtual Result<std::vector<ConsumerRecord>> ListConsumers(std::string_view certificate_name) = 0;
  virtual Status DeleteConsumer(int64_t id) = 0;

  // --- API tokens (hashed) ---
  virtual Result<int64_t> PutApiToken(const ApiTokenRecord& token) = 0;
  // Looks up by SHA-256 hex; returns revoked/expired tokens too (the caller decides).
  virtual Result<ApiTokenRecord> FindApiTokenByHash(std::string_view token_hash) = 0;
  virtual Result<std::vector<ApiTokenRecord>> ListApiTokens() = 0;
  virtual Status RevokeApiToken(int64_t id, TimePoint when) = 0;

  // --- event log (append-only) ---
  virtual Result<int64_t> AppendEvent(const EventRecord& event) = 0;
  virtual Result<std::vector<EventRecord>> ListEvents(const EventQuery& q) = 0;

  // --- watched endpoints and files (latest check per target) ---
  // Inserts or replaces the row of `r.target` (`r.id` is ignored). Returns the row id.
  virtual Result<int64_t> PutWatchResult(const WatchResultRecord& r) = 0;
  // Every target's latest result, by target.
  virtual Result<std::vector<WatchResultRecord>> ListWatchResults() = 0;
  // NotFound when the target has no result.
  virtual Status DeleteWatchResult(std::string_view target) = 0;

  // --- alerts ---
  // id == 0 inserts (AlreadyExists while an unresolved alert has the same key); otherwise
  // replaces that row (NotFound).
  virtual Result<int64_t> PutAlert(const AlertRecord& alert) = 0;
  virtual Result<AlertRecord> GetAlert(int64_t id) = 0;
  // The unresolved alert with this key; NotFound when there is none.
  virtual Result<AlertRecord> FindOpenAlert(std::string_view key) = 0;
  virtual Result<std::vector<AlertRecord>> ListAlerts(const AlertQuery& q) = 0;

  // --- transactions and administration ---
  // Runs `fn` in one transaction: commits when it returns OK, rolls back when it returns an
  // error or throws (the exception is caught and becomes Internal). Use only the Store& it is
  // given. Nests: an inner failure rolls back the inner part only.
  virtual Status RunInTransaction(const std::function<Status(Store&)>& fn) = 0;
  // Re-seals every private key under `new_key` in one transaction, then uses `new_key` from
  // now on. Nothing changes if any key fails to unseal. FailedPrecondition inside a
  // transaction. Save `new_key` durably *before* calling this (WriteNewMasterKeyFile).
  virtual Status Rekey(const MasterKey& new_key) = 0;
  // A consistent copy of the whole store at `dest_path` (written atomically, mode 0600).
  virtual Status Backup(const std::string& dest_path) = 0;
  virtual Result<int> SchemaVersion() = 0;
  // DataLoss describing the first problems when the store is not consistent.
  virtual Status CheckIntegrity() = 0;
};

}  // namespace ck::store
