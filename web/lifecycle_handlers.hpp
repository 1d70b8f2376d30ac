// The lifecycle endpoints: managed certificates (list, get, renew), the daemon's status, pin
// sets, bundles for pull consumers (long-poll) and the event log. Plain functions of
// (request, identity, Backend&) like the other handlers; admin_server.cpp routes to them.
#pragma once

#include <atomic>
#include <chrono>

#include "web/backend.hpp"
#include "web/http_types.hpp"

namespace ck::web {

// Long-polls hold a server worker thread for their whole wait. The gate bounds how many may
// wait at once, so waiting consumers can never take every worker from the operators, and it
// lets the server end waits early when it stops.
class LongPollGate {
 public:
  explicit LongPollGate(int max_waiting) : max_waiting_(max_waiting) {}

  // False when `max_waiting` requests already wait (the handler answers 429 + Retry-After).
  bool TryEnter();
  void Leave();
  int waiting() const { return waiting_.load(); }

  // Makes waiting requests return within one wait slice (see kWaitSlice) and new ones not wait.
  void Shutdown() { shutting_down_ = true; }
  bool shutting_down() const { return shutting_down_.load(); }

 private:
  const int max_waiting_;
  std::atomic<int> waiting_{0};
  std::atomic<bool> shutting_down_{false};
};

// The handler asks the backend in slices of this length, so a stopping server ends a long-poll
// within one slice; a new version still wakes the waiter at once (the backend's own wake-up).
inline constexpr std::chrono::seconds kWaitSlice{1};
inline constexpr std::chrono::seconds kMaxWait{300};

// GET /v1/managed → {"certificates": [...]} by not_after ascending (missing certificates first)
HttpResponse HandleListManaged(const HttpRequest& request, const Identity& who, Backend& backend);
// GET /v1/managed/{name}
HttpResponse HandleGetManaged(const HttpRequest& request, const Identity& who, Backend& backend);
// POST /v1/managed/{name}/renew, optional body {"force": true} → 202 {"name", "message"}
HttpResponse HandleRenewManaged(const HttpRequest& request, const Identity& who, Backend& backend);
// GET /v1/status
HttpResponse HandleDaemonStatus(const HttpRequest& request, const Identity& who, Backend& backend);
// GET /v1/pins/{name}: readers, and consumers the backend allows for this certificate.
HttpResponse HandleGetPins(const HttpRequest& request, const Identity& who, Backend& backend);
// POST /v1/managed (JSON [[certificate]]) and DELETE /v1/managed/{name}; admin only, since
// deploy targets can run commands.
HttpResponse HandleAddManaged(const HttpRequest& request, const Identity& who, Backend& backend);
HttpResponse HandleRemoveManaged(const HttpRequest& request, const Identity& who, Backend& backend);
// POST /v1/pins/{name}/emergency-rotate: key compromise; admin only.
HttpResponse HandleEmergencyRotatePins(const HttpRequest& request, const Identity& who,
                                       Backend& backend);
// GET /v1/bundles/{name}?wait=SECONDS&serial=KNOWN (or If-None-Match: "KNOWN") → 200 bundle
// with the private key, or 304 when no new version came within `wait` (capped at 300 s).
HttpResponse HandleGetBundle(const HttpRequest& request, const Identity& who, Backend& backend,
                             LongPollGate& gate);
// GET /v1/events?certificate=NAME&limit=N&before=ID → {"events": [...], "next_before": id|null}
HttpResponse HandleListEvents(const HttpRequest& request, const Identity& who, Backend& backend);

}  // namespace ck::web
