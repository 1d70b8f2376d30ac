// Pin rotation with overlap windows (issue 5): a pure planner over a certificate's pin set.
// No key generation, no clock reads, no I/O: the caller generates keys, computes their
// SPKI-SHA256 pins (pki/), persists the state (store/ PinSetRecord) and applies the actions.
//
// Rules, quoted from the issue: "the next key is generated and its SPKI-SHA256 pin published at
// least `overlap` before that key enters service; a backup pin is always published; after a
// rotation the old pin stays published for `overlap`". "Emergency rotation (key compromise)
// promotes the backup key immediately."
//
// Roles of the entries:
//   kActive     the key in service (at most one).
//   kPublished  the standby: the next key, published now, promoted at the first rotation due
//               at or after publish_at + overlap (at most one).
//   kBackup     published and kept out of the schedule, for an emergency (one or more).
//   kRetired    out of service; still published until retire_at, then dropped.
// A pin is in the published set at instant t when publish_at <= t < retire_at (retire_at unset:
// no end). The invariant the planner keeps (tests/daemon/pin_planner_test.cpp proves it over two
// simulated years): the active key's pin was published at least `overlap` before it entered
// service, so any client that fetched the set within the last `overlap` accepts the served key.
// The only exception is the very first key of a new pin set, which has no history to overlap.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/status.hpp"

namespace ck::pins {

using Duration = std::chrono::seconds;

inline constexpr Duration kDefaultOverlap = std::chrono::hours(24 * 30);

enum class PinState { kPublished, kActive, kRetired, kBackup };

// "published" | "active" | "retired" | "backup", as stored in PinSetRecord::state.
std::string_view PinStateName(PinState state);
Result<PinState> ParsePinState(std::string_view name);

struct PinEntry {
  std::optional<int64_t> key_id;  // store key id; empty once the key is deleted
  std::string pin;                // base64(SHA-256(DER SubjectPublicKeyInfo)), RFC 7469 §2.4
  PinState state = PinState::kPublished;
  std::optional<TimePoint> publish_at;
  std::optional<TimePoint> active_at;  // set when the key enters service
  std::optional<TimePoint> retire_at;  // leaves the published set at this instant
};

struct PinSetState {
  std::vector<PinEntry> entries;
};

// A key the caller generated (and stored) for the planner to publish.
struct NewKey {
  std::optional<int64_t> key_id;
  std::string pin;
};

enum class PinActionType {
  kGenerateStandby,  // generate the next key and publish its pin now
  kGenerateBackup,   // generate a backup key and publish its pin now
  kPromote,          // at `at`: `pin` enters service, the active key retires (published + overlap)
  kDrop,             // `pin`'s retire_at has passed: remove it from the set
};

std::string_view PinActionTypeName(PinActionType type);

struct PinAction {
  PinActionType type = PinActionType::kGenerateStandby;
  std::string pin;  // empty for the generate actions
  TimePoint at;     // when to apply; <= now means now
  std::string why;  // for logs and `certkeeper pins NAME`
};

struct PinPlan {
  std::vector<PinAction> actions;      // sorted by `at`
  std::optional<TimePoint> next_wake;  // earliest `at` still in the future
  // Earliest instant the standby may enter service (publish_at + overlap; now + overlap when it
  // is yet to be generated). A renewal before it must reuse the current key.
  TimePoint earliest_rotation;
};

// InvalidArgument for overlap <= 0, malformed or duplicate pins, more than one active or standby
// entry, or missing times (publish_at on every entry, active_at on the active one, retire_at on
// retired ones).
Status ValidatePinSet(const PinSetState& state, Duration overlap);
// A pin is the base64 of 32 bytes (44 characters ending in '=').
Status ValidatePin(std::string_view pin);

// A new pin set for a certificate's first key plus its first backup, both published at `now`.
Result<PinSetState> StartPinSet(const NewKey& active, const NewKey& backup, TimePoint now);

// What to do now and next. `next_key_rotation_due` is when the certificate's next key is due to
// enter service (its next renewal with a fresh key); promotion waits for it and for the overlap.
Result<PinPlan> PlanPins(const PinSetState& state, TimePoint now, TimePoint next_key_rotation_due,
                         Duration overlap);

// The state after `action` at `now`. The generate actions need `new_key`; a kPromote before its
// `at` or before the standby's overlap has elapsed is FailedPrecondition.
Result<PinSetState> ApplyAction(const PinSetState& state, const PinAction& action, TimePoint now,
                                Duration overlap, const std::optional<NewKey>& new_key);

// Key compromise: the backup key enters service now and the compromised pin leaves the published
// set now (keeping it would let whoever holds the key impersonate the site to pinning clients).
// Promotes the oldest backup that has been published for `overlap`; if none has but the standby
// has, the standby; otherwise the oldest backup anyway (compromise beats the invariant).
// FailedPrecondition when there is no active key or nothing to promote.
Result<PinSetState> EmergencyRotate(const PinSetState& state, TimePoint now, Duration overlap);

// Pins published at instant `at` per this state: active, standby, backups, then retired.
std::vector<std::string> PublishedPins(const PinSetState& state, TimePoint at);
// A client holding `published_pins` (fetched at some earlier instant) accepts the served key.
bool ClientAccepts(const std::vector<std::string>& published_pins, std::string_view served_pin);
// The active entry's pin, or empty.
std::string ActivePin(const PinSetState& state);

// Ready-to-paste forms. Pins must be valid (ValidatePin); hosts are DNS names or OkHttp
// patterns like "*.example.com".
// RFC 7469 §2.1 directives: pin-sha256="A..="; pin-sha256="B..="
std::string RenderPinSha256List(const std::vector<std::string>& pins);
// OkHttp CertificatePinner builder, one .add(host, "sha256/...") line per host and pin.
std::string RenderOkHttpPinner(const std::vector<std::string>& hosts,
                               const std::vector<std::string>& pins);
// Android network-security-config with <pin-set expiration="YYYY-MM-DD"> (UTC date).
std::string RenderAndroidNetworkSecurityConfig(const std::vector<std::string>& hosts,
                                               const std::vector<std::string>& pins,
                                               TimePoint expiration);

}  // namespace ck::pins
