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

struct OpenStateOptions {
  // The daemon and every writing command; read-only commands (backup) may run beside the
  // daemon without it.
  bool take_writer_lock = true;
  // Create the state dir (0700) and an empty database; false: NotFound when there is none.
  bool create_if_missing = true;
  // Bring the schema up to date (needs the writer lock). Off for backup, so an old database
  // can be saved before an upgrade touches it.
  bool migrate = true;
};

// Loads the master key and opens the SQLite store under the state dir.
Result<State> OpenState(const cli::Context& ctx, const OpenStateOptions& options);

}  // namespace ck::daemon
