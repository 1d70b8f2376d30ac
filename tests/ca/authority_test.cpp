// The Authority on a real SqliteStore: CA creation (extensions as RFC 5280 wants them),
// issuance from a CSR and with a server-side key, profile and name-constraint refusals, and
// that a refused request writes nothing.
#include <gtest/gtest.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "pki/verify.hpp"
#include "tests/ca/ca_test_util.hpp"

namespace ck::ca {
namespace {

using std::chrono::hours;
using testing::AuthorityFixture;

bool IsCritical(const pki::Certificate& cert, int nid) {
  int idx = X509_get_ext_by_NID(cert.get(), nid, -1);
  return idx >= 0 && X509_EXTENSION_get_critical(X509_get_ext(cert.get(), idx)) == 1;
}

bool HasExtension(const pki::Certificate& cert, int nid) {
  return X509_get_ext_by_NID(cert.get(), nid, -1) >= 0;
}

class AuthorityTest : public AuthorityFixture {};

TEST_F(AuthorityTest, InitCreatesRootAndIntermediate) {
  InitCa();
  ASSERT_OK_AND_ASSIGN(auto cas, authority_->ListCas());
  ASSERT_EQ(cas.size(), 2u);
  const CaView& root = cas[0];
  const CaView& inter = cas[1];
  EXPECT_EQ(root.record.role, "root");
  EXPECT_EQ(inter.record.role, "intermediate");
  EXPECT_EQ(root.record.status, "active");
  EXPECT_EQ(inter.record.status, "active");
  EXPECT_TRUE(root.key_online && inter.key_online);

  EXPECT_TRUE(root.info.self_signed);
  EXPECT_TRUE(root.info.is_ca);
  EXPECT_EQ(root.info.path_length, 1);
  EXPECT_EQ(root.info.key_type, pki::KeyType::kEcdsaP384);
  EXPECT_EQ(root.info.key_usages, (std::vector<std::string>{"keyCertSign", "cRLSign"}));
  EXPECT_EQ(root.info.signature_algorithm, "ecdsa-with-SHA384");
  EXPECT_EQ(root.info.not_after - root.info.not_before, hours(24 * 3650) + std::chrono::minutes(1));
  EXPECT_EQ(root.info.subject_key_id, root.info.authority_key_id);
  EXPECT_FALSE(root.info.subject_key_id.empty());

  EXPECT_TRUE(inter.info.is_ca);
  EXPECT_EQ(inter.info.path_length, 0);
  EXPECT_EQ(inter.info.key_type, pki::KeyType::kEcdsaP256);
  EXPECT_EQ(inter.info.key_usages,
            (std::vector<std::string>{"digitalSignature", "keyCertSign", "cRLSign"}));
  EXPECT_EQ(inter.info.authority_key_id, root.info.subject_key_id);
  EXPECT_EQ(inter.info.signature_algorithm, "ecdsa-with-SHA384");  // signed by the P-384 root
  EXPECT_EQ(inter.info.not_after - inter.info.not_before,
            hours(24 * 365) + std::chrono::minutes(1));
  EXPECT_EQ(inter.info.crl_urls,
            std::vector<std::string>{"http://ca.test/crl/" + root.record.name + ".crl"});
  EXPECT_TRUE(inter.info.ocsp_urls.empty());
  EXPECT_EQ(inter.info.issuer, root.info.subject);

  ASSERT_OK_AND_ASSIGN(auto chain, authority_->ChainBundle());
  ASSERT_EQ(chain.size(), 2u);
  EXPECT_TRUE(IsCritical(chain[1], NID_basic_constraints));
  EXPECT_TRUE(IsCritical(chain[1], NID_key_usage));
  EXPECT_TRUE(IsCritical(chain[0], NID_basic_constraints));
  EXPECT_FALSE(HasExtension(chain[0], NID_name_constraints));  // none configured
  pki::VerifyOptions vo;
  vo.at = now_;
  vo.purpose = "";
  EXPECT_TRUE(pki::VerifyChain({chain[0]}, {chain[1]}, vo).ok);

  // Keys sealed in the store, a first CRL for each, an event each.
  ASSERT_OK_AND_ASSIGN(auto keys, store_->ListKeys());
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].label, "ca/" + root.record.name);
  ASSERT_TRUE(root.crl && inter.crl);
  EXPECT_EQ(root.crl->crl_number, 1);
  EXPECT_EQ(root.crl->next_update, now_ + hours(24 * 365));
  EXPECT_EQ(inter.crl->next_update, now_ + hours(24));
  EXPECT_EQ(EventCount(), 2u);

  // Once only.
  Status again = authority_->Init({}, now_);
  EXPECT_EQ(again.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(again.message().find("already initialised"), std::string::npos);
  EXPECT_EQ(authority_->ListCas()->size(), 2u);
}

TEST_F(AuthorityTest, KeyTypesAndLifetimesFromOptions) {
  InitOptions o;
  o.root_key_type = pki::KeyType::kEd25519;
  o.intermediate_key_type = pki::KeyType::kRsa2048;
  o.intermediate_lifetime = hours(24 * 30);
  InitCa(o);
  ASSERT_OK_AND_ASSIGN(auto cas, authority_->ListCas());
  EXPECT_EQ(cas[0].info.key_type, pki::KeyType::kEd25519);
  EXPECT_EQ(cas[1].info.key_type, pki::KeyType::kRsa2048);
  EXPECT_EQ(cas[1].info.signature_algorithm, "ED25519");
  EXPECT_EQ(cas[1].info.not_after, now_ + hours(24 * 30));
  Issued leaf = IssueServer("a.svc.internal");
  EXPECT_EQ(leaf.certificate().Inspect().signature_algorithm, "sha256WithRSAEncryption");
}

TEST_F(AuthorityTest, IssueWithServerSideKey) {
  InitCa();
  const size_t keys_before = KeyCount();
  KeyIssueRequest req;
  req.sans.dns_names = {"api.svc.internal", "api"};
  req.sans.ip_addresses = {"10.1.2.3"};
  ASSERT_OK_AND_ASSIGN(Issued issued, authority_->IssueWithKey(req, now_));
  ASSERT_TRUE(issued.key.has_value());
  EXPECT_TRUE(pki::KeyMatches(issued.certificate(), *issued.key));
  const pki::CertificateInfo info = issued.certificate().Inspect();
  EXPECT_EQ(info.common_name, "api.svc.internal");
  EXPECT_EQ(info.extended_key_usages, std::vector<std::string>{"serverAuth"});
  EXPECT_EQ(info.key_usages, std::vector<std::string>{"digitalSignature"});
  EXPECT_FALSE(info.is_ca);
  EXPECT_TRUE(IsCritical(issued.certificate(), NID_basic_constraints));
  EXPECT_TRUE(IsCritical(issued.certificate(), NID_key_usage));
  EXPECT_FALSE(IsCritical(issued.certificate(), NID_subject_alt_name));  // the subject has a CN
  EXPECT_EQ(info.not_before, now_ - std::chrono::minutes(1));
  EXPECT_EQ(info.not_after, now_ + hours(24));
  EXPECT_EQ(info.serial_hex, issued.serial_hex);
  EXPECT_GE(info.serial_hex.size(), 30u);  // 128 random bits
  EXPECT_EQ(info.crl_urls,
            std::vector<std::string>{"http://ca.test/crl/" + issued.ca_name + ".crl"});
  EXPECT_EQ(info.ocsp_urls, std::vector<std::string>{"http://ca.test/ocsp"});
  EXPECT_EQ(info.ca_issuer_urls,
            std::vector<std::string>{"http://ca.test/ca/" + issued.ca_name + ".crt"});
  ASSERT_EQ(issued.chain.size(), 1u);
  EXPECT_EQ(info.authority_key_id, issued.chain[0].Inspect().subject_key_id);

  pki::VerifyOptions vo;
  vo.at = now_;
  vo.hostname = "10.1.2.3";
  pki::VerifyResult vr =
      pki::VerifyChain({issued.certificate(), issued.chain[0]}, {issued.root}, vo);
  EXPECT_TRUE(vr.ok) << vr.message;
  vo.purpose = "clientAuth";
  vo.hostname.clear();
  EXPECT_EQ(pki::VerifyChain({issued.certificate(), issued.chain[0]}, {issued.root}, vo).reason,
            pki::VerifyReason::kInvalidPurpose);

  // One record, one event, no key kept.
  ASSERT_OK_AND_ASSIGN(store::CertificateRecord rec, store_->GetCertificate(issued.record_id));
  EXPECT_EQ(rec.source, "ca");
  EXPECT_EQ(rec.name, "api.svc.internal");
  EXPECT_EQ(rec.serial_hex, issued.serial_hex);
  EXPECT_EQ(rec.issuer, issued.chain[0].Subject());
  EXPECT_EQ(rec.sans, (std::vector<std::string>{"DNS:api.svc.internal", "DNS:api", "IP:10.1.2.3"}));
  EXPECT_EQ(rec.chain_pem, issued.chain[0].ToPem());
  EXPECT_FALSE(rec.key_id.has_value());
  EXPECT_EQ(KeyCount(), keys_before);
  store::EventQuery q;
  q.kind = "issued";
  ASSERT_OK_AND_ASSIGN(auto events, store_->ListEvents(q));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_NE(events[0].details_json.find(issued.serial_hex), std::string::npos);

  // Kept when asked, sealed, and the same key.
  req.store_key = true;
  req.sans = {};
  req.sans.dns_names = {"kept.svc.internal"};
  ASSERT_OK_AND_ASSIGN(Issued kept, authority_->IssueWithKey(req, now_));
  ASSERT_TRUE(kept.key_id.has_value());
  ASSERT_OK_AND_ASSIGN(store::SecretString pem, store_->GetPrivateKeyPem(*kept.key_id));
  EXPECT_EQ(pem.view(), kept.key->ToPem());
  EXPECT_EQ(store_->GetCertificate(kept.record_id)->key_id, kept.key_id);
}

TEST_F(AuthorityTest, ProfilesGrantTheirEkus) {
  InitCa();
  KeyIssueRequest req;
  req.options.profile = "client";
  req.sans.uris = {"spiffe://example.org/ns/prod/sa/web"};
  ASSERT_OK_AND_ASSIGN(Issued client, authority_->IssueWithKey(req, now_));
  EXPECT_EQ(client.certificate().Inspect().extended_key_usages,
            std::vector<std::string>{"clientAuth"});
  // No DNS name: no CN, so the SAN extension is critical (RFC 5280 §4.2.1.6).
  EXPECT_EQ(client.certificate().CommonName(), "");
  EXPECT_TRUE(IsCritical(client.certificate(), NID_subject_alt_name));
  req.options.profile = "peer";
  req.sans.dns_names = {"peer.svc.internal"};
  ASSERT_OK_AND_ASSIGN(Issued peer, authority_->IssueWithKey(req, now_));
  EXPECT_EQ(peer.certificate().Inspect().extended_key_usages,
            (std::vector<std::string>{"serverAuth", "clientAuth"}));
}

TEST_F(AuthorityTest, SignCsrTakesOnlyTheKeyAndNames) {
  InitCa();
  ASSERT_OK_AND_ASSIGN(pki::PrivateKey key, pki::PrivateKey::Generate(pki::KeyType::kEcdsaP384));
  pki::CsrRequest cr;
  cr.common_name = "web.svc.internal";
  cr.dns_names = {"web.svc.internal", "www.svc.internal"};
  ASSERT_OK_AND_ASSIGN(pki::Csr csr, pki::BuildCsr(cr, key));
  IssueOptions o;
  o.profile = "svc";
  o.lifetime = hours(72);
  o.name = "web";
  ASSERT_OK_AND_ASSIGN(Issued issued, authority_->SignCsr(csr, o, now_));
  EXPECT_FALSE(issued.key.has_value());
  EXPECT_TRUE(pki::KeyMatches(issued.certificate(), key));
  EXPECT_EQ(issued.certificate().Subject(), "CN=web.svc.internal");
  EXPECT_EQ(issued.certificate().NotAfter(), now_ + hours(72));
  EXPECT_EQ(store_->GetCertificate(issued.record_id)->name, "web");

  // A CN that is not among the SANs becomes one (and meets the policy like the others).
  cr.common_name = "extra.svc.internal";
  cr.dns_names = {"web.svc.internal"};
  ASSERT_OK_AND_ASSIGN(csr, pki::BuildCsr(cr, key));
  ASSERT_OK_AND_ASSIGN(issued, authority_->SignCsr(csr, o, now_));
  EXPECT_EQ(issued.certificate().Inspect().DnsNames(),
            (std::vector<std::string>{"web.svc.internal", "extra.svc.internal"}));
}

struct Refusal {
  std::string what;
  StatusCode code;
  std::string message;
};

TEST_F(AuthorityTest, BadRequestsAreRefusedAndWriteNothing) {
  InitCa();
  const size_t certs = CertificateCount(), events = EventCount(), keys = KeyCount();
  ASSERT_OK_AND_ASSIGN(pki::PrivateKey key, pki::PrivateKey::Generate(pki::KeyType::kEcdsaP256));
  pki::CsrRequest cr;
  cr.common_name = "a.svc.internal";
  cr.dns_names = {"a.svc.internal"};
  ASSERT_OK_AND_ASSIGN(pki::Csr good, pki::BuildCsr(cr, key));

  // Bad signature: change one byte of the signed content (the name), keep the signature.
  Bytes der = good.ToDer();
  const std::string needle = "a.svc.internal";
  auto at = std::search(der.begin(), der.end(), needle.begin(), needle.end());
  ASSERT_NE(at, der.end());
  *at = 'b';
  ASSERT_OK_AND_ASSIGN(pki::Csr tampered, pki::Csr::FromDer(der));

  // RSA-1024: too weak to be a KeyType.
  pki::EvpPkeyPtr rsa1024(EVP_RSA_gen(1024));
  ASSERT_TRUE(rsa1024);
  ASSERT_OK_AND_ASSIGN(pki::PrivateKey weak, pki::PrivateKey::Adopt(std::move(rsa1024)));
  ASSERT_OK_AND_ASSIGN(pki::Csr weak_csr, pki::BuildCsr(cr, weak));

  // The intermediate's own key in a CSR.
  MaterialCache cache;
  ASSERT_OK_AND_ASSIGN(auto cas, LoadCas(*store_, cache, true));
  ASSERT_OK_AND_ASSIGN(pki::Csr ca_key_csr, pki::BuildCsr(cr, *cas[1].key));

  pki::CsrRequest outside = cr;
  outside.common_name = "";
  outside.dns_names = {"evil.example.com"};
  ASSERT_OK_AND_ASSIGN(pki::Csr outside_csr, pki::BuildCsr(outside, key));
  pki::CsrRequest person = cr;
  person.common_name = "Alice Smith";
  ASSERT_OK_AND_ASSIGN(pki::Csr person_csr, pki::BuildCsr(person, key));

  auto sign = [&](const pki::Csr& csr, std::string profile, std::optional<seconds> ttl) {
    IssueOptions o;
    o.profile = std::move(profile);
    o.lifetime = ttl;
    return authority_->SignCsr(csr, o, now_).status();
  };
  struct Case {
    std::string what;
    Status status;
    StatusCode code;
    std::string message;
  };
  const Case cases[] = {
      {"garbage CSR",
       pki::Csr::FromPem("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END "
                         "CERTIFICATE REQUEST-----\n")
           .status(),
       StatusCode::kInvalidArgument, ""},
      {"bad signature", sign(tampered, "svc", {}), StatusCode::kInvalidArgument,
       "proof of possession"},
      {"weak key", sign(weak_csr, "svc", {}), StatusCode::kInvalidArgument, "CSR key"},
      {"CA key", sign(ca_key_csr, "svc", {}), StatusCode::kInvalidArgument, "public key of CA"},
      {"SAN outside policy", sign(outside_csr, "svc", {}), StatusCode::kPermissionDenied,
       "DNS name 'evil.example.com' is not allowed (allow_dns: **.svc.internal)"},
      {"CN that is no name", sign(person_csr, "svc", {}), StatusCode::kInvalidArgument,
       "common name 'Alice Smith'"},
      {"over max lifetime", sign(good, "server", hours(25)), StatusCode::kInvalidArgument,
       "requested lifetime 1d1h exceeds the maximum of profile 'server' (1d)"},
      {"under min lifetime", sign(good, "server", seconds(30)), StatusCode::kInvalidArgument,
       "below the minimum"},
      {"unknown profile", sign(good, "nope", {}), StatusCode::kNotFound, "no issuance profile"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(c.status.code(), c.code) << c.what << ": " << c.status.ToString();
    EXPECT_NE(c.status.message().find(c.message), std::string::npos)
        << c.what << ": " << c.status.message();
  }
  KeyIssueRequest uri_on_server;
  uri_on_server.sans.uris = {"spiffe://example.org/x"};
  EXPECT_EQ(authority_->IssueWithKey(uri_on_server, now_).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(CertificateCount(), certs);
  EXPECT_EQ(EventCount(), events);
  EXPECT_EQ(KeyCount(), keys);
  EXPECT_EQ(store_->GetCrl(cas[1].record.id)->crl_number, 1);
}

TEST_F(AuthorityTest, CaRefusesNamesOutsideItsNameConstraints) {
  InitOptions o;
  NameConstraints nc;
  nc.permitted_dns = {"svc.internal"};
  nc.excluded_dns = {"secret.svc.internal"};
  nc.permitted_ip = {"10.0.0.0/8"};
  nc.permitted_uri = {"example.org"};
  o.name_constraints = nc;
  InitCa(o);
  ASSERT_OK_AND_ASSIGN(auto chain, authority_->ChainBundle());
  EXPECT_TRUE(IsCritical(chain[0], NID_name_constraints));
  EXPECT_FALSE(HasExtension(chain[1], NID_name_constraints));  // the root is unconstrained

  const size_t certs = CertificateCount();
  struct Case {
    pki::SanRequest sans;
    const char* culprit;
  };
  std::vector<Case> refused(3);
  refused[0].sans.dns_names = {"a.svc.internal", "www.example.com"};
  refused[0].culprit = "DNS:www.example.com violates the name constraints";
  refused[1].sans.dns_names = {"db.secret.svc.internal"};
  refused[1].culprit = "DNS:db.secret.svc.internal";
  refused[2].sans.ip_addresses = {"192.168.0.1"};
  refused[2].culprit = "IP:192.168.0.1";
  for (const auto& c : refused) {
    KeyIssueRequest req;
    req.options.profile = "peer";
    req.sans = c.sans;
    auto r = authority_->IssueWithKey(req, now_);
    EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << r.status().ToString();
    EXPECT_NE(r.status().message().find(c.culprit), std::string::npos) << r.status().message();
  }
  EXPECT_EQ(CertificateCount(), certs);
  KeyIssueRequest ok;
  ok.options.profile = "peer";
  ok.sans.dns_names = {"a.svc.internal"};
  ok.sans.ip_addresses = {"10.9.8.7"};
  ok.sans.uris = {"spiffe://example.org/ns/a/sa/b"};
  EXPECT_OK(authority_->IssueWithKey(ok, now_));
}

TEST_F(AuthorityTest, ConstraintsOnTheRootWhenAsked) {
  InitOptions o;
  NameConstraints nc;
  nc.permitted_dns = {"svc.internal"};
  o.name_constraints = nc;
  o.constraint_target = ConstraintTarget::kBoth;
  InitCa(o);
  ASSERT_OK_AND_ASSIGN(auto chain, authority_->ChainBundle());
  EXPECT_TRUE(HasExtension(chain[0], NID_name_constraints));
  EXPECT_TRUE(HasExtension(chain[1], NID_name_constraints));
}

TEST_F(AuthorityTest, LifetimeCappedAtTheIntermediatesExpiry) {
  InitOptions o;
  o.intermediate_lifetime = hours(10);
  InitCa(o);
  Issued issued = IssueServer("a.svc.internal");
  EXPECT_TRUE(issued.lifetime_capped);
  EXPECT_EQ(issued.certificate().NotAfter(), issued.chain[0].NotAfter());
  // After the intermediate expired, nothing is issued.
  KeyIssueRequest req;
  req.sans.dns_names = {"late.svc.internal"};
  auto late = authority_->IssueWithKey(req, now_ + hours(11));
  EXPECT_EQ(late.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(late.status().message().find("rotate-intermediate"), std::string::npos);
}

TEST_F(AuthorityTest, ConcurrentIssuanceFromManyThreads) {
  InitCa();
  constexpr int kThreads = 4, kEach = 10;
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<std::string> serials;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        KeyIssueRequest req;
        req.sans.dns_names = {"t" + std::to_string(t) + "-" + std::to_string(i) + ".svc.internal"};
        auto issued = authority_->IssueWithKey(req, now_);
        if (!issued.ok()) {
          ++failures;
          continue;
        }
        std::lock_guard lock(mu);
        serials.insert(issued->serial_hex);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(serials.size(), static_cast<size_t>(kThreads * kEach));
  EXPECT_EQ(CertificateCount(), static_cast<size_t>(kThreads * kEach));
  store::EventQuery q;
  q.kind = "issued";
  q.limit = 0;
  EXPECT_EQ(store_->ListEvents(q)->size(), static_cast<size_t>(kThreads * kEach));
}

TEST_F(AuthorityTest, NothingWorksBeforeInit) {
  KeyIssueRequest req;
  req.sans.dns_names = {"a.svc.internal"};
  EXPECT_EQ(authority_->IssueWithKey(req, now_).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(authority_->ChainBundle().status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(authority_->CurrentCrl().status().code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE(*authority_->Initialized());
}

}  // namespace
}  // namespace ck::ca
