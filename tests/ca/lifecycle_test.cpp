// The Authority over time: revocation and CRLs, CRL refresh, OCSP answers from the store,
// intermediate rotation with overlap, the offline root, and importing an existing CA.
#include <gtest/gtest.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>

#include "ca/ca_handles.hpp"
#include "pki/verify.hpp"
#include "pki/x509_util.hpp"
#include "tests/ca/ca_test_util.hpp"
#include "tests/testing/test_ca.hpp"

namespace ck::ca {
namespace {

using ck::testing::CaSpec;
using ck::testing::CertSpec;
using ck::testing::TestCa;
using std::chrono::hours;
using testing::AuthorityFixture;

// Serials on a CRL (PEM), as uppercase hex.
std::vector<std::string> CrlSerials(const std::string& pem) {
  pki::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  pki::X509CrlPtr crl(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
  std::vector<std::string> out;
  if (!crl) return {"<unparsable CRL>"};
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(crl.get());
  for (int i = 0; i < sk_X509_REVOKED_num(revoked); ++i) {
    out.push_back(
        pki::Asn1IntegerToHex(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, i))));
  }
  return out;
}

class LifecycleTest : public AuthorityFixture {
 protected:
  // OCSP status of `cert` (issued by `issuer`) as the Authority answers it:
  // V_OCSP_CERTSTATUS_* or -(response status) when the response is not successful.
  int OcspStatus(const pki::Certificate& cert, const pki::Certificate& issuer, TimePoint at) {
    return OcspStatusOf(X509_get0_serialNumber(cert.get()), issuer, at);
  }

  int OcspStatusOf(const ASN1_INTEGER* serial, const pki::Certificate& issuer, TimePoint at) {
    auto make_id = [&] {
      return OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(issuer.get()),
                              X509_get0_pubkey_bitstr(issuer.get()),
                              const_cast<ASN1_INTEGER*>(serial));
    };
    OcspRequestPtr req(OCSP_REQUEST_new());
    OCSP_request_add0_id(req.get(), make_id());
    unsigned char* der = nullptr;
    int len = i2d_OCSP_REQUEST(req.get(), &der);
    pki::OpenSslBytesPtr owner(der);
    auto answer = authority_->RespondOcsp(Bytes(der, der + len), at);
    EXPECT_OK(answer);
    const unsigned char* p = answer->data();
    OcspResponsePtr resp(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(answer->size())));
    if (!resp) return -100;
    if (OCSP_response_status(resp.get()) != 0) return -OCSP_response_status(resp.get());
    OcspBasicRespPtr basic(OCSP_response_get1_basic(resp.get()));
    // Signed by the issuing CA itself, whose certificate comes along.
    EXPECT_EQ(OCSP_basic_verify(basic.get(), nullptr, nullptr, OCSP_NOVERIFY), 1);
    const STACK_OF(X509)* certs = OCSP_resp_get0_certs(basic.get());
    EXPECT_EQ(sk_X509_num(certs), 1);
    if (sk_X509_num(certs) == 1) {
      EXPECT_EQ(X509_cmp(sk_X509_value(certs, 0), issuer.get()), 0) << "not signed by the issuer";
    }
    OcspCertIdPtr id(make_id());
    int status = -1;
    OCSP_resp_find_status(basic.get(), id.get(), &status, nullptr, nullptr, nullptr, nullptr);
    return status;
  }
};

TEST_F(LifecycleTest, RevokeRecordsAndResignsTheCrl) {
  InitCa();
  Issued a = IssueServer("a.svc.internal");
  Issued b = IssueServer("b.svc.internal");
  // Pasted the way openssl prints serials: lowercase with colons.
  std::string pasted;
  for (size_t i = 0; i < a.serial_hex.size(); i += 2) {
    pasted += (i ? ":" : "") + a.serial_hex.substr(i, 2);
  }
  for (char& c : pasted) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const TimePoint at = now_ + hours(1);
  ASSERT_OK_AND_ASSIGN(store::RevocationRecord r,
                       authority_->Revoke(pasted, RevocationReason::kKeyCompromise, at));
  EXPECT_EQ(r.serial_hex, a.serial_hex);
  EXPECT_EQ(r.revoked_at, at);
  EXPECT_EQ(r.reason, 1);
  EXPECT_EQ(r.not_after, a.certificate().NotAfter());
  EXPECT_EQ(store_->GetCertificate(a.record_id)->status, "revoked");
  EXPECT_EQ(store_->GetCertificate(b.record_id)->status, "active");
  ASSERT_OK_AND_ASSIGN(store::CrlRecord crl, authority_->CurrentCrl());
  EXPECT_EQ(crl.crl_number, 2);
  EXPECT_EQ(crl.this_update, at);
  EXPECT_EQ(CrlSerials(crl.crl_pem), std::vector<std::string>{a.serial_hex});
  store::EventQuery q;
  q.kind = "revoked";
  EXPECT_EQ(store_->ListEvents(q)->size(), 1u);

  EXPECT_EQ(OcspStatus(a.certificate(), a.chain[0], at), V_OCSP_CERTSTATUS_REVOKED);
  EXPECT_EQ(OcspStatus(b.certificate(), b.chain[0], at), V_OCSP_CERTSTATUS_GOOD);

  auto twice = authority_->Revoke(a.serial_hex, RevocationReason::kSuperseded, at);
  EXPECT_EQ(twice.status().code(), StatusCode::kAlreadyExists);
  EXPECT_NE(twice.status().message().find("keyCompromise"), std::string::npos);
  EXPECT_EQ(authority_->Revoke("0102", RevocationReason::kSuperseded, at).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(authority_->Revoke("zz", RevocationReason::kSuperseded, at).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(
      authority_->Revoke(b.serial_hex, RevocationReason::kCertificateHold, at).status().code(),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(authority_->CurrentCrl()->crl_number, 2);  // refusals sign nothing
}

TEST_F(LifecycleTest, CrlRefreshedInTheLastThirdAndExpiredEntriesDropped) {
  InitCa();
  Issued a = IssueServer("a.svc.internal");
  ASSERT_OK(authority_->Revoke(a.serial_hex, RevocationReason::kSuperseded, now_));
  ASSERT_OK_AND_ASSIGN(CrlRefresh early, authority_->RefreshCrlIfDue(now_ + hours(1)));
  EXPECT_TRUE(early.refreshed.empty());
  ASSERT_TRUE(early.next_due.has_value());
  EXPECT_EQ(*early.next_due, now_ + hours(16));  // 24h CRL, re-signed 8h before nextUpdate

  ASSERT_OK_AND_ASSIGN(CrlRefresh due, authority_->RefreshCrlIfDue(now_ + hours(16)));
  ASSERT_EQ(due.refreshed.size(), 1u);  // the intermediate; the root's CRL lasts a year
  ASSERT_OK_AND_ASSIGN(store::CrlRecord crl, authority_->CurrentCrl());
  EXPECT_EQ(crl.crl_number, 3);
  EXPECT_EQ(crl.next_update, now_ + hours(40));
  EXPECT_EQ(CrlSerials(crl.crl_pem), std::vector<std::string>{a.serial_hex});

  // Once the revoked certificate has expired its entry may go (RFC 5280 §3.3).
  ASSERT_OK(authority_->RefreshCrlIfDue(now_ + hours(48)));
  EXPECT_TRUE(CrlSerials(authority_->CurrentCrl()->crl_pem).empty());
}

TEST_F(LifecycleTest, OcspForIntermediatesComesFromTheRoot) {
  InitCa();
  Issued a = IssueServer("a.svc.internal");
  EXPECT_EQ(OcspStatus(a.chain[0], a.root, now_), V_OCSP_CERTSTATUS_GOOD);
  // Serials neither CA issued: unknown (RFC 6960 §2.2).
  pki::Asn1IntegerPtr stranger(ASN1_INTEGER_new());
  ASN1_INTEGER_set(stranger.get(), 0x0123);
  EXPECT_EQ(OcspStatusOf(stranger.get(), a.root, now_), V_OCSP_CERTSTATUS_UNKNOWN);
  EXPECT_EQ(OcspStatusOf(stranger.get(), a.chain[0], now_), V_OCSP_CERTSTATUS_UNKNOWN);
  // Garbage gets an OCSP "malformedRequest" response, not an error.
  ASSERT_OK_AND_ASSIGN(OcspAnswer garbage, authority_->AnswerOcspRequest(ToBytes("hello"), now_));
  EXPECT_EQ(garbage.status, OcspResponseStatus::kMalformedRequest);
}

TEST_F(LifecycleTest, RotationWithOverlap) {
  InitCa();
  Issued old_leaf = IssueServer("old.svc.internal");
  const std::string old_ca = old_leaf.ca_name;

  const TimePoint t1 = now_ + hours(2);
  ASSERT_OK_AND_ASSIGN(store::CaRecord prepared, authority_->PrepareIntermediate(t1, std::nullopt));
  EXPECT_EQ(prepared.status, "pending");
  EXPECT_NE(prepared.name, old_ca);
  ASSERT_OK_AND_ASSIGN(auto chain, authority_->ChainBundle());
  ASSERT_EQ(chain.size(), 3u);  // active, pending, root
  EXPECT_EQ(chain[0], old_leaf.chain[0]);
  EXPECT_EQ(chain[1].ToPem(), prepared.cert_pem);
  EXPECT_NE(chain[0].Subject(), chain[1].Subject());  // distinct names keep CRLs apart
  // Published, not signing yet.
  EXPECT_EQ(IssueServer("mid.svc.internal", "server", t1).ca_name, old_ca);
  EXPECT_EQ(authority_->PrepareIntermediate(t1, std::nullopt).status().code(),
            StatusCode::kFailedPrecondition);
  ASSERT_OK_AND_ASSIGN(store::CrlRecord pending_crl, authority_->CurrentCrl(prepared.name));
  EXPECT_EQ(pending_crl.crl_number, 1);

  const TimePoint t2 = now_ + hours(4);
  ASSERT_OK_AND_ASSIGN(store::CaRecord active, authority_->ActivateIntermediate(t2));
  EXPECT_EQ(active.name, prepared.name);
  Issued new_leaf = IssueServer("new.svc.internal", "server", t2);
  EXPECT_EQ(new_leaf.ca_name, prepared.name);
  ASSERT_OK_AND_ASSIGN(chain, authority_->ChainBundle());
  ASSERT_EQ(chain.size(), 3u);  // new active, retired, root
  EXPECT_EQ(chain[0].ToPem(), prepared.cert_pem);
  EXPECT_EQ(chain[1], old_leaf.chain[0]);
  EXPECT_EQ(authority_->ActivateIntermediate(t2).status().code(), StatusCode::kFailedPrecondition);

  // The retired CA still answers for its leaves: OCSP and CRL (revocation re-signs its CRL).
  EXPECT_EQ(OcspStatus(old_leaf.certificate(), old_leaf.chain[0], t2), V_OCSP_CERTSTATUS_GOOD);
  EXPECT_EQ(OcspStatus(new_leaf.certificate(), new_leaf.chain[0], t2), V_OCSP_CERTSTATUS_GOOD);
  ASSERT_OK(authority_->Revoke(old_leaf.serial_hex, RevocationReason::kSuperseded, t2));
  ASSERT_OK_AND_ASSIGN(store::CrlRecord old_crl, authority_->CurrentCrl(old_ca));
  EXPECT_EQ(CrlSerials(old_crl.crl_pem), std::vector<std::string>{old_leaf.serial_hex});
  EXPECT_TRUE(CrlSerials(authority_->CurrentCrl()->crl_pem).empty());
  EXPECT_EQ(OcspStatus(old_leaf.certificate(), old_leaf.chain[0], t2), V_OCSP_CERTSTATUS_REVOKED);

  // Its CRL keeps being refreshed while its last leaf ("mid", issued at t1) is valid...
  ASSERT_OK_AND_ASSIGN(CrlRefresh r1, authority_->RefreshCrlIfDue(now_ + hours(20)));
  EXPECT_NE(std::find(r1.refreshed.begin(), r1.refreshed.end(), old_ca), r1.refreshed.end());
  EXPECT_TRUE(r1.decommissioned.empty());
  // ...and it is decommissioned after that: out of the chain, no more OCSP answers.
  ASSERT_OK_AND_ASSIGN(CrlRefresh r2, authority_->RefreshCrlIfDue(t1 + hours(25)));
  EXPECT_EQ(r2.decommissioned, std::vector<std::string>{old_ca});
  ASSERT_OK_AND_ASSIGN(chain, authority_->ChainBundle());
  EXPECT_EQ(chain.size(), 2u);
  EXPECT_EQ(OcspStatus(old_leaf.certificate(), old_leaf.chain[0], t1 + hours(25)),
            -static_cast<int>(OcspResponseStatus::kUnauthorized));
}

TEST_F(LifecycleTest, OfflineRoot) {
  InitCa();
  ASSERT_OK_AND_ASSIGN(auto chain, authority_->ChainBundle());
  const pki::Certificate root = chain.back();
  ASSERT_OK_AND_ASSIGN(store::SecretString pem, authority_->ExportRootKeyPem());
  ASSERT_OK_AND_ASSIGN(pki::PrivateKey root_key, pki::PrivateKey::FromPem(pem.view()));
  EXPECT_TRUE(pki::KeyMatches(root, root_key));
  const size_t keys = KeyCount();

  const TimePoint t1 = now_ + hours(1);
  ASSERT_OK(authority_->DeleteRootKey(t1));
  EXPECT_EQ(KeyCount(), keys - 1);
  ASSERT_OK_AND_ASSIGN(auto cas, authority_->ListCas());
  EXPECT_FALSE(cas[0].key_online);
  ASSERT_TRUE(cas[0].crl.has_value());
  EXPECT_EQ(cas[0].crl->crl_number, 2);  // a last CRL before going offline
  EXPECT_EQ(cas[0].crl->next_update, t1 + hours(24 * 365));
  EXPECT_EQ(authority_->ExportRootKeyPem().status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(authority_->DeleteRootKey(t1).code(), StatusCode::kFailedPrecondition);
  // Issuing goes on (the intermediate is online); OCSP about intermediates needs the root.
  Issued leaf = IssueServer("a.svc.internal", "server", t1);
  EXPECT_EQ(OcspStatus(leaf.certificate(), leaf.chain[0], t1), V_OCSP_CERTSTATUS_GOOD);
  EXPECT_EQ(OcspStatus(leaf.chain[0], root, t1),
            -static_cast<int>(OcspResponseStatus::kUnauthorized));

  // A new intermediate needs the root key handed back; the right one.
  auto without = authority_->PrepareIntermediate(t1, std::nullopt);
  EXPECT_EQ(without.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(without.status().message().find("--root-key"), std::string::npos);
  ASSERT_OK_AND_ASSIGN(pki::PrivateKey wrong, pki::PrivateKey::Generate(pki::KeyType::kEcdsaP384));
  EXPECT_EQ(authority_->PrepareIntermediate(t1, wrong).status().code(),
            StatusCode::kInvalidArgument);
  ASSERT_OK_AND_ASSIGN(store::CaRecord prepared, authority_->PrepareIntermediate(t1, root_key));
  EXPECT_EQ(KeyCount(), keys);  // the new intermediate's key; the root key is not kept
  ASSERT_OK_AND_ASSIGN(cas, authority_->ListCas());
  EXPECT_FALSE(cas[0].key_online);
  EXPECT_EQ(cas[0].crl->crl_number, 3);  // renewed while the key was here
  ASSERT_OK(authority_->ActivateIntermediate(t1));
  EXPECT_EQ(IssueServer("b.svc.internal", "server", t1).ca_name, prepared.name);

  // When the root's CRL falls due the refresh reports it instead of failing.
  ASSERT_OK_AND_ASSIGN(CrlRefresh r, authority_->RefreshCrlIfDue(t1 + hours(24 * 300)));
  EXPECT_EQ(r.stale, std::vector<std::string>{cas[0].record.name});
}

TEST_F(LifecycleTest, ImportExistingRootAndIntermediate) {
  CertSpec root_spec = CaSpec("Corp Root");
  root_spec.path_length = 1;
  ASSERT_OK_AND_ASSIGN(TestCa root, TestCa::CreateRoot(root_spec));
  ASSERT_OK_AND_ASSIGN(TestCa inter, root.CreateIntermediate(CaSpec("Corp Issuing")));
  InitOptions o;
  o.import_root = PemPair{root.cert().ToPem(), ""};  // root stays offline
  o.import_intermediate = PemPair{inter.cert().ToPem(), inter.key().ToPem()};
  InitCa(o);
  ASSERT_OK_AND_ASSIGN(auto cas, authority_->ListCas());
  EXPECT_FALSE(cas[0].key_online);
  EXPECT_TRUE(cas[1].key_online);
  EXPECT_FALSE(cas[0].crl.has_value());  // no key, no CRL of its own
  store::EventQuery q;
  q.kind = "ca_imported";
  EXPECT_EQ(store_->ListEvents(q)->size(), 2u);
  Issued leaf = IssueServer("a.svc.internal");
  pki::VerifyOptions vo;
  vo.at = now_;
  EXPECT_TRUE(pki::VerifyChain({leaf.certificate(), inter.cert()}, {root.cert()}, vo).ok);
}

TEST_F(LifecycleTest, ImportRootWithKeyMakesTheIntermediate) {
  ASSERT_OK_AND_ASSIGN(TestCa root, TestCa::CreateRoot());
  InitOptions o;
  o.import_root = PemPair{root.cert().ToPem(), root.key().ToPem()};
  InitCa(o);
  ASSERT_OK_AND_ASSIGN(auto chain, authority_->ChainBundle());
  EXPECT_EQ(chain.back(), root.cert());
  EXPECT_EQ(chain[0].Issuer(), root.cert().Subject());
}

TEST_F(LifecycleTest, ImportRefusesWhatDoesNotFit) {
  ASSERT_OK_AND_ASSIGN(TestCa root, TestCa::CreateRoot());
  ASSERT_OK_AND_ASSIGN(TestCa inter, root.CreateIntermediate());
  ASSERT_OK_AND_ASSIGN(TestCa other_root, TestCa::CreateRoot(CaSpec("Other Root")));
  ASSERT_OK_AND_ASSIGN(TestCa foreign_inter, other_root.CreateIntermediate());
  CertSpec leaf_spec;
  leaf_spec.dns_names = {"leaf.test"};
  ASSERT_OK_AND_ASSIGN(auto leaf, root.Issue(leaf_spec));
  CertSpec expired = CaSpec("Expired Root");
  expired.not_before = now_ - hours(48);
  expired.not_after = now_ - hours(24);
  ASSERT_OK_AND_ASSIGN(TestCa expired_root, TestCa::CreateRoot(expired));

  struct Case {
    std::string what;
    InitOptions options;
    std::string message;
  };
  std::vector<Case> cases;
  auto add = [&](std::string what, std::optional<PemPair> r, std::optional<PemPair> i,
                 std::string message) {
    InitOptions o;
    o.import_root = std::move(r);
    o.import_intermediate = std::move(i);
    cases.push_back({std::move(what), std::move(o), std::move(message)});
  };
  add("root without key, no intermediate", PemPair{root.cert().ToPem(), ""}, std::nullopt,
      "no intermediate can be made");
  add("key of another CA", PemPair{root.cert().ToPem(), other_root.key().ToPem()}, std::nullopt,
      "does not belong");
  add("leaf as root", PemPair{leaf.cert.ToPem(), leaf.key.ToPem()}, std::nullopt,
      "not a CA certificate");
  add("intermediate as root", PemPair{inter.cert().ToPem(), inter.key().ToPem()}, std::nullopt,
      "not self-signed");
  add("expired root", PemPair{expired_root.cert().ToPem(), expired_root.key().ToPem()},
      std::nullopt, "not valid now");
  add("foreign intermediate", PemPair{root.cert().ToPem(), ""},
      PemPair{foreign_inter.cert().ToPem(), foreign_inter.key().ToPem()}, "was not issued by");
  add("intermediate without key", PemPair{root.cert().ToPem(), ""},
      PemPair{inter.cert().ToPem(), ""}, "needs its private key");
  add("intermediate alone", std::nullopt, PemPair{inter.cert().ToPem(), inter.key().ToPem()},
      "needs its root");
  add("garbage", PemPair{"not a certificate", ""}, std::nullopt, "imported root certificate");
  for (const auto& c : cases) {
    Status s = authority_->Init(c.options, now_);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.what << ": " << s.ToString();
    EXPECT_NE(s.message().find(c.message), std::string::npos) << c.what << ": " << s.message();
  }
  EXPECT_FALSE(*authority_->Initialized());
  EXPECT_EQ(KeyCount(), 0u);
}

}  // namespace
}  // namespace ck::ca
