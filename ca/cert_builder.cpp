#include "ca/cert_builder.hpp"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "ca/ca_handles.hpp"
#include "ca/name_policy.hpp"
#include "pki/der_util.hpp"
#include "pki/openssl_error.hpp"
#include "pki/x509_util.hpp"

namespace ck::ca {
namespace {

using pki::OpenSslError;

Status Fail(std::string_view what) { return OpenSslError(StatusCode::kInternal, what); }

// Adds `value` (an OpenSSL extension structure) as extension `nid`.
Status AddExtension(X509* x, int nid, void* value, bool critical) {
  if (X509_add1_ext_i2d(x, nid, value, critical ? 1 : 0, X509V3_ADD_DEFAULT) != 1) {
    return Fail("add extension " + std::string(OBJ_nid2sn(nid)));
  }
  return OkStatus();
}

Status AddNameEntry(X509_NAME* name, int nid, const std::string& value) {
  if (value.empty()) return OkStatus();
  if (X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(value.data()),
                                 static_cast<int>(value.size()), -1, 0) != 1) {
    return OpenSslError(StatusCode::kInvalidArgument,
                        std::string(OBJ_nid2sn(nid)) + " '" + value + "' cannot be encoded");
  }
  return OkStatus();
}

Result<GeneralNamePtr> UriName(const std::string& uri) {
  GeneralNamePtr gn(GENERAL_NAME_new());
  pki::Asn1StringPtr s(ASN1_IA5STRING_new());
  if (!gn || !s || ASN1_STRING_set(s.get(), uri.data(), static_cast<int>(uri.size())) != 1) {
    return Fail("URI name");
  }
  GENERAL_NAME_set0_value(gn.get(), GEN_URI, s.release());
  return gn;
}

// A GENERAL_NAME of an IA5String type (DNS, URI, email) or an IP constraint (address+mask).
Result<GeneralNamePtr> ConstraintName(int type, const std::string& value) {
  GeneralNamePtr gn(GENERAL_NAME_new());
  if (!gn) return Fail("GENERAL_NAME_new");
  if (type == GEN_IPADD) {
    ASSIGN_OR_RETURN(IpRange range, ParseIpRange(value));
    std::vector<uint8_t> bytes = range.ConstraintBytes();
    pki::Asn1OctetStringPtr oct(ASN1_OCTET_STRING_new());
    if (!oct ||
        ASN1_OCTET_STRING_set(oct.get(), bytes.data(), static_cast<int>(bytes.size())) != 1) {
      return Fail("IP constraint");
    }
    GENERAL_NAME_set0_value(gn.get(), GEN_IPADD, oct.release());
    return gn;
  }
  pki::Asn1StringPtr s(ASN1_IA5STRING_new());
  if (!s || ASN1_STRING_set(s.get(), value.data(), static_cast<int>(value.size())) != 1) {
    return Fail("name constraint");
  }
  GENERAL_NAME_set0_value(gn.get(), type, s.release());
  return gn;
}

Status AddSubtrees(STACK_OF(GENERAL_SUBTREE) * *stack, int type,
                   const std::vector<std::string>& values) {
  for (const auto& v : values) {
    if (*stack == nullptr && (*stack = sk_GENERAL_SUBTREE_new_null()) == nullptr) {
      return Fail("subtree stack");
    }
    GeneralSubtreePtr sub(GENERAL_SUBTREE_new());
    if (!sub) return Fail("GENERAL_SUBTREE_new");
    ASSIGN_OR_RETURN(GeneralNamePtr gn, ConstraintName(type, v));
    GENERAL_NAME_free(sub->base);
    sub->base = gn.release();
    if (sk_GENERAL_SUBTREE_push(*stack, sub.get()) <= 0) return Fail("subtree push");
    sub.release();
  }
  return OkStatus();
}

Result<NameConstraintsPtr> BuildNameConstraints(const NameConstraints& nc) {
  RETURN_IF_ERROR(ValidateNameConstraints(nc));
  NameConstraintsPtr out(NAME_CONSTRAINTS_new());
  if (!out) return Fail("NAME_CONSTRAINTS_new");
  RETURN_IF_ERROR(AddSubtrees(&out->permittedSubtrees, GEN_DNS, nc.permitted_dns));
  RETURN_IF_ERROR(AddSubtrees(&out->permittedSubtrees, GEN_IPADD, nc.permitted_ip));
  RETURN_IF_ERROR(AddSubtrees(&out->permittedSubtrees, GEN_URI, nc.permitted_uri));
  RETURN_IF_ERROR(AddSubtrees(&out->permittedSubtrees, GEN_EMAIL, nc.permitted_email));
  RETURN_IF_ERROR(AddSubtrees(&out->excludedSubtrees, GEN_DNS, nc.excluded_dns));
  RETURN_IF_ERROR(AddSubtrees(&out->excludedSubtrees, GEN_IPADD, nc.excluded_ip));
  RETURN_IF_ERROR(AddSubtrees(&out->excludedSubtrees, GEN_URI, nc.excluded_uri));
  RETURN_IF_ERROR(AddSubtrees(&out->excludedSubtrees, GEN_EMAIL, nc.excluded_email));
  return out;
}

bool IsCaKind(CertKind kind) { return kind == CertKind::kRoot || kind == CertKind::kIntermediate; }

Status AddBasicConstraints(X509* x, const CertTemplate& t) {
  BasicConstraintsPtr bc(BASIC_CONSTRAINTS_new());
  if (!bc) return Fail("BASIC_CONSTRAINTS_new");
  if (IsCaKind(t.kind)) {
    bc->ca = 0xff;
    if (t.path_length) {
      bc->pathlen = ASN1_INTEGER_new();
      if (bc->pathlen == nullptr || ASN1_INTEGER_set(bc->pathlen, *t.path_length) != 1) {
        return Fail("pathlen");
      }
    }
  }
  return AddExtension(x, NID_basic_constraints, bc.get(), true);
}

Status AddKeyUsage(X509* x, const CertTemplate& t, const pki::PublicKey& subject_key) {
  Asn1BitStringPtr ku(ASN1_BIT_STRING_new());
  if (!ku) return Fail("ASN1_BIT_STRING_new");
  // RFC 5280 §4.2.1.3 bit numbers.
  constexpr int kDigitalSignature = 0, kKeyEncipherment = 2, kKeyCertSign = 5, kCrlSign = 6;
  std::vector<int> bits;
  if (t.kind == CertKind::kOcspResponder) {
    bits.push_back(kDigitalSignature);  // it signs OCSP responses and nothing else
  } else if (t.kind == CertKind::kLeaf) {
    bits.push_back(kDigitalSignature);
    // TLS 1.2 RSA key exchange encrypts to the certificate's key.
    if (EVP_PKEY_get_base_id(subject_key.get()) == EVP_PKEY_RSA) bits.push_back(kKeyEncipherment);
  } else {
    if (t.kind == CertKind::kIntermediate) bits.push_back(kDigitalSignature);
    bits.push_back(kKeyCertSign);
    bits.push_back(kCrlSign);
  }
  for (int b : bits) {
    if (ASN1_BIT_STRING_set_bit(ku.get(), b, 1) != 1) return Fail("key usage bit");
  }
  return AddExtension(x, NID_key_usage, ku.get(), true);
}

Status AddExtendedKeyUsage(X509* x, const std::vector<ExtendedKeyUsage>& ekus) {
  if (ekus.empty()) return OkStatus();
  ExtendedKeyUsagePtr eku(sk_ASN1_OBJECT_new_null());
  if (!eku) return Fail("EKU stack");
  for (ExtendedKeyUsage e : ekus) {
    ASN1_OBJECT* obj =
        OBJ_nid2obj(e == ExtendedKeyUsage::kServerAuth ? NID_server_auth : NID_client_auth);
    if (obj == nullptr || sk_ASN1_OBJECT_push(eku.get(), obj) <= 0) return Fail("EKU");
  }
  return AddExtension(x, NID_ext_key_usage, eku.get(), false);
}

// RFC 6960 §4.2.2.2: a delegated responder's certificate carries id-kp-OCSPSigning (and no
// other purpose); §4.2.2.2.1: id-pkix-ocsp-nocheck (value NULL) tells clients not to ask
// about the responder's own status. Its short lifetime is what bounds a compromise.
Status AddOcspResponderExtensions(X509* x) {
  ExtendedKeyUsagePtr eku(sk_ASN1_OBJECT_new_null());
  ASN1_OBJECT* obj = OBJ_nid2obj(NID_OCSP_sign);
  if (!eku || obj == nullptr || sk_ASN1_OBJECT_push(eku.get(), obj) <= 0) {
    return Fail("OCSP signing EKU");
  }
  RETURN_IF_ERROR(AddExtension(x, NID_ext_key_usage, eku.get(), false));
  Asn1NullPtr null_value(ASN1_NULL_new());
  if (!null_value) return Fail("ASN1_NULL_new");
  return AddExtension(x, NID_id_pkix_OCSP_noCheck, null_value.get(), false);
}

// RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING.
Result<Bytes> KeyIdOf(const X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_pubkey_digest(cert, EVP_sha1(), md, &len) != 1) return Fail("key identifier");
  return Bytes(md, md + len);
}

Status AddKeyIdentifiers(X509* x, const X509* issuer) {
  ASSIGN_OR_RETURN(Bytes ski, KeyIdOf(x));
  pki::Asn1OctetStringPtr ski_oct(ASN1_OCTET_STRING_new());
  if (!ski_oct ||
      ASN1_OCTET_STRING_set(ski_oct.get(), ski.data(), static_cast<int>(ski.size())) != 1) {
    return Fail("SKI");
  }
  RETURN_IF_ERROR(AddExtension(x, NID_subject_key_identifier, ski_oct.get(), false));
  Bytes aki = ski;
  if (issuer != nullptr) {
    if (const ASN1_OCTET_STRING* id = X509_get0_subject_key_id(const_cast<X509*>(issuer))) {
      aki.assign(ASN1_STRING_get0_data(id), ASN1_STRING_get0_data(id) + ASN1_STRING_length(id));
    } else {
      ASSIGN_OR_RETURN(aki, KeyIdOf(issuer));
    }
  }
  AuthorityKeyIdPtr akid(AUTHORITY_KEYID_new());
  if (!akid || (akid->keyid = ASN1_OCTET_STRING_new()) == nullptr ||
      ASN1_OCTET_STRING_set(akid->keyid, aki.data(), static_cast<int>(aki.size())) != 1) {
    return Fail("AKI");
  }
  return AddExtension(x, NID_authority_key_identifier, akid.get(), false);
}

Status AddSubjectAltNames(X509* x, const std::vector<pki::SubjectAltName>& sans, bool critical) {
  if (sans.empty()) return OkStatus();
  pki::SanRequest req;
  for (const auto& san : sans) {
    switch (san.type) {
      case pki::SanType::kDns: req.dns_names.push_back(san.value); break;
      case pki::SanType::kIp: req.ip_addresses.push_back(san.value); break;
      case pki::SanType::kUri: req.uris.push_back(san.value); break;
      case pki::SanType::kEmail: req.emails.push_back(san.value); break;
      default:
        return InvalidArgumentError("SAN type " + std::string(pki::SanTypeName(san.type)) +
                                    " cannot be issued");
    }
  }
  ASSIGN_OR_RETURN(GeneralNamesPtr names, pki::BuildGeneralNames(req));
  // RFC 5280 §4.2.1.6: critical when the subject is empty.
  return AddExtension(x, NID_subject_alt_name, names.get(), critical);
}

Status AddDistributionPoint(X509* x, const std::string& url) {
  if (url.empty()) return OkStatus();
  CrlDistPointsPtr cdp(sk_DIST_POINT_new_null());
  DistPointPtr dp(DIST_POINT_new());
  if (!cdp || !dp || (dp->distpoint = DIST_POINT_NAME_new()) == nullptr ||
      (dp->distpoint->name.fullname = GENERAL_NAMES_new()) == nullptr) {
    return Fail("CRL distribution point");
  }
  dp->distpoint->type = 0;  // fullName
  ASSIGN_OR_RETURN(GeneralNamePtr gn, UriName(url));
  if (sk_GENERAL_NAME_push(dp->distpoint->name.fullname, gn.get()) <= 0) return Fail("CDP name");
  gn.release();
  if (sk_DIST_POINT_push(cdp.get(), dp.get()) <= 0) return Fail("CDP push");
  dp.release();
  return AddExtension(x, NID_crl_distribution_points, cdp.get(), false);
}

Status AddAuthorityInfoAccess(X509* x, const std::string& ocsp, const std::string& issuers) {
  if (ocsp.empty() && issuers.empty()) return OkStatus();
  AuthorityInfoAccessPtr aia(sk_ACCESS_DESCRIPTION_new_null());
  if (!aia) return Fail("AIA");
  for (auto [nid, url] : {std::pair{NID_ad_OCSP, &ocsp}, std::pair{NID_ad_ca_issuers, &issuers}}) {
    if (url->empty()) continue;
    AccessDescriptionPtr ad(ACCESS_DESCRIPTION_new());
    if (!ad) return Fail("ACCESS_DESCRIPTION_new");
    ASN1_OBJECT_free(ad->method);
    ad->method = OBJ_nid2obj(nid);
    ASSIGN_OR_RETURN(GeneralNamePtr gn, UriName(*url));
    GENERAL_NAME_free(ad->location);
    ad->location = gn.release();
    if (sk_ACCESS_DESCRIPTION_push(aia.get(), ad.get()) <= 0) return Fail("AIA push");
    ad.release();
  }
  return AddExtension(x, NID_info_access, aia.get(), false);
}

}  // namespace

const EVP_MD* SigningDigest(const pki::PrivateKey& key) {
  const int id = EVP_PKEY_get_base_id(key.get());
  if (id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448) return nullptr;
  const int bits = EVP_PKEY_get_bits(key.get());
  if (id == EVP_PKEY_EC && bits > 384) return EVP_sha512();
  if (id == EVP_PKEY_EC && bits > 256) return EVP_sha384();
  return EVP_sha256();
}

Result<Bytes> EncodeNameConstraints(const NameConstraints& nc) {
  ASSIGN_OR_RETURN(NameConstraintsPtr ptr, BuildNameConstraints(nc));
  return pki::EncodeDer([&](unsigned char** out) {
    return ASN1_item_i2d(reinterpret_cast<ASN1_VALUE*>(ptr.get()), out,
                         ASN1_ITEM_rptr(NAME_CONSTRAINTS));
  });
}

Result<pki::Certificate> SignCertificate(const CertTemplate& t, const pki::PublicKey& subject_key,
                                         const pki::Certificate* issuer,
                                         const pki::PrivateKey& signing_key) {
  pki::ScopedOpenSslErrorClear clear;
  if (t.serial.empty()) return InvalidArgumentError("certificate template has no serial");
  if (t.not_after <= t.not_before) {
    return InvalidArgumentError("certificate validity ends before it begins");
  }
  pki::X509Ptr x(X509_new());
  if (!x || X509_set_version(x.get(), X509_VERSION_3) != 1) return Fail("X509_new");
  pki::BignumPtr serial(BN_bin2bn(t.serial.data(), static_cast<int>(t.serial.size()), nullptr));
  if (!serial || BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(x.get())) == nullptr) {
    return Fail("serial");
  }
  X509_NAME* subject = X509_get_subject_name(x.get());
  if (t.kind != CertKind::kLeaf)
    RETURN_IF_ERROR(AddNameEntry(subject, NID_organizationName, t.organization));
  RETURN_IF_ERROR(AddNameEntry(subject, NID_commonName, t.common_name));
  if (X509_set_issuer_name(
          x.get(), issuer != nullptr ? X509_get_subject_name(issuer->get()) : subject) != 1 ||
      ASN1_TIME_set(X509_getm_notBefore(x.get()), pki::ToTimeT(t.not_before)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(x.get()), pki::ToTimeT(t.not_after)) == nullptr ||
      X509_set_pubkey(x.get(), subject_key.get()) != 1) {
    return Fail("issuer/validity/public key");
  }
  RETURN_IF_ERROR(AddBasicConstraints(x.get(), t));
  RETURN_IF_ERROR(AddKeyUsage(x.get(), t, subject_key));
  if (t.kind == CertKind::kLeaf) RETURN_IF_ERROR(AddExtendedKeyUsage(x.get(), t.ekus));
  if (t.kind == CertKind::kOcspResponder) RETURN_IF_ERROR(AddOcspResponderExtensions(x.get()));
  RETURN_IF_ERROR(AddKeyIdentifiers(x.get(), issuer != nullptr ? issuer->get() : nullptr));
  if (t.kind == CertKind::kLeaf) {
    RETURN_IF_ERROR(AddSubjectAltNames(x.get(), t.sans, t.common_name.empty()));
  }
  if (IsCaKind(t.kind) && t.name_constraints && !t.name_constraints->empty()) {
    ASSIGN_OR_RETURN(NameConstraintsPtr nc, BuildNameConstraints(*t.name_constraints));
    // RFC 5280 §4.2.1.10: conforming CAs MUST mark this extension as critical.
    RETURN_IF_ERROR(AddExtension(x.get(), NID_name_constraints, nc.get(), true));
  }
  RETURN_IF_ERROR(AddDistributionPoint(x.get(), t.crl_url));
  RETURN_IF_ERROR(AddAuthorityInfoAccess(x.get(), t.ocsp_url, t.ca_issuers_url));
  if (X509_sign(x.get(), signing_key.get(), SigningDigest(signing_key)) <= 0) {
    return Fail("sign certificate");
  }
  // Round-trip through DER: the result is exactly what relying parties will parse.
  Bytes der = pki::EncodeDer([&](unsigned char** out) { return i2d_X509(x.get(), out); });
  if (der.empty()) return Fail("encode certificate");
  return pki::Certificate::FromDer(der);
}

Status CheckNameConstraints(const pki::Certificate& leaf,
                            const std::vector<pki::Certificate>& issuers) {
  pki::ScopedOpenSslErrorClear clear;
  // NAME_CONSTRAINTS_check reads the SANs from OpenSSL's extension cache, which a freshly
  // decoded certificate fills only when asked.
  X509_get_extension_flags(leaf.get());
  for (const auto& ca : issuers) {
    NameConstraintsPtr nc(static_cast<NAME_CONSTRAINTS*>(
        X509_get_ext_d2i(ca.get(), NID_name_constraints, nullptr, nullptr)));
    if (!nc) continue;
    int rc = NAME_CONSTRAINTS_check(leaf.get(), nc.get());
    if (rc == X509_V_OK) rc = NAME_CONSTRAINTS_check_CN(leaf.get(), nc.get());
    if (rc == X509_V_OK) continue;
    // Find the name at fault: check each SAN alone in an otherwise empty certificate.
    std::string culprit = "the subject common name '" + leaf.CommonName() + "'";
    for (const auto& san : leaf.SubjectAltNames()) {
      pki::X509Ptr probe(X509_new());
      if (!probe || !AddSubjectAltNames(probe.get(), {san}, true).ok()) break;
      X509_get_extension_flags(probe.get());
      if (NAME_CONSTRAINTS_check(probe.get(), nc.get()) != X509_V_OK) {
        culprit = pki::FormatSan(san);
        break;
      }
    }
    return PermissionDeniedError(culprit + " violates the name constraints of CA '" + ca.Subject() +
                                 "' (" + X509_verify_cert_error_string(rc) + ")");
  }
  return OkStatus();
}

}  // namespace ck::ca
