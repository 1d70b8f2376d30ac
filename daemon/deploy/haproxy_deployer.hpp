// `haproxy` target: HAProxy's runtime API (management guide §9.3, "set ssl cert" / "commit ssl
// cert") replaces the certificate in the running process — new handshakes get it at once, with
// no reload and no dropped connection. The crt file is rewritten too, so a restart loads the
// same certificate.
#pragma once

#include <optional>
#include <string>

#include "daemon/deploy/deployer.hpp"
#include "daemon/deploy/target_config.hpp"

namespace ck::deploy {

struct HaproxyOptions {
  std::string socket;     // admin socket: `stats socket PATH level admin`
  std::string cert_path;  // the crt file exactly as HAProxy's config names it
  std::optional<HostPort> verify_addr;
  std::string verify_sni;  // default: the first domain
  std::chrono::milliseconds socket_timeout{10000};
};

// Keys: socket, cert_path (both required), verify_addr, verify_sni.
Result<HaproxyOptions> ParseHaproxyOptions(const nlohmann::json& target);

// Sends one command on a fresh connection (non-interactive mode: HAProxy answers and closes)
// and returns the whole answer.
Result<std::string> HaproxyCommand(const std::string& socket, std::string_view command,
                                   std::chrono::milliseconds timeout);

class HaproxyDeployer final : public Deployer {
 public:
  HaproxyDeployer(HaproxyOptions options, DeployEnv env)
      : o_(std::move(options)), env_(std::move(env)) {}

  std::string Describe() const override { return "haproxy " + o_.socket + " " + o_.cert_path; }
  std::string_view type() const override { return "haproxy"; }
  Status Validate(const Material& m) override;
  Status Commit(const Material& m) override;
  Status Verify(const Material& m) override;
  Status Rollback() override;

 private:
  // set ssl cert + commit ssl cert (abort ssl cert when either fails).
  Status PushRuntime(std::string_view pem);

  HaproxyOptions o_;
  DeployEnv env_;
  bool committed_ = false;
  std::string sni_;
  std::optional<store::SecretString> previous_pem_;  // cert_path before Commit
};

}  // namespace ck::deploy
