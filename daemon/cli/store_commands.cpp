// `certkeeper backup FILE`, `certkeeper restore FILE`, `certkeeper rekey --new-key FILE`.
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "common/file_util.hpp"
#include "common/log.hpp"
#include "daemon/cli/commands.hpp"
#include "daemon/cli/context.hpp"
#include "daemon/state.hpp"
#include "store/sqlite_store.hpp"

namespace ck::cli {
namespace {

int LoadOrReport(const CommandEnv& env, Result<Context>& ctx) {
  ctx = LoadContext(env.global, /*dev=*/false);
  if (!ctx.ok()) {
    std::fprintf(stderr, "certkeeper: config error: %s\n", ctx.status().message().c_str());
    return kExitConfig;
  }
  if (Status s = ApplyLogging(env.global, ctx->config); !s.ok()) return ReportError(s);
  return kExitOk;
}

int RunBackup(const CommandEnv& env, const std::string& dest) {
  Result<Context> ctx = InternalError("unset");
  if (int rc = LoadOrReport(env, ctx); rc != kExitOk) return rc;
  // No writer lock: the online backup API copies a consistent snapshot while the daemon runs.
  daemon::OpenStateOptions options;
  options.take_writer_lock = false;
  options.create_if_missing = false;
  options.migrate = false;
  auto state = daemon::OpenState(*ctx, options);
  if (!state.ok()) return ReportError(state.status());
  if (Status s = state->store->Backup(dest); !s.ok()) return ReportError(s);
  auto version = state->store->SchemaVersion();
  struct stat st {};
  ::stat(dest.c_str(), &st);
  std::printf("backup written: %s (%lld bytes, schema v%d, mode 0600)\n", dest.c_str(),
              static_cast<long long>(st.st_size), version.ok() ? *version : -1);
  std::printf("keys in it are sealed with master key %s: keep that key to restore it.\n",
              state->master_key_id.c_str());
  log::Info("backup written", {{"file", dest}, {"database", ctx->DatabasePath()}});
  return kExitOk;
}

int RunRestore(const CommandEnv& env, const std::string& src) {
  Result<Context> ctx = InternalError("unset");
  if (int rc = LoadOrReport(env, ctx); rc != kExitOk) return rc;
  if (Status s = EnsureDirectory(ctx->state_dir, 0700); !s.ok()) return ReportError(s);
  auto master = daemon::LoadMasterKeyFor(*ctx);
  if (!master.ok()) return ReportError(master.status());
  const bool had_database = ::access(ctx->DatabasePath().c_str(), F_OK) == 0;
  Status s = store::SqliteStore::RestoreFrom(src, ctx->DatabasePath(), master->key);
  if (!s.ok()) return ReportError(s.WithContext("restore refused, database unchanged"));
  std::printf("restored %s from %s\n", ctx->DatabasePath().c_str(), src.c_str());
  if (had_database) {
    std::printf("the previous database is kept at %s.pre-restore\n", ctx->DatabasePath().c_str());
  }
  return kExitOk;
}

struct RekeyFlags {
  std::string new_key_path;
};

int RunRekey(const CommandEnv& env, const RekeyFlags& flags) {
  Result<Context> ctx = InternalError("unset");
  if (int rc = LoadOrReport(env, ctx); rc != kExitOk) return rc;
  daemon::OpenStateOptions options;
  options.create_if_missing = false;
  auto state = daemon::OpenState(*ctx, options);
  if (!state.ok()) return ReportError(state.status());

  // The new key is made durable before any row is sealed with it: a crash at any point
  // leaves either the old seal everywhere (old key still valid) or the new one everywhere.
  std::string origin;
  auto existing = store::LoadMasterKeyFile(flags.new_key_path);
  Result<store::MasterKey> new_key = existing;
  if (existing.ok()) {
    origin = "loaded from " + flags.new_key_path;
  } else if (existing.status().code() == StatusCode::kNotFound) {
    new_key = store::MasterKey::Generate();
    if (!new_key.ok()) return ReportError(new_key.status());
    if (Status s = store::WriteNewMasterKeyFile(flags.new_key_path, *new_key); !s.ok()) {
      return ReportError(s);
    }
    origin = "generated into " + flags.new_key_path + " (mode 0600)";
  } else {
    return ReportError(existing.status());
  }
  if (new_key->id() == state->master_key_id) {
    return ReportError(InvalidArgumentError("the new master key is the current one (id " +
                                            new_key->id() + "); nothing to do"));
  }
  if (Status s = state->store->Rekey(*new_key); !s.ok()) {
    log::Error("rekey failed; every key is still sealed with the old master key",
               {{"reason", s.message()}});
    return ReportError(s.WithContext("rekey failed, nothing changed"));
  }
  state->store.reset();  // closes the database and releases the writer lock
  std::printf("re-sealed every private key: master key %s -> %s (%s)\n",
              state->master_key_id.c_str(), new_key->id().c_str(), origin.c_str());

  // When the old key lived in the state dir, move the new one into its place (old kept).
  const std::string local = ctx->DevMasterKeyPath();
  if (state->master_key_origin.rfind(local, 0) == 0) {
    const std::string old_copy = local + ".old";
    ::unlink(old_copy.c_str());
    if (::link(local.c_str(), old_copy.c_str()) != 0 ||
        !WriteFileAtomic(local, new_key->ToFileContent(), 0600).ok()) {
      std::printf("WARNING: could not replace %s; use %s as master key from now on\n",
                  local.c_str(), flags.new_key_path.c_str());
      return kExitUnavailable;
    }
    std::printf(
        "%s now holds the new key; the old one is in %s (delete it once backups made "
        "with it have expired)\n",
        local.c_str(), old_copy.c_str());
  } else {
    std::printf(
        "now point the daemon at the new key: set master_key_file = \"%s\" (or replace "
        "the systemd credential 'master-key') and restart certkeeper.\n",
        flags.new_key_path.c_str());
  }
  log::Info("master key rotated", {{"new_master_key_id", new_key->id()}});
  return kExitOk;
}

}  // namespace

void RegisterStoreCommands(CLI::App& app, CommandEnv& env) {
  auto backup_file = std::make_shared<std::string>();
  CLI::App* backup = app.add_subcommand(
      "backup", "Write a consistent copy of the database to FILE (safe while the daemon runs)");
  backup->add_option("FILE", *backup_file, "Destination file (written atomically, mode 0600)")
      ->required();
  backup->callback([&env, backup_file] { env.exit_code = RunBackup(env, *backup_file); });

  auto restore_file = std::make_shared<std::string>();
  CLI::App* restore =
      app.add_subcommand("restore", "Replace the database with a backup (stop the daemon first)");
  restore->add_option("FILE", *restore_file, "A file written by `certkeeper backup`")->required();
  restore->callback([&env, restore_file] { env.exit_code = RunRestore(env, *restore_file); });

  auto rekey_flags = std::make_shared<RekeyFlags>();
  CLI::App* rekey = app.add_subcommand(
      "rekey", "Rotate the master key: re-seal every private key in one transaction");
  rekey
      ->add_option("--new-key", rekey_flags->new_key_path,
                   "New master key file: read if it exists (mode 0600/0400), else generated "
                   "there")
      ->required();
  rekey->callback([&env, rekey_flags] { env.exit_code = RunRekey(env, *rekey_flags); });
}

}  // namespace ck::cli
