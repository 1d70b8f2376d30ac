// `certkeeper watch check`: runs every [[watch]] of the config once (same checks, concurrency
// and timeouts as the daemon, nothing stored) and prints what it found. Exit 1 when a check
// failed or found a critical problem, so it fits a cron job or a CI step.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

#include "common/clock.hpp"
#include "daemon/cli/commands.hpp"
#include "daemon/cli/context.hpp"
#include "daemon/watch/check_pool.hpp"
#include "daemon/watch/watch_check.hpp"

namespace ck::cli {
namespace {

std::string DaysLeft(const watch::CheckOutcome& o) {
  if (o.chain.empty()) return "-";
  const double days =
      std::chrono::duration<double>(o.chain.front().NotAfter() - o.checked_at).count() / 86400.0;
  return std::to_string(static_cast<long>(std::floor(days)));
}

std::string Summary(const watch::CheckOutcome& o) {
  if (o.outcome == "error") return o.error;
  std::string codes;
  for (const auto& p : o.problems) {
    codes += (codes.empty() ? "" : ", ") + p.code + (p.severity == "critical" ? "!" : "");
  }
  return codes.empty() ? "-" : codes;
}

void PrintTable(const std::vector<watch::CheckOutcome>& outcomes) {
  size_t width = 6;
  for (const auto& o : outcomes) width = std::max(width, o.target.size());
  std::printf("%-*s  %-8s  %9s  %s\n", static_cast<int>(width), "TARGET", "OUTCOME", "DAYS LEFT",
              "PROBLEMS");
  for (const auto& o : outcomes) {
    std::printf("%-*s  %-8s  %9s  %s\n", static_cast<int>(width), o.target.c_str(),
                o.outcome.c_str(), DaysLeft(o).c_str(), Summary(o).c_str());
  }
  bool header = false;
  for (const auto& o : outcomes) {
    for (const auto& p : o.problems) {
      if (!header) std::printf("\n");
      header = true;
      std::printf("%s: %s %s: %s\n", o.target.c_str(), p.severity.c_str(), p.code.c_str(),
                  p.message.c_str());
    }
  }
}

int RunWatchCheck(const CommandEnv& env) {
  auto ctx = LoadContext(env.global, /*dev=*/false);
  if (!ctx.ok()) {
    std::fprintf(stderr, "certkeeper: config error: %s\n", ctx.status().message().c_str());
    return kExitConfig;
  }
  if (Status s = ApplyLogging(env.global, ctx->config); !s.ok()) return ReportError(s);
  const auto& watches = ctx->config.watches;
  if (watches.empty()) {
    std::printf("no [[watch]] in %s\n",
                ctx->config_from_file ? ctx->config.source_path.c_str() : "the built-in defaults");
    return kExitOk;
  }
  SystemClock clock;
  std::vector<std::vector<watch::CheckOutcome>> results(watches.size());
  std::vector<std::function<void()>> tasks;
  for (size_t i = 0; i < watches.size(); ++i) {
    tasks.push_back([&, i] {
      results[i] = watch::CheckWatch(
          watches[i], watch::SettingsFor(watches[i], ctx->config.monitor, clock.Now()));
    });
  }
  watch::RunBounded(std::move(tasks), ctx->config.monitor.concurrency);
  std::vector<watch::CheckOutcome> all;
  bool failing = false;
  for (auto& r : results) {
    for (auto& o : r) {
      failing = failing || o.outcome == "error" || o.HasCritical();
      all.push_back(std::move(o));
    }
  }
  PrintTable(all);
  return failing ? kExitProblem : kExitOk;
}

}  // namespace

void RegisterWatchCommands(CLI::App& app, CommandEnv& env) {
  CLI::App* watch = app.add_subcommand(
      "watch", "External TLS endpoints and certificate files ([[watch]] in the config)");
  watch->require_subcommand(1);
  CLI::App* check = watch->add_subcommand(
      "check",
      "Check every [[watch]] of the config once and print a table (target, outcome, days left, "
      "problems; '!' marks critical ones), with the config's [monitor] concurrency and timeouts. "
      "The config is the global --config FILE (or CERTKEEPER_CONFIG). Nothing is stored. Exit 0 "
      "when fine, 1 when a check failed or found a critical problem, 3 for an invalid config");
  check->callback([&env] { env.exit_code = RunWatchCheck(env); });
}

}  // namespace ck::cli
