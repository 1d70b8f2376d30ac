// Resolves where an invocation's configuration and state live, in one place, with the same
// precedence for every command: flag > environment > config file > built-in default.
#pragma once

#include <string>

#include "common/status.hpp"
#include "daemon/cli/command_env.hpp"
#include "daemon/config/config.hpp"

namespace ck::cli {

struct Context {
  config::Config config;
  bool config_from_file = false;  // false: built-in defaults (no file at the default path)
  std::string state_dir;
  bool dev = false;
  // The main config file's text ("" for built-in defaults): certificates added through the
  // API are validated as if appended to it.
  std::string main_config_text;

  std::string DatabasePath() const { return state_dir + "/certkeeper.db"; }
  std::string DevMasterKeyPath() const { return state_dir + "/master.key"; }
};

// `dev` selects the development defaults: state under ./.certkeeper-dev.
// A --config/CERTKEEPER_CONFIG that does not exist is an error; a missing default
// /etc/certkeeper/certkeeper.toml is not (built-in defaults apply).
Result<Context> LoadContext(const GlobalOptions& global, bool dev);

// Applies log level/format from config, then flags (flags win).
Status ApplyLogging(const GlobalOptions& global, const config::Config& config);

}  // namespace ck::cli
