#include "daemon/deploy/exec_deployer.hpp"

#include <unistd.h>

#include "common/log.hpp"
#include "daemon/deploy/run_command.hpp"
#include "daemon/deploy/served_serial.hpp"

namespace ck::deploy {

Result<ExecOptions> ParseExecOptions(const nlohmann::json& target) {
  ASSIGN_OR_RETURN(TargetConfig c,
                   TargetConfig::Open(target, {"command", "timeout", "verify_addr", "verify_sni"}));
  ExecOptions o;
  ASSIGN_OR_RETURN(o.command, c.RequiredString("command"));
  ASSIGN_OR_RETURN(o.timeout, c.Duration("timeout", std::chrono::seconds(60)));
  ASSIGN_OR_RETURN(o.verify_addr, c.Address("verify_addr"));
  ASSIGN_OR_RETURN(o.verify_sni, c.String("verify_sni"));
  return o;
}

std::vector<std::string> ExecDeployer::Environment(const Material& m) const {
  std::string domains;
  for (const auto& d : m.domains) domains += (domains.empty() ? "" : " ") + d;
  return {
      "RENEWED_LINEAGE=" + env_.lineage_dir,
      "RENEWED_DOMAINS=" + domains,
      "CERTKEEPER_NAME=" + m.name,
      "CERTKEEPER_SERIAL=" + m.serial_hex,
      "CERTKEEPER_NOT_AFTER=" + FormatRfc3339(m.not_after),
  };
}

Status ExecDeployer::Validate(const Material& m) {
  RETURN_IF_ERROR(CheckCertificateName(m.name));
  if (::access("/bin/sh", X_OK) != 0) return FailedPreconditionError("/bin/sh is not executable");
  return OkStatus();
}

Status ExecDeployer::Commit(const Material& m) {
  auto run = RunCommand({"/bin/sh", "-c", o_.command}, Environment(m), o_.timeout);
  if (!run.ok()) return run.status().WithContext("deploy hook `" + o_.command + "`");
  if (!run->ok()) {
    std::string tail = LastLines(run->err, 5);
    return UnavailableError("deploy hook `" + o_.command + "` failed (" + run->Describe() + ")" +
                            (tail.empty() ? "" : ": " + tail));
  }
  log::Info("deploy hook ran", {{"cert", m.name}, {"command", o_.command}});
  return OkStatus();
}

Status ExecDeployer::Verify(const Material& m) {
  if (!o_.verify_addr) return OkStatus();
  std::string sni = o_.verify_sni.empty() && !m.domains.empty() ? m.domains.front() : o_.verify_sni;
  return WaitForServedSerial(env_.clock ? *env_.clock : DefaultClock(), *o_.verify_addr, sni,
                             m.serial_hex, env_.verify_timeout);
}

}  // namespace ck::deploy
