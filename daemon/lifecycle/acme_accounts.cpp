#include "daemon/lifecycle/acme_accounts.hpp"

namespace ck::lifecycle {

Result<int64_t> StorePrivateKey(store::Store& store, const pki::PrivateKey& key,
                                const std::string& label, TimePoint now) {
  store::KeyRecord meta;
  meta.label = label;
  auto type = key.Type();
  meta.algorithm = type.ok() ? std::string(pki::KeyTypeName(*type)) : key.Info().algorithm;
  meta.public_pin = key.SpkiSha256Pin();
  meta.created_at = now;
  return store.PutPrivateKey(meta, key.ToPem());
}

std::string AcmeAccountKeyLabel(std::string_view server, const acme::JwsKey& jws) {
  return "acme-account:" + std::string(server) + ":" + jws.thumbprint();
}

Result<store::AcmeAccountRecord> LoadStoredAccount(acme::Client& client, store::Store& store,
                                                   std::string_view server,
                                                   const std::vector<std::string>& contact) {
  ASSIGN_OR_RETURN(auto accounts, store.ListAcmeAccounts(server));
  for (auto it = accounts.rbegin(); it != accounts.rend(); ++it) {
    if (it->status != "valid" || it->account_url.empty()) continue;
    if (!contact.empty() && it->contact != contact) continue;
    ASSIGN_OR_RETURN(store::SecretString pem, store.GetPrivateKeyPem(it->key_id));
    ASSIGN_OR_RETURN(pki::PrivateKey key, pki::PrivateKey::FromPem(pem.view()));
    ASSIGN_OR_RETURN(acme::JwsKey jws, acme::JwsKey::Create(std::move(key)));
    // The contact goes along so that a re-registration (a CA that forgot the account) keeps it.
    acme::NewAccountRequest registration;
    registration.contact = it->contact;
    client.SetAccount(jws, it->account_url, registration);
    return *it;
  }
  return NotFoundError("no ACME account for " + std::string(server) + " in the store");
}

Result<store::AcmeAccountRecord> RegisterStoredAccount(acme::Client& client, store::Store& store,
                                                       const AccountRegistration& registration,
                                                       TimePoint now) {
  ASSIGN_OR_RETURN(pki::PrivateKey key, pki::PrivateKey::Generate(registration.key_type));
  ASSIGN_OR_RETURN(acme::JwsKey jws, acme::JwsKey::Create(key));
  ASSIGN_OR_RETURN(int64_t key_id,
                   StorePrivateKey(store, key, AcmeAccountKeyLabel(registration.server, jws), now));
  acme::NewAccountRequest request;
  request.contact = registration.contact;
  request.eab_kid = registration.eab_kid;
  request.eab_hmac_key = registration.eab_hmac_key;
  auto account = client.NewAccount(jws, request);
  if (!account.ok()) {
    (void)store.DeletePrivateKey(key_id);
    return account.status();
  }
  store::AcmeAccountRecord rec;
  rec.server_url = registration.server;
  // What was asked for, not the CA's normalised copy: LoadStoredAccount matches on it.
  rec.contact = request.contact;
  rec.account_url = account->url;
  rec.key_id = key_id;
  rec.status = account->status.empty() ? "valid" : account->status;
  rec.eab_kid = registration.eab_kid;
  rec.created_at = now;
  ASSIGN_OR_RETURN(rec.id, store.PutAcmeAccount(rec));
  return rec;
}

}  // namespace ck::lifecycle
