// A lifecycle backend for admin API and CLI tests: fixed bearer tokens per role, managed
// certificates, pin sets and events held in memory, and a bundle whose new versions wake
// waiting long-polls (Publish), as the daemon's backend does.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>

#include "tests/web/fake_backend.hpp"

namespace ck::web {

class FakeLifecycleBackend : public FakeBackendBase {
 public:
  // Bearer tokens: "admin-token", "operator-token", "viewer-token", "consumer-token"
  // (consumer "edge"), "other-consumer-token" (consumer "stranger").
  Result<Identity> AuthenticateToken(std::string_view token) override {
    if (token == "admin-token") return Identity{"root", Role::kAdmin, "token"};
    if (token == "operator-token") return Identity{"ops", Role::kOperator, "token"};
    if (token == "viewer-token") return Identity{"looker", Role::kViewer, "token"};
    if (token == "consumer-token") return Identity{"edge", Role::kConsumer, "token"};
    if (token == "other-consumer-token") return Identity{"stranger", Role::kConsumer, "token"};
    return UnauthenticatedError("unknown token");
  }

  Result<std::vector<ManagedCertificateView>> ListManaged() override {
    std::lock_guard lock(mu_);
    return managed;
  }
  Result<ManagedCertificateView> GetManaged(std::string_view name) override {
    std::lock_guard lock(mu_);
    for (const auto& m : managed) {
      if (m.name == name) return m;
    }
    return NotFoundError("no managed certificate named '" + std::string(name) + "'");
  }
  Result<RenewResult> RenewManaged(std::string_view name, bool force) override {
    std::lock_guard lock(mu_);
    auto it =
        std::find_if(managed.begin(), managed.end(), [&](const auto& m) { return m.name == name; });
    if (it == managed.end()) {
      return NotFoundError("no managed certificate named '" + std::string(name) + "'");
    }
    if (!force && it->status == "valid") {
      return FailedPreconditionError("'" + std::string(name) +
                                     "' is not due for renewal; use --force to renew anyway");
    }
    renew_calls.emplace_back(std::string(name), force);
    return RenewResult{std::string(name), "renewal of '" + std::string(name) + "' queued"};
  }
  Result<DaemonStatusView> DaemonStatus() override {
    std::lock_guard lock(mu_);
    return status;
  }
  Result<PinSetView> GetPins(std::string_view name) override {
    std::lock_guard lock(mu_);
    auto it = pins.find(std::string(name));
    if (it == pins.end()) return NotFoundError("'" + std::string(name) + "' has no pin policy");
    return it->second;
  }
  Status CheckConsumerAccess(const Identity& who, std::string_view name) override {
    if (who.role == Role::kConsumer && who.name == "edge" && name == "web") return OkStatus();
    return PermissionDeniedError(who.ToString() + " does not consume '" + std::string(name) + "'");
  }
  Result<BundleView> WaitForBundle(const Identity& who, std::string_view name,
                                   std::string_view known_serial,
                                   std::chrono::seconds wait) override {
    if (who.role != Role::kAdmin && !CheckConsumerAccess(who, name).ok()) {
      return PermissionDeniedError(who.ToString() + " may not read the bundle of '" +
                                   std::string(name) + "'");
    }
    std::unique_lock lock(mu_);
    if (name != "web") return NotFoundError("no bundle for '" + std::string(name) + "'");
    ++wait_calls;
    bool fresh = cv_.wait_for(lock, wait, [&] {
      return !bundle.serial_hex.empty() && bundle.serial_hex != known_serial;
    });
    if (!fresh) return DeadlineExceededError("no new version");
    return bundle;
  }
  Result<std::vector<EventView>> ListEvents(std::string_view certificate_name, int limit,
                                            int64_t before_id) override {
    std::lock_guard lock(mu_);
    last_events_query = {std::string(certificate_name), limit, before_id};
    std::vector<EventView> out;
    for (auto it = events.rbegin(); it != events.rend(); ++it) {  // newest first
      if (!certificate_name.empty() && it->certificate_name != certificate_name) continue;
      if (before_id > 0 && it->id >= before_id) continue;
      if (static_cast<int>(out.size()) >= limit) break;
      out.push_back(*it);
    }
    return out;
  }

  // A new version of the "web" bundle: wakes every waiting long-poll.
  void Publish(BundleView next) {
    {
      std::lock_guard lock(mu_);
      bundle = std::move(next);
    }
    cv_.notify_all();
  }

  int WaitCalls() {
    std::lock_guard lock(mu_);
    return wait_calls;
  }

  struct EventsQuery {
    std::string certificate;
    int limit = 0;
    int64_t before = 0;
  };

  // Test data; set before the server starts (or under the test's own ordering).
  std::vector<ManagedCertificateView> managed;
  DaemonStatusView status;
  std::map<std::string, PinSetView> pins;
  std::vector<EventView> events;  // oldest first
  BundleView bundle;
  std::vector<std::pair<std::string, bool>> renew_calls;
  EventsQuery last_events_query;
  int wait_calls = 0;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
};

}  // namespace ck::web
