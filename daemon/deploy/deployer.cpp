#include "daemon/deploy/deployer.hpp"

#include <nlohmann/json.hpp>

#include "common/log.hpp"
#include "daemon/deploy/exec_deployer.hpp"
#include "daemon/deploy/files_deployer.hpp"
#include "daemon/deploy/haproxy_deployer.hpp"
#include "daemon/deploy/nginx_deployer.hpp"
#include "daemon/deploy/webhook_deployer.hpp"
#include "daemon/metrics/daemon_metrics.hpp"

namespace ck::deploy {
namespace {

std::string WithNewline(std::string_view pem) {
  std::string s(pem);
  if (!s.empty() && s.back() != '\n') s += '\n';
  return s;
}

Result<std::string> TypeOf(const nlohmann::json& target) {
  if (!target.is_object()) return InvalidArgumentError("deploy target must be a table");
  auto it = target.find("type");
  if (it == target.end() || !it->is_string()) {
    return InvalidArgumentError("deploy target: key 'type' is required (a string)");
  }
  return it->get<std::string>();
}

Status UnknownType(const std::string& type) {
  return InvalidArgumentError("deploy target: key 'type' has unknown value \"" + type +
                              "\" (known: files, exec, nginx, haproxy, webhook)");
}

}  // namespace

std::string Material::FullchainPem() const {
  return WithNewline(cert_pem) + WithNewline(chain_pem);
}

Result<std::unique_ptr<Deployer>> MakeDeployer(const nlohmann::json& target, const DeployEnv& env) {
  ASSIGN_OR_RETURN(std::string type, TypeOf(target));
  std::unique_ptr<Deployer> d;
  if (type == "files") {
    ASSIGN_OR_RETURN(FilesOptions o, ParseFilesOptions(target));
    d = std::make_unique<FilesDeployer>(std::move(o));
  } else if (type == "exec") {
    ASSIGN_OR_RETURN(ExecOptions o, ParseExecOptions(target));
    d = std::make_unique<ExecDeployer>(std::move(o), env);
  } else if (type == "nginx") {
    ASSIGN_OR_RETURN(NginxOptions o, ParseNginxOptions(target));
    d = std::make_unique<NginxDeployer>(std::move(o), env);
  } else if (type == "haproxy") {
    ASSIGN_OR_RETURN(HaproxyOptions o, ParseHaproxyOptions(target));
    d = std::make_unique<HaproxyDeployer>(std::move(o), env);
  } else if (type == "webhook") {
    ASSIGN_OR_RETURN(WebhookOptions o, ParseWebhookOptions(target));
    d = std::make_unique<WebhookDeployer>(std::move(o), env);
  } else {
    return UnknownType(type);
  }
  return d;
}

Status ValidateTargetConfig(const nlohmann::json& target) {
  ASSIGN_OR_RETURN(std::string type, TypeOf(target));
  if (type == "files") return ParseFilesOptions(target).status();
  if (type == "exec") return ParseExecOptions(target).status();
  if (type == "nginx") return ParseNginxOptions(target).status();
  if (type == "haproxy") return ParseHaproxyOptions(target).status();
  if (type == "webhook") return ParseWebhookOptions(target).status();
  return UnknownType(type);
}

std::string LineageDir(const std::vector<nlohmann::json>& targets, std::string_view name) {
  for (const auto& t : targets) {
    auto type = TypeOf(t);
    if (!type.ok() || *type != "files") continue;
    auto o = ParseFilesOptions(t);
    if (o.ok()) return o->dir + "/live/" + std::string(name);
  }
  return "";
}

namespace {

// One certkeeper_deploy_total sample per target: what happened to it in this deploy.
void CountDeployOutcomes(const std::vector<Deployer*>& targets, const DeployReport& report,
                         std::string_view name) {
  for (size_t i = 0; i < targets.size() && i < report.targets.size(); ++i) {
    const TargetOutcome& o = report.targets[i];
    const char* result = o.status.code() == StatusCode::kAborted ? "skipped"
                         : !o.status.ok()                        ? "failure"
                         : o.rolled_back                         ? "rolled_back"
                                                                 : "success";
    daemon::metrics::CountDeploy(name, o.target, targets[i]->type(), result);
  }
}

}  // namespace

DeployReport DeployAll(const std::vector<Deployer*>& targets, const Material& m) {
  DeployReport report;
  for (Deployer* t : targets) {
    report.targets.push_back({t->Describe(), AbortedError("not attempted"), false});
  }
  std::vector<size_t> touched;  // Commit attempted, so Rollback is due on failure
  size_t failed = targets.size();
  for (size_t i = 0; i < targets.size() && failed == targets.size(); ++i) {
    Deployer* t = targets[i];
    Status s = t->Validate(m).WithContext("validate");
    if (s.ok()) {
      touched.push_back(i);
      s = t->Commit(m).WithContext("commit");
    }
    if (s.ok()) {
      s = t->Verify(m).WithContext("verify");
      daemon::metrics::CountDeployVerify(m.name, t->Describe(), s.ok() ? "success" : "failure");
    }
    report.targets[i].status = s;
    if (!s.ok()) failed = i;
  }
  if (failed == targets.size()) {
    report.status = OkStatus();
    CountDeployOutcomes(targets, report, m.name);
    return report;
  }
  report.status =
      report.targets[failed].status.WithContext("deploy target " + targets[failed]->Describe());
  log::Failure(m.name, report.status, "deploy failed; rolling back",
               {{"serial", m.serial_hex}, {"target", targets[failed]->Describe()}});
  for (size_t i = failed + 1; i < targets.size(); ++i) {
    report.targets[i].status =
        AbortedError("not attempted: " + targets[failed]->Describe() + " failed");
  }
  // Files first (so key and certificate on disk are the previous pair again), then the rest in
  // reverse order: a consumer that reloads from those files (nginx) re-reads the old pair.
  std::vector<size_t> order;
  for (auto it = touched.rbegin(); it != touched.rend(); ++it) {
    if (targets[*it]->type() == "files") order.push_back(*it);
  }
  for (auto it = touched.rbegin(); it != touched.rend(); ++it) {
    if (targets[*it]->type() != "files") order.push_back(*it);
  }
  std::string rollback_errors;
  for (size_t i : order) {
    Status s = targets[i]->Rollback();
    if (s.ok()) {
      report.targets[i].rolled_back = true;
      continue;
    }
    log::Failure(m.name, s, "rollback failed", {{"target", targets[i]->Describe()}});
    rollback_errors += "; rollback of " + targets[i]->Describe() + " failed: " + s.message();
  }
  if (!rollback_errors.empty()) {
    report.status = Status(report.status.code(), report.status.message() + rollback_errors);
  }
  CountDeployOutcomes(targets, report, m.name);
  return report;
}

}  // namespace ck::deploy
