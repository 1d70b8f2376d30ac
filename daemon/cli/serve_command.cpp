// `certkeeper serve`: the long-running daemon.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <thread>

#include "ca/authority.hpp"
#include "common/file_util.hpp"
#include "common/log.hpp"
#include "daemon/admin_tls.hpp"
#include "daemon/cli/commands.hpp"
#include "daemon/cli/context.hpp"
#include "daemon/daemon_backend.hpp"
#include "daemon/signals.hpp"
#include "daemon/state.hpp"
#include "daemon/systemd_notify.hpp"
#include "daemon/version.hpp"
#include "web/admin_server.hpp"

namespace ck::cli {
namespace {

struct ServeFlags {
  bool dev = false;
  std::string listen;
};

void PrintBanner(const Context& ctx, const daemon::State& state, const std::string& url,
                 const std::string& bundle) {
  std::printf("certkeeper %s is running%s\n", CK_VERSION, ctx.dev ? " (development mode)" : "");
  std::printf("  config      %s\n",
              ctx.config_from_file ? ctx.config.source_path.c_str() : "(built-in defaults)");
  std::printf("  state dir   %s\n", ctx.state_dir.c_str());
  std::printf("  database    %s\n", ctx.DatabasePath().c_str());
  std::printf("  master key  %s\n", state.master_key_origin.c_str());
  std::printf("  admin API   %s\n", url.c_str());
  std::printf("  CA bundle   %s\n", bundle.c_str());
  std::printf("  health      curl -s --cacert %s %s/healthz\n", bundle.c_str(), url.c_str());
  std::printf("  API token   certkeeper token create --role admin --state-dir %s\n",
              ctx.state_dir.c_str());
  std::printf("  logs        stderr (level %s)\n",
              std::string(log::LevelName(ctx.config.log.level)).c_str());
  std::printf("Stop with Ctrl-C or SIGTERM; SIGHUP reloads the configuration.\n");
  std::fflush(stdout);
}

// SIGHUP: re-read and validate the config; keep the running one if the new one is invalid.
void Reload(const CommandEnv& env, Context& ctx) {
  auto fresh = LoadContext(env.global, ctx.dev);
  if (!fresh.ok()) {
    log::Error("reload rejected: configuration invalid, keeping the running one",
               {{"reason", fresh.status().message()}});
    return;
  }
  if (fresh->state_dir != ctx.state_dir ||
      fresh->config.listen.ToString() != ctx.config.listen.ToString()) {
    log::Warn("state_dir and listen changes need a restart; other settings reloaded");
  }
  ctx.config.log = fresh->config.log;
  if (Status s = ApplyLogging(env.global, ctx.config); !s.ok()) {
    log::Error("reload: logging settings rejected", {{"reason", s.message()}});
  }
  log::Info("configuration reloaded", {{"config", ctx.config.source_path}});
}

int RunServe(CommandEnv& env, const ServeFlags& flags) {
  // Before any thread exists, so all threads inherit the mask and sigwait sees the signals.
  daemon::BlockDaemonSignals();
  auto ctx = LoadContext(env.global, flags.dev);
  if (!ctx.ok()) {
    std::fprintf(stderr, "certkeeper: config error: %s\n", ctx.status().message().c_str());
    return kExitConfig;
  }
  if (Status s = ApplyLogging(env.global, ctx->config); !s.ok()) return ReportError(s);
  if (!flags.listen.empty()) {
    auto addr = config::ParseListenAddress(flags.listen);
    if (!addr.ok()) return ReportError(addr.status());
    ctx->config.listen = *addr;
  }

  auto state = daemon::OpenState(*ctx, daemon::OpenStateOptions{});
  if (!state.ok()) {
    log::Error("cannot open state",
               {{"state_dir", ctx->state_dir}, {"reason", state.status().message()}});
    return ReportError(state.status());
  }

  SystemClock clock;
  // The admin API speaks HTTPS with a certificate from the internal CA (created on first
  // start), and accepts client certificates from that CA.
  ca::Authority authority(*state->store, ctx->config.ca);
  daemon::AdminTls admin_tls(authority, clock, ctx->config.listen.host,
                             ctx->state_dir + "/ca-bundle.pem");
  if (Status s = admin_tls.Start(); !s.ok()) {
    log::Failure("certkeeper-admin-api", s, "cannot set up the admin API's TLS");
    return ReportError(s);
  }
  daemon::DaemonBackend backend(*state->store, clock, ctx->config.ca.trust_domain);
  backend.SetAuthority(&authority);
  web::AdminServerOptions server_options;
  server_options.host = ctx->config.listen.host;
  server_options.port = ctx->config.listen.port;
  server_options.tls = admin_tls.settings();
  web::AdminServer server(server_options, backend);
  auto port = server.Start();
  if (!port.ok()) return ReportError(port.status());
  config::ListenAddress bound = ctx->config.listen;
  bound.port = *port;
  const std::string url = "https://" + bound.ToString();
  log::Info("certkeeper started", {{"version", CK_VERSION},
                                   {"state_dir", ctx->state_dir},
                                   {"admin_api", url},
                                   {"pid", std::to_string(::getpid())}});
  PrintBanner(*ctx, *state, url, admin_tls.bundle_path());
  if (Status s = daemon::NotifySystemd("READY=1\nSTATUS=admin API on " + url); !s.ok()) {
    log::Warn("cannot notify systemd", {{"reason", s.message()}});
  }

  // systemd's watchdog: ping at half the interval so one late ping is not fatal.
  std::atomic<bool> stopping{false};
  std::thread watchdog;
  if (auto interval = daemon::SystemdWatchdogInterval()) {
    watchdog = std::thread([&clock, &stopping, period = *interval / 2] {
      while (!stopping.load()) {
        clock.SleepUntil(clock.Now() + period, [&] { return stopping.load(); });
        if (stopping.load()) break;
        (void)daemon::NotifySystemd("WATCHDOG=1");
      }
    });
  }

  // Keeps the admin API certificate fresh (hot-swapped) and the CA's CRLs signed.
  std::thread maintenance([&] {
    while (!stopping.load()) {
      auto next = admin_tls.Maintain();
      TimePoint wake = next.ok() ? *next : clock.Now() + std::chrono::minutes(1);
      clock.SleepUntil(wake, [&] { return stopping.load(); });
    }
  });

  for (;;) {
    daemon::SignalEvent ev = daemon::WaitForSignal();
    if (ev == daemon::SignalEvent::kReload) {
      (void)daemon::NotifySystemd("RELOADING=1");
      Reload(env, *ctx);
      (void)daemon::NotifySystemd("READY=1");
      continue;
    }
    break;
  }
  (void)daemon::NotifySystemd("STOPPING=1");
  stopping = true;
  clock.Interrupt();
  if (watchdog.joinable()) watchdog.join();
  maintenance.join();
  log::Info("stopping: finishing in-flight requests");
  server.Stop();
  log::Info("certkeeper stopped cleanly");
  return kExitOk;
}

}  // namespace

void RegisterServeCommand(CLI::App& app, CommandEnv& env) {
  auto flags = std::make_shared<ServeFlags>();
  CLI::App* serve = app.add_subcommand("serve", "Run the certkeeper daemon (admin API, renewals)");
  serve->add_flag("--dev", flags->dev,
                  "Development mode: state in ./.certkeeper-dev (unless --state-dir), master key "
                  "generated there on first start");
  serve->add_option("--listen", flags->listen,
                    "Admin API address, e.g. 127.0.0.1:8443 (port 0: any)");
  serve->callback([&env, flags] { env.exit_code = RunServe(env, *flags); });
}

}  // namespace ck::cli
