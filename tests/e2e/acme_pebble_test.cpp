// The ACME library against the real Pebble (PEBBLE_VA_NOSLEEP=1, default 5% nonce rejection
// unless a test says otherwise): issuance, key types, alternate chains, revocation, key
// rollover, EAB, nonce torture, failing challenges and a CA that dies mid-order.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/resource.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "acme/client.hpp"
#include "acme/curl_transport.hpp"
#include "acme/order_flow.hpp"
#include "acme/solvers/dns01.hpp"
#include "acme/solvers/http01.hpp"
#include "acme/solvers/rfc2136.hpp"
#include "acme/solvers/tls_alpn01.hpp"
#include "common/clock.hpp"
#include "common/rng.hpp"
#include "pki/certificate.hpp"
#include "pki/verify.hpp"
#include "tests/testing/bind_fixture.hpp"
#include "tests/testing/pebble_fixture.hpp"
#include "tests/testing/status_matchers.hpp"
#include "tests/testing/temp_dir.hpp"

namespace ck::acme {
namespace {

using ck::testing::PebbleFixture;
using ck::testing::PebbleOptions;

#define SKIP_WITHOUT_PEBBLE() \
  if (!PebbleFixture::Installed()) GTEST_SKIP() << "pebble not installed"

// One Pebble, one client, one http-01 listener on the port Pebble's VA uses.
struct Env {
  std::unique_ptr<PebbleFixture> pebble;
  std::unique_ptr<CurlTransport> transport;
  SystemClock clock;
  SystemRng rng;
  std::unique_ptr<Client> client;
  std::unique_ptr<Http01Standalone> http01;

  Status Init(PebbleOptions options = {}) {
    ASSIGN_OR_RETURN(pebble, PebbleFixture::Start(options));
    CurlTransportOptions t;
    t.ca_bundle = pebble->ca_bundle();
    transport = std::make_unique<CurlTransport>(t);
    ClientOptions c;
    c.directory_url = pebble->directory_url();
    client = std::make_unique<Client>(*transport, clock, rng, c);
    ASSIGN_OR_RETURN(http01, Http01Standalone::Start("127.0.0.1", pebble->http_port()));
    return OkStatus();
  }

  Result<JwsKey> Register(pki::KeyType type = pki::KeyType::kEcdsaP256) {
    ASSIGN_OR_RETURN(pki::PrivateKey k, pki::PrivateKey::Generate(type));
    ASSIGN_OR_RETURN(JwsKey key, JwsKey::Create(k));
    NewAccountRequest req;
    req.contact = {"mailto:ops@example.test"};
    RETURN_IF_ERROR(client->NewAccount(key, req));
    return key;
  }

  Result<IssuedCertificate> Issue(OrderRequest req) {
    OrderFlow flow(*client, {{"http-01", http01.get()}});
    return flow.Obtain(req);
  }

  // GET on Pebble's management interface.
  Result<HttpResponse> Manage(const std::string& path) {
    HttpRequest r;
    r.url = pebble->management_url() + path;
    return transport->Do(r);
  }
};

// Verifies leaf+chain against Pebble's issuing root `root_index`.
void ExpectChainsTo(Env& env, const IssuedCertificate& issued, int root_index) {
  auto root = env.Manage("/roots/" + std::to_string(root_index));
  ASSERT_OK(root);
  ASSERT_EQ(root->status, 200);
  ASSERT_OK_AND_ASSIGN(auto roots, pki::ParseCertificateChain(root->body));
  ASSERT_OK_AND_ASSIGN(auto chain, pki::ParseCertificateChain(issued.fullchain_pem));
  pki::VerifyOptions vo;
  vo.at = env.clock.Now();
  pki::VerifyResult verdict = pki::VerifyChain(chain, roots, vo);
  EXPECT_TRUE(verdict.ok) << verdict.message;
}

TEST(AcmePebbleTest, IssuesWithHttp01StandaloneAndEcdsa) {
  SKIP_WITHOUT_PEBBLE();
  Env env;
  ASSERT_OK(env.Init());
  ASSERT_OK(env.Register());
  OrderRequest req;
  req.names = {"example.test", "www.example.test"};
  std::vector<std::string> events;
  OrderFlow flow(*env.client, {{"http-01", env.http01.get()}});
  ASSERT_OK_AND_ASSIGN(IssuedCertificate issued, flow.Obtain(req, [&](const ProgressEvent& e) {
    events.push_back(e.identifier + ":" + e.stage);
  }));
  ASSERT_OK_AND_ASSIGN(pki::Certificate leaf, pki::Certificate::FromPem(issued.cert_pem));
  auto names = leaf.Inspect().DnsNames();
  EXPECT_EQ(names.size(), 2u);
  EXPECT_TRUE(pki::KeyMatches(leaf, issued.key));
  EXPECT_EQ(issued.key.Type().value(), pki::KeyType::kEcdsaP256);
  ExpectChainsTo(env, issued, 0);
  EXPECT_EQ(env.http01->tokens(), 0u) << "CleanUp must remove every token";
  EXPECT_GT(env.http01->requests_served(), 0u);
  EXPECT_NE(std::find(events.begin(), events.end(), "example.test:valid"), events.end());
  EXPECT_NE(std::find(events.begin(), events.end(), "www.example.test:valid"), events.end());
}

// Wraps a solver: counts calls, can answer with a wrong key authorization, can run a hook
// after Present (to kill Pebble mid-order).
class ProbeSolver final : public Solver {
 public:
  explicit ProbeSolver(Solver* inner) : inner_(inner) {}
  Status Present(const ChallengeContext& c) override {
    presents++;
    ChallengeContext copy = c;
    if (wrong_response) copy.key_authorization = c.token + ".not-the-thumbprint";
    RETURN_IF_ERROR(inner_->Present(copy));
    if (after_present) after_present();
    return OkStatus();
  }
  Status CleanUp(const ChallengeContext& c) override {
    cleanups++;
    return inner_->CleanUp(c);
  }
  std::atomic<int> presents{0};
  std::atomic<int> cleanups{0};
  bool wrong_response = false;
  std::function<void()> after_present;

 private:
  Solver* inner_;
};

TEST(AcmePebbleTest, TenSansWithRsaAccountAndRsaCertificateKey) {
  SKIP_WITHOUT_PEBBLE();
  Env env;
  ASSERT_OK(env.Init());
  ASSERT_OK_AND_ASSIGN(JwsKey account, env.Register(pki::KeyType::kRsa2048));
  EXPECT_EQ(account.alg(), "RS256");
  OrderRequest req;
  for (int i = 0; i < 10; ++i) req.names.push_back("san" + std::to_string(i) + ".example.test");
  req.key_type = pki::KeyType::kRsa2048;
  ASSERT_OK_AND_ASSIGN(IssuedCertificate issued, env.Issue(req));
  ASSERT_OK_AND_ASSIGN(pki::Certificate leaf, pki::Certificate::FromPem(issued.cert_pem));
  EXPECT_EQ(leaf.Inspect().DnsNames().size(), 10u);
  EXPECT_EQ(leaf.Inspect().key_type, pki::KeyType::kRsa2048);
  ExpectChainsTo(env, issued, 0);
}

TEST(AcmePebbleTest, EcdsaP384AccountAndIpAddressIdentifier) {
  SKIP_WITHOUT_PEBBLE();
  Env env;
  ASSERT_OK(env.Init());
  ASSERT_OK_AND_ASSIGN(JwsKey account, env.Register(pki::KeyType::kEcdsaP384));
  EXPECT_EQ(account.alg(), "ES384");
  OrderRequest req;
  req.names = {"127.0.0.1"};  // RFC 8738: http-01 for an IP identifier
  req.key_type = pki::KeyType::kEcdsaP384;
  ASSERT_OK_AND_ASSIGN(IssuedCertificate issued, env.Issue(req));
  ASSERT_OK_AND_ASSIGN(pki::Certificate leaf, pki::Certificate::FromPem(issued.cert_pem));
  ASSERT_EQ(leaf.SubjectAltNames().size(), 1u);
  EXPECT_EQ(leaf.Inspect().key_type, pki::KeyType::kEcdsaP384);
}

TEST(AcmePebbleTest, AccountFindUpdateDeactivate) {
  SKIP_WITHOUT_PEBBLE();
  Env env;
  ASSERT_OK(env.Init());
  ASSERT_OK_AND_ASSIGN(JwsKey key, env.Register());
  std::string url = env.client->account_url();
  // RFC 8555 §7.3.1: onlyReturnExisting finds the account of a key, from a fresh client.
  ClientOptions c;
  c.directory_url = env.pebble->directory_url();
  Client other(*env.transport, env.clock, env.rng, c);
  NewAccountRequest find;
  find.only_return_existing = true;
  ASSERT_OK_AND_ASSIGN(Account found, other.NewAccount(key, find));
  EXPECT_EQ(found.url, url);
  ASSERT_OK_AND_ASSIGN(Account updated, other.UpdateContact({"mailto:new@example.test"}));
  ASSERT_EQ(updated.contact.size(), 1u);
  EXPECT_EQ(updated.contact[0], "mailto:new@example.test");
  ASSERT_OK_AND_ASSIGN(Account gone, other.Deactivate());
  EXPECT_EQ(gone.status, "deactivated");
  // A deactivated account can no longer order.
  NewOrderRequest o;
  o.identifiers = {IdentifierFor("x.example.test")};
  auto order = other.NewOrder(o);
  EXPECT_FALSE(order.ok());
  // An unknown key is reported as NotFound (accountDoesNotExist).
  ASSERT_OK_AND_ASSIGN(auto fresh, pki::PrivateKey::Generate(pki::KeyType::kEcdsaP256));
  ASSERT_OK_AND_ASSIGN(JwsKey unknown, JwsKey::Create(fresh));
  auto missing = other.NewAccount(unknown, find);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound) << missing.status().ToString();
  EXPECT_EQ(missing.status().problem_type(), "urn:ietf:params:acme:error:accountDoesNotExist");
}

TEST(AcmePebbleTest, AlternateChainsWithPreferredIssuer) {
  SKIP_WITHOUT_PEBBLE();
  Env env;
  PebbleOptions o;
  o.alternate_roots = 1;
  ASSERT_OK(env.Init(o));
  ASSERT_OK(env.Register());
  ASSERT_OK_AND_ASSIGN(auto root1_resp, env.Manage("/roots/1"));
  ASSERT_EQ(root1_resp.status, 200);
  ASSERT_OK_AND_ASSIGN(pki::Certificate root1, pki::Certificate::FromPem(root1_resp.body));
  std::string root1_cn = root1.CommonName();

  OrderRequest req;
  req.names = {"alt.example.test"};
  ASSERT_OK_AND_ASSIGN(IssuedCertificate first, env.Issue(req));
  EXPECT_EQ(first.alternate_urls.size(), 1u) << "Link rel=alternate must be read";
  EXPECT_NE(first.top_issuer, root1_cn);
  ExpectChainsTo(env, first, 0);

  req.preferred_chain = root1_cn;
  ASSERT_OK_AND_ASSIGN(IssuedCertificate second, env.Issue(req));
  EXPECT_EQ(second.top_issuer, root1_cn);
  EXPECT_NE(second.certificate_url, first.certificate_url);
  ExpectChainsTo(env, second, 1);
}

std::string LowerHex(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t nz = s.find_first_not_of('0');
  return nz == std::string::npos ? "0" : s.substr(nz);
}

TEST(AcmePebbleTest, RevokeWithAccountKeyAndWithCertificateKey) {
  SKIP_WITHOUT_PEBBLE();
  Env env;
  ASSERT_OK(env.Init());
  ASSERT_OK(env.Register());
  OrderRequest req;
  req.names = {"revoke.example.test"};
  ASSERT_OK_AND_ASSIGN(IssuedCertificate a, env.Issue(req));
  ASSERT_OK_AND_ASSIGN(IssuedCertificate b, env.Issue(req));
  ASSERT_OK_AND_ASSIGN(pki::Certificate ca, pki::Certificate::FromPem(a.cert_pem));
  ASSERT_OK_AND_ASSIGN(pki::Certificate cb, pki::Certificate::FromPem(b.cert_pem));

  ASSERT_OK(env.client->Revoke(ca.ToDer(), RevocationReason::kKeyCompromise));
  ASSERT_OK_AND_ASSIGN(JwsKey cert_key, JwsKey::Create(b.key));
  ASSERT_OK(env.client->Revoke(cb.ToDer(), RevocationReason::kSuperseded, &cert_key));

  for (auto [cert, reason] : {std::pair{&ca, 1}, std::pair{&cb, 4}}) {
    ASSERT_OK_AND_ASSIGN(auto st,
                         env.Manage("/cert-status-by-serial/" + LowerHex(cert->SerialHex())));
    ASSERT_EQ(st.status, 200) << st.body;
    auto j = nlohmann::json::parse(st.body, nullptr, false);
    EXPECT_EQ(j.value("Status", ""), "Revoked") << st.body;
    EXPECT_EQ(j.value("Reason", -1), reason) << st.body;
  }
  // Revoking twice: alreadyRevoked -> AlreadyExists.
  Status again = env.client->Revoke(ca.ToDer(), RevocationReason::kKeyCompromise);
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists) << again.ToString();
}

TEST(AcmePebbleTest, KeyRolloverThenNewOrderWithNewKey) {
  SKIP_WITHOUT_PEBBLE();
  Env env;
  ASSERT_OK(env.Init());
  ASSERT_OK_AND_ASSIGN(JwsKey old_key, env.Register());
  std::string url = env.client->account_url();
  ASSERT_OK_AND_ASSIGN(auto k, pki::PrivateKey::Generate(pki::KeyType::kEcdsaP256));
  ASSERT_OK_AND_ASSIGN(JwsKey new_key, JwsKey::Create(k));
  std::string changed_to;
  env.client->SetAccountChangedCallback(
      [&](const JwsKey& key, const std::string&) { changed_to = key.thumbprint(); });
  ASSERT_OK(env.client->ChangeKey(new_key));
  EXPECT_EQ(changed_to, new_key.thumbprint());
  EXPECT_EQ(env.client->account_key()->thumbprint(), new_key.thumbprint());

  OrderRequest req;
  req.names = {"rollover.example.test"};
  ASSERT_OK(env.Issue(req));

  ClientOptions c;
  c.directory_url = env.pebble->directory_url();
  Client other(*env.transport, env.clock, env.rng, c);
  NewAccountRequest find;
  find.only_return_existing = true;
  ASSERT_OK_AND_ASSIGN(Account found, other.NewAccount(new_key, find));
  EXPECT_EQ(found.url, url);
  EXPECT_EQ(other.NewAccount(old_key, find).status().code(), StatusCode::kNotFound);
}

TEST(AcmePebbleTest, ExternalAccountBinding) {
  SKIP_WITHOUT_PEBBLE();
  Env env;
  PebbleOptions o;
  o.eab_required = true;
  o.eab_keys = {{"kid-1", "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W"}};
  ASSERT_OK(env.Init(o));
  ASSERT_OK_AND_ASSIGN(Directory dir, env.client->GetDirectory());
  EXPECT_TRUE(dir.meta.external_account_required);
  ASSERT_OK_AND_ASSIGN(auto k, pki::PrivateKey::Generate(pki::KeyType::kEcdsaP256));
  ASSERT_OK_AND_ASSIGN(JwsKey key, JwsKey::Create(k));
  NewAccountRequest req;
  req.contact = {"mailto:eab@example.test"};
  EXPECT_EQ(env.client->NewAccount(key, req).status().code(), StatusCode::kFailedPrecondition);
  req.eab_kid = "kid-1";
  req.eab_hmac_key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
  auto wrong = env.client->NewAccount(key, req);
  EXPECT_FALSE(wrong.ok()) << "a wrong HMAC key must be refused";
  req.eab_hmac_key = o.eab_keys["kid-1"];
  ASSERT_OK(env.client->NewAccount(key, req));
  OrderRequest order;
  order.names = {"eab.example.test"};
  ASSERT_OK(env.Issue(order));
}

TEST(AcmePebbleTest, FiftyPercentNonceRejectionStillSucceeds) {
  SKIP_WITHOUT_PEBBLE();
  Env env;
  PebbleOptions o;
  o.nonce_reject_percent = 50;
  ASSERT_OK(env.Init(o));
  ASSERT_OK(env.Register());
  OrderRequest req;
  req.names = {"nonce1.example.test", "nonce2.example.test", "nonce3.example.test"};
  ASSERT_OK(env.Issue(req));
  EXPECT_GT(env.client->stats().bad_nonce_retries.load(), 0u);
}

TEST(AcmePebbleTest, WrongChallengeResponseFailsClearlyAndCleansUp) {
  SKIP_WITHOUT_PEBBLE();
  Env env;
  ASSERT_OK(env.Init());
  ASSERT_OK(env.Register());
  ProbeSolver probe(env.http01.get());
  probe.wrong_response = true;
  OrderFlow flow(*env.client, {{"http-01", &probe}});
  OrderRequest req;
  req.names = {"wrong.example.test"};
  auto r = flow.Obtain(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().problem_type(), "urn:ietf:params:acme:error:unauthorized")
      << r.status().ToString();
  EXPECT_NE(r.status().message().find("wrong.example.test"), std::string::npos);
  EXPECT_NE(r.status().message().find("http-01 validation failed"), std::string::npos);
  EXPECT_FALSE(r.status().IsRetryable());
  EXPECT_EQ(probe.presents.load(), 1);
  EXPECT_EQ(probe.cleanups.load(), 1);
  EXPECT_EQ(env.http01->tokens(), 0u);
}

TEST(AcmePebbleTest, PebbleDiesMidOrderThenOrderCompletesAfterItReturns) {
  SKIP_WITHOUT_PEBBLE();
  Env env;
  ASSERT_OK(env.Init());
  ClientOptions c;
  c.directory_url = env.pebble->directory_url();
  c.max_transient_retries = 2;
  c.backoff_initial = std::chrono::milliseconds(50);
  env.client = std::make_unique<Client>(*env.transport, env.clock, env.rng, c);
  ASSERT_OK(env.Register());
  ProbeSolver probe(env.http01.get());
  probe.after_present = [&] { env.pebble->StopPebble(); };
  OrderFlow flow(*env.client, {{"http-01", &probe}});
  OrderRequest req;
  req.names = {"crash.example.test"};
  auto r = flow.Obtain(req);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsRetryable()) << r.status().ToString();
  EXPECT_EQ(probe.cleanups.load(), 1);

  ASSERT_OK(env.pebble->StartPebble());
  std::string new_url;
  env.client->SetAccountChangedCallback(
      [&](const JwsKey&, const std::string& url) { new_url = url; });
  probe.after_present = nullptr;
  // Pebble forgot everything: the client re-registers the same key and orders again.
  ASSERT_OK_AND_ASSIGN(IssuedCertificate issued, flow.Obtain(req));
  EXPECT_FALSE(new_url.empty());
  ExpectChainsTo(env, issued, 0);
}

double CpuMs() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

// Pebble 2.4 can deadlock when a newOrder's authorization-reuse scan (FindValidAuthorization:
// store lock, then each authorization's lock; it runs even with PEBBLE_AUTHZREUSE=0) meets
// requests that lock an authorization and then the store, while a store writer waits. Seen
// here as every Pebble handler stuck in MemoryStore locks (SIGQUIT goroutine dump), about one
// run in eight at 50 concurrent orders. This latch holds every order right after newOrder
// until all 50 exist, so the CA never sees a newOrder beside the other requests; everything
// after that (authorizations, validation, polling, finalize, download) overlaps fully.
class AllOrdersCreated {
 public:
  explicit AllOrdersCreated(int parties) : left_(parties) {}
  void ArriveAndWait() {
    std::unique_lock<std::mutex> l(mu_);
    if (--left_ <= 0) cv_.notify_all();
    cv_.wait_for(l, std::chrono::seconds(30), [&] { return left_ <= 0; });
  }
  void Leave() {  // an order that failed before it was created
    std::lock_guard<std::mutex> l(mu_);
    if (--left_ <= 0) cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int left_;
};

TEST(AcmePebbleTest, ManyConcurrentOrdersShareAccountNoncesAndListener) {
  SKIP_WITHOUT_PEBBLE();
  Env env;
  PebbleOptions o;
  o.authz_reuse_percent = 0;
  ASSERT_OK(env.Init(o));
  ASSERT_OK(env.Register());
  // One warm-up order (TLS session, directory), then 50 distinct certificates at once from
  // one process: one thread per order, one account, one nonce pool, one http-01 listener.
  OrderRequest warm;
  warm.names = {"warm.example.test"};
  ASSERT_OK(env.Issue(warm));
  constexpr int kOrders = 50;
  std::vector<Result<IssuedCertificate>> results(kOrders, InternalError("not run"));
  std::vector<std::thread> threads;
  uint64_t requests_before = env.client->stats().requests.load();
  double cpu_before = CpuMs();
  auto start = std::chrono::steady_clock::now();
  AllOrdersCreated created(kOrders);
  for (int i = 0; i < kOrders; ++i) {
    threads.emplace_back([&, i] {
      OrderRequest req;
      req.names = {"c" + std::to_string(i) + ".example.test"};
      OrderFlow flow(*env.client, {{"http-01", env.http01.get()}});
      bool arrived = false;
      results[i] = flow.Obtain(req, [&](const ProgressEvent& e) {
        if (e.stage == "order") {
          arrived = true;
          created.ArriveAndWait();
        }
      });
      if (!arrived) created.Leave();
    });
  }
  for (auto& t : threads) t.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double cpu = CpuMs() - cpu_before;
  for (int i = 0; i < kOrders; ++i) EXPECT_OK(results[i]) << i;
  EXPECT_EQ(env.http01->tokens(), 0u);
  uint64_t requests = env.client->stats().requests.load() - requests_before;
  // Nonces come from responses: far fewer newNonce round trips than requests.
  EXPECT_LT(env.client->stats().nonce_fetches.load(), requests / 4);
  EXPECT_LT(secs, 30.0);
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  std::printf(
      "%d certificates in %.2f s = %.1f certs/s; client CPU %.2f ms/cert (incl. key gen, "
      "CSR, JWS, TLS, http-01 serving); %llu requests, %llu badNonce retries, %llu newNonce; "
      "peak RSS %ld MiB\n",
      kOrders, secs, kOrders / secs, cpu / kOrders, static_cast<unsigned long long>(requests),
      static_cast<unsigned long long>(env.client->stats().bad_nonce_retries.load()),
      static_cast<unsigned long long>(env.client->stats().nonce_fetches.load()),
      ru.ru_maxrss / 1024);
}

TEST(AcmePebbleTest, Http01WebrootServedByAnotherServer) {
  SKIP_WITHOUT_PEBBLE();
  Env env;
  ASSERT_OK(env.Init());
  env.http01.reset();  // the port belongs to the "web server" below
  ASSERT_OK(env.Register());
  ck::testing::TempDir webroot;
  // A plain static-file web server on the port Pebble's VA uses, serving the webroot.
  httplib::Server web;
  ASSERT_TRUE(web.set_mount_point("/", webroot.path()));
  ASSERT_TRUE(web.bind_to_port("127.0.0.1", env.pebble->http_port()));
  std::thread t([&] { web.listen_after_bind(); });
  Http01Webroot solver(webroot.path());
  ProbeSolver probe(&solver);
  OrderFlow flow(*env.client, {{"http-01", &probe}});
  OrderRequest req;
  req.names = {"webroot.example.test"};
  auto r = flow.Obtain(req);
  web.stop();
  t.join();
  ASSERT_OK(r);
  EXPECT_EQ(probe.cleanups.load(), 1);
  // CleanUp removed the token file.
  auto dir = std::filesystem::directory_iterator(webroot.Path(".well-known/acme-challenge"));
  EXPECT_EQ(std::distance(dir, std::filesystem::directory_iterator()), 0);
}

TEST(AcmePebbleTest, TlsAlpn01IssuanceForNameAndIp) {
  SKIP_WITHOUT_PEBBLE();
  Env env;
  ASSERT_OK(env.Init());
  ASSERT_OK(env.Register());
  ASSERT_OK_AND_ASSIGN(auto tls,
                       TlsAlpn01Server::Start("127.0.0.1", env.pebble->tls_port(), env.clock));
  ProbeSolver probe(tls.get());
  OrderFlow flow(*env.client, {{"tls-alpn-01", &probe}});
  OrderRequest req;
  req.names = {"alpn.example.test", "127.0.0.1"};
  req.challenge_preference = {"tls-alpn-01"};
  ASSERT_OK_AND_ASSIGN(IssuedCertificate issued, flow.Obtain(req));
  ExpectChainsTo(env, issued, 0);
  EXPECT_GE(tls->handshakes(), 2u);
  EXPECT_EQ(tls->names(), 0u);
  EXPECT_EQ(probe.cleanups.load(), 2);
}

// A lego-style exec hook that publishes TXT records through pebble-challtestsrv's API.
std::string WriteChalltestsrvHook(const ck::testing::TempDir& dir, const PebbleFixture& pebble) {
  std::string script =
      "#!/bin/sh\nset -e\nlog=\"" + dir.Path("hook.log") +
      "\"\necho \"$1 $2 $3\" >> \"$log\"\ncase \"$1\" in\n"
      "  present) curl -sf -X POST -d \"{\\\"host\\\":\\\"$2\\\",\\\"value\\\":\\\"$3\\\"}\" " +
      pebble.challtestsrv_url() +
      "/set-txt ;;\n"
      "  cleanup) curl -sf -X POST -d \"{\\\"host\\\":\\\"$2\\\"}\" " +
      pebble.challtestsrv_url() +
      "/clear-txt ;;\n"
      "  *) exit 2 ;;\nesac\n";
  return dir.WriteFile("hook.sh", script, 0755);
}

TEST(AcmePebbleTest, Dns01ExecHookWithWildcardAndPropagationCheck) {
  SKIP_WITHOUT_PEBBLE();
  Env env;
  ASSERT_OK(env.Init());
  ASSERT_OK(env.Register());
  ck::testing::TempDir dir;
  PropagationCheck check;
  check.nameservers = {"127.0.0.1:" + std::to_string(env.pebble->dns_port())};
  check.timeout = std::chrono::seconds(20);
  Dns01ExecSolver solver(WriteChalltestsrvHook(dir, *env.pebble), env.clock, check);
  ProbeSolver probe(&solver);
  OrderFlow flow(*env.client, {{"dns-01", &probe}, {"http-01", env.http01.get()}});
  OrderRequest req;
  req.names = {"*.wild.example.test", "wild.example.test"};
  req.challenge_preference = {"dns-01"};
  ASSERT_OK_AND_ASSIGN(IssuedCertificate issued, flow.Obtain(req));
  ASSERT_OK_AND_ASSIGN(pki::Certificate leaf, pki::Certificate::FromPem(issued.cert_pem));
  auto names = leaf.Inspect().DnsNames();
  EXPECT_NE(std::find(names.begin(), names.end(), "*.wild.example.test"), names.end());
  ExpectChainsTo(env, issued, 0);
  EXPECT_EQ(probe.cleanups.load(), 2);
  std::string log = dir.ReadFile("hook.log");
  EXPECT_NE(log.find("present _acme-challenge.wild.example.test. "), std::string::npos) << log;
  EXPECT_NE(log.find("cleanup _acme-challenge.wild.example.test. "), std::string::npos) << log;
  // Cleaned up: the record is gone from DNS.
  auto txt = QueryTxt(check.nameservers[0], "_acme-challenge.wild.example.test",
                      std::chrono::milliseconds(1000));
  EXPECT_FALSE(txt.ok());
}

TEST(AcmePebbleTest, WildcardWithoutDnsSolverIsAClearError) {
  SKIP_WITHOUT_PEBBLE();
  Env env;
  ASSERT_OK(env.Init());
  ASSERT_OK(env.Register());
  OrderRequest req;
  req.names = {"*.nodns.example.test"};
  auto r = env.Issue(req);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("wildcard: needs dns-01"), std::string::npos)
      << r.status().message();
}

std::string Slurp(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return "";
  std::string s(65536, '\0');
  s.resize(std::fread(s.data(), 1, s.size(), f));
  std::fclose(f);
  return s;
}

TEST(AcmePebbleTest, Dns01Rfc2136WithTsigAgainstRealBind) {
  SKIP_WITHOUT_PEBBLE();
  if (!ck::testing::BindFixture::Installed()) GTEST_SKIP() << "bind9 not installed";
  ASSERT_OK_AND_ASSIGN(auto bind, ck::testing::BindFixture::Start("example.test"));
  Env env;
  PebbleOptions o;
  o.dns_server = bind->address();  // Pebble's VA asks named for the TXT records
  ASSERT_OK(env.Init(o));
  ASSERT_OK(env.Register());
  Rfc2136Options r;
  r.server = bind->address();
  ASSERT_OK_AND_ASSIGN(r.key, ParseTsigKeyFile(Slurp(bind->key_file())));
  Dns01Rfc2136Solver solver(r, env.clock);
  ProbeSolver probe(&solver);
  OrderFlow flow(*env.client, {{"dns-01", &probe}});
  OrderRequest req;
  req.names = {"*.rfc.example.test", "rfc.example.test"};
  auto issued = flow.Obtain(req);
  ASSERT_OK(issued) << bind->Log();
  ExpectChainsTo(env, *issued, 0);
  EXPECT_EQ(probe.cleanups.load(), 2);
  // CleanUp deleted the records from the zone.
  auto txt = QueryTxt(bind->address(), "_acme-challenge.rfc.example.test",
                      std::chrono::milliseconds(1000));
  EXPECT_EQ(txt.status().code(), StatusCode::kNotFound) << txt.status().ToString();

  // A wrong TSIG secret is refused by named, with a clear error.
  Rfc2136Options bad = r;
  bad.key.secret = Bytes(32, 0x42);
  Dns01Rfc2136Solver bad_solver(bad, env.clock);
  ChallengeContext c;
  c.identifier = IdentifierFor("bad.example.test");
  c.key_authorization = "x.y";
  Status s = bad_solver.Present(c);
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied) << s.ToString();
  EXPECT_NE(s.message().find("NOTAUTH"), std::string::npos) << s.ToString();
}

TEST(AcmePebbleTest, Ed25519AccountKeyAndCertificateKey) {
  SKIP_WITHOUT_PEBBLE();
  Env env;
  ASSERT_OK(env.Init());
  auto account = env.Register(pki::KeyType::kEd25519);
  if (!account.ok()) {
    // Pebble 2.4 takes no EdDSA account keys: a typed error (badPublicKey), not a crash.
    EXPECT_EQ(account.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(account.status().problem_type(), "urn:ietf:params:acme:error:badPublicKey")
        << account.status().ToString();
    ASSERT_OK(env.Register());
  } else {
    EXPECT_EQ(account->alg(), "EdDSA");
  }
  OrderRequest req;
  req.names = {"ed.example.test"};
  req.key_type = pki::KeyType::kEd25519;
  ASSERT_OK_AND_ASSIGN(IssuedCertificate issued, env.Issue(req));
  EXPECT_EQ(issued.key.Type().value(), pki::KeyType::kEd25519);
  ExpectChainsTo(env, issued, 0);
}

}  // namespace
}  // namespace ck::acme
