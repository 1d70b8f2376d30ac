// What every CLI command shares: the global flags and the exit-code convention.
#pragma once

#include <string>

#include "common/status.hpp"

namespace ck::cli {

// Exit codes (documented in README): scripts can tell "found a problem" from "could not run".
enum ExitCode : int {
  kExitOk = 0,
  kExitProblem = 1,      // the command ran and found a problem (e.g. inspect: chain invalid)
  kExitUsage = 2,        // bad flags or arguments (also CLI11's parse errors)
  kExitConfig = 3,       // the configuration is invalid
  kExitUnavailable = 4,  // a resource is busy or unreachable (lock held, port in use, network)
  kExitPermission = 5,   // permission denied (file modes, authentication)
  kExitDataLoss = 6,     // corrupt data, wrong master key, tampered row
  kExitInternal = 10,
};

struct GlobalOptions {
  std::string config_path;  // --config / CERTKEEPER_CONFIG
  std::string state_dir;    // --state-dir / CERTKEEPER_STATE_DIR
  std::string log_level;    // --log-level (overrides the config)
  std::string log_format;   // --log-format
};

struct CommandEnv {
  GlobalOptions global;
  int exit_code = kExitOk;
};

int ExitCodeFor(const Status& status);

// Prints "certkeeper: error: <message>" (and a hint for common codes) to stderr and returns the
// exit code for it.
int ReportError(const Status& status);

}  // namespace ck::cli
