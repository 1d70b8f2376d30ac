// Internal to ca/: the CA rows of the store as parsed certificates and (cached) keys, and the
// conventions for naming and status that the Authority's files share.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/status.hpp"
#include "pki/certificate.hpp"
#include "pki/key.hpp"
#include "store/store.hpp"

namespace ck::ca {

// CaRecord::status values.
inline constexpr char kCaActive[] = "active";    // the root; the intermediate that signs
inline constexpr char kCaPending[] = "pending";  // prepared: in the chain bundle, signs nothing
inline constexpr char kCaRetired[] = "retired";  // replaced: serves CRL/OCSP for its leaves
inline constexpr char kCaDecommissioned[] = "decommissioned";  // its last leaf expired
inline constexpr char kRoleRoot[] = "root";
inline constexpr char kRoleIntermediate[] = "intermediate";
// A delegated OCSP responder (RFC 6960 §4.2.2.2) an intermediate issued: not a CA, never an
// issuer. Named "ocsp-<intermediate name>-<n>"; "active" signs, older ones are "retired".
inline constexpr char kRoleOcspResponder[] = "ocsp-responder";
inline constexpr char kSourceCa[] = "ca";  // CertificateRecord::source of what the CA issued

struct CaEntity {
  store::CaRecord record;
  pki::Certificate cert;
  std::optional<pki::PrivateKey> key;  // set when loaded with keys and the key is online

  bool IsRoot() const { return record.role == kRoleRoot; }
  bool IsOcspResponder() const { return record.role == kRoleOcspResponder; }
  // Signs CRLs and OCSP responses: active, pending and retired CAs (never an OCSP responder
  // row) whose key is online.
  bool Serving() const;
};

// Private keys are immutable once stored (Store contract), so a key id always names the same
// key and the parsed key can be cached for the process lifetime; a CA row's certificate never
// changes either (checked against the PEM anyway). Saves an unseal and two parses per
// issuance. Thread-safe.
class MaterialCache {
 public:
  Result<pki::PrivateKey> Key(store::Store& store, int64_t key_id);
  Result<pki::Certificate> Cert(const store::CaRecord& record);
  void ForgetKey(int64_t key_id);

 private:
  std::mutex mu_;
  std::map<int64_t, pki::PrivateKey> keys_;
  std::map<int64_t, std::pair<std::string, pki::Certificate>> certs_;  // by CA id
};

// Every CA row, in id order, with parsed certificates, and online keys when `with_keys`
// (decommissioned CAs and retired OCSP responders never get theirs). OCSP responder rows are
// included: callers looking for issuers go through Serving(), FindByStatus or FindIssuerOf,
// which never return them.
Result<std::vector<CaEntity>> LoadCas(store::Store& store, MaterialCache& cache, bool with_keys);

const CaEntity* FindRoot(const std::vector<CaEntity>& cas);
const CaEntity* FindByStatus(const std::vector<CaEntity>& cas, std::string_view role,
                             std::string_view status);
// The CA whose key signed `cert` (issuer name and signature both checked), or null. OCSP
// responders are skipped.
const CaEntity* FindIssuerOf(const std::vector<CaEntity>& cas, const pki::Certificate& cert);

// "root-1a2b3c4d" / "intermediate-1a2b3c4d": the role and the first 4 bytes of the key's
// SPKI SHA-256 in hex; stable for a key, distinct across keys.
std::string CaNameFor(std::string_view role, const pki::PublicKey& key);
// "ca/<name>": the private key's label in the store.
std::string CaKeyLabel(std::string_view ca_name);

// Stores `key` sealed and returns its id.
Result<int64_t> PutCaKey(store::Store& store, std::string_view label, const pki::PrivateKey& key,
                         TimePoint now);

}  // namespace ck::ca
