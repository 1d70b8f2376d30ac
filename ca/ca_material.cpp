#include "ca/ca_material.hpp"

#include <openssl/x509v3.h>

#include "pki/digest.hpp"
#include "pki/openssl_error.hpp"

namespace ck::ca {

bool CaEntity::Serving() const {
  return key.has_value() && !IsOcspResponder() &&
         (record.status == kCaActive || record.status == kCaPending || record.status == kCaRetired);
}

Result<pki::PrivateKey> MaterialCache::Key(store::Store& store, int64_t key_id) {
  {
    std::lock_guard lock(mu_);
    if (auto it = keys_.find(key_id); it != keys_.end()) return it->second;
  }
  ASSIGN_OR_RETURN(store::SecretString pem, store.GetPrivateKeyPem(key_id));
  auto key = pki::PrivateKey::FromPem(pem.view());
  if (!key.ok()) {
    return DataLossError("CA key " + std::to_string(key_id) +
                         " does not parse: " + key.status().message());
  }
  std::lock_guard lock(mu_);
  keys_.insert_or_assign(key_id, *key);
  return *key;
}

Result<pki::Certificate> MaterialCache::Cert(const store::CaRecord& record) {
  {
    std::lock_guard lock(mu_);
    auto it = certs_.find(record.id);
    if (it != certs_.end() && it->second.first == record.cert_pem) return it->second.second;
  }
  auto cert = pki::Certificate::FromPem(record.cert_pem);
  if (!cert.ok()) {
    return DataLossError("CA '" + record.name +
                         "': stored certificate does not parse: " + cert.status().message());
  }
  std::lock_guard lock(mu_);
  certs_.insert_or_assign(record.id, std::pair{record.cert_pem, *cert});
  return *cert;
}

void MaterialCache::ForgetKey(int64_t key_id) {
  std::lock_guard lock(mu_);
  keys_.erase(key_id);
}

Result<std::vector<CaEntity>> LoadCas(store::Store& store, MaterialCache& cache, bool with_keys) {
  ASSIGN_OR_RETURN(std::vector<store::CaRecord> rows, store.ListCas());
  std::vector<CaEntity> out;
  out.reserve(rows.size());
  for (auto& row : rows) {
    ASSIGN_OR_RETURN(pki::Certificate cert, cache.Cert(row));
    CaEntity e{std::move(row), std::move(cert), std::nullopt};
    const bool retired_responder = e.IsOcspResponder() && e.record.status != kCaActive;
    if (with_keys && e.record.key_id && e.record.status != kCaDecommissioned &&
        !retired_responder) {
      ASSIGN_OR_RETURN(e.key, cache.Key(store, *e.record.key_id));
    }
    out.push_back(std::move(e));
  }
  return out;
}

const CaEntity* FindRoot(const std::vector<CaEntity>& cas) {
  return FindByStatus(cas, kRoleRoot, kCaActive);
}

const CaEntity* FindByStatus(const std::vector<CaEntity>& cas, std::string_view role,
                             std::string_view status) {
  // Newest first: after a rotation the latest row is the one that matters.
  for (auto it = cas.rbegin(); it != cas.rend(); ++it) {
    if (it->record.role == role && it->record.status == status) return &*it;
  }
  return nullptr;
}

const CaEntity* FindIssuerOf(const std::vector<CaEntity>& cas, const pki::Certificate& cert) {
  pki::ScopedOpenSslErrorClear clear;
  for (const auto& ca : cas) {
    if (ca.IsOcspResponder()) continue;
    if (X509_check_issued(ca.cert.get(), cert.get()) == X509_V_OK &&
        X509_verify(cert.get(), X509_get0_pubkey(ca.cert.get())) == 1) {
      return &ca;
    }
  }
  return nullptr;
}

std::string CaNameFor(std::string_view role, const pki::PublicKey& key) {
  const Bytes digest = pki::Sha256(key.SpkiDer());
  return std::string(role) + "-" + HexEncode(digest.data(), 4);
}

std::string CaKeyLabel(std::string_view ca_name) { return "ca/" + std::string(ca_name); }

Result<int64_t> PutCaKey(store::Store& store, std::string_view label, const pki::PrivateKey& key,
                         TimePoint now) {
  store::KeyRecord meta;
  meta.label = std::string(label);
  auto type = key.Type();
  meta.algorithm = type.ok() ? std::string(pki::KeyTypeName(*type)) : key.Info().algorithm;
  meta.public_pin = key.SpkiSha256Pin();
  meta.created_at = now;
  return store.PutPrivateKey(meta, key.ToPem());
}

}  // namespace ck::ca
