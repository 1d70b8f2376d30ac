// `certkeeper ls|status|renew|pins|events`: the lifecycle daemon through its admin API (see
// api_client.hpp for where the server and credentials come from). Tables for people, --json
// for scripts; exit codes per command_env.hpp.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "common/clock.hpp"
#include "daemon/cli/api_client.hpp"
#include "daemon/cli/commands.hpp"
#include "web/lifecycle_json.hpp"

namespace ck::cli {
namespace {

using nlohmann::json;

struct LifecycleFlags {
  ApiFlags api;
  bool json = false;
  bool force = false;
  bool emergency_rotate = false;
  // `add`
  std::vector<std::string> domains, uris, deploy_json;
  std::string issuer, solver, key, key_policy, lifetime, deploy_dir;
  std::string name;
  std::string format = "table";
  std::string certificate;
  int limit = 50;
  int64_t before = 0;
};

Result<ApiClient> Connect(const CommandEnv& env, const LifecycleFlags& flags) {
  ASSIGN_OR_RETURN(ApiConnection c, ResolveApiConnection(flags.api, env.global));
  return ApiClient(std::move(c));
}

void PrintJson(const json& j) {
  std::printf("%s\n", j.dump(2, ' ', false, json::error_handler_t::replace).c_str());
}

// "2026-12-30 00:00" (UTC): the minutes are what people act on.
std::string ShortTime(const std::optional<TimePoint>& t) {
  if (!t) return "-";
  std::string s = FormatRfc3339(*t);  // 2026-12-30T00:00:00Z
  return s.substr(0, 10) + " " + s.substr(11, 5);
}

// "3d 4h", "2h 5m", "25m".
std::string HumanDuration(std::chrono::seconds d) {
  long long secs = std::llabs(static_cast<long long>(d.count()));
  char buf[48];
  if (secs >= 86400) {
    std::snprintf(buf, sizeof buf, "%lldd %lldh", secs / 86400, (secs % 86400) / 3600);
  } else if (secs >= 3600) {
    std::snprintf(buf, sizeof buf, "%lldh %lldm", secs / 3600, (secs % 3600) / 60);
  } else {
    std::snprintf(buf, sizeof buf, "%lldm", secs / 60);
  }
  return buf;
}

// "in 3d 4h" or "5m ago".
std::string Relative(TimePoint t, TimePoint now) {
  auto d = std::chrono::duration_cast<std::chrono::seconds>(t - now);
  return d.count() < 0 ? HumanDuration(d) + " ago" : "in " + HumanDuration(d);
}

// Days left: one decimal under 2 days (a 24-hour certificate shows "0.7"), whole days
// otherwise (rounded down: "29" means less than 30 full days).
std::string DaysLeft(const std::optional<TimePoint>& not_after, TimePoint now) {
  if (!not_after) return "-";
  double days = std::chrono::duration<double>(*not_after - now).count() / 86400.0;
  char buf[32];
  if (std::fabs(days) < 2.0) {
    std::snprintf(buf, sizeof buf, "%.1f", std::trunc(days * 10.0) / 10.0);
    if (std::string(buf) == "-0.0") return "0.0";
  } else {
    std::snprintf(buf, sizeof buf, "%.0f", std::trunc(days));
  }
  return buf;
}

enum class Colour { kNone, kRed, kYellow, kGreen };

Colour ColourFor(const web::ManagedCertificateView& m, TimePoint now) {
  if (m.status == "expired" || m.status == "failing" || m.status == "missing") return Colour::kRed;
  if (!m.not_after) return Colour::kRed;
  auto left = *m.not_after - now;
  if (left < std::chrono::hours(24 * 7)) return Colour::kRed;
  if (left < std::chrono::hours(24 * 30) || m.status == "renewal_due") return Colour::kYellow;
  return Colour::kGreen;
}

bool UseColour() {
  const char* no_color = std::getenv("NO_COLOR");  // https://no-color.org: set at all = off
  return ::isatty(STDOUT_FILENO) == 1 && no_color == nullptr;
}

const char* ColourCode(Colour c) {
  switch (c) {
    case Colour::kRed: return "\033[31m";
    case Colour::kYellow: return "\033[33m";
    case Colour::kGreen: return "\033[32m";
    case Colour::kNone: return "";
  }
  return "";
}

// Left-aligned columns sized to their content; `colours` per row (kNone = plain).
void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows,
                const std::vector<Colour>& colours = {}) {
  std::vector<size_t> width(header.size());
  for (size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) {
      width[i] = std::max(width[i], row[i].size());
    }
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < cells.size(); ++i) {
      out += cells[i];
      if (i + 1 < cells.size()) out += std::string(width[i] - cells[i].size() + 2, ' ');
    }
    return out;
  };
  std::printf("%s\n", line(header).c_str());
  for (size_t r = 0; r < rows.size(); ++r) {
    Colour c = r < colours.size() ? colours[r] : Colour::kNone;
    if (c == Colour::kNone) {
      std::printf("%s\n", line(rows[r]).c_str());
    } else {
      std::printf("%s%s\033[0m\n", ColourCode(c), line(rows[r]).c_str());
    }
  }
}

int RunList(const CommandEnv& env, const LifecycleFlags& flags) {
  auto client = Connect(env, flags);
  if (!client.ok()) return ReportError(client.status());
  auto body = client->GetJson("/v1/managed");
  if (!body.ok()) return ReportError(body.status());
  if (!body->is_object() || !body->contains("certificates") ||
      !(*body)["certificates"].is_array()) {
    return ReportError(DataLossError("the server's answer has no 'certificates' list"));
  }
  if (flags.json) {
    PrintJson(*body);
    return kExitOk;
  }
  std::vector<web::ManagedCertificateView> certs;
  for (const auto& item : (*body)["certificates"]) {
    auto m = web::ManagedFromJson(item);
    if (!m.ok()) return ReportError(m.status());
    certs.push_back(std::move(*m));
  }
  // By time left, most urgent first (no certificate at all counts as the most urgent).
  std::stable_sort(certs.begin(), certs.end(), [](const auto& a, const auto& b) {
    if (a.not_after.has_value() != b.not_after.has_value()) return !a.not_after.has_value();
    return a.not_after && *a.not_after < *b.not_after;
  });
  if (certs.empty()) {
    std::printf("(no managed certificates: add [[certificate]] tables to the config)\n");
    return kExitOk;
  }
  const TimePoint now = SystemClock().Now();
  const bool colour = UseColour();
  std::vector<std::vector<std::string>> rows;
  std::vector<Colour> colours;
  for (const auto& m : certs) {
    std::string domains = m.domains.empty() ? "-" : m.domains.front();
    if (m.domains.size() > 1) domains += " +" + std::to_string(m.domains.size() - 1);
    rows.push_back({m.name, domains, m.issuer.empty() ? "-" : m.issuer, m.status,
                    DaysLeft(m.not_after, now), ShortTime(m.not_after),
                    ShortTime(m.next_renewal_at)});
    colours.push_back(colour ? ColourFor(m, now) : Colour::kNone);
  }
  PrintTable({"NAME", "DOMAINS", "ISSUER", "STATUS", "DAYS LEFT", "NOT AFTER", "NEXT RENEWAL"},
             rows, colours);
  return kExitOk;
}

int RunStatus(const CommandEnv& env, const LifecycleFlags& flags) {
  auto client = Connect(env, flags);
  if (!client.ok()) return ReportError(client.status());
  auto body = client->GetJson("/v1/status");
  if (!body.ok()) return ReportError(body.status());
  auto s = web::DaemonStatusFromJson(*body);
  if (!s.ok()) return ReportError(s.status());
  const int rc = s->failing > 0 || s->expired > 0 ? kExitProblem : kExitOk;
  if (flags.json) {
    PrintJson(*body);
    return rc;
  }
  std::printf(
      "certkeeper %s at %s, up %s (since %s UTC)\n", s->version.c_str(),
      client->connection().server.c_str(),
      HumanDuration(std::chrono::duration_cast<std::chrono::seconds>(s->now - s->started_at))
          .c_str(),
      ShortTime(s->started_at).c_str());
  std::printf("certificates: %d managed, %d failing, %d expired\n", s->managed, s->failing,
              s->expired);
  if (s->next_renewal_at) {
    std::printf("next renewal: %s at %s UTC (%s)\n",
                s->next_renewal_name.empty() ? "-" : s->next_renewal_name.c_str(),
                ShortTime(s->next_renewal_at).c_str(),
                Relative(*s->next_renewal_at, s->now).c_str());
  } else {
    std::printf("next renewal: none scheduled\n");
  }
  if (rc != kExitOk) {
    std::fprintf(stderr, "certkeeper: %d certificate(s) failing or expired; see certkeeper ls\n",
                 s->failing + s->expired);
  }
  return rc;
}

int RunRenew(const CommandEnv& env, const LifecycleFlags& flags) {
  auto client = Connect(env, flags);
  if (!client.ok()) return ReportError(client.status());
  json request = json::object();
  if (flags.force) request["force"] = true;
  auto body = client->PostJson("/v1/managed/" + UrlEncode(flags.name) + "/renew", request);
  if (!body.ok()) return ReportError(body.status());
  if (flags.json) {
    PrintJson(*body);
    return kExitOk;
  }
  auto r = web::RenewResultFromJson(*body);
  if (!r.ok()) return ReportError(r.status());
  std::printf("%s\n", r->message.empty() ? ("renewal of '" + r->name + "' queued").c_str()
                                         : r->message.c_str());
  return kExitOk;
}

int RunAdd(const CommandEnv& env, const LifecycleFlags& flags) {
  // The JSON form of a [[certificate]] table; the daemon validates it like the config file.
  json body = {{"name", flags.name}, {"domains", flags.domains}, {"issuer", flags.issuer}};
  if (!flags.uris.empty()) body["uris"] = flags.uris;
  if (!flags.solver.empty()) body["solver"] = flags.solver;
  if (!flags.key.empty()) body["key"] = flags.key;
  if (!flags.key_policy.empty()) body["key_policy"] = flags.key_policy;
  if (!flags.lifetime.empty()) body["lifetime"] = flags.lifetime;
  json deploy = json::array();
  if (!flags.deploy_dir.empty()) deploy.push_back({{"type", "files"}, {"dir", flags.deploy_dir}});
  for (const auto& text : flags.deploy_json) {
    json target = json::parse(text, nullptr, false);
    if (!target.is_object()) {
      return ReportError(
          InvalidArgumentError("--deploy must be a JSON object, e.g. "
                               "'{\"type\":\"nginx\",\"conf\":\"/etc/nginx/"
                               "nginx.conf\"}'"));
    }
    deploy.push_back(std::move(target));
  }
  if (!deploy.empty()) body["deploy"] = deploy;
  auto client = Connect(env, flags);
  if (!client.ok()) return ReportError(client.status());
  auto added = client->PostJson("/v1/managed", body);
  if (!added.ok()) return ReportError(added.status());
  if (flags.json) {
    PrintJson(*added);
    return kExitOk;
  }
  std::printf("added '%s' (%s); the daemon issues and deploys it now — see `certkeeper ls`\n",
              flags.name.c_str(), flags.issuer.c_str());
  return kExitOk;
}

int RunRemove(const CommandEnv& env, const LifecycleFlags& flags) {
  auto client = Connect(env, flags);
  if (!client.ok()) return ReportError(client.status());
  auto removed = client->DeleteJson("/v1/managed/" + UrlEncode(flags.name));
  if (!removed.ok()) return ReportError(removed.status());
  if (flags.json) {
    PrintJson(*removed);
    return kExitOk;
  }
  std::printf("'%s' is no longer managed (its certificates and history stay in the store)\n",
              flags.name.c_str());
  return kExitOk;
}

int RunPins(const CommandEnv& env, const LifecycleFlags& flags) {
  const std::string format = flags.json ? "json" : flags.format;
  auto client = Connect(env, flags);
  if (!client.ok()) return ReportError(client.status());
  if (flags.emergency_rotate) {
    auto rotated =
        client->PostJson("/v1/pins/" + UrlEncode(flags.name) + "/emergency-rotate", json::object());
    if (!rotated.ok()) return ReportError(rotated.status());
    std::printf("%s\n", rotated->value("message", "backup key promoted").c_str());
  }
  auto body = client->GetJson("/v1/pins/" + UrlEncode(flags.name));
  if (!body.ok()) return ReportError(body.status());
  if (format == "json") {
    PrintJson(*body);
    return kExitOk;
  }
  auto p = web::PinSetFromJson(*body);
  if (!p.ok()) return ReportError(p.status());
  auto print_form = [](const std::string& text, const char* what) {
    if (text.empty()) return ReportError(NotFoundError(std::string("the server has no ") + what));
    std::printf("%s%s", text.c_str(), text.back() == '\n' ? "" : "\n");
    return static_cast<int>(kExitOk);
  };
  if (format == "pin-sha256") return print_form(p->pin_sha256_header, "pin-sha256 form");
  if (format == "okhttp") return print_form(p->okhttp, "OkHttp form");
  if (format == "android") return print_form(p->android, "Android form");
  std::string hosts;
  for (const auto& h : p->hosts) hosts += (hosts.empty() ? "" : ", ") + h;
  std::printf("pin set of %s%s\n", p->name.c_str(),
              hosts.empty() ? "" : (" (" + hosts + ")").c_str());
  std::vector<std::vector<std::string>> rows;
  for (const auto& pin : p->pins) {
    rows.push_back({"sha256/" + pin.pin, pin.state, ShortTime(pin.publish_at),
                    ShortTime(pin.active_at), ShortTime(pin.retire_at)});
  }
  PrintTable({"PIN", "STATE", "PUBLISHED", "ACTIVE", "RETIRES"}, rows);
  return kExitOk;
}

int RunEvents(const CommandEnv& env, const LifecycleFlags& flags) {
  if (flags.limit < 1 || flags.limit > 1000) {
    return ReportError(InvalidArgumentError("--limit must be between 1 and 1000"));
  }
  auto client = Connect(env, flags);
  if (!client.ok()) return ReportError(client.status());
  std::string path = WithQuery(
      "/v1/events", {{"certificate", flags.certificate},
                     {"limit", std::to_string(flags.limit)},
                     {"before", flags.before > 0 ? std::to_string(flags.before) : std::string()}});
  auto body = client->GetJson(path);
  if (!body.ok()) return ReportError(body.status());
  if (flags.json) {
    PrintJson(*body);
    return kExitOk;
  }
  if (!body->is_object() || !body->contains("events") || !(*body)["events"].is_array()) {
    return ReportError(DataLossError("the server's answer has no 'events' list"));
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& item : (*body)["events"]) {
    auto e = web::EventFromJson(item);
    if (!e.ok()) return ReportError(e.status());
    rows.push_back({FormatRfc3339(e->time), e->certificate_name.empty() ? "-" : e->certificate_name,
                    e->kind, e->message});
  }
  if (rows.empty()) {
    std::printf("(no events)\n");
    return kExitOk;
  }
  PrintTable({"TIME", "CERTIFICATE", "KIND", "MESSAGE"}, rows);
  if (auto next = body->find("next_before"); next != body->end() && next->is_number_integer()) {
    std::printf("(older events: --before %lld)\n", static_cast<long long>(next->get<int64_t>()));
  }
  return kExitOk;
}

CLI::App* Command(CLI::App& app, const char* name, const char* help, LifecycleFlags& flags) {
  CLI::App* cmd = app.add_subcommand(name, help);
  AddApiFlags(*cmd, flags.api);
  cmd->add_flag("--json", flags.json, "Machine-readable output (the API's JSON)");
  return cmd;
}

}  // namespace

void RegisterLifecycleCommands(CLI::App& app, CommandEnv& env) {
  auto flags = std::make_shared<LifecycleFlags>();
  CLI::App* ls =
      Command(app, "ls", "List managed certificates by time left (from the daemon)", *flags);
  ls->callback([&env, flags] { env.exit_code = RunList(env, *flags); });

  CLI::App* status =
      Command(app, "status",
              "The daemon's summary; exit 1 when a certificate is failing or expired", *flags);
  status->callback([&env, flags] { env.exit_code = RunStatus(env, *flags); });

  CLI::App* renew =
      Command(app, "renew", "Ask the daemon to renew a managed certificate now", *flags);
  renew->add_option("NAME", flags->name, "Managed certificate name")->required();
  renew->add_flag("--force", flags->force, "Renew even when the certificate is not due");
  renew->callback([&env, flags] { env.exit_code = RunRenew(env, *flags); });

  CLI::App* add = Command(
      app, "add", "Manage one more certificate (kept in the state dir's certificates.d/)", *flags);
  add->add_option("NAME", flags->name, "Certificate name ([a-z0-9][a-z0-9._-]*)")->required();
  add->add_option("-d,--domain", flags->domains, "DNS name or IP address (repeat)")->required();
  add->add_option("--uri", flags->uris, "URI SAN, e.g. spiffe://td/svc (internal CA only)");
  add->add_option("--issuer", flags->issuer, "acme:ACCOUNT or ca:PROFILE")->required();
  add->add_option("--solver", flags->solver, "http-01 (default), tls-alpn-01, dns-01 (ACME)");
  add->add_option("--key-type", flags->key, "Key type, e.g. ecdsa-p256 (default), rsa-2048");
  add->add_option("--key-policy", flags->key_policy, "new (default) or reuse");
  add->add_option("--lifetime", flags->lifetime, "Internal CA only, e.g. 24h");
  add->add_option("--deploy-dir", flags->deploy_dir,
                  "Files target: DIR/live/NAME/{cert,chain,fullchain,privkey}.pem");
  add->add_option("--deploy", flags->deploy_json,
                  "Any deploy target as JSON (repeat), e.g. "
                  "'{\"type\":\"haproxy\",\"socket\":\"/run/haproxy/admin.sock\","
                  "\"cert_path\":\"/etc/haproxy/certs/web.pem\"}'");
  add->callback([&env, flags] { env.exit_code = RunAdd(env, *flags); });

  CLI::App* remove = Command(app, "remove", "Stop managing a certificate added with `add`", *flags);
  remove->add_option("NAME", flags->name, "Certificate name")->required();
  remove->callback([&env, flags] { env.exit_code = RunRemove(env, *flags); });

  CLI::App* pins =
      Command(app, "pins", "A certificate's SPKI pin set and ready-to-paste forms", *flags);
  pins->add_option("NAME", flags->name, "Managed certificate name")->required();
  pins->add_flag("--emergency-rotate", flags->emergency_rotate,
                 "Key compromise: put the backup key in service now and withdraw the current "
                 "pin (admin); the certificate is re-issued and deployed at once");
  pins->add_option("--format", flags->format, "table (default), json, pin-sha256, okhttp, android")
      ->check(CLI::IsMember({"table", "json", "pin-sha256", "okhttp", "android"}));
  pins->callback([&env, flags] { env.exit_code = RunPins(env, *flags); });

  CLI::App* events = Command(app, "events", "The event log, newest first", *flags);
  events->add_option("--certificate", flags->certificate, "Only this certificate's events");
  events->add_option("--limit", flags->limit, "How many (1-1000, default 50)");
  events->add_option("--before", flags->before, "Only events older than this id (paging)");
  events->callback([&env, flags] { env.exit_code = RunEvents(env, *flags); });
}

}  // namespace ck::cli
