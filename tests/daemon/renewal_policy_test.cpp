#include "daemon/renewal/renewal_policy.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>

#include "common/clock.hpp"
#include "common/rng.hpp"
#include "tests/testing/status_matchers.hpp"

namespace ck::renewal {
namespace {

using std::chrono::duration_cast;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr hours kDay(24);
const TimePoint kT0 = FromUnixSeconds(1'700'000'000);  // 2023-11-14T22:13:20Z

CertificateFacts Cert(TimePoint not_before, Duration lifetime) {
  CertificateFacts c;
  c.not_before = not_before;
  c.not_after = not_before + lifetime;
  return c;
}

RenewalPlan Plan(const CertificateFacts& cert, TimePoint now, const RenewalPolicy& policy = {},
                 const std::optional<AriWindow>& ari = std::nullopt, uint64_t seed = 1) {
  SeededRng rng(seed);
  auto plan = PlanRenewal(cert, ari, now, policy, rng);
  EXPECT_OK(plan);
  return plan.ok() ? *plan : RenewalPlan{};
}

AriWindow Ari(TimePoint start, TimePoint end) {
  AriWindow w;
  w.start = start;
  w.end = end;
  return w;
}

ChangeFreeze Freeze(TimePoint start, TimePoint end, std::string name = "") {
  ChangeFreeze f;
  f.start = start;
  f.end = end;
  f.name = std::move(name);
  return f;
}

double Days(std::chrono::system_clock::duration d) {
  return duration_cast<milliseconds>(d).count() / 86'400'000.0;
}

// --- the lifetime table -------------------------------------------------------------------

struct LifetimeCase {
  const char* name;
  Duration lifetime;
  double remaining_fraction;  // 1/3, or 1/2 under 10 days
  Duration max_jitter;        // 2% of the lifetime
};

class RenewalLifetimeTable : public ::testing::TestWithParam<LifetimeCase> {};

TEST_P(RenewalLifetimeTable, RenewsInTheRightWindowWithProportionalJitter) {
  const LifetimeCase& c = GetParam();
  const CertificateFacts cert = Cert(kT0, c.lifetime);
  const TimePoint nominal =
      cert.not_after - Duration(static_cast<int64_t>(c.lifetime.count() * c.remaining_fraction));
  Duration min_j = Duration::max();
  Duration max_j = Duration::min();
  double sum_j = 0;
  constexpr int kSeeds = 2000;
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    RenewalPlan p = Plan(cert, kT0, {}, std::nullopt, seed);
    ASSERT_EQ(p.reason, RenewalReason::kLifetimeFraction);
    const Duration j = duration_cast<Duration>(p.renew_at - nominal);
    ASSERT_LE(std::abs(j.count()) - 1, c.max_jitter.count()) << c.name << " seed " << seed;
    min_j = std::min(min_j, j);
    max_j = std::max(max_j, j);
    sum_j += static_cast<double>(j.count());
    // Never after expiry, never before the certificate has served a tenth of its life.
    ASSERT_LT(p.renew_at, cert.not_after);
    ASSERT_GE(p.renew_at, cert.not_before + c.lifetime / 10);
    ASSERT_FALSE(p.urgent);
    ASSERT_EQ(p.deadline, cert.not_after - c.lifetime / 10);
  }
  // The jitter is used across its range, symmetric around the nominal point.
  EXPECT_LT(min_j.count(), -c.max_jitter.count() * 9 / 10) << c.name;
  EXPECT_GT(max_j.count(), c.max_jitter.count() * 9 / 10) << c.name;
  EXPECT_LT(std::abs(sum_j / kSeeds), c.max_jitter.count() * 0.1) << c.name;
}

INSTANTIATE_TEST_SUITE_P(
    RenewalLifetimes, RenewalLifetimeTable,
    ::testing::Values(LifetimeCase{"90d", 90 * kDay, 1.0 / 3, milliseconds(155'520'000)},
                      LifetimeCase{"45d", 45 * kDay, 1.0 / 3, milliseconds(77'760'000)},
                      LifetimeCase{"10d", 10 * kDay, 1.0 / 3, milliseconds(17'280'000)},
                      LifetimeCase{"9d", 9 * kDay, 1.0 / 2, milliseconds(15'552'000)},
                      LifetimeCase{"6d", 6 * kDay, 1.0 / 2, milliseconds(10'368'000)},
                      LifetimeCase{"24h", kDay, 1.0 / 2, milliseconds(1'728'000)},
                      LifetimeCase{"2m", minutes(2), 1.0 / 2, milliseconds(2'400)}),
    [](const auto& info) { return std::string("L") + info.param.name; });

TEST(RenewalPolicyTest, TwoMinuteCertificateGetsSecondsOfJitterNotMinutes) {
  const CertificateFacts cert = Cert(kT0, minutes(2));
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    RenewalPlan p = Plan(cert, kT0, {}, std::nullopt, seed);
    // certbot sleeps up to 8 minutes; our jitter for a 2-minute cert stays within 2.4s of the
    // 60s mark.
    EXPECT_GE(p.renew_at, kT0 + milliseconds(57'600));
    EXPECT_LE(p.renew_at, kT0 + milliseconds(62'400));
  }
}

TEST(RenewalPolicyTest, ExplanationSaysWhatAndWhy) {
  RenewalPolicy no_jitter;
  no_jitter.jitter_fraction = 0;
  RenewalPlan p = Plan(Cert(kT0, 90 * kDay), kT0, no_jitter);
  EXPECT_EQ(p.explanation, "1/3 of the 90d lifetime remains at 2024-01-13T22:13:20Z; jitter +0s");
  EXPECT_EQ(p.renew_at, kT0 + 60 * kDay);
  EXPECT_EQ(RenewalReasonName(p.reason), "lifetime_fraction");

  RenewalPlan q = Plan(Cert(kT0, 6 * kDay), kT0);
  EXPECT_NE(q.explanation.find("1/2 of the 6d lifetime remains at 2023-11-17T22:13:20Z; jitter "),
            std::string::npos)
      << q.explanation;
}

TEST(RenewalPolicyTest, DeterministicForASeed) {
  const CertificateFacts cert = Cert(kT0, 90 * kDay);
  RenewalPolicy policy;
  policy.freezes.push_back(Freeze(kT0 + 59 * kDay, kT0 + 61 * kDay));
  RenewalPlan a = Plan(cert, kT0, policy, std::nullopt, 42);
  RenewalPlan b = Plan(cert, kT0, policy, std::nullopt, 42);
  RenewalPlan c = Plan(cert, kT0, policy, std::nullopt, 43);
  EXPECT_EQ(a.renew_at, b.renew_at);
  EXPECT_EQ(a.explanation, b.explanation);
  EXPECT_NE(a.renew_at, c.renew_at);
}

TEST(RenewalPolicyTest, OverduePlanSaysNow) {
  const CertificateFacts cert = Cert(kT0, 90 * kDay);
  const TimePoint now = kT0 + 70 * kDay;  // daemon was down past the renewal point
  RenewalPlan p = Plan(cert, now);
  EXPECT_EQ(p.renew_at, now);
  EXPECT_EQ(p.reason, RenewalReason::kLifetimeFraction);
  EXPECT_FALSE(p.urgent);
  EXPECT_NE(p.explanation.find("overdue since"), std::string::npos) << p.explanation;
}

TEST(RenewalPolicyTest, PastTheSafetyDeadlineIsUrgent) {
  const CertificateFacts cert = Cert(kT0, 90 * kDay);
  const TimePoint now = kT0 + 85 * kDay;
  RenewalPlan p = Plan(cert, now);
  EXPECT_EQ(p.renew_at, now);
  EXPECT_TRUE(p.urgent);
  EXPECT_NE(p.explanation.find("urgent"), std::string::npos) << p.explanation;
}

TEST(RenewalPolicyTest, ExpiredRenewsNowEvenInAFreezeOrWithAri) {
  const CertificateFacts cert = Cert(kT0, 90 * kDay);
  const TimePoint now = kT0 + 91 * kDay;
  RenewalPolicy policy;
  policy.freezes.push_back(Freeze(now - kDay, now + 30 * kDay, "year-end"));
  RenewalPlan p = Plan(cert, now, policy, Ari(now + kDay, now + 2 * kDay));
  EXPECT_EQ(p.renew_at, now);
  EXPECT_EQ(p.reason, RenewalReason::kExpired);
  EXPECT_TRUE(p.urgent);
  EXPECT_EQ(p.explanation, "expired at 2024-02-12T22:13:20Z (1d ago); renew now");
}

TEST(RenewalPolicyTest, MalformedValidityRenewsNow) {
  CertificateFacts cert;
  cert.not_before = kT0;
  cert.not_after = kT0;
  RenewalPlan p = Plan(cert, kT0 + kDay);
  EXPECT_EQ(p.renew_at, kT0 + kDay);
  EXPECT_EQ(p.reason, RenewalReason::kInvalidValidity);
  EXPECT_TRUE(p.urgent);
}

// --- renew_before -------------------------------------------------------------------------

TEST(RenewalPolicyTest, RenewBeforeIsAtLeastThatLongBeforeExpiry) {
  const CertificateFacts cert = Cert(kT0, 90 * kDay);
  RenewalPolicy policy;
  policy.renew_before = 30 * kDay;
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    RenewalPlan p = Plan(cert, kT0, policy, std::nullopt, seed);
    EXPECT_EQ(p.reason, RenewalReason::kRenewBefore);
    EXPECT_LE(p.renew_at, cert.not_after - 30 * kDay);
    EXPECT_GE(p.renew_at, cert.not_after - 30 * kDay - milliseconds(155'520'000));
  }
}

TEST(RenewalPolicyTest, RenewBeforeLongerThanTheLifetimeIsIgnored) {
  const CertificateFacts cert = Cert(kT0, 6 * kDay);
  RenewalPolicy policy;
  policy.renew_before = 30 * kDay;  // certbot's default on a 6-day cert: renew at every run
  RenewalPlan p = Plan(cert, kT0, policy);
  EXPECT_EQ(p.reason, RenewalReason::kLifetimeFraction);
  EXPECT_GT(p.renew_at, kT0 + 2 * kDay);
  EXPECT_EQ(
      p.explanation.rfind("renew_before 30d is not shorter than the 6d lifetime; ignored. ", 0), 0u)
      << p.explanation;
}

TEST(RenewalPolicyTest, RenewBeforeIsFlooredAtATenthOfTheLifetime) {
  const CertificateFacts cert = Cert(kT0, 90 * kDay);
  RenewalPolicy policy;
  policy.renew_before = 89 * kDay;
  RenewalPlan p = Plan(cert, kT0, policy);
  EXPECT_EQ(p.renew_at, kT0 + 9 * kDay);
  EXPECT_NE(p.explanation.find("floored"), std::string::npos) << p.explanation;
}

TEST(RenewalPolicyTest, TinyRenewBeforeNeverLandsAfterExpiry) {
  const CertificateFacts cert = Cert(kT0, 90 * kDay);
  RenewalPolicy policy;
  policy.renew_before = milliseconds(1);
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    RenewalPlan p = Plan(cert, kT0, policy, std::nullopt, seed);
    EXPECT_LT(p.renew_at, cert.not_after);
  }
}

TEST(RenewalPolicyTest, InvalidPolicyIsRejected) {
  const CertificateFacts cert = Cert(kT0, 90 * kDay);
  SeededRng rng(1);
  RenewalPolicy zero;
  zero.renew_before = Duration(0);
  RenewalPolicy negative;
  negative.renew_before = -kDay;
  RenewalPolicy jitter;
  jitter.jitter_fraction = 0.5;
  RenewalPolicy nan_jitter;
  nan_jitter.jitter_fraction = std::nan("");
  RenewalPolicy freeze;
  freeze.freezes.push_back(Freeze(kT0 + kDay, kT0 + kDay, "empty"));
  for (const RenewalPolicy* p : {&zero, &negative, &jitter, &nan_jitter, &freeze}) {
    auto plan = PlanRenewal(cert, std::nullopt, kT0, *p, rng);
    ASSERT_FALSE(plan.ok());
    EXPECT_EQ(plan.status().code(), StatusCode::kInvalidArgument);
  }
}

// --- ARI ----------------------------------------------------------------------------------

TEST(RenewalPolicyTest, AriWindowIsSampledUniformly) {
  const CertificateFacts cert = Cert(kT0, 90 * kDay);
  const AriWindow w = Ari(kT0 + 50 * kDay, kT0 + 52 * kDay);
  int first_half = 0;
  for (uint64_t seed = 1; seed <= 1000; ++seed) {
    RenewalPlan p = Plan(cert, kT0, {}, w, seed);
    ASSERT_EQ(p.reason, RenewalReason::kAriWindow);
    ASSERT_GE(p.renew_at, w.start);
    ASSERT_LT(p.renew_at, w.end);
    first_half += p.renew_at < w.start + kDay;
  }
  EXPECT_GT(first_half, 430);
  EXPECT_LT(first_half, 570);
}

TEST(RenewalPolicyTest, AriOutranksRenewBefore) {
  RenewalPolicy policy;
  policy.renew_before = 10 * kDay;
  RenewalPlan p = Plan(Cert(kT0, 90 * kDay), kT0, policy, Ari(kT0 + 30 * kDay, kT0 + 31 * kDay));
  EXPECT_EQ(p.reason, RenewalReason::kAriWindow);
  EXPECT_LT(p.renew_at, kT0 + 31 * kDay);
}

TEST(RenewalPolicyTest, AriWindowAlreadyPastRenewsNow) {
  const TimePoint now = kT0 + 40 * kDay;
  AriWindow w = Ari(kT0 + 20 * kDay, kT0 + 21 * kDay);
  w.explanation_url = "https://ca.example/incident";
  RenewalPlan p = Plan(Cert(kT0, 90 * kDay), now, {}, w);
  EXPECT_EQ(p.renew_at, now);
  EXPECT_EQ(p.reason, RenewalReason::kAriWindowPast);
  EXPECT_NE(p.explanation.find("https://ca.example/incident"), std::string::npos);
}

TEST(RenewalPolicyTest, AriWindowUnderWayNeverSchedulesInThePast) {
  const TimePoint now = kT0 + 51 * kDay;
  const AriWindow w = Ari(kT0 + 50 * kDay, kT0 + 52 * kDay);
  int now_count = 0;
  for (uint64_t seed = 1; seed <= 400; ++seed) {
    RenewalPlan p = Plan(Cert(kT0, 90 * kDay), now, {}, w, seed);
    ASSERT_GE(p.renew_at, now);
    ASSERT_LT(p.renew_at, w.end);
    now_count += p.renew_at == now;
  }
  // RFC 9773 §4.2: a selected time in the past means "renew immediately": about half here.
  EXPECT_GT(now_count, 150);
  EXPECT_LT(now_count, 250);
}

TEST(RenewalPolicyTest, AriWindowEndingAfterExpiryIsClamped) {
  const CertificateFacts cert = Cert(kT0, 90 * kDay);
  const TimePoint deadline = kT0 + 81 * kDay;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    RenewalPlan p = Plan(cert, kT0, {}, Ari(kT0 + 70 * kDay, kT0 + 95 * kDay), seed);
    ASSERT_EQ(p.reason, RenewalReason::kAriWindowClamped);
    ASSERT_GE(p.renew_at, kT0 + 70 * kDay);
    ASSERT_LT(p.renew_at, deadline);
  }
  RenewalPlan late = Plan(cert, kT0, {}, Ari(kT0 + 85 * kDay, kT0 + 100 * kDay));
  EXPECT_EQ(late.reason, RenewalReason::kAriWindowClamped);
  EXPECT_EQ(late.renew_at, deadline);
}

TEST(RenewalPolicyTest, MalformedAriWindowFallsBackToTheLifetime) {
  RenewalPlan p = Plan(Cert(kT0, 90 * kDay), kT0, {}, Ari(kT0 + 50 * kDay, kT0 + 40 * kDay));
  EXPECT_EQ(p.reason, RenewalReason::kLifetimeFraction);
  EXPECT_EQ(p.explanation.rfind("ARI window [", 0), 0u) << p.explanation;
  EXPECT_NE(p.explanation.find("malformed; ignored"), std::string::npos);
}

// --- change freezes -----------------------------------------------------------------------

RenewalPolicy NoJitter() {
  RenewalPolicy p;
  p.jitter_fraction = 0;
  return p;
}

TEST(RenewalPolicyTest, FreezeDefersToItsEndWithForwardJitter) {
  const CertificateFacts cert = Cert(kT0, 90 * kDay);
  RenewalPolicy policy;
  policy.freezes.push_back(Freeze(kT0 + 55 * kDay, kT0 + 65 * kDay, "release"));
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    RenewalPlan p = Plan(cert, kT0, policy, std::nullopt, seed);
    ASSERT_EQ(p.reason, RenewalReason::kDeferredByFreeze);
    ASSERT_GE(p.renew_at, kT0 + 65 * kDay);
    ASSERT_LE(p.renew_at, kT0 + 65 * kDay + milliseconds(155'520'000));
  }
  RenewalPolicy exact = NoJitter();
  exact.freezes = policy.freezes;
  RenewalPlan p = Plan(cert, kT0, exact);
  EXPECT_EQ(p.renew_at, kT0 + 65 * kDay);
  EXPECT_EQ(p.explanation,
            "1/3 of the 90d lifetime remains at 2024-01-13T22:13:20Z; jitter +0s; inside change "
            "freeze 'release' [2024-01-08T22:13:20Z, 2024-01-18T22:13:20Z), deferred to "
            "2024-01-18T22:13:20Z");
}

TEST(RenewalPolicyTest, OverlappingFreezesMerge) {
  RenewalPolicy policy = NoJitter();
  policy.freezes.push_back(Freeze(kT0 + 58 * kDay, kT0 + 70 * kDay, "b"));
  policy.freezes.push_back(Freeze(kT0 + 40 * kDay, kT0 + 60 * kDay, "a"));
  RenewalPlan p = Plan(Cert(kT0, 90 * kDay), kT0, policy);
  EXPECT_EQ(p.reason, RenewalReason::kDeferredByFreeze);
  EXPECT_EQ(p.renew_at, kT0 + 70 * kDay);
  EXPECT_NE(p.explanation.find("'a+b'"), std::string::npos) << p.explanation;
}

TEST(RenewalPolicyTest, DeferralJitterNeverLandsInTheNextFreeze) {
  RenewalPolicy policy;
  policy.freezes.push_back(Freeze(kT0 + 55 * kDay, kT0 + 62 * kDay));
  policy.freezes.push_back(Freeze(kT0 + 62 * kDay + hours(3), kT0 + 64 * kDay));
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    RenewalPlan p = Plan(Cert(kT0, 90 * kDay), kT0, policy, std::nullopt, seed);
    ASSERT_GE(p.renew_at, kT0 + 62 * kDay);
    ASSERT_LT(p.renew_at, kT0 + 62 * kDay + hours(3));
  }
}

TEST(RenewalPolicyTest, FreezeOutlastingTheDeadlineRenewsBeforeIt) {
  RenewalPolicy policy = NoJitter();
  policy.freezes.push_back(Freeze(kT0 + 55 * kDay, kT0 + 120 * kDay, "migration"));
  RenewalPlan p = Plan(Cert(kT0, 90 * kDay), kT0, policy);
  EXPECT_EQ(p.reason, RenewalReason::kBeforeFreeze);
  EXPECT_EQ(p.renew_at, kT0 + 46 * kDay);  // freeze start minus lifetime/10 for retries
  EXPECT_NE(p.explanation.find("outlasts the safety deadline"), std::string::npos);
}

TEST(RenewalPolicyTest, BeforeFreezeUsesTheFreeGapBetweenFreezes) {
  RenewalPolicy policy = NoJitter();
  policy.freezes.push_back(Freeze(kT0 + 40 * kDay, kT0 + 50 * kDay));
  policy.freezes.push_back(Freeze(kT0 + 52 * kDay, kT0 + 120 * kDay));
  RenewalPlan p = Plan(Cert(kT0, 90 * kDay), kT0, policy);
  EXPECT_EQ(p.reason, RenewalReason::kBeforeFreeze);
  EXPECT_EQ(p.renew_at, kT0 + 50 * kDay);
}

TEST(RenewalPolicyTest, InsideALongFreezeRenewsAsLateAsSafelyPossible) {
  RenewalPolicy policy = NoJitter();
  policy.freezes.push_back(Freeze(kT0 + 50 * kDay, kT0 + 100 * kDay, "peak"));
  RenewalPlan p = Plan(Cert(kT0, 90 * kDay), kT0 + 70 * kDay, policy);
  EXPECT_EQ(p.reason, RenewalReason::kFreezeOverridden);
  EXPECT_EQ(p.renew_at, kT0 + 81 * kDay);
  EXPECT_NE(p.explanation.find("expiry comes first"), std::string::npos) << p.explanation;
}

TEST(RenewalPolicyTest, FreshCertificateFacingALongFreezeDoesNotRenewInALoop) {
  // Renewing before the freeze would replace a 1-day-old certificate whose successor would face
  // the same freeze; the planner renews inside the freeze instead.
  RenewalPolicy policy = NoJitter();
  policy.freezes.push_back(Freeze(kT0 + 2 * kDay, kT0 + 200 * kDay));
  RenewalPlan p = Plan(Cert(kT0, 90 * kDay), kT0 + kDay, policy);
  EXPECT_EQ(p.reason, RenewalReason::kFreezeOverridden);
  EXPECT_EQ(p.renew_at, kT0 + 81 * kDay);
  EXPECT_NE(p.explanation.find("served only"), std::string::npos) << p.explanation;
}

TEST(RenewalPolicyTest, FreezeDoesNotDelayPastTheDeadlineWhenUrgent) {
  RenewalPolicy policy = NoJitter();
  const TimePoint now = kT0 + 85 * kDay;
  policy.freezes.push_back(Freeze(now - kDay, now + kDay));
  RenewalPlan p = Plan(Cert(kT0, 90 * kDay), now, policy);
  EXPECT_EQ(p.reason, RenewalReason::kFreezeOverridden);
  EXPECT_EQ(p.renew_at, now);
  EXPECT_TRUE(p.urgent);
}

// Random certificates, ARI windows, freezes and instants: the invariants hold everywhere.
TEST(RenewalPolicyTest, PropertiesHoldForRandomInputs) {
  SeededRng gen(7);
  const Duration lifetimes[] = {minutes(2), hours(24), 6 * kDay, 45 * kDay, 90 * kDay, 398 * kDay};
  for (int i = 0; i < 20000; ++i) {
    const Duration life = lifetimes[gen.UniformInt(0, 5)];
    const CertificateFacts cert = Cert(kT0, life);
    const auto at = [&](double lo, double hi) {
      return kT0 + Duration(gen.UniformInt(static_cast<int64_t>(life.count() * lo),
                                           static_cast<int64_t>(life.count() * hi)));
    };
    const TimePoint now = at(0, 0.999);
    RenewalPolicy policy;
    if (gen.UniformInt(0, 1)) policy.renew_before = Duration(gen.UniformInt(1, life.count() * 2));
    for (int f = gen.UniformInt(0, 3); f > 0; --f) {
      const TimePoint s = at(-0.2, 1.2);
      policy.freezes.push_back(Freeze(s, s + Duration(gen.UniformInt(1, life.count() / 2))));
    }
    std::optional<AriWindow> ari;
    if (gen.UniformInt(0, 2) == 0) {
      const TimePoint s = at(-0.2, 1.2);
      ari = Ari(s, s + Duration(gen.UniformInt(1, life.count() / 5)));
    }
    SeededRng rng(i);
    auto plan = PlanRenewal(cert, ari, now, policy, rng);
    ASSERT_OK(plan);
    ASSERT_GE(plan->renew_at, now) << plan->explanation;
    ASSERT_LT(plan->renew_at, cert.not_after) << plan->explanation;
    const bool in_freeze = std::any_of(policy.freezes.begin(), policy.freezes.end(), [&](auto& f) {
      return f.start <= plan->renew_at && plan->renew_at < f.end;
    });
    if (in_freeze) {
      ASSERT_EQ(plan->reason, RenewalReason::kFreezeOverridden) << plan->explanation;
    }
    // Own schedules (not ARI, not an override of a freeze) never renew a certificate that has
    // served less than a tenth of its life.
    if (plan->reason == RenewalReason::kLifetimeFraction ||
        plan->reason == RenewalReason::kRenewBefore) {
      ASSERT_GE(plan->renew_at, cert.not_before + life / 10) << plan->explanation;
    }
    ASSERT_FALSE(plan->explanation.empty());
  }
}

TEST(RenewalPolicyTest, FormatSpanRoundsForPeople) {
  EXPECT_EQ(FormatSpan(90 * kDay), "90d");
  EXPECT_EQ(FormatSpan(-(hours(3) + minutes(12) + seconds(7))), "-3h12m");
  EXPECT_EQ(FormatSpan(milliseconds(155'520'000)), "1d19h12m");
  EXPECT_EQ(FormatSpan(milliseconds(2'400)), "2.4s");
  EXPECT_EQ(FormatSpan(milliseconds(-1'000)), "-1s");
  EXPECT_EQ(FormatSpan(Duration(0)), "0s");
  EXPECT_EQ(FormatSpan(minutes(14) + seconds(24)), "14m24s");
}

// --- simulated time -----------------------------------------------------------------------

struct SimResult {
  int renewals = 0;
  Duration min_remaining = Duration::max();
  Duration min_interval = Duration::max();
  Duration max_interval = Duration::zero();
};

// Issue at the clock's start, then repeatedly: plan once, sleep (on the FakeClock) until the
// planned instant, check the certificate is still valid there, renew.
SimResult Simulate(Duration lifetime, Duration span, const RenewalPolicy& policy, uint64_t seed) {
  FakeClock clock(kT0);
  SeededRng rng(seed);
  CertificateFacts cert = Cert(clock.Now(), lifetime);
  SimResult r;
  while (true) {
    auto plan = PlanRenewal(cert, std::nullopt, clock.Now(), policy, rng);
    EXPECT_OK(plan);
    if (!plan.ok() || plan->renew_at >= kT0 + span) break;
    const TimePoint issued = cert.not_before;
    clock.Set(plan->renew_at);
    EXPECT_LT(clock.Now(), cert.not_after) << "expired before renewal " << r.renewals;
    EXPECT_FALSE(plan->urgent);
    for (const auto& f : policy.freezes) {
      EXPECT_FALSE(f.start <= clock.Now() && clock.Now() < f.end) << plan->explanation;
    }
    r.min_remaining =
        std::min(r.min_remaining, duration_cast<Duration>(cert.not_after - clock.Now()));
    const Duration interval = duration_cast<Duration>(clock.Now() - issued);
    r.min_interval = std::min(r.min_interval, interval);
    r.max_interval = std::max(r.max_interval, interval);
    cert = Cert(clock.Now(), lifetime);
    ++r.renewals;
  }
  return r;
}

TEST(RenewalSimulationTest, NinetyDayCertificateForAYear) {
  SimResult r = Simulate(90 * kDay, 365 * kDay, {}, 2026);
  std::cout << "[sim] 90d cert, 365 simulated days: " << r.renewals
            << " renewals, min remaining at renewal " << Days(r.min_remaining) << "d, intervals "
            << Days(r.min_interval) << "d.." << Days(r.max_interval) << "d\n";
  // 60d +- 1.8d between renewals: 6 in a year, each with about 30 days left.
  EXPECT_EQ(r.renewals, 6);
  EXPECT_GE(r.min_remaining, 30 * kDay - milliseconds(155'520'000));
  EXPECT_GE(r.min_interval, 60 * kDay - milliseconds(155'520'000));
}

TEST(RenewalSimulationTest, NinetyDayCertificateForAYearAcrossSeeds) {
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    SimResult r = Simulate(90 * kDay, 365 * kDay, {}, seed);
    EXPECT_GE(r.renewals, 5);
    EXPECT_LE(r.renewals, 6);
    EXPECT_GE(r.min_remaining, 30 * kDay - milliseconds(155'520'000));
  }
}

TEST(RenewalSimulationTest, TwentyFourHourCertificateForAMonth) {
  SimResult r = Simulate(kDay, 30 * kDay, {}, 2026);
  std::cout << "[sim] 24h cert, 30 simulated days: " << r.renewals
            << " renewals, min remaining at renewal " << Days(r.min_remaining) * 24
            << "h, intervals " << Days(r.min_interval) * 24 << "h.." << Days(r.max_interval) * 24
            << "h\n";
  // 12h +- 28.8min between renewals: 58 to 62 in 30 days.
  EXPECT_GE(r.renewals, 58);
  EXPECT_LE(r.renewals, 62);
  EXPECT_GE(r.min_remaining, hours(12) - milliseconds(1'728'000));
  EXPECT_GE(r.min_interval, hours(12) - milliseconds(1'728'000));
}

TEST(RenewalSimulationTest, TwoMinuteCertificateForAnHour) {
  SimResult r = Simulate(minutes(2), hours(1), {}, 2026);
  std::cout << "[sim] 2m cert, 1 simulated hour: " << r.renewals
            << " renewals, min remaining at renewal "
            << duration_cast<milliseconds>(r.min_remaining).count() / 1000.0 << "s\n";
  EXPECT_GE(r.renewals, 57);
  EXPECT_LE(r.renewals, 63);
  EXPECT_GE(r.min_remaining, seconds(57));
}

TEST(RenewalSimulationTest, NinetyDayCertificateForAYearWithFreezes) {
  // Every weekend frozen for the whole year, plus a three-week year-end freeze.
  RenewalPolicy policy;
  for (int week = 0; week < 53; ++week) {
    const TimePoint sat = kT0 + (week * 7 + 5) * kDay;
    policy.freezes.push_back(Freeze(sat, sat + 2 * kDay, "weekend"));
  }
  policy.freezes.push_back(Freeze(kT0 + 110 * kDay, kT0 + 131 * kDay, "year-end"));
  SimResult r = Simulate(90 * kDay, 365 * kDay, policy, 2026);
  std::cout << "[sim] 90d cert with weekend + year-end freezes, 365 days: " << r.renewals
            << " renewals, min remaining " << Days(r.min_remaining) << "d\n";
  EXPECT_GE(r.renewals, 5);
  EXPECT_LE(r.renewals, 7);
  EXPECT_GE(r.min_remaining, 9 * kDay);
}

TEST(RenewalPolicyTest, FreezeAtMergesOverlappingAndTouchingFreezes) {
  const TimePoint t0 = FromUnixSeconds(1'800'000'000);
  const std::vector<ChangeFreeze> freezes = {{t0 + hours(5), t0 + hours(8), "b"},
                                             {t0, t0 + hours(2), "a"},
                                             {t0 + hours(2), t0 + hours(3), "a2"},
                                             {t0 + hours(7), t0 + hours(9), "c"}};
  EXPECT_FALSE(FreezeAt(freezes, t0 - seconds(1)).has_value());
  auto f = FreezeAt(freezes, t0 + hours(1));
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->end, t0 + hours(3)) << "touching freezes are one";
  EXPECT_EQ(f->name, "a+a2");
  EXPECT_FALSE(FreezeAt(freezes, t0 + hours(3)).has_value()) << "the end is not inside";
  f = FreezeAt(freezes, t0 + hours(6));
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->start, t0 + hours(5));
  EXPECT_EQ(f->end, t0 + hours(9));
  EXPECT_FALSE(FreezeAt({}, t0).has_value());
}

}  // namespace
}  // namespace ck::renewal
