// When to renew a certificate: a pure function of (certificate facts, ARI window, now, policy,
// rng). No clock reads, no I/O, so the policy is a table test and a simulated year runs in
// milliseconds (docs/ARCHITECTURE.md, "Time").
//
// The numbers (issue 5, "Renewal"):
//   * ARI window offered and well-formed: a uniform random instant inside it (RFC 9773 §4.2),
//     "now" if that instant (or the whole window) is already past, the window clamped so it
//     never ends later than the safety deadline below.
//   * Otherwise renew when 1/3 of the lifetime remains, or 1/2 for lifetimes under 10 days,
//     so 6-day and 24-hour certificates still have room for retries.
//   * Jitter: uniform in ±2% of the lifetime (90d: ±43h12m, 6d: ±2h52m, 24h: ±28m48s,
//     2m: ±2.4s). Proportional, so a 2-minute test certificate never gets certbot's fixed
//     8-minute sleep, and always far inside the 1/3 (1/2) margin.
//   * `renew_before` (certbot's renew_before_expiry) replaces the fraction; it is ignored when it
//     is not shorter than the lifetime (it would renew every certificate the instant it is
//     issued) and floored so a certificate serves at least 1/10 of its lifetime.
//   * Safety deadline: not_after - lifetime/10 (90d: 9d, 24h: 2h24m, 2m: 12s before expiry).
//     Freezes may defer a renewal up to, never past, that point; ARI windows are clamped to it.
//   * Change freezes ([start, end)): a renewal that falls inside one moves to the freeze's end
//     (plus forward jitter, so a fleet does not stampede the CA when a global freeze lifts) when
//     that is before the deadline; otherwise it moves before the freeze (leaving lifetime/10 for
//     retries), or, when that is impossible or would replace a certificate that has served less
//     than lifetime/10, renews inside the freeze as late as safely possible and says so.
//   * Expired (now >= not_after) or malformed validity: renew now, urgent. Nothing defers it.
//
// Stable plans: the scheduler should plan once per (certificate, ARI window, policy) and keep
// renew_at; re-planning at every wake re-rolls the dice and skews renewals early. Seeding the
// Rng from the certificate serial (SeededRng(hash(serial))) makes re-planning idempotent too.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/rng.hpp"
#include "common/status.hpp"

namespace ck::renewal {

// Millisecond resolution: a 2-minute certificate's jitter is a couple of seconds.
using Duration = std::chrono::milliseconds;

// What the planner needs to know about the certificate in service.
struct CertificateFacts {
  TimePoint not_before;
  TimePoint not_after;
};

// RFC 9773 suggestedWindow.
struct AriWindow {
  TimePoint start;
  TimePoint end;
  std::string explanation_url;  // optional, quoted in the explanation
};

// A change freeze: no renewal is scheduled in [start, end) unless expiry would come first.
struct ChangeFreeze {
  TimePoint start;
  TimePoint end;
  std::string name;  // e.g. "black-friday"; quoted in the explanation
  bool operator==(const ChangeFreeze&) const = default;
};

struct RenewalPolicy {
  // Renew this long before expiry instead of at the lifetime fraction.
  std::optional<Duration> renew_before;
  // Jitter is uniform in [-f, +f] * lifetime. 0 disables it. Valid range [0, 0.1].
  double jitter_fraction = 0.02;
  // Freeze intervals; may overlap and need not be sorted.
  std::vector<ChangeFreeze> freezes;
};

// Policy constants, exposed so tests and status output can quote them.
inline constexpr Duration kShortLivedThreshold = std::chrono::hours(24 * 10);
inline constexpr double kDefaultRemainingFraction = 1.0 / 3.0;
inline constexpr double kShortLivedRemainingFraction = 1.0 / 2.0;
// Both the minimum service time and the safety deadline's margin, as a lifetime fraction.
inline constexpr int64_t kSafetyDivisor = 10;
inline constexpr double kMaxJitterFraction = 0.1;

enum class RenewalReason {
  kLifetimeFraction,  // 1/3 (or 1/2) of the lifetime remains
  kRenewBefore,       // policy.renew_before
  kAriWindow,         // random instant in the ARI window
  kAriWindowPast,     // the ARI window (or the instant picked in it) is already past
  kAriWindowClamped,  // the ARI window reached past the safety deadline and was clamped
  kDeferredByFreeze,  // moved to the end of a change freeze
  kBeforeFreeze,      // moved before a freeze that outlasts the safety deadline
  kFreezeOverridden,  // inside a freeze, but expiry comes first: as late as safely possible
  kExpired,           // already expired
  kInvalidValidity,   // not_after <= not_before: the certificate is unusable
};

std::string_view RenewalReasonName(RenewalReason reason);  // e.g. "lifetime_fraction"

struct RenewalPlan {
  TimePoint renew_at;  // never before `now`: an overdue plan says "now"
  RenewalReason reason = RenewalReason::kLifetimeFraction;
  // The fraction/renew_before/ARI instant before freezes moved it (after jitter). Diagnostics.
  TimePoint nominal_at;
  // not_after - lifetime/10: the latest instant a renewal is considered safe.
  TimePoint deadline;
  // True when expired, malformed, or at/after the safety deadline: alert-worthy.
  bool urgent = false;
  // One line for logs, `certkeeper ls` and the dashboard, e.g.
  // "1/3 of the 90d lifetime remains at 2026-03-01T12:00:00Z; jitter -3h12m".
  std::string explanation;
};

// InvalidArgument for a malformed policy (renew_before <= 0, jitter fraction out of [0, 0.1],
// a freeze whose end is not after its start). Config loading should call this too.
Status ValidateRenewalPolicy(const RenewalPolicy& policy);

// The renewal plan. Errors only for an invalid policy; a malformed certificate is a fact to act
// on (renew now), not an error.
Result<RenewalPlan> PlanRenewal(const CertificateFacts& cert, const std::optional<AriWindow>& ari,
                                TimePoint now, const RenewalPolicy& policy, Rng& rng);

// The change freeze in force at `t`, overlapping and touching freezes merged into one (so its
// end is when changes are allowed again; names joined with '+'); nullopt outside every freeze.
std::optional<ChangeFreeze> FreezeAt(const std::vector<ChangeFreeze>& freezes, TimePoint t);

// "90d", "2h24m", "-3h12m", "2.4s": a span rounded to what a person wants to read.
std::string FormatSpan(Duration d);

}  // namespace ck::renewal
