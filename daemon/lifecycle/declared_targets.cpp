#include "daemon/lifecycle/declared_targets.hpp"

#include "daemon/deploy/deployer.hpp"

namespace ck::lifecycle {
namespace {

Status ValidatePull(const nlohmann::json& target) {
  for (const auto& [key, _] : target.items()) {
    if (key != "type" && key != "consumers") {
      return InvalidArgumentError("pull target: unknown key '" + key + "' (known: consumers)");
    }
  }
  auto consumers = target.find("consumers");
  if (consumers == target.end() || !consumers->is_array() || consumers->empty()) {
    return InvalidArgumentError(
        "pull target: 'consumers' must list the consumer identities allowed to fetch, e.g. "
        "consumers = [\"edge-1\"]");
  }
  for (const auto& c : *consumers) {
    if (!c.is_string() || c.get<std::string>().empty()) {
      return InvalidArgumentError("pull target: 'consumers' entries must be non-empty strings");
    }
  }
  return OkStatus();
}

}  // namespace

Status ValidateDeployTargets(const config::Config& config) {
  for (const auto& cert : config.certificates) {
    for (size_t i = 0; i < cert.deploy.size(); ++i) {
      const auto& target = cert.deploy[i];
      Status s = target.value("type", "") == "pull" ? ValidatePull(target)
                                                    : deploy::ValidateTargetConfig(target);
      if (s.ok()) continue;
      const int line = i < cert.deploy_lines.size() ? cert.deploy_lines[i] : cert.line;
      return InvalidArgumentError(config.source_path + ":" + std::to_string(line) +
                                  ": certificate[" + cert.name + "].deploy[" + std::to_string(i) +
                                  "]: " + s.message());
    }
  }
  return OkStatus();
}

}  // namespace ck::lifecycle
