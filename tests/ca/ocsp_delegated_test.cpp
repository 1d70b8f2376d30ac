// Delegated OCSP responders (RFC 6960 §4.2.2.2): the certificate an intermediate issues for
// its responder, answers signed by it (verified with OCSP_basic_verify against a trusted root
// or a trusted intermediate), renewal after two thirds of its lifetime, the guards that keep
// responder rows out of every issuer role, and the default (no delegation) unchanged.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include "ca/ca_handles.hpp"
#include "pki/verify.hpp"
#include "pki/x509_util.hpp"
#include "tests/ca/ca_test_util.hpp"

namespace ck::ca {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using testing::AuthorityFixture;
using testing::TestSettings;

constexpr auto kWeek = hours(24 * 7);

CaSettings DelegatedSettings() {
  CaSettings s = TestSettings();
  s.ocsp_delegated = true;
  return s;
}

// A parsed, successful OCSP answer.
struct Answered {
  OcspBasicRespPtr basic;
  pki::X509Ptr signer;  // the certificate whose key signed it
};

class OcspDelegatedTest : public AuthorityFixture {
 protected:
  void SetUp() override { Reset(DelegatedSettings()); }

  // The CA rows of one role, in id order.
  std::vector<store::CaRecord> Rows(std::string_view role) {
    std::vector<store::CaRecord> out;
    auto rows = store_->ListCas();
    EXPECT_OK(rows);
    for (auto& r : rows.value_or(std::vector<store::CaRecord>{})) {
      if (r.role == role) out.push_back(std::move(r));
    }
    return out;
  }
  store::CaRecord ActiveIntermediate() {
    for (auto& r : Rows(kRoleIntermediate)) {
      if (r.status == kCaActive) return r;
    }
    ADD_FAILURE() << "no active intermediate";
    return {};
  }
  pki::Certificate CertOf(const store::CaRecord& r) {
    auto cert = pki::Certificate::FromPem(r.cert_pem);
    EXPECT_OK(cert);
    return std::move(cert).value();
  }

  // Asks the Authority about `certs` (all issued by `issuer`) at `at`.
  Answered Ask(const std::vector<const pki::Certificate*>& certs, const pki::Certificate& issuer,
               TimePoint at) {
    OcspRequestPtr req(OCSP_REQUEST_new());
    for (const auto* c : certs) {
      OCSP_request_add0_id(req.get(), OCSP_cert_to_id(EVP_sha1(), c->get(), issuer.get()));
    }
    unsigned char* der = nullptr;
    int len = i2d_OCSP_REQUEST(req.get(), &der);
    pki::OpenSslBytesPtr owner(der);
    auto answer = authority_->AnswerOcspRequest(Bytes(der, der + len), at);
    EXPECT_OK(answer);
    Answered out;
    if (!answer.ok()) return out;
    EXPECT_EQ(answer->status, OcspResponseStatus::kSuccessful) << answer->detail;
    const unsigned char* p = answer->der.data();
    OcspResponsePtr resp(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(answer->der.size())));
    if (!resp || OCSP_response_status(resp.get()) != OCSP_RESPONSE_STATUS_SUCCESSFUL) return out;
    out.basic.reset(OCSP_response_get1_basic(resp.get()));
    X509* signer = nullptr;
    if (out.basic && OCSP_resp_get0_signer(out.basic.get(), &signer, nullptr) == 1) {
      X509_up_ref(signer);
      out.signer.reset(signer);
    }
    return out;
  }

  // OCSP_basic_verify with only `trusted` in the store, at `at` (not the system clock).
  int VerifyWith(OCSP_BASICRESP* basic, const pki::Certificate& trusted, TimePoint at,
                 bool partial_chain = false) {
    pki::X509StorePtr store(X509_STORE_new());
    X509_STORE_add_cert(store.get(), trusted.get());
    X509_VERIFY_PARAM* param = X509_STORE_get0_param(store.get());
    X509_VERIFY_PARAM_set_time(param, pki::ToTimeT(at));
    if (partial_chain) X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
    const int rc = OCSP_basic_verify(basic, nullptr, store.get(), 0);
    if (rc != 1) ERR_clear_error();
    return rc;
  }

  int StatusOf(OCSP_BASICRESP* basic, const pki::Certificate& cert,
               const pki::Certificate& issuer) {
    OcspCertIdPtr id(OCSP_cert_to_id(EVP_sha1(), cert.get(), issuer.get()));
    int status = -1;
    OCSP_resp_find_status(basic, id.get(), &status, nullptr, nullptr, nullptr, nullptr);
    return status;
  }
};

TEST_F(OcspDelegatedTest, ResponderCertificateHasTheRfc6960Profile) {
  InitCa();
  ASSERT_OK_AND_ASSIGN(CrlRefresh refresh, authority_->RefreshCrlIfDue(now_));
  const store::CaRecord inter = ActiveIntermediate();
  ASSERT_EQ(refresh.ocsp_responders, std::vector<std::string>{"ocsp-" + inter.name + "-1"});
  std::vector<store::CaRecord> responders = Rows(kRoleOcspResponder);
  ASSERT_EQ(responders.size(), 1u);  // the root gets none
  const store::CaRecord& row = responders[0];
  EXPECT_EQ(row.name, "ocsp-" + inter.name + "-1");
  EXPECT_EQ(row.status, kCaActive);
  pki::Certificate cert = CertOf(row);
  pki::Certificate inter_cert = CertOf(inter);
  EXPECT_EQ(row.not_after, cert.NotAfter());

  X509* x = cert.get();
  // Issued by the intermediate, for a P-256 key of its own, valid ocsp_responder_lifetime.
  EXPECT_EQ(X509_check_issued(inter_cert.get(), x), X509_V_OK);
  EXPECT_EQ(X509_verify(x, X509_get0_pubkey(inter_cert.get())), 1);
  EXPECT_EQ(cert.CommonName(), "certkeeper OCSP responder " + inter.name);
  EXPECT_EQ(cert.NotAfter(), now_ + kWeek);
  EXPECT_LE(cert.NotBefore(), now_);
  EXPECT_EQ(EVP_PKEY_get_base_id(X509_get0_pubkey(x)), EVP_PKEY_EC);
  EXPECT_EQ(EVP_PKEY_get_bits(X509_get0_pubkey(x)), 256);
  EXPECT_FALSE(cert.GetPublicKey().Equals(inter_cert.GetPublicKey()));
  // Not a CA; keyUsage digitalSignature only; EKU id-kp-OCSPSigning only.
  EXPECT_EQ(X509_check_ca(x), 0);
  ASSERT_TRUE(X509_get_extension_flags(x) & EXFLAG_KUSAGE);
  EXPECT_EQ(X509_get_key_usage(x), static_cast<uint32_t>(KU_DIGITAL_SIGNATURE));
  ASSERT_TRUE(X509_get_extension_flags(x) & EXFLAG_XKUSAGE);
  EXPECT_EQ(X509_get_extended_key_usage(x), static_cast<uint32_t>(XKU_OCSP_SIGN));
  ExtendedKeyUsagePtr eku(
      static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(x, NID_ext_key_usage, nullptr, nullptr)));
  ASSERT_TRUE(eku);
  EXPECT_EQ(sk_ASN1_OBJECT_num(eku.get()), 1);
  // id-pkix-ocsp-nocheck (1.3.6.1.5.5.7.48.1.5), value NULL, not critical.
  const int at = X509_get_ext_by_NID(x, NID_id_pkix_OCSP_noCheck, -1);
  ASSERT_GE(at, 0);
  X509_EXTENSION* nocheck = X509_get_ext(x, at);
  char oid[64];
  OBJ_obj2txt(oid, sizeof(oid), X509_EXTENSION_get_object(nocheck), 1);
  EXPECT_STREQ(oid, "1.3.6.1.5.5.7.48.1.5");
  EXPECT_EQ(X509_EXTENSION_get_critical(nocheck), 0);
  const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(nocheck);
  EXPECT_EQ(
      Bytes(ASN1_STRING_get0_data(value), ASN1_STRING_get0_data(value) + ASN1_STRING_length(value)),
      (Bytes{0x05, 0x00}));
  // The key is sealed in the store and belongs to the certificate.
  ASSERT_TRUE(row.key_id.has_value());
  ASSERT_OK_AND_ASSIGN(store::SecretString pem, store_->GetPrivateKeyPem(*row.key_id));
  ASSERT_OK_AND_ASSIGN(pki::PrivateKey key, pki::PrivateKey::FromPem(pem.view()));
  EXPECT_TRUE(pki::KeyMatches(cert, key));
  // It chains to the root for the OCSPSigning purpose.
  pki::VerifyOptions vo;
  vo.at = now_;
  vo.purpose = "OCSPSigning";
  ASSERT_OK_AND_ASSIGN(std::vector<pki::Certificate> bundle, authority_->ChainBundle());
  pki::VerifyResult vr = pki::VerifyChain({cert, inter_cert}, {bundle.back()}, vo);
  EXPECT_TRUE(vr.ok) << vr.message;

  // Nothing is due a minute later.
  ASSERT_OK_AND_ASSIGN(CrlRefresh again, authority_->RefreshCrlIfDue(now_ + minutes(1)));
  EXPECT_TRUE(again.ocsp_responders.empty());
  EXPECT_EQ(Rows(kRoleOcspResponder).size(), 1u);
}

TEST_F(OcspDelegatedTest, GoodAndRevokedAnswersAreSignedByTheResponder) {
  InitCa();
  Issued good = IssueServer("good.svc.internal");
  Issued bad = IssueServer("bad.svc.internal");
  ASSERT_OK(authority_->Revoke(bad.serial_hex, RevocationReason::kKeyCompromise, now_));
  // No RefreshCrlIfDue: the first OCSP request issues the responder.
  EXPECT_TRUE(Rows(kRoleOcspResponder).empty());
  const pki::Certificate& inter = good.chain[0];
  Answered a = Ask({&good.certificate(), &bad.certificate()}, inter, now_);
  ASSERT_TRUE(a.basic);
  std::vector<store::CaRecord> responders = Rows(kRoleOcspResponder);
  ASSERT_EQ(responders.size(), 1u);
  pki::Certificate responder = CertOf(responders[0]);

  ASSERT_TRUE(a.signer);
  EXPECT_EQ(X509_cmp(a.signer.get(), responder.get()), 0) << "not signed by the responder";
  // Responder ID byKey: SHA-1 of the responder's public key.
  const ASN1_OCTET_STRING* key_hash = nullptr;
  const X509_NAME* by_name = nullptr;
  ASSERT_EQ(OCSP_resp_get0_id(a.basic.get(), &key_hash, &by_name), 1);
  ASSERT_NE(key_hash, nullptr);
  EXPECT_EQ(by_name, nullptr);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  ASSERT_EQ(X509_pubkey_digest(responder.get(), EVP_sha1(), md, &md_len), 1);
  EXPECT_EQ(Bytes(ASN1_STRING_get0_data(key_hash),
                  ASN1_STRING_get0_data(key_hash) + ASN1_STRING_length(key_hash)),
            Bytes(md, md + md_len));
  // certs: the responder, then its issuer.
  const STACK_OF(X509)* certs = OCSP_resp_get0_certs(a.basic.get());
  ASSERT_EQ(sk_X509_num(certs), 2);
  EXPECT_EQ(X509_cmp(sk_X509_value(certs, 0), responder.get()), 0);
  EXPECT_EQ(X509_cmp(sk_X509_value(certs, 1), inter.get()), 0);

  // OpenSSL's own check of a delegated responder (signature, chain, OCSPSigning, issued by
  // the CA named in the request): trusting the root, and trusting only the intermediate.
  EXPECT_EQ(VerifyWith(a.basic.get(), good.root, now_), 1);
  EXPECT_EQ(VerifyWith(a.basic.get(), inter, now_, /*partial_chain=*/true), 1);
  // A stranger's root does not do.
  Reset(DelegatedSettings());
  InitCa();
  ASSERT_OK_AND_ASSIGN(std::vector<pki::Certificate> other, authority_->ChainBundle());
  EXPECT_NE(VerifyWith(a.basic.get(), other.back(), now_), 1);

  EXPECT_EQ(StatusOf(a.basic.get(), good.certificate(), inter), V_OCSP_CERTSTATUS_GOOD);
  EXPECT_EQ(StatusOf(a.basic.get(), bad.certificate(), inter), V_OCSP_CERTSTATUS_REVOKED);
}

TEST_F(OcspDelegatedTest, RenewedAfterTwoThirdsOfItsLifetime) {
  InitCa();
  ASSERT_OK(authority_->RefreshCrlIfDue(now_));
  const store::CaRecord inter = ActiveIntermediate();
  const pki::Certificate inter_cert = CertOf(inter);
  const std::string first = "ocsp-" + inter.name + "-1";
  const std::string second = "ocsp-" + inter.name + "-2";
  const TimePoint two_thirds = now_ + kWeek * 2 / 3;

  // Just before two thirds: the first one still signs, and RefreshCrlIfDue says when to come
  // back.
  const TimePoint before = two_thirds - hours(1);
  ASSERT_OK_AND_ASSIGN(CrlRefresh r1, authority_->RefreshCrlIfDue(before));
  EXPECT_TRUE(r1.ocsp_responders.empty());
  ASSERT_TRUE(r1.next_due.has_value());
  EXPECT_LE(*r1.next_due, two_thirds);
  Issued leaf = IssueServer("a.svc.internal", "server", before);
  Answered a = Ask({&leaf.certificate()}, inter_cert, before);
  ASSERT_TRUE(a.signer);
  EXPECT_EQ(X509_cmp(a.signer.get(), CertOf(*store_->GetCaByName(first)).get()), 0);

  // Just after: the maintenance pass issues the second and retires the first.
  const TimePoint after = two_thirds + hours(1);
  ASSERT_OK_AND_ASSIGN(CrlRefresh r2, authority_->RefreshCrlIfDue(after));
  EXPECT_EQ(r2.ocsp_responders, std::vector<std::string>{second});
  EXPECT_EQ(store_->GetCaByName(first)->status, kCaRetired);
  ASSERT_OK_AND_ASSIGN(store::CaRecord second_row, store_->GetCaByName(second));
  EXPECT_EQ(second_row.status, kCaActive);
  EXPECT_EQ(CertOf(second_row).NotAfter(), after + kWeek);
  Issued leaf2 = IssueServer("b.svc.internal", "server", after);
  Answered b = Ask({&leaf2.certificate()}, inter_cert, after);
  ASSERT_TRUE(b.signer);
  EXPECT_EQ(X509_cmp(b.signer.get(), CertOf(second_row).get()), 0);
  EXPECT_EQ(VerifyWith(b.basic.get(), leaf2.root, after), 1);
  EXPECT_EQ(StatusOf(b.basic.get(), leaf2.certificate(), inter_cert), V_OCSP_CERTSTATUS_GOOD);

  // Without a maintenance pass, answering renews it lazily.
  const TimePoint later = after + kWeek * 2 / 3 + hours(1);
  Issued leaf3 = IssueServer("c.svc.internal", "server", later);
  Answered c = Ask({&leaf3.certificate()}, inter_cert, later);
  ASSERT_TRUE(c.signer);
  ASSERT_OK_AND_ASSIGN(store::CaRecord third_row, store_->GetCaByName("ocsp-" + inter.name + "-3"));
  EXPECT_EQ(X509_cmp(c.signer.get(), CertOf(third_row).get()), 0);
  EXPECT_EQ(store_->GetCaByName(second)->status, kCaRetired);
  EXPECT_EQ(VerifyWith(c.basic.get(), leaf3.root, later), 1);
  // A second answer reuses it.
  Answered d = Ask({&leaf3.certificate()}, inter_cert, later + minutes(5));
  ASSERT_TRUE(d.signer);
  EXPECT_EQ(X509_cmp(d.signer.get(), c.signer.get()), 0);
  EXPECT_EQ(Rows(kRoleOcspResponder).size(), 3u);
}

TEST_F(OcspDelegatedTest, ResponderRowsAreNeverIssuers) {
  InitCa();
  Issued leaf = IssueServer("a.svc.internal");
  ASSERT_OK(authority_->RefreshCrlIfDue(now_));
  ASSERT_OK_AND_ASSIGN(store::CaRecord responder_row,
                       store_->GetCaByName("ocsp-" + ActiveIntermediate().name + "-1"));
  const pki::Certificate responder = CertOf(responder_row);
  // No CRL for it, not in the chain bundle.
  EXPECT_EQ(store_->GetCrl(responder_row.id).status().code(), StatusCode::kNotFound);
  ASSERT_OK_AND_ASSIGN(std::vector<pki::Certificate> bundle, authority_->ChainBundle());
  EXPECT_EQ(bundle.size(), 2u);
  for (const auto& c : bundle) EXPECT_NE(X509_cmp(c.get(), responder.get()), 0);
  // Issuance and revocation go on through the intermediate.
  Issued next = IssueServer("b.svc.internal");
  EXPECT_EQ(X509_cmp(next.chain[0].get(), leaf.chain[0].get()), 0);
  ASSERT_OK(authority_->Revoke(next.serial_hex, RevocationReason::kSuperseded, now_));
  ASSERT_OK_AND_ASSIGN(store::CrlRecord crl, authority_->CurrentCrl());
  EXPECT_NE(crl.crl_pem.find("BEGIN X509 CRL"), std::string::npos);
  // The root still answers for the intermediate itself, signing directly; about the
  // responder's serial (ocsp-nocheck: nobody should ask) it knows nothing.
  Answered root_answer = Ask({&leaf.chain[0]}, leaf.root, now_);
  ASSERT_TRUE(root_answer.signer);
  EXPECT_EQ(X509_cmp(root_answer.signer.get(), leaf.root.get()), 0);
  EXPECT_EQ(StatusOf(root_answer.basic.get(), leaf.chain[0], leaf.root), V_OCSP_CERTSTATUS_GOOD);
  // A request naming the responder as a CA is not answered.
  OcspRequestPtr req(OCSP_REQUEST_new());
  OCSP_request_add0_id(req.get(),
                       OCSP_cert_to_id(EVP_sha1(), leaf.certificate().get(), responder.get()));
  unsigned char* der = nullptr;
  int len = i2d_OCSP_REQUEST(req.get(), &der);
  pki::OpenSslBytesPtr owner(der);
  ASSERT_OK_AND_ASSIGN(OcspAnswer refused,
                       authority_->AnswerOcspRequest(Bytes(der, der + len), now_));
  EXPECT_EQ(refused.status, OcspResponseStatus::kUnauthorized);
  // `ca ls` lists it.
  ASSERT_OK_AND_ASSIGN(std::vector<CaView> views, authority_->ListCas());
  EXPECT_EQ(views.size(), 3u);
}

TEST_F(OcspDelegatedTest, RotationGivesEachServingIntermediateItsOwnResponder) {
  InitCa();
  Issued old_leaf = IssueServer("a.svc.internal");
  const store::CaRecord old_inter = ActiveIntermediate();
  ASSERT_OK(authority_->PrepareIntermediate(now_, std::nullopt));
  ASSERT_OK(authority_->ActivateIntermediate(now_));
  const store::CaRecord new_inter = ActiveIntermediate();
  ASSERT_NE(new_inter.name, old_inter.name);
  Issued new_leaf = IssueServer("b.svc.internal");
  ASSERT_OK(authority_->RefreshCrlIfDue(now_));
  ASSERT_OK_AND_ASSIGN(store::CaRecord old_resp,
                       store_->GetCaByName("ocsp-" + old_inter.name + "-1"));
  ASSERT_OK_AND_ASSIGN(store::CaRecord new_resp,
                       store_->GetCaByName("ocsp-" + new_inter.name + "-1"));
  Answered a = Ask({&old_leaf.certificate()}, old_leaf.chain[0], now_);
  Answered b = Ask({&new_leaf.certificate()}, new_leaf.chain[0], now_);
  ASSERT_TRUE(a.signer && b.signer);
  EXPECT_EQ(X509_cmp(a.signer.get(), CertOf(old_resp).get()), 0);
  EXPECT_EQ(X509_cmp(b.signer.get(), CertOf(new_resp).get()), 0);
  EXPECT_EQ(VerifyWith(a.basic.get(), old_leaf.root, now_), 1);
  EXPECT_EQ(VerifyWith(b.basic.get(), new_leaf.root, now_), 1);

  // Once the retired intermediate's last leaf has expired, it is decommissioned and its
  // responder retired with it.
  const TimePoint t = old_leaf.certificate().NotAfter() + hours(1);
  ASSERT_OK_AND_ASSIGN(CrlRefresh r, authority_->RefreshCrlIfDue(t));
  EXPECT_EQ(r.decommissioned, std::vector<std::string>{old_inter.name});
  EXPECT_EQ(store_->GetCaByName(old_resp.name)->status, kCaRetired);
  EXPECT_EQ(store_->GetCaByName(new_resp.name)->status, kCaActive);
}

TEST_F(OcspDelegatedTest, DisabledTheIntermediateSignsAsBefore) {
  Reset(TestSettings());
  InitCa();
  Issued leaf = IssueServer("a.svc.internal");
  ASSERT_OK_AND_ASSIGN(CrlRefresh r, authority_->RefreshCrlIfDue(now_));
  EXPECT_TRUE(r.ocsp_responders.empty());
  Answered a = Ask({&leaf.certificate()}, leaf.chain[0], now_);
  ASSERT_TRUE(a.signer);
  EXPECT_EQ(X509_cmp(a.signer.get(), leaf.chain[0].get()), 0);
  EXPECT_EQ(sk_X509_num(OCSP_resp_get0_certs(a.basic.get())), 1);
  EXPECT_EQ(VerifyWith(a.basic.get(), leaf.root, now_), 1);
  EXPECT_EQ(StatusOf(a.basic.get(), leaf.certificate(), leaf.chain[0]), V_OCSP_CERTSTATUS_GOOD);
  EXPECT_TRUE(Rows(kRoleOcspResponder).empty());
}

TEST(OcspDelegatedSettingsTest, ResponderLifetimeBounds) {
  CaSettings s = DelegatedSettings();
  EXPECT_OK(ValidateSettings(s));
  s.ocsp_responder_lifetime = minutes(30);
  EXPECT_FALSE(ValidateSettings(s).ok());
  s.ocsp_responder_lifetime = hours(1);
  EXPECT_OK(ValidateSettings(s));
  s.ocsp_responder_lifetime = s.intermediate_lifetime + hours(1);
  Status too_long = ValidateSettings(s);
  EXPECT_FALSE(too_long.ok());
  EXPECT_NE(too_long.message().find("ocsp_responder_lifetime"), std::string::npos);
  // Without delegation the responder lifetime does not constrain the intermediate's.
  s.ocsp_delegated = false;
  EXPECT_OK(ValidateSettings(s));
}

}  // namespace
}  // namespace ck::ca
