#include "daemon/renewal/renewal_policy.hpp"

#include <algorithm>
#include <cmath>

#include "common/duration.hpp"

namespace ck::renewal {
namespace {

using std::chrono::duration_cast;

Duration ToDuration(std::chrono::system_clock::duration d) { return duration_cast<Duration>(d); }

// Uniform in [lo, hi] (inclusive), whole milliseconds.
Duration UniformSpan(Rng& rng, Duration lo, Duration hi) {
  if (hi <= lo) return lo;
  return Duration(rng.UniformInt(lo.count(), hi.count()));
}

Duration Scale(Duration d, double factor) {
  return Duration(static_cast<int64_t>(std::llround(static_cast<double>(d.count()) * factor)));
}

std::string At(TimePoint t) { return FormatRfc3339(t); }

std::string WithSign(Duration d) { return (d.count() >= 0 ? "+" : "") + FormatSpan(d); }

// Freezes after sorting and merging overlapping or touching intervals, so "the end of the freeze
// containing t" is never inside another freeze.
struct Freeze {
  TimePoint start;
  TimePoint end;
  std::string name;
};

std::vector<Freeze> MergeFreezes(const std::vector<ChangeFreeze>& in) {
  std::vector<Freeze> sorted;
  sorted.reserve(in.size());
  for (const auto& f : in) sorted.push_back(Freeze{f.start, f.end, f.name});
  std::sort(sorted.begin(), sorted.end(),
            [](const Freeze& a, const Freeze& b) { return a.start < b.start; });
  std::vector<Freeze> merged;
  for (auto& f : sorted) {
    if (!merged.empty() && f.start <= merged.back().end) {
      merged.back().end = std::max(merged.back().end, f.end);
      if (!f.name.empty()) {
        merged.back().name += merged.back().name.empty() ? f.name : "+" + f.name;
      }
    } else {
      merged.push_back(std::move(f));
    }
  }
  return merged;
}

std::string Describe(const Freeze& f) {
  std::string name = f.name.empty() ? "change freeze" : "change freeze '" + f.name + "'";
  return name + " [" + At(f.start) + ", " + At(f.end) + ")";
}

std::string FractionText(double fraction) {
  return fraction == kShortLivedRemainingFraction ? "1/2" : "1/3";
}

}  // namespace

std::optional<ChangeFreeze> FreezeAt(const std::vector<ChangeFreeze>& freezes, TimePoint t) {
  for (const auto& f : MergeFreezes(freezes)) {
    if (t >= f.start && t < f.end) return ChangeFreeze{f.start, f.end, f.name};
  }
  return std::nullopt;
}

std::string_view RenewalReasonName(RenewalReason reason) {
  switch (reason) {
    case RenewalReason::kLifetimeFraction: return "lifetime_fraction";
    case RenewalReason::kRenewBefore: return "renew_before";
    case RenewalReason::kAriWindow: return "ari_window";
    case RenewalReason::kAriWindowPast: return "ari_window_past";
    case RenewalReason::kAriWindowClamped: return "ari_window_clamped";
    case RenewalReason::kDeferredByFreeze: return "deferred_by_freeze";
    case RenewalReason::kBeforeFreeze: return "before_freeze";
    case RenewalReason::kFreezeOverridden: return "freeze_overridden";
    case RenewalReason::kExpired: return "expired";
    case RenewalReason::kInvalidValidity: return "invalid_validity";
  }
  return "unknown";
}

std::string FormatSpan(Duration d) {
  const bool negative = d.count() < 0;
  const int64_t ms = negative ? -d.count() : d.count();
  std::string body;
  if (ms < 60'000) {
    // Sub-minute spans matter for short-lived test certificates: keep a tenth of a second.
    const int64_t tenths = (ms + 50) / 100;
    body = std::to_string(tenths / 10);
    if (tenths % 10 != 0) body += "." + std::to_string(tenths % 10);
    body += "s";
  } else if (ms < 3'600'000) {
    body = FormatDuration(std::chrono::seconds((ms + 500) / 1000));
  } else {
    body = FormatDuration(std::chrono::minutes((ms + 30'000) / 60'000));
  }
  return negative ? "-" + body : body;
}

Status ValidateRenewalPolicy(const RenewalPolicy& policy) {
  if (policy.renew_before && policy.renew_before->count() <= 0) {
    return InvalidArgumentError("renew_before must be positive, got " +
                                FormatSpan(*policy.renew_before));
  }
  if (!(policy.jitter_fraction >= 0.0 && policy.jitter_fraction <= kMaxJitterFraction)) {
    return InvalidArgumentError("jitter fraction must be within [0, 0.1], got " +
                                std::to_string(policy.jitter_fraction));
  }
  for (const auto& f : policy.freezes) {
    if (f.end <= f.start) {
      return InvalidArgumentError("change freeze '" + f.name + "': end " + At(f.end) +
                                  " is not after start " + At(f.start));
    }
  }
  return OkStatus();
}

Result<RenewalPlan> PlanRenewal(const CertificateFacts& cert, const std::optional<AriWindow>& ari,
                                TimePoint now, const RenewalPolicy& policy, Rng& rng) {
  RETURN_IF_ERROR(ValidateRenewalPolicy(policy));
  RenewalPlan plan;

  // A certificate that can never be valid is replaced at once, whatever the freezes say.
  if (cert.not_after <= cert.not_before) {
    plan.renew_at = plan.nominal_at = plan.deadline = now;
    plan.reason = RenewalReason::kInvalidValidity;
    plan.urgent = true;
    plan.explanation = "validity is malformed (not_after " + At(cert.not_after) +
                       " is not after not_before " + At(cert.not_before) + "); renew now";
    return plan;
  }

  const Duration lifetime = ToDuration(cert.not_after - cert.not_before);
  const Duration margin = lifetime / kSafetyDivisor;
  // Latest safe renewal: leaves lifetime/10 for retries and deployment.
  plan.deadline = cert.not_after - margin;
  // Earliest sensible renewal for our own schedule: a certificate serves at least lifetime/10.
  const TimePoint floor = cert.not_before + margin;
  const Duration jitter_bound = Scale(lifetime, policy.jitter_fraction);

  // Expired: renew now. A freeze cannot make an outage any better.
  if (now >= cert.not_after) {
    plan.renew_at = plan.nominal_at = now;
    plan.reason = RenewalReason::kExpired;
    plan.urgent = true;
    plan.explanation = "expired at " + At(cert.not_after) + " (" +
                       FormatSpan(ToDuration(now - cert.not_after)) + " ago); renew now";
    return plan;
  }

  // 1. The nominal instant: ARI when offered, else renew_before or the lifetime fraction.
  std::string text;
  std::string note;  // prefix for ignored inputs
  bool use_ari = false;
  if (ari) {
    if (ari->end > ari->start) {
      use_ari = true;
    } else {
      // RFC 9773 §4.2 windows have end after start; a malformed one is as good as none.
      note = "ARI window [" + At(ari->start) + ", " + At(ari->end) + ") is malformed; ignored. ";
    }
  }
  const std::string ari_url =
      ari && !ari->explanation_url.empty() ? " (" + ari->explanation_url + ")" : "";

  if (use_ari) {
    const std::string window = "[" + At(ari->start) + ", " + At(ari->end) + ")";
    if (ari->end <= now) {
      // RFC 9773 §4.2: a selected time in the past means "attempt renewal immediately"; a window
      // that is over entirely is the limiting case.
      plan.nominal_at = now;
      plan.reason = RenewalReason::kAriWindowPast;
      text = "ARI window " + window + " already ended" + ari_url + "; renew now";
    } else if (ari->start >= plan.deadline) {
      // A window reaching past the deadline would leave no room for retries before expiry.
      plan.nominal_at = plan.deadline;
      plan.reason = RenewalReason::kAriWindowClamped;
      text = "ARI window " + window + ari_url + " starts after the safety deadline " +
             At(plan.deadline) + " (" + FormatSpan(margin) + " before expiry); clamped to it";
    } else {
      const TimePoint end = std::min(ari->end, plan.deadline);
      const bool clamped = ari->end > plan.deadline;
      // RFC 9773 §4.2: "Select a uniform random time within the suggested window."
      plan.nominal_at =
          ari->start + UniformSpan(rng, Duration(0), ToDuration(end - ari->start) - Duration(1));
      plan.reason = clamped ? RenewalReason::kAriWindowClamped : RenewalReason::kAriWindow;
      text = "random instant " + At(plan.nominal_at) + " in ARI window " + window + ari_url;
      if (clamped) text += " clamped to end at the safety deadline " + At(plan.deadline);
    }
  } else {
    const bool override_usable = policy.renew_before && *policy.renew_before < lifetime;
    if (policy.renew_before && !override_usable) {
      // Honouring it would renew every certificate the moment it is issued.
      note += "renew_before " + FormatSpan(*policy.renew_before) + " is not shorter than the " +
              FormatSpan(lifetime) + " lifetime; ignored. ";
    }
    TimePoint base;
    Duration jitter;
    if (override_usable) {
      base = cert.not_after - *policy.renew_before;
      plan.reason = RenewalReason::kRenewBefore;
      text = "renew_before " + FormatSpan(*policy.renew_before) + ": " + At(base);
      if (base < floor) {
        base = floor;
        text += ", floored to " + At(floor) + " (a certificate serves at least lifetime/10)";
      }
      // renew_before reads as "at least this long before expiry": jitter only moves it earlier.
      jitter = UniformSpan(rng, -jitter_bound, Duration(0));
      if (base + jitter < floor) jitter = ToDuration(floor - base);
    } else {
      const double fraction = lifetime < kShortLivedThreshold ? kShortLivedRemainingFraction
                                                              : kDefaultRemainingFraction;
      base = cert.not_after - Scale(lifetime, fraction);
      plan.reason = RenewalReason::kLifetimeFraction;
      text = FractionText(fraction) + " of the " + FormatSpan(lifetime) + " lifetime remains at " +
             At(base);
      jitter = UniformSpan(rng, -jitter_bound, jitter_bound);
    }
    plan.nominal_at = base + jitter;
    text += "; jitter " + WithSign(jitter);
  }
  text = note + text;

  // 2. Change freezes. Everything below is relative to the candidate, never earlier than now.
  const TimePoint candidate = std::max(now, plan.nominal_at);
  if (candidate > plan.nominal_at && plan.reason != RenewalReason::kAriWindowPast) {
    text += "; overdue since " + At(plan.nominal_at) + ", renew now";
  }
  // An explicit renew_before later than the deadline is the operator's idea of "safe".
  const TimePoint latest = std::max(plan.deadline, candidate);
  plan.renew_at = candidate;

  const std::vector<Freeze> freezes = MergeFreezes(policy.freezes);
  auto it = std::find_if(freezes.begin(), freezes.end(), [&](const Freeze& f) {
    return f.start <= candidate && candidate < f.end;
  });
  if (it != freezes.end()) {
    const Freeze& f = *it;
    const Freeze* next = std::next(it) != freezes.end() ? &*std::next(it) : nullptr;
    const Freeze* prev = it != freezes.begin() ? &*std::prev(it) : nullptr;
    if (f.end <= latest) {
      // Defer to the end of the freeze, spreading a fleet over the jitter bound (but never into
      // the next freeze or past the deadline).
      TimePoint hi = std::min(f.end + jitter_bound, latest + Duration(1));
      if (next) hi = std::min(hi, next->start);
      const Duration spread = ToDuration(hi - f.end) - Duration(1);
      plan.renew_at = f.end + UniformSpan(rng, Duration(0), spread);
      plan.reason = RenewalReason::kDeferredByFreeze;
      text += "; inside " + Describe(f) + ", deferred to " + At(plan.renew_at);
    } else {
      // The freeze outlasts the deadline: "no renewal inside a change freeze unless expiry would
      // come first" (issue 5). Prefer renewing before it, with lifetime/10 left for retries.
      std::string why;
      bool before = false;
      if (f.start > now) {
        TimePoint b = f.start - margin;
        if (prev && b < prev->end) b = prev->end;  // the earliest instant of the free gap
        b = std::max(b, now);
        if (b >= floor && b < f.start) {
          plan.renew_at = b;
          plan.reason = RenewalReason::kBeforeFreeze;
          text += "; " + Describe(f) + " outlasts the safety deadline " + At(plan.deadline) +
                  ", renewing before it at " + At(b);
          before = true;
        } else {
          // Renewing now would replace a fresh certificate, whose successor would face the
          // same freeze: a renewal loop. Renew inside the freeze instead.
          why = " (renewing before it would replace a certificate that has served only " +
                FormatSpan(ToDuration(b - cert.not_before)) + ")";
        }
      }
      if (!before) {
        plan.renew_at = latest;
        plan.reason = RenewalReason::kFreezeOverridden;
        text += "; inside " + Describe(f) + ", which ends after the safety deadline " +
                At(plan.deadline) +
                ": expiry comes first, renewing as late as safely possible at " + At(latest) + why;
      }
    }
  }

  plan.urgent = now >= plan.deadline;
  if (plan.urgent) text += "; urgent: less than " + FormatSpan(margin) + " left before expiry";
  plan.explanation = std::move(text);
  return plan;
}

}  // namespace ck::renewal
