// The Deployer seam (issue 5): every place a certificate goes — files on disk, an exec hook,
// nginx, HAProxy's runtime API, a webhook — is one target with the same three steps,
// validate → commit → verify, plus rollback. DeployAll runs them in config order and, on the
// first failure, puts every consumer back on the previous material: a consumer must never be
// left with a key that does not match its certificate.
#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/status.hpp"
#include "store/secret_string.hpp"

namespace ck::deploy {

// One issued certificate version to deploy.
struct Material {
  std::string name;  // managed certificate name, e.g. "web" ([a-z0-9][a-z0-9._-]*)
  std::vector<std::string> domains;
  std::string serial_hex;  // uppercase hex, as pki Certificate::SerialHex()
  std::string cert_pem;    // leaf only
  std::string chain_pem;   // issuers (may be empty)
  store::SecretString key_pem;
  TimePoint not_after;

  std::string FullchainPem() const;  // cert_pem + chain_pem, each ending in a newline
};

class Deployer {
 public:
  virtual ~Deployer() = default;
  virtual std::string Describe() const = 0;   // "files /etc/certkeeper", "nginx 127.0.0.1:443"
  virtual std::string_view type() const = 0;  // "files", "exec", "nginx", "haproxy", "webhook"
  // Checks before any change (key matches cert, paths writable, `nginx -t`).
  virtual Status Validate(const Material& m) = 0;
  virtual Status Commit(const Material& m) = 0;  // make it live
  virtual Status Verify(const Material& m) = 0;  // closed loop; OK when nothing to verify
  // Restores what was live before the last Commit; OK when there is nothing to do.
  virtual Status Rollback() = 0;
};

struct DeployEnv {
  Clock* clock = nullptr;  // nullptr = the system clock
  // live/NAME dir of the certificate's files target, if any (RENEWED_LINEAGE for exec).
  std::string lineage_dir;
  std::chrono::milliseconds verify_timeout{30000};  // overall closed-loop verify budget
};

// Builds one target from its config table ([[certificate.deploy]] converted to JSON; key
// "type" required). InvalidArgument naming the key for unknown types/keys or bad values.
Result<std::unique_ptr<Deployer>> MakeDeployer(const nlohmann::json& target, const DeployEnv& env);

// The same checks as MakeDeployer, without side effects (for `config check`).
Status ValidateTargetConfig(const nlohmann::json& target);

// The files target's live dir for a certificate (dir + "/live/" + name); "" when the targets
// have no files target.
std::string LineageDir(const std::vector<nlohmann::json>& targets, std::string_view name);

struct TargetOutcome {
  std::string target;  // Describe()
  Status status;       // Aborted("not attempted ...") for targets after the failing one
  bool rolled_back = false;
};
struct DeployReport {
  Status status;
  std::vector<TargetOutcome> targets;  // one per target, in config order
};

// Targets in config order, each Validate → Commit → Verify. On the first failure every target
// already committed (and the failing one) is rolled back so that all consumers serve the
// previous material again and the files on disk are the previous matching key+cert pair;
// report.status is the failure, naming the target. Rollback order: "files" targets first, then
// the others in reverse config order, so a reload (nginx) picks up the restored files.
DeployReport DeployAll(const std::vector<Deployer*>& targets, const Material& m);

}  // namespace ck::deploy
