// The protocol layer and order flow against a scripted CA (FakeCa) and a recording clock:
// badNonce (RFC 8555 §6.5), 5xx/network retries with bounded backoff, rateLimited and
// userActionRequired surfaced, Retry-After honoured within bounds, sub-second polling start,
// re-registration of a forgotten account, and CleanUp on every path.
#include "acme/client.hpp"

#include <gtest/gtest.h>

#include <atomic>

#include "acme/order_flow.hpp"
#include "common/rng.hpp"
#include "tests/acme/fake_ca.hpp"
#include "tests/testing/status_matchers.hpp"

namespace ck::acme {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::FakeCa;
using testing::StepClock;

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.directory_url = std::string(FakeCa::kBase) + "/dir";
    MakeClient();
    auto k = pki::PrivateKey::Generate(pki::KeyType::kEcdsaP256);
    ASSERT_OK(k);
    auto jws = JwsKey::Create(*k);
    ASSERT_OK(jws);
    key_.emplace(*jws);
  }
  void MakeClient() { client_ = std::make_unique<Client>(ca_, clock_, rng_, options_); }
  void Register() {
    NewAccountRequest req;
    req.contact = {"mailto:a@example.test"};
    ASSERT_OK(client_->NewAccount(*key_, req));
  }
  static json OrderJson(const std::string& status) {
    return {{"status", status},
            {"identifiers", {{{"type", "dns"}, {"value", "example.test"}}}},
            {"authorizations", {std::string(FakeCa::kBase) + "/authz/1"}},
            {"finalize", std::string(FakeCa::kBase) + "/order/1/finalize"}};
  }
  void ServeNewOrder() {
    ca_.On("/order", [](const testing::SeenRequest&) {
      HttpResponse r = FakeCa::Json(201, OrderJson("pending"));
      r.headers.push_back({"location", std::string(FakeCa::kBase) + "/order/1"});
      return Result<HttpResponse>(r);
    });
  }

  FakeCa ca_;
  StepClock clock_;
  SeededRng rng_{7};
  ClientOptions options_;
  std::unique_ptr<Client> client_;
  std::optional<JwsKey> key_;
};

TEST_F(ClientTest, BadNonceIsRetriedWithTheNonceFromTheErrorResponse) {
  for (int i = 0; i < 3; ++i) ca_.Queue("/acct", FakeCa::Problem(400, "badNonce", "stale"));
  Register();
  auto seen = ca_.seen();
  // dir, one HEAD newNonce, then 4 POSTs to /acct.
  ASSERT_EQ(ca_.CountPath("/nonce"), 1);
  std::vector<testing::SeenRequest> posts;
  for (const auto& s : seen) {
    if (s.method == "POST") posts.push_back(s);
  }
  ASSERT_EQ(posts.size(), 4u);
  // Nonces issued: n1 (directory GET, unused), n2 (newNonce), n3..n5 (each error response).
  // Each retry uses the nonce the rejection carried.
  EXPECT_EQ(posts[0].nonce, "n2");
  EXPECT_EQ(posts[1].nonce, "n3");
  EXPECT_EQ(posts[2].nonce, "n4");
  EXPECT_EQ(posts[3].nonce, "n5");
  EXPECT_EQ(client_->stats().bad_nonce_retries.load(), 3u);
  EXPECT_TRUE(clock_.sleeps().empty()) << "badNonce is retried at once";
}

TEST_F(ClientTest, BadNonceRetriesAreBounded) {
  options_.max_bad_nonce_retries = 3;
  MakeClient();
  ca_.On("/acct", [](const testing::SeenRequest&) {
    return Result<HttpResponse>(FakeCa::Problem(400, "badNonce", "always"));
  });
  auto r = client_->NewAccount(*key_, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.status().problem_type(), "urn:ietf:params:acme:error:badNonce");
  EXPECT_EQ(ca_.CountPath("/acct"), 4);
}

TEST_F(ClientTest, ServerErrorsAreRetriedWithGrowingJitteredBackoff) {
  Register();
  ServeNewOrder();
  ca_.Queue("/order", FakeCa::Problem(500, "serverInternal", "oops"));
  ca_.Queue("/order", FakeCa::Json(502, nullptr));
  NewOrderRequest req;
  req.identifiers = {IdentifierFor("example.test")};
  ASSERT_OK(client_->NewOrder(req));
  auto sleeps = clock_.sleeps();
  ASSERT_EQ(sleeps.size(), 2u);
  EXPECT_GE(sleeps[0], milliseconds(100));  // 200ms * [0.5, 1.5)
  EXPECT_LT(sleeps[0], milliseconds(300));
  EXPECT_GE(sleeps[1], milliseconds(200));  // 400ms * [0.5, 1.5)
  EXPECT_LT(sleeps[1], milliseconds(600));
  EXPECT_EQ(client_->stats().transient_retries.load(), 2u);
}

TEST_F(ClientTest, NetworkErrorsAreRetriedThenReportedAsRetryable) {
  Register();
  for (int i = 0; i < 10; ++i) ca_.Queue("/order", UnavailableError("connection refused"));
  NewOrderRequest req;
  req.identifiers = {IdentifierFor("example.test")};
  auto r = client_->NewOrder(req);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsRetryable());
  EXPECT_EQ(ca_.CountPath("/order"), options_.max_transient_retries + 1);
  for (auto s : clock_.sleeps()) EXPECT_LE(s, options_.backoff_max * 3 / 2);
}

TEST_F(ClientTest, RateLimitedSurfacesRetryAtWithoutRetrying) {
  Register();
  ca_.Queue("/order", FakeCa::Problem(429, "rateLimited", "too many new orders", "3600"));
  NewOrderRequest req;
  req.identifiers = {IdentifierFor("example.test")};
  TimePoint now = clock_.Now();
  auto r = client_->NewOrder(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(r.status().retry_after(), now + seconds(3600));
  EXPECT_NE(r.status().message().find("retry at"), std::string::npos);
  EXPECT_EQ(ca_.CountPath("/order"), 1);
}

TEST_F(ClientTest, ShortRetryAfterOn503IsHonouredLongOneIsReturned) {
  Register();
  ServeNewOrder();
  ca_.Queue("/order", FakeCa::Problem(503, "serverInternal", "busy", "2"));
  NewOrderRequest req;
  req.identifiers = {IdentifierFor("example.test")};
  ASSERT_OK(client_->NewOrder(req));
  ASSERT_EQ(clock_.sleeps().size(), 1u);
  EXPECT_GE(clock_.sleeps()[0], seconds(2));

  ca_.Queue("/order", FakeCa::Problem(503, "serverInternal", "maintenance", "600"));
  auto r = client_->NewOrder(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(r.status().retry_after().has_value());
  EXPECT_EQ(clock_.sleeps().size(), 1u) << "a 10-minute Retry-After is the scheduler's job";
}

TEST_F(ClientTest, UserActionRequiredNamesTheUrl) {
  HttpResponse r = FakeCa::Json(403, {{"type", "urn:ietf:params:acme:error:userActionRequired"},
                                      {"detail", "new terms of service"},
                                      {"instance", "https://ca.test/tos/v2"}});
  ca_.Queue("/acct", r);
  auto res = client_->NewAccount(*key_, {});
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(res.status().message().find("https://ca.test/tos/v2"), std::string::npos);
}

TEST_F(ClientTest, ForgottenAccountIsRegisteredAgainOnce) {
  Register();
  ServeNewOrder();
  ca_.Queue("/order", FakeCa::Problem(400, "accountDoesNotExist", "who?"));
  ca_.On("/acct", [](const testing::SeenRequest& s) {
    EXPECT_EQ(s.payload.value("contact", json::array()), json::array({"mailto:a@example.test"}));
    HttpResponse r = FakeCa::Json(201, {{"status", "valid"}});
    r.headers.push_back({"location", std::string(FakeCa::kBase) + "/acct/2"});
    return Result<HttpResponse>(r);
  });
  std::string changed;
  client_->SetAccountChangedCallback([&](const JwsKey&, const std::string& u) { changed = u; });
  NewOrderRequest req;
  req.identifiers = {IdentifierFor("example.test")};
  ASSERT_OK(client_->NewOrder(req));
  EXPECT_EQ(changed, std::string(FakeCa::kBase) + "/acct/2");
  EXPECT_EQ(client_->account_url(), changed);
  EXPECT_EQ(ca_.seen().back().kid, changed);
}

TEST_F(ClientTest, ProfileMustBeOfferedWhenTheDirectoryListsProfiles) {
  ca_.On("/dir", [](const testing::SeenRequest&) {
    json d = {{"newNonce", std::string(FakeCa::kBase) + "/nonce"},
              {"newAccount", std::string(FakeCa::kBase) + "/acct"},
              {"newOrder", std::string(FakeCa::kBase) + "/order"},
              {"meta", {{"profiles", {{"classic", "c"}, {"shortlived", "s"}}}}}};
    return Result<HttpResponse>(FakeCa::Json(200, d));
  });
  Register();
  ServeNewOrder();
  NewOrderRequest req;
  req.identifiers = {IdentifierFor("example.test")};
  req.profile = "tlsserver";
  EXPECT_EQ(client_->NewOrder(req).status().code(), StatusCode::kInvalidArgument);
  req.profile = "shortlived";
  ASSERT_OK(client_->NewOrder(req));
  EXPECT_EQ(ca_.seen().back().payload.value("profile", ""), "shortlived");
}

TEST_F(ClientTest, StopEndsBackoffWithAborted) {
  std::atomic<bool> stop{false};
  options_.should_stop = [&] { return stop.load(); };
  MakeClient();
  Register();
  ca_.Queue("/order", FakeCa::Problem(503, "serverInternal", "busy"));
  stop = true;
  NewOrderRequest req;
  req.identifiers = {IdentifierFor("example.test")};
  auto r = client_->NewOrder(req);
  EXPECT_EQ(r.status().code(), StatusCode::kAborted) << r.status().ToString();
  EXPECT_TRUE(clock_.sleeps().empty());
}

TEST(PollerTest, StartsSubSecondBacksOffAndHonoursRetryAfterWithinBounds) {
  StepClock clock;
  PollPolicy p;
  Poller poller(clock, p);
  for (int i = 0; i < 12; ++i) ASSERT_OK(poller.Wait(std::nullopt));
  auto s = clock.sleeps();
  EXPECT_EQ(s[0], milliseconds(150));
  EXPECT_EQ(s[1], milliseconds(240));
  for (size_t i = 1; i < s.size(); ++i) EXPECT_GE(s[i], s[i - 1]);
  EXPECT_EQ(s.back(), p.max_interval);
  ASSERT_OK(poller.Wait(clock.Now() + seconds(30)));
  EXPECT_EQ(clock.sleeps().back(), seconds(30));
  ASSERT_OK(poller.Wait(clock.Now() + std::chrono::hours(48)));
  EXPECT_EQ(clock.sleeps().back(), p.max_retry_after) << "a silly Retry-After is bounded";

  PollPolicy short_policy;
  short_policy.timeout = seconds(1);
  Poller bounded(clock, short_policy);
  Status st;
  for (int i = 0; i < 20 && st.ok(); ++i) st = bounded.Wait(std::nullopt);
  EXPECT_EQ(st.code(), StatusCode::kDeadlineExceeded);
}

// Counts calls; can fail Present.
class CountingSolver final : public Solver {
 public:
  Status Present(const ChallengeContext& c) override {
    last = c;
    presents++;
    return fail_present ? UnavailableError("cannot publish") : OkStatus();
  }
  Status CleanUp(const ChallengeContext&) override {
    cleanups++;
    return OkStatus();
  }
  int presents = 0, cleanups = 0;
  bool fail_present = false;
  ChallengeContext last;
};

class OrderFlowTest : public ClientTest {
 protected:
  void ServeAuthz(int pending_polls, const std::string& final_status) {
    ServeNewOrder();
    auto polls = std::make_shared<int>(0);
    ca_.On("/authz/1", [polls, pending_polls, final_status](const testing::SeenRequest&) {
      std::string status = (*polls)++ <= pending_polls ? "pending" : final_status;
      json ch = {{"type", "http-01"},
                 {"url", std::string(FakeCa::kBase) + "/chall/1"},
                 {"status", status == "pending" ? "pending" : status},
                 {"token", "tok_1"}};
      if (status == "invalid") {
        ch["error"] = {{"type", "urn:ietf:params:acme:error:incorrectResponse"},
                       {"detail", "key authorization mismatch"}};
      }
      HttpResponse r =
          FakeCa::Json(200, {{"identifier", {{"type", "dns"}, {"value", "example.test"}}},
                             {"status", status},
                             {"challenges", {ch}}});
      if (*polls == 3) r.headers.push_back({"retry-after", "3"});
      return Result<HttpResponse>(r);
    });
    ca_.On("/chall/1", [](const testing::SeenRequest& s) {
      EXPECT_EQ(s.payload, json::object()) << "RFC 8555 §7.5.1: respond with {}";
      return Result<HttpResponse>(FakeCa::Json(
          200, {{"type", "http-01"}, {"url", "u"}, {"status", "processing"}, {"token", "tok_1"}}));
    });
  }
};

TEST_F(OrderFlowTest, PollsSubSecondFirstHonoursRetryAfterAndReportsInvalid) {
  Register();
  ServeAuthz(/*pending_polls=*/4, "invalid");
  CountingSolver solver;
  OrderFlow flow(*client_, {{"http-01", &solver}});
  OrderRequest req;
  req.names = {"example.test"};
  auto r = flow.Obtain(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().problem_type(), "urn:ietf:params:acme:error:incorrectResponse");
  EXPECT_NE(r.status().message().find("example.test: http-01 validation failed"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(solver.presents, 1);
  EXPECT_EQ(solver.cleanups, 1);
  EXPECT_EQ(solver.last.key_authorization, "tok_1." + key_->thumbprint());
  auto sleeps = clock_.sleeps();
  ASSERT_GE(sleeps.size(), 3u);
  EXPECT_LT(sleeps[0], milliseconds(1000)) << "polling starts sub-second";
  bool honoured = false;
  for (auto s : sleeps) honoured = honoured || s >= seconds(3);
  EXPECT_TRUE(honoured) << "Retry-After: 3 on an authorization poll must be waited for";
}

TEST_F(OrderFlowTest, RefusedReplacesIsDroppedAndTheOrderPlacedAgain) {
  Register();
  ServeAuthz(0, "valid");
  // The first newOrder names a certificate this CA does not know: refused.
  ca_.Queue("/order", FakeCa::Problem(400, "malformed", "unknown certificate to replace"));
  CountingSolver solver;
  solver.fail_present = true;  // stop right after the order: this test is about newOrder
  OrderFlow flow(*client_, {{"http-01", &solver}});
  OrderRequest req;
  req.names = {"example.test"};
  req.replaces = "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE";
  auto r = flow.Obtain(req);
  std::vector<json> orders;
  for (const auto& seen : ca_.seen()) {
    if (seen.url == std::string(FakeCa::kBase) + "/order" && seen.method == "POST") {
      orders.push_back(seen.payload);
    }
  }
  ASSERT_EQ(orders.size(), 2u);
  EXPECT_EQ(orders[0].value("replaces", ""), req.replaces);
  EXPECT_FALSE(orders[1].contains("replaces")) << orders[1].dump();
  EXPECT_EQ(solver.presents, 1) << "the second order went ahead";
}

TEST_F(OrderFlowTest, OtherOrderErrorsAreNotRetriedWithoutReplaces) {
  Register();
  ca_.Queue("/order", FakeCa::Problem(400, "rejectedIdentifier", "policy forbids example.test"));
  CountingSolver solver;
  OrderFlow flow(*client_, {{"http-01", &solver}});
  OrderRequest req;
  req.names = {"example.test"};
  req.replaces = "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE";
  auto r = flow.Obtain(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().problem_type(), "urn:ietf:params:acme:error:rejectedIdentifier");
  EXPECT_EQ(ca_.CountPath("/order"), 1);
}

TEST_F(OrderFlowTest, CleanUpRunsWhenPresentFails) {
  Register();
  ServeAuthz(0, "valid");
  CountingSolver solver;
  solver.fail_present = true;
  OrderFlow flow(*client_, {{"http-01", &solver}});
  OrderRequest req;
  req.names = {"example.test"};
  auto r = flow.Obtain(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(solver.cleanups, 1);
  EXPECT_EQ(ca_.CountPath("/chall/1"), 0)
      << "the CA is not asked to validate what was not presented";
}

TEST_F(OrderFlowTest, NoSolverForOfferedChallengesIsAClearError) {
  Register();
  ServeAuthz(0, "valid");
  CountingSolver solver;
  OrderFlow flow(*client_, {{"dns-01", &solver}});
  OrderRequest req;
  req.names = {"example.test"};
  auto r = flow.Obtain(req);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no configured solver for example.test"), std::string::npos);
  EXPECT_NE(r.status().message().find("http-01"), std::string::npos);
}

}  // namespace
}  // namespace ck::acme
