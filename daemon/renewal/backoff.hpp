// When to try again after a failed renewal: pure, like the renewal policy (no clock reads).
//
// Exponential backoff with full jitter ("Exponential Backoff And Jitter", AWS Architecture
// Blog, 2015): after the n-th consecutive failure the delay is uniform in
// [1s, min(cap, base * 2^(n-1))]. The 1s floor keeps a failing CA out of a hot loop.
//
// Base and cap scale with the certificate lifetime, because a 2-minute certificate must retry
// within seconds while a 90-day one can wait hours (issue 5: "a 2-minute test certificate must
// not get certbot's 8-minute sleep"):
//   base = clamp(lifetime / 200, 1s, 1min)   90d: 1min   24h: 1min    2m: 1s
//   cap  = clamp(lifetime / 20, 10s, 6h)     90d: 6h     24h: 1h12m   2m: 10s
// With the 1/3 (1/2) renewal point and the 1/10 safety margin this leaves every certificate
// dozens of attempts before expiry (90d: ~30d / 6h = 120 attempts at the cap).
//
// Retry-After (HTTP §10.2.3, ACME rateLimited, RFC 8555 §6.6) is a lower bound, with one
// exception. Let last_useful = not_after - final_margin, final_margin = clamp(lifetime/100,
// base, 1h) (90d: 1h, 24h: 14m24s, 2m: 1.2s): the last instant at which a new certificate can
// still be issued and deployed before the old one expires.
//   * The plain backoff never sleeps past last_useful: there is always a last attempt there.
//   * A Retry-After later than last_useful, while the certificate is still valid, is not
//     honoured beyond it: the attempt happens at last_useful (inside the final margin: on the
//     plain backoff schedule). Respecting a rate limit is not worth an outage when a safe
//     earlier attempt exists; the CA may refuse again, and then we have lost nothing.
//   * Once the certificate has expired, Retry-After is honoured fully: there is nothing left to
//     save, and hammering a rate-limited CA only makes things worse.
#pragma once

#include <optional>

#include "common/clock.hpp"
#include "common/rng.hpp"
#include "common/status.hpp"
#include "daemon/renewal/renewal_policy.hpp"

namespace ck::renewal {

struct FailureHistory {
  int consecutive_failures = 0;  // including the failure just recorded; reset on success
  TimePoint last_failure;
  std::optional<TimePoint> retry_after;  // from the CA's Retry-After / rateLimited problem
};

// Overrides for the lifetime-derived numbers; leave empty for the defaults above.
struct BackoffPolicy {
  std::optional<Duration> base;
  std::optional<Duration> cap;
};

inline constexpr Duration kBackoffFloor = std::chrono::seconds(1);
inline constexpr Duration kMinBase = std::chrono::seconds(1);
inline constexpr Duration kMaxBase = std::chrono::minutes(1);
inline constexpr Duration kMinCap = std::chrono::seconds(10);
inline constexpr Duration kMaxCap = std::chrono::hours(6);
inline constexpr Duration kMaxFinalMargin = std::chrono::hours(1);

struct BackoffBounds {
  Duration base;
  Duration cap;
  Duration final_margin;
};

// InvalidArgument when base/cap are not positive or cap < base.
Status ValidateBackoffPolicy(const BackoffPolicy& policy);

// The numbers in effect for this certificate (overrides applied; cap never below base).
BackoffBounds EffectiveBackoff(const CertificateFacts& cert, const BackoffPolicy& policy);

// The earliest instant of the next attempt, always after h.last_failure. A history with
// consecutive_failures < 1 is treated as one failure.
TimePoint NextAttemptAfterFailure(const FailureHistory& h, const CertificateFacts& cert,
                                  const BackoffPolicy& policy, Rng& rng);

// Multi-CA failover (as certmagic's issuer list): switch to the fallback issuer once the
// primary has failed `failover_after` times in a row. failover_after <= 0 disables failover.
bool ShouldFailOver(const FailureHistory& h, int failover_after);

}  // namespace ck::renewal
