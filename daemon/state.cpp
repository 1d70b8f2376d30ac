#include "daemon/state.hpp"

#include <sys/stat.h>

#include "common/file_util.hpp"
#include "store/sqlite_store.hpp"

namespace ck::daemon {
namespace {

bool FileExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

Result<LoadedMasterKey> LoadMasterKeyFor(const cli::Context& ctx) {
  const auto& file = ctx.config.master_key_file;
  if (!file.empty()) {
    auto key = store::LoadMasterKeyFile(file);
    if (!key.ok()) return key.status().WithContext("master key (master_key_file)");
    return LoadedMasterKey{std::move(*key), file};
  }
  auto cred = store::LoadMasterKeyFromCredentials();
  if (cred.ok()) {
    return LoadedMasterKey{std::move(*cred), "systemd credential master-key"};
  }
  if (cred.status().code() != StatusCode::kNotFound) {
    return cred.status().WithContext("master key (systemd credential)");
  }
  const std::string local = ctx.DevMasterKeyPath();
  if (FileExists(local)) {
    auto key = store::LoadMasterKeyFile(local);
    if (!key.ok()) return key.status().WithContext("master key");
    return LoadedMasterKey{std::move(*key), local};
  }
  if (ctx.dev) {
    auto key = store::LoadOrCreateDevMasterKey(local);
    if (!key.ok()) return key.status().WithContext("master key");
    return LoadedMasterKey{std::move(*key), local + " (generated for development)"};
  }
  return FailedPreconditionError(
      "no master key: set master_key_file in the config (a 0600 file holding 32 random bytes, "
      "e.g. `openssl rand -base64 32 > /etc/certkeeper/master.key`), provide it as the systemd "
      "credential 'master-key' (LoadCredential=master-key:PATH), or run `certkeeper serve "
      "--dev` to generate " +
      local);
}

Result<State> OpenState(const cli::Context& ctx, const OpenStateOptions& opts) {
  if (opts.create_if_missing) {
    const bool existed = FileExists(ctx.state_dir);
    RETURN_IF_ERROR(EnsureDirectory(ctx.state_dir, 0700));
    // Only tighten a directory we created; an operator-made one keeps its chosen mode.
    if (!existed) ::chmod(ctx.state_dir.c_str(), 0700);
  } else if (!FileExists(ctx.DatabasePath())) {
    return NotFoundError("no database at " + ctx.DatabasePath() +
                         " (wrong --state-dir? the daemon creates it on first start)");
  }
  ASSIGN_OR_RETURN(LoadedMasterKey master, LoadMasterKeyFor(ctx));
  store::SqliteOpenOptions options;
  options.take_writer_lock = opts.take_writer_lock;
  options.create_if_missing = opts.create_if_missing;
  options.migrate = opts.migrate;
  auto opened = store::SqliteStore::Open(ctx.DatabasePath(), master.key, options);
  if (!opened.ok()) return opened.status();
  State state;
  state.master_key_id = master.key.id();
  state.master_key_origin = master.origin;
  state.store = std::move(*opened);
  return state;
}

}  // namespace ck::daemon
