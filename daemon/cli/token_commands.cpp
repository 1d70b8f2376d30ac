// `certkeeper token create|ls|revoke`: API tokens in the local store. Safe beside a running
// daemon: short SQLite transactions, no writer lock (that lock keeps out a second daemon).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/duration.hpp"
#include "common/log.hpp"
#include "daemon/cli/commands.hpp"
#include "daemon/cli/context.hpp"
#include "daemon/state.hpp"
#include "daemon/token_service.hpp"

namespace ck::cli {
namespace {

struct TokenFlags {
  std::string role;
  std::string ttl = "90d";
  std::string name;
  std::string id_or_name;
  bool json = false;
};

// Opens the existing store without the daemon's writer lock and without migrating.
Result<daemon::State> OpenForTokens(const CommandEnv& env) {
  auto ctx = LoadContext(env.global, /*dev=*/false);
  if (!ctx.ok()) return ctx.status();
  RETURN_IF_ERROR(ApplyLogging(env.global, ctx->config));
  daemon::OpenStateOptions options;
  options.take_writer_lock = false;
  options.create_if_missing = false;
  options.migrate = false;
  return daemon::OpenState(*ctx, options);
}

int RunCreate(const CommandEnv& env, const TokenFlags& flags) {
  auto role = web::ParseRole(flags.role);
  if (!role.ok()) return ReportError(role.status().WithContext("--role"));
  auto ttl = ParseDuration(flags.ttl);
  if (!ttl.ok()) return ReportError(ttl.status().WithContext("--ttl"));
  auto state = OpenForTokens(env);
  if (!state.ok()) return ReportError(state.status());
  SystemClock clock;
  std::string name = flags.name;
  if (name.empty()) name = flags.role + "-" + std::to_string(ToUnixSeconds(clock.Now()));
  daemon::TokenService tokens(*state->store, clock);
  auto created = tokens.Create(name, *role, *ttl);
  if (!created.ok()) return ReportError(created.status());
  if (flags.json) {
    nlohmann::json j = {{"id", created->record.id},
                        {"name", created->record.name},
                        {"role", created->record.role},
                        {"token", created->secret}};
    j["expires_at"] = created->record.expires_at
                          ? nlohmann::json(FormatRfc3339(*created->record.expires_at))
                          : nlohmann::json(nullptr);
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("%s\n", created->secret.c_str());
    std::fprintf(stderr,
                 "created token '%s' (id %lld, role %s, %s). It is shown only this once: store "
                 "it now. Use it as: Authorization: Bearer <token>\n",
                 created->record.name.c_str(), static_cast<long long>(created->record.id),
                 created->record.role.c_str(),
                 created->record.expires_at
                     ? ("expires " + FormatRfc3339(*created->record.expires_at)).c_str()
                     : "never expires");
  }
  log::Info("API token created", {{"token", created->record.name}, {"role", created->record.role}});
  return kExitOk;
}

int RunList(const CommandEnv& env, const TokenFlags& flags) {
  auto state = OpenForTokens(env);
  if (!state.ok()) return ReportError(state.status());
  SystemClock clock;
  daemon::TokenService tokens(*state->store, clock);
  auto list = tokens.List();
  if (!list.ok()) return ReportError(list.status());
  const TimePoint now = clock.Now();
  if (flags.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& t : *list) {
      nlohmann::json j = {{"id", t.id},
                          {"name", t.name},
                          {"role", t.role},
                          {"state", daemon::TokenService::StateOf(t, now)},
                          {"created_at", FormatRfc3339(t.created_at)}};
      j["expires_at"] =
          t.expires_at ? nlohmann::json(FormatRfc3339(*t.expires_at)) : nlohmann::json(nullptr);
      j["revoked_at"] =
          t.revoked_at ? nlohmann::json(FormatRfc3339(*t.revoked_at)) : nlohmann::json(nullptr);
      arr.push_back(j);
    }
    std::printf("%s\n", arr.dump(2).c_str());
    return kExitOk;
  }
  std::printf("%-5s %-24s %-9s %-8s %-21s %s\n", "ID", "NAME", "ROLE", "STATE", "CREATED",
              "EXPIRES");
  for (const auto& t : *list) {
    std::printf("%-5lld %-24s %-9s %-8s %-21s %s\n", static_cast<long long>(t.id), t.name.c_str(),
                t.role.c_str(), daemon::TokenService::StateOf(t, now).c_str(),
                FormatRfc3339(t.created_at).c_str(),
                t.expires_at ? FormatRfc3339(*t.expires_at).c_str() : "never");
  }
  if (list->empty())
    std::printf("(no tokens; create one with: certkeeper token create --role viewer)\n");
  return kExitOk;
}

int RunRevoke(const CommandEnv& env, const TokenFlags& flags) {
  auto state = OpenForTokens(env);
  if (!state.ok()) return ReportError(state.status());
  SystemClock clock;
  daemon::TokenService tokens(*state->store, clock);
  auto list = tokens.List();
  if (!list.ok()) return ReportError(list.status());
  for (const auto& t : *list) {
    if (std::to_string(t.id) == flags.id_or_name || t.name == flags.id_or_name) {
      if (Status s = tokens.Revoke(t.id); !s.ok()) return ReportError(s);
      std::printf("revoked token '%s' (id %lld)\n", t.name.c_str(), static_cast<long long>(t.id));
      return kExitOk;
    }
  }
  return ReportError(NotFoundError("no token with id or name '" + flags.id_or_name + "'"));
}

}  // namespace

void RegisterTokenCommands(CLI::App& app, CommandEnv& env) {
  auto flags = std::make_shared<TokenFlags>();
  CLI::App* token = app.add_subcommand("token", "Manage admin API bearer tokens");
  token->require_subcommand(1);
  CLI::App* create = token->add_subcommand("create", "Create a token (printed once)");
  create->add_option("--role", flags->role, "admin, operator, viewer or consumer")->required();
  create->add_option("--ttl", flags->ttl,
                     "Lifetime, e.g. 24h, 90d; 0s = never expires (default 90d)");
  create->add_option("--name", flags->name, "Unique name (default: ROLE-<unix time>)");
  create->add_flag("--json", flags->json, "Machine-readable output");
  create->callback([&env, flags] { env.exit_code = RunCreate(env, *flags); });
  CLI::App* ls = token->add_subcommand("ls", "List tokens (never their secrets)");
  ls->add_flag("--json", flags->json, "Machine-readable output");
  ls->callback([&env, flags] { env.exit_code = RunList(env, *flags); });
  CLI::App* revoke = token->add_subcommand("revoke", "Revoke a token by id or name");
  revoke->add_option("ID", flags->id_or_name, "Token id or name")->required();
  revoke->callback([&env, flags] { env.exit_code = RunRevoke(env, *flags); });
}

}  // namespace ck::cli
