#include "daemon/renewal/backoff.hpp"

#include <gtest/gtest.h>

#include <climits>
#include <iostream>

#include "common/clock.hpp"
#include "common/rng.hpp"
#include "daemon/renewal/renewal_policy.hpp"
#include "tests/testing/status_matchers.hpp"

namespace ck::renewal {
namespace {

using std::chrono::duration_cast;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr hours kDay(24);
const TimePoint kT0 = FromUnixSeconds(1'700'000'000);

CertificateFacts Cert(TimePoint not_before, Duration lifetime) {
  CertificateFacts c;
  c.not_before = not_before;
  c.not_after = not_before + lifetime;
  return c;
}

FailureHistory Failures(int n, TimePoint last, std::optional<TimePoint> retry_after = {}) {
  FailureHistory h;
  h.consecutive_failures = n;
  h.last_failure = last;
  h.retry_after = retry_after;
  return h;
}

Duration Delay(const FailureHistory& h, const CertificateFacts& cert, uint64_t seed,
               const BackoffPolicy& policy = {}) {
  SeededRng rng(seed);
  return duration_cast<Duration>(NextAttemptAfterFailure(h, cert, policy, rng) - h.last_failure);
}

struct BoundsCase {
  const char* name;
  Duration lifetime;
  Duration base;
  Duration cap;
  Duration final_margin;
};

class BackoffBoundsTable : public ::testing::TestWithParam<BoundsCase> {};

TEST_P(BackoffBoundsTable, ScaleWithTheLifetime) {
  const BoundsCase& c = GetParam();
  BackoffBounds b = EffectiveBackoff(Cert(kT0, c.lifetime), {});
  EXPECT_EQ(b.base, c.base) << c.name;
  EXPECT_EQ(b.cap, c.cap) << c.name;
  EXPECT_EQ(b.final_margin, c.final_margin) << c.name;
}

INSTANTIATE_TEST_SUITE_P(
    BackoffLifetimes, BackoffBoundsTable,
    ::testing::Values(BoundsCase{"90d", 90 * kDay, minutes(1), hours(6), hours(1)},
                      BoundsCase{"45d", 45 * kDay, minutes(1), hours(6), hours(1)},
                      BoundsCase{"6d", 6 * kDay, minutes(1), hours(6), hours(1)},
                      BoundsCase{"24h", kDay, minutes(1), minutes(72), minutes(14) + seconds(24)},
                      BoundsCase{"1h", hours(1), seconds(18), minutes(3), seconds(36)},
                      BoundsCase{"2m", minutes(2), seconds(1), seconds(10), milliseconds(1200)}),
    [](const auto& info) { return std::string("L") + info.param.name; });

TEST(BackoffTest, GrowsExponentiallyWithFullJitterUpToTheCap) {
  const CertificateFacts cert = Cert(kT0, 90 * kDay);
  const TimePoint last = kT0 + 60 * kDay;
  Duration expected_ceiling = minutes(1);
  for (int n = 1; n <= 14; ++n) {
    const Duration ceiling = std::min<Duration>(expected_ceiling, hours(6));
    Duration lo = Duration::max();
    Duration hi = Duration::zero();
    double sum = 0;
    constexpr int kSeeds = 2000;
    for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
      const Duration d = Delay(Failures(n, last), cert, seed * 1000 + n);
      ASSERT_GE(d, seconds(1)) << "n=" << n;
      ASSERT_LE(d, ceiling) << "n=" << n;
      lo = std::min(lo, d);
      hi = std::max(hi, d);
      sum += static_cast<double>(d.count());
    }
    // Full jitter: spread over the whole [1s, ceiling], mean near ceiling / 2.
    EXPECT_GT(hi, ceiling * 95 / 100) << "n=" << n;
    EXPECT_LT(lo, ceiling * 5 / 100 + seconds(1)) << "n=" << n;
    const double mean = sum / kSeeds;
    EXPECT_NEAR(mean / static_cast<double>(ceiling.count()), 0.5, 0.05) << "n=" << n;
    expected_ceiling *= 2;
  }
}

TEST(BackoffTest, HugeFailureCountsStayAtTheCap) {
  const CertificateFacts cert = Cert(kT0, 90 * kDay);
  for (int n : {30, 64, 1000, INT_MAX}) {
    for (uint64_t seed = 1; seed <= 50; ++seed) {
      const Duration d = Delay(Failures(n, kT0 + kDay), cert, seed);
      EXPECT_GE(d, seconds(1));
      EXPECT_LE(d, hours(6));
    }
  }
}

TEST(BackoffTest, ZeroFailuresCountsAsOne) {
  const CertificateFacts cert = Cert(kT0, 90 * kDay);
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    EXPECT_EQ(Delay(Failures(0, kT0 + kDay), cert, seed),
              Delay(Failures(1, kT0 + kDay), cert, seed));
    EXPECT_LE(Delay(Failures(-3, kT0 + kDay), cert, seed), minutes(1));
  }
}

TEST(BackoffTest, TwoMinuteCertificateRetriesWithinSeconds) {
  const CertificateFacts cert = Cert(kT0, minutes(2));
  for (int n = 1; n <= 20; ++n) {
    for (uint64_t seed = 1; seed <= 50; ++seed) {
      const Duration d = Delay(Failures(n, kT0 + seconds(60)), cert, seed);
      EXPECT_GT(d, Duration(0));
      EXPECT_LE(d, seconds(10));
    }
  }
}

TEST(BackoffTest, DeterministicForASeed) {
  const CertificateFacts cert = Cert(kT0, 90 * kDay);
  EXPECT_EQ(Delay(Failures(5, kT0 + kDay), cert, 9), Delay(Failures(5, kT0 + kDay), cert, 9));
  EXPECT_NE(Delay(Failures(5, kT0 + kDay), cert, 9), Delay(Failures(5, kT0 + kDay), cert, 10));
}

TEST(BackoffTest, RetryAfterIsALowerBound) {
  const CertificateFacts cert = Cert(kT0, 90 * kDay);
  const TimePoint last = kT0 + 60 * kDay;
  SeededRng rng(1);
  // Later than the backoff: honoured exactly.
  EXPECT_EQ(NextAttemptAfterFailure(Failures(1, last, last + hours(3)), cert, {}, rng),
            last + hours(3));
  // A week-long rate limit, well before expiry: honoured.
  EXPECT_EQ(NextAttemptAfterFailure(Failures(2, last, last + 7 * kDay), cert, {}, rng),
            last + 7 * kDay);
  // Earlier than the backoff: the backoff wins.
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    SeededRng r(seed);
    const TimePoint next =
        NextAttemptAfterFailure(Failures(10, last, last + milliseconds(1)), cert, {}, r);
    EXPECT_EQ(next, last + Delay(Failures(10, last), cert, seed));
  }
}

TEST(BackoffTest, RetryAfterPastExpiryIsCutToTheLastUsefulInstant) {
  const CertificateFacts cert = Cert(kT0, 90 * kDay);
  const TimePoint last = kT0 + 80 * kDay;
  SeededRng rng(1);
  const TimePoint next =
      NextAttemptAfterFailure(Failures(3, last, cert.not_after + 5 * kDay), cert, {}, rng);
  EXPECT_EQ(next, cert.not_after - hours(1));
}

TEST(BackoffTest, InsideTheFinalMarginRetryAfterPastExpiryIsNotHonoured) {
  const CertificateFacts cert = Cert(kT0, 90 * kDay);
  const TimePoint last = cert.not_after - minutes(30);
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    SeededRng rng(seed);
    const TimePoint next =
        NextAttemptAfterFailure(Failures(1, last, cert.not_after + kDay), cert, {}, rng);
    EXPECT_GT(next, last);
    EXPECT_LE(next, last + minutes(1));  // the plain backoff for a first failure
  }
}

TEST(BackoffTest, AfterExpiryRetryAfterIsHonouredFully) {
  const CertificateFacts cert = Cert(kT0, 90 * kDay);
  const TimePoint last = cert.not_after + hours(2);
  SeededRng rng(1);
  EXPECT_EQ(NextAttemptAfterFailure(Failures(4, last, last + 3 * kDay), cert, {}, rng),
            last + 3 * kDay);
}

TEST(BackoffTest, BackoffNeverSleepsThroughTheLastUsefulInstant) {
  const CertificateFacts cert = Cert(kT0, minutes(2));
  const TimePoint last_useful = cert.not_after - milliseconds(1200);
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    SeededRng rng(seed);
    const TimePoint last = cert.not_after - seconds(5);
    const TimePoint next = NextAttemptAfterFailure(Failures(10, last), cert, {}, rng);
    EXPECT_GT(next, last);
    EXPECT_LE(next, last_useful);
  }
}

TEST(BackoffTest, OverridesAndValidation) {
  const CertificateFacts cert = Cert(kT0, 90 * kDay);
  BackoffPolicy p;
  p.base = seconds(5);
  p.cap = seconds(30);
  EXPECT_OK(ValidateBackoffPolicy(p));
  BackoffBounds b = EffectiveBackoff(cert, p);
  EXPECT_EQ(b.base, seconds(5));
  EXPECT_EQ(b.cap, seconds(30));
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    EXPECT_LE(Delay(Failures(1, kT0 + kDay), cert, seed, p), seconds(5));
    EXPECT_LE(Delay(Failures(9, kT0 + kDay), cert, seed, p), seconds(30));
  }

  BackoffPolicy inverted;
  inverted.base = minutes(5);
  inverted.cap = minutes(1);
  BackoffPolicy zero;
  zero.base = Duration(0);
  BackoffPolicy negative_cap;
  negative_cap.cap = -seconds(1);
  for (const BackoffPolicy* bad : {&inverted, &zero, &negative_cap}) {
    EXPECT_EQ(ValidateBackoffPolicy(*bad).code(), StatusCode::kInvalidArgument);
  }
  // A cap override below the lifetime-derived base still leaves a usable cap.
  BackoffPolicy low_cap;
  low_cap.cap = seconds(10);
  EXPECT_EQ(EffectiveBackoff(cert, low_cap).cap, minutes(1));
}

TEST(BackoffTest, ShouldFailOverAfterNFailures) {
  struct Case {
    int failures;
    int failover_after;
    bool expected;
  };
  const Case cases[] = {{0, 3, false}, {2, 3, false}, {3, 3, true},  {7, 3, true},
                        {1, 1, true},  {9, 0, false}, {9, -1, false}};
  for (const Case& c : cases) {
    EXPECT_EQ(ShouldFailOver(Failures(c.failures, kT0), c.failover_after), c.expected)
        << c.failures << " failures, failover_after " << c.failover_after;
  }
}

// A year of a 90-day certificate against a flaky CA: 40% of attempts fail, two multi-day
// outages, and a week-long rate limit. Renewal plans and backoff drive a FakeClock; the
// certificate must never expire.
TEST(BackoffSimulationTest, FlakyCaForAYearNeverLetsTheCertificateExpire) {
  FakeClock clock(kT0);
  SeededRng rng(2026);
  SeededRng ca(99);
  const Duration lifetime = 90 * kDay;
  CertificateFacts cert = Cert(clock.Now(), lifetime);
  const auto outage = [&](TimePoint t) {
    return (t >= kT0 + 59 * kDay && t < kT0 + 64 * kDay) ||
           (t >= kT0 + 175 * kDay && t < kT0 + 185 * kDay);
  };
  const TimePoint rate_limited_at = kT0 + 300 * kDay;
  bool rate_limit_used = false;
  int renewals = 0;
  int attempts = 0;
  int max_streak = 0;
  Duration min_remaining = Duration::max();
  FailureHistory h;
  auto plan = PlanRenewal(cert, std::nullopt, clock.Now(), {}, rng);
  ASSERT_OK(plan);
  TimePoint next = plan->renew_at;
  while (next < kT0 + 365 * kDay) {
    clock.Set(next);
    ASSERT_LT(clock.Now(), cert.not_after) << "expired after " << renewals << " renewals";
    ++attempts;
    const bool rate_limit = !rate_limit_used && clock.Now() >= rate_limited_at;
    const bool fails = outage(clock.Now()) || rate_limit || ca.Uniform01() < 0.4;
    if (fails) {
      h.consecutive_failures++;
      h.last_failure = clock.Now();
      h.retry_after.reset();
      if (rate_limit) {
        h.retry_after = clock.Now() + 7 * kDay;
        rate_limit_used = true;
      }
      max_streak = std::max(max_streak, h.consecutive_failures);
      next = NextAttemptAfterFailure(h, cert, {}, rng);
      ASSERT_GT(next, clock.Now());
      continue;
    }
    min_remaining = std::min(min_remaining, duration_cast<Duration>(cert.not_after - clock.Now()));
    cert = Cert(clock.Now(), lifetime);
    ++renewals;
    h = FailureHistory{};
    plan = PlanRenewal(cert, std::nullopt, clock.Now(), {}, rng);
    ASSERT_OK(plan);
    next = plan->renew_at;
  }
  std::cout << "[sim] 90d cert vs flaky CA, 365 days: " << renewals << " renewals, " << attempts
            << " attempts, longest failure streak " << max_streak << ", min remaining "
            << duration_cast<milliseconds>(min_remaining).count() / 86'400'000.0 << "d\n";
  EXPECT_TRUE(rate_limit_used);
  EXPECT_GE(renewals, 5);
  EXPECT_LE(renewals, 7);
  EXPECT_GE(min_remaining, 15 * kDay);
}

// A 24-hour certificate for a month against a CA that is down for 3 hours every 4 days.
TEST(BackoffSimulationTest, ShortLivedCertificateSurvivesOutages) {
  FakeClock clock(kT0);
  SeededRng rng(7);
  const Duration lifetime = kDay;
  CertificateFacts cert = Cert(clock.Now(), lifetime);
  FailureHistory h;
  int renewals = 0;
  Duration min_remaining = Duration::max();
  auto plan = PlanRenewal(cert, std::nullopt, clock.Now(), {}, rng);
  ASSERT_OK(plan);
  TimePoint next = plan->renew_at;
  while (next < kT0 + 30 * kDay) {
    clock.Set(next);
    ASSERT_LT(clock.Now(), cert.not_after);
    const auto since = duration_cast<Duration>(clock.Now() - kT0) % (4 * kDay);
    if (since >= 2 * kDay && since < 2 * kDay + hours(3)) {
      h.consecutive_failures++;
      h.last_failure = clock.Now();
      next = NextAttemptAfterFailure(h, cert, {}, rng);
      continue;
    }
    min_remaining = std::min(min_remaining, duration_cast<Duration>(cert.not_after - clock.Now()));
    cert = Cert(clock.Now(), lifetime);
    ++renewals;
    h = FailureHistory{};
    plan = PlanRenewal(cert, std::nullopt, clock.Now(), {}, rng);
    ASSERT_OK(plan);
    next = plan->renew_at;
  }
  std::cout << "[sim] 24h cert with 3h outages every 4 days, 30 days: " << renewals
            << " renewals, min remaining " << duration_cast<minutes>(min_remaining).count() / 60.0
            << "h\n";
  EXPECT_GE(renewals, 55);
  EXPECT_GE(min_remaining, hours(8));
}

}  // namespace
}  // namespace ck::renewal
