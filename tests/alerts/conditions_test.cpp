// Alert conditions as a pure function: each condition fires and clears as time (FakeClock)
// and the snapshot move; one alert key per threshold crossing.
#include "daemon/alerts/conditions.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace ck::alerts {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

constexpr auto kDay = hours(24);

std::vector<std::string> Keys(const std::vector<Condition>& cs) {
  std::vector<std::string> out;
  for (const auto& c : cs) out.push_back(c.key);
  std::sort(out.begin(), out.end());
  return out;
}

const Condition* Find(const std::vector<Condition>& cs, std::string_view key) {
  for (const auto& c : cs) {
    if (c.key == key) return &c;
  }
  return nullptr;
}

web::ManagedCertificateView Managed(std::string name, std::string serial, TimePoint not_after) {
  web::ManagedCertificateView m;
  m.name = std::move(name);
  m.serial_hex = std::move(serial);
  m.not_after = not_after;
  m.status = "valid";
  return m;
}

class ConditionsTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  config::AlertsConfig config_;
};

TEST_F(ConditionsTest, NothingFiresForAHealthyCertificate) {
  AlertSnapshot s;
  s.managed.push_back(Managed("web", "0A", clock_.Now() + 60 * kDay));
  EXPECT_TRUE(EvaluateConditions(s, clock_.Now(), config_).empty());
}

TEST_F(ConditionsTest, ExpiryThresholdsGiveOneKeyPerCrossing) {
  const TimePoint not_after = clock_.Now() + 40 * kDay;
  AlertSnapshot s;
  s.managed.push_back(Managed("web", "0A", not_after));
  std::vector<std::string> seen;  // distinct keys over the certificate's last 40 days
  for (int hour = 0; hour <= 41 * 24; ++hour) {
    auto cs = EvaluateConditions(s, clock_.Now(), config_);
    ASSERT_LE(cs.size(), 1u) << "only the tightest threshold fires";
    if (!cs.empty() && (seen.empty() || seen.back() != cs[0].key)) seen.push_back(cs[0].key);
    clock_.Advance(hours(1));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"expiry:web:0A:30d", "expiry:web:0A:14d",
                                            "expiry:web:0A:7d", "expiry:web:0A:3d",
                                            "expiry:web:0A:1d", "expiry:web:0A:expired"}));
}

TEST_F(ConditionsTest, TighterThresholdSupersedesLooserOnes) {
  AlertSnapshot s;
  s.managed.push_back(Managed("web", "0A", clock_.Now() + 6 * kDay));
  auto cs = EvaluateConditions(s, clock_.Now(), config_);
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].key, "expiry:web:0A:7d");
  EXPECT_EQ(cs[0].kind, "expiry");
  EXPECT_EQ(cs[0].subject, "web");
  EXPECT_EQ(cs[0].severity, AlertSeverity::kCritical);
  EXPECT_EQ(cs[0].supersedes, (std::vector<std::string>{"expiry:web:0A:30d", "expiry:web:0A:14d"}));
  EXPECT_NE(cs[0].message.find("expires in 6 days"), std::string::npos) << cs[0].message;

  // 20 days out: the 30d threshold, a warning.
  s.managed[0].not_after = clock_.Now() + 20 * kDay;
  cs = EvaluateConditions(s, clock_.Now(), config_);
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].key, "expiry:web:0A:30d");
  EXPECT_EQ(cs[0].severity, AlertSeverity::kWarning);
  EXPECT_TRUE(cs[0].supersedes.empty());
}

TEST_F(ConditionsTest, RenewalClearsExpiryAndOverdue) {
  AlertSnapshot s;
  auto m = Managed("web", "0A", clock_.Now() + 5 * kDay);
  m.next_renewal_at = clock_.Now() - hours(2);
  s.managed.push_back(m);
  EXPECT_EQ(Keys(EvaluateConditions(s, clock_.Now(), config_)),
            (std::vector<std::string>{"expiry:web:0A:7d", "renewal_overdue:web:0A"}));
  // Renewed: a new serial 90 days out, the next renewal planned in the future.
  s.managed[0] = Managed("web", "0B", clock_.Now() + 90 * kDay);
  s.managed[0].next_renewal_at = clock_.Now() + 60 * kDay;
  EXPECT_TRUE(EvaluateConditions(s, clock_.Now(), config_).empty());
}

TEST_F(ConditionsTest, OverdueOnlyAfterTheGrace) {
  AlertSnapshot s;
  auto m = Managed("web", "0A", clock_.Now() + 40 * kDay);
  m.next_renewal_at = clock_.Now() - minutes(59);
  s.managed.push_back(m);
  EXPECT_TRUE(EvaluateConditions(s, clock_.Now(), config_).empty()) << "within the 1h grace";
  clock_.Advance(minutes(2));
  auto cs = EvaluateConditions(s, clock_.Now(), config_);
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].key, "renewal_overdue:web:0A");
  EXPECT_EQ(cs[0].kind, "renewal_overdue");
}

TEST_F(ConditionsTest, FailureStreakFiresAtTheConfiguredCountAndClears) {
  AlertSnapshot s;
  auto m = Managed("web", "0A", clock_.Now() + 40 * kDay);
  m.consecutive_failures = 2;
  m.last_error = "urn:ietf:params:acme:error:rateLimited";
  s.managed.push_back(m);
  EXPECT_TRUE(EvaluateConditions(s, clock_.Now(), config_).empty());
  s.managed[0].consecutive_failures = 3;
  auto cs = EvaluateConditions(s, clock_.Now(), config_);
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].key, "renewal_failing:web");
  EXPECT_EQ(cs[0].severity, AlertSeverity::kCritical);
  EXPECT_NE(cs[0].message.find("3 times"), std::string::npos);
  EXPECT_NE(cs[0].message.find("rateLimited"), std::string::npos);
  s.managed[0].consecutive_failures = 0;
  EXPECT_TRUE(EvaluateConditions(s, clock_.Now(), config_).empty());
}

TEST_F(ConditionsTest, DeployVerificationFailurePerTarget) {
  AlertSnapshot s;
  auto m = Managed("web", "0A", clock_.Now() + 40 * kDay);
  m.deploy.push_back({"nginx", "nginx /etc/nginx/certs", "0A", std::nullopt, "ok"});
  m.deploy.push_back({"haproxy", "haproxy /run/haproxy.sock", "09", std::nullopt,
                      "served serial 09, expected 0A"});
  m.deploy.push_back({"files", "files /srv", "", std::nullopt, ""});  // never deployed yet
  s.managed.push_back(m);
  auto cs = EvaluateConditions(s, clock_.Now(), config_);
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].key, "deploy_verify:web:haproxy /run/haproxy.sock");
  EXPECT_NE(cs[0].message.find("served serial 09"), std::string::npos);
  s.managed[0].deploy[1].last_result = "ok";
  EXPECT_TRUE(EvaluateConditions(s, clock_.Now(), config_).empty());
}

TEST_F(ConditionsTest, WatchedCertificatesAndEndpointProblems) {
  AlertSnapshot s;
  s.watched.push_back({"mail.example.com:465", "external", "C0FFEE", clock_.Now() + 2 * kDay});
  s.watched.push_back({"/etc/ssl/legacy.pem", "file", "BEEF", clock_.Now() - kDay});
  s.endpoints.push_back({"mail.example.com:465",
                         "problems",
                         "",
                         {{"hostname_mismatch", "critical", "certificate is for other.test"},
                          {"tls_version", "warning", "offers TLS 1.0"}}});
  s.endpoints.push_back({"down.example.com:443", "error", "connection refused", {}});
  s.endpoints.push_back({"ok.example.com:443", "ok", "", {}});
  auto cs = EvaluateConditions(s, clock_.Now(), config_);
  EXPECT_EQ(Keys(cs), (std::vector<std::string>{
                          "endpoint:down.example.com:443:error",
                          "endpoint:mail.example.com:465:hostname_mismatch",
                          "endpoint:mail.example.com:465:tls_version",
                          "expiry:/etc/ssl/legacy.pem:BEEF:expired",
                          "expiry:mail.example.com:465:C0FFEE:3d",
                      }));
  EXPECT_EQ(Find(cs, "endpoint:mail.example.com:465:hostname_mismatch")->severity,
            AlertSeverity::kCritical);
  EXPECT_EQ(Find(cs, "endpoint:mail.example.com:465:tls_version")->severity,
            AlertSeverity::kWarning);
  EXPECT_NE(Find(cs, "endpoint:down.example.com:443:error")->message.find("connection refused"),
            std::string::npos);
  // Fixed: the problems go away with the next check.
  s.endpoints[0].outcome = "ok";
  s.endpoints[0].problems.clear();
  s.endpoints[1].outcome = "ok";
  s.watched.clear();
  EXPECT_TRUE(EvaluateConditions(s, clock_.Now(), config_).empty());
}

// A watched leaf inside a threshold has its expiry alert; the watch's own "expiring" problem
// for that target would say it twice. An expiring intermediate behind a leaf that is not near
// its end still alerts through the endpoint problem.
TEST_F(ConditionsTest, WatchedExpiryIsNotAlertedTwice) {
  AlertSnapshot s;
  s.watched.push_back({"a.example.com:443", "external", "AA", clock_.Now() + 5 * kDay});
  s.watched.push_back({"b.example.com:443", "external", "BB", clock_.Now() + 300 * kDay});
  s.endpoints.push_back({"a.example.com:443",
                         "problems",
                         "",
                         {{"expiring", "warning", "certificate 1 expires in 5 days"}}});
  s.endpoints.push_back({"b.example.com:443",
                         "problems",
                         "",
                         {{"expiring", "warning", "certificate 2 (intermediate) expires soon"}}});
  auto cs = EvaluateConditions(s, clock_.Now(), config_);
  EXPECT_EQ(Keys(cs), (std::vector<std::string>{
                          "endpoint:b.example.com:443:expiring",
                          "expiry:a.example.com:443:AA:7d",
                      }));
}

TEST_F(ConditionsTest, CaIntermediateNearingExpiry) {
  AlertSnapshot s;
  s.cas.push_back({"root-2026", "root", "active", clock_.Now() + 10 * kDay});  // roots: not here
  s.cas.push_back({"int-old", "intermediate", "retired", clock_.Now() + 10 * kDay});
  s.cas.push_back({"int-2026", "intermediate", "active", clock_.Now() + 61 * kDay});
  EXPECT_TRUE(EvaluateConditions(s, clock_.Now(), config_).empty());
  clock_.Advance(2 * kDay);
  auto cs = EvaluateConditions(s, clock_.Now(), config_);
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].key, "ca_expiry:int-2026");
  EXPECT_EQ(cs[0].kind, "ca_expiry");
  EXPECT_EQ(cs[0].severity, AlertSeverity::kWarning);
  // Rotated: the old one retired, a fresh one active.
  s.cas[2].status = "retired";
  s.cas.push_back({"int-2027", "intermediate", "active", clock_.Now() + 365 * kDay});
  EXPECT_TRUE(EvaluateConditions(s, clock_.Now(), config_).empty());
}

TEST_F(ConditionsTest, CustomThresholds) {
  config_.thresholds = {hours(36), hours(6)};
  AlertSnapshot s;
  s.managed.push_back(Managed("short", "01", clock_.Now() + hours(30)));
  auto cs = EvaluateConditions(s, clock_.Now(), config_);
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].key, "expiry:short:01:1d12h");
}

}  // namespace
}  // namespace ck::alerts
