// SqliteStore: the Store on one SQLite file (or ":memory:"), for one daemon per database.
//  - WAL journal, synchronous=FULL (an acknowledged commit survives power loss), foreign keys
//    on, a busy timeout; schema migrated on open (see migrations.hpp).
//  - A single-writer lock ("<db>.lock", see writer_lock.hpp) so two daemons cannot both run.
//  - Private keys sealed with AES-256-GCM under the MasterKey given to Open (key_sealer.hpp).
// SQLite types stay out of this header.
#pragma once

#include <memory>
#include <string>

#include "store/master_key.hpp"
#include "store/store.hpp"

namespace ck::store {

struct SqliteOpenOptions {
  // Hold "<db>.lock" while open; FailedPrecondition if another process holds it. The daemon
  // and every CLI command that writes must take it; read-only commands may run beside the
  // daemon without it. Migrations only run while holding it (or on ":memory:").
  bool take_writer_lock = true;
  // NotFound instead of creating a new, empty database.
  bool create_if_missing = true;
  // false: open the schema as it is, older or newer, without migrating or refusing. Only for
  // Backup()/SchemaVersion() on a database another binary manages (`certkeeper backup`
  // before an upgrade); other methods may fail on tables the file does not have yet.
  bool migrate = true;
  // Fail at open (PermissionDenied) when stored keys were sealed with another master key.
  bool verify_master_key = true;
  int busy_timeout_ms = 5000;
};

class SqliteStore final : public Store {
 public:
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path,
                                                   const MasterKey& master_key,
                                                   const SqliteOpenOptions& options = {});

  // `certkeeper restore FILE`: validates `backup_path` (a SQLite database, integrity_check ok,
  // schema version <= current, every key unseals with `master_key`), migrates it to the
  // current schema, then atomically replaces `db_path`. The previous database is kept as
  // "<db>.pre-restore". FailedPrecondition while another process holds the writer lock;
  // `db_path` is untouched on any failure.
  static Status RestoreFrom(const std::string& backup_path, const std::string& db_path,
                            const MasterKey& master_key);

  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  const std::string& path() const;
  // The id of the master key currently sealing new keys (changes after Rekey).
  std::string master_key_id() const;

  Result<int64_t> PutCertificate(const CertificateRecord& cert) override;
  Result<CertificateRecord> GetCertificate(int64_t id) override;
  Result<CertificateRecord> GetCurrentCertificate(std::string_view name) override;
  Result<std::vector<CertificateRecord>> ListCertificates(const CertificateQuery& q) override;
  Result<bool> IsSerialRevoked(std::string_view serial_hex) override;
  Result<std::vector<DueCertificate>> ListDueBefore(TimePoint t) override;
  Status DeleteCertificate(int64_t id) override;

  Result<int64_t> PutPrivateKey(const KeyRecord& meta, std::string_view private_pem) override;
  Result<KeyRecord> GetKey(int64_t id) override;
  Result<KeyRecord> GetKeyByLabel(std::string_view label) override;
  Result<std::vector<KeyRecord>> ListKeys() override;
  Result<SecretString> GetPrivateKeyPem(int64_t id) override;
  Status DeletePrivateKey(int64_t id) override;

  Result<int64_t> PutAcmeAccount(const AcmeAccountRecord& account) override;
  Result<AcmeAccountRecord> GetAcmeAccount(int64_t id) override;
  Result<std::vector<AcmeAccountRecord>> ListAcmeAccounts(std::string_view server_url) override;
  Result<int64_t> PutAcmeOrder(const AcmeOrderRecord& order) override;
  Result<AcmeOrderRecord> GetAcmeOrder(int64_t id) override;
  Result<std::vector<AcmeOrderRecord>> ListAcmeOrders(const AcmeOrderQuery& q) override;

  Result<int64_t> PutCa(const CaRecord& ca) override;
  Result<CaRecord> GetCa(int64_t id) override;
  Result<CaRecord> GetCaByName(std::string_view name) override;
  Result<std::vector<CaRecord>> ListCas() override;

  Result<int64_t> PutRevocation(const RevocationRecord& r) override;
  Result<RevocationRecord> GetRevocation(int64_t ca_id, std::string_view serial_hex) override;
  Result<std::vector<RevocationRecord>> ListRevocations(int64_t ca_id) override;
  Status PutCrl(const CrlRecord& crl) override;
  Result<CrlRecord> GetCrl(int64_t ca_id) override;

  Result<int64_t> PutPin(const PinSetRecord& pin) override;
  Result<std::vector<PinSetRecord>> ListPins(std::string_view certificate_name) override;
  Status DeletePin(int64_t id) override;

  Result<int64_t> PutConsumer(const ConsumerRecord& consumer) override;
  Result<ConsumerRecord> GetConsumer(int64_t id) override;
  Result<std::vector<ConsumerRecord>> ListConsumers(std::string_view certificate_name) override;
  Status DeleteConsumer(int64_t id) override;

  Result<int64_t> PutApiToken(const ApiTokenRecord& token) override;
  Result<ApiTokenRecord> FindApiTokenByHash(std::string_view token_hash) override;
  Result<std::vector<ApiTokenRecord>> ListApiTokens() override;
  Status RevokeApiToken(int64_t id, TimePoint when) override;

  Result<int64_t> AppendEvent(const EventRecord& event) override;
  Result<std::vector<EventRecord>> ListEvents(const EventQuery& q) override;

  Result<int64_t> PutWatchResult(const WatchResultRecord& r) override;
  Result<std::vector<WatchResultRecord>> ListWatchResults() override;
  Status DeleteWatchResult(std::string_view target) override;

  Result<int64_t> PutAlert(const AlertRecord& alert) override;
  Result<AlertRecord> GetAlert(int64_t id) override;
  Result<AlertRecord> FindOpenAlert(std::string_view key) override;
  Result<std::vector<AlertRecord>> ListAlerts(const AlertQuery& q) override;

  Status RunInTransaction(const std::function<Status(Store&)>& fn) override;
  Status Rekey(const MasterKey& new_key) override;
  Status Backup(const std::string& dest_path) override;
  Result<int> SchemaVersion() override;
  Status CheckIntegrity() override;

  struct Impl;

 private:
  explicit SqliteStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ck::store
