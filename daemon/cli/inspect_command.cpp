// `certkeeper inspect FILE|HOST:PORT`: what `openssl x509 -text` and `openssl s_client
// -showcerts` show, plus the verdict and the reason: expired, not yet valid, unknown authority
// (naming the missing issuer), wrong host, key/cert mismatch.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <regex>

#include "common/clock.hpp"
#include "common/duration.hpp"
#include "common/file_util.hpp"
#include "daemon/cli/commands.hpp"
#include "daemon/cli/context.hpp"
#include "daemon/inspect/inspect_render.hpp"
#include "daemon/inspect/inspect_report.hpp"

namespace ck::cli {
namespace {

struct InspectFlags {
  std::string target;
  std::vector<std::string> ca_files;
  std::string sni;
  std::string host;
  std::string at;
  std::string timeout = "10s";
  std::string warn_before = "30d";
  bool json = false;
  bool no_color = false;
};

struct HostPort {
  std::string host;
  uint16_t port;
};

// "example.com:443", "192.0.2.1:8443", "[2001:db8::1]:443".
std::optional<HostPort> ParseHostPort(const std::string& s) {
  static const std::regex re(R"(^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):([0-9]{1,5})$)");
  std::smatch m;
  if (!std::regex_match(s, m, re)) return std::nullopt;
  unsigned long port = std::stoul(m[2]);
  if (port == 0 || port > 65535) return std::nullopt;
  std::string host = m[1];
  if (host.front() == '[') host = host.substr(1, host.size() - 2);
  return HostPort{host, static_cast<uint16_t>(port)};
}

Result<std::vector<pki::Certificate>> LoadRoots(const std::vector<std::string>& files) {
  std::vector<pki::Certificate> roots;
  for (const auto& f : files) {
    ASSIGN_OR_RETURN(std::string text, ReadFile(f));
    auto object = pki::LoadPkiObject(text);
    if (!object.ok()) return object.status().WithContext("--ca " + f);
    if (object->certificates.empty()) {
      return InvalidArgumentError("--ca " + f + ": holds no certificate");
    }
    for (auto& c : object->certificates) roots.push_back(std::move(c));
  }
  return roots;
}

Result<inspect::Report> Inspect(const InspectFlags& flags, inspect::InspectOptions& options) {
  const bool is_stdin = flags.target == "-";
  auto content =
      is_stdin ? Result<std::string>(std::string(std::istreambuf_iterator<char>(std::cin), {}))
               : ReadFile(flags.target);
  if (content.ok()) {
    auto object = pki::LoadPkiObject(*content);
    if (!object.ok()) return object.status().WithContext(flags.target);
    options.hostname = flags.host;
    return inspect::InspectObject(is_stdin ? "(stdin)" : flags.target, *object, options);
  }
  if (content.status().code() != StatusCode::kNotFound) return content.status();
  auto hp = ParseHostPort(flags.target);
  if (!hp) {
    return InvalidArgumentError(
        "'" + flags.target + "' is neither a readable file nor HOST:PORT (e.g. example.com:443)");
  }
  ASSIGN_OR_RETURN(auto timeout, ParseDuration(flags.timeout));
  pki::TlsProbeOptions probe_options;
  probe_options.host = hp->host;
  probe_options.port = hp->port;
  probe_options.sni = flags.sni;
  probe_options.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(timeout);
  ASSIGN_OR_RETURN(pki::TlsProbeResult probe, pki::ProbeTls(probe_options));
  // The name the client means: --host, else the SNI, else the host unless it is an address.
  options.hostname = !flags.host.empty() ? flags.host : !flags.sni.empty() ? flags.sni : hp->host;
  options.use_system_roots = options.roots.empty();
  return inspect::InspectTls(flags.target, std::move(probe), options);
}

int RunInspect(const CommandEnv& env, const InspectFlags& flags) {
  if (Status s = ApplyLogging(env.global, config::Config{}); !s.ok()) return ReportError(s);
  inspect::InspectOptions options;
  SystemClock clock;
  options.at = clock.Now();
  if (!flags.at.empty()) {
    auto at = ParseRfc3339(flags.at);
    if (!at.ok()) return ReportError(at.status().WithContext("--at"));
    options.at = *at;
  }
  auto warn = ParseDuration(flags.warn_before);
  if (!warn.ok()) return ReportError(warn.status().WithContext("--warn-before"));
  options.warn_before = *warn;
  auto roots = LoadRoots(flags.ca_files);
  if (!roots.ok()) return ReportError(roots.status());
  options.roots = std::move(*roots);

  auto report = Inspect(flags, options);
  if (!report.ok()) {
    if (flags.json) {
      nlohmann::json j = {{"target", flags.target},
                          {"ok", false},
                          {"error", report.status().message()},
                          {"code", std::string(StatusCodeName(report.status().code()))}};
      std::printf("%s\n", j.dump(2).c_str());
    }
    return ReportError(report.status());
  }
  if (flags.json) {
    std::printf("%s\n", inspect::RenderJson(*report).dump(2).c_str());
  } else {
    bool colour = !flags.no_color && ::isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr;
    std::fputs(inspect::RenderText(*report, colour).c_str(), stdout);
  }
  return report->ok() ? kExitOk : kExitProblem;
}

}  // namespace

void RegisterInspectCommand(CLI::App& app, CommandEnv& env) {
  auto flags = std::make_shared<InspectFlags>();
  CLI::App* cmd = app.add_subcommand(
      "inspect",
      "Show and check a certificate, chain, CSR or key file, or what a TLS server serves.\n"
      "Exit 0 when fine, 1 when a problem was found, 2+ when it could not be checked.");
  cmd->add_option("TARGET", flags->target,
                  "A PEM/DER file (certificate, chain, CSR, key; '-' for stdin) or HOST:PORT")
      ->required();
  cmd->add_option("--ca", flags->ca_files,
                  "Trusted root(s) to verify against (PEM; repeatable). TLS targets default to "
                  "the system trust store");
  cmd->add_option("--sni", flags->sni, "Server name to send (default: the host)");
  cmd->add_option("--host", flags->host,
                  "Hostname the certificate must cover (default for HOST:PORT: --sni or host)");
  cmd->add_option("--at", flags->at, "Check validity at this time (RFC 3339) instead of now");
  cmd->add_option("--timeout", flags->timeout, "Connect + handshake timeout (default 10s)");
  cmd->add_option("--warn-before", flags->warn_before,
                  "Warn when a certificate expires within this long (default 30d)");
  cmd->add_flag("--json", flags->json, "Machine-readable output");
  cmd->add_flag("--no-color", flags->no_color, "No colours even on a terminal");
  cmd->callback([&env, flags] { env.exit_code = RunInspect(env, *flags); });
}

}  // namespace ck::cli
