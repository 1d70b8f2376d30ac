// `webhook` target: POSTs the new material as JSON, signed so the receiver can tell it came from
// us and is fresh:
//   X-Certkeeper-Timestamp: <unix seconds>
//   X-Certkeeper-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
// The timestamp is inside the MAC, so a receiver that rejects stale timestamps and remembers
// recent signatures (tests/webhook_receiver/receiver.py) defeats replay. Network errors, 5xx
// and 429 are retried with exponential backoff; other 4xx are final.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "daemon/deploy/deployer.hpp"
#include "daemon/deploy/target_config.hpp"

namespace ck::deploy {

struct WebhookOptions {
  std::string url;          // http:// or https://
  std::string secret_file;  // HMAC key; mode 0600/0400; trailing whitespace is not part of it
  bool include_key = false;
  std::chrono::seconds timeout{30};  // per attempt
  int retries = 3;                   // attempts after the first
  std::string ca_bundle;             // trust for an https:// url; empty = system store
  std::optional<HostPort> verify_addr;
  std::string verify_sni;
  std::chrono::milliseconds initial_backoff{1000};  // doubles per retry, capped at 30 s
};

// Keys: url, secret_file (both required), include_key (false), timeout ("30s"), retries (3),
// ca_bundle, verify_addr, verify_sni.
Result<WebhookOptions> ParseWebhookOptions(const nlohmann::json& target);

// The hex HMAC the signature header carries (exposed for tests).
std::string WebhookSignature(std::string_view secret, std::string_view timestamp,
                             std::string_view body);

class WebhookDeployer final : public Deployer {
 public:
  WebhookDeployer(WebhookOptions options, DeployEnv env)
      : o_(std::move(options)), env_(std::move(env)) {}

  std::string Describe() const override { return "webhook " + o_.url; }
  std::string_view type() const override { return "webhook"; }
  Status Validate(const Material& m) override;
  Status Commit(const Material& m) override;
  Status Verify(const Material& m) override;
  // A push cannot be taken back; list webhooks last so they only see material that passed
  // every other target.
  Status Rollback() override { return OkStatus(); }

  // The JSON body for `m` (exposed for tests).
  std::string Body(const Material& m) const;

 private:
  Result<std::string> ReadSecret() const;

  WebhookOptions o_;
  DeployEnv env_;
};

}  // namespace ck::deploy
