// GET /v1/alerts and POST /v1/alerts/{id}/ack as plain functions of (request, backend): query
// validation, paging, the JSON shape (which the CLI parses back), and who acknowledged.
#include "web/alert_handlers.hpp"

#include <gtest/gtest.h>

#include "tests/web/fake_backend.hpp"

namespace ck::web {
namespace {

using nlohmann::json;

class AlertBackend : public FakeBackendBase {
 public:
  Result<std::vector<AlertView>> ListAlerts(const AlertFilter& f) override {
    last_filter = f;
    std::vector<AlertView> out;
    for (auto it = alerts.rbegin(); it != alerts.rend(); ++it) {
      if (f.open_only && it->resolved_at) continue;
      if (f.before_id > 0 && it->id >= f.before_id) continue;
      if (static_cast<int>(out.size()) == f.limit) break;
      out.push_back(*it);
    }
    return out;
  }
  Result<AlertView> AcknowledgeAlert(int64_t id, const std::string& by) override {
    for (auto& a : alerts) {
      if (a.id != id) continue;
      a.acknowledged_at = TimePoint(std::chrono::seconds(1'800'000'000));
      a.acknowledged_by = by;
      return a;
    }
    return NotFoundError("no alert " + std::to_string(id));
  }

  std::vector<AlertView> alerts;
  AlertFilter last_filter;
};

HttpRequest Get(std::multimap<std::string, std::string> query) {
  HttpRequest r;
  r.method = "GET";
  r.path = "/v1/alerts";
  r.query = std::move(query);
  return r;
}

class AlertHandlersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 1; i <= 5; ++i) {
      AlertView a;
      a.id = i;
      a.key = "expiry:web:0" + std::to_string(i) + ":7d";
      a.kind = "expiry";
      a.subject = "web";
      a.severity = "critical";
      a.message = "web expires";
      a.opened_at = TimePoint(std::chrono::seconds(1'790'000'000 + i));
      a.notified_at = a.opened_at;
      if (i <= 2) a.resolved_at = a.opened_at + std::chrono::hours(1);
      backend_.alerts.push_back(a);
    }
  }
  AlertBackend backend_;
  Identity operator_{"ops", Role::kOperator, "token"};
};

TEST_F(AlertHandlersTest, ListsOpenAlertsNewestFirst) {
  auto r = HandleListAlerts(Get({}), operator_, backend_);
  ASSERT_EQ(r.status, 200) << r.body;
  json j = json::parse(r.body);
  ASSERT_EQ(j["alerts"].size(), 3u);
  EXPECT_EQ(j["alerts"][0]["id"], 5);
  EXPECT_TRUE(j["next_before"].is_null());
  EXPECT_TRUE(backend_.last_filter.open_only);
  EXPECT_EQ(backend_.last_filter.limit, 100);
  const auto& a = j["alerts"][0];
  for (const char* field : {"id", "key", "kind", "subject", "severity", "message", "opened_at",
                            "notified_at", "resolved_at", "acknowledged_at", "acknowledged_by"}) {
    EXPECT_TRUE(a.contains(field)) << field;
  }
  EXPECT_TRUE(a["resolved_at"].is_null());
  EXPECT_EQ(a["opened_at"], "2026-09-21T14:13:25Z");
  auto back = AlertFromJson(a);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->key, "expiry:web:05:7d");
  EXPECT_EQ(back->opened_at, backend_.alerts[4].opened_at);
}

TEST_F(AlertHandlersTest, PagesThroughAll) {
  auto r = HandleListAlerts(Get({{"state", "all"}, {"limit", "2"}}), operator_, backend_);
  ASSERT_EQ(r.status, 200);
  json j = json::parse(r.body);
  ASSERT_EQ(j["alerts"].size(), 2u);
  ASSERT_EQ(j["next_before"], 4);
  r = HandleListAlerts(Get({{"state", "all"}, {"limit", "2"}, {"before", "4"}}), operator_,
                       backend_);
  j = json::parse(r.body);
  ASSERT_EQ(j["alerts"].size(), 2u);
  EXPECT_EQ(j["alerts"][0]["id"], 3);
  EXPECT_FALSE(j["alerts"][1]["resolved_at"].is_null());
  r = HandleListAlerts(Get({{"state", "all"}, {"limit", "2"}, {"before", "2"}}), operator_,
                       backend_);
  j = json::parse(r.body);
  EXPECT_EQ(j["alerts"].size(), 1u);
  EXPECT_TRUE(j["next_before"].is_null());
}

TEST_F(AlertHandlersTest, RejectsBadQueries) {
  for (auto q : std::vector<std::multimap<std::string, std::string>>{{{"state", "closed"}},
                                                                     {{"limit", "0"}},
                                                                     {{"limit", "1001"}},
                                                                     {{"limit", "ten"}},
                                                                     {{"before", "-1"}},
                                                                     {{"before", "1x"}}}) {
    auto r = HandleListAlerts(Get(q), operator_, backend_);
    EXPECT_EQ(r.status, 400) << q.begin()->first << "=" << q.begin()->second;
    EXPECT_EQ(r.content_type, "application/problem+json");
  }
}

TEST_F(AlertHandlersTest, AcknowledgeRecordsWho) {
  HttpRequest r;
  r.method = "POST";
  r.path = "/v1/alerts/4/ack";
  auto resp = HandleAcknowledgeAlert(r, operator_, backend_);
  ASSERT_EQ(resp.status, 200) << resp.body;
  json j = json::parse(resp.body);
  EXPECT_EQ(j["id"], 4);
  EXPECT_EQ(j["acknowledged_by"], "ops");
  EXPECT_FALSE(j["acknowledged_at"].is_null());
  EXPECT_TRUE(j["resolved_at"].is_null());
  r.path = "/v1/alerts/99/ack";
  EXPECT_EQ(HandleAcknowledgeAlert(r, operator_, backend_).status, 404);
  r.path = "/v1/alerts/abc/ack";
  EXPECT_EQ(HandleAcknowledgeAlert(r, operator_, backend_).status, 400);
}

TEST_F(AlertHandlersTest, WithoutAlertSupportTheBackendSaysSo) {
  FakeBackendBase plain;
  EXPECT_EQ(HandleListAlerts(Get({}), operator_, plain).status, 501);
}

}  // namespace
}  // namespace ck::web
