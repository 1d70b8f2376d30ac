// Checks the deploy targets a config declares before anything runs: each
// [[certificate.deploy]] table through the deploy module (its keys and values), and `pull`
// targets (which no deployer handles: consumers fetch) here. Used by `config check`, at
// daemon start and on SIGHUP, so a typo in a target is a config error naming file, line and
// certificate, not a failed deploy hours later.
#pragma once

#include "common/status.hpp"
#include "daemon/config/config.hpp"

namespace ck::lifecycle {

Status ValidateDeployTargets(const config::Config& config);

}  // namespace ck::lifecycle
