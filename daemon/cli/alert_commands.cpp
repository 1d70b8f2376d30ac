// `certkeeper alert test|ls`: check that every alert channel delivers (a clearly marked test
// notice), and list alerts — through the running daemon's admin API, or from the local store
// when no daemon answers.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/log.hpp"
#include "daemon/alerts/alert_channel.hpp"
#include "daemon/alerts/notice_text.hpp"
#include "daemon/cli/api_client.hpp"
#include "daemon/cli/commands.hpp"
#include "daemon/cli/context.hpp"
#include "daemon/state.hpp"
#include "web/alert_handlers.hpp"

namespace ck::cli {
namespace {

using nlohmann::json;

struct AlertFlags {
  ApiFlags api;
  std::string channel;
  bool all = false;
  bool json = false;
  bool local = false;
  int limit = 50;
  int64_t before = 0;
};

std::string HostName() {
  char buf[256] = {0};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "this host";
  return buf;
}

int RunAlertTest(const CommandEnv& env, const AlertFlags& flags) {
  auto ctx = LoadContext(env.global, /*dev=*/false);
  if (!ctx.ok()) {
    std::fprintf(stderr, "certkeeper: config error: %s\n", ctx.status().message().c_str());
    return kExitConfig;
  }
  if (Status s = ApplyLogging(env.global, ctx->config); !s.ok()) return ReportError(s);
  if (Status s = config::CheckAlertFiles(ctx->config.source_path, ctx->config.alerts); !s.ok()) {
    std::fprintf(stderr, "certkeeper: config error: %s\n", s.message().c_str());
    return kExitConfig;
  }
  SystemClock clock;
  auto channels = alerts::MakeChannels(ctx->config.alerts, clock);
  if (!channels.ok()) return ReportError(channels.status());
  if (!flags.channel.empty()) {
    std::string names;
    for (const auto& c : *channels) names += (names.empty() ? "" : ", ") + c->name();
    auto keep = std::remove_if(channels->begin(), channels->end(),
                               [&](const auto& c) { return c->name() != flags.channel; });
    channels->erase(keep, channels->end());
    if (channels->empty()) {
      std::fprintf(stderr, "certkeeper: no alert channel named '%s' (configured: %s)\n",
                   flags.channel.c_str(), names.c_str());
      return kExitUsage;
    }
  }
  alerts::AlertNotice notice;
  notice.state = alerts::AlertNotice::State::kTest;
  notice.kind = "test";
  notice.subject = "certkeeper";
  notice.key = "test";
  notice.severity = config::AlertSeverity::kInfo;
  notice.opened_at = clock.Now();
  notice.message = "Test notice from certkeeper on " + HostName() +
                   " (certkeeper alert test); if you read this, alerts reach you here.";
  int failed = 0;
  for (const auto& c : *channels) {
    Status st = c->Send(notice);
    if (st.ok()) {
      std::printf("%s (%s): ok\n", c->name().c_str(), std::string(c->type()).c_str());
    } else {
      ++failed;
      std::printf("%s (%s): error: %s\n", c->name().c_str(), std::string(c->type()).c_str(),
                  st.message().c_str());
    }
    std::fflush(stdout);
  }
  return failed == 0 ? kExitOk : kExitProblem;
}

std::string ShortTime(const std::optional<TimePoint>& t) {
  if (!t) return "-";
  std::string s = FormatRfc3339(*t);
  return s.substr(0, 10) + " " + s.substr(11, 5);
}

void PrintAlerts(const std::vector<web::AlertView>& alerts) {
  if (alerts.empty()) {
    std::printf("(no alerts)\n");
    return;
  }
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"ID", "OPENED", "SEVERITY", "STATE", "SUBJECT", "MESSAGE"});
  for (const auto& a : alerts) {
    std::string state = a.resolved_at ? "resolved" : "open";
    if (a.acknowledged_at) state += ", acked";
    if (!a.resolved_at && !a.notified_at) state += ", unsent";
    rows.push_back(
        {std::to_string(a.id), ShortTime(a.opened_at), a.severity, state, a.subject, a.message});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& r : rows) {
    for (size_t i = 0; i + 1 < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    std::printf("%s\n", line.c_str());
  }
}

// From the local store, read-only beside a daemon (no writer lock, no migration).
Result<std::vector<web::AlertView>> LocalAlerts(const CommandEnv& env, const AlertFlags& flags) {
  ASSIGN_OR_RETURN(Context ctx, LoadContext(env.global, /*dev=*/false));
  daemon::OpenStateOptions options;
  options.take_writer_lock = false;
  options.create_if_missing = false;
  options.migrate = false;
  ASSIGN_OR_RETURN(daemon::State state, daemon::OpenState(ctx, options));
  store::AlertQuery q;
  q.open_only = !flags.all;
  q.limit = flags.limit;
  q.before_id = flags.before;
  ASSIGN_OR_RETURN(auto records, state.store->ListAlerts(q));
  std::vector<web::AlertView> out;
  for (const auto& a : records) {
    out.push_back({a.id, a.key, a.kind, a.subject, a.severity, a.message, a.opened_at,
                   a.notified_at, a.resolved_at, a.acknowledged_at, a.acknowledged_by});
  }
  return out;
}

int RunAlertList(const CommandEnv& env, const AlertFlags& flags) {
  if (flags.limit < 1 || flags.limit > 1000) {
    return ReportError(InvalidArgumentError("--limit must be between 1 and 1000"));
  }
  std::vector<web::AlertView> alerts;
  bool from_api = false;
  if (!flags.local) {
    auto conn = ResolveApiConnection(flags.api, env.global);
    if (conn.ok()) {
      ApiClient client(std::move(*conn));
      auto body = client.GetJson(
          WithQuery("/v1/alerts",
                    {{"state", flags.all ? "all" : "open"},
                     {"limit", std::to_string(flags.limit)},
                     {"before", flags.before > 0 ? std::to_string(flags.before) : std::string()}}));
      if (body.ok()) {
        if (!body->is_object() || !body->contains("alerts") || !(*body)["alerts"].is_array()) {
          return ReportError(DataLossError("the server's answer has no 'alerts' list"));
        }
        if (flags.json) {
          std::printf("%s\n", body->dump(2, ' ', false, json::error_handler_t::replace).c_str());
          return kExitOk;
        }
        for (const auto& item : (*body)["alerts"]) {
          auto a = web::AlertFromJson(item);
          if (!a.ok()) return ReportError(a.status());
          alerts.push_back(std::move(*a));
        }
        from_api = true;
      } else if (body.status().code() != StatusCode::kUnavailable) {
        return ReportError(body.status());  // a daemon answered: its answer stands
      }
    } else if (!flags.api.server.empty()) {
      return ReportError(conn.status());
    }
  }
  if (!from_api) {
    auto local = LocalAlerts(env, flags);
    if (!local.ok()) return ReportError(local.status());
    alerts = std::move(*local);
    if (flags.json) {
      json items = json::array();
      for (const auto& a : alerts) items.push_back(web::AlertToJson(a));
      std::printf("%s\n", json({{"alerts", items}}).dump(2).c_str());
      return kExitOk;
    }
  }
  PrintAlerts(alerts);
  if (static_cast<int>(alerts.size()) == flags.limit && !alerts.empty()) {
    std::printf("(older alerts: --before %lld)\n", static_cast<long long>(alerts.back().id));
  }
  return kExitOk;
}

}  // namespace

void RegisterAlertCommands(CLI::App& app, CommandEnv& env) {
  auto flags = std::make_shared<AlertFlags>();
  CLI::App* alert = app.add_subcommand("alert", "Alerts: test the channels, list alerts");
  alert->require_subcommand(1);

  CLI::App* test = alert->add_subcommand(
      "test",
      "Send a clearly marked test notice to every configured alert channel (or one) and print "
      "ok or the error per channel; exit 0 only when all succeeded");
  test->add_option("--channel", flags->channel,
                   "Only this channel (its name in [[alerts.channel]])");
  test->callback([&env, flags] { env.exit_code = RunAlertTest(env, *flags); });

  CLI::App* ls = alert->add_subcommand(
      "ls", "List open alerts, newest first (from the running daemon, else the local store)");
  AddApiFlags(*ls, flags->api);
  ls->add_flag("--all", flags->all, "Include resolved alerts");
  ls->add_flag("--json", flags->json, "Machine-readable output (the API's JSON)");
  ls->add_flag("--local", flags->local, "Read the local store even when a daemon runs");
  ls->add_option("--limit", flags->limit, "How many (1-1000, default 50)");
  ls->add_option("--before", flags->before, "Only alerts older than this id (paging)");
  ls->callback([&env, flags] { env.exit_code = RunAlertList(env, *flags); });
}

}  // namespace ck::cli
