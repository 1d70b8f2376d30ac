#include "daemon/pins/pin_planner.hpp"

#include <algorithm>
#include <set>

#include "common/duration.hpp"
#include "common/encoding.hpp"

namespace ck::pins {
namespace {

std::string At(TimePoint t) { return FormatRfc3339(t); }

// Published-set order: what is served first, then what comes next, then what is leaving.
int Rank(PinState s) {
  switch (s) {
    case PinState::kActive: return 0;
    case PinState::kPublished: return 1;
    case PinState::kBackup: return 2;
    case PinState::kRetired: return 3;
  }
  return 4;
}

const PinEntry* FindState(const PinSetState& state, PinState which) {
  for (const auto& e : state.entries) {
    if (e.state == which) return &e;
  }
  return nullptr;
}

PinEntry* FindPin(PinSetState& state, std::string_view pin) {
  for (auto& e : state.entries) {
    if (e.pin == pin) return &e;
  }
  return nullptr;
}

bool Published(const PinEntry& e, TimePoint at) {
  return e.publish_at && *e.publish_at <= at && (!e.retire_at || at < *e.retire_at);
}

Status CheckOverlap(Duration overlap) {
  if (overlap.count() <= 0) {
    return InvalidArgumentError("pin overlap must be positive, got " + FormatDuration(overlap));
  }
  return OkStatus();
}

Result<PinSetState> AddKey(const PinSetState& state, const std::optional<NewKey>& key,
                           PinState role, TimePoint now) {
  if (!key) return InvalidArgumentError("generating a key needs the new key's pin");
  RETURN_IF_ERROR(ValidatePin(key->pin));
  for (const auto& e : state.entries) {
    if (e.pin == key->pin) return InvalidArgumentError("duplicate pin " + key->pin);
  }
  if (role == PinState::kPublished && FindState(state, PinState::kPublished)) {
    return FailedPreconditionError("a standby key is already published");
  }
  PinSetState next = state;
  PinEntry e;
  e.key_id = key->key_id;
  e.pin = key->pin;
  e.state = role;
  e.publish_at = now;
  next.entries.push_back(std::move(e));
  return next;
}

std::string JavaString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string XmlText(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

std::string_view PinStateName(PinState state) {
  switch (state) {
    case PinState::kPublished: return "published";
    case PinState::kActive: return "active";
    case PinState::kRetired: return "retired";
    case PinState::kBackup: return "backup";
  }
  return "unknown";
}

Result<PinState> ParsePinState(std::string_view name) {
  for (PinState s :
       {PinState::kPublished, PinState::kActive, PinState::kRetired, PinState::kBackup}) {
    if (PinStateName(s) == name) return s;
  }
  return InvalidArgumentError("unknown pin state '" + std::string(name) +
                              "' (expected published, active, retired or backup)");
}

std::string_view PinActionTypeName(PinActionType type) {
  switch (type) {
    case PinActionType::kGenerateStandby: return "generate_standby";
    case PinActionType::kGenerateBackup: return "generate_backup";
    case PinActionType::kPromote: return "promote";
    case PinActionType::kDrop: return "drop";
  }
  return "unknown";
}

Status ValidatePin(std::string_view pin) {
  // RFC 7469 §2.4: the pin is the base64 of a SHA-256 digest, so exactly 32 bytes.
  auto bytes = Base64Decode(pin);
  if (!bytes.ok() || bytes->size() != 32 || pin.size() != 44) {
    return InvalidArgumentError("pin '" + std::string(pin) +
                                "' is not base64 of a SHA-256 digest (44 characters)");
  }
  return OkStatus();
}

Status ValidatePinSet(const PinSetState& state, Duration overlap) {
  RETURN_IF_ERROR(CheckOverlap(overlap));
  std::set<std::string> seen;
  int active = 0;
  int standby = 0;
  for (const auto& e : state.entries) {
    RETURN_IF_ERROR(ValidatePin(e.pin));
    if (!seen.insert(e.pin).second) return InvalidArgumentError("duplicate pin " + e.pin);
    const std::string what = std::string(PinStateName(e.state)) + " pin " + e.pin;
    if (!e.publish_at) return InvalidArgumentError(what + " has no publish time");
    if (e.state == PinState::kActive && !e.active_at) {
      return InvalidArgumentError(what + " has no activation time");
    }
    if (e.state == PinState::kRetired && !e.retire_at) {
      return InvalidArgumentError(what + " has no retirement time");
    }
    active += e.state == PinState::kActive;
    standby += e.state == PinState::kPublished;
  }
  if (active > 1) return InvalidArgumentError("more than one active pin");
  if (standby > 1) return InvalidArgumentError("more than one standby pin");
  return OkStatus();
}

Result<PinSetState> StartPinSet(const NewKey& active, const NewKey& backup, TimePoint now) {
  ASSIGN_OR_RETURN(PinSetState state, AddKey(PinSetState{}, active, PinState::kActive, now));
  state.entries.back().active_at = now;
  return AddKey(state, backup, PinState::kBackup, now);
}

Result<PinPlan> PlanPins(const PinSetState& state, TimePoint now, TimePoint next_key_rotation_due,
                         Duration overlap) {
  RETURN_IF_ERROR(ValidatePinSet(state, overlap));
  PinPlan plan;
  const std::string overlap_text = FormatDuration(overlap);

  for (const auto& e : state.entries) {
    if (e.state != PinState::kRetired) continue;
    PinAction a;
    a.type = PinActionType::kDrop;
    a.pin = e.pin;
    a.at = *e.retire_at;
    a.why = "retired key stays published for the overlap, until " + At(*e.retire_at);
    plan.actions.push_back(std::move(a));
  }

  // "a backup pin is always published"
  bool has_backup = false;
  for (const auto& e : state.entries) has_backup |= e.state == PinState::kBackup;
  if (!has_backup) {
    PinAction a;
    a.type = PinActionType::kGenerateBackup;
    a.at = now;
    a.why = "no backup pin is published; one must always be, for emergency rotation";
    plan.actions.push_back(std::move(a));
  }

  // The standby is generated as soon as the previous one entered service: the longer its pin is
  // published before use, the more clients hold it. Promotion waits for both the rotation due
  // date and "published at least `overlap` before that key enters service".
  if (const PinEntry* standby = FindState(state, PinState::kPublished)) {
    plan.earliest_rotation = *standby->publish_at + overlap;
    PinAction a;
    a.type = PinActionType::kPromote;
    a.pin = standby->pin;
    a.at = std::max(next_key_rotation_due, plan.earliest_rotation);
    a.why = a.at == next_key_rotation_due
                ? "key rotation due at " + At(next_key_rotation_due) + "; pin published since " +
                      At(*standby->publish_at)
                : "key rotation due at " + At(next_key_rotation_due) +
                      " waits until the pin has been published for " + overlap_text +
                      "; renewals before then reuse the current key";
    plan.actions.push_back(std::move(a));
  } else {
    plan.earliest_rotation = now + overlap;
    PinAction a;
    a.type = PinActionType::kGenerateStandby;
    a.at = now;
    a.why =
        "no standby key: generate the next key and publish its pin now, so it can enter "
        "service after " +
        overlap_text + " (at " + At(plan.earliest_rotation) + ")";
    plan.actions.push_back(std::move(a));
  }

  std::stable_sort(plan.actions.begin(), plan.actions.end(),
                   [](const PinAction& a, const PinAction& b) { return a.at < b.at; });
  for (const auto& a : plan.actions) {
    if (a.at > now) {
      plan.next_wake = a.at;
      break;
    }
  }
  return plan;
}

Result<PinSetState> ApplyAction(const PinSetState& state, const PinAction& action, TimePoint now,
                                Duration overlap, const std::optional<NewKey>& new_key) {
  RETURN_IF_ERROR(ValidatePinSet(state, overlap));
  switch (action.type) {
    case PinActionType::kGenerateStandby: return AddKey(state, new_key, PinState::kPublished, now);
    case PinActionType::kGenerateBackup: return AddKey(state, new_key, PinState::kBackup, now);
    case PinActionType::kPromote: {
      PinSetState next = state;
      PinEntry* standby = FindPin(next, action.pin);
      if (!standby || standby->state != PinState::kPublished) {
        return NotFoundError("no standby pin " + action.pin);
      }
      if (now < action.at) {
        return FailedPreconditionError("promotion of " + action.pin + " is planned for " +
                                       At(action.at));
      }
      // The invariant, enforced rather than trusted to the caller.
      if (now < *standby->publish_at + overlap) {
        return FailedPreconditionError("pin " + action.pin + " published at " +
                                       At(*standby->publish_at) + " cannot enter service before " +
                                       At(*standby->publish_at + overlap));
      }
      for (auto& e : next.entries) {
        if (e.state == PinState::kActive) {
          // "after a rotation the old pin stays published for `overlap`"
          e.state = PinState::kRetired;
          e.retire_at = now + overlap;
        }
      }
      standby->state = PinState::kActive;
      standby->active_at = now;
      return next;
    }
    case PinActionType::kDrop: {
      PinSetState next = state;
      auto it = std::find_if(next.entries.begin(), next.entries.end(),
                             [&](const PinEntry& e) { return e.pin == action.pin; });
      if (it == next.entries.end()) return NotFoundError("no pin " + action.pin);
      if (it->state != PinState::kRetired || now < *it->retire_at) {
        return FailedPreconditionError("pin " + action.pin + " is still published");
      }
      next.entries.erase(it);
      return next;
    }
  }
  return InvalidArgumentError("unknown pin action");
}

Result<PinSetState> EmergencyRotate(const PinSetState& state, TimePoint now, Duration overlap) {
  RETURN_IF_ERROR(ValidatePinSet(state, overlap));
  PinSetState next = state;
  PinEntry* active = nullptr;
  PinEntry* standby = nullptr;
  std::vector<PinEntry*> backups;
  for (auto& e : next.entries) {
    if (e.state == PinState::kActive) active = &e;
    if (e.state == PinState::kPublished) standby = &e;
    if (e.state == PinState::kBackup) backups.push_back(&e);
  }
  if (!active) return FailedPreconditionError("no active key to rotate away from");
  std::stable_sort(backups.begin(), backups.end(), [](const PinEntry* a, const PinEntry* b) {
    return *a->publish_at < *b->publish_at;
  });
  auto ready = [&](const PinEntry* e) { return e && *e->publish_at + overlap <= now; };

  PinEntry* chosen = nullptr;
  if (!backups.empty() && ready(backups.front())) {
    chosen = backups.front();
  } else if (ready(standby)) {
    chosen = standby;  // clients already hold it; the young backup stays the backup
  } else if (!backups.empty()) {
    chosen = backups.front();
  } else {
    chosen = standby;
  }
  if (!chosen) return FailedPreconditionError("no backup or standby key to promote");

  // The compromised pin leaves the published set now, not after the overlap.
  active->state = PinState::kRetired;
  active->retire_at = now;
  chosen->state = PinState::kActive;
  chosen->active_at = now;
  chosen->retire_at.reset();
  return next;
}

std::vector<std::string> PublishedPins(const PinSetState& state, TimePoint at) {
  std::vector<const PinEntry*> live;
  for (const auto& e : state.entries) {
    if (Published(e, at)) live.push_back(&e);
  }
  std::stable_sort(live.begin(), live.end(), [](const PinEntry* a, const PinEntry* b) {
    if (Rank(a->state) != Rank(b->state)) return Rank(a->state) < Rank(b->state);
    return *a->publish_at < *b->publish_at;
  });
  std::vector<std::string> out;
  out.reserve(live.size());
  for (const auto* e : live) out.push_back(e->pin);
  return out;
}

bool ClientAccepts(const std::vector<std::string>& published_pins, std::string_view served_pin) {
  return std::find(published_pins.begin(), published_pins.end(), served_pin) !=
         published_pins.end();
}

std::string ActivePin(const PinSetState& state) {
  const PinEntry* e = FindState(state, PinState::kActive);
  return e ? e->pin : std::string();
}

std::string RenderPinSha256List(const std::vector<std::string>& pins) {
  std::string out;
  for (const auto& p : pins) {
    if (!out.empty()) out += "; ";
    out += "pin-sha256=\"" + p + "\"";
  }
  return out;
}

std::string RenderOkHttpPinner(const std::vector<std::string>& hosts,
                               const std::vector<std::string>& pins) {
  std::string out = "CertificatePinner certificatePinner = new CertificatePinner.Builder()\n";
  for (const auto& h : hosts) {
    for (const auto& p : pins) {
      out += "    .add(" + JavaString(h) + ", " + JavaString("sha256/" + p) + ")\n";
    }
  }
  out += "    .build();\n";
  return out;
}

std::string RenderAndroidNetworkSecurityConfig(const std::vector<std::string>& hosts,
                                               const std::vector<std::string>& pins,
                                               TimePoint expiration) {
  std::string out =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
      "<network-security-config>\n"
      "    <domain-config>\n";
  for (const auto& h : hosts) {
    // Android has no wildcard names: "*.example.com" (and OkHttp's "**.") become
    // includeSubdomains on the parent.
    std::string_view name = h;
    bool subdomains = false;
    for (std::string_view prefix : {"**.", "*."}) {
      if (name.substr(0, prefix.size()) == prefix) {
        name.remove_prefix(prefix.size());
        subdomains = true;
        break;
      }
    }
    out += std::string("        <domain includeSubdomains=\"") + (subdomains ? "true" : "false") +
           "\">" + XmlText(name) + "</domain>\n";
  }
  // After `expiration` Android stops enforcing the pins, so an app that was never updated keeps
  // working rather than failing closed.
  out += "        <pin-set expiration=\"" + FormatRfc3339(expiration).substr(0, 10) + "\">\n";
  for (const auto& p : pins)
    out += "            <pin digest=\"SHA-256\">" + XmlText(p) + "</pin>\n";
  out +=
      "        </pin-set>\n"
      "    </domain-config>\n"
      "</network-security-config>\n";
  return out;
}

}  // namespace ck::pins
