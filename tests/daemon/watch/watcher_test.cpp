// The Watcher over a real SqliteStore: schedule on a FakeClock, persistence of leaves (one row
// per distinct certificate, the previous one superseded), results, outcome-change events,
// deletion of results of removed watches, and bounded concurrency with black-hole endpoints.
#include "daemon/watch/watcher.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "daemon/daemon_backend.hpp"
#include "daemon/watch/watch_persist.hpp"
#include "store/sqlite_store.hpp"
#include "tests/daemon/watch/watch_test_servers.hpp"
#include "tests/testing/status_matchers.hpp"
#include "web/watch_handlers.hpp"

namespace ck::watch {
namespace {

using ::ck::testing::CaSpec;
using ::ck::testing::CertSpec;
using ::ck::testing::IssuedCert;
using ::ck::testing::TempDir;
using ::ck::testing::TestCa;
using ::testing::HasSubstr;
using SteadyClock = std::chrono::steady_clock;

class WatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto key = store::MasterKey::Generate();
    ASSERT_OK(key);
    auto opened = store::SqliteStore::Open(":memory:", *key);
    ASSERT_OK(opened);
    store_ = std::move(*opened);
    auto root = TestCa::CreateRoot(CaSpec("Watcher Root"));
    ASSERT_OK(root);
    root_.emplace(std::move(*root));
    root_pem_ = dir_.WriteFile("root.pem", root_->cert().ToPem());
    monitor_.interval = std::chrono::hours(1);
    monitor_.concurrency = 2;
    monitor_.timeout = std::chrono::seconds(5);
  }

  IssuedCert Leaf(bool expired = false) {
    CertSpec spec;
    spec.common_name = "localhost";
    spec.dns_names = {"localhost"};
    spec.ip_addresses = {"127.0.0.1"};
    if (expired) {
      spec.not_before = ck::testing::UtcTime(2024, 1, 1);
      spec.not_after = ck::testing::UtcTime(2024, 2, 1);
    }
    auto leaf = root_->Issue(spec);
    EXPECT_OK(leaf);
    return std::move(*leaf);
  }

  config::WatchConfig FilesWatch() const {
    config::WatchConfig w;
    w.files = {dir_.Path("certs/*.pem")};
    w.ca_bundle = root_pem_;
    return w;
  }

  config::WatchConfig EndpointWatch(uint16_t port) const {
    config::WatchConfig w;
    w.endpoint = "127.0.0.1:" + std::to_string(port);
    w.host = "127.0.0.1";
    w.port = port;
    w.ca_bundle = root_pem_;
    return w;
  }

  std::vector<store::CertificateRecord> Rows(const std::string& name) {
    store::CertificateQuery q;
    q.name = name;
    auto rows = store_->ListCertificates(q);
    EXPECT_OK(rows);
    return rows.ok() ? *rows : std::vector<store::CertificateRecord>{};
  }

  std::vector<store::EventRecord> Events(const std::string& name) {
    store::EventQuery q;
    q.certificate_name = name;
    auto events = store_->ListEvents(q);
    EXPECT_OK(events);
    return events.ok() ? *events : std::vector<store::EventRecord>{};
  }

  // Certificates are minted against the wall clock, so the fake one starts there.
  FakeClock clock_{
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now())};
  TempDir dir_;
  std::unique_ptr<store::SqliteStore> store_;
  std::optional<TestCa> root_;
  std::string root_pem_;
  config::MonitorConfig monitor_;
};

TEST_F(WatcherTest, SameCertificateOneRowChangedCertificateSupersedesTheOld) {
  const std::string path = dir_.WriteFile("certs/site.pem", Leaf().ChainPem());
  Watcher watcher(*store_, clock_);
  ASSERT_OK(watcher.Configure({FilesWatch()}, monitor_));
  EXPECT_TRUE(watcher.HasPendingChanges());

  const TimePoint t0 = clock_.Now();
  EXPECT_EQ(watcher.RunOnce(), t0 + std::chrono::hours(1));
  EXPECT_FALSE(watcher.HasPendingChanges());
  auto rows = Rows(path);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].source, "file");
  EXPECT_EQ(rows[0].status, "active");
  ASSERT_OK_AND_ASSIGN(auto results, store_->ListWatchResults());
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].target, path);
  EXPECT_EQ(results[0].kind, "file");
  EXPECT_EQ(results[0].outcome, "ok");
  EXPECT_EQ(results[0].certificate_id, rows[0].id);
  EXPECT_EQ(results[0].checked_at, t0);
  EXPECT_TRUE(Events(path).empty());  // first seen and fine: nothing changed

  // Not due yet: nothing runs, nothing is written.
  clock_.Advance(std::chrono::minutes(30));
  EXPECT_EQ(watcher.RunOnce(), t0 + std::chrono::hours(1));
  ASSERT_OK_AND_ASSIGN(results, store_->ListWatchResults());
  EXPECT_EQ(results[0].checked_at, t0);

  // Due, same certificate: checked again, still one row.
  clock_.Advance(std::chrono::minutes(30));
  watcher.RunOnce();
  EXPECT_EQ(Rows(path).size(), 1u);
  ASSERT_OK_AND_ASSIGN(results, store_->ListWatchResults());
  EXPECT_EQ(results[0].checked_at, t0 + std::chrono::hours(1));

  // The file now holds another (expired) certificate: a new row, the old one superseded, and
  // an event because the outcome changed.
  dir_.WriteFile("certs/site.pem", Leaf(/*expired=*/true).ChainPem());
  clock_.Advance(std::chrono::hours(1));
  watcher.RunOnce();
  rows = Rows(path);
  ASSERT_EQ(rows.size(), 2u);
  int active = 0;
  for (const auto& r : rows) {
    if (r.status == "active") {
      ++active;
      EXPECT_EQ(r.not_after, ck::testing::UtcTime(2024, 2, 1));
    } else {
      EXPECT_EQ(r.status, "superseded");
    }
  }
  EXPECT_EQ(active, 1);
  ASSERT_OK_AND_ASSIGN(results, store_->ListWatchResults());
  EXPECT_EQ(results[0].outcome, "problems");
  EXPECT_THAT(results[0].problems_json, HasSubstr("\"code\":\"expired\""));
  auto events = Events(path);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, "watch_problem");
  EXPECT_THAT(events[0].message, HasSubstr("expired"));

  // Checked again with the same problem: no second event.
  clock_.Advance(std::chrono::hours(1));
  watcher.RunOnce();
  EXPECT_EQ(Events(path).size(), 1u);

  // Fixed: a watch_ok event.
  dir_.WriteFile("certs/site.pem", Leaf().ChainPem());
  clock_.Advance(std::chrono::hours(1));
  watcher.RunOnce();
  events = Events(path);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, "watch_ok");  // newest first
  EXPECT_EQ(Rows(path).size(), 3u);
}

TEST_F(WatcherTest, RemovedWatchAndDeletedFileLoseTheirResultsButKeepHistory) {
  const std::string a = dir_.WriteFile("certs/a.pem", Leaf().ChainPem());
  const std::string b = dir_.WriteFile("certs/b.pem", Leaf().ChainPem());
  Watcher watcher(*store_, clock_);
  ASSERT_OK(watcher.Configure({FilesWatch()}, monitor_));
  watcher.RunOnce();
  ASSERT_OK_AND_ASSIGN(auto results, store_->ListWatchResults());
  ASSERT_EQ(results.size(), 2u);

  ASSERT_EQ(::unlink(b.c_str()), 0);
  clock_.Advance(std::chrono::hours(1));
  watcher.RunOnce();
  ASSERT_OK_AND_ASSIGN(results, store_->ListWatchResults());
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].target, a);

  ASSERT_OK(watcher.Configure({}, monitor_));
  ASSERT_OK_AND_ASSIGN(results, store_->ListWatchResults());
  EXPECT_TRUE(results.empty());
  // History stays, no longer active: alerts, metrics and the inventory stop counting them.
  ASSERT_EQ(Rows(a).size(), 1u);
  ASSERT_EQ(Rows(b).size(), 1u);
  EXPECT_EQ(Rows(a)[0].status, kCertUnwatched);
  EXPECT_EQ(Rows(b)[0].status, kCertUnwatched);
  ASSERT_OK_AND_ASSIGN(auto due,
                       store_->ListDueBefore(clock_.Now() + std::chrono::hours(24 * 3650)));
  EXPECT_TRUE(due.empty());
}

TEST_F(WatcherTest, ARestartContinuesTheStoredSchedule) {
  dir_.WriteFile("certs/a.pem", Leaf().ChainPem());
  {
    Watcher first(*store_, clock_);
    ASSERT_OK(first.Configure({FilesWatch()}, monitor_));
    first.RunOnce();
  }
  clock_.Advance(std::chrono::minutes(20));
  Watcher second(*store_, clock_);
  ASSERT_OK(second.Configure({FilesWatch()}, monitor_));
  const TimePoint checked = clock_.Now() - std::chrono::minutes(20);
  EXPECT_EQ(second.RunOnce(), checked + std::chrono::hours(1));  // nothing ran
  EXPECT_TRUE(second.LastRun().empty());
}

TEST_F(WatcherTest, EndpointsAreRecordedAsExternalAndBlackHolesOnlyCostTheirTimeout) {
  IssuedCert good = Leaf();
  auto server = ck::testing::ServeWithOpenssl(dir_, "good", good);
  ASSERT_NE(server.process, nullptr) << server.log;
  std::vector<std::unique_ptr<ck::testing::BlackHole>> holes;
  std::vector<config::WatchConfig> watches = {EndpointWatch(server.port)};
  for (int i = 0; i < 4; ++i) {
    holes.push_back(std::make_unique<ck::testing::BlackHole>());
    watches.push_back(EndpointWatch(holes.back()->port()));
  }
  monitor_.concurrency = 2;
  monitor_.timeout = std::chrono::seconds(1);
  Watcher watcher(*store_, clock_);
  ASSERT_OK(watcher.Configure(watches, monitor_));
  const auto start = SteadyClock::now();
  watcher.RunOnce();
  const double took = std::chrono::duration<double>(SteadyClock::now() - start).count();
  std::printf(
      "[ timing ] Watcher::RunOnce, 4 black holes + 1 good, concurrency 2, timeout 1s: "
      "%.3f s (expected ~2 s)\n",
      took);
  EXPECT_GE(took, 1.9);
  EXPECT_LT(took, 3.0);

  const std::string target = "127.0.0.1:" + std::to_string(server.port);
  auto rows = Rows(target);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].source, "external");
  EXPECT_EQ(rows[0].serial_hex, good.cert.SerialHex());
  ASSERT_OK_AND_ASSIGN(auto results, store_->ListWatchResults());
  ASSERT_EQ(results.size(), 5u);
  int errors = 0;
  for (const auto& r : results) {
    if (r.target == target) {
      EXPECT_EQ(r.outcome, "ok") << r.problems_json << r.error;
      auto details = nlohmann::json::parse(r.details_json);
      EXPECT_EQ(details["tls_version"], "TLSv1.3");
      EXPECT_EQ(details["chain"].size(), 1u);
    } else {
      ++errors;
      EXPECT_EQ(r.outcome, "error");
      EXPECT_THAT(r.error, HasSubstr("timed out"));
      EXPECT_FALSE(r.certificate_id.has_value());
      EXPECT_EQ(Events(r.target).size(), 1u);  // from "never seen" to error
    }
  }
  EXPECT_EQ(errors, 4);
}

// GET /v1/watch over the daemon's backend: what the Watcher stored, leaf included.
TEST_F(WatcherTest, ApiShowsTheLatestResultsWithTheLeaf) {
  IssuedCert leaf = Leaf(/*expired=*/true);
  const std::string path = dir_.WriteFile("certs/old.pem", leaf.ChainPem());
  dir_.WriteFile("certs/junk.pem", "junk");
  config::WatchConfig w = FilesWatch();
  w.name = "disk";
  Watcher watcher(*store_, clock_);
  ASSERT_OK(watcher.Configure({w}, monitor_));
  watcher.RunOnce();

  daemon::DaemonBackend backend(*store_, clock_);
  web::HttpRequest request;
  request.method = "GET";
  request.path = "/v1/watch";
  web::HttpResponse response = web::HandleListWatchResults(
      request, web::Identity{"ops", web::Role::kViewer, "token"}, backend);
  ASSERT_EQ(response.status, 200) << response.body;
  auto body = nlohmann::json::parse(response.body);
  ASSERT_EQ(body["results"].size(), 2u) << body.dump(2);
  const auto& junk = body["results"][0];  // by target
  EXPECT_EQ(junk["target"], dir_.Path("certs/junk.pem"));
  EXPECT_EQ(junk["outcome"], "error");
  EXPECT_THAT(junk["error"].get<std::string>(), HasSubstr("not a PEM or DER certificate"));
  EXPECT_TRUE(junk["leaf"].is_null());
  const auto& old = body["results"][1];
  EXPECT_EQ(old["target"], path);
  EXPECT_EQ(old["kind"], "file");
  EXPECT_EQ(old["label"], "disk");
  EXPECT_EQ(old["checked_at"], FormatRfc3339(clock_.Now()));
  EXPECT_EQ(old["outcome"], "problems");
  ASSERT_EQ(old["problems"].size(), 1u);
  EXPECT_EQ(old["problems"][0]["code"], "expired");
  EXPECT_EQ(old["problems"][0]["severity"], "critical");
  EXPECT_EQ(old["leaf"]["serial"], leaf.cert.SerialHex());
  EXPECT_EQ(old["leaf"]["not_after"], "2024-02-01T00:00:00Z");
  EXPECT_LT(old["leaf"]["days_left"].get<double>(), 0);
  EXPECT_THAT(old["leaf"]["subject"].get<std::string>(), HasSubstr("CN=localhost"));
  EXPECT_EQ(old["chain"].size(), 1u);
  EXPECT_EQ(response.body.find("PRIVATE KEY"), std::string::npos);
}

}  // namespace
}  // namespace ck::watch
