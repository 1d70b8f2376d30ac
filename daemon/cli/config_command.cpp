// `certkeeper config check` and `certkeeper config example`.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "common/file_util.hpp"
#include "daemon/cli/commands.hpp"
#include "daemon/cli/context.hpp"
#include "daemon/config/config.hpp"
#include "daemon/lifecycle/declared_targets.hpp"

namespace ck::cli {
namespace {

int RunCheck(const CommandEnv& env) {
  auto ctx = LoadContext(env.global, /*dev=*/false);
  if (!ctx.ok()) {
    std::fprintf(stderr, "certkeeper: config error: %s\n", ctx.status().message().c_str());
    return kExitConfig;
  }
  const auto& c = ctx->config;
  // A config that parses but names files the daemon cannot use is not OK.
  if (Status s = config::CheckReferencedFiles(c); !s.ok()) {
    std::fprintf(stderr, "certkeeper: config error: %s\n", s.message().c_str());
    return kExitConfig;
  }
  if (Status s = lifecycle::ValidateDeployTargets(c); !s.ok()) {
    std::fprintf(stderr, "certkeeper: config error: %s\n", s.message().c_str());
    return kExitConfig;
  }
  // A config that parses but names a master key the daemon will refuse is not OK.
  if (!c.master_key_file.empty()) {
    if (Status s = CheckSecretFileMode(c.master_key_file); !s.ok()) {
      std::fprintf(stderr, "certkeeper: config error: %s: master_key_file: %s\n",
                   c.source_path.c_str(), s.message().c_str());
      return kExitConfig;
    }
  }
  std::printf("config OK: %s\n",
              ctx->config_from_file ? c.source_path.c_str() : "(no file; built-in defaults)");
  std::printf("  state_dir        %s\n", ctx->state_dir.c_str());
  std::printf("  listen           %s\n", c.listen.ToString().c_str());
  std::printf("  master_key_file  %s\n", c.master_key_file.empty()
                                             ? "(unset: $CREDENTIALS_DIRECTORY/master-key)"
                                             : c.master_key_file.c_str());
  std::printf("  log              level=%s format=%s\n",
              std::string(log::LevelName(c.log.level)).c_str(),
              c.log.format == log::Format::kJson ? "json" : "text");
  std::printf("  acme accounts    %zu\n", c.acme.accounts.size());
  for (const auto& [name, a] : c.acme.accounts) {
    std::printf("    %-16s %s\n", name.c_str(), a.server.c_str());
  }
  std::printf("  certificates     %zu\n", c.certificates.size());
  for (const auto& cert : c.certificates) {
    std::string names;
    for (const auto& d : cert.domains) names += (names.empty() ? "" : ", ") + d;
    for (const auto& u : cert.uris) names += (names.empty() ? "" : ", ") + u;
    std::printf("    %-16s %-14s %s\n", cert.name.c_str(), cert.issuer.c_str(), names.c_str());
  }
  return kExitOk;
}

}  // namespace

void RegisterConfigCommand(CLI::App& app, CommandEnv& env) {
  CLI::App* config = app.add_subcommand("config", "Check or print the configuration");
  config->require_subcommand(1);
  CLI::App* check = config->add_subcommand(
      "check", "Validate the configuration file (errors name the key and line); exit 3 if invalid");
  check->callback([&env] { env.exit_code = RunCheck(env); });
  CLI::App* example = config->add_subcommand("example", "Print a commented example configuration");
  example->callback([&env] {
    const std::string_view text = config::ExampleConfigText();
    std::fwrite(text.data(), 1, text.size(), stdout);
    env.exit_code = kExitOk;
  });
}

}  // namespace ck::cli
