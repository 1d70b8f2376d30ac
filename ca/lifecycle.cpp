// Authority: the offline root (export and delete its key) and intermediate rotation.
#include <nlohmann/json.hpp>

#include "ca/authority.hpp"
#include "common/log.hpp"

namespace ck::ca {
namespace {

const CaEntity* RequireRoot(const std::vector<CaEntity>& cas, Status& error) {
  const CaEntity* root = FindRoot(cas);
  if (root == nullptr) {
    error = FailedPreconditionError("the internal CA is not initialised: run `certkeeper ca init`");
  }
  return root;
}

}  // namespace

Result<store::SecretString> Authority::ExportRootKeyPem() {
  ASSIGN_OR_RETURN(std::vector<CaEntity> cas, LoadCas(store_, cache_, false));
  Status error;
  const CaEntity* root = RequireRoot(cas, error);
  if (root == nullptr) return error;
  if (!root->record.key_id) {
    return FailedPreconditionError("the root key of '" + root->record.name +
                                   "' is already offline (exported and deleted)");
  }
  return store_.GetPrivateKeyPem(*root->record.key_id);
}

Status Authority::DeleteRootKey(TimePoint now) {
  ASSIGN_OR_RETURN(std::vector<CaEntity> cas, LoadCas(store_, cache_, true));
  Status error;
  const CaEntity* root = RequireRoot(cas, error);
  if (root == nullptr) return error;
  if (!root->key || !root->record.key_id) {
    return FailedPreconditionError("the root key of '" + root->record.name +
                                   "' is already offline");
  }
  const int64_t key_id = *root->record.key_id;
  store::CaRecord rec = root->record;
  rec.key_id = std::nullopt;
  RETURN_IF_ERROR(ChangeCaRows([&](store::Store& tx) -> Status {
    // The last thing the root signs before going offline: a CRL that lasts until the key is
    // brought back (root_crl_lifetime).
    RETURN_IF_ERROR(WriteCrl(tx, *root, now));
    RETURN_IF_ERROR(tx.PutCa(rec).status());
    RETURN_IF_ERROR(tx.DeletePrivateKey(key_id));
    return tx
        .AppendEvent({0, now, "", "ca_root_offline",
                      "root key of " + rec.name + " deleted from the store (offline root)",
                      nlohmann::json{{"ca", rec.name}}.dump()})
        .status();
  }));
  cache_.ForgetKey(key_id);
  log::Info("root key deleted from the store", {{"ca", rec.name}});
  return OkStatus();
}

Result<store::CaRecord> Authority::PrepareIntermediate(
    TimePoint now, const std::optional<pki::PrivateKey>& root_key) {
  ASSIGN_OR_RETURN(std::vector<CaEntity> cas, LoadCas(store_, cache_, true));
  Status error;
  const CaEntity* root_ptr = RequireRoot(cas, error);
  if (root_ptr == nullptr) return error;
  if (const CaEntity* pending = FindByStatus(cas, kRoleIntermediate, kCaPending)) {
    return FailedPreconditionError("intermediate '" + pending->record.name +
                                   "' is already prepared; activate it with `certkeeper ca "
                                   "rotate-intermediate --activate`");
  }
  CaEntity root = *root_ptr;
  const bool offline = !root.key.has_value();
  if (root_key) {
    if (!pki::KeyMatches(root.cert, *root_key)) {
      return InvalidArgumentError("the given root key does not belong to root '" +
                                  root.record.name + "'");
    }
    root.key = *root_key;
  } else if (offline) {
    return FailedPreconditionError("the root key of '" + root.record.name +
                                   "' is offline: give it back for this operation with "
                                   "--root-key FILE (it is not stored)");
  }
  if (now >= root.cert.NotAfter()) {
    return FailedPreconditionError("root '" + root.record.name + "' has expired");
  }
  ASSIGN_OR_RETURN(CaEntity inter, NewIntermediate(root, *root.key, InitOptions{}, now));
  inter.record.role = kRoleIntermediate;
  inter.record.cert_pem = inter.cert.ToPem();
  inter.record.status = kCaPending;
  inter.record.not_after = inter.cert.NotAfter();
  inter.record.created_at = now;
  RETURN_IF_ERROR(ChangeCaRows([&](store::Store& tx) -> Status {
    ASSIGN_OR_RETURN(inter.record.key_id,
                     PutCaKey(tx, CaKeyLabel(inter.record.name), *inter.key, now));
    ASSIGN_OR_RETURN(inter.record.id, tx.PutCa(inter.record));
    RETURN_IF_ERROR(WriteCrl(tx, inter, now));
    // While an offline root's key is here, its CRL is renewed too.
    if (offline) RETURN_IF_ERROR(WriteCrl(tx, root, now));
    return tx
        .AppendEvent({0, now, "", "ca_intermediate_prepared",
                      "intermediate " + inter.record.name +
                          " prepared (published in the chain, not signing yet)",
                      nlohmann::json{{"ca", inter.record.name},
                                     {"subject", inter.cert.Subject()},
                                     {"not_after", FormatRfc3339(inter.record.not_after)}}
                          .dump()})
        .status();
  }));
  log::Info("intermediate prepared", {{"ca", inter.record.name}});
  return inter.record;
}

Result<store::CaRecord> Authority::ActivateIntermediate(TimePoint now) {
  ASSIGN_OR_RETURN(std::vector<CaEntity> cas, LoadCas(store_, cache_, false));
  const CaEntity* pending = FindByStatus(cas, kRoleIntermediate, kCaPending);
  if (pending == nullptr) {
    return FailedPreconditionError(
        "no prepared intermediate to activate: run `certkeeper ca rotate-intermediate` first");
  }
  if (now < pending->cert.NotBefore() || now >= pending->cert.NotAfter()) {
    return FailedPreconditionError("intermediate '" + pending->record.name + "' is not valid now");
  }
  store::CaRecord next = pending->record;
  next.status = kCaActive;
  std::optional<store::CaRecord> previous;
  if (const CaEntity* active = FindByStatus(cas, kRoleIntermediate, kCaActive)) {
    previous = active->record;
    previous->status = kCaRetired;
  }
  RETURN_IF_ERROR(ChangeCaRows([&](store::Store& tx) -> Status {
    if (previous) RETURN_IF_ERROR(tx.PutCa(*previous).status());
    RETURN_IF_ERROR(tx.PutCa(next).status());
    return tx
        .AppendEvent(
            {0, now, "", "ca_intermediate_activated",
             "intermediate " + next.name + " now signs" +
                 (previous ? "; " + previous->name + " retired" : std::string()),
             nlohmann::json{{"ca", next.name}, {"retired", previous ? previous->name : ""}}.dump()})
        .status();
  }));
  log::Info("intermediate activated",
            {{"ca", next.name}, {"retired", previous ? previous->name : ""}});
  return next;
}

}  // namespace ck::ca
