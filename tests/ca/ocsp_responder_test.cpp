// The OCSP responder as a pure function: requests built with OpenSSL's client API, responses
// parsed and verified with OCSP_basic_verify, every RFC 6960 response status exercised.
#include "ca/ocsp_responder.hpp"

#include <gtest/gtest.h>
#include <openssl/ocsp.h>

#include <map>

#include "ca/ca_handles.hpp"
#include "pki/x509_util.hpp"
#include "tests/testing/status_matchers.hpp"
#include "tests/testing/test_ca.hpp"

namespace ck::ca {
namespace {

using ck::testing::CertSpec;
using ck::testing::IssuedCert;
using ck::testing::TestCa;

class OcspResponderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto root = TestCa::CreateRoot();
    ASSERT_OK(root);
    root_.emplace(std::move(*root));
    auto inter = root_->CreateIntermediate();
    ASSERT_OK(inter);
    inter_.emplace(std::move(*inter));
    for (int i = 0; i < 3; ++i) {
      CertSpec spec;
      spec.dns_names = {"leaf" + std::to_string(i) + ".test"};
      auto leaf = inter_->Issue(spec);
      ASSERT_OK(leaf);
      leaves_.push_back(std::move(*leaf));
    }
    statuses_[leaves_[0].cert.SerialHex()] = {OcspCertStatus::kGood, {}, {}};
    statuses_[leaves_[1].cert.SerialHex()] = {
        OcspCertStatus::kRevoked, now_ - std::chrono::hours(2), RevocationReason::kKeyCompromise};
    // leaves_[2] is not in the table: unknown.
    issuers_.push_back({42, inter_->cert(), inter_->key()});
  }

  // A DER OCSPRequest for `certs` (issued by the intermediate), with a nonce when asked.
  Bytes Request(const std::vector<const pki::Certificate*>& certs, bool nonce,
                const EVP_MD* md = EVP_sha1(), const pki::Certificate* issuer = nullptr) {
    OcspRequestPtr req(OCSP_REQUEST_new());
    for (const auto* c : certs) {
      OCSP_CERTID* id = OCSP_cert_to_id(md, c->get(), (issuer ? issuer : &inter_->cert())->get());
      EXPECT_NE(OCSP_request_add0_id(req.get(), id), nullptr);
    }
    if (nonce) {
      EXPECT_EQ(OCSP_request_add1_nonce(req.get(), nullptr, -1), 1);
    }
    unsigned char* der = nullptr;
    int len = i2d_OCSP_REQUEST(req.get(), &der);
    pki::OpenSslBytesPtr owner(der);
    Bytes out(der, der + len);
    const unsigned char* p = out.data();
    last_request_.reset(d2i_OCSP_REQUEST(nullptr, &p, len));
    return out;
  }

  OcspAnswer Answer(const Bytes& request) {
    OcspResponderOptions options;
    options.now = now_;
    options.validity = std::chrono::hours(1);
    OcspStatusLookup lookup = [this](const OcspIssuer& issuer,
                                     const std::string& serial) -> Result<OcspStatus> {
      EXPECT_EQ(issuer.id, 42);
      if (!lookup_error_.ok()) return lookup_error_;
      auto it = statuses_.find(serial);
      return it == statuses_.end() ? OcspStatus{} : it->second;
    };
    auto answer = AnswerOcsp(request, issuers_, lookup, options);
    EXPECT_OK(answer);
    return answer.value_or(OcspAnswer{});
  }

  // Parses and verifies a successful response; returns the basic response.
  OcspBasicRespPtr Verify(const OcspAnswer& answer) {
    const unsigned char* p = answer.der.data();
    OcspResponsePtr resp(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(answer.der.size())));
    EXPECT_TRUE(resp);
    if (!resp) return nullptr;
    EXPECT_EQ(OCSP_response_status(resp.get()), OCSP_RESPONSE_STATUS_SUCCESSFUL);
    OcspBasicRespPtr basic(OCSP_response_get1_basic(resp.get()));
    EXPECT_TRUE(basic);
    pki::X509StorePtr store(X509_STORE_new());
    X509_STORE_add_cert(store.get(), root_->cert().get());
    EXPECT_EQ(OCSP_basic_verify(basic.get(), nullptr, store.get(), 0), 1)
        << "response signature/signer does not verify";
    return basic;
  }

  // Status of `cert` in `basic` (V_OCSP_CERTSTATUS_*), with reason and revocation time.
  int StatusOf(OCSP_BASICRESP* basic, const pki::Certificate& cert, int* reason = nullptr,
               TimePoint* revoked_at = nullptr) {
    OcspCertIdPtr id(OCSP_cert_to_id(EVP_sha1(), cert.get(), inter_->cert().get()));
    int status = -1, r = -1;
    ASN1_GENERALIZEDTIME *rev = nullptr, *thisupd = nullptr, *nextupd = nullptr;
    if (OCSP_resp_find_status(basic, id.get(), &status, &r, &rev, &thisupd, &nextupd) != 1) {
      return -1;
    }
    EXPECT_EQ(*pki::Asn1TimeToTimePoint(thisupd), now_);
    EXPECT_EQ(*pki::Asn1TimeToTimePoint(nextupd), now_ + std::chrono::hours(1));
    if (reason) *reason = r;
    if (revoked_at && rev) *revoked_at = *pki::Asn1TimeToTimePoint(rev);
    return status;
  }

  TimePoint now_ = std::chrono::time_point_cast<std::chrono::seconds>(SystemClock().Now());
  std::optional<TestCa> root_, inter_;
  std::vector<IssuedCert> leaves_;
  std::map<std::string, OcspStatus> statuses_;
  std::vector<OcspIssuer> issuers_;
  Status lookup_error_;
  OcspRequestPtr last_request_;
};

TEST_F(OcspResponderTest, GoodRevokedUnknownWithNonceAndProducedAt) {
  Bytes req = Request({&leaves_[0].cert, &leaves_[1].cert, &leaves_[2].cert}, /*nonce=*/true);
  OcspAnswer answer = Answer(req);
  ASSERT_EQ(answer.status, OcspResponseStatus::kSuccessful) << answer.detail;
  OcspBasicRespPtr basic = Verify(answer);
  ASSERT_TRUE(basic);
  EXPECT_EQ(OCSP_check_nonce(last_request_.get(), basic.get()), 1) << "nonce not echoed";
  EXPECT_EQ(*pki::Asn1TimeToTimePoint(OCSP_resp_get0_produced_at(basic.get())), now_);
  EXPECT_EQ(StatusOf(basic.get(), leaves_[0].cert), V_OCSP_CERTSTATUS_GOOD);
  int reason = -1;
  TimePoint revoked_at;
  EXPECT_EQ(StatusOf(basic.get(), leaves_[1].cert, &reason, &revoked_at),
            V_OCSP_CERTSTATUS_REVOKED);
  EXPECT_EQ(reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
  EXPECT_EQ(revoked_at, now_ - std::chrono::hours(2));
  EXPECT_EQ(StatusOf(basic.get(), leaves_[2].cert), V_OCSP_CERTSTATUS_UNKNOWN);
  // The responder ID is the signer's key hash and the signer certificate is included.
  const ASN1_OCTET_STRING* key_id = nullptr;
  const X509_NAME* by_name = nullptr;
  ASSERT_EQ(OCSP_resp_get0_id(basic.get(), &key_id, &by_name), 1);
  EXPECT_NE(key_id, nullptr);
  EXPECT_EQ(sk_X509_num(OCSP_resp_get0_certs(basic.get())), 1);
}

TEST_F(OcspResponderTest, NoNonceAndSha256CertIds) {
  OcspAnswer answer = Answer(Request({&leaves_[0].cert}, /*nonce=*/false, EVP_sha256()));
  ASSERT_EQ(answer.status, OcspResponseStatus::kSuccessful) << answer.detail;
  OcspBasicRespPtr basic = Verify(answer);
  ASSERT_TRUE(basic);
  EXPECT_EQ(OCSP_check_nonce(last_request_.get(), basic.get()), 2);  // none sent, none back
  OcspCertIdPtr id(OCSP_cert_to_id(EVP_sha256(), leaves_[0].cert.get(), inter_->cert().get()));
  int status = -1;
  ASSERT_EQ(
      OCSP_resp_find_status(basic.get(), id.get(), &status, nullptr, nullptr, nullptr, nullptr), 1);
  EXPECT_EQ(status, V_OCSP_CERTSTATUS_GOOD);
}

TEST_F(OcspResponderTest, ErrorStatuses) {
  // Not an OCSP request at all.
  EXPECT_EQ(Answer(ToBytes("GET / HTTP/1.1")).status, OcspResponseStatus::kMalformedRequest);
  EXPECT_EQ(Answer({}).status, OcspResponseStatus::kMalformedRequest);
  // Trailing bytes after a valid request.
  Bytes padded = Request({&leaves_[0].cert}, true);
  padded.push_back(0);
  EXPECT_EQ(Answer(padded).status, OcspResponseStatus::kMalformedRequest);
  // A CA this responder does not serve.
  auto other = TestCa::CreateRoot();
  ASSERT_OK(other);
  CertSpec spec;
  auto foreign = other->Issue(spec);
  ASSERT_OK(foreign);
  OcspAnswer unauthorized = Answer(Request({&foreign->cert}, true, EVP_sha1(), &other->cert()));
  EXPECT_EQ(unauthorized.status, OcspResponseStatus::kUnauthorized);
  // The answer is a well-formed OCSPResponse carrying that status.
  const unsigned char* p = unauthorized.der.data();
  OcspResponsePtr resp(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(unauthorized.der.size())));
  ASSERT_TRUE(resp);
  EXPECT_EQ(OCSP_response_status(resp.get()), OCSP_RESPONSE_STATUS_UNAUTHORIZED);
  // Store trouble: tryLater when retryable, internalError otherwise.
  lookup_error_ = UnavailableError("database is locked");
  EXPECT_EQ(Answer(Request({&leaves_[0].cert}, true)).status, OcspResponseStatus::kTryLater);
  lookup_error_ = DataLossError("corrupt");
  EXPECT_EQ(Answer(Request({&leaves_[0].cert}, true)).status, OcspResponseStatus::kInternalError);
  // Too many single requests.
  lookup_error_ = OkStatus();
  std::vector<const pki::Certificate*> many(33, &leaves_[0].cert);
  EXPECT_EQ(Answer(Request(many, false)).status, OcspResponseStatus::kMalformedRequest);
}

TEST_F(OcspResponderTest, RequestsMixingCasAreUnauthorized) {
  auto foreign_root = TestCa::CreateRoot();
  ASSERT_OK(foreign_root);
  auto foreign = foreign_root->Issue(CertSpec{});
  ASSERT_OK(foreign);
  OcspRequestPtr req(OCSP_REQUEST_new());
  OCSP_request_add0_id(req.get(),
                       OCSP_cert_to_id(EVP_sha1(), leaves_[0].cert.get(), inter_->cert().get()));
  OCSP_request_add0_id(
      req.get(), OCSP_cert_to_id(EVP_sha1(), foreign->cert.get(), foreign_root->cert().get()));
  unsigned char* der = nullptr;
  int len = i2d_OCSP_REQUEST(req.get(), &der);
  pki::OpenSslBytesPtr owner(der);
  OcspAnswer answer = Answer(Bytes(der, der + len));
  EXPECT_EQ(answer.status, OcspResponseStatus::kUnauthorized);
  EXPECT_NE(answer.detail.find("different CAs"), std::string::npos);
}

// RFC 6960 §4.2.2.2: a delegated responder signs; its certificate and its issuer's travel in
// `certs`; the responder ID is its key hash; nextUpdate stops at its notAfter.
TEST_F(OcspResponderTest, DelegatedSignerSignsAndTravelsWithItsIssuer) {
  CertSpec spec;
  spec.common_name = "responder";
  spec.ekus = {"OCSPSigning"};
  spec.not_after = now_ + std::chrono::minutes(30);
  auto responder = inter_->Issue(spec);
  ASSERT_OK(responder);
  issuers_[0].signer = OcspSigner{responder->cert, responder->key};
  OcspAnswer answer = Answer(Request({&leaves_[0].cert, &leaves_[1].cert}, /*nonce=*/true));
  ASSERT_EQ(answer.status, OcspResponseStatus::kSuccessful) << answer.detail;
  OcspBasicRespPtr basic = Verify(answer);  // trusting only the root
  ASSERT_TRUE(basic);
  X509* signer = nullptr;
  ASSERT_EQ(OCSP_resp_get0_signer(basic.get(), &signer, nullptr), 1);
  EXPECT_EQ(X509_cmp(signer, responder->cert.get()), 0);
  const STACK_OF(X509)* certs = OCSP_resp_get0_certs(basic.get());
  ASSERT_EQ(sk_X509_num(certs), 2);
  EXPECT_EQ(X509_cmp(sk_X509_value(certs, 1), inter_->cert().get()), 0);
  const ASN1_OCTET_STRING* key_hash = nullptr;
  const X509_NAME* by_name = nullptr;
  ASSERT_EQ(OCSP_resp_get0_id(basic.get(), &key_hash, &by_name), 1);
  EXPECT_NE(key_hash, nullptr);
  EXPECT_EQ(OCSP_check_nonce(last_request_.get(), basic.get()), 1);
  OcspCertIdPtr id(OCSP_cert_to_id(EVP_sha1(), leaves_[1].cert.get(), inter_->cert().get()));
  int status = -1, reason = -1;
  ASN1_GENERALIZEDTIME *rev = nullptr, *thisupd = nullptr, *nextupd = nullptr;
  ASSERT_EQ(
      OCSP_resp_find_status(basic.get(), id.get(), &status, &reason, &rev, &thisupd, &nextupd), 1);
  EXPECT_EQ(status, V_OCSP_CERTSTATUS_REVOKED);
  EXPECT_EQ(reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
  EXPECT_EQ(*pki::Asn1TimeToTimePoint(nextupd), responder->cert.NotAfter());
}

}  // namespace
}  // namespace ck::ca
