#include "pki/csr_parts.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include <cstring>

#include "pki/der_oids.hpp"
#include "pki/der_reader.hpp"
#include "pki/handles.hpp"
#include "pki/openssl_error.hpp"
#include "pki/x509_util.hpp"

namespace ck::pki {
namespace {

Status NotHere(std::string_view why) {
  return UnimplementedError("CSR fast path: " + std::string(why));
}

using der::Element;
using der::Next;

using der::kBitString;
using der::kInteger;
using der::kOid;
using der::kSequence;
using der::kSet;
constexpr uint8_t kAttributes = der::Explicit(0);  // [0] IMPLICIT SET OF Attribute
constexpr uint8_t kExtensionRequest[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x0e};

// Fetched once: an implicit fetch looks the provider up on every use.
const EVP_MD* Digest(bool sha384) {
  static EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  static EVP_MD* sha384_md = EVP_MD_fetch(nullptr, "SHA384", nullptr);
  return sha384 ? sha384_md : sha256;
}

// The SANs of an extensionRequest attribute's value set.
Result<std::vector<SubjectAltName>> SansOf(const Element& values) {
  const uint8_t* p = values.content;
  Element exts;
  if (!Next(p, values.end(), kSequence, &exts) || p != values.end()) {
    return NotHere("extensionRequest is not one Extensions value");
  }
  const unsigned char* q = exts.start;
  StackOfX509ExtensionPtr parsed(d2i_X509_EXTENSIONS(nullptr, &q, static_cast<long>(exts.size())));
  if (!parsed || q != exts.end()) return NotHere("extensions do not parse");
  int crit = 0;
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509V3_get_d2i(parsed.get(), NID_subject_alt_name, &crit, nullptr)));
  if (!names) {
    if (crit == -1) return std::vector<SubjectAltName>{};  // no subjectAltName
    return NotHere("subjectAltName repeated or malformed");
  }
  return DecodeGeneralNames(names.get());
}

}  // namespace

Result<CsrParts> VerifiedEcCsrParts(const Bytes& der) {
  ScopedOpenSslErrorClear clear;
  const uint8_t* p = der.data();
  const uint8_t* const end = der.data() + der.size();
  Element request, info, version, subject, spki, algorithm, key_oid, curve, bits;
  if (!Next(p, end, kSequence, &request) || p != end) return NotHere("not one SEQUENCE");
  p = request.content;
  if (!Next(p, request.end(), kSequence, &info)) return NotHere("no request info");
  const uint8_t* after_info = p;

  // CertificationRequestInfo ::= SEQUENCE { version 0, subject, subjectPKInfo, [0] attributes }
  p = info.content;
  static const uint8_t kVersion1[] = {0x00};
  if (!Next(p, info.end(), kInteger, &version) || !version.Is(kVersion1, 1)) {
    return NotHere("version is not v1");
  }
  if (!Next(p, info.end(), kSequence, &subject)) return NotHere("no subject");
  if (!Next(p, info.end(), kSequence, &spki)) return NotHere("no subjectPKInfo");
  const uint8_t* attributes_at = p;
  {
    const uint8_t* k = spki.content;
    if (!Next(k, spki.end(), kSequence, &algorithm) || !Next(k, spki.end(), kBitString, &bits) ||
        k != spki.end()) {
      return NotHere("subjectPKInfo shape");
    }
    const uint8_t* a = algorithm.content;
    if (!Next(a, algorithm.end(), kOid, &key_oid) || !key_oid.Is(der::oid::kIdEcPublicKey) ||
        !Next(a, algorithm.end(), kOid, &curve) || a != algorithm.end()) {
      return NotHere("not a named-curve EC key");
    }
  }
  if (der::oid::CurveByOid(curve.content, curve.len) == nullptr) {
    return NotHere("not a P-256, P-384 or P-521 key");
  }
  if (bits.len < 2 || bits.content[0] != 0) return NotHere("public key bits");

  CsrParts parts;
  p = attributes_at;
  if (p != info.end()) {
    Element attributes;
    if (!Next(p, info.end(), kAttributes, &attributes) || p != info.end()) {
      return NotHere("request info has trailing data");
    }
    bool seen_extension_request = false;
    for (const uint8_t* a = attributes.content; a != attributes.end();) {
      Element attribute, type, values;
      if (!Next(a, attributes.end(), kSequence, &attribute)) return NotHere("attribute shape");
      const uint8_t* t = attribute.content;
      if (!Next(t, attribute.end(), kOid, &type) || !Next(t, attribute.end(), kSet, &values) ||
          t != attribute.end()) {
        return NotHere("attribute shape");
      }
      if (!type.Is(kExtensionRequest, sizeof kExtensionRequest)) continue;
      if (seen_extension_request) return NotHere("extensionRequest repeated");
      seen_extension_request = true;
      ASSIGN_OR_RETURN(parts.sans, SansOf(values));
    }
  }

  // signatureAlgorithm (no parameters for ECDSA) and the signature BIT STRING.
  p = after_info;
  Element sig_algorithm, sig_oid, signature;
  if (!Next(p, request.end(), kSequence, &sig_algorithm) ||
      !Next(p, request.end(), kBitString, &signature) || p != request.end()) {
    return NotHere("signature shape");
  }
  const uint8_t* s = sig_algorithm.content;
  if (!Next(s, sig_algorithm.end(), kOid, &sig_oid) || s != sig_algorithm.end()) {
    return NotHere("signature algorithm shape");
  }
  const bool sha384 = sig_oid.Is(der::oid::kEcdsaWithSha384);
  if (!sha384 && !sig_oid.Is(der::oid::kEcdsaWithSha256)) {
    return NotHere("signature algorithm is not ecdsa-with-SHA256/384");
  }
  if (signature.len < 2 || signature.content[0] != 0) return NotHere("signature bits");

  // The subject's common name (OpenSSL parses the Name: its string types are many).
  const unsigned char* n = subject.start;
  X509NamePtr name(d2i_X509_NAME(nullptr, &n, static_cast<long>(subject.size())));
  if (!name || n != subject.end()) return NotHere("subject does not parse");
  parts.common_name = CommonNameOf(name.get());

  // PublicKey::FromDer imports named-curve EC keys without the decoder framework.
  auto key = PublicKey::FromDer(Bytes(spki.start, spki.end()));
  if (!key.ok()) return NotHere("the EC point does not import");
  // Proof of possession: the signature over the DER request info verifies with its key.
  uint8_t md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  const EVP_MD* digest = Digest(sha384);
  EvpPkeyCtxPtr verify(EVP_PKEY_CTX_new_from_pkey(nullptr, key->get(), nullptr));
  if (digest == nullptr || EVP_Digest(info.start, info.size(), md, &md_len, digest, nullptr) != 1 ||
      !verify || EVP_PKEY_verify_init(verify.get()) != 1 ||
      EVP_PKEY_CTX_set_signature_md(verify.get(), digest) != 1 ||
      EVP_PKEY_verify(verify.get(), signature.content + 1, signature.len - 1, md, md_len) != 1) {
    return NotHere("signature does not verify");
  }
  parts.spki_der.assign(spki.start, spki.end());
  parts.public_key = std::move(*key);
  return parts;
}

}  // namespace ck::pki
