// The admin API authorization matrix over a real socket, with the daemon's backend on a real
// (in-memory) SQLite store: missing, forged, expired, revoked tokens → 401; a role too weak →
// 403; and none of the refused requests changes the store.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "daemon/daemon_backend.hpp"
#include "store/sqlite_store.hpp"
#include "web/admin_server.hpp"

namespace ck::daemon {
namespace {

class AdminApiAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto key = store::MasterKey::Generate();
    ASSERT_TRUE(key.ok());
    auto opened = store::SqliteStore::Open(":memory:", *key);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(*opened);
    backend_ = std::make_unique<DaemonBackend>(*store_, clock_);
    web::AdminServerOptions options;
    options.port = 0;
    server_ = std::make_unique<web::AdminServer>(options, *backend_);
    auto port = server_->Start();
    ASSERT_TRUE(port.ok()) << port.status().ToString();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", *port);
    TokenService tokens(*store_, clock_);
    admin_ = tokens.Create("root", web::Role::kAdmin, std::chrono::hours(1))->secret;
    viewer_ = tokens.Create("looker", web::Role::kViewer, std::chrono::hours(1))->secret;
  }
  void TearDown() override { server_->Stop(); }

  httplib::Headers Bearer(const std::string& token) {
    return {{"Authorization", "Bearer " + token}};
  }
  size_t TokenCount() { return store_->ListApiTokens()->size(); }
  size_t EventCount() {
    store::EventQuery q;
    q.limit = 0;
    return store_->ListEvents(q)->size();
  }
  httplib::Result CreateViaApi(const httplib::Headers& headers) {
    return client_->Post("/v1/tokens", headers, R"({"name":"new","role":"viewer","ttl":"1h"})",
                         "application/json");
  }

  FakeClock clock_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<DaemonBackend> backend_;
  std::unique_ptr<web::AdminServer> server_;
  std::unique_ptr<httplib::Client> client_;
  std::string admin_, viewer_;
};

TEST_F(AdminApiAuthTest, RefusedRequestsChangeNothing) {
  const size_t tokens_before = TokenCount();
  const size_t events_before = EventCount();
  struct Case {
    const char* what;
    httplib::Headers headers;
    int status;
  };
  std::string forged = "ckt_" + std::string(43, 'A');
  std::vector<Case> cases = {
      {"no credentials", {}, 401},
      {"not bearer", {{"Authorization", "Basic YWRtaW46YWRtaW4="}}, 401},
      {"forged token", Bearer(forged), 401},
      {"garbage token", Bearer("hunter2"), 401},
      {"token with a changed character", Bearer(admin_.substr(0, admin_.size() - 1) + "x"), 401},
      {"viewer role", Bearer(viewer_), 403},
  };
  for (const auto& c : cases) {
    auto res = CreateViaApi(c.headers);
    ASSERT_TRUE(res) << c.what;
    EXPECT_EQ(res->status, c.status) << c.what << ": " << res->body;
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/problem+json") << c.what;
    auto j = nlohmann::json::parse(res->body, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << c.what;
    EXPECT_EQ(j["status"], c.status);
    // The refusal never echoes the secret that was sent.
    EXPECT_EQ(res->body.find(admin_), std::string::npos);
    EXPECT_EQ(res->body.find(forged), std::string::npos);
  }
  EXPECT_EQ(TokenCount(), tokens_before);
  EXPECT_EQ(EventCount(), events_before);
}

TEST_F(AdminApiAuthTest, ExpiredAndRevokedTokensAreRefused) {
  clock_.Advance(std::chrono::hours(2));  // both tokens expire after 1h
  auto expired = client_->Get("/v1/tokens", Bearer(admin_));
  ASSERT_TRUE(expired);
  EXPECT_EQ(expired->status, 401);
  EXPECT_NE(expired->body.find("expired"), std::string::npos) << expired->body;

  TokenService tokens(*store_, clock_);
  auto fresh = tokens.Create("fresh", web::Role::kAdmin, std::chrono::hours(1));
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(client_->Get("/v1/tokens", Bearer(fresh->secret))->status, 200);
  ASSERT_TRUE(tokens.Revoke(fresh->record.id).ok());
  auto revoked = client_->Get("/v1/tokens", Bearer(fresh->secret));
  EXPECT_EQ(revoked->status, 401);
  EXPECT_NE(revoked->body.find("revoked"), std::string::npos) << revoked->body;
}

TEST_F(AdminApiAuthTest, AdminCreatesListsAndRevokesTokens) {
  auto created = CreateViaApi(Bearer(admin_));
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  auto j = nlohmann::json::parse(created->body);
  std::string secret = j["token"];
  EXPECT_EQ(secret.rfind("ckt_", 0), 0u);
  EXPECT_EQ(j["role"], "viewer");
  // The new token works for reading...
  // (the viewer may not list tokens: that is admin-only)
  EXPECT_EQ(client_->Get("/v1/tokens", Bearer(secret))->status, 403);
  // ...and the list never shows secrets or hashes.
  auto list = client_->Get("/v1/tokens", Bearer(admin_));
  ASSERT_EQ(list->status, 200);
  EXPECT_EQ(list->body.find(secret), std::string::npos);
  EXPECT_EQ(list->body.find(store_->ListApiTokens()->front().token_hash), std::string::npos);
  auto listed = nlohmann::json::parse(list->body)["tokens"];
  EXPECT_EQ(listed.size(), 3u);

  int64_t id = j["id"];
  auto del = client_->Delete("/v1/tokens/" + std::to_string(id), Bearer(admin_));
  ASSERT_EQ(del->status, 200) << del->body;
  EXPECT_EQ(client_->Get("/v1/tokens", Bearer(secret))->status, 401);
  EXPECT_EQ(client_->Delete("/v1/tokens/99999", Bearer(admin_))->status, 404);
}

TEST_F(AdminApiAuthTest, BadBodiesAreClear400s) {
  for (const char* body : {"", "not json", "[]", R"({"role": 5})", R"({"role":"god"})",
                           R"({"role":"viewer","ttl":"forever"})"}) {
    auto res = client_->Post("/v1/tokens", Bearer(admin_), body, "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << body << " → " << res->body;
  }
  std::string huge(2 << 20, 'x');
  auto res = client_->Post("/v1/tokens", Bearer(admin_), huge, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
}

}  // namespace
}  // namespace ck::daemon
