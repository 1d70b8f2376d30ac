// Opens what a command or the daemon needs from the state directory: the master key (from the
// configured file, systemd credentials, or the state dir) and the store sealed with it.
#pragma once

#include <memory>
#include <string>

#include "common/status.hpp"
#include "daemon/cli/context.hpp"
#include "store/master_key.hpp"
#include "store/store.hpp"

namespace ck::daemon {

struct LoadedMasterKey {
  store::MasterKey key;
  std::string origin;  // human description for banners and messages (never the key itself)
};

// Resolution order:
//   1. `master_key_file` from the config;
//   2. $CREDENTIALS_DIRECTORY/master-key (systemd LoadCredential=master-key:...);
//   3. <state_dir>/master.key when it exists (what --dev created);
//   4. --dev only: generate <state_dir>/master.key (mode 0600).
// Otherwise FailedPrecondition naming the three ways to provide one.
Result<LoadedMasterKey> LoadMasterKeyFor(const cli::Context& ctx);

struct State {
  std::unique_ptr<store::Store> store;
  std::string master_key_origin;
  std::string master_key_id;
};

// Creates the state dir (0700) if needed, loads the master key and opens the SQLite store.
// `take_writer_lock`: the daemon and every writing command; read-only commands may skip it.
Result<State> OpenState(const cli::Context& ctx, bool take_writer_lock,
                        bool create_if_missing = true);

}  // namespace ck::daemon
