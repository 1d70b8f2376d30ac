// `certkeeper serve`: the long-running daemon.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "ca/authority.hpp"
#include "common/file_util.hpp"
#include "common/log.hpp"
#include "daemon/admin_tls.hpp"
#include "daemon/alerts/engine.hpp"
#include "daemon/cli/commands.hpp"
#include "daemon/cli/context.hpp"
#include "daemon/daemon_backend.hpp"
#include "daemon/deploy/deployer.hpp"
#include "daemon/lifecycle/added_certificates.hpp"
#include "daemon/lifecycle/declared_targets.hpp"
#include "daemon/lifecycle/issuer_registry.hpp"
#include "daemon/lifecycle/manager.hpp"
#include "daemon/signals.hpp"
#include "daemon/state.hpp"
#include "daemon/systemd_notify.hpp"
#include "daemon/token_service.hpp"
#include "daemon/version.hpp"
#include "daemon/watch/watcher.hpp"
#include "web/admin_server.hpp"

namespace ck::cli {
namespace {

struct ServeFlags {
  bool dev = false;
  std::string listen;
};

void PrintBanner(const Context& ctx, const daemon::State& state, const std::string& url,
                 const std::string& bundle, size_t managed) {
  std::printf("certkeeper %s is running%s\n", CK_VERSION, ctx.dev ? " (development mode)" : "");
  std::printf("  config      %s\n",
              ctx.config_from_file ? ctx.config.source_path.c_str() : "(built-in defaults)");
  std::printf("  state dir   %s\n", ctx.state_dir.c_str());
  std::printf("  database    %s\n", ctx.DatabasePath().c_str());
  std::printf("  master key  %s\n", state.master_key_origin.c_str());
  std::printf("  admin API   %s\n", url.c_str());
  std::printf("  CA bundle   %s\n", bundle.c_str());
  std::printf("  dashboard   %s/ (log in with an API token; trust %s in the browser)\n",
              url.c_str(), bundle.c_str());
  std::printf(
      "  metrics     %s/metrics (Prometheus; token unless [metrics] access = \"loopback\")\n",
      url.c_str());
  std::printf("  health      curl -s --cacert %s %s/healthz\n", bundle.c_str(), url.c_str());
  std::printf("  managed     %zu certificate(s): certkeeper ls --state-dir %s\n", managed,
              ctx.state_dir.c_str());
  std::printf("  API token   certkeeper token create --role admin --state-dir %s\n",
              ctx.state_dir.c_str());
  std::printf("  logs        stderr (level %s)\n",
              std::string(log::LevelName(ctx.config.log.level)).c_str());
  std::printf("Stop with Ctrl-C or SIGTERM; SIGHUP reloads the configuration.\n");
  std::fflush(stdout);
}

// Lets the CLI on this host reach the running daemon without flags: the API URL and a
// daemon-lifetime admin token in the state dir (0600). Reading them needs the same access as
// reading the database, so this grants nothing new — like a Docker socket.
class LocalCliAccess {
 public:
  LocalCliAccess(store::Store& store, Clock& clock, std::string state_dir)
      : tokens_(store, clock), state_dir_(std::move(state_dir)) {}

  Status Publish(const std::string& url) {
    // Tokens of earlier runs (a crash skips Withdraw) stop working now.
    ASSIGN_OR_RETURN(auto existing, tokens_.List());
    for (const auto& t : existing) {
      if (t.name.rfind(kPrefix, 0) == 0 && !t.revoked_at) (void)tokens_.Revoke(t.id);
    }
    const std::string name = std::string(kPrefix) + std::to_string(::getpid()) + "-" +
                             std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                                std::chrono::system_clock::now().time_since_epoch())
                                                .count());
    ASSIGN_OR_RETURN(auto token, tokens_.Create(name, web::Role::kAdmin, std::chrono::seconds(0)));
    token_id_ = token.record.id;
    RETURN_IF_ERROR(WriteFileAtomic(state_dir_ + "/cli-token", token.secret + "\n", 0600));
    return WriteFileAtomic(state_dir_ + "/admin.url", url + "\n", 0644);
  }

  void Withdraw() {
    ::unlink((state_dir_ + "/cli-token").c_str());
    ::unlink((state_dir_ + "/admin.url").c_str());
    if (token_id_ != 0) (void)tokens_.Revoke(token_id_);
  }

 private:
  static constexpr char kPrefix[] = "local-cli-";
  daemon::TokenService tokens_;
  std::string state_dir_;
  int64_t token_id_ = 0;
};

// SIGHUP: re-read and validate the config; keep the running one if the new one is invalid.
void Reload(const CommandEnv& env, Context& ctx, lifecycle::IssuerRegistry& issuers,
            lifecycle::Manager& manager) {
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
  if (Status s = config::CheckReferencedFiles(fresh->config); !s.ok()) {
    log::Error("reload rejected: configuration invalid, keeping the running one",
               {{"reason", s.message()}});
    return;
  }
  if (Status s = lifecycle::ValidateDeployTargets(fresh->config); !s.ok()) {
    log::Error("reload rejected: configuration invalid, keeping the running one",
               {{"reason", s.message()}});
    return;
  }
  ctx.config.log = fresh->config.log;
  // Certificates and ACME accounts follow the file; the CA's settings need a restart (the
  // Authority in use holds them).
  issuers.Configure(fresh->config);
  if (Status s = manager.Configure(fresh->config.certificates); !s.ok()) {
    log::Error("reload: managed certificates not updated", {{"reason", s.message()}});
  }
  ctx.config.acme = fresh->config.acme;
  ctx.config.certificates = fresh->config.certificates;
  ctx.config.alerts = fresh->config.alerts;
  ctx.config.watches = fresh->config.watches;
  ctx.config.monitor = fresh->config.monitor;
  ctx.main_config_text = fresh->main_config_text;
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

  // Managed certificates: issuers from the config, the scheduler started below.
  std::atomic<bool> stopping{false};
  if (Status s = config::CheckReferencedFiles(ctx->config); s.ok()) {
    s = lifecycle::ValidateDeployTargets(ctx->config);
    if (!s.ok()) {
      std::fprintf(stderr, "certkeeper: config error: %s\n", s.message().c_str());
      return kExitConfig;
    }
  } else {
    std::fprintf(stderr, "certkeeper: config error: %s\n", s.message().c_str());
    return kExitConfig;
  }
  lifecycle::IssuerRegistry issuers(*state->store, clock, &authority,
                                    [&stopping] { return stopping.load(); });
  issuers.Configure(ctx->config);
  lifecycle::ManagerOptions manager_options;
  manager_options.version = CK_VERSION;
  lifecycle::Manager manager(
      *state->store, clock, [&issuers](const std::string& id) { return issuers.Resolve(id); },
      deploy::MakeDeployer, manager_options);
  if (Status s = manager.Configure(ctx->config.certificates); !s.ok()) {
    log::Error("cannot set up the managed certificates", {{"reason", s.message()}});
    return ReportError(s);
  }
  backend.SetManager(&manager);
  // External endpoints and certificate files ([[watch]]), checked on their own schedule.
  watch::Watcher watcher(*state->store, clock);
  if (Status s = watcher.Configure(ctx->config.watches, ctx->config.monitor); !s.ok()) {
    log::Error("cannot set up the watches", {{"reason", s.message()}});
    return ReportError(s);
  }
  // Certificates added and removed through the API: certificates.d/ in the state dir, then
  // the manager is reconfigured (serialized with SIGHUP reloads by config_mu).
  std::mutex config_mu;
  daemon::DaemonBackend::Catalog catalog;
  catalog.add = [&](const nlohmann::json& body) -> Result<web::ManagedCertificateView> {
    std::lock_guard lock(config_mu);
    ASSIGN_OR_RETURN(
        config::Config merged,
        lifecycle::AddCertificate(ctx->config, ctx->main_config_text, ctx->state_dir, body));
    const std::string name = merged.certificates.back().name;
    Status checked = config::CheckReferencedFiles(merged);
    if (checked.ok()) checked = lifecycle::ValidateDeployTargets(merged);
    if (checked.ok()) checked = manager.Configure(merged.certificates);
    if (!checked.ok()) {
      (void)lifecycle::RemoveAddedCertificate(merged, ctx->state_dir, name);
      return checked;
    }
    ctx->config.certificates = merged.certificates;
    clock.Interrupt();  // issue it now
    return manager.Get(name);
  };
  catalog.remove = [&](const std::string& name) -> Status {
    std::lock_guard lock(config_mu);
    RETURN_IF_ERROR(lifecycle::RemoveAddedCertificate(ctx->config, ctx->state_dir, name));
    auto& certs = ctx->config.certificates;
    certs.erase(
        std::remove_if(certs.begin(), certs.end(), [&](const auto& c) { return c.name == name; }),
        certs.end());
    return manager.Configure(certs);
  };
  backend.SetCatalog(std::move(catalog));
  // Alert channels from [alerts] (the log alone when it names none); the thread starts below.
  auto alert_channels = alerts::MakeChannels(ctx->config.alerts, clock);
  if (!alert_channels.ok()) return ReportError(alert_channels.status());
  alerts::AlertEngine alert_engine(*state->store, clock, ctx->config.alerts,
                                   std::move(*alert_channels), [&] { return stopping.load(); });
  web::AdminServerOptions server_options;
  server_options.host = ctx->config.listen.host;
  server_options.port = ctx->config.listen.port;
  server_options.tls = admin_tls.settings();
  if (ctx->config.metrics.open_on_loopback) {
    server_options.metrics_access = web::MetricsAccess::kLoopback;
  }
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
  LocalCliAccess local_cli(*state->store, clock, ctx->state_dir);
  if (Status s = local_cli.Publish(url); !s.ok()) {
    log::Warn("local CLI access not set up (use --server/--token)", {{"reason", s.message()}});
  }
  PrintBanner(*ctx, *state, url, admin_tls.bundle_path(), ctx->config.certificates.size());
  if (Status s = daemon::NotifySystemd("READY=1\nSTATUS=admin API on " + url); !s.ok()) {
    log::Warn("cannot notify systemd", {{"reason", s.message()}});
  }

  // systemd's watchdog: ping at half the interval so one late ping is not fatal.
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

  // Alerts: conditions evaluated every [alerts].interval from the manager's view and the
  // store; what was notified lives in the store, so a restart repeats nothing.
  std::thread alerting([&] {
    while (!stopping.load()) {
      auto snapshot = alerts::CollectSnapshot(*state->store, manager.List());
      Status st = snapshot.ok() ? alert_engine.Evaluate(*snapshot).status() : snapshot.status();
      if (!st.ok()) log::Error("alert evaluation failed", {{"reason", st.message()}});
      clock.SleepUntil(clock.Now() + alert_engine.interval(), [&] { return stopping.load(); });
    }
  });

  // The lifecycle loop: do what is due, sleep until the next due instant or a request.
  std::thread scheduler([&] {
    while (!stopping.load()) {
      TimePoint next = manager.RunOnce();
      web::DaemonStatusView summary = manager.Summary();
      std::string status = std::to_string(summary.managed) + " certificate(s), " +
                           std::to_string(summary.failing) + " failing";
      if (summary.next_renewal_at) {
        status += "; next renewal " + summary.next_renewal_name + " at " +
                  FormatRfc3339(*summary.next_renewal_at);
      }
      (void)daemon::NotifySystemd("STATUS=" + status);
      clock.SleepUntil(next, [&] { return stopping.load() || manager.HasPendingRequests(); });
    }
  });

  // The watch loop: run the due checks (bounded concurrency, each with its timeout), sleep
  // until the next is due, a reload or shutdown.
  std::thread watch_loop([&] {
    while (!stopping.load()) {
      TimePoint next = watcher.RunOnce();
      clock.SleepUntil(next, [&] { return stopping.load() || watcher.HasPendingChanges(); });
    }
  });

  for (;;) {
    daemon::SignalEvent ev = daemon::WaitForSignal();
    if (ev == daemon::SignalEvent::kReload) {
      (void)daemon::NotifySystemd("RELOADING=1");
      {
        std::lock_guard lock(config_mu);
        Reload(env, *ctx, issuers, manager);
        auto channels = alerts::MakeChannels(ctx->config.alerts, clock);
        if (channels.ok()) alert_engine.Reconfigure(ctx->config.alerts, std::move(*channels));
        if (Status s = watcher.Configure(ctx->config.watches, ctx->config.monitor); !s.ok()) {
          log::Error("reload: watches not updated", {{"reason", s.message()}});
        }
      }
      clock.Interrupt();
      (void)daemon::NotifySystemd("READY=1");
      continue;
    }
    break;
  }
  (void)daemon::NotifySystemd("STOPPING=1");
  stopping = true;
  manager.Stop();
  watcher.Stop();
  clock.Interrupt();
  if (watchdog.joinable()) watchdog.join();
  maintenance.join();
  alerting.join();
  // An issuance in flight sees `stopping` and ends with Aborted; its ACME order stays
  // journalled and resumes at the next start. Deploys finish (they are bounded).
  scheduler.join();
  watch_loop.join();  // checks in flight end within their timeout
  local_cli.Withdraw();
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
