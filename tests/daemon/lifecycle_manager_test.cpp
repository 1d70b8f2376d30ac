// The lifecycle manager on a FakeClock with the real internal CA (in-memory store) as issuer
// and recording deployers running through the real DeployAll pipeline.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "daemon/lifecycle/ca_issuer.hpp"
#include "daemon/lifecycle/declared_targets.hpp"
#include "daemon/lifecycle/manager.hpp"
#include "tests/ca/ca_test_util.hpp"
#include "tests/testing/status_matchers.hpp"

namespace ck::lifecycle {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// What the recording deployers saw, shared across manager instances ("restarts").
struct DeployLog {
  std::mutex mu;
  std::chrono::milliseconds commit_delay{0};  // widens the commit window (concurrency tests)
  int committing = 0;                         // commits in progress now
  int most_committing = 0;                    // the most ever at once
  std::vector<std::string> committed;         // serials, in order
  std::string live;                           // serial after the last commit/rollback
  std::string previous;
  int fail_verify = 0;  // fail this many next verifications
};

class RecordingDeployer final : public deploy::Deployer {
 public:
  explicit RecordingDeployer(DeployLog& log) : log_(log) {}
  std::string Describe() const override { return "recording"; }
  std::string_view type() const override { return "recording"; }
  Status Validate(const deploy::Material& m) override {
    auto cert = pki::Certificate::FromPem(m.cert_pem);
    auto key = pki::PrivateKey::FromPem(m.key_pem.view());
    if (!cert.ok() || !key.ok() || !pki::KeyMatches(*cert, *key)) {
      return InvalidArgumentError("key does not match certificate");
    }
    return OkStatus();
  }
  Status Commit(const deploy::Material& m) override {
    std::chrono::milliseconds delay;
    {
      std::lock_guard lock(log_.mu);
      delay = log_.commit_delay;
      log_.most_committing = std::max(log_.most_committing, ++log_.committing);
    }
    std::this_thread::sleep_for(delay);
    std::lock_guard lock(log_.mu);
    --log_.committing;
    log_.previous = log_.live;
    log_.live = m.serial_hex;
    log_.committed.push_back(m.serial_hex);
    return OkStatus();
  }
  Status Verify(const deploy::Material&) override {
    std::lock_guard lock(log_.mu);
    if (log_.fail_verify > 0) {
      --log_.fail_verify;
      return UnavailableError("consumer still serves the old certificate");
    }
    return OkStatus();
  }
  Status Rollback() override {
    std::lock_guard lock(log_.mu);
    log_.live = log_.previous;
    return OkStatus();
  }

 private:
  DeployLog& log_;
};

// An issuer that answers only once the test opens it (an ACME order stuck waiting for DNS).
class HeldIssuer final : public Issuer {
 public:
  explicit HeldIssuer(Issuer& real) : real_(real) {}
  const std::string& id() const override { return id_; }
  Result<int64_t> Issue(const IssueRequest& request) override {
    {
      std::unique_lock lock(mu_);
      waiting_ = true;
      most_inside_ = std::max(most_inside_, ++inside_);
      cv_.notify_all();
      if (!cv_.wait_for(lock, std::chrono::seconds(20), [&] { return open_; })) {
        --inside_;
        return DeadlineExceededError("held issuer was never opened");
      }
    }
    auto id = real_.Issue(request);
    std::lock_guard lock(mu_);
    --inside_;
    return id;
  }
  int most_inside() {
    std::lock_guard lock(mu_);
    return most_inside_;
  }
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  bool WaitUntilWaiting() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(20), [&] { return waiting_; });
  }

 private:
  Issuer& real_;
  std::string id_ = "ca:held";
  std::mutex mu_;
  std::condition_variable cv_;
  bool waiting_ = false;
  bool open_ = false;
  int inside_ = 0;
  int most_inside_ = 0;
};

// Passes issuance on to a real issuer under its own id and notes whether each request named a
// certificate it replaces (RFC 9773).
class RecordingIssuer final : public Issuer {
 public:
  // `real` is the fixture's member, filled in SetUp after this is constructed.
  RecordingIssuer(std::string id, const std::unique_ptr<CaIssuer>& real)
      : id_(std::move(id)), real_(real) {}
  const std::string& id() const override { return id_; }
  Result<int64_t> Issue(const IssueRequest& request) override {
    with_replaces.push_back(request.replaces.has_value());
    return real_->Issue(request);
  }
  std::vector<bool> with_replaces;

 private:
  std::string id_;
  const std::unique_ptr<CaIssuer>& real_;
};

// Opens the held issuer and joins the pass's thread on every way out of a test, so a failed
// ASSERT does not destroy a joinable thread (std::terminate) or leave it blocked.
struct PassGuard {
  HeldIssuer& held;
  std::thread& pass;
  ~PassGuard() {
    held.Open();
    if (pass.joinable()) pass.join();
  }
};

// An issuer that always fails, to exercise backoff and failover.
class BrokenIssuer final : public Issuer {
 public:
  const std::string& id() const override { return id_; }
  Result<int64_t> Issue(const IssueRequest&) override {
    ++calls;
    return UnavailableError("CA unreachable");
  }
  int calls = 0;

 private:
  std::string id_ = "ca:broken";
};

class ManagerTest : public ca::testing::AuthorityFixture {
 protected:
  void SetUp() override {
    AuthorityFixture::SetUp();
    clock_ = std::make_unique<FakeClock>(now_);
    InitCa();
    ca_issuer_ = std::make_unique<CaIssuer>(*authority_, *clock_, "svc");
    server_issuer_ = std::make_unique<CaIssuer>(*authority_, *clock_, "server");
    NewManager();
  }

  void NewManager() {
    manager_.reset();
    manager_ = std::make_unique<Manager>(
        *store_, *clock_,
        [this](const std::string& id) -> Result<Issuer*> {
          if (id == "ca:svc") return static_cast<Issuer*>(ca_issuer_.get());
          if (id == "ca:broken") return static_cast<Issuer*>(&broken_);
          if (id == "ca:server") return static_cast<Issuer*>(server_issuer_.get());
          if (id == "ca:held" && held_) return static_cast<Issuer*>(held_.get());
          if (id == "ca:rec1") return static_cast<Issuer*>(&rec1_);
          if (id == "ca:rec2") return static_cast<Issuer*>(&rec2_);
          return NotFoundError("no issuer " + id);
        },
        [this](const nlohmann::json&,
               const deploy::DeployEnv&) -> Result<std::unique_ptr<deploy::Deployer>> {
          return std::unique_ptr<deploy::Deployer>(std::make_unique<RecordingDeployer>(deploys_));
        });
  }

  config::CertificateConfig Spec(std::string name = "api") {
    config::CertificateConfig c;
    c.name = name;
    c.domains = {name + ".svc.internal"};
    c.issuer = "ca:svc";
    c.lifetime = hours(24);
    c.deploy = {nlohmann::json{{"type", "recording"}}};
    return c;
  }

  std::vector<store::CertificateRecord> Active(const std::string& name) {
    store::CertificateQuery q;
    q.name = name;
    q.status = store::kCertActive;
    return store_->ListCertificates(q).value();
  }
  size_t Issued(const std::string& name) {
    store::CertificateQuery q;
    q.name = name;
    return store_->ListCertificates(q)->size();
  }
  size_t Events(const std::string& name, const std::string& kind) {
    store::EventQuery q;
    q.certificate_name = name;
    q.kind = kind;
    q.limit = 0;
    return store_->ListEvents(q)->size();
  }
  std::string Live() {
    std::lock_guard lock(deploys_.mu);
    return deploys_.live;
  }

  std::unique_ptr<FakeClock> clock_;
  std::unique_ptr<CaIssuer> ca_issuer_;
  std::unique_ptr<CaIssuer> server_issuer_;
  std::unique_ptr<HeldIssuer> held_;
  RecordingIssuer rec1_{"ca:rec1", ca_issuer_};
  RecordingIssuer rec2_{"ca:rec2", server_issuer_};
  BrokenIssuer broken_;
  DeployLog deploys_;
  std::unique_ptr<Manager> manager_;
};

TEST_F(ManagerTest, IssuesDeploysAndRenewsAtHalfTheLifetime) {
  ASSERT_OK(manager_->Configure({Spec()}));
  TimePoint wake = manager_->RunOnce();
  EXPECT_LE(wake, clock_->Now() + std::chrono::seconds(300)) << "re-checks at least every 5 min";
  auto active = Active("api");
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(Live(), active[0].serial_hex);
  ASSERT_TRUE(manager_->Get("api")->next_renewal_at.has_value());
  wake = *manager_->Get("api")->next_renewal_at;
  // A 24-hour certificate renews when half remains, +-2% jitter (28m48s); the CA backdates
  // notBefore by a minute.
  EXPECT_GT(wake, clock_->Now() + hours(12) - minutes(31));
  EXPECT_LT(wake, clock_->Now() + hours(12) + minutes(31));

  // Nothing due: no issuance, no deploy.
  manager_->RunOnce();
  EXPECT_EQ(Issued("api"), 1u);
  EXPECT_EQ(deploys_.committed.size(), 1u);
  auto view = manager_->Get("api");
  ASSERT_OK(view);
  EXPECT_EQ(view->status, "valid");
  ASSERT_EQ(view->deploy.size(), 1u);
  EXPECT_EQ(view->deploy[0].last_deployed_serial, active[0].serial_hex);
  EXPECT_EQ(view->deploy[0].last_result, "ok");

  clock_->Set(wake);
  manager_->RunOnce();
  auto renewed = Active("api");
  ASSERT_EQ(renewed.size(), 1u);
  EXPECT_NE(renewed[0].serial_hex, active[0].serial_hex);
  EXPECT_EQ(Live(), renewed[0].serial_hex);
  EXPECT_EQ(store_->GetCertificate(active[0].id)->status, store::kCertSuperseded);
  EXPECT_EQ(Events("api", "renewed"), 2u);
  EXPECT_EQ(Events("api", "deployed"), 2u);
}

TEST_F(ManagerTest, FailedVerifyRollsBackAndRetriesWithBackoff) {
  deploys_.fail_verify = 2;
  ASSERT_OK(manager_->Configure({Spec()}));
  TimePoint wake = manager_->RunOnce();
  EXPECT_EQ(Live(), "");  // rolled back to nothing deployed
  auto view = manager_->Get("api");
  ASSERT_OK(view);
  EXPECT_EQ(view->status, "failing");
  EXPECT_NE(view->deploy[0].last_result.find("old certificate"), std::string::npos);
  EXPECT_EQ(view->deploy[0].last_deployed_serial, "");
  EXPECT_LE(wake, clock_->Now() + seconds(6));

  clock_->Set(wake);
  wake = manager_->RunOnce();  // second failure: longer delay
  EXPECT_EQ(Live(), "");
  clock_->Set(wake);
  manager_->RunOnce();
  EXPECT_EQ(Live(), Active("api")[0].serial_hex);
  EXPECT_EQ(Issued("api"), 1u) << "a deploy retry must not issue again";
  EXPECT_EQ(Events("api", "deploy_failed"), 2u);
  EXPECT_EQ(manager_->Get("api")->status, "valid");
}

TEST_F(ManagerTest, RestartDeploysWhatWasIssuedWithoutIssuingAgain) {
  deploys_.fail_verify = 100;  // "crash" before any deploy succeeded
  ASSERT_OK(manager_->Configure({Spec()}));
  manager_->RunOnce();
  ASSERT_EQ(Issued("api"), 1u);
  deploys_.fail_verify = 0;
  NewManager();  // the restarted daemon
  ASSERT_OK(manager_->Configure({Spec()}));
  manager_->RunOnce();
  EXPECT_EQ(Issued("api"), 1u);
  EXPECT_EQ(Live(), Active("api")[0].serial_hex);
}

TEST_F(ManagerTest, BacksOffThenFailsOverToTheFallbackIssuer) {
  auto spec = Spec();
  spec.issuer = "ca:broken";
  spec.fallback_issuer = "ca:svc";
  spec.failover_after = 2;
  ASSERT_OK(manager_->Configure({spec}));
  TimePoint wake = manager_->RunOnce();
  EXPECT_EQ(broken_.calls, 1);
  EXPECT_GT(wake, clock_->Now());
  manager_->RunOnce();  // before the backoff allows: no attempt
  EXPECT_EQ(broken_.calls, 1);
  auto view = manager_->Get("api");
  EXPECT_EQ(view->status, "failing");
  EXPECT_EQ(view->consecutive_failures, 1);
  EXPECT_NE(view->last_error.find("CA unreachable"), std::string::npos);

  clock_->Set(wake);
  wake = manager_->RunOnce();
  EXPECT_EQ(broken_.calls, 2);
  clock_->Set(wake);
  manager_->RunOnce();
  EXPECT_EQ(broken_.calls, 2) << "after 2 failures the fallback issuer is used";
  ASSERT_EQ(Active("api").size(), 1u);
  EXPECT_EQ(Events("api", "renewal_failed"), 2u);
  EXPECT_EQ(manager_->Get("api")->status, "valid");
}

TEST_F(ManagerTest, RenewOnRequestOnlyWhenDueUnlessForced) {
  ASSERT_OK(manager_->Configure({Spec()}));
  manager_->RunOnce();
  const std::string first = Active("api")[0].serial_hex;
  auto not_due = manager_->RequestRenewal("api", false);
  ASSERT_OK(not_due);
  EXPECT_NE(not_due->message.find("not due"), std::string::npos);
  EXPECT_FALSE(manager_->HasPendingRequests());
  EXPECT_EQ(manager_->RequestRenewal("nope", true).status().code(), StatusCode::kNotFound);

  ASSERT_OK(manager_->RequestRenewal("api", true));
  EXPECT_TRUE(manager_->HasPendingRequests());
  manager_->RunOnce();
  EXPECT_NE(Active("api")[0].serial_hex, first);
  EXPECT_EQ(Live(), Active("api")[0].serial_hex);
}

TEST_F(ManagerTest, ChangedNamesAreReissued) {
  ASSERT_OK(manager_->Configure({Spec()}));
  manager_->RunOnce();
  auto spec = Spec();
  spec.domains.push_back("api2.svc.internal");
  ASSERT_OK(manager_->Configure({spec}));
  manager_->RunOnce();
  auto active = Active("api");
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0].sans.size(), 2u);
  EXPECT_EQ(Issued("api"), 2u);
}

TEST_F(ManagerTest, ChangedIssuerIsReissuedOnce) {
  ASSERT_OK(manager_->Configure({Spec()}));
  manager_->RunOnce();
  ASSERT_EQ(Issued("api"), 1u);
  const std::string first = Active("api")[0].serial_hex;

  auto spec = Spec();
  spec.issuer = "ca:server";
  ASSERT_OK(manager_->Configure({spec}));
  manager_->RunOnce();
  ASSERT_EQ(Issued("api"), 2u) << "the new issuer re-issues at once, not at the renewal";
  const auto active = Active("api");
  ASSERT_EQ(active.size(), 1u);
  EXPECT_NE(active[0].serial_hex, first);
  EXPECT_EQ(Live(), active[0].serial_hex);
  store::EventQuery q;
  q.certificate_name = "api";
  q.kind = "renewed";
  auto events = store_->ListEvents(q);
  ASSERT_OK(events);
  ASSERT_FALSE(events->empty());
  EXPECT_NE(events->front().message.find("the issuer changed (ca:svc -> ca:server)"),
            std::string::npos)
      << events->front().message;

  // Issued by the configured issuer now: nothing more to do, also after a restart.
  manager_->RunOnce();
  NewManager();
  ASSERT_OK(manager_->Configure({spec}));
  manager_->RunOnce();
  EXPECT_EQ(Issued("api"), 2u);
}

TEST_F(ManagerTest, ReplacesGoesOnlyToTheIssuerOfTheCertificateInService) {
  auto spec = Spec();
  spec.issuer = "ca:rec1";
  ASSERT_OK(manager_->Configure({spec}));
  manager_->RunOnce();
  ASSERT_OK(manager_->RequestRenewal("api", true));
  manager_->RunOnce();
  EXPECT_EQ(rec1_.with_replaces, (std::vector<bool>{false, true}))
      << "a renewal by the same issuer names the certificate it replaces";
  spec.issuer = "ca:rec2";
  ASSERT_OK(manager_->Configure({spec}));
  manager_->RunOnce();
  EXPECT_EQ(rec2_.with_replaces, (std::vector<bool>{false}))
      << "another issuer never issued the certificate in service";
  EXPECT_EQ(Issued("api"), 3u);
}

TEST_F(ManagerTest, CertificateFromTheFallbackIssuerWaitsForItsRenewal) {
  ASSERT_OK(manager_->Configure({Spec()}));
  manager_->RunOnce();
  // ca:svc becomes the fallback of a new primary: what it issued stays in service until due.
  auto spec = Spec();
  spec.issuer = "ca:server";
  spec.fallback_issuer = "ca:svc";
  ASSERT_OK(manager_->Configure({spec}));
  manager_->RunOnce();
  EXPECT_EQ(Issued("api"), 1u);
}

// A renewal before a change freeze whose deploy keeps failing: the retries stop at the freeze
// while the consumer's certificate outlasts it, and resume when it ends.
TEST_F(ManagerTest, DeployRetriesWaitForTheEndOfAChangeFreeze) {
  const TimePoint t0 = clock_->Now();
  auto spec = Spec();
  // The 24-hour certificate renews at 12h +- 29m; the freeze starts after that.
  spec.renewal.freezes = {{t0 + hours(12) + minutes(40), t0 + hours(16), "launch"}};
  ASSERT_OK(manager_->Configure({spec}));
  manager_->RunOnce();
  const std::string first = Live();
  ASSERT_FALSE(first.empty());

  clock_->Set(*manager_->Get("api")->next_renewal_at);
  deploys_.fail_verify = 1000;
  manager_->RunOnce();
  const std::string second = Active("api")[0].serial_hex;
  ASSERT_NE(second, first);
  EXPECT_EQ(Live(), first) << "the failed deploy rolled back";
  const size_t attempts = deploys_.committed.size();

  clock_->Set(t0 + hours(13));  // inside the freeze; the retry is due
  TimePoint wake = manager_->RunOnce();
  EXPECT_EQ(deploys_.committed.size(), attempts) << "no deploy inside the freeze";
  EXPECT_GE(wake, clock_->Now() + minutes(1)) << "the held retry does not spin";
  EXPECT_LE(wake, t0 + hours(16));
  clock_->Set(t0 + hours(15));
  manager_->RunOnce();
  EXPECT_EQ(deploys_.committed.size(), attempts);

  deploys_.fail_verify = 0;
  clock_->Set(t0 + hours(16));
  manager_->RunOnce();
  EXPECT_EQ(Live(), second);
  EXPECT_EQ(Issued("api"), 2u);
}

TEST_F(ManagerTest, LiftingAFreezeReleasesTheHeldDeployAtOnce) {
  const TimePoint t0 = clock_->Now();
  auto spec = Spec();
  spec.renewal.freezes = {{t0 + hours(12) + minutes(40), t0 + hours(16), "launch"}};
  ASSERT_OK(manager_->Configure({spec}));
  manager_->RunOnce();
  clock_->Set(*manager_->Get("api")->next_renewal_at);
  deploys_.fail_verify = 1000;
  manager_->RunOnce();
  const std::string second = Active("api")[0].serial_hex;
  clock_->Set(t0 + hours(13));
  manager_->RunOnce();  // held until 16h
  ASSERT_NE(Live(), second);
  deploys_.fail_verify = 0;
  spec.renewal.freezes.clear();  // SIGHUP: the freeze is called off
  ASSERT_OK(manager_->Configure({spec}));
  manager_->RunOnce();
  EXPECT_EQ(Live(), second) << "deployed at the next pass, not at the old freeze end";
}

TEST_F(ManagerTest, RemovedTargetsLeaveNoRetryBehind) {
  deploys_.fail_verify = 1000;
  ASSERT_OK(manager_->Configure({Spec()}));
  manager_->RunOnce();
  ASSERT_EQ(manager_->Get("api")->status, "failing");
  auto spec = Spec();
  spec.deploy.clear();  // the failing target is taken out of the config
  ASSERT_OK(manager_->Configure({spec}));
  clock_->Advance(minutes(10));
  manager_->RunOnce();
  const TimePoint wake = manager_->RunOnce();
  EXPECT_GE(wake, clock_->Now() + minutes(1)) << "no wake-up loop on a retry that is gone";
  EXPECT_EQ(manager_->Get("api")->status, "valid");
}

TEST_F(ManagerTest, FreezeDoesNotHoldADeployTheConsumerCannotWaitFor) {
  const TimePoint t0 = clock_->Now();
  auto spec = Spec();
  // The first certificate (24h) would expire inside this freeze.
  spec.renewal.freezes = {{t0 + hours(12) + minutes(40), t0 + hours(30), "long"}};
  ASSERT_OK(manager_->Configure({spec}));
  manager_->RunOnce();
  clock_->Set(*manager_->Get("api")->next_renewal_at);
  deploys_.fail_verify = 1;
  manager_->RunOnce();
  const std::string second = Active("api")[0].serial_hex;
  ASSERT_NE(Live(), second);

  clock_->Set(t0 + hours(13));
  manager_->RunOnce();
  EXPECT_EQ(Live(), second) << "deployed inside the freeze: the old certificate would run out";
}

TEST_F(ManagerTest, ForcedRenewalInsideAFreezeIsDeployed) {
  const TimePoint t0 = clock_->Now();
  auto spec = Spec();
  spec.renewal.freezes = {{t0 + hours(1), t0 + hours(5), ""}};
  ASSERT_OK(manager_->Configure({spec}));
  manager_->RunOnce();
  clock_->Set(t0 + hours(2));
  ASSERT_OK(manager_->RequestRenewal("api", true));
  manager_->RunOnce();
  ASSERT_EQ(Issued("api"), 2u);
  EXPECT_EQ(Live(), Active("api")[0].serial_hex) << "the operator asked for it";
}

TEST_F(ManagerTest, ASlowIssuanceDoesNotHoldUpTheOthers) {
  held_ = std::make_unique<HeldIssuer>(*ca_issuer_);
  auto slow = Spec("a-slow");  // first in name order: a sequential pass would wait on it
  slow.issuer = "ca:held";
  ASSERT_OK(manager_->Configure({slow, Spec("b-fast"), Spec("c-fast")}));
  std::thread pass([&] { manager_->RunOnce(); });
  PassGuard guard{*held_, pass};
  ASSERT_TRUE(held_->WaitUntilWaiting());
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while ((Active("b-fast").empty() || Active("c-fast").empty()) &&
         std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(Active("b-fast").size(), 1u) << "issued while a-slow's issuer still holds";
  EXPECT_EQ(Active("c-fast").size(), 1u);
  EXPECT_TRUE(Active("a-slow").empty());
  held_->Open();
  pass.join();
  EXPECT_EQ(Active("a-slow").size(), 1u);
  EXPECT_EQ(manager_->Summary().failing, 0);
}

TEST_F(ManagerTest, ReconfigureDuringAPassWaitsForTheEntrysWorker) {
  held_ = std::make_unique<HeldIssuer>(*ca_issuer_);
  auto slow = Spec("a-slow");
  slow.issuer = "ca:held";
  ASSERT_OK(manager_->Configure({slow}));
  std::thread pass([&] { manager_->RunOnce(); });
  PassGuard guard{*held_, pass};
  ASSERT_TRUE(held_->WaitUntilWaiting());
  // SIGHUP while the entry is being issued: returns at once, changes nothing under the worker.
  auto changed = slow;
  changed.domains.push_back("a-slow2.svc.internal");
  ASSERT_OK(manager_->Configure({changed}));
  EXPECT_EQ(manager_->Get("a-slow")->domains.size(), 1u) << "applied after the worker is done";
  held_->Open();
  pass.join();
  EXPECT_EQ(manager_->Get("a-slow")->domains.size(), 2u);
  ASSERT_EQ(Active("a-slow").size(), 1u);
  EXPECT_EQ(Active("a-slow")[0].sans.size(), 1u) << "issued for the declaration it started with";
  manager_->RunOnce();
  ASSERT_EQ(Active("a-slow").size(), 1u);
  EXPECT_EQ(Active("a-slow")[0].sans.size(), 2u) << "the next pass issues the new names";
}

TEST_F(ManagerTest, CertificatesSharingANameAreNotIssuedAtOnce) {
  held_ = std::make_unique<HeldIssuer>(*ca_issuer_);
  // An RSA and an ECDSA certificate for the same name: their challenges would collide.
  auto rsa = Spec("rsa");
  rsa.domains = {"shared.svc.internal"};
  rsa.issuer = "ca:held";
  auto ecdsa = rsa;
  ecdsa.name = "ecdsa";
  auto other = Spec("other");
  other.issuer = "ca:held";
  ASSERT_OK(manager_->Configure({rsa, ecdsa, other}));
  std::thread pass([&] { manager_->RunOnce(); });
  PassGuard guard{*held_, pass};
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (held_->most_inside() < 2 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(held_->most_inside(), 2) << "'other' is issued beside one of rsa/ecdsa";
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // time for a wrong overlap
  EXPECT_EQ(held_->most_inside(), 2) << "the other of rsa/ecdsa waits for the shared name";
  held_->Open();
  pass.join();
  for (const char* name : {"rsa", "ecdsa", "other"}) EXPECT_EQ(Active(name).size(), 1u) << name;
}

TEST_F(ManagerTest, DeploysRunOneAtATime) {
  deploys_.commit_delay = std::chrono::milliseconds(30);
  ASSERT_OK(manager_->Configure({Spec("a"), Spec("b"), Spec("c"), Spec("d")}));
  manager_->RunOnce();
  for (const char* name : {"a", "b", "c", "d"}) EXPECT_EQ(Active(name).size(), 1u) << name;
  std::lock_guard lock(deploys_.mu);
  EXPECT_EQ(deploys_.committed.size(), 4u);
  EXPECT_EQ(deploys_.most_committing, 1);
}

TEST_F(ManagerTest, ReuseKeyKeepsTheKeyAcrossRenewals) {
  auto spec = Spec();
  spec.reuse_key = true;
  ASSERT_OK(manager_->Configure({spec}));
  manager_->RunOnce();
  auto first = Active("api")[0];
  ASSERT_OK(manager_->RequestRenewal("api", true));
  manager_->RunOnce();
  auto second = Active("api")[0];
  EXPECT_NE(second.serial_hex, first.serial_hex);
  EXPECT_EQ(second.key_id, first.key_id);
}

TEST_F(ManagerTest, BundleLongPollAnswersConsumersListedInAPullTarget) {
  auto spec = Spec();
  spec.deploy.push_back({{"type", "pull"}, {"consumers", {"edge-1"}}});
  ASSERT_OK(manager_->Configure({spec}));
  manager_->RunOnce();
  const std::string serial = Active("api")[0].serial_hex;
  web::Identity edge{"edge-1", web::Role::kConsumer, "mtls"};
  web::Identity other{"edge-2", web::Role::kConsumer, "mtls"};
  web::Identity viewer{"v", web::Role::kViewer, "token"};
  EXPECT_EQ(manager_->WaitForBundle(other, "api", "", seconds(0)).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(manager_->WaitForBundle(viewer, "api", "", seconds(0)).status().code(),
            StatusCode::kPermissionDenied);
  auto bundle = manager_->WaitForBundle(edge, "api", "", seconds(0));
  ASSERT_OK(bundle);
  EXPECT_EQ(bundle->serial_hex, serial);
  EXPECT_NE(bundle->key_pem.find("PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(manager_->WaitForBundle(edge, "api", serial, seconds(1)).status().code(),
            StatusCode::kDeadlineExceeded);

  // A waiting consumer wakes as soon as the renewal lands.
  std::atomic<bool> done{false};
  std::string got;
  std::thread waiter([&] {
    auto b = manager_->WaitForBundle(edge, "api", serial, seconds(30));
    if (b.ok()) got = b->serial_hex;
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(done.load());
  ASSERT_OK(manager_->RequestRenewal("api", true));
  manager_->RunOnce();
  waiter.join();
  EXPECT_EQ(got, Active("api")[0].serial_hex);
  EXPECT_NE(got, serial);
}

// Issue 5's invariant, end to end through the manager over 60 simulated days: at every
// instant the key in service had its pin published at least `overlap` earlier, so a client
// that fetched the pin set at any time in the last `overlap` accepts the served key.
TEST_F(ManagerTest, PinnedKeysRotateOnlyAfterTheOverlap) {
  auto spec = Spec();
  spec.pins = config::PinPolicyConfig{hours(24 * 3)};
  ASSERT_OK(manager_->Configure({spec}));
  const TimePoint start = clock_->Now();
  const auto overlap = hours(24 * 3);
  struct Sample {
    TimePoint at;
    std::set<std::string> published;
    std::string served;
  };
  std::vector<Sample> samples;
  std::set<std::string> served_pins;
  int renewals = 0;
  std::string last_serial;
  for (TimePoint t = start; t < start + hours(24 * 60); t += hours(1)) {
    clock_->Set(t);
    manager_->RunOnce();
    auto active = Active("api");
    ASSERT_EQ(active.size(), 1u);
    if (active[0].serial_hex != last_serial) ++renewals;
    last_serial = active[0].serial_hex;
    auto key = store_->GetKey(*active[0].key_id);
    ASSERT_OK(key);
    auto pins = manager_->Pins("api");
    ASSERT_OK(pins);
    Sample s{t, {}, key->public_pin};
    for (const auto& p : pins->pins) {
      bool live = p.publish_at && *p.publish_at <= t && (!p.retire_at || t < *p.retire_at);
      if (live) s.published.insert(p.pin);
    }
    EXPECT_TRUE(s.published.count(s.served)) << "served pin not published at " << FormatRfc3339(t);
    EXPECT_GE(s.published.size(), 2u) << "a backup pin is always published";
    served_pins.insert(s.served);
    samples.push_back(std::move(s));
  }
  EXPECT_GT(renewals, 50) << "24h certificates renew about twice a day";
  EXPECT_GE(served_pins.size(), 3u) << "keys rotated several times in 60 days";
  for (const auto& s : samples) {
    if (s.at < start + overlap) continue;
    // Every client that fetched the set up to `overlap` ago accepts the served key.
    for (const auto& earlier : samples) {
      if (earlier.at < s.at - overlap || earlier.at > s.at) continue;
      EXPECT_TRUE(earlier.published.count(s.served))
          << "pin served at " << FormatRfc3339(s.at) << " was not in the set fetched at "
          << FormatRfc3339(earlier.at);
    }
  }
  auto pins = manager_->Pins("api");
  EXPECT_NE(pins->pin_sha256_header.find("pin-sha256=\""), std::string::npos);
  EXPECT_NE(pins->okhttp.find("sha256/"), std::string::npos);
  EXPECT_NE(pins->android.find("<pin-set expiration="), std::string::npos);
}

TEST_F(ManagerTest, EmergencyRotationPutsTheBackupKeyInServiceAtOnce) {
  auto spec = Spec();
  spec.pins = config::PinPolicyConfig{hours(24 * 30)};
  ASSERT_OK(manager_->Configure({spec}));
  manager_->RunOnce();
  auto before = Active("api")[0];
  const std::string compromised = store_->GetKey(*before.key_id)->public_pin;
  std::string backup;
  auto pins_before = manager_->Pins("api");
  ASSERT_OK(pins_before);
  for (const auto& p : pins_before->pins) {
    if (p.state == "backup") backup = p.pin;
  }
  ASSERT_FALSE(backup.empty());
  EXPECT_EQ(manager_->EmergencyRotatePins("nope").code(), StatusCode::kNotFound);
  ASSERT_OK(manager_->EmergencyRotatePins("api"));
  EXPECT_TRUE(manager_->HasPendingRequests());
  manager_->RunOnce();
  auto after = Active("api")[0];
  EXPECT_NE(after.serial_hex, before.serial_hex);
  EXPECT_EQ(store_->GetKey(*after.key_id)->public_pin, backup);
  EXPECT_EQ(Live(), after.serial_hex);
  auto pins_after = manager_->Pins("api");
  ASSERT_OK(pins_after);
  for (const auto& p : pins_after->pins) {
    if (p.pin != compromised) continue;
    // Withdrawn from the published set now: pinning clients stop trusting the stolen key.
    ASSERT_TRUE(p.retire_at.has_value());
    EXPECT_LE(*p.retire_at, clock_->Now());
  }
  EXPECT_EQ(Events("api", "pin_emergency_rotation"), 1u);
}

TEST_F(ManagerTest, ListSortsByTimeLeftAndSummaryCounts) {
  auto a = Spec("alpha");
  a.lifetime = hours(48);
  auto b = Spec("beta");
  b.lifetime = hours(12);
  auto broken = Spec("gamma");
  broken.issuer = "ca:broken";
  ASSERT_OK(manager_->Configure({a, b, broken}));
  manager_->RunOnce();
  auto list = manager_->List();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].name, "gamma");  // no certificate: first
  EXPECT_EQ(list[0].status, "failing");
  EXPECT_EQ(list[1].name, "beta");
  EXPECT_EQ(list[2].name, "alpha");
  auto summary = manager_->Summary();
  EXPECT_EQ(summary.managed, 3);
  EXPECT_EQ(summary.failing, 1);
}

}  // namespace
}  // namespace ck::lifecycle

namespace ck::lifecycle {
namespace {

Status ValidateText(const std::string& toml) {
  auto c = config::ParseConfig(toml, "t.toml");
  if (!c.ok()) return c.status();
  return ValidateDeployTargets(*c);
}

TEST(DeclaredTargetsTest, ExampleConfigTargetsAreValid) {
  auto c = config::ParseConfig(config::ExampleConfigText(), "example.toml");
  ASSERT_OK(c);
  EXPECT_OK(ValidateDeployTargets(*c));
}

TEST(DeclaredTargetsTest, BadTargetsAreConfigErrorsNamingLineAndCertificate) {
  const std::string head =
      "[[certificate]]\nname = \"web\"\ndomains = [\"web.test\"]\nissuer = \"ca:server\"\n";
  EXPECT_TRUE(ValidateText(head + "[[certificate.deploy]]\ntype = \"files\"\ndir = \"/x\"\n"
                                  "[[certificate.deploy]]\ntype = \"pull\"\nconsumers = [\"e\"]\n")
                  .ok());
  Status missing =
      ValidateText(head + "[[certificate.deploy]]\ntype = \"nginx\"\nconff = \"/x\"\n");
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("t.toml:5: certificate[web].deploy[0]"), std::string::npos)
      << missing.message();
  Status pull = ValidateText(head + "[[certificate.deploy]]\ntype = \"pull\"\n");
  EXPECT_NE(pull.message().find("consumers"), std::string::npos) << pull.message();
  Status pull_key = ValidateText(head +
                                 "[[certificate.deploy]]\ntype = \"pull\"\n"
                                 "consumers = [\"e\"]\nwait = 5\n");
  EXPECT_NE(pull_key.message().find("unknown key 'wait'"), std::string::npos) << pull_key.message();
}

}  // namespace
}  // namespace ck::lifecycle
