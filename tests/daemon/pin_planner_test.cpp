#include "daemon/pins/pin_planner.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <iostream>

#include "common/clock.hpp"
#include "common/encoding.hpp"
#include "common/rng.hpp"
#include "daemon/renewal/renewal_policy.hpp"
#include "tests/testing/status_matchers.hpp"

namespace ck::pins {
namespace {

using std::chrono::duration_cast;
using std::chrono::hours;

constexpr hours kDay(24);
constexpr Duration kOverlap = duration_cast<Duration>(30 * kDay);
const TimePoint kT0 = FromUnixSeconds(1'700'000'000);

// A syntactically valid pin (base64 of 32 bytes) that is unique per n.
std::string PinFor(int64_t n) {
  Bytes b(32);
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>((n >> (8 * (i % 8))) + i);
  return Base64Encode(b);
}

NewKey Key(int64_t n) {
  NewKey k;
  k.key_id = n;
  k.pin = PinFor(n);
  return k;
}

const PinEntry* Find(const PinSetState& s, const std::string& pin) {
  for (const auto& e : s.entries) {
    if (e.pin == pin) return &e;
  }
  return nullptr;
}

int CountState(const PinSetState& s, PinState state) {
  return static_cast<int>(std::count_if(s.entries.begin(), s.entries.end(),
                                        [&](const PinEntry& e) { return e.state == state; }));
}

// Applies every due action (re-planning after each, since one enables the next), generating
// keys on request. Returns the promoted pins.
struct Applier {
  int64_t next_key = 100;
  std::vector<std::string> promoted;
  int generated = 0;

  ::testing::AssertionResult Run(PinSetState& state, TimePoint now, TimePoint due,
                                 Duration overlap) {
    for (int round = 0; round < 10; ++round) {
      auto plan = PlanPins(state, now, due, overlap);
      if (!plan.ok()) return ::testing::AssertionFailure() << plan.status().ToString();
      auto it = std::find_if(plan->actions.begin(), plan->actions.end(),
                             [&](const PinAction& a) { return a.at <= now; });
      if (it == plan->actions.end()) return ::testing::AssertionSuccess();
      std::optional<NewKey> key;
      if (it->type == PinActionType::kGenerateStandby ||
          it->type == PinActionType::kGenerateBackup) {
        key = Key(next_key++);
        ++generated;
      }
      auto next = ApplyAction(state, *it, now, overlap, key);
      if (!next.ok()) return ::testing::AssertionFailure() << next.status().ToString();
      if (it->type == PinActionType::kPromote) promoted.push_back(it->pin);
      state = *std::move(next);
    }
    return ::testing::AssertionFailure() << "actions did not settle";
  }
};

struct PinSimResult {
  int rotations = 0;
  int emergencies = 0;
  int checks = 0;
  Duration min_lead = Duration::max();  // publish -> active, over rotated keys
};

// Two simulated years on the FakeClock in 1-hour steps. The certificate renews when the renewal
// policy says (90-day lifetime, so about every 60 days) and each renewal wants a fresh key; the
// pin planner decides whether the standby may enter service. Every step checks the issue's
// invariant: the key in service had its pin published at least `overlap` earlier, and a client
// that fetched the pin set at any instant in the last `overlap` accepts the served key.
PinSimResult SimulateTwoYears(Duration overlap, std::optional<TimePoint> emergency_at) {
  PinSimResult r;
  FakeClock clock(kT0);
  SeededRng rng(2026);
  renewal::CertificateFacts cert;
  cert.not_before = kT0;
  cert.not_after = kT0 + 90 * kDay;
  auto next_renewal = [&] {
    auto plan = renewal::PlanRenewal(cert, std::nullopt, clock.Now(), {}, rng);
    EXPECT_OK(plan);
    return plan->renew_at;
  };
  TimePoint renew_at = next_renewal();

  auto started = StartPinSet(Key(1), Key(2), kT0);
  EXPECT_OK(started);
  PinSetState state = *started;
  Applier applier;
  std::deque<std::pair<TimePoint, std::vector<std::string>>> fetched;  // last `overlap` of sets
  std::string compromised;
  std::vector<std::pair<std::string, TimePoint>> retired;  // pin, rotation time

  for (TimePoint t = kT0; t <= kT0 + 730 * kDay; t += hours(1)) {
    clock.Set(t);
    const std::string before = ActivePin(state);
    if (emergency_at && t == *emergency_at) {
      std::string backup_pin;
      for (const auto& e : state.entries) {
        if (e.state == PinState::kBackup) backup_pin = e.pin;
      }
      auto rotated = EmergencyRotate(state, t, overlap);
      EXPECT_OK(rotated);
      state = *rotated;
      EXPECT_EQ(ActivePin(state), backup_pin);
      compromised = before;
      ++r.emergencies;
      // The certificate is reissued for the backup key at once.
      cert.not_before = t;
      cert.not_after = t + 90 * kDay;
      renew_at = next_renewal();
    }
    // Renewal: due now. The pin planner promotes the standby if allowed; otherwise the renewal
    // reuses the current key.
    const TimePoint due = renew_at;
    EXPECT_TRUE(applier.Run(state, t, due, overlap)) << FormatRfc3339(t);
    if (t >= renew_at) {
      cert.not_before = t;
      cert.not_after = t + 90 * kDay;
      renew_at = next_renewal();
    }
    const std::string served = ActivePin(state);
    if (served != before && !before.empty() && before != compromised) {
      ++r.rotations;
      retired.emplace_back(before, t);
      const PinEntry* e = Find(state, served);
      r.min_lead = std::min(r.min_lead, duration_cast<Duration>(*e->active_at - *e->publish_at));
    }

    const std::vector<std::string> now_published = PublishedPins(state, t);
    fetched.emplace_back(t, now_published);
    while (fetched.front().first < t - overlap) fetched.pop_front();

    // Invariant 1: the served key's pin was published at least `overlap` ago (the first key of
    // a new pin set excepted: it has no earlier history).
    const PinEntry* active = Find(state, served);
    EXPECT_NE(active, nullptr);
    if (t >= kT0 + overlap) {
      EXPECT_LE(*active->publish_at + overlap, t) << FormatRfc3339(t);
    }
    // Invariant 2: every pin set fetched in the last `overlap` accepts the served key.
    for (const auto& [at, pins] : fetched) {
      ++r.checks;
      if (!ClientAccepts(pins, served)) {
        ADD_FAILURE() << "client that fetched at " << FormatRfc3339(at)
                      << " rejects the key served at " << FormatRfc3339(t);
        return r;
      }
    }
    // A backup pin is always published; so is the next key.
    EXPECT_EQ(CountState(state, PinState::kBackup), 1) << FormatRfc3339(t);
    EXPECT_EQ(CountState(state, PinState::kPublished), 1) << FormatRfc3339(t);
    // The old pin stays published for `overlap` after a rotation, then goes.
    for (const auto& [pin, at] : retired) {
      const bool published = ClientAccepts(now_published, pin);
      EXPECT_EQ(published, t < at + overlap) << FormatRfc3339(t);
    }
    // The compromised pin is gone at once.
    if (!compromised.empty()) {
      EXPECT_FALSE(ClientAccepts(now_published, compromised));
    }
  }
  return r;
}

TEST(PinSimulationTest, TwoYearsWithAnEmergencyRotation) {
  PinSimResult r = SimulateTwoYears(kOverlap, kT0 + 400 * kDay + hours(5));
  std::cout << "[sim] pins, 730 days, overlap 30d: " << r.rotations << " scheduled rotations, "
            << r.emergencies << " emergency, min publish->active lead "
            << duration_cast<hours>(r.min_lead).count() / 24.0 << "d, " << r.checks
            << " client checks\n";
  EXPECT_EQ(r.emergencies, 1);
  EXPECT_GE(r.rotations, 10);
  EXPECT_LE(r.rotations, 12);
  EXPECT_GE(r.min_lead, kOverlap);
}

TEST(PinSimulationTest, OverlapLongerThanTheRenewalIntervalDelaysRotation) {
  const Duration overlap = duration_cast<Duration>(90 * kDay);
  PinSimResult r = SimulateTwoYears(overlap, std::nullopt);
  std::cout << "[sim] pins, 730 days, overlap 90d, renewals every ~60d: " << r.rotations
            << " rotations, min lead " << duration_cast<hours>(r.min_lead).count() / 24.0 << "d\n";
  // Renewals every ~60 days, but a key may only enter service 90 days after its pin was
  // published: rotations happen every other renewal (about every 120 days).
  EXPECT_GE(r.rotations, 5);
  EXPECT_LE(r.rotations, 7);
  EXPECT_GE(r.min_lead, overlap);
}

// --- planner unit tests -------------------------------------------------------------------

TEST(PinPlannerTest, FreshSetAsksForAStandbyThenPromotesAfterTheOverlap) {
  ASSERT_OK_AND_ASSIGN(PinSetState s, StartPinSet(Key(1), Key(2), kT0));
  ASSERT_OK_AND_ASSIGN(PinPlan plan, PlanPins(s, kT0, kT0 + 60 * kDay, kOverlap));
  ASSERT_EQ(plan.actions.size(), 1u);
  EXPECT_EQ(plan.actions[0].type, PinActionType::kGenerateStandby);
  EXPECT_EQ(plan.actions[0].at, kT0);
  EXPECT_EQ(plan.earliest_rotation, kT0 + kOverlap);

  ASSERT_OK_AND_ASSIGN(s, ApplyAction(s, plan.actions[0], kT0, kOverlap, Key(3)));
  ASSERT_OK_AND_ASSIGN(plan, PlanPins(s, kT0, kT0 + 10 * kDay, kOverlap));
  ASSERT_EQ(plan.actions.size(), 1u);
  EXPECT_EQ(plan.actions[0].type, PinActionType::kPromote);
  EXPECT_EQ(plan.actions[0].pin, PinFor(3));
  // Due in 10 days, but the pin must be published for 30 first.
  EXPECT_EQ(plan.actions[0].at, kT0 + kOverlap);
  EXPECT_EQ(plan.next_wake, kT0 + kOverlap);
  EXPECT_NE(plan.actions[0].why.find("reuse the current key"), std::string::npos);

  // Too early: refused, whatever the caller thinks.
  PinAction early = plan.actions[0];
  early.at = kT0 + kDay;
  auto refused = ApplyAction(s, early, kT0 + kDay, kOverlap, std::nullopt);
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);

  const TimePoint t = kT0 + kOverlap;
  ASSERT_OK_AND_ASSIGN(s, ApplyAction(s, plan.actions[0], t, kOverlap, std::nullopt));
  EXPECT_EQ(ActivePin(s), PinFor(3));
  const PinEntry* old = Find(s, PinFor(1));
  ASSERT_NE(old, nullptr);
  EXPECT_EQ(old->state, PinState::kRetired);
  EXPECT_EQ(old->retire_at, t + kOverlap);
  EXPECT_EQ(Find(s, PinFor(3))->active_at, t);
  EXPECT_EQ(PublishedPins(s, t), (std::vector<std::string>{PinFor(3), PinFor(2), PinFor(1)}));

  // Next plan: a new standby now, drop the old pin when its overlap ends.
  ASSERT_OK_AND_ASSIGN(plan, PlanPins(s, t, t + 60 * kDay, kOverlap));
  ASSERT_EQ(plan.actions.size(), 2u);
  EXPECT_EQ(plan.actions[0].type, PinActionType::kGenerateStandby);
  EXPECT_EQ(plan.actions[1].type, PinActionType::kDrop);
  EXPECT_EQ(plan.actions[1].at, t + kOverlap);
  auto too_soon = ApplyAction(s, plan.actions[1], t + kDay, kOverlap, std::nullopt);
  EXPECT_EQ(too_soon.status().code(), StatusCode::kFailedPrecondition);
  ASSERT_OK_AND_ASSIGN(s, ApplyAction(s, plan.actions[1], t + kOverlap, kOverlap, std::nullopt));
  EXPECT_EQ(Find(s, PinFor(1)), nullptr);
}

TEST(PinPlannerTest, MissingBackupIsRegenerated) {
  ASSERT_OK_AND_ASSIGN(PinSetState s, StartPinSet(Key(1), Key(2), kT0));
  ASSERT_OK_AND_ASSIGN(s, EmergencyRotate(s, kT0 + 40 * kDay, kOverlap));
  EXPECT_EQ(ActivePin(s), PinFor(2));
  ASSERT_OK_AND_ASSIGN(PinPlan plan, PlanPins(s, kT0 + 40 * kDay, kT0 + 100 * kDay, kOverlap));
  std::vector<PinActionType> types;
  for (const auto& a : plan.actions) types.push_back(a.type);
  EXPECT_NE(std::find(types.begin(), types.end(), PinActionType::kGenerateBackup), types.end());
  EXPECT_NE(std::find(types.begin(), types.end(), PinActionType::kDrop), types.end());
}

TEST(PinPlannerTest, EmergencyRotationPromotesTheBackupAndUnpublishesTheCompromisedPin) {
  ASSERT_OK_AND_ASSIGN(PinSetState s, StartPinSet(Key(1), Key(2), kT0));
  const TimePoint t = kT0 + 45 * kDay;
  ASSERT_OK_AND_ASSIGN(PinSetState r, EmergencyRotate(s, t, kOverlap));
  EXPECT_EQ(ActivePin(r), PinFor(2));
  EXPECT_EQ(Find(r, PinFor(2))->active_at, t);
  EXPECT_FALSE(ClientAccepts(PublishedPins(r, t), PinFor(1)));
  // A client that fetched yesterday accepts the new key.
  EXPECT_TRUE(ClientAccepts(PublishedPins(s, t - kDay), ActivePin(r)));
}

TEST(PinPlannerTest, EmergencyPrefersAWellPublishedStandbyOverAYoungBackup) {
  ASSERT_OK_AND_ASSIGN(PinSetState s, StartPinSet(Key(1), Key(2), kT0));
  PinAction gen;
  gen.type = PinActionType::kGenerateStandby;
  ASSERT_OK_AND_ASSIGN(s, ApplyAction(s, gen, kT0, kOverlap, Key(3)));
  ASSERT_OK_AND_ASSIGN(s, EmergencyRotate(s, kT0 + 40 * kDay, kOverlap));  // backup 2 used
  gen.type = PinActionType::kGenerateBackup;
  ASSERT_OK_AND_ASSIGN(s, ApplyAction(s, gen, kT0 + 40 * kDay, kOverlap, Key(4)));
  // A second compromise a week later: backup 4 is a week old, standby 3 is 47 days old.
  ASSERT_OK_AND_ASSIGN(s, EmergencyRotate(s, kT0 + 47 * kDay, kOverlap));
  EXPECT_EQ(ActivePin(s), PinFor(3));
  EXPECT_EQ(Find(s, PinFor(4))->state, PinState::kBackup);
}

TEST(PinPlannerTest, EmergencyWithNothingToPromoteFails) {
  PinSetState s;
  PinEntry active;
  active.pin = PinFor(1);
  active.state = PinState::kActive;
  active.publish_at = active.active_at = kT0;
  s.entries.push_back(active);
  EXPECT_EQ(EmergencyRotate(s, kT0, kOverlap).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(EmergencyRotate(PinSetState{}, kT0, kOverlap).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST(PinPlannerTest, BadInputIsInvalidArgument) {
  ASSERT_OK_AND_ASSIGN(PinSetState s, StartPinSet(Key(1), Key(2), kT0));
  for (Duration overlap : {Duration(0), Duration(-1), -kOverlap}) {
    EXPECT_EQ(PlanPins(s, kT0, kT0, overlap).status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(EmergencyRotate(s, kT0, overlap).status().code(), StatusCode::kInvalidArgument);
    PinAction gen;
    EXPECT_EQ(ApplyAction(s, gen, kT0, overlap, Key(3)).status().code(),
              StatusCode::kInvalidArgument);
  }
  // Duplicate pins: in the state, and as a newly generated key.
  PinSetState dup = s;
  dup.entries[1].pin = dup.entries[0].pin;
  EXPECT_EQ(PlanPins(dup, kT0, kT0, kOverlap).status().code(), StatusCode::kInvalidArgument);
  PinAction gen;
  gen.type = PinActionType::kGenerateStandby;
  EXPECT_EQ(ApplyAction(s, gen, kT0, kOverlap, Key(1)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(StartPinSet(Key(1), Key(1), kT0).status().code(), StatusCode::kInvalidArgument);
  // Generating without a key, malformed pins.
  EXPECT_EQ(ApplyAction(s, gen, kT0, kOverlap, std::nullopt).status().code(),
            StatusCode::kInvalidArgument);
  for (const char* bad :
       {"", "not base64!", "c2hvcnQ=", "sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}) {
    NewKey k;
    k.pin = bad;
    EXPECT_EQ(ApplyAction(s, gen, kT0, kOverlap, k).status().code(), StatusCode::kInvalidArgument)
        << bad;
  }
  // Two active keys; an active key without an activation time; a retired one without an end.
  PinSetState two_active = s;
  two_active.entries[1].state = PinState::kActive;
  two_active.entries[1].active_at = kT0;
  EXPECT_EQ(PlanPins(two_active, kT0, kT0, kOverlap).status().code(), StatusCode::kInvalidArgument);
  PinSetState no_time = s;
  no_time.entries[0].active_at.reset();
  EXPECT_EQ(ValidatePinSet(no_time, kOverlap).code(), StatusCode::kInvalidArgument);
  PinSetState retired = s;
  retired.entries[1].state = PinState::kRetired;
  EXPECT_EQ(ValidatePinSet(retired, kOverlap).code(), StatusCode::kInvalidArgument);
  // A second standby.
  ASSERT_OK_AND_ASSIGN(PinSetState one, ApplyAction(s, gen, kT0, kOverlap, Key(3)));
  EXPECT_EQ(ApplyAction(one, gen, kT0, kOverlap, Key(4)).status().code(),
            StatusCode::kFailedPrecondition);
  // Promoting something that is not the standby.
  PinAction promote;
  promote.type = PinActionType::kPromote;
  promote.pin = PinFor(2);
  EXPECT_EQ(ApplyAction(one, promote, kT0 + 90 * kDay, kOverlap, std::nullopt).status().code(),
            StatusCode::kNotFound);
}

TEST(PinPlannerTest, StateNamesRoundTrip) {
  for (PinState s :
       {PinState::kPublished, PinState::kActive, PinState::kRetired, PinState::kBackup}) {
    ASSERT_OK_AND_ASSIGN(PinState parsed, ParsePinState(PinStateName(s)));
    EXPECT_EQ(parsed, s);
  }
  EXPECT_EQ(ParsePinState("standby").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(PinActionTypeName(PinActionType::kGenerateBackup), "generate_backup");
}

TEST(PinPlannerTest, PublishedPinsRespectsPublishAndRetireTimes) {
  ASSERT_OK_AND_ASSIGN(PinSetState s, StartPinSet(Key(1), Key(2), kT0));
  EXPECT_TRUE(PublishedPins(s, kT0 - hours(1)).empty());
  PinAction gen;
  gen.type = PinActionType::kGenerateStandby;
  ASSERT_OK_AND_ASSIGN(s, ApplyAction(s, gen, kT0 + kDay, kOverlap, Key(3)));
  EXPECT_EQ(PublishedPins(s, kT0), (std::vector<std::string>{PinFor(1), PinFor(2)}));
  EXPECT_EQ(PublishedPins(s, kT0 + kDay),
            (std::vector<std::string>{PinFor(1), PinFor(3), PinFor(2)}));
  EXPECT_TRUE(ClientAccepts({PinFor(1), PinFor(2)}, PinFor(2)));
  EXPECT_FALSE(ClientAccepts({PinFor(1), PinFor(2)}, PinFor(3)));
  EXPECT_FALSE(ClientAccepts({}, PinFor(1)));
}

// --- renderers ----------------------------------------------------------------------------

const std::vector<std::string> kPins = {"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
                                        "cGluLXR3by1waW4tdHdvLXBpbi10d28tcGluLXR3bz0="};

TEST(PinRenderTest, PinSha256List) {
  EXPECT_EQ(RenderPinSha256List(kPins),
            "pin-sha256=\"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\"; "
            "pin-sha256=\"cGluLXR3by1waW4tdHdvLXBpbi10d28tcGluLXR3bz0=\"");
  EXPECT_EQ(RenderPinSha256List({}), "");
}

TEST(PinRenderTest, OkHttpCertificatePinner) {
  EXPECT_EQ(RenderOkHttpPinner({"example.com", "*.example.com"}, kPins),
            "CertificatePinner certificatePinner = new CertificatePinner.Builder()\n"
            "    .add(\"example.com\", \"sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\")\n"
            "    .add(\"example.com\", \"sha256/cGluLXR3by1waW4tdHdvLXBpbi10d28tcGluLXR3bz0=\")\n"
            "    .add(\"*.example.com\", \"sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\")\n"
            "    .add(\"*.example.com\", \"sha256/cGluLXR3by1waW4tdHdvLXBpbi10d28tcGluLXR3bz0=\")\n"
            "    .build();\n");
}

TEST(PinRenderTest, AndroidNetworkSecurityConfig) {
  ASSERT_OK_AND_ASSIGN(TimePoint exp, ParseRfc3339("2026-07-01T18:30:00Z"));
  EXPECT_EQ(
      RenderAndroidNetworkSecurityConfig({"example.com", "*.api.example.com"}, kPins, exp),
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
      "<network-security-config>\n"
      "    <domain-config>\n"
      "        <domain includeSubdomains=\"false\">example.com</domain>\n"
      "        <domain includeSubdomains=\"true\">api.example.com</domain>\n"
      "        <pin-set expiration=\"2026-07-01\">\n"
      "            <pin digest=\"SHA-256\">47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=</pin>\n"
      "            <pin digest=\"SHA-256\">cGluLXR3by1waW4tdHdvLXBpbi10d28tcGluLXR3bz0=</pin>\n"
      "        </pin-set>\n"
      "    </domain-config>\n"
      "</network-security-config>\n");
}

TEST(PinRenderTest, HostileHostNamesAreEscaped) {
  const std::string xml = RenderAndroidNetworkSecurityConfig({"a<b>&\"c"}, kPins, kT0);
  EXPECT_NE(xml.find(">a&lt;b&gt;&amp;&quot;c</domain>"), std::string::npos) << xml;
  const std::string java = RenderOkHttpPinner({"x\"y\\z"}, {kPins[0]});
  EXPECT_NE(java.find(".add(\"x\\\"y\\\\z\", "), std::string::npos) << java;
}

}  // namespace
}  // namespace ck::pins
