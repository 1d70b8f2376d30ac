#include "acme/solvers/dns01.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "acme/solvers/dns_discovery.hpp"
#include "acme/solvers/dns_wire.hpp"
#include "common/log.hpp"

extern char** environ;

namespace ck::acme {

std::string BuildTxtQuery(const std::string& name, uint16_t id) {
  // No recursion wanted: the propagation check asks authoritative servers.
  return dns::BuildQuery(name, dns::kTypeTxt, id, /*recursion_desired=*/false);
}

Result<std::vector<std::string>> ParseTxtAnswer(const std::string& m, uint16_t id) {
  ASSIGN_OR_RETURN(dns::Message msg, dns::ParseMessage(m, id));
  if (msg.rcode == dns::kRcodeNxDomain) return NotFoundError("NXDOMAIN");
  if (msg.rcode != dns::kRcodeNoError)
    return UnavailableError("DNS rcode " + std::to_string(msg.rcode));
  std::vector<std::string> out;
  for (const auto& rr : msg.answers) {
    if (rr.type != dns::kTypeTxt || rr.klass != dns::kClassIn) continue;
    ASSIGN_OR_RETURN(std::string value, dns::ReadRdataTxt(m, rr));
    out.push_back(std::move(value));
  }
  if (out.empty()) return NotFoundError("no TXT record");
  return out;
}

Result<std::vector<std::string>> QueryTxt(const std::string& server, const std::string& name,
                                          std::chrono::milliseconds timeout) {
  if (!dns::CheckServerAddress(server).ok()) {
    return InvalidArgumentError("nameserver must be IPv4:port, got " + server);
  }
  ASSIGN_OR_RETURN(uint16_t id, dns::RandomId());
  ASSIGN_OR_RETURN(std::string answer, dns::Exchange(server, BuildTxtQuery(name, id), timeout));
  return ParseTxtAnswer(answer, id);
}

namespace {

// The authoritative servers of the zone holding `fqdn`, or empty when they cannot be found.
std::vector<std::string> DiscoverForCheck(Clock& clock, const PropagationCheck& check,
                                          const std::string& fqdn, TimePoint deadline) {
  std::string resolver = check.resolver;
  if (resolver.empty()) {
    auto system = SystemResolver();
    if (!system.ok()) {
      log::Warn(
          "dns-01: no resolver to find the authoritative servers; not waiting for "
          "propagation",
          {{"name", fqdn}, {"error", system.status().ToString()}});
      return {};
    }
    resolver = *system;
  }
  // Discovery gets a share of the wait's own budget, never more than it.
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock.Now());
  auto budget = std::clamp(left, std::chrono::milliseconds(1), std::chrono::milliseconds(10'000));
  auto servers = DiscoverAuthoritativeServers(fqdn, resolver, budget, check.authoritative_port);
  if (!servers.ok()) {
    log::Warn("dns-01: cannot find the authoritative servers; not waiting for propagation",
              {{"name", fqdn}, {"resolver", resolver}, {"error", servers.status().ToString()}});
    return {};
  }
  log::Debug("dns-01: polling the authoritative servers",
             {{"name", fqdn}, {"servers", std::to_string(servers->size())}});
  return *std::move(servers);
}

}  // namespace

Status WaitForTxt(Clock& clock, const PropagationCheck& check, const std::string& fqdn,
                  const std::string& value) {
  TimePoint deadline = clock.Now() + check.timeout;
  auto stop = check.should_stop ? check.should_stop : std::function<bool()>([] { return false; });
  std::vector<std::string> missing = check.nameservers;
  if (missing.empty()) {
    // No servers configured: ask the zone's authoritative servers, which see an update
    // before any cache does. If they cannot be found (no resolver, split horizon, a network
    // that blocks port 53), issuance goes ahead without the check, as it did before there
    // was discovery: a CA that looks too early fails one challenge, which is retried, while
    // refusing to issue here would fail every order on such networks.
    if (stop()) return AbortedError("waiting for TXT " + fqdn + " cancelled");
    missing = DiscoverForCheck(clock, check, fqdn, deadline);
    if (missing.empty()) return OkStatus();
    if (stop()) return AbortedError("waiting for TXT " + fqdn + " cancelled");
  }
  auto interval = check.initial_interval;
  for (;;) {
    std::vector<std::string> still;
    for (const auto& ns : missing) {
      auto txt = QueryTxt(ns, fqdn, std::chrono::milliseconds(1000));
      bool seen = txt.ok() && std::find(txt->begin(), txt->end(), value) != txt->end();
      if (!seen) still.push_back(ns);
    }
    missing = std::move(still);
    if (missing.empty()) return OkStatus();
    if (clock.Now() >= deadline) {
      std::string list;
      for (const auto& ns : missing) list += (list.empty() ? "" : ", ") + ns;
      return DeadlineExceededError("TXT " + fqdn + " not visible on " + list + " after " +
                                   std::to_string(check.timeout.count()) + "s");
    }
    clock.SleepUntil(std::min(deadline, clock.Now() + interval), stop);
    if (stop()) return AbortedError("waiting for TXT " + fqdn + " cancelled");
    interval = std::min(interval * 2, check.max_interval);
  }
}

Status Dns01ExecSolver::Run(const std::string& action, const ChallengeContext& c) {
  // lego's exec provider: `PROG present|cleanup FQDN VALUE`, FQDN with the trailing dot.
  std::string fqdn = c.DnsRecordName() + ".";
  std::string value = c.DnsTxtValue();
  std::vector<std::string> args = {program_, action, fqdn, value};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, program_.c_str(), nullptr, nullptr, argv.data(), environ);
  if (rc != 0) {
    return FailedPreconditionError("dns-01 exec: cannot run " + program_ + ": " +
                                   std::strerror(rc));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return UnavailableError("dns-01 exec: `" + program_ + " " + action + " " + fqdn + "` failed (" +
                            (WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status))
                                               : std::string("killed")) +
                            ")");
  }
  return OkStatus();
}

Status Dns01ExecSolver::Present(const ChallengeContext& c) { return Run("present", c); }
Status Dns01ExecSolver::CleanUp(const ChallengeContext& c) { return Run("cleanup", c); }
Status Dns01ExecSolver::Wait(const ChallengeContext& c) {
  return WaitForTxt(clock_, check_, c.DnsRecordName(), c.DnsTxtValue());
}

}  // namespace ck::acme
