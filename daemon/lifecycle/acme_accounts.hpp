// ACME accounts as the store keeps them, shared by `certkeeper acme ...` and the lifecycle's
// AcmeIssuer: which stored account to use, and registering a new one with its key sealed in
// the store *before* the CA hears of it (after a crash, onlyReturnExisting still finds it).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "acme/client.hpp"
#include "common/clock.hpp"
#include "common/status.hpp"
#include "pki/key.hpp"
#include "store/store.hpp"

namespace ck::lifecycle {

// Seals `key` in the store under `label`; returns the key id.
Result<int64_t> StorePrivateKey(store::Store& store, const pki::PrivateKey& key,
                                const std::string& label, TimePoint now);

// The label of an ACME account key: "acme-account:<server>:<JWK thumbprint>".
std::string AcmeAccountKeyLabel(std::string_view server, const acme::JwsKey& jws);

// Loads the newest valid, registered account of `server` into `client` and returns it.
// `contact` not empty: only an account with exactly that contact list (the one registered for
// a configured [acme.accounts.NAME]). NotFound when there is none.
Result<store::AcmeAccountRecord> LoadStoredAccount(acme::Client& client, store::Store& store,
                                                   std::string_view server,
                                                   const std::vector<std::string>& contact);

struct AccountRegistration {
  std::string server;  // directory URL
  pki::KeyType key_type = pki::KeyType::kEcdsaP256;
  std::vector<std::string> contact;  // "mailto:..." URLs
  std::string eab_kid;               // External Account Binding, both or neither
  std::string eab_hmac_key;          // base64url
};

// Generates the account key, seals it, registers it (the client keeps using it) and records the
// account. When the CA refuses, the sealed key is deleted again and the CA's error returned.
Result<store::AcmeAccountRecord> RegisterStoredAccount(acme::Client& client, store::Store& store,
                                                       const AccountRegistration& registration,
                                                       TimePoint now);

}  // namespace ck::lifecycle
