// certkeeper: wiring only. Each command lives in daemon/cli/.
#include <CLI/CLI.hpp>

#include "daemon/cli/command_env.hpp"
#include "daemon/cli/commands.hpp"
#include "daemon/version.hpp"

int main(int argc, char** argv) {
  ck::cli::CommandEnv env;
  CLI::App app{"certkeeper " CK_VERSION " — certificate lifecycle daemon and CLI", "certkeeper"};
  app.set_version_flag("--version", CK_VERSION);
  app.require_subcommand(1);
  app.fallthrough();  // global flags are accepted after the subcommand too
  app.add_option("--config", env.global.config_path,
                 "Config file (default /etc/certkeeper/certkeeper.toml)")
      ->envname("CERTKEEPER_CONFIG");
  app.add_option("--state-dir", env.global.state_dir,
                 "State directory: database, keys (default /var/lib/certkeeper)")
      ->envname("CERTKEEPER_STATE_DIR");
  app.add_option("--log-level", env.global.log_level, "debug, info, warn or error");
  app.add_option("--log-format", env.global.log_format, "text or json");

  ck::cli::RegisterServeCommand(app, env);
  ck::cli::RegisterConfigCommand(app, env);
  ck::cli::RegisterStoreCommands(app, env);
  ck::cli::RegisterInspectCommand(app, env);
  ck::cli::RegisterAcmeCommands(app, env);
  ck::cli::RegisterCaCommands(app, env);
  ck::cli::RegisterTokenCommands(app, env);
  ck::cli::RegisterLifecycleCommands(app, env);
  ck::cli::RegisterWatchCommands(app, env);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : ck::cli::kExitUsage;
  }
  return env.exit_code;
}
