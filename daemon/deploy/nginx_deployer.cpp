#include "daemon/deploy/nginx_deployer.hpp"

#include <signal.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "common/file_util.hpp"
#include "common/log.hpp"
#include "daemon/deploy/run_command.hpp"
#include "daemon/deploy/served_serial.hpp"

namespace ck::deploy {

Result<NginxOptions> ParseNginxOptions(const nlohmann::json& target) {
  ASSIGN_OR_RETURN(TargetConfig c, TargetConfig::Open(target, {"conf", "binary", "pid_file",
                                                               "verify_addr", "verify_sni"}));
  NginxOptions o;
  ASSIGN_OR_RETURN(o.conf, c.String("conf"));
  ASSIGN_OR_RETURN(o.binary, c.String("binary", "nginx"));
  if (o.binary.empty()) return c.Error("binary", "must not be empty");
  ASSIGN_OR_RETURN(o.pid_file, c.String("pid_file"));
  ASSIGN_OR_RETURN(o.verify_addr, c.Address("verify_addr"));
  ASSIGN_OR_RETURN(o.verify_sni, c.String("verify_sni"));
  return o;
}

std::string NginxDeployer::Describe() const {
  std::string d = "nginx";
  if (!o_.conf.empty()) d += " " + o_.conf;
  if (o_.verify_addr) d += " " + o_.verify_addr->ToString();
  return d;
}

std::vector<std::string> NginxDeployer::Argv(std::vector<std::string> extra) const {
  std::vector<std::string> argv = {o_.binary};
  if (!o_.conf.empty()) argv.insert(argv.end(), {"-c", o_.conf});
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

std::string NginxDeployer::Sni(const Material& m) const {
  if (!o_.verify_sni.empty() || m.domains.empty()) return o_.verify_sni;
  return m.domains.front();
}

Status NginxDeployer::Validate(const Material&) {
  // -q: only errors; nginx prints them on stderr ("nginx: [emerg] ...").
  auto run = RunCommand(Argv({"-t", "-q"}), {}, o_.command_timeout);
  if (!run.ok()) return run.status().WithContext("nginx -t");
  if (!run->ok()) {
    return FailedPreconditionError("nginx -t failed (" + run->Describe() +
                                   "): " + LastLines(run->err + run->out, 6));
  }
  return OkStatus();
}

Status NginxDeployer::Reload() {
  if (!o_.pid_file.empty()) {
    ASSIGN_OR_RETURN(std::string text, ReadFile(o_.pid_file, 64));
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    int pid = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
    if (ec != std::errc() || end != text.data() + text.size() || pid <= 1) {
      return FailedPreconditionError(o_.pid_file + " does not hold a pid");
    }
    // SIGHUP to the master: re-read config and certificates, start new workers, retire old.
    if (::kill(pid, SIGHUP) != 0) {
      return UnavailableError("cannot signal nginx pid " + std::to_string(pid) + " from " +
                              o_.pid_file + ": " + std::strerror(errno));
    }
    return OkStatus();
  }
  auto run = RunCommand(Argv({"-s", "reload"}), {}, o_.command_timeout);
  if (!run.ok()) return run.status().WithContext("nginx -s reload");
  if (!run->ok()) {
    return UnavailableError("nginx -s reload failed (" + run->Describe() +
                            "): " + LastLines(run->err + run->out, 6));
  }
  return OkStatus();
}

Status NginxDeployer::Commit(const Material& m) {
  reloaded_ = false;
  previous_serial_.reset();
  sni_ = Sni(m);
  if (o_.verify_addr) {
    // Remember what is served now so Rollback can check that it is served again.
    auto served = ServedSerial(*o_.verify_addr, sni_, std::chrono::seconds(5));
    if (served.ok()) previous_serial_ = *served;
  }
  RETURN_IF_ERROR(Reload());
  reloaded_ = true;
  log::Info("reloaded nginx", {{"cert", m.name}, {"target", Describe()}});
  return OkStatus();
}

Status NginxDeployer::Verify(const Material& m) {
  if (!o_.verify_addr) return OkStatus();
  return WaitForServedSerial(env_.clock ? *env_.clock : DefaultClock(), *o_.verify_addr, Sni(m),
                             m.serial_hex, env_.verify_timeout);
}

Status NginxDeployer::Rollback() {
  if (!reloaded_) return OkStatus();
  reloaded_ = false;
  // DeployAll has restored the files by now: this reload makes nginx read the previous pair.
  RETURN_IF_ERROR(Reload().WithContext("rollback reload"));
  log::Warn("reloaded nginx to roll back", {{"target", Describe()}});
  if (o_.verify_addr && previous_serial_) {
    return WaitForServedSerial(env_.clock ? *env_.clock : DefaultClock(), *o_.verify_addr, sni_,
                               *previous_serial_, env_.verify_timeout)
        .WithContext("after rollback");
  }
  return OkStatus();
}

}  // namespace ck::deploy
