#include "ca/ocsp_responder.hpp"

#include <openssl/ocsp.h>

#include <algorithm>

#include "ca/ca_handles.hpp"
#include "ca/cert_builder.hpp"
#include "common/log.hpp"
#include "pki/der_util.hpp"
#include "pki/openssl_error.hpp"
#include "pki/x509_util.hpp"

namespace ck::ca {
namespace {

Result<Bytes> EncodeResponse(const OCSP_RESPONSE* resp) {
  Bytes der = pki::EncodeDer([&](unsigned char** out) {
    return i2d_OCSP_RESPONSE(const_cast<OCSP_RESPONSE*>(resp), out);
  });
  if (der.empty()) return InternalError("cannot encode the OCSP response");
  return der;
}

Result<OcspAnswer> Refuse(OcspResponseStatus status, std::string detail) {
  ASSIGN_OR_RETURN(Bytes der, OcspErrorResponse(status));
  return OcspAnswer{std::move(der), status, std::move(detail)};
}

// Does `cid` (from a request) name `issuer` as the issuing CA? Compared with the request's own
// hash algorithm, so SHA-1 (what most clients send) and SHA-256 both work.
bool NamesIssuer(const OCSP_CERTID* cid, const pki::Certificate& issuer) {
  ASN1_OBJECT* md_obj = nullptr;
  if (OCSP_id_get0_info(nullptr, &md_obj, nullptr, nullptr, const_cast<OCSP_CERTID*>(cid)) != 1) {
    return false;
  }
  const EVP_MD* md = EVP_get_digestbyobj(md_obj);
  if (md == nullptr) return false;
  OcspCertIdPtr ours(OCSP_cert_to_id(md, nullptr, issuer.get()));
  return ours && OCSP_id_issuer_cmp(ours.get(), cid) == 0;
}

}  // namespace

Result<Bytes> OcspErrorResponse(OcspResponseStatus status) {
  OcspResponsePtr resp(OCSP_response_create(static_cast<int>(status), nullptr));
  if (!resp) return pki::OpenSslError(StatusCode::kInternal, "OCSP_response_create");
  return EncodeResponse(resp.get());
}

Result<OcspAnswer> AnswerOcsp(const Bytes& request_der, const std::vector<OcspIssuer>& issuers,
                              const OcspStatusLookup& lookup, const OcspResponderOptions& options) {
  pki::ScopedOpenSslErrorClear clear;
  auto parsed = pki::DecodeDerExact<OcspRequestPtr>(
      request_der.data(), request_der.size(), "OCSP request",
      [](const unsigned char** p, long len) { return d2i_OCSP_REQUEST(nullptr, p, len); });
  if (!parsed.ok()) return Refuse(OcspResponseStatus::kMalformedRequest, parsed.status().message());
  OCSP_REQUEST* req = parsed->get();
  const int count = OCSP_request_onereq_count(req);
  if (count <= 0 || static_cast<size_t>(count) > options.max_requests) {
    return Refuse(OcspResponseStatus::kMalformedRequest,
                  "OCSP request holds " + std::to_string(count) + " single requests (1.." +
                      std::to_string(options.max_requests) + " accepted)");
  }
  const OCSP_CERTID* first = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, 0));
  const OcspIssuer* signer = nullptr;
  for (const auto& issuer : issuers) {
    if (NamesIssuer(first, issuer.cert)) {
      signer = &issuer;
      break;
    }
  }
  // RFC 6960 §2.3: "unauthorized" when the server cannot answer for that CA.
  if (signer == nullptr) {
    return Refuse(OcspResponseStatus::kUnauthorized,
                  "the request names no CA this responder serves");
  }

  OcspBasicRespPtr basic(OCSP_BASICRESP_new());
  pki::Asn1TimePtr this_update(ASN1_TIME_set(nullptr, pki::ToTimeT(options.now)));
  // A delegated responder's answer ends with its certificate: after that no client can check
  // the signature, so a cached answer would be useless anyway.
  TimePoint next = options.now + options.validity;
  if (signer->signer) next = std::min(next, signer->signer->cert.NotAfter());
  pki::Asn1TimePtr next_update(ASN1_TIME_set(nullptr, pki::ToTimeT(next)));
  if (!basic || !this_update || !next_update) {
    return Refuse(OcspResponseStatus::kInternalError, pki::DrainOpenSslErrors());
  }
  for (int i = 0; i < count; ++i) {
    OCSP_CERTID* cid = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, i));
    // One signature covers the whole response, and a CA speaks only for its own certificates
    // (RFC 6960 §4.2.2.2), so every single request must name the same CA.
    if (!NamesIssuer(cid, signer->cert)) {
      return Refuse(OcspResponseStatus::kUnauthorized,
                    "single requests name different CAs; ask about one CA's certificates at a "
                    "time");
    }
    OcspStatus st;
    {
      ASN1_INTEGER* serial = nullptr;
      OCSP_id_get0_info(nullptr, nullptr, nullptr, &serial, cid);
      const std::string serial_hex = pki::Asn1IntegerToHex(serial);
      if (serial_hex.empty() || serial_hex.front() == '-') {
        return Refuse(OcspResponseStatus::kMalformedRequest, "bad serial number in request");
      }
      auto looked_up = lookup(*signer, serial_hex);
      if (!looked_up.ok()) {
        const bool retry = looked_up.status().code() == StatusCode::kUnavailable;
        return Refuse(retry ? OcspResponseStatus::kTryLater : OcspResponseStatus::kInternalError,
                      looked_up.status().ToString());
      }
      st = *looked_up;
    }
    int status = V_OCSP_CERTSTATUS_UNKNOWN;
    int reason = OCSP_REVOKED_STATUS_NOSTATUS;
    pki::Asn1TimePtr revoked_at;
    if (st.status == OcspCertStatus::kGood) {
      status = V_OCSP_CERTSTATUS_GOOD;
    } else if (st.status == OcspCertStatus::kRevoked) {
      status = V_OCSP_CERTSTATUS_REVOKED;
      revoked_at.reset(ASN1_TIME_set(nullptr, pki::ToTimeT(st.revoked_at)));
      // As in the CRL (RFC 5280 §5.3.1), an unspecified reason is left out.
      if (st.reason != RevocationReason::kUnspecified) reason = static_cast<int>(st.reason);
    }
    if (OCSP_basic_add1_status(basic.get(), cid, status, reason, revoked_at.get(),
                               this_update.get(), next_update.get()) == nullptr) {
      return Refuse(OcspResponseStatus::kInternalError, pki::DrainOpenSslErrors());
    }
  }
  // RFC 8954 / RFC 6960 §4.4.1: echo the nonce (OCSP_copy_nonce returns 2 when there is none).
  if (OCSP_copy_nonce(basic.get(), req) <= 0) {
    return Refuse(OcspResponseStatus::kInternalError, pki::DrainOpenSslErrors());
  }
  // producedAt comes from the caller's clock, not OpenSSL's (OCSP_NOTIME below): the field is
  // owned by `basic`, only the accessor is const.
  auto* produced = const_cast<ASN1_GENERALIZEDTIME*>(OCSP_resp_get0_produced_at(basic.get()));
  // RFC 6960 §4.2.2.2: a delegated responder signs, and its certificate travels in `certs`
  // (OCSP_basic_sign adds the signer's) together with the issuing CA's, which the client
  // needs to chain the responder to the root it trusts.
  const pki::Certificate& sign_cert = signer->signer ? signer->signer->cert : signer->cert;
  const pki::PrivateKey& sign_key = signer->signer ? signer->signer->key : signer->key;
  pki::StackOfX509Ptr extra(sk_X509_new_null());
  if (!extra) return Refuse(OcspResponseStatus::kInternalError, pki::DrainOpenSslErrors());
  if (signer->signer) {
    // The stack owns a reference of its own.
    X509_up_ref(signer->cert.get());
    pki::X509Ptr ref(signer->cert.get());
    if (sk_X509_push(extra.get(), ref.get()) <= 0) {
      return Refuse(OcspResponseStatus::kInternalError, pki::DrainOpenSslErrors());
    }
    ref.release();
  }
  if (produced == nullptr ||
      ASN1_GENERALIZEDTIME_set(produced, pki::ToTimeT(options.now)) == nullptr ||
      OCSP_basic_sign(basic.get(), sign_cert.get(), sign_key.get(), SigningDigest(sign_key),
                      signer->signer ? extra.get() : nullptr, OCSP_NOTIME | OCSP_RESPID_KEY) != 1) {
    return Refuse(OcspResponseStatus::kInternalError,
                  "sign OCSP response: " + pki::DrainOpenSslErrors());
  }
  OcspResponsePtr resp(OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()));
  if (!resp) return Refuse(OcspResponseStatus::kInternalError, pki::DrainOpenSslErrors());
  ASSIGN_OR_RETURN(Bytes der, EncodeResponse(resp.get()));
  return OcspAnswer{std::move(der), OcspResponseStatus::kSuccessful, ""};
}

}  // namespace ck::ca
