// The alert engine on a real SqliteStore in a temp dir with fake channels: one notice per
// crossing, silent supersession, resolved notices, deduplication across a restart, retries of
// failed notices (only to the channels that missed them) and severity filters.
#include "daemon/alerts/engine.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "common/log.hpp"
#include "daemon/alerts/conditions.hpp"
#include "daemon/alerts/notice_text.hpp"
#include "store/master_key.hpp"
#include "store/sqlite_store.hpp"
#include "tests/testing/status_matchers.hpp"
#include "tests/testing/temp_dir.hpp"

namespace ck::alerts {
namespace {

using std::chrono::hours;
constexpr auto kDay = hours(24);

// Records what it is asked to send; fails while `fail` is set.
class FakeChannel final : public AlertChannel {
 public:
  explicit FakeChannel(std::string name, AlertSeverity min = AlertSeverity::kInfo)
      : name_(std::move(name)), min_(min) {}
  const std::string& name() const override { return name_; }
  std::string_view type() const override { return "fake"; }
  AlertSeverity min_severity() const override { return min_; }
  Status Send(const AlertNotice& n) override {
    ++attempts;
    if (fail) return UnavailableError("smtp.example.com: connection refused");
    sent.push_back(n);
    return OkStatus();
  }
  std::vector<std::string> Sent() const {  // "firing expiry:web:0A:30d", ...
    std::vector<std::string> out;
    for (const auto& n : sent) out.push_back(std::string(NoticeStateName(n.state)) + " " + n.key);
    return out;
  }

  std::vector<AlertNotice> sent;
  int attempts = 0;
  bool fail = false;

 private:
  std::string name_;
  AlertSeverity min_;
};

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto key = store::MasterKey::Generate();
    ASSERT_OK(key);
    key_.emplace(*key);
    OpenStore();
  }
  void OpenStore() {
    engine_.reset();
    store_.reset();
    auto s = store::SqliteStore::Open(tmp_.Path("ck.db"), *key_);
    ASSERT_OK(s);
    store_ = std::move(*s);
  }
  // A new engine (as after a restart) with these channels; returns raw pointers to them.
  std::vector<FakeChannel*> NewEngine(std::vector<std::unique_ptr<FakeChannel>> channels) {
    std::vector<FakeChannel*> raw;
    std::vector<std::unique_ptr<AlertChannel>> owned;
    for (auto& c : channels) {
      raw.push_back(c.get());
      owned.push_back(std::move(c));
    }
    engine_ = std::make_unique<AlertEngine>(*store_, clock_, config_, std::move(owned));
    return raw;
  }
  FakeChannel* OneChannelEngine() {
    std::vector<std::unique_ptr<FakeChannel>> v;
    v.push_back(std::make_unique<FakeChannel>("ops"));
    return NewEngine(std::move(v))[0];
  }
  EvaluationSummary Evaluate() {
    auto r = engine_->Evaluate(snapshot_);
    EXPECT_OK(r);
    return r.ok() ? *r : EvaluationSummary{};
  }
  void SetCertificate(std::string serial, TimePoint not_after) {
    snapshot_.managed.resize(1);
    snapshot_.managed[0].name = "web";
    snapshot_.managed[0].serial_hex = std::move(serial);
    snapshot_.managed[0].not_after = not_after;
  }
  std::vector<store::AlertRecord> All() {
    store::AlertQuery q;
    q.limit = 0;
    auto r = store_->ListAlerts(q);
    EXPECT_OK(r);
    return r.ok() ? *r : std::vector<store::AlertRecord>{};
  }

  testing::TempDir tmp_;
  FakeClock clock_;
  config::AlertsConfig config_;
  std::optional<store::MasterKey> key_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<AlertEngine> engine_;
  AlertSnapshot snapshot_;
};

TEST_F(EngineTest, OneNoticePerCrossingAndResolvedAfterRenewal) {
  FakeChannel* ch = OneChannelEngine();
  SetCertificate("0A", clock_.Now() + 20 * kDay);
  auto s = Evaluate();
  EXPECT_EQ(s.opened, 1);
  EXPECT_EQ(ch->Sent(), (std::vector<std::string>{"firing expiry:web:0A:30d"}));
  EXPECT_EQ(ch->sent[0].subject, "web");
  EXPECT_GT(ch->sent[0].id, 0);

  // Still firing: nothing new, however often we look.
  for (int i = 0; i < 5; ++i) {
    clock_.Advance(hours(1));
    EXPECT_EQ(Evaluate().opened, 0);
  }
  EXPECT_EQ(ch->sent.size(), 1u);

  // 13 days left: the 14d alert opens; the 30d one closes without a notice of its own.
  clock_.Advance(7 * kDay);
  s = Evaluate();
  EXPECT_EQ(s.opened, 1);
  EXPECT_EQ(s.resolved, 1);
  EXPECT_EQ(ch->Sent(),
            (std::vector<std::string>{"firing expiry:web:0A:30d", "firing expiry:web:0A:14d"}));
  // 6 days left: 7d.
  clock_.Advance(7 * kDay);
  Evaluate();
  EXPECT_EQ(ch->sent.size(), 3u);
  EXPECT_EQ(ch->sent.back().key, "expiry:web:0A:7d");
  EXPECT_EQ(ch->sent.back().severity, AlertSeverity::kCritical);

  // Renewed: a new serial far out. The open 7d alert resolves with a notice.
  SetCertificate("0B", clock_.Now() + 90 * kDay);
  s = Evaluate();
  EXPECT_EQ(s.resolved, 1);
  EXPECT_EQ(ch->Sent().back(), "resolved expiry:web:0A:7d");
  EXPECT_TRUE(ch->sent.back().resolved_at.has_value());
  EXPECT_EQ(ch->sent.size(), 4u);

  auto all = All();
  ASSERT_EQ(all.size(), 3u);
  for (const auto& a : all) {
    EXPECT_TRUE(a.resolved_at.has_value()) << a.key;
    EXPECT_TRUE(a.notified_at.has_value()) << a.key;
    EXPECT_TRUE(a.resolved_notified_at.has_value()) << a.key;
  }
  Evaluate();
  EXPECT_EQ(ch->sent.size(), 4u) << "nothing more once everything is resolved";
}

TEST_F(EngineTest, NoRepeatAfterRestart) {
  FakeChannel* first = OneChannelEngine();
  SetCertificate("0A", clock_.Now() + 5 * kDay);
  snapshot_.managed[0].consecutive_failures = 4;
  Evaluate();
  EXPECT_EQ(first->sent.size(), 2u);  // 7d expiry + renewal failing

  OpenStore();  // the daemon restarts: new store handle, new engine, same database file
  FakeChannel* second = OneChannelEngine();
  clock_.Advance(hours(1));
  auto s = Evaluate();
  EXPECT_EQ(s.firing, 2);
  EXPECT_EQ(s.opened, 0);
  EXPECT_TRUE(second->sent.empty()) << "the store remembers what was notified";

  // The failure streak ends after the restart: its resolved notice still goes out.
  snapshot_.managed[0].consecutive_failures = 0;
  Evaluate();
  EXPECT_EQ(second->Sent(), (std::vector<std::string>{"resolved renewal_failing:web"}));
}

TEST_F(EngineTest, FailedNoticeIsLoggedAndRetried) {
  std::vector<std::string> lines;
  log::Default().SetSink([&](std::string_view l) { lines.emplace_back(l); });
  FakeChannel* ch = OneChannelEngine();
  ch->fail = true;
  SetCertificate("0A", clock_.Now() + 2 * kDay);
  auto s = Evaluate();
  log::Default().SetSink(
      [](std::string_view l) { std::fprintf(stderr, "%.*s\n", (int)l.size(), l.data()); });
  EXPECT_EQ(s.opened, 1);
  EXPECT_EQ(s.notices_failed, 1);
  auto all = All();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_FALSE(all[0].notified_at.has_value()) << "notified_at stays empty until it went out";
  bool logged = false;
  for (const auto& l : lines) {
    logged = logged || (l.find("web") != std::string::npos &&
                        l.find("connection refused") != std::string::npos &&
                        l.find("alert notice not sent") != std::string::npos);
  }
  EXPECT_TRUE(logged) << "the failure is logged with the certificate name and the reason";

  clock_.Advance(std::chrono::minutes(1));
  Evaluate();
  EXPECT_EQ(ch->attempts, 2) << "retried at the next evaluation";
  EXPECT_TRUE(ch->sent.empty());

  ch->fail = false;
  s = Evaluate();
  EXPECT_EQ(s.opened, 0);
  EXPECT_EQ(ch->Sent(), (std::vector<std::string>{"firing expiry:web:0A:3d"}));
  EXPECT_TRUE(All()[0].notified_at.has_value());
  Evaluate();
  EXPECT_EQ(ch->sent.size(), 1u);
}

TEST_F(EngineTest, RetryReachesOnlyTheChannelsThatMissedIt) {
  std::vector<std::unique_ptr<FakeChannel>> v;
  v.push_back(std::make_unique<FakeChannel>("mail"));
  v.push_back(std::make_unique<FakeChannel>("chat"));
  auto ch = NewEngine(std::move(v));
  ch[1]->fail = true;
  SetCertificate("0A", clock_.Now() + 2 * kDay);
  Evaluate();
  EXPECT_EQ(ch[0]->sent.size(), 1u);
  ch[1]->fail = false;
  Evaluate();
  EXPECT_EQ(ch[0]->sent.size(), 1u) << "mail already had it";
  EXPECT_EQ(ch[1]->sent.size(), 1u);

  // Resolved notice fails on chat, then goes out on the retry; mail gets it once.
  ch[1]->fail = true;
  SetCertificate("0B", clock_.Now() + 90 * kDay);
  Evaluate();
  EXPECT_EQ(ch[0]->Sent().back(), "resolved expiry:web:0A:3d");
  EXPECT_FALSE(All()[0].resolved_notified_at.has_value());
  ch[1]->fail = false;
  Evaluate();
  EXPECT_EQ(ch[1]->Sent().back(), "resolved expiry:web:0A:3d");
  EXPECT_EQ(ch[0]->sent.size(), 2u);
  EXPECT_TRUE(All()[0].resolved_notified_at.has_value());
  Evaluate();
  EXPECT_EQ(ch[0]->sent.size() + ch[1]->sent.size(), 4u);
}

TEST_F(EngineTest, NeverAnnouncedAlertClosesQuietly) {
  FakeChannel* ch = OneChannelEngine();
  ch->fail = true;
  SetCertificate("0A", clock_.Now() + 2 * kDay);
  Evaluate();
  SetCertificate("0B", clock_.Now() + 90 * kDay);
  ch->fail = false;
  Evaluate();
  EXPECT_TRUE(ch->sent.empty()) << "no 'resolved' for an alert nobody was told about";
  auto all = All();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_TRUE(all[0].resolved_at.has_value());
}

TEST_F(EngineTest, SeverityFilterPerChannel) {
  std::vector<std::unique_ptr<FakeChannel>> v;
  v.push_back(std::make_unique<FakeChannel>("pager", AlertSeverity::kCritical));
  v.push_back(std::make_unique<FakeChannel>("all"));
  auto ch = NewEngine(std::move(v));
  SetCertificate("0A", clock_.Now() + 20 * kDay);  // 30d: a warning
  Evaluate();
  EXPECT_TRUE(ch[0]->sent.empty());
  EXPECT_EQ(ch[1]->sent.size(), 1u);
  EXPECT_TRUE(All()[0].notified_at.has_value()) << "complete: the pager does not take warnings";
  clock_.Advance(14 * kDay);  // 6 days: critical
  Evaluate();
  EXPECT_EQ(ch[0]->Sent(), (std::vector<std::string>{"firing expiry:web:0A:7d"}));
}

TEST_F(EngineTest, AcknowledgementSurvivesEngineUpdates) {
  std::vector<std::unique_ptr<FakeChannel>> v;
  v.push_back(std::make_unique<FakeChannel>("mail"));
  auto ch = NewEngine(std::move(v));
  ch[0]->fail = true;
  SetCertificate("0A", clock_.Now() + 2 * kDay);
  Evaluate();
  auto a = All()[0];
  a.acknowledged_at = clock_.Now();
  a.acknowledged_by = "alice";
  ASSERT_OK(store_->PutAlert(a));
  ch[0]->fail = false;
  Evaluate();  // the engine writes notified_at
  auto after = All()[0];
  EXPECT_TRUE(after.notified_at.has_value());
  EXPECT_EQ(after.acknowledged_by, "alice");
  EXPECT_FALSE(after.resolved_at.has_value()) << "acknowledging does not resolve";
  SetCertificate("0B", clock_.Now() + 90 * kDay);  // renewed: the alert resolves
  Evaluate();
  auto resolved = All()[0];
  EXPECT_TRUE(resolved.resolved_at.has_value());
  EXPECT_EQ(resolved.acknowledged_by, "alice") << "resolving keeps the acknowledgement";
}

TEST_F(EngineTest, UnacknowledgedAlertIsRemindedEveryRepeatInterval) {
  config_.repeat_interval = hours(6);
  FakeChannel* ch = OneChannelEngine();
  SetCertificate("0A", clock_.Now() + 60 * kDay);  // no expiry alert: only the failures
  snapshot_.managed[0].consecutive_failures = 4;
  Evaluate();
  ASSERT_EQ(ch->Sent(), (std::vector<std::string>{"firing renewal_failing:web"}));
  EXPECT_EQ(ch->sent[0].reminder, 0);

  clock_.Advance(hours(5));
  EXPECT_EQ(Evaluate().reminders, 0);
  EXPECT_EQ(ch->sent.size(), 1u) << "not yet: the last notice is 5h old";
  clock_.Advance(hours(1));
  EXPECT_EQ(Evaluate().reminders, 1);
  ASSERT_EQ(ch->sent.size(), 2u);
  EXPECT_EQ(ch->sent[1].state, AlertNotice::State::kFiring);
  EXPECT_EQ(ch->sent[1].reminder, 1);
  EXPECT_EQ(ch->sent[1].id, ch->sent[0].id) << "the same alert, announced again";
  EXPECT_NE(NoticeSubject(ch->sent[1]).find("STILL FIRING"), std::string::npos);
  EXPECT_NE(NoticeText(ch->sent[1]).find("reminder 1"), std::string::npos);
  EXPECT_EQ(NoticeJson(ch->sent[1])["reminder"], 1);

  // A restart remembers when the last reminder went out.
  OpenStore();
  ch = OneChannelEngine();
  clock_.Advance(hours(1));
  Evaluate();
  EXPECT_TRUE(ch->sent.empty());
  clock_.Advance(hours(5));
  Evaluate();
  ASSERT_EQ(ch->sent.size(), 1u);
  EXPECT_EQ(ch->sent[0].reminder, 2);

  // Acknowledged: no more reminders; the resolved notice still goes out.
  auto a = All()[0];
  a.acknowledged_at = clock_.Now();
  a.acknowledged_by = "alice";
  ASSERT_OK(store_->PutAlert(a));
  clock_.Advance(hours(12));
  Evaluate();
  EXPECT_EQ(ch->sent.size(), 1u);
  snapshot_.managed[0].consecutive_failures = 0;
  Evaluate();
  EXPECT_EQ(ch->Sent().back(), "resolved renewal_failing:web");
  EXPECT_EQ(All()[0].acknowledged_by, "alice");
}

TEST_F(EngineTest, ReminderThatCannotBeSentIsRetriedAndZeroMeansOnce) {
  config_.repeat_interval = hours(6);
  FakeChannel* ch = OneChannelEngine();
  SetCertificate("0A", clock_.Now() + 60 * kDay);
  snapshot_.managed[0].consecutive_failures = 4;
  Evaluate();
  ch->fail = true;
  clock_.Advance(hours(6));
  auto s = Evaluate();
  EXPECT_EQ(s.reminders, 0);
  EXPECT_EQ(s.notices_failed, 1);
  ch->fail = false;
  clock_.Advance(std::chrono::minutes(1));
  EXPECT_EQ(Evaluate().reminders, 1) << "retried at the next evaluation";
  EXPECT_EQ(ch->sent.back().reminder, 1);

  config_.repeat_interval = hours(0);
  ch = OneChannelEngine();
  clock_.Advance(hours(48));
  Evaluate();
  EXPECT_TRUE(ch->sent.empty()) << "repeat_interval 0: announced once";
}

TEST_F(EngineTest, ChannelsThatAnnouncedAreRemindedWhileAnotherKeepsFailing) {
  config_.repeat_interval = hours(6);
  std::vector<std::unique_ptr<FakeChannel>> v;
  v.push_back(std::make_unique<FakeChannel>("mail"));
  v.push_back(std::make_unique<FakeChannel>("chat"));
  auto ch = NewEngine(std::move(v));
  ch[1]->fail = true;  // broken for good
  SetCertificate("0A", clock_.Now() + 60 * kDay);
  snapshot_.managed[0].consecutive_failures = 4;
  Evaluate();
  ASSERT_EQ(ch[0]->sent.size(), 1u);
  EXPECT_FALSE(All()[0].notified_at.has_value()) << "chat still owes its first notice";
  clock_.Advance(hours(6));
  Evaluate();
  ASSERT_EQ(ch[0]->sent.size(), 2u);
  EXPECT_EQ(ch[0]->sent[1].reminder, 1);
  EXPECT_TRUE(ch[1]->sent.empty());
}

TEST_F(EngineTest, UnknownCurrentCertificateDoesNotResolveItsAlerts) {
  FakeChannel* ch = OneChannelEngine();
  SetCertificate("0A", clock_.Now() + 2 * kDay);
  Evaluate();
  // After a restart the manager lists the certificate before it has loaded it: no serial.
  snapshot_.managed[0].serial_hex.clear();
  snapshot_.managed[0].not_after.reset();
  auto s = Evaluate();
  EXPECT_EQ(s.resolved, 0);
  EXPECT_EQ(ch->sent.size(), 1u);
  SetCertificate("0A", clock_.Now() + 2 * kDay);  // loaded: the same alert, still open
  s = Evaluate();
  EXPECT_EQ(s.opened, 0);
  EXPECT_EQ(All().size(), 1u);
}

TEST_F(EngineTest, NothingChangesWhileStopping) {
  bool stopping = false;
  std::vector<std::unique_ptr<AlertChannel>> owned;
  auto* ch = new FakeChannel("ops");
  owned.emplace_back(ch);
  engine_ = std::make_unique<AlertEngine>(*store_, clock_, config_, std::move(owned),
                                          [&] { return stopping; });
  SetCertificate("0A", clock_.Now() + 2 * kDay);
  Evaluate();
  ASSERT_EQ(ch->sent.size(), 1u);
  stopping = true;
  snapshot_.managed.clear();
  EXPECT_EQ(Evaluate().resolved, 0);
  EXPECT_FALSE(All()[0].resolved_at.has_value());
}

TEST_F(EngineTest, ReconfigureChangesThresholdsAndChannels) {
  FakeChannel* old_channel = OneChannelEngine();
  SetCertificate("0A", clock_.Now() + 20 * kDay);
  Evaluate();
  ASSERT_EQ(old_channel->sent.size(), 1u);  // 30d
  config::AlertsConfig tighter;
  tighter.thresholds = {10 * kDay};
  std::vector<std::unique_ptr<AlertChannel>> channels;
  auto* fresh = new FakeChannel("new");
  channels.emplace_back(fresh);
  engine_->Reconfigure(tighter, std::move(channels));
  EXPECT_EQ(engine_->interval(), tighter.interval);
  // 20 days left is no longer a crossing: the 30d alert resolves, told to nobody new (the
  // channel that announced it is gone); the 10d crossing later reaches the new channel.
  Evaluate();
  EXPECT_TRUE(fresh->sent.empty());
  clock_.Advance(11 * kDay);
  Evaluate();
  EXPECT_EQ(fresh->Sent(), (std::vector<std::string>{"firing expiry:web:0A:10d"}));
}

TEST_F(EngineTest, SnapshotFromTheStore) {
  auto cert = [&](std::string name, std::string source, std::string serial, TimePoint not_after,
                  std::string status) {
    store::CertificateRecord c;
    c.name = std::move(name);
    c.source = std::move(source);
    c.serial_hex = std::move(serial);
    c.not_before = clock_.Now() - 30 * kDay;
    c.not_after = not_after;
    c.cert_pem = "-----BEGIN CERTIFICATE-----\n" + c.serial_hex + "\n-----END CERTIFICATE-----\n";
    c.fingerprint_sha256 = "fp-" + c.serial_hex;
    c.status = std::move(status);
    c.created_at = clock_.Now();
    ASSERT_OK(store_->PutCertificate(c));
  };
  cert("mail.example.com:465", "external", "0C", clock_.Now() + 2 * kDay, "active");
  cert("mail.example.com:465", "external", "0B", clock_.Now() - kDay, "superseded");
  cert("/etc/ssl/legacy.pem", "file", "0F", clock_.Now() + 10 * kDay, "active");
  cert("issued-by-ca", "ca", "0D", clock_.Now() + kDay, "active");  // not watched: ignored

  store::WatchResultRecord w;
  w.target = "mail.example.com:465";
  w.kind = "endpoint";
  w.checked_at = clock_.Now();
  w.outcome = "problems";
  w.problems_json = R"([{"code":"tls_version","severity":"warning","message":"offers TLS 1.0"}])";
  ASSERT_OK(store_->PutWatchResult(w));
  w.target = "down.example.com:443";
  w.outcome = "error";
  w.error = "connection refused";
  w.problems_json = "[]";
  ASSERT_OK(store_->PutWatchResult(w));
  w.target = "odd.example.com:443";
  w.outcome = "problems";
  w.error = "";
  w.problems_json = "not json";
  ASSERT_OK(store_->PutWatchResult(w));

  store::CaRecord ca;
  ca.name = "intermediate-1";
  ca.role = "intermediate";
  ca.cert_pem = "-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n";
  ca.status = "active";
  ca.not_after = clock_.Now() + 20 * kDay;
  ca.created_at = clock_.Now();
  ASSERT_OK(store_->PutCa(ca));

  ASSERT_OK_AND_ASSIGN(AlertSnapshot snap, CollectSnapshot(*store_, {}));
  auto conditions = EvaluateConditions(snap, clock_.Now(), config_);
  std::vector<std::string> keys;
  for (const auto& c : conditions) keys.push_back(c.key);
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{
                      "ca_expiry:intermediate-1",
                      "endpoint:down.example.com:443:error",
                      "endpoint:mail.example.com:465:tls_version",
                      "endpoint:odd.example.com:443:unreadable",
                      "expiry:/etc/ssl/legacy.pem:0F:14d",
                      "expiry:mail.example.com:465:0C:3d",
                  }));

  FakeChannel* ch = OneChannelEngine();
  snapshot_ = snap;
  EXPECT_EQ(Evaluate().opened, 6);
  EXPECT_EQ(ch->sent.size(), 6u);
}

}  // namespace
}  // namespace ck::alerts
