// Authority: revocation, CRL refresh and the OCSP responder.
#include <nlohmann/json.hpp>

#include "ca/authority.hpp"
#include "ca/ca_metrics.hpp"
#include "ca/serial.hpp"
#include "common/log.hpp"

namespace ck::ca {

Result<store::RevocationRecord> Authority::Revoke(std::string_view serial, RevocationReason reason,
                                                  TimePoint now) {
  ASSIGN_OR_RETURN(std::string hex, NormalizeSerialHex(serial));
  if (reason == RevocationReason::kCertificateHold || reason == RevocationReason::kRemoveFromCrl) {
    return InvalidArgumentError("revocations by this CA are final: " +
                                std::string(RevocationReasonName(reason)) + " is not offered");
  }
  store::CertificateQuery q;
  q.serial_hex = hex;
  q.source = kSourceCa;
  ASSIGN_OR_RETURN(std::vector<store::CertificateRecord> found, store_.ListCertificates(q));
  if (found.empty()) {
    return NotFoundError("no certificate with serial " + hex + " was issued by this CA");
  }
  store::CertificateRecord rec = std::move(found.front());
  auto cert = pki::Certificate::FromPem(rec.cert_pem);
  if (!cert.ok()) return DataLossError("certificate " + hex + ": stored PEM does not parse");
  ASSIGN_OR_RETURN(std::vector<CaEntity> cas, LoadCas(store_, cache_, true));
  const CaEntity* ca = FindIssuerOf(cas, *cert);
  if (ca == nullptr) {
    return FailedPreconditionError("certificate " + hex + ": its issuing CA ('" + rec.issuer +
                                   "') is not in the store");
  }
  auto existing = store_.GetRevocation(ca->record.id, hex);
  if (existing.ok()) {
    return AlreadyExistsError(
        "certificate " + hex + " was already revoked at " + FormatRfc3339(existing->revoked_at) +
        " (" + std::string(RevocationReasonName(static_cast<RevocationReason>(existing->reason))) +
        ")");
  }
  if (existing.status().code() != StatusCode::kNotFound) return existing.status();
  if (!ca->Serving()) {
    return FailedPreconditionError("CA '" + ca->record.name + "' is " + ca->record.status +
                                   (ca->key ? "" : " and its key is offline") +
                                   ": it can no longer sign a CRL");
  }

  store::RevocationRecord r;
  r.ca_id = ca->record.id;
  r.serial_hex = hex;
  r.reason = static_cast<int>(reason);
  r.revoked_at = now;
  r.not_after = rec.not_after;
  r.certificate_id = rec.id;
  nlohmann::json details = {
      {"serial", hex}, {"reason", RevocationReasonName(reason)}, {"ca", ca->record.name}};
  RETURN_IF_ERROR(store_.RunInTransaction([&](store::Store& tx) -> Status {
    ASSIGN_OR_RETURN(r.id, tx.PutRevocation(r));
    rec.status = store::kCertRevoked;
    RETURN_IF_ERROR(tx.PutCertificate(rec).status());
    RETURN_IF_ERROR(tx.AppendEvent({0, now, rec.name, "revoked",
                                    "serial " + hex + " revoked (" +
                                        std::string(RevocationReasonName(reason)) + ")",
                                    details.dump()})
                        .status());
    // RFC 5280 §5: the CRL is re-signed at once, so relying parties see it on their next fetch.
    return WriteCrl(tx, *ca, now);
  }));
  CountRevoked(RevocationReasonName(reason));
  log::Info(
      "certificate revoked",
      {{"name", rec.name}, {"serial", hex}, {"reason", std::string(RevocationReasonName(reason))}});
  return r;
}

Result<CrlRefresh> Authority::RefreshCrlIfDue(TimePoint now) {
  ASSIGN_OR_RETURN(std::vector<CaEntity> cas, LoadCas(store_, cache_, true));
  CrlRefresh out;
  auto note_due = [&](TimePoint t) {
    if (!out.next_due || t < *out.next_due) out.next_due = t;
  };
  for (auto& ca : cas) {
    const std::string& status = ca.record.status;
    // Responders are no CAs: they sign no CRL and are renewed with their intermediate below.
    if (ca.IsOcspResponder()) continue;
    if (status != kCaActive && status != kCaPending && status != kCaRetired) continue;
    if (status == kCaRetired) {
      // Retired intermediates serve CRL/OCSP only while a leaf they signed is still valid.
      store::CertificateQuery q;
      q.issuer = ca.cert.Subject();
      ASSIGN_OR_RETURN(std::vector<store::CertificateRecord> leaves, store_.ListCertificates(q));
      TimePoint last = TimePoint::min();
      for (const auto& l : leaves) last = std::max(last, l.not_after);
      if (last <= now) {
        store::CaRecord rec = ca.record;
        rec.status = kCaDecommissioned;
        RETURN_IF_ERROR(ChangeCaRows([&](store::Store& tx) -> Status {
          RETURN_IF_ERROR(tx.PutCa(rec).status());
          // Its delegated OCSP responders go with it.
          for (const auto& r : cas) {
            if (r.IsOcspResponder() && r.record.status == kCaActive &&
                r.record.name.starts_with("ocsp-" + rec.name + "-")) {
              store::CaRecord retired = r.record;
              retired.status = kCaRetired;
              RETURN_IF_ERROR(tx.PutCa(retired).status());
            }
          }
          return tx
              .AppendEvent({0, now, "", "ca_decommissioned",
                            "retired intermediate " + rec.name +
                                " decommissioned: its last certificate has expired",
                            nlohmann::json{{"ca", rec.name}}.dump()})
              .status();
        }));
        out.decommissioned.push_back(rec.name);
        continue;
      }
    }
    // RFC 6960 §4.2.2.2: the delegated responder is renewed here too, so OCSP answers rarely
    // have to issue one. A failure leaves the intermediate signing its answers itself.
    if (auto responder = EnsureOcspResponder(ca, cas, now); !responder.ok()) {
      log::Warn("cannot issue the OCSP responder; the intermediate signs its OCSP answers",
                {{"ca", ca.record.name}, {"reason", responder.status().ToString()}});
    } else {
      if (responder->issued) out.ocsp_responders.push_back(responder->name);
      if (responder->renew_at) note_due(*responder->renew_at);
    }
    // Re-sign in the last third of the CRL's lifetime, so relying parties that fetch late
    // still find a fresh one before nextUpdate.
    TimePoint due = now;
    auto crl = store_.GetCrl(ca.record.id);
    if (crl.ok()) {
      due = crl->next_update - (crl->next_update - crl->this_update) / 3;
    } else if (crl.status().code() != StatusCode::kNotFound) {
      return crl.status();
    }
    if (now < due && (!crl.ok() || crl->this_update <= now)) {
      note_due(due);
      continue;
    }
    if (!ca.key) {
      out.stale.push_back(ca.record.name);
      log::Warn("CRL due but the CA key is offline",
                {{"ca", ca.record.name},
                 {"next_update", crl.ok() ? FormatRfc3339(crl->next_update) : "none"}});
      continue;
    }
    RETURN_IF_ERROR(
        store_.RunInTransaction([&](store::Store& tx) -> Status { return WriteCrl(tx, ca, now); }));
    out.refreshed.push_back(ca.record.name);
    note_due(now + CrlLifetime(ca) - CrlLifetime(ca) / 3);
  }
  return out;
}

Result<store::CrlRecord> Authority::CurrentCrl(std::string_view ca_name) {
  ASSIGN_OR_RETURN(std::vector<CaEntity> cas, LoadCas(store_, cache_, false));
  const CaEntity* ca = nullptr;
  if (ca_name.empty()) {
    ca = FindByStatus(cas, kRoleIntermediate, kCaActive);
    if (ca == nullptr) {
      return FailedPreconditionError(
          "the internal CA is not initialised: run `certkeeper ca init`");
    }
  } else {
    for (const auto& c : cas) {
      if (c.record.name == ca_name) ca = &c;
    }
    if (ca == nullptr) return NotFoundError("no CA named '" + std::string(ca_name) + "'");
  }
  return store_.GetCrl(ca->record.id);
}

Result<OcspStatus> Authority::LookupOcspStatus(const CaEntity& ca, const std::string& serial_hex) {
  OcspStatus st;
  auto revoked = store_.GetRevocation(ca.record.id, serial_hex);
  if (revoked.ok()) {
    st.status = OcspCertStatus::kRevoked;
    st.revoked_at = revoked->revoked_at;
    st.reason = static_cast<RevocationReason>(revoked->reason);
    return st;
  }
  if (revoked.status().code() != StatusCode::kNotFound) return revoked.status();
  store::CertificateQuery q;
  q.serial_hex = serial_hex;
  q.issuer = ca.cert.Subject();
  ASSIGN_OR_RETURN(std::vector<store::CertificateRecord> found, store_.ListCertificates(q));
  if (!found.empty()) {
    st.status = OcspCertStatus::kGood;
    return st;
  }
  if (ca.IsRoot()) {
    // The root's certificates are the intermediates.
    ASSIGN_OR_RETURN(std::vector<CaEntity> cas, LoadCas(store_, cache_, false));
    for (const auto& c : cas) {
      if (c.record.role == kRoleIntermediate && c.cert.SerialHex() == serial_hex) {
        st.status = OcspCertStatus::kGood;
        return st;
      }
    }
  }
  // RFC 6960 §2.2: "unknown" — not a certificate this CA issued (as far as we know).
  return st;
}

Result<OcspAnswer> Authority::AnswerOcspRequest(const Bytes& request_der, TimePoint now) {
  auto cas = LoadCas(store_, cache_, true);
  if (!cas.ok()) {
    log::Error("OCSP: cannot load the CA", {{"reason", cas.status().ToString()}});
    const bool retry = cas.status().code() == StatusCode::kUnavailable;
    ASSIGN_OR_RETURN(Bytes der, OcspErrorResponse(retry ? OcspResponseStatus::kTryLater
                                                        : OcspResponseStatus::kInternalError));
    return OcspAnswer{std::move(der),
                      retry ? OcspResponseStatus::kTryLater : OcspResponseStatus::kInternalError,
                      cas.status().ToString()};
  }
  std::vector<OcspIssuer> issuers;
  for (const auto& ca : *cas) {
    if (!ca.Serving()) continue;  // never an OCSP responder row
    OcspIssuer issuer{ca.record.id, ca.cert, *ca.key};
    // RFC 6960 §4.2.2.2: with delegation, the intermediate's responder signs (issued here
    // when RefreshCrlIfDue has not yet); without one the CA signs itself, as before.
    auto responder = EnsureOcspResponder(ca, *cas, now);
    if (!responder.ok()) {
      log::Warn("OCSP: no delegated responder; the CA signs itself",
                {{"ca", ca.record.name}, {"reason", responder.status().ToString()}});
    } else {
      issuer.signer = std::move(responder->signer);
    }
    issuers.push_back(std::move(issuer));
  }
  OcspStatusLookup lookup = [&](const OcspIssuer& issuer,
                                const std::string& serial_hex) -> Result<OcspStatus> {
    for (const auto& ca : *cas) {
      if (ca.record.id == issuer.id) return LookupOcspStatus(ca, serial_hex);
    }
    return InternalError("OCSP issuer vanished");
  };
  OcspResponderOptions options;
  options.now = now;
  options.validity = settings_.ocsp_lifetime;
  ASSIGN_OR_RETURN(OcspAnswer answer, AnswerOcsp(request_der, issuers, lookup, options));
  if (answer.status != OcspResponseStatus::kSuccessful) {
    log::Warn(
        "OCSP request not answered",
        {{"status", std::to_string(static_cast<int>(answer.status))}, {"detail", answer.detail}});
  }
  return answer;
}

Result<Bytes> Authority::RespondOcsp(const Bytes& request_der, TimePoint now) {
  ASSIGN_OR_RETURN(OcspAnswer answer, AnswerOcspRequest(request_der, now));
  return std::move(answer.der);
}

}  // namespace ck::ca
