// What the internal CA produces, checked by the openssl binary: `openssl verify` of issued
// chains (and of a leaf that breaks the intermediate's name constraints, which the CA itself
// refuses to issue), `openssl crl -verify`, CRL checking, and `openssl ocsp` reading responses
// our RespondOcsp made for requests `openssl ocsp -reqout` wrote.
#include <gtest/gtest.h>

#include "ca/cert_builder.hpp"
#include "ca/serial.hpp"
#include "tests/e2e/ca_e2e_util.hpp"

namespace ck::ca::e2e {
namespace {

using std::chrono::hours;

class CaOpenSslTest : public CaE2eFixture {
 protected:
  void SetUp() override {
    InitOptions o;
    NameConstraints nc;
    nc.permitted_dns = {"svc.internal"};
    nc.permitted_ip = {"10.0.0.0/8", "127.0.0.0/8"};
    nc.permitted_uri = {"example.org"};
    o.name_constraints = nc;
    InitCa(Now() - hours(1), o);
  }

  std::pair<int, std::string> Verify(const std::string& leaf, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"verify", "-CAfile", root_pem_, "-untrusted", inter_pem_};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(leaf);
    return OpenSsl(args);
  }
};

TEST_F(CaOpenSslTest, IssuedChainsVerify) {
  pki::SanRequest server;
  server.dns_names = {"a.svc.internal"};
  server.ip_addresses = {"10.1.2.3"};
  Files s = Write("server", Issue("server", server, Now()));
  auto [rc, out] = Verify(s.cert, {"-purpose", "sslserver", "-verify_hostname", "a.svc.internal",
                                   "-verify_ip", "10.1.2.3", "-x509_strict"});
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find(": OK"), std::string::npos) << out;

  pki::SanRequest workload;
  workload.uris = {"spiffe://example.org/ns/prod/sa/web"};
  Files c = Write("client", Issue("client", workload, Now()));
  std::tie(rc, out) = Verify(c.cert, {"-purpose", "sslclient", "-x509_strict"});
  EXPECT_EQ(rc, 0) << out;
  // A client certificate is not a server certificate.
  std::tie(rc, out) = Verify(c.cert, {"-purpose", "sslserver"});
  EXPECT_NE(rc, 0) << out;
  EXPECT_NE(out.find("unsuitable certificate purpose"), std::string::npos) << out;
  // Not trusted without the root.
  std::tie(rc, out) = OpenSsl({"verify", "-CAfile", inter_pem_, s.cert});
  EXPECT_NE(rc, 0) << out;
}

TEST_F(CaOpenSslTest, NameConstraintsEnforcedByOpenSslAndByTheCa) {
  // The CA refuses.
  KeyIssueRequest req;
  req.sans.dns_names = {"evil.example.com"};
  auto refused = authority_->IssueWithKey(req, Now());
  ASSERT_EQ(refused.status().code(), StatusCode::kPermissionDenied) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("name constraints"), std::string::npos);

  // A leaf minted around the CA's checks with the intermediate's key: openssl refuses it.
  MaterialCache cache;
  ASSERT_OK_AND_ASSIGN(auto cas, LoadCas(*store_, cache, true));
  const CaEntity& inter = cas[1];
  ASSERT_OK_AND_ASSIGN(pki::PrivateKey key, pki::PrivateKey::Generate(pki::KeyType::kEcdsaP256));
  CertTemplate t;
  t.common_name = "evil.example.com";
  t.sans = {{pki::SanType::kDns, "evil.example.com"}};
  t.ekus = {ExtendedKeyUsage::kServerAuth};
  ASSERT_OK_AND_ASSIGN(t.serial, NewSerial());
  t.not_before = Now() - hours(1);
  t.not_after = Now() + hours(1);
  ASSERT_OK_AND_ASSIGN(pki::Certificate evil,
                       SignCertificate(t, key.GetPublicKey(), &inter.cert, *inter.key));
  const std::string evil_pem = dir_.WriteFile("evil.pem", evil.ToPem());
  auto [rc, out] = Verify(evil_pem);
  EXPECT_NE(rc, 0) << out;
  EXPECT_NE(out.find("permitted subtree violation"), std::string::npos) << out;

  // An IP outside the permitted ranges too.
  t.common_name.clear();
  t.sans = {{pki::SanType::kIp, "192.168.1.1"}};
  ASSERT_OK_AND_ASSIGN(t.serial, NewSerial());
  ASSERT_OK_AND_ASSIGN(evil, SignCertificate(t, key.GetPublicKey(), &inter.cert, *inter.key));
  std::tie(rc, out) = Verify(dir_.WriteFile("evil-ip.pem", evil.ToPem()));
  EXPECT_NE(rc, 0) << out;
  EXPECT_NE(out.find("permitted subtree violation"), std::string::npos) << out;
}

TEST_F(CaOpenSslTest, CrlVerifiesAndRevocationIsSeen) {
  pki::SanRequest sans;
  sans.dns_names = {"a.svc.internal"};
  Issued good = Issue("server", sans, Now());
  Issued bad = Issue("server", sans, Now());
  Files g = Write("good", good), b = Write("bad", bad);
  ASSERT_OK(authority_->Revoke(bad.serial_hex, RevocationReason::kKeyCompromise, Now()));
  const std::string crl = WriteCrl("inter.crl");

  auto [rc, out] = OpenSsl({"crl", "-in", crl, "-CAfile", inter_pem_, "-noout", "-verify"});
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("verify OK"), std::string::npos) << out;
  std::tie(rc, out) = OpenSsl({"crl", "-in", crl, "-noout", "-text"});
  EXPECT_NE(out.find("CRL Number: \n                2"), std::string::npos) << out;
  EXPECT_NE(out.find(bad.serial_hex), std::string::npos) << out;
  EXPECT_NE(out.find("Key Compromise"), std::string::npos) << out;
  EXPECT_EQ(out.find(good.serial_hex), std::string::npos) << out;
  // A CRL is not verified by some other CA.
  std::tie(rc, out) = OpenSsl({"crl", "-in", crl, "-CAfile", root_pem_, "-noout", "-verify"});
  EXPECT_NE(rc, 0) << out;
  EXPECT_NE(out.find("Error getting CRL issuer certificate"), std::string::npos) << out;

  std::tie(rc, out) = Verify(b.cert, {"-crl_check", "-CRLfile", crl});
  EXPECT_NE(rc, 0) << out;
  EXPECT_NE(out.find("certificate revoked"), std::string::npos) << out;
  std::tie(rc, out) = Verify(g.cert, {"-crl_check", "-CRLfile", crl});
  EXPECT_EQ(rc, 0) << out;
  // The whole chain, with the root's CRL covering the intermediate.
  ASSERT_OK_AND_ASSIGN(auto cas, authority_->ListCas());
  ASSERT_TRUE(cas[0].crl.has_value());
  const std::string both = dir_.WriteFile("both.crl", cas[0].crl->crl_pem + cas[1].crl->crl_pem);
  std::tie(rc, out) = Verify(g.cert, {"-crl_check_all", "-CRLfile", both});
  EXPECT_EQ(rc, 0) << out;
}

TEST_F(CaOpenSslTest, OcspResponsesReadByOpenSsl) {
  pki::SanRequest sans;
  sans.dns_names = {"a.svc.internal"};
  Issued good = Issue("server", sans, Now());
  Issued bad = Issue("server", sans, Now());
  Files g = Write("good", good), b = Write("bad", bad);
  ASSERT_OK(authority_->Revoke(bad.serial_hex, RevocationReason::kSuperseded, Now()));

  auto ask = [&](const std::string& cert, const std::string& name) {
    const std::string req = dir_.Path(name + ".req"), resp = dir_.Path(name + ".resp");
    // The request as openssl writes it (with a nonce).
    auto [rc, out] = OpenSsl({"ocsp", "-issuer", inter_pem_, "-cert", cert, "-reqout", req});
    EXPECT_EQ(rc, 0) << out;
    const std::string der = dir_.ReadFile(name + ".req");
    auto answer = authority_->RespondOcsp(ToBytes(der), Now());
    EXPECT_OK(answer);
    dir_.WriteFile(name + ".resp", ToString(answer.value_or(Bytes{})));
    // Signature, signer and nonce against the original request.
    std::tie(rc, out) =
        OpenSsl({"ocsp", "-reqin", req, "-respin", resp, "-CAfile", root_pem_, "-resp_text"});
    EXPECT_EQ(rc, 0) << out;
    EXPECT_NE(out.find("Response verify OK"), std::string::npos) << out;
    EXPECT_NE(out.find("OCSP Nonce"), std::string::npos) << out;
    EXPECT_EQ(out.find("WARNING: no nonce"), std::string::npos) << out;
    // Status of the certificate, validity window checked against the clock.
    std::tie(rc, out) = OpenSsl({"ocsp", "-issuer", inter_pem_, "-cert", cert, "-respin", resp,
                                 "-CAfile", root_pem_, "-no_nonce"});
    EXPECT_EQ(rc, 0) << out;
    return out;
  };
  std::string out = ask(g.cert, "good");
  EXPECT_NE(out.find(g.cert + ": good"), std::string::npos) << out;
  out = ask(b.cert, "bad");
  EXPECT_NE(out.find(b.cert + ": revoked"), std::string::npos) << out;
  EXPECT_NE(out.find("Reason: superseded"), std::string::npos) << out;

  // The intermediate's status, answered by the root.
  const std::string req = dir_.Path("inter.req");
  auto [rc, o] = OpenSsl({"ocsp", "-issuer", root_pem_, "-cert", inter_pem_, "-reqout", req});
  ASSERT_EQ(rc, 0) << o;
  auto answer = authority_->RespondOcsp(ToBytes(dir_.ReadFile("inter.req")), Now());
  ASSERT_OK(answer);
  const std::string resp = dir_.WriteFile("inter.resp", ToString(*answer));
  std::tie(rc, o) = OpenSsl({"ocsp", "-issuer", root_pem_, "-cert", inter_pem_, "-respin", resp,
                             "-CAfile", root_pem_, "-no_nonce"});
  EXPECT_EQ(rc, 0) << o;
  EXPECT_NE(o.find(inter_pem_ + ": good"), std::string::npos) << o;
}

// RFC 6960 §4.2.2.2: with ocsp_delegated, answers are signed by a responder certificate the
// intermediate issued; `openssl ocsp` trusting only the root accepts them (the response
// carries the responder and the intermediate) and sees the responder's profile.
TEST_F(CaOpenSslTest, DelegatedOcspResponderAcceptedByOpenSsl) {
  // The same CA (and store), now with delegation switched on.
  CaSettings settings = E2eSettings();
  settings.ocsp_delegated = true;
  authority_ = std::make_unique<Authority>(*store_, settings);
  pki::SanRequest sans;
  sans.dns_names = {"a.svc.internal"};
  Files g = Write("dgood", Issue("server", sans, Now()));
  Issued bad = Issue("server", sans, Now());
  Files b = Write("dbad", bad);
  ASSERT_OK(authority_->Revoke(bad.serial_hex, RevocationReason::kKeyCompromise, Now()));

  auto ask = [&](const std::string& cert, const std::string& name) {
    const std::string req = dir_.Path(name + ".req"), resp = dir_.Path(name + ".resp");
    auto [rc, out] = OpenSsl({"ocsp", "-issuer", inter_pem_, "-cert", cert, "-reqout", req});
    EXPECT_EQ(rc, 0) << out;
    auto answer = authority_->RespondOcsp(ToBytes(dir_.ReadFile(name + ".req")), Now());
    EXPECT_OK(answer);
    dir_.WriteFile(name + ".resp", ToString(answer.value_or(Bytes{})));
    std::tie(rc, out) =
        OpenSsl({"ocsp", "-reqin", req, "-respin", resp, "-CAfile", root_pem_, "-resp_text"});
    EXPECT_EQ(rc, 0) << out;
    EXPECT_NE(out.find("Response verify OK"), std::string::npos) << out;
    EXPECT_NE(out.find("OCSP Nonce"), std::string::npos) << out;
    // Responder ID by key, and the responder's certificate in the response.
    EXPECT_NE(out.find("Responder Id: "), std::string::npos) << out;
    EXPECT_EQ(out.find("Responder Id: O="), std::string::npos) << out;  // not byName
    EXPECT_NE(out.find("Subject: O=certkeeper, CN=certkeeper OCSP responder intermediate-"),
              std::string::npos)
        << out;
    EXPECT_NE(out.find("OCSP Signing"), std::string::npos) << out;
    EXPECT_NE(out.find("OCSP No Check"), std::string::npos) << out;
    std::tie(rc, out) = OpenSsl({"ocsp", "-issuer", inter_pem_, "-cert", cert, "-respin", resp,
                                 "-CAfile", root_pem_, "-no_nonce"});
    EXPECT_EQ(rc, 0) << out;
    return out;
  };
  std::string out = ask(g.cert, "dgood");
  EXPECT_NE(out.find(g.cert + ": good"), std::string::npos) << out;
  {
    // Trust is still needed: trusting some other certificate only, verification fails.
    auto [rc, o] = OpenSsl({"ocsp", "-reqin", dir_.Path("dgood.req"), "-respin",
                            dir_.Path("dgood.resp"), "-CAfile", g.cert, "-no_nonce"});
    EXPECT_NE(o.find("Response Verify Failure"), std::string::npos) << o;
  }
  out = ask(b.cert, "dbad");
  EXPECT_NE(out.find(b.cert + ": revoked"), std::string::npos) << out;
  EXPECT_NE(out.find("Reason: keyCompromise"), std::string::npos) << out;

  // The responder certificate itself, as `openssl x509` and `openssl verify` see it.
  ASSERT_OK_AND_ASSIGN(std::vector<CaView> cas, authority_->ListCas());
  std::string responder_pem;
  for (const auto& v : cas) {
    if (v.record.role == kRoleOcspResponder) responder_pem = v.record.cert_pem;
  }
  ASSERT_FALSE(responder_pem.empty());
  const std::string responder = dir_.WriteFile("responder.pem", responder_pem);
  auto [rc, text] = OpenSsl({"x509", "-in", responder, "-noout", "-text"});
  ASSERT_EQ(rc, 0) << text;
  EXPECT_NE(text.find("Digital Signature"), std::string::npos) << text;
  EXPECT_EQ(text.find("Certificate Sign"), std::string::npos) << text;
  EXPECT_NE(text.find("CA:FALSE"), std::string::npos) << text;
  std::tie(rc, text) = OpenSsl({"verify", "-CAfile", root_pem_, "-untrusted", inter_pem_,
                                "-purpose", "ocsphelper", "-x509_strict", responder});
  EXPECT_EQ(rc, 0) << text;
}

}  // namespace
}  // namespace ck::ca::e2e
