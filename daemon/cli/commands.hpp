// Each CLI command registers itself on the root app; main.cpp only calls these.
#pragma once

#include "daemon/cli/command_env.hpp"

namespace CLI {
class App;
}

namespace ck::cli {

void RegisterServeCommand(CLI::App& app, CommandEnv& env);
void RegisterConfigCommand(CLI::App& app, CommandEnv& env);
void RegisterStoreCommands(CLI::App& app, CommandEnv& env);  // backup, restore, rekey
void RegisterInspectCommand(CLI::App& app, CommandEnv& env);
void RegisterAcmeCommands(CLI::App& app, CommandEnv& env);  // acme register|issue|revoke|rollover
void RegisterCaCommands(CLI::App& app, CommandEnv& env);    // ca init|issue|sign|revoke|...
void RegisterTokenCommands(CLI::App& app, CommandEnv& env);
void RegisterLifecycleCommands(CLI::App& app, CommandEnv& env);  // ls, status, renew, pins, events
void RegisterWatchCommands(CLI::App& app, CommandEnv& env);      // watch check

}  // namespace ck::cli
