// Owning pointers for the OpenSSL structures only the CA builds (name constraints, CRL
// distribution points, AIA entries, CRL entries, OCSP messages), in the style of
// pki/handles.hpp.
#pragma once

#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include <memory>

#include "pki/handles.hpp"

namespace ck::ca {

using pki::AuthorityInfoAccessPtr;
using pki::BasicConstraintsPtr;
using pki::ExtendedKeyUsagePtr;
using pki::FreeWith;
using pki::GeneralNamePtr;
using pki::GeneralNamesPtr;

using NameConstraintsPtr = std::unique_ptr<NAME_CONSTRAINTS, FreeWith<NAME_CONSTRAINTS_free>>;
using GeneralSubtreePtr = std::unique_ptr<GENERAL_SUBTREE, FreeWith<GENERAL_SUBTREE_free>>;
using CrlDistPointsPtr = std::unique_ptr<CRL_DIST_POINTS, FreeWith<CRL_DIST_POINTS_free>>;
using DistPointPtr = std::unique_ptr<DIST_POINT, FreeWith<DIST_POINT_free>>;
using AccessDescriptionPtr = std::unique_ptr<ACCESS_DESCRIPTION, FreeWith<ACCESS_DESCRIPTION_free>>;
using AuthorityKeyIdPtr = std::unique_ptr<AUTHORITY_KEYID, FreeWith<AUTHORITY_KEYID_free>>;
using Asn1BitStringPtr = std::unique_ptr<ASN1_BIT_STRING, FreeWith<ASN1_BIT_STRING_free>>;
using Asn1NullPtr = std::unique_ptr<ASN1_NULL, FreeWith<ASN1_NULL_free>>;
using Asn1EnumeratedPtr = std::unique_ptr<ASN1_ENUMERATED, FreeWith<ASN1_ENUMERATED_free>>;
using X509RevokedPtr = std::unique_ptr<X509_REVOKED, FreeWith<X509_REVOKED_free>>;
using OcspRequestPtr = std::unique_ptr<OCSP_REQUEST, FreeWith<OCSP_REQUEST_free>>;
using OcspResponsePtr = std::unique_ptr<OCSP_RESPONSE, FreeWith<OCSP_RESPONSE_free>>;
using OcspBasicRespPtr = std::unique_ptr<OCSP_BASICRESP, FreeWith<OCSP_BASICRESP_free>>;
using OcspCertIdPtr = std::unique_ptr<OCSP_CERTID, FreeWith<OCSP_CERTID_free>>;

}  // namespace ck::ca
