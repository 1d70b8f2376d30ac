// `certkeeper config check` and `certkeeper config example`.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "common/file_util.hpp"
#include "daemon/cli/commands.hpp"
#include "daemon/cli/context.hpp"

namespace ck::cli {
namespace {

constexpr const char* kExampleConfig = R"(# certkeeper configuration (TOML). Every key is optional.
# state_dir holds the SQLite database and, in --dev mode, the generated master key.
state_dir = "/var/lib/certkeeper"

# Admin API (and later the dashboard). Keep it on loopback unless you put mTLS in front.
listen = "127.0.0.1:8443"

# 32-byte master key that seals private keys at rest (mode 0600 or 0400). When unset,
# certkeeper reads $CREDENTIALS_DIRECTORY/master-key (systemd LoadCredential=master-key:...).
# master_key_file = "/etc/certkeeper/master.key"

[log]
level = "info"    # debug | info | warn | error
format = "text"   # text | json
)";

int RunCheck(const CommandEnv& env) {
  auto ctx = LoadContext(env.global, /*dev=*/false);
  if (!ctx.ok()) {
    std::fprintf(stderr, "certkeeper: config error: %s\n", ctx.status().message().c_str());
    return kExitConfig;
  }
  const auto& c = ctx->config;
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
    std::fputs(kExampleConfig, stdout);
    env.exit_code = kExitOk;
  });
}

}  // namespace ck::cli
