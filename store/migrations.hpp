// Schema versions. The schema version is SQLite's `PRAGMA user_version`; migration step k
// takes a database from version k-1 to k inside one transaction (the new user_version commits
// with the step, so a crash leaves the database at k-1 or k, never in between).
//
//   v1  private_keys, certificates, acme_accounts, acme_orders, ca, consumers
//   v2  events (append-only: triggers abort UPDATE/DELETE) and pin_sets
//   v3  api_tokens, an index on certificates.not_after, consumers.last_verified_at/last_result
//   v4  ca_revocations (append-only), ca_crls, an index on certificates.serial_hex
//   v5  acme_orders.key_id
//   v6  ca.role may be 'ocsp-responder' (the table is rebuilt; ids and references kept)
//
// Never edit a released step: append a new one and bump kCurrentSchemaVersion.
#pragma once

#include <string>

#include "common/status.hpp"

namespace ck::store {

inline constexpr int kCurrentSchemaVersion = 8;

// Test hook (and a tool for migration tests of future versions): creates `path` if needed and
// migrates it to exactly `version` (0 <= version <= kCurrentSchemaVersion). FailedPrecondition
// if the file is already newer than `version`.
Status MigrateFileTo(const std::string& path, int version);

}  // namespace ck::store
