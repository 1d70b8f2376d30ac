// LeafSigner (the issuance fast path) against SignCertificate (OpenSSL's X509 builder): for
// every kind of leaf the CA issues, the TBSCertificate bytes must be identical, and the
// signature must verify under the issuer's key.
#include "ca/leaf_signer.hpp"

#include <gtest/gtest.h>
#include <openssl/asn1.h>
#include <openssl/x509.h>

#include "ca/cert_builder.hpp"
#include "pki/key.hpp"
#include "tests/testing/status_matchers.hpp"

namespace ck::ca {
namespace {

const TimePoint kNow = TimePoint(std::chrono::seconds(1'900'000'000));  // 2030-03-17

// The first element (TBSCertificate) of a Certificate SEQUENCE, as raw bytes.
Bytes TbsOf(const Bytes& cert_der) {
  const unsigned char* p = cert_der.data();
  long len = 0;
  int tag = 0, cls = 0;
  EXPECT_EQ(ASN1_get_object(&p, &len, &tag, &cls, static_cast<long>(cert_der.size())) & 0x80, 0);
  const unsigned char* tbs_start = p;
  EXPECT_EQ(ASN1_get_object(&p, &len, &tag, &cls, static_cast<long>(cert_der.size())) & 0x80, 0);
  return Bytes(tbs_start, p + len);
}

struct Issuer {
  pki::PrivateKey key;
  pki::Certificate cert;
};

Issuer MakeIntermediate(pki::KeyType type) {
  auto root_key = pki::PrivateKey::Generate(pki::KeyType::kEcdsaP384);
  EXPECT_OK(root_key);
  CertTemplate rt;
  rt.kind = CertKind::kRoot;
  rt.common_name = "Test Root";
  rt.organization = "certkeeper tests";
  rt.serial = {0x01};
  rt.not_before = kNow - std::chrono::hours(1);
  rt.not_after = kNow + std::chrono::hours(24 * 3650);
  rt.path_length = 1;
  auto root = SignCertificate(rt, root_key->GetPublicKey(), nullptr, *root_key);
  EXPECT_OK(root);
  auto key = pki::PrivateKey::Generate(type);
  EXPECT_OK(key);
  CertTemplate it = rt;
  it.kind = CertKind::kIntermediate;
  it.common_name = "Test Intermediate";
  it.serial = {0x02};
  it.path_length = 0;
  auto inter = SignCertificate(it, key->GetPublicKey(), &*root, *root_key);
  EXPECT_OK(inter);
  return {*key, *inter};
}

CertTemplate BaseLeaf() {
  CertTemplate t;
  t.kind = CertKind::kLeaf;
  t.common_name = "api.svc.internal";
  t.serial = {0x7f, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
              0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
  t.not_before = kNow - std::chrono::seconds(60);
  t.not_after = kNow + std::chrono::hours(24);
  t.ekus = {ExtendedKeyUsage::kServerAuth};
  t.sans = {{pki::SanType::kDns, "api.svc.internal"}};
  return t;
}

// Signs `t` both ways for a fresh subject key of `subject_type` and compares.
void ExpectSameAsOpenSsl(const Issuer& issuer, const LeafSigner& signer, const CertTemplate& t,
                         pki::KeyType subject_type = pki::KeyType::kEcdsaP256) {
  auto subject = pki::PrivateKey::Generate(subject_type);
  ASSERT_OK(subject);
  const pki::PublicKey pub = subject->GetPublicKey();
  auto reference = SignCertificate(t, pub, &issuer.cert, issuer.key);
  ASSERT_OK(reference);
  auto fast = signer.Sign(t, pub.SpkiDer());
  ASSERT_OK(fast);
  EXPECT_EQ(HexEncode(TbsOf(*fast)), HexEncode(TbsOf(reference->ToDer())));
  auto parsed = pki::Certificate::FromDer(*fast);
  ASSERT_OK(parsed);
  EXPECT_EQ(X509_verify(parsed->get(), X509_get0_pubkey(issuer.cert.get())), 1);
  // Same signature algorithm in both places of the certificate, as OpenSSL checks.
  EXPECT_EQ(X509_get_signature_nid(parsed->get()), X509_get_signature_nid(reference->get()));
}

class LeafSignerTest : public ::testing::TestWithParam<pki::KeyType> {};

TEST_P(LeafSignerTest, ProducesOpenSslsBytesForEveryLeafShape) {
  Issuer issuer = MakeIntermediate(GetParam());
  ASSERT_OK_AND_ASSIGN(auto signer, LeafSigner::Create(issuer.cert, issuer.key));

  ExpectSameAsOpenSsl(issuer, *signer, BaseLeaf());

  CertTemplate many = BaseLeaf();
  many.common_name.clear();  // SANs become critical
  many.ekus = {ExtendedKeyUsage::kServerAuth, ExtendedKeyUsage::kClientAuth};
  many.sans = {{pki::SanType::kEmail, "ops@example.org"},
               {pki::SanType::kUri, "spiffe://example.org/ns/default/sa/api"},
               {pki::SanType::kIp, "10.1.2.3"},
               {pki::SanType::kDns, "B.svc.internal"},
               {pki::SanType::kIp, "2001:db8::1"},
               {pki::SanType::kDns, "b.svc.internal"},   // a duplicate, case aside
               {pki::SanType::kIp, "2001:0db8:0:0::1"},  // the same address again
               {pki::SanType::kDns, "a.svc.internal"}};
  many.crl_url = "http://ca.test/crl/intermediate.crl";
  many.ocsp_url = "http://ca.test/ocsp";
  many.ca_issuers_url = "http://ca.test/ca/intermediate.crt";
  ExpectSameAsOpenSsl(issuer, *signer, many);

  CertTemplate client = BaseLeaf();
  client.ekus = {ExtendedKeyUsage::kClientAuth};
  client.ocsp_url = "http://ca.test/ocsp";                               // AIA with OCSP only
  ExpectSameAsOpenSsl(issuer, *signer, client, pki::KeyType::kRsa2048);  // + keyEncipherment

  CertTemplate odd = BaseLeaf();
  odd.serial = {0x00, 0x00, 0x80, 0x01};  // leading zeros dropped, a sign octet added
  odd.not_after = TimePoint(std::chrono::seconds(2'600'000'000));  // 2052: GeneralizedTime
  odd.ca_issuers_url = "http://ca.test/ca.crt";                    // AIA with caIssuers only
  ExpectSameAsOpenSsl(issuer, *signer, odd, pki::KeyType::kEcdsaP384);

  CertTemplate no_eku = BaseLeaf();
  no_eku.ekus.clear();
  ExpectSameAsOpenSsl(issuer, *signer, no_eku);
}

INSTANTIATE_TEST_SUITE_P(Intermediates, LeafSignerTest,
                         ::testing::Values(pki::KeyType::kEcdsaP256, pki::KeyType::kEcdsaP384,
                                           pki::KeyType::kRsa2048));

TEST(LeafSignerRefusals, BadNamesAndTemplatesAreInvalidArgument) {
  Issuer issuer = MakeIntermediate(pki::KeyType::kEcdsaP256);
  ASSERT_OK_AND_ASSIGN(auto signer, LeafSigner::Create(issuer.cert, issuer.key));
  auto key = pki::PrivateKey::Generate(pki::KeyType::kEcdsaP256);
  ASSERT_OK(key);
  const Bytes spki = key->GetPublicKey().SpkiDer();

  CertTemplate bad_dns = BaseLeaf();
  bad_dns.sans = {{pki::SanType::kDns, "not a name"}};
  EXPECT_EQ(signer->Sign(bad_dns, spki).status().code(), StatusCode::kInvalidArgument);
  CertTemplate bad_ip = BaseLeaf();
  bad_ip.sans = {{pki::SanType::kIp, "10.0.0.300"}};
  EXPECT_EQ(signer->Sign(bad_ip, spki).status().code(), StatusCode::kInvalidArgument);
  CertTemplate backwards = BaseLeaf();
  backwards.not_after = backwards.not_before;
  EXPECT_EQ(signer->Sign(backwards, spki).status().code(), StatusCode::kInvalidArgument);
  CertTemplate no_serial = BaseLeaf();
  no_serial.serial.clear();
  EXPECT_EQ(signer->Sign(no_serial, spki).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(signer->Sign(BaseLeaf(), Bytes{0x30, 0x03, 0x02, 0x01, 0x01}).status().code(),
            StatusCode::kInvalidArgument);
  // What this path does not encode, it leaves to SignCertificate.
  CertTemplate utf8 = BaseLeaf();
  utf8.common_name = "r\xc3\xa9seau.svc.internal";
  EXPECT_EQ(signer->Sign(utf8, spki).status().code(), StatusCode::kUnimplemented);
}

TEST(LeafSignerRefusals, KeyMustMatchCertificateAndBeEcdsaOrRsa) {
  Issuer issuer = MakeIntermediate(pki::KeyType::kEcdsaP256);
  auto other = pki::PrivateKey::Generate(pki::KeyType::kEcdsaP256);
  ASSERT_OK(other);
  EXPECT_EQ(LeafSigner::Create(issuer.cert, *other).status().code(),
            StatusCode::kFailedPrecondition);
  auto ed = pki::PrivateKey::Generate(pki::KeyType::kEd25519);
  ASSERT_OK(ed);
  EXPECT_EQ(LeafSigner::Create(issuer.cert, *ed).status().code(), StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace ck::ca
