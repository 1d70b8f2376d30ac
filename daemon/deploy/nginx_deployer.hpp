// `nginx` target: `nginx -t -c conf` before anything changes, then a reload (SIGHUP to the
// master), then the closed loop: nginx reloads asynchronously, so we poll verify_addr until the
// new serial is served. nginx reads its certificates from the files target, so it is listed
// after it; on rollback the files are restored first and nginx is reloaded once more.
#pragma once

#include <optional>
#include <string>

#include "daemon/deploy/deployer.hpp"
#include "daemon/deploy/target_config.hpp"

namespace ck::deploy {

struct NginxOptions {
  std::string conf;              // empty = nginx's compiled-in default
  std::string binary = "nginx";  // searched in PATH
  std::string pid_file;          // empty = `nginx [-c conf] -s reload` finds it from the conf
  std::optional<HostPort> verify_addr;
  std::string verify_sni;  // default: the first domain
  std::chrono::seconds command_timeout{60};
};

// Keys: conf, binary, pid_file, verify_addr, verify_sni.
Result<NginxOptions> ParseNginxOptions(const nlohmann::json& target);

class NginxDeployer final : public Deployer {
 public:
  NginxDeployer(NginxOptions options, DeployEnv env)
      : o_(std::move(options)), env_(std::move(env)) {}

  std::string Describe() const override;
  std::string_view type() const override { return "nginx"; }
  Status Validate(const Material& m) override;
  Status Commit(const Material& m) override;
  Status Verify(const Material& m) override;
  Status Rollback() override;

 private:
  std::vector<std::string> Argv(std::vector<std::string> extra) const;
  Status Reload();
  std::string Sni(const Material& m) const;

  NginxOptions o_;
  DeployEnv env_;
  bool reloaded_ = false;
  std::string sni_;
  std::optional<std::string> previous_serial_;  // served before Commit, checked after Rollback
};

}  // namespace ck::deploy
