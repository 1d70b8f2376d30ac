// Authority: delegated OCSP responders (RFC 6960 §4.2.2.2). An intermediate issues a
// short-lived end-entity certificate with id-kp-OCSPSigning and id-pkix-ocsp-nocheck for a key
// of its own, so the intermediate's key signs OCSP answers no more (it only signs the
// responder certificate, its leaves and its CRL).
#include <charconv>
#include <nlohmann/json.hpp>

#include "ca/authority.hpp"
#include "ca/cert_builder.hpp"
#include "ca/serial.hpp"
#include "common/log.hpp"

namespace ck::ca {
namespace {

// Same backdate as every certificate the CA signs (clock skew of relying parties).
constexpr seconds kResponderBackdate{60};
// RFC 5280 Appendix A: ub-common-name INTEGER ::= 64.
constexpr size_t kMaxCommonName = 64;

std::string ResponderPrefix(const std::string& ca_name) { return "ocsp-" + ca_name + "-"; }

// The n of "ocsp-<ca>-<n>", or 0 for another name.
int64_t ResponderNumber(const std::string& name, const std::string& prefix) {
  if (!name.starts_with(prefix)) return 0;
  int64_t n = 0;
  const char* first = name.data() + prefix.size();
  const char* last = name.data() + name.size();
  auto [ptr, ec] = std::from_chars(first, last, n);
  return ec == std::errc() && ptr == last && n > 0 ? n : 0;
}

// A third of the responder's lifetime left: renew. A certificate already cut to its issuer's
// notAfter is kept to the end, since a new one could not last longer.
TimePoint RenewAt(const pki::Certificate& responder) {
  const auto lifetime = responder.NotAfter() - responder.NotBefore();
  return responder.NotAfter() - lifetime / 3;
}

bool Usable(const pki::Certificate& responder, const pki::Certificate& issuer, TimePoint now) {
  if (now < responder.NotBefore() || now >= responder.NotAfter()) return false;
  return now < RenewAt(responder) || responder.NotAfter() >= issuer.NotAfter();
}

}  // namespace

Result<Authority::DelegatedResponder> Authority::EnsureOcspResponder(
    const CaEntity& ca, const std::vector<CaEntity>& cas, TimePoint now) {
  DelegatedResponder out;
  if (!settings_.ocsp_delegated || ca.record.role != kRoleIntermediate || !ca.Serving()) {
    return out;
  }
  const std::string prefix = ResponderPrefix(ca.record.name);
  auto current_of = [&](const std::vector<CaEntity>& all) -> const CaEntity* {
    for (auto it = all.rbegin(); it != all.rend(); ++it) {
      if (it->IsOcspResponder() && it->record.status == kCaActive &&
          ResponderNumber(it->record.name, prefix) > 0) {
        return &*it;
      }
    }
    return nullptr;
  };
  if (const CaEntity* current = current_of(cas);
      current != nullptr && current->key && Usable(current->cert, ca.cert, now)) {
    out.signer = OcspSigner{current->cert, *current->key};
    out.name = current->record.name;
    out.renew_at = RenewAt(current->cert);
    return out;
  }
  const TimePoint not_after = std::min(now + settings_.ocsp_responder_lifetime, ca.cert.NotAfter());
  if (not_after <= now) return out;  // the intermediate itself has expired

  // Key and certificate before the transaction, which only decides whether to keep them.
  ASSIGN_OR_RETURN(pki::PrivateKey key, pki::PrivateKey::Generate(pki::KeyType::kEcdsaP256));
  CertTemplate t;
  t.kind = CertKind::kOcspResponder;
  t.organization = settings_.organization;
  t.common_name = settings_.organization + " OCSP responder " + ca.record.name;
  if (t.common_name.size() > kMaxCommonName) t.common_name = "OCSP responder " + ca.record.name;
  ASSIGN_OR_RETURN(t.serial, NewSerial());
  t.not_before = now - kResponderBackdate;
  t.not_after = not_after;
  ASSIGN_OR_RETURN(pki::Certificate cert,
                   SignCertificate(t, key.GetPublicKey(), &ca.cert, *ca.key));

  store::CaRecord rec;
  rec.role = kRoleOcspResponder;
  rec.cert_pem = cert.ToPem();
  rec.status = kCaActive;
  rec.not_after = cert.NotAfter();
  rec.created_at = now;
  std::optional<store::CaRecord> adopted;
  RETURN_IF_ERROR(ChangeCaRows([&](store::Store& tx) -> Status {
    // Transactions serialise writers: another thread (an OCSP request, the maintenance pass)
    // may have issued one since `cas` was loaded. Then that one is used.
    adopted.reset();
    ASSIGN_OR_RETURN(std::vector<store::CaRecord> rows, tx.ListCas());
    int64_t last = 0;
    std::vector<store::CaRecord> previous;
    for (const auto& row : rows) {
      const int64_t n = ResponderNumber(row.name, prefix);
      if (row.role != kRoleOcspResponder || n == 0) continue;
      last = std::max(last, n);
      if (row.status == kCaActive) previous.push_back(row);
    }
    if (!previous.empty() && previous.back().key_id) {
      ASSIGN_OR_RETURN(pki::Certificate theirs, cache_.Cert(previous.back()));
      if (Usable(theirs, ca.cert, now)) {
        adopted = previous.back();
        return OkStatus();
      }
    }
    rec.name = prefix + std::to_string(last + 1);
    ASSIGN_OR_RETURN(rec.key_id, PutCaKey(tx, CaKeyLabel(rec.name), key, now));
    ASSIGN_OR_RETURN(rec.id, tx.PutCa(rec));
    for (auto& old : previous) {
      old.status = kCaRetired;
      RETURN_IF_ERROR(tx.PutCa(old).status());
    }
    return tx
        .AppendEvent({0, now, "", "ca_ocsp_responder_issued",
                      "intermediate " + ca.record.name + " issued OCSP responder " + rec.name +
                          " (valid until " + FormatRfc3339(rec.not_after) + ")",
                      nlohmann::json{{"ca", ca.record.name},
                                     {"responder", rec.name},
                                     {"serial", cert.SerialHex()},
                                     {"not_after", FormatRfc3339(rec.not_after)},
                                     {"retired", previous.size()}}
                          .dump()})
        .status();
  }));
  if (adopted) {
    ASSIGN_OR_RETURN(pki::Certificate theirs, cache_.Cert(*adopted));
    ASSIGN_OR_RETURN(pki::PrivateKey their_key, cache_.Key(store_, *adopted->key_id));
    out.signer = OcspSigner{theirs, their_key};
    out.name = adopted->name;
    out.renew_at = RenewAt(theirs);
    return out;
  }
  log::Info("OCSP responder issued", {{"ca", ca.record.name},
                                      {"responder", rec.name},
                                      {"not_after", FormatRfc3339(rec.not_after)}});
  out.renew_at = RenewAt(cert);
  out.signer = OcspSigner{std::move(cert), std::move(key)};
  out.name = rec.name;
  out.issued = true;
  return out;
}

}  // namespace ck::ca
