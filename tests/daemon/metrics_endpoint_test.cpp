// GET /metrics: scrape access (token / loopback) over a real socket with the daemon's backend on
// a real (in-memory) SQLite store; the scrape-time certificate gauges; the [metrics] config
// table; the ACME endpoint normalisation that keeps label values bounded.
#include <gtest/gtest.h>
#include <httplib.h>

#include "acme/request_metrics.hpp"
#include "daemon/config/config.hpp"
#include "daemon/daemon_backend.hpp"
#include "daemon/metrics/certificate_metrics.hpp"
#include "daemon/metrics/daemon_metrics.hpp"
#include "daemon/token_service.hpp"
#include "daemon/version.hpp"
#include "store/sqlite_store.hpp"
#include "tests/testing/status_matchers.hpp"
#include "web/admin_server.hpp"
#include "web/metrics_handler.hpp"

namespace ck::daemon {
namespace {

constexpr int64_t kT0 = 1767225600;  // 2026-01-01T00:00:00Z

store::CertificateRecord Observed(const std::string& name, const std::string& source,
                                  int64_t not_after, const std::string& fingerprint) {
  store::CertificateRecord r;
  r.name = name;
  r.source = source;
  r.issuer = "R11";
  r.serial_hex = "0A" + fingerprint.substr(0, 6);
  r.not_before = FromUnixSeconds(not_after - 90 * 86400);
  r.not_after = FromUnixSeconds(not_after);
  r.cert_pem = "-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n";
  r.fingerprint_sha256 = fingerprint;
  r.created_at = FromUnixSeconds(kT0);
  return r;
}

class MetricsEndpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_.Set(FromUnixSeconds(kT0));
    ASSERT_OK_AND_ASSIGN(auto key, store::MasterKey::Generate());
    ASSERT_OK_AND_ASSIGN(store_, store::SqliteStore::Open(":memory:", key));
    backend_ = std::make_unique<DaemonBackend>(*store_, clock_);
    TokenService tokens(*store_, clock_);
    consumer_ = tokens.Create("puller", web::Role::kConsumer, std::chrono::hours(1))->secret;
  }
  void Start(web::MetricsAccess access) {
    web::AdminServerOptions options;
    options.port = 0;
    options.metrics_access = access;
    server_ = std::make_unique<web::AdminServer>(options, *backend_);
    ASSERT_OK_AND_ASSIGN(uint16_t port, server_->Start());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port);
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }

  FakeClock clock_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<DaemonBackend> backend_;
  std::unique_ptr<web::AdminServer> server_;
  std::unique_ptr<httplib::Client> client_;
  std::string consumer_;
};

TEST_F(MetricsEndpointTest, TokenModeRefusesAnonymousScrapesEvenFromLoopback) {
  Start(web::MetricsAccess::kToken);
  auto res = client_->Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401) << res->body;
  EXPECT_EQ(res->get_header_value("WWW-Authenticate"), "Bearer realm=\"certkeeper\"");
  EXPECT_EQ(res->body.find("certkeeper_"), std::string::npos);

  res = client_->Get("/metrics", {{"Authorization", "Bearer ckt_" + std::string(43, 'A')}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
}

TEST_F(MetricsEndpointTest, TokenModeServesAnyAuthenticatedIdentity) {
  Start(web::MetricsAccess::kToken);
  auto res = client_->Get("/metrics", {{"Authorization", "Bearer " + consumer_}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(res->body.find("certkeeper_build_info{version=\"" CK_VERSION "\"} 1\n"),
            std::string::npos)
      << res->body;
}

TEST_F(MetricsEndpointTest, LoopbackModeNeedsNoCredentialsFromLoopback) {
  Start(web::MetricsAccess::kLoopback);
  auto res = client_->Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_NE(res->body.find("# TYPE certkeeper_build_info gauge"), std::string::npos);
}

TEST_F(MetricsEndpointTest, LoopbackModeStillNeedsCredentialsFromElsewhere) {
  web::HttpRequest request;
  request.method = "GET";
  request.path = "/metrics";
  request.remote_addr = "192.0.2.7";
  EXPECT_EQ(web::HandleMetrics(request, *backend_, web::MetricsAccess::kLoopback).status, 401);
  request.headers["authorization"] = "Bearer " + consumer_;
  EXPECT_EQ(web::HandleMetrics(request, *backend_, web::MetricsAccess::kLoopback).status, 200);
  request.headers.clear();
  request.remote_addr = "::ffff:127.0.0.1";
  EXPECT_EQ(web::HandleMetrics(request, *backend_, web::MetricsAccess::kLoopback).status, 200);
  EXPECT_EQ(web::HandleMetrics(request, *backend_, web::MetricsAccess::kToken).status, 401);
}

TEST(MetricsLoopbackTest, WhichAddressesAreLoopback) {
  EXPECT_TRUE(web::IsLoopbackAddress("127.0.0.1"));
  EXPECT_TRUE(web::IsLoopbackAddress("127.8.9.10"));
  EXPECT_TRUE(web::IsLoopbackAddress("::1"));
  EXPECT_TRUE(web::IsLoopbackAddress("::ffff:127.0.0.1"));
  EXPECT_FALSE(web::IsLoopbackAddress("10.0.0.1"));
  EXPECT_FALSE(web::IsLoopbackAddress("::ffff:10.0.0.1"));
  EXPECT_FALSE(web::IsLoopbackAddress("1270.0.0.1"));
  EXPECT_FALSE(web::IsLoopbackAddress("::2"));
  EXPECT_FALSE(web::IsLoopbackAddress(""));
}

TEST_F(MetricsEndpointTest, ExternalAndFileCertificatesFromTheStore) {
  const int64_t later = kT0 + 60 * 86400;
  ASSERT_OK(
      store_->PutCertificate(Observed("mail.example.com:465", "external", later, "aa11")).status());
  // An older certificate of the same endpoint still active: the newer one is shown.
  ASSERT_OK(
      store_->PutCertificate(Observed("mail.example.com:465", "external", later - 86400, "aa10"))
          .status());
  ASSERT_OK(store_->PutCertificate(Observed("/etc/ssl/old.pem", "file", kT0 - 1, "bb22")).status());
  auto superseded = Observed("gone.example.com:443", "external", later, "cc33");
  superseded.status = store::kCertSuperseded;
  ASSERT_OK(store_->PutCertificate(superseded).status());
  ASSERT_OK(store_->PutCertificate(Observed("svc", "ca", later, "dd44")).status());

  ASSERT_OK_AND_ASSIGN(std::string text, backend_->RenderMetrics());
  const std::string ext = "name=\"mail.example.com:465\",issuer=\"R11\",source=\"external\"";
  EXPECT_NE(text.find("certkeeper_certificate_expiration_timestamp_seconds{" + ext + "} " +
                      std::to_string(later) + "\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("certkeeper_certificate_not_before_timestamp_seconds{" + ext + "} " +
                      std::to_string(later - 90 * 86400) + "\n"),
            std::string::npos);
  EXPECT_NE(text.find("certkeeper_certificate_ready_status{" + ext + ",condition=\"True\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("certkeeper_certificate_ready_status{" + ext + ",condition=\"False\"} 0\n"),
            std::string::npos);
  const std::string file = "name=\"/etc/ssl/old.pem\",issuer=\"R11\",source=\"file\"";
  EXPECT_NE(text.find("certkeeper_certificate_ready_status{" + file + ",condition=\"False\"} 1\n"),
            std::string::npos)
      << "an expired file certificate is not ready";
  EXPECT_EQ(text.find(std::to_string(later - 86400)), std::string::npos) << "older row shown";
  EXPECT_EQ(text.find("gone.example.com"), std::string::npos) << "superseded row shown";
  EXPECT_EQ(text.find("name=\"svc\""), std::string::npos) << "CA-issued rows are not per-cert";
  // No renewal is planned for certificates certkeeper does not manage.
  EXPECT_EQ(text.find("certkeeper_certificate_renewal_timestamp_seconds{"), std::string::npos);
}

TEST_F(MetricsEndpointTest, WatchChecksAndOpenAlertsFromTheStore) {
  ASSERT_OK_AND_ASSIGN(int64_t id, store_->PutCertificate(Observed("db.internal:5432", "external",
                                                                   kT0 + 86400 * 30, "ee55")));
  store::WatchResultRecord bad;
  bad.target = "db.internal:5432";
  bad.kind = "endpoint";
  bad.checked_at = FromUnixSeconds(kT0 - 120);
  bad.outcome = "problems";
  bad.problems_json = R"([{"code":"hostname_mismatch","severity":"critical","message":"x"}])";
  bad.certificate_id = id;
  ASSERT_OK(store_->PutWatchResult(bad).status());
  store::WatchResultRecord down;
  down.target = "gone.internal:443";
  down.kind = "endpoint";
  down.checked_at = FromUnixSeconds(kT0 - 60);
  down.outcome = "error";
  down.error = "connection refused";
  ASSERT_OK(store_->PutWatchResult(down).status());
  store::AlertRecord open;
  open.key = "endpoint:db.internal:5432";
  open.kind = "endpoint";
  open.subject = "db.internal:5432";
  open.severity = "critical";
  open.message = "hostname mismatch";
  open.opened_at = FromUnixSeconds(kT0 - 100);
  ASSERT_OK(store_->PutAlert(open).status());
  store::AlertRecord resolved = open;
  resolved.key = "expiry:web:1:7d";
  resolved.resolved_at = FromUnixSeconds(kT0 - 10);
  ASSERT_OK(store_->PutAlert(resolved).status());

  ASSERT_OK_AND_ASSIGN(std::string text, backend_->RenderMetrics());
  for (const std::string& line : {
           std::string("certkeeper_endpoint_check_success{target=\"db.internal:5432\"} 0\n"),
           std::string("certkeeper_endpoint_check_success{target=\"gone.internal:443\"} 0\n"),
           "certkeeper_endpoint_check_timestamp_seconds{target=\"gone.internal:443\"} " +
               std::to_string(kT0 - 60) + "\n",
           std::string("certkeeper_certificate_ready_status{name=\"db.internal:5432\",issuer="
                       "\"R11\",source=\"external\",condition=\"False\"} 1\n"),
           std::string("certkeeper_alerts_open 1\n"),
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line << text;
  }
}

TEST_F(MetricsEndpointTest, CountersFromTheProcessRegistryAreIncluded) {
  metrics::CountRenewalAttempt("web", "ca:server");
  metrics::CountRenewalFailure("web", "ca:server");
  ASSERT_OK_AND_ASSIGN(std::string text, backend_->RenderMetrics());
  EXPECT_NE(text.find("certkeeper_renewal_attempts_total{name=\"web\",issuer=\"ca:server\"} "),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("certkeeper_renewal_failures_total{name=\"web\",issuer=\"ca:server\"} "),
            std::string::npos);
}

web::ManagedCertificateView Managed(const std::string& name, const std::string& status,
                                    bool issued) {
  web::ManagedCertificateView v;
  v.name = name;
  v.issuer = "ca:server";
  v.status = status;
  if (issued) {
    v.not_before = FromUnixSeconds(kT0 - 86400);
    v.not_after = FromUnixSeconds(kT0 + 89 * 86400);
    v.next_renewal_at = FromUnixSeconds(kT0 + 59 * 86400);
  }
  return v;
}

TEST(ScrapeMetricsTest, ManagedReadyConditionFollowsTheLifecycleStatus) {
  EXPECT_EQ(metrics::ManagedReadyCondition(Managed("a", "valid", true)), "True");
  EXPECT_EQ(metrics::ManagedReadyCondition(Managed("a", "renewal_due", true)), "True");
  EXPECT_EQ(metrics::ManagedReadyCondition(Managed("a", "renewing", true)), "True");
  EXPECT_EQ(metrics::ManagedReadyCondition(Managed("a", "failing", true)), "False");
  EXPECT_EQ(metrics::ManagedReadyCondition(Managed("a", "expired", true)), "False");
  EXPECT_EQ(metrics::ManagedReadyCondition(Managed("a", "renewing", false)), "False");
  EXPECT_EQ(metrics::ManagedReadyCondition(Managed("a", "missing", false)), "False");
}

TEST(ScrapeMetricsTest, ObservedReadyConditionUsesTheLastCheck) {
  auto c = Observed("h:443", "external", kT0 + 86400, "ff");
  const TimePoint now = FromUnixSeconds(kT0);
  EXPECT_EQ(metrics::ObservedReadyCondition(c, now, nullptr), "True");
  metrics::WatchCheckSample check;
  check.outcome = "error";
  EXPECT_EQ(metrics::ObservedReadyCondition(c, now, &check), "Unknown");
  check.outcome = "problems";
  check.critical_problem = true;
  EXPECT_EQ(metrics::ObservedReadyCondition(c, now, &check), "False");
  check.critical_problem = false;  // e.g. only "expiring in 20 days"
  EXPECT_EQ(metrics::ObservedReadyCondition(c, now, &check), "True");
  EXPECT_EQ(metrics::ObservedReadyCondition(c, FromUnixSeconds(kT0 + 86400), nullptr), "False");
}

TEST(ScrapeMetricsTest, ManagedSeriesChecksAndAlerts) {
  metrics::ScrapeInputs in;
  in.now = FromUnixSeconds(kT0);
  in.version = "9.9.9";
  in.managed = {Managed("web", "valid", true), Managed("new", "missing", false)};
  metrics::WatchCheckSample ok{"mail.example.com:465", FromUnixSeconds(kT0 - 60), "ok", false, {}};
  metrics::WatchCheckSample bad{"/etc/x.pem", FromUnixSeconds(kT0 - 30), "problems", true, {}};
  in.checks = {ok, bad};
  in.open_alerts = 3;
  ck::metrics::Registry r;
  metrics::FillScrapeMetrics(in, r);
  const std::string text = r.Render();
  const std::string web = "name=\"web\",issuer=\"ca:server\",source=\"managed\"";
  for (const std::string& line : {
           "certkeeper_certificate_expiration_timestamp_seconds{" + web + "} " +
               std::to_string(kT0 + 89 * 86400),
           "certkeeper_certificate_renewal_timestamp_seconds{" + web + "} " +
               std::to_string(kT0 + 59 * 86400),
           "certkeeper_certificate_ready_status{" + web + ",condition=\"True\"} 1",
           "certkeeper_certificate_ready_status{" + web + ",condition=\"Unknown\"} 0",
           std::string("certkeeper_certificate_ready_status{name=\"new\",issuer=\"ca:server\","
                       "source=\"managed\",condition=\"False\"} 1"),
           std::string("certkeeper_endpoint_check_success{target=\"mail.example.com:465\"} 1"),
           std::string("certkeeper_endpoint_check_success{target=\"/etc/x.pem\"} 0"),
           "certkeeper_endpoint_check_timestamp_seconds{target=\"/etc/x.pem\"} " +
               std::to_string(kT0 - 30),
           std::string("certkeeper_alerts_open 3"),
           std::string("certkeeper_build_info{version=\"9.9.9\"} 1"),
       }) {
    EXPECT_NE(text.find(line + "\n"), std::string::npos) << line << "\n" << text;
  }
  // A certificate not issued yet has no expiration series (not a bogus 0).
  EXPECT_EQ(text.find("certkeeper_certificate_expiration_timestamp_seconds{name=\"new\""),
            std::string::npos);
}

TEST(MetricsConfigTest, AccessDefaultsToTokenAndAcceptsLoopback) {
  ASSERT_OK_AND_ASSIGN(auto none, config::ParseConfig("", "t.toml"));
  EXPECT_FALSE(none.metrics.open_on_loopback);
  ASSERT_OK_AND_ASSIGN(auto token,
                       config::ParseConfig("[metrics]\naccess = \"token\"\n", "t.toml"));
  EXPECT_FALSE(token.metrics.open_on_loopback);
  ASSERT_OK_AND_ASSIGN(auto loop,
                       config::ParseConfig("[metrics]\naccess = \"loopback\"\n", "t.toml"));
  EXPECT_TRUE(loop.metrics.open_on_loopback);
}

TEST(MetricsConfigTest, MistakesNameTheKeyAndLine) {
  auto bad = config::ParseConfig("\n[metrics]\naccess = \"open\"\n", "t.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("t.toml:3: metrics.access"), std::string::npos)
      << bad.status().message();
  auto unknown = config::ParseConfig("[metrics]\nacess = \"token\"\n", "t.toml");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("access"), std::string::npos);
  auto not_table = config::ParseConfig("metrics = 1\n", "t.toml");
  EXPECT_FALSE(not_table.ok());
}

TEST(AcmeRequestMetricsTest, EndpointsAreNormalised) {
  acme::Directory dir;
  dir.new_nonce = "https://acme.test/acme/new-nonce";
  dir.new_account = "https://acme.test/acme/new-acct";
  dir.new_order = "https://acme.test/acme/new-order";
  dir.revoke_cert = "https://acme.test/acme/revoke-cert";
  dir.key_change = "https://acme.test/acme/key-change";
  dir.renewal_info = "https://acme.test/acme/renewal-info";
  const std::string d = "https://acme.test/directory";
  auto of = [&](std::string_view url) { return acme::AcmeEndpointOf(url, &dir, d); };
  EXPECT_EQ(of(d), "directory");
  EXPECT_EQ(of(dir.new_nonce), "new-nonce");
  EXPECT_EQ(of(dir.new_account), "new-account");
  EXPECT_EQ(of(dir.new_order), "new-order");
  EXPECT_EQ(of(dir.revoke_cert), "revoke");
  EXPECT_EQ(of(dir.renewal_info + "/aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE"), "renewal-info");
  // Boulder (Let's Encrypt) resource URLs.
  EXPECT_EQ(of("https://acme.test/acme/authz-v3/12345"), "authz");
  EXPECT_EQ(of("https://acme.test/acme/chall-v3/12345/abc"), "challenge");
  EXPECT_EQ(of("https://acme.test/acme/finalize/1/2"), "finalize");
  EXPECT_EQ(of("https://acme.test/acme/order/1/2"), "order");
  EXPECT_EQ(of("https://acme.test/acme/cert/fa1afe1"), "cert");
  EXPECT_EQ(of("https://acme.test/acme/acct/77"), "account");
  // Pebble.
  EXPECT_EQ(of("https://localhost:14000/authZ/x"), "authz");
  EXPECT_EQ(of("https://localhost:14000/chalZ/x"), "challenge");
  EXPECT_EQ(of("https://localhost:14000/finalize-order/x"), "finalize");
  EXPECT_EQ(of("https://localhost:14000/my-order/x"), "order");
  EXPECT_EQ(of("https://localhost:14000/certZ/x"), "cert");
  EXPECT_EQ(of("https://localhost:14000/whatever"), "other");
  // Before the directory is known only the directory itself is recognised by URL.
  EXPECT_EQ(acme::AcmeEndpointOf(dir.new_nonce, nullptr, d), "other");
  EXPECT_EQ(acme::UrlHost("https://localhost:14000/dir"), "localhost:14000");
  EXPECT_EQ(acme::UrlHost("https://user@acme.test?x"), "acme.test");
  EXPECT_EQ(acme::UrlHost("not a url"), "");
}

TEST(AcmeRequestMetricsTest, RequestsAreCountedAndTimed) {
  acme::RecordAcmeRequest("https://acme.test/acme/new-order", "new-order", "POST", 201, 0.02);
  acme::RecordAcmeRequest("https://acme.test/acme/new-order", "new-order", "POST", 0, 1.5);
  const std::string text = ck::metrics::Default().Render();
  EXPECT_NE(text.find("certkeeper_acme_client_requests_total{host=\"acme.test\",path=\"new-order\","
                      "method=\"POST\",status=\"201\"} "),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("status=\"error\"} "), std::string::npos);
  EXPECT_NE(text.find("certkeeper_acme_client_request_duration_seconds_bucket{host=\"acme.test\","
                      "path=\"new-order\",method=\"POST\",le=\"0.025\"} "),
            std::string::npos);
}

}  // namespace
}  // namespace ck::daemon
