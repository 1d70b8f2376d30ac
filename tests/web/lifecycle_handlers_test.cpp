// The lifecycle endpoints through the real AdminServer over HTTPS with a fake backend: who may
// call what, the JSON shapes, problems, and the bundle long-poll (immediate answer, 304 after
// the wait, wake-up on a new version, bounded waiters, quick stop).
#include "web/lifecycle_handlers.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <cstdio>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/log.hpp"
#include "tests/testing/test_ca.hpp"
#include "tests/web/fake_lifecycle_backend.hpp"
#include "tests/web/tls_test_server.hpp"
#include "web/lifecycle_json.hpp"

namespace ck::web {
namespace {

using nlohmann::json;
using testing::UtcTime;

constexpr const char* kKeyPem =
    "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgFAKEKEY\n"
    "-----END PRIVATE KEY-----\n";

BundleView Bundle(const std::string& serial) {
  BundleView b;
  b.name = "web";
  b.serial_hex = serial;
  b.not_after = UtcTime(2027, 1, 1);
  b.cert_pem = "-----BEGIN CERTIFICATE-----\nLEAF" + serial + "\n-----END CERTIFICATE-----\n";
  b.chain_pem = "-----BEGIN CERTIFICATE-----\nINTERMEDIATE\n-----END CERTIFICATE-----\n";
  b.fullchain_pem = b.cert_pem + b.chain_pem;
  b.key_pem = kKeyPem;
  return b;
}

void Fill(FakeLifecycleBackend& b) {
  ManagedCertificateView web;
  web.name = "web";
  web.domains = {"example.com", "www.example.com"};
  web.issuer = "acme:le";
  web.status = "valid";
  web.serial_hex = "0a1b";
  web.not_before = UtcTime(2026, 10, 1);
  web.not_after = UtcTime(2026, 12, 30);
  web.next_renewal_at = UtcTime(2026, 12, 1);
  web.renewal_explanation = "1/3 of the lifetime remains on 2026-12-01";
  web.deploy = {{"files", "/etc/certkeeper/live/web", "0a1b", UtcTime(2026, 10, 1, 0, 5), "ok"}};
  ManagedCertificateView api;
  api.name = "api";
  api.domains = {"api.internal"};
  api.issuer = "ca:server";
  api.status = "failing";
  api.serial_hex = "ff01";
  api.not_after = UtcTime(2026, 11, 23);
  api.consecutive_failures = 3;
  api.last_error = "UNAVAILABLE: CA down";
  ManagedCertificateView fresh;
  fresh.name = "new";
  fresh.domains = {"new.example.com"};
  fresh.issuer = "acme:le";
  fresh.status = "missing";
  b.managed = {web, api, fresh};
  b.status.version = "0.1.0";
  b.status.started_at = UtcTime(2026, 11, 22, 10);
  b.status.now = UtcTime(2026, 11, 22, 12);
  b.status.managed = 3;
  b.status.failing = 1;
  b.status.next_renewal_at = UtcTime(2026, 11, 22, 13);
  b.status.next_renewal_name = "api";
  PinSetView pins;
  pins.name = "web";
  pins.hosts = {"example.com"};
  pins.pins = {{"AAAA", "active", UtcTime(2026, 9, 1), UtcTime(2026, 10, 1), std::nullopt},
               {"BBBB", "backup", UtcTime(2026, 10, 1), std::nullopt, std::nullopt}};
  pins.pin_sha256_header = R"(pin-sha256="AAAA"; pin-sha256="BBBB")";
  pins.okhttp = ".add(\"example.com\", \"sha256/AAAA\")";
  pins.android = "<pin-set expiration=\"2027-01-01\">...</pin-set>";
  b.pins["web"] = pins;
  b.events = {
      {1, UtcTime(2026, 11, 1), "web", "issued", "issued serial 0a1b", R"({"serial":"0a1b"})"},
      {2, UtcTime(2026, 11, 2), "api", "renew_failed", "CA down", ""},
      {3, UtcTime(2026, 11, 3), "web", "deployed", "files", "not json"}};
  b.Publish(Bundle("0a1b"));
}

class LifecycleApiTest : public ::testing::Test {
 protected:
  void SetUp() override { Start({}); }

  void Start(AdminServerOptions options) {
    server_.reset();
    backend_ = std::make_unique<FakeLifecycleBackend>();
    Fill(*backend_);
    server_ = std::make_unique<TlsTestServer>(*backend_, options);
    ASSERT_TRUE(server_->ok()) << server_->error();
  }

  std::unique_ptr<httplib::SSLClient> Client() {
    auto c = std::make_unique<httplib::SSLClient>("localhost", server_->port());
    c->set_ca_cert_path(server_->root_pem_path().c_str());
    c->enable_server_certificate_verification(true);
    c->set_read_timeout(60, 0);
    return c;
  }
  static httplib::Headers As(const std::string& token) {
    if (token.empty()) return {};
    return {{"Authorization", "Bearer " + token}};
  }
  httplib::Result Get(const std::string& path, const std::string& token,
                      httplib::Headers extra = {}) {
    auto headers = As(token);
    headers.insert(extra.begin(), extra.end());
    return Client()->Get(path.c_str(), headers);
  }
  httplib::Result Post(const std::string& path, const std::string& token, const std::string& body) {
    return Client()->Post(path.c_str(), As(token), body, "application/json");
  }
  static json Body(const httplib::Result& res) { return json::parse(res->body, nullptr, false); }

  std::unique_ptr<FakeLifecycleBackend> backend_;
  std::unique_ptr<TlsTestServer> server_;
};

#define EXPECT_PROBLEM(res, code)                                                            \
  do {                                                                                       \
    ASSERT_TRUE(res) << httplib::to_string(res.error());                                     \
    EXPECT_EQ(res->status, code) << res->body;                                               \
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/problem+json");            \
    EXPECT_EQ(json::parse(res->body, nullptr, false).value("status", 0), code) << res->body; \
  } while (0)

TEST_F(LifecycleApiTest, AuthorizationPerRole) {
  struct Case {
    const char* method;
    std::string path;
    std::string token;
    int status;
  };
  const std::vector<Case> cases = {
      {"GET", "/v1/managed", "", 401},
      {"GET", "/v1/managed", "bogus", 401},
      {"GET", "/v1/managed", "viewer-token", 200},
      {"GET", "/v1/managed", "consumer-token", 403},
      {"GET", "/v1/managed/web", "consumer-token", 403},
      {"GET", "/v1/status", "", 401},
      {"GET", "/v1/status", "consumer-token", 403},
      {"GET", "/v1/status", "viewer-token", 200},
      {"GET", "/v1/events", "consumer-token", 403},
      {"GET", "/v1/events", "viewer-token", 200},
      {"POST", "/v1/managed/api/renew", "", 401},
      {"POST", "/v1/managed/api/renew", "viewer-token", 403},
      {"POST", "/v1/managed/api/renew", "consumer-token", 403},
      {"POST", "/v1/managed/api/renew", "operator-token", 202},
      {"POST", "/v1/managed/api/renew", "admin-token", 202},
      {"GET", "/v1/pins/web", "", 401},
      {"GET", "/v1/pins/web", "viewer-token", 200},
      {"GET", "/v1/pins/web", "consumer-token", 200},
      {"GET", "/v1/pins/web", "other-consumer-token", 403},
      {"GET", "/v1/bundles/web", "", 401},
      {"GET", "/v1/bundles/web", "consumer-token", 200},
      {"GET", "/v1/bundles/web", "admin-token", 200},
      {"GET", "/v1/bundles/web", "viewer-token", 403},
      {"GET", "/v1/bundles/web", "operator-token", 403},
      {"GET", "/v1/bundles/web", "other-consumer-token", 403},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.method) + " " + c.path + " as " + c.token);
    auto res = std::string(c.method) == "GET" ? Get(c.path, c.token) : Post(c.path, c.token, "");
    ASSERT_TRUE(res) << httplib::to_string(res.error());
    EXPECT_EQ(res->status, c.status) << res->body;
    if (c.status >= 400) {
      EXPECT_EQ(res->get_header_value("Content-Type"), "application/problem+json");
      // Refusals never hand out key material.
      EXPECT_EQ(res->body.find("PRIVATE KEY"), std::string::npos);
    }
    if (c.status == 401) {
      EXPECT_EQ(res->get_header_value("WWW-Authenticate"), "Bearer realm=\"certkeeper\"");
    }
  }
}

TEST_F(LifecycleApiTest, ListIsSortedByExpiryWithMissingFirst) {
  auto res = Get("/v1/managed", "viewer-token");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  json j = Body(res);
  ASSERT_TRUE(j["certificates"].is_array());
  ASSERT_EQ(j["certificates"].size(), 3u);
  EXPECT_EQ(j["certificates"][0]["name"], "new");
  EXPECT_EQ(j["certificates"][1]["name"], "api");
  EXPECT_EQ(j["certificates"][2]["name"], "web");

  const json& missing = j["certificates"][0];
  EXPECT_EQ(missing["status"], "missing");
  EXPECT_TRUE(missing["not_after"].is_null());
  EXPECT_TRUE(missing["next_renewal_at"].is_null());
  EXPECT_EQ(missing["deploy"], json::array());

  const json& web = j["certificates"][2];
  EXPECT_EQ(web["domains"], json({"example.com", "www.example.com"}));
  EXPECT_EQ(web["issuer"], "acme:le");
  EXPECT_EQ(web["status"], "valid");
  EXPECT_EQ(web["serial"], "0a1b");
  EXPECT_EQ(web["not_before"], "2026-10-01T00:00:00Z");
  EXPECT_EQ(web["not_after"], "2026-12-30T00:00:00Z");
  EXPECT_EQ(web["next_renewal_at"], "2026-12-01T00:00:00Z");
  EXPECT_EQ(web["renewal_explanation"], "1/3 of the lifetime remains on 2026-12-01");
  EXPECT_EQ(web["consecutive_failures"], 0);
  ASSERT_EQ(web["deploy"].size(), 1u);
  EXPECT_EQ(web["deploy"][0]["type"], "files");
  EXPECT_EQ(web["deploy"][0]["target"], "/etc/certkeeper/live/web");
  EXPECT_EQ(web["deploy"][0]["last_deployed_serial"], "0a1b");
  EXPECT_EQ(web["deploy"][0]["last_verified_at"], "2026-10-01T00:05:00Z");
  EXPECT_EQ(web["deploy"][0]["last_result"], "ok");

  EXPECT_EQ(j["certificates"][1]["consecutive_failures"], 3);
  EXPECT_EQ(j["certificates"][1]["last_error"], "UNAVAILABLE: CA down");

  // The CLI reads the same shape back.
  auto parsed = ManagedFromJson(web);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->not_after, UtcTime(2026, 12, 30));
  EXPECT_EQ(parsed->deploy.at(0).last_verified_at, UtcTime(2026, 10, 1, 0, 5));
}

TEST_F(LifecycleApiTest, GetOneAndProblems) {
  auto res = Get("/v1/managed/api", "viewer-token");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(Body(res)["name"], "api");

  auto missing = Get("/v1/managed/nope", "viewer-token");
  EXPECT_PROBLEM(missing, 404);
  json problem = Body(missing);
  EXPECT_EQ(problem["title"], "NOT_FOUND");
  EXPECT_EQ(problem["detail"], "no managed certificate named 'nope'");
  EXPECT_EQ(problem["type"], "about:blank");

  auto bad = Get("/v1/managed/-rf", "viewer-token");
  EXPECT_PROBLEM(bad, 400);
  auto bad_chars = Get("/v1/managed/a%20b", "viewer-token");
  EXPECT_PROBLEM(bad_chars, 400);
}

TEST_F(LifecycleApiTest, RenewQueuesWithAndWithoutForce) {
  auto res = Post("/v1/managed/web/renew", "operator-token", R"({"force":true})");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 202) << res->body;
  json j = Body(res);
  EXPECT_EQ(j["name"], "web");
  EXPECT_EQ(j["message"], "renewal of 'web' queued");

  auto due = Post("/v1/managed/api/renew", "operator-token", "");
  ASSERT_TRUE(due);
  EXPECT_EQ(due->status, 202) << due->body;
  auto due_body = Post("/v1/managed/api/renew", "operator-token", R"({})");
  EXPECT_EQ(due_body->status, 202) << due_body->body;
  ASSERT_EQ(backend_->renew_calls.size(), 3u);
  EXPECT_EQ(backend_->renew_calls[0], std::make_pair(std::string("web"), true));
  EXPECT_EQ(backend_->renew_calls[1], std::make_pair(std::string("api"), false));

  auto not_due = Post("/v1/managed/web/renew", "operator-token", R"({"force":false})");
  EXPECT_PROBLEM(not_due, 412);
  EXPECT_NE(Body(not_due)["detail"].get<std::string>().find("--force"), std::string::npos);
  auto unknown = Post("/v1/managed/nope/renew", "operator-token", "");
  EXPECT_PROBLEM(unknown, 404);
  for (const char* body : {"not json", "[]", R"({"force":"yes"})", R"({"force":1})"}) {
    SCOPED_TRACE(body);
    auto r = Post("/v1/managed/web/renew", "operator-token", body);
    EXPECT_PROBLEM(r, 400);
  }
  auto huge = Post("/v1/managed/web/renew", "operator-token", std::string(2 << 20, ' '));
  ASSERT_TRUE(huge);
  EXPECT_EQ(huge->status, 413);
  EXPECT_EQ(backend_->renew_calls.size(), 3u);  // refused requests changed nothing
}

TEST_F(LifecycleApiTest, StatusShape) {
  auto res = Get("/v1/status", "viewer-token");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  json j = Body(res);
  EXPECT_EQ(j["version"], "0.1.0");
  EXPECT_EQ(j["started_at"], "2026-11-22T10:00:00Z");
  EXPECT_EQ(j["now"], "2026-11-22T12:00:00Z");
  EXPECT_EQ(j["managed"], 3);
  EXPECT_EQ(j["failing"], 1);
  EXPECT_EQ(j["expired"], 0);
  EXPECT_EQ(j["next_renewal_at"], "2026-11-22T13:00:00Z");
  EXPECT_EQ(j["next_renewal_name"], "api");
  EXPECT_TRUE(DaemonStatusFromJson(j).ok());
}

TEST_F(LifecycleApiTest, PinsShapeAndAccess) {
  auto res = Get("/v1/pins/web", "consumer-token");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  json j = Body(res);
  EXPECT_EQ(j["name"], "web");
  EXPECT_EQ(j["hosts"], json({"example.com"}));
  ASSERT_EQ(j["pins"].size(), 2u);
  EXPECT_EQ(j["pins"][0]["pin"], "AAAA");
  EXPECT_EQ(j["pins"][0]["state"], "active");
  EXPECT_EQ(j["pins"][0]["publish_at"], "2026-09-01T00:00:00Z");
  EXPECT_TRUE(j["pins"][0]["retire_at"].is_null());
  EXPECT_EQ(j["pin_sha256_header"], R"(pin-sha256="AAAA"; pin-sha256="BBBB")");
  EXPECT_FALSE(j["okhttp"].get<std::string>().empty());
  EXPECT_FALSE(j["android"].get<std::string>().empty());
  auto none = Get("/v1/pins/api", "viewer-token");
  EXPECT_PROBLEM(none, 404);
  // A consumer learns nothing about certificates it does not consume, not even whether they
  // have pins.
  auto other = Get("/v1/pins/api", "consumer-token");
  EXPECT_PROBLEM(other, 403);
}

TEST_F(LifecycleApiTest, BundleAnswersAtOnceWhenTheConsumerHasNoOrAnOldVersion) {
  for (const std::string path : {"/v1/bundles/web", "/v1/bundles/web?serial=0001&wait=30"}) {
    SCOPED_TRACE(path);
    auto start = std::chrono::steady_clock::now();
    auto res = Get(path, "consumer-token");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
    EXPECT_EQ(res->get_header_value("Cache-Control"), "no-store");
    EXPECT_EQ(res->get_header_value_count("Cache-Control"), 1u);
    EXPECT_EQ(res->get_header_value("ETag"), "\"0a1b\"");
    json j = Body(res);
    EXPECT_EQ(j["name"], "web");
    EXPECT_EQ(j["serial"], "0a1b");
    EXPECT_EQ(j["not_after"], "2027-01-01T00:00:00Z");
    EXPECT_EQ(j["privkey"], kKeyPem);
    EXPECT_EQ(j["fullchain"], j["cert"].get<std::string>() + j["chain"].get<std::string>());
    auto parsed = BundleFromJson(j);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    EXPECT_EQ(parsed->key_pem, kKeyPem);
  }
}

TEST_F(LifecycleApiTest, BundleIsNotModifiedWhenNothingNewCameWithinTheWait) {
  auto start = std::chrono::steady_clock::now();
  auto res = Get("/v1/bundles/web?wait=1&serial=0a1b", "consumer-token");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 304) << res->body;
  EXPECT_TRUE(res->body.empty());
  EXPECT_EQ(res->get_header_value("ETag"), "\"0a1b\"");
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(900));
  // wait=0 (or none) with the current serial: 304 at once.
  auto now = Get("/v1/bundles/web?serial=0a1b", "consumer-token");
  ASSERT_TRUE(now);
  EXPECT_EQ(now->status, 304);
  // If-None-Match instead of ?serial (strong or weak tag).
  for (const char* tag : {"\"0a1b\"", "W/\"0a1b\""}) {
    auto inm = Get("/v1/bundles/web", "consumer-token", {{"If-None-Match", tag}});
    ASSERT_TRUE(inm);
    EXPECT_EQ(inm->status, 304) << tag;
  }
  auto old = Get("/v1/bundles/web", "consumer-token", {{"If-None-Match", "\"0001\""}});
  ASSERT_TRUE(old);
  EXPECT_EQ(old->status, 200);
}

TEST_F(LifecycleApiTest, LongPollWakesUpWhenANewVersionIsPublished) {
  auto waiting = std::async(std::launch::async, [this] {
    auto start = std::chrono::steady_clock::now();
    auto res = Get("/v1/bundles/web?wait=60&serial=0a1b", "consumer-token");
    return std::make_pair(std::move(res), std::chrono::steady_clock::now() - start);
  });
  // Let the request reach the backend and wait there.
  for (int i = 0; i < 200 && backend_->WaitCalls() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  backend_->Publish(Bundle("0c0d"));
  auto [res, took] = waiting.get();
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(Body(res)["serial"], "0c0d");
  EXPECT_EQ(res->get_header_value("ETag"), "\"0c0d\"");
  EXPECT_LT(took, std::chrono::seconds(10));
}

TEST_F(LifecycleApiTest, BadWaitAndSerialValuesAre400) {
  for (const char* query : {"wait=abc", "wait=-1", "wait=1.5", "wait=", "wait=10s",
                            "wait=99999999999999999999", "serial=not-hex!", "limit=1"}) {
    SCOPED_TRACE(query);
    auto res = Get(std::string("/v1/bundles/web?") + query, "consumer-token");
    if (std::string(query) == "limit=1") {  // unknown parameters are ignored
      ASSERT_TRUE(res);
      EXPECT_EQ(res->status, 200);
      continue;
    }
    EXPECT_PROBLEM(res, 400);
  }
  // A huge wait is capped, not refused: the request waits and a new version still wakes it.
  auto waiting = std::async(std::launch::async, [this] {
    return Get("/v1/bundles/web?wait=100000&serial=0a1b", "consumer-token");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  backend_->Publish(Bundle("0e0f"));
  auto res = waiting.get();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
}

TEST_F(LifecycleApiTest, WaitingConsumersCannotStarveTheServer) {
  AdminServerOptions options;
  options.worker_threads = 8;
  options.max_long_polls = 2;
  Start(options);
  std::vector<std::future<httplib::Result>> polls;
  for (int i = 0; i < 2; ++i) {
    polls.push_back(std::async(std::launch::async, [this] {
      return Get("/v1/bundles/web?wait=60&serial=0a1b", "consumer-token");
    }));
  }
  for (int i = 0; i < 300 && backend_->WaitCalls() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  // A third waiter is told to come back later instead of taking a worker...
  auto third = Get("/v1/bundles/web?wait=60&serial=0a1b", "consumer-token");
  EXPECT_PROBLEM(third, 429);
  EXPECT_EQ(third->get_header_value("Retry-After"), "5");
  // ...a consumer that has an old version still gets the new one at once...
  auto fetch = Get("/v1/bundles/web?wait=60&serial=0001", "consumer-token");
  ASSERT_TRUE(fetch);
  EXPECT_EQ(fetch->status, 200);
  // ...and operators are served while consumers wait.
  for (int i = 0; i < 10; ++i) {
    auto start = std::chrono::steady_clock::now();
    auto status = Get("/v1/status", "viewer-token");
    ASSERT_TRUE(status);
    EXPECT_EQ(status->status, 200);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  }
  backend_->Publish(Bundle("1111"));
  for (auto& p : polls) {
    auto res = p.get();
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
  }
}

TEST_F(LifecycleApiTest, StoppingTheServerEndsLongPollsPromptly) {
  auto waiting = std::async(std::launch::async, [this] {
    return Get("/v1/bundles/web?wait=300&serial=0a1b", "consumer-token");
  });
  for (int i = 0; i < 300 && backend_->WaitCalls() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto start = std::chrono::steady_clock::now();
  server_->server().Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  auto res = waiting.get();
  if (res) {
    EXPECT_EQ(res->status, 304);  // answered "nothing new" on the way out
  }
}

TEST_F(LifecycleApiTest, EventsPageNewestFirst) {
  auto res = Get("/v1/events?limit=2", "viewer-token");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  json j = Body(res);
  ASSERT_EQ(j["events"].size(), 2u);
  EXPECT_EQ(j["events"][0]["id"], 3);
  EXPECT_EQ(j["events"][0]["kind"], "deployed");
  EXPECT_EQ(j["events"][0]["details"], "not json");  // kept as text
  EXPECT_EQ(j["events"][1]["id"], 2);
  EXPECT_TRUE(j["events"][1]["details"].is_null());
  EXPECT_EQ(j["next_before"], 2);

  auto next = Get("/v1/events?limit=2&before=2", "viewer-token");
  ASSERT_EQ(next->status, 200);
  json page = Body(next);
  ASSERT_EQ(page["events"].size(), 1u);
  EXPECT_EQ(page["events"][0]["id"], 1);
  EXPECT_EQ(page["events"][0]["time"], "2026-11-01T00:00:00Z");
  EXPECT_EQ(page["events"][0]["certificate"], "web");
  EXPECT_EQ(page["events"][0]["message"], "issued serial 0a1b");
  EXPECT_EQ(page["events"][0]["details"], json({{"serial", "0a1b"}}));
  EXPECT_TRUE(page["next_before"].is_null());

  auto filtered = Get("/v1/events?certificate=api", "viewer-token");
  ASSERT_EQ(filtered->status, 200);
  EXPECT_EQ(Body(filtered)["events"].size(), 1u);
  EXPECT_EQ(backend_->last_events_query.certificate, "api");
  EXPECT_EQ(backend_->last_events_query.limit, 50);
  EXPECT_EQ(backend_->last_events_query.before, 0);

  for (const char* q : {"limit=0", "limit=1001", "limit=x", "before=-3", "certificate=../x"}) {
    SCOPED_TRACE(q);
    auto bad = Get(std::string("/v1/events?") + q, "viewer-token");
    EXPECT_PROBLEM(bad, 400);
  }
}

TEST_F(LifecycleApiTest, RequestsAreLoggedWithIdentityButNeverTheKey) {
  std::mutex mu;
  std::vector<std::string> lines;
  log::Default().SetSink([&](std::string_view line) {
    std::lock_guard lock(mu);
    lines.emplace_back(line);
  });
  auto res = Get("/v1/bundles/web", "consumer-token");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  auto renew = Post("/v1/managed/web/renew", "admin-token", R"({"force":true})");
  ASSERT_EQ(renew->status, 202);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the request log line
  log::Default().SetSink([](std::string_view line) {
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fputc('\n', stderr);
  });
  std::lock_guard lock(mu);
  bool served = false, logged_request = false, logged_renew = false;
  for (const auto& line : lines) {
    EXPECT_EQ(line.find("PRIVATE KEY"), std::string::npos) << line;
    EXPECT_EQ(line.find("FAKEKEY"), std::string::npos) << line;
    if (line.find("bundle served") != std::string::npos &&
        line.find("consumer:edge (token)") != std::string::npos &&
        line.find("0a1b") != std::string::npos) {
      served = true;
    }
    if (line.find("admin request") != std::string::npos &&
        line.find("/v1/bundles/web") != std::string::npos &&
        line.find("consumer:edge (token)") != std::string::npos) {
      logged_request = true;
    }
    if (line.find("renewal requested") != std::string::npos &&
        line.find("admin:root (token)") != std::string::npos) {
      logged_renew = true;
    }
  }
  EXPECT_TRUE(served);
  EXPECT_TRUE(logged_request);
  EXPECT_TRUE(logged_renew);
}

TEST(LifecycleJsonTest, ParsersRejectWrongShapesWithoutThrowing) {
  EXPECT_FALSE(ManagedFromJson(json::array()).ok());
  EXPECT_FALSE(ManagedFromJson(json{{"name", 5}, {"status", "valid"}}).ok());
  auto bad_time = ManagedFromJson(json{{"name", "a"}, {"status", "valid"}, {"not_after", "x"}});
  ASSERT_FALSE(bad_time.ok());
  EXPECT_NE(bad_time.status().message().find("not_after"), std::string::npos);
  EXPECT_FALSE(DaemonStatusFromJson(json{{"version", "1"}}).ok());
  EXPECT_FALSE(PinSetFromJson(json{{"name", "a"}, {"pins", {1, 2}}}).ok());
  EXPECT_FALSE(BundleFromJson(json{{"name", "a"}}).ok());
  EXPECT_FALSE(EventFromJson(json("text")).ok());
  ManagedCertificateView m;
  m.name = "x";
  m.status = "missing";
  m.domains = {"a.example"};
  auto back = ManagedFromJson(ToJson(m));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->domains, m.domains);
  EXPECT_FALSE(back->not_after.has_value());
}

}  // namespace
}  // namespace ck::web
