#include "ca/crl_builder.hpp"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>

#include "ca/ca_handles.hpp"
#include "ca/cert_builder.hpp"
#include "pki/openssl_error.hpp"
#include "pki/x509_util.hpp"

namespace ck::ca {
namespace {

struct ReasonName {
  RevocationReason reason;
  std::string_view name;
};
constexpr ReasonName kReasons[] = {
    {RevocationReason::kUnspecified, "unspecified"},
    {RevocationReason::kKeyCompromise, "keyCompromise"},
    {RevocationReason::kCaCompromise, "cACompromise"},
    {RevocationReason::kAffiliationChanged, "affiliationChanged"},
    {RevocationReason::kSuperseded, "superseded"},
    {RevocationReason::kCessationOfOperation, "cessationOfOperation"},
    {RevocationReason::kCertificateHold, "certificateHold"},
    {RevocationReason::kRemoveFromCrl, "removeFromCRL"},
    {RevocationReason::kPrivilegeWithdrawn, "privilegeWithdrawn"},
    {RevocationReason::kAaCompromise, "aACompromise"},
};

std::string Fold(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != '-' && c != '_') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

Status Fail(std::string_view what) { return pki::OpenSslError(StatusCode::kInternal, what); }

}  // namespace

Result<RevocationReason> ParseRevocationReason(std::string_view text) {
  const std::string folded = Fold(text);
  for (const auto& r : kReasons) {
    if (Fold(r.name) != folded) continue;
    if (r.reason == RevocationReason::kCertificateHold ||
        r.reason == RevocationReason::kRemoveFromCrl) {
      return InvalidArgumentError("revocation reason '" + std::string(text) +
                                  "' is not supported: revocations by this CA are final");
    }
    return r.reason;
  }
  return InvalidArgumentError("unknown revocation reason '" + std::string(text) + "' (one of " +
                              RevocationReasonNames() + ")");
}

std::string_view RevocationReasonName(RevocationReason reason) {
  for (const auto& r : kReasons) {
    if (r.reason == reason) return r.name;
  }
  return "unspecified";
}

std::string RevocationReasonNames() {
  std::string out;
  for (const auto& r : kReasons) {
    if (r.reason == RevocationReason::kCertificateHold ||
        r.reason == RevocationReason::kRemoveFromCrl) {
      continue;
    }
    out += (out.empty() ? "" : ", ") + std::string(r.name);
  }
  return out;
}

Result<std::string> BuildCrlPem(const CrlSpec& spec, const pki::Certificate& issuer,
                                const pki::PrivateKey& key) {
  pki::ScopedOpenSslErrorClear clear;
  if (spec.next_update <= spec.this_update) {
    return InvalidArgumentError("CRL nextUpdate must be after thisUpdate");
  }
  pki::X509CrlPtr crl(X509_CRL_new());
  pki::Asn1TimePtr last(ASN1_TIME_set(nullptr, pki::ToTimeT(spec.this_update)));
  pki::Asn1TimePtr next(ASN1_TIME_set(nullptr, pki::ToTimeT(spec.next_update)));
  if (!crl || !last || !next || X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) != 1 ||
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer.get())) != 1 ||
      X509_CRL_set1_lastUpdate(crl.get(), last.get()) != 1 ||
      X509_CRL_set1_nextUpdate(crl.get(), next.get()) != 1) {
    return Fail("CRL header");
  }
  for (const auto& e : spec.entries) {
    X509RevokedPtr rev(X509_REVOKED_new());
    BIGNUM* raw = nullptr;
    if (BN_hex2bn(&raw, e.serial_hex.c_str()) == 0) {
      return InvalidArgumentError("CRL entry: bad serial '" + e.serial_hex + "'");
    }
    pki::BignumPtr bn(raw);
    pki::Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
    pki::Asn1TimePtr when(ASN1_TIME_set(nullptr, pki::ToTimeT(e.revoked_at)));
    if (!rev || !serial || !when || X509_REVOKED_set_serialNumber(rev.get(), serial.get()) != 1 ||
        X509_REVOKED_set_revocationDate(rev.get(), when.get()) != 1) {
      return Fail("CRL entry");
    }
    if (e.reason != RevocationReason::kUnspecified) {
      Asn1EnumeratedPtr code(ASN1_ENUMERATED_new());
      if (!code || ASN1_ENUMERATED_set(code.get(), static_cast<long>(e.reason)) != 1 ||
          X509_REVOKED_add1_ext_i2d(rev.get(), NID_crl_reason, code.get(), 0, 0) != 1) {
        return Fail("CRL reason code");
      }
    }
    if (X509_CRL_add0_revoked(crl.get(), rev.get()) != 1) return Fail("CRL add entry");
    rev.release();
  }
  X509_CRL_sort(crl.get());

  // RFC 5280 §5.2.1: conforming CRL issuers MUST include the authority key identifier.
  // An imported CA without a subjectKeyIdentifier gets the RFC 5280 §4.2.1.2 method 1 value.
  AuthorityKeyIdPtr akid(AUTHORITY_KEYID_new());
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(issuer.get());
  if (!akid) return Fail("AUTHORITY_KEYID_new");
  if (ski != nullptr) {
    akid->keyid = ASN1_OCTET_STRING_dup(ski);
  } else if (X509_pubkey_digest(issuer.get(), EVP_sha1(), md, &md_len) == 1 &&
             (akid->keyid = ASN1_OCTET_STRING_new()) != nullptr) {
    ASN1_OCTET_STRING_set(akid->keyid, md, static_cast<int>(md_len));
  }
  if (akid->keyid == nullptr ||
      X509_CRL_add1_ext_i2d(crl.get(), NID_authority_key_identifier, akid.get(), 0, 0) != 1) {
    return Fail("CRL authority key identifier");
  }
  // RFC 5280 §5.2.3: cRLNumber, monotonically increasing.
  pki::Asn1IntegerPtr number(ASN1_INTEGER_new());
  if (!number || ASN1_INTEGER_set_int64(number.get(), spec.crl_number) != 1 ||
      X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number.get(), 0, 0) != 1) {
    return Fail("CRL number");
  }
  if (X509_CRL_sign(crl.get(), key.get(), SigningDigest(key)) <= 0) return Fail("sign CRL");

  pki::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509_CRL(bio.get(), crl.get()) != 1) return Fail("CRL PEM");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

}  // namespace ck::ca
