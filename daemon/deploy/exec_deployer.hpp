// `exec` target: a shell command run after the files are in place, with certbot's deploy-hook
// environment (RENEWED_LINEAGE, RENEWED_DOMAINS) so existing hooks work unchanged, plus
// CERTKEEPER_NAME, CERTKEEPER_SERIAL and CERTKEEPER_NOT_AFTER (RFC 3339).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "daemon/deploy/deployer.hpp"
#include "daemon/deploy/target_config.hpp"

namespace ck::deploy {

struct ExecOptions {
  std::string command;  // run with /bin/sh -c
  std::chrono::seconds timeout{60};
  std::optional<HostPort> verify_addr;  // optional closed-loop check
  std::string verify_sni;               // default: the first domain
};

// Keys: command (required), timeout ("60s"), verify_addr, verify_sni.
Result<ExecOptions> ParseExecOptions(const nlohmann::json& target);

class ExecDeployer final : public Deployer {
 public:
  ExecDeployer(ExecOptions options, DeployEnv env) : o_(std::move(options)), env_(std::move(env)) {}

  std::string Describe() const override { return "exec `" + o_.command + "`"; }
  std::string_view type() const override { return "exec"; }
  Status Validate(const Material& m) override;
  Status Commit(const Material& m) override;
  Status Verify(const Material& m) override;
  // A hook has no undo (certbot's have none either), so there is nothing to restore here.
  Status Rollback() override { return OkStatus(); }

  // The variables the hook sees (exposed for tests).
  std::vector<std::string> Environment(const Material& m) const;

 private:
  ExecOptions o_;
  DeployEnv env_;
};

}  // namespace ck::deploy
