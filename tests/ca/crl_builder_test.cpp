// CRL builder and revocation reasons: the CRL is parsed back with OpenSSL and every field the
// RFC asks for is checked (signature, version, crlNumber, AKI, times, entries, reason codes).
#include "ca/crl_builder.hpp"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "pki/x509_util.hpp"
#include "tests/testing/status_matchers.hpp"
#include "tests/testing/test_ca.hpp"

namespace ck::ca {
namespace {

using ck::testing::TestCa;
using ck::testing::UtcTime;

TEST(RevocationReasonTest, ParsesRfc5280Names) {
  struct Case {
    const char* text;
    StatusCode code;
    RevocationReason reason;
  };
  const Case cases[] = {
      {"unspecified", StatusCode::kOk, RevocationReason::kUnspecified},
      {"keyCompromise", StatusCode::kOk, RevocationReason::kKeyCompromise},
      {"key-compromise", StatusCode::kOk, RevocationReason::kKeyCompromise},
      {"KEY_COMPROMISE", StatusCode::kOk, RevocationReason::kKeyCompromise},
      {"cACompromise", StatusCode::kOk, RevocationReason::kCaCompromise},
      {"affiliationChanged", StatusCode::kOk, RevocationReason::kAffiliationChanged},
      {"superseded", StatusCode::kOk, RevocationReason::kSuperseded},
      {"cessation-of-operation", StatusCode::kOk, RevocationReason::kCessationOfOperation},
      {"privilegeWithdrawn", StatusCode::kOk, RevocationReason::kPrivilegeWithdrawn},
      {"aACompromise", StatusCode::kOk, RevocationReason::kAaCompromise},
      {"certificateHold", StatusCode::kInvalidArgument, RevocationReason::kUnspecified},
      {"removeFromCRL", StatusCode::kInvalidArgument, RevocationReason::kUnspecified},
      {"lost", StatusCode::kInvalidArgument, RevocationReason::kUnspecified},
  };
  for (const auto& c : cases) {
    auto r = ParseRevocationReason(c.text);
    EXPECT_EQ(r.status().code(), c.code) << c.text;
    if (r.ok()) {
      EXPECT_EQ(*r, c.reason) << c.text;
    }
  }
  EXPECT_NE(ParseRevocationReason("lost").status().message().find("keyCompromise"),
            std::string::npos);
  EXPECT_EQ(RevocationReasonName(RevocationReason::kSuperseded), "superseded");
  EXPECT_EQ(RevocationReasonNames().find("certificateHold"), std::string::npos);
}

TEST(CrlBuilderTest, SignedV2CrlWithNumberAndReasons) {
  ASSERT_OK_AND_ASSIGN(TestCa root, TestCa::CreateRoot());
  ASSERT_OK_AND_ASSIGN(TestCa inter, root.CreateIntermediate());
  CrlSpec spec;
  spec.crl_number = 7;
  spec.this_update = UtcTime(2030, 1, 1, 12);
  spec.next_update = UtcTime(2030, 1, 2, 12);
  spec.entries = {{"7F00AA", UtcTime(2030, 1, 1, 10), RevocationReason::kKeyCompromise},
                  {"01", UtcTime(2030, 1, 1, 11), RevocationReason::kUnspecified}};
  ASSERT_OK_AND_ASSIGN(std::string pem, BuildCrlPem(spec, inter.cert(), inter.key()));

  pki::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  pki::X509CrlPtr crl(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
  ASSERT_TRUE(crl);
  EXPECT_EQ(X509_CRL_verify(crl.get(), inter.key().get()), 1);
  EXPECT_EQ(X509_CRL_get_version(crl.get()), X509_CRL_VERSION_2);
  EXPECT_EQ(
      X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), X509_get_subject_name(inter.cert().get())), 0);
  EXPECT_EQ(*pki::Asn1TimeToTimePoint(X509_CRL_get0_lastUpdate(crl.get())), spec.this_update);
  EXPECT_EQ(*pki::Asn1TimeToTimePoint(X509_CRL_get0_nextUpdate(crl.get())), spec.next_update);

  pki::Asn1IntegerPtr number(static_cast<ASN1_INTEGER*>(
      X509_CRL_get_ext_d2i(crl.get(), NID_crl_number, nullptr, nullptr)));
  ASSERT_TRUE(number);
  EXPECT_EQ(ASN1_INTEGER_get(number.get()), 7);
  std::unique_ptr<AUTHORITY_KEYID, pki::FreeWith<AUTHORITY_KEYID_free>> akid(
      static_cast<AUTHORITY_KEYID*>(
          X509_CRL_get_ext_d2i(crl.get(), NID_authority_key_identifier, nullptr, nullptr)));
  ASSERT_TRUE(akid && akid->keyid);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(akid->keyid, X509_get0_subject_key_id(inter.cert().get())), 0);

  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl.get());
  ASSERT_EQ(sk_X509_REVOKED_num(revoked), 2);
  // Sorted by serial: 01 before 7F00AA.
  const X509_REVOKED* first = sk_X509_REVOKED_value(revoked, 0);
  const X509_REVOKED* second = sk_X509_REVOKED_value(revoked, 1);
  EXPECT_EQ(pki::Asn1IntegerToHex(X509_REVOKED_get0_serialNumber(first)), "01");
  EXPECT_EQ(pki::Asn1IntegerToHex(X509_REVOKED_get0_serialNumber(second)), "7F00AA");
  EXPECT_EQ(*pki::Asn1TimeToTimePoint(X509_REVOKED_get0_revocationDate(second)),
            UtcTime(2030, 1, 1, 10));
  // RFC 5280 §5.3.1: no reasonCode for "unspecified".
  int crit = 0;
  EXPECT_EQ(X509_REVOKED_get_ext_d2i(first, NID_crl_reason, &crit, nullptr), nullptr);
  std::unique_ptr<ASN1_ENUMERATED, pki::FreeWith<ASN1_ENUMERATED_free>> reason(
      static_cast<ASN1_ENUMERATED*>(
          X509_REVOKED_get_ext_d2i(second, NID_crl_reason, nullptr, nullptr)));
  ASSERT_TRUE(reason);
  EXPECT_EQ(ASN1_ENUMERATED_get(reason.get()), 1);
}

TEST(CrlBuilderTest, RefusesBadInput) {
  ASSERT_OK_AND_ASSIGN(TestCa root, TestCa::CreateRoot());
  CrlSpec spec;
  spec.this_update = UtcTime(2030, 1, 2);
  spec.next_update = UtcTime(2030, 1, 1);
  EXPECT_EQ(BuildCrlPem(spec, root.cert(), root.key()).status().code(),
            StatusCode::kInvalidArgument);
  spec.next_update = UtcTime(2030, 1, 3);
  spec.entries = {{"not hex", UtcTime(2030, 1, 1), RevocationReason::kSuperseded}};
  EXPECT_EQ(BuildCrlPem(spec, root.cert(), root.key()).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ck::ca
