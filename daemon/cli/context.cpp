#include "daemon/cli/context.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "common/file_util.hpp"
#include "common/log.hpp"
#include "daemon/lifecycle/added_certificates.hpp"

namespace ck::cli {
namespace {

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

std::string Absolute(const std::string& path) {
  std::error_code ec;
  auto abs = std::filesystem::absolute(path, ec);
  return ec ? path : abs.lexically_normal().string();
}

}  // namespace

Result<Context> LoadContext(const GlobalOptions& global, bool dev) {
  Context ctx;
  ctx.dev = dev;
  std::string explicit_config =
      global.config_path.empty() ? EnvOr("CERTKEEPER_CONFIG", "") : global.config_path;
  if (!explicit_config.empty()) {
    auto cfg = config::LoadConfigFile(explicit_config);
    if (!cfg.ok()) return cfg.status();
    ctx.config = std::move(*cfg);
    ctx.config_from_file = true;
  } else {
    auto cfg = config::LoadConfigFile(std::string(config::kDefaultConfigPath));
    if (cfg.ok()) {
      ctx.config = std::move(*cfg);
      ctx.config_from_file = true;
    } else if (cfg.status().code() == StatusCode::kNotFound) {
      ctx.config = *config::ParseConfig("", "<defaults>");
    } else {
      return cfg.status();
    }
  }
  std::string state_dir =
      global.state_dir.empty() ? EnvOr("CERTKEEPER_STATE_DIR", "") : global.state_dir;
  if (state_dir.empty()) state_dir = ctx.config.state_dir;
  if (state_dir.empty()) {
    state_dir = dev ? ".certkeeper-dev" : std::string(config::kDefaultStateDir);
  }
  ctx.state_dir = Absolute(state_dir);
  // Certificates added through the API/CLI (certificates.d/ in the state dir).
  std::string main_text;
  if (ctx.config_from_file) {
    ASSIGN_OR_RETURN(main_text, ReadFile(ctx.config.source_path));
  }
  RETURN_IF_ERROR(lifecycle::MergeAddedCertificates(ctx.config, main_text, ctx.state_dir));
  ctx.main_config_text = std::move(main_text);
  return ctx;
}

Status ApplyLogging(const GlobalOptions& global, const config::Config& config) {
  log::Level level = config.log.level;
  log::Format format = config.log.format;
  if (!global.log_level.empty()) {
    ASSIGN_OR_RETURN(level, log::ParseLevel(global.log_level));
  }
  if (!global.log_format.empty()) {
    ASSIGN_OR_RETURN(format, log::ParseFormat(global.log_format));
  }
  log::Default().SetLevel(level);
  log::Default().SetFormat(format);
  return OkStatus();
}

}  // namespace ck::cli
