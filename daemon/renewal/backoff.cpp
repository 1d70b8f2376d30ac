#include "daemon/renewal/backoff.hpp"

#include <algorithm>

namespace ck::renewal {
namespace {

Duration Lifetime(const CertificateFacts& cert) {
  // A malformed certificate (not_after <= not_before) gets the shortest numbers: it needs
  // replacing urgently.
  if (cert.not_after <= cert.not_before) return Duration(0);
  return std::chrono::duration_cast<Duration>(cert.not_after - cert.not_before);
}

}  // namespace

Status ValidateBackoffPolicy(const BackoffPolicy& policy) {
  if (policy.base && policy.base->count() <= 0) {
    return InvalidArgumentError("backoff base must be positive, got " + FormatSpan(*policy.base));
  }
  if (policy.cap && policy.cap->count() <= 0) {
    return InvalidArgumentError("backoff cap must be positive, got " + FormatSpan(*policy.cap));
  }
  if (policy.base && policy.cap && *policy.cap < *policy.base) {
    return InvalidArgumentError("backoff cap " + FormatSpan(*policy.cap) + " is below base " +
                                FormatSpan(*policy.base));
  }
  return OkStatus();
}

BackoffBounds EffectiveBackoff(const CertificateFacts& cert, const BackoffPolicy& policy) {
  const Duration lifetime = Lifetime(cert);
  BackoffBounds b;
  b.base = policy.base && policy.base->count() > 0 ? *policy.base
                                                   : std::clamp(lifetime / 200, kMinBase, kMaxBase);
  b.cap = policy.cap && policy.cap->count() > 0 ? *policy.cap
                                                : std::clamp(lifetime / 20, kMinCap, kMaxCap);
  b.cap = std::max(b.cap, b.base);
  b.final_margin = std::clamp(lifetime / 100, std::min(b.base, kMaxFinalMargin), kMaxFinalMargin);
  return b;
}

TimePoint NextAttemptAfterFailure(const FailureHistory& h, const CertificateFacts& cert,
                                  const BackoffPolicy& policy, Rng& rng) {
  const BackoffBounds b = EffectiveBackoff(cert, policy);
  const int n = std::max(h.consecutive_failures, 1);

  // ceiling = min(cap, base * 2^(n-1)), doubling step by step so large n cannot overflow.
  Duration ceiling = b.base;
  for (int i = 1; i < n && ceiling < b.cap; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, b.cap);
  const Duration floor = std::min(kBackoffFloor, ceiling);
  const Duration delay = Duration(rng.UniformInt(floor.count(), ceiling.count()));
  TimePoint next = h.last_failure + delay;

  const TimePoint last_useful = cert.not_after - b.final_margin;
  const bool before_last_useful = h.last_failure < last_useful;
  // The plain backoff never sleeps through the last useful instant.
  if (before_last_useful) next = std::min(next, last_useful);

  if (h.retry_after && *h.retry_after > next) {
    const bool still_valid = h.last_failure < cert.not_after;
    if (*h.retry_after <= last_useful || !still_valid) {
      next = *h.retry_after;  // a lower bound that costs nothing (or nothing is left to save)
    } else if (before_last_useful) {
      next = last_useful;  // honour the rate limit as far as expiry allows
    }
    // else: inside the final margin of a still-valid certificate: keep the plain backoff.
  }
  return next;
}

bool ShouldFailOver(const FailureHistory& h, int failover_after) {
  return failover_after > 0 && h.consecutive_failures >= failover_after;
}

}  // namespace ck::renewal
